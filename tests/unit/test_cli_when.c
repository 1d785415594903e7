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

/* Month days and "next DAY" (issue 13: "dec 24", "next friday" were not understood). */
static void
test_month_days_and_next(void **state)
{
	char why[160];
	time_t now, t;

	(void)state;
	set_tz("UTC");
	now = mk(2026, 11, 25, 14, 30);    /* a Wednesday */
	assert_int_equal(parse_ok("dec 24", now), mk(2026, 12, 24, 20, 0));
	assert_int_equal(parse_ok("Dec 24", now), mk(2026, 12, 24, 20, 0));
	assert_int_equal(parse_ok("24 december", now), mk(2026, 12, 24, 20, 0));
	assert_int_equal(parse_ok("december 24th 18:30", now), mk(2026, 12, 24, 18, 30));
	assert_int_equal(parse_ok("dec 24 at 8pm", now), mk(2026, 12, 24, 20, 0));
	assert_int_equal(parse_ok("dec 1 9:00", now), mk(2026, 12, 1, 9, 0));
	/* A day already gone this year is next year's. */
	assert_int_equal(parse_ok("mar 3", now), mk(2027, 3, 3, 20, 0));
	assert_int_equal(parse_ok("nov 25 10:00", now), mk(2027, 11, 25, 10, 0));
	assert_int_equal(parse_ok("nov 25 18:00", now), mk(2026, 11, 25, 18, 0));
	assert_int_equal(parse_ok("sept 1", now), mk(2027, 9, 1, 20, 0));
	assert_int_equal(parse_ok("feb 29", now), mk(2028, 2, 29, 20, 0));
	parse_bad("feb 30", now, "february has no day 30");
	parse_bad("dec 32", now, "not a day of december");
	parse_bad("december", now, "which day of december");
	parse_bad("dec 24 sat", now, "two days");
	/* "next fri": the coming Friday; "next wed" on a Wednesday is a week on. */
	assert_int_equal(parse_ok("next friday", now), mk(2026, 11, 27, 20, 0));
	assert_int_equal(parse_ok("next fri 21:00", now), mk(2026, 11, 27, 21, 0));
	assert_int_equal(parse_ok("next wed 18:00", now), mk(2026, 12, 2, 18, 0));
	assert_int_equal(parse_ok("this friday", now), mk(2026, 11, 27, 20, 0));
	parse_bad("next tomorrow", now, "'next' goes with a day of the week");
	/* For --since, a month day is the last one that has come. */
	assert_int_equal(when_parse_since("dec 24", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, mk(2025, 12, 24, 0, 0));
	assert_int_equal(when_parse_since("nov 1", now, &t, why, sizeof(why)), 0);
	assert_int_equal(t, mk(2026, 11, 1, 0, 0));
}

/* Issue 13: "rain check in 0 min", "tonight? in 0 min until in 1 min". */
static void
test_display_soon(void **state)
{
	char b[64];
	time_t now;

	(void)state;
	set_tz("UTC");
	now = mk(2026, 11, 25, 14, 30);
	when_at(b, sizeof(b), now, now);
	assert_string_equal(b, "now");
	when_at(b, sizeof(b), now + 59, now);
	assert_string_equal(b, "now");
	when_at(b, sizeof(b), now + 60, now);
	assert_string_equal(b, "in 1 min");
	when_until(b, sizeof(b), now + 60, now, now);
	assert_string_equal(b, "14:31");
	when_until(b, sizeof(b), mk(2026, 11, 28, 23, 0), mk(2026, 11, 28, 20, 0), now);
	assert_string_equal(b, "23:00");
	when_until(b, sizeof(b), mk(2026, 11, 26, 4, 0), now, now);
	assert_string_equal(b, "tomorrow 04:00");
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
		cmocka_unit_test(test_month_days_and_next),
		cmocka_unit_test(test_display_soon),
	};
	return cmocka_run_group_tests_name("cli_when", tests, NULL, NULL);
}
