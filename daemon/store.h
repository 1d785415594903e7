/*
 * The daemon's durable state: one SQLite database (WAL, synchronous=FULL,
 * secure_delete on). Every sensitive column is sealed with the storage key:
 * XChaCha20-Poly1305, random 24-byte nonce stored in front, the table name
 * and the row's identity as associated data, so a sealed value cannot be
 * moved to another row. Rows are found by a keyed BLAKE2b hash of their
 * identity (a peer's key is never stored in clear). A `grep -r` of the data
 * folder finds no note, no name, no mood.
 *
 * Every function returns 0 (or a count) or a negative ATT_* code; a call
 * returns only once its change is durable (or part of an open transaction).
 * store_begin/store_commit make several calls atomic: the inbox (daemon/inbox.c) stores
 * "decrypted event + advanced session state" in one transaction before it
 * acknowledges the envelope. Transactions nest (savepoints).
 *
 * Memory: out-parameters that are arrays are malloc'd and freed by the
 * caller with the matching *_free; secret blobs (sessions, prekeys, kv) are
 * freed with store_blob_free, which wipes them.
 */
#ifndef ATTUNE_DAEMON_STORE_H
#define ATTUNE_DAEMON_STORE_H

#include <stddef.h>
#include <stdint.h>

struct event;
struct store;

#define STORE_NAME_MAX   64      /* display name, bytes */
#define STORE_RECORD_MAX 1024    /* a signed device record, bytes */
#define STORE_ENV_MAX    65535   /* one envelope */

int store_open(struct store **out, const char *path, const uint8_t key[32]);
void store_close(struct store *st);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* ---- events ---- */
/* ATT_EEXIST when an event with this id is already stored (duplicate). */
int store_event_put(struct store *st, const struct event *ev);
/* Replaces a stored event (same id); ATT_ENOTFOUND if absent. */
int store_event_update(struct store *st, const struct event *ev);
int store_event_get(struct store *st, const uint8_t id[16], struct event *out);
int store_event_has(struct store *st, const uint8_t id[16]);   /* 1, 0 or < 0 */
/*
 * Calls fn for every event with ts >= since, newest first (ts, then
 * arrival). fn returns non-zero to stop. Returns 0 or an error.
 */
typedef int (*store_event_fn)(void *arg, const struct event *ev);
int store_event_each(struct store *st, uint64_t since, store_event_fn fn, void *arg);
/* Deletes events with ts < before (secure_delete), then checkpoints the WAL. */
int store_retention(struct store *st, uint64_t before);
/* Deletes every event authored by person (unpair). */
int store_event_remove_author(struct store *st, const uint8_t person[32]);

/*
 * Indexed reads, for what is shown often (daemon/history.c): each calls fn
 * with the event and its seq (the order of arrival; ties in ts are ordered
 * by it), and costs what it returns, not the size of the history.
 */
typedef int (*store_row_fn)(void *arg, const struct event *ev, int64_t seq);
/* Every event stored after seq, in order of arrival. */
int store_event_after(struct store *st, int64_t after, store_row_fn fn, void *arg);
/* The event with this id if its ts >= since; ATT_ENOTFOUND otherwise. seq may be NULL. */
int store_event_find(struct store *st, const uint8_t id[16], uint64_t since,
    struct event *out, int64_t *seq);
/* The responses and retractions that refer to id, with ts >= since, newest first. */
int store_event_refs(struct store *st, const uint8_t id[16], uint64_t since,
    store_row_fn fn, void *arg);
/* person's events with ts >= since, newest first. */
int store_event_by_author(struct store *st, const uint8_t person[32], uint64_t since,
    store_row_fn fn, void *arg);
/* Events with ts >= since, newest first, skipping the first offset (one page of a log). */
int store_event_page(struct store *st, uint64_t since, uint64_t offset, store_row_fn fn, void *arg);

/* ---- outbox: envelopes waiting for the relay's ok ---- */
struct store_outbox_item {
	int64_t seq;            /* order of queueing */
	uint8_t to[32];         /* recipient device's relay key */
	size_t len;
	uint8_t *env;           /* len bytes */
};
/* Durable when it returns (or when the enclosing transaction commits). */
int store_outbox_add(struct store *st, const uint8_t to[32], const uint8_t *env, size_t len, int64_t *seq);
/* Up to max items, oldest first. */
int store_outbox_list(struct store *st, size_t max, struct store_outbox_item **items, size_t *n);
void store_outbox_free(struct store_outbox_item *items, size_t n);
int store_outbox_remove(struct store *st, int64_t seq);
int store_outbox_count(struct store *st, uint64_t *n);

/* ---- sessions: one opaque sealed blob per peer device (its relay key) ---- */
int store_session_save(struct store *st, const uint8_t peer[32], const uint8_t *blob, size_t len);
/* ATT_ENOTFOUND when there is none. */
int store_session_load(struct store *st, const uint8_t peer[32], uint8_t **blob, size_t *len);
int store_session_remove(struct store *st, const uint8_t peer[32]);

/* ---- partners ---- */
struct store_partner {
	uint8_t person[32];               /* their person key */
	char name[STORE_NAME_MAX + 1];    /* display name, unique on this device */
	uint64_t added;
	uint64_t last_seen;               /* 0 = never */
};
/*
 * Adds (or updates, same person) a partner. On a name clash with another
 * person the name gets a suffix " (2)", " (3)", ...; p->name is updated.
 */
int store_partner_put(struct store *st, struct store_partner *p);
int store_partner_get(struct store *st, const uint8_t person[32], struct store_partner *out);
int store_partner_by_name(struct store *st, const char *name, struct store_partner *out);
int store_partner_list(struct store *st, struct store_partner **out, size_t *n);  /* by name */
/* Removes the partner, their devices and sessions (not their events). */
int store_partner_remove(struct store *st, const uint8_t person[32]);
int store_partner_seen(struct store *st, const uint8_t person[32], uint64_t ts);

/* ---- devices: the partners' and our own (person = our person key) ---- */
struct store_device {
	uint8_t relay[32];                /* relay key: the device's address */
	uint8_t person[32];               /* owner */
	int revoked;
	uint64_t added;
	size_t record_len;
	uint8_t record[STORE_RECORD_MAX]; /* signed device record, opaque here */
};
int store_device_put(struct store *st, const struct store_device *d);  /* insert or replace */
int store_device_get(struct store *st, const uint8_t relay[32], struct store_device *out);
/* person NULL = all devices. */
int store_device_list(struct store *st, const uint8_t *person, struct store_device **out, size_t *n);
int store_device_remove(struct store *st, const uint8_t relay[32]);

/* ---- prekeys: this device's private prekeys, by id ---- */
int store_prekey_put(struct store *st, uint32_t id, const uint8_t *blob, size_t len);
int store_prekey_get(struct store *st, uint32_t id, uint8_t **blob, size_t *len);
int store_prekey_remove(struct store *st, uint32_t id);
int store_prekey_count(struct store *st, uint64_t *n);

/* ---- kv: small sealed values (name, relay address, invite, registered) ---- */
int store_kv_set(struct store *st, const char *key, const uint8_t *v, size_t len);
/* ATT_ENOTFOUND when absent. */
int store_kv_get(struct store *st, const char *key, uint8_t **v, size_t *len);
int store_kv_del(struct store *st, const char *key);
/* NUL-terminated string helpers: ATT_ETOOBIG when it does not fit in cap. */
int store_kv_set_str(struct store *st, const char *key, const char *s);
int store_kv_get_str(struct store *st, const char *key, char *out, size_t cap);

/* Wipes and frees a blob returned by the store. */
void store_blob_free(uint8_t *blob, size_t len);

#endif
