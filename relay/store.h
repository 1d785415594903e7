/*
 * The relay's durable state in SQLite (DIR/relay.db, WAL, synchronous=FULL):
 * registered devices with their mailbox usage, envelopes, invites (stored as
 * hashes of the token), prekeys. One struct store is one SQLite connection,
 * used by one thread at a time: the relay keeps one for the commit worker
 * (every write) and one for the loop thread (reads only).
 *
 * Functions return 0 (or a count) or a negative code: ATT_E* for bad
 * arguments and STORE_E* below for outcomes a client is told about.
 */
#ifndef RELAY_STORE_H
#define RELAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_KEYLEN 32
#define STORE_TOKEN_MAX 64

enum {
	STORE_EIO = -100,        /* SQLite failed (disk full, I/O error): "storage" */
	STORE_EFULL = -101,      /* mailbox quota reached: "mailbox-full" */
	STORE_EUNKNOWN = -102,   /* recipient is not registered: "unknown-device" */
	STORE_EINVITE = -103,    /* no such invite: "invite-invalid" */
	STORE_EUSED = -104,      /* invite has no uses left: "invite-used" */
	STORE_EEXPIRED = -105,   /* invite expired: "invite-expired" */
	STORE_ENOTFOUND = -106,  /* no such item (prekeys of a device) */
};

struct store;

/* Opens (creating when needed) DIR/relay.db. why gets a sentence on failure. */
int store_open(struct store **out, const char *dir, char *why, size_t why_cap);
void store_close(struct store *);

int store_begin(struct store *);
int store_commit(struct store *);
void store_rollback(struct store *);
int store_savepoint(struct store *);
/* 1 inside a transaction (SQLite may end one by itself after an I/O error). */
int store_in_txn(struct store *);
void store_savepoint_release(struct store *, int ok);  /* ok 0: roll back to it */

/* Registration and invites. Tokens are text (base64url); only their hash is kept. */
int store_invite_create(struct store *, char token[STORE_TOKEN_MAX + 1],
    const uint8_t *creator, uint64_t uses, uint64_t expires, uint64_t now);
/* Invites created by a device since a time (for the per-day limit). */
int store_invite_count_by(struct store *, const uint8_t dev[STORE_KEYLEN], uint64_t since);
/* 1 if dev is registered, 0 if not, <0 on error. */
int store_is_registered(struct store *, const uint8_t dev[STORE_KEYLEN]);
/* Uses one use of the invite and registers dev; a registered device needs no invite (0). */
int store_register(struct store *, const uint8_t dev[STORE_KEYLEN], const char *token,
    size_t token_len, uint64_t now);

/* Mailboxes. */
struct store_quota {
	uint64_t envelopes, bytes;
};
/* Stores an envelope for `to`; *seq gets its sequence number. */
int store_put(struct store *, const uint8_t from[STORE_KEYLEN], const uint8_t to[STORE_KEYLEN],
    const uint8_t *env, size_t len, uint64_t ts, const struct store_quota *, uint64_t *seq);
/* Removes envelope seq from dev's mailbox; 0 also when it was not there. */
int store_ack(struct store *, const uint8_t dev[STORE_KEYLEN], uint64_t seq);
typedef int (*store_fetch_fn)(void *arg, uint64_t seq, const uint8_t from[STORE_KEYLEN],
    uint64_t ts, const uint8_t *env, size_t len);
/* Calls fn for up to max envelopes of dev with seq > after, in order; returns the count. */
int store_fetch(struct store *, const uint8_t dev[STORE_KEYLEN], uint64_t after, size_t max,
    store_fetch_fn fn, void *arg);
/* Deletes up to max envelopes stored before `before`; returns how many. */
int store_expire(struct store *, uint64_t before, size_t max);

/* Prekeys: records are opaque bytes. otks appended; spk replaced when spk != NULL. */
int store_prekeys_set(struct store *, const uint8_t dev[STORE_KEYLEN], const uint8_t *spk,
    size_t spk_len, const uint8_t *const *otk, const size_t *otk_len, size_t n_otk,
    uint64_t otk_max);
/* Pops one one-time prekey (if any) and copies the signed prekey. Buffers of cap bytes;
 * *otk_len 0 when none is left. STORE_ENOTFOUND when dev never published. */
int store_prekey_get(struct store *, const uint8_t dev[STORE_KEYLEN], uint8_t *spk,
    size_t spk_cap, size_t *spk_len, uint8_t *otk, size_t otk_cap, size_t *otk_len);
int store_prekey_count(struct store *, const uint8_t dev[STORE_KEYLEN]);

/* Totals for `stats`. */
int store_totals(struct store *, uint64_t *devices, uint64_t *envelopes, uint64_t *bytes,
    uint64_t *invites);

#endif
