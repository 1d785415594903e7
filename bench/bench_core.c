/*
 * bench_core: the embedded core's figures (daemon/attune.h), with a real
 * relay and two cores (Alex, Sam) on one loop in this process, on loopback,
 * in a fresh folder under $BUILD/tmp removed at the end. Printed, never
 * asserted.
 *
 *   attune_core_sync_once from a cold start with 10 envelopes waiting:
 *     Alex's core is freed, Sam checks in 10 times, then the clock runs
 *     from attune_core_new (opening keys and store) through sync_once
 *     (connect, handshake, fetch, open, store, ack) to its return;
 *     the best and the median of 5 rounds;
 *   the same wake-up as a process of its own: examples/embed's `sync`
 *     (a host with one core, nothing else) run with 10 envelopes waiting:
 *     its wall time from spawn to exit and its peak resident memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sodium.h>
#include <uv.h>

#include "daemon/attune.h"
#include "proto/addr.h"
#include "proto/msg.h"
#include "relay/relaycfg.h"
#include "relay/server.h"
#include "relay/storage.h"
#include "tests/unit/tutil.h"

#define ROUNDS 5
#define WAITING 10

struct dev {
	struct attune_core *core;
	char dir[700];
	int paired, events;
	char code[64];
	uint64_t id;
};

static uv_loop_t loop;
static char tmp[600];

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

	fprintf(stderr, "bench_core: %s\n", what);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (tmp[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "bench_core: could not remove %s\n", tmp);
	exit(1);
}

static void
on_push(void *arg, const uint8_t *m, size_t len)
{
	struct dev *d = arg;
	struct msg *msg = NULL;

	if (msg_parse(m, len, NULL, &msg, NULL) != 0)
		return;
	if (msg_is_type(msg, "pairing"))
		msg_get_strz(msg_root(msg), "code", d->code, sizeof(d->code));
	else if (msg_is_type(msg, "paired"))
		d->paired = 1;
	else if (msg_is_type(msg, "event"))
		d->events++;
	msg_free(msg);
}

/* Runs one request; returns its reply type in t (may be "" when the reply comes later). */
static void
call(struct dev *d, struct msg_out *o, char *t, size_t cap, const msgpack_object **me,
    struct msg **keep)
{
	uint8_t *reply = NULL;
	size_t len = 0;
	struct msg *m = NULL;

	if (msg_out_failed(o) ||
	    attune_core_request(d->core, msg_out_data(o), msg_out_len(o), &reply, &len) != 0)
		die("a request failed");
	msg_out_free(o);
	t[0] = '\0';
	if (reply == NULL)
		return;
	if (msg_parse(reply, len, NULL, &m, NULL) != 0)
		die("a reply does not parse");
	attune_free(reply, len);
	msg_get_strz(msg_root(m), "t", t, cap);
	if (me != NULL && msg_get_map(msg_root(m), "me", me) == 0 && keep != NULL) {
		*keep = m;
		return;
	}
	msg_free(m);
}

static void
open_dev(struct dev *d, const char *name)
{
	struct attune_config cfg;

	snprintf(d->dir, sizeof(d->dir), "%s/%s", tmp, name);
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = d->dir;
	cfg.loop = &loop;
	cfg.on_push = on_push;
	cfg.push_arg = d;
	if (attune_core_new(&d->core, &cfg) != 0)
		die("cannot open a core");
}

static void
close_dev(struct dev *d)
{
	attune_core_free(d->core);
	d->core = NULL;
	uv_run(&loop, UV_RUN_NOWAIT);
}

/* Runs the loop until d is connected with an empty outbox (or 20 s). */
static void
settle(struct dev *d)
{
	double until = now_ms() + 20000;

	while (now_ms() < until) {
		const msgpack_object *me = NULL;
		struct msg *m = NULL;
		struct msg_out o;
		uint64_t left = 1;
		int up = 0;
		char t[32];

		msg_out_init(&o);
		msg_out_begin(&o, "status", ++d->id, 0);
		call(d, &o, t, sizeof(t), &me, &m);
		if (m != NULL) {
			msg_get_uint(me, "outbox", UINT32_MAX, &left);
			msg_get_bool(me, "connected", &up);
			msg_free(m);
		}
		if (left == 0 && up)
			return;
		uv_run(&loop, UV_RUN_ONCE);
	}
	die("a core did not settle (connected, outbox empty) in 20 s");
}

static void
run_until(int *flag)
{
	double until = now_ms() + 20000;

	while (!*flag && now_ms() < until)
		uv_run(&loop, UV_RUN_ONCE);
	if (!*flag)
		die("timed out");
}

static void
on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	int *done = p->data;

	(void)sig;
	*done = status == 0 ? 1 : 2;
	uv_close((uv_handle_t *)p, NULL);
}

/* Runs `embed sync DIR` while this loop keeps the relay going; its wall time in ms. */
static double
spawn_embed(const char *dir, long *maxrss_kb)
{
	char path[700];
	char *args[4];
	uv_process_options_t opt;
	uv_stdio_container_t io[3];
	uv_process_t proc;
	struct rusage ru;
	const char *b = getenv("BUILD");
	int done = 0;
	double t0;

	snprintf(path, sizeof(path), "%s/examples/embed", b != NULL ? b : "build");
	args[0] = path;
	args[1] = (char *)"sync";
	args[2] = (char *)dir;
	args[3] = NULL;
	memset(&opt, 0, sizeof(opt));
	memset(io, 0, sizeof(io));
	io[0].flags = io[1].flags = io[2].flags = UV_IGNORE;
	opt.file = path;
	opt.args = args;
	opt.exit_cb = on_exit_cb;
	opt.stdio = io;
	opt.stdio_count = 3;
	proc.data = &done;
	t0 = now_ms();
	if (uv_spawn(&loop, &proc, &opt) != 0)
		die("cannot run examples/embed (make bench builds it with make check's binaries)");
	while (!done)
		uv_run(&loop, UV_RUN_ONCE);
	t0 = now_ms() - t0;
	if (done != 1)
		die("examples/embed sync failed");
	getrusage(RUSAGE_CHILDREN, &ru);
	*maxrss_kb = ru.ru_maxrss;
	return t0;
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
	struct server *relay;
	struct relaycfg rcfg;
	struct storage *st;
	struct dev alex, sam;
	struct msg_out o;
	char why[512], addr[ADDR_STR_MAX], token[128], t[32], cmd[700];
	double ms[ROUNDS], proc_ms;
	long peak = 0;
	int round, i, n = 0, got = 0;
	FILE *devnull;
	char *dir;

	if (sodium_init() < 0 || uv_loop_init(&loop) != 0)
		return 1;
	memset(&alex, 0, sizeof(alex));
	memset(&sam, 0, sizeof(sam));
	dir = tutil_tmpdir("bench_core");
	snprintf(tmp, sizeof(tmp), "%s", dir);
	free(dir);
	relay = calloc(1, sizeof(*relay));
	devnull = fopen("/dev/null", "w");
	relay->log.f = devnull;
	relaycfg_defaults(&rcfg);
	snprintf(cmd, sizeof(cmd), "%s/relay", tmp);
	if (server_init(relay, &loop, strdup(cmd), &rcfg, "127.0.0.1", 0, why, sizeof(why)) != 0)
		die(why);
	if (server_address(relay, addr, sizeof(addr), "127.0.0.1") < 0)
		die("no relay address");

	open_dev(&alex, "alex");
	open_dev(&sam, "sam");
	attune_core_start(alex.core);
	attune_core_start(sam.core);
	for (i = 0; i < 2; i++) {
		struct dev *d = i == 0 ? &alex : &sam;
		uint64_t now = (uint64_t)time(NULL);

		if (storage_open(&st, NULL, cmd, why, sizeof(why)) < 0 ||
		    storage_invite_create(st, token, 1, now + 3600, now) < 0)
			die("cannot make an invite");
		storage_close(st);
		msg_out_init(&o);
		msg_out_begin(&o, "init", ++d->id, 3);
		msg_out_str(&o, "name", i == 0 ? "Alex" : "Sam");
		msg_out_str(&o, "relay", addr);
		msg_out_str(&o, "invite", token);
		call(d, &o, t, sizeof(t), NULL, NULL);
		if (strcmp(t, "ok") != 0)
			die("init failed");
		settle(d);
	}
	msg_out_init(&o);
	msg_out_begin(&o, "pair", ++alex.id, 0);
	call(&alex, &o, t, sizeof(t), NULL, NULL);
	while (alex.code[0] == '\0' && n++ < 2000)
		uv_run(&loop, UV_RUN_ONCE);
	msg_out_init(&o);
	msg_out_begin(&o, "pair", ++sam.id, 1);
	msg_out_str(&o, "code", alex.code);
	call(&sam, &o, t, sizeof(t), NULL, NULL);
	run_until(&alex.paired);
	run_until(&sam.paired);
	settle(&alex);
	settle(&sam);

	for (round = 0; round < ROUNDS; round++) {
		close_dev(&alex);
		for (i = 0; i < WAITING; i++) {
			msg_out_init(&o);
			msg_out_begin(&o, "checkin", ++sam.id, 4);
			msg_out_uint(&o, "mood", 3);
			msg_out_uint(&o, "desire", 2);
			msg_out_uint(&o, "capacity", 3);
			msg_out_str(&o, "note", "a note of ordinary length, like most of them are");
			call(&sam, &o, t, sizeof(t), NULL, NULL);
			if (strcmp(t, "ok") != 0)
				die("checkin failed");
		}
		settle(&sam);
		alex.events = 0;
		{
			double t0 = now_ms();
			struct attune_config cfg;

			memset(&cfg, 0, sizeof(cfg));
			cfg.data_dir = alex.dir;
			cfg.loop = &loop;
			cfg.on_push = on_push;
			cfg.push_arg = &alex;
			if (attune_core_new(&alex.core, &cfg) != 0)
				die("cannot reopen Alex's core");
			got = attune_core_sync_once(alex.core, 5000);
			ms[round] = now_ms() - t0;
		}
		if (got < WAITING)
			fprintf(stderr, "bench_core: round %d fetched %d of %d\n", round, got, WAITING);
	}
	/* Once more, as a process of its own. */
	close_dev(&alex);
	for (i = 0; i < WAITING; i++) {
		msg_out_init(&o);
		msg_out_begin(&o, "checkin", ++sam.id, 3);
		msg_out_uint(&o, "mood", 3);
		msg_out_uint(&o, "desire", 2);
		msg_out_uint(&o, "capacity", 3);
		call(&sam, &o, t, sizeof(t), NULL, NULL);
	}
	settle(&sam);
	proc_ms = spawn_embed(alex.dir, &peak);
	qsort(ms, ROUNDS, sizeof(ms[0]), cmp_double);
	printf("embedded core (in-process, loopback relay):\n");
	printf("  sync_once from cold start, %d envelopes waiting: best %.1f ms, median %.1f ms "
	    "(core_new + connect + fetch + store + ack; %d fetched in the last round)\n",
	    WAITING, ms[0], ms[ROUNDS / 2], got);
	printf("  the same wake-up as its own process (examples/embed sync): %.1f ms from spawn to exit, "
	    "peak RSS %ld KiB\n", proc_ms, peak);


	close_dev(&sam);
	server_stop(relay);
	uv_run(&loop, UV_RUN_DEFAULT);
	server_free(relay);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	fclose(devnull);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_core: could not remove %s\n", tmp);
	return 0;
}
