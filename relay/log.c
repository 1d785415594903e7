#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relay/log.h"

/*
 * The line is formatted into one buffer and handed to stdio in one piece, so
 * an unbuffered stderr costs one write(2) per line (four before), and lines
 * from two threads never interleave. The timestamp is formatted once a second.
 */
void
log_event(const struct log *lg, const char *event, const char *fmt, ...)
{
	static _Thread_local time_t ts_sec = (time_t)-1;
	static _Thread_local char ts[32];
	char buf[512], *line = buf;
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	FILE *f = lg != NULL && lg->f != NULL ? lg->f : stderr;
	int n, m = 0;
	size_t cap = sizeof buf;

	if (now != ts_sec) {
		gmtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		ts_sec = now;
	}
	for (;;) {
		n = snprintf(line, cap, "ts=%s event=%s", ts, event);
		if (n >= 0 && fmt != NULL && fmt[0] != '\0') {
			if ((size_t)n < cap)
				line[n] = ' ';
			n++;
			va_start(ap, fmt);
			m = (size_t)n < cap ? vsnprintf(line + n, cap - (size_t)n, fmt, ap) :
			    vsnprintf(NULL, 0, fmt, ap);
			va_end(ap);
			n = m < 0 ? -1 : n + m;
		}
		if (n < 0 || (size_t)n + 1 < cap || line != buf)
			break;
		/* Longer than the stack buffer (rare): once more on the heap. */
		cap = (size_t)n + 2;
		if ((line = malloc(cap)) == NULL)
			break;
	}
	if (line != NULL && n >= 0 && (size_t)n + 1 < cap) {
		line[n++] = '\n';
		flockfile(f);
		fwrite(line, 1, (size_t)n, f);
		fflush(f);
		funlockfile(f);
	}
	if (line != buf)
		free(line);
}
