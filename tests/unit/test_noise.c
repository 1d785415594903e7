/*
 * Noise IK (and XX) against the published vectors in $VECTORS/noise/ (see
 * SOURCE.md there: cacophony, snow, noise-c), then the failure cases: every
 * tampered byte, a wrong responder key, nonce exhaustion, rekey, and
 * round trips of random sizes (seeded; ATTUNE_SEED replays a run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/noise.h"
#include "tests/unit/tutil.h"

#define PRO ((const uint8_t *)NOISE_PROLOGUE)
#define PROLEN NOISE_PROLOGUE_LEN

/* Two sides of one connection, as the relay and a device hold them. */
struct pair {
	uint8_t is[NOISE_KEYLEN], is_pub[NOISE_KEYLEN];
	uint8_t rs[NOISE_KEYLEN], rs_pub[NOISE_KEYLEN];
	struct noise_hs *ini, *resp;
	struct noise_cs *ci, *cr;
	uint8_t m1[NOISE_MAXMSG], m2[NOISE_MAXMSG];
	int m1_len, m2_len;
};

static struct pair *
pair_new(void)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	noise_keypair(p->is_pub, p->is);
	noise_keypair(p->rs_pub, p->rs);
	p->ini = noise_hs_initiator(p->is, p->rs_pub, PRO, PROLEN);
	p->resp = noise_hs_responder(p->rs, PRO, PROLEN);
	assert_non_null(p->ini);
	assert_non_null(p->resp);
	return p;
}

static void
pair_free(struct pair *p)
{
	noise_hs_free(p->ini);
	noise_hs_free(p->resp);
	noise_cs_free(p->ci);
	noise_cs_free(p->cr);
	free(p);
}

/* Runs the whole handshake with the given payloads and splits both sides. */
static void
pair_handshake(struct pair *p, const uint8_t *pl1, size_t l1, const uint8_t *pl2, size_t l2)
{
	static uint8_t buf[NOISE_MAXMSG];
	uint8_t h1[NOISE_HASHLEN], h2[NOISE_HASHLEN], got[NOISE_KEYLEN];
	int n;

	p->m1_len = noise_hs_write(p->ini, p->m1, sizeof(p->m1), pl1, l1);
	assert_int_equal(p->m1_len, NOISE_IK_MSG1_LEN + l1);
	n = noise_hs_read(p->resp, buf, sizeof(buf), p->m1, (size_t)p->m1_len);
	assert_int_equal(n, l1);
	if (l1 > 0)
		assert_memory_equal(buf, pl1, l1);
	assert_int_equal(noise_hs_remote_static(p->resp, got), 0);
	assert_memory_equal(got, p->is_pub, NOISE_KEYLEN);

	p->m2_len = noise_hs_write(p->resp, p->m2, sizeof(p->m2), pl2, l2);
	assert_int_equal(p->m2_len, NOISE_IK_MSG2_LEN + l2);
	n = noise_hs_read(p->ini, buf, sizeof(buf), p->m2, (size_t)p->m2_len);
	assert_int_equal(n, l2);
	if (l2 > 0)
		assert_memory_equal(buf, pl2, l2);

	assert_true(noise_hs_done(p->ini));
	assert_true(noise_hs_done(p->resp));
	assert_int_equal(noise_hs_split(p->ini, &p->ci, h1), 0);
	assert_int_equal(noise_hs_split(p->resp, &p->cr, h2), 0);
	assert_memory_equal(h1, h2, NOISE_HASHLEN);
}

/* One vector: both sides play every message; the bytes must match exactly. */
static void
run_vector(json_t *v, int xx)
{
	size_t len, is_len, rs_len, ie_len, re_len, ip_len, rp_len, rsp_len;
	uint8_t *is = tutil_json_hex(v, "init_static", &is_len);
	uint8_t *rs = tutil_json_hex(v, "resp_static", &rs_len);
	uint8_t *ie = tutil_json_hex(v, "init_ephemeral", &ie_len);
	uint8_t *re = tutil_json_hex(v, "resp_ephemeral", &re_len);
	uint8_t *ip = tutil_json_hex(v, "init_prologue", &ip_len);
	uint8_t *rp = tutil_json_hex(v, "resp_prologue", &rp_len);
	uint8_t *rsp = NULL;
	json_t *msgs = json_object_get(v, "messages");
	struct noise_hs *ini, *resp;
	struct noise_cs *ci = NULL, *cr = NULL;
	uint8_t h1[NOISE_HASHLEN], h2[NOISE_HASHLEN], pub[NOISE_KEYLEN];
	uint8_t out[1024], back[1024];
	size_t i, nhs = xx ? 3 : 2;
	int n;

	assert_int_equal(is_len, NOISE_KEYLEN);
	assert_int_equal(rs_len, NOISE_KEYLEN);
	if (xx) {
		ini = noise_hs_xx(1, is, ip, ip_len);
		resp = noise_hs_xx(0, rs, rp, rp_len);
	} else {
		rsp = tutil_json_hex(v, "init_remote_static", &rsp_len);
		assert_int_equal(rsp_len, NOISE_KEYLEN);
		assert_int_equal(noise_pubkey(pub, rs), 0);
		assert_memory_equal(pub, rsp, NOISE_KEYLEN);
		ini = noise_hs_initiator(is, rsp, ip, ip_len);
		resp = noise_hs_responder(rs, rp, rp_len);
	}
	assert_non_null(ini);
	assert_non_null(resp);
	assert_int_equal(noise_hs_fix_ephemeral(ini, ie), 0);
	assert_int_equal(noise_hs_fix_ephemeral(resp, re), 0);
	assert_true(json_array_size(msgs) > nhs);

	for (i = 0; i < json_array_size(msgs); i++) {
		json_t *m = json_array_get(msgs, i);
		size_t pl_len, ct_len;
		uint8_t *pl = tutil_json_hex(m, "payload", &pl_len);
		uint8_t *ct = tutil_json_hex(m, "ciphertext", &ct_len);
		int from_ini = i % 2 == 0;

		assert_true(ct_len <= sizeof(out));
		if (i < nhs) {
			n = noise_hs_write(from_ini ? ini : resp, out, sizeof(out), pl, pl_len);
			assert_int_equal(n, ct_len);
			assert_memory_equal(out, ct, ct_len);
			n = noise_hs_read(from_ini ? resp : ini, back, sizeof(back), ct, ct_len);
			assert_int_equal(n, pl_len);
			assert_memory_equal(back, pl, pl_len);
			if (i == nhs - 1) {
				assert_true(noise_hs_done(ini));
				assert_true(noise_hs_done(resp));
				assert_int_equal(noise_hs_split(ini, &ci, h1), 0);
				assert_int_equal(noise_hs_split(resp, &cr, h2), 0);
				assert_memory_equal(h1, h2, NOISE_HASHLEN);
				if (json_object_get(v, "handshake_hash") != NULL) {
					size_t hl;
					uint8_t *hh = tutil_json_hex(v, "handshake_hash", &hl);

					assert_int_equal(hl, NOISE_HASHLEN);
					assert_memory_equal(h1, hh, NOISE_HASHLEN);
					free(hh);
				}
			}
		} else {
			n = noise_cs_encrypt(from_ini ? ci : cr, out, sizeof(out), pl, pl_len);
			assert_int_equal(n, ct_len);
			assert_memory_equal(out, ct, ct_len);
			n = noise_cs_decrypt(from_ini ? cr : ci, back, sizeof(back), ct, ct_len);
			assert_int_equal(n, pl_len);
			assert_memory_equal(back, pl, pl_len);
		}
		free(pl);
		free(ct);
	}
	/* The responder learnt the initiator's static key. */
	assert_int_equal(noise_pubkey(pub, is), 0);
	assert_int_equal(noise_hs_remote_static(resp, h1), 0);
	assert_memory_equal(h1, pub, NOISE_KEYLEN);

	noise_hs_free(ini);
	noise_hs_free(resp);
	noise_cs_free(ci);
	noise_cs_free(cr);
	free(is); free(rs); free(ie); free(re); free(ip); free(rp); free(rsp);
	(void)len;
}

static int
run_vector_file(const char *rel, const char *want_name, int xx)
{
	json_t *root = tutil_vectors(rel);
	const char *groups[] = { "vectors", "noise_c_vectors" };
	int g, count = 0;
	size_t i;

	for (g = 0; g < 2; g++) {
		json_t *arr = json_object_get(root, groups[g]);

		for (i = 0; i < json_array_size(arr); i++) {
			json_t *v = json_array_get(arr, i);
			json_t *name = json_object_get(v, "protocol_name");

			if (name == NULL)
				name = json_object_get(v, "name");
			if (!json_is_string(name) || strcmp(json_string_value(name), want_name) != 0)
				continue;
			run_vector(v, xx);
			count++;
		}
	}
	json_decref(root);
	return count;
}

static void
test_noise_vectors_ik(void **state)
{
	(void)state;
	assert_int_equal(run_vector_file("noise/IK_25519_ChaChaPoly_BLAKE2b.json",
	    "Noise_IK_25519_ChaChaPoly_BLAKE2b", 0), 3);
}

static void
test_noise_vectors_xx(void **state)
{
	(void)state;
	assert_int_equal(run_vector_file("noise/XX_25519_ChaChaPoly_BLAKE2b.json",
	    "Noise_XX_25519_ChaChaPoly_BLAKE2b", 1), 3);
}

/* A device with an empty first payload, a relay replying with a hello-sized payload. */
static void
test_noise_handshake_basic(void **state)
{
	struct pair *p = pair_new();
	struct noise_cs *spent = (struct noise_cs *)p;
	uint8_t hello[40], ct[64 + NOISE_TAGLEN], pt[64];
	int n;

	(void)state;
	randombytes_buf(hello, sizeof(hello));
	pair_handshake(p, NULL, 0, hello, sizeof(hello));
	n = noise_cs_encrypt(p->ci, ct, sizeof(ct), (const uint8_t *)"ping", 4);
	assert_int_equal(n, 4 + NOISE_TAGLEN);
	assert_int_equal(noise_cs_decrypt(p->cr, pt, sizeof(pt), ct, (size_t)n), 4);
	assert_memory_equal(pt, "ping", 4);
	n = noise_cs_encrypt(p->cr, ct, sizeof(ct), (const uint8_t *)"pong", 4);
	assert_int_equal(noise_cs_decrypt(p->ci, pt, sizeof(pt), ct, (size_t)n), 4);
	assert_memory_equal(pt, "pong", 4);
	/* A message in the wrong direction is refused. */
	n = noise_cs_encrypt(p->ci, ct, sizeof(ct), (const uint8_t *)"x", 1);
	assert_int_equal(noise_cs_decrypt(p->ci, pt, sizeof(pt), ct, (size_t)n), ATT_EDECRYPT);
	/* Empty plaintext round-trips too. */
	n = noise_cs_encrypt(p->cr, ct, sizeof(ct), NULL, 0);
	assert_int_equal(n, NOISE_TAGLEN);
	assert_int_equal(noise_cs_decrypt(p->ci, NULL, 0, ct, (size_t)n), 0);
	assert_true(noise_cs_size() <= 700);
	/* A split handshake is spent, but still names the peer. */
	assert_int_equal(noise_hs_write(p->ini, ct, sizeof(ct), NULL, 0), ATT_ESTATE);
	assert_int_equal(noise_hs_read(p->resp, pt, sizeof(pt), p->m1, (size_t)p->m1_len),
	    ATT_ESTATE);
	assert_int_equal(noise_hs_split(p->resp, &spent, NULL), ATT_ESTATE);
	assert_null(spent);
	assert_false(noise_hs_done(p->ini));
	assert_int_equal(noise_hs_remote_static(p->resp, pt), 0);
	assert_memory_equal(pt, p->is_pub, NOISE_KEYLEN);
	pair_free(p);
}

/* Calls out of order fail with ATT_ESTATE and leave the handshake usable. */
static void
test_noise_state_errors(void **state)
{
	struct pair *p = pair_new();
	uint8_t buf[256], rs[NOISE_KEYLEN], e[NOISE_KEYLEN];
	struct noise_cs *cs = (struct noise_cs *)buf;
	int n;

	(void)state;
	assert_int_equal(noise_hs_remote_static(p->resp, rs), ATT_ESTATE);
	assert_int_equal(noise_hs_remote_static(p->ini, rs), 0);
	assert_memory_equal(rs, p->rs_pub, NOISE_KEYLEN);
	assert_int_equal(noise_hs_write(p->resp, buf, sizeof(buf), NULL, 0), ATT_ESTATE);
	assert_int_equal(noise_hs_read(p->ini, buf, sizeof(buf), buf, 96), ATT_ESTATE);
	assert_int_equal(noise_hs_split(p->ini, &cs, NULL), ATT_ESTATE);
	assert_null(cs);
	assert_false(noise_hs_done(p->ini));
	/* Too small an output buffer. */
	assert_int_equal(noise_hs_write(p->ini, buf, NOISE_IK_MSG1_LEN - 1, NULL, 0), ATT_ETOOBIG);
	/* A payload that cannot fit in one Noise message. */
	assert_int_equal(noise_hs_write(p->ini, p->m1, sizeof(p->m1), p->m2,
	    NOISE_MAXMSG - NOISE_IK_MSG1_LEN + 1), ATT_ETOOBIG);
	n = noise_hs_write(p->ini, p->m1, sizeof(p->m1), NULL, 0);
	assert_int_equal(n, NOISE_IK_MSG1_LEN);
	noise_keypair(rs, e);
	assert_int_equal(noise_hs_fix_ephemeral(p->ini, e), ATT_ESTATE);
	assert_int_equal(noise_hs_write(p->ini, buf, sizeof(buf), NULL, 0), ATT_ESTATE);
	pair_free(p);
}

/* Flipping any bit of message 1 makes the responder fail cleanly. */
static void
test_noise_tamper_msg1(void **state)
{
	uint8_t payload[24], buf[256];
	size_t i;
	int bit;

	(void)state;
	randombytes_buf(payload, sizeof(payload));
	for (bit = 0; bit < 8; bit += 7) {
		struct pair *p = pair_new();

		p->m1_len = noise_hs_write(p->ini, p->m1, sizeof(p->m1), payload, sizeof(payload));
		assert_int_equal(p->m1_len, NOISE_IK_MSG1_LEN + sizeof(payload));
		for (i = 0; i < (size_t)p->m1_len; i++) {
			struct noise_hs *r = noise_hs_responder(p->rs, PRO, PROLEN);
			uint8_t rs[NOISE_KEYLEN];
			int n;

			assert_non_null(r);
			p->m1[i] ^= (uint8_t)(1u << bit);
			n = noise_hs_read(r, buf, sizeof(buf), p->m1, (size_t)p->m1_len);
			p->m1[i] ^= (uint8_t)(1u << bit);
			assert_true(n == ATT_EDECRYPT || n == ATT_EBADKEY);
			/* The state is dead: no key, no peer, no further use. */
			assert_false(noise_hs_done(r));
			assert_int_equal(noise_hs_remote_static(r, rs), ATT_ESTATE);
			assert_int_equal(noise_hs_write(r, buf, sizeof(buf), NULL, 0), ATT_ESTATE);
			assert_true(sodium_is_zero(buf, sizeof(buf)));
			noise_hs_free(r);
		}
		/* Every truncation is refused too. */
		for (i = 0; i < (size_t)p->m1_len; i++) {
			struct noise_hs *r = noise_hs_responder(p->rs, PRO, PROLEN);
			int n = noise_hs_read(r, buf, sizeof(buf), p->m1, i);

			assert_true(n == ATT_ETRUNCATED || n == ATT_EDECRYPT);
			noise_hs_free(r);
		}
		/* The untouched message still works. */
		assert_int_equal(noise_hs_read(p->resp, buf, sizeof(buf), p->m1,
		    (size_t)p->m1_len), sizeof(payload));
		pair_free(p);
	}
}

/* Flipping any bit of message 2 makes the initiator fail cleanly. Fixed
 * ephemerals make every fresh initiator write the same message 1, so one
 * message 2 can be replayed against each of them. */
static void
test_noise_tamper_msg2(void **state)
{
	uint8_t is[NOISE_KEYLEN], is_pub[NOISE_KEYLEN], rs[NOISE_KEYLEN], rs_pub[NOISE_KEYLEN];
	uint8_t ie[NOISE_KEYLEN], re[NOISE_KEYLEN], tmp[NOISE_KEYLEN];
	uint8_t payload[40], buf[256], m1[NOISE_IK_MSG1_LEN], m2[NOISE_IK_MSG2_LEN + 40];
	struct noise_hs *ini, *resp;
	struct noise_cs *cs = NULL;
	size_t i;
	int n;

	(void)state;
	noise_keypair(is_pub, is);
	noise_keypair(rs_pub, rs);
	noise_keypair(tmp, ie);
	noise_keypair(tmp, re);
	randombytes_buf(payload, sizeof(payload));
	resp = noise_hs_responder(rs, PRO, PROLEN);
	ini = noise_hs_initiator(is, rs_pub, PRO, PROLEN);
	assert_int_equal(noise_hs_fix_ephemeral(ini, ie), 0);
	assert_int_equal(noise_hs_fix_ephemeral(resp, re), 0);
	assert_int_equal(noise_hs_write(ini, m1, sizeof(m1), NULL, 0), sizeof(m1));
	noise_hs_free(ini);
	assert_int_equal(noise_hs_read(resp, buf, sizeof(buf), m1, sizeof(m1)), 0);
	n = noise_hs_write(resp, m2, sizeof(m2), payload, sizeof(payload));
	assert_int_equal(n, sizeof(m2));
	noise_hs_free(resp);

	for (i = 0; i <= sizeof(m2) * 8; i++) {
		ini = noise_hs_initiator(is, rs_pub, PRO, PROLEN);
		assert_non_null(ini);
		assert_int_equal(noise_hs_fix_ephemeral(ini, ie), 0);
		assert_int_equal(noise_hs_write(ini, buf, sizeof(buf), NULL, 0), sizeof(m1));
		assert_memory_equal(buf, m1, sizeof(m1));
		if (i == sizeof(m2) * 8) {
			/* The untouched message completes the handshake. */
			n = noise_hs_read(ini, buf, sizeof(buf), m2, sizeof(m2));
			assert_int_equal(n, sizeof(payload));
			assert_memory_equal(buf, payload, sizeof(payload));
			assert_true(noise_hs_done(ini));
			noise_hs_free(ini);
			break;
		}
		m2[i / 8] ^= (uint8_t)(1u << (i % 8));
		n = noise_hs_read(ini, buf, sizeof(buf), m2, sizeof(m2));
		m2[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_true(n == ATT_EDECRYPT || n == ATT_EBADKEY);
		assert_false(noise_hs_done(ini));
		assert_true(sodium_is_zero(buf, sizeof(buf)));
		assert_int_equal(noise_hs_split(ini, &cs, NULL), ATT_ESTATE);
		assert_null(cs);
		noise_hs_free(ini);
	}
}

/* A tampered transport message is refused and does not advance the nonce. */
static void
test_noise_tamper_transport(void **state)
{
	struct pair *p = pair_new();
	uint8_t pt[100], ct[100 + NOISE_TAGLEN], back[100];
	size_t i;
	int n, bit;

	(void)state;
	pair_handshake(p, NULL, 0, NULL, 0);
	randombytes_buf(pt, sizeof(pt));
	n = noise_cs_encrypt(p->ci, ct, sizeof(ct), pt, sizeof(pt));
	assert_int_equal(n, sizeof(ct));
	for (i = 0; i < sizeof(ct); i++) {
		for (bit = 0; bit < 8; bit++) {
			ct[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(noise_cs_decrypt(p->cr, back, sizeof(back), ct, sizeof(ct)),
			    ATT_EDECRYPT);
			ct[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(noise_cs_decrypt(p->cr, back, sizeof(back), ct, sizeof(ct) - 1),
	    ATT_EDECRYPT);
	assert_int_equal(noise_cs_decrypt(p->cr, back, sizeof(back), ct, NOISE_TAGLEN - 1),
	    ATT_ETRUNCATED);
	assert_int_equal(noise_cs_decrypt(p->cr, back, sizeof(back) - 1, ct, sizeof(ct)),
	    ATT_ETOOBIG);
	assert_int_equal(noise_cs_decrypt(p->cr, back, sizeof(back), ct, sizeof(ct)),
	    (int)sizeof(pt));
	assert_memory_equal(back, pt, sizeof(pt));
	/* Replaying it fails: the nonce moved on. */
	assert_int_equal(noise_cs_decrypt(p->cr, back, sizeof(back), ct, sizeof(ct)),
	    ATT_EDECRYPT);
	pair_free(p);
}

/* An initiator with the wrong relay key is refused by the real relay. */
static void
test_noise_wrong_responder_key(void **state)
{
	struct pair *p = pair_new();
	uint8_t other_pub[NOISE_KEYLEN], other[NOISE_KEYLEN], buf[64];
	struct noise_hs *ini;
	int n;

	(void)state;
	noise_keypair(other_pub, other);
	ini = noise_hs_initiator(p->is, other_pub, PRO, PROLEN);
	n = noise_hs_write(ini, p->m1, sizeof(p->m1), NULL, 0);
	assert_int_equal(n, NOISE_IK_MSG1_LEN);
	assert_int_equal(noise_hs_read(p->resp, buf, sizeof(buf), p->m1, (size_t)n), ATT_EDECRYPT);
	noise_hs_free(ini);

	/* A different prologue is refused as well. */
	noise_hs_free(p->resp);
	p->resp = noise_hs_responder(p->rs, (const uint8_t *)"attune/2", 8);
	n = noise_hs_write(p->ini, p->m1, sizeof(p->m1), NULL, 0);
	assert_int_equal(noise_hs_read(p->resp, buf, sizeof(buf), p->m1, (size_t)n), ATT_EDECRYPT);
	pair_free(p);
}

/* A responder given its public key behaves the same; a wrong one fails safe. */
static void
test_noise_responder_pub(void **state)
{
	struct pair *p = pair_new();
	uint8_t buf[64], other_pub[NOISE_KEYLEN], other[NOISE_KEYLEN];
	int n;

	(void)state;
	noise_hs_free(p->resp);
	p->resp = noise_hs_responder_pub(p->rs, p->rs_pub, PRO, PROLEN);
	assert_non_null(p->resp);
	pair_handshake(p, NULL, 0, (const uint8_t *)"hello", 5);
	pair_free(p);

	p = pair_new();
	noise_keypair(other_pub, other);
	noise_hs_free(p->resp);
	p->resp = noise_hs_responder_pub(p->rs, other_pub, PRO, PROLEN);
	n = noise_hs_write(p->ini, p->m1, sizeof(p->m1), NULL, 0);
	assert_int_equal(noise_hs_read(p->resp, buf, sizeof(buf), p->m1, (size_t)n), ATT_EDECRYPT);
	pair_free(p);
}

/* A small-order or zero ephemeral key gives an all-zero DH: refused. */
static void
test_noise_bad_ephemeral(void **state)
{
	struct pair *p = pair_new();
	uint8_t buf[64];
	int n;

	(void)state;
	n = noise_hs_write(p->ini, p->m1, sizeof(p->m1), NULL, 0);
	memset(p->m1, 0, NOISE_KEYLEN);
	assert_int_equal(noise_hs_read(p->resp, buf, sizeof(buf), p->m1, (size_t)n), ATT_EBADKEY);
	pair_free(p);
}

/* Nonce 2^64-1 is never used: both sides stop with ATT_ENONCE. */
static void
test_noise_nonce_exhaustion(void **state)
{
	struct pair *p = pair_new();
	uint8_t ct[8 + NOISE_TAGLEN], pt[8];
	int n;

	(void)state;
	pair_handshake(p, NULL, 0, NULL, 0);
	noise_cs_set_nonces(p->ci, UINT64_MAX - 2, 0);
	noise_cs_set_nonces(p->cr, 0, UINT64_MAX - 2);
	n = noise_cs_encrypt(p->ci, ct, sizeof(ct), (const uint8_t *)"12345678", 8);
	assert_int_equal(n, sizeof(ct));
	assert_int_equal(noise_cs_decrypt(p->cr, pt, sizeof(pt), ct, sizeof(ct)), 8);
	n = noise_cs_encrypt(p->ci, ct, sizeof(ct), (const uint8_t *)"abcdefgh", 8);
	assert_int_equal(n, sizeof(ct));
	assert_int_equal(noise_cs_decrypt(p->cr, pt, sizeof(pt), ct, sizeof(ct)), 8);
	assert_memory_equal(pt, "abcdefgh", 8);
	/* The counter now stands at 2^64-1. */
	assert_int_equal(noise_cs_encrypt(p->ci, ct, sizeof(ct), pt, 8), ATT_ENONCE);
	assert_int_equal(noise_cs_encrypt(p->ci, ct, sizeof(ct), pt, 8), ATT_ENONCE);
	assert_int_equal(noise_cs_decrypt(p->cr, pt, sizeof(pt), ct, sizeof(ct)), ATT_ENONCE);
	/* The other direction is unaffected. */
	n = noise_cs_encrypt(p->cr, ct, sizeof(ct), (const uint8_t *)"zzzzzzzz", 8);
	assert_int_equal(noise_cs_decrypt(p->ci, pt, sizeof(pt), ct, (size_t)n), 8);
	pair_free(p);
}

/* Rekey changes the key both sides use; a one-sided rekey breaks the stream. */
static void
test_noise_rekey(void **state)
{
	struct pair *p = pair_new();
	uint8_t ct1[4 + NOISE_TAGLEN], ct2[4 + NOISE_TAGLEN], pt[4];
	int i;

	(void)state;
	pair_handshake(p, NULL, 0, NULL, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(noise_cs_rekey_send(p->ci), 0);
		assert_int_equal(noise_cs_rekey_recv(p->cr), 0);
		assert_int_equal(noise_cs_encrypt(p->ci, ct1, sizeof(ct1),
		    (const uint8_t *)"abcd", 4), sizeof(ct1));
		assert_int_equal(noise_cs_decrypt(p->cr, pt, sizeof(pt), ct1, sizeof(ct1)), 4);
		assert_memory_equal(pt, "abcd", 4);
	}
	/* Same nonce, same plaintext, before and after a rekey: different bytes. */
	noise_cs_set_nonces(p->cr, 7, 0);
	assert_int_equal(noise_cs_encrypt(p->cr, ct1, sizeof(ct1), (const uint8_t *)"same", 4),
	    sizeof(ct1));
	noise_cs_set_nonces(p->cr, 7, 0);
	assert_int_equal(noise_cs_rekey_send(p->cr), 0);
	assert_int_equal(noise_cs_encrypt(p->cr, ct2, sizeof(ct2), (const uint8_t *)"same", 4),
	    sizeof(ct2));
	assert_memory_not_equal(ct1, ct2, sizeof(ct1));
	/* The initiator did not rekey its receive side: it cannot read ct2. */
	noise_cs_set_nonces(p->ci, 3, 7);
	assert_int_equal(noise_cs_decrypt(p->ci, pt, sizeof(pt), ct2, sizeof(ct2)), ATT_EDECRYPT);
	assert_int_equal(noise_cs_rekey_recv(p->ci), 0);
	assert_int_equal(noise_cs_decrypt(p->ci, pt, sizeof(pt), ct2, sizeof(ct2)), 4);
	assert_memory_equal(pt, "same", 4);
	pair_free(p);
}

/* Random payload sizes up to the Noise limit, both directions, in place. */
static void
test_noise_roundtrip_sizes(void **state)
{
	uint64_t seed = tutil_seed("noise round trips");
	struct pair *p = pair_new();
	static uint8_t pt[NOISE_MAXMSG], buf[NOISE_MAXMSG], back[NOISE_MAXMSG];
	size_t sizes[] = { 0, 1, NOISE_MAXPLAIN, NOISE_MAXPLAIN - 1 };
	int i, n;

	(void)state;
	pair_handshake(p, NULL, 0, NULL, 0);
	for (i = 0; i < 60; i++) {
		size_t len = i < 4 ? sizes[i] : tutil_rand(&seed) % (NOISE_MAXPLAIN + 1);
		struct noise_cs *tx = i % 2 ? p->cr : p->ci, *rx = i % 2 ? p->ci : p->cr;

		randombytes_buf(pt, len);
		memcpy(buf, pt, len);
		n = noise_cs_encrypt(tx, buf, sizeof(buf), buf, len);
		assert_int_equal(n, len + NOISE_TAGLEN);
		if (i % 3 == 0) {
			n = noise_cs_decrypt(rx, buf, sizeof(buf), buf, (size_t)n);
			assert_int_equal(n, len);
			assert_memory_equal(buf, pt, len);
		} else {
			n = noise_cs_decrypt(rx, back, sizeof(back), buf, (size_t)n);
			assert_int_equal(n, len);
			assert_memory_equal(back, pt, len);
		}
	}
	assert_int_equal(noise_cs_encrypt(p->ci, buf, sizeof(buf), pt, NOISE_MAXPLAIN + 1),
	    ATT_ETOOBIG);
	pair_free(p);

	/* Handshake payloads of random sizes, up to the largest that fits. */
	for (i = 0; i < 8; i++) {
		size_t l1 = i == 0 ? NOISE_MAXMSG - NOISE_IK_MSG1_LEN
		    : tutil_rand(&seed) % (NOISE_MAXMSG - NOISE_IK_MSG1_LEN + 1);
		size_t l2 = i == 0 ? NOISE_MAXMSG - NOISE_IK_MSG2_LEN
		    : tutil_rand(&seed) % (NOISE_MAXMSG - NOISE_IK_MSG2_LEN + 1);

		p = pair_new();
		randombytes_buf(pt, l1);
		randombytes_buf(back, l2);
		pair_handshake(p, pt, l1, back, l2);
		pair_free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noise_vectors_ik),
		cmocka_unit_test(test_noise_vectors_xx),
		cmocka_unit_test(test_noise_handshake_basic),
		cmocka_unit_test(test_noise_state_errors),
		cmocka_unit_test(test_noise_tamper_msg1),
		cmocka_unit_test(test_noise_tamper_msg2),
		cmocka_unit_test(test_noise_tamper_transport),
		cmocka_unit_test(test_noise_wrong_responder_key),
		cmocka_unit_test(test_noise_responder_pub),
		cmocka_unit_test(test_noise_bad_ephemeral),
		cmocka_unit_test(test_noise_nonce_exhaustion),
		cmocka_unit_test(test_noise_rekey),
		cmocka_unit_test(test_noise_roundtrip_sizes),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("noise", tests, NULL, NULL);
}
