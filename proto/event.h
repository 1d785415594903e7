/*
 * The event model (docs/PROTOCOL.md section 7): check-in, bid, response,
 * retract. One fixed-size struct per event, so validation bounds everything
 * and nothing is allocated. People are named by their person key (Ed25519
 * public key, 32 bytes) inside the daemon; display names are a local matter
 * resolved when an event is shown (event_pack_api).
 *
 * Three encodings, all msgpack maps:
 *   - the end-to-end plaintext (event_pack_plain / event_unpack_plain): what
 *     one recipient person is allowed to see, built once per recipient, so a
 *     field scoped away from a partner is simply absent from their bytes;
 *   - the stored form (event_pack_store / event_unpack_store): everything,
 *     including audience and scoping, sealed by the store;
 *   - the local API object of section 8.2 (event_pack_api).
 */
#ifndef ATTUNE_PROTO_EVENT_H
#define ATTUNE_PROTO_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

struct msg_out;

#define EVENT_ID_LEN      16
#define EVENT_KEY_LEN     32
#define EVENT_NOTE_CHARS  280            /* characters: extended grapheme clusters */
#define EVENT_NOTE_MAX    (280 * 4)      /* bytes */
#define EVENT_WORD_MAX    32             /* one tag / offer / reason / kind, bytes */
#define EVENT_WORDS_MAX   16             /* tags, open_to, reason, offer: count */
#define EVENT_AUDIENCE_MAX 32            /* partners in one audience */
#define EVENT_ID_HEX      (EVENT_ID_LEN * 2)

enum event_kind {
	EVENT_CHECKIN = 1,
	EVENT_BID = 2,
	EVENT_RESPONSE = 3,
	EVENT_RETRACT = 4,
	/* Local only, never sent to anyone: both partners sparked (docs/PROTOCOL.md
	 * 9.7). author = the partner, mine = 0; each side writes its own. */
	EVENT_SPARK_MATCH = 5,
};

enum event_answer { ANSWER_NONE = 0, ANSWER_YES, ANSWER_NOT_TONIGHT, ANSWER_LATER };

/* Check-in fields that can be scoped to some partners (the "only" map). */
enum event_field {
	FIELD_MOOD = 0, FIELD_DESIRE, FIELD_CAPACITY, FIELD_TAGS, FIELD_OPEN_TO,
	FIELD_RESPONSIVE, FIELD_NOTE, FIELD_COUNT
};

struct event_words {
	size_t n;
	char w[EVENT_WORDS_MAX][EVENT_WORD_MAX + 1];
};

struct event {
	enum event_kind kind;
	uint8_t id[EVENT_ID_LEN];        /* random, the same on every device */
	uint8_t author[EVENT_KEY_LEN];   /* person key of the author */
	int mine;                        /* written by this person (any own device) */
	uint64_t ts;                     /* when written */

	/* Audience: person keys. Empty on events received from a partner. */
	size_t nto;
	uint8_t to[EVENT_AUDIENCE_MAX][EVENT_KEY_LEN];
	/* Per-field scoping: bit i set = to[i] may see the field; 0 = all of to. */
	uint32_t only[FIELD_COUNT];

	/* checkin (-1 = absent: not shown to this reader) */
	int mood, desire, capacity, responsive;
	struct event_words tags, open_to;
	uint64_t valid_until;

	/* checkin, bid, response */
	char note[EVENT_NOTE_MAX + 1];   /* "" = none */

	/* bid */
	char bid_kind[EVENT_WORD_MAX + 1];
	uint64_t from_ts, until_ts;      /* 0 = none */

	/* response: ref = bid; retract: ref = own check-in or bid */
	uint8_t ref[EVENT_ID_LEN];
	enum event_answer answer;
	struct event_words reason, offer;
	uint64_t raincheck;              /* 0 = none */
	int has_checkin;                 /* response: the responder's check-in id */
	uint8_t checkin[EVENT_ID_LEN];
};

/* Zeroes ev and marks the optional numbers absent (-1). */
void event_init(struct event *ev, enum event_kind kind);
/* Fresh random id and ts = now. */
void event_new_id(struct event *ev);
/*
 * Checks ranges and lengths (mood 1-5, desire/capacity 0-5, note <= 280
 * characters of valid UTF-8, words non-empty printable, ...). 0 or
 * ATT_ERANGE / ATT_ESTRLONG / ATT_EARRLONG / ATT_EINVAL, with the field name
 * in why.
 */
int event_validate(const struct event *ev, char *why, size_t why_cap);

const char *event_kind_name(enum event_kind k);       /* "checkin", ... */
const char *event_answer_name(enum event_answer a);   /* "yes", "not-tonight", "later" */
int event_answer_parse(const char *s, size_t n);      /* ANSWER_* or ATT_ERANGE */
const char *event_field_name(enum event_field f);     /* "mood", ... */
int event_field_parse(const char *s, size_t n);       /* FIELD_* or ATT_EINVAL */
void event_id_hex(const uint8_t id[EVENT_ID_LEN], char out[EVENT_ID_HEX + 1]);
int event_id_parse(uint8_t id[EVENT_ID_LEN], const char *hex, size_t n);  /* ATT_EENCODING */

/* May the person `reader` see field f of ev? (Audience index lookup.) */
int event_field_visible(const struct event *ev, enum event_field f, const uint8_t reader[EVENT_KEY_LEN]);

/*
 * End-to-end plaintext for one recipient person: reader = that partner's
 * person key, or NULL for the author's own other devices (everything,
 * audience included). Writes one whole map into out (after msg_out_reset).
 */
int event_pack_plain(struct msg_out *out, const struct event *ev, const uint8_t *reader);
/*
 * Parses a plaintext from a peer whose person key the session proved
 * (author); mine = the sender is one of our own devices. Validates.
 */
int event_unpack_plain(struct event *ev, const uint8_t *buf, size_t len,
    const uint8_t author[EVENT_KEY_LEN], int mine);

/* The stored form: every field. */
int event_pack_store(struct msg_out *out, const struct event *ev);
int event_unpack_store(struct event *ev, const uint8_t *buf, size_t len);

/*
 * Writes the section 8.2 event object (a map) with pk. name(arg, key) gives
 * a person's display name (NULL = unknown: "?"). extra_fields are written by
 * the caller right after (e.g. a bid's "state"): the map is sized for them.
 */
typedef const char *(*event_name_fn)(void *arg, const uint8_t key[EVENT_KEY_LEN]);
void event_pack_api(msgpack_packer *pk, const struct event *ev, event_name_fn name,
    void *arg, size_t extra_fields);

#endif
