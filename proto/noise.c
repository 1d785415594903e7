/*
 * Noise_IK_25519_ChaChaPoly_BLAKE2b (and Noise_XX, for the vectors) on
 * libsodium, following the Noise Protocol Framework, revision 34.
 *
 * The handshake is driven by a small table of message patterns; every token
 * maps onto the spec's processing rules (sections 5.1-5.3). HMAC-BLAKE2b is
 * built here from crypto_generichash because libsodium's keyed BLAKE2b is a
 * different construction.
 *
 * Memory: both states are plain heap memory wiped with sodium_memzero when
 * freed, not sodium_malloc. The relay holds one transport state per
 * connection and runs many handshakes at once; sodium_malloc costs several
 * locked pages per object and would hit RLIMIT_MEMLOCK long before 10,000
 * connections.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/noise.h"

#define HMAC_BLOCKLEN 128
#define NONCE_MAX UINT64_MAX   /* reserved for Rekey, never used by a message */

enum token { TOK_END = 0, TOK_E, TOK_S, TOK_EE, TOK_ES, TOK_SE, TOK_SS };

#define MAX_TOKENS 5
#define MAX_MESSAGES 3

struct pattern {
	const char *name;             /* full protocol name; also the initial h */
	int resp_s_premessage;        /* "<- s" before the handshake */
	int nmessages;
	enum token msg[MAX_MESSAGES][MAX_TOKENS];
};

static const struct pattern pattern_ik = {
	"Noise_IK_25519_ChaChaPoly_BLAKE2b", 1, 2, {
		{ TOK_E, TOK_ES, TOK_S, TOK_SS, TOK_END },
		{ TOK_E, TOK_EE, TOK_SE, TOK_END },
	}
};

static const struct pattern pattern_xx = {
	"Noise_XX_25519_ChaChaPoly_BLAKE2b", 0, 3, {
		{ TOK_E, TOK_END },
		{ TOK_E, TOK_EE, TOK_S, TOK_ES, TOK_END },
		{ TOK_S, TOK_SE, TOK_END },
	}
};

struct cipher {
	uint8_t k[NOISE_KEYLEN];
	uint64_t n;
};

struct noise_cs {
	struct cipher send;
	struct cipher recv;
};

enum hs_phase { HS_RUNNING, HS_DONE, HS_SPLIT, HS_DEAD };

struct noise_hs {
	const struct pattern *pat;
	int initiator;
	int msgno;                    /* index of the next message */
	enum hs_phase phase;
	/* SymmetricState */
	uint8_t ck[NOISE_HASHLEN];
	uint8_t h[NOISE_HASHLEN];
	struct cipher cs;
	int has_k;
	/* HandshakeState */
	uint8_t s_priv[NOISE_KEYLEN], s_pub[NOISE_KEYLEN];
	uint8_t e_priv[NOISE_KEYLEN], e_pub[NOISE_KEYLEN];
	uint8_t rs[NOISE_KEYLEN], re[NOISE_KEYLEN];
	int has_e, has_rs, has_re, e_fixed;
};

/* HMAC (RFC 2104) over BLAKE2b-512 with its 128-byte block; the message is
 * the concatenation of d1 and d2 so HKDF needs no scratch buffer. */
static void
hmac_blake2b(uint8_t out[NOISE_HASHLEN], const uint8_t *key, size_t keylen,
    const uint8_t *d1, size_t l1, const uint8_t *d2, size_t l2)
{
	crypto_generichash_state st;
	uint8_t kb[HMAC_BLOCKLEN], pad[HMAC_BLOCKLEN], inner[NOISE_HASHLEN];
	size_t i;

	memset(kb, 0, sizeof(kb));
	if (keylen > HMAC_BLOCKLEN)
		crypto_generichash(kb, NOISE_HASHLEN, key, keylen, NULL, 0);
	else if (keylen > 0)
		memcpy(kb, key, keylen);

	for (i = 0; i < HMAC_BLOCKLEN; i++)
		pad[i] = kb[i] ^ 0x36;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	if (l1 > 0)
		crypto_generichash_update(&st, d1, l1);
	if (l2 > 0)
		crypto_generichash_update(&st, d2, l2);
	crypto_generichash_final(&st, inner, sizeof(inner));

	for (i = 0; i < HMAC_BLOCKLEN; i++)
		pad[i] = kb[i] ^ 0x5c;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, pad, sizeof(pad));
	crypto_generichash_update(&st, inner, sizeof(inner));
	crypto_generichash_final(&st, out, NOISE_HASHLEN);

	sodium_memzero(kb, sizeof(kb));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

/* HKDF as Noise defines it (section 4.3): two or three HASHLEN outputs. */
static void
hkdf(const uint8_t ck[NOISE_HASHLEN], const uint8_t *ikm, size_t ikm_len,
    uint8_t o1[NOISE_HASHLEN], uint8_t o2[NOISE_HASHLEN], uint8_t *o3)
{
	uint8_t temp[NOISE_HASHLEN];
	uint8_t b;

	hmac_blake2b(temp, ck, NOISE_HASHLEN, ikm, ikm_len, NULL, 0);
	b = 0x01;
	hmac_blake2b(o1, temp, sizeof(temp), &b, 1, NULL, 0);
	b = 0x02;
	hmac_blake2b(o2, temp, sizeof(temp), o1, NOISE_HASHLEN, &b, 1);
	if (o3 != NULL) {
		b = 0x03;
		hmac_blake2b(o3, temp, sizeof(temp), o2, NOISE_HASHLEN, &b, 1);
	}
	sodium_memzero(temp, sizeof(temp));
}

static void
make_nonce(uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* ENCRYPT(k, n, ad, pt); out holds len + 16 bytes and may equal pt. */
static void
aead_encrypt(const struct cipher *c, uint64_t n, uint8_t *out,
    const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t len)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

	make_nonce(nonce, n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, len, ad, ad_len,
	    NULL, nonce, c->k);
}

/* DECRYPT(k, n, ad, ct); returns 0 or ATT_EDECRYPT. */
static int
aead_decrypt(const struct cipher *c, uint64_t n, uint8_t *out,
    const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t len)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

	make_nonce(nonce, n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, len,
	    ad, ad_len, nonce, c->k) != 0)
		return ATT_EDECRYPT;
	return 0;
}

/* Rekey (section 4.2): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", zeros). */
static void
cipher_rekey(struct cipher *c)
{
	uint8_t zeros[NOISE_KEYLEN + NOISE_TAGLEN];

	memset(zeros, 0, NOISE_KEYLEN);
	aead_encrypt(c, NONCE_MAX, zeros, NULL, 0, zeros, NOISE_KEYLEN);
	memcpy(c->k, zeros, NOISE_KEYLEN);
	sodium_memzero(zeros, sizeof(zeros));
}

/* DH with a check for an all-zero result (a small-order peer key). */
static int
dh(uint8_t out[NOISE_KEYLEN], const uint8_t priv[NOISE_KEYLEN],
    const uint8_t pub[NOISE_KEYLEN])
{
	if (crypto_scalarmult(out, priv, pub) != 0 ||
	    sodium_is_zero(out, NOISE_KEYLEN)) {
		sodium_memzero(out, NOISE_KEYLEN);
		return ATT_EBADKEY;
	}
	return 0;
}

void
noise_keypair(uint8_t pub[NOISE_KEYLEN], uint8_t priv[NOISE_KEYLEN])
{
	randombytes_buf(priv, NOISE_KEYLEN);
	crypto_scalarmult_base(pub, priv);
}

int
noise_pubkey(uint8_t pub[NOISE_KEYLEN], const uint8_t priv[NOISE_KEYLEN])
{
	if (crypto_scalarmult_base(pub, priv) != 0)
		return ATT_EBADKEY;
	return 0;
}

static void
mix_hash(struct noise_hs *hs, const uint8_t *data, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, hs->h, NOISE_HASHLEN);
	if (len > 0)
		crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, hs->h, NOISE_HASHLEN);
}

static void
mix_key(struct noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t temp_k[NOISE_HASHLEN];

	hkdf(hs->ck, ikm, len, hs->ck, temp_k, NULL);
	memcpy(hs->cs.k, temp_k, NOISE_KEYLEN);
	hs->cs.n = 0;
	hs->has_k = 1;
	sodium_memzero(temp_k, sizeof(temp_k));
}

/* EncryptAndHash into out (which has room for len + 16). Returns bytes written. */
static int
encrypt_and_hash(struct noise_hs *hs, uint8_t *out, const uint8_t *pt, size_t len)
{
	size_t outlen = len;

	if (hs->has_k) {
		if (hs->cs.n == NONCE_MAX)
			return ATT_ENONCE;
		aead_encrypt(&hs->cs, hs->cs.n, out, hs->h, NOISE_HASHLEN, pt, len);
		hs->cs.n++;
		outlen += NOISE_TAGLEN;
	} else if (len > 0 && out != pt) {
		memmove(out, pt, len);
	}
	mix_hash(hs, out, outlen);
	return (int)outlen;
}

/* DecryptAndHash of ct (len bytes, tag included when a key is set). */
static int
decrypt_and_hash(struct noise_hs *hs, uint8_t *out, const uint8_t *ct, size_t len)
{
	size_t ptlen = len;
	int r;

	if (hs->has_k) {
		if (len < NOISE_TAGLEN)
			return ATT_ETRUNCATED;
		if (hs->cs.n == NONCE_MAX)
			return ATT_ENONCE;
		ptlen = len - NOISE_TAGLEN;
		r = aead_decrypt(&hs->cs, hs->cs.n, out, hs->h, NOISE_HASHLEN, ct, len);
		if (r < 0)
			return r;
		hs->cs.n++;
	} else if (len > 0 && out != ct) {
		memmove(out, ct, len);
	}
	mix_hash(hs, ct, len);
	return (int)ptlen;
}

/* The DH for a token, from this side's point of view. */
static int
mix_dh(struct noise_hs *hs, enum token t)
{
	uint8_t shared[NOISE_KEYLEN];
	const uint8_t *priv, *pub;
	int local_e, remote_e, r;

	/* ES: initiator's e with responder's s; SE: initiator's s with responder's e. */
	switch (t) {
	case TOK_EE: local_e = 1; remote_e = 1; break;
	case TOK_SS: local_e = 0; remote_e = 0; break;
	case TOK_ES: local_e = hs->initiator; remote_e = !hs->initiator; break;
	case TOK_SE: local_e = !hs->initiator; remote_e = hs->initiator; break;
	default: return ATT_ESTATE;
	}
	if ((local_e && !hs->has_e) || (remote_e ? !hs->has_re : !hs->has_rs))
		return ATT_ESTATE;
	priv = local_e ? hs->e_priv : hs->s_priv;
	pub = remote_e ? hs->re : hs->rs;
	if ((r = dh(shared, priv, pub)) < 0)
		return r;
	mix_key(hs, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return 0;
}

/* Bytes of a message's tokens without payload, given the key state at its start. */
static size_t
message_overhead(const struct noise_hs *hs)
{
	const enum token *t = hs->pat->msg[hs->msgno];
	int has_k = hs->has_k;
	size_t n = 0;

	for (; *t != TOK_END; t++) {
		if (*t == TOK_E)
			n += NOISE_KEYLEN;
		else if (*t == TOK_S)
			n += NOISE_KEYLEN + (has_k ? NOISE_TAGLEN : 0);
		else
			has_k = 1;
	}
	return n + (has_k ? NOISE_TAGLEN : 0);
}

static int
our_turn(const struct noise_hs *hs)
{
	return (hs->msgno % 2 == 0) == (hs->initiator != 0);
}

static void
hs_wipe_secrets(struct noise_hs *hs)
{
	sodium_memzero(hs->ck, sizeof(hs->ck));
	sodium_memzero(&hs->cs, sizeof(hs->cs));
	sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
	hs->has_k = 0;
}

static void
hs_kill(struct noise_hs *hs)
{
	hs_wipe_secrets(hs);
	hs->phase = HS_DEAD;
}

static struct noise_hs *
hs_new(const struct pattern *pat, int initiator, const uint8_t s_priv[NOISE_KEYLEN],
    const uint8_t *s_pub, const uint8_t *rs_pub, const uint8_t *prologue, size_t prologue_len)
{
	struct noise_hs *hs;
	size_t namelen = strlen(pat->name);

	if (sodium_init() < 0 || s_priv == NULL || (prologue == NULL && prologue_len > 0))
		return NULL;
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return NULL;
	hs->pat = pat;
	hs->initiator = initiator;
	hs->phase = HS_RUNNING;
	memcpy(hs->s_priv, s_priv, NOISE_KEYLEN);
	if (s_pub != NULL)
		memcpy(hs->s_pub, s_pub, NOISE_KEYLEN);
	else
		crypto_scalarmult_base(hs->s_pub, hs->s_priv);
	if (rs_pub != NULL) {
		memcpy(hs->rs, rs_pub, NOISE_KEYLEN);
		hs->has_rs = 1;
	}

	/* InitializeSymmetric: the name fits in HASHLEN, so h = name, zero-padded. */
	memcpy(hs->h, pat->name, namelen);
	memcpy(hs->ck, hs->h, NOISE_HASHLEN);
	mix_hash(hs, prologue, prologue_len);
	if (pat->resp_s_premessage)
		mix_hash(hs, initiator ? hs->rs : hs->s_pub, NOISE_KEYLEN);
	return hs;
}

struct noise_hs *
noise_hs_initiator(const uint8_t s_priv[NOISE_KEYLEN], const uint8_t rs_pub[NOISE_KEYLEN],
    const uint8_t *prologue, size_t prologue_len)
{
	if (rs_pub == NULL)
		return NULL;
	return hs_new(&pattern_ik, 1, s_priv, NULL, rs_pub, prologue, prologue_len);
}

struct noise_hs *
noise_hs_responder(const uint8_t s_priv[NOISE_KEYLEN], const uint8_t *prologue,
    size_t prologue_len)
{
	return hs_new(&pattern_ik, 0, s_priv, NULL, NULL, prologue, prologue_len);
}

struct noise_hs *
noise_hs_responder_pub(const uint8_t s_priv[NOISE_KEYLEN], const uint8_t s_pub[NOISE_KEYLEN],
    const uint8_t *prologue, size_t prologue_len)
{
	if (s_pub == NULL)
		return NULL;
	return hs_new(&pattern_ik, 0, s_priv, s_pub, NULL, prologue, prologue_len);
}

struct noise_hs *
noise_hs_xx(int initiator, const uint8_t s_priv[NOISE_KEYLEN], const uint8_t *prologue,
    size_t prologue_len)
{
	return hs_new(&pattern_xx, initiator != 0, s_priv, NULL, NULL, prologue, prologue_len);
}

int
noise_hs_fix_ephemeral(struct noise_hs *hs, const uint8_t e_priv[NOISE_KEYLEN])
{
	if (hs == NULL || hs->phase != HS_RUNNING || hs->has_e)
		return ATT_ESTATE;
	memcpy(hs->e_priv, e_priv, NOISE_KEYLEN);
	hs->e_fixed = 1;
	return 0;
}

static void
hs_advance(struct noise_hs *hs)
{
	if (++hs->msgno == hs->pat->nmessages)
		hs->phase = HS_DONE;
}

int
noise_hs_write(struct noise_hs *hs, uint8_t *out, size_t out_cap,
    const uint8_t *payload, size_t payload_len)
{
	const enum token *t;
	size_t need, off = 0;
	int r;

	if (hs == NULL || hs->phase != HS_RUNNING || !our_turn(hs))
		return ATT_ESTATE;
	if (payload == NULL && payload_len > 0)
		return ATT_EINVAL;
	need = message_overhead(hs);
	if (payload_len > NOISE_MAXMSG - need)
		return ATT_ETOOBIG;
	need += payload_len;
	if (out == NULL || out_cap < need)
		return ATT_ETOOBIG;

	for (t = hs->pat->msg[hs->msgno]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			if (!hs->e_fixed)
				randombytes_buf(hs->e_priv, NOISE_KEYLEN);
			crypto_scalarmult_base(hs->e_pub, hs->e_priv);
			hs->has_e = 1;
			memcpy(out + off, hs->e_pub, NOISE_KEYLEN);
			off += NOISE_KEYLEN;
			mix_hash(hs, hs->e_pub, NOISE_KEYLEN);
			break;
		case TOK_S:
			r = encrypt_and_hash(hs, out + off, hs->s_pub, NOISE_KEYLEN);
			if (r < 0)
				goto bad;
			off += (size_t)r;
			break;
		default:
			if ((r = mix_dh(hs, *t)) < 0)
				goto bad;
			break;
		}
	}
	if ((r = encrypt_and_hash(hs, out + off, payload, payload_len)) < 0)
		goto bad;
	off += (size_t)r;
	hs_advance(hs);
	return (int)off;
bad:
	sodium_memzero(out, out_cap < need ? out_cap : need);
	hs_kill(hs);
	return r;
}

int
noise_hs_read(struct noise_hs *hs, uint8_t *payload, size_t payload_cap,
    const uint8_t *msg, size_t msg_len)
{
	const enum token *t;
	size_t need, off = 0, plen;
	int r;

	if (hs == NULL || hs->phase != HS_RUNNING || our_turn(hs))
		return ATT_ESTATE;
	if (msg == NULL && msg_len > 0) {
		r = ATT_EINVAL;
		goto bad;
	}
	need = message_overhead(hs);
	if (msg_len > NOISE_MAXMSG) {
		r = ATT_ETOOBIG;
		goto bad;
	}
	if (msg_len < need) {
		r = ATT_ETRUNCATED;
		goto bad;
	}
	plen = msg_len - need;
	if (plen > 0 && (payload == NULL || payload_cap < plen)) {
		r = ATT_ETOOBIG;
		goto bad;
	}

	for (t = hs->pat->msg[hs->msgno]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			memcpy(hs->re, msg + off, NOISE_KEYLEN);
			hs->has_re = 1;
			off += NOISE_KEYLEN;
			mix_hash(hs, hs->re, NOISE_KEYLEN);
			break;
		case TOK_S: {
			size_t slen = NOISE_KEYLEN + (hs->has_k ? NOISE_TAGLEN : 0);

			if ((r = decrypt_and_hash(hs, hs->rs, msg + off, slen)) < 0)
				goto bad;
			hs->has_rs = 1;
			off += slen;
			break;
		}
		default:
			if ((r = mix_dh(hs, *t)) < 0)
				goto bad;
			break;
		}
	}
	/* An empty payload with no key yet needs no buffer at all. */
	if (plen == 0 && !hs->has_k) {
		mix_hash(hs, NULL, 0);
		r = 0;
	} else {
		uint8_t empty[1];

		r = decrypt_and_hash(hs, plen > 0 ? payload : empty, msg + off, msg_len - off);
		if (r < 0)
			goto bad;
	}
	hs_advance(hs);
	return r;
bad:
	if (payload != NULL && payload_cap > 0)
		sodium_memzero(payload, payload_cap);
	hs_kill(hs);
	return r;
}

int
noise_hs_done(const struct noise_hs *hs)
{
	return hs != NULL && hs->phase == HS_DONE;
}

int
noise_hs_remote_static(const struct noise_hs *hs, uint8_t rs[NOISE_KEYLEN])
{
	if (hs == NULL || hs->phase == HS_DEAD || !hs->has_rs)
		return ATT_ESTATE;
	memcpy(rs, hs->rs, NOISE_KEYLEN);
	return 0;
}

int
noise_hs_split(struct noise_hs *hs, struct noise_cs **out, uint8_t h[NOISE_HASHLEN])
{
	uint8_t k1[NOISE_HASHLEN], k2[NOISE_HASHLEN];
	struct noise_cs *cs;

	if (out != NULL)
		*out = NULL;
	if (hs == NULL || out == NULL || hs->phase != HS_DONE)
		return ATT_ESTATE;
	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return ATT_ENOMEM;
	hkdf(hs->ck, NULL, 0, k1, k2, NULL);
	memcpy(hs->initiator ? cs->send.k : cs->recv.k, k1, NOISE_KEYLEN);
	memcpy(hs->initiator ? cs->recv.k : cs->send.k, k2, NOISE_KEYLEN);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	if (h != NULL)
		memcpy(h, hs->h, NOISE_HASHLEN);
	hs_wipe_secrets(hs);
	hs->phase = HS_SPLIT;
	*out = cs;
	return 0;
}

void
noise_hs_free(struct noise_hs *hs)
{
	if (hs == NULL)
		return;
	sodium_memzero(hs, sizeof(*hs));
	free(hs);
}

size_t
noise_hs_size(void)
{
	return sizeof(struct noise_hs);
}

int
noise_cs_encrypt(struct noise_cs *cs, uint8_t *out, size_t out_cap, const uint8_t *pt,
    size_t len)
{
	if (cs == NULL || out == NULL || (pt == NULL && len > 0))
		return ATT_EINVAL;
	if (len > NOISE_MAXPLAIN || out_cap < len + NOISE_TAGLEN)
		return ATT_ETOOBIG;
	if (cs->send.n == NONCE_MAX)
		return ATT_ENONCE;
	aead_encrypt(&cs->send, cs->send.n, out, NULL, 0, pt, len);
	cs->send.n++;
	return (int)(len + NOISE_TAGLEN);
}

int
noise_cs_decrypt(struct noise_cs *cs, uint8_t *out, size_t out_cap, const uint8_t *ct,
    size_t len)
{
	int r;

	if (cs == NULL || ct == NULL)
		return ATT_EINVAL;
	if (len < NOISE_TAGLEN)
		return ATT_ETRUNCATED;
	if (len > NOISE_MAXMSG)
		return ATT_ETOOBIG;
	if (len > NOISE_TAGLEN && (out == NULL || out_cap < len - NOISE_TAGLEN))
		return ATT_ETOOBIG;
	if (cs->recv.n == NONCE_MAX)
		return ATT_ENONCE;
	if (len == NOISE_TAGLEN) {
		uint8_t empty[1];

		r = aead_decrypt(&cs->recv, cs->recv.n, empty, NULL, 0, ct, len);
	} else {
		r = aead_decrypt(&cs->recv, cs->recv.n, out, NULL, 0, ct, len);
	}
	if (r < 0)
		return r;
	cs->recv.n++;
	return (int)(len - NOISE_TAGLEN);
}

int
noise_cs_rekey_send(struct noise_cs *cs)
{
	if (cs == NULL)
		return ATT_EINVAL;
	cipher_rekey(&cs->send);
	return 0;
}

int
noise_cs_rekey_recv(struct noise_cs *cs)
{
	if (cs == NULL)
		return ATT_EINVAL;
	cipher_rekey(&cs->recv);
	return 0;
}

void
noise_cs_free(struct noise_cs *cs)
{
	if (cs == NULL)
		return;
	sodium_memzero(cs, sizeof(*cs));
	free(cs);
}

size_t
noise_cs_size(void)
{
	return sizeof(struct noise_cs);
}

void
noise_cs_set_nonces(struct noise_cs *cs, uint64_t send_n, uint64_t recv_n)
{
	cs->send.n = send_n;
	cs->recv.n = recv_n;
}
