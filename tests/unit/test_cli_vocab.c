#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "clients/lib/vocab.h"
#include "proto/err.h"

static int
level(enum vocab_scale s, const char *str)
{
	int v = -100;
	int rc = vocab_level(s, str, &v);

	return rc != 0 ? rc * 1000 : v;
}

static void
test_levels(void **state)
{
	(void)state;
	assert_int_equal(level(VOCAB_MOOD, "2"), 2);
	assert_int_equal(level(VOCAB_MOOD, "low"), 2);
	assert_int_equal(level(VOCAB_MOOD, "LOW"), 2);
	assert_int_equal(level(VOCAB_MOOD, "awful"), 1);
	assert_int_equal(level(VOCAB_MOOD, "meh"), 3);
	assert_int_equal(level(VOCAB_MOOD, "great"), 5);
	assert_int_equal(level(VOCAB_MOOD, "4/5"), 4);
	assert_int_equal(level(VOCAB_MOOD, "0"), ATT_ERANGE * 1000);
	assert_int_equal(level(VOCAB_MOOD, "6"), ATT_ERANGE * 1000);
	assert_int_equal(level(VOCAB_MOOD, "-1"), ATT_ERANGE * 1000);
	assert_int_equal(level(VOCAB_MOOD, "99999999999999999999"), ATT_ERANGE * 1000);
	assert_int_equal(level(VOCAB_MOOD, "2/3"), ATT_EINVAL * 1000);
	assert_int_equal(level(VOCAB_MOOD, "2x"), ATT_EINVAL * 1000);
	assert_int_equal(level(VOCAB_MOOD, "none"), ATT_EINVAL * 1000);
	assert_int_equal(level(VOCAB_MOOD, ""), ATT_EINVAL * 1000);
	assert_int_equal(level(VOCAB_DESIRE, "0"), 0);
	assert_int_equal(level(VOCAB_DESIRE, "none"), 0);
	assert_int_equal(level(VOCAB_DESIRE, "high"), 4);
	assert_int_equal(level(VOCAB_DESIRE, "max"), 5);
	assert_int_equal(level(VOCAB_CAPACITY, "low"), 1);
	assert_int_equal(level(VOCAB_CAPACITY, "limited"), 2);
	assert_int_equal(level(VOCAB_CAPACITY, "full"), 5);
	assert_int_equal(level(VOCAB_CAPACITY, "burning"), ATT_EINVAL * 1000);
}

/* Every canonical word reads back as its level, and every level has a word. */
static void
test_words_roundtrip(void **state)
{
	enum vocab_scale s;
	int v;

	(void)state;
	for (s = VOCAB_MOOD; s <= VOCAB_CAPACITY; s++)
		for (v = vocab_scale_min(s); v <= vocab_scale_max(s); v++)
			assert_int_equal(level(s, vocab_level_word(s, v)), v);
	assert_string_equal(vocab_level_word(VOCAB_CAPACITY, 1), "low");
	assert_string_equal(vocab_level_word(VOCAB_MOOD, 0), "?");
	assert_string_equal(vocab_scale_name(VOCAB_DESIRE), "desire");
}

static void
test_lists(void **state)
{
	struct vocab_list l = { 0 };
	char long_item[VOCAB_ITEM_MAX + 2];

	(void)state;
	assert_int_equal(vocab_list_add(&l, "tired, Stressed"), 0);
	assert_int_equal(vocab_list_add(&l, "tired"), 0);             /* duplicate dropped */
	assert_int_equal(vocab_list_add(&l, " touched out ,,"), 0);
	assert_int_equal(vocab_list_add(&l, "in_pain"), 0);
	assert_int_equal(vocab_list_add(&l, ""), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.item[0], "tired");
	assert_string_equal(l.item[1], "stressed");
	assert_string_equal(l.item[2], "touched-out");
	assert_string_equal(l.item[3], "in-pain");
	assert_int_equal(vocab_list_add(&l, "bad\x01"), ATT_EINVAL);
	memset(long_item, 'a', sizeof(long_item) - 1);
	long_item[sizeof(long_item) - 1] = '\0';
	assert_int_equal(vocab_list_add(&l, long_item), ATT_ESTRLONG);
	long_item[VOCAB_ITEM_MAX] = '\0';
	assert_int_equal(vocab_list_add(&l, long_item), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(vocab_list_add(&l, "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p"), 0);
	assert_int_equal(vocab_list_add(&l, "q"), ATT_ELIMIT);
}

/* The one comma-list splitter (tags, offers and partner names): blanks are spaces and tabs. */
static void
test_split(void **state)
{
	const char *p = " Sam ,\tJo Ann\t,,  ,x", *item;
	size_t len;

	(void)state;
	assert_int_equal(vocab_split(&p, &item, &len), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(item, "Sam", 3);
	assert_int_equal(vocab_split(&p, &item, &len), 1);
	assert_int_equal(len, 6);
	assert_memory_equal(item, "Jo Ann", 6);
	assert_int_equal(vocab_split(&p, &item, &len), 1);
	assert_int_equal(len, 1);
	assert_memory_equal(item, "x", 1);
	assert_int_equal(vocab_split(&p, &item, &len), 0);
	assert_int_equal(vocab_split(&p, &item, &len), 0);
	p = "\t , ";
	assert_int_equal(vocab_split(&p, &item, &len), 0);
	p = "";
	assert_int_equal(vocab_split(&p, &item, &len), 0);
}

static void
test_answers(void **state)
{
	(void)state;
	assert_string_equal(vocab_answer("yes"), "yes");
	assert_string_equal(vocab_answer("Not tonight"), "not-tonight");
	assert_string_equal(vocab_answer("no"), "not-tonight");
	assert_string_equal(vocab_answer("maybe"), "later");
	assert_null(vocab_answer("whatever"));
	assert_string_equal(vocab_answer_text("not-tonight"), "not tonight");
	assert_string_equal(vocab_answer_text("later"), "maybe later");
	assert_int_equal(vocab_chars("caf\xc3\xa9"), 4);
	assert_int_equal(vocab_chars("\xf0\x9f\x92\x9c!"), 2);
	assert_int_equal(vocab_chars("\xc3"), -1);
	assert_int_equal(vocab_chars("\xed\xa0\x80"), -1);           /* a surrogate */
	assert_int_equal(vocab_chars("\xe0\x80\xaf"), -1);           /* overlong */
	assert_int_equal(vocab_chars(""), 0);
	/* Issue 13: what a person sees as one character counts as one. */
	assert_int_equal(vocab_chars("cafe\xcc\x81"), 4);             /* e + combining acute */
	/* man, ZWJ, woman, ZWJ, girl, ZWJ, boy: seven code points, one family */
	assert_int_equal(vocab_chars("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
	    "\xf0\x9f\x91\xa7\xe2\x80\x8d\xf0\x9f\x91\xa6"), 1);
	assert_int_equal(vocab_chars("\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa"), 1); /* the flag DE */
	assert_int_equal(vocab_chars("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd ok"), 4); /* thumbs up, skin tone */
	assert_int_equal(vocab_has_control("line one\nline\ttwo"), 0);
	assert_int_equal(vocab_has_control("bell \x1b[31m"), 1);
	assert_int_equal(vocab_has_control("del \x7f"), 1);
	assert_int_equal(vocab_has_control("c1 \xc2\x9b"), 1);
	assert_int_equal(vocab_has_control("caf\xc3\xa9"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_words_roundtrip),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_answers),
	};
	return cmocka_run_group_tests_name("cli_vocab", tests, NULL, NULL);
}
