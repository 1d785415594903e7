/*
 * The partners table: one sealed row per partner, found by a keyed hash of
 * the person key and (unique) by a keyed hash of the display name.
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

/* ---- partners: body = person(32) added(8) last_seen(8) name ---- */

static int
partner_decode(const uint8_t *pt, size_t pl, struct store_partner *p)
{
	if (pl < 48 || pl - 48 > STORE_NAME_MAX)
		return ATT_ECORRUPT;
	memset(p, 0, sizeof(*p));
	memcpy(p->person, pt, 32);
	p->added = be_get64(pt + 32);
	p->last_seen = be_get64(pt + 40);
	memcpy(p->name, pt + 48, pl - 48);
	p->name[pl - 48] = '\0';
	return 0;
}

static int
partner_decode_elem(const uint8_t *pt, size_t pl, void *elem)
{
	return partner_decode(pt, pl, elem);
}

static int
store_partner_write(struct store *st, const struct store_partner *p)
{
	uint8_t rid[RID_LEN], nid[RID_LEN], buf[48 + STORE_NAME_MAX];
	size_t nl = strlen(p->name);
	int r;

	if (nl == 0 || nl > STORE_NAME_MAX)
		return ATT_EINVAL;
	store_rid(st, rid, "person", p->person, 32);
	store_rid(st, nid, "name", p->name, nl);
	memcpy(buf, p->person, 32);
	be_put64(buf + 32, p->added);
	be_put64(buf + 40, p->last_seen);
	memcpy(buf + 48, p->name, nl);
	r = store_put_sealed(st, "partners", rid, buf, 48 + nl,
	    "INSERT OR REPLACE INTO partners (rid, body, nid) VALUES (?, ?, ?)", nid, RID_LEN);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int
store_partner_put(struct store *st, struct store_partner *p)
{
	struct store_partner other;
	char base[STORE_NAME_MAX + 1], cand[STORE_NAME_MAX + 1];
	int r, i;

	if (strlen(p->name) == 0 || strlen(p->name) > STORE_NAME_MAX)
		return ATT_EINVAL;
	snprintf(base, sizeof(base), "%s", p->name);
	snprintf(cand, sizeof(cand), "%s", base);
	for (i = 2; ; i++) {
		r = store_partner_by_name(st, cand, &other);
		if (r == ATT_ENOTFOUND || (r == 0 && sodium_memcmp(other.person, p->person, 32) == 0))
			break;
		if (r != 0)
			return r;
		if (i > 999)
			return ATT_ELIMIT;
		{
			char suf[16];
			size_t sl = (size_t)snprintf(suf, sizeof(suf), " (%d)", i);
			size_t bl = strlen(base);

			if (bl + sl > STORE_NAME_MAX)
				bl = STORE_NAME_MAX - sl;
			snprintf(cand, sizeof(cand), "%.*s%s", (int)bl, base, suf);
		}
	}
	snprintf(p->name, sizeof(p->name), "%s", cand);
	r = store_begin(st);
	if (r != 0)
		return r;
	/* The name may have changed: drop the old row first (its nid differs). */
	{
		uint8_t rid[RID_LEN];

		store_rid(st, rid, "person", p->person, 32);
		r = store_del_rid(st, "partners", rid);
	}
	if (r == 0)
		r = store_partner_write(st, p);
	return store_end(st, r);
}

int
store_partner_get(struct store *st, const uint8_t person[32], struct store_partner *out)
{
	return store_get_decoded(st, "partners", "person", person, partner_decode_elem, out);
}

int
store_partner_by_name(struct store *st, const char *name, struct store_partner *out)
{
	uint8_t nid[RID_LEN], *pt;
	size_t pl;
	sqlite3_stmt *s = store_prep(st, "SELECT rid, body FROM partners WHERE nid = ?");
	int r;

	if (s == NULL)
		return ATT_EIO;
	store_rid(st, nid, "name", name, strlen(name));
	sqlite3_bind_blob(s, 1, nid, RID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(s);
		return r == SQLITE_DONE ? ATT_ENOTFOUND : ATT_EIO;
	}
	if (sqlite3_column_bytes(s, 0) != RID_LEN) {
		sqlite3_finalize(s);
		return ATT_ECORRUPT;
	}
	r = store_open_body(st, "partners", sqlite3_column_blob(s, 0), RID_LEN,
	    sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), &pt, &pl);
	sqlite3_finalize(s);
	if (r != 0)
		return r;
	r = partner_decode(pt, pl, out);
	store_blob_free(pt, pl);
	return r;
}

static int
partner_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_partner *)a)->name, ((const struct store_partner *)b)->name);
}
int
store_partner_list(struct store *st, struct store_partner **out, size_t *n)
{
	sqlite3_stmt *s = store_prep(st, "SELECT rid, body FROM partners");
	void *list;
	size_t cnt;
	int r;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return ATT_EIO;
	r = store_collect(st, s, "partners", sizeof(**out), partner_decode_elem, &list, &cnt);
	if (r != 0)
		return r;
	if (cnt > 1)
		qsort(list, cnt, sizeof(**out), partner_cmp);
	*out = list;
	*n = cnt;
	return 0;
}

int
store_partner_remove(struct store *st, const uint8_t person[32])
{
	struct store_device *devs = NULL;
	size_t nd = 0, i;
	uint8_t rid[RID_LEN];
	int r = store_begin(st);

	if (r != 0)
		return r;
	r = store_device_list(st, person, &devs, &nd);
	for (i = 0; r == 0 && i < nd; i++) {
		r = store_session_remove(st, devs[i].relay);
		if (r == 0)
			r = store_device_remove(st, devs[i].relay);
	}
	free(devs);
	if (r == 0) {
		store_rid(st, rid, "person", person, 32);
		r = store_del_rid(st, "partners", rid);
	}
	return store_end(st, r);
}

int
store_partner_seen(struct store *st, const uint8_t person[32], uint64_t ts)
{
	struct store_partner p;
	int r = store_partner_get(st, person, &p);

	if (r != 0)
		return r;
	if (ts <= p.last_seen)
		return 0;
	p.last_seen = ts;
	return store_partner_write(st, &p);
}

