/*
 * Message decoder: msg_check under strict and default limits, msg_parse, and
 * every getter on every key of every map reachable from the root. A parsed
 * message re-encodes to bytes that parse to the same type and id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const struct msg_limits strict = {
	.max_depth = 3, .max_str = 8, .max_bin = 8, .max_array = 4, .max_total_objects = 16,
};

static void
getters(const msgpack_object *map, int depth)
{
	uint32_t i;

	if (map->type != MSGPACK_OBJECT_MAP || depth > 4)
		return;
	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		const msgpack_object *v = &map->via.map.ptr[i].val, *items, *sub;
		char key[64], z[16];
		const char *s;
		const uint8_t *b;
		size_t n, j, count;
		uint64_t u;
		int bv, r;

		if (k->type != MSGPACK_OBJECT_STR || k->via.str.size >= sizeof(key) ||
		    memchr(k->via.str.ptr, '\0', k->via.str.size) != NULL)
			continue;
		memcpy(key, k->via.str.ptr, k->via.str.size);
		key[k->via.str.size] = '\0';

		r = msg_get_str(map, key, 16, &s, &n);
		CHECK(r != 0 || (n <= 16 && memchr(s, '\0', n) == NULL));
		r = msg_get_strz(map, key, z, sizeof(z));
		CHECK(r != 0 || strlen(z) < sizeof(z));
		r = msg_get_bin(map, key, 16, &b, &n);
		CHECK(r != 0 || n <= 16);
		msg_get_bin_exact(map, key, 32, &b);
		r = msg_get_uint(map, key, 1000, &u);
		CHECK(r != 0 || u <= 1000);
		msg_get_bool(map, key, &bv);
		if (msg_get_array(map, key, 8, &items, &count) == 0) {
			CHECK(count <= 8);
			for (j = 0; j < count; j++) {
				msg_obj_str(&items[j], 4, &s, &n);
				msg_obj_uint(&items[j], UINT64_MAX, &u);
				msg_obj_bin(&items[j], 4, &b, &n);
				getters(&items[j], depth + 1);
			}
		}
		if (msg_get_map(map, key, &sub) == 0)
			getters(sub, depth + 1);
		CHECK(msg_has(map, key) == (v->type != MSGPACK_OBJECT_NIL ||
		    msg_get_bool(map, key, &bv) == ATT_EMALFORMED));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg *m, *m2;
	struct msg_out o;
	uint64_t id, id2;
	int r;

	/* Passing the strict limits implies passing the looser defaults. */
	if (msg_check(data, size, &strict) == 0)
		CHECK(msg_check(data, size, NULL) == 0);
	r = msg_parse(data, size, NULL, &m, &id);
	if (r != 0) {
		CHECK(m == NULL && r < 0 && r >= ATT_ERR_MIN);
		return 0;
	}
	CHECK(id == msg_id(m) && id <= MSG_ID_MAX);
	CHECK(strlen(msg_type(m)) <= MSG_TYPE_MAX);
	CHECK(msg_is_type(m, msg_type(m)));
	getters(msg_root(m), 0);

	msg_out_init(&o);
	CHECK(msgpack_pack_object(&o.pk, *msg_root(m)) == 0);
	r = msg_parse(msg_out_data(&o), msg_out_len(&o), NULL, &m2, &id2);
	CHECK(r == 0);
	CHECK(id2 == id && strcmp(msg_type(m), msg_type(m2)) == 0);
	msg_free(m2);
	msg_out_free(&o);
	msg_free(m);
	return 0;
}
