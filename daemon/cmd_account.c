/*
 * Account requests: init, pair, link, revoke, unpair, wipe, unlock and
 * passphrase.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/call.h"
#include "daemon/cmd_account.h"
#include "daemon/ctx.h"
#include "daemon/identity.h"
#include "daemon/keys.h"
#include "daemon/outbox.h"
#include "daemon/pairing.h"
#include "daemon/paths.h"
#include "daemon/raincheck.h"
#include "daemon/store.h"
#include "daemon/sync.h"
#include "proto/addr.h"
#include "proto/err.h"
#include "proto/msg.h"

int
cmd_account_init(struct call *k)
{
	struct daemon *d = k->d;
	char name[STORE_NAME_MAX + 1], relay[CONFIG_RELAY_MAX], invite[65], dev[KEYS_DEVICE_ID_LEN + 1];
	char why[160];
	struct addr a;
	int r;

	if (daemon_initialised(d) || d->keys != NULL)
		return call_fail(k, "already-initialised", "this device is already set up%s%s",
		    d->name[0] ? " as " : "", d->name);
	r = msg_get_strz(k->m, "name", name, sizeof(name));
	if (r == ATT_ESTRLONG)
		return call_fail(k, "out-of-range", "the name is longer than %d bytes", STORE_NAME_MAX);
	if (r != 0)
		return call_fail_field(k, r, "name");
	if (name[0] == '\0' || strspn(name, " ") == strlen(name))
		return call_fail(k, "out-of-range", "the name must not be empty");
	r = msg_get_strz(k->m, "relay", relay, sizeof(relay));
	if (r == ATT_EMISSING)
		snprintf(relay, sizeof(relay), "%s", d->config.relay);
	else if (r != 0)
		return call_fail_field(k, r, "relay");
	if (relay[0] != '\0' && addr_parse_ex(&a, relay, why, sizeof(why)) != 0)
		return call_fail(k, "bad-address", "relay address: %s", why);
	r = msg_get_strz(k->m, "invite", invite, sizeof(invite));
	if (r == ATT_EMISSING)
		invite[0] = '\0';
	else if (r != 0)
		return call_fail_field(k, r, "invite");
	r = identity_create(d, name, NULL);
	if (r != 0)
		return call_fail(k, "io-error", "could not create the keys and the store: %s", att_strerror(r));
	if ((relay[0] != '\0' && store_kv_set_str(d->store, "relay", relay) != 0) ||
	    (invite[0] != '\0' && store_kv_set_str(d->store, "invite", invite) != 0))
		return call_fail(k, "io-error", "could not save the relay settings");
	{
		const char *pass;
		size_t plen;

		r = msg_get_str(k->m, "passphrase", 1024, &pass, &plen);
		if (r == 0 && plen > 0 && keys_set_passphrase(d->keys, d->paths.keys_dir, pass, plen) != 0)
			return call_fail(k, "io-error", "could not protect the storage key with the passphrase");
	}
	if (d->sync != NULL)
		sync_start(d->sync);
	keys_device_id(d->keys, dev);
	msg_out_begin(k->out, "ok", k->id, 1);
	msg_out_str(k->out, "device", dev);
	return 0;
}

/* The "only" map: field name -> [partner name], each within the audience. */
static int
pair_common(struct call *k, int link)
{
	char code[128], relay[CONFIG_RELAY_MAX], why[160];
	struct api_req *req;
	struct addr a;
	int have_code, have_relay, r;

	r = msg_get_strz(k->m, "code", code, sizeof(code));
	if (r != 0 && r != ATT_EMISSING)
		return call_fail_field(k, r, "code");
	have_code = r == 0;
	r = msg_get_strz(k->m, "relay", relay, sizeof(relay));
	if (r != 0 && r != ATT_EMISSING)
		return call_fail_field(k, r, "relay");
	have_relay = r == 0;
	if (have_relay && addr_parse_ex(&a, relay, why, sizeof(why)) != 0)
		return call_fail(k, "bad-address", "relay address: %s", why);
	if (k->d->keys != NULL && keys_locked(k->d->keys))
		return call_fail(k, "locked", "the history is locked by a passphrase: run `attune unlock`");
	/* Joining with link is how a fresh device gets its identity; all else needs init. */
	if (!daemon_initialised(k->d) && !(link && have_code))
		return call_fail(k, "not-initialised", "this device is not set up yet: run `attune init --name NAME`");
	if (daemon_initialised(k->d) && link && have_code)
		return call_fail(k, "already-initialised", "this device already has an identity; "
		    "run `attune link CODE` on the new device");
	if (k->d->sync == NULL)
		return call_fail(k, "relay-unreachable", "pairing is not available in this build");
	req = api_req_hold(k);
	if (req == NULL)
		return call_fail(k, "no-memory", "out of memory");
	r = pairing_start(k->d->sync, k->d, req, link, have_code ? code : NULL, have_relay ? relay : NULL);
	if (r != 0) {
		api_req_release(req);
		return call_fail(k, att_errcode(r), "pairing could not start: %s", att_strerror(r));
	}
	msg_out_reset(k->out);   /* sync replies through req */
	return 0;
}

int
cmd_account_pair(struct call *k)
{
	return pair_common(k, 0);
}

int
cmd_account_link(struct call *k)
{
	return pair_common(k, 1);
}

int
cmd_account_revoke(struct call *k)
{
	struct store_device *ds;
	char want[KEYS_DEVICE_ID_LEN + 1], id[KEYS_DEVICE_ID_LEN + 1];
	size_t nd, i;
	int r;

	/* Lists are signed by the person key, and only the identity device holds it. */
	if (!keys_is_identity(k->d->keys))
		return call_fail(k, "not-allowed", "only your identity device (where you ran "
		    "attune init) can revoke devices: run attune revoke there");
	r = msg_get_strz(k->m, "device", want, sizeof(want));
	if (r == ATT_ESTRLONG)
		return call_fail(k, "not-found", "no device has that id: see attune devices");
	if (r != 0)
		return call_fail_field(k, r, "device");
	if (store_device_list(k->d->store, keys_person_pk(k->d->keys), &ds, &nd) != 0)
		return call_fail(k, "io-error", "cannot read the device list");
	for (i = 0; i < nd; i++) {
		keys_device_id_of(ds[i].relay, id);
		if (strcmp(id, want) == 0)
			break;
	}
	if (i == nd) {
		free(ds);
		return call_fail(k, "not-found", "no device of yours has the id %s: see attune devices", want);
	}
	if (memcmp(ds[i].relay, keys_relay_pk(k->d->keys), 32) == 0) {
		free(ds);
		return call_fail(k, "not-allowed", "this is the device you are on: revoke it from another one, "
		    "or use attune wipe here");
	}
	if (k->d->sync != NULL && (r = outbox_send_revocation(k->d->sync, ds[i].relay)) != 0) {
		free(ds);
		return call_fail(k, att_errcode(r), "could not publish the new device list: %s", att_strerror(r));
	}
	ds[i].revoked = 1;
	r = store_device_put(k->d->store, &ds[i]);
	if (r == 0)
		r = store_session_remove(k->d->store, ds[i].relay);
	free(ds);
	if (r != 0)
		return call_fail(k, "io-error", "could not save the revocation");
	msg_out_begin(k->out, "ok", k->id, 0);
	return 0;
}

int
cmd_account_unpair(struct call *k)
{
	struct store_partner p;
	char name[STORE_NAME_MAX + 1];
	int tell = 0, r;

	r = msg_get_strz(k->m, "name", name, sizeof(name));
	if (r != 0 && r != ATT_ESTRLONG)
		return call_fail_field(k, r, "name");
	if (r != 0 || store_partner_by_name(k->d->store, name, &p) != 0)
		return call_fail(k, "unknown-partner", "no partner has that name: see attune partners");
	r = msg_get_bool(k->m, "tell", &tell);
	if (r != 0 && r != ATT_EMISSING)
		return call_fail_field(k, r, "tell");
	if (k->d->sync != NULL && (r = outbox_send_unpair(k->d->sync, p.person, tell)) != 0)
		return call_fail(k, att_errcode(r), "could not end the partnership: %s", att_strerror(r));
	r = store_begin(k->d->store);
	if (r == 0)
		r = store_partner_remove(k->d->store, p.person);
	if (r == 0)
		r = store_event_remove_author(k->d->store, p.person);
	if (r != 0) {
		store_rollback(k->d->store);
		return call_fail(k, "io-error", "could not remove the partner's data");
	}
	if (store_commit(k->d->store) != 0)
		return call_fail(k, "io-error", "could not remove the partner's data");
	msg_out_begin(k->out, "ok", k->id, 0);
	return 0;
}

static void
unlink_db(const char *db)
{
	char p[4200];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", db);
	unlink(p);
}

int
cmd_account_wipe(struct call *k)
{
	struct daemon *d = k->d;
	int confirm = 0;

	if (d->keys == NULL)
		return call_fail(k, "not-initialised", "there is nothing to wipe on this device");
	if (msg_get_bool(k->m, "confirm", &confirm) != 0 || !confirm)
		return call_fail(k, "not-allowed", "wipe needs \"confirm\": true");
	/* Nothing is sent to anyone: stop the network first. */
	pairing_cancel_all(d);
	if (d->sync != NULL)
		sync_stop(d->sync);
	/* Keys first: without storage.key what remains is noise. */
	keys_destroy(d->paths.keys_dir);
	keys_free(d->keys);
	d->keys = NULL;
	store_close(d->store);
	d->store = NULL;
	unlink_db(d->paths.db_file);
	rmdir(d->paths.keys_dir);
	rmdir(d->paths.data_dir);
	d->name[0] = '\0';
	msg_out_begin(k->out, "ok", k->id, 0);
	k->quit_after_reply = 1;
	return 0;
}

/* Opens the store once the storage key is known (after unlock) and starts what needs it. */
static int
open_store_now(struct daemon *d)
{
	int r = identity_open_store(d);

	if (r != 0)
		return r;
	if (d->sync != NULL)
		sync_start(d->sync);
	if (d->raincheck != NULL)
		raincheck_schedule(d->raincheck);
	return 0;
}

int
cmd_account_unlock(struct call *k)
{
	struct daemon *d = k->d;
	const char *pass;
	size_t len;
	int r;

	if (d->keys == NULL)
		return call_fail(k, "not-initialised", "this device is not set up yet: run `attune init --name NAME`");
	if (!keys_locked(d->keys)) {
		msg_out_begin(k->out, "ok", k->id, 0);
		return 0;
	}
	r = msg_get_str(k->m, "passphrase", 1024, &pass, &len);
	if (r != 0)
		return call_fail_field(k, r, "passphrase");
	r = keys_unlock(d->keys, pass, len);
	if (r == ATT_EAUTH)
		return call_fail(k, "wrong-passphrase", "that passphrase does not unlock this device");
	if (r != 0)
		return call_fail(k, att_errcode(r), "cannot unlock: %s", att_strerror(r));
	r = open_store_now(d);
	if (r != 0)
		return call_fail(k, "io-error", "cannot open the store: %s", att_strerror(r));
	msg_out_begin(k->out, "ok", k->id, 0);
	return 0;
}

/*
 * Sets, changes or (empty) removes the passphrase that locks every key file
 * at start; "current" must be the passphrase in force, if any.
 */
int
cmd_account_passphrase(struct call *k)
{
	const char *pass = "";
	size_t len = 0;
	int r = msg_get_str(k->m, "passphrase", 1024, &pass, &len);

	if (r != 0 && r != ATT_EMISSING)
		return call_fail_field(k, r, "passphrase");
	if (len == 0 && !keys_has_passphrase(k->d->keys))
		return call_fail(k, "no-passphrase", "there is no passphrase: nothing to remove");
	/* Changing or removing one needs the current one: a passer-by at an unlocked session cannot. */
	if (keys_has_passphrase(k->d->keys)) {
		const char *cur = "";
		size_t clen = 0;

		r = msg_get_str(k->m, "current", 1024, &cur, &clen);
		if (r != 0 && r != ATT_EMISSING)
			return call_fail_field(k, r, "current");
		r = keys_check_passphrase(k->d->keys, cur, clen);
		if (r == ATT_EAUTH)
			return call_fail(k, "wrong-passphrase", "that is not the current passphrase: "
			    "nothing changed");
		if (r != 0)
			return call_fail(k, att_errcode(r), "cannot check the passphrase: %s",
			    att_strerror(r));
	}
	r = keys_set_passphrase(k->d->keys, k->d->paths.keys_dir, pass, len);
	if (r != 0)
		return call_fail(k, "io-error", "could not write the storage key: %s", att_strerror(r));
	msg_out_begin(k->out, "ok", k->id, 1);
	msg_out_bool(k->out, "locked_at_start", len > 0);
	return 0;
}

