/*
 * Event model, validation and the three msgpack encodings (see event.h and
 * docs/PROTOCOL.md section 7). Writers count the fields they emit into a
 * side buffer first, so each map header is exact without a second pass.
 */
#include <sodium.h>
#include <utf8proc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/event.h"
#include "proto/err.h"
#include "proto/msg.h"

#define EVENT_VERSION 1

/* Tighter than the wire defaults: an event is small. */
static const struct msg_limits event_limits = {
	.max_depth = 4, .max_str = EVENT_NOTE_MAX, .max_bin = 64,
	.max_array = EVENT_AUDIENCE_MAX, .max_total_objects = 1024,
};

static const char *const field_names[FIELD_COUNT] = {
	"mood", "desire", "capacity", "tags", "open_to", "responsive", "note",
};

void
event_init(struct event *ev, enum event_kind kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->mood = ev->desire = ev->capacity = ev->responsive = -1;
}

void
event_new_id(struct event *ev)
{
	randombytes_buf(ev->id, sizeof(ev->id));
	ev->ts = (uint64_t)time(NULL);
}

const char *
event_kind_name(enum event_kind k)
{
	switch (k) {
	case EVENT_CHECKIN: return "checkin";
	case EVENT_BID: return "bid";
	case EVENT_RESPONSE: return "response";
	case EVENT_RETRACT: return "retract";
	case EVENT_SPARK_MATCH: return "spark-match";
	}
	return "?";
}

static int
event_kind_parse(const char *s, size_t n)
{
	static const enum event_kind kinds[] = { EVENT_CHECKIN, EVENT_BID, EVENT_RESPONSE, EVENT_RETRACT,
	    EVENT_SPARK_MATCH };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *name = event_kind_name(kinds[i]);
		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return (int)kinds[i];
	}
	return ATT_EUNKNOWNTYPE;
}

const char *
event_answer_name(enum event_answer a)
{
	switch (a) {
	case ANSWER_YES: return "yes";
	case ANSWER_NOT_TONIGHT: return "not-tonight";
	case ANSWER_LATER: return "later";
	case ANSWER_NONE: break;
	}
	return "?";
}

int
event_answer_parse(const char *s, size_t n)
{
	int a;

	for (a = ANSWER_YES; a <= ANSWER_LATER; a++) {
		const char *name = event_answer_name((enum event_answer)a);
		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return a;
	}
	return ATT_ERANGE;
}

const char *
event_field_name(enum event_field f)
{
	return (unsigned)f < FIELD_COUNT ? field_names[f] : "?";
}

int
event_field_parse(const char *s, size_t n)
{
	int f;

	for (f = 0; f < FIELD_COUNT; f++)
		if (strlen(field_names[f]) == n && memcmp(field_names[f], s, n) == 0)
			return f;
	return ATT_EINVAL;
}

void
event_id_hex(const uint8_t id[EVENT_ID_LEN], char out[EVENT_ID_HEX + 1])
{
	sodium_bin2hex(out, EVENT_ID_HEX + 1, id, EVENT_ID_LEN);
}

int
event_id_parse(uint8_t id[EVENT_ID_LEN], const char *hex, size_t n)
{
	size_t got = 0;
	const char *end = NULL;

	if (n != EVENT_ID_HEX)
		return ATT_EENCODING;
	if (sodium_hex2bin(id, EVENT_ID_LEN, hex, n, NULL, &got, &end) != 0 ||
	    got != EVENT_ID_LEN || end != hex + n)
		return ATT_EENCODING;
	return 0;
}

/* ---- validation ---- */

static int
fail(char *why, size_t cap, int err, const char *fmt, const char *what)
{
	if (why != NULL && cap > 0)
		snprintf(why, cap, fmt, what);
	return err;
}

/*
 * Counts the characters of valid UTF-8 without control characters (newline
 * and tab are allowed where allow_nl) as a person counts them: extended
 * grapheme clusters (UAX #29, by utf8proc), so a family emoji or a flag is
 * one, the same count the clients show. -1 when invalid.
 */
static long
text_chars(const char *s, int allow_nl)
{
	const unsigned char *p = (const unsigned char *)s;
	utf8proc_int32_t prev = -1, state = 0;
	long n = 0;

	while (*p != '\0') {
		unsigned c = *p;
		size_t len, i;
		uint32_t cp;

		if (c < 0x80) {
			if ((c < 0x20 && !(allow_nl && (c == '\n' || c == '\t'))) || c == 0x7f)
				return -1;
			len = 1;
			cp = c;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return -1;
		}
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return -1;
		p += len;
		if (prev < 0 || utf8proc_grapheme_break_stateful(prev, (utf8proc_int32_t)cp, &state))
			n++;
		prev = (utf8proc_int32_t)cp;
	}
	return n;
}

static int
words_valid(const struct event_words *w, const char *name, char *why, size_t cap)
{
	size_t i;

	if (w->n > EVENT_WORDS_MAX)
		return fail(why, cap, ATT_EARRLONG, "too many %s", name);
	for (i = 0; i < w->n; i++) {
		size_t len = strnlen(w->w[i], EVENT_WORD_MAX + 1);

		if (len == 0 || len > EVENT_WORD_MAX || text_chars(w->w[i], 0) < 0)
			return fail(why, cap, ATT_ERANGE,
			    "each of %s must be 1 to 32 bytes of printable text", name);
	}
	return 0;
}

static int
is_zero(const uint8_t *b, size_t n)
{
	return sodium_is_zero(b, n);
}

int
event_validate(const struct event *ev, char *why, size_t cap)
{
	long nc;
	int r, f;

	if (ev->nto > EVENT_AUDIENCE_MAX)
		return fail(why, cap, ATT_EARRLONG, "too many people in %s", "to");
	for (f = 0; f < FIELD_COUNT; f++)
		if (ev->nto < 32 && (ev->only[f] >> ev->nto) != 0)
			return fail(why, cap, ATT_EINVAL, "%s is scoped to someone outside the audience",
			    field_names[f]);
	if (strnlen(ev->note, EVENT_NOTE_MAX + 1) > EVENT_NOTE_MAX)
		return fail(why, cap, ATT_ESTRLONG, "%s is too long", "note");
	nc = text_chars(ev->note, 1);
	if (nc < 0)
		return fail(why, cap, ATT_ERANGE, "%s is not valid text", "note");
	if (nc > EVENT_NOTE_CHARS)
		return fail(why, cap, ATT_ESTRLONG, "%s is longer than 280 characters", "note");
	switch (ev->kind) {
	case EVENT_CHECKIN:
		if (ev->mood != -1 && (ev->mood < 1 || ev->mood > 5))
			return fail(why, cap, ATT_ERANGE, "%s must be 1 to 5", "mood");
		if (ev->desire != -1 && (ev->desire < 0 || ev->desire > 5))
			return fail(why, cap, ATT_ERANGE, "%s must be 0 to 5", "desire");
		if (ev->capacity != -1 && (ev->capacity < 0 || ev->capacity > 5))
			return fail(why, cap, ATT_ERANGE, "%s must be 0 to 5", "capacity");
		if (ev->responsive < -1 || ev->responsive > 1)
			return fail(why, cap, ATT_ERANGE, "%s must be true or false", "responsive");
		if ((r = words_valid(&ev->tags, "tags", why, cap)) != 0 ||
		    (r = words_valid(&ev->open_to, "open_to", why, cap)) != 0)
			return r;
		break;
	case EVENT_BID:
		if (ev->bid_kind[0] == '\0' || strnlen(ev->bid_kind, EVENT_WORD_MAX + 1) > EVENT_WORD_MAX ||
		    text_chars(ev->bid_kind, 0) < 0)
			return fail(why, cap, ATT_ERANGE, "%s must be 1 to 32 bytes of printable text", "kind");
		if (ev->from_ts != 0 && ev->until_ts != 0 && ev->until_ts < ev->from_ts)
			return fail(why, cap, ATT_ERANGE, "%s ends before it starts", "the time window");
		break;
	case EVENT_RESPONSE:
		if (ev->answer < ANSWER_YES || ev->answer > ANSWER_LATER)
			return fail(why, cap, ATT_ERANGE, "%s must be yes, not-tonight or later", "answer");
		if (is_zero(ev->ref, EVENT_ID_LEN))
			return fail(why, cap, ATT_EINVAL, "%s is missing", "bid");
		if ((r = words_valid(&ev->reason, "reason", why, cap)) != 0 ||
		    (r = words_valid(&ev->offer, "offer", why, cap)) != 0)
			return r;
		break;
	case EVENT_RETRACT:
		if (is_zero(ev->ref, EVENT_ID_LEN))
			return fail(why, cap, ATT_EINVAL, "%s is missing", "ref");
		break;
	case EVENT_SPARK_MATCH:
		if (ev->mine || ev->nto != 0)
			return fail(why, cap, ATT_EINVAL, "a %s is the partner's and has no audience", "spark-match");
		break;
	default:
		return fail(why, cap, ATT_EUNKNOWNTYPE, "unknown event kind%s", "");
	}
	return 0;
}

static int
audience_index(const struct event *ev, const uint8_t reader[EVENT_KEY_LEN])
{
	size_t i;

	for (i = 0; i < ev->nto; i++)
		if (sodium_memcmp(ev->to[i], reader, EVENT_KEY_LEN) == 0)
			return (int)i;
	return -1;
}

int
event_field_visible(const struct event *ev, enum event_field f, const uint8_t reader[EVENT_KEY_LEN])
{
	int i;

	if (reader == NULL || ev->only[f] == 0)
		return 1;
	i = audience_index(ev, reader);
	return i >= 0 && i < 32 && (ev->only[f] & (UINT32_C(1) << i)) != 0;
}

/* ---- writing ---- */

/* A map being built: fields go into sb while n counts them. */
struct mapw {
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t n;
};

static void
mapw_init(struct mapw *w)
{
	msgpack_sbuffer_init(&w->sb);
	msgpack_packer_init(&w->pk, &w->sb, msgpack_sbuffer_write);
	w->n = 0;
}

static void
mapw_free(struct mapw *w)
{
	if (w->sb.data != NULL)
		sodium_memzero(w->sb.data, w->sb.alloc);
	msgpack_sbuffer_destroy(&w->sb);
}

static void
mapw_key(struct mapw *w, const char *k)
{
	msg_pack_str(&w->pk, k);
	w->n++;
}

static void
mapw_str(struct mapw *w, const char *k, const char *s)
{
	mapw_key(w, k);
	msg_pack_str(&w->pk, s);
}

static void
mapw_uint(struct mapw *w, const char *k, uint64_t v)
{
	mapw_key(w, k);
	msgpack_pack_uint64(&w->pk, v);
}

static void
mapw_bin(struct mapw *w, const char *k, const uint8_t *b, size_t n)
{
	mapw_key(w, k);
	msgpack_pack_bin(&w->pk, n);
	msgpack_pack_bin_body(&w->pk, b, n);
}

static void
mapw_bool(struct mapw *w, const char *k, int v)
{
	mapw_key(w, k);
	if (v)
		msgpack_pack_true(&w->pk);
	else
		msgpack_pack_false(&w->pk);
}

static void
mapw_words(struct mapw *w, const char *k, const struct event_words *ws)
{
	size_t i;

	mapw_key(w, k);
	msgpack_pack_array(&w->pk, ws->n);
	for (i = 0; i < ws->n; i++)
		msg_pack_str(&w->pk, ws->w[i]);
}

/* Emits the map (header + counted fields) into pk. */
static void
mapw_finish(struct mapw *w, msgpack_packer *pk, size_t extra)
{
	msgpack_pack_map(pk, w->n + extra);
	if (w->sb.size > 0)
		pk->callback(pk->data, w->sb.data, w->sb.size);
}

enum { MODE_PLAIN, MODE_STORE };

/* Fields of ev for reader (NULL = everything); audience and scoping when full. */
static void
event_fields(struct mapw *w, const struct event *ev, const uint8_t *reader, int mode)
{
	int full = reader == NULL;
	size_t i;
	int f;

	mapw_uint(w, "v", EVENT_VERSION);
	mapw_str(w, "t", event_kind_name(ev->kind));
	mapw_bin(w, "id", ev->id, EVENT_ID_LEN);
	mapw_uint(w, "ts", ev->ts);
	if (mode == MODE_STORE) {
		mapw_bin(w, "author", ev->author, EVENT_KEY_LEN);
		mapw_bool(w, "mine", ev->mine);
	}
	if (full && ev->nto > 0) {
		mapw_key(w, "to");
		msgpack_pack_array(&w->pk, ev->nto);
		for (i = 0; i < ev->nto; i++) {
			msgpack_pack_bin(&w->pk, EVENT_KEY_LEN);
			msgpack_pack_bin_body(&w->pk, ev->to[i], EVENT_KEY_LEN);
		}
	}
	switch (ev->kind) {
	case EVENT_CHECKIN:
		if (full) {
			size_t nscoped = 0;

			for (f = 0; f < FIELD_COUNT; f++)
				nscoped += ev->only[f] != 0;
			if (nscoped > 0) {
				mapw_key(w, "only");
				msgpack_pack_map(&w->pk, nscoped);
				for (f = 0; f < FIELD_COUNT; f++) {
					if (ev->only[f] == 0)
						continue;
					msg_pack_str(&w->pk, field_names[f]);
					msgpack_pack_uint32(&w->pk, ev->only[f]);
				}
			}
		}
		if (ev->mood >= 0 && event_field_visible(ev, FIELD_MOOD, reader))
			mapw_uint(w, "mood", (uint64_t)ev->mood);
		if (ev->desire >= 0 && event_field_visible(ev, FIELD_DESIRE, reader))
			mapw_uint(w, "desire", (uint64_t)ev->desire);
		if (ev->capacity >= 0 && event_field_visible(ev, FIELD_CAPACITY, reader))
			mapw_uint(w, "capacity", (uint64_t)ev->capacity);
		if (ev->responsive >= 0 && event_field_visible(ev, FIELD_RESPONSIVE, reader))
			mapw_bool(w, "responsive", ev->responsive);
		if (ev->tags.n > 0 && event_field_visible(ev, FIELD_TAGS, reader))
			mapw_words(w, "tags", &ev->tags);
		if (ev->open_to.n > 0 && event_field_visible(ev, FIELD_OPEN_TO, reader))
			mapw_words(w, "open_to", &ev->open_to);
		if (ev->note[0] != '\0' && event_field_visible(ev, FIELD_NOTE, reader))
			mapw_str(w, "note", ev->note);
		if (ev->valid_until != 0)
			mapw_uint(w, "valid_until", ev->valid_until);
		break;
	case EVENT_BID:
		mapw_str(w, "kind", ev->bid_kind);
		if (ev->note[0] != '\0')
			mapw_str(w, "note", ev->note);
		if (ev->from_ts != 0)
			mapw_uint(w, "from_ts", ev->from_ts);
		if (ev->until_ts != 0)
			mapw_uint(w, "until_ts", ev->until_ts);
		break;
	case EVENT_RESPONSE:
		mapw_bin(w, "bid", ev->ref, EVENT_ID_LEN);
		mapw_str(w, "answer", event_answer_name(ev->answer));
		if (ev->reason.n > 0)
			mapw_words(w, "reason", &ev->reason);
		if (ev->offer.n > 0)
			mapw_words(w, "offer", &ev->offer);
		if (ev->raincheck != 0)
			mapw_uint(w, "raincheck", ev->raincheck);
		if (ev->note[0] != '\0')
			mapw_str(w, "note", ev->note);
		if (ev->has_checkin)
			mapw_bin(w, "checkin", ev->checkin, EVENT_ID_LEN);
		break;
	case EVENT_RETRACT:
		mapw_bin(w, "ref", ev->ref, EVENT_ID_LEN);
		break;
	case EVENT_SPARK_MATCH:
		break;
	}
}

static int
event_pack(struct msg_out *out, const struct event *ev, const uint8_t *reader, int mode)
{
	struct mapw w;

	mapw_init(&w);
	event_fields(&w, ev, reader, mode);
	msg_out_reset(out);
	mapw_finish(&w, &out->pk, 0);
	mapw_free(&w);
	return msg_out_failed(out) ? ATT_ENOMEM : 0;
}

int
event_pack_plain(struct msg_out *out, const struct event *ev, const uint8_t *reader)
{
	return event_pack(out, ev, reader, MODE_PLAIN);
}

int
event_pack_store(struct msg_out *out, const struct event *ev)
{
	return event_pack(out, ev, NULL, MODE_STORE);
}

/* ---- reading ---- */

static int
get_opt_uint(const msgpack_object *m, const char *k, uint64_t max, uint64_t *v)
{
	int r = msg_get_uint(m, k, max, v);

	if (r == ATT_EMISSING) {
		*v = 0;
		return 0;
	}
	return r;
}

static int
get_opt_small(const msgpack_object *m, const char *k, int *v)
{
	uint64_t u;
	int r = msg_get_uint(m, k, 255, &u);

	if (r == ATT_EMISSING) {
		*v = -1;
		return 0;
	}
	if (r == 0)
		*v = (int)u;
	return r;
}

static int
get_opt_str(const msgpack_object *m, const char *k, char *out, size_t cap)
{
	int r = msg_get_strz(m, k, out, cap);

	if (r == ATT_EMISSING) {
		out[0] = '\0';
		return 0;
	}
	return r;
}

static int
get_opt_words(const msgpack_object *m, const char *k, struct event_words *ws)
{
	const msgpack_object *items;
	size_t n, i;
	int r = msg_get_array(m, k, EVENT_WORDS_MAX, &items, &n);

	ws->n = 0;
	if (r == ATT_EMISSING)
		return 0;
	if (r != 0)
		return r;
	for (i = 0; i < n; i++) {
		const char *s;
		size_t len;

		r = msg_obj_str(&items[i], EVENT_WORD_MAX, &s, &len);
		if (r != 0)
			return r;
		if (memchr(s, '\0', len) != NULL)
			return ATT_EENCODING;
		memcpy(ws->w[i], s, len);
		ws->w[i][len] = '\0';
	}
	ws->n = n;
	return 0;
}

static int
get_id(const msgpack_object *m, const char *k, uint8_t out[EVENT_ID_LEN], int optional)
{
	const uint8_t *b;
	int r = msg_get_bin_exact(m, k, EVENT_ID_LEN, &b);

	if (r == ATT_EMISSING && optional)
		return 1;
	if (r == 0)
		memcpy(out, b, EVENT_ID_LEN);
	return r;
}

static int
event_unpack(struct event *ev, const uint8_t *buf, size_t len, int mode)
{
	msgpack_unpacked up;
	const msgpack_object *m;
	const char *t;
	size_t tl, i;
	uint64_t v;
	int r, k, bval;

	r = msg_check(buf, len, &event_limits);
	if (r != 0)
		return r;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)buf, len, NULL) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&up);
		return ATT_EMALFORMED;
	}
	m = &up.data;
	if (m->type != MSGPACK_OBJECT_MAP) {
		r = ATT_ENOTMAP;
		goto out;
	}
	if ((r = msg_get_uint(m, "v", UINT32_MAX, &v)) != 0)
		goto out;
	if (v != EVENT_VERSION) {
		r = ATT_EVERSION;
		goto out;
	}
	if ((r = msg_get_str(m, "t", 16, &t, &tl)) != 0)
		goto out;
	k = event_kind_parse(t, tl);
	if (k < 0) {
		r = k;
		goto out;
	}
	event_init(ev, (enum event_kind)k);
	if ((r = get_id(m, "id", ev->id, 0)) != 0 ||
	    (r = msg_get_uint(m, "ts", UINT64_MAX >> 1, &ev->ts)) != 0)
		goto out;
	if (mode == MODE_STORE) {
		const uint8_t *b;

		if ((r = msg_get_bin_exact(m, "author", EVENT_KEY_LEN, &b)) != 0 ||
		    (r = msg_get_bool(m, "mine", &bval)) != 0)
			goto out;
		memcpy(ev->author, b, EVENT_KEY_LEN);
		ev->mine = bval;
	}
	{
		const msgpack_object *items;
		size_t n;

		r = msg_get_array(m, "to", EVENT_AUDIENCE_MAX, &items, &n);
		if (r == 0) {
			for (i = 0; i < n; i++) {
				const uint8_t *b;
				size_t bl;

				r = msg_obj_bin(&items[i], EVENT_KEY_LEN, &b, &bl);
				if (r == 0 && bl != EVENT_KEY_LEN)
					r = ATT_EKEYLEN;
				if (r != 0)
					goto out;
				memcpy(ev->to[i], b, EVENT_KEY_LEN);
			}
			ev->nto = n;
		} else if (r != ATT_EMISSING) {
			goto out;
		}
		r = 0;
	}
	switch (ev->kind) {
	case EVENT_CHECKIN: {
		const msgpack_object *only;

		r = msg_get_map(m, "only", &only);
		if (r == 0) {
			for (i = 0; i < only->via.map.size; i++) {
				const msgpack_object_kv *kv = &only->via.map.ptr[i];
				int f;

				if (kv->key.type != MSGPACK_OBJECT_STR ||
				    kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
				    kv->val.via.u64 > UINT32_MAX) {
					r = ATT_EWRONGTYPE;
					goto out;
				}
				f = event_field_parse(kv->key.via.str.ptr, kv->key.via.str.size);
				if (f < 0)
					continue;   /* a field a newer version scopes */
				ev->only[f] = (uint32_t)kv->val.via.u64;
			}
		} else if (r != ATT_EMISSING) {
			goto out;
		}
		if ((r = get_opt_small(m, "mood", &ev->mood)) != 0 ||
		    (r = get_opt_small(m, "desire", &ev->desire)) != 0 ||
		    (r = get_opt_small(m, "capacity", &ev->capacity)) != 0 ||
		    (r = get_opt_words(m, "tags", &ev->tags)) != 0 ||
		    (r = get_opt_words(m, "open_to", &ev->open_to)) != 0 ||
		    (r = get_opt_str(m, "note", ev->note, sizeof(ev->note))) != 0 ||
		    (r = get_opt_uint(m, "valid_until", UINT64_MAX >> 1, &ev->valid_until)) != 0)
			goto out;
		r = msg_get_bool(m, "responsive", &bval);
		if (r == 0)
			ev->responsive = bval;
		else if (r != ATT_EMISSING)
			goto out;
		r = 0;
		break;
	}
	case EVENT_BID:
		if ((r = msg_get_strz(m, "kind", ev->bid_kind, sizeof(ev->bid_kind))) != 0 ||
		    (r = get_opt_str(m, "note", ev->note, sizeof(ev->note))) != 0 ||
		    (r = get_opt_uint(m, "from_ts", UINT64_MAX >> 1, &ev->from_ts)) != 0 ||
		    (r = get_opt_uint(m, "until_ts", UINT64_MAX >> 1, &ev->until_ts)) != 0)
			goto out;
		break;
	case EVENT_RESPONSE:
		if ((r = get_id(m, "bid", ev->ref, 0)) != 0 ||
		    (r = msg_get_str(m, "answer", 16, &t, &tl)) != 0)
			goto out;
		k = event_answer_parse(t, tl);
		if (k < 0) {
			r = k;
			goto out;
		}
		ev->answer = (enum event_answer)k;
		if ((r = get_opt_words(m, "reason", &ev->reason)) != 0 ||
		    (r = get_opt_words(m, "offer", &ev->offer)) != 0 ||
		    (r = get_opt_uint(m, "raincheck", UINT64_MAX >> 1, &ev->raincheck)) != 0 ||
		    (r = get_opt_str(m, "note", ev->note, sizeof(ev->note))) != 0)
			goto out;
		r = get_id(m, "checkin", ev->checkin, 1);
		if (r < 0)
			goto out;
		ev->has_checkin = r == 0;
		r = 0;
		break;
	case EVENT_RETRACT:
		r = get_id(m, "ref", ev->ref, 0);
		break;
	case EVENT_SPARK_MATCH:
		/* Local only: never taken from a plaintext (docs/PROTOCOL.md 9.7). */
		if (mode != MODE_STORE)
			r = ATT_EPERM;
		break;
	}
	if (r == 0)
		r = event_validate(ev, NULL, 0);
out:
	msgpack_unpacked_destroy(&up);
	return r;
}

int
event_unpack_plain(struct event *ev, const uint8_t *buf, size_t len,
    const uint8_t author[EVENT_KEY_LEN], int mine)
{
	int r = event_unpack(ev, buf, len, MODE_PLAIN);

	if (r != 0)
		return r;
	memcpy(ev->author, author, EVENT_KEY_LEN);
	ev->mine = mine != 0;
	if (!ev->mine) {
		/* A partner's event never carries an audience or scoping to us. */
		ev->nto = 0;
		memset(ev->only, 0, sizeof(ev->only));
	}
	return 0;
}

int
event_unpack_store(struct event *ev, const uint8_t *buf, size_t len)
{
	return event_unpack(ev, buf, len, MODE_STORE);
}

/* ---- the local API object ---- */

static const char *
name_of(event_name_fn name, void *arg, const uint8_t key[EVENT_KEY_LEN])
{
	const char *n = name != NULL ? name(arg, key) : NULL;

	return n != NULL ? n : "?";
}

void
event_pack_api(msgpack_packer *pk, const struct event *ev, event_name_fn name,
    void *arg, size_t extra_fields)
{
	char hex[EVENT_ID_HEX + 1];
	struct mapw w;
	size_t i;
	int f;

	mapw_init(&w);
	mapw_str(&w, "kind", event_kind_name(ev->kind));
	event_id_hex(ev->id, hex);
	mapw_str(&w, "id", hex);
	mapw_str(&w, "author", name_of(name, arg, ev->author));
	mapw_bool(&w, "mine", ev->mine);
	mapw_uint(&w, "ts", ev->ts);
	if (ev->mine && ev->nto > 0) {
		mapw_key(&w, "to");
		msgpack_pack_array(&w.pk, ev->nto);
		for (i = 0; i < ev->nto; i++)
			msg_pack_str(&w.pk, name_of(name, arg, ev->to[i]));
	}
	switch (ev->kind) {
	case EVENT_CHECKIN: {
		size_t nscoped = 0;

		for (f = 0; f < FIELD_COUNT; f++)
			nscoped += ev->only[f] != 0;
		if (ev->mine && nscoped > 0) {
			mapw_key(&w, "only");
			msgpack_pack_map(&w.pk, nscoped);
			for (f = 0; f < FIELD_COUNT; f++) {
				size_t cnt = 0;

				if (ev->only[f] == 0)
					continue;
				msg_pack_str(&w.pk, field_names[f]);
				for (i = 0; i < ev->nto && i < 32; i++)
					cnt += (ev->only[f] >> i) & 1;
				msgpack_pack_array(&w.pk, cnt);
				for (i = 0; i < ev->nto && i < 32; i++)
					if ((ev->only[f] >> i) & 1)
						msg_pack_str(&w.pk, name_of(name, arg, ev->to[i]));
			}
		}
		if (ev->mood >= 0)
			mapw_uint(&w, "mood", (uint64_t)ev->mood);
		if (ev->desire >= 0)
			mapw_uint(&w, "desire", (uint64_t)ev->desire);
		if (ev->capacity >= 0)
			mapw_uint(&w, "capacity", (uint64_t)ev->capacity);
		mapw_words(&w, "tags", &ev->tags);
		mapw_words(&w, "open_to", &ev->open_to);
		if (ev->responsive >= 0)
			mapw_bool(&w, "responsive", ev->responsive);
		if (ev->note[0] != '\0')
			mapw_str(&w, "note", ev->note);
		if (ev->valid_until != 0)
			mapw_uint(&w, "valid_until", ev->valid_until);
		break;
	}
	case EVENT_BID:
		mapw_str(&w, "bid_kind", ev->bid_kind);
		if (ev->note[0] != '\0')
			mapw_str(&w, "note", ev->note);
		if (ev->from_ts != 0)
			mapw_uint(&w, "from_ts", ev->from_ts);
		if (ev->until_ts != 0)
			mapw_uint(&w, "until_ts", ev->until_ts);
		break;
	case EVENT_RESPONSE:
		event_id_hex(ev->ref, hex);
		mapw_str(&w, "bid", hex);
		mapw_str(&w, "answer", event_answer_name(ev->answer));
		mapw_words(&w, "reason", &ev->reason);
		mapw_words(&w, "offer", &ev->offer);
		if (ev->raincheck != 0)
			mapw_uint(&w, "raincheck", ev->raincheck);
		if (ev->note[0] != '\0')
			mapw_str(&w, "note", ev->note);
		break;
	case EVENT_RETRACT:
		event_id_hex(ev->ref, hex);
		mapw_str(&w, "ref", hex);
		break;
	case EVENT_SPARK_MATCH:
		/* "type" and "name" are what scripts read (issue 14's contract). */
		mapw_str(&w, "type", "spark-match");
		mapw_str(&w, "name", name_of(name, arg, ev->author));
		break;
	}
	mapw_finish(&w, pk, extra_fields);
	mapw_free(&w);
}
