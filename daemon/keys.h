/*
 * This device's secrets, one 0600 file each in the 0700 keys folder, held in
 * sodium_malloc memory (guarded, locked, wiped on free):
 *
 *   person.key   Ed25519 identity of the person (64-byte secret key), only on
 *                the device that created the identity (the identity device):
 *                it certifies the person's other devices and signs lists
 *   person.pub   the person's public key, instead, on a linked device: a
 *                linked device's keys are not the person (issue 11)
 *   sign.key     Ed25519 device signing key (signs prekeys)
 *   dh.key       X25519 device identity key (X3DH)
 *   relay.key    X25519 Noise static key: how the relay addresses the device
 *   storage.key  32-byte key sealing the store's sensitive columns
 *
 * Without a passphrase nothing protects these files but the file mode and
 * the account: whoever can read the user's files can read the history. With
 * one, every secret file is wrapped under Argon2id(passphrase) at libsodium's
 * MODERATE limits (proto/keyfile.h), public.keys holds the public halves,
 * and the keys load "locked" until keys_unlock.
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
/* Fresh device keys in memory only, no person yet (the new device of a link). */
int keys_new_device(struct keys **out);
/* Writes keys_new_device's keys as a linked device of person_pk (no person.key). */
int keys_save_linked(struct keys *k, const char *dir, const uint8_t person_pk[32]);
/* 1 on the identity device (it holds the person secret key). */
int keys_is_identity(const struct keys *k);
void keys_free(struct keys *k);
/* 1 while storage.key is still wrapped by a passphrase (keys_storage is unusable). */
int keys_locked(const struct keys *k);
/* Unwraps the storage key: 0, ATT_EAUTH (wrong passphrase), ATT_ECORRUPT. Slow (Argon2id). */
int keys_unlock(struct keys *k, const char *pass, size_t len);
/* Rewrites every secret file wrapped under pass (NULL or "" = stored plain again). Slow. */
int keys_set_passphrase(struct keys *k, const char *dir, const char *pass, size_t len);
/* 1 when the files on disk are wrapped by a passphrase. */
int keys_has_passphrase(const struct keys *k);
/* 0 when pass is the current passphrase (or there is none), ATT_EAUTH otherwise. Slow. */
int keys_check_passphrase(const struct keys *k, const char *pass, size_t len);
/* Overwrites and removes every key file (best effort, then unlink). */
int keys_destroy(const char *dir);

const uint8_t *keys_person_pk(const struct keys *k);   /* 32 */
const uint8_t *keys_person_sk(const struct keys *k);   /* 64; NULL on a linked device */
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
