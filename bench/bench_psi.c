/*
 * The PSI benchmark (`make bench`): CPU time and bytes of one wishes round
 * over the full catalogue (CATALOGUE_CUSTOM_SLOTS custom slots, both tiers)
 * and of one spark round, per side and for both, and what goes on the wire:
 * attuned cuts each PSI message into ROUNDS_FRAG-byte fragments, each an
 * inner message padded to the 256-byte bucket (docs/PROTOCOL.md 9.6), so
 * every envelope of a round is the size of a check-in's.
 * Figures are printed, never asserted. BENCH_SECONDS (default 0.25) sets how
 * long each measurement runs (in CPU time); each is the best of three runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/catalogue.h"
#include "proto/envelope.h"
#include "proto/psi.h"
#include "daemon/rounds.h"

static double bench_seconds = 0.25;

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
	fprintf(stderr, "bench_psi: %s failed\n", what);
	exit(1);
}

struct tally {
	size_t bytes[2];     /* PSI message bytes sent by each side */
	size_t envs[2];      /* envelopes on the wire (one per fragment) */
	size_t msgs[2];
};

static struct psi *
side(int role, const struct psi_params *p, int spark)
{
	uint8_t bind[PSI_BIND_LEN] = { 1 }, rid[PSI_ROUND_ID_LEN] = { 2 }, rnd[PSI_RANDOM_LEN];
	struct psi *s;
	size_t i;

	randombytes_buf(rnd, sizeof(rnd));
	if ((s = psi_new(role, bind, rid, p, PSI_FLAG_MAYBE, rnd)) == NULL)
		die("psi_new");
	if (spark) {
		if (psi_set_fixed(s, 0, "spark", 5, PSI_YES) != 0)
			die("psi_set_fixed");
	} else {
		for (i = 0; i < p->nfixed; i++) {
			const struct catalogue_item *it = catalogue_item(i);

			if (psi_set_fixed(s, i, it->id, strlen(it->id), (enum psi_answer)(i % 3)) != 0)
				die("psi_set_fixed");
		}
		for (i = 0; i < 4; i++) {
			char k[16];

			snprintf(k, sizeof(k), "custom %zu", i + (size_t)role);
			if (psi_set_custom(s, k, strlen(k), PSI_YES) != 0)
				die("psi_set_custom");
		}
	}
	return s;
}

/* One whole round, both sides in this process. */
static void
round_once(const struct psi_params *p, int spark, struct tally *t)
{
	static uint8_t m[PSI_MSG_MAX];
	struct psi *s[2] = { side(0, p, spark), side(1, p, spark) };
	int progress = 1, n;

	if (psi_start(s[0]) != 0 || psi_start(s[1]) != 0)
		die("psi_start");
	while (progress) {
		progress = 0;
		for (int from = 0; from < 2; from++)
			while ((n = psi_next(s[from], m, sizeof(m))) > 0) {
				if (psi_recv(s[1 - from], m, (size_t)n) != 0)
					die("psi_recv");
				if (t != NULL) {
					t->bytes[from] += (size_t)n;
					t->envs[from] += ((size_t)n + ROUNDS_FRAG - 1) / ROUNDS_FRAG;
					t->msgs[from]++;
				}
				progress = 1;
			}
	}
	if (!psi_done(s[0]) || !psi_done(s[1]))
		die("round");
	psi_free(s[0]);
	psi_free(s[1]);
}

static double
rounds_per_s(const struct psi_params *p, int spark)
{
	double best = 0;

	for (int r = 0; r < 3; r++) {
		double t0 = now(), t;
		long n = 0;

		do {
			round_once(p, spark, NULL);
			n++;
		} while ((t = now() - t0) < bench_seconds);
		if ((double)n / t > best)
			best = (double)n / t;
	}
	return best;
}

static void
report(const char *name, const struct psi_params *p, int spark)
{
	struct tally t = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
	double rps = rounds_per_s(p, spark);

	round_once(p, spark, &t);
	printf("%-22s %4u slots x %u tiers: %8.2f ms CPU per round (both sides), %.2f ms per side\n",
	    name, (unsigned)(p->nfixed + p->ncustom), (unsigned)p->tiers, 1000.0 / rps, 500.0 / rps);
	printf("%-22s %zu messages per side, %zu B each way; on the wire %zu envelopes of %zu B each way, %zu B both ways\n",
	    name, t.msgs[0], t.bytes[0], t.envs[0], envelope_size(ENVELOPE_NORMAL, ENVELOPE_MIN_BUCKET),
	    (t.envs[0] + t.envs[1]) * envelope_size(ENVELOPE_NORMAL, ENVELOPE_MIN_BUCKET));
	printf("%-22s COMMIT %zu B, REVEAL %zu B, EXP %zu B\n", name,
	    psi_msg_size(PSI_COMMIT, p), psi_msg_size(PSI_REVEAL, p), psi_msg_size(PSI_EXP, p));
}

int
main(void)
{
	const char *s = getenv("BENCH_SECONDS");
	struct psi_params wishes = { CATALOGUE_VERSION, (uint16_t)catalogue_count(),
	    CATALOGUE_CUSTOM_SLOTS, 2 };
	struct psi_params spark = { 0, 1, 0, 1 };

	if (sodium_init() < 0)
		die("sodium_init");
	if (s != NULL && atof(s) > 0)
		bench_seconds = atof(s);
	report("PSI wishes round", &wishes, 0);
	report("PSI spark round", &spark, 1);
	return 0;
}
