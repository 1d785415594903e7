#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <msgpack.h>

#include "clients/lib/render.h"
#include "clients/lib/termtext.h"

/* Wednesday 2026-11-25 14:30 UTC. */
#define NOW 1795617000

static msgpack_sbuffer sb;
static msgpack_packer pk;

static void
s(const char *str)
{
	msgpack_pack_str_with_body(&pk, str, strlen(str));
}

static void
kv_s(const char *k, const char *v)
{
	s(k);
	s(v);
}

static void
kv_u(const char *k, uint64_t v)
{
	s(k);
	msgpack_pack_uint64(&pk, v);
}

static void
kv_b(const char *k, int v)
{
	s(k);
	if (v)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
}

/* kv_list("tags", "tired", "stressed", NULL) */
static void
kv_list(const char *k, ...)
{
	va_list ap;
	const char *item;
	int n = 0;

	va_start(ap, k);
	while (va_arg(ap, const char *) != NULL)
		n++;
	va_end(ap);
	s(k);
	msgpack_pack_array(&pk, (size_t)n);
	va_start(ap, k);
	while ((item = va_arg(ap, const char *)) != NULL)
		s(item);
	va_end(ap);
}

static void
begin(void)
{
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
}

/* Sam's check-in of the example, 20 minutes old. */
static void
sam_checkin(const char *note)
{
	msgpack_pack_map(&pk, note ? 12 : 11);
	kv_s("kind", "checkin");
	kv_s("id", "00112233445566778899aabbccddeeff");
	kv_s("author", "Sam");
	kv_b("mine", 0);
	kv_u("ts", NOW - 20 * 60);
	kv_u("mood", 2);
	kv_u("desire", 1);
	kv_u("capacity", 1);
	kv_list("tags", "tired", "stressed", NULL);
	kv_list("open_to", "cuddle", "talk", NULL);
	kv_u("valid_until", NOW + 3600 * 12);
	if (note)
		kv_s("note", note);
}

/* Renders with fn into a malloc'd string. */
static char *
render(void (*fn)(FILE *, const msgpack_object *, const struct render_opts *),
    int unicode, int color)
{
	struct render_opts o = { .color = color, .unicode = unicode, .now = NOW };
	msgpack_unpacked up;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	fn(f, &up.data, &o);
	fclose(f);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	return out;
}

static void
test_checkin_line(void **state)
{
	char *out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	begin();
	sam_checkin("deadline day, would love to just hold you tonight");
	out = render(render_checkin, 1, 0);
	assert_string_equal(out,
	    "Sam \xc2\xb7 20 min ago \xc2\xb7 mood 2/5 \xc2\xb7 desire 1/5 \xc2\xb7 capacity low"
	    " \xc2\xb7 tired, stressed \xc2\xb7 open to: cuddle, talk\n"
	    "  \xe2\x80\x9c" "deadline day, would love to just hold you tonight\xe2\x80\x9d\n");
	free(out);

	/* Plain (not a terminal): ASCII only, no escape sequences. */
	begin();
	sam_checkin("deadline day");
	out = render(render_checkin, 0, 0);
	assert_string_equal(out,
	    "Sam - 20 min ago - mood 2/5 - desire 1/5 - capacity low - tired, stressed"
	    " - open to: cuddle, talk\n  \"deadline day\"\n");
	free(out);

	/* Colour adds escapes around the name. */
	begin();
	sam_checkin(NULL);
	out = render(render_checkin, 1, 1);
	assert_non_null(strstr(out, "\033[1mSam\033[0m"));
	free(out);
}

/* A field scoped away from this reader is absent, and simply not shown. */
static void
test_scoped_fields(void **state)
{
	char *out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	begin();
	msgpack_pack_map(&pk, 6);
	kv_s("kind", "checkin");
	kv_s("author", "Sam");
	kv_u("ts", NOW - 3 * 3600 - 10);
	kv_u("mood", 4);
	kv_list("tags", NULL);
	kv_b("responsive", 1);
	out = render(render_checkin, 0, 0);
	assert_string_equal(out, "Sam - 3 h ago - mood 4/5 - responsive\n");
	free(out);
}

/* A note with control characters cannot drive the terminal. */
static void
test_hostile_note(void **state)
{
	char *out;

	(void)state;
	begin();
	msgpack_pack_map(&pk, 4);
	kv_s("kind", "checkin");
	kv_s("author", "S\033[2Jam");
	kv_u("ts", NOW);
	kv_s("note", "line1\nline2\033]0;title\007");
	out = render(render_checkin, 0, 0);
	assert_null(strchr(out, '\033'));
	assert_null(strchr(out, '\007'));
	assert_non_null(strstr(out, "line1 line2"));
	free(out);
}

/* No byte of an escape, C1 or bidi control in out. */
static void
assert_term_safe(const char *out)
{
	assert_null(strchr(out, '\033'));
	assert_null(strchr(out, '\007'));
	assert_null(strchr(out, 0x7f));
	assert_null(strstr(out, "\xc2\x9b"));          /* U+009B, CSI */
	assert_null(strstr(out, "\xc2\x9d"));          /* U+009D, OSC */
	assert_null(strstr(out, "\xe2\x80\xae"));      /* U+202E, right-to-left override */
	assert_null(strstr(out, "\xe2\x81\xa6"));      /* U+2066, left-to-right isolate */
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		assert_false(*p >= 0x80 && *p <= 0x9f && (p == (const unsigned char *)out ||
		    p[-1] < 0xc0) && !(p[-1] >= 0x80));   /* no lone C1 byte */
}

/*
 * Attack 6: C1 controls (as bytes and as U+0080-U+009F), DEL and bidi
 * overrides in a partner's name, tags, reasons and offers. Failed before:
 * only C0 was filtered, and list items were printed raw.
 */
static void
test_hostile_c1_bidi(void **state)
{
	char *out;

	(void)state;
	begin();
	msgpack_pack_map(&pk, 6);
	kv_s("kind", "response");
	kv_s("author", "Jo\xc2\x9b" "2J\xe2\x80\xae" "evil");
	kv_u("ts", NOW);
	kv_s("answer", "not-tonight");
	kv_list("reason", "tired\x9b" "2J", "x\x7f\033]0;owned\007", NULL);
	kv_list("offer", "cuddle\xe2\x81\xa6\xc2\x9d", NULL);
	out = render(render_event, 1, 0);
	assert_term_safe(out);
	assert_non_null(strstr(out, "Jo?2J?evil"));
	assert_non_null(strstr(out, "x??]0;owned?"));
	assert_non_null(strstr(out, "cuddle??"));
	free(out);
}

static void
test_termtext(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(termtext_clean(buf, sizeof buf, "caf\xc3\xa9 \xf0\x9f\x98\x8a", 10), 10);
	assert_string_equal(buf, "caf\xc3\xa9 \xf0\x9f\x98\x8a");    /* UTF-8 text stays */
	termtext_clean(buf, sizeof buf, "a\tb\nc\rd", 7);
	assert_string_equal(buf, "a b c?d");
	termtext_clean(buf, sizeof buf, "\xc0\xaf\xed\xa0\x80\xe2\x80", 7);   /* overlong, surrogate, cut */
	assert_string_equal(buf, "???????");
	termtext_clean(buf, 5, "ab\xc3\xa9" "cd", 6);   /* never cuts a character in two */
	assert_string_equal(buf, "ab\xc3\xa9");
	termtext_clean(buf, 4, "ab\xc3\xa9" "cd", 6);
	assert_string_equal(buf, "ab");
	assert_null(termtext_name_check("Sam"));
	assert_null(termtext_name_check("Zo\xc3\xab"));
	assert_non_null(termtext_name_check(""));
	assert_non_null(termtext_name_check(" Sam"));
	assert_non_null(termtext_name_check("\033]0;owned\007\033[2J"));
	assert_non_null(termtext_name_check("Sam\xe2\x80\xae"));
	assert_non_null(termtext_name_check("Sam\xc2\x9b"));
	assert_non_null(termtext_name_check("Sam\x9b"));
	assert_non_null(termtext_name_check("0123456789012345678901234567890123456789012345678901234567890123456789"));
}

static void
test_status(void **state)
{
	char *out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	begin();
	msgpack_pack_map(&pk, 7);
	kv_s("t", "status");
	kv_u("id", 3);
	s("me");
	msgpack_pack_map(&pk, 7);
	kv_s("name", "Alex");
	kv_s("device", "0011223344556677");
	kv_s("relay", "attune://127.0.0.1:7443/x");
	kv_b("connected", 0);
	kv_u("outbox", 2);
	kv_u("undecryptable", 0);
	s("checkin");
	msgpack_pack_nil(&pk);
	s("partners");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_map(&pk, 3);
	kv_s("name", "Sam");
	s("checkin");
	sam_checkin("deadline day");
	kv_u("last_seen", NOW - 60);
	msgpack_pack_map(&pk, 3);
	kv_s("name", "Jo");
	s("checkin");
	msgpack_pack_nil(&pk);
	s("last_seen");
	msgpack_pack_nil(&pk);
	s("bids_to_me");
	msgpack_pack_array(&pk, 0);
	s("bids_from_me");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 9);
	kv_s("kind", "bid");
	kv_s("id", "a1b2c3d4e5f60718293a4b5c6d7e8f90");
	kv_s("author", "Alex");
	kv_b("mine", 1);
	kv_u("ts", NOW - 5 * 60);
	kv_s("bid_kind", "tonight");
	kv_list("to", "Sam", NULL);
	kv_s("state", "answered");
	s("answers");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 9);
	kv_s("kind", "response");
	kv_s("author", "Sam");
	kv_u("ts", NOW - 60);
	kv_s("bid", "a1b2c3d4e5f60718293a4b5c6d7e8f90");
	kv_s("answer", "not-tonight");
	kv_list("reason", "tired", NULL);
	kv_list("offer", "cuddle", NULL);
	kv_u("raincheck", NOW + 3 * 86400 + 5.5 * 3600);
	kv_s("note", "hold me?");
	s("rainchecks");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 3);
	kv_s("bid", "a1b2c3d4e5f60718293a4b5c6d7e8f90");
	kv_s("who", "Sam");
	kv_u("at", NOW + 3 * 86400 + 5.5 * 3600);    /* Saturday 20:00 */
	out = render(render_status, 0, 0);
	assert_string_equal(out,
	    "Alex (you) - no check-in yet: attune checkin\n"
	    "Sam - 20 min ago - mood 2/5 - desire 1/5 - capacity low - tired, stressed"
	    " - open to: cuddle, talk\n"
	    "  \"deadline day\"\n"
	    "Jo - no check-in yet\n"
	    "\nYour bids:\n"
	    "  Alex -> Sam - tonight? - 5 min ago - answered  [a1b2c3d4]\n"
	    "    Sam: not tonight - tired - would love: cuddle - rain check Sat 20:00\n"
	    "      \"hold me?\"\n"
	    "\nRain checks:\n"
	    "  Sat 20:00 - Sam's rain check for you  [a1b2c3d4]\n"
	    "\nNot connected to the relay right now - 2 messages waiting to be sent\n");
	free(out);
}

static void
test_no_partner(void **state)
{
	char *out;

	(void)state;
	begin();
	msgpack_pack_map(&pk, 1);
	s("partners");
	msgpack_pack_array(&pk, 0);
	out = render(render_status, 0, 0);
	assert_non_null(strstr(out, "attune pair"));
	free(out);
}

static void
test_response_event(void **state)
{
	char *out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	begin();
	msgpack_pack_map(&pk, 10);
	kv_s("kind", "response");
	kv_s("id", "ffeeddccbbaa99887766554433221100");
	kv_s("author", "Sam");
	kv_u("ts", NOW - 120);
	kv_s("bid", "a1b2c3d4e5f60718293a4b5c6d7e8f90");
	kv_s("answer", "not-tonight");
	kv_list("reason", "tired", NULL);
	kv_list("offer", "cuddle", NULL);
	kv_u("raincheck", NOW + 3 * 86400 + 5.5 * 3600);
	kv_s("note", "wiped out from the deadline");
	out = render(render_event, 0, 0);
	assert_string_equal(out,
	    "2 min ago        Sam answered [a1b2c3d4]: not tonight - tired - would love: cuddle"
	    " - rain check Sat 20:00\n                   \"wiped out from the deadline\"\n");
	free(out);
}

static void
test_spark(void **state)
{
	char b[64];
	int v[5] = { 1, 3, -1, 5, 0 };

	(void)state;
	render_spark(b, sizeof(b), v, 5, 0, 5, 0);
	assert_string_equal(b, "13.50");
	render_spark(b, sizeof(b), v, 5, 0, 5, 1);
	assert_string_equal(b, "\xe2\x96\x82\xe2\x96\x85 \xe2\x96\x88\xe2\x96\x81");
	render_spark(b, 5, v, 5, 0, 5, 1);              /* cut, still terminated */
	assert_string_equal(b, "\xe2\x96\x82");
}

/* The log: a sparkline row per person and scale, one cell per day. */
static void
test_log_trend(void **state)
{
	struct render_opts o = { .color = 0, .unicode = 0, .now = NOW };
	msgpack_unpacked up;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int d;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	begin();
	msgpack_pack_map(&pk, 1);
	s("events");
	msgpack_pack_array(&pk, 3);
	for (d = 0; d < 3; d++) {
		msgpack_pack_map(&pk, 6);
		kv_s("kind", "checkin");
		kv_s("author", "Sam");
		kv_u("ts", NOW - (uint64_t)d * 2 * 86400);   /* today, 2 and 4 days ago */
		kv_u("mood", (uint64_t)(5 - d));
		kv_u("desire", (uint64_t)d);
		kv_u("capacity", 3);
	}
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	f = open_memstream(&out, &len);
	render_log(f, &up.data, NOW - 4 * 86400, &o);
	fclose(f);
	assert_non_null(strstr(out, "  Sam          mood     |3.4.5|\n"));
	assert_non_null(strstr(out, "               desire   |2.1.0|\n"));
	assert_non_null(strstr(out, "               capacity |3.3.3|\n"));
	assert_non_null(strstr(out, "just now         Sam - mood 5/5"));
	free(out);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/* Issue 13: `log --since 1000d` drew a 366-character trend; cells now fit the width. */
static void
test_log_trend_fits(void **state)
{
	struct render_opts o = { .color = 0, .unicode = 1, .now = NOW, .width = 80 };
	msgpack_unpacked up;
	char *out = NULL, *line, *save = NULL;
	size_t len = 0, lines = 0;
	FILE *f;
	int d;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	begin();
	msgpack_pack_map(&pk, 1);
	s("events");
	msgpack_pack_array(&pk, 100);
	for (d = 0; d < 100; d++) {
		msgpack_pack_map(&pk, 6);
		kv_s("kind", "checkin");
		kv_s("author", "Sam");
		kv_u("ts", NOW - (uint64_t)d * 10 * 86400);   /* every 10 days over 1000 days */
		kv_u("mood", (uint64_t)(1 + d % 5));
		kv_u("desire", 2);
		kv_u("capacity", 3);
	}
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	f = open_memstream(&out, &len);
	render_log(f, &up.data, NOW - 1000 * 86400, &o);
	fclose(f);
	assert_non_null(strstr(out, "Trend, one cell a month (30 days) over 34 months (oldest left):\n"));
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		long cols = 0;

		for (const char *c = line; *c; c++)
			cols += ((unsigned char)*c & 0xc0) != 0x80;
		if (strstr(line, "desire   ") != NULL) {
			assert_true(cols <= 80);
			assert_non_null(strstr(line, "\xe2\x96\x83\xe2\x96\x83"));   /* 2 of 5 each month */
			lines++;
		}
	}
	assert_int_equal(lines, 1);
	free(out);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	/* 60 days in 40 columns: weekly cells, each the mean of its days. */
	begin();
	msgpack_pack_map(&pk, 1);
	s("events");
	msgpack_pack_array(&pk, 2);
	for (d = 0; d < 2; d++) {
		msgpack_pack_map(&pk, 4);
		kv_s("kind", "checkin");
		kv_s("author", "Sam");
		kv_u("ts", NOW - (uint64_t)d * 86400);
		kv_u("mood", d == 0 ? 5 : 2);
	}
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	o.unicode = 0;
	o.width = 40;
	f = open_memstream(&out, &len);
	render_log(f, &up.data, NOW - 59 * 86400, &o);
	fclose(f);
	assert_non_null(strstr(out, "one cell a week over 9 weeks"));
	assert_non_null(strstr(out, "  Sam          mood     |........4|\n"));
	free(out);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/* Issue 13: "sex? just now - just now", "tonight? in 0 min until in 1 min", "rain check in 0 min". */
static void
test_plain_windows(void **state)
{
	char *out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	begin();
	msgpack_pack_map(&pk, 7);
	kv_s("kind", "bid");
	kv_s("id", "a1b2c3d4e5f60718293a4b5c6d7e8f90");
	kv_s("author", "Alex");
	kv_u("ts", NOW);
	kv_s("bid_kind", "tonight");
	kv_u("from_ts", NOW);
	kv_u("until_ts", NOW + 60);
	out = render(render_event, 0, 0);
	assert_string_equal(out, "just now         Alex - tonight? until 14:31  [a1b2c3d4]\n");
	free(out);
	begin();
	msgpack_pack_map(&pk, 7);
	kv_s("kind", "bid");
	kv_s("id", "a1b2c3d4e5f60718293a4b5c6d7e8f90");
	kv_s("author", "Alex");
	kv_u("ts", NOW);
	kv_s("bid_kind", "dinner");
	kv_u("from_ts", NOW + 3 * 86400 + 5.5 * 3600);
	kv_u("until_ts", NOW + 3 * 86400 + 8.5 * 3600);
	out = render(render_event, 0, 0);
	assert_string_equal(out, "just now         Alex - dinner? Sat 20:00 until 23:00  [a1b2c3d4]\n");
	free(out);
	begin();
	msgpack_pack_map(&pk, 1);
	s("rainchecks");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 3);
	kv_s("bid", "a1b2c3d4e5f60718293a4b5c6d7e8f90");
	kv_s("who", "Sam");
	kv_u("at", NOW);
	out = render(render_status, 0, 0);
	assert_non_null(strstr(out, "  due now - Sam's rain check for you  [a1b2c3d4]\n"));
	assert_null(strstr(out, "0 min"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkin_line),
		cmocka_unit_test(test_scoped_fields),
		cmocka_unit_test(test_hostile_note),
		cmocka_unit_test(test_hostile_c1_bidi),
		cmocka_unit_test(test_termtext),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_no_partner),
		cmocka_unit_test(test_response_event),
		cmocka_unit_test(test_spark),
		cmocka_unit_test(test_log_trend),
		cmocka_unit_test(test_log_trend_fits),
		cmocka_unit_test(test_plain_windows),
	};
	return cmocka_run_group_tests_name("cli_render", tests, NULL, NULL);
}
