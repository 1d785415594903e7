/*
 * notifysock PATH SECONDS: stands in for systemd's notification socket in
 * tests. Binds a datagram socket at PATH, prints every message it receives
 * (sd_notify "READY=1", "WATCHDOG=1", ...) one per line, and exits after
 * SECONDS or right after a message containing STOPPING=1.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa;
	struct pollfd p;
	time_t end;
	char buf[4096];
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notifysock PATH SECONDS\n");
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("notifysock");
		return 2;
	}
	printf("listening\n");
	fflush(stdout);
	end = time(NULL) + atoi(argv[2]);
	p.fd = fd;
	p.events = POLLIN;
	while (time(NULL) < end) {
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		printf("%s\n", buf);
		fflush(stdout);
		if (strstr(buf, "STOPPING=1") != NULL)
			break;
	}
	unlink(argv[1]);
	return 0;
}
