#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "relay/regset.h"

struct regset {
	uint8_t (*k)[REGSET_KEYLEN];    /* sorted by memcmp, like SQLite orders BLOBs */
	size_t n, cap, max;
	int incomplete;
};

struct regset *
regset_new(size_t max)
{
	struct regset *s = calloc(1, sizeof *s);

	if (s != NULL)
		s->max = max;
	return s;
}

void
regset_free(struct regset *s)
{
	if (s == NULL)
		return;
	free(s->k);
	free(s);
}

/* The index of key, or where it would go; *found says which. */
static size_t
find(const struct regset *s, const uint8_t *key, int *found)
{
	size_t lo = 0, hi = s->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(s->k[mid], key, REGSET_KEYLEN);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

int
regset_add(struct regset *s, const uint8_t key[REGSET_KEYLEN])
{
	size_t i, cap;
	int found;
	void *p;

	/* Keys arrive sorted when loaded at start: append without searching. */
	if (s->n > 0 && memcmp(s->k[s->n - 1], key, REGSET_KEYLEN) < 0) {
		i = s->n;
		found = 0;
	} else
		i = find(s, key, &found);
	if (found)
		return 0;
	if (s->n == s->max) {
		s->incomplete = 1;
		return ATT_ETOOBIG;
	}
	if (s->n == s->cap) {
		cap = s->cap == 0 ? 64 : s->cap * 2;
		if (cap > s->max)
			cap = s->max;
		if ((p = realloc(s->k, cap * REGSET_KEYLEN)) == NULL) {
			s->incomplete = 1;
			return ATT_ENOMEM;
		}
		s->k = p;
		s->cap = cap;
	}
	memmove(s->k[i + 1], s->k[i], (s->n - i) * REGSET_KEYLEN);
	memcpy(s->k[i], key, REGSET_KEYLEN);
	s->n++;
	return 0;
}

int
regset_has(const struct regset *s, const uint8_t key[REGSET_KEYLEN])
{
	int found;

	find(s, key, &found);
	return found ? 1 : s->incomplete ? -1 : 0;
}

size_t
regset_count(const struct regset *s)
{
	return s->n;
}
