/* The commands that read: status, log, watch, partners, devices, export. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clients/cli/cli.h"
#include "clients/lib/when.h"
#include "proto/err.h"

#define LOG_DEFAULT_SINCE "7d"

/* A command without arguments: sends a request of type without fields, gets its reply. */
static int
call_no_args(struct cli *c, int argc, char **argv, const char *type, struct attune_reply **rep)
{
	struct attune_req req;
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, NULL, NULL, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "unexpected '%s'", argv[rest]);
	if ((rc = cli_connect(c)) != 0)
		return rc;
	attune_req_begin(c->conn, &req, type, 0);
	rc = cli_call(c, &req, rep, 0);
	attune_req_free(&req);
	return rc;
}

/* A request without fields whose reply is printed by render (or as JSON). */
static int
simple_read(struct cli *c, int argc, char **argv, const char *type,
    void (*render)(FILE *, const msgpack_object *, const struct render_opts *))
{
	struct attune_reply *rep;
	int rc;

	if ((rc = call_no_args(c, argc, argv, type, &rep)) != 0)
		return rc;
	if (c->json || render == NULL)
		cli_print_json(c, attune_reply_root(rep), 0);
	else
		render(stdout, attune_reply_root(rep), &c->ro);
	attune_reply_free(rep);
	return 0;
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	return simple_read(c, argc, argv, "status", render_status);
}

int
cmd_partners(struct cli *c, int argc, char **argv)
{
	return simple_read(c, argc, argv, "partners", render_partners);
}

int
cmd_devices(struct cli *c, int argc, char **argv)
{
	return simple_read(c, argc, argv, "devices", render_devices);
}

int
cmd_export(struct cli *c, int argc, char **argv)
{
	struct cli_pages pages;
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, NULL, NULL, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "unexpected '%s'", argv[rest]);
	/* An export is data for another program: always JSON, every page joined. */
	if ((rc = cli_pages_fetch(c, "export", 0, &pages)) != 0)
		return rc;
	cli_print_json(c, &pages.root, 0);
	cli_pages_free(&pages);
	return 0;
}

struct log_args {
	struct cli *c;
	time_t since;
};

static int
log_flag(void *ctx, int key, const char *arg)
{
	struct log_args *a = ctx;
	char why[200];

	if (key == K_SINCE && when_parse_since(arg, a->c->ro.now, &a->since, why, sizeof(why)) != 0)
		return cli_usage_err(a->c, "--since: %s", why);
	return 0;
}

int
cmd_log(struct cli *c, int argc, char **argv)
{
	struct log_args a = { c, 0 };
	struct cli_pages pages;
	char why[200];
	int rc, rest;

	if (when_parse_since(LOG_DEFAULT_SINCE, c->ro.now, &a.since, why, sizeof(why)) != 0)
		return cli_err(CLI_EXIT_FAIL, "%s", why);
	if ((rc = cli_getopt(c, argc, argv, log_flag, &a, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "unexpected '%s'", argv[rest]);
	if ((rc = cli_pages_fetch(c, "log", (uint64_t)(a.since > 0 ? a.since : 1), &pages)) != 0)
		return rc;
	if (c->json)
		cli_print_json(c, &pages.root, 0);
	else
		render_log(stdout, &pages.root, a.since, &c->ro);
	cli_pages_free(&pages);
	return 0;
}

/* Waits between tries to reach attuned again: 250 ms, doubling, at most 5 s. */
#define WATCH_RETRY_FIRST_MS 250
#define WATCH_RETRY_MAX_MS 5000
#define WATCH_SUBSCRIBE_TIMEOUT_MS 10000

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	/* A signal ends the sleep early; SIGINT and SIGTERM end the program anyway. */
	nanosleep(&ts, NULL);
}

/* One try to connect and subscribe again: 0, or the error (nothing printed). */
static int
watch_subscribe(struct cli *c)
{
	struct attune_req req;
	struct attune_reply *rep = NULL;
	int rc;

	if ((rc = attune_connect(&c->conn, NULL)) != 0) {
		c->conn = NULL;
		return rc;
	}
	attune_req_begin(c->conn, &req, "watch", 0);
	rc = attune_call(c->conn, &req, &rep, WATCH_SUBSCRIBE_TIMEOUT_MS);
	attune_req_free(&req);
	if (rep != NULL)
		attune_reply_free(rep);
	if (rc != 0) {
		attune_close(c->conn);
		c->conn = NULL;
	}
	return rc;
}

/*
 * attuned went away (restarted, stopped): say so once, then try again with
 * a growing pause until it answers and takes the subscription. Only a signal
 * ends this. A daemon that answers but refuses (locked, not set up) is told
 * once too, and tried again: `attune unlock` elsewhere lets watch go on.
 */
static void
watch_reconnect(struct cli *c)
{
	int wait_ms = WATCH_RETRY_FIRST_MS, rc, told_refusal = 0;

	attune_close(c->conn);
	c->conn = NULL;
	cli_err(0, "attuned went away: reconnecting (Ctrl-C stops)");
	for (;;) {
		sleep_ms(wait_ms);
		if ((rc = watch_subscribe(c)) == 0)
			break;
		if (rc == ATTUNE_EDAEMON && !told_refusal) {
			cli_err(0, "attuned is back but refuses to be watched yet "
			    "(`attune status` says why): trying again");
			told_refusal = 1;
		}
		wait_ms = wait_ms * 2 > WATCH_RETRY_MAX_MS ? WATCH_RETRY_MAX_MS : wait_ms * 2;
	}
	cli_err(0, "attuned is back: watching again");
}

int
cmd_watch(struct cli *c, int argc, char **argv)
{
	struct attune_reply *rep;
	const msgpack_object *ev;
	int rc;

	if ((rc = call_no_args(c, argc, argv, "watch", &rep)) != 0)
		return rc;
	attune_reply_free(rep);
	/* One line per event, flushed at once: watch feeds scripts and notifiers. */
	c->tty_out = 0;
	if (!c->json) {
		fprintf(stderr, "Watching for check-ins, bids and answers (Ctrl-C stops).\n");
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		rc = attune_recv(c->conn, &rep, -1);
		if (rc == ATTUNE_ECLOSED || rc == ATT_EIO) {
			watch_reconnect(c);
			continue;
		}
		if (rc != 0)
			return cli_transport_err(c, rc);
		if (attune_reply_is_error(rep)) {
			rc = cli_daemon_err(c, rep);
			attune_reply_free(rep);
			return rc;
		}
		if (strcmp(attune_reply_type(rep), "event") == 0 &&
		    attune_get_map(attune_reply_root(rep), "event", &ev) == 0) {
			if (c->json) {
				cli_print_json(c, ev, 1);
			} else {
				c->ro.now = time(NULL);
				render_event(stdout, ev, &c->ro);
				fflush(stdout);
			}
		}
		attune_reply_free(rep);
	}
}
