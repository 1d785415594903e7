#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "clients/lib/when.h"
#include "proto/err.h"

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* Local wall-clock time to time_t. */
static time_t
mk(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static time_t
parse_ok(const char *s, time_t now)
{
	char why[160] = "";
	time_t t = 0;
	int rc = when_parse(s, now, &t, why, sizeof(why));

	if (rc != 0)
		fail_msg("when_parse('%s') failed: %s", s, why);
	return t;
}

static void
parse_bad(const char *s, time_t now, const char *why_has)
{
	char why[160] = "";
	time_t t = 0;

	if (when_parse(s, now, &t, why, sizeof(why)) != ATT_EINVAL)
		fail_msg("when_parse('%s') should fail", s);
	if (strstr(why, why_has) == NULL)
		fail_msg("reason for '%s' is '%s', wanted '%s' in it", s, why, why_has);
}

/* Wednesday 2026-11-25 14:30 UTC is "now" for most cases. */
static void
test_forms_utc(void **state)
{
	time_t now;

	(void)state;
	set_tz("UTC");
	now = mk(2026, 11, 25, 14, 30);
	assert_int_equal(parse_ok("now", now), now);
	assert_int_equal(parse_ok("+30m", now), now + 1800);
	assert_int_equal(parse_ok("+2h", now), now + 7200);
	assert_int_equal(parse_ok("+2d", now), now + 2 * 86400);
	assert_int_equal(parse_ok("+1w", now), now + 7 * 86400);
	assert_int_equal(parse_ok("in 3 days", now), now + 3 * 86400);
	assert_int_equal(parse_ok("In 90 Minutes", now), now + 5400);
	assert_int_equal(parse_ok("tonight", now), mk(2026, 11, 25, 20, 0));
	assert_int_equal(parse_ok("tonight 22:15", now), mk(2026, 11, 25, 22, 15));
	assert_int_equal(parse_ok("today", now), mk(2026, 11, 25, 20, 0));
	assert_int_equal(parse_ok("tomorrow", now), mk(2026, 11, 26, 20, 0));
	assert_int_equal(parse_ok("Tomorrow 9:30", now), mk(2026, 11, 26, 9, 30));
	assert_int_equal(parse_ok("tomorrow morning", now), mk(2026, 11, 26, 9, 0));
	assert_int_equal(parse_ok("9am tomorrow", now), mk(2026, 11, 26, 9, 0));
	assert_int_equal(parse_ok("tomorrow 8 pm", now), mk(2026, 11, 26, 20, 0));
	assert_int_equal(parse_ok("sat 20:00", now), mk(2026, 11, 28, 20, 0));
	assert_int_equal(parse_ok("Saturday", now), mk(2026, 11, 28, 20, 0));
	assert_int_equal(parse_ok("sat evening", now), mk(2026, 11, 28, 19, 0));
	/* Today's weekday: today while the time is ahead, else a week later. */
	assert_int_equal(parse_ok("wed 18:00", now), mk(2026, 11, 25, 18, 0));
	assert_int_equal(parse_ok("wed 10:00", now), mk(2026, 12, 2, 10, 0));
	assert_int_equal(parse_ok("mon", now), mk(2026, 11, 30, 20, 0));
	/* A clock time alone is the next time the clock shows it. */
	assert_int_equal(parse_ok("20:00", now), mk(2026, 11, 25, 20, 0));
	assert_int_equal(parse_ok("9:00", now), mk(2026, 11, 26, 9, 0));
	assert_int_equal(parse_ok("12am", now), mk(2026, 11, 26, 0, 0));
	assert_int_equal(parse_ok("12pm", now), mk(2026, 11, 26, 12, 0));
	assert_int_equal(parse_ok("2026-12-01 20:00", now), mk(2026, 12, 1, 20, 0));
	assert_int_equal(parse_ok("2026-12-01T07:05", now), mk(2026, 12, 1, 7, 5));
	assert_int_equal(parse_ok("2026-12-01", now), mk(2026, 12, 1, 20, 0));
	assert_int_equal(parse_ok("  sat   20:00  ", now), mk(2026, 11, 28, 20, 0));
}

static void
test_tonight_after_eight(void **state)
{
	time_t now;

	(void)state;
	set_tz("UTC");
	now = mk(2026, 11, 25, 21, 10);
	/* Said at 21:10, "tonight" means now rather than a time already gone. */
	assert_int_equal(parse_ok("tonight", now), now);
	assert_int_equal(parse_ok("20:00", now), mk(2026, 11, 26, 20, 0));
}

static void
test_bad_forms(void **state)
{
	time_t now;

	(void)state;
	set_tz("UTC");
	now = mk(2026, 11, 25, 14, 30);
	parse_bad("", now, "empty");
	parse_bad("sat 25:00", now, "no such time");
	parse_bad("13pm", now, "no such time");
	parse_bad("20:61", now, "no such time");
	parse_bad("someday", now, "not a time I know");
	parse_bad("2026-02-30", now, "not a date");
	parse_bad("2026-13-01", now, "not a date");
	parse_bad("+2x", now, "say e.g.");
	parse_bad("+99999999d", now, "too far");
	parse_bad("sat sun", now, "two days");
	parse_bad("a b c d", now, "too many parts");
	parse_bad("yesterday", now, "not a time I know");
	parse_bad("0123456789012345678901234567890123456789012345678901234567890123456789",
	    now, "too long");
}

static void
test_since(void **state)
{
	char why[160];
	time_t now, t;

	(void)state;
	set_tz("UTC");
	now = mk(2026, 11, 25, 14, 30);
	assert_int_equal(when_parse_since("30d", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, now - 30 * 86400);
	assert_int_equal(when_parse_since("2w", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, now - 14 * 86400);
	assert_int_equal(when_parse_since("12h", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, now - 12 * 3600);
	assert_int_equal(when_parse_since("7 days ago", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, now - 7 * 86400);
	assert_int_equal(when_parse_since("yesterday", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, mk(2026, 11, 24, 0, 0));
	assert_int_equal(when_parse_since("today", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, mk(2026, 11, 25, 0, 0));
	assert_int_equal(when_parse_since("2026-11-01", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, mk(2026, 11, 1, 0, 0));
	/* A weekday looks back: Monday before this Wednesday. */
	assert_int_equal(when_parse_since("mon", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, mk(2026, 11, 23, 0, 0));
	assert_int_equal(when_parse_since("2026-12-24", now, &t, why, sizeof(why)), ATT_EINVAL);
	assert_non_null(strstr(why, "future"));
	assert_int_equal(when_parse_since("lately", now, &t, why, sizeof(why)), ATT_EINVAL);
	assert_non_null(strstr(why, "30d"));
}

/* Across the European autumn DST change, "+1d" and "tomorrow" keep the wall clock. */
static void
test_dst(void **state)
{
	time_t now, t;
	struct tm tm;

	(void)state;
	set_tz("Europe/Berlin");
	now = mk(2026, 10, 24, 20, 0);     /* the clocks go back in the night to the 25th */
	t = parse_ok("+1d", now);
	assert_int_equal(t - now, 25 * 3600);
	localtime_r(&t, &tm);
	assert_int_equal(tm.tm_hour, 20);
	t = parse_ok("tomorrow 20:00", now);
	assert_int_equal(t - now, 25 * 3600);
	assert_int_equal(parse_ok("+24h", now) - now, 24 * 3600);
	set_tz("UTC");
}

static void
test_display(void **state)
{
	char b[64];
	time_t now;

	(void)state;
	set_tz("UTC");
	now = mk(2026, 11, 25, 14, 30);
	when_ago(b, sizeof(b), now - 10, now);
	assert_string_equal(b, "just now");
	when_ago(b, sizeof(b), now - 20 * 60, now);
	assert_string_equal(b, "20 min ago");
	when_ago(b, sizeof(b), now - 3 * 3600 - 5, now);
	assert_string_equal(b, "3 h ago");
	when_ago(b, sizeof(b), mk(2026, 11, 25, 7, 5), now);
	assert_string_equal(b, "today 07:05");
	when_ago(b, sizeof(b), mk(2026, 11, 24, 21, 40), now);
	assert_string_equal(b, "yesterday 21:40");
	when_ago(b, sizeof(b), mk(2026, 11, 21, 9, 10), now);
	assert_string_equal(b, "Sat 09:10");
	when_ago(b, sizeof(b), mk(2026, 11, 2, 9, 10), now);
	assert_string_equal(b, "2 Nov");
	when_ago(b, sizeof(b), mk(2025, 12, 2, 9, 10), now);
	assert_string_equal(b, "2 Dec 2025");

	when_at(b, sizeof(b), now + 40 * 60, now);
	assert_string_equal(b, "in 40 min");
	when_at(b, sizeof(b), mk(2026, 11, 25, 20, 0), now);
	assert_string_equal(b, "tonight 20:00");
	when_at(b, sizeof(b), mk(2026, 11, 25, 16, 0), now);
	assert_string_equal(b, "today 16:00");
	when_at(b, sizeof(b), mk(2026, 11, 26, 9, 0), now);
	assert_string_equal(b, "tomorrow 09:00");
	when_at(b, sizeof(b), mk(2026, 11, 28, 20, 0), now);
	assert_string_equal(b, "Sat 20:00");
	when_at(b, sizeof(b), mk(2026, 12, 24, 20, 0), now);
	assert_string_equal(b, "2026-12-24 20:00");
	assert_int_equal(when_day(mk(2026, 11, 26, 0, 0)) - when_day(mk(2026, 11, 25, 23, 59)), 1);
	/* A peer's time may be anything: shown as odd, never a crash or a loop. */
	when_ago(b, sizeof(b), (time_t)INT64_MIN, now);
	assert_string_equal(b, "at an odd time");
	when_at(b, sizeof(b), (time_t)0x800000006b06f0e8LL, now);
	assert_string_equal(b, "at an odd time");
	when_at(b, sizeof(b), (time_t)INT64_MAX, now);
	assert_string_equal(b, "at an odd time");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms_utc),
		cmocka_unit_test(test_tonight_after_eight),
		cmocka_unit_test(test_bad_forms),
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_dst),
		cmocka_unit_test(test_display),
	};
	return cmocka_run_group_tests_name("cli_when", tests, NULL, NULL);
}
