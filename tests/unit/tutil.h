/*
 * Helpers shared by the unit tests: the published test vectors (JSON, read
 * with jansson) and hex. Test-only code; nothing in proto/ uses it.
 */
#ifndef ATTUNE_TUTIL_H
#define ATTUNE_TUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Loads $VECTORS/REL (default tests/vectors/REL); fails the test if absent. */
json_t *tutil_vectors(const char *rel);
/* Decodes hex (any case) into a malloc'd buffer; *len gets its length. */
uint8_t *tutil_unhex(const char *hex, size_t *len);
/* Same for a JSON string member of OBJ; fails the test when missing. */
uint8_t *tutil_json_hex(json_t *obj, const char *key, size_t *len);
/* A fresh empty folder for one test, under $BUILD/tmp. */
char *tutil_tmpdir(const char *name);
/* Seed for property tests: $ATTUNE_SEED or random; printed so a run replays. */
uint64_t tutil_seed(const char *what);
/* The number after KEY (e.g. "VmRSS:") in /proc/PID/FILE, or -1. For benchmarks. */
long tutil_proc_field(int pid, const char *file, const char *key);
/* Deterministic PRNG for property tests (splitmix64). */
uint64_t tutil_rand(uint64_t *state);

#endif
