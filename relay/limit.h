/*
 * Abuse limits: token buckets, and a bounded table of per-source-address
 * counters (open connections, handshake and nameplate buckets). Addresses
 * are kept in memory only, never written to disk or logs.
 */
#ifndef RELAY_LIMIT_H
#define RELAY_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "relay/htab.h"

/* A token bucket: starts full. */
struct bucket {
	float tokens;
	double last;            /* seconds (monotonic) of the last refill */
};

void limit_bucket_init(struct bucket *, double burst, double now);
/* Takes n tokens if there are that many (refilling at rate/s up to burst): 1, else 0. */
int limit_take(struct bucket *, double rate, double burst, double now, double n);

struct limit_src {
	struct htab_node node;
	uint8_t ip[16];          /* IPv4 as ::ffff:a.b.c.d */
	uint32_t conns;          /* open connections from this address */
	struct bucket hs;        /* handshakes */
	struct bucket np;        /* nameplate allocations and claims */
};

struct limit_srcs;

/* max: most addresses tracked at once (beyond it new addresses are refused). */
struct limit_srcs *limit_srcs_new(size_t max);
void limit_srcs_free(struct limit_srcs *);
/* The entry for ip (created with full buckets); NULL when the table is full. */
struct limit_src *limit_src_get(struct limit_srcs *, const uint8_t ip[16],
    double hs_burst, double np_burst, double now);
/* Forgets addresses with no connection whose buckets are full again. */
void limit_srcs_sweep(struct limit_srcs *, double hs_rate, double hs_burst,
    double np_rate, double np_burst, double now);
size_t limit_srcs_count(const struct limit_srcs *);

#endif
