/*
 * The registered device keys, held in memory so a handshake answers
 * "registered" without reading the database. A sorted array of 32-byte keys:
 * 32 bytes per registered device, at most REGSET_MAX keys (32 MiB). Devices
 * are never unregistered, so the set only grows; past REGSET_MAX it stops
 * growing and says "unknown" for keys it lacks, and the caller asks the
 * database.
 */
#ifndef RELAY_REGSET_H
#define RELAY_REGSET_H

#include <stddef.h>
#include <stdint.h>

#define REGSET_KEYLEN 32
#define REGSET_MAX ((size_t)1 << 20)

struct regset;

struct regset *regset_new(size_t max);
void regset_free(struct regset *);
/* Adds key (a no-op when present). 0, or ATT_ENOMEM / ATT_ETOOBIG: the set is
 * then incomplete and regset_has answers -1 for keys it does not hold. */
int regset_add(struct regset *, const uint8_t key[REGSET_KEYLEN]);
/* 1 registered, 0 not, -1 not known (the set is incomplete: ask the database). */
int regset_has(const struct regset *, const uint8_t key[REGSET_KEYLEN]);
size_t regset_count(const struct regset *);

#endif
