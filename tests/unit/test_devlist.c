/*
 * Signed device lists (daemon/devlist.c): the person-key signature, the
 * records inside, and applying lists to a real store (new devices added,
 * missing ones revoked, older versions refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/x3dh.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "daemon/devlist.h"
#include "tests/unit/tutil.h"

struct person {
	uint8_t pk[32], sk[64];
};

static void
person_new(struct person *p)
{
	crypto_sign_ed25519_keypair(p->pk, p->sk);
}

/* A device record of person p with random device keys; relay key out. */
static void
device_new(uint8_t rec[X3DH_DEVREC_LEN], uint8_t relay[32], const struct person *p)
{
	struct x3dh_devrec d;

	memcpy(d.person_pk, p->pk, 32);
	randombytes_buf(d.sign_pk, 32);
	randombytes_buf(d.dh_pk, 32);
	randombytes_buf(d.relay_pk, 32);
	d.created = 1700000000;
	memcpy(relay, d.relay_pk, 32);
	assert_int_equal(x3dh_devrec_make(rec, &d, p->sk), 0);
}

static void
test_roundtrip(void **state)
{
	struct person a;
	uint8_t recs[2][X3DH_DEVREC_LEN], relay[2][32], buf[DEVLIST_MAX];
	struct devlist *dl = malloc(sizeof *dl);
	int n;

	(void)state;
	person_new(&a);
	device_new(recs[0], relay[0], &a);
	device_new(recs[1], relay[1], &a);
	n = devlist_make(buf, sizeof buf, a.sk, 42, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 2);
	assert_int_equal(n, 1 + 32 + 8 + 1 + 2 * X3DH_DEVREC_LEN + 64);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, a.pk), 0);
	assert_int_equal(dl->n, 2);
	assert_int_equal(dl->ver, 42);
	assert_memory_equal(dl->dev[1].relay_pk, relay[1], 32);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, NULL), 0);
	/* Truncated, extended. */
	assert_true(devlist_verify(dl, buf, (size_t)n - 1, a.pk) < 0);
	assert_true(devlist_verify(dl, buf, 10, a.pk) < 0);
	free(dl);
}

/* Every single flipped bit anywhere makes the list invalid. */
static void
test_tamper(void **state)
{
	struct person a;
	uint8_t recs[1][X3DH_DEVREC_LEN], relay[32], buf[DEVLIST_MAX];
	struct devlist *dl = malloc(sizeof *dl);
	int n, i;

	(void)state;
	person_new(&a);
	device_new(recs[0], relay, &a);
	n = devlist_make(buf, sizeof buf, a.sk, 7, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 1);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		buf[i] ^= 0x01;
		assert_true(devlist_verify(dl, buf, (size_t)n, NULL) < 0);
		buf[i] ^= 0x01;
	}
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, NULL), 0);
	free(dl);
}

/* A list signed by A must not carry B's device, and must be A's when A is expected. */
static void
test_wrong_person(void **state)
{
	struct person a, b;
	uint8_t recs[2][X3DH_DEVREC_LEN], relay[2][32], buf[DEVLIST_MAX];
	struct devlist *dl = malloc(sizeof *dl);
	int n;

	(void)state;
	person_new(&a);
	person_new(&b);
	device_new(recs[0], relay[0], &a);
	device_new(recs[1], relay[1], &b);
	n = devlist_make(buf, sizeof buf, a.sk, 1, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 2);
	assert_true(n > 0);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, a.pk), ATT_EAUTH);
	n = devlist_make(buf, sizeof buf, a.sk, 1, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 1);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, b.pk), ATT_EAUTH);
	assert_int_equal(devlist_make(buf, sizeof buf, a.sk, 1,
	                 (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 0), ATT_EARRLONG);
	free(dl);
}

/* Applying lists to a store: adds, revokes, refuses replays of older lists. */
static void
test_apply(void **state)
{
	struct daemon d;
	struct person p;
	uint8_t recs[3][X3DH_DEVREC_LEN], relay[3][32], buf[DEVLIST_MAX];
	struct devlist *dl = malloc(sizeof *dl);
	struct store_device dev;
	char *dir = tutil_tmpdir("devlist_apply"), keys[512], db[512];
	int n;

	(void)state;
	memset(&d, 0, sizeof d);
	snprintf(keys, sizeof keys, "%s/keys", dir);
	snprintf(db, sizeof db, "%s/store.db", dir);
	assert_int_equal(keys_create(&d.keys, keys, NULL), 0);
	assert_int_equal(store_open(&d.store, db, keys_storage(d.keys)), 0);
	person_new(&p);
	device_new(recs[0], relay[0], &p);
	device_new(recs[1], relay[1], &p);
	device_new(recs[2], relay[2], &p);

	n = devlist_make(buf, sizeof buf, p.sk, 100, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 2);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, p.pk), 0);
	assert_int_equal(devlist_apply(&d, dl), 2);
	assert_int_equal(store_device_get(d.store, relay[1], &dev), 0);
	assert_int_equal(dev.revoked, 0);
	/* The same version again, or an older one: refused. */
	assert_int_equal(devlist_apply(&d, dl), ATT_EREPLAY);

	/* Version 101: device 1 gone (revoked), device 2 new. */
	memcpy(recs[1], recs[2], X3DH_DEVREC_LEN);
	n = devlist_make(buf, sizeof buf, p.sk, 101, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 2);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, p.pk), 0);
	assert_int_equal(devlist_apply(&d, dl), 1);
	assert_int_equal(store_device_get(d.store, relay[1], &dev), 0);
	assert_int_equal(dev.revoked, 1);
	assert_int_equal(store_device_get(d.store, relay[2], &dev), 0);
	assert_int_equal(dev.revoked, 0);

	/* An old list that still names device 1 cannot bring it back. */
	device_new(recs[2], relay[2], &p);
	n = devlist_make(buf, sizeof buf, p.sk, 50, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 2);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, p.pk), 0);
	assert_int_equal(devlist_apply(&d, dl), ATT_EREPLAY);

	store_close(d.store);
	keys_free(d.keys);
	free(dl);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_wrong_person),
		cmocka_unit_test(test_apply),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("devlist", tests, NULL, NULL);
}
