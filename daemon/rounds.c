/*
 * PSI rounds in progress and their transport (see rounds.h).
 *
 * Inner message (docs/PROTOCOL.md 9.7): {"t":"psi","id":0,"k":kind,
 * "r":round id bin(16),"e":spark period,"i":fragment,"n":fragments,
 * "m":bin(<= ROUNDS_FRAG)}. Fragments of one PSI message arrive in order
 * (one sender, one mailbox, the ratchet refuses replays); anything else
 * abandons the round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"
#include "daemon/api.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/outbox.h"
#include "daemon/rounds.h"
#include "daemon/spark.h"
#include "daemon/store.h"
#include "daemon/wishes.h"

#define ROUND_TIMEOUT_MS_DEFAULT (10 * 60 * 1000)
#define FRAGS_MAX ((PSI_MSG_MAX + ROUNDS_FRAG - 1) / ROUNDS_FRAG)
#define QUIET_MAX 32

/* One PSI message of the peer being put together from its fragments. */
struct rx {
	uint8_t *buf;               /* psi_msg_size(kind) bytes */
	size_t size, nfrags, have;
	uint64_t got[(FRAGS_MAX + 63) / 64];   /* bitmap of fragments in */
	int complete, taken;
};

struct round {
	int used;
	int mine;                   /* we started it */
	enum rounds_kind kind;
	uint8_t partner[32];
	uint8_t rid[PSI_ROUND_ID_LEN];
	uint64_t epoch;
	uint64_t deadline_ms;
	struct psi *psi;
	struct rx rx[3];            /* COMMIT, REVEAL, EXP */
	uint8_t *tx[3];             /* copies of what we sent, to send again */
	size_t tx_len[3];
	uint64_t resend_ms;         /* next time we send it all again */
	uint64_t resend_every_ms;
	int done;                   /* finished: kept until its deadline to answer resends */
	int pump_due, resend_due;   /* to do on the next loop turn (see rounds_on_kick) */
	char (*custom)[PSI_KEY_MAX + 1];
	size_t ncustom;
	struct api_req *waiter;
};

/* Spark rounds a partner did not answer: start only every 2^missed periods (<= 12). */
struct quiet {
	uint8_t partner[32];
	unsigned missed;
};

struct rounds {
	struct daemon *d;
	uv_timer_t timer;
	uv_timer_t kick;            /* sends what incoming messages made due */
	int handles;
	uint64_t last_epoch;
	uint64_t timeout_ms;
	uint64_t resend_every_ms;
	struct round r[ROUNDS_MAX];
	struct quiet q[QUIET_MAX];
};

static void rounds_kick(struct rounds *rs);
static int rounds_start(struct daemon *d, enum rounds_kind kind, const uint8_t partner[32],
    const uint8_t round_id[PSI_ROUND_ID_LEN], uint64_t epoch, struct psi *p,
    char custom[][PSI_KEY_MAX + 1], size_t ncustom, void *waiter, int mine_hint);

uint64_t
rounds_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
rounds_bind(struct daemon *d, const uint8_t partner[32], uint8_t bind[PSI_BIND_LEN], int *role)
{
	const uint8_t *me = keys_person_pk(d->keys);
	int lo = memcmp(me, partner, 32) < 0;
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, PSI_BIND_LEN);
	crypto_generichash_update(&h, (const uint8_t *)"attune-psi-bind-v1", 18);
	crypto_generichash_update(&h, lo ? me : partner, 32);
	crypto_generichash_update(&h, lo ? partner : me, 32);
	crypto_generichash_final(&h, bind, PSI_BIND_LEN);
	if (role != NULL)
		*role = lo ? 0 : 1;
}

int
rounds_is_round_device(struct daemon *d)
{
	struct store_device *ds = NULL;
	const uint8_t *mine = keys_relay_pk(d->keys);
	size_t n = 0, i;
	int yes = 1;

	if (store_device_list(d->store, keys_person_pk(d->keys), &ds, &n) != 0)
		return 1;
	for (i = 0; i < n; i++)
		if (!ds[i].revoked && memcmp(ds[i].relay, mine, 32) < 0)
			yes = 0;
	free(ds);
	return yes;
}

static struct quiet *
quiet_of(struct rounds *rs, const uint8_t partner[32], int add)
{
	size_t i;

	for (i = 0; i < QUIET_MAX; i++)
		if (rs->q[i].missed > 0 && memcmp(rs->q[i].partner, partner, 32) == 0)
			return &rs->q[i];
	if (!add)
		return NULL;
	for (i = 0; i < QUIET_MAX; i++)
		if (rs->q[i].missed == 0) {
			memcpy(rs->q[i].partner, partner, 32);
			return &rs->q[i];
		}
	return NULL;
}

static void
round_free(struct round *x)
{
	psi_free(x->psi);
	for (int k = 0; k < 3; k++) {
		if (x->rx[k].buf != NULL) {
			sodium_memzero(x->rx[k].buf, x->rx[k].size);
			free(x->rx[k].buf);
		}
		free(x->tx[k]);   /* public values: what the partner already got */
	}
	free(x->custom);
	memset(x, 0, sizeof(*x));
}

static void
round_abandon(struct rounds *rs, struct round *x, const char *why)
{
	if (x->kind == ROUNDS_SPARK) {
		struct quiet *q = quiet_of(rs, x->partner, 1);

		if (q != NULL && q->missed < 8)
			q->missed++;
	} else {
		fprintf(stderr, "attuned: a wishes round was abandoned (%s)\n", why);
		wishes_abandoned(rs->d, x->waiter, why);
	}
	round_free(x);
}

static struct round *
round_find(struct rounds *rs, const uint8_t rid[PSI_ROUND_ID_LEN])
{
	for (size_t i = 0; i < ROUNDS_MAX; i++)
		if (rs->r[i].used && memcmp(rs->r[i].rid, rid, PSI_ROUND_ID_LEN) == 0)
			return &rs->r[i];
	return NULL;
}

int
rounds_running(struct daemon *d, enum rounds_kind kind, const uint8_t partner[32])
{
	struct rounds *rs = d->rounds;

	for (size_t i = 0; rs != NULL && i < ROUNDS_MAX; i++)
		if (rs->r[i].used && !rs->r[i].done && rs->r[i].kind == kind &&
		    memcmp(rs->r[i].partner, partner, 32) == 0)
			return 1;
	return 0;
}

/* Sends one PSI message, cut into fragments (each its own inner message). */
static int
send_msg(struct rounds *rs, struct round *x, const uint8_t *m, size_t n)
{
	size_t frags = (n + ROUNDS_FRAG - 1) / ROUNDS_FRAG, i;
	struct msg_out o;
	int r = 0;

	msg_out_init(&o);
	for (i = 0; r == 0 && i < frags; i++) {
		size_t off = i * ROUNDS_FRAG, len = n - off;

		if (len > ROUNDS_FRAG)
			len = ROUNDS_FRAG;
		msg_out_reset(&o);
		msg_out_begin(&o, "psi", 0, 8);
		msg_out_uint(&o, "k", (uint64_t)x->kind);
		msg_out_uint(&o, "p", m[1]);
		msg_out_uint(&o, "s", (uint64_t)x->mine);
		msg_out_bin(&o, "r", x->rid, PSI_ROUND_ID_LEN);
		msg_out_uint(&o, "e", x->epoch);
		msg_out_uint(&o, "i", i);
		msg_out_uint(&o, "n", frags);
		msg_out_bin(&o, "m", m + off, len);
		r = msg_out_failed(&o) ? ATT_ENOMEM :
		    outbox_send_inner(rs->d->sync, x->partner, msg_out_data(&o), msg_out_len(&o), NULL);
	}
	msg_out_free(&o);
	return r;
}

/* Sends every message the round has due, and keeps a copy of each. */
static int
round_pump(struct rounds *rs, struct round *x)
{
	uint8_t *m;
	int n, r = 0;

	if (rs->d->sync == NULL)
		return ATT_ESTATE;
	if ((m = malloc(PSI_MSG_MAX)) == NULL)
		return ATT_ENOMEM;
	while (r == 0 && (n = psi_next(x->psi, m, PSI_MSG_MAX)) > 0) {
		int k = m[1] - 1;

		free(x->tx[k]);
		if ((x->tx[k] = malloc((size_t)n)) == NULL) {
			r = ATT_ENOMEM;
			break;
		}
		memcpy(x->tx[k], m, (size_t)n);
		x->tx_len[k] = (size_t)n;
		r = send_msg(rs, x, m, (size_t)n);
	}
	free(m);
	return r < 0 ? r : 0;
}

/*
 * Sends everything we sent in this round again: an envelope can be lost
 * (the relay or a session may drop one), and the receiver takes a fragment
 * or message it already has as a no-op. Inside its own store transaction.
 */
static void
round_resend(struct rounds *rs, struct round *x)
{
	struct daemon *d = rs->d;
	int r = store_begin(d->store);

	for (int k = 0; r == 0 && k < 3; k++)
		if (x->tx[k] != NULL)
			r = send_msg(rs, x, x->tx[k], x->tx_len[k]);
	if (r == 0)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
	x->resend_ms = rounds_now_ms() + x->resend_every_ms;
}

int
rounds_begin(struct daemon *d, enum rounds_kind kind, const uint8_t partner[32],
    const uint8_t round_id[PSI_ROUND_ID_LEN], uint64_t epoch, struct psi *p,
    char custom[][PSI_KEY_MAX + 1], size_t ncustom, void *waiter)
{
	return rounds_start(d, kind, partner, round_id, epoch, p, custom, ncustom, waiter, 1);
}

/* mine_hint: we start the round (else we answer the partner's COMMIT). */
static int
rounds_start(struct daemon *d, enum rounds_kind kind, const uint8_t partner[32],
    const uint8_t round_id[PSI_ROUND_ID_LEN], uint64_t epoch, struct psi *p,
    char custom[][PSI_KEY_MAX + 1], size_t ncustom, void *waiter, int mine_hint)
{
	struct rounds *rs = d->rounds;
	struct round *x = NULL;
	size_t i;
	int r;

	for (i = 0; rs != NULL && i < ROUNDS_MAX && x == NULL; i++)
		if (!rs->r[i].used)
			x = &rs->r[i];
	if (x == NULL) {
		psi_free(p);
		return ATT_ELIMIT;
	}
	{
		struct psi_params shape = { 0, 1, 0, 1 };
		int bad = 0;

		if (kind == ROUNDS_WISHES)
			wishes_params(&shape);
		for (int k = 0; k < 3; k++) {
			x->rx[k].size = psi_msg_size((enum psi_kind)(k + 1), &shape);
			x->rx[k].nfrags = (x->rx[k].size + ROUNDS_FRAG - 1) / ROUNDS_FRAG;
			if ((x->rx[k].buf = malloc(x->rx[k].size)) == NULL)
				bad = 1;
		}
		x->custom = ncustom ? calloc(ncustom, sizeof(*x->custom)) : NULL;
		if (bad || (ncustom && x->custom == NULL)) {
			x->waiter = NULL;
			round_free(x);
			psi_free(p);
			return ATT_ENOMEM;
		}
	}
	x->used = 1;
	x->mine = waiter != NULL || mine_hint;
	x->kind = kind;
	memcpy(x->partner, partner, 32);
	memcpy(x->rid, round_id, PSI_ROUND_ID_LEN);
	x->epoch = epoch;
	x->psi = p;
	x->deadline_ms = rounds_now_ms() + (kind == ROUNDS_SPARK ? 2 * spark_period_ms() : rs->timeout_ms);
	x->resend_every_ms = kind == ROUNDS_SPARK ? spark_period_ms() / 3 : rs->resend_every_ms;
	x->resend_ms = rounds_now_ms() + x->resend_every_ms;
	for (i = 0; i < ncustom; i++)
		memcpy(x->custom[i], custom[i], PSI_KEY_MAX + 1);
	x->ncustom = ncustom;
	x->waiter = waiter;
	if (!mine_hint) {
		/* Answering inside the inbox's delivery: send on the next turn. */
		x->pump_due = 1;
		rounds_kick(rs);
		rounds_arm(rs);
		return 0;
	}
	r = store_begin(d->store);
	if (r == 0) {
		r = round_pump(rs, x);
		if (r == 0)
			r = store_commit(d->store);
		else
			store_rollback(d->store);
	}
	if (r != 0) {
		x->waiter = NULL;   /* the caller answers its client */
		round_free(x);
		return r;
	}
	rounds_arm(rs);
	return 0;
}

/* A round is done: hands the result to its kind, frees it. */
static int
round_finish(struct rounds *rs, struct round *x, struct event *ev, int *have_ev)
{
	int r = 0;

	if (x->kind == ROUNDS_SPARK) {
		struct quiet *q = quiet_of(rs, x->partner, 0);

		if (q != NULL)
			q->missed = 0;
		r = spark_done(rs->d, x->partner, x->psi, ev, have_ev);
	} else {
		wishes_done(rs->d, x->partner, x->psi, x->custom, x->ncustom, x->waiter);
		x->waiter = NULL;
	}
	/* Kept (without its secrets) until its deadline, to send our part
	 * again if the partner missed some of it. */
	psi_free(x->psi);
	x->psi = NULL;
	x->done = 1;
	return r;
}

/* A COMMIT for a round we do not hold: the partner started it. */
static struct round *
round_answer(struct rounds *rs, const uint8_t partner[32], enum rounds_kind kind,
    const uint8_t rid[PSI_ROUND_ID_LEN], uint64_t epoch, int *err)
{
	struct daemon *d = rs->d;
	char custom[PSI_MAX_CUSTOM][PSI_KEY_MAX + 1];
	uint8_t want[PSI_ROUND_ID_LEN];
	size_t ncustom = 0;
	struct psi *p;
	const char *why = NULL;
	uint64_t now_epoch = rounds_now_ms() / spark_period_ms();

	*err = 0;
	if (kind == ROUNDS_SPARK) {
		/* Only this period's round (or a neighbour's, for clocks a little apart). */
		if (epoch + 1 < now_epoch || epoch > now_epoch + 1) {
			*err = ATT_ERANGE;
			return NULL;
		}
		spark_round_id(d, partner, epoch, want);
		if (sodium_memcmp(want, rid, PSI_ROUND_ID_LEN) != 0) {
			*err = ATT_EAUTH;
			return NULL;
		}
		p = spark_round(d, partner, epoch);
	} else {
		p = wishes_round(d, partner, rid, custom, &ncustom, &why);
		if (p == NULL && why != NULL) {
			fprintf(stderr, "attuned: refused a partner's wishes round: %s\n", why);
			*err = ATT_ELIMIT;
			return NULL;
		}
	}
	if (p == NULL) {
		*err = ATT_ENOMEM;
		return NULL;
	}
	if ((*err = rounds_start(d, kind, partner, rid, epoch, p, custom, ncustom, NULL, 0)) != 0)
		return NULL;
	return round_find(rs, rid);
}

/* Hands every complete message the psi can take now to it (they may have
 * come out of order: a REVEAL before its COMMIT waits for it). */
static int
round_feed(struct round *x)
{
	int progress = 1, r;

	while (progress) {
		progress = 0;
		for (int k = 0; k < 3; k++) {
			struct rx *q = &x->rx[k];

			if (!q->complete || q->taken)
				continue;
			r = psi_recv(x->psi, q->buf, q->size);
			if (r == ATT_ESTATE)
				continue;   /* its turn has not come yet */
			sodium_memzero(q->buf, q->size);
			q->taken = 1;
			if (r != 0)
				return r;
			progress = 1;
		}
	}
	return 0;
}

int
rounds_recv(struct daemon *d, const uint8_t partner[32], const msgpack_object *root,
    struct event *ev, int *have_ev)
{
	struct rounds *rs = d->rounds;
	const uint8_t *rid, *m;
	uint64_t kind, pk, starter, epoch, i, n;
	size_t len;
	struct round *x;
	struct rx *q;
	int r;

	*have_ev = 0;
	if (rs == NULL)
		return ATT_ESTATE;
	if ((r = msg_get_uint(root, "k", 2, &kind)) != 0 || kind < 1 ||
	    (r = msg_get_uint(root, "p", PSI_EXP, &pk)) != 0 || pk < PSI_COMMIT ||
	    (r = msg_get_uint(root, "s", 1, &starter)) != 0 ||
	    (r = msg_get_bin_exact(root, "r", PSI_ROUND_ID_LEN, &rid)) != 0 ||
	    (r = msg_get_uint(root, "e", UINT64_MAX >> 1, &epoch)) != 0 ||
	    (r = msg_get_uint(root, "n", FRAGS_MAX, &n)) != 0 || n < 1 ||
	    (r = msg_get_uint(root, "i", n - 1, &i)) != 0 ||
	    (r = msg_get_bin(root, "m", ROUNDS_FRAG, &m, &len)) != 0)
		return r != 0 ? r : ATT_ERANGE;
	if (!rounds_is_round_device(d))
		return 0;   /* another of our devices runs our rounds */
	x = round_find(rs, rid);
	if (x != NULL && (x->kind != (enum rounds_kind)kind || memcmp(x->partner, partner, 32) != 0 ||
	    x->mine == (int)starter))
		return ATT_EAUTH;
	if (x == NULL) {
		/* Only the starter's COMMIT (one fragment) opens a round on this side. */
		if (!starter || pk != PSI_COMMIT || n != 1 || len != PSI_COMMIT_MSG_LEN)
			return ATT_ENOTFOUND;
		x = round_answer(rs, partner, (enum rounds_kind)kind, rid, epoch, &r);
		if (x == NULL)
			return r;
	}
	q = &x->rx[pk - 1];
	if (n != q->nfrags || (i + 1 < n ? len != ROUNDS_FRAG : len != q->size - i * ROUNDS_FRAG))
		return ATT_EMALFORMED;
	if (x->done || q->taken || (q->got[i / 64] >> (i % 64) & 1)) {
		/* A copy: the partner is sending again, so it may lack some of ours. */
		if (rounds_now_ms() + x->resend_every_ms / 2 >= x->resend_ms) {
			x->resend_due = 1;
			rounds_kick(rs);
		}
		return ATT_EREPLAY;
	}
	memcpy(q->buf + i * ROUNDS_FRAG, m, len);
	q->got[i / 64] |= (uint64_t)1 << (i % 64);
	if (++q->have < q->nfrags)
		return 0;
	q->complete = 1;
	if ((r = round_feed(x)) != 0) {
		round_abandon(rs, x, att_errcode(r));
		return r;
	}
	/*
	 * What is due now goes out on the next loop turn, outside the inbox's
	 * delivery transaction: sending seals with the session of the very
	 * device whose envelope the inbox holds open, and the inbox saves that
	 * session when it commits.
	 */
	x->pump_due = 1;
	rounds_kick(rs);
	(void)ev;
	return 0;
}

/* Sends what is due for x and finishes it when done, in one transaction. */
static void
round_step(struct rounds *rs, struct round *x)
{
	struct daemon *d = rs->d;
	struct event *ev = calloc(1, sizeof(*ev));
	int have_ev = 0, r;

	x->pump_due = 0;
	r = ev == NULL ? ATT_ENOMEM : store_begin(d->store);
	if (r == 0) {
		r = round_pump(rs, x);
		if (r == 0 && psi_done(x->psi))
			r = round_finish(rs, x, ev, &have_ev);
		if (r == 0)
			r = store_commit(d->store);
		else
			store_rollback(d->store);
	}
	if (r != 0 && !x->done)
		round_abandon(rs, x, att_errcode(r));
	else if (r == 0 && have_ev)
		api_event_arrived(d, ev);
	if (ev != NULL) {
		sodium_memzero(ev, sizeof(*ev));
		free(ev);
	}
}

static void
rounds_on_kick(uv_timer_t *t)
{
	struct rounds *rs = t->data;

	for (size_t i = 0; i < ROUNDS_MAX; i++) {
		struct round *x = &rs->r[i];

		if (!x->used)
			continue;
		if (x->resend_due) {
			x->resend_due = 0;
			round_resend(rs, x);
		}
		if (x->pump_due && !x->done)
			round_step(rs, x);
	}
	rounds_arm(rs);
}

static void
rounds_kick(struct rounds *rs)
{
	if (!rs->d->stopping && !uv_is_active((uv_handle_t *)&rs->kick))
		uv_timer_start(&rs->kick, rounds_on_kick, 0, 0);
}

/* Abandons rounds past their deadline; starts spark rounds at a new period. */
static void
rounds_on_timer(uv_timer_t *t)
{
	struct rounds *rs = t->data;
	uint64_t now = rounds_now_ms(), epoch = now / spark_period_ms();

	for (size_t i = 0; i < ROUNDS_MAX; i++) {
		struct round *x = &rs->r[i];

		if (!x->used)
			continue;
		if (x->deadline_ms <= now) {
			if (x->done)
				round_free(x);
			else
				round_abandon(rs, x, "timed out");
		} else if (!x->done && x->resend_ms <= now) {
			round_resend(rs, x);
		}
	}
	if (epoch != rs->last_epoch && daemon_initialised(rs->d) && rs->d->sync != NULL) {
		rs->last_epoch = epoch;
		spark_tick(rs->d, epoch);
	}
	rounds_arm(rs);
}

void
rounds_arm(struct rounds *rs)
{
	uint64_t now = rounds_now_ms(), p = spark_period_ms();
	uint64_t next = (now / p + 1) * p;

	if (rs == NULL || rs->d->stopping)
		return;
	for (size_t i = 0; i < ROUNDS_MAX; i++) {
		if (rs->r[i].used && rs->r[i].deadline_ms < next)
			next = rs->r[i].deadline_ms;
		if (rs->r[i].used && !rs->r[i].done && rs->r[i].resend_ms < next)
			next = rs->r[i].resend_ms;
	}
	uv_timer_start(&rs->timer, rounds_on_timer, next > now ? next - now : 0, 0);
}

int
rounds_spark_due(struct daemon *d, const uint8_t partner[32], uint64_t epoch)
{
	struct quiet *q = d->rounds != NULL ? quiet_of(d->rounds, partner, 0) : NULL;
	uint64_t every;

	if (q == NULL)
		return 1;
	every = q->missed >= 4 ? 12 : (uint64_t)1 << q->missed;
	return epoch % every == 0;
}

struct rounds *
rounds_new(struct daemon *d)
{
	struct rounds *rs = calloc(1, sizeof(*rs));
	const char *t = getenv("ATTUNE_ROUND_TIMEOUT_MS");

	if (rs == NULL)
		return NULL;
	rs->d = d;
	rs->timeout_ms = t != NULL && atoll(t) > 0 ? (uint64_t)atoll(t) : ROUND_TIMEOUT_MS_DEFAULT;
	rs->resend_every_ms = rs->timeout_ms / 5;
	rs->last_epoch = rounds_now_ms() / spark_period_ms();
	uv_timer_init(d->loop, &rs->timer);
	uv_timer_init(d->loop, &rs->kick);
	rs->timer.data = rs->kick.data = rs;
	rs->handles = 2;
	return rs;
}

static void
rounds_on_close(uv_handle_t *h)
{
	struct rounds *rs = h->data;

	if (--rs->handles == 0)
		free(rs);
}

void
rounds_free(struct rounds *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < ROUNDS_MAX; i++)
		if (rs->r[i].used && rs->r[i].done)
			round_free(&rs->r[i]);
		else if (rs->r[i].used)
			round_abandon(rs, &rs->r[i], "attuned is stopping");
	uv_close((uv_handle_t *)&rs->timer, rounds_on_close);
	uv_close((uv_handle_t *)&rs->kick, rounds_on_close);
}
