/*
 * Signed device lists: make, verify, apply. See devlist.h for the format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/x3dh.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "daemon/devlist.h"

#define DEVLIST_DOMAIN "attune/1 devlist"
#define DEVLIST_HASH_DOMAIN "attune/1 devlist hash"
#define DEVLIST_HDR (1 + 32 + 8 + 32 + 1)
#define DEVLIST_STATE_LEN (8 + 32)

/* Ed25519 over domain || msg, without copying msg around twice. */
static int
devlist_sig_input(uint8_t **out, size_t *out_len, const uint8_t *msg, size_t len)
{
	size_t dl = sizeof DEVLIST_DOMAIN - 1;

	*out = malloc(dl + len);
	if (*out == NULL)
		return ATT_ENOMEM;
	memcpy(*out, DEVLIST_DOMAIN, dl);
	memcpy(*out + dl, msg, len);
	*out_len = dl + len;
	return 0;
}

void
devlist_hash(uint8_t h[32], const uint8_t *buf, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)DEVLIST_HASH_DOMAIN,
	                          sizeof DEVLIST_HASH_DOMAIN - 1);
	crypto_generichash_update(&st, buf, len);
	crypto_generichash_final(&st, h, 32);
}

int
devlist_make(uint8_t *out, size_t cap, const uint8_t person_sk[64], uint64_t seq,
             const uint8_t *prev, const uint8_t (*recs)[X3DH_DEVREC_LEN], size_t n)
{
	size_t body = DEVLIST_HDR + n * X3DH_DEVREC_LEN, sl;
	uint8_t *si;
	size_t i;
	int r;

	if (n == 0 || n > DEVLIST_DEVICES_MAX)
		return ATT_EARRLONG;
	if (cap < body + 64)
		return ATT_ETOOBIG;
	out[0] = DEVLIST_VERSION;
	crypto_sign_ed25519_sk_to_pk(out + 1, person_sk);
	be_put64(out + 33, seq);
	if (prev != NULL)
		memcpy(out + 41, prev, 32);
	else
		memset(out + 41, 0, 32);
	out[73] = (uint8_t)n;
	for (i = 0; i < n; i++)
		memcpy(out + DEVLIST_HDR + i * X3DH_DEVREC_LEN, recs[i], X3DH_DEVREC_LEN);
	r = devlist_sig_input(&si, &sl, out, body);
	if (r < 0)
		return r;
	crypto_sign_ed25519_detached(out + body, NULL, si, sl, person_sk);
	free(si);
	return (int)(body + 64);
}

int
devlist_verify(struct devlist *dl, const uint8_t *buf, size_t len, const uint8_t *person)
{
	size_t n, body, sl, i;
	uint8_t *si;
	int r;

	memset(dl, 0, sizeof *dl);
	if (len < DEVLIST_HDR + 64)
		return ATT_ETRUNCATED;
	if (buf[0] != DEVLIST_VERSION)
		return ATT_EVERSION;
	n = buf[73];
	if (n == 0 || n > DEVLIST_DEVICES_MAX)
		return ATT_EARRLONG;
	body = DEVLIST_HDR + n * X3DH_DEVREC_LEN;
	if (len != body + 64)
		return ATT_EMALFORMED;
	if (person != NULL && sodium_memcmp(buf + 1, person, 32) != 0)
		return ATT_EAUTH;
	r = devlist_sig_input(&si, &sl, buf, body);
	if (r < 0)
		return r;
	r = crypto_sign_ed25519_verify_detached(buf + body, si, sl, buf + 1);
	free(si);
	if (r != 0)
		return ATT_EAUTH;
	memcpy(dl->person, buf + 1, 32);
	dl->seq = be_get64(buf + 33);
	memcpy(dl->prev, buf + 41, 32);
	dl->n = n;
	for (i = 0; i < n; i++) {
		const uint8_t *rec = buf + DEVLIST_HDR + i * X3DH_DEVREC_LEN;

		r = x3dh_devrec_verify(&dl->dev[i], rec, X3DH_DEVREC_LEN, dl->person);
		if (r < 0)
			return r;
		memcpy(dl->rec[i], rec, X3DH_DEVREC_LEN);
	}
	devlist_hash(dl->hash, buf, len);
	memcpy(dl->raw, buf, len);
	dl->raw_len = len;
	return 0;
}

/* kv key "PFX:" + a keyed hash of person, never the key itself. */
static void
devlist_kv_key(struct daemon *d, const char *pfx, const uint8_t person[32], char key[32])
{
	uint8_t h[8];
	char hex[17];

	crypto_generichash(h, sizeof h, person, 32, keys_storage(d->keys), 32);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(key, 32, "%s:%s", pfx, hex);
}

/* The last applied list of person: 1 with seq and hash, 0 when none yet. */
static int
devlist_last(struct daemon *d, const uint8_t person[32], uint64_t *seq, uint8_t hash[32])
{
	char key[32];
	uint8_t *v = NULL;
	size_t len = 0;
	int have = 0;

	devlist_kv_key(d, "dlv", person, key);
	if (store_kv_get(d->store, key, &v, &len) == 0 && len == DEVLIST_STATE_LEN) {
		*seq = be_get64(v);
		memcpy(hash, v + 8, 32);
		have = 1;
	}
	if (v != NULL)
		store_blob_free(v, len);
	return have;
}

/* Remembers (seq, hash) as the last list of person (inside a transaction). */
static int
devlist_seen(struct daemon *d, const uint8_t person[32], uint64_t seq, const uint8_t hash[32])
{
	char key[32];
	uint8_t v[DEVLIST_STATE_LEN];

	devlist_kv_key(d, "dlv", person, key);
	be_put64(v, seq);
	memcpy(v + 8, hash, 32);
	return store_kv_set(d->store, key, v, sizeof v);
}

int
devlist_forked(struct daemon *d, const uint8_t person[32])
{
	uint8_t *v = NULL;
	size_t len = 0;

	if (devlist_fork_get(d, person, &v, &len) != 0)
		return 0;
	store_blob_free(v, len);
	return 1;
}

int
devlist_fork_get(struct daemon *d, const uint8_t person[32], uint8_t **list, size_t *len)
{
	char key[32];

	devlist_kv_key(d, "dlf", person, key);
	return store_kv_get(d->store, key, list, len);
}

/* Keeps a list that contradicts the chain (a fork) for the person to see. */
static int
devlist_keep_fork(struct daemon *d, const struct devlist *dl)
{
	char key[32];
	int r;

	devlist_kv_key(d, "dlf", dl->person, key);
	r = store_kv_set(d->store, key, dl->raw, dl->raw_len);
	if (r >= 0)
		fprintf(stderr, "attuned: two different device lists of one partner carry the same "
		        "number: kept both, applied the first; verify their devices in person\n");
	return r < 0 ? r : ATT_EEXIST;
}

int
devlist_own(struct daemon *d, uint8_t *out, size_t cap, const uint8_t *extra_rec)
{
	struct store_device *devs = NULL;
	uint8_t (*recs)[X3DH_DEVREC_LEN];
	uint8_t prev[32], h[32];
	size_t n = 0, i, k = 0;
	uint64_t seq = 0;
	int r, have;

	/* Only the identity device holds the person key that signs lists. */
	if (keys_person_sk(d->keys) == NULL)
		return ATT_EPERM;
	r = store_device_list(d->store, keys_person_pk(d->keys), &devs, &n);
	if (r < 0)
		return r;
	recs = calloc(DEVLIST_DEVICES_MAX, X3DH_DEVREC_LEN);
	if (recs == NULL) {
		free(devs);
		return ATT_ENOMEM;
	}
	for (i = 0; i < n && k < DEVLIST_DEVICES_MAX; i++) {
		if (devs[i].revoked || devs[i].record_len != X3DH_DEVREC_LEN)
			continue;
		memcpy(recs[k++], devs[i].record, X3DH_DEVREC_LEN);
	}
	free(devs);
	if (extra_rec != NULL) {
		if (k == DEVLIST_DEVICES_MAX) {
			free(recs);
			return ATT_ELIMIT;
		}
		memcpy(recs[k++], extra_rec, X3DH_DEVREC_LEN);
	}
	/* The next link of our own chain: no clock, just the previous one plus one. */
	have = devlist_last(d, keys_person_pk(d->keys), &seq, prev);
	if (have && seq == UINT64_MAX) {
		free(recs);
		return ATT_ELIMIT;
	}
	r = devlist_make(out, cap, keys_person_sk(d->keys), have ? seq + 1 : 1, have ? prev : NULL,
	                 (const uint8_t (*)[X3DH_DEVREC_LEN])recs, k);
	free(recs);
	if (r >= 0) {
		int e;

		devlist_hash(h, out, (size_t)r);
		e = devlist_seen(d, keys_person_pk(d->keys), have ? seq + 1 : 1, h);
		if (e < 0)
			return e;
	}
	return r;
}

/* Remembers that our own identity device revoked this device (inside the transaction). */
static int
devlist_self_revoked(struct daemon *d)
{
	char v[24];
	uint64_t now = (uint64_t)time(NULL);
	int r;

	snprintf(v, sizeof v, "%llu", (unsigned long long)now);
	r = store_kv_set_str(d->store, DEVLIST_KV_REVOKED, v);
	if (r >= 0) {
		d->revoked_at = now;
		fprintf(stderr, "attuned: this device was revoked by your identity device: "
		        "it sends nothing more\n");
	}
	return r;
}

int
devlist_apply(struct daemon *d, const struct devlist *dl)
{
	struct store_device *devs = NULL, nd;
	size_t n = 0, i, j;
	int r, added = 0, have;
	uint64_t now = (uint64_t)time(NULL), seq = 0;
	uint8_t last[32];

	/*
	 * The chain: only the list right after the last one applies. Without a
	 * last one (the first list we hear of this person) any list anchors it.
	 */
	have = devlist_last(d, dl->person, &seq, last);
	if (have) {
		int same = sodium_memcmp(dl->hash, last, 32) == 0;

		if (dl->seq == seq && !same)
			return devlist_keep_fork(d, dl);
		if (dl->seq <= seq)
			return ATT_EREPLAY;
		if (dl->seq != seq + 1)
			return ATT_ETOOFAR;   /* a skipped list, or one far ahead: refused */
		if (sodium_memcmp(dl->prev, last, 32) != 0)
			return devlist_keep_fork(d, dl);
	}
	for (i = 0; i < dl->n; i++) {
		r = store_device_get(d->store, dl->dev[i].relay_pk, &nd);
		if (r == 0) {
			if (sodium_memcmp(nd.person, dl->person, 32) != 0) {
				/* Claimed by someone else first: skip it, keep the rest of the list. */
				fprintf(stderr, "attuned: a partner's device list names a device key "
				        "another partner claimed first: that entry is skipped\n");
				continue;
			}
			if (nd.record_len == 0) {
				/* Our own row as a linked device: its certified record, at last. */
				nd.record_len = X3DH_DEVREC_LEN;
				memcpy(nd.record, dl->rec[i], X3DH_DEVREC_LEN);
				r = store_device_put(d->store, &nd);
				if (r < 0)
					return r;
			}
			continue;                   /* known (a revoked one stays revoked) */
		}
		if (r != ATT_ENOTFOUND)
			return r;
		memset(&nd, 0, sizeof nd);
		memcpy(nd.relay, dl->dev[i].relay_pk, 32);
		memcpy(nd.person, dl->person, 32);
		nd.added = now;
		nd.record_len = X3DH_DEVREC_LEN;
		memcpy(nd.record, dl->rec[i], X3DH_DEVREC_LEN);
		r = store_device_put(d->store, &nd);
		if (r < 0)
			return r;
		added++;
	}
	r = store_device_list(d->store, dl->person, &devs, &n);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		int listed = 0;

		if (devs[i].revoked)
			continue;
		for (j = 0; j < dl->n && !listed; j++)
			listed = sodium_memcmp(devs[i].relay, dl->dev[j].relay_pk, 32) == 0;
		if (listed)
			continue;
		if (sodium_memcmp(devs[i].relay, keys_relay_pk(d->keys), 32) == 0) {
			/* Our own person's list without us: this device was revoked. Say so, stop. */
			if (d->revoked_at == 0) {
				r = devlist_self_revoked(d);
				if (r < 0) {
					free(devs);
					return r;
				}
			}
			continue;
		}
		devs[i].revoked = 1;
		r = store_device_put(d->store, &devs[i]);
		if (r >= 0) {
			r = store_session_remove(d->store, devs[i].relay);
			if (r == ATT_ENOTFOUND)
				r = 0;
		}
		if (r < 0) {
			free(devs);
			return r;
		}
	}
	free(devs);
	r = devlist_seen(d, dl->person, dl->seq, dl->hash);
	return r < 0 ? r : added;
}
