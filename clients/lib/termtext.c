#include <stdint.h>
#include <string.h>

#include "clients/lib/termtext.h"

size_t
termtext_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* A character a terminal (or its text layout) obeys instead of showing. */
static int
unsafe_cp(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c;
}

size_t
termtext_clean(char *out, size_t cap, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, k;
	uint32_t cp;

	if (cap == 0)
		return 0;
	while (i < len) {
		k = termtext_utf8_next(s + i, len - i, &cp);
		if (k == 0 || unsafe_cp(cp)) {
			if (o + 1 >= cap)
				break;
			out[o++] = (k != 0 && (cp == '\n' || cp == '\t')) ? ' ' : '?';
			i += k ? k : 1;
			continue;
		}
		if (o + k >= cap)
			break;
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return o;
}

void
termtext_clean_inplace(char *s)
{
	size_t n = strlen(s);

	/* Cleaning never lengthens: each unsafe sequence becomes one byte. */
	termtext_clean(s, n + 1, s, n);
}

void
termtext_put(FILE *f, const char *in, size_t len)
{
	char buf[512];
	size_t i = 0, k, used;
	uint32_t cp;

	while (i < len) {
		/* Whole characters per chunk, so none is split across two. */
		for (used = 0; i + used < len && used < sizeof(buf) - 8; used += k)
			if ((k = termtext_utf8_next((const unsigned char *)in + i + used, len - i - used, &cp)) == 0)
				k = 1;
		if (i + used > len)
			used = len - i;
		termtext_clean(buf, sizeof(buf), in + i, used);
		fputs(buf, f);
		i += used;
	}
}

const char *
termtext_name_check(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, k;
	uint32_t cp;

	if (n == 0)
		return "the name is empty";
	if (n > TERMTEXT_NAME_MAX)
		return "the name is too long (at most 64 bytes)";
	if (name[0] == ' ' || name[n - 1] == ' ')
		return "the name starts or ends with a space";
	while (i < n) {
		if ((k = termtext_utf8_next(s + i, n - i, &cp)) == 0)
			return "the name is not valid UTF-8 text";
		if (unsafe_cp(cp))
			return "the name has a control character (a terminal or bidi control)";
		i += k;
	}
	return NULL;
}
