/*
 * Key files: one secret per file (keyfile_write: atomic, 0600, in a 0700
 * folder), loaded into one sodium_malloc block. Public halves are derived
 * from the secrets on load, so a file can never disagree with its pair.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/keys.h"
#include "proto/err.h"
#include "proto/keyfile.h"

struct keys {
	uint8_t person_sk[64], person_pk[32];
	uint8_t sign_sk[64], sign_pk[32];
	uint8_t dh_sk[32], dh_pk[32];
	uint8_t relay_sk[32], relay_pk[32];
	uint8_t storage[32];
};

/* File names, in the order destroyed: storage first (it unlocks the history). */
static const char *const key_files[] = {
	"storage.key", "person.key", "sign.key", "dh.key", "relay.key",
};

static int
key_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? ATT_EINVAL : 0;
}

static int
key_read(const char *dir, const char *name, uint8_t *out, size_t len)
{
	char path[4096];
	int r = key_path(path, sizeof(path), dir, name);

	return r != 0 ? r : keyfile_read_exact(path, out, len);
}

static int
key_write(const char *dir, const char *name, const uint8_t *in, size_t len)
{
	char path[4096];
	int r = key_path(path, sizeof(path), dir, name);

	return r != 0 ? r : keyfile_write(path, in, len);
}

static struct keys *
keys_alloc(void)
{
	struct keys *k = keyfile_alloc(sizeof(*k));

	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
	return k;
}

/* Derives every public key from its secret. */
static void
keys_derive(struct keys *k)
{
	crypto_sign_ed25519_sk_to_pk(k->person_pk, k->person_sk);
	crypto_sign_ed25519_sk_to_pk(k->sign_pk, k->sign_sk);
	crypto_scalarmult_base(k->dh_pk, k->dh_sk);
	crypto_scalarmult_base(k->relay_pk, k->relay_sk);
}

int
keys_load(struct keys **out, const char *dir)
{
	struct keys *k;
	int r;

	*out = NULL;
	k = keys_alloc();
	if (k == NULL)
		return ATT_ENOMEM;
	if ((r = key_read(dir, "person.key", k->person_sk, 64)) != 0 ||
	    (r = key_read(dir, "sign.key", k->sign_sk, 64)) != 0 ||
	    (r = key_read(dir, "dh.key", k->dh_sk, 32)) != 0 ||
	    (r = key_read(dir, "relay.key", k->relay_sk, 32)) != 0 ||
	    (r = key_read(dir, "storage.key", k->storage, 32)) != 0) {
		keyfile_free(k);
		return r;
	}
	keys_derive(k);
	*out = k;
	return 0;
}

int
keys_create(struct keys **out, const char *dir, const uint8_t *person_sk)
{
	uint8_t seedless_pk[32];
	struct keys *k, *existing;
	int r;

	*out = NULL;
	r = keys_load(&existing, dir);
	if (r == 0) {
		keys_free(existing);
		return ATT_EEXIST;
	}
	if (keyfile_mkdir(dir) != 0)
		return ATT_EIO;
	k = keys_alloc();
	if (k == NULL)
		return ATT_ENOMEM;
	if (person_sk != NULL)
		memcpy(k->person_sk, person_sk, 64);
	else
		crypto_sign_ed25519_keypair(seedless_pk, k->person_sk);
	crypto_sign_ed25519_keypair(seedless_pk, k->sign_sk);
	randombytes_buf(k->dh_sk, 32);
	randombytes_buf(k->relay_sk, 32);
	crypto_aead_xchacha20poly1305_ietf_keygen(k->storage);
	keys_derive(k);
	/* storage.key last: its presence is what keys_load needs to succeed. */
	if ((r = key_write(dir, "person.key", k->person_sk, 64)) != 0 ||
	    (r = key_write(dir, "sign.key", k->sign_sk, 64)) != 0 ||
	    (r = key_write(dir, "dh.key", k->dh_sk, 32)) != 0 ||
	    (r = key_write(dir, "relay.key", k->relay_sk, 32)) != 0 ||
	    (r = key_write(dir, "storage.key", k->storage, 32)) != 0) {
		keys_destroy(dir);
		keyfile_free(k);
		return r;
	}
	*out = k;
	return 0;
}

void
keys_free(struct keys *k)
{
	keyfile_free(k);
}

int
keys_destroy(const char *dir)
{
	char path[4096];
	size_t i;
	int r = 0, e;

	for (i = 0; i < sizeof(key_files) / sizeof(key_files[0]); i++) {
		if (key_path(path, sizeof(path), dir, key_files[i]) != 0)
			return ATT_EINVAL;
		e = keyfile_destroy(path);
		if (e != 0 && e != ATT_ENOTFOUND)
			r = e;
	}
	return r;
}

const uint8_t *keys_person_pk(const struct keys *k) { return k->person_pk; }
const uint8_t *keys_person_sk(const struct keys *k) { return k->person_sk; }
const uint8_t *keys_sign_pk(const struct keys *k) { return k->sign_pk; }
const uint8_t *keys_sign_sk(const struct keys *k) { return k->sign_sk; }
const uint8_t *keys_dh_pk(const struct keys *k) { return k->dh_pk; }
const uint8_t *keys_dh_sk(const struct keys *k) { return k->dh_sk; }
const uint8_t *keys_relay_pk(const struct keys *k) { return k->relay_pk; }
const uint8_t *keys_relay_sk(const struct keys *k) { return k->relay_sk; }
const uint8_t *keys_storage(const struct keys *k) { return k->storage; }

void
keys_device_id_of(const uint8_t relay_pk[32], char out[KEYS_DEVICE_ID_LEN + 1])
{
	sodium_bin2hex(out, KEYS_DEVICE_ID_LEN + 1, relay_pk, KEYS_DEVICE_ID_LEN / 2);
}

void
keys_device_id(const struct keys *k, char out[KEYS_DEVICE_ID_LEN + 1])
{
	keys_device_id_of(k->relay_pk, out);
}
