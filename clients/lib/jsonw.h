/*
 * A small JSON writer: objects, arrays, strings with proper escaping, and
 * msgpack objects (the daemon's replies) rendered as JSON. Output goes into
 * a growable buffer the caller then writes out. Strings are escaped per
 * RFC 8259; bytes that are not valid UTF-8 become U+FFFD, so the output is
 * always valid UTF-8 JSON whatever a peer sent.
 */
#ifndef ATTUNE_JSONW_H
#define ATTUNE_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#define JSONW_MAX_DEPTH 64

struct jsonw;

/* pretty: 0 = one line, 1 = two-space indentation. NULL when out of memory. */
struct jsonw *jsonw_new(int pretty);
void jsonw_free(struct jsonw *);
/* Forgets what was written, keeps the settings (one document per line for watch). */
void jsonw_reset(struct jsonw *);
/* The text so far (NUL-terminated), or NULL after an error. */
const char *jsonw_data(const struct jsonw *, size_t *len);
/* 0, ATT_ENOMEM, or ATT_ESTATE after a misuse (unbalanced, key outside an object, too deep). */
int jsonw_error(const struct jsonw *);

void jsonw_obj_begin(struct jsonw *);
void jsonw_obj_end(struct jsonw *);
void jsonw_arr_begin(struct jsonw *);
void jsonw_arr_end(struct jsonw *);
/* An object member's name; the value follows with any value call. */
void jsonw_key(struct jsonw *, const char *key);
void jsonw_str(struct jsonw *, const char *s);
void jsonw_strn(struct jsonw *, const char *s, size_t n);
void jsonw_uint(struct jsonw *, uint64_t v);
void jsonw_int(struct jsonw *, int64_t v);
void jsonw_bool(struct jsonw *, int v);
void jsonw_null(struct jsonw *);
/*
 * A msgpack object as JSON: maps become objects (non-string keys are written
 * as their JSON text, quoted), bin becomes a lowercase hex string, ext null.
 * At the top level of a map, members named in skip (NULL-terminated, may be
 * NULL) are left out: the CLI drops a reply's "t" and "id".
 */
void jsonw_msgpack(struct jsonw *, const msgpack_object *o, const char *const *skip);

/* Appends the escaped form of s[0..n) (without quotes) to the writer. */
void jsonw_escape(struct jsonw *, const char *s, size_t n);

#endif
