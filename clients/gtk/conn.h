/*
 * The app's way to attuned: every request runs on a worker thread with its
 * own connection (libattune-client connections are not thread-safe, so one
 * connection never crosses threads), and its reply comes back on the GTK
 * main loop through g_idle_add. The main loop never waits on the socket.
 *
 * A watch thread holds one `watch` connection, blocks in attune_recv (no
 * wake-ups while nothing happens), hands each pushed event to the main loop
 * and, when attuned goes away, says so and reconnects (250 ms doubling to 5 s).
 */
#ifndef CONN_H
#define CONN_H

#include <glib.h>
#include "clients/lib/attune-client.h"

struct conn;
struct conn_req;

/* A reply on the main loop: rc 0 (rep set), ATTUNE_EDAEMON (rep is the error) or a transport error (rep NULL). The callback owns rep. */
typedef void (*conn_done_fn)(int rc, struct attune_reply *rep, gpointer user);
/* The daemon came (up 1) or went (up 0). */
typedef void (*conn_state_fn)(int up, gpointer user);
/* A pushed event (the `event` map of the push); rep is freed after the call. */
typedef void (*conn_event_fn)(const msgpack_object *ev, gpointer user);

struct conn *conn_new(conn_state_fn on_state, conn_event_fn on_event, gpointer user);
/* Starts the watch thread. */
void conn_start(struct conn *c);
int conn_is_up(const struct conn *c);

/* A request being described on the main loop; packed on the worker thread. */
struct conn_req *conn_req_new(const char *type);
void conn_req_str(struct conn_req *r, const char *key, const char *s);
void conn_req_uint(struct conn_req *r, const char *key, guint64 v);
void conn_req_bool(struct conn_req *r, const char *key, gboolean v);
/* A NULL-terminated string array (copied). */
void conn_req_strv(struct conn_req *r, const char *key, const char *const *v);
/* A map of field -> string array: `only` of a check-in. Keys and values are copied. */
void conn_req_strv_map(struct conn_req *r, const char *key, GHashTable *field_to_strv);

/*
 * Sends r (consumed) and calls done with the reply. For pair and link,
 * done is called for the first reply and again for the final push
 * (`paired`/`linked` or an error): a reply type tells which.
 */
void conn_call(struct conn *c, struct conn_req *r, conn_done_fn done, gpointer user);

/* A sentence for a failed call (the daemon's error codes become advice). */
char *conn_error_text(int rc, const struct attune_reply *rep);

#endif
