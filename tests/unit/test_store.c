/*
 * daemon/store: sealed rows, transactions, duplicates, retention, and the
 * promise that a search of the data folder finds no note and no name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>

#include "proto/event.h"
#include "daemon/store.h"
#include "proto/err.h"
#include "tests/unit/tutil.h"

struct fx {
	char *dir;
	char db[4200];
	uint8_t key[32];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_true(sodium_init() >= 0);
	f->dir = tutil_tmpdir("test_store");
	snprintf(f->db, sizeof(f->db), "%s/store.db", f->dir);
	randombytes_buf(f->key, sizeof(f->key));
	assert_int_equal(store_open(&f->st, f->db, f->key), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	char cmd[4200];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->dir);
	free(f);
	return 0;
}

static void
reopen(struct fx *f)
{
	store_close(f->st);
	assert_int_equal(store_open(&f->st, f->db, f->key), 0);
}

static void
make_checkin(struct event *ev, const uint8_t author[32], uint64_t ts, const char *note)
{
	event_init(ev, EVENT_CHECKIN);
	event_new_id(ev);
	memcpy(ev->author, author, 32);
	ev->ts = ts;
	ev->mood = 2;
	ev->desire = 1;
	ev->capacity = 3;
	snprintf(ev->note, sizeof(ev->note), "%s", note);
}

struct collect {
	int n, stop_after;
	char notes[8][16];
};

static int
collect_fn(void *arg, const struct event *ev)
{
	struct collect *c = arg;

	if (c->n < 8)
		snprintf(c->notes[c->n], sizeof(c->notes[0]), "%.15s", ev->note);
	c->n++;
	return c->stop_after != 0 && c->n >= c->stop_after;
}

static void
test_wrong_key(void **state)
{
	struct fx *f = *state;
	struct store *other;
	uint8_t bad[32];

	store_close(f->st);
	f->st = NULL;
	memcpy(bad, f->key, 32);
	bad[0] ^= 1;
	assert_int_equal(store_open(&other, f->db, bad), ATT_EDECRYPT);
	assert_null(other);
	assert_int_equal(store_open(&f->st, f->db, f->key), 0);
}

static void
test_events(void **state)
{
	struct fx *f = *state;
	struct event a, b, c, got;
	uint8_t alex[32], sam[32];

	randombytes_buf(alex, 32);
	randombytes_buf(sam, 32);
	make_checkin(&a, alex, 1000, "first");
	make_checkin(&b, sam, 3000, "third");
	make_checkin(&c, alex, 2000, "second");
	assert_int_equal(store_event_put(f->st, &a), 0);
	assert_int_equal(store_event_put(f->st, &b), 0);
	assert_int_equal(store_event_put(f->st, &c), 0);
	/* Duplicate ids are refused: sync drops redelivered messages this way. */
	assert_int_equal(store_event_put(f->st, &a), ATT_EEXIST);
	assert_int_equal(store_event_has(f->st, a.id), 1);
	assert_int_equal(store_event_get(f->st, c.id, &got), 0);
	assert_string_equal(got.note, "second");
	assert_int_equal(got.mood, 2);
	assert_memory_equal(got.author, alex, 32);
	reopen(f);

	/* Newest first; since filters. */
	{
		struct collect col = { 0 };

		assert_int_equal(store_event_each(f->st, 0, collect_fn, &col), 0);
		assert_int_equal(col.n, 3);
		assert_string_equal(col.notes[0], "third");
		assert_string_equal(col.notes[1], "second");
		assert_string_equal(col.notes[2], "first");
		memset(&col, 0, sizeof(col));
		assert_int_equal(store_event_each(f->st, 1500, collect_fn, &col), 0);
		assert_int_equal(col.n, 2);
		memset(&col, 0, sizeof(col));
		col.stop_after = 1;
		assert_int_equal(store_event_each(f->st, 0, collect_fn, &col), 0);
		assert_int_equal(col.n, 1);
	}

	snprintf(got.note, sizeof(got.note), "edited");
	assert_int_equal(store_event_update(f->st, &got), 0);
	assert_int_equal(store_event_get(f->st, c.id, &got), 0);
	assert_string_equal(got.note, "edited");

	assert_int_equal(store_event_remove_author(f->st, sam), 0);
	assert_int_equal(store_event_has(f->st, b.id), 0);
	assert_int_equal(store_retention(f->st, 1500), 0);
	assert_int_equal(store_event_has(f->st, a.id), 0);
	assert_int_equal(store_event_has(f->st, c.id), 1);
	assert_int_equal(store_event_get(f->st, a.id, &got), ATT_ENOTFOUND);
}

static void
test_transactions(void **state)
{
	struct fx *f = *state;
	struct event a, b;
	uint8_t who[32];

	randombytes_buf(who, 32);
	make_checkin(&a, who, 10, "rolled back");
	make_checkin(&b, who, 11, "kept");
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_event_put(f->st, &a), 0);
	assert_int_equal(store_session_save(f->st, who, (const uint8_t *)"s1", 2), 0);
	store_rollback(f->st);
	assert_int_equal(store_event_has(f->st, a.id), 0);
	{
		uint8_t *blob;
		size_t len;
		assert_int_equal(store_session_load(f->st, who, &blob, &len), ATT_ENOTFOUND);
	}
	/* Nested: the inner rollback undoes only its part. */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_event_put(f->st, &b), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_event_put(f->st, &a), 0);
	store_rollback(f->st);
	assert_int_equal(store_commit(f->st), 0);
	reopen(f);
	assert_int_equal(store_event_has(f->st, b.id), 1);
	assert_int_equal(store_event_has(f->st, a.id), 0);
	assert_int_equal(store_commit(f->st), ATT_ESTATE);
}

static void
test_outbox(void **state)
{
	struct fx *f = *state;
	struct store_outbox_item *items;
	uint8_t to1[32], to2[32], env[300];
	int64_t s1, s2;
	uint64_t n;
	size_t cnt;

	randombytes_buf(to1, 32);
	randombytes_buf(to2, 32);
	randombytes_buf(env, sizeof(env));
	assert_int_equal(store_outbox_add(f->st, to1, env, 100, &s1), 0);
	assert_int_equal(store_outbox_add(f->st, to2, env, 300, &s2), 0);
	assert_true(s2 > s1);
	reopen(f);   /* durable across a restart */
	assert_int_equal(store_outbox_count(f->st, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_outbox_list(f->st, 10, &items, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(items[0].seq, s1);
	assert_memory_equal(items[0].to, to1, 32);
	assert_int_equal(items[0].len, 100);
	assert_memory_equal(items[0].env, env, 100);
	assert_memory_equal(items[1].to, to2, 32);
	assert_int_equal(items[1].len, 300);
	store_outbox_free(items, cnt);
	assert_int_equal(store_outbox_list(f->st, 1, &items, &cnt), 0);
	assert_int_equal(cnt, 1);
	store_outbox_free(items, cnt);
	assert_int_equal(store_outbox_remove(f->st, s1), 0);
	assert_int_equal(store_outbox_count(f->st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_outbox_add(f->st, to1, env, STORE_ENV_MAX + 1, NULL), ATT_ETOOBIG);
}

static void
test_partners_devices(void **state)
{
	struct fx *f = *state;
	struct store_partner p1 = { 0 }, p2 = { 0 }, got, *list;
	struct store_device d1 = { 0 }, d2 = { 0 }, dg, *devs;
	size_t n;

	randombytes_buf(p1.person, 32);
	randombytes_buf(p2.person, 32);
	snprintf(p1.name, sizeof(p1.name), "Sam");
	snprintf(p2.name, sizeof(p2.name), "Sam");
	p1.added = p2.added = 5;
	assert_int_equal(store_partner_put(f->st, &p1), 0);
	assert_int_equal(store_partner_put(f->st, &p2), 0);
	assert_string_equal(p2.name, "Sam (2)");   /* names stay unique */
	assert_int_equal(store_partner_put(f->st, &p1), 0);   /* same person: no suffix */
	assert_string_equal(p1.name, "Sam");
	assert_int_equal(store_partner_by_name(f->st, "Sam (2)", &got), 0);
	assert_memory_equal(got.person, p2.person, 32);
	assert_int_equal(store_partner_by_name(f->st, "Jo", &got), ATT_ENOTFOUND);
	assert_int_equal(store_partner_seen(f->st, p1.person, 77), 0);
	assert_int_equal(store_partner_get(f->st, p1.person, &got), 0);
	assert_int_equal(got.last_seen, 77);
	assert_int_equal(store_partner_list(f->st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "Sam");
	assert_string_equal(list[1].name, "Sam (2)");
	free(list);

	randombytes_buf(d1.relay, 32);
	randombytes_buf(d2.relay, 32);
	memcpy(d1.person, p1.person, 32);
	memcpy(d2.person, p2.person, 32);
	d1.record_len = 201;
	memset(d1.record, 0xab, 201);
	assert_int_equal(store_device_put(f->st, &d1), 0);
	assert_int_equal(store_device_put(f->st, &d2), 0);
	assert_int_equal(store_session_save(f->st, d1.relay, (const uint8_t *)"sess", 4), 0);
	assert_int_equal(store_device_get(f->st, d1.relay, &dg), 0);
	assert_int_equal(dg.record_len, 201);
	assert_memory_equal(dg.record, d1.record, 201);
	assert_int_equal(store_device_list(f->st, p1.person, &devs, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(devs[0].relay, d1.relay, 32);
	free(devs);
	assert_int_equal(store_device_list(f->st, NULL, &devs, &n), 0);
	assert_int_equal(n, 2);
	free(devs);
	d1.revoked = 1;
	assert_int_equal(store_device_put(f->st, &d1), 0);
	assert_int_equal(store_device_get(f->st, d1.relay, &dg), 0);
	assert_true(dg.revoked);

	/* Removing a partner takes their devices and sessions along. */
	assert_int_equal(store_partner_remove(f->st, p1.person), 0);
	assert_int_equal(store_partner_get(f->st, p1.person, &got), ATT_ENOTFOUND);
	assert_int_equal(store_device_get(f->st, d1.relay, &dg), ATT_ENOTFOUND);
	{
		uint8_t *blob;
		size_t len;
		assert_int_equal(store_session_load(f->st, d1.relay, &blob, &len), ATT_ENOTFOUND);
	}
	assert_int_equal(store_device_get(f->st, d2.relay, &dg), 0);
}

static void
test_sessions_prekeys_kv(void **state)
{
	struct fx *f = *state;
	uint8_t peer[32], blob[500], *out;
	size_t len;
	uint64_t n;
	char s[32];

	randombytes_buf(peer, 32);
	randombytes_buf(blob, sizeof(blob));
	assert_int_equal(store_session_save(f->st, peer, blob, 500), 0);
	assert_int_equal(store_session_save(f->st, peer, blob, 400), 0);   /* replaces */
	assert_int_equal(store_session_load(f->st, peer, &out, &len), 0);
	assert_int_equal(len, 400);
	assert_memory_equal(out, blob, 400);
	store_blob_free(out, len);

	assert_int_equal(store_prekey_put(f->st, 7, blob, 32), 0);
	assert_int_equal(store_prekey_put(f->st, 8, blob + 32, 32), 0);
	assert_int_equal(store_prekey_count(f->st, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_prekey_get(f->st, 8, &out, &len), 0);
	assert_int_equal(len, 32);
	assert_memory_equal(out, blob + 32, 32);
	store_blob_free(out, len);
	assert_int_equal(store_prekey_remove(f->st, 7), 0);
	assert_int_equal(store_prekey_get(f->st, 7, &out, &len), ATT_ENOTFOUND);

	assert_int_equal(store_kv_set_str(f->st, "relay", "attune://127.0.0.1:1/x"), 0);
	assert_int_equal(store_kv_get_str(f->st, "relay", s, sizeof(s)), 0);
	assert_string_equal(s, "attune://127.0.0.1:1/x");
	assert_int_equal(store_kv_get_str(f->st, "relay", s, 5), ATT_ETOOBIG);
	assert_int_equal(store_kv_del(f->st, "relay"), 0);
	assert_int_equal(store_kv_get_str(f->st, "relay", s, sizeof(s)), ATT_ENOTFOUND);
}

/* 1 when any file in dir contains needle. */
static int
folder_contains(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	assert_non_null(d);
	while (!found && (e = readdir(d)) != NULL) {
		char path[4400];
		FILE *fp;
		char *buf;
		long sz;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fp = fopen(path, "rb");
		if (fp == NULL)
			continue;
		fseek(fp, 0, SEEK_END);
		sz = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		buf = malloc((size_t)sz + 1);
		if (sz > 0 && fread(buf, 1, (size_t)sz, fp) == (size_t)sz)
			found = memmem(buf, (size_t)sz, needle, strlen(needle)) != NULL;
		free(buf);
		fclose(fp);
	}
	closedir(d);
	return found;
}

static void
test_nothing_in_clear(void **state)
{
	struct fx *f = *state;
	struct store_partner p = { 0 };
	struct event ev;
	uint8_t me[32];

	randombytes_buf(me, 32);
	randombytes_buf(p.person, 32);
	snprintf(p.name, sizeof(p.name), "Marigoldina");
	assert_int_equal(store_partner_put(f->st, &p), 0);
	make_checkin(&ev, me, 100, "zebra sunset whisper");
	snprintf(ev.tags.w[0], sizeof(ev.tags.w[0]), "touched-out");
	ev.tags.n = 1;
	assert_int_equal(store_event_put(f->st, &ev), 0);
	assert_int_equal(store_kv_set_str(f->st, "name", "Quillonia"), 0);
	/* The WAL and the main file both. */
	assert_false(folder_contains(f->dir, "zebra sunset"));
	assert_false(folder_contains(f->dir, "Marigoldina"));
	assert_false(folder_contains(f->dir, "Quillonia"));
	assert_false(folder_contains(f->dir, "touched-out"));
	assert_false(folder_contains(f->dir, "mood"));
	store_close(f->st);
	f->st = NULL;
	assert_false(folder_contains(f->dir, "zebra sunset"));
	assert_int_equal(store_open(&f->st, f->db, f->key), 0);
	/* A positive control: the search does find what is written in clear. */
	assert_true(folder_contains(f->dir, "SQLite format"));
}

/* A sealed row moved onto another row's identity does not open. */
static void
test_rows_bound_to_identity(void **state)
{
	struct fx *f = *state;
	uint8_t a[32], b[32], *out;
	size_t len;
	char cmd[4600];

	randombytes_buf(a, 32);
	randombytes_buf(b, 32);
	assert_int_equal(store_session_save(f->st, a, (const uint8_t *)"AAAA", 4), 0);
	assert_int_equal(store_session_save(f->st, b, (const uint8_t *)"BBBB", 4), 0);
	store_close(f->st);
	f->st = NULL;
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"UPDATE sessions SET body = (SELECT body FROM sessions "
	    "ORDER BY rid LIMIT 1)\" 2>/dev/null", f->db);
	if (system(cmd) != 0) {
		assert_int_equal(store_open(&f->st, f->db, f->key), 0);
		skip();
	}
	assert_int_equal(store_open(&f->st, f->db, f->key), 0);
	/* One of the two now carries the other's body: it must fail to open. */
	{
		int ra = store_session_load(f->st, a, &out, &len);

		if (ra == 0)
			store_blob_free(out, len);
		if (ra != ATT_EDECRYPT) {
			int rb = store_session_load(f->st, b, &out, &len);

			if (rb == 0)
				store_blob_free(out, len);
			assert_int_equal(rb, ATT_EDECRYPT);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partners_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions_prekeys_kv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_in_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_bound_to_identity, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
