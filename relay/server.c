#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sodium.h>

#include "proto/addr.h"
#include "proto/err.h"
#include "proto/keyfile.h"
#include "proto/noise.h"
#include "relay/conn.h"
#include "relay/request.h"
#include "relay/server.h"

double
server_now(const struct server *srv)
{
	return (double)uv_now(srv->loop) / 1000.0;
}

uint64_t
server_time(void)
{
	return (uint64_t)time(NULL);
}

void
server_reject(struct server *srv, enum stats_reason why, const char *fmt, ...)
{
	char pairs[256], reason[40];
	va_list ap;
	size_t i;

	if (why >= REASON_N)
		return;
	srv->stats.reject[why]++;
	snprintf(reason, sizeof reason, "%s", stats_reason_name(why));
	for (i = 0; reason[i] != '\0'; i++)
		if (reason[i] == '_')
			reason[i] = '-';
	va_start(ap, fmt);
	vsnprintf(pairs, sizeof pairs, fmt, ap);
	va_end(ap);
	log_event(&srv->log, "reject", "reason=%s %s", reason, pairs);
}

int
server_load_key(const char *dir, uint8_t **priv, uint8_t pub[SERVER_KEYLEN], char *why,
    size_t why_cap)
{
	char path[4096];
	uint8_t *k;
	size_t len;
	int r;

	snprintf(path, sizeof path, "%s/relay.key", dir);
	r = keyfile_read(path, &k, &len, SERVER_KEYLEN);
	if (r == ATT_ENOTFOUND) {
		uint8_t *fresh = keyfile_alloc(SERVER_KEYLEN);
		if (fresh == NULL)
			return ATT_ENOMEM;
		noise_keypair(pub, fresh);
		r = keyfile_write(path, fresh, SERVER_KEYLEN);
		if (r < 0) {
			keyfile_free(fresh);
			snprintf(why, why_cap, "cannot write the relay key %s: %s", path, strerror(errno));
			return r;
		}
		*priv = fresh;
		return 0;
	}
	if (r < 0) {
		snprintf(why, why_cap, "cannot read the relay key %s: %s", path,
		    r == ATT_EPERM ? "its mode lets others read it (chmod 600 it)" : att_strerror(r));
		return r;
	}
	if (len != SERVER_KEYLEN) {
		keyfile_free(k);
		snprintf(why, why_cap, "the relay key %s is not %d bytes", path, SERVER_KEYLEN);
		return ATT_ECORRUPT;
	}
	noise_pubkey(pub, k);
	*priv = k;
	return 0;
}

static void
write_stats(struct server *srv)
{
	uint64_t b, o;
	int up;

	storage_counts(srv->store, &b, &o, &up);
	srv->stats.batches = b;
	srv->stats.store_up = up;
	stats_write(&srv->stats, srv->dir);
}

struct expire_op {
	struct storage_op op;
	struct server *srv;
};

static void
expire_done(struct storage_op *op)
{
	struct expire_op *o = (struct expire_op *)op;

	if (op->result >= 0 && op->u.expire.n > 0)
		log_event(&o->srv->log, "expire", "envelopes=%d", op->u.expire.n);
	free(o);
}

/*
 * Envelopes live in the database, never in the relay's memory; but a big
 * batch leaves freed heap behind (SQLite's pages of that transaction, the
 * requests' buffers), which glibc keeps. Once a second, after a second
 * without commits, it goes back to the system, so the relay's size follows
 * what it holds (about 2 MiB of SQLite page cache per connection, bounded by
 * cache_size) rather than its busiest moment.
 */
static void
trim(struct server *srv)
{
	uint64_t b, o;
	int up;

	storage_counts(srv->store, &b, &o, &up);
	if (b != srv->trimmed_at && storage_idle(srv->store)) {
		if (b == srv->trim_seen) {
			malloc_trim(0);
			srv->trimmed_at = b;
		}
		srv->trim_seen = b;
	}
}

static void
tick_cb(uv_timer_t *t)
{
	struct server *srv = t->data;
	uint64_t now = server_time();
	struct expire_op *o;

	conn_sweep(srv);
	nameplate_sweep(srv->nps, now);
	limit_srcs_sweep(srv->srcs, srv->cfg.handshake_rate, srv->cfg.handshake_burst,
	    srv->cfg.nameplate_rate, srv->cfg.nameplate_burst, server_now(srv));
	limit_devs_sweep(srv->devlimits, &srv->devrates, server_now(srv));
	if (now - srv->last_sweep >= srv->cfg.sweep_interval && !srv->stopping &&
	    (o = calloc(1, sizeof *o)) != NULL) {
		srv->last_sweep = now;
		o->srv = srv;
		o->op.kind = STORAGE_EXPIRE;
		o->op.u.expire.before = now - srv->cfg.ttl;
		o->op.u.expire.max = 10000;
		o->op.done = expire_done;
		storage_submit(srv->store, &o->op);
	}
	if (now - srv->last_stats >= srv->cfg.stats_interval) {
		srv->last_stats = now;
		write_stats(srv);
	}
	trim(srv);
}

static void
flush_cb(uv_check_t *h)
{
	conn_flush_all(h->data);
}

static void
close_all(void *arg)
{
	struct server *srv = arg;

	conn_flush_all(srv);     /* the answers to the last commits */
	while (srv->conns != NULL)
		conn_close(srv->conns, REASON_N, 0);
	uv_close((uv_handle_t *)&srv->tick, NULL);
	uv_close((uv_handle_t *)&srv->flusher, NULL);
	write_stats(srv);
	log_event(&srv->log, "stopped", NULL);
}

void
server_stop(struct server *srv)
{
	struct conn *c;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_event(&srv->log, "stopping", "pending=%d", !storage_idle(srv->store));
	uv_close((uv_handle_t *)&srv->listener, NULL);
	/* Take no new requests; answer what is on its way to disk, then close. */
	for (c = srv->conns; c != NULL; c = c->next)
		if (c->state != CONN_CLOSING)
			uv_read_stop((uv_stream_t *)&c->tcp);
	if (storage_idle(srv->store))
		close_all(srv);
	else
		storage_on_idle(srv->store, close_all, srv);
}

/* Past REGSET_MAX the set stops: the handshake asks the reader for the rest. */
static int
load_registered(const uint8_t dev[RELAYDB_KEYLEN], void *arg)
{
	return regset_add(arg, dev) < 0 ? 1 : 0;
}

/* Another node stored envelopes for dev: if dev is connected here, read them. */
static void
mailbox_cb(void *arg, const uint8_t dev[STORAGE_KEYLEN])
{
	struct server *srv = arg;
	struct htab_node *n = htab_find(srv->devices, dev);
	struct conn *c;

	if (n == NULL)
		return;
	c = (struct conn *)((char *)n - offsetof(struct conn, dnode));
	c->more = 1;
	conn_pump(c);
}

/* The database is back: what was put while it was away waits there for everyone. */
static void
reconnect_cb(void *arg)
{
	struct server *srv = arg;
	struct conn *c;

	log_event(&srv->log, "store_up", "backend=%s", storage_backend(srv->store));
	for (c = srv->conns; c != NULL; c = c->next)
		if (c->state == CONN_READY && c->synced) {
			c->more = 1;
			conn_pump(c);
		}
}

int
server_init(struct server *srv, uv_loop_t *loop, const char *dir, const struct relaycfg *cfg,
    const char *host, int port, char *why, size_t why_cap)
{
	struct sockaddr_storage ss;
	int r;

	srv->loop = loop;
	srv->cfg = *cfg;
	srv->dir = dir;
	srv->stats.started = server_time();
	srv->last_sweep = srv->last_stats = server_time();
	if (srv->log.f == NULL)
		srv->log.f = stderr;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, why_cap, "cannot create the data folder %s: %s", dir, strerror(errno));
		return ATT_EIO;
	}
	if ((r = server_load_key(dir, &srv->priv, srv->pub, why, why_cap)) < 0)
		return r;
	if ((r = storage_open(&srv->store, loop, srv->store_url != NULL ? srv->store_url : dir, why,
	    why_cap)) < 0)
		return r;
	storage_set_log(srv->store, &srv->log);
	storage_on_mailbox(srv->store, mailbox_cb, srv);
	storage_on_reconnect(srv->store, reconnect_cb, srv);
	srv->devices = htab_new(32);
	srv->registered = regset_new(REGSET_MAX);
	if (srv->registered != NULL &&
	    storage_devices_each(srv->store, load_registered, srv->registered) < 0) {
		regset_free(srv->registered);
		srv->registered = NULL;
	}
	srv->srcs = limit_srcs_new(65536);
	srv->devlimits = limit_devs_new(1u << 20);
	srv->devrates = (struct limit_dev_rates){ cfg->put_rate, cfg->put_burst, cfg->prekey_rate,
	    cfg->prekey_burst, cfg->prekey_target_rate, cfg->prekey_target_burst };
	srv->nps = nameplates_new(cfg->nameplates_max, cfg->nameplate_ttl, cfg->nameplate_messages,
	    request_np_push, srv);
	if (srv->devices == NULL || srv->srcs == NULL || srv->devlimits == NULL ||
	    srv->nps == NULL) {
		snprintf(why, why_cap, "out of memory");
		return ATT_ENOMEM;
	}
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0) {
		snprintf(why, why_cap, "%s is not an IP address to listen on", host);
		return ATT_EADDRESS;
	}
	uv_tcp_init(loop, &srv->listener);
	srv->listener.data = srv;
	if ((r = uv_tcp_bind(&srv->listener, (struct sockaddr *)&ss, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&srv->listener, 1024, conn_accept)) != 0) {
		snprintf(why, why_cap, "cannot listen on %s port %d: %s", host, port, uv_strerror(r));
		return ATT_EIO;
	}
	uv_check_init(loop, &srv->flusher);
	srv->flusher.data = srv;
	uv_check_start(&srv->flusher, flush_cb);
	uv_unref((uv_handle_t *)&srv->flusher);
	uv_timer_init(loop, &srv->tick);
	srv->tick.data = srv;
	uv_timer_start(&srv->tick, tick_cb, 1000, 1000);
	return 0;
}

int
server_address(struct server *srv, char *out, size_t cap, const char *host)
{
	struct sockaddr_storage ss;
	int len = sizeof ss, port;

	if (uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&ss, &len) != 0)
		return ATT_EIO;
	port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return addr_format(out, cap, host, (uint16_t)port, srv->pub);
}

void
server_free(struct server *srv)
{
	storage_close(srv->store);
	srv->store = NULL;
	nameplates_free(srv->nps);
	limit_srcs_free(srv->srcs);
	limit_devs_free(srv->devlimits);
	htab_free(srv->devices);
	regset_free(srv->registered);
	srv->registered = NULL;
	keyfile_free(srv->priv);
	srv->priv = NULL;
}
