#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sodium.h>
#include <sqlite3.h>

#include "proto/b64.h"
#include "proto/err.h"
#include "relay/relaydb.h"

/*
 * Every statement is prepared once per connection and kept. The order here is
 * the index into store->st.
 */
enum {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_SAVE, Q_RELEASE, Q_ROLLBACK_TO,
	Q_INV_ADD, Q_INV_COUNT_BY, Q_INV_GET, Q_INV_USE,
	Q_DEV_GET, Q_DEV_ADD, Q_DEV_CHARGE, Q_DEV_CREDIT,
	Q_PUT, Q_ACK, Q_FETCH, Q_OLDEST, Q_SEQ_GET, Q_SEQ_SET,
	Q_SPK_SET, Q_OTK_ADD, Q_OTK_TRIM, Q_SPK_GET, Q_OTK_POP, Q_OTK_COUNT,
	Q_TOTALS, Q_INV_TOTAL,
	Q_N
};

static const char *const sql[Q_N] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SAVE] = "SAVEPOINT op",
	[Q_RELEASE] = "RELEASE op",
	[Q_ROLLBACK_TO] = "ROLLBACK TO op",
	[Q_INV_ADD] = "INSERT INTO invites(hash, uses, expires, creator, created) VALUES(?,?,?,?,?)",
	[Q_INV_COUNT_BY] = "SELECT count(*) FROM invites WHERE creator = ? AND created >= ?",
	[Q_INV_GET] = "SELECT uses, expires FROM invites WHERE hash = ?",
	[Q_INV_USE] = "UPDATE invites SET uses = uses - 1 WHERE hash = ? AND uses > 0",
	[Q_DEV_GET] = "SELECT 1 FROM devices WHERE key = ?",
	[Q_DEV_ADD] = "INSERT OR IGNORE INTO devices(key, registered, n, bytes) VALUES(?,?,0,0)",
	[Q_DEV_CHARGE] = "UPDATE devices SET n = n + 1, bytes = bytes + ?2 WHERE key = ?1"
	    " AND n + 1 <= ?3 AND bytes + ?2 <= ?4",
	[Q_DEV_CREDIT] = "UPDATE devices SET n = max(n - 1, 0), bytes = max(bytes - ?2, 0) WHERE key = ?1",
	[Q_PUT] = "INSERT INTO mailbox(dst, seq, src, ts, env) VALUES(?,?,?,?,?)",
	[Q_ACK] = "DELETE FROM mailbox WHERE dst = ?2 AND seq = ?1 RETURNING length(env)",
	[Q_FETCH] = "SELECT seq, src, ts, env FROM mailbox WHERE dst = ? AND seq > ? ORDER BY seq LIMIT ?",
	[Q_OLDEST] = "SELECT seq, dst FROM mailbox WHERE ts < ? LIMIT ?",
	[Q_SEQ_GET] = "SELECT max(coalesce((SELECT max(seq) FROM mailbox), 0),"
	    " coalesce((SELECT v FROM meta WHERE k = 'seq'), 0))",
	[Q_SEQ_SET] = "INSERT OR REPLACE INTO meta(k, v) VALUES('seq', ?)",
	[Q_SPK_SET] = "INSERT OR REPLACE INTO spk(dev, rec) VALUES(?,?)",
	[Q_OTK_ADD] = "INSERT INTO otk(dev, rec) VALUES(?,?)",
	[Q_OTK_TRIM] = "DELETE FROM otk WHERE dev = ?1 AND id NOT IN"
	    " (SELECT id FROM otk WHERE dev = ?1 ORDER BY id DESC LIMIT ?2)",
	[Q_SPK_GET] = "SELECT rec FROM spk WHERE dev = ?",
	[Q_OTK_POP] = "DELETE FROM otk WHERE id = (SELECT id FROM otk WHERE dev = ? ORDER BY id LIMIT 1)"
	    " RETURNING rec",
	[Q_OTK_COUNT] = "SELECT count(*) FROM otk WHERE dev = ?",
	[Q_TOTALS] = "SELECT count(*), coalesce(sum(n),0), coalesce(sum(bytes),0) FROM devices",
	[Q_INV_TOTAL] = "SELECT count(*) FROM invites WHERE uses > 0 AND expires > ?",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS devices(key BLOB PRIMARY KEY, registered INTEGER NOT NULL,"
	"  n INTEGER NOT NULL, bytes INTEGER NOT NULL) WITHOUT ROWID;"
	/* One b-tree keyed by mailbox then seq: a put and an ack touch one place each. */
	"CREATE TABLE IF NOT EXISTS mailbox(dst BLOB NOT NULL, seq INTEGER NOT NULL,"
	"  src BLOB NOT NULL, ts INTEGER NOT NULL, env BLOB NOT NULL, PRIMARY KEY(dst, seq))"
	"  WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS invites(hash BLOB PRIMARY KEY, uses INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL, creator BLOB, created INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS invites_creator ON invites(creator, created);"
	"CREATE TABLE IF NOT EXISTS spk(dev BLOB PRIMARY KEY, rec BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS otk(id INTEGER PRIMARY KEY, dev BLOB NOT NULL, rec BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS otk_dev ON otk(dev, id);";

/*
 * Sequence numbers are never reused, even after the newest envelope is
 * acknowledged: the writer counts in memory and keeps the high-water mark in
 * meta, written once per transaction rather than once per envelope.
 */
struct relaydb {
	sqlite3 *db;
	sqlite3_stmt *st[Q_N];
	uint64_t next_seq, saved_seq;
};

static sqlite3_stmt *
stmt(struct relaydb *s, int q)
{
	if (s->st[q] == NULL &&
	    sqlite3_prepare_v3(s->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->st[q], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(s->st[q]);
	sqlite3_clear_bindings(s->st[q]);
	return s->st[q];
}

/* Runs a statement that returns no rows. */
static int
exec_q(struct relaydb *s, int q)
{
	sqlite3_stmt *t = stmt(s, q);
	int r;

	if (t == NULL)
		return RELAYDB_EIO;
	r = sqlite3_step(t);
	sqlite3_reset(t);
	return r == SQLITE_DONE ? 0 : RELAYDB_EIO;
}

int
relaydb_open(struct relaydb **out, const char *dir, char *why, size_t why_cap)
{
	char path[4096];
	struct relaydb *s;
	char *err = NULL;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof path, "%s/relay.db", dir) >= sizeof path)
		return ATT_EINVAL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return ATT_ENOMEM;
	/* No global memory statistics: they take a mutex on every allocation. Only
	 * possible before SQLite initialises; later calls fail harmlessly. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 10000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=OFF; PRAGMA journal_size_limit=67108864;", NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &err) != SQLITE_OK)
		goto fail;
	{
		sqlite3_stmt *t = stmt(s, Q_SEQ_GET);
		if (t == NULL || sqlite3_step(t) != SQLITE_ROW)
			goto fail;
		s->next_seq = s->saved_seq = (uint64_t)sqlite3_column_int64(t, 0);
		sqlite3_reset(t);
	}
	*out = s;
	return 0;
fail:
	if (why != NULL)
		snprintf(why, why_cap, "cannot open the database %s: %s", path,
		    err != NULL ? err : s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
	sqlite3_free(err);
	relaydb_close(s);
	return RELAYDB_EIO;
}

void
relaydb_close(struct relaydb *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < Q_N; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int relaydb_begin(struct relaydb *s) { return exec_q(s, Q_BEGIN); }

int
relaydb_commit(struct relaydb *s)
{
	sqlite3_stmt *t;

	if (s->next_seq > s->saved_seq) {
		if ((t = stmt(s, Q_SEQ_SET)) == NULL)
			return RELAYDB_EIO;
		sqlite3_bind_int64(t, 1, (sqlite3_int64)s->next_seq);
		if (sqlite3_step(t) != SQLITE_DONE) {
			sqlite3_reset(t);
			return RELAYDB_EIO;
		}
		sqlite3_reset(t);
	}
	if (exec_q(s, Q_COMMIT) < 0)
		return RELAYDB_EIO;
	s->saved_seq = s->next_seq;
	return 0;
}
int relaydb_savepoint(struct relaydb *s) { return exec_q(s, Q_SAVE); }
int relaydb_in_txn(struct relaydb *s) { return !sqlite3_get_autocommit(s->db); }

void
relaydb_rollback(struct relaydb *s)
{
	if (exec_q(s, Q_ROLLBACK) < 0 && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void
relaydb_savepoint_release(struct relaydb *s, int ok)
{
	if (!ok)
		exec_q(s, Q_ROLLBACK_TO);
	exec_q(s, Q_RELEASE);
}

static void
token_hash(uint8_t h[32], const char *token, size_t len)
{
	crypto_generichash(h, 32, (const uint8_t *)token, len, NULL, 0);
}

int
relaydb_invite_create(struct relaydb *s, char token[RELAYDB_TOKEN_MAX + 1], const uint8_t *creator,
    uint64_t uses, uint64_t expires, uint64_t now)
{
	uint8_t raw[16], h[32];
	sqlite3_stmt *t;
	int r;

	randombytes_buf(raw, sizeof raw);
	b64_encode(token, RELAYDB_TOKEN_MAX + 1, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	token_hash(h, token, strlen(token));
	if ((t = stmt(s, Q_INV_ADD)) == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, h, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(t, 2, (sqlite3_int64)uses);
	sqlite3_bind_int64(t, 3, (sqlite3_int64)expires);
	if (creator != NULL)
		sqlite3_bind_blob(t, 4, creator, RELAYDB_KEYLEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(t, 5, (sqlite3_int64)now);
	r = sqlite3_step(t);
	sqlite3_reset(t);
	return r == SQLITE_DONE ? 0 : RELAYDB_EIO;
}

static int
count_q(struct relaydb *s, int q, const uint8_t *key, int64_t a)
{
	sqlite3_stmt *t = stmt(s, q);
	int r;

	if (t == NULL)
		return RELAYDB_EIO;
	if (key != NULL) {
		sqlite3_bind_blob(t, 1, key, RELAYDB_KEYLEN, SQLITE_STATIC);
		sqlite3_bind_int64(t, 2, a);
	} else
		sqlite3_bind_int64(t, 1, a);
	r = sqlite3_step(t);
	r = r == SQLITE_ROW ? sqlite3_column_int(t, 0) : RELAYDB_EIO;
	sqlite3_reset(t);
	return r;
}

int
relaydb_invite_count_by(struct relaydb *s, const uint8_t dev[RELAYDB_KEYLEN], uint64_t since)
{
	return count_q(s, Q_INV_COUNT_BY, dev, (int64_t)since);
}

int
relaydb_is_registered(struct relaydb *s, const uint8_t dev[RELAYDB_KEYLEN])
{
	sqlite3_stmt *t = stmt(s, Q_DEV_GET);
	int r;

	if (t == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
	r = sqlite3_step(t);
	r = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : RELAYDB_EIO;
	sqlite3_reset(t);
	return r;
}

int
relaydb_devices_each(struct relaydb *s, int (*fn)(const uint8_t dev[RELAYDB_KEYLEN], void *),
    void *arg)
{
	sqlite3_stmt *t;
	int r, out = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT key FROM devices ORDER BY key", -1, &t, NULL) !=
	    SQLITE_OK)
		return RELAYDB_EIO;
	while ((r = sqlite3_step(t)) == SQLITE_ROW)
		if (sqlite3_column_bytes(t, 0) == RELAYDB_KEYLEN &&
		    (out = fn(sqlite3_column_blob(t, 0), arg)) != 0)
			break;
	sqlite3_finalize(t);
	if (out != 0)
		return out;
	return r == SQLITE_DONE ? 0 : RELAYDB_EIO;
}

int
relaydb_register(struct relaydb *s, const uint8_t dev[RELAYDB_KEYLEN], const char *token,
    size_t token_len, uint64_t now)
{
	uint8_t h[32];
	sqlite3_stmt *t;
	int r;
	int64_t uses, expires;

	if ((r = relaydb_is_registered(s, dev)) != 0)
		return r < 0 ? r : 0;
	token_hash(h, token, token_len);
	if ((t = stmt(s, Q_INV_GET)) == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, h, 32, SQLITE_TRANSIENT);
	r = sqlite3_step(t);
	if (r != SQLITE_ROW) {
		sqlite3_reset(t);
		return r == SQLITE_DONE ? RELAYDB_EINVITE : RELAYDB_EIO;
	}
	uses = sqlite3_column_int64(t, 0);
	expires = sqlite3_column_int64(t, 1);
	sqlite3_reset(t);
	if (uses <= 0)
		return RELAYDB_EUSED;
	if ((uint64_t)expires <= now)
		return RELAYDB_EEXPIRED;
	if ((t = stmt(s, Q_INV_USE)) == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, h, 32, SQLITE_TRANSIENT);
	if (sqlite3_step(t) != SQLITE_DONE) {
		sqlite3_reset(t);
		return RELAYDB_EIO;
	}
	sqlite3_reset(t);
	if ((t = stmt(s, Q_DEV_ADD)) == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(t, 2, (sqlite3_int64)now);
	r = sqlite3_step(t);
	sqlite3_reset(t);
	return r == SQLITE_DONE ? 0 : RELAYDB_EIO;
}

int
relaydb_put(struct relaydb *s, const uint8_t from[RELAYDB_KEYLEN], const uint8_t to[RELAYDB_KEYLEN],
    const uint8_t *env, size_t len, uint64_t ts, const struct relaydb_quota *q, uint64_t *seq)
{
	sqlite3_stmt *t = stmt(s, Q_DEV_CHARGE);
	int r;

	if (t == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, to, RELAYDB_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(t, 2, (sqlite3_int64)len);
	sqlite3_bind_int64(t, 3, (sqlite3_int64)q->envelopes);
	sqlite3_bind_int64(t, 4, (sqlite3_int64)q->bytes);
	r = sqlite3_step(t);
	sqlite3_reset(t);
	if (r != SQLITE_DONE)
		return RELAYDB_EIO;
	if (sqlite3_changes(s->db) == 0) {
		r = relaydb_is_registered(s, to);
		return r < 0 ? r : r == 0 ? RELAYDB_EUNKNOWN : RELAYDB_EFULL;
	}
	if ((t = stmt(s, Q_PUT)) == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, to, RELAYDB_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(t, 2, (sqlite3_int64)(s->next_seq + 1));
	sqlite3_bind_blob(t, 3, from, RELAYDB_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(t, 4, (sqlite3_int64)ts);
	sqlite3_bind_blob(t, 5, env, (int)len, SQLITE_STATIC);
	r = sqlite3_step(t);
	sqlite3_reset(t);
	if (r != SQLITE_DONE)
		return RELAYDB_EIO;
	*seq = ++s->next_seq;
	return 0;
}

static int
credit(struct relaydb *s, const void *dev, int64_t len)
{
	sqlite3_stmt *t = stmt(s, Q_DEV_CREDIT);
	int r;

	if (t == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(t, 2, len);
	r = sqlite3_step(t);
	sqlite3_reset(t);
	return r == SQLITE_DONE ? 0 : RELAYDB_EIO;
}

int
relaydb_ack(struct relaydb *s, const uint8_t dev[RELAYDB_KEYLEN], uint64_t seq)
{
	sqlite3_stmt *t = stmt(s, Q_ACK);
	int r;
	int64_t len;

	if (t == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_int64(t, 1, (sqlite3_int64)seq);
	sqlite3_bind_blob(t, 2, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
	r = sqlite3_step(t);
	if (r == SQLITE_DONE) {
		sqlite3_reset(t);
		return 0;
	}
	if (r != SQLITE_ROW) {
		sqlite3_reset(t);
		return RELAYDB_EIO;
	}
	len = sqlite3_column_int64(t, 0);
	r = sqlite3_step(t);
	sqlite3_reset(t);
	if (r != SQLITE_DONE)
		return RELAYDB_EIO;
	return credit(s, dev, len);
}

int
relaydb_fetch(struct relaydb *s, const uint8_t dev[RELAYDB_KEYLEN], uint64_t after, size_t max,
    relaydb_fetch_fn fn, void *arg)
{
	sqlite3_stmt *t = stmt(s, Q_FETCH);
	int r, n = 0;

	if (t == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(t, 2, (sqlite3_int64)after);
	sqlite3_bind_int64(t, 3, (sqlite3_int64)max);
	while ((r = sqlite3_step(t)) == SQLITE_ROW) {
		const void *src = sqlite3_column_blob(t, 1);
		const void *env = sqlite3_column_blob(t, 3);
		int elen = sqlite3_column_bytes(t, 3);

		if (src == NULL || sqlite3_column_bytes(t, 1) != RELAYDB_KEYLEN)
			continue;
		n++;
		if (fn(arg, (uint64_t)sqlite3_column_int64(t, 0), src,
		    (uint64_t)sqlite3_column_int64(t, 2), env != NULL ? env : (const void *)"",
		    (size_t)elen) != 0)
			break;
	}
	sqlite3_reset(t);
	return r == SQLITE_ROW || r == SQLITE_DONE ? n : RELAYDB_EIO;
}

int
relaydb_expire(struct relaydb *s, uint64_t before, size_t max)
{
	enum { CHUNK = 256 };
	struct { uint8_t dst[RELAYDB_KEYLEN]; uint64_t seq; } *old;
	sqlite3_stmt *t;
	size_t n = 0, k, i;
	int r = 0;

	if ((old = malloc(CHUNK * sizeof *old)) == NULL)
		return ATT_ENOMEM;
	/* One scan finds up to CHUNK old envelopes; this runs once a minute. */
	while (n < max && r == 0) {
		if ((t = stmt(s, Q_OLDEST)) == NULL) {
			r = RELAYDB_EIO;
			break;
		}
		sqlite3_bind_int64(t, 1, (sqlite3_int64)before);
		sqlite3_bind_int64(t, 2, CHUNK);
		for (k = 0; k < CHUNK && (r = sqlite3_step(t)) == SQLITE_ROW;)
			if (sqlite3_column_bytes(t, 1) == RELAYDB_KEYLEN) {
				memcpy(old[k].dst, sqlite3_column_blob(t, 1), RELAYDB_KEYLEN);
				old[k++].seq = (uint64_t)sqlite3_column_int64(t, 0);
			}
		sqlite3_reset(t);
		r = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : RELAYDB_EIO;
		for (i = 0; i < k && r == 0; i++)
			r = relaydb_ack(s, old[i].dst, old[i].seq);
		n += i;
		if (k < CHUNK)
			break;
	}
	free(old);
	return r < 0 ? r : (int)n;
}

int
relaydb_prekeys_set(struct relaydb *s, const uint8_t dev[RELAYDB_KEYLEN], const uint8_t *spk,
    size_t spk_len, const uint8_t *const *otk, const size_t *otk_len, size_t n_otk,
    uint64_t otk_max)
{
	sqlite3_stmt *t;
	size_t i;

	if (spk != NULL) {
		if ((t = stmt(s, Q_SPK_SET)) == NULL)
			return RELAYDB_EIO;
		sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
		sqlite3_bind_blob(t, 2, spk, (int)spk_len, SQLITE_STATIC);
		if (sqlite3_step(t) != SQLITE_DONE)
			return RELAYDB_EIO;
		sqlite3_reset(t);
	}
	for (i = 0; i < n_otk; i++) {
		if ((t = stmt(s, Q_OTK_ADD)) == NULL)
			return RELAYDB_EIO;
		sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
		sqlite3_bind_blob(t, 2, otk[i], (int)otk_len[i], SQLITE_STATIC);
		if (sqlite3_step(t) != SQLITE_DONE)
			return RELAYDB_EIO;
		sqlite3_reset(t);
	}
	if ((t = stmt(s, Q_OTK_TRIM)) == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(t, 2, (sqlite3_int64)otk_max);
	if (sqlite3_step(t) != SQLITE_DONE)
		return RELAYDB_EIO;
	sqlite3_reset(t);
	return 0;
}

static int
copy_col(sqlite3_stmt *t, int col, uint8_t *out, size_t cap, size_t *len)
{
	int n = sqlite3_column_bytes(t, col);
	const void *p = sqlite3_column_blob(t, col);

	if (n < 0 || (size_t)n > cap)
		return ATT_ETOOBIG;
	if (n > 0)
		memcpy(out, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int
relaydb_prekey_get(struct relaydb *s, const uint8_t dev[RELAYDB_KEYLEN], uint8_t *spk,
    size_t spk_cap, size_t *spk_len, uint8_t *otk, size_t otk_cap, size_t *otk_len)
{
	sqlite3_stmt *t = stmt(s, Q_SPK_GET);
	int r;

	*otk_len = 0;
	if (t == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
	r = sqlite3_step(t);
	if (r != SQLITE_ROW) {
		sqlite3_reset(t);
		return r == SQLITE_DONE ? RELAYDB_ENOTFOUND : RELAYDB_EIO;
	}
	r = copy_col(t, 0, spk, spk_cap, spk_len);
	sqlite3_reset(t);
	if (r < 0)
		return r;
	if ((t = stmt(s, Q_OTK_POP)) == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
	r = sqlite3_step(t);
	if (r == SQLITE_ROW) {
		r = copy_col(t, 0, otk, otk_cap, otk_len);
		if (r == 0 && sqlite3_step(t) != SQLITE_DONE)
			r = RELAYDB_EIO;
	} else
		r = r == SQLITE_DONE ? 0 : RELAYDB_EIO;
	sqlite3_reset(t);
	return r;
}

int
relaydb_prekey_count(struct relaydb *s, const uint8_t dev[RELAYDB_KEYLEN])
{
	sqlite3_stmt *t = stmt(s, Q_OTK_COUNT);
	int r;

	if (t == NULL)
		return RELAYDB_EIO;
	sqlite3_bind_blob(t, 1, dev, RELAYDB_KEYLEN, SQLITE_STATIC);
	r = sqlite3_step(t);
	r = r == SQLITE_ROW ? sqlite3_column_int(t, 0) : RELAYDB_EIO;
	sqlite3_reset(t);
	return r;
}

int
relaydb_totals(struct relaydb *s, uint64_t *devices, uint64_t *envelopes, uint64_t *bytes,
    uint64_t *invites)
{
	sqlite3_stmt *t = stmt(s, Q_TOTALS);
	int r;

	if (t == NULL)
		return RELAYDB_EIO;
	r = sqlite3_step(t);
	if (r == SQLITE_ROW) {
		*devices = (uint64_t)sqlite3_column_int64(t, 0);
		*envelopes = (uint64_t)sqlite3_column_int64(t, 1);
		*bytes = (uint64_t)sqlite3_column_int64(t, 2);
	}
	sqlite3_reset(t);
	if (r != SQLITE_ROW)
		return RELAYDB_EIO;
	r = count_q(s, Q_INV_TOTAL, NULL, (int64_t)time(NULL));
	if (r < 0)
		return r;
	*invites = (uint64_t)r;
	return 0;
}
