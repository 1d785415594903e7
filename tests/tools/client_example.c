/*
 * client_example: the smallest useful client of libattune-client, for
 * people writing a tray icon or a GUI. It prints each partner's mood and
 * then, with --watch, one line per event as it arrives.
 *
 *   cc client_example.c $(pkg-config --cflags --libs attune-client) -o client_example
 *   ./client_example [--watch]
 *
 * (Outside this source tree the include below is <attune-client.h>.)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clients/lib/attune-client.h"

/* Prints "NAME: mood N/5" for each partner in a status reply. */
static void
print_moods(const msgpack_object *status)
{
	const msgpack_object *partners, *checkin;
	size_t n, i;

	if (attune_get_array(status, "partners", &partners, &n) != 0 || n == 0) {
		printf("no partner yet\n");
		return;
	}
	for (i = 0; i < n; i++) {
		char name[65];
		uint64_t mood;

		attune_get_strz(&partners[i], "name", name, sizeof(name));
		if (attune_get_map(&partners[i], "checkin", &checkin) == 0 &&
		    attune_get_uint(checkin, "mood", &mood) == 0)
			printf("%s: mood %u/5\n", name, (unsigned)mood);
		else
			printf("%s: no check-in\n", name);
	}
}

int
main(int argc, char **argv)
{
	struct attune_client *c;
	struct attune_req req;
	struct attune_reply *rep;
	int rc, watch = argc > 1 && strcmp(argv[1], "--watch") == 0;

	if ((rc = attune_connect(&c, NULL)) != 0) {
		fprintf(stderr, "client_example: %s\n", attune_strerror(rc));
		return 3;
	}
	attune_req_begin(c, &req, "status", 0);
	rc = attune_call(c, &req, &rep, 5000);
	attune_req_free(&req);
	if (rc == ATTUNE_EDAEMON) {
		fprintf(stderr, "client_example: %s (%s)\n", attune_reply_error_msg(rep),
		    attune_reply_error_code(rep));
		attune_reply_free(rep);
		attune_close(c);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "client_example: %s\n", attune_strerror(rc));
		attune_close(c);
		return 3;
	}
	print_moods(attune_reply_root(rep));
	attune_reply_free(rep);

	if (watch) {
		attune_req_begin(c, &req, "watch", 0);
		rc = attune_call(c, &req, &rep, 5000);
		attune_req_free(&req);
		attune_reply_free(rep);
		printf("watching\n");
		fflush(stdout);
		while (rc == 0 && (rc = attune_recv(c, &rep, -1)) == 0) {
			const msgpack_object *ev;
			char kind[16], author[65];

			if (attune_get_map(attune_reply_root(rep), "event", &ev) == 0) {
				attune_get_strz(ev, "kind", kind, sizeof(kind));
				attune_get_strz(ev, "author", author, sizeof(author));
				printf("%s from %s\n", kind, author);
				fflush(stdout);
			}
			attune_reply_free(rep);
		}
	}
	attune_close(c);
	return 0;
}
