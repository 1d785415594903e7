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

int
safety_digits(char *out, size_t cap, const uint8_t h[SAFETY_HASHBYTES])
{
	uint64_t v;
	unsigned long long a, b, c;
	int n;

	v = be_get64(h) % 1000000000000ULL;
	a = v / 100000000ULL;
	b = v / 10000ULL % 10000ULL;
	c = v % 10000ULL;
	n = snprintf(out, cap, "%04llu %04llu %04llu", a, b, c);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return ATT_ETOOBIG;
	}
	return n;
}

int
safety_words(char *out, size_t cap, const uint8_t h[SAFETY_HASHBYTES])
{
	int n = snprintf(out, cap, "%s %s %s %s", wordlist_pgp[h[0]][0], wordlist_pgp[h[1]][1],
	    wordlist_pgp[h[2]][0], wordlist_pgp[h[3]][1]);

	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return ATT_ETOOBIG;
	}
	return n;
}
