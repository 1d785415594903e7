/*
 * The way out (docs/PROTOCOL.md 6.3 and 6.6): fan-out of our events and of
 * the inner messages between devices into the store's outbox, one sealed
 * envelope per recipient device (daemon/peers.c), and flushing the outbox
 * to the relay in bounded batches. Part of the sync engine (daemon/sync.h).
 *
 * The send functions run inside the caller's store transaction: an error
 * rolls back the event and everything queued with it.
 */
#ifndef ATTUNE_DAEMON_OUTBOX_H
#define ATTUNE_DAEMON_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct event;
struct outbox;
struct store_partner;
struct sync;

struct outbox *outbox_new(struct sync *s);
void outbox_free(struct outbox *o);
/* The relay connection changed: a put in flight will get no reply. */
void outbox_reset(struct sync *s);
/* Sends the next batch of the outbox when registered and nothing is in flight. */
void outbox_flush(struct sync *s);

/*
 * A new event of ours, already validated and stored: builds one plaintext
 * per recipient person (event_pack_plain), seals it for every device of
 * every partner in ev->to and for our own other devices, and queues the
 * envelopes. *queued = how many.
 */
int outbox_send_event(struct sync *s, const struct event *ev, uint64_t *queued);
/*
 * Queues an inner message (a msgpack map, docs/PROTOCOL.md 6.6) to every
 * non-revoked device of person (NULL: our own other devices). *queued (if
 * not NULL) grows by the count.
 */
int outbox_send_inner(struct sync *s, const uint8_t *person, const uint8_t *pt, size_t len,
                      uint64_t *queued);
/* Queues our device list as it now stands (devlist_own) to our own other devices and every partner. */
int outbox_send_devlist(struct sync *s);
/* Tells our own other devices about partner p (name, person key, devices). */
int outbox_tell_own_partner(struct sync *s, const struct store_partner *p);
/* Marks our device `device` revoked and publishes the device list without it (own transaction). */
int outbox_send_revocation(struct sync *s, const uint8_t device[32]);
/*
 * Ending a partnership with person: tell = a signed farewell to them first;
 * then tells our own other devices. Called before the store rows go.
 */
int outbox_send_unpair(struct sync *s, const uint8_t person[32], int tell);

#endif
