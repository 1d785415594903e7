/*
 * An app hosting the attune core in-process: no attuned, no socket.
 *
 *   embed pair DATA RELAY INVITE CODE
 *	sets this device up as "Alex" in DATA (registering at RELAY with
 *	INVITE), pairs with whoever shows CODE, then waits for their first
 *	check-in and prints it. This is the app in the foreground: the core runs
 *	on the app's libuv loop and events arrive through the push callback.
 *
 *   embed sync DATA
 *	what a phone runs when a push notification wakes it: open the core,
 *	attune_core_sync_once (connect, fetch, store, acknowledge), print what
 *	arrived while the app was not running, and end.
 *
 * Requests are the local API's msgpack maps (docs/PROTOCOL.md section 8),
 * built here with msgpack-c; only daemon/attune.h is used of attune.
 * Built and run by `make check` (tests/e2e/embed_example.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include <uv.h>

#include "daemon/attune.h"

struct app {
	struct attune_core *core;
	uv_loop_t loop;
	int paired, checkins, failed;
	uint64_t next_id;
};

/* The string under key in map o, copied into out ("" when absent). */
static void
get_str(const msgpack_object *o, const char *key, char *out, size_t cap)
{
	uint32_t i;

	out[0] = '\0';
	if (o->type != MSGPACK_OBJECT_MAP)
		return;
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(key) &&
		    memcmp(k->via.str.ptr, key, k->via.str.size) == 0 && v->type == MSGPACK_OBJECT_STR) {
			snprintf(out, cap, "%.*s", (int)v->via.str.size, v->via.str.ptr);
			return;
		}
	}
}

static const msgpack_object *
get_obj(const msgpack_object *o, const char *key)
{
	uint32_t i;

	if (o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(key) &&
		    memcmp(k->via.str.ptr, key, k->via.str.size) == 0)
			return &o->via.map.ptr[i].val;
	}
	return NULL;
}

/* Pushes: "paired" ends pairing, "event" carries a partner's check-in. */
static void
on_push(void *arg, const uint8_t *m, size_t len)
{
	struct app *app = arg;
	msgpack_unpacked u;
	const msgpack_object *ev, *mood;
	char t[32], kind[32], who[64], note[1200], partner[64];

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)m, len, NULL) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&u);
		return;
	}
	get_str(&u.data, "t", t, sizeof(t));
	if (strcmp(t, "paired") == 0) {
		get_str(&u.data, "partner", partner, sizeof(partner));
		printf("paired with %s\n", partner);
		app->paired = 1;
	} else if (strcmp(t, "error") == 0) {
		get_str(&u.data, "msg", note, sizeof(note));
		printf("error: %s\n", note);
		app->failed = 1;
	} else if (strcmp(t, "event") == 0 && (ev = get_obj(&u.data, "event")) != NULL) {
		get_str(ev, "kind", kind, sizeof(kind));
		get_str(ev, "author", who, sizeof(who));
		get_str(ev, "note", note, sizeof(note));
		mood = get_obj(ev, "mood");
		if (strcmp(kind, "checkin") == 0) {
			printf("check-in from %s: mood %d, \"%s\"\n", who,
			    mood != NULL && mood->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
			    (int)mood->via.u64 : 0, note);
			app->checkins++;
		}
	}
	fflush(stdout);
	msgpack_unpacked_destroy(&u);
}

/* Sends {"t":type,"id":N, pairs...} (string values); prints an error reply. */
static int
request(struct app *app, const char *type, int npairs, const char *const *pairs)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	uint8_t *reply = NULL;
	size_t len = 0;
	char t[32] = "", text[256];
	int i, r;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2 + (size_t)npairs);
	msgpack_pack_str_with_body(&pk, "t", 1);
	msgpack_pack_str_with_body(&pk, type, strlen(type));
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_uint64(&pk, ++app->next_id);
	for (i = 0; i < 2 * npairs; i++)
		msgpack_pack_str_with_body(&pk, pairs[i], strlen(pairs[i]));
	r = attune_core_request(app->core, (const uint8_t *)sb.data, sb.size, &reply, &len);
	msgpack_sbuffer_destroy(&sb);
	if (r != 0) {
		fprintf(stderr, "embed: %s: %s\n", type, attune_core_strerror(r));
		return 1;
	}
	if (reply == NULL)
		return 0;   /* the answer comes through the push callback */
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)reply, len, NULL) == MSGPACK_UNPACK_SUCCESS)
		get_str(&u.data, "t", t, sizeof(t));
	if (strcmp(t, "error") == 0) {
		get_str(&u.data, "msg", text, sizeof(text));
		fprintf(stderr, "embed: %s: %s\n", type, text);
		r = 1;
	}
	msgpack_unpacked_destroy(&u);
	attune_free(reply, len);
	return r;
}

static void
on_tick(uv_timer_t *t)
{
	struct app *app = t->data;

	/* Stop the loop once we have what we came for. */
	if (app->failed || (app->paired && app->checkins > 0))
		uv_stop(&app->loop);
}

static void
on_timeout(uv_timer_t *t)
{
	struct app *app = t->data;

	fprintf(stderr, "embed: gave up waiting (paired: %d, check-ins: %d)\n", app->paired,
	    app->checkins);
	app->failed = 1;
	uv_stop(&app->loop);
}

static int
open_core(struct app *app, const char *data)
{
	struct attune_config cfg;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = data;
	cfg.loop = &app->loop;
	cfg.on_push = on_push;
	cfg.push_arg = app;
	cfg.backoff_max_ms = 500;
	r = attune_core_new(&app->core, &cfg);
	if (r != 0)
		fprintf(stderr, "embed: cannot open the core in %s: %s\n", data, attune_core_strerror(r));
	return r;
}

static void
close_core(struct app *app)
{
	attune_core_free(app->core);
	uv_run(&app->loop, UV_RUN_DEFAULT);   /* the core's last handles close */
	uv_loop_close(&app->loop);
}

static int
cmd_pair(struct app *app, const char *data, const char *relay, const char *invite,
    const char *code)
{
	const char *init[] = { "name", "Alex", "relay", relay, "invite", invite };
	const char *pair[] = { "code", code };
	uv_timer_t tick, timeout;

	if (open_core(app, data) != 0)
		return 1;
	if (request(app, "init", 3, init) != 0 || attune_core_start(app->core) != 0 ||
	    request(app, "pair", 1, pair) != 0) {
		close_core(app);
		return 1;
	}
	uv_timer_init(&app->loop, &tick);
	uv_timer_init(&app->loop, &timeout);
	tick.data = timeout.data = app;
	uv_timer_start(&tick, on_tick, 50, 50);
	uv_timer_start(&timeout, on_timeout, 20000, 0);
	uv_run(&app->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_close((uv_handle_t *)&timeout, NULL);
	close_core(app);
	return app->failed ? 1 : 0;
}

static int
cmd_sync(struct app *app, const char *data)
{
	int n;

	if (open_core(app, data) != 0)
		return 1;
	n = attune_core_sync_once(app->core, 5000);
	if (n < 0)
		fprintf(stderr, "embed: sync_once: %s\n", attune_core_strerror(n));
	else
		printf("fetched %d envelope(s)\n", n);
	close_core(app);
	return n < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct app app;

	memset(&app, 0, sizeof(app));
	if (uv_loop_init(&app.loop) != 0)
		return 1;
	if (argc == 6 && strcmp(argv[1], "pair") == 0)
		return cmd_pair(&app, argv[2], argv[3], argv[4], argv[5]);
	if (argc == 3 && strcmp(argv[1], "sync") == 0)
		return cmd_sync(&app, argv[2]);
	fprintf(stderr, "usage: embed pair DATA RELAY INVITE CODE\n       embed sync DATA\n");
	uv_loop_close(&app.loop);
	return 2;
}
