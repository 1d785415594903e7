/*
 * attuned's sync engine: everything that talks to the relay about this
 * device's mail. It owns the relay connection (daemon/relayconn.c) and
 * drives three parts, each in a file of its own:
 *
 *   daemon/prekeys.c  registration, our prekeys, the peers' bundles
 *   daemon/outbox.c   fan-out of our events and inner messages, flushing
 *   daemon/inbox.c    delivered envelopes: open, store, acknowledge, hold
 *
 * This file keeps the lifecycle (start, stop, reconnect) and the network
 * watch. Sessions with peer devices are daemon/peers.c; pairing and linking
 * (daemon/pairing.c, with connections of their own) use the engine but the
 * engine never calls them. State kept in the store's kv table (sealed):
 *
 *   "relay"        the relay address (written by init or by pairing)
 *   "invite"       an invite token not yet used to register
 *   "registered"   "1" once the relay accepted this device
 *
 * and the keys listed in prekeys.h and inbox.h. The relay address comes
 * from kv "relay", else the config file's [relay] address.
 */
#ifndef ATTUNE_DAEMON_SYNC_H
#define ATTUNE_DAEMON_SYNC_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct inbox;
struct msg;
struct outbox;
struct prekeys;
struct relayconn;
struct sync;

#define SYNC_KV_RELAY "relay"
#define SYNC_KV_INVITE "invite"
#define SYNC_KV_REGISTERED "registered"
#define SYNC_KV_REFUSED "relay_refused"   /* the relay's error code for our invite, until registered */

/* Creates the engine for d and sets d->sync. 0 or ATT_ENOMEM. */
int sync_new(struct daemon *d);
/* Connects to the relay when initialised and a relay is known (else waits for init). */
int sync_start(struct sync *s);
/* Reconnects with the current keys, address and invite. */
int sync_restart(struct sync *s);
/* Stops all network activity now (wipe, shutdown). */
void sync_stop(struct sync *s);
/* Stops network activity; frees once libuv has closed its handles. */
void sync_free(struct sync *s);
/* For `status`: registered at the relay now?, undecryptable count. */
void sync_status(struct sync *s, int *connected, uint64_t *undecryptable);
/* The host's hint: the network went down (stop trying) or came up (connect now). */
void sync_network(struct sync *s, int up);

/*
 * Draining, for a wake-up that must end soon (attune_core_sync_once): after
 * sync_drain_begin, sync_drained turns 1 once the relay has delivered all
 * it holds for us and we have handled (stored, acknowledged) each envelope.
 */
void sync_drain_begin(struct sync *s);
int sync_drained(const struct sync *s);
/* Envelopes delivered to this engine so far. */
uint64_t sync_delivered(const struct sync *s);

/* ---- for the parts of the engine and for pairing.c ---- */

struct daemon *sync_daemon(const struct sync *s);
struct relayconn *sync_relayconn(struct sync *s);
struct prekeys *sync_prekeys(const struct sync *s);
struct outbox *sync_outbox(const struct sync *s);
struct inbox *sync_inbox(const struct sync *s);
/* 1 when connected and registered at the relay. */
int sync_registered(const struct sync *s);
/* The relay address this device uses (kv, else config); ATT_ENOTFOUND when none. */
int sync_relay_address(struct sync *s, char *out, size_t cap);
/* Flushes the outbox on the next loop turn. */
void sync_flush_soon(struct sync *s);
/* Flushes the outbox (and retries sessions) in a few seconds unless that is already set. */
void sync_retry_later(struct sync *s);
/* Asks the relay to deliver (again) from the oldest unacknowledged envelope. */
void sync_resync(struct sync *s);
/* The inbox saw a deliver. */
void sync_note_delivery(struct sync *s);
/* A relayconn reply callback for requests whose answer does not matter. */
void sync_ignore_reply(void *arg, const struct msg *reply);
/* An error reply's "code" (not NUL-terminated: print with %.*s and sync_reply_code_len). */
const char *sync_reply_code(const struct msg *reply);
int sync_reply_code_len(const struct msg *reply);
/* Decimal numbers in the store's kv table. */
void sync_kv_uint(struct sync *s, const char *key, uint64_t v);
uint64_t sync_kv_get_uint(struct sync *s, const char *key, uint64_t dflt);

/*
 * d->backoff_max_ms caps the reconnect delay and d->keepalive_ms sets the
 * ping interval (0: relayconn's defaults); attuned takes them from
 * ATTUNE_BACKOFF_MAX_MS and ATTUNE_KEEPALIVE_MS, for tests.
 */

#endif
