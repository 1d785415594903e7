/*
 * Terminal safety: the one place where text that someone else chose (a
 * partner's name, tags, reasons, offers, notes, a daemon's error message)
 * is made safe to print. A terminal obeys escape sequences: ESC ]0;... BEL
 * retitles it, ESC [2J clears it, and 8-bit terminals take the C1 bytes
 * 0x80-0x9F (and U+0080-U+009F) as CSI, OSC and friends. Bidi controls
 * (U+202A-U+202E, U+2066-U+2069, and the marks U+200E, U+200F, U+061C)
 * reorder what follows so a line can say something other than its bytes.
 * Every such character, DEL and any byte that is not valid UTF-8 is shown
 * as '?'; newline and tab become a space (one event stays one line).
 */
#ifndef ATTUNE_TERMTEXT_H
#define ATTUNE_TERMTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TERMTEXT_NAME_MAX 64   /* bytes of a display name (the daemon's limit) */

/*
 * Decodes the UTF-8 sequence at s (n > 0 bytes left): its length (1..4), and
 * the code point in *cp. 0 when it is not valid UTF-8 (overlong, surrogate,
 * beyond U+10FFFF, cut short). jsonw uses it too: one decoder.
 */
size_t termtext_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);
/*
 * Copies in[0..len) into out (NUL-terminated, cut at a character boundary to
 * fit cap) with the unsafe characters replaced. Returns the length written.
 */
size_t termtext_clean(char *out, size_t cap, const char *in, size_t len);
/* Cleans s in place (NUL-terminated). */
void termtext_clean_inplace(char *s);
/* Writes in[0..len) to f, cleaned. */
void termtext_put(FILE *f, const char *in, size_t len);
/*
 * Checks a display name where it enters: NULL when fine, else a sentence
 * saying what is wrong (empty, longer than TERMTEXT_NAME_MAX bytes, not
 * UTF-8, a control or bidi character, or blanks at either end).
 */
const char *termtext_name_check(const char *name);

#endif
