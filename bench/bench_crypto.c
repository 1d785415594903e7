/*
 * The crypto benchmark (`make bench`): Noise IK handshakes per second for
 * each side, transport throughput, Double Ratchet encrypt+decrypt, CPace
 * runs, and libsodium's own X25519 on the same machine, so each figure can
 * be read as a fraction of the crypto bound. A Noise IK handshake costs each
 * side four X25519 DH operations (plus fixed-base key generation), so the
 * bound for one side is X25519/s / 4.
 *
 * Figures are printed, never asserted. BENCH_SECONDS (default 0.25) sets how
 * long each measurement runs (in CPU time); each is the best of three runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/cpace.h"
#include "proto/noise.h"
#include "proto/ratchet.h"

static double bench_seconds = 0.25;

/* CPU time of this process: the machine is shared, and wall time would
 * count other people's work as ours. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

_Noreturn static void
die(const char *what)
{
	fprintf(stderr, "bench_crypto: %s failed\n", what);
	exit(1);
}

/* X25519 with a variable base (a DH) and with the fixed base (key generation). */
static void
bench_x25519(double *dh_per_s, double *base_per_s)
{
	uint8_t sk[32], pk[32], out[32];
	double t0, t;
	long n = 0;

	randombytes_buf(sk, sizeof(sk));
	crypto_scalarmult_base(pk, sk);
	t0 = now();
	do {
		for (int i = 0; i < 64; i++, n++) {
			if (crypto_scalarmult(out, sk, pk) != 0)
				die("crypto_scalarmult");
			sk[0] ^= out[0];
		}
	} while ((t = now() - t0) < bench_seconds);
	*dh_per_s = (double)n / t;

	n = 0;
	t0 = now();
	do {
		for (int i = 0; i < 64; i++, n++) {
			crypto_scalarmult_base(pk, sk);
			sk[0] ^= pk[0];
		}
	} while ((t = now() - t0) < bench_seconds);
	*base_per_s = (double)n / t;
}

/* Full IK handshakes (device empty payload, relay 40-byte hello), timing each side. */
static void
bench_noise_handshake(double *ini_per_s, double *resp_per_s, double *both_per_s)
{
	uint8_t is[NOISE_KEYLEN], is_pub[NOISE_KEYLEN], rs[NOISE_KEYLEN], rs_pub[NOISE_KEYLEN];
	uint8_t m1[256], m2[256], pl[64], hello[40];
	double t_ini = 0, t_resp = 0, t0, t1, start;
	long n = 0;

	noise_keypair(is_pub, is);
	noise_keypair(rs_pub, rs);
	memset(hello, 'h', sizeof(hello));
	start = now();
	do {
		struct noise_hs *ini, *resp;
		struct noise_cs *ci, *cr;
		int l1, l2;

		t0 = now();
		ini = noise_hs_initiator(is, rs_pub, (const uint8_t *)NOISE_PROLOGUE,
		    NOISE_PROLOGUE_LEN);
		if (ini == NULL || (l1 = noise_hs_write(ini, m1, sizeof(m1), NULL, 0)) < 0)
			die("noise initiator write");
		t1 = now();
		t_ini += t1 - t0;
		resp = noise_hs_responder_pub(rs, rs_pub, (const uint8_t *)NOISE_PROLOGUE,
		    NOISE_PROLOGUE_LEN);
		if (resp == NULL || noise_hs_read(resp, pl, sizeof(pl), m1, (size_t)l1) < 0 ||
		    (l2 = noise_hs_write(resp, m2, sizeof(m2), hello, sizeof(hello))) < 0 ||
		    noise_hs_split(resp, &cr, NULL) < 0)
			die("noise responder");
		noise_hs_free(resp);
		t0 = now();
		t_resp += t0 - t1;
		if (noise_hs_read(ini, pl, sizeof(pl), m2, (size_t)l2) < 0 ||
		    noise_hs_split(ini, &ci, NULL) < 0)
			die("noise initiator read");
		noise_hs_free(ini);
		t_ini += now() - t0;
		noise_cs_free(ci);
		noise_cs_free(cr);
		n++;
	} while (now() - start < bench_seconds * 2);
	*ini_per_s = (double)n / t_ini;
	*resp_per_s = (double)n / t_resp;
	*both_per_s = (double)n / (t_ini + t_resp);
}

/* Transport encrypt + decrypt of messages of one size; returns MB/s of plaintext. */
static double
bench_noise_transport(size_t len, double *msgs_per_s)
{
	static uint8_t pt[NOISE_MAXMSG], ct[NOISE_MAXMSG], back[NOISE_MAXMSG];
	uint8_t is[NOISE_KEYLEN], is_pub[NOISE_KEYLEN], rs[NOISE_KEYLEN], rs_pub[NOISE_KEYLEN];
	uint8_t m1[128], m2[128];
	struct noise_hs *ini, *resp;
	struct noise_cs *ci, *cr;
	double t0, t;
	long n = 0;
	int l;

	noise_keypair(is_pub, is);
	noise_keypair(rs_pub, rs);
	ini = noise_hs_initiator(is, rs_pub, (const uint8_t *)NOISE_PROLOGUE, NOISE_PROLOGUE_LEN);
	resp = noise_hs_responder(rs, (const uint8_t *)NOISE_PROLOGUE, NOISE_PROLOGUE_LEN);
	if ((l = noise_hs_write(ini, m1, sizeof(m1), NULL, 0)) < 0 ||
	    noise_hs_read(resp, NULL, 0, m1, (size_t)l) < 0 ||
	    (l = noise_hs_write(resp, m2, sizeof(m2), NULL, 0)) < 0 ||
	    noise_hs_read(ini, NULL, 0, m2, (size_t)l) < 0 ||
	    noise_hs_split(ini, &ci, NULL) < 0 || noise_hs_split(resp, &cr, NULL) < 0)
		die("noise setup");
	noise_hs_free(ini);
	noise_hs_free(resp);
	randombytes_buf(pt, len);
	t0 = now();
	do {
		for (int i = 0; i < 16; i++, n++) {
			if ((l = noise_cs_encrypt(ci, ct, sizeof(ct), pt, len)) < 0 ||
			    noise_cs_decrypt(cr, back, sizeof(back), ct, (size_t)l) != (int)len)
				die("noise transport");
		}
	} while ((t = now() - t0) < bench_seconds);
	noise_cs_free(ci);
	noise_cs_free(cr);
	*msgs_per_s = (double)n / t;
	return (double)n * (double)len / t / 1e6;
}

/*
 * Ratchet encrypt+decrypt pairs of 256-byte messages. one_way: Alice sends
 * every message (symmetric chain steps only); otherwise the two alternate,
 * so every message carries a new DH ratchet step.
 */
static double
bench_ratchet(int one_way)
{
	uint8_t sk[32], bob_pk[32], bob_sk[32], ad[RATCHET_AD_LEN];
	uint8_t pt[256], ct[256 + RATCHET_OVERHEAD], back[256];
	struct ratchet *alice, *bob;
	double t0, t;
	long n = 0;
	int l;

	randombytes_buf(sk, sizeof(sk));
	randombytes_buf(ad, sizeof(ad));
	randombytes_buf(pt, sizeof(pt));
	crypto_box_keypair(bob_pk, bob_sk);
	if (ratchet_init_initiator(&alice, sk, bob_pk, ad) != 0 ||
	    ratchet_init_responder(&bob, sk, bob_sk, bob_pk, ad) != 0)
		die("ratchet init");
	/* Bob can send once he has heard from Alice. */
	if ((l = ratchet_encrypt(alice, ct, sizeof(ct), pt, sizeof(pt))) < 0 ||
	    ratchet_decrypt(bob, back, sizeof(back), ct, (size_t)l) != (int)sizeof(pt))
		die("ratchet first message");
	t0 = now();
	do {
		for (int i = 0; i < 16; i++, n++) {
			struct ratchet *tx = one_way || n % 2 == 0 ? alice : bob;
			struct ratchet *rx = tx == alice ? bob : alice;

			if ((l = ratchet_encrypt(tx, ct, sizeof(ct), pt, sizeof(pt))) < 0 ||
			    ratchet_decrypt(rx, back, sizeof(back), ct, (size_t)l) != (int)sizeof(pt))
				die("ratchet");
		}
	} while ((t = now() - t0) < bench_seconds);
	ratchet_free(alice);
	ratchet_free(bob);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(bob_sk, sizeof(bob_sk));
	return (double)n / t;
}

/* Whole CPace runs (both parties, with key confirmation) per second. */
static double
bench_cpace(void)
{
	static const char pw[] = "7-guitarist-revenge";
	static const char ci[] = "attune-pair";
	uint8_t sid[16], ya[CPACE_YBYTES], yb[CPACE_YBYTES];
	uint8_t ta[CPACE_TAGBYTES], tb[CPACE_TAGBYTES], ka[CPACE_ISKBYTES], kb[CPACE_ISKBYTES];
	double t0, t;
	long n = 0;

	randombytes_buf(sid, sizeof(sid));
	t0 = now();
	do {
		struct cpace *a = cpace_new(1, (const uint8_t *)pw, strlen(pw),
		    (const uint8_t *)ci, strlen(ci), sid, sizeof(sid), (const uint8_t *)"A", 1);
		struct cpace *b = cpace_new(0, (const uint8_t *)pw, strlen(pw),
		    (const uint8_t *)ci, strlen(ci), sid, sizeof(sid), (const uint8_t *)"B", 1);

		if (a == NULL || b == NULL || cpace_share(a, ya) != 0 || cpace_share(b, yb) != 0 ||
		    cpace_derive(a, yb, (const uint8_t *)"B", 1) != 0 ||
		    cpace_derive(b, ya, (const uint8_t *)"A", 1) != 0 ||
		    cpace_tag(a, ta) != 0 || cpace_tag(b, tb) != 0 ||
		    cpace_verify(a, tb) != 0 || cpace_verify(b, ta) != 0 ||
		    cpace_isk(a, ka) != 0 || cpace_isk(b, kb) != 0 ||
		    sodium_memcmp(ka, kb, sizeof(ka)) != 0)
			die("cpace");
		cpace_free(a);
		cpace_free(b);
		n++;
	} while ((t = now() - t0) < bench_seconds);
	sodium_memzero(ka, sizeof(ka));
	sodium_memzero(kb, sizeof(kb));
	return (double)n / t;
}

#define ROUNDS 3
#define KEEP_MAX(best, x) do { double x_ = (x); if (x_ > (best)) (best) = x_; } while (0)

int
main(void)
{
	const char *s = getenv("BENCH_SECONDS");
	double dh = 0, base = 0, ini = 0, resp = 0, both = 0, bound, mps, v1, v2, v3;
	double ratchet1 = 0, ratchet2 = 0, cpace = 0;
	size_t sizes[] = { 64, 1024, NOISE_MAXPLAIN };

	if (sodium_init() < 0)
		die("sodium_init");
	if (s != NULL && atof(s) > 0)
		bench_seconds = atof(s);

	/* The machine is shared: each figure is the best of ROUNDS runs, the
	 * X25519 bound measured between the others so both see the same load. */
	for (int r = 0; r < ROUNDS; r++) {
		bench_x25519(&v1, &v2);
		KEEP_MAX(dh, v1);
		KEEP_MAX(base, v2);
		bench_noise_handshake(&v1, &v2, &v3);
		KEEP_MAX(ini, v1);
		KEEP_MAX(resp, v2);
		KEEP_MAX(both, v3);
		KEEP_MAX(ratchet1, bench_ratchet(1));
		KEEP_MAX(ratchet2, bench_ratchet(0));
		KEEP_MAX(cpace, bench_cpace());
	}
	bound = dh / 4;
	printf("libsodium X25519 DH             %10.0f /s\n", dh);
	printf("libsodium X25519 fixed-base     %10.0f /s\n", base);
	printf("Noise IK handshake, initiator   %10.0f /s  (%.0f%% of the 4-DH bound %.0f /s)\n",
	    ini, 100 * ini / bound, bound);
	printf("Noise IK handshake, responder   %10.0f /s  (%.0f%% of the 4-DH bound %.0f /s)\n",
	    resp, 100 * resp / bound, bound);
	printf("Noise IK handshake, both sides  %10.0f /s  (%.0f%% of the 8-DH bound %.0f /s)\n",
	    both, 100 * both / (dh / 8), dh / 8);
	printf("Noise state sizes               %10zu B per connection (transport), %zu B per handshake\n",
	    noise_cs_size(), noise_hs_size());
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double mbs = bench_noise_transport(sizes[i], &mps);

		printf("Noise transport %5zu B enc+dec %10.0f /s  (%.0f MB/s)\n", sizes[i], mps, mbs);
	}
	printf("Ratchet enc+dec 256 B, one way  %10.0f /s\n", ratchet1);
	printf("Ratchet enc+dec 256 B, ping-pong%10.0f /s  (a DH ratchet step per message)\n",
	    ratchet2);
	printf("CPace runs (both parties)       %10.0f /s  (%.1f X25519-equivalents per run)\n",
	    cpace, dh / cpace);
	return 0;
}
