#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/lib/jsonw.h"
#include "clients/lib/termtext.h"
#include "proto/err.h"

enum { LVL_OBJ = 1, LVL_ARR = 2 };

struct level {
	unsigned char kind;
	unsigned char have_key;   /* object: a key was written, its value is due */
	size_t count;             /* members or items written so far */
};

struct jsonw {
	char *buf;
	size_t len, cap;
	int err;
	int pretty;
	int done;                 /* a top-level value is complete */
	size_t depth;
	struct level lv[JSONW_MAX_DEPTH];
};

struct jsonw *
jsonw_new(int pretty)
{
	struct jsonw *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->pretty = pretty;
	w->cap = 256;
	w->buf = malloc(w->cap);
	if (w->buf == NULL) {
		free(w);
		return NULL;
	}
	w->buf[0] = '\0';
	return w;
}

void
jsonw_free(struct jsonw *w)
{
	if (w == NULL)
		return;
	/* The buffer may hold a note or a partner's name. */
	if (w->buf != NULL)
		memset(w->buf, 0, w->cap);
	free(w->buf);
	free(w);
}

void
jsonw_reset(struct jsonw *w)
{
	w->len = 0;
	w->buf[0] = '\0';
	w->err = 0;
	w->done = 0;
	w->depth = 0;
}

const char *
jsonw_data(const struct jsonw *w, size_t *len)
{
	if (w->err != 0) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = w->len;
	return w->buf;
}

int
jsonw_error(const struct jsonw *w)
{
	if (w->err == 0 && (w->depth != 0 || !w->done))
		return w->len == 0 ? 0 : ATT_ESTATE;
	return w->err;
}

static void
put(struct jsonw *w, const char *s, size_t n)
{
	if (w->err != 0)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap;
		char *nb;

		while (w->len + n + 1 > cap)
			cap *= 2;
		nb = malloc(cap);
		if (nb == NULL) {
			w->err = ATT_ENOMEM;
			return;
		}
		memcpy(nb, w->buf, w->len);
		memset(w->buf, 0, w->cap);
		free(w->buf);
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
puts_(struct jsonw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
newline(struct jsonw *w)
{
	size_t i;

	if (!w->pretty)
		return;
	put(w, "\n", 1);
	for (i = 0; i < w->depth; i++)
		put(w, "  ", 2);
}

/* Called before every value: commas, indentation, and the shape rules. */
static int
before_value(struct jsonw *w)
{
	struct level *l;

	if (w->err != 0)
		return -1;
	if (w->depth == 0) {
		if (w->done) {
			w->err = ATT_ESTATE;
			return -1;
		}
		return 0;
	}
	l = &w->lv[w->depth - 1];
	if (l->kind == LVL_OBJ) {
		if (!l->have_key) {
			w->err = ATT_ESTATE;
			return -1;
		}
		l->have_key = 0;
		return 0;
	}
	if (l->count++ > 0)
		put(w, ",", 1);
	newline(w);
	return 0;
}

static void
after_value(struct jsonw *w)
{
	if (w->depth == 0)
		w->done = 1;
}

static void
open_level(struct jsonw *w, unsigned char kind, const char *ch)
{
	if (before_value(w) != 0)
		return;
	if (w->depth == JSONW_MAX_DEPTH) {
		w->err = ATT_ESTATE;
		return;
	}
	put(w, ch, 1);
	w->lv[w->depth].kind = kind;
	w->lv[w->depth].have_key = 0;
	w->lv[w->depth].count = 0;
	w->depth++;
}

static void
close_level(struct jsonw *w, unsigned char kind, const char *ch)
{
	struct level *l;

	if (w->err != 0)
		return;
	if (w->depth == 0 || w->lv[w->depth - 1].kind != kind ||
	    w->lv[w->depth - 1].have_key) {
		w->err = ATT_ESTATE;
		return;
	}
	l = &w->lv[w->depth - 1];
	w->depth--;
	if (l->count > 0)
		newline(w);
	put(w, ch, 1);
	after_value(w);
}

void
jsonw_obj_begin(struct jsonw *w)
{
	open_level(w, LVL_OBJ, "{");
}

void
jsonw_obj_end(struct jsonw *w)
{
	close_level(w, LVL_OBJ, "}");
}

void
jsonw_arr_begin(struct jsonw *w)
{
	open_level(w, LVL_ARR, "[");
}

void
jsonw_arr_end(struct jsonw *w)
{
	close_level(w, LVL_ARR, "]");
}

static int
escape_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c ||
	    cp == 0x2028 || cp == 0x2029;
}

void
jsonw_escape(struct jsonw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k;
	uint32_t cp;
	char esc[8];

	while (i < n) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		put(w, (const char *)s + i - run, run);
		run = 0;
		if (c >= 0x80) {
			k = termtext_utf8_next(s + i, n - i, &cp);
			if (k == 0) {
				puts_(w, "\\ufffd");
				i++;
			} else if (escape_cp(cp)) {
				/*
				 * C1 and bidi controls (termtext.h), and U+2028/2029 (valid
				 * JSON that breaks JavaScript readers): escaped, so JSON
				 * printed on a terminal drives nothing.
				 */
				snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
				puts_(w, esc);
				i += k;
			} else {
				put(w, (const char *)s + i, k);
				i += k;
			}
			continue;
		}
		switch (c) {
		case '"': puts_(w, "\\\""); break;
		case '\\': puts_(w, "\\\\"); break;
		case '\n': puts_(w, "\\n"); break;
		case '\r': puts_(w, "\\r"); break;
		case '\t': puts_(w, "\\t"); break;
		case '\b': puts_(w, "\\b"); break;
		case '\f': puts_(w, "\\f"); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(w, esc);
		}
		i++;
	}
	put(w, (const char *)s + i - run, run);
}

static void
key_n(struct jsonw *w, const char *key, size_t n)
{
	struct level *l;

	if (w->err != 0)
		return;
	if (w->depth == 0 || w->lv[w->depth - 1].kind != LVL_OBJ ||
	    w->lv[w->depth - 1].have_key) {
		w->err = ATT_ESTATE;
		return;
	}
	l = &w->lv[w->depth - 1];
	if (l->count++ > 0)
		put(w, ",", 1);
	newline(w);
	put(w, "\"", 1);
	jsonw_escape(w, key, n);
	put(w, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2);
	l->have_key = 1;
}

void
jsonw_key(struct jsonw *w, const char *key)
{
	key_n(w, key, strlen(key));
}

void
jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	if (before_value(w) != 0)
		return;
	put(w, "\"", 1);
	jsonw_escape(w, s, n);
	put(w, "\"", 1);
	after_value(w);
}

void
jsonw_str(struct jsonw *w, const char *s)
{
	if (s == NULL)
		jsonw_null(w);
	else
		jsonw_strn(w, s, strlen(s));
}

void
jsonw_uint(struct jsonw *w, uint64_t v)
{
	char num[24];

	if (before_value(w) != 0)
		return;
	snprintf(num, sizeof(num), "%" PRIu64, v);
	puts_(w, num);
	after_value(w);
}

void
jsonw_int(struct jsonw *w, int64_t v)
{
	char num[24];

	if (before_value(w) != 0)
		return;
	snprintf(num, sizeof(num), "%" PRId64, v);
	puts_(w, num);
	after_value(w);
}

void
jsonw_bool(struct jsonw *w, int v)
{
	if (before_value(w) != 0)
		return;
	puts_(w, v ? "true" : "false");
	after_value(w);
}

void
jsonw_null(struct jsonw *w)
{
	if (before_value(w) != 0)
		return;
	puts_(w, "null");
	after_value(w);
}

static void
jsonw_double(struct jsonw *w, double d)
{
	char num[40];

	if (before_value(w) != 0)
		return;
	if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
		puts_(w, "null");     /* JSON has no NaN or infinity */
	else {
		snprintf(num, sizeof(num), "%.17g", d);
		puts_(w, num);
	}
	after_value(w);
}

static void
bin_hex(struct jsonw *w, const char *b, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char two[2];
	size_t i;

	if (before_value(w) != 0)
		return;
	put(w, "\"", 1);
	for (i = 0; i < n; i++) {
		two[0] = hx[(unsigned char)b[i] >> 4];
		two[1] = hx[(unsigned char)b[i] & 15];
		put(w, two, 2);
	}
	put(w, "\"", 1);
	after_value(w);
}

static int
skipped(const msgpack_object_str *k, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strlen(*skip) == k->size && memcmp(*skip, k->ptr, k->size) == 0)
			return 1;
	return 0;
}

/* A non-string map key, written as the text of its JSON value. */
static void
key_from_object(struct jsonw *w, const msgpack_object *k)
{
	struct jsonw *tmp = jsonw_new(0);
	const char *txt;
	size_t n = 0;

	if (tmp == NULL) {
		w->err = ATT_ENOMEM;
		return;
	}
	jsonw_msgpack(tmp, k, NULL);

	txt = jsonw_data(tmp, &n);
	key_n(w, txt != NULL ? txt : "", n);
	jsonw_free(tmp);
}

void
jsonw_msgpack(struct jsonw *w, const msgpack_object *o, const char *const *skip)
{
	uint32_t i;

	if (w->err != 0)
		return;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		jsonw_null(w);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		jsonw_bool(w, o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		jsonw_uint(w, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		jsonw_int(w, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		jsonw_double(w, o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		jsonw_strn(w, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		bin_hex(w, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		jsonw_arr_begin(w);
		for (i = 0; i < o->via.array.size; i++)
			jsonw_msgpack(w, &o->via.array.ptr[i], NULL);
		jsonw_arr_end(w);
		break;
	case MSGPACK_OBJECT_MAP:
		jsonw_obj_begin(w);
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];

			if (kv->key.type == MSGPACK_OBJECT_STR) {
				if (skipped(&kv->key.via.str, skip))
					continue;
				key_n(w, kv->key.via.str.ptr, kv->key.via.str.size);
			} else {
				key_from_object(w, &kv->key);
			}
			jsonw_msgpack(w, &kv->val, NULL);
		}
		jsonw_obj_end(w);
		break;
	default:
		jsonw_null(w);     /* ext types have no JSON form */
		break;
	}
}
