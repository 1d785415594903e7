#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/addr.h"
#include "proto/b64.h"
#include "proto/err.h"

#define KEY_CHARS 43  /* B64_LEN(32) */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
fail(char *why, size_t why_cap, int err, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && why_cap > 0) {
		va_start(ap, fmt);
		vsnprintf(why, why_cap, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* One character as a person can read it in a message: 'x' or byte 0x1b. */
static const char *
show_char(char buf[16], unsigned char c)
{
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else if (c == ' ')
		snprintf(buf, 16, "a space");
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * A DNS name (letters, digits and hyphens in dot-separated labels of 1-63
 * characters, no hyphen at either end of a label) or, when it is all digits
 * and dots, a dotted-quad IPv4 address.
 */
static int
check_name(const char *h, size_t n, char *why, size_t why_cap)
{
	size_t i, label = 0;
	int digits_dots = 1;
	char c[16], ip[ADDR_HOST_MAX + 1];
	struct in_addr a4;

	if (n == 0)
		return fail(why, why_cap, ATT_EADDRESS, "the host is empty");
	if (n > ADDR_HOST_MAX)
		return fail(why, why_cap, ATT_EADDRESS,
		    "the host is %zu characters long; at most %d are allowed", n, ADDR_HOST_MAX);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)h[i];
		if (ch == '.') {
			if (label == 0)
				return fail(why, why_cap, ATT_EADDRESS,
				    "the host has an empty label (two dots in a row, or a dot at an end)");
			if (h[i - 1] == '-')
				return fail(why, why_cap, ATT_EADDRESS,
				    "a label of the host ends with '-'");
			label = 0;
			continue;
		}
		if (!is_ldh(ch))
			return fail(why, why_cap, ATT_EADDRESS,
			    "the host contains %s; use letters, digits, '-' and '.', or [IPv6]",
			    show_char(c, ch));
		if (ch == '-' && label == 0)
			return fail(why, why_cap, ATT_EADDRESS, "a label of the host starts with '-'");
		if (++label > 63)
			return fail(why, why_cap, ATT_EADDRESS,
			    "a label of the host is longer than 63 characters");
		if (!(ch >= '0' && ch <= '9'))
			digits_dots = 0;
	}
	if (label == 0)
		return fail(why, why_cap, ATT_EADDRESS,
		    "the host has an empty label (two dots in a row, or a dot at an end)");
	if (h[n - 1] == '-')
		return fail(why, why_cap, ATT_EADDRESS, "a label of the host ends with '-'");
	if (digits_dots) {
		memcpy(ip, h, n);
		ip[n] = '\0';
		if (inet_pton(AF_INET, ip, &a4) != 1)
			return fail(why, why_cap, ATT_EADDRESS,
			    "\"%s\" is not an IPv4 address (four numbers 0-255 separated by dots)", ip);
	}
	return 0;
}

static int
check_ipv6(const char *h, size_t n, char *why, size_t why_cap)
{
	char ip[64];
	struct in6_addr a6;

	if (n == 0)
		return fail(why, why_cap, ATT_EADDRESS, "the host is empty (nothing between [ and ])");
	if (n >= sizeof(ip))
		return fail(why, why_cap, ATT_EADDRESS, "the text in [ ] is too long for an IPv6 address");
	memcpy(ip, h, n);
	ip[n] = '\0';
	if (strchr(ip, '%') != NULL)
		return fail(why, why_cap, ATT_EADDRESS, "an IPv6 zone (%%interface) is not supported");
	if (inet_pton(AF_INET6, ip, &a6) != 1)
		return fail(why, why_cap, ATT_EADDRESS, "\"%s\" is not an IPv6 address", ip);
	return 0;
}

static int
parse_port(const char *p, size_t n, uint16_t *port, char *why, size_t why_cap)
{
	size_t i;
	unsigned long v = 0;
	char c[16];

	if (n == 0)
		return fail(why, why_cap, ATT_EPORT, "the port is missing after ':'");
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return fail(why, why_cap, ATT_EPORT,
			    "the port contains %s; it must be a number 1-65535",
			    show_char(c, (unsigned char)p[i]));
		if (v <= 65535)
			v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v == 0 || v > 65535) {
		if (n > 9)
			return fail(why, why_cap, ATT_EPORT, "port %.9s... is out of range 1-65535", p);
		return fail(why, why_cap, ATT_EPORT, "port %.*s is out of range 1-65535", (int)n, p);
	}
	*port = (uint16_t)v;
	return 0;
}

static int
parse_key(const char *k, uint8_t key[32], char *why, size_t why_cap)
{
	size_t span = strspn(k, b64url_alphabet), n = strlen(k), got;
	uint8_t tmp[33];
	char c[16];
	int r;

	if (n > span && k[span] == '=')
		return fail(why, why_cap, ATT_EENCODING,
		    "the key ends in '=' padding; relay keys are written without it");
	if (span == KEY_CHARS && n > span)
		return fail(why, why_cap, ATT_EADDRESS,
		    "unexpected text after the key, starting with %s", show_char(c, (unsigned char)k[span]));
	if (n > span)
		return fail(why, why_cap, ATT_EENCODING,
		    "the key contains %s; it must be base64url (A-Z a-z 0-9 - _, no '=')",
		    show_char(c, (unsigned char)k[span]));
	if (n == 0)
		return fail(why, why_cap, ATT_EKEYLEN, "the key is missing after '/'");
	if (n != KEY_CHARS)
		return fail(why, why_cap, ATT_EKEYLEN,
		    "the key is %zu characters; a relay key is %d (32 bytes)", n, KEY_CHARS);
	r = b64_decode(tmp, sizeof(tmp), k, n, &got);
	if (r == 0 && got != 32)
		r = ATT_EKEYLEN;
	if (r != 0)
		return fail(why, why_cap, r == ATT_EKEYLEN ? ATT_EKEYLEN : ATT_EENCODING,
		    "the key is not canonical base64url (its last character is wrong)");
	memcpy(key, tmp, 32);
	return 0;
}

/* One HOST:PORT (or [IPv6]:PORT) of the text between p and end. */
static int
parse_node(const char *p, const char *end, struct addr_node *nd, char *why, size_t why_cap)
{
	const char *host, *close, *colon;
	size_t hlen;
	int r;

	if (p == end)
		return fail(why, why_cap, ATT_EADDRESS, "a node of the address is empty "
		    "(write HOST:PORT,HOST:PORT/KEY)");
	if (*p == '[') {
		host = p + 1;
		close = memchr(host, ']', (size_t)(end - host));
		if (close == NULL)
			return fail(why, why_cap, ATT_EADDRESS, "'[' without a closing ']'");
		hlen = (size_t)(close - host);
		if ((r = check_ipv6(host, hlen, why, why_cap)) != 0)
			return r;
		nd->ipv6 = 1;
		colon = close + 1;
		if (colon == end)
			return fail(why, why_cap, ATT_EPORT,
			    "the port is missing: write [IPv6]:PORT before the /KEY");
		if (*colon != ':')
			return fail(why, why_cap, ATT_EADDRESS, "expected ':PORT' after ']'");
	} else {
		host = p;
		colon = memchr(host, ':', (size_t)(end - host));
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL)
			return fail(why, why_cap, ATT_EADDRESS,
			    "an IPv6 address must be in brackets, e.g. attune://[::1]:7777/KEY");
		if (colon == NULL)
			return fail(why, why_cap, ATT_EPORT,
			    "the port is missing: write HOST:PORT before the /KEY");
		hlen = (size_t)(colon - host);
		if ((r = check_name(host, hlen, why, why_cap)) != 0)
			return r;
	}
	memcpy(nd->host, host, hlen);
	nd->host[hlen] = '\0';
	return parse_port(colon + 1, (size_t)(end - colon - 1), &nd->port, why, why_cap);
}

int
addr_parse_ex(struct addr *out, const char *s, char *why, size_t why_cap)
{
	const size_t scheme = sizeof(ADDR_SCHEME) - 1;
	const char *p, *slash, *comma;
	struct addr a;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (why != NULL && why_cap > 0)
		why[0] = '\0';
	if (s == NULL)
		return fail(why, why_cap, ATT_EADDRESS, "no address given");
	if (strncasecmp(s, ADDR_SCHEME, scheme) != 0)
		return fail(why, why_cap, ATT_EADDRESS,
		    "a relay address starts with attune:// (attune://HOST:PORT/KEY)");
	p = s + scheme;
	slash = strchr(p, '/');
	if (slash == NULL)
		return fail(why, why_cap, ATT_EADDRESS,
		    "the key is missing: the address ends in /KEY (attune://HOST:PORT/KEY)");
	/* Nodes are separated by commas (an IPv6 node's brackets hold none). */
	for (;;) {
		comma = memchr(p, ',', (size_t)(slash - p));
		if (a.n_nodes == ADDR_NODES_MAX)
			return fail(why, why_cap, ATT_EADDRESS,
			    "the address lists more than %d relay nodes", ADDR_NODES_MAX);
		if ((r = parse_node(p, comma != NULL ? comma : slash, &a.nodes[a.n_nodes], why,
		    why_cap)) != 0)
			return r;
		a.n_nodes++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if ((r = parse_key(slash + 1, a.key, why, why_cap)) != 0)
		return r;
	memcpy(a.host, a.nodes[0].host, sizeof a.host);
	a.port = a.nodes[0].port;
	a.ipv6 = a.nodes[0].ipv6;
	*out = a;
	return 0;
}

int
addr_parse(struct addr *out, const char *s)
{
	return addr_parse_ex(out, s, NULL, 0);
}

int
addr_format(char *out, size_t cap, const char *host, uint16_t port, const uint8_t key[32])
{
	char k[KEY_CHARS + 1];
	size_t hlen = strlen(host);
	int ipv6 = strchr(host, ':') != NULL, n, r;

	r = ipv6 ? check_ipv6(host, hlen, NULL, 0) : check_name(host, hlen, NULL, 0);
	if (r != 0)
		return r;
	if (port == 0)
		return ATT_EPORT;
	b64_encode(k, sizeof(k), key, 32);
	n = snprintf(out, cap, "%s%s%s%s:%u/%s", ADDR_SCHEME, ipv6 ? "[" : "", host,
	    ipv6 ? "]" : "", (unsigned)port, k);
	if (n < 0 || (size_t)n >= cap)
		return ATT_ETOOBIG;
	return n;
}
