/*
 * The way in (docs/PROTOCOL.md 6.4 and 6.6): envelopes the relay delivers
 * are opened (daemon/peers.c), what they carry (an event, a device list, a
 * partner introduced by our own other device, a farewell, an unpair) and
 * the advanced session are committed in one store transaction, and only
 * then acknowledged. Envelopes from a device nobody has introduced yet are
 * held back for a while. Part of the sync engine (daemon/sync.h).
 *
 * Kv key (sealed): "undecryptable", the count of envelopes that could not
 * be opened.
 */
#ifndef ATTUNE_DAEMON_INBOX_H
#define ATTUNE_DAEMON_INBOX_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

struct inbox;
struct msg;
struct sync;

/* farewell: signature by the leaving person over domain || from || to || ts. */
#define INBOX_FAREWELL_DOMAIN "attune/1 farewell"
#define INBOX_FAREWELL_LEN (sizeof INBOX_FAREWELL_DOMAIN - 1 + 72)

struct inbox *inbox_new(struct sync *s);
/* Stops the hold timer; frees once libuv has closed it. */
void inbox_free(struct inbox *in);
/* Reads the undecryptable count from the store (when it opens). */
void inbox_load(struct sync *s);
/* Forgets held envelopes (the relay delivers them again after the next sync). */
void inbox_reset(struct sync *s);
/* A "deliver" push from the relay. */
void inbox_deliver(struct sync *s, const struct msg *m);
/* Envelopes that could not be opened, for status. */
uint64_t inbox_undecryptable(const struct sync *s);
/* Adds device records (msgpack bins) of person after verifying each (inside a transaction). */
int inbox_add_devices(struct sync *s, const uint8_t person[32], const msgpack_object *arr,
                      size_t n);
/* The bytes a farewell signature covers. */
void inbox_farewell_input(uint8_t out[INBOX_FAREWELL_LEN], const uint8_t from[32],
                          const uint8_t to[32], uint64_t ts);

#endif
