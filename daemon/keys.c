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
 * With a passphrase every secret file (person.key, sign.key, dh.key,
 * relay.key, storage.key) holds the keyfile_wrap form, all under one
 * Argon2id key (one salt), and public.keys holds the four public keys in
 * clear so a locked daemon still knows who it is. storage.key is written
 * last: it is the file whose salt unlock reads.
 */
enum { KF_PERSON, KF_SIGN, KF_DH, KF_RELAY, KF_STORAGE, KF_N };
#define KF_WRAP_MAX KEYFILE_WRAP_LEN(64)
#define PUBLIC_LEN (4 * 32)

struct keys {
	uint8_t person_sk[64], person_pk[32];
	uint8_t sign_sk[64], sign_pk[32];
	uint8_t dh_sk[32], dh_pk[32];
	uint8_t relay_sk[32], relay_pk[32];
	uint8_t storage[32];
	int identity;               /* holds person_sk: the device that created the identity */
	int locked;                 /* secrets still wrapped */
	int has_pass;               /* the files on disk are wrapped by a passphrase */
	uint8_t wrapped[KF_N][KF_WRAP_MAX];   /* the wrapped forms (not secret) */
	size_t wrapped_len[KF_N];
};

static const struct kfile {
	const char *name;
	size_t off, len;
} kfiles[KF_N] = {
	{ "person.key", offsetof(struct keys, person_sk), 64 },
	{ "sign.key", offsetof(struct keys, sign_sk), 64 },
	{ "dh.key", offsetof(struct keys, dh_sk), 32 },
	{ "relay.key", offsetof(struct keys, relay_sk), 32 },
	{ "storage.key", offsetof(struct keys, storage), 32 },
};

static uint8_t *
kf_secret(struct keys *k, int i)
{
	return (uint8_t *)k + kfiles[i].off;
}

/* File names, in the order destroyed: storage first (it unlocks the history). */
static const char *const key_files[] = {
	"storage.key", "person.key", "sign.key", "dh.key", "relay.key", "person.pub",
	"public.keys",
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

/* One secret file: plain (its exact size) or wrapped (then the keys are locked). */
static int
keys_read_secret(struct keys *k, const char *dir, int i)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = key_path(path, sizeof(path), dir, kfiles[i].name);

	if (r == 0)
		r = keyfile_read(path, &buf, &len, KF_WRAP_MAX);
	if (r != 0)
		return r == ATT_ETOOBIG ? ATT_ECORRUPT : r;
	if (len == kfiles[i].len) {
		memcpy(kf_secret(k, i), buf, len);
	} else if (len == KEYFILE_WRAP_LEN(kfiles[i].len) && keyfile_is_wrapped(buf, len)) {
		memcpy(k->wrapped[i], buf, len);
		k->wrapped_len[i] = len;
		k->locked = k->has_pass = 1;
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
	uint8_t pub[PUBLIC_LEN];
	struct keys *k;
	int r, i;

	*out = NULL;
	k = keys_alloc();
	if (k == NULL)
		return ATT_ENOMEM;
	/* A linked device holds only the person's public key (person.pub). */
	r = keys_read_secret(k, dir, KF_PERSON);
	k->identity = r == 0;
	if (r == ATT_ENOTFOUND)
		r = key_read(dir, "person.pub", k->person_pk, 32);
	for (i = KF_SIGN; r == 0 && i < KF_N; i++)
		r = keys_read_secret(k, dir, i);
	/* Locked: the public halves come from public.keys. */
	if (r == 0 && k->locked && (r = key_read(dir, "public.keys", pub, sizeof(pub))) == 0) {
		if (k->identity)
			memcpy(k->person_pk, pub, 32);
		memcpy(k->sign_pk, pub + 32, 32);
		memcpy(k->dh_pk, pub + 64, 32);
		memcpy(k->relay_pk, pub + 96, 32);
	}
	if (r != 0) {
		keyfile_free(k);
		return r;
	}
	if (!k->locked)
		keys_derive(k);
	*out = k;
	return 0;
}

int
keys_locked(const struct keys *k)
{
	return k->locked;
}

/* The KEK for the wrapped file i under pass (its own salt and limits). */
static int
keys_kek(uint8_t kek[32], const struct keys *k, int i, const char *pass, size_t len)
{
	uint8_t salt[KEYFILE_SALTBYTES];
	uint64_t ops, mem;
	int r = keyfile_wrap_params(k->wrapped[i], k->wrapped_len[i], salt, &ops, &mem);

	return r < 0 ? r : keyfile_kek(kek, pass, len, salt, ops, mem);
}

int
keys_unlock(struct keys *k, const char *pass, size_t len)
{
	uint8_t kek[32], pk[4][32];
	int r = 0, i;

	if (!k->locked)
		return 0;
	/* Every file was wrapped under one key: derive it once, from storage.key's salt. */
	if ((r = keys_kek(kek, k, KF_STORAGE, pass, len)) < 0)
		return r;
	for (i = 0; r == 0 && i < KF_N; i++)
		if (k->wrapped_len[i] != 0)
			r = keyfile_unwrap(kf_secret(k, i), kfiles[i].len, k->wrapped[i],
			    k->wrapped_len[i], kek, kfiles[i].name);
	sodium_memzero(kek, sizeof(kek));
	memcpy(pk[0], k->person_pk, 32);
	memcpy(pk[1], k->sign_pk, 32);
	memcpy(pk[2], k->dh_pk, 32);
	memcpy(pk[3], k->relay_pk, 32);
	if (r == 0) {
		keys_derive(k);
		/* The secrets must be the ones public.keys announced. */
		if (sodium_memcmp(pk[0], k->person_pk, 32) != 0 ||
		    sodium_memcmp(pk[1], k->sign_pk, 32) != 0 ||
		    sodium_memcmp(pk[2], k->dh_pk, 32) != 0 ||
		    sodium_memcmp(pk[3], k->relay_pk, 32) != 0)
			r = ATT_ECORRUPT;
	}
	if (r != 0) {
		for (i = 0; i < KF_N; i++)
			sodium_memzero(kf_secret(k, i), kfiles[i].len);
		memcpy(k->person_pk, pk[0], 32);
		memcpy(k->sign_pk, pk[1], 32);
		memcpy(k->dh_pk, pk[2], 32);
		memcpy(k->relay_pk, pk[3], 32);
		return r;
	}
	k->locked = 0;
	return 0;
}

int
keys_has_passphrase(const struct keys *k)
{
	return k->has_pass;
}

int
keys_check_passphrase(const struct keys *k, const char *pass, size_t len)
{
	uint8_t kek[32], tmp[32];
	int r;

	if (!k->has_pass)
		return 0;
	if ((r = keys_kek(kek, k, KF_STORAGE, pass, len)) < 0)
		return r;
	r = keyfile_unwrap(tmp, 32, k->wrapped[KF_STORAGE], k->wrapped_len[KF_STORAGE], kek,
	    kfiles[KF_STORAGE].name);
	sodium_memzero(kek, sizeof(kek));
	sodium_memzero(tmp, sizeof(tmp));
	return r;
}

int
keys_set_passphrase(struct keys *k, const char *dir, const char *pass, size_t len)
{
	uint8_t kek[32], salt[KEYFILE_SALTBYTES], pub[PUBLIC_LEN], buf[KF_WRAP_MAX];
	char path[4096];
	int r = 0, i;

	if (k->locked)
		return ATT_ESTATE;
	if (pass == NULL || len == 0) {
		for (i = 0; r == 0 && i < KF_N; i++)
			if (i != KF_PERSON || k->identity)
				r = key_write(dir, kfiles[i].name, kf_secret(k, i), kfiles[i].len);
		if (r == 0 && key_path(path, sizeof(path), dir, "public.keys") == 0)
			(void)keyfile_destroy(path);
		if (r == 0) {
			k->has_pass = 0;
			memset(k->wrapped_len, 0, sizeof(k->wrapped_len));
		}
		return r;
	}
	memcpy(pub, k->person_pk, 32);
	memcpy(pub + 32, k->sign_pk, 32);
	memcpy(pub + 64, k->dh_pk, 32);
	memcpy(pub + 96, k->relay_pk, 32);
	if ((r = key_write(dir, "public.keys", pub, sizeof(pub))) != 0)
		return r;
	randombytes_buf(salt, sizeof(salt));
	if ((r = keyfile_kek(kek, pass, len, salt, KEYFILE_OPSLIMIT, KEYFILE_MEMLIMIT)) < 0)
		return r;
	memset(k->wrapped_len, 0, sizeof(k->wrapped_len));
	/* storage.key last (KF_STORAGE is the last index): its salt is the one unlock reads. */
	for (i = 0; r == 0 && i < KF_N; i++) {
		if (i == KF_PERSON && !k->identity)
			continue;
		keyfile_wrap(buf, kf_secret(k, i), kfiles[i].len, kek, salt, KEYFILE_OPSLIMIT,
		    KEYFILE_MEMLIMIT, kfiles[i].name);
		r = key_write(dir, kfiles[i].name, buf, KEYFILE_WRAP_LEN(kfiles[i].len));
		memcpy(k->wrapped[i], buf, KEYFILE_WRAP_LEN(kfiles[i].len));
		k->wrapped_len[i] = KEYFILE_WRAP_LEN(kfiles[i].len);
	}
	sodium_memzero(kek, sizeof(kek));
	if (r == 0)
		k->has_pass = 1;
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
