/*
 * A small set of events with the relations between them (retractions,
 * answers to a bid): what the read requests (daemon/cmd_read.c) and the
 * rain-check service show. The set is never the whole history: it is
 * what daemon/history.c finds by index for one status, one event of a log
 * page or the rain checks due, so its size follows partners and open bids.
 *
 * Events are added with their seq (order of arrival; a seq already in the
 * view is not added twice), view_sort puts them newest first, and
 * view_free wipes the copies. view_reset empties a view and keeps its memory.
 */
#ifndef ATTUNE_DAEMON_VIEW_H
#define ATTUNE_DAEMON_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "proto/event.h"

#define VIEW_WINDOW (30 * 86400)   /* status looks at the last 30 days */
#define VIEW_SPARK_SHOWN 43200     /* status shows a spark match for 12 hours */

struct view {
	struct event *ev;
	int64_t *seq;
	size_t n, cap;
};

/* A store_row_fn: appends a copy of ev unless seq is there already (1 = stop: out of memory). */
int view_add_row(void *arg, const struct event *ev, int64_t seq);
/*
 * A store_event_fn: appends a copy of ev, in the order given (no seq: do
 * not view_sort). For a window read whole, which costs what the window holds.
 */
int view_add(void *arg, const struct event *ev);
/* Newest first: ts, then seq. 0 or ATT_ENOMEM. */
int view_sort(struct view *v);
void view_reset(struct view *v);
void view_free(struct view *v);
/* Retracted by its own author (anyone else's retraction is ignored). */
int view_retracted(const struct view *v, const struct event *e);
const struct event *view_find(const struct view *v, const uint8_t id[EVENT_ID_LEN]);
/* Responses to bid (only ours when mine_only). */
size_t view_answers(const struct view *v, const uint8_t bid[EVENT_ID_LEN], int mine_only);
/*
 * One answer per bid and person: the newest response of its author to its
 * bid stands; earlier ones are replaced (kept in the log, never counted).
 */
int view_answer_stands(const struct view *v, const struct event *resp);
/* The standing answer of person to bid, NULL when they have not answered. */
const struct event *view_standing_answer(const struct view *v, const uint8_t bid[EVENT_ID_LEN],
    const uint8_t person[32]);
/* How many answers person gave to bid (more than one: the answer was changed). */
size_t view_answers_by(const struct view *v, const uint8_t bid[EVENT_ID_LEN], const uint8_t person[32]);
/*
 * When a bid closes: the end of its window (until_ts), else 04:00 after
 * the start of its window (from_ts) or after it was made: "tonight" ends at
 * 04:00. attuned writes until_ts on every new bid; this reads older ones.
 */
uint64_t view_bid_closes(const struct event *bid);
/* 04:00 local time after t. */
uint64_t view_next_morning(uint64_t t);
/*
 * "retracted", "closed" (its window ended, or none of its people is a
 * partner any more: partner(arg, key) says), "answered" or "open".
 */
typedef int (*view_partner_fn)(void *arg, const uint8_t person[32]);
const char *view_bid_state_at(const struct view *v, const struct event *bid, uint64_t now,
    view_partner_fn partner, void *arg);
/* "retracted", "answered" or "open" (no closing: the log's view of a bid). */
const char *view_bid_state(const struct view *v, const struct event *bid);
/* person's newest check-in unless retracted or expired at now; NULL when none. */
const struct event *view_latest_checkin(const struct view *v, const uint8_t person[32], uint64_t now);

#endif
