/*
 * daemon/event: validation, the end-to-end plaintext with per-partner
 * scoping, the stored form, and the local API object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/event.h"
#include "proto/err.h"
#include "proto/msg.h"
#include "tests/unit/tutil.h"

static uint8_t alex[32], sam[32], jo[32];

static int
setup(void **state)
{
	(void)state;
	assert_true(sodium_init() >= 0);
	randombytes_buf(alex, 32);
	randombytes_buf(sam, 32);
	randombytes_buf(jo, 32);
	return 0;
}

static void
words(struct event_words *w, const char *a, const char *b)
{
	w->n = 0;
	if (a != NULL)
		snprintf(w->w[w->n++], sizeof(w->w[0]), "%s", a);
	if (b != NULL)
		snprintf(w->w[w->n++], sizeof(w->w[0]), "%s", b);
}

/* Alex's check-in to Sam and Jo; desire and the note for Sam only. */
static void
alex_checkin(struct event *ev)
{
	event_init(ev, EVENT_CHECKIN);
	event_new_id(ev);
	memcpy(ev->author, alex, 32);
	ev->mine = 1;
	ev->mood = 2;
	ev->desire = 1;
	ev->capacity = 3;
	ev->responsive = 1;
	words(&ev->tags, "tired", "stressed");
	words(&ev->open_to, "cuddle", "talk");
	snprintf(ev->note, sizeof(ev->note), "deadline day, would love to just hold you tonight");
	ev->valid_until = ev->ts + 3600;
	memcpy(ev->to[0], sam, 32);
	memcpy(ev->to[1], jo, 32);
	ev->nto = 2;
	ev->only[FIELD_DESIRE] = 1u << 0;
	ev->only[FIELD_NOTE] = 1u << 0;
}

static void
test_validate(void **state)
{
	struct event ev;
	char why[160];
	char note[1200];
	int i;

	(void)state;
	alex_checkin(&ev);
	assert_int_equal(event_validate(&ev, why, sizeof(why)), 0);
	ev.mood = 0;
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);
	assert_non_null(strstr(why, "mood"));
	ev.mood = 6;
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);
	ev.mood = 5;
	ev.desire = 6;
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);
	assert_non_null(strstr(why, "desire"));
	ev.desire = 0;
	ev.capacity = -2;
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);
	ev.capacity = -1;   /* absent (scoped away) is fine */
	assert_int_equal(event_validate(&ev, why, sizeof(why)), 0);

	/* 280 characters fit even when each is 3 bytes; 281 do not. */
	note[0] = '\0';
	for (i = 0; i < 280; i++)
		strcat(note, "\xe2\x99\xa5");   /* U+2665 */
	assert_true(strlen(note) < sizeof(ev.note));
	memcpy(ev.note, note, strlen(note) + 1);
	assert_int_equal(event_validate(&ev, why, sizeof(why)), 0);
	memset(ev.note, 'a', 281);
	ev.note[281] = '\0';
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ESTRLONG);
	/* Issue 13: characters as a person counts them: 280 accented letters are 560 code points. */
	note[0] = '\0';
	for (i = 0; i < 280; i++)
		strcat(note, "e\xcc\x81");   /* e + U+0301 */
	memcpy(ev.note, note, strlen(note) + 1);
	assert_int_equal(event_validate(&ev, why, sizeof(why)), 0);
	strcat(ev.note, "e");
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ESTRLONG);
	snprintf(ev.note, sizeof(ev.note), "bad \xc3\x28 utf-8");
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);
	snprintf(ev.note, sizeof(ev.note), "bell \a");
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);
	snprintf(ev.note, sizeof(ev.note), "two\nlines");
	assert_int_equal(event_validate(&ev, why, sizeof(why)), 0);

	words(&ev.tags, "", NULL);
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);
	words(&ev.tags, "ok", NULL);
	ev.only[FIELD_MOOD] = 1u << 5;   /* outside the audience of two */
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_EINVAL);

	event_init(&ev, EVENT_BID);
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);   /* no kind */
	snprintf(ev.bid_kind, sizeof(ev.bid_kind), "tonight");
	assert_int_equal(event_validate(&ev, why, sizeof(why)), 0);
	ev.from_ts = 100;
	ev.until_ts = 50;
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);

	event_init(&ev, EVENT_RESPONSE);
	ev.answer = ANSWER_NOT_TONIGHT;
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_EINVAL);   /* no bid */
	ev.ref[0] = 1;
	assert_int_equal(event_validate(&ev, why, sizeof(why)), 0);
	ev.answer = ANSWER_NONE;
	assert_int_equal(event_validate(&ev, why, sizeof(why)), ATT_ERANGE);
}

static void
assert_same_event(const struct event *a, const struct event *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_memory_equal(a->id, b->id, EVENT_ID_LEN);
	assert_int_equal(a->ts, b->ts);
	assert_int_equal(a->mood, b->mood);
	assert_int_equal(a->desire, b->desire);
	assert_int_equal(a->capacity, b->capacity);
	assert_int_equal(a->responsive, b->responsive);
	assert_int_equal(a->tags.n, b->tags.n);
	assert_int_equal(a->open_to.n, b->open_to.n);
	assert_string_equal(a->note, b->note);
	assert_int_equal(a->valid_until, b->valid_until);
	assert_int_equal(a->nto, b->nto);
	assert_memory_equal(a->to, b->to, a->nto * 32);
	assert_memory_equal(a->only, b->only, sizeof(a->only));
	assert_string_equal(a->bid_kind, b->bid_kind);
	assert_memory_equal(a->ref, b->ref, EVENT_ID_LEN);
	assert_int_equal(a->answer, b->answer);
	assert_int_equal(a->raincheck, b->raincheck);
	assert_int_equal(a->has_checkin, b->has_checkin);
}

static void
test_own_devices_see_everything(void **state)
{
	struct event ev, got;
	struct msg_out o;

	(void)state;
	alex_checkin(&ev);
	msg_out_init(&o);
	assert_int_equal(event_pack_plain(&o, &ev, NULL), 0);
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), alex, 1), 0);
	assert_same_event(&ev, &got);
	assert_true(got.mine);
	assert_memory_equal(got.author, alex, 32);

	assert_int_equal(event_pack_store(&o, &ev), 0);
	memset(&got, 0x55, sizeof(got));
	assert_int_equal(event_unpack_store(&got, msg_out_data(&o), msg_out_len(&o)), 0);
	assert_same_event(&ev, &got);
	assert_memory_equal(got.author, alex, 32);
	msg_out_free(&o);
}

/* Jo's bytes hold neither the desire nor the note scoped to Sam, nor the audience. */
static void
test_scoping(void **state)
{
	struct event ev, got;
	struct msg_out o;

	(void)state;
	alex_checkin(&ev);
	msg_out_init(&o);

	assert_int_equal(event_pack_plain(&o, &ev, sam), 0);
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), alex, 0), 0);
	assert_int_equal(got.desire, 1);
	assert_string_equal(got.note, ev.note);
	assert_int_equal(got.mood, 2);
	assert_int_equal(got.nto, 0);
	assert_null(memmem(msg_out_data(&o), msg_out_len(&o), jo, 32));

	assert_int_equal(event_pack_plain(&o, &ev, jo), 0);
	assert_null(memmem(msg_out_data(&o), msg_out_len(&o), "deadline", 8));
	assert_null(memmem(msg_out_data(&o), msg_out_len(&o), "desire", 6));
	assert_null(memmem(msg_out_data(&o), msg_out_len(&o), sam, 32));
	assert_null(memmem(msg_out_data(&o), msg_out_len(&o), "only", 4));
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), alex, 0), 0);
	assert_int_equal(got.desire, -1);
	assert_string_equal(got.note, "");
	assert_int_equal(got.mood, 2);
	assert_int_equal(got.capacity, 3);
	assert_int_equal(got.tags.n, 2);
	assert_string_equal(got.tags.w[1], "stressed");
	assert_false(got.mine);

	/* A partner's plaintext that claims an audience does not keep it. */
	assert_int_equal(event_pack_plain(&o, &ev, NULL), 0);
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), alex, 0), 0);
	assert_int_equal(got.nto, 0);
	assert_int_equal(got.only[FIELD_NOTE], 0);
	msg_out_free(&o);
}

static void
test_bid_response_retract(void **state)
{
	struct event bid, resp, ret, got;
	struct msg_out o;

	(void)state;
	msg_out_init(&o);
	event_init(&bid, EVENT_BID);
	event_new_id(&bid);
	snprintf(bid.bid_kind, sizeof(bid.bid_kind), "tonight");
	snprintf(bid.note, sizeof(bid.note), "dinner then us?");
	bid.from_ts = bid.ts + 60;
	bid.until_ts = bid.ts + 7200;
	memcpy(bid.to[0], sam, 32);
	bid.nto = 1;
	assert_int_equal(event_pack_plain(&o, &bid, sam), 0);
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), alex, 0), 0);
	assert_string_equal(got.bid_kind, "tonight");
	assert_string_equal(got.note, "dinner then us?");
	assert_int_equal(got.until_ts, bid.until_ts);

	event_init(&resp, EVENT_RESPONSE);
	event_new_id(&resp);
	memcpy(resp.ref, bid.id, EVENT_ID_LEN);
	resp.answer = ANSWER_NOT_TONIGHT;
	words(&resp.reason, "tired", NULL);
	words(&resp.offer, "cuddle", "raincheck");
	resp.raincheck = resp.ts + 86400;
	resp.has_checkin = 1;
	randombytes_buf(resp.checkin, EVENT_ID_LEN);
	snprintf(resp.note, sizeof(resp.note), "wiped out");
	assert_int_equal(event_pack_plain(&o, &resp, alex), 0);
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), sam, 0), 0);
	assert_same_event(&resp, &got);

	event_init(&ret, EVENT_RETRACT);
	event_new_id(&ret);
	memcpy(ret.ref, bid.id, EVENT_ID_LEN);
	assert_int_equal(event_pack_plain(&o, &ret, sam), 0);
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), alex, 0), 0);
	assert_memory_equal(got.ref, bid.id, EVENT_ID_LEN);
	msg_out_free(&o);
}

/* Hostile plaintexts are refused with a code, never half-read. */
static void
test_bad_plaintexts(void **state)
{
	struct event ev, got;
	struct msg_out o;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;

	(void)state;
	assert_int_equal(event_unpack_plain(&got, (const uint8_t *)"\x92\x01\x02", 3, alex, 0), ATT_ENOTMAP);
	assert_int_equal(event_unpack_plain(&got, (const uint8_t *)"\x81", 1, alex, 0), ATT_ETRUNCATED);

	/* Every truncation of a good plaintext fails. */
	alex_checkin(&ev);
	msg_out_init(&o);
	assert_int_equal(event_pack_plain(&o, &ev, NULL), 0);
	for (i = 0; i < msg_out_len(&o); i++)
		assert_true(event_unpack_plain(&got, msg_out_data(&o), i, alex, 1) < 0);
	msg_out_free(&o);

	/* Unknown kind, future version, out-of-range mood. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str_with_body(&pk, "v", 1); msgpack_pack_uint8(&pk, 1);
	msgpack_pack_str_with_body(&pk, "t", 1); msgpack_pack_str_with_body(&pk, "poke", 4);
	msgpack_pack_str_with_body(&pk, "id", 2); msgpack_pack_bin_with_body(&pk, ev.id, 16);
	msgpack_pack_str_with_body(&pk, "ts", 2); msgpack_pack_uint8(&pk, 1);
	assert_int_equal(event_unpack_plain(&got, (uint8_t *)sb.data, sb.size, alex, 0), ATT_EUNKNOWNTYPE);
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str_with_body(&pk, "v", 1); msgpack_pack_uint8(&pk, 2);
	msgpack_pack_str_with_body(&pk, "t", 1); msgpack_pack_str_with_body(&pk, "checkin", 7);
	msgpack_pack_str_with_body(&pk, "id", 2); msgpack_pack_bin_with_body(&pk, ev.id, 16);
	msgpack_pack_str_with_body(&pk, "ts", 2); msgpack_pack_uint8(&pk, 1);
	assert_int_equal(event_unpack_plain(&got, (uint8_t *)sb.data, sb.size, alex, 0), ATT_EVERSION);
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 5);
	msgpack_pack_str_with_body(&pk, "v", 1); msgpack_pack_uint8(&pk, 1);
	msgpack_pack_str_with_body(&pk, "t", 1); msgpack_pack_str_with_body(&pk, "checkin", 7);
	msgpack_pack_str_with_body(&pk, "id", 2); msgpack_pack_bin_with_body(&pk, ev.id, 16);
	msgpack_pack_str_with_body(&pk, "ts", 2); msgpack_pack_uint8(&pk, 1);
	msgpack_pack_str_with_body(&pk, "mood", 4); msgpack_pack_uint8(&pk, 9);
	assert_int_equal(event_unpack_plain(&got, (uint8_t *)sb.data, sb.size, alex, 0), ATT_ERANGE);
	msgpack_sbuffer_destroy(&sb);
}

static void
test_ids_and_names(void **state)
{
	uint8_t id[16], back[16];
	char hex[EVENT_ID_HEX + 1];

	(void)state;
	randombytes_buf(id, sizeof(id));
	event_id_hex(id, hex);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(event_id_parse(back, hex, 32), 0);
	assert_memory_equal(id, back, 16);
	assert_int_equal(event_id_parse(back, hex, 31), ATT_EENCODING);
	hex[3] = 'g';
	assert_int_equal(event_id_parse(back, hex, 32), ATT_EENCODING);
	assert_int_equal(event_answer_parse("not-tonight", 11), ANSWER_NOT_TONIGHT);
	assert_int_equal(event_answer_parse("nope", 4), ATT_ERANGE);
	assert_int_equal(event_field_parse("open_to", 7), FIELD_OPEN_TO);
	assert_string_equal(event_field_name(FIELD_NOTE), "note");
}

static const char *
names(void *arg, const uint8_t key[32])
{
	(void)arg;
	if (memcmp(key, alex, 32) == 0)
		return "Alex";
	if (memcmp(key, sam, 32) == 0)
		return "Sam";
	return NULL;
}

/* The local API object names people and shows scoping on the author's side. */
static void
test_api_object(void **state)
{
	struct event ev;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	const msgpack_object *only, *items;
	const char *s;
	size_t len, n;
	uint64_t u;

	(void)state;
	alex_checkin(&ev);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	event_pack_api(&pk, &ev, names, NULL, 0);
	assert_int_equal(msg_check((uint8_t *)sb.data, sb.size, NULL), 0);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(msg_get_str(&up.data, "author", 64, &s, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(s, "Alex", 4);
	assert_int_equal(msg_get_str(&up.data, "kind", 64, &s, &len), 0);
	assert_memory_equal(s, "checkin", 7);
	assert_int_equal(msg_get_uint(&up.data, "mood", 5, &u), 0);
	assert_int_equal(u, 2);
	assert_int_equal(msg_get_array(&up.data, "to", 8, &items, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(items[1].via.str.ptr, "?", 1);   /* Jo has no name here */
	assert_int_equal(msg_get_map(&up.data, "only", &only), 0);
	assert_int_equal(msg_get_array(only, "desire", 8, &items, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(items[0].via.str.ptr, "Sam", 3);
	assert_int_equal(msg_get_str(&up.data, "id", 64, &s, &len), 0);
	assert_int_equal(len, 32);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_own_devices_see_everything),
		cmocka_unit_test(test_scoping),
		cmocka_unit_test(test_bid_response_retract),
		cmocka_unit_test(test_bad_plaintexts),
		cmocka_unit_test(test_ids_and_names),
		cmocka_unit_test(test_api_object),
	};
	return cmocka_run_group_tests_name("event", tests, setup, NULL);
}
