/*
 * bench_relay: attune-relay under load on loopback, side by side with
 * mosquitto doing the same work (bench_mosquitto, run just before by `make
 * bench`, leaves its figures in $BUILD/tmp/bench_mosquitto.txt).
 *
 * The load comes from $BUILD/tools/loadgen (the project's own epoll load
 * generator with its own Noise IK client) in a separate process, so the
 * relay's figures are the relay's alone and neither side runs out of file
 * descriptors. Every run gets a fresh relay with a fresh data folder under
 * $BUILD/tmp, started and stopped here. Figures are printed, never asserted.
 *
 *   acknowledged puts/s and deliveries/s, P = 10 and 100 pairs, 256-byte
 *     envelopes, <= 20 unacknowledged puts per sender (every put fsynced
 *     before its acknowledgement: group commit, synchronous=FULL);
 *   delivery latency p50/p99 at an open-loop 1k and 10k envelopes/s;
 *   handshakes/s (and per second of the relay's own CPU time);
 *   relay RSS per idle authenticated connection (10,000 connections);
 *   relay RSS per envelope queued for offline devices (100,000 envelopes),
 *     measured 2.5 s after the fill: what the relay keeps, not its busiest moment;
 *   the same throughput and latency runs on PostgreSQL 15, and the disk's
 *     fdatasync p50/p99 measured first in the same folder (latency / floor).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/tutil.h"

#define OUT_MAX 8192

struct bench {
	const char *build;
	char relay[512], loadgen[512], tmp[512];
	FILE *res;
	int runs;
	char pgdir[256];           /* a PostgreSQL cluster's folder and socket: "" none */
	const char *prefix;        /* "" (SQLite) or "pg_" for figures of the PostgreSQL runs */
};

struct relay {
	pid_t pid;
	int out;                   /* the relay's stdout (kept open until it stops) */
	char dir[600], addr[256], token[128];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts argv with the given stdin/stdout (-1: /dev/null); stderr to err_path or /dev/null. */
static pid_t
spawn(char *const argv[], int in, int out, const char *err_path)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		int err = err_path != NULL ? open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600) : null;
		dup2(in >= 0 ? in : null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(err >= 0 ? err : null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Reads from fd until EOF, a full buffer or the deadline. */
static size_t
read_until(int fd, char *buf, size_t cap, size_t have, double deadline, const char *stop)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	while (have + 1 < cap) {
		int ms = (int)((deadline - now_s()) * 1000);
		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			break;
		r = read(fd, buf + have, cap - 1 - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		if (stop != NULL && strstr(buf, stop) != NULL)
			break;
	}
	buf[have] = '\0';
	return have;
}

/* Runs argv to its end; its stdout in out. Returns the exit status or -1. */
static int
run(struct bench *b, char *const argv[], char *out, size_t cap, double secs)
{
	int fds[2], st = -1;
	pid_t pid;
	char err[700];

	snprintf(err, sizeof err, "%s/loadgen.err", b->tmp);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = spawn(argv, -1, fds[1], err);
	close(fds[1]);
	read_until(fds[0], out, cap, 0, now_s() + secs, NULL);
	close(fds[0]);
	if (pid > 0) {
		kill(pid, SIGTERM);   /* no-op when it has finished */
		waitpid(pid, &st, 0);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The number after "key=" in text, or -1. */
static double
kv(const char *text, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "%s=", key);
	for (p = strstr(text, pat); p != NULL; p = strstr(p + 1, pat))
		if (p == text || p[-1] == ' ' || p[-1] == '\n')
			return strtod(p + strlen(pat), NULL);
	return -1;
}

/* Resident memory of PID in KiB (from /proc). */
static long
rss_kb(pid_t pid)
{
	return tutil_proc_field((int)pid, "status", "VmRSS:");
}

/* The process's user + system CPU time in seconds. */
static double
cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int
relay_start(struct bench *b, struct relay *r)
{
	char ini[700], log[700], out[1024], *nl;
	char *argv[] = { b->relay, "--listen", "127.0.0.1:0", "--data", r->dir, "--config", ini,
	    NULL };
	char *inv[] = { b->relay, "invite", "--data", r->dir, "--config", ini, "--uses", "1000000",
	    NULL };
	int fds[2];
	FILE *f;
	const char *a;

	snprintf(r->dir, sizeof r->dir, "%s/relay.%d", b->tmp, b->runs++);
	snprintf(ini, sizeof ini, "%s.ini", r->dir);
	snprintf(log, sizeof log, "%s.log", r->dir);
	mkdir(r->dir, 0700);
	if ((f = fopen(ini, "w")) == NULL)
		return -1;
	/* Limits out of the benchmark's way; everything else as shipped. */
	fputs("[limits]\nconnections = 20000\nconnections_per_address = 20000\n"
	    "handshake_rate = 1000000\nhandshake_burst = 1000000\n"
	    "put_rate = 10000000\nput_burst = 10000000\nidle_timeout = 3600\n"
	    "register_rate = 1000000\nregister_burst = 1000000\n"
	    "prekey_rate = 1000000\nprekey_burst = 1000000\n"
	    "prekey_target_rate = 1000000\nprekey_target_burst = 1000000\n"
	    "[storage]\nmailbox_envelopes = 1000000\nmailbox_bytes = 1G\n", f);
	/* PostgreSQL runs: a fresh database of the cluster each. */
	if (*b->prefix != '\0') {
		char cmd[1200];

		snprintf(cmd, sizeof cmd, "/usr/lib/postgresql/15/bin/psql -X -q 'host=%s user=attune "
		    "dbname=postgres' -c 'CREATE DATABASE bench%d' >/dev/null", b->pgdir, b->runs);
		if (system(cmd) != 0) {
			fclose(f);
			return -1;
		}
		fprintf(f, "url = postgresql:///bench%d?host=%s&user=attune\n", b->runs, b->pgdir);
	}
	fclose(f);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	r->pid = spawn(argv, -1, fds[1], log);
	close(fds[1]);
	r->out = fds[0];
	read_until(r->out, out, sizeof out, 0, now_s() + 10, "\n");
	if ((a = strstr(out, "address: ")) == NULL) {
		fprintf(stderr, "bench_relay: the relay did not start (see %s)\n", log);
		return -1;
	}
	snprintf(r->addr, sizeof r->addr, "%.250s", a + 9);
	if ((nl = strchr(r->addr, '\n')) != NULL)
		*nl = '\0';
	if (run(b, inv, out, sizeof out, 10) != 0)
		return -1;
	snprintf(r->token, sizeof r->token, "%.100s", out);
	if ((nl = strchr(r->token, '\n')) != NULL)
		*nl = '\0';
	return 0;
}

static void
relay_stop(struct relay *r)
{
	int i, st;

	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		for (i = 0; i < 100 && waitpid(r->pid, &st, WNOHANG) == 0; i++)
			usleep(50000);
		if (i == 100) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &st, 0);
		}
	}
	if (r->out >= 0)
		close(r->out);
	r->pid = 0;
	r->out = -1;
}

/* loadgen ADDRESS MODE with extra arguments (NULL-terminated list of strings). */
static int
loadgen(struct bench *b, struct relay *r, const char *mode, char *out, size_t cap,
    double secs, const char *const *extra)
{
	char *argv[32];
	int n = 0;

	argv[n++] = b->loadgen;
	argv[n++] = "--invite";
	argv[n++] = r->token;
	while (*extra != NULL && n < 28)
		argv[n++] = (char *)*extra++;
	argv[n++] = r->addr;
	argv[n++] = (char *)mode;
	argv[n] = NULL;
	return run(b, argv, out, cap, secs);
}

static void
put(struct bench *b, const char *name, double v)
{
	printf("  %s%-*s %12.0f\n", b->prefix, 34 - (int)strlen(b->prefix), name, v);
	fflush(stdout);
	if (b->res != NULL) {
		fprintf(b->res, "%s%s %.0f\n", b->prefix, name, v);
		fflush(b->res);
	}
}

/* Closed loop: P pairs, 20 unacknowledged puts per sender, 3 s. */
static void
bench_pairs(struct bench *b, int pairs)
{
	struct relay r = { .out = -1 };
	char out[OUT_MAX], p[16], name[64];
	const char *reg[] = { "--pairs", p, NULL };
	const char *args[] = { "--pairs", p, "--window", "20", "--size", "256", "--secs", "3", NULL };

	snprintf(p, sizeof p, "%d", pairs);
	if (relay_start(b, &r) == 0 && loadgen(b, &r, "register", out, sizeof out, 60, reg) == 0 &&
	    loadgen(b, &r, "pairs", out, sizeof out, 60, args) == 0) {
		snprintf(name, sizeof name, "pairs%d_acked_per_s", pairs);
		put(b, name, kv(out, "acked_per_s"));
		snprintf(name, sizeof name, "pairs%d_delivered_per_s", pairs);
		put(b, name, kv(out, "delivered_per_s"));
	} else
		fprintf(stderr, "bench_relay: P=%d run failed\n", pairs);
	relay_stop(&r);
}

/* Open loop at `rate` envelopes/s over 10 pairs for 3 s. */
static void
bench_latency(struct bench *b, int rate)
{
	struct relay r = { .out = -1 };
	char out[OUT_MAX], rs[16], name[64];
	const char *reg[] = { "--pairs", "10", NULL };
	const char *args[] = { "--pairs", "10", "--rate", rs, "--size", "256", "--secs", "3",
	    NULL };

	snprintf(rs, sizeof rs, "%d", rate);
	if (relay_start(b, &r) == 0 && loadgen(b, &r, "register", out, sizeof out, 60, reg) == 0 &&
	    loadgen(b, &r, "latency", out, sizeof out, 60, args) == 0) {
		snprintf(name, sizeof name, "lat%dk_p50_us", rate / 1000);
		put(b, name, kv(out, "p50_us"));
		snprintf(name, sizeof name, "lat%dk_p99_us", rate / 1000);
		put(b, name, kv(out, "p99_us"));
	} else
		fprintf(stderr, "bench_relay: latency run at %d/s failed\n", rate);
	relay_stop(&r);
}

static void
bench_handshakes(struct bench *b)
{
	struct relay r = { .out = -1 };
	char out[OUT_MAX];
	const char *args[] = { "--count", "5000", "--conc", "32", NULL };
	double c0, c1, hs;

	if (relay_start(b, &r) == 0) {
		c0 = cpu_s(r.pid);
		if (loadgen(b, &r, "handshakes", out, sizeof out, 120, args) == 0) {
			c1 = cpu_s(r.pid);
			hs = kv(out, "handshakes_per_s");
			put(b, "handshakes_per_s", hs);
			if (c1 > c0)
				put(b, "handshakes_per_relay_cpu_s", kv(out, "done") / (c1 - c0));
		}
	}
	relay_stop(&r);
}

/* 10,000 connections finish the handshake and ping, then stay idle. */
static void
bench_idle(struct bench *b)
{
	struct relay r = { .out = -1 };
	char out[OUT_MAX];
	char *argv[] = { b->loadgen, "--count", "10000", "--conc", "64", NULL, "idle", NULL };
	int in[2], outp[2], st;
	long before, after;
	pid_t pid;
	double n;

	if (relay_start(b, &r) != 0)
		goto done;
	argv[5] = r.addr;
	usleep(200000);
	before = rss_kb(r.pid);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0)
		goto done;
	pid = spawn(argv, in[0], outp[1], NULL);
	close(in[0]);
	close(outp[1]);
	read_until(outp[0], out, sizeof out, 0, now_s() + 120, "\n");
	usleep(500000);         /* let the relay settle (pings answered, buffers returned) */
	after = rss_kb(r.pid);
	close(in[1]);           /* loadgen closes its connections and exits */
	waitpid(pid, &st, 0);
	close(outp[0]);
	n = kv(out, "ready");
	if (n <= 0 && strncmp(out, "ready ", 6) == 0)
		n = strtod(out + 6, NULL);
	if (n > 0) {
		put(b, "idle_conns", n);
		put(b, "idle_bytes_per_conn", (double)(after - before) * 1024.0 / n);
	}
done:
	relay_stop(&r);
}

/* 100 offline recipients, 1,000 envelopes each, put in batches of 64. */
static void
bench_queued(struct bench *b)
{
	struct relay r = { .out = -1 };
	char out[OUT_MAX];
	const char *reg[] = { "--pairs", "100", NULL };
	const char *args[] = { "--pairs", "100", "--count", "1000", "--batch", "64", "--window",
	    "4", "--size", "256", NULL };
	long before, after;
	double n;

	if (relay_start(b, &r) != 0 || loadgen(b, &r, "register", out, sizeof out, 60, reg) != 0)
		goto done;
	usleep(200000);
	before = rss_kb(r.pid);
	if (loadgen(b, &r, "fill", out, sizeof out, 300, args) != 0)
		goto done;
	/* The relay gives freed heap back after two idle seconds (server.c, trim). */
	usleep(2500000);
	after = rss_kb(r.pid);
	n = kv(out, "acked");
	if (n > 0) {
		put(b, "queued_envelopes", n);
		put(b, "queued_bytes_per_msg", (double)(after - before) * 1024.0 / n);
		put(b, "fill_batched_per_s", kv(out, "per_s"));
	}
done:
	relay_stop(&r);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The disk's floor, in the same run and folder as the relay's data: 4 KiB
 * written and fdatasync'd 1,000 times (what one commit costs at least).
 */
static void
bench_fdatasync(struct bench *b)
{
	enum { N = 1000 };
	static double t[N];
	char path[700], buf[4096];
	int fd, i;

	snprintf(path, sizeof path, "%s/fdatasync.probe", b->tmp);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return;
	memset(buf, 'x', sizeof buf);
	for (i = 0; i < N; i++) {
		double t0 = now_s();

		if (pwrite(fd, buf, sizeof buf, (off_t)(i % 64) * 4096) != (ssize_t)sizeof buf ||
		    fdatasync(fd) != 0)
			break;
		t[i] = now_s() - t0;
	}
	close(fd);
	unlink(path);
	if (i < N)
		return;
	qsort(t, N, sizeof t[0], cmp_double);
	put(b, "fdatasync_p50_us", t[N / 2] * 1e6);
	put(b, "fdatasync_p99_us", t[N * 99 / 100] * 1e6);
}

/* A PostgreSQL 15 cluster for the side-by-side runs (tests/e2e/pg.inc starts it). */
static int
pg_up(struct bench *b)
{
	char out[512], *nl;
	FILE *p;

	if (access("/usr/lib/postgresql/15/bin/initdb", X_OK) != 0)
		return -1;
	if ((p = popen("bash -c '. tests/e2e/pg.inc && pg_start >&2 && echo \"$PG_DIR\"'", "r")) ==
	    NULL)
		return -1;
	if (fgets(out, sizeof out, p) == NULL)
		out[0] = '\0';
	if (pclose(p) != 0 || out[0] != '/')
		return -1;
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	snprintf(b->pgdir, sizeof b->pgdir, "%s", out);
	return 0;
}

static void
pg_down(struct bench *b)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "bash -c '. tests/e2e/pg.inc && pg_attach %s && pg_cleanup'",
	    b->pgdir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_relay: could not stop the cluster in %s\n", b->pgdir);
}

/* "name value" lines into a small table. */
struct fig { char name[64]; double v; };

static size_t
load_figs(const char *path, struct fig *f, size_t cap)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp == NULL)
		return 0;
	while (n < cap && fscanf(fp, "%63s %lf", f[n].name, &f[n].v) == 2)
		n++;
	fclose(fp);
	return n;
}

static double
fig(const struct fig *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return f[i].v;
	return -1;
}

static void
print_ratio(double rel, double mq, int higher_better)
{
	if (mq == -1) {             /* no such figure */
		printf(" %14s %9s", "-", "");
		return;
	}
	if (mq <= 0 || rel <= 0) {
		printf(" %14.0f %9s", mq, "");
		return;
	}
	printf(" %14.0f %8.2fx", mq, higher_better ? rel / mq : mq / rel);
}

int
main(void)
{
	static const struct row {
		const char *label, *relay, *mosq, *unit;
		int higher_better;
	} rows[] = {
		{ "P=10 acknowledged puts/s", "pairs10_acked_per_s", "pairs10_acked_per_s", "/s", 1 },
		{ "P=10 deliveries/s", "pairs10_delivered_per_s", "pairs10_delivered_per_s", "/s", 1 },
		{ "P=100 acknowledged puts/s", "pairs100_acked_per_s", "pairs100_acked_per_s", "/s", 1 },
		{ "P=100 deliveries/s", "pairs100_delivered_per_s", "pairs100_delivered_per_s", "/s", 1 },
		{ "latency p50 at 1k/s", "lat1k_p50_us", "lat1k_p50_us", "us", 0 },
		{ "latency p99 at 1k/s", "lat1k_p99_us", "lat1k_p99_us", "us", 0 },
		{ "latency p50 at 10k/s", "lat10k_p50_us", "lat10k_p50_us", "us", 0 },
		{ "latency p99 at 10k/s", "lat10k_p99_us", "lat10k_p99_us", "us", 0 },
		{ "handshakes/s (mosquitto: connects/s)", "handshakes_per_s", "connects_per_s", "/s", 1 },
		{ "handshakes per relay CPU second", "handshakes_per_relay_cpu_s", "", "/s", 1 },
		{ "RSS per idle connection (10,000)", "idle_bytes_per_conn", "idle_bytes_per_conn", "B", 0 },
		{ "RSS per queued envelope (100,000)", "queued_bytes_per_msg", "queued_bytes_per_msg", "B", 0 },
	};
	struct bench b = { 0 };
	struct fig rel[64], mq[64];
	size_t nr, nm, i;
	char path[700], mpath[700], cmd[1200];
	struct rlimit rl;
	int have_mq;

	b.build = getenv("BUILD") != NULL ? getenv("BUILD") : "build";
	snprintf(b.relay, sizeof b.relay, "%s/attune-relay", b.build);
	snprintf(b.loadgen, sizeof b.loadgen, "%s/tools/loadgen", b.build);
	snprintf(path, sizeof path, "%s/tmp", b.build);
	mkdir(path, 0700);
	snprintf(b.tmp, sizeof b.tmp, "%s/tmp/bench_relay.%d", b.build, (int)getpid());
	if (access(b.relay, X_OK) != 0 || access(b.loadgen, X_OK) != 0) {
		printf("attune-relay or tools/loadgen not built in %s: skipped\n", b.build);
		return 0;
	}
	if (mkdir(b.tmp, 0700) != 0) {
		fprintf(stderr, "bench_relay: cannot create %s: %s\n", b.tmp, strerror(errno));
		return 1;
	}
	/* Both sides need 10,000+ descriptors; children inherit the raised limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof path, "%s/tmp/bench_relay.txt", b.build);
	b.res = fopen(path, "w");
	printf("attune-relay on 127.0.0.1, load from tools/loadgen (own Noise IK client, epoll) in "
	    "a separate process; 256-byte envelopes\n");
	fflush(stdout);
	b.prefix = "";
	bench_fdatasync(&b);
	bench_pairs(&b, 10);
	bench_pairs(&b, 100);
	bench_latency(&b, 1000);
	bench_latency(&b, 10000);
	bench_handshakes(&b);
	bench_idle(&b);
	bench_queued(&b);
	if (pg_up(&b) == 0) {
		printf("the same on PostgreSQL 15 (a cluster in %s, Unix socket, fsync on, "
		    "synchronous_commit on):\n", b.pgdir);
		b.prefix = "pg_";
		bench_pairs(&b, 10);
		bench_pairs(&b, 100);
		bench_latency(&b, 1000);
		bench_latency(&b, 10000);
		pg_down(&b);
		b.prefix = "";
	} else
		printf("PostgreSQL 15 not installed: its column is skipped\n");
	if (b.res != NULL)
		fclose(b.res);
	nr = load_figs(path, rel, 64);

	snprintf(mpath, sizeof mpath, "%s/tmp/bench_mosquitto.txt", b.build);
	nm = load_figs(mpath, mq, 64);
	have_mq = nm > 0;
	printf("\n%-38s %12s %12s %14s %9s %14s %9s\n", "", "relay SQLite", "relay PG",
	    "mosquitto RAM", "ratio", "mosq. durable", "ratio");
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		double r = fig(rel, nr, rows[i].relay);
		char dname[80];

		snprintf(dname, sizeof dname, "pg_%s", rows[i].relay);
		printf("%-38s %9.0f %-2s", rows[i].label, r, rows[i].unit);
		if (fig(rel, nr, dname) >= 0)
			printf(" %9.0f %-2s", fig(rel, nr, dname), rows[i].unit);
		else
			printf(" %12s", "-");
		if (!have_mq) {
			printf("\n");
			continue;
		}
		print_ratio(r, rows[i].mosq[0] ? fig(mq, nm, rows[i].mosq) : -1, rows[i].higher_better);
		snprintf(dname, sizeof dname, "durable_%s", rows[i].mosq);
		print_ratio(r, rows[i].mosq[0] ? fig(mq, nm, dname) : -1, rows[i].higher_better);
		printf("\n");
	}
	if (!have_mq)
		printf("mosquitto not installed: skipped (no %s; apt-get install mosquitto "
		    "libmosquitto-dev)\n", mpath);
	{
		static const char *const lat[] = { "lat1k_p50_us", "lat1k_p99_us", "lat10k_p50_us",
		    "lat10k_p99_us" };
		double f50 = fig(rel, nr, "fdatasync_p50_us"), f99 = fig(rel, nr, "fdatasync_p99_us");
		char pname[80];

		if (f50 > 0) {
			printf("this disk's fdatasync (4 KiB, same folder, same run): p50 %.0f us, p99 %.0f us;"
			    " delivery latency in multiples of the fdatasync p50:\n", f50, f99);
			for (i = 0; i < 4; i++) {
				snprintf(pname, sizeof pname, "pg_%s", lat[i]);
				printf("  %-16s SQLite %6.1fx", lat[i], fig(rel, nr, lat[i]) / f50);
				if (fig(rel, nr, pname) > 0)
					printf("   PostgreSQL %6.1fx", fig(rel, nr, pname) / f50);
				printf("\n");
			}
		}
	}
	printf("ratio: ratios compare the SQLite relay with mosquitto. How many times better attune-relay is (rates: relay/mosquitto; latency and "
	    "bytes: mosquitto/relay); below 1 means worse.\n");
	printf("attune-relay stores every put (fsync, synchronous=FULL) before it acknowledges it; "
	    "mosquitto acknowledges a QoS 1 publish before it stores it, even with "
	    "autosave_on_changes.\n");
	printf("mosquitto's connects are plain MQTT CONNECT/CONNACK; the relay's handshakes are Noise "
	    "IK (five X25519 operations per side). Both share this machine's 2 cores with the load generator.\n");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", b.tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_relay: could not remove %s\n", b.tmp);
	return 0;
}
