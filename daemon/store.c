/*
 * SQLite store with sealed columns. Layout of every table: a lookup column
 * (a keyed BLAKE2b hash of the row's identity, or an integer) and a `body`
 * that is nonce(24) || XChaCha20-Poly1305(plaintext) with "table\0rid" as
 * associated data. Only event timestamps stay in clear (retention and
 * ordering need them); what happened at that time does not.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/event.h"
#include "daemon/store.h"
#include "proto/be.h"
#include "proto/err.h"
#include "proto/msg.h"

#define SEAL_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define RID_LEN 32
#define STORE_CHECK "attune-store-v1"
/*
 * SQLite's page cache, in KiB (negative: a size, not a page count). The
 * reads that run often touch a few pages; a long log or a first pass over
 * an upgraded store would otherwise keep 2 MiB of pages resident for good.
 */
#define STORE_CACHE "-256"

struct store {
	sqlite3 *db;
	uint8_t *seal_key;    /* sodium_malloc, 32 */
	uint8_t *index_key;   /* sodium_malloc, 32 */
	int depth;            /* open transactions (savepoints) */
};

static const char store_schema[] =
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " rid BLOB UNIQUE NOT NULL, ts INTEGER NOT NULL, author BLOB NOT NULL, body BLOB NOT NULL,"
    " ref BLOB);"
    "CREATE INDEX IF NOT EXISTS events_ts ON events (ts);"
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB);"
    "CREATE TABLE IF NOT EXISTS sessions (rid BLOB PRIMARY KEY, body BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS partners (rid BLOB PRIMARY KEY, nid BLOB UNIQUE NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS devices (rid BLOB PRIMARY KEY, owner BLOB NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS prekeys (id INTEGER PRIMARY KEY, body BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS kv (rid BLOB PRIMARY KEY, body BLOB NOT NULL);";

/* ---- sealing ---- */

static void
store_rid(const struct store *st, uint8_t rid[RID_LEN], const char *domain,
    const void *data, size_t len)
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, st->index_key, 32, RID_LEN);
	crypto_generichash_update(&h, (const uint8_t *)domain, strlen(domain) + 1);
	crypto_generichash_update(&h, data, len);
	crypto_generichash_final(&h, rid, RID_LEN);
}

static size_t
store_ad(uint8_t *ad, const char *table, const uint8_t *rid, size_t rid_len)
{
	size_t n = strlen(table) + 1;

	memcpy(ad, table, n);
	memcpy(ad + n, rid, rid_len);
	return n + rid_len;
}

/* Seals pt for (table, rid) into a fresh malloc'd buffer. */
static int
store_seal(const struct store *st, const char *table, const uint8_t *rid, size_t rid_len,
    const uint8_t *pt, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t ad[64];
	size_t adl = store_ad(ad, table, rid, rid_len);
	uint8_t *c = malloc(SEAL_NONCE + len + SEAL_TAG);
	unsigned long long cl;

	if (c == NULL)
		return ATT_ENOMEM;
	randombytes_buf(c, SEAL_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(c + SEAL_NONCE, &cl, pt, len, ad, adl,
	    NULL, c, st->seal_key);
	*out = c;
	*out_len = SEAL_NONCE + (size_t)cl;
	return 0;
}

/* Opens a sealed body into a malloc'd buffer (caller wipes and frees). */
static int
store_open_body(const struct store *st, const char *table, const uint8_t *rid, size_t rid_len,
    const uint8_t *c, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t ad[64];
	size_t adl = store_ad(ad, table, rid, rid_len);
	uint8_t *p;
	unsigned long long pl;

	if (c == NULL || len < SEAL_NONCE + SEAL_TAG)
		return ATT_ECORRUPT;
	p = malloc(len - SEAL_NONCE - SEAL_TAG + 1);
	if (p == NULL)
		return ATT_ENOMEM;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, &pl, NULL, c + SEAL_NONCE,
	    len - SEAL_NONCE, ad, adl, c, st->seal_key) != 0) {
		free(p);
		return ATT_EDECRYPT;
	}
	*out = p;
	*out_len = (size_t)pl;
	return 0;
}

void
store_blob_free(uint8_t *blob, size_t len)
{
	if (blob == NULL)
		return;
	sodium_memzero(blob, len);
	free(blob);
}

/* ---- SQL helpers ---- */

static int
store_exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ATT_EIO;
}

static sqlite3_stmt *
store_prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	return s;
}

/* Runs a statement that returns no rows; finalizes it. */
static int
store_step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT)
		return ATT_EEXIST;
	return rc == SQLITE_DONE ? 0 : ATT_EIO;
}

int
store_begin(struct store *st)
{
	int r = store_exec(st, st->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT sp");

	if (r == 0)
		st->depth++;
	return r;
}

int
store_commit(struct store *st)
{
	int r;

	if (st->depth <= 0)
		return ATT_ESTATE;
	r = store_exec(st, st->depth == 1 ? "COMMIT" : "RELEASE sp");
	if (r == 0)
		st->depth--;
	return r;
}

void
store_rollback(struct store *st)
{
	if (st->depth <= 0)
		return;
	if (st->depth == 1)
		store_exec(st, "ROLLBACK");
	else
		store_exec(st, "ROLLBACK TO sp; RELEASE sp");
	st->depth--;
}

/* Ends a store_begin with commit when r == 0, rollback otherwise. */
static int
store_end(struct store *st, int r)
{
	if (r == 0)
		return store_commit(st);
	store_rollback(st);
	return r;
}

/* ---- open / close ---- */

static int
store_check_key(struct store *st)
{
	static const uint8_t rid[1] = { 0 };
	sqlite3_stmt *s = store_prep(st, "SELECT v FROM meta WHERE k = 'check'");
	uint8_t *pt = NULL, *c = NULL;
	size_t pl = 0, cl;
	int r;

	if (s == NULL)
		return ATT_EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		r = store_open_body(st, "meta", rid, 1, sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), &pt, &pl);
		sqlite3_finalize(s);
		if (r == 0 && (pl != strlen(STORE_CHECK) || memcmp(pt, STORE_CHECK, pl) != 0))
			r = ATT_ECORRUPT;
		store_blob_free(pt, pl);
		return r;
	}
	sqlite3_finalize(s);
	r = store_seal(st, "meta", rid, 1, (const uint8_t *)STORE_CHECK, strlen(STORE_CHECK), &c, &cl);
	if (r != 0)
		return r;
	s = store_prep(st, "INSERT INTO meta (k, v) VALUES ('check', ?)");
	if (s == NULL) {
		free(c);
		return ATT_EIO;
	}
	sqlite3_bind_blob(s, 1, c, (int)cl, free);
	return store_step_done(s);
}

static int store_migrate(struct store *st);

int
store_open(struct store **out, const char *path, const uint8_t key[32])
{
	struct store *st;
	int r = ATT_EIO;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return ATT_ENOMEM;
	st->seal_key = sodium_malloc(32);
	st->index_key = sodium_malloc(32);
	if (st->seal_key == NULL || st->index_key == NULL) {
		r = ATT_ENOMEM;
		goto fail;
	}
	crypto_kdf_derive_from_key(st->seal_key, 32, 1, "attstore", key);
	crypto_kdf_derive_from_key(st->index_key, 32, 2, "attstore", key);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(st->db, 5000);
	if (store_exec(st, "PRAGMA journal_mode=WAL") != 0 ||
	    store_exec(st, "PRAGMA synchronous=FULL") != 0 ||
	    store_exec(st, "PRAGMA secure_delete=ON") != 0 ||
	    store_exec(st, "PRAGMA temp_store=MEMORY") != 0 ||
	    store_exec(st, "PRAGMA cache_size=" STORE_CACHE) != 0 ||
	    store_exec(st, store_schema) != 0)
		goto fail;
	r = store_check_key(st);
	if (r == 0)
		r = store_migrate(st);
	if (r != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return r;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL) {
		while (st->depth > 0)
			store_rollback(st);
		sqlite3_close_v2(st->db);
	}
	sodium_free(st->seal_key);
	sodium_free(st->index_key);
	free(st);
}

/* ---- generic sealed rows keyed by rid ---- */

/* INSERT OR REPLACE INTO table (rid, body[, extra blob col]) */
static int
store_put_sealed(struct store *st, const char *table, const uint8_t rid[RID_LEN],
    const uint8_t *pt, size_t len, const char *sql, const uint8_t *extra, size_t extra_len)
{
	uint8_t *c;
	size_t cl;
	sqlite3_stmt *s;
	int r = store_seal(st, table, rid, RID_LEN, pt, len, &c, &cl);

	if (r != 0)
		return r;
	s = store_prep(st, sql);
	if (s == NULL) {
		free(c);
		return ATT_EIO;
	}
	sqlite3_bind_blob(s, 1, rid, RID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 2, c, (int)cl, free);
	if (extra != NULL)
		sqlite3_bind_blob(s, 3, extra, (int)extra_len, SQLITE_TRANSIENT);
	return store_step_done(s);
}

static int
store_get_sealed(struct store *st, const char *table, const uint8_t rid[RID_LEN],
    uint8_t **pt, size_t *len)
{
	char sql[96];
	sqlite3_stmt *s;
	int r;

	snprintf(sql, sizeof(sql), "SELECT body FROM %s WHERE rid = ?", table);
	s = store_prep(st, sql);
	if (s == NULL)
		return ATT_EIO;
	sqlite3_bind_blob(s, 1, rid, RID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(s);
		return r == SQLITE_DONE ? ATT_ENOTFOUND : ATT_EIO;
	}
	r = store_open_body(st, table, rid, RID_LEN, sqlite3_column_blob(s, 0),
	    (size_t)sqlite3_column_bytes(s, 0), pt, len);
	sqlite3_finalize(s);
	return r;
}

/* The row of table whose rid is made from (domain, key), opened and decoded into out. */
static int
store_get_decoded(struct store *st, const char *table, const char *domain, const uint8_t key[32],
    int (*decode)(const uint8_t *pt, size_t pl, void *out), void *out)
{
	uint8_t rid[RID_LEN], *pt;
	size_t pl;
	int r;

	store_rid(st, rid, domain, key, 32);
	r = store_get_sealed(st, table, rid, &pt, &pl);
	if (r != 0)
		return r;
	r = decode(pt, pl, out);
	store_blob_free(pt, pl);
	return r;
}

static int
store_del_rid(struct store *st, const char *table, const uint8_t rid[RID_LEN])
{
	char sql[96];
	sqlite3_stmt *s;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE rid = ?", table);
	s = store_prep(st, sql);
	if (s == NULL)
		return ATT_EIO;
	sqlite3_bind_blob(s, 1, rid, RID_LEN, SQLITE_STATIC);
	return store_step_done(s);
}

/* ---- events ---- */

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

static int
store_migrate(struct store *st)
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

/* ---- outbox ---- */

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

static int
store_count(struct store *st, const char *sql, uint64_t *n)
{
	sqlite3_stmt *s = store_prep(st, sql);
	int r = ATT_EIO;

	if (s == NULL)
		return ATT_EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(s, 0);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

int
store_outbox_count(struct store *st, uint64_t *n)
{
	return store_count(st, "SELECT count(*) FROM outbox", n);
}

/* ---- sessions ---- */

int
store_session_save(struct store *st, const uint8_t peer[32], const uint8_t *blob, size_t len)
{
	uint8_t rid[RID_LEN];

	store_rid(st, rid, "device", peer, 32);
	return store_put_sealed(st, "sessions", rid, blob, len,
	    "INSERT OR REPLACE INTO sessions (rid, body) VALUES (?, ?)", NULL, 0);
}

int
store_session_load(struct store *st, const uint8_t peer[32], uint8_t **blob, size_t *len)
{
	uint8_t rid[RID_LEN];

	store_rid(st, rid, "device", peer, 32);
	return store_get_sealed(st, "sessions", rid, blob, len);
}

int
store_session_remove(struct store *st, const uint8_t peer[32])
{
	uint8_t rid[RID_LEN];

	store_rid(st, rid, "device", peer, 32);
	return store_del_rid(st, "sessions", rid);
}

/* ---- partners: body = person(32) added(8) last_seen(8) name ---- */

static int
partner_decode(const uint8_t *pt, size_t pl, struct store_partner *p)
{
	if (pl < 48 || pl - 48 > STORE_NAME_MAX)
		return ATT_ECORRUPT;
	memset(p, 0, sizeof(*p));
	memcpy(p->person, pt, 32);
	p->added = be_get64(pt + 32);
	p->last_seen = be_get64(pt + 40);
	memcpy(p->name, pt + 48, pl - 48);
	p->name[pl - 48] = '\0';
	return 0;
}

static int
partner_decode_elem(const uint8_t *pt, size_t pl, void *elem)
{
	return partner_decode(pt, pl, elem);
}

static int
store_partner_write(struct store *st, const struct store_partner *p)
{
	uint8_t rid[RID_LEN], nid[RID_LEN], buf[48 + STORE_NAME_MAX];
	size_t nl = strlen(p->name);
	int r;

	if (nl == 0 || nl > STORE_NAME_MAX)
		return ATT_EINVAL;
	store_rid(st, rid, "person", p->person, 32);
	store_rid(st, nid, "name", p->name, nl);
	memcpy(buf, p->person, 32);
	be_put64(buf + 32, p->added);
	be_put64(buf + 40, p->last_seen);
	memcpy(buf + 48, p->name, nl);
	r = store_put_sealed(st, "partners", rid, buf, 48 + nl,
	    "INSERT OR REPLACE INTO partners (rid, body, nid) VALUES (?, ?, ?)", nid, RID_LEN);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int
store_partner_put(struct store *st, struct store_partner *p)
{
	struct store_partner other;
	char base[STORE_NAME_MAX + 1], cand[STORE_NAME_MAX + 1];
	int r, i;

	if (strlen(p->name) == 0 || strlen(p->name) > STORE_NAME_MAX)
		return ATT_EINVAL;
	snprintf(base, sizeof(base), "%s", p->name);
	snprintf(cand, sizeof(cand), "%s", base);
	for (i = 2; ; i++) {
		r = store_partner_by_name(st, cand, &other);
		if (r == ATT_ENOTFOUND || (r == 0 && sodium_memcmp(other.person, p->person, 32) == 0))
			break;
		if (r != 0)
			return r;
		if (i > 999)
			return ATT_ELIMIT;
		{
			char suf[16];
			size_t sl = (size_t)snprintf(suf, sizeof(suf), " (%d)", i);
			size_t bl = strlen(base);

			if (bl + sl > STORE_NAME_MAX)
				bl = STORE_NAME_MAX - sl;
			snprintf(cand, sizeof(cand), "%.*s%s", (int)bl, base, suf);
		}
	}
	snprintf(p->name, sizeof(p->name), "%s", cand);
	r = store_begin(st);
	if (r != 0)
		return r;
	/* The name may have changed: drop the old row first (its nid differs). */
	{
		uint8_t rid[RID_LEN];

		store_rid(st, rid, "person", p->person, 32);
		r = store_del_rid(st, "partners", rid);
	}
	if (r == 0)
		r = store_partner_write(st, p);
	return store_end(st, r);
}

int
store_partner_get(struct store *st, const uint8_t person[32], struct store_partner *out)
{
	return store_get_decoded(st, "partners", "person", person, partner_decode_elem, out);
}

int
store_partner_by_name(struct store *st, const char *name, struct store_partner *out)
{
	uint8_t nid[RID_LEN], *pt;
	size_t pl;
	sqlite3_stmt *s = store_prep(st, "SELECT rid, body FROM partners WHERE nid = ?");
	int r;

	if (s == NULL)
		return ATT_EIO;
	store_rid(st, nid, "name", name, strlen(name));
	sqlite3_bind_blob(s, 1, nid, RID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(s);
		return r == SQLITE_DONE ? ATT_ENOTFOUND : ATT_EIO;
	}
	if (sqlite3_column_bytes(s, 0) != RID_LEN) {
		sqlite3_finalize(s);
		return ATT_ECORRUPT;
	}
	r = store_open_body(st, "partners", sqlite3_column_blob(s, 0), RID_LEN,
	    sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), &pt, &pl);
	sqlite3_finalize(s);
	if (r != 0)
		return r;
	r = partner_decode(pt, pl, out);
	store_blob_free(pt, pl);
	return r;
}

static int
partner_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_partner *)a)->name, ((const struct store_partner *)b)->name);
}

/*
 * Every row (rid, body) that s yields from table, opened and decoded into a
 * grown array of size-byte elements. Finalizes s. On error frees the array.
 */
static int
store_collect(struct store *st, sqlite3_stmt *s, const char *table, size_t size,
    int (*decode)(const uint8_t *pt, size_t pl, void *elem), void **out, size_t *n)
{
	unsigned char *list = NULL, *grown;
	size_t cnt = 0;
	int r = 0, rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint8_t *pt;
		size_t pl;

		if (sqlite3_column_bytes(s, 0) != RID_LEN) {
			r = ATT_ECORRUPT;
			break;
		}
		r = store_open_body(st, table, sqlite3_column_blob(s, 0), RID_LEN,
		    sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), &pt, &pl);
		if (r != 0)
			break;
		grown = realloc(list, (cnt + 1) * size);
		if (grown == NULL) {
			store_blob_free(pt, pl);
			r = ATT_ENOMEM;
			break;
		}
		list = grown;
		r = decode(pt, pl, list + cnt * size);
		store_blob_free(pt, pl);
		if (r != 0)
			break;
		cnt++;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = ATT_EIO;
	sqlite3_finalize(s);
	if (r != 0) {
		free(list);
		return r;
	}
	*out = list;
	*n = cnt;
	return 0;
}

int
store_partner_list(struct store *st, struct store_partner **out, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT rid, body FROM partners");
	void *list;
	size_t cnt;
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return ATT_EIO;
	r = store_collect(st, s, "partners", sizeof(**out), partner_decode_elem, &list, &cnt);
	if (r != 0)
		return r;
	if (cnt > 1)
		qsort(list, cnt, sizeof(**out), partner_cmp);
	*out = list;
	*n = cnt;
	return 0;
}

int
store_partner_remove(struct store *st, const uint8_t person[32])
{
	struct store_device *devs = NULL;
	size_t nd = 0, i;
	uint8_t rid[RID_LEN];
	int r = store_begin(st);

	if (r != 0)
		return r;
	r = store_device_list(st, person, &devs, &nd);
	for (i = 0; r == 0 && i < nd; i++) {
		r = store_session_remove(st, devs[i].relay);
		if (r == 0)
			r = store_device_remove(st, devs[i].relay);
	}
	free(devs);
	if (r == 0) {
		store_rid(st, rid, "person", person, 32);
		r = store_del_rid(st, "partners", rid);
	}
	return store_end(st, r);
}

int
store_partner_seen(struct store *st, const uint8_t person[32], uint64_t ts)
{
	struct store_partner p;
	int r = store_partner_get(st, person, &p);

	if (r != 0)
		return r;
	if (ts <= p.last_seen)
		return 0;
	p.last_seen = ts;
	return store_partner_write(st, &p);
}

/* ---- devices: body = relay(32) person(32) revoked(1) added(8) len(2) record ---- */

static int
device_decode(const uint8_t *pt, size_t pl, struct store_device *d)
{
	size_t rl;

	if (pl < 75)
		return ATT_ECORRUPT;
	rl = be_get16(pt + 73);
	if (rl > STORE_RECORD_MAX || pl != 75 + rl)
		return ATT_ECORRUPT;
	memset(d, 0, sizeof(*d));
	memcpy(d->relay, pt, 32);
	memcpy(d->person, pt + 32, 32);
	d->revoked = pt[64] != 0;
	d->added = be_get64(pt + 65);
	d->record_len = rl;
	memcpy(d->record, pt + 75, rl);
	return 0;
}

static int
device_decode_elem(const uint8_t *pt, size_t pl, void *elem)
{
	return device_decode(pt, pl, elem);
}

int
store_device_put(struct store *st, const struct store_device *d)
{
	uint8_t rid[RID_LEN], owner[RID_LEN], buf[75 + STORE_RECORD_MAX];
	int r;

	if (d->record_len > STORE_RECORD_MAX)
		return ATT_ETOOBIG;
	store_rid(st, rid, "device", d->relay, 32);
	store_rid(st, owner, "person", d->person, 32);
	memcpy(buf, d->relay, 32);
	memcpy(buf + 32, d->person, 32);
	buf[64] = d->revoked ? 1 : 0;
	be_put64(buf + 65, d->added);
	be_put16(buf + 73, (uint16_t)d->record_len);
	memcpy(buf + 75, d->record, d->record_len);
	r = store_put_sealed(st, "devices", rid, buf, 75 + d->record_len,
	    "INSERT OR REPLACE INTO devices (rid, body, owner) VALUES (?, ?, ?)", owner, RID_LEN);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int
store_device_get(struct store *st, const uint8_t relay[32], struct store_device *out)
{
	return store_get_decoded(st, "devices", "device", relay, device_decode_elem, out);
}

int
store_device_list(struct store *st, const uint8_t *person, struct store_device **out, size_t *n)
{
	uint8_t owner[RID_LEN];
	sqlite3_stmt *s = store_prep(st, person != NULL ?
	    "SELECT rid, body FROM devices WHERE owner = ?" : "SELECT rid, body FROM devices");
	void *list;
	size_t cnt;
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return ATT_EIO;
	if (person != NULL) {
		store_rid(st, owner, "person", person, 32);
		sqlite3_bind_blob(s, 1, owner, RID_LEN, SQLITE_STATIC);
	}
	r = store_collect(st, s, "devices", sizeof(**out), device_decode_elem, &list, &cnt);
	if (r != 0)
		return r;
	*out = list;
	*n = cnt;
	return 0;
}

int
store_device_remove(struct store *st, const uint8_t relay[32])
{
	uint8_t rid[RID_LEN];

	store_rid(st, rid, "device", relay, 32);
	return store_del_rid(st, "devices", rid);
}

/* ---- prekeys ---- */

static void
store_u32_rid(uint8_t rid[4], uint32_t id)
{
	be_put32(rid, id);
}

int
store_prekey_put(struct store *st, uint32_t id, const uint8_t *blob, size_t len)
{
	uint8_t rid[4], *c;
	size_t cl;
	sqlite3_stmt *s;
	int r;

	store_u32_rid(rid, id);
	r = store_seal(st, "prekeys", rid, 4, blob, len, &c, &cl);
	if (r != 0)
		return r;
	s = store_prep(st, "INSERT OR REPLACE INTO prekeys (id, body) VALUES (?, ?)");
	if (s == NULL) {
		free(c);
		return ATT_EIO;
	}
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, c, (int)cl, free);
	return store_step_done(s);
}

int
store_prekey_get(struct store *st, uint32_t id, uint8_t **blob, size_t *len)
{
	uint8_t rid[4];
	sqlite3_stmt *s = store_prep(st, "SELECT body FROM prekeys WHERE id = ?");
	int r;

	if (s == NULL)
		return ATT_EIO;
	store_u32_rid(rid, id);
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(s);
		return r == SQLITE_DONE ? ATT_ENOTFOUND : ATT_EIO;
	}
	r = store_open_body(st, "prekeys", rid, 4, sqlite3_column_blob(s, 0),
	    (size_t)sqlite3_column_bytes(s, 0), blob, len);
	sqlite3_finalize(s);
	return r;
}

int
store_prekey_remove(struct store *st, uint32_t id)
{
	sqlite3_stmt *s = store_prep(st, "DELETE FROM prekeys WHERE id = ?");

	if (s == NULL)
		return ATT_EIO;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(s);
}

int
store_prekey_count(struct store *st, uint64_t *n)
{
	return store_count(st, "SELECT count(*) FROM prekeys", n);
}

/* ---- kv ---- */

int
store_kv_set(struct store *st, const char *key, const uint8_t *v, size_t len)
{
	uint8_t rid[RID_LEN];

	store_rid(st, rid, "kv", key, strlen(key));
	return store_put_sealed(st, "kv", rid, v, len,
	    "INSERT OR REPLACE INTO kv (rid, body) VALUES (?, ?)", NULL, 0);
}

int
store_kv_get(struct store *st, const char *key, uint8_t **v, size_t *len)
{
	uint8_t rid[RID_LEN];

	store_rid(st, rid, "kv", key, strlen(key));
	return store_get_sealed(st, "kv", rid, v, len);
}

int
store_kv_del(struct store *st, const char *key)
{
	uint8_t rid[RID_LEN];

	store_rid(st, rid, "kv", key, strlen(key));
	return store_del_rid(st, "kv", rid);
}

int
store_kv_set_str(struct store *st, const char *key, const char *s)
{
	return store_kv_set(st, key, (const uint8_t *)s, strlen(s));
}

int
store_kv_get_str(struct store *st, const char *key, char *out, size_t cap)
{
	uint8_t *v;
	size_t len;
	int r = store_kv_get(st, key, &v, &len);

	if (r != 0)
		return r;
	if (len >= cap || memchr(v, '\0', len) != NULL) {
		store_blob_free(v, len);
		return ATT_ETOOBIG;
	}
	memcpy(out, v, len);
	out[len] = '\0';
	store_blob_free(v, len);
	return 0;
}
