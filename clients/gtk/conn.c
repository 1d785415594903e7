/* Requests to attuned on worker threads, replies and pushes on the main loop. */
#include <string.h>
#include <sodium.h>

#include "clients/gtk/conn.h"

#define CALL_TIMEOUT_MS 15000
#define PAIR_TIMEOUT_MS (10 * 60 * 1000)
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000

enum field_type { F_STR, F_UINT, F_BOOL, F_STRV, F_MAP };

struct field {
	enum field_type type;
	char *key;
	char *s;
	guint64 u;
	char **strv;
	GHashTable *map;  /* char * -> char ** */
};

struct conn_req {
	char *type;
	GArray *fields;   /* struct field */
};

struct conn {
	conn_state_fn on_state;
	conn_event_fn on_event;
	gpointer user;
	gint up;          /* atomic: what the watch thread last saw */
	GThreadPool *pool;
};

struct job {
	struct conn *conn;
	struct conn_req *req;
	conn_done_fn done;
	gpointer user;
};

/* What travels back to the main loop. */
struct back {
	conn_done_fn done;
	gpointer user;
	int rc;
	struct attune_reply *rep;
	struct conn *conn;
	int state;        /* -1: a reply; 0/1: a state change */
};

static void
field_clear(gpointer p)
{
	struct field *f = p;

	g_free(f->key);
	if (f->s != NULL) {
		sodium_memzero(f->s, strlen(f->s));
		g_free(f->s);
	}
	g_strfreev(f->strv);
	if (f->map != NULL)
		g_hash_table_unref(f->map);
}

struct conn_req *
conn_req_new(const char *type)
{
	struct conn_req *r = g_new0(struct conn_req, 1);

	r->type = g_strdup(type);
	r->fields = g_array_new(FALSE, TRUE, sizeof(struct field));
	g_array_set_clear_func(r->fields, field_clear);
	return r;
}

static struct field *
req_add(struct conn_req *r, enum field_type t, const char *key)
{
	struct field f = { .type = t, .key = g_strdup(key) };

	g_array_append_val(r->fields, f);
	return &g_array_index(r->fields, struct field, r->fields->len - 1);
}

void
conn_req_str(struct conn_req *r, const char *key, const char *s)
{
	req_add(r, F_STR, key)->s = g_strdup(s);
}

void
conn_req_uint(struct conn_req *r, const char *key, guint64 v)
{
	req_add(r, F_UINT, key)->u = v;
}

void
conn_req_bool(struct conn_req *r, const char *key, gboolean v)
{
	req_add(r, F_BOOL, key)->u = v ? 1 : 0;
}

void
conn_req_strv(struct conn_req *r, const char *key, const char *const *v)
{
	req_add(r, F_STRV, key)->strv = g_strdupv((char **)v);
}

void
conn_req_strv_map(struct conn_req *r, const char *key, GHashTable *m)
{
	GHashTable *copy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)g_strfreev);
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, m);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_hash_table_insert(copy, g_strdup(k), g_strdupv(v));
	req_add(r, F_MAP, key)->map = copy;
}

static void
req_free(struct conn_req *r)
{
	g_free(r->type);
	g_array_unref(r->fields);
	g_free(r);
}

static void
pack_strv(msgpack_packer *pk, char **v)
{
	guint n = v != NULL ? g_strv_length(v) : 0, i;

	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_str_with_body(pk, v[i], strlen(v[i]));
}

/* Writes the described request into a real one (on the worker thread). */
static void
req_pack(struct attune_client *cl, const struct conn_req *r, struct attune_req *out)
{
	guint i;

	attune_req_begin(cl, out, r->type, r->fields->len);
	for (i = 0; i < r->fields->len; i++) {
		const struct field *f = &g_array_index(r->fields, struct field, i);
		GHashTableIter it;
		gpointer k, v;

		switch (f->type) {
		case F_STR: attune_req_str(out, f->key, f->s); break;
		case F_UINT: attune_req_uint(out, f->key, f->u); break;
		case F_BOOL: attune_req_bool(out, f->key, (int)f->u); break;
		case F_STRV:
			attune_req_key(out, f->key);
			pack_strv(&out->pk, f->strv);
			break;
		case F_MAP:
			attune_req_key(out, f->key);
			msgpack_pack_map(&out->pk, g_hash_table_size(f->map));
			g_hash_table_iter_init(&it, f->map);
			while (g_hash_table_iter_next(&it, &k, &v)) {
				msgpack_pack_str_with_body(&out->pk, k, strlen(k));
				pack_strv(&out->pk, v);
			}
			break;
		}
	}
}

static gboolean
back_run(gpointer p)
{
	struct back *b = p;

	if (b->state >= 0) {
		if (b->conn->on_state != NULL)
			b->conn->on_state(b->state, b->conn->user);
	} else {
		b->done(b->rc, b->rep, b->user);
	}
	g_free(b);
	return G_SOURCE_REMOVE;
}

static void
post_reply(struct job *j, int rc, struct attune_reply *rep)
{
	struct back *b = g_new0(struct back, 1);

	b->done = j->done;
	b->user = j->user;
	b->rc = rc;
	b->rep = rep;
	b->state = -1;
	g_idle_add(back_run, b);
}

/* pair/link: the first reply, then the final push (or an error). */
static void
job_stream(struct job *j, struct attune_client *cl, const struct attune_req *req)
{
	for (;;) {
		struct attune_reply *rep;
		const char *t;
		int rc = attune_recv(cl, &rep, PAIR_TIMEOUT_MS);

		if (rc != 0) {
			post_reply(j, rc, NULL);
			return;
		}
		if (attune_reply_id(rep) != req->id && attune_reply_id(rep) != 0) {
			attune_reply_free(rep);
			continue;
		}
		t = attune_reply_type(rep);
		if (attune_reply_is_error(rep)) {
			post_reply(j, ATTUNE_EDAEMON, rep);
			return;
		}
		if (strcmp(t, "pairing") == 0) {
			post_reply(j, 0, rep);
			continue;
		}
		if (strcmp(t, "paired") == 0 || strcmp(t, "linked") == 0) {
			post_reply(j, 0, rep);
			return;
		}
		attune_reply_free(rep);
	}
}

static void
job_run(gpointer data, gpointer pool_user)
{
	struct job *j = data;
	struct attune_client *cl = NULL;
	struct attune_req req;
	struct attune_reply *rep = NULL;
	int rc;

	(void)pool_user;
	if ((rc = attune_connect(&cl, NULL)) != 0) {
		post_reply(j, rc, NULL);
		goto out;
	}
	req_pack(cl, j->req, &req);
	if (strcmp(j->req->type, "pair") == 0 || strcmp(j->req->type, "link") == 0) {
		rc = attune_send(cl, &req);
		if (rc != 0)
			post_reply(j, rc, NULL);
		else
			job_stream(j, cl, &req);
	} else {
		rc = attune_call(cl, &req, &rep, CALL_TIMEOUT_MS);
		post_reply(j, rc, rep);
	}
	attune_req_free(&req);
out:
	if (cl != NULL)
		attune_close(cl);
	req_free(j->req);
	g_free(j);
}

void
conn_call(struct conn *c, struct conn_req *r, conn_done_fn done, gpointer user)
{
	struct job *j = g_new0(struct job, 1);

	j->conn = c;
	j->req = r;
	j->done = done;
	j->user = user;
	g_thread_pool_push(c->pool, j, NULL);
}

static void
post_state(struct conn *c, int up)
{
	struct back *b = g_new0(struct back, 1);

	g_atomic_int_set(&c->up, up);
	b->conn = c;
	b->state = up;
	g_idle_add(back_run, b);
}

struct push {
	struct conn *conn;
	struct attune_reply *rep;
};

static gboolean
push_run(gpointer p)
{
	struct push *pu = p;
	const msgpack_object *ev;

	if (attune_get_map(attune_reply_root(pu->rep), "event", &ev) == 0 &&
	    pu->conn->on_event != NULL)
		pu->conn->on_event(ev, pu->conn->user);
	attune_reply_free(pu->rep);
	g_free(pu);
	return G_SOURCE_REMOVE;
}

/* One watch connection until it breaks; 1 when it had been up. */
static int
watch_once(struct conn *c)
{
	struct attune_client *cl;
	struct attune_req req;
	struct attune_reply *rep;
	int rc;

	if (attune_connect(&cl, NULL) != 0)
		return 0;
	attune_req_begin(cl, &req, "watch", 0);
	rc = attune_call(cl, &req, &rep, CALL_TIMEOUT_MS);
	attune_req_free(&req);
	if (rep != NULL)
		attune_reply_free(rep);
	if (rc != 0) {
		/* Up but refusing (not initialised, locked): the app asks status for why. */
		attune_close(cl);
		if (rc == ATTUNE_EDAEMON) {
			post_state(c, 1);
			return 2;
		}
		return 0;
	}
	post_state(c, 1);
	for (;;) {
		struct push *pu;

		if (attune_recv(cl, &rep, -1) != 0)
			break;
		if (attune_reply_id(rep) != 0 || strcmp(attune_reply_type(rep), "event") != 0) {
			attune_reply_free(rep);
			continue;
		}
		pu = g_new0(struct push, 1);
		pu->conn = c;
		pu->rep = rep;
		g_idle_add(push_run, pu);
	}
	attune_close(cl);
	return 1;
}

static gpointer
watch_thread(gpointer p)
{
	struct conn *c = p;
	int wait_ms = BACKOFF_MIN_MS, was_up = -1;

	for (;;) {
		int r = watch_once(c);

		if (r == 1) {
			wait_ms = BACKOFF_MIN_MS;
			post_state(c, 0);
			was_up = 0;
		} else if (r == 2) {
			/* attuned answers but will not stream yet (locked, not set up): ask again slowly. */
			was_up = 1;
			g_usleep((gulong)BACKOFF_MAX_MS * 1000);
			continue;
		} else if (was_up != 0) {
			post_state(c, 0);
			was_up = 0;
		}
		g_usleep((gulong)wait_ms * 1000);
		wait_ms = MIN(wait_ms * 2, BACKOFF_MAX_MS);
	}
	return NULL;
}

struct conn *
conn_new(conn_state_fn on_state, conn_event_fn on_event, gpointer user)
{
	struct conn *c = g_new0(struct conn, 1);

	c->on_state = on_state;
	c->on_event = on_event;
	c->user = user;
	c->up = -1;
	/* Up to 4 requests at once: a pairing may wait minutes for the other side. */
	c->pool = g_thread_pool_new(job_run, c, 4, FALSE, NULL);
	return c;
}

void
conn_start(struct conn *c)
{
	g_thread_unref(g_thread_new("attune-watch", watch_thread, c));
}

int
conn_is_up(const struct conn *c)
{
	return g_atomic_int_get(&((struct conn *)c)->up) == 1;
}

char *
conn_error_text(int rc, const struct attune_reply *rep)
{
	const char *code;

	if (rc != ATTUNE_EDAEMON || rep == NULL)
		return g_strdup(attune_strerror(rc));
	code = attune_reply_error_code(rep);
	if (strcmp(code, "locked") == 0)
		return g_strdup("attune is locked: unlock it with your passphrase first.");
	if (strcmp(code, "not-initialised") == 0)
		return g_strdup("This device is not set up yet.");
	if (strcmp(code, "no-partner") == 0)
		return g_strdup("You have no partner yet: pair first.");
	if (strcmp(code, "pairing-failed") == 0)
		return g_strdup("Pairing failed: the code did not match. Start again with a new code.");
	if (strcmp(code, "code-expired") == 0)
		return g_strdup("That code has expired: ask for a new one.");
	if (strcmp(code, "code-used") == 0)
		return g_strdup("That code was already used: ask for a new one.");
	if (strcmp(code, "wrong-passphrase") == 0)
		return g_strdup("That passphrase is not right.");
	if (strcmp(code, "bid-open") == 0)
		return g_strdup("You already asked and they have not answered yet: give them time.");
	if (strcmp(code, "bid-paused") == 0)
		return g_strdup("They said not tonight: asking again waits a while, unless they change "
		    "their answer.");
	if (strcmp(code, "bid-retracted") == 0)
		return g_strdup("They took that bid back.");
	if (strcmp(code, "bid-closed") == 0)
		return g_strdup("That bid's time has passed.");
	if (strcmp(code, "relay-unreachable") == 0)
		return g_strdup("The relay cannot be reached right now; try again in a moment.");
	if (attune_reply_error_msg(rep)[0] != '\0')
		return g_strdup_printf("attuned said: %s", attune_reply_error_msg(rep));
	return g_strdup_printf("attuned said: %s", code);
}
