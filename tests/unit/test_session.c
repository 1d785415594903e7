#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/envelope.h"
#include "proto/err.h"
#include "proto/session.h"
#include "proto/x3dh.h"
#include "tests/unit/tutil.h"

#define NOTK 4

/* One device with its published prekeys; stands in for the daemon's store. */
struct dev {
	uint8_t sign_pk[32], sign_sk[64], dh_pk[32], dh_sk[32];
	uint8_t spk[X3DH_SPK_LEN], spk_sk[32];
	uint8_t otk[NOTK][X3DH_OTK_LEN], otk_sk[NOTK][32];
	int otk_gone[NOTK];
	int lookups;
};

static void
dev_make(struct dev *d)
{
	int i;

	memset(d, 0, sizeof(*d));
	crypto_sign_keypair(d->sign_pk, d->sign_sk);
	crypto_box_keypair(d->dh_pk, d->dh_sk);
	assert_int_equal(x3dh_spk_make(d->spk, d->spk_sk, 1, 1, d->sign_sk), 0);
	for (i = 0; i < NOTK; i++)
		assert_int_equal(x3dh_otk_make(d->otk[i], d->otk_sk[i], 100 + (uint32_t)i,
		    d->sign_sk), 0);
}

static int
lookup(void *arg, uint32_t spk_id, uint8_t spk_sk[32], uint32_t otk_id, uint8_t otk_sk[32])
{
	struct dev *d = arg;

	d->lookups++;
	if (spk_id != 1)
		return ATT_ENOTFOUND;
	memcpy(spk_sk, d->spk_sk, 32);
	if (otk_id == X3DH_NO_OTK)
		return 0;
	if (otk_id < 100 || otk_id >= 100 + NOTK || d->otk_gone[otk_id - 100])
		return ATT_ENOTFOUND;
	memcpy(otk_sk, d->otk_sk[otk_id - 100], 32);
	return 0;
}

static int
seal(struct session *s, uint8_t *env, const char *text)
{
	return session_encrypt(s, env, 1024, (const uint8_t *)text, strlen(text));
}

/* Opens env at s for device d; deletes a used one-time key as the daemon would. */
static int
open_at(struct session *s, struct dev *d, const uint8_t *env, int len, char *out)
{
	uint8_t pt[1024];
	uint32_t used;
	int rc = session_decrypt(s, pt, sizeof(pt), env, (size_t)len, d->dh_sk, lookup, d, &used);

	if (rc >= 0) {
		memcpy(out, pt, (size_t)rc);
		out[rc] = '\0';
		if (used != X3DH_NO_OTK)
			d->otk_gone[used - 100] = 1;
	}
	return rc;
}

static uint8_t *
snap(const struct session *s, size_t *len)
{
	uint8_t *p;

	*len = session_save_size(s);
	p = malloc(*len);
	assert_int_equal(session_save(s, p, *len), (int)*len);
	return p;
}

static void
reload(struct session **s)
{
	size_t len;
	uint8_t *p = snap(*s, &len);

	session_free(*s);
	assert_int_equal(session_load(s, p, len), 0);
	free(p);
}

static void
test_first_contact(void **state)
{
	struct dev a, b;
	struct session *sa, *sb;
	uint8_t e1[1024], e2[1024], e3[1024], e4[1024];
	char out[1024];
	int l1, l2, l3, l4;
	struct envelope_view v;

	(void)state;
	dev_make(&a);
	dev_make(&b);
	sa = session_new(a.dh_pk, b.dh_pk, b.sign_pk);
	sb = session_new(b.dh_pk, a.dh_pk, a.sign_pk);
	assert_false(session_ready(sa));
	assert_int_equal(seal(sa, e1, "x"), ATT_ESTATE);
	/* A forged prekey bundle is refused. */
	assert_int_equal(session_initiate(sa, a.dh_sk, a.spk, sizeof(a.spk), NULL, 0), ATT_EAUTH);
	assert_int_equal(session_initiate(sa, b.dh_sk, b.spk, sizeof(b.spk), NULL, 0), ATT_EINVAL);
	assert_int_equal(session_initiate(sa, a.dh_sk, b.spk, sizeof(b.spk), b.otk[0],
	    sizeof(b.otk[0])), 0);
	assert_true(session_ready(sa));
	l1 = seal(sa, e1, "check-in 1");
	l2 = seal(sa, e2, "bid 2");
	assert_int_equal(envelope_parse(&v, e1, (size_t)l1), 0);
	assert_int_equal(v.type, ENVELOPE_PREKEY);
	/* The second arrives first; the first still opens (same X3DH header). */
	assert_int_equal(open_at(sb, &b, e2, l2, out), 5);
	assert_string_equal(out, "bid 2");
	assert_true(b.otk_gone[0]);
	reload(&sb);
	assert_int_equal(open_at(sb, &b, e1, l1, out), 10);
	assert_string_equal(out, "check-in 1");
	assert_int_equal(b.lookups, 1);
	/* Replays are refused. */
	assert_int_equal(open_at(sb, &b, e1, l1, out), ATT_EREPLAY);
	assert_int_equal(open_at(sb, &b, e2, l2, out), ATT_EREPLAY);
	/* Bob answers; from then on Alice sends normal envelopes. */
	l3 = seal(sb, e3, "response");
	assert_int_equal(envelope_parse(&v, e3, (size_t)l3), 0);
	assert_int_equal(v.type, ENVELOPE_NORMAL);
	assert_int_equal(open_at(sa, &a, e3, l3, out), 8);
	reload(&sa);
	l4 = seal(sa, e4, "thanks");
	assert_int_equal(envelope_parse(&v, e4, (size_t)l4), 0);
	assert_int_equal(v.type, ENVELOPE_NORMAL);
	assert_int_equal(open_at(sb, &b, e4, l4, out), 6);
	session_free(sa);
	session_free(sb);
}

/* Every rejection at session level leaves the saved bytes as they were. */
static void
test_rejections(void **state)
{
	struct dev a, b, c;
	struct session *sa, *sb, *sc;
	uint8_t e1[1024], e2[1024], bad[1024], *before, *after;
	size_t blen, alen;
	char out[1024];
	int l1, l2, i;

	(void)state;
	dev_make(&a);
	dev_make(&b);
	dev_make(&c);
	sa = session_new(a.dh_pk, b.dh_pk, b.sign_pk);
	sb = session_new(b.dh_pk, a.dh_pk, a.sign_pk);
	sc = session_new(c.dh_pk, b.dh_pk, b.sign_pk);
	assert_int_equal(session_initiate(sa, a.dh_sk, b.spk, sizeof(b.spk), NULL, 0), 0);
	l1 = seal(sa, e1, "one");
	assert_int_equal(open_at(sb, &b, e1, l1, out), 3);
	l2 = seal(sa, e2, "two");
	before = snap(sb, &blen);
	for (i = 0; i < l2; i += 7) {
		memcpy(bad, e2, (size_t)l2);
		bad[i] ^= 0x04;
		assert_true(open_at(sb, &b, bad, l2, out) < 0);
	}
	assert_true(open_at(sb, &b, e2, l2 - 1, out) < 0);
	assert_int_equal(open_at(sb, &b, e1, l1, out), ATT_EREPLAY);
	after = snap(sb, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(after);
	free(before);
	/* A prekey message from another identity than the record's. */
	assert_int_equal(session_initiate(sc, c.dh_sk, b.spk, sizeof(b.spk), NULL, 0), 0);
	l1 = seal(sc, e1, "mallory");
	assert_int_equal(open_at(sb, &b, e1, l1, out), ATT_EAUTH);
	/* Unknown prekey: used-up one-time key, new session. */
	assert_int_equal(session_initiate(sa, a.dh_sk, b.spk, sizeof(b.spk), b.otk[1],
	    sizeof(b.otk[1])), 0);
	b.otk_gone[1] = 1;
	l1 = seal(sa, e1, "late");
	before = snap(sb, &blen);
	assert_int_equal(open_at(sb, &b, e1, l1, out), ATT_ENOTFOUND);
	after = snap(sb, &alen);
	assert_memory_equal(after, before, blen);
	free(after);
	free(before);
	assert_int_equal(open_at(sb, &b, e2, l2, out), 3);	/* the old ratchet still works */
	/* A prekey envelope replayed after its ratchet was pushed out of the record. */
	{
		struct session *sd = session_new(a.dh_pk, b.dh_pk, b.sign_pk);
		struct session *se = session_new(b.dh_pk, a.dh_pk, a.sign_pk);
		uint8_t first[1024], e[1024];
		int lf, le, k;

		assert_int_equal(session_initiate(sd, a.dh_sk, b.spk, sizeof(b.spk), NULL, 0), 0);
		lf = seal(sd, first, "first");
		assert_int_equal(open_at(se, &b, first, lf, out), 5);
		for (k = 0; k < SESSION_MAX_STATES; k++) {
			assert_int_equal(session_initiate(sd, a.dh_sk, b.spk, sizeof(b.spk), NULL, 0), 0);
			le = seal(sd, e, "again");
			assert_int_equal(open_at(se, &b, e, le, out), 5);
		}
		reload(&se);
		before = snap(se, &blen);
		assert_int_equal(open_at(se, &b, first, lf, out), ATT_EREPLAY);
		after = snap(se, &alen);
		assert_int_equal(alen, blen);
		assert_memory_equal(after, before, blen);
		free(after);
		free(before);
		session_free(sd);
		session_free(se);
	}
	session_free(sa);
	session_free(sb);
	session_free(sc);
}

/* Both devices start a session at once; messages on either still open and
 * the two converge on one ratchet. */
static void
test_crossing_initiations(void **state)
{
	struct dev a, b;
	struct session *sa, *sb;
	uint8_t ea[1024], eb[1024], e[1024];
	char out[1024];
	int la, lb, l, i;

	(void)state;
	dev_make(&a);
	dev_make(&b);
	sa = session_new(a.dh_pk, b.dh_pk, b.sign_pk);
	sb = session_new(b.dh_pk, a.dh_pk, a.sign_pk);
	assert_int_equal(session_initiate(sa, a.dh_sk, b.spk, sizeof(b.spk), b.otk[0],
	    sizeof(b.otk[0])), 0);
	assert_int_equal(session_initiate(sb, b.dh_sk, a.spk, sizeof(a.spk), a.otk[0],
	    sizeof(a.otk[0])), 0);
	la = seal(sa, ea, "from a");
	lb = seal(sb, eb, "from b");
	assert_int_equal(open_at(sb, &b, ea, la, out), 6);
	assert_int_equal(open_at(sa, &a, eb, lb, out), 6);
	for (i = 0; i < 6; i++) {
		l = seal(sa, e, "ping");
		assert_int_equal(open_at(sb, &b, e, l, out), 4);
		l = seal(sb, e, "pong");
		assert_int_equal(open_at(sa, &a, e, l, out), 4);
		if (i == 2) {
			reload(&sa);
			reload(&sb);
		}
	}
	session_free(sa);
	session_free(sb);
}

static void
test_load_strict(void **state)
{
	struct dev a, b;
	struct session *sa, *s2;
	uint8_t *p, *q;
	size_t len;

	(void)state;
	dev_make(&a);
	dev_make(&b);
	sa = session_new(a.dh_pk, b.dh_pk, b.sign_pk);
	assert_int_equal(session_initiate(sa, a.dh_sk, b.spk, sizeof(b.spk), NULL, 0), 0);
	p = snap(sa, &len);
	assert_int_equal(session_load(&s2, p, len), 0);
	session_free(s2);
	assert_int_equal(session_load(&s2, p, len - 1), ATT_ECORRUPT);
	assert_int_equal(session_load(&s2, p, 50), ATT_ETRUNCATED);
	q = malloc(len + 1);
	memcpy(q, p, len);
	q[len] = 9;
	assert_int_equal(session_load(&s2, q, len + 1), ATT_ECORRUPT);
	q[0] = 7;
	assert_int_equal(session_load(&s2, q, len), ATT_EVERSION);
	q[0] = SESSION_VERSION;
	q[97] = SESSION_MAX_STATES + 1;
	assert_int_equal(session_load(&s2, q, len), ATT_ECORRUPT);
	assert_null(s2);
	free(q);
	free(p);
	session_free(sa);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_contact),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_crossing_initiations),
		cmocka_unit_test(test_load_strict),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
