/*
 * attuned's sync engine: everything that talks to the relay or to other
 * devices. It owns the relay connection (daemon/relayconn.c), the sessions
 * with peer devices (daemon/peers.c), pairing and linking
 * (daemon/pairing.c) and signed device lists (daemon/devlist.c).
 *
 * daemon-core reaches it only through d->sync_ops (daemon/ctx.h), which
 * sync_new fills. State it keeps in the store's kv table (sealed):
 *
 *   "relay"        the relay address (written by init or by pairing)
 *   "invite"       an invite token not yet used to register
 *   "registered"   "1" once the relay accepted this device
 *   "spk"          the current signed prekey id (decimal)
 *   "otk_next"     the next one-time prekey id (decimal)
 *   "undecryptable" count of envelopes that could not be opened (decimal)
 *
 * The relay address comes from kv "relay", else the config file's
 * [relay] address.
 */
#ifndef ATTUNE_DAEMON_SYNC_H
#define ATTUNE_DAEMON_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

struct daemon;
struct sync;

#define SYNC_KV_RELAY "relay"
#define SYNC_KV_INVITE "invite"
#define SYNC_KV_REGISTERED "registered"

/* Creates the engine for d and sets d->sync and d->sync_ops. 0 or ATT_ENOMEM. */
int sync_new(struct daemon *d);
/* Connects to the relay when initialised and a relay is known (else waits for init). */
int sync_start(struct sync *s);
/* Stops network activity; frees once libuv has closed its handles. */
void sync_free(struct sync *s);

/* ---- for the other sync modules (pairing.c) ---- */

struct relayconn;
struct pairing;
struct store_partner;

struct relayconn *sync_relayconn(struct sync *s);
/* 1 when connected and registered at the relay. */
int sync_registered(const struct sync *s);
/* The relay address this device uses (kv, else config); ATT_ENOTFOUND when none. */
int sync_relay_address(struct sync *s, char *out, size_t cap);
/* Reconnects with the current keys, address and invite. */
int sync_restart(struct sync *s);
/* Flushes the outbox on the next loop turn. */
void sync_flush_soon(struct sync *s);
/* Fetches prekey bundles for person's devices (NULL: all) without a session. */
void sync_sessions_start(struct sync *s, const uint8_t *person);
/*
 * Queues an inner message (a msgpack map, docs/PROTOCOL.md 6.6) to every
 * non-revoked device of person (NULL: our own other devices), inside the
 * caller's transaction. *queued (if not NULL) grows by the count.
 */
int sync_send_inner(struct sync *s, const uint8_t *person, const uint8_t *pt, size_t len,
                    uint64_t *queued);
/*
 * Queues our device list as it now stands (devlist_own) to our own other
 * devices and to every partner, inside the caller's transaction.
 */
int sync_send_devlist(struct sync *s);
/* Tells our own other devices about partner p (name, person key, devices). */
int sync_tell_own_partner(struct sync *s, const struct store_partner *p);
/* Adds device records (msgpack bins) of person after verifying each. */
int sync_add_devices(struct sync *s, const uint8_t person[32], const msgpack_object *arr,
                     size_t n);
/* The list head of pairings in progress (owned by pairing.c). */
struct pairing **sync_pairings(struct sync *s);

/*
 * Environment knobs for tests (read by sync_new): ATTUNE_BACKOFF_MAX_MS caps
 * the reconnect delay, ATTUNE_KEEPALIVE_MS sets the ping interval.
 */

#endif
