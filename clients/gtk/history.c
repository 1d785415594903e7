/*
 * History and rain checks: per person, the daily average of mood, desire
 * and capacity over the last week or month, drawn with cairo, then the
 * recent events in words. The log comes in pages (docs/PROTOCOL.md 8.1).
 */
#include <string.h>
#include <math.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"
#include "clients/lib/vocab.h"
#include "clients/lib/when.h"

#define DAYS 30
#define EVENTS_SHOWN 40
#define PAGES_MAX 20

static const char *const span_labels[] = { "Week", "Month", NULL };

/* One person's daily averages; -1 where there was no check-in. */
struct series {
	char *who;
	double v[3][DAYS];
	int n[3][DAYS];
};

struct history {
	struct app *a;
	struct choice *span;
	GtkWidget *rain, *plots, *events;
	GPtrArray *series;        /* struct series */
	GPtrArray *pages;         /* struct attune_reply * being gathered */
	gboolean loading;
};

static void
series_free(gpointer p)
{
	struct series *s = p;

	g_free(s->who);
	g_free(s);
}

static int
span_days(struct history *h)
{
	return choice_get(h->span) == 1 ? DAYS : 7;
}

/* The lines of one series over its last days, into w x ht (plot and sparkline). */
static void
series_lines(struct series *s, int days, cairo_t *cr, double x0, double y0, double pw, double ph,
    double dot)
{
	static const double col[3][3] = { { 0.21, 0.52, 0.89 }, { 0.88, 0.27, 0.45 },
	    { 0.18, 0.62, 0.38 } };
	static const enum vocab_scale sc[3] = { VOCAB_MOOD, VOCAB_DESIRE, VOCAB_CAPACITY };
	int k, d;

	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (k = 0; k < 3; k++) {
		gboolean pen = FALSE;

		cairo_set_source_rgb(cr, col[k][0], col[k][1], col[k][2]);
		for (d = 0; d < days; d++) {
			int i = DAYS - days + d;
			double x, y;

			if (s->n[k][i] == 0) {
				pen = FALSE;
				continue;
			}
			x = x0 + (days == 1 ? pw / 2 : pw * d / (days - 1));
			y = y0 + ph * (1 - s->v[k][i] / vocab_scale_max(sc[k]));
			if (pen)
				cairo_line_to(cr, x, y);
			else
				cairo_move_to(cr, x, y);
			cairo_arc(cr, x, y, dot, 0, 2 * G_PI);
			cairo_move_to(cr, x, y);
			pen = TRUE;
		}
		cairo_stroke(cr);
	}
}

static void
plot_draw(GtkDrawingArea *da, cairo_t *cr, int w, int ht, gpointer p)
{
	struct series *s = p;
	struct history *h = g_object_get_data(G_OBJECT(da), "history");
	int days = span_days(h), k;
	double pad = 8, x0 = pad, y0 = pad, pw = w - 2 * pad, ph = ht - 2 * pad;

	cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.25);
	cairo_set_line_width(cr, 1);
	for (k = 0; k <= 5; k++) {
		cairo_move_to(cr, x0, y0 + ph * k / 5.0);
		cairo_line_to(cr, x0 + pw, y0 + ph * k / 5.0);
	}
	cairo_stroke(cr);
	cairo_set_line_width(cr, 2.5);
	series_lines(s, days, cr, x0, y0, pw, ph, 2.5);
}

static struct series *
series_find(struct history *h, const char *who)
{
	guint i;

	for (i = 0; i < h->series->len; i++)
		if (strcmp(((struct series *)h->series->pdata[i])->who, who) == 0)
			return h->series->pdata[i];
	return NULL;
}

void
history_sparkline(struct app *a, const char *who, cairo_t *cr, int w, int ht)
{
	struct series *s = a->history != NULL ? series_find(a->history, who) : NULL;

	if (s == NULL)
		return;
	/* A faint axis per day, so one day's dots still read as the end of a week. */
	cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.35);
	cairo_set_line_width(cr, 1);
	for (int d = 0; d < 7; d++) {
		double x = 2 + (w - 4) * d / 6.0;

		cairo_move_to(cr, x, ht - 1.5);
		cairo_line_to(cr, x, ht - 4.5);
	}
	cairo_move_to(cr, 2, ht - 1.5);
	cairo_line_to(cr, w - 2, ht - 1.5);
	cairo_stroke(cr);
	cairo_set_line_width(cr, 1.5);
	series_lines(s, 7, cr, 2, 2, w - 4, ht - 4, 1.2);
}

gboolean
history_has(struct app *a, const char *who)
{
	return a->history != NULL && series_find(a->history, who) != NULL;
}

/* A sentence for assistive technology: what the plot shows. */
static char *
plot_summary(struct series *s, int days)
{
	static const char *const names[3] = { "mood", "desire", "capacity" };
	GString *g = g_string_new(NULL);
	int k, d;

	g_string_append_printf(g, "%s, last %d days:", s->who, days);
	for (k = 0; k < 3; k++) {
		double sum = 0;
		int n = 0;

		for (d = DAYS - days; d < DAYS; d++)
			if (s->n[k][d] > 0) {
				sum += s->v[k][d];
				n++;
			}
		if (n > 0)
			g_string_append_printf(g, " %s %.1f on average over %d days;", names[k], sum / n, n);
	}
	return g_string_free(g, FALSE);
}

static void
rebuild_plots(struct history *h)
{
	guint i;

	ui_clear(h->plots);
	for (i = 0; i < h->series->len; i++) {
		struct series *s = h->series->pdata[i];
		GtkWidget *inner, *card = ui_card(&inner), *da = g_object_new(GTK_TYPE_DRAWING_AREA,
		    "accessible-role", GTK_ACCESSIBLE_ROLE_IMG, NULL);
		char *sum = plot_summary(s, span_days(h));

		gtk_box_append(GTK_BOX(inner), ui_heading(s->who));
		gtk_drawing_area_set_content_height(GTK_DRAWING_AREA(da), 120);
		gtk_drawing_area_set_content_width(GTK_DRAWING_AREA(da), 100);
		gtk_widget_set_hexpand(da, TRUE);
		g_object_set_data(G_OBJECT(da), "history", h);
		gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(da), plot_draw, s, NULL);
		ui_name(da, sum);
		gtk_box_append(GTK_BOX(inner), da);
		gtk_box_append(GTK_BOX(inner), ui_text("blue: mood · rose: desire · green: capacity"));
		gtk_box_append(GTK_BOX(h->plots), card);
		g_free(sum);
	}
	if (h->series->len == 0)
		gtk_box_append(GTK_BOX(h->plots), ui_text("No check-ins in the last month yet."));
}

static struct series *
series_for(struct history *h, const char *who)
{
	struct series *s;
	guint i;
	int k, d;

	for (i = 0; i < h->series->len; i++)
		if (strcmp(((struct series *)h->series->pdata[i])->who, who) == 0)
			return h->series->pdata[i];
	s = g_new0(struct series, 1);
	s->who = g_strdup(who);
	for (k = 0; k < 3; k++)
		for (d = 0; d < DAYS; d++)
			s->v[k][d] = 0;
	g_ptr_array_add(h->series, s);
	return s;
}

static char *
event_text(const msgpack_object *ev)
{
	char *kind = mp_str(ev, "kind"), *who = mp_str(ev, "author"), ago[48], *t, *x = NULL;

	when_ago(ago, sizeof(ago), (time_t)mp_uint(ev, "ts", 0), time(NULL));
	if (g_strcmp0(kind, "checkin") == 0)
		t = g_strdup_printf("%s · %s · %s", who, ago, x = checkin_words(ev));
	else if (g_strcmp0(kind, "bid") == 0)
		t = g_strdup_printf("%s · %s · asked: %s", who, ago, x = mp_str(ev, "bid_kind"));
	else if (g_strcmp0(kind, "response") == 0) {
		char *an = mp_str(ev, "answer"), *r = mp_join(ev, "reason");

		t = g_strdup_printf("%s · %s · answered %s%s%s", who, ago,
		    an ? vocab_answer_text(an) : "?", r ? ": " : "", r ? r : "");
		g_free(an);
		g_free(r);
	} else
		t = g_strdup_printf("%s · %s · took something back", who, ago);
	g_free(x);
	g_free(kind);
	g_free(who);
	return t;
}

static void
take_pages(struct history *h)
{
	long today = when_day(time(NULL));
	guint p, shown = 0;
	int k;

	g_ptr_array_set_size(h->series, 0);
	ui_clear(h->events);
	for (p = 0; p < h->pages->len; p++) {
		const msgpack_object *items;
		size_t n = 0, i;

		if (attune_get_array(attune_reply_root(h->pages->pdata[p]), "events", &items, &n) != 0)
			continue;
		for (i = 0; i < n; i++) {
			const msgpack_object *ev = &items[i];
			char *kind = mp_str(ev, "kind"), *who = mp_str(ev, "author");
			long day = when_day((time_t)mp_uint(ev, "ts", 0));

			if (g_strcmp0(kind, "checkin") == 0 && who != NULL && day > today - DAYS &&
			    day <= today) {
				struct series *s = series_for(h, who);
				int d = (int)(DAYS - 1 - (today - day));
				static const char *const f[3] = { "mood", "desire", "capacity" };

				for (k = 0; k < 3; k++) {
					uint64_t v;

					if (attune_get_uint(ev, f[k], &v) != 0)
						continue;
					s->v[k][d] = (s->v[k][d] * s->n[k][d] + (double)v) / (s->n[k][d] + 1);
					s->n[k][d]++;
				}
			}
			if (shown < EVENTS_SHOWN && g_strcmp0(kind, "retract") != 0) {
				char *t = event_text(ev);

				gtk_box_append(GTK_BOX(h->events), ui_text(t));
				g_free(t);
				shown++;
			}
			g_free(kind);
			g_free(who);
		}
	}
	rebuild_plots(h);
	/* Today's sparklines come from the same days. */
	today_update(h->a);
}

static void fetch(struct history *h, guint64 offset);

static void
on_log(int rc, struct attune_reply *rep, gpointer p)
{
	struct history *h = p;
	int more = 0;

	if (rc != 0) {
		if (rep != NULL)
			attune_reply_free(rep);
		h->loading = FALSE;
		return;
	}
	g_ptr_array_add(h->pages, rep);
	attune_get_bool(attune_reply_root(rep), "more", &more);
	if (more && h->pages->len < PAGES_MAX) {
		fetch(h, mp_uint(attune_reply_root(rep), "next", 0));
		return;
	}
	take_pages(h);
	h->loading = FALSE;
}

static void
fetch(struct history *h, guint64 offset)
{
	struct conn_req *r = conn_req_new("log");

	conn_req_uint(r, "since", (guint64)(time(NULL) - (DAYS + 1) * 86400));
	if (offset > 0)
		conn_req_uint(r, "offset", offset);
	conn_call(h->a->conn, r, on_log, h);
}

static void
rain_update(struct history *h)
{
	const msgpack_object *items;
	size_t n = 0, i;

	ui_clear(h->rain);
	if (h->a->status == NULL ||
	    attune_get_array(attune_reply_root(h->a->status), "rainchecks", &items, &n) != 0)
		n = 0;
	for (i = 0; i < n; i++) {
		char when[48], *who = mp_str(&items[i], "who"), *t;
		int mine = 0;

		attune_get_bool(&items[i], "mine", &mine);
		when_at(when, sizeof(when), (time_t)mp_uint(&items[i], "at", 0), time(NULL));
		t = mine ? g_strdup_printf("%s: you said you would come back to %s’s bid", when,
		    who ? who : "?") : g_strdup_printf("%s: %s will come back to your bid", when,
		    who ? who : "?");
		gtk_box_append(GTK_BOX(h->rain), ui_text(t));
		g_free(t);
		g_free(who);
	}
	if (n == 0)
		gtk_box_append(GTK_BOX(h->rain), ui_text("No rain checks."));
}

void
history_update(struct app *a)
{
	struct history *h = a->history;

	rain_update(h);
	if (h->loading)
		return;
	h->loading = TRUE;
	g_ptr_array_set_size(h->pages, 0);
	fetch(h, 0);
}

static void
span_changed(gpointer p)
{
	rebuild_plots(p);
}

GtkWidget *
history_new(struct app *a)
{
	struct history *h = g_new0(struct history, 1);
	GtkWidget *box, *page = ui_page(&box);

	a->history = h;
	h->a = a;
	h->series = g_ptr_array_new_with_free_func(series_free);
	h->pages = g_ptr_array_new_with_free_func((GDestroyNotify)attune_reply_free);
	gtk_box_append(GTK_BOX(box), ui_heading("Rain checks"));
	h->rain = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(box), h->rain);
	gtk_box_append(GTK_BOX(box), ui_heading("Trends"));
	h->span = choice_new("Trend span", span_labels);
	choice_set(h->span, 0);
	choice_on_change(h->span, G_CALLBACK(span_changed), h);
	gtk_box_append(GTK_BOX(box), choice_widget(h->span));
	h->plots = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_box_append(GTK_BOX(box), h->plots);
	gtk_box_append(GTK_BOX(box), ui_heading("Recent"));
	h->events = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(box), h->events);
	return page;
}
