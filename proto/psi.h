/*
 * Mutual-only reveal: one side of a padded ECDH private set intersection
 * round over ristretto255 (docs/PROTOCOL.md section 9, docs/SECURITY.md).
 *
 * A round compares two answer vectors slot by slot. Every slot is sent
 * whatever its answer: a yes is H(item)^a, a no is a random valid point, so
 * the partner sees the same number of the same kind of points whatever the
 * answers. Each side sends three messages, in this order:
 *
 *   COMMIT  a hash of its whole vector (and an opening nonce), so neither
 *           side can choose its answers after seeing the other's;
 *   REVEAL  the vector and the nonce, once the peer's COMMIT has arrived;
 *   EXP     the peer's vector raised to its own scalar, hashed per slot.
 *
 * A slot matches when both sides' H(item)^(ab) agree, which happens only
 * when both said yes. "Fixed" slots are positional (catalogue items, the
 * spark); "custom" slots hold normalised free text and are compared as a
 * set, each side placing its custom items at random positions.
 *
 * Tier 1 compares yes answers; tier 2 (optional) compares "yes or maybe"
 * answers and counts only when both sides opted in.
 *
 * Everything here is a pure function of its inputs: all randomness comes
 * from the 32-byte `rnd` given to psi_new (the daemon fills it with
 * randombytes_buf; tests pass fixed bytes, so vectors are reproducible).
 * The state, the scalar and the answers live in sodium_malloc memory and are
 * wiped on psi_free.
 */
#ifndef ATTUNE_PSI_H
#define ATTUNE_PSI_H

#include <stddef.h>
#include <stdint.h>

#define PSI_VERSION 1
#define PSI_RANDOM_LEN 32
#define PSI_ROUND_ID_LEN 16
#define PSI_BIND_LEN 32       /* the pair's binding (identities, session) */
#define PSI_POINT_LEN 32
#define PSI_TAG_LEN 16        /* one slot of an EXP message */
#define PSI_COMMIT_LEN 32
#define PSI_NONCE_LEN 32
#define PSI_MAX_FIXED 256
#define PSI_MAX_CUSTOM 64
#define PSI_MAX_TIERS 2
#define PSI_KEY_MAX 64        /* longest slot key (item id or normalised text) */

/* Message kinds (byte 1 of every message). */
enum psi_kind { PSI_COMMIT = 1, PSI_REVEAL = 2, PSI_EXP = 3 };

enum psi_answer { PSI_NO = 0, PSI_MAYBE = 1, PSI_YES = 2 };

/* Flags carried in COMMIT. */
#define PSI_FLAG_MAYBE 1      /* this side opted into the maybe tier */

/* The shape both sides must agree on; part of the round's domain. */
struct psi_params {
	uint16_t catalogue;   /* catalogue version (0 for sparks) */
	uint16_t nfixed;      /* 1..PSI_MAX_FIXED */
	uint16_t ncustom;     /* 0..PSI_MAX_CUSTOM */
	uint8_t tiers;        /* 1 or 2 */
};

/* Header: version, kind, round id, then per kind (sizes by psi_msg_size):
 *   COMMIT: flags(1) tiers(1) catalogue(2) nfixed(2) ncustom(2) commit(32)
 *   REVEAL: nonce(32) points[tiers][nfixed + ncustom](32 each)
 *   EXP:    tags[tiers][nfixed + ncustom](16 each) */
#define PSI_HEADER_LEN (2 + PSI_ROUND_ID_LEN)
#define PSI_COMMIT_MSG_LEN (PSI_HEADER_LEN + 8 + PSI_COMMIT_LEN)
#define PSI_MSG_MAX (PSI_HEADER_LEN + PSI_NONCE_LEN + \
	PSI_MAX_TIERS * (PSI_MAX_FIXED + PSI_MAX_CUSTOM) * PSI_POINT_LEN)

struct psi;

/*
 * One side of a round. role: 0 or 1, the two sides must differ (the daemon
 * gives 0 to the person with the smaller identity key). bind: what ties the
 * round to this pair (docs/PROTOCOL.md 9.3). flags: PSI_FLAG_MAYBE or 0.
 * NULL on a bad argument or out of memory.
 */
struct psi *psi_new(int role, const uint8_t bind[PSI_BIND_LEN],
    const uint8_t round_id[PSI_ROUND_ID_LEN], const struct psi_params *p,
    unsigned flags, const uint8_t rnd[PSI_RANDOM_LEN]);
void psi_free(struct psi *s);

/*
 * Answers, before psi_start (ATT_ESTATE after). Fixed slot i gets the stable
 * item id `key` (1..PSI_KEY_MAX bytes); a slot never set counts as no.
 * psi_set_custom adds one normalised custom item (ATT_ELIMIT when ncustom
 * are set, ATT_EEXIST for the same key twice).
 */
int psi_set_fixed(struct psi *s, size_t i, const char *key, size_t len, enum psi_answer a);
int psi_set_custom(struct psi *s, const char *key, size_t len, enum psi_answer a);

/* Freezes the answers and computes this side's vector and commitment. */
int psi_start(struct psi *s);

/*
 * The next message this side should send now, written to out (cap bytes):
 * its length, or 0 when nothing is due (waiting for the peer, or done).
 * Each message is produced once; the caller stores it until the transport
 * has taken it.
 */
int psi_next(struct psi *s, uint8_t *out, size_t cap);

/*
 * A message from the peer. Refused, with the state unchanged: anything
 * malformed or of another round (ATT_EMALFORMED, ATT_EVERSION, ATT_EINVAL,
 * ATT_ETRUNCATED, ATT_ETRAILING), a message already taken (ATT_EREPLAY), one
 * that comes before its turn (ATT_ESTATE), a shape other than ours
 * (ATT_ERANGE), a REVEAL that does not open its COMMIT (ATT_EAUTH), a point
 * that does not decode (ATT_EBADKEY).
 */
int psi_recv(struct psi *s, const uint8_t *msg, size_t len);

/* Both EXP messages are in: the result is ready. */
int psi_done(const struct psi *s);

/*
 * The result (ATT_ESTATE before psi_done). tier 0 = both yes, tier 1 = both
 * at least maybe (empty unless both sides opted in). fixed: nfixed bytes,
 * 1 where matched; custom: 1 per own custom item, in the order they were
 * set. Either may be NULL.
 */
int psi_result(const struct psi *s, int tier, uint8_t *fixed, uint8_t *custom);
/* Whether both sides opted into the maybe tier (after the peer's COMMIT). */
int psi_maybe_tier(const struct psi *s);

/* The size of a message of kind k for the shape p (0 if p is invalid). */
size_t psi_msg_size(enum psi_kind k, const struct psi_params *p);
/* Kind and round id of a message, checked for shape only (for routing). */
int psi_peek(const uint8_t *msg, size_t len, uint8_t round_id[PSI_ROUND_ID_LEN]);

/* The group element H(key) of fixed (section 0) or custom (section 1) items
 * in tier `tier` under the round's domain: exposed for the vectors. */
int psi_hash_to_group(uint8_t out[PSI_POINT_LEN], const uint8_t domain[32],
    int tier, int section, const char *key, size_t len);
/* The round's domain: BLAKE2b-256 over bind, round id and shape. */
void psi_domain(uint8_t out[32], const uint8_t bind[PSI_BIND_LEN],
    const uint8_t round_id[PSI_ROUND_ID_LEN], const struct psi_params *p);

#endif
