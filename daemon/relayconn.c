/*
 * The device's connection to its relay: TCP, Noise IK as initiator, then
 * msgpack requests and pushes inside Noise transport frames.
 *
 * Lifetimes: struct relayconn lives until relayconn_free and the close of its
 * timer. Each TCP attempt is a struct rc_conn of its own, so a stale attempt
 * that libuv is still closing never touches the next one: relayconn_stop and
 * every failure "detach" the attempt (conn->rc = NULL) and uv_close it, and
 * its memory is freed in the close callback, never inside its own callbacks.
 */
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/addr.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/noise.h"
#include "daemon/relayconn.h"

/* Before the relay has proved its key, a frame is at most this long. */
#define RC_PREAUTH_FRAME 4096
/* Time for TCP connect plus the Noise handshake. */
#define RC_HANDSHAKE_MS 10000
/* Bytes queued in the kernel-bound write queue before we give up on the path. */
#define RC_OUT_MAX (4u << 20)
#define RC_READBUF 16384

enum rc_state { RC_IDLE, RC_RESOLVING, RC_CONNECTING, RC_HANDSHAKE, RC_UP, RC_BACKOFF };

struct rc_pending {
	struct rc_pending *next;
	uint64_t id;
	relayconn_reply_fn fn;
	void *arg;
};

struct rc_conn {
	uv_tcp_t tcp;
	uv_connect_t creq;
	struct relayconn *rc;       /* NULL once detached */
	struct frame_dec *dec;
	struct noise_hs *hs;
	struct noise_cs *cs;
	uint8_t rbuf[RC_READBUF];
	uint8_t pt[NOISE_MAXMSG];   /* plaintext of one frame; wiped after use */
};

struct rc_write {
	uv_write_t req;
	struct rc_conn *conn;
	size_t len;
	uint8_t data[];
};

struct relayconn {
	uv_loop_t *loop;
	const struct relayconn_ops *ops;
	void *arg;
	struct addr relay;
	size_t node;                /* relay.nodes[node] is the one tried now */
	uint8_t *dev_priv;          /* sodium_malloc'd, 32 bytes */
	uv_timer_t timer;
	uv_getaddrinfo_t gai;
	int gai_busy;
	int timer_closed;
	int freeing;
	struct rc_conn *conn;
	enum rc_state state;
	int running;
	unsigned attempt;
	uint64_t base_ms, max_ms, keepalive_ms;
	uint64_t next_id;
	int ping_outstanding;
	uint64_t connects;
	struct rc_pending *pending;
};

static void rc_connect_now(struct relayconn *rc);

/* The node this connection attempt goes to. */
static const struct addr_node *
rc_node(const struct relayconn *rc)
{
	return &rc->relay.nodes[rc->node];
}
static void rc_fail(struct relayconn *rc, int err);
static void rc_on_timer(uv_timer_t *t);

struct relayconn *
relayconn_new(uv_loop_t *loop, const struct relayconn_ops *ops, void *arg)
{
	struct relayconn *rc = calloc(1, sizeof *rc);

	if (rc == NULL)
		return NULL;
	rc->dev_priv = sodium_malloc(32);
	if (rc->dev_priv == NULL) {
		free(rc);
		return NULL;
	}
	rc->loop = loop;
	rc->ops = ops;
	rc->arg = arg;
	rc->base_ms = 250;
	rc->max_ms = 30000;
	rc->keepalive_ms = 60000;
	rc->next_id = 1;
	uv_timer_init(loop, &rc->timer);
	rc->timer.data = rc;
	return rc;
}

void
relayconn_set_backoff(struct relayconn *rc, uint64_t base_ms, uint64_t max_ms)
{
	rc->base_ms = base_ms ? base_ms : 1;
	rc->max_ms = max_ms < rc->base_ms ? rc->base_ms : max_ms;
}

void
relayconn_set_keepalive(struct relayconn *rc, uint64_t ms)
{
	rc->keepalive_ms = ms ? ms : 1000;
}

int
relayconn_is_up(const struct relayconn *rc)
{
	return rc->state == RC_UP;
}

uint64_t
relayconn_connects(const struct relayconn *rc)
{
	return rc->connects;
}

uint64_t
relayconn_next_id(struct relayconn *rc)
{
	if (rc->next_id >= MSG_ID_MAX)
		rc->next_id = 1;
	return rc->next_id++;
}

static void
conn_on_close(uv_handle_t *h)
{
	struct rc_conn *conn = h->data;

	frame_dec_free(conn->dec);
	noise_hs_free(conn->hs);
	noise_cs_free(conn->cs);
	sodium_memzero(conn->pt, sizeof conn->pt);
	free(conn);
}

/* Drops the current TCP attempt; its memory goes in the close callback. */
static void
rc_detach(struct relayconn *rc)
{
	struct rc_conn *conn = rc->conn;

	if (conn == NULL)
		return;
	rc->conn = NULL;
	conn->rc = NULL;
	if (!uv_is_closing((uv_handle_t *)&conn->tcp))
		uv_close((uv_handle_t *)&conn->tcp, conn_on_close);
}

/* Every pending request gets its NULL reply; callbacks may add new ones (refused: not up). */
static void
rc_flush_pending(struct relayconn *rc)
{
	struct rc_pending *p = rc->pending;

	rc->pending = NULL;
	while (p != NULL) {
		struct rc_pending *next = p->next;

		p->fn(p->arg, NULL);
		free(p);
		p = next;
	}
}

static uint64_t
rc_backoff_ms(struct relayconn *rc)
{
	uint64_t cap = rc->base_ms;
	unsigned i;

	for (i = 0; i < rc->attempt && cap < rc->max_ms; i++)
		cap *= 2;
	if (cap > rc->max_ms)
		cap = rc->max_ms;
	if (rc->attempt < 64)
		rc->attempt++;
	/* "Equal jitter": half fixed, half random, so retries from many devices spread. */
	return cap / 2 + randombytes_uniform((uint32_t)(cap / 2 + 1));
}

static void
rc_fail(struct relayconn *rc, int err)
{
	int was_up = rc->state == RC_UP;

	rc_detach(rc);
	rc->ping_outstanding = 0;
	if (!rc->running) {
		rc->state = RC_IDLE;
		return;
	}
	rc->state = RC_BACKOFF;
	/* A relay of several nodes: the next one, in order, after the same pause. */
	if (rc->relay.n_nodes > 1)
		rc->node = (rc->node + 1) % rc->relay.n_nodes;
	uv_timer_start(&rc->timer, rc_on_timer, rc_backoff_ms(rc), 0);
	rc_flush_pending(rc);
	if (was_up || err != 0)
		rc->ops->down(rc->arg, err);
}

static void
rc_on_write(uv_write_t *req, int status)
{
	struct rc_write *w = req->data;
	struct rc_conn *conn = w->conn;

	free(w);
	if (status < 0 && conn->rc != NULL)
		rc_fail(conn->rc, ATT_EIO);
}

/* Frames and writes body (already encrypted, or a handshake message). */
static int
rc_write_frame(struct rc_conn *conn, const uint8_t *body, size_t len)
{
	struct rc_write *w;
	uv_buf_t b;

	if (len > FRAME_MAX)
		return ATT_ETOOBIG;
	if (conn->tcp.write_queue_size > RC_OUT_MAX)
		return ATT_ETOOBIG;
	w = malloc(sizeof *w + FRAME_HDR + len);
	if (w == NULL)
		return ATT_ENOMEM;
	frame_put_header(w->data, len);
	memcpy(w->data + FRAME_HDR, body, len);
	w->len = FRAME_HDR + len;
	w->conn = conn;
	w->req.data = w;
	b = uv_buf_init((char *)w->data, (unsigned)w->len);
	if (uv_write(&w->req, (uv_stream_t *)&conn->tcp, &b, 1, rc_on_write) != 0) {
		free(w);
		return ATT_EIO;
	}
	return 0;
}

static int
rc_send(struct relayconn *rc, const uint8_t *pt, size_t len)
{
	uint8_t *ct;
	int n, r;

	if (rc->conn == NULL || rc->conn->cs == NULL)
		return ATT_ESTATE;
	if (len > NOISE_MAXPLAIN)
		return ATT_ETOOBIG;
	ct = malloc(len + NOISE_TAGLEN);
	if (ct == NULL)
		return ATT_ENOMEM;
	n = noise_cs_encrypt(rc->conn->cs, ct, len + NOISE_TAGLEN, pt, len);
	r = n < 0 ? n : rc_write_frame(rc->conn, ct, (size_t)n);
	free(ct);
	return r;
}

int
relayconn_request(struct relayconn *rc, const struct msg_out *req, uint64_t id,
                  relayconn_reply_fn fn, void *arg)
{
	struct rc_pending *p;
	int r;

	if (rc->state != RC_UP)
		return ATT_ESTATE;
	if (msg_out_failed(req))
		return ATT_ENOMEM;
	p = malloc(sizeof *p);
	if (p == NULL)
		return ATT_ENOMEM;
	r = rc_send(rc, msg_out_data(req), msg_out_len(req));
	if (r < 0) {
		free(p);
		if (r == ATT_EIO || r == ATT_ETOOBIG)
			rc_fail(rc, r);
		return r;
	}
	p->id = id;
	p->fn = fn;
	p->arg = arg;
	p->next = rc->pending;
	rc->pending = p;
	return 0;
}

void
relayconn_cancel(struct relayconn *rc, void *arg)
{
	struct rc_pending **pp = &rc->pending;

	while (*pp != NULL) {
		if ((*pp)->arg == arg) {
			struct rc_pending *dead = *pp;

			*pp = dead->next;
			free(dead);
		} else {
			pp = &(*pp)->next;
		}
	}
}

static void
rc_on_pong(void *arg, const struct msg *reply)
{
	struct relayconn *rc = arg;

	if (reply != NULL)
		rc->ping_outstanding = 0;
}

static void
rc_on_timer(uv_timer_t *t)
{
	struct relayconn *rc = t->data;
	struct msg_out o;
	uint64_t id;

	switch (rc->state) {
	case RC_BACKOFF:
		rc_connect_now(rc);
		break;
	case RC_RESOLVING:
	case RC_CONNECTING:
	case RC_HANDSHAKE:
		fprintf(stderr, "attuned: relay handshake timed out\n");
		rc_fail(rc, ATT_EIO);
		break;
	case RC_UP:
		if (rc->ping_outstanding) {
			fprintf(stderr, "attuned: relay stopped answering; reconnecting\n");
			rc_fail(rc, ATT_EIO);
			break;
		}
		msg_out_init(&o);
		id = relayconn_next_id(rc);
		msg_out_begin(&o, "ping", id, 0);
		if (relayconn_request(rc, &o, id, rc_on_pong, rc) == 0)
			rc->ping_outstanding = 1;
		msg_out_free(&o);
		if (rc->state == RC_UP)
			uv_timer_start(&rc->timer, rc_on_timer, rc->keepalive_ms, 0);
		break;
	case RC_IDLE:
		break;
	}
}

static void
rc_dispatch(struct relayconn *rc, const struct msg *m)
{
	struct rc_pending **pp;
	uint64_t id = msg_id(m);

	if (id == 0) {
		rc->ops->push(rc->arg, m);
		return;
	}
	for (pp = &rc->pending; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct rc_pending *p = *pp;

			*pp = p->next;
			p->fn(p->arg, m);
			free(p);
			return;
		}
	}
	/* A reply nobody waits for (cancelled): nothing to do. */
}

/* Handshake message 2: the relay's hello; then the transport is ready. */
static int
rc_on_hello(struct relayconn *rc, struct rc_conn *conn, const uint8_t *f, size_t len)
{
	struct msg *m = NULL;
	int n, r, registered = 0;

	n = noise_hs_read(conn->hs, conn->pt, sizeof conn->pt, f, len);
	if (n < 0)
		return n;
	r = msg_parse(conn->pt, (size_t)n, NULL, &m, NULL);
	sodium_memzero(conn->pt, (size_t)n);
	if (r < 0)
		return r;
	if (!msg_is_type(m, "hello")) {
		msg_free(m);
		return ATT_EUNKNOWNTYPE;
	}
	if (msg_get_bool(msg_root(m), "registered", &registered) < 0)
		registered = 0;
	msg_free(m);
	r = noise_hs_split(conn->hs, &conn->cs, NULL);
	noise_hs_free(conn->hs);
	conn->hs = NULL;
	if (r < 0)
		return r;
	frame_dec_set_max(conn->dec, FRAME_MAX);
	rc->state = RC_UP;
	rc->attempt = 0;
	rc->connects++;
	rc->ping_outstanding = 0;
	uv_timer_start(&rc->timer, rc_on_timer, rc->keepalive_ms, 0);
	rc->ops->up(rc->arg, registered);
	return 0;
}

static int
rc_on_frame(struct relayconn *rc, struct rc_conn *conn, const uint8_t *f, size_t len)
{
	struct msg *m = NULL;
	int n, r;

	if (rc->state == RC_HANDSHAKE)
		return rc_on_hello(rc, conn, f, len);
	n = noise_cs_decrypt(conn->cs, conn->pt, sizeof conn->pt, f, len);
	if (n < 0)
		return n;
	r = msg_parse(conn->pt, (size_t)n, NULL, &m, NULL);
	if (r < 0) {
		sodium_memzero(conn->pt, (size_t)n);
		return r;
	}
	rc_dispatch(rc, m);
	msg_free(m);
	sodium_memzero(conn->pt, (size_t)n);
	return 0;
}

static void
rc_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct rc_conn *conn = h->data;

	(void)suggested;
	*buf = uv_buf_init((char *)conn->rbuf, sizeof conn->rbuf);
}

static void
rc_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct rc_conn *conn = s->data;
	const uint8_t *in = (const uint8_t *)buf->base;
	size_t left = nread > 0 ? (size_t)nread : 0;

	if (conn->rc == NULL)
		return;
	if (nread < 0) {
		if (nread != UV_EOF)
			fprintf(stderr, "attuned: relay connection lost: %s\n", uv_strerror((int)nread));
		else
			fprintf(stderr, "attuned: relay closed the connection\n");
		rc_fail(conn->rc, ATT_EIO);
		return;
	}
	while (left > 0 && conn->rc != NULL) {
		const uint8_t *f;
		size_t flen;
		int used, r;

		used = frame_dec_feed(conn->dec, in, left, &f, &flen);
		if (used < 0) {
			fprintf(stderr, "attuned: relay sent an oversized frame; reconnecting\n");
			rc_fail(conn->rc, used);
			return;
		}
		in += used;
		left -= (size_t)used;
		if (f == NULL)
			continue;
		r = rc_on_frame(conn->rc, conn, f, flen);
		if (r < 0 && conn->rc != NULL) {
			fprintf(stderr, "attuned: bad message from the relay (%s); reconnecting\n",
			        att_errcode(r));
			rc_fail(conn->rc, r);
			return;
		}
	}
}

static void
rc_on_connect(uv_connect_t *req, int status)
{
	struct rc_conn *conn = req->data;
	struct relayconn *rc = conn->rc;
	uint8_t m1[128];
	int n;

	if (rc == NULL)
		return;
	if (status < 0) {
		fprintf(stderr, "attuned: cannot reach the relay at %s:%u: %s\n",
		        rc_node(rc)->host, rc_node(rc)->port, uv_strerror(status));
		rc_fail(rc, ATT_EIO);
		return;
	}
	uv_tcp_nodelay(&conn->tcp, 1);
	uv_tcp_keepalive(&conn->tcp, 1, 60);
	conn->hs = noise_hs_initiator(rc->dev_priv, rc->relay.key,
	                              (const uint8_t *)NOISE_PROLOGUE, 8);
	conn->dec = frame_dec_new(RC_PREAUTH_FRAME);
	if (conn->hs == NULL || conn->dec == NULL) {
		rc_fail(rc, ATT_ENOMEM);
		return;
	}
	n = noise_hs_write(conn->hs, m1, sizeof m1, NULL, 0);
	if (n < 0 || rc_write_frame(conn, m1, (size_t)n) < 0 ||
	    uv_read_start((uv_stream_t *)&conn->tcp, rc_alloc, rc_on_read) != 0) {
		rc_fail(rc, n < 0 ? n : ATT_EIO);
		return;
	}
	rc->state = RC_HANDSHAKE;
}

static void
rc_connect_addr(struct relayconn *rc, const struct sockaddr *sa)
{
	struct rc_conn *conn = calloc(1, sizeof *conn);
	int r;

	if (conn == NULL) {
		rc_fail(rc, ATT_ENOMEM);
		return;
	}
	uv_tcp_init(rc->loop, &conn->tcp);
	conn->tcp.data = conn;
	conn->creq.data = conn;
	conn->rc = rc;
	rc->conn = conn;
	rc->state = RC_CONNECTING;
	uv_timer_start(&rc->timer, rc_on_timer, RC_HANDSHAKE_MS, 0);
	r = uv_tcp_connect(&conn->creq, &conn->tcp, sa, rc_on_connect);
	if (r != 0) {
		fprintf(stderr, "attuned: cannot connect to the relay: %s\n", uv_strerror(r));
		rc_fail(rc, ATT_EIO);
	}
}

static void
rc_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct relayconn *rc = req->data;

	rc->gai_busy = 0;
	if (rc->freeing) {
		if (res != NULL)
			uv_freeaddrinfo(res);
		if (rc->timer_closed) {
			sodium_free(rc->dev_priv);
			free(rc);
		}
		return;
	}
	if (rc->state != RC_RESOLVING) {
		if (res != NULL)
			uv_freeaddrinfo(res);
		return;
	}
	if (status < 0 || res == NULL) {
		fprintf(stderr, "attuned: cannot resolve the relay's host name %s: %s\n",
		        rc_node(rc)->host, uv_strerror(status));
		if (res != NULL)
			uv_freeaddrinfo(res);
		rc_fail(rc, ATT_EIO);
		return;
	}
	rc_connect_addr(rc, res->ai_addr);
	uv_freeaddrinfo(res);
}

static void
rc_connect_now(struct relayconn *rc)
{
	struct sockaddr_storage ss;
	struct addrinfo hints;
	char port[8];

	const struct addr_node *nd = rc_node(rc);

	rc->state = RC_RESOLVING;
	if (uv_ip4_addr(nd->host, nd->port, (struct sockaddr_in *)&ss) == 0 ||
	    uv_ip6_addr(nd->host, nd->port, (struct sockaddr_in6 *)&ss) == 0) {
		rc_connect_addr(rc, (struct sockaddr *)&ss);
		return;
	}
	if (rc->gai_busy)
		return;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%u", nd->port);
	rc->gai.data = rc;
	uv_timer_start(&rc->timer, rc_on_timer, RC_HANDSHAKE_MS, 0);
	if (uv_getaddrinfo(rc->loop, &rc->gai, rc_on_resolved, nd->host, port, &hints) != 0) {
		rc_fail(rc, ATT_EIO);
		return;
	}
	rc->gai_busy = 1;
}

int
relayconn_start(struct relayconn *rc, const struct addr *relay, const uint8_t dev_priv[32])
{
	relayconn_stop(rc);
	rc->relay = *relay;
	/* An address built by hand (not parsed) names one node: its host and port. */
	if (rc->relay.n_nodes == 0) {
		rc->relay.n_nodes = 1;
		memcpy(rc->relay.nodes[0].host, relay->host, sizeof relay->host);
		rc->relay.nodes[0].port = relay->port;
		rc->relay.nodes[0].ipv6 = relay->ipv6;
	}
	rc->node = 0;
	memcpy(rc->dev_priv, dev_priv, 32);
	rc->running = 1;
	rc->attempt = 0;
	rc_connect_now(rc);
	return 0;
}

void
relayconn_kick(struct relayconn *rc)
{
	if (rc->running && rc->state == RC_BACKOFF) {
		uv_timer_stop(&rc->timer);
		rc_connect_now(rc);
	}
}

void
relayconn_stop(struct relayconn *rc)
{
	rc->running = 0;
	uv_timer_stop(&rc->timer);
	if (rc->gai_busy)
		uv_cancel((uv_req_t *)&rc->gai);
	rc_detach(rc);
	rc->state = RC_IDLE;
	rc_flush_pending(rc);
}

static void
rc_on_timer_close(uv_handle_t *h)
{
	struct relayconn *rc = h->data;

	rc->timer_closed = 1;
	if (!rc->gai_busy) {
		sodium_free(rc->dev_priv);
		free(rc);
	}
}

void
relayconn_free(struct relayconn *rc)
{
	if (rc == NULL)
		return;
	relayconn_stop(rc);
	rc->freeing = 1;
	uv_close((uv_handle_t *)&rc->timer, rc_on_timer_close);
}
