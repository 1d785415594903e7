/*
 * This device's standing at the relay and the prekeys around it
 * (docs/PROTOCOL.md 5 and 6.2): registration with an invite, publishing our
 * signed prekey (rotated weekly) and one-time prekeys (topped up when the
 * relay runs low), and fetching the prekey bundles of peer devices we have
 * no session with yet. Part of the sync engine (daemon/sync.h); the state
 * lives in a struct prekeys the engine owns.
 *
 * Kv keys (sealed): "invite", "registered", "spk", "spk_prev", "spk_ts",
 * "otk_next".
 */
#ifndef ATTUNE_DAEMON_PREKEYS_H
#define ATTUNE_DAEMON_PREKEYS_H

#include <stdint.h>

struct prekeys;
struct sync;

struct prekeys *prekeys_new(struct sync *s);
void prekeys_free(struct prekeys *pk);

/* The relay connection is up (registered: the relay's hello flag): register or start syncing. */
void prekeys_on_up(struct sync *s, int registered);
/* The relay connection went down: forget what was in flight. */
void prekeys_on_down(struct sync *s);
/* 1 once the relay accepted this device on the current connection. */
int prekeys_registered(const struct sync *s);
/* Asks the relay how many one-time prekeys are left when due (daily, or after one was used). */
void prekeys_refresh(struct sync *s);
/* A peer used one of our one-time prekeys: check the count at the next flush. */
void prekeys_otk_used(struct sync *s);
/* 1 (once) when a bundle fetch failed and sessions should be tried again. */
int prekeys_take_retry(struct sync *s);
/* Fetches prekey bundles for person's devices (NULL: all) without a session. */
void prekeys_sessions_start(struct sync *s, const uint8_t *person);
/* Asks the relay for dev's prekey bundle unless that is already under way. */
void prekeys_fetch_bundle(struct sync *s, const uint8_t dev[32]);

#endif
