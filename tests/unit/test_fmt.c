/* lib/fmt.c: the printf family's conversions corral uses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "t.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-overflow"

static char *volatile null_s;

static char b[256];

#define F(want, ...) do { int _n = snprintf(b, sizeof(b), __VA_ARGS__); \
	CHECK_STR(b, want); CHECK_INT(_n, (long long)strlen(want)); } while (0)

TEST(integers)
{
	F("0 -1 42 -2147483648", "%d %d %i %d", 0, -1, 42, INT32_MIN);
	F("18446744073709551615 -9223372036854775808", "%llu %lld", (unsigned long long)UINT64_MAX, (long long)INT64_MIN);
	F("4294967295 123 77", "%u %zu %ld", 4294967295u, (size_t)123, 77L);
	F("ff FF 0a 0000beef 0xff 17", "%x %X %02x %08x %#x %o", 255, 255, 10, 0xbeef, 255, 15);
	F("[   42] [42   ] [00042] [  042] [+7] [ 7]", "[%5d] [%-5d] [%05d] [%5.3d] [%+d] [% d]", 42, 42, 42, 42, 7, 7);
	F("[-0042] [] [0]", "[%05d] [%.0d] [%.0d%d]", -42, 0, 0, 0 + 0);
	F("[  -42]", "[%*d]", 5, -42);
	F("[7  ]", "[%*d]", -3, 7);
	F("0x10", "%p", (void *)16);
}

TEST(strings_and_chars)
{
	F("abc|ab|   ab|ab   |x|%|(null)", "%s|%.2s|%5.2s|%-5s|%c|%%|%s", "abc", "abc", "abc", "ab", 'x', null_s);
	F("[abc]", "[%.*s]", 3, "abcdef");
	F("a\0", "a%s", "");
}

TEST(floats)
{
	F("0.500 1.5 2 3.142 0.000000", "%.3f %.1f %.0f %.3f %f", 0.5, 1.45 + 0.01, 1.6, 3.14159, 0.0);
	F("-1.25 10.0 99.9", "%.2f %.1f %.1f", -1.25, 9.96, 99.94);
	F("  1.0|1.0  |001.0", "%5.1f|%-5.1f|%05.1f", 1.0, 1.0, 1.0);
	F("123456789.123", "%.3f", 123456789.1234);
}

TEST(truncation_and_fprintf)
{
	char s[4];
	CHECK_INT(snprintf(s, sizeof(s), "%s-%d", "abcdef", 12), 9);
	CHECK_STR(s, "abc");
	CHECK_INT(snprintf(NULL, 0, "%d", 12345), 5);
	FILE *f = tmpfile();
	CHECK(f != NULL);
	CHECK_INT(fprintf(f, "x=%d %s\n", 3, "y"), 6);
	rewind(f);
	char l[16] = { 0 };
	CHECK(fgets(l, sizeof(l), f) != NULL);
	CHECK_STR(l, "x=3 y\n");
	fclose(f);
}

int main(void)
{
	RUN(integers);
	RUN(strings_and_chars);
	RUN(floats);
	RUN(truncation_and_fprintf);
	DONE();
}
