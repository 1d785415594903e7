#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/hkdf.h"
#include "tests/unit/tutil.h"

/*
 * The HKDF-SHA256 test cases of RFC 5869, Appendix A (A.1, A.2, A.3):
 * https://www.rfc-editor.org/rfc/rfc5869#appendix-A
 */
struct rfc_case {
	const char *name, *ikm, *salt, *info;
	size_t L;
	const char *prk, *okm;
};

static const struct rfc_case cases[] = {
	{ "A.1 basic",
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "000102030405060708090a0b0c",
	  "f0f1f2f3f4f5f6f7f8f9", 42,
	  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	{ "A.2 longer inputs",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", 82,
	  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ "A.3 zero-length salt and info",
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
	  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

static void
test_rfc5869_sha256(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rfc_case *c = &cases[i];
		size_t ikm_len, salt_len, info_len, prk_len, okm_len;
		uint8_t *ikm = tutil_unhex(c->ikm, &ikm_len);
		uint8_t *salt = tutil_unhex(c->salt, &salt_len);
		uint8_t *info = tutil_unhex(c->info, &info_len);
		uint8_t *prk = tutil_unhex(c->prk, &prk_len);
		uint8_t *okm = tutil_unhex(c->okm, &okm_len);
		uint8_t got_prk[32], got[128];

		print_message("# RFC 5869 %s\n", c->name);
		assert_int_equal(okm_len, c->L);
		assert_int_equal(hkdf_sha256_extract(got_prk, salt_len ? salt : NULL, salt_len,
		    ikm, ikm_len), 0);
		assert_memory_equal(got_prk, prk, 32);
		assert_int_equal(hkdf_sha256_expand(got, c->L, got_prk,
		    info_len ? info : NULL, info_len), 0);
		assert_memory_equal(got, okm, c->L);
		memset(got, 0, sizeof(got));
		assert_int_equal(hkdf_sha256(got, c->L, salt_len ? salt : NULL, salt_len,
		    ikm, ikm_len, info_len ? info : NULL, info_len), 0);
		assert_memory_equal(got, okm, c->L);
		free(ikm), free(salt), free(info), free(prk), free(okm);
	}
}

/* SHA-512 has no RFC vectors: check it against its definition, built
 * here from libsodium's one-shot HMAC, and its length limits. */
static void
test_sha512_definition(void **state)
{
	uint8_t ikm[40], salt[20], info[7], prk[64], t1[64], t2[64], okm[100], blk[64 + 7 + 1];

	(void)state;
	randombytes_buf(ikm, sizeof(ikm));
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(info, sizeof(info));
	{
		crypto_auth_hmacsha512_state st;

		crypto_auth_hmacsha512_init(&st, salt, sizeof(salt));
		crypto_auth_hmacsha512_update(&st, ikm, sizeof(ikm));
		crypto_auth_hmacsha512_final(&st, prk);
		crypto_auth_hmacsha512_init(&st, prk, 64);
		memcpy(blk, info, 7);
		blk[7] = 1;
		crypto_auth_hmacsha512_update(&st, blk, 8);
		crypto_auth_hmacsha512_final(&st, t1);
		crypto_auth_hmacsha512_init(&st, prk, 64);
		memcpy(blk, t1, 64);
		memcpy(blk + 64, info, 7);
		blk[71] = 2;
		crypto_auth_hmacsha512_update(&st, blk, 72);
		crypto_auth_hmacsha512_final(&st, t2);
	}
	assert_int_equal(hkdf_sha512(okm, sizeof(okm), salt, sizeof(salt), ikm, sizeof(ikm),
	    info, sizeof(info)), 0);
	assert_memory_equal(okm, t1, 64);
	assert_memory_equal(okm + 64, t2, 100 - 64);
	assert_int_equal(hkdf_sha512_expand(okm, 0, prk, NULL, 0), ATT_EINVAL);
	assert_int_equal(hkdf_sha512_expand(okm, HKDF_SHA512_MAX_OUT + 1, prk, NULL, 0), ATT_EINVAL);
	assert_int_equal(hkdf_sha256_expand(okm, HKDF_SHA256_MAX_OUT + 1, prk, NULL, 0), ATT_EINVAL);
}

static void
test_max_length(void **state)
{
	static uint8_t big[HKDF_SHA256_MAX_OUT];
	uint8_t prk[32] = { 1 };

	(void)state;
	assert_int_equal(hkdf_sha256_expand(big, sizeof(big), prk, NULL, 0), 0);
	/* The last block differs from the first: the counter advanced. */
	assert_memory_not_equal(big, big + sizeof(big) - 32, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5869_sha256),
		cmocka_unit_test(test_sha512_definition),
		cmocka_unit_test(test_max_length),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("hkdf", tests, NULL, NULL);
}
