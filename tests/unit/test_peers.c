/*
 * Per device sessions in the daemon (daemon/peers.c) between two devices,
 * each with real keys and a real store: a message queued before the session
 * exists waits as a pending outbox item, is sealed once the prekey bundle is
 * in, opens on the other side (consuming the one-time prekey), is refused
 * when replayed or tampered (leaving the stored session as it was), and the
 * answer goes back on the same session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/envelope.h"
#include "proto/session.h"
#include "proto/x3dh.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "daemon/peers.h"
#include "tests/unit/tutil.h"

struct dev {
	struct daemon d;
	char *dir;
	uint8_t rec[X3DH_DEVREC_LEN];
	uint8_t spk[X3DH_SPK_LEN], otk[X3DH_OTK_LEN];
};

static void
dev_open(struct dev *v, const char *name)
{
	struct x3dh_devrec r;
	char path[512];
	uint8_t sk[32 + X3DH_SPK_LEN];

	memset(v, 0, sizeof *v);
	v->dir = tutil_tmpdir(name);
	snprintf(path, sizeof path, "%s/keys", v->dir);
	assert_int_equal(keys_create(&v->d.keys, path, NULL), 0);
	snprintf(path, sizeof path, "%s/store.db", v->dir);
	assert_int_equal(store_open(&v->d.store, path, keys_storage(v->d.keys)), 0);
	memcpy(r.person_pk, keys_person_pk(v->d.keys), 32);
	memcpy(r.sign_pk, keys_sign_pk(v->d.keys), 32);
	memcpy(r.dh_pk, keys_dh_pk(v->d.keys), 32);
	memcpy(r.relay_pk, keys_relay_pk(v->d.keys), 32);
	r.created = (uint64_t)time(NULL);
	assert_int_equal(x3dh_devrec_make(v->rec, &r, keys_person_sk(v->d.keys)), 0);
	/* Its prekeys: secrets in its store (as sync.c keeps them), records to "publish". */
	assert_int_equal(x3dh_spk_make(v->spk, sk, PEERS_SPK_BIT | 7, r.created,
	                 keys_sign_sk(v->d.keys)), 0);
	memcpy(sk + 32, v->spk, X3DH_SPK_LEN);
	assert_int_equal(store_prekey_put(v->d.store, PEERS_SPK_BIT | 7, sk, sizeof sk), 0);
	assert_int_equal(x3dh_otk_make(v->otk, sk, 5, keys_sign_sk(v->d.keys)), 0);
	assert_int_equal(store_prekey_put(v->d.store, 5, sk, 32), 0);
	sodium_memzero(sk, sizeof sk);
}

/* v learns w's device (as pairing would). */
static void
dev_know(struct dev *v, const struct dev *w)
{
	struct store_device sd;

	memset(&sd, 0, sizeof sd);
	memcpy(sd.relay, keys_relay_pk(w->d.keys), 32);
	memcpy(sd.person, keys_person_pk(w->d.keys), 32);
	sd.record_len = X3DH_DEVREC_LEN;
	memcpy(sd.record, w->rec, X3DH_DEVREC_LEN);
	assert_int_equal(store_device_put(v->d.store, &sd), 0);
}

static void
dev_close(struct dev *v)
{
	store_close(v->d.store);
	keys_free(v->d.keys);
	free(v->dir);
}

/* The single outbox item of v (asserts there is exactly one). */
static void
one_item(struct dev *v, struct store_outbox_item **items)
{
	size_t n = 0;

	assert_int_equal(store_outbox_list(v->d.store, 10, items, &n), 0);
	assert_int_equal(n, 1);
}

static void
session_blob(struct dev *v, const uint8_t peer[32], uint8_t **b, size_t *len)
{
	assert_int_equal(store_session_load(v->d.store, peer, b, len), 0);
}

static void
test_pending_then_sealed_then_opened(void **state)
{
	struct dev a, b;
	struct store_outbox_item *it = NULL;
	struct store_device da, db;
	struct session *s = NULL;
	uint8_t dh[32], sg[32], pt[ENVELOPE_MAX], *before, *after, *env;
	size_t blen, alen, elen;
	uint32_t otk;
	uint8_t *tmp = NULL;
	size_t tlen;
	int n;

	(void)state;
	dev_open(&a, "peers_a");
	dev_open(&b, "peers_b");
	dev_know(&a, &b);
	dev_know(&b, &a);
	assert_int_equal(peers_device(&a.d, keys_relay_pk(b.d.keys), &db, dh, sg), 0);
	assert_memory_equal(dh, keys_dh_pk(b.d.keys), 32);
	assert_int_equal(peers_device(&b.d, keys_relay_pk(a.d.keys), &da, dh, sg), 0);

	/* No session yet: the message waits, sealed by the store, marked pending. */
	assert_int_equal(peers_ready(&a.d, keys_relay_pk(b.d.keys)), 0);
	assert_int_equal(peers_queue(&a.d, keys_relay_pk(b.d.keys), (const uint8_t *)"hello", 5), 0);
	one_item(&a, &it);
	assert_int_equal(it[0].env[0], PEERS_PENDING);
	assert_int_equal(peers_seal_pending(&a.d, &it[0]), ATT_ESTATE);

	/* The bundle arrives: the session starts and the item becomes an envelope. */
	assert_int_equal(peers_initiate(&a.d, keys_relay_pk(b.d.keys), b.spk, sizeof b.spk,
	                 b.otk, sizeof b.otk), 0);
	assert_int_equal(peers_ready(&a.d, keys_relay_pk(b.d.keys)), 1);
	assert_int_equal(peers_seal_pending(&a.d, &it[0]), 0);
	store_outbox_free(it, 1);
	one_item(&a, &it);
	assert_int_equal(it[0].env[0], ENVELOPE_VERSION);
	assert_memory_equal(it[0].to, keys_relay_pk(b.d.keys), 32);
	elen = it[0].len;
	env = malloc(elen);
	memcpy(env, it[0].env, elen);
	store_outbox_free(it, 1);

	/* A tampered envelope is refused and stores nothing. */
	env[elen - 1] ^= 1;
	n = peers_open(&b.d, &da, env, elen, pt, sizeof pt, &s, &otk);
	assert_true(n < 0);
	assert_null(s);
	assert_int_equal(store_session_load(b.d.store, keys_relay_pk(a.d.keys), &tmp, &tlen),
	                 ATT_ENOTFOUND);
	env[elen - 1] ^= 1;

	/* B opens it, consuming its one-time prekey. */
	n = peers_open(&b.d, &da, env, elen, pt, sizeof pt, &s, &otk);
	assert_int_equal(n, 5);
	assert_memory_equal(pt, "hello", 5);
	assert_int_equal(otk, 5);
	assert_int_equal(peers_commit(&b.d, keys_relay_pk(a.d.keys), s, otk), 0);
	assert_int_equal(store_prekey_get(b.d.store, 5, &tmp, &tlen), ATT_ENOTFOUND);

	/* The same envelope again (the relay delivers at least once): a replay, nothing changes. */
	session_blob(&b, keys_relay_pk(a.d.keys), &before, &blen);
	n = peers_open(&b.d, &da, env, elen, pt, sizeof pt, &s, &otk);
	assert_int_equal(n, ATT_EREPLAY);   /* sync.c acks it as a duplicate */
	session_blob(&b, keys_relay_pk(a.d.keys), &after, &alen);
	assert_int_equal(blen, alen);
	assert_memory_equal(before, after, blen);
	store_blob_free(before, blen);
	store_blob_free(after, alen);
	free(env);

	/* B answers on the session it now has; A opens it. */
	assert_int_equal(peers_ready(&b.d, keys_relay_pk(a.d.keys)), 1);
	assert_int_equal(peers_queue(&b.d, keys_relay_pk(a.d.keys), (const uint8_t *)"hi back", 7), 0);
	one_item(&b, &it);
	assert_int_equal(it[0].env[0], ENVELOPE_VERSION);
	n = peers_open(&a.d, &db, it[0].env, it[0].len, pt, sizeof pt, &s, &otk);
	assert_int_equal(n, 7);
	assert_memory_equal(pt, "hi back", 7);
	assert_int_equal(otk, X3DH_NO_OTK);
	assert_int_equal(peers_commit(&a.d, keys_relay_pk(b.d.keys), s, otk), 0);
	store_outbox_free(it, 1);

	/* Too large a plaintext is refused before anything is queued. */
	assert_int_equal(peers_queue(&a.d, keys_relay_pk(b.d.keys), pt, PEERS_PT_MAX + 1), ATT_ETOOBIG);

	dev_close(&a);
	dev_close(&b);
}

/* A device whose record is not signed by the person it is filed under is refused. */
static void
test_bad_record(void **state)
{
	struct dev a, b;
	struct store_device sd, out;
	uint8_t dh[32], sg[32];

	(void)state;
	dev_open(&a, "peers_bad_a");
	dev_open(&b, "peers_bad_b");
	memset(&sd, 0, sizeof sd);
	memcpy(sd.relay, keys_relay_pk(b.d.keys), 32);
	memcpy(sd.person, keys_person_pk(a.d.keys), 32);   /* wrong person */
	sd.record_len = X3DH_DEVREC_LEN;
	memcpy(sd.record, b.rec, X3DH_DEVREC_LEN);
	assert_int_equal(store_device_put(a.d.store, &sd), 0);
	assert_true(peers_device(&a.d, keys_relay_pk(b.d.keys), &out, dh, sg) < 0);
	assert_true(peers_queue(&a.d, keys_relay_pk(b.d.keys), (const uint8_t *)"x", 1) < 0);
	assert_true(peers_ready(&a.d, (const uint8_t *)"unknown device key, 32 bytes...") < 0);
	dev_close(&a);
	dev_close(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_then_sealed_then_opened),
		cmocka_unit_test(test_bad_record),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("peers", tests, NULL, NULL);
}
