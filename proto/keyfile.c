#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/be.h"
#include "proto/err.h"
#include "proto/keyfile.h"

/* write(2) until done or a real error. */
static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;	/* shrank under us */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies the folder part of PATH ("." when there is none) into dir. */
static int
dir_of(char *dir, size_t cap, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		if (cap < 2)
			return ATT_EINVAL;
		strcpy(dir, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n + 1 > cap)
		return ATT_EINVAL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int
keyfile_mkdir(const char *path)
{
	char buf[PATH_MAX];
	size_t len, i;
	struct stat st;

	if (path == NULL || (len = strlen(path)) == 0 || len >= sizeof(buf))
		return ATT_EINVAL;
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	/* Each missing ancestor, then the folder itself, all 0700. */
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return ATT_EIO;
		if (i < len)
			buf[i] = '/';
	}
	if (stat(path, &st) != 0)
		return ATT_EIO;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return ATT_EIO;
	}
	if ((st.st_mode & 077) != 0 && chmod(path, 0700) != 0)
		return ATT_EIO;
	return 0;
}

/*
 * Order matters for crash safety: the data must be on disk (fsync of the
 * temporary file) before the rename makes it visible under the real name,
 * and the folder must be fsync'ed for the rename itself to be durable.
 * The temporary name is unique (mkstemp) so two writers cannot collide.
 */
int
keyfile_write(const char *path, const uint8_t *data, size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd, dfd, saved;

	if (path == NULL || (data == NULL && len != 0) || len > KEYFILE_MAX)
		return ATT_EINVAL;
	if (dir_of(dir, sizeof(dir), path) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return ATT_EINVAL;
	if ((fd = mkstemp(tmp)) < 0)
		return ATT_EIO;
	if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0)
		goto bad;
	if (close(fd) != 0) {
		fd = -1;
		goto bad;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto bad;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ATT_EIO;
	if (fsync(dfd) != 0) {
		saved = errno;
		close(dfd);
		errno = saved;
		return ATT_EIO;
	}
	close(dfd);
	return 0;
bad:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return ATT_EIO;
}

/* Opens PATH for reading after checking it is a private regular file. */
static int
open_private(const char *path, size_t *size)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? ATT_ENOTFOUND : ATT_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ATT_EIO;
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return ATT_EPERM;
	}
	*size = (size_t)st.st_size;
	return fd;
}

int
keyfile_read(const char *path, uint8_t **out, size_t *len, size_t max)
{
	size_t size;
	uint8_t *buf;
	int fd;

	if (path == NULL || out == NULL || len == NULL || max > KEYFILE_MAX)
		return ATT_EINVAL;
	*out = NULL;
	*len = 0;
	if ((fd = open_private(path, &size)) < 0)
		return fd;
	if (size > max) {
		close(fd);
		return ATT_ETOOBIG;
	}
	if (size == 0) {
		close(fd);
		return 0;
	}
	if ((buf = sodium_malloc(size)) == NULL) {
		close(fd);
		return ATT_ENOMEM;
	}
	if (read_all(fd, buf, size) != 0) {
		close(fd);
		sodium_free(buf);
		return ATT_EIO;
	}
	close(fd);
	*out = buf;
	*len = size;
	return 0;
}

int
keyfile_read_exact(const char *path, uint8_t *out, size_t len)
{
	size_t size;
	int fd, rc = 0;

	if (path == NULL || (out == NULL && len != 0))
		return ATT_EINVAL;
	if ((fd = open_private(path, &size)) < 0) {
		sodium_memzero(out, len);
		return fd;
	}
	if (size != len)
		rc = ATT_ECORRUPT;
	else if (read_all(fd, out, len) != 0)
		rc = ATT_EIO;
	close(fd);
	if (rc != 0)
		sodium_memzero(out, len);
	return rc;
}

int
keyfile_destroy(const char *path)
{
	uint8_t zero[4096] = { 0 };
	struct stat st;
	size_t left;
	int fd;

	if (path == NULL)
		return ATT_EINVAL;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? ATT_ENOTFOUND : ATT_EIO;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		for (left = (size_t)st.st_size; left > 0;) {
			size_t n = left < sizeof(zero) ? left : sizeof(zero);

			if (write_all(fd, zero, n) != 0)
				break;
			left -= n;
		}
		(void)fsync(fd);
	}
	close(fd);
	return unlink(path) == 0 ? 0 : ATT_EIO;
}

void *
keyfile_alloc(size_t n)
{
	return sodium_malloc(n);
}

void
keyfile_free(void *p)
{
	sodium_free(p);
}

/* ---- passphrase wrapping ---- */

int
keyfile_kek(uint8_t kek[32], const char *pass, size_t len, const uint8_t salt[KEYFILE_SALTBYTES],
    uint64_t ops, uint64_t mem)
{
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return ATT_ECORRUPT;
	if (crypto_pwhash(kek, 32, pass, len, salt, ops, (size_t)mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return ATT_ENOMEM;
	return 0;
}

/* Associated data: the header and the file's name, so a wrapped file cannot be renamed. */
static size_t
wrap_ad(uint8_t *ad, size_t cap, const uint8_t *hdr, const char *name)
{
	size_t nl = strlen(name);

	if (nl > cap - KEYFILE_WRAP_HDR)
		nl = cap - KEYFILE_WRAP_HDR;
	memcpy(ad, hdr, KEYFILE_WRAP_HDR);
	memcpy(ad + KEYFILE_WRAP_HDR, name, nl);
	return KEYFILE_WRAP_HDR + nl;
}

void
keyfile_wrap(uint8_t *out, const uint8_t *plain, size_t n, const uint8_t kek[32],
    const uint8_t salt[KEYFILE_SALTBYTES], uint64_t ops, uint64_t mem, const char *name)
{
	uint8_t ad[KEYFILE_WRAP_HDR + 64];
	size_t adl;

	memcpy(out, KEYFILE_WRAP_MAGIC, 4);
	out[4] = KEYFILE_WRAP_VERSION;
	be_put64(out + 5, ops);
	be_put64(out + 13, mem);
	memcpy(out + 21, salt, KEYFILE_SALTBYTES);
	randombytes_buf(out + 37, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	adl = wrap_ad(ad, sizeof(ad), out, name);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KEYFILE_WRAP_HDR, NULL, plain, n, ad, adl,
	    NULL, out + 37, kek);
}

int
keyfile_is_wrapped(const uint8_t *in, size_t len)
{
	return len > KEYFILE_WRAP_HDR + crypto_aead_xchacha20poly1305_ietf_ABYTES &&
	    memcmp(in, KEYFILE_WRAP_MAGIC, 4) == 0 && in[4] == KEYFILE_WRAP_VERSION;
}

int
keyfile_wrap_params(const uint8_t *in, size_t len, uint8_t salt[KEYFILE_SALTBYTES],
    uint64_t *ops, uint64_t *mem)
{
	if (!keyfile_is_wrapped(in, len))
		return ATT_ECORRUPT;
	*ops = be_get64(in + 5);
	*mem = be_get64(in + 13);
	memcpy(salt, in + 21, KEYFILE_SALTBYTES);
	return 0;
}

int
keyfile_unwrap(uint8_t *plain, size_t n, const uint8_t *in, size_t len, const uint8_t kek[32],
    const char *name)
{
	uint8_t ad[KEYFILE_WRAP_HDR + 64];
	size_t adl;

	if (!keyfile_is_wrapped(in, len) || len != KEYFILE_WRAP_LEN(n))
		return ATT_ECORRUPT;
	adl = wrap_ad(ad, sizeof(ad), in, name);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, in + KEYFILE_WRAP_HDR,
	    len - KEYFILE_WRAP_HDR, ad, adl, in + 37, kek) != 0) {
		sodium_memzero(plain, n);
		return ATT_EAUTH;
	}
	return 0;
}
