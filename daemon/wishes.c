/*
 * Wishes (see wishes.h).
 *
 * kv "wishes" (sealed): {"maybe":bool,"items":[[id,answer]...],
 * "custom":[[text,answer]...]} with answer 0 no, 1 maybe, 2 yes (an item not
 * listed is no). kv "wishes-rounds" (sealed): [[partner bin(32), started,
 * done, [both...], [maybe...]]...], one entry per partner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/catalogue.h"
#include "proto/err.h"
#include "proto/msg.h"
#include "daemon/api.h"
#include "daemon/call.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/notify.h"
#include "daemon/rounds.h"
#include "daemon/store.h"
#include "daemon/wishes.h"

#define WISHES_KV "wishes"
#define ROUNDS_KV "wishes-rounds"
#define PAST_MAX 32
#define RESULT_MAX (PSI_MAX_FIXED + PSI_MAX_CUSTOM)

struct answers {
	int maybe;
	uint8_t item[PSI_MAX_FIXED];
	size_t ncustom;
	char custom[CATALOGUE_CUSTOM_SLOTS][PSI_KEY_MAX + 1];
	uint8_t cans[CATALOGUE_CUSTOM_SLOTS];
};

/* What one round with a partner gave. */
struct past {
	uint8_t partner[32];
	uint64_t started, done;
	size_t nboth, nmaybe;
	char (*both)[PSI_KEY_MAX + 1];
	char (*maybe)[PSI_KEY_MAX + 1];
};

uint64_t
wishes_interval(void)
{
	const char *v = getenv("ATTUNE_WISHES_INTERVAL");

	return v != NULL && *v != '\0' ? (uint64_t)atoll(v) : 86400;
}

void
wishes_params(struct psi_params *p)
{
	p->catalogue = CATALOGUE_VERSION;
	p->nfixed = (uint16_t)catalogue_count();
	p->ncustom = CATALOGUE_CUSTOM_SLOTS;
	p->tiers = 2;
}

static uint64_t
now_s(void)
{
	return rounds_now_ms() / 1000;
}

/* Opens kv key as one parsed msgpack object in up; ATT_ENOTFOUND when absent. */
static int
kv_open(struct daemon *d, const char *key, msgpack_unpacked *up, uint8_t **blob, size_t *len)
{
	int r = store_kv_get(d->store, key, blob, len);

	if (r != 0)
		return r;
	msgpack_unpacked_init(up);
	if (msg_check(*blob, *len, NULL) != 0 ||
	    msgpack_unpack_next(up, (const char *)*blob, *len, NULL) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(up);
		store_blob_free(*blob, *len);
		return ATT_ECORRUPT;
	}
	return 0;
}

static int
answers_load(struct daemon *d, struct answers *a)
{
	const msgpack_object *items, *cust;
	msgpack_unpacked up;
	uint8_t *blob;
	size_t len, n, m, i;
	int r;

	memset(a, 0, sizeof(*a));
	r = kv_open(d, WISHES_KV, &up, &blob, &len);
	if (r == ATT_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	r = ATT_ECORRUPT;
	if (up.data.type == MSGPACK_OBJECT_MAP &&
	    msg_get_bool(&up.data, "maybe", &a->maybe) == 0 &&
	    msg_get_array(&up.data, "items", PSI_MAX_FIXED, &items, &n) == 0 &&
	    msg_get_array(&up.data, "custom", CATALOGUE_CUSTOM_SLOTS, &cust, &m) == 0) {
		r = 0;
		for (i = 0; i < n + m && r == 0; i++) {
			const msgpack_object *e = i < n ? &items[i] : &cust[i - n];
			const char *s;
			size_t sl;
			uint64_t ans;
			int idx;

			if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2 ||
			    msg_obj_str(&e->via.array.ptr[0], PSI_KEY_MAX, &s, &sl) != 0 ||
			    msg_obj_uint(&e->via.array.ptr[1], PSI_YES, &ans) != 0) {
				r = ATT_ECORRUPT;
				break;
			}
			if (i < n) {
				if ((idx = catalogue_find(s, sl)) >= 0)
					a->item[idx] = (uint8_t)ans;   /* an id a newer version dropped: ignored */
			} else {
				memcpy(a->custom[a->ncustom], s, sl);
				a->custom[a->ncustom][sl] = '\0';
				a->cans[a->ncustom++] = (uint8_t)ans;
			}
		}
	}
	msgpack_unpacked_destroy(&up);
	store_blob_free(blob, len);
	return r;
}

static int
answers_save(struct daemon *d, const struct answers *a)
{
	struct msg_out o;
	size_t n = 0, i;
	int r;

	for (i = 0; i < catalogue_count(); i++)
		n += a->item[i] != PSI_NO;
	msg_out_init(&o);
	msgpack_pack_map(&o.pk, 3);
	msg_pack_str(&o.pk, "maybe");
	a->maybe ? msgpack_pack_true(&o.pk) : msgpack_pack_false(&o.pk);
	msg_pack_str(&o.pk, "items");
	msgpack_pack_array(&o.pk, n);
	for (i = 0; i < catalogue_count(); i++)
		if (a->item[i] != PSI_NO) {
			msgpack_pack_array(&o.pk, 2);
			msg_pack_str(&o.pk, catalogue_item(i)->id);
			msgpack_pack_uint8(&o.pk, a->item[i]);
		}
	msg_pack_str(&o.pk, "custom");
	msgpack_pack_array(&o.pk, a->ncustom);
	for (i = 0; i < a->ncustom; i++) {
		msgpack_pack_array(&o.pk, 2);
		msg_pack_str(&o.pk, a->custom[i]);
		msgpack_pack_uint8(&o.pk, a->cans[i]);
	}
	r = msg_out_failed(&o) ? ATT_ENOMEM :
	    store_kv_set(d->store, WISHES_KV, msg_out_data(&o), msg_out_len(&o));
	msg_out_free(&o);
	return r;
}

static void
past_free(struct past *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].both);
		free(p[i].maybe);
	}
}

static int
strs_load(const msgpack_object *o, char (**out)[PSI_KEY_MAX + 1], size_t *n)
{
	const char *s;
	size_t sl;

	*n = 0;
	*out = NULL;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > RESULT_MAX)
		return ATT_ECORRUPT;
	if (o->via.array.size == 0)
		return 0;
	if ((*out = calloc(o->via.array.size, sizeof(**out))) == NULL)
		return ATT_ENOMEM;
	for (size_t i = 0; i < o->via.array.size; i++) {
		if (msg_obj_str(&o->via.array.ptr[i], PSI_KEY_MAX, &s, &sl) != 0)
			return ATT_ECORRUPT;
		memcpy((*out)[i], s, sl);
		(*out)[*n][sl] = '\0';
		(*n)++;
	}
	return 0;
}

static int
pasts_load(struct daemon *d, struct past *p, size_t *n)
{
	msgpack_unpacked up;
	uint8_t *blob;
	size_t len, i;
	int r;

	*n = 0;
	r = kv_open(d, ROUNDS_KV, &up, &blob, &len);
	if (r == ATT_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	r = up.data.type == MSGPACK_OBJECT_ARRAY && up.data.via.array.size <= PAST_MAX ? 0 : ATT_ECORRUPT;
	for (i = 0; r == 0 && i < up.data.via.array.size; i++) {
		const msgpack_object *e = &up.data.via.array.ptr[i], *f;
		const uint8_t *b;
		size_t bl;

		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 5) {
			r = ATT_ECORRUPT;
			break;
		}
		f = e->via.array.ptr;
		memset(&p[*n], 0, sizeof(p[*n]));
		if (msg_obj_bin(&f[0], 32, &b, &bl) != 0 || bl != 32 ||
		    msg_obj_uint(&f[1], UINT64_MAX >> 1, &p[*n].started) != 0 ||
		    msg_obj_uint(&f[2], UINT64_MAX >> 1, &p[*n].done) != 0) {
			r = ATT_ECORRUPT;
			break;
		}
		memcpy(p[*n].partner, b, 32);
		(*n)++;
		if ((r = strs_load(&f[3], &p[*n - 1].both, &p[*n - 1].nboth)) == 0)
			r = strs_load(&f[4], &p[*n - 1].maybe, &p[*n - 1].nmaybe);
	}
	msgpack_unpacked_destroy(&up);
	store_blob_free(blob, len);
	if (r != 0) {
		past_free(p, *n);
		*n = 0;
	}
	return r;
}

static void
pack_strs(msgpack_packer *pk, char (*s)[PSI_KEY_MAX + 1], size_t n)
{
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		msg_pack_str(pk, s[i]);
}

static int
pasts_save(struct daemon *d, struct past *p, size_t n)
{
	struct msg_out o;
	int r;

	msg_out_init(&o);
	msgpack_pack_array(&o.pk, n);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_array(&o.pk, 5);
		msgpack_pack_bin(&o.pk, 32);
		msgpack_pack_bin_body(&o.pk, p[i].partner, 32);
		msgpack_pack_uint64(&o.pk, p[i].started);
		msgpack_pack_uint64(&o.pk, p[i].done);
		pack_strs(&o.pk, p[i].both, p[i].nboth);
		pack_strs(&o.pk, p[i].maybe, p[i].nmaybe);
	}
	r = msg_out_failed(&o) ? ATT_ENOMEM :
	    store_kv_set(d->store, ROUNDS_KV, msg_out_data(&o), msg_out_len(&o));
	msg_out_free(&o);
	return r;
}

/* The entry for partner in p (added, empty, when absent and there is room). */
static struct past *
past_of(struct past *p, size_t *n, const uint8_t partner[32])
{
	for (size_t i = 0; i < *n; i++)
		if (memcmp(p[i].partner, partner, 32) == 0)
			return &p[i];
	if (*n == PAST_MAX)
		return NULL;
	memset(&p[*n], 0, sizeof(p[*n]));
	memcpy(p[*n].partner, partner, 32);
	return &p[(*n)++];
}

/* Records that a round with partner starts now; refuses within the interval. */
static int
round_allowed(struct daemon *d, const uint8_t partner[32], const char **why)
{
	struct past p[PAST_MAX], *x;
	size_t n;
	int r;

	if ((r = pasts_load(d, p, &n)) != 0) {
		*why = "the record of past rounds cannot be read";
		return r;
	}
	x = past_of(p, &n, partner);
	if (x == NULL)
		r = ATT_ELIMIT;
	else if (x->started != 0 && x->started + wishes_interval() > now_s())
		r = ATT_ELIMIT;
	if (r != 0)
		*why = "one wishes round per partner per day: the last one started less than a day ago";
	else {
		x->started = now_s();
		r = pasts_save(d, p, n);
	}
	past_free(p, n);
	return r;
}

struct psi *
wishes_round(struct daemon *d, const uint8_t partner[32],
    const uint8_t round_id[PSI_ROUND_ID_LEN], char custom[][PSI_KEY_MAX + 1], size_t *ncustom,
    const char **why)
{
	struct psi_params shape;
	struct answers a;
	uint8_t bind[PSI_BIND_LEN], rnd[PSI_RANDOM_LEN];
	struct psi *p;
	size_t i;
	int role, r;

	*ncustom = 0;
	*why = NULL;
	if (answers_load(d, &a) != 0) {
		*why = "your wishes cannot be read";
		return NULL;
	}
	if (round_allowed(d, partner, why) != 0) {
		sodium_memzero(&a, sizeof(a));
		return NULL;
	}
	wishes_params(&shape);
	rounds_bind(d, partner, bind, &role);
	randombytes_buf(rnd, sizeof(rnd));
	p = psi_new(role, bind, round_id, &shape, a.maybe ? PSI_FLAG_MAYBE : 0, rnd);
	sodium_memzero(rnd, sizeof(rnd));
	r = p == NULL ? ATT_ENOMEM : 0;
	for (i = 0; r == 0 && i < catalogue_count(); i++) {
		const char *id = catalogue_item(i)->id;

		r = psi_set_fixed(p, i, id, strlen(id), (enum psi_answer)a.item[i]);
	}
	for (i = 0; r == 0 && i < a.ncustom; i++) {
		if (a.cans[i] == PSI_NO)
			continue;
		r = psi_set_custom(p, a.custom[i], strlen(a.custom[i]), (enum psi_answer)a.cans[i]);
		if (r == 0)
			memcpy(custom[(*ncustom)++], a.custom[i], PSI_KEY_MAX + 1);
	}
	if (r == 0)
		r = psi_start(p);
	sodium_memzero(&a, sizeof(a));
	if (r != 0) {
		psi_free(p);
		return NULL;
	}
	return p;
}

static void
reply_result(struct api_req *w, const char *name, const struct past *x)
{
	struct msg_out o;

	msg_out_init(&o);
	msg_out_begin(&o, "wishes-compare", api_req_id(w), 4);
	msg_out_str(&o, "with", name);
	msg_out_uint(&o, "at", x->done);
	msg_out_key(&o, "both");
	pack_strs(&o.pk, x->both, x->nboth);
	msg_out_key(&o, "maybe");
	pack_strs(&o.pk, x->maybe, x->nmaybe);
	if (!msg_out_failed(&o))
		api_req_send(w, msg_out_data(&o), msg_out_len(&o));
	msg_out_free(&o);
}

void
wishes_done(struct daemon *d, const uint8_t partner[32], struct psi *p,
    char custom[][PSI_KEY_MAX + 1], size_t ncustom, struct api_req *waiter)
{
	uint8_t f0[PSI_MAX_FIXED], f1[PSI_MAX_FIXED], c0[PSI_MAX_CUSTOM], c1[PSI_MAX_CUSTOM];
	struct past pasts[PAST_MAX], *x = NULL;
	struct store_partner pt;
	char summary[160];
	size_t n = 0, i;
	int r;

	r = psi_result(p, 0, f0, c0);
	if (r == 0)
		r = psi_result(p, 1, f1, c1);
	if (r == 0)
		r = pasts_load(d, pasts, &n);
	if (r == 0 && (x = past_of(pasts, &n, partner)) == NULL)
		r = ATT_ELIMIT;
	if (r == 0) {
		free(x->both);
		free(x->maybe);
		x->both = calloc(RESULT_MAX, sizeof(*x->both));
		x->maybe = calloc(RESULT_MAX, sizeof(*x->maybe));
		x->nboth = x->nmaybe = 0;
		x->done = now_s();
		if (x->both == NULL || x->maybe == NULL)
			r = ATT_ENOMEM;
	}
	for (i = 0; r == 0 && i < catalogue_count() + ncustom; i++) {
		int both = i < catalogue_count() ? f0[i] : c0[i - catalogue_count()];
		int maybe = i < catalogue_count() ? f1[i] : c1[i - catalogue_count()];
		const char *name = i < catalogue_count() ? catalogue_item(i)->id : custom[i - catalogue_count()];

		if (both)
			snprintf(x->both[x->nboth++], PSI_KEY_MAX + 1, "%s", name);
		else if (maybe)
			snprintf(x->maybe[x->nmaybe++], PSI_KEY_MAX + 1, "%s", name);
	}
	if (r == 0)
		r = pasts_save(d, pasts, n);
	if (store_partner_get(d->store, partner, &pt) != 0)
		snprintf(pt.name, sizeof(pt.name), "your partner");
	if (r != 0) {
		fprintf(stderr, "attuned: cannot store a wishes result: %s\n", att_strerror(r));
		wishes_abandoned(d, waiter, "the result cannot be stored");
	} else {
		snprintf(summary, sizeof(summary), "You compared wishes with %s", pt.name);
		if (d->notify != NULL)
			notify_reminder(d->notify, summary);
		if (waiter != NULL) {
			reply_result(waiter, pt.name, x);
			api_req_release(waiter);
		}
	}
	sodium_memzero(f0, sizeof(f0));
	sodium_memzero(f1, sizeof(f1));
	past_free(pasts, n);
}

void
wishes_abandoned(struct daemon *d, struct api_req *waiter, const char *why)
{
	(void)d;
	if (waiter == NULL)
		return;
	api_req_error(waiter, "abandoned", why);
	api_req_release(waiter);
}

static const char *answer_names[] = { "no", "maybe", "yes" };

int
wishes_cmd_list(struct call *k)
{
	struct answers a;
	struct past pasts[PAST_MAX];
	msgpack_packer *pk = &k->out->pk;
	size_t n, i;

	if (answers_load(k->d, &a) != 0 || pasts_load(k->d, pasts, &n) != 0)
		return call_fail(k, "io-error", "cannot read your wishes");
	msg_out_begin(k->out, "wishes", k->id, 5);
	msg_out_uint(k->out, "catalogue", CATALOGUE_VERSION);
	msg_out_bool(k->out, "maybe_tier", a.maybe);
	msg_out_key(k->out, "items");
	msgpack_pack_array(pk, catalogue_count());
	for (i = 0; i < catalogue_count(); i++) {
		const struct catalogue_item *it = catalogue_item(i);

		msgpack_pack_map(pk, 4);
		msg_pack_str(pk, "id"); msg_pack_str(pk, it->id);
		msg_pack_str(pk, "label"); msg_pack_str(pk, it->label);
		msg_pack_str(pk, "category"); msg_pack_str(pk, it->category);
		msg_pack_str(pk, "answer"); msg_pack_str(pk, answer_names[a.item[i]]);
	}
	msg_out_key(k->out, "custom");
	msgpack_pack_array(pk, a.ncustom);
	for (i = 0; i < a.ncustom; i++) {
		msgpack_pack_map(pk, 2);
		msg_pack_str(pk, "text"); msg_pack_str(pk, a.custom[i]);
		msg_pack_str(pk, "answer"); msg_pack_str(pk, answer_names[a.cans[i]]);
	}
	msg_out_key(k->out, "compared");
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++) {
		struct store_partner pt;

		if (store_partner_get(k->d->store, pasts[i].partner, &pt) != 0)
			snprintf(pt.name, sizeof(pt.name), "?");
		msgpack_pack_map(pk, 5);
		msg_pack_str(pk, "name"); msg_pack_str(pk, pt.name);
		msg_pack_str(pk, "started"); msgpack_pack_uint64(pk, pasts[i].started);
		msg_pack_str(pk, "at"); msgpack_pack_uint64(pk, pasts[i].done);
		msg_pack_str(pk, "both"); pack_strs(pk, pasts[i].both, pasts[i].nboth);
		msg_pack_str(pk, "maybe"); pack_strs(pk, pasts[i].maybe, pasts[i].nmaybe);
	}
	sodium_memzero(&a, sizeof(a));
	past_free(pasts, n);
	return 0;
}

static int
parse_answer(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, answer_names[i]) == 0)
			return i;
	return -1;
}

int
wishes_cmd_set(struct call *k)
{
	char item[4 * CATALOGUE_CUSTOM_MAX + 1], ans[8], norm[CATALOGUE_CUSTOM_MAX + 1];
	struct answers a;
	const char *shown;
	int r, v, idx, custom = 0, tier;

	if (!rounds_is_round_device(k->d))
		return call_fail(k, "not-allowed", "sparks and wishes are kept on the device of yours "
		    "with the smallest device id (see attune devices): run this there");
	if (answers_load(k->d, &a) != 0)
		return call_fail(k, "io-error", "cannot read your wishes");
	r = msg_get_bool(k->m, "maybe_tier", &tier);
	if (r == 0) {
		a.maybe = tier;
		r = answers_save(k->d, &a);
		sodium_memzero(&a, sizeof(a));
		if (r != 0)
			return call_fail(k, "io-error", "cannot store your wishes");
		msg_out_begin(k->out, "wishes-set", k->id, 1);
		msg_out_bool(k->out, "maybe_tier", tier);
		return 0;
	}
	if (r != ATT_EMISSING)
		return call_fail_field(k, r, "maybe_tier");
	if ((r = msg_get_strz(k->m, "item", item, sizeof(item))) != 0)
		return r == ATT_EMISSING ? call_fail(k, "missing-key", "say which item (item)") :
		    call_fail_field(k, r, "item");
	if ((r = msg_get_strz(k->m, "answer", ans, sizeof(ans))) != 0 || (v = parse_answer(ans)) < 0)
		return call_fail(k, "out-of-range", "the answer is yes, maybe or no");
	idx = catalogue_find(item, strlen(item));
	if (idx >= 0) {
		a.item[idx] = (uint8_t)v;
		shown = catalogue_item((size_t)idx)->id;
	} else {
		size_t i;

		if ((r = catalogue_normalise(norm, sizeof(norm), item, strlen(item))) < 0)
			return call_fail(k, "out-of-range", r == ATT_ESTRLONG ?
			    "a custom item is at most %d bytes" : "a custom item needs some plain text (at most %d bytes)",
			    CATALOGUE_CUSTOM_MAX);
		custom = 1;
		shown = norm;
		for (i = 0; i < a.ncustom && strcmp(a.custom[i], norm) != 0; i++)
			;
		if (v == PSI_NO && i < a.ncustom) {
			memmove(&a.custom[i], &a.custom[i + 1], (a.ncustom - i - 1) * sizeof(a.custom[0]));
			memmove(&a.cans[i], &a.cans[i + 1], a.ncustom - i - 1);
			a.ncustom--;
		} else if (v != PSI_NO) {
			if (i == a.ncustom) {
				if (a.ncustom == CATALOGUE_CUSTOM_SLOTS) {
					sodium_memzero(&a, sizeof(a));
					return call_fail(k, "out-of-range", "at most %d custom items: set one to no first",
					    CATALOGUE_CUSTOM_SLOTS);
				}
				snprintf(a.custom[a.ncustom++], PSI_KEY_MAX + 1, "%s", norm);
			}
			a.cans[i] = (uint8_t)v;
		}
	}
	r = answers_save(k->d, &a);
	sodium_memzero(&a, sizeof(a));
	if (r != 0)
		return call_fail(k, "io-error", "cannot store your wishes");
	msg_out_begin(k->out, "wishes-set", k->id, 3);
	msg_out_str(k->out, "item", shown);
	msg_out_str(k->out, "answer", answer_names[v]);
	msg_out_bool(k->out, "custom", custom);
	return 0;
}

int
wishes_cmd_compare(struct call *k)
{
	char name[STORE_NAME_MAX + 1], custom[PSI_MAX_CUSTOM][PSI_KEY_MAX + 1];
	uint8_t rid[PSI_ROUND_ID_LEN];
	struct store_partner pt;
	struct api_req *req;
	const char *why = NULL;
	struct psi *p;
	size_t ncustom = 0;
	int r;

	if (!rounds_is_round_device(k->d))
		return call_fail(k, "not-allowed", "sparks and wishes are kept on the device of yours "
		    "with the smallest device id (see attune devices): run this there");
	if ((r = msg_get_strz(k->m, "with", name, sizeof(name))) != 0)
		return r == ATT_EMISSING ? call_fail(k, "missing-key", "say with whom (with)") :
		    call_fail_field(k, r, "with");
	if (store_partner_by_name(k->d->store, name, &pt) != 0)
		return call_fail(k, "unknown-partner", "no partner is called \"%s\": see attune partners", name);
	if (k->d->sync == NULL || k->d->rounds == NULL)
		return call_fail(k, "relay-unreachable", "rounds need the sync engine");
	if (rounds_running(k->d, ROUNDS_WISHES, pt.person))
		return call_fail(k, "not-allowed", "a wishes round with %s is already running", pt.name);
	randombytes_buf(rid, sizeof(rid));
	if ((p = wishes_round(k->d, pt.person, rid, custom, &ncustom, &why)) == NULL)
		return call_fail(k, why != NULL ? "limited" : "no-memory", "%s",
		    why != NULL ? why : "out of memory");
	if ((req = api_req_hold(k)) == NULL) {
		psi_free(p);
		return call_fail(k, "no-memory", "out of memory");
	}
	r = rounds_begin(k->d, ROUNDS_WISHES, pt.person, rid, 0, p, custom, ncustom, req);
	if (r != 0) {
		api_req_release(req);
		return call_fail(k, att_errcode(r), "the round could not start: %s", att_strerror(r));
	}
	msg_out_reset(k->out);   /* the result comes through req */
	return 0;
}
