/*
 * The local API server. One uv_pipe listener; per connection a frame
 * decoder, a bounded output queue and a reference count (the open pipe,
 * each write in flight and each api_req handed to daemon-sync hold one).
 * A connection is freed only from its close callback once nothing holds it.
 *
 * Requests go through api_cmds[]: needs_init is checked here, once, so a
 * handler can assume d->keys and d->store.
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
#include "daemon/ctx.h"
#include "daemon/event.h"
#include "daemon/keys.h"
#include "daemon/notify.h"
#include "daemon/paths.h"
#include "daemon/store.h"
#include "proto/addr.h"
#include "proto/err.h"
#include "proto/frame.h"
#include "proto/keyfile.h"
#include "proto/msg.h"
#include "proto/x3dh.h"

#define API_MAX_CONNS   64
#define API_MAX_REQUEST 16384          /* frame body; a request is small */
#define API_MAX_OUTPUT  (4u << 20)     /* queued replies/pushes per client */
#define API_READ_BUF    65536
#define STATUS_WINDOW   (30 * 86400)   /* status looks at the last 30 days */
#define BID_OPEN_FOR    (36 * 3600)    /* a bid without a window stays open this long */

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
};

struct api {
	struct daemon *d;
	uv_pipe_t listener;
	struct conn *conns;
	size_t nconns;
	int closing;
	char *path;             /* socket to unlink on close (NULL when inherited) */
	uint8_t rbuf[API_READ_BUF];
	int rbuf_busy;
	uv_timer_t raincheck;   /* next rain check of ours coming due */
	int handles;            /* open libuv handles; freed when 0 */
};

static void raincheck_schedule(struct api *a);

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

/* One request being handled. */
struct call {
	struct daemon *d;
	struct conn *c;
	const msgpack_object *m;
	uint64_t id;
	struct msg_out *out;
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

/* ---- api_req (for daemon-sync) ---- */

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

void
api_req_release(struct api_req *r)
{
	if (r == NULL)
		return;
	if (r->c != NULL)
		conn_unref(r->c);
	free(r);
}

/* ---- helpers for handlers ---- */

/* Writes an error reply and returns -1, so handlers can `return fail(...)`. */
static int
fail(struct call *k, const char *code, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_out_reset(k->out);
	msg_out_error_code(k->out, k->id, code, text);
	return -1;
}

/* A field error from the msg getters, named. */
static int
fail_field(struct call *k, int err, const char *field)
{
	if (err == ATT_ERANGE)
		return fail(k, "out-of-range", "%s is out of range", field);
	return fail(k, att_errcode(err), "%s: %s", field, att_strerror(err));
}

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

/* Resolves person keys to display names for event_pack_api. */
struct namer {
	struct daemon *d;
	struct store_partner p;
};

static const char *
namer_fn(void *arg, const uint8_t key[32])
{
	struct namer *n = arg;

	if (n->d->keys != NULL && sodium_memcmp(key, keys_person_pk(n->d->keys), 32) == 0)
		return n->d->name;
	if (n->d->store != NULL && store_partner_get(n->d->store, key, &n->p) == 0)
		return n->p.name;
	return NULL;
}

/* Reads an optional array of partner names into person keys. */
static int
get_audience(struct call *k, const char *field, const msgpack_object *map,
    uint8_t to[][32], size_t *nto, int *given)
{
	const msgpack_object *items;
	size_t n, i, j;
	int r = msg_get_array(map, field, EVENT_AUDIENCE_MAX, &items, &n);

	*given = 0;
	if (r == ATT_EMISSING)
		return 0;
	if (r != 0)
		return fail_field(k, r, field);
	*given = 1;
	*nto = 0;
	for (i = 0; i < n; i++) {
		struct store_partner p;
		char name[STORE_NAME_MAX + 1];
		const char *s;
		size_t len;

		r = msg_obj_str(&items[i], STORE_NAME_MAX, &s, &len);
		if (r != 0)
			return fail_field(k, r, field);
		memcpy(name, s, len);
		name[len] = '\0';
		if (store_partner_by_name(k->d->store, name, &p) != 0)
			return fail(k, "unknown-partner", "no partner is called \"%s\": see attune partners", name);
		for (j = 0; j < *nto; j++)
			if (memcmp(to[j], p.person, 32) == 0)
				break;
		if (j == *nto)
			memcpy(to[(*nto)++], p.person, 32);
	}
	return 0;
}

/* Every partner as the audience. */
static int
all_partners(struct call *k, uint8_t to[][32], size_t *nto)
{
	struct store_partner *ps;
	size_t n, i;

	if (store_partner_list(k->d->store, &ps, &n) != 0)
		return fail(k, "io-error", "cannot read the partner list");
	*nto = 0;
	for (i = 0; i < n && i < EVENT_AUDIENCE_MAX; i++)
		memcpy(to[(*nto)++], ps[i].person, 32);
	free(ps);
	return 0;
}

static int
get_words(struct call *k, const char *field, struct event_words *ws)
{
	const msgpack_object *items;
	size_t n, i;
	int r = msg_get_array(k->m, field, EVENT_WORDS_MAX, &items, &n);

	ws->n = 0;
	if (r == ATT_EMISSING)
		return 0;
	if (r == ATT_EARRLONG)
		return fail(k, "out-of-range", "at most %d %s", EVENT_WORDS_MAX, field);
	if (r != 0)
		return fail_field(k, r, field);
	for (i = 0; i < n; i++) {
		const char *s;
		size_t len;

		r = msg_obj_str(&items[i], EVENT_WORD_MAX, &s, &len);
		if (r == ATT_ESTRLONG)
			return fail(k, "out-of-range", "each of %s is at most %d bytes", field, EVENT_WORD_MAX);
		if (r != 0)
			return fail_field(k, r, field);
		memcpy(ws->w[i], s, len);
		ws->w[i][len] = '\0';
	}
	ws->n = n;
	return 0;
}

static int
get_note(struct call *k, struct event *ev)
{
	int r = msg_get_strz(k->m, "note", ev->note, sizeof(ev->note));

	if (r == ATT_EMISSING) {
		ev->note[0] = '\0';
		return 0;
	}
	if (r == ATT_ESTRLONG)
		return fail(k, "out-of-range", "the note is longer than %d characters", EVENT_NOTE_CHARS);
	return r != 0 ? fail_field(k, r, "note") : 0;
}

static int
get_opt_ts(struct call *k, const char *field, uint64_t *v)
{
	int r = msg_get_uint(k->m, field, UINT64_C(1) << 40, v);

	if (r == ATT_EMISSING) {
		*v = 0;
		return 0;
	}
	return r != 0 ? fail_field(k, r, field) : 0;
}

/* Required small number in [lo, hi]. */
static int
get_range(struct call *k, const char *field, int lo, int hi, int *v)
{
	uint64_t u;
	int r = msg_get_uint(k->m, field, 1000, &u);

	if (r == ATT_EMISSING)
		return fail(k, "missing-key", "%s is required (%d to %d)", field, lo, hi);
	if (r == ATT_ERANGE || (r == 0 && ((int)u < lo || (int)u > hi)))
		return fail(k, "out-of-range", "%s must be %d to %d", field, lo, hi);
	if (r != 0)
		return fail_field(k, r, field);
	*v = (int)u;
	return 0;
}

static int
get_event_id(struct call *k, const char *field, uint8_t id[EVENT_ID_LEN])
{
	const char *s;
	size_t len;
	int r = msg_get_str(k->m, field, 64, &s, &len);

	if (r != 0)
		return fail_field(k, r, field);
	if (event_id_parse(id, s, len) != 0)
		return fail(k, "not-found", "no event has the id \"%.*s\"", (int)(len > 40 ? 40 : len), s);
	return 0;
}

/* The next 04:00 local time after now (the day's end for a check-in). */
static uint64_t
next_morning(uint64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	if (tm.tm_hour >= 4)
		tm.tm_mday += 1;
	tm.tm_hour = 4;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	return t > 0 ? (uint64_t)t : now + 86400;
}

/* Stores our new event and hands it to sync in one transaction; pushes it to watchers. */
static int
commit_own_event(struct call *k, struct event *ev)
{
	struct daemon *d = k->d;
	uint64_t queued = 0;
	char hex[EVENT_ID_HEX + 1];
	int r;

	memcpy(ev->author, keys_person_pk(d->keys), 32);
	ev->mine = 1;
	r = store_begin(d->store);
	if (r == 0)
		r = store_event_put(d->store, ev);
	if (r == 0 && d->sync_ops != NULL && d->sync_ops->send_event != NULL)
		r = d->sync_ops->send_event(d->sync, ev, &queued);
	if (r != 0) {
		store_rollback(d->store);
		return fail(k, "io-error", "could not store or queue the %s (%s)",
		    event_kind_name(ev->kind), att_strerror(r));
	}
	if (store_commit(d->store) != 0)
		return fail(k, "io-error", "could not store the %s", event_kind_name(ev->kind));
	event_id_hex(ev->id, hex);
	msg_out_begin(k->out, "ok", k->id, 2);
	msg_out_str(k->out, "event_id", hex);
	msg_out_uint(k->out, "queued", queued);
	api_event_arrived(d, ev);
	return 0;
}

/* ---- handlers ---- */

static int
h_ping(struct call *k)
{
	msg_out_pong(k->out, k->id);
	return 0;
}

int
api_initialise(struct daemon *d, const char *name, const uint8_t *person_sk)
{
	struct store_device dev;
	struct x3dh_devrec rec;
	struct keys *keys = NULL;
	struct store *st = NULL;
	int r;

	if (daemon_initialised(d))
		return ATT_EEXIST;
	if (paths_mkdir_private(d->paths.data_dir) != 0)
		return ATT_EIO;
	r = keys_create(&keys, d->paths.keys_dir, person_sk);
	if (r != 0)
		return r;
	r = store_open(&st, d->paths.db_file, keys_storage(keys));
	if (r != 0)
		goto fail;
	chmod(d->paths.db_file, 0600);
	memset(&dev, 0, sizeof(dev));
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.person_pk, keys_person_pk(keys), 32);
	memcpy(rec.sign_pk, keys_sign_pk(keys), 32);
	memcpy(rec.dh_pk, keys_dh_pk(keys), 32);
	memcpy(rec.relay_pk, keys_relay_pk(keys), 32);
	rec.created = now_s();
	r = x3dh_devrec_make(dev.record, &rec, keys_person_sk(keys));
	if (r != 0)
		goto fail;
	dev.record_len = X3DH_DEVREC_LEN;
	memcpy(dev.relay, rec.relay_pk, 32);
	memcpy(dev.person, rec.person_pk, 32);
	dev.added = rec.created;
	if ((r = store_device_put(st, &dev)) != 0 ||
	    (r = store_kv_set_str(st, "name", name)) != 0)
		goto fail;
	d->keys = keys;
	d->store = st;
	snprintf(d->name, sizeof(d->name), "%s", name);
	return 0;
fail:
	store_close(st);
	keys_free(keys);
	keys_destroy(d->paths.keys_dir);
	unlink(d->paths.db_file);
	return r;
}

static int
h_init(struct call *k)
{
	struct daemon *d = k->d;
	char name[STORE_NAME_MAX + 1], relay[CONFIG_RELAY_MAX], invite[65], dev[KEYS_DEVICE_ID_LEN + 1];
	char why[160];
	struct addr a;
	int r;

	if (daemon_initialised(d) || d->keys != NULL)
		return fail(k, "already-initialised", "this device is already set up%s%s",
		    d->name[0] ? " as " : "", d->name);
	r = msg_get_strz(k->m, "name", name, sizeof(name));
	if (r == ATT_ESTRLONG)
		return fail(k, "out-of-range", "the name is longer than %d bytes", STORE_NAME_MAX);
	if (r != 0)
		return fail_field(k, r, "name");
	if (name[0] == '\0' || strspn(name, " ") == strlen(name))
		return fail(k, "out-of-range", "the name must not be empty");
	r = msg_get_strz(k->m, "relay", relay, sizeof(relay));
	if (r == ATT_EMISSING)
		snprintf(relay, sizeof(relay), "%s", d->config.relay);
	else if (r != 0)
		return fail_field(k, r, "relay");
	if (relay[0] != '\0' && addr_parse_ex(&a, relay, why, sizeof(why)) != 0)
		return fail(k, "bad-address", "relay address: %s", why);
	r = msg_get_strz(k->m, "invite", invite, sizeof(invite));
	if (r == ATT_EMISSING)
		invite[0] = '\0';
	else if (r != 0)
		return fail_field(k, r, "invite");
	r = api_initialise(d, name, NULL);
	if (r != 0)
		return fail(k, "io-error", "could not create the keys and the store: %s", att_strerror(r));
	if ((relay[0] != '\0' && store_kv_set_str(d->store, "relay", relay) != 0) ||
	    (invite[0] != '\0' && store_kv_set_str(d->store, "invite", invite) != 0))
		return fail(k, "io-error", "could not save the relay settings");
	{
		const char *pass;
		size_t plen;

		r = msg_get_str(k->m, "passphrase", 1024, &pass, &plen);
		if (r == 0 && plen > 0 && keys_set_passphrase(d->keys, d->paths.keys_dir, pass, plen) != 0)
			return fail(k, "io-error", "could not protect the storage key with the passphrase");
	}
	if (d->sync_ops != NULL && d->sync_ops->initialised != NULL)
		d->sync_ops->initialised(d->sync);
	keys_device_id(d->keys, dev);
	msg_out_begin(k->out, "ok", k->id, 1);
	msg_out_str(k->out, "device", dev);
	return 0;
}

/* The "only" map: field name -> [partner name], each within the audience. */
static int
get_only(struct call *k, struct event *ev)
{
	const msgpack_object *only;
	size_t i, j;
	int r = msg_get_map(k->m, "only", &only);

	if (r == ATT_EMISSING)
		return 0;
	if (r != 0)
		return fail_field(k, r, "only");
	for (i = 0; i < only->via.map.size; i++) {
		const msgpack_object_kv *kv = &only->via.map.ptr[i];
		const msgpack_object *items;
		int f;

		if (kv->key.type != MSGPACK_OBJECT_STR)
			return fail(k, "wrong-type", "only: keys must be field names");
		f = event_field_parse(kv->key.via.str.ptr, kv->key.via.str.size);
		if (f < 0)
			return fail(k, "out-of-range", "only: \"%.*s\" is not a field that can be scoped "
			    "(mood, desire, capacity, tags, open_to, responsive, note)",
			    (int)(kv->key.via.str.size > 32 ? 32 : kv->key.via.str.size), kv->key.via.str.ptr);
		if (kv->val.type != MSGPACK_OBJECT_ARRAY || kv->val.via.array.size > EVENT_AUDIENCE_MAX)
			return fail(k, "wrong-type", "only: each field takes a list of partner names");
		items = kv->val.via.array.ptr;
		for (j = 0; j < kv->val.via.array.size; j++) {
			struct store_partner p;
			char name[STORE_NAME_MAX + 1];
			const char *s;
			size_t len, t;

			r = msg_obj_str(&items[j], STORE_NAME_MAX, &s, &len);
			if (r != 0)
				return fail_field(k, r, "only");
			memcpy(name, s, len);
			name[len] = '\0';
			if (store_partner_by_name(k->d->store, name, &p) != 0)
				return fail(k, "unknown-partner", "no partner is called \"%s\": see attune partners", name);
			for (t = 0; t < ev->nto; t++)
				if (memcmp(ev->to[t], p.person, 32) == 0)
					break;
			if (t == ev->nto)
				return fail(k, "not-allowed", "%s is not in this check-in's audience", name);
			ev->only[f] |= UINT32_C(1) << t;
		}
		if (kv->val.via.array.size == 0)
			return fail(k, "out-of-range", "only: %s needs at least one name", event_field_name((enum event_field)f));
	}
	return 0;
}

static int
h_checkin(struct call *k)
{
	struct event ev;
	char why[160];
	int given, r, b;

	event_init(&ev, EVENT_CHECKIN);
	event_new_id(&ev);
	if (get_range(k, "mood", 1, 5, &ev.mood) != 0 ||
	    get_range(k, "desire", 0, 5, &ev.desire) != 0 ||
	    get_range(k, "capacity", 0, 5, &ev.capacity) != 0 ||
	    get_words(k, "tags", &ev.tags) != 0 ||
	    get_words(k, "open_to", &ev.open_to) != 0 ||
	    get_note(k, &ev) != 0 ||
	    get_opt_ts(k, "valid_until", &ev.valid_until) != 0)
		return -1;
	r = msg_get_bool(k->m, "responsive", &b);
	if (r == 0)
		ev.responsive = b;
	else if (r != ATT_EMISSING)
		return fail_field(k, r, "responsive");
	if (ev.valid_until == 0)
		ev.valid_until = next_morning(ev.ts);
	else if (ev.valid_until <= ev.ts)
		return fail(k, "out-of-range", "valid_until is in the past");
	if (get_audience(k, "to", k->m, ev.to, &ev.nto, &given) != 0)
		return -1;
	if (!given && all_partners(k, ev.to, &ev.nto) != 0)
		return -1;
	if (get_only(k, &ev) != 0)
		return -1;
	if (event_validate(&ev, why, sizeof(why)) != 0)
		return fail(k, "out-of-range", "%s", why);
	return commit_own_event(k, &ev);
}

static int
h_bid(struct call *k)
{
	struct event ev;
	char why[160];
	int given, r;

	event_init(&ev, EVENT_BID);
	event_new_id(&ev);
	r = msg_get_strz(k->m, "kind", ev.bid_kind, sizeof(ev.bid_kind));
	if (r == ATT_EMISSING)
		snprintf(ev.bid_kind, sizeof(ev.bid_kind), "tonight");
	else if (r == ATT_ESTRLONG)
		return fail(k, "out-of-range", "the kind is at most %d bytes", EVENT_WORD_MAX);
	else if (r != 0)
		return fail_field(k, r, "kind");
	if (get_note(k, &ev) != 0 || get_opt_ts(k, "from_ts", &ev.from_ts) != 0 ||
	    get_opt_ts(k, "until_ts", &ev.until_ts) != 0)
		return -1;
	if (get_audience(k, "to", k->m, ev.to, &ev.nto, &given) != 0)
		return -1;
	if (!given && all_partners(k, ev.to, &ev.nto) != 0)
		return -1;
	if (ev.nto == 0)
		return fail(k, "no-partner", "you have no partner yet: pair with `attune pair`");
	if (event_validate(&ev, why, sizeof(why)) != 0)
		return fail(k, "out-of-range", "%s", why);
	return commit_own_event(k, &ev);
}

/* Finds our newest still-valid, unretracted check-in whose audience includes person. */
struct find_checkin {
	const uint8_t *person;
	uint64_t now;
	int found;
	uint8_t id[EVENT_ID_LEN];
	size_t nretracted;
	uint8_t retracted[64][EVENT_ID_LEN];
};

static int
find_checkin_fn(void *arg, const struct event *ev)
{
	struct find_checkin *f = arg;
	size_t i;

	if (!ev->mine)
		return 0;
	if (ev->kind == EVENT_RETRACT && f->nretracted < 64) {
		memcpy(f->retracted[f->nretracted++], ev->ref, EVENT_ID_LEN);
		return 0;
	}
	if (ev->kind != EVENT_CHECKIN || (ev->valid_until != 0 && ev->valid_until < f->now))
		return 0;
	for (i = 0; i < f->nretracted; i++)
		if (memcmp(f->retracted[i], ev->id, EVENT_ID_LEN) == 0)
			return 0;
	for (i = 0; i < ev->nto; i++)
		if (memcmp(ev->to[i], f->person, 32) == 0) {
			memcpy(f->id, ev->id, EVENT_ID_LEN);
			f->found = 1;
			return 1;
		}
	return 0;
}

static int
h_respond(struct call *k)
{
	struct event ev, bid;
	struct find_checkin *f;
	const char *s;
	size_t len;
	char why[160];
	int r;

	event_init(&ev, EVENT_RESPONSE);
	event_new_id(&ev);
	if (get_event_id(k, "bid", ev.ref) != 0)
		return -1;
	r = store_event_get(k->d->store, ev.ref, &bid);
	if (r == ATT_ENOTFOUND || (r == 0 && bid.kind != EVENT_BID))
		return fail(k, "not-found", "no bid has that id: see attune status");
	if (r != 0)
		return fail(k, "io-error", "cannot read the bid");
	if (bid.mine)
		return fail(k, "not-allowed", "that is your own bid");
	r = msg_get_str(k->m, "answer", 16, &s, &len);
	if (r != 0)
		return fail_field(k, r, "answer");
	r = event_answer_parse(s, len);
	if (r < 0)
		return fail(k, "out-of-range", "answer must be yes, not-tonight or later");
	ev.answer = (enum event_answer)r;
	if (get_words(k, "reason", &ev.reason) != 0 || get_words(k, "offer", &ev.offer) != 0 ||
	    get_opt_ts(k, "raincheck", &ev.raincheck) != 0 || get_note(k, &ev) != 0)
		return -1;
	memcpy(ev.to[0], bid.author, 32);
	ev.nto = 1;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return fail(k, "no-memory", "out of memory");
	f->person = bid.author;
	f->now = ev.ts;
	store_event_each(k->d->store, ev.ts > STATUS_WINDOW ? ev.ts - STATUS_WINDOW : 0, find_checkin_fn, f);
	if (f->found) {
		ev.has_checkin = 1;
		memcpy(ev.checkin, f->id, EVENT_ID_LEN);
	}
	free(f);
	if (event_validate(&ev, why, sizeof(why)) != 0)
		return fail(k, "out-of-range", "%s", why);
	return commit_own_event(k, &ev);
}

static int
h_retract(struct call *k)
{
	struct event ev, orig;
	int r;

	event_init(&ev, EVENT_RETRACT);
	event_new_id(&ev);
	if (get_event_id(k, "ref", ev.ref) != 0)
		return -1;
	r = store_event_get(k->d->store, ev.ref, &orig);
	if (r == ATT_ENOTFOUND)
		return fail(k, "not-found", "no check-in or bid has that id");
	if (r != 0)
		return fail(k, "io-error", "cannot read the event");
	if (!orig.mine || (orig.kind != EVENT_CHECKIN && orig.kind != EVENT_BID))
		return fail(k, "not-allowed", "only your own check-ins and bids can be retracted");
	ev.nto = orig.nto;
	memcpy(ev.to, orig.to, sizeof(ev.to));
	return commit_own_event(k, &ev);
}

/* ---- reading: status, log, export ---- */

/* Events of a window, loaded once, with the relations between them. */
struct view {
	struct event *ev;
	size_t n, cap;
};

static int
view_add(void *arg, const struct event *ev)
{
	struct view *v = arg;

	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 64;
		struct event *g = realloc(v->ev, nc * sizeof(*g));

		if (g == NULL)
			return 1;
		v->ev = g;
		v->cap = nc;
	}
	v->ev[v->n++] = *ev;
	return 0;
}

static void
view_free(struct view *v)
{
	if (v->ev != NULL)
		sodium_memzero(v->ev, v->cap * sizeof(*v->ev));
	free(v->ev);
}

/* Retracted by its own author (anyone else's retraction is ignored). */
static int
view_retracted(const struct view *v, const struct event *e)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->ev[i].kind == EVENT_RETRACT && memcmp(v->ev[i].ref, e->id, EVENT_ID_LEN) == 0 &&
		    memcmp(v->ev[i].author, e->author, 32) == 0)
			return 1;
	return 0;
}

static const struct event *
view_find(const struct view *v, const uint8_t id[EVENT_ID_LEN])
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (memcmp(v->ev[i].id, id, EVENT_ID_LEN) == 0)
			return &v->ev[i];
	return NULL;
}

static size_t
view_answers(const struct view *v, const uint8_t bid[EVENT_ID_LEN], int mine_only)
{
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		if (v->ev[i].kind == EVENT_RESPONSE && memcmp(v->ev[i].ref, bid, EVENT_ID_LEN) == 0 &&
		    (!mine_only || v->ev[i].mine))
			n++;
	return n;
}

static const char *
bid_state(const struct view *v, const struct event *bid)
{
	if (view_retracted(v, bid))
		return "retracted";
	return view_answers(v, bid->id, !bid->mine) > 0 ? "answered" : "open";
}

/* An event object plus what the view knows: a bid's state, a response's check-in. */
static void
pack_event(struct call *k, msgpack_packer *pk, const struct view *v, const struct event *ev)
{
	struct namer nm = { .d = k->d };
	const struct event *ci = NULL;

	if (ev->kind == EVENT_BID) {
		event_pack_api(pk, ev, namer_fn, &nm, 1);
		msg_pack_str(pk, "state");
		msg_pack_str(pk, bid_state(v, ev));
		return;
	}
	if (ev->kind == EVENT_RESPONSE && ev->has_checkin)
		ci = view_find(v, ev->checkin);
	event_pack_api(pk, ev, namer_fn, &nm, ci != NULL);
	if (ci != NULL) {
		msg_pack_str(pk, "checkin");
		event_pack_api(pk, ci, namer_fn, &nm, 0);
	}
}

static const struct event *
latest_checkin(const struct view *v, const uint8_t person[32], uint64_t now)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		const struct event *e = &v->ev[i];

		if (e->kind != EVENT_CHECKIN || memcmp(e->author, person, 32) != 0)
			continue;
		if (view_retracted(v, e))
			continue;
		if (e->valid_until != 0 && e->valid_until < now)
			return NULL;
		return e;
	}
	return NULL;
}

static int
bid_current(const struct event *e, uint64_t now)
{
	if (e->until_ts != 0)
		return e->until_ts >= now;
	return e->ts + BID_OPEN_FOR >= now;
}

static int
h_status(struct call *k)
{
	struct daemon *d = k->d;
	struct view v = { 0 };
	struct store_partner *ps = NULL;
	msgpack_packer *pk = &k->out->pk;
	uint64_t now = now_s(), outbox = 0, undec = 0;
	char dev[KEYS_DEVICE_ID_LEN + 1], relay[CONFIG_RELAY_MAX];
	const struct event *mine;
	size_t np = 0, i, j, n;
	int connected = 0;

	if (store_event_each(d->store, now > STATUS_WINDOW ? now - STATUS_WINDOW : 0, view_add, &v) != 0 ||
	    store_partner_list(d->store, &ps, &np) != 0) {
		view_free(&v);
		return fail(k, "io-error", "cannot read the history");
	}
	store_outbox_count(d->store, &outbox);
	if (d->sync_ops != NULL && d->sync_ops->status != NULL)
		d->sync_ops->status(d->sync, &connected, &undec);
	if (store_kv_get_str(d->store, "relay", relay, sizeof(relay)) != 0)
		snprintf(relay, sizeof(relay), "%s", d->config.relay);
	keys_device_id(d->keys, dev);

	msg_out_begin(k->out, "status", k->id, 5);
	msg_out_key(k->out, "me");
	msgpack_pack_map(pk, 7);
	msg_pack_str(pk, "name"); msg_pack_str(pk, d->name);
	msg_pack_str(pk, "device"); msg_pack_str(pk, dev);
	msg_pack_str(pk, "relay"); msg_pack_str(pk, relay);
	msg_pack_str(pk, "connected"); connected ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	msg_pack_str(pk, "outbox"); msgpack_pack_uint64(pk, outbox);
	msg_pack_str(pk, "undecryptable"); msgpack_pack_uint64(pk, undec);
	msg_pack_str(pk, "checkin");
	mine = latest_checkin(&v, keys_person_pk(d->keys), now);
	if (mine != NULL)
		pack_event(k, pk, &v, mine);
	else
		msgpack_pack_nil(pk);

	msg_out_key(k->out, "partners");
	msgpack_pack_array(pk, np);
	for (i = 0; i < np; i++) {
		const struct event *ci = latest_checkin(&v, ps[i].person, now);

		msgpack_pack_map(pk, 3);
		msg_pack_str(pk, "name"); msg_pack_str(pk, ps[i].name);
		msg_pack_str(pk, "checkin");
		if (ci != NULL)
			pack_event(k, pk, &v, ci);
		else
			msgpack_pack_nil(pk);
		msg_pack_str(pk, "last_seen");
		if (ps[i].last_seen != 0)
			msgpack_pack_uint64(pk, ps[i].last_seen);
		else
			msgpack_pack_nil(pk);
	}
	free(ps);

	/* Open bids to me (not retracted, not yet answered by me, still current). */
	for (j = 0; j < 2; j++) {
		int want_mine = j == 1;

		msg_out_key(k->out, want_mine ? "bids_from_me" : "bids_to_me");
		for (n = 0, i = 0; i < v.n; i++) {
			const struct event *e = &v.ev[i];
			if (e->kind == EVENT_BID && e->mine == want_mine && bid_current(e, now) &&
			    !view_retracted(&v, e) && (want_mine || view_answers(&v, e->id, 1) == 0))
				n++;
		}
		msgpack_pack_array(pk, n);
		for (i = 0; i < v.n; i++) {
			const struct event *e = &v.ev[i];
			if (e->kind == EVENT_BID && e->mine == want_mine && bid_current(e, now) &&
			    !view_retracted(&v, e) && (want_mine || view_answers(&v, e->id, 1) == 0)) {
				struct namer nm = { .d = d };
				size_t a, na = view_answers(&v, e->id, 0);

				/* bids_from_me carry their answers so far. */
				event_pack_api(pk, e, namer_fn, &nm, want_mine ? 2 : 1);
				msg_pack_str(pk, "state");
				msg_pack_str(pk, bid_state(&v, e));
				if (!want_mine)
					continue;
				msg_pack_str(pk, "answers");
				msgpack_pack_array(pk, na);
				for (a = 0; a < v.n; a++)
					if (v.ev[a].kind == EVENT_RESPONSE &&
					    memcmp(v.ev[a].ref, e->id, EVENT_ID_LEN) == 0)
						pack_event(k, pk, &v, &v.ev[a]);
			}
		}
	}

	/* Rain checks given or received, from a day ago on. */
	msg_out_key(k->out, "rainchecks");
	for (n = 0, i = 0; i < v.n; i++)
		if (v.ev[i].kind == EVENT_RESPONSE && v.ev[i].raincheck + 86400 >= now && v.ev[i].raincheck != 0)
			n++;
	msgpack_pack_array(pk, n);
	for (i = 0; i < v.n; i++) {
		const struct event *e = &v.ev[i];
		struct namer nm = { .d = d };
		char hex[EVENT_ID_HEX + 1];
		const struct event *bid;
		const char *who;

		if (e->kind != EVENT_RESPONSE || e->raincheck == 0 || e->raincheck + 86400 < now)
			continue;
		bid = view_find(&v, e->ref);
		event_id_hex(e->ref, hex);
		msgpack_pack_map(pk, 4);
		msg_pack_str(pk, "bid"); msg_pack_str(pk, hex);
		msg_pack_str(pk, "who");
		who = namer_fn(&nm, e->mine ? (bid != NULL ? bid->author : e->to[0]) : e->author);
		msg_pack_str(pk, who != NULL ? who : "?");
		msg_pack_str(pk, "at"); msgpack_pack_uint64(pk, e->raincheck);
		msg_pack_str(pk, "mine"); e->mine ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	}
	view_free(&v);
	return 0;
}

/*
 * Writes "events" (from offset on, as many as fit in one frame), "more" and
 * "next" (the offset to ask for next). A reply is one frame of at most
 * FRAME_MAX bytes, so long histories come in pages.
 */
static void
pack_event_page(struct call *k, const struct view *v, uint64_t offset)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t budget, i, n = 0, last = 0;

	budget = FRAME_MAX - 64 > msg_out_len(k->out) ? FRAME_MAX - 64 - msg_out_len(k->out) : 0;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (i = (size_t)(offset < v->n ? offset : v->n); i < v->n; i++) {
		pack_event(k, &pk, v, &v->ev[i]);
		if (sb.size > budget)
			break;
		last = sb.size;
		n++;
	}
	msg_out_key(k->out, "events");
	msgpack_pack_array(&k->out->pk, n);
	if (last > 0)
		k->out->pk.callback(k->out->pk.data, sb.data, last);
	sodium_memzero(sb.data, sb.alloc);
	msgpack_sbuffer_destroy(&sb);
	msg_out_bool(k->out, "more", offset + n < v->n);
	msg_out_uint(k->out, "next", offset + n);
}

static int
get_offset(struct call *k, uint64_t *offset)
{
	int r = msg_get_uint(k->m, "offset", UINT32_MAX, offset);

	if (r == ATT_EMISSING) {
		*offset = 0;
		return 0;
	}
	return r != 0 ? fail_field(k, r, "offset") : 0;
}

static int
h_log(struct call *k)
{
	struct view v = { 0 };
	uint64_t since = 0, offset;
	int r = msg_get_uint(k->m, "since", UINT64_C(1) << 40, &since);

	if (r != 0 && r != ATT_EMISSING)
		return fail_field(k, r, "since");
	if (get_offset(k, &offset) != 0)
		return -1;
	if (store_event_each(k->d->store, since, view_add, &v) != 0) {
		view_free(&v);
		return fail(k, "io-error", "cannot read the history");
	}
	msg_out_begin(k->out, "log", k->id, 3);
	pack_event_page(k, &v, offset);
	view_free(&v);
	return 0;
}

static int
h_watch(struct call *k)
{
	k->c->watching = 1;
	msg_out_begin(k->out, "ok", k->id, 0);
	return 0;
}

static void
pack_partners(struct call *k, msgpack_packer *pk, const struct store_partner *ps, size_t np)
{
	size_t i, j;

	msgpack_pack_array(pk, np);
	for (i = 0; i < np; i++) {
		struct store_device *devs = NULL;
		size_t nd = 0, live = 0;

		store_device_list(k->d->store, ps[i].person, &devs, &nd);
		for (j = 0; j < nd; j++)
			live += !devs[j].revoked;
		free(devs);
		msgpack_pack_map(pk, 4);
		msg_pack_str(pk, "name"); msg_pack_str(pk, ps[i].name);
		msg_pack_str(pk, "since"); msgpack_pack_uint64(pk, ps[i].added);
		msg_pack_str(pk, "last_seen");
		if (ps[i].last_seen != 0)
			msgpack_pack_uint64(pk, ps[i].last_seen);
		else
			msgpack_pack_nil(pk);
		msg_pack_str(pk, "devices"); msgpack_pack_uint64(pk, live);
	}
}

static int
h_partners(struct call *k)
{
	struct store_partner *ps;
	size_t np;

	if (store_partner_list(k->d->store, &ps, &np) != 0)
		return fail(k, "io-error", "cannot read the partner list");
	msg_out_begin(k->out, "partners", k->id, 1);
	msg_out_key(k->out, "partners");
	pack_partners(k, &k->out->pk, ps, np);
	free(ps);
	return 0;
}

static void
pack_devices(struct call *k, msgpack_packer *pk, const struct store_device *ds, size_t nd)
{
	char id[KEYS_DEVICE_ID_LEN + 1];
	size_t i;

	msgpack_pack_array(pk, nd);
	for (i = 0; i < nd; i++) {
		keys_device_id_of(ds[i].relay, id);
		msgpack_pack_map(pk, 4);
		msg_pack_str(pk, "id"); msg_pack_str(pk, id);
		msg_pack_str(pk, "this");
		if (memcmp(ds[i].relay, keys_relay_pk(k->d->keys), 32) == 0)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		msg_pack_str(pk, "revoked"); ds[i].revoked ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		msg_pack_str(pk, "added"); msgpack_pack_uint64(pk, ds[i].added);
	}
}

static int
h_devices(struct call *k)
{
	struct store_device *ds;
	size_t nd;

	if (store_device_list(k->d->store, keys_person_pk(k->d->keys), &ds, &nd) != 0)
		return fail(k, "io-error", "cannot read the device list");
	msg_out_begin(k->out, "devices", k->id, 1);
	msg_out_key(k->out, "devices");
	pack_devices(k, &k->out->pk, ds, nd);
	free(ds);
	return 0;
}

static int
pair_common(struct call *k, int link)
{
	char code[128], relay[CONFIG_RELAY_MAX], why[160];
	struct api_req *req;
	struct addr a;
	int have_code, have_relay, r;

	r = msg_get_strz(k->m, "code", code, sizeof(code));
	if (r != 0 && r != ATT_EMISSING)
		return fail_field(k, r, "code");
	have_code = r == 0;
	r = msg_get_strz(k->m, "relay", relay, sizeof(relay));
	if (r != 0 && r != ATT_EMISSING)
		return fail_field(k, r, "relay");
	have_relay = r == 0;
	if (have_relay && addr_parse_ex(&a, relay, why, sizeof(why)) != 0)
		return fail(k, "bad-address", "relay address: %s", why);
	if (k->d->keys != NULL && keys_locked(k->d->keys))
		return fail(k, "locked", "the history is locked by a passphrase: run `attune unlock`");
	/* Joining with link is how a fresh device gets its identity; all else needs init. */
	if (!daemon_initialised(k->d) && !(link && have_code))
		return fail(k, "not-initialised", "this device is not set up yet: run `attune init --name NAME`");
	if (daemon_initialised(k->d) && link && have_code)
		return fail(k, "already-initialised", "this device already has an identity; "
		    "run `attune link CODE` on the new device");
	if (k->d->sync_ops == NULL || k->d->sync_ops->pair == NULL)
		return fail(k, "relay-unreachable", "pairing is not available in this build");
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return fail(k, "no-memory", "out of memory");
	req->c = k->c;
	req->id = k->id;
	k->c->refs++;
	r = k->d->sync_ops->pair(k->d->sync, req, link, have_code ? code : NULL, have_relay ? relay : NULL);
	if (r != 0) {
		api_req_release(req);
		return fail(k, att_errcode(r), "pairing could not start: %s", att_strerror(r));
	}
	msg_out_reset(k->out);   /* sync replies through req */
	return 0;
}

static int h_pair(struct call *k) { return pair_common(k, 0); }
static int h_link(struct call *k) { return pair_common(k, 1); }

static int
h_revoke(struct call *k)
{
	struct store_device *ds;
	char want[KEYS_DEVICE_ID_LEN + 1], id[KEYS_DEVICE_ID_LEN + 1];
	size_t nd, i;
	int r;

	r = msg_get_strz(k->m, "device", want, sizeof(want));
	if (r == ATT_ESTRLONG)
		return fail(k, "not-found", "no device has that id: see attune devices");
	if (r != 0)
		return fail_field(k, r, "device");
	if (store_device_list(k->d->store, keys_person_pk(k->d->keys), &ds, &nd) != 0)
		return fail(k, "io-error", "cannot read the device list");
	for (i = 0; i < nd; i++) {
		keys_device_id_of(ds[i].relay, id);
		if (strcmp(id, want) == 0)
			break;
	}
	if (i == nd) {
		free(ds);
		return fail(k, "not-found", "no device of yours has the id %s: see attune devices", want);
	}
	if (memcmp(ds[i].relay, keys_relay_pk(k->d->keys), 32) == 0) {
		free(ds);
		return fail(k, "not-allowed", "this is the device you are on: revoke it from another one, "
		    "or use attune wipe here");
	}
	if (k->d->sync_ops != NULL && k->d->sync_ops->revoke != NULL &&
	    (r = k->d->sync_ops->revoke(k->d->sync, ds[i].relay)) != 0) {
		free(ds);
		return fail(k, att_errcode(r), "could not publish the new device list: %s", att_strerror(r));
	}
	ds[i].revoked = 1;
	r = store_device_put(k->d->store, &ds[i]);
	if (r == 0)
		r = store_session_remove(k->d->store, ds[i].relay);
	free(ds);
	if (r != 0)
		return fail(k, "io-error", "could not save the revocation");
	msg_out_begin(k->out, "ok", k->id, 0);
	return 0;
}

static int
h_unpair(struct call *k)
{
	struct store_partner p;
	char name[STORE_NAME_MAX + 1];
	int tell = 0, r;

	r = msg_get_strz(k->m, "name", name, sizeof(name));
	if (r != 0 && r != ATT_ESTRLONG)
		return fail_field(k, r, "name");
	if (r != 0 || store_partner_by_name(k->d->store, name, &p) != 0)
		return fail(k, "unknown-partner", "no partner has that name: see attune partners");
	r = msg_get_bool(k->m, "tell", &tell);
	if (r != 0 && r != ATT_EMISSING)
		return fail_field(k, r, "tell");
	if (k->d->sync_ops != NULL && k->d->sync_ops->unpair != NULL &&
	    (r = k->d->sync_ops->unpair(k->d->sync, p.person, tell)) != 0)
		return fail(k, att_errcode(r), "could not end the partnership: %s", att_strerror(r));
	r = store_begin(k->d->store);
	if (r == 0)
		r = store_partner_remove(k->d->store, p.person);
	if (r == 0)
		r = store_event_remove_author(k->d->store, p.person);
	if (r != 0) {
		store_rollback(k->d->store);
		return fail(k, "io-error", "could not remove the partner's data");
	}
	if (store_commit(k->d->store) != 0)
		return fail(k, "io-error", "could not remove the partner's data");
	msg_out_begin(k->out, "ok", k->id, 0);
	return 0;
}

static int
h_export(struct call *k)
{
	struct daemon *d = k->d;
	struct view v = { 0 };
	struct store_partner *ps = NULL;
	struct store_device *ds = NULL;
	msgpack_packer *pk = &k->out->pk;
	char dev[KEYS_DEVICE_ID_LEN + 1], hex[65];
	size_t np = 0, nd = 0;
	uint64_t offset;

	if (get_offset(k, &offset) != 0)
		return -1;
	if (store_event_each(d->store, 0, view_add, &v) != 0 ||
	    store_partner_list(d->store, &ps, &np) != 0 ||
	    store_device_list(d->store, keys_person_pk(d->keys), &ds, &nd) != 0) {
		view_free(&v);
		free(ps);
		return fail(k, "io-error", "cannot read the store");
	}
	keys_device_id(d->keys, dev);
	sodium_bin2hex(hex, sizeof(hex), keys_person_pk(d->keys), 32);
	msg_out_begin(k->out, "export", k->id, 6);
	msg_out_key(k->out, "me");
	msgpack_pack_map(pk, 3);
	msg_pack_str(pk, "name"); msg_pack_str(pk, d->name);
	msg_pack_str(pk, "device"); msg_pack_str(pk, dev);
	msg_pack_str(pk, "person_key"); msg_pack_str(pk, hex);
	msg_out_key(k->out, "partners");
	pack_partners(k, pk, ps, np);
	msg_out_key(k->out, "devices");
	pack_devices(k, pk, ds, nd);
	pack_event_page(k, &v, offset);
	view_free(&v);
	free(ps);
	free(ds);
	return 0;
}

/* Removes the files of a store (db, -wal, -shm). */
static void
unlink_db(const char *db)
{
	char p[4200];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", db);
	unlink(p);
}

static int
h_wipe(struct call *k)
{
	struct daemon *d = k->d;
	int confirm = 0;

	if (d->keys == NULL)
		return fail(k, "not-initialised", "there is nothing to wipe on this device");
	if (msg_get_bool(k->m, "confirm", &confirm) != 0 || !confirm)
		return fail(k, "not-allowed", "wipe needs \"confirm\": true");
	/* Nothing is sent to anyone: stop the network first. */
	if (d->sync_ops != NULL && d->sync_ops->stop != NULL)
		d->sync_ops->stop(d->sync);
	/* Keys first: without storage.key what remains is noise. */
	keys_destroy(d->paths.keys_dir);
	keys_free(d->keys);
	d->keys = NULL;
	store_close(d->store);
	d->store = NULL;
	unlink_db(d->paths.db_file);
	rmdir(d->paths.keys_dir);
	rmdir(d->paths.data_dir);
	d->name[0] = '\0';
	msg_out_begin(k->out, "ok", k->id, 0);
	k->c->quit_after_write = 1;
	return 0;
}

/* Opens the store once the storage key is known (after unlock). */
static int
open_store_now(struct daemon *d)
{
	int r = store_open(&d->store, d->paths.db_file, keys_storage(d->keys));

	if (r != 0)
		return r;
	if (store_kv_get_str(d->store, "name", d->name, sizeof(d->name)) != 0)
		d->name[0] = '\0';
	if (d->sync_ops != NULL && d->sync_ops->initialised != NULL)
		d->sync_ops->initialised(d->sync);
	if (d->api != NULL)
		raincheck_schedule(d->api);
	return 0;
}

static int
h_unlock(struct call *k)
{
	struct daemon *d = k->d;
	const char *pass;
	size_t len;
	int r;

	if (d->keys == NULL)
		return fail(k, "not-initialised", "this device is not set up yet: run `attune init --name NAME`");
	if (!keys_locked(d->keys)) {
		msg_out_begin(k->out, "ok", k->id, 0);
		return 0;
	}
	r = msg_get_str(k->m, "passphrase", 1024, &pass, &len);
	if (r != 0)
		return fail_field(k, r, "passphrase");
	r = keys_unlock(d->keys, pass, len);
	if (r == ATT_EAUTH)
		return fail(k, "wrong-passphrase", "that passphrase does not unlock this device");
	if (r != 0)
		return fail(k, att_errcode(r), "cannot unlock: %s", att_strerror(r));
	r = open_store_now(d);
	if (r != 0)
		return fail(k, "io-error", "cannot open the store: %s", att_strerror(r));
	msg_out_begin(k->out, "ok", k->id, 0);
	return 0;
}

/* Sets, changes or (empty) removes the passphrase that locks the history at start. */
static int
h_passphrase(struct call *k)
{
	const char *pass = "";
	size_t len = 0;
	int r = msg_get_str(k->m, "passphrase", 1024, &pass, &len);

	if (r != 0 && r != ATT_EMISSING)
		return fail_field(k, r, "passphrase");
	r = keys_set_passphrase(k->d->keys, k->d->paths.keys_dir, pass, len);
	if (r != 0)
		return fail(k, "io-error", "could not write the storage key: %s", att_strerror(r));
	msg_out_begin(k->out, "ok", k->id, 1);
	msg_out_bool(k->out, "locked_at_start", len > 0);
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
	{ "init", 0, h_init },
	{ "checkin", 1, h_checkin },
	{ "bid", 1, h_bid },
	{ "respond", 1, h_respond },
	{ "retract", 1, h_retract },
	{ "status", 1, h_status },
	{ "log", 1, h_log },
	{ "watch", 1, h_watch },
	{ "partners", 1, h_partners },
	{ "devices", 1, h_devices },
	{ "pair", 1, h_pair },
	{ "link", 0, h_link },       /* checks init itself: `link CODE` sets a device up */
	{ "revoke", 1, h_revoke },
	{ "unpair", 1, h_unpair },
	{ "export", 1, h_export },
	{ "wipe", 0, h_wipe },       /* works while locked too; checks for keys itself */
	{ "unlock", 0, h_unlock },
	{ "passphrase", 1, h_passphrase },
};

static void
api_dispatch(struct conn *c, const uint8_t *frame, size_t len)
{
	struct daemon *d = c->api->d;
	struct msg_out out;
	struct msg *m = NULL;
	struct call k;
	uint64_t id = 0;
	size_t i;
	int r;

	msg_out_init(&out);
	r = msg_parse(frame, len, &api_limits, &m, &id);
	if (r != 0) {
		msg_out_error(&out, id, r, NULL);
		goto send;
	}
	for (i = 0; i < sizeof(api_cmds) / sizeof(api_cmds[0]); i++)
		if (msg_is_type(m, api_cmds[i].name))
			break;
	if (i == sizeof(api_cmds) / sizeof(api_cmds[0])) {
		msg_out_error(&out, id, ATT_EUNKNOWNTYPE, "unknown request type");
		goto send;
	}
	if (d->stopping) {
		msg_out_error_code(&out, id, "not-allowed", "attuned is shutting down");
		goto send;
	}
	if (api_cmds[i].needs_init && !daemon_initialised(d)) {
		if (d->keys != NULL && keys_locked(d->keys))
			msg_out_error_code(&out, id, "locked",
			    "the history is locked by a passphrase: run `attune unlock`");
		else
			msg_out_error_code(&out, id, "not-initialised",
			    "this device is not set up yet: run `attune init --name NAME`");
		goto send;
	}
	k.d = d;
	k.c = c;
	k.m = msg_root(m);
	k.id = id;
	k.out = &out;
	api_cmds[i].run(&k);
send:
	if (msg_out_len(&out) > FRAME_MAX || msg_out_failed(&out)) {
		/* Never leave a client waiting: say why instead. */
		msg_out_reset(&out);
		msg_out_error_code(&out, id, "too-big", "the reply would not fit in one frame");
	}
	if (msg_out_len(&out) > 0)
		conn_send_out(c, &out);
	msg_out_free(&out);
	msg_free(m);
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
	raincheck_schedule(a);
	return 0;
}

int
api_listen(struct api **out, struct daemon *d, const char *path)
{
	struct api *a;
	char *dir, *slash;
	mode_t old;
	int r;

	*out = NULL;
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
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ATT_ENOMEM;
	a->d = d;
	a->path = strdup(path);
	uv_pipe_init(d->loop, &a->listener, 0);
	uv_timer_init(d->loop, &a->raincheck);
	a->raincheck.data = a;
	a->handles = 2;
	old = umask(0177);
	r = uv_pipe_bind(&a->listener, path);
	umask(old);
	if (r == 0)
		chmod(path, 0600);
	if (r != 0 || api_start(a) != 0) {
		a->closing = 1;
		api_close(a);
		return ATT_EIO;
	}
	*out = a;
	return 0;
}

int
api_listen_fd(struct api **out, struct daemon *d, int fd)
{
	struct api *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (a == NULL)
		return ATT_ENOMEM;
	a->d = d;
	uv_pipe_init(d->loop, &a->listener, 0);
	uv_timer_init(d->loop, &a->raincheck);
	a->raincheck.data = a;
	a->handles = 2;
	if (uv_pipe_open(&a->listener, fd) != 0 || api_start(a) != 0) {
		api_close(a);
		return ATT_EIO;
	}
	*out = a;
	return 0;
}

static void
api_on_close(uv_handle_t *h)
{
	struct api *a = h->data;

	if (--a->handles > 0)
		return;
	free(a->path);
	free(a);
}

void
api_close(struct api *a)
{
	if (a == NULL)
		return;
	a->closing = 1;
	uv_timer_stop(&a->raincheck);
	while (a->conns != NULL)
		conn_close(a->conns);
	if (a->path != NULL)
		unlink(a->path);
	a->listener.data = a;
	uv_close((uv_handle_t *)&a->listener, api_on_close);
	uv_close((uv_handle_t *)&a->raincheck, api_on_close);
}

/* ---- pushes ---- */

void
api_event_arrived(struct daemon *d, const struct event *ev)
{
	struct api *a = d->api;
	struct namer nm = { .d = d };
	struct msg_out out;
	struct conn *c, *next;
	const char *who;

	if (!ev->mine && d->notify != NULL) {
		who = namer_fn(&nm, ev->author);
		notify_event(d->notify, ev, who != NULL ? who : "A partner");
	}
	if (a == NULL)
		return;
	if (ev->mine && ev->kind == EVENT_RESPONSE && ev->raincheck != 0)
		raincheck_schedule(a);
	msg_out_init(&out);
	msg_out_begin(&out, "event", 0, 1);
	msg_out_key(&out, "event");
	if (ev->kind == EVENT_BID) {
		event_pack_api(&out.pk, ev, namer_fn, &nm, 1);
		msg_pack_str(&out.pk, "state");
		msg_pack_str(&out.pk, "open");
	} else {
		event_pack_api(&out.pk, ev, namer_fn, &nm, 0);
	}
	for (c = a->conns; c != NULL; c = next) {
		next = c->next;
		if (c->watching)
			conn_send_out(c, &out);
	}
	msg_out_free(&out);
}

/* ---- rain checks: a reminder for the person who gave one, when it comes due ---- */

#define RAINCHECK_KV "raincheck_done"   /* the latest due time already announced */

struct rc_scan {
	uint64_t done, now, next;   /* next: earliest due time after now (0 = none) */
	struct view due;            /* our responses due in (done, now] */
};

static int
rc_scan_fn(void *arg, const struct event *ev)
{
	struct rc_scan *r = arg;

	if (!ev->mine || ev->kind != EVENT_RESPONSE || ev->raincheck == 0 || ev->raincheck <= r->done)
		return 0;
	if (ev->raincheck <= r->now)
		return view_add(&r->due, ev);
	if (r->next == 0 || ev->raincheck < r->next)
		r->next = ev->raincheck;
	return 0;
}

static uint64_t
rc_done(struct daemon *d)
{
	char buf[32];

	if (store_kv_get_str(d->store, RAINCHECK_KV, buf, sizeof(buf)) != 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

/* Pushes {"kind":"raincheck_due","id","bid","who","at",...} for each due one. */
static void
raincheck_fire(struct api *a, const struct view *due)
{
	struct daemon *d = a->d;
	struct namer nm = { .d = d };
	struct msg_out out;
	struct conn *c;
	uint64_t latest = 0;
	char hex[EVENT_ID_HEX + 1], bidhex[EVENT_ID_HEX + 1], buf[32];
	size_t i;

	msg_out_init(&out);
	for (i = 0; i < due->n; i++) {
		const struct event *e = &due->ev[i];
		struct event bid;
		const char *who = NULL;
		char summary[160];

		if (store_event_get(d->store, e->ref, &bid) == 0)
			who = namer_fn(&nm, bid.author);
		if (who == NULL && e->nto > 0)
			who = namer_fn(&nm, e->to[0]);
		if (who == NULL)
			who = "?";
		event_id_hex(e->id, hex);
		event_id_hex(e->ref, bidhex);
		msg_out_reset(&out);
		msg_out_begin(&out, "event", 0, 1);
		msg_out_key(&out, "event");
		msgpack_pack_map(&out.pk, 8);
		msg_pack_str(&out.pk, "kind"); msg_pack_str(&out.pk, "raincheck_due");
		msg_pack_str(&out.pk, "id"); msg_pack_str(&out.pk, hex);
		msg_pack_str(&out.pk, "author"); msg_pack_str(&out.pk, d->name);
		msg_pack_str(&out.pk, "mine"); msgpack_pack_true(&out.pk);
		msg_pack_str(&out.pk, "ts"); msgpack_pack_uint64(&out.pk, e->raincheck);
		msg_pack_str(&out.pk, "bid"); msg_pack_str(&out.pk, bidhex);
		msg_pack_str(&out.pk, "who"); msg_pack_str(&out.pk, who);
		msg_pack_str(&out.pk, "at"); msgpack_pack_uint64(&out.pk, e->raincheck);
		for (c = a->conns; c != NULL; c = c->next)
			if (c->watching)
				conn_send_out(c, &out);
		snprintf(summary, sizeof(summary), "Your rain check with %s is due", who);
		notify_reminder(d->notify, summary);
		if (e->raincheck > latest)
			latest = e->raincheck;
	}
	msg_out_free(&out);
	if (latest != 0) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)latest);
		store_kv_set_str(d->store, RAINCHECK_KV, buf);
	}
}

static void
raincheck_on_timer(uv_timer_t *t)
{
	raincheck_schedule(t->data);
}

/*
 * Announces what is due and arms the timer for the next one: one wake-up
 * per rain check, none while there is nothing to remind of.
 */
static void
raincheck_schedule(struct api *a)
{
	struct daemon *d = a->d;
	struct rc_scan r = { 0 };
	uint64_t delay;

	if (a->closing || !daemon_initialised(d))
		return;
	r.now = now_s();
	r.done = rc_done(d);
	if (store_event_each(d->store, r.now > 2 * STATUS_WINDOW ? r.now - 2 * STATUS_WINDOW : 0,
	    rc_scan_fn, &r) != 0) {
		view_free(&r.due);
		return;
	}
	if (r.due.n > 0)
		raincheck_fire(a, &r.due);
	view_free(&r.due);
	uv_timer_stop(&a->raincheck);
	if (r.next == 0)
		return;
	delay = (r.next - r.now) * 1000;
	if (delay > UINT64_C(86400000))
		delay = UINT64_C(86400000);   /* re-check daily: clocks move */
	uv_timer_start(&a->raincheck, raincheck_on_timer, delay + 50, 0);
}
