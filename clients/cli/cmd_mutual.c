/*
 * attune spark and attune wishes: the mutual-only reveal commands
 * (docs/PROTOCOL.md section 9). The answers stay in attuned; these commands
 * only set them and show what came back.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clients/cli/cli.h"

#define COMPARE_TIMEOUT_MS (11 * 60 * 1000)  /* a round gives up after 10 minutes */

struct spark_args {
	const char *to, *cancel, *dur;
};

static int
spark_flag(void *ctx, int key, const char *arg)
{
	struct spark_args *a = ctx;

	if (key == K_TO)
		a->to = arg;
	else if (key == K_CANCEL)
		a->cancel = arg;
	else if (key == K_FOR)
		a->dur = arg;
	return 0;
}

/* "2h", "90m", "1h30m", "45" (minutes): seconds, or 0 when not understood. */
static uint64_t
parse_duration(const char *s)
{
	uint64_t total = 0;

	if (*s == '\0')
		return 0;
	while (*s != '\0') {
		char *end;
		unsigned long long v;

		if (!isdigit((unsigned char)*s))
			return 0;
		v = strtoull(s, &end, 10);
		if (v > 10000)
			return 0;
		switch (*end) {
		case 'h': total += v * 3600; end++; break;
		case 'm': total += v * 60; end++; break;
		case 's': total += v; end++; break;
		case '\0': total += v * 60; break;
		default: return 0;
		}
		s = end;
	}
	return total;
}

/* A library call's status as the CLI's exit status, with its sentence printed. */
static int
lib_result(struct cli *c, int rc, struct attune_reply *err)
{
	if (rc == 0)
		return 0;
	if (rc == ATTUNE_EDAEMON && err != NULL) {
		rc = cli_daemon_err(c, err);
		attune_reply_free(err);
		return rc;
	}
	return cli_transport_err(c, rc);
}

int
cmd_spark(struct cli *c, int argc, char **argv)
{
	struct spark_args a = { NULL, NULL, NULL };
	struct attune_reply *err = NULL;
	uint64_t dur = 0, until = 0;
	char id[ATTUNE_SPARK_ID_LEN + 1] = "";
	int rc, rest, cancelled = 0;

	if ((rc = cli_getopt(c, argc, argv, spark_flag, &a, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "unexpected '%s'", argv[rest]);
	if ((a.to == NULL) == (a.cancel == NULL))
		return cli_usage_err(c, "say --to NAME (or --cancel NAME)");
	if (a.dur != NULL && ((dur = parse_duration(a.dur)) < 60 || dur > 12 * 3600))
		return cli_usage_err(c, "--for takes 1m to 12h, e.g. 2h, 90m, 1h30m");
	if ((rc = cli_connect(c)) != 0)
		return rc;
	if (a.cancel != NULL) {
		rc = attune_spark_cancel(c->conn, a.cancel, &cancelled, &err);
		if ((rc = lib_result(c, rc, err)) != 0)
			return rc;
		if (c->json)
			printf("{\"cancelled\":%s}\n", cancelled ? "true" : "false");
		else
			printf(cancelled ? "Spark for %s withdrawn.\n" : "There was no spark for %s.\n", a.cancel);
		return 0;
	}
	/* Two statements: err is set by the call, so it must be read after it. */
	rc = attune_spark(c->conn, a.to, dur, id, &until, &err);
	if ((rc = lib_result(c, rc, err)) != 0)
		return rc;
	if (c->json) {
		printf("{\"id\":\"%s\",\"until\":%llu}\n", id, (unsigned long long)until);
	} else {
		time_t t = (time_t)until;
		char when[32];
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%H:%M", &tm);
		printf("Spark set for %s until %s. If %s sparks for you too before then, you are\n"
		    "both told. If not, nobody ever learns of it.\n", a.to, when, a.to);
	}
	return 0;
}

/* ---- wishes ---- */

static void
print_list(const msgpack_object *root)
{
	const msgpack_object *items, *cust, *cmp;
	size_t n, i;
	char last[32] = "";
	int tier = 0;

	attune_get_bool(root, "maybe_tier", &tier);
	if (attune_get_array(root, "items", &items, &n) == 0)
		for (i = 0; i < n; i++) {
			char id[40], label[80], cat[32], ans[8];

			attune_get_strz(&items[i], "id", id, sizeof(id));
			attune_get_strz(&items[i], "label", label, sizeof(label));
			attune_get_strz(&items[i], "category", cat, sizeof(cat));
			attune_get_strz(&items[i], "answer", ans, sizeof(ans));
			if (strcmp(cat, last) != 0) {
				printf("%s%s\n", last[0] ? "\n" : "", cat);
				snprintf(last, sizeof(last), "%s", cat);
			}
			printf("  %-5s  %-22s %s\n", ans, id, label);
		}
	if (attune_get_array(root, "custom", &cust, &n) == 0 && n > 0) {
		printf("\nyour own\n");
		for (i = 0; i < n; i++) {
			char text[80], ans[8];

			attune_get_strz(&cust[i], "text", text, sizeof(text));
			attune_get_strz(&cust[i], "answer", ans, sizeof(ans));
			printf("  %-5s  %s\n", ans, text);
		}
	}
	printf("\nmaybe tier: %s\n", tier ? "on (items you both said at least maybe to are shown too, if they opted in)" : "off");
	if (attune_get_array(root, "compared", &cmp, &n) == 0)
		for (i = 0; i < n; i++) {
			const msgpack_object *both;
			size_t nb, j;
			char name[80];
			uint64_t at = 0;

			attune_get_strz(&cmp[i], "name", name, sizeof(name));
			attune_get_uint(&cmp[i], "at", &at);
			if (at == 0 || attune_get_array(&cmp[i], "both", &both, &nb) != 0)
				continue;
			printf("last compared with %s: both said yes to ", name);
			for (j = 0; j < nb; j++)
				printf("%s%.*s", j ? ", " : "", (int)both[j].via.str.size, both[j].via.str.ptr);
			printf("%s\n", nb ? "" : "nothing (yet)");
		}
	printf("\nSet an answer: attune wishes set ITEM yes|maybe|no (ITEM: an id above, or your own words)\n");
}

static void
print_strs(const msgpack_object *root, const char *key, const char *title)
{
	const msgpack_object *a;
	size_t n, i;

	if (attune_get_array(root, key, &a, &n) != 0)
		return;
	printf("%s", title);
	for (i = 0; i < n; i++)
		printf("%s%.*s", i ? ", " : " ", (int)a[i].via.str.size, a[i].via.str.ptr);
	printf("%s\n", n ? "" : " nothing");
}

static int
wishes_show(struct cli *c, struct attune_reply *rep, int list)
{
	if (c->json)
		cli_print_json(c, attune_reply_root(rep), 0);
	else if (list)
		print_list(attune_reply_root(rep));
	else if (strcmp(attune_reply_type(rep), "wishes-compare") == 0) {
		char with[80] = "";

		attune_get_strz(attune_reply_root(rep), "with", with, sizeof(with));
		printf("Compared with %s.\n", with);
		print_strs(attune_reply_root(rep), "both", "Both of you said yes to:");
		print_strs(attune_reply_root(rep), "maybe", "Both of you said at least maybe to:");
	} else {
		char item[80] = "", ans[8] = "";
		int tier;

		if (attune_get_bool(attune_reply_root(rep), "maybe_tier", &tier) == 0)
			printf("Maybe tier %s.\n", tier ? "on" : "off");
		else {
			attune_get_strz(attune_reply_root(rep), "item", item, sizeof(item));
			attune_get_strz(attune_reply_root(rep), "answer", ans, sizeof(ans));
			printf("%s: %s (kept on this device; counts from the next round)\n", item, ans);
		}
	}
	attune_reply_free(rep);
	return 0;
}

static int
wishes_call(struct cli *c, struct attune_req *req, int timeout_ms, int list)
{
	struct attune_reply *rep;
	int rc = cli_call(c, req, &rep, timeout_ms);

	attune_req_free(req);
	return rc != 0 ? rc : wishes_show(c, rep, list);
}

int
cmd_wishes(struct cli *c, int argc, char **argv)
{
	struct attune_reply *rep = NULL, *err = NULL;
	struct attune_req req;
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, NULL, NULL, &rest)) != 0)
		return rc;
	if (rest == argc) {
		if ((rc = cli_connect(c)) != 0)
			return rc;
		attune_req_begin(c->conn, &req, "wishes", 0);
		return wishes_call(c, &req, 0, 1);
	}
	if (strcmp(argv[rest], "set") == 0) {
		if (argc - rest != 3)
			return cli_usage_err(c, "say: attune wishes set ITEM yes|maybe|no");
		if (strcmp(argv[rest + 2], "yes") != 0 && strcmp(argv[rest + 2], "maybe") != 0 &&
		    strcmp(argv[rest + 2], "no") != 0)
			return cli_usage_err(c, "the answer is yes, maybe or no");
		if ((rc = cli_connect(c)) != 0)
			return rc;
		attune_req_begin(c->conn, &req, "wishes-set", 2);
		attune_req_str(&req, "item", argv[rest + 1]);
		attune_req_str(&req, "answer", argv[rest + 2]);
		return wishes_call(c, &req, 0, 0);
	}
	if (strcmp(argv[rest], "maybe-tier") == 0) {
		if (argc - rest != 2 || (strcmp(argv[rest + 1], "on") != 0 && strcmp(argv[rest + 1], "off") != 0))
			return cli_usage_err(c, "say: attune wishes maybe-tier on|off");
		if ((rc = cli_connect(c)) != 0)
			return rc;
		attune_req_begin(c->conn, &req, "wishes-set", 1);
		attune_req_bool(&req, "maybe_tier", strcmp(argv[rest + 1], "on") == 0);
		return wishes_call(c, &req, 0, 0);
	}
	if (strcmp(argv[rest], "compare") == 0) {
		if (argc - rest != 2)
			return cli_usage_err(c, "say: attune wishes compare NAME");
		if ((rc = cli_connect(c)) != 0)
			return rc;
		if (!c->json && c->tty_out)
			fprintf(stderr, "Comparing with %s (both daemons take part; this takes a moment)...\n",
			    argv[rest + 1]);
		rc = attune_wishes_compare(c->conn, argv[rest + 1], COMPARE_TIMEOUT_MS, &rep, &err);
		if ((rc = lib_result(c, rc, err)) != 0)
			return rc;
		return wishes_show(c, rep, 0);
	}
	return cli_usage_err(c, "unknown '%s': wishes [set ITEM ANSWER | compare NAME | maybe-tier on|off]",
	    argv[rest]);
}
