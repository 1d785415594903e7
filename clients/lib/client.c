#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clients/lib/attune-client.h"
#include "proto/err.h"
#include "proto/frame.h"
#include "proto/msg.h"

#define CLIENT_RBUF 16384

struct attune_client {
	int fd;
	uint64_t next_id;
	struct frame_dec *dec;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint8_t rbuf[CLIENT_RBUF];
	size_t rpos, rlen;        /* unread bytes rbuf[rpos..rlen) */
};

struct attune_reply {
	struct msg *m;
	char code[64];
	char text[256];
};

int
attune_socket_path(char *out, size_t cap)
{
	const char *home = getenv("ATTUNE_HOME"), *run = getenv("XDG_RUNTIME_DIR");
	int n;

	if (home != NULL && home[0] != '\0')
		n = snprintf(out, cap, "%s/attuned.sock", home);
	else if (run != NULL && run[0] == '/')
		n = snprintf(out, cap, "%s/attune/attuned.sock", run);
	else
		return ATTUNE_ENOPATH;
	return n < 0 || (size_t)n >= cap ? ATT_ETOOBIG : 0;
}

int
attune_connect(struct attune_client **out, const char *path)
{
	struct attune_client *c;
	struct sockaddr_un sa;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ATT_ENOMEM;
	c->fd = -1;
	c->next_id = 1;
	if (path != NULL) {
		if (strlen(path) >= sizeof(c->path)) {
			rc = ATT_ETOOBIG;
			goto fail;
		}
		strcpy(c->path, path);
	} else if ((rc = attune_socket_path(c->path, sizeof(c->path))) != 0) {
		goto fail;
	}
	if ((c->dec = frame_dec_new(FRAME_MAX)) == NULL) {
		rc = ATT_ENOMEM;
		goto fail;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = ATT_EIO;
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == ECONNREFUSED)
			rc = ATTUNE_ESTALE;
		else if (errno == ENOENT || errno == ENOTDIR)
			rc = ATTUNE_ENOTRUNNING;
		else if (errno == EACCES || errno == EPERM)
			rc = ATTUNE_EDENIED;
		else
			rc = ATT_EIO;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	attune_close(c);
	return rc;
}

void
attune_close(struct attune_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	frame_dec_free(c->dec);
	memset(c->rbuf, 0, sizeof(c->rbuf));
	free(c);
}

int
attune_fd(const struct attune_client *c)
{
	return c->fd;
}

const char *
attune_path(const struct attune_client *c)
{
	return c->path;
}

void
attune_req_begin(struct attune_client *c, struct attune_req *r, const char *type,
    size_t nfields)
{
	msgpack_sbuffer_init(&r->buf);
	msgpack_packer_init(&r->pk, &r->buf, msgpack_sbuffer_write);
	r->id = c->next_id++;
	msgpack_pack_map(&r->pk, 2 + nfields);
	msgpack_pack_str_with_body(&r->pk, "t", 1);
	msgpack_pack_str_with_body(&r->pk, type, strlen(type));
	msgpack_pack_str_with_body(&r->pk, "id", 2);
	msgpack_pack_uint64(&r->pk, r->id);
}

void
attune_req_key(struct attune_req *r, const char *key)
{
	msgpack_pack_str_with_body(&r->pk, key, strlen(key));
}

void
attune_req_str(struct attune_req *r, const char *key, const char *s)
{
	attune_req_key(r, key);
	msgpack_pack_str_with_body(&r->pk, s, strlen(s));
}

void
attune_req_uint(struct attune_req *r, const char *key, uint64_t v)
{
	attune_req_key(r, key);
	msgpack_pack_uint64(&r->pk, v);
}

void
attune_req_bool(struct attune_req *r, const char *key, int v)
{
	attune_req_key(r, key);
	if (v)
		msgpack_pack_true(&r->pk);
	else
		msgpack_pack_false(&r->pk);
}

void
attune_req_strv(struct attune_req *r, const char *key, const char *const *v, size_t n)
{
	size_t i;

	attune_req_key(r, key);
	msgpack_pack_array(&r->pk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_str_with_body(&r->pk, v[i], strlen(v[i]));
}

void
attune_req_free(struct attune_req *r)
{
	if (r->buf.data != NULL)
		memset(r->buf.data, 0, r->buf.alloc);
	msgpack_sbuffer_destroy(&r->buf);
	memset(&r->buf, 0, sizeof(r->buf));
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE || errno == ECONNRESET ? ATTUNE_ECLOSED : ATT_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
attune_send(struct attune_client *c, const struct attune_req *r)
{
	uint8_t hdr[FRAME_HDR];
	int rc;

	if (c->fd < 0)
		return ATTUNE_ECLOSED;
	if ((rc = frame_put_header(hdr, r->buf.size)) != 0)
		return rc;
	if ((rc = write_all(c->fd, hdr, sizeof(hdr))) != 0)
		return rc;
	return write_all(c->fd, (const uint8_t *)r->buf.data, r->buf.size);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
make_reply(const uint8_t *body, size_t len, struct attune_reply **out)
{
	struct attune_reply *rep = calloc(1, sizeof(*rep));
	int rc;

	if (rep == NULL)
		return ATT_ENOMEM;
	if ((rc = msg_parse(body, len, NULL, &rep->m, NULL)) != 0) {
		free(rep);
		return rc == ATT_ENOMEM ? rc : ATTUNE_EPROTO;
	}
	if (msg_is_type(rep->m, "error")) {
		const msgpack_object *root = msg_root(rep->m);

		if (msg_get_strz(root, "code", rep->code, sizeof(rep->code)) != 0)
			strcpy(rep->code, "internal");
		if (msg_get_strz(root, "msg", rep->text, sizeof(rep->text)) != 0)
			rep->text[0] = '\0';
	}
	*out = rep;
	return 0;
}

int
attune_recv(struct attune_client *c, struct attune_reply **out, int timeout_ms)
{
	long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;

	*out = NULL;
	if (c->fd < 0)
		return ATTUNE_ECLOSED;
	for (;;) {
		const uint8_t *frame = NULL;
		size_t flen = 0;
		struct pollfd pfd;
		ssize_t n;
		int used, wait;

		while (c->rpos < c->rlen) {
			used = frame_dec_feed(c->dec, c->rbuf + c->rpos, c->rlen - c->rpos,
			    &frame, &flen);
			if (used < 0)
				return ATTUNE_EPROTO;
			c->rpos += (size_t)used;
			if (frame != NULL)
				return make_reply(frame, flen, out);
		}
		c->rpos = c->rlen = 0;
		wait = -1;
		if (timeout_ms >= 0) {
			long left = deadline - now_ms();

			if (left <= 0)
				return ATTUNE_ETIMEOUT;
			wait = (int)left;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ATT_EIO;
		}
		if (n == 0)
			return ATTUNE_ETIMEOUT;
		n = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno == ECONNRESET ? ATTUNE_ECLOSED : ATT_EIO;
		}
		if (n == 0)
			return ATTUNE_ECLOSED;
		c->rlen = (size_t)n;
	}
}

int
attune_call(struct attune_client *c, const struct attune_req *r,
    struct attune_reply **out, int timeout_ms)
{
	long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	int rc;

	*out = NULL;
	if ((rc = attune_send(c, r)) != 0)
		return rc;
	for (;;) {
		struct attune_reply *rep;
		int left = -1;

		if (timeout_ms >= 0) {
			long l = deadline - now_ms();

			left = l > 0 ? (int)l : 0;
		}
		if ((rc = attune_recv(c, &rep, left)) != 0)
			return rc;
		if (attune_reply_id(rep) == r->id) {
			*out = rep;
			return attune_reply_is_error(rep) ? ATTUNE_EDAEMON : 0;
		}
		/* An error about an unreadable request may carry id 0. */
		if (attune_reply_id(rep) == 0 && attune_reply_is_error(rep)) {
			*out = rep;
			return ATTUNE_EDAEMON;
		}
		attune_reply_free(rep);
	}
}

void
attune_reply_free(struct attune_reply *rep)
{
	if (rep == NULL)
		return;
	msg_free(rep->m);
	memset(rep, 0, sizeof(*rep));
	free(rep);
}

const char *
attune_reply_type(const struct attune_reply *rep)
{
	return msg_type(rep->m);
}

uint64_t
attune_reply_id(const struct attune_reply *rep)
{
	return msg_id(rep->m);
}

const msgpack_object *
attune_reply_root(const struct attune_reply *rep)
{
	return msg_root(rep->m);
}

int
attune_reply_is_error(const struct attune_reply *rep)
{
	return msg_is_type(rep->m, "error");
}

const char *
attune_reply_error_code(const struct attune_reply *rep)
{
	return rep->code;
}

const char *
attune_reply_error_msg(const struct attune_reply *rep)
{
	return rep->text;
}

int
attune_get_str(const msgpack_object *map, const char *key, const char **s, size_t *len)
{
	return msg_get_str(map, key, FRAME_MAX, s, len);
}

int
attune_get_strz(const msgpack_object *map, const char *key, char *out, size_t cap)
{
	const char *s;
	size_t n;
	int rc;

	if (cap == 0)
		return ATT_EINVAL;
	out[0] = '\0';
	if ((rc = msg_get_str(map, key, FRAME_MAX, &s, &n)) != 0)
		return rc;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int
attune_get_uint(const msgpack_object *map, const char *key, uint64_t *v)
{
	return msg_get_uint(map, key, UINT64_MAX, v);
}

int
attune_get_bool(const msgpack_object *map, const char *key, int *v)
{
	return msg_get_bool(map, key, v);
}

int
attune_get_array(const msgpack_object *map, const char *key,
    const msgpack_object **items, size_t *n)
{
	return msg_get_array(map, key, FRAME_MAX, items, n);
}

int
attune_get_map(const msgpack_object *map, const char *key, const msgpack_object **sub)
{
	return msg_get_map(map, key, sub);
}

int
attune_has(const msgpack_object *map, const char *key)
{
	return msg_has(map, key);
}

const char *
attune_strerror(int err)
{
	switch (err) {
	case ATTUNE_ENOTRUNNING: return "attuned is not running";
	case ATTUNE_ENOPATH: return "cannot find attuned's socket: set XDG_RUNTIME_DIR or ATTUNE_HOME";
	case ATTUNE_EDAEMON: return "attuned answered with an error";
	case ATTUNE_ECLOSED: return "attuned closed the connection";
	case ATTUNE_ETIMEOUT: return "attuned did not answer in time";
	case ATTUNE_EPROTO: return "attuned sent something unreadable";
	case ATTUNE_EDENIED: return "attuned's socket belongs to another user";
	case ATTUNE_ESTALE: return "attuned is not running (its socket file is stale)";
	default: return att_strerror(err);
	}
}
