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

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/be.h"
#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"

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

void
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
int
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
int
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

int
store_exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ATT_EIO;
}

sqlite3_stmt *
store_prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	return s;
}

/* Runs a statement that returns no rows; finalizes it. */
int
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
int
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
		r = store_event_migrate(st);
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
int
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
int
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

int
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

int
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


/*
 * Every row (rid, body) that s yields from table, opened and decoded into a
 * grown array of size-byte elements. Finalizes s. On error frees the array.
 */
int
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
