/*
 * A window of history held in memory, and the relations between its events.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/view.h"

int
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

void
view_free(struct view *v)
{
	if (v->ev != NULL)
		sodium_memzero(v->ev, v->cap * sizeof(*v->ev));
	free(v->ev);
}

int
view_retracted(const struct view *v, const struct event *e)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->ev[i].kind == EVENT_RETRACT && memcmp(v->ev[i].ref, e->id, EVENT_ID_LEN) == 0 &&
		    memcmp(v->ev[i].author, e->author, 32) == 0)
			return 1;
	return 0;
}

const struct event *
view_find(const struct view *v, const uint8_t id[EVENT_ID_LEN])
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (memcmp(v->ev[i].id, id, EVENT_ID_LEN) == 0)
			return &v->ev[i];
	return NULL;
}

size_t
view_answers(const struct view *v, const uint8_t bid[EVENT_ID_LEN], int mine_only)
{
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		if (v->ev[i].kind == EVENT_RESPONSE && memcmp(v->ev[i].ref, bid, EVENT_ID_LEN) == 0 &&
		    (!mine_only || v->ev[i].mine))
			n++;
	return n;
}

/* Events are in the view newest first: the first response of a person to a bid is their latest. */
const struct event *
view_standing_answer(const struct view *v, const uint8_t bid[EVENT_ID_LEN], const uint8_t person[32])
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		const struct event *e = &v->ev[i];

		if (e->kind == EVENT_RESPONSE && memcmp(e->ref, bid, EVENT_ID_LEN) == 0 &&
		    memcmp(e->author, person, 32) == 0)
			return e;
	}
	return NULL;
}

int
view_answer_stands(const struct view *v, const struct event *resp)
{
	return view_standing_answer(v, resp->ref, resp->author) == resp;
}

size_t
view_answers_by(const struct view *v, const uint8_t bid[EVENT_ID_LEN], const uint8_t person[32])
{
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		n += v->ev[i].kind == EVENT_RESPONSE && memcmp(v->ev[i].ref, bid, EVENT_ID_LEN) == 0 &&
		    memcmp(v->ev[i].author, person, 32) == 0;
	return n;
}

uint64_t
view_next_morning(uint64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return now + 86400;
	if (tm.tm_hour >= 4)
		tm.tm_mday += 1;
	tm.tm_hour = 4;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	return t > 0 && (uint64_t)t > now ? (uint64_t)t : now + 86400;
}

uint64_t
view_bid_closes(const struct event *bid)
{
	if (bid->until_ts != 0)
		return bid->until_ts;
	return view_next_morning(bid->from_ts > bid->ts ? bid->from_ts : bid->ts);
}

const char *
view_bid_state_at(const struct view *v, const struct event *bid, uint64_t now,
    view_partner_fn partner, void *arg)
{
	const char *st = view_bid_state(v, bid);
	size_t i, paired = 0;

	if (strcmp(st, "open") != 0)
		return st;
	if (view_bid_closes(bid) <= now)
		return "closed";
	if (bid->mine && partner != NULL) {
		for (i = 0; i < bid->nto; i++)
			paired += partner(arg, bid->to[i]) != 0;
		if (paired == 0)
			return "closed";
	}
	if (!bid->mine && partner != NULL && !partner(arg, bid->author))
		return "closed";
	return "open";
}

const char *
view_bid_state(const struct view *v, const struct event *bid)
{
	if (view_retracted(v, bid))
		return "retracted";
	return view_answers(v, bid->id, !bid->mine) > 0 ? "answered" : "open";
}


const struct event *
view_latest_checkin(const struct view *v, const uint8_t person[32], uint64_t now)
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
