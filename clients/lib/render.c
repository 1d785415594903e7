#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clients/lib/render.h"
#include "clients/lib/termtext.h"
#include "clients/lib/vocab.h"
#include "clients/lib/when.h"
#include "proto/msg.h"

#define NAME_MAX_SHOW 64
#define NOTE_MAX_SHOW (280 * 4)
#define SPARK_DAYS_MAX (10 * 366)   /* days a trend reaches back */
#define PEOPLE_MAX 32

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define ITAL "\033[3m"
#define RESET "\033[0m"

static const char *
sep(const struct render_opts *o)
{
	return o->unicode ? " \xc2\xb7 " : " - ";
}

static const char *
arrow(const struct render_opts *o)
{
	return o->unicode ? " \xe2\x86\x92 " : " -> ";
}

static void
on(FILE *f, const struct render_opts *o, const char *code)
{
	if (o->color)
		fputs(code, f);
}

/* A string field copied NUL-terminated (cut at cap - 1 bytes); "" when absent. */
static const char *
field(const msgpack_object *m, const char *key, char *out, size_t cap)
{
	const char *s;
	size_t n;

	out[0] = '\0';
	if (m == NULL || msg_get_str(m, key, SIZE_MAX, &s, &n) != 0)
		return out;
	/* A peer's text must not drive the terminal (termtext.h). */
	termtext_clean(out, cap, s, n);
	return out;
}

static int
num(const msgpack_object *m, const char *key, uint64_t *v)
{
	return m != NULL && msg_get_uint(m, key, UINT64_MAX, v) == 0;
}

static int
flag(const msgpack_object *m, const char *key)
{
	int v = 0;

	return m != NULL && msg_get_bool(m, key, &v) == 0 && v;
}

/* Writes the string items of array key joined by ", "; returns how many. */
static size_t
list(FILE *f, const msgpack_object *m, const char *key)
{
	const msgpack_object *items;
	size_t n, i, shown = 0;

	if (m == NULL || msg_get_array(m, key, SIZE_MAX, &items, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		const char *s;
		size_t len;

		if (msg_obj_str(&items[i], 64, &s, &len) != 0)
			continue;
		fputs(shown++ ? ", " : "", f);
		termtext_put(f, s, len);
	}
	return shown;
}

static size_t
list_len(const msgpack_object *m, const char *key)
{
	const msgpack_object *items;
	size_t n;

	if (m == NULL || msg_get_array(m, key, SIZE_MAX, &items, &n) != 0)
		return 0;
	return n;
}

static void
note_line(FILE *f, const msgpack_object *ev, const char *indent, const struct render_opts *o)
{
	char note[NOTE_MAX_SHOW + 1];

	if (field(ev, "note", note, sizeof(note))[0] == '\0')
		return;
	fputs(indent, f);
	on(f, o, ITAL);
	fprintf(f, o->unicode ? "\xe2\x80\x9c%s\xe2\x80\x9d" : "\"%s\"", note);
	on(f, o, RESET);
	fputc('\n', f);
}

static void
short_id(char out[9], const msgpack_object *ev, const char *key)
{
	field(ev, key, out, 9);
}

/* The body of a check-in after the name: " · 20 min ago · mood 2/5 · ...". */
static void
checkin_fields(FILE *f, const msgpack_object *ev, const struct render_opts *o, int with_time)
{
	char when[48];
	uint64_t v, ts;

	if (with_time && num(ev, "ts", &ts)) {
		when_ago(when, sizeof(when), (time_t)ts, o->now);
		fputs(sep(o), f);
		on(f, o, DIM);
		fputs(when, f);
		on(f, o, RESET);
	}
	if (num(ev, "mood", &v))
		fprintf(f, "%smood %u/5", sep(o), (unsigned)v);
	if (num(ev, "desire", &v))
		fprintf(f, "%sdesire %u/5", sep(o), (unsigned)v);
	if (num(ev, "capacity", &v))
		fprintf(f, "%scapacity %s", sep(o), vocab_level_word(VOCAB_CAPACITY, (int)v));
	if (list_len(ev, "tags") > 0) {
		fputs(sep(o), f);
		list(f, ev, "tags");
	}
	if (flag(ev, "responsive"))
		fprintf(f, "%sresponsive", sep(o));
	if (list_len(ev, "open_to") > 0) {
		fprintf(f, "%sopen to: ", sep(o));
		list(f, ev, "open_to");
	}
	if (num(ev, "valid_until", &v) && (time_t)v < o->now) {
		fputs(sep(o), f);
		on(f, o, DIM);
		fputs("(no longer current)", f);
		on(f, o, RESET);
	}
}

static void
name(FILE *f, const msgpack_object *ev, const char *key, const struct render_opts *o)
{
	char who[NAME_MAX_SHOW + 1];

	field(ev, key, who, sizeof(who));
	on(f, o, BOLD);
	fputs(who[0] != '\0' ? who : "?", f);
	on(f, o, RESET);
}

void
render_checkin(FILE *f, const msgpack_object *ev, const struct render_opts *o)
{
	name(f, ev, "author", o);
	checkin_fields(f, ev, o, 1);
	fputc('\n', f);
	note_line(f, ev, "  ", o);
}

static void
bid_line(FILE *f, const msgpack_object *ev, const struct render_opts *o, int with_time)
{
	char kind[40], when[48], id[9], state[16];
	uint64_t from, until;

	name(f, ev, "author", o);
	if (list_len(ev, "to") > 0) {
		fputs(arrow(o), f);
		list(f, ev, "to");
	}
	fprintf(f, "%s%s?", sep(o), field(ev, "bid_kind", kind, sizeof(kind))[0] ? kind : "bid");
	/* A window that has begun reads "until 22:00"; one ahead "Sat 20:00 until 23:00". */
	if (num(ev, "from_ts", &from) && (time_t)from >= o->now + 60) {
		when_at(when, sizeof(when), (time_t)from, o->now);
		fprintf(f, " %s", when);
	}
	if (num(ev, "until_ts", &until) && (time_t)until > o->now) {
		when_until(when, sizeof(when), (time_t)until, num(ev, "from_ts", &from) ?
		    (time_t)from : o->now, o->now);
		fprintf(f, " until %s", when);
	}
	if (with_time && num(ev, "ts", &from)) {
		when_ago(when, sizeof(when), (time_t)from, o->now);
		fputs(sep(o), f);
		on(f, o, DIM);
		fputs(when, f);
		on(f, o, RESET);
	}
	field(ev, "state", state, sizeof(state));
	if (state[0] != '\0' && strcmp(state, "open") != 0)
		fprintf(f, "%s%s", sep(o), state);
	short_id(id, ev, "id");
	on(f, o, DIM);
	fprintf(f, "  [%s]", id);
	on(f, o, RESET);
	fputc('\n', f);
}

/*
 * A response. brief: under the bid it answers (in status), as
 * "Sam: not tonight · tired · would love: cuddle", without the check-in.
 */
static void
response_line(FILE *f, const msgpack_object *ev, const struct render_opts *o, int brief,
    const char *indent)
{
	char answer[24], when[48], id[9];
	uint64_t rc;
	const msgpack_object *ci;

	name(f, ev, "author", o);
	if (brief) {
		fputs(flag(ev, "changed") ? " changed the answer to: " : ": ", f);
	} else {
		short_id(id, ev, "bid");
		fprintf(f, flag(ev, "changed") ? " changed the answer [%s] to: " : " answered [%s]: ", id);
	}
	on(f, o, BOLD);
	fputs(vocab_answer_text(field(ev, "answer", answer, sizeof(answer))), f);
	on(f, o, RESET);
	if (list_len(ev, "reason") > 0) {
		fputs(sep(o), f);
		list(f, ev, "reason");
	}
	if (list_len(ev, "offer") > 0) {
		fprintf(f, "%swould love: ", sep(o));
		list(f, ev, "offer");
	}
	if (num(ev, "raincheck", &rc)) {
		when_at(when, sizeof(when), (time_t)rc, o->now);
		fprintf(f, "%srain check %s", sep(o), when);
	}
	if (flag(ev, "replaced")) {
		fputs(sep(o), f);
		on(f, o, DIM);
		fputs("(replaced by a later answer)", f);
		on(f, o, RESET);
	}
	fputc('\n', f);
	note_line(f, ev, indent, o);
	if (!brief && msg_get_map(ev, "checkin", &ci) == 0) {
		fprintf(f, "%s(", indent);
		name(f, ci, "author", o);
		checkin_fields(f, ci, o, 1);
		fputs(")\n", f);
	}
}

void
render_event(FILE *f, const msgpack_object *ev, const struct render_opts *o)
{
	char kind[24], when[48], id[9];
	uint64_t ts = 0;

	field(ev, "kind", kind, sizeof(kind));
	if (num(ev, "ts", &ts)) {
		when_ago(when, sizeof(when), (time_t)ts, o->now);
		on(f, o, DIM);
		fprintf(f, "%-16s ", when);
		on(f, o, RESET);
	}
	if (strcmp(kind, "checkin") == 0) {
		name(f, ev, "author", o);
		checkin_fields(f, ev, o, 0);
		if (flag(ev, "retracted")) {
			fputs(sep(o), f);
			on(f, o, DIM);
			fputs("(taken back)", f);
			on(f, o, RESET);
		}
		fputc('\n', f);
		note_line(f, ev, "                   ", o);
	} else if (strcmp(kind, "bid") == 0) {
		bid_line(f, ev, o, 0);
		note_line(f, ev, "                   ", o);
	} else if (strcmp(kind, "response") == 0) {
		response_line(f, ev, o, 0, "                   ");
	} else if (strcmp(kind, "retract") == 0) {
		name(f, ev, "author", o);
		short_id(id, ev, "ref");
		fprintf(f, " took back [%s]\n", id);
	} else if (strcmp(kind, "spark-match") == 0) {
		fputs("You and ", f);
		name(f, ev, "author", o);
		fputs(" are both in the mood\n", f);
	} else if (strcmp(kind, "raincheck_due") == 0) {
		char who[NAME_MAX_SHOW + 1];

		short_id(id, ev, "bid");
		field(ev, "who", who, sizeof(who));
		if (!msg_has(ev, "mine") || flag(ev, "mine")) {
			fputs("Your rain check with ", f);
			on(f, o, BOLD);
			fputs(who[0] ? who : "your partner", f);
			on(f, o, RESET);
			fprintf(f, " is due  [%s]\n", id);
		} else {
			on(f, o, BOLD);
			fputs(who[0] ? who : "Your partner", f);
			on(f, o, RESET);
			fprintf(f, "'s rain check for you is due  [%s]\n", id);
		}
	} else {
		fprintf(f, "%s\n", kind[0] ? kind : "event");
	}
}

void
render_spark(char *buf, size_t cap, const int *v, size_t n, int lo, int hi, int unicode)
{
	static const char *const blocks[8] = {
		"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
		"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
	};
	size_t i, len = 0;

	if (cap == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		char cell[4];
		size_t cl;

		if (v[i] < lo || v[i] > hi) {
			strcpy(cell, unicode ? " " : ".");
		} else if (unicode) {
			int b = hi > lo ? (v[i] - lo) * 7 / (hi - lo) : 7;

			memcpy(cell, blocks[b], 4);
		} else {
			cell[0] = (char)('0' + v[i]);
			cell[1] = '\0';
		}
		cl = strlen(cell);
		if (len + cl + 1 > cap)
			break;
		memcpy(buf + len, cell, cl + 1);
		len += cl;
	}
}

struct person {
	char name[NAME_MAX_SHOW + 1];
	int *v[3];          /* per day, -1 for none */
	uint64_t *vts[3];   /* ts of the check-in that set each day */
};

static void
people_free(struct person *pp, size_t np)
{
	for (size_t i = 0; i < np; i++)
		for (int k = 0; k < 3; k++) {
			free(pp[i].v[k]);
			free(pp[i].vts[k]);
		}
	free(pp);
}

static struct person *
person_for(struct person *pp, size_t *np, const char *who, size_t ndays)
{
	size_t i;

	for (i = 0; i < *np; i++)
		if (strcmp(pp[i].name, who) == 0)
			return &pp[i];
	if (*np == PEOPLE_MAX)
		return NULL;
	pp = &pp[*np];
	for (i = 0; i < 3; i++) {
		pp->v[i] = malloc(ndays * sizeof(int));
		pp->vts[i] = calloc(ndays, sizeof(uint64_t));
		if (pp->v[i] == NULL || pp->vts[i] == NULL)
			return NULL;
		for (size_t d = 0; d < ndays; d++)
			pp->v[i][d] = -1;
	}
	(*np)++;
	snprintf(pp->name, sizeof(pp->name), "%s", who);
	return pp;
}

/* Days per cell so that ndays fit in cells: 1, 7, or a multiple of 30. */
static size_t
trend_step(size_t ndays, size_t cells)
{
	size_t step;

	if (ndays <= cells)
		return 1;
	if ((ndays + 6) / 7 <= cells)
		return 7;
	for (step = 30; (ndays + step - 1) / step > cells; step += 30)
		;
	return step;
}

/* Cells of step days, the newest cell ending today; each the rounded mean of its days. */
static size_t
trend_cells(const int *days, size_t ndays, size_t step, int *out)
{
	size_t ncells = (ndays + step - 1) / step, c;

	for (c = 0; c < ncells; c++) {
		/* Cell c covers the days that end (ncells - c - 1) steps before the last day. */
		long last = (long)ndays - 1 - (long)((ncells - 1 - c) * step), d;
		int sum = 0, n = 0;

		for (d = last - (long)step + 1; d <= last; d++)
			if (d >= 0 && days[d] >= 0) {
				sum += days[d];
				n++;
			}
		out[c] = n > 0 ? (sum + n / 2) / n : -1;
	}
	return ncells;
}

void
render_log(FILE *f, const msgpack_object *log, time_t since, const struct render_opts *o)
{
	static const char *const keys[3] = { "mood", "desire", "capacity" };
	const msgpack_object *evs;
	struct person *people;
	size_t n = 0, np = 0, i, ndays, step, cells;
	long first, today = when_day(o->now);
	int width = o->width > 0 ? o->width : 80;

	if (msg_get_array(log, "events", SIZE_MAX, &evs, &n) != 0 || n == 0) {
		fputs("Nothing in this period.\n", f);
		return;
	}
	first = when_day(since);
	if (today - first + 1 > SPARK_DAYS_MAX)
		first = today - SPARK_DAYS_MAX + 1;
	if (first > today)
		first = today;
	ndays = (size_t)(today - first + 1);
	/* "  " name(12) " " scale(9) and the two bars take 26 columns. */
	cells = width > 26 + 8 ? (size_t)width - 26 : 8;
	step = trend_step(ndays, cells);
	people = calloc(PEOPLE_MAX, sizeof(*people));
	if (people == NULL)
		return;
	/* The latest check-in of each day sets that day's value. */
	for (i = 0; i < n; i++) {
		char kind[16], who[NAME_MAX_SHOW + 1];
		struct person *p;
		uint64_t ts, v;
		long day;

		field(&evs[i], "kind", kind, sizeof(kind));
		if (strcmp(kind, "checkin") != 0 || !num(&evs[i], "ts", &ts) ||
		    flag(&evs[i], "retracted"))
			continue;
		day = when_day((time_t)ts);
		if (day < first || day > today)
			continue;
		field(&evs[i], "author", who, sizeof(who));
		if ((p = person_for(people, &np, who, ndays)) == NULL)
			continue;
		for (int k = 0; k < 3; k++) {
			if (!num(&evs[i], keys[k], &v) || v > 5)
				continue;
			if (p->v[k][day - first] < 0 || p->vts[k][day - first] < ts) {
				p->v[k][day - first] = (int)v;
				p->vts[k][day - first] = ts;
			}
		}
	}
	if (np > 0) {
		char spark[SPARK_DAYS_MAX * 3 + 1];
		int cell[SPARK_DAYS_MAX];
		size_t nc = (ndays + step - 1) / step;

		on(f, o, BOLD);
		if (step == 1)
			fprintf(f, "Trend, one cell a day over %zu day%s (oldest left):\n", ndays,
			    ndays == 1 ? "" : "s");
		else if (step == 7)
			fprintf(f, "Trend, one cell a week over %zu weeks (oldest left):\n", nc);
		else if (step == 30)
			fprintf(f, "Trend, one cell a month (30 days) over %zu months (oldest left):\n", nc);
		else
			fprintf(f, "Trend, one cell per %zu months over %zu days (oldest left):\n",
			    step / 30, ndays);
		on(f, o, RESET);
		for (i = 0; i < np; i++) {
			for (int k = 0; k < 3; k++) {
				size_t m = trend_cells(people[i].v[k], ndays, step, cell);

				render_spark(spark, sizeof(spark), cell, m, k == 0 ? 1 : 0, 5, o->unicode);
				fprintf(f, "  %-12.12s %-9s%s%s%s\n", k == 0 ? people[i].name : "",
				    keys[k], o->unicode ? "\xe2\x96\x95" : "|", spark,
				    o->unicode ? "\xe2\x96\x8f" : "|");
			}
		}
		fputc('\n', f);
	}
	people_free(people, np);
	for (i = 0; i < n; i++)
		render_event(f, &evs[i], o);
}

static void
section(FILE *f, const char *title, const struct render_opts *o)
{
	fputc('\n', f);
	on(f, o, BOLD);
	fputs(title, f);
	on(f, o, RESET);
	fputc('\n', f);
}

/* Under one's own check-in: who sees it, and the fields shown to some of them only. */
static void
audience_line(FILE *f, const msgpack_object *ci, const struct render_opts *o)
{
	const msgpack_object *only;
	uint32_t i;

	if (list_len(ci, "to") == 0)
		return;
	on(f, o, DIM);
	fputs("  seen by ", f);
	list(f, ci, "to");
	if (msg_get_map(ci, "only", &only) == 0)
		for (i = 0; i < only->via.map.size; i++) {
			const msgpack_object_kv *kv = &only->via.map.ptr[i];
			char field_name[24];
			size_t n = kv->key.type == MSGPACK_OBJECT_STR ? kv->key.via.str.size : 0;

			if (n == 0 || n >= sizeof(field_name))
				continue;
			memcpy(field_name, kv->key.via.str.ptr, n);
			field_name[n] = '\0';
			for (size_t j = 0; j < n; j++)
				if (field_name[j] == '_')
					field_name[j] = '-';
				else if ((unsigned char)field_name[j] < 0x20 || field_name[j] == 0x7f)
					field_name[j] = '?';
			fprintf(f, "; %s: ", field_name);
			if (list(f, only, field_name[0] == 'o' ? "open_to" : field_name) > 0)
				fputs(" only", f);
		}
	on(f, o, RESET);
	fputc('\n', f);
}

void
render_status(FILE *f, const msgpack_object *st, const struct render_opts *o)
{
	const msgpack_object *me = NULL, *ci, *arr;
	size_t n = 0, i;
	char nm[NAME_MAX_SHOW + 1], when[48];
	uint64_t v;

	if (msg_get_map(st, "me", &me) == 0) {
		field(me, "name", nm, sizeof(nm));
		on(f, o, BOLD);
		fprintf(f, "%s", nm[0] ? nm : "you");
		on(f, o, RESET);
		fputs(" (you)", f);
		if (msg_get_map(me, "checkin", &ci) == 0) {
			checkin_fields(f, ci, o, 1);
			fputc('\n', f);
			note_line(f, ci, "  ", o);
			audience_line(f, ci, o);
		} else {
			fprintf(f, "%sno check-in yet: attune checkin\n", sep(o));
		}
	}
	if (msg_get_array(st, "partners", SIZE_MAX, &arr, &n) != 0 || n == 0) {
		fputs("No partner yet: invite one with `attune pair`.\n", f);
	}
	for (i = 0; i < n; i++) {
		if (msg_get_map(&arr[i], "checkin", &ci) == 0) {
			name(f, &arr[i], "name", o);
			checkin_fields(f, ci, o, 1);
			fputc('\n', f);
			note_line(f, ci, "  ", o);
		} else {
			name(f, &arr[i], "name", o);
			fprintf(f, "%sno check-in yet", sep(o));
			if (num(&arr[i], "last_seen", &v)) {
				when_ago(when, sizeof(when), (time_t)v, o->now);
				fprintf(f, " (last heard from %s)", when);
			}
			fputc('\n', f);
		}
		if (num(&arr[i], "spark_match", &v)) {
			when_ago(when, sizeof(when), (time_t)v, o->now);
			fputs("  You're both in the mood (", f);
			fprintf(f, "%s)\n", when);
		}
	}
	if (msg_get_array(st, "bids_to_me", SIZE_MAX, &arr, &n) == 0 && n > 0) {
		section(f, "Bids to you (answer with attune respond ID --yes|--not-tonight|--later):", o);
		for (i = 0; i < n; i++) {
			fputs("  ", f);
			bid_line(f, &arr[i], o, 1);
			note_line(f, &arr[i], "    ", o);
		}
	}
	if (msg_get_array(st, "bids_from_me", SIZE_MAX, &arr, &n) == 0 && n > 0) {
		section(f, "Your bids:", o);
		for (i = 0; i < n; i++) {
			const msgpack_object *ans;
			size_t na = 0, j;

			fputs("  ", f);
			bid_line(f, &arr[i], o, 1);
			note_line(f, &arr[i], "    ", o);
			if (msg_get_array(&arr[i], "answers", SIZE_MAX, &ans, &na) != 0)
				continue;
			for (j = 0; j < na; j++) {
				fputs("    ", f);
				response_line(f, &ans[j], o, 1, "      ");
			}
		}
	}
	if (msg_get_array(st, "rainchecks", SIZE_MAX, &arr, &n) == 0 && n > 0) {
		section(f, "Rain checks:", o);
		for (i = 0; i < n; i++) {
			char id[9], who[NAME_MAX_SHOW + 1];

			short_id(id, &arr[i], "bid");
			field(&arr[i], "who", who, sizeof(who));
			/* A rain check that has come reads "due now", never "in 0 min · due now". */
			if (num(&arr[i], "at", &v) && (time_t)v <= o->now + 59)
				strcpy(when, "due now");
			else if (num(&arr[i], "at", &v))
				when_at(when, sizeof(when), (time_t)v, o->now);
			else
				strcpy(when, "some time");
			if (flag(&arr[i], "mine"))
				fprintf(f, "  %s%syour rain check for %s", when, sep(o), who[0] ? who : "?");
			else
				fprintf(f, "  %s%s%s's rain check for you", when, sep(o), who[0] ? who : "?");
			fprintf(f, "  [%s]\n", id);
		}
	}
	if (me != NULL) {
		int connected = flag(me, "connected");
		uint64_t outbox = 0, bad = 0;

		num(me, "outbox", &outbox);
		num(me, "undecryptable", &bad);
		char refused[40];

		if (field(me, "relay_refused", refused, sizeof(refused))[0] != '\0')
			fprintf(f, "\nThe relay refused this device's invite (%s): ask its operator for a new "
			    "one (attune-relay invite).\n", refused);
		else if (!connected || outbox > 0) {
			fputc('\n', f);
			on(f, o, DIM);
			fprintf(f, "%s", connected ? "Connected to the relay" :
			    "Not connected to the relay right now");
			if (outbox > 0)
				fprintf(f, "%s%u message%s waiting to be sent", sep(o), (unsigned)outbox,
				    outbox == 1 ? "" : "s");
			on(f, o, RESET);
			fputc('\n', f);
		}
		if (bad > 0)
			fprintf(f, "%u message%s could not be decrypted and were dropped.\n",
			    (unsigned)bad, bad == 1 ? "" : "s");
	}
}

void
render_partners(FILE *f, const msgpack_object *rep, const struct render_opts *o)
{
	const msgpack_object *arr;
	size_t n = 0, i;
	uint64_t v;
	char when[48];

	if (msg_get_array(rep, "partners", SIZE_MAX, &arr, &n) != 0 || n == 0) {
		fputs("No partner yet: invite one with `attune pair`.\n", f);
		return;
	}
	for (i = 0; i < n; i++) {
		name(f, &arr[i], "name", o);
		if (num(&arr[i], "devices", &v))
			fprintf(f, "%s%u device%s", sep(o), (unsigned)v, v == 1 ? "" : "s");
		if (num(&arr[i], "since", &v)) {
			when_ago(when, sizeof(when), (time_t)v, o->now);
			fprintf(f, "%spaired %s", sep(o), when);
		}
		if (num(&arr[i], "last_seen", &v)) {
			when_ago(when, sizeof(when), (time_t)v, o->now);
			fprintf(f, "%slast heard from %s", sep(o), when);
		}
		fputc('\n', f);
		if (flag(&arr[i], "devices_disagree")) {
			fputs("  ", f);
			name(f, &arr[i], "name", o);
			fputs("'s devices disagree: verify in person (compare safety numbers)\n", f);
		}
	}
}

void
render_devices(FILE *f, const msgpack_object *rep, const struct render_opts *o)
{
	const msgpack_object *arr;
	size_t n = 0, i;
	char id[40], nm[NAME_MAX_SHOW + 1];

	if (msg_get_array(rep, "devices", SIZE_MAX, &arr, &n) != 0 || n == 0) {
		fputs("No devices.\n", f);
		return;
	}
	for (i = 0; i < n; i++) {
		field(&arr[i], "id", id, sizeof(id));
		if (id[0] == '\0')
			field(&arr[i], "device", id, sizeof(id));
		fprintf(f, "%s", id);
		if (field(&arr[i], "name", nm, sizeof(nm))[0] != '\0')
			fprintf(f, "%s%s", sep(o), nm);
		if (flag(&arr[i], "this"))
			fprintf(f, "%sthis device", sep(o));
		if (flag(&arr[i], "revoked"))
			fprintf(f, "%srevoked", sep(o));
		fputc('\n', f);
	}
}
