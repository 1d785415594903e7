#include <ctype.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "clients/cli/cli.h"
#include "clients/lib/jsonw.h"
#include "clients/lib/termtext.h"
#include "proto/err.h"

#ifndef ATTUNE_VERSION
#define ATTUNE_VERSION "0.0.0"
#endif

#define CALL_TIMEOUT_MS 60000
#define FLAGS_MAX 32

#define JSON_FLAG { "json", CLI_FLAG_JSON, NULL, "print one JSON document (field names in attune(1))" }

static const struct cli_flag init_flags[] = {
	{ "name", K_NAME, "NAME", "the name your partners will see (required)" },
	{ "relay", K_RELAY, "ADDRESS", "your relay, attune://HOST:PORT/KEY (or learn it when pairing)" },
	{ "invite", K_INVITE, "TOKEN", "an invite from the relay's operator (attune-relay invite)" },
	{ "passphrase", K_PASSPHRASE, NULL, "protect the history with a passphrase (asked for; attuned then starts locked)" },
	JSON_FLAG,
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag pair_flags[] = {
	{ "relay", K_RELAY, "ADDRESS", "the relay to pair through, when this device has none yet" },
	JSON_FLAG,
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag checkin_flags[] = {
	{ "mood", K_MOOD, "N|WORD", "1-5, or awful, low, ok, good, great" },
	{ "desire", K_DESIRE, "N|WORD", "0-5, or none, low, some, medium, high, burning" },
	{ "capacity", K_CAPACITY, "N|WORD", "what you can give today, 0-5, or none, low, limited, ok, good, full" },
	{ "tag", K_TAG, "T[,T]", "how you are: tired, stressed, sick, touched-out, anxious, busy, relaxed, playful, ... (repeatable)" },
	{ "open-to", K_OPEN_TO, "X[,X]", "what would be welcome: cuddle, talk, massage, date, sex, space, ... (repeatable)" },
	{ "responsive", K_RESPONSIVE, NULL, "open to being warmed up (desire that answers rather than arrives)" },
	{ "not-responsive", K_NOT_RESPONSIVE, NULL, "not even that today" },
	{ "note", K_NOTE, "TEXT", "a few words, up to 280 characters" },
	{ "to", K_TO, "NAME[,NAME]", "share with these partners only (default: all; repeatable)" },
	{ "only", K_ONLY, "FIELD=NAME[,NAME]", "show one field to some partners only, e.g. desire=Sam (repeatable)" },
	{ "until", K_UNTIL, "WHEN", "how long it holds (default: 04:00 tomorrow morning)" },
	JSON_FLAG,
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag bid_flags[] = {
	{ "to", K_TO, "NAME[,NAME]", "who the bid is for (required; asked on a terminal; repeatable)" },
	{ "kind", K_KIND, "KIND", "tonight, cuddle, date, talk, massage, sex, walk, ... (default: tonight)" },
	{ "note", K_NOTE, "TEXT", "a few words, up to 280 characters" },
	{ "at", K_AT, "WHEN", "when you have in mind, e.g. 'sat 20:00' (optional)" },
	{ "until", K_UNTIL, "WHEN", "the end of that window (optional)" },
	JSON_FLAG,
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag respond_flags[] = {
	{ "yes", K_YES, NULL, "yes" },
	{ "not-tonight", K_NOT_TONIGHT, NULL, "not tonight" },
	{ "later", K_LATER, NULL, "maybe later" },
	{ "answer", K_ANSWER, "WORD", "the same in words: yes, no, not tonight, maybe, later" },
	{ "reason", K_REASON, "T[,T]", "why, in check-in tags: tired, stressed, ... (repeatable)" },
	{ "offer", K_OFFER, "X[,X]", "what you would love instead: cuddle, talk, ... (repeatable)" },
	{ "raincheck", K_RAINCHECK, "WHEN", "when to try again: tomorrow, 'sat 20:00', +2d, 2026-12-01 20:00" },
	{ "note", K_NOTE, "TEXT", "a few warm words, up to 280 characters" },
	JSON_FLAG,
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag json_only_flags[] = {
	JSON_FLAG,
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag log_flags[] = {
	{ "since", K_SINCE, "WHEN", "how far back: 7d (default), 30d, 2w, yesterday, 2026-11-01" },
	JSON_FLAG,
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag unpair_flags[] = {
	{ "tell", K_TELL, NULL, "also send them a signed farewell (default: leave silently)" },
	{ "yes", K_CONFIRM, NULL, "do not ask for confirmation" },
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag wipe_flags[] = {
	{ "yes", K_CONFIRM, NULL, "do not ask for confirmation" },
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag passphrase_flags[] = {
	{ "remove", K_REMOVE, NULL, "remove the passphrase (attuned no longer starts locked)" },
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag spark_flags[] = {
	{ "to", K_TO, "NAME", "the partner you are in the mood for" },
	{ "for", K_FOR, "DURATION", "how long the spark stays open: 30m, 2h (default), at most 12h" },
	{ "cancel", K_CANCEL, "NAME", "withdraw your spark for NAME" },
	JSON_FLAG,
	{ NULL, 0, NULL, NULL }
};
static const struct cli_flag no_flags[] = {
	{ NULL, 0, NULL, NULL }
};

static const struct cli_cmd commands[] = {
	{ "init", "--name NAME [--relay ADDRESS] [--invite TOKEN]",
	  "create your identity on this device",
	  "Run once per person, on the first device. A second device of yours joins with\n"
	  "`attune link` instead.", init_flags, 0, cmd_init },
	{ "pair", "[CODE] [--relay ADDRESS] [--json]",
	  "become partners: without CODE, print a code to read to your partner and wait",
	  "The inviting side prints a code like 42-crossover-clockwork (and a QR code on a\n"
	  "terminal) and waits up to 10 minutes; the partner runs `attune pair CODE`. Both\n"
	  "sides then show the same safety number: compare it. A wrong code burns the code.\n"
	  "With --json the code and link come first as one JSON line, the result as another.",
	  pair_flags, 1, cmd_pair },
	{ "link", "[CODE] [--relay ADDRESS] [--json]",
	  "add another device of your own, the same way as pairing",
	  "On the device that is set up: `attune link` prints a code. On the new device:\n"
	  "`attune link CODE` (no `attune init` there).", pair_flags, 0, cmd_link },
	{ "checkin", "--mood N --desire N --capacity N [--tag T]... [--open-to X]... [--note TEXT] [--to NAME]...",
	  "share how you are today",
	  "With no flags on a terminal, asks for each, also whether responsive, who may see\n"
	  "it and until when; Enter keeps the default (no, everyone, 04:00 next morning).\n"
	  "Levels take numbers or words:\n"
	  "  mood 1-5      awful, low, ok, good, great\n"
	  "  desire 0-5    none, low, some, medium, high, burning\n"
	  "  capacity 0-5  none, low, limited, ok, good, full\n"
	  "Lists take repeated flags or commas: --tag tired,stressed --open-to cuddle.",
	  checkin_flags, 1, cmd_checkin },
	{ "bid", "--to NAME[,NAME] [--kind KIND] [--note TEXT] [--at WHEN] [--until WHEN]",
	  "invite a partner; prints the bid's id",
	  "A bid names who it is for: there is no bid to everyone by default. On a terminal,\n"
	  "a bare `attune bid` asks what and for whom. Names match ignoring case. The id is\n"
	  "the same on every device that sees the bid: your partner answers with\n"
	  "`attune respond ID`.", bid_flags, 1, cmd_bid },
	{ "respond", "BID --yes|--not-tonight|--later [--reason T]... [--offer X]... [--raincheck WHEN] [--note TEXT]",
	  "answer a bid, with context",
	  "BID is the id `attune status` shows (a unique start of it is enough). Your\n"
	  "current check-in travels with the answer. A rain check becomes a reminder for\n"
	  "you at that time. Times: tonight, tomorrow, 'sat 20:00', +2d, '2026-12-01 20:00'.",
	  respond_flags, 1, cmd_respond },
	{ "retract", "ID", "take back one of your check-ins or bids", NULL, json_only_flags, 1, cmd_retract },
	{ "status", "[--json]", "each partner's latest check-in, open bids, rain checks",
	  NULL, json_only_flags, 1, cmd_status },
	{ "log", "[--since 7d] [--json]", "history, newest first, with a trend line per person",
	  NULL, log_flags, 1, cmd_log },
	{ "watch", "[--json]", "print events as they arrive (--json: one document per line)",
	  "Runs until Ctrl-C. When attuned goes away (restarted, stopped), says so once and\n"
	  "reconnects (every 250 ms at first, then up to every 5 s), then goes on printing.\n"
	  "Exit status 3 only when attuned is not running at the start.",
	  json_only_flags, 1, cmd_watch },
	{ "partners", "[--json]", "the people you are paired with", NULL, json_only_flags, 1, cmd_partners },
	{ "devices", "[--json]", "your devices (ids for `attune revoke`)", NULL, json_only_flags, 1, cmd_devices },
	{ "revoke", "DEVICE", "stop trusting one of your devices (lost, sold)",
	  "Partners stop encrypting to it at once. DEVICE is an id from `attune devices`.",
	  no_flags, 1, cmd_revoke },
	{ "unpair", "NAME [--tell] [--yes]", "end a partnership on this side",
	  "Nothing more is sent to or accepted from NAME, and their data is removed from\n"
	  "this device. Silent by default: NAME is told nothing. --tell sends a farewell.",
	  unpair_flags, 1, cmd_unpair },
	{ "export", "[--json]", "everything this device holds, as JSON", NULL, json_only_flags, 1, cmd_export },
	{ "spark", "--to NAME [--for DURATION] | --cancel NAME [--json]",
	  "say \"I'm in the mood for you\", shown only if NAME says it too",
	  "If NAME also sparks for you while both sparks are open, you are both told\n"
	  "(\"You're both in the mood\"). If not, nobody ever learns that anyone sparked,\n"
	  "not even afterwards: the two daemons compare in a private round every few\n"
	  "minutes whether or not anyone sparked. --json prints {\"id\",\"until\"}.",
	  spark_flags, 1, cmd_spark },
	{ "wishes", "[set ITEM yes|maybe|no | compare NAME | maybe-tier on|off] [--json]",
	  "your private yes/maybe/no list, compared so that only shared yeses show",
	  "Without arguments, lists the catalogue with your answers. `set` answers an item\n"
	  "(a catalogue id or your own words). `compare NAME` runs a round with NAME's\n"
	  "daemon (one per partner per day) and prints the items you both said yes to\n"
	  "(--json: {\"both\":[...],\"maybe\":[...]}); NAME sees the same, and nothing else\n"
	  "of your list. With `maybe-tier on` on both sides, items you both said at least\n"
	  "maybe to are shown too. A changed answer counts from the next round.",
	  json_only_flags, 1, cmd_wishes },
	{ "unlock", "", "give attuned the passphrase after it started (reads it from the terminal or stdin)",
	  "Needed after each start of attuned when the history is protected by a passphrase\n"
	  "(`attune init --passphrase` or `attune passphrase`).", no_flags, 1, cmd_unlock },
	{ "passphrase", "[--remove]", "set, change or remove the passphrase that protects the history",
	  "The storage key is then wrapped with Argon2id; attuned starts locked and waits for\n"
	  "`attune unlock`. Without a passphrase, the key file's permissions protect it.",
	  passphrase_flags, 1, cmd_passphrase },
	{ "wipe", "[--yes]", "destroy this device's keys and history",
	  "Keys first, then files; nothing is sent to anyone. attuned exits afterwards.",
	  wipe_flags, 0, cmd_wipe },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL }
};

int
cli_err(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("attune: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int
cli_usage_err(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fputs("attune: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see `attune %s --help`)\n", c->cmd->name);
	return CLI_EXIT_USAGE;
}

static void
print_help(const struct cli_cmd *cmd)
{
	const struct cli_flag *fl;

	printf("usage: attune %s %s\n\n%c%s.\n", cmd->name, cmd->usage,
	    toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	if (cmd->more != NULL)
		printf("\n%s\n", cmd->more);
	if (cmd->needs_init)
		printf("\nNeeds a set-up device (`attune init`) and a running attuned.\n");
	printf("\noptions:\n");
	for (fl = cmd->flags; fl->name != NULL; fl++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", fl->name, fl->arg ? " " : "",
		    fl->arg ? fl->arg : "");
		printf("  %-24s %s\n", left, fl->help);
	}
	printf("  %-24s %s\n", "--help", "this help");
}

static void
print_overview(FILE *f)
{
	const struct cli_cmd *cmd;

	fprintf(f, "usage: attune COMMAND [OPTIONS]\n\n"
	    "attune shares check-ins and bids for intimacy with your partners, end-to-end\n"
	    "encrypted, through attuned (the daemon on this device).\n\ncommands:\n");
	for (cmd = commands; cmd->name != NULL; cmd++)
		fprintf(f, "  %-10s %s\n", cmd->name, cmd->summary);
	fprintf(f, "\n`attune COMMAND --help` tells more; `man attune` tells all.\n"
	    "attune --version prints the version.\n");
}

int
cli_getopt(struct cli *c, int argc, char **argv,
    int (*on_flag)(void *ctx, int key, const char *arg), void *ctx, int *rest)
{
	struct option opts[FLAGS_MAX + 2];
	const struct cli_flag *fl;
	size_t n = 0;
	int key, rc;

	for (fl = c->cmd->flags; fl->name != NULL && n < FLAGS_MAX; fl++, n++) {
		opts[n].name = fl->name;
		opts[n].has_arg = fl->arg != NULL ? required_argument : no_argument;
		opts[n].flag = NULL;
		opts[n].val = fl->key;
	}
	opts[n++] = (struct option){ "help", no_argument, NULL, CLI_FLAG_HELP };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	opterr = 0;
	optind = 1;
	/* GNU getopt moves positional arguments to the end: flags may come after them. */
	while ((key = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (key) {
		case CLI_FLAG_HELP:
			print_help(c->cmd);
			return -1;
		case CLI_FLAG_JSON:
			c->json = 1;
			break;
		case '?':
			if (optopt != 0 && optopt < 256)
				return cli_usage_err(c, "unknown option -%c", optopt);
			return cli_usage_err(c, "unknown option %s", argv[optind - 1]);
		case ':':
			return cli_usage_err(c, "%s needs a value", argv[optind - 1]);
		default:
			if (on_flag == NULL)
				return cli_usage_err(c, "unexpected option %s", argv[optind - 1]);
			if ((rc = on_flag(ctx, key, optarg)) != 0)
				return rc;
		}
	}
	*rest = optind;
	return 0;
}

int
cli_connect(struct cli *c)
{
	int rc;

	if (c->conn != NULL)
		return 0;
	rc = attune_connect(&c->conn, NULL);
	if (rc == 0)
		return 0;
	return cli_transport_err(c, rc);
}

int
cli_transport_err(struct cli *c, int rc)
{
	char path[256] = "";

	(void)c;
	attune_socket_path(path, sizeof(path));
	switch (rc) {
	case ATTUNE_ENOTRUNNING:
		if (getenv("ATTUNE_HOME") != NULL)
			return cli_err(CLI_EXIT_DAEMON, "attuned is not running: start it with "
			    "`ATTUNE_HOME=%s attuned` (no socket at %s)", getenv("ATTUNE_HOME"), path);
		return cli_err(CLI_EXIT_DAEMON, "attuned is not running: start it with "
		    "`systemctl --user start attuned`");
	case ATTUNE_ESTALE:
		if (getenv("ATTUNE_HOME") != NULL)
			return cli_err(CLI_EXIT_DAEMON, "attuned is not running (stale socket %s, left "
			    "by an attuned that stopped): start it with `ATTUNE_HOME=%s attuned`", path,
			    getenv("ATTUNE_HOME"));
		return cli_err(CLI_EXIT_DAEMON, "attuned is not running (stale socket %s, left by an "
		    "attuned that stopped): start it with `systemctl --user start attuned`", path);
	case ATTUNE_ENOPATH:
		return cli_err(CLI_EXIT_DAEMON, "cannot find attuned: XDG_RUNTIME_DIR is not set; "
		    "log in to a user session or set ATTUNE_HOME");
	case ATTUNE_EDENIED:
		return cli_err(CLI_EXIT_DAEMON, "attuned's socket %s is not yours: run attune as "
		    "the user who runs attuned", path);
	case ATTUNE_ECLOSED:
		return cli_err(CLI_EXIT_DAEMON, "attuned closed the connection: see "
		    "`journalctl --user -u attuned`, then try again");
	case ATTUNE_ETIMEOUT:
		return cli_err(CLI_EXIT_DAEMON, "attuned did not answer in time: see "
		    "`journalctl --user -u attuned`, then try again");
	default:
		return cli_err(CLI_EXIT_DAEMON, "cannot talk to attuned: %s", attune_strerror(rc));
	}
}

int
cli_daemon_err(struct cli *c, const struct attune_reply *rep)
{
	const char *code = attune_reply_error_code(rep), *msg = attune_reply_error_msg(rep);
	char detail[300] = "";

	if (msg[0] != '\0') {
		snprintf(detail, sizeof(detail), " (%s)", msg);
		termtext_clean_inplace(detail);   /* it may quote a partner's name */
	}
	if (strcmp(code, "not-initialised") == 0)
		return cli_err(CLI_EXIT_FAIL, "this device is not set up yet: run "
		    "`attune init --name NAME` (or `attune link CODE` to join your other device)");
	if (strcmp(code, "already-initialised") == 0)
		return cli_err(CLI_EXIT_FAIL, "this device is already set up: `attune status` shows "
		    "who you are; `attune wipe` starts over");
	if (strcmp(code, "locked") == 0)
		return cli_err(CLI_EXIT_FAIL, "attuned is locked: run `attune unlock` and give the "
		    "passphrase");
	if (strcmp(code, "revoked") == 0)
		return cli_err(CLI_EXIT_FAIL, "%s", msg);
	if (strcmp(code, "wrong-passphrase") == 0)
		return cli_err(CLI_EXIT_FAIL, "wrong passphrase: try again with `attune %s`",
		    c->cmd->name);
	if (strcmp(code, "no-partner") == 0)
		return cli_err(CLI_EXIT_FAIL, "you have no partner yet: invite one with `attune pair`");
	if (strcmp(code, "unknown-partner") == 0)
		return cli_err(CLI_EXIT_FAIL, "no partner by that name%s: `attune partners` lists "
		    "their names", detail);
	if (strcmp(code, "not-found") == 0)
		return cli_err(CLI_EXIT_FAIL, "no such bid or event%s: `attune status` shows open "
		    "bids, `attune log` the rest", detail);
	if (strcmp(code, "out-of-range") == 0)
		return cli_err(CLI_EXIT_FAIL, "a value is out of range%s: see `attune %s --help`",
		    detail, c->cmd->name);
	if (strcmp(code, "relay-unreachable") == 0)
		return cli_err(CLI_EXIT_FAIL, "cannot reach the relay%s: check the address and the "
		    "network, then try again", detail);
	if (strcmp(code, "pairing-failed") == 0)
		return cli_err(CLI_EXIT_FAIL, "pairing failed: the code did not match (it is used up "
		    "now); start again with `attune %s`", c->cmd->name);
	if (strcmp(code, "code-expired") == 0)
		return cli_err(CLI_EXIT_FAIL, "that code has expired: ask for a new one "
		    "(`attune %s` on the other device)", c->cmd->name);
	if (strcmp(code, "code-used") == 0)
		return cli_err(CLI_EXIT_FAIL, "that code was already used: ask for a new one "
		    "(`attune %s` on the other device)", c->cmd->name);
	if (strcmp(code, "unknown-word") == 0 || strcmp(code, "bad-code") == 0)
		return cli_err(CLI_EXIT_FAIL, "that is not a pairing code%s: check it with the other "
		    "person", detail);
	if (strcmp(code, "not-allowed") == 0)
		return cli_err(CLI_EXIT_FAIL, "not allowed%s", detail);
	/* The consent rules (one live bid each, a pause after a no, closed bids): attuned's sentence says why. */
	if (strcmp(code, "no-passphrase") == 0)
		return cli_err(CLI_EXIT_FAIL, "there is no passphrase: nothing to remove");
	if (strcmp(code, "bid-open") == 0 || strcmp(code, "bid-paused") == 0 ||
	    strcmp(code, "bid-closed") == 0 || strcmp(code, "bid-retracted") == 0 ||
	    strcmp(code, "already-retracted") == 0)
		return cli_err(CLI_EXIT_FAIL, "%s", msg[0] ? msg : code);
	return cli_err(CLI_EXIT_FAIL, "attuned refused: %s [%s]", msg[0] ? msg : "no reason given",
	    code);
}

int
cli_call(struct cli *c, struct attune_req *req, struct attune_reply **out, int timeout_ms)
{
	int rc;

	*out = NULL;
	if ((rc = cli_connect(c)) != 0)
		return rc;
	rc = attune_call(c->conn, req, out, timeout_ms > 0 ? timeout_ms : CALL_TIMEOUT_MS);
	if (rc == 0)
		return 0;
	if (rc == ATTUNE_EDAEMON) {
		rc = cli_daemon_err(c, *out);
		attune_reply_free(*out);
		*out = NULL;
		return rc;
	}
	return cli_transport_err(c, rc);
}

void
cli_print_json(struct cli *c, const msgpack_object *o, int whole)
{
	static const char *const skip[] = { "t", "id", NULL };
	struct jsonw *w = jsonw_new(c->tty_out);
	const char *s;

	if (w == NULL)
		return;
	jsonw_msgpack(w, o, whole ? NULL : skip);
	if ((s = jsonw_data(w, NULL)) != NULL) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	jsonw_free(w);
}

static int
is_hex(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isxdigit((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * Looks for event ids starting with prefix anywhere in a reply (every "id"
 * of 32 characters, in events, bids and their answers). -1 when two differ.
 */
static int
match_prefix(const msgpack_object *o, const char *prefix, char out[33], int *found)
{
	size_t plen = strlen(prefix);
	uint32_t i;

	if (o->type == MSGPACK_OBJECT_ARRAY) {
		for (i = 0; i < o->via.array.size; i++)
			if (match_prefix(&o->via.array.ptr[i], prefix, out, found) < 0)
				return -1;
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_MAP)
		return 0;
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 2 &&
		    memcmp(k->via.str.ptr, "id", 2) == 0 && v->type == MSGPACK_OBJECT_STR &&
		    v->via.str.size == 32 && strncasecmp(v->via.str.ptr, prefix, plen) == 0) {
			if (*found && memcmp(out, v->via.str.ptr, 32) != 0)
				return -1;
			memcpy(out, v->via.str.ptr, 32);
			out[32] = '\0';
			*found = 1;
		} else if (match_prefix(v, prefix, out, found) < 0) {
			return -1;
		}
	}
	return 0;
}

#define PAGES_MAX 100000   /* pages of one history: a bound against a daemon that never ends */

static int
key_is(const msgpack_object *k, const char *name)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(name) &&
	    memcmp(k->via.str.ptr, name, k->via.str.size) == 0;
}

void
cli_pages_free(struct cli_pages *p)
{
	size_t i;

	for (i = 0; i < p->nrep; i++)
		attune_reply_free(p->rep[i]);
	free(p->rep);
	free(p->ev);
	free(p->kv);
	memset(p, 0, sizeof(*p));
}

/* The single-reply view of all pages: the first page's fields, every event. */
static int
pages_join(struct cli_pages *p)
{
	const msgpack_object *first = attune_reply_root(p->rep[0]);
	uint32_t i, n = 0;

	p->kv = calloc(first->via.map.size + 1, sizeof(*p->kv));
	if (p->kv == NULL)
		return ATT_ENOMEM;
	for (i = 0; i < first->via.map.size; i++) {
		const msgpack_object_kv *kv = &first->via.map.ptr[i];

		if (key_is(&kv->key, "t") || key_is(&kv->key, "id") || key_is(&kv->key, "more") ||
		    key_is(&kv->key, "next") || key_is(&kv->key, "events"))
			continue;
		p->kv[n++] = *kv;
	}
	p->kv[n].key.type = MSGPACK_OBJECT_STR;
	p->kv[n].key.via.str.ptr = "events";
	p->kv[n].key.via.str.size = 6;
	p->kv[n].val.type = MSGPACK_OBJECT_ARRAY;
	p->kv[n].val.via.array.size = (uint32_t)p->nev;
	p->kv[n].val.via.array.ptr = p->ev;
	n++;
	p->root.type = MSGPACK_OBJECT_MAP;
	p->root.via.map.size = n;
	p->root.via.map.ptr = p->kv;
	return 0;
}

int
cli_pages_fetch(struct cli *c, const char *type, uint64_t since, struct cli_pages *p)
{
	uint64_t offset = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = cli_connect(c)) != 0)
		return rc;
	for (;;) {
		struct attune_req req;
		struct attune_reply *rep, **nr;
		const msgpack_object *items;
		msgpack_object *ne;
		size_t n = 0;
		uint64_t next = 0;
		int more = 0;

		attune_req_begin(c->conn, &req, type, 1 + (since > 0));
		if (since > 0)
			attune_req_uint(&req, "since", since);
		attune_req_uint(&req, "offset", offset);
		rc = cli_call(c, &req, &rep, 0);
		attune_req_free(&req);
		if (rc != 0)
			goto fail;
		if ((nr = realloc(p->rep, (p->nrep + 1) * sizeof(*nr))) == NULL) {
			attune_reply_free(rep);
			rc = cli_err(CLI_EXIT_FAIL, "out of memory");
			goto fail;
		}
		p->rep = nr;
		p->rep[p->nrep++] = rep;
		if (attune_get_array(attune_reply_root(rep), "events", &items, &n) != 0)
			n = 0;
		if (n > 0) {
			if ((ne = realloc(p->ev, (p->nev + n) * sizeof(*ne))) == NULL) {
				rc = cli_err(CLI_EXIT_FAIL, "out of memory");
				goto fail;
			}
			p->ev = ne;
			memcpy(p->ev + p->nev, items, n * sizeof(*ne));
			p->nev += n;
		}
		attune_get_bool(attune_reply_root(rep), "more", &more);
		attune_get_uint(attune_reply_root(rep), "next", &next);
		/* A page must move forward, or the daemon is confused: stop rather than loop. */
		if (!more || next <= offset || p->nrep >= PAGES_MAX)
			break;
		offset = next;
	}
	if (pages_join(p) != 0) {
		rc = cli_err(CLI_EXIT_FAIL, "out of memory");
		goto fail;
	}
	return 0;
fail:
	cli_pages_free(p);
	return rc;
}

/* Asks attuned for type (status, then log) and looks for the prefix in it. */
static int
resolve_in(struct cli *c, const char *type, const char *prefix, char out[33], int *found)
{
	struct attune_req req;
	struct attune_reply *rep;
	struct cli_pages pages;
	int rc;

	if (strcmp(type, "log") == 0) {
		if ((rc = cli_pages_fetch(c, "log", 0, &pages)) != 0)
			return rc;
		rc = match_prefix(&pages.root, prefix, out, found);
		cli_pages_free(&pages);
		if (rc < 0)
			return cli_usage_err(c, "'%s' matches more than one event: give more of the id",
			    prefix);
		return 0;
	}
	attune_req_begin(c->conn, &req, type, 0);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	rc = match_prefix(attune_reply_root(rep), prefix, out, found);
	attune_reply_free(rep);
	if (rc < 0)
		return cli_usage_err(c, "'%s' matches more than one event: give more of the id", prefix);
	return 0;
}

int
cli_resolve_id(struct cli *c, const char *typed, char out[33])
{
	int rc, found = 0;

	if (!is_hex(typed) || strlen(typed) > 32)
		return cli_usage_err(c, "'%s' is not an id: ids are hex, as `attune status` shows them",
		    typed);
	if (strlen(typed) == 32) {
		for (int i = 0; i <= 32; i++)
			out[i] = (char)tolower((unsigned char)typed[i]);
		return 0;
	}
	if (strlen(typed) < 4)
		return cli_usage_err(c, "'%s' is too short: give at least 4 characters of the id",
		    typed);
	if ((rc = cli_connect(c)) != 0)
		return rc;
	/* Open bids are in the status; older events only in the history. */
	if ((rc = resolve_in(c, "status", typed, out, &found)) != 0)
		return rc;
	if (!found && (rc = resolve_in(c, "log", typed, out, &found)) != 0)
		return rc;
	if (!found)
		return cli_err(CLI_EXIT_FAIL, "no bid or event starts with '%s': `attune status` shows "
		    "open bids, `attune log` the rest", typed);
	return 0;
}

int
cli_ask(const char *prompt, char *buf, size_t cap)
{
	size_t n;

	fputs(prompt, stderr);
	fflush(stderr);
	if (fgets(buf, (int)cap, stdin) == NULL)
		return -1;
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

int
cli_ask_secret(struct cli *c, const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	int rc, echo_off = 0;

	if (c->tty_in && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	rc = cli_ask(c->tty_in ? prompt : "", buf, cap);
	if (echo_off) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return rc;
}

static const struct cli_cmd *
find_command(const char *name)
{
	const struct cli_cmd *cmd;

	for (cmd = commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

/* Columns for trend lines: the terminal's, else $COLUMNS, else 0 (render's 80). */
static int
terminal_width(int tty)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (cols != NULL && atoi(cols) > 0 && atoi(cols) < 10000)
		return atoi(cols);
	return 0;
}

static void
setup_output(struct cli *c)
{
	const char *term = getenv("TERM");
	const char *cs;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	c->tty_in = isatty(STDIN_FILENO);
	c->tty_out = isatty(STDOUT_FILENO);
	c->ro.now = time(NULL);
	c->ro.unicode = c->tty_out && cs != NULL && strcasecmp(cs, "UTF-8") == 0;
	c->ro.color = c->tty_out && getenv("NO_COLOR") == NULL &&
	    (term == NULL || strcmp(term, "dumb") != 0);
	c->ro.width = terminal_width(c->tty_out);
}

int
main(int argc, char **argv)
{
	struct cli c = { 0 };
	const struct cli_cmd *cmd;
	int rc;

	setup_output(&c);
	if (argc < 2) {
		print_overview(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("attune %s\n", ATTUNE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (cmd = find_command(argv[2])) != NULL) {
			print_help(cmd);
			return 0;
		}
		print_overview(stdout);
		return 0;
	}
	if ((cmd = find_command(argv[1])) == NULL) {
		cli_err(CLI_EXIT_USAGE, "'%s' is not a command: `attune --help` lists them", argv[1]);
		return CLI_EXIT_USAGE;
	}
	c.cmd = cmd;
	rc = cmd->run(&c, argc - 1, argv + 1);
	if (c.conn != NULL)
		attune_close(c.conn);
	fflush(stdout);
	return rc < 0 ? 0 : rc;
}
