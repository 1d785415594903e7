/*
 * The client side's parsers and renderers against hostile input.
 *
 * The first byte chooses: 0-3 a time or a span as typed (when_parse,
 * when_parse_since), a level word (vocab_level) or a list (vocab_list_add);
 * anything else treats the rest as a daemon reply (msgpack, checked with
 * msg_check first as the client library does) and renders it every way the
 * CLI can: status, log, one event, partners, devices and JSON. A reply from
 * a compromised or buggy daemon may be any shape; nothing may crash, and the
 * JSON must stay well-formed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <msgpack.h>

#include "clients/lib/jsonw.h"
#include "clients/lib/render.h"
#include "clients/lib/vocab.h"
#include "clients/lib/when.h"
#include "proto/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1795617000   /* a fixed "now": runs replay the same */

static void
text_input(uint8_t sel, const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), why[200];
	struct vocab_list l;
	time_t t;
	int v;

	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	switch (sel) {
	case 0:
		if (when_parse(s, FUZZ_NOW, &t, why, sizeof(why)) == 0) {
			when_at(why, sizeof(why), t, FUZZ_NOW);
			when_ago(why, sizeof(why), t, FUZZ_NOW);
		}
		break;
	case 1:
		if (when_parse_since(s, FUZZ_NOW, &t, why, sizeof(why)) == 0 && t > FUZZ_NOW)
			abort();   /* a start point never lies in the future */
		break;
	case 2:
		/* A level in range, or "rather not say" (VOCAB_SKIP), never anything else. */
		if (vocab_level(VOCAB_MOOD, s, &v) == 0 && v != VOCAB_SKIP && (v < 1 || v > 5))
			abort();
		if (vocab_level(VOCAB_DESIRE, s, &v) == 0 && v != VOCAB_SKIP && (v < 0 || v > 5))
			abort();
		break;
	default:
		memset(&l, 0, sizeof(l));
		vocab_list_add(&l, s);
		if (l.n > VOCAB_LIST_MAX)
			abort();
		for (size_t i = 0; i < l.n; i++)
			if (strlen(l.item[i]) == 0 || strlen(l.item[i]) > VOCAB_ITEM_MAX)
				abort();
		break;
	}
	free(s);
}

static void
reply_input(const uint8_t *data, size_t size)
{
	struct render_opts o = { .color = size & 1, .unicode = (size >> 1) & 1, .now = FUZZ_NOW };
	msgpack_unpacked up;
	struct jsonw *w;
	FILE *sink;

	if (msg_check(data, size, NULL) != 0)
		return;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)data, size, NULL) != MSGPACK_UNPACK_SUCCESS ||
	    up.data.type != MSGPACK_OBJECT_MAP) {
		msgpack_unpacked_destroy(&up);
		return;
	}
	sink = fopen("/dev/null", "w");
	if (sink != NULL) {
		render_status(sink, &up.data, &o);
		render_log(sink, &up.data, FUZZ_NOW - 30 * 86400, &o);
		render_event(sink, &up.data, &o);
		render_checkin(sink, &up.data, &o);
		render_partners(sink, &up.data, &o);
		render_devices(sink, &up.data, &o);
		fclose(sink);
	}
	if ((w = jsonw_new(size & 4)) != NULL) {
		jsonw_msgpack(w, &up.data, NULL);
		if (jsonw_error(w) != 0)
			abort();   /* msg_check bounds the depth below JSONW_MAX_DEPTH: any reply renders */
		jsonw_free(w);
	}
	msgpack_unpacked_destroy(&up);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] < 4)
		text_input(data[0], data + 1, size - 1);
	else
		reply_input(data + 1, size - 1);
	return 0;
}
