/*
 * The attune command-line client: one table of commands (main.c), each a
 * function over a struct cli. Commands talk to attuned through
 * libattune-client and turn every failure into one line on stderr that
 * says what to do next.
 *
 * Exit status: 0 success, 1 the request failed (the daemon said no),
 * 2 bad usage or input, 3 attuned cannot be reached.
 */
#ifndef ATTUNE_CLI_H
#define ATTUNE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "clients/lib/attune-client.h"
#include "clients/lib/render.h"

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_DAEMON 3

/* Keys of the flags every command may take. */
#define CLI_FLAG_HELP 'h'
#define CLI_FLAG_JSON 'J'

/* Keys of the commands' own flags (the table in main.c, the handlers in cmd_*.c). */
enum cli_key {
	K_MOOD = 256, K_DESIRE, K_CAPACITY, K_TAG, K_OPEN_TO, K_RESPONSIVE, K_NOTE,
	K_TO, K_ONLY, K_UNTIL, K_KIND, K_AT, K_YES, K_NOT_TONIGHT, K_LATER, K_ANSWER,
	K_REASON, K_OFFER, K_RAINCHECK, K_SINCE, K_NAME, K_RELAY, K_INVITE, K_TELL,
	K_CONFIRM, K_NOT_RESPONSIVE, K_PASSPHRASE, K_REMOVE, K_CANCEL, K_FOR,
};

struct cli_flag {
	const char *name;      /* long name without "--" */
	int key;               /* what on_flag receives */
	const char *arg;       /* argument placeholder, NULL = no argument */
	const char *help;
};

struct cli;

struct cli_cmd {
	const char *name;
	const char *usage;     /* after "attune NAME " */
	const char *summary;   /* one line */
	const char *more;      /* extra help paragraph, may be NULL */
	const struct cli_flag *flags;  /* ends with { NULL } */
	int needs_init;        /* the daemon must hold an identity */
	int (*run)(struct cli *c, int argc, char **argv);
};

struct cli {
	const struct cli_cmd *cmd;
	int json;              /* --json */
	int tty_in, tty_out;
	struct render_opts ro; /* colour, Unicode, now */
	struct attune_client *conn;
};

/*
 * Parses the command's flags (cmd->flags plus --help), calling
 * on_flag(ctx, key, arg) for each; --json sets c->json. Positional
 * arguments are left in argv[*rest..argc). Returns 0, -1 after printing
 * help (exit 0), or an exit status after a usage error was printed.
 */
int cli_getopt(struct cli *c, int argc, char **argv,
    int (*on_flag)(void *ctx, int key, const char *arg), void *ctx, int *rest);

/* Prints "attune: MESSAGE" on stderr; returns status for `return cli_err(...)`. */
int cli_err(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: the message plus "see `attune NAME --help`". */
int cli_usage_err(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Connects to attuned (once); on failure prints the sentence and returns the exit status. */
int cli_connect(struct cli *c);
/*
 * Sends req and waits for its reply. On success *out is the reply and 0 is
 * returned; on any failure the sentence is printed and the exit status
 * returned (the daemon's error codes become advice).
 */
int cli_call(struct cli *c, struct attune_req *req, struct attune_reply **out, int timeout_ms);
/* The sentence for a daemon error reply (printed), returns CLI_EXIT_FAIL. */
int cli_daemon_err(struct cli *c, const struct attune_reply *rep);
/* The sentence for a transport error (printed), returns its exit status. */
int cli_transport_err(struct cli *c, int rc);

/* Writes a reply as one JSON document, without "t" and "id" unless whole; pretty on a terminal. */
void cli_print_json(struct cli *c, const msgpack_object *o, int whole);

/*
 * log and export come in pages (docs/PROTOCOL.md 8.1: offset in, more/next
 * out). cli_pages_fetch asks for every page and presents them as one reply:
 * root is a map with the first page's fields (but "t", "id", "more",
 * "next") and "events" holding the events of all pages, newest first. Its
 * objects point into the pages, kept until cli_pages_free.
 */
struct cli_pages {
	struct attune_reply **rep;
	size_t nrep;
	msgpack_object *ev;
	size_t nev;
	msgpack_object_kv *kv;
	msgpack_object root;
};
/* type "log" or "export"; since > 0 adds the log's "since". Prints the error and returns its status. */
int cli_pages_fetch(struct cli *c, const char *type, uint64_t since, struct cli_pages *p);
void cli_pages_free(struct cli_pages *p);

/* A full event id from what the person typed: the id itself, or a unique prefix (4+ hex digits). */
int cli_resolve_id(struct cli *c, const char *typed, char out[33]);

/*
 * A partner's name as attuned spells it: typed matched ignoring case when it
 * fits exactly one partner, else typed as it is (for attuned to refuse).
 * Returns 0 or the exit status of a failed call (printed).
 */
int cli_partner_resolve(struct cli *c, const char *typed, char *out, size_t cap);

/* Asks on the terminal; the answer without its newline in buf. -1 at end of input. */
int cli_ask(const char *prompt, char *buf, size_t cap);
/* The same without echo on a terminal (a passphrase); off a terminal, one line of stdin. */
int cli_ask_secret(struct cli *c, const char *prompt, char *buf, size_t cap);

/* The commands (cmd_*.c). */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_pair(struct cli *c, int argc, char **argv);
int cmd_link(struct cli *c, int argc, char **argv);
int cmd_revoke(struct cli *c, int argc, char **argv);
int cmd_unpair(struct cli *c, int argc, char **argv);
int cmd_wipe(struct cli *c, int argc, char **argv);
int cmd_unlock(struct cli *c, int argc, char **argv);
int cmd_passphrase(struct cli *c, int argc, char **argv);
int cmd_checkin(struct cli *c, int argc, char **argv);
int cmd_bid(struct cli *c, int argc, char **argv);
int cmd_respond(struct cli *c, int argc, char **argv);
int cmd_retract(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_log(struct cli *c, int argc, char **argv);
int cmd_watch(struct cli *c, int argc, char **argv);
int cmd_partners(struct cli *c, int argc, char **argv);
int cmd_devices(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_spark(struct cli *c, int argc, char **argv);
int cmd_wishes(struct cli *c, int argc, char **argv);

/* The QR code of text on a terminal (half blocks); nothing when it cannot be made. */
void qr_print(FILE *f, const char *text, int unicode);

#endif
