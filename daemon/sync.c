/*
 * The sync engine's lifecycle (see sync.h): the relay connection's
 * callbacks, the flush timer, start/stop, and the network watch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "proto/err.h"
#include "proto/addr.h"
#include "proto/msg.h"
#include "daemon/ctx.h"
#include "daemon/inbox.h"
#include "daemon/keys.h"
#include "daemon/outbox.h"
#include "daemon/prekeys.h"
#include "daemon/relayconn.h"
#include "daemon/store.h"
#include "daemon/sync.h"

#define SYNC_RETRY_MS 3000

struct sync {
	struct daemon *d;
	struct relayconn *rc;
	struct prekeys *prekeys;
	struct outbox *outbox;
	struct inbox *inbox;
	uv_timer_t timer;          /* flush soon / retry */
	int handles;               /* libuv handles open; freed when the last one closes */
	int netwatch_on;
	uv_poll_t netwatch;        /* rtnetlink: an address appeared, reconnect now */
	int netfd;
	int started;
	int paused;                /* the host said the network is down */
	/* Draining (attune_core_sync_once): is everything the relay holds for us in? */
	int synced;                /* the relay answered our last sync */
	int draining, drained, drain_ping;
	uint64_t delivered;        /* delivers seen on this engine */
	uint64_t drain_mark;       /* delivered when the drain ping went out */
};

static void sync_netwatch_init(struct sync *s);

void
sync_kv_uint(struct sync *s, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	store_kv_set_str(s->d->store, key, buf);
}

uint64_t
sync_kv_get_uint(struct sync *s, const char *key, uint64_t dflt)
{
	char buf[24];

	if (store_kv_get_str(s->d->store, key, buf, sizeof buf) < 0)
		return dflt;
	return strtoull(buf, NULL, 10);
}

static void
sync_on_timer(uv_timer_t *t)
{
	struct sync *s = t->data;

	if (prekeys_take_retry(s))
		prekeys_sessions_start(s, NULL);
	outbox_flush(s);
}

void
sync_flush_soon(struct sync *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->timer))
		uv_timer_start(&s->timer, sync_on_timer, 0, 0);
}

void
sync_retry_later(struct sync *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->timer) && !uv_is_active((uv_handle_t *)&s->timer))
		uv_timer_start(&s->timer, sync_on_timer, SYNC_RETRY_MS, 0);
}

void
sync_ignore_reply(void *arg, const struct msg *reply)
{
	(void)arg;
	(void)reply;
}

const char *
sync_reply_code(const struct msg *reply)
{
	static const char none[] = "connection-lost";
	const char *c;
	size_t n;

	if (reply == NULL)
		return none;
	if (msg_get_str(msg_root(reply), "code", 64, &c, &n) < 0)
		return "error";
	return c;   /* not NUL-terminated in general: callers print with %.*s via reply_code_len */
}

int
sync_reply_code_len(const struct msg *reply)
{
	const char *c;
	size_t n;

	if (reply == NULL)
		return (int)strlen("connection-lost");
	if (msg_get_str(msg_root(reply), "code", 64, &c, &n) < 0)
		return 5;
	return (int)n;
}

struct relayconn *
sync_relayconn(struct sync *s)
{
	return s->rc;
}

int
sync_registered(const struct sync *s)
{
	return relayconn_is_up(s->rc) && prekeys_registered(s);
}

int
sync_relay_address(struct sync *s, char *out, size_t cap)
{
	struct daemon *d = s->d;

	if (d->store != NULL && store_kv_get_str(d->store, SYNC_KV_RELAY, out, cap) == 0 && out[0])
		return 0;
	if (d->config.relay[0] == '\0')
		return ATT_ENOTFOUND;
	if (strlen(d->config.relay) >= cap)
		return ATT_ETOOBIG;
	strcpy(out, d->config.relay);
	return 0;
}

struct daemon *
sync_daemon(const struct sync *s)
{
	return s->d;
}

struct prekeys *
sync_prekeys(const struct sync *s)
{
	return s->prekeys;
}

struct outbox *
sync_outbox(const struct sync *s)
{
	return s->outbox;
}

struct inbox *
sync_inbox(const struct sync *s)
{
	return s->inbox;
}

/* ---- sync requests and draining ---- */

static void sync_drain_check(struct sync *s);

static void
sync_on_drain_pong(void *arg, const struct msg *reply)
{
	struct sync *s = arg;

	s->drain_ping = 0;
	if (reply == NULL || !s->draining)
		return;
	/*
	 * The relay handles a connection's requests in order, and an ack pumps
	 * the next delivers before the relay reads on: a pong with no deliver
	 * since the ping went out means the mailbox had nothing more for us.
	 */
	if (s->delivered == s->drain_mark)
		s->drained = 1;
	else
		sync_drain_check(s);
}

static void
sync_drain_check(struct sync *s)
{
	struct msg_out o;
	uint64_t id;

	if (!s->draining || s->drained || !s->synced || s->drain_ping)
		return;
	s->drain_mark = s->delivered;
	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "ping", id, 0);
	if (relayconn_request(s->rc, &o, id, sync_on_drain_pong, s) == 0)
		s->drain_ping = 1;
	msg_out_free(&o);
}

static void
sync_on_sync_reply(void *arg, const struct msg *reply)
{
	struct sync *s = arg;

	if (reply == NULL || !msg_is_type(reply, "ok"))
		return;
	s->synced = 1;
	sync_drain_check(s);
}

void
sync_resync(struct sync *s)
{
	struct msg_out o;
	uint64_t id;

	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "sync", id, 0);
	relayconn_request(s->rc, &o, id, sync_on_sync_reply, s);
	msg_out_free(&o);
}

void
sync_note_delivery(struct sync *s)
{
	s->delivered++;
}

void
sync_drain_begin(struct sync *s)
{
	s->draining = 1;
	s->drained = 0;
	sync_drain_check(s);
}

int
sync_drained(const struct sync *s)
{
	return s->drained;
}

uint64_t
sync_delivered(const struct sync *s)
{
	return s->delivered;
}

void
sync_network(struct sync *s, int up)
{
	if (!up) {
		if (s->started && !s->paused) {
			s->paused = 1;
			sync_stop(s);
		}
		return;
	}
	if (s->paused) {
		s->paused = 0;
		sync_start(s);
	} else if (s->started)
		relayconn_kick(s->rc);
}

/* ---- the relay connection's callbacks ---- */

static void
sync_on_up(void *arg, int registered)
{
	struct sync *s = arg;

	fprintf(stderr, "attuned: connected to the relay\n");
	outbox_reset(s);
	prekeys_on_up(s, registered);
}

static void
sync_on_down(void *arg, int err)
{
	struct sync *s = arg;

	(void)err;
	s->synced = 0;
	inbox_reset(s);
	prekeys_on_down(s);
	outbox_reset(s);
}

static void
sync_on_push(void *arg, const struct msg *m)
{
	struct sync *s = arg;

	if (msg_is_type(m, "deliver"))
		inbox_deliver(s, m);
}

static const struct relayconn_ops sync_relay_ops = { sync_on_up, sync_on_push, sync_on_down };

void
sync_status(struct sync *s, int *connected, uint64_t *undecryptable)
{
	*connected = sync_registered(s);
	*undecryptable = inbox_undecryptable(s);
}

void
sync_stop(struct sync *s)
{
	relayconn_stop(s->rc);
	uv_timer_stop(&s->timer);
	inbox_reset(s);
	s->started = 0;
	s->synced = 0;
	s->draining = 0;
}

/* ---- lifecycle ---- */

int
sync_new(struct daemon *d)
{
	struct sync *s = calloc(1, sizeof *s);

	if (s == NULL)
		return ATT_ENOMEM;
	s->d = d;
	s->rc = relayconn_new(d->loop, &sync_relay_ops, s);
	s->prekeys = prekeys_new(s);
	s->outbox = outbox_new(s);
	if (s->rc == NULL || s->prekeys == NULL || s->outbox == NULL ||
	    (s->inbox = inbox_new(s)) == NULL) {
		relayconn_free(s->rc);
		prekeys_free(s->prekeys);
		outbox_free(s->outbox);
		free(s);
		return ATT_ENOMEM;
	}
	if (d->backoff_max_ms != 0)
		relayconn_set_backoff(s->rc, 100, d->backoff_max_ms);
	if (d->keepalive_ms != 0)
		relayconn_set_keepalive(s->rc, d->keepalive_ms);
	uv_timer_init(d->loop, &s->timer);
	s->timer.data = s;
	s->handles = 1;
	s->netfd = -1;
	sync_netwatch_init(s);
	d->sync = s;
	return 0;
}

int
sync_start(struct sync *s)
{
	struct daemon *d = s->d;
	char relay[ADDR_STR_MAX], why[128];
	struct addr a;
	int r;

	if (!daemon_initialised(d))
		return 0;
	inbox_load(s);
	r = sync_relay_address(s, relay, sizeof relay);
	if (r < 0) {
		fprintf(stderr, "attuned: no relay configured yet: pair with a partner, or set "
		        "[relay] address in attuned.conf\n");
		return 0;
	}
	r = addr_parse_ex(&a, relay, why, sizeof why);
	if (r < 0) {
		fprintf(stderr, "attuned: the relay address is not valid: %s\n", why);
		return r;
	}
	s->started = 1;
	return relayconn_start(s->rc, &a, keys_relay_sk(d->keys));
}

/* Reconnects, e.g. after the relay address or the registration changed. */
int
sync_restart(struct sync *s)
{
	relayconn_stop(s->rc);
	return sync_start(s);
}

static void
sync_on_close(uv_handle_t *h)
{
	struct sync *s = h->data;

	if (--s->handles == 0) {
		if (s->netfd >= 0)
			close(s->netfd);
		prekeys_free(s->prekeys);
		outbox_free(s->outbox);
		free(s);
	}
}

/*
 * Network changes: when a link comes up or an address appears, a relay
 * connection waiting in backoff is retried at once instead of at the end of
 * its wait. Without rtnetlink (a sandbox refusing AF_NETLINK) this quietly
 * does nothing and the backoff alone applies.
 */
static void
sync_on_netlink(uv_poll_t *h, int status, int events)
{
	struct sync *s = h->data;
	uint8_t buf[8192];
	int kick = 0;

	(void)events;
	if (status < 0)
		return;
	for (;;) {
		ssize_t n = recv(s->netfd, buf, sizeof buf, MSG_DONTWAIT);
		struct nlmsghdr *nh;
		size_t left;

		if (n <= 0)
			break;
		left = (size_t)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left))
			if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_NEWLINK)
				kick = 1;
	}
	if (kick && s->started)
		relayconn_kick(s->rc);
}

static void
sync_netwatch_init(struct sync *s)
{
	struct sockaddr_nl sa;

	s->netfd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (s->netfd >= 0 && bind(s->netfd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(s->netfd);
		s->netfd = -1;
	}
	if (s->netfd >= 0 && uv_poll_init(s->d->loop, &s->netwatch, s->netfd) == 0) {
		s->netwatch.data = s;
		s->netwatch_on = 1;
		s->handles++;
		uv_poll_start(&s->netwatch, UV_READABLE, sync_on_netlink);
		return;
	}
	if (s->netfd >= 0)
		close(s->netfd);
	s->netfd = -1;
}

void
sync_free(struct sync *s)
{
	if (s == NULL)
		return;
	relayconn_free(s->rc);
	s->rc = NULL;
	if (s->d->sync == s)
		s->d->sync = NULL;
	inbox_free(s->inbox);
	s->inbox = NULL;
	if (s->netwatch_on)
		uv_close((uv_handle_t *)&s->netwatch, sync_on_close);
	uv_close((uv_handle_t *)&s->timer, sync_on_close);
}
