#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/frame.h"

/*
 * The decoder is in one of two places: reading the header (hdr_have 0 or 1),
 * or reading a body that arrived split across calls (body != NULL). A body
 * that arrives whole inside one call is handed out in place and never copied.
 * A body buffer is allocated only once its header has passed the limit, at
 * exactly the announced size, so a peer can make us hold at most max bytes.
 */
struct frame_dec {
	size_t max;
	uint8_t hdr[FRAME_HDR];
	size_t hdr_have;
	uint8_t *body;      /* split body being assembled, or the one just returned */
	size_t body_len;    /* announced length */
	size_t body_have;
	int returned;       /* body was handed out: free it on the next call */
	int err;            /* sticky: a stream cannot be resynchronised */
};

static size_t
clamp_max(size_t max)
{
	return max > FRAME_MAX ? FRAME_MAX : max;
}

struct frame_dec *
frame_dec_new(size_t max)
{
	struct frame_dec *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->max = clamp_max(max);
	return d;
}

void
frame_dec_set_max(struct frame_dec *d, size_t max)
{
	d->max = clamp_max(max);
}

static void
drop_body(struct frame_dec *d)
{
	if (d->body != NULL) {
		/* The daemon's socket carries plaintext. */
		sodium_memzero(d->body, d->body_len);
		free(d->body);
	}
	d->body = NULL;
	d->body_len = d->body_have = 0;
	d->returned = 0;
}

void
frame_dec_free(struct frame_dec *d)
{
	if (d == NULL)
		return;
	drop_body(d);
	free(d);
}

int
frame_dec_feed(struct frame_dec *d, const uint8_t *in, size_t in_len,
    const uint8_t **frame, size_t *frame_len)
{
	size_t pos = 0, n;

	*frame = NULL;
	*frame_len = 0;
	if (d->returned)
		drop_body(d);
	if (d->err != 0)
		return d->err;

	if (d->body == NULL) {
		while (d->hdr_have < FRAME_HDR && pos < in_len)
			d->hdr[d->hdr_have++] = in[pos++];
		if (d->hdr_have < FRAME_HDR)
			return (int)pos;
		n = be_get16(d->hdr);
		if (n > d->max)
			return d->err = ATT_ETOOBIG;
		if (in_len - pos >= n) {
			/* Whole in this chunk: hand it out in place. */
			d->hdr_have = 0;
			*frame = in + pos;
			*frame_len = n;
			return (int)(pos + n);
		}
		if ((d->body = malloc(n)) == NULL)
			return d->err = ATT_ENOMEM;
		d->body_len = n;
		d->body_have = 0;
	}

	n = d->body_len - d->body_have;
	if (n > in_len - pos)
		n = in_len - pos;
	memcpy(d->body + d->body_have, in + pos, n);
	d->body_have += n;
	pos += n;
	if (d->body_have == d->body_len) {
		d->hdr_have = 0;
		d->returned = 1;
		*frame = d->body;
		*frame_len = d->body_len;
	}
	return (int)pos;
}

int
frame_dec_finish(const struct frame_dec *d)
{
	if (d->err != 0)
		return d->err;
	if (d->hdr_have != 0 || (d->body != NULL && !d->returned))
		return ATT_ETRUNCATED;
	return 0;
}

size_t
frame_dec_memory(const struct frame_dec *d)
{
	return d->body != NULL ? d->body_len : 0;
}

int
frame_put_header(uint8_t hdr[FRAME_HDR], size_t body_len)
{
	if (body_len > FRAME_MAX)
		return ATT_ETOOBIG;
	be_put16(hdr, (uint16_t)body_len);
	return 0;
}
