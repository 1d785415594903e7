/*
 * Sessions with one peer device: X3DH + Double Ratchet + envelopes in one
 * object, which is what the daemon keeps (sealed) per peer device.
 *
 * A session record is bound to three public keys given at creation: this
 * device's dh key, and the peer device's dh key and sign key (from its
 * verified device record, x3dh_devrec_verify). It holds up to
 * SESSION_MAX_STATES ratchets: the current one, used to send, and a few
 * older ones kept so that messages still in flight on them decrypt (both
 * devices may start a session at the same moment; a peer may restart one).
 * An incoming message that decrypts on an older ratchet makes it current.
 *
 * Until the peer has answered on it, a session this device started sends
 * ENVELOPE_PREKEY envelopes (each carries the X3DH header, so whichever
 * arrives first sets the session up); afterwards ENVELOPE_NORMAL.
 *
 * Typical use by the daemon:
 *   send:    s = session_load(blob) or session_new(...);
 *            if (!session_ready(s)) { fetch the peer's prekey bundle with
 *                prekey_get; session_initiate(s, dh_sk, spk, otk); }
 *            n = session_encrypt(s, env, sizeof env, plaintext, len);
 *            store session_save(s) and the outbox item in one transaction.
 *   receive: n = session_decrypt(s, pt, cap, env, len, dh_sk, lookup, arg,
 *                &otk_used);
 *            store the event, session_save(s) (and delete one-time prekey
 *            otk_used) in one transaction, then ack.
 *
 * Decryption is all-or-nothing like ratchet_decrypt: on any error the
 * session is unchanged. A replayed envelope is ATT_EREPLAY (also a prekey
 * envelope whose ratchet is gone: the last SESSION_SEEN X3DH ephemeral keys
 * answered are remembered). The caller owns all buffers; secret keys are only
 * borrowed for the duration of a call.
 */
#ifndef ATTUNE_SESSION_H
#define ATTUNE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "proto/envelope.h"
#include "proto/x3dh.h"

#define SESSION_MAX_STATES 4
#define SESSION_SEEN 16     /* X3DH ephemerals remembered against replayed prekey messages */
#define SESSION_VERSION 1

struct session;

/* A record with no ratchet yet; the keys (32 bytes each) are copied.
 * NULL when out of memory. */
struct session *session_new(const uint8_t my_dh_pk[static 32],
    const uint8_t peer_dh_pk[static 32], const uint8_t peer_sign_pk[static 32]);
void session_free(struct session *s);

/* 1 when session_encrypt can send now; 0 when session_initiate is needed. */
int session_ready(const struct session *s);

/*
 * Starts a new ratchet from the peer's prekey bundle as the relay returned
 * it (spk record; otk record or NULL/0). Verifies both records with the
 * peer's sign key (ATT_EAUTH) and makes the new ratchet current.
 */
int session_initiate(struct session *s, const uint8_t my_dh_sk[static 32],
    const uint8_t *spk, size_t spk_len, const uint8_t *otk, size_t otk_len);

/* Largest envelope session_encrypt writes for a plaintext of pt_len bytes
 * (0 if pt_len > ENVELOPE_MAX_PLAINTEXT). */
size_t session_envelope_max(size_t pt_len);
/* Pads pt, encrypts it on the current ratchet and writes one envelope into
 * env; returns its length. ATT_ESTATE when not session_ready. */
int session_encrypt(struct session *s, uint8_t *env, size_t cap,
    const uint8_t *pt, size_t pt_len);

/*
 * The daemon's store of its own prekey secrets, asked during a decrypt
 * that starts a new ratchet: fill spk_sk (and otk_sk, unless otk_id is
 * X3DH_NO_OTK) and return 0, or return ATT_ENOTFOUND.
 */
typedef int (*session_prekey_fn)(void *arg, uint32_t spk_id, uint8_t spk_sk[static 32],
    uint32_t otk_id, uint8_t otk_sk[static 32]);

/*
 * Opens one envelope from the peer into pt (cap >= len is always enough)
 * and returns the plaintext length. *otk_used is set to the one-time
 * prekey id this message consumed (delete its secret when you commit), or
 * X3DH_NO_OTK. Errors: ATT_EMALFORMED/ATT_EVERSION (not an envelope),
 * ATT_EDECRYPT, ATT_EREPLAY, ATT_ETOOFAR, ATT_ENOTFOUND (prekey unknown:
 * used up or never ours), ATT_EAUTH (prekey message from a different
 * identity), ATT_ENOMEM.
 */
int session_decrypt(struct session *s, uint8_t *pt, size_t cap,
    const uint8_t *env, size_t len, const uint8_t my_dh_sk[static 32],
    session_prekey_fn lookup, void *arg, uint32_t *otk_used);

/* Serialisation (version byte first); secret, store it sealed. Same rules
 * as ratchet_save/ratchet_load. */
size_t session_save_size(const struct session *s);
int session_save(const struct session *s, uint8_t *out, size_t cap);
int session_load(struct session **out, const uint8_t *buf, size_t len);

#endif
