#include <stdlib.h>
#include <string.h>

#include "relay/limit.h"

struct limit_srcs {
	struct htab *h;
	size_t max;
};

void
limit_bucket_init(struct bucket *b, double burst, double now)
{
	b->tokens = (float)burst;
	b->last = now;
}

static void
refill(struct bucket *b, double rate, double burst, double now)
{
	double t;

	if (now > b->last) {
		t = b->tokens + (now - b->last) * rate;
		b->tokens = (float)(t > burst ? burst : t);
		b->last = now;
	}
}

int
limit_take(struct bucket *b, double rate, double burst, double now, double n)
{
	refill(b, rate, burst, now);
	if (b->tokens + 1e-6 < n)
		return 0;
	b->tokens -= (float)n;
	return 1;
}

struct limit_srcs *
limit_srcs_new(size_t max)
{
	struct limit_srcs *s = calloc(1, sizeof *s);

	if (s == NULL || (s->h = htab_new(16)) == NULL) {
		free(s);
		return NULL;
	}
	s->max = max;
	return s;
}

static int
free_one(struct htab_node *n, void *arg)
{
	(void)arg;
	free(n);
	return 1;
}

void
limit_srcs_free(struct limit_srcs *s)
{
	if (s == NULL)
		return;
	htab_each(s->h, free_one, NULL);
	htab_free(s->h);
	free(s);
}

struct limit_src *
limit_src_get(struct limit_srcs *s, const uint8_t ip[16], double hs_burst,
    double np_burst, double now)
{
	struct htab_node *n = htab_find(s->h, ip);
	struct limit_src *e;

	if (n != NULL)
		return (struct limit_src *)n;
	if (htab_count(s->h) >= s->max)
		return NULL;
	if ((e = calloc(1, sizeof *e)) == NULL)
		return NULL;
	memcpy(e->ip, ip, 16);
	e->node.key = e->ip;
	limit_bucket_init(&e->hs, hs_burst, now);
	limit_bucket_init(&e->np, np_burst, now);
	htab_insert(s->h, &e->node);
	return e;
}

struct sweep_arg {
	double hs_rate, hs_burst, np_rate, np_burst, now;
};

static int
sweep_one(struct htab_node *n, void *arg)
{
	struct limit_src *e = (struct limit_src *)n;
	struct sweep_arg *a = arg;

	if (e->conns > 0)
		return 0;
	refill(&e->hs, a->hs_rate, a->hs_burst, a->now);
	refill(&e->np, a->np_rate, a->np_burst, a->now);
	if (e->hs.tokens + 1e-6 < a->hs_burst || e->np.tokens + 1e-6 < a->np_burst)
		return 0;
	free(e);
	return 1;
}

void
limit_srcs_sweep(struct limit_srcs *s, double hs_rate, double hs_burst,
    double np_rate, double np_burst, double now)
{
	struct sweep_arg a = { hs_rate, hs_burst, np_rate, np_burst, now };

	htab_each(s->h, sweep_one, &a);
}

size_t
limit_srcs_count(const struct limit_srcs *s)
{
	return htab_count(s->h);
}
