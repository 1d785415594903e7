/* Building blocks: pages, cards, chips and choices with accessible names. */
#include <string.h>
#include <adwaita.h>

#include "clients/gtk/ui.h"
#include "clients/lib/vocab.h"

GtkWidget *
ui_page(GtkWidget **box)
{
	GtkWidget *sw = gtk_scrolled_window_new(), *clamp = adw_clamp_new();

	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_NEVER,
	    GTK_POLICY_AUTOMATIC);
	gtk_widget_set_vexpand(sw, TRUE);
	*box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_widget_set_margin_start(*box, 12);
	gtk_widget_set_margin_end(*box, 12);
	gtk_widget_set_margin_top(*box, 12);
	gtk_widget_set_margin_bottom(*box, 18);
	adw_clamp_set_maximum_size(ADW_CLAMP(clamp), 640);
	adw_clamp_set_child(ADW_CLAMP(clamp), *box);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(sw), clamp);
	return sw;
}

GtkWidget *
ui_heading(const char *text)
{
	GtkWidget *l = gtk_label_new(text);

	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_widget_add_css_class(l, "heading");
	return l;
}

GtkWidget *
ui_text(const char *text)
{
	GtkWidget *l = gtk_label_new(text);

	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
	/* Wrapping labels ask for little width: the window stays phone-narrow. */
	gtk_label_set_width_chars(GTK_LABEL(l), 10);
	gtk_label_set_max_width_chars(GTK_LABEL(l), 60);
	return l;
}

GtkWidget *
ui_card(GtkWidget **inner)
{
	GtkWidget *frame = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);

	gtk_widget_add_css_class(frame, "card");
	*inner = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_widget_set_margin_start(*inner, 12);
	gtk_widget_set_margin_end(*inner, 12);
	gtk_widget_set_margin_top(*inner, 10);
	gtk_widget_set_margin_bottom(*inner, 10);
	gtk_box_append(GTK_BOX(frame), *inner);
	return frame;
}

void
ui_name(GtkWidget *w, const char *name)
{
	gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

GtkWidget *
ui_entry(const char *name, const char *placeholder)
{
	GtkWidget *e = gtk_entry_new();

	gtk_entry_set_placeholder_text(GTK_ENTRY(e), placeholder);
	gtk_editable_set_width_chars(GTK_EDITABLE(e), 8);
	ui_name(e, name);
	return e;
}

void
ui_clear(GtkWidget *box)
{
	GtkWidget *w;

	while ((w = gtk_widget_get_first_child(box)) != NULL)
		gtk_box_remove(GTK_BOX(box), w);
}

/* ---- chips ---- */

struct chips {
	GtkWidget *root, *flow, *own;
	char *prefix;
	GCallback cb;
	gpointer user;
};

static void
chip_toggled(GtkToggleButton *b, gpointer p)
{
	struct chips *c = p;

	(void)b;
	if (c->cb != NULL)
		((void (*)(gpointer))c->cb)(c->user);
}

void
chips_on_change(struct chips *c, GCallback cb, gpointer user)
{
	c->cb = cb;
	c->user = user;
}

static GtkWidget *
flow_new(void)
{
	GtkWidget *f = gtk_flow_box_new();

	gtk_flow_box_set_selection_mode(GTK_FLOW_BOX(f), GTK_SELECTION_NONE);
	gtk_flow_box_set_homogeneous(GTK_FLOW_BOX(f), FALSE);
	gtk_flow_box_set_min_children_per_line(GTK_FLOW_BOX(f), 1);
	gtk_flow_box_set_max_children_per_line(GTK_FLOW_BOX(f), 12);
	gtk_flow_box_set_column_spacing(GTK_FLOW_BOX(f), 6);
	gtk_flow_box_set_row_spacing(GTK_FLOW_BOX(f), 6);
	return f;
}

static GtkWidget *
chip_add(struct chips *c, const char *word)
{
	GtkWidget *b = gtk_toggle_button_new_with_label(word);
	char *name = g_strdup_printf("%s: %s", c->prefix, word);

	gtk_widget_add_css_class(b, "pill");
	gtk_widget_add_css_class(b, "chip");
	ui_name(b, name);
	g_object_set_data_full(G_OBJECT(b), "word", g_strdup(word), g_free);
	g_free(name);
	g_signal_connect(b, "toggled", G_CALLBACK(chip_toggled), c);
	gtk_flow_box_append(GTK_FLOW_BOX(c->flow), b);
	return b;
}

static GtkWidget *
chip_find(struct chips *c, const char *word)
{
	GtkWidget *child;

	for (child = gtk_widget_get_first_child(c->flow); child != NULL;
	    child = gtk_widget_get_next_sibling(child)) {
		GtkWidget *b = gtk_flow_box_child_get_child(GTK_FLOW_BOX_CHILD(child));

		if (g_strcmp0(g_object_get_data(G_OBJECT(b), "word"), word) == 0)
			return b;
	}
	return NULL;
}

void
chips_select(struct chips *c, const char *word)
{
	struct vocab_list l;
	size_t i;

	memset(&l, 0, sizeof(l));
	if (vocab_list_add(&l, word) != 0)
		return;
	for (i = 0; i < l.n; i++) {
		GtkWidget *b = chip_find(c, l.item[i]);

		if (b == NULL)
			b = chip_add(c, l.item[i]);
		gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(b), TRUE);
	}
}

static void
own_activate(GtkEntry *e, gpointer p)
{
	struct chips *c = p;
	const char *t = gtk_editable_get_text(GTK_EDITABLE(e));

	if (t[0] == '\0')
		return;
	chips_select(c, t);
	gtk_editable_set_text(GTK_EDITABLE(e), "");
}

static void
chips_free(gpointer p)
{
	struct chips *c = p;

	g_free(c->prefix);
	g_free(c);
}

struct chips *
chips_new(const char *prefix, const char *const *words, gboolean own)
{
	struct chips *c = g_new0(struct chips, 1);
	size_t i;

	c->prefix = g_strdup(prefix);
	c->root = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	c->flow = flow_new();
	ui_name(c->flow, prefix);
	gtk_box_append(GTK_BOX(c->root), c->flow);
	for (i = 0; words != NULL && words[i] != NULL; i++)
		chip_add(c, words[i]);
	if (own) {
		char *name = g_strdup_printf("%s: add your own", prefix);

		c->own = ui_entry(name, "Your own word, then Enter");
		g_signal_connect(c->own, "activate", G_CALLBACK(own_activate), c);
		gtk_box_append(GTK_BOX(c->root), c->own);
		g_free(name);
	}
	g_object_set_data_full(G_OBJECT(c->root), "chips", c, chips_free);
	return c;
}

GtkWidget *
chips_widget(struct chips *c)
{
	return c->root;
}

char **
chips_selected(struct chips *c)
{
	GPtrArray *a = g_ptr_array_new();
	GtkWidget *child;

	/* A word typed but not yet added with Enter counts too. */
	if (c->own != NULL && gtk_editable_get_text(GTK_EDITABLE(c->own))[0] != '\0')
		own_activate(GTK_ENTRY(c->own), c);
	for (child = gtk_widget_get_first_child(c->flow); child != NULL;
	    child = gtk_widget_get_next_sibling(child)) {
		GtkWidget *b = gtk_flow_box_child_get_child(GTK_FLOW_BOX_CHILD(child));

		if (gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(b)))
			g_ptr_array_add(a, g_strdup(g_object_get_data(G_OBJECT(b), "word")));
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

void
chips_reset(struct chips *c)
{
	GtkWidget *child;

	for (child = gtk_widget_get_first_child(c->flow); child != NULL;
	    child = gtk_widget_get_next_sibling(child))
		gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(
		    gtk_flow_box_child_get_child(GTK_FLOW_BOX_CHILD(child))), FALSE);
	if (c->own != NULL)
		gtk_editable_set_text(GTK_EDITABLE(c->own), "");
}

/* ---- choice ---- */

struct choice {
	GtkWidget *flow;
	GPtrArray *buttons;
	GCallback cb;
	gpointer user;
};

static void
choice_toggled(GtkToggleButton *b, gpointer p)
{
	struct choice *c = p;

	(void)b;
	if (c->cb != NULL)
		((void (*)(gpointer))c->cb)(c->user);
}

static void
choice_free(gpointer p)
{
	struct choice *c = p;

	g_ptr_array_unref(c->buttons);
	g_free(c);
}

struct choice *
choice_new(const char *prefix, const char *const *labels)
{
	struct choice *c = g_new0(struct choice, 1);
	GtkWidget *first = NULL;
	size_t i;

	c->flow = flow_new();
	c->buttons = g_ptr_array_new();
	if (prefix != NULL)
		ui_name(c->flow, prefix);
	for (i = 0; labels[i] != NULL; i++) {
		GtkWidget *b = gtk_toggle_button_new_with_label(labels[i]);
		char *name = prefix != NULL ? g_strdup_printf("%s: %s", prefix, labels[i]) :
		    g_strdup(labels[i]);

		gtk_widget_add_css_class(b, "pill");
		gtk_widget_add_css_class(b, "chip");
		ui_name(b, name);
		g_free(name);
		if (first != NULL)
			gtk_toggle_button_set_group(GTK_TOGGLE_BUTTON(b), GTK_TOGGLE_BUTTON(first));
		else
			first = b;
		g_signal_connect(b, "toggled", G_CALLBACK(choice_toggled), c);
		g_ptr_array_add(c->buttons, b);
		gtk_flow_box_append(GTK_FLOW_BOX(c->flow), b);
	}
	g_object_set_data_full(G_OBJECT(c->flow), "choice", c, choice_free);
	return c;
}

GtkWidget *
choice_widget(struct choice *c)
{
	return c->flow;
}

int
choice_get(struct choice *c)
{
	guint i;

	for (i = 0; i < c->buttons->len; i++)
		if (gtk_toggle_button_get_active(c->buttons->pdata[i]))
			return (int)i;
	return -1;
}

void
choice_set(struct choice *c, int i)
{
	guint k;

	if (i >= 0 && (guint)i < c->buttons->len) {
		gtk_toggle_button_set_active(c->buttons->pdata[i], TRUE);
		return;
	}
	for (k = 0; k < c->buttons->len; k++)
		gtk_toggle_button_set_active(c->buttons->pdata[k], FALSE);
}

void
choice_on_change(struct choice *c, GCallback cb, gpointer user)
{
	c->cb = cb;
	c->user = user;
}
