/*
 * This device's secrets, one 0600 file each in the 0700 keys folder, held in
 * sodium_malloc memory (guarded, locked, wiped on free):
 *
 *   person.key   Ed25519 identity of the person (64-byte secret key; shared
 *                by all of the person's devices, brought over by `link`)
 *   sign.key     Ed25519 device signing key (signs prekeys)
 *   dh.key       X25519 device identity key (X3DH)
 *   relay.key    X25519 Noise static key: how the relay addresses the device
 *   storage.key  32-byte key sealing the store's sensitive columns
 *
 * Nothing protects storage.key but the file mode and the account: whoever
 * can read the user's files can read the history (see README).
 */
#ifndef ATTUNE_DAEMON_KEYS_H
#define ATTUNE_DAEMON_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_DEVICE_ID_LEN 16   /* hex chars of the first 8 bytes of the relay key */

struct keys;

/* ATT_ENOTFOUND when the folder holds no keys (not initialised). */
int keys_load(struct keys **out, const char *dir);
/*
 * Makes and writes a fresh set. person_sk NULL = a new person identity;
 * otherwise this device joins that person (link). ATT_EEXIST if keys exist.
 */
int keys_create(struct keys **out, const char *dir, const uint8_t *person_sk /* [64] or NULL */);
void keys_free(struct keys *k);
/* Overwrites and removes every key file (best effort, then unlink). */
int keys_destroy(const char *dir);

const uint8_t *keys_person_pk(const struct keys *k);   /* 32 */
const uint8_t *keys_person_sk(const struct keys *k);   /* 64 */
const uint8_t *keys_sign_pk(const struct keys *k);     /* 32 */
const uint8_t *keys_sign_sk(const struct keys *k);     /* 64 */
const uint8_t *keys_dh_pk(const struct keys *k);       /* 32 */
const uint8_t *keys_dh_sk(const struct keys *k);       /* 32 */
const uint8_t *keys_relay_pk(const struct keys *k);    /* 32 */
const uint8_t *keys_relay_sk(const struct keys *k);    /* 32 */
const uint8_t *keys_storage(const struct keys *k);     /* 32 */
/* "0123456789abcdef": hex of the first 8 bytes of the relay key. */
void keys_device_id(const struct keys *k, char out[KEYS_DEVICE_ID_LEN + 1]);
/* Same for any relay key. */
void keys_device_id_of(const uint8_t relay_pk[32], char out[KEYS_DEVICE_ID_LEN + 1]);

#endif
