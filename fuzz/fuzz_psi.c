/*
 * Fuzz target for the PSI round messages and custom-item normalisation.
 * The first byte picks a mode:
 *   0: the rest, cut into messages (2-byte big-endian length, then bytes),
 *      goes to a side that has sent its COMMIT;
 *   1: a genuine round between two sides, in which the rest is a list of
 *      edits (message number, 2-byte offset, xor byte; xor 0 truncates) to
 *      the six messages in transit, so the later states get fuzzed too;
 *   2: the rest is a custom item for catalogue_normalise.
 * Invariants: a side never takes a message twice or out of turn into a
 * result; an untouched round ends with the same, correct matches on both
 * sides; normalising is idempotent and yields valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/catalogue.h"
#include "proto/msg.h"
#include "proto/psi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t pair_bind[PSI_BIND_LEN] = { 0x42 };
static const uint8_t rid[PSI_ROUND_ID_LEN] = { 1, 2, 3, 4 };
static const struct psi_params shape = { 1, 4, 2, 2 };
static const char *keys[] = { "cuddle", "massage", "kiss", "dance" };

static struct psi *
side(int role)
{
	uint8_t rnd[PSI_RANDOM_LEN];
	struct psi *s;

	memset(rnd, role ? 0xb2 : 0xa1, sizeof(rnd));
	if ((s = psi_new(role, pair_bind, rid, &shape, PSI_FLAG_MAYBE, rnd)) == NULL)
		abort();
	for (size_t i = 0; i < 4; i++)
		if (psi_set_fixed(s, i, keys[i], strlen(keys[i]),
		    (enum psi_answer)((i + (size_t)role) % 3)) != 0)
			abort();
	if (psi_set_custom(s, "foot rub", 8, PSI_YES) != 0 || psi_start(s) != 0)
		abort();
	return s;
}

static void
feed(const uint8_t *data, size_t size)
{
	static uint8_t out[PSI_MSG_MAX];
	struct psi *s = side(0);

	if (psi_next(s, out, sizeof(out)) != PSI_COMMIT_MSG_LEN)
		abort();
	while (size >= 2) {
		size_t n = (size_t)data[0] << 8 | data[1];

		data += 2, size -= 2;
		if (n > size)
			n = size;
		(void)psi_recv(s, data, n);
		while (psi_next(s, out, sizeof(out)) > 0)
			;
		data += n, size -= n;
	}
	if (psi_done(s) && psi_result(s, 0, NULL, NULL) != 0)
		abort();
	psi_free(s);
}

static void
exchange(const uint8_t *data, size_t size)
{
	static uint8_t m[PSI_MSG_MAX];
	struct psi *s[2] = { side(0), side(1) };
	int k = 0, edited = 0, progress = 1;

	while (progress) {
		progress = 0;
		for (int from = 0; from < 2; from++) {
			int n;

			while ((n = psi_next(s[from], m, sizeof(m))) > 0) {
				for (size_t e = 0; e + 4 <= size; e += 4) {
					size_t off = (size_t)data[e + 1] << 8 | data[e + 2];

					if (data[e] % 6 != k || off >= (size_t)n)
						continue;
					edited = 1;
					if (data[e + 3] == 0)
						n = (int)off;
					else
						m[off] ^= data[e + 3];
				}
				k++;
				if (psi_recv(s[1 - from], m, (size_t)n) == 0)
					progress = 1;
			}
		}
	}
	if (!edited) {
		uint8_t f0[4], f1[4], c0[1], c1[1];

		if (!psi_done(s[0]) || !psi_done(s[1]) ||
		    psi_result(s[0], 0, f0, c0) != 0 || psi_result(s[1], 0, f1, c1) != 0 ||
		    memcmp(f0, f1, 4) != 0 || c0[0] != 1 || c1[0] != 1)
			abort();
		for (int i = 0; i < 4; i++)   /* both yes: (i % 3 == 2) and ((i + 1) % 3 == 2): never */
			if (f0[i])
				abort();
	}
	psi_free(s[0]);
	psi_free(s[1]);
}

static void
normalise(const uint8_t *data, size_t size)
{
	char a[CATALOGUE_CUSTOM_MAX + 1], b[CATALOGUE_CUSTOM_MAX + 1];
	int n = catalogue_normalise(a, sizeof(a), (const char *)data, size), m;

	if (n < 0)
		return;
	if ((size_t)n != strlen(a) || n > CATALOGUE_CUSTOM_MAX || !msg_utf8_ok((const uint8_t *)a, (size_t)n))
		abort();
	m = catalogue_normalise(b, sizeof(b), a, (size_t)n);
	if (m != n || memcmp(a, b, (size_t)n) != 0)
		abort();
	(void)catalogue_find((const char *)data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || sodium_init() < 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		feed(data + 1, size - 1);
		break;
	case 1:
		exchange(data + 1, size - 1);
		break;
	default:
		normalise(data + 1, size - 1);
		break;
	}
	return 0;
}
