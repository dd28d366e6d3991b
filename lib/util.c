#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <zlib.h>

#include "util.h"

int err_set(struct err *e, int code, const char *fmt, ...)
{
	if (code < 0)
		code = -code;
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		e->code = code;
	}
	return -code;
}

int err_sys(struct err *e, int code, const char *fmt, ...)
{
	if (code < 0)
		code = -code;
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < sizeof(e->msg))
			snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(code));
		e->code = code;
	}
	return -code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	if (!e)
		return -EINVAL;
	char prefix[128], msg[sizeof(e->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(msg, e->msg, sizeof(msg));
	msg[sizeof(msg) - 1] = 0;
	size_t n = strlen(prefix);
	memcpy(e->msg, prefix, n);
	e->msg[n++] = ':';
	e->msg[n++] = ' ';
	/* n <= 129: the old message gets what is left, cut if need be. */
	memcpy(e->msg + n, msg, sizeof(e->msg) - n);
	e->msg[sizeof(e->msg) - 1] = 0;
	if (!e->code)
		e->code = EINVAL;
	return -e->code;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct err *e)
{
	uint64_t v = 0;
	const char *p = s;

	if (!*p)
		return err_set(e, EINVAL, "empty number");
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return err_set(e, EINVAL, "'%s' is not a number", s);
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return err_set(e, ERANGE, "'%s' is too large", s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return err_set(e, ERANGE, "'%s' is out of range %llu..%llu", s,
			       (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out, struct err *e)
{
	char num[32];
	size_t n = strlen(s);
	unsigned shift = 0;

	if (n == 0 || n >= sizeof(num))
		return err_set(e, EINVAL, "bad size '%s'", s);
	memcpy(num, s, n + 1);
	switch (num[n - 1] | 0x20) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	}
	if (shift)
		num[--n] = 0;
	uint64_t v;
	if (parse_u64(num, 0, UINT64_MAX >> shift, &v, NULL) < 0)
		return err_set(e, EINVAL, "bad size '%s' (want N, Nk, Nm, Ng or Nt)", s);
	*out = v << shift;
	return 0;
}

int valid_hostname(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c == '-' && label > 0)))
			return 0;
		if (++label > 63)
			return 0;
	}
	return s[n - 1] != '-' && s[n - 1] != '.';
}

int valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

const char *state_root(const char *root)
{
	if (root && *root)
		return root;
	const char *env = getenv("CORRAL_ROOT");
	return env && *env ? env : "/run/corral";
}

int read_file(const char *path, size_t max, char **out, size_t *len, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s", path);

	/* Room for one byte past max, to tell "exactly max" from "larger". */
	if (max > SIZE_MAX / 4)
		max = SIZE_MAX / 4;
	size_t cap = max < 4096 ? max + 1 : 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return err_set(e, ENOMEM, "%s: out of memory", path);
	}
	for (;;) {
		if (n > max) {
			free(buf);
			close(fd);
			return err_set(e, EFBIG, "%s: larger than %zu bytes", path, max);
		}
		if (n == cap) {
			cap = cap * 2 > max ? max + 1 : cap * 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return err_set(e, ENOMEM, "%s: out of memory", path);
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			free(buf);
			close(fd);
			return err_sys(e, saved, "read %s", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

DIR *opendir_at(int dfd, const char *name, int flags)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

static int remove_tree_at(int dfd, const char *name, int depth, int max_depth)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth > max_depth)
		return -ELOOP;
	DIR *d = opendir_at(dfd, name, O_NOFOLLOW);
	if (!d)
		return -errno;
	int fd = dirfd(d);
	fchmod(fd, 0700);	/* a read-only directory must still empty */
	struct dirent *de;
	int r = 0;
	while (!r && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = remove_tree_at(fd, de->d_name, depth + 1, max_depth);
	closedir(d);
	if (!r && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

int remove_tree(int dfd, const char *name, int max_depth)
{
	return remove_tree_at(dfd, name, 0, max_depth);
}

void write_behind(int fd, uint64_t *done, uint64_t end)
{
	if (end - *done < (1u << 20))
		return;
	sync_file_range(fd, (off_t)*done, (off_t)(end - *done), SYNC_FILE_RANGE_WRITE);
	*done = end;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int write_str(const char *path, const char *s, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open %s", path);
	int r = write_all(fd, s, strlen(s));
	close(fd);
	if (r < 0)
		return err_sys(e, -r, "write %s", path);
	return 0;
}

int inflate_raw(const void *z, size_t zlen, void *out, size_t len)
{
	z_stream s;
	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
		return -ENOMEM;
	s.next_in = (unsigned char *)(uintptr_t)z;
	s.avail_in = (uInt)zlen;
	s.next_out = out;
	s.avail_out = (uInt)len;
	int r = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	if (r == Z_MEM_ERROR)
		return -ENOMEM;
	return r == Z_STREAM_END && s.total_out == len ? 0 : -EIO;
}

void mem_populate(const void *p, size_t n)
{
	int saved = errno;
	uintptr_t pg = (uintptr_t)getpagesize();
	uintptr_t a = (uintptr_t)p & ~(pg - 1), b = ((uintptr_t)p + n + pg - 1) & ~(pg - 1);
	madvise((void *)a, b - a, 23 /* MADV_POPULATE_WRITE */);
	errno = saved;
}
