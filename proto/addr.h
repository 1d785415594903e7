/*
 * Relay addresses: attune://HOST:PORT/KEY, HOST an IPv4 address, [IPv6] or a
 * DNS name, KEY the relay's 32-byte Noise static key in base64url
 * (docs/PROTOCOL.md section 3). A relay of several nodes sharing one key and
 * one database lists them all, in the order clients try them:
 * attune://HOST1:PORT1,HOST2:PORT2/KEY (at most ADDR_NODES_MAX).
 */
#ifndef ATTUNE_ADDR_H
#define ATTUNE_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_HOST_MAX 253
#define ADDR_NODES_MAX 4
#define ADDR_SCHEME "attune://"
/* Longest address plus NUL: scheme, per node [host]:65535 and a comma, /, 43 key chars. */
#define ADDR_STR_MAX (9 + ADDR_NODES_MAX * (ADDR_HOST_MAX + 2 + 6 + 1) + 1 + 43 + 1)

struct addr_node {
	char host[ADDR_HOST_MAX + 1];  /* without brackets for IPv6 */
	uint16_t port;
	int ipv6;
};

struct addr {
	/* The first node (the only one of a one-node relay). */
	char host[ADDR_HOST_MAX + 1];  /* without brackets for IPv6 */
	uint16_t port;
	uint8_t key[32];
	int ipv6;
	/* Every node, the first one included; n_nodes >= 1 after a parse. */
	size_t n_nodes;
	struct addr_node nodes[ADDR_NODES_MAX];
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
