#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/config.h"
#include "proto/addr.h"
#include "proto/err.h"

/* The parse state inih hands back to config_line; the first error wins. */
struct config_parse {
	struct config *c;
	char why[256];
	int failed;
};

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->notify = NOTIFY_DISCREET;
	c->quiet_start = -1;
	c->quiet_end = -1;
	c->bid_pause = 12 * 3600;
	c->retention = 0;
}

/* "HH:MM" -> minutes after midnight, or -1. */
static int
parse_hhmm(const char *s, size_t n)
{
	unsigned h, m;
	char buf[8], tail;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sscanf(buf, "%u:%u%c", &h, &m, &tail) != 2 || h > 23 || m > 59)
		return -1;
	return (int)(h * 60 + m);
}

/* "90d", "12h", "3600", "0", "forever" -> seconds; -1 when malformed. */
static int
parse_duration(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (strcasecmp(s, "forever") == 0 || strcasecmp(s, "never") == 0) {
		*out = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 7 * 86400; break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > UINT64_MAX / mul / 2)
		return -1;
	*out = (uint64_t)v * mul;
	return 0;
}

static int
config_fail(struct config_parse *cp, const char *fmt, const char *a, const char *b)
{
	if (!cp->failed)
		snprintf(cp->why, sizeof(cp->why), fmt, a, b);
	cp->failed = 1;
	return 0;
}

static int
config_line(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse *cp = user;
	struct config *c = cp->c;
	struct addr a;
	char why[160];

	if (cp->failed)
		return 1;   /* report only the first error */
	if (strcmp(section, "relay") == 0 && strcmp(name, "address") == 0) {
		if (value[0] != '\0' && addr_parse_ex(&a, value, why, sizeof(why)) != 0)
			return config_fail(cp, "relay address: %s%s", why, "");
		if (strlen(value) >= sizeof(c->relay))
			return config_fail(cp, "relay address is too long%s%s", "", "");
		snprintf(c->relay, sizeof(c->relay), "%s", value);
	} else if (strcmp(section, "notifications") == 0 && strcmp(name, "mode") == 0) {
		if (strcmp(value, "discreet") == 0)
			c->notify = NOTIFY_DISCREET;
		else if (strcmp(value, "full") == 0)
			c->notify = NOTIFY_FULL;
		else if (strcmp(value, "off") == 0)
			c->notify = NOTIFY_OFF;
		else
			return config_fail(cp, "notifications mode \"%s\" is not one of "
			    "full, discreet, off%s", value, "");
	} else if (strcmp(section, "notifications") == 0 && strcmp(name, "quiet_hours") == 0) {
		const char *dash = strchr(value, '-');
		int s, e;

		if (value[0] == '\0' || strcmp(value, "none") == 0) {
			c->quiet_start = c->quiet_end = -1;
			return 1;
		}
		if (dash == NULL)
			return config_fail(cp, "quiet_hours \"%s\" should look like 22:00-07:00%s", value, "");
		s = parse_hhmm(value, (size_t)(dash - value));
		e = parse_hhmm(dash + 1, strlen(dash + 1));
		if (s < 0 || e < 0 || s == e)
			return config_fail(cp, "quiet_hours \"%s\" should look like 22:00-07:00%s", value, "");
		c->quiet_start = s;
		c->quiet_end = e;
	} else if (strcmp(section, "history") == 0 && strcmp(name, "retention") == 0) {
		if (parse_duration(value, &c->retention) != 0)
			return config_fail(cp, "retention \"%s\" should be a number with a unit "
			    "(s, m, h, d, w), e.g. 90d, or \"forever\"%s", value, "");
	} else if (strcmp(section, "bids") == 0 && strcmp(name, "pause_after_no") == 0) {
		if (parse_duration(value, &c->bid_pause) != 0)
			return config_fail(cp, "pause_after_no \"%s\" should be a number with a unit "
			    "(s, m, h, d, w), e.g. 12h, or 0%s", value, "");
	} else {
		return config_fail(cp, "unknown setting \"%s\" in section [%s]", name, section);
	}
	return 1;
}

int
config_load(struct config *c, const char *path, int must_exist, char *why, size_t why_cap)
{
	struct config_parse cp = { .c = c };
	FILE *f;
	int line;

	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(why, why_cap, "%s: %s", path, strerror(errno));
		return ATT_EIO;
	}
	line = ini_parse_file(f, config_line, &cp);
	fclose(f);
	if (line == 0 && !cp.failed)
		return 0;
	if (line < 0) {
		snprintf(why, why_cap, "%s: cannot read the file", path);
		return ATT_EIO;
	}
	if (!cp.failed)
		snprintf(cp.why, sizeof(cp.why), "syntax error (expected [section] or key = value)");
	snprintf(why, why_cap, "%s:%d: %s", path, line, cp.why);
	return ATT_EINVAL;
}

int
config_is_quiet(const struct config *c, int m)
{
	if (c->quiet_start < 0)
		return 0;
	if (c->quiet_start < c->quiet_end)
		return m >= c->quiet_start && m < c->quiet_end;
	return m >= c->quiet_start || m < c->quiet_end;   /* across midnight */
}
