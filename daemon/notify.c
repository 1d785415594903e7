/*
 * Desktop notifications through org.freedesktop.Notifications on the
 * session bus. The bus is opened on first use; if that fails (no session
 * bus: a server, a test) the handle stays silent for good. Messages are
 * sent without expecting a reply, so the event loop never waits on the
 * notification server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "daemon/config.h"
#include "proto/event.h"
#include "daemon/notify.h"

struct notify {
	const struct config *c;
	sd_bus *bus;
	int tried;        /* opened (or failed to) once */
};

struct notify *
notify_new(const struct config *c)
{
	struct notify *n = calloc(1, sizeof(*n));

	if (n != NULL)
		n->c = c;
	return n;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->bus != NULL)
		sd_bus_flush_close_unref(n->bus);
	free(n);
}

void
notify_text(const struct config *c, const struct event *ev, const char *who,
    char *summary, size_t scap, char *body, size_t bcap)
{
	const char *what;
	int full = c->notify == NOTIFY_FULL;

	body[0] = '\0';
	switch (ev->kind) {
	case EVENT_CHECKIN: what = "checked in"; break;
	case EVENT_BID: what = "sent you a bid"; break;
	case EVENT_RESPONSE: what = "answered your bid"; break;
	case EVENT_SPARK_MATCH: what = NULL; break;
	default: what = "changed something"; break;
	}
	if (what == NULL)   /* the same words whatever the notification setting */
		snprintf(summary, scap, "You and %s are both in the mood", who);
	else
		snprintf(summary, scap, "%s %s", who, what);
	if (!full)
		return;
	switch (ev->kind) {
	case EVENT_CHECKIN: {
		char m[32] = "", d[32] = "", cap[32] = "";

		if (ev->mood >= 0)
			snprintf(m, sizeof(m), "mood %d/5 ", ev->mood);
		if (ev->desire >= 0)
			snprintf(d, sizeof(d), "desire %d/5 ", ev->desire);
		if (ev->capacity >= 0)
			snprintf(cap, sizeof(cap), "capacity %d/5", ev->capacity);
		snprintf(body, bcap, "%s%s%s%s%s", m, d, cap, ev->note[0] ? "\n" : "", ev->note);
		break;
	}
	case EVENT_BID:
		snprintf(body, bcap, "%s%s%s", ev->bid_kind, ev->note[0] ? ": " : "", ev->note);
		break;
	case EVENT_RESPONSE:
		snprintf(body, bcap, "%s%s%s", event_answer_name(ev->answer),
		    ev->note[0] ? ": " : "", ev->note);
		break;
	default:
		break;
	}
}

static int
notify_quiet_now(const struct config *c)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	return config_is_quiet(c, tm.tm_hour * 60 + tm.tm_min);
}

/* Sends one notification; quietly nothing without a bus. */
static void
notify_send(struct notify *n, const char *summary, const char *body)
{
	sd_bus_message *m = NULL;

	if (!n->tried) {
		n->tried = 1;
		if (sd_bus_open_user(&n->bus) < 0)
			n->bus = NULL;
	}
	if (n->bus == NULL)
		return;
	/* Notify(app_name, replaces_id, icon, summary, body, actions, hints, timeout) */
	if (sd_bus_message_new_method_call(n->bus, &m, "org.freedesktop.Notifications",
	    "/org/freedesktop/Notifications", "org.freedesktop.Notifications", "Notify") < 0)
		return;
	if (sd_bus_message_set_expect_reply(m, 0) >= 0 &&
	    sd_bus_message_append(m, "susssasa{sv}i", "attune", (uint32_t)0, "", summary, body,
	    0, 0, (int32_t)-1) >= 0 &&
	    sd_bus_send(n->bus, m, NULL) >= 0)
		sd_bus_flush(n->bus);
	sd_bus_message_unref(m);
}

void
notify_event(struct notify *n, const struct event *ev, const char *who)
{
	char summary[160], body[1400];

	if (n == NULL || n->c->notify == NOTIFY_OFF || ev->mine || ev->kind == EVENT_RETRACT)
		return;
	if (notify_quiet_now(n->c))
		return;
	notify_text(n->c, ev, who, summary, sizeof(summary), body, sizeof(body));
	notify_send(n, summary, body);
	memset(body, 0, sizeof(body));
}

void
notify_reminder(struct notify *n, const char *summary)
{
	if (n == NULL || n->c->notify == NOTIFY_OFF || notify_quiet_now(n->c))
		return;
	notify_send(n, summary, "");
}
