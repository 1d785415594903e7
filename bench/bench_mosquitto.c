/*
 * bench_mosquitto: the relay benchmark's workload through mosquitto, for the
 * side-by-side figures bench_relay prints. P publisher/subscriber pairs, QoS
 * 1, clean_session=false, 256-byte payloads, max_queued_messages 0; once with
 * mosquitto's default persistence (none) and once with autosave_on_changes
 * true + autosave_interval 1 (its closest setting to "durable"); TCP_NODELAY
 * on both sides, as the relay sets it. Mosquitto acknowledges a QoS 1 publish
 * before it stores anything; the relay stores before it acknowledges.
 *
 * libmosquitto is loaded with dlopen so the build never needs it; without it
 * or without the broker the benchmark prints "mosquitto not installed:
 * skipped". The figures also go to $BUILD/tmp/bench_mosquitto.txt
 * ("name value" lines), which bench_relay reads.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/tutil.h"

#define PAYLOAD 256
#define WINDOW 20
#define SECS 3.0

/* The part of libmosquitto's ABI used here (mosquitto.h, version 2.0). */
struct mosquitto;
struct mosquitto_message {
	int mid;
	char *topic;
	void *payload;
	int payloadlen;
	int qos;
	bool retain;
};

struct mosq_api {
	void *dl;
	int (*lib_init)(void);
	struct mosquitto *(*new_)(const char *, bool, void *);
	void (*destroy)(struct mosquitto *);
	int (*connect)(struct mosquitto *, const char *, int, int);
	int (*disconnect)(struct mosquitto *);
	int (*publish)(struct mosquitto *, int *, const char *, int, const void *, int, bool);
	int (*subscribe)(struct mosquitto *, int *, const char *, int);
	int (*loop_read)(struct mosquitto *, int);
	int (*loop_write)(struct mosquitto *, int);
	int (*loop_misc)(struct mosquitto *);
	int (*socket)(struct mosquitto *);
	bool (*want_write)(struct mosquitto *);
	int (*int_option)(struct mosquitto *, int, int);
	void (*connect_cb)(struct mosquitto *, void (*)(struct mosquitto *, void *, int));
	void (*publish_cb)(struct mosquitto *, void (*)(struct mosquitto *, void *, int));
	void (*message_cb)(struct mosquitto *, void (*)(struct mosquitto *, void *,
	    const struct mosquitto_message *));
	void (*subscribe_cb)(struct mosquitto *, void (*)(struct mosquitto *, void *, int, int,
	    const int *));
};
#define MOSQ_OPT_TCP_NODELAY 11

struct client;

struct run {
	struct mosq_api *api;
	int port, ep, tfd;
	struct client *cl;
	int n;                      /* clients: publishers 0..P-1, subscribers P..2P-1 */
	int pairs;
	uint64_t t_start, t_end;
	uint64_t acked, delivered, connected, subscribed;
	uint64_t *lat;
	size_t n_lat, cap_lat;
	int open_loop;
	char prefix[32];
};

struct client {
	struct run *run;
	struct mosquitto *m;
	int idx, pub, fd;
	uint64_t inflight, sent, next_send;
	char topic[32];
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
load_api(struct mosq_api *a)
{
	/* dlsym returns void *; the cast to a function pointer is what POSIX promises. */
#define SYM(f, name) do { \
	void *p_ = dlsym(a->dl, name); \
	if (p_ == NULL) return -1; \
	memcpy(&a->f, &p_, sizeof p_); \
} while (0)
	if ((a->dl = dlopen("libmosquitto.so.1", RTLD_NOW)) == NULL)
		return -1;
	SYM(lib_init, "mosquitto_lib_init");
	SYM(new_, "mosquitto_new");
	SYM(destroy, "mosquitto_destroy");
	SYM(connect, "mosquitto_connect");
	SYM(disconnect, "mosquitto_disconnect");
	SYM(publish, "mosquitto_publish");
	SYM(subscribe, "mosquitto_subscribe");
	SYM(loop_read, "mosquitto_loop_read");
	SYM(loop_write, "mosquitto_loop_write");
	SYM(loop_misc, "mosquitto_loop_misc");
	SYM(socket, "mosquitto_socket");
	SYM(want_write, "mosquitto_want_write");
	SYM(int_option, "mosquitto_int_option");
	SYM(connect_cb, "mosquitto_connect_callback_set");
	SYM(publish_cb, "mosquitto_publish_callback_set");
	SYM(message_cb, "mosquitto_message_callback_set");
	SYM(subscribe_cb, "mosquitto_subscribe_callback_set");
#undef SYM
	a->lib_init();
	return 0;
}

static const char *
find_broker(void)
{
	static const char *paths[] = { "/usr/sbin/mosquitto", "/usr/bin/mosquitto",
	    "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto" };
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Resident memory of PID in KiB (from /proc). */
static long
rss_kb(pid_t pid)
{
	return tutil_proc_field((int)pid, "status", "VmRSS:");
}

struct broker {
	pid_t pid;
	int port;
	char dir[512];
};

static int
broker_start(struct broker *b, const char *bin, const char *tmp, int durable)
{
	char conf[600];
	FILE *f;
	uint64_t deadline;
	int fd;

	snprintf(b->dir, sizeof b->dir, "%s/mosq.%d.%d", tmp, (int)getpid(), durable);
	mkdir(b->dir, 0700);
	snprintf(conf, sizeof conf, "%s/mosquitto.conf", b->dir);
	b->port = free_port();
	if (b->port < 0 || (f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
	    "max_inflight_messages %d\nset_tcp_nodelay true\nuser root\nlog_dest none\n",
	    b->port, WINDOW);
	if (durable)
		fprintf(f, "persistence true\npersistence_location %s/\n"
		    "autosave_on_changes true\nautosave_interval 1\n", b->dir);
	fclose(f);
	if ((b->pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execl(bin, "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	if (b->pid < 0)
		return -1;
	deadline = now_ns() + 5000000000u;
	while (now_ns() < deadline) {
		if ((fd = tcp_connect(b->port)) >= 0) {
			close(fd);
			return 0;
		}
		usleep(20000);
	}
	return -1;
}

static void
broker_stop(struct broker *b)
{
	char cmd[600];

	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
	}
	b->pid = 0;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_mosquitto: could not remove %s\n", b->dir);
}

/* ---- libmosquitto clients on one epoll loop ---- */

static void
on_connect(struct mosquitto *m, void *u, int rc)
{
	struct client *c = u;

	(void)m;
	if (rc == 0)
		c->run->connected++;
}

static void
on_subscribe(struct mosquitto *m, void *u, int mid, int n, const int *qos)
{
	struct client *c = u;

	(void)m; (void)mid; (void)n; (void)qos;
	c->run->subscribed++;
}

static void
publish_one(struct client *c)
{
	struct run *r = c->run;
	char payload[PAYLOAD];
	int k = snprintf(payload, sizeof payload, "%" PRIu64 " ", now_ns());

	memset(payload + k, '.', sizeof payload - (size_t)k);
	if (r->api->publish(c->m, NULL, c->topic, PAYLOAD, payload, 1, false) == 0) {
		c->inflight++;
		c->sent++;
	}
}

static void
pump(struct client *c)
{
	struct run *r = c->run;

	if (!c->pub || r->open_loop || r->t_start == 0 || now_ns() >= r->t_end)
		return;
	while (c->inflight < WINDOW)
		publish_one(c);
}

static void
on_publish(struct mosquitto *m, void *u, int mid)
{
	struct client *c = u;
	uint64_t t = now_ns();

	(void)m; (void)mid;
	if (c->inflight > 0)
		c->inflight--;
	if (c->run->t_start != 0 && t <= c->run->t_end)
		c->run->acked++;
	pump(c);
}

static void
on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
	struct client *c = u;
	struct run *r = c->run;
	uint64_t t = now_ns(), sent;

	(void)m;
	if (r->t_start == 0 || t > r->t_end + (r->open_loop ? 500000000u : 0))
		return;
	sent = strtoull(msg->payload, NULL, 10);
	if (sent < r->t_start || sent > r->t_end)
		return;
	if (!r->open_loop) {
		if (t <= r->t_end)
			r->delivered++;
		return;
	}
	if (r->n_lat == r->cap_lat) {
		size_t cap = r->cap_lat ? r->cap_lat * 2 : 65536;
		uint64_t *q = realloc(r->lat, cap * sizeof *q);
		if (q == NULL)
			return;
		r->lat = q;
		r->cap_lat = cap;
	}
	r->lat[r->n_lat++] = t - sent;
}

static void
service(struct run *r, int timeout_ms)
{
	struct epoll_event evs[256];
	int n, k, i;

	n = epoll_wait(r->ep, evs, 256, timeout_ms);
	for (k = 0; k < n; k++) {
		struct client *c = evs[k].data.ptr;
		if (c == NULL) {
			uint64_t x;
			if (read(r->tfd, &x, sizeof x) < 0)
				continue;
			continue;
		}
		r->api->loop_read(c->m, 64);
	}
	for (i = 0; i < r->n; i++) {
		struct client *c = &r->cl[i];
		if (r->api->want_write(c->m))
			r->api->loop_write(c->m, 64);
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * One run: pairs clients each side; rate 0 = closed loop (WINDOW per
 * publisher), else open loop at rate messages/s in total. offline: the
 * subscribers subscribe, disconnect, and the publishers send `count`
 * messages each (for the queued-messages figure).
 */
static int
run_pairs(struct mosq_api *api, int port, int pairs, uint64_t rate, int tag, double out[3])
{
	struct run r = { .api = api, .port = port, .pairs = pairs, .open_loop = rate != 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t deadline, interval = rate ? 1000000000u * (uint64_t)pairs / rate : 0;
	int i, ok = 0;

	snprintf(r.prefix, sizeof r.prefix, "b%d-%d", (int)getpid(), tag);
	r.n = 2 * pairs;
	r.cl = calloc((size_t)r.n, sizeof *r.cl);
	r.ep = epoll_create1(0);
	r.tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	epoll_ctl(r.ep, EPOLL_CTL_ADD, r.tfd, &ev);
	for (i = 0; i < r.n; i++) {
		struct client *c = &r.cl[i];
		char id[64];

		c->run = &r;
		c->pub = i < pairs;
		c->idx = i % pairs;
		snprintf(id, sizeof id, "%s-%c%d", r.prefix, c->pub ? 'p' : 's', c->idx);
		/* A topic per run: earlier runs' sessions (clean_session=false) stay subscribed. */
		snprintf(c->topic, sizeof c->topic, "b%d/%d", tag, c->idx);
		c->m = api->new_(id, false, c);
		if (c->m == NULL)
			goto out;
		api->int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
		api->connect_cb(c->m, on_connect);
		api->publish_cb(c->m, on_publish);
		api->message_cb(c->m, on_message);
		api->subscribe_cb(c->m, on_subscribe);
		if (api->connect(c->m, "127.0.0.1", port, 60) != 0)
			goto out;
		c->fd = api->socket(c->m);
		ev.data.ptr = c;
		epoll_ctl(r.ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	deadline = now_ns() + 10000000000u;
	while (r.connected < (uint64_t)r.n && now_ns() < deadline)
		service(&r, 10);
	for (i = pairs; i < r.n; i++)
		api->subscribe(r.cl[i].m, NULL, r.cl[i].topic, 1);
	while (r.subscribed < (uint64_t)pairs && now_ns() < deadline)
		service(&r, 10);
	if (r.subscribed < (uint64_t)pairs)
		goto out;
	r.t_start = now_ns();
	r.t_end = r.t_start + (uint64_t)(SECS * 1e9);
	for (i = 0; i < pairs; i++) {
		r.cl[i].next_send = r.t_start + (uint64_t)i * 100000u;
		pump(&r.cl[i]);
	}
	while (now_ns() < r.t_end + (rate ? 500000000u : 0)) {
		if (rate) {
			uint64_t t = now_ns(), next = UINT64_MAX;
			struct itimerspec its = { 0 };
			for (i = 0; i < pairs; i++) {
				struct client *c = &r.cl[i];
				while (c->next_send <= t && c->next_send < r.t_end) {
					publish_one(c);
					c->next_send += interval;
				}
				if (c->next_send < next)
					next = c->next_send;
			}
			if (next != UINT64_MAX && next < r.t_end) {
				its.it_value.tv_sec = (time_t)(next / 1000000000u);
				its.it_value.tv_nsec = (long)(next % 1000000000u);
				timerfd_settime(r.tfd, TFD_TIMER_ABSTIME, &its, NULL);
			}
		}
		service(&r, 5);
	}
	if (rate) {
		if (r.n_lat > 0) {
			qsort(r.lat, r.n_lat, sizeof *r.lat, cmp_u64);
			out[0] = (double)r.lat[r.n_lat / 2] / 1e3;
			out[1] = (double)r.lat[r.n_lat * 99 / 100] / 1e3;
			out[2] = (double)r.n_lat;
		}
	} else {
		out[0] = (double)r.acked / SECS;
		out[1] = (double)r.delivered / SECS;
	}
	ok = 1;
out:
	for (i = 0; i < r.n; i++)
		if (r.cl[i].m != NULL) {
			api->disconnect(r.cl[i].m);
			api->destroy(r.cl[i].m);
		}
	free(r.cl);
	free(r.lat);
	close(r.tfd);
	close(r.ep);
	return ok ? 0 : -1;
}

/* ---- raw MQTT connections: connection rate and idle memory ---- */

/* CONNECT, MQTT 3.1.1, keepalive 0 (never times out), clean_session as given. */
static size_t
connect_packet(uint8_t *p, const char *id, int clean)
{
	size_t idl = strlen(id), rem = 10 + 2 + idl;

	p[0] = 0x10;
	p[1] = (uint8_t)rem;
	memcpy(p + 2, "\x00\x04MQTT\x04", 7);
	p[9] = clean ? 0x02 : 0x00;
	p[10] = 0;
	p[11] = 0;
	p[12] = (uint8_t)(idl >> 8);
	p[13] = (uint8_t)idl;
	memcpy(p + 14, id, idl);
	return 2 + rem;
}

/* Opens n connections (conc at a time in flight), each CONNECT -> CONNACK.
 * hold: keep them open (fds in *fds); else DISCONNECT and close each.
 * Returns the number that got their CONNACK. */
static int
raw_connections(int port, int n, int conc, int hold, int *fds, const char *prefix)
{
	int ep = epoll_create1(0), opened = 0, done = 0, good = 0, inflight = 0, k, got;
	struct epoll_event evs[256];
	uint64_t deadline = now_ns() + 60000000000u;

	while (done < n && now_ns() < deadline) {
		while (opened < n && inflight < conc) {
			uint8_t pkt[128];
			char id[64];
			int fd = tcp_connect(port);
			struct epoll_event ev = { .events = EPOLLIN };
			if (fd < 0) {
				opened++;
				done++;
				continue;
			}
			snprintf(id, sizeof id, "%s-%d", prefix, opened);
			if (write(fd, pkt, connect_packet(pkt, id, 1)) < 0) {
				close(fd);
				opened++;
				done++;
				continue;
			}
			ev.data.u64 = (uint64_t)fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			if (fds != NULL)
				fds[opened] = fd;
			opened++;
			inflight++;
		}
		got = epoll_wait(ep, evs, 256, 100);
		for (k = 0; k < got; k++) {
			int fd = (int)evs[k].data.u64;
			uint8_t ack[4];
			ssize_t r = read(fd, ack, sizeof ack);
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			inflight--;
			done++;
			if (r == 4 && ack[0] == 0x20 && ack[3] == 0)
				good++;
			if (!hold || r != 4) {
				if (write(fd, "\xe0\x00", 2) < 0)
					r = -1;
				close(fd);
			}
		}
	}
	close(ep);
	return good;
}

/* ---- the whole benchmark ---- */

struct results {
	FILE *f;
};

static void
put(struct results *res, const char *name, double v, const char *unit)
{
	printf("  %-44s %12.0f %s\n", name, v, unit);
	if (res->f != NULL)
		fprintf(res->f, "%s %.0f\n", name, v);
}

static int
queued_memory(struct mosq_api *api, struct broker *b, double *per_msg)
{
	struct run r = { .api = api, .port = b->port };
	struct epoll_event ev = { .events = EPOLLIN };
	const int subs = 100, per = 1000;
	struct client pubc = { 0 };
	long before, after;
	uint64_t deadline;
	int i;

	r.ep = epoll_create1(0);
	r.tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	r.cl = &pubc;
	r.n = 1;
	snprintf(r.prefix, sizeof r.prefix, "q%d", (int)getpid());
	/* Offline subscribers: subscribe with clean_session=false, then leave. */
	for (i = 0; i < subs; i++) {
		struct client c = { .run = &r, .idx = i };
		char id[64];
		snprintf(id, sizeof id, "%s-s%d", r.prefix, i);
		snprintf(c.topic, sizeof c.topic, "q/%d", i);
		c.m = api->new_(id, false, &c);
		api->connect_cb(c.m, on_connect);
		api->subscribe_cb(c.m, on_subscribe);
		r.connected = r.subscribed = 0;
		if (api->connect(c.m, "127.0.0.1", b->port, 60) != 0)
			return -1;
		r.cl = &c;
		c.fd = api->socket(c.m);
		ev.data.ptr = &c;
		epoll_ctl(r.ep, EPOLL_CTL_ADD, c.fd, &ev);
		deadline = now_ns() + 5000000000u;
		while (r.connected == 0 && now_ns() < deadline)
			service(&r, 10);
		api->subscribe(c.m, NULL, c.topic, 1);
		while (r.subscribed == 0 && now_ns() < deadline)
			service(&r, 10);
		epoll_ctl(r.ep, EPOLL_CTL_DEL, c.fd, NULL);
		api->disconnect(c.m);
		api->loop_write(c.m, 1);
		api->destroy(c.m);
	}
	usleep(200000);
	before = rss_kb(b->pid);
	{
		char id[64];
		snprintf(id, sizeof id, "%s-p", r.prefix);
		pubc.run = &r;
		pubc.pub = 1;
		pubc.m = api->new_(id, true, &pubc);
		api->connect_cb(pubc.m, on_connect);
		api->publish_cb(pubc.m, on_publish);
		r.connected = 0;
		r.cl = &pubc;
		if (api->connect(pubc.m, "127.0.0.1", b->port, 60) != 0)
			return -1;
		pubc.fd = api->socket(pubc.m);
		ev.data.ptr = &pubc;
		epoll_ctl(r.ep, EPOLL_CTL_ADD, pubc.fd, &ev);
	}
	r.open_loop = 1;          /* pump() stays out of the way */
	deadline = now_ns() + 60000000000u;
	while (r.connected == 0 && now_ns() < deadline)
		service(&r, 10);
	for (i = 0; i < subs * per && now_ns() < deadline; ) {
		while (pubc.inflight < WINDOW && i < subs * per) {
			snprintf(pubc.topic, sizeof pubc.topic, "q/%d", i % subs);
			publish_one(&pubc);
			i++;
		}
		service(&r, 10);
	}
	while (pubc.inflight > 0 && now_ns() < deadline)
		service(&r, 10);
	usleep(200000);
	after = rss_kb(b->pid);
	api->disconnect(pubc.m);
	api->loop_write(pubc.m, 1);
	api->destroy(pubc.m);
	close(r.tfd);
	close(r.ep);
	*per_msg = (double)(after - before) * 1024.0 / (subs * per);
	return 0;
}

int
main(void)
{
	struct mosq_api api = { 0 };
	struct results res = { 0 };
	const char *build = getenv("BUILD"), *bin = find_broker();
	char tmp[256], path[600];
	struct rlimit rl;
	int durable;

	if (build == NULL)
		build = "build";
	snprintf(tmp, sizeof tmp, "%s/tmp", build);
	mkdir(tmp, 0700);
	snprintf(path, sizeof path, "%s/bench_mosquitto.txt", tmp);
	unlink(path);
	printf("mosquitto: QoS 1, clean_session=false, %d-byte payloads, max_queued_messages 0, "
	    "<= %d unacknowledged publishes per publisher\n", PAYLOAD, WINDOW);
	if (bin == NULL || load_api(&api) < 0) {
		printf("mosquitto not installed: skipped (apt-get install mosquitto libmosquitto-dev)\n");
		return 0;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	res.f = fopen(path, "w");
	printf("note: mosquitto acknowledges a QoS 1 publish before it stores it "
	    "(autosave writes later); attune-relay stores (fsync) before it acknowledges.\n");
	for (durable = 0; durable <= 1; durable++) {
		struct broker b = { 0 };
		const char *pre = durable ? "durable_" : "";
		char name[96];
		double o[3] = { 0 };
		static const int pairs[] = { 10, 100 };
		static const uint64_t rates[] = { 1000, 10000 };
		size_t i;

		printf("%s:\n", durable ? "persistence true, autosave_on_changes true, "
		    "autosave_interval 1" : "default persistence (none: RAM only)");
		if (broker_start(&b, bin, tmp, durable) < 0) {
			printf("  mosquitto did not start: skipped\n");
			broker_stop(&b);
			continue;
		}
		for (i = 0; i < 2; i++) {
			if (run_pairs(&api, b.port, pairs[i], 0, (int)i + 10 * durable, o) < 0) {
				printf("  P=%d: run failed\n", pairs[i]);
				continue;
			}
			snprintf(name, sizeof name, "%spairs%d_acked_per_s", pre, pairs[i]);
			put(&res, name, o[0], "msg/s");
			snprintf(name, sizeof name, "%spairs%d_delivered_per_s", pre, pairs[i]);
			put(&res, name, o[1], "msg/s");
		}
		for (i = 0; i < 2; i++) {
			if (run_pairs(&api, b.port, 10, rates[i], (int)i + 20 + 10 * durable, o) < 0) {
				printf("  rate %" PRIu64 ": run failed\n", rates[i]);
				continue;
			}
			snprintf(name, sizeof name, "%slat%" PRIu64 "k_p50_us", pre, rates[i] / 1000);
			put(&res, name, o[0], "us");
			snprintf(name, sizeof name, "%slat%" PRIu64 "k_p99_us", pre, rates[i] / 1000);
			put(&res, name, o[1], "us");
		}
		if (!durable) {
			int *fds = calloc(10000, sizeof *fds), k, got;
			long before;
			uint64_t t0 = now_ns();
			double secs, per;

			got = raw_connections(b.port, 5000, 32, 0, NULL, "h");
			secs = (double)(now_ns() - t0) / 1e9;
			put(&res, "connects_per_s", got / secs, "/s (CONNECT+CONNACK, no encryption)");
			/* Each memory figure on a fresh broker: freed memory would hide growth. */
			broker_stop(&b);
			if (fds != NULL && broker_start(&b, bin, tmp, 0) == 0) {
				usleep(200000);
				before = rss_kb(b.pid);
				got = raw_connections(b.port, 10000, 64, 1, fds, "i");
				usleep(300000);
				put(&res, "idle_bytes_per_conn",
				    (double)(rss_kb(b.pid) - before) * 1024.0 / (got > 0 ? got : 1),
				    "bytes");
				for (k = 0; k < 10000; k++)
					if (fds[k] > 0)
						close(fds[k]);
			}
			free(fds);
			broker_stop(&b);
			if (broker_start(&b, bin, tmp, 0) == 0 && queued_memory(&api, &b, &per) == 0)
				put(&res, "queued_bytes_per_msg", per, "bytes (100,000 queued for offline)");
		}
		broker_stop(&b);
	}
	if (res.f != NULL)
		fclose(res.f);
	return 0;
}
