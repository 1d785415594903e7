/*
 * This device's identity on disk: the keys (daemon/keys.c) and the sealed
 * store they open (daemon/store.c), held in d->keys and d->store.
 */
#ifndef ATTUNE_DAEMON_IDENTITY_H
#define ATTUNE_DAEMON_IDENTITY_H

#include <stdint.h>

struct daemon;

/*
 * Creates this device's identity (keys, store, own device row, name) —
 * the work of `init`, and of `link CODE` on a fresh device, where
 * person_sk is the identity received from the other device (NULL = new
 * person). ATT_EEXIST when already initialised. On failure nothing is left
 * on disk.
 */
int identity_create(struct daemon *d, const char *name, const uint8_t *person_sk);
struct keys;
/*
 * The new device of a link: saves keys (from keys_new_device; d->keys takes
 * them over on success) as a device of person_pk, which it does not hold
 * the secret of, and opens a fresh store. Its own device record, certified
 * by the identity device, arrives with that device's next list.
 */
int identity_create_linked(struct daemon *d, const char *name, struct keys *keys,
                           const uint8_t person_pk[32]);
/*
 * Loads the keys and opens the store when this device is set up; 0 when it
 * simply is not (d->keys stays NULL) or when a passphrase locks the storage
 * key (d->keys set, d->store NULL). Says what is wrong on stderr otherwise.
 */
int identity_load(struct daemon *d);
/* Opens the store once the storage key is known (after unlock) and reads the name. */
int identity_open_store(struct daemon *d);

#endif
