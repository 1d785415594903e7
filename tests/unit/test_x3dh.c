#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/x3dh.h"
#include "tests/unit/tutil.h"

struct dev {
	uint8_t sign_pk[32], sign_sk[64];
	uint8_t dh_pk[32], dh_sk[32];
};

static void
dev_make(struct dev *d)
{
	crypto_sign_keypair(d->sign_pk, d->sign_sk);
	crypto_box_keypair(d->dh_pk, d->dh_sk);
}

static void
test_devrec(void **state)
{
	uint8_t person_pk[32], person_sk[64], other_pk[32], other_sk[64];
	uint8_t rec[X3DH_DEVREC_LEN], bad[X3DH_DEVREC_LEN];
	struct x3dh_devrec d, back;
	size_t i;

	(void)state;
	crypto_sign_keypair(person_pk, person_sk);
	crypto_sign_keypair(other_pk, other_sk);
	memcpy(d.person_pk, person_pk, 32);
	randombytes_buf(d.sign_pk, 32);
	randombytes_buf(d.dh_pk, 32);
	randombytes_buf(d.relay_pk, 32);
	d.created = 1764300000;
	assert_int_equal(x3dh_devrec_make(rec, &d, person_sk), 0);
	/* The person key must be the record's. */
	assert_int_equal(x3dh_devrec_make(bad, &d, other_sk), ATT_EINVAL);
	assert_int_equal(x3dh_devrec_verify(&back, rec, sizeof(rec), NULL), 0);
	assert_memory_equal(&back.person_pk, person_pk, 32);
	assert_memory_equal(back.relay_pk, d.relay_pk, 32);
	assert_int_equal(back.created, d.created);
	assert_int_equal(x3dh_devrec_verify(&back, rec, sizeof(rec), person_pk), 0);
	assert_int_equal(x3dh_devrec_verify(&back, rec, sizeof(rec), other_pk), ATT_EAUTH);
	assert_int_equal(x3dh_devrec_verify(&back, rec, sizeof(rec) - 1, NULL), ATT_ETRUNCATED);
	/* Every single flipped byte is caught. */
	for (i = 0; i < sizeof(rec); i++) {
		memcpy(bad, rec, sizeof(rec));
		bad[i] ^= 0x01;
		assert_int_not_equal(x3dh_devrec_verify(&back, bad, sizeof(bad), NULL), 0);
	}
}

static void
test_prekey_records(void **state)
{
	struct dev b, other;
	uint8_t spk[X3DH_SPK_LEN], otk[X3DH_OTK_LEN], sk[32], pub[32], pk[32];
	uint32_t id;
	uint64_t created;

	(void)state;
	dev_make(&b);
	dev_make(&other);
	assert_int_equal(x3dh_spk_make(spk, sk, 7, 1234, b.sign_sk), 0);
	assert_int_equal(x3dh_spk_verify(&id, &created, pub, spk, sizeof(spk), b.sign_pk), 0);
	assert_int_equal(id, 7);
	assert_int_equal(created, 1234);
	crypto_scalarmult_base(pk, sk);
	assert_memory_equal(pk, pub, 32);
	assert_int_equal(x3dh_spk_verify(&id, &created, pub, spk, sizeof(spk), other.sign_pk),
	    ATT_EAUTH);
	assert_int_equal(x3dh_otk_make(otk, sk, 99, b.sign_sk), 0);
	assert_int_equal(x3dh_otk_verify(&id, pub, otk, sizeof(otk), b.sign_pk), 0);
	assert_int_equal(id, 99);
	assert_int_equal(x3dh_otk_make(otk, sk, X3DH_NO_OTK, b.sign_sk), ATT_EINVAL);
	/* A prekey record never passes as the other kind. */
	assert_int_not_equal(x3dh_otk_verify(&id, pub, spk, sizeof(spk), b.sign_pk), 0);
	spk[0] = 2;
	assert_int_equal(x3dh_spk_verify(&id, &created, pub, spk, sizeof(spk), b.sign_pk),
	    ATT_EVERSION);
}

static void
agree(int with_otk)
{
	struct dev a, b;
	uint8_t spk[X3DH_SPK_LEN], otk[X3DH_OTK_LEN], spk_sk[32], otk_sk[32];
	uint8_t sk_a[32], sk_b[32], hdr[X3DH_HEADER_LEN], spk_pub[32], ad_a[64], ad_b[64];
	uint8_t ik[32], ek[32];
	uint32_t spk_id, otk_id;

	dev_make(&a);
	dev_make(&b);
	assert_int_equal(x3dh_spk_make(spk, spk_sk, 3, 1, b.sign_sk), 0);
	assert_int_equal(x3dh_otk_make(otk, otk_sk, 41, b.sign_sk), 0);
	assert_int_equal(x3dh_initiate(sk_a, hdr, spk_pub, ad_a, a.dh_sk, a.dh_pk, b.dh_pk,
	    b.sign_pk, spk, sizeof(spk), with_otk ? otk : NULL, with_otk ? sizeof(otk) : 0), 0);
	assert_int_equal(x3dh_header_parse(ik, ek, &spk_id, &otk_id, hdr, sizeof(hdr)), 0);
	assert_memory_equal(ik, a.dh_pk, 32);
	assert_int_equal(spk_id, 3);
	assert_int_equal(otk_id, with_otk ? 41 : X3DH_NO_OTK);
	assert_int_equal(x3dh_respond(sk_b, ad_b, hdr, sizeof(hdr), b.dh_sk, b.dh_pk, spk_sk,
	    with_otk ? otk_sk : NULL, a.dh_pk), 0);
	assert_memory_equal(sk_a, sk_b, 32);
	assert_memory_equal(ad_a, ad_b, 64);
	assert_memory_equal(ad_a, a.dh_pk, 32);
	assert_memory_equal(ad_a + 32, b.dh_pk, 32);
	/* Without the one-time key the responder cannot follow a header that used one. */
	if (with_otk)
		assert_int_equal(x3dh_respond(sk_b, ad_b, hdr, sizeof(hdr), b.dh_sk, b.dh_pk,
		    spk_sk, NULL, a.dh_pk), ATT_EINVAL);
	/* A wrong spk secret gives another key. */
	spk_sk[0] ^= 0x40;
	assert_int_equal(x3dh_respond(sk_b, ad_b, hdr, sizeof(hdr), b.dh_sk, b.dh_pk, spk_sk,
	    with_otk ? otk_sk : NULL, a.dh_pk), 0);
	assert_memory_not_equal(sk_a, sk_b, 32);
}

static void
test_agree_with_otk(void **state)
{
	(void)state;
	agree(1);
}

static void
test_agree_without_otk(void **state)
{
	(void)state;
	agree(0);
}

static void
test_bad_signature_rejected(void **state)
{
	struct dev a, b, mallory;
	uint8_t spk[X3DH_SPK_LEN], otk[X3DH_OTK_LEN], spk_sk[32], otk_sk[32];
	uint8_t sk[32], hdr[X3DH_HEADER_LEN], spk_pub[32], ad[64];

	(void)state;
	dev_make(&a);
	dev_make(&b);
	dev_make(&mallory);
	/* The relay hands out a prekey signed by someone else. */
	assert_int_equal(x3dh_spk_make(spk, spk_sk, 1, 1, mallory.sign_sk), 0);
	memset(sk, 0xaa, sizeof(sk));
	assert_int_equal(x3dh_initiate(sk, hdr, spk_pub, ad, a.dh_sk, a.dh_pk, b.dh_pk,
	    b.sign_pk, spk, sizeof(spk), NULL, 0), ATT_EAUTH);
	/* A good spk with a forged one-time key. */
	assert_int_equal(x3dh_spk_make(spk, spk_sk, 1, 1, b.sign_sk), 0);
	assert_int_equal(x3dh_otk_make(otk, otk_sk, 5, mallory.sign_sk), 0);
	assert_int_equal(x3dh_initiate(sk, hdr, spk_pub, ad, a.dh_sk, a.dh_pk, b.dh_pk,
	    b.sign_pk, spk, sizeof(spk), otk, sizeof(otk)), ATT_EAUTH);
	/* A flipped bit in the spk's public key. */
	spk[20] ^= 1;
	assert_int_equal(x3dh_initiate(sk, hdr, spk_pub, ad, a.dh_sk, a.dh_pk, b.dh_pk,
	    b.sign_pk, spk, sizeof(spk), NULL, 0), ATT_EAUTH);
}

/* A correctly signed prekey whose point has small order is still refused. */
static void
test_low_order_rejected(void **state)
{
	struct dev a, b;
	uint8_t spk[X3DH_SPK_LEN], spk_sk[32], msg[64 + X3DH_SPK_LEN];
	uint8_t sk[32], hdr[X3DH_HEADER_LEN], spk_pub[32], ad[64];
	static const char dom[] = "attune spk v1";
	size_t dl = sizeof(dom) - 1;

	(void)state;
	dev_make(&a);
	dev_make(&b);
	/* Points of order 2 (u = 0), 4 (u = 1) and 8. */
	static const char *low[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	size_t i, n;

	for (i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		uint8_t *pt = tutil_unhex(low[i], &n);

		assert_int_equal(n, 32);
		assert_int_equal(x3dh_spk_make(spk, spk_sk, 1, 1, b.sign_sk), 0);
		memcpy(spk + 13, pt, 32);
		free(pt);
		memcpy(msg, dom, dl);
		memcpy(msg + dl, spk, X3DH_SPK_LEN - 64);
		crypto_sign_detached(spk + X3DH_SPK_LEN - 64, NULL, msg, dl + X3DH_SPK_LEN - 64,
		    b.sign_sk);
		assert_int_equal(x3dh_initiate(sk, hdr, spk_pub, ad, a.dh_sk, a.dh_pk, b.dh_pk,
		    b.sign_pk, spk, sizeof(spk), NULL, 0), ATT_EBADKEY);
	}
}

static void
test_responder_checks_identity(void **state)
{
	struct dev a, b, c;
	uint8_t spk[X3DH_SPK_LEN], spk_sk[32], sk[32], hdr[X3DH_HEADER_LEN], spk_pub[32], ad[64];

	(void)state;
	dev_make(&a);
	dev_make(&b);
	dev_make(&c);
	assert_int_equal(x3dh_spk_make(spk, spk_sk, 1, 1, b.sign_sk), 0);
	assert_int_equal(x3dh_initiate(sk, hdr, spk_pub, ad, a.dh_sk, a.dh_pk, b.dh_pk,
	    b.sign_pk, spk, sizeof(spk), NULL, 0), 0);
	/* Bob expected c, the header says a. */
	assert_int_equal(x3dh_respond(sk, ad, hdr, sizeof(hdr), b.dh_sk, b.dh_pk, spk_sk, NULL,
	    c.dh_pk), ATT_EAUTH);
	assert_int_equal(x3dh_respond(sk, ad, hdr, sizeof(hdr) - 1, b.dh_sk, b.dh_pk, spk_sk,
	    NULL, a.dh_pk), ATT_ETRUNCATED);
	hdr[0] = 9;
	assert_int_equal(x3dh_respond(sk, ad, hdr, sizeof(hdr), b.dh_sk, b.dh_pk, spk_sk, NULL,
	    a.dh_pk), ATT_EVERSION);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devrec),
		cmocka_unit_test(test_prekey_records),
		cmocka_unit_test(test_agree_with_otk),
		cmocka_unit_test(test_agree_without_otk),
		cmocka_unit_test(test_bad_signature_rejected),
		cmocka_unit_test(test_low_order_rejected),
		cmocka_unit_test(test_responder_checks_identity),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("x3dh", tests, NULL, NULL);
}
