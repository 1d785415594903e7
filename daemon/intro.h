/*
 * The introductions two devices exchange inside the PAKE channel of a
 * pairing or a link (docs/PROTOCOL.md 6.1 and 6.6), built and taken in by
 * daemon/pairing.c once the channel is up. Msgpack maps:
 *
 *   pair:             {"t":"intro","id":0,"kind":"pair","name","person","devs":[record],
 *                      "relay", "invite" (opt)}
 *   link, existing:   {"t":"intro","id":0,"kind":"link","name","person_sk","devs",
 *                      "relay","invite" (opt),"partners":[{"name","person","devs"}]}
 *   link, new device: {"t":"intro","id":0,"kind":"link"}
 */
#ifndef ATTUNE_DAEMON_INTRO_H
#define ATTUNE_DAEMON_INTRO_H

#include <stdint.h>
#include <msgpack.h>

struct daemon;
struct msg_out;
struct store_partner;
struct sync;

/*
 * Builds our introduction into o (reset first). link/initiator: which side
 * of which ceremony; relay and invite (may be "") travel to the other side;
 * partners_later leaves a link's partner list empty (it follows as
 * `partner` messages when it would not fit).
 */
int intro_build(struct daemon *d, struct msg_out *o, int link, int initiator,
                const char *relay, const char *invite, int partners_later);
/*
 * Takes in a partner's pair introduction: stores the partner and their
 * devices and takes the relay address and invite if we lack them (*restart
 * = 1 then). peer is the identity the PAKE authenticated (NULL: none).
 * ATT_EAUTH when the introduction names another person, ATT_EEXIST when it
 * is our own.
 */
int intro_take_pair(struct sync *s, struct daemon *d, const uint8_t *peer,
                    const msgpack_object *root, const char *relay, struct store_partner *out,
                    int *restart);
/*
 * The new device of a link takes in the existing device's introduction:
 * becomes this person (identity_create), takes over partners, reconnects.
 */
int intro_take_link(struct sync *s, struct daemon *d, const uint8_t *peer,
                    const msgpack_object *root);

#endif
