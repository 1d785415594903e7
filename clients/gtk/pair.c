/*
 * Partners and devices: pair with a partner (the code large and as a QR
 * code, or type theirs with word completion and "did you mean"), link
 * another device of mine, compare safety numbers, see devices and revoke one.
 */
#include <string.h>
#include <qrencode.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"
#include "clients/lib/when.h"
#include "proto/err.h"
#include "proto/pcode.h"

#define QR_QUIET 2
#define SUGGEST_MAX 4

struct pair {
	struct app *a;
	GtkWidget *invite_box, *code_label, *link_label, *qr, *waiting, *result;
	GtkWidget *entry, *hint, *suggest, *join;
	GtkWidget *partners, *devices;
	GtkWidget *pair_btn, *link_btn;
	char *link_text;          /* the QR code's text */
	gboolean busy;
	gboolean linking;         /* a link (another device of mine), not a pairing */
};

static void
qr_draw(GtkDrawingArea *da, cairo_t *cr, int w, int h, gpointer p)
{
	struct pair *s = p;
	QRcode *q;
	int x, y, n;
	double cell;

	(void)da;
	if (s->link_text == NULL || (q = QRcode_encodeString(s->link_text, 0, QR_ECLEVEL_L,
	    QR_MODE_8, 1)) == NULL)
		return;
	n = q->width + 2 * QR_QUIET;
	cell = (double)MIN(w, h) / n;
	cairo_translate(cr, (w - cell * n) / 2, (h - cell * n) / 2);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, 0, 0, cell * n, cell * n);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (y = 0; y < q->width; y++)
		for (x = 0; x < q->width; x++)
			if (q->data[y * q->width + x] & 1)
				cairo_rectangle(cr, (x + QR_QUIET) * cell, (y + QR_QUIET) * cell,
				    cell, cell);
	cairo_fill(cr);
	QRcode_free(q);
}

static void
set_busy(struct pair *s, gboolean busy)
{
	s->busy = busy;
	gtk_widget_set_sensitive(s->pair_btn, !busy);
	gtk_widget_set_sensitive(s->link_btn, !busy);
	gtk_widget_set_sensitive(s->join, !busy);
}

static void
show_result(struct pair *s, const msgpack_object *root, gboolean link)
{
	char *who = mp_str(root, "partner"), *safety = mp_str(root, "safety");
	char *words = mp_str(root, "safety_words"), *t;

	if (link)
		t = g_strdup_printf("Linked: your other device now shares your identity.");
	else
		t = g_strdup_printf("Paired with %s.", who ? who : "your partner");
	gtk_label_set_text(GTK_LABEL(s->waiting), t);
	g_free(t);
	t = g_strdup_printf("Safety number: %s%s%s\nCompare it with the other screen. If it "
	    "differs, someone is in between: remove them and pair again in person.",
	    safety ? safety : "?", words ? "\nor: " : "", words ? words : "");
	gtk_label_set_text(GTK_LABEL(s->result), t);
	gtk_widget_set_visible(s->result, TRUE);
	g_free(t);
	g_free(who);
	g_free(safety);
	g_free(words);
}

static void
on_pairing(int rc, struct attune_reply *rep, gpointer p)
{
	struct pair *s = p;
	const char *t = rep != NULL ? attune_reply_type(rep) : "";

	if (rc != 0) {
		char *e = conn_error_text(rc, rep);

		gtk_label_set_text(GTK_LABEL(s->waiting), e);
		app_toast(s->a, e);
		g_free(e);
		set_busy(s, FALSE);
	} else if (strcmp(t, "pairing") == 0) {
		char *code = mp_str(attune_reply_root(rep), "code");

		/* The joining side gets this reply too, without a code to show. */
		if (code != NULL) {
			g_free(s->link_text);
			s->link_text = mp_str(attune_reply_root(rep), "link");
			gtk_label_set_text(GTK_LABEL(s->code_label), code);
			gtk_label_set_text(GTK_LABEL(s->link_label), s->link_text != NULL ?
			    s->link_text : "");
			gtk_widget_set_visible(s->invite_box, TRUE);
			gtk_widget_set_visible(s->qr, s->link_text != NULL);
			gtk_widget_queue_draw(s->qr);
			gtk_label_set_text(GTK_LABEL(s->waiting), "Waiting for the other side… "
			    "The code works once, for 10 minutes.");
		}
		g_free(code);
	} else {
		show_result(s, attune_reply_root(rep), s->linking || strcmp(t, "linked") == 0);
		set_busy(s, FALSE);
		app_refresh(s->a);
	}
	if (rep != NULL)
		attune_reply_free(rep);
}

static void
start(struct pair *s, const char *type, const char *code)
{
	struct conn_req *r = conn_req_new(type);

	if (code != NULL)
		conn_req_str(r, "code", code);
	s->linking = strcmp(type, "link") == 0;
	gtk_widget_set_visible(s->result, FALSE);
	gtk_widget_set_visible(s->invite_box, FALSE);
	gtk_label_set_text(GTK_LABEL(s->waiting), code != NULL ? "Joining…" : "Asking the relay "
	    "for a code…");
	set_busy(s, TRUE);
	conn_call(s->a->conn, r, on_pairing, s);
}

static void
pair_clicked(GtkButton *b, gpointer p)
{
	(void)b;
	start(p, "pair", NULL);
}

static void
link_clicked(GtkButton *b, gpointer p)
{
	(void)b;
	start(p, "link", NULL);
}

static void
join_clicked(GtkButton *b, gpointer p)
{
	struct pair *s = p;
	char canon[PCODE_MAX], why[200];
	const char *typed = gtk_editable_get_text(GTK_EDITABLE(s->entry));

	(void)b;
	if (pcode_canonical(canon, sizeof(canon), typed, why, sizeof(why)) < 0) {
		gtk_label_set_text(GTK_LABEL(s->hint), why);
		return;
	}
	start(s, "pair", canon);
}

static void
suggestion_clicked(GtkButton *b, gpointer p)
{
	struct pair *s = p;
	const char *typed = gtk_editable_get_text(GTK_EDITABLE(s->entry));
	const char *word = g_object_get_data(G_OBJECT(b), "word");
	const char *cut = strrchr(typed, '-');
	char *t;

	t = cut != NULL ? g_strdup_printf("%.*s-%s", (int)(cut - typed), typed, word) :
	    g_strdup(word);
	gtk_editable_set_text(GTK_EDITABLE(s->entry), t);
	gtk_editable_set_position(GTK_EDITABLE(s->entry), -1);
	gtk_widget_grab_focus(s->entry);
	g_free(t);
}

/* Words of the list (column col: 1 odd for the first word, 0 even for the second) starting with prefix. */
static void
suggest(struct pair *s, const char *prefix, int col)
{
	size_t len = strlen(prefix), b;
	int n = 0;

	for (b = 0; b < 256 && n < SUGGEST_MAX; b++) {
		const char *w = wordlist_pgp[b][col];

		if (g_ascii_strncasecmp(w, prefix, len) == 0 && strlen(w) > len) {
			char *lower = g_ascii_strdown(w, -1), *name = g_strdup_printf("Complete: %s", lower);
			GtkWidget *btn = gtk_button_new_with_label(lower);

			gtk_widget_add_css_class(btn, "pill");
			ui_name(btn, name);
			g_object_set_data_full(G_OBJECT(btn), "word", lower, g_free);
			g_signal_connect(btn, "clicked", G_CALLBACK(suggestion_clicked), s);
			gtk_flow_box_append(GTK_FLOW_BOX(s->suggest), btn);
			g_free(name);
			n++;
		}
	}
}

/* As the code is typed: completions for the word being typed, and the parser's advice. */
static void
code_changed(GtkEditable *e, gpointer p)
{
	struct pair *s = p;
	const char *typed = gtk_editable_get_text(e);
	char **parts = g_strsplit_set(typed, "- ", -1), canon[PCODE_MAX], why[200];
	const char *word[4];
	guint n = 0, i;
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(s->suggest)) != NULL)
		gtk_flow_box_remove(GTK_FLOW_BOX(s->suggest), child);
	for (i = 0; parts[i] != NULL && n < 4; i++)
		if (parts[i][0] != '\0')
			word[n++] = parts[i];
	if (n >= 2 && n <= 3 && typed[strlen(typed) - 1] != '-' && typed[strlen(typed) - 1] != ' ')
		suggest(s, word[n - 1], n == 2 ? 1 : 0);
	if (typed[0] == '\0')
		gtk_label_set_text(GTK_LABEL(s->hint), "A code looks like 7-crossover-clockwork.");
	else if (pcode_canonical(canon, sizeof(canon), typed, why, sizeof(why)) >= 0)
		gtk_label_set_text(GTK_LABEL(s->hint), "That looks right: press Join.");
	else if (n >= 3)
		gtk_label_set_text(GTK_LABEL(s->hint), why);
	else
		gtk_label_set_text(GTK_LABEL(s->hint), "");
	g_strfreev(parts);
}

static void
on_revoked(int rc, struct attune_reply *rep, gpointer p)
{
	struct pair *s = p;
	char *t = rc == 0 ? g_strdup("Device removed.") : conn_error_text(rc, rep);

	app_toast(s->a, t);
	g_free(t);
	if (rep != NULL)
		attune_reply_free(rep);
	app_refresh(s->a);
}

static void
revoke_confirmed(GtkButton *b, gpointer p)
{
	struct pair *s = p;
	struct conn_req *r = conn_req_new("revoke");

	conn_req_str(r, "device", g_object_get_data(G_OBJECT(b), "device"));
	gtk_widget_set_sensitive(GTK_WIDGET(b), FALSE);
	conn_call(s->a->conn, r, on_revoked, s);
}

/* Remove asks first, in place (a phone has no room for dialogs): the confirmation replaces the button. */
static void
revoke_clicked(GtkButton *b, gpointer p)
{
	GtkWidget *confirm = g_object_get_data(G_OBJECT(b), "confirm");

	(void)p;
	gtk_widget_set_visible(GTK_WIDGET(b), FALSE);
	gtk_widget_set_visible(confirm, TRUE);
}

static void
keep_clicked(GtkButton *b, gpointer p)
{
	GtkWidget *remove = g_object_get_data(G_OBJECT(b), "remove");

	(void)p;
	gtk_widget_set_visible(gtk_widget_get_parent(GTK_WIDGET(b)), FALSE);
	gtk_widget_set_visible(remove, TRUE);
}

/* The Remove button of one device, and its confirmation. */
static void
revoke_controls(struct pair *s, GtkWidget *box, const char *id)
{
	GtkWidget *b = gtk_button_new_with_label("Remove"), *confirm, *yes, *keep, *why;
	char *name = g_strdup_printf("Remove device %s", id);

	ui_name(b, name);
	g_free(name);
	gtk_widget_set_halign(b, GTK_ALIGN_START);
	confirm = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	why = ui_text("It will no longer receive anything, and your partners are told to stop "
	    "sending to it. For a lost or sold device.");
	gtk_box_append(GTK_BOX(confirm), why);
	yes = gtk_button_new_with_label("Remove it for good");
	gtk_widget_add_css_class(yes, "destructive-action");
	gtk_widget_set_halign(yes, GTK_ALIGN_START);
	g_object_set_data_full(G_OBJECT(yes), "device", g_strdup(id), g_free);
	g_signal_connect(yes, "clicked", G_CALLBACK(revoke_confirmed), s);
	keep = gtk_button_new_with_label("Keep it");
	gtk_widget_set_halign(keep, GTK_ALIGN_START);
	g_object_set_data(G_OBJECT(keep), "remove", b);
	g_signal_connect(keep, "clicked", G_CALLBACK(keep_clicked), s);
	gtk_box_append(GTK_BOX(confirm), yes);
	gtk_box_append(GTK_BOX(confirm), keep);
	gtk_widget_set_visible(confirm, FALSE);
	g_object_set_data(G_OBJECT(b), "confirm", confirm);
	g_signal_connect(b, "clicked", G_CALLBACK(revoke_clicked), s);
	gtk_box_append(GTK_BOX(box), b);
	gtk_box_append(GTK_BOX(box), confirm);
}

static void
on_devices(int rc, struct attune_reply *rep, gpointer p)
{
	struct pair *s = p;
	const msgpack_object *items;
	size_t n = 0, i;

	ui_clear(s->devices);
	if (rc != 0 || attune_get_array(attune_reply_root(rep), "devices", &items, &n) != 0)
		n = 0;
	for (i = 0; i < n; i++) {
		GtkWidget *row = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4), *l;
		char *id = mp_str(&items[i], "id"), when[48], *t;
		int this = 0, revoked = 0;

		attune_get_bool(&items[i], "this", &this);
		attune_get_bool(&items[i], "revoked", &revoked);
		when_ago(when, sizeof(when), (time_t)mp_uint(&items[i], "added", 0), time(NULL));
		t = g_strdup_printf("%s%s · added %s%s", id ? id : "?", this ? " (this one)" : "",
		    when, revoked ? " · removed" : "");
		l = ui_text(t);
		gtk_widget_set_hexpand(l, TRUE);
		gtk_box_append(GTK_BOX(row), l);
		if (!this && !revoked)
			revoke_controls(s, row, id);
		gtk_box_append(GTK_BOX(s->devices), row);
		g_free(t);
		g_free(id);
	}
	if (rep != NULL)
		attune_reply_free(rep);
}

void
pair_update(struct app *a)
{
	struct pair *s = a->pair;
	const msgpack_object *items;
	size_t n = 0, i;

	ui_clear(s->partners);
	if (a->status == NULL ||
	    attune_get_array(attune_reply_root(a->status), "partners", &items, &n) != 0)
		n = 0;
	for (i = 0; i < n; i++) {
		char *name = mp_str(&items[i], "name"), seen[48] = "never", *t;

		if (mp_uint(&items[i], "last_seen", 0) != 0)
			when_ago(seen, sizeof(seen), (time_t)mp_uint(&items[i], "last_seen", 0), time(NULL));
		t = g_strdup_printf("%s · last seen %s", name ? name : "?", seen);
		gtk_box_append(GTK_BOX(s->partners), ui_text(t));
		g_free(t);
		g_free(name);
	}
	if (n == 0)
		gtk_box_append(GTK_BOX(s->partners), ui_text("No partner yet."));
	conn_call(a->conn, conn_req_new("devices"), on_devices, s);
}

static GtkWidget *
big_button(const char *label, GCallback cb, gpointer p)
{
	GtkWidget *b = gtk_button_new_with_label(label);

	gtk_widget_add_css_class(b, "pill");
	gtk_widget_set_halign(b, GTK_ALIGN_START);
	g_signal_connect(b, "clicked", cb, p);
	return b;
}

GtkWidget *
pair_new(struct app *a)
{
	struct pair *s = g_new0(struct pair, 1);
	GtkWidget *box, *page = ui_page(&box), *row;

	a->pair = s;
	s->a = a;
	gtk_box_append(GTK_BOX(box), ui_heading("Pair with your partner"));
	gtk_box_append(GTK_BOX(box), ui_text("One of you shows a code, the other types it in. "
	    "Do it together, side by side or on a call."));
	row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	s->pair_btn = big_button("Pair", G_CALLBACK(pair_clicked), s);
	gtk_widget_add_css_class(s->pair_btn, "suggested-action");
	s->link_btn = big_button("Link a device", G_CALLBACK(link_clicked), s);
	gtk_box_append(GTK_BOX(row), s->pair_btn);
	gtk_box_append(GTK_BOX(row), s->link_btn);
	gtk_box_append(GTK_BOX(box), row);
	s->invite_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	s->code_label = gtk_label_new("");
	gtk_label_set_selectable(GTK_LABEL(s->code_label), TRUE);
	gtk_label_set_wrap(GTK_LABEL(s->code_label), TRUE);
	gtk_label_set_wrap_mode(GTK_LABEL(s->code_label), PANGO_WRAP_WORD_CHAR);
	gtk_widget_add_css_class(s->code_label, "title-1");
	ui_name(s->code_label, "Pairing code");
	gtk_box_append(GTK_BOX(s->invite_box), s->code_label);
	s->qr = g_object_new(GTK_TYPE_DRAWING_AREA, "accessible-role", GTK_ACCESSIBLE_ROLE_IMG,
	    NULL);
	gtk_drawing_area_set_content_width(GTK_DRAWING_AREA(s->qr), 220);
	gtk_drawing_area_set_content_height(GTK_DRAWING_AREA(s->qr), 220);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(s->qr), qr_draw, s, NULL);
	gtk_widget_set_halign(s->qr, GTK_ALIGN_CENTER);
	ui_name(s->qr, "QR code of the pairing link");
	gtk_box_append(GTK_BOX(s->invite_box), s->qr);
	s->link_label = ui_text("");
	gtk_label_set_selectable(GTK_LABEL(s->link_label), TRUE);
	gtk_widget_add_css_class(s->link_label, "caption");
	gtk_box_append(GTK_BOX(s->invite_box), s->link_label);
	gtk_widget_set_visible(s->invite_box, FALSE);
	gtk_box_append(GTK_BOX(box), s->invite_box);
	s->waiting = ui_text("");
	ui_name(s->waiting, "Pairing progress");
	gtk_box_append(GTK_BOX(box), s->waiting);
	s->result = ui_text("");
	gtk_label_set_selectable(GTK_LABEL(s->result), TRUE);
	ui_name(s->result, "Safety number");
	gtk_widget_add_css_class(s->result, "title-4");
	gtk_widget_set_visible(s->result, FALSE);
	gtk_box_append(GTK_BOX(box), s->result);

	gtk_box_append(GTK_BOX(box), ui_heading("Got a code from your partner?"));
	s->entry = ui_entry("Code from your partner", "7-crossover-clockwork");
	g_signal_connect(s->entry, "changed", G_CALLBACK(code_changed), s);
	g_signal_connect_swapped(s->entry, "activate", G_CALLBACK(join_clicked), s);
	gtk_box_append(GTK_BOX(box), s->entry);
	s->suggest = gtk_flow_box_new();
	gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(s->suggest), GTK_SELECTION_NONE);
	ui_name(s->suggest, "Word suggestions");
	gtk_box_append(GTK_BOX(box), s->suggest);
	s->hint = ui_text("A code looks like 7-crossover-clockwork.");
	ui_name(s->hint, "Code hint");
	gtk_box_append(GTK_BOX(box), s->hint);
	s->join = big_button("Join", G_CALLBACK(join_clicked), s);
	gtk_box_append(GTK_BOX(box), s->join);

	gtk_box_append(GTK_BOX(box), ui_heading("Partners"));
	s->partners = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(box), s->partners);
	gtk_box_append(GTK_BOX(box), ui_heading("Your devices"));
	s->devices = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(box), s->devices);
	return page;
}
