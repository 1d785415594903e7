/*
 * Padded ECDH PSI over ristretto255 (see psi.h and docs/PROTOCOL.md 9).
 * libsodium 1.0.18: crypto_core_ristretto255_from_hash maps 64 uniform
 * bytes to the group (the hash-to-group), crypto_scalarmult_ristretto255
 * refuses an undecodable point and an identity result alike.
 */
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/psi.h"

#define SLOT_KEY_CAP (PSI_KEY_MAX + 1)

/*
 * One block of sodium_malloc memory holds the struct and its arrays (the
 * pointers below point into it), so one sodium_free wipes the scalar, the
 * answers and the keys together.
 */
struct psi {
	int role;
	unsigned flags, peer_flags;
	struct psi_params p;
	size_t n;                 /* nfixed + ncustom */
	size_t ncustom_set;
	int started, sent_commit, sent_reveal, sent_exp;
	int got_commit, got_reveal, got_exp;
	uint8_t round_id[PSI_ROUND_ID_LEN];
	uint8_t domain[32];
	uint8_t rnd[PSI_RANDOM_LEN];
	uint8_t scalar[32];
	uint8_t nonce[PSI_NONCE_LEN];
	uint8_t commit[PSI_COMMIT_LEN];
	uint8_t peer_commit[PSI_COMMIT_LEN];
	uint8_t *answer;          /* [n]: fixed slots, then custom items in set order */
	char *key;                /* [n][SLOT_KEY_CAP], same order */
	uint8_t *pos;             /* [ncustom]: slot of the j-th custom item set */
	uint8_t *own;             /* [tiers][n][32]: our vector */
	uint8_t *mine;            /* [tiers][n][16]: tags of the peer's vector ^ a (our EXP) */
	uint8_t *match;           /* [tiers][n]: per own item, in answer order */
};

static const uint8_t zero_round[PSI_ROUND_ID_LEN];

static int
params_ok(const struct psi_params *p)
{
	return p != NULL && p->nfixed >= 1 && p->nfixed <= PSI_MAX_FIXED &&
	    p->ncustom <= PSI_MAX_CUSTOM && (p->tiers == 1 || p->tiers == 2);
}

size_t
psi_msg_size(enum psi_kind k, const struct psi_params *p)
{
	size_t n;

	if (!params_ok(p))
		return 0;
	n = (size_t)p->tiers * (p->nfixed + p->ncustom);
	switch (k) {
	case PSI_COMMIT:
		return PSI_COMMIT_MSG_LEN;
	case PSI_REVEAL:
		return PSI_HEADER_LEN + PSI_NONCE_LEN + n * PSI_POINT_LEN;
	case PSI_EXP:
		return PSI_HEADER_LEN + n * PSI_TAG_LEN;
	}
	return 0;
}

static void
put16(uint8_t *o, unsigned v)
{
	o[0] = (uint8_t)(v >> 8);
	o[1] = (uint8_t)v;
}

static unsigned
get16(const uint8_t *i)
{
	return (unsigned)i[0] << 8 | i[1];
}

void
psi_domain(uint8_t out[32], const uint8_t bind[PSI_BIND_LEN],
    const uint8_t round_id[PSI_ROUND_ID_LEN], const struct psi_params *p)
{
	crypto_generichash_state h;
	uint8_t shape[7];

	put16(shape, p->catalogue);
	put16(shape + 2, p->nfixed);
	put16(shape + 4, p->ncustom);
	shape[6] = p->tiers;
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const uint8_t *)"attune-psi-domain-v1", 20);
	crypto_generichash_update(&h, bind, PSI_BIND_LEN);
	crypto_generichash_update(&h, round_id, PSI_ROUND_ID_LEN);
	crypto_generichash_update(&h, shape, sizeof(shape));
	crypto_generichash_final(&h, out, 32);
}

int
psi_hash_to_group(uint8_t out[PSI_POINT_LEN], const uint8_t domain[32],
    int tier, int section, const char *key, size_t len)
{
	crypto_generichash_state h;
	uint8_t hdr[3], wide[64];

	if (len == 0 || len > PSI_KEY_MAX || tier < 0 || tier >= PSI_MAX_TIERS ||
	    section < 0 || section > 1)
		return ATT_EINVAL;
	hdr[0] = (uint8_t)tier;
	hdr[1] = (uint8_t)section;
	hdr[2] = (uint8_t)len;
	crypto_generichash_init(&h, domain, 32, sizeof(wide));
	crypto_generichash_update(&h, (const uint8_t *)"attune-psi-h2g-v1", 17);
	crypto_generichash_update(&h, hdr, sizeof(hdr));
	crypto_generichash_update(&h, (const uint8_t *)key, len);
	crypto_generichash_final(&h, wide, sizeof(wide));
	crypto_core_ristretto255_from_hash(out, wide);
	return 0;
}

/* len bytes of this round's randomness for LABEL and index i (BLAKE2b keyed with rnd). */
static void
derive(const struct psi *s, uint8_t *out, size_t len, const char *label, unsigned i)
{
	crypto_generichash_state h;
	uint8_t idx[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };

	crypto_generichash_init(&h, s->rnd, sizeof(s->rnd), len);
	crypto_generichash_update(&h, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&h, idx, sizeof(idx));
	crypto_generichash_final(&h, out, len);
}

struct psi *
psi_new(int role, const uint8_t bind[PSI_BIND_LEN], const uint8_t round_id[PSI_ROUND_ID_LEN],
    const struct psi_params *p, unsigned flags, const uint8_t rnd[PSI_RANDOM_LEN])
{
	struct psi *s;
	size_t n, t, sz;
	uint8_t *m;

	if ((role != 0 && role != 1) || bind == NULL || round_id == NULL || rnd == NULL ||
	    !params_ok(p) || (flags & ~(unsigned)PSI_FLAG_MAYBE) != 0 ||
	    sodium_memcmp(round_id, zero_round, PSI_ROUND_ID_LEN) == 0)
		return NULL;
	n = (size_t)p->nfixed + p->ncustom;
	t = p->tiers;
	sz = sizeof(*s) + n + n * SLOT_KEY_CAP + p->ncustom + t * n * PSI_POINT_LEN +
	    t * n * PSI_TAG_LEN + t * n;
	/* sodium_malloc puts the region against its guard page: only a size that is a
	 * multiple of 16 gives an address aligned for the struct. */
	sz = (sz + 15) & ~(size_t)15;
	if ((s = sodium_malloc(sz)) == NULL)
		return NULL;
	memset(s, 0, sz);
	m = (uint8_t *)(s + 1);
	s->answer = m, m += n;
	s->key = (char *)m, m += n * SLOT_KEY_CAP;
	s->pos = m, m += p->ncustom;
	s->own = m, m += t * n * PSI_POINT_LEN;
	s->mine = m, m += t * n * PSI_TAG_LEN;
	s->match = m;
	s->role = role;
	s->flags = flags;
	s->p = *p;
	s->n = n;
	memcpy(s->round_id, round_id, PSI_ROUND_ID_LEN);
	memcpy(s->rnd, rnd, PSI_RANDOM_LEN);
	psi_domain(s->domain, bind, round_id, p);
	return s;
}

void
psi_free(struct psi *s)
{
	if (s != NULL)
		sodium_free(s);  /* wipes the whole block */
}

static int
valid_key(const char *key, size_t len)
{
	return key != NULL && len >= 1 && len <= PSI_KEY_MAX && memchr(key, 0, len) == NULL;
}

int
psi_set_fixed(struct psi *s, size_t i, const char *key, size_t len, enum psi_answer a)
{
	if (s == NULL || i >= s->p.nfixed || !valid_key(key, len) || a < PSI_NO || a > PSI_YES)
		return ATT_EINVAL;
	if (s->started)
		return ATT_ESTATE;
	memcpy(s->key + i * SLOT_KEY_CAP, key, len);
	s->key[i * SLOT_KEY_CAP + len] = '\0';
	s->answer[i] = (uint8_t)a;
	return 0;
}

int
psi_set_custom(struct psi *s, const char *key, size_t len, enum psi_answer a)
{
	size_t j, at;

	if (s == NULL || !valid_key(key, len) || a < PSI_NO || a > PSI_YES)
		return ATT_EINVAL;
	if (s->started)
		return ATT_ESTATE;
	for (j = 0; j < s->ncustom_set; j++) {
		const char *k = s->key + (s->p.nfixed + j) * SLOT_KEY_CAP;

		if (strlen(k) == len && memcmp(k, key, len) == 0)
			return ATT_EEXIST;
	}
	if (s->ncustom_set >= s->p.ncustom)
		return ATT_ELIMIT;
	at = s->p.nfixed + s->ncustom_set++;
	memcpy(s->key + at * SLOT_KEY_CAP, key, len);
	s->key[at * SLOT_KEY_CAP + len] = '\0';
	s->answer[at] = (uint8_t)a;
	return 0;
}

/* Custom items go to random slots (a Fisher-Yates shuffle from rnd), so
 * the position of a custom item says nothing about when it was added. */
static void
place_custom(struct psi *s)
{
	uint8_t perm[PSI_MAX_CUSTOM];
	size_t k;

	for (k = 0; k < s->p.ncustom; k++)
		perm[k] = (uint8_t)k;
	for (k = s->p.ncustom; k > 1; k--) {
		uint8_t r[8];
		uint64_t v = 0;
		size_t j, b;

		derive(s, r, sizeof(r), "perm", (unsigned)k);
		for (b = 0; b < sizeof(r); b++)
			v = v << 8 | r[b];
		j = (size_t)(v % k);  /* bias below 2^-56 for k <= 64 */
		uint8_t tmp = perm[k - 1];
		perm[k - 1] = perm[j];
		perm[j] = tmp;
	}
	for (k = 0; k < s->p.ncustom; k++)
		s->pos[k] = perm[k];
}

/* Does answer a count in tier t? */
static int
counts(const struct psi *s, int t, uint8_t a)
{
	if (t == 0)
		return a == PSI_YES;
	return (s->flags & PSI_FLAG_MAYBE) && a >= PSI_MAYBE;
}

static uint8_t *
own_point(const struct psi *s, int t, size_t slot)
{
	return s->own + ((size_t)t * s->n + slot) * PSI_POINT_LEN;
}

/* Our commitment for role/flags over vector vec (tiers*n points) and nonce. */
static void
commitment(const struct psi *s, uint8_t out[PSI_COMMIT_LEN], int role, unsigned flags,
    const uint8_t nonce[PSI_NONCE_LEN], const uint8_t *vec)
{
	crypto_generichash_state h;
	uint8_t rf[2] = { (uint8_t)role, (uint8_t)flags };

	crypto_generichash_init(&h, s->domain, sizeof(s->domain), PSI_COMMIT_LEN);
	crypto_generichash_update(&h, (const uint8_t *)"attune-psi-commit-v1", 20);
	crypto_generichash_update(&h, rf, sizeof(rf));
	crypto_generichash_update(&h, nonce, PSI_NONCE_LEN);
	crypto_generichash_update(&h, vec, (size_t)s->p.tiers * s->n * PSI_POINT_LEN);
	crypto_generichash_final(&h, out, PSI_COMMIT_LEN);
}

int
psi_start(struct psi *s)
{
	uint8_t wide[64], h[PSI_POINT_LEN];
	unsigned ctr = 0;
	size_t i;
	int t, r = 0;

	if (s == NULL)
		return ATT_EINVAL;
	if (s->started)
		return ATT_ESTATE;
	do {  /* a zero scalar has probability 2^-252; retry rather than fail */
		derive(s, wide, sizeof(wide), "scalar", ctr++);
		crypto_core_ristretto255_scalar_reduce(s->scalar, wide);
	} while (sodium_is_zero(s->scalar, sizeof(s->scalar)));
	derive(s, s->nonce, sizeof(s->nonce), "nonce", 0);
	place_custom(s);
	for (t = 0; t < s->p.tiers && r == 0; t++) {
		for (i = 0; i < s->n && r == 0; i++) {
			uint8_t *out = own_point(s, t, i);

			derive(s, wide, sizeof(wide), t ? "no-2" : "no-1", (unsigned)i);
			crypto_core_ristretto255_from_hash(out, wide);
		}
		for (i = 0; i < s->n && r == 0; i++) {
			int custom = i >= s->p.nfixed;
			size_t slot = custom ? s->p.nfixed + s->pos[i - s->p.nfixed] : i;
			const char *key = s->key + i * SLOT_KEY_CAP;

			if (!counts(s, t, s->answer[i]) || key[0] == '\0')
				continue;
			if ((r = psi_hash_to_group(h, s->domain, t, custom, key, strlen(key))) == 0 &&
			    crypto_scalarmult_ristretto255(own_point(s, t, slot), s->scalar, h) != 0)
				r = ATT_EBADKEY;
		}
	}
	sodium_memzero(wide, sizeof(wide));
	if (r != 0)
		return r;
	commitment(s, s->commit, s->role, s->flags, s->nonce, s->own);
	s->started = 1;
	return 0;
}

static void
put_header(const struct psi *s, uint8_t *out, enum psi_kind k)
{
	out[0] = PSI_VERSION;
	out[1] = (uint8_t)k;
	memcpy(out + 2, s->round_id, PSI_ROUND_ID_LEN);
}

int
psi_next(struct psi *s, uint8_t *out, size_t cap)
{
	enum psi_kind k;
	size_t len;
	uint8_t *o;

	if (s == NULL || out == NULL)
		return ATT_EINVAL;
	if (!s->started)
		return ATT_ESTATE;
	if (!s->sent_commit)
		k = PSI_COMMIT;
	else if (s->got_commit && !s->sent_reveal)
		k = PSI_REVEAL;
	else if (s->got_reveal && s->sent_reveal && !s->sent_exp)
		k = PSI_EXP;
	else
		return 0;
	len = psi_msg_size(k, &s->p);
	if (cap < len)
		return ATT_ETOOBIG;
	put_header(s, out, k);
	o = out + PSI_HEADER_LEN;
	switch (k) {
	case PSI_COMMIT:
		o[0] = (uint8_t)s->flags;
		o[1] = s->p.tiers;
		put16(o + 2, s->p.catalogue);
		put16(o + 4, s->p.nfixed);
		put16(o + 6, s->p.ncustom);
		memcpy(o + 8, s->commit, PSI_COMMIT_LEN);
		s->sent_commit = 1;
		break;
	case PSI_REVEAL:
		memcpy(o, s->nonce, PSI_NONCE_LEN);
		memcpy(o + PSI_NONCE_LEN, s->own, (size_t)s->p.tiers * s->n * PSI_POINT_LEN);
		s->sent_reveal = 1;
		break;
	case PSI_EXP:
		memcpy(o, s->mine, (size_t)s->p.tiers * s->n * PSI_TAG_LEN);
		s->sent_exp = 1;
		break;
	}
	return (int)len;
}

int
psi_peek(const uint8_t *msg, size_t len, uint8_t round_id[PSI_ROUND_ID_LEN])
{
	if (msg == NULL || len < PSI_HEADER_LEN)
		return ATT_ETRUNCATED;
	if (msg[0] != PSI_VERSION)
		return ATT_EVERSION;
	if (msg[1] < PSI_COMMIT || msg[1] > PSI_EXP)
		return ATT_EMALFORMED;
	if (round_id != NULL)
		memcpy(round_id, msg + 2, PSI_ROUND_ID_LEN);
	return msg[1];
}

/* The tag of point pt (= H^(ab) when both said yes) for tier t and slot. */
static void
tag(const struct psi *s, uint8_t out[PSI_TAG_LEN], int t, size_t slot, const uint8_t pt[32])
{
	crypto_generichash_state h;
	uint8_t hdr[4];
	int custom = slot >= s->p.nfixed;

	hdr[0] = (uint8_t)t;
	hdr[1] = (uint8_t)custom;
	put16(hdr + 2, custom ? 0xffff : (unsigned)slot);  /* custom tags are a set */
	crypto_generichash_init(&h, s->domain, sizeof(s->domain), PSI_TAG_LEN);
	crypto_generichash_update(&h, (const uint8_t *)"attune-psi-tag-v1", 17);
	crypto_generichash_update(&h, hdr, sizeof(hdr));
	crypto_generichash_update(&h, pt, 32);
	crypto_generichash_final(&h, out, PSI_TAG_LEN);
}

static int
recv_commit(struct psi *s, const uint8_t *b, size_t len)
{
	if (len != PSI_COMMIT_LEN + 8)
		return len < PSI_COMMIT_LEN + 8 ? ATT_ETRUNCATED : ATT_ETRAILING;
	if (s->got_commit)
		return ATT_EREPLAY;
	if ((b[0] & ~PSI_FLAG_MAYBE) != 0)
		return ATT_EMALFORMED;
	if (b[1] != s->p.tiers || get16(b + 2) != s->p.catalogue ||
	    get16(b + 4) != s->p.nfixed || get16(b + 6) != s->p.ncustom)
		return ATT_ERANGE;
	s->peer_flags = b[0];
	memcpy(s->peer_commit, b + 8, PSI_COMMIT_LEN);
	s->got_commit = 1;
	return 0;
}

/* Checks the opening, then raises every peer point to our scalar. Nothing
 * in s changes unless all of it succeeds. */
static int
recv_reveal(struct psi *s, const uint8_t *b, size_t len)
{
	size_t want = psi_msg_size(PSI_REVEAL, &s->p) - PSI_HEADER_LEN, i;
	uint8_t c[PSI_COMMIT_LEN], w[32];
	const uint8_t *vec = b + PSI_NONCE_LEN;
	int t;

	if (len != want)
		return len < want ? ATT_ETRUNCATED : ATT_ETRAILING;
	if (s->got_reveal)
		return ATT_EREPLAY;
	if (!s->got_commit || !s->sent_commit)
		return ATT_ESTATE;
	commitment(s, c, 1 - s->role, s->peer_flags, b, vec);
	if (sodium_memcmp(c, s->peer_commit, PSI_COMMIT_LEN) != 0)
		return ATT_EAUTH;
	for (i = 0; i < (size_t)s->p.tiers * s->n; i++)
		if (crypto_core_ristretto255_is_valid_point(vec + i * PSI_POINT_LEN) != 1)
			return ATT_EBADKEY;
	for (t = 0; t < s->p.tiers; t++)
		for (i = 0; i < s->n; i++) {
			const uint8_t *pt = vec + ((size_t)t * s->n + i) * PSI_POINT_LEN;

			if (crypto_scalarmult_ristretto255(w, s->scalar, pt) != 0) {
				sodium_memzero(w, sizeof(w));
				return ATT_EBADKEY;
			}
			tag(s, s->mine + ((size_t)t * s->n + i) * PSI_TAG_LEN, t, i, w);
		}
	sodium_memzero(w, sizeof(w));
	s->got_reveal = 1;
	return 0;
}

/* Compares the peer's tags of our vector with ours of theirs. */
static int
recv_exp(struct psi *s, const uint8_t *b, size_t len)
{
	size_t want = psi_msg_size(PSI_EXP, &s->p) - PSI_HEADER_LEN, i, k;
	int t;

	if (len != want)
		return len < want ? ATT_ETRUNCATED : ATT_ETRAILING;
	if (s->got_exp)
		return ATT_EREPLAY;
	if (!s->got_reveal || !s->sent_reveal)
		return ATT_ESTATE;
	for (t = 0; t < s->p.tiers; t++) {
		const uint8_t *theirs = b + (size_t)t * s->n * PSI_TAG_LEN;
		const uint8_t *mine = s->mine + (size_t)t * s->n * PSI_TAG_LEN;
		uint8_t *m = s->match + (size_t)t * s->n;

		for (i = 0; i < s->p.nfixed; i++)
			m[i] = counts(s, t, s->answer[i]) &&
			    sodium_memcmp(theirs + i * PSI_TAG_LEN, mine + i * PSI_TAG_LEN, PSI_TAG_LEN) == 0;
		for (i = 0; i < s->ncustom_set; i++) {
			size_t slot = s->p.nfixed + s->pos[i];

			m[s->p.nfixed + i] = 0;
			if (!counts(s, t, s->answer[s->p.nfixed + i]))
				continue;
			for (k = s->p.nfixed; k < s->n; k++)
				if (sodium_memcmp(theirs + slot * PSI_TAG_LEN, mine + k * PSI_TAG_LEN, PSI_TAG_LEN) == 0)
					m[s->p.nfixed + i] = 1;
		}
	}
	s->got_exp = 1;
	return 0;
}

int
psi_recv(struct psi *s, const uint8_t *msg, size_t len)
{
	int k;

	if (s == NULL || msg == NULL)
		return ATT_EINVAL;
	if (!s->started)
		return ATT_ESTATE;
	if ((k = psi_peek(msg, len, NULL)) < 0)
		return k;
	if (sodium_memcmp(msg + 2, s->round_id, PSI_ROUND_ID_LEN) != 0)
		return ATT_EINVAL;
	msg += PSI_HEADER_LEN, len -= PSI_HEADER_LEN;
	switch (k) {
	case PSI_COMMIT:
		return recv_commit(s, msg, len);
	case PSI_REVEAL:
		return recv_reveal(s, msg, len);
	default:
		return recv_exp(s, msg, len);
	}
}

int
psi_done(const struct psi *s)
{
	return s != NULL && s->got_exp && s->sent_exp;
}

int
psi_maybe_tier(const struct psi *s)
{
	return s != NULL && s->got_commit && (s->flags & PSI_FLAG_MAYBE) &&
	    (s->peer_flags & PSI_FLAG_MAYBE);
}

int
psi_result(const struct psi *s, int tier, uint8_t *fixed, uint8_t *custom)
{
	const uint8_t *m;
	int on;

	if (s == NULL || tier < 0 || tier >= s->p.tiers)
		return ATT_EINVAL;
	if (!psi_done(s))
		return ATT_ESTATE;
	m = s->match + (size_t)tier * s->n;
	on = tier == 0 || psi_maybe_tier(s);
	if (fixed != NULL)
		for (size_t i = 0; i < s->p.nfixed; i++)
			fixed[i] = on && m[i];
	if (custom != NULL)
		for (size_t i = 0; i < s->ncustom_set; i++)
			custom[i] = on && m[s->p.nfixed + i];
	return 0;
}
