/*
 * The pairing channel: CPace (proto/cpace.h) with key confirmation, then one
 * sealed "introduction" each way, as a transport-agnostic state machine.
 *
 * The daemon moves the opaque messages this produces through the relay's
 * nameplate channel (np_send / np_msg; each message is at most PAKE_MSG_MAX
 * bytes) and feeds what arrives to pake_recv. Four messages in all:
 *
 *   1. initiator -> responder   sid, Ya, ADa (a fresh key, not the identity)
 *   2. responder -> initiator   Yb, ADb (a fresh key, not the identity), Tb
 *   3. initiator -> responder   Ta, sealed: identity, signature, introduction
 *   4. responder -> initiator   sealed: identity, signature, introduction
 *
 * The initiator checks Tb before it sends anything keyed; the responder
 * checks Ta before it opens or sends an introduction. With a wrong code the
 * initiator fails on message 2 (ATT_EAUTH) and never sends message 3; the
 * responder then never hears back, and the daemon closes the nameplate.
 * Any malformed, tampered or out-of-order message is an error, after which
 * the state is dead (every later call fails with ATT_ESTATE) and its keys
 * are wiped. No key, intro or safety number is available before the peer's
 * confirmation tag has verified.
 *
 * Identity keys travel only sealed (a relay or whoever claims the nameplate
 * first learns nothing of who pairs). Each sealed part carries the sender's
 * identity and an Ed25519 signature by its signer (pake_set_signer) over
 * "attune/1 pake intro" || role || identity || SHA-512(CPace transcript):
 * proof that the holder of that key took part in this very exchange, so an
 * introduction replayed from another person fails (issue 11, attack 3). The
 * caller checks it with pake_peer_verify against the identity, or against a
 * device key that identity certified. Pairing and linking use different
 * CPace channel identifiers (pake_set_link), so a mode mismatch fails the
 * PAKE itself before anything is revealed.
 * Wire layout and key derivation: docs/PROTOCOL.md section 6.1.
 */
#ifndef ATTUNE_PAKE_H
#define ATTUNE_PAKE_H

#include <stddef.h>
#include <stdint.h>

#define PAKE_MSG_MAX 4096    /* largest message pake produces or accepts */
#define PAKE_INTRO_MAX 3500  /* largest introduction a caller may supply */
#define PAKE_IDBYTES 32      /* Ed25519 identity public key */
#define PAKE_SAFETY_DIGITS_MAX 72   /* 60 digits in groups of five + NUL (proto/safety.h) */
#define PAKE_SAFETY_WORDS_MAX 160   /* twelve PGP words with spaces + NUL */

struct pake;

/*
 * A new pairing state. initiator: 1 for the side that allocated the
 * nameplate and shows the code, 0 for the side that typed it in.
 * code_canonical is the code as pcode_format() writes it (parsed and
 * re-checked here: it must be canonical and carry this nameplate).
 * my_identity must be a valid Ed25519 public key (so must the peer's, or
 * its message is refused with ATT_EBADKEY). intro (intro_len <=
 * PAKE_INTRO_MAX) is copied. Returns NULL on a bad argument or out of
 * memory. Free with pake_free.
 */
struct pake *pake_new(int initiator, const char *code_canonical, uint32_t nameplate,
    const uint8_t my_identity[PAKE_IDBYTES], const uint8_t *intro, size_t intro_len);

/*
 * The initiator's first message into out (cap >= PAKE_MSG_MAX is always
 * enough); returns its length. The responder has nothing to say first:
 * returns 0. A second call is ATT_ESTATE.
 */
int pake_start(struct pake *p, uint8_t *out, size_t cap);

/*
 * Consumes one message from the peer. Returns the length of the reply
 * written to out (0: nothing to send), or a negative ATT_E* code, after
 * which the state is dead: ATT_EAUTH (wrong code or tampered tag),
 * ATT_EBADKEY (invalid point), ATT_EDECRYPT (tampered introduction),
 * ATT_EMALFORMED / ATT_ETRUNCATED / ATT_ETOOBIG / ATT_EVERSION (bad shape),
 * ATT_ESTATE (out of order, or already dead/done).
 */
int pake_recv(struct pake *p, const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* 1 once the key is confirmed and the peer's introduction received, else 0. */
int pake_done(const struct pake *p);

/* 1 if the state has failed (the pairing cannot complete), else 0. */
int pake_failed(const struct pake *p);

/* The peer's introduction (owned by p), only when done; else NULL. */
const uint8_t *pake_peer_intro(const struct pake *p, size_t *len);

/* The peer's identity key, once its introduction is open (ATT_ESTATE before). */
int pake_peer_identity(const struct pake *p, uint8_t id[PAKE_IDBYTES]);
/* 0 when the peer's signature over this exchange verifies under pk, else ATT_EAUTH. */
int pake_peer_verify(const struct pake *p, const uint8_t pk[32]);
/* The Ed25519 secret key that signs our part (copied); before pake_start. */
int pake_set_signer(struct pake *p, const uint8_t sk[64]);
/* Binds the exchange to linking (1) or pairing (0, the default); before pake_start. */
int pake_set_link(struct pake *p, int link);

/*
 * The safety number (proto/safety.h) of this pairing, once confirmed:
 * digits like "4821 0937 5512" and words like "aardvark adroitness ...",
 * NUL-terminated. Either output may be NULL. Both sides get the same.
 */
int pake_safety(const struct pake *p, char *digits, size_t digits_cap,
    char *words, size_t words_cap);

/* Wipes and frees; NULL is fine. */
void pake_free(struct pake *p);

#endif
