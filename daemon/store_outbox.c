/*
 * The outbox table: envelopes waiting for the relay's ok, in queueing order.
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

static void
store_seq_rid(uint8_t rid[8], int64_t seq)
{
	be_put64(rid, (uint64_t)seq);
}

int
store_outbox_add(struct store *st, const uint8_t to[32], const uint8_t *env, size_t len, int64_t *seq)
{
	uint8_t rid[8], *pt = NULL, *c = NULL;
	size_t cl;
	sqlite3_stmt *s;
	int64_t n;
	int r;

	if (len > STORE_ENV_MAX)
		return ATT_ETOOBIG;
	r = store_begin(st);
	if (r != 0)
		return r;
	s = store_prep(st, "INSERT INTO outbox (body) VALUES (NULL)");
	r = s == NULL ? ATT_EIO : store_step_done(s);
	if (r != 0)
		return store_end(st, r);
	n = sqlite3_last_insert_rowid(st->db);
	store_seq_rid(rid, n);
	pt = malloc(32 + len);
	if (pt == NULL)
		return store_end(st, ATT_ENOMEM);
	memcpy(pt, to, 32);
	memcpy(pt + 32, env, len);
	r = store_seal(st, "outbox", rid, sizeof(rid), pt, 32 + len, &c, &cl);
	store_blob_free(pt, 32 + len);
	if (r != 0)
		return store_end(st, r);
	s = store_prep(st, "UPDATE outbox SET body = ? WHERE seq = ?");
	if (s == NULL) {
		free(c);
		return store_end(st, ATT_EIO);
	}
	sqlite3_bind_blob(s, 1, c, (int)cl, free);
	sqlite3_bind_int64(s, 2, n);
	r = store_end(st, store_step_done(s));
	if (r == 0 && seq != NULL)
		*seq = n;
	return r;
}

int
store_outbox_list(struct store *st, size_t max, struct store_outbox_item **items, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT seq, body FROM outbox ORDER BY seq LIMIT ?");
	struct store_outbox_item *it = NULL;
	size_t cnt = 0;
	int r = 0, rc;

	*items = NULL;
	*n = 0;
	if (s == NULL)
		return ATT_EIO;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(max > 1000000 ? 1000000 : max));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_outbox_item *grown;
		uint8_t rid[8], *pt;
		size_t pl;
		int64_t seq = sqlite3_column_int64(s, 0);

		store_seq_rid(rid, seq);
		r = store_open_body(st, "outbox", rid, sizeof(rid), sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), &pt, &pl);
		if (r == 0 && pl < 32) {
			store_blob_free(pt, pl);
			r = ATT_ECORRUPT;
		}
		if (r != 0)
			break;
		grown = realloc(it, (cnt + 1) * sizeof(*it));
		if (grown == NULL) {
			store_blob_free(pt, pl);
			r = ATT_ENOMEM;
			break;
		}
		it = grown;
		it[cnt].seq = seq;
		memcpy(it[cnt].to, pt, 32);
		it[cnt].len = pl - 32;
		memmove(pt, pt + 32, pl - 32);
		it[cnt].env = pt;
		cnt++;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = ATT_EIO;
	sqlite3_finalize(s);
	if (r != 0) {
		store_outbox_free(it, cnt);
		return r;
	}
	*items = it;
	*n = cnt;
	return 0;
}

void
store_outbox_free(struct store_outbox_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_blob_free(items[i].env, items[i].len + 32);
	free(items);
}

int
store_outbox_remove(struct store *st, int64_t seq)
{
	sqlite3_stmt *s = store_prep(st, "DELETE FROM outbox WHERE seq = ?");

	if (s == NULL)
		return ATT_EIO;
	sqlite3_bind_int64(s, 1, seq);
	return store_step_done(s);
}

int
store_outbox_count(struct store *st, uint64_t *n)
{
	return store_count(st, "SELECT count(*) FROM outbox", n);
}

