/*
 * The summary of the history that the frequent reads start from, and the
 * indexed look-ups around it.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/history.h"
#include "daemon/store.h"
#include "daemon/view.h"
#include "proto/be.h"
#include "proto/err.h"
#include "proto/event.h"

#define HISTORY_KV      "history"
#define HISTORY_VERSION 1
#define HISTORY_PAD     512
#define HISTORY_HDR     29   /* version(1) covered(8) done(8) nh(4) nb(4) nr(4) */
#define HEAD_LEN        64   /* person(32) id(16) ts(8) seq(8) */
#define BID_LEN         32   /* id(16) ts(8) closes(8) */
#define RC_LEN          33   /* id(16) ts(8) at(8) mine(1) */
#define RC_SHOWN        86400  /* status lists a rain check until a day after it */

struct hist_head {
	uint8_t person[EVENT_KEY_LEN];
	uint8_t id[EVENT_ID_LEN];
	uint64_t ts;
	int64_t seq;
};

/* An event status shows until a time: a bid while open, a spark match for a while. */
struct hist_timed {
	uint8_t id[EVENT_ID_LEN];
	uint64_t ts, closes;   /* view_bid_closes, or the end of a spark match's showing */
};

struct hist_rc {
	uint8_t id[EVENT_ID_LEN];
	uint64_t ts, at;
	int mine;
};

struct hist {
	struct store *st;
	uint64_t now;
	int64_t covered;     /* seq of the last event seen */
	uint64_t done;       /* our rain checks due up to this are announced */
	struct hist_head *h;
	struct hist_timed *b;     /* bids that may be open, spark matches still shown */
	struct hist_rc *r;
	size_t nh, nb, nr, caph, capb, capr;
	int dirty;
};

/* ---- keeping ---- */

/* A day past its closing: "04:00 next morning" moves with the time zone. */
static int
timed_keep(const struct hist_timed *b, uint64_t now)
{
	return b->closes + 86400 > now;
}

static int
rc_keep(const struct hist_rc *r, uint64_t now, uint64_t done)
{
	/* Both sides are reminded (issue 13): ours and those given to us wait until done too. */
	return r->ts + 2 * VIEW_WINDOW >= now && (r->at + RC_SHOWN >= now || r->at > done);
}

/* Makes room for one more element of size in *arr. */
static int
hist_room(void **arr, size_t n, size_t *cap, size_t size)
{
	void *g;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 4;
	g = realloc(*arr, nc * size);
	if (g == NULL)
		return ATT_ENOMEM;
	*arr = g;
	*cap = nc;
	return 0;
}

static void
hist_free(struct hist *h)
{
	free(h->h);
	free(h->b);
	free(h->r);
	h->h = NULL;
	h->b = NULL;
	h->r = NULL;
	h->nh = h->nb = h->nr = h->caph = h->capb = h->capr = 0;
}

static void
hist_prune(struct hist *h)
{
	size_t i, n;

	for (i = n = 0; i < h->nb; i++)
		if (timed_keep(&h->b[i], h->now))
			h->b[n++] = h->b[i];
	h->dirty |= n != h->nb;
	h->nb = n;
	for (i = n = 0; i < h->nr; i++)
		if (rc_keep(&h->r[i], h->now, h->done))
			h->r[n++] = h->r[i];
	h->dirty |= n != h->nr;
	h->nr = n;
}

/* ---- the sealed record ---- */

static int
hist_decode(struct hist *h, const uint8_t *p, size_t len)
{
	size_t nh, nb, nr, i;

	if (len < HISTORY_HDR || p[0] != HISTORY_VERSION)
		return ATT_ECORRUPT;
	nh = be_get32(p + 17);
	nb = be_get32(p + 21);
	nr = be_get32(p + 25);
	if (nh > len / HEAD_LEN || nb > len / BID_LEN || nr > len / RC_LEN ||
	    HISTORY_HDR + nh * HEAD_LEN + nb * BID_LEN + nr * RC_LEN > len)
		return ATT_ECORRUPT;
	h->covered = (int64_t)be_get64(p + 1);
	h->done = be_get64(p + 9);
	p += HISTORY_HDR;
	for (i = 0; i < nh; i++, p += HEAD_LEN) {
		if (hist_room((void **)&h->h, h->nh, &h->caph, sizeof(*h->h)) != 0)
			return ATT_ENOMEM;
		memcpy(h->h[h->nh].person, p, EVENT_KEY_LEN);
		memcpy(h->h[h->nh].id, p + 32, EVENT_ID_LEN);
		h->h[h->nh].ts = be_get64(p + 48);
		h->h[h->nh++].seq = (int64_t)be_get64(p + 56);
	}
	for (i = 0; i < nb; i++, p += BID_LEN) {
		if (hist_room((void **)&h->b, h->nb, &h->capb, sizeof(*h->b)) != 0)
			return ATT_ENOMEM;
		memcpy(h->b[h->nb].id, p, EVENT_ID_LEN);
		h->b[h->nb].ts = be_get64(p + 16);
		h->b[h->nb++].closes = be_get64(p + 24);
	}
	for (i = 0; i < nr; i++, p += RC_LEN) {
		if (hist_room((void **)&h->r, h->nr, &h->capr, sizeof(*h->r)) != 0)
			return ATT_ENOMEM;
		memcpy(h->r[h->nr].id, p, EVENT_ID_LEN);
		h->r[h->nr].ts = be_get64(p + 16);
		h->r[h->nr].at = be_get64(p + 24);
		h->r[h->nr++].mine = p[32] != 0;
	}
	return 0;
}

/* A record that cannot be read is rebuilt from the events: it is only a summary. */
static int
hist_load(struct hist *h, struct store *st, uint64_t now)
{
	uint8_t *p;
	size_t len;
	int r;

	memset(h, 0, sizeof(*h));
	h->st = st;
	h->now = now;
	r = store_kv_get(st, HISTORY_KV, &p, &len);
	if (r == ATT_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	r = hist_decode(h, p, len);
	store_blob_free(p, len);
	if (r == ATT_ENOMEM)
		return r;
	if (r != 0) {
		hist_free(h);
		h->covered = 0;
		h->done = 0;
		h->dirty = 1;
	}
	return 0;
}

static int
hist_save(struct hist *h)
{
	size_t len = HISTORY_HDR + h->nh * HEAD_LEN + h->nb * BID_LEN + h->nr * RC_LEN, i;
	uint8_t *buf, *p;
	int r;

	len = (len + HISTORY_PAD - 1) / HISTORY_PAD * HISTORY_PAD;
	buf = calloc(1, len);
	if (buf == NULL)
		return ATT_ENOMEM;
	buf[0] = HISTORY_VERSION;
	be_put64(buf + 1, (uint64_t)h->covered);
	be_put64(buf + 9, h->done);
	be_put32(buf + 17, (uint32_t)h->nh);
	be_put32(buf + 21, (uint32_t)h->nb);
	be_put32(buf + 25, (uint32_t)h->nr);
	p = buf + HISTORY_HDR;
	for (i = 0; i < h->nh; i++, p += HEAD_LEN) {
		memcpy(p, h->h[i].person, EVENT_KEY_LEN);
		memcpy(p + 32, h->h[i].id, EVENT_ID_LEN);
		be_put64(p + 48, h->h[i].ts);
		be_put64(p + 56, (uint64_t)h->h[i].seq);
	}
	for (i = 0; i < h->nb; i++, p += BID_LEN) {
		memcpy(p, h->b[i].id, EVENT_ID_LEN);
		be_put64(p + 16, h->b[i].ts);
		be_put64(p + 24, h->b[i].closes);
	}
	for (i = 0; i < h->nr; i++, p += RC_LEN) {
		memcpy(p, h->r[i].id, EVENT_ID_LEN);
		be_put64(p + 16, h->r[i].ts);
		be_put64(p + 24, h->r[i].at);
		p[32] = h->r[i].mine ? 1 : 0;
	}
	r = store_kv_set(h->st, HISTORY_KV, buf, len);
	store_blob_free(buf, len);
	if (r == 0)
		h->dirty = 0;
	return r;
}

/* ---- catching up ---- */

struct retract_scan {
	const uint8_t *author;
	int found;
};

static int
retract_fn(void *arg, const struct event *ev, int64_t seq)
{
	struct retract_scan *rs = arg;

	(void)seq;
	if (ev->kind == EVENT_RETRACT && memcmp(ev->author, rs->author, EVENT_KEY_LEN) == 0) {
		rs->found = 1;
		return 1;
	}
	return 0;
}

/* 1 when e's author retracted it, 0 when not, or an error. */
static int
hist_retracted(struct store *st, const struct event *e)
{
	struct retract_scan rs = { .author = e->author };
	int r = store_event_refs(st, e->id, 0, retract_fn, &rs);

	return r < 0 ? r : rs.found;
}

static ssize_t
hist_head_of(const struct hist *h, const uint8_t person[EVENT_KEY_LEN])
{
	size_t i;

	for (i = 0; i < h->nh; i++)
		if (memcmp(h->h[i].person, person, EVENT_KEY_LEN) == 0)
			return (ssize_t)i;
	return -1;
}

static void
hist_set_head(struct hist_head *hd, const struct event *ev, int64_t seq)
{
	memcpy(hd->person, ev->author, EVENT_KEY_LEN);
	memcpy(hd->id, ev->id, EVENT_ID_LEN);
	hd->ts = ev->ts;
	hd->seq = seq;
}

struct refill {
	struct store *st;
	struct hist_head *out;
	int found, err;
};

static int
refill_fn(void *arg, const struct event *ev, int64_t seq)
{
	struct refill *rf = arg;
	int r;

	if (ev->kind != EVENT_CHECKIN)
		return 0;
	r = hist_retracted(rf->st, ev);
	if (r < 0) {
		rf->err = r;
		return 1;
	}
	if (r == 1)
		return 0;
	hist_set_head(rf->out, ev, seq);
	rf->found = 1;
	return 1;
}

/*
 * The head of person was retracted: their newest check-in that is not, from
 * the window status shows (an older one would not show anyway).
 */
static int
hist_refill(struct hist *h, size_t i)
{
	struct refill rf = { .st = h->st, .out = &h->h[i] };
	uint8_t person[EVENT_KEY_LEN];
	int r;

	memcpy(person, h->h[i].person, EVENT_KEY_LEN);
	r = store_event_by_author(h->st, person, h->now > VIEW_WINDOW ? h->now - VIEW_WINDOW : 0,
	    refill_fn, &rf);
	if (r == 0)
		r = rf.err;
	if (r != 0)
		return r;
	if (!rf.found)
		h->h[i] = h->h[--h->nh];
	return 0;
}

static int
hist_newer(uint64_t ts, int64_t seq, const struct hist_head *hd)
{
	return ts != hd->ts ? ts > hd->ts : seq > hd->seq;
}

static int
hist_checkin(struct hist *h, const struct event *ev, int64_t seq)
{
	ssize_t i = hist_head_of(h, ev->author);
	int r;

	if (i >= 0 && !hist_newer(ev->ts, seq, &h->h[i]))
		return 0;
	r = hist_retracted(h->st, ev);   /* its retraction may have come first */
	if (r != 0)
		return r < 0 ? r : 0;
	if (i < 0) {
		r = hist_room((void **)&h->h, h->nh, &h->caph, sizeof(*h->h));
		if (r != 0)
			return r;
		i = (ssize_t)h->nh++;
	}
	hist_set_head(&h->h[i], ev, seq);
	return 0;
}

static int
hist_note(struct hist *h, const struct event *ev, int64_t seq)
{
	ssize_t i;
	int r;

	switch (ev->kind) {
	case EVENT_CHECKIN:
		return hist_checkin(h, ev, seq);
	case EVENT_RETRACT:
		i = hist_head_of(h, ev->author);
		if (i >= 0 && memcmp(h->h[i].id, ev->ref, EVENT_ID_LEN) == 0)
			return hist_refill(h, (size_t)i);
		return 0;
	case EVENT_BID:
	case EVENT_SPARK_MATCH: {
		struct hist_timed b = { .ts = ev->ts, .closes = ev->kind == EVENT_BID ?
		    view_bid_closes(ev) : ev->ts + VIEW_SPARK_SHOWN };

		memcpy(b.id, ev->id, EVENT_ID_LEN);
		if (!timed_keep(&b, h->now))
			return 0;
		r = hist_room((void **)&h->b, h->nb, &h->capb, sizeof(*h->b));
		if (r == 0)
			h->b[h->nb++] = b;
		return r;
	}
	case EVENT_RESPONSE: {
		struct hist_rc rc = { .ts = ev->ts, .at = ev->raincheck, .mine = ev->mine };

		memcpy(rc.id, ev->id, EVENT_ID_LEN);
		if (ev->raincheck == 0 || !rc_keep(&rc, h->now, h->done))
			return 0;
		r = hist_room((void **)&h->r, h->nr, &h->capr, sizeof(*h->r));
		if (r == 0)
			h->r[h->nr++] = rc;
		return r;
	}
	default:
		return 0;
	}
}

struct catch_up {
	struct hist *h;
	int err;
};

static int
catch_up_fn(void *arg, const struct event *ev, int64_t seq)
{
	struct catch_up *c = arg;

	c->err = hist_note(c->h, ev, seq);
	if (c->err != 0)
		return 1;
	c->h->covered = seq;
	c->h->dirty = 1;
	return 0;
}

/* Loads the summary and catches it up; the caller hist_finish()es it. */
static int
hist_open(struct hist *h, struct store *st, uint64_t now)
{
	struct catch_up c = { .h = h };
	int r = hist_load(h, st, now);

	if (r == 0)
		r = store_event_after(st, h->covered, catch_up_fn, &c);
	if (r == 0)
		r = c.err;
	if (r == 0)
		hist_prune(h);
	if (r != 0)
		hist_free(h);
	return r;
}

/* Saves what changed and frees. */
static int
hist_finish(struct hist *h)
{
	int r = h->dirty ? hist_save(h) : 0;

	hist_free(h);
	return r;
}

int
history_update(struct store *st, uint64_t now)
{
	struct hist h;
	int r = hist_open(&h, st, now);

	return r != 0 ? r : hist_finish(&h);
}

/* ---- the reads ---- */

struct collect {
	struct view *v;
	int err;
};

static int
collect_fn(void *arg, const struct event *ev, int64_t seq)
{
	struct collect *c = arg;

	if (view_add_row(c->v, ev, seq) != 0) {
		c->err = ATT_ENOMEM;
		return 1;
	}
	return 0;
}

/* Adds the event id to v if it is stored with ts >= since. */
static int
add_find(struct store *st, const uint8_t id[EVENT_ID_LEN], uint64_t since, struct view *v,
    struct event *tmp)
{
	int64_t seq;
	int r = store_event_find(st, id, since, tmp, &seq);

	if (r == ATT_ENOTFOUND)
		return 0;
	if (r == 0 && view_add_row(v, tmp, seq) != 0)
		r = ATT_ENOMEM;
	return r;
}

static int
add_refs(struct store *st, const uint8_t id[EVENT_ID_LEN], uint64_t since, struct view *v)
{
	struct collect c = { .v = v };
	int r = store_event_refs(st, id, since, collect_fn, &c);

	return r != 0 ? r : c.err;
}

/*
 * What showing ev consults, whatever the rule: a check-in's or a bid's
 * retractions and answers; a response's bid, the other answers to that bid
 * (a later one replaces it) and the check-in it was given with.
 */
static int
add_related(struct store *st, const struct event *ev, uint64_t since, struct view *v,
    struct event *tmp)
{
	uint8_t id[EVENT_ID_LEN], ci[EVENT_ID_LEN];
	int r, has_ci = ev->has_checkin;

	/* ev may live in v, which grows (moves) below: copy what is needed first. */
	if (ev->kind == EVENT_CHECKIN || ev->kind == EVENT_BID) {
		memcpy(id, ev->id, EVENT_ID_LEN);
		return add_refs(st, id, since, v);
	}
	if (ev->kind != EVENT_RESPONSE)
		return 0;
	memcpy(id, ev->ref, EVENT_ID_LEN);
	memcpy(ci, ev->checkin, EVENT_ID_LEN);
	r = add_find(st, id, since, v, tmp);
	if (r == 0)
		r = add_refs(st, id, since, v);
	if (r == 0 && has_ci)
		r = add_find(st, ci, since, v, tmp);
	return r;
}

/* Adds what every event of v consults, and what those consult, until nothing is new. */
static int
add_closure(struct store *st, uint64_t since, struct view *v, struct event *tmp)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < v->n; i++)
		r = add_related(st, &v->ev[i], since, v, tmp);
	return r;
}

static int
status_fill(struct hist *h, uint64_t since, struct view *v, struct event *tmp)
{
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < h->nh; i++)
		r = add_find(h->st, h->h[i].id, since, v, tmp);
	for (i = 0; r == 0 && i < h->nb; i++)
		if (h->b[i].ts >= since)
			r = add_find(h->st, h->b[i].id, since, v, tmp);
	for (i = 0; r == 0 && i < h->nr; i++)
		if (h->r[i].ts >= since && h->r[i].at + RC_SHOWN >= h->now)
			r = add_find(h->st, h->r[i].id, since, v, tmp);
	if (r == 0)
		r = add_closure(h->st, since, v, tmp);
	return r;
}

int
history_status_view(struct store *st, uint64_t now, struct view *v)
{
	struct hist h;
	struct event *tmp;
	int r = hist_open(&h, st, now);

	if (r != 0)
		return r;
	tmp = malloc(sizeof(*tmp));
	r = tmp == NULL ? ATT_ENOMEM : status_fill(&h, now > VIEW_WINDOW ? now - VIEW_WINDOW : 0, v, tmp);
	if (tmp != NULL) {
		sodium_memzero(tmp, sizeof(*tmp));
		free(tmp);
	}
	if (r == 0)
		r = view_sort(v);
	if (r == 0)
		r = hist_finish(&h);
	else
		hist_free(&h);
	return r;
}

int
history_raincheck_view(struct store *st, uint64_t now, uint64_t done, struct view *v)
{
	uint64_t since = now > 2 * VIEW_WINDOW ? now - 2 * VIEW_WINDOW : 0;
	struct hist h;
	struct event *tmp;
	size_t i;
	int r = hist_open(&h, st, now);

	if (r != 0)
		return r;
	if (h.done != done) {
		h.done = done;
		h.dirty = 1;
		hist_prune(&h);
	}
	tmp = malloc(sizeof(*tmp));
	r = tmp == NULL ? ATT_ENOMEM : 0;
	for (i = 0; r == 0 && i < h.nr; i++)
		if (h.r[i].at > done && h.r[i].ts >= since)
			r = add_find(st, h.r[i].id, since, v, tmp);
	if (r == 0)
		r = add_closure(st, since, v, tmp);
	if (tmp != NULL) {
		sodium_memzero(tmp, sizeof(*tmp));
		free(tmp);
	}
	if (r == 0)
		r = view_sort(v);
	if (r == 0)
		r = hist_finish(&h);
	else
		hist_free(&h);
	return r;
}

int
history_relations(struct store *st, const struct event *ev, int64_t seq, uint64_t since,
    struct view *v)
{
	struct event *tmp;
	int r;

	view_reset(v);
	if (view_add_row(v, ev, seq) != 0)
		return ATT_ENOMEM;
	tmp = malloc(sizeof(*tmp));
	if (tmp == NULL)
		return ATT_ENOMEM;
	r = add_related(st, ev, since, v, tmp);
	sodium_memzero(tmp, sizeof(*tmp));
	free(tmp);
	return r == 0 ? view_sort(v) : r;
}
