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
#define DEVLIST_HDR (1 + 32 + 8 + 1)

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

int
devlist_make(uint8_t *out, size_t cap, const uint8_t person_sk[64], uint64_t ver,
             const uint8_t (*recs)[X3DH_DEVREC_LEN], size_t n)
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
	be_put64(out + 33, ver);
	out[41] = (uint8_t)n;
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
	n = buf[41];
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
	dl->ver = be_get64(buf + 33);
	dl->n = n;
	for (i = 0; i < n; i++) {
		const uint8_t *rec = buf + DEVLIST_HDR + i * X3DH_DEVREC_LEN;

		r = x3dh_devrec_verify(&dl->dev[i], rec, X3DH_DEVREC_LEN, dl->person);
		if (r < 0)
			return r;
		memcpy(dl->rec[i], rec, X3DH_DEVREC_LEN);
	}
	return 0;
}

/* kv key for the last list version of person: a keyed hash, never the key itself. */
static void
devlist_kv_key(struct daemon *d, const uint8_t person[32], char key[32])
{
	uint8_t h[8];
	char hex[17];

	crypto_generichash(h, sizeof h, person, 32, keys_storage(d->keys), 32);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(key, 32, "dlv:%s", hex);
}

static uint64_t
devlist_last(struct daemon *d, const uint8_t person[32])
{
	char key[32], v[24];

	devlist_kv_key(d, person, key);
	if (store_kv_get_str(d->store, key, v, sizeof v) < 0)
		return 0;
	return strtoull(v, NULL, 10);
}

int
devlist_seen(struct daemon *d, const uint8_t person[32], uint64_t ver)
{
	char key[32], v[24];

	devlist_kv_key(d, person, key);
	snprintf(v, sizeof v, "%llu", (unsigned long long)ver);
	return store_kv_set_str(d->store, key, v);
}

int
devlist_own(struct daemon *d, uint8_t *out, size_t cap, const uint8_t *extra_rec)
{
	struct store_device *devs = NULL;
	uint8_t (*recs)[X3DH_DEVREC_LEN];
	size_t n = 0, i, k = 0;
	struct timespec ts;
	uint64_t ver, last;
	int r;

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
	clock_gettime(CLOCK_REALTIME, &ts);
	ver = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	last = devlist_last(d, keys_person_pk(d->keys));
	if (ver <= last)
		ver = last + 1;
	r = devlist_make(out, cap, keys_person_sk(d->keys), ver,
	                 (const uint8_t (*)[X3DH_DEVREC_LEN])recs, k);
	free(recs);
	if (r >= 0) {
		int e = devlist_seen(d, keys_person_pk(d->keys), ver);

		if (e < 0)
			return e;
	}
	return r;
}

int
devlist_apply(struct daemon *d, const struct devlist *dl)
{
	struct store_device *devs = NULL, nd;
	size_t n = 0, i, j;
	int r, added = 0;
	uint64_t now = (uint64_t)time(NULL);

	if (dl->ver <= devlist_last(d, dl->person))
		return ATT_EREPLAY;
	for (i = 0; i < dl->n; i++) {
		r = store_device_get(d->store, dl->dev[i].relay_pk, &nd);
		if (r == 0) {
			if (sodium_memcmp(nd.person, dl->person, 32) != 0)
				return ATT_EAUTH;   /* a key claimed by two people: refuse the list */
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
		if (sodium_memcmp(devs[i].relay, keys_relay_pk(d->keys), 32) == 0)
			continue;   /* never revoke ourselves from a list */
		for (j = 0; j < dl->n && !listed; j++)
			listed = sodium_memcmp(devs[i].relay, dl->dev[j].relay_pk, 32) == 0;
		if (listed)
			continue;
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
	r = devlist_seen(d, dl->person, dl->ver);
	return r < 0 ? r : added;
}
