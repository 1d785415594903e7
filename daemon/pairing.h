/*
 * Pairing partners and linking own devices through the relay's nameplates
 * (docs/PROTOCOL.md 6.1 and 6.6): the inviting side allocates a nameplate
 * and shows the code; the joining side claims it; both drive proto/pake.h
 * over np_send/np_msg and exchange introductions inside the PAKE channel.
 *
 * Each pairing uses a connection of its own to the relay, with a throwaway
 * Noise key: nameplates are open to any connection, so a device that has no
 * keys yet (link on a fresh device) or is not registered can still pair.
 */
#ifndef ATTUNE_DAEMON_PAIRING_H
#define ATTUNE_DAEMON_PAIRING_H

struct api_req;
struct daemon;
struct sync;

/* Minutes an inviting side waits for its partner (the relay's nameplate TTL rules too). */
#define PAIRING_TIMEOUT_MS (10 * 60 * 1000)

/*
 * Starts a pairing (link 0) or link (link 1); code NULL = invite, else join
 * (a code, or a link "attune://...#CODE"); relay NULL = the configured one.
 * invite: the new device's own invite from the relay's operator (link with a
 * code only; NULL otherwise), used instead of one from the identity device.
 * Owns req from then on (replies "pairing", then "paired" or an error).
 * Returns an error, without touching req, when it cannot start.
 */
int pairing_start(struct sync *s, struct daemon *d, struct api_req *req, int link,
                  const char *code, const char *relay, const char *invite);
/* Ends every pairing in progress (shutdown, wipe); their clients get an error. */
void pairing_cancel_all(struct daemon *d);

#endif
