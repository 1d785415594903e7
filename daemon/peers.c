/*
 * Per peer device sessions: load/new, encrypt into the outbox, decrypt.
 * Sessions are loaded from the store for every message and saved in the
 * caller's transaction, never cached: the store is the one truth, so a
 * crash between two steps cannot leave memory and disk disagreeing.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/session.h"
#include "proto/x3dh.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "daemon/peers.h"

int
peers_device(struct daemon *d, const uint8_t relay[32], struct store_device *out,
             uint8_t dh_pk[32], uint8_t sign_pk[32])
{
	struct x3dh_devrec rec;
	int r;

	r = store_device_get(d->store, relay, out);
	if (r < 0)
		return r;
	r = x3dh_devrec_verify(&rec, out->record, out->record_len, out->person);
	if (r < 0)
		return r;
	if (sodium_memcmp(rec.relay_pk, relay, 32) != 0)
		return ATT_EAUTH;
	memcpy(dh_pk, rec.dh_pk, 32);
	memcpy(sign_pk, rec.sign_pk, 32);
	return 0;
}

/* The stored session with relay, or a new empty one bound to its record. */
static int
peers_session(struct daemon *d, const uint8_t relay[32], struct session **out)
{
	struct store_device dev;
	uint8_t dh_pk[32], sign_pk[32], *blob = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	r = store_session_load(d->store, relay, &blob, &len);
	if (r == 0) {
		r = session_load(out, blob, len);
		store_blob_free(blob, len);
		return r;
	}
	if (r != ATT_ENOTFOUND)
		return r;
	r = peers_device(d, relay, &dev, dh_pk, sign_pk);
	if (r < 0)
		return r;
	*out = session_new(keys_dh_pk(d->keys), dh_pk, sign_pk);
	return *out == NULL ? ATT_ENOMEM : 0;
}

static int
peers_save(struct daemon *d, const uint8_t relay[32], const struct session *s)
{
	size_t cap = session_save_size(s);
	uint8_t *buf = malloc(cap);
	int n, r;

	if (buf == NULL)
		return ATT_ENOMEM;
	n = session_save(s, buf, cap);
	r = n < 0 ? n : store_session_save(d->store, relay, buf, (size_t)n);
	sodium_memzero(buf, cap);
	free(buf);
	return r;
}

int
peers_ready(struct daemon *d, const uint8_t to[32])
{
	struct session *s;
	int r = peers_session(d, to, &s);

	if (r < 0)
		return r;
	r = session_ready(s);
	session_free(s);
	return r;
}

/* Encrypts with s and queues the envelope; the caller saves s. */
static int
peers_encrypt_queue(struct daemon *d, struct session *s, const uint8_t to[32],
                    const uint8_t *pt, size_t len)
{
	size_t cap = session_envelope_max(len);
	uint8_t *env;
	int n, r;

	if (cap == 0)
		return ATT_ETOOBIG;
	env = malloc(cap);
	if (env == NULL)
		return ATT_ENOMEM;
	n = session_encrypt(s, env, cap, pt, len);
	r = n < 0 ? n : store_outbox_add(d->store, to, env, (size_t)n, NULL);
	free(env);
	return r;
}

int
peers_queue_final(struct daemon *d, const uint8_t to[32], const uint8_t *pt, size_t len)
{
	struct session *s;
	size_t cap = session_envelope_max(len);
	uint8_t *env;
	int n, r;

	if (len > PEERS_PT_MAX || cap == 0)
		return ATT_ETOOBIG;
	r = peers_session(d, to, &s);
	if (r < 0)
		return r;
	if (!session_ready(s)) {
		session_free(s);
		return ATT_ESTATE;
	}
	env = malloc(cap + 1);
	if (env == NULL) {
		session_free(s);
		return ATT_ENOMEM;
	}
	env[0] = PEERS_FINAL;
	n = session_encrypt(s, env + 1, cap, pt, len);
	r = n < 0 ? n : store_outbox_add(d->store, to, env, (size_t)n + 1, NULL);
	if (r >= 0)
		r = peers_save(d, to, s);
	free(env);
	session_free(s);
	return r < 0 ? r : 0;
}

int
peers_queue(struct daemon *d, const uint8_t to[32], const uint8_t *pt, size_t len)
{
	struct session *s;
	uint8_t *item;
	int r;

	if (len > PEERS_PT_MAX)
		return ATT_ETOOBIG;
	r = peers_session(d, to, &s);
	if (r < 0)
		return r;
	if (session_ready(s)) {
		r = peers_encrypt_queue(d, s, to, pt, len);
		if (r >= 0)
			r = peers_save(d, to, s);
		session_free(s);
		return r < 0 ? r : 0;
	}
	session_free(s);
	item = malloc(len + 1);
	if (item == NULL)
		return ATT_ENOMEM;
	item[0] = PEERS_PENDING;
	memcpy(item + 1, pt, len);
	r = store_outbox_add(d->store, to, item, len + 1, NULL);
	sodium_memzero(item, len + 1);
	free(item);
	return r < 0 ? r : 0;
}

int
peers_initiate(struct daemon *d, const uint8_t to[32], const uint8_t *spk, size_t spk_len,
               const uint8_t *otk, size_t otk_len)
{
	struct session *s;
	int r = peers_session(d, to, &s);

	if (r < 0)
		return r;
	r = session_initiate(s, keys_dh_sk(d->keys), spk, spk_len, otk, otk_len);
	if (r >= 0)
		r = peers_save(d, to, s);
	session_free(s);
	return r < 0 ? r : 0;
}

int
peers_seal_pending(struct daemon *d, const struct store_outbox_item *it)
{
	struct session *s;
	int r;

	if (it->len < 1 || it->env[0] != PEERS_PENDING)
		return ATT_EINVAL;
	r = peers_session(d, it->to, &s);
	if (r < 0)
		return r;
	if (!session_ready(s)) {
		session_free(s);
		return ATT_ESTATE;
	}
	r = peers_encrypt_queue(d, s, it->to, it->env + 1, it->len - 1);
	if (r >= 0)
		r = peers_save(d, it->to, s);
	if (r >= 0)
		r = store_outbox_remove(d->store, it->seq);
	session_free(s);
	return r < 0 ? r : 0;
}

/* session_prekey_fn: our own prekey secrets, from the store. */
static int
peers_prekey_lookup(void *arg, uint32_t spk_id, uint8_t spk_sk[static 32],
                    uint32_t otk_id, uint8_t otk_sk[static 32])
{
	struct daemon *d = arg;
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	if (!(spk_id & PEERS_SPK_BIT))
		return ATT_ENOTFOUND;
	r = store_prekey_get(d->store, spk_id, &blob, &len);
	if (r < 0)
		return ATT_ENOTFOUND;
	if (len < 32) {
		store_blob_free(blob, len);
		return ATT_ENOTFOUND;
	}
	memcpy(spk_sk, blob, 32);
	store_blob_free(blob, len);
	if (otk_id == X3DH_NO_OTK)
		return 0;
	if (otk_id & PEERS_SPK_BIT)
		return ATT_ENOTFOUND;
	r = store_prekey_get(d->store, otk_id, &blob, &len);
	if (r < 0 || len < 32) {
		if (r >= 0)
			store_blob_free(blob, len);
		sodium_memzero(spk_sk, 32);
		return ATT_ENOTFOUND;
	}
	memcpy(otk_sk, blob, 32);
	store_blob_free(blob, len);
	return 0;
}

int
peers_open(struct daemon *d, const struct store_device *dev, const uint8_t *env, size_t len,
           uint8_t *pt, size_t cap, struct session **out, uint32_t *otk_used)
{
	struct session *s;
	int r;

	*out = NULL;
	*otk_used = X3DH_NO_OTK;
	r = peers_session(d, dev->relay, &s);
	if (r < 0)
		return r;
	r = session_decrypt(s, pt, cap, env, len, keys_dh_sk(d->keys), peers_prekey_lookup, d,
	                    otk_used);
	if (r < 0) {
		session_free(s);
		return r;
	}
	*out = s;
	return r;
}

int
peers_commit(struct daemon *d, const uint8_t relay[32], struct session *s, uint32_t otk_used)
{
	int r = peers_save(d, relay, s);

	if (r >= 0 && otk_used != X3DH_NO_OTK) {
		int e = store_prekey_remove(d->store, otk_used);

		if (e < 0 && e != ATT_ENOTFOUND)
			r = e;
	}
	session_free(s);
	return r < 0 ? r : 0;
}
