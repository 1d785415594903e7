/*
 * The introductions two devices exchange inside the PAKE channel of a
 * pairing or a link (docs/PROTOCOL.md 6.1 and 6.6), built and taken in by
 * daemon/pairing.c once the channel is up. Msgpack maps:
 *
 *   pair:             {"t":"intro","id":0,"kind":"pair","name","person","devs":[record],
 *                      "relay", "invite" (opt)}
 *   link, existing:   {"t":"intro","id":0,"kind":"link","name","person","devs",
 *                      "relay","invite" (opt),"partners":[{"name","person","devs"}]}
 *   link, new device: {"t":"intro","id":0,"kind":"link","sign","dh","relay","created",
 *                      "sig"} (its public keys, self-signed by its sign key)
 *
 * The person secret key never travels: only the identity device holds it,
 * and it certifies the new device's keys (issue 11).
 */
#ifndef ATTUNE_DAEMON_INTRO_H
#define ATTUNE_DAEMON_INTRO_H

#include <stdint.h>
#include <msgpack.h>

struct daemon;
struct msg_out;
struct store_partner;
struct sync;
struct keys;
struct store_device;

/*
 * Builds our introduction into o (reset first). link/initiator: which side
 * of which ceremony; relay and invite (may be "") travel to the other side;
 * partners_later leaves a link's partner list empty (it follows as
 * `partner` messages when it would not fit).
 */
int intro_build(struct daemon *d, struct msg_out *o, int link, int initiator,
                const char *relay, const char *invite, int partners_later,
                const struct keys *newdev);
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
 * The new device of a link takes in the identity device's introduction:
 * becomes a device of this person with newdev's keys (identity_create_linked;
 * d->keys owns them on success), takes over partners, reconnects.
 */
int intro_take_link(struct sync *s, struct daemon *d, const uint8_t *peer,
                    const msgpack_object *root, struct keys *newdev);
/*
 * The identity device takes in the new device's introduction: checks its
 * self-signature and that its PAKE identity (peer) is its sign key, refuses
 * a relay key it already knows (ATT_EEXIST: a revoked device never comes
 * back), and certifies it: *out is the device row with a record signed by
 * the person key, for the caller to store. ATT_EPERM on a linked device.
 */
int intro_take_newdev(struct daemon *d, const uint8_t *peer, const msgpack_object *root,
                      struct store_device *out);

#endif
