/*
 * One Noise IK connection from this device to its relay (docs/PROTOCOL.md
 * sections 4 and 5), over libuv TCP. It connects, runs the handshake, reads
 * the relay's hello, then carries requests and replies (matched by id) and
 * hands pushes (id 0) to its owner. When the connection drops it reconnects
 * with exponential backoff and jitter, capped; a keepalive ping finds a
 * dead path. It knows nothing of invites, prekeys or mailboxes: the sync layer
 * (daemon/sync.h and its parts) drives those through relayconn_request.
 */
#ifndef ATTUNE_DAEMON_RELAYCONN_H
#define ATTUNE_DAEMON_RELAYCONN_H

#include <stdint.h>
#include <uv.h>

struct relayconn;
struct msg;
struct msg_out;
struct addr;

struct relayconn_ops {
	/* The handshake is done; registered is the relay's hello flag. */
	void (*up)(void *arg, int registered);
	/* A push from the relay (deliver, np_msg, np_closed). m is freed after return. */
	void (*push)(void *arg, const struct msg *m);
	/* The connection went down (err says why); a reconnect is scheduled. */
	void (*down)(void *arg, int err);
};

/*
 * Called exactly once per request: with the reply (an "error" reply too: check
 * msg_is_type), or with reply NULL when the connection went away first. The
 * reply is freed after return.
 */
typedef void (*relayconn_reply_fn)(void *arg, const struct msg *reply);

/* NULL on ENOMEM. Nothing happens until relayconn_start. */
struct relayconn *relayconn_new(uv_loop_t *loop, const struct relayconn_ops *ops, void *arg);
/* Starts connecting to relay as the device whose Noise static private key is dev_priv (copied). */
int relayconn_start(struct relayconn *, const struct addr *relay, const uint8_t dev_priv[32]);
/* Closes the connection and stops reconnecting; pending requests get NULL replies. */
void relayconn_stop(struct relayconn *);
/* Stops, then frees once libuv has closed every handle. */
void relayconn_free(struct relayconn *);
/* 1 when the handshake is done and requests can be sent. */
int relayconn_is_up(const struct relayconn *);
/* Reconnects at once if waiting in backoff (e.g. new work was queued). */
void relayconn_kick(struct relayconn *);
/* A fresh request id for msg_out_begin. */
uint64_t relayconn_next_id(struct relayconn *);
/*
 * Encrypts and sends req (a whole msgpack map whose id came from
 * relayconn_next_id); fn(arg, reply) is called once. Returns 0, ATT_ESTATE
 * when not up (fn not called), ATT_ETOOBIG, ATT_ENOMEM.
 */
int relayconn_request(struct relayconn *, const struct msg_out *req, uint64_t id,
                      relayconn_reply_fn fn, void *arg);
/* Forgets every pending request whose arg is arg: their fn will not be called. */
void relayconn_cancel(struct relayconn *, void *arg);
/* Counters for status and tests. */
uint64_t relayconn_connects(const struct relayconn *);
/* Backoff limits in milliseconds (tests use small ones); defaults 250 and 30000. */
void relayconn_set_backoff(struct relayconn *, uint64_t base_ms, uint64_t max_ms);
/* Keepalive ping interval in milliseconds; default 60000 (the relay idles out after 600 s). */
void relayconn_set_keepalive(struct relayconn *, uint64_t ms);

#endif
