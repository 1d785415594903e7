/*
 * Human-readable text for the daemon's replies (docs/PROTOCOL.md 8.2, 8.3):
 * a check-in reads like a person wrote it,
 *   Sam · 20 min ago · mood 2/5 · desire 1/5 · capacity low · tired, stressed · open to: cuddle, talk
 *     "deadline day, would love to just hold you tonight"
 * and the status, the log with per-day sparklines, and one line per event
 * for watch. Fields absent from an event (scoped away from this reader) are
 * simply not shown. Colour and Unicode only when the options say so (the
 * CLI turns them on for a terminal).
 */
#ifndef ATTUNE_RENDER_H
#define ATTUNE_RENDER_H

#include <stdio.h>
#include <time.h>
#include <msgpack.h>

struct render_opts {
	int color;       /* ANSI bold/dim/colour */
	int unicode;     /* "·", "→", sparkline blocks; else ASCII */
	time_t now;
	int width;       /* columns of the terminal; 0 means 80 (trend lines fit in it) */
};

/* One check-in event: the line above, plus the note line when there is one. */
void render_checkin(FILE *f, const msgpack_object *ev, const struct render_opts *o);
/* Any event as it appears in the log and in watch (one or two lines). */
void render_event(FILE *f, const msgpack_object *ev, const struct render_opts *o);
/* The whole status reply (8.3). */
void render_status(FILE *f, const msgpack_object *status, const struct render_opts *o);
/*
 * The log reply: per-person sparklines of mood, desire and capacity from
 * since to now, then the events, newest first. A cell is a day when the
 * days fit in o->width, else a week, else a month (30 days) or as many
 * months as it takes; a longer cell shows the mean of its days.
 */
void render_log(FILE *f, const msgpack_object *log, time_t since, const struct render_opts *o);
/* partners / devices replies as short tables. */
void render_partners(FILE *f, const msgpack_object *rep, const struct render_opts *o);
void render_devices(FILE *f, const msgpack_object *rep, const struct render_opts *o);

/*
 * One sparkline: n cells, v[i] in lo..hi or -1 for no data. Writes into buf
 * (NUL-terminated; 3 bytes per cell in Unicode).
 */
void render_spark(char *buf, size_t cap, const int *v, size_t n, int lo, int hi, int unicode);

#endif
