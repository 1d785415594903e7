#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "clients/lib/vocab.h"
#include "proto/err.h"

const char *const vocab_tags[] = {
	"tired", "stressed", "sick", "touched-out", "anxious", "busy", "low",
	"relaxed", "playful", "close", "sad", "happy", "in-pain", "grieving", NULL
};
const char *const vocab_offers[] = {
	"cuddle", "talk", "massage", "date", "sex", "space", "walk", "bath",
	"kiss", "movie", NULL
};
const char *const vocab_bid_kinds[] = {
	"tonight", "cuddle", "date", "talk", "massage", "sex", "walk", NULL
};

struct word {
	const char *w;
	int v;
};

static const struct word mood_words[] = {
	{ "awful", 1 }, { "low", 2 }, { "ok", 3 }, { "good", 4 }, { "great", 5 },
	{ "bad", 1 }, { "terrible", 1 }, { "meh", 3 }, { "okay", 3 }, { "fine", 3 },
	{ "happy", 4 }, { NULL, 0 }
};
static const struct word desire_words[] = {
	{ "none", 0 }, { "low", 1 }, { "some", 2 }, { "medium", 3 }, { "high", 4 },
	{ "burning", 5 }, { "zero", 0 }, { "max", 5 }, { NULL, 0 }
};
static const struct word capacity_words[] = {
	{ "none", 0 }, { "low", 1 }, { "limited", 2 }, { "ok", 3 }, { "good", 4 },
	{ "full", 5 }, { "zero", 0 }, { "max", 5 }, { NULL, 0 }
};

static const struct word *
words_of(enum vocab_scale s)
{
	switch (s) {
	case VOCAB_MOOD: return mood_words;
	case VOCAB_DESIRE: return desire_words;
	default: return capacity_words;
	}
}

int
vocab_scale_min(enum vocab_scale s)
{
	return s == VOCAB_MOOD ? 1 : 0;
}

int
vocab_scale_max(enum vocab_scale s)
{
	(void)s;
	return 5;
}

const char *
vocab_scale_name(enum vocab_scale s)
{
	switch (s) {
	case VOCAB_MOOD: return "mood";
	case VOCAB_DESIRE: return "desire";
	default: return "capacity";
	}
}

int
vocab_level(enum vocab_scale s, const char *str, int *out)
{
	const struct word *w;
	char *end;
	long v;

	while (*str == ' ')
		str++;
	if (strcmp(str, "-") == 0 || strcasecmp(str, "skip") == 0 || strcasecmp(str, "pass") == 0 ||
	    strcasecmp(str, "rather not say") == 0 || strcasecmp(str, "rather-not-say") == 0) {
		*out = VOCAB_SKIP;
		return 0;
	}
	if (isdigit((unsigned char)str[0]) || str[0] == '-' || str[0] == '+') {
		errno = 0;
		v = strtol(str, &end, 10);
		while (*end == ' ')
			end++;
		/* "2/5" reads naturally too. */
		if (*end == '/') {
			char *end2;

			if (strtol(end + 1, &end2, 10) == vocab_scale_max(s) && end2 != end + 1)
				end = end2;
		}
		if (*end != '\0')
			return ATT_EINVAL;
		if (errno != 0 || v < vocab_scale_min(s) || v > vocab_scale_max(s))
			return ATT_ERANGE;
		*out = (int)v;
		return 0;
	}
	for (w = words_of(s); w->w != NULL; w++)
		if (strcasecmp(w->w, str) == 0) {
			*out = w->v;
			return 0;
		}
	return ATT_EINVAL;
}

const char *
vocab_level_word(enum vocab_scale s, int v)
{
	const struct word *w;

	/* The canonical words come first in each table. */
	for (w = words_of(s); w->w != NULL; w++)
		if (w->v == v)
			return w->w;
	return "?";
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
vocab_split(const char **p, const char **item, size_t *len)
{
	const char *s = *p, *end;

	while (*s == ',' || is_blank(*s))
		s++;
	if (*s == '\0') {
		*p = s;
		return 0;
	}
	*item = s;
	while (*s != '\0' && *s != ',')
		s++;
	*p = s;
	for (end = s; end > *item && is_blank(end[-1]); end--)
		;
	*len = (size_t)(end - *item);
	return 1;
}

int
vocab_list_add(struct vocab_list *l, const char *arg)
{
	const char *p = arg, *start;
	size_t len;

	while (vocab_split(&p, &start, &len)) {
		const char *end = start + len;
		char item[VOCAB_ITEM_MAX + 1];
		size_t n = 0, i;
		int dup = 0;

		for (const char *c = start; c < end; c++) {
			unsigned char ch = (unsigned char)*c;

			if (ch < 0x20 || ch == 0x7f)
				return ATT_EINVAL;
			if (n == VOCAB_ITEM_MAX)
				return ATT_ESTRLONG;
			if (ch == ' ' || ch == '_') {
				if (n > 0 && item[n - 1] == '-')
					continue;
				ch = '-';
			}
			item[n++] = (char)tolower(ch);
		}
		item[n] = '\0';
		for (i = 0; i < l->n; i++)
			if (strcmp(l->item[i], item) == 0)
				dup = 1;
		if (dup)
			continue;
		if (l->n == VOCAB_LIST_MAX)
			return ATT_ELIMIT;
		memcpy(l->item[l->n++], item, n + 1);
	}
	return 0;
}

const char *
vocab_answer(const char *s)
{
	static const struct {
		const char *said, *answer;
	} answers[] = {
		{ "yes", "yes" }, { "y", "yes" }, { "sure", "yes" },
		{ "not-tonight", "not-tonight" }, { "not tonight", "not-tonight" },
		{ "no", "not-tonight" }, { "not_tonight", "not-tonight" },
		{ "later", "later" }, { "maybe", "later" }, { "maybe later", "later" },
		{ "maybe-later", "later" },
	};
	size_t i;

	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		if (strcasecmp(s, answers[i].said) == 0)
			return answers[i].answer;
	return NULL;
}

const char *
vocab_answer_text(const char *answer)
{
	if (strcmp(answer, "not-tonight") == 0)
		return "not tonight";
	if (strcmp(answer, "later") == 0)
		return "maybe later";
	return answer;
}

/* 1 when s is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static int
utf8_valid(const unsigned char *s)
{
	while (*s != '\0') {
		size_t len, i;
		uint32_t cp;

		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			len = 2, cp = *s & 0x1f;
		else if (*s >= 0xe0 && *s <= 0xef)
			len = 3, cp = *s & 0x0f;
		else if (*s >= 0xf0 && *s <= 0xf4)
			len = 4, cp = *s & 0x07;
		else
			return 0;
		for (i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += len;
	}
	return 1;
}

long
vocab_chars(const char *str)
{
	const uint8_t *s = (const uint8_t *)str;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(str), len;
	utf8proc_int32_t cp, prev = -1, state = 0;
	long n = 0;

	if (!utf8_valid(s))
		return -1;
	/*
	 * What a person counts as one character: an extended grapheme cluster
	 * (UAX #29), so a family emoji, a flag or an accented letter is one.
	 */
	while (left > 0) {
		if ((len = utf8proc_iterate(s, left, &cp)) <= 0)
			return -1;
		if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state))
			n++;
		prev = cp;
		s += len;
		left -= len;
	}
	return n;
}

int
vocab_has_control(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (; *s != '\0'; s++)
		if ((*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f)
			return 1;
	/* C1 controls (U+0080-U+009F) are 0xc2 0x80-0x9f in UTF-8. */
	for (s = (const unsigned char *)str; *s != '\0'; s++)
		if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
			return 1;
	return 0;
}
