#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/b64.h"
#include "proto/err.h"
#include "tests/unit/tutil.h"

/* RFC 4648 section 10 test vectors, in the URL-safe alphabet without padding. */
static void
test_b64_rfc4648_vectors(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
	};
	char out[32];
	uint8_t back[32];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = strlen(v[i].in);
		assert_int_equal(b64_encode(out, sizeof(out), (const uint8_t *)v[i].in, len),
		    strlen(v[i].out));
		assert_string_equal(out, v[i].out);
		assert_int_equal(strlen(out), B64_LEN(len));
		assert_int_equal(b64_decode(back, sizeof(back), v[i].out, strlen(v[i].out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, v[i].in, len);
	}
}

/* The URL-safe alphabet: '-' and '_' where standard base64 has '+' and '/'. */
static void
test_b64_urlsafe_alphabet(void **state)
{
	const uint8_t in[3] = { 0xfb, 0xff, 0xbf };
	char out[8];
	uint8_t back[3];
	size_t n;

	(void)state;
	b64_encode(out, sizeof(out), in, 3);
	assert_string_equal(out, "-_-_");
	assert_int_equal(b64_decode(back, 3, "+/+/", 4, &n), ATT_EENCODING);
	assert_int_equal(b64_decode(back, 3, "-_-_", 4, &n), 0);
	assert_memory_equal(back, in, 3);
}

static void
test_b64_strict(void **state)
{
	uint8_t out[16];
	size_t n = 99;

	(void)state;
	assert_int_equal(b64_decode(out, sizeof(out), "Zg==", 4, &n), ATT_EENCODING);   /* padding */
	assert_int_equal(n, 0);
	assert_int_equal(b64_decode(out, sizeof(out), "Zm9 v", 5, &n), ATT_EENCODING);  /* space */
	assert_int_equal(b64_decode(out, sizeof(out), "Zm9v\n", 5, &n), ATT_EENCODING); /* newline */
	assert_int_equal(b64_decode(out, sizeof(out), "Zh", 2, &n), ATT_EENCODING);     /* trailing bits */
	assert_int_equal(b64_decode(out, sizeof(out), "Zm9", 3, &n), ATT_EENCODING);  /* "fo" is Zm8 */
	assert_int_equal(b64_decode(out, sizeof(out), "Zm8", 3, &n), 0);
	assert_int_equal(b64_decode(out, sizeof(out), "Zm9vY", 5, &n), ATT_EENCODING);  /* 1 char of 4 */
	assert_int_equal(b64_decode(out, sizeof(out), "Zm\0v", 4, &n), ATT_EENCODING);  /* NUL */
	assert_int_equal(b64_decode(out, sizeof(out), "Zm9v!", 5, &n), ATT_EENCODING);
}

static void
test_b64_short_buffers(void **state)
{
	const uint8_t in[32] = { 1, 2, 3 };
	char out[B64_LEN(32) + 1];
	uint8_t back[32];
	size_t n;

	(void)state;
	assert_int_equal(B64_LEN(32), 43);
	assert_int_equal(b64_encode(out, B64_LEN(32), in, 32), 0);  /* no room for NUL */
	assert_int_equal(b64_encode(out, sizeof(out), in, 32), 43);
	assert_int_equal(b64_decode(back, 31, out, 43, &n), ATT_ETOOBIG);
	assert_int_equal(b64_decode(back, 32, out, 43, &n), 0);
	assert_int_equal(n, 32);
	assert_memory_equal(back, in, 32);
}

/* Property: random bytes of random length survive a round trip. */
static void
test_b64_roundtrip_random(void **state)
{
	uint64_t rng = tutil_seed("b64 roundtrip");
	uint8_t in[100], back[100];
	char enc[B64_LEN(100) + 1];
	size_t i, k, len, n;

	(void)state;
	for (i = 0; i < 500; i++) {
		len = tutil_rand(&rng) % sizeof(in);
		for (k = 0; k < len; k++)
			in[k] = (uint8_t)tutil_rand(&rng);
		assert_int_equal(b64_encode(enc, sizeof(enc), in, len), B64_LEN(len));
		assert_int_equal(b64_decode(back, sizeof(back), enc, B64_LEN(len), &n), 0);
		assert_int_equal(n, len);
		if (len)
			assert_memory_equal(back, in, len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_rfc4648_vectors),
		cmocka_unit_test(test_b64_urlsafe_alphabet),
		cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_b64_short_buffers),
		cmocka_unit_test(test_b64_roundtrip_random),
	};
	return cmocka_run_group_tests_name("b64", tests, NULL, NULL);
}
