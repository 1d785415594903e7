#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/err.h"
#include "proto/frame.h"
#include "tests/unit/tutil.h"

/* Appends one frame (header + body) to a stream buffer. */
static size_t
put_frame(uint8_t *s, size_t at, const uint8_t *body, size_t n)
{
	assert_int_equal(frame_put_header(s + at, n), 0);
	if (n)
		memcpy(s + at + FRAME_HDR, body, n);
	return at + FRAME_HDR + n;
}

struct seen {
	size_t count;
	size_t lens[64];
	uint8_t *bodies[64];
	size_t peak_memory;
};

static void
seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		free(s->bodies[i]);
}

/*
 * Feeds the stream in chunks of fixed_chunk bytes (0: random sizes from rng)
 * and records every frame. Returns the first error or 0.
 */
static int
feed_chunked(struct frame_dec *d, const uint8_t *s, size_t n, uint64_t *rng,
    size_t fixed_chunk, struct seen *out)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	while (pos < n) {
		size_t chunk = fixed_chunk ? fixed_chunk : 1 + tutil_rand(rng) % 300;
		const uint8_t *f;
		size_t flen, off = 0;

		if (chunk > n - pos)
			chunk = n - pos;
		while (off < chunk) {
			int r = frame_dec_feed(d, s + pos + off, chunk - off, &f, &flen);
			if (r < 0)
				return r;
			assert_true((size_t)r <= chunk - off);
			if (frame_dec_memory(d) > out->peak_memory)
				out->peak_memory = frame_dec_memory(d);
			off += (size_t)r;
			if (f != NULL) {
				assert_true(out->count < 64);
				out->lens[out->count] = flen;
				out->bodies[out->count] = malloc(flen + 1);
				memcpy(out->bodies[out->count], f, flen);
				out->count++;
			} else {
				/* No frame: everything offered was consumed. */
				assert_int_equal(off, chunk);
			}
		}
		pos += chunk;
	}
	return 0;
}

static uint8_t stream[4 * (FRAME_MAX + FRAME_HDR)];

/* A stream with an empty frame, small ones and a maximal one. */
static size_t
sample_stream(size_t *lens, uint8_t **bodies, size_t *count)
{
	static uint8_t big[FRAME_MAX];
	static uint8_t small[300];
	size_t at = 0, i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(small); i++)
		small[i] = (uint8_t)(255 - i);
	lens[0] = 5; bodies[0] = small;
	lens[1] = 0; bodies[1] = small;
	lens[2] = FRAME_MAX; bodies[2] = big;
	lens[3] = 1; bodies[3] = small + 9;
	lens[4] = 300; bodies[4] = small;
	*count = 5;
	for (i = 0; i < *count; i++)
		at = put_frame(stream, at, bodies[i], lens[i]);
	return at;
}

static void
check_seen(const struct seen *s, const size_t *lens, uint8_t **bodies, size_t count)
{
	size_t i;

	assert_int_equal(s->count, count);
	for (i = 0; i < count; i++) {
		assert_int_equal(s->lens[i], lens[i]);
		if (lens[i] > 0)
			assert_memory_equal(s->bodies[i], bodies[i], lens[i]);
	}
}

static void
test_frame_whole_chunk_no_copy(void **state)
{
	struct frame_dec *d = frame_dec_new(FRAME_MAX);
	uint8_t s[32];
	const uint8_t *f;
	size_t flen, at;
	int r;

	(void)state;
	at = put_frame(s, 0, (const uint8_t *)"hello", 5);
	at = put_frame(s, at, (const uint8_t *)"abc", 3);
	r = frame_dec_feed(d, s, at, &f, &flen);
	/* Stops right after the first frame and points into the input. */
	assert_int_equal(r, 7);
	assert_ptr_equal(f, s + 2);
	assert_int_equal(flen, 5);
	assert_int_equal(frame_dec_memory(d), 0);
	r = frame_dec_feed(d, s + 7, at - 7, &f, &flen);
	assert_int_equal(r, 5);
	assert_ptr_equal(f, s + 9);
	assert_int_equal(flen, 3);
	assert_int_equal(frame_dec_finish(d), 0);
	/* Nothing in, nothing out. */
	r = frame_dec_feed(d, s, 0, &f, &flen);
	assert_int_equal(r, 0);
	assert_null(f);
	frame_dec_free(d);
}

static void
test_frame_one_byte_at_a_time(void **state)
{
	size_t lens[8], count, n;
	uint8_t *bodies[8];
	struct seen seen;
	struct frame_dec *d = frame_dec_new(FRAME_MAX);

	(void)state;
	n = sample_stream(lens, bodies, &count);
	assert_int_equal(feed_chunked(d, stream, n, NULL, 1, &seen), 0);
	check_seen(&seen, lens, bodies, count);
	/* Never held more than the largest announced body. */
	assert_int_equal(seen.peak_memory, FRAME_MAX);
	assert_int_equal(frame_dec_finish(d), 0);
	seen_free(&seen);
	frame_dec_free(d);
}

/* Property: any split of the stream gives the same frames. */
static void
test_frame_random_chunks(void **state)
{
	size_t lens[8], count, n;
	uint8_t *bodies[8];
	uint64_t rng = tutil_seed("frame chunks");
	int round;

	(void)state;
	n = sample_stream(lens, bodies, &count);
	for (round = 0; round < 20; round++) {
		struct seen seen;
		struct frame_dec *d = frame_dec_new(FRAME_MAX);
		assert_int_equal(feed_chunked(d, stream, n, &rng, 0, &seen), 0);
		check_seen(&seen, lens, bodies, count);
		assert_true(seen.peak_memory <= FRAME_MAX);
		assert_int_equal(frame_dec_finish(d), 0);
		seen_free(&seen);
		frame_dec_free(d);
	}
}

/* An idle decoder holds no buffer once the split frame was handed out. */
static void
test_frame_memory_released(void **state)
{
	struct frame_dec *d = frame_dec_new(1000);
	uint8_t s[2 + 600];
	const uint8_t *f;
	size_t flen;
	int r;

	(void)state;
	memset(s, 'x', sizeof(s));
	frame_put_header(s, 600);
	r = frame_dec_feed(d, s, 100, &f, &flen);
	assert_int_equal(r, 100);
	assert_null(f);
	assert_int_equal(frame_dec_memory(d), 600);  /* exactly the announced size */
	assert_int_equal(frame_dec_finish(d), ATT_ETRUNCATED);
	r = frame_dec_feed(d, s + 100, sizeof(s) - 100, &f, &flen);
	assert_int_equal(r, sizeof(s) - 100);
	assert_non_null(f);
	assert_int_equal(flen, 600);
	assert_int_equal(f[599], 'x');
	assert_int_equal(frame_dec_finish(d), 0);
	r = frame_dec_feed(d, s, 0, &f, &flen);
	assert_int_equal(r, 0);
	assert_int_equal(frame_dec_memory(d), 0);
	frame_dec_free(d);
}

static void
test_frame_oversize(void **state)
{
	struct frame_dec *d = frame_dec_new(100);
	uint8_t s[2 + 101] = { 0 };
	const uint8_t *f;
	size_t flen;

	(void)state;
	/* Exactly the limit passes. */
	frame_put_header(s, 100);
	assert_int_equal(frame_dec_feed(d, s, 102, &f, &flen), 102);
	assert_int_equal(flen, 100);
	/* One more is refused from the header alone, before any body byte. */
	frame_put_header(s, 101);
	assert_int_equal(frame_dec_feed(d, s, 1, &f, &flen), 1);
	assert_int_equal(frame_dec_feed(d, s + 1, 1, &f, &flen), ATT_ETOOBIG);
	assert_null(f);
	assert_int_equal(frame_dec_memory(d), 0);
	/* The error sticks: the stream cannot be resynchronised. */
	assert_int_equal(frame_dec_feed(d, s, 102, &f, &flen), ATT_ETOOBIG);
	assert_int_equal(frame_dec_finish(d), ATT_ETOOBIG);
	frame_dec_free(d);
}

/* A low limit before authentication, raised afterwards; max is clamped. */
static void
test_frame_set_max(void **state)
{
	struct frame_dec *d = frame_dec_new(16);
	uint8_t s[2 + 200] = { 0 };
	const uint8_t *f;
	size_t flen;

	(void)state;
	frame_dec_set_max(d, 1u << 20);  /* clamped to FRAME_MAX */
	frame_put_header(s, 200);
	assert_int_equal(frame_dec_feed(d, s, sizeof(s), &f, &flen), (int)sizeof(s));
	assert_int_equal(flen, 200);
	frame_dec_set_max(d, 199);
	assert_int_equal(frame_dec_feed(d, s, sizeof(s), &f, &flen), ATT_ETOOBIG);
	frame_dec_free(d);
	/* The constructor clamps too: 0xffff is the largest a header can say. */
	d = frame_dec_new(SIZE_MAX);
	s[0] = 0xff; s[1] = 0xff;
	assert_int_equal(frame_dec_feed(d, s, 2, &f, &flen), 2);
	assert_int_equal(frame_dec_memory(d), FRAME_MAX);
	frame_dec_free(d);
}

static void
test_frame_truncated(void **state)
{
	struct frame_dec *d = frame_dec_new(FRAME_MAX);
	uint8_t s[2 + 10] = { 0, 10 };
	const uint8_t *f;
	size_t flen;

	(void)state;
	assert_int_equal(frame_dec_finish(d), 0);           /* empty stream */
	assert_int_equal(frame_dec_feed(d, s, 1, &f, &flen), 1);
	assert_int_equal(frame_dec_finish(d), ATT_ETRUNCATED); /* half a header */
	assert_int_equal(frame_dec_feed(d, s + 1, 1, &f, &flen), 1);
	assert_int_equal(frame_dec_finish(d), ATT_ETRUNCATED); /* header, no body */
	assert_int_equal(frame_dec_feed(d, s + 2, 9, &f, &flen), 9);
	assert_null(f);
	assert_int_equal(frame_dec_finish(d), ATT_ETRUNCATED); /* one byte short */
	assert_int_equal(frame_dec_feed(d, s + 11, 1, &f, &flen), 1);
	assert_non_null(f);
	assert_int_equal(frame_dec_finish(d), 0);
	frame_dec_free(d);
	frame_dec_free(NULL);
}

static void
test_frame_put_header(void **state)
{
	uint8_t h[FRAME_HDR];

	(void)state;
	assert_int_equal(frame_put_header(h, 0x1234), 0);
	assert_int_equal(h[0], 0x12);
	assert_int_equal(h[1], 0x34);
	assert_int_equal(frame_put_header(h, FRAME_MAX), 0);
	assert_int_equal(h[0], 0xff);
	assert_int_equal(h[1], 0xff);
	assert_int_equal(frame_put_header(h, FRAME_MAX + 1), ATT_ETOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_whole_chunk_no_copy),
		cmocka_unit_test(test_frame_one_byte_at_a_time),
		cmocka_unit_test(test_frame_random_chunks),
		cmocka_unit_test(test_frame_memory_released),
		cmocka_unit_test(test_frame_oversize),
		cmocka_unit_test(test_frame_set_max),
		cmocka_unit_test(test_frame_truncated),
		cmocka_unit_test(test_frame_put_header),
	};
	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
