/* Today: each partner's latest check-in, open bids and rain checks, and my own check-in. */
#include <string.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"
#include "clients/lib/vocab.h"
#include "clients/lib/when.h"

struct today {
	GtkWidget *box;
};

static void
add_line(GtkWidget *box, const char *label, const char *value)
{
	char *t;
	GtkWidget *l;

	if (value == NULL || value[0] == '\0')
		return;
	t = g_strdup_printf("%s%s", label, value);
	l = ui_text(t);
	gtk_box_append(GTK_BOX(box), l);
	g_free(t);
}

/* A level as a word and a small bar. */
static void
add_level(GtkWidget *box, const msgpack_object *ev, enum vocab_scale s)
{
	uint64_t v;
	GtkWidget *row, *l, *bar;
	char *t;

	if (attune_get_uint(ev, vocab_scale_name(s), &v) != 0)
		return;
	row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	t = g_strdup_printf("%s: %s", vocab_scale_name(s), vocab_level_word(s, (int)v));
	l = gtk_label_new(t);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_width_chars(GTK_LABEL(l), 16);
	bar = gtk_level_bar_new_for_interval(0, vocab_scale_max(s));
	gtk_level_bar_set_value(GTK_LEVEL_BAR(bar), (double)v);
	gtk_widget_set_hexpand(bar, TRUE);
	gtk_widget_set_valign(bar, GTK_ALIGN_CENTER);
	gtk_widget_set_size_request(bar, 60, -1);
	ui_name(bar, t);
	gtk_box_append(GTK_BOX(row), l);
	gtk_box_append(GTK_BOX(row), bar);
	gtk_box_append(GTK_BOX(box), row);
	g_free(t);
}

static void
add_checkin(GtkWidget *inner, const msgpack_object *ev, gboolean mine)
{
	char ago[48], *s;
	int resp = 0;

	if (ev == NULL || ev->type != MSGPACK_OBJECT_MAP) {
		gtk_box_append(GTK_BOX(inner), ui_text(mine ? "You have not checked in today." :
		    "No check-in right now."));
		return;
	}
	when_ago(ago, sizeof(ago), (time_t)mp_uint(ev, "ts", 0), time(NULL));
	add_line(inner, "", ago);
	add_level(inner, ev, VOCAB_MOOD);
	add_level(inner, ev, VOCAB_DESIRE);
	add_level(inner, ev, VOCAB_CAPACITY);
	if (attune_get_bool(ev, "responsive", &resp) == 0 && resp)
		add_line(inner, "", "open to being warmed up");
	add_line(inner, "feeling: ", s = mp_join(ev, "tags"));
	g_free(s);
	add_line(inner, "open to: ", s = mp_join(ev, "open_to"));
	g_free(s);
	if ((s = mp_str(ev, "note")) != NULL) {
		char *q = g_strdup_printf("“%s”", s);

		add_line(inner, "", q);
		g_free(q);
		g_free(s);
	}
	if (mine) {
		char *to = mp_join(ev, "to");

		add_line(inner, "seen by: ", to != NULL ? to : "your own devices only");
		g_free(to);
	}
}

static void
spark_draw(GtkDrawingArea *da, cairo_t *cr, int w, int h, gpointer p)
{
	history_sparkline(p, g_object_get_data(G_OBJECT(da), "who"), cr, w, h);
}

/* The week's trend under a person's check-in, when there is one. */
static void
add_spark(struct app *a, GtkWidget *box, const char *who)
{
	GtkWidget *da;
	char *name;

	if (who == NULL || !history_has(a, who))
		return;
	da = g_object_new(GTK_TYPE_DRAWING_AREA, "accessible-role", GTK_ACCESSIBLE_ROLE_IMG, NULL);
	gtk_drawing_area_set_content_height(GTK_DRAWING_AREA(da), 28);
	gtk_drawing_area_set_content_width(GTK_DRAWING_AREA(da), 60);
	gtk_widget_set_hexpand(da, TRUE);
	g_object_set_data_full(G_OBJECT(da), "who", g_strdup(who), g_free);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(da), spark_draw, a, NULL);
	name = g_strdup_printf("%s’s week: mood, desire and capacity (History has the details)", who);
	ui_name(da, name);
	g_free(name);
	gtk_box_append(GTK_BOX(box), da);
}

static void
answer_clicked(GtkButton *b, gpointer p)
{
	app_open_bid(p, g_object_get_data(G_OBJECT(b), "bid"));
}

static char *
bid_text(const msgpack_object *bid, gboolean to_me)
{
	char *who = mp_str(bid, "author"), *kind = mp_str(bid, "bid_kind"), *to = mp_join(bid, "to");
	char when[48] = "", *t;
	guint64 from = mp_uint(bid, "from_ts", 0), until = mp_uint(bid, "until_ts", 0);

	if (from != 0)
		when_at(when, sizeof(when), (time_t)from, time(NULL));
	if (to_me)
		t = g_strdup_printf("%s asks: %s%s%s", who ? who : "?", kind ? kind : "?",
		    when[0] ? ", " : "", when);
	else
		t = g_strdup_printf("You asked %s: %s%s%s", to ? to : "your partners",
		    kind ? kind : "?", when[0] ? ", " : "", when);
	(void)until;
	g_free(who);
	g_free(kind);
	g_free(to);
	return t;
}

static void
add_bids(struct app *a, GtkWidget *box)
{
	const msgpack_object *root = attune_reply_root(a->status), *items;
	size_t n = 0, i;

	if (attune_get_array(root, "bids_to_me", &items, &n) == 0 && n > 0) {
		gtk_box_append(GTK_BOX(box), ui_heading("Asked of you"));
		for (i = 0; i < n; i++) {
			GtkWidget *inner, *card = ui_card(&inner), *btn;
			char *t = bid_text(&items[i], TRUE), *note = mp_str(&items[i], "note");

			gtk_box_append(GTK_BOX(inner), ui_text(t));
			if (note != NULL) {
				char *q = g_strdup_printf("“%s”", note);

				add_line(inner, "", q);
				g_free(q);
			}
			btn = gtk_button_new_with_label("Answer");
			gtk_widget_add_css_class(btn, "suggested-action");
			gtk_widget_add_css_class(btn, "pill");
			gtk_widget_set_halign(btn, GTK_ALIGN_START);
			g_object_set_data_full(G_OBJECT(btn), "bid", mp_str(&items[i], "id"), g_free);
			g_signal_connect(btn, "clicked", G_CALLBACK(answer_clicked), a);
			gtk_box_append(GTK_BOX(inner), btn);
			gtk_box_append(GTK_BOX(box), card);
			g_free(t);
			g_free(note);
		}
	}
	if (attune_get_array(root, "bids_from_me", &items, &n) == 0 && n > 0) {
		gtk_box_append(GTK_BOX(box), ui_heading("You asked"));
		for (i = 0; i < n; i++) {
			GtkWidget *inner, *card = ui_card(&inner);
			const msgpack_object *ans;
			size_t na = 0, k;
			char *t = bid_text(&items[i], FALSE);

			gtk_box_append(GTK_BOX(inner), ui_text(t));
			g_free(t);
			if (attune_get_array(&items[i], "answers", &ans, &na) != 0 || na == 0)
				add_line(inner, "", "no answer yet");
			for (k = 0; k < na; k++) {
				char *who = mp_str(&ans[k], "author"), *an = mp_str(&ans[k], "answer");
				char *reason = mp_join(&ans[k], "reason"), *offer = mp_join(&ans[k], "offer");
				char *note = mp_str(&ans[k], "note"), *l;

				l = g_strdup_printf("%s: %s", who ? who : "?",
				    an ? vocab_answer_text(an) : "?");
				add_line(inner, "", l);
				add_line(inner, "because: ", reason);
				add_line(inner, "instead: ", offer);
				if (note != NULL) {
					char *q = g_strdup_printf("“%s”", note);

					add_line(inner, "", q);
					g_free(q);
				}
				g_free(l);
				g_free(who);
				g_free(an);
				g_free(reason);
				g_free(offer);
				g_free(note);
			}
			gtk_box_append(GTK_BOX(box), card);
		}
	}
}

static void
add_rainchecks(struct app *a, GtkWidget *box)
{
	const msgpack_object *items;
	size_t n = 0, i;

	if (attune_get_array(attune_reply_root(a->status), "rainchecks", &items, &n) != 0 || n == 0)
		return;
	gtk_box_append(GTK_BOX(box), ui_heading("Rain checks"));
	for (i = 0; i < n; i++) {
		char when[48], *who = mp_str(&items[i], "who"), *t;
		int mine = 0;

		attune_get_bool(&items[i], "mine", &mine);
		when_at(when, sizeof(when), (time_t)mp_uint(&items[i], "at", 0), time(NULL));
		t = mine ? g_strdup_printf("You come back to %s’s bid %s", who ? who : "?", when) :
		    g_strdup_printf("%s comes back to your bid %s", who ? who : "?", when);
		gtk_box_append(GTK_BOX(box), ui_text(t));
		g_free(t);
		g_free(who);
	}
}

void
today_update(struct app *a)
{
	struct today *t = a->today;
	const msgpack_object *root, *items, *me, *ev;
	size_t n = 0, i;

	ui_clear(t->box);
	if (a->status == NULL)
		return;
	root = attune_reply_root(a->status);
	if (attune_get_array(root, "partners", &items, &n) != 0)
		n = 0;
	if (n == 0)
		gtk_box_append(GTK_BOX(t->box), ui_text("No partner yet. Pair with your partner under "
		    "Partners and devices."));
	for (i = 0; i < n; i++) {
		GtkWidget *inner, *card = ui_card(&inner);
		char *name = mp_str(&items[i], "name");

		gtk_box_append(GTK_BOX(inner), ui_heading(name ? name : "?"));
		ev = NULL;
		attune_get_map(&items[i], "checkin", &ev);
		add_checkin(inner, ev, FALSE);
		add_spark(a, inner, name);
		gtk_box_append(GTK_BOX(t->box), card);
		g_free(name);
	}
	add_bids(a, t->box);
	add_rainchecks(a, t->box);
	if (attune_get_map(root, "me", &me) == 0) {
		GtkWidget *inner, *card = ui_card(&inner);

		gtk_box_append(GTK_BOX(inner), ui_heading("You"));
		ev = NULL;
		attune_get_map(me, "checkin", &ev);
		add_checkin(inner, ev, TRUE);
		add_spark(a, inner, a->me);
		gtk_box_append(GTK_BOX(t->box), card);
	}
}

GtkWidget *
today_new(struct app *a)
{
	GtkWidget *box, *page = ui_page(&box);

	a->today = g_new0(struct today, 1);
	a->today->box = box;
	return page;
}
