/*
 * The devices table: the partners' devices and our own, one sealed row per
 * device, found by a keyed hash of its relay key.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store.h"
#include "daemon/store_int.h"
#include "proto/be.h"
#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"

/* ---- devices: body = relay(32) person(32) revoked(1) added(8) len(2) record ---- */

static int
device_decode(const uint8_t *pt, size_t pl, struct store_device *d)
{
	size_t rl;

	if (pl < 75)
		return ATT_ECORRUPT;
	rl = be_get16(pt + 73);
	if (rl > STORE_RECORD_MAX || pl != 75 + rl)
		return ATT_ECORRUPT;
	memset(d, 0, sizeof(*d));
	memcpy(d->relay, pt, 32);
	memcpy(d->person, pt + 32, 32);
	d->revoked = pt[64] != 0;
	d->added = be_get64(pt + 65);
	d->record_len = rl;
	memcpy(d->record, pt + 75, rl);
	return 0;
}

static int
device_decode_elem(const uint8_t *pt, size_t pl, void *elem)
{
	return device_decode(pt, pl, elem);
}

int
store_device_put(struct store *st, const struct store_device *d)
{
	uint8_t rid[RID_LEN], owner[RID_LEN], buf[75 + STORE_RECORD_MAX];
	int r;

	if (d->record_len > STORE_RECORD_MAX)
		return ATT_ETOOBIG;
	store_rid(st, rid, "device", d->relay, 32);
	store_rid(st, owner, "person", d->person, 32);
	memcpy(buf, d->relay, 32);
	memcpy(buf + 32, d->person, 32);
	buf[64] = d->revoked ? 1 : 0;
	be_put64(buf + 65, d->added);
	be_put16(buf + 73, (uint16_t)d->record_len);
	memcpy(buf + 75, d->record, d->record_len);
	r = store_put_sealed(st, "devices", rid, buf, 75 + d->record_len,
	    "INSERT OR REPLACE INTO devices (rid, body, owner) VALUES (?, ?, ?)", owner, RID_LEN);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int
store_device_get(struct store *st, const uint8_t relay[32], struct store_device *out)
{
	return store_get_decoded(st, "devices", "device", relay, device_decode_elem, out);
}

int
store_device_list(struct store *st, const uint8_t *person, struct store_device **out, size_t *n)
{
	uint8_t owner[RID_LEN];
	sqlite3_stmt *s = store_prep(st, person != NULL ?
	    "SELECT rid, body FROM devices WHERE owner = ?" : "SELECT rid, body FROM devices");
	void *list;
	size_t cnt;
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return ATT_EIO;
	if (person != NULL) {
		store_rid(st, owner, "person", person, 32);
		sqlite3_bind_blob(s, 1, owner, RID_LEN, SQLITE_STATIC);
	}
	r = store_collect(st, s, "devices", sizeof(**out), device_decode_elem, &list, &cnt);
	if (r != 0)
		return r;
	*out = list;
	*n = cnt;
	return 0;
}

int
store_device_remove(struct store *st, const uint8_t relay[32])
{
	uint8_t rid[RID_LEN];

	store_rid(st, rid, "device", relay, 32);
	return store_del_rid(st, "devices", rid);
}

