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

/* sodium_malloc'd memory, or NULL. Free with keyfile_free. */
void *keyfile_alloc(size_t n);
/* sodium_free: wipes and releases; NULL is fine. */
void keyfile_free(void *p);

#endif
