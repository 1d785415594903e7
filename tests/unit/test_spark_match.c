/*
 * The spark-match event (docs/PROTOCOL.md 9.7): local only. It round-trips
 * through the stored form, its API object carries "type" and "name", and a
 * plaintext claiming to be one is refused, so a partner cannot make anyone
 * believe both sparked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"
#include "daemon/config.h"
#include "daemon/notify.h"

static const uint8_t sam[32] = { 5, 6, 7 };

static const char *
namer(void *arg, const uint8_t key[32])
{
	(void)arg;
	return memcmp(key, sam, 32) == 0 ? "Sam" : NULL;
}

static void
test_spark_match(void **state)
{
	struct event ev, got;
	struct msg_out o;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	char why[80];

	(void)state;
	assert_true(sodium_init() >= 0);
	event_init(&ev, EVENT_SPARK_MATCH);
	event_new_id(&ev);
	memcpy(ev.author, sam, 32);
	assert_int_equal(event_validate(&ev, why, sizeof(why)), 0);
	assert_string_equal(event_kind_name(EVENT_SPARK_MATCH), "spark-match");

	/* Stored and read back. */
	msg_out_init(&o);
	assert_int_equal(event_pack_store(&o, &ev), 0);
	assert_int_equal(event_unpack_store(&got, msg_out_data(&o), msg_out_len(&o)), 0);
	assert_int_equal(got.kind, EVENT_SPARK_MATCH);
	assert_memory_equal(got.author, sam, 32);
	assert_false(got.mine);

	/* The same bytes as a plaintext from a partner, or from an own device: refused. */
	assert_int_equal(event_pack_plain(&o, &ev, NULL), 0);
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), sam, 0), ATT_EPERM);
	assert_int_equal(event_unpack_plain(&got, msg_out_data(&o), msg_out_len(&o), sam, 1), ATT_EPERM);
	msg_out_free(&o);

	/* Mine, or with an audience: not a valid spark-match. */
	ev.mine = 1;
	assert_int_not_equal(event_validate(&ev, why, sizeof(why)), 0);
	ev.mine = 0;

	/* The API object. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	event_pack_api(&pk, &ev, namer, NULL, 0);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	{
		const char *s;
		size_t n;

		assert_int_equal(msg_get_str(&up.data, "type", 32, &s, &n), 0);
		assert_true(n == 11 && memcmp(s, "spark-match", 11) == 0);
		assert_int_equal(msg_get_str(&up.data, "name", 32, &s, &n), 0);
		assert_true(n == 3 && memcmp(s, "Sam", 3) == 0);
		assert_int_equal(msg_get_str(&up.data, "kind", 32, &s, &n), 0);
		assert_true(n == 11 && memcmp(s, "spark-match", 11) == 0);
	}
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/* The desktop notification says the same, and nothing more, in every mode. */
static void
test_spark_match_notification(void **state)
{
	struct config c;
	struct event ev;
	char summary[128], body[128];

	(void)state;
	event_init(&ev, EVENT_SPARK_MATCH);
	memcpy(ev.author, sam, 32);
	config_defaults(&c);
	for (int mode = NOTIFY_DISCREET; mode <= NOTIFY_FULL; mode++) {
		c.notify = (enum notify_mode)mode;
		notify_text(&c, &ev, "Sam", summary, sizeof(summary), body, sizeof(body));
		assert_string_equal(summary, "You and Sam are both in the mood");
		assert_string_equal(body, "");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spark_match),
		cmocka_unit_test(test_spark_match_notification),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
