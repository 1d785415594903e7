/*
 * Pairing and linking (see pairing.h). One struct pairing per request in
 * progress, with its own relay connection and a one-second timer that
 * notices a client that went away and the overall deadline. What the two
 * sides introduce themselves with inside the PAKE channel is daemon/intro.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "proto/err.h"
#include "proto/addr.h"
#include "proto/msg.h"
#include "proto/noise.h"
#include "proto/pake.h"
#include "proto/pcode.h"
#include "proto/x3dh.h"
#include "daemon/ctx.h"
#include "daemon/api.h"
#include "daemon/keys.h"
#include "daemon/store.h"
#include "daemon/relayconn.h"
#include "daemon/devlist.h"
#include "daemon/intro.h"
#include "daemon/outbox.h"
#include "daemon/prekeys.h"
#include "daemon/sync.h"
#include "daemon/pairing.h"

/*
 * A link: the new device makes its device keys before the PAKE and stands in
 * it with its sign key; its public keys travel in its sealed introduction
 * (message 4). The identity device certifies them with the person key, adds
 * the device and publishes the new device list (partners accept lists only
 * from the person key). Nothing of the link travels outside the sealed
 * channel, and the person secret key never leaves the identity device.
 */
enum pstate { PS_CONNECT, PS_ALLOC, PS_CLAIM, PS_PAKE, PS_FINISHING, PS_ENDED };

struct pairing {
	struct pairing *next;
	struct sync *s;
	struct daemon *d;
	struct api_req *req;
	int link, initiator;
	enum pstate st;
	struct relayconn *rc;
	struct addr relay;
	char relay_str[ADDR_STR_MAX];
	uint32_t np;
	char code[PCODE_MAX];
	char invite[256];
	uint8_t my_id[32];
	uint8_t eph_sk[32];        /* this pairing's throwaway relay key */
	struct pake *pake;
	struct keys *newdev;       /* link, new device: its keys until they are saved */
	uv_timer_t timer;
	uint64_t deadline;
	int ever_up;
	int downs;                 /* failed connects before the first handshake */
	int partners_later;        /* link: partners did not fit the intro; send them after */
	int got_msg;               /* the peer has said something on the nameplate */
	int sent_final;            /* our last PAKE message is out: finish when the relay says ok */
};

#define PAIRING_CONNECT_TRIES 6

static const struct relayconn_ops pairing_rc_ops;
static void pairing_finish(struct pairing *p);

static uint64_t
now_ms(struct pairing *p)
{
	return uv_now(p->d->loop);
}

static void
pairing_on_close(uv_handle_t *h)
{
	struct pairing *p = h->data;

	sodium_memzero(p, sizeof *p);
	free(p);
}

/* Ends p: reply with an error (code NULL = none), drop the relay connection, free later. */
static void
pairing_end(struct pairing *p, const char *code, const char *text)
{
	struct pairing **pp;

	if (p->st == PS_ENDED)
		return;
	p->st = PS_ENDED;
	for (pp = &p->d->pairings; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (p->req != NULL) {
		if (code != NULL)
			api_req_error(p->req, code, text);
		api_req_release(p->req);
		p->req = NULL;
	}
	relayconn_cancel(sync_relayconn(p->s), p);
	if (p->rc != NULL) {
		relayconn_cancel(p->rc, p);
		relayconn_free(p->rc);   /* the relay closes our nameplate with the connection */
		p->rc = NULL;
	}
	pake_free(p->pake);
	p->pake = NULL;
	keys_free(p->newdev);
	p->newdev = NULL;
	uv_close((uv_handle_t *)&p->timer, pairing_on_close);
}

static const char *
reply_code(const struct msg *reply, char *buf, size_t cap)
{
	if (reply == NULL) {
		snprintf(buf, cap, "connection-lost");
		return buf;
	}
	if (msg_get_strz(msg_root(reply), "code", buf, cap) < 0)
		snprintf(buf, cap, "error");
	return buf;
}

static void pairing_send_np(struct pairing *p, const uint8_t *data, size_t len);
static void pairing_paired(struct pairing *p, const char *partner);
static void pairing_on_newdev(struct pairing *p, const msgpack_object *intro);

static void
on_np_sent(void *arg, const struct msg *reply)
{
	struct pairing *p = arg;
	char code[64];

	if (p->st == PS_ENDED)
		return;
	if (reply == NULL || !msg_is_type(reply, "ok")) {
		reply_code(reply, code, sizeof code);
		fprintf(stderr, "attuned: pairing: the relay did not pass our message (%s)\n", code);
		pairing_end(p, "pairing-failed", "the relay lost the pairing channel: start again");
		return;
	}
	if (p->sent_final && pake_done(p->pake)) {
		pairing_finish(p);
	}
}

static void
pairing_send_np(struct pairing *p, const uint8_t *data, size_t len)
{
	struct msg_out o;
	uint64_t id;

	msg_out_init(&o);
	id = relayconn_next_id(p->rc);
	msg_out_begin(&o, "np_send", id, 2);
	msg_out_uint(&o, "np", p->np);
	msg_out_bin(&o, "data", data, len);
	if (relayconn_request(p->rc, &o, id, on_np_sent, p) < 0)
		pairing_end(p, "relay-unreachable", "lost the connection to the relay: try again");
	msg_out_free(&o);
}

/* Creates the PAKE state once the nameplate and code are known. */
static int
pairing_pake_new(struct pairing *p)
{
	struct msg_out o;
	int r;

	msg_out_init(&o);
	r = intro_build(p->d, &o, p->link, p->initiator, p->relay_str, p->invite,
	                p->partners_later, p->newdev);
	if (r >= 0 && !msg_out_failed(&o) && msg_out_len(&o) > PAKE_INTRO_MAX &&
	    p->link && p->initiator) {
		/* Many partners: they follow as `partner` messages once the device is known. */
		p->partners_later = 1;
		r = intro_build(p->d, &o, p->link, p->initiator, p->relay_str, p->invite,
	                p->partners_later, p->newdev);
	}
	if (r >= 0 && msg_out_failed(&o))
		r = ATT_ENOMEM;
	if (r >= 0 && msg_out_len(&o) > PAKE_INTRO_MAX)
		r = ATT_ETOOBIG;
	if (r >= 0) {
		p->pake = pake_new(p->initiator, p->code, p->np, p->my_id, msg_out_data(&o),
		                   msg_out_len(&o));
		if (p->pake == NULL)
			r = ATT_ENOMEM;
	}
	if (r >= 0)
		r = pake_set_link(p->pake, p->link);
	/*
	 * Who signs our part of the exchange: the new device of a link with its
	 * sign key (its PAKE identity), the identity device with the person key,
	 * a linked device with its sign key (certified by its record in "devs").
	 */
	if (r >= 0)
		r = pake_set_signer(p->pake, p->newdev != NULL ? keys_sign_sk(p->newdev) :
		                    keys_is_identity(p->d->keys) ? keys_person_sk(p->d->keys) :
		                    keys_sign_sk(p->d->keys));
	msg_out_free(&o);
	return r;
}

static void
pairing_reply_code(struct pairing *p)
{
	struct msg_out o;
	char link[ADDR_STR_MAX + PCODE_MAX + 2];

	msg_out_init(&o);
	msg_out_begin(&o, "pairing", api_req_id(p->req), p->initiator ? 2 : 1);
	msg_out_str(&o, "code", p->code);
	if (p->initiator) {
		snprintf(link, sizeof link, "%s#%s", p->relay_str, p->code);
		msg_out_str(&o, "link", link);
	}
	if (!msg_out_failed(&o))
		api_req_send(p->req, msg_out_data(&o), msg_out_len(&o));
	msg_out_free(&o);
}

static void
on_np_alloc(void *arg, const struct msg *reply)
{
	struct pairing *p = arg;
	uint8_t out[PAKE_MSG_MAX];
	uint64_t np;
	char code[64];
	int r;

	if (p->st == PS_ENDED)
		return;
	if (reply == NULL || !msg_is_type(reply, "nameplate") ||
	    msg_get_uint(msg_root(reply), "np", UINT32_MAX, &np) < 0) {
		reply_code(reply, code, sizeof code);
		fprintf(stderr, "attuned: pairing: the relay gave no nameplate (%s)\n", code);
		pairing_end(p, "relay-unreachable", "the relay would not open a pairing channel: try again later");
		return;
	}
	p->np = (uint32_t)np;
	r = pcode_make(p->code, sizeof p->code, p->np);
	if (r >= 0)
		r = pairing_pake_new(p);
	if (r < 0) {
		pairing_end(p, att_errcode(r), r == ATT_ETOOBIG ?
		            "too many devices and partners to link in one introduction" :
		            att_strerror(r));
		return;
	}
	r = pake_start(p->pake, out, sizeof out);
	if (r <= 0) {
		pairing_end(p, att_errcode(r < 0 ? r : ATT_ESTATE), "pairing could not start");
		return;
	}
	p->st = PS_PAKE;
	pairing_reply_code(p);
	pairing_send_np(p, out, (size_t)r);
	sodium_memzero(out, (size_t)r);
}

static void
on_np_claim(void *arg, const struct msg *reply)
{
	struct pairing *p = arg;
	char code[64];

	if (p->st == PS_ENDED)
		return;
	if (reply == NULL || !msg_is_type(reply, "ok")) {
		reply_code(reply, code, sizeof code);
		if (strcmp(code, "np-taken") == 0)
			pairing_end(p, "code-used", "this code was already used: ask for a new one");
		else if (strcmp(code, "np-unknown") == 0)
			pairing_end(p, "code-expired", "this code has expired or does not exist: ask for a new one");
		else
			pairing_end(p, "relay-unreachable", "the relay would not open the pairing channel: try again");
		return;
	}
	if (p->st == PS_CLAIM)
		p->st = PS_PAKE;
	pairing_reply_code(p);
}

static void
prc_up(void *arg, int registered)
{
	struct pairing *p = arg;
	struct msg_out o;
	uint64_t id;
	int r;

	(void)registered;
	if (p->st != PS_CONNECT) {
		/* A reconnect mid-pairing: the nameplate died with the old connection. */
		pairing_end(p, "pairing-failed", "lost the connection to the relay during pairing: start again");
		return;
	}
	p->ever_up = 1;
	msg_out_init(&o);
	id = relayconn_next_id(p->rc);
	if (p->initiator) {
		msg_out_begin(&o, "np_alloc", id, 0);
		r = relayconn_request(p->rc, &o, id, on_np_alloc, p);
		p->st = PS_ALLOC;
	} else {
		/* The relay pushes what the inviter already sent before it answers the claim. */
		r = pairing_pake_new(p);
		if (r < 0) {
			msg_out_free(&o);
			pairing_end(p, att_errcode(r), att_strerror(r));
			return;
		}
		msg_out_begin(&o, "np_claim", id, 1);
		msg_out_uint(&o, "np", p->np);
		r = relayconn_request(p->rc, &o, id, on_np_claim, p);
		p->st = PS_CLAIM;
	}
	msg_out_free(&o);
	if (r < 0)
		pairing_end(p, "relay-unreachable", "lost the connection to the relay: try again");
}

static void
prc_down(void *arg, int err)
{
	struct pairing *p = arg;

	(void)err;
	if (p->st == PS_ENDED)
		return;
	/* A relay may refuse a burst of handshakes (rate limits): relayconn retries a few times. */
	if (!p->ever_up && ++p->downs < PAIRING_CONNECT_TRIES)
		return;
	if (!p->ever_up)
		pairing_end(p, "relay-unreachable", "cannot reach the relay: check the address and that it runs");
	else
		pairing_end(p, "pairing-failed", "lost the connection to the relay during pairing: start again");
}

static void
pairing_on_msg(struct pairing *p, const uint8_t *data, size_t len)
{
	uint8_t out[PAKE_MSG_MAX];
	int r;

	if ((p->st != PS_PAKE && p->st != PS_CLAIM) || p->pake == NULL)
		return;
	p->got_msg = 1;
	r = pake_recv(p->pake, data, len, out, sizeof out);
	if (r < 0) {
		fprintf(stderr, "attuned: pairing failed (%s)\n", att_errcode(r));
		pairing_end(p, "pairing-failed", r == ATT_EAUTH ?
		            "the codes did not match (or one side ran `attune link`, the other "
		            "`attune pair`): check the code and start again with a new one" :
		            "the pairing messages were damaged: start again with a new code");
		return;
	}
	if (r > 0) {
		p->sent_final = pake_done(p->pake);
		pairing_send_np(p, out, (size_t)r);
		sodium_memzero(out, (size_t)r);
		return;
	}
	if (pake_done(p->pake)) {
		pairing_finish(p);
	}
}

static void
prc_push(void *arg, const struct msg *m)
{
	struct pairing *p = arg;
	const uint8_t *data;
	size_t len;
	uint64_t np;

	if (p->st == PS_ENDED)
		return;
	if (msg_get_uint(msg_root(m), "np", UINT32_MAX, &np) < 0 || np != p->np)
		return;
	if (msg_is_type(m, "np_msg")) {
		if (msg_get_bin(msg_root(m), "data", PAKE_MSG_MAX, &data, &len) < 0) {
			pairing_end(p, "pairing-failed", "the pairing messages were damaged: start again");
			return;
		}
		pairing_on_msg(p, data, len);
	} else if (msg_is_type(m, "np_closed")) {
		fprintf(stderr, "attuned: pairing: the relay closed the pairing channel\n");
		if (p->initiator && !p->got_msg)
			pairing_end(p, "code-expired", "the code expired, or whoever claimed it left "
			            "without a word: start again");
		else if (p->st == PS_CLAIM || (p->st == PS_PAKE && !p->initiator))
			pairing_end(p, "pairing-failed", "the codes did not match, or the other side gave up: "
			            "check the code and start again with a new one");
		else
			pairing_end(p, "pairing-failed", "the other side gave up or typed a wrong code: start again");
	}
}

static const struct relayconn_ops pairing_rc_ops = { prc_up, prc_push, prc_down };

/* ---- completion ---- */

static void
pairing_paired(struct pairing *p, const char *partner)
{
	char digits[PAKE_SAFETY_DIGITS_MAX], words[PAKE_SAFETY_WORDS_MAX];
	struct msg_out o;

	if (pake_safety(p->pake, digits, sizeof digits, words, sizeof words) < 0) {
		digits[0] = '\0';
		words[0] = '\0';
	}
	msg_out_init(&o);
	msg_out_begin(&o, "paired", api_req_id(p->req), 3);
	msg_out_str(&o, "partner", partner);
	msg_out_str(&o, "safety", digits);
	msg_out_str(&o, "safety_words", words);
	if (!msg_out_failed(&o))
		api_req_send(p->req, msg_out_data(&o), msg_out_len(&o));
	msg_out_free(&o);
	pairing_end(p, NULL, NULL);
}

/*
 * The peer signed this exchange (proto/pake.h) with its identity key, or —
 * a linked device pairing — with the sign key of one of its devices whose
 * record, in the introduction's "devs", that identity certified. Attack 3
 * of issue 11: presenting someone else's identity fails here.
 */
static int
pairing_proof(struct pairing *p, const msgpack_object *root, const uint8_t peer[32])
{
	const msgpack_object *devs;
	struct x3dh_devrec rec;
	const uint8_t *b;
	size_t n, i, len;

	if (pake_peer_verify(p->pake, peer) == 0)
		return 0;
	if (p->link || msg_get_array(root, "devs", DEVLIST_DEVICES_MAX, &devs, &n) < 0)
		return ATT_EAUTH;
	for (i = 0; i < n; i++)
		if (msg_obj_bin(&devs[i], STORE_RECORD_MAX, &b, &len) == 0 &&
		    x3dh_devrec_verify(&rec, b, len, peer) == 0 &&
		    pake_peer_verify(p->pake, rec.sign_pk) == 0)
			return 0;
	return ATT_EAUTH;
}

static void
pairing_finish(struct pairing *p)
{
	const uint8_t *intro, *peer = NULL;
	uint8_t peer_buf[32];
	struct msg *m = NULL;
	struct store_partner sp;
	char kind[8];
	size_t len;
	int r, restart = 0;

	if (p->st != PS_PAKE && p->st != PS_CLAIM)
		return;
	p->st = PS_FINISHING;
	intro = pake_peer_intro(p->pake, &len);
	r = intro == NULL ? ATT_ESTATE : msg_parse(intro, len, NULL, &m, NULL);
	if (r >= 0 && !msg_is_type(m, "intro"))
		r = ATT_EUNKNOWNTYPE;
	if (r >= 0)
		r = msg_get_strz(msg_root(m), "kind", kind, sizeof kind);
	if (r >= 0 && strcmp(kind, p->link ? "link" : "pair") != 0) {
		msg_free(m);
		pairing_end(p, "pairing-failed", p->link ?
		            "the other device ran `attune pair`, not `attune link`: both must run the same" :
		            "the other device ran `attune link`, not `attune pair`: both must run the same");
		return;
	}
	if (r >= 0)
		peer = pake_peer_identity(p->pake, peer_buf) < 0 ? NULL : peer_buf;
	if (r >= 0 && (peer == NULL || pairing_proof(p, msg_root(m), peer) < 0)) {
		msg_free(m);
		fprintf(stderr, "attuned: pairing: the other side did not prove it holds the "
		        "identity it presented\n");
		pairing_end(p, "pairing-failed", "the other side could not prove it holds the identity "
		            "it presented: someone may be in the middle; start again in person");
		return;
	}
	if (r >= 0 && !p->link) {
		r = intro_take_pair(p->s, p->d, peer, msg_root(m), p->relay_str, &sp, &restart);
	} else if (r >= 0 && !p->initiator) {
		r = intro_take_link(p->s, p->d, peer, msg_root(m), p->newdev);
		if (r >= 0) {
			p->newdev = NULL;   /* d->keys now */
			msg_free(m);
			pairing_paired(p, p->d->name);
			return;
		}
	} else if (r >= 0) {
		pairing_on_newdev(p, msg_root(m));
		msg_free(m);
		return;
	}
	msg_free(m);
	if (r < 0) {
		fprintf(stderr, "attuned: pairing could not complete (%s)\n", att_errcode(r));
		pairing_end(p, r == ATT_EEXIST && !p->link ? "not-allowed" : "pairing-failed",
		            r == ATT_EEXIST ? (p->link ? "this device already has an identity: "
		                                          "only a fresh device can be linked"
		                                        : "that code came from one of your own devices: "
		                                          "use `attune link` for your devices")
		                            : "the other side's introduction was not valid: start again");
		return;
	}
	if (restart)
		sync_restart(p->s);
	else if (!p->link)
		prekeys_sessions_start(p->s, sp.person);
	sync_flush_soon(p->s);
	pairing_paired(p, sp.name);
}

/* The identity device of a link: certify the new device, then the new device list. */
static void
pairing_on_newdev(struct pairing *p, const msgpack_object *intro)
{
	struct daemon *d = p->d;
	struct store_device dev;
	struct store_partner *ps = NULL;
	uint8_t peer_buf[32];
	const uint8_t *peer;
	size_t np = 0, i;
	int r;

	peer = pake_peer_identity(p->pake, peer_buf) < 0 ? NULL : peer_buf;
	r = intro_take_newdev(d, peer, intro, &dev);
	if (r == ATT_EEXIST) {
		pairing_end(p, "not-allowed", "that device is already known here (or was revoked): "
		            "a revoked device cannot come back; wipe it to link it as a new one");
		return;
	}
	if (r < 0) {
		fprintf(stderr, "attuned: link: the new device's introduction was refused (%s)\n",
		        att_errcode(r));
		pairing_end(p, "pairing-failed", "the new device sent an invalid introduction: start again");
		return;
	}
	r = store_begin(d->store);
	if (r < 0)
		goto out;
	r = store_device_put(d->store, &dev);
	if (r >= 0)
		r = outbox_send_devlist(p->s);
	if (r >= 0 && p->partners_later)
		r = store_partner_list(d->store, &ps, &np);
	for (i = 0; r >= 0 && i < np; i++)
		r = outbox_tell_own_partner(p->s, &ps[i]);
	free(ps);
	if (r >= 0)
		r = store_commit(d->store);
	else
		store_rollback(d->store);
out:
	if (r < 0) {
		fprintf(stderr, "attuned: link could not complete (%s)\n", att_errcode(r));
		pairing_end(p, "pairing-failed", "could not record the new device: start again");
		return;
	}
	prekeys_sessions_start(p->s, keys_person_pk(d->keys));
	sync_flush_soon(p->s);
	pairing_paired(p, d->name);
}

/* ---- start, timer, cancel ---- */

static void
pairing_tick(uv_timer_t *t)
{
	struct pairing *p = t->data;

	if (p->st == PS_ENDED)
		return;
	if (p->req != NULL && !api_req_alive(p->req)) {
		pairing_end(p, NULL, NULL);
		return;
	}
	if (now_ms(p) >= p->deadline)
		pairing_end(p, "code-expired", "nobody used the code in time: start again");
}

/* Splits "attune://...#CODE" into relay and code; a bare code leaves relay empty. */
static int
split_link(const char *in, char *relay, size_t rcap, char *code, size_t ccap)
{
	const char *hash = strchr(in, '#');

	relay[0] = '\0';
	if (hash == NULL) {
		if (strlen(in) >= ccap)
			return ATT_ECODE;
		strcpy(code, in);
		return 0;
	}
	if ((size_t)(hash - in) >= rcap || strlen(hash + 1) >= ccap)
		return ATT_ECODE;
	memcpy(relay, in, (size_t)(hash - in));
	relay[hash - in] = '\0';
	strcpy(code, hash + 1);
	return 0;
}

static void
on_invite(void *arg, const struct msg *reply)
{
	struct pairing *p = arg;

	if (p->st == PS_ENDED)
		return;
	if (reply != NULL && msg_is_type(reply, "invite")) {
		if (msg_get_strz(msg_root(reply), "token", p->invite, sizeof p->invite) < 0)
			p->invite[0] = '\0';
	} else {
		fprintf(stderr, "attuned: pairing: the relay gave no invite for the partner; "
		        "they need one of their own\n");
	}
	relayconn_start(p->rc, &p->relay, p->eph_sk);
}

int
pairing_start(struct sync *s, struct daemon *d, struct api_req *req, int link,
              const char *code, const char *relay)
{
	struct pairing *p;
	char why[160] = "", lrelay[ADDR_STR_MAX], incode[PCODE_INPUT_MAX + 1];
	uint8_t words[2], eph_pk[32];
	uint32_t np = 0;
	int r;

	if ((code == NULL || !link) && !daemon_initialised(d)) {
		api_req_error(req, "not-initialised", "run `attune init --name NAME` first");
		api_req_release(req);
		return 0;
	}
	if (code == NULL && link && daemon_initialised(d) && !keys_is_identity(d->keys)) {
		api_req_error(req, "not-allowed", "only your identity device (where you ran "
		              "`attune init`) can link a new device: run `attune link` there");
		api_req_release(req);
		return 0;
	}
	if (code != NULL && link && daemon_initialised(d)) {
		api_req_error(req, "already-initialised", "only a fresh device can join with "
		              "`attune link CODE`; run `attune link` here to add another device");
		api_req_release(req);
		return 0;
	}
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return ATT_ENOMEM;
	p->s = s;
	p->d = d;
	p->link = link;
	p->initiator = code == NULL;
	lrelay[0] = '\0';
	if (code != NULL) {
		r = split_link(code, lrelay, sizeof lrelay, incode, sizeof incode);
		if (r >= 0)
			r = pcode_parse(incode, &np, words, why, sizeof why);
		if (r >= 0)
			r = pcode_format(p->code, sizeof p->code, np, words);
		sodium_memzero(incode, sizeof incode);
		if (r < 0) {
			free(p);
			if (r == ATT_ECODE && why[0] == '\0')
				snprintf(why, sizeof why, "not a pairing code: it looks like 42-word-word");
			api_req_error(req, att_errcode(r < 0 ? r : ATT_ECODE), why);
			api_req_release(req);
			return 0;
		}
		p->np = np;
	}
	if (relay != NULL && relay[0])
		snprintf(p->relay_str, sizeof p->relay_str, "%s", relay);
	else if (lrelay[0])
		snprintf(p->relay_str, sizeof p->relay_str, "%s", lrelay);
	else if (sync_relay_address(s, p->relay_str, sizeof p->relay_str) < 0) {
		free(p);
		api_req_error(req, "relay-unreachable",
		              "no relay known: give one with --relay attune://HOST:PORT/KEY");
		api_req_release(req);
		return 0;
	}
	r = addr_parse_ex(&p->relay, p->relay_str, why, sizeof why);
	if (r < 0) {
		free(p);
		api_req_error(req, att_errcode(r), why);
		api_req_release(req);
		return 0;
	}
	p->rc = relayconn_new(d->loop, &pairing_rc_ops, p);
	if (p->rc == NULL) {
		free(p);
		return ATT_ENOMEM;
	}
	relayconn_set_backoff(p->rc, 100, 1000);
	if (daemon_initialised(d))
		memcpy(p->my_id, keys_person_pk(d->keys), 32);
	else {
		/* The new device of a link: its own keys now, its sign key stands in the PAKE. */
		r = keys_new_device(&p->newdev);
		if (r < 0) {
			relayconn_free(p->rc);
			free(p);
			return r;
		}
		memcpy(p->my_id, keys_sign_pk(p->newdev), 32);
	}
	p->req = req;
	p->st = PS_CONNECT;
	p->deadline = uv_now(d->loop) + PAIRING_TIMEOUT_MS;
	uv_timer_init(d->loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, pairing_tick, 1000, 1000);
	p->next = d->pairings;
	d->pairings = p;
	noise_keypair(eph_pk, p->eph_sk);
	if (p->initiator && sync_registered(s)) {
		struct msg_out o;
		uint64_t id;

		/* First an invite for the partner, over our registered connection. */
		msg_out_init(&o);
		id = relayconn_next_id(sync_relayconn(s));
		msg_out_begin(&o, "invite", id, 2);
		msg_out_uint(&o, "uses", 1);
		msg_out_uint(&o, "ttl", PAIRING_TIMEOUT_MS / 1000 + 3600);
		r = relayconn_request(sync_relayconn(s), &o, id, on_invite, p);
		msg_out_free(&o);
		if (r == 0)
			return 0;
	}
	relayconn_start(p->rc, &p->relay, p->eph_sk);
	return 0;
}

void
pairing_cancel_all(struct daemon *d)
{
	while (d->pairings != NULL)
		pairing_end(d->pairings, "relay-unreachable", "attuned is shutting down");
}

