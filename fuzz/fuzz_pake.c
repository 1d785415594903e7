/*
 * Fuzz target for the pairing channel. The first byte picks a mode:
 *   0: the rest, cut into messages (2-byte big-endian length, then bytes),
 *      goes to a fresh responder;
 *   1: the same to an initiator that has sent its first message;
 *   2: a genuine exchange between two sides, in which the rest is a list of
 *      edits (message number, 2-byte offset, xor byte; or a new length) to
 *      the messages in transit, so the later states get fuzzed too.
 * Whatever happens, both sides must never be done with different intros,
 * and a failed side must release nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/pake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char code[] = "7-crossover-clockwork";

static struct pake *
side(int initiator, const char *intro)
{
	uint8_t seed[32], pk[32], sk[64];

	memset(seed, initiator ? 0xa1 : 0xb2, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(sk, sizeof(sk));
	return pake_new(initiator, code, 7, pk, (const uint8_t *)intro, strlen(intro));
}

static void
check_failed(const struct pake *p)
{
	uint8_t id[32];
	size_t len;

	if (pake_failed(p) && (pake_peer_intro(p, &len) != NULL ||
	    pake_peer_identity(p, id) == 0 || pake_safety(p, NULL, 0, NULL, 0) == 0))
		abort();
}

/* Mode 0 and 1: feed length-prefixed chunks of DATA to P. */
static void
feed(struct pake *p, const uint8_t *data, size_t size, uint8_t *out)
{
	while (size >= 2) {
		size_t n = (size_t)data[0] << 8 | data[1];

		data += 2, size -= 2;
		if (n > size)
			n = size;
		if (pake_recv(p, data, n, out, PAKE_MSG_MAX) < 0) {
			check_failed(p);
			return;
		}
		data += n, size -= n;
	}
}

/* Mode 2: a real exchange with DATA's edits applied on the way. */
static void
exchange(const uint8_t *data, size_t size, uint8_t *a, uint8_t *b)
{
	struct pake *i = side(1, "initiator intro"), *r = side(0, "responder intro");
	int n, k;

	if (i == NULL || r == NULL)
		abort();
	n = pake_start(i, a, PAKE_MSG_MAX);
	for (k = 1; k <= 4 && n > 0; k++) {
		struct pake *to = k % 2 ? r : i;
		uint8_t *in = k % 2 ? a : b, *out = k % 2 ? b : a;
		size_t e;

		/* Edits are 4 bytes: message, offset hi, offset lo, xor (0: truncate here). */
		for (e = 0; e + 4 <= size; e += 4) {
			size_t off = (size_t)data[e + 1] << 8 | data[e + 2];

			if (data[e] % 4 + 1 != k || off >= (size_t)n)
				continue;
			if (data[e + 3] == 0)
				n = (int)off;
			else
				in[off] ^= data[e + 3];
		}
		n = pake_recv(to, in, (size_t)n, out, PAKE_MSG_MAX);
		if (n < 0)
			check_failed(to);
	}
	if (pake_done(i) && pake_done(r)) {
		size_t li, lr;
		const uint8_t *pi = pake_peer_intro(i, &li), *pr = pake_peer_intro(r, &lr);

		if (li != strlen("responder intro") || memcmp(pi, "responder intro", li) != 0 ||
		    lr != strlen("initiator intro") || memcmp(pr, "initiator intro", lr) != 0)
			abort();
	}
	pake_free(i);
	pake_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[PAKE_MSG_MAX], b[PAKE_MSG_MAX];
	struct pake *p;

	if (size < 1 || sodium_init() < 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if ((p = side(0, "responder intro")) == NULL)
			abort();
		feed(p, data + 1, size - 1, b);
		pake_free(p);
		break;
	case 1:
		if ((p = side(1, "initiator intro")) == NULL || pake_start(p, a, sizeof(a)) <= 0)
			abort();
		feed(p, data + 1, size - 1, b);
		pake_free(p);
		break;
	default:
		exchange(data + 1, size - 1, a, b);
		break;
	}
	return 0;
}
