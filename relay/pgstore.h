/*
 * The relay's state in PostgreSQL, for a relay of several nodes sharing one
 * database (relay/store.h is the interface; this is its second backend).
 *
 * Two connections per node, both driven by libpq's asynchronous API on the
 * relay's libuv loop (PQsocket + uv_poll, pipeline mode):
 *  - the writer runs the store_ops of one loop turn as one transaction
 *    (BEGIN, one function call per op, COMMIT, sent at once), and calls their
 *    done() only after COMMIT returned (synchronous_commit on: on disk, and on
 *    a synchronous standby when the cluster has one);
 *  - the reader answers mailbox reads and registration checks, and LISTENs:
 *    a put NOTIFYs "NODE MAILBOX-ID" (never content) when it commits, and the
 *    node holding that device's connection reads the mailbox.
 * Sequence numbers are per mailbox, taken from the device's row under its
 * lock, so they rise in commit order whichever node stores.
 *
 * When the database goes away every op in flight and every op that arrives
 * fails with RELAYDB_EIO (retryable "storage"); the links reconnect by
 * themselves (0.25 s, doubling to 2 s) and the reconnect callback asks the
 * relay to read every mailbox again.
 */
#ifndef RELAY_PGSTORE_H
#define RELAY_PGSTORE_H

#include <stdint.h>
#include <uv.h>

#include "relay/storage.h"

#define PGSTORE_SCHEMA_VERSION 1

struct pgstore;
struct log;

/* Connects (blocking, once), creates or migrates the schema; with a loop, starts the links. */
int pgstore_open(struct pgstore **, uv_loop_t *, const char *url, char *why, size_t why_cap);
void pgstore_close(struct pgstore *);
void pgstore_set_log(struct pgstore *, const struct log *);
void pgstore_submit(struct pgstore *, struct storage_op *);
int pgstore_idle(const struct pgstore *);
void pgstore_on_idle(struct pgstore *, void (*cb)(void *), void *arg);
void pgstore_counts(const struct pgstore *, uint64_t *batches, uint64_t *ops, int *connected);
void pgstore_fetch(struct pgstore *, const uint8_t dev[STORAGE_KEYLEN], uint64_t after,
    size_t max, storage_row_fn row, void (*end)(void *, int), void *arg);
void pgstore_registered(struct pgstore *, const uint8_t dev[STORAGE_KEYLEN],
    void (*cb)(void *, int), void *arg);
void pgstore_prekey_count(struct pgstore *, const uint8_t dev[STORAGE_KEYLEN],
    void (*cb)(void *, int), void *arg);
void pgstore_on_mailbox(struct pgstore *, void (*fn)(void *, const uint8_t *), void *arg);
void pgstore_on_reconnect(struct pgstore *, void (*fn)(void *), void *arg);
int pgstore_devices_each(struct pgstore *, int (*fn)(const uint8_t *, void *), void *arg);
int pgstore_invite_create(struct pgstore *, char token[RELAYDB_TOKEN_MAX + 1], uint64_t uses,
    uint64_t expires, uint64_t now);
int pgstore_totals(struct pgstore *, uint64_t *devices, uint64_t *envelopes, uint64_t *bytes,
    uint64_t *invites);
int pgstore_schema_version(struct pgstore *);

#endif
