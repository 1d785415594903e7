/* Set-up commands: init, pair, link, revoke, unpair, wipe. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>
#include <time.h>

#include "clients/cli/cli.h"
#include "clients/lib/termtext.h"
#include "proto/err.h"
#include "proto/pcode.h"

#define PAIR_TIMEOUT_MS (11 * 60 * 1000)   /* the daemon gives up at 10 minutes */

struct setup_args {
	struct cli *c;
	const char *name, *relay, *invite;
	int tell, confirmed, passphrase, remove;
};

static int
setup_flag(void *ctx, int key, const char *arg)
{
	struct setup_args *a = ctx;

	switch (key) {
	case K_NAME: a->name = arg; break;
	case K_RELAY: a->relay = arg; break;
	case K_INVITE: a->invite = arg; break;
	case K_TELL: a->tell = 1; break;
	case K_CONFIRM: a->confirmed = 1; break;
	case K_PASSPHRASE: a->passphrase = 1; break;
	case K_REMOVE: a->remove = 1; break;
	}
	return 0;
}

static int
relay_ok(struct cli *c, const char *relay)
{
	if (relay != NULL && strncmp(relay, "attune://", 9) != 0)
		return cli_usage_err(c, "--relay wants an address like attune://HOST:PORT/KEY "
		    "(`attune-relay address` prints it)");
	return 0;
}

#define PASS_MAX 1024

/* A new passphrase, typed twice on a terminal (once off a terminal). */
static int
new_passphrase(struct cli *c, char *pass, size_t cap)
{
	char again[PASS_MAX];
	int same;

	if (cli_ask_secret(c, "New passphrase: ", pass, cap) != 0 || pass[0] == '\0')
		return cli_err(CLI_EXIT_USAGE, "no passphrase given: nothing changed");
	if (!c->tty_in)
		return 0;
	if (cli_ask_secret(c, "The same again: ", again, sizeof(again)) != 0)
		again[0] = '\0';
	same = strcmp(pass, again) == 0;
	sodium_memzero(again, sizeof(again));
	if (!same) {
		sodium_memzero(pass, cap);
		return cli_err(CLI_EXIT_USAGE, "the two passphrases differ: nothing changed");
	}
	return 0;
}

int
cmd_unlock(struct cli *c, int argc, char **argv)
{
	struct attune_req req;
	struct attune_reply *rep;
	char pass[PASS_MAX];
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, NULL, NULL, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "the passphrase is read from the terminal or stdin, "
		    "not the command line");
	if ((rc = cli_connect(c)) != 0)
		return rc;
	if (cli_ask_secret(c, "Passphrase: ", pass, sizeof(pass)) != 0)
		return cli_err(CLI_EXIT_USAGE, "no passphrase given");
	attune_req_begin(c->conn, &req, "unlock", 1);
	attune_req_str(&req, "passphrase", pass);
	sodium_memzero(pass, sizeof(pass));
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	printf("Unlocked.\n");
	attune_reply_free(rep);
	return 0;
}

int
cmd_passphrase(struct cli *c, int argc, char **argv)
{
	struct setup_args a = { .c = c };
	struct attune_req req;
	struct attune_reply *rep;
	char pass[PASS_MAX] = "", cur[PASS_MAX] = "";
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, setup_flag, &a, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "the passphrase is read from the terminal or stdin, "
		    "not the command line");
	if ((rc = cli_connect(c)) != 0)
		return rc;
	/* The current one first (off a terminal: the first line; empty when there is none). */
	if (cli_ask_secret(c, "Current passphrase (Enter if there is none): ", cur, sizeof(cur)) != 0)
		cur[0] = '\0';
	if (!a.remove && (rc = new_passphrase(c, pass, sizeof(pass))) != 0) {
		sodium_memzero(cur, sizeof(cur));
		return rc;
	}
	attune_req_begin(c->conn, &req, "passphrase", !a.remove + (cur[0] != '\0'));
	if (!a.remove)
		attune_req_str(&req, "passphrase", pass);
	if (cur[0] != '\0')
		attune_req_str(&req, "current", cur);
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(cur, sizeof(cur));
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	if (a.remove)
		printf("Passphrase removed: attuned no longer starts locked.\n");
	else
		printf("Passphrase set: after each start of attuned, `attune unlock`.\n");
	attune_reply_free(rep);
	return 0;
}

#define INIT_WAIT_MS 5000   /* how long init waits to hear the relay take the invite */

/*
 * After init with a relay and an invite: waits until attuned is registered
 * at the relay, or the relay refused the invite, or INIT_WAIT_MS passed, and
 * says which (issue 13: a bogus invite said "Welcome", rc 0). 0 or exit 1.
 */
static int
init_registered(struct cli *c, const char *relay)
{
	int waited;

	for (waited = 0; waited < INIT_WAIT_MS; waited += 100) {
		struct attune_req req;
		struct attune_reply *rep;
		const msgpack_object *me;
		char refused[40] = "";
		int connected = 0;

		attune_req_begin(c->conn, &req, "status", 0);
		if (cli_call(c, &req, &rep, 0) != 0) {
			attune_req_free(&req);
			return CLI_EXIT_FAIL;
		}
		attune_req_free(&req);
		if (attune_get_map(attune_reply_root(rep), "me", &me) == 0) {
			attune_get_bool(me, "connected", &connected);
			attune_get_strz(me, "relay_refused", refused, sizeof(refused));
		}
		attune_reply_free(rep);
		if (connected)
			return 0;
		if (refused[0] != '\0')
			return cli_err(CLI_EXIT_FAIL, "the relay refused the invite (%s): this device is set "
			    "up but cannot use the relay; ask its operator for a new invite (attune-relay "
			    "invite), then `attune wipe --yes` and `attune init` again", refused);
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return cli_err(CLI_EXIT_FAIL, "cannot reach the relay at %s yet: this device is set up and "
	    "attuned keeps trying; `attune status` says when it is connected", relay);
}

int
cmd_init(struct cli *c, int argc, char **argv)
{
	struct setup_args a = { .c = c };
	struct attune_req req;
	struct attune_reply *rep;
	char dev[64] = "", pass[PASS_MAX];
	const char *why;
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, setup_flag, &a, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "unexpected '%s' (the name goes in --name)", argv[rest]);
	if (a.name == NULL || a.name[0] == '\0')
		return cli_usage_err(c, "choose the name your partners will see: --name NAME");
	if (a.name[strspn(a.name, " \t")] == '\0')
		return cli_usage_err(c, "the name is blank: choose one your partners will recognise, "
		    "--name NAME");
	/* Controls (C0, DEL, C1, bidi), bad UTF-8, length: termtext has the one list. */
	if ((why = termtext_name_check(a.name)) != NULL)
		return cli_usage_err(c, "%s: choose a plain name your partners will see", why);
	if ((rc = relay_ok(c, a.relay)) != 0)
		return rc;
	if (a.passphrase && (rc = new_passphrase(c, pass, sizeof(pass))) != 0)
		return rc;
	if ((rc = cli_connect(c)) != 0)
		goto out;
	attune_req_begin(c->conn, &req, "init", 1 + (a.relay != NULL) + (a.invite != NULL) +
	    a.passphrase);
	attune_req_str(&req, "name", a.name);
	if (a.relay != NULL)
		attune_req_str(&req, "relay", a.relay);
	if (a.invite != NULL)
		attune_req_str(&req, "invite", a.invite);
	if (a.passphrase)
		attune_req_str(&req, "passphrase", pass);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	sodium_memzero(pass, sizeof(pass));
	if (rc != 0)
		return rc;
	if (c->json) {
		cli_print_json(c, attune_reply_root(rep), 0);
	} else {
		attune_get_strz(attune_reply_root(rep), "device", dev, sizeof(dev));
		printf("Welcome, %s. This device is %s.\n", a.name, dev);
		if (a.relay == NULL)
			printf("No relay yet: you will use your partner's when you pair "
			    "(`attune pair CODE --relay ADDRESS`).\n");
		printf("Next: `attune pair` to invite a partner, or `attune pair CODE` to join one.\n");
		if (a.passphrase)
			printf("Your history is protected by the passphrase: after attuned starts, "
			    "`attune unlock`.\n");
	}
	attune_reply_free(rep);
	if (a.relay != NULL && a.invite != NULL && !a.passphrase)
		return init_registered(c, a.relay);
	return 0;
out:
	sodium_memzero(pass, sizeof(pass));
	return rc;
}

static void
print_code(struct cli *c, const msgpack_object *root, int link)
{
	char code[96] = "", url[512] = "";

	attune_get_strz(root, "code", code, sizeof(code));
	attune_get_strz(root, "link", url, sizeof(url));
	if (c->json) {
		/* The first JSON line, for scripts that pass the code on. */
		c->tty_out = 0;
		cli_print_json(c, root, 0);
		return;
	}
	printf("%s this code %s (it works once, for 10 minutes):\n\n    %s\n\n",
	    link ? "Type" : "Read", link ? "on your other device" : "to your partner", code);
	/* The link carries the relay too: a fresh device knows no relay yet. */
	printf("%s run:\n\n    attune %s %s\n\n", link ? "There," : "They",
	    link ? "link" : "pair", url[0] != '\0' ? url : code);
	if (url[0] != '\0')
		printf("(a device that already uses this relay may give just the code: attune %s %s)\n",
		    link ? "link" : "pair", code);
	if (c->tty_out && url[0] != '\0') {
		printf("\nor scan this with a phone:\n\n");
		qr_print(stdout, url, c->ro.unicode);
	}
	printf("\nWaiting...\n");
	fflush(stdout);
}

/* Space-separated items six to a line, the first after label, the rest under it. */
static void
print_rows(const char *label, const char *items)
{
	const char *p = items;
	int k = 0;

	termtext_put(stdout, label, strlen(label));
	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (k > 0)
			fputs(k % 6 == 0 ? "\n               " : " ", stdout);
		termtext_put(stdout, p, n);
		p += n;
		p += strspn(p, " ");
		k++;
	}
	fputc('\n', stdout);
}

static void
print_paired(struct cli *c, const msgpack_object *root, int link)
{
	char who[96] = "", safety[128] = "", words[256] = "";

	if (c->json) {
		c->tty_out = 0;
		cli_print_json(c, root, 0);
		return;
	}
	attune_get_strz(root, "partner", who, sizeof(who));
	termtext_clean_inplace(who);
	attune_get_strz(root, "safety", safety, sizeof(safety));
	attune_get_strz(root, "safety_words", words, sizeof(words));
	if (link)
		printf("Linked: this device and your other one now share your identity%s%s.\n",
		    who[0] ? " as " : "", who);
	else
		printf("Paired with %s.\n", who[0] ? who : "your partner");
	if (safety[0] != '\0') {
		print_rows("Safety number: ", safety);
		if (words[0] != '\0')
			print_rows("           or: ", words);
		printf("Compare it with the other screen. If it differs, someone is in between: "
		    "run `attune %s%s%s` and pair again in person.\n", link ? "revoke" : "unpair ",
		    link ? "" : (who[0] ? who : "NAME"), link ? " DEVICE" : "");
	}
}

static int
pair_or_link(struct cli *c, int argc, char **argv, const char *type)
{
	struct setup_args a = { .c = c };
	struct attune_req req;
	struct attune_reply *rep;
	int rc, rest, link = strcmp(type, "link") == 0;
	char *code = NULL, link_relay[512];

	if ((rc = cli_getopt(c, argc, argv, setup_flag, &a, &rest)) != 0)
		return rc;
	if (rest < argc)
		code = argv[rest++];
	if (rest < argc)
		return cli_usage_err(c, "unexpected '%s'", argv[rest]);
	/* The whole pairing link (attune://HOST:PORT/KEY#CODE, the QR code's text) carries the relay. */
	if (code != NULL && strncmp(code, "attune://", 9) == 0) {
		char *hash = strchr(code, '#');

		if (hash == NULL || hash[1] == '\0')
			return cli_usage_err(c, "that link has no code after '#'");
		if (hash - code >= (ptrdiff_t)sizeof(link_relay))
			return cli_usage_err(c, "that link is too long");
		memcpy(link_relay, code, (size_t)(hash - code));
		link_relay[hash - code] = '\0';
		if (a.relay == NULL)
			a.relay = link_relay;
		code = hash + 1;
	}
	if ((rc = relay_ok(c, a.relay)) != 0)
		return rc;
	if (code != NULL) {
		char why[200];
		uint32_t np;
		uint8_t words[2];

		if (pcode_parse(code, &np, words, why, sizeof(why)) != 0)
			return cli_usage_err(c, "%s", why);
		sodium_memzero(words, sizeof(words));
	}
	if ((rc = cli_connect(c)) != 0)
		return rc;
	attune_req_begin(c->conn, &req, type, (code != NULL) + (a.relay != NULL));
	if (code != NULL)
		attune_req_str(&req, "code", code);
	if (a.relay != NULL)
		attune_req_str(&req, "relay", a.relay);
	rc = attune_send(c->conn, &req);
	attune_req_free(&req);
	if (rc != 0)
		return cli_transport_err(c, rc);
	if (code != NULL && !c->json)
		fprintf(stderr, "Joining with %s...\n", code);
	for (;;) {
		const char *t;

		rc = attune_recv(c->conn, &rep, PAIR_TIMEOUT_MS);
		if (rc != 0)
			return cli_transport_err(c, rc);
		if (attune_reply_id(rep) != req.id && attune_reply_id(rep) != 0) {
			attune_reply_free(rep);
			continue;
		}
		t = attune_reply_type(rep);
		if (attune_reply_is_error(rep)) {
			rc = cli_daemon_err(c, rep);
			attune_reply_free(rep);
			return rc;
		}
		if (strcmp(t, "pairing") == 0) {
			if (code == NULL)
				print_code(c, attune_reply_root(rep), link);
		} else if (strcmp(t, "paired") == 0 || strcmp(t, "linked") == 0) {
			print_paired(c, attune_reply_root(rep), link);
			attune_reply_free(rep);
			return 0;
		}
		attune_reply_free(rep);
	}
}

int
cmd_pair(struct cli *c, int argc, char **argv)
{
	return pair_or_link(c, argc, argv, "pair");
}

int
cmd_link(struct cli *c, int argc, char **argv)
{
	return pair_or_link(c, argc, argv, "link");
}

/*
 * The full id of one of this person's devices from what was typed: the id,
 * or a unique start of it (`attune devices` lists them). Prints the
 * sentence and returns the exit status when there is none or several.
 */
static int
device_resolve(struct cli *c, const char *typed, char *out, size_t cap)
{
	struct attune_req req;
	struct attune_reply *rep;
	const msgpack_object *items;
	size_t n = 0, i, found = 0, tlen = strlen(typed);
	int rc;

	if (tlen == 0 || tlen >= cap || strspn(typed, "0123456789abcdefABCDEF") != tlen)
		return cli_usage_err(c, "'%s' is not a device id: ids are hex, as `attune devices` "
		    "shows them", typed);
	attune_req_begin(c->conn, &req, "devices", 0);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	if (attune_get_array(attune_reply_root(rep), "devices", &items, &n) != 0)
		n = 0;
	for (i = 0; i < n; i++) {
		char id[64] = "";

		if (attune_get_strz(&items[i], "id", id, sizeof(id)) != 0 ||
		    strncasecmp(id, typed, tlen) != 0)
			continue;
		if (found++ == 0)
			snprintf(out, cap, "%s", id);
	}
	attune_reply_free(rep);
	if (found == 0)
		return cli_err(CLI_EXIT_FAIL, "no such device '%s': `attune devices` lists yours", typed);
	if (found > 1)
		return cli_usage_err(c, "'%s' is the start of more than one device id: give more of it",
		    typed);
	return 0;
}

int
cmd_revoke(struct cli *c, int argc, char **argv)
{
	struct attune_req req;
	struct attune_reply *rep;
	char dev[64];
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, NULL, NULL, &rest)) != 0)
		return rc;
	if (rest + 1 != argc)
		return cli_usage_err(c, "give one device id, as `attune devices` shows it");
	if ((rc = cli_connect(c)) != 0)
		return rc;
	if ((rc = device_resolve(c, argv[rest], dev, sizeof(dev))) != 0)
		return rc;
	attune_req_begin(c->conn, &req, "revoke", 1);
	attune_req_str(&req, "device", dev);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	printf("Revoked %s: your partners stop encrypting to it now.\n", dev);
	attune_reply_free(rep);
	return 0;
}

/* Asks the person to type word; 0 when they did. */
static int
confirm(struct cli *c, const char *what, const char *word)
{
	char buf[128];

	if (!c->tty_in)
		return cli_usage_err(c, "%s: add --yes to confirm", what);
	fprintf(stderr, "%s.\nType '%s' to go ahead: ", what, word);
	if (cli_ask("", buf, sizeof(buf)) != 0 || strcmp(buf, word) != 0)
		return cli_err(CLI_EXIT_FAIL, "not confirmed: nothing changed");
	return 0;
}

int
cmd_unpair(struct cli *c, int argc, char **argv)
{
	struct setup_args a = { .c = c };
	struct attune_req req;
	struct attune_reply *rep;
	char what[256], name[256];
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, setup_flag, &a, &rest)) != 0)
		return rc;
	if (rest + 1 != argc)
		return cli_usage_err(c, "give one partner's name, as `attune partners` shows it");
	if (!a.confirmed) {
		snprintf(what, sizeof(what), "This ends the partnership with %s on this device and "
		    "removes their data here%s", argv[rest], a.tell ? "; they get a farewell" :
		    "; they are told nothing");
		if ((rc = confirm(c, what, argv[rest])) != 0)
			return rc;
	}
	if ((rc = cli_connect(c)) != 0)
		return rc;
	if ((rc = cli_partner_resolve(c, argv[rest], name, sizeof(name))) != 0)
		return rc;
	attune_req_begin(c->conn, &req, "unpair", 2);
	attune_req_str(&req, "name", name);
	attune_req_bool(&req, "tell", a.tell);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	printf("Unpaired from %s.%s\n", name, a.tell ? " They were told." : "");
	attune_reply_free(rep);
	return 0;
}

int
cmd_wipe(struct cli *c, int argc, char **argv)
{
	struct setup_args a = { .c = c };
	struct attune_req req;
	struct attune_reply *rep;
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, setup_flag, &a, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "unexpected '%s'", argv[rest]);
	if (!a.confirmed && (rc = confirm(c, "This destroys this device's keys and history for "
	    "good; nothing is sent to anyone", "wipe")) != 0)
		return rc;
	if ((rc = cli_connect(c)) != 0)
		return rc;
	attune_req_begin(c->conn, &req, "wipe", 1);
	attune_req_bool(&req, "confirm", 1);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	printf("Wiped: keys and history are gone from this device; attuned has stopped.\n");
	attune_reply_free(rep);
	return 0;
}
