/*
 * The relay's settings: safe defaults, overridden by an INI file (inih).
 * Every limit the relay enforces lives here; docs/man/attune-relay.8 lists
 * them with their defaults.
 */
#ifndef RELAY_RELAYCFG_H
#define RELAY_RELAYCFG_H

#include <stddef.h>
#include <stdint.h>

struct relaycfg {
	/* [storage] */
	char store_url[1024];           /* postgresql://...; empty: SQLite in the data folder */
	uint64_t ttl;                   /* seconds an envelope is kept unacknowledged */
	uint64_t mailbox_envelopes;     /* per-mailbox quota: count */
	uint64_t mailbox_bytes;         /* per-mailbox quota: bytes of envelopes */
	uint64_t envelope_max;          /* bytes in one envelope */
	uint64_t otk_max;               /* one-time prekeys kept per device */
	/* [invites] */
	int device_invites;             /* may registered devices ask for invites? */
	uint64_t device_invites_per_day;
	uint64_t invite_max_uses;
	uint64_t invite_max_ttl;        /* seconds; also the cap for device invites */
	uint64_t invite_default_ttl;
	/* [limits] */
	uint64_t connections;           /* total open connections */
	uint64_t connections_per_address;
	double handshake_rate;          /* per source address, tokens per second */
	double handshake_burst;
	uint64_t handshake_timeout;     /* seconds to finish the handshake */
	uint64_t idle_timeout;          /* seconds without a frame from the peer */
	uint64_t frame_max;             /* after the handshake, <= 65535 */
	uint64_t preauth_frame_max;     /* before the handshake */
	double put_rate;                /* put items per second per device, all its connections */
	double put_burst;
	double prekey_rate;             /* prekey_get per second per requesting device */
	double prekey_burst;
	double prekey_target_rate;      /* prekey_get per second for one device's bundle */
	double prekey_target_burst;
	double register_rate;           /* register attempts per second per source address */
	double register_burst;
	uint64_t batch_max;             /* items in one put */
	uint64_t out_buffer;            /* bytes queued to one peer before it is dropped */
	uint64_t deliver_window;        /* unacknowledged delivers in flight per connection */
	uint64_t pending_requests;      /* requests awaiting the disk per connection */
	/* [nameplates] */
	uint64_t nameplate_ttl;         /* seconds */
	uint64_t nameplates_max;        /* open at once */
	double nameplate_rate;          /* allocations and claims per second per address */
	double nameplate_burst;
	uint64_t nameplates_per_address; /* open at once, allocated or claimed, per address */
	uint64_t nameplate_messages;    /* messages buffered for a side not there yet */
	uint64_t nameplate_data_max;    /* bytes in one np_send */
	/* [relay] */
	uint64_t stats_interval;        /* seconds between writes of stats */
	uint64_t sweep_interval;        /* seconds between TTL sweeps */
};

void relaycfg_defaults(struct relaycfg *);
/*
 * Reads an INI file over the current values. Returns 0, or ATT_EIO (cannot
 * read) / ATT_EINVAL (bad line) with a sentence in why naming the line.
 */
int relaycfg_load(struct relaycfg *, const char *path, char *why, size_t why_cap);
/* Sets one "section.key" (or bare key) from text; the INI handler uses it too. */
int relaycfg_set(struct relaycfg *, const char *section, const char *key, const char *value);
/* "30d", "10m", "45s", "2h", "90" (seconds) -> seconds. */
int relaycfg_parse_duration(const char *s, uint64_t *out);
/* "64M", "512K", "1G", "700" -> bytes. */
int relaycfg_parse_size(const char *s, uint64_t *out);

#endif
