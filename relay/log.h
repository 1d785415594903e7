/*
 * The relay's event log: one line per event on stderr, "key=value" pairs,
 * starting with ts= and event=. Never message content, keys or (unless the
 * operator asked with --log-addresses) client addresses.
 */
#ifndef RELAY_LOG_H
#define RELAY_LOG_H

#include <stdio.h>

struct log {
	FILE *f;            /* stderr, or a test's file */
	int addresses;      /* --log-addresses */
};

/* Writes "ts=... event=EVENT " then the formatted pairs and a newline, flushed. */
void log_event(const struct log *, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
