/*
 * Link introductions (daemon/intro.c), issue 11 attacks 1 and 2: the person
 * secret key never travels; the new device's public keys travel inside the
 * sealed pairing channel, self-signed and bound to its PAKE identity; the
 * identity device certifies them and refuses a key it already knows (a
 * revoked device cannot come back); a linked device can neither link nor
 * publish a device list.
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
#include "proto/msg.h"
#include "proto/x3dh.h"
#include "daemon/ctx.h"
#include "daemon/devlist.h"
#include "daemon/intro.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "tests/unit/tutil.h"

struct fixture {
	struct daemon d;
	char *dir;
};

static void
fixture_open(struct fixture *f, const char *name, int linked)
{
	char keys[512], db[512];
	struct keys *k;
	uint8_t person[32];

	memset(f, 0, sizeof *f);
	f->dir = tutil_tmpdir(name);
	snprintf(keys, sizeof keys, "%s/keys", f->dir);
	snprintf(db, sizeof db, "%s/store.db", f->dir);
	if (linked) {
		randombytes_buf(person, 32);
		assert_int_equal(keys_new_device(&k), 0);
		assert_int_equal(keys_save_linked(k, keys, person), 0);
		keys_free(k);
		assert_int_equal(keys_load(&f->d.keys, keys), 0);
		assert_false(keys_is_identity(f->d.keys));
		assert_null(keys_person_sk(f->d.keys));
	} else {
		assert_int_equal(keys_create(&f->d.keys, keys, NULL), 0);
		assert_true(keys_is_identity(f->d.keys));
	}
	assert_int_equal(store_open(&f->d.store, db, keys_storage(f->d.keys)), 0);
	snprintf(f->d.name, sizeof f->d.name, "Alex");
}

static void
fixture_close(struct fixture *f)
{
	store_close(f->d.store);
	keys_free(f->d.keys);
	free(f->dir);
}

/* The new device's introduction, parsed. */
static struct msg *
newdev_intro(struct fixture *f, const struct keys *nd)
{
	struct msg_out o;
	struct msg *m = NULL;

	msg_out_init(&o);
	assert_int_equal(intro_build(&f->d, &o, 1, 0, "", "", 0, nd), 0);
	assert_int_equal(msg_parse(msg_out_data(&o), msg_out_len(&o), NULL, &m, NULL), 0);
	msg_out_free(&o);
	return m;
}

static void
test_certify(void **state)
{
	struct fixture f;
	struct keys *nd;
	struct msg *m;
	struct store_device dev;
	struct x3dh_devrec rec;
	uint8_t other[32];

	(void)state;
	fixture_open(&f, "intro_certify", 0);
	assert_int_equal(keys_new_device(&nd), 0);
	m = newdev_intro(&f, nd);
	/* Bound to the PAKE identity: someone else's PAKE cannot carry it. */
	randombytes_buf(other, 32);
	assert_int_equal(intro_take_newdev(&f.d, other, msg_root(m), &dev), ATT_EAUTH);
	assert_int_equal(intro_take_newdev(&f.d, NULL, msg_root(m), &dev), ATT_EAUTH);
	assert_int_equal(intro_take_newdev(&f.d, keys_sign_pk(nd), msg_root(m), &dev), 0);
	assert_int_equal(x3dh_devrec_verify(&rec, dev.record, dev.record_len, keys_person_pk(f.d.keys)), 0);
	assert_memory_equal(rec.relay_pk, keys_relay_pk(nd), 32);
	assert_memory_equal(rec.sign_pk, keys_sign_pk(nd), 32);
	/* Once known — and after a revocation — the same key is refused. */
	dev.revoked = 1;
	assert_int_equal(store_device_put(f.d.store, &dev), 0);
	assert_int_equal(intro_take_newdev(&f.d, keys_sign_pk(nd), msg_root(m), &dev), ATT_EEXIST);
	assert_int_equal(store_device_get(f.d.store, keys_relay_pk(nd), &dev), 0);
	assert_int_equal(dev.revoked, 1);
	msg_free(m);
	keys_free(nd);
	fixture_close(&f);
}

/* A self-signature that does not verify (keys swapped in transit) is refused. */
static void
test_tampered(void **state)
{
	struct fixture f;
	struct keys *nd, *evil;
	struct msg_out o;
	struct msg *m = NULL, *e = NULL;
	struct store_device dev;
	const uint8_t *sig;

	(void)state;
	fixture_open(&f, "intro_tamper", 0);
	assert_int_equal(keys_new_device(&nd), 0);
	assert_int_equal(keys_new_device(&evil), 0);
	m = newdev_intro(&f, nd);
	e = newdev_intro(&f, evil);
	/* nd's keys with evil's signature. */
	assert_int_equal(msg_get_bin_exact(msg_root(e), "sig", 64, &sig), 0);
	msg_out_init(&o);
	msg_out_begin(&o, "intro", 0, 6);
	msg_out_str(&o, "kind", "link");
	msg_out_bin(&o, "sign", keys_sign_pk(nd), 32);
	msg_out_bin(&o, "dh", keys_dh_pk(nd), 32);
	msg_out_bin(&o, "relay", keys_relay_pk(evil), 32);
	msg_out_uint(&o, "created", 1);
	msg_out_bin(&o, "sig", sig, 64);
	msg_free(m);
	assert_int_equal(msg_parse(msg_out_data(&o), msg_out_len(&o), NULL, &m, NULL), 0);
	assert_int_equal(intro_take_newdev(&f.d, keys_sign_pk(nd), msg_root(m), &dev), ATT_EAUTH);
	msg_out_free(&o);
	msg_free(m);
	msg_free(e);
	keys_free(nd);
	keys_free(evil);
	fixture_close(&f);
}

/* The identity device's link introduction carries no secret; a linked device has none to give. */
static void
test_no_person_secret(void **state)
{
	struct fixture f, l;
	struct msg_out o;
	struct msg *m = NULL;
	struct store_device dev;
	uint8_t buf[DEVLIST_MAX];
	const uint8_t *pk;
	struct keys *nd;

	(void)state;
	fixture_open(&f, "intro_nosecret", 0);
	msg_out_init(&o);
	assert_int_equal(intro_build(&f.d, &o, 1, 1, "attune://x", "", 0, NULL), 0);
	assert_int_equal(msg_parse(msg_out_data(&o), msg_out_len(&o), NULL, &m, NULL), 0);
	assert_int_equal(msg_get_bin_exact(msg_root(m), "person", 32, &pk), 0);
	assert_memory_equal(pk, keys_person_pk(f.d.keys), 32);
	assert_true(msg_get_bin_exact(msg_root(m), "person_sk", 64, &pk) < 0);
	assert_null(memmem(msg_out_data(&o), msg_out_len(&o), keys_person_sk(f.d.keys), 32));
	msg_free(m);
	msg_out_free(&o);

	fixture_open(&l, "intro_linked", 1);
	msg_out_init(&o);
	assert_int_equal(intro_build(&l.d, &o, 1, 1, "attune://x", "", 0, NULL), ATT_EPERM);
	msg_out_free(&o);
	assert_int_equal(devlist_own(&l.d, buf, sizeof buf, NULL), ATT_EPERM);
	assert_int_equal(keys_new_device(&nd), 0);
	m = newdev_intro(&l, nd);
	assert_int_equal(intro_take_newdev(&l.d, keys_sign_pk(nd), msg_root(m), &dev), ATT_EPERM);
	msg_free(m);
	keys_free(nd);
	fixture_close(&l);
	fixture_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certify),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_no_person_secret),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("intro", tests, NULL, NULL);
}
