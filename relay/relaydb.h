/*
 * The relay's durable state in SQLite (DIR/relay.db, WAL, synchronous=FULL):
 * registered devices with their mailbox usage, envelopes, invites (stored as
 * hashes of the token), prekeys. One struct relaydb is one SQLite connection,
 * used by one thread at a time: the relay keeps one for the commit worker
 * (every write) and one for the loop thread (reads only).
 *
 * Functions return 0 (or a count) or a negative code: ATT_E* for bad
 * arguments and RELAYDB_E* below for outcomes a client is told about.
 */
#ifndef RELAY_RELAYDB_H
#define RELAY_RELAYDB_H

#include <stddef.h>
#include <stdint.h>

#define RELAYDB_KEYLEN 32
#define RELAYDB_TOKEN_MAX 64

enum {
	RELAYDB_EIO = -100,        /* SQLite failed (disk full, I/O error): "storage" */
	RELAYDB_EFULL = -101,      /* mailbox quota reached: "mailbox-full" */
	RELAYDB_EUNKNOWN = -102,   /* recipient is not registered: "unknown-device" */
	RELAYDB_EINVITE = -103,    /* no such invite: "invite-invalid" */
	RELAYDB_EUSED = -104,      /* invite has no uses left: "invite-used" */
	RELAYDB_EEXPIRED = -105,   /* invite expired: "invite-expired" */
	RELAYDB_ENOTFOUND = -106,  /* no such item (prekeys of a device) */
};

struct relaydb;

/* Opens (creating when needed) DIR/relay.db. why gets a sentence on failure. */
int relaydb_open(struct relaydb **out, const char *dir, char *why, size_t why_cap);
void relaydb_close(struct relaydb *);

int relaydb_begin(struct relaydb *);
int relaydb_commit(struct relaydb *);
void relaydb_rollback(struct relaydb *);
int relaydb_savepoint(struct relaydb *);
/* 1 inside a transaction (SQLite may end one by itself after an I/O error). */
int relaydb_in_txn(struct relaydb *);
void relaydb_savepoint_release(struct relaydb *, int ok);  /* ok 0: roll back to it */

/* Registration and invites. Tokens are text (base64url); only their hash is kept. */
int relaydb_invite_create(struct relaydb *, char token[RELAYDB_TOKEN_MAX + 1],
    const uint8_t *creator, uint64_t uses, uint64_t expires, uint64_t now);
/* Invites created by a device since a time (for the per-day limit). */
int relaydb_invite_count_by(struct relaydb *, const uint8_t dev[RELAYDB_KEYLEN], uint64_t since);
/* 1 if dev is registered, 0 if not, <0 on error. */
int relaydb_is_registered(struct relaydb *, const uint8_t dev[RELAYDB_KEYLEN]);
/* Calls fn with every registered device key, in memcmp order; stops early and
 * returns what fn returned when that is nonzero. 0, or RELAYDB_EIO. */
int relaydb_devices_each(struct relaydb *, int (*fn)(const uint8_t dev[RELAYDB_KEYLEN], void *),
    void *arg);
/* Uses one use of the invite and registers dev; a registered device needs no invite (0). */
int relaydb_register(struct relaydb *, const uint8_t dev[RELAYDB_KEYLEN], const char *token,
    size_t token_len, uint64_t now);

/* Mailboxes. */
struct relaydb_quota {
	uint64_t envelopes, bytes;
};
/* Stores an envelope for `to`; *seq gets its sequence number. */
int relaydb_put(struct relaydb *, const uint8_t from[RELAYDB_KEYLEN], const uint8_t to[RELAYDB_KEYLEN],
    const uint8_t *env, size_t len, uint64_t ts, const struct relaydb_quota *, uint64_t *seq);
/* Removes envelope seq from dev's mailbox; 0 also when it was not there. */
int relaydb_ack(struct relaydb *, const uint8_t dev[RELAYDB_KEYLEN], uint64_t seq);
typedef int (*relaydb_fetch_fn)(void *arg, uint64_t seq, const uint8_t from[RELAYDB_KEYLEN],
    uint64_t ts, const uint8_t *env, size_t len);
/* Calls fn for up to max envelopes of dev with seq > after, in order; returns the count. */
int relaydb_fetch(struct relaydb *, const uint8_t dev[RELAYDB_KEYLEN], uint64_t after, size_t max,
    relaydb_fetch_fn fn, void *arg);
/* Deletes up to max envelopes stored before `before`; returns how many. */
int relaydb_expire(struct relaydb *, uint64_t before, size_t max);

/* Prekeys: records are opaque bytes. otks appended; spk replaced when spk != NULL. */
int relaydb_prekeys_set(struct relaydb *, const uint8_t dev[RELAYDB_KEYLEN], const uint8_t *spk,
    size_t spk_len, const uint8_t *const *otk, const size_t *otk_len, size_t n_otk,
    uint64_t otk_max);
/* Pops one one-time prekey (if any) and copies the signed prekey. Buffers of cap bytes;
 * *otk_len 0 when none is left. RELAYDB_ENOTFOUND when dev never published. */
int relaydb_prekey_get(struct relaydb *, const uint8_t dev[RELAYDB_KEYLEN], uint8_t *spk,
    size_t spk_cap, size_t *spk_len, uint8_t *otk, size_t otk_cap, size_t *otk_len);
int relaydb_prekey_count(struct relaydb *, const uint8_t dev[RELAYDB_KEYLEN]);

/* Totals for `stats`. */
int relaydb_totals(struct relaydb *, uint64_t *devices, uint64_t *envelopes, uint64_t *bytes,
    uint64_t *invites);

#endif
