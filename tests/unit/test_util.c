/* lib/util.c: number, size and name parsing; file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/mman.h>

#include "t.h"
#include "util.h"

TEST(parse_u64_takes_whole_decimal_numbers_in_range)
{
	struct err e = { 0 };
	uint64_t v = 7;

	CHECK_INT(parse_u64("0", 0, 10, &v, &e), 0);
	CHECK_INT(v, 0);
	CHECK_INT(parse_u64("10", 0, 10, &v, &e), 0);
	CHECK_INT(v, 10);
	CHECK_INT(parse_u64("007", 0, 10, &v, &e), 0);
	CHECK_INT(v, 7);
	CHECK_INT(parse_u64("18446744073709551615", 0, UINT64_MAX, &v, &e), 0);
	CHECK(v == UINT64_MAX);

	v = 99;
	CHECK_INT(parse_u64("18446744073709551616", 0, UINT64_MAX, &v, &e), -ERANGE);
	CHECK(strstr(e.msg, "too large") != NULL);
	CHECK_INT(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v, &e), -ERANGE);
	CHECK_INT(parse_u64("11", 0, 10, &v, &e), -ERANGE);
	CHECK(strstr(e.msg, "'11' is out of range 0..10") != NULL);
	CHECK_INT(parse_u64("4", 5, 10, &v, &e), -ERANGE);
	CHECK_INT(parse_u64("", 0, 10, &v, &e), -EINVAL);
	CHECK_INT(parse_u64("-1", 0, 10, &v, &e), -EINVAL);
	CHECK_INT(parse_u64("+1", 0, 10, &v, &e), -EINVAL);
	CHECK_INT(parse_u64(" 1", 0, 10, &v, &e), -EINVAL);
	CHECK_INT(parse_u64("1 ", 0, 10, &v, &e), -EINVAL);
	CHECK_INT(parse_u64("0x10", 0, 100, &v, &e), -EINVAL);
	CHECK_INT(parse_u64("1e3", 0, 10000, &v, &e), -EINVAL);
	CHECK(strstr(e.msg, "'1e3' is not a number") != NULL);
	CHECK_INT(v, 99);	/* untouched on failure */
	CHECK_INT(parse_u64("5", 0, 10, &v, NULL), 0);	/* NULL err is fine */
	CHECK_INT(parse_u64("x", 0, 10, &v, NULL), -EINVAL);
}

TEST(parse_size_takes_binary_suffixes)
{
	struct err e = { 0 };
	uint64_t v = 0;

	CHECK_INT(parse_size("4096", &v, &e), 0);
	CHECK_INT(v, 4096);
	CHECK_INT(parse_size("0", &v, &e), 0);
	CHECK_INT(v, 0);
	CHECK_INT(parse_size("512k", &v, &e), 0);
	CHECK_INT(v, 512 << 10);
	CHECK_INT(parse_size("512K", &v, &e), 0);
	CHECK_INT(v, 512 << 10);
	CHECK_INT(parse_size("64m", &v, &e), 0);
	CHECK_INT(v, 64ull << 20);
	CHECK_INT(parse_size("1G", &v, &e), 0);
	CHECK_INT(v, 1ull << 30);
	CHECK_INT(parse_size("2t", &v, &e), 0);
	CHECK_INT(v, 2ull << 40);
	CHECK_INT(parse_size("16777215T", &v, &e), 0);
	CHECK(v == 16777215ull << 40);

	CHECK_INT(parse_size("16777216T", &v, &e), -EINVAL);	/* 2^64 */
	CHECK_INT(parse_size("", &v, &e), -EINVAL);
	CHECK_INT(parse_size("k", &v, &e), -EINVAL);
	CHECK_INT(parse_size("1kb", &v, &e), -EINVAL);
	CHECK_INT(parse_size("1x", &v, &e), -EINVAL);
	CHECK_INT(parse_size("-1m", &v, &e), -EINVAL);
	CHECK_INT(parse_size("1.5g", &v, &e), -EINVAL);
	CHECK_INT(parse_size(" 1m", &v, &e), -EINVAL);
	CHECK_INT(parse_size("1 m", &v, &e), -EINVAL);
	CHECK_INT(parse_size("1mm", &v, &e), -EINVAL);
	CHECK(strstr(e.msg, "bad size '1mm'") != NULL);
	CHECK_INT(parse_size("123456789012345678901234567890123", &v, &e), -EINVAL);
}

TEST(valid_hostname_follows_rfc1123)
{
	static const char *const good[] = {
		"a", "localhost", "web-1", "a.b.c", "1host", "123", "A-Z.example",
		"xn--bcher-kva.example",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk",	/* 63 */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",	/* 64 */
	};
	static const char *const bad[] = {
		"", ".", "a.", ".a", "a..b", "-a", "a-", "a.-b", "a-.b", "a_b", "a b",
		"a/b", "a\nb", "h\xc3\xa9", "host:1",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",	/* 64 */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",	/* 65 */
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!valid_hostname(good[i])) {
			printf("#   rejected '%s'\n", good[i]);
			CHECK(0);
		}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (valid_hostname(bad[i])) {
			printf("#   accepted '%s'\n", bad[i]);
			CHECK(0);
		}
}

TEST(valid_name_keeps_paths_and_options_out)
{
	CHECK(valid_name("web", 16));
	CHECK(valid_name("a", 1));
	CHECK(valid_name("web_1.a-b", 16));
	CHECK(valid_name("a..b", 16));
	CHECK(valid_name("0123456789abcdef", 16));
	CHECK(!valid_name("0123456789abcdefg", 16));
	CHECK(!valid_name("", 16));
	CHECK(!valid_name(".", 16));
	CHECK(!valid_name("..", 16));
	CHECK(!valid_name(".hidden", 16));
	CHECK(!valid_name("-rf", 16));
	CHECK(!valid_name("a/b", 16));
	CHECK(!valid_name("../etc", 16));
	CHECK(!valid_name("a b", 16));
	CHECK(!valid_name("a:b", 16));
	CHECK(!valid_name("a\nb", 16));
	CHECK(!valid_name("caf\xc3\xa9", 16));
	CHECK(!valid_name("a", 0));
}

static char *tmpfile_with(size_t n)
{
	static char path[64];
	strcpy(path, "/tmp/test_util.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	char *buf = malloc(n + 1);
	memset(buf, 'x', n);
	int r = write_all(fd, buf, n);
	free(buf);
	close(fd);
	return r < 0 ? NULL : path;
}

TEST(read_file_enforces_max_exactly)
{
	static const size_t sizes[] = { 0, 1, 100, 4095, 4096, 4097, 10000 };
	struct err e = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		char *path = tmpfile_with(n), *buf = NULL;
		size_t len = 12345;
		CHECK(path != NULL);
		if (!path)
			continue;
		/* max == size: fits; max == size - 1: too large. */
		CHECK_INT(read_file(path, n, &buf, &len, &e), 0);
		CHECK_INT(len, n);
		CHECK(buf && buf[n] == 0 && strspn(buf, "x") == n);
		free(buf);
		if (n > 0) {
			buf = NULL;
			CHECK_INT(read_file(path, n - 1, &buf, &len, &e), -EFBIG);
			CHECK(buf == NULL);
			CHECK(strstr(e.msg, "larger than") != NULL);
		}
		unlink(path);
	}
	char *buf;
	CHECK_INT(read_file("/nonexistent/x", 10, &buf, NULL, &e), -ENOENT);
	CHECK(strstr(e.msg, "/nonexistent/x: No such file or directory") != NULL);
}

TEST(write_str_writes_and_reports)
{
	struct err e = { 0 };
	char *path = tmpfile_with(0), *buf = NULL;
	CHECK(path != NULL);
	if (!path)
		return;
	CHECK_INT(write_str(path, "hello", &e), 0);
	CHECK_INT(read_file(path, 100, &buf, NULL, &e), 0);
	CHECK_STR(buf, "hello");
	free(buf);
	unlink(path);
	CHECK_INT(write_str("/nonexistent/x", "1", &e), -ENOENT);
	CHECK(strstr(e.msg, "open /nonexistent/x") != NULL);
}

TEST(err_set_returns_negative_code_and_formats)
{
	struct err e = { 0 };
	CHECK_INT(err_set(&e, EINVAL, "bad %s %d", "thing", 3), -EINVAL);
	CHECK_INT(e.code, EINVAL);
	CHECK_STR(e.msg, "bad thing 3");
	CHECK_INT(err_set(&e, -ENOENT, "x"), -ENOENT);	/* either sign */
	CHECK_INT(e.code, ENOENT);
	CHECK_INT(err_sys(&e, EEXIST, "veth %s", "cr-1a2b"), -EEXIST);
	CHECK_STR(e.msg, "veth cr-1a2b: File exists");
	CHECK_INT(err_set(NULL, EPERM, "nobody listens"), -EPERM);
}

/* mem_populate makes the pages of its range, rounded out to pages, and
 * no others (mincore tells which are resident), and keeps errno */
TEST(mem_populate_makes_the_pages_of_the_range)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char in[8];
	char *p = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK(mincore(p, 8 * pg, in) == 0);
	for (int i = 0; i < 8; i++)
		CHECK((in[i] & 1) == 0);
	errno = 1234;
	mem_populate(p + pg + 100, 2 * pg);	/* pages 1, 2 and 3 */
	CHECK(errno == 1234);
	CHECK(mincore(p, 8 * pg, in) == 0);
	for (int i = 0; i < 8; i++)
		CHECK((in[i] & 1) == (i >= 1 && i <= 3));
	munmap(p, 8 * pg);
}

/* The bookkeeping: nothing is sent below 1 MiB, and then everything up
 * to end; the kernel's writeback itself is what make bench measures. */
TEST(write_behind_sends_whole_mebibytes)
{
	char path[] = "/tmp/test_util.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	CHECK(ftruncate(fd, 3 << 20) == 0);
	uint64_t done = 0;
	write_behind(fd, &done, (1 << 20) - 1);
	CHECK_INT(done, 0);
	write_behind(fd, &done, (1 << 20) + 5);
	CHECK_INT(done, (1 << 20) + 5);
	write_behind(fd, &done, (2 << 20));
	CHECK_INT(done, (1 << 20) + 5);
	write_behind(fd, &done, (3 << 20));
	CHECK_INT(done, 3 << 20);
	close(fd);
}

int main(void)
{
	RUN(parse_u64_takes_whole_decimal_numbers_in_range);
	RUN(parse_size_takes_binary_suffixes);
	RUN(valid_hostname_follows_rfc1123);
	RUN(valid_name_keeps_paths_and_options_out);
	RUN(read_file_enforces_max_exactly);
	RUN(write_str_writes_and_reports);
	RUN(err_set_returns_negative_code_and_formats);
	RUN(mem_populate_makes_the_pages_of_the_range);
	RUN(write_behind_sends_whole_mebibytes);
	DONE();
}
