#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "relay/nameplate.h"

struct npmsg {
	struct npmsg *next;
	size_t len;
	uint8_t data[];
};

struct np {
	struct np *next;
	uint32_t num;
	uint64_t expires;
	void *side[2];
	const void *owner[2];
	struct npmsg *queue;        /* from side 0, waiting for side 1 */
	size_t queued;
};

struct nameplates {
	struct np *list;
	size_t n, max, max_queued;
	uint64_t ttl;
	np_push_fn push;
	void *ctx;
};

struct nameplates *
nameplates_new(size_t max, uint64_t ttl, size_t max_queued, np_push_fn push, void *ctx)
{
	struct nameplates *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->max = max;
	t->ttl = ttl;
	t->max_queued = max_queued;
	t->push = push;
	t->ctx = ctx;
	return t;
}

static void
np_free(struct np *p)
{
	struct npmsg *m, *next;

	for (m = p->queue; m != NULL; m = next) {
		next = m->next;
		sodium_memzero(m->data, m->len);
		free(m);
	}
	free(p);
}

void
nameplates_free(struct nameplates *t)
{
	struct np *p, *next;

	if (t == NULL)
		return;
	for (p = t->list; p != NULL; p = next) {
		next = p->next;
		np_free(p);
	}
	free(t);
}

static struct np **
find(struct nameplates *t, uint32_t num)
{
	struct np **pp;

	for (pp = &t->list; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->num == num)
			return pp;
	return NULL;
}

int
nameplate_alloc(struct nameplates *t, void *side, const void *owner, uint64_t now,
    uint32_t *num, uint64_t *expires)
{
	struct np *p;
	uint32_t range, n;
	int tries;

	if (t->n >= t->max)
		return NP_EFULL;
	/* Short numbers while few are open; random so the next one is not predictable. */
	range = 100;
	while (range < 4 * (t->n + 1))
		range *= 10;
	for (tries = 0;; tries++) {
		n = 1 + randombytes_uniform(range - 1);
		if (find(t, n) == NULL)
			break;
		if (tries > 64)
			range *= 10;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		return ATT_ENOMEM;
	p->num = n;
	p->expires = now + t->ttl;
	p->side[0] = side;
	p->owner[0] = owner;
	p->next = t->list;
	t->list = p;
	t->n++;
	*num = n;
	*expires = p->expires;
	return 0;
}

int
nameplate_claim(struct nameplates *t, void *side, const void *owner, uint32_t num,
    uint64_t now)
{
	struct np **pp = find(t, num), *p;
	struct npmsg *m, *next;

	if (pp == NULL || (*pp)->expires <= now)
		return NP_EUNKNOWN;
	p = *pp;
	if (p->side[1] != NULL || p->side[0] == side)
		return NP_ETAKEN;
	p->side[1] = side;
	p->owner[1] = owner;
	for (m = p->queue; m != NULL; m = next) {
		next = m->next;
		t->push(t->ctx, side, NP_MSG, num, m->data, m->len);
		sodium_memzero(m->data, m->len);
		free(m);
	}
	p->queue = NULL;
	p->queued = 0;
	return 0;
}

int
nameplate_send(struct nameplates *t, void *side, uint32_t num, const uint8_t *data, size_t len)
{
	struct np **pp = find(t, num), *p;
	struct npmsg *m, **tail;

	if (pp == NULL)
		return NP_EUNKNOWN;
	p = *pp;
	if (side != p->side[0] && side != p->side[1])
		return NP_ENOTSIDE;
	if (p->side[1] != NULL) {
		t->push(t->ctx, side == p->side[0] ? p->side[1] : p->side[0], NP_MSG, num, data, len);
		return 0;
	}
	if (p->queued >= t->max_queued)
		return NP_EQUEUE;
	if ((m = malloc(sizeof *m + len)) == NULL)
		return ATT_ENOMEM;
	m->next = NULL;
	m->len = len;
	memcpy(m->data, data, len);
	for (tail = &p->queue; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = m;
	p->queued++;
	return 0;
}

static void
drop(struct nameplates *t, struct np **pp, void *except)
{
	struct np *p = *pp;
	int i;

	*pp = p->next;
	t->n--;
	for (i = 0; i < 2; i++)
		if (p->side[i] != NULL && p->side[i] != except)
			t->push(t->ctx, p->side[i], NP_CLOSED, p->num, NULL, 0);
	np_free(p);
}

int
nameplate_close(struct nameplates *t, void *side, uint32_t num)
{
	struct np **pp = find(t, num);

	if (pp == NULL)
		return NP_EUNKNOWN;
	if (side != (*pp)->side[0] && side != (*pp)->side[1])
		return NP_ENOTSIDE;
	drop(t, pp, side);
	return 0;
}

void
nameplate_side_gone(struct nameplates *t, void *side)
{
	struct np **pp = &t->list;

	while (*pp != NULL)
		if ((*pp)->side[0] == side || (*pp)->side[1] == side)
			drop(t, pp, side);
		else
			pp = &(*pp)->next;
}

size_t
nameplate_sweep(struct nameplates *t, uint64_t now)
{
	struct np **pp = &t->list;
	size_t n = 0;

	while (*pp != NULL)
		if ((*pp)->expires <= now) {
			drop(t, pp, NULL);
			n++;
		} else
			pp = &(*pp)->next;
	return n;
}

size_t
nameplate_count(const struct nameplates *t)
{
	return t->n;
}

size_t
nameplate_held(const struct nameplates *t, const void *owner)
{
	const struct np *p;
	size_t n = 0;

	if (owner == NULL)
		return 0;
	for (p = t->list; p != NULL; p = p->next)
		n += p->owner[0] == owner || p->owner[1] == owner;
	return n;
}
