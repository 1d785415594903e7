#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/envelope.h"
#include "proto/err.h"
#include "proto/ratchet.h"
#include "proto/session.h"
#include "proto/x3dh.h"
#include "tests/unit/tutil.h"

static void
test_buckets(void **state)
{
	(void)state;
	assert_int_equal(envelope_bucket(0), 256);
	assert_int_equal(envelope_bucket(255), 256);
	assert_int_equal(envelope_bucket(256), 512);
	assert_int_equal(envelope_bucket(300), 512);
	assert_int_equal(envelope_bucket(1023), 1024);
	assert_int_equal(envelope_bucket(5000), 8192);
	assert_int_equal(envelope_bucket(ENVELOPE_MAX_PLAINTEXT), ENVELOPE_MAX_BUCKET);
	assert_int_equal(envelope_bucket(ENVELOPE_MAX_BUCKET), 0);
}

static void
test_pad_roundtrip(void **state)
{
	static uint8_t buf[ENVELOPE_MAX_BUCKET];
	size_t lens[] = { 0, 1, 100, 255, 256, 511, 4000, ENVELOPE_MAX_PLAINTEXT };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		randombytes_buf(buf, lens[i]);
		buf[lens[i] ? lens[i] - 1 : 0] = 0x80;	/* looks like a marker: still fine */
		assert_int_equal(envelope_pad(buf, lens[i], sizeof(buf)),
		    (int)envelope_bucket(lens[i]));
		assert_int_equal(envelope_unpad(buf, envelope_bucket(lens[i])), (int)lens[i]);
	}
	assert_int_equal(envelope_pad(buf, 300, 256), ATT_EINVAL);
	assert_int_equal(envelope_pad(buf, ENVELOPE_MAX_BUCKET, sizeof(buf)), ATT_ETOOBIG);
	memset(buf, 0, 256);
	assert_int_equal(envelope_unpad(buf, 256), ATT_EMALFORMED);	/* no marker */
	assert_int_equal(envelope_unpad(buf, 300), ATT_EMALFORMED);	/* not a bucket */
}

static void
test_parse(void **state)
{
	static uint8_t env[ENVELOPE_MAX + 1];
	uint8_t hdr[X3DH_HEADER_LEN];
	struct envelope_view v;
	size_t n = envelope_size(ENVELOPE_NORMAL, 256);

	(void)state;
	memset(hdr, 0x11, sizeof(hdr));
	memset(env, 0, sizeof(env));
	assert_int_equal(envelope_write_prefix(env, sizeof(env), ENVELOPE_NORMAL, NULL), 2);
	assert_int_equal(envelope_parse(&v, env, n), 0);
	assert_int_equal(v.type, ENVELOPE_NORMAL);
	assert_null(v.x3dh);
	assert_int_equal(v.msg_len, n - 2);
	assert_int_equal(envelope_parse(&v, env, n - 1), ATT_ETRUNCATED);
	assert_int_equal(envelope_parse(&v, env, n + 1), ATT_EMALFORMED);
	assert_int_equal(envelope_parse(&v, env, 40), ATT_ETRUNCATED);
	assert_int_equal(envelope_parse(&v, env, 1), ATT_ETRUNCATED);
	assert_int_equal(envelope_write_prefix(env, sizeof(env), ENVELOPE_PREKEY, hdr),
	    2 + X3DH_HEADER_LEN);
	n = envelope_size(ENVELOPE_PREKEY, 1024);
	assert_int_equal(envelope_parse(&v, env, n), 0);
	assert_int_equal(v.type, ENVELOPE_PREKEY);
	assert_memory_equal(v.x3dh, hdr, sizeof(hdr));
	assert_int_equal(envelope_parse(&v, env, ENVELOPE_MAX), 0);
	assert_int_equal(envelope_parse(&v, env, ENVELOPE_MAX + 1), ATT_ETOOBIG);
	env[0] = 2;
	assert_int_equal(envelope_parse(&v, env, n), ATT_EVERSION);
	env[0] = ENVELOPE_VERSION;
	env[1] = 3;
	assert_int_equal(envelope_parse(&v, env, n), ATT_EMALFORMED);
	assert_int_equal(envelope_write_prefix(env, sizeof(env), ENVELOPE_PREKEY, NULL), ATT_EINVAL);
}

/* What the daemon sends: a check-in, a bid and a response of typical sizes
 * come out as envelopes of one length. */
static int
lookup(void *arg, uint32_t spk_id, uint8_t spk_sk[32], uint32_t otk_id, uint8_t otk_sk[32])
{
	const uint8_t *keys = arg;

	(void)spk_id;
	(void)otk_id;
	memcpy(spk_sk, keys, 32);
	memcpy(otk_sk, keys + 32, 32);
	return 0;
}

static void
test_sizes_indistinguishable(void **state)
{
	uint8_t a_sign_pk[32], a_sign_sk[64], b_sign_pk[32], b_sign_sk[64];
	uint8_t a_pk[32], a_sk[32], b_pk[32], b_sk[32], keys[64];
	uint8_t spk[X3DH_SPK_LEN], otk[X3DH_OTK_LEN], env[4096], pt[4096], msg[1200];
	struct session *a, *b;
	size_t sizes[] = { 41, 180, 233, 120, 0, 255 };	/* bid, check-in with note, response ... */
	int n, first = 0, i;
	uint32_t used;

	(void)state;
	crypto_sign_keypair(a_sign_pk, a_sign_sk);
	crypto_sign_keypair(b_sign_pk, b_sign_sk);
	crypto_box_keypair(a_pk, a_sk);
	crypto_box_keypair(b_pk, b_sk);
	assert_int_equal(x3dh_spk_make(spk, keys, 1, 1, b_sign_sk), 0);
	assert_int_equal(x3dh_otk_make(otk, keys + 32, 2, b_sign_sk), 0);
	a = session_new(a_pk, b_pk, b_sign_pk);
	b = session_new(b_pk, a_pk, a_sign_pk);
	assert_int_equal(session_initiate(a, a_sk, spk, sizeof(spk), otk, sizeof(otk)), 0);
	n = session_encrypt(a, env, sizeof(env), (const uint8_t *)"hello", 5);
	assert_int_equal(n, (int)envelope_size(ENVELOPE_PREKEY, 256));
	assert_int_equal(session_decrypt(b, pt, sizeof(pt), env, (size_t)n, b_sk, lookup, keys,
	    &used), 5);
	assert_int_equal(used, 2);
	for (i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); i++) {
		randombytes_buf(msg, sizes[i]);
		n = session_encrypt(b, env, sizeof(env), msg, sizes[i]);
		if (i == 0)
			first = n;
		assert_int_equal(n, first);
		assert_int_equal(n, (int)envelope_size(ENVELOPE_NORMAL, 256));
		assert_int_equal(session_decrypt(a, pt, sizeof(pt), env, (size_t)n, a_sk, NULL, NULL,
		    &used), (int)sizes[i]);
		assert_memory_equal(pt, msg, sizes[i]);
	}
	/* Over 255 bytes moves to the next bucket, and so on. */
	n = session_encrypt(b, env, sizeof(env), msg, 256);
	assert_int_equal(n, (int)envelope_size(ENVELOPE_NORMAL, 512));
	n = session_encrypt(b, env, sizeof(env), msg, 1100);
	assert_int_equal(n, (int)envelope_size(ENVELOPE_NORMAL, 2048));
	assert_int_equal(session_envelope_max(1100), envelope_size(ENVELOPE_PREKEY, 2048));
	assert_int_equal(session_encrypt(b, env, sizeof(env), msg, ENVELOPE_MAX_BUCKET), ATT_ETOOBIG);
	session_free(a);
	session_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_pad_roundtrip),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_sizes_indistinguishable),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("envelope", tests, NULL, NULL);
}
