/*
 * The wishes catalogue (proto/catalogue.c): enough items in every category,
 * ids stable in shape and unique, lookups by id and by label, and the
 * normalisation of custom items.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "proto/catalogue.h"
#include "proto/err.h"
#include "proto/psi.h"

static void
test_items(void **state)
{
	static const char *cats[] = { "affection", "romance", "sensual", "sexual", "logistics" };
	size_t i, j, per[5] = { 0 };

	(void)state;
	assert_true(catalogue_count() >= 50);
	assert_true(catalogue_count() <= PSI_MAX_FIXED);
	assert_null(catalogue_item(catalogue_count()));
	for (i = 0; i < catalogue_count(); i++) {
		const struct catalogue_item *it = catalogue_item(i);
		size_t n = strlen(it->id), c;

		assert_true(n >= 1 && n <= 32);
		assert_int_equal(strspn(it->id, "abcdefghijklmnopqrstuvwxyz0123456789-"), n);
		assert_true(strlen(it->label) >= 1 && strlen(it->label) <= CATALOGUE_CUSTOM_MAX);
		for (c = 0; c < 5 && strcmp(it->category, cats[c]) != 0; c++)
			;
		assert_true(c < 5);
		per[c]++;
		for (j = 0; j < i; j++)
			assert_string_not_equal(catalogue_item(j)->id, it->id);
		assert_int_equal(catalogue_find(it->id, n), (int)i);
	}
	for (i = 0; i < 5; i++)
		assert_true(per[i] >= 5);
	/* The first items are part of version 1: they never move. */
	assert_string_equal(catalogue_item(0)->id, "cuddle");
	assert_int_equal(catalogue_find("massage", 7), 24);
	assert_int_equal(catalogue_find("night-away", 10), 59);
}

static void
test_find_by_label(void **state)
{
	(void)state;
	assert_int_equal(catalogue_find("A Night Away!", 13), catalogue_find("night-away", 10));
	assert_int_equal(catalogue_find("foot rub", 8), catalogue_find("foot-rub", 8));
	assert_int_equal(catalogue_find("Foot_Rub", 8), catalogue_find("foot-rub", 8));
	assert_int_equal(catalogue_find("read aloud", 10), ATT_ENOTFOUND);
	assert_int_equal(catalogue_find("", 0), ATT_ENOTFOUND);
}

static void
norm_is(const char *in, const char *want)
{
	char out[CATALOGUE_CUSTOM_MAX + 1];
	int n = catalogue_normalise(out, sizeof(out), in, strlen(in));

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
}

static void
test_normalise(void **state)
{
	char out[CATALOGUE_CUSTOM_MAX + 1], big[200];

	(void)state;
	norm_is("Foot rub", "foot rub");
	norm_is("  foot-rub!! ", "foot rub");
	norm_is("FOOT\t\t_RUB.", "foot rub");
	norm_is("...read   to me?", "read to me");
	norm_is("Café au lit", "café au lit");     /* non-ASCII kept as written */
	norm_is("a", "a");
	assert_int_equal(catalogue_normalise(out, sizeof(out), " -!? ", 5), ATT_EINVAL);
	assert_int_equal(catalogue_normalise(out, sizeof(out), "", 0), ATT_EINVAL);
	assert_int_equal(catalogue_normalise(out, sizeof(out), "a\x01" "b", 3), ATT_EINVAL);
	assert_int_equal(catalogue_normalise(out, sizeof(out), "\xc3\x28", 2), ATT_EINVAL);
	assert_int_equal(catalogue_normalise(out, sizeof(out), "a\0b", 3), ATT_EINVAL);
	memset(big, 'x', sizeof(big));
	assert_int_equal(catalogue_normalise(out, sizeof(out), big, CATALOGUE_CUSTOM_MAX), CATALOGUE_CUSTOM_MAX);
	assert_int_equal(catalogue_normalise(out, sizeof(out), big, CATALOGUE_CUSTOM_MAX + 1), ATT_ESTRLONG);
	assert_int_equal(catalogue_normalise(out, sizeof(out), big, sizeof(big)), ATT_ESTRLONG);
	assert_int_equal(catalogue_normalise(out, 4, "abcd", 4), ATT_ESTRLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_find_by_label),
		cmocka_unit_test(test_normalise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
