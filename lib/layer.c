#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <linux/openat2.h>

#include "layer.h"
#include "layer_src.h"
#include "tar.h"
#include "util.h"

/* How deep a whiteout may remove: deeper trees are refused, not recursed. */
#define LAYER_MAX_DEPTH 512
#define BUF_SIZE (64 * 1024)

/* Exactly n bytes of tar, or -EBADMSG naming what was being read. */
static int src_read_exact(struct layer_src *s, void *buf, size_t n, const char *what, struct err *e)
{
	ssize_t r = layer_src_read(s, buf, n, e);
	if (r < 0)
		return (int)r;
	if ((size_t)r != n)
		return err_set(e, EBADMSG, "layer: tar stream is truncated (in %s)", what);
	return 0;
}

static int src_skip(struct layer_src *s, uint64_t n, unsigned char *buf, const char *what, struct err *e)
{
	while (n) {
		size_t k = n > BUF_SIZE ? BUF_SIZE : (size_t)n;
		int r = src_read_exact(s, buf, k, what, e);
		if (r < 0)
			return r;
		n -= k;
	}
	return 0;
}

/* ---- paths of this layer: hashes, for whiteouts that spare them ---- */

struct pathset {
	uint64_t *h;		/* 0 = empty slot */
	size_t cap, n;
	uint64_t seed;
};

static uint64_t path_hash(const struct pathset *ps, const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ps->seed;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	return h ? h : 1;
}

static bool pathset_has(const struct pathset *ps, const char *p, size_t n)
{
	if (!ps->cap)
		return false;
	uint64_t h = path_hash(ps, p, n);
	for (size_t i = h & (ps->cap - 1);; i = (i + 1) & (ps->cap - 1)) {
		if (!ps->h[i])
			return false;
		if (ps->h[i] == h)
			return true;
	}
}

static int pathset_add(struct pathset *ps, const char *p, size_t n)
{
	if ((ps->n + 1) * 2 > ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 1024;
		uint64_t *nh = calloc(cap, sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		for (size_t i = 0; i < ps->cap; i++) {
			if (!ps->h[i])
				continue;
			size_t j = ps->h[i] & (cap - 1);
			while (nh[j])
				j = (j + 1) & (cap - 1);
			nh[j] = ps->h[i];
		}
		free(ps->h);
		ps->h = nh;
		ps->cap = cap;
	}
	uint64_t h = path_hash(ps, p, n);
	size_t i = h & (ps->cap - 1);
	while (ps->h[i] && ps->h[i] != h)
		i = (i + 1) & (ps->cap - 1);
	if (!ps->h[i]) {
		ps->h[i] = h;
		ps->n++;
	}
	return 0;
}

/* ---- the unpacker ---- */

struct dirfix {
	char *path;
	uint32_t mode;
	int64_t sec;
	long nsec;
};

struct unpack {
	int root;			/* rootfs dir fd */
	bool is_root;			/* euid 0: owners, devices */
	struct layer_src *src;
	struct layer_stats *st;
	struct pathset seen;
	struct dirfix *dirs;
	size_t ndirs, capdirs;
	char *cache_path;		/* parent dir of the last entry ... */
	int cache_fd;			/* ... and its fd, or -1 */
	unsigned char *buf;
};

static int resolve(struct unpack *u, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	do
		fd = syscall(SYS_openat2, u->root, *path ? path : ".", &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? -errno : (int)fd;
}

static void cache_drop(struct unpack *u)
{
	if (u->cache_fd >= 0)
		close(u->cache_fd);
	u->cache_fd = -1;
	free(u->cache_path);
	u->cache_path = NULL;
}

static int resolve_error(const char *entry, const char *dir, int r, struct err *e)
{
	if (r == -EXDEV)
		return err_set(e, EPERM, "layer: entry %s: %s/ leads out of the rootfs (through a symlink)",
			       entry, dir);
	if (r == -ELOOP)
		return err_set(e, ELOOP, "layer: entry %s: %s/: a symlink loop or a magic link", entry, dir);
	if (r == -ENOTDIR)
		return err_set(e, ENOTDIR, "layer: entry %s: %s is not a directory", entry, dir);
	return err_sys(e, -r, "layer: entry %s: %s", entry, dir);
}

/* An fd of the directory dir (a cleaned relative path) inside the rootfs,
 * creating missing components (0755). Owned by the cache: do not close. */
static int parent_dir(struct unpack *u, const char *entry, char *dir, struct err *e)
{
	if (u->cache_fd >= 0 && !strcmp(u->cache_path, dir))
		return u->cache_fd;
	cache_drop(u);
	/* Parents this layer implies are its own too: an opaque marker spares them. */
	for (size_t i = 1, n = strlen(dir); i <= n; i++)
		if ((dir[i] == '/' || !dir[i]) && pathset_add(&u->seen, dir, i) < 0)
			return err_set(e, ENOMEM, "layer: out of memory");
	int fd = resolve(u, dir, O_PATH | O_DIRECTORY);
	if (fd == -ENOENT) {
		/* Walk the prefixes, making what is missing. */
		int cur = resolve(u, "", O_PATH | O_DIRECTORY);
		if (cur < 0)
			return resolve_error(entry, ".", cur, e);
		char *p = dir;
		for (;;) {
			char *slash = strchr(p, '/');
			if (slash)
				*slash = 0;
			int nfd = resolve(u, dir, O_PATH | O_DIRECTORY);
			if (nfd == -ENOENT) {
				const char *base = strrchr(dir, '/');
				base = base ? base + 1 : dir;
				if (mkdirat(cur, base, 0755) < 0 && errno != EEXIST)
					nfd = -errno;
				else
					nfd = resolve(u, dir, O_PATH | O_DIRECTORY);
			}
			close(cur);
			if (nfd < 0) {
				int r = resolve_error(entry, dir, nfd, e);
				if (slash)
					*slash = '/';
				return r;
			}
			cur = nfd;
			if (!slash)
				break;
			*slash = '/';
			p = slash + 1;
		}
		fd = cur;
	}
	if (fd < 0)
		return resolve_error(entry, *dir ? dir : ".", fd, e);
	u->cache_path = strdup(dir);
	if (!u->cache_path) {
		close(fd);
		return err_set(e, ENOMEM, "layer: out of memory");
	}
	u->cache_fd = fd;
	return fd;
}

/* Removes what lower layers left in directory fd (path rel), sparing the
 * paths this layer made (and, in its directories, recursing). */
static int clear_lower(struct unpack *u, int fd, char *rel, size_t rlen, int depth)
{
	if (depth > 512)
		return -ELOOP;
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	struct dirent *de;
	int r = 0;
	while (!r && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t nl = strlen(de->d_name);
		if (rlen + 1 + nl >= TAR_PATH_MAX + 2) {
			r = -ENAMETOOLONG;
			break;
		}
		size_t l = rlen;
		if (l)
			rel[l++] = '/';
		memcpy(rel + l, de->d_name, nl + 1);
		if (!pathset_has(&u->seen, rel, l + nl)) {
			r = remove_tree(dfd, de->d_name, LAYER_MAX_DEPTH);
		} else if (de->d_type == DT_DIR) {
			int cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0) {
				r = clear_lower(u, cfd, rel, l + nl, depth + 1);
				close(cfd);
			}
		}
		rel[rlen] = 0;
	}
	closedir(d);
	return r;
}

static int whiteout(struct unpack *u, const char *path, char *dir, const char *base,
		    struct err *e)
{
	/* Nothing below a missing dir to delete, and no reason to make it. */
	int probe = resolve(u, dir, O_PATH | O_DIRECTORY);
	if (probe == -ENOENT)
		return 0;
	if (probe >= 0)
		close(probe);
	int pfd = parent_dir(u, path, dir, e);
	if (pfd < 0)
		return pfd;
	int r;
	char *rel = malloc(TAR_PATH_MAX + 2);
	if (!rel)
		return err_set(e, ENOMEM, "layer: out of memory");
	size_t dl = strlen(dir);
	memcpy(rel, dir, dl + 1);
	if (!strcmp(base, ".wh..wh..opq")) {
		r = clear_lower(u, pfd, rel, dl, 0);
		cache_drop(u);
	} else if (!strncmp(base, ".wh..wh.", 8)) {
		r = 0;		/* aufs bookkeeping (.wh..wh.plnk, ...): nothing to do */
	} else {
		const char *name = base + 4;
		size_t l = dl;
		if (l)
			rel[l++] = '/';
		strcpy(rel + l, name);
		r = 0;
		if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
			r = -EPERM;
		else if (!pathset_has(&u->seen, rel, strlen(rel))) {
			r = remove_tree(pfd, name, LAYER_MAX_DEPTH);
			cache_drop(u);
		}
	}
	free(rel);
	if (r < 0)
		return err_sys(e, -r, "layer: whiteout %s", path);
	return 0;
}

static int dirfix_add(struct unpack *u, const char *path, const struct tar_entry *ent)
{
	if (u->ndirs == u->capdirs) {
		size_t cap = u->capdirs ? u->capdirs * 2 : 64;
		struct dirfix *n = realloc(u->dirs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		u->dirs = n;
		u->capdirs = cap;
	}
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	u->dirs[u->ndirs++] = (struct dirfix){ p, ent->mode, ent->mtime_sec, ent->mtime_nsec };
	return 0;
}

static void set_xattrs(int fd, const struct tar_entry *ent)
{
	/* Where the filesystem or our privileges refuse one, the image still
	 * runs: it is skipped, as Docker does. */
	for (int i = 0; i < ent->nxattr; i++) {
		const char *n = ent->xattr[i].name;
		/* trusted.* (overlayfs' own opaque/redirect marks among them) and
		 * system.* (ACLs naming host ids) are not the image's to set. */
		if (strncmp(n, "user.", 5) && strncmp(n, "security.", 9))
			continue;
		(void)fsetxattr(fd, n, ent->xattr[i].value, ent->xattr[i].len, 0);
	}
}

static int write_body(struct unpack *u, int fd, const struct tar_entry *ent, struct err *e)
{
	uint64_t left = ent->size, behind = 0;
	while (left) {
		size_t k = left > BUF_SIZE ? BUF_SIZE : (size_t)left;
		int r = src_read_exact(u->src, u->buf, k, ent->path, e);
		if (r < 0)
			return r;
		if (write_all(fd, u->buf, k) < 0)
			return err_sys(e, errno, "layer: write %s", ent->path);
		left -= k;
		/* big files go to disk as they come: less for the tree's syncfs */
		write_behind(fd, &behind, ent->size - left);
	}
	return 0;
}

static int apply_in(struct unpack *u, struct tar_entry *ent, char *dir, const char *base,
		    struct err *e);

static int apply(struct unpack *u, struct tar_entry *ent, struct err *e)
{
	char *path = ent->path;
	int r = tar_clean_path(path);
	if (r == -EPERM)
		return err_set(e, EPERM, "layer: entry %s: %s", path,
			       path[0] == '/' ? "absolute path" : "path climbs out of the rootfs (..)");
	if (r < 0)
		return err_set(e, -r, "layer: entry %.64s...: name too long", path);
	if (!*path)
		return 0;	/* the root itself: keep ours */

	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir = strndup(path, slash ? (size_t)(slash - path) : 0);
	if (!dir)
		return err_set(e, ENOMEM, "layer: out of memory");
	r = apply_in(u, ent, dir, base, e);
	free(dir);
	return r;
}

static int apply_in(struct unpack *u, struct tar_entry *ent, char *dir, const char *base,
		    struct err *e)
{
	const char *path = ent->path;
	int r;

	if (!strncmp(base, ".wh.", 4))
		return whiteout(u, path, dir, base, e);
	int pfd = parent_dir(u, path, dir, e);
	if (pfd < 0)
		return pfd;
	if ((r = pathset_add(&u->seen, path, strlen(path))) < 0)
		return err_set(e, -r, "layer: out of memory");

	struct stat old;
	bool exists = fstatat(pfd, base, &old, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && !(ent->type == TAR_DIR && S_ISDIR(old.st_mode))) {
		if ((r = remove_tree(pfd, base, LAYER_MAX_DEPTH)) < 0)
			return err_sys(e, -r, "layer: replace %s", path);
		if (S_ISDIR(old.st_mode) || S_ISLNK(old.st_mode)) {
			/* The cached dir may have been (under) it. */
			cache_drop(u);
			if ((pfd = parent_dir(u, path, dir, e)) < 0)
				return pfd;
		}
		exists = false;
	}

	struct timespec ts[2] = { { ent->mtime_sec, ent->mtime_nsec }, { ent->mtime_sec, ent->mtime_nsec } };
	int fd;
	switch (ent->type) {
	case TAR_FILE: case TAR_CONTIG:
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_sys(e, errno, "layer: create %s", path);
		r = write_body(u, fd, ent, e);
		ent->size = 0;	/* consumed */
		if (!r && u->is_root && fchown(fd, (uid_t)ent->uid, (gid_t)ent->gid) < 0)
			r = err_sys(e, errno, "layer: chown %s", path);
		if (!r && fchmod(fd, ent->mode) < 0)
			r = err_sys(e, errno, "layer: chmod %s", path);
		if (!r) {
			set_xattrs(fd, ent);
			if (futimens(fd, ts) < 0)
				r = err_sys(e, errno, "layer: set times of %s", path);
		}
		close(fd);
		return r;
	case TAR_DIR:
		if (!exists && mkdirat(pfd, base, 0700) < 0)
			return err_sys(e, errno, "layer: mkdir %s", path);
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return err_sys(e, errno, "layer: open %s", path);
		r = 0;
		if (u->is_root && fchown(fd, (uid_t)ent->uid, (gid_t)ent->gid) < 0)
			r = err_sys(e, errno, "layer: chown %s", path);
		/* Without root a read-only dir would stop us filling it: owner rwx until the end. */
		if (!r && fchmod(fd, u->is_root ? ent->mode : (ent->mode | 0700)) < 0)
			r = err_sys(e, errno, "layer: chmod %s", path);
		if (!r)
			set_xattrs(fd, ent);
		close(fd);
		if (!r && dirfix_add(u, path, ent) < 0)
			r = err_set(e, ENOMEM, "layer: out of memory");
		return r;
	case TAR_SYMLINK:
		if (symlinkat(ent->linkpath, pfd, base) < 0)
			return err_sys(e, errno, "layer: symlink %s", path);
		if (u->is_root && fchownat(pfd, base, (uid_t)ent->uid, (gid_t)ent->gid, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(e, errno, "layer: chown %s", path);
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(e, errno, "layer: set times of %s", path);
		return 0;
	case TAR_HARDLINK: {
		char *target = ent->linkpath;
		r = tar_clean_path(target);
		if (r < 0 || !*target)
			return err_set(e, EPERM, "layer: hard link %s -> %s: target outside the rootfs",
				       path, target);
		char *ts_ = strrchr(target, '/');
		const char *tbase = ts_ ? ts_ + 1 : target;
		int tfd;
		if (ts_) {
			*ts_ = 0;
			tfd = resolve(u, target, O_PATH | O_DIRECTORY);
			*ts_ = '/';
		} else {
			tfd = resolve(u, "", O_PATH | O_DIRECTORY);
		}
		if (tfd < 0)
			return resolve_error(path, target, tfd, e);
		r = linkat(tfd, tbase, pfd, base, 0) < 0 ? -errno : 0;
		close(tfd);
		if (r < 0)
			return err_sys(e, -r, "layer: hard link %s -> %s", path, target);
		return 0;
	}
	case TAR_CHAR: case TAR_BLOCKDEV: case TAR_FIFO: {
		mode_t t = ent->type == TAR_CHAR ? S_IFCHR : ent->type == TAR_BLOCKDEV ? S_IFBLK : S_IFIFO;
		if (t != S_IFIFO && !u->is_root) {
			u->st->skipped++;
			return 0;
		}
		if (mknodat(pfd, base, t | (ent->mode & 07777), makedev(ent->devmajor, ent->devminor)) < 0) {
			if (errno == EPERM && t != S_IFIFO) {	/* root in a user namespace */
				u->st->skipped++;
				return 0;
			}
			return err_sys(e, errno, "layer: mknod %s", path);
		}
		if (u->is_root && fchownat(pfd, base, (uid_t)ent->uid, (gid_t)ent->gid, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(e, errno, "layer: chown %s", path);
		if (fchmodat(pfd, base, ent->mode, 0) < 0)
			return err_sys(e, errno, "layer: chmod %s", path);
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(e, errno, "layer: set times of %s", path);
		return 0;
	}
	case 'S':
		return err_set(e, ENOTSUP, "layer: entry %s: sparse files are not supported", path);
	default:
		return err_set(e, ENOTSUP, "layer: entry %s: unknown tar entry type '%c'", path, ent->type);
	}
}

/* Directory modes and times last: filling a directory changes its mtime. */
static int fix_dirs(struct unpack *u, struct err *e)
{
	for (size_t i = u->ndirs; i-- > 0;) {
		struct dirfix *d = &u->dirs[i];
		int fd = resolve(u, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd < 0)
			continue;	/* replaced or whited out later in the layer */
		struct timespec ts[2] = { { d->sec, d->nsec }, { d->sec, d->nsec } };
		int r = 0;
		if (!u->is_root && fchmod(fd, d->mode) < 0)
			r = err_sys(e, errno, "layer: chmod %s", d->path);
		if (!r && futimens(fd, ts) < 0)
			r = err_sys(e, errno, "layer: set times of %s", d->path);
		close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

static int unpack_tar(struct unpack *u, struct err *e)
{
	unsigned char blk[TAR_BLOCK];
	struct tar_pending pend;
	struct tar_entry ent;
	char *meta = NULL;
	int r = 0, zeros = 0;

	memset(&pend, 0, sizeof(pend));
	for (;;) {
		ssize_t n = layer_src_read(u->src, blk, TAR_BLOCK, e);
		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0)
			break;	/* no end marker: accepted, as GNU tar and Docker do */
		if (n != TAR_BLOCK) {
			r = err_set(e, EBADMSG, "layer: tar stream is truncated (in a header)");
			break;
		}
		if (tar_block_zero(blk)) {
			if (++zeros == 2)
				break;
			continue;
		}
		zeros = 0;
		if ((r = tar_header(blk, &pend, &ent, e)) < 0) {
			if (e) {
				char m[sizeof(e->msg)];
				memcpy(m, e->msg, sizeof(m));
				snprintf(e->msg, sizeof(e->msg), "layer: at byte %llu: %.200s",
					 (unsigned long long)(u->st->tar_bytes - TAR_BLOCK), m);
			}
			break;
		}
		uint64_t pad = (TAR_BLOCK - ent.size % TAR_BLOCK) % TAR_BLOCK;
		switch (ent.type) {
		case TAR_GNU_LONGNAME: case TAR_GNU_LONGLINK: case TAR_PAX: case TAR_PAX_GLOBAL:
			meta = malloc(ent.size + 1);
			if (!meta) {
				r = err_set(e, ENOMEM, "layer: out of memory");
				break;
			}
			if ((r = src_read_exact(u->src, meta, ent.size, "a meta entry", e)) < 0)
				break;
			meta[ent.size] = 0;
			r = tar_meta(ent.type, meta, ent.size, &pend, e);
			ent.size = 0;	/* consumed */
			free(meta);
			meta = NULL;
			break;
		default:
			u->st->entries++;
			r = apply(u, &ent, e);
		}
		if (!r)
			r = src_skip(u->src, ent.size + pad, u->buf, "an entry", e);
		tar_entry_free(&ent);
		if (r < 0)
			break;
	}
	free(meta);
	tar_pending_free(&pend);
	if (!r)
		r = fix_dirs(u, e);
	/* Read the gzip stream to its end, so its CRC and length are checked. */
	while (!r) {
		ssize_t n = layer_src_read(u->src, u->buf, BUF_SIZE, e);
		if (n <= 0) {
			r = n < 0 ? (int)n : 0;
			break;
		}
	}
	return r;
}

int layer_unpack(layer_read_fn fn, void *arg, int rootfs_fd,
		 struct layer_stats *stats, struct err *e)
{
	struct layer_stats st0;
	struct layer_stats *st = stats ? stats : &st0;
	memset(st, 0, sizeof(*st));
	struct unpack u = { .root = rootfs_fd, .is_root = geteuid() == 0, .cache_fd = -1, .st = st };
	int r;

	u.buf = malloc(BUF_SIZE);
	if (!u.buf)
		return err_set(e, ENOMEM, "layer: out of memory");
	if (getrandom(&u.seen.seed, sizeof(u.seen.seed), 0) < 0)
		u.seen.seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
	r = layer_src_open(&u.src, fn, arg, st, e);
	if (r == 0)
		r = unpack_tar(&u, e);
	cache_drop(&u);
	for (size_t i = 0; i < u.ndirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	free(u.seen.h);
	free(u.buf);
	layer_src_close(u.src);
	return r;
}

static ssize_t fd_read(void *arg, void *buf, size_t n, struct err *e)
{
	int fd = *(int *)arg;
	ssize_t r;
	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return err_sys(e, errno, "layer: read");
	return r;
}

int layer_unpack_fd(int fd, int rootfs_fd, struct layer_stats *stats, struct err *e)
{
	return layer_unpack(fd_read, &fd, rootfs_fd, stats, e);
}
