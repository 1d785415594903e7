/*
 * Building and taking in pairing and link introductions (see intro.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/addr.h"
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

/* Appends our own non-revoked device records as an array under key "devs". */
static int
pack_devs(struct daemon *d, struct msg_out *o, const uint8_t person[32])
{
	struct store_device *devs = NULL;
	size_t n = 0, i, k = 0;
	int r = store_device_list(d->store, person, &devs, &n);

	if (r < 0)
		return r;
	for (i = 0; i < n; i++)
		k += !devs[i].revoked;
	msg_out_key(o, "devs");
	msgpack_pack_array(&o->pk, k);
	for (i = 0; i < n; i++) {
		if (devs[i].revoked)
			continue;
		msgpack_pack_bin(&o->pk, devs[i].record_len);
		msgpack_pack_bin_body(&o->pk, devs[i].record, devs[i].record_len);
	}
	free(devs);
	return 0;
}

int
intro_build(struct daemon *d, struct msg_out *o, int link, int initiator,
            const char *relay, const char *invite, int partners_later)
{
	int inv = invite[0] != '\0';
	int r;

	msg_out_reset(o);
	if (link && !initiator) {
		msg_out_begin(o, "intro", 0, 1);
		msg_out_str(o, "kind", "link");
		return 0;
	}
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
		msg_out_bin(o, "person_sk", keys_person_sk(d->keys), 64);
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

/* The new device of a link: become this person, take over partners, announce ourselves. */
int
intro_take_link(struct sync *s, struct daemon *d, const uint8_t *peer,
                const msgpack_object *root)
{
	uint8_t *sk, pk[32];
	const uint8_t *b;
	const msgpack_object *devs, *parts;
	char name[STORE_NAME_MAX + 1], relay[ADDR_STR_MAX], invite[256];
	size_t ndev, npart, i;
	int r;

	r = msg_get_bin_exact(root, "person_sk", 64, &b);
	if (r < 0)
		return r;
	sk = sodium_malloc(64);
	if (sk == NULL)
		return ATT_ENOMEM;
	memcpy(sk, b, 64);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	if (peer == NULL || sodium_memcmp(peer, pk, 32) != 0) {
		sodium_free(sk);
		return ATT_EAUTH;
	}
	r = msg_get_strz(root, "name", name, sizeof name);
	if (r >= 0)
		r = msg_get_strz(root, "relay", relay, sizeof relay);
	if (r >= 0)
		r = msg_get_array(root, "devs", DEVLIST_DEVICES_MAX, &devs, &ndev);
	if (r >= 0)
		r = msg_get_array(root, "partners", 256, &parts, &npart);
	if (r >= 0)
		r = identity_create(d, name, sk);
	sodium_free(sk);
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
		const uint8_t *person;
		size_t npd;

		memset(&sp, 0, sizeof sp);
		r = msg_get_strz(&parts[i], "name", sp.name, sizeof sp.name);
		if (r >= 0)
			r = msg_get_bin_exact(&parts[i], "person", 32, &person);
		if (r >= 0)
			r = msg_get_array(&parts[i], "devs", DEVLIST_DEVICES_MAX, &pd, &npd);
		if (r < 0)
			break;
		memcpy(sp.person, person, 32);
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

