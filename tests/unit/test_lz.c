/* lib/lz.c: the packer and unpacker of built-in data. */
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "lz.h"

/* packs, checks the bound, unpacks and compares; returns the packed size */
static size_t round_trip(const unsigned char *in, size_t n)
{
	unsigned char *packed = malloc(LZ_BOUND(n)), *back = malloc(n + 1);
	size_t len = lz_pack(in, n, packed);
	CHECK(len > 0 && len <= LZ_BOUND(n));
	CHECK_INT(lz_unpack(packed, len, back, n), 0);
	CHECK(!memcmp(in, back, n));
	/* exactly n: one byte more or less is an error */
	CHECK_INT(lz_unpack(packed, len, back, n + 1), -1);
	if (n)
		CHECK_INT(lz_unpack(packed, len, back, n - 1), -1);
	free(packed);
	free(back);
	return len;
}

TEST(the_format_as_documented)
{
	/* "ab", then 4 bytes from 2 back (overlapping), then "c" */
	static const unsigned char in[] = { 0x01, 'a', 'b', 0x81, 0x02, 0x00, 0x00, 'c' };
	unsigned char out[7];
	CHECK_INT(lz_unpack(in, sizeof(in), out, sizeof(out)), 0);
	CHECK(!memcmp(out, "ababab" "c", 7));
	/* a copy from 1 back repeats the last byte */
	static const unsigned char run[] = { 0x00, 'x', 0x80, 0x01, 0x00 };
	CHECK_INT(lz_unpack(run, sizeof(run), out, 4), 0);
	CHECK(!memcmp(out, "xxxx", 4));
	CHECK_INT(lz_unpack(NULL, 0, out, 0), 0);
}

TEST(damaged_data_is_refused)
{
	unsigned char out[16];
	/* a copy from before the start, or from distance 0 */
	static const unsigned char early[] = { 0x00, 'a', 0x80, 0x02, 0x00 };
	CHECK_INT(lz_unpack(early, sizeof(early), out, 4), -1);
	static const unsigned char zero[] = { 0x00, 'a', 0x80, 0x00, 0x00 };
	CHECK_INT(lz_unpack(zero, sizeof(zero), out, 4), -1);
	/* literals or a copy cut short, or more than the room */
	static const unsigned char cut[] = { 0x03, 'a', 'b' };
	CHECK_INT(lz_unpack(cut, sizeof(cut), out, 4), -1);
	static const unsigned char cut2[] = { 0x00, 'a', 0x80, 0x01 };
	CHECK_INT(lz_unpack(cut2, sizeof(cut2), out, 4), -1);
	static const unsigned char big[] = { 0x00, 'a', 0xff, 0x01, 0x00 };
	CHECK_INT(lz_unpack(big, sizeof(big), out, sizeof(out)), -1);
}

TEST(round_trips_and_packs_what_repeats)
{
	enum { N = 8000 };	/* the packer is quadratic */
	unsigned char *b = malloc(N);

	CHECK_INT(round_trip((const unsigned char *)"x", 1), 2);
	/* all the same: copies of the longest length */
	memset(b, 7, N);
	CHECK(round_trip(b, N) < N / 40);
	/* noise: literals only, within the bound */
	srand(1);
	for (size_t i = 0; i < N; i++)
		b[i] = (unsigned char)rand();
	CHECK(round_trip(b, N) <= LZ_BOUND(N));
	/* text with repeats */
	for (size_t i = 0; i < N; i++)
		b[i] = "the quick brown fox jumps over the lazy dog"[(i * 7 + i / 300) % 43];
	CHECK(round_trip(b, N) < N / 4);
	free(b);
}

int main(void)
{
	RUN(the_format_as_documented);
	RUN(damaged_data_is_refused);
	RUN(round_trips_and_packs_what_repeats);
	DONE();
}
