#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "relay/htab.h"

struct htab {
	struct htab_node **b;
	size_t nb, n, klen;
	uint8_t sk[crypto_shorthash_KEYBYTES];
};

static size_t
slot(const struct htab *h, const uint8_t *key)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(out, key, h->klen, h->sk);
	memcpy(&v, out, sizeof v);
	return (size_t)(v & (h->nb - 1));
}

struct htab *
htab_new(size_t klen)
{
	struct htab *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->nb = 64;
	h->klen = klen;
	h->b = calloc(h->nb, sizeof *h->b);
	if (h->b == NULL) {
		free(h);
		return NULL;
	}
	randombytes_buf(h->sk, sizeof h->sk);
	return h;
}

void
htab_free(struct htab *h)
{
	if (h == NULL)
		return;
	free(h->b);
	free(h);
}

struct htab_node *
htab_find(const struct htab *h, const uint8_t *key)
{
	struct htab_node *n;

	for (n = h->b[slot(h, key)]; n != NULL; n = n->next)
		if (memcmp(n->key, key, h->klen) == 0)
			return n;
	return NULL;
}

static int
grow(struct htab *h)
{
	struct htab_node **old = h->b, *n, *next;
	size_t oldn = h->nb, i;

	h->b = calloc(oldn * 2, sizeof *h->b);
	if (h->b == NULL) {
		h->b = old;
		return ATT_ENOMEM;
	}
	h->nb = oldn * 2;
	for (i = 0; i < oldn; i++)
		for (n = old[i]; n != NULL; n = next) {
			size_t s = slot(h, n->key);
			next = n->next;
			n->next = h->b[s];
			h->b[s] = n;
		}
	free(old);
	return 0;
}

int
htab_insert(struct htab *h, struct htab_node *node)
{
	size_t s = slot(h, node->key);

	node->next = h->b[s];
	h->b[s] = node;
	h->n++;
	if (h->n > h->nb)
		return grow(h);
	return 0;
}

void
htab_remove(struct htab *h, struct htab_node *node)
{
	struct htab_node **pp;

	for (pp = &h->b[slot(h, node->key)]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == node) {
			*pp = node->next;
			node->next = NULL;
			h->n--;
			return;
		}
}

size_t
htab_count(const struct htab *h)
{
	return h->n;
}

void
htab_each(struct htab *h, int (*fn)(struct htab_node *, void *), void *arg)
{
	size_t i;
	struct htab_node **pp, *n;

	for (i = 0; i < h->nb; i++)
		for (pp = &h->b[i]; (n = *pp) != NULL;) {
			struct htab_node *next = n->next;
			if (fn(n, arg)) {
				*pp = next;
				h->n--;
			} else
				pp = &n->next;
		}
}
