/*
 * Signed device lists (docs/PROTOCOL.md 6.6): the set of a person's devices,
 * signed by the person key. Linking a device publishes a list with it;
 * revoking publishes one without it. Partners accept a list only when the
 * person key they paired with signed it, every record in it is signed by the
 * same person, and its version is newer than the last one they applied.
 *
 * Wire form (bytes): 1 version | 32 person key | 8 list version (big-endian,
 * milliseconds since the epoch, strictly increasing per person) | 1 count |
 * count device records (X3DH_DEVREC_LEN each) | 64 Ed25519 signature by the
 * person key over "attune/1 devlist" followed by every byte before it.
 */
#ifndef ATTUNE_DAEMON_DEVLIST_H
#define ATTUNE_DAEMON_DEVLIST_H

#include <stddef.h>
#include <stdint.h>
#include "proto/x3dh.h"

struct daemon;

#define DEVLIST_VERSION 1
#define DEVLIST_DEVICES_MAX 16
#define DEVLIST_MAX (1 + 32 + 8 + 1 + DEVLIST_DEVICES_MAX * X3DH_DEVREC_LEN + 64)

struct devlist {
	uint8_t person[32];
	uint64_t ver;
	size_t n;
	uint8_t rec[DEVLIST_DEVICES_MAX][X3DH_DEVREC_LEN];
	struct x3dh_devrec dev[DEVLIST_DEVICES_MAX];
};

/* Signs n records into out; returns the length. */
int devlist_make(uint8_t *out, size_t cap, const uint8_t person_sk[64], uint64_t ver,
                 const uint8_t (*recs)[X3DH_DEVREC_LEN], size_t n);
/* Checks shape, signature (by person when non-NULL) and every record. */
int devlist_verify(struct devlist *out, const uint8_t *buf, size_t len, const uint8_t *person);
/*
 * Our own current list (non-revoked own devices, plus extra_rec when not
 * NULL), signed now with a version above the last one we made or saw.
 */
int devlist_own(struct daemon *d, uint8_t *out, size_t cap, const uint8_t *extra_rec);
/*
 * Applies a verified list of a known person (a partner or ourselves) inside
 * the caller's transaction: devices new to us are added, ours that are
 * missing are marked revoked and their sessions dropped. ATT_EREPLAY when
 * the version is not newer than the last applied. Returns the number of
 * devices added.
 */
int devlist_apply(struct daemon *d, const struct devlist *dl);
/* Remembers ver as the last list version of person (inside a transaction). */
int devlist_seen(struct daemon *d, const uint8_t person[32], uint64_t ver);

#endif
