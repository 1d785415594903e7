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

#define VIEW_BID_OPEN   (36 * 3600) /* a bid without a window stays open this long */

struct view {
	struct event *ev;
	int64_t *seq;
	size_t n, cap;
};

/* A store_row_fn: appends a copy of ev unless seq is there already (1 = stop: out of memory). */
int view_add_row(void *arg, const struct event *ev, int64_t seq);
/* Newest first: ts, then seq. 0 or ATT_ENOMEM. */
int view_sort(struct view *v);
void view_reset(struct view *v);
void view_free(struct view *v);
/* Retracted by its own author (anyone else's retraction is ignored). */
int view_retracted(const struct view *v, const struct event *e);
const struct event *view_find(const struct view *v, const uint8_t id[EVENT_ID_LEN]);
/* Responses to bid (only ours when mine_only). */
size_t view_answers(const struct view *v, const uint8_t bid[EVENT_ID_LEN], int mine_only);
/* "retracted", "answered" or "open". */
const char *view_bid_state(const struct view *v, const struct event *bid);
/* person's newest check-in unless retracted or expired at now; NULL when none. */
const struct event *view_latest_checkin(const struct view *v, const uint8_t person[32], uint64_t now);

#endif
