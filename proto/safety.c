/*
 * Safety numbers (see safety.h). The transcript makes the number specific
 * to one pairing run: someone in the middle runs two CPace sessions with
 * different transcripts, so the two sides would read different numbers.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/pcode.h"
#include "proto/safety.h"

#define SAFETY_DSI "attune/1 safety"

/* Hashes prepend_len(x): the LEB128 length of x, then x. */
static void
hash_lv(crypto_hash_sha512_state *st, const uint8_t *x, size_t len)
{
	uint8_t leb[10];
	size_t k = 0, l = len;

	do {
		leb[k] = (uint8_t)((l & 0x7f) | (l >> 7 ? 0x80 : 0));
		l >>= 7;
		k++;
	} while (l);
	crypto_hash_sha512_update(st, leb, k);
	if (len)
		crypto_hash_sha512_update(st, x, len);
}

void
safety_hash(uint8_t h[SAFETY_HASHBYTES], const uint8_t *transcript, size_t transcript_len,
    const uint8_t id_a[32], const uint8_t id_b[32])
{
	const uint8_t *lo = id_a, *hi = id_b;
	crypto_hash_sha512_state st;

	if (memcmp(id_a, id_b, 32) > 0) {
		lo = id_b;
		hi = id_a;
	}
	crypto_hash_sha512_init(&st);
	hash_lv(&st, (const uint8_t *)SAFETY_DSI, sizeof(SAFETY_DSI) - 1);
	hash_lv(&st, lo, 32);
	hash_lv(&st, hi, 32);
	hash_lv(&st, transcript, transcript_len);
	crypto_hash_sha512_final(&st, h);
	sodium_memzero(&st, sizeof(st));
}

/* Bytes 5i..5i+4 of h, big-endian, mod 10^5: group i of the digits. */
static unsigned
safety_group(const uint8_t h[SAFETY_HASHBYTES], size_t i)
{
	uint64_t v = 0;
	size_t k;

	for (k = 0; k < 5; k++)
		v = v << 8 | h[5 * i + k];
	return (unsigned)(v % 100000);
}

int
safety_digits(char *out, size_t cap, const uint8_t h[SAFETY_HASHBYTES])
{
	size_t i, n = 0;

	if (cap < SAFETY_GROUPS * 6) {
		if (cap)
			out[0] = '\0';
		return ATT_ETOOBIG;
	}
	for (i = 0; i < SAFETY_GROUPS; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%05u", i ? " " : "", safety_group(h, i));
	return (int)n;
}

int
safety_words(char *out, size_t cap, const uint8_t h[SAFETY_HASHBYTES])
{
	size_t i, n = 0;
	int k;

	for (i = 0; i < SAFETY_WORDS; i++) {
		k = snprintf(out + n, cap - n, "%s%s", i ? " " : "", wordlist_pgp[h[i]][i & 1]);
		if (k < 0 || (size_t)k >= cap - n) {
			if (cap)
				out[0] = '\0';
			return ATT_ETOOBIG;
		}
		n += (size_t)k;
	}
	return (int)n;
}
