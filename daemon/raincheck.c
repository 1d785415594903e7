/*
 * Rain checks: a reminder for the person who gave one, when it comes due.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "daemon/api.h"
#include "daemon/call.h"
#include "daemon/ctx.h"
#include "daemon/history.h"
#include "daemon/notify.h"
#include "daemon/raincheck.h"
#include "daemon/store.h"
#include "daemon/view.h"
#include "proto/event.h"
#include "proto/msg.h"

struct raincheck {
	struct daemon *d;
	uv_timer_t timer;
	int closing;
};

#define RAINCHECK_KV "raincheck_done"   /* the latest due time already announced */

struct raincheck_scan {
	uint64_t done, now, next;   /* next: earliest due time after now (0 = none) */
	struct view all;            /* our rain checks that may come due (history_raincheck_view) */
	struct view due;            /* our responses due in (done, now] */
};

/*
 * Sorts the window into due and next. A rain check is a shared plan: both
 * are reminded, the one who gave it (our answer) and the one it was given
 * to (a partner's answer to our bid). Only a rain check that still stands
 * counts: from the answer that stands (a changed answer drops the earlier
 * one's rain check) to a bid its author has not taken back.
 */
static int
raincheck_sort(struct raincheck_scan *r)
{
	size_t i;

	for (i = 0; i < r->all.n; i++) {
		const struct event *ev = &r->all.ev[i], *bid;

		if (ev->kind != EVENT_RESPONSE || ev->raincheck == 0 || ev->raincheck <= r->done)
			continue;
		if (!view_answer_stands(&r->all, ev))
			continue;
		bid = view_find(&r->all, ev->ref);
		if (bid != NULL && view_retracted(&r->all, bid))
			continue;
		if (!ev->mine && (bid == NULL || !bid->mine))
			continue;
		if (ev->raincheck <= r->now) {
			if (view_add(&r->due, ev) != 0)
				return -1;
		} else if (r->next == 0 || ev->raincheck < r->next) {
			r->next = ev->raincheck;
		}
	}
	return 0;
}

static uint64_t
raincheck_done(struct daemon *d)
{
	char buf[32];

	if (store_kv_get_str(d->store, RAINCHECK_KV, buf, sizeof(buf)) != 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

/* Pushes {"kind":"raincheck_due","id","bid","who","at",...} for each due one. */
static void
raincheck_fire(struct raincheck *rc, const struct view *due)
{
	struct daemon *d = rc->d;
	struct call_namer nm = { .d = d };
	struct msg_out out;
	uint64_t latest = 0;
	char hex[EVENT_ID_HEX + 1], bidhex[EVENT_ID_HEX + 1], buf[32];
	size_t i;

	msg_out_init(&out);
	for (i = 0; i < due->n; i++) {
		const struct event *e = &due->ev[i];
		struct event bid;
		const char *who = NULL;
		char summary[160];

		/* Given by us: who is the bid's author; given to us: who gave it. */
		if (!e->mine)
			who = call_namer_fn(&nm, e->author);
		else if (store_event_get(d->store, e->ref, &bid) == 0)
			who = call_namer_fn(&nm, bid.author);
		if (who == NULL && e->mine && e->nto > 0)
			who = call_namer_fn(&nm, e->to[0]);
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
		msg_pack_str(&out.pk, "mine"); e->mine ? msgpack_pack_true(&out.pk) : msgpack_pack_false(&out.pk);
		msg_pack_str(&out.pk, "ts"); msgpack_pack_uint64(&out.pk, e->raincheck);
		msg_pack_str(&out.pk, "bid"); msg_pack_str(&out.pk, bidhex);
		msg_pack_str(&out.pk, "who"); msg_pack_str(&out.pk, who);
		msg_pack_str(&out.pk, "at"); msgpack_pack_uint64(&out.pk, e->raincheck);
		api_push(d, &out);
		if (e->mine)
			snprintf(summary, sizeof(summary), "Your rain check with %s is due", who);
		else
			snprintf(summary, sizeof(summary), "%s's rain check for you is due", who);
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

/* One wake-up per rain check, none while there is nothing to remind of. */
void
raincheck_schedule(struct raincheck *rc)
{
	struct daemon *d = rc->d;
	struct raincheck_scan r = { 0 };
	uint64_t delay;

	if (rc->closing || !daemon_initialised(d))
		return;
	r.now = call_now();
	r.done = raincheck_done(d);
	/* Only our rain checks that may still come due and what decides them: not the history. */
	if (history_raincheck_view(d->store, r.now, r.done, &r.all) != 0 || raincheck_sort(&r) != 0) {
		view_free(&r.all);
		view_free(&r.due);
		return;
	}
	view_free(&r.all);
	if (r.due.n > 0)
		raincheck_fire(rc, &r.due);
	view_free(&r.due);
	uv_timer_stop(&rc->timer);
	if (r.next == 0)
		return;
	delay = (r.next - r.now) * 1000;
	if (delay > UINT64_C(86400000))
		delay = UINT64_C(86400000);   /* re-check daily: clocks move */
	uv_timer_start(&rc->timer, raincheck_on_timer, delay + 50, 0);
}

struct raincheck *
raincheck_new(struct daemon *d)
{
	struct raincheck *rc = calloc(1, sizeof(*rc));

	if (rc == NULL)
		return NULL;
	rc->d = d;
	uv_timer_init(d->loop, &rc->timer);
	rc->timer.data = rc;
	return rc;
}

static void
raincheck_on_close(uv_handle_t *h)
{
	free(h->data);
}

void
raincheck_free(struct raincheck *rc)
{
	if (rc == NULL)
		return;
	rc->closing = 1;
	uv_timer_stop(&rc->timer);
	uv_close((uv_handle_t *)&rc->timer, raincheck_on_close);
}
