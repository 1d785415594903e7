/*
 * The new device's link introduction (daemon/intro.c), as the identity
 * device takes it in: any msgpack into intro_take_newdev. It must never
 * certify a device whose self-signature or PAKE binding does not hold, and
 * never a key already known. The daemon (keys and store) lives in a
 * folder under $BUILD/tmp (default build/tmp) made on the first input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>

#include "daemon/ctx.h"
#include "daemon/intro.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "proto/err.h"
#include "proto/msg.h"
#include "proto/x3dh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct daemon *
daemon_once(void)
{
	static struct daemon d;
	static int ready;
	const char *build = getenv("BUILD");
	char dir[1024], keys[1100], db[1100];

	if (ready)
		return &d;
	CHECK(sodium_init() >= 0);
	snprintf(dir, sizeof dir, "%s/tmp", build != NULL && *build ? build : "build");
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s/tmp/fuzz_intro.XXXXXX", build != NULL && *build ? build : "build");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(keys, sizeof keys, "%s/keys", dir);
	snprintf(db, sizeof db, "%s/store.db", dir);
	CHECK(keys_create(&d.keys, keys, NULL) == 0);
	CHECK(store_open(&d.store, db, keys_storage(d.keys)) == 0);
	ready = 1;
	return &d;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon *d = daemon_once();
	struct store_device dev;
	struct x3dh_devrec rec;
	struct msg *m = NULL;
	const uint8_t *sign;
	int r;

	if (msg_parse(data, size, NULL, &m, NULL) < 0)
		return 0;
	/* The PAKE identity is taken from the input's own "sign" when it has one. */
	if (msg_get_bin_exact(msg_root(m), "sign", 32, &sign) < 0)
		sign = NULL;
	r = intro_take_newdev(d, sign, msg_root(m), &dev);
	if (r == 0) {
		CHECK(dev.record_len == X3DH_DEVREC_LEN);
		CHECK(x3dh_devrec_verify(&rec, dev.record, dev.record_len, keys_person_pk(d->keys)) == 0);
		CHECK(memcmp(rec.sign_pk, sign, 32) == 0);
		CHECK(store_device_get(d->store, rec.relay_pk, &dev) == ATT_ENOTFOUND);
	}
	msg_free(m);
	return 0;
}
