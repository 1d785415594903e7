/*
 * Secret files and secure memory.
 *
 * A secret file is written atomically with mode 0600: a temporary file in
 * the same folder (so rename cannot cross a file system), write, fsync,
 * rename over the target, then fsync the folder so the rename itself
 * survives a crash. A reader sees the old content or the new, never a mix.
 *
 * Secrets read back land in sodium_malloc memory (guard pages, mlock'd
 * where the limit allows, wiped by sodium_free). A file readable or
 * writable by group or others is refused (ATT_EPERM), as ssh does.
 */
#ifndef ATTUNE_KEYFILE_H
#define ATTUNE_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define KEYFILE_MAX (1 << 20)   /* largest secret file keyfile_read accepts */

/*
 * Creates PATH and any missing parents with mode 0700 (like mkdir -p).
 * An existing final folder is left as it is unless it is group/other
 * accessible, in which case it is chmod'ed to 0700. ATT_EIO on failure
 * (errno kept).
 */
int keyfile_mkdir(const char *path);

/* Writes LEN bytes to PATH atomically, mode 0600 (see above). */
int keyfile_write(const char *path, const uint8_t *data, size_t len);

/*
 * Reads PATH (at most MAX bytes, MAX <= KEYFILE_MAX) into fresh
 * sodium_malloc memory: *out owned by the caller, released with
 * keyfile_free(*out). ATT_ENOTFOUND when the file does not exist,
 * ATT_EPERM when its mode allows group/other access, ATT_ETOOBIG over MAX,
 * ATT_EIO otherwise (errno kept). An empty file gives *out = NULL, *len 0.
 */
int keyfile_read(const char *path, uint8_t **out, size_t *len, size_t max);

/* Reads a file of exactly LEN bytes into the caller's buffer (ATT_ECORRUPT
 * when its size differs). The buffer is wiped on every failure. */
int keyfile_read_exact(const char *path, uint8_t *out, size_t len);

/* Overwrites the file's content with zeros, fsyncs, unlinks it (best
 * effort: the file system may keep old blocks). ATT_ENOTFOUND if absent. */
int keyfile_destroy(const char *path);

/*
 * Passphrase wrapping of a secret file: "ATPW" | version 2 | opslimit u64 |
 * memlimit u64 | salt 16 | nonce 24 | XChaCha20-Poly1305(secret), with the
 * 61 header bytes and the file's name as associated data (a wrapped file
 * cannot be swapped for another). The key-encryption key is Argon2id of
 * the passphrase at libsodium's MODERATE limits (256 MiB, about a second
 * on a laptop): every key file of a device is wrapped under one KEK (one
 * salt), so unlocking derives it once.
 */
#define KEYFILE_WRAP_MAGIC "ATPW"
#define KEYFILE_WRAP_VERSION 2
#define KEYFILE_SALTBYTES 16
#define KEYFILE_WRAP_HDR (4 + 1 + 8 + 8 + KEYFILE_SALTBYTES + 24)
#define KEYFILE_WRAP_LEN(n) (KEYFILE_WRAP_HDR + (n) + 16)
#define KEYFILE_OPSLIMIT 3ULL            /* crypto_pwhash_OPSLIMIT_MODERATE */
#define KEYFILE_MEMLIMIT 268435456ULL    /* crypto_pwhash_MEMLIMIT_MODERATE */

/* kek = Argon2id(pass, salt, ops, mem); ATT_ECORRUPT for limits out of libsodium's range. */
int keyfile_kek(uint8_t kek[32], const char *pass, size_t len,
    const uint8_t salt[KEYFILE_SALTBYTES], uint64_t ops, uint64_t mem);
/* Wraps n secret bytes into out (KEYFILE_WRAP_LEN(n) bytes), recording salt, ops, mem. */
void keyfile_wrap(uint8_t *out, const uint8_t *plain, size_t n, const uint8_t kek[32],
    const uint8_t salt[KEYFILE_SALTBYTES], uint64_t ops, uint64_t mem, const char *name);
/* 1 when in starts like a wrapped file. */
int keyfile_is_wrapped(const uint8_t *in, size_t len);
/* The salt and limits a wrapped file was made with (ATT_ECORRUPT when it is not one). */
int keyfile_wrap_params(const uint8_t *in, size_t len, uint8_t salt[KEYFILE_SALTBYTES],
    uint64_t *ops, uint64_t *mem);
/* Unwraps into plain (n bytes): ATT_EAUTH (wrong key or tampered), ATT_ECORRUPT (shape). */
int keyfile_unwrap(uint8_t *plain, size_t n, const uint8_t *in, size_t len,
    const uint8_t kek[32], const char *name);

/* sodium_malloc'd memory, or NULL. Free with keyfile_free. */
void *keyfile_alloc(size_t n);
/* sodium_free: wipes and releases; NULL is fine. */
void keyfile_free(void *p);

#endif
