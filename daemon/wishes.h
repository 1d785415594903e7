/*
 * Wishes (docs/PROTOCOL.md 9.8): private yes/maybe/no answers to the
 * catalogue (proto/catalogue.c) and to custom items, compared with a
 * partner in a PSI round that shows both sides only the items both said yes
 * to (and, when both opted in, the items both said at least maybe to).
 *
 * Store (kv, sealed): "wishes" = own answers and the maybe-tier opt-in,
 * never sent; "wishes-rounds" = per partner, when the last round started and
 * its result (the items in common, which both sides know).
 */
#ifndef ATTUNE_DAEMON_WISHES_H
#define ATTUNE_DAEMON_WISHES_H

#include <stddef.h>
#include <stdint.h>

#include "proto/psi.h"

struct api_req;
struct call;
struct daemon;

/* Seconds between two rounds with one partner: $ATTUNE_WISHES_INTERVAL, else a day. */
uint64_t wishes_interval(void);
/* The shape of a wishes round (catalogue version, size, custom slots, 2 tiers). */
void wishes_params(struct psi_params *p);
/*
 * A started psi for a round with partner (round_id from the initiator),
 * with our answers; custom gets the custom texts in psi order. NULL (and a
 * reason in *why) when a round is not allowed now (the limit).
 */
struct psi *wishes_round(struct daemon *d, const uint8_t partner[32],
    const uint8_t round_id[PSI_ROUND_ID_LEN], char custom[][PSI_KEY_MAX + 1], size_t *ncustom,
    const char **why);
/* Done: stores the result and answers the waiting client (if any). */
void wishes_done(struct daemon *d, const uint8_t partner[32], struct psi *p,
    char custom[][PSI_KEY_MAX + 1], size_t ncustom, struct api_req *waiter);
/* Abandoned (time-out, refused, shutdown): tells the waiting client. */
void wishes_abandoned(struct daemon *d, struct api_req *waiter, const char *why);

int wishes_cmd_list(struct call *k);      /* "wishes" */
int wishes_cmd_set(struct call *k);       /* "wishes-set" {item, answer} or {maybe_tier} */
int wishes_cmd_compare(struct call *k);   /* "wishes-compare" {with} -> later {both, maybe} */

#endif
