/*
 * attuned: the per-device daemon. Loads the config and (when the device is
 * set up) the keys and the store, serves the local API, runs the sync
 * engine, and tells systemd when it is ready and still alive.
 */
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <uv.h>

#include "daemon/api.h"
#include "daemon/config.h"
#include "daemon/ctx.h"
#include "daemon/identity.h"
#include "daemon/keys.h"
#include "daemon/notify.h"
#include "daemon/pairing.h"
#include "daemon/paths.h"
#include "daemon/raincheck.h"
#include "daemon/rounds.h"
#include "daemon/store.h"
#include "daemon/sync.h"
#include "proto/err.h"

#define RETENTION_EVERY_MS (3600 * 1000)

struct main_state {
	struct daemon d;
	uv_signal_t sigterm, sigint;
	uv_timer_t watchdog, retention;
	int watchdog_on;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: attuned [--config FILE]\n"
	    "\n"
	    "The attune daemon: holds this device's keys and history, syncs with the\n"
	    "relay and serves the local clients (attune). Stays in the foreground;\n"
	    "systemd runs it as a user service (systemctl --user start attuned).\n"
	    "\n"
	    "  --config FILE   read FILE instead of ~/.config/attune/attuned.conf\n"
	    "  --version       print the version\n"
	    "  --help          this text\n"
	    "\n"
	    "ATTUNE_HOME=DIR keeps config, data and socket under DIR. See attuned(8).\n");
}

static void
close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
main_shutdown(struct daemon *d, int code)
{
	struct main_state *ms = (struct main_state *)d;

	if (d->stopping)
		return;
	d->stopping = 1;
	d->exit_code = code;
	sd_notify(0, "STOPPING=1");
	pairing_cancel_all(d);
	if (d->sync != NULL) {
		sync_stop(d->sync);
		sync_free(d->sync);
		d->sync = NULL;
	}
	rounds_free(d->rounds);   /* before the API: waiting clients get their error */
	d->rounds = NULL;
	api_close(d->api);
	d->api = NULL;
	raincheck_free(d->raincheck);
	d->raincheck = NULL;
	close_handle((uv_handle_t *)&ms->sigterm);
	close_handle((uv_handle_t *)&ms->sigint);
	close_handle((uv_handle_t *)&ms->retention);
	if (ms->watchdog_on)
		close_handle((uv_handle_t *)&ms->watchdog);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct main_state *ms = s->data;

	(void)signum;
	main_shutdown(&ms->d, 0);
}

static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	sd_notify(0, "WATCHDOG=1");
}

static void
on_retention(uv_timer_t *t)
{
	struct main_state *ms = t->data;
	struct daemon *d = &ms->d;
	uint64_t now = (uint64_t)time(NULL);

	if (!daemon_initialised(d) || d->config.retention == 0 || now < d->config.retention)
		return;
	if (store_retention(d->store, now - d->config.retention) != 0)
		fprintf(stderr, "attuned: could not delete old history (retention)\n");
}

static void
harden_process(void)
{
	struct rlimit no_core = { 0, 0 };

	/* Another process of this user must not read keys out of our memory. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGPIPE, SIG_IGN);
	umask(0077);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct main_state *ms;
	struct daemon *d;
	const char *config_file = NULL;
	char why[512];
	uint64_t wd_usec = 0;
	uv_loop_t loop;
	int c, r, code;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_file = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("attuned %s\n", ATTUNE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	harden_process();
	if (sodium_init() < 0) {
		fprintf(stderr, "attuned: libsodium could not start\n");
		return 1;
	}
	ms = calloc(1, sizeof(*ms));
	if (ms == NULL)
		return 1;
	d = &ms->d;
	d->shutdown = main_shutdown;
	if (paths_init(&d->paths, config_file, why, sizeof(why)) != 0) {
		fprintf(stderr, "attuned: %s\n", why);
		free(ms);
		return 1;
	}
	config_defaults(&d->config);
	if (config_load(&d->config, d->paths.config_file, config_file != NULL, why, sizeof(why)) != 0) {
		fprintf(stderr, "attuned: bad configuration: %s\n", why);
		paths_free(&d->paths);
		free(ms);
		return 1;
	}
	if (uv_loop_init(&loop) != 0) {
		paths_free(&d->paths);
		free(ms);
		return 1;
	}
	d->loop = &loop;
	/* Every handle main_shutdown closes exists from here on, whatever fails next. */
	uv_signal_init(&loop, &ms->sigterm);
	uv_signal_init(&loop, &ms->sigint);
	uv_timer_init(&loop, &ms->retention);
	ms->sigterm.data = ms->sigint.data = ms->retention.data = ms;
	code = 1;
	if (identity_load(d) != 0)
		goto out;
	d->notify = notify_new(&d->config);
	if (sync_new(d) != 0) {
		fprintf(stderr, "attuned: out of memory\n");
		goto out;
	}
	if (sd_listen_fds(1) == 1)
		r = api_listen_fd(&d->api, d, SD_LISTEN_FDS_START);
	else
		r = api_listen(&d->api, d, d->paths.socket_file);
	if (r != 0) {
		fprintf(stderr, "attuned: cannot listen on %s: %s\n", d->paths.socket_file,
		    r == ATT_EEXIST ? "another attuned is already running there" : att_strerror(r));
		goto out;
	}
	d->raincheck = raincheck_new(d);
	if (d->raincheck == NULL) {
		fprintf(stderr, "attuned: out of memory\n");
		goto out;
	}
	raincheck_schedule(d->raincheck);
	if ((d->rounds = rounds_new(d)) == NULL) {
		fprintf(stderr, "attuned: out of memory\n");
		goto out;
	}
	rounds_arm(d->rounds);
	uv_signal_start(&ms->sigterm, on_signal, SIGTERM);
	uv_signal_start(&ms->sigint, on_signal, SIGINT);
	if (d->config.retention > 0)
		uv_timer_start(&ms->retention, on_retention, 0, RETENTION_EVERY_MS);
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		uv_timer_init(&loop, &ms->watchdog);
		uv_timer_start(&ms->watchdog, on_watchdog, wd_usec / 2000, wd_usec / 2000);
		ms->watchdog_on = 1;
	}
	if (d->sync != NULL)
		sync_start(d->sync);
	fprintf(stderr, "attuned: listening on %s (%s)\n", d->paths.socket_file,
	    daemon_initialised(d) ? "set up" : d->keys != NULL ? "locked" :
	    "not set up yet: run attune init");
	sd_notify(0, "READY=1");
	uv_run(&loop, UV_RUN_DEFAULT);
	code = d->exit_code;
out:
	if (!d->stopping)
		main_shutdown(d, code);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		fprintf(stderr, "attuned: some handles were still open at exit\n");
	notify_free(d->notify);
	store_close(d->store);
	keys_free(d->keys);
	paths_free(&d->paths);
	free(ms);
	return code;
}
