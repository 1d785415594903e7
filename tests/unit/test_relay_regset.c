#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "relay/regset.h"

#define N 500

/* Keys added in any order are found, others are not; adding twice is a no-op. */
static void
test_regset_add_has(void **state)
{
	static uint8_t k[N][REGSET_KEYLEN];
	uint8_t other[REGSET_KEYLEN];
	struct regset *s = regset_new(REGSET_MAX);
	size_t i;

	(void)state;
	assert_non_null(s);
	randombytes_buf(k, sizeof k);
	for (i = 0; i < N; i++) {
		assert_int_equal(regset_has(s, k[i]), 0);
		assert_int_equal(regset_add(s, k[i]), 0);
		assert_int_equal(regset_has(s, k[i]), 1);
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(regset_add(s, k[i]), 0);
		assert_int_equal(regset_has(s, k[i]), 1);
	}
	assert_int_equal(regset_count(s), N);
	for (i = 0; i < 100; i++) {
		randombytes_buf(other, sizeof other);
		assert_int_equal(regset_has(s, other), 0);
	}
	/* Neighbours of a stored key (one bit off either end) are not in the set. */
	memcpy(other, k[7], sizeof other);
	other[REGSET_KEYLEN - 1] ^= 1;
	assert_int_equal(regset_has(s, other), 0);
	other[REGSET_KEYLEN - 1] ^= 1;
	other[0] ^= 0x80;
	assert_int_equal(regset_has(s, other), 0);
	regset_free(s);
}

/* Past its maximum the set says "not known" for what it lacks, never "no". */
static void
test_regset_full(void **state)
{
	uint8_t a[REGSET_KEYLEN], b[REGSET_KEYLEN], c[REGSET_KEYLEN];
	struct regset *s = regset_new(2);

	(void)state;
	assert_non_null(s);
	memset(a, 1, sizeof a);
	memset(b, 2, sizeof b);
	memset(c, 3, sizeof c);
	assert_int_equal(regset_add(s, b), 0);
	assert_int_equal(regset_add(s, a), 0);
	assert_int_equal(regset_has(s, c), 0);
	assert_int_equal(regset_add(s, c), ATT_ETOOBIG);
	assert_int_equal(regset_add(s, a), 0);
	assert_int_equal(regset_has(s, a), 1);
	assert_int_equal(regset_has(s, b), 1);
	assert_int_equal(regset_has(s, c), -1);
	assert_int_equal(regset_count(s), 2);
	regset_free(s);
	regset_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regset_add_has),
		cmocka_unit_test(test_regset_full),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("relay_regset", tests, NULL, NULL);
}
