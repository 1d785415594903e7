#include <sodium.h>
#include <string.h>

#include "proto/envelope.h"
#include "proto/err.h"
#include "proto/ratchet.h"
#include "proto/x3dh.h"

size_t
envelope_bucket(size_t len)
{
	size_t b;

	/* At least one byte of padding (the 0x80 marker) always fits. */
	for (b = ENVELOPE_MIN_BUCKET; b <= ENVELOPE_MAX_BUCKET; b *= 2)
		if (len < b)
			return b;
	return 0;
}

static int
is_bucket(size_t len)
{
	size_t b;

	for (b = ENVELOPE_MIN_BUCKET; b <= ENVELOPE_MAX_BUCKET; b *= 2)
		if (len == b)
			return 1;
	return 0;
}

int
envelope_pad(uint8_t *buf, size_t len, size_t cap)
{
	size_t bucket = envelope_bucket(len), padded;

	if (buf == NULL || bucket == 0)
		return bucket == 0 ? ATT_ETOOBIG : ATT_EINVAL;
	if (cap < bucket)
		return ATT_EINVAL;
	if (sodium_pad(&padded, buf, len, bucket, cap) != 0 || padded != bucket)
		return ATT_EINVAL;
	return (int)padded;
}

int
envelope_unpad(const uint8_t *buf, size_t len)
{
	size_t unpadded;

	if (buf == NULL || !is_bucket(len))
		return ATT_EMALFORMED;
	if (sodium_unpad(&unpadded, buf, len, len) != 0)
		return ATT_EMALFORMED;
	return (int)unpadded;
}

size_t
envelope_size(int type, size_t bucket)
{
	return 2 + (type == ENVELOPE_PREKEY ? X3DH_HEADER_LEN : 0) + RATCHET_OVERHEAD + bucket;
}

int
envelope_parse(struct envelope_view *v, const uint8_t *env, size_t len)
{
	size_t off = 2;

	if (v == NULL)
		return ATT_EINVAL;
	memset(v, 0, sizeof(*v));
	if (env == NULL || len < 2)
		return ATT_ETRUNCATED;
	if (env[0] != ENVELOPE_VERSION)
		return ATT_EVERSION;
	if (env[1] != ENVELOPE_PREKEY && env[1] != ENVELOPE_NORMAL)
		return ATT_EMALFORMED;
	if (len > ENVELOPE_MAX)
		return ATT_ETOOBIG;
	if (env[1] == ENVELOPE_PREKEY) {
		if (len < off + X3DH_HEADER_LEN)
			return ATT_ETRUNCATED;
		v->x3dh = env + off;
		off += X3DH_HEADER_LEN;
	}
	if (len < off + RATCHET_OVERHEAD + ENVELOPE_MIN_BUCKET)
		return ATT_ETRUNCATED;
	if (!is_bucket(len - off - RATCHET_OVERHEAD))
		return ATT_EMALFORMED;
	v->type = env[1];
	v->msg = env + off;
	v->msg_len = len - off;
	return 0;
}

int
envelope_write_prefix(uint8_t *out, size_t cap, int type, const uint8_t *x3dh_header)
{
	size_t need = 2 + (type == ENVELOPE_PREKEY ? X3DH_HEADER_LEN : 0);

	if (out == NULL || (type != ENVELOPE_PREKEY && type != ENVELOPE_NORMAL) ||
	    (type == ENVELOPE_PREKEY && x3dh_header == NULL))
		return ATT_EINVAL;
	if (cap < need)
		return ATT_EINVAL;
	out[0] = ENVELOPE_VERSION;
	out[1] = (uint8_t)type;
	if (type == ENVELOPE_PREKEY)
		memcpy(out + 2, x3dh_header, X3DH_HEADER_LEN);
	return (int)need;
}
