/*
 * Desktop notifications over the user's session bus (sd-bus,
 * org.freedesktop.Notifications.Notify). Discreet by default ("Sam checked
 * in", no content); full shows mood and note; off sends nothing. Nothing is
 * sent during quiet hours. Without a session bus every call quietly does
 * nothing.
 */
#ifndef ATTUNE_DAEMON_NOTIFY_H
#define ATTUNE_DAEMON_NOTIFY_H

#include <stddef.h>

struct config;
struct event;
struct notify;

/* Never fails: without a bus the handle just drops everything. */
struct notify *notify_new(const struct config *c);
void notify_free(struct notify *n);
/* who = the author's display name. */
void notify_event(struct notify *n, const struct event *ev, const char *who);
/* A reminder (a rain check coming due): only a summary, same rules. */
void notify_reminder(struct notify *n, const char *summary);
/* The summary and body that would be shown (for tests); body may be "". */
void notify_text(const struct config *c, const struct event *ev, const char *who,
    char *summary, size_t scap, char *body, size_t bcap);

#endif
