/*
 * Settings: notifications (attuned's own, so they are written to attuned's
 * config file, read when attuned starts), quiet hours, and the passphrase;
 * and the lock screen shown while attuned is locked.
 */
#include <stdlib.h>
#include <string.h>

#include "clients/gtk/app.h"
#include "clients/gtk/ui.h"

static const char *const mode_labels[] = { "Full", "Discreet", "Off", NULL };
static const char *const modes[] = { "full", "discreet", "off" };

struct settings {
	struct app *a;
	struct choice *mode;
	GtkWidget *quiet_on, *quiet_from, *quiet_to, *saved;
	GtkWidget *pass1, *pass2, *lock_entry, *lock_hint;
	char *conf;               /* attuned's config file */
};

/* attuned's config file, as attuned finds it (attuned(8)). */
static char *
conf_path(void)
{
	const char *home = getenv("ATTUNE_HOME");

	if (home != NULL && home[0] != '\0')
		return g_build_filename(home, "attuned.conf", NULL);
	return g_build_filename(g_get_user_config_dir(), "attune", "attuned.conf", NULL);
}

static void
load(struct settings *s)
{
	GKeyFile *kf = g_key_file_new();
	char *mode, *quiet;
	int i;

	if (!g_key_file_load_from_file(kf, s->conf, G_KEY_FILE_KEEP_COMMENTS, NULL)) {
		choice_set(s->mode, 1);
		g_key_file_free(kf);
		return;
	}
	mode = g_key_file_get_string(kf, "notifications", "mode", NULL);
	choice_set(s->mode, 1);
	for (i = 0; mode != NULL && i < 3; i++)
		if (strcmp(g_strstrip(mode), modes[i]) == 0)
			choice_set(s->mode, i);
	quiet = g_key_file_get_string(kf, "notifications", "quiet_hours", NULL);
	if (quiet != NULL && strchr(quiet, '-') != NULL) {
		char **p = g_strsplit(g_strstrip(quiet), "-", 2);

		gtk_check_button_set_active(GTK_CHECK_BUTTON(s->quiet_on), TRUE);
		gtk_editable_set_text(GTK_EDITABLE(s->quiet_from), p[0]);
		gtk_editable_set_text(GTK_EDITABLE(s->quiet_to), p[1] ? p[1] : "");
		g_strfreev(p);
	}
	g_free(mode);
	g_free(quiet);
	g_key_file_free(kf);
}

static gboolean
hhmm_ok(const char *t)
{
	unsigned h, m;
	char tail;

	return sscanf(t, "%u:%u%c", &h, &m, &tail) == 2 && h <= 23 && m <= 59;
}

static void
save_clicked(GtkButton *b, gpointer p)
{
	struct settings *s = p;
	GKeyFile *kf = g_key_file_new();
	GError *err = NULL;
	const char *from = gtk_editable_get_text(GTK_EDITABLE(s->quiet_from));
	const char *to = gtk_editable_get_text(GTK_EDITABLE(s->quiet_to));
	int k = choice_get(s->mode);
	char *dir;

	(void)b;
	if (gtk_check_button_get_active(GTK_CHECK_BUTTON(s->quiet_on)) &&
	    (!hhmm_ok(from) || !hhmm_ok(to))) {
		gtk_label_set_text(GTK_LABEL(s->saved), "Quiet hours look like 22:00 and 07:00.");
		g_key_file_free(kf);
		return;
	}
	g_key_file_load_from_file(kf, s->conf, G_KEY_FILE_KEEP_COMMENTS, NULL);
	g_key_file_set_string(kf, "notifications", "mode", modes[k < 0 ? 1 : k]);
	if (gtk_check_button_get_active(GTK_CHECK_BUTTON(s->quiet_on))) {
		char *q = g_strdup_printf("%s-%s", from, to);

		g_key_file_set_string(kf, "notifications", "quiet_hours", q);
		g_free(q);
	} else {
		g_key_file_remove_key(kf, "notifications", "quiet_hours", NULL);
	}
	dir = g_path_get_dirname(s->conf);
	g_mkdir_with_parents(dir, 0700);
	g_free(dir);
	if (!g_key_file_save_to_file(kf, s->conf, &err)) {
		gtk_label_set_text(GTK_LABEL(s->saved), err->message);
		g_error_free(err);
	} else {
		gtk_label_set_text(GTK_LABEL(s->saved), "Saved. attuned uses it from its next start "
		    "(systemctl --user restart attuned).");
	}
	g_key_file_free(kf);
}

static void
wipe_entry(GtkWidget *e)
{
	/* GtkEntry keeps its own buffer; setting "" releases it (not a secure wipe: GTK owns it). */
	gtk_editable_set_text(GTK_EDITABLE(e), "");
}

static void
on_passphrase(int rc, struct attune_reply *rep, gpointer p)
{
	struct settings *s = p;
	char *t = rc == 0 ? g_strdup("Passphrase saved. attune starts locked from now on.") :
	    conn_error_text(rc, rep);

	app_toast(s->a, t);
	g_free(t);
	if (rep != NULL)
		attune_reply_free(rep);
}

static void
send_passphrase(struct settings *s, const char *pass)
{
	struct conn_req *r = conn_req_new("passphrase");

	conn_req_str(r, "passphrase", pass);
	conn_call(s->a->conn, r, on_passphrase, s);
}

static void
set_pass_clicked(GtkButton *b, gpointer p)
{
	struct settings *s = p;
	const char *p1 = gtk_editable_get_text(GTK_EDITABLE(s->pass1));
	const char *p2 = gtk_editable_get_text(GTK_EDITABLE(s->pass2));

	(void)b;
	if (strlen(p1) < 8) {
		app_toast(s->a, "Use at least 8 characters.");
		return;
	}
	if (strcmp(p1, p2) != 0) {
		app_toast(s->a, "The two passphrases differ.");
		return;
	}
	send_passphrase(s, p1);
	wipe_entry(s->pass1);
	wipe_entry(s->pass2);
}

static void
remove_pass_clicked(GtkButton *b, gpointer p)
{
	(void)b;
	send_passphrase(p, "");
}

static void
on_unlock(int rc, struct attune_reply *rep, gpointer p)
{
	struct settings *s = p;

	if (rc != 0) {
		char *t = conn_error_text(rc, rep);

		gtk_label_set_text(GTK_LABEL(s->lock_hint), t);
		g_free(t);
	} else {
		gtk_label_set_text(GTK_LABEL(s->lock_hint), "");
		app_refresh(s->a);
	}
	if (rep != NULL)
		attune_reply_free(rep);
}

static void
unlock_clicked(GtkWidget *w, gpointer p)
{
	struct settings *s = p;
	struct conn_req *r = conn_req_new("unlock");

	(void)w;
	conn_req_str(r, "passphrase", gtk_editable_get_text(GTK_EDITABLE(s->lock_entry)));
	wipe_entry(s->lock_entry);
	gtk_label_set_text(GTK_LABEL(s->lock_hint), "Unlocking…");
	conn_call(s->a->conn, r, on_unlock, s);
}

static struct settings *
settings_get(struct app *a)
{
	if (a->settings == NULL) {
		a->settings = g_new0(struct settings, 1);
		a->settings->a = a;
		a->settings->conf = conf_path();
	}
	return a->settings;
}

GtkWidget *
settings_lock_screen(struct app *a)
{
	struct settings *s = settings_get(a);
	GtkWidget *sp = adw_status_page_new(), *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	GtkWidget *clamp = adw_clamp_new(), *btn;

	adw_status_page_set_icon_name(ADW_STATUS_PAGE(sp), "channel-secure-symbolic");
	adw_status_page_set_title(ADW_STATUS_PAGE(sp), "attune is locked");
	adw_status_page_set_description(ADW_STATUS_PAGE(sp),
	    "Your history is sealed with your passphrase. Type it to open it.");
	s->lock_entry = gtk_password_entry_new();
	g_object_set(s->lock_entry, "placeholder-text", "Passphrase", NULL);
	gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(s->lock_entry), TRUE);
	ui_name(s->lock_entry, "Passphrase");
	g_signal_connect(s->lock_entry, "activate", G_CALLBACK(unlock_clicked), s);
	gtk_box_append(GTK_BOX(box), s->lock_entry);
	btn = gtk_button_new_with_label("Unlock");
	gtk_widget_add_css_class(btn, "suggested-action");
	gtk_widget_add_css_class(btn, "pill");
	gtk_widget_set_halign(btn, GTK_ALIGN_CENTER);
	g_signal_connect(btn, "clicked", G_CALLBACK(unlock_clicked), s);
	gtk_box_append(GTK_BOX(box), btn);
	s->lock_hint = ui_text("");
	gtk_label_set_xalign(GTK_LABEL(s->lock_hint), 0.5);
	gtk_box_append(GTK_BOX(box), s->lock_hint);
	adw_clamp_set_maximum_size(ADW_CLAMP(clamp), 360);
	adw_clamp_set_child(ADW_CLAMP(clamp), box);
	adw_status_page_set_child(ADW_STATUS_PAGE(sp), clamp);
	return sp;
}

void
settings_update(struct app *a)
{
	(void)a;
}

static GtkWidget *
pill(const char *label, GCallback cb, gpointer p)
{
	GtkWidget *b = gtk_button_new_with_label(label);

	gtk_widget_add_css_class(b, "pill");
	gtk_widget_set_halign(b, GTK_ALIGN_START);
	g_signal_connect(b, "clicked", cb, p);
	return b;
}

GtkWidget *
settings_new(struct app *a)
{
	struct settings *s = settings_get(a);
	GtkWidget *box, *page = ui_page(&box), *row;

	gtk_box_append(GTK_BOX(box), ui_heading("Notifications"));
	gtk_box_append(GTK_BOX(box), ui_text("attuned tells you when your partner checks in, asks "
	    "or answers. Discreet notifications say only that something arrived."));
	s->mode = choice_new("Notifications", mode_labels);
	gtk_box_append(GTK_BOX(box), choice_widget(s->mode));
	s->quiet_on = gtk_check_button_new_with_label("Quiet hours");
	gtk_box_append(GTK_BOX(box), s->quiet_on);
	row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	s->quiet_from = ui_entry("Quiet from", "22:00");
	s->quiet_to = ui_entry("Quiet until", "07:00");
	gtk_editable_set_width_chars(GTK_EDITABLE(s->quiet_from), 6);
	gtk_editable_set_width_chars(GTK_EDITABLE(s->quiet_to), 6);
	gtk_box_append(GTK_BOX(row), s->quiet_from);
	gtk_box_append(GTK_BOX(row), gtk_label_new("to"));
	gtk_box_append(GTK_BOX(row), s->quiet_to);
	gtk_box_append(GTK_BOX(box), row);
	gtk_box_append(GTK_BOX(box), pill("Save notification settings", G_CALLBACK(save_clicked), s));
	s->saved = ui_text("");
	gtk_box_append(GTK_BOX(box), s->saved);
	load(s);

	gtk_box_append(GTK_BOX(box), ui_heading("Passphrase"));
	gtk_box_append(GTK_BOX(box), ui_text("With a passphrase, your history stays sealed until "
	    "you type it after each start of attuned. Forget it and the history is gone."));
	s->pass1 = gtk_password_entry_new();
	g_object_set(s->pass1, "placeholder-text", "New passphrase", NULL);
	ui_name(s->pass1, "New passphrase");
	gtk_box_append(GTK_BOX(box), s->pass1);
	s->pass2 = gtk_password_entry_new();
	g_object_set(s->pass2, "placeholder-text", "Repeat it", NULL);
	ui_name(s->pass2, "Repeat the passphrase");
	gtk_box_append(GTK_BOX(box), s->pass2);
	gtk_box_append(GTK_BOX(box), pill("Set passphrase", G_CALLBACK(set_pass_clicked), s));
	gtk_box_append(GTK_BOX(box), pill("Remove passphrase", G_CALLBACK(remove_pass_clicked), s));
	return page;
}
