/*
 * Envelopes and padding (docs/PROTOCOL.md 6.5). An envelope is what the
 * relay's `put` carries in `env` for one recipient device:
 *
 *   version (1 byte, ENVELOPE_VERSION) | type (1 byte) |
 *   [X3DH header, X3DH_HEADER_LEN bytes, type ENVELOPE_PREKEY only] |
 *   ratchet message (header + AEAD ciphertext of the padded plaintext)
 *
 * The plaintext inside is padded (ISO/IEC 7816-4, sodium_pad) to the
 * smallest bucket that holds it plus one byte: 256, 512, 1024, 2048, 4096,
 * 8192, 16384 bytes. So any check-in, bid or response of ordinary size
 * travels as the same 256 or 512 bytes, and envelopes differ in length only
 * by bucket and by type.
 */
#ifndef ATTUNE_ENVELOPE_H
#define ATTUNE_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_VERSION 1
#define ENVELOPE_PREKEY 1   /* carries the X3DH header: first messages of a session */
#define ENVELOPE_NORMAL 2
#define ENVELOPE_MIN_BUCKET 256
#define ENVELOPE_MAX_BUCKET 16384
#define ENVELOPE_MAX_PLAINTEXT (ENVELOPE_MAX_BUCKET - 1)
/* Largest envelope: prekey type, largest bucket. */
#define ENVELOPE_MAX (2 + 73 + 40 + ENVELOPE_MAX_BUCKET + 16)

/* The padded size for a plaintext of len bytes, or 0 if over the limit. */
size_t envelope_bucket(size_t len);
/* Pads buf (len bytes, capacity cap) in place; returns the bucket size. */
int envelope_pad(uint8_t *buf, size_t len, size_t cap);
/* Checks the padding and returns the unpadded length (ATT_EMALFORMED). */
int envelope_unpad(const uint8_t *buf, size_t len);

/* An envelope's parts; pointers into the caller's buffer, nothing copied. */
struct envelope_view {
	int type;                  /* ENVELOPE_PREKEY or ENVELOPE_NORMAL */
	const uint8_t *x3dh;       /* X3DH header, or NULL */
	const uint8_t *msg;        /* ratchet message */
	size_t msg_len;
};

/* Validates version, type and lengths (nothing is decrypted). */
int envelope_parse(struct envelope_view *v, const uint8_t *env, size_t len);
/* The envelope length for a padded plaintext of `bucket` bytes. */
size_t envelope_size(int type, size_t bucket);
/* Writes version, type and (for ENVELOPE_PREKEY) the X3DH header into out;
 * returns the offset where the ratchet message goes. */
int envelope_write_prefix(uint8_t *out, size_t cap, int type, const uint8_t *x3dh_header);

#endif
