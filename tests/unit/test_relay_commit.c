/* relay/commit: group commit — ops of one loop turn share one transaction, answered after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "relay/commit.h"
#include "relay/relaydb.h"
#include "tests/unit/tutil.h"

struct put {
	struct commit_op op;
	const uint8_t *dev;
	int fail_after;      /* store, then report an error: the savepoint must undo it */
	int *done_count;
	uint64_t seq;
};

static int
put_run(struct commit_op *op, struct relaydb *db)
{
	struct put *p = (struct put *)op;
	struct relaydb_quota q = { 1000, 1000000 };
	int r = relaydb_put(db, p->dev, p->dev, (const uint8_t *)"env", 3, 1, &q, &p->seq);

	if (r == 0 && p->fail_after)
		return RELAYDB_EFULL;
	return r;
}

static void
put_done(struct commit_op *op)
{
	struct put *p = (struct put *)op;

	(*p->done_count)++;
}

struct submit_ctx {
	struct commit *c;
	struct put *puts;
	int n;
	int *done;
	int answered_early;
};

/* Ops arrive from callbacks (reads) in the relay: submit them from one timer callback. */
static void
submit_cb(uv_timer_t *t)
{
	struct submit_ctx *s = t->data;
	int i;

	for (i = 0; i < s->n; i++)
		commit_submit(s->c, &s->puts[i].op);
	s->answered_early = *s->done != 0 || commit_idle(s->c);
	uv_close((uv_handle_t *)t, NULL);
}

static void
test_group_commit(void **state)
{
	uv_loop_t loop;
	struct relaydb *w, *r;
	struct commit *c;
	char why[256], tok[RELAYDB_TOKEN_MAX + 1];
	char *dir = tutil_tmpdir("relay_commit");
	uint8_t dev[32];
	struct put puts[50];
	uint64_t batches, ops, ndev, nenv, bytes, inv;
	int done = 0, i;
	uv_timer_t timer;
	struct submit_ctx sc;

	(void)state;
	randombytes_buf(dev, sizeof dev);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(relaydb_open(&w, dir, why, sizeof why), 0);
	assert_int_equal(relaydb_open(&r, dir, why, sizeof why), 0);
	relaydb_invite_create(w, tok, NULL, 1, 100, 1);
	assert_int_equal(relaydb_register(w, dev, tok, strlen(tok), 1), 0);
	c = commit_new(&loop, w);
	assert_non_null(c);
	memset(puts, 0, sizeof puts);
	for (i = 0; i < 50; i++) {
		puts[i].op.run = put_run;
		puts[i].op.done = put_done;
		puts[i].op.savepoint = 1;
		puts[i].dev = dev;
		puts[i].fail_after = i == 7;
		puts[i].done_count = &done;
	}
	sc.c = c;
	sc.puts = puts;
	sc.n = 50;
	sc.done = &done;
	sc.answered_early = -1;
	uv_timer_init(&loop, &timer);
	timer.data = &sc;
	uv_timer_start(&timer, submit_cb, 0, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* Nothing was answered before the commit. */
	assert_int_equal(sc.answered_early, 0);
	assert_int_equal(done, 50);
	assert_true(commit_idle(c));
	commit_counts(c, &batches, &ops);
	assert_int_equal(batches, 1);           /* one loop turn, one transaction */
	assert_int_equal(ops, 50);
	assert_int_equal(puts[0].op.result, 0);
	assert_int_equal(puts[7].op.result, RELAYDB_EFULL);
	/* The failed op's write was rolled back; the others are durable. */
	assert_int_equal(relaydb_totals(r, &ndev, &nenv, &bytes, &inv), 0);
	assert_int_equal(nenv, 49);
	assert_int_equal(bytes, 49 * 3);
	commit_free(c);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	relaydb_close(w);
	relaydb_close(r);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_commit),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("relay_commit", tests, NULL, NULL);
}
