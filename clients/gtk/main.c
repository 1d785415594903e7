/*
 * attune-gtk: the window, its screens, the link to attuned, and the
 * application actions (org.attune.Attune; app.open-bid opens a bid from a
 * notification).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"
#include "clients/lib/vocab.h"

#define APP_ID "org.attune.Attune"

struct nav {
	const char *page, *label, *icon;
};

/* The screens in the sidebar (and their titles). */
static const struct nav navs[] = {
	{ "today", "Today", "go-home-symbolic" },
	{ "checkin", "Check in", "emblem-favorite-symbolic" },
	{ "ask", "Ask", "mail-send-symbolic" },
	{ "answer", "Answer", "mail-reply-sender-symbolic" },
	{ "history", "History", "document-open-recent-symbolic" },
	{ "pair", "Partners and devices", "system-users-symbolic" },
	{ "settings", "Settings", "emblem-system-symbolic" },
	{ NULL, NULL, NULL },
};

char *
mp_str(const msgpack_object *map, const char *key)
{
	const char *s;
	size_t n;

	if (map == NULL || attune_get_str(map, key, &s, &n) != 0)
		return NULL;
	return g_strndup(s, n);
}

guint64
mp_uint(const msgpack_object *map, const char *key, guint64 dflt)
{
	uint64_t v;

	if (map == NULL || attune_get_uint(map, key, &v) != 0)
		return dflt;
	return v;
}

char *
mp_join(const msgpack_object *map, const char *key)
{
	const msgpack_object *items;
	size_t n, i;
	GString *s;

	if (map == NULL || attune_get_array(map, key, &items, &n) != 0 || n == 0)
		return NULL;
	s = g_string_new(NULL);
	for (i = 0; i < n; i++) {
		if (items[i].type != MSGPACK_OBJECT_STR)
			continue;
		if (s->len > 0)
			g_string_append(s, ", ");
		g_string_append_len(s, items[i].via.str.ptr, items[i].via.str.size);
	}
	return g_string_free(s, FALSE);
}

char *
checkin_words(const msgpack_object *ev)
{
	static const enum vocab_scale scales[] = { VOCAB_MOOD, VOCAB_DESIRE, VOCAB_CAPACITY };
	GString *s = g_string_new(NULL);
	size_t i;

	for (i = 0; i < 3; i++) {
		uint64_t v;

		if (attune_get_uint(ev, vocab_scale_name(scales[i]), &v) != 0)
			continue;
		g_string_append_printf(s, "%s%s %s", s->len > 0 ? " · " : "",
		    vocab_scale_name(scales[i]), vocab_level_word(scales[i], (int)v));
	}
	return g_string_free(s, FALSE);
}

void
app_toast(struct app *a, const char *text)
{
	adw_toast_overlay_add_toast(a->toasts, adw_toast_new(text));
}

void
app_stack_show(GtkStack *st, const char *name)
{
	GtkWidget *want = gtk_stack_get_child_by_name(st, name), *w;

	if (want == NULL)
		return;
	/*
	 * The pages not shown are hidden, not merely covered: GTK 4.8 keeps
	 * them in the accessibility tree otherwise, and a screen reader would
	 * read screens nobody sees.
	 */
	gtk_widget_set_visible(want, TRUE);
	gtk_stack_set_visible_child(st, want);
	for (w = gtk_widget_get_first_child(GTK_WIDGET(st)); w != NULL;
	    w = gtk_widget_get_next_sibling(w))
		if (w != want)
			gtk_widget_set_visible(w, FALSE);
}

void
app_show(struct app *a, const char *page)
{
	size_t i;

	app_stack_show(a->pages, page);
	for (i = 0; navs[i].page != NULL; i++)
		if (strcmp(navs[i].page, page) == 0)
			adw_window_title_set_title(ADW_WINDOW_TITLE(a->title), navs[i].label);
	adw_leaflet_set_visible_child_name(a->leaflet, "content");
}

const msgpack_object *
app_find_bid(struct app *a, const char *bid_id)
{
	static const char *const lists[] = { "bids_to_me", "bids_from_me" };
	size_t l, i, n;

	if (a->status == NULL || bid_id == NULL)
		return NULL;
	for (l = 0; l < 2; l++) {
		const msgpack_object *items;

		if (attune_get_array(attune_reply_root(a->status), lists[l], &items, &n) != 0)
			continue;
		for (i = 0; i < n; i++) {
			char id[40] = "";

			attune_get_strz(&items[i], "id", id, sizeof(id));
			if (strcmp(id, bid_id) == 0)
				return &items[i];
		}
	}
	return NULL;
}

void
app_open_bid(struct app *a, const char *bid_id)
{
	g_free(a->open_bid);
	a->open_bid = NULL;
	if (app_find_bid(a, bid_id) == NULL && a->status == NULL) {
		/* Status not here yet: open it when it comes. */
		a->open_bid = g_strdup(bid_id);
		return;
	}
	answer_set_bid(a, bid_id);
	app_show(a, "answer");
}

static void
update_all(struct app *a)
{
	today_update(a);
	checkin_update(a);
	ask_update(a);
	answer_update(a);
	pair_update(a);
	history_update(a);
	settings_update(a);
}

static void
take_status(struct app *a, struct attune_reply *rep)
{
	const msgpack_object *root = attune_reply_root(rep), *me, *items;
	GPtrArray *names = g_ptr_array_new();
	size_t n = 0, i;

	if (a->status != NULL)
		attune_reply_free(a->status);
	a->status = rep;
	g_free(a->me);
	a->me = attune_get_map(root, "me", &me) == 0 ? mp_str(me, "name") : NULL;
	if (attune_get_array(root, "partners", &items, &n) != 0)
		n = 0;
	for (i = 0; i < n; i++) {
		char *name = mp_str(&items[i], "name");

		if (name != NULL)
			g_ptr_array_add(names, name);
	}
	g_ptr_array_add(names, NULL);
	g_strfreev(a->partners);
	a->partners = (char **)g_ptr_array_free(names, FALSE);
}

static void
on_status(int rc, struct attune_reply *rep, gpointer p)
{
	struct app *a = p;
	const char *code = rep != NULL ? attune_reply_error_code(rep) : "";

	if (rc == 0) {
		take_status(a, rep);
		app_stack_show(a->root, "main");
		update_all(a);
		if (a->open_bid != NULL) {
			char *id = a->open_bid;

			a->open_bid = NULL;
			app_open_bid(a, id);
			g_free(id);
		}
		return;
	}
	if (rc == ATTUNE_EDAEMON && strcmp(code, "locked") == 0)
		app_stack_show(a->root, "locked");
	else if (rc == ATTUNE_EDAEMON && strcmp(code, "not-initialised") == 0)
		app_stack_show(a->root, "setup");
	else if (rc == ATTUNE_ENOTRUNNING || rc == ATTUNE_ECLOSED || rc == ATTUNE_ETIMEOUT)
		app_stack_show(a->root, "down");
	if (rep != NULL)
		attune_reply_free(rep);
}

void
app_refresh(struct app *a)
{
	conn_call(a->conn, conn_req_new("status"), on_status, a);
}

static void
on_state(int up, gpointer p)
{
	struct app *a = p;

	if (up) {
		app_refresh(a);
	} else {
		app_stack_show(a->root, "down");
		/* Not the selectable command: focusing it would select it all. */
		gtk_widget_grab_focus(a->retry);
	}
}

static void
on_event(const msgpack_object *ev, gpointer p)
{
	struct app *a = p;
	char *kind = mp_str(ev, "kind");

	if (g_strcmp0(kind, "raincheck_due") == 0)
		app_toast(a, "A rain check is due.");
	g_free(kind);
	app_refresh(a);
}

/* ---- the window ---- */

static void
nav_clicked(GtkButton *b, gpointer p)
{
	struct app *a = p;
	const char *page = g_object_get_data(G_OBJECT(b), "page");

	if (strcmp(page, "answer") == 0)
		answer_pick(a);
	app_show(a, page);
}

static void
back_clicked(GtkButton *b, gpointer p)
{
	struct app *a = p;

	(void)b;
	adw_leaflet_set_visible_child_name(a->leaflet, "sidebar");
}

static void
folded_changed(GObject *o, GParamSpec *ps, gpointer p)
{
	struct app *a = p;

	(void)o;
	(void)ps;
	gtk_widget_set_visible(a->back, adw_leaflet_get_folded(a->leaflet));
}

static GtkWidget *
sidebar_new(struct app *a)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0), *hb = adw_header_bar_new();
	GtkWidget *list = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	size_t i;

	adw_header_bar_set_title_widget(ADW_HEADER_BAR(hb), adw_window_title_new("attune", NULL));
	adw_header_bar_set_show_end_title_buttons(ADW_HEADER_BAR(hb), FALSE);
	gtk_box_append(GTK_BOX(box), hb);
	gtk_widget_set_margin_start(list, 6);
	gtk_widget_set_margin_end(list, 6);
	gtk_widget_set_margin_top(list, 6);
	for (i = 0; navs[i].page != NULL; i++) {
		GtkWidget *b = gtk_button_new(), *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
		GtkWidget *l = gtk_label_new(navs[i].label);

		gtk_box_append(GTK_BOX(row), gtk_image_new_from_icon_name(navs[i].icon));
		gtk_label_set_xalign(GTK_LABEL(l), 0);
		gtk_box_append(GTK_BOX(row), l);
		gtk_button_set_child(GTK_BUTTON(b), row);
		gtk_widget_add_css_class(b, "flat");
		ui_name(b, navs[i].label);
		g_object_set_data(G_OBJECT(b), "page", (gpointer)navs[i].page);
		g_signal_connect(b, "clicked", G_CALLBACK(nav_clicked), a);
		gtk_box_append(GTK_BOX(list), b);
	}
	gtk_box_append(GTK_BOX(box), list);
	gtk_widget_set_size_request(box, 220, -1);
	return box;
}

static GtkWidget *
content_new(struct app *a)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0), *hb = adw_header_bar_new();

	a->title = adw_window_title_new("Today", NULL);
	adw_header_bar_set_title_widget(ADW_HEADER_BAR(hb), a->title);
	a->back = gtk_button_new_from_icon_name("go-previous-symbolic");
	ui_name(a->back, "Back");
	gtk_widget_set_visible(a->back, FALSE);
	g_signal_connect(a->back, "clicked", G_CALLBACK(back_clicked), a);
	adw_header_bar_pack_start(ADW_HEADER_BAR(hb), a->back);
	gtk_box_append(GTK_BOX(box), hb);
	a->pages = GTK_STACK(gtk_stack_new());
	gtk_stack_set_hhomogeneous(a->pages, FALSE);
	gtk_stack_add_named(a->pages, today_new(a), "today");
	gtk_stack_add_named(a->pages, checkin_new(a), "checkin");
	gtk_stack_add_named(a->pages, ask_new(a), "ask");
	gtk_stack_add_named(a->pages, answer_new(a), "answer");
	gtk_stack_add_named(a->pages, history_new(a), "history");
	gtk_stack_add_named(a->pages, pair_new(a), "pair");
	gtk_stack_add_named(a->pages, settings_new(a), "settings");
	gtk_box_append(GTK_BOX(box), GTK_WIDGET(a->pages));
	gtk_widget_set_hexpand(box, TRUE);
	return box;
}

/* A status page with a header bar of its own (to move and close the window). */
static GtkWidget *
with_header(GtkWidget *child)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0), *hb = adw_header_bar_new();

	adw_header_bar_set_title_widget(ADW_HEADER_BAR(hb), adw_window_title_new("attune", NULL));
	gtk_box_append(GTK_BOX(box), hb);
	gtk_widget_set_vexpand(child, TRUE);
	gtk_box_append(GTK_BOX(box), child);
	return box;
}

static void
retry_clicked(GtkButton *b, gpointer p)
{
	(void)b;
	app_refresh(p);
}

/* The page shown while attuned cannot be reached. */
static GtkWidget *
down_new(struct app *a)
{
	GtkWidget *sp = adw_status_page_new(), *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	GtkWidget *cmd = ui_text("systemctl --user start attuned"), *retry;

	adw_status_page_set_icon_name(ADW_STATUS_PAGE(sp), "network-offline-symbolic");
	adw_status_page_set_title(ADW_STATUS_PAGE(sp), "attuned is not running");
	adw_status_page_set_description(ADW_STATUS_PAGE(sp),
	    "attune keeps your check-ins in attuned, a small program on this device. "
	    "Start it with this command; the app connects by itself when it is back.");
	gtk_label_set_selectable(GTK_LABEL(cmd), TRUE);
	gtk_label_set_xalign(GTK_LABEL(cmd), 0.5);
	gtk_widget_add_css_class(cmd, "monospace");
	ui_name(cmd, "Command to start attuned");
	gtk_box_append(GTK_BOX(box), cmd);
	retry = gtk_button_new_with_label("Try again");
	a->retry = retry;
	gtk_widget_set_halign(retry, GTK_ALIGN_CENTER);
	gtk_widget_add_css_class(retry, "pill");
	g_signal_connect(retry, "clicked", G_CALLBACK(retry_clicked), a);
	gtk_box_append(GTK_BOX(box), retry);
	adw_status_page_set_child(ADW_STATUS_PAGE(sp), box);
	return sp;
}

static void
on_first_frame(GdkFrameClock *clock, gpointer p)
{
	struct app *a = p;

	if (a->first_frame)
		return;
	a->first_frame = TRUE;
	g_signal_handlers_disconnect_by_func(clock, on_first_frame, a);
	if (getenv("ATTUNE_GTK_BENCH") != NULL) {
		fprintf(stderr, "attune-gtk: first frame at %.1f ms\n",
		    (double)g_get_monotonic_time() / 1000.0);
		if (strcmp(getenv("ATTUNE_GTK_BENCH"), "exit") == 0)
			g_application_quit(G_APPLICATION(a->gapp));
	}
}

static void
on_map(GtkWidget *w, gpointer p)
{
	GdkFrameClock *clock = gtk_widget_get_frame_clock(w);

	if (clock != NULL)
		g_signal_connect(clock, "after-paint", G_CALLBACK(on_first_frame), p);
}

static void
window_new(struct app *a)
{
	GtkWidget *win = adw_application_window_new(GTK_APPLICATION(a->gapp));
	GtkWidget *leaf = adw_leaflet_new(), *overlay = adw_toast_overlay_new();
	const char *size = getenv("ATTUNE_GTK_SIZE");
	int w = 960, h = 720;

	if (size != NULL && sscanf(size, "%dx%d", &w, &h) != 2) {
		w = 960;
		h = 720;
	}
	a->win = GTK_WINDOW(win);
	gtk_window_set_title(a->win, "attune");
	gtk_window_set_default_size(a->win, w, h);
	a->leaflet = ADW_LEAFLET(leaf);
	adw_leaflet_set_can_navigate_back(a->leaflet, TRUE);
	adw_leaflet_page_set_name(adw_leaflet_append(a->leaflet, sidebar_new(a)), "sidebar");
	adw_leaflet_page_set_navigatable(adw_leaflet_append(a->leaflet,
	    gtk_separator_new(GTK_ORIENTATION_VERTICAL)), FALSE);
	adw_leaflet_page_set_name(adw_leaflet_append(a->leaflet, content_new(a)), "content");
	g_signal_connect(leaf, "notify::folded", G_CALLBACK(folded_changed), a);
	a->toasts = ADW_TOAST_OVERLAY(overlay);
	adw_toast_overlay_set_child(a->toasts, leaf);
	a->root = GTK_STACK(gtk_stack_new());
	gtk_stack_add_named(a->root, overlay, "main");
	gtk_stack_add_named(a->root, with_header(down_new(a)), "down");
	gtk_stack_add_named(a->root, with_header(settings_lock_screen(a)), "locked");
	gtk_stack_add_named(a->root, with_header(setup_new(a)), "setup");
	app_stack_show(a->root, "main");
	adw_application_window_set_content(ADW_APPLICATION_WINDOW(win), GTK_WIDGET(a->root));
	app_show(a, "today");
	adw_leaflet_set_visible_child_name(a->leaflet, "sidebar");
	folded_changed(NULL, NULL, a);
	g_signal_connect(win, "map", G_CALLBACK(on_map), a);
}

/* A chosen chip or choice stands out in the accent colour, not a shade of grey. */
static void
style_load(void)
{
	GtkCssProvider *css = gtk_css_provider_new();

	gtk_css_provider_load_from_data(css,
	    "button.chip:checked { background-color: @accent_bg_color; color: @accent_fg_color; }\n"
	    "button.chip:checked:hover { background-color: shade(@accent_bg_color, 1.1); }\n", -1);
	gtk_style_context_add_provider_for_display(gdk_display_get_default(),
	    GTK_STYLE_PROVIDER(css), GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	g_object_unref(css);
}

static void
activate(GApplication *gapp, gpointer p)
{
	struct app *a = p;

	(void)gapp;
	if (a->win == NULL) {
		style_load();
		window_new(a);
		a->conn = conn_new(on_state, on_event, a);
		conn_start(a->conn);
	}
	gtk_window_present(a->win);
}

static void
act_open_bid(GSimpleAction *act, GVariant *param, gpointer p)
{
	struct app *a = p;

	(void)act;
	activate(G_APPLICATION(a->gapp), a);
	app_open_bid(a, g_variant_get_string(param, NULL));
}

static void
act_show(GSimpleAction *act, GVariant *param, gpointer p)
{
	struct app *a = p;

	(void)act;
	activate(G_APPLICATION(a->gapp), a);
	app_show(a, g_variant_get_string(param, NULL));
}

static void
act_quit(GSimpleAction *act, GVariant *param, gpointer p)
{
	struct app *a = p;

	(void)act;
	(void)param;
	g_application_quit(G_APPLICATION(a->gapp));
}

/* The desktop file's actions (a launcher calls them by name over D-Bus). */
static void
act_screen(GSimpleAction *act, GVariant *param, gpointer p)
{
	struct app *a = p;

	(void)param;
	activate(G_APPLICATION(a->gapp), a);
	app_show(a, g_action_get_name(G_ACTION(act)));
}

static const GActionEntry actions[] = {
	{ .name = "open-bid", .activate = act_open_bid, .parameter_type = "s" },
	{ .name = "show", .activate = act_show, .parameter_type = "s" },
	{ .name = "checkin", .activate = act_screen },
	{ .name = "ask", .activate = act_screen },
	{ .name = "quit", .activate = act_quit },
};

int
main(int argc, char **argv)
{
	struct app a;
	const char *quit_accels[] = { "<Control>q", NULL };
	int rc;

	setlocale(LC_ALL, "");
	memset(&a, 0, sizeof(a));
	/*
	 * One instance per session (a second start or a D-Bus activation reaches
	 * the running one), but ATTUNE_GTK_NON_UNIQUE=1 lets two people's apps
	 * share one test session.
	 */
	a.gapp = adw_application_new(APP_ID, g_strcmp0(getenv("ATTUNE_GTK_NON_UNIQUE"), "1") == 0 ?
	    G_APPLICATION_NON_UNIQUE : G_APPLICATION_DEFAULT_FLAGS);
	g_action_map_add_action_entries(G_ACTION_MAP(a.gapp), actions, G_N_ELEMENTS(actions), &a);
	gtk_application_set_accels_for_action(GTK_APPLICATION(a.gapp), "app.quit", quit_accels);
	g_signal_connect(a.gapp, "activate", G_CALLBACK(activate), &a);
	rc = g_application_run(G_APPLICATION(a.gapp), argc, argv);
	g_object_unref(a.gapp);
	return rc;
}
