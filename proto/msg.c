#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/msg.h"

/*
 * msgpack-c's own unpacker keeps a fixed stack of MSGPACK_EMBED_STACK_SIZE
 * (32) containers, so no limit may let a deeper message through to it.
 */
#define MSG_DEPTH_CAP 24

const struct msg_limits msg_limits_default = {
	.max_depth = 16,
	.max_str = 65535,
	.max_bin = 65535,
	.max_array = 4096,
	.max_total_objects = 16384,
};

struct msg {
	msgpack_unpacked up;
	uint8_t *copy;         /* the bytes every str/bin points into */
	size_t copy_len;
	uint64_t id;
	char type[MSG_TYPE_MAX + 1];
};

/* Big-endian unsigned of n (1, 2 or 4) bytes. */
static size_t
be(const uint8_t *p, size_t n)
{
	size_t v = 0, i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * One step of the walk: the object that starts at buf[*pos]. Sets *kind to
 * 0 for a scalar (its bytes skipped), 1 for an array or 2 for a map (only the
 * header skipped, *count elements follow).
 */
enum { OBJ_SCALAR, OBJ_ARRAY, OBJ_MAP };

static int
walk_one(const uint8_t *buf, size_t len, size_t *pos, const struct msg_limits *lim,
    int *kind, size_t *count)
{
	size_t p = *pos, rem = len - p, hdr = 1, body = 0, n;
	uint8_t b;

	if (rem == 0)
		return ATT_ETRUNCATED;
	b = buf[p];
	*kind = OBJ_SCALAR;
	*count = 0;

	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
		/* fixint, nil, bool: one byte */
	} else if (b >= 0x80 && b <= 0x9f) {
		*kind = b <= 0x8f ? OBJ_MAP : OBJ_ARRAY;
		*count = b & 0x0f;
	} else if (b >= 0xa0 && b <= 0xbf) {
		body = b & 0x1f;
		if (body > lim->max_str)
			return ATT_ESTRLONG;
	} else {
		switch (b) {
		case 0xc1:
			return ATT_EMALFORMED;
		case 0xc4: case 0xc5: case 0xc6:        /* bin 8/16/32 */
		case 0xd9: case 0xda: case 0xdb:        /* str 8/16/32 */
			n = b <= 0xc6 ? (size_t)1 << (b - 0xc4) : (size_t)1 << (b - 0xd9);
			if (rem < 1 + n)
				return ATT_ETRUNCATED;
			hdr = 1 + n;
			body = be(buf + p + 1, n);
			if (b <= 0xc6 && body > lim->max_bin)
				return ATT_EBINLONG;
			if (b >= 0xd9 && body > lim->max_str)
				return ATT_ESTRLONG;
			break;
		case 0xc7: case 0xc8: case 0xc9:        /* ext 8/16/32: len, type, data */
			n = (size_t)1 << (b - 0xc7);
			if (rem < 1 + n)
				return ATT_ETRUNCATED;
			hdr = 1 + n + 1;
			body = be(buf + p + 1, n);
			if (body > lim->max_bin)
				return ATT_EBINLONG;
			break;
		case 0xca: body = 4; break;             /* float 32 */
		case 0xcb: body = 8; break;             /* float 64 */
		case 0xcc: case 0xd0: body = 1; break;  /* (u)int 8 */
		case 0xcd: case 0xd1: body = 2; break;
		case 0xce: case 0xd2: body = 4; break;
		case 0xcf: case 0xd3: body = 8; break;
		case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:  /* fixext */
			body = 1 + ((size_t)1 << (b - 0xd4));
			break;
		case 0xdc: case 0xdd:                   /* array 16/32 */
		case 0xde: case 0xdf:                   /* map 16/32 */
			n = b == 0xdc || b == 0xde ? 2 : 4;
			if (rem < 1 + n)
				return ATT_ETRUNCATED;
			hdr = 1 + n;
			*kind = b <= 0xdd ? OBJ_ARRAY : OBJ_MAP;
			*count = be(buf + p + 1, n);
			break;
		default:
			return ATT_EMALFORMED;  /* unreachable: every byte is covered */
		}
	}
	if (*kind != OBJ_SCALAR) {
		if (*count > lim->max_array)
			return ATT_EARRLONG;
		/* Every element takes at least one byte: a header cannot claim
		 * more than the bytes left (the classic msgpack bomb). */
		if (*count > rem - hdr || (*kind == OBJ_MAP && *count > (rem - hdr) / 2))
			return ATT_ETRUNCATED;
	}
	if (hdr > rem || body > rem - hdr)
		return ATT_ETRUNCATED;
	*pos = p + hdr + body;
	return 0;
}

int
msg_check(const uint8_t *buf, size_t len, const struct msg_limits *lim)
{
	size_t left[MSG_DEPTH_CAP + 1];  /* objects still to read at each level */
	size_t pos = 0, sp = 0, objects = 0, max_depth, count;
	int kind, r;

	if (lim == NULL)
		lim = &msg_limits_default;
	max_depth = lim->max_depth < MSG_DEPTH_CAP ? lim->max_depth : MSG_DEPTH_CAP;
	left[0] = 1;
	for (;;) {
		if (left[sp] == 0) {
			if (sp == 0)
				break;
			sp--;
			continue;
		}
		left[sp]--;
		if (++objects > lim->max_total_objects)
			return ATT_ETOOBIG;
		if ((r = walk_one(buf, len, &pos, lim, &kind, &count)) != 0)
			return r;
		if (kind == OBJ_SCALAR)
			continue;
		if (sp + 1 > max_depth)
			return ATT_EDEPTH;
		left[++sp] = kind == OBJ_MAP ? count * 2 : count;
	}
	return pos == len ? 0 : ATT_ETRAILING;
}

/* Finds key in a map. Scans it whole, so a key given twice is an error
 * rather than a question of which copy a reader happens to see. */
static int
find(const msgpack_object *map, const char *key, const msgpack_object **val)
{
	size_t klen = strlen(key);
	uint32_t i;

	*val = NULL;
	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return ATT_ENOTMAP;
	for (i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		if (k->type != MSGPACK_OBJECT_STR || k->via.str.size != klen ||
		    memcmp(k->via.str.ptr, key, klen) != 0)
			continue;
		if (*val != NULL)
			return ATT_EMALFORMED;
		*val = &map->via.map.ptr[i].val;
	}
	if (*val == NULL || (*val)->type == MSGPACK_OBJECT_NIL)
		return ATT_EMISSING;
	return 0;
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF) without NUL, which would cut a C string short. */
int
msg_utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < n) {
		uint8_t c = s[i++];
		if (c == 0)
			return 0;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < need)
			return 0;
		for (k = 0; k < need; k++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i++] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

int
msg_obj_str(const msgpack_object *o, size_t max, const char **s, size_t *len)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return ATT_EWRONGTYPE;
	if (o->via.str.size > max)
		return ATT_ESTRLONG;
	if (!msg_utf8_ok((const uint8_t *)o->via.str.ptr, o->via.str.size))
		return ATT_EENCODING;
	*s = o->via.str.ptr;
	*len = o->via.str.size;
	return 0;
}

int
msg_obj_bin(const msgpack_object *o, size_t max, const uint8_t **b, size_t *len)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return ATT_EWRONGTYPE;
	if (o->via.bin.size > max)
		return ATT_EBINLONG;
	*b = (const uint8_t *)o->via.bin.ptr;
	*len = o->via.bin.size;
	return 0;
}

int
msg_obj_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ATT_EWRONGTYPE;
	if (o->via.u64 > max)
		return ATT_ERANGE;
	*v = o->via.u64;
	return 0;
}

int
msg_get_str(const msgpack_object *map, const char *key, size_t max, const char **s, size_t *len)
{
	const msgpack_object *o;
	int r;

	if ((r = find(map, key, &o)) != 0)
		return r;
	return msg_obj_str(o, max, s, len);
}

int
msg_get_strz(const msgpack_object *map, const char *key, char *out, size_t cap)
{
	const char *s;
	size_t n;
	int r;

	if (cap == 0)
		return ATT_EINVAL;
	out[0] = '\0';
	if ((r = msg_get_str(map, key, cap - 1, &s, &n)) != 0)
		return r;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int
msg_get_bin(const msgpack_object *map, const char *key, size_t max, const uint8_t **b, size_t *len)
{
	const msgpack_object *o;
	int r;

	if ((r = find(map, key, &o)) != 0)
		return r;
	return msg_obj_bin(o, max, b, len);
}

int
msg_get_bin_exact(const msgpack_object *map, const char *key, size_t n, const uint8_t **b)
{
	const msgpack_object *o;
	int r;

	if ((r = find(map, key, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_BIN)
		return ATT_EWRONGTYPE;
	if (o->via.bin.size != n)
		return ATT_EKEYLEN;
	*b = (const uint8_t *)o->via.bin.ptr;
	return 0;
}

int
msg_get_uint(const msgpack_object *map, const char *key, uint64_t max, uint64_t *v)
{
	const msgpack_object *o;
	int r;

	if ((r = find(map, key, &o)) != 0)
		return r;
	return msg_obj_uint(o, max, v);
}

int
msg_get_bool(const msgpack_object *map, const char *key, int *v)
{
	const msgpack_object *o;
	int r;

	if ((r = find(map, key, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return ATT_EWRONGTYPE;
	*v = o->via.boolean ? 1 : 0;
	return 0;
}

int
msg_get_array(const msgpack_object *map, const char *key, size_t max, const msgpack_object **items, size_t *n)
{
	const msgpack_object *o;
	int r;

	if ((r = find(map, key, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return ATT_EWRONGTYPE;
	if (o->via.array.size > max)
		return ATT_EARRLONG;
	*items = o->via.array.ptr;
	*n = o->via.array.size;
	return 0;
}

int
msg_get_map(const msgpack_object *map, const char *key, const msgpack_object **sub)
{
	const msgpack_object *o;
	int r;

	if ((r = find(map, key, &o)) != 0)
		return r;
	if (o->type != MSGPACK_OBJECT_MAP)
		return ATT_EWRONGTYPE;
	*sub = o;
	return 0;
}

int
msg_has(const msgpack_object *map, const char *key)
{
	const msgpack_object *o;
	int r = find(map, key, &o);

	/* A duplicated key is "present": the getter then reports it. */
	return r == 0 || (r == ATT_EMALFORMED && o != NULL);
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	msgpack_unpacked_destroy(&m->up);
	if (m->copy != NULL) {
		sodium_memzero(m->copy, m->copy_len);
		free(m->copy);
	}
	sodium_memzero(m, sizeof(*m));
	free(m);
}

/*
 * The message keeps its own copy of the bytes: msgpack-c points str and bin
 * objects into the input, and a frame buffer is only valid until the next
 * read, while a handler may keep the message longer.
 */
int
msg_parse(const uint8_t *buf, size_t len, const struct msg_limits *lim,
    struct msg **out, uint64_t *id_out)
{
	const msgpack_object *root;
	struct msg *m;
	const char *t;
	size_t tlen, off = 0;
	uint32_t i;
	int r;

	*out = NULL;
	if (id_out != NULL)
		*id_out = 0;
	if ((r = msg_check(buf, len, lim)) != 0)
		return r;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ATT_ENOMEM;
	msgpack_unpacked_init(&m->up);
	if ((m->copy = malloc(len ? len : 1)) == NULL) {
		r = ATT_ENOMEM;
		goto bad;
	}
	memcpy(m->copy, buf, len);
	m->copy_len = len;
	switch (msgpack_unpack_next(&m->up, (const char *)m->copy, len, &off)) {
	case MSGPACK_UNPACK_SUCCESS:
		break;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		r = ATT_ENOMEM;
		goto bad;
	default:
		r = ATT_EMALFORMED;  /* msg_check let through what msgpack-c refused */
		goto bad;
	}
	if (off != len) {
		r = ATT_ETRAILING;
		goto bad;
	}
	root = &m->up.data;
	if (root->type != MSGPACK_OBJECT_MAP) {
		r = ATT_ENOTMAP;
		goto bad;
	}
	for (i = 0; i < root->via.map.size; i++) {
		if (root->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR) {
			r = ATT_ENOTMAP;
			goto bad;
		}
	}
	if ((r = msg_get_uint(root, "id", MSG_ID_MAX, &m->id)) != 0)
		goto bad;
	if (id_out != NULL)
		*id_out = m->id;
	if ((r = msg_get_str(root, "t", MSG_TYPE_MAX, &t, &tlen)) != 0)
		goto bad;
	memcpy(m->type, t, tlen);
	m->type[tlen] = '\0';
	*out = m;
	return 0;
bad:
	msg_free(m);
	return r;
}

const char *
msg_type(const struct msg *m)
{
	return m->type;
}

uint64_t
msg_id(const struct msg *m)
{
	return m->id;
}

const msgpack_object *
msg_root(const struct msg *m)
{
	return &m->up.data;
}

int
msg_is_type(const struct msg *m, const char *type)
{
	return strcmp(m->type, type) == 0;
}

/*
 * The writer keeps msgpack_sbuffer's fields but grows the buffer itself, so
 * the old copy is wiped before it is freed. A failed allocation leaves
 * data NULL with alloc 1, which every later write and msg_out_failed see.
 */
static int
out_write(void *data, const char *b, size_t n)
{
	msgpack_sbuffer *sb = data;
	size_t cap;
	char *p;

	if (sb->data == NULL && sb->alloc == 1)
		return -1;
	if (n > SIZE_MAX / 2 - sb->size)
		goto nomem;
	if (sb->size + n > sb->alloc) {
		cap = sb->alloc ? sb->alloc : 256;
		while (cap < sb->size + n)
			cap *= 2;
		if ((p = malloc(cap)) == NULL)
			goto nomem;
		if (sb->data != NULL) {
			memcpy(p, sb->data, sb->size);
			sodium_memzero(sb->data, sb->alloc);
			free(sb->data);
		}
		sb->data = p;
		sb->alloc = cap;
	}
	memcpy(sb->data + sb->size, b, n);
	sb->size += n;
	return 0;
nomem:
	if (sb->data != NULL) {
		sodium_memzero(sb->data, sb->alloc);
		free(sb->data);
	}
	sb->data = NULL;
	sb->size = 0;
	sb->alloc = 1;
	return -1;
}

void
msg_out_init(struct msg_out *o)
{
	memset(o, 0, sizeof(*o));
	msgpack_packer_init(&o->pk, &o->buf, out_write);
}

void
msg_out_reset(struct msg_out *o)
{
	if (o->buf.data != NULL)
		sodium_memzero(o->buf.data, o->buf.alloc);
	else
		o->buf.alloc = 0;  /* clears a failure */
	o->buf.size = 0;
}

void
msg_out_free(struct msg_out *o)
{
	if (o->buf.data != NULL) {
		sodium_memzero(o->buf.data, o->buf.alloc);
		free(o->buf.data);
	}
	msg_out_init(o);
}

static void
pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
msg_pack_str(msgpack_packer *pk, const char *s)
{
	pack_str(pk, s, strlen(s));
}

void
msg_out_key(struct msg_out *o, const char *key)
{
	msg_pack_str(&o->pk, key);
}

void
msg_out_begin(struct msg_out *o, const char *type, uint64_t id, size_t nfields)
{
	msgpack_pack_map(&o->pk, 2 + nfields);
	msg_out_str(o, "t", type);
	msg_out_uint(o, "id", id);
}

void
msg_out_str(struct msg_out *o, const char *key, const char *s)
{
	msg_out_strn(o, key, s, strlen(s));
}

void
msg_out_strn(struct msg_out *o, const char *key, const char *s, size_t n)
{
	msg_out_key(o, key);
	pack_str(&o->pk, s, n);
}

void
msg_out_bin(struct msg_out *o, const char *key, const uint8_t *b, size_t n)
{
	msg_out_key(o, key);
	msgpack_pack_bin(&o->pk, n);
	msgpack_pack_bin_body(&o->pk, b, n);
}

void
msg_out_uint(struct msg_out *o, const char *key, uint64_t v)
{
	msg_out_key(o, key);
	msgpack_pack_uint64(&o->pk, v);
}

void
msg_out_int(struct msg_out *o, const char *key, int64_t v)
{
	msg_out_key(o, key);
	msgpack_pack_int64(&o->pk, v);
}

void
msg_out_bool(struct msg_out *o, const char *key, int v)
{
	msg_out_key(o, key);
	if (v)
		msgpack_pack_true(&o->pk);
	else
		msgpack_pack_false(&o->pk);
}

void
msg_out_nil(struct msg_out *o, const char *key)
{
	msg_out_key(o, key);
	msgpack_pack_nil(&o->pk);
}

void
msg_out_error_code(struct msg_out *o, uint64_t id, const char *code, const char *text)
{
	msg_out_begin(o, "error", id, 2);
	msg_out_str(o, "code", code);
	msg_out_str(o, "msg", text != NULL ? text : code);
}

void
msg_out_error(struct msg_out *o, uint64_t id, int err, const char *text)
{
	msg_out_error_code(o, id, att_errcode(err), text != NULL ? text : att_strerror(err));
}

void
msg_out_pong(struct msg_out *o, uint64_t id)
{
	msg_out_begin(o, "pong", id, 0);
}

const uint8_t *
msg_out_data(const struct msg_out *o)
{
	return (const uint8_t *)o->buf.data;
}

size_t
msg_out_len(const struct msg_out *o)
{
	return o->buf.size;
}

int
msg_out_failed(const struct msg_out *o)
{
	return o->buf.data == NULL && o->buf.alloc == 1;
}
