/*
 * The words people use for a check-in: levels given as a number or a word,
 * lists of tags given as repeated flags or comma lists, and the answers to a bid.
 *
 *   mood 1-5      1 awful · 2 low · 3 ok · 4 good · 5 great
 *   desire 0-5    0 none · 1 low · 2 some · 3 medium · 4 high · 5 burning
 *   capacity 0-5  0 none · 1 low · 2 limited · 3 ok · 4 good · 5 full
 * Aliases: mood bad=1, meh/okay/fine=3, happy=4; desire/capacity zero=0, max=5.
 */
#ifndef ATTUNE_VOCAB_H
#define ATTUNE_VOCAB_H

#include <stddef.h>

#include "proto/event.h"

enum vocab_scale { VOCAB_MOOD, VOCAB_DESIRE, VOCAB_CAPACITY };

/* The event schema's limits (proto/event.h), so a client refuses what attuned would. */
#define VOCAB_ITEM_MAX EVENT_WORD_MAX     /* bytes in one tag or offer */
#define VOCAB_LIST_MAX EVENT_WORDS_MAX    /* items in one list */
#define VOCAB_NOTE_MAX EVENT_NOTE_CHARS   /* characters (grapheme clusters, not bytes) in a note */

#define VOCAB_SKIP (-1)   /* "rather not say": the level is left out of the check-in */

/*
 * "2" or "low" → *out; "skip", "-" or "rather not say" → VOCAB_SKIP.
 * ATT_ERANGE for a number outside the scale, ATT_EINVAL for an unknown word.
 */
int vocab_level(enum vocab_scale, const char *s, int *out);
/* The word for a level ("low"), or "?" outside the scale. */
const char *vocab_level_word(enum vocab_scale, int v);
const char *vocab_scale_name(enum vocab_scale);
int vocab_scale_min(enum vocab_scale);
int vocab_scale_max(enum vocab_scale);

/* A list of short lowercase words, deduplicated, in the order given. */
struct vocab_list {
	size_t n;
	char item[VOCAB_LIST_MAX][VOCAB_ITEM_MAX + 1];
};
/*
 * The next item of a comma list ("tired, stressed", "Sam,Jo"): skips commas
 * and blanks (spaces, tabs) before it, sets *item and *len to the item
 * without its surrounding blanks, and moves *p past it. 0 when the list has
 * no more items (empty items between commas are skipped), 1 otherwise.
 */
int vocab_split(const char **p, const char **item, size_t *len);
/*
 * Adds "tired, stressed" or "tired": split on commas, trimmed, lowercased,
 * inner spaces become '-', duplicates dropped. ATT_ELIMIT when the list is
 * full, ATT_ESTRLONG for an item over VOCAB_ITEM_MAX, ATT_EINVAL for an
 * item with control characters.
 */
int vocab_list_add(struct vocab_list *, const char *arg);

/* "yes" / "not-tonight" / "later" from what a person may type ("no", "not tonight", "maybe"), or NULL. */
const char *vocab_answer(const char *s);
/* How an answer reads: "yes", "not tonight", "later". */
const char *vocab_answer_text(const char *answer);

/*
 * Characters in s as a person counts them: grapheme clusters (a family
 * emoji, a flag, "e" with a combining accent are one each); -1 when s is
 * not valid UTF-8.
 */
long vocab_chars(const char *s);
/* 1 when s holds a control character other than newline and tab (C0, DEL, C1). */
int vocab_has_control(const char *s);

/* Known tags and offers, NULL-terminated, for help text and completion. */
extern const char *const vocab_tags[];
extern const char *const vocab_offers[];
extern const char *const vocab_bid_kinds[];

#endif
