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

/*
 * Property test at the session level, used the way the daemon uses it: the
 * record is saved and loaded around every operation; messages are lost,
 * reordered and duplicated; now and then a device starts a fresh session
 * (as after a reinstall or a lost record) while older messages are in
 * flight. Every message delivered opens exactly once.
 */
#define SP_N 1500
#define SP_QMAX 16

struct sp_msg {
	uint8_t env[512];
	int len;
	uint32_t id;
	uint32_t born;
};

static void
test_property(void **state)
{
	uint64_t seed = tutil_seed("session property"), rng = seed;
	struct dev d[2];
	struct session *s[2];
	struct sp_msg *q[2];
	int qn[2] = { 0, 0 };
	uint8_t *delivered = calloc(SP_N, 1);
	uint32_t sent = 0, got = 0, lost = 0, dups = 0, resets = 0, step = 0, last_reset = 0;
	char text[64], out[1024];

	(void)state;
	q[0] = calloc(SP_QMAX, sizeof(struct sp_msg));
	q[1] = calloc(SP_QMAX, sizeof(struct sp_msg));
	dev_make(&d[0]);
	dev_make(&d[1]);
	s[0] = session_new(d[0].dh_pk, d[1].dh_pk, d[1].sign_pk);
	s[1] = session_new(d[1].dh_pk, d[0].dh_pk, d[0].sign_pk);
	assert_int_equal(session_initiate(s[0], d[0].dh_sk, d[1].spk, sizeof(d[1].spk),
	    d[1].otk[0], sizeof(d[1].otk[0])), 0);
	while (sent < SP_N || qn[0] > 0 || qn[1] > 0) {
		unsigned roll = (unsigned)(tutil_rand(&rng) % 100);
		int to, i;

		step++;
		if (sent < SP_N && roll < 45) {
			int from = (int)(tutil_rand(&rng) % 2);
			struct sp_msg *m;

			to = 1 - from;
			if (qn[to] == SP_QMAX)
				goto deliver;
			if (step - last_reset > 100 && tutil_rand(&rng) % 100 == 0) {
				assert_int_equal(session_initiate(s[from], d[from].dh_sk,
				    d[to].spk, sizeof(d[to].spk), NULL, 0), 0);
				last_reset = step;
				resets++;
			}
			if (!session_ready(s[from]))
				continue;
			m = &q[to][qn[to]++];
			snprintf(text, sizeof(text), "event %u", sent);
			m->len = seal(s[from], m->env, text);
			assert_true(m->len > 0);
			m->id = sent++;
			m->born = step;
			reload(&s[from]);
			continue;
		}
deliver:
		to = qn[0] == 0 ? 1 : qn[1] == 0 ? 0 : (int)(tutil_rand(&rng) % 2);
		if (qn[to] == 0)
			continue;
		/* Mostly in order, sometimes any; never older than 50 steps. */
		i = q[to][0].born + 50 < step || tutil_rand(&rng) % 4 ? 0 :
		    (int)(tutil_rand(&rng) % (uint64_t)qn[to]);
		{
			struct sp_msg m = q[to][i];
			unsigned fate = (unsigned)(tutil_rand(&rng) % 100);
			int rc;

			memmove(&q[to][i], &q[to][i + 1], (size_t)(qn[to] - i - 1) * sizeof(m));
			qn[to]--;
			if (fate < 5 && !delivered[m.id]) {
				lost++;
				continue;
			}
			if (delivered[m.id]) {
				size_t bl, al;
				uint8_t *before = snap(s[to], &bl), *after;

				rc = open_at(s[to], &d[to], m.env, m.len, out);
				if (rc >= 0)
					fail_msg("message %u opened twice (seed %llu)", m.id,
					    (unsigned long long)seed);
				after = snap(s[to], &al);
				assert_int_equal(al, bl);
				assert_memory_equal(after, before, bl);
				free(before);
				free(after);
				continue;
			}
			rc = open_at(s[to], &d[to], m.env, m.len, out);
			if (rc < 0)
				fail_msg("message %u: %s (seed %llu)", m.id, att_errcode(rc),
				    (unsigned long long)seed);
			snprintf(text, sizeof(text), "event %u", m.id);
			assert_string_equal(out, text);
			delivered[m.id] = 1;
			got++;
			reload(&s[to]);
			if (fate >= 92 && qn[to] < SP_QMAX) {
				dups++;
				m.born = step;
				q[to][qn[to]++] = m;
			}
		}
	}
	print_message("# %u sent, %u opened, %u lost, %u duplicates refused, %u new sessions\n",
	    sent, got, lost, dups, resets);
	assert_int_equal(got + lost, sent);
	assert_true(resets > 0);
	free(q[0]);
	free(q[1]);
	free(delivered);
	session_free(s[0]);
	session_free(s[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_contact),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_crossing_initiations),
		cmocka_unit_test(test_load_strict),
		cmocka_unit_test(test_property),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
