/*
 * attune-gtk: the app's shared state. One struct app per window, passed to
 * every screen; the screens (today.c, checkin.c, ask.c, answer.c, pair.c,
 * history.c, settings.c) build their widgets from it and are told when
 * attuned's status changes.
 */
#ifndef APP_H
#define APP_H

#include <adwaita.h>
#include <time.h>

#include "clients/gtk/conn.h"

struct today;
struct checkin;
struct ask;
struct answer;
struct pair;
struct history;
struct settings;

struct app {
	AdwApplication *gapp;
	GtkWindow *win;
	struct conn *conn;
	AdwLeaflet *leaflet;
	GtkStack *pages;          /* the screens */
	GtkStack *root;           /* main, down, locked, setup */
	GtkWidget *back;          /* back to the screen list on a phone */
	GtkWidget *title;
	GtkWidget *retry;         /* "Try again" on the not-running page */
	AdwToastOverlay *toasts;
	struct attune_reply *status;   /* the latest status reply, or NULL */
	char **partners;          /* partner names, NULL-terminated */
	char *me;                 /* my name */
	char *open_bid;           /* a bid asked for (notification) but not yet shown */
	gboolean first_frame;

	struct today *today;
	struct checkin *checkin;
	struct ask *ask;
	struct answer *answer;
	struct pair *pair;
	struct history *history;
	struct settings *settings;
};

/* Shows the named child of a stack and hides the others (also from assistive technology). */
void app_stack_show(GtkStack *st, const char *name);
/* Shows a screen by name ("today", "checkin", ...). */
void app_show(struct app *a, const char *page);
/* Asks attuned for its status again; every screen is updated when it comes. */
void app_refresh(struct app *a);
/* A short message at the bottom of the window. */
void app_toast(struct app *a, const char *text);
/* Opens the Answer screen on the bid with that id (from status). */
void app_open_bid(struct app *a, const char *bid_id);
/* Finds an event by id in the last status (bids_to_me, bids_from_me), or NULL. */
const msgpack_object *app_find_bid(struct app *a, const char *bid_id);

/* String helpers over msgpack maps. */
char *mp_str(const msgpack_object *map, const char *key);
guint64 mp_uint(const msgpack_object *map, const char *key, guint64 dflt);
/* "tired, stressed" from a string array, or NULL when absent or empty. */
char *mp_join(const msgpack_object *map, const char *key);
/* A check-in in words: "mood good · desire high · capacity ok"; fields absent are left out. */
char *checkin_words(const msgpack_object *ev);

/* Screens. Each returns its page widget. */
GtkWidget *today_new(struct app *a);
void today_update(struct app *a);
GtkWidget *checkin_new(struct app *a);
void checkin_update(struct app *a);
GtkWidget *ask_new(struct app *a);
void ask_update(struct app *a);
GtkWidget *answer_new(struct app *a);
void answer_update(struct app *a);
void answer_set_bid(struct app *a, const char *bid_id);
/* With no bid chosen: the first one asked of me, if any. */
void answer_pick(struct app *a);
GtkWidget *pair_new(struct app *a);
void pair_update(struct app *a);
GtkWidget *history_new(struct app *a);
void history_update(struct app *a);
/* The last 7 days of who's check-ins as small lines (mood, desire, capacity); nothing without data. */
void history_sparkline(struct app *a, const char *who, cairo_t *cr, int w, int h);
gboolean history_has(struct app *a, const char *who);
GtkWidget *settings_new(struct app *a);
void settings_update(struct app *a);
GtkWidget *settings_lock_screen(struct app *a);
/* First run: name, relay, invite, then init. */
GtkWidget *setup_new(struct app *a);

#endif
