/*
 * Read requests: what a person sees of the history (status, log, export),
 * of partners and of their own devices. Replies are one frame each; long
 * histories come in pages (pack_event_page).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/call.h"
#include "daemon/cmd_read.h"
#include "daemon/ctx.h"
#include "daemon/devlist.h"
#include "daemon/history.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "daemon/sync.h"
#include "daemon/view.h"
#include "proto/err.h"
#include "proto/event.h"
#include "proto/frame.h"
#include "proto/msg.h"

static int
is_partner(void *arg, const uint8_t person[32])
{
	struct store_partner p;

	return store_partner_get(arg, person, &p) == 0;
}

/*
 * An event object plus what the view knows: a bid's state ("closed" once
 * its window ended or its people are no partners any more), a response's
 * check-in, and whether a later answer replaced it.
 */
static void
pack_event(struct call *k, msgpack_packer *pk, const struct view *v, const struct event *ev)
{
	struct call_namer nm = { .d = k->d };
	const struct event *ci = NULL;
	int replaced, changed;

	if (ev->kind == EVENT_BID) {
		event_pack_api(pk, ev, call_namer_fn, &nm, 1);
		msg_pack_str(pk, "state");
		msg_pack_str(pk, view_bid_state_at(v, ev, call_now(), is_partner, k->d->store));
		return;
	}
	if (ev->kind == EVENT_CHECKIN && view_retracted(v, ev)) {
		/* Kept in the history, marked: out of status and trends on every device. */
		event_pack_api(pk, ev, call_namer_fn, &nm, 1);
		msg_pack_str(pk, "retracted");
		msgpack_pack_true(pk);
		return;
	}
	if (ev->kind != EVENT_RESPONSE) {
		event_pack_api(pk, ev, call_namer_fn, &nm, 0);
		return;
	}
	if (ev->has_checkin)
		ci = view_find(v, ev->checkin);
	replaced = !view_answer_stands(v, ev);
	changed = !replaced && view_answers_by(v, ev->ref, ev->author) > 1;
	event_pack_api(pk, ev, call_namer_fn, &nm, (ci != NULL) + replaced + changed);
	if (ci != NULL) {
		msg_pack_str(pk, "checkin");
		event_pack_api(pk, ci, call_namer_fn, &nm, 0);
	}
	if (replaced) {
		msg_pack_str(pk, "replaced");
		msgpack_pack_true(pk);
	}
	if (changed) {
		msg_pack_str(pk, "changed");
		msgpack_pack_true(pk);
	}
}

/* A bid still in play: not taken back, its window not ended, its people still partners. */
static int
bid_live(struct call *k, const struct view *v, const struct event *e, uint64_t now)
{
	const char *st = view_bid_state_at(v, e, now, is_partner, k->d->store);

	return strcmp(st, "retracted") != 0 && strcmp(st, "closed") != 0 &&
	    view_bid_closes(e) > now;
}

/* A rain check in status: from the standing answer to a bid not taken back, up to a day past. */
static int
raincheck_shown(const struct view *v, const struct event *e, uint64_t now)
{
	const struct event *bid;

	if (e->kind != EVENT_RESPONSE || e->raincheck == 0 || e->raincheck + 86400 < now ||
	    !view_answer_stands(v, e))
		return 0;
	bid = view_find(v, e->ref);
	return bid == NULL || !view_retracted(v, bid);
}

static int
by_raincheck(const void *a, const void *b)
{
	const struct event *x = *(const struct event *const *)a, *y = *(const struct event *const *)b;

	return x->raincheck < y->raincheck ? -1 : x->raincheck > y->raincheck;
}

int
cmd_read_status(struct call *k)
{
	struct daemon *d = k->d;
	struct view v = { 0 };
	struct store_partner *ps = NULL;
	msgpack_packer *pk = &k->out->pk;
	uint64_t now = call_now(), outbox = 0, undec = 0;
	char dev[KEYS_DEVICE_ID_LEN + 1], relay[CONFIG_RELAY_MAX], refused[40];
	const struct event *mine, **rcs;
	size_t np = 0, i, j, n;
	int connected = 0;

	if (history_status_view(d->store, now, &v) != 0 ||
	    store_partner_list(d->store, &ps, &np) != 0) {
		view_free(&v);
		return call_fail(k, "io-error", "cannot read the history");
	}
	store_outbox_count(d->store, &outbox);
	if (d->sync != NULL)
		sync_status(d->sync, &connected, &undec);
	if (store_kv_get_str(d->store, "relay", relay, sizeof(relay)) != 0)
		snprintf(relay, sizeof(relay), "%s", d->config.relay);
	keys_device_id(d->keys, dev);

	msg_out_begin(k->out, "status", k->id, 5);
	msg_out_key(k->out, "me");
	msgpack_pack_map(pk, 8);
	msg_pack_str(pk, "relay_refused");
	if (store_kv_get_str(d->store, SYNC_KV_REFUSED, refused, sizeof(refused)) == 0 && !connected)
		msg_pack_str(pk, refused);
	else
		msgpack_pack_nil(pk);
	msg_pack_str(pk, "name"); msg_pack_str(pk, d->name);
	msg_pack_str(pk, "device"); msg_pack_str(pk, dev);
	msg_pack_str(pk, "relay"); msg_pack_str(pk, relay);
	msg_pack_str(pk, "connected"); connected ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	msg_pack_str(pk, "outbox"); msgpack_pack_uint64(pk, outbox);
	msg_pack_str(pk, "undecryptable"); msgpack_pack_uint64(pk, undec);
	msg_pack_str(pk, "checkin");
	mine = view_latest_checkin(&v, keys_person_pk(d->keys), now);
	if (mine != NULL)
		pack_event(k, pk, &v, mine);
	else
		msgpack_pack_nil(pk);

	msg_out_key(k->out, "partners");
	msgpack_pack_array(pk, np);
	for (i = 0; i < np; i++) {
		const struct event *ci = view_latest_checkin(&v, ps[i].person, now);

		uint64_t spark = 0;

		/* Both sparked (docs/PROTOCOL.md 9.7): shown for 12 hours. */
		for (j = 0; j < v.n; j++)
			if (v.ev[j].kind == EVENT_SPARK_MATCH && v.ev[j].ts + VIEW_SPARK_SHOWN >= now &&
			    memcmp(v.ev[j].author, ps[i].person, 32) == 0 && v.ev[j].ts > spark)
				spark = v.ev[j].ts;
		msgpack_pack_map(pk, 4);
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
		msg_pack_str(pk, "spark_match");
		if (spark != 0)
			msgpack_pack_uint64(pk, spark);
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
			if (e->kind == EVENT_BID && e->mine == want_mine && bid_live(k, &v, e, now) &&
			    (want_mine || view_answers(&v, e->id, 1) == 0))
				n++;
		}
		msgpack_pack_array(pk, n);
		for (i = 0; i < v.n; i++) {
			const struct event *e = &v.ev[i];
			if (e->kind == EVENT_BID && e->mine == want_mine && bid_live(k, &v, e, now) &&
			    (want_mine || view_answers(&v, e->id, 1) == 0)) {
				struct call_namer nm = { .d = d };
				size_t a, na = 0;

				/* bids_from_me carry the answer that stands from each person. */
				event_pack_api(pk, e, call_namer_fn, &nm, want_mine ? 2 : 1);
				msg_pack_str(pk, "state");
				msg_pack_str(pk, view_bid_state(&v, e));
				if (!want_mine)
					continue;
				for (a = 0; a < v.n; a++)
					na += v.ev[a].kind == EVENT_RESPONSE &&
					    memcmp(v.ev[a].ref, e->id, EVENT_ID_LEN) == 0 &&
					    view_answer_stands(&v, &v.ev[a]);
				msg_pack_str(pk, "answers");
				msgpack_pack_array(pk, na);
				for (a = 0; a < v.n; a++)
					if (v.ev[a].kind == EVENT_RESPONSE &&
					    memcmp(v.ev[a].ref, e->id, EVENT_ID_LEN) == 0 &&
					    view_answer_stands(&v, &v.ev[a]))
						pack_event(k, pk, &v, &v.ev[a]);
			}
		}
	}

	/* Rain checks given or received, from a day ago on, soonest first; one per answer that stands. */
	msg_out_key(k->out, "rainchecks");
	for (n = 0, i = 0; i < v.n; i++)
		n += raincheck_shown(&v, &v.ev[i], now);
	rcs = calloc(n + 1, sizeof(*rcs));
	for (n = 0, i = 0; rcs != NULL && i < v.n; i++)
		if (raincheck_shown(&v, &v.ev[i], now))
			rcs[n++] = &v.ev[i];
	if (rcs != NULL)
		qsort(rcs, n, sizeof(*rcs), by_raincheck);
	else
		n = 0;
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++) {
		const struct event *e = rcs[i];
		struct call_namer nm = { .d = d };
		char hex[EVENT_ID_HEX + 1];
		const struct event *bid;
		const char *who;

		bid = view_find(&v, e->ref);
		event_id_hex(e->ref, hex);
		msgpack_pack_map(pk, 4);
		msg_pack_str(pk, "bid"); msg_pack_str(pk, hex);
		msg_pack_str(pk, "who");
		who = call_namer_fn(&nm, e->mine ? (bid != NULL ? bid->author : e->to[0]) : e->author);
		msg_pack_str(pk, who != NULL ? who : "?");
		msg_pack_str(pk, "at"); msgpack_pack_uint64(pk, e->raincheck);
		msg_pack_str(pk, "mine"); e->mine ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	}
	free(rcs);
	view_free(&v);
	return 0;
}

/* One page of a history: the events that fit in one reply frame. */
struct page {
	struct call *k;
	uint64_t since;
	struct view rel;        /* the event being packed and what it consults */
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t budget, last, n;
	int more, err;
};

static int
page_fn(void *arg, const struct event *ev, int64_t seq)
{
	struct page *p = arg;
	const struct event *self;

	p->err = history_relations(p->k->d->store, ev, seq, p->since, &p->rel);
	if (p->err != 0)
		return 1;
	self = view_find(&p->rel, ev->id);
	pack_event(p->k, &p->pk, &p->rel, self != NULL ? self : ev);
	if (p->sb.size > p->budget) {
		p->more = 1;
		return 1;
	}
	p->last = p->sb.size;
	p->n++;
	return 0;
}

/*
 * Writes "events" (the events with ts >= since from offset on, newest first,
 * as many as fit in one frame), "more" and "next" (the offset to ask for
 * next). A reply is one frame of at most FRAME_MAX bytes, so long
 * histories come in pages; a page reads its own events and what they
 * consult, never the history before it.
 */
static int
pack_event_page(struct call *k, uint64_t since, uint64_t offset)
{
	struct page p = { .k = k, .since = since };
	int r;

	p.budget = FRAME_MAX - 64 > msg_out_len(k->out) ? FRAME_MAX - 64 - msg_out_len(k->out) : 0;
	msgpack_sbuffer_init(&p.sb);
	msgpack_packer_init(&p.pk, &p.sb, msgpack_sbuffer_write);
	r = store_event_page(k->d->store, since, offset, page_fn, &p);
	if (r == 0)
		r = p.err;
	if (r == 0) {
		msg_out_key(k->out, "events");
		msgpack_pack_array(&k->out->pk, p.n);
		if (p.last > 0)
			k->out->pk.callback(k->out->pk.data, p.sb.data, p.last);
		msg_out_bool(k->out, "more", p.more);
		msg_out_uint(k->out, "next", offset + p.n);
	}
	if (p.sb.data != NULL)
		sodium_memzero(p.sb.data, p.sb.alloc);
	msgpack_sbuffer_destroy(&p.sb);
	view_free(&p.rel);
	return r;
}

int
cmd_read_log(struct call *k)
{
	uint64_t since = 0, offset;
	int r = msg_get_uint(k->m, "since", UINT64_C(1) << 40, &since);

	if (r != 0 && r != ATT_EMISSING)
		return call_fail_field(k, r, "since");
	if (call_get_offset(k, &offset) != 0)
		return -1;
	msg_out_begin(k->out, "log", k->id, 3);
	if (pack_event_page(k, since, offset) != 0)
		return call_fail(k, "io-error", "cannot read the history");
	return 0;
}

int
cmd_read_watch(struct call *k)
{
	k->watch = 1;
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
		msgpack_pack_map(pk, 5);
		msg_pack_str(pk, "name"); msg_pack_str(pk, ps[i].name);
		msg_pack_str(pk, "since"); msgpack_pack_uint64(pk, ps[i].added);
		/* Two contradicting device lists (devlist.h): their person key was used twice. */
		msg_pack_str(pk, "devices_disagree");
		if (devlist_forked(k->d, ps[i].person))
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		msg_pack_str(pk, "last_seen");
		if (ps[i].last_seen != 0)
			msgpack_pack_uint64(pk, ps[i].last_seen);
		else
			msgpack_pack_nil(pk);
		msg_pack_str(pk, "devices"); msgpack_pack_uint64(pk, live);
	}
}

int
cmd_read_partners(struct call *k)
{
	struct store_partner *ps;
	size_t np;

	if (store_partner_list(k->d->store, &ps, &np) != 0)
		return call_fail(k, "io-error", "cannot read the partner list");
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

int
cmd_read_devices(struct call *k)
{
	struct store_device *ds;
	size_t nd;

	if (store_device_list(k->d->store, keys_person_pk(k->d->keys), &ds, &nd) != 0)
		return call_fail(k, "io-error", "cannot read the device list");
	msg_out_begin(k->out, "devices", k->id, 1);
	msg_out_key(k->out, "devices");
	pack_devices(k, &k->out->pk, ds, nd);
	free(ds);
	return 0;
}

int
cmd_read_export(struct call *k)
{
	struct daemon *d = k->d;
	struct store_partner *ps = NULL;
	struct store_device *ds = NULL;
	msgpack_packer *pk = &k->out->pk;
	char dev[KEYS_DEVICE_ID_LEN + 1], hex[65];
	size_t np = 0, nd = 0;
	uint64_t offset;
	int r;

	if (call_get_offset(k, &offset) != 0)
		return -1;
	if (store_partner_list(d->store, &ps, &np) != 0 ||
	    store_device_list(d->store, keys_person_pk(d->keys), &ds, &nd) != 0) {
		free(ps);
		return call_fail(k, "io-error", "cannot read the store");
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
	r = pack_event_page(k, 0, offset);
	free(ps);
	free(ds);
	if (r != 0)
		return call_fail(k, "io-error", "cannot read the store");
	return 0;
}

/* Removes the files of a store (db, -wal, -shm). */
