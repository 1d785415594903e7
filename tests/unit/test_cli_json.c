#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <msgpack.h>

#include "clients/lib/jsonw.h"
#include "proto/err.h"

/* Writes one string value and returns the document (static copy). */
static const char *
one_string(const char *s, size_t n)
{
	static char out[512];
	struct jsonw *w = jsonw_new(0);
	const char *d;

	assert_non_null(w);
	jsonw_strn(w, s, n);
	assert_int_equal(jsonw_error(w), 0);
	d = jsonw_data(w, NULL);
	assert_non_null(d);
	assert_true(strlen(d) < sizeof(out));
	strcpy(out, d);
	jsonw_free(w);
	return out;
}

static void
test_escapes(void **state)
{
	(void)state;
	assert_string_equal(one_string("plain", 5), "\"plain\"");
	assert_string_equal(one_string("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(one_string("\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
	assert_string_equal(one_string("\x01\x1f", 2), "\"\\u0001\\u001f\"");
	assert_string_equal(one_string("a\0b", 3), "\"a\\u0000b\"");
	assert_string_equal(one_string("/", 1), "\"/\"");
	/* DEL, C1 and bidi controls escaped: JSON on a terminal drives nothing (attack 6). */
	assert_string_equal(one_string("\x7f", 1), "\"\\u007f\"");
	assert_string_equal(one_string("\xc2\x9b\xc2\x80", 4), "\"\\u009b\\u0080\"");
	assert_string_equal(one_string("\xe2\x80\xae\xe2\x81\xa6", 6), "\"\\u202e\\u2066\"");
	/* Valid UTF-8 passes through untouched. */
	assert_string_equal(one_string("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x92\x9c", 14),
	    "\"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x92\x9c\"");
	/* Line and paragraph separators are escaped for JavaScript readers. */
	assert_string_equal(one_string("\xe2\x80\xa8\xe2\x80\xa9", 6), "\"\\u2028\\u2029\"");
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	/* Lone continuation, truncated sequence, overlong, surrogate, > U+10FFFF, 0xff. */
	assert_string_equal(one_string("\x80", 1), "\"\\ufffd\"");
	assert_string_equal(one_string("a\xc3", 2), "\"a\\ufffd\"");
	assert_string_equal(one_string("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
	assert_string_equal(one_string("\xe0\x80\xaf", 3), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(one_string("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(one_string("\xf4\x90\x80\x80", 4),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(one_string("\xff", 1), "\"\\ufffd\"");
}

static void
test_structure(void **state)
{
	struct jsonw *w = jsonw_new(0);

	(void)state;
	jsonw_obj_begin(w);
	jsonw_key(w, "id");
	jsonw_str(w, "ab12");
	jsonw_key(w, "n");
	jsonw_uint(w, 18446744073709551615ULL);
	jsonw_key(w, "neg");
	jsonw_int(w, -5);
	jsonw_key(w, "tags");
	jsonw_arr_begin(w);
	jsonw_str(w, "tired");
	jsonw_str(w, "stressed");
	jsonw_arr_end(w);
	jsonw_key(w, "empty");
	jsonw_arr_begin(w);
	jsonw_arr_end(w);
	jsonw_key(w, "o");
	jsonw_obj_begin(w);
	jsonw_obj_end(w);
	jsonw_key(w, "ok");
	jsonw_bool(w, 1);
	jsonw_key(w, "x");
	jsonw_null(w);
	jsonw_obj_end(w);
	assert_int_equal(jsonw_error(w), 0);
	assert_string_equal(jsonw_data(w, NULL),
	    "{\"id\":\"ab12\",\"n\":18446744073709551615,\"neg\":-5,"
	    "\"tags\":[\"tired\",\"stressed\"],\"empty\":[],\"o\":{},\"ok\":true,\"x\":null}");
	jsonw_free(w);
}

static void
test_pretty(void **state)
{
	struct jsonw *w = jsonw_new(1);

	(void)state;
	jsonw_obj_begin(w);
	jsonw_key(w, "a");
	jsonw_arr_begin(w);
	jsonw_uint(w, 1);
	jsonw_uint(w, 2);
	jsonw_arr_end(w);
	jsonw_obj_end(w);
	assert_string_equal(jsonw_data(w, NULL), "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
	jsonw_free(w);
}

static void
test_misuse(void **state)
{
	struct jsonw *w = jsonw_new(0);

	(void)state;
	jsonw_obj_begin(w);
	jsonw_str(w, "value without key");
	assert_int_equal(jsonw_error(w), ATT_ESTATE);
	assert_null(jsonw_data(w, NULL));
	jsonw_reset(w);
	jsonw_arr_begin(w);
	jsonw_obj_end(w);
	assert_int_equal(jsonw_error(w), ATT_ESTATE);
	jsonw_reset(w);
	jsonw_arr_begin(w);
	assert_int_equal(jsonw_error(w), ATT_ESTATE);   /* unfinished */
	jsonw_arr_end(w);
	assert_int_equal(jsonw_error(w), 0);
	jsonw_uint(w, 1);                               /* a second document */
	assert_int_equal(jsonw_error(w), ATT_ESTATE);
	jsonw_reset(w);
	for (int i = 0; i < JSONW_MAX_DEPTH + 1; i++)
		jsonw_arr_begin(w);
	assert_int_equal(jsonw_error(w), ATT_ESTATE);
	jsonw_free(w);
}

/* A msgpack reply becomes JSON that jansson reads back with the same values. */
static void
test_msgpack(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	struct jsonw *w = jsonw_new(0);
	const char *skip[] = { "t", "id", NULL };
	json_error_t jerr;
	json_t *j;
	static const char bin[] = { 0x00, 0x7f, (char)0xff };

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 7);
	msgpack_pack_str_with_body(&pk, "t", 1);
	msgpack_pack_str_with_body(&pk, "status", 6);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_uint64(&pk, 9);
	msgpack_pack_str_with_body(&pk, "note", 4);
	msgpack_pack_str_with_body(&pk, "hold \"me\"\n\xff", 11);
	msgpack_pack_str_with_body(&pk, "bin", 3);
	msgpack_pack_bin_with_body(&pk, bin, 3);
	msgpack_pack_str_with_body(&pk, "arr", 3);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int64(&pk, -3);
	msgpack_pack_nil(&pk);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "id", 2);     /* nested "id" is kept */
	msgpack_pack_uint64(&pk, 1);
	msgpack_pack_uint64(&pk, 7);                   /* a non-string key */
	msgpack_pack_true(&pk);
	msgpack_pack_str_with_body(&pk, "f", 1);
	msgpack_pack_double(&pk, 0.5);

	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	jsonw_msgpack(w, &up.data, skip);
	assert_int_equal(jsonw_error(w), 0);
	j = json_loads(jsonw_data(w, NULL), 0, &jerr);
	assert_non_null(j);
	assert_null(json_object_get(j, "t"));
	assert_null(json_object_get(j, "id"));
	assert_string_equal(json_string_value(json_object_get(j, "note")), "hold \"me\"\n\xef\xbf\xbd");
	assert_string_equal(json_string_value(json_object_get(j, "bin")), "007fff");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "arr"), 0)), -3);
	assert_true(json_is_null(json_array_get(json_object_get(j, "arr"), 1)));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(j, "arr"), 2), "id")), 1);
	assert_true(json_is_true(json_object_get(j, "7")));
	assert_true(json_real_value(json_object_get(j, "f")) == 0.5);
	json_decref(j);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	jsonw_free(w);
}

/* Every byte value inside a string survives a round trip through a JSON parser. */
static void
test_all_bytes_roundtrip(void **state)
{
	char s[128];
	struct jsonw *w = jsonw_new(0);
	json_error_t jerr;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(s); i++)
		s[i] = (char)i;
	jsonw_strn(w, s, sizeof(s));
	j = json_loads(jsonw_data(w, NULL), JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	assert_non_null(j);
	assert_int_equal(json_string_length(j), sizeof(s));
	assert_memory_equal(json_string_value(j), s, sizeof(s));
	json_decref(j);
	jsonw_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_msgpack),
		cmocka_unit_test(test_all_bytes_roundtrip),
	};
	return cmocka_run_group_tests_name("cli_json", tests, NULL, NULL);
}
