/*
 * CPace over ristretto255 with SHA-512 (CPACE-RISTR255-SHA512), as in
 * draft-irtf-cfrg-cpace-21, initiator-responder mode, with the explicit key
 * confirmation the draft suggests (Ta, Tb: HMAC-SHA512 under
 * mac_key = SHA-512("CPaceMac" || sid || ISK)).
 *
 * One party's run: cpace_new (password, channel identifier, sid, own AD) ->
 * cpace_share (own Y, to send) -> cpace_derive (peer's Y and AD) ->
 * cpace_tag (own tag, to send) -> cpace_verify (peer's tag) -> cpace_isk.
 * K never leaves this module; ISK is released only after the peer's tag has
 * verified. All secrets live in sodium_malloc memory, wiped on free and on
 * every failure (a failed state stays failed: ATT_ESTATE).
 */
#ifndef ATTUNE_CPACE_H
#define ATTUNE_CPACE_H

#include <stddef.h>
#include <stdint.h>

#define CPACE_YBYTES 32       /* encoded ristretto255 element */
#define CPACE_SCALARBYTES 32
#define CPACE_ISKBYTES 64
#define CPACE_TAGBYTES 64
#define CPACE_FIELD_MAX 1024  /* longest PRS, CI, sid or AD accepted */

struct cpace;

/*
 * A new run. initiator: 1 for A (sends Ya first), 0 for B. Every input is
 * copied; each may be empty (NULL with length 0). Returns NULL on a bad
 * argument or out of memory.
 */
struct cpace *cpace_new(int initiator, const uint8_t *prs, size_t prs_len,
    const uint8_t *ci, size_t ci_len, const uint8_t *sid, size_t sid_len,
    const uint8_t *ad, size_t ad_len);

/*
 * Tests only: use Y_SCALAR (little-endian, below the group order) instead of
 * a random scalar, to reproduce the draft's vectors. Before cpace_share.
 */
int cpace_fix_scalar(struct cpace *c, const uint8_t y_scalar[CPACE_SCALARBYTES]);

/* Own public share (Ya or Yb) = encode(y * g). */
int cpace_share(struct cpace *c, uint8_t y_out[CPACE_YBYTES]);

/*
 * Takes the peer's share and AD, computes K (ATT_EBADKEY, and the state
 * dies, if the share does not decode or K is the identity), ISK and both
 * confirmation tags.
 */
int cpace_derive(struct cpace *c, const uint8_t peer_y[CPACE_YBYTES],
    const uint8_t *peer_ad, size_t peer_ad_len);

/* Own confirmation tag (Ta for the initiator, Tb for the responder). */
int cpace_tag(const struct cpace *c, uint8_t tag[CPACE_TAGBYTES]);

/* Checks the peer's tag in constant time; ATT_EAUTH (and the state dies) if wrong. */
int cpace_verify(struct cpace *c, const uint8_t peer_tag[CPACE_TAGBYTES]);

/* The ISK, only after cpace_verify succeeded (ATT_ESTATE before). */
int cpace_isk(const struct cpace *c, uint8_t isk[CPACE_ISKBYTES]);

/*
 * transcript_ir(Ya, ADa, Yb, ADb) of this run, after cpace_derive, into out;
 * returns its length (ATT_ETOOBIG if cap is short). Public data.
 */
int cpace_transcript(const struct cpace *c, uint8_t *out, size_t cap);

/* Wipes and frees; NULL is fine. */
void cpace_free(struct cpace *c);

/*
 * The draft's building blocks, exposed for its vectors and for callers
 * that bind CPace output into other hashes. Each writes to out and returns
 * the length written, or ATT_ETOOBIG if cap is too small.
 */
int cpace_prepend_len(uint8_t *out, size_t cap, const uint8_t *x, size_t len);
/* lv_cat of N (pointer, length) pairs. */
int cpace_lv_cat(uint8_t *out, size_t cap, size_t n, const uint8_t *const *parts,
    const size_t *lens);
int cpace_o_cat(uint8_t *out, size_t cap, const uint8_t *a, size_t a_len,
    const uint8_t *b, size_t b_len);
int cpace_transcript_ir(uint8_t *out, size_t cap, const uint8_t *ya, size_t ya_len,
    const uint8_t *ada, size_t ada_len, const uint8_t *yb, size_t yb_len,
    const uint8_t *adb, size_t adb_len);
int cpace_transcript_oc(uint8_t *out, size_t cap, const uint8_t *ya, size_t ya_len,
    const uint8_t *ada, size_t ada_len, const uint8_t *yb, size_t yb_len,
    const uint8_t *adb, size_t adb_len);
/* generator_string(DSI, PRS, CI, sid, 128) for DSI "CPaceRistretto255". */
int cpace_generator_string(uint8_t *out, size_t cap, const uint8_t *prs, size_t prs_len,
    const uint8_t *ci, size_t ci_len, const uint8_t *sid, size_t sid_len);
/* The encoded generator g. */
int cpace_generator(uint8_t g[CPACE_YBYTES], const uint8_t *prs, size_t prs_len,
    const uint8_t *ci, size_t ci_len, const uint8_t *sid, size_t sid_len);
/* encode(s * decode(X)); ATT_EBADKEY if X does not decode or the result is the identity. */
int cpace_scalar_mult_vfy(uint8_t out[CPACE_YBYTES], const uint8_t s[CPACE_SCALARBYTES],
    const uint8_t x[CPACE_YBYTES]);

#endif
