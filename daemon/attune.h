/*
 * libattune: the attune core, embeddable. One core is one device: its keys,
 * its sealed history and its connection to the couple's relay. attuned is
 * this core plus a process around it (arguments, signals, systemd); a phone
 * or desktop app hosts the same core in-process. docs/EMBEDDING.md shows how.
 *
 * Requests and replies are the local API's msgpack maps (docs/PROTOCOL.md
 * section 8), whichever way they travel: over the Unix socket attuned serves
 * (attune_core_listen) or in-process (attune_core_request), through the one
 * request table. Pushes — an event arrived, a bid, an answer, a rain check
 * due — and the replies that come later (pair, link) reach an in-process
 * host through the push callback, as the same msgpack maps a `watch`ing
 * socket client reads.
 *
 * The core never reads the environment, installs no signal handler, changes
 * no resource limit and talks to no service manager: what it needs comes in
 * struct attune_config.
 *
 * Threading: a core runs on one libuv loop. Either the host passes its own
 * loop (config.loop) and calls every function from the thread that runs it,
 * or the core owns a loop and attune_core_start runs it on a thread of its
 * own; then attune_core_request may be called from any thread (it waits for
 * the core's thread to answer), and the push callback runs on the core's
 * thread. Several cores may live in one process, on one loop or on several.
 *
 * Errors are negative numbers (attune_core_strerror names them); 0 is success.
 *
 * Link with `pkg-config --libs libattune`.
 */
#ifndef ATTUNE_H
#define ATTUNE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

struct attune_core;

/*
 * A push: one msgpack map (an {"t":"event",...} push, or a late reply to
 * pair/link carrying that request's id). The bytes are valid during the
 * call only. Runs on the core's loop thread; it may call
 * attune_core_request.
 */
typedef void (*attune_push_fn)(void *arg, const uint8_t *msg, size_t len);
/* The core's wall clock, in seconds since 1970 (tests move time with it). */
typedef uint64_t (*attune_clock_fn)(void *arg);
/* The core asks its host to end it: wipe erased this device (code 0). */
typedef void (*attune_exit_fn)(void *arg, int code);

struct attune_config {
	/* Required: keys/ and store.db live here (created 0700 on init). */
	const char *data_dir;
	/* The relay to use until init or pairing names one ("attune://HOST:PORT/KEY"), or NULL. */
	const char *relay;
	/*
	 * An attuned.conf to read ([relay], [notifications], [history]; see
	 * attuned(8)), or NULL: no desktop notifications, history kept forever.
	 */
	const char *config_file;
	/* The host's loop, or NULL: the core makes one (attune_core_start runs it on a thread). */
	uv_loop_t *loop;
	attune_push_fn on_push;      /* NULL: pushes are dropped */
	void *push_arg;
	attune_exit_fn on_exit;      /* NULL: after a wipe the core just stops its network */
	void *exit_arg;
	attune_clock_fn clock;       /* NULL: the system clock */
	void *clock_arg;
	uint64_t backoff_max_ms;     /* cap of the relay reconnect delay; 0: 30000 */
	uint64_t keepalive_ms;       /* ping interval on an idle relay connection; 0: 60000 */
};

/*
 * Creates a core from cfg (copied; the strings too) and opens this device's
 * keys and store when it is set up. Nothing touches the network yet. A
 * passphrase-locked device opens locked (the `unlock` request opens it).
 * *out is NULL on error.
 */
int attune_core_new(struct attune_core **out, const struct attune_config *cfg);

enum attune_state {
	ATTUNE_NEW = 0,      /* not set up: the init or link request makes an identity */
	ATTUNE_LOCKED = 1,   /* a passphrase locks the history: the unlock request opens it */
	ATTUNE_READY = 2,    /* keys and history open */
};
/* Where this device stands (changes with init, link, unlock, wipe). */
int attune_core_state(const struct attune_core *core);

/*
 * Serves the local API on a Unix socket at path as well (folder 0700,
 * socket 0600, peers of another user refused), or on an already listening
 * socket fd (systemd socket activation). Before attune_core_start.
 */
int attune_core_listen(struct attune_core *core, const char *path);
int attune_core_listen_fd(struct attune_core *core, int fd);

/*
 * Goes online: connects to the relay (when the device is set up and knows
 * one), keeps the connection, reconnects with backoff, and runs the
 * rain-check and retention timers. On a host loop it returns at once (run
 * the loop); without one it starts the core's thread.
 */
int attune_core_start(struct attune_core *core);

/*
 * Runs one request: req is a msgpack map {"t": TYPE, "id": N, ...} exactly as
 * a socket client sends it. *reply is the reply map (malloc'd, free it with
 * attune_free), or NULL with *reply_len 0 when the answer comes later
 * through the push callback (pair, link). Errors of the request itself
 * (a missing field, not set up yet) are replies of type "error", not
 * return codes; the return code says whether the request could be run.
 */
int attune_core_request(struct attune_core *core, const uint8_t *req, size_t req_len,
                        uint8_t **reply, size_t *reply_len);
/* Wipes and frees a reply of attune_core_request. */
void attune_free(uint8_t *reply, size_t len);

/*
 * One short wake-up, for a push notification or a background task: connect
 * to the relay, fetch what waits for this device, open, store and
 * acknowledge each envelope (pushes go to the callback as usual), then close
 * the connection and return the number of envelopes handled. At
 * deadline_ms milliseconds from now it stops waiting and returns the count
 * so far: what was handled is stored and acknowledged, the rest waits at
 * the relay for next time. Fails (negative) when the device is not set up,
 * is locked or knows no relay, or when the core is started. Only from the
 * thread that owns the core's loop, outside any callback of that loop (it
 * runs the loop itself).
 */
int attune_core_sync_once(struct attune_core *core, uint64_t deadline_ms);

/*
 * The host's network hint: down stops connecting (no timers, no sockets)
 * until up, which connects at once instead of waiting out a backoff.
 */
void attune_core_network(struct attune_core *core, int up);

/*
 * Stops everything (network, socket, timers, the core's thread) and frees
 * the core; on a host loop the last handles close on its next turn, so run
 * the loop once more before closing it.
 */
void attune_core_free(struct attune_core *core);

/* A sentence for an error code of this library. */
const char *attune_core_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
