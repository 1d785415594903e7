#include <stdlib.h>
#include <string.h>

#include "relay/limit.h"

/* Seconds after its last register attempt that a source's entry may be swept. */
#define LIMIT_REG_FORGET 3600.0

struct limit_srcs {
	struct htab *h;
	size_t max;
};

/*
 * A bucket that fills to its burst on first use, whatever the burst: its last
 * refill lies far in the past. Used where the burst is known only at take.
 */
static void
bucket_full(struct bucket *b)
{
	b->tokens = 0;
	b->last = -1e12;
}

void
limit_src_key(uint8_t out[16], const uint8_t ip[16])
{
	static const uint8_t v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memcpy(out, ip, 16);
	if (memcmp(ip, v4, sizeof v4) != 0)
		memset(out + 8, 0, 8);
}

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
	bucket_full(&e->reg);
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
	/* The register bucket refills slowly: keep the entry while it is not full. */
	if (e->reg.last > a->now - LIMIT_REG_FORGET)
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

struct limit_devs {
	struct htab *h;
	size_t max;
};

struct limit_devs *
limit_devs_new(size_t max)
{
	struct limit_devs *s = calloc(1, sizeof *s);

	if (s == NULL || (s->h = htab_new(32)) == NULL) {
		free(s);
		return NULL;
	}
	s->max = max;
	return s;
}

void
limit_devs_free(struct limit_devs *s)
{
	if (s == NULL)
		return;
	htab_each(s->h, free_one, NULL);
	htab_free(s->h);
	free(s);
}

struct limit_dev *
limit_dev_get(struct limit_devs *s, const uint8_t key[32])
{
	struct htab_node *n = htab_find(s->h, key);
	struct limit_dev *e;

	if (n != NULL)
		return (struct limit_dev *)n;
	if (htab_count(s->h) >= s->max)
		return NULL;
	if ((e = calloc(1, sizeof *e)) == NULL)
		return NULL;
	memcpy(e->key, key, 32);
	e->node.key = e->key;
	bucket_full(&e->put);
	bucket_full(&e->pk_req);
	bucket_full(&e->pk_tgt);
	htab_insert(s->h, &e->node);
	return e;
}

struct dev_sweep {
	const struct limit_dev_rates *r;
	double now;
};

static int
is_full(struct bucket *b, double rate, double burst, double now)
{
	refill(b, rate, burst, now);
	return b->tokens + 1e-6 >= burst;
}

static int
dev_sweep_one(struct htab_node *n, void *arg)
{
	struct limit_dev *e = (struct limit_dev *)n;
	struct dev_sweep *a = arg;
	const struct limit_dev_rates *r = a->r;

	if (!is_full(&e->put, r->put_rate, r->put_burst, a->now) ||
	    !is_full(&e->pk_req, r->pk_rate, r->pk_burst, a->now) ||
	    !is_full(&e->pk_tgt, r->tgt_rate, r->tgt_burst, a->now))
		return 0;
	free(e);
	return 1;
}

void
limit_devs_sweep(struct limit_devs *s, const struct limit_dev_rates *r, double now)
{
	struct dev_sweep a = { r, now };

	htab_each(s->h, dev_sweep_one, &a);
}

size_t
limit_devs_count(const struct limit_devs *s)
{
	return htab_count(s->h);
}
