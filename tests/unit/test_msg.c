#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/err.h"
#include "proto/msg.h"
#include "tests/unit/tutil.h"

/* msg_check of hex-written bytes, with lim (NULL: the defaults). */
static int
check_hex(const char *hex, const struct msg_limits *lim)
{
	size_t n;
	uint8_t *b = tutil_unhex(hex, &n);
	int r = msg_check(b, n, lim);

	free(b);
	return r;
}

static int
parse_hex(const char *hex, struct msg **m, uint64_t *id)
{
	size_t n;
	uint8_t *b = tutil_unhex(hex, &n);
	int r = msg_parse(b, n, NULL, m, id);

	free(b);
	return r;
}

static int
parse_out(const struct msg_out *o, struct msg **m, uint64_t *id)
{
	return msg_parse(msg_out_data(o), msg_out_len(o), NULL, m, id);
}

/* `n` nested one-element arrays around nil. */
static char *
nested_hex(size_t n)
{
	char *h = malloc(2 * n + 3);
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(h + 2 * i, "91", 2);
	memcpy(h + 2 * n, "c0", 3);
	return h;
}

static void
test_msg_check_ping(void **state)
{
	(void)state;
	/* {"t":"ping","id":7} */
	assert_int_equal(check_hex("82a174a470696e67a2696407", NULL), 0);
	/* Every scalar type: nil, bools, ints of each width, floats, str8, bin8, ext, fixext. */
	assert_int_equal(check_hex("9e" "c0" "c2" "c3" "ff" "cc01" "cd0102" "ce01020304"
	    "cf0102030405060708" "d0ff" "d1ffff" "d2ffffffff" "d3ffffffffffffffff"
	    "ca3f800000" "cb3ff0000000000000", NULL), 0);
	assert_int_equal(check_hex("96" "d903616263" "c4020102" "c7020a0102" "d40a01"
	    "d80a00000000000000000000000000000000" "dc0000", NULL), 0);
}

static void
test_msg_check_malformed(void **state)
{
	(void)state;
	assert_int_equal(check_hex("c1", NULL), ATT_EMALFORMED);
	assert_int_equal(check_hex("9201c1", NULL), ATT_EMALFORMED);
}

static void
test_msg_check_truncated(void **state)
{
	(void)state;
	assert_int_equal(check_hex("", NULL), ATT_ETRUNCATED);
	assert_int_equal(check_hex("a5616263", NULL), ATT_ETRUNCATED);    /* str 5, 3 given */
	assert_int_equal(check_hex("d9", NULL), ATT_ETRUNCATED);          /* str8, no length */
	assert_int_equal(check_hex("c40a0102", NULL), ATT_ETRUNCATED);    /* bin 10, 2 given */
	assert_int_equal(check_hex("cd01", NULL), ATT_ETRUNCATED);        /* uint16, 1 byte */
	assert_int_equal(check_hex("cb3ff0", NULL), ATT_ETRUNCATED);      /* float64 */
	assert_int_equal(check_hex("82a174", NULL), ATT_ETRUNCATED);      /* map, 1 of 4 objects */
	assert_int_equal(check_hex("c70301", NULL), ATT_ETRUNCATED);      /* ext 3, no data */
	assert_int_equal(check_hex("c703", NULL), ATT_ETRUNCATED);        /* ext, no type byte */
	assert_int_equal(check_hex("dc00", NULL), ATT_ETRUNCATED);        /* array16, half a count */
	assert_int_equal(check_hex("d501", NULL), ATT_ETRUNCATED);        /* fixext2 */
}

static void
test_msg_check_trailing(void **state)
{
	(void)state;
	assert_int_equal(check_hex("c0c0", NULL), ATT_ETRAILING);
	assert_int_equal(check_hex("82a174a470696e67a269640700", NULL), ATT_ETRAILING);
}

static void
test_msg_check_depth(void **state)
{
	struct msg_limits lim = msg_limits_default;
	char *h;

	(void)state;
	h = nested_hex(16);
	assert_int_equal(check_hex(h, NULL), 0);
	free(h);
	h = nested_hex(17);
	assert_int_equal(check_hex(h, NULL), ATT_EDEPTH);
	free(h);
	/* Empty containers count too. */
	assert_int_equal(check_hex("919191919191919191919191919191919190", NULL), ATT_EDEPTH);
	/* A caller's limit above what msgpack-c can unpack is capped. */
	lim.max_depth = 1000;
	h = nested_hex(24);
	assert_int_equal(check_hex(h, &lim), 0);
	free(h);
	h = nested_hex(25);
	assert_int_equal(check_hex(h, &lim), ATT_EDEPTH);
	free(h);
	/* ...and msgpack-c unpacks the deepest message the cap lets through. */
	{
		struct msg_out o;
		struct msg *m;
		uint64_t id;
		int i;

		msg_out_init(&o);
		msg_out_begin(&o, "deep", 1, 1);
		msg_out_key(&o, "d");
		for (i = 0; i < 23; i++)
			msgpack_pack_array(&o.pk, 1);
		msgpack_pack_nil(&o.pk);
		assert_int_equal(msg_parse(msg_out_data(&o), msg_out_len(&o), &lim, &m, &id), 0);
		msg_free(m);
		msgpack_pack_nil(&o.pk);  /* now trailing */
		assert_int_equal(msg_parse(msg_out_data(&o), msg_out_len(&o), &lim, &m, &id),
		    ATT_ETRAILING);
		msg_out_free(&o);
	}
	lim.max_depth = 0;
	assert_int_equal(check_hex("01", &lim), 0);
	assert_int_equal(check_hex("80", &lim), ATT_EDEPTH);
}

static void
test_msg_check_lengths(void **state)
{
	struct msg_limits lim = msg_limits_default;

	(void)state;
	lim.max_str = 4;
	lim.max_bin = 2;
	lim.max_array = 2;
	assert_int_equal(check_hex("a461626364", &lim), 0);
	assert_int_equal(check_hex("a56162636465", &lim), ATT_ESTRLONG);
	assert_int_equal(check_hex("d9056162636465", &lim), ATT_ESTRLONG);
	assert_int_equal(check_hex("c4020102", &lim), 0);
	assert_int_equal(check_hex("c403010203", &lim), ATT_EBINLONG);
	assert_int_equal(check_hex("c703010203ff", &lim), ATT_EBINLONG);  /* ext counts as bin */
	assert_int_equal(check_hex("920102", &lim), 0);
	assert_int_equal(check_hex("93010203", &lim), ATT_EARRLONG);
	assert_int_equal(check_hex("83a161c0a162c0a163c0", &lim), ATT_EARRLONG);
	/* With the defaults, a header over the limit is refused before its body is looked for. */
	assert_int_equal(check_hex("db00010000", NULL), ATT_ESTRLONG);
	assert_int_equal(check_hex("c600010000", NULL), ATT_EBINLONG);
	assert_int_equal(check_hex("dc1001", NULL), ATT_EARRLONG);       /* 4097 elements */
}

/* Headers that claim far more than the bytes that follow. */
static void
test_msg_check_bombs(void **state)
{
	struct msg_limits lim = msg_limits_default;

	(void)state;
	assert_int_equal(check_hex("ddffffffff", NULL), ATT_EARRLONG);
	assert_int_equal(check_hex("dfffffffff", NULL), ATT_EARRLONG);
	/* Even when the limits allow it, the count must fit in the bytes left. */
	lim.max_array = SIZE_MAX;
	lim.max_total_objects = SIZE_MAX;
	assert_int_equal(check_hex("ddffffffff", &lim), ATT_ETRUNCATED);
	assert_int_equal(check_hex("dfffffffff00", &lim), ATT_ETRUNCATED);
	assert_int_equal(check_hex("dd00000003c0c0", &lim), ATT_ETRUNCATED);
	assert_int_equal(check_hex("de0002c0c0c0", &lim), ATT_ETRUNCATED);  /* map needs 2 per entry */
	assert_int_equal(check_hex("dbffffffff61", &lim), ATT_ESTRLONG);
	lim.max_str = SIZE_MAX;
	assert_int_equal(check_hex("dbffffffff61", &lim), ATT_ETRUNCATED);
}

static void
test_msg_check_total_objects(void **state)
{
	struct msg_limits lim = msg_limits_default;

	(void)state;
	lim.max_total_objects = 3;
	assert_int_equal(check_hex("920102", &lim), 0);
	assert_int_equal(check_hex("93010203", &lim), ATT_ETOOBIG);
	assert_int_equal(check_hex("81a16101", &lim), 0);  /* map, key, value */
	assert_int_equal(check_hex("81a16191c0", &lim), ATT_ETOOBIG);
}

static void
test_msg_parse_ping(void **state)
{
	struct msg *m;
	uint64_t id = 99;
	struct msg_out o;

	(void)state;
	assert_int_equal(parse_hex("82a174a470696e67a2696407", &m, &id), 0);
	assert_non_null(m);
	assert_int_equal(id, 7);
	assert_string_equal(msg_type(m), "ping");
	assert_int_equal(msg_id(m), 7);
	assert_true(msg_is_type(m, "ping"));
	assert_false(msg_is_type(m, "pin"));
	assert_false(msg_is_type(m, "pong"));
	assert_int_equal(msg_root(m)->type, MSGPACK_OBJECT_MAP);
	msg_free(m);
	msg_free(NULL);

	/* Answering it: {"t":"pong","id":7}, byte for byte. */
	msg_out_init(&o);
	msg_out_pong(&o, 7);
	assert_int_equal(msg_out_len(&o), 12);
	assert_memory_equal(msg_out_data(&o), "\x82\xa1t\xa4pong\xa2id\x07", 12);
	msg_out_free(&o);
}

static void
test_msg_parse_envelope_errors(void **state)
{
	struct msg *m = (struct msg *)1;
	uint64_t id = 99;

	(void)state;
	assert_int_equal(parse_hex("9101", &m, &id), ATT_ENOTMAP);
	assert_null(m);
	assert_int_equal(id, 0);
	assert_int_equal(parse_hex("01", &m, &id), ATT_ENOTMAP);
	assert_int_equal(parse_hex("810102", &m, &id), ATT_ENOTMAP);          /* int key */
	assert_int_equal(parse_hex("82a174a170c4010101", &m, &id), ATT_ENOTMAP); /* bin key */
	/* No id: nothing to answer with. */
	assert_int_equal(parse_hex("81a174a470696e67", &m, &id), ATT_EMISSING);
	assert_int_equal(id, 0);
	/* id present, t missing: the id comes back for the error reply. */
	assert_int_equal(parse_hex("81a2696407", &m, &id), ATT_EMISSING);
	assert_int_equal(id, 7);
	assert_int_equal(parse_hex("82a174c0a2696407", &m, &id), ATT_EMISSING);  /* nil t */
	assert_int_equal(parse_hex("82a17401a2696408", &m, &id), ATT_EWRONGTYPE);
	assert_int_equal(id, 8);
	/* 33-byte t */
	assert_int_equal(parse_hex("82a174d921616161616161616161616161616161616161616161616161616161616161616161"
	    "a2696409", &m, &id), ATT_ESTRLONG);
	assert_int_equal(id, 9);
	/* 32 bytes is fine */
	assert_int_equal(parse_hex("82a174d9206161616161616161616161616161616161616161616161616161616161616161"
	    "a2696409", &m, &id), 0);
	assert_int_equal(strlen(msg_type(m)), 32);
	msg_free(m);
	assert_int_equal(parse_hex("82a174a27000a2696401", &m, &id), ATT_EENCODING);  /* NUL in t */
	/* id: negative, too large, 2^53 exactly, a string */
	assert_int_equal(parse_hex("82a174a470696e67a26964ff", &m, &id), ATT_EWRONGTYPE);
	assert_int_equal(parse_hex("82a174a470696e67a26964cf0020000000000001", &m, &id), ATT_ERANGE);
	assert_int_equal(parse_hex("82a174a470696e67a26964cf0020000000000000", &m, &id), 0);
	assert_int_equal(msg_id(m), MSG_ID_MAX);
	msg_free(m);
	assert_int_equal(parse_hex("82a174a470696e67a26964a131", &m, &id), ATT_EWRONGTYPE);
	/* The same key twice is refused rather than read either way. */
	assert_int_equal(parse_hex("83a174a470696e67a2696407a174a3666f6f", &m, &id), ATT_EMALFORMED);
	assert_int_equal(id, 7);
	assert_int_equal(parse_hex("83a174a470696e67a2696407a2696408", &m, &id), ATT_EMALFORMED);
	/* Validation runs first. */
	assert_int_equal(parse_hex("82a174a470696e67a2696407c0", &m, &id), ATT_ETRAILING);
	assert_int_equal(parse_hex("ddffffffff", &m, &id), ATT_EARRLONG);
	assert_null(m);
	/* id_out is optional. */
	assert_int_equal(parse_hex("9101", &m, NULL), ATT_ENOTMAP);
}

/* Unknown keys, including nested and exotic ones, are ignored. */
static void
test_msg_unknown_keys_ignored(void **state)
{
	struct msg_out o;
	struct msg *m;
	uint64_t id, v;

	(void)state;
	msg_out_init(&o);
	msg_out_begin(&o, "ack", 5, 3);
	msg_out_key(&o, "future");
	msgpack_pack_map(&o.pk, 1);
	msgpack_pack_int(&o.pk, 3);          /* non-string key below the root is tolerated */
	msgpack_pack_ext(&o.pk, 2, 7);
	msgpack_pack_ext_body(&o.pk, "ab", 2);
	msg_out_uint(&o, "n", 3);
	msg_out_key(&o, "f");
	msgpack_pack_double(&o.pk, 1.5);
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_true(msg_is_type(m, "ack"));
	assert_int_equal(msg_get_uint(msg_root(m), "n", 10, &v), 0);
	assert_int_equal(v, 3);
	msg_free(m);
	msg_out_free(&o);
}

/* A message with one field of each kind, for the getter tests. */
static struct msg *
sample(void)
{
	struct msg_out o;
	struct msg *m;
	uint8_t key[32];
	uint64_t id;

	memset(key, 0xab, sizeof(key));
	msg_out_init(&o);
	msg_out_begin(&o, "sample", 1, 12);
	msg_out_str(&o, "s", "héllo");
	msg_out_bin(&o, "b", key, 32);
	msg_out_uint(&o, "u", 42);
	msg_out_int(&o, "neg", -5);
	msg_out_bool(&o, "yes", 1);
	msg_out_nil(&o, "nil");
	msg_out_key(&o, "arr");
	msgpack_pack_array(&o.pk, 3);
	msgpack_pack_uint64(&o.pk, 9);
	msgpack_pack_str_with_body(&o.pk, "x", 1);
	msgpack_pack_int64(&o.pk, -1);
	msg_out_key(&o, "sub");
	msgpack_pack_map(&o.pk, 1);
	msgpack_pack_str_with_body(&o.pk, "k", 1);
	msgpack_pack_str_with_body(&o.pk, "v", 1);
	msg_out_strn(&o, "badutf8", "a\xff", 2);
	msg_out_strn(&o, "nul", "a\0b", 3);
	msg_out_strn(&o, "surrogate", "\xed\xa0\x80", 3);
	msg_out_strn(&o, "overlong", "\xc0\xaf", 2);
	assert_false(msg_out_failed(&o));
	assert_int_equal(parse_out(&o, &m, &id), 0);
	msg_out_free(&o);
	assert_null(o.buf.data);
	return m;
}

static void
test_msg_getters(void **state)
{
	struct msg *m = sample();
	const msgpack_object *r = msg_root(m), *items, *sub;
	const char *s;
	const uint8_t *b;
	size_t n;
	uint64_t u;
	int v;
	char z[8];

	(void)state;
	assert_int_equal(msg_get_str(r, "s", 6, &s, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(s, "héllo", 6);
	assert_int_equal(msg_get_str(r, "s", 5, &s, &n), ATT_ESTRLONG);
	assert_int_equal(msg_get_str(r, "u", 5, &s, &n), ATT_EWRONGTYPE);
	assert_int_equal(msg_get_str(r, "absent", 5, &s, &n), ATT_EMISSING);
	assert_int_equal(msg_get_str(r, "nil", 5, &s, &n), ATT_EMISSING);
	assert_int_equal(msg_get_str(r, "badutf8", 5, &s, &n), ATT_EENCODING);
	assert_int_equal(msg_get_str(r, "nul", 5, &s, &n), ATT_EENCODING);
	assert_int_equal(msg_get_str(r, "surrogate", 5, &s, &n), ATT_EENCODING);
	assert_int_equal(msg_get_str(r, "overlong", 5, &s, &n), ATT_EENCODING);
	assert_int_equal(msg_get_strz(r, "s", z, sizeof(z)), 0);
	assert_string_equal(z, "héllo");
	assert_int_equal(msg_get_strz(r, "s", z, 6), ATT_ESTRLONG);
	assert_string_equal(z, "");

	assert_int_equal(msg_get_bin(r, "b", 32, &b, &n), 0);
	assert_int_equal(n, 32);
	assert_int_equal(b[31], 0xab);
	assert_int_equal(msg_get_bin(r, "b", 31, &b, &n), ATT_EBINLONG);
	assert_int_equal(msg_get_bin(r, "s", 99, &b, &n), ATT_EWRONGTYPE);
	assert_int_equal(msg_get_bin_exact(r, "b", 32, &b), 0);
	assert_int_equal(msg_get_bin_exact(r, "b", 33, &b), ATT_EKEYLEN);
	assert_int_equal(msg_get_bin_exact(r, "s", 32, &b), ATT_EWRONGTYPE);
	assert_int_equal(msg_get_bin_exact(r, "nope", 32, &b), ATT_EMISSING);

	assert_int_equal(msg_get_uint(r, "u", 42, &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(msg_get_uint(r, "u", 41, &u), ATT_ERANGE);
	assert_int_equal(msg_get_uint(r, "neg", UINT64_MAX, &u), ATT_EWRONGTYPE);
	assert_int_equal(msg_get_uint(r, "yes", UINT64_MAX, &u), ATT_EWRONGTYPE);

	assert_int_equal(msg_get_bool(r, "yes", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(msg_get_bool(r, "u", &v), ATT_EWRONGTYPE);

	assert_int_equal(msg_get_array(r, "arr", 3, &items, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(msg_get_array(r, "arr", 2, &items, &n), ATT_EARRLONG);
	assert_int_equal(msg_get_array(r, "sub", 3, &items, &n), ATT_EWRONGTYPE);
	assert_int_equal(msg_get_array(r, "arr", 3, &items, &n), 0);
	assert_int_equal(msg_obj_uint(&items[0], 9, &u), 0);
	assert_int_equal(u, 9);
	assert_int_equal(msg_obj_uint(&items[0], 8, &u), ATT_ERANGE);
	assert_int_equal(msg_obj_str(&items[1], 1, &s, &n), 0);
	assert_int_equal(msg_obj_str(&items[1], 0, &s, &n), ATT_ESTRLONG);
	assert_int_equal(msg_obj_uint(&items[2], 9, &u), ATT_EWRONGTYPE);
	assert_int_equal(msg_obj_bin(&items[1], 9, &b, &n), ATT_EWRONGTYPE);

	assert_int_equal(msg_get_map(r, "sub", &sub), 0);
	assert_int_equal(msg_get_str(sub, "k", 1, &s, &n), 0);
	assert_memory_equal(s, "v", 1);
	assert_int_equal(msg_get_map(r, "arr", &sub), ATT_EWRONGTYPE);
	/* A getter on something that is not a map. */
	assert_int_equal(msg_get_str(&items[0], "k", 1, &s, &n), ATT_ENOTMAP);
	assert_int_equal(msg_get_uint(NULL, "k", 1, &u), ATT_ENOTMAP);

	assert_true(msg_has(r, "s"));
	assert_true(msg_has(r, "sub"));
	assert_false(msg_has(r, "nil"));
	assert_false(msg_has(r, "absent"));
	assert_false(msg_has(r, ""));
	msg_free(m);
}

/* A duplicated field is refused by the getter that reads it. */
static void
test_msg_duplicate_field(void **state)
{
	struct msg_out o;
	struct msg *m;
	uint64_t id, u;

	(void)state;
	msg_out_init(&o);
	msg_out_begin(&o, "ack", 1, 3);
	msg_out_uint(&o, "seq", 1);
	msg_out_uint(&o, "seq", 2);
	msg_out_uint(&o, "other", 2);
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_uint(msg_root(m), "seq", 9, &u), ATT_EMALFORMED);
	assert_true(msg_has(msg_root(m), "seq"));
	assert_int_equal(msg_get_uint(msg_root(m), "other", 9, &u), 0);
	msg_free(m);
	msg_out_free(&o);
}

/* The message owns a copy: the input buffer can be reused at once. */
static void
test_msg_owns_its_bytes(void **state)
{
	struct msg_out o;
	struct msg *m;
	uint8_t buf[64];
	const char *s;
	size_t n;
	uint64_t id;

	(void)state;
	msg_out_init(&o);
	msg_out_begin(&o, "x", 3, 1);
	msg_out_str(&o, "note", "kept");
	memcpy(buf, msg_out_data(&o), msg_out_len(&o));
	assert_int_equal(msg_parse(buf, msg_out_len(&o), NULL, &m, &id), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(msg_get_str(msg_root(m), "note", 10, &s, &n), 0);
	assert_memory_equal(s, "kept", 4);
	assert_string_equal(msg_type(m), "x");
	msg_free(m);
	msg_out_free(&o);
}

static void
test_msg_error_replies(void **state)
{
	struct msg_out o;
	struct msg *m;
	uint64_t id;
	char code[32], text[64];

	(void)state;
	msg_out_init(&o);
	msg_out_error(&o, 12, ATT_EWRONGTYPE, NULL);
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_true(msg_is_type(m, "error"));
	assert_int_equal(id, 12);
	assert_int_equal(msg_get_strz(msg_root(m), "code", code, sizeof(code)), 0);
	assert_string_equal(code, "wrong-type");
	assert_int_equal(msg_get_strz(msg_root(m), "msg", text, sizeof(text)), 0);
	assert_string_equal(text, att_strerror(ATT_EWRONGTYPE));
	msg_free(m);

	/* Reset reuses the writer for the next reply. */
	msg_out_reset(&o);
	assert_int_equal(msg_out_len(&o), 0);
	msg_out_error(&o, 0, ATT_EUNKNOWNTYPE, "no such request: \"frob\"");
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_strz(msg_root(m), "code", code, sizeof(code)), 0);
	assert_string_equal(code, "unknown-type");
	assert_int_equal(msg_get_strz(msg_root(m), "msg", text, sizeof(text)), 0);
	assert_string_equal(text, "no such request: \"frob\"");
	msg_free(m);

	msg_out_reset(&o);
	msg_out_error_code(&o, 4, "not-initialised", "run attune init first");
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_strz(msg_root(m), "code", code, sizeof(code)), 0);
	assert_string_equal(code, "not-initialised");
	msg_free(m);
	msg_out_free(&o);
}

/* A writer that grows past its first allocation keeps every byte. */
static void
test_msg_out_grows(void **state)
{
	struct msg_out o;
	struct msg *m;
	static uint8_t big[60000];
	const uint8_t *b;
	size_t n, i;
	uint64_t id;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	msg_out_init(&o);
	msg_out_begin(&o, "put", 2, 2);
	msg_out_bin(&o, "env", big, sizeof(big));
	msg_out_str(&o, "after", "end");
	assert_false(msg_out_failed(&o));
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_bin(msg_root(m), "env", sizeof(big), &b, &n), 0);
	assert_int_equal(n, sizeof(big));
	assert_memory_equal(b, big, sizeof(big));
	msg_free(m);
	msg_out_free(&o);
}

/*
 * Round trip of the relay protocol's messages (docs/PROTOCOL.md 5): each is
 * written with the writer, parsed, and every field read back with its
 * getter and limit.
 */
static void
test_msg_relay_roundtrip(void **state)
{
	struct msg_out o;
	struct msg *m;
	const msgpack_object *r, *items;
	uint8_t dev[32], env[100];
	const uint8_t *b;
	const char *s;
	size_t n;
	uint64_t id, u;
	int v;

	(void)state;
	memset(dev, 7, sizeof(dev));
	memset(env, 9, sizeof(env));
	msg_out_init(&o);

	msg_out_begin(&o, "hello", 0, 3);
	msg_out_uint(&o, "v", 1);
	msg_out_bool(&o, "registered", 0);
	msg_out_uint(&o, "max_frame", 65535);
	assert_int_equal(parse_out(&o, &m, &id), 0);
	r = msg_root(m);
	assert_true(msg_is_type(m, "hello"));
	assert_int_equal(msg_get_uint(r, "v", 1, &u), 0);
	assert_int_equal(msg_get_bool(r, "registered", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(msg_get_uint(r, "max_frame", 65535, &u), 0);
	assert_int_equal(u, 65535);
	msg_free(m);

	msg_out_reset(&o);
	msg_out_begin(&o, "register", 1, 1);
	msg_out_str(&o, "invite", "tok-123");
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_str(msg_root(m), "invite", 64, &s, &n), 0);
	assert_int_equal(n, 7);
	msg_free(m);

	msg_out_reset(&o);
	msg_out_begin(&o, "put", 2, 1);
	msg_out_key(&o, "items");
	msgpack_pack_array(&o.pk, 2);
	for (int i = 0; i < 2; i++) {
		msgpack_pack_map(&o.pk, 2);
		msgpack_pack_str_with_body(&o.pk, "to", 2);
		msgpack_pack_bin_with_body(&o.pk, dev, 32);
		msgpack_pack_str_with_body(&o.pk, "env", 3);
		msgpack_pack_bin_with_body(&o.pk, env, sizeof(env));
	}
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_array(msg_root(m), "items", 64, &items, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(msg_get_bin_exact(&items[1], "to", 32, &b), 0);
	assert_memory_equal(b, dev, 32);
	assert_int_equal(msg_get_bin(&items[1], "env", 65535, &b, &n), 0);
	assert_int_equal(n, sizeof(env));
	msg_free(m);

	msg_out_reset(&o);
	msg_out_begin(&o, "ack", 3, 1);
	msg_out_key(&o, "seq");
	msgpack_pack_array(&o.pk, 3);
	msgpack_pack_uint64(&o.pk, 1);
	msgpack_pack_uint64(&o.pk, 1000);
	msgpack_pack_uint64(&o.pk, UINT64_C(1) << 40);
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_array(msg_root(m), "seq", 1024, &items, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(msg_obj_uint(&items[2], UINT64_MAX, &u), 0);
	assert_int_equal(u, UINT64_C(1) << 40);
	msg_free(m);

	msg_out_reset(&o);
	msg_out_begin(&o, "prekey_bundle", 4, 2);
	msg_out_bin(&o, "spk", env, 64);
	msg_out_nil(&o, "otk");
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_bin(msg_root(m), "spk", 1024, &b, &n), 0);
	assert_false(msg_has(msg_root(m), "otk"));
	msg_free(m);

	msg_out_reset(&o);
	msg_out_begin(&o, "deliver", 0, 4);
	msg_out_uint(&o, "seq", 77);
	msg_out_bin(&o, "from", dev, 32);
	msg_out_bin(&o, "env", env, sizeof(env));
	msg_out_uint(&o, "ts", 1700000000);
	assert_int_equal(parse_out(&o, &m, &id), 0);
	r = msg_root(m);
	assert_int_equal(id, 0);
	assert_int_equal(msg_get_uint(r, "seq", UINT64_MAX, &u), 0);
	assert_int_equal(u, 77);
	assert_int_equal(msg_get_bin_exact(r, "from", 32, &b), 0);
	assert_int_equal(msg_get_uint(r, "ts", UINT64_MAX, &u), 0);
	assert_int_equal(u, 1700000000);
	msg_free(m);

	msg_out_reset(&o);
	msg_out_begin(&o, "np_send", 5, 2);
	msg_out_uint(&o, "np", 42);
	msg_out_bin(&o, "data", env, 10);
	assert_int_equal(parse_out(&o, &m, &id), 0);
	assert_int_equal(msg_get_uint(msg_root(m), "np", UINT32_MAX, &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(msg_get_bin(msg_root(m), "data", 4096, &b, &n), 0);
	assert_int_equal(n, 10);
	msg_free(m);
	msg_out_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_check_ping),
		cmocka_unit_test(test_msg_check_malformed),
		cmocka_unit_test(test_msg_check_truncated),
		cmocka_unit_test(test_msg_check_trailing),
		cmocka_unit_test(test_msg_check_depth),
		cmocka_unit_test(test_msg_check_lengths),
		cmocka_unit_test(test_msg_check_bombs),
		cmocka_unit_test(test_msg_check_total_objects),
		cmocka_unit_test(test_msg_parse_ping),
		cmocka_unit_test(test_msg_parse_envelope_errors),
		cmocka_unit_test(test_msg_unknown_keys_ignored),
		cmocka_unit_test(test_msg_getters),
		cmocka_unit_test(test_msg_duplicate_field),
		cmocka_unit_test(test_msg_owns_its_bytes),
		cmocka_unit_test(test_msg_error_replies),
		cmocka_unit_test(test_msg_out_grows),
		cmocka_unit_test(test_msg_relay_roundtrip),
	};
	return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
