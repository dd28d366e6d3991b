#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "json.h"
#include "layer.h"
#include "store.h"
#include "util.h"

#define MANIFEST_MAX (4u << 20)

const char *store_default_dir(void)
{
	const char *d = getenv("CORRAL_IMAGES");
	return d && *d ? d : STORE_DEFAULT_DIR;
}

bool digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7))
		return false;
	for (int i = 0; i < 64; i++) {
		char c = d[7 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return d[71] == 0;
}

static int bad_digest(struct err *e, const char *d)
{
	return err_set(e, EINVAL, "bad digest \"%.80s\": want sha256: and 64 lowercase hex digits",
		       d ? d : "");
}

static int mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = 0;
		int r = mkdir(path, mode) < 0 && errno != EEXIST ? -errno : 0;
		*p = c;
		if (r < 0)
			return r;
		if (!c)
			return 0;
	}
}

int store_open(struct store *s, const char *dir, struct err *e)
{
	static const char *const sub[] = { "blobs", STORE_BLOBS, "rootfs", "refs" };
	memset(s, 0, sizeof(*s));
	s->dirfd = s->lockfd = -1;
	if (!dir)
		dir = store_default_dir();
	if (dir[0] != '/')
		return err_set(e, EINVAL, "image store %s: not an absolute path", dir);
	if (strlen(dir) >= sizeof(s->dir) - 200)
		return err_set(e, ENAMETOOLONG, "image store %.64s...: path too long", dir);
	strcpy(s->dir, dir);
	int r = mkdir_p(s->dir, 0700);
	if (r < 0)
		return err_sys(e, -r, "image store %s", dir);
	s->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return err_sys(e, errno, "image store %s", dir);
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++)
		if (mkdirat(s->dirfd, sub[i], 0700) < 0 && errno != EEXIST) {
			r = err_sys(e, errno, "image store %s/%s", dir, sub[i]);
			goto fail;
		}
	s->lockfd = openat(s->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0 || flock(s->lockfd, LOCK_SH) < 0) {
		r = err_sys(e, errno, "image store %s/.lock", dir);
		goto fail;
	}
	return 0;
fail:
	store_close(s);
	return r;
}

void store_close(struct store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->lockfd = s->dirfd = -1;
}

/* "blobs/sha256/<prefix><hex>" */
static void blob_rel(char *buf, size_t n, const char *prefix, const char *digest)
{
	snprintf(buf, n, STORE_BLOBS "/%s%s", prefix, digest + 7);
}

int store_has_blob(struct store *s, const char *digest)
{
	char rel[128];
	struct stat st;
	if (!digest_valid(digest))
		return -EINVAL;
	blob_rel(rel, sizeof(rel), "", digest);
	return fstatat(s->dirfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode);
}

int store_blob_open(struct store *s, const char *digest, struct err *e)
{
	char rel[128];
	if (!digest_valid(digest))
		return bad_digest(e, digest);
	blob_rel(rel, sizeof(rel), "", digest);
	int fd = openat(s->dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "blob %s", digest);
	return fd;
}

int store_blob_read(struct store *s, const char *digest, size_t max,
		    char **out, size_t *len, struct err *e)
{
	char path[PATH_MAX];
	int r = store_blob_path(s, digest, path, sizeof(path), e);
	if (r < 0)
		return r;
	r = read_file(path, max, out, len, e);
	if (r < 0)
		err_sys(e, -r, "blob %s", digest);
	return r;
}

int store_blob_path(struct store *s, const char *digest, char *buf, size_t n, struct err *e)
{
	if (!digest_valid(digest))
		return bad_digest(e, digest);
	if ((size_t)snprintf(buf, n, "%s/" STORE_BLOBS "/%s", s->dir, digest + 7) >= n)
		return err_set(e, ENAMETOOLONG, "blob %s: path too long", digest);
	return 0;
}

static void hex(const unsigned char *h, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[h[i] >> 4];
		out[2 * i + 1] = x[h[i] & 15];
	}
	out[2 * n] = 0;
}

int store_blob_begin(struct store *s, const char *digest, int64_t expect,
		     struct blob_writer *w, struct err *e)
{
	char rel[128];
	struct stat st, st2;
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (!digest_valid(digest))
		return bad_digest(e, digest);
	w->s = s;
	strcpy(w->digest, digest);
	w->expect = expect;
	blob_rel(rel, sizeof(rel), ".partial-", digest);
	for (;;) {
		w->fd = openat(s->dirfd, rel, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (w->fd < 0)
			return err_sys(e, errno, "blob %s", digest);
		if (flock(w->fd, LOCK_EX | LOCK_NB) < 0) {
			int r = errno == EWOULDBLOCK
				? err_set(e, EBUSY, "blob %s: another process is writing it", digest)
				: err_sys(e, errno, "blob %s: lock", digest);
			close(w->fd);
			w->fd = -1;
			return r;
		}
		/* The holder we waited for may have renamed or removed it. */
		if (fstat(w->fd, &st) == 0 && fstatat(s->dirfd, rel, &st2, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_ino == st2.st_ino && st.st_dev == st2.st_dev)
			break;
		close(w->fd);
	}
	br_sha256_init(&w->sha);
	if (expect >= 0 && st.st_size > expect) {
		if (ftruncate(w->fd, 0) < 0) {
			int r = err_sys(e, errno, "blob %s: truncate", digest);
			store_blob_abort(w, false);
			return r;
		}
		return 0;
	}
	/* Resuming: hash what is there. */
	unsigned char buf[16384];
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = err_sys(e, errno, "blob %s: read", digest);
			store_blob_abort(w, true);
			return r;
		}
		if (n == 0)
			break;
		br_sha256_update(&w->sha, buf, (size_t)n);
		w->size += (uint64_t)n;
	}
	return 0;
}

int blob_write(struct blob_writer *w, const void *buf, size_t len, struct err *e)
{
	if (w->expect >= 0 && w->size + len > (uint64_t)w->expect)
		return err_set(e, EFBIG, "blob %s: more than the %lld bytes its descriptor names",
			       w->digest, (long long)w->expect);
	if (write_all(w->fd, buf, len) < 0)
		return err_sys(e, errno, "blob %s: write", w->digest);
	br_sha256_update(&w->sha, buf, len);
	w->size += len;
	write_behind(w->fd, &w->behind, w->size);
	return 0;
}

int blob_restart(struct blob_writer *w, struct err *e)
{
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return err_sys(e, errno, "blob %s: truncate", w->digest);
	br_sha256_init(&w->sha);
	w->size = w->behind = 0;
	return 0;
}

void store_blob_abort(struct blob_writer *w, bool keep)
{
	if (w->fd < 0)
		return;
	if (!keep) {
		char rel[128];
		blob_rel(rel, sizeof(rel), ".partial-", w->digest);
		unlinkat(w->s->dirfd, rel, 0);
	}
	close(w->fd);
	w->fd = -1;
}

static void fsync_dir(struct store *s, const char *rel)
{
	int fd = openat(s->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int store_blob_commit(struct blob_writer *w, struct err *e)
{
	unsigned char sum[32];
	char got[65], partial[128], final[128];
	int r;

	if (w->fd < 0)
		return err_set(e, EINVAL, "blob %s: not being written", w->digest);
	blob_rel(partial, sizeof(partial), ".partial-", w->digest);
	blob_rel(final, sizeof(final), "", w->digest);
	if (w->expect >= 0 && w->size != (uint64_t)w->expect) {
		r = err_set(e, EBADMSG, "blob %s: %llu bytes, want %lld", w->digest,
			    (unsigned long long)w->size, (long long)w->expect);
		store_blob_abort(w, false);
		return r;
	}
	br_sha256_out(&w->sha, sum);
	hex(sum, sizeof(sum), got);
	if (strcmp(got, w->digest + 7)) {
		r = err_set(e, EBADMSG, "blob %s: digest mismatch (got sha256:%s)", w->digest, got);
		store_blob_abort(w, false);
		return r;
	}
	if (fchmod(w->fd, 0444) < 0 || fsync(w->fd) < 0 ||
	    renameat(w->s->dirfd, partial, w->s->dirfd, final) < 0) {
		r = err_sys(e, errno, "blob %s: commit", w->digest);
		store_blob_abort(w, false);
		return r;
	}
	fsync_dir(w->s, STORE_BLOBS);
	close(w->fd);
	w->fd = -1;
	return 0;
}

/* ---- manifests ---- */

static int layer_type(const char *mt, bool *gzip)
{
	static const char *const gz[] = {
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
	};
	*gzip = false;
	if (!*mt || !strcmp(mt, "application/vnd.oci.image.layer.v1.tar"))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(gz); i++)
		if (!strcmp(mt, gz[i])) {
			*gzip = true;
			return 0;
		}
	return -ENOTSUP;
}

int manifest_parse(const char *text, size_t len, struct manifest *m, struct err *e)
{
	struct json j;
	char mt[128];
	int r = json_parse(&j, text, len, e);
	if (r < 0)
		return e ? err_prefix(e, "manifest") : r;
	memset(m, 0, sizeof(*m));
	r = -EINVAL;
	if (json_type(&j, 0) != JSON_OBJECT) {
		err_set(e, EINVAL, "manifest: not a JSON object");
		goto out;
	}
	mt[0] = 0;
	int t = json_get(&j, 0, "mediaType");
	if (t >= 0 && json_str(&j, t, mt, sizeof(mt), NULL) < 0)
		mt[0] = 0;
	if (json_get(&j, 0, "manifests") >= 0 || strstr(mt, "index") || strstr(mt, "list")) {
		err_set(e, EINVAL, "manifest: is an index or manifest list, not an image manifest");
		goto out;
	}
	int64_t sv;
	if (json_i64(&j, json_get(&j, 0, "schemaVersion"), &sv, NULL) < 0 || sv != 2) {
		err_set(e, EINVAL, "manifest: schemaVersion is not 2 (schema 1 is not supported)");
		goto out;
	}
	int cfg = json_get(&j, 0, "config");
	if (json_str(&j, json_get(&j, cfg, "digest"), m->config, sizeof(m->config), NULL) < 0 ||
	    !digest_valid(m->config)) {
		err_set(e, EINVAL, "manifest: config has no valid sha256 digest");
		goto out;
	}
	int ls = json_get(&j, 0, "layers");
	int n = json_len(&j, ls);
	if (json_type(&j, ls) != JSON_ARRAY) {
		err_set(e, EINVAL, "manifest: no layers array");
		goto out;
	}
	if (n > MANIFEST_MAX_LAYERS) {
		err_set(e, E2BIG, "manifest: %d layers, at most %d are supported", n, MANIFEST_MAX_LAYERS);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int l = json_at(&j, ls, i);
		if (json_str(&j, json_get(&j, l, "digest"), m->layers[i].digest,
			     sizeof(m->layers[i].digest), NULL) < 0 || !digest_valid(m->layers[i].digest)) {
			err_set(e, EINVAL, "manifest: layer %d has no valid sha256 digest", i);
			goto out;
		}
		if (json_i64(&j, json_get(&j, l, "size"), &m->layers[i].size, NULL) < 0 ||
		    m->layers[i].size < 0)
			m->layers[i].size = -1;
		mt[0] = 0;
		t = json_get(&j, l, "mediaType");
		if (t >= 0 && json_str(&j, t, mt, sizeof(mt), NULL) < 0)
			strcpy(mt, "(unreadable)");
		if (layer_type(mt, &m->layers[i].gzip) < 0) {
			err_set(e, ENOTSUP, "manifest: layer %d has media type %s; only tar and tar+gzip layers are supported",
				i, mt);
			r = -ENOTSUP;
			goto out;
		}
	}
	m->nlayers = n;
	r = 0;
out:
	json_free(&j);
	return r;
}

int store_manifest(struct store *s, const char *digest, struct manifest *m, struct err *e)
{
	char *text;
	size_t len;
	int r = store_blob_read(s, digest, MANIFEST_MAX, &text, &len, e);
	if (r < 0)
		return r;
	r = manifest_parse(text, len, m, e);
	free(text);
	return r;
}

/* ---- rootfs trees ---- */

int store_has_rootfs(struct store *s, const char *digest)
{
	char rel[128];
	struct stat st;
	if (!digest_valid(digest))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "rootfs/%s", digest + 7);
	return fstatat(s->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int store_rootfs_path(struct store *s, const char *digest, char *buf, size_t n, struct err *e)
{
	if (!digest_valid(digest))
		return bad_digest(e, digest);
	if ((size_t)snprintf(buf, n, "%s/rootfs/%s", s->dir, digest + 7) >= n)
		return err_set(e, ENAMETOOLONG, "rootfs %s: path too long", digest);
	return 0;
}

bool store_stale_tmp(const char *name)
{
	if (strncmp(name, ".tmp-", 5))
		return false;
	const char *dash = strrchr(name, '-');
	if (!dash || dash == name + 4)
		return false;
	char *end;
	long pid = strtol(dash + 1, &end, 10);
	if (*end || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

void store_remove_stale_tmps(struct store *s, const char *sub)
{
	DIR *d = opendir_at(s->dirfd, sub, 0);
	if (!d)
		return;
	int fd = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (store_stale_tmp(de->d_name))
			remove_tree(fd, de->d_name, STORE_MAX_DEPTH);
	closedir(d);
}

int store_rootfs_build(struct store *s, const char *digest, struct err *e)
{
	struct manifest *m;
	char tmp[128], final[128];
	int r;

	if (!digest_valid(digest))
		return bad_digest(e, digest);
	if (store_has_rootfs(s, digest) == 1)
		return 0;
	store_remove_stale_tmps(s, "rootfs");
	m = malloc(sizeof(*m));
	if (!m)
		return err_set(e, ENOMEM, "rootfs %s: out of memory", digest);
	if ((r = store_manifest(s, digest, m, e)) < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "rootfs/.tmp-%s-%d", digest + 7, (int)getpid());
	snprintf(final, sizeof(final), "rootfs/%s", digest + 7);
	remove_tree(s->dirfd, tmp, STORE_MAX_DEPTH);
	if (mkdirat(s->dirfd, tmp, 0755) < 0) {
		r = err_sys(e, errno, "rootfs %s", digest);
		goto out;
	}
	int root = openat(s->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0) {
		r = err_sys(e, errno, "rootfs %s", digest);
		goto fail;
	}
	for (int i = 0; i < m->nlayers && r == 0; i++) {
		int fd = store_blob_open(s, m->layers[i].digest, e);
		if (fd < 0) {
			r = fd;
			break;
		}
		r = layer_unpack_fd(fd, root, NULL, e);
		close(fd);
		if (r < 0 && e) {
			char msg[sizeof(e->msg)];
			memcpy(msg, e->msg, sizeof(msg));
			snprintf(e->msg, sizeof(e->msg), "layer %.19s...: %.200s", m->layers[i].digest, msg);
		}
	}
	if (r == 0 && syncfs(root) < 0)
		r = err_sys(e, errno, "rootfs %s: sync", digest);
	close(root);
	if (r < 0)
		goto fail;
	if (renameat(s->dirfd, tmp, s->dirfd, final) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY) {	/* built meanwhile by another pull */
			r = 0;
			goto fail;
		}
		r = err_sys(e, errno, "rootfs %s: rename", digest);
		goto fail;
	}
	fsync_dir(s, "rootfs");
	goto out;
fail:
	remove_tree(s->dirfd, tmp, STORE_MAX_DEPTH);
out:
	free(m);
	return r;
}

/* ---- refs ---- */

bool ref_valid(const char *ref)
{
	size_t n = ref ? strlen(ref) : 0;
	if (n == 0 || n > REF_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ref[i] <= ' ' || (unsigned char)ref[i] >= 0x7f)
			return false;
	return true;
}

static int ref_rel(const char *ref, char *buf, size_t n, struct err *e)
{
	unsigned char sum[32];
	char h[65];
	br_sha256_context c;
	if (!ref_valid(ref))
		return err_set(e, EINVAL, "bad image reference \"%.80s\"", ref ? ref : "");
	br_sha256_init(&c);
	br_sha256_update(&c, ref, strlen(ref));
	br_sha256_out(&c, sum);
	hex(sum, sizeof(sum), h);
	snprintf(buf, n, "refs/%s.json", h);
	return 0;
}

int store_ref_set(struct store *s, const char *ref, const char *digest, struct err *e)
{
	char rel[128], tmp[160];
	int r = ref_rel(ref, rel, sizeof(rel), e);
	if (r < 0)
		return r;
	if (!digest_valid(digest))
		return bad_digest(e, digest);
	struct jw w;
	jw_init(&w, false);
	jw_obj(&w);
	jw_key(&w, "ref");
	jw_str(&w, ref);
	jw_key(&w, "digest");
	jw_str(&w, digest);
	jw_key(&w, "time");
	jw_i64(&w, (int64_t)time(NULL));
	jw_obj_end(&w);
	size_t len;
	const char *text = jw_done(&w, &len);
	if (!text) {
		jw_free(&w);
		return err_set(e, ENOMEM, "ref %s: out of memory", ref);
	}
	snprintf(tmp, sizeof(tmp), "refs/.tmp-%d-%s", (int)getpid(), rel + 5);
	int fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = err_sys(e, errno, "ref %s", ref);
	} else {
		if (write_all(fd, text, len) < 0 || fsync(fd) < 0)
			r = err_sys(e, errno, "ref %s: write", ref);
		close(fd);
		if (!r && renameat(s->dirfd, tmp, s->dirfd, rel) < 0)
			r = err_sys(e, errno, "ref %s: rename", ref);
		if (r)
			unlinkat(s->dirfd, tmp, 0);
		else
			fsync_dir(s, "refs");
	}
	jw_free(&w);
	return r;
}

static int read_at(int dfd, const char *rel, size_t max, char **out, size_t *len)
{
	int fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *buf = malloc(max + 1);
	size_t n = 0;
	int r = buf ? 0 : -ENOMEM;
	while (!r) {
		ssize_t k = read(fd, buf + n, max + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		else if (k == 0)
			break;
		else if ((n += (size_t)k) > max)
			r = -EFBIG;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

/* Reads refs/<name> into img. */
static int ref_load(struct store *s, const char *name, struct store_image *img, struct err *e)
{
	char path[128], *text = NULL;
	size_t len = 0;
	struct json j;
	snprintf(path, sizeof(path), "refs/%.80s", name);
	int r = read_at(s->dirfd, path, 65536, &text, &len);
	if (r < 0)
		return err_sys(e, -r, "ref file %s/%s", s->dir, path);
	memset(img, 0, sizeof(*img));
	r = json_parse(&j, text, len, e);
	if (r == 0) {
		if (json_str(&j, json_get(&j, 0, "ref"), img->ref, sizeof(img->ref), NULL) < 0 ||
		    json_str(&j, json_get(&j, 0, "digest"), img->digest, sizeof(img->digest), NULL) < 0 ||
		    !digest_valid(img->digest) || !ref_valid(img->ref))
			r = err_set(e, EINVAL, "ref file %s: no valid ref and digest", path);
		json_i64(&j, json_get(&j, 0, "time"), &img->time, NULL);
		json_free(&j);
	}
	free(text);
	return r;
}

int store_ref_get(struct store *s, const char *ref, char *digest, struct err *e)
{
	char rel[128];
	struct store_image img;
	int r = ref_rel(ref, rel, sizeof(rel), e);
	if (r < 0)
		return r;
	if ((r = ref_load(s, rel + 5, &img, e)) < 0) {
		if (r == -ENOENT)
			return err_set(e, ENOENT, "image %s: not in the store (pull it first)", ref);
		return r;
	}
	if (strcmp(img.ref, ref))
		return err_set(e, EINVAL, "ref file %s: names %s, not %s", rel, img.ref, ref);
	strcpy(digest, img.digest);
	return 0;
}

static bool is_ref_file(const char *n)
{
	size_t l = strlen(n);
	return l == 64 + 5 && !strcmp(n + 64, ".json") && n[0] != '.';
}

static int cmp_image(const void *a, const void *b)
{
	return strcmp(((const struct store_image *)a)->ref, ((const struct store_image *)b)->ref);
}

int store_list(struct store *s, struct store_image **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir_at(s->dirfd, "refs", 0);
	if (!d)
		return err_sys(e, errno, "image store %s/refs", s->dir);
	struct store_image *v = NULL;
	size_t cnt = 0, cap = 0;
	struct manifest *m = malloc(sizeof(*m));
	struct dirent *de;
	int r = m ? 0 : err_set(e, ENOMEM, "image store: out of memory");
	while (!r && (de = readdir(d))) {
		if (!is_ref_file(de->d_name))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			struct store_image *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				r = err_set(e, ENOMEM, "image store: out of memory");
				break;
			}
			v = nv;
		}
		if (ref_load(s, de->d_name, &v[cnt], NULL) < 0)
			continue;	/* one unreadable ref hides no other */
		if (store_manifest(s, v[cnt].digest, m, NULL) == 0)
			for (int i = 0; i < m->nlayers; i++)
				if (m->layers[i].size > 0)
					v[cnt].size += (uint64_t)m->layers[i].size;
		v[cnt].unpacked = store_has_rootfs(s, v[cnt].digest) == 1;
		cnt++;
	}
	closedir(d);
	free(m);
	if (r < 0) {
		free(v);
		return r;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_image);
	*out = v;
	*n = cnt;
	return 0;
}

int store_rmi(struct store *s, const char *ref, struct err *e)
{
	char rel[128];
	int r = ref_rel(ref, rel, sizeof(rel), e);
	if (r < 0)
		return r;
	if (unlinkat(s->dirfd, rel, 0) < 0) {
		if (errno == ENOENT)
			return err_set(e, ENOENT, "image %s: not in the store", ref);
		return err_sys(e, errno, "image %s", ref);
	}
	fsync_dir(s, "refs");
	/* While another process uses the store, its blobs wait for the next gc. */
	r = store_gc(s, NULL, e);
	return r == -EBUSY ? 0 : r;
}
