#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tar.h"
#include "util.h"

bool tar_block_zero(const unsigned char *blk)
{
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (blk[i])
			return false;
	return true;
}

int tar_number(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (len && (f[0] & 0x80)) {	/* GNU base-256, big-endian */
		if (f[0] & 0x40)
			return -ERANGE;	/* negative */
		v = f[0] & 0x3f;
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -ERANGE;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] != ' ' && f[i]; i++) {
		if (f[i] < '0' || f[i] > '7')
			return -EINVAL;
		if (v >> 61)
			return -ERANGE;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i])
			return -EINVAL;
	*out = v;
	return 0;
}

bool tar_checksum_ok(const unsigned char *blk)
{
	uint64_t want;
	if (tar_number(blk + 148, 8, &want) < 0)
		return false;
	uint64_t usum = 0;
	int64_t ssum = 0;
	for (int i = 0; i < TAR_BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : blk[i];
		usum += c;
		ssum += (signed char)c;
	}
	return want == usum || (int64_t)want == ssum;
}

static void xattrs_free(struct tar_xattr *x, int n)
{
	for (int i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
}

void tar_pending_free(struct tar_pending *p)
{
	free(p->path);
	free(p->linkpath);
	xattrs_free(p->xattr, p->nxattr);
	memset(p, 0, sizeof(*p));
}

void tar_entry_free(struct tar_entry *ent)
{
	free(ent->path);
	free(ent->linkpath);
	xattrs_free(ent->xattr, ent->nxattr);
	memset(ent, 0, sizeof(*ent));
}

static char *strndup_field(const unsigned char *f, size_t len)
{
	size_t n = strnlen((const char *)f, len);
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, f, n);
		s[n] = 0;
	}
	return s;
}

static int field(const unsigned char *blk, size_t off, size_t len, const char *what,
		 uint64_t *out, struct err *e)
{
	int r = tar_number(blk + off, len, out);
	if (r < 0)
		return err_set(e, -r, "tar header: bad %s field", what);
	return 0;
}

int tar_header(const unsigned char *blk, struct tar_pending *pend,
	       struct tar_entry *ent, struct err *e)
{
	uint64_t v;
	int r;

	memset(ent, 0, sizeof(*ent));
	if (!tar_checksum_ok(blk))
		return err_set(e, EBADMSG, "tar header: bad checksum");
	ent->type = blk[156] ? (char)blk[156] : TAR_FILE;
	if ((r = field(blk, 124, 12, "size", &ent->size, e)) < 0)
		return r;
	switch (ent->type) {
	case TAR_GNU_LONGNAME: case TAR_GNU_LONGLINK: case TAR_PAX: case TAR_PAX_GLOBAL:
		if (ent->size > TAR_META_MAX)
			return err_set(e, EFBIG, "tar header: %c entry of %llu bytes is too large",
				       ent->type, (unsigned long long)ent->size);
		return 0;
	}

	if ((r = field(blk, 100, 8, "mode", &v, e)) < 0)
		return r;
	ent->mode = (uint32_t)(v & 07777);
	if ((r = field(blk, 108, 8, "uid", &ent->uid, e)) < 0 ||
	    (r = field(blk, 116, 8, "gid", &ent->gid, e)) < 0 ||
	    (r = field(blk, 136, 12, "mtime", &v, e)) < 0)
		return r;
	ent->mtime_sec = (int64_t)(v > INT64_MAX ? INT64_MAX : v);
	bool ustar = !memcmp(blk + 257, "ustar", 5);
	if (ustar) {
		if ((r = field(blk, 329, 8, "devmajor", &v, e)) < 0)
			return r;
		ent->devmajor = (uint32_t)v;
		if ((r = field(blk, 337, 8, "devminor", &v, e)) < 0)
			return r;
		ent->devminor = (uint32_t)v;
	}

	if (pend->path) {
		ent->path = pend->path;
		pend->path = NULL;
	} else if (ustar && !memcmp(blk + 257, "ustar\0", 6) && blk[345]) {
		/* POSIX ustar: prefix "/" name (in GNU's format these bytes hold times) */
		size_t pl = strnlen((const char *)blk + 345, 155);
		size_t nl = strnlen((const char *)blk, 100);
		ent->path = malloc(pl + nl + 2);
		if (ent->path) {
			memcpy(ent->path, blk + 345, pl);
			ent->path[pl] = '/';
			memcpy(ent->path + pl + 1, blk, nl);
			ent->path[pl + 1 + nl] = 0;
		}
	} else {
		ent->path = strndup_field(blk, 100);
	}
	if (pend->linkpath) {
		ent->linkpath = pend->linkpath;
		pend->linkpath = NULL;
	} else {
		ent->linkpath = strndup_field(blk + 157, 100);
	}
	if (!ent->path || !ent->linkpath) {
		tar_entry_free(ent);
		return err_set(e, ENOMEM, "tar header: out of memory");
	}
	if (pend->has_size)
		ent->size = pend->size;
	if (pend->has_mtime) {
		ent->mtime_sec = pend->mtime_sec;
		ent->mtime_nsec = pend->mtime_nsec;
	}
	if (pend->has_uid)
		ent->uid = pend->uid;
	if (pend->has_gid)
		ent->gid = pend->gid;
	memcpy(ent->xattr, pend->xattr, sizeof(ent->xattr[0]) * (size_t)pend->nxattr);
	ent->nxattr = pend->nxattr;
	pend->nxattr = 0;
	tar_pending_free(pend);
	return 0;
}

/* Decimal, with an optional fraction of up to 9 digits kept as ns. */
static int pax_time(const char *s, size_t n, int64_t *sec, long *nsec)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0;
	long ns = 0;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	size_t start = i;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (uint64_t)INT64_MAX / 10 - 1)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == start)
		return -EINVAL;
	if (i < n && s[i] == '.') {
		i++;
		int d = 0;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
			if (d < 9)
				ns = ns * 10 + (s[i] - '0');
		for (; d < 9; d++)
			ns *= 10;
	}
	if (i != n)
		return -EINVAL;
	if (neg) {
		*sec = -(int64_t)v - (ns ? 1 : 0);
		*nsec = ns ? 1000000000L - ns : 0;
	} else {
		*sec = (int64_t)v;
		*nsec = ns;
	}
	return 0;
}

static int pax_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static int set_str(char **dst, const char *v, size_t n, const char *what, struct err *e)
{
	if (memchr(v, 0, n))
		return err_set(e, EINVAL, "tar: %s holds a NUL byte", what);
	if (n > TAR_PATH_MAX)
		return err_set(e, ENAMETOOLONG, "tar: %s of %zu bytes is too long", what, n);
	char *d = dupn(v, n);
	if (!d)
		return err_set(e, ENOMEM, "tar: out of memory");
	free(*dst);
	*dst = d;
	return 0;
}

static int pax_record(const char *k, size_t kl, const char *v, size_t vl,
		      struct tar_pending *p, struct err *e)
{
#define KEY(s) (kl == sizeof(s) - 1 && !memcmp(k, s, kl))
	static const char xa[] = "SCHILY.xattr.";
	int r = 0;

	if (KEY("path"))
		return set_str(&p->path, v, vl, "PAX path", e);
	if (KEY("linkpath"))
		return set_str(&p->linkpath, v, vl, "PAX linkpath", e);
	if (KEY("size")) {
		r = pax_u64(v, vl, &p->size);
		p->has_size = r == 0;
	} else if (KEY("uid")) {
		r = pax_u64(v, vl, &p->uid);
		p->has_uid = r == 0;
	} else if (KEY("gid")) {
		r = pax_u64(v, vl, &p->gid);
		p->has_gid = r == 0;
	} else if (KEY("mtime")) {
		r = pax_time(v, vl, &p->mtime_sec, &p->mtime_nsec);
		p->has_mtime = r == 0;
	} else if (kl > sizeof(xa) - 1 && !memcmp(k, xa, sizeof(xa) - 1)) {
		if (memchr(k, 0, kl))
			return err_set(e, EINVAL, "tar: PAX xattr name holds a NUL byte");
		if (p->nxattr == TAR_XATTR_MAX)
			return err_set(e, E2BIG, "tar: more than %d xattrs on one entry", TAR_XATTR_MAX);
		struct tar_xattr *x = &p->xattr[p->nxattr];
		x->name = dupn(k + sizeof(xa) - 1, kl - (sizeof(xa) - 1));
		x->value = dupn(v, vl);
		x->len = vl;
		if (!x->name || !x->value) {
			free(x->name);
			free(x->value);
			return err_set(e, ENOMEM, "tar: out of memory");
		}
		p->nxattr++;
	}
	/* Other keys (atime, ctime, uname, gname, comment, GNU.sparse...) are ignored. */
	if (r < 0)
		return err_set(e, -r, "tar: bad PAX %.*s value", (int)kl, k);
	return 0;
#undef KEY
}

int tar_meta(char type, const char *body, size_t len, struct tar_pending *p, struct err *e)
{
	if (type == TAR_PAX_GLOBAL)
		return 0;
	if (type == TAR_GNU_LONGNAME || type == TAR_GNU_LONGLINK) {
		size_t n = strnlen(body, len);
		return set_str(type == TAR_GNU_LONGNAME ? &p->path : &p->linkpath, body, n,
			       type == TAR_GNU_LONGNAME ? "GNU long name" : "GNU long link", e);
	}
	if (type != TAR_PAX)
		return err_set(e, EINVAL, "tar: entry type %c is not a meta entry", type);

	size_t off = 0;
	while (off < len) {
		const char *rec = body + off;
		size_t left = len - off, i = 0, rl = 0;
		if (rec[0] == 0) {	/* NUL padding to the end is tolerated */
			while (i < left && !rec[i])
				i++;
			if (i == left)
				break;
			return err_set(e, EINVAL, "tar: PAX record at byte %zu: NUL byte", off);
		}
		for (; i < left && rec[i] >= '0' && rec[i] <= '9'; i++) {
			rl = rl * 10 + (size_t)(rec[i] - '0');
			if (rl > left)
				return err_set(e, EINVAL, "tar: PAX record at byte %zu: length runs past the end", off);
		}
		if (i == 0 || i >= left || rec[i] != ' ')
			return err_set(e, EINVAL, "tar: PAX record at byte %zu: bad length", off);
		if (rl < i + 3 || rec[rl - 1] != '\n')
			return err_set(e, EINVAL, "tar: PAX record at byte %zu: bad length", off);
		const char *k = rec + i + 1;
		const char *end = rec + rl - 1;
		const char *eq = memchr(k, '=', (size_t)(end - k));
		if (!eq || eq == k)
			return err_set(e, EINVAL, "tar: PAX record at byte %zu: no key=value", off);
		int r = pax_record(k, (size_t)(eq - k), eq + 1, (size_t)(end - eq - 1), p, e);
		if (r < 0)
			return r;
		off += rl;
	}
	return 0;
}

int tar_clean_path(char *path)
{
	size_t len = strlen(path);
	if (len > TAR_PATH_MAX)
		return -ENAMETOOLONG;
	if (path[0] == '/')
		return -EPERM;
	char *w = path;
	const char *r = path;
	while (*r) {
		const char *c = r;
		while (*r && *r != '/')
			r++;
		size_t n = (size_t)(r - c);
		while (*r == '/')
			r++;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return -EPERM;
		if (w != path)
			*w++ = '/';
		memmove(w, c, n);
		w += n;
	}
	*w = 0;
	return 0;
}
