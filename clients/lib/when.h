/*
 * Times as people say them, and times shown the way people read them.
 * Everything is in local time (the TZ environment variable), relative to a
 * `now` the caller passes, so tests are deterministic.
 *
 * Accepted by when_parse (case-insensitive, spaces or a 'T' between parts):
 *   now                          now
 *   +30m  +2h  +2d  +1w          from now (also "in 2 days", "in 3 hours")
 *   20:00  8pm  9:30am           the next time the clock shows it (today or tomorrow)
 *   tonight                      today 20:00 (now when that has passed)
 *   today / tomorrow [TIME|PART] that day at TIME (default 20:00)
 *   mon .. sun, monday .. sunday the next such day (today if TIME is still ahead)
 *   next fri                     the same, but never today (1 to 7 days ahead)
 *   dec 24, 24 december [TIME]   that day (default 20:00), next year once it has passed
 *   2026-12-01 [TIME]            that date (default 20:00)
 * "at", "on" and "this" may join the parts ("dec 24 at 8pm", "this fri").
 * PART is morning 09:00, noon 12:00, afternoon 15:00, evening 19:00, night 21:00.
 */
#ifndef ATTUNE_WHEN_H
#define ATTUNE_WHEN_H

#include <stddef.h>
#include <time.h>

#define WHEN_DEFAULT_HOUR 20

/* 0, or ATT_EINVAL with a one-line reason in why ("'sat 25:00': no such time of day"). */
int when_parse(const char *s, time_t now, time_t *out, char *why, size_t why_cap);
/*
 * A start point for --since: a span back from now ("30d", "2w", "12h", "90m",
 * "7 days") or anything when_parse takes that is not in the future.
 */
int when_parse_since(const char *s, time_t now, time_t *out, char *why, size_t why_cap);
/* "just now", "20 min ago", "3 h ago", "yesterday 21:40", "Tue 09:10", "2 Dec", "2 Dec 2025". */
void when_ago(char *buf, size_t cap, time_t t, time_t now);
/* A future (or past) moment: "now" (under a minute), "in 40 min", "tonight 20:00", "tomorrow 09:00", "Sat 20:00", "2026-12-01 20:00". */
void when_at(char *buf, size_t cap, time_t t, time_t now);
/*
 * The end of a window that starts at from, after "until": "22:15" when it is
 * later the same day as the window's start (or as now, for a window already
 * open), else as when_at ("tomorrow 04:00").
 */
void when_until(char *buf, size_t cap, time_t t, time_t from, time_t now);
/* The local calendar day of t as a number that grows by one per day (for per-day buckets). */
long when_day(time_t t);

#endif
