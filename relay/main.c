/*
 * attune-relay: the command line. Runs the relay (--listen) or one of the
 * operator's commands (address, invite, stats) on a data folder.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sodium.h>
#include <systemd/sd-daemon.h>

#include "proto/addr.h"
#include "proto/err.h"
#include "proto/keyfile.h"
#include "relay/relaycfg.h"
#include "relay/server.h"
#include "relay/stats.h"
#include "relay/storage.h"

struct opts {
	const char *listen, *data, *config, *store;
	int log_addresses, json;
	uint64_t uses, ttl;
	int has_ttl;
};

static const char usage_text[] =
	"usage: attune-relay [--listen HOST:PORT] --data DIR [--store URL] [--config FILE]\n"
	"         [--log-addresses]\n"
	"         (--listen defaults to 127.0.0.1:7443, loopback only; --store defaults to\n"
	"          SQLite in DIR; postgresql://... for a relay of several nodes)\n"
	"       attune-relay address --data DIR\n"
	"       attune-relay invite --data DIR [--store URL] [--uses N] [--ttl 7d]\n"
	"       attune-relay stats --data DIR [--store URL] [--json]\n"
	"       attune-relay migrate --store URL\n"
	"See attune-relay(8).\n";

static int
die(const char *fmt, const char *a)
{
	fprintf(stderr, "attune-relay: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return 1;
}

/* Splits HOST:PORT ([v6]:PORT too). */
static int
split_listen(const char *s, char *host, size_t cap, int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;
	size_t hl;

	if (colon == NULL)
		return -1;
	hl = (size_t)(colon - s);
	if (hl > 1 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl == 0 || hl >= cap)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static int
load_config(struct relaycfg *cfg, const struct opts *o)
{
	char why[512];

	relaycfg_defaults(cfg);
	if (o->config != NULL && relaycfg_load(cfg, o->config, why, sizeof why) < 0)
		return die("bad config: %s", why);
	return 0;
}

/* Where the state lives: --store, else [storage] url, else SQLite in --data. */
static const char *
store_where(const struct opts *o, const struct relaycfg *cfg)
{
	if (o->store != NULL)
		return o->store;
	if (cfg->store_url[0] != '\0')
		return cfg->store_url;
	return o->data;
}

/* Opens the store for an operator command (no loop: blocking calls only). */
static int
open_store(const struct opts *o, struct storage **st)
{
	struct relaycfg cfg;
	char why[512];

	if (load_config(&cfg, o) != 0)
		return 1;
	if (store_where(o, &cfg) == NULL)
		return die("%s", "no database: give --store postgresql://... or [storage] url");
	if (storage_open(st, NULL, store_where(o, &cfg), why, sizeof why) < 0)
		return die("%s", why);
	return 0;
}

struct run {
	struct server *srv;
	uv_signal_t sigterm, sigint;
};

static void
on_signal(uv_signal_t *h, int sig)
{
	struct run *run = h->data;

	(void)sig;
	sd_notify(0, "STOPPING=1");
	server_stop(run->srv);
	uv_close((uv_handle_t *)&run->sigterm, NULL);
	uv_close((uv_handle_t *)&run->sigint, NULL);
}

/* Idle connections are cheap; let the configured count fit in the fd limit. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
cmd_run(const struct opts *o)
{
	struct run run;
	struct server *srv;
	struct relaycfg cfg;
	uv_loop_t loop;
	char host[256], why[512], addr[ADDR_STR_MAX], path[4096];
	const char *listen = o->listen != NULL ? o->listen : "127.0.0.1:7443";
	int port, r;
	FILE *f;

	if (split_listen(listen, host, sizeof host, &port) < 0)
		return die("--listen %s: expected HOST:PORT, e.g. 127.0.0.1:7443", listen);
	if (load_config(&cfg, o) != 0)
		return 1;
	if ((srv = calloc(1, sizeof *srv)) == NULL)
		return die("%s", "out of memory");
	srv->log.f = stderr;
	srv->log.addresses = o->log_addresses;
	if (storage_is_url(store_where(o, &cfg)))
		srv->store_url = store_where(o, &cfg);
	raise_fd_limit();
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&loop);
	r = server_init(srv, &loop, o->data, &cfg, host, port, why, sizeof why);
	if (r == 0 && server_address(srv, addr, sizeof addr, host) < 0) {
		snprintf(why, sizeof why, "cannot format the relay address");
		r = -1;
	}
	if (r < 0) {
		die("%s", why);
		server_free(srv);
		uv_run(&loop, UV_RUN_NOWAIT);
		free(srv);
		return 1;
	}
	snprintf(path, sizeof path, "%s/address", o->data);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%s\n", addr);
		fclose(f);
	}
	printf("address: %s\n", addr);
	fflush(stdout);
	log_event(&srv->log, "listening", "address=%s", addr);
	run.srv = srv;
	uv_signal_init(&loop, &run.sigterm);
	uv_signal_init(&loop, &run.sigint);
	run.sigterm.data = run.sigint.data = &run;
	uv_signal_start(&run.sigterm, on_signal, SIGTERM);
	uv_signal_start(&run.sigint, on_signal, SIGINT);
	sd_notify(0, "READY=1");
	uv_run(&loop, UV_RUN_DEFAULT);
	server_free(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	free(srv);
	return 0;
}

static int
cmd_address(const struct opts *o)
{
	char path[4096], line[ADDR_STR_MAX + 2];
	FILE *f;

	snprintf(path, sizeof path, "%s/address", o->data);
	if ((f = fopen(path, "r")) == NULL || fgets(line, sizeof line, f) == NULL) {
		if (f != NULL)
			fclose(f);
		return die("no address yet in %s: start the relay once with --listen HOST:PORT "
		    "--data DIR", o->data);
	}
	fclose(f);
	/* The bare address, for `attune init --relay "$(attune-relay address ...)"` and copying. */
	printf("%s", line);
	return 0;
}

static int
cmd_invite(const struct opts *o)
{
	struct storage *st;
	struct relaycfg cfg;
	char token[RELAYDB_TOKEN_MAX + 1];
	uint64_t now = (uint64_t)time(NULL), ttl;

	if (load_config(&cfg, o) != 0)
		return 1;
	ttl = o->has_ttl ? o->ttl : cfg.invite_default_ttl;
	if (o->uses == 0)
		return die("%s", "--uses must be at least 1");
	if (ttl == 0)
		return die("%s", "--ttl must be at least 1s");
	if (open_store(o, &st) != 0)
		return 1;
	if (storage_invite_create(st, token, o->uses, now + ttl, now) < 0) {
		storage_close(st);
		return die("cannot store the invite in %s (disk full, or the database is away?)",
		    storage_is_url(store_where(o, &cfg)) ? "the database" : o->data);
	}
	storage_close(st);
	printf("%s\n", token);
	sodium_memzero(token, sizeof token);
	return 0;
}

static int
cmd_stats(const struct opts *o)
{
	struct storage *st;
	uint64_t t[4];

	if (open_store(o, &st) != 0)
		return 1;
	if (storage_totals(st, &t[0], &t[1], &t[2], &t[3]) < 0) {
		storage_close(st);
		return die("cannot read the database for %s", o->data);
	}
	storage_close(st);
	return stats_print(stdout, o->data, o->json, t);
}

/* Creates or brings up to date the schema, ahead of starting the nodes. */
static int
cmd_migrate(const struct opts *o)
{
	struct storage *st;
	int v;

	if (open_store(o, &st) != 0)
		return 1;
	v = storage_schema_version(st);
	printf("%s schema version %d: up to date\n", storage_backend(st), v);
	storage_close(st);
	return 0;
}

static const struct command {
	const char *name;
	int (*run)(const struct opts *);
	int needs_data;
} commands[] = {
	{ "run", cmd_run, 1 },
	{ "address", cmd_address, 1 },
	{ "invite", cmd_invite, 1 },
	{ "stats", cmd_stats, 1 },
	{ "migrate", cmd_migrate, 0 },
};

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "data", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "log-addresses", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "uses", required_argument, NULL, 'u' },
		{ "ttl", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .uses = 1 };
	const char *cmd = "run";
	char *end;
	size_t i;
	int c;

	if (sodium_init() < 0)
		return die("%s", "libsodium failed to initialise");
	umask(077);
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'd': o.data = optarg; break;
		case 'c': o.config = optarg; break;
		case 's':
			if (!storage_is_url(optarg))
				return die("--store: expected postgresql://... (SQLite is the default: "
				    "the data folder's relay.db)%s", "");
			o.store = optarg;
			break;
		case 'A': o.log_addresses = 1; break;
		case 'j': o.json = 1; break;
		case 'u':
			errno = 0;
			o.uses = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '-')
				return die("--uses %s: expected a whole number", optarg);
			break;
		case 't':
			if (relaycfg_parse_duration(optarg, &o.ttl) < 0)
				return die("--ttl %s: expected a duration like 7d, 12h, 30m or 90s", optarg);
			o.has_ttl = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("attune-relay %s\n", ATTUNE_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "attune-relay: unexpected argument '%s'\n%s", argv[optind], usage_text);
		return 2;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, cmd) == 0) {
			if (commands[i].needs_data && o.data == NULL)
				return die("%s", "missing --data DIR (the relay's state folder)");
			if (!commands[i].needs_data && o.store == NULL && o.config == NULL)
				return die("%s", "missing --store postgresql://... (or --config FILE "
				    "with [storage] url)");
			return commands[i].run(&o);
		}
	fprintf(stderr, "attune-relay: unknown command '%s'\n%s", cmd, usage_text);
	return 2;
}
