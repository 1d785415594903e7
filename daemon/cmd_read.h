/*
 * The local API's read requests (docs/PROTOCOL.md 8.2): status, log, watch,
 * partners, devices and export. None of them changes the store; watch only
 * marks the client for pushes (struct call's watch flag).
 */
#ifndef ATTUNE_DAEMON_CMD_READ_H
#define ATTUNE_DAEMON_CMD_READ_H

struct call;

int cmd_read_status(struct call *k);
int cmd_read_log(struct call *k);
int cmd_read_watch(struct call *k);
int cmd_read_partners(struct call *k);
int cmd_read_devices(struct call *k);
int cmd_read_export(struct call *k);

#endif
