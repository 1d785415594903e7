#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/err.h"
#include "proto/keyfile.h"
#include "tests/unit/tutil.h"

static char *
join(const char *dir, const char *name)
{
	char *p = malloc(4096);

	assert_non_null(p);
	snprintf(p, 4096, "%s/%s", dir, name);
	return p;
}

/* Only regular entries not starting with '.' count; a leftover temp file would show. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_write_mode_and_read(void **state)
{
	char *dir = tutil_tmpdir("keyfile_write"), *keys = join(dir, "a/b/keys");
	char *path = join(keys, "dh.key");
	uint8_t key[32], *back = NULL, exact[32];
	size_t len = 0;
	struct stat st;

	(void)state;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(keyfile_mkdir(keys), 0);
	assert_int_equal(stat(keys, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(keyfile_write(path, key, sizeof(key)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(keyfile_read(path, &back, &len, 64), 0);
	assert_int_equal(len, 32);
	assert_memory_equal(back, key, 32);
	keyfile_free(back);
	assert_int_equal(keyfile_read_exact(path, exact, 32), 0);
	assert_memory_equal(exact, key, 32);
	/* Wrong size, too big, absent. */
	assert_int_equal(keyfile_read_exact(path, exact, 31), ATT_ECORRUPT);
	assert_int_equal(keyfile_read(path, &back, &len, 16), ATT_ETOOBIG);
	assert_null(back);
	free(path);
	path = join(keys, "nope.key");
	assert_int_equal(keyfile_read(path, &back, &len, 64), ATT_ENOTFOUND);
	assert_int_equal(count_entries(keys), 1);
	free(path), free(keys), free(dir);
}

static void
test_atomic_replace(void **state)
{
	char *dir = tutil_tmpdir("keyfile_replace"), *path = join(dir, "storage.key");
	uint8_t a[64], b[100], *back;
	size_t len;
	struct stat st1, st2;

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	assert_int_equal(keyfile_write(path, a, sizeof(a)), 0);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(keyfile_write(path, b, sizeof(b)), 0);
	assert_int_equal(stat(path, &st2), 0);
	/* A new inode took the name (rename), no temporary file is left. */
	assert_int_not_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st2.st_mode & 0777, 0600);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(keyfile_read(path, &back, &len, 1000), 0);
	assert_int_equal(len, sizeof(b));
	assert_memory_equal(back, b, sizeof(b));
	keyfile_free(back);
	/* Empty file. */
	assert_int_equal(keyfile_write(path, NULL, 0), 0);
	assert_int_equal(keyfile_read(path, &back, &len, 1000), 0);
	assert_null(back);
	assert_int_equal(len, 0);
	free(path), free(dir);
}

/* A reader racing a writer sees the old content or the new, never a mix. */
static void
test_readers_never_see_a_mix(void **state)
{
	char *dir = tutil_tmpdir("keyfile_race"), *path = join(dir, "storage.key");
	uint8_t a[300], b[700], *back;
	size_t len, k;
	pid_t pid;
	int i, status, seen_a = 0, seen_b = 0;

	(void)state;
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	assert_int_equal(keyfile_write(path, a, sizeof(a)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (i = 0; i < 60; i++)
			if (keyfile_write(path, i % 2 ? a : b, i % 2 ? sizeof(a) : sizeof(b)) != 0)
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < 3000; i++) {
		assert_int_equal(keyfile_read(path, &back, &len, 1000), 0);
		assert_true(len == sizeof(a) || len == sizeof(b));
		for (k = 0; k < len; k++)
			assert_int_equal(back[k], len == sizeof(a) ? 'a' : 'b');
		seen_a += len == sizeof(a);
		seen_b += len == sizeof(b);
		keyfile_free(back);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			break;
		}
	}
	if (pid != 0)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(seen_a > 0);
	assert_int_equal(count_entries(dir), 1);	/* no temporary file left */
	print_message("# %d reads saw the old content, %d the new\n", seen_a, seen_b);
	free(path), free(dir);
}

static void
test_refuses_open_permissions(void **state)
{
	char *dir = tutil_tmpdir("keyfile_perm"), *path = join(dir, "person.key");
	char *sub = join(dir, "loose");
	uint8_t key[32] = { 7 }, *back = NULL, exact[32];
	size_t len;
	struct stat st;

	(void)state;
	assert_int_equal(keyfile_write(path, key, sizeof(key)), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(keyfile_read(path, &back, &len, 64), ATT_EPERM);
	assert_int_equal(keyfile_read_exact(path, exact, 32), ATT_EPERM);
	/* A loose folder is tightened. */
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(keyfile_mkdir(sub), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* A file where a folder should be. */
	assert_int_equal(keyfile_mkdir(path), ATT_EIO);
	/* Destroy removes it. */
	assert_int_equal(keyfile_destroy(path), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(keyfile_destroy(path), ATT_ENOTFOUND);
	free(sub), free(path), free(dir);
}

static void
test_secure_alloc(void **state)
{
	uint8_t *p;

	(void)state;
	p = keyfile_alloc(64);
	assert_non_null(p);
	memset(p, 0x5a, 64);
	keyfile_free(p);
	keyfile_free(NULL);
}

/*
 * Issue 11, attack 8: the passphrase wrap used by every key file. Argon2id at
 * libsodium's MODERATE limits (failed before: interactive limits, and only
 * storage.key was wrapped); the name is bound, a wrong key or a flipped bit
 * fails.
 */
static void
test_wrap(void **state)
{
	uint8_t kek[32], other[32], salt[KEYFILE_SALTBYTES], secret[64], out[64];
	uint8_t w[KEYFILE_WRAP_LEN(64)], s2[KEYFILE_SALTBYTES];
	uint64_t ops, mem;
	size_t i;

	(void)state;
	assert_true(KEYFILE_OPSLIMIT == crypto_pwhash_OPSLIMIT_MODERATE);
	assert_true(KEYFILE_MEMLIMIT == crypto_pwhash_MEMLIMIT_MODERATE);
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(secret, sizeof secret);
	/* The smallest limits here: the test checks the format, not the cost. */
	assert_int_equal(keyfile_kek(kek, "pw", 2, salt, crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN), 0);
	assert_int_equal(keyfile_kek(other, "pX", 2, salt, crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN), 0);
	assert_int_equal(keyfile_kek(other, "pw", 2, salt, 0, 0), ATT_ECORRUPT);
	keyfile_wrap(w, secret, 64, kek, salt, crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN, "person.key");
	assert_true(keyfile_is_wrapped(w, sizeof w));
	assert_null(memmem(w, sizeof w, secret, 16));
	assert_int_equal(keyfile_wrap_params(w, sizeof w, s2, &ops, &mem), 0);
	assert_memory_equal(s2, salt, sizeof salt);
	assert_true(ops == crypto_pwhash_OPSLIMIT_MIN && mem == crypto_pwhash_MEMLIMIT_MIN);
	assert_int_equal(keyfile_unwrap(out, 64, w, sizeof w, kek, "person.key"), 0);
	assert_memory_equal(out, secret, 64);
	assert_int_equal(keyfile_unwrap(out, 64, w, sizeof w, other, "person.key"), ATT_EAUTH);
	assert_int_equal(keyfile_unwrap(out, 64, w, sizeof w, kek, "sign.key"), ATT_EAUTH);
	assert_int_equal(keyfile_unwrap(out, 32, w, sizeof w, kek, "person.key"), ATT_ECORRUPT);
	for (i = 0; i < sizeof w; i += 7) {
		w[i] ^= 1;
		assert_true(keyfile_unwrap(out, 64, w, sizeof w, kek, "person.key") < 0);
		w[i] ^= 1;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_write_mode_and_read),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_readers_never_see_a_mix),
		cmocka_unit_test(test_refuses_open_permissions),
		cmocka_unit_test(test_secure_alloc),
	};
	if (sodium_init() < 0)
		return 1;
	umask(022);
	return cmocka_run_group_tests_name("keyfile", tests, NULL, NULL);
}
