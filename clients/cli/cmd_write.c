/* The commands that write: checkin, bid, respond, retract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clients/cli/cli.h"
#include "clients/lib/jsonw.h"
#include "clients/lib/termtext.h"
#include "clients/lib/vocab.h"
#include "clients/lib/when.h"
#include "proto/err.h"

#define NAMES_MAX 32
#define NAME_MAX_LEN 64
#define ONLY_FIELDS 7

/* Partner names as typed: case kept, comma lists split and trimmed (vocab_split). */
struct names {
	size_t n;
	char name[NAMES_MAX][NAME_MAX_LEN + 1];
};

/*
 * Adds the names of arg (a comma list) to l. A list that names nobody
 * ("", ",") is a usage error: an empty audience must never widen into
 * "everyone". what (the flag) and what_arg (NULL: arg) are for the sentence.
 */
static int
names_add(struct cli *c, struct names *l, const char *arg, const char *what,
    const char *what_arg)
{
	const char *p = arg, *start;
	size_t len, added = 0;

	while (vocab_split(&p, &start, &len)) {
		size_t i;
		int dup = 0;

		added++;
		if (len > NAME_MAX_LEN)
			return cli_usage_err(c, "'%.*s...' is longer than a partner's name can be", 20, start);
		for (i = 0; i < l->n; i++)
			if (strlen(l->name[i]) == len && strncasecmp(l->name[i], start, len) == 0)
				dup = 1;
		if (dup)
			continue;
		if (l->n == NAMES_MAX)
			return cli_usage_err(c, "too many names (at most %d)", NAMES_MAX);
		memcpy(l->name[l->n], start, len);
		l->name[l->n++][len] = '\0';
	}
	if (added == 0)
		return cli_usage_err(c, "%s '%s' names nobody: give a partner's name "
		    "(`attune partners` lists them)", what, what_arg != NULL ? what_arg : arg);
	return 0;
}

static void
req_names(struct attune_req *req, const char *key, const struct names *l)
{
	const char *v[NAMES_MAX];
	size_t i;

	for (i = 0; i < l->n; i++)
		v[i] = l->name[i];
	attune_req_strv(req, key, v, l->n);
}

static void
req_words(struct attune_req *req, const char *key, const struct vocab_list *l)
{
	const char *v[VOCAB_LIST_MAX];
	size_t i;

	for (i = 0; i < l->n; i++)
		v[i] = l->item[i];
	attune_req_strv(req, key, v, l->n);
}

static int
add_words(struct cli *c, struct vocab_list *l, const char *flag, const char *arg)
{
	switch (vocab_list_add(l, arg)) {
	case 0:
		return 0;
	case ATT_ELIMIT:
		return cli_usage_err(c, "too many items for --%s (at most %d)", flag, VOCAB_LIST_MAX);
	case ATT_ESTRLONG:
		return cli_usage_err(c, "an item of --%s is too long (at most %d letters)", flag,
		    VOCAB_ITEM_MAX);
	default:
		return cli_usage_err(c, "--%s has characters that cannot be sent", flag);
	}
}

static int
level(struct cli *c, enum vocab_scale s, const char *arg, int *out)
{
	const char *name = vocab_scale_name(s);
	int lo = vocab_scale_min(s), hi = vocab_scale_max(s), v, rc;
	char words[96] = "";

	for (v = lo; v <= hi; v++) {
		strcat(words, vocab_level_word(s, v));
		strcat(words, v < hi ? ", " : "");
	}
	rc = vocab_level(s, arg, out);
	if (rc == ATT_ERANGE)
		return cli_usage_err(c, "%s %s is out of range: %s goes from %d to %d (or %s)",
		    name, arg, name, lo, hi, words);
	if (rc != 0)
		return cli_usage_err(c, "'%s' is not a %s: use %d-%d or %s (or skip: rather not say)",
		    arg, name, lo, hi, words);
	return 0;
}

static int
note_ok(struct cli *c, const char *note)
{
	long n = vocab_chars(note);

	if (n < 0)
		return cli_usage_err(c, "the note is not valid UTF-8 text");
	if (vocab_has_control(note))
		return cli_usage_err(c, "control characters are not allowed in a note "
		    "(line breaks and tabs are fine)");
	if (n > VOCAB_NOTE_MAX)
		return cli_usage_err(c, "the note has %ld characters: at most %d fit", n, VOCAB_NOTE_MAX);
	return 0;
}

/* Sets *slot once; the same flag again with another value is a contradiction (exit 2). */
static int
once_str(struct cli *c, const char **slot, const char *flag, const char *arg)
{
	if (*slot != NULL && strcmp(*slot, arg) != 0)
		return cli_usage_err(c, "--%s '%s' and --%s '%s' contradict each other: give one",
		    flag, *slot, flag, arg);
	*slot = arg;
	return 0;
}

#define LEVEL_UNSET (-2)   /* not given (VOCAB_SKIP, -1, is "rather not say") */

static int
once_int(struct cli *c, int *slot, int v, const char *flag, const char *a, const char *b)
{
	if (*slot != LEVEL_UNSET && *slot != v)
		return cli_usage_err(c, "--%s %s and --%s %s contradict each other: give one",
		    flag, a, flag, b);
	*slot = v;
	return 0;
}

static int
once_time(struct cli *c, time_t *slot, time_t v, const char *flag)
{
	if (*slot != 0 && *slot != v)
		return cli_usage_err(c, "--%s is given twice with different times: give one", flag);
	*slot = v;
	return 0;
}

static int
parse_when(struct cli *c, const char *flag, const char *arg, int future, time_t *out)
{
	char why[200];

	if (when_parse(arg, c->ro.now, out, why, sizeof(why)) != 0)
		return cli_usage_err(c, "--%s: %s", flag, why);
	if (future && *out < c->ro.now - 60)
		return cli_usage_err(c, "--%s %s is in the past", flag, arg);
	return 0;
}

/* The new event's id from an ok reply (docs/PROTOCOL.md 8.1: event_id). */
static void
written_id(const struct attune_reply *rep, char id[40])
{
	id[0] = '\0';
	attune_get_strz(attune_reply_root(rep), "event_id", id, 40);
}

/* Prints the ok reply of a write: {"id","queued"} as JSON, or a sentence with the id. */
static void
print_written(struct cli *c, const struct attune_reply *rep, const char *what)
{
	char id[40];
	uint64_t queued = 0;

	written_id(rep, id);
	attune_get_uint(attune_reply_root(rep), "queued", &queued);
	if (c->json) {
		struct jsonw *w = jsonw_new(0);

		if (w == NULL)
			return;
		jsonw_obj_begin(w);
		jsonw_key(w, "id");
		jsonw_str(w, id);
		jsonw_key(w, "queued");
		jsonw_uint(w, queued);
		jsonw_obj_end(w);
		if (jsonw_data(w, NULL) != NULL)
			printf("%s\n", jsonw_data(w, NULL));
		jsonw_free(w);
		return;
	}
	printf("%s [%.8s]%s\n", what, id, queued == 0 ? " (no partner device to send it to yet)" : "");
}

/* ---- checkin ---- */

struct checkin_args {
	struct cli *c;
	int nflags;
	int mood, desire, capacity, responsive;
	const char *level_arg[3];   /* as typed, for a contradiction's sentence */
	struct vocab_list tags, open_to;
	struct names to;
	const char *note;
	time_t until;
	size_t nonly;
	struct {
		char field[16];
		struct names names;
	} only[ONLY_FIELDS];
};

static int
only_add(struct checkin_args *a, const char *arg)
{
	static const char *const fields[ONLY_FIELDS] = {
		"mood", "desire", "capacity", "tags", "open_to", "responsive", "note"
	};
	const char *eq = strpbrk(arg, "=:");
	char field[16];
	size_t flen, i, j;

	if (eq == NULL || (flen = (size_t)(eq - arg)) == 0 || flen >= sizeof(field))
		return cli_usage_err(a->c, "--only wants FIELD=NAME[,NAME], e.g. --only desire=Sam");
	if (vocab_has_control(arg))
		return cli_usage_err(a->c, "control characters are not allowed in --only");
	memcpy(field, arg, flen);
	field[flen] = '\0';
	for (i = 0; i < flen; i++)
		field[i] = field[i] == '-' ? '_' : field[i];
	if (strcasecmp(field, "tag") == 0)
		strcpy(field, "tags");
	for (i = 0; i < ONLY_FIELDS; i++)
		if (strcasecmp(field, fields[i]) == 0)
			break;
	if (i == ONLY_FIELDS)
		return cli_usage_err(a->c, "--only: '%s' is not a check-in field (mood, desire, "
		    "capacity, tags, open-to, responsive, note)", field);
	for (j = 0; j < a->nonly; j++)
		if (strcmp(a->only[j].field, fields[i]) == 0)
			break;
	if (j == a->nonly) {
		a->nonly++;
		strcpy(a->only[j].field, fields[i]);
	}
	return names_add(a->c, &a->only[j].names, eq + 1, "--only", arg);
}

/* --mood/--desire/--capacity: the level, once (the same level twice is fine). */
static int
checkin_level(struct checkin_args *a, enum vocab_scale sc, const char *arg, int *slot)
{
	int v, rc;

	if ((rc = level(a->c, sc, arg, &v)) != 0)
		return rc;
	rc = once_int(a->c, slot, v, vocab_scale_name(sc), a->level_arg[sc], arg);
	a->level_arg[sc] = arg;
	return rc;
}

static int
checkin_responsive(struct checkin_args *a, int v)
{
	if (a->responsive >= 0 && a->responsive != v)
		return cli_usage_err(a->c, "--responsive and --not-responsive contradict each other: "
		    "give one");
	a->responsive = v;
	return 0;
}

static int
checkin_flag(void *ctx, int key, const char *arg)
{
	struct checkin_args *a = ctx;
	time_t t;
	int rc;

	a->nflags++;
	switch (key) {
	case K_MOOD: return checkin_level(a, VOCAB_MOOD, arg, &a->mood);
	case K_DESIRE: return checkin_level(a, VOCAB_DESIRE, arg, &a->desire);
	case K_CAPACITY: return checkin_level(a, VOCAB_CAPACITY, arg, &a->capacity);
	case K_TAG: return add_words(a->c, &a->tags, "tag", arg);
	case K_OPEN_TO: return add_words(a->c, &a->open_to, "open-to", arg);
	case K_RESPONSIVE: return checkin_responsive(a, 1);
	case K_NOT_RESPONSIVE: return checkin_responsive(a, 0);
	case K_NOTE:
		if ((rc = note_ok(a->c, arg)) != 0)
			return rc;
		return once_str(a->c, &a->note, "note", arg);
	case K_TO: return names_add(a->c, &a->to, arg, "--to", NULL);
	case K_ONLY: return only_add(a, arg);
	case K_UNTIL:
		if ((rc = parse_when(a->c, "until", arg, 1, &t)) != 0)
			return rc;
		return once_time(a->c, &a->until, t, "until");
	}
	return 0;
}

/* Asks for one level until the answer reads. */
static int
ask_level(struct cli *c, enum vocab_scale s, int *out)
{
	char prompt[160], buf[64], words[96] = "";
	int lo = vocab_scale_min(s), hi = vocab_scale_max(s), v;

	for (v = lo; v <= hi; v++) {
		char w[24];

		snprintf(w, sizeof(w), "%d %s%s", v, vocab_level_word(s, v), v < hi ? ", " : "");
		strcat(words, w);
	}
	snprintf(prompt, sizeof(prompt), "%c%s (%s; - rather not say): ", vocab_scale_name(s)[0] - 32,
	    vocab_scale_name(s) + 1, words);
	for (;;) {
		if (cli_ask(prompt, buf, sizeof(buf)) != 0)
			return cli_err(CLI_EXIT_USAGE, "no answer: check-in not sent");
		if (vocab_level(s, buf, out) == 0)
			return 0;
		fprintf(stderr, "  say a number %d-%d, one of the words, or - (rather not say)\n", lo, hi);
	}
	(void)c;
}

static int
ask_words(struct cli *c, const char *prompt, struct vocab_list *l, const char *flag)
{
	char buf[512];

	for (;;) {
		if (cli_ask(prompt, buf, sizeof(buf)) != 0)
			return cli_err(CLI_EXIT_USAGE, "no answer: check-in not sent");
		memset(l, 0, sizeof(*l));
		if (vocab_list_add(l, buf) == 0)
			return 0;
		fprintf(stderr, "  at most %d short words, separated by commas (--%s)\n",
		    VOCAB_LIST_MAX, flag);
	}
	(void)c;
}

/* Asks a yes/no question; Enter keeps *out as it is. */
static int
ask_yes_no(const char *prompt, int *out)
{
	char buf[64];

	for (;;) {
		if (cli_ask(prompt, buf, sizeof(buf)) != 0)
			return cli_err(CLI_EXIT_USAGE, "no answer: check-in not sent");
		if (buf[0] == '\0')
			return 0;
		if (strcasecmp(buf, "y") == 0 || strcasecmp(buf, "yes") == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(buf, "n") == 0 || strcasecmp(buf, "no") == 0) {
			*out = 0;
			return 0;
		}
		fprintf(stderr, "  say yes or no (Enter: no)\n");
	}
}

/* The partners' names, as attuned spells them. */
static int
partner_names(struct cli *c, struct names *out)
{
	struct attune_req req;
	struct attune_reply *rep;
	const msgpack_object *items;
	size_t n = 0, i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cli_connect(c)) != 0)
		return rc;
	attune_req_begin(c->conn, &req, "partners", 0);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	if (attune_get_array(attune_reply_root(rep), "partners", &items, &n) != 0)
		n = 0;
	for (i = 0; i < n && out->n < NAMES_MAX; i++)
		if (attune_get_strz(&items[i], "name", out->name[out->n], NAME_MAX_LEN + 1) == 0) {
			termtext_clean_inplace(out->name[out->n]);   /* shown in prompts */
			out->n++;
		}
	attune_reply_free(rep);
	return 0;
}

/* A typed name as attuned spells it: the same, or the one partner it matches ignoring case. */
static const char *
partner_named(const struct names *partners, const char *typed)
{
	const char *found = NULL;
	size_t i;

	for (i = 0; i < partners->n; i++)
		if (strcmp(partners->name[i], typed) == 0)
			return partners->name[i];
	for (i = 0; i < partners->n; i++) {
		if (strcasecmp(partners->name[i], typed) != 0)
			continue;
		if (found != NULL)
			return NULL;
		found = partners->name[i];
	}
	return found;
}

/*
 * Asks who may see a check-in (for_bid 0: Enter leaves *to empty, meaning
 * everyone) or who a bid is for (for_bid 1: a bid names its people; there
 * is no default). Names are matched to the partners' ignoring case.
 */
static int
ask_audience(struct cli *c, struct names *to, int for_bid)
{
	struct names partners, typed;
	char prompt[NAMES_MAX * (NAME_MAX_LEN + 2) + 64], list[NAMES_MAX * (NAME_MAX_LEN + 2) + 1] = "";
	char buf[512];
	const char *what = for_bid ? "bid" : "check-in";
	size_t i;
	int rc;

	if ((rc = partner_names(c, &partners)) != 0)
		return rc;
	if (for_bid && partners.n == 0)
		return cli_err(CLI_EXIT_FAIL, "you have no partner yet: invite one with `attune pair`");
	for (i = 0; i < partners.n; i++) {
		strcat(list, partners.name[i]);
		strcat(list, i + 1 < partners.n ? ", " : "");
	}
	if (for_bid)
		snprintf(prompt, sizeof(prompt), "Who is it for (%s): ", list);
	else
		snprintf(prompt, sizeof(prompt), "Who may see it (%s; Enter: everyone): ",
		    partners.n > 0 ? list : "no partner yet");
	for (;;) {
		const char *bad = NULL, *p = buf, *start;
		size_t len;

		if (cli_ask(prompt, buf, sizeof(buf)) != 0)
			return cli_err(CLI_EXIT_USAGE, "no answer: %s not sent", what);
		memset(&typed, 0, sizeof(typed));
		memset(to, 0, sizeof(*to));
		if (!vocab_split(&p, &start, &len)) {
			if (!for_bid)
				return 0;
			fprintf(stderr, "  a bid goes to someone: say %s\n",
			    partners.n > 1 ? "one or more of the names" : "the name");
			continue;
		}
		if (names_add(c, &typed, buf, "the answer", NULL) != 0)
			continue;
		for (i = 0; i < typed.n && bad == NULL; i++) {
			const char *name = partner_named(&partners, typed.name[i]);

			if (name == NULL)
				bad = typed.name[i];
			else if (names_add(c, to, name, "the answer", NULL) != 0)
				return CLI_EXIT_USAGE;
		}
		if (bad == NULL)
			return 0;
		fprintf(stderr, "  no partner is called '%s': say %s\n", bad, for_bid ?
		    "names from the list" : partners.n > 0 ? "names from the list, or Enter for everyone" :
		    "nothing (Enter: you have no partner yet)");
	}
}

int
cli_partner_resolve(struct cli *c, const char *typed, char *out, size_t cap)
{
	struct names partners;
	const char *name;
	int rc;

	if ((rc = partner_names(c, &partners)) != 0)
		return rc;
	name = partner_named(&partners, typed);
	snprintf(out, cap, "%s", name != NULL ? name : typed);
	return 0;
}

/*
 * The names in l as attuned spells them: each typed name that matches one
 * partner ignoring case becomes that partner's name ("sam" -> "Sam"), so
 * every command matches names the same way. Others stay as typed, for
 * attuned to refuse by name. A bid (for_bid) with no partner at all is refused here.
 */
static int
names_resolve(struct cli *c, struct names *l, int for_bid)
{
	struct names partners;
	size_t i;
	int rc;

	if (l->n == 0)
		return 0;
	if ((rc = partner_names(c, &partners)) != 0)
		return rc;
	if (partners.n == 0 && for_bid)
		return cli_err(CLI_EXIT_FAIL, "you have no partner yet: invite one with `attune pair`");
	for (i = 0; i < l->n; i++) {
		const char *name = partner_named(&partners, l->name[i]);

		if (name != NULL)
			snprintf(l->name[i], sizeof(l->name[i]), "%s", name);
	}
	return 0;
}

/* Asks how long the check-in holds; Enter leaves a->until 0 (attuned's default, 04:00). */
static int
ask_until(struct checkin_args *a)
{
	char buf[128], why[200];

	for (;;) {
		if (cli_ask("Until when does it hold (Enter: 04:00 next morning; or tonight, +3h, "
		    "tomorrow noon, ...): ", buf, sizeof(buf)) != 0)
			return cli_err(CLI_EXIT_USAGE, "no answer: check-in not sent");
		if (buf[0] == '\0') {
			a->until = 0;
			return 0;
		}
		if (when_parse(buf, a->c->ro.now, &a->until, why, sizeof(why)) != 0)
			fprintf(stderr, "  %s\n", why);
		else if (a->until <= a->c->ro.now)
			fprintf(stderr, "  '%s' is not in the future\n", buf);
		else
			return 0;
	}
}

static int
checkin_interactive(struct checkin_args *a, char *note_buf, size_t note_cap)
{
	int rc;

	if (a->mood == LEVEL_UNSET && (rc = ask_level(a->c, VOCAB_MOOD, &a->mood)) != 0)
		return rc;
	if (a->desire == LEVEL_UNSET && (rc = ask_level(a->c, VOCAB_DESIRE, &a->desire)) != 0)
		return rc;
	if (a->capacity == LEVEL_UNSET && (rc = ask_level(a->c, VOCAB_CAPACITY, &a->capacity)) != 0)
		return rc;
	if (a->nflags == 0) {
		if ((rc = ask_words(a->c, "How are you (tired, stressed, relaxed, playful, ...; "
		    "empty for nothing): ", &a->tags, "tag")) != 0)
			return rc;
		if ((rc = ask_words(a->c, "Open to (cuddle, talk, massage, date, sex, space, ...; "
		    "empty for nothing): ", &a->open_to, "open-to")) != 0)
			return rc;
		a->responsive = 0;
		if ((rc = ask_yes_no("Responsive: open to being warmed up, desire that answers "
		    "rather than arrives (y/N): ", &a->responsive)) != 0)
			return rc;
		for (;;) {
			if (cli_ask("A note for your partners (up to 280 characters, empty for none): ",
			    note_buf, note_cap) != 0)
				return cli_err(CLI_EXIT_USAGE, "no answer: check-in not sent");
			if (vocab_has_control(note_buf))
				fprintf(stderr, "  control characters are not allowed in a note\n");
			else if (vocab_chars(note_buf) >= 0 && vocab_chars(note_buf) <= VOCAB_NOTE_MAX)
				break;
			else
				fprintf(stderr, "  that is longer than 280 characters\n");
		}
		if (note_buf[0] != '\0')
			a->note = note_buf;
		if ((rc = ask_audience(a->c, &a->to, 0)) != 0)
			return rc;
		if ((rc = ask_until(a)) != 0)
			return rc;
	}
	return 0;
}

int
cmd_checkin(struct cli *c, int argc, char **argv)
{
	struct checkin_args *a = calloc(1, sizeof(*a));
	struct attune_req req;
	struct attune_reply *rep;
	char note_buf[VOCAB_NOTE_MAX * 4 + 2];
	size_t nfields, i;
	int rc, rest;

	if (a == NULL)
		return cli_err(CLI_EXIT_FAIL, "out of memory");
	a->c = c;
	a->mood = a->desire = a->capacity = LEVEL_UNSET;
	a->responsive = -1;
	if ((rc = cli_getopt(c, argc, argv, checkin_flag, a, &rest)) != 0)
		goto out;
	if (rest < argc) {
		rc = cli_usage_err(c, "unexpected '%s'", argv[rest]);
		goto out;
	}
	/*
	 * Each level may be left out ("rather not say"): off a terminal a level
	 * not given is not said; on a terminal the missing ones are asked, with
	 * "-" for rather not say. At least one must be said.
	 */
	if (a->mood == LEVEL_UNSET || a->desire == LEVEL_UNSET || a->capacity == LEVEL_UNSET) {
		if (c->tty_in && !c->json) {
			if ((rc = checkin_interactive(a, note_buf, sizeof(note_buf))) != 0)
				goto out;
		} else if (a->mood == LEVEL_UNSET && a->desire == LEVEL_UNSET &&
		    a->capacity == LEVEL_UNSET) {
			rc = cli_usage_err(c, "say how you are with at least one of --mood N, --desire N, "
			    "--capacity N (or run `attune checkin` on a terminal to be asked)");
			goto out;
		}
	}
	if (a->mood < 0 && a->desire < 0 && a->capacity < 0) {
		rc = cli_usage_err(c, "rather not say is fine for some, but say at least one of mood, "
		    "desire and capacity");
		goto out;
	}
	if ((rc = cli_connect(c)) != 0)
		goto out;
	if ((rc = names_resolve(c, &a->to, 0)) != 0)
		goto out;
	for (i = 0; i < a->nonly; i++)
		if ((rc = names_resolve(c, &a->only[i].names, 0)) != 0)
			goto out;
	nfields = 2 + (a->mood >= 0) + (a->desire >= 0) + (a->capacity >= 0) +
	    (a->responsive >= 0) + (a->note != NULL) + (a->to.n > 0) + (a->until != 0) + (a->nonly > 0);
	attune_req_begin(c->conn, &req, "checkin", nfields);
	if (a->mood >= 0)
		attune_req_uint(&req, "mood", (uint64_t)a->mood);
	if (a->desire >= 0)
		attune_req_uint(&req, "desire", (uint64_t)a->desire);
	if (a->capacity >= 0)
		attune_req_uint(&req, "capacity", (uint64_t)a->capacity);
	req_words(&req, "tags", &a->tags);
	req_words(&req, "open_to", &a->open_to);
	if (a->responsive >= 0)
		attune_req_bool(&req, "responsive", a->responsive);
	if (a->note != NULL)
		attune_req_str(&req, "note", a->note);
	if (a->to.n > 0)
		req_names(&req, "to", &a->to);
	if (a->until != 0)
		attune_req_uint(&req, "valid_until", (uint64_t)a->until);
	if (a->nonly > 0) {
		attune_req_key(&req, "only");
		msgpack_pack_map(&req.pk, a->nonly);
		for (i = 0; i < a->nonly; i++) {
			msgpack_pack_str_with_body(&req.pk, a->only[i].field, strlen(a->only[i].field));
			msgpack_pack_array(&req.pk, a->only[i].names.n);
			for (size_t j = 0; j < a->only[i].names.n; j++)
				msgpack_pack_str_with_body(&req.pk, a->only[i].names.name[j],
				    strlen(a->only[i].names.name[j]));
		}
	}
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc == 0) {
		print_written(c, rep, "Checked in");
		attune_reply_free(rep);
	}
out:
	memset(note_buf, 0, sizeof(note_buf));
	memset(a, 0, sizeof(*a));
	free(a);
	return rc;
}

/* ---- bid ---- */

struct bid_args {
	struct cli *c;
	struct names to;
	const char *kind;
	const char *note;
	time_t at, until;
};

static int
bid_flag(void *ctx, int key, const char *arg)
{
	struct bid_args *a = ctx;
	struct vocab_list kind;
	time_t t;
	int rc;

	switch (key) {
	case K_TO: return names_add(a->c, &a->to, arg, "--to", NULL);
	case K_KIND:
		memset(&kind, 0, sizeof(kind));
		if (strchr(arg, ',') != NULL)
			return cli_usage_err(a->c, "a bid has one kind");
		if ((rc = add_words(a->c, &kind, "kind", arg)) != 0)
			return rc;
		if (kind.n == 0)
			return cli_usage_err(a->c, "--kind '%s' is empty: say tonight, cuddle, date, ...",
			    arg);
		return once_str(a->c, &a->kind, "kind", arg);
	case K_NOTE:
		if ((rc = note_ok(a->c, arg)) != 0)
			return rc;
		return once_str(a->c, &a->note, "note", arg);
	case K_AT:
		if ((rc = parse_when(a->c, "at", arg, 1, &t)) != 0)
			return rc;
		return once_time(a->c, &a->at, t, "at");
	case K_UNTIL:
		if ((rc = parse_when(a->c, "until", arg, 1, &t)) != 0)
			return rc;
		return once_time(a->c, &a->until, t, "until");
	}
	return 0;
}

/* On a terminal, a bare `attune bid` asks what and for whom (nothing goes to everyone by default). */
static int
bid_interactive(struct bid_args *a, char *kind_buf, size_t kind_cap)
{
	struct vocab_list kind;
	int rc;

	while (a->kind == NULL) {
		if (cli_ask("What would you like (tonight, cuddle, date, talk, massage, sex, walk, ...; "
		    "Enter: tonight): ", kind_buf, kind_cap) != 0)
			return cli_err(CLI_EXIT_USAGE, "no answer: bid not sent");
		memset(&kind, 0, sizeof(kind));
		if (kind_buf[0] == '\0') {
			a->kind = "tonight";
		} else if (strchr(kind_buf, ',') != NULL || vocab_list_add(&kind, kind_buf) != 0 ||
		    kind.n != 1) {
			fprintf(stderr, "  one short word, e.g. cuddle\n");
		} else {
			snprintf(kind_buf, kind_cap, "%s", kind.item[0]);
			a->kind = kind_buf;
		}
	}
	if (a->to.n == 0 && (rc = ask_audience(a->c, &a->to, 1)) != 0)
		return rc;
	return 0;
}

int
cmd_bid(struct cli *c, int argc, char **argv)
{
	struct bid_args a;
	struct vocab_list kind;
	struct attune_req req;
	struct attune_reply *rep;
	char id[40] = "", kind_buf[VOCAB_ITEM_MAX * 4 + 2];
	int rc, rest;

	memset(&a, 0, sizeof(a));
	a.c = c;
	if ((rc = cli_getopt(c, argc, argv, bid_flag, &a, &rest)) != 0)
		return rc;
	if (rest < argc)
		return cli_usage_err(c, "unexpected '%s' (a note goes in --note)", argv[rest]);
	if (a.until != 0 && a.at == 0)
		a.at = c->ro.now;
	if (a.until != 0 && a.until <= a.at)
		return cli_usage_err(c, "--until must come after --at");
	if (a.to.n == 0) {
		if (!c->tty_in || c->json)
			return cli_usage_err(c, "say who the bid is for with --to NAME (`attune partners` "
			    "lists them), or run `attune bid` on a terminal to be asked");
		if ((rc = bid_interactive(&a, kind_buf, sizeof(kind_buf))) != 0)
			return rc;
	}
	memset(&kind, 0, sizeof(kind));
	if (a.kind != NULL)
		vocab_list_add(&kind, a.kind);
	if ((rc = cli_connect(c)) != 0)
		return rc;
	if ((rc = names_resolve(c, &a.to, 1)) != 0)
		return rc;
	attune_req_begin(c->conn, &req, "bid", 2 + (a.note != NULL) + (a.at != 0) + (a.until != 0));
	attune_req_str(&req, "kind", kind.n > 0 ? kind.item[0] : "tonight");
	if (a.note != NULL)
		attune_req_str(&req, "note", a.note);
	req_names(&req, "to", &a.to);
	if (a.at != 0)
		attune_req_uint(&req, "from_ts", (uint64_t)a.at);
	if (a.until != 0)
		attune_req_uint(&req, "until_ts", (uint64_t)a.until);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	written_id(rep, id);
	if (c->json) {
		print_written(c, rep, NULL);
	} else {
		if (c->tty_out)
			printf("Bid sent. Its id is %s: your partner answers with "
			    "`attune respond %.8s`.\n", id, id);
		else
			printf("%s\n", id);
	}
	attune_reply_free(rep);
	return 0;
}

/* ---- respond ---- */

struct respond_args {
	struct cli *c;
	const char *answer;
	struct vocab_list reason, offer;
	const char *note;
	time_t raincheck;
};

static int
set_answer(struct respond_args *a, const char *ans)
{
	if (a->answer != NULL && strcmp(a->answer, ans) != 0)
		return cli_usage_err(a->c, "give one answer: --yes, --not-tonight or --later");
	a->answer = ans;
	return 0;
}

static int
respond_flag(void *ctx, int key, const char *arg)
{
	struct respond_args *a = ctx;
	const char *ans;
	time_t t;
	int rc;

	switch (key) {
	case K_YES: return set_answer(a, "yes");
	case K_NOT_TONIGHT: return set_answer(a, "not-tonight");
	case K_LATER: return set_answer(a, "later");
	case K_ANSWER:
		if ((ans = vocab_answer(arg)) == NULL)
			return cli_usage_err(a->c, "'%s' is not an answer: yes, not tonight or later", arg);
		return set_answer(a, ans);
	case K_REASON: return add_words(a->c, &a->reason, "reason", arg);
	case K_OFFER: return add_words(a->c, &a->offer, "offer", arg);
	case K_RAINCHECK:
		if ((rc = parse_when(a->c, "raincheck", arg, 1, &t)) != 0)
			return rc;
		return once_time(a->c, &a->raincheck, t, "raincheck");
	case K_NOTE:
		if ((rc = note_ok(a->c, arg)) != 0)
			return rc;
		return once_str(a->c, &a->note, "note", arg);
	}
	return 0;
}

int
cmd_respond(struct cli *c, int argc, char **argv)
{
	struct respond_args a;
	struct attune_req req;
	struct attune_reply *rep;
	char bid[33];
	int rc, rest;

	memset(&a, 0, sizeof(a));
	a.c = c;
	if ((rc = cli_getopt(c, argc, argv, respond_flag, &a, &rest)) != 0)
		return rc;
	if (rest >= argc)
		return cli_usage_err(c, "which bid? give its id, as `attune status` shows it");
	if (rest + 1 < argc)
		return cli_usage_err(c, "unexpected '%s' (a note goes in --note)", argv[rest + 1]);
	if (a.answer == NULL)
		return cli_usage_err(c, "answer with --yes, --not-tonight or --later");
	if ((rc = cli_resolve_id(c, argv[rest], bid)) != 0)
		return rc;
	if ((rc = cli_connect(c)) != 0)
		return rc;
	attune_req_begin(c->conn, &req, "respond", 4 + (a.raincheck != 0) + (a.note != NULL));
	attune_req_str(&req, "bid", bid);
	attune_req_str(&req, "answer", a.answer);
	req_words(&req, "reason", &a.reason);
	req_words(&req, "offer", &a.offer);
	if (a.raincheck != 0)
		attune_req_uint(&req, "raincheck", (uint64_t)a.raincheck);
	if (a.note != NULL)
		attune_req_str(&req, "note", a.note);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	if (c->json) {
		print_written(c, rep, NULL);
	} else {
		char when[48], what[128];

		int replaced = 0;

		attune_get_bool(attune_reply_root(rep), "replaced", &replaced);
		snprintf(what, sizeof(what), "%s: %s", replaced ? "Changed your answer to" : "Answered",
		    vocab_answer_text(a.answer));
		print_written(c, rep, what);
		if (a.raincheck != 0) {
			when_at(when, sizeof(when), a.raincheck, c->ro.now);
			printf("Rain check %s: attune will remind you then.\n", when);
		}
	}
	attune_reply_free(rep);
	return 0;
}

/* ---- retract ---- */

int
cmd_retract(struct cli *c, int argc, char **argv)
{
	struct attune_req req;
	struct attune_reply *rep;
	char id[33];
	int rc, rest;

	if ((rc = cli_getopt(c, argc, argv, NULL, NULL, &rest)) != 0)
		return rc;
	if (rest + 1 != argc)
		return cli_usage_err(c, "give the id of one of your check-ins or bids");
	if ((rc = cli_resolve_id(c, argv[rest], id)) != 0)
		return rc;
	if ((rc = cli_connect(c)) != 0)
		return rc;
	attune_req_begin(c->conn, &req, "retract", 1);
	attune_req_str(&req, "ref", id);
	rc = cli_call(c, &req, &rep, 0);
	attune_req_free(&req);
	if (rc != 0)
		return rc;
	print_written(c, rep, "Taken back");
	attune_reply_free(rep);
	return 0;
}
