/*
 * Message encoding (docs/PROTOCOL.md section 2): every plaintext message is a
 * msgpack map with string keys in which "t" (str, at most 32 bytes) and "id"
 * (uint, at most 2^53) are always present. Unknown keys are ignored; whether a
 * "t" is known is the caller's business (msg_is_type).
 *
 * Reading untrusted bytes is two steps: msg_check walks them without
 * allocating and enforces the limits, and only then msgpack_unpack builds the
 * object tree (msg_parse does both). The getters check each field's type and
 * limit, so a handler reads a field and has one error code to answer with.
 */
#ifndef ATTUNE_MSG_H
#define ATTUNE_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#define MSG_TYPE_MAX 32
#define MSG_ID_MAX (UINT64_C(1) << 53)

struct msg_limits {
	size_t max_depth;          /* nesting of arrays/maps; the root is depth 1 */
	size_t max_str;            /* bytes in one str */
	size_t max_bin;            /* bytes in one bin (or ext) */
	size_t max_array;          /* elements of one array, pairs of one map */
	size_t max_total_objects;  /* objects in the whole message, keys included */
};
/*
 * depth 16, str 65535, bin 65535, array 4096, total objects 16384
 * (docs/PROTOCOL.md 2.1). msgpack-c spends about 24 bytes per object, so
 * max_total_objects is what bounds a parsed message's memory: about 430 KB
 * with the defaults, whatever a 64 KiB frame holds. Pass lower limits for a
 * peer that has not authenticated.
 */
extern const struct msg_limits msg_limits_default;

/*
 * Walks untrusted bytes without allocating: exactly one well-formed object,
 * every declared length/count checked against the bytes that remain and the
 * limits, depth bounded, no trailing bytes. Returns 0 or ATT_EMALFORMED
 * (reserved byte 0xc1), ATT_ETRUNCATED, ATT_ETRAILING, ATT_EDEPTH,
 * ATT_ESTRLONG, ATT_EBINLONG, ATT_EARRLONG, ATT_ETOOBIG (more than
 * max_total_objects). lim NULL means msg_limits_default.
 */
int msg_check(const uint8_t *buf, size_t len, const struct msg_limits *lim);

struct msg;   /* a parsed message: owns its msgpack zone */

/*
 * msg_check + unpack + must be a map with str keys (ATT_ENOTMAP) + "id" uint
 * <= 2^53 + "t" str(32) without NUL. *out NULL on error. On error after "id"
 * was read, *id_out (if non-NULL) gets the id, so the caller can answer
 * {"t":"error","id":N,...}; otherwise *id_out is 0.
 */
int msg_parse(const uint8_t *buf, size_t len, const struct msg_limits *lim,
              struct msg **out, uint64_t *id_out);
void msg_free(struct msg *);
const char *msg_type(const struct msg *);      /* NUL-terminated copy */
uint64_t msg_id(const struct msg *);
const msgpack_object *msg_root(const struct msg *);
/* 1 when the message's "t" equals type, else 0. */
int msg_is_type(const struct msg *, const char *type);

/*
 * Field getters on any map object (the root or a nested map). Return 0,
 * ATT_EMISSING (absent or nil), ATT_EWRONGTYPE, ATT_ESTRLONG/ATT_EBINLONG/
 * ATT_EARRLONG (over max), ATT_ERANGE (uint over max), ATT_ENOTMAP (map is not
 * a map), ATT_EMALFORMED (the key appears twice). Strings must be valid UTF-8
 * without NUL bytes (ATT_EENCODING). Pointers point into the message; strings
 * are not NUL-terminated.
 */
int msg_get_str(const msgpack_object *map, const char *key, size_t max, const char **s, size_t *len);
/* Copies the string NUL-terminated; ATT_ESTRLONG when it does not fit in cap. */
int msg_get_strz(const msgpack_object *map, const char *key, char *out, size_t cap);
int msg_get_bin(const msgpack_object *map, const char *key, size_t max, const uint8_t **b, size_t *len);
/* A bin of exactly n bytes: ATT_EKEYLEN for any other length. */
int msg_get_bin_exact(const msgpack_object *map, const char *key, size_t n, const uint8_t **b);
int msg_get_uint(const msgpack_object *map, const char *key, uint64_t max, uint64_t *v);
int msg_get_bool(const msgpack_object *map, const char *key, int *v);
int msg_get_array(const msgpack_object *map, const char *key, size_t max, const msgpack_object **items, size_t *n);
int msg_get_map(const msgpack_object *map, const char *key, const msgpack_object **sub);
int msg_has(const msgpack_object *map, const char *key);  /* present and not nil */

/* Well-formed UTF-8 (no overlongs, surrogates, code points past U+10FFFF) without NUL. */
int msg_utf8_ok(const uint8_t *s, size_t n);
/* The same checks on one object, e.g. an array element. */
int msg_obj_str(const msgpack_object *o, size_t max, const char **s, size_t *len);
int msg_obj_bin(const msgpack_object *o, size_t max, const uint8_t **b, size_t *len);
int msg_obj_uint(const msgpack_object *o, uint64_t max, uint64_t *v);

/*
 * Writer: a growable buffer plus packer. The buffer may hold plaintext, so it
 * is wiped when it grows, on reset and on free. Keys are written as given;
 * the caller writes exactly nfields fields after msg_out_begin.
 */
struct msg_out { msgpack_sbuffer buf; msgpack_packer pk; };
void msg_out_init(struct msg_out *);
void msg_out_reset(struct msg_out *);     /* wipes, keeps the allocation */
void msg_out_free(struct msg_out *);      /* wipes the buffer (may hold plaintext) */
/* Starts a map with 2 + nfields entries and writes "t" and "id". */
void msg_out_begin(struct msg_out *, const char *type, uint64_t id, size_t nfields);
void msg_out_str(struct msg_out *, const char *key, const char *s);
void msg_out_strn(struct msg_out *, const char *key, const char *s, size_t n);
void msg_out_bin(struct msg_out *, const char *key, const uint8_t *b, size_t n);
void msg_out_uint(struct msg_out *, const char *key, uint64_t v);
void msg_out_int(struct msg_out *, const char *key, int64_t v);
void msg_out_bool(struct msg_out *, const char *key, int v);
void msg_out_nil(struct msg_out *, const char *key);
void msg_out_key(struct msg_out *, const char *key);  /* then use pk directly for arrays/maps */
/* A str of strlen(s) bytes, for writing into pk directly (arrays, maps). */
void msg_pack_str(msgpack_packer *pk, const char *s);
/* Whole messages for the common replies (msg_out_reset first, then the message). */
void msg_out_error(struct msg_out *, uint64_t id, int err, const char *text); /* code = att_errcode(err); text NULL = att_strerror(err) */
void msg_out_error_code(struct msg_out *, uint64_t id, const char *code, const char *text);
void msg_out_pong(struct msg_out *, uint64_t id);
/* The bytes written so far (a frame body). */
const uint8_t *msg_out_data(const struct msg_out *);
size_t msg_out_len(const struct msg_out *);
/* 1 if the writer ran out of memory at some point (the bytes are then unusable). */
int msg_out_failed(const struct msg_out *);

#endif
