#include <sodium.h>
#include <string.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/hkdf.h"
#include "proto/ratchet.h"

static const char INFO_ROOT[] = "attune ratchet root v1";
static const char INFO_MSG[] = "attune ratchet msg v1";

#define F_DHR 0x01       /* dhr holds the peer's current ratchet key */
#define F_CKS 0x02       /* a sending chain exists */
#define F_CKR 0x04       /* a receiving chain exists */
#define F_RECEIVED 0x08  /* a message has decrypted */
#define F_ALL 0x0f

#define SKIP_LEN (32 + 4 + 32)
/* version, flags, ad, dhs_sk, dhs_pk, dhr, rk, cks, ckr, ns, nr, pn, nprev, nskip */
#define FIXED_LEN (1 + 1 + RATCHET_AD_LEN + 6 * 32 + 3 * 4 + 1 + 4)

/* One stored message key of a chain we skipped ahead in. */
struct skipped {
	uint8_t dh[32];
	uint32_t n;
	uint8_t mk[32];
};

struct ratchet {
	uint8_t ad[RATCHET_AD_LEN];
	uint8_t dhs_sk[32], dhs_pk[32];
	uint8_t dhr[32];
	uint8_t rk[32], cks[32], ckr[32];
	uint32_t ns, nr, pn;
	uint8_t flags;
	/* The peer's last ratchet keys before dhr, newest first: a message on
	 * one of those chains whose key is not stored is a replay. */
	uint8_t prev[RATCHET_PREV_KEYS][32];
	uint8_t nprev;
	uint32_t nskip, capskip;
	struct skipped *skip;	/* sodium_malloc'd, capskip entries */
};

/*
 * Keys a decryption would add to the skipped store, computed before we know
 * whether the message authenticates; committed only if it does.
 */
struct pending {
	struct skipped *k;
	uint32_t n, cap;
};

/* KDF_RK: (rk, ck) = HKDF-SHA256(salt = rk, ikm = dh_out, info). */
static int
kdf_rk(uint8_t rk_out[32], uint8_t ck_out[32], const uint8_t rk[32], const uint8_t dh_out[32])
{
	uint8_t okm[64];
	int rc;

	rc = hkdf_sha256(okm, sizeof(okm), rk, 32, dh_out, 32,
	    (const uint8_t *)INFO_ROOT, sizeof(INFO_ROOT) - 1);
	if (rc == 0) {
		memcpy(rk_out, okm, 32);
		memcpy(ck_out, okm + 32, 32);
	}
	sodium_memzero(okm, sizeof(okm));
	return rc;
}

/* KDF_CK: mk = HMAC(ck, 0x01), ck' = HMAC(ck, 0x02). ck_out may alias ck. */
static void
kdf_ck(uint8_t ck_out[32], uint8_t mk[32], const uint8_t ck[32])
{
	static const uint8_t one = 1, two = 2;
	uint8_t next[32];

	crypto_auth_hmacsha256(mk, &one, 1, ck);
	crypto_auth_hmacsha256(next, &two, 1, ck);
	memcpy(ck_out, next, 32);
	sodium_memzero(next, sizeof(next));
}

/* The AEAD's key and nonce from a message key; AD = session AD || header. */
static int
aead_keys(uint8_t kn[32 + 24], uint8_t ad[RATCHET_AD_LEN + RATCHET_HEADER_LEN],
    const uint8_t mk[32], const struct ratchet *r, const uint8_t *header)
{
	memcpy(ad, r->ad, RATCHET_AD_LEN);
	memcpy(ad + RATCHET_AD_LEN, header, RATCHET_HEADER_LEN);
	return hkdf_sha256(kn, 32 + 24, NULL, 0, mk, 32,
	    (const uint8_t *)INFO_MSG, sizeof(INFO_MSG) - 1);
}

/* Opens msg (header + ciphertext) with mk into out. */
static int
open_with(const struct ratchet *r, uint8_t *out, const uint8_t *msg, size_t len,
    const uint8_t mk[32])
{
	uint8_t kn[56], ad[RATCHET_AD_LEN + RATCHET_HEADER_LEN];
	int rc;

	if ((rc = aead_keys(kn, ad, mk, r, msg)) == 0 &&
	    crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL,
	    msg + RATCHET_HEADER_LEN, len - RATCHET_HEADER_LEN, ad, sizeof(ad),
	    kn + 32, kn) != 0)
		rc = ATT_EDECRYPT;
	sodium_memzero(kn, sizeof(kn));
	return rc;
}

static struct ratchet *
alloc_state(void)
{
	struct ratchet *r = sodium_malloc(sizeof(*r));

	if (r != NULL)
		memset(r, 0, sizeof(*r));
	return r;
}

void
ratchet_free(struct ratchet *r)
{
	if (r == NULL)
		return;
	if (r->skip != NULL)
		sodium_free(r->skip);	/* wipes */
	sodium_free(r);
}

int
ratchet_init_initiator(struct ratchet **out, const uint8_t sk[static 32],
    const uint8_t peer_pub[static 32], const uint8_t ad[static RATCHET_AD_LEN])
{
	struct ratchet *r;
	uint8_t dh[32];
	int rc;

	*out = NULL;
	if ((r = alloc_state()) == NULL)
		return ATT_ENOMEM;
	memcpy(r->ad, ad, RATCHET_AD_LEN);
	crypto_box_keypair(r->dhs_pk, r->dhs_sk);
	memcpy(r->dhr, peer_pub, 32);
	if (crypto_scalarmult(dh, r->dhs_sk, peer_pub) != 0) {
		rc = ATT_EBADKEY;
		goto bad;
	}
	if ((rc = kdf_rk(r->rk, r->cks, sk, dh)) != 0)
		goto bad;
	sodium_memzero(dh, sizeof(dh));
	r->flags = F_DHR | F_CKS;
	*out = r;
	return 0;
bad:
	sodium_memzero(dh, sizeof(dh));
	ratchet_free(r);
	return rc;
}

int
ratchet_init_responder(struct ratchet **out, const uint8_t sk[static 32],
    const uint8_t my_sk[static 32], const uint8_t my_pub[static 32],
    const uint8_t ad[static RATCHET_AD_LEN])
{
	struct ratchet *r;

	*out = NULL;
	if ((r = alloc_state()) == NULL)
		return ATT_ENOMEM;
	memcpy(r->ad, ad, RATCHET_AD_LEN);
	memcpy(r->dhs_sk, my_sk, 32);
	memcpy(r->dhs_pk, my_pub, 32);
	memcpy(r->rk, sk, 32);
	*out = r;
	return 0;
}

int
ratchet_has_received(const struct ratchet *r)
{
	return r != NULL && (r->flags & F_RECEIVED) != 0;
}

const uint8_t *
ratchet_ad(const struct ratchet *r)
{
	return r->ad;
}

int
ratchet_encrypt(struct ratchet *r, uint8_t *out, size_t cap,
    const uint8_t *pt, size_t pt_len)
{
	uint8_t mk[32], kn[56], ad[RATCHET_AD_LEN + RATCHET_HEADER_LEN];
	int rc;

	if (r == NULL || out == NULL || (pt == NULL && pt_len != 0))
		return ATT_EINVAL;
	if (pt_len > RATCHET_MAX_PLAINTEXT)
		return ATT_ETOOBIG;
	if (cap < pt_len + RATCHET_OVERHEAD)
		return ATT_EINVAL;
	if (!(r->flags & F_CKS))
		return ATT_ESTATE;
	if (r->ns == UINT32_MAX)
		return ATT_ENONCE;
	memcpy(out, r->dhs_pk, 32);
	be_put32(out + 32, r->pn);
	be_put32(out + 36, r->ns);
	kdf_ck(r->cks, mk, r->cks);
	if ((rc = aead_keys(kn, ad, mk, r, out)) == 0) {
		crypto_aead_xchacha20poly1305_ietf_encrypt(out + RATCHET_HEADER_LEN, NULL,
		    pt, pt_len, ad, sizeof(ad), NULL, kn + 32, kn);
		r->ns++;
		rc = (int)(pt_len + RATCHET_OVERHEAD);
	}
	sodium_memzero(mk, sizeof(mk));
	sodium_memzero(kn, sizeof(kn));
	return rc;
}

static void
pending_free(struct pending *p)
{
	if (p->k != NULL)
		sodium_free(p->k);
	p->k = NULL;
	p->n = p->cap = 0;
}

/*
 * Advances chain ck (in place, a scratch copy) from counter *from up to
 * `until`, recording each message key under dh in p.
 */
static int
pending_skip(struct pending *p, uint8_t ck[32], const uint8_t dh[32], uint32_t from,
    uint32_t until)
{
	uint32_t i;

	for (i = from; i < until; i++) {
		struct skipped *s;

		if (p->n == p->cap)
			return ATT_ELIMIT;	/* sized by the caller: cannot happen */
		s = &p->k[p->n++];
		memcpy(s->dh, dh, 32);
		s->n = i;
		kdf_ck(ck, s->mk, ck);
	}
	return 0;
}

/* Moves pending keys into the store, dropping the oldest beyond the cap. */
static int
commit_skipped(struct ratchet *r, struct pending *p)
{
	uint32_t total = r->nskip + p->n, drop, first = 0;

	if (p->n == 0)
		return 0;
	if (total > RATCHET_MAX_SKIPPED) {
		drop = total - RATCHET_MAX_SKIPPED;
		if (drop >= r->nskip) {
			first = drop - r->nskip;
			sodium_memzero(r->skip, (size_t)r->nskip * sizeof(*r->skip));
			r->nskip = 0;
		} else {
			sodium_memzero(r->skip, (size_t)drop * sizeof(*r->skip));
			memmove(r->skip, r->skip + drop,
			    (size_t)(r->nskip - drop) * sizeof(*r->skip));
			r->nskip -= drop;
		}
	}
	memcpy(r->skip + r->nskip, p->k + first, (size_t)(p->n - first) * sizeof(*r->skip));
	r->nskip += p->n - first;
	return 0;
}

/* Makes room for `more` skipped keys before anything is changed. */
static int
reserve_skipped(struct ratchet *r, uint32_t more)
{
	uint32_t want = r->nskip + more, cap;
	struct skipped *k;

	if (want > RATCHET_MAX_SKIPPED)
		want = RATCHET_MAX_SKIPPED;
	if (want <= r->capskip)
		return 0;
	cap = r->capskip ? r->capskip : 16;
	while (cap < want)
		cap *= 2;
	if (cap > RATCHET_MAX_SKIPPED)
		cap = RATCHET_MAX_SKIPPED;
	if ((k = sodium_malloc((size_t)cap * sizeof(*k))) == NULL)
		return ATT_ENOMEM;
	if (r->nskip > 0)
		memcpy(k, r->skip, (size_t)r->nskip * sizeof(*k));
	if (r->skip != NULL)
		sodium_free(r->skip);
	r->skip = k;
	r->capskip = cap;
	return 0;
}

static int
pending_alloc(struct pending *p, uint32_t cap)
{
	p->k = NULL;
	p->n = 0;
	p->cap = cap;
	if (cap == 0)
		return 0;
	if ((p->k = sodium_malloc((size_t)cap * sizeof(*p->k))) == NULL)
		return ATT_ENOMEM;
	return 0;
}

/*
 * Signal's RatchetDecrypt, rearranged so that nothing in *r changes until
 * the message has authenticated: keys to skip, the next root key and the
 * next chain keys are computed into locals, then committed together.
 */
int
ratchet_decrypt(struct ratchet *r, uint8_t *out, size_t cap,
    const uint8_t *msg, size_t msg_len)
{
	uint8_t dh[32], mk[32], ck[32], ck_old[32], rk1[32], dh_out[32];
	uint8_t new_sk[32], new_pk[32], rk2[32], cks2[32];
	struct pending p = { NULL, 0, 0 };
	uint32_t pn, n, i, old_skip = 0;
	size_t pt_len;
	int rc;

	if (r == NULL || out == NULL || (msg == NULL && msg_len != 0))
		return ATT_EINVAL;
	if (msg_len < RATCHET_OVERHEAD)
		return ATT_ETRUNCATED;
	pt_len = msg_len - RATCHET_OVERHEAD;
	if (pt_len > RATCHET_MAX_PLAINTEXT)
		return ATT_ETOOBIG;
	if (cap < pt_len)
		return ATT_EINVAL;
	memcpy(dh, msg, 32);
	pn = be_get32(msg + 32);
	n = be_get32(msg + 36);

	/* 1. A key we stored when we skipped past this message. */
	for (i = 0; i < r->nskip; i++) {
		if (r->skip[i].n != n || sodium_memcmp(r->skip[i].dh, dh, 32) != 0)
			continue;
		if ((rc = open_with(r, out, msg, msg_len, r->skip[i].mk)) != 0)
			goto fail;
		sodium_memzero(&r->skip[i], sizeof(r->skip[i]));
		memmove(&r->skip[i], &r->skip[i + 1],
		    (size_t)(r->nskip - i - 1) * sizeof(*r->skip));
		r->nskip--;
		r->flags |= F_RECEIVED;
		return (int)pt_len;
	}

	/* 2. The current receiving chain. */
	if ((r->flags & F_DHR) && sodium_memcmp(dh, r->dhr, 32) == 0) {
		if (!(r->flags & F_CKR)) {
			rc = ATT_EDECRYPT;
			goto fail;
		}
		if (n < r->nr) {
			rc = ATT_EREPLAY;
			goto fail;
		}
		if (n - r->nr > RATCHET_MAX_SKIP) {
			rc = ATT_ETOOFAR;
			goto fail;
		}
		if ((rc = pending_alloc(&p, n - r->nr)) != 0 ||
		    (rc = reserve_skipped(r, p.cap)) != 0)
			goto fail;
		memcpy(ck, r->ckr, 32);
		if ((rc = pending_skip(&p, ck, dh, r->nr, n)) != 0)
			goto fail;
		kdf_ck(ck, mk, ck);
		if ((rc = open_with(r, out, msg, msg_len, mk)) != 0)
			goto fail;
		commit_skipped(r, &p);
		memcpy(r->ckr, ck, 32);
		r->nr = n + 1;
		r->flags |= F_RECEIVED;
		rc = (int)pt_len;
		goto done;
	}

	/* A chain we already moved past: its unused keys are all stored. */
	for (i = 0; i < r->nprev; i++) {
		if (sodium_memcmp(dh, r->prev[i], 32) == 0) {
			rc = ATT_EREPLAY;
			goto fail;
		}
	}

	/* 3. A new ratchet key from the peer: a DH ratchet step. */
	if ((r->flags & F_CKR) && pn > r->nr) {
		if (pn - r->nr > RATCHET_MAX_SKIP) {
			rc = ATT_ETOOFAR;
			goto fail;
		}
		old_skip = pn - r->nr;
	}
	if (n > RATCHET_MAX_SKIP) {
		rc = ATT_ETOOFAR;
		goto fail;
	}
	if ((rc = pending_alloc(&p, old_skip + n)) != 0 ||
	    (rc = reserve_skipped(r, p.cap)) != 0)
		goto fail;
	if (old_skip > 0) {
		memcpy(ck_old, r->ckr, 32);
		rc = pending_skip(&p, ck_old, r->dhr, r->nr, pn);
		sodium_memzero(ck_old, sizeof(ck_old));
		if (rc != 0)
			goto fail;
	}
	if (crypto_scalarmult(dh_out, r->dhs_sk, dh) != 0) {
		rc = ATT_EBADKEY;
		goto fail;
	}
	if ((rc = kdf_rk(rk1, ck, r->rk, dh_out)) != 0 ||
	    (rc = pending_skip(&p, ck, dh, 0, n)) != 0)
		goto fail;
	kdf_ck(ck, mk, ck);
	if ((rc = open_with(r, out, msg, msg_len, mk)) != 0)
		goto fail;
	/* Authenticated: our next sending chain from a fresh key pair. */
	crypto_box_keypair(new_pk, new_sk);
	if (crypto_scalarmult(dh_out, new_sk, dh) != 0 ||
	    kdf_rk(rk2, cks2, rk1, dh_out) != 0) {
		rc = ATT_EBADKEY;	/* cannot happen: dh passed above */
		goto fail;
	}
	commit_skipped(r, &p);
	if (r->flags & F_DHR) {
		memmove(r->prev[1], r->prev[0], (RATCHET_PREV_KEYS - 1) * 32);
		memcpy(r->prev[0], r->dhr, 32);
		if (r->nprev < RATCHET_PREV_KEYS)
			r->nprev++;
	}
	memcpy(r->dhr, dh, 32);
	memcpy(r->ckr, ck, 32);
	memcpy(r->rk, rk2, 32);
	memcpy(r->cks, cks2, 32);
	memcpy(r->dhs_sk, new_sk, 32);
	memcpy(r->dhs_pk, new_pk, 32);
	r->pn = r->ns;
	r->ns = 0;
	r->nr = n + 1;
	r->flags |= F_DHR | F_CKR | F_CKS | F_RECEIVED;
	rc = (int)pt_len;
	goto done;
fail:
	sodium_memzero(out, pt_len);
done:
	pending_free(&p);
	sodium_memzero(mk, sizeof(mk));
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(rk1, sizeof(rk1));
	sodium_memzero(dh_out, sizeof(dh_out));
	sodium_memzero(new_sk, sizeof(new_sk));
	sodium_memzero(rk2, sizeof(rk2));
	sodium_memzero(cks2, sizeof(cks2));
	return rc;
}

size_t
ratchet_save_size(const struct ratchet *r)
{
	return FIXED_LEN + (size_t)r->nprev * 32 + (size_t)r->nskip * SKIP_LEN;
}

int
ratchet_save(const struct ratchet *r, uint8_t *out, size_t cap)
{
	uint8_t *p = out;
	uint32_t i;

	if (r == NULL || out == NULL)
		return ATT_EINVAL;
	if (cap < ratchet_save_size(r))
		return ATT_ETOOBIG;
	*p++ = RATCHET_STATE_VERSION;
	*p++ = r->flags;
	memcpy(p, r->ad, RATCHET_AD_LEN), p += RATCHET_AD_LEN;
	memcpy(p, r->dhs_sk, 32), p += 32;
	memcpy(p, r->dhs_pk, 32), p += 32;
	memcpy(p, r->dhr, 32), p += 32;
	memcpy(p, r->rk, 32), p += 32;
	memcpy(p, r->cks, 32), p += 32;
	memcpy(p, r->ckr, 32), p += 32;
	be_put32(p, r->ns), p += 4;
	be_put32(p, r->nr), p += 4;
	be_put32(p, r->pn), p += 4;
	*p++ = r->nprev;
	be_put32(p, r->nskip), p += 4;
	for (i = 0; i < r->nprev; i++)
		memcpy(p, r->prev[i], 32), p += 32;
	for (i = 0; i < r->nskip; i++) {
		memcpy(p, r->skip[i].dh, 32), p += 32;
		be_put32(p, r->skip[i].n), p += 4;
		memcpy(p, r->skip[i].mk, 32), p += 32;
	}
	return (int)(p - out);
}

int
ratchet_load(struct ratchet **out, const uint8_t *buf, size_t len)
{
	struct ratchet *r;
	const uint8_t *p = buf;
	uint8_t pk[32];
	uint32_t nskip, nprev, i;
	int rc;

	if (out == NULL || (buf == NULL && len != 0))
		return ATT_EINVAL;
	*out = NULL;
	if (len < 1)
		return ATT_ETRUNCATED;
	if (buf[0] != RATCHET_STATE_VERSION)
		return ATT_EVERSION;
	if (len < FIXED_LEN)
		return ATT_ETRUNCATED;
	nprev = buf[FIXED_LEN - 5];
	nskip = be_get32(buf + FIXED_LEN - 4);
	if ((buf[1] & ~F_ALL) != 0 || nskip > RATCHET_MAX_SKIPPED ||
	    nprev > RATCHET_PREV_KEYS ||
	    len != FIXED_LEN + (size_t)nprev * 32 + (size_t)nskip * SKIP_LEN)
		return ATT_ECORRUPT;
	if ((r = alloc_state()) == NULL)
		return ATT_ENOMEM;
	p += 1;
	r->flags = *p++;
	memcpy(r->ad, p, RATCHET_AD_LEN), p += RATCHET_AD_LEN;
	memcpy(r->dhs_sk, p, 32), p += 32;
	memcpy(r->dhs_pk, p, 32), p += 32;
	memcpy(r->dhr, p, 32), p += 32;
	memcpy(r->rk, p, 32), p += 32;
	memcpy(r->cks, p, 32), p += 32;
	memcpy(r->ckr, p, 32), p += 32;
	r->ns = be_get32(p), p += 4;
	r->nr = be_get32(p), p += 4;
	r->pn = be_get32(p), p += 4;
	r->nprev = (uint8_t)nprev;
	p += 1 + 4;
	for (i = 0; i < nprev; i++)
		memcpy(r->prev[i], p, 32), p += 32;
	/* The key pair must be a pair; the flags must describe a reachable state. */
	rc = ATT_ECORRUPT;
	if (crypto_scalarmult_base(pk, r->dhs_sk) != 0 ||
	    sodium_memcmp(pk, r->dhs_pk, 32) != 0)
		goto bad;
	if (((r->flags & F_CKR) && !(r->flags & F_DHR)) ||
	    (r->nprev > 0 && !(r->flags & F_DHR)))
		goto bad;
	if ((rc = reserve_skipped(r, nskip)) != 0)
		goto bad;
	for (i = 0; i < nskip; i++) {
		memcpy(r->skip[i].dh, p, 32), p += 32;
		r->skip[i].n = be_get32(p), p += 4;
		memcpy(r->skip[i].mk, p, 32), p += 32;
	}
	r->nskip = nskip;
	*out = r;
	return 0;
bad:
	ratchet_free(r);
	return rc;
}
