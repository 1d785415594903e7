/*
 * base64url without padding (RFC 4648 section 5), strict: the one encoding
 * attune uses for keys in text (relay addresses, invites). libsodium does the
 * work.
 */
#ifndef ATTUNE_B64_H
#define ATTUNE_B64_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed for n bytes, without the NUL. */
#define B64_LEN(n) (((n) * 4 + 2) / 3)

/* NUL-terminates; returns the length written, 0 if out (B64_LEN(len) + 1) is too small. */
size_t b64_encode(char *out, size_t out_cap, const uint8_t *in, size_t len);
/*
 * Decodes len characters of in. Strict: rejects padding, whitespace, characters
 * outside the URL-safe alphabet and non-canonical trailing bits with
 * ATT_EENCODING; ATT_ETOOBIG when out_cap is too small. Returns 0.
 */
int b64_decode(uint8_t *out, size_t out_cap, const char *in, size_t len, size_t *out_len);

#endif
