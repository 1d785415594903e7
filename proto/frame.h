/*
 * Framing: every message on a stream is a 2-byte big-endian length then that
 * many bytes of body (docs/PROTOCOL.md section 1). The decoder is incremental:
 * input may arrive in chunks of any size, one byte at a time included.
 */
#ifndef ATTUNE_FRAME_H
#define ATTUNE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 65535
#define FRAME_HDR 2

struct frame_dec;                              /* opaque incremental decoder */

/* A decoder that accepts bodies up to max bytes (clamped to FRAME_MAX). NULL on ENOMEM. */
struct frame_dec *frame_dec_new(size_t max);
/* Changes the limit, e.g. raised once a peer has authenticated. Applies to the next header. */
void frame_dec_set_max(struct frame_dec *, size_t max);
void frame_dec_free(struct frame_dec *);
/*
 * Consumes bytes from in. Returns the number of bytes consumed (>= 0) or a
 * negative error (ATT_ETOOBIG: a header announced more than max; ATT_ENOMEM).
 * When a whole frame is ready it stops right after it and sets
 * *frame and *frame_len (valid until the next call; points into `in` when the
 * frame was whole in it, no copy); otherwise *frame = NULL.
 * It allocates only while a frame is split across calls, exactly the announced
 * size, and frees it once the frame is returned: an idle decoder holds no
 * buffer. After an error the decoder stays failed: the stream cannot be
 * resynchronised, so the caller closes it.
 */
int frame_dec_feed(struct frame_dec *, const uint8_t *in, size_t in_len,
                   const uint8_t **frame, size_t *frame_len);
/* At end of stream: 0 when between frames, ATT_ETRUNCATED inside one. */
int frame_dec_finish(const struct frame_dec *);
size_t frame_dec_memory(const struct frame_dec *);  /* bytes held now */
/* Writes the header for a body of body_len bytes; ATT_ETOOBIG if > FRAME_MAX. */
int frame_put_header(uint8_t hdr[FRAME_HDR], size_t body_len);

#endif
