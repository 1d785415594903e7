/* Ask (a bid): what, to whom (always chosen, never assumed), a note, a window. */
#include <string.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"
#include "clients/lib/vocab.h"
#include "clients/lib/when.h"

static const char *const window_labels[] = {
	"Any time soon", "Now", "Tonight", "Tomorrow evening", "This weekend", NULL
};

struct ask {
	struct app *a;
	struct choice *kind, *window;
	GtkWidget *own_kind, *note, *to_box, *send;
	GPtrArray *to;            /* GtkCheckButton "Ask NAME" per partner */
	char *partners_key;
};

/* The window's from/until for the chosen label (0, 0: none). */
static void
window_times(int k, time_t now, time_t *from, time_t *until)
{
	char why[200];

	*from = *until = 0;
	switch (k) {
	case 1: *from = now; *until = now + 2 * 3600; break;
	case 2:
		if (when_parse("tonight", now, from, why, sizeof(why)) == 0)
			*until = *from + 4 * 3600;
		break;
	case 3:
		if (when_parse("tomorrow evening", now, from, why, sizeof(why)) == 0)
			*until = *from + 5 * 3600;
		break;
	case 4:
		if (when_parse("sat morning", now, from, why, sizeof(why)) == 0)
			*until = *from + 2 * 86400 - 9 * 3600;
		break;
	}
	if (*from != 0 && *from < now)
		*from = now;
}

static char *
kind_of(struct ask *s)
{
	const char *own = gtk_editable_get_text(GTK_EDITABLE(s->own_kind));
	struct vocab_list l;
	int k = choice_get(s->kind);

	memset(&l, 0, sizeof(l));
	if (own[0] != '\0' && strchr(own, ',') == NULL && vocab_list_add(&l, own) == 0 && l.n == 1)
		return g_strdup(l.item[0]);
	return k < 0 ? NULL : g_strdup(vocab_bid_kinds[k]);
}

static void
changed(gpointer p)
{
	struct ask *s = p;
	char *kind = kind_of(s);
	gboolean anyone = FALSE;
	guint i;

	for (i = 0; i < s->to->len; i++)
		anyone = anyone || gtk_check_button_get_active(s->to->pdata[i]);
	gtk_widget_set_sensitive(s->send, kind != NULL && anyone);
	g_free(kind);
}

static void
on_sent(int rc, struct attune_reply *rep, gpointer p)
{
	struct ask *s = p;
	guint i;

	if (rc != 0) {
		char *t = conn_error_text(rc, rep);

		app_toast(s->a, t);
		g_free(t);
	} else {
		app_toast(s->a, "Asked. You will see the answer on Today.");
		choice_set(s->kind, -1);
		gtk_editable_set_text(GTK_EDITABLE(s->own_kind), "");
		gtk_editable_set_text(GTK_EDITABLE(s->note), "");
		for (i = 0; i < s->to->len; i++)
			gtk_check_button_set_active(s->to->pdata[i], FALSE);
		app_show(s->a, "today");
		app_refresh(s->a);
	}
	changed(s);
	if (rep != NULL)
		attune_reply_free(rep);
}

static void
send_clicked(GtkButton *b, gpointer p)
{
	struct ask *s = p;
	char *kind = kind_of(s);
	const char *note = gtk_editable_get_text(GTK_EDITABLE(s->note));
	GPtrArray *to = g_ptr_array_new();
	struct conn_req *r;
	time_t from, until;
	guint i;

	(void)b;
	for (i = 0; i < s->to->len; i++)
		if (gtk_check_button_get_active(s->to->pdata[i]))
			g_ptr_array_add(to, s->a->partners[i]);
	g_ptr_array_add(to, NULL);
	if (kind == NULL || to->len < 2 || vocab_chars(note) > VOCAB_NOTE_MAX) {
		app_toast(s->a, kind == NULL ? "Choose what you are asking for." : to->len < 2 ?
		    "Choose who you are asking." : "The note is longer than 280 characters.");
		goto out;
	}
	window_times(choice_get(s->window), time(NULL), &from, &until);
	r = conn_req_new("bid");
	conn_req_str(r, "kind", kind);
	conn_req_strv(r, "to", (const char *const *)to->pdata);
	if (note[0] != '\0')
		conn_req_str(r, "note", note);
	if (from != 0) {
		conn_req_uint(r, "from_ts", (guint64)from);
		conn_req_uint(r, "until_ts", (guint64)until);
	}
	gtk_widget_set_sensitive(s->send, FALSE);
	conn_call(s->a->conn, r, on_sent, s);
out:
	g_ptr_array_free(to, TRUE);
	g_free(kind);
}

void
ask_update(struct app *a)
{
	struct ask *s = a->ask;
	char *key = a->partners != NULL ? g_strjoinv("\n", a->partners) : g_strdup("");
	guint i;

	if (g_strcmp0(key, s->partners_key) == 0) {
		g_free(key);
		return;
	}
	g_free(s->partners_key);
	s->partners_key = key;
	ui_clear(s->to_box);
	g_ptr_array_set_size(s->to, 0);
	for (i = 0; a->partners != NULL && a->partners[i] != NULL; i++) {
		char *t = g_strdup_printf("Ask %s", a->partners[i]);
		GtkWidget *cb = gtk_check_button_new_with_label(t);

		g_signal_connect_swapped(cb, "toggled", G_CALLBACK(changed), s);
		gtk_box_append(GTK_BOX(s->to_box), cb);
		g_ptr_array_add(s->to, cb);
		g_free(t);
	}
	if (s->to->len == 0)
		gtk_box_append(GTK_BOX(s->to_box), ui_text("No partner yet: pair first."));
	changed(s);
}

GtkWidget *
ask_new(struct app *a)
{
	struct ask *s = g_new0(struct ask, 1);
	GtkWidget *box, *page = ui_page(&box);

	a->ask = s;
	s->a = a;
	s->to = g_ptr_array_new();
	gtk_box_append(GTK_BOX(box), ui_text("Ask for some closeness. Your partner can say yes, "
	    "not tonight, or later, and tell you why."));
	gtk_box_append(GTK_BOX(box), ui_heading("What"));
	s->kind = choice_new("Kind", (const char *const *)vocab_bid_kinds);
	choice_on_change(s->kind, G_CALLBACK(changed), s);
	gtk_box_append(GTK_BOX(box), choice_widget(s->kind));
	s->own_kind = ui_entry("Kind: your own", "Or your own word");
	g_signal_connect_swapped(s->own_kind, "changed", G_CALLBACK(changed), s);
	gtk_box_append(GTK_BOX(box), s->own_kind);
	gtk_box_append(GTK_BOX(box), ui_heading("Who"));
	s->to_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(box), s->to_box);
	gtk_box_append(GTK_BOX(box), ui_heading("When"));
	s->window = choice_new("When", window_labels);
	choice_set(s->window, 0);
	gtk_box_append(GTK_BOX(box), choice_widget(s->window));
	gtk_box_append(GTK_BOX(box), ui_heading("Note"));
	s->note = ui_entry("Bid note", "A few words (optional)");
	gtk_box_append(GTK_BOX(box), s->note);
	s->send = gtk_button_new_with_label("Send bid");
	gtk_widget_add_css_class(s->send, "suggested-action");
	gtk_widget_add_css_class(s->send, "pill");
	gtk_widget_set_halign(s->send, GTK_ALIGN_CENTER);
	g_signal_connect(s->send, "clicked", G_CALLBACK(send_clicked), s);
	gtk_box_append(GTK_BOX(box), s->send);
	changed(s);
	return page;
}
