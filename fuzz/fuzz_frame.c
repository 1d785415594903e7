/*
 * Frame decoder: the input is a limit, a seed and a byte stream. The stream
 * is fed in chunks split by the seed and every frame, the final status and
 * the memory held are compared with a one-shot reading of the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct ref {
	size_t *off, *len, count;
	int end;  /* 0, ATT_ETRUNCATED or ATT_ETOOBIG */
};

/* The frames a stream holds, read in one go. */
static void
ref_parse(const uint8_t *s, size_t n, size_t max, struct ref *r)
{
	size_t pos = 0;

	r->count = 0;
	r->end = 0;
	while (pos < n) {
		size_t len;
		if (n - pos < FRAME_HDR) {
			r->end = ATT_ETRUNCATED;
			return;
		}
		len = (size_t)s[pos] << 8 | s[pos + 1];
		if (len > max) {
			r->end = ATT_ETOOBIG;
			return;
		}
		if (n - pos - FRAME_HDR < len) {
			r->end = ATT_ETRUNCATED;
			return;
		}
		r->off[r->count] = pos + FRAME_HDR;
		r->len[r->count] = len;
		r->count++;
		pos += FRAME_HDR + len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_dec *d;
	struct ref ref;
	size_t max, pos = 0, got = 0, n;
	const uint8_t *s;
	uint32_t rng;
	int err = 0;

	if (size < 3)
		return 0;
	/* Small limits are the interesting ones; 0xff means FRAME_MAX. */
	max = data[0] == 0xff ? FRAME_MAX : data[0];
	rng = (uint32_t)data[1] << 8 | data[2];
	s = data + 3;
	n = size - 3;

	ref.off = malloc((n / FRAME_HDR + 1) * sizeof(size_t));
	ref.len = malloc((n / FRAME_HDR + 1) * sizeof(size_t));
	CHECK(ref.off != NULL && ref.len != NULL);
	ref_parse(s, n, max, &ref);

	d = frame_dec_new(max);
	CHECK(d != NULL);
	while (pos < n && err == 0) {
		size_t chunk;
		rng = rng * 1103515245u + 12345u;
		chunk = 1 + (rng >> 16) % 64;
		if (chunk > n - pos)
			chunk = n - pos;
		while (chunk > 0) {
			const uint8_t *f;
			size_t flen;
			int r = frame_dec_feed(d, s + pos, chunk, &f, &flen);
			if (r < 0) {
				err = r;
				break;
			}
			CHECK((size_t)r <= chunk);
			CHECK(frame_dec_memory(d) <= max);
			pos += (size_t)r;
			chunk -= (size_t)r;
			if (f == NULL) {
				CHECK(chunk == 0);
				continue;
			}
			CHECK(got < ref.count);
			CHECK(flen == ref.len[got]);
			CHECK(flen == 0 || memcmp(f, s + ref.off[got], flen) == 0);
			got++;
		}
	}
	CHECK(got == ref.count);
	if (err != 0)
		CHECK(err == ref.end && err == ATT_ETOOBIG);
	else
		CHECK(frame_dec_finish(d) == ref.end);
	frame_dec_free(d);
	free(ref.off);
	free(ref.len);
	return 0;
}
