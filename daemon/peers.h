/*
 * Sessions with peer devices (a partner's or our own other devices): one
 * proto/session.h record per peer device, stored sealed by its relay key.
 * Every function here works inside the caller's store transaction, so
 * "advanced session + outbox item" and "advanced session + stored event"
 * are committed together.
 *
 * An outbox item normally holds an envelope (first byte ENVELOPE_VERSION).
 * When the session with a device cannot send yet (its prekeys not fetched),
 * the item holds PEERS_PENDING followed by the plaintext instead — sealed by
 * the store like everything else — and the sync engine turns it into an
 * envelope once peers_initiate has run.
 */
#ifndef ATTUNE_DAEMON_PEERS_H
#define ATTUNE_DAEMON_PEERS_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct session;
struct store_device;
struct store_outbox_item;

#define PEERS_PENDING 0x00
/*
 * An outbox item starting with PEERS_FINAL (then a sealed envelope) is the
 * device list that revokes its recipient: the one thing a revoked device
 * still gets, so that it learns (sealed envelopes start with their version, 1).
 */
#define PEERS_FINAL 0xff
/* Signed prekey ids carry this bit; one-time prekey ids do not. */
#define PEERS_SPK_BIT 0x80000000u
/* Largest inner plaintext we send or accept. */
#define PEERS_PT_MAX 8192

/* Loads the peer device's row and checks its record (signed by its person). */
int peers_device(struct daemon *d, const uint8_t relay[32], struct store_device *out,
                 uint8_t dh_pk[32], uint8_t sign_pk[32]);
/* 1 when the session with `to` can send now, 0 when it needs prekeys, < 0 error. */
int peers_ready(struct daemon *d, const uint8_t to[32]);
/* Queues pt for device `to`: an envelope when ready, else a pending item. */
/* Seals pt for the device `to` now (its session must be ready) as a PEERS_FINAL item. */
int peers_queue_final(struct daemon *d, const uint8_t to[32], const uint8_t *pt, size_t len);
int peers_queue(struct daemon *d, const uint8_t to[32], const uint8_t *pt, size_t len);
/* Starts a session with `to` from its prekey bundle (as the relay returned it) and saves it. */
int peers_initiate(struct daemon *d, const uint8_t to[32], const uint8_t *spk, size_t spk_len,
                   const uint8_t *otk, size_t otk_len);
/* Replaces a pending outbox item by its envelope (session must be ready). */
int peers_seal_pending(struct daemon *d, const struct store_outbox_item *it);
/*
 * Opens env from the device dev. Returns the plaintext length in pt (cap >=
 * len), *out the advanced session (give it to peers_commit or session_free)
 * and *otk_used the one-time prekey it consumed. The stored session is not
 * touched. Errors as session_decrypt.
 */
int peers_open(struct daemon *d, const struct store_device *dev, const uint8_t *env, size_t len,
               uint8_t *pt, size_t cap, struct session **out, uint32_t *otk_used);
/* Saves s for relay, forgets the used one-time prekey; frees s. */
int peers_commit(struct daemon *d, const uint8_t relay[32], struct session *s, uint32_t otk_used);

#endif
