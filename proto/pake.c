/*
 * The pairing channel (see pake.h and docs/PROTOCOL.md section 6.1).
 *
 * Every message starts with two bytes: the version (1) and the kind (1..4).
 *   1: sid(16) Ya(32) ADa(32)                    initiator -> responder
 *   2: Yb(32) ADb(32) Tb(64)                     responder -> initiator
 *   3: Ta(64) seal(k_ir, id_a || intro_a)        initiator -> responder
 *   4: seal(k_ri, id_b || intro_b)               responder -> initiator
 * CPace inputs: PRS = the canonical code; CI = lv_cat("attune/1 pairing",
 * nameplate as 4 bytes big-endian); sid = 16 random bytes of the initiator;
 * ADa/ADb = the identity keys. seal(k, m) is XChaCha20-Poly1305 with an
 * all-zero nonce (each key seals exactly one message) and the message's two
 * header bytes as associated data; k_ir and k_ri are the first 32 bytes of
 * HMAC-SHA512(ISK, "attune/1 intro i->r") and (.., "attune/1 intro r->i").
 */
#include <string.h>
#include <sodium.h>

#include "proto/be.h"
#include "proto/cpace.h"
#include "proto/err.h"
#include "proto/pake.h"
#include "proto/pcode.h"
#include "proto/safety.h"

#define PAKE_VERSION 1
#define SIDBYTES 16
#define HDR 2
#define SIGBYTES 64
#define SEAL_OVERHEAD (PAKE_IDBYTES + SIGBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define MSG1_LEN (HDR + SIDBYTES + CPACE_YBYTES + PAKE_IDBYTES)
#define MSG2_LEN (HDR + CPACE_YBYTES + PAKE_IDBYTES + CPACE_TAGBYTES)
#define MSG3_MIN (HDR + CPACE_TAGBYTES + SEAL_OVERHEAD)
#define MSG4_MIN (HDR + SEAL_OVERHEAD)
#define KEYBYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define CI_PAIR "attune/1 pairing"
#define CI_LINK "attune/1 linking"
#define SIG_DSI "attune/1 pake intro"
#define SIGIN_LEN (sizeof(SIG_DSI) - 1 + 1 + PAKE_IDBYTES + crypto_hash_sha512_BYTES)
#define TRANSCRIPT_MAX 256

enum pake_state {
	PAKE_INIT,      /* nothing sent or received */
	PAKE_WAIT1,     /* responder: waiting for message 1 */
	PAKE_WAIT2,     /* initiator: sent 1, waiting for 2 */
	PAKE_WAIT3,     /* responder: sent 2, waiting for 3 */
	PAKE_WAIT4,     /* initiator: confirmed, sent 3, waiting for 4 */
	PAKE_DONE,
	PAKE_DEAD
};

/*
 * Lives in sodium_malloc memory: it holds the intro keys and both intros.
 * c is freed (and with it K, ISK) as soon as the intro keys are derived.
 */
struct pake {
	int initiator;
	enum pake_state state;
	int confirmed;
	struct cpace *c;
	char code[PCODE_MAX];
	size_t code_len;
	uint32_t nameplate;
	int link;                   /* linking, not pairing: bound in the CPace channel id */
	int signer;                 /* sign_sk is set */
	int have_peer;              /* peer_id, peer_sig and the safety number are known */
	uint8_t my_id[PAKE_IDBYTES];
	uint8_t peer_id[PAKE_IDBYTES];
	uint8_t my_eph[PAKE_IDBYTES];   /* the CPace AD: a fresh key, not the identity */
	uint8_t peer_eph[PAKE_IDBYTES];
	uint8_t sign_sk[64];
	uint8_t peer_sig[SIGBYTES];
	uint8_t th[crypto_hash_sha512_BYTES];   /* hash of the CPace transcript */
	uint8_t tr[TRANSCRIPT_MAX];
	size_t tr_len;
	uint8_t k_send[KEYBYTES];
	uint8_t k_recv[KEYBYTES];
	char safety_digits[SAFETY_DIGITS_MAX];
	char safety_words[SAFETY_WORDS_MAX];
	size_t intro_len;
	size_t peer_intro_len;
	uint8_t intro[PAKE_INTRO_MAX];
	uint8_t peer_intro[PAKE_INTRO_MAX];
};

/* Wipes every secret and the intros; the state answers ATT_ESTATE from now on. */
static int
pake_kill(struct pake *p, int err)
{
	int initiator = p->initiator;

	cpace_free(p->c);
	sodium_memzero(p, sizeof(*p));
	p->initiator = initiator;
	p->state = PAKE_DEAD;
	return err;
}

struct pake *
pake_new(int initiator, const char *code_canonical, uint32_t nameplate,
    const uint8_t my_identity[PAKE_IDBYTES], const uint8_t *intro, size_t intro_len)
{
	struct pake *p;
	char canon[PCODE_MAX];
	uint32_t np;
	uint8_t words[2];
	int n;

	if (code_canonical == NULL || my_identity == NULL || intro_len > PAKE_INTRO_MAX ||
	    (intro == NULL && intro_len))
		return NULL;
	if (sodium_init() < 0 || !crypto_core_ed25519_is_valid_point(my_identity))
		return NULL;
	if (pcode_parse(code_canonical, &np, words, NULL, 0) != 0 || np != nameplate)
		return NULL;
	n = pcode_format(canon, sizeof(canon), np, words);
	sodium_memzero(words, sizeof(words));
	if (n < 0 || strcmp(canon, code_canonical) != 0) {
		sodium_memzero(canon, sizeof(canon));
		return NULL;
	}
	if ((p = sodium_malloc(sizeof(*p))) == NULL) {
		sodium_memzero(canon, sizeof(canon));
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->initiator = initiator != 0;
	p->state = PAKE_INIT;
	memcpy(p->code, canon, (size_t)n + 1);
	p->code_len = (size_t)n;
	sodium_memzero(canon, sizeof(canon));
	p->nameplate = nameplate;
	memcpy(p->my_id, my_identity, PAKE_IDBYTES);
	{
		/* The identity never travels in clear: a fresh key stands in the CPace AD. */
		uint8_t esk[64];

		crypto_sign_ed25519_keypair(p->my_eph, esk);
		sodium_memzero(esk, sizeof(esk));
	}
	if (intro_len)
		memcpy(p->intro, intro, intro_len);
	p->intro_len = intro_len;
	return p;
}

/* Starts CPace with this side's inputs. */
static int
start_cpace(struct pake *p, const uint8_t sid[SIDBYTES])
{
	uint8_t ci[2 + sizeof(CI_PAIR) + 4], np[4];
	const uint8_t *parts[2] = { (const uint8_t *)(p->link ? CI_LINK : CI_PAIR), np };
	size_t lens[2] = { sizeof(CI_PAIR) - 1, sizeof(np) };
	int n;

	be_put32(np, p->nameplate);
	if ((n = cpace_lv_cat(ci, sizeof(ci), 2, parts, lens)) < 0)
		return n;
	p->c = cpace_new(p->initiator, (const uint8_t *)p->code, p->code_len, ci, (size_t)n,
	    sid, SIDBYTES, p->my_eph, PAKE_IDBYTES);
	return p->c == NULL ? ATT_ENOMEM : 0;
}

static void
intro_key(uint8_t key[KEYBYTES], const uint8_t isk[CPACE_ISKBYTES], const char *label)
{
	crypto_auth_hmacsha512_state st;
	uint8_t out[crypto_auth_hmacsha512_BYTES];

	crypto_auth_hmacsha512_init(&st, isk, CPACE_ISKBYTES);
	crypto_auth_hmacsha512_update(&st, (const uint8_t *)label, strlen(label));
	crypto_auth_hmacsha512_final(&st, out);
	memcpy(key, out, KEYBYTES);
	sodium_memzero(out, sizeof(out));
	sodium_memzero(&st, sizeof(st));
}

/*
 * After the peer's tag verified: derive the intro keys and the safety
 * number, then drop the CPace state (K and ISK go with it).
 */
static int
confirmed(struct pake *p)
{
	uint8_t isk[CPACE_ISKBYTES];
	int n, r;

	if ((r = cpace_isk(p->c, isk)) < 0)
		return r;
	intro_key(p->initiator ? p->k_send : p->k_recv, isk, "attune/1 intro i->r");
	intro_key(p->initiator ? p->k_recv : p->k_send, isk, "attune/1 intro r->i");
	sodium_memzero(isk, sizeof(isk));
	if ((n = cpace_transcript(p->c, p->tr, sizeof(p->tr))) < 0)
		return n;
	p->tr_len = (size_t)n;
	crypto_hash_sha512(p->th, p->tr, p->tr_len);
	cpace_free(p->c);
	p->c = NULL;
	p->confirmed = 1;
	return 0;
}

/* What a side signs: DSI || role ('i' or 'r') || its identity || transcript hash. */
static void
sig_input(uint8_t out[SIGIN_LEN], int initiator, const uint8_t id[PAKE_IDBYTES],
    const uint8_t th[crypto_hash_sha512_BYTES])
{
	size_t dl = sizeof(SIG_DSI) - 1;

	memcpy(out, SIG_DSI, dl);
	out[dl] = initiator ? 'i' : 'r';
	memcpy(out + dl + 1, id, PAKE_IDBYTES);
	memcpy(out + dl + 1 + PAKE_IDBYTES, th, crypto_hash_sha512_BYTES);
}

/*
 * Seals my_id || sig || intro for the peer after the header at out[0..1];
 * returns the total length. sig (zeros without a signer) proves that the
 * holder of the signing key took part in this very exchange.
 */
static int
seal_intro(struct pake *p, uint8_t *out, size_t cap, size_t off)
{
	static const uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t *m, in[SIGIN_LEN];
	size_t mlen = PAKE_IDBYTES + SIGBYTES + p->intro_len;
	unsigned long long clen;

	if (cap < off || cap - off < mlen + crypto_aead_xchacha20poly1305_ietf_ABYTES)
		return ATT_ETOOBIG;
	/* Encrypt in place: the plaintext is copied where the ciphertext goes. */
	m = out + off;
	memcpy(m, p->my_id, PAKE_IDBYTES);
	memset(m + PAKE_IDBYTES, 0, SIGBYTES);
	if (p->signer) {
		sig_input(in, p->initiator, p->my_id, p->th);
		crypto_sign_ed25519_detached(m + PAKE_IDBYTES, NULL, in, sizeof(in), p->sign_sk);
	}
	if (p->intro_len)
		memcpy(m + PAKE_IDBYTES + SIGBYTES, p->intro, p->intro_len);
	crypto_aead_xchacha20poly1305_ietf_encrypt(m, &clen, m, mlen, out, HDR, NULL, nonce,
	    p->k_send);
	sodium_memzero(p->k_send, sizeof(p->k_send));
	return (int)(off + clen);
}

/* Opens the peer's sealed intro: its identity, signature and intro; then the safety number. */
static int
open_intro(struct pake *p, const uint8_t *hdr, const uint8_t *c, size_t clen)
{
	static const uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t *m = sodium_malloc(PAKE_IDBYTES + SIGBYTES + PAKE_INTRO_MAX);
	unsigned long long mlen;
	int r = 0;

	if (m == NULL)
		return ATT_ENOMEM;
	if (clen < SEAL_OVERHEAD || clen - SEAL_OVERHEAD > PAKE_INTRO_MAX) {
		r = ATT_ETOOBIG;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL, c, clen, hdr, HDR, nonce,
	    p->k_recv) != 0) {
		r = ATT_EDECRYPT;
		goto out;
	}
	if (!crypto_core_ed25519_is_valid_point(m)) {
		r = ATT_EBADKEY;
		goto out;
	}
	memcpy(p->peer_id, m, PAKE_IDBYTES);
	memcpy(p->peer_sig, m + PAKE_IDBYTES, SIGBYTES);
	p->peer_intro_len = (size_t)mlen - PAKE_IDBYTES - SIGBYTES;
	memcpy(p->peer_intro, m + PAKE_IDBYTES + SIGBYTES, p->peer_intro_len);
	{
		uint8_t h[SAFETY_HASHBYTES];

		safety_hash(h, p->tr, p->tr_len, p->my_id, p->peer_id);
		if ((r = safety_digits(p->safety_digits, sizeof(p->safety_digits), h)) < 0 ||
		    (r = safety_words(p->safety_words, sizeof(p->safety_words), h)) < 0)
			goto out;
		r = 0;
	}
	p->have_peer = 1;
out:
	sodium_memzero(p->k_recv, sizeof(p->k_recv));
	sodium_free(m);
	return r;
}

int
pake_start(struct pake *p, uint8_t *out, size_t cap)
{
	uint8_t sid[SIDBYTES];
	int r;

	if (p == NULL || p->state != PAKE_INIT)
		return ATT_ESTATE;
	if (!p->initiator) {
		p->state = PAKE_WAIT1;
		return 0;
	}
	if (out == NULL || cap < MSG1_LEN)
		return ATT_ETOOBIG;
	randombytes_buf(sid, sizeof(sid));
	if ((r = start_cpace(p, sid)) < 0)
		return pake_kill(p, r);
	out[0] = PAKE_VERSION;
	out[1] = 1;
	memcpy(out + HDR, sid, SIDBYTES);
	if ((r = cpace_share(p->c, out + HDR + SIDBYTES)) < 0)
		return pake_kill(p, r);
	memcpy(out + HDR + SIDBYTES + CPACE_YBYTES, p->my_eph, PAKE_IDBYTES);
	p->state = PAKE_WAIT2;
	return MSG1_LEN;
}

/* Responder, message 1 -> message 2. */
static int
on_msg1(struct pake *p, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	const uint8_t *ya = in + HDR + SIDBYTES, *ada = ya + CPACE_YBYTES;
	int r;

	if (len != MSG1_LEN)
		return len < MSG1_LEN ? ATT_ETRUNCATED : ATT_ETOOBIG;
	if (cap < MSG2_LEN)
		return ATT_ETOOBIG;
	if (!crypto_core_ed25519_is_valid_point(ada))
		return ATT_EBADKEY;
	if ((r = start_cpace(p, in + HDR)) < 0)
		return r;
	memcpy(p->peer_eph, ada, PAKE_IDBYTES);
	out[0] = PAKE_VERSION;
	out[1] = 2;
	if ((r = cpace_share(p->c, out + HDR)) < 0 ||
	    (r = cpace_derive(p->c, ya, ada, PAKE_IDBYTES)) < 0 ||
	    (r = cpace_tag(p->c, out + HDR + CPACE_YBYTES + PAKE_IDBYTES)) < 0)
		return r;
	memcpy(out + HDR + CPACE_YBYTES, p->my_eph, PAKE_IDBYTES);
	p->state = PAKE_WAIT3;
	return MSG2_LEN;
}

/* Initiator, message 2 -> verify Tb -> message 3. */
static int
on_msg2(struct pake *p, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	const uint8_t *yb = in + HDR, *adb = yb + CPACE_YBYTES, *tb = adb + PAKE_IDBYTES;
	int r;

	if (len != MSG2_LEN)
		return len < MSG2_LEN ? ATT_ETRUNCATED : ATT_ETOOBIG;
	if (cap < HDR + CPACE_TAGBYTES + SEAL_OVERHEAD + p->intro_len)
		return ATT_ETOOBIG;
	if (!crypto_core_ed25519_is_valid_point(adb))
		return ATT_EBADKEY;
	memcpy(p->peer_eph, adb, PAKE_IDBYTES);
	if ((r = cpace_derive(p->c, yb, adb, PAKE_IDBYTES)) < 0 ||
	    (r = cpace_verify(p->c, tb)) < 0)
		return r;
	out[0] = PAKE_VERSION;
	out[1] = 3;
	if ((r = cpace_tag(p->c, out + HDR)) < 0 || (r = confirmed(p)) < 0)
		return r;
	if ((r = seal_intro(p, out, cap, HDR + CPACE_TAGBYTES)) < 0)
		return r;
	p->state = PAKE_WAIT4;
	return r;
}

/* Responder, message 3 -> verify Ta, open intro -> message 4. */
static int
on_msg3(struct pake *p, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	int r;

	if (len < MSG3_MIN)
		return ATT_ETRUNCATED;
	if (cap < HDR + SEAL_OVERHEAD + p->intro_len)
		return ATT_ETOOBIG;
	if ((r = cpace_verify(p->c, in + HDR)) < 0 || (r = confirmed(p)) < 0)
		return r;
	if ((r = open_intro(p, in, in + HDR + CPACE_TAGBYTES, len - HDR - CPACE_TAGBYTES)) < 0)
		return r;
	out[0] = PAKE_VERSION;
	out[1] = 4;
	if ((r = seal_intro(p, out, cap, HDR)) < 0)
		return r;
	p->state = PAKE_DONE;
	return r;
}

/* Initiator, message 4: open the responder's intro. */
static int
on_msg4(struct pake *p, const uint8_t *in, size_t len)
{
	int r;

	if (len < MSG4_MIN)
		return ATT_ETRUNCATED;
	if ((r = open_intro(p, in, in + HDR, len - HDR)) < 0)
		return r;
	p->state = PAKE_DONE;
	return 0;
}

int
pake_recv(struct pake *p, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	int r, kind;

	if (p == NULL || p->state == PAKE_DEAD || p->state == PAKE_DONE)
		return ATT_ESTATE;
	if (in == NULL || out == NULL)
		return pake_kill(p, ATT_EINVAL);
	if (len > PAKE_MSG_MAX)
		return pake_kill(p, ATT_ETOOBIG);
	if (len < HDR)
		return pake_kill(p, ATT_ETRUNCATED);
	if (in[0] != PAKE_VERSION)
		return pake_kill(p, ATT_EVERSION);
	kind = in[1];
	if (kind < 1 || kind > 4)
		return pake_kill(p, ATT_EMALFORMED);
	/* The responder may skip pake_start: it has nothing to send first. */
	if (!p->initiator && p->state == PAKE_INIT)
		p->state = PAKE_WAIT1;
	if (p->state == PAKE_WAIT1 && kind == 1)
		r = on_msg1(p, in, len, out, cap);
	else if (p->state == PAKE_WAIT2 && kind == 2)
		r = on_msg2(p, in, len, out, cap);
	else if (p->state == PAKE_WAIT3 && kind == 3)
		r = on_msg3(p, in, len, out, cap);
	else if (p->state == PAKE_WAIT4 && kind == 4)
		r = on_msg4(p, in, len);
	else
		r = ATT_ESTATE;
	if (r < 0) {
		if (cap && out)
			sodium_memzero(out, cap < PAKE_MSG_MAX ? cap : PAKE_MSG_MAX);
		return pake_kill(p, r);
	}
	return r;
}

int
pake_done(const struct pake *p)
{
	return p != NULL && p->state == PAKE_DONE;
}

int
pake_failed(const struct pake *p)
{
	return p != NULL && p->state == PAKE_DEAD;
}

const uint8_t *
pake_peer_intro(const struct pake *p, size_t *len)
{
	if (p == NULL || p->state != PAKE_DONE)
		return NULL;
	if (len)
		*len = p->peer_intro_len;
	return p->peer_intro;
}

int
pake_peer_identity(const struct pake *p, uint8_t id[PAKE_IDBYTES])
{
	if (p == NULL || !p->have_peer || p->state == PAKE_DEAD)
		return ATT_ESTATE;
	memcpy(id, p->peer_id, PAKE_IDBYTES);
	return 0;
}

int
pake_peer_verify(const struct pake *p, const uint8_t pk[32])
{
	uint8_t in[SIGIN_LEN];

	if (p == NULL || !p->have_peer || p->state == PAKE_DEAD)
		return ATT_ESTATE;
	sig_input(in, !p->initiator, p->peer_id, p->th);
	return crypto_sign_ed25519_verify_detached(p->peer_sig, in, sizeof(in), pk) == 0 ? 0 :
	    ATT_EAUTH;
}

int
pake_set_signer(struct pake *p, const uint8_t sk[64])
{
	if (p == NULL || p->state != PAKE_INIT)
		return ATT_ESTATE;
	memcpy(p->sign_sk, sk, 64);
	p->signer = 1;
	return 0;
}

int
pake_set_link(struct pake *p, int link)
{
	if (p == NULL || p->state != PAKE_INIT)
		return ATT_ESTATE;
	p->link = link != 0;
	return 0;
}

int
pake_safety(const struct pake *p, char *digits, size_t digits_cap, char *words,
    size_t words_cap)
{
	if (p == NULL || !p->have_peer || p->state == PAKE_DEAD)
		return ATT_ESTATE;
	if ((digits && strlen(p->safety_digits) >= digits_cap) ||
	    (words && strlen(p->safety_words) >= words_cap))
		return ATT_ETOOBIG;
	if (digits)
		memcpy(digits, p->safety_digits, strlen(p->safety_digits) + 1);
	if (words)
		memcpy(words, p->safety_words, strlen(p->safety_words) + 1);
	return 0;
}

void
pake_free(struct pake *p)
{
	if (p == NULL)
		return;
	cpace_free(p->c);
	sodium_memzero(p, sizeof(*p));
	sodium_free(p);
}
