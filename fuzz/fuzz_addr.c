/*
 * Relay address parser: whatever parses formats back to a string that
 * parses to the same address; whatever fails says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/addr.h"
#include "proto/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, why[160], out[ADDR_STR_MAX];
	struct addr a, b;
	int r, n;

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = addr_parse_ex(&a, s, why, sizeof(why));
	if (r != 0) {
		CHECK(r == ATT_EADDRESS || r == ATT_EPORT || r == ATT_EKEYLEN || r == ATT_EENCODING);
		CHECK(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
		CHECK(addr_parse(&b, s) == r);
		free(s);
		return 0;
	}
	CHECK(a.port != 0);
	CHECK(strlen(a.host) > 0 && strlen(a.host) <= ADDR_HOST_MAX);
	n = addr_format(out, sizeof(out), a.host, a.port, a.key);
	CHECK(n > 0 && (size_t)n < sizeof(out));
	CHECK(addr_parse(&b, out) == 0);
	CHECK(strcmp(a.host, b.host) == 0);
	CHECK(a.port == b.port && a.ipv6 == b.ipv6);
	CHECK(memcmp(a.key, b.key, 32) == 0);
	free(s);
	return 0;
}
