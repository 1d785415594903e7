/*
 * PSI rounds between partners' daemons (docs/PROTOCOL.md 9.7): the rounds in
 * progress, their messages cut into fragments that ride the Double Ratchet
 * as inner messages {"t":"psi"} (each padded to the same 256-byte bucket as
 * a check-in), reassembly, time-outs and the timer that starts spark rounds.
 * What a round compares and what its result means belongs to
 * daemon/spark.c and daemon/wishes.c.
 *
 * Rounds live in memory only: a daemon that restarts abandons its rounds,
 * and the partner's side abandons them at its time-out. Nothing of a round
 * (points, answers, the partner's messages) is ever written to disk.
 */
#ifndef ATTUNE_DAEMON_ROUNDS_H
#define ATTUNE_DAEMON_ROUNDS_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "proto/psi.h"

struct daemon;
struct event;
struct rounds;

enum rounds_kind { ROUNDS_SPARK = 1, ROUNDS_WISHES = 2 };

#define ROUNDS_FRAG 176          /* bytes of a PSI message per inner message */
#define ROUNDS_MAX 32            /* rounds in progress at once */

struct rounds *rounds_new(struct daemon *d);
/* Abandons every round (waiting clients get an error); frees once libuv is done. */
void rounds_free(struct rounds *r);

/* The pair's binding and this side's role (docs/PROTOCOL.md 9.5). */
void rounds_bind(struct daemon *d, const uint8_t partner[32], uint8_t bind[PSI_BIND_LEN], int *role);
/* 1 when this device runs its person's rounds (the own device with the smallest relay key). */
int rounds_is_round_device(struct daemon *d);

/*
 * Takes over a started psi and sends what it has to send. kind and partner
 * say who gets the result; epoch is the spark period (0 for wishes);
 * custom (ncustom NUL-terminated texts, in the order psi_set_custom got them)
 * lets wishes name its custom matches. ATT_ELIMIT when too many rounds run.
 */
int rounds_begin(struct daemon *d, enum rounds_kind kind, const uint8_t partner[32],
    const uint8_t round_id[PSI_ROUND_ID_LEN], uint64_t epoch, struct psi *p,
    char custom[][PSI_KEY_MAX + 1], size_t ncustom, void *waiter);
/* A round of this kind with partner is in progress. */
int rounds_running(struct daemon *d, enum rounds_kind kind, const uint8_t partner[32]);

/*
 * An inner {"t":"psi"} message from a device of partner, inside the
 * delivery transaction. *have_ev = 1 and ev filled when it completed a round
 * that produced an event to show (a spark match), pushed by the caller
 * after the commit. Returns 0 or the reason it was refused (logged by code).
 */
int rounds_recv(struct daemon *d, const uint8_t partner[32], const msgpack_object *root,
    struct event *ev, int *have_ev);

/* May a spark round with partner start in period epoch? (Backs off while unanswered.) */
int rounds_spark_due(struct daemon *d, const uint8_t partner[32], uint64_t epoch);
/* Re-arms the timer (the spark period changed, a spark was set). */
void rounds_arm(struct rounds *r);
/* Now, in milliseconds (wall clock: spark periods are the same on both sides). */
uint64_t rounds_now_ms(void);

#endif
