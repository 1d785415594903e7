/*
 * The local API's write requests (docs/PROTOCOL.md 8.2): each validates the
 * request, builds one event, stores it and queues it for its audience in one
 * store transaction (daemon/outbox.c), then pushes it to watchers.
 */
#ifndef ATTUNE_DAEMON_CMD_WRITE_H
#define ATTUNE_DAEMON_CMD_WRITE_H

struct call;

int cmd_write_checkin(struct call *k);
int cmd_write_bid(struct call *k);
int cmd_write_respond(struct call *k);
int cmd_write_retract(struct call *k);

#endif
