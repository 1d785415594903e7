/*
 * apic: sends one local-API request to attuned and prints the reply as one
 * line of JSON (bin fields as hex). For tests, before and beside `attune`.
 *
 *   apic [-s SOCKET] [-n PUSHES] TYPE [FIELD...]
 *   apic [-s SOCKET] --raw HEX          (send these bytes as a frame body)
 *   apic [-s SOCKET] --frame-len N      (announce an N-byte frame, send nothing more)
 *
 * FIELD forms: k=123 (uint), k=true|false (bool), k=text (str), k:s=123 (str),
 * k[]=a,b (array of str; k[]= is empty), m.f[]=a,b (map m: field f -> array).
 * SOCKET defaults to $ATTUNE_HOME/attuned.sock. -n N also prints the next N
 * frames (watch pushes, pairing results). Gives up (SIGALRM) after
 * $APIC_TIMEOUT seconds, default 120. Exit status 0 when the first reply
 * is not an error, 1 when it is, 2 on a usage or connection problem.
 */
#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/be.h"
#include "proto/frame.h"

#define MAX_FIELDS 64

static json_t *
to_json(const msgpack_object *o)
{
	json_t *j;
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return json_null();
	case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER: return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR: return json_stringn(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN: {
		char *h = malloc(o->via.bin.size * 2 + 1);
		for (i = 0; i < o->via.bin.size; i++)
			sprintf(h + 2 * i, "%02x", (unsigned char)o->via.bin.ptr[i]);
		h[o->via.bin.size * 2] = '\0';
		j = json_string(h);
		free(h);
		return j;
	}
	case MSGPACK_OBJECT_ARRAY:
		j = json_array();
		for (i = 0; i < o->via.array.size; i++)
			json_array_append_new(j, to_json(&o->via.array.ptr[i]));
		return j;
	case MSGPACK_OBJECT_MAP:
		j = json_object();
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			char key[256];
			if (k->type == MSGPACK_OBJECT_STR && k->via.str.size < sizeof(key)) {
				memcpy(key, k->via.str.ptr, k->via.str.size);
				key[k->via.str.size] = '\0';
			} else {
				snprintf(key, sizeof(key), "?%u", i);
			}
			json_object_set_new(j, key, to_json(&o->via.map.ptr[i].val));
		}
		return j;
	default:
		return json_string("?");
	}
}

static int
is_uint(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void
pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

/* "a,b,c" as an array of str; "" as an empty array. */
static void
pack_list(msgpack_packer *pk, const char *v)
{
	size_t n = 0;
	const char *p;

	if (*v != '\0')
		for (n = 1, p = v; *p; p++)
			n += *p == ',';
	msgpack_pack_array(pk, n);
	while (n-- > 0) {
		const char *comma = strchr(v, ',');
		size_t len = comma ? (size_t)(comma - v) : strlen(v);
		pack_str(pk, v, len);
		v += len + (comma != NULL);
	}
}

static void
pack_value(msgpack_packer *pk, const char *v, int force_str)
{
	if (!force_str && is_uint(v))
		msgpack_pack_uint64(pk, strtoull(v, NULL, 10));
	else if (!force_str && strcmp(v, "true") == 0)
		msgpack_pack_true(pk);
	else if (!force_str && strcmp(v, "false") == 0)
		msgpack_pack_false(pk);
	else
		pack_str(pk, v, strlen(v));
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const void *b, size_t n)
{
	const char *p = b;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *b, size_t n)
{
	char *p = b;

	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Reads one frame and prints it; returns 1 for an error reply, 0 otherwise, -1 at EOF. */
static int
print_frame(int fd)
{
	uint8_t hdr[2], *body;
	size_t len;
	msgpack_unpacked up;
	json_t *j;
	char *s;
	int is_err = 0;

	if (read_all(fd, hdr, 2) != 0)
		return -1;
	len = be_get16(hdr);
	body = malloc(len ? len : 1);
	if (read_all(fd, body, len) != 0) {
		free(body);
		return -1;
	}
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)body, len, NULL) != MSGPACK_UNPACK_SUCCESS) {
		printf("(undecodable reply of %zu bytes)\n", len);
	} else {
		j = to_json(&up.data);
		s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", s);
		fflush(stdout);
		is_err = json_is_string(json_object_get(j, "t")) &&
		    strcmp(json_string_value(json_object_get(j, "t")), "error") == 0;
		free(s);
		json_decref(j);
	}
	msgpack_unpacked_destroy(&up);
	free(body);
	return is_err;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *home = getenv("ATTUNE_HOME"), *raw = NULL;
	char defsock[4096];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	long frame_len = -1;
	int pushes = 0, i, fd, r, nf = 0, nmaps = 0;
	uint8_t hdr[2];

	signal(SIGPIPE, SIG_IGN);
	/* A test that waits on a daemon that never answers fails in two minutes
	 * instead of holding the whole suite until the runner's timeout. */
	alarm(getenv("APIC_TIMEOUT") ? (unsigned)atoi(getenv("APIC_TIMEOUT")) : 120);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			pushes = atoi(argv[++i]);
		else if (strcmp(argv[i], "--raw") == 0 && i + 1 < argc)
			raw = argv[++i];
		else if (strcmp(argv[i], "--frame-len") == 0 && i + 1 < argc)
			frame_len = atol(argv[++i]);
		else {
			fprintf(stderr, "apic: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (sock == NULL) {
		if (home == NULL) {
			fprintf(stderr, "apic: give -s SOCKET or set ATTUNE_HOME\n");
			return 2;
		}
		snprintf(defsock, sizeof(defsock), "%s/attuned.sock", home);
		sock = defsock;
	}
	fd = connect_to(sock);
	if (fd < 0) {
		fprintf(stderr, "apic: cannot connect to %s\n", sock);
		return 2;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (frame_len >= 0) {
		be_put16(hdr, (uint16_t)frame_len);
		write_all(fd, hdr, 2);
		r = print_frame(fd);
		close(fd);
		return r < 0 ? 2 : r;
	}
	if (raw != NULL) {
		size_t n = strlen(raw) / 2, k;
		for (k = 0; k < n; k++) {
			unsigned v;
			sscanf(raw + 2 * k, "%2x", &v);
			msgpack_sbuffer_write(&sb, (const char *)&(uint8_t){ (uint8_t)v }, 1);
		}
	} else {
		if (i >= argc) {
			fprintf(stderr, "usage: apic [-s SOCKET] [-n PUSHES] TYPE [k=v | k[]=a,b | m.f[]=a,b]...\n");
			return 2;
		}
		/* Dotted fields (m.f[]=...) share one map entry per m: count distinct m's. */
		{
			const char *maps[MAX_FIELDS];
			int j, k;
			for (j = i + 1; j < argc; j++) {
				const char *dot = strchr(argv[j], '.'), *eq = strchr(argv[j], '=');
				if (dot != NULL && eq != NULL && dot < eq) {
					for (k = 0; k < nmaps; k++)
						if (strncmp(maps[k], argv[j], (size_t)(dot - argv[j])) == 0 &&
						    maps[k][dot - argv[j]] == '.')
							break;
					if (k == nmaps && nmaps < MAX_FIELDS)
						maps[nmaps++] = argv[j];
				} else {
					nf++;
				}
			}
			msgpack_pack_map(&pk, 2 + (size_t)nf + (size_t)nmaps);
			pack_str(&pk, "t", 1);
			pack_str(&pk, argv[i], strlen(argv[i]));
			pack_str(&pk, "id", 2);
			msgpack_pack_uint64(&pk, 7);
			for (j = i + 1; j < argc; j++) {
				char *a = argv[j], *eq = strchr(a, '='), *dot = strchr(a, '.');
				size_t kl;
				if (eq == NULL) {
					fprintf(stderr, "apic: field %s has no '='\n", a);
					return 2;
				}
				if (dot != NULL && dot < eq)
					continue;
				kl = (size_t)(eq - a);
				if (kl >= 2 && strncmp(eq - 2, "[]", 2) == 0) {
					pack_str(&pk, a, kl - 2);
					pack_list(&pk, eq + 1);
				} else if (kl >= 2 && strncmp(eq - 2, ":s", 2) == 0) {
					pack_str(&pk, a, kl - 2);
					pack_value(&pk, eq + 1, 1);
				} else {
					pack_str(&pk, a, kl);
					pack_value(&pk, eq + 1, 0);
				}
			}
			for (k = 0; k < nmaps; k++) {
				size_t ml = (size_t)(strchr(maps[k], '.') - maps[k]);
				int cnt = 0;
				for (j = i + 1; j < argc; j++)
					if (strncmp(argv[j], maps[k], ml) == 0 && argv[j][ml] == '.')
						cnt++;
				pack_str(&pk, maps[k], ml);
				msgpack_pack_map(&pk, (size_t)cnt);
				for (j = i + 1; j < argc; j++) {
					char *a = argv[j], *eq = strchr(a, '=');
					char *f = a + ml + 1;
					size_t fl;
					if (strncmp(a, maps[k], ml) != 0 || a[ml] != '.')
						continue;
					fl = (size_t)(eq - f);
					if (fl >= 2 && strncmp(eq - 2, "[]", 2) == 0) {
						pack_str(&pk, f, fl - 2);
						pack_list(&pk, eq + 1);
					} else {
						pack_str(&pk, f, fl);
						pack_value(&pk, eq + 1, 0);
					}
				}
			}
		}
	}
	if (sb.size > FRAME_MAX) {
		fprintf(stderr, "apic: request too large\n");
		return 2;
	}
	be_put16(hdr, (uint16_t)sb.size);
	if (write_all(fd, hdr, 2) != 0 || write_all(fd, sb.data, sb.size) != 0) {
		fprintf(stderr, "apic: the daemon closed the connection\n");
		return 2;
	}
	msgpack_sbuffer_destroy(&sb);
	r = print_frame(fd);
	if (r < 0) {
		fprintf(stderr, "apic: no reply\n");
		close(fd);
		return 2;
	}
	while (pushes-- > 0)
		if (print_frame(fd) < 0)
			break;
	close(fd);
	return r;
}
