/*
 * First run, without a terminal: the name partners will see, the couple's
 * relay and the invite its operator gave (both optional: the partner's relay
 * comes with pairing), then `init`.
 */
#include <string.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"
#include "clients/lib/termtext.h"

struct setup {
	struct app *a;
	GtkWidget *name, *relay, *invite, *go, *hint, *link, *link_go, *link_hint;
};

/* The joining side of link: the other device's whole link (its QR code's text). */
static void
on_linked(int rc, struct attune_reply *rep, gpointer p)
{
	struct setup *s = p;
	const char *t = rep != NULL ? attune_reply_type(rep) : "";

	if (rc != 0) {
		char *e = conn_error_text(rc, rep);

		gtk_label_set_text(GTK_LABEL(s->link_hint), e);
		gtk_widget_set_sensitive(s->link_go, TRUE);
		g_free(e);
	} else if (strcmp(t, "linked") == 0 || strcmp(t, "paired") == 0) {
		char *safety = mp_str(attune_reply_root(rep), "safety");
		char *m = g_strdup_printf("Linked. Safety number: %s — compare it with your other "
		    "device.", safety != NULL ? safety : "?");

		gtk_label_set_text(GTK_LABEL(s->link_hint), m);
		app_toast(s->a, m);
		g_free(m);
		g_free(safety);
		app_refresh(s->a);
	}
	if (rep != NULL)
		attune_reply_free(rep);
}

static void
link_clicked(GtkWidget *w, gpointer p)
{
	struct setup *s = p;
	const char *typed = gtk_editable_get_text(GTK_EDITABLE(s->link));
	const char *hash = strchr(typed, '#');
	struct conn_req *r;
	char *relay;

	(void)w;
	if (strncmp(typed, "attune://", 9) != 0 || hash == NULL || hash[1] == '\0') {
		gtk_label_set_text(GTK_LABEL(s->link_hint), "Paste the whole link your other device "
		    "shows under Link a device: attune://…#code.");
		return;
	}
	relay = g_strndup(typed, (gsize)(hash - typed));
	r = conn_req_new("link");
	conn_req_str(r, "code", hash + 1);
	conn_req_str(r, "relay", relay);
	g_free(relay);
	gtk_widget_set_sensitive(s->link_go, FALSE);
	gtk_label_set_text(GTK_LABEL(s->link_hint), "Linking…");
	conn_call(s->a->conn, r, on_linked, s);
}

static void
on_init(int rc, struct attune_reply *rep, gpointer p)
{
	struct setup *s = p;

	gtk_widget_set_sensitive(s->go, TRUE);
	if (rc != 0) {
		char *t = conn_error_text(rc, rep);

		gtk_label_set_text(GTK_LABEL(s->hint), t);
		g_free(t);
	} else {
		gtk_label_set_text(GTK_LABEL(s->hint), "");
		app_toast(s->a, "Welcome. Next: pair with your partner.");
		app_refresh(s->a);
		app_show(s->a, "pair");
	}
	if (rep != NULL)
		attune_reply_free(rep);
}

static void
go_clicked(GtkWidget *w, gpointer p)
{
	struct setup *s = p;
	const char *name = gtk_editable_get_text(GTK_EDITABLE(s->name));
	const char *relay = gtk_editable_get_text(GTK_EDITABLE(s->relay));
	const char *invite = gtk_editable_get_text(GTK_EDITABLE(s->invite));
	const char *why;
	struct conn_req *r;

	(void)w;
	if (name[strspn(name, " \t")] == '\0') {
		gtk_label_set_text(GTK_LABEL(s->hint), "Choose the name your partner will see.");
		return;
	}
	if ((why = termtext_name_check(name)) != NULL) {
		char *t = g_strdup_printf("%s: choose a plain name your partner will see.", why);

		gtk_label_set_text(GTK_LABEL(s->hint), t);
		g_free(t);
		return;
	}
	r = conn_req_new("init");
	conn_req_str(r, "name", name);
	if (relay[0] != '\0')
		conn_req_str(r, "relay", relay);
	if (invite[0] != '\0')
		conn_req_str(r, "invite", invite);
	gtk_widget_set_sensitive(s->go, FALSE);
	gtk_label_set_text(GTK_LABEL(s->hint), "Setting up…");
	conn_call(s->a->conn, r, on_init, s);
}

GtkWidget *
setup_new(struct app *a)
{
	struct setup *s = g_new0(struct setup, 1);
	GtkWidget *box, *page = ui_page(&box);

	s->a = a;
	gtk_box_append(GTK_BOX(box), ui_heading("Welcome to attune"));
	gtk_box_append(GTK_BOX(box), ui_text("Set up this device once. Your check-ins stay "
	    "encrypted on it and on your partner’s, and travel through a relay you two choose."));
	gtk_box_append(GTK_BOX(box), ui_heading("Your name"));
	s->name = ui_entry("Your name", "The name your partner will see");
	gtk_box_append(GTK_BOX(box), s->name);
	gtk_box_append(GTK_BOX(box), ui_heading("Relay"));
	gtk_box_append(GTK_BOX(box), ui_text("The address (attune://…) and invite of your relay. "
	    "Leave them empty if your partner invites you: their relay comes with pairing."));
	s->relay = ui_entry("Relay address", "attune://host:port/key");
	gtk_box_append(GTK_BOX(box), s->relay);
	s->invite = ui_entry("Invite", "Invite from the relay (optional)");
	gtk_box_append(GTK_BOX(box), s->invite);
	s->go = gtk_button_new_with_label("Set up this device");
	gtk_widget_add_css_class(s->go, "suggested-action");
	gtk_widget_add_css_class(s->go, "pill");
	gtk_widget_set_halign(s->go, GTK_ALIGN_CENTER);
	g_signal_connect(s->go, "clicked", G_CALLBACK(go_clicked), s);
	g_signal_connect(s->name, "activate", G_CALLBACK(go_clicked), s);
	gtk_box_append(GTK_BOX(box), s->go);
	s->hint = ui_text("");
	ui_name(s->hint, "Set-up progress");
	gtk_box_append(GTK_BOX(box), s->hint);

	gtk_box_append(GTK_BOX(box), ui_heading("Or: this is another device of mine"));
	gtk_box_append(GTK_BOX(box), ui_text("On the device you already use, open Partners and "
	    "devices, press Link a device, and copy its link here."));
	s->link = ui_entry("Link from your other device", "attune://…#code");
	g_signal_connect(s->link, "activate", G_CALLBACK(link_clicked), s);
	gtk_box_append(GTK_BOX(box), s->link);
	s->link_go = gtk_button_new_with_label("Link this device");
	gtk_widget_add_css_class(s->link_go, "pill");
	gtk_widget_set_halign(s->link_go, GTK_ALIGN_CENTER);
	g_signal_connect(s->link_go, "clicked", G_CALLBACK(link_clicked), s);
	gtk_box_append(GTK_BOX(box), s->link_go);
	s->link_hint = ui_text("");
	ui_name(s->link_hint, "Linking progress");
	gtk_box_append(GTK_BOX(box), s->link_hint);
	return page;
}
