/*
 * daemon/history: the status and rain-check views built from the summary
 * and the indexes answer exactly as the whole window would, as histories
 * grow, arrive out of order and time passes; what status reads stays
 * bounded however long the history; a store written before the ref column
 * (schema version 0) is migrated on open and then answers the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "daemon/history.h"
#include "daemon/store.h"
#include "daemon/view.h"
#include "proto/err.h"
#include "proto/event.h"
#include "tests/unit/tutil.h"

#define NOW     UINT64_C(1800000000)
#define PEOPLE  3            /* 0 = me, 1 and 2 = partners */

struct fx {
	char *dir;
	char db[4200];
	uint8_t key[32];
	struct store *st;
	uint8_t person[PEOPLE][32];
	uint64_t rnd, done;
	/* ids of what was made, to refer to */
	uint8_t ids[4096][EVENT_ID_LEN];
	int kinds[4096], authors[4096];
	size_t n;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int i;

	assert_true(sodium_init() >= 0);
	f->dir = tutil_tmpdir("test_history");
	snprintf(f->db, sizeof(f->db), "%s/store.db", f->dir);
	randombytes_buf(f->key, sizeof(f->key));
	assert_int_equal(store_open(&f->st, f->db, f->key), 0);
	for (i = 0; i < PEOPLE; i++)
		randombytes_buf(f->person[i], 32);
	f->rnd = tutil_seed("test_history");
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

static unsigned
pick(struct fx *f, unsigned n)
{
	return (unsigned)(tutil_rand(&f->rnd) % n);
}

/* An earlier event of kind (and, author >= 0, by author); -1 when none. */
static int
earlier(struct fx *f, int kind, int author)
{
	int tries;

	for (tries = 0; tries < 20 && f->n > 0; tries++) {
		size_t i = f->n - 1 - pick(f, (unsigned)(f->n < 40 ? f->n : 40));

		if (f->kinds[i] == kind && (author < 0 || f->authors[i] == author))
			return (int)i;
	}
	return -1;
}

/*
 * One random event made at ts (often the very same second as the one
 * before, so arrival order decides), stored at now; history_update runs
 * after it when update is set, as the daemon does, else the reads catch up.
 */
static void
random_event(struct fx *f, uint64_t ts, uint64_t now, int update)
{
	struct event ev;
	unsigned r = pick(f, 100);
	int who = (int)pick(f, PEOPLE), i, late = 0;

	if (r < 45) {
		event_init(&ev, EVENT_CHECKIN);
		ev.mood = 1 + (int)pick(f, 5);
		ev.valid_until = pick(f, 4) == 0 ? 0 : ts + pick(f, 86400);
	} else if (r < 60) {
		event_init(&ev, EVENT_BID);
		snprintf(ev.bid_kind, sizeof(ev.bid_kind), "cuddle");
		if (pick(f, 2))
			ev.until_ts = ts + pick(f, 2 * 86400);
		else if (pick(f, 2))
			ev.from_ts = ts + pick(f, 86400);
	} else if (r < 82 && (i = earlier(f, EVENT_BID, -1)) >= 0) {
		event_init(&ev, EVENT_RESPONSE);
		memcpy(ev.ref, f->ids[i], EVENT_ID_LEN);
		ev.answer = (enum event_answer)(1 + pick(f, 3));
		if (pick(f, 2))
			ev.raincheck = ts - 3 * 86400 + pick(f, 6 * 86400);
		if (pick(f, 2) && (i = earlier(f, EVENT_CHECKIN, who)) >= 0) {
			ev.has_checkin = 1;
			memcpy(ev.checkin, f->ids[i], EVENT_ID_LEN);
		}
	} else if (r < 95) {
		int k = pick(f, 3) ? EVENT_CHECKIN : EVENT_BID;

		/* Mostly one's own; now and then someone else's, which counts for nothing. */
		if ((i = earlier(f, k, pick(f, 5) ? who : -1)) < 0)
			return;
		event_init(&ev, EVENT_RETRACT);
		memcpy(ev.ref, f->ids[i], EVENT_ID_LEN);
	} else if (r < 98) {
		event_init(&ev, EVENT_SPARK_MATCH);
		if (who == 0)
			who = 1;
	} else {
		struct event back;

		late = 1;
		/* Delivered out of order: a check-in's retraction before the check-in. */
		event_init(&ev, EVENT_CHECKIN);
		ev.mood = 4;
		event_new_id(&ev);
		event_init(&back, EVENT_RETRACT);
		event_new_id(&back);
		memcpy(back.ref, ev.id, EVENT_ID_LEN);
		back.ts = ts + 60;
		back.mine = who == 0;
		memcpy(back.author, f->person[who], 32);
		assert_int_equal(store_event_put(f->st, &back), 0);
		if (update)
			assert_int_equal(history_update(f->st, now), 0);
	}
	if (!late)
		event_new_id(&ev);
	ev.ts = ts;
	ev.mine = who == 0;
	memcpy(ev.author, f->person[who], 32);
	if (ev.mine) {
		memcpy(ev.to[0], f->person[1], 32);
		memcpy(ev.to[1], f->person[2], 32);
		ev.nto = 2;
	}
	assert_int_equal(store_event_put(f->st, &ev), 0);
	if (update)
		assert_int_equal(history_update(f->st, now), 0);
	if (f->n < 4096) {
		memcpy(f->ids[f->n], ev.id, EVENT_ID_LEN);
		f->kinds[f->n] = ev.kind;
		f->authors[f->n++] = who;
	}
}

/* The whole window, newest first: what the reads loaded before the summary. */
static void
window(struct fx *f, uint64_t since, struct view *w)
{
	assert_int_equal(store_event_page(f->st, since, 0, view_add_row, w), 0);
}

static int
all_partners(void *arg, const uint8_t person[32])
{
	(void)arg;
	(void)person;
	return 1;
}

/* The status rules of daemon/cmd_read.c, as a digest of one view. */
static int
bid_live(const struct view *v, const struct event *e, uint64_t now)
{
	const char *st = view_bid_state_at(v, e, now, all_partners, NULL);

	return strcmp(st, "retracted") != 0 && strcmp(st, "closed") != 0 && view_bid_closes(e) > now;
}

static int
raincheck_shown(const struct view *v, const struct event *e, uint64_t now)
{
	const struct event *bid;

	if (e->kind != EVENT_RESPONSE || e->raincheck == 0 || e->raincheck + 86400 < now ||
	    !view_answer_stands(v, e))
		return 0;
	bid = view_find(v, e->ref);
	return bid == NULL || !view_retracted(v, bid);
}

static void
digest(struct fx *f, const struct view *v, uint64_t now, char *out, size_t cap)
{
	char hex[EVENT_ID_HEX + 1];
	size_t i, j, len = 0;
	int p;

#define PUT(...) (len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, __VA_ARGS__))
	for (p = 0; p < PEOPLE; p++) {
		const struct event *c = view_latest_checkin(v, f->person[p], now);
		uint64_t spark = 0;

		if (c != NULL)
			event_id_hex(c->id, hex);
		PUT("checkin %d %s\n", p, c != NULL ? hex : "-");
		for (j = 0; j < v->n; j++)
			if (v->ev[j].kind == EVENT_SPARK_MATCH && v->ev[j].ts + VIEW_SPARK_SHOWN >= now &&
			    memcmp(v->ev[j].author, f->person[p], 32) == 0 && v->ev[j].ts > spark)
				spark = v->ev[j].ts;
		PUT("spark %d %llu\n", p, (unsigned long long)spark);
	}
	for (i = 0; i < v->n; i++) {
		const struct event *e = &v->ev[i];

		if (e->kind == EVENT_BID && bid_live(v, e, now)) {
			event_id_hex(e->id, hex);
			PUT("bid %s %s %zu %zu:", hex, view_bid_state(v, e), view_answers(v, e->id, 0),
			    view_answers(v, e->id, 1));
			for (j = 0; j < v->n; j++)
				if (v->ev[j].kind == EVENT_RESPONSE &&
				    memcmp(v->ev[j].ref, e->id, EVENT_ID_LEN) == 0) {
					const struct event *ci = v->ev[j].has_checkin ?
					    view_find(v, v->ev[j].checkin) : NULL;

					event_id_hex(v->ev[j].id, hex);
					PUT(" %s/%d/%zu/%d", hex, view_answer_stands(v, &v->ev[j]),
					    view_answers_by(v, e->id, v->ev[j].author), ci != NULL);
				}
			PUT("\n");
		}
		if (raincheck_shown(v, e, now)) {
			const struct event *bid = view_find(v, e->ref);

			event_id_hex(e->id, hex);
			PUT("raincheck %s %d\n", hex, bid != NULL);
		}
	}
#undef PUT
	assert_true(len < cap);
}

/* The rain-check service's rule (daemon/raincheck.c) as a digest. */
static void
digest_rc(const struct view *v, uint64_t now, uint64_t done, char *out, size_t cap)
{
	char hex[EVENT_ID_HEX + 1];
	uint64_t next = 0;
	size_t i, len = 0;

	for (i = 0; i < v->n; i++) {
		const struct event *e = &v->ev[i], *bid;

		if (!e->mine || e->kind != EVENT_RESPONSE || e->raincheck == 0 || e->raincheck <= done ||
		    !view_answer_stands(v, e))
			continue;
		if ((bid = view_find(v, e->ref)) != NULL && view_retracted(v, bid))
			continue;
		if (e->raincheck <= now) {
			event_id_hex(e->id, hex);
			len += (size_t)snprintf(out + len, cap - len, "due %s\n", hex);
		} else if (next == 0 || e->raincheck < next) {
			next = e->raincheck;
		}
		assert_true(len < cap);
	}
	snprintf(out + len, cap - len, "next %llu\n", (unsigned long long)next);
}

static void
same_as_window(struct fx *f, uint64_t now)
{
	static char want[1 << 16], got[1 << 16];
	struct view w = { 0 }, v = { 0 };
	uint64_t done = now - 86400 + pick(f, 3600);   /* announced up to about a day ago */

	if (done < f->done)
		done = f->done;                         /* what is announced stays announced */
	f->done = done;

	window(f, now - VIEW_WINDOW, &w);
	assert_int_equal(history_status_view(f->st, now, &v), 0);
	digest(f, &w, now, want, sizeof(want));
	digest(f, &v, now, got, sizeof(got));
	assert_string_equal(got, want);
	assert_true(v.n <= w.n);
	view_free(&w);
	view_free(&v);

	window(f, now - 2 * VIEW_WINDOW, &w);
	assert_int_equal(history_raincheck_view(f->st, now, done, &v), 0);
	digest_rc(&w, now, done, want, sizeof(want));
	digest_rc(&v, now, done, got, sizeof(got));
	assert_string_equal(got, want);
	view_free(&w);
	view_free(&v);
}

static void
test_status_view_is_the_window(void **state)
{
	struct fx *f = *state;
	uint64_t ts = NOW - 40 * 86400;
	int round, i;

	for (round = 0; round < 12; round++) {
		assert_int_equal(store_begin(f->st), 0);   /* one commit per round: quicker */
		for (i = 0; i < 150; i++) {
			/* Mostly in order, some late arrivals from days before. */
			uint64_t at = pick(f, 8) == 0 ? ts - pick(f, 3 * 86400) : ts;

			random_event(f, at, ts, pick(f, 4) != 0);
			if (pick(f, 3) == 0)
				ts += pick(f, 3 * 3600);
		}
		assert_int_equal(store_commit(f->st), 0);
		same_as_window(f, ts);
		ts += pick(f, 4 * 86400);   /* time passes with nothing new */
		same_as_window(f, ts);
	}
}

static void
test_status_reads_stay_bounded(void **state)
{
	struct fx *f = *state;
	struct view v = { 0 };
	struct event ev;
	int i;

	assert_int_equal(store_begin(f->st), 0);
	for (i = 0; i < 3000; i++) {
		event_init(&ev, EVENT_CHECKIN);
		event_new_id(&ev);
		ev.ts = NOW - 3000 + (uint64_t)i;
		ev.mood = 3;
		memcpy(ev.author, f->person[1 + i % 2], 32);
		assert_int_equal(store_event_put(f->st, &ev), 0);
	}
	assert_int_equal(store_commit(f->st), 0);
	/* 3000 check-ins in the window: status reads the newest of each person. */
	assert_int_equal(history_status_view(f->st, NOW, &v), 0);
	assert_int_equal(v.n, 2);
	view_free(&v);
	/* The newest is taken back: the one before it shows, still two rows. */
	event_init(&ev, EVENT_RETRACT);
	event_new_id(&ev);
	ev.ts = NOW;
	memcpy(ev.author, f->person[2], 32);
	assert_int_equal(history_status_view(f->st, NOW, &v), 0);
	memcpy(ev.ref, v.ev[0].id, EVENT_ID_LEN);
	view_free(&v);
	assert_int_equal(store_event_put(f->st, &ev), 0);
	assert_int_equal(history_status_view(f->st, NOW, &v), 0);
	assert_true(v.n <= 4);   /* two check-ins, the retraction, the retracted one at most */
	assert_non_null(view_latest_checkin(&v, f->person[2], NOW));
	assert_memory_not_equal(view_latest_checkin(&v, f->person[2], NOW)->id, ev.ref, EVENT_ID_LEN);
	view_free(&v);
}

/* Makes the store look as the previous version wrote it: no ref column, no summary. */
static void
to_version_0(struct fx *f)
{
	sqlite3 *db;

	store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP INDEX events_ref; DROP INDEX events_author;"
	    "ALTER TABLE events DROP COLUMN ref; DELETE FROM kv; PRAGMA user_version = 0",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int
user_version(struct fx *f)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int v = -1;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
test_version_0_store_is_migrated(void **state)
{
	struct fx *f = *state;
	uint64_t ts = NOW - 20 * 86400;
	int i;

	/* More than one migration batch, with answers and retractions to find. */
	assert_int_equal(store_begin(f->st), 0);
	for (i = 0; i < 700; i++, ts += 1800)
		random_event(f, ts, ts, 0);
	assert_int_equal(store_commit(f->st), 0);
	to_version_0(f);
	assert_int_equal(user_version(f), 0);
	assert_int_equal(store_open(&f->st, f->db, f->key), 0);
	assert_int_equal(user_version(f), 1);
	same_as_window(f, ts);
	/* Opening again finds nothing to do; new events get their ref as they come. */
	store_close(f->st);
	assert_int_equal(store_open(&f->st, f->db, f->key), 0);
	assert_int_equal(store_begin(f->st), 0);
	for (i = 0; i < 100; i++, ts += 600)
		random_event(f, ts, ts, 1);
	assert_int_equal(store_commit(f->st), 0);
	same_as_window(f, ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_view_is_the_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_reads_stay_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_0_store_is_migrated, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
