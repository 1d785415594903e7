/*
 * The local API's account requests (docs/PROTOCOL.md 8.2): setting this
 * device up (init), pairing with a partner and linking own devices (pair,
 * link: answered later, through a held api_req), revoking a device, ending a
 * partnership (unpair), erasing everything (wipe) and the passphrase that
 * locks the history at start (unlock, passphrase).
 */
#ifndef ATTUNE_DAEMON_CMD_ACCOUNT_H
#define ATTUNE_DAEMON_CMD_ACCOUNT_H

struct call;

int cmd_account_init(struct call *k);
int cmd_account_pair(struct call *k);
int cmd_account_link(struct call *k);
int cmd_account_revoke(struct call *k);
int cmd_account_unpair(struct call *k);
int cmd_account_wipe(struct call *k);
int cmd_account_unlock(struct call *k);
int cmd_account_passphrase(struct call *k);

#endif
