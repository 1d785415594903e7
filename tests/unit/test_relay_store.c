/* relay/relaydb: invites, registration, mailboxes with quotas, acks, expiry, prekeys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "relay/relaydb.h"
#include "tests/unit/tutil.h"

static struct relaydb *
open_db(const char *name)
{
	struct relaydb *db;
	char why[256];
	char *dir = tutil_tmpdir(name);

	assert_int_equal(relaydb_open(&db, dir, why, sizeof why), 0);
	free(dir);
	return db;
}

static void
test_invites(void **state)
{
	struct relaydb *db = open_db("relaydb_invites");
	char tok[RELAYDB_TOKEN_MAX + 1], tok2[RELAYDB_TOKEN_MAX + 1];
	uint8_t a[32], b[32], c[32];

	(void)state;
	randombytes_buf(a, 32);
	randombytes_buf(b, 32);
	randombytes_buf(c, 32);
	assert_int_equal(relaydb_invite_create(db, tok, NULL, 2, 1000, 100), 0);
	assert_int_equal(strlen(tok), 22);
	assert_int_equal(relaydb_is_registered(db, a), 0);
	assert_int_equal(relaydb_register(db, a, "nope", 4, 100), RELAYDB_EINVITE);
	assert_int_equal(relaydb_register(db, a, tok, strlen(tok), 100), 0);
	assert_int_equal(relaydb_is_registered(db, a), 1);
	/* Registering again needs no use of the invite. */
	assert_int_equal(relaydb_register(db, a, "nope", 4, 100), 0);
	assert_int_equal(relaydb_register(db, b, tok, strlen(tok), 100), 0);
	assert_int_equal(relaydb_register(db, c, tok, strlen(tok), 100), RELAYDB_EUSED);
	assert_int_equal(relaydb_invite_create(db, tok2, a, 1, 200, 150), 0);
	assert_int_equal(relaydb_register(db, c, tok2, strlen(tok2), 200), RELAYDB_EEXPIRED);
	assert_int_equal(relaydb_invite_count_by(db, a, 100), 1);
	assert_int_equal(relaydb_invite_count_by(db, a, 151), 0);
	relaydb_close(db);
}

struct seen {
	uint64_t seq[16];
	char env[16][16];
	int n;
};

static int
collect(void *arg, uint64_t seq, const uint8_t from[32], uint64_t ts, const uint8_t *env,
    size_t len)
{
	struct seen *s = arg;

	(void)from;
	(void)ts;
	s->seq[s->n] = seq;
	snprintf(s->env[s->n], sizeof s->env[0], "%.*s", (int)len, (const char *)env);
	s->n++;
	return 0;
}

static void
test_mailbox(void **state)
{
	struct relaydb *db = open_db("relaydb_mailbox");
	struct relaydb_quota q = { 3, 1000 };
	char tok[RELAYDB_TOKEN_MAX + 1];
	uint8_t a[32], b[32], x[32];
	uint64_t s1, s2, s3, s4;
	struct seen seen = { 0 };
	uint64_t dev, env, bytes, inv;

	(void)state;
	randombytes_buf(a, 32);
	randombytes_buf(b, 32);
	randombytes_buf(x, 32);
	relaydb_invite_create(db, tok, NULL, 5, 1000, 1);
	relaydb_register(db, a, tok, strlen(tok), 1);
	relaydb_register(db, b, tok, strlen(tok), 1);
	assert_int_equal(relaydb_put(db, a, x, (const uint8_t *)"e", 1, 1, &q, &s1), RELAYDB_EUNKNOWN);
	assert_int_equal(relaydb_put(db, a, b, (const uint8_t *)"one", 3, 10, &q, &s1), 0);
	assert_int_equal(relaydb_put(db, a, b, (const uint8_t *)"two", 3, 20, &q, &s2), 0);
	assert_int_equal(relaydb_put(db, a, b, (const uint8_t *)"three", 5, 30, &q, &s3), 0);
	assert_true(s1 < s2 && s2 < s3);
	assert_int_equal(relaydb_put(db, a, b, (const uint8_t *)"four", 4, 30, &q, &s4), RELAYDB_EFULL);
	assert_int_equal(relaydb_fetch(db, b, 0, 10, collect, &seen), 3);
	assert_string_equal(seen.env[0], "one");
	assert_string_equal(seen.env[2], "three");
	seen.n = 0;
	assert_int_equal(relaydb_fetch(db, b, s1, 1, collect, &seen), 1);
	assert_string_equal(seen.env[0], "two");
	assert_int_equal(relaydb_fetch(db, a, 0, 10, collect, &seen), 0);
	/* Only the owner's ack removes; an ack frees quota. */
	assert_int_equal(relaydb_ack(db, a, s1), 0);
	assert_int_equal(relaydb_ack(db, b, s1), 0);
	assert_int_equal(relaydb_ack(db, b, s1), 0);
	assert_int_equal(relaydb_put(db, a, b, (const uint8_t *)"four", 4, 40, &q, &s4), 0);
	assert_true(s4 > s3);
	assert_int_equal(relaydb_totals(db, &dev, &env, &bytes, &inv), 0);
	assert_int_equal(dev, 2);
	assert_int_equal(env, 3);
	assert_int_equal(bytes, 3 + 5 + 4);
	/* Byte quota. */
	q.envelopes = 100;
	q.bytes = 13;
	assert_int_equal(relaydb_put(db, a, b, (const uint8_t *)"xx", 2, 40, &q, &s4), RELAYDB_EFULL);
	/* Expiry removes the old ones and gives their quota back. */
	assert_int_equal(relaydb_expire(db, 25, 100), 1);
	assert_int_equal(relaydb_totals(db, &dev, &env, &bytes, &inv), 0);
	assert_int_equal(env, 2);
	assert_int_equal(bytes, 5 + 4);
	/* A savepoint rolled back leaves nothing behind. */
	assert_int_equal(relaydb_begin(db), 0);
	assert_int_equal(relaydb_savepoint(db), 0);
	assert_int_equal(relaydb_put(db, a, b, (const uint8_t *)"gone", 4, 50, &q, &s4), 0);
	relaydb_savepoint_release(db, 0);
	assert_int_equal(relaydb_commit(db), 0);
	assert_int_equal(relaydb_totals(db, &dev, &env, &bytes, &inv), 0);
	assert_int_equal(env, 2);
	relaydb_close(db);
}

/* A seq is never handed out twice, even after the newest is acked and the database reopened. */
static void
test_seq_not_reused(void **state)
{
	struct relaydb *db;
	struct relaydb_quota q = { 100, 100000 };
	char tok[RELAYDB_TOKEN_MAX + 1], why[256];
	char *dir = tutil_tmpdir("relaydb_seq");
	uint8_t a[32];
	uint64_t s1, s2;

	(void)state;
	randombytes_buf(a, 32);
	assert_int_equal(relaydb_open(&db, dir, why, sizeof why), 0);
	relaydb_invite_create(db, tok, NULL, 1, 1000, 1);
	relaydb_register(db, a, tok, strlen(tok), 1);
	assert_int_equal(relaydb_begin(db), 0);
	assert_int_equal(relaydb_put(db, a, a, (const uint8_t *)"x", 1, 1, &q, &s1), 0);
	assert_int_equal(relaydb_commit(db), 0);
	assert_int_equal(relaydb_ack(db, a, s1), 0);
	relaydb_close(db);
	assert_int_equal(relaydb_open(&db, dir, why, sizeof why), 0);
	assert_int_equal(relaydb_put(db, a, a, (const uint8_t *)"y", 1, 1, &q, &s2), 0);
	assert_true(s2 > s1);
	relaydb_close(db);
	free(dir);
}

static void
test_prekeys(void **state)
{
	struct relaydb *db = open_db("relaydb_prekeys");
	uint8_t a[32], spk[64], otk[64];
	size_t sl, ol;
	const uint8_t *otks[3] = { (const uint8_t *)"k1", (const uint8_t *)"k2", (const uint8_t *)"k3" };
	size_t lens[3] = { 2, 2, 2 };

	(void)state;
	randombytes_buf(a, 32);
	assert_int_equal(relaydb_prekey_get(db, a, spk, sizeof spk, &sl, otk, sizeof otk, &ol),
	    RELAYDB_ENOTFOUND);
	assert_int_equal(relaydb_prekeys_set(db, a, (const uint8_t *)"spk", 3, otks, lens, 3, 2), 0);
	/* Capped at otk_max = 2: the newest are kept. */
	assert_int_equal(relaydb_prekey_count(db, a), 2);
	assert_int_equal(relaydb_prekey_get(db, a, spk, sizeof spk, &sl, otk, sizeof otk, &ol), 0);
	assert_int_equal(sl, 3);
	assert_memory_equal(otk, "k2", 2);
	assert_int_equal(relaydb_prekey_get(db, a, spk, sizeof spk, &sl, otk, sizeof otk, &ol), 0);
	assert_memory_equal(otk, "k3", 2);
	assert_int_equal(relaydb_prekey_get(db, a, spk, sizeof spk, &sl, otk, sizeof otk, &ol), 0);
	assert_int_equal(ol, 0);
	assert_int_equal(relaydb_prekey_count(db, a), 0);
	relaydb_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invites),
		cmocka_unit_test(test_mailbox),
		cmocka_unit_test(test_seq_not_reused),
		cmocka_unit_test(test_prekeys),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("relay_store", tests, NULL, NULL);
}
