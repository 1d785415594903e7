/*
 * The wishes catalogue (docs/PROTOCOL.md 9.6): a versioned, ordered list of
 * items with stable ids, in plain neutral words, and the normalisation of
 * custom items so that both partners' "Foot rub!" and "foot-rub" match.
 *
 * The order is part of the version: a PSI round's fixed slot i is item i of
 * the catalogue version both sides agreed on. Items are only ever appended
 * in a new version, never renamed or reordered, so an id keeps its meaning.
 */
#ifndef ATTUNE_CATALOGUE_H
#define ATTUNE_CATALOGUE_H

#include <stddef.h>

#define CATALOGUE_VERSION 1
#define CATALOGUE_CUSTOM_MAX 64     /* bytes of a normalised custom item */
/* Custom slots in every wishes round, used or not, so their number does not
 * leak how many custom items a person has. */
#define CATALOGUE_CUSTOM_SLOTS 16

struct catalogue_item {
	const char *id;        /* stable, [a-z0-9-], at most 32 bytes */
	const char *label;     /* plain words shown to people */
	const char *category;  /* affection, romance, sensual, sexual, logistics */
};

/* Items in the current version. */
size_t catalogue_count(void);
/* Item i (NULL past the end). */
const struct catalogue_item *catalogue_item(size_t i);
/* The index of an item by id or by label (as normalised), or ATT_ENOTFOUND. */
int catalogue_find(const char *text, size_t len);

/*
 * Normalises a custom item into out (cap bytes, NUL-terminated): valid UTF-8
 * required; ASCII letters lowercased; hyphens, underscores and runs of
 * whitespace become one space; leading and trailing spaces and punctuation
 * (. , ! ? ; :) dropped. Returns the length, ATT_EINVAL when nothing is
 * left or the text is not valid UTF-8 or holds control characters,
 * ATT_ESTRLONG when the result is over CATALOGUE_CUSTOM_MAX bytes.
 */
int catalogue_normalise(char *out, size_t cap, const char *in, size_t len);

#endif
