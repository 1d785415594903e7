/*
 * Building and taking in pairing and link introductions (see intro.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/addr.h"
#include "proto/be.h"
#include "proto/err.h"
#include "proto/msg.h"
#include "daemon/ctx.h"
#include "daemon/devlist.h"
#include "daemon/identity.h"
#include "daemon/inbox.h"
#include "daemon/intro.h"
#include "daemon/keys.h"
#include "daemon/outbox.h"
#include "daemon/store.h"
#include "daemon/sync.h"

#define INTRO_NEWDEV_DOMAIN "attune/1 link device"
#define INTRO_NEWDEV_SIGIN (sizeof INTRO_NEWDEV_DOMAIN - 1 + 3 * 32 + 8)

/* Appends our own non-revoked device records as an array under key "devs". */
static int
pack_devs(struct daemon *d, struct msg_out *o, const uint8_t person[32])
{
	struct store_device *devs = NULL;
	size_t n = 0, i, k = 0;
	int r = store_device_list(d->store, person, &devs, &n);

	if (r < 0)
		return r;
	/* A linked device's own record may not have arrived yet (record_len 0). */
	for (i = 0; i < n; i++)
		k += !devs[i].revoked && devs[i].record_len == X3DH_DEVREC_LEN;
	msg_out_key(o, "devs");
	msgpack_pack_array(&o->pk, k);
	for (i = 0; i < n; i++) {
		if (devs[i].revoked || devs[i].record_len != X3DH_DEVREC_LEN)
			continue;
		msgpack_pack_bin(&o->pk, devs[i].record_len);
		msgpack_pack_bin_body(&o->pk, devs[i].record, devs[i].record_len);
	}
	free(devs);
	return 0;
}

/* What the new device's self-signature covers: domain | sign | dh | relay | created. */
static void
newdev_sig_input(uint8_t out[INTRO_NEWDEV_SIGIN], const uint8_t sign[32], const uint8_t dh[32],
                 const uint8_t relay[32], uint64_t created)
{
	size_t dl = sizeof INTRO_NEWDEV_DOMAIN - 1;

	memcpy(out, INTRO_NEWDEV_DOMAIN, dl);
	memcpy(out + dl, sign, 32);
	memcpy(out + dl + 32, dh, 32);
	memcpy(out + dl + 64, relay, 32);
	be_put64(out + dl + 96, created);
}

int
intro_build(struct daemon *d, struct msg_out *o, int link, int initiator,
            const char *relay, const char *invite, int partners_later,
            const struct keys *newdev)
{
	int inv = invite[0] != '\0';
	int r;

	msg_out_reset(o);
	if (link && !initiator) {
		/* The new device: its public keys, self-signed; never a secret of the person. */
		uint8_t in[INTRO_NEWDEV_SIGIN], sig[64];
		uint64_t created = (uint64_t)time(NULL);

		if (newdev == NULL)
			return ATT_ESTATE;
		newdev_sig_input(in, keys_sign_pk(newdev), keys_dh_pk(newdev), keys_relay_pk(newdev),
		                 created);
		crypto_sign_ed25519_detached(sig, NULL, in, sizeof in, keys_sign_sk(newdev));
		msg_out_begin(o, "intro", 0, 6);
		msg_out_str(o, "kind", "link");
		msg_out_bin(o, "sign", keys_sign_pk(newdev), 32);
		msg_out_bin(o, "dh", keys_dh_pk(newdev), 32);
		msg_out_bin(o, "relay", keys_relay_pk(newdev), 32);
		msg_out_uint(o, "created", created);
		msg_out_bin(o, "sig", sig, 64);
		return 0;
	}
	if (link && keys_person_sk(d->keys) == NULL)
		return ATT_EPERM;
	if (!link) {
		msg_out_begin(o, "intro", 0, 5 + inv);
		msg_out_str(o, "kind", "pair");
		msg_out_str(o, "name", d->name);
		msg_out_bin(o, "person", keys_person_pk(d->keys), 32);
		msg_out_str(o, "relay", relay);
		if (inv)
			msg_out_str(o, "invite", invite);
		return pack_devs(d, o, keys_person_pk(d->keys));
	}
	{
		struct store_partner *ps = NULL;
		size_t np = 0, i;

		r = store_partner_list(d->store, &ps, &np);
		if (r < 0)
			return r;
		if (partners_later)
			np = 0;
		msg_out_begin(o, "intro", 0, 6 + inv);
		msg_out_str(o, "kind", "link");
		msg_out_str(o, "name", d->name);
		msg_out_bin(o, "person", keys_person_pk(d->keys), 32);
		msg_out_str(o, "relay", relay);
		if (inv)
			msg_out_str(o, "invite", invite);
		r = pack_devs(d, o, keys_person_pk(d->keys));
		msg_out_key(o, "partners");
		msgpack_pack_array(&o->pk, np);
		for (i = 0; r >= 0 && i < np; i++) {
			msgpack_pack_map(&o->pk, 3);
			msg_pack_str(&o->pk, "name");
			msg_pack_str(&o->pk, ps[i].name);
			msg_pack_str(&o->pk, "person");
			msgpack_pack_bin(&o->pk, 32);
			msgpack_pack_bin_body(&o->pk, ps[i].person, 32);
			r = pack_devs(d, o, ps[i].person);
		}
		free(ps);
		return r;
	}
}


/* Partner pairing: store the partner and their devices; take relay/invite if we lack them. */
int
intro_take_pair(struct sync *s, struct daemon *d, const uint8_t *peer,
                const msgpack_object *root, const char *relay_str, struct store_partner *out,
                int *restart)
{
	const uint8_t *person;
	const msgpack_object *devs;
	char relay[ADDR_STR_MAX], invite[256], reg[8];
	size_t n;
	int r;

	memset(out, 0, sizeof *out);
	r = msg_get_bin_exact(root, "person", 32, &person);
	if (r < 0)
		return r;
	if (peer == NULL || sodium_memcmp(peer, person, 32) != 0)
		return ATT_EAUTH;
	if (sodium_memcmp(person, keys_person_pk(d->keys), 32) == 0)
		return ATT_EEXIST;
	r = msg_get_strz(root, "name", out->name, sizeof out->name);
	if (r >= 0 && out->name[0] == '\0')
		r = ATT_EINVAL;
	if (r >= 0)
		r = msg_get_array(root, "devs", DEVLIST_DEVICES_MAX, &devs, &n);
	if (r < 0)
		return r;
	memcpy(out->person, person, 32);
	out->added = (uint64_t)time(NULL);
	r = store_begin(d->store);
	if (r < 0)
		return r;
	r = store_partner_put(d->store, out);
	if (r >= 0)
		r = inbox_add_devices(s, out->person, devs, n);
	if (r >= 0 && (store_kv_get_str(d->store, SYNC_KV_RELAY, relay, sizeof relay) < 0 ||
	               relay[0] == '\0') && d->config.relay[0] == '\0') {
		r = store_kv_set_str(d->store, SYNC_KV_RELAY, relay_str);
		*restart = 1;
	}
	if (r >= 0 && (store_kv_get_str(d->store, SYNC_KV_REGISTERED, reg, sizeof reg) < 0 ||
	               strcmp(reg, "1") != 0) &&
	    msg_get_strz(root, "invite", invite, sizeof invite) == 0) {
		r = store_kv_set_str(d->store, SYNC_KV_INVITE, invite);
		*restart = 1;
	}
	sodium_memzero(invite, sizeof invite);
	if (r >= 0)
		r = outbox_tell_own_partner(s, out);
	if (r >= 0)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
	return r;
}

/* The new device of a link: become this person's device, take over partners, announce ourselves. */
int
intro_take_link(struct sync *s, struct daemon *d, const uint8_t *peer,
                const msgpack_object *root, struct keys *newdev)
{
	const uint8_t *person;
	const msgpack_object *devs, *parts;
	char name[STORE_NAME_MAX + 1], relay[ADDR_STR_MAX], invite[256];
	size_t ndev, npart, i;
	int r;

	r = msg_get_bin_exact(root, "person", 32, &person);
	if (r < 0)
		return r;
	/* The identity device stood in the PAKE with the person key itself. */
	if (peer == NULL || sodium_memcmp(peer, person, 32) != 0)
		return ATT_EAUTH;
	r = msg_get_strz(root, "name", name, sizeof name);
	if (r >= 0)
		r = msg_get_strz(root, "relay", relay, sizeof relay);
	if (r >= 0)
		r = msg_get_array(root, "devs", DEVLIST_DEVICES_MAX, &devs, &ndev);
	if (r >= 0)
		r = msg_get_array(root, "partners", 256, &parts, &npart);
	if (r >= 0)
		r = identity_create_linked(d, name, newdev, person);
	if (r < 0)
		return r;
	r = store_begin(d->store);
	if (r < 0)
		return r;
	r = store_kv_set_str(d->store, SYNC_KV_RELAY, relay);
	if (r >= 0 && msg_get_strz(root, "invite", invite, sizeof invite) == 0)
		r = store_kv_set_str(d->store, SYNC_KV_INVITE, invite);
	sodium_memzero(invite, sizeof invite);
	if (r >= 0)
		r = inbox_add_devices(s, keys_person_pk(d->keys), devs, ndev);
	for (i = 0; r >= 0 && i < npart; i++) {
		struct store_partner sp;
		const msgpack_object *pd;
		const uint8_t *ppk;
		size_t npd;

		memset(&sp, 0, sizeof sp);
		r = msg_get_strz(&parts[i], "name", sp.name, sizeof sp.name);
		if (r >= 0)
			r = msg_get_bin_exact(&parts[i], "person", 32, &ppk);
		if (r >= 0)
			r = msg_get_array(&parts[i], "devs", DEVLIST_DEVICES_MAX, &pd, &npd);
		if (r < 0)
			break;
		memcpy(sp.person, ppk, 32);
		sp.added = (uint64_t)time(NULL);
		r = store_partner_put(d->store, &sp);
		if (r >= 0)
			r = inbox_add_devices(s, sp.person, pd, npd);
	}
	if (r >= 0)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
	if (r >= 0)
		sync_restart(s);
	return r;
}


int
intro_take_newdev(struct daemon *d, const uint8_t *peer, const msgpack_object *root,
                  struct store_device *out)
{
	const uint8_t *sign, *dh, *relay, *sig;
	uint8_t in[INTRO_NEWDEV_SIGIN];
	struct x3dh_devrec rec;
	struct store_device known;
	uint64_t created;
	int r;

	memset(out, 0, sizeof *out);
	if (keys_person_sk(d->keys) == NULL)
		return ATT_EPERM;
	if ((r = msg_get_bin_exact(root, "sign", 32, &sign)) < 0 ||
	    (r = msg_get_bin_exact(root, "dh", 32, &dh)) < 0 ||
	    (r = msg_get_bin_exact(root, "relay", 32, &relay)) < 0 ||
	    (r = msg_get_uint(root, "created", UINT64_MAX, &created)) < 0 ||
	    (r = msg_get_bin_exact(root, "sig", 64, &sig)) < 0)
		return r;
	/* Its PAKE identity is its sign key, and it holds that key. */
	if (peer == NULL || sodium_memcmp(peer, sign, 32) != 0)
		return ATT_EAUTH;
	newdev_sig_input(in, sign, dh, relay, created);
	if (crypto_sign_ed25519_verify_detached(sig, in, sizeof in, sign) != 0)
		return ATT_EAUTH;
	/* A key we already know (a revoked device included) never comes back this way. */
	r = store_device_get(d->store, relay, &known);
	if (r == 0)
		return ATT_EEXIST;
	if (r != ATT_ENOTFOUND)
		return r;
	memcpy(rec.person_pk, keys_person_pk(d->keys), 32);
	memcpy(rec.sign_pk, sign, 32);
	memcpy(rec.dh_pk, dh, 32);
	memcpy(rec.relay_pk, relay, 32);
	rec.created = created;
	r = x3dh_devrec_make(out->record, &rec, keys_person_sk(d->keys));
	if (r < 0)
		return r;
	out->record_len = X3DH_DEVREC_LEN;
	memcpy(out->relay, relay, 32);
	memcpy(out->person, rec.person_pk, 32);
	out->added = (uint64_t)time(NULL);
	return 0;
}
