/*
 * libFuzzer target: what the relay does with bytes from an unauthenticated
 * peer. The input is used twice:
 *   1. as a whole, as Noise IK message 1 read by a fresh responder;
 *   2. as a stream of wire frames (2-byte big-endian length, then bytes):
 *      the first frame is message 1; if it is accepted the responder answers
 *      with message 2, splits, and every later frame goes to transport decrypt.
 * The keys are fixed so the corpus can hold a valid message 1 and valid
 * transport frames (fuzz/corpus/noise_responder/) for the mutator to start
 * from. The seeds are made by this file's own main, built with
 * -DNOISE_FUZZ_SEED (see the end of the file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Responder static, initiator static, initiator and responder ephemerals. */
#define FUZZ_RS 0x11
#define FUZZ_IS 0x22
#define FUZZ_IE 0x33
#define FUZZ_RE 0x44

static void
fixed_key(uint8_t k[NOISE_KEYLEN], uint8_t fill)
{
	memset(k, fill, NOISE_KEYLEN);
}

static struct noise_hs *
fuzz_responder(void)
{
	uint8_t rs[NOISE_KEYLEN], re[NOISE_KEYLEN];
	struct noise_hs *hs;

	fixed_key(rs, FUZZ_RS);
	fixed_key(re, FUZZ_RE);
	hs = noise_hs_responder(rs, (const uint8_t *)NOISE_PROLOGUE, NOISE_PROLOGUE_LEN);
	if (hs == NULL)
		abort();
	if (noise_hs_fix_ephemeral(hs, re) != 0)
		abort();
	return hs;
}

/* Reads one frame at *off; returns its length or -1 at the end of the input. */
static long
next_frame(const uint8_t *data, size_t size, size_t *off, const uint8_t **body)
{
	size_t len;

	if (size - *off < 2)
		return -1;
	len = ((size_t)data[*off] << 8) | data[*off + 1];
	if (size - *off - 2 < len)
		return -1;
	*body = data + *off + 2;
	*off += 2 + len;
	return (long)len;
}

static void
run_framed(const uint8_t *data, size_t size)
{
	static uint8_t buf[NOISE_MAXMSG];
	struct noise_hs *hs = fuzz_responder();
	struct noise_cs *cs = NULL;
	const uint8_t *body;
	size_t off = 0;
	long len;
	int n;

	if ((len = next_frame(data, size, &off, &body)) < 0)
		goto out;
	n = noise_hs_read(hs, buf, sizeof(buf), body, (size_t)len);
	if (n < 0)
		goto out;
	if (n > len)
		abort();
	n = noise_hs_write(hs, buf, sizeof(buf), (const uint8_t *)"hello", 5);
	if (n != NOISE_IK_MSG2_LEN + 5 || !noise_hs_done(hs))
		abort();
	if (noise_hs_split(hs, &cs, NULL) != 0)
		goto out;
	while ((len = next_frame(data, size, &off, &body)) >= 0) {
		n = noise_cs_decrypt(cs, buf, sizeof(buf), body, (size_t)len);
		if (n >= 0 && (long)n != len - NOISE_TAGLEN)
			abort();
	}
out:
	noise_cs_free(cs);
	noise_hs_free(hs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[NOISE_MAXMSG];
	struct noise_hs *hs;
	int n;

	if (sodium_init() < 0)
		abort();
	hs = fuzz_responder();
	n = noise_hs_read(hs, buf, sizeof(buf), data, size);
	if (n >= 0 && (size_t)n + NOISE_IK_MSG1_LEN != size)
		abort();
	if (n < 0 && noise_hs_write(hs, buf, sizeof(buf), NULL, 0) != ATT_ESTATE)
		abort();
	noise_hs_free(hs);
	run_framed(data, size);
	return 0;
}

#ifdef NOISE_FUZZ_SEED
/*
 * Writes the seed corpus into the folder given:
 *   cc -std=c11 -I. -DNOISE_FUZZ_SEED -o seed fuzz/fuzz_noise_responder.c \
 *     build/libattune.a -lsodium && ./seed fuzz/corpus/noise_responder
 */
#include <stdio.h>

static void
put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static size_t
frame(uint8_t *out, const uint8_t *p, size_t n)
{
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	memcpy(out + 2, p, n);
	return n + 2;
}

int
main(int argc, char **argv)
{
	static uint8_t m1[NOISE_MAXMSG], m2[NOISE_MAXMSG], ct[NOISE_MAXMSG], stream[1 << 16];
	uint8_t is[NOISE_KEYLEN], ie[NOISE_KEYLEN], rs[NOISE_KEYLEN], rs_pub[NOISE_KEYLEN];
	struct noise_hs *ini, *resp = fuzz_responder();
	struct noise_cs *cs;
	size_t off = 0;
	int n1, n, i;

	if (argc != 2 || sodium_init() < 0)
		return 2;
	fixed_key(is, FUZZ_IS);
	fixed_key(ie, FUZZ_IE);
	fixed_key(rs, FUZZ_RS);
	noise_pubkey(rs_pub, rs);
	ini = noise_hs_initiator(is, rs_pub, (const uint8_t *)NOISE_PROLOGUE, NOISE_PROLOGUE_LEN);
	noise_hs_fix_ephemeral(ini, ie);

	n1 = noise_hs_write(ini, m1, sizeof(m1), NULL, 0);
	put(argv[1], "msg1-empty", m1, (size_t)n1);
	off = frame(stream, m1, (size_t)n1);
	if (noise_hs_read(resp, ct, sizeof(ct), m1, (size_t)n1) != 0 ||
	    noise_hs_write(resp, m2, sizeof(m2), (const uint8_t *)"hello", 5) < 0 ||
	    noise_hs_read(ini, ct, sizeof(ct), m2, NOISE_IK_MSG2_LEN + 5) != 5 ||
	    noise_hs_split(ini, &cs, NULL) != 0)
		return 1;
	for (i = 0; i < 4; i++) {
		uint8_t pt[64];

		memset(pt, 'a' + i, sizeof(pt));
		n = noise_cs_encrypt(cs, ct, sizeof(ct), pt, (size_t)(i * 16));
		off += frame(stream + off, ct, (size_t)n);
	}
	put(argv[1], "framed-msg1-transport", stream, off);
	stream[off - 1] ^= 1;
	put(argv[1], "framed-last-tampered", stream, off);
	noise_cs_free(cs);
	noise_hs_free(ini);
	noise_hs_free(resp);

	ini = noise_hs_initiator(is, rs_pub, (const uint8_t *)NOISE_PROLOGUE, NOISE_PROLOGUE_LEN);
	noise_hs_fix_ephemeral(ini, ie);
	n = noise_hs_write(ini, m1, sizeof(m1), (const uint8_t *)"payload in message 1", 20);
	put(argv[1], "msg1-payload", m1, (size_t)n);
	noise_hs_free(ini);
	memset(m1, 0, NOISE_IK_MSG1_LEN);
	put(argv[1], "msg1-zero", m1, NOISE_IK_MSG1_LEN);
	put(argv[1], "short", (const uint8_t *)"attune/1", 8);
	return 0;
}
#endif
