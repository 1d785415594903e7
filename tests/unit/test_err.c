#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "proto/err.h"

/* Every code has a distinct kebab-case name; the wire relies on them. */
static void
test_err_names_unique(void **state)
{
	int i, j;

	(void)state;
	for (i = ATT_ERR_MIN; i <= 0; i++) {
		const char *a = att_errcode(i);
		assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz-"), strlen(a));
		for (j = ATT_ERR_MIN; j < i; j++)
			assert_string_not_equal(a, att_errcode(j));
		assert_true(strlen(att_strerror(i)) > 0);
	}
	assert_string_equal(att_errcode(ATT_EUNKNOWNTYPE), "unknown-type");
	assert_string_equal(att_errcode(1), "internal");
	assert_string_equal(att_errcode(ATT_ERR_MIN - 1), "internal");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_names_unique),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
