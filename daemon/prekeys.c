/*
 * Registration, our prekeys and the peers' bundles (see prekeys.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/msg.h"
#include "proto/x3dh.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/peers.h"
#include "daemon/prekeys.h"
#include "daemon/relayconn.h"
#include "daemon/store.h"
#include "daemon/sync.h"

#define PREKEYS_OTK_LOW 10
#define PREKEYS_OTK_BATCH 40
#define PREKEYS_FETCH_MAX 16
/* The signed prekey is replaced weekly; the previous one is kept for a week of stragglers. */
#define PREKEYS_SPK_ROTATE (7 * 86400)

struct prekeys_fetch {
	struct sync *s;
	int busy;
	uint8_t dev[32];
};

struct prekeys {
	int registered;
	int registering;
	int busy;                  /* a prekeys or prekey_count request is in flight */
	int otk_dirty;
	uint64_t checked;          /* when prekey_count was last asked (s) */
	int sessions_retry;
	struct prekeys_fetch fetch[PREKEYS_FETCH_MAX];
};

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

struct prekeys *
prekeys_new(struct sync *s)
{
	(void)s;
	return calloc(1, sizeof(struct prekeys));
}

void
prekeys_free(struct prekeys *pk)
{
	free(pk);
}

static void prekeys_registered_now(struct sync *s);

static void
on_register_reply(void *arg, const struct msg *reply)
{
	struct sync *s = arg;
	struct prekeys *pk = sync_prekeys(s);

	pk->registering = 0;
	if (reply == NULL)
		return;
	if (!msg_is_type(reply, "ok")) {
		char code[40];

		fprintf(stderr, "attuned: the relay refused this device's invite (%.*s): "
		        "ask for a new one with `attune-relay invite`, or pair again\n",
		        sync_reply_code_len(reply), sync_reply_code(reply));
		/* Kept for `attune status` and `attune init`, which say why (issue 13). */
		snprintf(code, sizeof(code), "%.*s", sync_reply_code_len(reply) < 39 ?
		    sync_reply_code_len(reply) : 39, sync_reply_code(reply));
		store_kv_set_str(sync_daemon(s)->store, SYNC_KV_REFUSED, code);
		return;
	}
	store_kv_del(sync_daemon(s)->store, SYNC_KV_REFUSED);
	store_kv_set_str(sync_daemon(s)->store, SYNC_KV_REGISTERED, "1");
	store_kv_del(sync_daemon(s)->store, SYNC_KV_INVITE);
	fprintf(stderr, "attuned: registered at the relay\n");
	prekeys_registered_now(s);
}

static void
prekeys_register(struct sync *s)
{
	struct prekeys *pk = sync_prekeys(s);
	char invite[256];
	struct msg_out o;
	uint64_t id;

	if (pk->registering || sync_daemon(s)->store == NULL)
		return;
	if (store_kv_get_str(sync_daemon(s)->store, SYNC_KV_INVITE, invite, sizeof invite) < 0) {
		fprintf(stderr, "attuned: connected, but this device is not registered at the relay "
		        "and has no invite: pair with a partner or give `attune init --invite`\n");
		return;
	}
	msg_out_init(&o);
	id = relayconn_next_id(sync_relayconn(s));
	msg_out_begin(&o, "register", id, 1);
	msg_out_str(&o, "invite", invite);
	if (relayconn_request(sync_relayconn(s), &o, id, on_register_reply, s) == 0)
		pk->registering = 1;
	msg_out_free(&o);
	sodium_memzero(invite, sizeof invite);
}

/* 1 when the signed prekey is older than PREKEYS_SPK_ROTATE (or its age is unknown). */
static int
prekeys_spk_due(struct sync *s)
{
	uint64_t ts = sync_kv_get_uint(s, "spk_ts", 0);

	return ts == 0 || now_s() >= ts + PREKEYS_SPK_ROTATE;
}

/* Makes count fresh one-time prekeys (and the signed prekey if none) and publishes them. */
static void
on_prekeys_reply(void *arg, const struct msg *reply)
{
	struct sync *s = arg;
	struct prekeys *pk = sync_prekeys(s);

	pk->busy = 0;
	if (reply != NULL && !msg_is_type(reply, "ok"))
		fprintf(stderr, "attuned: the relay refused our prekeys (%.*s)\n",
		        sync_reply_code_len(reply), sync_reply_code(reply));
}

static int
prekeys_publish(struct sync *s, size_t count)
{
	struct prekeys *pk = sync_prekeys(s);
	struct daemon *d = sync_daemon(s);
	uint8_t *blob = NULL, (*otks)[X3DH_OTK_LEN] = NULL, spk_rec[X3DH_SPK_LEN];
	uint8_t sk[32 + X3DH_SPK_LEN];
	size_t blen = 0, i;
	uint32_t spk_id, otk_next;
	struct msg_out o;
	uint64_t id;
	int r;

	if (count > PREKEYS_OTK_BATCH)
		count = PREKEYS_OTK_BATCH;
	otks = calloc(count ? count : 1, X3DH_OTK_LEN);
	if (otks == NULL)
		return ATT_ENOMEM;
	r = store_begin(d->store);
	if (r < 0)
		goto out;
	spk_id = (uint32_t)sync_kv_get_uint(s, "spk", 0);
	if (spk_id != 0 && !prekeys_spk_due(s) &&
	    store_prekey_get(d->store, spk_id, &blob, &blen) == 0 && blen == sizeof sk) {
		memcpy(spk_rec, blob + 32, X3DH_SPK_LEN);
	} else {
		uint32_t prev = (uint32_t)sync_kv_get_uint(s, "spk_prev", 0);

		/* Forget the one before the current; the current stays as "previous". */
		if (prev != 0 && prev != spk_id)
			store_prekey_remove(d->store, prev);
		if (spk_id != 0)
			sync_kv_uint(s, "spk_prev", spk_id);
		spk_id = PEERS_SPK_BIT | (uint32_t)(randombytes_uniform(0x7ffffffe) + 1);
		r = x3dh_spk_make(spk_rec, sk, spk_id, now_s(), keys_sign_sk(d->keys));
		if (r >= 0) {
			memcpy(sk + 32, spk_rec, X3DH_SPK_LEN);
			r = store_prekey_put(d->store, spk_id, sk, sizeof sk);
		}
		if (r >= 0) {
			sync_kv_uint(s, "spk", spk_id);
			sync_kv_uint(s, "spk_ts", now_s());
		}
	}
	if (blob != NULL)
		store_blob_free(blob, blen);
	otk_next = (uint32_t)sync_kv_get_uint(s, "otk_next", 1);
	for (i = 0; r >= 0 && i < count; i++) {
		uint32_t oid = otk_next++;

		if (oid >= PEERS_SPK_BIT)
			oid = otk_next = 1;
		r = x3dh_otk_make(otks[i], sk, oid, keys_sign_sk(d->keys));
		if (r >= 0)
			r = store_prekey_put(d->store, oid, sk, 32);
	}
	sodium_memzero(sk, sizeof sk);
	if (r >= 0)
		sync_kv_uint(s, "otk_next", otk_next);
	if (r < 0) {
		store_rollback(d->store);
		goto out;
	}
	r = store_commit(d->store);
	if (r < 0)
		goto out;
	msg_out_init(&o);
	id = relayconn_next_id(sync_relayconn(s));
	msg_out_begin(&o, "prekeys", id, 2);
	msg_out_bin(&o, "spk", spk_rec, X3DH_SPK_LEN);
	msg_out_key(&o, "otks");
	msgpack_pack_array(&o.pk, count);
	for (i = 0; i < count; i++) {
		msgpack_pack_bin(&o.pk, X3DH_OTK_LEN);
		msgpack_pack_bin_body(&o.pk, otks[i], X3DH_OTK_LEN);
	}
	r = relayconn_request(sync_relayconn(s), &o, id, on_prekeys_reply, s);
	if (r == 0)
		pk->busy = 1;
	msg_out_free(&o);
out:
	free(otks);
	return r;
}

static void
on_prekey_count(void *arg, const struct msg *reply)
{
	struct sync *s = arg;
	struct prekeys *pk = sync_prekeys(s);
	uint64_t n = 0;

	pk->busy = 0;
	if (reply == NULL)
		return;
	if (!msg_is_type(reply, "prekey_count") ||
	    msg_get_uint(msg_root(reply), "n", 1u << 20, &n) < 0)
		n = 0;
	if (n < PREKEYS_OTK_LOW || sync_kv_get_uint(s, "spk", 0) == 0 || prekeys_spk_due(s)) {
		int r = prekeys_publish(s, n < PREKEYS_OTK_BATCH ? PREKEYS_OTK_BATCH - (size_t)n : 0);

		if (r < 0)
			fprintf(stderr, "attuned: cannot publish prekeys: %s\n", att_strerror(r));
	}
}

static void
prekeys_check(struct sync *s)
{
	struct prekeys *pk = sync_prekeys(s);
	struct msg_out o;
	uint64_t id;

	if (pk->busy || !sync_registered(s))
		return;
	pk->otk_dirty = 0;
	pk->checked = now_s();
	msg_out_init(&o);
	id = relayconn_next_id(sync_relayconn(s));
	msg_out_begin(&o, "prekey_count", id, 0);
	if (relayconn_request(sync_relayconn(s), &o, id, on_prekey_count, s) == 0)
		pk->busy = 1;
	msg_out_free(&o);
}

static void
prekeys_registered_now(struct sync *s)
{
	struct prekeys *pk = sync_prekeys(s);

	pk->registered = 1;
	prekeys_check(s);
	prekeys_sessions_start(s, NULL);
	sync_resync(s);
	sync_flush_soon(s);
}

/* ---- prekey bundles of peer devices ---- */

static void
on_bundle(void *arg, const struct msg *reply)
{
	struct prekeys_fetch *f = arg;
	struct sync *s = f->s;
	struct prekeys *pk = sync_prekeys(s);
	const uint8_t *spk = NULL, *otk = NULL;
	size_t spk_len = 0, otk_len = 0;
	char dev[KEYS_DEVICE_ID_LEN + 1];
	int r;

	f->busy = 0;
	if (reply == NULL || sync_daemon(s)->store == NULL)
		return;
	keys_device_id_of(f->dev, dev);
	if (!msg_is_type(reply, "prekey_bundle") ||
	    msg_get_bin(msg_root(reply), "spk", 1024, &spk, &spk_len) < 0) {
		fprintf(stderr, "attuned: no prekeys for device %s yet (%.*s); will retry\n", dev,
		        sync_reply_code_len(reply), sync_reply_code(reply));
		pk->sessions_retry = 1;
		sync_retry_later(s);
		return;
	}
	if (msg_get_bin(msg_root(reply), "otk", 1024, &otk, &otk_len) < 0) {
		otk = NULL;
		otk_len = 0;
	}
	r = store_begin(sync_daemon(s)->store);
	if (r >= 0) {
		r = peers_ready(sync_daemon(s), f->dev);
		if (r == 0)
			r = peers_initiate(sync_daemon(s), f->dev, spk, spk_len, otk, otk_len);
		if (r >= 0)
			r = store_commit(sync_daemon(s)->store);
		else
			store_rollback(sync_daemon(s)->store);
	}
	if (r < 0)
		fprintf(stderr, "attuned: cannot start a session with device %s: %s\n", dev,
		        att_strerror(r));
	sync_flush_soon(s);
}

void
prekeys_fetch_bundle(struct sync *s, const uint8_t dev[32])
{
	struct prekeys *pk = sync_prekeys(s);
	struct prekeys_fetch *f = NULL;
	struct msg_out o;
	uint64_t id;
	size_t i;

	for (i = 0; i < PREKEYS_FETCH_MAX; i++) {
		if (pk->fetch[i].busy && memcmp(pk->fetch[i].dev, dev, 32) == 0)
			return;
		if (!pk->fetch[i].busy && f == NULL)
			f = &pk->fetch[i];
	}
	if (f == NULL)
		return;
	memcpy(f->dev, dev, 32);
	f->s = s;
	msg_out_init(&o);
	id = relayconn_next_id(sync_relayconn(s));
	msg_out_begin(&o, "prekey_get", id, 1);
	msg_out_bin(&o, "dev", dev, 32);
	if (relayconn_request(sync_relayconn(s), &o, id, on_bundle, f) == 0)
		f->busy = 1;
	msg_out_free(&o);
}

void
prekeys_sessions_start(struct sync *s, const uint8_t *person)
{
	struct store_device *devs = NULL;
	size_t n = 0, i;

	if (sync_daemon(s)->store == NULL || !sync_registered(s))
		return;
	if (store_device_list(sync_daemon(s)->store, person, &devs, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (devs[i].revoked || memcmp(devs[i].relay, keys_relay_pk(sync_daemon(s)->keys), 32) == 0)
			continue;
		if (peers_ready(sync_daemon(s), devs[i].relay) == 0)
			prekeys_fetch_bundle(s, devs[i].relay);
	}
	free(devs);
}


void
prekeys_on_up(struct sync *s, int registered)
{
	struct daemon *d = sync_daemon(s);
	struct prekeys *pk = sync_prekeys(s);

	pk->registered = 0;
	if (d->store == NULL)
		return;
	if (registered) {
		store_kv_set_str(d->store, SYNC_KV_REGISTERED, "1");
		prekeys_registered_now(s);
	} else {
		prekeys_register(s);
	}
}

void
prekeys_on_down(struct sync *s)
{
	struct prekeys *pk = sync_prekeys(s);

	pk->registered = 0;
	pk->registering = 0;
	pk->busy = 0;
}

int
prekeys_registered(const struct sync *s)
{
	return sync_prekeys(s)->registered;
}

void
prekeys_refresh(struct sync *s)
{
	struct prekeys *pk = sync_prekeys(s);

	if (pk->otk_dirty || now_s() > pk->checked + 86400)
		prekeys_check(s);
}

void
prekeys_otk_used(struct sync *s)
{
	sync_prekeys(s)->otk_dirty = 1;
}

int
prekeys_take_retry(struct sync *s)
{
	struct prekeys *pk = sync_prekeys(s);
	int r = pk->sessions_retry;

	pk->sessions_retry = 0;
	return r;
}
