/*
 * One local API request being handled (docs/PROTOCOL.md section 8), as the
 * request handlers (daemon/cmd_*.c) see it: the parsed request map, its id
 * and the reply being built. The transport that carried the request
 * (daemon/api.c) reads the reply and the flags back when the handler returns.
 *
 * A handler either fills k->out with its reply and returns 0, or calls
 * call_fail (which replaces the reply with an error frame) and returns -1.
 */
#ifndef ATTUNE_DAEMON_CALL_H
#define ATTUNE_DAEMON_CALL_H

#include <stdint.h>
#include <msgpack.h>

#include "daemon/store.h"

struct daemon;
struct conn;
struct msg_out;

struct call {
	struct daemon *d;
	struct conn *c;            /* the client connection (daemon/api.c only) */
	const msgpack_object *m;   /* the request map */
	uint64_t id;
	struct msg_out *out;       /* the reply; empty when a held api_req answers later */
	int watch;                 /* set by watch: push events to this client from now on */
	int quit_after_reply;      /* set by wipe: stop the daemon once the reply is out */
	uint64_t queued;           /* a write's envelopes queued for partners' devices */
};

/* Writes an error reply and returns -1, so handlers can `return call_fail(...)`. */
int call_fail(struct call *k, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A field error from the msg getters (proto/msg.h), naming the field. */
int call_fail_field(struct call *k, int err, const char *field);
/* Reads the optional "offset" of a paged reply (0 when absent). */
int call_get_offset(struct call *k, uint64_t *offset);

/* The wall clock, in seconds. */
uint64_t call_now(void);

/*
 * Resolves person keys to display names for event_pack_api: our own name
 * for our key, a partner's name for theirs, NULL for anyone else.
 */
struct call_namer {
	struct daemon *d;
	struct store_partner p;    /* holds the name returned last */
};
const char *call_namer_fn(void *arg, const uint8_t key[32]);

#endif
