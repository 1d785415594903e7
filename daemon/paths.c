#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/paths.h"
#include "proto/err.h"

static char *
path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

/* $VAR when set to an absolute path, else HOME/fallback (NULL when no HOME). */
static char *
xdg_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var), *home;

	if (v != NULL && v[0] == '/')
		return strdup(v);
	home = getenv("HOME");
	if (home == NULL || home[0] != '/' || fallback == NULL)
		return NULL;
	return path_join(home, fallback);
}

int
paths_init(struct paths *p, const char *config_override, char *why, size_t why_cap)
{
	const char *home = getenv("ATTUNE_HOME");
	char *cfg = NULL, *data = NULL, *run = NULL;

	memset(p, 0, sizeof(*p));
	if (home != NULL && home[0] != '\0') {
		if (home[0] != '/') {
			snprintf(why, why_cap, "ATTUNE_HOME must be an absolute path");
			return ATT_EINVAL;
		}
		p->config_file = path_join(home, "attuned.conf");
		p->data_dir = path_join(home, "data");
		p->run_dir = strdup(home);
	} else {
		cfg = xdg_dir("XDG_CONFIG_HOME", ".config");
		data = xdg_dir("XDG_DATA_HOME", ".local/share");
		run = xdg_dir("XDG_RUNTIME_DIR", NULL);
		if (cfg == NULL || data == NULL) {
			snprintf(why, why_cap, "cannot find the home folder: set HOME or ATTUNE_HOME");
			goto fail;
		}
		if (run == NULL) {
			snprintf(why, why_cap, "XDG_RUNTIME_DIR is not set: run attuned in a user "
			    "session (systemctl --user) or set ATTUNE_HOME");
			goto fail;
		}
		p->config_file = path_join(cfg, "attune/attuned.conf");
		p->data_dir = path_join(data, "attune");
		p->run_dir = path_join(run, "attune");
		free(cfg);
		free(data);
		free(run);
		cfg = data = run = NULL;
	}
	if (config_override != NULL) {
		free(p->config_file);
		p->config_file = strdup(config_override);
	}
	if (p->data_dir != NULL) {
		p->keys_dir = path_join(p->data_dir, "keys");
		p->db_file = path_join(p->data_dir, "store.db");
	}
	if (p->run_dir != NULL)
		p->socket_file = path_join(p->run_dir, "attuned.sock");
	if (p->config_file == NULL || p->data_dir == NULL || p->keys_dir == NULL ||
	    p->db_file == NULL || p->run_dir == NULL || p->socket_file == NULL) {
		snprintf(why, why_cap, "out of memory");
		paths_free(p);
		return ATT_ENOMEM;
	}
	return 0;
fail:
	free(cfg);
	free(data);
	free(run);
	paths_free(p);
	return ATT_EINVAL;
}

int
paths_for_data(struct paths *p, const char *data_dir, const char *config_file)
{
	memset(p, 0, sizeof(*p));
	if (data_dir == NULL || data_dir[0] == '\0')
		return ATT_EINVAL;
	p->data_dir = strdup(data_dir);
	p->keys_dir = path_join(data_dir, "keys");
	p->db_file = path_join(data_dir, "store.db");
	if (config_file != NULL)
		p->config_file = strdup(config_file);
	if (p->data_dir == NULL || p->keys_dir == NULL || p->db_file == NULL ||
	    (config_file != NULL && p->config_file == NULL)) {
		paths_free(p);
		return ATT_ENOMEM;
	}
	return 0;
}

void
paths_free(struct paths *p)
{
	free(p->config_file);
	free(p->data_dir);
	free(p->keys_dir);
	free(p->db_file);
	free(p->run_dir);
	free(p->socket_file);
	memset(p, 0, sizeof(*p));
}

int
paths_mkdir_private(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir), i;

	if (n == 0 || n >= sizeof(buf))
		return ATT_EINVAL;
	memcpy(buf, dir, n + 1);
	/* Parents get the usual 0755 (umask applies); only the last is private. */
	for (i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return ATT_EIO;
		buf[i] = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return ATT_EIO;
	if (chmod(buf, 0700) != 0)
		return ATT_EIO;
	return 0;
}
