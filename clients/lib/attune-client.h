/*
 * libattune-client: talk to attuned, the attune daemon, over its local socket.
 *
 * The daemon holds the keys and the history; a client sends one request (a
 * msgpack map with "t", the request type, and "id") and reads the reply, a
 * map with the same "id". The requests, replies and event objects are listed
 * in docs/PROTOCOL.md section 8 and in attune(1). Typical use:
 *
 *	struct attune_client *c;
 *	struct attune_req req;
 *	struct attune_reply *rep;
 *
 *	if (attune_connect(&c, NULL) != 0) ... "attuned is not running"
 *	attune_req_begin(c, &req, "status", 0);
 *	rc = attune_call(c, &req, &rep, 5000);
 *	attune_req_free(&req);
 *	if (rc == ATTUNE_EDAEMON) ... attune_reply_error_code(rep), attune_reply_error_msg(rep)
 *	... attune_get_array(attune_reply_root(rep), "partners", &items, &n) ...
 *	attune_reply_free(rep);
 *	attune_close(c);
 *
 * The connection is blocking; attune_fd gives its descriptor for a poll or
 * event loop (readable = call attune_recv). A connection that sent `watch`
 * receives `event` pushes (id 0) from then on: use another connection for
 * requests. Not thread-safe: one connection per thread.
 *
 * Link with `pkg-config --libs attune-client`.
 */
#ifndef ATTUNE_CLIENT_H
#define ATTUNE_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Errors of this library; functions may also return the negative ATT_E* codes of libattune. */
enum {
	ATTUNE_ENOTRUNNING = -1001,  /* nobody listens on the socket: start attuned */
	ATTUNE_ENOPATH = -1002,      /* neither ATTUNE_HOME nor XDG_RUNTIME_DIR is set */
	ATTUNE_EDAEMON = -1003,      /* the daemon answered with an error reply */
	ATTUNE_ECLOSED = -1004,      /* the daemon closed the connection */
	ATTUNE_ETIMEOUT = -1005,     /* no reply in time */
	ATTUNE_EPROTO = -1006,       /* the daemon sent something that is not a valid message */
	ATTUNE_EDENIED = -1007,      /* the socket exists but is not ours to use */
	ATTUNE_ESTALE = -1008,       /* the socket file is there but nobody listens: attuned died */
};

struct attune_client;
struct attune_reply;

/* A request being written: a msgpack map; add exactly nfields fields after begin. */
struct attune_req {
	msgpack_sbuffer buf;
	msgpack_packer pk;
	uint64_t id;
};

/*
 * The daemon's socket: $ATTUNE_HOME/attuned.sock when ATTUNE_HOME is set,
 * else $XDG_RUNTIME_DIR/attune/attuned.sock. 0, ATTUNE_ENOPATH, or
 * ATT_ETOOBIG when cap is too small.
 */
int attune_socket_path(char *out, size_t cap);
/*
 * Connects to path (NULL: attune_socket_path). ATTUNE_ENOTRUNNING when there
 * is no socket, ATTUNE_ESTALE when the socket file is left over from an
 * attuned that is gone (nobody accepts on it).
 */
int attune_connect(struct attune_client **out, const char *path);
void attune_close(struct attune_client *c);
int attune_fd(const struct attune_client *c);
/* The socket path this connection uses (or tried). */
const char *attune_path(const struct attune_client *c);

/* Starts a request of type with nfields fields to follow; takes the next request id from c. */
void attune_req_begin(struct attune_client *c, struct attune_req *r, const char *type,
    size_t nfields);
void attune_req_str(struct attune_req *r, const char *key, const char *s);
void attune_req_uint(struct attune_req *r, const char *key, uint64_t v);
void attune_req_bool(struct attune_req *r, const char *key, int v);
/* An array of n strings. */
void attune_req_strv(struct attune_req *r, const char *key, const char *const *v, size_t n);
/* Only the key: write the value with r->pk (e.g. a map). */
void attune_req_key(struct attune_req *r, const char *key);
/* Wipes and frees the request's buffer (it may hold a note). */
void attune_req_free(struct attune_req *r);

/* Sends the request (one frame). */
int attune_send(struct attune_client *c, const struct attune_req *r);
/*
 * Receives the next message, reply or push. timeout_ms < 0 waits for ever.
 * 0 (with *out set; free with attune_reply_free), ATTUNE_ETIMEOUT,
 * ATTUNE_ECLOSED, ATTUNE_EPROTO. An error reply is returned like any other
 * message here (attune_reply_is_error).
 */
int attune_recv(struct attune_client *c, struct attune_reply **out, int timeout_ms);
/*
 * attune_send, then attune_recv until the reply with the request's id
 * (pushes in between are dropped). 0 with *out set; ATTUNE_EDAEMON with *out
 * set to the error reply; or a transport error with *out NULL.
 */
int attune_call(struct attune_client *c, const struct attune_req *r,
    struct attune_reply **out, int timeout_ms);

void attune_reply_free(struct attune_reply *rep);
const char *attune_reply_type(const struct attune_reply *rep);
uint64_t attune_reply_id(const struct attune_reply *rep);
/* The whole message: a map with string keys. */
const msgpack_object *attune_reply_root(const struct attune_reply *rep);
int attune_reply_is_error(const struct attune_reply *rep);
/* An error reply's "code" ("not-initialised", ...) and "msg"; "" when absent. */
const char *attune_reply_error_code(const struct attune_reply *rep);
const char *attune_reply_error_msg(const struct attune_reply *rep);

/*
 * Field getters on a map (the root, an event, ...): 0 or a negative error
 * (absent or nil, wrong type). Strings are not NUL-terminated; pointers stay
 * valid until the reply is freed.
 */
int attune_get_str(const msgpack_object *map, const char *key, const char **s, size_t *len);
/* Copies a string NUL-terminated into out (truncating to cap - 1 bytes). */
int attune_get_strz(const msgpack_object *map, const char *key, char *out, size_t cap);
int attune_get_uint(const msgpack_object *map, const char *key, uint64_t *v);
int attune_get_bool(const msgpack_object *map, const char *key, int *v);
int attune_get_array(const msgpack_object *map, const char *key,
    const msgpack_object **items, size_t *n);
int attune_get_map(const msgpack_object *map, const char *key, const msgpack_object **sub);
/* Present and not nil. */
int attune_has(const msgpack_object *map, const char *key);

/*
 * Sparks and wishes (docs/PROTOCOL.md 9; clients/lib/mutual.c). Each sends
 * one request and waits for its reply; on ATTUNE_EDAEMON the daemon's error
 * reply is left in *err_out (when err_out is not NULL; free it) for its code
 * ("unknown-partner", "limited", "abandoned", ...) and sentence.
 */
#define ATTUNE_SPARK_ID_LEN 32
/* A spark for partner NAME, open for for_s seconds (0: the default 2 h); its id (hex) and end. */
int attune_spark(struct attune_client *c, const char *name, uint64_t for_s,
    char id[ATTUNE_SPARK_ID_LEN + 1], uint64_t *until, struct attune_reply **err_out);
/* Withdraws the spark for NAME; *cancelled = whether there was one. */
int attune_spark_cancel(struct attune_client *c, const char *name, int *cancelled,
    struct attune_reply **err_out);
/* One answer: item = a catalogue id or label, or own words; answer "yes", "maybe" or "no". */
int attune_wishes_set(struct attune_client *c, const char *item, const char *answer,
    struct attune_reply **err_out);
/*
 * Runs a wishes round with partner NAME and waits (timeout_ms; a round gives
 * up after 10 minutes) for its result: *out is the "wishes-compare" reply
 * with "both" and "maybe" (attune_get_array).
 */
int attune_wishes_compare(struct attune_client *c, const char *name, int timeout_ms,
    struct attune_reply **out, struct attune_reply **err_out);

/* A short sentence for any error this library returns. */
const char *attune_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
