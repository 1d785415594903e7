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
#include "proto/be.h"
#include "proto/err.h"
#include "proto/keyfile.h"

/*
 * storage.key is either the 32-byte key itself, or (with a passphrase) a
 * wrapped form: "ATPW" | version 1 | opslimit u64 | memlimit u64 | salt 16 |
 * nonce 24 | XChaCha20-Poly1305(key) 48, the 41 header bytes as associated
 * data, under a key stretched from the passphrase with Argon2id.
 */
#define WRAP_MAGIC "ATPW"
#define WRAP_HDR (4 + 1 + 8 + 8 + crypto_pwhash_SALTBYTES)
#define WRAP_LEN (WRAP_HDR + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + 32 + \
	crypto_aead_xchacha20poly1305_ietf_ABYTES)

struct keys {
	uint8_t person_sk[64], person_pk[32];
	uint8_t sign_sk[64], sign_pk[32];
	uint8_t dh_sk[32], dh_pk[32];
	uint8_t relay_sk[32], relay_pk[32];
	uint8_t storage[32];
	int identity;               /* holds person_sk: the device that created the identity */
	int locked;                 /* storage is still wrapped */
	uint8_t wrapped[WRAP_LEN];  /* the wrapped form while locked (not secret) */
};

/* File names, in the order destroyed: storage first (it unlocks the history). */
static const char *const key_files[] = {
	"storage.key", "person.key", "sign.key", "dh.key", "relay.key", "person.pub",
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

/* storage.key: the raw key, or the wrapped form (then the keys are locked). */
static int
keys_read_storage(struct keys *k, const char *dir)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = key_path(path, sizeof(path), dir, "storage.key");

	if (r == 0)
		r = keyfile_read(path, &buf, &len, WRAP_LEN);
	if (r != 0)
		return r == ATT_ETOOBIG ? ATT_ECORRUPT : r;
	if (len == 32) {
		memcpy(k->storage, buf, 32);
	} else if (len == WRAP_LEN && memcmp(buf, WRAP_MAGIC, 4) == 0 && buf[4] == 1) {
		memcpy(k->wrapped, buf, WRAP_LEN);
		k->locked = 1;
	} else {
		r = ATT_ECORRUPT;
	}
	keyfile_free(buf);
	return r;
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
	if (k->identity)
		crypto_sign_ed25519_sk_to_pk(k->person_pk, k->person_sk);
	crypto_sign_ed25519_sk_to_pk(k->sign_pk, k->sign_sk);
	crypto_scalarmult_base(k->dh_pk, k->dh_sk);
	crypto_scalarmult_base(k->relay_pk, k->relay_sk);
}

/* Fresh device keys (sign, dh, relay) and storage key. */
static void
keys_fresh_device(struct keys *k)
{
	uint8_t pk[32];

	crypto_sign_ed25519_keypair(pk, k->sign_sk);
	randombytes_buf(k->dh_sk, 32);
	randombytes_buf(k->relay_sk, 32);
	crypto_aead_xchacha20poly1305_ietf_keygen(k->storage);
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
	/* A linked device holds only the person's public key (person.pub). */
	r = key_read(dir, "person.key", k->person_sk, 64);
	k->identity = r == 0;
	if (r == ATT_ENOTFOUND)
		r = key_read(dir, "person.pub", k->person_pk, 32);
	if (r != 0 ||
	    (r = key_read(dir, "sign.key", k->sign_sk, 64)) != 0 ||
	    (r = key_read(dir, "dh.key", k->dh_sk, 32)) != 0 ||
	    (r = key_read(dir, "relay.key", k->relay_sk, 32)) != 0 ||
	    (r = keys_read_storage(k, dir)) != 0) {
		keyfile_free(k);
		return r;
	}
	keys_derive(k);
	*out = k;
	return 0;
}

int
keys_locked(const struct keys *k)
{
	return k->locked;
}

int
keys_unlock(struct keys *k, const char *pass, size_t len)
{
	uint8_t kek[32];
	const uint8_t *nonce = k->wrapped + WRAP_HDR;
	uint64_t ops, mem;
	unsigned long long pl;
	int r;

	if (!k->locked)
		return 0;
	ops = be_get64(k->wrapped + 5);
	mem = be_get64(k->wrapped + 13);
	if (ops > crypto_pwhash_OPSLIMIT_SENSITIVE || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return ATT_ECORRUPT;
	if (crypto_pwhash(kek, sizeof(kek), pass, len, k->wrapped + 21, ops, (size_t)mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return ATT_ENOMEM;
	r = crypto_aead_xchacha20poly1305_ietf_decrypt(k->storage, &pl, NULL,
	    nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	    32 + crypto_aead_xchacha20poly1305_ietf_ABYTES, k->wrapped, WRAP_HDR, nonce, kek);
	sodium_memzero(kek, sizeof(kek));
	if (r != 0 || pl != 32) {
		sodium_memzero(k->storage, sizeof(k->storage));
		return ATT_EAUTH;
	}
	k->locked = 0;
	return 0;
}

int
keys_set_passphrase(struct keys *k, const char *dir, const char *pass, size_t len)
{
	uint8_t buf[WRAP_LEN], kek[32];
	uint8_t *nonce = buf + WRAP_HDR;
	unsigned long long cl;
	int r;

	if (k->locked)
		return ATT_ESTATE;
	if (pass == NULL || len == 0)
		return key_write(dir, "storage.key", k->storage, 32);
	memcpy(buf, WRAP_MAGIC, 4);
	buf[4] = 1;
	be_put64(buf + 5, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	be_put64(buf + 13, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	randombytes_buf(buf + 21, crypto_pwhash_SALTBYTES);
	randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	if (crypto_pwhash(kek, sizeof(kek), pass, len, buf + 21, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return ATT_ENOMEM;
	crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	    &cl, k->storage, 32, buf, WRAP_HDR, NULL, nonce, kek);
	sodium_memzero(kek, sizeof(kek));
	r = key_write(dir, "storage.key", buf, sizeof(buf));
	sodium_memzero(buf, sizeof(buf));
	return r;
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
	k->identity = 1;
	if (person_sk != NULL)
		memcpy(k->person_sk, person_sk, 64);
	else
		crypto_sign_ed25519_keypair(seedless_pk, k->person_sk);
	keys_fresh_device(k);
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

int
keys_new_device(struct keys **out)
{
	struct keys *k = keys_alloc();

	*out = NULL;
	if (k == NULL)
		return ATT_ENOMEM;
	keys_fresh_device(k);
	keys_derive(k);
	*out = k;
	return 0;
}

int
keys_save_linked(struct keys *k, const char *dir, const uint8_t person_pk[32])
{
	struct keys *existing;
	int r;

	if (k->identity)
		return ATT_ESTATE;
	r = keys_load(&existing, dir);
	if (r == 0) {
		keys_free(existing);
		return ATT_EEXIST;
	}
	if (keyfile_mkdir(dir) != 0)
		return ATT_EIO;
	memcpy(k->person_pk, person_pk, 32);
	if ((r = key_write(dir, "person.pub", k->person_pk, 32)) != 0 ||
	    (r = key_write(dir, "sign.key", k->sign_sk, 64)) != 0 ||
	    (r = key_write(dir, "dh.key", k->dh_sk, 32)) != 0 ||
	    (r = key_write(dir, "relay.key", k->relay_sk, 32)) != 0 ||
	    (r = key_write(dir, "storage.key", k->storage, 32)) != 0) {
		keys_destroy(dir);
		return r;
	}
	return 0;
}

int
keys_is_identity(const struct keys *k)
{
	return k->identity;
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
const uint8_t *keys_person_sk(const struct keys *k) { return k->identity ? k->person_sk : NULL; }
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
