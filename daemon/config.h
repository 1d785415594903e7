/*
 * attuned.conf (INI, read with inih):
 *
 *   [relay]
 *   address = attune://HOST:PORT/KEY      ; default relay for init/pair
 *   [notifications]
 *   mode = discreet | full | off           ; default discreet
 *   quiet_hours = 22:00-07:00              ; optional, local time
 *   [history]
 *   retention = 90d                        ; 0 or "forever" keeps all; units s m h d w
 *   [bids]
 *   pause_after_no = 12h                   ; no new bid to someone who said "not tonight"
 *                                          ; for this long (or until their rain check); 0 = none
 *
 * Unknown sections or keys and malformed values fail the load with the
 * file, the line and the reason, so a typo never goes unnoticed.
 */
#ifndef ATTUNE_DAEMON_CONFIG_H
#define ATTUNE_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum notify_mode { NOTIFY_DISCREET = 0, NOTIFY_FULL, NOTIFY_OFF };

#define CONFIG_RELAY_MAX 512

struct config {
	char relay[CONFIG_RELAY_MAX];  /* "" = none configured */
	enum notify_mode notify;
	int quiet_start;               /* minutes after local midnight, -1 = none */
	int quiet_end;                 /* minutes after local midnight */
	uint64_t retention;            /* seconds; 0 = keep forever */
	uint64_t bid_pause;            /* seconds after "not tonight" without a rain check */
};

void config_defaults(struct config *c);
/*
 * Loads path over the defaults. A missing file is fine (defaults, 0) unless
 * must_exist. On error returns ATT_EIO / ATT_EINVAL and writes one line
 * "FILE:LINE: reason" into why.
 */
int config_load(struct config *c, const char *path, int must_exist, char *why, size_t why_cap);
/* 1 when minute-of-day m (0..1439) falls in the quiet hours. */
int config_is_quiet(const struct config *c, int minute_of_day);

#endif
