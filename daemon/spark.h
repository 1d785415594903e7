/*
 * Sparks (docs/PROTOCOL.md 9.7): "I'm in the mood for you", told to the
 * partner only when they spark too. Own sparks are kept sealed in the store
 * (kv "sparks": partner person key, id, until), never sent: every spark
 * period the two daemons run a one-slot PSI round whether anyone sparked or
 * not, so neither the partner nor the relay can tell a lone spark from none.
 * A match becomes a local "spark-match" event on each side, once.
 */
#ifndef ATTUNE_DAEMON_SPARK_H
#define ATTUNE_DAEMON_SPARK_H

#include <stdint.h>

#include "proto/psi.h"

struct call;
struct daemon;
struct event;

#define SPARK_DEFAULT_FOR 7200     /* seconds: 2 h */
#define SPARK_MAX_FOR 43200        /* 12 h */

/* The spark period: $ATTUNE_SPARK_PERIOD_MS (tests), else 300 s. */
uint64_t spark_period_ms(void);
/* A new period began: start this period's round with each partner we lead. */
void spark_tick(struct daemon *d, uint64_t epoch);
/* The round id of period epoch with partner. */
void spark_round_id(struct daemon *d, const uint8_t partner[32], uint64_t epoch,
    uint8_t rid[PSI_ROUND_ID_LEN]);
/* A started one-slot psi for period epoch with partner (our current answer), or NULL. */
struct psi *spark_round(struct daemon *d, const uint8_t partner[32], uint64_t epoch);
/* The round is done: on a match, stores a spark-match (ev, *have_ev = 1) and uses the spark up. */
int spark_done(struct daemon *d, const uint8_t partner[32], struct psi *p, struct event *ev,
    int *have_ev);

/* Local API "spark": {to, for} -> {spark_id, until}; {cancel} -> {cancelled}. */
int spark_cmd(struct call *k);

#endif
