/*
 * bench_daemon: attuned's own figures, on loopback with a real relay and two
 * real daemons (Alex and Sam, paired with a real code), all in a fresh
 * folder under $BUILD/tmp that is removed at the end. Printed, never asserted.
 *
 *   pairing and linking time on loopback: from the joiner's request to its
 *     `paired` (PAKE, signed introductions, device list; must stay < 1 s);
 *   idle resident memory of a set-up, connected, paired attuned (RSS, and
 *     the part that is its own: private pages);
 *   wake-ups per minute when idle (voluntary context switches of the
 *     daemon over 61 s, after the pairing's follow-up work has settled:
 *     preemptions are the machine's load, not the daemon's wake-ups);
 *   check-in latency: from Alex's `checkin` reply to Sam's daemon having
 *     stored the event (its `watch` push, sent after the commit), p50/p99
 *     over 300 check-ins, plus the local `checkin` call itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/frame.h"
#include "proto/msg.h"
#include "tests/unit/tutil.h"

#define N_CHECKINS 300

struct proc {
	pid_t pid;
	char home[700];
};

static char build[512], tmp[600];
static pid_t children[8];
static int nchildren;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Stops whatever was started, removes the folder, exits. */
static void
die(const char *what)
{
	char cmd[700];
	int i;

	fprintf(stderr, "bench_daemon: %s\n", what);
	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGTERM);
	for (i = 0; i < nchildren; i++)
		waitpid(children[i], NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (tmp[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "bench_daemon: could not remove %s\n", tmp);
	exit(1);
}

/* Starts argv with ATTUNE_HOME=home (NULL: unchanged), stdout to out_fd (-1: /dev/null). */
static pid_t
spawn(char *const argv[], const char *home, int out_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (home != NULL)
			setenv("ATTUNE_HOME", home, 1);
		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid > 0 && nchildren < 8)
		children[nchildren++] = pid;
	return pid;
}

static int
connect_home(const char *home)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/attuned.sock", home);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
send_out(int fd, struct msg_out *o)
{
	uint8_t hdr[FRAME_HDR];

	frame_put_header(hdr, msg_out_len(o));
	if (write(fd, hdr, FRAME_HDR) != FRAME_HDR ||
	    write(fd, msg_out_data(o), msg_out_len(o)) != (ssize_t)msg_out_len(o))
		die("write to attuned failed");
}

static int
read_all(int fd, uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Reads one frame and parses it; NULL at EOF. */
static struct msg *
read_msg(int fd)
{
	static uint8_t body[FRAME_MAX];
	uint8_t hdr[FRAME_HDR];
	struct msg *m = NULL;
	size_t len;

	if (read_all(fd, hdr, FRAME_HDR) != 0)
		return NULL;
	len = ((size_t)hdr[0] << 8) | hdr[1];
	if (read_all(fd, body, len) != 0)
		return NULL;
	if (msg_parse(body, len, NULL, &m, NULL) != 0)
		return NULL;
	return m;
}

/* Runs a shell command; returns its first line of output (static buffer). */
static const char *
first_line(const char *cmd)
{
	static char line[1024];
	FILE *p = popen(cmd, "r");

	line[0] = '\0';
	if (p == NULL)
		return line;
	if (fgets(line, sizeof(line), p) != NULL)
		line[strcspn(line, "\n")] = '\0';
	while (fgetc(p) != EOF)
		;
	pclose(p);
	return line;
}

static void
start_daemon(struct proc *p, const char *name)
{
	char *argv[2];
	char path[800];
	int i;

	snprintf(p->home, sizeof(p->home), "%s/%s", tmp, name);
	mkdir(p->home, 0700);
	snprintf(path, sizeof(path), "%s/attuned", build);
	argv[0] = path;
	argv[1] = NULL;
	p->pid = spawn(argv, p->home, -1);
	for (i = 0; i < 200; i++) {
		int fd = connect_home(p->home);

		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(20000);
	}
	die("attuned did not start");
}

static int
connected(const struct proc *p)
{
	char cmd[1600];

	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' status", p->home, build);
	return strstr(first_line(cmd), "\"connected\":true") != NULL;
}

static long
switches(pid_t pid)
{
	return tutil_proc_field((int)pid, "status", "voluntary_ctxt_switches:");
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	const char *b = getenv("BUILD");
	struct proc alex, sam, alex2;
	double t_pair, t_link;
	pid_t relay;
	char cmd[2400], addr[256], token[128], code[128], path[800];
	double lat[N_CHECKINS], call[N_CHECKINS];
	int pipefd[2], i, wfd, afd;
	FILE *rout, *pair;

	/* ATTUNE_HOME must be absolute. */
	if (b == NULL || *b == '\0')
		b = "build";
	if (b[0] == '/') {
		snprintf(build, sizeof(build), "%s", b);
	} else {
		char cwd[256];

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			die("getcwd");
		snprintf(build, sizeof(build), "%s/%s", cwd, b);
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp/bench_daemon.%d", build, (int)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s/relay'", tmp, tmp);
	if (system(cmd) != 0)
		die("cannot make the temporary folder");

	/* The relay prints its address once listening. */
	if (pipe(pipefd) != 0)
		die("pipe");
	snprintf(path, sizeof(path), "%s/attune-relay", build);
	{
		char dir[700];
		char *argv[] = { path, "--listen", "127.0.0.1:0", "--data", dir, NULL };

		snprintf(dir, sizeof(dir), "%s/relay", tmp);
		relay = spawn(argv, NULL, pipefd[1]);
	}
	close(pipefd[1]);
	rout = fdopen(pipefd[0], "r");
	addr[0] = '\0';
	while (fgets(cmd, sizeof(cmd), rout) != NULL)
		if (sscanf(cmd, "address: %255s", addr) == 1)
			break;
	if (addr[0] == '\0')
		die("the relay did not start");
	/* Two uses: device-minted invites are off on a relay as shipped. */
	snprintf(cmd, sizeof(cmd), "'%s/attune-relay' invite --uses 2 --data '%s/relay'", build, tmp);
	snprintf(token, sizeof(token), "%s", first_line(cmd));

	start_daemon(&alex, "alex");
	start_daemon(&sam, "sam");
	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' init name=Alex relay='%s' invite='%s' >/dev/null",
	    alex.home, build, addr, token);
	if (system(cmd) != 0)
		die("init Alex failed");
	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' init name=Sam relay='%s' invite='%s' >/dev/null",
	    sam.home, build, addr, token);
	if (system(cmd) != 0)
		die("init Sam failed");
	for (i = 0; i < 100 && !connected(&alex); i++)
		usleep(100000);

	/* Pair them with a real code. */
	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' -n 1 pair", alex.home, build);
	pair = popen(cmd, "r");
	code[0] = '\0';
	if (pair == NULL || fgets(cmd, sizeof(cmd), pair) == NULL)
		die("pair did not start");
	{
		char *c = strstr(cmd, "\"code\":\"");

		if (c == NULL)
			die("no pairing code");
		sscanf(c + 8, "%127[^\"]", code);
	}
	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' -n 1 pair code='%s' >/dev/null",
	    sam.home, build, code);
	t_pair = now_s();
	if (system(cmd) != 0)
		die("pairing failed");
	t_pair = now_s() - t_pair;
	pclose(pair);
	for (i = 0; i < 100 && !connected(&sam); i++)
		usleep(100000);

	printf("pairing on loopback (a joiner's request until paired: PAKE, signed introductions):\n"
	    "  %.0f ms\n", t_pair * 1000.0);

	/* Idle: let pairing's follow-up (prekeys, sessions) settle, then look. */
	sleep(5);
	printf("idle attuned (set up, paired, connected):\n");
	printf("  RSS %ld KiB (shared libraries included), private %ld KiB\n",
	    tutil_proc_field((int)alex.pid, "status", "VmRSS:"),
	    tutil_proc_field((int)alex.pid, "smaps_rollup", "Private_Clean:") +
	    tutil_proc_field((int)alex.pid, "smaps_rollup", "Private_Dirty:"));
	{
		long s0 = switches(alex.pid), s1;

		sleep(61);
		s1 = switches(alex.pid);
		printf("  wake-ups: %ld in 61 s = %.1f per minute (keepalive %s ms)\n", s1 - s0,
		    (double)(s1 - s0) * 60.0 / 61.0, getenv("ATTUNE_KEEPALIVE_MS") ? getenv("ATTUNE_KEEPALIVE_MS") : "default");
	}

	/* Latency: Alex checks in, Sam's watch push says it is stored. */
	wfd = connect_home(sam.home);
	afd = connect_home(alex.home);
	if (wfd < 0 || afd < 0)
		die("cannot connect to the daemons");
	{
		struct msg_out o;
		struct msg *m;

		msg_out_init(&o);
		msg_out_begin(&o, "watch", 1, 0);
		send_out(wfd, &o);
		m = read_msg(wfd);
		if (m == NULL || !msg_is_type(m, "ok"))
			die("watch refused");
		msg_free(m);
		for (i = 0; i < N_CHECKINS; i++) {
			double t0, t1, t2;

			msg_out_reset(&o);
			msg_out_begin(&o, "checkin", (uint64_t)i + 2, 4);
			msg_out_uint(&o, "mood", 3);
			msg_out_uint(&o, "desire", 2);
			msg_out_uint(&o, "capacity", 4);
			msg_out_str(&o, "note", "bench");
			t0 = now_s();
			send_out(afd, &o);
			m = read_msg(afd);
			t1 = now_s();
			if (m == NULL || !msg_is_type(m, "ok"))
				die("checkin failed");
			msg_free(m);
			m = read_msg(wfd);
			t2 = now_s();
			if (m == NULL || !msg_is_type(m, "event"))
				die("no push on Sam's side");
			msg_free(m);
			call[i] = (t1 - t0) * 1000.0;
			lat[i] = (t2 - t1) * 1000.0;
		}
		msg_out_free(&o);
	}
	qsort(lat, N_CHECKINS, sizeof(lat[0]), cmp_double);
	qsort(call, N_CHECKINS, sizeof(call[0]), cmp_double);
	printf("check-in, %d in a row:\n", N_CHECKINS);
	printf("  local checkin call (stored + queued durably): p50 %.2f ms, p99 %.2f ms\n",
	    call[N_CHECKINS / 2], call[N_CHECKINS * 99 / 100]);
	printf("  reply -> stored by the partner's daemon:       p50 %.2f ms, p99 %.2f ms\n",
	    lat[N_CHECKINS / 2], lat[N_CHECKINS * 99 / 100]);

	/*
	 * Last, so that the other figures are of two devices: link a third, fresh
	 * device to Alex (it cannot register at a relay as shipped, without device
	 * invites, and Alex's envelopes for it would be refused).
	 */
	start_daemon(&alex2, "alex2");
	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' -n 1 link", alex.home, build);
	pair = popen(cmd, "r");
	if (pair == NULL || fgets(cmd, sizeof(cmd), pair) == NULL)
		die("link did not start");
	{
		char *c = strstr(cmd, "\"link\":\"");

		if (c == NULL)
			die("no link");
		sscanf(c + 8, "%127[^\"]", code);
	}
	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' -n 1 link code='%s' >/dev/null",
	    alex2.home, build, code);
	t_link = now_s();
	if (system(cmd) != 0)
		die("linking failed");
	t_link = now_s() - t_link;
	pclose(pair);
	printf("linking on loopback (the new device's request until paired: PAKE, its keys\n"
	    "certified, the next device list):\n  %.0f ms\n", t_link * 1000.0);

	close(wfd);
	close(afd);
	kill(alex.pid, SIGTERM);
	kill(sam.pid, SIGTERM);
	kill(alex2.pid, SIGTERM);
	kill(relay, SIGTERM);
	waitpid(alex.pid, NULL, 0);
	waitpid(sam.pid, NULL, 0);
	waitpid(alex2.pid, NULL, 0);
	waitpid(relay, NULL, 0);
	fclose(rout);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_daemon: could not remove %s\n", tmp);
	return 0;
}
