/*
 * The Double Ratchet (Signal's specification, docs/PROTOCOL.md 6.4) for one
 * session between two devices. The state is opaque and lives in
 * sodium_malloc memory; ratchet_free wipes it.
 *
 * A message is a 40-byte header (sender's ratchet public key, PN, N, the
 * two counters big-endian u32) followed by the AEAD ciphertext
 * (XChaCha20-Poly1305, RATCHET_TAG_LEN bytes longer than the plaintext).
 * The associated data is the session's 64-byte AD (IK_A || IK_B from X3DH)
 * and the header.
 *
 * Decryption is all-or-nothing: a rejected message (tampered, too far
 * ahead, replayed, garbage) leaves the state exactly as it was, byte for
 * byte of ratchet_save(). Skipped message keys: at most RATCHET_MAX_SKIP
 * per chain (a message further ahead is ATT_ETOOFAR) and at most
 * RATCHET_MAX_SKIPPED stored in all (the oldest are dropped beyond that).
 * A message whose key was already used is ATT_EREPLAY (recognised as such
 * for the current chain and the RATCHET_PREV_KEYS chains before it; older
 * ones fail as ATT_EDECRYPT, still without any change).
 */
#ifndef ATTUNE_RATCHET_H
#define ATTUNE_RATCHET_H

#include <stddef.h>
#include <stdint.h>

#define RATCHET_HEADER_LEN 40
#define RATCHET_TAG_LEN 16
#define RATCHET_OVERHEAD (RATCHET_HEADER_LEN + RATCHET_TAG_LEN)
#define RATCHET_AD_LEN 64
#define RATCHET_MAX_SKIP 1000
#define RATCHET_MAX_SKIPPED 2000
#define RATCHET_PREV_KEYS 8     /* past peer ratchet keys remembered to name replays */
#define RATCHET_MAX_PLAINTEXT 65536
#define RATCHET_STATE_VERSION 1

struct ratchet;

/*
 * Alice, after x3dh_initiate: sk is the X3DH secret, peer_pub Bob's signed
 * prekey. She can send at once. *out owned by the caller (ratchet_free).
 */
int ratchet_init_initiator(struct ratchet **out, const uint8_t sk[static 32],
    const uint8_t peer_pub[static 32], const uint8_t ad[static RATCHET_AD_LEN]);
/*
 * Bob, after x3dh_respond: his signed prekey pair is his first ratchet key.
 * He can send only after he has decrypted a message (ATT_ESTATE before).
 */
int ratchet_init_responder(struct ratchet **out, const uint8_t sk[static 32],
    const uint8_t my_sk[static 32], const uint8_t my_pub[static 32],
    const uint8_t ad[static RATCHET_AD_LEN]);
void ratchet_free(struct ratchet *r);

/* Encrypts pt into out (cap >= pt_len + RATCHET_OVERHEAD); returns the
 * message length. Advances the sending chain. */
int ratchet_encrypt(struct ratchet *r, uint8_t *out, size_t cap,
    const uint8_t *pt, size_t pt_len);
/* Decrypts msg into out (cap >= msg_len - RATCHET_OVERHEAD); returns the
 * plaintext length. On any error the state is unchanged and out is wiped. */
int ratchet_decrypt(struct ratchet *r, uint8_t *out, size_t cap,
    const uint8_t *msg, size_t msg_len);

/* 1 once a message from the peer has decrypted in this session. */
int ratchet_has_received(const struct ratchet *r);
/* The session's associated data (IK_A || IK_B), 64 bytes. */
const uint8_t *ratchet_ad(const struct ratchet *r);

/*
 * Serialisation, version byte first (RATCHET_STATE_VERSION). The bytes are
 * secret: the caller wipes them and stores them only sealed.
 * ratchet_save writes into out (cap >= ratchet_save_size) and returns the
 * length. ratchet_load checks the version (ATT_EVERSION) and every length
 * exactly (ATT_ECORRUPT) before it builds a state.
 */
size_t ratchet_save_size(const struct ratchet *r);
int ratchet_save(const struct ratchet *r, uint8_t *out, size_t cap);
int ratchet_load(struct ratchet **out, const uint8_t *buf, size_t len);

#endif
