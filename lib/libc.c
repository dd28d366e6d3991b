/* lib/libc.c: smaller stand-ins for parts of musl corral uses in a simple
 * way. strtol and friends: musl's go through its scanf number scanner.
 * open: musl's follows every O_CLOEXEC open with an fcntl(F_SETFD), for
 * kernels before 2.6.23; corral opens every fd O_CLOEXEC. setuid, setgid
 * and setgroups: musl's run the call on every thread (__synccall), which
 * brings its semaphores and rwlocks along (2.5 KiB); corral starts no
 * thread. strstr: musl's two-way search (1.2 KiB); corral searches short
 * strings. statfs, fstatfs, fchmodat (no flags) and utimensat: the system
 * calls, without musl's conversions and fallbacks for old kernels.
 * clock_gettime: the system call, not the vDSO: finding and first running
 * the vDSO's code faults in three pages (~40 us on a VM), for a clock
 * corral reads a few times per process. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>

_Static_assert(sizeof(long) == sizeof(long long), "LP64");

/* Digits of s in base (0: C prefixes), value modulo 2^64; *ovf when it did
 * not fit. *end after the last digit, or s when there is none. */
static unsigned long long scan(const char *s, char **end, int base, int *neg, int *ovf)
{
	const char *p = s;
	unsigned long long v = 0;
	*neg = *ovf = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+')
		*neg = *p++ == '-';
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 32) == 'x' && isxdigit((unsigned char)p[2])) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = *p == '0' ? 8 : 10;
	}
	const char *d0 = p;
	for (;; p++) {
		int c = (unsigned char)*p, d = c - '0';
		if (d > 9)
			d = (c | 32) - 'a' + 10;
		if (d < 0 || (c > '9' && (c | 32) < 'a') || d >= base)
			break;
		if (v > (ULLONG_MAX - d) / base)
			*ovf = 1;
		v = v * base + d;
	}
	if (end)
		*end = (char *)(p == d0 ? s : p);
	return v;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
	int neg, ovf;
	unsigned long long v = scan(s, end, base, &neg, &ovf);
	if (ovf) {
		errno = ERANGE;
		return ULLONG_MAX;
	}
	return neg ? -v : v;
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
	int neg, ovf;
	unsigned long long v = scan(s, end, base, &neg, &ovf);
	if (ovf || v > (unsigned long long)LLONG_MAX + neg) {
		errno = ERANGE;
		return neg ? LLONG_MIN : LLONG_MAX;
	}
	return neg ? (long long)-v : (long long)v;
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	return strtoull(s, end, base);
}

long strtol(const char *restrict s, char **restrict end, int base)
{
	return strtoll(s, end, base);
}

/* qsort as a Shell sort (gaps 3h+1): corral sorts at most a few thousand
 * entries; musl's smoothsort is five times the size. */
void qsort(void *base, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
	char *b = base;
	size_t h = 1;
	while (h < n / 3)
		h = 3 * h + 1;
	for (; h; h /= 3)
		for (size_t i = h; i < n; i++)
			for (size_t j = i; j >= h && cmp(b + (j - h) * sz, b + j * sz) > 0; j -= h)
				for (size_t k = 0; k < sz; k++) {
					char t = b[j * sz + k];
					b[j * sz + k] = b[(j - h) * sz + k];
					b[(j - h) * sz + k] = t;
				}
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return (int)syscall(SYS_open, path, flags | O_LARGEFILE, mode);
}

int setuid(uid_t uid)
{
	return (int)syscall(SYS_setuid, uid);
}

int setgid(gid_t gid)
{
	return (int)syscall(SYS_setgid, gid);
}

int setgroups(size_t n, const gid_t *list)
{
	return (int)syscall(SYS_setgroups, n, list);
}

char *strstr(const char *h, const char *n)
{
	size_t k = strlen(n);
	for (; *h; h++)
		if (!strncmp(h, n, k))
			return (char *)h;
	return *n ? NULL : (char *)h;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	return (int)syscall(SYS_clock_gettime, clk, ts);
}

int statfs(const char *path, struct statfs *buf)
{
	return (int)syscall(SYS_statfs, path, buf);
}

int fstatfs(int fd, struct statfs *buf)
{
	return (int)syscall(SYS_fstatfs, fd, buf);
}

int fchmodat(int fd, const char *path, mode_t mode, int flag)
{
	if (flag) {	/* AT_SYMLINK_NOFOLLOW: corral never asks for it */
		errno = EOPNOTSUPP;
		return -1;
	}
	return (int)syscall(SYS_fchmodat, fd, path, mode);
}

int utimensat(int fd, const char *path, const struct timespec times[2], int flag)
{
	return (int)syscall(SYS_utimensat, fd, path, times, flag);
}
