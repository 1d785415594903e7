#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "tests/unit/tutil.h"

json_t *
tutil_vectors(const char *rel)
{
	const char *base = getenv("VECTORS");
	char path[4096];
	json_error_t jerr;
	json_t *j;

	if (base == NULL || *base == '\0')
		base = "tests/vectors";
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	j = json_load_file(path, 0, &jerr);
	if (j == NULL)
		fail_msg("cannot load vectors %s: %s (line %d)", path, jerr.text, jerr.line);
	return j;
}

uint8_t *
tutil_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex), bin_len = 0;
	uint8_t *out = malloc(n / 2 + 1);

	assert_non_null(out);
	if (sodium_hex2bin(out, n / 2 + 1, hex, n, NULL, &bin_len, NULL) != 0)
		fail_msg("bad hex in test vector: %.40s", hex);
	*len = bin_len;
	return out;
}

uint8_t *
tutil_json_hex(json_t *obj, const char *key, size_t *len)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		fail_msg("test vector has no string field '%s'", key);
	return tutil_unhex(json_string_value(v), len);
}

char *
tutil_tmpdir(const char *name)
{
	const char *build = getenv("BUILD");
	char *path;
	char cmd[4200];

	if (build == NULL || *build == '\0')
		build = "build";
	path = malloc(4096);
	assert_non_null(path);
	snprintf(path, 4096, "%s/tmp/%s.%ld", build, name, (long)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", path, path);
	assert_int_equal(system(cmd), 0);
	return path;
}

uint64_t
tutil_seed(const char *what)
{
	const char *s = getenv("ATTUNE_SEED");
	uint64_t seed;

	if (s != NULL && *s != '\0')
		seed = strtoull(s, NULL, 0);
	else
		randombytes_buf(&seed, sizeof(seed));
	printf("# %s: seed %llu (replay with ATTUNE_SEED=%llu)\n", what,
	    (unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

uint64_t
tutil_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

long
tutil_proc_field(int pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}
