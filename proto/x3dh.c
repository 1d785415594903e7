#include <sodium.h>
#include <string.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/hkdf.h"
#include "proto/x3dh.h"

/* Domain strings: a signature made for one kind of record never verifies
 * as another. */
static const char DOM_DEVREC[] = "attune devrec v1";
static const char DOM_SPK[] = "attune spk v1";
static const char DOM_OTK[] = "attune otk v1";
static const char INFO_X3DH[] = "attune x3dh v1";

#define SIG_LEN crypto_sign_BYTES
#define DOM_MAX 32

/* Signs domain || body[0..body_len) into body + body_len. */
static int
sign_record(uint8_t *body, size_t body_len, const char *dom, const uint8_t *sk)
{
	uint8_t msg[DOM_MAX + X3DH_DEVREC_LEN];
	size_t dl = strlen(dom);

	memcpy(msg, dom, dl);
	memcpy(msg + dl, body, body_len);
	return crypto_sign_detached(body + body_len, NULL, msg, dl + body_len, sk) == 0 ?
	    0 : ATT_EINVAL;
}

static int
verify_record(const uint8_t *rec, size_t len, size_t want, const char *dom,
    const uint8_t *pk)
{
	uint8_t msg[DOM_MAX + X3DH_DEVREC_LEN];
	size_t dl = strlen(dom);

	if (rec == NULL || len != want)
		return len < want ? ATT_ETRUNCATED : ATT_EMALFORMED;
	if (rec[0] != X3DH_VERSION)
		return ATT_EVERSION;
	memcpy(msg, dom, dl);
	memcpy(msg + dl, rec, len - SIG_LEN);
	if (crypto_sign_verify_detached(rec + len - SIG_LEN, msg, dl + len - SIG_LEN, pk) != 0)
		return ATT_EAUTH;
	return 0;
}

int
x3dh_devrec_make(uint8_t rec[static X3DH_DEVREC_LEN], const struct x3dh_devrec *d,
    const uint8_t person_sk[static 64])
{
	uint8_t *p = rec;

	if (d == NULL || sodium_memcmp(person_sk + 32, d->person_pk, 32) != 0)
		return ATT_EINVAL;
	*p++ = X3DH_VERSION;
	memcpy(p, d->person_pk, 32), p += 32;
	memcpy(p, d->sign_pk, 32), p += 32;
	memcpy(p, d->dh_pk, 32), p += 32;
	memcpy(p, d->relay_pk, 32), p += 32;
	be_put64(p, d->created), p += 8;
	return sign_record(rec, (size_t)(p - rec), DOM_DEVREC, person_sk);
}

int
x3dh_devrec_verify(struct x3dh_devrec *d, const uint8_t *rec, size_t len,
    const uint8_t *person_pk)
{
	const uint8_t *p;
	int rc;

	if (d == NULL)
		return ATT_EINVAL;
	if (rec == NULL || len != X3DH_DEVREC_LEN)
		return len < X3DH_DEVREC_LEN ? ATT_ETRUNCATED : ATT_EMALFORMED;
	if (person_pk != NULL && sodium_memcmp(rec + 1, person_pk, 32) != 0)
		return ATT_EAUTH;
	if ((rc = verify_record(rec, len, X3DH_DEVREC_LEN, DOM_DEVREC, rec + 1)) != 0)
		return rc;
	p = rec + 1;
	memcpy(d->person_pk, p, 32), p += 32;
	memcpy(d->sign_pk, p, 32), p += 32;
	memcpy(d->dh_pk, p, 32), p += 32;
	memcpy(d->relay_pk, p, 32), p += 32;
	d->created = be_get64(p);
	return 0;
}

int
x3dh_spk_make(uint8_t rec[static X3DH_SPK_LEN], uint8_t spk_sk[static 32],
    uint32_t id, uint64_t created, const uint8_t sign_sk[static 64])
{
	rec[0] = X3DH_VERSION;
	be_put32(rec + 1, id);
	be_put64(rec + 5, created);
	crypto_box_keypair(rec + 13, spk_sk);
	return sign_record(rec, X3DH_SPK_LEN - SIG_LEN, DOM_SPK, sign_sk);
}

int
x3dh_otk_make(uint8_t rec[static X3DH_OTK_LEN], uint8_t otk_sk[static 32],
    uint32_t id, const uint8_t sign_sk[static 64])
{
	if (id == X3DH_NO_OTK)
		return ATT_EINVAL;
	rec[0] = X3DH_VERSION;
	be_put32(rec + 1, id);
	crypto_box_keypair(rec + 5, otk_sk);
	return sign_record(rec, X3DH_OTK_LEN - SIG_LEN, DOM_OTK, sign_sk);
}

int
x3dh_spk_verify(uint32_t *id, uint64_t *created, uint8_t pub[static 32],
    const uint8_t *rec, size_t len, const uint8_t sign_pk[static 32])
{
	int rc;

	if ((rc = verify_record(rec, len, X3DH_SPK_LEN, DOM_SPK, sign_pk)) != 0)
		return rc;
	if (id != NULL)
		*id = be_get32(rec + 1);
	if (created != NULL)
		*created = be_get64(rec + 5);
	memcpy(pub, rec + 13, 32);
	return 0;
}

int
x3dh_otk_verify(uint32_t *id, uint8_t pub[static 32],
    const uint8_t *rec, size_t len, const uint8_t sign_pk[static 32])
{
	int rc;

	if ((rc = verify_record(rec, len, X3DH_OTK_LEN, DOM_OTK, sign_pk)) != 0)
		return rc;
	if (be_get32(rec + 1) == X3DH_NO_OTK)
		return ATT_EMALFORMED;
	if (id != NULL)
		*id = be_get32(rec + 1);
	memcpy(pub, rec + 5, 32);
	return 0;
}

/*
 * SK = HKDF-SHA256(salt = 32 zero bytes, IKM = F || DH1 || DH2 || DH3 [|| DH4],
 * info) with F = 32 0xFF bytes, as the X3DH specification does for X25519.
 */
static int
derive_sk(uint8_t sk[32], uint8_t ikm[32 * 5], size_t n_dh)
{
	int rc;

	memset(ikm, 0xff, 32);
	rc = hkdf_sha256(sk, 32, NULL, 0, ikm, 32 * (1 + n_dh),
	    (const uint8_t *)INFO_X3DH, sizeof(INFO_X3DH) - 1);
	sodium_memzero(ikm, 32 * 5);
	return rc;
}

int
x3dh_initiate(uint8_t sk[static 32], uint8_t header[static X3DH_HEADER_LEN],
    uint8_t peer_spk_pub[static 32], uint8_t ad[static X3DH_AD_LEN],
    const uint8_t my_dh_sk[static 32], const uint8_t my_dh_pk[static 32],
    const uint8_t peer_dh_pk[static 32], const uint8_t peer_sign_pk[static 32],
    const uint8_t *spk_rec, size_t spk_len, const uint8_t *otk_rec, size_t otk_len)
{
	uint8_t spk[32], otk[32], ek_pk[32], ek_sk[32], ikm[32 * 5];
	uint32_t spk_id, otk_id = X3DH_NO_OTK;
	size_t n = 3;
	int rc;

	if ((rc = x3dh_spk_verify(&spk_id, NULL, spk, spk_rec, spk_len, peer_sign_pk)) != 0)
		return rc;
	if (otk_rec != NULL && otk_len != 0 &&
	    (rc = x3dh_otk_verify(&otk_id, otk, otk_rec, otk_len, peer_sign_pk)) != 0)
		return rc;
	crypto_box_keypair(ek_pk, ek_sk);
	rc = ATT_EBADKEY;
	if (crypto_scalarmult(ikm + 32, my_dh_sk, spk) != 0 ||
	    crypto_scalarmult(ikm + 64, ek_sk, peer_dh_pk) != 0 ||
	    crypto_scalarmult(ikm + 96, ek_sk, spk) != 0)
		goto out;
	if (otk_id != X3DH_NO_OTK) {
		if (crypto_scalarmult(ikm + 128, ek_sk, otk) != 0)
			goto out;
		n = 4;
	}
	if ((rc = derive_sk(sk, ikm, n)) != 0)
		goto out;
	header[0] = X3DH_VERSION;
	memcpy(header + 1, my_dh_pk, 32);
	memcpy(header + 33, ek_pk, 32);
	be_put32(header + 65, spk_id);
	be_put32(header + 69, otk_id);
	memcpy(peer_spk_pub, spk, 32);
	memcpy(ad, my_dh_pk, 32);
	memcpy(ad + 32, peer_dh_pk, 32);
out:
	sodium_memzero(ek_sk, sizeof(ek_sk));
	sodium_memzero(ikm, sizeof(ikm));
	if (rc != 0)
		sodium_memzero(sk, 32);
	return rc;
}

int
x3dh_header_parse(uint8_t peer_dh_pk[static 32], uint8_t ephemeral[static 32],
    uint32_t *spk_id, uint32_t *otk_id, const uint8_t *header, size_t len)
{
	if (header == NULL || len < X3DH_HEADER_LEN)
		return ATT_ETRUNCATED;
	if (len != X3DH_HEADER_LEN)
		return ATT_EMALFORMED;
	if (header[0] != X3DH_VERSION)
		return ATT_EVERSION;
	memcpy(peer_dh_pk, header + 1, 32);
	memcpy(ephemeral, header + 33, 32);
	if (spk_id != NULL)
		*spk_id = be_get32(header + 65);
	if (otk_id != NULL)
		*otk_id = be_get32(header + 69);
	return 0;
}

int
x3dh_respond(uint8_t sk[static 32], uint8_t ad[static X3DH_AD_LEN],
    const uint8_t *header, size_t len,
    const uint8_t my_dh_sk[static 32], const uint8_t my_dh_pk[static 32],
    const uint8_t spk_sk[static 32], const uint8_t *otk_sk,
    const uint8_t expected_peer_dh_pk[static 32])
{
	uint8_t ik_a[32], ek_a[32], ikm[32 * 5];
	uint32_t otk_id;
	size_t n = 3;
	int rc;

	if ((rc = x3dh_header_parse(ik_a, ek_a, NULL, &otk_id, header, len)) != 0)
		return rc;
	if (sodium_memcmp(ik_a, expected_peer_dh_pk, 32) != 0)
		return ATT_EAUTH;
	if ((otk_id == X3DH_NO_OTK) != (otk_sk == NULL))
		return ATT_EINVAL;
	rc = ATT_EBADKEY;
	if (crypto_scalarmult(ikm + 32, spk_sk, ik_a) != 0 ||
	    crypto_scalarmult(ikm + 64, my_dh_sk, ek_a) != 0 ||
	    crypto_scalarmult(ikm + 96, spk_sk, ek_a) != 0)
		goto out;
	if (otk_sk != NULL) {
		if (crypto_scalarmult(ikm + 128, otk_sk, ek_a) != 0)
			goto out;
		n = 4;
	}
	if ((rc = derive_sk(sk, ikm, n)) != 0)
		goto out;
	memcpy(ad, ik_a, 32);
	memcpy(ad + 32, my_dh_pk, 32);
out:
	sodium_memzero(ikm, sizeof(ikm));
	if (rc != 0)
		sodium_memzero(sk, 32);
	return rc;
}
