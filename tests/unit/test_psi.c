/*
 * The PSI round (proto/psi.c) against its vectors ($VECTORS/psi/psi.json,
 * produced by the independent tests/vectors/psi/gen.py, see SOURCE.md), then
 * the properties: a "no" slot looks like a "yes" slot to the partner
 * (structurally and statistically), messages out of order, replayed,
 * reflected, tampered or malformed are refused, custom items match as a set,
 * the maybe tier needs both sides, a spark is the one-item case.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/psi.h"
#include "tests/unit/tutil.h"

static json_t *vec;

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	vec = tutil_vectors("psi/psi.json");
	return vec == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(vec);
	return 0;
}

static const uint8_t bind0[PSI_BIND_LEN] = { 7 };
static const uint8_t rid0[PSI_ROUND_ID_LEN] = { 1, 2, 3 };

static struct psi_params
shape(json_t *o)
{
	struct psi_params p = {
		.catalogue = (uint16_t)json_integer_value(json_object_get(o, "catalogue")),
		.nfixed = (uint16_t)json_integer_value(json_object_get(o, "nfixed")),
		.ncustom = (uint16_t)json_integer_value(json_object_get(o, "ncustom")),
		.tiers = (uint8_t)json_integer_value(json_object_get(o, "tiers")),
	};
	return p;
}

/* A side from the vector file's "alex" or "sam" object, started. */
static struct psi *
side_from(json_t *who, const uint8_t *bind, const uint8_t *rid, const struct psi_params *p)
{
	size_t n, i;
	uint8_t *rnd = tutil_json_hex(who, "rnd", &n);
	json_t *fx = json_object_get(who, "fixed"), *cu = json_object_get(who, "custom");
	struct psi *s = psi_new((int)json_integer_value(json_object_get(who, "role")), bind, rid, p,
	    (unsigned)json_integer_value(json_object_get(who, "flags")), rnd);

	assert_non_null(s);
	free(rnd);
	for (i = 0; i < json_array_size(fx); i++) {
		const char *k = json_string_value(json_array_get(json_array_get(fx, i), 0));

		assert_int_equal(psi_set_fixed(s, i, k, strlen(k),
		    (enum psi_answer)json_integer_value(json_array_get(json_array_get(fx, i), 1))), 0);
	}
	for (i = 0; i < json_array_size(cu); i++) {
		const char *k = json_string_value(json_array_get(json_array_get(cu, i), 0));

		assert_int_equal(psi_set_custom(s, k, strlen(k),
		    (enum psi_answer)json_integer_value(json_array_get(json_array_get(cu, i), 1))), 0);
	}
	assert_int_equal(psi_start(s), 0);
	return s;
}

static void
expect_msg(struct psi *s, const char *name)
{
	static uint8_t out[PSI_MSG_MAX];
	size_t wl;
	uint8_t *want = tutil_json_hex(json_object_get(vec, "messages"), name, &wl);
	int n = psi_next(s, out, sizeof(out));

	assert_int_equal(n, (int)wl);
	if (memcmp(out, want, wl) != 0)
		fail_msg("message %s differs from the vector", name);
	free(want);
}

static void
give(struct psi *s, const char *name)
{
	size_t l;
	uint8_t *m = tutil_json_hex(json_object_get(vec, "messages"), name, &l);

	assert_int_equal(psi_recv(s, m, l), 0);
	free(m);
}

/* The result of S in tier T as the vector's {"fixed":[...],"custom":[...]}. */
static void
expect_result(struct psi *s, json_t *who, int t)
{
	json_t *want = json_array_get(json_object_get(who, "result"), (size_t)t);
	json_t *fx = json_object_get(who, "fixed"), *cu = json_object_get(who, "custom");
	uint8_t f[PSI_MAX_FIXED], c[PSI_MAX_CUSTOM];
	size_t i, k = 0;

	assert_int_equal(psi_result(s, t, f, c), 0);
	for (i = 0; i < json_array_size(fx); i++)
		if (f[i]) {
			const char *got = json_string_value(json_array_get(json_array_get(fx, i), 0));

			assert_string_equal(got, json_string_value(json_array_get(json_object_get(want, "fixed"), k++)));
		}
	assert_int_equal(k, json_array_size(json_object_get(want, "fixed")));
	for (i = 0, k = 0; i < json_array_size(cu); i++)
		if (c[i]) {
			const char *got = json_string_value(json_array_get(json_array_get(cu, i), 0));

			assert_string_equal(got, json_string_value(json_array_get(json_object_get(want, "custom"), k++)));
		}
	assert_int_equal(k, json_array_size(json_object_get(want, "custom")));
}

static void
test_vectors_h2g(void **state)
{
	struct psi_params p = shape(json_object_get(vec, "params"));
	size_t bl, rl, dl, pl, i;
	uint8_t *bind = tutil_json_hex(vec, "bind", &bl), *rid = tutil_json_hex(vec, "round_id", &rl);
	uint8_t *dom = tutil_json_hex(vec, "domain", &dl), got[32];
	json_t *h = json_object_get(vec, "hash_to_group");

	(void)state;
	psi_domain(got, bind, rid, &p);
	assert_memory_equal(got, dom, 32);
	assert_true(json_array_size(h) >= 4);
	for (i = 0; i < json_array_size(h); i++) {
		json_t *o = json_array_get(h, i);
		const char *k = json_string_value(json_object_get(o, "key"));
		uint8_t *want = tutil_json_hex(o, "point", &pl);

		assert_int_equal(psi_hash_to_group(got, dom, (int)json_integer_value(json_object_get(o, "tier")),
		    (int)json_integer_value(json_object_get(o, "section")), k, strlen(k)), 0);
		assert_memory_equal(got, want, 32);
		assert_int_equal(crypto_core_ristretto255_is_valid_point(got), 1);
		free(want);
	}
	free(bind), free(rid), free(dom);
}

static void
test_vectors_round(void **state)
{
	struct psi_params p = shape(json_object_get(vec, "params"));
	size_t bl, rl;
	uint8_t *bind = tutil_json_hex(vec, "bind", &bl), *rid = tutil_json_hex(vec, "round_id", &rl);
	json_t *ja = json_object_get(vec, "alex"), *jb = json_object_get(vec, "sam");
	struct psi *a = side_from(ja, bind, rid, &p), *b = side_from(jb, bind, rid, &p);
	uint8_t out[PSI_MSG_MAX];

	(void)state;
	expect_msg(a, "alex_commit");
	expect_msg(b, "sam_commit");
	assert_int_equal(psi_next(a, out, sizeof(out)), 0);   /* waits for sam's commit */
	give(a, "sam_commit");
	give(b, "alex_commit");
	expect_msg(a, "alex_reveal");
	expect_msg(b, "sam_reveal");
	give(a, "sam_reveal");
	give(b, "alex_reveal");
	expect_msg(a, "alex_exp");
	expect_msg(b, "sam_exp");
	assert_false(psi_done(a));
	give(a, "sam_exp");
	give(b, "alex_exp");
	assert_true(psi_done(a) && psi_done(b));
	assert_int_equal(psi_next(a, out, sizeof(out)), 0);
	assert_true(psi_maybe_tier(a) && psi_maybe_tier(b));
	for (int t = 0; t < 2; t++) {
		expect_result(a, ja, t);
		expect_result(b, jb, t);
	}
	psi_free(a), psi_free(b);
	free(bind), free(rid);
}

/* Drives a and b to the end, delivering each message at once. */
static void
run(struct psi *a, struct psi *b)
{
	static uint8_t m[PSI_MSG_MAX];
	int progress = 1, n;

	while (progress) {
		progress = 0;
		while ((n = psi_next(a, m, sizeof(m))) > 0) {
			assert_int_equal(psi_recv(b, m, (size_t)n), 0);
			progress = 1;
		}
		while ((n = psi_next(b, m, sizeof(m))) > 0) {
			assert_int_equal(psi_recv(a, m, (size_t)n), 0);
			progress = 1;
		}
	}
	assert_true(psi_done(a) && psi_done(b));
}

static struct psi *
mk(int role, const struct psi_params *p, unsigned flags, uint8_t seed)
{
	uint8_t rnd[PSI_RANDOM_LEN];
	struct psi *s;

	memset(rnd, seed, sizeof(rnd));
	s = psi_new(role, bind0, rid0, p, flags, rnd);
	assert_non_null(s);
	return s;
}

static const char *keys[] = { "cuddle", "massage", "kiss", "dance" };

static void
test_spark(void **state)
{
	struct psi_params p = { 0, 1, 0, 1 };
	int ya, yb;

	(void)state;
	for (ya = 0; ya < 2; ya++)
		for (yb = 0; yb < 2; yb++) {
			struct psi *a = mk(0, &p, 0, (uint8_t)(1 + ya + 2 * yb));
			struct psi *b = mk(1, &p, 0, (uint8_t)(9 + ya + 2 * yb));
			uint8_t fa, fb;

			assert_int_equal(psi_set_fixed(a, 0, "spark", 5, ya ? PSI_YES : PSI_NO), 0);
			assert_int_equal(psi_set_fixed(b, 0, "spark", 5, yb ? PSI_YES : PSI_NO), 0);
			assert_int_equal(psi_start(a), 0);
			assert_int_equal(psi_start(b), 0);
			run(a, b);
			assert_int_equal(psi_result(a, 0, &fa, NULL), 0);
			assert_int_equal(psi_result(b, 0, &fb, NULL), 0);
			assert_int_equal(fa, ya && yb);
			assert_int_equal(fb, ya && yb);
			psi_free(a), psi_free(b);
		}
}

/*
 * psi_new's state lives in sodium_malloc'd memory, which libsodium places
 * against a guard page: the address is only aligned when the size is a
 * multiple of 16. Every shape must give an aligned struct (UBSan in attuned
 * caught a misaligned one for a sparks round: nfixed 1, no custom slots).
 */
static void
test_state_aligned(void **state)
{
	uint8_t rnd[PSI_RANDOM_LEN] = { 9 };
	unsigned nfixed, ncustom, tiers;

	(void)state;
	for (nfixed = 1; nfixed <= 20; nfixed++)
		for (ncustom = 0; ncustom <= 3; ncustom++)
			for (tiers = 1; tiers <= 2; tiers++) {
				struct psi_params p = { 1, (uint16_t)nfixed, (uint16_t)ncustom,
				    (uint8_t)tiers };
				struct psi *s = psi_new(0, bind0, rid0, &p, 0, rnd);

				assert_non_null(s);
				assert_int_equal((uintptr_t)s % 16, 0);
				psi_free(s);
			}
}

/* One side's REVEAL vector for answers ANS (one per slot) and randomness SEED. */
static void
reveal_of(const enum psi_answer *ans, size_t n, const uint8_t rnd[32], uint8_t *out, int *len)
{
	struct psi_params p = { 1, (uint16_t)n, 0, 1 };
	struct psi *a = psi_new(0, bind0, rid0, &p, 0, rnd), *b;
	uint8_t m[PSI_MSG_MAX], rb[32];
	int k;

	assert_non_null(a);
	memset(rb, 0x55, sizeof(rb));
	b = psi_new(1, bind0, rid0, &p, 0, rb);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(psi_set_fixed(a, i, keys[i], strlen(keys[i]), ans[i]), 0);
	assert_int_equal(psi_start(a), 0);
	assert_int_equal(psi_start(b), 0);
	k = psi_next(b, m, sizeof(m));
	assert_int_equal(psi_recv(a, m, (size_t)k), 0);
	assert_true(psi_next(a, m, sizeof(m)) > 0);            /* commit */
	*len = psi_next(a, out, PSI_MSG_MAX);                  /* reveal */
	assert_int_equal(out[1], PSI_REVEAL);
	psi_free(a), psi_free(b);
}

/* Structural: every answer pattern gives the same message sizes and only
 * valid points. */
static void
test_no_looks_like_yes_structure(void **state)
{
	static uint8_t m[PSI_MSG_MAX];
	enum psi_answer ans[4];
	uint8_t rnd[32];
	int len, first = -1;

	(void)state;
	for (unsigned mask = 0; mask < 16; mask++) {
		for (int i = 0; i < 4; i++)
			ans[i] = (mask >> i) & 1 ? PSI_YES : PSI_NO;
		randombytes_buf(rnd, sizeof(rnd));
		reveal_of(ans, 4, rnd, m, &len);
		if (first < 0)
			first = len;
		assert_int_equal(len, first);
		for (int i = 0; i < 4; i++)
			assert_int_equal(crypto_core_ristretto255_is_valid_point(
			    m + PSI_HEADER_LEN + PSI_NONCE_LEN + i * PSI_POINT_LEN), 1);
	}
}

/*
 * Statistical: the points a partner receives for an all-yes vector and for
 * an all-no vector, over many rounds, have the same distribution bit by bit
 * (two-proportion z test per bit of the encoding; a bit the encoding fixes
 * has zero variance in both and is skipped).
 */
static void
test_no_looks_like_yes_statistics(void **state)
{
	enum { ROUNDS = 300, SLOTS = 4, SAMPLES = ROUNDS * SLOTS };
	static uint8_t m[PSI_MSG_MAX];
	static unsigned ones[2][256];
	uint64_t rng = tutil_seed("psi yes/no distribution");
	enum psi_answer ans[SLOTS];
	uint8_t rnd[32];
	double worst = 0;
	int len;

	(void)state;
	memset(ones, 0, sizeof(ones));
	for (int which = 0; which < 2; which++)
		for (int r = 0; r < ROUNDS; r++) {
			for (int i = 0; i < SLOTS; i++)
				ans[i] = which ? PSI_YES : PSI_NO;
			for (int i = 0; i < 32; i += 8) {
				uint64_t v = tutil_rand(&rng);

				memcpy(rnd + i, &v, 8);
			}
			reveal_of(ans, SLOTS, rnd, m, &len);
			for (int i = 0; i < SLOTS; i++) {
				const uint8_t *pt = m + PSI_HEADER_LEN + PSI_NONCE_LEN + i * PSI_POINT_LEN;

				for (int bit = 0; bit < 256; bit++)
					ones[which][bit] += (pt[bit / 8] >> (bit % 8)) & 1;
			}
		}
	for (int bit = 0; bit < 256; bit++) {
		double p0 = (double)ones[0][bit] / SAMPLES, p1 = (double)ones[1][bit] / SAMPLES;
		double pp = (p0 + p1) / 2, se = sqrt(2 * pp * (1 - pp) / SAMPLES), z;

		if (se == 0) {
			assert_int_equal(ones[0][bit], ones[1][bit]);  /* a fixed bit: fixed in both */
			continue;
		}
		z = fabs(p0 - p1) / se;
		if (z > worst)
			worst = z;
	}
	printf("# largest |z| over 256 bits: %.2f\n", worst);
	/* Under the same distribution, P(max |z| > 5.5 over 256 bits) < 1e-5. */
	assert_true(worst < 5.5);
}

static void
test_out_of_order_and_replay(void **state)
{
	struct psi_params p = { 1, 4, 2, 2 };
	static uint8_t ca[PSI_MSG_MAX], ra[PSI_MSG_MAX], ea[PSI_MSG_MAX];
	static uint8_t cb[PSI_MSG_MAX], rb[PSI_MSG_MAX], eb[PSI_MSG_MAX];
	struct psi *a = mk(0, &p, 0, 1), *b = mk(1, &p, 0, 2);
	int lca, lra, lea, lcb, lrb, leb;

	(void)state;
	assert_int_equal(psi_recv(a, ca, 10), ATT_ESTATE);      /* not started */
	assert_int_equal(psi_next(a, ca, sizeof(ca)), ATT_ESTATE);
	assert_int_equal(psi_set_fixed(a, 0, "cuddle", 6, PSI_YES), 0);
	assert_int_equal(psi_set_custom(a, "foot rub", 8, PSI_YES), 0);
	assert_int_equal(psi_set_custom(a, "foot rub", 8, PSI_YES), ATT_EEXIST);
	assert_int_equal(psi_set_custom(a, "sing", 4, PSI_YES), 0);
	assert_int_equal(psi_set_custom(a, "poems", 5, PSI_YES), ATT_ELIMIT);
	assert_int_equal(psi_set_fixed(a, 4, "x", 1, PSI_YES), ATT_EINVAL);
	assert_int_equal(psi_start(a), 0);
	assert_int_equal(psi_start(a), ATT_ESTATE);
	assert_int_equal(psi_set_fixed(a, 1, "kiss", 4, PSI_YES), ATT_ESTATE);  /* frozen */
	assert_int_equal(psi_start(b), 0);
	lca = psi_next(a, ca, sizeof(ca));
	lcb = psi_next(b, cb, sizeof(cb));
	assert_int_equal(lca, PSI_COMMIT_MSG_LEN);
	/* Own commit reflected back is taken as the peer's... */
	assert_int_equal(psi_recv(b, ca, (size_t)lca), 0);
	assert_int_equal(psi_recv(b, ca, (size_t)lca), ATT_EREPLAY);
	assert_int_equal(psi_recv(a, cb, (size_t)lcb), 0);
	lra = psi_next(a, ra, sizeof(ra));
	lrb = psi_next(b, rb, sizeof(rb));
	assert_int_equal(lra, (int)psi_msg_size(PSI_REVEAL, &p));
	/* ...but a reflected REVEAL does not open it: the role is committed. */
	assert_int_equal(psi_recv(a, ra, (size_t)lra), ATT_EAUTH);
	/* EXP before the REVEAL it answers. */
	memset(eb, 0, sizeof(eb));
	eb[0] = PSI_VERSION, eb[1] = PSI_EXP;
	memcpy(eb + 2, rid0, PSI_ROUND_ID_LEN);
	assert_int_equal(psi_recv(a, eb, psi_msg_size(PSI_EXP, &p)), ATT_ESTATE);
	/* Tampered, truncated, padded, of another round, of another version. */
	rb[PSI_HEADER_LEN + PSI_NONCE_LEN + 5] ^= 1;
	assert_int_equal(psi_recv(a, rb, (size_t)lrb), ATT_EAUTH);
	rb[PSI_HEADER_LEN + PSI_NONCE_LEN + 5] ^= 1;
	assert_int_equal(psi_recv(a, rb, (size_t)lrb - 1), ATT_ETRUNCATED);
	assert_int_equal(psi_recv(a, rb, (size_t)lrb + 1), ATT_ETRAILING);
	rb[2] ^= 1;
	assert_int_equal(psi_recv(a, rb, (size_t)lrb), ATT_EINVAL);
	rb[2] ^= 1;
	rb[0] = 9;
	assert_int_equal(psi_recv(a, rb, (size_t)lrb), ATT_EVERSION);
	rb[0] = PSI_VERSION;
	assert_int_equal(psi_recv(a, rb, 5), ATT_ETRUNCATED);
	assert_int_equal(psi_recv(a, rb, (size_t)lrb), 0);
	assert_int_equal(psi_recv(a, rb, (size_t)lrb), ATT_EREPLAY);
	assert_int_equal(psi_recv(a, cb, (size_t)lcb), ATT_EREPLAY);
	lea = psi_next(a, ea, sizeof(ea));
	assert_int_equal(lea, (int)psi_msg_size(PSI_EXP, &p));
	assert_int_equal(psi_next(a, ea + lea, sizeof(ea) - (size_t)lea), 0);  /* each message once */
	(void)leb;
	psi_free(a), psi_free(b);
}

/* A REVEAL whose commitment opens but which holds a point that does not
 * decode, or the identity, is refused with ATT_EBADKEY (the test commits the
 * way the spec says). */
static void
test_invalid_point(void **state)
{
	struct psi_params p = { 1, 1, 0, 1 };
	uint8_t dom[32], nonce[32] = { 1 }, bad[2][32], msg[PSI_COMMIT_MSG_LEN], rv[100], c[32];
	uint8_t rf[2] = { 1, 0 };
	crypto_generichash_state h;

	(void)state;
	memset(bad[0], 0xff, 32);   /* does not decode */
	memset(bad[1], 0, 32);      /* the identity: decodes, but x * identity is refused */
	assert_int_equal(crypto_core_ristretto255_is_valid_point(bad[0]), 0);
	psi_domain(dom, bind0, rid0, &p);
	for (int k = 0; k < 2; k++) {
		struct psi *a = mk(0, &p, 0, 3);

		crypto_generichash_init(&h, dom, 32, 32);
		crypto_generichash_update(&h, (const uint8_t *)"attune-psi-commit-v1", 20);
		crypto_generichash_update(&h, rf, 2);
		crypto_generichash_update(&h, nonce, 32);
		crypto_generichash_update(&h, bad[k], 32);
		crypto_generichash_final(&h, c, 32);
		msg[0] = PSI_VERSION, msg[1] = PSI_COMMIT;
		memcpy(msg + 2, rid0, PSI_ROUND_ID_LEN);
		memcpy(msg + PSI_HEADER_LEN, (uint8_t[]){ 0, 1, 0, 1, 0, 1, 0, 0 }, 8);
		memcpy(msg + PSI_HEADER_LEN + 8, c, 32);
		assert_int_equal(psi_set_fixed(a, 0, "spark", 5, PSI_YES), 0);
		assert_int_equal(psi_start(a), 0);
		assert_true(psi_next(a, rv, sizeof(rv)) > 0);
		assert_int_equal(psi_recv(a, msg, sizeof(msg)), 0);
		rv[0] = PSI_VERSION, rv[1] = PSI_REVEAL;
		memcpy(rv + 2, rid0, PSI_ROUND_ID_LEN);
		memcpy(rv + PSI_HEADER_LEN, nonce, 32);
		memcpy(rv + PSI_HEADER_LEN + 32, bad[k], 32);
		assert_int_equal(psi_msg_size(PSI_REVEAL, &p), PSI_HEADER_LEN + 64);
		assert_int_equal(psi_recv(a, rv, PSI_HEADER_LEN + 64), ATT_EBADKEY);
		/* Refused without a trace: our own REVEAL is still due, no EXP, no result. */
		assert_int_equal(psi_next(a, rv, sizeof(rv)), PSI_HEADER_LEN + 64);
		assert_int_equal(rv[1], PSI_REVEAL);
		assert_int_equal(psi_next(a, rv, sizeof(rv)), 0);
		assert_false(psi_done(a));
		psi_free(a);
	}
}

/* A COMMIT of another shape is refused with a typed error. */
static void
test_shape_mismatch(void **state)
{
	struct psi_params p = { 1, 4, 2, 2 }, q = { 2, 4, 2, 2 };
	struct psi *a = mk(0, &p, 0, 1), *b = mk(1, &q, 0, 2);
	uint8_t m[PSI_MSG_MAX];
	int n;

	(void)state;
	assert_int_equal(psi_start(a), 0);
	assert_int_equal(psi_start(b), 0);
	n = psi_next(b, m, sizeof(m));
	assert_int_equal(psi_recv(a, m, (size_t)n), ATT_ERANGE);
	psi_free(a), psi_free(b);
}

/* Custom items match as a set whatever their order; the maybe tier counts
 * only when both opted in. */
static void
test_custom_and_maybe(void **state)
{
	struct psi_params p = { 1, 4, 8, 2 };
	uint8_t fa[4], fb[4], ca[8], cb[8];

	(void)state;
	for (int both = 0; both < 2; both++) {
		struct psi *a = mk(0, &p, PSI_FLAG_MAYBE, 4), *b = mk(1, &p, both ? PSI_FLAG_MAYBE : 0, 5);

		assert_int_equal(psi_set_fixed(a, 0, "cuddle", 6, PSI_YES), 0);
		assert_int_equal(psi_set_fixed(b, 0, "cuddle", 6, PSI_MAYBE), 0);
		assert_int_equal(psi_set_fixed(a, 1, "massage", 7, PSI_YES), 0);
		assert_int_equal(psi_set_fixed(b, 1, "massage", 7, PSI_YES), 0);
		assert_int_equal(psi_set_custom(a, "a", 1, PSI_YES), 0);
		assert_int_equal(psi_set_custom(a, "b", 1, PSI_YES), 0);
		assert_int_equal(psi_set_custom(a, "read aloud", 10, PSI_YES), 0);
		assert_int_equal(psi_set_custom(b, "read aloud", 10, PSI_YES), 0);
		assert_int_equal(psi_set_custom(b, "b", 1, PSI_MAYBE), 0);
		assert_int_equal(psi_start(a), 0);
		assert_int_equal(psi_start(b), 0);
		run(a, b);
		assert_int_equal(psi_result(a, 0, fa, ca), 0);
		assert_int_equal(psi_result(b, 0, fb, cb), 0);
		assert_memory_equal(fa, ((uint8_t[]){ 0, 1, 0, 0 }), 4);
		assert_memory_equal(fb, ((uint8_t[]){ 0, 1, 0, 0 }), 4);
		assert_memory_equal(ca, ((uint8_t[]){ 0, 0, 1 }), 3);
		assert_memory_equal(cb, ((uint8_t[]){ 1, 0 }), 2);
		assert_int_equal(psi_maybe_tier(a), both);
		assert_int_equal(psi_result(a, 1, fa, ca), 0);
		assert_int_equal(psi_result(b, 1, fb, cb), 0);
		assert_memory_equal(fa, both ? ((uint8_t[]){ 1, 1, 0, 0 }) : ((uint8_t[]){ 0, 0, 0, 0 }), 4);
		assert_memory_equal(fb, both ? ((uint8_t[]){ 1, 1, 0, 0 }) : ((uint8_t[]){ 0, 0, 0, 0 }), 4);
		assert_memory_equal(ca, both ? ((uint8_t[]){ 0, 1, 1 }) : ((uint8_t[]){ 0, 0, 0 }), 3);
		psi_free(a), psi_free(b);
	}
}

static void
test_bad_arguments(void **state)
{
	struct psi_params p = { 1, 4, 2, 2 }, bad = { 1, 0, 2, 2 }, bad2 = { 1, 4, 2, 3 };
	uint8_t rnd[32] = { 0 }, zero[PSI_ROUND_ID_LEN] = { 0 };

	(void)state;
	assert_null(psi_new(2, bind0, rid0, &p, 0, rnd));
	assert_null(psi_new(0, bind0, rid0, &bad, 0, rnd));
	assert_null(psi_new(0, bind0, rid0, &bad2, 0, rnd));
	assert_null(psi_new(0, bind0, zero, &p, 0, rnd));
	assert_null(psi_new(0, bind0, rid0, &p, 4, rnd));
	assert_int_equal(psi_msg_size(PSI_REVEAL, &bad), 0);
	assert_int_equal(psi_peek((const uint8_t *)"\x01\x07", 2, NULL), ATT_ETRUNCATED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_h2g),
		cmocka_unit_test(test_vectors_round),
		cmocka_unit_test(test_spark),
		cmocka_unit_test(test_no_looks_like_yes_structure),
		cmocka_unit_test(test_no_looks_like_yes_statistics),
		cmocka_unit_test(test_out_of_order_and_replay),
		cmocka_unit_test(test_invalid_point),
		cmocka_unit_test(test_shape_mismatch),
		cmocka_unit_test(test_custom_and_maybe),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_state_aligned),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
