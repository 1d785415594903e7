/*
 * The events table: one sealed row per event, found by a keyed hash of its
 * id; only the timestamp stays in clear (retention and ordering need it).
 * Two more keyed hashes make the frequent reads indexed: the author's (which
 * rows are one person's) and ref (which rows refer to the same event).
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/be.h"
#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"

/*
 * The ref column: what a response or a retraction refers to, as a keyed hash
 * in its own domain (not the target's rid, so a row cannot be linked to the
 * event it answers without the key); random bytes for check-ins and bids, so
 * every row has one and the kinds look alike. Rows that refer to the same
 * event share a value: that is what the column is for (answers and
 * retractions of a bid found by index, not by opening the history).
 */
static void
store_event_bind_ref(const struct store *st, sqlite3_stmt *s, int col, const struct event *ev)
{
	uint8_t ref[RID_LEN];

	if (ev->kind == EVENT_RESPONSE || ev->kind == EVENT_RETRACT)
		store_rid(st, ref, "ref", ev->ref, EVENT_ID_LEN);
	else
		randombytes_buf(ref, sizeof(ref));
	sqlite3_bind_blob(s, col, ref, RID_LEN, SQLITE_TRANSIENT);
}

static int
store_event_write(struct store *st, const struct event *ev, int replace)
{
	uint8_t rid[RID_LEN], aid[RID_LEN];
	struct msg_out mo;
	int r;

	store_rid(st, rid, "event", ev->id, EVENT_ID_LEN);
	store_rid(st, aid, "person", ev->author, EVENT_KEY_LEN);
	msg_out_init(&mo);
	r = event_pack_store(&mo, ev);
	if (r == 0 && msg_out_failed(&mo))
		r = ATT_ENOMEM;
	if (r == 0) {
		uint8_t *c;
		size_t cl;
		sqlite3_stmt *s;

		r = store_seal(st, "events", rid, RID_LEN, msg_out_data(&mo), msg_out_len(&mo), &c, &cl);
		if (r == 0) {
			s = store_prep(st, replace ?
			    "UPDATE events SET ts = ?1, author = ?2, body = ?3, ref = ?5 WHERE rid = ?4" :
			    "INSERT INTO events (ts, author, body, rid, ref) VALUES (?1, ?2, ?3, ?4, ?5)");
			if (s == NULL) {
				free(c);
				r = ATT_EIO;
			} else {
				sqlite3_bind_int64(s, 1, (sqlite3_int64)ev->ts);
				sqlite3_bind_blob(s, 2, aid, RID_LEN, SQLITE_TRANSIENT);
				sqlite3_bind_blob(s, 3, c, (int)cl, free);
				sqlite3_bind_blob(s, 4, rid, RID_LEN, SQLITE_TRANSIENT);
				store_event_bind_ref(st, s, 5, ev);
				r = store_step_done(s);
				if (r == 0 && replace && sqlite3_changes(st->db) == 0)
					r = ATT_ENOTFOUND;
			}
		}
	}
	msg_out_free(&mo);
	return r;
}

int
store_event_put(struct store *st, const struct event *ev)
{
	return store_event_write(st, ev, 0);
}

int
store_event_update(struct store *st, const struct event *ev)
{
	return store_event_write(st, ev, 1);
}

static int
store_event_decode(struct store *st, sqlite3_stmt *s, int rid_col, int body_col, struct event *out)
{
	uint8_t *pt;
	size_t pl;
	int r;

	if (sqlite3_column_bytes(s, rid_col) != RID_LEN)
		return ATT_ECORRUPT;
	r = store_open_body(st, "events", sqlite3_column_blob(s, rid_col), RID_LEN,
	    sqlite3_column_blob(s, body_col), (size_t)sqlite3_column_bytes(s, body_col), &pt, &pl);
	if (r != 0)
		return r;
	r = event_unpack_store(out, pt, pl);
	store_blob_free(pt, pl);
	return r;
}

int
store_event_get(struct store *st, const uint8_t id[16], struct event *out)
{
	uint8_t rid[RID_LEN];
	sqlite3_stmt *s = store_prep(st, "SELECT rid, body FROM events WHERE rid = ?");
	int r;

	if (s == NULL)
		return ATT_EIO;
	store_rid(st, rid, "event", id, EVENT_ID_LEN);
	sqlite3_bind_blob(s, 1, rid, RID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		r = store_event_decode(st, s, 0, 1, out);
	else
		r = r == SQLITE_DONE ? ATT_ENOTFOUND : ATT_EIO;
	sqlite3_finalize(s);
	return r;
}

int
store_event_has(struct store *st, const uint8_t id[16])
{
	uint8_t rid[RID_LEN];
	sqlite3_stmt *s = store_prep(st, "SELECT 1 FROM events WHERE rid = ?");
	int r;

	if (s == NULL)
		return ATT_EIO;
	store_rid(st, rid, "event", id, EVENT_ID_LEN);
	sqlite3_bind_blob(s, 1, rid, RID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : ATT_EIO;
}

int
store_event_each(struct store *st, uint64_t since, store_event_fn fn, void *arg)
{
	sqlite3_stmt *s = store_prep(st,
	    "SELECT rid, body FROM events WHERE ts >= ? ORDER BY ts DESC, seq DESC");
	struct event *ev;
	int r = 0, rc;

	if (s == NULL)
		return ATT_EIO;
	ev = malloc(sizeof(*ev));
	if (ev == NULL) {
		sqlite3_finalize(s);
		return ATT_ENOMEM;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(since > INT64_MAX ? INT64_MAX : since));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = store_event_decode(st, s, 0, 1, ev);
		if (r != 0)
			break;
		if (fn(arg, ev) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = ATT_EIO;
	sodium_memzero(ev, sizeof(*ev));
	free(ev);
	sqlite3_finalize(s);
	return r;
}

int
store_retention(struct store *st, uint64_t before)
{
	sqlite3_stmt *s = store_prep(st, "DELETE FROM events WHERE ts < ?");
	int r;

	if (s == NULL)
		return ATT_EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(before > INT64_MAX ? INT64_MAX : before));
	r = store_step_done(s);
	if (r == 0 && st->depth == 0)
		r = store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
	return r;
}

int
store_event_remove_author(struct store *st, const uint8_t person[32])
{
	uint8_t aid[RID_LEN];
	sqlite3_stmt *s = store_prep(st, "DELETE FROM events WHERE author = ?");

	if (s == NULL)
		return ATT_EIO;
	store_rid(st, aid, "person", person, 32);
	sqlite3_bind_blob(s, 1, aid, RID_LEN, SQLITE_TRANSIENT);
	return store_step_done(s);
}

/* ---- events: indexed reads (the frequent reads cost what they show, not the history) ---- */

/* Calls fn for each (seq, rid, body) row of s; finalizes s. */
static int
store_event_rows(struct store *st, sqlite3_stmt *s, store_row_fn fn, void *arg)
{
	struct event *ev = malloc(sizeof(*ev));
	int r = 0, rc = SQLITE_DONE;

	if (ev == NULL) {
		sqlite3_finalize(s);
		return ATT_ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = store_event_decode(st, s, 1, 2, ev);
		if (r != 0 || fn(arg, ev, sqlite3_column_int64(s, 0)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = ATT_EIO;
	sodium_memzero(ev, sizeof(*ev));
	free(ev);
	sqlite3_finalize(s);
	return r;
}

static sqlite3_int64
store_ts_arg(uint64_t ts)
{
	return (sqlite3_int64)(ts > INT64_MAX ? INT64_MAX : ts);
}

int
store_event_after(struct store *st, int64_t after, store_row_fn fn, void *arg)
{
	sqlite3_stmt *s = store_prep(st, "SELECT seq, rid, body FROM events WHERE seq > ? ORDER BY seq");

	if (s == NULL)
		return ATT_EIO;
	sqlite3_bind_int64(s, 1, after);
	return store_event_rows(st, s, fn, arg);
}

struct store_find {
	struct event *out;
	int64_t seq;
	int found;
};

static int
store_find_fn(void *arg, const struct event *ev, int64_t seq)
{
	struct store_find *f = arg;

	*f->out = *ev;
	f->seq = seq;
	f->found = 1;
	return 1;
}

int
store_event_find(struct store *st, const uint8_t id[EVENT_ID_LEN], uint64_t since,
    struct event *out, int64_t *seq)
{
	struct store_find f = { .out = out };
	uint8_t rid[RID_LEN];
	sqlite3_stmt *s = store_prep(st, "SELECT seq, rid, body FROM events WHERE rid = ? AND ts >= ?");
	int r;

	if (s == NULL)
		return ATT_EIO;
	store_rid(st, rid, "event", id, EVENT_ID_LEN);
	sqlite3_bind_blob(s, 1, rid, RID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, store_ts_arg(since));
	r = store_event_rows(st, s, store_find_fn, &f);
	if (r == 0 && !f.found)
		r = ATT_ENOTFOUND;
	if (r == 0 && seq != NULL)
		*seq = f.seq;
	return r;
}

int
store_event_refs(struct store *st, const uint8_t id[EVENT_ID_LEN], uint64_t since,
    store_row_fn fn, void *arg)
{
	uint8_t ref[RID_LEN];
	sqlite3_stmt *s = store_prep(st, "SELECT seq, rid, body FROM events WHERE ref = ? AND ts >= ?"
	    " ORDER BY ts DESC, seq DESC");

	if (s == NULL)
		return ATT_EIO;
	store_rid(st, ref, "ref", id, EVENT_ID_LEN);
	sqlite3_bind_blob(s, 1, ref, RID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, store_ts_arg(since));
	return store_event_rows(st, s, fn, arg);
}

int
store_event_by_author(struct store *st, const uint8_t person[EVENT_KEY_LEN], uint64_t since,
    store_row_fn fn, void *arg)
{
	uint8_t aid[RID_LEN];
	sqlite3_stmt *s = store_prep(st, "SELECT seq, rid, body FROM events WHERE author = ? AND ts >= ?"
	    " ORDER BY ts DESC, seq DESC");

	if (s == NULL)
		return ATT_EIO;
	store_rid(st, aid, "person", person, EVENT_KEY_LEN);
	sqlite3_bind_blob(s, 1, aid, RID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, store_ts_arg(since));
	return store_event_rows(st, s, fn, arg);
}

int
store_event_page(struct store *st, uint64_t since, uint64_t offset, store_row_fn fn, void *arg)
{
	sqlite3_stmt *s = store_prep(st, "SELECT seq, rid, body FROM events WHERE ts >= ?"
	    " ORDER BY ts DESC, seq DESC LIMIT -1 OFFSET ?");

	if (s == NULL)
		return ATT_EIO;
	sqlite3_bind_int64(s, 1, store_ts_arg(since));
	sqlite3_bind_int64(s, 2, store_ts_arg(offset));
	return store_event_rows(st, s, fn, arg);
}

/*
 * Schema versions (PRAGMA user_version). 0: the first release, events
 * without ref. 1: ref filled for every event, and the indexes by ref and by
 * author. Filling runs in batches (bounded memory) in one transaction; it
 * also repairs rows a version-0 program wrote into a version-1 store.
 */
#define STORE_VERSION 1
#define STORE_MIGRATE_BATCH 256

struct store_refill {
	size_t n;
	int64_t seq[STORE_MIGRATE_BATCH];
	uint8_t ref[STORE_MIGRATE_BATCH][RID_LEN];
};

static int
store_has_ref_column(struct store *st)
{
	sqlite3_stmt *s = store_prep(st, "SELECT 1 FROM pragma_table_info('events') WHERE name = 'ref'");
	int r;

	if (s == NULL)
		return ATT_EIO;
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : ATT_EIO;
}

/* One batch of rows without ref: read (and open) them, then write their ref. */
static int
store_fill_refs(struct store *st, struct store_refill *b, int64_t *after)
{
	sqlite3_stmt *s = store_prep(st, "SELECT seq, rid, body FROM events"
	    " WHERE ref IS NULL AND seq > ? ORDER BY seq LIMIT ?");
	struct event *ev = malloc(sizeof(*ev));
	size_t i;
	int r = 0;

	if (s == NULL || ev == NULL) {
		sqlite3_finalize(s);
		free(ev);
		return s == NULL ? ATT_EIO : ATT_ENOMEM;
	}
	sqlite3_bind_int64(s, 1, *after);
	sqlite3_bind_int(s, 2, STORE_MIGRATE_BATCH);
	for (b->n = 0; b->n < STORE_MIGRATE_BATCH && sqlite3_step(s) == SQLITE_ROW; b->n++) {
		b->seq[b->n] = sqlite3_column_int64(s, 0);
		/* A row that cannot be opened gets a random ref: it shows nowhere anyway. */
		ev->kind = EVENT_CHECKIN;
		if (store_event_decode(st, s, 1, 2, ev) != 0)
			ev->kind = EVENT_CHECKIN;
		if (ev->kind == EVENT_RESPONSE || ev->kind == EVENT_RETRACT)
			store_rid(st, b->ref[b->n], "ref", ev->ref, EVENT_ID_LEN);
		else
			randombytes_buf(b->ref[b->n], RID_LEN);
		*after = b->seq[b->n];
	}
	sodium_memzero(ev, sizeof(*ev));
	free(ev);
	sqlite3_finalize(s);
	for (i = 0; r == 0 && i < b->n; i++) {
		s = store_prep(st, "UPDATE events SET ref = ? WHERE seq = ?");
		if (s == NULL)
			return ATT_EIO;
		sqlite3_bind_blob(s, 1, b->ref[i], RID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, b->seq[i]);
		r = store_step_done(s);
	}
	return r;
}

/* 1 when the store is at STORE_VERSION with every ref filled, 0 when not, or an error. */
static int
store_current(struct store *st)
{
	sqlite3_stmt *s;
	int r = store_has_ref_column(st), version = 0;

	if (r <= 0)
		return r;
	s = store_prep(st, "PRAGMA user_version");
	if (s == NULL)
		return ATT_EIO;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version < STORE_VERSION)
		return 0;
	s = store_prep(st, "SELECT 1 FROM events WHERE ref IS NULL LIMIT 1");
	if (s == NULL)
		return ATT_EIO;
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 1 : r == SQLITE_ROW ? 0 : ATT_EIO;
}

int
store_event_migrate(struct store *st)
{
	struct store_refill *b;
	char sql[64];
	int64_t after = 0;
	int r = store_current(st);

	if (r != 0)
		return r < 0 ? r : 0;
	r = store_begin(st);
	if (r != 0)
		return r;
	if (store_has_ref_column(st) == 0)
		r = store_exec(st, "ALTER TABLE events ADD COLUMN ref BLOB");
	if (r == 0)
		r = store_exec(st, "CREATE INDEX IF NOT EXISTS events_ref ON events (ref);"
		    "CREATE INDEX IF NOT EXISTS events_author ON events (author, ts)");
	b = r == 0 ? malloc(sizeof(*b)) : NULL;
	if (r == 0 && b == NULL)
		r = ATT_ENOMEM;
	do {
		if (r == 0)
			r = store_fill_refs(st, b, &after);
	} while (r == 0 && b->n == STORE_MIGRATE_BATCH);
	free(b);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_VERSION);
	if (r == 0)
		r = store_exec(st, sql);
	return store_end(st, r);
}
