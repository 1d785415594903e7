/*
 * The events table: one sealed row per event, found by a keyed hash of its
 * id; only the timestamp stays in clear (retention and ordering need it).
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
			    "UPDATE events SET ts = ?, author = ?, body = ? WHERE rid = ?" :
			    "INSERT INTO events (ts, author, body, rid) VALUES (?, ?, ?, ?)");
			if (s == NULL) {
				free(c);
				r = ATT_EIO;
			} else {
				sqlite3_bind_int64(s, 1, (sqlite3_int64)ev->ts);
				sqlite3_bind_blob(s, 2, aid, RID_LEN, SQLITE_TRANSIENT);
				sqlite3_bind_blob(s, 3, c, (int)cl, free);
				sqlite3_bind_blob(s, 4, rid, RID_LEN, SQLITE_TRANSIENT);
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

