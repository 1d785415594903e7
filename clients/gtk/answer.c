/*
 * Answer a bid: the ask, the asker's check-in and mine side by side, then
 * Yes / Not tonight / Later; for not tonight, why (chips), what would be
 * welcome instead, a time to come back to it, and a note.
 */
#include <string.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"
#include "clients/lib/vocab.h"
#include "clients/lib/when.h"

static const char *const answers[] = { "yes", "not-tonight", "later" };
static const char *const answer_labels[] = { "Yes", "Not tonight", "Later", NULL };
static const char *const rain_labels[] = {
	"No rain check", "Tomorrow evening", "Saturday evening", "In 3 days", NULL
};
static const char *const rain_when[] = { NULL, "tomorrow evening", "sat evening", "+3d" };

struct answer {
	struct app *a;
	char *bid;
	GtkWidget *context, *form, *more, *note, *send, *none;
	struct choice *answer, *rain;
	struct chips *reason, *offer;
};

static void
add_checkin_card(GtkWidget *box, const char *title, const msgpack_object *ev)
{
	GtkWidget *inner, *card = ui_card(&inner);
	char *words, *tags, *open, *note, ago[48];

	gtk_box_append(GTK_BOX(inner), ui_heading(title));
	if (ev == NULL || ev->type != MSGPACK_OBJECT_MAP) {
		gtk_box_append(GTK_BOX(inner), ui_text("no check-in right now"));
		gtk_box_append(GTK_BOX(box), card);
		return;
	}
	when_ago(ago, sizeof(ago), (time_t)mp_uint(ev, "ts", 0), time(NULL));
	words = checkin_words(ev);
	gtk_box_append(GTK_BOX(inner), ui_text(words));
	if ((tags = mp_join(ev, "tags")) != NULL) {
		char *t = g_strdup_printf("feeling %s", tags);

		gtk_box_append(GTK_BOX(inner), ui_text(t));
		g_free(t);
	}
	if ((open = mp_join(ev, "open_to")) != NULL) {
		char *t = g_strdup_printf("open to %s", open);

		gtk_box_append(GTK_BOX(inner), ui_text(t));
		g_free(t);
	}
	if ((note = mp_str(ev, "note")) != NULL) {
		char *t = g_strdup_printf("“%s”", note);

		gtk_box_append(GTK_BOX(inner), ui_text(t));
		g_free(t);
	}
	gtk_box_append(GTK_BOX(inner), ui_text(ago));
	gtk_box_append(GTK_BOX(box), card);
	g_free(words);
	g_free(tags);
	g_free(open);
	g_free(note);
}

/* The partner's current check-in from status, by name. */
static const msgpack_object *
partner_checkin(struct app *a, const char *name)
{
	const msgpack_object *items, *ev;
	size_t n = 0, i;

	if (attune_get_array(attune_reply_root(a->status), "partners", &items, &n) != 0)
		return NULL;
	for (i = 0; i < n; i++) {
		char *pn = mp_str(&items[i], "name");
		gboolean same = g_strcmp0(pn, name) == 0;

		g_free(pn);
		if (same && attune_get_map(&items[i], "checkin", &ev) == 0)
			return ev;
	}
	return NULL;
}

static void
changed(gpointer p)
{
	struct answer *s = p;
	int k = choice_get(s->answer);

	gtk_widget_set_visible(s->more, k == 1 || k == 2);
	gtk_widget_set_sensitive(s->send, k >= 0 && s->bid != NULL);
}

void
answer_update(struct app *a)
{
	struct answer *s = a->answer;
	const msgpack_object *bid = app_find_bid(a, s->bid), *me, *mine = NULL;
	char *who, *kind, *note, *t, when[48] = "";
	GtkWidget *inner, *card, *pair, *col;

	ui_clear(s->context);
	if (bid == NULL || a->status == NULL) {
		g_free(s->bid);
		s->bid = NULL;
		gtk_widget_set_visible(s->form, FALSE);
		gtk_widget_set_visible(s->none, TRUE);
		return;
	}
	gtk_widget_set_visible(s->form, TRUE);
	gtk_widget_set_visible(s->none, FALSE);
	who = mp_str(bid, "author");
	kind = mp_str(bid, "bid_kind");
	note = mp_str(bid, "note");
	if (mp_uint(bid, "from_ts", 0) != 0)
		when_at(when, sizeof(when), (time_t)mp_uint(bid, "from_ts", 0), time(NULL));
	card = ui_card(&inner);
	gtk_widget_add_css_class(card, "bid-card");
	t = g_strdup_printf("%s would like: %s%s%s", who ? who : "?", kind ? kind : "?",
	    when[0] ? ", " : "", when);
	gtk_box_append(GTK_BOX(inner), ui_heading(t));
	g_free(t);
	if (note != NULL) {
		t = g_strdup_printf("“%s”", note);
		gtk_box_append(GTK_BOX(inner), ui_text(t));
		g_free(t);
	}
	gtk_box_append(GTK_BOX(s->context), card);
	/* The two check-ins side by side when there is room, one above the other on a phone. */
	pair = gtk_flow_box_new();
	gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(pair), GTK_SELECTION_NONE);
	gtk_flow_box_set_homogeneous(GTK_FLOW_BOX(pair), TRUE);
	gtk_flow_box_set_min_children_per_line(GTK_FLOW_BOX(pair), 1);
	gtk_flow_box_set_max_children_per_line(GTK_FLOW_BOX(pair), 2);
	gtk_flow_box_set_column_spacing(GTK_FLOW_BOX(pair), 12);
	gtk_flow_box_set_row_spacing(GTK_FLOW_BOX(pair), 12);
	ui_name(pair, "Check-ins");
	col = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	t = g_strdup_printf("How %s is", who ? who : "they are");
	add_checkin_card(col, t, partner_checkin(a, who));
	g_free(t);
	gtk_flow_box_append(GTK_FLOW_BOX(pair), col);
	col = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	if (attune_get_map(attune_reply_root(a->status), "me", &me) == 0)
		attune_get_map(me, "checkin", &mine);
	add_checkin_card(col, "How you are", mine);
	gtk_flow_box_append(GTK_FLOW_BOX(pair), col);
	gtk_box_append(GTK_BOX(s->context), pair);
	g_free(who);
	g_free(kind);
	g_free(note);
	changed(s);
}

void
answer_set_bid(struct app *a, const char *bid_id)
{
	struct answer *s = a->answer;

	g_free(s->bid);
	s->bid = g_strdup(bid_id);
	choice_set(s->answer, -1);
	choice_set(s->rain, 0);
	chips_reset(s->reason);
	chips_reset(s->offer);
	gtk_editable_set_text(GTK_EDITABLE(s->note), "");
	answer_update(a);
}

void
answer_pick(struct app *a)
{
	const msgpack_object *items;
	size_t n = 0;
	char *id;

	if (a->answer->bid != NULL || a->status == NULL ||
	    attune_get_array(attune_reply_root(a->status), "bids_to_me", &items, &n) != 0 || n == 0)
		return;
	id = mp_str(&items[0], "id");
	answer_set_bid(a, id);
	g_free(id);
}

static void
on_sent(int rc, struct attune_reply *rep, gpointer p)
{
	struct answer *s = p;

	gtk_widget_set_sensitive(s->send, TRUE);
	if (rc != 0) {
		char *t = conn_error_text(rc, rep);

		app_toast(s->a, t);
		g_free(t);
	} else {
		app_toast(s->a, "Answered, with care.");
		g_free(s->bid);
		s->bid = NULL;
		app_show(s->a, "today");
		app_refresh(s->a);
	}
	if (rep != NULL)
		attune_reply_free(rep);
}

static void
send_clicked(GtkButton *b, gpointer p)
{
	static const char *const empty[] = { NULL };
	struct answer *s = p;
	int k = choice_get(s->answer), rk = choice_get(s->rain);
	const char *note = gtk_editable_get_text(GTK_EDITABLE(s->note));
	char **reason, **offer, why[200];
	struct conn_req *r;
	time_t rain = 0;

	(void)b;
	if (k < 0 || s->bid == NULL)
		return;
	if (vocab_chars(note) > VOCAB_NOTE_MAX) {
		app_toast(s->a, "The note is longer than 280 characters.");
		return;
	}
	reason = chips_selected(s->reason);
	offer = chips_selected(s->offer);
	if (k != 0 && rk > 0 && when_parse(rain_when[rk], time(NULL), &rain, why, sizeof(why)) != 0)
		rain = 0;
	r = conn_req_new("respond");
	conn_req_str(r, "bid", s->bid);
	conn_req_str(r, "answer", answers[k]);
	/* A yes carries no reasons: they are only shown for not tonight and later. */
	conn_req_strv(r, "reason", k == 0 ? empty : (const char *const *)reason);
	conn_req_strv(r, "offer", k == 0 ? empty : (const char *const *)offer);
	if (rain != 0)
		conn_req_uint(r, "raincheck", (guint64)rain);
	if (note[0] != '\0')
		conn_req_str(r, "note", note);
	gtk_widget_set_sensitive(s->send, FALSE);
	conn_call(s->a->conn, r, on_sent, s);
	g_strfreev(offer);
	g_strfreev(reason);
}

GtkWidget *
answer_new(struct app *a)
{
	struct answer *s = g_new0(struct answer, 1);
	GtkWidget *box, *page = ui_page(&box);

	a->answer = s;
	s->a = a;
	s->none = ui_text("No bid to answer right now. When your partner asks, it shows on Today.");
	gtk_box_append(GTK_BOX(box), s->none);
	s->form = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_box_append(GTK_BOX(box), s->form);
	s->context = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_box_append(GTK_BOX(s->form), s->context);
	gtk_box_append(GTK_BOX(s->form), ui_heading("Your answer"));
	s->answer = choice_new(NULL, answer_labels);
	choice_on_change(s->answer, G_CALLBACK(changed), s);
	gtk_box_append(GTK_BOX(s->form), choice_widget(s->answer));
	s->more = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_box_append(GTK_BOX(s->more), ui_heading("Why (they will understand)"));
	s->reason = chips_new("Reason", (const char *const *)vocab_tags, TRUE);
	gtk_box_append(GTK_BOX(s->more), chips_widget(s->reason));
	gtk_box_append(GTK_BOX(s->more), ui_heading("What would be welcome instead"));
	s->offer = chips_new("Instead", (const char *const *)vocab_offers, TRUE);
	gtk_box_append(GTK_BOX(s->more), chips_widget(s->offer));
	gtk_box_append(GTK_BOX(s->more), ui_heading("Come back to it"));
	s->rain = choice_new("Rain check", rain_labels);
	choice_set(s->rain, 0);
	gtk_box_append(GTK_BOX(s->more), choice_widget(s->rain));
	gtk_box_append(GTK_BOX(s->form), s->more);
	gtk_box_append(GTK_BOX(s->form), ui_heading("A few words"));
	s->note = ui_entry("Answer note", "Something kind (optional)");
	gtk_box_append(GTK_BOX(s->form), s->note);
	s->send = gtk_button_new_with_label("Send answer");
	gtk_widget_add_css_class(s->send, "suggested-action");
	gtk_widget_add_css_class(s->send, "pill");
	gtk_widget_set_halign(s->send, GTK_ALIGN_CENTER);
	g_signal_connect(s->send, "clicked", G_CALLBACK(send_clicked), s);
	gtk_box_append(GTK_BOX(s->form), s->send);
	gtk_widget_set_visible(s->form, FALSE);
	changed(s);
	return page;
}
