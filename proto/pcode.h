/*
 * Pairing codes: "NN-word-word", a nameplate number from the relay and two
 * words of the PGP word list, as Magic Wormhole makes them. The first word
 * comes from the "odd" list (three syllables), the second from the "even"
 * list (two syllables); each word carries one random byte. The canonical
 * form (lower case, single hyphens, no leading zeros) is the CPace
 * password.
 */
#ifndef ATTUNE_PCODE_H
#define ATTUNE_PCODE_H

#include <stddef.h>
#include <stdint.h>

#define PCODE_MAX 40      /* a canonical code + NUL always fits */
#define PCODE_INPUT_MAX 128 /* longer input is refused as malformed */

/* wordlist_pgp[b][0]: byte b's even word; [1]: its odd word (proto/wordlist.c). */
extern const char *const wordlist_pgp[256][2];

/* A fresh code for NAMEPLATE with two randombytes words; returns its length. */
int pcode_make(char *out, size_t cap, uint32_t nameplate);

/* Writes the canonical code for NAMEPLATE and WORDS; returns its length. */
int pcode_format(char *out, size_t cap, uint32_t nameplate, const uint8_t words[2]);

/*
 * Parses a code as a person typed it: any case, spaces and hyphens in any
 * number between the parts. Returns 0, ATT_ECODE (malformed: not a number
 * then two words) or ATT_EWORD (a word not in its list). On failure a
 * sentence for a person goes to WHY (if not NULL), for an unknown word with
 * the nearest word of the right list when it is at most two edits away:
 * `no word "crosover": did you mean "crossover"?` (past that, no guess).
 * It echoes what was typed: show it, do not log it.
 */
int pcode_parse(const char *in, uint32_t *nameplate, uint8_t words[2],
    char *why, size_t why_cap);

/* Parses IN and writes its canonical form; returns its length or as above. */
int pcode_canonical(char *out, size_t cap, const char *in, char *why, size_t why_cap);

#endif
