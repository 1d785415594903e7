/*
 * The local API server (docs/PROTOCOL.md section 8): a Unix socket, folder
 * 0700, socket 0600, peers of another uid refused (SO_PEERCRED). Requests are
 * frames holding msgpack maps, dispatched through one table of
 * {name, needs_init, handler}. A malformed or oversized request gets an
 * error frame and costs nothing else; a peer whose output backs up beyond a
 * bound is dropped.
 *
 * Requests whose answer comes later (pair, link) hold a struct api_req: the
 * handler hands it to daemon/pairing.c, which replies with api_req_send (any
 * number of times: first reply, then pushes) and finally api_req_release.
 * If the client went away meanwhile, api_req_send quietly does nothing.
 */
#ifndef ATTUNE_DAEMON_API_H
#define ATTUNE_DAEMON_API_H

#include <stddef.h>
#include <stdint.h>

struct api;
struct api_req;
struct call;
struct daemon;
struct event;
struct msg_out;

/* An API with no transport yet; d->api is the caller's to set. */
int api_new(struct api **out, struct daemon *d);
/* Listens on path (creates its folder 0700, removes a stale socket). */
int api_listen(struct api *a, const char *path);
/* Takes a listening socket from systemd socket activation instead. */
int api_listen_fd(struct api *a, int fd);
/* Closes the listener and every connection; frees once libuv is done. */
void api_close(struct api *a);

/*
 * The in-process transport: frames the API would write to a client that
 * watches (pushes, and replies that come later) go to sink instead.
 */
typedef void (*api_sink_fn)(void *arg, const uint8_t *body, size_t len);
int api_local_open(struct api *a, api_sink_fn sink, void *arg);
/*
 * Runs one request (a msgpack map, as on the socket) for the in-process
 * client; *reply (malloc'd, *reply_len bytes) is the same reply the socket
 * would carry, or NULL when the reply comes later through the sink.
 */
int api_local_call(struct api *a, const uint8_t *req, size_t len, uint8_t **reply,
                   size_t *reply_len);

/* ---- pushes ---- */

/*
 * An event is stored (ours, or one that arrived from a partner or another
 * own device): push it to every `watch` subscriber, raise a desktop
 * notification for a partner's, and re-arm the rain-check service.
 */
void api_event_arrived(struct daemon *d, const struct event *ev);
/* Sends one frame body to every `watch` subscriber. */
void api_push(struct daemon *d, struct msg_out *o);

/* ---- requests answered later ---- */

/* Holds the call's connection for a reply that comes later; NULL when out of memory. */
struct api_req *api_req_hold(struct call *k);

uint64_t api_req_id(const struct api_req *r);
/* Sends one frame body (a msgpack map) on the request's connection. */
int api_req_send(struct api_req *r, const uint8_t *body, size_t len);
/* Sends {"t":"error","id":...,"code":code,"msg":text}. */
int api_req_error(struct api_req *r, const char *code, const char *text);
/* 0 once the client has gone away. */
int api_req_alive(const struct api_req *r);
/* Drops the hold on the connection; r is invalid after. */
void api_req_release(struct api_req *r);

#endif
