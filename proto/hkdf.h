/*
 * HKDF (RFC 5869) over HMAC-SHA256 and HMAC-SHA512 from libsodium, which has
 * no HKDF of its own in 1.0.18. Outputs first; salt may be NULL/0 (the RFC's
 * "HashLen zero bytes"), info may be NULL/0. The caller owns every buffer;
 * intermediate keys are wiped before return.
 */
#ifndef ATTUNE_HKDF_H
#define ATTUNE_HKDF_H

#include <stddef.h>
#include <stdint.h>

#define HKDF_SHA256_LEN 32
#define HKDF_SHA512_LEN 64
#define HKDF_SHA256_MAX_OUT (255 * HKDF_SHA256_LEN)
#define HKDF_SHA512_MAX_OUT (255 * HKDF_SHA512_LEN)

/* Extract: prk = HMAC(salt, ikm). */
int hkdf_sha256_extract(uint8_t prk[static HKDF_SHA256_LEN],
    const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len);
/* Expand: out_len bytes (1..HKDF_SHA256_MAX_OUT, else ATT_EINVAL) from prk. */
int hkdf_sha256_expand(uint8_t *out, size_t out_len,
    const uint8_t prk[static HKDF_SHA256_LEN], const uint8_t *info, size_t info_len);
/* Extract then expand. */
int hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len);

int hkdf_sha512_extract(uint8_t prk[static HKDF_SHA512_LEN],
    const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len);
int hkdf_sha512_expand(uint8_t *out, size_t out_len,
    const uint8_t prk[static HKDF_SHA512_LEN], const uint8_t *info, size_t info_len);
int hkdf_sha512(uint8_t *out, size_t out_len, const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len);

#endif
