#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "proto/be.h"
#include "proto/envelope.h"
#include "proto/err.h"
#include "proto/ratchet.h"
#include "proto/session.h"
#include "proto/x3dh.h"

/* One ratchet of the record and the X3DH header that began it. */
struct sstate {
	struct ratchet *r;
	uint8_t x3dh[X3DH_HEADER_LEN];
	uint8_t initiator;	/* 1: we began it (we send prekey envelopes until answered) */
};

struct session {
	uint8_t my_dh_pk[32], peer_dh_pk[32], peer_sign_pk[32];
	int n;				/* states in use; st[0] is current */
	struct sstate st[SESSION_MAX_STATES];
	/* Ephemeral keys of the X3DH headers we answered, newest first, so a
	 * replayed prekey message is refused even after its ratchet is gone. */
	uint8_t seen[SESSION_SEEN][32];
	int nseen;
};

#define REC_FIXED (1 + 3 * 32 + 1)
#define STATE_FIXED (1 + X3DH_HEADER_LEN + 4)

struct session *
session_new(const uint8_t my_dh_pk[static 32], const uint8_t peer_dh_pk[static 32],
    const uint8_t peer_sign_pk[static 32])
{
	struct session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	memcpy(s->my_dh_pk, my_dh_pk, 32);
	memcpy(s->peer_dh_pk, peer_dh_pk, 32);
	memcpy(s->peer_sign_pk, peer_sign_pk, 32);
	return s;
}

void
session_free(struct session *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		ratchet_free(s->st[i].r);
	free(s);
}

int
session_ready(const struct session *s)
{
	return s != NULL && s->n > 0 &&
	    (s->st[0].initiator || ratchet_has_received(s->st[0].r));
}

/* Puts st first, dropping the oldest state when the record is full. */
static void
push_front(struct session *s, const struct sstate *st)
{
	if (s->n == SESSION_MAX_STATES) {
		ratchet_free(s->st[s->n - 1].r);
		s->n--;
	}
	memmove(&s->st[1], &s->st[0], (size_t)s->n * sizeof(s->st[0]));
	s->st[0] = *st;
	s->n++;
}

static void
promote(struct session *s, int i)
{
	struct sstate t;

	if (i == 0)
		return;
	t = s->st[i];
	memmove(&s->st[1], &s->st[0], (size_t)i * sizeof(s->st[0]));
	s->st[0] = t;
}

/* The secret must belong to the record's own public key. */
static int
check_mine(const struct session *s, const uint8_t my_dh_sk[32])
{
	uint8_t pk[32];

	if (crypto_scalarmult_base(pk, my_dh_sk) != 0 ||
	    sodium_memcmp(pk, s->my_dh_pk, 32) != 0)
		return ATT_EINVAL;
	return 0;
}

int
session_initiate(struct session *s, const uint8_t my_dh_sk[static 32],
    const uint8_t *spk, size_t spk_len, const uint8_t *otk, size_t otk_len)
{
	uint8_t sk[32], spk_pub[32], ad[X3DH_AD_LEN];
	struct sstate st;
	int rc;

	if (s == NULL || spk == NULL)
		return ATT_EINVAL;
	if ((rc = check_mine(s, my_dh_sk)) != 0)
		return rc;
	memset(&st, 0, sizeof(st));
	rc = x3dh_initiate(sk, st.x3dh, spk_pub, ad, my_dh_sk, s->my_dh_pk,
	    s->peer_dh_pk, s->peer_sign_pk, spk, spk_len, otk, otk_len);
	if (rc == 0)
		rc = ratchet_init_initiator(&st.r, sk, spk_pub, ad);
	sodium_memzero(sk, sizeof(sk));
	if (rc != 0)
		return rc;
	st.initiator = 1;
	push_front(s, &st);
	return 0;
}

size_t
session_envelope_max(size_t pt_len)
{
	size_t b = envelope_bucket(pt_len);

	return b == 0 ? 0 : envelope_size(ENVELOPE_PREKEY, b);
}

int
session_encrypt(struct session *s, uint8_t *env, size_t cap,
    const uint8_t *pt, size_t pt_len)
{
	struct sstate *cur;
	uint8_t *padded;
	size_t bucket;
	int type, off, rc;

	if (s == NULL || env == NULL || (pt == NULL && pt_len != 0))
		return ATT_EINVAL;
	if ((bucket = envelope_bucket(pt_len)) == 0)
		return ATT_ETOOBIG;
	if (!session_ready(s))
		return ATT_ESTATE;
	cur = &s->st[0];
	type = cur->initiator && !ratchet_has_received(cur->r) ?
	    ENVELOPE_PREKEY : ENVELOPE_NORMAL;
	if (cap < envelope_size(type, bucket))
		return ATT_EINVAL;
	if ((padded = sodium_malloc(bucket)) == NULL)
		return ATT_ENOMEM;
	if (pt_len > 0)
		memcpy(padded, pt, pt_len);
	if ((rc = envelope_pad(padded, pt_len, bucket)) < 0)
		goto out;
	if ((off = envelope_write_prefix(env, cap, type, cur->x3dh)) < 0) {
		rc = off;
		goto out;
	}
	rc = ratchet_encrypt(cur->r, env + off, cap - (size_t)off, padded, bucket);
	if (rc >= 0)
		rc += off;
out:
	sodium_free(padded);
	return rc;
}

static int
seen_has(const struct session *s, const uint8_t *x3dh)
{
	int i;

	for (i = 0; i < s->nseen; i++)
		if (memcmp(s->seen[i], x3dh + 33, 32) == 0)
			return 1;
	return 0;
}

static void
seen_add(struct session *s, const uint8_t *x3dh)
{
	memmove(s->seen[1], s->seen[0], (SESSION_SEEN - 1) * 32);
	memcpy(s->seen[0], x3dh + 33, 32);
	if (s->nseen < SESSION_SEEN)
		s->nseen++;
}

/* Keeps the most telling error of several trial decryptions. */
static int
worse(int a, int b)
{
	static const int order[] = { ATT_EREPLAY, ATT_ETOOFAR, ATT_ENOMEM };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return a != 0 ? a : b;
}

/* A prekey message for a ratchet we do not have yet: X3DH as responder. */
static int
respond_new(struct session *s, struct sstate *st, uint8_t *pt, size_t cap,
    const struct envelope_view *v, const uint8_t my_dh_sk[32],
    session_prekey_fn lookup, void *arg, uint32_t *otk_id)
{
	uint8_t ik[32], ek[32], spk_sk[32], spk_pk[32], otk_sk[32], sk[32], ad[X3DH_AD_LEN];
	uint32_t spk_id;
	int rc;

	if ((rc = x3dh_header_parse(ik, ek, &spk_id, otk_id, v->x3dh, X3DH_HEADER_LEN)) != 0)
		return rc;
	if (sodium_memcmp(ik, s->peer_dh_pk, 32) != 0)
		return ATT_EAUTH;
	if (lookup == NULL)
		return ATT_ENOTFOUND;
	if ((rc = check_mine(s, my_dh_sk)) != 0)
		return rc;
	memset(st, 0, sizeof(*st));
	if ((rc = lookup(arg, spk_id, spk_sk, *otk_id, otk_sk)) != 0)
		goto out;
	if (crypto_scalarmult_base(spk_pk, spk_sk) != 0) {
		rc = ATT_EBADKEY;
		goto out;
	}
	rc = x3dh_respond(sk, ad, v->x3dh, X3DH_HEADER_LEN, my_dh_sk, s->my_dh_pk,
	    spk_sk, *otk_id == X3DH_NO_OTK ? NULL : otk_sk, s->peer_dh_pk);
	if (rc == 0)
		rc = ratchet_init_responder(&st->r, sk, spk_sk, spk_pk, ad);
	if (rc == 0) {
		rc = ratchet_decrypt(st->r, pt, cap, v->msg, v->msg_len);
		if (rc < 0) {
			ratchet_free(st->r);
			st->r = NULL;
		} else {
			memcpy(st->x3dh, v->x3dh, X3DH_HEADER_LEN);
			st->initiator = 0;
		}
	}
out:
	sodium_memzero(spk_sk, sizeof(spk_sk));
	sodium_memzero(otk_sk, sizeof(otk_sk));
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

int
session_decrypt(struct session *s, uint8_t *pt, size_t cap,
    const uint8_t *env, size_t len, const uint8_t my_dh_sk[static 32],
    session_prekey_fn lookup, void *arg, uint32_t *otk_used)
{
	struct envelope_view v;
	struct sstate st;
	uint32_t otk_id = X3DH_NO_OTK;
	int i, rc, err = ATT_EDECRYPT, unpadded;

	if (otk_used != NULL)
		*otk_used = X3DH_NO_OTK;
	if (s == NULL || pt == NULL)
		return ATT_EINVAL;
	if ((rc = envelope_parse(&v, env, len)) != 0)
		return rc;
	if (cap < v.msg_len - RATCHET_OVERHEAD)
		return ATT_EINVAL;

	/* The ratchet this message belongs to: by its X3DH header, else by trial. */
	for (i = 0; i < s->n; i++) {
		if (v.type == ENVELOPE_PREKEY &&
		    (s->st[i].initiator || memcmp(s->st[i].x3dh, v.x3dh, X3DH_HEADER_LEN) != 0))
			continue;
		rc = ratchet_decrypt(s->st[i].r, pt, cap, v.msg, v.msg_len);
		if (rc >= 0) {
			promote(s, i);
			goto opened;
		}
		err = worse(err, rc);
		if (v.type == ENVELOPE_PREKEY)
			return rc;
	}
	if (v.type != ENVELOPE_PREKEY)
		return err;
	if (seen_has(s, v.x3dh))
		return ATT_EREPLAY;
	if ((rc = respond_new(s, &st, pt, cap, &v, my_dh_sk, lookup, arg, &otk_id)) < 0)
		return rc;
	push_front(s, &st);
	seen_add(s, v.x3dh);
	if (otk_used != NULL)
		*otk_used = otk_id;
opened:
	/*
	 * Authentic but badly padded can only come from the peer's own bug;
	 * its message key is spent either way.
	 */
	if ((unpadded = envelope_unpad(pt, (size_t)rc)) < 0) {
		sodium_memzero(pt, (size_t)rc);
		return unpadded;
	}
	sodium_memzero(pt + unpadded, (size_t)rc - (size_t)unpadded);
	return unpadded;
}

size_t
session_save_size(const struct session *s)
{
	size_t n = REC_FIXED;
	int i;

	for (i = 0; i < s->n; i++)
		n += STATE_FIXED + ratchet_save_size(s->st[i].r);
	return n + 1 + (size_t)s->nseen * 32;
}

int
session_save(const struct session *s, uint8_t *out, size_t cap)
{
	uint8_t *p = out;
	int i, rc;

	if (s == NULL || out == NULL)
		return ATT_EINVAL;
	if (cap < session_save_size(s))
		return ATT_ETOOBIG;
	*p++ = SESSION_VERSION;
	memcpy(p, s->my_dh_pk, 32), p += 32;
	memcpy(p, s->peer_dh_pk, 32), p += 32;
	memcpy(p, s->peer_sign_pk, 32), p += 32;
	*p++ = (uint8_t)s->n;
	for (i = 0; i < s->n; i++) {
		size_t rl = ratchet_save_size(s->st[i].r);

		*p++ = s->st[i].initiator;
		memcpy(p, s->st[i].x3dh, X3DH_HEADER_LEN), p += X3DH_HEADER_LEN;
		be_put32(p, (uint32_t)rl), p += 4;
		if ((rc = ratchet_save(s->st[i].r, p, rl)) < 0)
			return rc;
		p += rl;
	}
	*p++ = (uint8_t)s->nseen;
	for (i = 0; i < s->nseen; i++)
		memcpy(p, s->seen[i], 32), p += 32;
	return (int)(p - out);
}

int
session_load(struct session **out, const uint8_t *buf, size_t len)
{
	struct session *s;
	size_t off;
	int i, n, rc;

	if (out == NULL || (buf == NULL && len != 0))
		return ATT_EINVAL;
	*out = NULL;
	if (len < 1)
		return ATT_ETRUNCATED;
	if (buf[0] != SESSION_VERSION)
		return ATT_EVERSION;
	if (len < REC_FIXED)
		return ATT_ETRUNCATED;
	n = buf[REC_FIXED - 1];
	if (n > SESSION_MAX_STATES)
		return ATT_ECORRUPT;
	if ((s = session_new(buf + 1, buf + 33, buf + 65)) == NULL)
		return ATT_ENOMEM;
	off = REC_FIXED;
	for (i = 0; i < n; i++) {
		struct sstate *st = &s->st[i];
		uint32_t rl;

		rc = ATT_ECORRUPT;
		if (len - off < STATE_FIXED || buf[off] > 1)
			goto bad;
		st->initiator = buf[off];
		memcpy(st->x3dh, buf + off + 1, X3DH_HEADER_LEN);
		rl = be_get32(buf + off + 1 + X3DH_HEADER_LEN);
		off += STATE_FIXED;
		if (rl > len - off)
			goto bad;
		if ((rc = ratchet_load(&st->r, buf + off, rl)) != 0)
			goto bad;
		s->n++;
		off += rl;
	}
	rc = ATT_ECORRUPT;
	if (off >= len || buf[off] > SESSION_SEEN || len - off - 1 != (size_t)buf[off] * 32)
		goto bad;
	s->nseen = buf[off];
	for (i = 0; i < s->nseen; i++)
		memcpy(s->seen[i], buf + off + 1 + 32 * (size_t)i, 32);
	*out = s;
	return 0;
bad:
	session_free(s);
	return rc == ATT_ENOMEM ? rc : ATT_ECORRUPT;
}
