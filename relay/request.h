/*
 * The relay's request types as one table {type, who may send it, handler}
 * (docs/PROTOCOL.md section 5.2). Handlers answer at once or, for writes,
 * submit a commit op and answer from its done callback.
 */
#ifndef RELAY_REQUEST_H
#define RELAY_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "relay/nameplate.h"

struct conn;

/* Handles one decrypted plaintext frame from an authenticated connection. */
void request_handle(struct conn *, const uint8_t *plain, size_t len);
/* Pushes a nameplate message or close to a side (the nameplate module's callback). */
void request_np_push(void *ctx, void *side, enum np_push what, uint32_t np,
    const uint8_t *data, size_t len);

#endif
