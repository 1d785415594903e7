/*
 * attuned: the per-device daemon. Loads the config and (when the device is
 * set up) the keys and the store, serves the local API, runs the sync
 * engine, and tells systemd when it is ready and still alive.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#include "daemon/attune.h"
#include "daemon/config.h"
#include "daemon/paths.h"
#include "proto/err.h"

struct main_state {
	struct attune_core *core;
	uv_loop_t loop;
	uv_signal_t sigterm, sigint;
	uv_timer_t watchdog;
	int watchdog_on;
	int stopping;
	int exit_code;
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

/* Ends the process's part (signals, watchdog) and the core; the loop then runs out. */
static void
main_stop(struct main_state *ms, int code)
{
	if (ms->stopping)
		return;
	ms->stopping = 1;
	ms->exit_code = code;
	sd_notify(0, "STOPPING=1");
	attune_core_free(ms->core);
	ms->core = NULL;
	close_handle((uv_handle_t *)&ms->sigterm);
	close_handle((uv_handle_t *)&ms->sigint);
	if (ms->watchdog_on)
		close_handle((uv_handle_t *)&ms->watchdog);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	main_stop(s->data, 0);
}

/* The core asks to end (wipe). */
static void
on_core_exit(void *arg, int code)
{
	main_stop(arg, code);
}

static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	sd_notify(0, "WATCHDOG=1");
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

/* A number from the environment (test knobs), 0 when unset. */
static uint64_t
env_ms(const char *name)
{
	const char *e = getenv(name);

	return e != NULL && *e ? strtoull(e, NULL, 10) : 0;
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
	struct attune_config cfg;
	struct main_state *ms;
	struct paths paths;
	const char *config_file = NULL;
	char why[512];
	uint64_t wd_usec = 0;
	int c, r, code = 1;

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
	if (paths_init(&paths, config_file, why, sizeof(why)) != 0) {
		fprintf(stderr, "attuned: %s\n", why);
		return 1;
	}
	if (config_file != NULL) {
		/* A config named on the command line must exist (the default one need not). */
		struct config probe;

		config_defaults(&probe);
		if (config_load(&probe, config_file, 1, why, sizeof(why)) != 0) {
			fprintf(stderr, "attuned: bad configuration: %s\n", why);
			paths_free(&paths);
			return 1;
		}
	}
	ms = calloc(1, sizeof(*ms));
	if (ms == NULL || uv_loop_init(&ms->loop) != 0) {
		paths_free(&paths);
		free(ms);
		return 1;
	}
	/* Every handle main_stop closes exists from here on, whatever fails next. */
	uv_signal_init(&ms->loop, &ms->sigterm);
	uv_signal_init(&ms->loop, &ms->sigint);
	ms->sigterm.data = ms->sigint.data = ms;
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = paths.data_dir;
	cfg.config_file = paths.config_file;
	cfg.loop = &ms->loop;
	cfg.on_exit = on_core_exit;
	cfg.exit_arg = ms;
	cfg.backoff_max_ms = env_ms("ATTUNE_BACKOFF_MAX_MS");
	cfg.keepalive_ms = env_ms("ATTUNE_KEEPALIVE_MS");
	r = attune_core_new(&ms->core, &cfg);
	if (r != 0) {
		if (r == ATT_ENOMEM)
			fprintf(stderr, "attuned: out of memory\n");
		goto out;
	}
	if (sd_listen_fds(1) == 1)
		r = attune_core_listen_fd(ms->core, SD_LISTEN_FDS_START);
	else
		r = attune_core_listen(ms->core, paths.socket_file);
	if (r != 0) {
		fprintf(stderr, "attuned: cannot listen on %s: %s\n", paths.socket_file,
		    r == ATT_EEXIST ? "another attuned is already running there" : att_strerror(r));
		goto out;
	}
	uv_signal_start(&ms->sigterm, on_signal, SIGTERM);
	uv_signal_start(&ms->sigint, on_signal, SIGINT);
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		uv_timer_init(&ms->loop, &ms->watchdog);
		ms->watchdog.data = ms;
		uv_timer_start(&ms->watchdog, on_watchdog, wd_usec / 2000, wd_usec / 2000);
		ms->watchdog_on = 1;
	}
	attune_core_start(ms->core);
	r = attune_core_state(ms->core);
	fprintf(stderr, "attuned: listening on %s (%s)\n", paths.socket_file,
	    r == ATTUNE_READY ? "set up" : r == ATTUNE_LOCKED ? "locked" :
	    "not set up yet: run attune init");
	sd_notify(0, "READY=1");
	uv_run(&ms->loop, UV_RUN_DEFAULT);
	code = ms->exit_code;
out:
	main_stop(ms, code);
	uv_run(&ms->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&ms->loop) != 0)
		fprintf(stderr, "attuned: some handles were still open at exit\n");
	paths_free(&paths);
	free(ms);
	return code;
}
