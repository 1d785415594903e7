/*
 * CPace (draft-irtf-cfrg-cpace-21), suite CPACE-RISTR255-SHA512, on
 * libsodium 1.0.18: the generator is crypto_core_ristretto255_from_hash of
 * SHA-512(generator_string), scalar_mult_vfy is crypto_scalarmult_ristretto255
 * (which refuses an undecodable point and an identity result alike).
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/cpace.h"
#include "proto/err.h"

#define DSI "CPaceRistretto255"
#define DSI_ISK DSI "_ISK"
#define S_IN_BYTES 128
#define LEN_MAX 10  /* LEB128 of a size_t fits */
/* lv_cat(Ya, ADa) of the longest AD. */
#define LV_Y_AD_MAX (LEN_MAX + CPACE_YBYTES + LEN_MAX + CPACE_FIELD_MAX)

enum cpace_state { CPACE_NEW, CPACE_SHARED, CPACE_DERIVED, CPACE_CONFIRMED, CPACE_DEAD };

/* The whole struct lives in sodium_malloc memory: it holds y, ISK, mac_key. */
struct cpace {
	int initiator;
	enum cpace_state state;
	int scalar_fixed;
	uint8_t y[CPACE_SCALARBYTES];
	uint8_t g[CPACE_YBYTES];
	uint8_t own_y[CPACE_YBYTES];
	uint8_t peer_y[CPACE_YBYTES];
	uint8_t sid[CPACE_FIELD_MAX];
	size_t sid_len;
	uint8_t ad[CPACE_FIELD_MAX];
	size_t ad_len;
	uint8_t peer_ad[CPACE_FIELD_MAX];
	size_t peer_ad_len;
	uint8_t isk[CPACE_ISKBYTES];
	uint8_t own_tag[CPACE_TAGBYTES];
	uint8_t peer_tag[CPACE_TAGBYTES];  /* the tag we expect from the peer */
};

/* LEB128 of len into out (at least LEN_MAX bytes); returns its size. */
static size_t
leb128(uint8_t *out, size_t len)
{
	size_t n = 0;

	do {
		uint8_t b = len & 0x7f;

		len >>= 7;
		out[n++] = b | (len ? 0x80 : 0);
	} while (len);
	return n;
}

int
cpace_prepend_len(uint8_t *out, size_t cap, const uint8_t *x, size_t len)
{
	uint8_t hdr[LEN_MAX];
	size_t h = leb128(hdr, len);

	if (cap < h || cap - h < len)
		return ATT_ETOOBIG;
	if (h + len > (size_t)INT32_MAX)
		return ATT_ETOOBIG;
	memcpy(out, hdr, h);
	if (len)
		memcpy(out + h, x, len);
	return (int)(h + len);
}

int
cpace_lv_cat(uint8_t *out, size_t cap, size_t n, const uint8_t *const *parts,
    const size_t *lens)
{
	size_t i, off = 0;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = cpace_prepend_len(out + off, cap - off, parts[i], lens[i])) < 0)
			return r;
		off += (size_t)r;
	}
	return (int)off;
}

int
cpace_o_cat(uint8_t *out, size_t cap, const uint8_t *a, size_t a_len,
    const uint8_t *b, size_t b_len)
{
	size_t common = a_len < b_len ? a_len : b_len;
	int c = common ? memcmp(a, b, common) : 0;
	const uint8_t *hi = a, *lo = b;
	size_t hi_len = a_len, lo_len = b_len;

	/* Lexicographic order; on an equal prefix the longer string is larger. */
	if (c < 0 || (c == 0 && a_len < b_len)) {
		hi = b;
		hi_len = b_len;
		lo = a;
		lo_len = a_len;
	}
	if (cap < 2 || cap - 2 < hi_len || cap - 2 - hi_len < lo_len)
		return ATT_ETOOBIG;
	out[0] = 'o';
	out[1] = 'c';
	if (hi_len)
		memcpy(out + 2, hi, hi_len);
	if (lo_len)
		memcpy(out + 2 + hi_len, lo, lo_len);
	return (int)(2 + hi_len + lo_len);
}

/* lv_cat(Y, AD). */
static int
lv_y_ad(uint8_t *out, size_t cap, const uint8_t *y, size_t y_len,
    const uint8_t *ad, size_t ad_len)
{
	const uint8_t *parts[2] = { y, ad };
	size_t lens[2] = { y_len, ad_len };

	return cpace_lv_cat(out, cap, 2, parts, lens);
}

int
cpace_transcript_ir(uint8_t *out, size_t cap, const uint8_t *ya, size_t ya_len,
    const uint8_t *ada, size_t ada_len, const uint8_t *yb, size_t yb_len,
    const uint8_t *adb, size_t adb_len)
{
	int a, b;

	if ((a = lv_y_ad(out, cap, ya, ya_len, ada, ada_len)) < 0)
		return a;
	if ((b = lv_y_ad(out + a, cap - (size_t)a, yb, yb_len, adb, adb_len)) < 0)
		return b;
	return a + b;
}

int
cpace_transcript_oc(uint8_t *out, size_t cap, const uint8_t *ya, size_t ya_len,
    const uint8_t *ada, size_t ada_len, const uint8_t *yb, size_t yb_len,
    const uint8_t *adb, size_t adb_len)
{
	uint8_t *a, *b;
	int la, lb, r = ATT_ENOMEM;
	size_t ca = LEN_MAX * 2 + ya_len + ada_len, cb = LEN_MAX * 2 + yb_len + adb_len;

	a = malloc(ca);
	b = malloc(cb);
	if (a == NULL || b == NULL)
		goto out;
	if ((r = la = lv_y_ad(a, ca, ya, ya_len, ada, ada_len)) < 0)
		goto out;
	if ((r = lb = lv_y_ad(b, cb, yb, yb_len, adb, adb_len)) < 0)
		goto out;
	r = cpace_o_cat(out, cap, a, (size_t)la, b, (size_t)lb);
out:
	free(a);
	free(b);
	return r;
}

int
cpace_generator_string(uint8_t *out, size_t cap, const uint8_t *prs, size_t prs_len,
    const uint8_t *ci, size_t ci_len, const uint8_t *sid, size_t sid_len)
{
	static const uint8_t zeros[S_IN_BYTES];
	uint8_t tmp[LEN_MAX];
	size_t pre = leb128(tmp, prs_len) + prs_len + leb128(tmp, sizeof(DSI) - 1) +
	    sizeof(DSI) - 1;
	size_t zpad = pre + 1 < S_IN_BYTES ? S_IN_BYTES - 1 - pre : 0;
	const uint8_t *parts[5] = { (const uint8_t *)DSI, prs, zeros, ci, sid };
	size_t lens[5] = { sizeof(DSI) - 1, prs_len, zpad, ci_len, sid_len };

	return cpace_lv_cat(out, cap, 5, parts, lens);
}

int
cpace_generator(uint8_t g[CPACE_YBYTES], const uint8_t *prs, size_t prs_len,
    const uint8_t *ci, size_t ci_len, const uint8_t *sid, size_t sid_len)
{
	uint8_t *gs, h[crypto_hash_sha512_BYTES];
	size_t cap;
	int n;

	if (prs_len > CPACE_FIELD_MAX || ci_len > CPACE_FIELD_MAX || sid_len > CPACE_FIELD_MAX)
		return ATT_ETOOBIG;
	cap = 5 * LEN_MAX + sizeof(DSI) + S_IN_BYTES + prs_len + ci_len + sid_len;
	/* The generator string holds the password: keep it off the plain heap. */
	if ((gs = sodium_malloc(cap)) == NULL)
		return ATT_ENOMEM;
	n = cpace_generator_string(gs, cap, prs, prs_len, ci, ci_len, sid, sid_len);
	if (n >= 0) {
		crypto_hash_sha512(h, gs, (unsigned long long)n);
		crypto_core_ristretto255_from_hash(g, h);
		n = 0;
	}
	sodium_memzero(h, sizeof(h));
	sodium_free(gs);
	return n;
}

int
cpace_scalar_mult_vfy(uint8_t out[CPACE_YBYTES], const uint8_t s[CPACE_SCALARBYTES],
    const uint8_t x[CPACE_YBYTES])
{
	if (crypto_scalarmult_ristretto255(out, s, x) != 0) {
		sodium_memzero(out, CPACE_YBYTES);
		return ATT_EBADKEY;
	}
	return 0;
}

static void
cpace_kill(struct cpace *c)
{
	int initiator = c->initiator;

	sodium_memzero(c, sizeof(*c));
	c->initiator = initiator;
	c->state = CPACE_DEAD;
}

struct cpace *
cpace_new(int initiator, const uint8_t *prs, size_t prs_len, const uint8_t *ci,
    size_t ci_len, const uint8_t *sid, size_t sid_len, const uint8_t *ad, size_t ad_len)
{
	struct cpace *c;

	if (prs_len > CPACE_FIELD_MAX || ci_len > CPACE_FIELD_MAX ||
	    sid_len > CPACE_FIELD_MAX || ad_len > CPACE_FIELD_MAX)
		return NULL;
	if ((prs == NULL && prs_len) || (ci == NULL && ci_len) ||
	    (sid == NULL && sid_len) || (ad == NULL && ad_len))
		return NULL;
	if (sodium_init() < 0)
		return NULL;
	if ((c = sodium_malloc(sizeof(*c))) == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->initiator = initiator != 0;
	c->state = CPACE_NEW;
	if (cpace_generator(c->g, prs, prs_len, ci, ci_len, sid, sid_len) != 0) {
		cpace_free(c);
		return NULL;
	}
	if (sid_len)
		memcpy(c->sid, sid, sid_len);
	c->sid_len = sid_len;
	if (ad_len)
		memcpy(c->ad, ad, ad_len);
	c->ad_len = ad_len;
	crypto_core_ristretto255_scalar_random(c->y);
	return c;
}

int
cpace_fix_scalar(struct cpace *c, const uint8_t y_scalar[CPACE_SCALARBYTES])
{
	if (c == NULL || c->state != CPACE_NEW)
		return ATT_ESTATE;
	if (sodium_is_zero(y_scalar, CPACE_SCALARBYTES))
		return ATT_EINVAL;
	memcpy(c->y, y_scalar, CPACE_SCALARBYTES);
	return 0;
}

int
cpace_share(struct cpace *c, uint8_t y_out[CPACE_YBYTES])
{
	if (c == NULL || c->state == CPACE_DEAD)
		return ATT_ESTATE;
	if (c->state == CPACE_NEW) {
		if (crypto_scalarmult_ristretto255(c->own_y, c->y, c->g) != 0) {
			cpace_kill(c);
			return ATT_EBADKEY;
		}
		c->state = CPACE_SHARED;
	}
	memcpy(y_out, c->own_y, CPACE_YBYTES);
	return 0;
}

/* HMAC-SHA512 with the full 64-byte mac_key over lv_cat(Y, AD). */
static int
tag_of(uint8_t tag[CPACE_TAGBYTES], const uint8_t mac_key[64], const uint8_t y[CPACE_YBYTES],
    const uint8_t *ad, size_t ad_len)
{
	crypto_auth_hmacsha512_state st;
	uint8_t buf[LV_Y_AD_MAX];
	int n;

	if ((n = lv_y_ad(buf, sizeof(buf), y, CPACE_YBYTES, ad, ad_len)) < 0)
		return n;
	crypto_auth_hmacsha512_init(&st, mac_key, 64);
	crypto_auth_hmacsha512_update(&st, buf, (unsigned long long)n);
	crypto_auth_hmacsha512_final(&st, tag);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int
cpace_derive(struct cpace *c, const uint8_t peer_y[CPACE_YBYTES], const uint8_t *peer_ad,
    size_t peer_ad_len)
{
	uint8_t k[CPACE_YBYTES], mac_key[crypto_hash_sha512_BYTES];
	uint8_t tr[2 * LV_Y_AD_MAX], hdr[3 * LEN_MAX + sizeof(DSI_ISK) + CPACE_FIELD_MAX + CPACE_YBYTES];
	const uint8_t *parts[3];
	size_t lens[3];
	crypto_hash_sha512_state st;
	const uint8_t *ya, *yb, *ada, *adb;
	size_t ada_len, adb_len;
	int ntr, nh, r;

	if (c == NULL || c->state != CPACE_SHARED)
		return ATT_ESTATE;
	if (peer_ad_len > CPACE_FIELD_MAX || (peer_ad == NULL && peer_ad_len)) {
		cpace_kill(c);
		return ATT_ETOOBIG;
	}
	memcpy(c->peer_y, peer_y, CPACE_YBYTES);
	if (peer_ad_len)
		memcpy(c->peer_ad, peer_ad, peer_ad_len);
	c->peer_ad_len = peer_ad_len;
	if ((r = cpace_scalar_mult_vfy(k, c->y, peer_y)) != 0)
		goto fail;

	ya = c->initiator ? c->own_y : c->peer_y;
	yb = c->initiator ? c->peer_y : c->own_y;
	ada = c->initiator ? c->ad : c->peer_ad;
	adb = c->initiator ? c->peer_ad : c->ad;
	ada_len = c->initiator ? c->ad_len : c->peer_ad_len;
	adb_len = c->initiator ? c->peer_ad_len : c->ad_len;
	if ((r = ntr = cpace_transcript_ir(tr, sizeof(tr), ya, CPACE_YBYTES, ada, ada_len, yb,
	    CPACE_YBYTES, adb, adb_len)) < 0)
		goto fail;
	parts[0] = (const uint8_t *)DSI_ISK;
	lens[0] = sizeof(DSI_ISK) - 1;
	parts[1] = c->sid;
	lens[1] = c->sid_len;
	parts[2] = k;
	lens[2] = sizeof(k);
	if ((r = nh = cpace_lv_cat(hdr, sizeof(hdr), 3, parts, lens)) < 0)
		goto fail;
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, hdr, (unsigned long long)nh);
	crypto_hash_sha512_update(&st, tr, (unsigned long long)ntr);
	crypto_hash_sha512_final(&st, c->isk);

	/* mac_key = H("CPaceMac" || sid || ISK); Ta over lv_cat(Ya,ADa), Tb over lv_cat(Yb,ADb). */
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, (const uint8_t *)"CPaceMac", 8);
	crypto_hash_sha512_update(&st, c->sid, c->sid_len);
	crypto_hash_sha512_update(&st, c->isk, sizeof(c->isk));
	crypto_hash_sha512_final(&st, mac_key);
	if ((r = tag_of(c->own_tag, mac_key, c->own_y, c->ad, c->ad_len)) < 0 ||
	    (r = tag_of(c->peer_tag, mac_key, c->peer_y, c->peer_ad, c->peer_ad_len)) < 0)
		goto fail;
	c->state = CPACE_DERIVED;
	r = 0;
	goto out;
fail:
	cpace_kill(c);
out:
	sodium_memzero(k, sizeof(k));
	sodium_memzero(mac_key, sizeof(mac_key));
	sodium_memzero(hdr, sizeof(hdr));
	sodium_memzero(&st, sizeof(st));
	return r;
}

int
cpace_tag(const struct cpace *c, uint8_t tag[CPACE_TAGBYTES])
{
	if (c == NULL || (c->state != CPACE_DERIVED && c->state != CPACE_CONFIRMED))
		return ATT_ESTATE;
	memcpy(tag, c->own_tag, CPACE_TAGBYTES);
	return 0;
}

int
cpace_verify(struct cpace *c, const uint8_t peer_tag[CPACE_TAGBYTES])
{
	if (c == NULL || c->state != CPACE_DERIVED)
		return ATT_ESTATE;
	if (sodium_memcmp(c->peer_tag, peer_tag, CPACE_TAGBYTES) != 0) {
		cpace_kill(c);
		return ATT_EAUTH;
	}
	c->state = CPACE_CONFIRMED;
	return 0;
}

int
cpace_isk(const struct cpace *c, uint8_t isk[CPACE_ISKBYTES])
{
	if (c == NULL || c->state != CPACE_CONFIRMED)
		return ATT_ESTATE;
	memcpy(isk, c->isk, CPACE_ISKBYTES);
	return 0;
}

int
cpace_transcript(const struct cpace *c, uint8_t *out, size_t cap)
{
	if (c == NULL || (c->state != CPACE_DERIVED && c->state != CPACE_CONFIRMED))
		return ATT_ESTATE;
	if (c->initiator)
		return cpace_transcript_ir(out, cap, c->own_y, CPACE_YBYTES, c->ad, c->ad_len,
		    c->peer_y, CPACE_YBYTES, c->peer_ad, c->peer_ad_len);
	return cpace_transcript_ir(out, cap, c->peer_y, CPACE_YBYTES, c->peer_ad,
	    c->peer_ad_len, c->own_y, CPACE_YBYTES, c->ad, c->ad_len);
}

void
cpace_free(struct cpace *c)
{
	if (c == NULL)
		return;
	sodium_memzero(c, sizeof(*c));
	sodium_free(c);
}
