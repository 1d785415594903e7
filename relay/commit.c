#include <stdlib.h>

#include "relay/commit.h"

struct commit {
	uv_loop_t *loop;
	struct relaydb *st;
	uv_check_t check;        /* end of a loop turn: start a batch */
	uv_work_t work;
	struct commit_op *pending, **pending_tail;
	struct commit_op *batch;
	int busy, check_on;
	void (*idle_cb)(void *);
	void *idle_arg;
	uint64_t batches, ops;
};

/* Worker thread: one transaction for the whole batch. */
static void
work_cb(uv_work_t *w)
{
	struct commit *c = w->data;
	struct commit_op *op;
	int ok = relaydb_begin(c->st) == 0;

	for (op = c->batch; op != NULL; op = op->next) {
		if (!ok) {
			op->result = RELAYDB_EIO;
			continue;
		}
		if (op->savepoint && relaydb_savepoint(c->st) < 0) {
			op->result = RELAYDB_EIO;
			ok = 0;
			continue;
		}
		op->result = op->run(op, c->st);
		if (op->savepoint)
			relaydb_savepoint_release(c->st, op->result >= 0);
		else if (op->result == RELAYDB_EIO)
			ok = 0;
		/* SQLite rolls a whole transaction back on some errors (disk full). */
		if (!relaydb_in_txn(c->st))
			ok = 0;
	}
	if (ok && relaydb_commit(c->st) < 0)
		ok = 0;
	if (!ok) {
		relaydb_rollback(c->st);
		for (op = c->batch; op != NULL; op = op->next)
			if (op->result >= 0)
				op->result = RELAYDB_EIO;
	}
}

static void start(struct commit *);

static void
after_cb(uv_work_t *w, int status)
{
	struct commit *c = w->data;
	struct commit_op *op, *next;

	for (op = c->batch; op != NULL; op = next) {
		next = op->next;
		if (status != 0)
			op->result = RELAYDB_EIO;
		c->ops++;
		op->done(op);
	}
	c->batch = NULL;
	c->busy = 0;
	c->batches++;
	if (c->pending != NULL)
		start(c);
	else if (c->idle_cb != NULL) {
		void (*cb)(void *) = c->idle_cb;
		c->idle_cb = NULL;
		cb(c->idle_arg);
	}
}

static void
start(struct commit *c)
{
	if (c->busy || c->pending == NULL)
		return;
	c->batch = c->pending;
	c->pending = NULL;
	c->pending_tail = &c->pending;
	c->busy = 1;
	c->work.data = c;
	if (uv_queue_work(c->loop, &c->work, work_cb, after_cb) != 0) {
		/* Cannot happen with valid arguments; answer as a storage error. */
		c->busy = 0;
		after_cb(&c->work, -1);
	}
}

static void
check_cb(uv_check_t *h)
{
	struct commit *c = h->data;

	uv_check_stop(h);
	c->check_on = 0;
	start(c);
}

struct commit *
commit_new(uv_loop_t *loop, struct relaydb *writer)
{
	struct commit *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->loop = loop;
	c->st = writer;
	c->pending_tail = &c->pending;
	uv_check_init(loop, &c->check);
	c->check.data = c;
	/* Active (and keeping the loop alive) only while ops wait to be submitted. */
	return c;
}

static void
free_cb(uv_handle_t *h)
{
	free(h->data);
}

void
commit_free(struct commit *c)
{
	if (c != NULL)
		uv_close((uv_handle_t *)&c->check, free_cb);
}

void
commit_submit(struct commit *c, struct commit_op *op)
{
	op->next = NULL;
	*c->pending_tail = op;
	c->pending_tail = &op->next;
	if (!c->busy && !c->check_on) {
		c->check_on = 1;
		uv_check_start(&c->check, check_cb);
	}
}

int
commit_idle(const struct commit *c)
{
	return !c->busy && c->pending == NULL;
}

void
commit_on_idle(struct commit *c, void (*cb)(void *), void *arg)
{
	c->idle_cb = cb;
	c->idle_arg = arg;
}

void
commit_counts(const struct commit *c, uint64_t *batches, uint64_t *ops)
{
	*batches = c->batches;
	*ops = c->ops;
}
