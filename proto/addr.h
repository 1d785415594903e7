/*
 * Relay addresses: attune://HOST:PORT/KEY, HOST an IPv4 address, [IPv6] or a
 * DNS name, KEY the relay's 32-byte Noise static key in base64url
 * (docs/PROTOCOL.md section 3).
 */
#ifndef ATTUNE_ADDR_H
#define ATTUNE_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_HOST_MAX 253
#define ADDR_SCHEME "attune://"
/* Longest formatted address plus NUL: scheme, [host], :65535, /, 43 key chars. */
#define ADDR_STR_MAX (9 + ADDR_HOST_MAX + 2 + 6 + 1 + 43 + 1)

struct addr {
	char host[ADDR_HOST_MAX + 1];  /* without brackets for IPv6 */
	uint16_t port;
	uint8_t key[32];
	int ipv6;
};

/* ATT_EADDRESS, ATT_EPORT, ATT_EKEYLEN or ATT_EENCODING; 0 on success. */
int addr_parse(struct addr *out, const char *s);
/* Same, and writes a one-line human reason into why (if non-NULL) on failure,
 * e.g. "port 70000 is out of range 1-65535". */
int addr_parse_ex(struct addr *out, const char *s, char *why, size_t why_cap);
/* Formats attune://HOST:PORT/KEY (brackets added when host contains ':').
 * Returns the length, ATT_ETOOBIG if cap is too small, ATT_EADDRESS/ATT_EPORT
 * for a host or port that would not parse back. */
int addr_format(char *out, size_t cap, const char *host, uint16_t port, const uint8_t key[32]);

#endif
