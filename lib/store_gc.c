/* Garbage collection of the image store: what no ref reaches, temp trees
 * of dead processes, .partial files nobody is writing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "store.h"
#include "util.h"

struct hexset {
	char (*h)[65];
	size_t n, cap;
};

static int hexset_add(struct hexset *hs, const char *digest)
{
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 64;
		char (*nh)[65] = realloc(hs->h, cap * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		hs->h = nh;
		hs->cap = cap;
	}
	memcpy(hs->h[hs->n++], digest + 7, 65);
	return 0;
}

static bool hexset_has(const struct hexset *hs, const char *hex64)
{
	for (size_t i = 0; i < hs->n; i++)
		if (!strcmp(hs->h[i], hex64))
			return true;
	return false;
}

static bool is_hex64(const char *n)
{
	char d[72];
	if (strlen(n) != 64)
		return false;
	snprintf(d, sizeof(d), "sha256:%s", n);
	return digest_valid(d);
}

static int gc_blobs(struct store *s, const struct hexset *keep, struct store_gc_stats *st)
{
	DIR *d = opendir_at(s->dirfd, STORE_BLOBS, 0);
	if (!d)
		return -errno;
	int fd = dirfd(d);
	struct dirent *de;
	struct stat sb;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (is_hex64(n)) {
			if (hexset_has(keep, n))
				continue;
			if (fstatat(fd, n, &sb, AT_SYMLINK_NOFOLLOW) == 0 && unlinkat(fd, n, 0) == 0) {
				st->blobs++;
				st->bytes += (uint64_t)sb.st_size;
			}
		} else if (!strncmp(n, ".partial-", 9)) {
			int pfd = openat(fd, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (pfd < 0)
				continue;
			if (flock(pfd, LOCK_EX | LOCK_NB) == 0 && unlinkat(fd, n, 0) == 0)
				st->partials++;
			close(pfd);
		}
	}
	closedir(d);
	return 0;
}

static int gc_trees(struct store *s, const struct hexset *keep, struct store_gc_stats *st)
{
	DIR *d = opendir_at(s->dirfd, "rootfs", 0);
	if (!d)
		return -errno;
	int fd = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if ((is_hex64(n) && !hexset_has(keep, n)) || store_stale_tmp(n))
			if (remove_tree(fd, n, STORE_MAX_DEPTH) == 0)
				st->trees++;
	}
	closedir(d);
	return 0;
}

int store_gc(struct store *s, struct store_gc_stats *stats, struct err *e)
{
	struct store_gc_stats st0;
	struct store_gc_stats *st = stats ? stats : &st0;
	struct hexset blobs = { 0 }, trees = { 0 };
	struct store_image *imgs = NULL;
	struct manifest *m = NULL;
	size_t n = 0;
	int r;

	memset(st, 0, sizeof(*st));
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return err_set(e, EBUSY, "image store %s: in use by another process; try again when it ends",
				       s->dir);
		return err_sys(e, errno, "image store %s: lock", s->dir);
	}
	if ((r = store_list(s, &imgs, &n, e)) < 0)
		goto out;
	m = malloc(sizeof(*m));
	if (!m) {
		r = err_set(e, ENOMEM, "image store: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && !r; i++) {
		const char *dg = imgs[i].digest;
		if (hexset_add(&blobs, dg) < 0 || hexset_add(&trees, dg) < 0)
			r = -ENOMEM;
		/* A manifest we cannot read keeps only itself: its layers go. */
		if (r || store_manifest(s, dg, m, NULL) < 0)
			continue;
		if (hexset_add(&blobs, m->config) < 0)
			r = -ENOMEM;
		for (int k = 0; k < m->nlayers && !r; k++)
			if (hexset_add(&blobs, m->layers[k].digest) < 0)
				r = -ENOMEM;
	}
	if (r < 0) {
		err_set(e, ENOMEM, "image store: out of memory");
		goto out;
	}
	if ((r = gc_trees(s, &trees, st)) < 0 || (r = gc_blobs(s, &blobs, st)) < 0)
		err_sys(e, -r, "image store %s: gc", s->dir);
	store_remove_stale_tmps(s, "refs");
out:
	flock(s->lockfd, LOCK_SH);
	free(m);
	free(imgs);
	free(blobs.h);
	free(trees.h);
	return r;
}
