#include <sodium.h>
#include <string.h>

#include "proto/err.h"
#include "proto/hkdf.h"

/*
 * The two hashes differ only in their HMAC functions and sizes; each
 * public pair below is a thin wrapper so the RFC's steps are written once.
 */
struct hkdf_hash {
	size_t len;
	int (*extract)(uint8_t *prk, const uint8_t *salt, size_t salt_len,
	    const uint8_t *ikm, size_t ikm_len);
	int (*expand_block)(uint8_t *t, const uint8_t *prk, const uint8_t *prev,
	    size_t prev_len, const uint8_t *info, size_t info_len, uint8_t ctr);
};

static int
sha256_extract(uint8_t *prk, const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len)
{
	crypto_auth_hmacsha256_state st;
	uint8_t zero[HKDF_SHA256_LEN] = { 0 };

	if (salt == NULL || salt_len == 0) {
		salt = zero;
		salt_len = sizeof(zero);
	}
	crypto_auth_hmacsha256_init(&st, salt, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

static int
sha256_block(uint8_t *t, const uint8_t *prk, const uint8_t *prev, size_t prev_len,
    const uint8_t *info, size_t info_len, uint8_t ctr)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, prk, HKDF_SHA256_LEN);
	crypto_auth_hmacsha256_update(&st, prev, prev_len);
	crypto_auth_hmacsha256_update(&st, info, info_len);
	crypto_auth_hmacsha256_update(&st, &ctr, 1);
	crypto_auth_hmacsha256_final(&st, t);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

static int
sha512_extract(uint8_t *prk, const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len)
{
	crypto_auth_hmacsha512_state st;
	uint8_t zero[HKDF_SHA512_LEN] = { 0 };

	if (salt == NULL || salt_len == 0) {
		salt = zero;
		salt_len = sizeof(zero);
	}
	crypto_auth_hmacsha512_init(&st, salt, salt_len);
	crypto_auth_hmacsha512_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha512_final(&st, prk);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

static int
sha512_block(uint8_t *t, const uint8_t *prk, const uint8_t *prev, size_t prev_len,
    const uint8_t *info, size_t info_len, uint8_t ctr)
{
	crypto_auth_hmacsha512_state st;

	crypto_auth_hmacsha512_init(&st, prk, HKDF_SHA512_LEN);
	crypto_auth_hmacsha512_update(&st, prev, prev_len);
	crypto_auth_hmacsha512_update(&st, info, info_len);
	crypto_auth_hmacsha512_update(&st, &ctr, 1);
	crypto_auth_hmacsha512_final(&st, t);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

static const struct hkdf_hash h256 = { HKDF_SHA256_LEN, sha256_extract, sha256_block };
static const struct hkdf_hash h512 = { HKDF_SHA512_LEN, sha512_extract, sha512_block };

/* T(i) = HMAC(PRK, T(i-1) | info | i), output = first out_len bytes of T(1) | T(2) | ... */
static int
expand(const struct hkdf_hash *h, uint8_t *out, size_t out_len, const uint8_t *prk,
    const uint8_t *info, size_t info_len)
{
	uint8_t t[HKDF_SHA512_LEN];
	size_t done = 0, prev_len = 0, n;
	unsigned ctr = 1;

	if (out == NULL || prk == NULL || out_len == 0 || out_len > 255 * h->len ||
	    (info == NULL && info_len != 0))
		return ATT_EINVAL;
	if (info == NULL)
		info = t;	/* never read: info_len is 0 */
	while (done < out_len) {
		h->expand_block(t, prk, t, prev_len, info, info_len, (uint8_t)ctr++);
		prev_len = h->len;
		n = out_len - done < h->len ? out_len - done : h->len;
		memcpy(out + done, t, n);
		done += n;
	}
	sodium_memzero(t, sizeof(t));
	return 0;
}

static int
full(const struct hkdf_hash *h, uint8_t *out, size_t out_len, const uint8_t *salt,
    size_t salt_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len)
{
	uint8_t prk[HKDF_SHA512_LEN];
	int rc;

	if ((ikm == NULL && ikm_len != 0) || (salt == NULL && salt_len != 0))
		return ATT_EINVAL;
	h->extract(prk, salt, salt_len, ikm ? ikm : prk, ikm_len);
	rc = expand(h, out, out_len, prk, info, info_len);
	sodium_memzero(prk, sizeof(prk));
	return rc;
}

int
hkdf_sha256_extract(uint8_t prk[static HKDF_SHA256_LEN], const uint8_t *salt,
    size_t salt_len, const uint8_t *ikm, size_t ikm_len)
{
	if ((ikm == NULL && ikm_len != 0) || (salt == NULL && salt_len != 0))
		return ATT_EINVAL;
	return sha256_extract(prk, salt, salt_len, ikm ? ikm : prk, ikm_len);
}

int
hkdf_sha256_expand(uint8_t *out, size_t out_len, const uint8_t prk[static HKDF_SHA256_LEN],
    const uint8_t *info, size_t info_len)
{
	return expand(&h256, out, out_len, prk, info, info_len);
}

int
hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len)
{
	return full(&h256, out, out_len, salt, salt_len, ikm, ikm_len, info, info_len);
}

int
hkdf_sha512_extract(uint8_t prk[static HKDF_SHA512_LEN], const uint8_t *salt,
    size_t salt_len, const uint8_t *ikm, size_t ikm_len)
{
	if ((ikm == NULL && ikm_len != 0) || (salt == NULL && salt_len != 0))
		return ATT_EINVAL;
	return sha512_extract(prk, salt, salt_len, ikm ? ikm : prk, ikm_len);
}

int
hkdf_sha512_expand(uint8_t *out, size_t out_len, const uint8_t prk[static HKDF_SHA512_LEN],
    const uint8_t *info, size_t info_len)
{
	return expand(&h512, out, out_len, prk, info, info_len);
}

int
hkdf_sha512(uint8_t *out, size_t out_len, const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len)
{
	return full(&h512, out, out_len, salt, salt_len, ikm, ikm_len, info, info_len);
}
