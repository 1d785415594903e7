/*
 * Noise_IK_25519_ChaChaPoly_BLAKE2b: the handshake that opens every
 * device <-> relay connection, then the two transport cipher states.
 * See docs/PROTOCOL.md section 4 for the exact construction.
 *
 * All functions return 0 (or a length) on success and a negative ATT_E*
 * code from proto/err.h on failure. Secrets held by the states are wiped
 * when they are freed.
 */
#ifndef ATTUNE_NOISE_H
#define ATTUNE_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_KEYLEN 32
#define NOISE_HASHLEN 64
#define NOISE_TAGLEN 16
#define NOISE_MAXMSG 65535
#define NOISE_PROLOGUE "attune/1"   /* 8 bytes, no NUL */
#define NOISE_PROLOGUE_LEN 8
/* Largest plaintext in one transport message. */
#define NOISE_MAXPLAIN (NOISE_MAXMSG - NOISE_TAGLEN)
/* IK message sizes without payload: e, s+tag, tag (message 1); e, tag (message 2). */
#define NOISE_IK_MSG1_LEN (NOISE_KEYLEN + NOISE_KEYLEN + NOISE_TAGLEN + NOISE_TAGLEN)
#define NOISE_IK_MSG2_LEN (NOISE_KEYLEN + NOISE_TAGLEN)

struct noise_hs;   /* handshake state (opaque) */
struct noise_cs;   /* transport: the two cipher states after Split (opaque) */

/* Generates an X25519 key pair. */
void noise_keypair(uint8_t pub[NOISE_KEYLEN], uint8_t priv[NOISE_KEYLEN]);
/* Derives the public key of priv. */
int noise_pubkey(uint8_t pub[NOISE_KEYLEN], const uint8_t priv[NOISE_KEYLEN]);

/* IK initiator knows the responder's static public key. NULL on ENOMEM. Copies keys. */
struct noise_hs *noise_hs_initiator(const uint8_t s_priv[NOISE_KEYLEN],
    const uint8_t rs_pub[NOISE_KEYLEN], const uint8_t *prologue, size_t prologue_len);
struct noise_hs *noise_hs_responder(const uint8_t s_priv[NOISE_KEYLEN],
    const uint8_t *prologue, size_t prologue_len);
/* The same, with the static public key the caller derived once (noise_pubkey): saves
 * one of the six X25519 operations per handshake on a busy relay. A wrong s_pub
 * makes every handshake fail; it cannot weaken one. */
struct noise_hs *noise_hs_responder_pub(const uint8_t s_priv[NOISE_KEYLEN],
    const uint8_t s_pub[NOISE_KEYLEN], const uint8_t *prologue, size_t prologue_len);
/* Noise_XX_25519_ChaChaPoly_BLAKE2b (no pre-message), for the published vectors and
 * for a peer whose static key is not known in advance. */
struct noise_hs *noise_hs_xx(int initiator, const uint8_t s_priv[NOISE_KEYLEN],
    const uint8_t *prologue, size_t prologue_len);
/* Tests only (vectors): use this ephemeral private key instead of a random one. */
int noise_hs_fix_ephemeral(struct noise_hs *, const uint8_t e_priv[NOISE_KEYLEN]);
/* Writes the next handshake message carrying payload; returns its length or <0. */
int noise_hs_write(struct noise_hs *, uint8_t *out, size_t out_cap,
    const uint8_t *payload, size_t payload_len);
/* Reads the next handshake message; returns the payload length or <0 (ATT_EDECRYPT,
 * ATT_EBADKEY, ATT_ETRUNCATED, ATT_ESTATE). On failure the state is dead: free it. */
int noise_hs_read(struct noise_hs *, uint8_t *payload, size_t payload_cap,
    const uint8_t *msg, size_t msg_len);
int noise_hs_done(const struct noise_hs *);
/* The peer's static key (the responder learns it from message 1). */
int noise_hs_remote_static(const struct noise_hs *, uint8_t rs[NOISE_KEYLEN]);
/* After done: splits into transport state (initiator sends with c1, responder with c2),
 * copies the handshake hash if h != NULL, and wipes the handshake's secrets. */
int noise_hs_split(struct noise_hs *, struct noise_cs **out, uint8_t h[NOISE_HASHLEN]);
void noise_hs_free(struct noise_hs *);   /* wipes */
size_t noise_hs_size(void);              /* bytes per handshake state, for benchmarks */

/* Transport. Return output length or <0; encrypt output = len + 16. Refuse nonce
 * 2^64-1 (ATT_ENONCE). A failed decrypt does not advance the nonce. */
int noise_cs_encrypt(struct noise_cs *, uint8_t *out, size_t out_cap, const uint8_t *pt, size_t len);
int noise_cs_decrypt(struct noise_cs *, uint8_t *out, size_t out_cap, const uint8_t *ct, size_t len);
int noise_cs_rekey_send(struct noise_cs *);
int noise_cs_rekey_recv(struct noise_cs *);
void noise_cs_free(struct noise_cs *);   /* wipes */
size_t noise_cs_size(void);              /* bytes per transport state */

/* Tests only: set the next send / receive nonce (to test exhaustion near 2^64). */
void noise_cs_set_nonces(struct noise_cs *, uint64_t send_n, uint64_t recv_n);

#endif
