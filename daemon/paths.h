/*
 * Where attuned keeps its files. XDG base directories by default:
 *   config  $XDG_CONFIG_HOME/attune/attuned.conf   (~/.config/attune)
 *   data    $XDG_DATA_HOME/attune/                 (~/.local/share/attune)
 *   socket  $XDG_RUNTIME_DIR/attune/attuned.sock
 * ATTUNE_HOME=DIR puts all three under DIR (config DIR/attuned.conf, data
 * DIR/data, socket DIR/attuned.sock), for tests and several instances.
 */
#ifndef ATTUNE_DAEMON_PATHS_H
#define ATTUNE_DAEMON_PATHS_H

#include <stddef.h>

struct paths {
	char *config_file;  /* attuned.conf (may not exist) */
	char *data_dir;     /* 0700: keys/, store.db */
	char *keys_dir;     /* 0700: data_dir/keys, one 0600 file per secret */
	char *db_file;      /* data_dir/store.db (+ -wal, -shm) */
	char *run_dir;      /* 0700: the socket's folder */
	char *socket_file;  /* run_dir/attuned.sock */
};

/*
 * Fills p from the environment; config_override (NULL = default) replaces
 * the config file path. Creates nothing. ATT_EINVAL with a reason in why
 * when no base folder can be found (no HOME, no XDG_RUNTIME_DIR).
 */
int paths_init(struct paths *p, const char *config_override, char *why, size_t why_cap);
/*
 * Fills p for an embedded core from an explicit data folder (keys/ and
 * store.db inside it) and an optional config file; no socket, nothing read
 * from the environment. ATT_EINVAL without a data folder.
 */
int paths_for_data(struct paths *p, const char *data_dir, const char *config_file);
void paths_free(struct paths *p);
/* mkdir -p with mode 0700 for the last component; tightens an existing one. */
int paths_mkdir_private(const char *dir);

#endif
