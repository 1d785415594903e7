/*
 * Creating, loading and unlocking this device's identity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctx.h"
#include "daemon/devlist.h"
#include "daemon/identity.h"
#include "daemon/keys.h"
#include "daemon/paths.h"
#include "daemon/store.h"
#include "proto/err.h"
#include "proto/x3dh.h"

int
identity_create(struct daemon *d, const char *name, const uint8_t *person_sk)
{
	struct store_device dev;
	struct x3dh_devrec rec;
	struct keys *keys = NULL;
	struct store *st = NULL;
	int r;

	if (daemon_initialised(d))
		return ATT_EEXIST;
	if (paths_mkdir_private(d->paths.data_dir) != 0)
		return ATT_EIO;
	r = keys_create(&keys, d->paths.keys_dir, person_sk);
	if (r != 0)
		return r;
	r = store_open(&st, d->paths.db_file, keys_storage(keys));
	if (r != 0)
		goto fail;
	chmod(d->paths.db_file, 0600);
	memset(&dev, 0, sizeof(dev));
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.person_pk, keys_person_pk(keys), 32);
	memcpy(rec.sign_pk, keys_sign_pk(keys), 32);
	memcpy(rec.dh_pk, keys_dh_pk(keys), 32);
	memcpy(rec.relay_pk, keys_relay_pk(keys), 32);
	rec.created = (uint64_t)time(NULL);
	r = x3dh_devrec_make(dev.record, &rec, keys_person_sk(keys));
	if (r != 0)
		goto fail;
	dev.record_len = X3DH_DEVREC_LEN;
	memcpy(dev.relay, rec.relay_pk, 32);
	memcpy(dev.person, rec.person_pk, 32);
	dev.added = rec.created;
	if ((r = store_device_put(st, &dev)) != 0 ||
	    (r = store_kv_set_str(st, "name", name)) != 0)
		goto fail;
	d->keys = keys;
	d->store = st;
	snprintf(d->name, sizeof(d->name), "%s", name);
	return 0;
fail:
	store_close(st);
	keys_free(keys);
	keys_destroy(d->paths.keys_dir);
	unlink(d->paths.db_file);
	return r;
}

int
identity_create_linked(struct daemon *d, const char *name, struct keys *keys,
                       const uint8_t person_pk[32])
{
	struct store_device dev;
	struct store *st = NULL;
	int r;

	if (daemon_initialised(d))
		return ATT_EEXIST;
	if (paths_mkdir_private(d->paths.data_dir) != 0)
		return ATT_EIO;
	r = keys_save_linked(keys, d->paths.keys_dir, person_pk);
	if (r != 0)
		return r;
	r = store_open(&st, d->paths.db_file, keys_storage(keys));
	if (r != 0)
		goto fail;
	chmod(d->paths.db_file, 0600);
	/* Our record is certified by the identity device: it arrives with its next device list. */
	memset(&dev, 0, sizeof(dev));
	memcpy(dev.relay, keys_relay_pk(keys), 32);
	memcpy(dev.person, person_pk, 32);
	dev.added = (uint64_t)time(NULL);
	if ((r = store_device_put(st, &dev)) != 0 ||
	    (r = store_kv_set_str(st, "name", name)) != 0)
		goto fail;
	d->keys = keys;
	d->store = st;
	snprintf(d->name, sizeof(d->name), "%s", name);
	return 0;
fail:
	store_close(st);
	keys_destroy(d->paths.keys_dir);
	unlink(d->paths.db_file);
	return r;
}

int
identity_load(struct daemon *d)
{
	int r = keys_load(&d->keys, d->paths.keys_dir);

	if (r == ATT_ENOTFOUND)
		return 0;
	if (r != 0) {
		fprintf(stderr, "attuned: cannot read the keys in %s: %s\n", d->paths.keys_dir,
		    r == ATT_EPERM ? "a key file is readable by others (chmod 600 it)" : att_strerror(r));
		return r;
	}
	if (keys_locked(d->keys)) {
		fprintf(stderr, "attuned: the history is locked by a passphrase: run attune unlock\n");
		return 0;
	}
	r = identity_open_store(d);
	if (r != 0) {
		fprintf(stderr, "attuned: cannot open the store %s: %s\n", d->paths.db_file,
		    r == ATT_EDECRYPT ? "it was sealed with another key" : att_strerror(r));
		return r;
	}
	return 0;
}

int
identity_open_store(struct daemon *d)
{
	int r = store_open(&d->store, d->paths.db_file, keys_storage(d->keys));

	if (r != 0)
		return r;
	if (store_kv_get_str(d->store, "name", d->name, sizeof(d->name)) != 0)
		d->name[0] = '\0';
	{
		char v[24];

		d->revoked_at = store_kv_get_str(d->store, DEVLIST_KV_REVOKED, v, sizeof(v)) == 0 ?
		    strtoull(v, NULL, 10) : 0;
	}
	return 0;
}
