/*
 * Pairing codes "NN-word-word" (see pcode.h). Parsing is forgiving about
 * case and separators and strict about content: a number, then an odd-list
 * word, then an even-list word, nothing else.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/pcode.h"

#define TOKEN_MAX 32   /* longer than any word or number we accept */
#define EVEN 0         /* two-syllable list: the second word */
#define ODD 1          /* three-syllable list: the first word */

int
pcode_format(char *out, size_t cap, uint32_t nameplate, const uint8_t words[2])
{
	int n;

	if (out == NULL || words == NULL)
		return ATT_EINVAL;
	n = snprintf(out, cap, "%lu-%s-%s", (unsigned long)nameplate,
	    wordlist_pgp[words[0]][ODD], wordlist_pgp[words[1]][EVEN]);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return ATT_ETOOBIG;
	}
	return n;
}

int
pcode_make(char *out, size_t cap, uint32_t nameplate)
{
	uint8_t words[2];
	int n;

	if (sodium_init() < 0)
		return ATT_ENOMEM;
	randombytes_buf(words, sizeof(words));
	n = pcode_format(out, cap, nameplate, words);
	sodium_memzero(words, sizeof(words));
	return n;
}

static void
say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
say(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

/* Levenshtein distance of two short lower-case strings (each < TOKEN_MAX). */
static unsigned
distance(const char *a, const char *b)
{
	unsigned row[TOKEN_MAX + 1], i, j, la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned diag = row[0], up;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned best = diag + (a[i - 1] != b[j - 1]);

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/*
 * A typo worth a suggestion is at most this many edits away: past it the
 * nearest word is a guess ("zzzzzz" is not "alkali"), and a guess misleads.
 */
#define SUGGEST_MAX_EDITS 2

/*
 * Index of WORD in list SIDE, or -1; *nearest gets the closest word's
 * index, or -1 when no word is within SUGGEST_MAX_EDITS edits (and fewer
 * edits than the word has letters).
 */
static int
lookup(const char *word, int side, int *nearest)
{
	unsigned best = ~0u, d;
	int i;

	*nearest = -1;
	for (i = 0; i < 256; i++) {
		if (strcmp(word, wordlist_pgp[i][side]) == 0)
			return i;
		d = distance(word, wordlist_pgp[i][side]);
		if (d < best && d <= SUGGEST_MAX_EDITS && d < strlen(word)) {
			best = d;
			*nearest = i;
		}
	}
	return -1;
}

/*
 * Splits IN into at most 4 tokens at runs of spaces, tabs and hyphens,
 * lower-cased; returns how many (4 means "too many"), or -1 if one is
 * longer than TOKEN_MAX - 1.
 */
static int
tokenize(const char *in, char tok[4][TOKEN_MAX])
{
	int n = 0;
	size_t len = 0;

	for (;; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == '\0' || ch == ' ' || ch == '-' || ch == '\t') {
			if (len) {
				tok[n][len] = '\0';
				if (++n == 4)
					return 4;
				len = 0;
			}
			if (ch == '\0')
				return n;
			continue;
		}
		if (len == TOKEN_MAX - 1)
			return -1;
		tok[n][len++] = (char)tolower(ch);
	}
}

static int
all(const char *s, int (*pred)(int))
{
	for (; *s; s++)
		if (!pred((unsigned char)*s))
			return 0;
	return 1;
}

int
pcode_parse(const char *in, uint32_t *nameplate, uint8_t words[2], char *why,
    size_t why_cap)
{
	static const char example[] = "a code looks like 42-crossover-clockwork";
	char tok[4][TOKEN_MAX];
	unsigned long long np = 0;
	int n, i, r = ATT_ECODE;

	if (in == NULL || nameplate == NULL || words == NULL)
		return ATT_EINVAL;
	if (strnlen(in, PCODE_INPUT_MAX + 1) > PCODE_INPUT_MAX) {
		say(why, why_cap, "that code is too long: %s", example);
		return ATT_ECODE;
	}
	n = tokenize(in, tok);
	if (n != 3) {
		say(why, why_cap, "%s: %s", n < 0 ? "a part of that code is too long" :
		    n < 3 ? "that code has too few parts" : "that code has too many parts", example);
		goto out;
	}
	if (!all(tok[0], isdigit) || strlen(tok[0]) > 10 ||
	    (np = strtoull(tok[0], NULL, 10)) > UINT32_MAX) {
		say(why, why_cap, "a code starts with a number: %s", example);
		goto out;
	}
	for (i = 1; i <= 2; i++) {
		int side = i == 1 ? ODD : EVEN, nearest = 0, idx;

		if (!all(tok[i], isalpha)) {
			say(why, why_cap, "\"%s\" is not a word: %s", tok[i], example);
			goto out;
		}
		if ((idx = lookup(tok[i], side, &nearest)) < 0) {
			int other = 0;

			if (lookup(tok[i], !side, &other) >= 0 && nearest >= 0)
				say(why, why_cap, "\"%s\" cannot be the %s word of a code; "
				    "did you mean \"%s\"?", tok[i], i == 1 ? "first" : "second",
				    wordlist_pgp[nearest][side]);
			else if (lookup(tok[i], !side, &other) >= 0)
				say(why, why_cap, "\"%s\" cannot be the %s word of a code: check the "
				    "order with the other person", tok[i], i == 1 ? "first" : "second");
			else if (nearest >= 0)
				say(why, why_cap, "no word \"%s\" in pairing codes; did you mean \"%s\"?",
				    tok[i], wordlist_pgp[nearest][side]);
			else
				say(why, why_cap, "no word \"%s\" in pairing codes: check the code with "
				    "the other person", tok[i]);
			r = ATT_EWORD;
			goto out;
		}
		words[i - 1] = (uint8_t)idx;
	}
	*nameplate = (uint32_t)np;
	r = 0;
out:
	sodium_memzero(tok, sizeof(tok));
	return r;
}

int
pcode_canonical(char *out, size_t cap, const char *in, char *why, size_t why_cap)
{
	uint32_t np;
	uint8_t words[2];
	int r;

	if ((r = pcode_parse(in, &np, words, why, why_cap)) < 0)
		return r;
	r = pcode_format(out, cap, np, words);
	sodium_memzero(words, sizeof(words));
	return r;
}
