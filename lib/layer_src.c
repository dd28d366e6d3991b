/* The byte source of lib/layer.c: a layer's tar stream, raw or gzip.
 *
 * Gzip framing is read here and only the deflate data goes to zlib's raw
 * inflate: the member's CRC-32 is not checked (the blob's SHA-256 covers
 * every byte), its length is. So zlib can be built without its gzip code
 * and CRC tables (-DNO_GZIP). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "layer_src.h"

#define IN_SIZE (32 * 1024)

enum gz_phase { GZ_HEADER, GZ_BODY, GZ_TRAILER, GZ_DONE };

struct layer_src {
	layer_read_fn fn;
	void *arg;
	bool gz, eof, zinit;
	enum gz_phase phase;
	uint32_t isize;			/* output of this member, mod 2^32 */
	unsigned members;
	z_stream z;
	unsigned char in[IN_SIZE];
	size_t in_pos, in_len;
	struct layer_stats *st;
};

static int src_fill(struct layer_src *s, struct err *e)
{
	if (s->eof)
		return 0;
	ssize_t n = s->fn(s->arg, s->in, sizeof(s->in), e);
	if (n < 0)
		return (int)n;
	if (n == 0)
		s->eof = true;
	s->in_pos = 0;
	s->in_len = (size_t)n;
	s->st->in_bytes += (uint64_t)n;
	return 0;
}

static int truncated(struct err *e)
{
	return err_set(e, EBADMSG, "layer: gzip stream is truncated");
}

/* The next raw byte, or -EBADMSG at the end. */
static int src_byte(struct layer_src *s, struct err *e)
{
	if (s->in_pos == s->in_len) {
		int r = src_fill(s, e);
		if (r < 0)
			return r;
		if (s->in_pos == s->in_len)
			return truncated(e);
	}
	return s->in[s->in_pos++];
}

static int gz_skip(struct layer_src *s, size_t n, bool to_nul, struct err *e)
{
	for (size_t i = 0; to_nul || i < n; i++) {
		int c = src_byte(s, e);
		if (c < 0)
			return c;
		if (to_nul && c == 0)
			return 0;
	}
	return 0;
}

/* RFC 1952 member header; at a clean end after a member, phase GZ_DONE. */
static int gz_read_header(struct layer_src *s, struct err *e)
{
	unsigned char h[10];
	int c, r;
	if (s->members && s->in_pos == s->in_len) {
		if ((r = src_fill(s, e)) < 0)
			return r;
		if (s->in_pos == s->in_len) {
			s->phase = GZ_DONE;
			return 0;
		}
	}
	for (int i = 0; i < 10; i++) {
		c = src_byte(s, e);
		if ((i == 0 && c != 0x1f) || (i == 1 && c != 0x8b))
			return err_set(e, EBADMSG, s->members ? "layer: junk after the gzip stream"
					      : "layer: not a gzip stream");
		if (c < 0)
			return c;
		h[i] = (unsigned char)c;
	}
	if (h[2] != 8 || (h[3] & 0xe0))
		return err_set(e, EBADMSG, "layer: unknown gzip method or flags");
	if (h[3] & 4) {		/* FEXTRA */
		int lo = src_byte(s, e), hi = lo < 0 ? lo : src_byte(s, e);
		if (hi < 0)
			return hi;
		if ((r = gz_skip(s, (size_t)(lo | hi << 8), false, e)) < 0)
			return r;
	}
	if ((h[3] & 8) && (r = gz_skip(s, 0, true, e)) < 0)	/* FNAME */
		return r;
	if ((h[3] & 16) && (r = gz_skip(s, 0, true, e)) < 0)	/* FCOMMENT */
		return r;
	if ((h[3] & 2) && (r = gz_skip(s, 2, false, e)) < 0)	/* FHCRC */
		return r;
	if (!s->zinit) {
		if (inflateInit2(&s->z, -MAX_WBITS) != Z_OK)
			return err_set(e, ENOMEM, "layer: inflateInit2 failed");
		s->zinit = true;
	} else {
		inflateReset(&s->z);
	}
	s->isize = 0;
	s->phase = GZ_BODY;
	return 0;
}

static int gz_read_trailer(struct layer_src *s, struct err *e)
{
	uint32_t isize = 0;
	int c;
	if (gz_skip(s, 4, false, e) < 0)	/* CRC-32: see above */
		return -EBADMSG;
	for (int i = 0; i < 4; i++) {
		if ((c = src_byte(s, e)) < 0)
			return c;
		isize |= (uint32_t)c << (8 * i);
	}
	if (isize != s->isize)
		return err_set(e, EBADMSG, "layer: gzip member length is %u, its trailer says %u",
			       s->isize, isize);
	s->members++;
	s->phase = GZ_HEADER;
	return 0;
}

/* Reads up to n bytes of tar; fewer only at the end of the stream. */
ssize_t layer_src_read(struct layer_src *s, void *buf, size_t n, struct err *e)
{
	size_t got = 0;
	int r;
	while (got < n) {
		if (!s->gz) {
			if (s->in_pos == s->in_len && (r = src_fill(s, e)) < 0)
				return r;
			if (s->in_pos == s->in_len)
				break;
			size_t k = s->in_len - s->in_pos;
			if (k > n - got)
				k = n - got;
			memcpy((char *)buf + got, s->in + s->in_pos, k);
			s->in_pos += k;
			got += k;
			continue;
		}
		if (s->phase == GZ_DONE)
			break;
		if (s->phase == GZ_HEADER) {
			if ((r = gz_read_header(s, e)) < 0)
				return r;
			continue;
		}
		if (s->phase == GZ_TRAILER) {
			if ((r = gz_read_trailer(s, e)) < 0)
				return r;
			continue;
		}
		if (s->in_pos == s->in_len) {
			if ((r = src_fill(s, e)) < 0)
				return r;
			if (s->in_pos == s->in_len)
				return truncated(e);
		}
		s->z.next_in = s->in + s->in_pos;
		s->z.avail_in = (uInt)(s->in_len - s->in_pos);
		s->z.next_out = (unsigned char *)buf + got;
		s->z.avail_out = (uInt)(n - got);
		r = inflate(&s->z, Z_NO_FLUSH);
		size_t made = (n - got) - s->z.avail_out;
		got += made;
		s->isize += (uint32_t)made;
		s->in_pos = s->in_len - s->z.avail_in;
		if (r == Z_STREAM_END)
			s->phase = GZ_TRAILER;
		else if (r == Z_MEM_ERROR)
			return err_set(e, ENOMEM, "layer: inflate: out of memory");
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return err_set(e, EBADMSG, "layer: corrupt gzip data: %s",
				       s->z.msg ? s->z.msg : "inflate failed");
	}
	s->st->tar_bytes += got;
	return (ssize_t)got;
}

int layer_src_open(struct layer_src **out, layer_read_fn fn, void *arg,
		   struct layer_stats *st, struct err *e)
{
	static const unsigned char zstd[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	struct layer_src *s = calloc(1, sizeof(*s));
	ssize_t n = 0;
	if (!s)
		return err_set(e, ENOMEM, "layer: out of memory");
	s->fn = fn;
	s->arg = arg;
	s->st = st;
	/* Tell the format by the first bytes. */
	while (s->in_len < 4 && !s->eof) {
		n = fn(arg, s->in + s->in_len, sizeof(s->in) - s->in_len, e);
		if (n < 0)
			break;
		s->eof = n == 0;
		s->in_len += (size_t)n;
		st->in_bytes += (uint64_t)n;
	}
	if (n >= 0 && s->in_len >= 4 && !memcmp(s->in, zstd, 4))
		n = err_set(e, ENOTSUP, "layer: zstd-compressed layers are not supported (gzip and plain tar are)");
	if (n < 0) {
		free(s);
		return (int)n;
	}
	s->gz = s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b;
	*out = s;
	return 0;
}

void layer_src_close(struct layer_src *s)
{
	if (s && s->zinit)
		inflateEnd(&s->z);
	free(s);
}
