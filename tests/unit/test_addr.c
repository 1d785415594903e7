#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto/addr.h"
#include "proto/b64.h"
#include "proto/err.h"

/* 32 bytes 0x00..0x1f in base64url. */
#define KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

static void
expect_key(const struct addr *a)
{
	size_t i;

	for (i = 0; i < 32; i++)
		assert_int_equal(a->key[i], i);
}

static void
test_addr_good_forms(void **state)
{
	static const struct { const char *s, *host; unsigned port; int ipv6; } v[] = {
		{ "attune://192.0.2.7:7777/" KEY, "192.0.2.7", 7777, 0 },
		{ "attune://[::1]:443/" KEY, "::1", 443, 1 },
		{ "attune://[2001:db8::42]:1/" KEY, "2001:db8::42", 1, 1 },
		{ "attune://[::ffff:192.0.2.1]:9/" KEY, "::ffff:192.0.2.1", 9, 1 },
		{ "attune://relay.example.org:65535/" KEY, "relay.example.org", 65535, 0 },
		{ "attune://localhost:1/" KEY, "localhost", 1, 0 },
		{ "attune://x-1.a9.example:80/" KEY, "x-1.a9.example", 80, 0 },
		{ "ATTUNE://Relay.Example:80/" KEY, "Relay.Example", 80, 0 },
	};
	struct addr a;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int r = addr_parse_ex(&a, v[i].s, why, sizeof(why));
		if (r != 0)
			fail_msg("%s: %s", v[i].s, why);
		assert_string_equal(a.host, v[i].host);
		assert_int_equal(a.port, v[i].port);
		assert_int_equal(a.ipv6, v[i].ipv6);
		expect_key(&a);
		assert_int_equal(addr_parse(&a, v[i].s), 0);
	}
}

static void
test_addr_bad_forms(void **state)
{
	static const struct { const char *s; int err; const char *why; } v[] = {
		{ "attune://relay.example:70000/" KEY, ATT_EPORT, "port 70000 is out of range 1-65535" },
		{ "attune://relay.example:0/" KEY, ATT_EPORT, "port 0 is out of range 1-65535" },
		{ "attune://relay.example:65536/" KEY, ATT_EPORT, "port 65536 is out of range 1-65535" },
		{ "attune://relay.example:99999999999999999999/" KEY, ATT_EPORT, "port 999999999... is out of range 1-65535" },
		{ "attune://relay.example:80a/" KEY, ATT_EPORT, "the port contains 'a'; it must be a number 1-65535" },
		{ "attune://relay.example:-1/" KEY, ATT_EPORT, "the port contains '-'; it must be a number 1-65535" },
		{ "attune://relay.example:/" KEY, ATT_EPORT, "the port is missing after ':'" },
		{ "attune://relay.example/" KEY, ATT_EPORT, "the port is missing: write HOST:PORT before the /KEY" },
		{ "attune://[::1]/" KEY, ATT_EPORT, "the port is missing: write [IPv6]:PORT before the /KEY" },
		{ "attune://relay.example:80/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh", ATT_EKEYLEN,
		  "the key is 42 characters; a relay key is 43 (32 bytes)" },
		{ "attune://relay.example:80/" KEY "AAAA", ATT_EKEYLEN,
		  "the key is 47 characters; a relay key is 43 (32 bytes)" },
		{ "attune://relay.example:80/", ATT_EKEYLEN, "the key is missing after '/'" },
		{ "attune://relay.example:80/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+", ATT_EENCODING,
		  "the key contains '+'; it must be base64url (A-Z a-z 0-9 - _, no '=')" },
		{ "attune://relay.example:80/" KEY "=", ATT_EENCODING,
		  "the key ends in '=' padding; relay keys are written without it" },
		/* 43 characters whose last one leaves non-zero trailing bits. */
		{ "attune://relay.example:80/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", ATT_EENCODING,
		  "the key is not canonical base64url (its last character is wrong)" },
		{ "attune://relay.example:80/" KEY "/x", ATT_EADDRESS, "unexpected text after the key, starting with '/'" },
		{ "attune://relay.example:80/" KEY " ", ATT_EADDRESS, "unexpected text after the key, starting with a space" },
		{ "relay.example:80/" KEY, ATT_EADDRESS, "a relay address starts with attune:// (attune://HOST:PORT/KEY)" },
		{ "https://relay.example:80/" KEY, ATT_EADDRESS, "a relay address starts with attune:// (attune://HOST:PORT/KEY)" },
		{ " attune://relay.example:80/" KEY, ATT_EADDRESS, "a relay address starts with attune:// (attune://HOST:PORT/KEY)" },
		{ "attune://:80/" KEY, ATT_EADDRESS, "the host is empty" },
		{ "attune://[]:80/" KEY, ATT_EADDRESS, "the host is empty (nothing between [ and ])" },
		{ "attune://relay.example:80", ATT_EADDRESS,
		  "the key is missing: the address ends in /KEY (attune://HOST:PORT/KEY)" },
		{ "attune://rel_ay.example:80/" KEY, ATT_EADDRESS,
		  "the host contains '_'; use letters, digits, '-' and '.', or [IPv6]" },
		{ "attune://r\xc3\xa9lay:80/" KEY, ATT_EADDRESS,
		  "the host contains byte 0xc3; use letters, digits, '-' and '.', or [IPv6]" },
		{ "attune://relay..example:80/" KEY, ATT_EADDRESS,
		  "the host has an empty label (two dots in a row, or a dot at an end)" },
		{ "attune://-relay.example:80/" KEY, ATT_EADDRESS, "a label of the host starts with '-'" },
		{ "attune://relay-.example:80/" KEY, ATT_EADDRESS, "a label of the host ends with '-'" },
		{ "attune://256.1.1.1:80/" KEY, ATT_EADDRESS,
		  "\"256.1.1.1\" is not an IPv4 address (four numbers 0-255 separated by dots)" },
		{ "attune://1.2.3:80/" KEY, ATT_EADDRESS,
		  "\"1.2.3\" is not an IPv4 address (four numbers 0-255 separated by dots)" },
		{ "attune://::1:80/" KEY, ATT_EADDRESS,
		  "an IPv6 address must be in brackets, e.g. attune://[::1]:7777/KEY" },
		{ "attune://[::1:80/" KEY, ATT_EADDRESS, "'[' without a closing ']'" },
		{ "attune://[::g]:80/" KEY, ATT_EADDRESS, "\"::g\" is not an IPv6 address" },
		{ "attune://[fe80::1%eth0]:80/" KEY, ATT_EADDRESS, "an IPv6 zone (%interface) is not supported" },
		{ "attune://[::1]x:80/" KEY, ATT_EADDRESS, "expected ':PORT' after ']'" },
		{ "", ATT_EADDRESS, "a relay address starts with attune:// (attune://HOST:PORT/KEY)" },
	};
	struct addr a;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int r = addr_parse_ex(&a, v[i].s, why, sizeof(why));
		if (r != v[i].err)
			fail_msg("%s: got %s (%s), want %s", v[i].s, att_errcode(r), why,
			    att_errcode(v[i].err));
		assert_string_equal(why, v[i].why);
		assert_int_equal(addr_parse(&a, v[i].s), v[i].err);
		assert_int_equal(a.port, 0);  /* nothing half-parsed is left behind */
	}
	assert_int_equal(addr_parse_ex(&a, NULL, why, sizeof(why)), ATT_EADDRESS);
	/* A small reason buffer truncates rather than overflows. */
	assert_int_equal(addr_parse_ex(&a, "attune://h:0/" KEY, why, 5), ATT_EPORT);
	assert_string_equal(why, "port");
}

/* A 253-character name is the longest allowed; 254 is refused. */
static void
test_addr_host_length(void **state)
{
	char host[300], s[400];
	struct addr a;
	size_t i;

	(void)state;
	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	memset(host, 'a', sizeof(host));
	host[63] = host[127] = host[191] = '.';
	host[253] = '\0';
	snprintf(s, sizeof(s), "attune://%s:1/%s", host, KEY);
	assert_int_equal(addr_parse(&a, s), 0);
	assert_int_equal(strlen(a.host), ADDR_HOST_MAX);
	host[253] = 'a';
	host[254] = '\0';
	snprintf(s, sizeof(s), "attune://%s:1/%s", host, KEY);
	assert_int_equal(addr_parse(&a, s), ATT_EADDRESS);
	/* A 64-character label is too long. */
	for (i = 0; i < 64; i++)
		host[i] = 'b';
	host[64] = '\0';
	snprintf(s, sizeof(s), "attune://%s:1/%s", host, KEY);
	assert_int_equal(addr_parse(&a, s), ATT_EADDRESS);
}

static void
test_addr_format_roundtrip(void **state)
{
	static const char *hosts[] = { "192.0.2.7", "::1", "relay.example.org", "2001:db8::1" };
	uint8_t key[32];
	char s[ADDR_STR_MAX];
	struct addr a;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	n = addr_format(s, sizeof(s), "192.0.2.7", 7777, key);
	assert_string_equal(s, "attune://192.0.2.7:7777/" KEY);
	assert_int_equal(n, (int)strlen(s));
	n = addr_format(s, sizeof(s), "::1", 1, key);
	assert_string_equal(s, "attune://[::1]:1/" KEY);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		assert_true(addr_format(s, sizeof(s), hosts[i], 65535, key) > 0);
		assert_int_equal(addr_parse(&a, s), 0);
		assert_string_equal(a.host, hosts[i]);
		assert_int_equal(a.port, 65535);
		assert_memory_equal(a.key, key, 32);
	}
	assert_int_equal(addr_format(s, 20, "192.0.2.7", 7777, key), ATT_ETOOBIG);
	assert_int_equal(addr_format(s, sizeof(s), "192.0.2.7", 0, key), ATT_EPORT);
	assert_int_equal(addr_format(s, sizeof(s), "bad host", 1, key), ATT_EADDRESS);
	assert_int_equal(addr_format(s, sizeof(s), "", 1, key), ATT_EADDRESS);
	assert_int_equal(addr_format(s, sizeof(s), "::zz", 1, key), ATT_EADDRESS);
}

/* A relay of several nodes: every node, in order, and the first as host/port. */
static void
test_addr_nodes(void **state)
{
	static const struct { const char *s; int err; const char *why; } bad[] = {
		{ "attune://a.example:1,/" KEY, ATT_EADDRESS, "a node of the address is empty" },
		{ "attune://,a.example:1/" KEY, ATT_EADDRESS, "a node of the address is empty" },
		{ "attune://a.example:1,b.example/" KEY, ATT_EPORT, "the port is missing" },
		{ "attune://a:1,b:2,c:3,d:4,e:5/" KEY, ATT_EADDRESS, "more than 4 relay nodes" },
		{ "attune://a.example:1,[::1:2/" KEY, ATT_EADDRESS, "'[' without a closing ']'" },
	};
	struct addr a;
	char why[160];
	size_t i;

	(void)state;
	assert_int_equal(addr_parse_ex(&a, "attune://node1.example:7443,[2001:db8::2]:7444,"
	    "192.0.2.3:7445/" KEY, why, sizeof why), 0);
	assert_int_equal(a.n_nodes, 3);
	assert_string_equal(a.nodes[0].host, "node1.example");
	assert_int_equal(a.nodes[0].port, 7443);
	assert_string_equal(a.nodes[1].host, "2001:db8::2");
	assert_int_equal(a.nodes[1].ipv6, 1);
	assert_int_equal(a.nodes[1].port, 7444);
	assert_string_equal(a.nodes[2].host, "192.0.2.3");
	assert_int_equal(a.nodes[2].port, 7445);
	assert_string_equal(a.host, "node1.example");
	assert_int_equal(a.port, 7443);
	expect_key(&a);
	assert_int_equal(addr_parse(&a, "attune://192.0.2.7:7777/" KEY), 0);
	assert_int_equal(a.n_nodes, 1);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(addr_parse_ex(&a, bad[i].s, why, sizeof why), bad[i].err);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("%s: got \"%s\"", bad[i].s, why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_good_forms),
		cmocka_unit_test(test_addr_bad_forms),
		cmocka_unit_test(test_addr_host_length),
		cmocka_unit_test(test_addr_format_roundtrip),
		cmocka_unit_test(test_addr_nodes),
	};
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
