/*
 * Nothing in attune is global: one relay and two cores, Alex's and Sam's,
 * on one libuv loop in one process, talking over real TCP on 127.0.0.1
 * with real SQLite files and real libsodium. They pair, Alex checks in,
 * Sam bids, Alex answers, each seeing the other's events arrive through
 * the in-process push callback (daemon/attune.h). Then Alex goes away,
 * Sam checks in, and Alex's attune_core_sync_once fetches it. And a core on
 * a loop and thread of its own answers requests from two host threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "daemon/attune.h"
#include "proto/addr.h"
#include "proto/msg.h"
#include "relay/relaycfg.h"
#include "relay/server.h"
#include "relay/storage.h"
#include "tests/unit/tutil.h"

#define PUSHES_MAX 64

/* One device: a core and what its push callback saw. */
struct dev {
	const char *name;
	struct attune_core *core;
	char dir[4096];
	struct msg *push[PUSHES_MAX];
	size_t npush;
	uint64_t next_id;
};

struct world {
	uv_loop_t loop;
	struct server *relay;
	FILE *relay_log;
	char relay_dir[4096];
	char relay_addr[ADDR_STR_MAX];
	struct dev alex, sam;
};

static void
on_push(void *arg, const uint8_t *m, size_t len)
{
	struct dev *d = arg;
	struct msg *msg = NULL;

	assert_int_equal(msg_parse(m, len, NULL, &msg, NULL), 0);
	assert_true(d->npush < PUSHES_MAX);
	d->push[d->npush++] = msg;
}

/* The first push of type t (and, for "event", of event kind kind) from index from on. */
static const struct msg *
find_push(const struct dev *d, const char *t, const char *kind, size_t *at)
{
	size_t i;

	for (i = at != NULL ? *at : 0; i < d->npush; i++) {
		const msgpack_object *ev;
		char k[32];

		if (!msg_is_type(d->push[i], t))
			continue;
		if (kind != NULL && (msg_get_map(msg_root(d->push[i]), "event", &ev) != 0 ||
		    msg_get_strz(ev, "kind", k, sizeof(k)) != 0 || strcmp(k, kind) != 0))
			continue;
		if (at != NULL)
			*at = i + 1;
		return d->push[i];
	}
	return NULL;
}

static void
on_deadline(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Runs the loop until d has a push (t, kind) or 10 s pass. */
static const struct msg *
wait_push(struct world *w, struct dev *d, const char *t, const char *kind)
{
	const struct msg *m;
	uv_timer_t timer;
	int late = 0;

	uv_timer_init(&w->loop, &timer);
	timer.data = &late;
	uv_timer_start(&timer, on_deadline, 10000, 0);
	while ((m = find_push(d, t, kind, NULL)) == NULL && !late)
		uv_run(&w->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&w->loop, UV_RUN_NOWAIT);
	if (m == NULL)
		fail_msg("%s got no %s %s within 10 s", d->name, t, kind != NULL ? kind : "");
	return m;
}

/* Sends a request built by the caller; returns the parsed reply (NULL when it comes later). */
static struct msg *
request(struct dev *d, struct msg_out *o)
{
	uint8_t *reply = NULL;
	size_t len = 0;
	struct msg *m = NULL;

	assert_false(msg_out_failed(o));
	assert_int_equal(attune_core_request(d->core, msg_out_data(o), msg_out_len(o), &reply, &len), 0);
	msg_out_free(o);
	if (reply == NULL)
		return NULL;
	assert_int_equal(msg_parse(reply, len, NULL, &m, NULL), 0);
	attune_free(reply, len);
	return m;
}

/* A reply that must be of type t. */
static void
expect(struct msg *m, const char *t)
{
	char code[64] = "", text[256] = "";

	assert_non_null(m);
	if (!msg_is_type(m, t)) {
		msg_get_strz(msg_root(m), "code", code, sizeof(code));
		msg_get_strz(msg_root(m), "msg", text, sizeof(text));
		fail_msg("expected %s, got an error: %s: %s", t, code, text);
	}
}

static void
dev_open(struct world *w, struct dev *d, const char *name)
{
	struct attune_config cfg;
	char *dir = tutil_tmpdir(name);

	d->name = name;
	snprintf(d->dir, sizeof(d->dir), "%s/data", dir);
	free(dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = d->dir;
	cfg.loop = &w->loop;
	cfg.on_push = on_push;
	cfg.push_arg = d;
	cfg.backoff_max_ms = 200;
	assert_int_equal(attune_core_new(&d->core, &cfg), 0);
	assert_int_equal(attune_core_state(d->core), ATTUNE_NEW);
}

static void
dev_close(struct world *w, struct dev *d)
{
	size_t i;

	attune_core_free(d->core);
	d->core = NULL;
	uv_run(&w->loop, UV_RUN_NOWAIT);
	for (i = 0; i < d->npush; i++)
		msg_free(d->push[i]);
	d->npush = 0;
}

static void
relay_open(struct world *w)
{
	struct relaycfg cfg;
	char why[512], *dir = tutil_tmpdir("core_relay");

	snprintf(w->relay_dir, sizeof(w->relay_dir), "%s", dir);
	free(dir);
	relaycfg_defaults(&cfg);
	w->relay = calloc(1, sizeof(*w->relay));
	assert_non_null(w->relay);
	w->relay_log = fopen("/dev/null", "w");
	w->relay->log.f = w->relay_log;
	if (server_init(w->relay, &w->loop, w->relay_dir, &cfg, "127.0.0.1", 0, why, sizeof(why)) != 0)
		fail_msg("relay: %s", why);
	assert_true(server_address(w->relay, w->relay_addr, sizeof(w->relay_addr), "127.0.0.1") >= 0);
}

/* A one-use invite, as `attune-relay invite` makes it. */
static void
relay_invite(struct world *w, char *token)
{
	struct storage *st;
	char why[512];
	uint64_t now = (uint64_t)time(NULL);

	if (storage_open(&st, NULL, w->relay_dir, why, sizeof(why)) < 0)
		fail_msg("relay store: %s", why);
	assert_true(storage_invite_create(st, token, 1, now + 3600, now) >= 0);
	storage_close(st);
}

static void
relay_close(struct world *w)
{
	server_stop(w->relay);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	server_free(w->relay);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	free(w->relay);
	fclose(w->relay_log);
}

/*
 * Runs the loop until d's status says it is registered at the relay
 * (connected) and its outbox is empty, or about 10 s pass.
 */
static void
wait_settled(struct world *w, struct dev *d)
{
	uint64_t left = 1;
	int connected = 0, tries;

	for (tries = 0; tries < 200 && (left != 0 || !connected); tries++) {
		const msgpack_object *me;
		struct msg_out o;
		struct msg *m;

		msg_out_init(&o);
		msg_out_begin(&o, "status", ++d->next_id, 0);
		m = request(d, &o);
		expect(m, "status");
		assert_int_equal(msg_get_map(msg_root(m), "me", &me), 0);
		assert_int_equal(msg_get_uint(me, "outbox", UINT32_MAX, &left), 0);
		assert_int_equal(msg_get_bool(me, "connected", &connected), 0);
		msg_free(m);
		if (left != 0 || !connected)
			uv_run(&w->loop, UV_RUN_ONCE);
	}
	if (left != 0 || !connected)
		fail_msg("%s: still %s", d->name, connected ? "sending" : "not registered");
}

static struct msg *
init(struct dev *d, const char *relay, const char *invite)
{
	struct msg_out o;

	msg_out_init(&o);
	msg_out_begin(&o, "init", ++d->next_id, invite != NULL ? 3 : 2);
	msg_out_str(&o, "name", d->name);
	msg_out_str(&o, "relay", relay);
	if (invite != NULL)
		msg_out_str(&o, "invite", invite);
	return request(d, &o);
}

static void
checkin(struct dev *d, int mood, const char *note)
{
	struct msg_out o;
	struct msg *m;

	msg_out_init(&o);
	msg_out_begin(&o, "checkin", ++d->next_id, 4);
	msg_out_uint(&o, "mood", (uint64_t)mood);
	msg_out_uint(&o, "desire", 3);
	msg_out_uint(&o, "capacity", 4);
	msg_out_str(&o, "note", note);
	m = request(d, &o);
	expect(m, "ok");
	msg_free(m);
}

static void
test_two_cores_one_loop(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct msg_out o;
	struct msg *m;
	const struct msg *p;
	const msgpack_object *ev;
	char code[64], token[128], bid_id[64], note[64], who[64];
	int n;

	(void)state;
	assert_non_null(w);
	assert_int_equal(uv_loop_init(&w->loop), 0);
	relay_open(w);
	dev_open(w, &w->alex, "Alex");
	dev_open(w, &w->sam, "Sam");
	assert_int_equal(attune_core_start(w->alex.core), 0);
	assert_int_equal(attune_core_start(w->sam.core), 0);

	/* Each registers with an invite of the relay's operator. */
	relay_invite(w, token);
	m = init(&w->alex, w->relay_addr, token);
	expect(m, "ok");
	msg_free(m);
	relay_invite(w, token);
	m = init(&w->sam, w->relay_addr, token);
	expect(m, "ok");
	msg_free(m);
	assert_int_equal(attune_core_state(w->alex.core), ATTUNE_READY);
	wait_settled(w, &w->alex);
	wait_settled(w, &w->sam);

	/* Pair: Alex invites, Sam joins with the code; both replies come through the callback. */
	msg_out_init(&o);
	msg_out_begin(&o, "pair", 100, 0);
	assert_null(request(&w->alex, &o));
	p = wait_push(w, &w->alex, "pairing", NULL);
	assert_int_equal(msg_get_strz(msg_root(p), "code", code, sizeof(code)), 0);
	msg_out_init(&o);
	msg_out_begin(&o, "pair", 200, 1);
	msg_out_str(&o, "code", code);
	assert_null(request(&w->sam, &o));
	wait_push(w, &w->alex, "paired", NULL);
	wait_push(w, &w->sam, "paired", NULL);

	/* Alex checks in; Sam's core receives it and pushes it. */
	checkin(&w->alex, 4, "long day, good mood");
	p = wait_push(w, &w->sam, "event", "checkin");
	assert_int_equal(msg_get_map(msg_root(p), "event", &ev), 0);
	assert_int_equal(msg_get_strz(ev, "note", note, sizeof(note)), 0);
	assert_string_equal(note, "long day, good mood");
	assert_int_equal(msg_get_strz(ev, "author", who, sizeof(who)), 0);
	assert_string_equal(who, "Alex");

	/* Sam bids; Alex answers yes; Sam sees the answer. */
	msg_out_init(&o);
	msg_out_begin(&o, "bid", ++w->sam.next_id, 2);
	msg_out_str(&o, "note", "tonight?");
	msg_out_key(&o, "to");
	msgpack_pack_array(&o.pk, 1);
	msg_pack_str(&o.pk, "Alex");
	m = request(&w->sam, &o);
	expect(m, "ok");
	assert_int_equal(msg_get_strz(msg_root(m), "event_id", bid_id, sizeof(bid_id)), 0);
	msg_free(m);
	wait_push(w, &w->alex, "event", "bid");
	msg_out_init(&o);
	msg_out_begin(&o, "respond", ++w->alex.next_id, 2);
	msg_out_str(&o, "bid", bid_id);
	msg_out_str(&o, "answer", "yes");
	m = request(&w->alex, &o);
	expect(m, "ok");
	msg_free(m);
	p = wait_push(w, &w->sam, "event", "response");
	assert_int_equal(msg_get_map(msg_root(p), "event", &ev), 0);
	assert_int_equal(msg_get_strz(ev, "answer", note, sizeof(note)), 0);
	assert_string_equal(note, "yes");

	/* Alex goes away; Sam checks in twice; Alex's sync_once fetches both. */
	dev_close(w, &w->alex);
	checkin(&w->sam, 2, "tired");
	checkin(&w->sam, 3, "better now");
	{
		struct attune_config cfg;

		memset(&cfg, 0, sizeof(cfg));
		cfg.data_dir = w->alex.dir;
		cfg.loop = &w->loop;
		cfg.on_push = on_push;
		cfg.push_arg = &w->alex;
		assert_int_equal(attune_core_new(&w->alex.core, &cfg), 0);
		assert_int_equal(attune_core_state(w->alex.core), ATTUNE_READY);
	}
	/* Let Sam's puts reach the relay first: they sit in Sam's outbox until then. */
	wait_settled(w, &w->sam);
	n = attune_core_sync_once(w->alex.core, 10000);
	assert_true(n >= 2);
	p = wait_push(w, &w->alex, "event", "checkin");
	assert_non_null(p);
	msg_out_init(&o);
	msg_out_begin(&o, "status", 1, 0);
	m = request(&w->alex, &o);
	expect(m, "status");
	msg_free(m);

	dev_close(w, &w->alex);
	dev_close(w, &w->sam);
	relay_close(w);
	assert_int_equal(uv_loop_close(&w->loop), 0);
	free(w);
}

static void
on_push_count(void *arg, const uint8_t *m, size_t len)
{
	(void)m;
	(void)len;
	(*(int *)arg)++;
}

struct hammer {
	struct attune_core *core;
	int ok;
};

/* Another host thread sending requests while the main thread does too. */
static void
hammer_main(void *arg)
{
	struct hammer *h = arg;
	static const uint8_t ping[] = { 0x82, 0xa1, 't', 0xa4, 'p', 'i', 'n', 'g', 0xa2, 'i', 'd', 0x07 };
	int i;

	for (i = 0; i < 200; i++) {
		uint8_t *reply = NULL;
		size_t len = 0;

		if (attune_core_request(h->core, ping, sizeof(ping), &reply, &len) == 0 &&
		    len > 8 && memcmp(reply + 4, "pong", 4) == 0)
			h->ok++;
		attune_free(reply, len);
	}
}

/* The core on a loop and thread of its own: requests from two host threads. */
static void
test_own_thread(void **state)
{
	struct attune_config cfg;
	struct attune_core *core;
	struct dev d;
	struct hammer h;
	struct msg_out o;
	struct msg *m;
	uv_thread_t t;
	char *dir = tutil_tmpdir("core_thread");
	int pushes = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	memset(&cfg, 0, sizeof(cfg));
	snprintf(d.dir, sizeof(d.dir), "%s/data", dir);
	free(dir);
	cfg.data_dir = d.dir;
	cfg.on_push = on_push_count;
	cfg.push_arg = &pushes;
	assert_int_equal(attune_core_new(&core, &cfg), 0);
	assert_int_equal(attune_core_start(core), 0);
	d.name = "Jo";
	d.core = core;
	h.core = core;
	h.ok = 0;
	assert_int_equal(uv_thread_create(&t, hammer_main, &h), 0);
	msg_out_init(&o);
	msg_out_begin(&o, "status", 1, 0);
	m = request(&d, &o);
	assert_true(msg_is_type(m, "error"));   /* not set up yet */
	msg_free(m);
	msg_out_init(&o);
	msg_out_begin(&o, "init", 2, 1);
	msg_out_str(&o, "name", "Jo");
	m = request(&d, &o);
	expect(m, "ok");
	msg_free(m);
	msg_out_init(&o);
	msg_out_begin(&o, "status", 3, 0);
	m = request(&d, &o);
	expect(m, "status");
	msg_free(m);
	uv_thread_join(&t);
	assert_int_equal(h.ok, 200);
	assert_int_equal(attune_core_state(core), ATTUNE_READY);
	/* sync_once is for a core that is not started. */
	assert_true(attune_core_sync_once(core, 100) < 0);
	attune_core_free(core);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_cores_one_loop),
		cmocka_unit_test(test_own_thread),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
