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
	int stopping;             /* shutdown under way (SIGTERM, wipe) */
	int exit_code;
	/* Set by main: stop the loop (closes the API, stops sync), exit with code. */
	void (*shutdown)(struct daemon *d, int code);
};

/* 1 once init (or link) has made keys and opened the store. */
static inline int
daemon_initialised(const struct daemon *d)
{
	return d->keys != NULL && d->store != NULL;
}

#endif
