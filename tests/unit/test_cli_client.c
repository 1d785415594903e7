/*
 * libattune-client's parts that need no daemon: where the socket is, what a
 * missing or stale daemon looks like, and request building. The library is
 * tested against the real attuned in tests/e2e/cli_*.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "clients/lib/attune-client.h"
#include "proto/err.h"
#include "proto/msg.h"
#include "tests/unit/tutil.h"

static void
test_socket_path(void **state)
{
	char p[256];

	(void)state;
	setenv("ATTUNE_HOME", "/home/alex/.attune-test", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	assert_int_equal(attune_socket_path(p, sizeof(p)), 0);
	assert_string_equal(p, "/home/alex/.attune-test/attuned.sock");
	unsetenv("ATTUNE_HOME");
	assert_int_equal(attune_socket_path(p, sizeof(p)), 0);
	assert_string_equal(p, "/run/user/1000/attune/attuned.sock");
	assert_int_equal(attune_socket_path(p, 10), ATT_ETOOBIG);
	setenv("XDG_RUNTIME_DIR", "relative/dir", 1);
	assert_int_equal(attune_socket_path(p, sizeof(p)), ATTUNE_ENOPATH);
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(attune_socket_path(p, sizeof(p)), ATTUNE_ENOPATH);
	assert_string_equal(attune_strerror(ATTUNE_ENOTRUNNING), "attuned is not running");
	assert_true(strlen(attune_strerror(ATT_ENOMEM)) > 0);
}

static void
test_not_running(void **state)
{
	struct attune_client *c = (struct attune_client *)1;
	struct sockaddr_un sa;
	char *dir = tutil_tmpdir("cli_client"), path[300];
	int fd;

	(void)state;
	/* No socket at all. */
	snprintf(path, sizeof(path), "%s/attuned.sock", dir);
	assert_int_equal(attune_connect(&c, path), ATTUNE_ENOTRUNNING);
	assert_null(c);
	/* A stale socket: the file is there, nobody listens (attuned was killed). */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(attune_connect(&c, path), ATTUNE_ESTALE);
	assert_string_equal(attune_strerror(ATTUNE_ESTALE),
	    "attuned is not running (its socket file is stale)");
	unlink(path);
	/* A path too long for a Unix socket. */
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(attune_connect(&c, path), ATT_ETOOBIG);
	rmdir(dir);
	free(dir);
}

/* A listening socket nobody answers: the call times out, cleanly. */
static void
test_timeout_and_request(void **state)
{
	struct attune_client *c;
	struct attune_req req;
	struct attune_reply *rep = (struct attune_reply *)1;
	struct sockaddr_un sa;
	char *dir = tutil_tmpdir("cli_client_to"), path[300];
	const char *tags[] = { "tired", "stressed" };
	uint8_t buf[512];
	struct msg *m;
	const msgpack_object *items;
	size_t n;
	ssize_t got;
	int lfd, afd;

	(void)state;
	snprintf(path, sizeof(path), "%s/attuned.sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(attune_connect(&c, path), 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);

	attune_req_begin(c, &req, "checkin", 3);
	attune_req_uint(&req, "mood", 2);
	attune_req_strv(&req, "tags", tags, 2);
	attune_req_bool(&req, "responsive", 1);
	assert_int_equal(attune_call(c, &req, &rep, 50), ATTUNE_ETIMEOUT);
	assert_null(rep);

	/* What went out is one frame holding a valid message. */
	got = recv(afd, buf, sizeof(buf), 0);
	assert_true(got > 2);
	assert_int_equal(((size_t)buf[0] << 8 | buf[1]), (size_t)got - 2);
	assert_int_equal(msg_parse(buf + 2, (size_t)got - 2, NULL, &m, NULL), 0);
	assert_string_equal(msg_type(m), "checkin");
	assert_int_equal(msg_id(m), req.id);
	assert_int_equal(msg_get_array(msg_root(m), "tags", 16, &items, &n), 0);
	assert_int_equal(n, 2);
	msg_free(m);
	attune_req_free(&req);

	/* The peer goes away: the next call says so. */
	close(afd);
	attune_req_begin(c, &req, "ping", 0);
	assert_int_equal(attune_call(c, &req, &rep, 1000), ATTUNE_ECLOSED);
	attune_req_free(&req);
	attune_close(c);
	close(lfd);
	unlink(path);
	rmdir(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_path),
		cmocka_unit_test(test_not_running),
		cmocka_unit_test(test_timeout_and_request),
	};
	return cmocka_run_group_tests_name("cli_client", tests, NULL, NULL);
}
