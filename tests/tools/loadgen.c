/*
 * loadgen: a load generator for attune-relay with its own Noise IK client
 * (proto/noise.h, proto/frame.h, proto/msg.h), one epoll loop, many
 * connections. The durability tests and bench/bench_relay.c drive it.
 *
 *   loadgen [OPTIONS] ADDRESS MODE
 *
 * Devices have keys derived from --seed: senders s0..s(P-1), recipients
 * r0..r(P-1); sender i puts to recipient i. Modes:
 *
 *   put        senders put --count envelopes each (0: until the relay goes
 *              away or --secs pass), at most --window unacknowledged; with
 *              --print, each acknowledged envelope's tag on stdout. --live:
 *              the recipients are connected too and acknowledge what they
 *              get ("d TAG" lines with --print). --batch N: N envelopes a put.
 *   drain      recipients sync, print each delivered tag, ack everything;
 *              stop after --idle ms without a delivery.
 *   pairs      senders and recipients at once for --secs: acknowledged puts/s
 *              and deliveries/s (closed loop, --window per sender).
 *   latency    senders put at a fixed total --rate per second (open loop) for
 *              --secs; delivery latency p50/p99 as the recipients see it.
 *   handshakes --count handshakes, --conc at a time: handshakes/s.
 *   idle       --count connections finish the handshake (and ping), then
 *              "ready N" on stdout; held until stdin closes.
 *   register   senders and recipients register with --invite, then exit.
 *   fill       senders put --count envelopes each in batches of --batch (64) to
 *              recipients that stay offline.
 *
 * Every envelope is --size bytes: "TAG t=NANOSECONDS" padded with dots, the
 * tag "s<i>-<--round>-<n>". Results go to stdout as "key=value" lines.
 * Exit status: 0, 1 when the relay closed a connection or could not be
 * reached (the durability test expects that), 2 for usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <msgpack.h>

#include "proto/addr.h"
#include "proto/err.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/noise.h"

#define RING 1024           /* outstanding requests per connection, at most */
#define RBUF (FRAME_HDR + FRAME_MAX)

enum mode { M_PUT, M_DRAIN, M_PAIRS, M_LATENCY, M_HANDSHAKES, M_IDLE, M_FILL, M_REGISTER };
enum cstate { C_HS, C_REG, C_READY, C_DEAD };

struct lconn {
	struct lg *lg;
	int fd, sender, idx;
	enum cstate state;
	struct noise_hs *hs;
	struct noise_cs *cs;
	uint8_t priv[32], pub[32];
	uint8_t *rbuf;              /* RBUF bytes, malloc'd (untouched pages cost nothing) */
	size_t rlen;
	uint8_t *wbuf;
	size_t woff, wlen, wcap;
	int want_out;
	uint64_t next_id, synced;
	uint64_t sent, acked, inflight, delivered;
	uint64_t ring[RING];        /* tag number by request id % RING */
	uint64_t *acks;             /* seqs to acknowledge */
	size_t n_acks, cap_acks;
	uint64_t next_send_ns;      /* latency mode */
	uint64_t last_rx_ns;
};

struct lg {
	struct addr addr;
	enum mode mode;
	const char *invite;
	uint64_t seed, round, count, window, size, rate, conc, batch;
	double secs, idle_ms;
	int print, pairs, live;
	int ep, tfd;
	struct lconn **conns;
	size_t n_conns;
	uint8_t (*rpub)[32];        /* recipients' public keys */
	uint64_t t0, t_start, t_end;
	uint64_t total_acked, total_delivered, hs_done, in_hs, ready, dead, errors;
	uint64_t *lat;
	size_t n_lat, cap_lat;
	int lost, started, stop;
	uint8_t plain[FRAME_MAX], ct[FRAME_HDR + FRAME_MAX];
	struct msg_out out;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
derive_key(uint8_t priv[32], uint8_t pub[32], uint64_t seed, char role, size_t i)
{
	char name[64];

	snprintf(name, sizeof name, "loadgen/%" PRIu64 "/%c%zu", seed, role, i);
	crypto_generichash(priv, 32, (const uint8_t *)name, strlen(name), NULL, 0);
	noise_pubkey(pub, priv);
}

/* Closes a connection; failed: the relay went away or refused us. */
static void
conn_end(struct lconn *c, int failed)
{
	struct lg *lg = c->lg;

	if (c->state == C_DEAD)
		return;
	if (c->state == C_HS)
		lg->in_hs--;
	if (failed) {
		lg->lost = 1;
		lg->dead++;
	}
	c->state = C_DEAD;
	epoll_ctl(lg->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	noise_hs_free(c->hs);
	c->hs = NULL;
	noise_cs_free(c->cs);
	c->cs = NULL;
	free(c->rbuf);
	c->rbuf = NULL;
	c->rlen = 0;
}

static void
conn_kill(struct lconn *c)
{
	conn_end(c, 1);
}

static void
conn_update_events(struct lconn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | (c->wlen > c->woff ? EPOLLOUT : 0u),
	    .data.ptr = c };
	int want = c->wlen > c->woff;

	if (want != c->want_out) {
		c->want_out = want;
		epoll_ctl(c->lg->ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

static void
conn_flush(struct lconn *c)
{
	ssize_t w;

	while (c->woff < c->wlen) {
		w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0) {
			conn_kill(c);
			return;
		}
		c->woff += (size_t)w;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	conn_update_events(c);
}

/* Queues one frame (already a body); flushed by the caller or on EPOLLOUT. */
static int
conn_queue(struct lconn *c, const uint8_t *body, size_t len)
{
	size_t need = c->wlen + FRAME_HDR + len;

	if (need > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		if ((p = realloc(c->wbuf, cap)) == NULL)
			return ATT_ENOMEM;
		c->wbuf = p;
		c->wcap = cap;
	}
	frame_put_header(c->wbuf + c->wlen, len);
	memcpy(c->wbuf + c->wlen + FRAME_HDR, body, len);
	c->wlen += FRAME_HDR + len;
	return 0;
}

/* Encrypts the message in lg->out and queues it. */
static int
conn_send_msg(struct lconn *c)
{
	struct lg *lg = c->lg;
	int n;

	if (msg_out_failed(&lg->out))
		return ATT_ENOMEM;
	n = noise_cs_encrypt(c->cs, lg->ct, sizeof lg->ct, msg_out_data(&lg->out),
	    msg_out_len(&lg->out));
	if (n < 0)
		return n;
	return conn_queue(c, lg->ct, (size_t)n);
}

static void
send_simple(struct lconn *c, const char *t)
{
	struct lg *lg = c->lg;

	msg_out_reset(&lg->out);
	msg_out_begin(&lg->out, t, ++c->next_id, 0);
	conn_send_msg(c);
}

static size_t
make_env(struct lg *lg, struct lconn *c, uint64_t n, uint8_t *env)
{
	int k = snprintf((char *)env, lg->size, "s%d-%" PRIu64 "-%" PRIu64 " t=%" PRIu64,
	    c->idx, lg->round, n, now_ns());

	if (k < 0 || (size_t)k >= lg->size)
		k = (int)lg->size;
	memset(env + k, '.', lg->size - (size_t)k);
	return lg->size;
}

/* One put of `items` envelopes (all to the connection's recipient). */
static void
send_put(struct lconn *c, uint64_t items)
{
	struct lg *lg = c->lg;
	uint8_t env[FRAME_MAX];
	uint64_t i, id = ++c->next_id;

	msg_out_reset(&lg->out);
	msg_out_begin(&lg->out, "put", id, 1);
	msg_out_key(&lg->out, "items");
	msgpack_pack_array(&lg->out.pk, items);
	for (i = 0; i < items; i++) {
		size_t len = make_env(lg, c, c->sent + i, env);
		msgpack_pack_map(&lg->out.pk, 2);
		msg_out_bin(&lg->out, "to", lg->rpub[c->idx], 32);
		msg_out_bin(&lg->out, "env", env, len);
	}
	c->ring[id % RING] = c->sent;
	c->sent += items;
	c->inflight++;
	conn_send_msg(c);
}

static void
send_acks(struct lconn *c)
{
	struct lg *lg = c->lg;
	size_t i;

	if (c->n_acks == 0 || c->state != C_READY)
		return;
	msg_out_reset(&lg->out);
	msg_out_begin(&lg->out, "ack", ++c->next_id, 1);
	msg_out_key(&lg->out, "seq");
	msgpack_pack_array(&lg->out.pk, c->n_acks);
	for (i = 0; i < c->n_acks; i++)
		msgpack_pack_uint64(&lg->out.pk, c->acks[i]);
	c->n_acks = 0;
	c->inflight++;
	conn_send_msg(c);
}

static int
sending(const struct lg *lg)
{
	return lg->mode == M_PUT || lg->mode == M_PAIRS || lg->mode == M_FILL;
}

/* Closed-loop senders: keep the window full. */
static void
sender_pump(struct lconn *c)
{
	struct lg *lg = c->lg;

	if (c->state != C_READY || !c->sender || !lg->started || lg->stop || !sending(lg))
		return;
	while (c->inflight < lg->window && (lg->count == 0 || c->sent < lg->count)) {
		uint64_t items = lg->batch;

		if (lg->count != 0 && c->sent + items > lg->count)
			items = lg->count - c->sent;
		send_put(c, items);
	}
}

static void
on_ready(struct lconn *c)
{
	struct lg *lg = c->lg;

	c->state = C_READY;
	lg->ready++;
	if (lg->mode == M_IDLE) {
		send_simple(c, "ping");
		return;
	}
	if (!c->sender && lg->mode != M_HANDSHAKES && lg->mode != M_FILL &&
	    lg->mode != M_REGISTER)
		send_simple(c, "sync");
	sender_pump(c);
}

static void
on_hello(struct lconn *c, const uint8_t *payload, size_t len)
{
	struct lg *lg = c->lg;
	struct msg *m = NULL;
	int reg = 0;

	lg->hs_done++;
	lg->in_hs--;
	c->state = C_REG;
	if (lg->mode == M_HANDSHAKES) {
		c->state = C_READY;
		conn_end(c, 0);
		return;
	}
	if (msg_parse(payload, len, NULL, &m, NULL) < 0 || !msg_is_type(m, "hello")) {
		msg_free(m);
		conn_kill(c);
		return;
	}
	msg_get_bool(msg_root(m), "registered", &reg);
	msg_free(m);
	if (!reg && lg->invite != NULL && lg->mode != M_IDLE) {
		c->state = C_REG;
		msg_out_reset(&lg->out);
		msg_out_begin(&lg->out, "register", ++c->next_id, 1);
		msg_out_str(&lg->out, "invite", lg->invite);
		conn_send_msg(c);
		return;
	}
	on_ready(c);
}

static void
record_latency(struct lg *lg, const uint8_t *env, size_t len, uint64_t t)
{
	const uint8_t *p = memchr(env, ' ', len);
	uint64_t sent = 0;

	if (p == NULL || env + len - p < 3 || p[1] != 't' || p[2] != '=')
		return;
	for (p += 3; p < env + len && *p >= '0' && *p <= '9'; p++)
		sent = sent * 10 + (uint64_t)(*p - '0');
	if (sent == 0 || sent > t || sent < lg->t_start || sent > lg->t_end)
		return;
	if (lg->n_lat == lg->cap_lat) {
		size_t cap = lg->cap_lat ? lg->cap_lat * 2 : 65536;
		uint64_t *q = realloc(lg->lat, cap * sizeof *q);
		if (q == NULL)
			return;
		lg->lat = q;
		lg->cap_lat = cap;
	}
	lg->lat[lg->n_lat++] = t - sent;
}

static void
on_deliver(struct lconn *c, const msgpack_object *root)
{
	struct lg *lg = c->lg;
	const uint8_t *env;
	size_t len;
	uint64_t seq, t = now_ns();

	if (msg_get_uint(root, "seq", INT64_MAX, &seq) < 0 ||
	    msg_get_bin(root, "env", FRAME_MAX, &env, &len) < 0)
		return;
	c->delivered++;
	c->last_rx_ns = t;
	if (lg->mode != M_PAIRS || (t >= lg->t_start && t <= lg->t_end))
		lg->total_delivered++;
	if (lg->mode == M_DRAIN || (lg->live && lg->print)) {
		const uint8_t *sp = memchr(env, ' ', len);
		printf("%s%.*s\n", lg->mode == M_DRAIN ? "" : "d ",
		    (int)(sp != NULL ? sp - env : (ptrdiff_t)len), (const char *)env);
	}
	if (lg->mode == M_LATENCY)
		record_latency(lg, env, len, t);
	if (c->n_acks == c->cap_acks) {
		size_t cap = c->cap_acks ? c->cap_acks * 2 : 64;
		uint64_t *q = realloc(c->acks, cap * sizeof *q);
		if (q == NULL)
			return;
		c->acks = q;
		c->cap_acks = cap;
	}
	c->acks[c->n_acks++] = seq;
}

static void
on_reply(struct lconn *c, const struct msg *m)
{
	struct lg *lg = c->lg;
	uint64_t id = msg_id(m), t = now_ns();

	if (msg_is_type(m, "error")) {
		char code[64] = "?";
		msg_get_strz(msg_root(m), "code", code, sizeof code);
		if (lg->errors++ < 5)
			fprintf(stderr, "loadgen: %c%d: error code=%s\n", c->sender ? 's' : 'r', c->idx,
			    code);
		if (c->state == C_REG) {
			conn_kill(c);
			return;
		}
	}
	if (c->state == C_REG) {
		on_ready(c);
		return;
	}
	if (lg->mode == M_IDLE)
		return;
	if (c->inflight > 0)
		c->inflight--;
	if (!c->sender) {
		if (msg_is_type(m, "ok") && c->synced == 0)
			c->synced = t;
		return;
	}
	if (msg_is_type(m, "ok")) {
		uint64_t first = c->ring[id % RING];
		uint64_t items = lg->batch, i;

		if (lg->count != 0 && first + items > lg->count)
			items = lg->count - first;
		c->acked += items;
		if (lg->mode != M_PAIRS || (t >= lg->t_start && t <= lg->t_end))
			lg->total_acked += items;
		if (lg->print)
			for (i = 0; i < items; i++)
				printf("s%d-%" PRIu64 "-%" PRIu64 "\n", c->idx, lg->round, first + i);
	}
	if (lg->mode != M_LATENCY)
		sender_pump(c);
}

static void
on_frame(struct lconn *c, const uint8_t *body, size_t len)
{
	struct lg *lg = c->lg;
	struct msg *m = NULL;
	int n;

	if (c->state == C_HS) {
		n = noise_hs_read(c->hs, lg->plain, sizeof lg->plain, body, len);
		if (n < 0 || noise_hs_split(c->hs, &c->cs, NULL) < 0) {
			fprintf(stderr, "loadgen: handshake failed: %s\n", att_strerror(n));
			conn_kill(c);
			return;
		}
		noise_hs_free(c->hs);
		c->hs = NULL;
		on_hello(c, lg->plain, (size_t)n);
		return;
	}
	n = noise_cs_decrypt(c->cs, lg->plain, sizeof lg->plain, body, len);
	if (n < 0 || msg_parse(lg->plain, (size_t)n, NULL, &m, NULL) < 0) {
		conn_kill(c);
		return;
	}
	if (msg_id(m) == 0 && msg_is_type(m, "deliver"))
		on_deliver(c, msg_root(m));
	else
		on_reply(c, m);
	msg_free(m);
}

static void
conn_read(struct lconn *c)
{
	ssize_t r;
	size_t off, len;

	for (;;) {
		r = recv(c->fd, c->rbuf + c->rlen, RBUF - c->rlen, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			conn_kill(c);
			return;
		}
		c->rlen += (size_t)r;
		off = 0;
		while (c->rlen - off >= FRAME_HDR) {
			len = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
			if (c->rlen - off < FRAME_HDR + len)
				break;
			on_frame(c, c->rbuf + off + FRAME_HDR, len);
			if (c->state == C_DEAD)
				return;
			off += FRAME_HDR + len;
		}
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	send_acks(c);
}

/* Connects (blocking on loopback, then non-blocking) and sends message 1. */
static int
conn_open(struct lg *lg, struct lconn *c)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(lg->addr.port) };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	uint8_t m1[NOISE_IK_MSG1_LEN];
	int one = 1, n;

	c->lg = lg;
	c->state = C_HS;
	c->rlen = c->woff = c->wlen = 0;
	c->want_out = 0;
	c->inflight = 0;
	c->n_acks = 0;
	c->synced = 0;
	if (inet_pton(AF_INET, lg->addr.host, &sin.sin_addr) != 1)
		return ATT_EADDRESS;
	if (c->rbuf == NULL && (c->rbuf = malloc(RBUF)) == NULL)
		return ATT_ENOMEM;
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return ATT_EIO;
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(c->fd);
		c->fd = -1;
		c->state = C_DEAD;
		return ATT_EIO;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	epoll_ctl(lg->ep, EPOLL_CTL_ADD, c->fd, &ev);
	lg->in_hs++;
	c->hs = noise_hs_initiator(c->priv, lg->addr.key, (const uint8_t *)NOISE_PROLOGUE,
	    NOISE_PROLOGUE_LEN);
	if (c->hs == NULL || (n = noise_hs_write(c->hs, m1, sizeof m1, NULL, 0)) < 0) {
		conn_kill(c);
		return ATT_ENOMEM;
	}
	conn_queue(c, m1, (size_t)n);
	conn_flush(c);
	return 0;
}

static void
arm_timer(struct lg *lg, uint64_t at_ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(at_ns / 1000000000u);
	its.it_value.tv_nsec = (long)(at_ns % 1000000000u);
	if (at_ns == 0)
		its.it_value.tv_nsec = 0;
	timerfd_settime(lg->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Open-loop senders: every put whose time has come goes out now. */
static uint64_t
latency_tick(struct lg *lg, uint64_t t)
{
	uint64_t next = UINT64_MAX, interval = 1000000000u * (uint64_t)lg->pairs / lg->rate;
	size_t i;

	for (i = 0; i < lg->n_conns; i++) {
		struct lconn *c = lg->conns[i];

		if (!c->sender || c->state != C_READY)
			continue;
		while (c->next_send_ns <= t && c->next_send_ns < lg->t_end) {
			if (c->inflight < RING / 2)
				send_put(c, 1);
			c->next_send_ns += interval;
		}
		conn_flush(c);
		if (c->next_send_ns < next)
			next = c->next_send_ns;
	}
	return next;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
usage(FILE *f)
{
	fputs("usage: loadgen [--seed N] [--invite TOKEN] [--pairs P] [--count N] [--window W]\n"
	    "         [--size B] [--secs S] [--rate R] [--conc C] [--batch B] [--round N]\n"
	    "         [--idle MS] [--print] [--live] ADDRESS put|drain|pairs|latency|handshakes|idle|fill|register\n",
	    f);
}

static int
parse_args(struct lg *lg, int argc, char **argv)
{
	static const char *modes[] = { "put", "drain", "pairs", "latency", "handshakes", "idle",
	    "fill", "register" };
	int i;
	size_t k;
	const char *addr = NULL, *mode = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t *u = NULL;
		double *d = NULL;

		if (strcmp(a, "--print") == 0) {
			lg->print = 1;
			continue;
		}
		if (strcmp(a, "--live") == 0) {
			lg->live = 1;
			continue;
		}
		if (strcmp(a, "--invite") == 0 && v != NULL) {
			lg->invite = v;
			i++;
			continue;
		}
		if (strcmp(a, "--seed") == 0) u = &lg->seed;
		else if (strcmp(a, "--count") == 0) u = &lg->count;
		else if (strcmp(a, "--window") == 0) u = &lg->window;
		else if (strcmp(a, "--size") == 0) u = &lg->size;
		else if (strcmp(a, "--rate") == 0) u = &lg->rate;
		else if (strcmp(a, "--conc") == 0) u = &lg->conc;
		else if (strcmp(a, "--batch") == 0) u = &lg->batch;
		else if (strcmp(a, "--round") == 0) u = &lg->round;
		else if (strcmp(a, "--secs") == 0) d = &lg->secs;
		else if (strcmp(a, "--idle") == 0) d = &lg->idle_ms;
		else if (strcmp(a, "--pairs") == 0) {
			if (v == NULL || (lg->pairs = atoi(v)) <= 0 || lg->pairs > 100000)
				return -1;
			i++;
			continue;
		} else if (a[0] == '-')
			return -1;
		else if (addr == NULL) {
			addr = a;
			continue;
		} else if (mode == NULL) {
			mode = a;
			continue;
		} else
			return -1;
		if (v == NULL)
			return -1;
		if (u != NULL)
			*u = strtoull(v, NULL, 10);
		else
			*d = strtod(v, NULL);
		i++;
	}
	if (addr == NULL || mode == NULL || addr_parse(&lg->addr, addr) < 0)
		return -1;
	for (k = 0; k < sizeof modes / sizeof modes[0]; k++)
		if (strcmp(mode, modes[k]) == 0)
			break;
	if (k == sizeof modes / sizeof modes[0])
		return -1;
	lg->mode = (enum mode)k;
	if (lg->batch == 0)
		lg->batch = lg->mode == M_FILL ? 64 : 1;
	if (lg->window == 0 || lg->window > RING / 2 || lg->size < 48 || lg->size > 60000 ||
	    lg->batch > 1024 || lg->conc == 0 || lg->rate == 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct lg *lg;
	struct epoll_event evs[256];
	struct rlimit rl;
	size_t i, n_total, next_open = 0;
	uint64_t t, deadline, next_timer = 0;
	int n, k, rc = 0;

	if (sodium_init() < 0 || (lg = calloc(1, sizeof *lg)) == NULL)
		return 1;
	lg->seed = 1;
	lg->pairs = 1;
	lg->window = 20;
	lg->size = 256;
	lg->rate = 1000;
	lg->conc = 64;
	lg->idle_ms = 1000;
	if (parse_args(lg, argc, argv) < 0) {
		usage(stderr);
		free(lg);
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	msg_out_init(&lg->out);
	lg->ep = epoll_create1(0);
	lg->tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
		epoll_ctl(lg->ep, EPOLL_CTL_ADD, lg->tfd, &ev);
		if (lg->mode == M_IDLE) {
			struct epoll_event in = { .events = EPOLLIN, .data.ptr = lg };
			epoll_ctl(lg->ep, EPOLL_CTL_ADD, 0, &in);
		}
	}
	lg->rpub = calloc((size_t)lg->pairs, 32);
	/* Who connects: senders and/or recipients, or --count anonymous devices. */
	switch (lg->mode) {
	case M_PUT: n_total = (size_t)lg->pairs * (lg->live ? 2 : 1); break;
	case M_FILL: n_total = (size_t)lg->pairs; break;
	case M_DRAIN: n_total = (size_t)lg->pairs; break;
	case M_HANDSHAKES: case M_IDLE: n_total = (size_t)lg->count; break;
	default: n_total = 2 * (size_t)lg->pairs; break;
	}
	lg->conns = calloc(n_total + 1, sizeof *lg->conns);
	if (lg->rpub == NULL || lg->conns == NULL)
		return 1;
	for (i = 0; i < (size_t)lg->pairs; i++) {
		uint8_t priv[32];
		derive_key(priv, lg->rpub[i], lg->seed, 'r', i);
		sodium_memzero(priv, sizeof priv);
	}
	lg->n_conns = n_total;
	for (i = 0; i < n_total; i++) {
		struct lconn *c = calloc(1, sizeof *c);
		if (c == NULL)
			return 1;
		c->lg = lg;
		c->fd = -1;
		c->state = C_DEAD;
		if (lg->mode == M_REGISTER) {
			c->sender = i < (size_t)lg->pairs;
			c->idx = (int)(i % (size_t)lg->pairs);
			derive_key(c->priv, c->pub, lg->seed, c->sender ? 's' : 'r', (size_t)c->idx);
		} else if (lg->mode == M_HANDSHAKES || lg->mode == M_IDLE) {
			c->idx = (int)i;
			derive_key(c->priv, c->pub, lg->seed, 'h', i);
		} else if (lg->mode == M_DRAIN) {
			c->idx = (int)i;
			derive_key(c->priv, c->pub, lg->seed, 'r', i);
		} else if ((lg->mode == M_PUT && !lg->live) || lg->mode == M_FILL ||
		    i < (size_t)lg->pairs) {
			c->sender = 1;
			c->idx = (int)i;
			derive_key(c->priv, c->pub, lg->seed, 's', i);
		} else {
			c->idx = (int)(i - (size_t)lg->pairs);
			derive_key(c->priv, c->pub, lg->seed, 'r', (size_t)c->idx);
		}
		lg->conns[i] = c;
	}
	lg->t0 = now_ns();
	deadline = lg->t0 + (uint64_t)((lg->secs > 0 ? lg->secs : 600) * 1e9) + 60000000000u;
	lg->t_end = UINT64_MAX;
	if (lg->mode == M_HANDSHAKES) {
		lg->started = 1;
		lg->t_start = lg->t0;
	}
	for (;;) {
		/* Open connections, at most --conc handshakes at a time. */
		while (next_open < n_total && lg->in_hs < lg->conc) {
			if (conn_open(lg, lg->conns[next_open]) < 0) {
				fprintf(stderr, "loadgen: cannot connect to %s:%u: %s\n", lg->addr.host,
				    lg->addr.port, strerror(errno));
				lg->lost = 1;
				lg->dead++;
			}
			next_open++;
		}
		t = now_ns();
		/* Everyone is ready: start the measured part. */
		if (!lg->started && lg->ready + lg->dead >= n_total && next_open == n_total) {
			int all_synced = 1;
			for (i = 0; i < n_total; i++)
				if (!lg->conns[i]->sender && lg->conns[i]->state == C_READY &&
				    lg->conns[i]->synced == 0 && lg->mode != M_IDLE &&
				    lg->mode != M_HANDSHAKES && lg->mode != M_FILL && lg->mode != M_REGISTER)
					all_synced = 0;
			if (all_synced) {
				lg->started = 1;
				lg->t_start = t;
				if (lg->secs > 0)
					lg->t_end = t + (uint64_t)(lg->secs * 1e9);
				if (lg->mode == M_IDLE) {
					printf("ready %" PRIu64 " lost=%" PRIu64 "\n", lg->ready, lg->dead);
					fflush(stdout);
				}
				for (i = 0; i < n_total; i++) {
					lg->conns[i]->next_send_ns = t + (uint64_t)i * 100000u;
					lg->conns[i]->last_rx_ns = t;
					sender_pump(lg->conns[i]);
					if (lg->conns[i]->state == C_READY)
						conn_flush(lg->conns[i]);
				}
			}
		}
		if (lg->started && lg->mode == M_LATENCY) {
			uint64_t nx = latency_tick(lg, t);
			if (nx != next_timer && nx != UINT64_MAX) {
				arm_timer(lg, nx);
				next_timer = nx;
			}
		}
		/* When to stop. */
		if (lg->started) {
			int busy = 0;
			if (lg->mode == M_HANDSHAKES) {
				if (lg->hs_done + lg->dead >= n_total)
					break;
				goto wait;
			}
			if (lg->mode == M_REGISTER)
				break;
			if (lg->mode == M_IDLE)
				busy = 1;
			for (i = 0; i < n_total && !busy; i++) {
				struct lconn *c = lg->conns[i];
				if (c->state != C_READY)
					continue;
				if (c->sender && (sending(lg) && (lg->count == 0 || c->sent < lg->count)))
					busy = 1;
				if (c->inflight > 0 || c->n_acks > 0)
					busy = 1;
				if (!c->sender && lg->mode == M_DRAIN &&
				    t - c->last_rx_ns < (uint64_t)(lg->idle_ms * 1e6))
					busy = 1;
				if (!c->sender && lg->mode == M_LATENCY && t < lg->t_end + 500000000u)
					busy = 1;
			}
			if (lg->secs > 0 && t >= lg->t_end && lg->mode != M_LATENCY &&
			    lg->mode != M_IDLE) {
				lg->stop = 1;
				busy = 0;
			}
			if (!busy || lg->ready == lg->dead)
				break;
		} else if (lg->ready + lg->dead >= n_total && lg->dead >= n_total)
			break;
		if (t > deadline) {
			fprintf(stderr, "loadgen: gave up after the deadline\n");
			rc = 1;
			break;
		}
wait:
		n = epoll_wait(lg->ep, evs, 256, lg->mode == M_DRAIN || lg->secs > 0 ? 20 : 200);
		for (k = 0; k < n; k++) {
			struct lconn *c = evs[k].data.ptr;
			if (c == NULL) {
				uint64_t x;
				if (read(lg->tfd, &x, sizeof x) < 0)
					continue;
				continue;
			}
			if ((void *)c == (void *)lg) {
				char b[256];
				if (read(0, b, sizeof b) <= 0)
					goto out;
				continue;
			}
			if (c->state == C_DEAD)
				continue;
			if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				conn_read(c);
			if (c->state != C_DEAD)
				conn_flush(c);
		}
	}
out:
	t = now_ns();
	{
		double el = (double)((lg->secs > 0 && lg->t_end != UINT64_MAX && t > lg->t_end ?
		    lg->t_end : t) - lg->t_start) / 1e9;
		double all = (double)(t - lg->t0) / 1e9;
		switch (lg->mode) {
		case M_PAIRS:
			printf("acked_per_s=%.0f delivered_per_s=%.0f secs=%.2f\n",
			    (double)lg->total_acked / el, (double)lg->total_delivered / el, el);
			break;
		case M_LATENCY:
			if (lg->n_lat > 0) {
				qsort(lg->lat, lg->n_lat, sizeof *lg->lat, cmp_u64);
				printf("p50_us=%.0f p99_us=%.0f samples=%zu\n",
				    (double)lg->lat[lg->n_lat / 2] / 1e3,
				    (double)lg->lat[lg->n_lat * 99 / 100] / 1e3, lg->n_lat);
			} else
				printf("p50_us=0 p99_us=0 samples=0\n");
			break;
		case M_HANDSHAKES:
			printf("handshakes_per_s=%.0f done=%" PRIu64 "\n", (double)lg->hs_done / all,
			    lg->hs_done);
			break;
		case M_PUT: case M_FILL:
			fprintf(stderr, "loadgen: acked=%" PRIu64 " secs=%.2f\n", lg->total_acked, el);
			if (lg->mode == M_FILL)
				printf("acked=%" PRIu64 " per_s=%.0f\n", lg->total_acked,
				    (double)lg->total_acked / el);
			break;
		case M_DRAIN:
			fprintf(stderr, "loadgen: delivered=%" PRIu64 "\n", lg->total_delivered);
			break;
		case M_REGISTER:
			printf("registered=%" PRIu64 "\n", lg->ready);
			break;
		default:
			break;
		}
	}
	fflush(stdout);
	if (lg->lost && lg->mode != M_IDLE)
		rc = 1;
	for (i = 0; i < lg->n_conns; i++) {
		if (lg->conns[i]->fd >= 0)
			close(lg->conns[i]->fd);
		noise_hs_free(lg->conns[i]->hs);
		noise_cs_free(lg->conns[i]->cs);
		sodium_memzero(lg->conns[i]->priv, 32);
		free(lg->conns[i]->wbuf);
		free(lg->conns[i]->rbuf);
		free(lg->conns[i]->acks);
		free(lg->conns[i]);
	}
	free(lg->conns);
	free(lg->rpub);
	free(lg->lat);
	msg_out_free(&lg->out);
	close(lg->tfd);
	close(lg->ep);
	free(lg);
	return rc;
}
