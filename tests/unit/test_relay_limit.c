/* relay/limit, relay/relaycfg, relay/nameplate, relay/htab: the relay's pure modules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "relay/htab.h"
#include "relay/limit.h"
#include "relay/nameplate.h"
#include "relay/relaycfg.h"
#include "tests/unit/tutil.h"

static void
test_bucket(void **state)
{
	struct bucket b;
	int i, n = 0;

	(void)state;
	limit_bucket_init(&b, 5, 100.0);
	for (i = 0; i < 10; i++)
		n += limit_take(&b, 20, 5, 100.0, 1);
	assert_int_equal(n, 5);               /* the burst */
	assert_int_equal(limit_take(&b, 20, 5, 100.04, 1), 0);
	assert_int_equal(limit_take(&b, 20, 5, 100.05, 1), 1);  /* 20/s: one per 50 ms */
	assert_int_equal(limit_take(&b, 20, 5, 1000.0, 6), 0);  /* never above the burst */
	assert_int_equal(limit_take(&b, 20, 5, 1000.0, 5), 1);
}

static void
test_srcs(void **state)
{
	struct limit_srcs *s = limit_srcs_new(2);
	uint8_t ip1[16] = { 1 }, ip2[16] = { 2 }, ip3[16] = { 3 };
	struct limit_src *e1, *e2;

	(void)state;
	e1 = limit_src_get(s, ip1, 5, 5, 0);
	assert_non_null(e1);
	assert_ptr_equal(limit_src_get(s, ip1, 5, 5, 0), e1);
	e2 = limit_src_get(s, ip2, 5, 5, 0);
	assert_non_null(e2);
	assert_null(limit_src_get(s, ip3, 5, 5, 0));   /* table full */
	e1->conns = 1;
	assert_true(limit_take(&e2->hs, 1, 5, 0, 5));
	limit_srcs_sweep(s, 1, 5, 1, 5, 1);          /* e1 has a connection, e2 an empty bucket */
	assert_int_equal(limit_srcs_count(s), 2);
	limit_srcs_sweep(s, 1, 5, 1, 5, 100);
	assert_int_equal(limit_srcs_count(s), 1);
	assert_non_null(limit_src_get(s, ip3, 5, 5, 100));
	limit_srcs_free(s);
}

struct item {
	struct htab_node node;
	uint8_t key[32];
};

static int
drop_odd(struct htab_node *n, void *arg)
{
	(void)arg;
	return ((struct item *)n)->key[0] & 1;
}

static void
test_htab(void **state)
{
	struct htab *h = htab_new(32);
	struct item *items = calloc(1000, sizeof *items);
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		randombytes_buf(items[i].key, 32);
		items[i].key[0] = (uint8_t)i;
		items[i].key[1] = (uint8_t)(i >> 8);
		items[i].node.key = items[i].key;
		htab_insert(h, &items[i].node);
	}
	assert_int_equal(htab_count(h), 1000);
	for (i = 0; i < 1000; i++)
		assert_ptr_equal(htab_find(h, items[i].key), &items[i].node);
	htab_remove(h, &items[7].node);
	assert_null(htab_find(h, items[7].key));
	htab_each(h, drop_odd, NULL);
	assert_int_equal(htab_count(h), 500);
	assert_non_null(htab_find(h, items[8].key));
	assert_null(htab_find(h, items[9].key));
	htab_free(h);
	free(items);
}

static void
test_config(void **state)
{
	struct relaycfg c;
	uint64_t v;
	char why[256], *dir = tutil_tmpdir("relaycfg"), path[4200];
	FILE *f;

	(void)state;
	relaycfg_defaults(&c);
	assert_int_equal(c.device_invites, 0);   /* the operator turns device invites on */
	assert_true(c.nameplates_per_address >= 1 && c.nameplates_per_address < 10);
	assert_int_equal(c.ttl, 30 * 86400);
	assert_int_equal(c.deliver_window, 64);
	assert_true(c.handshake_rate == 20 && c.handshake_burst == 5);
	assert_int_equal(relaycfg_parse_duration("7d", &v), 0);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(relaycfg_parse_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(relaycfg_parse_duration("5x", &v), ATT_EINVAL);
	assert_int_equal(relaycfg_parse_duration("-1", &v), ATT_EINVAL);
	assert_int_equal(relaycfg_parse_duration("99999999999999999999d", &v), ATT_ERANGE);
	assert_int_equal(relaycfg_parse_size("64M", &v), 0);
	assert_int_equal(v, 64u << 20);

	snprintf(path, sizeof path, "%s/relay.ini", dir);
	f = fopen(path, "w");
	fputs("# comment\n[storage]\nttl = 2d\nmailbox_envelopes = 7\n[limits]\nhandshake_rate = 2.5\n"
	    "[nameplates]\nttl = 30s\n[invites]\ndevice_invites = no\n", f);
	fclose(f);
	assert_int_equal(relaycfg_load(&c, path, why, sizeof why), 0);
	assert_int_equal(c.ttl, 2 * 86400);
	assert_int_equal(c.mailbox_envelopes, 7);
	assert_true(c.handshake_rate == 2.5);
	assert_int_equal(c.nameplate_ttl, 30);
	assert_int_equal(c.device_invites, 0);

	f = fopen(path, "w");
	fputs("[limits]\nframe_max = 100000\n", f);
	fclose(f);
	assert_int_equal(relaycfg_load(&c, path, why, sizeof why), ATT_EINVAL);
	assert_non_null(strstr(why, "out of range"));
	f = fopen(path, "w");
	fputs("[limits]\nno_such = 1\n", f);
	fclose(f);
	assert_int_equal(relaycfg_load(&c, path, why, sizeof why), ATT_EINVAL);
	assert_non_null(strstr(why, "unknown setting"));
	assert_non_null(strstr(why, "line 2"));
	snprintf(path, sizeof path, "%s/absent.ini", dir);
	assert_int_equal(relaycfg_load(&c, path, why, sizeof why), ATT_EIO);
	free(dir);
}

struct pushlog {
	int n;
	void *side[8];
	int what[8];
	char data[8][16];
};

static void
push(void *ctx, void *side, enum np_push what, uint32_t np, const uint8_t *data, size_t len)
{
	struct pushlog *l = ctx;

	(void)np;
	l->side[l->n] = side;
	l->what[l->n] = what;
	snprintf(l->data[l->n], 16, "%.*s", (int)len, data != NULL ? (const char *)data : "");
	l->n++;
}

static void
test_nameplates(void **state)
{
	struct pushlog l = { 0 };
	struct nameplates *t = nameplates_new(3, 600, 2, push, &l);
	int a, b, c;
	uint32_t np, np2;
	uint64_t exp;

	(void)state;
	assert_int_equal(nameplate_alloc(t, &a, NULL, 1000, &np, &exp), 0);
	assert_true(np >= 1 && np < 100);
	assert_int_equal(exp, 1600);
	assert_int_equal(nameplate_claim(t, &a, NULL, np, 1000), NP_ETAKEN);     /* not with itself */
	assert_int_equal(nameplate_send(t, &a, np, (const uint8_t *)"m1", 2), 0);
	assert_int_equal(nameplate_send(t, &a, np, (const uint8_t *)"m2", 2), 0);
	assert_int_equal(nameplate_send(t, &a, np, (const uint8_t *)"m3", 2), NP_EQUEUE);
	assert_int_equal(nameplate_send(t, &c, np, (const uint8_t *)"x", 1), NP_ENOTSIDE);
	assert_int_equal(nameplate_claim(t, &b, NULL, np, 1000), 0);
	assert_int_equal(l.n, 2);                                       /* queued ones flushed */
	assert_ptr_equal(l.side[0], &b);
	assert_string_equal(l.data[1], "m2");
	assert_int_equal(nameplate_claim(t, &c, NULL, np, 1000), NP_ETAKEN);
	assert_int_equal(nameplate_send(t, &b, np, (const uint8_t *)"hi", 2), 0);
	assert_ptr_equal(l.side[2], &a);
	assert_int_equal(nameplate_close(t, &c, np), NP_ENOTSIDE);
	assert_int_equal(nameplate_close(t, &a, np), 0);
	assert_ptr_equal(l.side[3], &b);
	assert_int_equal(l.what[3], NP_CLOSED);
	assert_int_equal(nameplate_claim(t, &c, NULL, np, 1000), NP_EUNKNOWN);
	assert_int_equal(nameplate_count(t), 0);
	/* Expiry and the cap. */
	assert_int_equal(nameplate_alloc(t, &a, NULL, 1000, &np, &exp), 0);
	assert_int_equal(nameplate_alloc(t, &a, NULL, 1000, &np2, &exp), 0);
	assert_int_not_equal(np, np2);
	assert_int_equal(nameplate_alloc(t, &b, NULL, 1000, &np2, &exp), 0);
	assert_int_equal(nameplate_alloc(t, &b, NULL, 1000, &np2, &exp), NP_EFULL);
	assert_int_equal(nameplate_claim(t, &c, NULL, np, 1600), NP_EUNKNOWN);
	nameplate_side_gone(t, &b);
	assert_int_equal(nameplate_count(t), 2);
	assert_int_equal(nameplate_sweep(t, 1600), 2);
	assert_int_equal(nameplate_count(t), 0);
	nameplates_free(t);
}

/* IPv6 sources count per /64, IPv4 per address (attack 7). */
static void
test_src_key(void **state)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t b[16], ka[16], kb[16];
	uint8_t v4[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1 }, k4[16];
	struct limit_srcs *s = limit_srcs_new(8);

	(void)state;
	memcpy(b, a, 16);
	b[15] = 9;
	limit_src_key(ka, a);
	limit_src_key(kb, b);
	assert_memory_equal(ka, kb, 16);
	assert_ptr_equal(limit_src_get(s, ka, 5, 5, 0), limit_src_get(s, kb, 5, 5, 0));
	b[7] = 2;                                   /* another /64 */
	limit_src_key(kb, b);
	assert_memory_not_equal(ka, kb, 16);
	limit_src_key(k4, v4);
	assert_memory_equal(k4, v4, 16);            /* IPv4 stays whole */
	v4[15] = 2;
	limit_src_key(kb, v4);
	assert_memory_not_equal(k4, kb, 16);
	limit_srcs_free(s);
}

/* Device buckets are shared by every connection of a device and swept when full. */
static void
test_devs(void **state)
{
	struct limit_devs *s = limit_devs_new(2);
	struct limit_dev_rates r = { 10, 20, 1, 3, 0.5, 2 };
	uint8_t k1[32] = { 1 }, k2[32] = { 2 }, k3[32] = { 3 };
	struct limit_dev *e;
	int i, n = 0;

	(void)state;
	e = limit_dev_get(s, k1);
	assert_non_null(e);
	assert_ptr_equal(limit_dev_get(s, k1), e);
	for (i = 0; i < 5; i++)
		n += limit_take(&e->pk_req, r.pk_rate, r.pk_burst, 10.0, 1);
	assert_int_equal(n, 3);                     /* starts full: the burst */
	assert_true(limit_take(&e->put, r.put_rate, r.put_burst, 10.0, 20));
	assert_false(limit_take(&e->put, r.put_rate, r.put_burst, 10.0, 1));
	assert_non_null(limit_dev_get(s, k2));
	assert_null(limit_dev_get(s, k3));          /* table full */
	limit_devs_sweep(s, &r, 10.5);              /* k1 is still draining */
	assert_int_equal(limit_devs_count(s), 1);
	limit_devs_sweep(s, &r, 100);
	assert_int_equal(limit_devs_count(s), 0);
	limit_devs_free(s);
}

/* What one owner (address) holds is counted, allocated or claimed. */
static void
test_nameplate_held(void **state)
{
	struct pushlog l = { 0 };
	struct nameplates *t = nameplates_new(10, 600, 2, push, &l);
	int a, b, oa, ob;
	uint32_t np, np2;
	uint64_t exp;

	(void)state;
	assert_int_equal(nameplate_alloc(t, &a, &oa, 1000, &np, &exp), 0);
	assert_int_equal(nameplate_alloc(t, &a, &oa, 1000, &np2, &exp), 0);
	assert_int_equal(nameplate_held(t, &oa), 2);
	assert_int_equal(nameplate_held(t, &ob), 0);
	assert_int_equal(nameplate_claim(t, &b, &ob, np, 1000), 0);
	assert_int_equal(nameplate_held(t, &ob), 1);
	assert_int_equal(nameplate_close(t, &b, np), 0);
	assert_int_equal(nameplate_held(t, &oa), 1);
	assert_int_equal(nameplate_held(t, &ob), 0);
	assert_int_equal(nameplate_held(t, NULL), 0);
	nameplates_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_srcs),
		cmocka_unit_test(test_htab),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_nameplates),
		cmocka_unit_test(test_src_key),
		cmocka_unit_test(test_devs),
		cmocka_unit_test(test_nameplate_held),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("relay_limit", tests, NULL, NULL);
}
