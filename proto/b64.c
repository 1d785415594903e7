#include <stdint.h>
#include <string.h>
#include <sodium.h>

#include "proto/b64.h"
#include "proto/err.h"

#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

size_t
b64_encode(char *out, size_t out_cap, const uint8_t *in, size_t len)
{
	/* sodium_bin2base64 aborts on a short buffer: check first. */
	if (len > (SIZE_MAX - 3) / 4 || out_cap < B64_LEN(len) + 1)
		return 0;
	sodium_bin2base64(out, out_cap, in, len, B64_VARIANT);
	return strlen(out);
}

/*
 * libsodium is strict already: with no ignore set and no end pointer it
 * rejects any character outside the alphabet (so '=', whitespace and NUL)
 * and non-zero trailing bits, which makes every encoding canonical.
 */
int
b64_decode(uint8_t *out, size_t out_cap, const char *in, size_t len, size_t *out_len)
{
	size_t n = 0;

	*out_len = 0;
	/* libsodium reports a short buffer as EINVAL when input remains, so
	 * size it here: n characters carry floor(6n/8) bytes. */
	if (len / 4 * 3 + (len % 4 * 3) / 4 > out_cap)
		return ATT_ETOOBIG;
	if (sodium_base642bin(out, out_cap, in, len, NULL, &n, NULL, B64_VARIANT) != 0)
		return ATT_EENCODING;
	*out_len = n;
	return 0;
}
