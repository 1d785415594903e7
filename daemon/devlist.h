/*
 * Signed device lists (docs/PROTOCOL.md 6.6): the set of a person's devices,
 * signed by the person key, as a hash chain. Linking a device publishes a
 * list with it; revoking publishes one without it. Partners accept a list
 * only when the person key they paired with signed it, every record in it
 * is signed by the same person, and it is the next link of the chain: seq
 * one more than the last list applied and that list's hash inside. So a
 * replayed, skipped or frozen (2^64 - 1) list is refused; two different
 * lists with one seq (a fork: the person key was used twice) are kept and
 * reported, the first one applied staying in force. A device key another
 * person claimed first is skipped with a warning, the rest of the list
 * applied. No wall clock is involved.
 *
 * Wire form (bytes): 1 version (2) | 32 person key | 8 seq (big-endian, 1 for
 * the first list) | 32 hash of the previous list (zeros for the first) |
 * 1 count | count device records (X3DH_DEVREC_LEN each) | 64 Ed25519
 * signature by the person key over "attune/1 devlist" followed by every byte
 * before it. A list's hash is BLAKE2b-256("attune/1 devlist hash" || all of
 * its bytes).
 */
#ifndef ATTUNE_DAEMON_DEVLIST_H
#define ATTUNE_DAEMON_DEVLIST_H

#include <stddef.h>
#include <stdint.h>
#include "proto/x3dh.h"

struct daemon;

#define DEVLIST_VERSION 2
#define DEVLIST_KV_REVOKED "revoked_at"   /* kv: when this device learnt it was revoked */
#define DEVLIST_DEVICES_MAX 16
#define DEVLIST_MAX (1 + 32 + 8 + 32 + 1 + DEVLIST_DEVICES_MAX * X3DH_DEVREC_LEN + 64)

struct devlist {
	uint8_t person[32];
	uint64_t seq;
	uint8_t prev[32];
	uint8_t hash[32];          /* of this list */
	size_t n;
	uint8_t rec[DEVLIST_DEVICES_MAX][X3DH_DEVREC_LEN];
	struct x3dh_devrec dev[DEVLIST_DEVICES_MAX];
	size_t raw_len;
	uint8_t raw[DEVLIST_MAX];  /* the list as verified (kept when it forks) */
};

/* Signs n records as list seq after prev (NULL: the first) into out; returns the length. */
int devlist_make(uint8_t *out, size_t cap, const uint8_t person_sk[64], uint64_t seq,
                 const uint8_t *prev, const uint8_t (*recs)[X3DH_DEVREC_LEN], size_t n);
/* Checks shape, signature (by person when non-NULL) and every record; fills hash. */
int devlist_verify(struct devlist *out, const uint8_t *buf, size_t len, const uint8_t *person);
/* A list's hash, the one the next list names. */
void devlist_hash(uint8_t h[32], const uint8_t *buf, size_t len);
/*
 * Our own next list (non-revoked own devices, plus extra_rec when not
 * NULL), signed by the person key as the link after the last one we made.
 */
int devlist_own(struct daemon *d, uint8_t *out, size_t cap, const uint8_t *extra_rec);
/*
 * Applies a verified list of a known person (a partner or ourselves) inside
 * the caller's transaction: devices new to us are added, ours that are
 * missing are marked revoked and their sessions dropped (a revoked device
 * never comes back). Returns the number of devices added, or ATT_EREPLAY
 * (this or an older list again), ATT_ETOOFAR (a list skipped: seq beyond
 * the next), ATT_EEXIST (a fork: kept, not applied, devlist_forked says so).
 */
int devlist_apply(struct daemon *d, const struct devlist *dl);
/* 1 when person published two lists that contradict each other. */
int devlist_forked(struct daemon *d, const uint8_t person[32]);
/* The contradicting list kept (store_blob_free it); ATT_ENOTFOUND when none. */
int devlist_fork_get(struct daemon *d, const uint8_t person[32], uint8_t **list, size_t *len);

#endif
