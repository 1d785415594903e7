/*
 * Safety numbers: what two partners read to each other after pairing to
 * check that no one sat in the middle. Derived from the CPace transcript
 * and both identity keys (sorted, so both sides compute the same), shown
 * as 12 digits in groups of four and as four PGP words.
 */
#ifndef ATTUNE_SAFETY_H
#define ATTUNE_SAFETY_H

#include <stddef.h>
#include <stdint.h>

#define SAFETY_HASHBYTES 64
#define SAFETY_DIGITS_MAX 16  /* "4821 0937 5512" + NUL */
#define SAFETY_WORDS_MAX 64   /* four words, spaces, NUL */

/* h = SHA-512(lv_cat("attune/1 safety", min(id), max(id), transcript)). */
void safety_hash(uint8_t h[SAFETY_HASHBYTES], const uint8_t *transcript, size_t transcript_len,
    const uint8_t id_a[32], const uint8_t id_b[32]);

/* "dddd dddd dddd": the first 8 bytes of h, big-endian, mod 10^12. Returns the length. */
int safety_digits(char *out, size_t cap, const uint8_t h[SAFETY_HASHBYTES]);

/* Four words for h[0..3], even list for bytes 0 and 2, odd for 1 and 3. Returns the length. */
int safety_words(char *out, size_t cap, const uint8_t h[SAFETY_HASHBYTES]);

#endif
