/*
 * Sparks (see spark.h). kv "sparks" (sealed): a msgpack array of
 * [partner person key bin(32), spark id bin(16), until uint], one per
 * partner at most. It is written even when empty, so its presence says
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"
#include "daemon/call.h"
#include "daemon/ctx.h"
#include "daemon/keys.h"
#include "daemon/rounds.h"
#include "daemon/spark.h"
#include "daemon/store.h"

#define SPARKS_KV "sparks"
#define SPARKS_MAX 64
#define SPARK_PERIOD_MS_DEFAULT 300000

struct spark {
	uint8_t partner[32];
	uint8_t id[16];
	uint64_t until;
};

uint64_t
spark_period_ms(void)
{
	const char *v = getenv("ATTUNE_SPARK_PERIOD_MS");
	long long n = v != NULL ? atoll(v) : 0;

	return n >= 100 ? (uint64_t)n : SPARK_PERIOD_MS_DEFAULT;
}

/* Reads the sparks still open at `now` into sp (up to SPARKS_MAX). */
static int
sparks_load(struct daemon *d, struct spark *sp, size_t *n, uint64_t now)
{
	uint8_t *blob = NULL;
	size_t len = 0, i;
	msgpack_unpacked up;
	int r;

	*n = 0;
	r = store_kv_get(d->store, SPARKS_KV, &blob, &len);
	if (r == ATT_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if ((r = msg_check(blob, len, NULL)) != 0) {
		store_blob_free(blob, len);
		return ATT_ECORRUPT;
	}
	msgpack_unpacked_init(&up);
	r = ATT_ECORRUPT;
	if (msgpack_unpack_next(&up, (const char *)blob, len, NULL) == MSGPACK_UNPACK_SUCCESS &&
	    up.data.type == MSGPACK_OBJECT_ARRAY && up.data.via.array.size <= SPARKS_MAX) {
		r = 0;
		for (i = 0; i < up.data.via.array.size && r == 0; i++) {
			const msgpack_object *e = &up.data.via.array.ptr[i], *f;
			const uint8_t *b1, *b2;
			size_t l1, l2;
			uint64_t until;

			if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 3) {
				r = ATT_ECORRUPT;
				break;
			}
			f = e->via.array.ptr;
			if (msg_obj_bin(&f[0], 32, &b1, &l1) != 0 || l1 != 32 ||
			    msg_obj_bin(&f[1], 16, &b2, &l2) != 0 || l2 != 16 ||
			    msg_obj_uint(&f[2], UINT64_MAX >> 1, &until) != 0) {
				r = ATT_ECORRUPT;
				break;
			}
			if (until <= now)
				continue;   /* expired: forgotten, told to nobody */
			memcpy(sp[*n].partner, b1, 32);
			memcpy(sp[*n].id, b2, 16);
			sp[*n].until = until;
			(*n)++;
		}
	}
	msgpack_unpacked_destroy(&up);
	store_blob_free(blob, len);
	return r;
}

static int
sparks_save(struct daemon *d, const struct spark *sp, size_t n)
{
	struct msg_out o;
	int r;

	msg_out_init(&o);
	msgpack_pack_array(&o.pk, n);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_array(&o.pk, 3);
		msgpack_pack_bin(&o.pk, 32);
		msgpack_pack_bin_body(&o.pk, sp[i].partner, 32);
		msgpack_pack_bin(&o.pk, 16);
		msgpack_pack_bin_body(&o.pk, sp[i].id, 16);
		msgpack_pack_uint64(&o.pk, sp[i].until);
	}
	r = msg_out_failed(&o) ? ATT_ENOMEM :
	    store_kv_set(d->store, SPARKS_KV, msg_out_data(&o), msg_out_len(&o));
	msg_out_free(&o);
	return r;
}

static int
spark_open_for(struct daemon *d, const uint8_t partner[32])
{
	struct spark sp[SPARKS_MAX];
	size_t n, i;
	int yes = 0;

	if (sparks_load(d, sp, &n, (uint64_t)(rounds_now_ms() / 1000)) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (memcmp(sp[i].partner, partner, 32) == 0)
			yes = 1;
	sodium_memzero(sp, sizeof(sp));
	return yes;
}

/* Removes the spark for partner; 1 if there was one. */
static int
spark_remove(struct daemon *d, const uint8_t partner[32])
{
	struct spark sp[SPARKS_MAX];
	size_t n, i, j = 0;
	int found = 0, r;

	if ((r = sparks_load(d, sp, &n, (uint64_t)(rounds_now_ms() / 1000))) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (memcmp(sp[i].partner, partner, 32) == 0)
			found = 1;
		else
			sp[j++] = sp[i];
	}
	r = sparks_save(d, sp, j);
	sodium_memzero(sp, sizeof(sp));
	return r < 0 ? r : found;
}

void
spark_round_id(struct daemon *d, const uint8_t partner[32], uint64_t epoch,
    uint8_t rid[PSI_ROUND_ID_LEN])
{
	uint8_t bind[PSI_BIND_LEN], e[8];
	crypto_generichash_state h;

	rounds_bind(d, partner, bind, NULL);
	for (int i = 0; i < 8; i++)
		e[i] = (uint8_t)(epoch >> (56 - 8 * i));
	crypto_generichash_init(&h, bind, sizeof(bind), PSI_ROUND_ID_LEN);
	crypto_generichash_update(&h, (const uint8_t *)"attune-spark-round-v1", 21);
	crypto_generichash_update(&h, e, sizeof(e));
	crypto_generichash_final(&h, rid, PSI_ROUND_ID_LEN);
}

struct psi *
spark_round(struct daemon *d, const uint8_t partner[32], uint64_t epoch)
{
	static const struct psi_params shape = { 0, 1, 0, 1 };
	uint8_t bind[PSI_BIND_LEN], rid[PSI_ROUND_ID_LEN], rnd[PSI_RANDOM_LEN];
	struct psi *p;
	int role;

	rounds_bind(d, partner, bind, &role);
	spark_round_id(d, partner, epoch, rid);
	randombytes_buf(rnd, sizeof(rnd));
	p = psi_new(role, bind, rid, &shape, 0, rnd);
	sodium_memzero(rnd, sizeof(rnd));
	if (p == NULL)
		return NULL;
	if (psi_set_fixed(p, 0, "spark", 5, spark_open_for(d, partner) ? PSI_YES : PSI_NO) != 0 ||
	    psi_start(p) != 0) {
		psi_free(p);
		return NULL;
	}
	return p;
}

void
spark_tick(struct daemon *d, uint64_t epoch)
{
	struct store_partner *ps = NULL;
	size_t n = 0, i;

	if (!rounds_is_round_device(d) || store_partner_list(d->store, &ps, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		uint8_t bind[PSI_BIND_LEN], rid[PSI_ROUND_ID_LEN];
		struct psi *p;
		int role, r;

		rounds_bind(d, ps[i].person, bind, &role);
		if (role != 0 || rounds_running(d, ROUNDS_SPARK, ps[i].person) ||
		    !rounds_spark_due(d, ps[i].person, epoch))
			continue;   /* the partner with the smaller key starts each period's round */
		if ((p = spark_round(d, ps[i].person, epoch)) == NULL)
			continue;
		spark_round_id(d, ps[i].person, epoch, rid);
		r = rounds_begin(d, ROUNDS_SPARK, ps[i].person, rid, epoch, p, NULL, 0, NULL);
		if (r != 0)
			fprintf(stderr, "attuned: cannot start a spark round: %s\n", att_strerror(r));
	}
	free(ps);
}

int
spark_done(struct daemon *d, const uint8_t partner[32], struct psi *p, struct event *ev,
    int *have_ev)
{
	uint8_t match = 0;
	int r;

	*have_ev = 0;
	if ((r = psi_result(p, 0, &match, NULL)) != 0 || !match)
		return r;
	/* Both sparked: the spark is used up, so the next period says no. */
	if ((r = spark_remove(d, partner)) < 0)
		return r;
	event_init(ev, EVENT_SPARK_MATCH);
	event_new_id(ev);
	memcpy(ev->author, partner, 32);
	ev->mine = 0;
	if ((r = store_event_put(d->store, ev)) != 0)
		return r;
	*have_ev = 1;
	return 0;
}

static int
spark_not_here(struct call *k)
{
	return call_fail(k, "not-allowed", "sparks and wishes are kept on the device of yours "
	    "with the smallest device id (see attune devices): run this there");
}

static int
spark_cancel(struct call *k, const char *name)
{
	struct store_partner pt;
	int r;

	if (store_partner_by_name(k->d->store, name, &pt) != 0)
		return call_fail(k, "unknown-partner", "no partner is called \"%s\": see attune partners", name);
	if ((r = spark_remove(k->d, pt.person)) < 0)
		return call_fail(k, "io-error", "cannot store the spark: %s", att_strerror(r));
	msg_out_begin(k->out, "spark", k->id, 1);
	msg_out_bool(k->out, "cancelled", r > 0);
	return 0;
}

int
spark_cmd(struct call *k)
{
	struct daemon *d = k->d;
	char name[STORE_NAME_MAX + 1], hex[33];
	struct spark sp[SPARKS_MAX];
	struct store_partner pt;
	uint64_t dur = SPARK_DEFAULT_FOR, now = (uint64_t)(rounds_now_ms() / 1000);
	size_t n, i;
	int r;

	if (!rounds_is_round_device(d))
		return spark_not_here(k);
	r = msg_get_strz(k->m, "cancel", name, sizeof(name));
	if (r == 0)
		return spark_cancel(k, name);
	if (r != ATT_EMISSING)
		return call_fail_field(k, r, "cancel");
	if ((r = msg_get_strz(k->m, "to", name, sizeof(name))) != 0)
		return r == ATT_EMISSING ? call_fail(k, "missing-key", "say whom the spark is for (to)") :
		    call_fail_field(k, r, "to");
	r = msg_get_uint(k->m, "for", UINT64_MAX >> 1, &dur);
	if (r != 0 && r != ATT_EMISSING)
		return call_fail_field(k, r, "for");
	if (r == ATT_EMISSING)
		dur = SPARK_DEFAULT_FOR;
	if (dur < 60 || dur > SPARK_MAX_FOR)
		return call_fail(k, "out-of-range", "a spark lasts 1 minute to 12 hours");
	if (store_partner_by_name(d->store, name, &pt) != 0)
		return call_fail(k, "unknown-partner", "no partner is called \"%s\": see attune partners", name);
	if ((r = sparks_load(d, sp, &n, now)) != 0)
		return call_fail(k, "io-error", "cannot read your sparks: %s", att_strerror(r));
	for (i = 0; i < n && memcmp(sp[i].partner, pt.person, 32) != 0; i++)
		;
	if (i == n) {
		if (n == SPARKS_MAX)
			return call_fail(k, "out-of-range", "too many sparks");
		n++;
	}
	memcpy(sp[i].partner, pt.person, 32);
	randombytes_buf(sp[i].id, sizeof(sp[i].id));
	sp[i].until = now + dur;
	r = sparks_save(d, sp, n);
	sodium_bin2hex(hex, sizeof(hex), sp[i].id, 16);
	msg_out_begin(k->out, "spark", k->id, 2);
	msg_out_str(k->out, "spark_id", hex);
	msg_out_uint(k->out, "until", sp[i].until);
	sodium_memzero(sp, sizeof(sp));
	if (r != 0)
		return call_fail(k, "io-error", "cannot store the spark: %s", att_strerror(r));
	return 0;
}
