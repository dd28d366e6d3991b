/* lib/lz.c: see lz.h. The format is a sequence of tokens:
 *   t < 0x80    t + 1 literal bytes follow;
 *   t >= 0x80   copy (t & 0x7f) + 3 bytes from d bytes back, d being the
 *               next two bytes, little-endian, 1..65535 (a copy may
 *               overlap what it makes: d 1 repeats the last byte).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lz.h"

enum { LIT_MAX = 128, COPY_MIN = 3, COPY_MAX = 127 + COPY_MIN, DIST_MAX = 65535 };

int lz_unpack(const unsigned char *in, size_t n, unsigned char *out, size_t len)
{
	size_t i = 0, o = 0;
	while (i < n) {
		size_t t = in[i++], k;
		if (t < 0x80) {
			k = t + 1;
			if (k > n - i || k > len - o)
				return -1;
			memcpy(out + o, in + i, k);
			i += k;
		} else {
			k = (t & 0x7f) + COPY_MIN;
			if (n - i < 2)
				return -1;
			size_t d = in[i] | (size_t)in[i + 1] << 8;
			i += 2;
			if (!d || d > o || k > len - o)
				return -1;
			for (size_t j = 0; j < k; j++)
				out[o + j] = out[o + j - d];
		}
		o += k;
	}
	return o == len ? 0 : -1;
}

/* The shortest packing by dynamic programming from the end: cost[i] is the
 * fewest bytes for in[i..n), step[i] how that starts (> 0: that many
 * literals; < 0: a copy of that many bytes, from dist[i] back). A copy is
 * always taken from the nearest place that gives the longest match, and
 * any shorter length of it is tried too. Quadratic: for build-time data. */
size_t lz_pack(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t *cost = malloc((n + 1) * sizeof(*cost));
	int *step = malloc((n + 1) * sizeof(*step));
	uint16_t *dist = malloc((n + 1) * sizeof(*dist));
	size_t o = 0;
	if (!cost || !step || !dist)
		goto out;
	cost[n] = 0;
	for (size_t i = n; i-- > 0;) {
		size_t best = SIZE_MAX, m = 0, d = 0;
		for (size_t dd = 1; dd <= i && dd <= DIST_MAX && m < COPY_MAX; dd++) {
			size_t l = 0;
			while (l < COPY_MAX && i + l < n && in[i - dd + l] == in[i + l])
				l++;
			if (l > m) {
				m = l;
				d = dd;
			}
		}
		for (size_t l = 1; l <= LIT_MAX && i + l <= n; l++)
			if (1 + l + cost[i + l] < best) {
				best = 1 + l + cost[i + l];
				step[i] = (int)l;
			}
		for (size_t l = COPY_MIN; l <= m; l++)
			if (3 + cost[i + l] < best) {
				best = 3 + cost[i + l];
				step[i] = -(int)l;
				dist[i] = (uint16_t)d;
			}
		cost[i] = best;
	}
	for (size_t i = 0; i < n;) {
		if (step[i] > 0) {
			size_t l = (size_t)step[i];
			out[o++] = (unsigned char)(l - 1);
			memcpy(out + o, in + i, l);
			o += l;
			i += l;
		} else {
			size_t l = (size_t)-step[i];
			out[o++] = (unsigned char)(0x80 | (l - COPY_MIN));
			out[o++] = (unsigned char)(dist[i] & 0xff);
			out[o++] = (unsigned char)(dist[i] >> 8);
			i += l;
		}
	}
out:
	free(cost);
	free(step);
	free(dist);
	return o;
}
