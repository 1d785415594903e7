#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/noise.h"
#include "relay/conn.h"
#include "relay/request.h"

/* An outgoing frame the socket could not take at once. */
struct wreq {
	uv_write_t req;
	struct conn *c;
	size_t len;
	uint8_t data[];
};

void
conn_devid(char out[17], const uint8_t dev[32])
{
	sodium_bin2hex(out, 17, dev, 8);
}

static void resume(struct conn *c);

void
conn_ref(struct conn *c)
{
	c->refs++;
}

void
conn_unref(struct conn *c)
{
	if (--c->refs == 0)
		free(c);
}

static void
on_close(uv_handle_t *h)
{
	conn_unref(h->data);
}

void
conn_close(struct conn *c, enum stats_reason why, int log_it)
{
	struct server *srv = c->srv;

	if (c->state == CONN_CLOSING)
		return;
	if (log_it)
		server_reject(srv, why, "conn=%" PRIu64, c->id);
	else
		log_event(&srv->log, "close", "conn=%" PRIu64, c->id);
	c->state = CONN_CLOSING;
	if (c->in_map) {
		htab_remove(srv->devices, &c->dnode);
		c->in_map = 0;
	}
	if (c->has_np)
		nameplate_side_gone(srv->nps, c);
	free(c->inflight);
	c->inflight = NULL;
	c->n_inflight = 0;
	frame_dec_free(c->dec);
	c->dec = NULL;
	noise_cs_free(c->cs);
	c->cs = NULL;
	free(c->obuf);
	c->obuf = NULL;
	c->olen = c->ocap = 0;
	if (c->src != NULL)
		c->src->conns--;
	c->src = NULL;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	srv->stats.conns_open--;
	uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void
write_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = w->c;

	(void)status;
	c->out_bytes -= (uint32_t)w->len;
	sodium_memzero(w->data, w->len);
	free(w);
	if (c->state == CONN_READY && c->more && c->out_bytes <= c->srv->cfg.out_buffer / 2)
		conn_pump(c);
	conn_unref(c);
}

/* Sends bytes as they are: straight into the socket when it takes them, else queued. */
static void
raw_send(struct conn *c, const uint8_t *buf, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
	struct wreq *wr;
	size_t rest;

	if (w == (int)len)
		return;
	if (w < 0 && w != UV_EAGAIN) {
		conn_close(c, REASON_N, 0);
		return;
	}
	if (w < 0)
		w = 0;
	rest = len - (size_t)w;
	if (c->out_bytes + rest > c->srv->cfg.out_buffer) {
		conn_close(c, REASON_slow_reader, 1);
		return;
	}
	if ((wr = malloc(sizeof *wr + rest)) == NULL) {
		conn_close(c, REASON_N, 0);
		return;
	}
	wr->c = c;
	wr->len = rest;
	memcpy(wr->data, buf + w, rest);
	b = uv_buf_init((char *)wr->data, (unsigned)rest);
	c->out_bytes += (uint32_t)rest;
	conn_ref(c);
	if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
		c->out_bytes -= (uint32_t)rest;
		free(wr);
		conn_unref(c);
		conn_close(c, REASON_N, 0);
	}
}

void
conn_send(struct conn *c, const struct msg_out *m)
{
	struct server *srv = c->srv;
	size_t need;
	int r;

	if (c->state != CONN_READY)
		return;
	if (msg_out_failed(m)) {
		conn_close(c, REASON_N, 0);
		return;
	}
	/* Frames wait in obuf until the end of the loop turn: one write for many. */
	need = c->olen + FRAME_HDR + msg_out_len(m) + NOISE_TAGLEN;
	if (need + c->out_bytes > srv->cfg.out_buffer) {
		conn_close(c, REASON_slow_reader, 1);
		return;
	}
	if (need > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 512;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		if ((p = realloc(c->obuf, cap)) == NULL) {
			conn_close(c, REASON_N, 0);
			return;
		}
		c->obuf = p;
		c->ocap = (uint32_t)cap;
	}
	r = noise_cs_encrypt(c->cs, c->obuf + c->olen + FRAME_HDR, c->ocap - c->olen - FRAME_HDR,
	    msg_out_data(m), msg_out_len(m));
	if (r < 0 || frame_put_header(c->obuf + c->olen, (size_t)r) < 0) {
		conn_close(c, REASON_N, 0);
		return;
	}
	c->olen += (uint32_t)r + FRAME_HDR;
	if (!c->flush_queued) {
		c->flush_queued = 1;
		conn_ref(c);
		c->flush_next = srv->flush;
		srv->flush = c;
	}
}

void
conn_flush_all(struct server *srv)
{
	struct conn *c, *next;

	/* A pump below may queue more frames: go round until the kernel stops taking them. */
	while ((c = srv->flush) != NULL) {
		srv->flush = NULL;
		for (; c != NULL; c = next) {
			next = c->flush_next;
			c->flush_next = NULL;
			c->flush_queued = 0;
			if (c->state == CONN_READY && c->olen > 0)
				raw_send(c, c->obuf, c->olen);
			if (c->state == CONN_READY) {
				c->olen = 0;
				/* Keep a small buffer for a busy peer; an idle one holds none. */
				if (c->ocap > 16384 || c->n_inflight == 0) {
					free(c->obuf);
					c->obuf = NULL;
					c->ocap = 0;
				}
				if (c->more && c->out_bytes <= srv->cfg.out_buffer / 2)
					conn_pump(c);
			}
			conn_unref(c);
		}
	}
}

void
conn_send_error(struct conn *c, uint64_t id, const char *code, const char *text)
{
	struct msg_out m;

	msg_out_init(&m);
	msg_out_error_code(&m, id, code, text);
	conn_send(c, &m);
	msg_out_free(&m);
}

static int
pump_one(void *arg, uint64_t seq, const uint8_t from[32], uint64_t ts, const uint8_t *env,
    size_t len)
{
	struct conn *c = arg;
	struct msg_out m;

	if (c->inflight == NULL &&
	    (c->inflight = malloc(c->srv->cfg.deliver_window * sizeof *c->inflight)) == NULL)
		return 1;
	/* Big envelopes: stop at half the out buffer; the rest follows as it drains. */
	if (c->out_bytes + c->olen + len > c->srv->cfg.out_buffer / 2 && c->n_inflight > 0) {
		c->more = 1;
		return 1;
	}

	msg_out_init(&m);
	msg_out_begin(&m, "deliver", 0, 4);
	msg_out_uint(&m, "seq", seq);
	msg_out_bin(&m, "from", from, 32);
	msg_out_bin(&m, "env", env, len);
	msg_out_uint(&m, "ts", ts);
	conn_send(c, &m);
	msg_out_free(&m);
	if (c->state != CONN_READY)
		return 1;
	c->inflight[c->n_inflight++] = seq;
	c->last_sent = seq;
	c->srv->stats.delivers++;
	return 0;
}

/* A stored envelope read for this connection; rows of an older sync are dropped. */
static int
pump_row(void *arg, uint64_t seq, const uint8_t from[32], uint64_t ts, const uint8_t *env,
    size_t len)
{
	struct conn *c = arg;

	if (c->state != CONN_READY || c->fetch_gen != c->sync_gen)
		return 1;
	if (seq <= c->last_sent)
		return 0;
	return pump_one(c, seq, from, ts, env, len);
}

static void
pump_end(void *arg, int n)
{
	struct conn *c = arg;

	c->fetching = 0;
	if (c->state == CONN_READY) {
		if (n < 0 || (n > 0 && (size_t)n == c->fetch_room))
			c->more = 1;
		if (c->n_inflight == 0) {
			free(c->inflight);
			c->inflight = NULL;
		}
		/* Envelopes or a sync arrived while the read was out: read again. */
		if (c->refetch && n >= 0) {
			c->refetch = 0;
			conn_pump(c);
		}
	}
	conn_unref(c);
}

void
conn_pump(struct conn *c)
{
	struct server *srv = c->srv;
	size_t room;

	if (c->state != CONN_READY || !c->synced)
		return;
	if (c->fetching) {
		c->refetch = 1;
		return;
	}
	if (c->n_inflight >= srv->cfg.deliver_window)
		return;
	if (c->out_bytes > srv->cfg.out_buffer / 2) {
		c->more = 1;
		return;
	}
	room = srv->cfg.deliver_window - c->n_inflight;
	c->more = 0;
	c->fetching = 1;
	c->fetch_room = (uint16_t)room;
	c->fetch_gen = c->sync_gen;
	conn_ref(c);
	/* SQLite answers before this returns; PostgreSQL from a later loop turn. */
	storage_fetch(srv->store, c->dev, c->last_sent, room, pump_row, pump_end, c);
}

void
conn_offer(struct conn *c, uint64_t seq, const uint8_t from[32], uint64_t ts,
    const uint8_t *env, size_t len)
{
	struct server *srv = c->srv;

	if (c->state != CONN_READY || !c->synced || seq <= c->last_sent)
		return;
	/*
	 * Out of order would skip what waits in the database: read it from there.
	 * With several nodes a mailbox's numbers are consecutive, and another node
	 * may have stored the one before this (its NOTIFY still on the way): only
	 * the very next number goes straight out.
	 */
	if (c->more || c->fetching ||
	    (storage_shared(srv->store) && seq != c->last_sent + 1) || c->n_inflight >= srv->cfg.deliver_window ||
	    c->out_bytes + c->olen > srv->cfg.out_buffer / 2) {
		c->more = 1;
		conn_pump(c);
		return;
	}
	pump_one(c, seq, from, ts, env, len);
}

void
conn_request_done(struct conn *c)
{
	c->pending--;
	if (c->read_paused && c->state == CONN_READY && !c->srv->stopping &&
	    c->pending < c->srv->cfg.pending_requests / 2) {
		c->read_paused = 0;
		resume(c);
	}
}

static void handshake_reply(struct conn *c, struct noise_hs *hs, int reg);

static void
hs_registered_cb(void *arg, int r)
{
	struct conn *c = arg;
	struct noise_hs *hs = c->hs;

	c->hs = NULL;
	if (c->state == CONN_HANDSHAKE && hs != NULL) {
		if (r < 0) {
			noise_hs_free(hs);
			conn_close(c, REASON_storage, 1);
		} else {
			if (r == 1 && c->srv->registered != NULL)
				regset_add(c->srv->registered, c->dev);
			handshake_reply(c, hs, r);
		}
	} else
		noise_hs_free(hs);
	conn_unref(c);
}

/* Handshake message 1 in; message 2 (with hello) goes out in handshake_reply. */
static void
handshake(struct conn *c, const uint8_t *f, size_t n)
{
	struct server *srv = c->srv;
	struct noise_hs *hs;
	uint8_t payload[4096];
	int r, reg;

	if (c->hs != NULL) {
		/* A second message 1 while the first waits for the database. */
		conn_close(c, REASON_handshake_failed, 1);
		return;
	}
	if ((hs = noise_hs_responder_pub(srv->priv, srv->pub, (const uint8_t *)NOISE_PROLOGUE,
	    8)) == NULL) {
		conn_close(c, REASON_N, 0);
		return;
	}
	/* The payload of message 1 can be replayed by anyone: it is read, never used. */
	r = noise_hs_read(hs, payload, sizeof payload, f, n);
	sodium_memzero(payload, sizeof payload);
	if (r < 0 || noise_hs_remote_static(hs, c->dev) < 0) {
		noise_hs_free(hs);
		conn_close(c, REASON_handshake_failed, 1);
		return;
	}
	/*
	 * From memory; the database when the set could not hold every device, or
	 * when other nodes may have registered it (a shared store).
	 */
	reg = srv->registered != NULL ? regset_has(srv->registered, c->dev) : -1;
	if (reg == 1 || (reg == 0 && !storage_shared(srv->store))) {
		handshake_reply(c, hs, reg);
		return;
	}
	c->hs = hs;
	conn_ref(c);
	storage_registered(srv->store, c->dev, hs_registered_cb, c);
}

static void
handshake_reply(struct conn *c, struct noise_hs *hs, int reg)
{
	struct server *srv = c->srv;
	struct msg_out m;
	uint8_t out[FRAME_HDR + 512];
	char id[17];
	int r;

	c->registered = reg == 1;
	msg_out_init(&m);
	msg_out_begin(&m, "hello", 0, 3);
	msg_out_uint(&m, "v", 1);
	msg_out_bool(&m, "registered", c->registered);
	msg_out_uint(&m, "max_frame", srv->cfg.frame_max);
	r = noise_hs_write(hs, out + FRAME_HDR, sizeof out - FRAME_HDR, msg_out_data(&m),
	    msg_out_len(&m));
	msg_out_free(&m);
	if (r < 0 || noise_hs_split(hs, &c->cs, NULL) < 0) {
		noise_hs_free(hs);
		conn_close(c, REASON_N, 0);
		return;
	}
	noise_hs_free(hs);
	frame_put_header(out, (size_t)r);
	c->state = CONN_READY;
	c->last_rx = (uint32_t)server_now(srv);
	frame_dec_set_max(c->dec, srv->cfg.frame_max);
	srv->stats.handshakes++;
	conn_devid(id, c->dev);
	log_event(&srv->log, "handshake", "conn=%" PRIu64 " dev=%s registered=%d", c->id, id,
	    c->registered);
	raw_send(c, out, (size_t)r + FRAME_HDR);
}

/*
 * The first frame that decrypts proves the peer holds the device key (message
 * 1 alone can be replayed); only then may it take over the device's mailbox
 * from an older connection.
 */
static void
prove(struct conn *c)
{
	struct server *srv = c->srv;
	struct htab_node *old;

	c->proven = 1;
	if ((old = htab_find(srv->devices, c->dev)) != NULL) {
		struct conn *o = (struct conn *)((char *)old - offsetof(struct conn, dnode));
		conn_close(o, REASON_replaced, 1);
	}
	c->dnode.key = c->dev;
	htab_insert(srv->devices, &c->dnode);
	c->in_map = 1;
}

static void
frame_in(struct conn *c, const uint8_t *f, size_t n)
{
	struct server *srv = c->srv;
	int r;

	if (c->state == CONN_HANDSHAKE) {
		handshake(c, f, n);
		return;
	}
	r = noise_cs_decrypt(c->cs, srv->plain, sizeof srv->plain, f, n);
	if (r < 0) {
		conn_close(c, REASON_decrypt_failed, 1);
		return;
	}
	c->last_rx = (uint32_t)server_now(srv);
	if (!c->proven)
		prove(c);
	request_handle(c, srv->plain, (size_t)r);
	sodium_memzero(srv->plain, (size_t)r);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = h->data;

	(void)hint;
	b->base = (char *)c->srv->rbuf;
	b->len = sizeof c->srv->rbuf;
}

static void
read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = s->data;
	const uint8_t *p = (const uint8_t *)b->base, *frame;
	size_t left = nread > 0 ? (size_t)nread : 0, flen;
	int r;

	if (nread < 0) {
		if (c->dec != NULL && frame_dec_finish(c->dec) < 0)
			conn_close(c, REASON_truncated, 1);
		else
			conn_close(c, REASON_N, 0);
		return;
	}
	while (left > 0 && c->state != CONN_CLOSING) {
		r = frame_dec_feed(c->dec, p, left, &frame, &flen);
		if (r < 0) {
			conn_close(c, r == ATT_ETOOBIG ? REASON_frame_too_big : REASON_N, r == ATT_ETOOBIG);
			return;
		}
		p += r;
		left -= (size_t)r;
		if (frame != NULL)
			frame_in(c, frame, flen);
	}
	if (c->state == CONN_READY && !c->read_paused && c->pending >= c->srv->cfg.pending_requests) {
		c->read_paused = 1;
		uv_read_stop(s);
	}
}


void
conn_accept(uv_stream_t *l, int status)
{
	struct server *srv = l->data;
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	uint8_t ip[16];
	char host[INET6_ADDRSTRLEN] = "?";
	struct conn *c;
	double now = server_now(srv);

	if (status < 0) {
		log_event(&srv->log, "accept_error", "error=%s", uv_err_name(status));
		return;
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		return;
	c->srv = srv;
	c->refs = 1;
	uv_tcp_init(srv->loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, on_close);
		return;
	}
	c->id = ++srv->next_conn_id;
	c->state = CONN_HANDSHAKE;
	c->last_rx = (uint32_t)now;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->stats.conns_open++;
	srv->stats.conns_total++;
	memset(ip, 0, sizeof ip);
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
			ip[10] = ip[11] = 0xff;
			memcpy(ip + 12, &in->sin_addr, 4);
			inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		} else if (ss.ss_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
			memcpy(ip, &in6->sin6_addr, 16);
			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		}
	}
	if (srv->log.addresses)
		log_event(&srv->log, "accept", "conn=%" PRIu64 " addr=%s", c->id, host);
	else
		log_event(&srv->log, "accept", "conn=%" PRIu64, c->id);
	if (srv->stopping) {
		conn_close(c, REASON_N, 0);
		return;
	}
	if (srv->stats.conns_open > srv->cfg.connections) {
		conn_close(c, REASON_conn_limit, 1);
		return;
	}
	limit_src_key(ip, ip);
	c->src = limit_src_get(srv->srcs, ip, srv->cfg.handshake_burst, srv->cfg.nameplate_burst, now);
	if (c->src == NULL) {
		conn_close(c, REASON_address_limit, 1);
		return;
	}
	c->src->conns++;
	if (c->src->conns > srv->cfg.connections_per_address) {
		conn_close(c, REASON_address_limit, 1);
		return;
	}
	if (!limit_take(&c->src->hs, srv->cfg.handshake_rate, srv->cfg.handshake_burst, now, 1)) {
		conn_close(c, REASON_handshake_rate, 1);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if ((c->dec = frame_dec_new(srv->cfg.preauth_frame_max)) == NULL) {
		conn_close(c, REASON_N, 0);
		return;
	}
	resume(c);
}

static void
resume(struct conn *c)
{
	if (uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) != 0)
		conn_close(c, REASON_N, 0);
}

void
conn_sweep(struct server *srv)
{
	struct conn *c, *next;
	uint32_t now = (uint32_t)server_now(srv);

	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == CONN_HANDSHAKE && now - c->last_rx >= srv->cfg.handshake_timeout)
			conn_close(c, REASON_handshake_timeout, 1);
		else if (c->state == CONN_READY && now - c->last_rx >= srv->cfg.idle_timeout)
			conn_close(c, REASON_idle_timeout, 1);
	}
}
