/*
 * A small set of events, and the relations between them.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/view.h"
#include "proto/err.h"

static int
view_append(struct view *v, const struct event *ev, int64_t seq)
{
	size_t i = v->n;

	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 8;
		struct event *g = malloc(nc * sizeof(*g));
		int64_t *gs = malloc(nc * sizeof(*gs));

		/* Not realloc: the old copies are wiped before they are let go. */
		if (g == NULL || gs == NULL) {
			free(g);
			free(gs);
			return 1;
		}
		if (i > 0) {
			memcpy(g, v->ev, i * sizeof(*g));
			memcpy(gs, v->seq, i * sizeof(*gs));
		}
		view_free(v);   /* n = 0 */
		v->ev = g;
		v->seq = gs;
		v->cap = nc;
		v->n = i;
	}
	v->ev[v->n] = *ev;
	v->seq[v->n++] = seq;
	return 0;
}

int
view_add_row(void *arg, const struct event *ev, int64_t seq)
{
	struct view *v = arg;
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->seq[i] == seq)
			return 0;
	return view_append(v, ev, seq);
}

int
view_add(void *arg, const struct event *ev)
{
	struct view *v = arg;

	return view_append(v, ev, -1 - (int64_t)v->n);
}

static int
view_newer(const struct view *v, size_t a, size_t b)
{
	if (v->ev[a].ts != v->ev[b].ts)
		return v->ev[a].ts > v->ev[b].ts;
	return v->seq[a] > v->seq[b];
}

int
view_sort(struct view *v)
{
	struct event *tmp;
	size_t i, j;

	if (v->n < 2)
		return 0;
	tmp = malloc(sizeof(*tmp));
	if (tmp == NULL)
		return ATT_ENOMEM;
	/* Insertion sort: a view holds a handful of events. */
	for (i = 1; i < v->n; i++) {
		int64_t s = v->seq[i];

		for (j = i; j > 0 && !view_newer(v, j - 1, i); j--)
			;
		if (j == i)
			continue;
		*tmp = v->ev[i];
		memmove(&v->ev[j + 1], &v->ev[j], (i - j) * sizeof(*v->ev));
		memmove(&v->seq[j + 1], &v->seq[j], (i - j) * sizeof(*v->seq));
		v->ev[j] = *tmp;
		v->seq[j] = s;
	}
	sodium_memzero(tmp, sizeof(*tmp));
	free(tmp);
	return 0;
}

void
view_reset(struct view *v)
{
	if (v->ev != NULL)
		sodium_memzero(v->ev, v->n * sizeof(*v->ev));
	v->n = 0;
}

void
view_free(struct view *v)
{
	if (v->ev != NULL)
		sodium_memzero(v->ev, v->cap * sizeof(*v->ev));
	free(v->ev);
	free(v->seq);
	v->ev = NULL;
	v->seq = NULL;
	v->n = v->cap = 0;
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
