/*
 * One peer connection: accept, Noise IK responder handshake, then encrypted
 * frames carrying msgpack requests (relay/request.c) and pushes. A
 * connection holds no read buffer while idle (the loop shares one), and its
 * handshake state is freed as soon as the handshake is done.
 *
 * Lifetime: conn_close() starts uv_close; the struct is freed once the handle
 * is closed and no commit op still refers to it (conn_ref/conn_unref).
 */
#ifndef RELAY_CONN_H
#define RELAY_CONN_H

#include <stdint.h>
#include <uv.h>

#include "relay/htab.h"
#include "relay/limit.h"
#include "relay/server.h"

struct msg_out;
struct noise_hs;
struct noise_cs;

enum conn_state { CONN_HANDSHAKE, CONN_READY, CONN_CLOSING };

struct conn {
	uv_tcp_t tcp;
	struct server *srv;
	struct conn *prev, *next;        /* server->conns */
	struct htab_node dnode;          /* server->devices, key = dev */
	struct frame_dec *dec;
	struct noise_hs *hs;             /* only during the handshake */
	struct noise_cs *cs;             /* after it */
	struct limit_src *src;
	uint64_t *inflight;              /* seqs delivered, not yet acked (NULL when none) */
	uint64_t id;                     /* for logs */
	uint64_t last_sent;              /* highest seq delivered on this connection */
	uint8_t *obuf;                   /* frames of this loop turn, sent at its end */
	uint32_t olen, ocap;
	struct conn *flush_next;         /* server->flush list */
	uint32_t out_bytes;              /* queued in uv_write requests */
	uint32_t refs;
	uint32_t last_rx;                /* server_now() seconds of the last frame */
	uint16_t n_inflight;
	uint16_t pending;                /* requests waiting for the disk */
	uint8_t state;
	uint8_t registered : 1, proven : 1, synced : 1, in_map : 1, has_np : 1,
	    read_paused : 1, more : 1, flush_queued : 1;
	uint8_t fetching : 1, refetch : 1;   /* a mailbox read is out; read again after it */
	uint8_t sync_gen, fetch_gen;         /* a sync while a read is out voids its rows */
	uint16_t fetch_room;
	uint8_t dev[32];
};

/* Listener callback. */
void conn_accept(uv_stream_t *listener, int status);
/* Encrypts and sends one message; on an over-full out buffer the peer is dropped. */
void conn_send(struct conn *, const struct msg_out *);
void conn_send_error(struct conn *, uint64_t id, const char *code, const char *text);
void conn_close(struct conn *, enum stats_reason, int log_it);
void conn_ref(struct conn *);
void conn_unref(struct conn *);
/* Sends stored envelopes up to the deliver window (after sync). */
void conn_pump(struct conn *);
/*
 * A just-committed envelope for this (connected) device: pushed at once from
 * memory when the connection is synced, caught up and has room in its window;
 * otherwise left for conn_pump to read from the database.
 */
void conn_offer(struct conn *, uint64_t seq, const uint8_t from[32], uint64_t ts,
    const uint8_t *env, size_t len);
/* Sends every connection's frames of this loop turn (a uv_check callback). */
void conn_flush_all(struct server *);
/* A request finished with the disk: resume reading if it was paused. */
void conn_request_done(struct conn *);
/* Checks handshake and idle timeouts; called once a second. */
void conn_sweep(struct server *);
/* Device id for logs: first 8 bytes of the key in hex. */
void conn_devid(char out[17], const uint8_t dev[32]);

#endif
