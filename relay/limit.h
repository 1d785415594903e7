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
	struct bucket reg;       /* register attempts, checked before any commit */
};

/*
 * The table key of a source address: IPv4 (as ::ffff:a.b.c.d) whole, IPv6
 * cut to its /64, since one subscriber usually holds a whole /64 and would
 * otherwise fill the table with addresses of their own.
 */
void limit_src_key(uint8_t out[16], const uint8_t ip[16]);

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

/*
 * Per-device buckets, keyed by a device's relay key, shared by all of its
 * connections (so reconnecting does not refill them): its put items, the
 * prekey bundles it fetches, and the fetches of its own bundle by anyone.
 */
struct limit_dev {
	struct htab_node node;
	uint8_t key[32];
	struct bucket put;       /* put items sent by this device */
	struct bucket pk_req;    /* prekey_get requests made by this device */
	struct bucket pk_tgt;    /* prekey_get requests for this device's bundle */
};

/* Rates (tokens per second) and bursts of the three device buckets. */
struct limit_dev_rates {
	double put_rate, put_burst, pk_rate, pk_burst, tgt_rate, tgt_burst;
};

struct limit_devs;

struct limit_devs *limit_devs_new(size_t max);
void limit_devs_free(struct limit_devs *);
/* The entry for key (created with full buckets); NULL when the table is full. */
struct limit_dev *limit_dev_get(struct limit_devs *, const uint8_t key[32]);
/* Forgets devices whose buckets are all full again. */
void limit_devs_sweep(struct limit_devs *, const struct limit_dev_rates *, double now);
size_t limit_devs_count(const struct limit_devs *);

#endif
