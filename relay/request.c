#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/msg.h"
#include "relay/conn.h"
#include "relay/request.h"

#define SPK_MAX 1024
#define OTK_MAX 512
#define OTKS_PER_REQUEST 256
#define ACKS_PER_REQUEST 1024

/* Limits for requests: nothing the relay accepts nests deeper than 3. */
static const struct msg_limits relay_limits = {
	.max_depth = 4, .max_str = 256, .max_bin = FRAME_MAX, .max_array = 1024,
	.max_total_objects = 4096,
};

/* The wire code and the stats reason for an outcome. */
static const char *
code_of(int r, enum stats_reason *why)
{
	static const struct { int r; const char *code; enum stats_reason why; } map[] = {
		{ RELAYDB_EIO, "storage", REASON_storage },
		{ RELAYDB_EFULL, "mailbox-full", REASON_mailbox_full },
		{ RELAYDB_EUNKNOWN, "unknown-device", REASON_unknown_device },
		{ RELAYDB_EINVITE, "invite-invalid", REASON_invite_invalid },
		{ RELAYDB_EUSED, "invite-used", REASON_invite_used },
		{ RELAYDB_EEXPIRED, "invite-expired", REASON_invite_expired },
		{ RELAYDB_ENOTFOUND, "not-found", REASON_bad_message },
		{ NP_EUNKNOWN, "np-unknown", REASON_np_unknown },
		{ NP_ETAKEN, "np-taken", REASON_np_taken },
		{ NP_EFULL, "busy", REASON_busy },
		{ NP_EQUEUE, "busy", REASON_busy },
		{ NP_ENOTSIDE, "not-allowed", REASON_not_allowed },
		{ ATT_ELIMIT, "rate-limited", REASON_rate_limited },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].r == r) {
			*why = map[i].why;
			return map[i].code;
		}
	*why = REASON_bad_message;
	return att_errcode(r);
}

static const char *
text_of(const char *code)
{
	if (strcmp(code, "storage") == 0)
		return "the relay could not store this (disk full or I/O error); try again later";
	if (strcmp(code, "mailbox-full") == 0)
		return "the recipient's mailbox is full until it fetches its envelopes";
	if (strcmp(code, "unknown-device") == 0)
		return "the recipient is not registered at this relay";
	if (strcmp(code, "invite-invalid") == 0)
		return "this invite is not known to the relay";
	if (strcmp(code, "invite-used") == 0)
		return "this invite has been used up; ask the relay operator for a new one";
	if (strcmp(code, "invite-expired") == 0)
		return "this invite has expired; ask the relay operator for a new one";
	if (strcmp(code, "not-registered") == 0)
		return "register this device with an invite first";
	if (strcmp(code, "rate-limited") == 0)
		return "too many requests; slow down";
	if (strcmp(code, "busy") == 0)
		return "the relay is busy; try again shortly";
	if (strcmp(code, "np-unknown") == 0)
		return "no such nameplate (or it expired)";
	if (strcmp(code, "np-taken") == 0)
		return "this nameplate is already in use";
	if (strcmp(code, "unknown-type") == 0)
		return "this relay does not know that request type";
	if (strcmp(code, "not-allowed") == 0)
		return "not allowed on this connection";
	return NULL;
}

/* Answers an error and logs the rejection. */
static void
fail(struct conn *c, uint64_t id, int r, const char *t)
{
	enum stats_reason why;
	const char *code = code_of(r, &why);
	const char *text = text_of(code);

	server_reject(c->srv, why, "conn=%" PRIu64 " t=%s code=%s", c->id, t, code);
	conn_send_error(c, id, code, text != NULL ? text : att_strerror(r));
}

static void
fail_code(struct conn *c, uint64_t id, enum stats_reason why, const char *code, const char *t)
{
	const char *text = text_of(code);

	server_reject(c->srv, why, "conn=%" PRIu64 " t=%s code=%s", c->id, t, code);
	conn_send_error(c, id, code, text != NULL ? text : "request refused");
}

static void
reply_ok(struct conn *c, uint64_t id)
{
	struct msg_out m;

	msg_out_init(&m);
	msg_out_begin(&m, "ok", id, 0);
	conn_send(c, &m);
	msg_out_free(&m);
}

/* Every store op starts with this: the connection it answers (referenced). */
struct req_op {
	struct storage_op op;
	struct conn *c;
	uint64_t id;
	const char *t;
};

/* Fills in what every op shares; the caller sets op.u, then op_submit. */
static void
op_init(struct conn *c, struct req_op *o, uint64_t id, const char *t, enum storage_kind kind,
    void (*done)(struct storage_op *))
{
	o->c = c;
	o->id = id;
	o->t = t;
	o->op.kind = kind;
	o->op.done = done;
	o->op.savepoint = 1;
	memcpy(o->op.dev, c->dev, sizeof o->op.dev);
}

static void
op_submit(struct req_op *o)
{
	conn_ref(o->c);
	o->c->pending++;
	storage_submit(o->c->srv->store, &o->op);
}

/* Ends an op: 1 if the connection is still there to answer. */
static int
op_finish(struct req_op *o)
{
	conn_request_done(o->c);
	return o->c->state == CONN_READY;
}

/* ---- ping, sync ---- */

static void
h_ping(struct conn *c, const struct msg *m)
{
	struct msg_out o;

	msg_out_init(&o);
	msg_out_pong(&o, msg_id(m));
	conn_send(c, &o);
	msg_out_free(&o);
}

static void
h_sync(struct conn *c, const struct msg *m)
{
	/* A sync (re)starts delivery from the oldest unacknowledged envelope. */
	c->synced = 1;
	c->sync_gen++;
	c->last_sent = 0;
	c->n_inflight = 0;
	reply_ok(c, msg_id(m));
	conn_pump(c);
}

/* ---- per-device limits ---- */

enum dev_bucket { DEV_PUT, DEV_PK_REQ, DEV_PK_TGT };

/* Takes n tokens from one of key's buckets, shared by all its connections. */
static int
dev_take(struct conn *c, const uint8_t key[32], enum dev_bucket which, double n)
{
	const struct limit_dev_rates *r = &c->srv->devrates;
	struct limit_dev *e = limit_dev_get(c->srv->devlimits, key);
	double now = server_now(c->srv);

	if (e == NULL)
		return 0;
	if (which == DEV_PUT)
		return limit_take(&e->put, r->put_rate, r->put_burst, now, n);
	if (which == DEV_PK_REQ)
		return limit_take(&e->pk_req, r->pk_rate, r->pk_burst, now, n);
	return limit_take(&e->pk_tgt, r->tgt_rate, r->tgt_burst, now, n);
}

/* ---- register ---- */

struct reg_op {
	struct req_op r;
	char token[RELAYDB_TOKEN_MAX];
};

static void
reg_done(struct storage_op *op)
{
	struct reg_op *o = (struct reg_op *)op;
	struct conn *c = o->r.c;
	char id[17];

	/* Committed, whether or not the connection is still there to hear it. */
	if (op->result >= 0 && c->srv->registered != NULL)
		regset_add(c->srv->registered, c->dev);
	if (op_finish(&o->r)) {
		if (op->result < 0)
			fail(c, o->r.id, op->result, "register");
		else {
			if (!c->registered) {
				c->srv->stats.registrations++;
				conn_devid(id, c->dev);
				log_event(&c->srv->log, "register", "conn=%" PRIu64 " dev=%s", c->id, id);
			}
			c->registered = 1;
			reply_ok(c, o->r.id);
		}
	}
	sodium_memzero(o->token, sizeof o->token);
	conn_unref(c);
	free(o);
}

static void
h_register(struct conn *c, const struct msg *m)
{
	const char *tok;
	size_t len;
	struct reg_op *o;
	int r = msg_get_str(msg_root(m), "invite", RELAYDB_TOKEN_MAX, &tok, &len);

	if (r < 0) {
		fail(c, msg_id(m), r, "register");
		return;
	}
	/* Before the commit: a flood of bad invites costs the disk nothing. */
	if (c->src != NULL && !limit_take(&c->src->reg, c->srv->cfg.register_rate,
	    c->srv->cfg.register_burst, server_now(c->srv), 1)) {
		fail_code(c, msg_id(m), REASON_rate_limited, "rate-limited", "register");
		return;
	}
	if ((o = calloc(1, sizeof *o)) == NULL)
		return;
	memcpy(o->token, tok, len);
	op_init(c, &o->r, msg_id(m), "register", STORAGE_REGISTER, reg_done);
	o->r.op.u.reg.token = o->token;
	o->r.op.u.reg.len = len;
	o->r.op.u.reg.now = server_time();
	op_submit(&o->r);
}

/* ---- invite (a registered device asks for one to hand to a partner) ---- */

struct inv_op {
	struct req_op r;
	char token[RELAYDB_TOKEN_MAX + 1];
};

static void
inv_done(struct storage_op *op)
{
	struct inv_op *o = (struct inv_op *)op;
	struct conn *c = o->r.c;
	struct msg_out m;

	if (op_finish(&o->r)) {
		if (op->result < 0)
			fail(c, o->r.id, op->result, "invite");
		else {
			msg_out_init(&m);
			msg_out_begin(&m, "invite", o->r.id, 2);
			msg_out_str(&m, "token", o->token);
			msg_out_uint(&m, "expires", op->u.inv.expires);
			conn_send(c, &m);
			msg_out_free(&m);
			log_event(&c->srv->log, "invite", "conn=%" PRIu64 " uses=%" PRIu64, c->id,
			    op->u.inv.uses);
		}
	}
	sodium_memzero(o->token, sizeof o->token);
	conn_unref(c);
	free(o);
}

static void
h_invite(struct conn *c, const struct msg *m)
{
	const struct relaycfg *cfg = &c->srv->cfg;
	uint64_t uses = 1, ttl = cfg->invite_default_ttl;
	struct inv_op *o;
	int r;

	if (!cfg->device_invites) {
		fail_code(c, msg_id(m), REASON_not_allowed, "not-allowed", "invite");
		return;
	}
	if (((r = msg_get_uint(msg_root(m), "uses", cfg->invite_max_uses, &uses)) < 0 &&
	    r != ATT_EMISSING) ||
	    ((r = msg_get_uint(msg_root(m), "ttl", cfg->invite_max_ttl, &ttl)) < 0 &&
	    r != ATT_EMISSING)) {
		fail(c, msg_id(m), r, "invite");
		return;
	}
	if (uses == 0 || ttl == 0) {
		fail(c, msg_id(m), ATT_ERANGE, "invite");
		return;
	}
	if ((o = calloc(1, sizeof *o)) == NULL)
		return;
	op_init(c, &o->r, msg_id(m), "invite", STORAGE_INVITE, inv_done);
	o->r.op.u.inv.token = o->token;
	o->r.op.u.inv.now = server_time();
	o->r.op.u.inv.uses = uses;
	o->r.op.u.inv.expires = o->r.op.u.inv.now + ttl;
	o->r.op.u.inv.per_day = cfg->device_invites_per_day;
	op_submit(&o->r);
}

/* ---- put ---- */

struct put_op {
	struct req_op r;
	struct storage_item items[];
};

static void
put_done(struct storage_op *op)
{
	struct put_op *o = (struct put_op *)op;
	struct conn *c = o->r.c;
	struct server *srv = c->srv;
	struct htab_node *n;
	size_t i;

	if (op_finish(&o->r)) {
		if (op->result < 0)
			fail(c, o->r.id, op->result, "put");
		else
			reply_ok(c, o->r.id);
	}
	if (op->result >= 0) {
		srv->stats.puts++;
		srv->stats.put_items += op->u.put.n;
		for (i = 0; i < op->u.put.n; i++)
			if ((n = htab_find(srv->devices, o->items[i].to)) != NULL)
				conn_offer((struct conn *)((char *)n - offsetof(struct conn, dnode)),
				    o->items[i].seq, c->dev, op->u.put.ts, o->items[i].env, o->items[i].len);
	}
	conn_unref(c);
	free(o);
}

static void
h_put(struct conn *c, const struct msg *m)
{
	const struct relaycfg *cfg = &c->srv->cfg;
	const msgpack_object *items;
	size_t n, i, total = 0;
	struct put_op *o;
	uint8_t *p;
	int r;

	if ((r = msg_get_array(msg_root(m), "items", cfg->batch_max, &items, &n)) < 0) {
		fail(c, msg_id(m), r, "put");
		return;
	}
	if (n == 0) {
		fail(c, msg_id(m), ATT_ERANGE, "put");
		return;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *to, *env;
		size_t len;

		if ((r = msg_get_bin_exact(&items[i], "to", 32, &to)) < 0 ||
		    (r = msg_get_bin(&items[i], "env", cfg->envelope_max, &env, &len)) < 0) {
			fail(c, msg_id(m), r, "put");
			return;
		}
		total += len;
	}
	if (!dev_take(c, c->dev, DEV_PUT, (double)n)) {
		fail_code(c, msg_id(m), REASON_rate_limited, "rate-limited", "put");
		return;
	}
	if ((o = calloc(1, sizeof *o + n * sizeof o->items[0] + total)) == NULL)
		return;
	p = (uint8_t *)&o->items[n];
	for (i = 0; i < n; i++) {
		const uint8_t *to, *env;

		msg_get_bin_exact(&items[i], "to", 32, &to);
		msg_get_bin(&items[i], "env", cfg->envelope_max, &env, &o->items[i].len);
		memcpy(o->items[i].to, to, 32);
		memcpy(p, env, o->items[i].len);
		o->items[i].env = p;
		p += o->items[i].len;
	}
	op_init(c, &o->r, msg_id(m), "put", STORAGE_PUT, put_done);
	o->r.op.u.put.items = o->items;
	o->r.op.u.put.n = n;
	o->r.op.u.put.ts = server_time();
	o->r.op.u.put.q.envelopes = cfg->mailbox_envelopes;
	o->r.op.u.put.q.bytes = cfg->mailbox_bytes;
	o->r.op.savepoint = n > 1;
	op_submit(&o->r);
}

/* ---- ack ---- */

struct ack_op {
	struct req_op r;
	size_t n;
	uint64_t seq[];
};

static void
ack_done(struct storage_op *op)
{
	struct ack_op *o = (struct ack_op *)op;
	struct conn *c = o->r.c;

	if (op_finish(&o->r)) {
		if (op->result < 0)
			fail(c, o->r.id, op->result, "ack");
		else
			reply_ok(c, o->r.id);
	}
	if (op->result >= 0)
		c->srv->stats.acks += o->n;
	conn_unref(c);
	free(o);
}

static void
h_ack(struct conn *c, const struct msg *m)
{
	const msgpack_object *items;
	size_t n, i, j;
	struct ack_op *o;
	int r;

	if ((r = msg_get_array(msg_root(m), "seq", ACKS_PER_REQUEST, &items, &n)) < 0) {
		fail(c, msg_id(m), r, "ack");
		return;
	}
	if ((o = calloc(1, sizeof *o + n * sizeof o->seq[0])) == NULL)
		return;
	for (i = 0; i < n; i++)
		if ((r = msg_obj_uint(&items[i], INT64_MAX, &o->seq[i])) < 0) {
			free(o);
			fail(c, msg_id(m), r, "ack");
			return;
		}
	o->n = n;
	/* The window opens now; the rows go with the next commit. */
	for (i = 0; i < n; i++)
		for (j = 0; j < c->n_inflight; j++)
			if (c->inflight[j] == o->seq[i]) {
				c->inflight[j] = c->inflight[--c->n_inflight];
				break;
			}
	op_init(c, &o->r, msg_id(m), "ack", STORAGE_ACK, ack_done);
	o->r.op.u.ack.seq = o->seq;
	o->r.op.u.ack.n = n;
	o->r.op.savepoint = 0;
	op_submit(&o->r);
	conn_pump(c);
}

/* ---- prekeys ---- */

struct pk_op {
	struct req_op r;
	uint8_t data[];
};

static void
simple_done(struct storage_op *op)
{
	struct req_op *o = (struct req_op *)op;
	struct conn *c = o->c;

	if (op_finish(o)) {
		if (op->result < 0)
			fail(c, o->id, op->result, o->t);
		else
			reply_ok(c, o->id);
	}
	conn_unref(c);
	free(o);
}

static void
h_prekeys(struct conn *c, const struct msg *m)
{
	const msgpack_object *root = msg_root(m), *items = NULL;
	const uint8_t *spk = NULL, *b;
	size_t spk_len = 0, n = 0, i, total = 0, len;
	struct pk_op *o;
	const uint8_t **otk;
	size_t *otk_len;
	uint8_t *p;
	int r;

	if (msg_has(root, "spk") &&
	    (r = msg_get_bin(root, "spk", SPK_MAX, &spk, &spk_len)) < 0)
		goto bad;
	if (msg_has(root, "otks") &&
	    (r = msg_get_array(root, "otks", OTKS_PER_REQUEST, &items, &n)) < 0)
		goto bad;
	for (i = 0; i < n; i++) {
		if ((r = msg_obj_bin(&items[i], OTK_MAX, &b, &len)) < 0)
			goto bad;
		total += len;
	}
	if ((o = calloc(1, sizeof *o + spk_len + total + n * (sizeof(uint8_t *) + sizeof(size_t)))) == NULL)
		return;
	op_init(c, &o->r, msg_id(m), "prekeys", STORAGE_PREKEYS, simple_done);
	otk = (const uint8_t **)(void *)o->data;
	otk_len = (size_t *)(otk + n);
	p = (uint8_t *)(otk_len + n);
	if (spk != NULL) {
		memcpy(p, spk, spk_len);
		o->r.op.u.pk.spk = p;
		o->r.op.u.pk.spk_len = spk_len;
		p += spk_len;
	}
	for (i = 0; i < n; i++) {
		msg_obj_bin(&items[i], OTK_MAX, &b, &len);
		memcpy(p, b, len);
		otk[i] = p;
		otk_len[i] = len;
		p += len;
	}
	o->r.op.u.pk.otk = otk;
	o->r.op.u.pk.otk_len = otk_len;
	o->r.op.u.pk.n = n;
	o->r.op.u.pk.otk_max = c->srv->cfg.otk_max;
	op_submit(&o->r);
	return;
bad:
	fail(c, msg_id(m), r, "prekeys");
}

struct pkget_op {
	struct req_op r;
	uint8_t spk[SPK_MAX], otk[OTK_MAX];
};

static void
pkget_done(struct storage_op *op)
{
	struct pkget_op *o = (struct pkget_op *)op;
	struct conn *c = o->r.c;
	struct msg_out m;

	if (op_finish(&o->r)) {
		if (op->result < 0)
			fail(c, o->r.id, op->result, "prekey_get");
		else {
			msg_out_init(&m);
			msg_out_begin(&m, "prekey_bundle", o->r.id, 2);
			msg_out_bin(&m, "spk", o->spk, op->u.pkget.spk_len);
			if (op->u.pkget.otk_len > 0)
				msg_out_bin(&m, "otk", o->otk, op->u.pkget.otk_len);
			else
				msg_out_nil(&m, "otk");
			conn_send(c, &m);
			msg_out_free(&m);
		}
	}
	conn_unref(c);
	free(o);
}

static void
h_prekey_get(struct conn *c, const struct msg *m)
{
	const uint8_t *dev;
	struct pkget_op *o;
	int r = msg_get_bin_exact(msg_root(m), "dev", 32, &dev);

	if (r < 0) {
		fail(c, msg_id(m), r, "prekey_get");
		return;
	}
	if (!dev_take(c, c->dev, DEV_PK_REQ, 1) || !dev_take(c, dev, DEV_PK_TGT, 1)) {
		fail_code(c, msg_id(m), REASON_rate_limited, "rate-limited", "prekey_get");
		return;
	}
	if ((o = calloc(1, sizeof *o)) == NULL)
		return;
	op_init(c, &o->r, msg_id(m), "prekey_get", STORAGE_PREKEY_GET, pkget_done);
	memcpy(o->r.op.dev, dev, 32);
	o->r.op.u.pkget.spk = o->spk;
	o->r.op.u.pkget.spk_cap = sizeof o->spk;
	o->r.op.u.pkget.otk = o->otk;
	o->r.op.u.pkget.otk_cap = sizeof o->otk;
	op_submit(&o->r);
}

/* A read: answered when the store answers (at once for SQLite). */
struct read_ctx {
	struct conn *c;
	uint64_t id;
};

static void
pkcount_cb(void *arg, int n)
{
	struct read_ctx *x = arg;
	struct conn *c = x->c;
	struct msg_out o;

	if (c->state == CONN_READY) {
		if (n < 0)
			fail(c, x->id, n, "prekey_count");
		else {
			msg_out_init(&o);
			msg_out_begin(&o, "prekey_count", x->id, 1);
			msg_out_uint(&o, "n", (uint64_t)n);
			conn_send(c, &o);
			msg_out_free(&o);
		}
	}
	conn_unref(c);
	free(x);
}

static void
h_prekey_count(struct conn *c, const struct msg *m)
{
	struct read_ctx *x = malloc(sizeof *x);

	if (x == NULL)
		return;
	x->c = c;
	x->id = msg_id(m);
	conn_ref(c);
	storage_prekey_count(c->srv->store, c->dev, pkcount_cb, x);
}

/* ---- nameplates ---- */

void
request_np_push(void *ctx, void *side, enum np_push what, uint32_t np, const uint8_t *data,
    size_t len)
{
	struct conn *c = side;
	struct msg_out m;

	(void)ctx;
	msg_out_init(&m);
	if (what == NP_MSG) {
		msg_out_begin(&m, "np_msg", 0, 2);
		msg_out_uint(&m, "np", np);
		msg_out_bin(&m, "data", data, len);
	} else {
		msg_out_begin(&m, "np_closed", 0, 1);
		msg_out_uint(&m, "np", np);
	}
	conn_send(c, &m);
	msg_out_free(&m);
}

static int
np_rate(struct conn *c, const struct msg *m)
{
	const struct relaycfg *cfg = &c->srv->cfg;

	if (c->src != NULL && !limit_take(&c->src->np, cfg->nameplate_rate, cfg->nameplate_burst,
	    server_now(c->srv), 1)) {
		fail_code(c, msg_id(m), REASON_rate_limited, "rate-limited", msg_type(m));
		return 0;
	}
	/* One address (one /64) never holds more than a few: the space stays open to others. */
	if (c->src != NULL && nameplate_held(c->srv->nps, c->src) >= cfg->nameplates_per_address) {
		fail_code(c, msg_id(m), REASON_rate_limited, "rate-limited", msg_type(m));
		return 0;
	}
	return 1;
}

static void
h_np_alloc(struct conn *c, const struct msg *m)
{
	struct msg_out o;
	uint32_t np;
	uint64_t expires;
	int r;

	if (!np_rate(c, m))
		return;
	if ((r = nameplate_alloc(c->srv->nps, c, c->src, server_time(), &np, &expires)) < 0) {
		fail(c, msg_id(m), r, "np_alloc");
		return;
	}
	c->has_np = 1;
	c->srv->stats.nameplates++;
	log_event(&c->srv->log, "np_alloc", "conn=%" PRIu64, c->id);
	msg_out_init(&o);
	msg_out_begin(&o, "nameplate", msg_id(m), 2);
	msg_out_uint(&o, "np", np);
	msg_out_uint(&o, "expires", expires);
	conn_send(c, &o);
	msg_out_free(&o);
}

static void
h_np(struct conn *c, const struct msg *m)
{
	const msgpack_object *root = msg_root(m);
	const char *t = msg_type(m);
	uint64_t np;
	const uint8_t *data;
	size_t len;
	int r;

	if ((r = msg_get_uint(root, "np", UINT32_MAX, &np)) < 0) {
		fail(c, msg_id(m), r, t);
		return;
	}
	if (strcmp(t, "np_claim") == 0) {
		if (!np_rate(c, m))
			return;
		r = nameplate_claim(c->srv->nps, c, c->src, (uint32_t)np, server_time());
		if (r == 0) {
			c->has_np = 1;
			log_event(&c->srv->log, "np_claim", "conn=%" PRIu64, c->id);
		}
	} else if (strcmp(t, "np_send") == 0) {
		if ((r = msg_get_bin(root, "data", c->srv->cfg.nameplate_data_max, &data, &len)) == 0)
			r = nameplate_send(c->srv->nps, c, (uint32_t)np, data, len);
	} else
		r = nameplate_close(c->srv->nps, c, (uint32_t)np);
	if (r < 0)
		fail(c, msg_id(m), r, t);
	else
		reply_ok(c, msg_id(m));
}

/* ---- the table ---- */

enum who { ANYONE, REGISTERED };

static const struct handler {
	const char *t;
	enum who who;
	int writes;               /* submits a commit op: counts against pending */
	void (*fn)(struct conn *, const struct msg *);
} handlers[] = {
	{ "ping", ANYONE, 0, h_ping },
	{ "register", ANYONE, 1, h_register },
	{ "invite", REGISTERED, 1, h_invite },
	{ "put", REGISTERED, 1, h_put },
	{ "sync", REGISTERED, 0, h_sync },
	{ "ack", REGISTERED, 1, h_ack },
	{ "prekeys", REGISTERED, 1, h_prekeys },
	{ "prekey_get", REGISTERED, 1, h_prekey_get },
	{ "prekey_count", REGISTERED, 0, h_prekey_count },
	{ "np_alloc", ANYONE, 0, h_np_alloc },
	{ "np_claim", ANYONE, 0, h_np },
	{ "np_send", ANYONE, 0, h_np },
	{ "np_close", ANYONE, 0, h_np },
};

void
request_handle(struct conn *c, const uint8_t *plain, size_t len)
{
	struct msg *m = NULL;
	uint64_t id = 0;
	size_t i;
	int r = msg_parse(plain, len, &relay_limits, &m, &id);

	if (r < 0) {
		fail(c, id, r, "?");
		return;
	}
	for (i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (msg_is_type(m, handlers[i].t))
			break;
	if (i == sizeof handlers / sizeof handlers[0])
		fail_code(c, msg_id(m), REASON_unknown_type, "unknown-type", "?");
	else if (handlers[i].who == REGISTERED && !c->registered)
		fail_code(c, msg_id(m), REASON_not_registered, "not-registered", handlers[i].t);
	else if (handlers[i].writes && c->pending >= 2 * c->srv->cfg.pending_requests)
		fail_code(c, msg_id(m), REASON_busy, "busy", handlers[i].t);
	else
		handlers[i].fn(c, m);
	msg_free(m);
}
