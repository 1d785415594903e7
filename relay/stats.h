/*
 * Counters of the running relay. The relay writes them every few seconds
 * (and at exit) to DIR/stats as "key value" lines, replaced atomically, so
 * `attune-relay stats --data DIR` can read them from another process
 * alongside the totals in the database.
 */
#ifndef RELAY_STATS_H
#define RELAY_STATS_H

#include <stdint.h>
#include <stdio.h>

/* Reasons a peer or request is refused; the log's reason= and the stats' reject_*. */
#define STATS_REASONS(X) \
	X(conn_limit) X(address_limit) X(handshake_rate) X(handshake_timeout) \
	X(handshake_failed) X(frame_too_big) X(truncated) X(decrypt_failed) X(idle_timeout) \
	X(bad_message) X(unknown_type) X(not_registered) X(rate_limited) X(busy) \
	X(slow_reader) X(mailbox_full) X(unknown_device) X(invite_invalid) X(invite_used) \
	X(invite_expired) X(storage) X(not_allowed) X(np_unknown) X(np_taken) X(replaced)

enum stats_reason {
#define X(n) REASON_##n,
	STATS_REASONS(X)
#undef X
	REASON_N
};

struct stats {
	uint64_t started;           /* unix time */
	uint64_t conns_open, conns_total, handshakes, registrations;
	uint64_t puts, put_items, delivers, acks, batches;
	uint64_t nameplates;
	uint64_t store_up;          /* 1 while the store answers (PostgreSQL can go away) */
	uint64_t reject[REASON_N];
};

/* "conn_limit" etc. (the log prints it with dashes: "conn-limit"). */
const char *stats_reason_name(enum stats_reason);
/* Writes DIR/stats atomically. 0 or ATT_EIO. */
int stats_write(const struct stats *, const char *dir);
/* Prints the file's lines plus the database totals, as text or one JSON object. */
int stats_print(FILE *out, const char *dir, int json, const uint64_t totals[4]);

#endif
