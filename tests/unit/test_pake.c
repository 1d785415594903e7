/*
 * The pairing channel: two state machines talking to each other in memory,
 * with wrong codes, every message tampered, invalid points, messages out of
 * order or of the wrong size, and the safety numbers both sides show.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/pake.h"
#include "proto/pcode.h"
#include "proto/safety.h"
#include "tests/unit/tutil.h"

#define CODE "42-crossover-clockwork"

struct side {
	struct pake *p;
	uint8_t id[32];
	uint8_t intro[PAKE_INTRO_MAX];
	size_t intro_len;
};

/* Tampering: flip bit BIT of byte POS of message MSG (1..4), or resize it. */
struct tamper {
	int msg;
	size_t pos;
	uint8_t bit;
	int resize;  /* 0, or a new length */
};

struct result {
	int r[5];    /* result of the call that consumed message i (r[0]: start) */
	int last;    /* last message delivered */
};

static void
side_init(struct side *s, int initiator, const char *code, uint32_t np, size_t intro_len)
{
	uint8_t sk[64];
	size_t i;

	crypto_sign_keypair(s->id, sk);
	sodium_memzero(sk, sizeof(sk));
	for (i = 0; i < intro_len; i++)
		s->intro[i] = (uint8_t)(initiator ? 'A' + i % 26 : 'a' + i % 26);
	s->intro_len = intro_len;
	s->p = pake_new(initiator, code, np, s->id, s->intro, intro_len);
	assert_non_null(s->p);
}

/* Runs the four messages between I and R, applying T; stops at the first error. */
static struct result
exchange(struct side *i, struct side *r, const struct tamper *t)
{
	uint8_t a[PAKE_MSG_MAX + 16], b[PAKE_MSG_MAX + 16];
	struct result res;
	int n, k;

	memset(&res, 0, sizeof(res));
	assert_int_equal(pake_start(r->p, NULL, 0), 0);
	n = res.r[0] = pake_start(i->p, a, sizeof(a));
	assert_true(n > 0);
	for (k = 1; k <= 4; k++) {
		struct side *to = k % 2 ? r : i;
		uint8_t *in = k % 2 ? a : b, *out = k % 2 ? b : a;

		assert_true(n > 0 && n <= PAKE_MSG_MAX);
		if (t && t->msg == k) {
			if (t->resize)
				n = t->resize;
			else if (t->pos < (size_t)n)
				in[t->pos] ^= t->bit;
		}
		res.last = k;
		n = res.r[k] = pake_recv(to->p, in, (size_t)n, out, PAKE_MSG_MAX);
		if (n < 0)
			break;
		if (k < 4)
			assert_true(n > 0);
		else
			assert_int_equal(n, 0);
	}
	return res;
}

static void
check_done(struct side *s, const struct side *peer)
{
	const uint8_t *in;
	size_t len = 99;
	uint8_t id[32];

	assert_true(pake_done(s->p));
	assert_false(pake_failed(s->p));
	in = pake_peer_intro(s->p, &len);
	assert_non_null(in);
	assert_int_equal(len, peer->intro_len);
	if (len)
		assert_memory_equal(in, peer->intro, len);
	assert_int_equal(pake_peer_identity(s->p, id), 0);
	assert_memory_equal(id, peer->id, 32);
}

/* Nothing secret or peer-supplied is available from a side that did not finish. */
static void
check_nothing(struct side *s)
{
	size_t len = 0;
	char d[PAKE_SAFETY_DIGITS_MAX], w[PAKE_SAFETY_WORDS_MAX];
	uint8_t id[32];

	assert_false(pake_done(s->p));
	assert_null(pake_peer_intro(s->p, &len));
	if (pake_failed(s->p)) {
		assert_int_equal(pake_peer_identity(s->p, id), ATT_ESTATE);
		assert_int_equal(pake_safety(s->p, d, sizeof(d), w, sizeof(w)), ATT_ESTATE);
	}
}

static void
both_free(struct side *i, struct side *r)
{
	pake_free(i->p);
	pake_free(r->p);
}

static void
test_pairing(void **state)
{
	struct side i, r;
	struct result res;
	char di[PAKE_SAFETY_DIGITS_MAX], dr[PAKE_SAFETY_DIGITS_MAX], d2[PAKE_SAFETY_DIGITS_MAX];
	char wi[PAKE_SAFETY_WORDS_MAX], wr[PAKE_SAFETY_WORDS_MAX];
	uint8_t out[PAKE_MSG_MAX];
	int k;

	(void)state;
	side_init(&i, 1, CODE, 42, 300);
	side_init(&r, 0, CODE, 42, 1200);
	res = exchange(&i, &r, NULL);
	for (k = 1; k <= 4; k++)
		assert_true(res.r[k] >= 0);
	check_done(&i, &r);
	check_done(&r, &i);

	assert_int_equal(pake_safety(i.p, di, sizeof(di), wi, sizeof(wi)), 0);
	assert_int_equal(pake_safety(r.p, dr, sizeof(dr), wr, sizeof(wr)), 0);
	assert_string_equal(di, dr);
	assert_string_equal(wi, wr);
	/* Twelve groups "ddddd" and twelve words. */
	assert_int_equal(strlen(di), 71);
	for (k = 0; k < 71; k++)
		assert_true(k % 6 == 5 ? di[k] == ' ' : (di[k] >= '0' && di[k] <= '9'));
	assert_non_null(strchr(wi, ' '));
	assert_int_equal(pake_safety(i.p, d2, 5, NULL, 0), ATT_ETOOBIG);
	/* Done is terminal: more input is refused, results stay. */
	assert_int_equal(pake_recv(i.p, out, 10, out, sizeof(out)), ATT_ESTATE);
	check_done(&i, &r);
	both_free(&i, &r);

	/* Another run, same people and code: another safety number. */
	side_init(&i, 1, CODE, 42, 0);
	side_init(&r, 0, CODE, 42, 0);
	exchange(&i, &r, NULL);
	check_done(&i, &r);
	check_done(&r, &i);
	assert_int_equal(pake_safety(r.p, d2, sizeof(d2), NULL, 0), 0);
	assert_string_not_equal(d2, dr);
	both_free(&i, &r);
}

static void
test_largest_intro(void **state)
{
	struct side i, r;

	(void)state;
	side_init(&i, 1, CODE, 42, PAKE_INTRO_MAX);
	side_init(&r, 0, CODE, 42, PAKE_INTRO_MAX);
	exchange(&i, &r, NULL);
	check_done(&i, &r);
	check_done(&r, &i);
	both_free(&i, &r);
}

/* A wrong code on either side: the initiator fails on Tb, the responder never finishes. */
static void
test_wrong_code(void **state)
{
	const char *codes[][2] = {
		{ CODE, "42-crossover-cobra" },
		{ "42-councilman-clockwork", CODE },
	};
	struct side i, r;
	struct result res;
	int k;

	(void)state;
	for (k = 0; k < 2; k++) {
		side_init(&i, 1, codes[k][0], 42, 10);
		side_init(&r, 0, codes[k][1], 42, 10);
		res = exchange(&i, &r, NULL);
		assert_int_equal(res.last, 2);
		assert_true(res.r[1] > 0);
		assert_int_equal(res.r[2], ATT_EAUTH);
		assert_true(pake_failed(i.p));
		assert_false(pake_failed(r.p));  /* waiting for Ta, which never comes */
		check_nothing(&i);
		check_nothing(&r);
		both_free(&i, &r);
	}
	/* Same words, other nameplate: a different password and channel. */
	side_init(&i, 1, "42-crossover-clockwork", 42, 10);
	side_init(&r, 0, "43-crossover-clockwork", 43, 10);
	res = exchange(&i, &r, NULL);
	assert_int_equal(res.r[2], ATT_EAUTH);
	both_free(&i, &r);
}

/*
 * Every bit flip anywhere in any message: the pairing never completes on
 * both sides, and a side that fails releases nothing. Small messages are
 * tried at every byte; the sealed ones at their header, tag and a spread of
 * ciphertext bytes.
 */
static void
test_tamper_everywhere(void **state)
{
	static const size_t lens[5] = { 0, 82, 130, 2 + 64 + 32 + 40 + 16, 2 + 32 + 40 + 16 };
	struct side i, r;
	struct result res;
	struct tamper t;
	int m;
	size_t pos;

	(void)state;
	for (m = 1; m <= 4; m++) {
		for (pos = 0; pos < lens[m]; pos++) {
			t.msg = m;
			t.pos = pos;
			t.bit = (uint8_t)(1u << (pos % 8));
			t.resize = 0;
			side_init(&i, 1, CODE, 42, 40);
			side_init(&r, 0, CODE, 42, 40);
			res = exchange(&i, &r, &t);
			assert_false(pake_done(i.p) && pake_done(r.p));
			assert_true(res.r[res.last] < 0);
			if (m == 1)  /* the responder cannot tell; the initiator can */
				assert_true(res.last <= 2);
			else
				assert_int_equal(res.last, m);
			if (!pake_done(i.p))
				check_nothing(&i);
			if (!pake_done(r.p))
				check_nothing(&r);
			both_free(&i, &r);
		}
	}
}

static void
test_wrong_sizes(void **state)
{
	struct side i, r;
	struct result res;
	struct tamper t = { 0, 0, 0, 0 };
	static const struct { int msg, resize, err; } cases[] = {
		{ 1, 81, ATT_ETRUNCATED }, { 1, 83, ATT_ETOOBIG }, { 1, 1, ATT_ETRUNCATED },
		{ 2, 129, ATT_ETRUNCATED }, { 2, 131, ATT_ETOOBIG },
		{ 3, 2 + 64 + 47, ATT_ETRUNCATED }, { 3, PAKE_MSG_MAX + 1, ATT_ETOOBIG },
		{ 4, 2 + 47, ATT_ETRUNCATED }, { 4, 2 + 32 + 64 + 16 + 30, ATT_EDECRYPT },
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		t.msg = cases[k].msg;
		t.resize = cases[k].resize;
		side_init(&i, 1, CODE, 42, 40);
		side_init(&r, 0, CODE, 42, 40);
		res = exchange(&i, &r, &t);
		assert_int_equal(res.last, cases[k].msg);
		assert_int_equal(res.r[res.last], cases[k].err);
		assert_true(pake_failed(cases[k].msg % 2 ? r.p : i.p));
		both_free(&i, &r);
	}
}

/* Ya or Yb replaced by an invalid encoding or the identity: abort. */
static void
test_invalid_points(void **state)
{
	static const char *bad[] = {
		"2B3C6B8C4F3800E7AEF6864025B4ED79BD599117E427C41BD47D93D654B4A51C",
		"0000000000000000000000000000000000000000000000000000000000000000",
	};
	uint8_t a[PAKE_MSG_MAX], b[PAKE_MSG_MAX], *y;
	struct side i, r;
	size_t yl;
	int k, n;

	(void)state;
	for (k = 0; k < 2; k++) {
		y = tutil_unhex(bad[k], &yl);
		/* Into message 1 (Ya at offset 18). */
		side_init(&i, 1, CODE, 42, 0);
		side_init(&r, 0, CODE, 42, 0);
		n = pake_start(i.p, a, sizeof(a));
		memcpy(a + 18, y, 32);
		assert_int_equal(pake_recv(r.p, a, (size_t)n, b, sizeof(b)), ATT_EBADKEY);
		check_nothing(&r);
		both_free(&i, &r);
		/* Into message 2 (Yb at offset 2). */
		side_init(&i, 1, CODE, 42, 0);
		side_init(&r, 0, CODE, 42, 0);
		n = pake_start(i.p, a, sizeof(a));
		n = pake_recv(r.p, a, (size_t)n, b, sizeof(b));
		memcpy(b + 2, y, 32);
		assert_int_equal(pake_recv(i.p, b, (size_t)n, a, sizeof(a)), ATT_EBADKEY);
		check_nothing(&i);
		both_free(&i, &r);
		free(y);
	}
	/* An identity key that is not an Ed25519 point (ADa at offset 50). */
	side_init(&i, 1, CODE, 42, 0);
	side_init(&r, 0, CODE, 42, 0);
	n = pake_start(i.p, a, sizeof(a));
	memset(a + 50, 0xff, 31);
	a[81] = 0x7f;
	assert_int_equal(pake_recv(r.p, a, (size_t)n, b, sizeof(b)), ATT_EBADKEY);
	both_free(&i, &r);
}

static void
test_out_of_order(void **state)
{
	uint8_t m1[PAKE_MSG_MAX], m2[PAKE_MSG_MAX], m3[PAKE_MSG_MAX], m4[PAKE_MSG_MAX];
	uint8_t junk[PAKE_MSG_MAX], junk2[PAKE_MSG_MAX];
	struct side i, r;
	int n1, n2, n3;

	(void)state;
	/* Capture a genuine run's messages. */
	side_init(&i, 1, CODE, 42, 20);
	side_init(&r, 0, CODE, 42, 20);
	/* The initiator must start before it can receive. */
	memset(junk, 0, sizeof(junk));
	junk[0] = 1;
	junk[1] = 2;
	assert_int_equal(pake_recv(i.p, junk, 130, m2, sizeof(m2)), ATT_ESTATE);
	assert_true(pake_failed(i.p));
	assert_int_equal(pake_start(i.p, m1, sizeof(m1)), ATT_ESTATE);
	both_free(&i, &r);

	side_init(&i, 1, CODE, 42, 20);
	side_init(&r, 0, CODE, 42, 20);
	assert_int_equal(pake_start(i.p, m1, 10), ATT_ETOOBIG);
	n1 = pake_start(i.p, m1, sizeof(m1));
	assert_int_equal(pake_start(i.p, m1, sizeof(m1)), ATT_ESTATE);
	n2 = pake_recv(r.p, m1, (size_t)n1, m2, sizeof(m2));  /* responder without start */
	assert_true(n2 > 0);
	n3 = pake_recv(i.p, m2, (size_t)n2, m3, sizeof(m3));
	assert_true(n3 > 0);
	assert_true(pake_recv(r.p, m3, (size_t)n3, m4, sizeof(m4)) > 0);
	both_free(&i, &r);

	/* Each message to the wrong side or at the wrong time: ATT_ESTATE, then dead. */
	{
		struct { int initiator, step; uint8_t *msg; int len; } cases[] = {
			{ 0, 0, m2, n2 }, { 0, 0, m3, n3 }, { 1, 1, m1, n1 }, { 1, 1, m3, n3 },
			{ 1, 1, m4, 40 }, { 0, 1, m1, n1 }, { 0, 1, m2, n2 },
		};
		size_t k;

		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			struct side *s;

			side_init(&i, 1, CODE, 42, 20);
			side_init(&r, 0, CODE, 42, 20);
			s = cases[k].initiator ? &i : &r;
			if (cases[k].initiator)
				assert_true(pake_start(i.p, junk, sizeof(junk)) > 0);
			if (!cases[k].initiator && cases[k].step == 1) {
				/* Responder past message 1 (of this run's initiator). */
				n1 = pake_start(i.p, junk, sizeof(junk));
				assert_true(pake_recv(r.p, junk, (size_t)n1, junk2, sizeof(junk2)) > 0);
			}
			assert_int_equal(pake_recv(s->p, cases[k].msg, (size_t)cases[k].len, junk,
			    sizeof(junk)), ATT_ESTATE);
			assert_true(pake_failed(s->p));
			check_nothing(s);
			assert_int_equal(pake_recv(s->p, m1, (size_t)n1, junk, sizeof(junk)), ATT_ESTATE);
			both_free(&i, &r);
		}
	}

	/* A replayed message 2 from an earlier run: the initiator fails on Tb. */
	side_init(&i, 1, CODE, 42, 20);
	n1 = pake_start(i.p, junk, sizeof(junk));
	assert_int_equal(pake_recv(i.p, m2, (size_t)n2, junk, sizeof(junk)), ATT_EAUTH);
	pake_free(i.p);
	/* A replayed message 1 gives a responder whose Tb the old initiator rejects. */
	side_init(&r, 0, CODE, 42, 20);
	assert_true(pake_recv(r.p, m1, (size_t)n1, junk, sizeof(junk)) > 0);
	pake_free(r.p);
	/* Wrong version and unknown kind. */
	side_init(&r, 0, CODE, 42, 20);
	m1[0] = 2;
	assert_int_equal(pake_recv(r.p, m1, (size_t)n1, junk, sizeof(junk)), ATT_EVERSION);
	pake_free(r.p);
	side_init(&r, 0, CODE, 42, 20);
	m1[0] = 1;
	m1[1] = 9;
	assert_int_equal(pake_recv(r.p, m1, (size_t)n1, junk, sizeof(junk)), ATT_EMALFORMED);
	pake_free(r.p);
}

static void
test_new_arguments(void **state)
{
	uint8_t id[32], sk[64], bad[32], intro[PAKE_INTRO_MAX + 1] = { 0 };
	struct pake *p;

	(void)state;
	crypto_sign_keypair(id, sk);
	memset(bad, 0xff, sizeof(bad));
	bad[31] = 0x7f;
	p = pake_new(1, CODE, 42, id, NULL, 0);
	assert_non_null(p);
	pake_free(p);
	assert_null(pake_new(1, CODE, 43, id, NULL, 0));                  /* other nameplate */
	assert_null(pake_new(1, "42-Crossover-clockwork", 42, id, NULL, 0)); /* not canonical */
	assert_null(pake_new(1, "42 crossover clockwork", 42, id, NULL, 0));
	assert_null(pake_new(1, "42-crossover", 42, id, NULL, 0));
	assert_null(pake_new(1, CODE, 42, bad, NULL, 0));                 /* not a point */
	assert_null(pake_new(1, CODE, 42, id, intro, sizeof(intro)));     /* intro too long */
	assert_null(pake_new(1, CODE, 42, id, NULL, 5));
	assert_null(pake_new(1, NULL, 42, id, NULL, 0));
	pake_free(NULL);
	assert_int_equal(pake_start(NULL, NULL, 0), ATT_ESTATE);
	assert_false(pake_done(NULL));
}

/* Runs a whole exchange between i and r, keeping messages 1 and 2 in m1, m2. */
static int
run_keep(struct pake *i, struct pake *r, uint8_t *m1, int *n1, uint8_t *m2, int *n2)
{
	uint8_t a[PAKE_MSG_MAX], b[PAKE_MSG_MAX];
	int n;

	if (pake_start(r, NULL, 0) != 0 || (n = pake_start(i, a, sizeof(a))) <= 0)
		return -1;
	memcpy(m1, a, (size_t)n);
	*n1 = n;
	if ((n = pake_recv(r, a, (size_t)n, b, sizeof(b))) <= 0)
		return n;
	memcpy(m2, b, (size_t)n);
	*n2 = n;
	if ((n = pake_recv(i, b, (size_t)n, a, sizeof(a))) <= 0)
		return n;
	if ((n = pake_recv(r, a, (size_t)n, b, sizeof(b))) <= 0)
		return n;
	return pake_recv(i, b, (size_t)n, a, sizeof(a));
}

/*
 * Issue 11, attacks 3 and 5: identity keys never in clear; each side signs
 * the transcript with its identity key inside the sealed part, so a partner
 * who knows the code but presents someone else's identity fails; pairing
 * and linking cannot meet. Failed before: the identities were the CPace AD
 * in messages 1 and 2, nothing was signed, and the CI named only "pairing".
 */
static void
test_identity_proof(void **state)
{
	uint8_t alex_pk[32], alex_sk[64], sam_pk[32], sam_sk[64], jo_pk[32], jo_sk[64];
	uint8_t m1[PAKE_MSG_MAX], m2[PAKE_MSG_MAX], id[32];
	int n1 = 0, n2 = 0;
	struct pake *i, *r;

	(void)state;
	crypto_sign_keypair(alex_pk, alex_sk);
	crypto_sign_keypair(sam_pk, sam_sk);
	crypto_sign_keypair(jo_pk, jo_sk);
	/* Honest: Alex and Sam, each signing with their own key. */
	i = pake_new(1, CODE, 42, alex_pk, (const uint8_t *)"a", 1);
	r = pake_new(0, CODE, 42, sam_pk, (const uint8_t *)"s", 1);
	assert_int_equal(pake_set_signer(i, alex_sk), 0);
	assert_int_equal(pake_set_signer(r, sam_sk), 0);
	assert_int_equal(run_keep(i, r, m1, &n1, m2, &n2), 0);
	assert_true(pake_done(i) && pake_done(r));
	assert_null(memmem(m1, (size_t)n1, alex_pk, 32));   /* not in clear */
	assert_null(memmem(m2, (size_t)n2, sam_pk, 32));
	assert_null(memmem(m2, (size_t)n2, alex_pk, 32));
	assert_int_equal(pake_peer_identity(i, id), 0);
	assert_memory_equal(id, sam_pk, 32);
	assert_int_equal(pake_peer_verify(i, sam_pk), 0);
	assert_int_equal(pake_peer_verify(r, alex_pk), 0);
	assert_int_equal(pake_peer_verify(i, jo_pk), ATT_EAUTH);
	assert_int_equal(pake_set_signer(i, alex_sk), ATT_ESTATE);   /* too late */
	pake_free(i);
	pake_free(r);

	/* Jo knows the code and presents Sam's identity: no signature by Sam's key. */
	i = pake_new(1, CODE, 42, alex_pk, (const uint8_t *)"a", 1);
	r = pake_new(0, CODE, 42, sam_pk, (const uint8_t *)"fake", 4);
	assert_int_equal(pake_set_signer(i, alex_sk), 0);
	assert_int_equal(pake_set_signer(r, jo_sk), 0);
	assert_int_equal(run_keep(i, r, m1, &n1, m2, &n2), 0);
	assert_int_equal(pake_peer_identity(i, id), 0);
	assert_memory_equal(id, sam_pk, 32);
	assert_int_equal(pake_peer_verify(i, sam_pk), ATT_EAUTH);
	pake_free(i);
	pake_free(r);

	/* Without a signer, nothing verifies. */
	i = pake_new(1, CODE, 42, alex_pk, NULL, 0);
	r = pake_new(0, CODE, 42, sam_pk, NULL, 0);
	assert_int_equal(run_keep(i, r, m1, &n1, m2, &n2), 0);
	assert_int_equal(pake_peer_verify(i, sam_pk), ATT_EAUTH);
	pake_free(i);
	pake_free(r);

	/* One side links, the other pairs: the PAKE fails, nothing is opened. */
	i = pake_new(1, CODE, 42, alex_pk, (const uint8_t *)"a", 1);
	r = pake_new(0, CODE, 42, sam_pk, (const uint8_t *)"s", 1);
	assert_int_equal(pake_set_link(i, 1), 0);
	assert_int_equal(run_keep(i, r, m1, &n1, m2, &n2), ATT_EAUTH);
	assert_false(pake_done(i) || pake_done(r));
	pake_free(i);
	pake_free(r);
}

/* The safety number itself: order-independent, transcript-bound, rendered as documented. */
static void
test_safety_number(void **state)
{
	uint8_t a[32], b[32], h1[64], h2[64], h[64];
	char d[SAFETY_DIGITS_MAX], w[SAFETY_WORDS_MAX];

	(void)state;
	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	safety_hash(h1, (const uint8_t *)"transcript", 10, a, b);
	safety_hash(h2, (const uint8_t *)"transcript", 10, b, a);
	assert_memory_equal(h1, h2, 64);
	safety_hash(h2, (const uint8_t *)"transcripT", 10, a, b);
	assert_memory_not_equal(h1, h2, 64);
	b[0] ^= 1;
	safety_hash(h2, (const uint8_t *)"transcript", 10, a, b);
	assert_memory_not_equal(h1, h2, 64);

	/*
	 * Attack 5: at least 60 digits (Signal's length, ~199 bits) and 12 words
	 * (96 bits), so no search within the 10-minute pairing window finds a
	 * colliding value. Failed before: 12 digits and 4 words (40 and 32 bits).
	 */
	memset(h, 0, sizeof(h));
	assert_int_equal(safety_digits(d, sizeof(d), h), 71);
	assert_string_equal(d, "00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000");
	assert_true(safety_words(w, sizeof(w), h) > 0);
	assert_string_equal(w, "aardvark adroitness aardvark adroitness aardvark adroitness "
	    "aardvark adroitness aardvark adroitness aardvark adroitness");
	/* Group i is bytes 5i..5i+4, big-endian, mod 10^5: 2^40 - 1 = 1099511627775. */
	memset(h, 0xff, 5);
	h[59] = 1;
	assert_int_equal(safety_digits(d, sizeof(d), h), 71);
	assert_string_equal(d, "27775 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00001");
	for (size_t i = 0, n = 0; d[i]; i++)
		assert_true((d[i] >= '0' && d[i] <= '9') ? ++n <= 60 : d[i] == ' ');
	memcpy(h, "\x3b\x3c\xff\xfe", 4);  /* even, odd, even, odd */
	safety_words(w, sizeof(w), h);
	assert_true(strncmp(w, "clockwork crossover zulu yesteryear ", 36) == 0);
	assert_int_equal(safety_digits(d, 71, h), ATT_ETOOBIG);
	assert_int_equal(safety_words(w, 10, h), ATT_ETOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_largest_intro),
		cmocka_unit_test(test_wrong_code),
		cmocka_unit_test(test_tamper_everywhere),
		cmocka_unit_test(test_wrong_sizes),
		cmocka_unit_test(test_invalid_points),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_new_arguments),
		cmocka_unit_test(test_safety_number),
		cmocka_unit_test(test_identity_proof),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("pake", tests, NULL, NULL);
}
