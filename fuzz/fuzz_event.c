/*
 * Event plaintexts from a partner's or an own device (daemon/event.c): any
 * bytes into event_unpack_plain and event_unpack_store. What parses must
 * validate, re-encode to bytes that parse to the same event, and render as
 * a well-formed local API object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/event.h"
#include "proto/err.h"
#include "proto/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const uint8_t author[32] = { 1, 2, 3 };
static const uint8_t reader[32] = { 9, 9, 9 };

static const char *
name(void *arg, const uint8_t key[32])
{
	(void)arg;
	return key[0] == 1 ? "Alex" : NULL;
}

static void
roundtrip(const struct event *ev)
{
	struct event again;
	struct msg_out o;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	CHECK(event_validate(ev, NULL, 0) == 0);
	msg_out_init(&o);
	CHECK(event_pack_plain(&o, ev, NULL) == 0);
	CHECK(event_unpack_plain(&again, msg_out_data(&o), msg_out_len(&o), ev->author, ev->mine) == 0);
	CHECK(again.kind == ev->kind && memcmp(again.id, ev->id, sizeof(ev->id)) == 0);
	CHECK(again.mood == ev->mood && again.desire == ev->desire && again.capacity == ev->capacity);
	CHECK(strcmp(again.note, ev->note) == 0);
	CHECK(event_pack_plain(&o, ev, reader) == 0);
	CHECK(event_unpack_plain(&again, msg_out_data(&o), msg_out_len(&o), ev->author, 0) == 0);
	CHECK(again.nto == 0);
	CHECK(event_pack_store(&o, ev) == 0);
	CHECK(event_unpack_store(&again, msg_out_data(&o), msg_out_len(&o)) == 0);
	CHECK(again.nto == ev->nto && memcmp(again.only, ev->only, sizeof(ev->only)) == 0);
	msg_out_free(&o);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	event_pack_api(&pk, ev, name, NULL, 0);
	CHECK(msg_check((const uint8_t *)sb.data, sb.size, NULL) == 0);
	msgpack_sbuffer_destroy(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event *ev = malloc(sizeof(*ev));

	if (ev == NULL)
		return 0;
	if (event_unpack_plain(ev, data, size, author, 0) == 0) {
		CHECK(ev->nto == 0 && !ev->mine);
		roundtrip(ev);
	}
	if (event_unpack_plain(ev, data, size, author, 1) == 0)
		roundtrip(ev);
	if (event_unpack_store(ev, data, size) == 0)
		roundtrip(ev);
	free(ev);
	return 0;
}
