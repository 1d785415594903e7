/*
 * Ratchet and session parsing and decryption. The first input byte picks
 * the target, the rest is fed to it:
 *   0  ratchet_load, and a loaded state must save back to the same bytes
 *   1  ratchet_decrypt against a fixed receiving state
 *   2  session_load, with the same round-trip check
 *   3  session_decrypt against a fixed session record
 * For 1 and 3, a rejected input must leave the state's serialisation
 * exactly as it was. The fixed states are built from constants (below), so
 * every run is deterministic; fuzz_ratchet_fixed() also lets a corpus
 * generator make the matching sender state.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/ratchet.h"
#include "proto/session.h"
#include "proto/x3dh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t fuzz_ratchet_fixed(uint8_t *out, int sender);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define FIXED_LEN (1 + 1 + 64 + 6 * 32 + 3 * 4 + 1 + 4)
#define BLOB_MAX (FIXED_LEN + 32 + 2 * 68)

static void
fill(uint8_t *p, uint8_t v)
{
	memset(p, v, 32);
}

/*
 * A receiving state in the middle of a conversation (version 1 layout of
 * docs/PROTOCOL.md 6.4), or the peer's matching sending state.
 */
size_t
fuzz_ratchet_fixed(uint8_t *out, int sender)
{
	uint8_t recv_sk[32], send_sk[32], recv_pk[32], send_pk[32], prev[32], s3[32];
	uint8_t *p = out;

	fill(recv_sk, 0x11);
	fill(send_sk, 0x22);
	fill(s3, 0x33);
	crypto_scalarmult_base(recv_pk, recv_sk);
	crypto_scalarmult_base(send_pk, send_sk);
	crypto_scalarmult_base(prev, s3);
	*p++ = 1;
	*p++ = sender ? 0x0b : 0x0f;
	memset(p, 0xa0, 64), p += 64;
	memcpy(p, sender ? send_sk : recv_sk, 32), p += 32;
	memcpy(p, sender ? send_pk : recv_pk, 32), p += 32;
	memcpy(p, sender ? recv_pk : send_pk, 32), p += 32;	/* dhr */
	fill(p, 0x44), p += 32;				/* rk */
	fill(p, 0x66), p += 32;				/* cks: the receiver's ckr */
	fill(p, 0x66), p += 32;				/* ckr */
	be_put32(p, 2), p += 4;				/* ns */
	be_put32(p, 2), p += 4;				/* nr */
	be_put32(p, 1), p += 4;				/* pn */
	*p++ = sender ? 0 : 1;				/* previous peer keys */
	be_put32(p, sender ? 0 : 2), p += 4;		/* skipped keys */
	if (!sender) {
		memcpy(p, prev, 32), p += 32;
		memcpy(p, send_pk, 32), p += 32;
		be_put32(p, 0), p += 4;
		fill(p, 0x77), p += 32;
		memcpy(p, prev, 32), p += 32;
		be_put32(p, 5), p += 4;
		fill(p, 0x88), p += 32;
	}
	return (size_t)(p - out);
}

static int
lookup(void *arg, uint32_t spk_id, uint8_t spk_sk[32], uint32_t otk_id, uint8_t otk_sk[32])
{
	(void)arg;
	if (spk_id != 1 || (otk_id != X3DH_NO_OTK && otk_id != 2))
		return ATT_ENOTFOUND;
	fill(spk_sk, 0x99);
	fill(otk_sk, 0xaa);
	return 0;
}

static uint8_t *
save_ratchet(const struct ratchet *r, size_t *len)
{
	uint8_t *p;

	*len = ratchet_save_size(r);
	CHECK((p = malloc(*len)) != NULL);
	CHECK(ratchet_save(r, p, *len) == (int)*len);
	return p;
}

static uint8_t *
save_session(const struct session *s, size_t *len)
{
	uint8_t *p;

	*len = session_save_size(s);
	CHECK((p = malloc(*len ? *len : 1)) != NULL);
	CHECK(session_save(s, p, *len) == (int)*len);
	return p;
}

static void
roundtrip_ratchet(const uint8_t *d, size_t n)
{
	struct ratchet *r;
	uint8_t *back;
	size_t len;

	if (ratchet_load(&r, d, n) != 0)
		return;
	back = save_ratchet(r, &len);
	CHECK(len == n && memcmp(back, d, n) == 0);
	free(back);
	ratchet_free(r);
}

static void
roundtrip_session(const uint8_t *d, size_t n)
{
	struct session *s;
	uint8_t *back;
	size_t len;

	if (session_load(&s, d, n) != 0)
		return;
	back = save_session(s, &len);
	CHECK(len == n && memcmp(back, d, n) == 0);
	free(back);
	session_free(s);
}

static void
decrypt_ratchet(const uint8_t *d, size_t n)
{
	uint8_t blob[BLOB_MAX], *pt, *after;
	struct ratchet *r;
	size_t blen = fuzz_ratchet_fixed(blob, 0), alen;
	int rc;

	CHECK(ratchet_load(&r, blob, blen) == 0);
	CHECK((pt = malloc(n + 1)) != NULL);
	rc = ratchet_decrypt(r, pt, n + 1, d, n);
	if (rc < 0) {
		after = save_ratchet(r, &alen);
		CHECK(alen == blen && memcmp(after, blob, blen) == 0);
		free(after);
	}
	free(pt);
	ratchet_free(r);
}

static void
decrypt_session(const uint8_t *d, size_t n)
{
	uint8_t blob[BLOB_MAX], rec[1 + 96 + 1 + 1 + X3DH_HEADER_LEN + 4 + BLOB_MAX + 1];
	uint8_t my_sk[32], my_pk[32], peer[32], *pt, *before, *after;
	struct session *s;
	size_t blen = fuzz_ratchet_fixed(blob, 0), rlen, alen;
	uint32_t used;
	uint8_t *p = rec;
	int rc;

	fill(my_sk, 0xbb);
	crypto_scalarmult_base(my_pk, my_sk);
	fill(peer, 0xcc);
	crypto_scalarmult_base(peer, peer);
	*p++ = SESSION_VERSION;
	memcpy(p, my_pk, 32), p += 32;
	memcpy(p, peer, 32), p += 32;
	fill(p, 0xdd), p += 32;
	*p++ = 1;
	*p++ = 0;
	memset(p, 0xee, X3DH_HEADER_LEN), p += X3DH_HEADER_LEN;
	be_put32(p, (uint32_t)blen), p += 4;
	memcpy(p, blob, blen), p += blen;
	*p++ = 0;					/* no X3DH ephemerals seen */
	rlen = (size_t)(p - rec);
	CHECK(session_load(&s, rec, rlen) == 0);
	before = save_session(s, &rlen);
	CHECK((pt = malloc(n + 1)) != NULL);
	rc = session_decrypt(s, pt, n + 1, d, n, my_sk, lookup, NULL, &used);
	if (rc < 0) {
		after = save_session(s, &alen);
		CHECK(alen == rlen && memcmp(after, before, rlen) == 0);
		free(after);
	}
	free(before);
	free(pt);
	session_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 70000 || sodium_init() < 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		roundtrip_ratchet(data + 1, size - 1);
		break;
	case 1:
		decrypt_ratchet(data + 1, size - 1);
		break;
	case 2:
		roundtrip_session(data + 1, size - 1);
		break;
	default:
		decrypt_session(data + 1, size - 1);
		break;
	}
	return 0;
}
