/*
 * Safety numbers: what two partners read to each other after pairing to
 * check that no one sat in the middle. Derived from the CPace transcript
 * and both identity keys (sorted, so both sides compute the same), shown
 * as 60 digits in twelve groups of five (Signal's length: about 199 bits)
 * and as twelve PGP words (96 bits). Either is far beyond what an attacker
 * who knows the code could search for a collision in the pairing window.
 */
#ifndef ATTUNE_SAFETY_H
#define ATTUNE_SAFETY_H

#include <stddef.h>
#include <stdint.h>

#define SAFETY_HASHBYTES 64
#define SAFETY_GROUPS 12
#define SAFETY_WORDS 12
#define SAFETY_DIGITS_MAX 72   /* 12 groups of 5 digits, 11 spaces, NUL */
#define SAFETY_WORDS_MAX 160   /* 12 words of at most 11 letters, spaces, NUL */

/* h = SHA-512(lv_cat("attune/1 safety", min(id), max(id), transcript)). */
void safety_hash(uint8_t h[SAFETY_HASHBYTES], const uint8_t *transcript, size_t transcript_len,
    const uint8_t id_a[32], const uint8_t id_b[32]);

/*
 * "ddddd ddddd ... ddddd", twelve groups: group i is bytes 5i..5i+4 of h,
 * big-endian, mod 10^5. Returns the length (71).
 */
int safety_digits(char *out, size_t cap, const uint8_t h[SAFETY_HASHBYTES]);

/* Twelve words for h[0..11], the even list for even i, odd for odd. Returns the length. */
int safety_words(char *out, size_t cap, const uint8_t h[SAFETY_HASHBYTES]);

#endif
