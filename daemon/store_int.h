/*
 * The store's insides, shared by its files only (daemon/store.c: sealing,
 * transactions, sessions, prekeys, kv; store_event.c, store_outbox.c,
 * store_partner.c, store_device.c: one table each). Nothing outside
 * daemon/store*.c includes this: everyone else uses daemon/store.h.
 */
#ifndef ATTUNE_DAEMON_STORE_INT_H
#define ATTUNE_DAEMON_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include <sqlite3.h>

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

/* Helpers defined in daemon/store.c (each documented there). */
void store_rid(const struct store *st, uint8_t rid[RID_LEN], const char *domain,
    const void *data, size_t len);
int store_seal(const struct store *st, const char *table, const uint8_t *rid, size_t rid_len,
    const uint8_t *pt, size_t len, uint8_t **out, size_t *out_len);
int store_open_body(const struct store *st, const char *table, const uint8_t *rid, size_t rid_len,
    const uint8_t *c, size_t len, uint8_t **out, size_t *out_len);
int store_exec(struct store *st, const char *sql);
sqlite3_stmt *store_prep(struct store *st, const char *sql);
int store_step_done(sqlite3_stmt *s);
int store_end(struct store *st, int r);
int store_put_sealed(struct store *st, const char *table, const uint8_t rid[RID_LEN],
    const uint8_t *pt, size_t len, const char *sql, const uint8_t *extra, size_t extra_len);
int store_get_decoded(struct store *st, const char *table, const char *domain, const uint8_t key[32],
    int (*decode)(const uint8_t *pt, size_t pl, void *out), void *out);
int store_del_rid(struct store *st, const char *table, const uint8_t rid[RID_LEN]);
int store_count(struct store *st, const char *sql, uint64_t *n);
/* Brings the events table to the current schema version (daemon/store_event.c). */
int store_event_migrate(struct store *st);
int store_collect(struct store *st, sqlite3_stmt *s, const char *table, size_t size,
    int (*decode)(const uint8_t *pt, size_t pl, void *elem), void **out, size_t *n);

#endif
