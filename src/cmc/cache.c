/* The cache directory, written atomically (see cache.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmc/cache.h"
#include "cmc/limits.h"
#include "core/crypto.h"
#include "core/banned.h"

static enum mcx_err mkdir_one(const char *path, char *eb, size_t el)
{
	struct stat st;

	if (!mkdir(path, 0700))
		return MCX_OK;
	if (errno == EEXIST && !stat(path, &st) && S_ISDIR(st.st_mode))
		return MCX_OK;
	snprintf(eb, el, "cannot create the cache directory %s: %s", path, strerror(errno));
	return MCX_EIO;
}

enum mcx_err cmc_cache_init(const char *dir, char *eb, size_t el)
{
	char p[CMC_MAX_URL];
	enum mcx_err err;

	if ((size_t)snprintf(p, sizeof(p), "%s/docs", dir) >= sizeof(p)) {
		snprintf(eb, el, "cache path too long");
		return MCX_ELIMIT;
	}
	err = mkdir_one(dir, eb, el);
	if (!err)
		err = mkdir_one(p, eb, el);
	return err;
}

static enum mcx_err write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return MCX_EIO;
		p += w;
		n -= (size_t)w;
	}
	return MCX_OK;
}

enum mcx_err cmc_write_atomic(const char *dir, const char *name, const void *p, size_t n,
			      mode_t mode, char *eb, size_t el)
{
	char tmp[CMC_MAX_URL], dst[CMC_MAX_URL];
	int fd, dfd, saved;

	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, name, (long)getpid()) >=
		sizeof(tmp)) {
		snprintf(eb, el, "cache path too long");
		return MCX_ELIMIT;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(eb, el, "cannot write %s: %s", tmp, strerror(errno));
		return MCX_EIO;
	}
	if (write_all(fd, p, n) || fsync(fd)) {
		saved = errno;
		close(fd);
		unlink(tmp);
		snprintf(eb, el, "cannot write %s: %s", tmp, strerror(saved));
		return MCX_EIO;
	}
	if (close(fd) || rename(tmp, dst)) {
		saved = errno;
		unlink(tmp);
		snprintf(eb, el, "cannot replace %s: %s", dst, strerror(saved));
		return MCX_EIO;
	}
	/* the rename itself is durable only once the directory is */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd)) {
		snprintf(eb, el, "cannot sync the directory %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return MCX_EIO;
	}
	close(dfd);
	return MCX_OK;
}

enum mcx_err cmc_read_file(const char *dir, const char *name, struct mcx_buf *out, char *eb,
			   size_t el)
{
	char path[CMC_MAX_URL], chunk[16384];
	enum mcx_err err = MCX_OK;
	ssize_t r;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		snprintf(eb, el, "cache path too long");
		return MCX_ELIMIT;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(eb, el, "cannot read %s: %s", path, strerror(errno));
		return errno == ENOENT ? MCX_ENOENT : MCX_EIO;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(eb, el, "cannot read %s: %s", path, strerror(errno));
			err = MCX_EIO;
			break;
		}
		err = buf_add(out, chunk, (size_t)r);
		if (err) {
			snprintf(eb, el, "%s is larger than %zu bytes", path, out->max);
			break;
		}
	}
	close(fd);
	return err;
}

void cmc_cache_name(const char *sel, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0, cap = outlen < CMC_CACHE_NAME_MAX + 1 ? outlen : CMC_CACHE_NAME_MAX + 1;
	const char *s;

	for (s = sel; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || (c && strchr("._~@+=,-", c));

		if (o + 3 >= cap)
			break;
		if (plain && !(o == 0 && c == '.')) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (*s) {
		/* too long: keep a prefix and make it unique with a hash */
		char h[65];

		crypto_hash_hex(MCX_HASH_SHA256, sel, strlen(sel), h);
		o = cap > 42 ? cap - 42 : 0;
		snprintf(out + o, outlen - o, "#%.40s", h);
		return;
	}
	out[o] = '\0';
}

static enum mcx_err docs_dir(const char *dir, char *out, size_t outlen, char *eb, size_t el)
{
	if ((size_t)snprintf(out, outlen, "%s/docs", dir) >= outlen) {
		snprintf(eb, el, "cache path too long");
		return MCX_ELIMIT;
	}
	return MCX_OK;
}

enum mcx_err cmc_cache_put(const char *dir, const char *sel, const void *p, size_t n, char *eb,
			   size_t el)
{
	char dd[CMC_MAX_URL], name[CMC_CACHE_NAME_MAX + 1];
	enum mcx_err err = docs_dir(dir, dd, sizeof(dd), eb, el);

	if (err)
		return err;
	cmc_cache_name(sel, name, sizeof(name));
	return cmc_write_atomic(dd, name, p, n, 0600, eb, el);
}

enum mcx_err cmc_cache_get(const char *dir, const char *sel, struct mcx_buf *out, char *eb,
			   size_t el)
{
	char dd[CMC_MAX_URL], name[CMC_CACHE_NAME_MAX + 1];
	enum mcx_err err = docs_dir(dir, dd, sizeof(dd), eb, el);

	if (err)
		return err;
	cmc_cache_name(sel, name, sizeof(name));
	return cmc_read_file(dd, name, out, eb, el);
}

void cmc_cache_remove(const char *dir, const char *sel)
{
	char path[CMC_MAX_URL], name[CMC_CACHE_NAME_MAX + 1];

	cmc_cache_name(sel, name, sizeof(name));
	if ((size_t)snprintf(path, sizeof(path), "%s/docs/%s", dir, name) < sizeof(path))
		unlink(path);
}
