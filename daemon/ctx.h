/*
 * The daemon context: one struct per running attuned, reached through
 * handle->data, so one process (a test) can hold several. No globals.
 *
 * daemon-sync owns `struct sync` and fills `sync_ops` in its constructor;
 * daemon-core calls through the table (a NULL table or entry means "no sync
 * yet": events are stored, nothing is queued).
 */
#ifndef ATTUNE_DAEMON_CTX_H
#define ATTUNE_DAEMON_CTX_H

#include <stdint.h>
#include <uv.h>

#include "daemon/config.h"
#include "daemon/paths.h"
#include "daemon/store.h"

struct api;
struct api_req;
struct event;
struct keys;
struct notify;
struct sync;

struct sync_ops {
	/*
	 * A new event of ours, already validated and stored (inside an open
	 * store transaction that the caller commits after this returns 0).
	 * Build one plaintext per recipient person (event_pack_plain), seal it
	 * for every device of every partner in ev->to and for our own other
	 * devices, and queue the envelopes (store_outbox_add). *queued = how
	 * many. An error rolls the whole request back.
	 */
	int (*send_event)(struct sync *s, const struct event *ev, uint64_t *queued);
	/*
	 * pair (link = 0) or link (link = 1); code NULL = invite, else join;
	 * relay NULL = configured one. Takes ownership of req (reply with
	 * api_req_send: "pairing" first, then "paired" push or an error; then
	 * api_req_release). Return an error only if req was not used.
	 */
	int (*pair)(struct sync *s, struct api_req *req, int link, const char *code, const char *relay);
	/* Publish a device list without relay key `device` (one of ours). */
	int (*revoke)(struct sync *s, const uint8_t device[32]);
	/* Stop talking to person; tell = send a signed farewell first. Called before the store rows go. */
	int (*unpair)(struct sync *s, const uint8_t person[32], int tell);
	/* For `status`: relay connection up?, undecryptable count. */
	void (*status)(struct sync *s, int *connected, uint64_t *undecryptable);
	/* Keys and store just appeared (init, link): register, publish prekeys. */
	void (*initialised)(struct sync *s);
	/* Stop all network activity now (wipe, shutdown). */
	void (*stop)(struct sync *s);
};

struct daemon {
	uv_loop_t *loop;
	struct paths paths;
	struct config config;
	struct keys *keys;        /* NULL until initialised */
	struct store *store;      /* NULL until initialised */
	char name[STORE_NAME_MAX + 1];  /* own display name ("" until initialised) */
	struct api *api;
	struct notify *notify;
	struct sync *sync;        /* owned by daemon-sync */
	const struct sync_ops *sync_ops;
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
