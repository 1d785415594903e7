/*
 * Signed device lists from a partner or an own device (daemon/devlist.c):
 * any bytes into devlist_verify. What verifies must have a count in range,
 * records of the list's own person, and the hash the next list names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/devlist.h"
#include "proto/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct devlist *dl = malloc(sizeof *dl);
	uint8_t h[32];
	size_t i;

	if (dl == NULL)
		return 0;
	if (devlist_verify(dl, data, size, NULL) == 0) {
		CHECK(dl->n >= 1 && dl->n <= DEVLIST_DEVICES_MAX);
		CHECK(dl->raw_len == size && memcmp(dl->raw, data, size) == 0);
		for (i = 0; i < dl->n; i++)
			CHECK(memcmp(dl->dev[i].person_pk, dl->person, 32) == 0);
		devlist_hash(h, data, size);
		CHECK(memcmp(h, dl->hash, 32) == 0);
		/* The same bytes under another person key never verify. */
		memcpy(h, dl->person, 32);
		h[0] ^= 1;
		CHECK(devlist_verify(dl, data, size, h) == ATT_EAUTH);
	}
	free(dl);
	return 0;
}
