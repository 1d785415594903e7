#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "proto/b64.h"
#include "proto/err.h"
#include "relay/log.h"
#include "relay/pgstore.h"

/*
 * The schema, created (or brought up to PGSTORE_SCHEMA_VERSION) under an
 * advisory lock so two nodes starting together do not race. Every write is
 * one function call, so a batch is one round trip; functions answer a code
 * instead of raising, and a multi-item put undoes itself (an EXCEPTION block)
 * when one item fails, like the SQLite backend's savepoint.
 *
 * Codes: 0 ok, -1 mailbox full, -2 unknown device, -3 invite invalid,
 * -4 invite used, -5 invite expired, -6 not found, -7 limit.
 */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS attune_meta(k text PRIMARY KEY, v bigint NOT NULL);"
	"CREATE TABLE IF NOT EXISTS devices(key bytea PRIMARY KEY, registered bigint NOT NULL,"
	"  n bigint NOT NULL DEFAULT 0, bytes bigint NOT NULL DEFAULT 0,"
	"  seq bigint NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS mailbox(dst bytea NOT NULL, seq bigint NOT NULL,"
	"  src bytea NOT NULL, ts bigint NOT NULL, env bytea NOT NULL, PRIMARY KEY(dst, seq));"
	"CREATE INDEX IF NOT EXISTS mailbox_ts ON mailbox(ts);"
	"CREATE TABLE IF NOT EXISTS invites(hash bytea PRIMARY KEY, uses bigint NOT NULL,"
	"  expires bigint NOT NULL, creator bytea, created bigint NOT NULL);"
	"CREATE INDEX IF NOT EXISTS invites_creator ON invites(creator, created);"
	"CREATE TABLE IF NOT EXISTS spk(dev bytea PRIMARY KEY, rec bytea NOT NULL);"
	"CREATE TABLE IF NOT EXISTS otk(id bigserial PRIMARY KEY, dev bytea NOT NULL,"
	"  rec bytea NOT NULL);"
	"CREATE INDEX IF NOT EXISTS otk_dev ON otk(dev, id);"
	/* The mailbox's row lock orders its sequence numbers across nodes. */
	"CREATE OR REPLACE FUNCTION attune_put(p_src bytea, p_dst bytea, p_env bytea, p_ts bigint,"
	"  p_qn bigint, p_qb bigint, p_node text) RETURNS bigint LANGUAGE plpgsql AS $$\n"
	"DECLARE s bigint;\n"
	"BEGIN\n"
	"  UPDATE devices SET n = n + 1, bytes = bytes + length(p_env), seq = seq + 1\n"
	"    WHERE key = p_dst AND n + 1 <= p_qn AND bytes + length(p_env) <= p_qb\n"
	"    RETURNING seq INTO s;\n"
	"  IF NOT FOUND THEN\n"
	"    IF EXISTS (SELECT 1 FROM devices WHERE key = p_dst) THEN RETURN -1; END IF;\n"
	"    RETURN -2;\n"
	"  END IF;\n"
	"  INSERT INTO mailbox(dst, seq, src, ts, env) VALUES (p_dst, s, p_src, p_ts, p_env);\n"
	"  PERFORM pg_notify('attune_mailbox', p_node || ' ' || encode(p_dst, 'hex'));\n"
	"  RETURN s;\n"
	"END $$;"
	"CREATE OR REPLACE FUNCTION attune_put_many(p_src bytea, p_dst bytea[], p_env bytea[],"
	"  p_ts bigint, p_qn bigint, p_qb bigint, p_node text) RETURNS bigint[]"
	"  LANGUAGE plpgsql AS $$\n"
	"DECLARE r bigint[] := '{}'; s bigint;\n"
	"BEGIN\n"
	"  FOR i IN 1 .. coalesce(array_length(p_dst, 1), 0) LOOP\n"
	"    s := attune_put(p_src, p_dst[i], p_env[i], p_ts, p_qn, p_qb, p_node);\n"
	"    IF s < 0 THEN RAISE EXCEPTION USING ERRCODE = 'AT001', MESSAGE = s::text; END IF;\n"
	"    r := r || s;\n"
	"  END LOOP;\n"
	"  RETURN r;\n"
	"EXCEPTION WHEN SQLSTATE 'AT001' THEN\n"
	"  RETURN ARRAY[SQLERRM::bigint];\n"
	"END $$;"
	"CREATE OR REPLACE FUNCTION attune_ack(p_dev bytea, p_seq bigint[]) RETURNS bigint"
	"  LANGUAGE sql AS $$\n"
	"WITH d AS (DELETE FROM mailbox WHERE dst = p_dev AND seq = ANY(p_seq)\n"
	"    RETURNING length(env) AS l),\n"
	"  u AS (UPDATE devices SET n = greatest(n - (SELECT count(*) FROM d), 0),\n"
	"    bytes = greatest(bytes - (SELECT coalesce(sum(l), 0) FROM d), 0)\n"
	"    WHERE key = p_dev AND EXISTS (SELECT 1 FROM d) RETURNING 1)\n"
	"SELECT count(*) FROM d $$;"
	"CREATE OR REPLACE FUNCTION attune_expire(p_before bigint, p_max bigint) RETURNS bigint"
	"  LANGUAGE sql AS $$\n"
	"WITH d AS (DELETE FROM mailbox WHERE (dst, seq) IN\n"
	"    (SELECT dst, seq FROM mailbox WHERE ts < p_before LIMIT p_max)\n"
	"    RETURNING dst, length(env) AS l),\n"
	"  g AS (SELECT dst, count(*) AS c, sum(l) AS b FROM d GROUP BY dst),\n"
	"  u AS (UPDATE devices SET n = greatest(n - g.c, 0), bytes = greatest(bytes - g.b, 0)\n"
	"    FROM g WHERE key = g.dst RETURNING 1)\n"
	"SELECT coalesce(sum(c), 0)::bigint FROM g $$;"
	"CREATE OR REPLACE FUNCTION attune_register(p_dev bytea, p_hash bytea, p_now bigint)"
	"  RETURNS bigint LANGUAGE plpgsql AS $$\n"
	"DECLARE u bigint; e bigint;\n"
	"BEGIN\n"
	"  IF EXISTS (SELECT 1 FROM devices WHERE key = p_dev) THEN RETURN 0; END IF;\n"
	"  SELECT uses, expires INTO u, e FROM invites WHERE hash = p_hash FOR UPDATE;\n"
	"  IF NOT FOUND THEN RETURN -3; END IF;\n"
	"  IF u <= 0 THEN RETURN -4; END IF;\n"
	"  IF e <= p_now THEN RETURN -5; END IF;\n"
	"  UPDATE invites SET uses = uses - 1 WHERE hash = p_hash;\n"
	"  INSERT INTO devices(key, registered) VALUES (p_dev, p_now) ON CONFLICT DO NOTHING;\n"
	"  RETURN 0;\n"
	"END $$;"
	"CREATE OR REPLACE FUNCTION attune_invite(p_creator bytea, p_hash bytea, p_uses bigint,"
	"  p_expires bigint, p_now bigint, p_per_day bigint) RETURNS bigint"
	"  LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  IF p_creator IS NOT NULL AND (SELECT count(*) FROM invites WHERE creator = p_creator\n"
	"      AND created >= p_now - 86400) >= p_per_day THEN RETURN -7; END IF;\n"
	"  INSERT INTO invites(hash, uses, expires, creator, created)\n"
	"    VALUES (p_hash, p_uses, p_expires, p_creator, p_now);\n"
	"  RETURN 0;\n"
	"END $$;"
	"CREATE OR REPLACE FUNCTION attune_prekeys(p_dev bytea, p_spk bytea, p_otk bytea[],"
	"  p_max bigint) RETURNS bigint LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  IF p_spk IS NOT NULL THEN\n"
	"    INSERT INTO spk(dev, rec) VALUES (p_dev, p_spk)\n"
	"      ON CONFLICT (dev) DO UPDATE SET rec = excluded.rec;\n"
	"  END IF;\n"
	"  INSERT INTO otk(dev, rec) SELECT p_dev, x FROM unnest(p_otk) AS x;\n"
	"  DELETE FROM otk WHERE dev = p_dev AND id NOT IN\n"
	"    (SELECT id FROM otk WHERE dev = p_dev ORDER BY id DESC LIMIT p_max);\n"
	"  RETURN 0;\n"
	"END $$;"
	"CREATE OR REPLACE FUNCTION attune_prekey_get(p_dev bytea, OUT code bigint,"
	"  OUT spk bytea, OUT otk bytea) LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  code := 0;\n"
	"  SELECT rec INTO spk FROM spk s WHERE s.dev = p_dev;\n"
	"  IF NOT FOUND THEN code := -6; RETURN; END IF;\n"
	"  DELETE FROM otk o WHERE o.id = (SELECT id FROM otk WHERE dev = p_dev ORDER BY id\n"
	"    LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING rec INTO otk;\n"
	"END $$;";

/* Prepared on every link; the index is the statement's name. */
enum {
	P_PUT, P_PUT_MANY, P_ACK, P_EXPIRE, P_REGISTER, P_INVITE, P_PREKEYS, P_PREKEY_GET,
	P_FETCH, P_IS_REG, P_OTK_COUNT, P_BEGIN, P_COMMIT, P_N
};

static const struct { const char *sql; int nparams; } prepared[P_N] = {
	[P_PUT] = { "SELECT attune_put($1, $2, $3, $4, $5, $6, $7)", 7 },
	[P_PUT_MANY] = { "SELECT attune_put_many($1, $2, $3, $4, $5, $6, $7)", 7 },
	[P_ACK] = { "SELECT attune_ack($1, $2)", 2 },
	[P_EXPIRE] = { "SELECT attune_expire($1, $2)", 2 },
	[P_REGISTER] = { "SELECT attune_register($1, $2, $3)", 3 },
	[P_INVITE] = { "SELECT attune_invite($1, $2, $3, $4, $5, $6)", 6 },
	[P_PREKEYS] = { "SELECT attune_prekeys($1, $2, $3, $4)", 4 },
	[P_PREKEY_GET] = { "SELECT code, spk, otk FROM attune_prekey_get($1)", 1 },
	[P_FETCH] = { "SELECT seq, src, ts, env FROM mailbox WHERE dst = $1 AND seq > $2"
	    " ORDER BY seq LIMIT $3", 3 },
	[P_IS_REG] = { "SELECT 1 FROM devices WHERE key = $1", 1 },
	[P_OTK_COUNT] = { "SELECT count(*) FROM otk WHERE dev = $1", 1 },
	[P_BEGIN] = { "BEGIN", 0 },
	[P_COMMIT] = { "COMMIT", 0 },
};

#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

/* ---- parameters, all in binary ---- */

#define PARAMS_MAX 8

struct params {
	int n;
	const char *v[PARAMS_MAX];
	int len[PARAMS_MAX], fmt[PARAMS_MAX];
	uint8_t ints[PARAMS_MAX][8];
	uint8_t *heap[2];                /* arrays */
};

static void
p_bin(struct params *p, const void *v, size_t len)
{
	p->v[p->n] = v;
	p->len[p->n] = (int)len;
	p->fmt[p->n++] = 1;
}

static void
p_int(struct params *p, uint64_t x)
{
	uint8_t *b = p->ints[p->n];
	int i;

	for (i = 7; i >= 0; i--, x >>= 8)
		b[i] = (uint8_t)x;
	p_bin(p, b, 8);
}

static void
p_text(struct params *p, const char *s)
{
	p_bin(p, s, strlen(s));
}

static void
p_null(struct params *p)
{
	p->v[p->n] = NULL;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 1;
}

static void
put32(uint8_t *b, uint32_t x)
{
	x = htonl(x);
	memcpy(b, &x, 4);
}

static uint32_t
get32(const uint8_t *b)
{
	uint32_t x;

	memcpy(&x, b, 4);
	return ntohl(x);
}

static uint64_t
get64(const uint8_t *b)
{
	uint64_t x = 0;
	int i;

	for (i = 0; i < 8; i++)
		x = x << 8 | b[i];
	return x;
}

/*
 * A one-dimensional array in PostgreSQL's binary format: ndim, has-null,
 * element type, (length, lower bound), then (length, bytes) per element.
 */
static int
p_array(struct params *p, uint32_t oid, size_t n, const uint8_t *const *v, const size_t *len,
    const uint64_t *ints)
{
	size_t total = 20, i;
	uint8_t *b, *q;

	for (i = 0; i < n; i++)
		total += 4 + (ints != NULL ? 8 : len[i]);
	if (total > INT32_MAX || (b = malloc(total)) == NULL)
		return ATT_ENOMEM;
	put32(b, 1);
	put32(b + 4, 0);
	put32(b + 8, oid);
	put32(b + 12, (uint32_t)n);
	put32(b + 16, 1);
	q = b + 20;
	for (i = 0; i < n; i++) {
		if (ints != NULL) {
			uint64_t x = ints[i];
			int k;

			put32(q, 8);
			for (k = 7; k >= 0; k--, x >>= 8)
				q[4 + k] = (uint8_t)x;
			q += 12;
		} else {
			put32(q, (uint32_t)len[i]);
			if (len[i] > 0)
				memcpy(q + 4, v[i], len[i]);
			q += 4 + len[i];
		}
	}
	p->heap[p->heap[0] == NULL ? 0 : 1] = b;
	p_bin(p, b, total);
	return 0;
}

static void
params_free(struct params *p)
{
	free(p->heap[0]);
	free(p->heap[1]);
}

/* An int8 (or int4) column of a binary result; dflt when NULL. */
static int64_t
col_int(const PGresult *r, int row, int col, int64_t dflt)
{
	const uint8_t *b = (const uint8_t *)PQgetvalue(r, row, col);

	if (PQgetisnull(r, row, col))
		return dflt;
	if (PQgetlength(r, row, col) == 8)
		return (int64_t)get64(b);
	if (PQgetlength(r, row, col) == 4)
		return (int32_t)get32(b);
	return dflt;
}

/* ---- links: one asynchronous connection each ---- */

struct job {
	struct job *next;
	int nq, idx;                     /* queries sent; results finished */
	int failed;                      /* a query of this job failed */
	void (*result)(struct job *, int idx, PGresult *);
	void (*end)(struct job *, int ok);
};

enum link_state { L_DOWN, L_CONNECTING, L_UP };

struct link {
	struct pgstore *ps;
	const char *name;
	PGconn *conn;
	uv_poll_t *poll;
	int fd, events;
	enum link_state state;
	struct job *head, **tail;        /* sent, awaiting results */
	uv_timer_t retry;
	uint64_t backoff_ms;
	int listen;                      /* LISTEN once up (the reader) */
	struct job setup;
};

struct pgstore {
	uv_loop_t *loop;
	char *url;
	PGconn *ctl;                     /* blocking: schema, start-up and operator calls */
	const struct log *log;
	char node[17];                   /* this process, in NOTIFY payloads */
	struct link w, r;
	/* Group commit */
	struct storage_op *pending, **pending_tail;
	struct batch *batch;             /* on the writer, or NULL */
	uv_check_t check;
	int check_on;
	void (*idle_cb)(void *);
	void *idle_arg;
	uint64_t batches, ops;
	void (*mailbox_fn)(void *, const uint8_t *);
	void *mailbox_arg;
	void (*reconnect_fn)(void *);
	void *reconnect_arg;
	int was_down;
	int closing, handles;
	int version;
};

static void link_connect(struct link *);
static void link_fail(struct link *, const char *why);
static void start_batch(struct pgstore *);

static void
plog(const struct pgstore *ps, const char *event, const char *fmt, const char *a, const char *b)
{
	if (ps->log != NULL)
		log_event(ps->log, event, fmt, a, b);
}

static void
poll_free(uv_handle_t *h)
{
	struct pgstore *ps = h->data;

	free(h);
	if (--ps->handles == 0 && ps->closing)
		free(ps);
}

static void
poll_stop(struct link *l)
{
	if (l->poll != NULL) {
		l->poll->data = l->ps;
		uv_poll_stop(l->poll);
		uv_close((uv_handle_t *)l->poll, poll_free);
		l->poll = NULL;
		l->fd = -1;
	}
}

static void poll_cb(uv_poll_t *, int status, int events);

/* Watches the link's socket for events (a new socket gets a new handle). */
static void
poll_watch(struct link *l, int events)
{
	int fd = PQsocket(l->conn);

	if (fd < 0)
		return;
	if (l->poll != NULL && l->fd != fd)
		poll_stop(l);
	if (l->poll == NULL) {
		if ((l->poll = malloc(sizeof *l->poll)) == NULL)
			return;
		if (uv_poll_init(l->ps->loop, l->poll, fd) != 0) {
			free(l->poll);
			l->poll = NULL;
			return;
		}
		l->ps->handles++;
		/* The database's sockets never keep the loop alive: the relay's stop decides. */
		uv_unref((uv_handle_t *)l->poll);
		l->poll->data = l;
		l->fd = fd;
		l->events = 0;
	}
	if (events != l->events) {
		/* The handle's data is the link while it runs; the store when it closes. */
		l->poll->data = l;
		uv_poll_start(l->poll, events, poll_cb);
		l->events = events;
	}
}

static void
link_queue(struct link *l, struct job *j)
{
	j->next = NULL;
	j->idx = 0;
	j->failed = 0;
	*l->tail = j;
	l->tail = &j->next;
}

/* Sends what libpq holds; watches for writability while some is left. */
static void
link_flush(struct link *l)
{
	int r = PQflush(l->conn);

	if (r < 0) {
		link_fail(l, PQerrorMessage(l->conn));
		return;
	}
	poll_watch(l, UV_READABLE | (r > 0 ? UV_WRITABLE : 0));
}

static void
send_q(struct link *l, int q, struct params *p, int binary_result)
{
	char name[8];

	snprintf(name, sizeof name, "q%d", q);
	if (!PQsendQueryPrepared(l->conn, name, p != NULL ? p->n : 0, p != NULL ? p->v : NULL,
	    p != NULL ? p->len : NULL, p != NULL ? p->fmt : NULL, binary_result))
		plog(l->ps, "store_error", "link=%s error=send", l->name, NULL);
}

/* Delivers notifications: another node stored envelopes for a mailbox. */
static void
notifies(struct link *l)
{
	struct pgstore *ps = l->ps;
	PGnotify *n;
	uint8_t dev[STORAGE_KEYLEN];
	size_t len;

	while ((n = PQnotifies(l->conn)) != NULL) {
		const char *sp = strchr(n->extra, ' ');

		if (sp != NULL && (size_t)(sp - n->extra) == strlen(ps->node) &&
		    memcmp(n->extra, ps->node, strlen(ps->node)) != 0 &&
		    sodium_hex2bin(dev, sizeof dev, sp + 1, strlen(sp + 1), NULL, &len, NULL) == 0 &&
		    len == STORAGE_KEYLEN && ps->mailbox_fn != NULL)
			ps->mailbox_fn(ps->mailbox_arg, dev);
		PQfreemem(n);
	}
}

/* FATAL or PANIC: the session is over, whatever libpq's status says yet. */
static int
fatal(const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	return sev != NULL && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0);
}

static void
job_done(struct link *l)
{
	struct job *j = l->head;

	l->head = j->next;
	if (l->head == NULL)
		l->tail = &l->head;
	j->end(j, !j->failed);
}

/* Reads every result that has arrived and hands it to the job it belongs to. */
static void
link_read(struct link *l)
{
	PGresult *res;
	int nulls = 0;

	if (!PQconsumeInput(l->conn)) {
		link_fail(l, PQerrorMessage(l->conn));
		return;
	}
	while (l->head != NULL && l->state == L_UP && !PQisBusy(l->conn)) {
		struct job *j = l->head;

		if ((res = PQgetResult(l->conn)) == NULL) {
			/* The end of one query's results. */
			if (j->idx < j->nq)
				j->idx++;
			if (++nulls > 1)
				break;
			continue;
		}
		nulls = 0;
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(res);
			job_done(l);
			continue;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (j->result != NULL)
				j->result(j, j->idx, res);
			break;
		case PGRES_PIPELINE_ABORTED:
			j->failed = 1;
			break;
		default:
			j->failed = 1;
			plog(l->ps, "store_error", "link=%s sqlstate=%s", l->name,
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL ?
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "?");
			if (fatal(res)) {
				/* The server is ending this session (shutdown, crash): do not wait for it. */
				PQclear(res);
				link_fail(l, "the server ended the session");
				return;
			}
			break;
		}
		PQclear(res);
	}
	/* libpq drops a connection the server ended (57P01 and the like) by itself. */
	if (l->state == L_UP && (PQstatus(l->conn) == CONNECTION_BAD ||
	    PQsocket(l->conn) != l->fd)) {
		link_fail(l, PQerrorMessage(l->conn));
		return;
	}
	if (l->state == L_UP)
		notifies(l);
}

static void
setup_result(struct job *j, int idx, PGresult *res)
{
	(void)j;
	(void)idx;
	(void)res;
}

static void
setup_end(struct job *j, int ok)
{
	struct link *l = (struct link *)((char *)j - offsetof(struct link, setup));
	struct pgstore *ps = l->ps;

	if (!ok) {
		link_fail(l, "could not prepare the statements");
		return;
	}
	l->backoff_ms = 250;
	if (ps->w.state == L_UP && ps->r.state == L_UP && ps->was_down) {
		ps->was_down = 0;
		if (ps->reconnect_fn != NULL)
			ps->reconnect_fn(ps->reconnect_arg);
	}
	if (l == &ps->w)
		start_batch(ps);
}

/* Notices (and the server's FATAL on shutdown) are not printed: the states are logged. */
static void
quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Connected: prepare the statements (and LISTEN) before the first job. */
static void
link_up(struct link *l)
{
	struct pgstore *ps = l->ps;
	char name[16];	/* "q" and any int: -O1 builds warn at 8 */
	int i, nq = 0;

	l->state = L_UP;
	PQsetNoticeProcessor(l->conn, quiet_notice, NULL);
	PQsetnonblocking(l->conn, 1);
	if (!PQenterPipelineMode(l->conn)) {
		link_fail(l, "cannot enter pipeline mode");
		return;
	}
	for (i = 0; i < P_N; i++) {
		snprintf(name, sizeof name, "q%d", i);
		PQsendPrepare(l->conn, name, prepared[i].sql, prepared[i].nparams, NULL);
		nq++;
	}
	if (l->listen) {
		PQsendQueryParams(l->conn, "LISTEN attune_mailbox", 0, NULL, NULL, NULL, NULL, 0);
		nq++;
	} else {
		/*
		 * Stored (on the synchronous standby too) before acknowledged: off, local
		 * and remote_write become on; on and remote_apply stay as they are.
		 */
		PQsendQueryParams(l->conn, "SELECT set_config('synchronous_commit', CASE WHEN"
		    " current_setting('synchronous_commit') IN ('off', 'local', 'remote_write')"
		    " THEN 'on' ELSE current_setting('synchronous_commit') END, false)", 0, NULL, NULL,
		    NULL, NULL, 0);
		nq++;
	}
	l->setup.nq = nq;
	l->setup.result = setup_result;
	l->setup.end = setup_end;
	link_queue(l, &l->setup);
	PQpipelineSync(l->conn);
	plog(ps, "store_up", "link=%s backend=%s", l->name, "postgresql");
	link_flush(l);
}

static void
connect_step(struct link *l)
{
	switch (PQconnectPoll(l->conn)) {
	case PGRES_POLLING_READING:
		poll_watch(l, UV_READABLE);
		break;
	case PGRES_POLLING_WRITING:
		poll_watch(l, UV_WRITABLE);
		break;
	case PGRES_POLLING_OK:
		link_up(l);
		break;
	default:
		link_fail(l, PQerrorMessage(l->conn));
		break;
	}
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct link *l = h->data;

	if (status < 0) {
		/* libuv stopped the handle (POLLERR: the peer reset the socket). */
		l->events = 0;
		link_fail(l, uv_strerror(status));
		return;
	}
	if (l->state == L_CONNECTING) {
		connect_step(l);
		return;
	}
	if (l->state != L_UP)
		return;
	if (events & UV_WRITABLE)
		link_flush(l);
	if (l->state == L_UP && (events & UV_READABLE))
		link_read(l);
}

static void
retry_cb(uv_timer_t *t)
{
	link_connect(t->data);
}

static void
link_connect(struct link *l)
{
	if (l->ps->closing)
		return;
	l->state = L_CONNECTING;
	if ((l->conn = PQconnectStart(l->ps->url)) == NULL ||
	    PQstatus(l->conn) == CONNECTION_BAD) {
		link_fail(l, l->conn != NULL ? PQerrorMessage(l->conn) : "out of memory");
		return;
	}
	connect_step(l);
}

/*
 * The link broke (or never came up): every job on it fails, the connection is
 * dropped and tried again after a pause that doubles up to 4 s.
 */
static void
link_fail(struct link *l, const char *why)
{
	struct pgstore *ps = l->ps;
	char line[160];
	size_t i;

	snprintf(line, sizeof line, "%s", why != NULL ? why : "?");
	for (i = 0; line[i] != '\0'; i++)
		if (line[i] == '\n' || line[i] == '"')
			line[i] = ' ';
	if (l->state == L_UP || !ps->was_down)
		plog(ps, "store_down", "link=%s error=\"%s\"", l->name, line);
	ps->was_down = 1;
	l->state = L_DOWN;
	poll_stop(l);
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	while (l->head != NULL) {
		l->head->failed = 1;
		job_done(l);
	}
	if (!ps->closing) {
		uv_timer_start(&l->retry, retry_cb, l->backoff_ms, 0);
		if (l->backoff_ms < 2000)
			l->backoff_ms *= 2;
	}
	if (l == &ps->w)
		start_batch(ps);        /* fails what waits, at once */
}

static void
link_init(struct pgstore *ps, struct link *l, const char *name, int listen)
{
	l->ps = ps;
	l->name = name;
	l->fd = -1;
	l->tail = &l->head;
	l->listen = listen;
	l->backoff_ms = 250;
	uv_timer_init(ps->loop, &l->retry);
	uv_unref((uv_handle_t *)&l->retry);
	l->retry.data = l;
	ps->handles++;
}

/* ---- the writer: group commit ---- */

struct batch {
	struct job job;
	struct pgstore *ps;
	struct storage_op *ops;
	struct storage_op *cur;            /* the op the next result belongs to */
	int commit_ok;
};

static int
code_of(int64_t c)
{
	static const int map[] = {
		0, RELAYDB_EFULL, RELAYDB_EUNKNOWN, RELAYDB_EINVITE, RELAYDB_EUSED,
		RELAYDB_EEXPIRED, RELAYDB_ENOTFOUND, ATT_ELIMIT,
	};

	if (c >= 0)
		return 0;
	if (-c < (int64_t)(sizeof map / sizeof map[0]))
		return map[-c];
	return RELAYDB_EIO;
}

static void
token_hash(uint8_t h[32], const char *token, size_t len)
{
	crypto_generichash(h, 32, (const uint8_t *)token, len, NULL, 0);
}

static void
new_token(char token[RELAYDB_TOKEN_MAX + 1], uint8_t h[32])
{
	uint8_t raw[16];

	randombytes_buf(raw, sizeof raw);
	b64_encode(token, RELAYDB_TOKEN_MAX + 1, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	token_hash(h, token, strlen(token));
}

/* Sends one op's query. */
static int
send_op(struct pgstore *ps, struct storage_op *o)
{
	struct link *l = &ps->w;
	struct params p;
	uint8_t h[32];
	int q = -1, r = 0;
	size_t i;

	memset(&p, 0, sizeof p);
	switch (o->kind) {
	case STORAGE_PUT:
		if (o->u.put.n == 1) {
			q = P_PUT;
			p_bin(&p, o->dev, STORAGE_KEYLEN);
			p_bin(&p, o->u.put.items[0].to, STORAGE_KEYLEN);
			p_bin(&p, o->u.put.items[0].env, o->u.put.items[0].len);
		} else {
			const uint8_t **to = malloc(o->u.put.n * sizeof *to);
			const uint8_t **env = malloc(o->u.put.n * sizeof *env);
			size_t *tl = malloc(o->u.put.n * sizeof *tl), *el = malloc(o->u.put.n * sizeof *el);

			q = P_PUT_MANY;
			p_bin(&p, o->dev, STORAGE_KEYLEN);
			if (to == NULL || env == NULL || tl == NULL || el == NULL)
				r = ATT_ENOMEM;
			for (i = 0; r == 0 && i < o->u.put.n; i++) {
				to[i] = o->u.put.items[i].to;
				tl[i] = STORAGE_KEYLEN;
				env[i] = o->u.put.items[i].env;
				el[i] = o->u.put.items[i].len;
			}
			if (r == 0 && (r = p_array(&p, OID_BYTEA, o->u.put.n, to, tl, NULL)) == 0)
				r = p_array(&p, OID_BYTEA, o->u.put.n, env, el, NULL);
			free(to);
			free(env);
			free(tl);
			free(el);
		}
		p_int(&p, o->u.put.ts);
		p_int(&p, o->u.put.q.envelopes);
		p_int(&p, o->u.put.q.bytes);
		p_text(&p, ps->node);
		break;
	case STORAGE_ACK:
		q = P_ACK;
		p_bin(&p, o->dev, STORAGE_KEYLEN);
		r = p_array(&p, OID_INT8, o->u.ack.n, NULL, NULL, o->u.ack.seq);
		break;
	case STORAGE_EXPIRE:
		q = P_EXPIRE;
		p_int(&p, o->u.expire.before);
		p_int(&p, o->u.expire.max);
		break;
	case STORAGE_REGISTER:
		q = P_REGISTER;
		token_hash(h, o->u.reg.token, o->u.reg.len);
		p_bin(&p, o->dev, STORAGE_KEYLEN);
		p_bin(&p, h, 32);
		p_int(&p, o->u.reg.now);
		break;
	case STORAGE_INVITE:
		q = P_INVITE;
		new_token(o->u.inv.token, h);
		p_bin(&p, o->dev, STORAGE_KEYLEN);
		p_bin(&p, h, 32);
		p_int(&p, o->u.inv.uses);
		p_int(&p, o->u.inv.expires);
		p_int(&p, o->u.inv.now);
		p_int(&p, o->u.inv.per_day);
		break;
	case STORAGE_PREKEYS:
		q = P_PREKEYS;
		p_bin(&p, o->dev, STORAGE_KEYLEN);
		if (o->u.pk.spk != NULL)
			p_bin(&p, o->u.pk.spk, o->u.pk.spk_len);
		else
			p_null(&p);
		r = p_array(&p, OID_BYTEA, o->u.pk.n, o->u.pk.otk, o->u.pk.otk_len, NULL);
		p_int(&p, o->u.pk.otk_max);
		break;
	case STORAGE_PREKEY_GET:
		q = P_PREKEY_GET;
		p_bin(&p, o->dev, STORAGE_KEYLEN);
		break;
	}
	if (r == 0 && q >= 0)
		send_q(l, q, &p, 1);
	params_free(&p);
	sodium_memzero(h, sizeof h);
	return r < 0 ? r : q < 0 ? ATT_EINVAL : 0;
}

static int
copy_bin(const PGresult *res, int col, uint8_t *out, size_t cap, size_t *len)
{
	int n = PQgetlength(res, 0, col);

	if (PQgetisnull(res, 0, col)) {
		*len = 0;
		return 0;
	}
	if (n < 0 || (size_t)n > cap)
		return ATT_ETOOBIG;
	memcpy(out, PQgetvalue(res, 0, col), (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* put_many's answer: an int8[] of seqs, or one negative code. */
static int
put_many_result(struct storage_op *o, const PGresult *res)
{
	const uint8_t *b = (const uint8_t *)PQgetvalue(res, 0, 0);
	int len = PQgetlength(res, 0, 0);
	size_t n, i;

	if (PQgetisnull(res, 0, 0) || len < 20)
		return RELAYDB_EIO;
	n = get32(b + 12);
	if ((size_t)len < 20 + n * 12)
		return RELAYDB_EIO;
	if (n == 1 && o->u.put.n > 1 && (int64_t)get64(b + 24) < 0)
		return code_of((int64_t)get64(b + 24));
	if (n != o->u.put.n)
		return RELAYDB_EIO;
	for (i = 0; i < n; i++)
		o->u.put.items[i].seq = get64(b + 20 + i * 12 + 4);
	return 0;
}

static void
op_result(struct storage_op *o, const PGresult *res)
{
	int64_t v;

	if (PQntuples(res) != 1) {
		o->result = RELAYDB_EIO;
		return;
	}
	switch (o->kind) {
	case STORAGE_PUT:
		if (o->u.put.n > 1) {
			o->result = put_many_result(o, res);
			return;
		}
		v = col_int(res, 0, 0, -100);
		o->result = code_of(v);
		if (v > 0)
			o->u.put.items[0].seq = (uint64_t)v;
		return;
	case STORAGE_EXPIRE:
		v = col_int(res, 0, 0, 0);
		o->u.expire.n = (int)v;
		o->result = 0;
		return;
	case STORAGE_ACK:
		o->result = 0;
		return;
	case STORAGE_PREKEY_GET:
		o->result = code_of(col_int(res, 0, 0, -100));
		if (o->result == 0 &&
		    ((o->result = copy_bin(res, 1, o->u.pkget.spk, o->u.pkget.spk_cap,
		    &o->u.pkget.spk_len)) == 0))
			o->result = copy_bin(res, 2, o->u.pkget.otk, o->u.pkget.otk_cap,
			    &o->u.pkget.otk_len);
		return;
	default:
		o->result = code_of(col_int(res, 0, 0, -100));
		return;
	}
}

/* Results arrive in order: BEGIN, one per op, COMMIT. */
static void
batch_result(struct job *j, int idx, PGresult *res)
{
	struct batch *b = (struct batch *)j;

	if (idx == 0)
		return;
	if (idx == j->nq - 1) {
		b->commit_ok = 1;
		return;
	}
	if (b->cur != NULL) {
		op_result(b->cur, res);
		b->cur = b->cur->next;
	}
}

static void
batch_end(struct job *j, int ok)
{
	struct batch *b = (struct batch *)j;
	struct pgstore *ps = b->ps;
	struct storage_op *o, *next;

	ok = ok && b->commit_ok;
	ps->batch = NULL;
	/* Nothing is acknowledged unless COMMIT returned: otherwise all say "storage". */
	for (o = b->ops; o != NULL; o = next) {
		next = o->next;
		if (!ok)
			o->result = RELAYDB_EIO;
		ps->ops++;
		o->done(o);
	}
	ps->batches++;
	free(b);
	start_batch(ps);
}

static void
fail_ops(struct storage_op *o)
{
	struct storage_op *next;

	for (; o != NULL; o = next) {
		next = o->next;
		o->result = RELAYDB_EIO;
		o->done(o);
	}
}

static void
start_batch(struct pgstore *ps)
{
	struct link *l = &ps->w;
	struct storage_op *ops = ps->pending, *o;
	struct batch *b;

	if (ps->batch != NULL)
		return;
	if (ps->pending == NULL)
		goto idle;
	if (l->state != L_UP || l->head != NULL) {
		if (l->state != L_UP) {
			/* The database is away: say so now rather than hold the peer. */
			ps->pending = NULL;
			ps->pending_tail = &ps->pending;
			fail_ops(ops);
			goto idle;
		}
		return;                  /* the setup job runs first */
	}
	if ((b = calloc(1, sizeof *b)) == NULL)
		return;
	ps->pending = NULL;
	ps->pending_tail = &ps->pending;
	b->ps = ps;
	b->ops = b->cur = ops;
	b->job.result = batch_result;
	b->job.end = batch_end;
	b->job.nq = 2;
	send_q(l, P_BEGIN, NULL, 0);
	for (o = ops; o != NULL; o = o->next) {
		o->result = 0;
		if (send_op(ps, o) < 0)
			b->job.failed = 1;
		b->job.nq++;
	}
	send_q(l, P_COMMIT, NULL, 0);
	ps->batch = b;
	link_queue(l, &b->job);
	if (b->job.failed) {
		/* A query could not be built: the whole batch is refused by an error. */
		plog(ps, "store_error", "link=%s error=%s", l->name, "build");
	}
	PQpipelineSync(l->conn);
	link_flush(l);
	return;
idle:
	if (ps->batch == NULL && ps->pending == NULL && ps->idle_cb != NULL) {
		void (*cb)(void *) = ps->idle_cb;

		ps->idle_cb = NULL;
		cb(ps->idle_arg);
	}
}

static void
check_cb(uv_check_t *h)
{
	struct pgstore *ps = h->data;

	uv_check_stop(h);
	ps->check_on = 0;
	start_batch(ps);
}

void
pgstore_submit(struct pgstore *ps, struct storage_op *o)
{
	o->next = NULL;
	*ps->pending_tail = o;
	ps->pending_tail = &o->next;
	if (!ps->check_on) {
		ps->check_on = 1;
		uv_check_start(&ps->check, check_cb);
	}
}

int
pgstore_idle(const struct pgstore *ps)
{
	return ps->batch == NULL && ps->pending == NULL;
}

void
pgstore_on_idle(struct pgstore *ps, void (*cb)(void *), void *arg)
{
	ps->idle_cb = cb;
	ps->idle_arg = arg;
}

void
pgstore_counts(const struct pgstore *ps, uint64_t *batches, uint64_t *ops, int *connected)
{
	*batches = ps->batches;
	*ops = ps->ops;
	*connected = ps->w.state == L_UP && ps->r.state == L_UP;
}

/* ---- the reader ---- */

struct read {
	struct job job;
	int kind;
	int n;
	void *arg;
	storage_row_fn row;
	void (*end)(void *, int);
	void (*cb)(void *, int);
};

static void
read_result(struct job *j, int idx, PGresult *res)
{
	struct read *rd = (struct read *)j;
	int i;

	(void)idx;
	if (rd->kind == P_FETCH) {
		for (i = 0; i < PQntuples(res); i++) {
			if (PQgetlength(res, i, 1) != STORAGE_KEYLEN)
				continue;
			rd->n++;
			if (rd->row(rd->arg, (uint64_t)col_int(res, i, 0, 0),
			    (const uint8_t *)PQgetvalue(res, i, 1), (uint64_t)col_int(res, i, 2, 0),
			    (const uint8_t *)PQgetvalue(res, i, 3), (size_t)PQgetlength(res, i, 3)) != 0)
				break;
		}
	} else if (rd->kind == P_IS_REG)
		rd->n = PQntuples(res) > 0;
	else
		rd->n = PQntuples(res) == 1 ? (int)col_int(res, 0, 0, 0) : 0;
}

static void
read_end(struct job *j, int ok)
{
	struct read *rd = (struct read *)j;
	int n = ok ? rd->n : RELAYDB_EIO;

	if (rd->kind == P_FETCH)
		rd->end(rd->arg, n);
	else
		rd->cb(rd->arg, n);
	free(rd);
}

static void
read_start(struct pgstore *ps, int kind, const uint8_t *dev, uint64_t after, size_t max,
    struct read *rd)
{
	struct link *l = &ps->r;
	struct params p;

	if (l->state != L_UP) {
		/* The database is away: answer now; the caller tries again later. */
		read_end(&rd->job, 0);
		return;
	}
	memset(&p, 0, sizeof p);
	rd->kind = kind;
	rd->job.nq = 1;
	rd->job.result = read_result;
	rd->job.end = read_end;
	p_bin(&p, dev, STORAGE_KEYLEN);
	if (kind == P_FETCH) {
		p_int(&p, after);
		p_int(&p, max);
	}
	send_q(l, kind, &p, 1);
	PQpipelineSync(l->conn);
	link_queue(l, &rd->job);
	link_flush(l);
}

void
pgstore_fetch(struct pgstore *ps, const uint8_t dev[STORAGE_KEYLEN], uint64_t after, size_t max,
    storage_row_fn row, void (*end)(void *, int), void *arg)
{
	struct read *rd = calloc(1, sizeof *rd);

	if (rd == NULL) {
		end(arg, ATT_ENOMEM);
		return;
	}
	rd->row = row;
	rd->end = end;
	rd->arg = arg;
	rd->kind = P_FETCH;
	read_start(ps, P_FETCH, dev, after, max, rd);
}

static void
read_simple(struct pgstore *ps, int kind, const uint8_t *dev, void (*cb)(void *, int),
    void *arg)
{
	struct read *rd = calloc(1, sizeof *rd);

	if (rd == NULL) {
		cb(arg, ATT_ENOMEM);
		return;
	}
	rd->cb = cb;
	rd->arg = arg;
	rd->kind = kind;
	read_start(ps, kind, dev, 0, 0, rd);
}

void
pgstore_registered(struct pgstore *ps, const uint8_t dev[STORAGE_KEYLEN], void (*cb)(void *, int),
    void *arg)
{
	read_simple(ps, P_IS_REG, dev, cb, arg);
}

void
pgstore_prekey_count(struct pgstore *ps, const uint8_t dev[STORAGE_KEYLEN],
    void (*cb)(void *, int), void *arg)
{
	read_simple(ps, P_OTK_COUNT, dev, cb, arg);
}

void
pgstore_on_mailbox(struct pgstore *ps, void (*fn)(void *, const uint8_t *), void *arg)
{
	ps->mailbox_fn = fn;
	ps->mailbox_arg = arg;
}

void
pgstore_on_reconnect(struct pgstore *ps, void (*fn)(void *), void *arg)
{
	ps->reconnect_fn = fn;
	ps->reconnect_arg = arg;
}

void
pgstore_set_log(struct pgstore *ps, const struct log *log)
{
	ps->log = log;
}

/* ---- blocking calls on the control connection ---- */

static PGresult *
ctl_exec(struct pgstore *ps, const char *sql, struct params *p)
{
	return PQexecParams(ps->ctl, sql, p != NULL ? p->n : 0, NULL, p != NULL ? p->v : NULL,
	    p != NULL ? p->len : NULL, p != NULL ? p->fmt : NULL, 1);
}

static int
ctl_ok(PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* Runs the schema script once per version, under a lock every node takes. */
static int
migrate(struct pgstore *ps, char *why, size_t why_cap)
{
	PGresult *res;
	int ok;

	res = PQexec(ps->ctl, "BEGIN; SELECT pg_advisory_xact_lock(7303275);"
	    "SET LOCAL client_min_messages = warning;"
	    "CREATE TABLE IF NOT EXISTS attune_meta(k text PRIMARY KEY, v bigint NOT NULL)");
	ok = ctl_ok(res);
	PQclear(res);
	if (ok) {
		res = PQexec(ps->ctl, "SELECT v::int4 FROM attune_meta WHERE k = 'schema'");
		ok = ctl_ok(res);
		ps->version = ok && PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : 0;
		PQclear(res);
	}
	if (ok && ps->version > PGSTORE_SCHEMA_VERSION) {
		PQclear(PQexec(ps->ctl, "ROLLBACK"));
		snprintf(why, why_cap, "the database has schema version %d, newer than this relay's "
		    "%d: upgrade this node first", ps->version, PGSTORE_SCHEMA_VERSION);
		return ATT_EVERSION;
	}
	if (ok && ps->version < 1) {
		res = PQexec(ps->ctl, schema_v1);
		ok = ctl_ok(res);
		PQclear(res);
		if (ok) {
			res = PQexec(ps->ctl, "INSERT INTO attune_meta(k, v) VALUES ('schema', 1)"
			    " ON CONFLICT (k) DO UPDATE SET v = 1");
			ok = ctl_ok(res);
			PQclear(res);
		}
	}
	if (ok) {
		res = PQexec(ps->ctl, "COMMIT");
		ok = ctl_ok(res);
		PQclear(res);
		ps->version = PGSTORE_SCHEMA_VERSION;
	}
	if (!ok) {
		snprintf(why, why_cap, "cannot create the relay's tables: %s",
		    PQerrorMessage(ps->ctl));
		PQclear(PQexec(ps->ctl, "ROLLBACK"));
		return RELAYDB_EIO;
	}
	return 0;
}

int
pgstore_open(struct pgstore **out, uv_loop_t *loop, const char *url, char *why, size_t why_cap)
{
	struct pgstore *ps;
	uint8_t rnd[8];
	int r;

	*out = NULL;
	if ((ps = calloc(1, sizeof *ps)) == NULL || (ps->url = strdup(url)) == NULL) {
		free(ps);
		snprintf(why, why_cap, "out of memory");
		return ATT_ENOMEM;
	}
	ps->loop = loop;
	ps->pending_tail = &ps->pending;
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(ps->node, sizeof ps->node, rnd, sizeof rnd);
	ps->ctl = PQconnectdb(url);
	if (PQstatus(ps->ctl) != CONNECTION_OK) {
		/* libpq's message names host and cause, never the password. */
		snprintf(why, why_cap, "cannot connect to PostgreSQL: %s", PQerrorMessage(ps->ctl));
		why[strcspn(why, "\n")] = '\0';
		pgstore_close(ps);
		return RELAYDB_EIO;
	}
	if ((r = migrate(ps, why, why_cap)) < 0) {
		pgstore_close(ps);
		return r;
	}
	if (loop != NULL) {
		uv_check_init(loop, &ps->check);
		ps->check.data = ps;
		ps->handles++;
		link_init(ps, &ps->w, "writer", 0);
		link_init(ps, &ps->r, "reader", 1);
		link_connect(&ps->w);
		link_connect(&ps->r);
	}
	*out = ps;
	return 0;
}

static void
handle_free(uv_handle_t *h)
{
	struct pgstore *ps = h->data;

	if (--ps->handles == 0 && ps->closing)
		free(ps);
}

static void
link_close(struct link *l)
{
	l->retry.data = l->ps;
	uv_timer_stop(&l->retry);
	uv_close((uv_handle_t *)&l->retry, handle_free);
	poll_stop(l);
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	l->state = L_DOWN;
	while (l->head != NULL) {
		l->head->failed = 1;
		job_done(l);
	}
}

void
pgstore_close(struct pgstore *ps)
{
	if (ps == NULL)
		return;
	ps->closing = 1;
	if (ps->ctl != NULL)
		PQfinish(ps->ctl);
	ps->ctl = NULL;
	if (ps->loop != NULL && ps->handles > 0) {
		link_close(&ps->w);
		link_close(&ps->r);
		fail_ops(ps->pending);
		ps->pending = NULL;
		uv_check_stop(&ps->check);
		ps->check.data = ps;
		uv_close((uv_handle_t *)&ps->check, handle_free);
		free(ps->url);
		ps->url = NULL;
		return;                 /* freed by the last handle's close */
	}
	free(ps->url);
	free(ps);
}

int
pgstore_devices_each(struct pgstore *ps, int (*fn)(const uint8_t *, void *), void *arg)
{
	PGresult *res = ctl_exec(ps, "SELECT key FROM devices ORDER BY key", NULL);
	int i, out = 0;

	if (!ctl_ok(res)) {
		PQclear(res);
		return RELAYDB_EIO;
	}
	for (i = 0; i < PQntuples(res) && out == 0; i++)
		if (PQgetlength(res, i, 0) == STORAGE_KEYLEN)
			out = fn((const uint8_t *)PQgetvalue(res, i, 0), arg);
	PQclear(res);
	return out;
}

int
pgstore_invite_create(struct pgstore *ps, char token[RELAYDB_TOKEN_MAX + 1], uint64_t uses,
    uint64_t expires, uint64_t now)
{
	struct params p;
	uint8_t h[32];
	PGresult *res;
	int ok;

	memset(&p, 0, sizeof p);
	new_token(token, h);
	p_null(&p);
	p_bin(&p, h, 32);
	p_int(&p, uses);
	p_int(&p, expires);
	p_int(&p, now);
	p_int(&p, 0);
	res = ctl_exec(ps, "SELECT attune_invite($1, $2, $3, $4, $5, $6)", &p);
	ok = ctl_ok(res) && PQntuples(res) == 1 && col_int(res, 0, 0, -100) == 0;
	PQclear(res);
	sodium_memzero(h, sizeof h);
	return ok ? 0 : RELAYDB_EIO;
}

int
pgstore_totals(struct pgstore *ps, uint64_t *devices, uint64_t *envelopes, uint64_t *bytes,
    uint64_t *invites)
{
	struct params p;
	PGresult *res;
	int ok;

	memset(&p, 0, sizeof p);
	p_int(&p, (uint64_t)time(NULL));
	res = ctl_exec(ps, "SELECT count(*), coalesce(sum(n), 0)::int8, coalesce(sum(bytes), 0)::int8,"
	    " (SELECT count(*) FROM invites WHERE uses > 0 AND expires > $1) FROM devices", &p);
	ok = ctl_ok(res) && PQntuples(res) == 1;
	if (ok) {
		*devices = (uint64_t)col_int(res, 0, 0, 0);
		*envelopes = (uint64_t)col_int(res, 0, 1, 0);
		*bytes = (uint64_t)col_int(res, 0, 2, 0);
		*invites = (uint64_t)col_int(res, 0, 3, 0);
	}
	PQclear(res);
	return ok ? 0 : RELAYDB_EIO;
}

int
pgstore_schema_version(struct pgstore *ps)
{
	return ps->version;
}
