/*
 * Fan-out and flushing of the outbox (see outbox.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/event.h"
#include "proto/msg.h"
#include "daemon/ctx.h"
#include "daemon/devlist.h"
#include "daemon/inbox.h"
#include "daemon/keys.h"
#include "daemon/outbox.h"
#include "daemon/peers.h"
#include "daemon/prekeys.h"
#include "daemon/relayconn.h"
#include "daemon/store.h"
#include "daemon/sync.h"

#define OUTBOX_PUT_ITEMS 32
#define OUTBOX_PUT_BYTES 48000

struct outbox {
	int put_inflight;
	int put_single;            /* after a refused batch: this many puts of one item, to find the bad one */
};

struct outbox *
outbox_new(struct sync *s)
{
	(void)s;
	return calloc(1, sizeof(struct outbox));
}

void
outbox_free(struct outbox *o)
{
	free(o);
}

void
outbox_reset(struct sync *s)
{
	sync_outbox(s)->put_inflight = 0;
}

struct outbox_put {
	struct sync *s;
	size_t n;
	int64_t seq[OUTBOX_PUT_ITEMS];
};

static void
on_put_reply(void *arg, const struct msg *reply)
{
	struct outbox_put *p = arg;
	struct sync *s = p->s;
	struct outbox *ob = sync_outbox(s);
	size_t i;
	int r;

	ob->put_inflight = 0;
	if (reply == NULL || sync_daemon(s)->store == NULL) {
		free(p);
		return;
	}
	if (!msg_is_type(reply, "ok")) {
		char code[32];

		if (msg_get_strz(msg_root(reply), "code", code, sizeof code) < 0)
			snprintf(code, sizeof code, "error");
		if (p->n == 1 && strcmp(code, "unknown-device") == 0) {
			/* The recipient is not (or no longer) at this relay: nothing can deliver it. */
			fprintf(stderr, "attuned: dropped an envelope for a device the relay does not know\n");
			store_outbox_remove(sync_daemon(s)->store, p->seq[0]);
			free(p);
			sync_flush_soon(s);
			return;
		}
		fprintf(stderr, "attuned: the relay did not take our envelopes (%s); will retry\n", code);
		if (p->n > 1 && strcmp(code, "rate-limited") != 0 && strcmp(code, "storage") != 0)
			ob->put_single = OUTBOX_PUT_ITEMS;
		free(p);
		sync_retry_later(s);
		return;
	}
	if (p->n == 1 && ob->put_single > 0)
		ob->put_single--;
	r = store_begin(sync_daemon(s)->store);
	for (i = 0; r >= 0 && i < p->n; i++) {
		r = store_outbox_remove(sync_daemon(s)->store, p->seq[i]);
		if (r == ATT_ENOTFOUND)
			r = 0;
	}
	if (r >= 0)
		r = store_commit(sync_daemon(s)->store);
	else
		store_rollback(sync_daemon(s)->store);
	free(p);
	if (r < 0)
		fprintf(stderr, "attuned: cannot update the outbox: %s\n", att_strerror(r));
	sync_flush_soon(s);
}

void
outbox_flush(struct sync *s)
{
	struct outbox *ob = sync_outbox(s);
	struct daemon *d = sync_daemon(s);
	struct store_outbox_item *items = NULL;
	struct outbox_put *p;
	size_t n = 0, i, bytes = 0;
	int resealed = 0, waiting = 0, r;
	struct msg_out o;
	uint64_t id;

	if (d->store == NULL || !sync_registered(s) || ob->put_inflight || d->revoked_at != 0)
		return;   /* a revoked device sends nothing */
	prekeys_refresh(s);
	if (store_outbox_list(d->store, 64, &items, &n) < 0 || n == 0) {
		store_outbox_free(items, n);
		return;
	}
	p = calloc(1, sizeof *p);
	if (p == NULL) {
		store_outbox_free(items, n);
		return;
	}
	p->s = s;
	msg_out_init(&o);
	for (i = 0; i < n; i++) {
		struct store_outbox_item *it = &items[i];
		struct store_device dev;

		/*
		 * A device revoked since this was queued gets nothing more. One that is
		 * gone altogether (unpaired) still gets what was sealed for it before
		 * (a farewell); a plaintext still waiting for its session is dropped.
		 */
		r = store_device_get(d->store, it->to, &dev);
		if ((r == 0 && dev.revoked && !(it->len > 1 && it->env[0] == PEERS_FINAL)) ||
		    (r == ATT_ENOTFOUND && it->len > 0 && it->env[0] == PEERS_PENDING)) {
			store_outbox_remove(d->store, it->seq);
			continue;
		}
		if (it->len > 0 && it->env[0] == PEERS_PENDING) {
			r = peers_ready(d, it->to);
			if (r == 1) {
				if (store_begin(d->store) >= 0) {
					r = peers_seal_pending(d, it);
					if (r >= 0 && store_commit(d->store) >= 0)
						resealed = 1;
					else
						store_rollback(d->store);
				}
			} else if (r == 0) {
				prekeys_fetch_bundle(s, it->to);
				waiting = 1;
			} else if (r == ATT_EAUTH || r == ATT_ECORRUPT) {
				/* Its record or session no longer checks out: nothing can carry this. */
				store_outbox_remove(d->store, it->seq);
			}
			continue;
		}
		if (p->n == OUTBOX_PUT_ITEMS || bytes + it->len > OUTBOX_PUT_BYTES ||
		    (ob->put_single > 0 && p->n == 1))
			break;
		p->seq[p->n++] = it->seq;
		bytes += it->len;
	}
	if (resealed) {
		/* Sealed items went to the end of the queue: list again. */
		free(p);
		msg_out_free(&o);
		store_outbox_free(items, n);
		sync_flush_soon(s);
		return;
	}
	if (waiting)
		sync_retry_later(s);
	if (p->n == 0) {
		free(p);
		msg_out_free(&o);
		store_outbox_free(items, n);
		return;
	}
	id = relayconn_next_id(sync_relayconn(s));
	msg_out_begin(&o, "put", id, 1);
	msg_out_key(&o, "items");
	msgpack_pack_array(&o.pk, p->n);
	for (i = 0; i < n; i++) {
		size_t k;
		int in = 0;

		for (k = 0; k < p->n && !in; k++)
			in = p->seq[k] == items[i].seq;
		if (!in)
			continue;
		msgpack_pack_map(&o.pk, 2);
		msg_pack_str(&o.pk, "to");
		msgpack_pack_bin(&o.pk, 32);
		msgpack_pack_bin_body(&o.pk, items[i].to, 32);
		msg_pack_str(&o.pk, "env");
		{
			/* A PEERS_FINAL item goes without its marker byte. */
			size_t skip = items[i].len > 1 && items[i].env[0] == PEERS_FINAL;

			msgpack_pack_bin(&o.pk, items[i].len - skip);
			msgpack_pack_bin_body(&o.pk, items[i].env + skip, items[i].len - skip);
		}
	}
	store_outbox_free(items, n);
	r = relayconn_request(sync_relayconn(s), &o, id, on_put_reply, p);
	msg_out_free(&o);
	if (r < 0) {
		free(p);
		return;
	}
	ob->put_inflight = 1;
}

/* ---- inner messages (docs/PROTOCOL.md 6.6) ---- */

/* Wraps body as {"t":type,"id":0,key:bin}. */
static void
inner_wrap(struct msg_out *o, const char *type, const char *key, const uint8_t *b, size_t n)
{
	msg_out_reset(o);
	msg_out_begin(o, type, 0, 1);
	msg_out_bin(o, key, b, n);
}

int
outbox_send_inner(struct sync *s, const uint8_t *person, const uint8_t *pt, size_t len,
                uint64_t *queued)
{
	struct daemon *d = sync_daemon(s);
	const uint8_t *who = person != NULL ? person : keys_person_pk(d->keys);
	struct store_device *devs = NULL;
	size_t n = 0, i;
	int r;

	r = store_device_list(d->store, who, &devs, &n);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		if (devs[i].revoked || memcmp(devs[i].relay, keys_relay_pk(d->keys), 32) == 0)
			continue;
		r = peers_queue(d, devs[i].relay, pt, len);
		if (r < 0)
			break;
		if (queued != NULL)
			(*queued)++;
	}
	free(devs);
	if (r >= 0)
		sync_flush_soon(s);
	return r < 0 ? r : 0;
}

int
outbox_send_event(struct sync *s, const struct event *ev, uint64_t *queued)
{
	struct msg_out body, inner;
	size_t i;
	int r = 0;

	*queued = 0;
	msg_out_init(&body);
	msg_out_init(&inner);
	for (i = 0; r >= 0 && i <= ev->nto; i++) {
		const uint8_t *reader = i < ev->nto ? ev->to[i] : NULL;

		msg_out_reset(&body);
		r = event_pack_plain(&body, ev, reader);
		if (r < 0 || msg_out_failed(&body)) {
			r = r < 0 ? r : ATT_ENOMEM;
			break;
		}
		inner_wrap(&inner, "event", "ev", msg_out_data(&body), msg_out_len(&body));
		if (msg_out_failed(&inner)) {
			r = ATT_ENOMEM;
			break;
		}
		r = outbox_send_inner(s, reader, msg_out_data(&inner), msg_out_len(&inner), queued);
	}
	msg_out_free(&body);
	msg_out_free(&inner);
	if (r >= 0)
		relayconn_kick(sync_relayconn(s));
	return r < 0 ? r : 0;
}


/* Our next device list to our devices and partners, and to also (a device just revoked) if set. */
static int
outbox_devlist_to(struct sync *s, const uint8_t *also)
{
	struct daemon *d = sync_daemon(s);
	struct store_partner *ps = NULL;
	struct msg_out o;
	uint8_t *list;
	size_t np = 0, i;
	int r, n;

	list = malloc(DEVLIST_MAX);
	if (list == NULL)
		return ATT_ENOMEM;
	n = devlist_own(d, list, DEVLIST_MAX, NULL);
	r = n;
	msg_out_init(&o);
	if (r >= 0) {
		inner_wrap(&o, "devlist", "list", list, (size_t)n);
		r = outbox_send_inner(s, NULL, msg_out_data(&o), msg_out_len(&o), NULL);
	}
	if (r >= 0 && also != NULL) {
		/* Best effort: without a session it cannot be told (it has never spoken). */
		int e = peers_queue_final(d, also, msg_out_data(&o), msg_out_len(&o));

		if (e < 0 && e != ATT_ESTATE && e != ATT_ENOTFOUND)
			r = e;
	}
	if (r >= 0)
		r = store_partner_list(d->store, &ps, &np);
	for (i = 0; r >= 0 && i < np; i++)
		r = outbox_send_inner(s, ps[i].person, msg_out_data(&o), msg_out_len(&o), NULL);
	free(ps);
	msg_out_free(&o);
	free(list);
	return r;
}

int
outbox_send_devlist(struct sync *s)
{
	return outbox_devlist_to(s, NULL);
}

/* A partner (name, person key, device records) as our own other devices learn it. */
int
outbox_tell_own_partner(struct sync *s, const struct store_partner *p)
{
	struct store_device *devs = NULL;
	struct msg_out o;
	size_t n = 0, i, k = 0;
	int r;

	r = store_device_list(sync_daemon(s)->store, p->person, &devs, &n);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++)
		k += !devs[i].revoked;
	msg_out_init(&o);
	msg_out_begin(&o, "partner", 0, 3);
	msg_out_str(&o, "name", p->name);
	msg_out_bin(&o, "person", p->person, 32);
	msg_out_key(&o, "devs");
	msgpack_pack_array(&o.pk, k);
	for (i = 0; i < n; i++) {
		if (devs[i].revoked)
			continue;
		msgpack_pack_bin(&o.pk, devs[i].record_len);
		msgpack_pack_bin_body(&o.pk, devs[i].record, devs[i].record_len);
	}
	free(devs);
	r = msg_out_failed(&o) ? ATT_ENOMEM
	    : outbox_send_inner(s, NULL, msg_out_data(&o), msg_out_len(&o), NULL);
	msg_out_free(&o);
	return r;
}

int
outbox_send_revocation(struct sync *s, const uint8_t device[32])
{
	struct daemon *d = sync_daemon(s);
	struct store_device dev;
	int r;

	if (memcmp(device, keys_relay_pk(d->keys), 32) == 0)
		return ATT_EPERM;
	r = store_device_get(d->store, device, &dev);
	if (r < 0)
		return r;
	if (memcmp(dev.person, keys_person_pk(d->keys), 32) != 0)
		return ATT_EPERM;
	r = store_begin(d->store);
	if (r < 0)
		return r;
	dev.revoked = 1;
	r = store_device_put(d->store, &dev);
	/* The list goes to the revoked device too, on its session, so it learns (attack 10). */
	if (r >= 0)
		r = outbox_devlist_to(s, device);
	if (r >= 0) {
		r = store_session_remove(d->store, device);
		if (r == ATT_ENOTFOUND)
			r = 0;
	}
	if (r >= 0)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
	return r < 0 ? r : 0;
}

int
outbox_send_unpair(struct sync *s, const uint8_t person[32], int tell)
{
	struct daemon *d = sync_daemon(s);
	struct msg_out o;
	int r = 0;

	msg_out_init(&o);
	if (tell) {
		uint8_t in[sizeof INBOX_FAREWELL_DOMAIN - 1 + 72], sig[64];
		uint64_t ts = (uint64_t)time(NULL);

		inbox_farewell_input(in, keys_person_pk(d->keys), person, ts);
		/* The person key where it is, else this device's sign key (certified by it). */
		crypto_sign_ed25519_detached(sig, NULL, in, sizeof in, keys_is_identity(d->keys) ?
		                             keys_person_sk(d->keys) : keys_sign_sk(d->keys));
		msg_out_begin(&o, "farewell", 0, 3);
		msg_out_bin(&o, "to", person, 32);
		msg_out_uint(&o, "ts", ts);
		msg_out_bin(&o, "sig", sig, 64);
		r = outbox_send_inner(s, person, msg_out_data(&o), msg_out_len(&o), NULL);
		/* Seal pending items now: the device rows go when this returns. */
	}
	if (r >= 0) {
		msg_out_reset(&o);
		msg_out_begin(&o, "unpair", 0, 1);
		msg_out_bin(&o, "person", person, 32);
		r = outbox_send_inner(s, NULL, msg_out_data(&o), msg_out_len(&o), NULL);
	}
	msg_out_free(&o);
	return r;
}

