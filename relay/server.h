/*
 * The relay server: one libuv loop, its listener, connections, timers and
 * the shared state the request handlers use. struct server is the context
 * every callback reaches through handle->data (no globals), so a test can run
 * two relays in one process.
 */
#ifndef RELAY_SERVER_H
#define RELAY_SERVER_H

#include <stdint.h>
#include <uv.h>

#include "proto/frame.h"
#include "relay/relaycfg.h"
#include "relay/htab.h"
#include "relay/limit.h"
#include "relay/log.h"
#include "relay/nameplate.h"
#include "relay/stats.h"
#include "relay/storage.h"
#include "relay/regset.h"

#define SERVER_KEYLEN 32

struct conn;

struct server {
	uv_loop_t *loop;
	struct relaycfg cfg;
	struct log log;
	const char *dir;
	uint8_t *priv;                  /* relay static private key (sodium_malloc) */
	uint8_t pub[SERVER_KEYLEN];
	uv_tcp_t listener;
	uv_timer_t tick;                /* timeouts, sweeps, stats: once a second */
	const char *store_url;          /* NULL: SQLite in dir */
	struct storage *store;
	struct htab *devices;           /* proven device key -> conn */
	struct regset *registered;      /* registered device keys; NULL: ask the reader */
	struct limit_srcs *srcs;
	struct limit_devs *devlimits;     /* per-device buckets (puts, prekey fetches) */
	struct limit_dev_rates devrates;
	struct nameplates *nps;
	struct conn *conns;             /* every open connection */
	struct conn *flush;             /* connections with frames to send */
	uv_check_t flusher;
	struct stats stats;
	uint64_t next_conn_id;
	uint64_t last_sweep, last_stats;
	uint64_t trim_seen, trimmed_at;     /* batch counts: heap trimmed once idle */
	int stopping;
	int exit_code;
	/* Shared per-loop buffers: a connection holds none while idle. */
	uint8_t rbuf[65536];
	uint8_t plain[FRAME_MAX];
	uint8_t cbuf[FRAME_HDR + FRAME_MAX];
};

/*
 * Sets up the server on loop: opens the store (srv->store_url when set, else
 * SQLite in dir), loads or creates the key in dir, binds host:port. why gets a sentence on failure. Then the caller
 * prints the address (server_address) and runs the loop. Process concerns
 * (signals, SIGPIPE, the fd limit, sd_notify) are the caller's: relay/main.c.
 */
int server_init(struct server *, uv_loop_t *, const char *dir, const struct relaycfg *,
    const char *host, int port, char *why, size_t why_cap);
/* Frees everything after the loop has stopped. */
void server_free(struct server *);
/* attune://HOST:PORT/KEY of the listening socket. */
int server_address(struct server *, char *out, size_t cap, const char *host);
/* Stop accepting, finish commits in flight, answer them, close every connection. */
void server_stop(struct server *);
/* Loads DIR/relay.key, creating it on first use. priv is sodium_malloc'd. */
int server_load_key(const char *dir, uint8_t **priv, uint8_t pub[SERVER_KEYLEN],
    char *why, size_t why_cap);
/* Monotonic seconds, and wall-clock seconds. */
double server_now(const struct server *);
uint64_t server_time(void);
/* Counts a rejection and logs it: event=reject reason=... plus the pairs in fmt. */
void server_reject(struct server *, enum stats_reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
