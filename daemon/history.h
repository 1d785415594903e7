/*
 * What the frequent reads need from the history, found without reading the
 * history: `status`, the rain-check service and one page of `log` cost in
 * proportion to partners, open bids and the page, not to how much has
 * happened.
 *
 * A small summary is kept sealed in the store (kv "history", padded to
 * 512-byte steps so its size tells little): each person's newest check-in
 * that is not retracted, the bids that may still be open (and spark
 * matches still shown), the rain checks
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
 * Fills v (empty) with every event `status` shows at now, and everything
 * those consult (see history_relations), within the last VIEW_WINDOW,
 * newest first: the newest check-in of each person, the bids that may be
 * open, the rain checks that may show. The view relations
 * (view_latest_checkin, view_bid_state_at, view_answer_stands, ...) then
 * answer as they would over the whole window.
 */
int history_status_view(struct store *st, uint64_t now, struct view *v);

/*
 * Fills v (empty) with the rain checks given within 2 * VIEW_WINDOW (ours,
 * and those given to us: the service reminds both sides) that come due
 * after done, and what decides whether they stand (their bid, its
 * retraction, the other answers to it), from that window, newest first.
 */
int history_raincheck_view(struct store *st, uint64_t now, uint64_t done, struct view *v);

/*
 * ev (stored as seq) and what showing it consults, from a history that
 * starts at since, into v (reset first), newest first: a check-in's or a
 * bid's retractions and answers; a response's bid, the other answers to
 * that bid and the check-in it was given with. Use ev's copy in v
 * (view_find) where a relation compares events by address.
 */
int history_relations(struct store *st, const struct event *ev, int64_t seq, uint64_t since,
    struct view *v);

#endif
