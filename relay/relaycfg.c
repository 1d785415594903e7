#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>

#include "proto/err.h"
#include "proto/frame.h"
#include "relay/relaycfg.h"

enum kind { K_DUR, K_SIZE, K_COUNT, K_RATE, K_BOOL, K_URL };

/* The table of settings: one place for names, kinds and bounds. */
static const struct setting {
	const char *section, *key;
	enum kind kind;
	size_t off;
	double lo, hi;
} settings[] = {
#define S(sec, k, kind, f, lo, hi) { sec, k, kind, offsetof(struct relaycfg, f), lo, hi }
	S("storage", "url", K_URL, store_url, 0, 0),
	S("storage", "ttl", K_DUR, ttl, 60, 3650.0 * 86400),
	S("storage", "mailbox_envelopes", K_COUNT, mailbox_envelopes, 1, 1e9),
	S("storage", "mailbox_bytes", K_SIZE, mailbox_bytes, 1024, 1e13),
	S("storage", "envelope_max", K_SIZE, envelope_max, 64, 65000),
	S("storage", "otk_max", K_COUNT, otk_max, 0, 10000),
	S("invites", "device_invites", K_BOOL, device_invites, 0, 1),
	S("invites", "device_invites_per_day", K_COUNT, device_invites_per_day, 0, 1e6),
	S("invites", "max_uses", K_COUNT, invite_max_uses, 1, 1e6),
	S("invites", "max_ttl", K_DUR, invite_max_ttl, 1, 3650.0 * 86400),
	S("invites", "default_ttl", K_DUR, invite_default_ttl, 1, 3650.0 * 86400),
	S("limits", "connections", K_COUNT, connections, 1, 1e6),
	S("limits", "connections_per_address", K_COUNT, connections_per_address, 1, 1e6),
	S("limits", "handshake_rate", K_RATE, handshake_rate, 0.001, 1e6),
	S("limits", "handshake_burst", K_RATE, handshake_burst, 1, 1e6),
	S("limits", "handshake_timeout", K_DUR, handshake_timeout, 1, 3600),
	S("limits", "idle_timeout", K_DUR, idle_timeout, 1, 86400),
	S("limits", "frame_max", K_SIZE, frame_max, 1024, FRAME_MAX),
	S("limits", "preauth_frame_max", K_SIZE, preauth_frame_max, 96, 4096),
	S("limits", "put_rate", K_RATE, put_rate, 0.001, 1e7),
	S("limits", "put_burst", K_RATE, put_burst, 1, 1e7),
	S("limits", "prekey_rate", K_RATE, prekey_rate, 0.001, 1e6),
	S("limits", "prekey_burst", K_RATE, prekey_burst, 1, 1e6),
	S("limits", "prekey_target_rate", K_RATE, prekey_target_rate, 0.001, 1e6),
	S("limits", "prekey_target_burst", K_RATE, prekey_target_burst, 1, 1e6),
	S("limits", "register_rate", K_RATE, register_rate, 0.0001, 1e6),
	S("limits", "register_burst", K_RATE, register_burst, 1, 1e6),
	S("limits", "batch_max", K_COUNT, batch_max, 1, 1024),
	S("limits", "out_buffer", K_SIZE, out_buffer, 70000, 1e9),
	S("limits", "deliver_window", K_COUNT, deliver_window, 1, 4096),
	S("limits", "pending_requests", K_COUNT, pending_requests, 1, 4096),
	S("nameplates", "ttl", K_DUR, nameplate_ttl, 1, 86400),
	S("nameplates", "max", K_COUNT, nameplates_max, 1, 100000),
	S("nameplates", "rate", K_RATE, nameplate_rate, 0.001, 1e6),
	S("nameplates", "burst", K_RATE, nameplate_burst, 1, 1e6),
	S("nameplates", "per_address", K_COUNT, nameplates_per_address, 1, 100000),
	S("nameplates", "messages", K_COUNT, nameplate_messages, 1, 1000),
	S("nameplates", "data_max", K_SIZE, nameplate_data_max, 64, 65000),
	S("relay", "stats_interval", K_DUR, stats_interval, 1, 86400),
	S("relay", "sweep_interval", K_DUR, sweep_interval, 1, 86400),
#undef S
};

void
relaycfg_defaults(struct relaycfg *c)
{
	memset(c, 0, sizeof *c);
	c->ttl = 30 * 86400;
	c->mailbox_envelopes = 10000;
	c->mailbox_bytes = 64ull << 20;
	c->envelope_max = 60000;
	c->otk_max = 200;
	c->device_invites = 0;
	c->device_invites_per_day = 10;
	c->invite_max_uses = 100;
	c->invite_max_ttl = 30 * 86400;
	c->invite_default_ttl = 7 * 86400;
	c->connections = 10000;
	c->connections_per_address = 64;
	c->handshake_rate = 20;
	c->handshake_burst = 5;
	c->handshake_timeout = 10;
	c->idle_timeout = 600;
	c->frame_max = FRAME_MAX;
	c->preauth_frame_max = 256;
	c->put_rate = 2000;
	c->put_burst = 4000;
	/* A device fetches a bundle once per new partner device: a few a minute is plenty. */
	c->prekey_rate = 0.5;
	c->prekey_burst = 30;
	c->prekey_target_rate = 0.1;
	c->prekey_target_burst = 20;
	c->register_rate = 0.01;
	c->register_burst = 10;
	c->batch_max = 256;
	c->out_buffer = 1u << 20;
	c->deliver_window = 64;
	c->pending_requests = 64;
	c->nameplate_ttl = 600;
	c->nameplates_max = 1000;
	c->nameplate_rate = 1;
	c->nameplate_burst = 10;
	c->nameplates_per_address = 4;
	c->nameplate_messages = 16;
	c->nameplate_data_max = 4096;
	c->stats_interval = 5;
	c->sweep_interval = 60;
}

static int
parse_scaled(const char *s, uint64_t *out, const char *units, const uint64_t *mult)
{
	char *end;
	unsigned long long v;
	const char *u;

	if (s == NULL || *s < '0' || *s > '9')
		return ATT_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return ATT_ERANGE;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return ATT_EINVAL;
		if (v > UINT64_MAX / mult[u - units])
			return ATT_ERANGE;
		v *= mult[u - units];
	}
	*out = v;
	return 0;
}

int
relaycfg_parse_duration(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400, 7 * 86400 };

	return parse_scaled(s, out, "smhdw", mult);
}

int
relaycfg_parse_size(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1, 1024, 1024, 1 << 20, 1 << 20, 1 << 30, 1 << 30 };

	return parse_scaled(s, out, "BKkMmGg", mult);
}

int
relaycfg_set(struct relaycfg *c, const char *section, const char *key, const char *value)
{
	size_t i;
	uint64_t u;
	double d;
	char *end;

	for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		const struct setting *st = &settings[i];
		char *p = (char *)c + st->off;
		int r;

		if (strcmp(st->key, key) != 0 ||
		    (section != NULL && *section != '\0' && strcmp(st->section, section) != 0))
			continue;
		switch (st->kind) {
		case K_URL:
			/* A PostgreSQL URL; empty: SQLite in the data folder. */
			if (strlen(value) >= sizeof c->store_url)
				return ATT_ETOOBIG;
			if (*value != '\0' && strncmp(value, "postgresql://", 13) != 0 &&
			    strncmp(value, "postgres://", 11) != 0)
				return ATT_EINVAL;
			strcpy(p, value);
			return 0;
		case K_BOOL:
			if (strcasecmp(value, "true") == 0 || strcasecmp(value, "yes") == 0 ||
			    strcmp(value, "1") == 0)
				*(int *)p = 1;
			else if (strcasecmp(value, "false") == 0 || strcasecmp(value, "no") == 0 ||
			    strcmp(value, "0") == 0)
				*(int *)p = 0;
			else
				return ATT_EINVAL;
			return 0;
		case K_RATE:
			errno = 0;
			d = strtod(value, &end);
			if (errno != 0 || end == value || *end != '\0')
				return ATT_EINVAL;
			if (!(d >= st->lo && d <= st->hi))
				return ATT_ERANGE;
			*(double *)p = d;
			return 0;
		case K_DUR:
			r = relaycfg_parse_duration(value, &u);
			break;
		case K_SIZE:
			r = relaycfg_parse_size(value, &u);
			break;
		default:
			r = parse_scaled(value, &u, "", NULL);
			break;
		}
		if (r < 0)
			return r;
		if ((double)u < st->lo || (double)u > st->hi)
			return ATT_ERANGE;
		*(uint64_t *)p = u;
		return 0;
	}
	return ATT_ENOTFOUND;
}

struct load_ctx {
	struct relaycfg *c;
	char *why;
	size_t why_cap;
	int err;
};

static int
on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	int r = relaycfg_set(lc->c, section, name, value);

	if (r == 0)
		return 1;
	if (lc->err == 0) {
		lc->err = ATT_EINVAL;
		if (lc->why != NULL)
			/* A URL may hold a password: never echo it. */
			snprintf(lc->why, lc->why_cap, "[%s] %s = %s: %s", section, name,
			    strcmp(name, "url") == 0 ? "(not shown)" : value,
			    r == ATT_ENOTFOUND ? "unknown setting" :
			    r == ATT_ERANGE ? "value out of range" :
			    strcmp(name, "url") == 0 ? "expected postgresql://..." : "cannot parse the value");
	}
	return 0;
}

int
relaycfg_load(struct relaycfg *c, const char *path, char *why, size_t why_cap)
{
	struct load_ctx lc = { c, why, why_cap, 0 };
	int r = ini_parse(path, on_ini, &lc);

	if (r == -1) {
		if (why != NULL)
			snprintf(why, why_cap, "cannot open %s: %s", path, strerror(errno));
		return ATT_EIO;
	}
	if (lc.err != 0) {
		if (why != NULL && r > 0) {
			char tmp[256];
			snprintf(tmp, sizeof tmp, "%s line %d: %s", path, r, why);
			snprintf(why, why_cap, "%s", tmp);
		}
		return lc.err;
	}
	if (r != 0) {
		if (why != NULL)
			snprintf(why, why_cap, "%s line %d: not an INI line", path, r);
		return ATT_EINVAL;
	}
	if (c->handshake_burst < 1 || c->put_burst < 1)
		return ATT_ERANGE;
	return 0;
}
