/*
 * The sync engine: relay registration, prekey publishing, outbox flushing,
 * incoming envelopes, fan-out of our events, and the inner messages between
 * devices (docs/PROTOCOL.md 6.6).
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
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sodium.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/addr.h"
#include "proto/msg.h"
#include "proto/session.h"
#include "proto/x3dh.h"
#include "daemon/ctx.h"
#include "daemon/api.h"
#include "daemon/event.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "daemon/relayconn.h"
#include "daemon/peers.h"
#include "daemon/devlist.h"
#include "daemon/pairing.h"
#include "daemon/sync.h"

#define SYNC_PUT_ITEMS 32
#define SYNC_PUT_BYTES 48000
#define SYNC_OTK_LOW 10
#define SYNC_OTK_BATCH 40
#define SYNC_FETCH_MAX 16
/* The signed prekey is replaced weekly; the previous one is kept for a week of stragglers. */
#define SYNC_SPK_ROTATE (7 * 86400)
#define SYNC_RETRY_MS 3000
/*
 * Envelopes from a device we do not know yet are held back (not acked) for a
 * while: a partner's newly linked device may write before the device list
 * that introduces it has reached us. When a list or partner message adds
 * devices we ask the relay to deliver again from the oldest unacked one;
 * what is still unknown after SYNC_HELD_MS is acknowledged and dropped.
 */
#define SYNC_HELD_MAX 8
#define SYNC_HELD_MS 30000

struct sync_fetch {
	struct sync *s;
	int busy;
	uint8_t dev[32];
};

struct sync {
	struct daemon *d;
	struct relayconn *rc;
	uv_timer_t timer;          /* flush soon / retry */
	uv_timer_t held_timer;
	int handles;               /* libuv handles open; freed when the last one closes */
	int netwatch_on;
	uv_poll_t netwatch;        /* rtnetlink: an address appeared, reconnect now */
	int netfd;
	uint64_t held[SYNC_HELD_MAX];
	size_t nheld;
	int registered;
	int registering;
	int put_inflight;
	int put_single;            /* after a refused batch: this many puts of one item, to find the bad one */
	int prekeys_busy;
	int otk_dirty;
	uint64_t prekeys_checked;  /* when prekey_count was last asked (s) */
	int sessions_retry;
	int started;
	uint64_t undecryptable;
	struct sync_fetch fetch[SYNC_FETCH_MAX];
	struct pairing *pairings;
};

static void sync_flush(struct sync *s);
static void sync_netwatch_init(struct sync *s);
static void sync_on_held_timer(uv_timer_t *t);

/* ---- small helpers ---- */

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

static void
sync_kv_uint(struct sync *s, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
	store_kv_set_str(s->d->store, key, buf);
}

static uint64_t
sync_kv_get_uint(struct sync *s, const char *key, uint64_t dflt)
{
	char buf[24];

	if (store_kv_get_str(s->d->store, key, buf, sizeof buf) < 0)
		return dflt;
	return strtoull(buf, NULL, 10);
}

static void sync_sessions_all(struct sync *s);

static void
sync_on_timer(uv_timer_t *t)
{
	struct sync *s = t->data;

	if (s->sessions_retry) {
		s->sessions_retry = 0;
		sync_sessions_all(s);
	}
	sync_flush(s);
}

void
sync_flush_soon(struct sync *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->timer))
		uv_timer_start(&s->timer, sync_on_timer, 0, 0);
}

static void
sync_retry_later(struct sync *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->timer) && !uv_is_active((uv_handle_t *)&s->timer))
		uv_timer_start(&s->timer, sync_on_timer, SYNC_RETRY_MS, 0);
}

static void
ignore_reply(void *arg, const struct msg *reply)
{
	(void)arg;
	(void)reply;
}

static const char *
reply_code(const struct msg *reply)
{
	static const char none[] = "connection-lost";
	const char *c;
	size_t n;

	if (reply == NULL)
		return none;
	if (msg_get_str(msg_root(reply), "code", 64, &c, &n) < 0)
		return "error";
	return c;   /* not NUL-terminated in general: callers print with %.*s via reply_code_len */
}

static int
reply_code_len(const struct msg *reply)
{
	const char *c;
	size_t n;

	if (reply == NULL)
		return (int)strlen("connection-lost");
	if (msg_get_str(msg_root(reply), "code", 64, &c, &n) < 0)
		return 5;
	return (int)n;
}

struct relayconn *
sync_relayconn(struct sync *s)
{
	return s->rc;
}

int
sync_registered(const struct sync *s)
{
	return relayconn_is_up(s->rc) && s->registered;
}

int
sync_relay_address(struct sync *s, char *out, size_t cap)
{
	struct daemon *d = s->d;

	if (d->store != NULL && store_kv_get_str(d->store, SYNC_KV_RELAY, out, cap) == 0 && out[0])
		return 0;
	if (d->config.relay[0] == '\0')
		return ATT_ENOTFOUND;
	if (strlen(d->config.relay) >= cap)
		return ATT_ETOOBIG;
	strcpy(out, d->config.relay);
	return 0;
}

/* ---- relay connection: registration, prekeys ---- */

static void sync_registered_now(struct sync *s);

static void
on_register_reply(void *arg, const struct msg *reply)
{
	struct sync *s = arg;

	s->registering = 0;
	if (reply == NULL)
		return;
	if (!msg_is_type(reply, "ok")) {
		fprintf(stderr, "attuned: the relay refused this device's invite (%.*s): "
		        "ask for a new one with `attune-relay invite`, or pair again\n",
		        reply_code_len(reply), reply_code(reply));
		return;
	}
	store_kv_set_str(s->d->store, SYNC_KV_REGISTERED, "1");
	store_kv_del(s->d->store, SYNC_KV_INVITE);
	fprintf(stderr, "attuned: registered at the relay\n");
	sync_registered_now(s);
}

static void
sync_register(struct sync *s)
{
	char invite[256];
	struct msg_out o;
	uint64_t id;

	if (s->registering || s->d->store == NULL)
		return;
	if (store_kv_get_str(s->d->store, SYNC_KV_INVITE, invite, sizeof invite) < 0) {
		fprintf(stderr, "attuned: connected, but this device is not registered at the relay "
		        "and has no invite: pair with a partner or give `attune init --invite`\n");
		return;
	}
	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "register", id, 1);
	msg_out_str(&o, "invite", invite);
	if (relayconn_request(s->rc, &o, id, on_register_reply, s) == 0)
		s->registering = 1;
	msg_out_free(&o);
	sodium_memzero(invite, sizeof invite);
}

/* 1 when the signed prekey is older than SYNC_SPK_ROTATE (or its age is unknown). */
static int
sync_spk_due(struct sync *s)
{
	uint64_t ts = sync_kv_get_uint(s, "spk_ts", 0);

	return ts == 0 || now_s() >= ts + SYNC_SPK_ROTATE;
}

/* Makes count fresh one-time prekeys (and the signed prekey if none) and publishes them. */
static void
on_prekeys_reply(void *arg, const struct msg *reply)
{
	struct sync *s = arg;

	s->prekeys_busy = 0;
	if (reply != NULL && !msg_is_type(reply, "ok"))
		fprintf(stderr, "attuned: the relay refused our prekeys (%.*s)\n",
		        reply_code_len(reply), reply_code(reply));
}

static int
sync_publish_prekeys(struct sync *s, size_t count)
{
	struct daemon *d = s->d;
	uint8_t *blob = NULL, (*otks)[X3DH_OTK_LEN] = NULL, spk_rec[X3DH_SPK_LEN];
	uint8_t sk[32 + X3DH_SPK_LEN];
	size_t blen = 0, i;
	uint32_t spk_id, otk_next;
	struct msg_out o;
	uint64_t id;
	int r;

	if (count > SYNC_OTK_BATCH)
		count = SYNC_OTK_BATCH;
	otks = calloc(count ? count : 1, X3DH_OTK_LEN);
	if (otks == NULL)
		return ATT_ENOMEM;
	r = store_begin(d->store);
	if (r < 0)
		goto out;
	spk_id = (uint32_t)sync_kv_get_uint(s, "spk", 0);
	if (spk_id != 0 && !sync_spk_due(s) &&
	    store_prekey_get(d->store, spk_id, &blob, &blen) == 0 && blen == sizeof sk) {
		memcpy(spk_rec, blob + 32, X3DH_SPK_LEN);
	} else {
		uint32_t prev = (uint32_t)sync_kv_get_uint(s, "spk_prev", 0);

		/* Forget the one before the current; the current stays as "previous". */
		if (prev != 0 && prev != spk_id)
			store_prekey_remove(d->store, prev);
		if (spk_id != 0)
			sync_kv_uint(s, "spk_prev", spk_id);
		spk_id = PEERS_SPK_BIT | (uint32_t)(randombytes_uniform(0x7ffffffe) + 1);
		r = x3dh_spk_make(spk_rec, sk, spk_id, now_s(), keys_sign_sk(d->keys));
		if (r >= 0) {
			memcpy(sk + 32, spk_rec, X3DH_SPK_LEN);
			r = store_prekey_put(d->store, spk_id, sk, sizeof sk);
		}
		if (r >= 0) {
			sync_kv_uint(s, "spk", spk_id);
			sync_kv_uint(s, "spk_ts", now_s());
		}
	}
	if (blob != NULL)
		store_blob_free(blob, blen);
	otk_next = (uint32_t)sync_kv_get_uint(s, "otk_next", 1);
	for (i = 0; r >= 0 && i < count; i++) {
		uint32_t oid = otk_next++;

		if (oid >= PEERS_SPK_BIT)
			oid = otk_next = 1;
		r = x3dh_otk_make(otks[i], sk, oid, keys_sign_sk(d->keys));
		if (r >= 0)
			r = store_prekey_put(d->store, oid, sk, 32);
	}
	sodium_memzero(sk, sizeof sk);
	if (r >= 0)
		sync_kv_uint(s, "otk_next", otk_next);
	if (r < 0) {
		store_rollback(d->store);
		goto out;
	}
	r = store_commit(d->store);
	if (r < 0)
		goto out;
	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "prekeys", id, 2);
	msg_out_bin(&o, "spk", spk_rec, X3DH_SPK_LEN);
	msg_out_key(&o, "otks");
	msgpack_pack_array(&o.pk, count);
	for (i = 0; i < count; i++) {
		msgpack_pack_bin(&o.pk, X3DH_OTK_LEN);
		msgpack_pack_bin_body(&o.pk, otks[i], X3DH_OTK_LEN);
	}
	r = relayconn_request(s->rc, &o, id, on_prekeys_reply, s);
	if (r == 0)
		s->prekeys_busy = 1;
	msg_out_free(&o);
out:
	free(otks);
	return r;
}

static void
on_prekey_count(void *arg, const struct msg *reply)
{
	struct sync *s = arg;
	uint64_t n = 0;

	s->prekeys_busy = 0;
	if (reply == NULL)
		return;
	if (!msg_is_type(reply, "prekey_count") ||
	    msg_get_uint(msg_root(reply), "n", 1u << 20, &n) < 0)
		n = 0;
	if (n < SYNC_OTK_LOW || sync_kv_get_uint(s, "spk", 0) == 0 || sync_spk_due(s)) {
		int r = sync_publish_prekeys(s, n < SYNC_OTK_BATCH ? SYNC_OTK_BATCH - (size_t)n : 0);

		if (r < 0)
			fprintf(stderr, "attuned: cannot publish prekeys: %s\n", att_strerror(r));
	}
}

static void
sync_check_prekeys(struct sync *s)
{
	struct msg_out o;
	uint64_t id;

	if (s->prekeys_busy || !sync_registered(s))
		return;
	s->otk_dirty = 0;
	s->prekeys_checked = now_s();
	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "prekey_count", id, 0);
	if (relayconn_request(s->rc, &o, id, on_prekey_count, s) == 0)
		s->prekeys_busy = 1;
	msg_out_free(&o);
}

static void
sync_registered_now(struct sync *s)
{
	struct msg_out o;
	uint64_t id;

	s->registered = 1;
	sync_check_prekeys(s);
	sync_sessions_start(s, NULL);
	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "sync", id, 0);
	relayconn_request(s->rc, &o, id, ignore_reply, s);
	msg_out_free(&o);
	sync_flush_soon(s);
}

static void
rc_up(void *arg, int registered)
{
	struct sync *s = arg;

	fprintf(stderr, "attuned: connected to the relay\n");
	s->registered = 0;
	s->put_inflight = 0;
	if (s->d->store == NULL)
		return;
	if (registered) {
		store_kv_set_str(s->d->store, SYNC_KV_REGISTERED, "1");
		sync_registered_now(s);
	} else {
		sync_register(s);
	}
}

static void
rc_down(void *arg, int err)
{
	struct sync *s = arg;

	(void)err;
	s->nheld = 0;   /* delivered again after the next sync */
	uv_timer_stop(&s->held_timer);
	s->registered = 0;
	s->registering = 0;
	s->put_inflight = 0;
	s->prekeys_busy = 0;
}

/* ---- prekey bundles of peer devices ---- */

static void
on_bundle(void *arg, const struct msg *reply)
{
	struct sync_fetch *f = arg;
	struct sync *s = f->s;
	const uint8_t *spk = NULL, *otk = NULL;
	size_t spk_len = 0, otk_len = 0;
	char dev[KEYS_DEVICE_ID_LEN + 1];
	int r;

	f->busy = 0;
	if (reply == NULL || s->d->store == NULL)
		return;
	keys_device_id_of(f->dev, dev);
	if (!msg_is_type(reply, "prekey_bundle") ||
	    msg_get_bin(msg_root(reply), "spk", 1024, &spk, &spk_len) < 0) {
		fprintf(stderr, "attuned: no prekeys for device %s yet (%.*s); will retry\n", dev,
		        reply_code_len(reply), reply_code(reply));
		s->sessions_retry = 1;
		sync_retry_later(s);
		return;
	}
	if (msg_get_bin(msg_root(reply), "otk", 1024, &otk, &otk_len) < 0) {
		otk = NULL;
		otk_len = 0;
	}
	r = store_begin(s->d->store);
	if (r >= 0) {
		r = peers_ready(s->d, f->dev);
		if (r == 0)
			r = peers_initiate(s->d, f->dev, spk, spk_len, otk, otk_len);
		if (r >= 0)
			r = store_commit(s->d->store);
		else
			store_rollback(s->d->store);
	}
	if (r < 0)
		fprintf(stderr, "attuned: cannot start a session with device %s: %s\n", dev,
		        att_strerror(r));
	sync_flush_soon(s);
}

/* Asks the relay for dev's prekey bundle unless that is already under way. */
static void
sync_fetch_bundle(struct sync *s, const uint8_t dev[32])
{
	struct sync_fetch *f = NULL;
	struct msg_out o;
	uint64_t id;
	size_t i;

	for (i = 0; i < SYNC_FETCH_MAX; i++) {
		if (s->fetch[i].busy && memcmp(s->fetch[i].dev, dev, 32) == 0)
			return;
		if (!s->fetch[i].busy && f == NULL)
			f = &s->fetch[i];
	}
	if (f == NULL)
		return;
	memcpy(f->dev, dev, 32);
	f->s = s;
	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "prekey_get", id, 1);
	msg_out_bin(&o, "dev", dev, 32);
	if (relayconn_request(s->rc, &o, id, on_bundle, f) == 0)
		f->busy = 1;
	msg_out_free(&o);
}

void
sync_sessions_start(struct sync *s, const uint8_t *person)
{
	struct store_device *devs = NULL;
	size_t n = 0, i;

	if (s->d->store == NULL || !sync_registered(s))
		return;
	if (store_device_list(s->d->store, person, &devs, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (devs[i].revoked || memcmp(devs[i].relay, keys_relay_pk(s->d->keys), 32) == 0)
			continue;
		if (peers_ready(s->d, devs[i].relay) == 0)
			sync_fetch_bundle(s, devs[i].relay);
	}
	free(devs);
}

static void
sync_sessions_all(struct sync *s)
{
	sync_sessions_start(s, NULL);
}

/* ---- outbox ---- */

struct put_ctx {
	struct sync *s;
	size_t n;
	int64_t seq[SYNC_PUT_ITEMS];
};

static void
on_put_reply(void *arg, const struct msg *reply)
{
	struct put_ctx *p = arg;
	struct sync *s = p->s;
	size_t i;
	int r;

	s->put_inflight = 0;
	if (reply == NULL || s->d->store == NULL) {
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
			store_outbox_remove(s->d->store, p->seq[0]);
			free(p);
			sync_flush_soon(s);
			return;
		}
		fprintf(stderr, "attuned: the relay did not take our envelopes (%s); will retry\n", code);
		if (p->n > 1 && strcmp(code, "rate-limited") != 0 && strcmp(code, "storage") != 0)
			s->put_single = SYNC_PUT_ITEMS;
		free(p);
		sync_retry_later(s);
		return;
	}
	if (p->n == 1 && s->put_single > 0)
		s->put_single--;
	r = store_begin(s->d->store);
	for (i = 0; r >= 0 && i < p->n; i++) {
		r = store_outbox_remove(s->d->store, p->seq[i]);
		if (r == ATT_ENOTFOUND)
			r = 0;
	}
	if (r >= 0)
		r = store_commit(s->d->store);
	else
		store_rollback(s->d->store);
	free(p);
	if (r < 0)
		fprintf(stderr, "attuned: cannot update the outbox: %s\n", att_strerror(r));
	sync_flush_soon(s);
}

static void
sync_flush(struct sync *s)
{
	struct daemon *d = s->d;
	struct store_outbox_item *items = NULL;
	struct put_ctx *p;
	size_t n = 0, i, bytes = 0;
	int resealed = 0, waiting = 0, r;
	struct msg_out o;
	uint64_t id;

	if (d->store == NULL || !sync_registered(s) || s->put_inflight)
		return;
	if (s->otk_dirty || now_s() > s->prekeys_checked + 86400)
		sync_check_prekeys(s);
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
		if ((r == 0 && dev.revoked) ||
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
				sync_fetch_bundle(s, it->to);
				waiting = 1;
			} else if (r == ATT_EAUTH || r == ATT_ECORRUPT) {
				/* Its record or session no longer checks out: nothing can carry this. */
				store_outbox_remove(d->store, it->seq);
			}
			continue;
		}
		if (p->n == SYNC_PUT_ITEMS || bytes + it->len > SYNC_PUT_BYTES ||
		    (s->put_single > 0 && p->n == 1))
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
	id = relayconn_next_id(s->rc);
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
		msgpack_pack_bin(&o.pk, items[i].len);
		msgpack_pack_bin_body(&o.pk, items[i].env, items[i].len);
	}
	store_outbox_free(items, n);
	r = relayconn_request(s->rc, &o, id, on_put_reply, p);
	msg_out_free(&o);
	if (r < 0) {
		free(p);
		return;
	}
	s->put_inflight = 1;
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
sync_send_inner(struct sync *s, const uint8_t *person, const uint8_t *pt, size_t len,
                uint64_t *queued)
{
	struct daemon *d = s->d;
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

static int
ops_send_event(struct sync *s, const struct event *ev, uint64_t *queued)
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
		r = sync_send_inner(s, reader, msg_out_data(&inner), msg_out_len(&inner), queued);
	}
	msg_out_free(&body);
	msg_out_free(&inner);
	if (r >= 0)
		relayconn_kick(s->rc);
	return r < 0 ? r : 0;
}

int
sync_send_devlist(struct sync *s)
{
	struct daemon *d = s->d;
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
		r = sync_send_inner(s, NULL, msg_out_data(&o), msg_out_len(&o), NULL);
	}
	if (r >= 0)
		r = store_partner_list(d->store, &ps, &np);
	for (i = 0; r >= 0 && i < np; i++)
		r = sync_send_inner(s, ps[i].person, msg_out_data(&o), msg_out_len(&o), NULL);
	free(ps);
	msg_out_free(&o);
	free(list);
	return r;
}

/* A partner (name, person key, device records) as our own other devices learn it. */
int
sync_tell_own_partner(struct sync *s, const struct store_partner *p)
{
	struct store_device *devs = NULL;
	struct msg_out o;
	size_t n = 0, i, k = 0;
	int r;

	r = store_device_list(s->d->store, p->person, &devs, &n);
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
	    : sync_send_inner(s, NULL, msg_out_data(&o), msg_out_len(&o), NULL);
	msg_out_free(&o);
	return r;
}

/* Adds a partner's verified device records (inside a transaction). */
int
sync_add_devices(struct sync *s, const uint8_t person[32], const msgpack_object *arr, size_t n)
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
		r = store_device_get(s->d->store, rec.relay_pk, &dev);
		if (r == 0) {
			if (memcmp(dev.person, person, 32) != 0)
				return ATT_EAUTH;
			continue;
		}
		memset(&dev, 0, sizeof dev);
		memcpy(dev.relay, rec.relay_pk, 32);
		memcpy(dev.person, person, 32);
		dev.added = now_s();
		dev.record_len = len;
		memcpy(dev.record, b, len);
		r = store_device_put(s->d->store, &dev);
		if (r < 0)
			return r;
	}
	return 0;
}

/* farewell: signature by the leaving person over domain || from || to || ts. */
#define FAREWELL_DOMAIN "attune/1 farewell"

static void
farewell_input(uint8_t out[sizeof FAREWELL_DOMAIN - 1 + 72], const uint8_t from[32],
               const uint8_t to[32], uint64_t ts)
{
	size_t dl = sizeof FAREWELL_DOMAIN - 1;

	memcpy(out, FAREWELL_DOMAIN, dl);
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
	struct daemon *d = s->d;
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
			if (r == ATT_EEXIST)
				r = 0;           /* a duplicate by event id: dropped */
			else if (r >= 0)
				res->have_event = 1;
		}
		if (r >= 0 && !mine)
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
			r = sync_add_devices(s, p.person, arr, n);
		if (r >= 0) {
			res->sessions_for = 1;
			memcpy(res->person, p.person, 32);
		}
	} else if (msg_is_type(m, "farewell") && !mine) {
		uint8_t in[sizeof FAREWELL_DOMAIN - 1 + 72];
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
			farewell_input(in, dev->person, to, ts);
			if (crypto_sign_ed25519_verify_detached(sig, in, sizeof in, dev->person) != 0)
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
sync_ack(struct sync *s, uint64_t seq)
{
	struct msg_out o;
	uint64_t id;

	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "ack", id, 1);
	msg_out_key(&o, "seq");
	msgpack_pack_array(&o.pk, 1);
	msgpack_pack_uint64(&o.pk, seq);
	relayconn_request(s->rc, &o, id, ignore_reply, s);
	msg_out_free(&o);
}

static void
sync_on_held_timer(uv_timer_t *t)
{
	struct sync *s = t->data;
	size_t i;

	if (s->nheld > 0)
		fprintf(stderr, "attuned: dropped %zu envelope(s) from devices nobody introduced\n",
		        s->nheld);
	for (i = 0; i < s->nheld; i++)
		sync_ack(s, s->held[i]);
	s->nheld = 0;
}

static void
sync_undecryptable(struct sync *s, const uint8_t from[32], int err)
{
	char dev[KEYS_DEVICE_ID_LEN + 1];

	keys_device_id_of(from, dev);
	s->undecryptable++;
	fprintf(stderr, "attuned: dropped an envelope from device %s that cannot be opened (%s)\n",
	        dev, att_errcode(err));
	sync_kv_uint(s, "undecryptable", s->undecryptable);
}

/* Holds an envelope from an unknown device; 0 when there is no room (then it is dropped). */
static int
sync_hold(struct sync *s, uint64_t seq)
{
	size_t i;

	for (i = 0; i < s->nheld; i++)
		if (s->held[i] == seq)
			return 1;
	if (s->nheld == SYNC_HELD_MAX)
		return 0;
	s->held[s->nheld++] = seq;
	if (!uv_is_active((uv_handle_t *)&s->held_timer))
		uv_timer_start(&s->held_timer, sync_on_held_timer, SYNC_HELD_MS, 0);
	fprintf(stderr, "attuned: holding an envelope from a device not known yet\n");
	return 1;
}

static void
sync_redeliver_held(struct sync *s)
{
	struct msg_out o;
	uint64_t id;

	if (s->nheld == 0)
		return;
	s->nheld = 0;
	uv_timer_stop(&s->held_timer);
	msg_out_init(&o);
	id = relayconn_next_id(s->rc);
	msg_out_begin(&o, "sync", id, 0);
	relayconn_request(s->rc, &o, id, ignore_reply, s);
	msg_out_free(&o);
}

static void
sync_deliver(struct sync *s, const struct msg *m)
{
	struct daemon *d = s->d;
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
	if (d->store == NULL)
		return;
	r = store_device_get(d->store, from, &dev);
	if (r == ATT_ENOTFOUND && sync_hold(s, seq))
		return;
	if (r < 0 || dev.revoked) {
		char id[KEYS_DEVICE_ID_LEN + 1];

		keys_device_id_of(from, id);
		fprintf(stderr, "attuned: dropped an envelope from %s device %s\n",
		        r < 0 ? "an unknown" : "a revoked", id);
		sync_ack(s, seq);
		return;
	}
	pt = malloc(len ? len : 1);
	res = calloc(1, sizeof *res);
	if (pt == NULL || res == NULL)
		goto out;
	n = peers_open(d, &dev, env, len, pt, len, &sess, &otk_used);
	if (n == ATT_EREPLAY) {
		sync_ack(s, seq);   /* delivered again after we stored it: done already */
		goto out;
	}
	if (n < 0) {
		if (n == ATT_ENOMEM)
			goto out;   /* not acked: the relay will deliver it again */
		sync_undecryptable(s, from, n);
		sync_ack(s, seq);
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
	sync_ack(s, seq);
	if (otk_used != X3DH_NO_OTK) {
		s->otk_dirty = 1;
		sync_flush_soon(s);
	}
	if (res->have_event)
		api_event_arrived(d, &res->ev);
	if (res->sessions_for) {
		sync_sessions_start(s, res->person);
		sync_redeliver_held(s);
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

static void
rc_push(void *arg, const struct msg *m)
{
	struct sync *s = arg;

	if (msg_is_type(m, "deliver"))
		sync_deliver(s, m);
}

static const struct relayconn_ops sync_rc_ops = { rc_up, rc_push, rc_down };

/* ---- the ops table daemon-core calls ---- */

static int
ops_pair(struct sync *s, struct api_req *req, int link, const char *code, const char *relay)
{
	return pairing_start(s, s->d, req, link, code, relay);
}

static int
ops_revoke(struct sync *s, const uint8_t device[32])
{
	struct daemon *d = s->d;
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
	if (r >= 0) {
		r = store_session_remove(d->store, device);
		if (r == ATT_ENOTFOUND)
			r = 0;
	}
	if (r >= 0)
		r = sync_send_devlist(s);
	if (r >= 0)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
	return r < 0 ? r : 0;
}

static int
ops_unpair(struct sync *s, const uint8_t person[32], int tell)
{
	struct daemon *d = s->d;
	struct msg_out o;
	int r = 0;

	msg_out_init(&o);
	if (tell) {
		uint8_t in[sizeof FAREWELL_DOMAIN - 1 + 72], sig[64];
		uint64_t ts = now_s();

		farewell_input(in, keys_person_pk(d->keys), person, ts);
		crypto_sign_ed25519_detached(sig, NULL, in, sizeof in, keys_person_sk(d->keys));
		msg_out_begin(&o, "farewell", 0, 3);
		msg_out_bin(&o, "to", person, 32);
		msg_out_uint(&o, "ts", ts);
		msg_out_bin(&o, "sig", sig, 64);
		r = sync_send_inner(s, person, msg_out_data(&o), msg_out_len(&o), NULL);
		/* Seal pending items now: the device rows go when this returns. */
	}
	if (r >= 0) {
		msg_out_reset(&o);
		msg_out_begin(&o, "unpair", 0, 1);
		msg_out_bin(&o, "person", person, 32);
		r = sync_send_inner(s, NULL, msg_out_data(&o), msg_out_len(&o), NULL);
	}
	msg_out_free(&o);
	return r;
}

static void
ops_status(struct sync *s, int *connected, uint64_t *undecryptable)
{
	*connected = sync_registered(s);
	*undecryptable = s->undecryptable;
}

static void
ops_initialised(struct sync *s)
{
	sync_start(s);
}

static void
ops_stop(struct sync *s)
{
	pairing_cancel_all(s);
	relayconn_stop(s->rc);
	uv_timer_stop(&s->timer);
	uv_timer_stop(&s->held_timer);
	s->nheld = 0;
	s->started = 0;
}

static const struct sync_ops sync_ops_table = {
	.send_event = ops_send_event,
	.pair = ops_pair,
	.revoke = ops_revoke,
	.unpair = ops_unpair,
	.status = ops_status,
	.initialised = ops_initialised,
	.stop = ops_stop,
};

/* ---- lifecycle ---- */

int
sync_new(struct daemon *d)
{
	struct sync *s = calloc(1, sizeof *s);
	const char *e;

	if (s == NULL)
		return ATT_ENOMEM;
	s->d = d;
	s->rc = relayconn_new(d->loop, &sync_rc_ops, s);
	if (s->rc == NULL) {
		free(s);
		return ATT_ENOMEM;
	}
	if ((e = getenv("ATTUNE_BACKOFF_MAX_MS")) != NULL && *e)
		relayconn_set_backoff(s->rc, 100, strtoull(e, NULL, 10));
	if ((e = getenv("ATTUNE_KEEPALIVE_MS")) != NULL && *e)
		relayconn_set_keepalive(s->rc, strtoull(e, NULL, 10));
	uv_timer_init(d->loop, &s->timer);
	s->timer.data = s;
	uv_timer_init(d->loop, &s->held_timer);
	s->held_timer.data = s;
	s->handles = 2;
	s->netfd = -1;
	sync_netwatch_init(s);
	d->sync = s;
	d->sync_ops = &sync_ops_table;
	return 0;
}

int
sync_start(struct sync *s)
{
	struct daemon *d = s->d;
	char relay[ADDR_STR_MAX], why[128];
	struct addr a;
	int r;

	if (!daemon_initialised(d))
		return 0;
	s->undecryptable = sync_kv_get_uint(s, "undecryptable", 0);
	r = sync_relay_address(s, relay, sizeof relay);
	if (r < 0) {
		fprintf(stderr, "attuned: no relay configured yet: pair with a partner, or set "
		        "[relay] address in attuned.conf\n");
		return 0;
	}
	r = addr_parse_ex(&a, relay, why, sizeof why);
	if (r < 0) {
		fprintf(stderr, "attuned: the relay address is not valid: %s\n", why);
		return r;
	}
	s->started = 1;
	return relayconn_start(s->rc, &a, keys_relay_sk(d->keys));
}

/* Reconnects, e.g. after the relay address or the registration changed. */
int
sync_restart(struct sync *s)
{
	relayconn_stop(s->rc);
	return sync_start(s);
}

static void
sync_on_close(uv_handle_t *h)
{
	struct sync *s = h->data;

	if (--s->handles == 0) {
		if (s->netfd >= 0)
			close(s->netfd);
		free(s);
	}
}

/*
 * Network changes: when a link comes up or an address appears, a relay
 * connection waiting in backoff is retried at once instead of at the end of
 * its wait. Without rtnetlink (a sandbox refusing AF_NETLINK) this quietly
 * does nothing and the backoff alone applies.
 */
static void
sync_on_netlink(uv_poll_t *h, int status, int events)
{
	struct sync *s = h->data;
	uint8_t buf[8192];
	int kick = 0;

	(void)events;
	if (status < 0)
		return;
	for (;;) {
		ssize_t n = recv(s->netfd, buf, sizeof buf, MSG_DONTWAIT);
		struct nlmsghdr *nh;
		size_t left;

		if (n <= 0)
			break;
		left = (size_t)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left))
			if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_NEWLINK)
				kick = 1;
	}
	if (kick && s->started)
		relayconn_kick(s->rc);
}

static void
sync_netwatch_init(struct sync *s)
{
	struct sockaddr_nl sa;

	s->netfd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (s->netfd >= 0 && bind(s->netfd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(s->netfd);
		s->netfd = -1;
	}
	if (s->netfd >= 0 && uv_poll_init(s->d->loop, &s->netwatch, s->netfd) == 0) {
		s->netwatch.data = s;
		s->netwatch_on = 1;
		s->handles++;
		uv_poll_start(&s->netwatch, UV_READABLE, sync_on_netlink);
		return;
	}
	if (s->netfd >= 0)
		close(s->netfd);
	s->netfd = -1;
}

void
sync_free(struct sync *s)
{
	if (s == NULL)
		return;
	pairing_cancel_all(s);
	relayconn_free(s->rc);
	s->rc = NULL;
	if (s->d->sync == s) {
		s->d->sync = NULL;
		s->d->sync_ops = NULL;
	}
	if (s->netwatch_on)
		uv_close((uv_handle_t *)&s->netwatch, sync_on_close);
	uv_close((uv_handle_t *)&s->timer, sync_on_close);
	uv_close((uv_handle_t *)&s->held_timer, sync_on_close);
}

struct pairing **
sync_pairings(struct sync *s)
{
	return &s->pairings;
}
