#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/ratchet.h"
#include "tests/unit/tutil.h"

/* Alice (initiator) and Bob (responder) as X3DH would leave them. */
static void
pair(struct ratchet **a, struct ratchet **b)
{
	uint8_t sk[32], bsk[32], bpk[32], ad[RATCHET_AD_LEN];

	randombytes_buf(sk, sizeof(sk));
	randombytes_buf(ad, sizeof(ad));
	crypto_box_keypair(bpk, bsk);
	assert_int_equal(ratchet_init_initiator(a, sk, bpk, ad), 0);
	assert_int_equal(ratchet_init_responder(b, sk, bsk, bpk, ad), 0);
}

/* The state's serialisation, malloc'd. */
static uint8_t *
snap(const struct ratchet *r, size_t *len)
{
	uint8_t *p;

	*len = ratchet_save_size(r);
	p = malloc(*len);
	assert_non_null(p);
	assert_int_equal(ratchet_save(r, p, *len), (int)*len);
	return p;
}

static void
assert_unchanged(const struct ratchet *r, const uint8_t *before, size_t len)
{
	size_t n;
	uint8_t *now = snap(r, &n);

	assert_int_equal(n, len);
	assert_memory_equal(now, before, len);
	free(now);
}

/* Replaces *r by a state loaded from its own serialisation. */
static void
reload(struct ratchet **r)
{
	size_t len, len2;
	uint8_t *s = snap(*r, &len), *s2;

	ratchet_free(*r);
	assert_int_equal(ratchet_load(r, s, len), 0);
	s2 = snap(*r, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(s, s2, len);
	free(s);
	free(s2);
}

static int
enc(struct ratchet *r, uint8_t *out, const char *text)
{
	return ratchet_encrypt(r, out, 512, (const uint8_t *)text, strlen(text));
}

static void
expect(struct ratchet *r, const uint8_t *msg, int len, const char *text)
{
	uint8_t pt[512];

	assert_int_equal(ratchet_decrypt(r, pt, sizeof(pt), msg, (size_t)len), (int)strlen(text));
	assert_memory_equal(pt, text, strlen(text));
}

static void
test_basic_exchange(void **state)
{
	struct ratchet *a, *b;
	uint8_t m1[512], m2[512], m3[512], pt[512];
	int l1, l2, l3;

	(void)state;
	pair(&a, &b);
	/* Bob cannot speak first. */
	assert_int_equal(enc(b, m1, "hi"), ATT_ESTATE);
	assert_false(ratchet_has_received(b));
	l1 = enc(a, m1, "how are you?");
	assert_int_equal(l1, 12 + RATCHET_OVERHEAD);
	expect(b, m1, l1, "how are you?");
	assert_true(ratchet_has_received(b));
	l2 = enc(b, m2, "tired, cuddle?");
	expect(a, m2, l2, "tired, cuddle?");
	l3 = enc(a, m3, "");
	expect(b, m3, l3, "");
	/* Replay of each is refused. */
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), m1, (size_t)l1), ATT_EREPLAY);
	assert_int_equal(ratchet_decrypt(a, pt, sizeof(pt), m2, (size_t)l2), ATT_EREPLAY);
	ratchet_free(a);
	ratchet_free(b);
}

/* A replay is named as one for the current chain and the last few before it. */
static void
test_replay_across_steps(void **state)
{
	struct ratchet *a, *b;
	uint8_t m0[512], m[512], pt[512], *before;
	size_t blen;
	int l0, l, i;

	(void)state;
	pair(&a, &b);
	l0 = enc(a, m0, "first");
	expect(b, m0, l0, "first");
	for (i = 0; i < RATCHET_PREV_KEYS + 3; i++) {
		l = enc(b, m, "b");
		expect(a, m, l, "b");
		l = enc(a, m, "a");
		expect(b, m, l, "a");
		before = snap(b, &blen);
		if (i < RATCHET_PREV_KEYS)
			assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), m0, (size_t)l0),
			    ATT_EREPLAY);
		else
			assert_true(ratchet_decrypt(b, pt, sizeof(pt), m0, (size_t)l0) < 0);
		assert_unchanged(b, before, blen);
		free(before);
	}
	ratchet_free(a);
	ratchet_free(b);
}

static void
test_out_of_order(void **state)
{
	struct ratchet *a, *b;
	uint8_t m[5][512];
	int l[5], i;
	char text[16];

	(void)state;
	pair(&a, &b);
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "msg %d", i);
		l[i] = enc(a, m[i], text);
	}
	expect(b, m[3], l[3], "msg 3");
	expect(b, m[0], l[0], "msg 0");
	expect(b, m[4], l[4], "msg 4");
	expect(b, m[2], l[2], "msg 2");
	expect(b, m[1], l[1], "msg 1");
	ratchet_free(a);
	ratchet_free(b);
}

/* Every kind of rejection leaves the serialised state byte for byte as it was. */
static void
test_rejections_leave_state(void **state)
{
	struct ratchet *a, *b;
	static uint8_t far[RATCHET_MAX_SKIP + 2][64];
	uint8_t m[512], bad[512], pt[512], *before;
	size_t blen;
	int l, i, lf[RATCHET_MAX_SKIP + 2];

	(void)state;
	pair(&a, &b);
	l = enc(a, m, "first");
	expect(b, m, l, "first");
	l = enc(b, m, "reply");
	expect(a, m, l, "reply");
	l = enc(a, m, "second");
	before = snap(b, &blen);

	/* Tampered: every byte of header and ciphertext in turn. */
	for (i = 0; i < l; i++) {
		memcpy(bad, m, (size_t)l);
		bad[i] ^= 0x20;
		assert_true(ratchet_decrypt(b, pt, sizeof(pt), bad, (size_t)l) < 0);
		assert_unchanged(b, before, blen);
	}
	/* A low-order ratchet key in the header. */
	memcpy(bad, m, (size_t)l);
	memset(bad, 0, 32);
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), bad, (size_t)l), ATT_EBADKEY);
	assert_unchanged(b, before, blen);
	/* Truncated and garbage. */
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), m, RATCHET_OVERHEAD - 1), ATT_ETRUNCATED);
	randombytes_buf(bad, sizeof(bad));
	assert_true(ratchet_decrypt(b, pt, sizeof(pt), bad, 200) < 0);
	assert_unchanged(b, before, blen);
	/* Output buffer too small is refused before anything happens. */
	assert_int_equal(ratchet_decrypt(b, pt, 2, m, (size_t)l), ATT_EINVAL);
	assert_unchanged(b, before, blen);
	expect(b, m, l, "second");
	free(before);

	/* Replayed. */
	before = snap(b, &blen);
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), m, (size_t)l), ATT_EREPLAY);
	assert_unchanged(b, before, blen);
	free(before);

	/* Too far ahead in the current chain. */
	for (i = 0; i < RATCHET_MAX_SKIP + 2; i++)
		lf[i] = ratchet_encrypt(a, far[i], sizeof(far[i]), (const uint8_t *)"x", 1);
	before = snap(b, &blen);
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), far[RATCHET_MAX_SKIP + 1],
	    (size_t)lf[RATCHET_MAX_SKIP + 1]), ATT_ETOOFAR);
	assert_unchanged(b, before, blen);
	free(before);
	/* Exactly MAX_SKIP ahead is fine, and the skipped ones still open. */
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), far[RATCHET_MAX_SKIP],
	    (size_t)lf[RATCHET_MAX_SKIP]), 1);
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), far[17], (size_t)lf[17]), 1);
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), far[17], (size_t)lf[17]), ATT_EREPLAY);
	ratchet_free(a);
	ratchet_free(b);
}

/* A new chain whose PN claims too many unseen messages in the old one. */
static void
test_too_far_previous_chain(void **state)
{
	struct ratchet *a, *b;
	uint8_t m[512], pt[512], *before;
	size_t blen;
	int l, i;

	(void)state;
	pair(&a, &b);
	l = enc(a, m, "0");
	expect(b, m, l, "0");
	for (i = 0; i < RATCHET_MAX_SKIP + 1; i++)
		assert_true(enc(a, m, "lost") > 0);
	l = enc(b, m, "reply");
	expect(a, m, l, "reply");
	l = enc(a, m, "new chain");	/* PN = MAX_SKIP + 2, Bob has seen 1 */
	before = snap(b, &blen);
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), m, (size_t)l), ATT_ETOOFAR);
	assert_unchanged(b, before, blen);
	free(before);
	ratchet_free(a);
	ratchet_free(b);
}

/* The store of skipped keys never holds more than RATCHET_MAX_SKIPPED: the
 * oldest go first. */
static void
test_skipped_cap(void **state)
{
	struct ratchet *a, *b;
	static uint8_t old[512], mid[512];
	uint8_t m[512], pt[512];
	int l, lo = 0, lm = 0, round, i;
	size_t max_size = 0;

	(void)state;
	pair(&a, &b);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < RATCHET_MAX_SKIP; i++) {
			l = enc(a, m, "lost");
			if (round == 0 && i == 0)
				memcpy(old, m, (size_t)(lo = l));
			if (round == 2 && i == 0)
				memcpy(mid, m, (size_t)(lm = l));
		}
		l = enc(a, m, "arrives");
		expect(b, m, l, "arrives");
		l = enc(b, m, "ack");
		expect(a, m, l, "ack");
		if (ratchet_save_size(b) > max_size)
			max_size = ratchet_save_size(b);
	}
	/* 3000 keys were skipped; the store is full and the first 1000 were dropped. */
	assert_int_equal(max_size, ratchet_save_size(b));
	assert_true(max_size >= (size_t)RATCHET_MAX_SKIPPED * 68);
	assert_true(max_size <= 400 + RATCHET_PREV_KEYS * 32 + (size_t)RATCHET_MAX_SKIPPED * 68);
	assert_true(ratchet_decrypt(b, pt, sizeof(pt), old, (size_t)lo) < 0);
	assert_int_equal(ratchet_decrypt(b, pt, sizeof(pt), mid, (size_t)lm), 4);
	reload(&b);
	ratchet_free(a);
	ratchet_free(b);
}

/* A state saved after messages were read cannot read them again. */
static void
test_forward_secrecy(void **state)
{
	struct ratchet *a, *b, *stolen;
	uint8_t m[4][512], pt[512], *s;
	size_t slen;
	int l[4], i;

	(void)state;
	pair(&a, &b);
	l[0] = enc(a, m[0], "a0");
	expect(b, m[0], l[0], "a0");
	l[1] = enc(b, m[1], "b0");
	expect(a, m[1], l[1], "b0");
	l[2] = enc(a, m[2], "a1");
	l[3] = enc(a, m[3], "a2");
	expect(b, m[2], l[2], "a1");
	expect(b, m[3], l[3], "a2");
	s = snap(b, &slen);
	assert_int_equal(ratchet_load(&stolen, s, slen), 0);
	for (i = 0; i < 4; i++) {
		if (i == 1)
			continue;
		assert_true(ratchet_decrypt(stolen, pt, sizeof(pt), m[i], (size_t)l[i]) < 0);
	}
	/* No message key or chain key of the past sits in the stolen bytes either:
	 * the state holds no skipped keys. */
	assert_int_equal(slen, ratchet_save_size(stolen));
	ratchet_free(stolen);
	free(s);
	ratchet_free(a);
	ratchet_free(b);
}

/* After one DH round trip, a state stolen before it cannot read new traffic. */
static void
test_post_compromise(void **state)
{
	struct ratchet *a, *b, *stolen;
	uint8_t m[512], x[512], y[512], z[512], pt[512], *s;
	size_t slen;
	int l, lx, ly, lz;

	(void)state;
	pair(&a, &b);
	l = enc(a, m, "hello");
	expect(b, m, l, "hello");
	l = enc(b, m, "hi");
	expect(a, m, l, "hi");
	s = snap(b, &slen);	/* the attacker copies Bob's state here */
	assert_int_equal(ratchet_load(&stolen, s, slen), 0);
	lx = enc(a, x, "x");	/* Alice's new ratchet key, Bob's old one */
	/* Before healing the thief reads along: the test can see a compromise. */
	assert_int_equal(ratchet_decrypt(stolen, pt, sizeof(pt), x, (size_t)lx), 1);
	expect(b, x, lx, "x");	/* Bob makes a fresh key pair */
	ly = enc(b, y, "y");
	expect(a, y, ly, "y");	/* Alice makes a fresh key pair */
	lz = enc(a, z, "z");
	assert_true(ratchet_decrypt(stolen, pt, sizeof(pt), z, (size_t)lz) < 0);
	ratchet_free(stolen);
	assert_int_equal(ratchet_load(&stolen, s, slen), 0);
	assert_true(ratchet_decrypt(stolen, pt, sizeof(pt), z, (size_t)lz) < 0);
	expect(b, z, lz, "z");
	ratchet_free(stolen);
	free(s);
	ratchet_free(a);
	ratchet_free(b);
}

static void
test_load_strict(void **state)
{
	struct ratchet *a, *b, *c;
	uint8_t m[512], *s, *t;
	size_t slen;
	int l, i;

	(void)state;
	pair(&a, &b);
	for (i = 0; i < 3; i++)
		l = enc(a, m, "skip me");
	expect(b, m, l, "skip me");	/* two skipped keys stored */
	s = snap(b, &slen);
	assert_int_equal(ratchet_load(&c, s, slen), 0);
	ratchet_free(c);
	assert_int_equal(ratchet_load(&c, s, slen - 1), ATT_ECORRUPT);
	assert_null(c);
	assert_int_equal(ratchet_load(&c, s, 10), ATT_ETRUNCATED);
	assert_int_equal(ratchet_load(&c, s, 0), ATT_ETRUNCATED);
	t = malloc(slen + 1);
	memcpy(t, s, slen);
	t[slen] = 0;
	assert_int_equal(ratchet_load(&c, t, slen + 1), ATT_ECORRUPT);
	t[0] = 2;
	assert_int_equal(ratchet_load(&c, t, slen), ATT_EVERSION);
	t[0] = 1;
	t[1] = 0xff;	/* unknown flags */
	assert_int_equal(ratchet_load(&c, t, slen), ATT_ECORRUPT);
	t[1] = s[1];
	t[1 + 1 + RATCHET_AD_LEN + 5] ^= 1;	/* secret no longer matches public key */
	assert_int_equal(ratchet_load(&c, t, slen), ATT_ECORRUPT);
	free(t);
	free(s);
	ratchet_free(a);
	ratchet_free(b);
}

/*
 * The property test: N messages between two parties with random
 * interleaving, loss, reordering and duplication, and save/restore along
 * the way. Every message delivered decrypts exactly once to what was sent;
 * every duplicate is refused and changes nothing.
 */
#define PROP_N 10000
#define QMAX 48

struct flight {
	uint8_t *ct;
	int len;
	uint32_t id;
};

struct queue {
	struct flight q[QMAX];
	int n;
};

static size_t
body_for(uint32_t id, uint8_t *out)
{
	size_t len = 8 + id % 90, i;

	memcpy(out, &id, 4);
	for (i = 4; i < len; i++)
		out[i] = (uint8_t)(id * 31 + i);
	return len;
}

static void
queue_push(struct queue *q, struct flight f, uint64_t *rng)
{
	int at = q->n == 0 ? 0 : (int)(tutil_rand(rng) % (uint64_t)(q->n + 1));

	memmove(&q->q[at + 1], &q->q[at], (size_t)(q->n - at) * sizeof(q->q[0]));
	q->q[at] = f;
	q->n++;
}

static struct flight
queue_take(struct queue *q, uint64_t *rng)
{
	/* Mostly in order, sometimes any of the first few: reordering. */
	int i = tutil_rand(rng) % 4 == 0 ? (int)(tutil_rand(rng) % (uint64_t)q->n) : 0;
	struct flight f = q->q[i];

	memmove(&q->q[i], &q->q[i + 1], (size_t)(q->n - i - 1) * sizeof(q->q[0]));
	q->n--;
	return f;
}

static void
test_property(void **state)
{
	uint64_t seed = tutil_seed("ratchet property"), rng = seed;
	struct ratchet *r[2];
	struct queue *qs = calloc(2, sizeof(*qs));	/* qs[i]: in flight to party i */
	uint8_t *delivered = calloc(PROP_N, 1), body[128], pt[256];
	uint32_t sent = 0, lost = 0, got = 0, dups = 0, step = 0;

	(void)state;
	assert_non_null(qs);
	assert_non_null(delivered);
	pair(&r[0], &r[1]);
	while (sent < PROP_N || qs[0].n > 0 || qs[1].n > 0) {
		unsigned roll = (unsigned)(tutil_rand(&rng) % 100);
		int to;

		step++;
		if (step % 997 == 0) {
			reload(&r[0]);
			reload(&r[1]);
		}
		if (sent < PROP_N && roll < 45) {
			int from = (int)(tutil_rand(&rng) % 2);
			struct flight f;
			size_t blen;

			to = 1 - from;
			if (qs[to].n == QMAX)
				goto deliver;
			if (!ratchet_has_received(r[from]) && from == 1)
				from = 0, to = 1;
			if (qs[to].n == QMAX)
				goto deliver;
			blen = body_for(sent, body);
			f.ct = malloc(blen + RATCHET_OVERHEAD);
			f.id = sent;
			f.len = ratchet_encrypt(r[from], f.ct, blen + RATCHET_OVERHEAD, body, blen);
			assert_int_equal(f.len, (int)(blen + RATCHET_OVERHEAD));
			qs[to].q[qs[to].n++] = f;	/* sent in order; reordering happens on take */
			sent++;
			continue;
		}
deliver:
		to = qs[0].n == 0 ? 1 : qs[1].n == 0 ? 0 : (int)(tutil_rand(&rng) % 2);
		if (qs[to].n == 0)
			continue;
		{
			struct flight f = queue_take(&qs[to], &rng);
			unsigned fate = (unsigned)(tutil_rand(&rng) % 100);
			int rc;

			if (fate < 5 && !delivered[f.id]) {
				lost++;		/* never arrives */
				free(f.ct);
				continue;
			}
			if (delivered[f.id]) {
				size_t blen2;
				uint8_t *before = snap(r[to], &blen2);

				rc = ratchet_decrypt(r[to], pt, sizeof(pt), f.ct, (size_t)f.len);
				if (rc >= 0)
					fail_msg("message %u decrypted twice (seed %llu)", f.id,
					    (unsigned long long)seed);
				assert_unchanged(r[to], before, blen2);
				free(before);
				free(f.ct);
				continue;
			}
			rc = ratchet_decrypt(r[to], pt, sizeof(pt), f.ct, (size_t)f.len);
			if (rc < 0)
				fail_msg("message %u: %s (seed %llu)", f.id, att_errcode(rc),
				    (unsigned long long)seed);
			assert_int_equal(rc, (int)body_for(f.id, body));
			assert_memory_equal(pt, body, (size_t)rc);
			delivered[f.id] = 1;
			got++;
			if (fate >= 92 && qs[to].n < QMAX) {
				dups++;		/* the network delivers it again later */
				queue_push(&qs[to], f, &rng);
			} else {
				free(f.ct);
			}
		}
	}
	print_message("# %u sent, %u delivered, %u lost, %u duplicates refused\n",
	    sent, got, lost, dups);
	assert_int_equal(got + lost, PROP_N);
	assert_true(dups > 0 && lost > 0);
	free(delivered);
	free(qs);
	ratchet_free(r[0]);
	ratchet_free(r[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_exchange),
		cmocka_unit_test(test_replay_across_steps),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_rejections_leave_state),
		cmocka_unit_test(test_too_far_previous_chain),
		cmocka_unit_test(test_skipped_cap),
		cmocka_unit_test(test_forward_secrecy),
		cmocka_unit_test(test_post_compromise),
		cmocka_unit_test(test_load_strict),
		cmocka_unit_test(test_property),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("ratchet", tests, NULL, NULL);
}
