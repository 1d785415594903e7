/*
 * Check in: the three levels in words, how I feel and what I am open to as
 * chips, a note, who sees which field, until when; a summary of what will
 * be sent, then "Send check-in".
 */
#include <string.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"
#include "clients/lib/vocab.h"
#include "clients/lib/when.h"

#define NFIELDS 7

/* Scopable fields (docs/PROTOCOL.md 7.2) and how the screen names them. */
static const char *const fields[NFIELDS] = {
	"mood", "desire", "capacity", "tags", "open_to", "responsive", "note"
};
static const char *const field_words[NFIELDS] = {
	"mood", "desire", "capacity", "feelings", "open to", "warm-up", "note"
};

static const char *const until_labels[] = {
	"Until tomorrow morning", "For 3 hours", "Until tomorrow evening", "For 2 days", NULL
};
static const char *const until_when[] = { NULL, "+3h", "tomorrow evening", "+2d" };

struct checkin {
	struct app *a;
	struct choice *level[3];
	struct chips *tags, *open_to;
	GtkWidget *responsive, *note, *audience, *summary, *send;
	struct choice *until;
	GPtrArray *who;           /* per partner: GtkCheckButton "Share with NAME" */
	GPtrArray *field_checks;  /* per partner: GtkCheckButton *[NFIELDS] (g_free) */
	char *partners_key;       /* the partner list the audience was built for */
};

static const enum vocab_scale scales[3] = { VOCAB_MOOD, VOCAB_DESIRE, VOCAB_CAPACITY };

#define LEVEL_NONE (-2)   /* nothing chosen yet (VOCAB_SKIP is "rather not say") */

/* The level chosen: a value, VOCAB_SKIP for "rather not say" (the last choice), or LEVEL_NONE. */
static int
level_of(struct checkin *c, int i)
{
	int k = choice_get(c->level[i]), n = vocab_scale_max(scales[i]) - vocab_scale_min(scales[i]) + 1;

	if (k < 0)
		return LEVEL_NONE;
	return k == n ? VOCAB_SKIP : k + vocab_scale_min(scales[i]);
}

static gboolean
field_on(struct checkin *c, guint partner, int f)
{
	GtkWidget **fc = c->field_checks->pdata[partner];

	return gtk_check_button_get_active(GTK_CHECK_BUTTON(fc[f]));
}

static gboolean
shared_with(struct checkin *c, guint partner)
{
	return gtk_check_button_get_active(GTK_CHECK_BUTTON(c->who->pdata[partner]));
}

/* What will be sent, in words, and whether it can be sent. */
static gboolean
summarise(struct checkin *c, GString *s)
{
	char **tags = chips_selected(c->tags), **open = chips_selected(c->open_to), *j;
	gboolean ok = TRUE, said = FALSE;
	int i, k = choice_get(c->until);
	guint p;

	for (i = 0; i < 3; i++) {
		int v = level_of(c, i);

		g_string_append_printf(s, "%s%s %s", i ? " · " : "", vocab_scale_name(scales[i]),
		    v == LEVEL_NONE ? "(not chosen)" : v == VOCAB_SKIP ? "(rather not say)" :
		    vocab_level_word(scales[i], v));
		if (v == LEVEL_NONE)
			ok = FALSE;
		if (v >= 0)
			said = TRUE;
	}
	if (ok && !said) {
		g_string_append(s, "\nsay at least one of the three");
		ok = FALSE;
	}
	if (tags[0] != NULL) {
		j = g_strjoinv(", ", tags);
		g_string_append_printf(s, "\nfeeling %s", j);
		g_free(j);
	}
	if (open[0] != NULL) {
		j = g_strjoinv(", ", open);
		g_string_append_printf(s, "\nopen to %s", j);
		g_free(j);
	}
	if (gtk_check_button_get_active(GTK_CHECK_BUTTON(c->responsive)))
		g_string_append(s, "\nopen to being warmed up");
	if (gtk_editable_get_text(GTK_EDITABLE(c->note))[0] != '\0')
		g_string_append(s, "\nwith a note");
	for (p = 0; p < c->who->len; p++) {
		GString *hidden = g_string_new(NULL);

		if (!shared_with(c, p)) {
			g_string_append_printf(s, "\n%s sees nothing", c->a->partners[p]);
			g_string_free(hidden, TRUE);
			continue;
		}
		for (i = 0; i < NFIELDS; i++)
			if (!field_on(c, p, i))
				g_string_append_printf(hidden, "%s%s", hidden->len ? ", " : "", field_words[i]);
		g_string_append_printf(s, "\n%s sees %s%s", c->a->partners[p],
		    hidden->len ? "all but " : "all of it", hidden->str);
		g_string_free(hidden, TRUE);
	}
	if (c->who->len == 0)
		g_string_append(s, "\nonly you and your own devices see it (no partner yet)");
	g_string_append_printf(s, "\n%s", k < 0 ? until_labels[0] : until_labels[k]);
	g_strfreev(tags);
	g_strfreev(open);
	return ok;
}

static void
changed(gpointer p)
{
	struct checkin *c = p;
	GString *s = g_string_new(NULL);
	gboolean ok = summarise(c, s);

	gtk_label_set_text(GTK_LABEL(c->summary), s->str);
	gtk_widget_set_sensitive(c->send, ok);
	g_string_free(s, TRUE);
}

static void
on_sent(int rc, struct attune_reply *rep, gpointer p)
{
	struct checkin *c = p;
	int i;

	gtk_widget_set_sensitive(c->send, TRUE);
	if (rc != 0) {
		char *t = conn_error_text(rc, rep);

		app_toast(c->a, t);
		g_free(t);
	} else {
		app_toast(c->a, "Checked in.");
		for (i = 0; i < 3; i++)
			choice_set(c->level[i], -1);
		chips_reset(c->tags);
		chips_reset(c->open_to);
		gtk_editable_set_text(GTK_EDITABLE(c->note), "");
		gtk_check_button_set_active(GTK_CHECK_BUTTON(c->responsive), FALSE);
		app_show(c->a, "today");
		app_refresh(c->a);
	}
	if (rep != NULL)
		attune_reply_free(rep);
}

/* The audience: `to` (partners shared with) and `only` for fields not everyone in it sees. */
static void
add_audience(struct checkin *c, struct conn_req *r)
{
	GPtrArray *to = g_ptr_array_new();
	GHashTable *only = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
	    (GDestroyNotify)g_strfreev);
	guint p;
	int f;

	for (p = 0; p < c->who->len; p++)
		if (shared_with(c, p))
			g_ptr_array_add(to, c->a->partners[p]);
	for (f = 0; f < NFIELDS; f++) {
		GPtrArray *names = g_ptr_array_new();

		for (p = 0; p < c->who->len; p++)
			if (shared_with(c, p) && field_on(c, p, f))
				g_ptr_array_add(names, g_strdup(c->a->partners[p]));
		/* Everyone in the audience sees it: no entry. Nobody: attuned wants at least one name. */
		if (names->len == to->len || names->len == 0) {
			g_ptr_array_free(names, TRUE);
			continue;
		}
		g_ptr_array_add(names, NULL);
		g_hash_table_insert(only, (gpointer)fields[f], g_ptr_array_free(names, FALSE));
	}
	if (c->who->len > 0 && to->len > 0) {
		g_ptr_array_add(to, NULL);
		conn_req_strv(r, "to", (const char *const *)to->pdata);
	}
	if (g_hash_table_size(only) > 0)
		conn_req_strv_map(r, "only", only);
	g_ptr_array_free(to, TRUE);
	g_hash_table_unref(only);
}

static void
send_clicked(GtkButton *b, gpointer p)
{
	struct checkin *c = p;
	struct conn_req *r;
	char **tags = chips_selected(c->tags), **open = chips_selected(c->open_to), why[200];
	const char *note = gtk_editable_get_text(GTK_EDITABLE(c->note));
	int k = choice_get(c->until), i;
	guint p_;
	gboolean anyone = c->who->len == 0;
	time_t until = 0;

	(void)b;
	for (p_ = 0; p_ < c->who->len; p_++)
		anyone = anyone || shared_with(c, p_);
	if (!anyone) {
		app_toast(c->a, "Share it with at least one partner.");
		goto out;
	}
	if (vocab_chars(note) > VOCAB_NOTE_MAX) {
		app_toast(c->a, "The note is longer than 280 characters.");
		goto out;
	}
	if (k > 0 && when_parse(until_when[k], time(NULL), &until, why, sizeof(why)) != 0)
		until = 0;
	r = conn_req_new("checkin");
	/* "Rather not say" leaves the level out (docs/PROTOCOL.md 8.1). */
	for (i = 0; i < 3; i++)
		if (level_of(c, i) >= 0)
			conn_req_uint(r, vocab_scale_name(scales[i]), (guint64)level_of(c, i));
	conn_req_strv(r, "tags", (const char *const *)tags);
	conn_req_strv(r, "open_to", (const char *const *)open);
	conn_req_bool(r, "responsive", gtk_check_button_get_active(GTK_CHECK_BUTTON(c->responsive)));
	if (note[0] != '\0')
		conn_req_str(r, "note", note);
	if (until != 0)
		conn_req_uint(r, "valid_until", (guint64)until);
	add_audience(c, r);
	gtk_widget_set_sensitive(c->send, FALSE);
	conn_call(c->a->conn, r, on_sent, c);
out:
	g_strfreev(tags);
	g_strfreev(open);
}

/* One partner's row: share with them, and an expander with the fields they see. */
static void
audience_row(struct checkin *c, const char *name)
{
	GtkWidget *share, *exp, *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	GtkWidget **fc = g_new0(GtkWidget *, NFIELDS);
	char *t = g_strdup_printf("Share with %s", name);
	int f;

	share = gtk_check_button_new_with_label(t);
	gtk_check_button_set_active(GTK_CHECK_BUTTON(share), TRUE);
	g_signal_connect_swapped(share, "toggled", G_CALLBACK(changed), c);
	gtk_box_append(GTK_BOX(c->audience), share);
	g_free(t);
	t = g_strdup_printf("What %s sees", name);
	exp = gtk_expander_new(t);
	ui_name(exp, t);
	g_free(t);
	for (f = 0; f < NFIELDS; f++) {
		char *n = g_strdup_printf("%s sees %s", name, field_words[f]);

		fc[f] = gtk_check_button_new_with_label(field_words[f]);
		ui_name(fc[f], n);
		gtk_check_button_set_active(GTK_CHECK_BUTTON(fc[f]), TRUE);
		g_signal_connect_swapped(fc[f], "toggled", G_CALLBACK(changed), c);
		gtk_box_append(GTK_BOX(box), fc[f]);
		g_free(n);
	}
	gtk_widget_set_margin_start(box, 24);
	gtk_expander_set_child(GTK_EXPANDER(exp), box);
	gtk_box_append(GTK_BOX(c->audience), exp);
	g_ptr_array_add(c->who, share);
	g_ptr_array_add(c->field_checks, fc);
}

void
checkin_update(struct app *a)
{
	struct checkin *c = a->checkin;
	char *key = a->partners != NULL ? g_strjoinv("\n", a->partners) : g_strdup("");
	guint i;

	if (g_strcmp0(key, c->partners_key) == 0) {
		g_free(key);
		return;
	}
	g_free(c->partners_key);
	c->partners_key = key;
	ui_clear(c->audience);
	g_ptr_array_set_size(c->who, 0);
	g_ptr_array_set_size(c->field_checks, 0);
	for (i = 0; a->partners != NULL && a->partners[i] != NULL; i++)
		audience_row(c, a->partners[i]);
	changed(c);
}

static const char *const *
level_words(enum vocab_scale s)
{
	static const char *w[3][8];
	int v, k = 0, i = s == VOCAB_MOOD ? 0 : s == VOCAB_DESIRE ? 1 : 2;

	for (v = vocab_scale_min(s); v <= vocab_scale_max(s); v++)
		w[i][k++] = vocab_level_word(s, v);
	w[i][k++] = "rather not say";
	w[i][k] = NULL;
	return w[i];
}

GtkWidget *
checkin_new(struct app *a)
{
	static const char *const titles[3] = { "Mood", "Desire", "Capacity" };
	struct checkin *c = g_new0(struct checkin, 1);
	GtkWidget *box, *page = ui_page(&box);
	int i;

	a->checkin = c;
	c->a = a;
	c->who = g_ptr_array_new();
	c->field_checks = g_ptr_array_new_with_free_func(g_free);
	gtk_box_append(GTK_BOX(box), ui_text("How are you right now? Only the partners you choose "
	    "see it, and only the parts you choose."));
	for (i = 0; i < 3; i++) {
		gtk_box_append(GTK_BOX(box), ui_heading(titles[i]));
		c->level[i] = choice_new(titles[i], level_words(scales[i]));
		choice_on_change(c->level[i], G_CALLBACK(changed), c);
		gtk_box_append(GTK_BOX(box), choice_widget(c->level[i]));
	}
	c->responsive = gtk_check_button_new_with_label("Open to being warmed up");
	g_signal_connect_swapped(c->responsive, "toggled", G_CALLBACK(changed), c);
	gtk_box_append(GTK_BOX(box), c->responsive);
	gtk_box_append(GTK_BOX(box), ui_heading("Feeling"));
	c->tags = chips_new("Feeling", (const char *const *)vocab_tags, TRUE);
	chips_on_change(c->tags, G_CALLBACK(changed), c);
	gtk_box_append(GTK_BOX(box), chips_widget(c->tags));
	gtk_box_append(GTK_BOX(box), ui_heading("Open to"));
	c->open_to = chips_new("Open to", (const char *const *)vocab_offers, TRUE);
	chips_on_change(c->open_to, G_CALLBACK(changed), c);
	gtk_box_append(GTK_BOX(box), chips_widget(c->open_to));
	gtk_box_append(GTK_BOX(box), ui_heading("Note"));
	c->note = ui_entry("Note", "A few words for your partner (optional)");
	g_signal_connect_swapped(c->note, "changed", G_CALLBACK(changed), c);
	gtk_box_append(GTK_BOX(box), c->note);
	gtk_box_append(GTK_BOX(box), ui_heading("Who sees it"));
	c->audience = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(box), c->audience);
	gtk_box_append(GTK_BOX(box), ui_heading("How long it holds"));
	c->until = choice_new("Holds", until_labels);
	choice_set(c->until, 0);
	choice_on_change(c->until, G_CALLBACK(changed), c);
	gtk_box_append(GTK_BOX(box), choice_widget(c->until));
	gtk_box_append(GTK_BOX(box), ui_heading("You are about to share"));
	c->summary = ui_text("");
	ui_name(c->summary, "Summary");
	gtk_box_append(GTK_BOX(box), c->summary);
	c->send = gtk_button_new_with_label("Send check-in");
	gtk_widget_add_css_class(c->send, "suggested-action");
	gtk_widget_add_css_class(c->send, "pill");
	gtk_widget_set_halign(c->send, GTK_ALIGN_CENTER);
	g_signal_connect(c->send, "clicked", G_CALLBACK(send_clicked), c);
	gtk_box_append(GTK_BOX(box), c->send);
	changed(c);
	return page;
}
