#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/lib/when.h"
#include "proto/err.h"

#define WHEN_INPUT_MAX 64
#define WHEN_MAX_SPAN (10L * 366 * 86400)   /* ten years either way */

static const char *const wday_short[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};
static const char *const wday_long[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"
};
static const char *const wday_show[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const mon_long[12] = {
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"
};
static const char *const mon_show[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static const struct {
	const char *name;
	int hour;
} parts[] = {
	{ "morning", 9 }, { "noon", 12 }, { "afternoon", 15 },
	{ "evening", 19 }, { "night", 21 },
};

static int
fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && cap > 0) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return ATT_EINVAL;
}

static void
local(time_t t, struct tm *tm)
{
	if (localtime_r(&t, tm) == NULL)
		memset(tm, 0, sizeof(*tm));
}

/* Midnight-relative day arithmetic on the wall clock, so DST changes keep 20:00 at 20:00. */
static int
at_day(time_t now, int day_offset, int hour, int min, time_t *out)
{
	struct tm tm;

	local(now, &tm);
	tm.tm_mday += day_offset;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? ATT_EINVAL : 0;
}

/* "20:00", "20", "8pm", "8:30am", "noon", "evening". Returns 1 and sets h/m when tok is a time. */
static int
parse_clock(const char *tok, int *h, int *m, int *bad)
{
	size_t i;
	char *end;
	long hh, mm = 0;
	int ampm = 0;

	*bad = 0;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strcmp(tok, parts[i].name) == 0) {
			*h = parts[i].hour;
			*m = 0;
			return 1;
		}
	if (!isdigit((unsigned char)tok[0]))
		return 0;
	errno = 0;
	hh = strtol(tok, &end, 10);
	if (end - tok > 2)
		return 0;
	if (*end == ':' || *end == '.') {
		const char *p = end + 1;

		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
			return 0;
		mm = (p[0] - '0') * 10 + (p[1] - '0');
		end = (char *)p + 2;
	}
	if (strcmp(end, "am") == 0)
		ampm = 1;
	else if (strcmp(end, "pm") == 0)
		ampm = 2;
	else if (*end != '\0')
		return 0;
	if (ampm != 0) {
		if (hh < 1 || hh > 12) {
			*bad = 1;
			return 1;
		}
		hh = hh % 12 + (ampm == 2 ? 12 : 0);
	}
	if (hh > 23 || mm > 59) {
		*bad = 1;
		return 1;
	}
	*h = (int)hh;
	*m = (int)mm;
	return 1;
}

/* "2026-12-01": 1 and y/mo/d when tok has that shape. */
static int
parse_date(const char *tok, int *y, int *mo, int *d)
{
	if (strlen(tok) != 10 || tok[4] != '-' || tok[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)tok[i]))
			return 0;
	*y = atoi(tok);
	*mo = atoi(tok + 5);
	*d = atoi(tok + 8);
	return 1;
}

/* Seconds per unit word, or 0. Days and weeks are marked with *days. */
static long
unit_seconds(const char *u, int *days)
{
	static const struct {
		const char *name;
		long secs;
		int days;
	} units[] = {
		{ "m", 60, 0 }, { "min", 60, 0 }, { "mins", 60, 0 },
		{ "minute", 60, 0 }, { "minutes", 60, 0 },
		{ "h", 3600, 0 }, { "hr", 3600, 0 }, { "hrs", 3600, 0 },
		{ "hour", 3600, 0 }, { "hours", 3600, 0 },
		{ "d", 1, 1 }, { "day", 1, 1 }, { "days", 1, 1 },
		{ "w", 7, 1 }, { "wk", 7, 1 }, { "week", 7, 1 }, { "weeks", 7, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(u, units[i].name) == 0) {
			*days = units[i].days;
			return units[i].secs;
		}
	return 0;
}

/*
 * "30d", "30 d", "2 weeks" (no sign): a span. Returns 1 and sets *secs or
 * *days; 0 when s is not a span; -1 when it is one but out of range.
 */
static int
parse_span(const char *s, long *secs, long *days)
{
	char *end;
	long n, per;
	int is_days = 0;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	while (*end == ' ')
		end++;
	if (*end == '\0' || (per = unit_seconds(end, &is_days)) == 0)
		return 0;
	if (errno != 0 || n < 0 || n > WHEN_MAX_SPAN / (is_days ? 86400 : per) / (is_days ? per : 1))
		return -1;
	*secs = is_days ? 0 : n * per;
	*days = is_days ? n * per : 0;
	return 1;
}

/* Lowercases, trims, squeezes spaces, splits "2026-12-01T20:00", joins "8 pm". */
static int
normalise(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	int space = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s != '\0'; s++) {
		char c = (char)tolower((unsigned char)*s);

		if (c == ' ' || c == '\t') {
			space = 1;
			continue;
		}
		if (space && n > 0 && !((c == 'a' || c == 'p') && s[1] != '\0' &&
		    tolower((unsigned char)s[1]) == 'm' && (s[2] == '\0' || s[2] == ' ') &&
		    isdigit((unsigned char)out[n - 1]))) {
			if (n + 1 >= cap)
				return -1;
			out[n++] = ' ';
		}
		space = 0;
		if (c == 't' && n == 10 && isdigit((unsigned char)out[9]))
			c = ' ';
		if (n + 1 >= cap)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

/* 0-11 for "dec", "december", "sept"; -1 otherwise. */
static int
month(const char *tok)
{
	size_t len = strlen(tok);
	int i;

	for (i = 0; i < 12; i++)
		if (strcmp(tok, mon_long[i]) == 0 || (len == 3 && strncmp(tok, mon_long[i], 3) == 0) ||
		    (i == 8 && strcmp(tok, "sept") == 0))
			return i;
	return -1;
}

/* "24", "24th", "1st": the day of a month (1-31) for tokens of that shape, else 0. */
static int
month_day(const char *tok)
{
	char *end;
	long d;

	if (!isdigit((unsigned char)tok[0]))
		return 0;
	d = strtol(tok, &end, 10);
	if (end - tok > 2 || (*end != '\0' && strcmp(end, "st") != 0 && strcmp(end, "nd") != 0 &&
	    strcmp(end, "rd") != 0 && strcmp(end, "th") != 0))
		return 0;
	return d >= 1 && d <= 31 ? (int)d : -1;
}

static int
weekday(const char *tok)
{
	int i;

	for (i = 0; i < 7; i++)
		if (strcmp(tok, wday_short[i]) == 0 || strcmp(tok, wday_long[i]) == 0)
			return i;
	return -1;
}

/*
 * The shared grammar. default_hour is where a bare day lands (20:00 for
 * plans, 0 for --since); since=1 also accepts "yesterday" and never rolls a
 * weekday or a clock time forward into the future.
 */
static int
parse_core(const char *in, time_t now, int default_hour, int since, time_t *out,
    char *why, size_t cap)
{
	char buf[WHEN_INPUT_MAX + 1], *tok[4], *save = NULL, *p;
	int ntok = 0, i, h = -1, m = 0, bad, y, mo, d, next = 0, mon = -1, mday_tok = -1;
	/* 1 today/tomorrow/yesterday, 2 tonight, 3 weekday, 4 date, 5 month and day */
	int day_kind = 0, day_off = 0, wd = -1;
	long secs, days;
	struct tm tm;

	if (strlen(in) > WHEN_INPUT_MAX || normalise(in, buf, sizeof(buf)) != 0)
		return fail(why, cap, "'%.20s...' is too long for a time", in);
	if (buf[0] == '\0')
		return fail(why, cap, "an empty time: say e.g. 'tomorrow', 'sat 20:00' or '+2d'");
	if (strcmp(buf, "now") == 0) {
		*out = now;
		return 0;
	}
	p = buf;
	if (!since && (p[0] == '+' || strncmp(p, "in ", 3) == 0)) {
		p += p[0] == '+' ? 1 : 3;
		while (*p == ' ')
			p++;
		switch (parse_span(p, &secs, &days)) {
		case 1:
			if (days == 0) {
				*out = now + secs;
				return 0;
			}
			local(now, &tm);
			if (at_day(now, (int)days, tm.tm_hour, tm.tm_min, out) != 0)
				break;
			*out += tm.tm_sec;
			return 0;
		case -1:
			return fail(why, cap, "'%s' is too far away", in);
		}
		return fail(why, cap, "'%s': say e.g. '+30m', '+2h', '+2d' or 'in 3 days'", in);
	}
	for (p = strtok_r(buf, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save)) {
		/* "dec 24 at 8pm", "this friday": words that only join the others. */
		if (strcmp(p, "at") == 0 || strcmp(p, "this") == 0 || strcmp(p, "on") == 0)
			continue;
		if (strcmp(p, "next") == 0) {
			next = 1;
			continue;
		}
		if (ntok == 3)
			return fail(why, cap, "'%s' has too many parts: say e.g. 'sat 20:00'", in);
		tok[ntok++] = p;
	}
	/* A month name takes the day number next to it ("dec 24", "24 december"). */
	for (i = 0; i < ntok && mon < 0; i++)
		if ((mon = month(tok[i])) >= 0) {
			if (i + 1 < ntok && month_day(tok[i + 1]) != 0)
				mday_tok = i + 1;
			else if (i > 0 && month_day(tok[i - 1]) != 0)
				mday_tok = i - 1;
			if (mday_tok < 0)
				return fail(why, cap, "'%s': which day of %s? say e.g. '%.3s 24'", in,
				    mon_long[mon], mon_long[mon]);
			if ((d = month_day(tok[mday_tok])) < 0)
				return fail(why, cap, "'%s' is not a day of %s", tok[mday_tok], mon_long[mon]);
		}
	for (i = 0; i < ntok; i++) {
		if (i == mday_tok)
			continue;
		if (mon >= 0 && month(tok[i]) == mon) {
			if (day_kind != 0)
				return fail(why, cap, "'%s' names two days", in);
			day_kind = 5;
			continue;
		}
		if (parse_clock(tok[i], &h, &m, &bad)) {
			if (bad)
				return fail(why, cap, "'%s': no such time of day", tok[i]);
			continue;
		}
		if (day_kind != 0)
			return fail(why, cap, "'%s' names two days", in);
		if (strcmp(tok[i], "today") == 0) {
			day_kind = 1;
		} else if (strcmp(tok[i], "tomorrow") == 0) {
			day_kind = 1;
			day_off = 1;
		} else if (since && strcmp(tok[i], "yesterday") == 0) {
			day_kind = 1;
			day_off = -1;
		} else if (!since && strcmp(tok[i], "tonight") == 0) {
			day_kind = 2;
		} else if ((wd = weekday(tok[i])) >= 0) {
			day_kind = 3;
		} else if (parse_date(tok[i], &y, &mo, &d)) {
			day_kind = 4;
		} else {
			return fail(why, cap, "'%s' is not a time I know: say e.g. 'tomorrow', "
			    "'sat 20:00', '+2d' or '2026-12-01 20:00'", tok[i]);
		}
	}
	if (next && (day_kind != 3 || since))
		return fail(why, cap, "'%s': 'next' goes with a day of the week, e.g. 'next fri'", in);
	local(now, &tm);
	switch (day_kind) {
	case 0:                  /* a clock time alone: the next time it comes round */
		if (h < 0)
			return fail(why, cap, "'%s' is not a time I know", in);
		if (at_day(now, 0, h, m, out) != 0)
			break;
		if (!since && *out <= now && at_day(now, 1, h, m, out) != 0)
			break;
		if (since && *out > now && at_day(now, -1, h, m, out) != 0)
			break;
		return 0;
	case 1:
		if (at_day(now, day_off, h < 0 ? default_hour : h, m, out) != 0)
			break;
		return 0;
	case 2:
		if (at_day(now, 0, h < 0 ? WHEN_DEFAULT_HOUR : h, m, out) != 0)
			break;
		if (h < 0 && *out < now)
			*out = now;
		return 0;
	case 3: {
		int ahead = (wd - tm.tm_wday + 7) % 7;

		if (since) {
			ahead = -((tm.tm_wday - wd + 7) % 7);
			if (at_day(now, ahead, h < 0 ? default_hour : h, m, out) != 0)
				break;
			if (*out > now && at_day(now, ahead - 7, h < 0 ? default_hour : h, m, out) != 0)
				break;
			return 0;
		}
		/* "next fri" is never today: the first such day after it. */
		if (next && ahead == 0)
			ahead = 7;
		if (at_day(now, ahead, h < 0 ? default_hour : h, m, out) != 0)
			break;
		if (*out <= now && at_day(now, ahead + 7, h < 0 ? default_hour : h, m, out) != 0)
			break;
		return 0;
	}
	case 5: {                /* "dec 24": this year's, or next year's once it has passed */
		int year = tm.tm_year + 1900;

		for (int tries = 0; tries < 2; tries++) {
			struct tm want = { 0 };

			want.tm_year = year - 1900;
			want.tm_mon = mon;
			want.tm_mday = d;
			want.tm_hour = h < 0 ? default_hour : h;
			want.tm_min = m;
			want.tm_isdst = -1;
			*out = mktime(&want);
			if (*out == (time_t)-1)
				break;
			if (want.tm_mday != d || want.tm_mon != mon) {
				if (tries == 0 && mon == 1 && d == 29) {   /* 29 feb: the next leap year */
					year += 4 - year % 4;
					continue;
				}
				return fail(why, cap, "%s has no day %d", mon_long[mon], d);
			}
			if (!since && *out <= now)
				year++;
			else if (since && *out > now)
				year--;
			else
				return 0;
		}
		if (*out != (time_t)-1 && ((!since && *out > now) || (since && *out <= now)))
			return 0;
		break;
	}
	case 4: {
		struct tm want = { 0 };

		if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || y > 9999)
			return fail(why, cap, "'%04d-%02d-%02d' is not a date", y, mo, d);
		want.tm_year = y - 1900;
		want.tm_mon = mo - 1;
		want.tm_mday = d;
		want.tm_hour = h < 0 ? default_hour : h;
		want.tm_min = m;
		want.tm_isdst = -1;
		*out = mktime(&want);
		if (*out == (time_t)-1 || want.tm_mday != d || want.tm_mon != mo - 1)
			return fail(why, cap, "'%04d-%02d-%02d' is not a date", y, mo, d);
		if (*out - now > WHEN_MAX_SPAN || now - *out > WHEN_MAX_SPAN)
			return fail(why, cap, "'%s' is too far away", in);
		return 0;
	}
	}
	return fail(why, cap, "'%s' cannot be placed on the calendar", in);
}

int
when_parse(const char *s, time_t now, time_t *out, char *why, size_t why_cap)
{
	return parse_core(s, now, WHEN_DEFAULT_HOUR, 0, out, why, why_cap);
}

int
when_parse_since(const char *s, time_t now, time_t *out, char *why, size_t why_cap)
{
	char buf[WHEN_INPUT_MAX + 1];
	long secs, days;
	struct tm tm;
	int rc;

	if (strlen(s) <= WHEN_INPUT_MAX && normalise(s, buf, sizeof(buf)) == 0) {
		size_t n = strlen(buf);

		if (n > 4 && strcmp(buf + n - 4, " ago") == 0)
			buf[n - 4] = '\0';
		rc = parse_span(buf, &secs, &days);
		if (rc == -1)
			return fail(why, why_cap, "'%s' is too long ago", s);
		if (rc == 1) {
			if (days == 0) {
				*out = now - secs;
				return 0;
			}
			local(now, &tm);
			if (at_day(now, -(int)days, tm.tm_hour, tm.tm_min, out) != 0)
				return fail(why, why_cap, "'%s' cannot be placed on the calendar", s);
			*out += tm.tm_sec;
			return 0;
		}
	}
	rc = parse_core(s, now, 0, 1, out, why, why_cap);
	if (rc != 0)
		return fail(why, why_cap, "'%s' is not a span or a day: say e.g. '30d', '2w', "
		    "'yesterday' or '2026-11-01'", s);
	if (*out > now)
		return fail(why, why_cap, "'%s' is in the future", s);
	return 0;
}

static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

long
when_day(time_t t)
{
	struct tm tm;

	local(t, &tm);
	return days_from_civil(tm.tm_year + 1900L, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

/* Times a peer sent may be anything: only years 1970-9999 are shown as dates. */
#define WHEN_SANE_MAX ((time_t)253402300799)

static int
insane(time_t t, time_t now, char *buf, size_t cap)
{
	if (t >= 0 && t <= WHEN_SANE_MAX && now >= 0 && now <= WHEN_SANE_MAX)
		return 0;
	snprintf(buf, cap, "at an odd time");
	return 1;
}

void
when_ago(char *buf, size_t cap, time_t t, time_t now)
{
	struct tm tm, tn;
	long dd;
	time_t diff;

	if (insane(t, now, buf, cap))
		return;
	diff = now - t;
	if (diff < -300) {
		when_at(buf, cap, t, now);
		return;
	}
	if (diff < 60) {
		snprintf(buf, cap, "just now");
		return;
	}
	if (diff < 3600) {
		snprintf(buf, cap, "%ld min ago", (long)(diff / 60));
		return;
	}
	if (diff < 6 * 3600) {
		snprintf(buf, cap, "%ld h ago", (long)(diff / 3600));
		return;
	}
	local(t, &tm);
	local(now, &tn);
	dd = when_day(now) - when_day(t);
	if (dd == 0)
		snprintf(buf, cap, "today %02d:%02d", tm.tm_hour, tm.tm_min);
	else if (dd == 1)
		snprintf(buf, cap, "yesterday %02d:%02d", tm.tm_hour, tm.tm_min);
	else if (dd < 7)
		snprintf(buf, cap, "%s %02d:%02d", wday_show[tm.tm_wday], tm.tm_hour, tm.tm_min);
	else if (tm.tm_year == tn.tm_year)
		snprintf(buf, cap, "%d %s", tm.tm_mday, mon_show[tm.tm_mon]);
	else
		snprintf(buf, cap, "%d %s %d", tm.tm_mday, mon_show[tm.tm_mon], tm.tm_year + 1900);
}

void
when_at(char *buf, size_t cap, time_t t, time_t now)
{
	struct tm tm;
	long dd;
	time_t diff;

	if (insane(t, now, buf, cap))
		return;
	diff = t - now;
	if (diff < 0) {
		when_ago(buf, cap, t, now);
		return;
	}
	/* Under a minute away is now: never "in 0 min". */
	if (diff < 60) {
		snprintf(buf, cap, "now");
		return;
	}
	if (diff < 3600) {
		snprintf(buf, cap, "in %ld min", (long)((diff + 59) / 60));
		return;
	}
	local(t, &tm);
	dd = when_day(t) - when_day(now);
	if (dd == 0)
		snprintf(buf, cap, "%s %02d:%02d", tm.tm_hour >= 17 ? "tonight" : "today",
		    tm.tm_hour, tm.tm_min);
	else if (dd == 1)
		snprintf(buf, cap, "tomorrow %02d:%02d", tm.tm_hour, tm.tm_min);
	else if (dd < 7)
		snprintf(buf, cap, "%s %02d:%02d", wday_show[tm.tm_wday], tm.tm_hour, tm.tm_min);
	else
		snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min);
}

void
when_until(char *buf, size_t cap, time_t t, time_t from, time_t now)
{
	struct tm tm;

	if (insane(t, now, buf, cap) || insane(from, now, buf, cap))
		return;
	/* The end of a window on the day it starts reads as a clock time. */
	if (t > now && when_day(t) == when_day(from > now ? from : now)) {
		local(t, &tm);
		snprintf(buf, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
		return;
	}
	when_at(buf, cap, t, now);
}
