/*
 * The daemon context: one struct per running attuned, reached through
 * handle->data, so one process (a test) can hold several. No globals.
 *
 * The daemon calls its parts directly: the local API (daemon/api.c), the
 * sync engine (daemon/sync.h), pairing (daemon/pairing.h) and the
 * rain-check service (daemon/raincheck.h).
 */
#ifndef ATTUNE_DAEMON_CTX_H
#define ATTUNE_DAEMON_CTX_H

#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/paths.h"
#include "daemon/store.h"

struct api;
struct keys;
struct notify;
struct pairing;
struct raincheck;
struct rounds;
struct sync;

struct daemon {
	uv_loop_t *loop;
	struct paths paths;
	struct config config;
	struct keys *keys;        /* NULL until initialised */
	struct store *store;      /* NULL until initialised */
	char name[STORE_NAME_MAX + 1];  /* own display name ("" until initialised) */
	struct api *api;
	struct notify *notify;
	struct sync *sync;        /* the sync engine (NULL in tests that run without one) */
	struct pairing *pairings; /* pairings and links in progress (daemon/pairing.c) */
	struct raincheck *raincheck;
	struct rounds *rounds;    /* PSI rounds for sparks and wishes (daemon/rounds.c) */
	uint64_t backoff_max_ms;  /* relay reconnect cap, 0 = default */
	uint64_t keepalive_ms;    /* relay ping interval, 0 = default */
	uint64_t revoked_at;      /* when our own device list dropped this device (0: never) */
	uint64_t (*clock)(void *arg);   /* wall clock in seconds; NULL = time() */
	void *clock_arg;
	int stopping;             /* shutdown under way (SIGTERM, wipe) */
	int exit_code;
	/* Set by main: stop the loop (closes the API, stops sync), exit with code. */
	void (*shutdown)(struct daemon *d, int code);
};

/* The wall clock (seconds since 1970) this daemon lives by. */
static inline uint64_t
daemon_now(const struct daemon *d)
{
	return d->clock != NULL ? d->clock(d->clock_arg) : (uint64_t)time(NULL);
}

/* 1 once init (or link) has made keys and opened the store. */
static inline int
daemon_initialised(const struct daemon *d)
{
	return d->keys != NULL && d->store != NULL;
}

#endif
