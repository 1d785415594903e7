/*
 * bench_history: what attuned's frequent reads cost as the history grows.
 * A real relay and two real daemons (Alex and Sam) are set up and paired
 * with a real code in a fresh folder under $BUILD/tmp; Alex's data folder
 * is then copied once per size and filled with 1k, 10k and 100k events
 * through the store module (real sealing, the same rows the daemon writes):
 * Sam's and Alex's check-ins, bids both ways, answers with the check-in
 * they were given with, rain checks and retractions, spread over the last
 * 80 days (inside the default 90-day retention). Then attuned runs on each
 * copy and the figures are printed, never asserted:
 *
 *   RSS of the started daemon, after its first `status` (the first status
 *     may catch up on history written while it was not running), and
 *     after 20 more `status` calls and the `log` pages;
 *   `status`: the first call, then p50 / max of 20;
 *   `log` (since 90 days): the first page p50 of 5, and one page from the
 *     middle of the history (offset N/2).
 */
#include <fcntl.h>
#include <sodium.h>
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

#include "daemon/history.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "proto/event.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "tests/unit/tutil.h"

#define SPAN (80 * 86400)    /* the generated history covers the last 80 days */
#define N_STATUS 20

static char build[512], tmp[600];
static pid_t children[8];
static int nchildren;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
die(const char *what)
{
	char cmd[700];
	int i;

	fprintf(stderr, "bench_history: %s\n", what);
	for (i = 0; i < nchildren; i++)
		if (children[i] > 0)
			kill(children[i], SIGTERM);
	for (i = 0; i < nchildren; i++)
		if (children[i] > 0)
			waitpid(children[i], NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (tmp[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "bench_history: could not remove %s\n", tmp);
	exit(1);
}

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

static void
stop(pid_t pid)
{
	int i;

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	for (i = 0; i < nchildren; i++)
		if (children[i] == pid)
			children[i] = 0;
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

/* Sends o and reads the reply; returns it parsed (NULL at EOF). */
static struct msg *
call(int fd, struct msg_out *o)
{
	static uint8_t body[FRAME_MAX];
	uint8_t hdr[FRAME_HDR];
	struct msg *m = NULL;
	size_t len;

	frame_put_header(hdr, msg_out_len(o));
	if (write(fd, hdr, FRAME_HDR) != FRAME_HDR ||
	    write(fd, msg_out_data(o), msg_out_len(o)) != (ssize_t)msg_out_len(o))
		die("write to attuned failed");
	if (read_all(fd, hdr, FRAME_HDR) != 0)
		return NULL;
	len = ((size_t)hdr[0] << 8) | hdr[1];
	if (read_all(fd, body, len) != 0)
		return NULL;
	if (msg_parse(body, len, NULL, &m, NULL) != 0)
		return NULL;
	return m;
}

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

static pid_t
start_daemon(const char *home)
{
	char *argv[2];
	char path[800];
	pid_t pid;
	int i;

	snprintf(path, sizeof(path), "%s/attuned", build);
	argv[0] = path;
	argv[1] = NULL;
	pid = spawn(argv, home, -1);
	for (i = 0; i < 3000; i++) {
		int fd = connect_home(home);

		if (fd >= 0) {
			close(fd);
			return pid;
		}
		usleep(10000);
	}
	die("attuned did not start");
	return -1;
}

static int
connected(const char *home)
{
	char cmd[1600];

	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' status", home, build);
	return strstr(first_line(cmd), "\"connected\":true") != NULL;
}

static void
apic(const char *home, const char *args)
{
	char cmd[2400];

	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' %s >/dev/null", home, build, args);
	if (system(cmd) != 0)
		die(args);
}

/* A relay, Alex and Sam initialised and paired; both daemons stopped again. */
static void
set_up(const char *alex, const char *sam)
{
	char cmd[2400], addr[256], token[128], code[128], path[800], dir[700];
	int pipefd[2], i;
	pid_t pa, ps;
	FILE *rout, *pair;

	if (pipe(pipefd) != 0)
		die("pipe");
	snprintf(path, sizeof(path), "%s/attune-relay", build);
	snprintf(dir, sizeof(dir), "%s/relay", tmp);
	{
		char *argv[] = { path, "--listen", "127.0.0.1:0", "--data", dir, NULL };

		spawn(argv, NULL, pipefd[1]);
	}
	close(pipefd[1]);
	rout = fdopen(pipefd[0], "r");
	addr[0] = '\0';
	while (fgets(cmd, sizeof(cmd), rout) != NULL)
		if (sscanf(cmd, "address: %255s", addr) == 1)
			break;
	fclose(rout);
	if (addr[0] == '\0')
		die("the relay did not start");
	snprintf(cmd, sizeof(cmd), "'%s/attune-relay' invite --uses 2 --data '%s'", build, dir);
	snprintf(token, sizeof(token), "%s", first_line(cmd));
	mkdir(alex, 0700);
	mkdir(sam, 0700);
	pa = start_daemon(alex);
	ps = start_daemon(sam);
	snprintf(cmd, sizeof(cmd), "init name=Alex relay='%s' invite='%s'", addr, token);
	apic(alex, cmd);
	snprintf(cmd, sizeof(cmd), "init name=Sam relay='%s' invite='%s'", addr, token);
	apic(sam, cmd);
	for (i = 0; i < 100 && !connected(alex); i++)
		usleep(100000);
	snprintf(cmd, sizeof(cmd), "ATTUNE_HOME='%s' '%s/tools/apic' -n 1 pair", alex, build);
	pair = popen(cmd, "r");
	if (pair == NULL || fgets(cmd, sizeof(cmd), pair) == NULL)
		die("pair did not start");
	{
		char *c = strstr(cmd, "\"code\":\"");

		if (c == NULL)
			die("no pairing code");
		code[0] = '\0';
		sscanf(c + 8, "%127[^\"]", code);
	}
	snprintf(cmd, sizeof(cmd), "-n 1 pair code='%s'", code);
	apic(sam, cmd);
	pclose(pair);
	sleep(2);
	stop(pa);
	stop(ps);
}

/* ---- the history ---- */

struct gen {
	struct store *st;
	uint8_t me[32], sam[32];
	uint64_t rnd;
	uint8_t my_checkin[EVENT_ID_LEN], sam_checkin[EVENT_ID_LEN];
	uint8_t sam_bid[EVENT_ID_LEN], my_bid[EVENT_ID_LEN];
	int have_mine, have_sams, have_sam_bid, have_my_bid;
	uint64_t next_bid, next_retract;
	int answer_due, bid_was_mine;
};

static const char *const tags[] = { "tired", "stressed", "relaxed", "playful", "busy", "anxious" };
static const char *const opens[] = { "cuddle", "talk", "massage", "date", "sex", "space" };
static const char *const notes[] = { "", "", "long day", "miss you", "can we talk later?",
	"slept badly, be gentle with me today", "" };

static unsigned
pick(struct gen *g, unsigned n)
{
	return (unsigned)(tutil_rand(&g->rnd) % n);
}

static void
words(struct gen *g, struct event_words *w, const char *const *from, unsigned n)
{
	unsigned i, k = pick(g, 3);

	w->n = 0;
	for (i = 0; i < k; i++)
		snprintf(w->w[w->n++], sizeof(w->w[0]), "%s", from[(pick(g, n) + i) % n]);
	if (k == 2 && strcmp(w->w[0], w->w[1]) == 0)
		w->n = 1;
}

/*
 * One event at ts. Bids, answers and retractions come at a person's pace
 * (a bid about every 18 hours, most answered, a third of those with a rain
 * check; a retraction every few days), whatever the size of the history;
 * the rest are check-ins, which is what makes a history long.
 */
static void
gen_one(struct gen *g, uint64_t ts)
{
	struct event ev;
	unsigned r;
	int mine = pick(g, 2);
	char why[160];

	if (g->next_bid == 0) {
		g->next_bid = ts + 9 * 3600 + pick(g, 18 * 3600);
		g->next_retract = ts + 2 * 86400 + pick(g, 3 * 86400);
	}
	if (g->answer_due) {
		r = 90;                       /* answer the bid just made */
		mine = !g->bid_was_mine;
		g->answer_due = 0;
	} else if (ts >= g->next_bid) {
		r = 85;
		g->next_bid = ts + 9 * 3600 + pick(g, 18 * 3600);
		g->answer_due = pick(g, 10) < 8;
		g->bid_was_mine = mine;
	} else if (ts >= g->next_retract && g->have_mine) {
		r = 99;
		mine = 1;
		g->next_retract = ts + 2 * 86400 + pick(g, 3 * 86400);
	} else {
		r = 0;
	}
	if (r < 80) {
		event_init(&ev, EVENT_CHECKIN);
		ev.mood = 1 + (int)pick(g, 5);
		ev.desire = (int)pick(g, 6);
		ev.capacity = (int)pick(g, 6);
		words(g, &ev.tags, tags, 6);
		words(g, &ev.open_to, opens, 6);
		snprintf(ev.note, sizeof(ev.note), "%s", notes[pick(g, 7)]);
		ev.valid_until = ts + 12 * 3600;
	} else if (r < 88) {
		event_init(&ev, EVENT_BID);
		snprintf(ev.bid_kind, sizeof(ev.bid_kind), "%s", opens[pick(g, 5)]);
		if (pick(g, 2))
			ev.until_ts = ts + 4 * 3600;
	} else if (r < 97 && (mine ? g->have_sam_bid : g->have_my_bid)) {
		event_init(&ev, EVENT_RESPONSE);
		memcpy(ev.ref, mine ? g->sam_bid : g->my_bid, EVENT_ID_LEN);
		ev.answer = (enum event_answer)(1 + pick(g, 3));
		if (ev.answer == ANSWER_LATER)
			ev.raincheck = ts + 86400 + pick(g, 2 * 86400);
		if (mine ? g->have_mine : g->have_sams) {
			ev.has_checkin = 1;
			memcpy(ev.checkin, mine ? g->my_checkin : g->sam_checkin, EVENT_ID_LEN);
		}
		if (mine)
			g->have_sam_bid = 0;
		else
			g->have_my_bid = 0;
	} else if (mine && g->have_mine) {
		event_init(&ev, EVENT_RETRACT);
		memcpy(ev.ref, g->my_checkin, EVENT_ID_LEN);
		g->have_mine = 0;
	} else {
		return;
	}
	event_new_id(&ev);
	ev.ts = ts;
	ev.mine = mine;
	memcpy(ev.author, mine ? g->me : g->sam, 32);
	if (mine) {
		memcpy(ev.to[0], g->sam, 32);
		ev.nto = 1;
	}
	if (event_validate(&ev, why, sizeof(why)) != 0)
		die(why);
	if (store_event_put(g->st, &ev) != 0)
		die("cannot store an event");
	if (ev.kind == EVENT_CHECKIN) {
		memcpy(mine ? g->my_checkin : g->sam_checkin, ev.id, EVENT_ID_LEN);
		*(mine ? &g->have_mine : &g->have_sams) = 1;
	} else if (ev.kind == EVENT_BID) {
		memcpy(mine ? g->my_bid : g->sam_bid, ev.id, EVENT_ID_LEN);
		*(mine ? &g->have_my_bid : &g->have_sam_bid) = 1;
	}
}

/* Writes n events, oldest first, into the store of the data folder under home. */
static void
generate(const char *home, long n)
{
	char dir[900], db[900];
	struct keys *k;
	struct store_partner *ps;
	size_t np;
	struct gen g;
	uint64_t now = (uint64_t)time(NULL);
	long i;

	memset(&g, 0, sizeof(g));
	g.rnd = 0x5eed + (uint64_t)n;
	snprintf(dir, sizeof(dir), "%s/data/keys", home);
	snprintf(db, sizeof(db), "%s/data/store.db", home);
	if (keys_load(&k, dir) != 0 || keys_locked(k))
		die("cannot load Alex's keys");
	if (store_open(&g.st, db, keys_storage(k)) != 0)
		die("cannot open Alex's store");
	memcpy(g.me, keys_person_pk(k), 32);
	keys_free(k);
	if (store_partner_list(g.st, &ps, &np) != 0 || np != 1)
		die("Alex should have one partner");
	memcpy(g.sam, ps[0].person, 32);
	free(ps);
	for (i = 0; i < n; i++) {
		if (i % 1000 == 0 && store_begin(g.st) != 0)
			die("store_begin");
		/* oldest first, as they would have arrived; the newest one a minute ago */
		gen_one(&g, now - 60 - (uint64_t)((double)SPAN * (double)(n - i) / (double)n));
		if ((i % 1000 == 999 || i == n - 1) && store_commit(g.st) != 0)
			die("store_commit");
	}
	/*
	 * A daemon that had been running would have announced the rain checks
	 * already due and kept its summary up to date as events came in.
	 */
	{
		char done[32];
		double t0 = now_ms();

		snprintf(done, sizeof(done), "%llu", (unsigned long long)now);
		if (store_kv_set_str(g.st, "raincheck_done", done) != 0 || history_update(g.st, now) != 0)
			die("cannot bring the summary up to date");
		printf("%6ld events: summary built in one pass (once, e.g. after an upgrade): %.0f ms\n",
		    n, now_ms() - t0);
	}
	store_close(g.st);
}

/* ---- the figures ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What status shows besides check-ins: open bids both ways and rain checks. */
static size_t
shown(const struct msg *m)
{
	static const char *const keys[] = { "bids_to_me", "bids_from_me", "rainchecks" };
	const msgpack_object *items;
	size_t i, n, all = 0;

	for (i = 0; i < 3; i++)
		if (msg_get_array(msg_root(m), keys[i], 100000, &items, &n) == 0)
			all += n;
	return all;
}

/* One call, timed; *next gets a log page's "next", *nshown what a status shows. */
static double
timed(int fd, struct msg_out *o, const char *want, uint64_t *next, size_t *nshown)
{
	double t0 = now_ms(), t;
	struct msg *m = call(fd, o);

	t = now_ms() - t0;
	if (m == NULL || !msg_is_type(m, want))
		die("a read was refused");
	if (next != NULL && msg_get_uint(msg_root(m), "next", UINT64_MAX, next) != 0)
		die("log has no next");
	if (nshown != NULL)
		*nshown = shown(m);
	msg_free(m);
	return t;
}

static long
rss(pid_t pid)
{
	return tutil_proc_field((int)pid, "status", "VmRSS:");
}

static void
measure(const char *template, long n)
{
	char home[800], cmd[2000];
	struct msg_out o;
	double first, st[N_STATUS], lg[5], mid;
	long rss0, rss1, rss2;
	uint64_t next = 0;
	size_t nshown = 0;
	pid_t pid;
	int fd, i;

	snprintf(home, sizeof(home), "%s/h%ld", tmp, n);
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", template, home);
	if (system(cmd) != 0)
		die("cannot copy the set-up");
	generate(home, n);
	pid = start_daemon(home);
	usleep(300000);
	rss0 = rss(pid);
	fd = connect_home(home);
	if (fd < 0)
		die("cannot connect");
	msg_out_init(&o);
	msg_out_begin(&o, "status", 1, 0);
	first = timed(fd, &o, "status", NULL, &nshown);
	rss1 = rss(pid);
	for (i = 0; i < N_STATUS; i++)
		st[i] = timed(fd, &o, "status", NULL, NULL);
	for (i = 0; i < 5; i++) {
		msg_out_reset(&o);
		msg_out_begin(&o, "log", 2, 1);
		msg_out_uint(&o, "since", (uint64_t)time(NULL) - 90 * 86400);
		lg[i] = timed(fd, &o, "log", &next, NULL);
	}
	msg_out_reset(&o);
	msg_out_begin(&o, "log", 3, 2);
	msg_out_uint(&o, "since", (uint64_t)time(NULL) - 90 * 86400);
	msg_out_uint(&o, "offset", (uint64_t)n / 2);
	mid = timed(fd, &o, "log", NULL, NULL);
	rss2 = rss(pid);
	msg_out_free(&o);
	close(fd);
	qsort(st, N_STATUS, sizeof(st[0]), cmp_double);
	qsort(lg, 5, sizeof(lg[0]), cmp_double);
	printf("%6ld events: status first %.1f ms, p50 %.2f ms, max %.2f ms (%zu open bids and rain checks); "
	    "log page p50 %.1f ms (%llu events), middle page %.1f ms\n",
	    n, first, st[N_STATUS / 2], st[N_STATUS - 1], nshown, lg[2], (unsigned long long)next, mid);
	printf("%6s         RSS started %ld KiB, after first status %ld KiB, after the reads %ld KiB\n",
	    "", rss0, rss1, rss2);
	fflush(stdout);
	stop(pid);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	if (system(cmd) != 0)
		die("cannot remove a copy");
}

int
main(void)
{
	static const long sizes[] = { 0, 1000, 10000, 100000 };
	const char *b = getenv("BUILD");
	char cmd[1400], alex[700], sam[700];
	size_t i;

	if (sodium_init() < 0)
		die("libsodium");
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
	snprintf(tmp, sizeof(tmp), "%s/tmp/bench_history.%d", build, (int)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s/relay'", tmp, tmp);
	if (system(cmd) != 0)
		die("cannot make the temporary folder");
	snprintf(alex, sizeof(alex), "%s/alex", tmp);
	snprintf(sam, sizeof(sam), "%s/sam", tmp);
	set_up(alex, sam);
	printf("history in Alex's store (80 days; Alex's attuned connected to a real relay):\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		measure(alex, sizes[i]);
	for (i = 0; i < (size_t)nchildren; i++)
		if (children[i] > 0)
			stop(children[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_history: could not remove %s\n", tmp);
	return 0;
}
