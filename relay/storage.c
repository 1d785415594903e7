#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "relay/pgstore.h"
#include "relay/storage.h"

/*
 * SQLite lives here (it is relaydb plus the group commit of commit.c: a
 * writer connection for the worker thread, a reader for the loop);
 * PostgreSQL is pgstore.c. Every call is one switch on which one is open.
 */
struct storage {
	struct pgstore *pg;             /* non-NULL: PostgreSQL */
	struct relaydb *writer, *reader;
	struct commit *commit;
};

int
storage_is_url(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

int
storage_open(struct storage **out, uv_loop_t *loop, const char *where, char *why, size_t why_cap)
{
	struct storage *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		snprintf(why, why_cap, "out of memory");
		return ATT_ENOMEM;
	}
	if (storage_is_url(where))
		r = pgstore_open(&s->pg, loop, where, why, why_cap);
	else if ((r = relaydb_open(&s->writer, where, why, why_cap)) == 0 && loop != NULL &&
	    (r = relaydb_open(&s->reader, where, why, why_cap)) == 0 &&
	    (s->commit = commit_new(loop, s->writer)) == NULL) {
		snprintf(why, why_cap, "out of memory");
		r = ATT_ENOMEM;
	}
	if (r < 0) {
		storage_close(s);
		return r;
	}
	*out = s;
	return 0;
}

void
storage_close(struct storage *s)
{
	if (s == NULL)
		return;
	pgstore_close(s->pg);
	if (s->commit != NULL)
		commit_free(s->commit);
	relaydb_close(s->reader);
	relaydb_close(s->writer);
	free(s);
}

void
storage_set_log(struct storage *s, const struct log *log)
{
	if (s->pg != NULL)
		pgstore_set_log(s->pg, log);
}

const char *
storage_backend(const struct storage *s)
{
	return s->pg != NULL ? "postgresql" : "sqlite";
}

int
storage_shared(const struct storage *s)
{
	return s->pg != NULL;
}

/* ---- SQLite writes: each op is a commit_op run by the worker ---- */

static int
sq_put(struct relaydb *db, struct storage_op *o)
{
	size_t i;
	int r;

	for (i = 0; i < o->u.put.n; i++) {
		struct storage_item *it = &o->u.put.items[i];

		if ((r = relaydb_put(db, o->dev, it->to, it->env, it->len, o->u.put.ts, &o->u.put.q,
		    &it->seq)) < 0)
			return r;
	}
	return 0;
}

static int
sq_ack(struct relaydb *db, struct storage_op *o)
{
	size_t i;
	int r;

	for (i = 0; i < o->u.ack.n; i++)
		if ((r = relaydb_ack(db, o->dev, o->u.ack.seq[i])) < 0)
			return r;
	return 0;
}

static int
sq_invite(struct relaydb *db, struct storage_op *o)
{
	int n = relaydb_invite_count_by(db, o->dev, o->u.inv.now - 86400);

	if (n < 0)
		return n;
	if ((uint64_t)n >= o->u.inv.per_day)
		return ATT_ELIMIT;
	return relaydb_invite_create(db, o->u.inv.token, o->dev, o->u.inv.uses, o->u.inv.expires,
	    o->u.inv.now);
}

static int
sq_run(struct commit_op *cop, struct relaydb *db)
{
	struct storage_op *o = (struct storage_op *)cop;

	switch (o->kind) {
	case STORAGE_REGISTER:
		return relaydb_register(db, o->dev, o->u.reg.token, o->u.reg.len, o->u.reg.now);
	case STORAGE_INVITE:
		return sq_invite(db, o);
	case STORAGE_PUT:
		return sq_put(db, o);
	case STORAGE_ACK:
		return sq_ack(db, o);
	case STORAGE_PREKEYS:
		return relaydb_prekeys_set(db, o->dev, o->u.pk.spk, o->u.pk.spk_len, o->u.pk.otk,
		    o->u.pk.otk_len, o->u.pk.n, o->u.pk.otk_max);
	case STORAGE_PREKEY_GET:
		return relaydb_prekey_get(db, o->dev, o->u.pkget.spk, o->u.pkget.spk_cap,
		    &o->u.pkget.spk_len, o->u.pkget.otk, o->u.pkget.otk_cap, &o->u.pkget.otk_len);
	case STORAGE_EXPIRE:
		o->u.expire.n = relaydb_expire(db, o->u.expire.before, o->u.expire.max);
		return o->u.expire.n < 0 ? o->u.expire.n : 0;
	}
	return ATT_EINVAL;
}

static void
sq_done(struct commit_op *cop)
{
	struct storage_op *o = (struct storage_op *)cop;

	o->result = cop->result;
	o->done(o);
}

void
storage_submit(struct storage *s, struct storage_op *o)
{
	if (s->pg != NULL) {
		pgstore_submit(s->pg, o);
		return;
	}
	o->cop.run = sq_run;
	o->cop.done = sq_done;
	o->cop.savepoint = o->savepoint;
	commit_submit(s->commit, &o->cop);
}

int
storage_idle(const struct storage *s)
{
	return s->pg != NULL ? pgstore_idle(s->pg) : commit_idle(s->commit);
}

void
storage_on_idle(struct storage *s, void (*cb)(void *), void *arg)
{
	if (s->pg != NULL)
		pgstore_on_idle(s->pg, cb, arg);
	else
		commit_on_idle(s->commit, cb, arg);
}

void
storage_counts(const struct storage *s, uint64_t *batches, uint64_t *ops, int *connected)
{
	if (s->pg != NULL) {
		pgstore_counts(s->pg, batches, ops, connected);
		return;
	}
	commit_counts(s->commit, batches, ops);
	*connected = 1;
}

/* ---- reads ---- */

void
storage_fetch(struct storage *s, const uint8_t dev[STORAGE_KEYLEN], uint64_t after, size_t max,
    storage_row_fn row, void (*end)(void *, int), void *arg)
{
	if (s->pg != NULL)
		pgstore_fetch(s->pg, dev, after, max, row, end, arg);
	else
		end(arg, relaydb_fetch(s->reader, dev, after, max, row, arg));
}

void
storage_registered(struct storage *s, const uint8_t dev[STORAGE_KEYLEN], void (*cb)(void *, int),
    void *arg)
{
	if (s->pg != NULL)
		pgstore_registered(s->pg, dev, cb, arg);
	else
		cb(arg, relaydb_is_registered(s->reader, dev));
}

void
storage_prekey_count(struct storage *s, const uint8_t dev[STORAGE_KEYLEN], void (*cb)(void *, int),
    void *arg)
{
	if (s->pg != NULL)
		pgstore_prekey_count(s->pg, dev, cb, arg);
	else
		cb(arg, relaydb_prekey_count(s->reader, dev));
}

void
storage_on_mailbox(struct storage *s, void (*fn)(void *, const uint8_t *), void *arg)
{
	if (s->pg != NULL)
		pgstore_on_mailbox(s->pg, fn, arg);
}

void
storage_on_reconnect(struct storage *s, void (*fn)(void *), void *arg)
{
	if (s->pg != NULL)
		pgstore_on_reconnect(s->pg, fn, arg);
}

/* ---- blocking ---- */

int
storage_devices_each(struct storage *s, int (*fn)(const uint8_t *, void *), void *arg)
{
	if (s->pg != NULL)
		return pgstore_devices_each(s->pg, fn, arg);
	return relaydb_devices_each(s->reader != NULL ? s->reader : s->writer, fn, arg);
}

int
storage_invite_create(struct storage *s, char token[RELAYDB_TOKEN_MAX + 1], uint64_t uses,
    uint64_t expires, uint64_t now)
{
	if (s->pg != NULL)
		return pgstore_invite_create(s->pg, token, uses, expires, now);
	return relaydb_invite_create(s->writer, token, NULL, uses, expires, now);
}

int
storage_totals(struct storage *s, uint64_t *devices, uint64_t *envelopes, uint64_t *bytes,
    uint64_t *invites)
{
	if (s->pg != NULL)
		return pgstore_totals(s->pg, devices, envelopes, bytes, invites);
	return relaydb_totals(s->reader != NULL ? s->reader : s->writer, devices, envelopes, bytes,
	    invites);
}

int
storage_schema_version(struct storage *s)
{
	return s->pg != NULL ? pgstore_schema_version(s->pg) : 1;
}
