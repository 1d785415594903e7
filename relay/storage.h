/*
 * The relay's storage: every call request.c, conn.c and server.c make to
 * durable state, behind one interface with two backends.
 *
 *  - SQLite (a data folder: DIR/relay.db), the embedded default: writes go
 *    through relay/commit.c (one worker-thread transaction per loop turn),
 *    reads run on the loop thread and answer before the call returns.
 *  - PostgreSQL (a postgresql:// URL), for a relay of several nodes: libpq's
 *    asynchronous API on the relay's loop (relay/pgstore.c). The writes of one
 *    loop turn are one transaction; reads answer later, from the loop.
 *
 * Writes are store_ops: data describing the change, and done(), called on
 * the loop thread once the transaction holding it has committed (or failed).
 * Only then may the relay answer the peer. result is 0 or a RELAYDB_E* /
 * ATT_E* code; RELAYDB_EIO ("storage") is always retryable.
 *
 * Reads take a callback that may run before the call returns (SQLite) or
 * later (PostgreSQL); a caller keeps what the callback needs alive until then.
 */
#ifndef RELAY_STORAGE_H
#define RELAY_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "relay/commit.h"
#include "relay/relaydb.h"

#define STORAGE_KEYLEN RELAYDB_KEYLEN

enum storage_kind {
	STORAGE_REGISTER,     /* dev, u.reg */
	STORAGE_INVITE,       /* dev (creator), u.inv */
	STORAGE_PUT,          /* dev (sender), u.put */
	STORAGE_ACK,          /* dev, u.ack */
	STORAGE_PREKEYS,      /* dev, u.pk */
	STORAGE_PREKEY_GET,   /* dev (whose prekeys), u.pkget */
	STORAGE_EXPIRE,       /* u.expire */
};

struct storage_item {
	uint8_t to[STORAGE_KEYLEN];
	uint64_t seq;                   /* out: its sequence number in to's mailbox */
	const uint8_t *env;
	size_t len;
};

struct storage_op {
	struct commit_op cop;           /* the SQLite backend's part; keep first */
	struct storage_op *next;          /* the PostgreSQL backend's queue */
	enum storage_kind kind;
	/*
	 * 1: a failure undoes only this op (a savepoint); 0: the op changes
	 * nothing when it fails short of an I/O error, which fails the batch.
	 */
	int savepoint;
	int result;
	void (*done)(struct storage_op *);
	uint8_t dev[STORAGE_KEYLEN];
	union {
		struct { const char *token; size_t len; uint64_t now; } reg;
		struct {
			char *token;            /* out: RELAYDB_TOKEN_MAX + 1 bytes */
			uint64_t now, uses, expires, per_day;
		} inv;
		struct {
			struct storage_item *items;
			size_t n;
			uint64_t ts;
			struct relaydb_quota q;
		} put;
		struct { const uint64_t *seq; size_t n; } ack;
		struct {
			const uint8_t *spk;     /* NULL: keep the signed prekey */
			size_t spk_len, n;
			const uint8_t *const *otk;
			const size_t *otk_len;
			uint64_t otk_max;
		} pk;
		struct {
			uint8_t *spk, *otk;
			size_t spk_cap, spk_len, otk_cap, otk_len;
		} pkget;
		struct { uint64_t before; size_t max; int n; } expire;
	} u;
};

struct storage;

/* 1 if `where` names a PostgreSQL database (postgresql:// or postgres://). */
int storage_is_url(const char *where);
/*
 * Opens the store at `where`: a data folder (SQLite) or a URL. With a NULL
 * loop only the blocking calls below work (operator commands). Creates or
 * migrates the schema. why gets a sentence on failure.
 */
int storage_open(struct storage **out, uv_loop_t *loop, const char *where, char *why, size_t why_cap);
/* Where the backend logs its connection's state (store_down, store_up). */
struct log;
void storage_set_log(struct storage *, const struct log *);
/* Frees the store; it must be idle. Handles close through the loop. */
void storage_close(struct storage *);
/* "sqlite" or "postgresql". */
const char *storage_backend(const struct storage *);
/* 1 when several relay nodes may share this store (read through, never cache absence). */
int storage_shared(const struct storage *);

/* Writes: the ops of one loop turn commit together; done() after. */
void storage_submit(struct storage *, struct storage_op *);
/* 1 when nothing is queued or being committed. */
int storage_idle(const struct storage *);
/* Called once the next time the store is idle (shutdown). */
void storage_on_idle(struct storage *, void (*cb)(void *), void *arg);
/* Transactions committed and ops run, for stats; connected: 0 while the database is away. */
void storage_counts(const struct storage *, uint64_t *batches, uint64_t *ops, int *connected);

/* Reads. */
typedef int (*storage_row_fn)(void *arg, uint64_t seq, const uint8_t from[STORAGE_KEYLEN],
    uint64_t ts, const uint8_t *env, size_t len);
/* Rows of dev's mailbox with seq > after, in order, up to max; then end(arg, count or <0). */
void storage_fetch(struct storage *, const uint8_t dev[STORAGE_KEYLEN], uint64_t after, size_t max,
    storage_row_fn row, void (*end)(void *arg, int n), void *arg);
/* cb(arg, 1 registered / 0 not / <0 error). */
void storage_registered(struct storage *, const uint8_t dev[STORAGE_KEYLEN],
    void (*cb)(void *arg, int r), void *arg);
/* cb(arg, one-time prekeys left or <0). */
void storage_prekey_count(struct storage *, const uint8_t dev[STORAGE_KEYLEN],
    void (*cb)(void *arg, int n), void *arg);
/*
 * Cross-node wake-ups: fn(arg, dev) when another node stored envelopes for
 * dev's mailbox (SQLite: never). The notification carries the mailbox id only.
 */
void storage_on_mailbox(struct storage *, void (*fn)(void *arg, const uint8_t dev[STORAGE_KEYLEN]),
    void *arg);
/* fn(arg) after the database came back from an outage: pump every mailbox again. */
void storage_on_reconnect(struct storage *, void (*fn)(void *arg), void *arg);

/* Blocking calls: start-up and operator commands, never while serving. */
int storage_devices_each(struct storage *, int (*fn)(const uint8_t dev[STORAGE_KEYLEN], void *),
    void *arg);
int storage_invite_create(struct storage *, char token[RELAYDB_TOKEN_MAX + 1], uint64_t uses,
    uint64_t expires, uint64_t now);
int storage_totals(struct storage *, uint64_t *devices, uint64_t *envelopes, uint64_t *bytes,
    uint64_t *invites);
/* Schema version in use (after storage_open migrated it). */
int storage_schema_version(struct storage *);

#endif
