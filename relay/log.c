#include <stdarg.h>
#include <time.h>

#include "relay/log.h"

void
log_event(const struct log *lg, const char *event, const char *fmt, ...)
{
	char ts[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	FILE *f = lg != NULL && lg->f != NULL ? lg->f : stderr;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	flockfile(f);
	fprintf(f, "ts=%s event=%s", ts, event);
	if (fmt != NULL && fmt[0] != '\0') {
		fputc(' ', f);
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
	}
	fputc('\n', f);
	fflush(f);
	funlockfile(f);
}
