/*
 * A window of history held in memory, and the relations between its events.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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
