/* lib/libc.c: the stand-ins behave as C (and Linux) says. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "t.h"

TEST(strtol_family)
{
	char *end;
	CHECK_INT(strtol("  -42x", &end, 10), -42);
	CHECK_STR(end, "x");
	CHECK_INT(strtol("+7", NULL, 10), 7);
	CHECK_INT(strtoul("0x1f", &end, 16), 31);
	CHECK_INT(strtoull("ff", &end, 16), 255);
	CHECK_INT(strtoull("0x", &end, 16), 0);
	CHECK_STR(end, "x");
	CHECK_INT(strtol("010", NULL, 0), 8);
	CHECK_INT(strtol("0x10", NULL, 0), 16);
	CHECK_INT(strtol("19", &end, 8), 1);
	CHECK_STR(end, "9");
	CHECK_INT(strtol("abc", &end, 10), 0);
	CHECK_STR(end, "abc");
	CHECK_INT(strtol("- 1", &end, 10), 0);
	CHECK_STR(end, "- 1");
	CHECK(strtoull("18446744073709551615", NULL, 10) == ULLONG_MAX);
	errno = 0;
	CHECK(strtoull("18446744073709551616", &end, 10) == ULLONG_MAX);
	CHECK_INT(errno, ERANGE);
	CHECK_STR(end, "");
	errno = 0;
	CHECK(strtoll("9223372036854775807", NULL, 10) == LLONG_MAX);
	CHECK(strtoll("-9223372036854775808", NULL, 10) == LLONG_MIN);
	CHECK_INT(errno, 0);
	CHECK(strtoll("9223372036854775808", NULL, 10) == LLONG_MAX);
	CHECK_INT(errno, ERANGE);
	CHECK(strtol("-9223372036854775809", NULL, 10) == LONG_MIN);
	CHECK(strtoul("-1", NULL, 10) == ULONG_MAX);
	CHECK_INT(strtol("Zz", NULL, 36), 35 * 36 + 35);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

TEST(qsort_sorts)
{
	static int v[3001];
	unsigned r = 1;
	for (int n = 0; n <= 3001; n += n < 20 ? 1 : 997) {
		for (int i = 0; i < n; i++)
			v[i] = (int)((r = r * 1103515245 + 12345) >> 16) % 100;
		qsort(v, n, sizeof(v[0]), cmp_int);
		int ok = 1;
		for (int i = 1; i < n; i++)
			ok &= v[i - 1] <= v[i];
		CHECK(ok);
	}
}

/* ours leaves O_CLOEXEC to the kernel: the flag must still hold, and the
 * mode of O_CREAT must reach it */
TEST(open_keeps_cloexec_and_mode)
{
	char path[] = "/tmp/corral-test-open-XXXXXX";
	int t = mkstemp(path);
	CHECK(t >= 0);
	close(t);
	unlink(path);
	mode_t old = umask(0);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	umask(old);
	CHECK(fd >= 0);
	CHECK_INT(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0640);
	close(fd);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_INT(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	unlink(path);
	errno = 0;
	CHECK_INT(open(path, O_RDONLY | O_CLOEXEC), -1);
	CHECK_INT(errno, ENOENT);
}

TEST(strstr_finds_the_first)
{
	const char *h = "manifest.v1+prettyjws";
	CHECK(strstr(h, "manifest.v1") == h);
	CHECK(strstr(h, "v1") == h + 9);
	CHECK(strstr(h, "jws") == h + 18);
	CHECK(strstr(h, "") == h);
	CHECK(strstr("", "") != NULL);
	CHECK(strstr(h, "jwsx") == NULL);
	CHECK(strstr("", "a") == NULL);
	CHECK(strstr("aab", "ab") != NULL && !strcmp(strstr("aab", "ab"), "ab"));
	CHECK(strstr(" memory pids", "pids") != NULL);
}

/* statfs and fstatfs: the kernel's struct as is */
TEST(statfs_and_fchmodat_and_utimensat)
{
	struct statfs a, b;
	CHECK(statfs("/proc", &a) == 0);
	CHECK_INT(a.f_type, 0x9fa0);	/* PROC_SUPER_MAGIC */
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0 && fstatfs(fd, &b) == 0 && b.f_type == a.f_type);
	close(fd);
	errno = 0;
	CHECK_INT(statfs("/no/such", &a), -1);
	CHECK_INT(errno, ENOENT);

	char dir[] = "/tmp/corral-test-libc-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int f = openat(d, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(d >= 0 && f >= 0);
	close(f);
	CHECK(fchmodat(d, "f", 0751, 0) == 0);
	struct stat st;
	CHECK(fstatat(d, "f", &st, 0) == 0 && (st.st_mode & 07777) == 0751);
	errno = 0;
	CHECK_INT(fchmodat(d, "f", 0600, AT_SYMLINK_NOFOLLOW), -1);
	CHECK_INT(errno, EOPNOTSUPP);
	struct timespec ts[2] = { { 1000, 5 }, { 2000, 7 } };
	CHECK(symlinkat("f", d, "l") == 0);
	CHECK(utimensat(d, "l", ts, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(fstatat(d, "l", &st, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(st.st_mtim.tv_sec == 2000 && st.st_mtim.tv_nsec == 7);
	CHECK(fstatat(d, "f", &st, 0) == 0 && st.st_mtim.tv_sec != 2000);
	unlinkat(d, "l", 0);
	unlinkat(d, "f", 0);
	close(d);
	CHECK(rmdir(dir) == 0);
}

/* clock_gettime: the system call, agreeing with musl's time(), which
 * still reads the vDSO; a clock that does not run fails too */
TEST(clock_gettime_is_the_kernels)
{
	struct timespec a, b, bad;
	CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0);
	time_t t = time(NULL);
	CHECK(a.tv_sec >= t - 1 && a.tv_sec <= t + 1);
	CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
	usleep(2000);
	CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
	long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	CHECK(ns >= 2000000 && ns < 2000000000LL);
	CHECK_INT(clock_gettime((clockid_t)12345, &bad), -1);
	CHECK_INT(errno, EINVAL);
}

int main(void)
{
	RUN(strtol_family);
	RUN(qsort_sorts);
	RUN(open_keeps_cloexec_and_mode);
	RUN(strstr_finds_the_first);
	RUN(statfs_and_fchmodat_and_utimensat);
	RUN(clock_gettime_is_the_kernels);
	DONE();
}
