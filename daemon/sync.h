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

#include <stdint.h>

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

/*
 * Environment knobs for tests (read by sync_new): ATTUNE_BACKOFF_MAX_MS caps
 * the reconnect delay, ATTUNE_KEEPALIVE_MS sets the ping interval.
 */

#endif
