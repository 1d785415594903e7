/*
 * Incoming envelopes (see inbox.h).
 *
 * Delivery contract: an incoming envelope is opened, and what it carries plus
 * the advanced session state are committed in one store transaction; only
 * then is it acknowledged to the relay. A replayed envelope (the relay
 * delivers at least once) fails session_decrypt with ATT_EREPLAY and is
 * simply acknowledged again; a duplicate event id is dropped by the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"
#include "proto/session.h"
#include "proto/x3dh.h"
#include "daemon/api.h"
#include "daemon/ctx.h"
#include "daemon/history.h"
#include "daemon/devlist.h"
#include "daemon/inbox.h"
#include "daemon/keys.h"
#include "daemon/peers.h"
#include "daemon/prekeys.h"
#include "daemon/relayconn.h"
#include "daemon/rounds.h"
#include "daemon/store.h"
#include "daemon/sync.h"

/*
 * Envelopes from a device we do not know yet are held back (not acked) for a
 * while: a partner's newly linked device may write before the device list
 * that introduces it has reached us. When a list or partner message adds
 * devices we ask the relay to deliver again from the oldest unacked one;
 * what is still unknown after INBOX_HELD_MS is acknowledged and dropped.
 */
#define INBOX_HELD_MAX 8
#define INBOX_HELD_MS 30000

struct inbox {
	struct sync *s;
	uv_timer_t held_timer;
	uint64_t held[INBOX_HELD_MAX];
	size_t nheld;
	uint64_t undecryptable;
};

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

int
inbox_add_devices(struct sync *s, const uint8_t person[32], const msgpack_object *arr, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		struct x3dh_devrec rec;
		struct store_device dev;
		const uint8_t *b;
		size_t len;

		r = msg_obj_bin(&arr[i], STORE_RECORD_MAX, &b, &len);
		if (r < 0)
			return r;
		r = x3dh_devrec_verify(&rec, b, len, person);
		if (r < 0)
			return r;
		r = store_device_get(sync_daemon(s)->store, rec.relay_pk, &dev);
		if (r == 0) {
			/* Claimed by another person first (attack 4): skip it, not the whole set. */
			if (memcmp(dev.person, person, 32) != 0)
				fprintf(stderr, "attuned: a partner's device record names a device key "
				        "another partner claimed first: that device is skipped\n");
			continue;
		}
		memset(&dev, 0, sizeof dev);
		memcpy(dev.relay, rec.relay_pk, 32);
		memcpy(dev.person, person, 32);
		dev.added = now_s();
		dev.record_len = len;
		memcpy(dev.record, b, len);
		r = store_device_put(sync_daemon(s)->store, &dev);
		if (r < 0)
			return r;
	}
	return 0;
}

void
inbox_farewell_input(uint8_t out[INBOX_FAREWELL_LEN], const uint8_t from[32],
                     const uint8_t to[32], uint64_t ts)
{
	size_t dl = sizeof INBOX_FAREWELL_DOMAIN - 1;

	memcpy(out, INBOX_FAREWELL_DOMAIN, dl);
	memcpy(out + dl, from, 32);
	memcpy(out + dl + 32, to, 32);
	be_put64(out + dl + 64, ts);
}

/* What an opened envelope asks for; runs inside the delivery transaction. */
struct inner_result {
	int have_event;
	struct event ev;
	int sessions_for;          /* start sessions with new devices of `person` */
	uint8_t person[32];
};

static int
inner_handle(struct sync *s, const struct store_device *dev, const uint8_t *pt, size_t len,
             struct inner_result *res)
{
	struct daemon *d = sync_daemon(s);
	int mine = memcmp(dev->person, keys_person_pk(d->keys), 32) == 0;
	const msgpack_object *root;
	struct msg *m = NULL;
	const uint8_t *b;
	size_t n;
	int r;

	r = msg_parse(pt, len, NULL, &m, NULL);
	if (r < 0)
		return r;
	root = msg_root(m);
	if (msg_is_type(m, "event")) {
		r = msg_get_bin(root, "ev", PEERS_PT_MAX, &b, &n);
		if (r >= 0)
			r = event_unpack_plain(&res->ev, b, n, dev->person, mine);
		if (r >= 0) {
			r = store_event_put(d->store, &res->ev);
			if (r == ATT_EEXIST) {
				r = 0;           /* a duplicate by event id: dropped */
			} else if (r >= 0) {
				res->have_event = 1;
				/* In the same transaction; a summary, so status catches up if this fails. */
				history_update(d->store, now_s());
			}
		}
		if (r >= 0 && !mine)
			store_partner_seen(d->store, dev->person, now_s());
	} else if (msg_is_type(m, "psi") && !mine) {
		/* A sparks or wishes round message (docs/PROTOCOL.md 9.7). */
		r = rounds_recv(d, dev->person, root, &res->ev, &res->have_event);
		if (r == ATT_EREPLAY || r == ATT_ENOTFOUND || r == ATT_ERANGE || r == ATT_ELIMIT)
			r = 0;   /* a copy, or a round no longer held: nothing to keep */
		if (r >= 0)
			store_partner_seen(d->store, dev->person, now_s());
	} else if (msg_is_type(m, "devlist")) {
		struct devlist *dl = malloc(sizeof *dl);

		r = dl == NULL ? ATT_ENOMEM : msg_get_bin(root, "list", DEVLIST_MAX, &b, &n);
		if (r >= 0)
			r = devlist_verify(dl, b, n, dev->person);
		if (r >= 0)
			r = devlist_apply(d, dl);
		if (r == ATT_EREPLAY)
			r = 0;               /* an older list: nothing to do */
		else if (r == ATT_ETOOFAR || r == ATT_EEXIST) {
			/* Refused (skipped) or kept as a fork: logged; the envelope is done. */
			if (r == ATT_ETOOFAR)
				fprintf(stderr, "attuned: a device list that skips one was refused\n");
			r = 0;
		}
		else if (r > 0) {
			res->sessions_for = 1;
			memcpy(res->person, dev->person, 32);
		}
		free(dl);
	} else if (msg_is_type(m, "partner") && mine) {
		struct store_partner p;
		const msgpack_object *arr;
		const uint8_t *pk;

		memset(&p, 0, sizeof p);
		r = msg_get_strz(root, "name", p.name, sizeof p.name);
		if (r >= 0)
			r = msg_get_bin_exact(root, "person", 32, &pk);
		if (r >= 0)
			r = msg_get_array(root, "devs", DEVLIST_DEVICES_MAX, &arr, &n);
		if (r >= 0 && memcmp(pk, keys_person_pk(d->keys), 32) == 0)
			r = ATT_EINVAL;
		if (r >= 0) {
			memcpy(p.person, pk, 32);
			p.added = now_s();
			r = store_partner_put(d->store, &p);
		}
		if (r >= 0)
			r = inbox_add_devices(s, p.person, arr, n);
		if (r >= 0) {
			res->sessions_for = 1;
			memcpy(res->person, p.person, 32);
		}
	} else if (msg_is_type(m, "farewell") && !mine) {
		uint8_t in[INBOX_FAREWELL_LEN];
		const uint8_t *sig, *to;
		uint64_t ts;

		r = msg_get_bin_exact(root, "sig", 64, &sig);
		if (r >= 0)
			r = msg_get_bin_exact(root, "to", 32, &to);
		if (r >= 0)
			r = msg_get_uint(root, "ts", UINT64_MAX, &ts);
		if (r >= 0 && memcmp(to, keys_person_pk(d->keys), 32) != 0)
			r = ATT_EAUTH;
		if (r >= 0) {
			struct x3dh_devrec rec;

			/* By the person key, or by the sending device's certified sign key. */
			inbox_farewell_input(in, dev->person, to, ts);
			if (crypto_sign_ed25519_verify_detached(sig, in, sizeof in, dev->person) != 0 &&
			    (x3dh_devrec_verify(&rec, dev->record, dev->record_len, dev->person) != 0 ||
			     crypto_sign_ed25519_verify_detached(sig, in, sizeof in, rec.sign_pk) != 0))
				r = ATT_EAUTH;
		}
		if (r >= 0) {
			uint8_t person[32];

			memcpy(person, dev->person, 32);
			fprintf(stderr, "attuned: a partner ended the partnership; their data is removed\n");
			r = store_event_remove_author(d->store, person);
			if (r >= 0)
				r = store_partner_remove(d->store, person);
		}
	} else if (msg_is_type(m, "unpair") && mine) {
		const uint8_t *pk;

		r = msg_get_bin_exact(root, "person", 32, &pk);
		if (r >= 0 && memcmp(pk, keys_person_pk(d->keys), 32) != 0) {
			uint8_t person[32];

			memcpy(person, pk, 32);
			r = store_event_remove_author(d->store, person);
			if (r >= 0)
				r = store_partner_remove(d->store, person);
			if (r == ATT_ENOTFOUND)
				r = 0;
		}
	} else {
		r = ATT_EUNKNOWNTYPE;
	}
	msg_free(m);
	return r;
}

static void
inbox_ack(struct sync *s, uint64_t seq)
{
	struct msg_out o;
	uint64_t id;

	msg_out_init(&o);
	id = relayconn_next_id(sync_relayconn(s));
	msg_out_begin(&o, "ack", id, 1);
	msg_out_key(&o, "seq");
	msgpack_pack_array(&o.pk, 1);
	msgpack_pack_uint64(&o.pk, seq);
	relayconn_request(sync_relayconn(s), &o, id, sync_ignore_reply, s);
	msg_out_free(&o);
}

static void
inbox_on_held_timer(uv_timer_t *t)
{
	struct inbox *in = t->data;
	struct sync *s = in->s;
	size_t i;

	if (in->nheld > 0)
		fprintf(stderr, "attuned: dropped %zu envelope(s) from devices nobody introduced\n",
		        in->nheld);
	for (i = 0; i < in->nheld; i++)
		inbox_ack(s, in->held[i]);
	in->nheld = 0;
}

static void
inbox_undecryptable_one(struct sync *s, const uint8_t from[32], int err)
{
	struct inbox *in = sync_inbox(s);
	char dev[KEYS_DEVICE_ID_LEN + 1];

	keys_device_id_of(from, dev);
	in->undecryptable++;
	fprintf(stderr, "attuned: dropped an envelope from device %s that cannot be opened (%s)\n",
	        dev, att_errcode(err));
	sync_kv_uint(s, "undecryptable", in->undecryptable);
}

/* Holds an envelope from an unknown device; 0 when there is no room (then it is dropped). */
static int
inbox_hold(struct sync *s, uint64_t seq)
{
	struct inbox *in = sync_inbox(s);
	size_t i;

	for (i = 0; i < in->nheld; i++)
		if (in->held[i] == seq)
			return 1;
	if (in->nheld == INBOX_HELD_MAX)
		return 0;
	in->held[in->nheld++] = seq;
	if (!uv_is_active((uv_handle_t *)&in->held_timer))
		uv_timer_start(&in->held_timer, inbox_on_held_timer, INBOX_HELD_MS, 0);
	fprintf(stderr, "attuned: holding an envelope from a device not known yet\n");
	return 1;
}

static void
inbox_redeliver_held(struct sync *s)
{
	struct inbox *in = sync_inbox(s);

	if (in->nheld == 0)
		return;
	in->nheld = 0;
	uv_timer_stop(&in->held_timer);
	sync_resync(s);
}

void
inbox_deliver(struct sync *s, const struct msg *m)
{
	struct daemon *d = sync_daemon(s);
	const msgpack_object *root = msg_root(m);
	const uint8_t *from, *env;
	struct store_device dev;
	struct session *sess = NULL;
	struct inner_result *res = NULL;
	uint8_t *pt = NULL;
	uint32_t otk_used;
	uint64_t seq;
	size_t len;
	int r, n;

	if (msg_get_uint(root, "seq", MSG_ID_MAX, &seq) < 0 ||
	    msg_get_bin_exact(root, "from", 32, &from) < 0 ||
	    msg_get_bin(root, "env", STORE_ENV_MAX, &env, &len) < 0) {
		fprintf(stderr, "attuned: the relay sent a malformed deliver; ignored\n");
		return;
	}
	sync_note_delivery(s);
	if (d->store == NULL)
		return;
	r = store_device_get(d->store, from, &dev);
	if (r == ATT_ENOTFOUND && inbox_hold(s, seq))
		return;
	if (r < 0 || dev.revoked) {
		char id[KEYS_DEVICE_ID_LEN + 1];

		keys_device_id_of(from, id);
		fprintf(stderr, "attuned: dropped an envelope from %s device %s\n",
		        r < 0 ? "an unknown" : "a revoked", id);
		inbox_ack(s, seq);
		return;
	}
	pt = malloc(len ? len : 1);
	res = calloc(1, sizeof *res);
	if (pt == NULL || res == NULL)
		goto out;
	n = peers_open(d, &dev, env, len, pt, len, &sess, &otk_used);
	if (n == ATT_EREPLAY) {
		inbox_ack(s, seq);   /* delivered again after we stored it: done already */
		goto out;
	}
	if (n < 0) {
		if (n == ATT_ENOMEM)
			goto out;   /* not acked: the relay will deliver it again */
		inbox_undecryptable_one(s, from, n);
		inbox_ack(s, seq);
		goto out;
	}
	r = store_begin(d->store);
	if (r < 0)
		goto out;
	r = inner_handle(s, &dev, pt, (size_t)n, res);
	if (r < 0) {
		/* Opened but not understood: keep the session moving, drop the content. */
		char id[KEYS_DEVICE_ID_LEN + 1];

		keys_device_id_of(from, id);
		fprintf(stderr, "attuned: ignored a message from device %s (%s)\n", id,
		        att_errcode(r));
		store_rollback(d->store);
		memset(res, 0, sizeof *res);
		r = store_begin(d->store);
		if (r < 0)
			goto out;
	}
	r = peers_commit(d, from, sess, otk_used);
	sess = NULL;
	if (r >= 0)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
	if (r < 0) {
		fprintf(stderr, "attuned: cannot store an incoming message: %s\n", att_strerror(r));
		goto out;   /* not acked: delivered again later */
	}
	inbox_ack(s, seq);
	if (otk_used != X3DH_NO_OTK) {
		prekeys_otk_used(s);
		sync_flush_soon(s);
	}
	if (res->have_event)
		api_event_arrived(d, &res->ev);
	if (res->sessions_for) {
		prekeys_sessions_start(s, res->person);
		inbox_redeliver_held(s);
	}
out:
	if (sess != NULL)
		session_free(sess);
	if (pt != NULL) {
		sodium_memzero(pt, len ? len : 1);
		free(pt);
	}
	if (res != NULL) {
		sodium_memzero(res, sizeof *res);
		free(res);
	}
}

struct inbox *
inbox_new(struct sync *s)
{
	struct inbox *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->s = s;
	uv_timer_init(sync_daemon(s)->loop, &in->held_timer);
	in->held_timer.data = in;
	return in;
}

static void
inbox_on_close(uv_handle_t *h)
{
	free(h->data);
}

void
inbox_free(struct inbox *in)
{
	if (in == NULL)
		return;
	uv_close((uv_handle_t *)&in->held_timer, inbox_on_close);
}

void
inbox_load(struct sync *s)
{
	sync_inbox(s)->undecryptable = sync_kv_get_uint(s, "undecryptable", 0);
}

void
inbox_reset(struct sync *s)
{
	struct inbox *in = sync_inbox(s);

	in->nheld = 0;   /* delivered again after the next sync */
	uv_timer_stop(&in->held_timer);
}

uint64_t
inbox_undecryptable(const struct sync *s)
{
	return sync_inbox(s)->undecryptable;
}
