/*
 * Identities and X3DH session setup (docs/PROTOCOL.md 6.2 and 6.3).
 *
 * Keys, all held by the caller (secret keys in sodium_malloc memory):
 *   person key   Ed25519, one per person; signs device records
 *   sign key     Ed25519, one per device; signs prekey records
 *   dh key       X25519, one per device; the X3DH identity key "IK"
 *   relay key    X25519, one per device; its Noise static key at the relay
 *
 * Records are fixed-size byte strings, each starting with a version byte
 * and ending with an Ed25519 signature over a domain string and all the
 * bytes before the signature. They are opaque to the relay.
 *
 *   device record     X3DH_DEVREC_LEN: v | person pk | sign pk | dh pk |
 *                     relay pk | created (u64) | sig(person key)
 *   signed prekey     X3DH_SPK_LEN: v | id (u32) | created (u64) | pub | sig(sign key)
 *   one-time prekey   X3DH_OTK_LEN: v | id (u32) | pub | sig(sign key)
 *
 * Every function verifies a signature before it uses the key inside, and
 * rejects low-order (all-zero shared secret) X25519 points with ATT_EBADKEY.
 * Nothing here allocates; secret intermediates are wiped on every path.
 */
#ifndef ATTUNE_X3DH_H
#define ATTUNE_X3DH_H

#include <stddef.h>
#include <stdint.h>

#define X3DH_VERSION 1
#define X3DH_KEY_LEN 32                 /* X25519 / Ed25519 public key, SK */
#define X3DH_DEVREC_LEN (1 + 4 * 32 + 8 + 64)   /* 201 */
#define X3DH_SPK_LEN (1 + 4 + 8 + 32 + 64)      /* 109 */
#define X3DH_OTK_LEN (1 + 4 + 32 + 64)          /* 101 */
/* What the initiator's prekey messages carry: v | IK_A | EK_A | spk id | otk id */
#define X3DH_HEADER_LEN (1 + 32 + 32 + 4 + 4)   /* 73 */
#define X3DH_NO_OTK 0xffffffffu         /* otk id when no one-time prekey was used */
#define X3DH_AD_LEN 64                  /* IK_initiator || IK_responder */

/* A parsed, verified device record. */
struct x3dh_devrec {
	uint8_t person_pk[32];
	uint8_t sign_pk[32];
	uint8_t dh_pk[32];
	uint8_t relay_pk[32];
	uint64_t created;
};

/* Signs d (its person_pk must match person_sk) into rec. */
int x3dh_devrec_make(uint8_t rec[static X3DH_DEVREC_LEN], const struct x3dh_devrec *d,
    const uint8_t person_sk[static 64]);
/*
 * Checks length, version and the signature by the person key inside, then
 * fills *d. If person_pk is not NULL the record must also be signed by that
 * person (ATT_EAUTH otherwise).
 */
int x3dh_devrec_verify(struct x3dh_devrec *d, const uint8_t *rec, size_t len,
    const uint8_t *person_pk /* [32] or NULL */);

/* A fresh signed prekey: its secret into spk_sk (caller's secure memory). */
int x3dh_spk_make(uint8_t rec[static X3DH_SPK_LEN], uint8_t spk_sk[static 32],
    uint32_t id, uint64_t created, const uint8_t sign_sk[static 64]);
/* A fresh one-time prekey (id must not be X3DH_NO_OTK). */
int x3dh_otk_make(uint8_t rec[static X3DH_OTK_LEN], uint8_t otk_sk[static 32],
    uint32_t id, const uint8_t sign_sk[static 64]);
/* Verify a record against the device's sign key and extract its fields. */
int x3dh_spk_verify(uint32_t *id, uint64_t *created, uint8_t pub[static 32],
    const uint8_t *rec, size_t len, const uint8_t sign_pk[static 32]);
int x3dh_otk_verify(uint32_t *id, uint8_t pub[static 32],
    const uint8_t *rec, size_t len, const uint8_t sign_pk[static 32]);

/*
 * Initiator (Alice). From her dh key pair and Bob's verified identity (dh pk
 * and sign pk, from his device record) plus the relay's prekey bundle (spk
 * record, optional otk record: NULL/0 when the relay had none), computes
 * the shared secret sk, the header Bob needs, Bob's signed prekey public
 * key (her first ratchet peer key) and the associated data IK_A || IK_B.
 */
int x3dh_initiate(uint8_t sk[static 32], uint8_t header[static X3DH_HEADER_LEN],
    uint8_t peer_spk_pub[static 32], uint8_t ad[static X3DH_AD_LEN],
    const uint8_t my_dh_sk[static 32], const uint8_t my_dh_pk[static 32],
    const uint8_t peer_dh_pk[static 32], const uint8_t peer_sign_pk[static 32],
    const uint8_t *spk_rec, size_t spk_len, const uint8_t *otk_rec, size_t otk_len);

/* Reads a header: the initiator's IK, ephemeral key and prekey ids. */
int x3dh_header_parse(uint8_t peer_dh_pk[static 32], uint8_t ephemeral[static 32],
    uint32_t *spk_id, uint32_t *otk_id, const uint8_t *header, size_t len);

/*
 * Responder (Bob). expected_peer_dh_pk is the initiator's dh key from her
 * verified device record: the header must carry the same (ATT_EAUTH).
 * otk_sk is NULL exactly when the header's otk id is X3DH_NO_OTK.
 */
int x3dh_respond(uint8_t sk[static 32], uint8_t ad[static X3DH_AD_LEN],
    const uint8_t *header, size_t len,
    const uint8_t my_dh_sk[static 32], const uint8_t my_dh_pk[static 32],
    const uint8_t spk_sk[static 32], const uint8_t *otk_sk /* [32] or NULL */,
    const uint8_t expected_peer_dh_pk[static 32]);

#endif
