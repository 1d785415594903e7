/*
 * The local API server. One uv_pipe listener; per connection a frame
 * decoder, a bounded output queue and a reference count (the open pipe,
 * each write in flight and each api_req held for a later reply hold one).
 * A connection is freed only from its close callback once nothing holds it.
 *
 * Requests go through api_cmds[]: needs_init is checked here, once, so a
 * handler can assume d->keys and d->store. The handlers live by role in
 * daemon/cmd_write.c, daemon/cmd_read.c and daemon/cmd_account.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/api.h"
#include "daemon/call.h"
#include "daemon/cmd_account.h"
#include "daemon/cmd_read.h"
#include "daemon/cmd_write.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/notify.h"
#include "daemon/raincheck.h"
#include "daemon/spark.h"
#include "daemon/wishes.h"
#include "daemon/paths.h"
#include "daemon/store.h"
#include "daemon/view.h"
#include "proto/err.h"
#include "proto/event.h"
#include "proto/frame.h"
#include "proto/msg.h"

#define API_MAX_CONNS   64
#define API_MAX_REQUEST 16384          /* frame body; a request is small */
#define API_MAX_OUTPUT  (4u << 20)     /* queued replies/pushes per client */
#define API_READ_BUF    65536

static const struct msg_limits api_limits = {
	.max_depth = 4, .max_str = 4096, .max_bin = 256, .max_array = 64,
	.max_total_objects = 1024,
};

struct conn {
	uv_pipe_t pipe;
	struct api *api;
	struct frame_dec *dec;
	struct conn *next, *prev;
	size_t out_bytes;       /* queued in writes */
	int refs;
	int closing;
	int watching;
	int quit_after_write;   /* wipe: stop the daemon once the reply is out */
	api_sink_fn sink;       /* the in-process client: frames go here, not to the pipe */
	void *sink_arg;
};

struct api {
	struct daemon *d;
	int listening;
	uv_pipe_t listener;
	struct conn *local;     /* the in-process client (NULL when none) */
	struct conn *conns;
	size_t nconns;
	int closing;
	char *path;             /* socket to unlink on close (NULL when inherited) */
	uint8_t rbuf[API_READ_BUF];
	int rbuf_busy;
};

struct api_req {
	struct conn *c;
	uint64_t id;
};

struct write_req {
	uv_write_t w;
	struct conn *c;
	size_t len;
	uint8_t data[];
};

static void conn_close(struct conn *c);

/* ---- connection lifetime ---- */

static void
conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	frame_dec_free(c->dec);
	free(c);
}

static void
conn_on_close(uv_handle_t *h)
{
	struct conn *c = h->data;

	conn_unref(c);
}

static void
conn_close(struct conn *c)
{
	struct api *a = c->api;

	if (c->closing)
		return;
	c->closing = 1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	a->nconns--;
	uv_close((uv_handle_t *)&c->pipe, conn_on_close);
}

static void
conn_on_write(uv_write_t *w, int status)
{
	struct write_req *wr = (struct write_req *)w;
	struct conn *c = wr->c;

	c->out_bytes -= wr->len;
	sodium_memzero(wr->data, wr->len);
	free(wr);
	if (status != 0)
		conn_close(c);
	else if (c->quit_after_write && c->out_bytes == 0) {
		struct daemon *d = c->api->d;

		c->quit_after_write = 0;
		if (d->shutdown != NULL)
			d->shutdown(d, 0);
	}
	conn_unref(c);
}

/* Queues one frame; drops a client that lets its output pile up. */
static int
conn_send(struct conn *c, const uint8_t *body, size_t len)
{
	struct write_req *wr;
	uv_buf_t b;

	if (c->closing)
		return ATT_ESTATE;
	if (len > FRAME_MAX)
		return ATT_ETOOBIG;
	if (c->sink != NULL) {
		c->sink(c->sink_arg, body, len);
		return 0;
	}
	if (c->out_bytes + len > API_MAX_OUTPUT) {
		fprintf(stderr, "attuned: a local client is not reading its replies; closing it\n");
		conn_close(c);
		return ATT_ELIMIT;
	}
	wr = malloc(sizeof(*wr) + FRAME_HDR + len);
	if (wr == NULL)
		return ATT_ENOMEM;
	frame_put_header(wr->data, len);
	memcpy(wr->data + FRAME_HDR, body, len);
	wr->c = c;
	wr->len = FRAME_HDR + len;
	b = uv_buf_init((char *)wr->data, (unsigned)wr->len);
	if (uv_write(&wr->w, (uv_stream_t *)&c->pipe, &b, 1, conn_on_write) != 0) {
		free(wr);
		conn_close(c);
		return ATT_EIO;
	}
	c->out_bytes += wr->len;
	c->refs++;
	return 0;
}

static void
conn_send_out(struct conn *c, struct msg_out *o)
{
	if (msg_out_failed(o))
		return;
	conn_send(c, msg_out_data(o), msg_out_len(o));
}

static void
conn_error(struct conn *c, uint64_t id, const char *code, const char *text)
{
	struct msg_out o;

	msg_out_init(&o);
	msg_out_error_code(&o, id, code, text);
	conn_send_out(c, &o);
	msg_out_free(&o);
}

/* ---- api_req: a request answered later (pair, link) ---- */

uint64_t
api_req_id(const struct api_req *r)
{
	return r->id;
}

int
api_req_send(struct api_req *r, const uint8_t *body, size_t len)
{
	if (r->c == NULL || r->c->closing)
		return 0;
	return conn_send(r->c, body, len);
}

int
api_req_error(struct api_req *r, const char *code, const char *text)
{
	if (r->c == NULL || r->c->closing)
		return 0;
	conn_error(r->c, r->id, code, text);
	return 0;
}

int
api_req_alive(const struct api_req *r)
{
	return r->c != NULL && !r->c->closing;
}

struct api_req *
api_req_hold(struct call *k)
{
	struct api_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->c = k->c;
	r->id = k->id;
	k->c->refs++;
	return r;
}

void
api_req_release(struct api_req *r)
{
	if (r == NULL)
		return;
	if (r->c != NULL)
		conn_unref(r->c);
	free(r);
}

static int
h_ping(struct call *k)
{
	msg_out_pong(k->out, k->id);
	return 0;
}

/* ---- dispatch ---- */

struct api_cmd {
	const char *name;
	int needs_init;
	int (*run)(struct call *k);
};

static const struct api_cmd api_cmds[] = {
	{ "ping", 0, h_ping },
	{ "init", 0, cmd_account_init },
	{ "checkin", 1, cmd_write_checkin },
	{ "bid", 1, cmd_write_bid },
	{ "respond", 1, cmd_write_respond },
	{ "retract", 1, cmd_write_retract },
	{ "status", 1, cmd_read_status },
	{ "log", 1, cmd_read_log },
	{ "watch", 1, cmd_read_watch },
	{ "partners", 1, cmd_read_partners },
	{ "devices", 1, cmd_read_devices },
	{ "pair", 1, cmd_account_pair },
	{ "link", 0, cmd_account_link },       /* checks init itself: `link CODE` sets a device up */
	{ "revoke", 1, cmd_account_revoke },
	{ "unpair", 1, cmd_account_unpair },
	{ "export", 1, cmd_read_export },
	{ "wipe", 0, cmd_account_wipe },       /* works while locked too; checks for keys itself */
	{ "unlock", 0, cmd_account_unlock },
	{ "passphrase", 1, cmd_account_passphrase },
	{ "spark", 1, spark_cmd },
	{ "wishes", 1, wishes_cmd_list },
	{ "wishes-set", 1, wishes_cmd_set },
	{ "wishes-compare", 1, wishes_cmd_compare },
};

/* Runs one request from c and leaves the reply (maybe empty) in out. */
static void
api_run(struct conn *c, const uint8_t *frame, size_t len, struct msg_out *out)
{
	struct daemon *d = c->api->d;
	struct msg *m = NULL;
	struct call k;
	uint64_t id = 0;
	size_t i;
	int r;

		r = msg_parse(frame, len, &api_limits, &m, &id);
	if (r != 0) {
		msg_out_error(out, id, r, NULL);
		goto done;
	}
	for (i = 0; i < sizeof(api_cmds) / sizeof(api_cmds[0]); i++)
		if (msg_is_type(m, api_cmds[i].name))
			break;
	if (i == sizeof(api_cmds) / sizeof(api_cmds[0])) {
		msg_out_error(out, id, ATT_EUNKNOWNTYPE, "unknown request type");
		goto done;
	}
	if (d->stopping) {
		msg_out_error_code(out, id, "not-allowed", "attuned is shutting down");
		goto done;
	}
	if (api_cmds[i].needs_init && !daemon_initialised(d)) {
		if (d->keys != NULL && keys_locked(d->keys))
			msg_out_error_code(out, id, "locked",
			    "the history is locked by a passphrase: run `attune unlock`");
		else
			msg_out_error_code(out, id, "not-initialised",
			    "this device is not set up yet: run `attune init --name NAME`");
		goto done;
	}
	/* A revoked device says so at every request but reading its own history and leaving. */
	if (d->revoked_at != 0 && api_cmds[i].needs_init && strcmp(api_cmds[i].name, "log") != 0 &&
	    strcmp(api_cmds[i].name, "export") != 0 && strcmp(api_cmds[i].name, "devices") != 0) {
		char when[32], text[200];
		time_t t = (time_t)d->revoked_at;
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
		snprintf(text, sizeof(text), "this device was revoked on %s by your identity device: "
		    "it sends nothing more; `attune wipe` clears it", when);
		msg_out_error_code(out, id, "revoked", text);
		goto done;
	}
	memset(&k, 0, sizeof(k));
	k.d = d;
	k.c = c;
	k.m = msg_root(m);
	k.id = id;
	k.out = out;
	api_cmds[i].run(&k);
	if (k.watch)
		c->watching = 1;
	if (k.quit_after_reply)
		c->quit_after_write = 1;
done:
	if (msg_out_len(out) > FRAME_MAX || msg_out_failed(out)) {
		/* Never leave a client waiting: say why instead. */
		msg_out_reset(out);
		msg_out_error_code(out, id, "too-big", "the reply would not fit in one frame");
	}
	msg_free(m);
}

static void
api_dispatch(struct conn *c, const uint8_t *frame, size_t len)
{
	struct msg_out out;

	msg_out_init(&out);
	api_run(c, frame, len, &out);
	if (msg_out_len(&out) > 0)
		conn_send_out(c, &out);
	msg_out_free(&out);
}

static void
conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	struct api *a = c->api;

	(void)suggested;
	if (a->rbuf_busy) {
		buf->base = NULL;
		buf->len = 0;
		return;
	}
	a->rbuf_busy = 1;
	buf->base = (char *)a->rbuf;
	buf->len = sizeof(a->rbuf);
}

static void
conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	struct api *a = c->api;
	const uint8_t *p = (const uint8_t *)buf->base, *frame;
	size_t left = nread > 0 ? (size_t)nread : 0, flen;
	int used;

	if (nread < 0) {
		conn_close(c);
		goto done;
	}
	c->refs++;   /* a handler may close c; keep it until the loop ends */
	while (left > 0 && !c->closing) {
		used = frame_dec_feed(c->dec, p, left, &frame, &flen);
		if (used < 0) {
			conn_error(c, 0, "too-big", "request larger than the local API accepts");
			conn_close(c);
			break;
		}
		p += used;
		left -= (size_t)used;
		if (frame != NULL)
			api_dispatch(c, frame, flen);
		else if (used == 0)
			break;
	}
	conn_unref(c);
done:
	if (buf->base == (char *)a->rbuf) {
		sodium_memzero(a->rbuf, nread > 0 ? (size_t)nread : 0);
		a->rbuf_busy = 0;
	}
}

static int
peer_is_us(uv_pipe_t *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)p, &fd) != 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
		return 0;
	return cred.uid == getuid();
}

static void
api_on_connection(uv_stream_t *server, int status)
{
	struct api *a = server->data;
	struct conn *c;

	if (status != 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->api = a;
	c->refs = 1;
	c->pipe.data = c;
	uv_pipe_init(a->d->loop, &c->pipe, 0);
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		c->closing = 1;
		uv_close((uv_handle_t *)&c->pipe, conn_on_close);
		return;
	}
	/* Linked first so conn_close can unlink it on every path below. */
	c->next = a->conns;
	if (a->conns != NULL)
		a->conns->prev = c;
	a->conns = c;
	a->nconns++;
	if (!peer_is_us(&c->pipe)) {
		fprintf(stderr, "attuned: refused a local connection from another user\n");
		conn_close(c);
		return;
	}
	if (a->nconns > API_MAX_CONNS) {
		fprintf(stderr, "attuned: too many local clients; refusing one\n");
		conn_close(c);
		return;
	}
	c->dec = frame_dec_new(API_MAX_REQUEST);
	if (c->dec == NULL || uv_read_start((uv_stream_t *)&c->pipe, conn_alloc, conn_read) != 0)
		conn_close(c);
}

/* Is something already answering on path? */
static int
socket_in_use(const char *path)
{
	struct sockaddr_un sa;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0;
}

static int
api_start(struct api *a)
{
	a->listener.data = a;
	if (uv_listen((uv_stream_t *)&a->listener, 16, api_on_connection) != 0)
		return ATT_EIO;
	return 0;
}

int
api_new(struct api **out, struct daemon *d)
{
	struct api *a = calloc(1, sizeof(*a));

	*out = a;
	if (a == NULL)
		return ATT_ENOMEM;
	a->d = d;
	return 0;
}

int
api_listen(struct api *a, const char *path)
{
	char *dir, *slash;
	mode_t old;
	int r;

	if (a->listening)
		return ATT_ESTATE;
	dir = strdup(path);
	if (dir == NULL)
		return ATT_ENOMEM;
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		r = paths_mkdir_private(dir);
		if (r != 0) {
			free(dir);
			return r;
		}
	}
	free(dir);
	if (socket_in_use(path))
		return ATT_EEXIST;
	unlink(path);
	a->path = strdup(path);
	if (a->path == NULL)
		return ATT_ENOMEM;
	uv_pipe_init(a->d->loop, &a->listener, 0);
	a->listening = 1;
	/* The socket is 0600 from its first moment: no window where others could connect. */
	old = umask(0177);
	r = uv_pipe_bind(&a->listener, path);
	umask(old);
	if (r == 0)
		chmod(path, 0600);
	if (r != 0 || api_start(a) != 0)
		return ATT_EIO;
	return 0;
}

int
api_listen_fd(struct api *a, int fd)
{
	if (a->listening)
		return ATT_ESTATE;
	uv_pipe_init(a->d->loop, &a->listener, 0);
	a->listening = 1;
	if (uv_pipe_open(&a->listener, fd) != 0 || api_start(a) != 0)
		return ATT_EIO;
	return 0;
}

int
api_local_open(struct api *a, api_sink_fn sink, void *arg)
{
	struct conn *c;

	if (a->local != NULL)
		return ATT_EEXIST;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ATT_ENOMEM;
	c->api = a;
	c->refs = 1;
	c->watching = 1;
	c->sink = sink;
	c->sink_arg = arg;
	a->local = c;
	return 0;
}

int
api_local_call(struct api *a, const uint8_t *req, size_t len, uint8_t **reply, size_t *reply_len)
{
	struct conn *c = a->local;
	struct msg_out out;
	int r = 0;

	*reply = NULL;
	*reply_len = 0;
	if (c == NULL || a->closing)
		return ATT_ESTATE;
	if (len > API_MAX_REQUEST)
		return ATT_ETOOBIG;
	c->refs++;   /* a handler may close the api; keep c until the reply is out */
	msg_out_init(&out);
	api_run(c, req, len, &out);
	if (msg_out_len(&out) > 0) {
		*reply = malloc(msg_out_len(&out));
		if (*reply == NULL)
			r = ATT_ENOMEM;
		else {
			memcpy(*reply, msg_out_data(&out), msg_out_len(&out));
			*reply_len = msg_out_len(&out);
		}
	}
	msg_out_free(&out);
	if (c->quit_after_write) {
		struct daemon *d = a->d;

		c->quit_after_write = 0;
		if (d->shutdown != NULL)
			d->shutdown(d, 0);
	}
	conn_unref(c);
	return r;
}

static void
api_on_close(uv_handle_t *h)
{
	struct api *a = h->data;

	free(a->path);
	free(a);
}

void
api_close(struct api *a)
{
	if (a == NULL)
		return;
	a->closing = 1;
	while (a->conns != NULL)
		conn_close(a->conns);
	if (a->local != NULL) {
		a->local->closing = 1;
		conn_unref(a->local);
		a->local = NULL;
	}
	if (a->path != NULL)
		unlink(a->path);
	if (!a->listening) {
		free(a->path);
		free(a);
		return;
	}
	a->listener.data = a;
	uv_close((uv_handle_t *)&a->listener, api_on_close);
}

/* ---- pushes ---- */

struct answer_scan {
	const struct event *resp;
	int earlier;
};

static int
answer_scan_fn(void *arg, const struct event *ev)
{
	struct answer_scan *a = arg;

	if (ev->kind == EVENT_RESPONSE && memcmp(ev->id, a->resp->id, EVENT_ID_LEN) != 0 &&
	    memcmp(ev->ref, a->resp->ref, EVENT_ID_LEN) == 0 &&
	    memcmp(ev->author, a->resp->author, 32) == 0) {
		a->earlier = 1;
		return 1;
	}
	return 0;
}

/* 1 when resp's author answered its bid before (the new answer replaces that one). */
static int
answer_changed(struct daemon *d, const struct event *resp)
{
	struct answer_scan a = { .resp = resp };

	if (d->store == NULL)
		return 0;
	store_event_each(d->store, resp->ts > 2 * VIEW_WINDOW ? resp->ts - 2 * VIEW_WINDOW : 0,
	    answer_scan_fn, &a);
	return a.earlier;
}

/* Rain checks remind both sides, ours and those given to us; after the answer is shown. */
static void
arrived_raincheck(struct daemon *d, const struct event *ev)
{
	if (ev->kind == EVENT_RESPONSE && ev->raincheck != 0 && d->raincheck != NULL)
		raincheck_schedule(d->raincheck);
}

void
api_event_arrived(struct daemon *d, const struct event *ev)
{
	struct api *a = d->api;
	struct call_namer nm = { .d = d };
	struct msg_out out;
	const char *who;

	if (!ev->mine && d->notify != NULL) {
		who = call_namer_fn(&nm, ev->author);
		notify_event(d->notify, ev, who != NULL ? who : "A partner");
	}
	if (a == NULL) {
		arrived_raincheck(d, ev);
		return;
	}
	msg_out_init(&out);
	msg_out_begin(&out, "event", 0, 1);
	msg_out_key(&out, "event");
	if (ev->kind == EVENT_BID) {
		event_pack_api(&out.pk, ev, call_namer_fn, &nm, 1);
		msg_pack_str(&out.pk, "state");
		msg_pack_str(&out.pk, "open");
	} else if (ev->kind == EVENT_RESPONSE && answer_changed(d, ev)) {
		/* "Sam changed the answer to ...": an earlier answer of theirs to this bid is replaced. */
		event_pack_api(&out.pk, ev, call_namer_fn, &nm, 1);
		msg_pack_str(&out.pk, "changed");
		msgpack_pack_true(&out.pk);
	} else {
		event_pack_api(&out.pk, ev, call_namer_fn, &nm, 0);
	}
	api_push(d, &out);
	msg_out_free(&out);
	arrived_raincheck(d, ev);
}

void
api_push(struct daemon *d, struct msg_out *o)
{
	struct conn *c, *next;

	if (d->api == NULL)
		return;
	for (c = d->api->conns; c != NULL; c = next) {
		next = c->next;
		if (c->watching)
			conn_send_out(c, o);
	}
	if (d->api->local != NULL)
		conn_send_out(d->api->local, o);
}

