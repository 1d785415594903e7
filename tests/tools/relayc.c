/*
 * relayc: a small scriptable client of the relay protocol (docs/PROTOCOL.md
 * section 5) for tests and people. It connects to an attune:// address with
 * a device key file, runs commands and prints one line per reply or push.
 *
 *   relayc [--key FILE] [--source IP] [--timeout S] ADDRESS [COMMAND]...
 *   relayc --key FILE pubkey
 *   relayc [--source IP] --flood N [--hold S] ADDRESS
 *   relayc --pre HEX ADDRESS            raw bytes instead of a handshake
 *   relayc --key FILE --save-hs1 FILE ADDRESS [COMMAND]...
 *   relayc --replay FILE ADDRESS        replays a saved handshake message 1
 *   relayc [--source IP] --idle N ADDRESS   N authenticated idle connections,
 *                                       held until stdin closes
 *
 * Each COMMAND is one argument ("put KEY text"); without any, commands are
 * read from stdin, one per line. See usage() for the list. Replies print as
 * "TYPE key=value ...": bin values of 32 bytes as base64url, printable bins
 * as text, others as hex:...; pushes (deliver, np_msg, np_closed) are queued
 * and printed by recv and wait. Exit status: 0, 1 when a wait timed out or
 * the relay closed the connection, 2 for usage errors, 3 if it could not
 * connect or finish the handshake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <msgpack.h>

#include "proto/addr.h"
#include "proto/b64.h"
#include "proto/be.h"
#include "proto/err.h"
#include "proto/frame.h"
#include "proto/keyfile.h"
#include "proto/msg.h"
#include "proto/noise.h"

struct push {
	struct push *next;
	char *line;
	char t[16];
	uint64_t seq;
};

struct cli {
	int fd;
	struct noise_cs *cs;
	double timeout;
	uint64_t next_id;
	struct push *pushes, **tail;
	uint64_t *unacked;
	size_t n_unacked, cap_unacked;
	int closed, status;
	uint64_t last_ack;           /* id of the last ack sent by recvack */
	uint8_t buf[FRAME_HDR + FRAME_MAX], plain[FRAME_MAX];
	struct msg *last;            /* the last reply read */
};

static void
usage(FILE *f)
{
	fputs("usage: relayc [--key FILE] [--source IP] [--timeout S] ADDRESS [COMMAND]...\n"
	    "       relayc --key FILE pubkey\n"
	    "       relayc [--source IP] --flood N [--hold S] ADDRESS\n"
	    "       relayc [--source IP] --pre HEX ADDRESS\n"
	    "       relayc --replay FILE ADDRESS   (with --save-hs1 FILE on an earlier run)\n"
	    "       relayc [--source IP] --idle N ADDRESS   (holds N authenticated connections until stdin closes)\n"
	    "commands:\n"
	    "  hello | ping | register TOKEN | invite [USES [TTL]] | sync\n"
	    "  put TO TEXT | putmany TO[,TO...] TEXT | putn TO COUNT [SIZE]\n"
	    "  recv N [SECS] | ack SEQ... | ackall | recvack N [SECS] [print] (acks as it goes)\n"
	    "  prekeys SPK [OTK...] | prekey_get DEV | prekey_count\n"
	    "  np_alloc | np_claim NP | np_send NP TEXT | np_close NP | wait np_msg|np_closed [SECS]\n"
	    "  raw HEX (msgpack, encrypted) | rawframe HEX (bytes as they are) | expect_close [SECS]\n"
	    "  sleep MS\n", f);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
connect_to(const char *host, uint16_t port, const char *source)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char ps[8];
	int fd = -1, one = 1;

	snprintf(ps, sizeof ps, "%u", port);
	if (getaddrinfo(host, ps, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) < 0)
			continue;
		if (source != NULL) {
			struct sockaddr_in sin = { .sin_family = AF_INET };
			if (inet_pton(AF_INET, source, &sin.sin_addr) != 1 ||
			    bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
				close(fd);
				fd = -1;
				continue;
			}
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes before the deadline: 0, -1 closed/error, -2 timeout. */
static int
read_exact(int fd, uint8_t *p, size_t n, double deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;
	int ms;

	while (n > 0) {
		ms = (int)((deadline - now()) * 1000);
		if (ms <= 0)
			return -2;
		if (poll(&pfd, 1, ms) == 0)
			return -2;
		r = recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One frame: body length, or -1 closed, -2 timeout. */
static int
read_frame(int fd, uint8_t *body, double deadline)
{
	uint8_t hdr[2];
	int r, len;

	if ((r = read_exact(fd, hdr, 2, deadline)) < 0)
		return r;
	len = be_get16(hdr);
	if ((r = read_exact(fd, body, (size_t)len, deadline)) < 0)
		return r;
	return len;
}

static int
send_frame(int fd, const uint8_t *body, size_t len)
{
	uint8_t hdr[2];

	frame_put_header(hdr, len);
	return write_all(fd, hdr, 2) < 0 || write_all(fd, body, len) < 0 ? -1 : 0;
}

static int
unhex(const char *hex, uint8_t **out, size_t *len)
{
	size_t n = strlen(hex);

	*out = malloc(n / 2 + 1);
	if (*out == NULL || sodium_hex2bin(*out, n / 2 + 1, hex, n, NULL, len, NULL) != 0) {
		free(*out);
		return -1;
	}
	return 0;
}

/* Appends a printable form of a msgpack value. */
static void
fmt_value(FILE *f, const msgpack_object *o)
{
	char b[64];
	size_t i;
	int printable = 1;

	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fprintf(f, "%d", o->via.boolean ? 1 : 0);
		break;
	case MSGPACK_OBJECT_NIL:
		fprintf(f, "nil");
		break;
	case MSGPACK_OBJECT_STR:
		for (i = 0; i < o->via.str.size; i++)
			fputc(o->via.str.ptr[i] == '\n' ? ' ' : o->via.str.ptr[i], f);
		break;
	case MSGPACK_OBJECT_BIN:
		if (o->via.bin.size == 32) {
			b64_encode(b, sizeof b, (const uint8_t *)o->via.bin.ptr, 32);
			fputs(b, f);
			break;
		}
		for (i = 0; i < o->via.bin.size; i++)
			if (o->via.bin.ptr[i] <= ' ' || o->via.bin.ptr[i] > '~')
				printable = 0;
		if (printable && o->via.bin.size > 0)
			fwrite(o->via.bin.ptr, 1, o->via.bin.size, f);
		else {
			fputs("hex:", f);
			for (i = 0; i < o->via.bin.size; i++)
				fprintf(f, "%02x", (uint8_t)o->via.bin.ptr[i]);
		}
		break;
	case MSGPACK_OBJECT_ARRAY:
		fprintf(f, "[%u]", o->via.array.size);
		break;
	default:
		fprintf(f, "?");
	}
}

/* "TYPE key=value ..." for a message, without "t" and "id". */
static char *
fmt_msg(const struct msg *m)
{
	const msgpack_object *root = msg_root(m);
	char *s = NULL;
	size_t n = 0, i;
	FILE *f = open_memstream(&s, &n);

	if (f == NULL)
		return NULL;
	fputs(msg_type(m), f);
	for (i = 0; i < root->via.map.size; i++) {
		const msgpack_object_kv *kv = &root->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR)
			continue;
		if ((kv->key.via.str.size == 1 && kv->key.via.str.ptr[0] == 't') ||
		    (kv->key.via.str.size == 2 && memcmp(kv->key.via.str.ptr, "id", 2) == 0))
			continue;
		fprintf(f, " %.*s=", (int)kv->key.via.str.size, kv->key.via.str.ptr);
		fmt_value(f, &kv->val);
	}
	fclose(f);
	return s;
}

static int
is_push(const struct msg *m)
{
	return msg_id(m) == 0 && (msg_is_type(m, "deliver") || msg_is_type(m, "np_msg") ||
	    msg_is_type(m, "np_closed"));
}

static void
queue_push(struct cli *c, struct msg *m)
{
	struct push *p = calloc(1, sizeof *p);

	if (p == NULL)
		return;
	p->line = fmt_msg(m);
	snprintf(p->t, sizeof p->t, "%s", msg_type(m));
	msg_get_uint(msg_root(m), "seq", UINT64_MAX, &p->seq);
	*c->tail = p;
	c->tail = &p->next;
}

/*
 * Reads one message before the deadline. Pushes are queued; returns 1 with
 * c->last set for a reply, 0 for a push, -1 closed, -2 timeout.
 */
static int
read_one(struct cli *c, double deadline)
{
	int n, r;
	struct msg *m = NULL;

	n = read_frame(c->fd, c->buf, deadline);
	if (n < 0) {
		if (n == -1)
			c->closed = 1;
		return n;
	}
	if ((r = noise_cs_decrypt(c->cs, c->plain, sizeof c->plain, c->buf, (size_t)n)) < 0) {
		printf("decrypt-failed\n");
		c->closed = 1;
		return -1;
	}
	if (msg_parse(c->plain, (size_t)r, NULL, &m, NULL) < 0) {
		printf("bad-message\n");
		return 0;
	}
	if (is_push(m)) {
		queue_push(c, m);
		msg_free(m);
		return 0;
	}
	msg_free(c->last);
	c->last = m;
	return 1;
}

static int
send_msg(struct cli *c, const struct msg_out *o)
{
	int r = noise_cs_encrypt(c->cs, c->buf, sizeof c->buf, msg_out_data(o), msg_out_len(o));

	if (r < 0 || send_frame(c->fd, c->buf, (size_t)r) < 0) {
		c->closed = 1;
		return -1;
	}
	return 0;
}

/* Waits for the reply to id and prints it. */
static int
await_reply(struct cli *c, uint64_t id)
{
	double deadline = now() + c->timeout;
	int r;

	for (;;) {
		r = read_one(c, deadline);
		if (r == 1 && msg_id(c->last) == id) {
			char *line = fmt_msg(c->last);
			printf("%s\n", line != NULL ? line : "?");
			free(line);
			return 0;
		}
		if (r == -1) {
			printf("closed\n");
			c->status = 1;
			return -1;
		}
		if (r == -2) {
			printf("timeout\n");
			c->status = 1;
			return -1;
		}
	}
}

static int
parse_key(const char *s, uint8_t key[32])
{
	size_t len;

	return b64_decode(key, 32, s, strlen(s), &len) == 0 && len == 32 ? 0 : -1;
}

static void
note_delivered(struct cli *c, uint64_t seq)
{
	if (c->n_unacked == c->cap_unacked) {
		size_t cap = c->cap_unacked ? c->cap_unacked * 2 : 64;
		uint64_t *p = realloc(c->unacked, cap * sizeof *p);
		if (p == NULL)
			return;
		c->unacked = p;
		c->cap_unacked = cap;
	}
	c->unacked[c->n_unacked++] = seq;
}

/* Prints queued pushes of type t, up to want of them; returns how many. */
static size_t
drain(struct cli *c, const char *t, size_t want)
{
	struct push **pp = &c->pushes, *p;
	size_t n = 0;

	while ((p = *pp) != NULL && n < want) {
		if (strcmp(p->t, t) != 0 && !(strcmp(t, "np") == 0 && strncmp(p->t, "np_", 3) == 0)) {
			pp = &p->next;
			continue;
		}
		printf("%s\n", p->line != NULL ? p->line : "?");
		if (strcmp(p->t, "deliver") == 0)
			note_delivered(c, p->seq);
		*pp = p->next;
		if (c->tail == &p->next)
			c->tail = pp;
		free(p->line);
		free(p);
		n++;
	}
	return n;
}

static void
wait_pushes(struct cli *c, const char *t, size_t want, double secs)
{
	double deadline = now() + secs;
	size_t got = drain(c, t, want);

	while (got < want) {
		int r = read_one(c, deadline);
		if (r < 0) {
			printf("%s got=%zu\n", r == -1 ? "closed" : "timeout", got);
			c->status = 1;
			return;
		}
		got += drain(c, t, want - got);
	}
}

/* Acks what was delivered so far without waiting for the reply. */
static void
ack_now(struct cli *c)
{
	struct msg_out o;
	size_t k;

	if (c->n_unacked == 0)
		return;
	msg_out_init(&o);
	msg_out_begin(&o, "ack", c->next_id++, 1);
	msg_out_key(&o, "seq");
	msgpack_pack_array(&o.pk, c->n_unacked);
	for (k = 0; k < c->n_unacked; k++)
		msgpack_pack_uint64(&o.pk, c->unacked[k]);
	c->n_unacked = 0;
	c->last_ack = c->next_id - 1;
	send_msg(c, &o);
	msg_out_free(&o);
}

/*
 * recvack N [SECS] [print]: receives N delivers, acking as it goes (in
 * batches), and prints "recvack got=N" (each deliver line too with print).
 */
static void
recvack(struct cli *c, size_t want, double secs, int print)
{
	double deadline = now() + secs;
	size_t got = 0;
	struct push **pp, *p;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	for (;;) {
		for (pp = &c->pushes; (p = *pp) != NULL && got < want;) {
			if (strcmp(p->t, "deliver") != 0) {
				pp = &p->next;
				continue;
			}
			if (print)
				printf("%s\n", p->line != NULL ? p->line : "?");
			note_delivered(c, p->seq);
			*pp = p->next;
			if (c->tail == &p->next)
				c->tail = pp;
			free(p->line);
			free(p);
			got++;
		}
		if (c->n_unacked >= 32 || (c->n_unacked > 0 && (got >= want || poll(&pfd, 1, 0) == 0)))
			ack_now(c);
		if (got >= want)
			break;
		int r = read_one(c, deadline);
		if (r < 0) {
			printf("%s recvack got=%zu\n", r == -1 ? "closed" : "timeout", got);
			c->status = 1;
			return;
		}
	}
	/* The last ack's reply says the acks are durable. */
	while (c->last_ack != 0 && (c->last == NULL || msg_id(c->last) < c->last_ack))
		if (read_one(c, deadline) < 0)
			break;
	printf("recvack got=%zu\n", got);
}

static void
put_items(struct cli *c, const char *tos, const uint8_t *env, size_t len, uint64_t id)
{
	struct msg_out o;
	uint8_t keys[64][32];
	size_t n = 0, i;
	char *dup = strdup(tos), *tok, *save = NULL;

	for (tok = strtok_r(dup, ",", &save); tok != NULL && n < 64; tok = strtok_r(NULL, ",", &save))
		if (parse_key(tok, keys[n]) == 0)
			n++;
		else
			memset(keys[n++], 0, 32);
	free(dup);
	msg_out_init(&o);
	msg_out_begin(&o, "put", id, 1);
	msg_out_key(&o, "items");
	msgpack_pack_array(&o.pk, n);
	for (i = 0; i < n; i++) {
		msgpack_pack_map(&o.pk, 2);
		msgpack_pack_str_with_body(&o.pk, "to", 2);
		msgpack_pack_bin_with_body(&o.pk, keys[i], 32);
		msgpack_pack_str_with_body(&o.pk, "env", 3);
		msgpack_pack_bin_with_body(&o.pk, env, len);
	}
	send_msg(c, &o);
	msg_out_free(&o);
}

/* putn TO COUNT SIZE: COUNT puts, at most 20 unanswered; prints "putn ok=N" or the first error. */
static void
putn(struct cli *c, const char *to, unsigned long count, size_t size)
{
	uint8_t env[65536];
	unsigned long sent = 0, okn = 0, inflight = 0;
	uint64_t first = c->next_id;
	char first_err[256] = "";

	if (size < 16)
		size = 16;
	if (size > 60000)
		size = 60000;
	for (;;) {
		while (sent < count && inflight < 20) {
			memset(env, 'x', size);
			int n = snprintf((char *)env, size, "msg-%lu-", sent);
			env[n] = 'x';
			put_items(c, to, env, size, c->next_id++);
			sent++;
			inflight++;
		}
		if (inflight == 0)
			break;
		int r = read_one(c, now() + c->timeout);
		if (r < 0) {
			printf("%s putn ok=%lu\n", r == -1 ? "closed" : "timeout", okn);
			c->status = 1;
			return;
		}
		if (r == 1 && msg_id(c->last) >= first) {
			inflight--;
			if (msg_is_type(c->last, "ok"))
				okn++;
			else if (first_err[0] == '\0') {
				char *line = fmt_msg(c->last);
				snprintf(first_err, sizeof first_err, "%s", line != NULL ? line : "?");
				free(line);
			}
		}
	}
	printf("putn ok=%lu%s%s\n", okn, first_err[0] ? " first_error=" : "", first_err);
}

static void
simple(struct cli *c, const char *t)
{
	struct msg_out o;
	uint64_t id = c->next_id++;

	msg_out_init(&o);
	msg_out_begin(&o, t, id, 0);
	if (send_msg(c, &o) == 0)
		await_reply(c, id);
	msg_out_free(&o);
}

static void
run_command(struct cli *c, char *line, const char *hello)
{
	char *argv[300], *save = NULL, *w;
	int argc = 0;
	struct msg_out o;
	uint64_t id;
	uint8_t key[32], *raw;
	size_t rawlen;
	int i;

	for (w = strtok_r(line, " \t\r\n", &save); w != NULL && argc < 299;
	    w = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (argc == 0 || argv[0][0] == '#')
		return;
	if (c->closed && strcmp(argv[0], "expect_close") != 0) {
		printf("closed\n");
		c->status = 1;
		return;
	}
	id = c->next_id;
	msg_out_init(&o);
#define NEED(n) do { if (argc < (n)) { printf("usage-error %s\n", argv[0]); goto out; } } while (0)
	if (strcmp(argv[0], "hello") == 0)
		printf("%s\n", hello);
	else if (strcmp(argv[0], "ping") == 0 || strcmp(argv[0], "sync") == 0 ||
	    strcmp(argv[0], "prekey_count") == 0 || strcmp(argv[0], "np_alloc") == 0)
		simple(c, argv[0]);
	else if (strcmp(argv[0], "register") == 0) {
		NEED(2);
		msg_out_begin(&o, "register", c->next_id++, 1);
		msg_out_str(&o, "invite", argv[1]);
		goto send;
	} else if (strcmp(argv[0], "invite") == 0) {
		msg_out_begin(&o, "invite", c->next_id++, (size_t)(argc > 2 ? 2 : argc - 1));
		if (argc > 1)
			msg_out_uint(&o, "uses", strtoull(argv[1], NULL, 10));
		if (argc > 2)
			msg_out_uint(&o, "ttl", strtoull(argv[2], NULL, 10));
		goto send;
	} else if (strcmp(argv[0], "put") == 0 || strcmp(argv[0], "putmany") == 0) {
		NEED(3);
		put_items(c, argv[1], (const uint8_t *)argv[2], strlen(argv[2]), c->next_id++);
		await_reply(c, id);
	} else if (strcmp(argv[0], "putn") == 0) {
		NEED(3);
		putn(c, argv[1], strtoul(argv[2], NULL, 10), argc > 3 ? strtoul(argv[3], NULL, 10) : 256);
	} else if (strcmp(argv[0], "recv") == 0) {
		NEED(2);
		wait_pushes(c, "deliver", strtoul(argv[1], NULL, 10), argc > 2 ? atof(argv[2]) : c->timeout);
	} else if (strcmp(argv[0], "recvack") == 0) {
		NEED(2);
		recvack(c, strtoul(argv[1], NULL, 10), argc > 2 ? atof(argv[2]) : c->timeout,
		    argc > 3 && strcmp(argv[3], "print") == 0);
	} else if (strcmp(argv[0], "wait") == 0) {
		NEED(2);
		wait_pushes(c, argv[1], 1, argc > 2 ? atof(argv[2]) : c->timeout);
	} else if (strcmp(argv[0], "ack") == 0 || strcmp(argv[0], "ackall") == 0) {
		size_t n = strcmp(argv[0], "ack") == 0 ? (size_t)(argc - 1) : c->n_unacked, k;
		msg_out_begin(&o, "ack", c->next_id++, 1);
		msg_out_key(&o, "seq");
		msgpack_pack_array(&o.pk, n);
		for (k = 0; k < n; k++)
			msgpack_pack_uint64(&o.pk, strcmp(argv[0], "ack") == 0 ?
			    strtoull(argv[k + 1], NULL, 10) : c->unacked[k]);
		if (strcmp(argv[0], "ackall") == 0)
			c->n_unacked = 0;
		goto send;
	} else if (strcmp(argv[0], "prekeys") == 0) {
		NEED(2);
		msg_out_begin(&o, "prekeys", c->next_id++, 2);
		msg_out_bin(&o, "spk", (const uint8_t *)argv[1], strlen(argv[1]));
		msg_out_key(&o, "otks");
		msgpack_pack_array(&o.pk, (size_t)(argc - 2));
		for (i = 2; i < argc; i++)
			msgpack_pack_bin_with_body(&o.pk, argv[i], strlen(argv[i]));
		goto send;
	} else if (strcmp(argv[0], "prekey_get") == 0) {
		NEED(2);
		if (parse_key(argv[1], key) < 0)
			memset(key, 0, sizeof key);
		msg_out_begin(&o, "prekey_get", c->next_id++, 1);
		msg_out_bin(&o, "dev", key, 32);
		goto send;
	} else if (strcmp(argv[0], "np_claim") == 0 || strcmp(argv[0], "np_close") == 0) {
		NEED(2);
		msg_out_begin(&o, argv[0], c->next_id++, 1);
		msg_out_uint(&o, "np", strtoull(argv[1], NULL, 10));
		goto send;
	} else if (strcmp(argv[0], "np_send") == 0) {
		NEED(3);
		msg_out_begin(&o, "np_send", c->next_id++, 2);
		msg_out_uint(&o, "np", strtoull(argv[1], NULL, 10));
		msg_out_bin(&o, "data", (const uint8_t *)argv[2], strlen(argv[2]));
		goto send;
	} else if (strcmp(argv[0], "raw") == 0) {
		/* Encrypted frame with arbitrary plaintext; the reply is the next non-push. */
		double deadline = now() + c->timeout;
		int r;

		NEED(2);
		if (unhex(argv[1], &raw, &rawlen) < 0) {
			printf("usage-error hex\n");
			goto out;
		}
		r = noise_cs_encrypt(c->cs, c->buf, sizeof c->buf, raw, rawlen);
		free(raw);
		if (r < 0 || send_frame(c->fd, c->buf, (size_t)r) < 0) {
			printf("closed\n");
			c->status = 1;
			goto out;
		}
		while ((r = read_one(c, deadline)) == 0)
			;
		if (r == 1) {
			char *l = fmt_msg(c->last);
			printf("%s\n", l != NULL ? l : "?");
			free(l);
		} else {
			printf("%s\n", r == -1 ? "closed" : "timeout");
			c->status = 1;
		}
	} else if (strcmp(argv[0], "rawframe") == 0) {
		NEED(2);
		if (unhex(argv[1], &raw, &rawlen) < 0) {
			printf("usage-error hex\n");
			goto out;
		}
		if (write_all(c->fd, raw, rawlen) < 0)
			c->closed = 1;
		free(raw);
		printf("sent\n");
	} else if (strcmp(argv[0], "expect_close") == 0) {
		double deadline = now() + (argc > 1 ? atof(argv[1]) : c->timeout);
		int r = c->closed ? -1 : 0;

		while (r >= 0)
			r = read_one(c, deadline);
		printf("%s\n", r == -1 ? "closed" : "open");
		if (r != -1)
			c->status = 1;
	} else if (strcmp(argv[0], "sleep") == 0) {
		NEED(2);
		usleep((useconds_t)strtoul(argv[1], NULL, 10) * 1000);
	} else
		printf("usage-error unknown command %s\n", argv[0]);
	goto out;
send:
	if (send_msg(c, &o) == 0)
		await_reply(c, id);
	else {
		printf("closed\n");
		c->status = 1;
	}
out:
	msg_out_free(&o);
#undef NEED
}

static int
load_key(const char *path, uint8_t priv[32], uint8_t pub[32])
{
	int r;

	if (path == NULL) {
		noise_keypair(pub, priv);
		return 0;
	}
	r = keyfile_read_exact(path, priv, 32);
	if (r == ATT_ENOTFOUND) {
		noise_keypair(pub, priv);
		return keyfile_write(path, priv, 32);
	}
	if (r < 0)
		return r;
	return noise_pubkey(pub, priv);
}

/*
 * Opens N connections that each finish the handshake and answer one ping,
 * prints "idle N", then holds them until stdin closes (for memory figures).
 */
static int
idle(const struct addr *a, const char *source, long n)
{
	struct rlimit rl;
	uint8_t priv[32], pub[32], out[256], buf[512], pt[512];
	long i, okn = 0;
	int *fds = calloc((size_t)n, sizeof *fds), k, r;
	struct noise_hs *hs;
	struct noise_cs *cs;
	struct msg_out m;
	char line[16];

	if (fds == NULL)
		return 3;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	msg_out_init(&m);
	msg_out_pong(&m, 1);
	for (i = 0; i < n; i++) {
		fds[i] = -1;
		noise_keypair(pub, priv);
		if ((k = connect_to(a->host, a->port, source)) < 0)
			continue;
		hs = noise_hs_initiator(priv, a->key, (const uint8_t *)NOISE_PROLOGUE, 8);
		r = hs != NULL ? noise_hs_write(hs, out + 2, sizeof out - 2, NULL, 0) : -1;
		cs = NULL;
		if (r > 0) {
			frame_put_header(out, (size_t)r);
			if (write_all(k, out, (size_t)r + 2) == 0 &&
			    (r = read_frame(k, buf, now() + 10)) > 0 &&
			    noise_hs_read(hs, pt, sizeof pt, buf, (size_t)r) >= 0 &&
			    noise_hs_split(hs, &cs, NULL) == 0) {
				/* One ping proves the key, so the relay files the connection. */
				msg_out_reset(&m);
				msg_out_begin(&m, "ping", 1, 0);
				r = noise_cs_encrypt(cs, buf, sizeof buf, msg_out_data(&m), msg_out_len(&m));
				if (r > 0 && send_frame(k, buf, (size_t)r) == 0 &&
				    read_frame(k, buf, now() + 10) > 0) {
					fds[i] = k;
					okn++;
				}
			}
		}
		noise_hs_free(hs);
		noise_cs_free(cs);
		if (fds[i] < 0)
			close(k);
	}
	msg_out_free(&m);
	printf("idle %ld\n", okn);
	fflush(stdout);
	while (fgets(line, sizeof line, stdin) != NULL)
		;
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

/* Opens N connections that never speak; after hold seconds counts those the relay closed. */
static int
flood(const struct addr *a, const char *source, long n, double hold)
{
	int *fds = calloc((size_t)n, sizeof *fds);
	long i, opened = 0, closed = 0;
	char b[16];

	if (fds == NULL)
		return 3;
	for (i = 0; i < n; i++)
		if ((fds[i] = connect_to(a->host, a->port, source)) >= 0)
			opened++;
	usleep((useconds_t)(hold * 1e6));
	for (i = 0; i < n; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		if (fds[i] < 0)
			continue;
		if (poll(&p, 1, 0) == 1 && recv(fds[i], b, sizeof b, MSG_DONTWAIT) <= 0)
			closed++;
		close(fds[i]);
	}
	free(fds);
	printf("flood opened=%ld closed=%ld\n", opened, closed);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *keyfile = NULL, *source = NULL, *pre = NULL, *save_hs1 = NULL, *replay = NULL;
	long nflood = 0, nidle = 0;
	double hold = 3, timeout = 10;
	struct addr a;
	char why[256], line[70000], hello[512] = "hello";
	uint8_t priv[32], pub[32], out[256], payload[512];
	struct noise_hs *hs;
	struct cli c = { .fd = -1, .next_id = 1 };
	int i, r, n;

	if (sodium_init() < 0)
		return 3;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		if (strcmp(o, "--key") == 0) keyfile = argv[++i];
		else if (strcmp(o, "--source") == 0) source = argv[++i];
		else if (strcmp(o, "--timeout") == 0) timeout = atof(argv[++i]);
		else if (strcmp(o, "--flood") == 0) nflood = atol(argv[++i]);
		else if (strcmp(o, "--idle") == 0) nidle = atol(argv[++i]);
		else if (strcmp(o, "--hold") == 0) hold = atof(argv[++i]);
		else if (strcmp(o, "--pre") == 0) pre = argv[++i];
		else if (strcmp(o, "--save-hs1") == 0) save_hs1 = argv[++i];
		else if (strcmp(o, "--replay") == 0) replay = argv[++i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (i < argc && strcmp(argv[i], "pubkey") == 0) {
		if (load_key(keyfile, priv, pub) < 0) {
			fprintf(stderr, "relayc: cannot read or create the key file %s\n", keyfile);
			return 2;
		}
		b64_encode(line, sizeof line, pub, 32);
		printf("%s\n", line);
		return 0;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (addr_parse_ex(&a, argv[i], why, sizeof why) < 0) {
		fprintf(stderr, "relayc: bad address: %s\n", why);
		return 2;
	}
	i++;
	if (nflood > 0)
		return flood(&a, source, nflood, hold);
	if (nidle > 0)
		return idle(&a, source, nidle);
	if (load_key(keyfile, priv, pub) < 0) {
		fprintf(stderr, "relayc: cannot read or create the key file %s\n", keyfile);
		return 2;
	}
	if ((c.fd = connect_to(a.host, a.port, source)) < 0) {
		printf("connect-failed\n");
		return 3;
	}
	c.timeout = timeout;
	c.tail = &c.pushes;
	if (pre != NULL || replay != NULL) {
		/* Bad-input modes: send raw bytes (or a saved message 1), report what the relay does. */
		uint8_t *raw = NULL;
		size_t rawlen = 0;
		double deadline;

		if (pre != NULL && unhex(pre, &raw, &rawlen) < 0) {
			fprintf(stderr, "relayc: --pre needs hex\n");
			return 2;
		}
		if (replay != NULL && keyfile_read(replay, &raw, &rawlen, 4096) < 0) {
			fprintf(stderr, "relayc: cannot read %s\n", replay);
			return 2;
		}
		if (rawlen > 0)
			write_all(c.fd, raw, rawlen);
		if (replay != NULL) {
			keyfile_free(raw);
			n = read_frame(c.fd, c.buf, now() + timeout);
			printf("replay answered=%d\n", n > 0);
			randombytes_buf(out, 64);
			send_frame(c.fd, out, 64);
		} else
			free(raw);
		deadline = now() + timeout;
		while ((r = read_exact(c.fd, out, 1, deadline)) == 0)
			;
		printf("%s\n", r == -1 ? "closed" : "open");
		return r == -1 ? 0 : 1;
	}
	hs = noise_hs_initiator(priv, a.key, (const uint8_t *)NOISE_PROLOGUE, 8);
	sodium_memzero(priv, sizeof priv);
	if (hs == NULL || (n = noise_hs_write(hs, out + 2, sizeof out - 2, NULL, 0)) < 0) {
		printf("handshake-failed\n");
		return 3;
	}
	frame_put_header(out, (size_t)n);
	if (save_hs1 != NULL)
		keyfile_write(save_hs1, out, (size_t)n + 2);
	if (write_all(c.fd, out, (size_t)n + 2) < 0 ||
	    (n = read_frame(c.fd, c.buf, now() + timeout)) < 0 ||
	    (r = noise_hs_read(hs, payload, sizeof payload, c.buf, (size_t)n)) < 0 ||
	    noise_hs_split(hs, &c.cs, NULL) < 0) {
		printf("handshake-failed\n");
		noise_hs_free(hs);
		return 3;
	}
	noise_hs_free(hs);
	{
		struct msg *m;
		if (msg_parse(payload, (size_t)r, NULL, &m, NULL) == 0) {
			char *l = fmt_msg(m);
			snprintf(hello, sizeof hello, "%s", l != NULL ? l : "hello");
			free(l);
			msg_free(m);
		}
	}
	if (i < argc) {
		for (; i < argc; i++) {
			snprintf(line, sizeof line, "%s", argv[i]);
			run_command(&c, line, hello);
		}
	} else
		while (fgets(line, sizeof line, stdin) != NULL)
			run_command(&c, line, hello);
	msg_free(c.last);
	noise_cs_free(c.cs);
	close(c.fd);
	while (c.pushes != NULL) {
		struct push *p = c.pushes;
		c.pushes = p->next;
		free(p->line);
		free(p);
	}
	free(c.unacked);
	return c.status;
}
