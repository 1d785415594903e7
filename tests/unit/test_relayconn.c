/*
 * daemon/relayconn.c against a small fake relay in the same libuv loop (a
 * Noise IK responder that answers the hello, pings and one test request):
 * handshake and hello, request/reply by id, pushes, a keepalive that finds a
 * relay which stopped answering and reconnects, retries against a closed
 * port until stopped, and freeing in every state without leaks (ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "proto/err.h"
#include "proto/addr.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/noise.h"
#include "daemon/relayconn.h"

/* ---- the fake relay: one connection at a time ---- */

struct fake {
	uv_loop_t *loop;
	uv_tcp_t server;
	uint8_t sk[32], pk[32];
	int port;
	int answer_pings;
	int handshakes;
	int pings;
	struct fconn *conn;
};

struct fconn {
	uv_tcp_t tcp;
	struct fake *f;
	struct frame_dec *dec;
	struct noise_hs *hs;
	struct noise_cs *cs;
	uint8_t buf[70000];
};

static void
f_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	struct fconn *c = h->data;

	(void)n;
	*b = uv_buf_init((char *)c->buf, 4096);
}

static void
f_on_close(uv_handle_t *h)
{
	struct fconn *c = h->data;

	frame_dec_free(c->dec);
	noise_hs_free(c->hs);
	noise_cs_free(c->cs);
	free(c);
}

static void
f_on_write(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

static void
f_write(struct fconn *c, const uint8_t *body, size_t len)
{
	uv_write_t *w = malloc(sizeof *w);
	uint8_t *b = malloc(len + 2);
	uv_buf_t ub;

	frame_put_header(b, len);
	memcpy(b + 2, body, len);
	w->data = b;
	ub = uv_buf_init((char *)b, (unsigned)(len + 2));
	uv_write(w, (uv_stream_t *)&c->tcp, &ub, 1, f_on_write);
}

static void
f_send(struct fconn *c, const struct msg_out *o)
{
	uint8_t ct[1024];
	int n = noise_cs_encrypt(c->cs, ct, sizeof ct, msg_out_data(o), msg_out_len(o));

	assert_true(n > 0);
	f_write(c, ct, (size_t)n);
}

static void
f_close(struct fconn *c)
{
	if (c->f->conn == c)
		c->f->conn = NULL;
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, f_on_close);
}

static void
f_frame(struct fconn *c, const uint8_t *fr, size_t len)
{
	uint8_t pt[4096], out[512];
	struct msg_out o;
	struct msg *m = NULL;
	int n;

	msg_out_init(&o);
	if (c->hs != NULL) {
		n = noise_hs_read(c->hs, pt, sizeof pt, fr, len);
		assert_true(n >= 0);
		msg_out_begin(&o, "hello", 0, 3);
		msg_out_uint(&o, "v", 1);
		msg_out_bool(&o, "registered", 1);
		msg_out_uint(&o, "max_frame", 65535);
		n = noise_hs_write(c->hs, out, sizeof out, msg_out_data(&o), msg_out_len(&o));
		assert_true(n > 0);
		f_write(c, out, (size_t)n);
		assert_int_equal(noise_hs_split(c->hs, &c->cs, NULL), 0);
		noise_hs_free(c->hs);
		c->hs = NULL;
		c->f->handshakes++;
		msg_out_free(&o);
		return;
	}
	n = noise_cs_decrypt(c->cs, pt, sizeof pt, fr, len);
	assert_true(n >= 0);
	assert_int_equal(msg_parse(pt, (size_t)n, NULL, &m, NULL), 0);
	if (msg_is_type(m, "ping")) {
		c->f->pings++;
		if (c->f->answer_pings) {
			msg_out_pong(&o, msg_id(m));
			f_send(c, &o);
		}
	} else if (msg_is_type(m, "test")) {
		/* A push first, then the reply. */
		msg_out_begin(&o, "np_closed", 0, 1);
		msg_out_uint(&o, "np", 42);
		f_send(c, &o);
		msg_out_reset(&o);
		msg_out_begin(&o, "ok", msg_id(m), 0);
		f_send(c, &o);
	}
	msg_free(m);
	msg_out_free(&o);
}

static void
f_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct fconn *c = s->data;
	const uint8_t *in = (const uint8_t *)buf->base, *fr;
	size_t left = nread > 0 ? (size_t)nread : 0, flen;

	if (nread < 0) {
		f_close(c);
		return;
	}
	while (left > 0) {
		int used = frame_dec_feed(c->dec, in, left, &fr, &flen);

		assert_true(used >= 0);
		in += used;
		left -= (size_t)used;
		if (fr != NULL)
			f_frame(c, fr, flen);
	}
}

static void
f_on_conn(uv_stream_t *server, int status)
{
	struct fake *f = server->data;
	struct fconn *c = calloc(1, sizeof *c);

	assert_int_equal(status, 0);
	uv_tcp_init(f->loop, &c->tcp);
	c->tcp.data = c;
	c->f = f;
	c->dec = frame_dec_new(FRAME_MAX);
	c->hs = noise_hs_responder(f->sk, (const uint8_t *)NOISE_PROLOGUE, 8);
	assert_int_equal(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
	if (f->conn != NULL)
		f_close(f->conn);
	f->conn = c;
	uv_read_start((uv_stream_t *)&c->tcp, f_alloc, f_read);
}

static void
fake_start(struct fake *f, uv_loop_t *loop)
{
	struct sockaddr_in sa;
	struct sockaddr_storage got;
	int len = sizeof got;

	memset(f, 0, sizeof *f);
	f->loop = loop;
	f->answer_pings = 1;
	noise_keypair(f->pk, f->sk);
	uv_tcp_init(loop, &f->server);
	f->server.data = f;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&f->server, (const struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->server, 8, f_on_conn), 0);
	uv_tcp_getsockname(&f->server, (struct sockaddr *)&got, &len);
	f->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
}

static void
fake_stop(struct fake *f)
{
	if (f->conn != NULL)
		f_close(f->conn);
	uv_close((uv_handle_t *)&f->server, NULL);
}

/* ---- the device side ---- */

struct dev {
	int ups, downs, pushes, replies, null_replies, registered;
	uint64_t last_np;
	uv_loop_t *loop;
	int stop_after_ups;
};

static void
d_up(void *arg, int registered)
{
	struct dev *d = arg;

	d->ups++;
	d->registered = registered;
	if (d->stop_after_ups && d->ups >= d->stop_after_ups)
		uv_stop(d->loop);
}

static void
d_push(void *arg, const struct msg *m)
{
	struct dev *d = arg;

	d->pushes++;
	assert_true(msg_is_type(m, "np_closed"));
	assert_int_equal(msg_get_uint(msg_root(m), "np", 1000, &d->last_np), 0);
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
	} else {
		assert_true(msg_is_type(reply, "ok"));
		d->replies++;
	}
	uv_stop(d->loop);
}

static void
on_deadline(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop until something calls uv_stop or ms pass. */
static void
run_for(uv_loop_t *loop, uint64_t ms)
{
	uv_timer_t t;

	uv_timer_init(loop, &t);
	uv_timer_start(&t, on_deadline, ms, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static void
drain(uv_loop_t *loop)
{
	int i;

	for (i = 0; i < 10 && uv_run(loop, UV_RUN_NOWAIT) != 0; i++)
		;
}

static void
make_addr(struct addr *a, const struct fake *f, int port)
{
	memset(a, 0, sizeof *a);
	strcpy(a->host, "127.0.0.1");
	a->port = (uint16_t)port;
	memcpy(a->key, f->pk, 32);
}

static void
test_handshake_request_push(void **state)
{
	uv_loop_t loop;
	struct fake f;
	struct dev d;
	struct relayconn *rc;
	struct addr a;
	uint8_t pk[32], sk[32];
	struct msg_out o;
	uint64_t id;

	(void)state;
	uv_loop_init(&loop);
	fake_start(&f, &loop);
	memset(&d, 0, sizeof d);
	d.loop = &loop;
	d.stop_after_ups = 1;
	noise_keypair(pk, sk);
	rc = relayconn_new(&loop, &dev_ops, &d);
	assert_non_null(rc);
	make_addr(&a, &f, f.port);
	assert_int_equal(relayconn_request(rc, NULL, 1, d_reply, &d), ATT_ESTATE);
	assert_int_equal(relayconn_start(rc, &a, sk), 0);
	run_for(&loop, 5000);
	assert_int_equal(d.ups, 1);
	assert_int_equal(d.registered, 1);
	assert_true(relayconn_is_up(rc));
	assert_int_equal(relayconn_connects(rc), 1);

	msg_out_init(&o);
	id = relayconn_next_id(rc);
	msg_out_begin(&o, "test", id, 0);
	assert_int_equal(relayconn_request(rc, &o, id, d_reply, &d), 0);
	msg_out_free(&o);
	run_for(&loop, 5000);
	assert_int_equal(d.replies, 1);
	assert_int_equal(d.pushes, 1);
	assert_int_equal(d.last_np, 42);

	/* A request still pending when the connection stops gets its NULL reply. */
	msg_out_init(&o);
	id = relayconn_next_id(rc);
	msg_out_begin(&o, "never-answered", id, 0);
	assert_int_equal(relayconn_request(rc, &o, id, d_reply, &d), 0);
	msg_out_free(&o);
	relayconn_stop(rc);
	assert_int_equal(d.null_replies, 1);
	assert_false(relayconn_is_up(rc));

	relayconn_free(rc);
	fake_stop(&f);
	drain(&loop);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* The relay stops answering pings: the keepalive drops the path and reconnects. */
static void
test_keepalive_reconnects(void **state)
{
	uv_loop_t loop;
	struct fake f;
	struct dev d;
	struct relayconn *rc;
	struct addr a;
	uint8_t pk[32], sk[32];

	(void)state;
	uv_loop_init(&loop);
	fake_start(&f, &loop);
	f.answer_pings = 0;
	memset(&d, 0, sizeof d);
	d.loop = &loop;
	d.stop_after_ups = 2;
	noise_keypair(pk, sk);
	rc = relayconn_new(&loop, &dev_ops, &d);
	relayconn_set_keepalive(rc, 30);
	relayconn_set_backoff(rc, 10, 20);
	make_addr(&a, &f, f.port);
	relayconn_start(rc, &a, sk);
	run_for(&loop, 10000);
	assert_int_equal(d.ups, 2);
	assert_true(d.downs >= 1);
	assert_true(f.pings >= 1);
	assert_int_equal(f.handshakes, 2);
	assert_int_equal(relayconn_connects(rc), 2);
	relayconn_free(rc);
	fake_stop(&f);
	drain(&loop);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Nothing listens: it keeps retrying (with backoff) until stopped, then stays quiet. */
static void
test_retries_until_stopped(void **state)
{
	uv_loop_t loop;
	struct fake f;
	struct dev d;
	struct relayconn *rc;
	struct addr a;
	uint8_t pk[32], sk[32];
	int port, downs;

	(void)state;
	uv_loop_init(&loop);
	fake_start(&f, &loop);
	port = f.port;
	fake_stop(&f);          /* the port is closed now */
	drain(&loop);
	memset(&d, 0, sizeof d);
	d.loop = &loop;
	noise_keypair(pk, sk);
	rc = relayconn_new(&loop, &dev_ops, &d);
	relayconn_set_backoff(rc, 5, 20);
	make_addr(&a, &f, port);
	relayconn_start(rc, &a, sk);
	run_for(&loop, 400);
	assert_true(d.downs >= 2);
	assert_int_equal(d.ups, 0);
	relayconn_stop(rc);
	downs = d.downs;
	run_for(&loop, 100);
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
