/*
 * Group commit. Every write the relay makes is a commit_op; the ops that
 * arrive during one loop turn are run by one worker thread in one SQLite
 * transaction (each op inside its own savepoint, so one op's failure does not
 * undo another's), and only after COMMIT returns (synchronous=FULL: fsynced)
 * is each op's done() called on the loop thread to answer the peer. While a
 * batch is on disk the next one gathers.
 *
 * Memory: an op belongs to whoever submitted it; done() is where it is freed.
 */
#ifndef RELAY_COMMIT_H
#define RELAY_COMMIT_H

#include <uv.h>

#include "relay/relaydb.h"

struct commit_op {
	struct commit_op *next;
	/* Worker thread: the write. Returns 0 or a negative code; it is rolled back on < 0. */
	int (*run)(struct commit_op *, struct relaydb *);
	/* Loop thread, after the commit: result is run's, or RELAYDB_EIO if the commit failed. */
	void (*done)(struct commit_op *);
	int result;
	/*
	 * 1: run inside a savepoint, so a failure undoes only this op. 0 for ops
	 * that change nothing when they fail short of an I/O error (one-item puts,
	 * acks); an I/O error there fails the whole batch.
	 */
	int savepoint;
};

struct commit;

struct commit *commit_new(uv_loop_t *, struct relaydb *writer);
/* Frees the queue; it must be idle (commit_idle). */
void commit_free(struct commit *);
void commit_submit(struct commit *, struct commit_op *);
/* 1 when nothing is queued or on disk. */
int commit_idle(const struct commit *);
/* Called (once) each time the queue becomes idle, e.g. to finish a shutdown. */
void commit_on_idle(struct commit *, void (*cb)(void *), void *arg);
/* Batches committed and ops run so far, for stats. */
void commit_counts(const struct commit *, uint64_t *batches, uint64_t *ops);

#endif
