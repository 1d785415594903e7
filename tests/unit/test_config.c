/* daemon/config: attuned.conf parsing, and a bad line named with its file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "proto/err.h"
#include "tests/unit/tutil.h"

static char *
write_conf(const char *name, const char *text)
{
	char *dir = tutil_tmpdir("test_config");
	char *path = malloc(4200);
	FILE *f;

	snprintf(path, 4200, "%s/%s", dir, name);
	free(dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Removes the file's folder and frees the path. */
static void
drop_conf(char *path)
{
	char cmd[4300];

	*strrchr(path, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
	free(path);
}

static void
test_defaults_and_missing(void **state)
{
	struct config c;
	char why[256] = "";

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.notify, NOTIFY_DISCREET);
	assert_int_equal(c.quiet_start, -1);
	assert_int_equal(c.retention, 0);
	assert_string_equal(c.relay, "");
	assert_int_equal(config_load(&c, "/nonexistent/attuned.conf", 0, why, sizeof(why)), 0);
	assert_int_equal(config_load(&c, "/nonexistent/attuned.conf", 1, why, sizeof(why)), ATT_EIO);
	assert_non_null(strstr(why, "/nonexistent/attuned.conf"));
}

static void
test_good_file(void **state)
{
	struct config c;
	char why[256] = "";
	char *p = write_conf("good.conf",
	    "; attune daemon\n"
	    "[relay]\n"
	    "address = attune://127.0.0.1:7443/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "[notifications]\n"
	    "mode = full\n"
	    "quiet_hours = 22:30-07:00\n"
	    "[history]\n"
	    "retention = 90d\n");

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(&c, p, 1, why, sizeof(why)), 0);
	assert_int_equal(c.notify, NOTIFY_FULL);
	assert_int_equal(c.quiet_start, 22 * 60 + 30);
	assert_int_equal(c.quiet_end, 7 * 60);
	assert_int_equal(c.retention, 90 * 86400);
	assert_non_null(strstr(c.relay, "attune://127.0.0.1:7443/"));
	/* Quiet hours across midnight. */
	assert_true(config_is_quiet(&c, 23 * 60));
	assert_true(config_is_quiet(&c, 3 * 60));
	assert_false(config_is_quiet(&c, 12 * 60));
	assert_false(config_is_quiet(&c, 7 * 60));
	assert_true(config_is_quiet(&c, 22 * 60 + 30));
	drop_conf(p);
}

/* Each bad line fails with "FILE:LINE: reason". */
static void
test_bad_lines(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *reason;
	} cases[] = {
		{ "[notifications]\nmode = loud\n", 2, "full, discreet, off" },
		{ "[notifications]\n\nquiet_hours = 22-7\n", 3, "22:00-07:00" },
		{ "[notifications]\nquiet_hours = 25:00-07:00\n", 2, "quiet_hours" },
		{ "[history]\nretention = soon\n", 2, "retention" },
		{ "[history]\nretention = 10y\n", 2, "retention" },
		{ "[relay]\naddress = http://example.org\n", 2, "relay address" },
		{ "[relay]\nadress = x\n", 2, "unknown setting \"adress\"" },
		{ "[colours]\nmode = full\n", 2, "[colours]" },
		{ "[history]\nthis line has no equals sign\n", 2, "syntax" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char why[256] = "", want[64];
		char *p = write_conf("bad.conf", cases[i].text);

		config_defaults(&c);
		assert_int_equal(config_load(&c, p, 1, why, sizeof(why)), ATT_EINVAL);
		snprintf(want, sizeof(want), "bad.conf:%d: ", cases[i].line);
		if (strstr(why, want) == NULL || strstr(why, cases[i].reason) == NULL)
			fail_msg("case %zu: got \"%s\"", i, why);
		drop_conf(p);
	}
}

static void
test_retention_units(void **state)
{
	static const struct { const char *v; uint64_t s; } cases[] = {
		{ "3600", 3600 }, { "45s", 45 }, { "30m", 1800 }, { "12h", 43200 },
		{ "2w", 14 * 86400 }, { "0", 0 }, { "forever", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char text[128], why[256];
		char *p;

		snprintf(text, sizeof(text), "[history]\nretention = %s\n", cases[i].v);
		p = write_conf("r.conf", text);
		config_defaults(&c);
		c.retention = 1;
		assert_int_equal(config_load(&c, p, 1, why, sizeof(why)), 0);
		assert_int_equal(c.retention, cases[i].s);
		drop_conf(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_missing),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_retention_units),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
