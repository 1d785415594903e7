/*
 * Write requests: checkin, bid, respond, retract. Each handler runs with
 * d->keys and d->store present (the dispatcher checks needs_init).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/api.h"
#include "daemon/call.h"
#include "daemon/cmd_write.h"
#include "daemon/ctx.h"
#include "daemon/history.h"
#include "daemon/keys.h"
#include "daemon/outbox.h"
#include "daemon/store.h"
#include "daemon/view.h"
#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"

/*
 * A partner by name: the exact name, else the one partner whose name
 * matches ignoring case ("sam" is Sam), so every client matches names the
 * same way. ATT_ENOTFOUND when none or several match.
 */
static int
partner_named(struct store *st, const char *name, struct store_partner *out)
{
	struct store_partner *ps;
	size_t n, i, found = 0;

	if (store_partner_by_name(st, name, out) == 0)
		return 0;
	if (store_partner_list(st, &ps, &n) != 0)
		return ATT_EIO;
	for (i = 0; i < n; i++)
		if (strcasecmp(ps[i].name, name) == 0 && found++ == 0)
			*out = ps[i];
	free(ps);
	return found == 1 ? 0 : ATT_ENOTFOUND;
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
		return call_fail_field(k, r, field);
	*given = 1;
	*nto = 0;
	for (i = 0; i < n; i++) {
		struct store_partner p;
		char name[STORE_NAME_MAX + 1];
		const char *s;
		size_t len;

		r = msg_obj_str(&items[i], STORE_NAME_MAX, &s, &len);
		if (r != 0)
			return call_fail_field(k, r, field);
		memcpy(name, s, len);
		name[len] = '\0';
		if (partner_named(k->d->store, name, &p) != 0)
			return call_fail(k, "unknown-partner", "no partner is called \"%s\": see attune partners", name);
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
		return call_fail(k, "io-error", "cannot read the partner list");
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
		return call_fail(k, "out-of-range", "at most %d %s", EVENT_WORDS_MAX, field);
	if (r != 0)
		return call_fail_field(k, r, field);
	for (i = 0; i < n; i++) {
		const char *s;
		size_t len;

		r = msg_obj_str(&items[i], EVENT_WORD_MAX, &s, &len);
		if (r == ATT_ESTRLONG)
			return call_fail(k, "out-of-range", "each of %s is at most %d bytes", field, EVENT_WORD_MAX);
		if (r != 0)
			return call_fail_field(k, r, field);
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
		return call_fail(k, "out-of-range", "the note is longer than %d characters", EVENT_NOTE_CHARS);
	return r != 0 ? call_fail_field(k, r, "note") : 0;
}

static int
get_opt_ts(struct call *k, const char *field, uint64_t *v)
{
	int r = msg_get_uint(k->m, field, UINT64_C(1) << 40, v);

	if (r == ATT_EMISSING) {
		*v = 0;
		return 0;
	}
	return r != 0 ? call_fail_field(k, r, field) : 0;
}

/* Required small number in [lo, hi]. */
static int
get_range(struct call *k, const char *field, int lo, int hi, int *v)
{
	uint64_t u;
	int r = msg_get_uint(k->m, field, 1000, &u);

	if (r == ATT_EMISSING)
		return call_fail(k, "missing-key", "%s is required (%d to %d)", field, lo, hi);
	if (r == ATT_ERANGE || (r == 0 && ((int)u < lo || (int)u > hi)))
		return call_fail(k, "out-of-range", "%s must be %d to %d", field, lo, hi);
	if (r != 0)
		return call_fail_field(k, r, field);
	*v = (int)u;
	return 0;
}

/* An optional level in [lo, hi]: absent or nil is -1 ("rather not say"). */
static int
get_level(struct call *k, const char *field, int lo, int hi, int *v)
{
	uint64_t u;

	if (msg_get_uint(k->m, field, 1000, &u) == ATT_EMISSING) {
		*v = -1;
		return 0;
	}
	return get_range(k, field, lo, hi, v);
}

static int
get_event_id(struct call *k, const char *field, uint8_t id[EVENT_ID_LEN])
{
	const char *s;
	size_t len;
	int r = msg_get_str(k->m, field, 64, &s, &len);

	if (r != 0)
		return call_fail_field(k, r, field);
	if (event_id_parse(id, s, len) != 0)
		return call_fail(k, "not-found", "no event has the id \"%.*s\"", (int)(len > 40 ? 40 : len), s);
	return 0;
}

/* The next 04:00 local time after now (the day's end for a check-in). */
static uint64_t
next_morning(uint64_t now)
{
	return view_next_morning(now);
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
	if (r == 0)
		history_update(d->store, ev->ts);   /* a summary: status catches up if this fails */
	if (r == 0 && d->sync != NULL)
		r = outbox_send_event(d->sync, ev, &queued);
	if (r != 0) {
		store_rollback(d->store);
		return call_fail(k, "io-error", "could not store or queue the %s (%s)",
		    event_kind_name(ev->kind), att_strerror(r));
	}
	if (store_commit(d->store) != 0)
		return call_fail(k, "io-error", "could not store the %s", event_kind_name(ev->kind));
	event_id_hex(ev->id, hex);
	msg_out_begin(k->out, "ok", k->id, 2);
	msg_out_str(k->out, "event_id", hex);
	msg_out_uint(k->out, "queued", queued);
	k->queued = queued;
	api_event_arrived(d, ev);
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
		return call_fail_field(k, r, "only");
	for (i = 0; i < only->via.map.size; i++) {
		const msgpack_object_kv *kv = &only->via.map.ptr[i];
		const msgpack_object *items;
		int f;

		if (kv->key.type != MSGPACK_OBJECT_STR)
			return call_fail(k, "wrong-type", "only: keys must be field names");
		f = event_field_parse(kv->key.via.str.ptr, kv->key.via.str.size);
		if (f < 0)
			return call_fail(k, "out-of-range", "only: \"%.*s\" is not a field that can be scoped "
			    "(mood, desire, capacity, tags, open_to, responsive, note)",
			    (int)(kv->key.via.str.size > 32 ? 32 : kv->key.via.str.size), kv->key.via.str.ptr);
		if (kv->val.type != MSGPACK_OBJECT_ARRAY || kv->val.via.array.size > EVENT_AUDIENCE_MAX)
			return call_fail(k, "wrong-type", "only: each field takes a list of partner names");
		items = kv->val.via.array.ptr;
		for (j = 0; j < kv->val.via.array.size; j++) {
			struct store_partner p;
			char name[STORE_NAME_MAX + 1];
			const char *s;
			size_t len, t;

			r = msg_obj_str(&items[j], STORE_NAME_MAX, &s, &len);
			if (r != 0)
				return call_fail_field(k, r, "only");
			memcpy(name, s, len);
			name[len] = '\0';
			if (partner_named(k->d->store, name, &p) != 0)
				return call_fail(k, "unknown-partner", "no partner is called \"%s\": see attune partners", name);
			for (t = 0; t < ev->nto; t++)
				if (memcmp(ev->to[t], p.person, 32) == 0)
					break;
			if (t == ev->nto)
				return call_fail(k, "not-allowed", "%s is not in this check-in's audience", name);
			ev->only[f] |= UINT32_C(1) << t;
		}
		if (kv->val.via.array.size == 0)
			return call_fail(k, "out-of-range", "only: %s needs at least one name", event_field_name((enum event_field)f));
	}
	return 0;
}

int
cmd_write_checkin(struct call *k)
{
	struct event ev;
	char why[160];
	int given, r, b;

	event_init(&ev, EVENT_CHECKIN);
	event_new_id(&ev);
	/* Each level may be left out ("rather not say"), but not all three. */
	if (get_level(k, "mood", 1, 5, &ev.mood) != 0 ||
	    get_level(k, "desire", 0, 5, &ev.desire) != 0 ||
	    get_level(k, "capacity", 0, 5, &ev.capacity) != 0)
		return -1;
	if (ev.mood < 0 && ev.desire < 0 && ev.capacity < 0)
		return call_fail(k, "missing-key", "say at least one of mood, desire and capacity "
		    "(each may be left out: rather not say)");
	if (
	    get_words(k, "tags", &ev.tags) != 0 ||
	    get_words(k, "open_to", &ev.open_to) != 0 ||
	    get_note(k, &ev) != 0 ||
	    get_opt_ts(k, "valid_until", &ev.valid_until) != 0)
		return -1;
	r = msg_get_bool(k->m, "responsive", &b);
	if (r == 0)
		ev.responsive = b;
	else if (r != ATT_EMISSING)
		return call_fail_field(k, r, "responsive");
	if (ev.valid_until == 0)
		ev.valid_until = next_morning(ev.ts);
	else if (ev.valid_until <= ev.ts)
		return call_fail(k, "out-of-range", "valid_until is in the past");
	if (get_audience(k, "to", k->m, ev.to, &ev.nto, &given) != 0)
		return -1;
	if (!given && all_partners(k, ev.to, &ev.nto) != 0)
		return -1;
	if (get_only(k, &ev) != 0)
		return -1;
	if (event_validate(&ev, why, sizeof(why)) != 0)
		return call_fail(k, "out-of-range", "%s", why);
	return commit_own_event(k, &ev);
}

static int
is_partner(void *arg, const uint8_t person[32])
{
	struct store_partner p;

	return store_partner_get(arg, person, &p) == 0;
}

/* "Sat 20:00"-style local time for a sentence. */
static void
local_when(char *buf, size_t cap, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%a %H:%M", &tm) == 0)
		snprintf(buf, cap, "later");
}

static int
has_key(const struct event *ev, const uint8_t person[32])
{
	for (size_t i = 0; i < ev->nto; i++)
		if (memcmp(ev->to[i], person, 32) == 0)
			return 1;
	return 0;
}

/*
 * No pressure: one live bid per partner at a time (a bid of ours they have
 * not answered, still open), and after their "not tonight" no new bid to
 * them until their rain check or config.bid_pause after the answer.
 */
static int
bid_allowed(struct call *k, const struct event *nb)
{
	struct daemon *d = k->d;
	struct view v = { 0 };
	struct call_namer nm = { .d = d };
	uint64_t now = nb->ts;
	size_t i, t;
	int r = 0;

	/* Our bids of the window and their answers, by index: not the whole window. */
	if (history_author_view(d->store, keys_person_pk(d->keys), EVENT_BID,
	    now > VIEW_WINDOW ? now - VIEW_WINDOW : 0, &v) != 0) {
		view_free(&v);
		return call_fail(k, "io-error", "cannot read the history");
	}
	for (t = 0; t < nb->nto && r == 0; t++) {
		const uint8_t *who = nb->to[t];
		const char *name = call_namer_fn(&nm, who);
		uint64_t pause_until = 0;
		char hex[EVENT_ID_HEX + 1], when[32];

		for (i = 0; i < v.n && r == 0; i++) {
			const struct event *b = &v.ev[i], *ans;

			if (b->kind != EVENT_BID || !b->mine || !has_key(b, who) || view_retracted(&v, b))
				continue;
			ans = view_standing_answer(&v, b->id, who);
			if (ans == NULL && view_bid_closes(b) > now) {
				event_id_hex(b->id, hex);
				r = call_fail(k, "bid-open", "your bid to %s [%.8s] is still open: one at a time; "
				    "wait for the answer, or take it back with `attune retract %.8s`",
				    name != NULL ? name : "them", hex, hex);
			} else if (ans != NULL && ans->answer == ANSWER_NOT_TONIGHT) {
				uint64_t until = ans->raincheck != 0 ? ans->raincheck :
				    (d->config.bid_pause != 0 ? ans->ts + d->config.bid_pause : 0);

				if (until > pause_until)
					pause_until = until;
			}
		}
		if (r == 0 && pause_until > now) {
			local_when(when, sizeof(when), pause_until);
			r = call_fail(k, "bid-paused", "%s said not tonight: no new bid to them until %s "
			    "(%s)", name != NULL ? name : "they", when,
			    "their rain check, or a pause after a no; a bid is an invitation, not a request");
		}
	}
	view_free(&v);
	return r;
}

int
cmd_write_bid(struct call *k)
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
		return call_fail(k, "out-of-range", "the kind is at most %d bytes", EVENT_WORD_MAX);
	else if (r != 0)
		return call_fail_field(k, r, "kind");
	if (get_note(k, &ev) != 0 || get_opt_ts(k, "from_ts", &ev.from_ts) != 0 ||
	    get_opt_ts(k, "until_ts", &ev.until_ts) != 0)
		return -1;
	if (get_audience(k, "to", k->m, ev.to, &ev.nto, &given) != 0)
		return -1;
	/* No broadcast by default: a bid names its people (an empty list names nobody). */
	if (!given && all_partners(k, ev.to, &ev.nto) != 0)
		return -1;
	if (ev.nto == 0 && !given)
		return call_fail(k, "no-partner", "you have no partner yet: pair with `attune pair`");
	if (!given)
		return call_fail(k, "missing-key", "a bid names who it is for: to = [partner names]");
	if (ev.nto == 0)
		return call_fail(k, "out-of-range", "to names nobody: give at least one partner");
	if (ev.from_ts != 0 && ev.until_ts == 0 && view_next_morning(ev.from_ts) <= ev.ts)
		return call_fail(k, "out-of-range", "that window has already ended");
	if (event_validate(&ev, why, sizeof(why)) != 0)
		return call_fail(k, "out-of-range", "%s", why);
	if (bid_allowed(k, &ev) != 0)
		return -1;
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
find_checkin_fn(void *arg, const struct event *ev, int64_t seq)
{
	struct find_checkin *f = arg;
	size_t i;

	(void)seq;
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

/*
 * A bid can be answered while it is open: not when its author took it back,
 * its window ended, or its author is no partner any more. *replaces: we
 * answered it before (the new answer replaces that one).
 */
static int
respond_allowed(struct call *k, const struct event *bid, int64_t seq, int *replaces)
{
	struct daemon *d = k->d;
	struct view v = { 0 };
	uint64_t now = call_now();
	const char *st;
	char when[32];
	int r = 0;

	/* The bid and its answers and retraction, by index. */
	if (history_relations(d->store, bid, seq, bid->ts > 60 ? bid->ts - 60 : 0, &v) != 0) {
		view_free(&v);
		return call_fail(k, "io-error", "cannot read the history");
	}
	*replaces = view_standing_answer(&v, bid->id, keys_person_pk(d->keys)) != NULL;
	st = view_bid_state_at(&v, bid, now, is_partner, d->store);
	if (strcmp(st, "retracted") == 0) {
		r = call_fail(k, "bid-retracted", "that bid was taken back: there is nothing to answer");
	} else if (view_bid_closes(bid) <= now) {
		local_when(when, sizeof(when), view_bid_closes(bid));
		r = call_fail(k, "bid-closed", "that bid closed %s (its window ended): there is nothing "
		    "to answer", when);
	} else if (strcmp(st, "closed") == 0) {
		r = call_fail(k, "bid-closed", "that bid is closed: its author is no partner of yours "
		    "any more");
	}
	view_free(&v);
	return r;
}

int
cmd_write_respond(struct call *k)
{
	struct event ev, bid;
	struct find_checkin *f;
	const char *s;
	size_t len;
	char why[160];
	int64_t seq = 0;
	int r, replaces = 0;

	event_init(&ev, EVENT_RESPONSE);
	event_new_id(&ev);
	if (get_event_id(k, "bid", ev.ref) != 0)
		return -1;
	r = store_event_find(k->d->store, ev.ref, 0, &bid, &seq);
	if (r == ATT_ENOTFOUND || (r == 0 && bid.kind != EVENT_BID))
		return call_fail(k, "not-found", "no bid has that id: see attune status");
	if (r != 0)
		return call_fail(k, "io-error", "cannot read the bid");
	if (bid.mine)
		return call_fail(k, "not-allowed", "that is your own bid");
	if (respond_allowed(k, &bid, seq, &replaces) != 0)
		return -1;
	r = msg_get_str(k->m, "answer", 16, &s, &len);
	if (r != 0)
		return call_fail_field(k, r, "answer");
	r = event_answer_parse(s, len);
	if (r < 0)
		return call_fail(k, "out-of-range", "answer must be yes, not-tonight or later");
	ev.answer = (enum event_answer)r;
	if (get_words(k, "reason", &ev.reason) != 0 || get_words(k, "offer", &ev.offer) != 0 ||
	    get_opt_ts(k, "raincheck", &ev.raincheck) != 0 || get_note(k, &ev) != 0)
		return -1;
	memcpy(ev.to[0], bid.author, 32);
	ev.nto = 1;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return call_fail(k, "no-memory", "out of memory");
	f->person = bid.author;
	f->now = ev.ts;
	/* Our own events only, newest first, by index. */
	store_event_by_author(k->d->store, keys_person_pk(k->d->keys),
	    ev.ts > VIEW_WINDOW ? ev.ts - VIEW_WINDOW : 0, find_checkin_fn, f);
	if (f->found) {
		ev.has_checkin = 1;
		memcpy(ev.checkin, f->id, EVENT_ID_LEN);
	}
	free(f);
	if (event_validate(&ev, why, sizeof(why)) != 0)
		return call_fail(k, "out-of-range", "%s", why);
	if (commit_own_event(k, &ev) != 0)
		return -1;
	/* One answer per bid: this one replaces ours before it (the reply says so). */
	msg_out_reset(k->out);
	msg_out_begin(k->out, "ok", k->id, 3);
	event_id_hex(ev.id, why);
	msg_out_str(k->out, "event_id", why);
	msg_out_uint(k->out, "queued", k->queued);
	msg_out_bool(k->out, "replaced", replaces);
	return 0;
}

struct find_retract {
	const uint8_t *ref;
	int found;
};

static int
find_retract_fn(void *arg, const struct event *ev, int64_t seq)
{
	struct find_retract *f = arg;

	(void)seq;
	if (ev->kind == EVENT_RETRACT && ev->mine && memcmp(ev->ref, f->ref, EVENT_ID_LEN) == 0) {
		f->found = 1;
		return 1;
	}
	return 0;
}

static int
retracted_already(struct daemon *d, const struct event *orig)
{
	struct find_retract f = { .ref = orig->id };

	/* What refers to orig, by index. */
	store_event_refs(d->store, orig->id, orig->ts > 60 ? orig->ts - 60 : 0, find_retract_fn, &f);
	return f.found;
}

int
cmd_write_retract(struct call *k)
{
	struct event ev, orig;
	int r;

	event_init(&ev, EVENT_RETRACT);
	event_new_id(&ev);
	if (get_event_id(k, "ref", ev.ref) != 0)
		return -1;
	r = store_event_get(k->d->store, ev.ref, &orig);
	if (r == ATT_ENOTFOUND)
		return call_fail(k, "not-found", "no check-in or bid has that id");
	if (r != 0)
		return call_fail(k, "io-error", "cannot read the event");
	if (!orig.mine || (orig.kind != EVENT_CHECKIN && orig.kind != EVENT_BID))
		return call_fail(k, "not-allowed", "only your own check-ins and bids can be retracted");
	if (retracted_already(k->d, &orig))
		return call_fail(k, "already-retracted", "that %s was already taken back",
		    orig.kind == EVENT_BID ? "bid" : "check-in");
	ev.nto = orig.nto;
	memcpy(ev.to, orig.to, sizeof(ev.to));
	return commit_own_event(k, &ev);
}

