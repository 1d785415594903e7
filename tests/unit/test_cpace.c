/*
 * CPace against the draft-irtf-cfrg-cpace-21 vectors for ristretto255 +
 * SHA-512 ($VECTORS/cpace/ristretto255_sha512.json, see its SOURCE.md), then
 * the properties the vectors do not cover: wrong passwords, tampered tags,
 * invalid points, calls out of order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/cpace.h"
#include "proto/err.h"
#include "tests/unit/tutil.h"

static json_t *vec;

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	vec = tutil_vectors("cpace/ristretto255_sha512.json");
	return vec == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(vec);
	return 0;
}

static uint8_t *
hexof(const char *section, const char *key, size_t *len)
{
	json_t *o = json_object_get(vec, section);

	assert_non_null(o);
	return tutil_json_hex(o, key, len);
}

static void
assert_bytes(const uint8_t *got, int got_len, const uint8_t *want, size_t want_len)
{
	assert_true(got_len >= 0);
	assert_int_equal((size_t)got_len, want_len);
	assert_memory_equal(got, want, want_len);
}

static void
test_string_utils(void **state)
{
	json_t *su = json_object_get(vec, "string_utils"), *o;
	uint8_t out[512], r127[128];
	uint8_t *a, *b, *c, *d, *w;
	size_t al, bl, cl, dl, wl, i;
	const uint8_t *parts[4];
	size_t lens[4];

	(void)state;
	assert_non_null(su);
	for (i = 0; i < sizeof(r127); i++)
		r127[i] = (uint8_t)i;

	o = json_object_get(su, "prepend_len");
	w = tutil_json_hex(o, "prepend_len(b'')", &wl);
	assert_bytes(out, cpace_prepend_len(out, sizeof(out), NULL, 0), w, wl);
	free(w);
	w = tutil_json_hex(o, "prepend_len(b'1234')", &wl);
	assert_bytes(out, cpace_prepend_len(out, sizeof(out), (const uint8_t *)"1234", 4), w, wl);
	free(w);
	w = tutil_json_hex(o, "prepend_len(bytes(range(127)))", &wl);
	assert_bytes(out, cpace_prepend_len(out, sizeof(out), r127, 127), w, wl);
	free(w);
	w = tutil_json_hex(o, "prepend_len(bytes(range(128)))", &wl);
	assert_bytes(out, cpace_prepend_len(out, sizeof(out), r127, 128), w, wl);
	/* A short buffer is refused, not overrun. */
	assert_int_equal(cpace_prepend_len(out, wl - 1, r127, 128), ATT_ETOOBIG);
	free(w);

	o = json_object_get(su, "lv_cat");
	parts[0] = (const uint8_t *)"1234", lens[0] = 4;
	parts[1] = (const uint8_t *)"5", lens[1] = 1;
	parts[2] = NULL, lens[2] = 0;
	parts[3] = (const uint8_t *)"678", lens[3] = 3;
	w = tutil_json_hex(o, "lv_cat(b'1234',b'5',b'',b'678')", &wl);
	assert_bytes(out, cpace_lv_cat(out, sizeof(out), 4, parts, lens), w, wl);
	free(w);

	o = json_object_get(su, "o_cat");
	w = tutil_json_hex(o, "o_cat(b'ABCD',b'BCD')", &wl);
	assert_bytes(out, cpace_o_cat(out, sizeof(out), (const uint8_t *)"ABCD", 4,
	    (const uint8_t *)"BCD", 3), w, wl);
	free(w);
	w = tutil_json_hex(o, "o_cat(b'BCD',b'ABCDE')", &wl);
	assert_bytes(out, cpace_o_cat(out, sizeof(out), (const uint8_t *)"BCD", 3,
	    (const uint8_t *)"ABCDE", 5), w, wl);
	free(w);

	/* Both transcripts, from the hex inputs the vectors give. */
	{
		const char *kinds[2] = { "transcript_ir", "transcript_oc" };
		const char *ys[2][2] = { { "b'123'", "b'234'" }, { "b'3456'", "b'2345'" } };
		int k, v;

		for (k = 0; k < 2; k++) {
			o = json_object_get(su, kinds[k]);
			assert_non_null(o);
			for (v = 0; v < 2; v++) {
				char key[128];
				int n;

				a = tutil_json_hex(o, ys[v][0], &al);
				b = tutil_json_hex(o, "b'PartyA'", &bl);
				c = tutil_json_hex(o, ys[v][1], &cl);
				d = tutil_json_hex(o, "b'PartyB'", &dl);
				snprintf(key, sizeof(key), "%s(%s,b'PartyA',%s,b'PartyB')", kinds[k],
				    ys[v][0], ys[v][1]);
				w = tutil_json_hex(o, key, &wl);
				n = k == 0 ? cpace_transcript_ir(out, sizeof(out), a, al, b, bl, c, cl, d, dl)
				    : cpace_transcript_oc(out, sizeof(out), a, al, b, bl, c, cl, d, dl);
				assert_bytes(out, n, w, wl);
				free(a), free(b), free(c), free(d), free(w);
			}
		}
	}
}

static void
test_generator(void **state)
{
	uint8_t *prs, *ci, *sid, *gs_want, *h_want, *g_want;
	size_t prs_l, ci_l, sid_l, gs_l, h_l, g_l;
	uint8_t gs[512], h[64], g[32];
	int n;

	(void)state;
	prs = hexof("calculate_generator", "PRS", &prs_l);
	ci = hexof("calculate_generator", "CI", &ci_l);
	sid = hexof("calculate_generator", "sid", &sid_l);
	gs_want = hexof("calculate_generator", "generator_string(G.DSI,PRS,CI,sid,H.s_in_bytes)", &gs_l);
	h_want = hexof("calculate_generator", "hash result", &h_l);
	g_want = hexof("calculate_generator", "encoded generator g", &g_l);

	n = cpace_generator_string(gs, sizeof(gs), prs, prs_l, ci, ci_l, sid, sid_l);
	assert_bytes(gs, n, gs_want, gs_l);
	crypto_hash_sha512(h, gs, (unsigned long long)n);
	assert_bytes(h, 64, h_want, h_l);
	assert_int_equal(cpace_generator(g, prs, prs_l, ci, ci_l, sid, sid_l), 0);
	assert_bytes(g, 32, g_want, g_l);
	free(prs), free(ci), free(sid), free(gs_want), free(h_want), free(g_want);
}

/* The full protocol vector: both sides with the draft's fixed scalars. */
static void
test_protocol_vector(void **state)
{
	const char *keys[] = { "PRS", "CI", "sid", "g", "ya", "ADa", "Ya", "yb", "ADb", "Yb",
		"K", "ISK_IR", "ISK_SY", "sid_output_ir" };
	enum { PRS, CI, SID, G, YA, ADA, YA_, YB, ADB, YB_, K, ISK_IR, ISK_SY, SIDOUT, NK };
	uint8_t *v[NK];
	size_t l[NK];
	uint8_t g[32], ya[32], yb[32], k1[32], k2[32], ta[64], tb[64], isk_a[64], isk_b[64];
	uint8_t tr[256], buf[512], h[64];
	struct cpace *a, *b;
	int i, n;

	(void)state;
	for (i = 0; i < NK; i++)
		v[i] = hexof("protocol", keys[i], &l[i]);

	assert_int_equal(cpace_generator(g, v[PRS], l[PRS], v[CI], l[CI], v[SID], l[SID]), 0);
	assert_memory_equal(g, v[G], 32);

	a = cpace_new(1, v[PRS], l[PRS], v[CI], l[CI], v[SID], l[SID], v[ADA], l[ADA]);
	b = cpace_new(0, v[PRS], l[PRS], v[CI], l[CI], v[SID], l[SID], v[ADB], l[ADB]);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(cpace_fix_scalar(a, v[YA]), 0);
	assert_int_equal(cpace_fix_scalar(b, v[YB]), 0);
	assert_int_equal(cpace_share(a, ya), 0);
	assert_int_equal(cpace_share(b, yb), 0);
	assert_memory_equal(ya, v[YA_], 32);
	assert_memory_equal(yb, v[YB_], 32);

	/* K both ways. */
	assert_int_equal(cpace_scalar_mult_vfy(k1, v[YA], yb), 0);
	assert_int_equal(cpace_scalar_mult_vfy(k2, v[YB], ya), 0);
	assert_memory_equal(k1, v[K], 32);
	assert_memory_equal(k2, v[K], 32);

	/* No tag, transcript or ISK before derive; no ISK before verify. */
	assert_int_equal(cpace_tag(a, ta), ATT_ESTATE);
	assert_int_equal(cpace_isk(a, isk_a), ATT_ESTATE);
	assert_int_equal(cpace_derive(a, yb, v[ADB], l[ADB]), 0);
	assert_int_equal(cpace_derive(b, ya, v[ADA], l[ADA]), 0);
	assert_int_equal(cpace_isk(a, isk_a), ATT_ESTATE);
	assert_int_equal(cpace_tag(a, ta), 0);
	assert_int_equal(cpace_tag(b, tb), 0);
	assert_memory_not_equal(ta, tb, 64);

	/* The transcript matches the draft's text. */
	n = cpace_transcript(a, tr, sizeof(tr));
	{
		json_t *im = json_object_get(vec, "intermediate_from_draft_text");
		size_t wl;
		uint8_t *w = tutil_json_hex(im, "transcript_ir(Ya,ADa,Yb,ADb)", &wl);

		assert_bytes(tr, n, w, wl);
		assert_bytes(tr, cpace_transcript(b, tr, sizeof(tr)), w, wl);
		free(w);
		/* ISK_SY from the oc transcript and the vector's K (symmetric mode). */
		w = tutil_json_hex(im, "lv_cat(DSI_ISK,sid,K)||transcript_oc(Ya,ADa,Yb,ADb)", &wl);
		{
			const uint8_t *parts[3] = { (const uint8_t *)"CPaceRistretto255_ISK", v[SID], v[K] };
			size_t lens[3] = { 21, l[SID], 32 };
			int m = cpace_lv_cat(buf, sizeof(buf), 3, parts, lens);

			assert_true(m > 0);
			n = cpace_transcript_oc(buf + m, sizeof(buf) - (size_t)m, ya, 32, v[ADA],
			    l[ADA], yb, 32, v[ADB], l[ADB]);
			assert_bytes(buf, m + n, w, wl);
			crypto_hash_sha512(h, buf, (unsigned long long)(m + n));
			assert_memory_equal(h, v[ISK_SY], 64);
		}
		free(w);
		/* sid_output_ir = H("CPaceSidOutput" || transcript_ir). */
		memcpy(buf, "CPaceSidOutput", 14);
		n = cpace_transcript(a, buf + 14, sizeof(buf) - 14);
		crypto_hash_sha512(h, buf, (unsigned long long)(14 + n));
		assert_memory_equal(h, v[SIDOUT], 64);
	}

	assert_int_equal(cpace_verify(a, tb), 0);
	assert_int_equal(cpace_verify(b, ta), 0);
	assert_int_equal(cpace_isk(a, isk_a), 0);
	assert_int_equal(cpace_isk(b, isk_b), 0);
	assert_memory_equal(isk_a, v[ISK_IR], 64);
	assert_memory_equal(isk_b, v[ISK_IR], 64);
	/* A second verify is out of order. */
	assert_int_equal(cpace_verify(a, tb), ATT_ESTATE);

	cpace_free(a);
	cpace_free(b);
	for (i = 0; i < NK; i++)
		free(v[i]);
}

static void
test_scalar_mult_vfy(void **state)
{
	json_t *o = json_object_get(vec, "scalar_mult_vfy"), *valid;
	uint8_t *s, *x, *w1, *w2, *bad1, *bad2, out[32], out64[64];
	size_t sl, xl, l1, l2, b1l, b2l;
	struct cpace *c;
	uint8_t y[32];

	(void)state;
	valid = json_object_get(o, "Valid");
	s = tutil_json_hex(valid, "s", &sl);
	x = tutil_json_hex(valid, "X", &xl);
	w1 = tutil_json_hex(valid, "G.scalar_mult(s,decode(X))", &l1);
	w2 = tutil_json_hex(valid, "G.scalar_mult_vfy(s,X)", &l2);
	bad1 = tutil_json_hex(o, "Invalid Y1", &b1l);
	bad2 = tutil_json_hex(o, "Invalid Y2", &b2l);

	assert_int_equal(cpace_scalar_mult_vfy(out, s, x), 0);
	assert_memory_equal(out, w1, 32);
	assert_memory_equal(out, w2, 32);
	assert_int_equal(cpace_scalar_mult_vfy(out, s, bad1), ATT_EBADKEY);
	assert_int_equal(cpace_scalar_mult_vfy(out, s, bad2), ATT_EBADKEY);

	/* The protocol aborts on either, and stays dead. */
	for (int i = 0; i < 2; i++) {
		c = cpace_new(i, (const uint8_t *)"pw", 2, NULL, 0, NULL, 0, NULL, 0);
		assert_non_null(c);
		assert_int_equal(cpace_share(c, y), 0);
		assert_int_equal(cpace_derive(c, i ? bad1 : bad2, NULL, 0), ATT_EBADKEY);
		assert_int_equal(cpace_tag(c, out64), ATT_ESTATE);
		assert_int_equal(cpace_isk(c, out64), ATT_ESTATE);
		assert_int_equal(cpace_derive(c, x, NULL, 0), ATT_ESTATE);
		cpace_free(c);
	}
	free(s), free(x), free(w1), free(w2), free(bad1), free(bad2);
}

/*
 * Runs A and B; returns A's verify result * 100 + B's (0: both confirmed).
 * tamper: 1 flips a bit of Ta, 2 of Tb.
 */
static int
run(const char *pwa, const char *pwb, int tamper, uint8_t isk_a[64], uint8_t isk_b[64])
{
	struct cpace *a = cpace_new(1, (const uint8_t *)pwa, strlen(pwa), (const uint8_t *)"ci", 2,
	    (const uint8_t *)"sid", 3, (const uint8_t *)"A", 1);
	struct cpace *b = cpace_new(0, (const uint8_t *)pwb, strlen(pwb), (const uint8_t *)"ci", 2,
	    (const uint8_t *)"sid", 3, (const uint8_t *)"B", 1);
	uint8_t ya[32], yb[32], ta[64], tb[64];
	int ra, rb;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(cpace_share(a, ya), 0);
	assert_int_equal(cpace_share(b, yb), 0);
	assert_int_equal(cpace_derive(b, ya, (const uint8_t *)"A", 1), 0);
	assert_int_equal(cpace_derive(a, yb, (const uint8_t *)"B", 1), 0);
	assert_int_equal(cpace_tag(a, ta), 0);
	assert_int_equal(cpace_tag(b, tb), 0);
	if (tamper == 1)
		ta[17] ^= 0x40;
	if (tamper == 2)
		tb[63] ^= 0x01;
	ra = cpace_verify(a, tb);
	rb = cpace_verify(b, ta);
	if (ra == 0)
		assert_int_equal(cpace_isk(a, isk_a), 0);
	else
		assert_int_equal(cpace_isk(a, isk_a), ATT_ESTATE);
	if (rb == 0)
		assert_int_equal(cpace_isk(b, isk_b), 0);
	else
		assert_int_equal(cpace_isk(b, isk_b), ATT_ESTATE);
	cpace_free(a);
	cpace_free(b);
	return ra * 100 + rb;
}

static void
test_random_runs(void **state)
{
	uint8_t ia[64], ib[64], ic[64];

	(void)state;
	assert_int_equal(run("42-crossover-clockwork", "42-crossover-clockwork", 0, ia, ib), 0);
	assert_memory_equal(ia, ib, 64);
	/* Fresh scalars each run: a new key every time. */
	assert_int_equal(run("42-crossover-clockwork", "42-crossover-clockwork", 0, ic, ib), 0);
	assert_memory_not_equal(ia, ic, 64);
	/* A wrong password on either side: both verifies fail. */
	assert_int_equal(run("42-crossover-clockwork", "42-crossover-clockwarp", 0, ia, ib),
	    ATT_EAUTH * 101);
	assert_int_equal(run("42-crossover-clockwarp", "42-crossover-clockwork", 0, ia, ib),
	    ATT_EAUTH * 101);
	/* A tampered tag fails the side that checks it. */
	assert_int_equal(run("pw", "pw", 1, ia, ib), ATT_EAUTH);
	assert_int_equal(run("pw", "pw", 2, ia, ib), ATT_EAUTH * 100);
}

static void
test_bad_arguments(void **state)
{
	uint8_t big[CPACE_FIELD_MAX + 1] = { 0 }, y[32], zero[32] = { 0 };
	struct cpace *c;

	(void)state;
	assert_null(cpace_new(1, big, sizeof(big), NULL, 0, NULL, 0, NULL, 0));
	assert_null(cpace_new(1, NULL, 3, NULL, 0, NULL, 0, NULL, 0));
	c = cpace_new(1, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
	assert_non_null(c);
	assert_int_equal(cpace_fix_scalar(c, zero), ATT_EINVAL);
	assert_int_equal(cpace_derive(c, y, NULL, 0), ATT_ESTATE);  /* before share */
	assert_int_equal(cpace_share(c, y), 0);
	assert_int_equal(cpace_fix_scalar(c, y), ATT_ESTATE);       /* after share */
	assert_int_equal(cpace_verify(c, big), ATT_ESTATE);         /* before derive */
	assert_int_equal(cpace_derive(c, y, big, sizeof(big)), ATT_ETOOBIG);
	assert_int_equal(cpace_share(c, y), ATT_ESTATE);            /* dead */
	cpace_free(c);
	cpace_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_utils),
		cmocka_unit_test(test_generator),
		cmocka_unit_test(test_protocol_vector),
		cmocka_unit_test(test_scalar_mult_vfy),
		cmocka_unit_test(test_random_runs),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests_name("cpace", tests, setup, teardown);
}
