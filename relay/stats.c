#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto/err.h"
#include "relay/stats.h"

static const char *const names[REASON_N] = {
#define X(n) #n,
	STATS_REASONS(X)
#undef X
};

const char *
stats_reason_name(enum stats_reason r)
{
	return r < REASON_N ? names[r] : "unknown";
}

int
stats_write(const struct stats *s, const char *dir)
{
	char path[4096], tmp[4200];
	FILE *f;
	int i;

	snprintf(path, sizeof path, "%s/stats", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return ATT_EIO;
	fprintf(f, "started %" PRIu64 "\nconnections %" PRIu64 "\nconnections_total %" PRIu64
	    "\nhandshakes %" PRIu64 "\nregistrations %" PRIu64 "\nputs %" PRIu64
	    "\nput_items %" PRIu64 "\ndelivers %" PRIu64 "\nacks %" PRIu64 "\nbatches %" PRIu64
	    "\nnameplates %" PRIu64 "\nstore_up %" PRIu64 "\n", s->started, s->conns_open,
	    s->conns_total, s->handshakes, s->registrations, s->puts, s->put_items, s->delivers,
	    s->acks, s->batches, s->nameplates, s->store_up);
	for (i = 0; i < REASON_N; i++)
		fprintf(f, "reject_%s %" PRIu64 "\n", names[i], s->reject[i]);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return ATT_EIO;
	}
	return 0;
}

int
stats_print(FILE *out, const char *dir, int json, const uint64_t totals[4])
{
	static const char *const tnames[4] = {
		"registered_devices", "stored_envelopes", "stored_bytes", "open_invites"
	};
	char path[4096], key[64];
	unsigned long long v;
	FILE *f;
	int i, first = 1, running = 0;

	snprintf(path, sizeof path, "%s/stats", dir);
	f = fopen(path, "r");
	if (json)
		fputc('{', out);
	for (i = 0; i < 4; i++) {
		if (json)
			fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",", tnames[i], totals[i]);
		else
			fprintf(out, "%-28s %" PRIu64 "\n", tnames[i], totals[i]);
		first = 0;
	}
	while (f != NULL && fscanf(f, "%63s %llu", key, &v) == 2) {
		running = 1;
		if (json)
			fprintf(out, ",\"%s\":%llu", key, v);
		else
			fprintf(out, "%-28s %llu\n", key, v);
	}
	if (f != NULL)
		fclose(f);
	if (json)
		fprintf(out, ",\"counters\":%s}\n", running ? "true" : "false");
	else if (!running)
		fprintf(out, "(no counters yet: the relay has not run with this folder)\n");
	return 0;
}
