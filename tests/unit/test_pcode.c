/*
 * Pairing codes: the word list against $VECTORS/wordlist/pgp_words.json,
 * make/format/parse round trips over many random codes (seeded), tolerance
 * for case and separators, and the errors a person sees.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/err.h"
#include "proto/pcode.h"
#include "tests/unit/tutil.h"

static void
test_wordlist_matches_vectors(void **state)
{
	json_t *v = tutil_vectors("wordlist/pgp_words.json");
	char key[3], low[32];
	int b, side, i, j;

	(void)state;
	assert_int_equal(json_object_size(v), 256);
	for (b = 0; b < 256; b++) {
		json_t *pair;

		snprintf(key, sizeof(key), "%02X", b);
		pair = json_object_get(v, key);
		assert_non_null(pair);
		for (side = 0; side < 2; side++) {
			const char *w = json_string_value(json_array_get(pair, (size_t)side));

			assert_non_null(w);
			assert_true(strlen(w) < sizeof(low));
			for (i = 0; w[i]; i++)
				low[i] = (char)tolower((unsigned char)w[i]);
			low[i] = '\0';
			assert_string_equal(wordlist_pgp[b][side], low);
		}
	}
	json_decref(v);
	/* All 512 words distinct, so a word names one byte of one list. */
	for (i = 0; i < 512; i++)
		for (j = 0; j < i; j++)
			assert_string_not_equal(wordlist_pgp[i / 2][i % 2], wordlist_pgp[j / 2][j % 2]);
}

static void
test_format_and_make(void **state)
{
	uint8_t w[2] = { 0x2b, 0x2c };  /* odd word of 0x2b, even word of 0x2c */
	char out[PCODE_MAX], why[128];
	uint32_t np;
	uint8_t got[2];
	int n, i, differ = 0;

	(void)state;
	n = pcode_format(out, sizeof(out), 42, w);
	assert_int_equal(n, (int)strlen(out));
	snprintf(why, sizeof(why), "42-%s-%s", wordlist_pgp[0x2b][1], wordlist_pgp[0x2c][0]);
	assert_string_equal(out, why);
	assert_string_equal(out, "42-cherokee-burbank");
	/* The longest code fits PCODE_MAX; a short buffer is refused. */
	assert_true(pcode_format(out, sizeof(out), UINT32_MAX, w) > 0);
	assert_int_equal(pcode_format(out, 8, 42, w), ATT_ETOOBIG);
	assert_string_equal(out, "");

	for (i = 0; i < 20; i++) {
		char prev[PCODE_MAX];

		memcpy(prev, out, sizeof(prev));
		n = pcode_make(out, sizeof(out), 7);
		assert_true(n > 0);
		assert_int_equal(pcode_parse(out, &np, got, why, sizeof(why)), 0);
		assert_int_equal(np, 7);
		differ += strcmp(prev, out) != 0;
	}
	/* Two random bytes: twenty codes in a row are not all the same. */
	assert_true(differ > 10);
}

/* Writes CODE as a careless person might: random case, extra separators. */
static void
mangle(char *out, size_t cap, const char *code, uint64_t *rng)
{
	static const char *seps[] = { "-", " ", "--", " - ", "  ", "\t-" };
	size_t o = 0;
	const char *p;

	if (tutil_rand(rng) % 2)
		out[o++] = ' ';
	for (p = code; *p && o + 4 < cap; p++) {
		if (*p == '-') {
			const char *s = seps[tutil_rand(rng) % 6];

			o += (size_t)snprintf(out + o, cap - o, "%s", s);
			continue;
		}
		out[o++] = (char)(tutil_rand(rng) % 2 ? toupper((unsigned char)*p) : *p);
	}
	if (tutil_rand(rng) % 2 && o + 2 < cap)
		out[o++] = '-';
	out[o] = '\0';
}

static void
test_round_trip_random(void **state)
{
	uint64_t rng = tutil_seed("pcode round trip");
	char code[PCODE_MAX], typed[PCODE_INPUT_MAX], canon[PCODE_MAX], why[128];
	uint32_t np;
	uint8_t w[2], got[2];
	int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		uint32_t want_np = (uint32_t)(i % 3 ? tutil_rand(&rng) % 1000 : tutil_rand(&rng));

		w[0] = (uint8_t)tutil_rand(&rng);
		w[1] = (uint8_t)tutil_rand(&rng);
		assert_true(pcode_format(code, sizeof(code), want_np, w) > 0);
		assert_int_equal(pcode_parse(code, &np, got, why, sizeof(why)), 0);
		assert_int_equal(np, want_np);
		assert_memory_equal(got, w, 2);

		mangle(typed, sizeof(typed), code, &rng);
		assert_int_equal(pcode_parse(typed, &np, got, why, sizeof(why)), 0);
		assert_int_equal(np, want_np);
		assert_memory_equal(got, w, 2);
		assert_int_equal(pcode_canonical(canon, sizeof(canon), typed, why, sizeof(why)),
		    (int)strlen(code));
		assert_string_equal(canon, code);
	}
}

static void
test_tolerance(void **state)
{
	char canon[PCODE_MAX], why[128];
	const char *ok[] = {
		"42-crossover-clockwork", "42-Crossover-CLOCKWORK", "  42 crossover clockwork ",
		"42--crossover---clockwork", "42 - crossover - clockwork", "042-crossover-clockwork",
		"-42-crossover-clockwork-", "42\tcrossover\tclockwork",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(pcode_canonical(canon, sizeof(canon), ok[i], why, sizeof(why)), 22);
		assert_string_equal(canon, "42-crossover-clockwork");
	}
}

static void
test_unknown_word(void **state)
{
	char why[160];
	uint32_t np;
	uint8_t w[2];

	(void)state;
	assert_int_equal(pcode_parse("42-crosover-clockwork", &np, w, why, sizeof(why)), ATT_EWORD);
	assert_non_null(strstr(why, "\"crossover\""));
	assert_non_null(strstr(why, "crosover"));
	assert_int_equal(pcode_parse("42-crossover-clokwork", &np, w, why, sizeof(why)), ATT_EWORD);
	assert_non_null(strstr(why, "did you mean \"clockwork\""));
	assert_int_equal(pcode_parse("42-CROSSOVR-clockwork", &np, w, why, sizeof(why)), ATT_EWORD);
	assert_non_null(strstr(why, "\"crossover\""));
	/* Words swapped: each is a PGP word, but of the other list. */
	assert_int_equal(pcode_parse("42-clockwork-crossover", &np, w, why, sizeof(why)), ATT_EWORD);
	assert_non_null(strstr(why, "cannot be the first word"));
	/* A NULL why is fine. */
	assert_int_equal(pcode_parse("42-zzzzzz-clockwork", &np, w, NULL, 0), ATT_EWORD);
	/* Issue 13: far from every word, no guess ("zzzzzz" was "did you mean alkali?"). */
	assert_int_equal(pcode_parse("42-zzzzzz-clockwork", &np, w, why, sizeof(why)), ATT_EWORD);
	assert_null(strstr(why, "did you mean"));
	assert_non_null(strstr(why, "no word \"zzzzzz\" in pairing codes: check the code"));
	assert_int_equal(pcode_parse("42-crossover-zzzzzz", &np, w, why, sizeof(why)), ATT_EWORD);
	assert_null(strstr(why, "did you mean"));
}

static void
test_malformed(void **state)
{
	const char *bad[] = {
		"", "   ", "---", "42", "42-crossover", "crossover-clockwork",
		"x-crossover-clockwork", "42-crossover-clockwork-extra", "42-cross0ver-clockwork",
		"42-crossover-clock_work", "4294967296-crossover-clockwork",
		"99999999999-crossover-clockwork", "42-crossover-clockworkclockworkclockworkclockwork",
		"42/crossover/clockwork", "42-crossover-clöckwork", "+42-crossover-clockwork",
	};
	char why[160], longin[PCODE_INPUT_MAX + 10];
	uint32_t np = 12345;
	uint8_t w[2] = { 1, 2 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(pcode_parse(bad[i], &np, w, why, sizeof(why)), ATT_ECODE);
		assert_true(strlen(why) > 0);
		assert_int_equal(np, 12345);  /* outputs untouched on failure */
	}
	memset(longin, ' ', sizeof(longin) - 1);
	longin[sizeof(longin) - 1] = '\0';
	memcpy(longin, "42-crossover-clockwork", 22);
	assert_int_equal(pcode_parse(longin, &np, w, why, sizeof(why)), ATT_ECODE);
	assert_int_equal(pcode_parse("4294967295-crossover-clockwork", &np, w, why, sizeof(why)), 0);
	assert_int_equal(np, UINT32_MAX);
	assert_int_equal(pcode_parse(NULL, &np, w, why, sizeof(why)), ATT_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wordlist_matches_vectors),
		cmocka_unit_test(test_format_and_make),
		cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_tolerance),
		cmocka_unit_test(test_unknown_word),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests_name("pcode", tests, NULL, NULL);
}
