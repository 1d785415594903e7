/*
 * Pairing rendezvous: nameplates are small numbers a device allocates and
 * reads to its partner (the first part of a pairing code). The relay only
 * passes opaque messages between the two sides of a nameplate. A nameplate is
 * single-use (a second claim fails, and once closed it is gone), expires after
 * a configured time, and lives only in memory.
 *
 * Sides are opaque pointers (connections); pushes go through the push
 * callback so this module knows nothing of sockets.
 */
#ifndef RELAY_NAMEPLATE_H
#define RELAY_NAMEPLATE_H

#include <stddef.h>
#include <stdint.h>

enum np_push { NP_MSG, NP_CLOSED };

enum {
	NP_EUNKNOWN = -200,   /* no such nameplate (or expired): "np-unknown" */
	NP_ETAKEN = -201,     /* already claimed: "np-taken" */
	NP_EFULL = -202,      /* too many open: "busy" */
	NP_ENOTSIDE = -203,   /* caller is not a side of it: "not-allowed" */
	NP_EQUEUE = -204,     /* too many messages waiting for the other side: "busy" */
};

struct nameplates;
typedef void (*np_push_fn)(void *ctx, void *side, enum np_push what, uint32_t np,
    const uint8_t *data, size_t len);

struct nameplates *nameplates_new(size_t max, uint64_t ttl, size_t max_queued,
    np_push_fn push, void *ctx);
void nameplates_free(struct nameplates *);
/*
 * owner tags a side with who holds it (the source address entry), so that
 * nameplate_held can count what one owner holds; it may be NULL.
 */
int nameplate_alloc(struct nameplates *, void *side, const void *owner, uint64_t now,
    uint32_t *np, uint64_t *expires);
int nameplate_claim(struct nameplates *, void *side, const void *owner, uint32_t np,
    uint64_t now);
/* How many open nameplates have a side held by owner. */
size_t nameplate_held(const struct nameplates *, const void *owner);
/* Pushes data to the other side, or queues it until the other side claims. */
int nameplate_send(struct nameplates *, void *side, uint32_t np, const uint8_t *data,
    size_t len);
/* Closes the nameplate; the other side (if any) gets NP_CLOSED. */
int nameplate_close(struct nameplates *, void *side, uint32_t np);
/* A side went away: closes every nameplate it is on. */
void nameplate_side_gone(struct nameplates *, void *side);
/* Closes expired nameplates (both sides get NP_CLOSED); returns how many. */
size_t nameplate_sweep(struct nameplates *, uint64_t now);
size_t nameplate_count(const struct nameplates *);

#endif
