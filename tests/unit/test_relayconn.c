/*
 * daemon/relayconn.c against the real relay (relay/server.c) running in this
 * process on a loop of its own, so a test can stop turning that loop and the
 * relay stops answering, as a relay behind a dead path does: handshake and
 * hello, request/reply by id, pushes (a nameplate message from another
 * connection), a pending request answered NULL on stop, a keepalive that
 * finds the silent relay and reconnects once it answers again, retries
 * against a closed port until stopped, and freeing in every state without
 * leaks (ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "proto/err.h"
#include "proto/addr.h"
#include "proto/msg.h"
#include "proto/noise.h"
#include "daemon/relayconn.h"
#include "relay/relaycfg.h"
#include "relay/server.h"
#include "tests/unit/tutil.h"

/* ---- the relay, on its own loop ---- */

struct relay {
	uv_loop_t loop;
	struct server *srv;
	FILE *log;
	char *dir;
	struct addr addr;
	int frozen;           /* its loop is not turned: it answers nothing */
};

static void
relay_start(struct relay *r, const char *name)
{
	struct relaycfg cfg;
	char why[512], a[ADDR_STR_MAX];

	memset(r, 0, sizeof *r);
	assert_int_equal(uv_loop_init(&r->loop), 0);
	r->dir = tutil_tmpdir(name);
	relaycfg_defaults(&cfg);
	r->srv = calloc(1, sizeof *r->srv);
	assert_non_null(r->srv);
	r->log = fopen("/dev/null", "w");
	r->srv->log.f = r->log;
	if (server_init(r->srv, &r->loop, r->dir, &cfg, "127.0.0.1", 0, why, sizeof why) != 0)
		fail_msg("relay: %s", why);
	assert_true(server_address(r->srv, a, sizeof a, "127.0.0.1") >= 0);
	assert_int_equal(addr_parse(&r->addr, a), 0);
}

static void
relay_stop(struct relay *r)
{
	server_stop(r->srv);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	server_free(r->srv);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&r->loop), 0);
	free(r->srv);
	free(r->dir);
	fclose(r->log);
	r->srv = NULL;
}

/* ---- the device side ---- */

struct dev {
	int ups, downs, registered;
	int pushes, replies, null_replies;
	char push_type[32], reply_type[32];
	uint64_t np;
};

static void
d_up(void *arg, int registered)
{
	struct dev *d = arg;

	d->ups++;
	d->registered = registered;
}

static void
d_push(void *arg, const struct msg *m)
{
	struct dev *d = arg;

	d->pushes++;
	msg_get_strz(msg_root(m), "t", d->push_type, sizeof d->push_type);
}

static void
d_down(void *arg, int err)
{
	struct dev *d = arg;

	(void)err;
	d->downs++;
}

static const struct relayconn_ops dev_ops = { d_up, d_push, d_down };

static void
d_reply(void *arg, const struct msg *reply)
{
	struct dev *d = arg;

	if (reply == NULL) {
		d->null_replies++;
		return;
	}
	d->replies++;
	msg_get_strz(msg_root(reply), "t", d->reply_type, sizeof d->reply_type);
	msg_get_uint(msg_root(reply), "np", 1000000, &d->np);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Turns the device's loop and (unless frozen) the relay's until *flag >= want or ms pass. */
static void
run_until(uv_loop_t *dev, struct relay *r, const int *flag, int want, double ms)
{
	double until = now_ms() + ms;

	while ((flag == NULL || *flag < want) && now_ms() < until) {
		int busy = uv_run(dev, UV_RUN_NOWAIT);

		if (r != NULL && r->srv != NULL && !r->frozen)
			busy |= uv_run(&r->loop, UV_RUN_NOWAIT);
		(void)busy;
		usleep(500);
	}
}

static void
drain(uv_loop_t *loop)
{
	int i;

	for (i = 0; i < 10 && uv_run(loop, UV_RUN_NOWAIT) != 0; i++)
		;
}

static void
request(struct relayconn *rc, struct dev *d, const char *type, uint64_t np, const char *data)
{
	struct msg_out o;
	uint64_t id;

	msg_out_init(&o);
	id = relayconn_next_id(rc);
	msg_out_begin(&o, type, id, (size_t)(np != 0) + (data != NULL));
	if (np != 0)
		msg_out_uint(&o, "np", np);
	if (data != NULL)
		msg_out_bin(&o, "data", (const uint8_t *)data, strlen(data));
	assert_int_equal(relayconn_request(rc, &o, id, d_reply, d), 0);
	msg_out_free(&o);
}

static void
test_handshake_request_push(void **state)
{
	uv_loop_t loop;
	struct relay r;
	struct dev a, b;
	struct relayconn *ra, *rb;
	uint8_t pk[32], ska[32], skb[32];
	int replies;

	(void)state;
	uv_loop_init(&loop);
	relay_start(&r, "relayconn_push");
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	noise_keypair(pk, ska);
	noise_keypair(pk, skb);
	ra = relayconn_new(&loop, &dev_ops, &a);
	rb = relayconn_new(&loop, &dev_ops, &b);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(relayconn_request(ra, NULL, 1, d_reply, &a), ATT_ESTATE);
	assert_int_equal(relayconn_start(ra, &r.addr, ska), 0);
	assert_int_equal(relayconn_start(rb, &r.addr, skb), 0);
	run_until(&loop, &r, &a.ups, 1, 5000);
	run_until(&loop, &r, &b.ups, 1, 5000);
	assert_int_equal(a.ups, 1);
	assert_int_equal(a.registered, 0);   /* a key the relay never saw */
	assert_true(relayconn_is_up(ra));
	assert_int_equal(relayconn_connects(ra), 1);

	/* Request and reply by id: A opens a nameplate, B claims it. */
	request(ra, &a, "np_alloc", 0, NULL);
	run_until(&loop, &r, &a.replies, 1, 5000);
	assert_string_equal(a.reply_type, "nameplate");
	assert_true(a.np > 0);
	request(rb, &b, "np_claim", a.np, NULL);
	run_until(&loop, &r, &b.replies, 1, 5000);
	assert_string_equal(b.reply_type, "ok");

	/* A push: what A sends on the nameplate reaches B unasked. */
	replies = a.replies;
	request(ra, &a, "np_send", a.np, "hello B");
	run_until(&loop, &r, &b.pushes, 1, 5000);
	assert_int_equal(b.pushes, 1);
	assert_string_equal(b.push_type, "np_msg");
	run_until(&loop, &r, &a.replies, replies + 1, 5000);
	assert_string_equal(a.reply_type, "ok");

	/* A request still pending when the connection stops gets its NULL reply. */
	request(ra, &a, "ping", 0, NULL);
	relayconn_stop(ra);
	assert_int_equal(a.null_replies, 1);
	assert_false(relayconn_is_up(ra));

	relayconn_free(ra);
	relayconn_free(rb);
	drain(&loop);
	run_until(&loop, &r, NULL, 0, 50);
	relay_stop(&r);
	drain(&loop);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* The relay falls silent: the keepalive drops the path, and reconnects once it answers. */
static void
test_keepalive_reconnects(void **state)
{
	uv_loop_t loop;
	struct relay r;
	struct dev d;
	struct relayconn *rc;
	uint8_t pk[32], sk[32];

	(void)state;
	uv_loop_init(&loop);
	relay_start(&r, "relayconn_keepalive");
	memset(&d, 0, sizeof d);
	noise_keypair(pk, sk);
	rc = relayconn_new(&loop, &dev_ops, &d);
	relayconn_set_keepalive(rc, 30);
	relayconn_set_backoff(rc, 10, 20);
	relayconn_start(rc, &r.addr, sk);
	run_until(&loop, &r, &d.ups, 1, 5000);
	assert_int_equal(d.ups, 1);
	r.frozen = 1;             /* no more answers, not even to pings */
	run_until(&loop, &r, &d.downs, 1, 5000);
	assert_true(d.downs >= 1);
	assert_int_equal(d.ups, 1);
	r.frozen = 0;
	run_until(&loop, &r, &d.ups, 2, 10000);
	assert_int_equal(d.ups, 2);
	assert_true(relayconn_connects(rc) >= 2);
	relayconn_free(rc);
	drain(&loop);
	run_until(&loop, &r, NULL, 0, 50);
	relay_stop(&r);
	drain(&loop);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Nothing listens: it keeps retrying (with backoff) until stopped, then stays quiet. */
static void
test_retries_until_stopped(void **state)
{
	uv_loop_t loop;
	struct relay r;
	struct dev d;
	struct relayconn *rc;
	struct addr a;
	uint8_t pk[32], sk[32];
	int downs;

	(void)state;
	uv_loop_init(&loop);
	relay_start(&r, "relayconn_closed");
	a = r.addr;
	relay_stop(&r);           /* the port is closed now */
	memset(&d, 0, sizeof d);
	noise_keypair(pk, sk);
	rc = relayconn_new(&loop, &dev_ops, &d);
	relayconn_set_backoff(rc, 5, 20);
	relayconn_start(rc, &a, sk);
	run_until(&loop, NULL, &d.downs, 2, 2000);
	assert_true(d.downs >= 2);
	assert_int_equal(d.ups, 0);
	relayconn_stop(rc);
	downs = d.downs;
	run_until(&loop, NULL, NULL, 0, 100);
	assert_int_equal(d.downs, downs);
	/* Freeing while a connect is in flight is safe too. */
	relayconn_start(rc, &a, sk);
	relayconn_free(rc);
	drain(&loop);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_request_push),
		cmocka_unit_test(test_keepalive_reconnects),
		cmocka_unit_test(test_retries_until_stopped),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("relayconn", tests, NULL, NULL);
}
