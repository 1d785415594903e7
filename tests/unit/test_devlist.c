/*
 * Signed device lists (daemon/devlist.c): the person-key signature, the
 * records inside, and applying lists to a real store (new devices added,
 * missing ones revoked), as a hash chain: seq = previous + 1 with the
 * previous list's hash inside, so a replayed, skipped or frozen list is
 * refused and a fork (two lists with one seq) is kept and reported.
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
	n = devlist_make(buf, sizeof buf, a.sk, 42, NULL, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 2);
	assert_int_equal(n, 1 + 32 + 8 + 32 + 1 + 2 * X3DH_DEVREC_LEN + 64);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, a.pk), 0);
	assert_int_equal(dl->n, 2);
	assert_int_equal(dl->seq, 42);
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
	n = devlist_make(buf, sizeof buf, a.sk, 7, NULL, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 1);
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
	n = devlist_make(buf, sizeof buf, a.sk, 1, NULL, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 2);
	assert_true(n > 0);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, a.pk), ATT_EAUTH);
	n = devlist_make(buf, sizeof buf, a.sk, 1, NULL, (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 1);
	assert_int_equal(devlist_verify(dl, buf, (size_t)n, b.pk), ATT_EAUTH);
	assert_int_equal(devlist_make(buf, sizeof buf, a.sk, 1, NULL,
	                 (const uint8_t (*)[X3DH_DEVREC_LEN])recs, 0), ATT_EARRLONG);
	free(dl);
}

struct fixture {
	struct daemon d;
	char *dir;
};

static void
fixture_open(struct fixture *f, const char *name)
{
	char keys[512], db[512];

	memset(f, 0, sizeof *f);
	f->dir = tutil_tmpdir(name);
	snprintf(keys, sizeof keys, "%s/keys", f->dir);
	snprintf(db, sizeof db, "%s/store.db", f->dir);
	assert_int_equal(keys_create(&f->d.keys, keys, NULL), 0);
	assert_int_equal(store_open(&f->d.store, db, keys_storage(f->d.keys)), 0);
}

static void
fixture_close(struct fixture *f)
{
	store_close(f->d.store);
	keys_free(f->d.keys);
	free(f->dir);
}

/* Signs recs[0..n) as list seq after prev (NULL: the first), verifies it into dl. */
static void
make_list(struct devlist *dl, const struct person *p, uint64_t seq, const uint8_t *prev,
          uint8_t (*recs)[X3DH_DEVREC_LEN], size_t n)
{
	uint8_t buf[DEVLIST_MAX];
	int len = devlist_make(buf, sizeof buf, p->sk, seq, prev,
	                       (const uint8_t (*)[X3DH_DEVREC_LEN])recs, n);

	assert_true(len > 0);
	assert_int_equal(devlist_verify(dl, buf, (size_t)len, p->pk), 0);
}

/* Applying lists to a store: adds, revokes, refuses replays of older lists. */
static void
test_apply(void **state)
{
	struct fixture f;
	struct person p;
	uint8_t recs[3][X3DH_DEVREC_LEN], relay[3][32], h1[32];
	struct devlist *dl = malloc(sizeof *dl), *old = malloc(sizeof *old);
	struct store_device dev;

	(void)state;
	fixture_open(&f, "devlist_apply");
	person_new(&p);
	device_new(recs[0], relay[0], &p);
	device_new(recs[1], relay[1], &p);
	device_new(recs[2], relay[2], &p);

	make_list(dl, &p, 1, NULL, recs, 2);
	memcpy(h1, dl->hash, 32);
	memcpy(old, dl, sizeof *dl);
	assert_int_equal(devlist_apply(&f.d, dl), 2);
	assert_int_equal(store_device_get(f.d.store, relay[1], &dev), 0);
	assert_int_equal(dev.revoked, 0);
	/* The same list again: a replay. */
	assert_int_equal(devlist_apply(&f.d, dl), ATT_EREPLAY);

	/* Seq 2 after it: device 1 gone (revoked), device 2 new. */
	memcpy(recs[1], recs[2], X3DH_DEVREC_LEN);
	make_list(dl, &p, 2, h1, recs, 2);
	assert_int_equal(devlist_apply(&f.d, dl), 1);
	assert_int_equal(store_device_get(f.d.store, relay[1], &dev), 0);
	assert_int_equal(dev.revoked, 1);
	assert_int_equal(store_device_get(f.d.store, relay[2], &dev), 0);
	assert_int_equal(dev.revoked, 0);

	/* The old list that still names device 1 cannot bring it back. */
	assert_int_equal(devlist_apply(&f.d, old), ATT_EREPLAY);
	assert_int_equal(store_device_get(f.d.store, relay[1], &dev), 0);
	assert_int_equal(dev.revoked, 1);
	assert_int_equal(devlist_forked(&f.d, p.pk), 0);

	fixture_close(&f);
	free(dl);
	free(old);
}

/*
 * Attack 1 (issue 11): a list numbered 2^64 - 1 (or far ahead: a wrong clock)
 * used to win over every later honest list, the revocation included. With
 * the chain, a list that skips a seq or does not name the last list's hash
 * is refused, and the honest next list still applies. Failed before: lists
 * carried a wall-clock version and any higher version won.
 */
static void
test_freeze_and_skip(void **state)
{
	struct fixture f;
	struct person p;
	uint8_t recs[2][X3DH_DEVREC_LEN], relay[2][32], h1[32], bogus[32];
	struct devlist *dl = malloc(sizeof *dl);
	struct store_device dev;

	(void)state;
	fixture_open(&f, "devlist_freeze");
	person_new(&p);
	device_new(recs[0], relay[0], &p);
	device_new(recs[1], relay[1], &p);
	make_list(dl, &p, 1, NULL, recs, 2);
	memcpy(h1, dl->hash, 32);
	assert_int_equal(devlist_apply(&f.d, dl), 2);

	make_list(dl, &p, UINT64_MAX, h1, recs, 2);
	assert_int_equal(devlist_apply(&f.d, dl), ATT_ETOOFAR);
	make_list(dl, &p, 3, h1, recs, 2);                 /* seq 2 skipped */
	assert_int_equal(devlist_apply(&f.d, dl), ATT_ETOOFAR);
	randombytes_buf(bogus, 32);
	make_list(dl, &p, 2, bogus, recs, 2);              /* not after list 1 */
	assert_int_equal(devlist_apply(&f.d, dl), ATT_EEXIST);
	assert_int_equal(devlist_forked(&f.d, p.pk), 1);

	/* The honest revocation, seq 2 after list 1, still applies. */
	make_list(dl, &p, 2, h1, recs, 1);
	assert_true(devlist_apply(&f.d, dl) >= 0);
	assert_int_equal(store_device_get(f.d.store, relay[1], &dev), 0);
	assert_int_equal(dev.revoked, 1);
	fixture_close(&f);
	free(dl);
}

/* Two different lists with one seq: the first applied stays, the other is kept and reported. */
static void
test_fork(void **state)
{
	struct fixture f;
	struct person p;
	uint8_t recs[3][X3DH_DEVREC_LEN], relay[3][32], h1[32];
	struct devlist *dl = malloc(sizeof *dl);
	struct store_device dev;
	uint8_t *kept = NULL;
	size_t kept_len = 0;

	(void)state;
	fixture_open(&f, "devlist_fork");
	person_new(&p);
	device_new(recs[0], relay[0], &p);
	device_new(recs[1], relay[1], &p);
	device_new(recs[2], relay[2], &p);
	make_list(dl, &p, 1, NULL, recs, 2);
	memcpy(h1, dl->hash, 32);
	assert_int_equal(devlist_apply(&f.d, dl), 2);
	make_list(dl, &p, 2, h1, recs, 1);                 /* revokes device 1 */
	assert_int_equal(devlist_apply(&f.d, dl), 0);
	assert_int_equal(devlist_forked(&f.d, p.pk), 0);
	make_list(dl, &p, 2, h1, recs, 3);                 /* the same seq, other content */
	assert_int_equal(devlist_apply(&f.d, dl), ATT_EEXIST);
	assert_int_equal(devlist_forked(&f.d, p.pk), 1);
	assert_int_equal(devlist_fork_get(&f.d, p.pk, &kept, &kept_len), 0);
	assert_true(kept_len > 0);
	store_blob_free(kept, kept_len);
	assert_int_equal(store_device_get(f.d.store, relay[1], &dev), 0);
	assert_int_equal(dev.revoked, 1);                  /* a revoked device stays revoked */
	assert_int_equal(store_device_get(f.d.store, relay[2], &dev), ATT_ENOTFOUND);
	fixture_close(&f);
	free(dl);
}

/*
 * Attack 4: Jo's list claims one of Sam's device keys. Sam's later list
 * (here: the one revoking another of Sam's devices) used to be refused
 * whole; now the conflicting entry is skipped with a warning and the rest
 * applies.
 */
static void
test_squat_skips_entry(void **state)
{
	struct fixture f;
	struct person sam, jo;
	uint8_t srec[3][X3DH_DEVREC_LEN], srelay[3][32], jrec[1][X3DH_DEVREC_LEN], jrelay[32];
	struct x3dh_devrec squat;
	struct devlist *dl = malloc(sizeof *dl);
	struct store_device dev;

	(void)state;
	fixture_open(&f, "devlist_squat");
	person_new(&sam);
	person_new(&jo);
	device_new(srec[0], srelay[0], &sam);
	device_new(srec[1], srelay[1], &sam);
	device_new(srec[2], srelay[2], &sam);
	/* Jo claims Sam's third device's relay key first. */
	memcpy(squat.person_pk, jo.pk, 32);
	randombytes_buf(squat.sign_pk, 32);
	randombytes_buf(squat.dh_pk, 32);
	memcpy(squat.relay_pk, srelay[2], 32);
	squat.created = 1700000000;
	assert_int_equal(x3dh_devrec_make(jrec[0], &squat, jo.sk), 0);
	memcpy(jrelay, srelay[2], 32);
	make_list(dl, &jo, 1, NULL, jrec, 1);
	assert_int_equal(devlist_apply(&f.d, dl), 1);
	/* Sam's list with all three devices: the squatted entry is skipped, the others apply. */
	make_list(dl, &sam, 1, NULL, srec, 3);
	assert_int_equal(devlist_apply(&f.d, dl), 2);
	assert_int_equal(store_device_get(f.d.store, srelay[0], &dev), 0);
	assert_memory_equal(dev.person, sam.pk, 32);
	assert_int_equal(store_device_get(f.d.store, jrelay, &dev), 0);
	assert_memory_equal(dev.person, jo.pk, 32);
	fixture_close(&f);
	free(dl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_wrong_person),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_freeze_and_skip),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_squat_skips_entry),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("devlist", tests, NULL, NULL);
}
