/*
 * Small building blocks every screen uses, so each control carries an
 * accessible name and the layout stays narrow enough for a phone (360 px):
 * wrapping chip rows, one-of-many choices, labelled entries.
 */
#ifndef UI_H
#define UI_H

#include <gtk/gtk.h>

/* A scrolled, clamped page; widgets go into *box. */
GtkWidget *ui_page(GtkWidget **box);
GtkWidget *ui_heading(const char *text);
/* Wrapping, selectable text (a sentence or a value). */
GtkWidget *ui_text(const char *text);
/* A card: a framed vertical box. */
GtkWidget *ui_card(GtkWidget **inner);
/* Sets the accessible name (label) of w. */
void ui_name(GtkWidget *w, const char *name);
/* An entry named name with a placeholder. */
GtkWidget *ui_entry(const char *name, const char *placeholder);
void ui_clear(GtkWidget *box);

/* Chips: toggles from a vocabulary plus the person's own, "Add" entry below. */
struct chips;
/* prefix names each chip for assistive technology: "Reason: tired". */
struct chips *chips_new(const char *prefix, const char *const *words, gboolean own);
GtkWidget *chips_widget(struct chips *c);
/* The chosen words, NULL-terminated (free with g_strfreev). */
char **chips_selected(struct chips *c);
void chips_reset(struct chips *c);
/* cb(user) on every change. */
void chips_on_change(struct chips *c, GCallback cb, gpointer user);
/* Turns the chip for word on (adding it if it is not there). */
void chips_select(struct chips *c, const char *word);

/* One of many: a row of toggle buttons. labels NULL-terminated; names as for chips (prefix NULL: the label alone). */
struct choice;
struct choice *choice_new(const char *prefix, const char *const *labels);
GtkWidget *choice_widget(struct choice *c);
/* The index chosen, -1 for none. */
int choice_get(struct choice *c);
void choice_set(struct choice *c, int i);
/* Called on every change. */
void choice_on_change(struct choice *c, GCallback cb, gpointer user);

#endif
