/*
 * What the frequent reads need from the history, found without reading the
 * history: `status`, the rain-check service and one page of `log` cost in
 * proportion to partners, open bids and the page, not to how much has
 * happened.
 *
 * A small summary is kept sealed in the store (kv "history", padded to
 * 512-byte steps so its size tells little): each person's newest check-in
 * that is not retracted, the bids that may still be open, the rain checks
 * that may still show or come due, and the seq of the last event it has
 * seen. history_update brings it up to date with the events stored since
 * (all of them the first time, e.g. a store written before the summary
 * existed: one pass over the history, one event in memory at a time). The
 * rest (answers and retractions of a bid, a response's check-in) is found by
 * index (store_event_refs, store_event_find).
 */
#ifndef ATTUNE_DAEMON_HISTORY_H
#define ATTUNE_DAEMON_HISTORY_H

#include <stdint.h>

struct event;
struct store;
struct view;

/*
 * Catches the summary up with the events stored since it last looked. Call
 * it in the transaction that stores events, so it costs no commit of its
 * own; the reads below call it too, so a missed call costs only time.
 */
int history_update(struct store *st, uint64_t now);

/*
 * Fills v (empty) with every event `status` shows or consults at now: the
 * newest check-in of each person with its retractions, the bids that may be
 * open with their answers and retractions, the rain checks with their bids,
 * and the check-ins those answers were given with; all within the last
 * VIEW_WINDOW, newest first. The view relations (view_latest_checkin,
 * view_bid_state, ...) then answer as they would over the whole window.
 */
int history_status_view(struct store *st, uint64_t now, struct view *v);

/*
 * Our rain checks due after done: those due by now into due (empty; newest
 * first) and the earliest one after now in *next (0 = none). Only rain
 * checks given within the last 2 * VIEW_WINDOW count.
 */
int history_rainchecks(struct store *st, uint64_t now, uint64_t done, struct view *due,
    uint64_t *next);

/*
 * What showing ev in a history that starts at since consults, into v (reset
 * first): a bid's answers and retractions, a response's check-in.
 */
int history_relations(struct store *st, const struct event *ev, uint64_t since, struct view *v);

#endif
