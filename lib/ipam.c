#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "ipam.h"
#include "proc.h"
#include "util.h"

/* The state dir of IPAM: one file per leased address under
 * <root>/ipam/NETWORK/, the subnet, and a lock whose content is the
 * address last handed out. The text of leases and owners is
 * lib/ipam_lease.c. */

#define TMP_PREFIX ".tmp-"

struct netdir {
	char path[PATH_MAX];
	char root[PATH_MAX];
	int dir, lock;
};


static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;
			*p = 0;
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static void nd_close(struct netdir *d)
{
	if (d->lock >= 0)
		close(d->lock);	/* drops the flock */
	if (d->dir >= 0)
		close(d->dir);
	d->lock = d->dir = -1;
}

static int same_file(int fd, int dirfd, const char *name)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Opens and locks <root>/ipam/NAME. gc may remove an empty network dir
 * with its lock file, so after flock we check that both are still the
 * ones on disk, and start again if not. */
static int nd_open(const struct ipam_net *n, int create, struct netdir *d, struct err *e)
{
	d->dir = d->lock = -1;
	if (!n->name || !valid_name(n->name, IPAM_NAME_MAX))
		return err_set(e, EINVAL, "bad network name '%s'", n->name ? n->name : "");
	const char *root = state_root(n->root);
	if (root[0] != '/')
		return err_set(e, EINVAL, "state root '%s' is not an absolute path", root);
	if ((size_t)snprintf(d->root, sizeof(d->root), "%s", root) >= sizeof(d->root) ||
	    (size_t)snprintf(d->path, sizeof(d->path), "%s/ipam/%s", root, n->name) >=
		    sizeof(d->path))
		return err_set(e, ENAMETOOLONG, "ipam %s: path too long", n->name);

	for (int tries = 0; tries < 100; tries++) {
		/* the dir is there but for a network's first lease */
		d->dir = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d->dir < 0 && errno == ENOENT && create) {
			int r = mkdir_p(d->path, 0700);
			if (r < 0)
				return err_sys(e, -r, "ipam %s: mkdir %s", n->name, d->path);
			d->dir = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (d->dir < 0) {
			if (errno == ENOENT && !create)
				return err_set(e, ENOENT, "ipam network %s does not exist", n->name);
			return err_sys(e, errno, "ipam %s: open %s", n->name, d->path);
		}
		d->lock = openat(d->dir, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (d->lock < 0) {
			int saved = errno;
			nd_close(d);
			if (saved == ENOENT)	/* dir removed under us */
				continue;
			return err_sys(e, saved, "ipam %s: lock", n->name);
		}
		while (flock(d->lock, LOCK_EX) < 0) {
			if (errno != EINTR) {
				int saved = errno;
				nd_close(d);
				return err_sys(e, saved, "ipam %s: flock", n->name);
			}
		}
		struct stat a, b;
		if (same_file(d->lock, d->dir, "lock") && fstat(d->dir, &a) == 0 &&
		    stat(d->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return 0;
		nd_close(d);
	}
	return err_set(e, EAGAIN, "ipam %s: lock keeps moving", n->name);
}

/* Reads a small file of the network dir; -ENOENT when absent. */
static int read_small(int dirfd, const char *name, char *buf, size_t cap, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (st.st_size >= (off_t)cap) {	/* too long to be ours */
		close(fd);
		return -EFBIG;
	}
	/* up to the size fstat saw (our files are replaced whole, never
	 * grown in place): one read, not a second one to meet the end */
	size_t n = 0;
	while ((off_t)n < st.st_size) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			close(fd);
			return -saved;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return 0;
}

/* temp + fsync + rename; the caller fsyncs the dir once at the end. */
static int write_atomic(int dirfd, const char *name, const char *text)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	return 0;
}

/* The address last handed out, where the next search starts: kept in the
 * lock file (open and locked anyway), a fixed-width line "ADDR...\n";
 * one pread and one pwrite where a file of its own took eight calls.
 * A dir from before keeps it in `last`, read until the lock has one.
 * 0 when there is none or it does not parse. */
#define LAST_LEN 16
static uint32_t read_last(struct netdir *d)
{
	char lb[32];
	size_t len = 0;
	uint32_t last = 0;
	ssize_t n = pread(d->lock, lb, LAST_LEN, 0);
	if (n == LAST_LEN)
		len = (size_t)n;
	else if (read_small(d->dir, "last", lb, sizeof(lb), &len) < 0)
		len = 0;
	if (len && lb[len - 1] == '\n') {
		while (len > 1 && (lb[len - 1] == '\n' || lb[len - 1] == ' '))
			len--;
		lb[len] = 0;
		if (ipam_parse_addr(lb, &last, NULL) < 0)
			last = 0;
	}
	return last;
}

/* The pid of o is the process it names: same boot, same start time. */
static int pid_is(const struct ipam_owner *o)
{
	uint64_t start;
	static char now[37];	/* fixed for the life of the process */
	if (o->boot[0]) {
		if (!now[0])
			ipam_boot_id(now);
		if (now[0] && strcmp(now, o->boot))
			return 0;	/* recorded in another boot */
	}
	int r = proc_pid_start(o->pid, &start);
	if (r < 0 && r != -ESRCH)
		return 1;	/* cannot tell: keep it */
	return r == 0 && start == o->start;
}

static int owner_live(const char *root, const struct ipam_owner *o)
{
	if (o->kind == IPAM_OWNER_SANDBOX) {
		char path[PATH_MAX];
		struct stat st;
		if ((size_t)snprintf(path, sizeof(path), "%s/sandboxes/%s", root, o->sandbox) <
			    sizeof(path) &&
		    lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 1;
		/* its creator may still be making the state dir */
		return o->pid > 0 && pid_is(o);
	}
	if (o->kind == IPAM_OWNER_PID)
		return pid_is(o);
	return o->kind == IPAM_OWNER_CONTAINER;	/* until its DEL or GC */
}

static int owner_eq(const struct ipam_owner *a, const struct ipam_owner *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == IPAM_OWNER_SANDBOX)
		return !strcmp(a->sandbox, b->sandbox);
	if (a->kind == IPAM_OWNER_CONTAINER)
		return !strcmp(a->sandbox, b->sandbox) && !strcmp(a->ifname, b->ifname);
	return a->pid == b->pid && (a->start == b->start || !b->start);
}

/* Lease at name: 1 with *o when the file parses, 0 when it is junk,
 * -ENOENT when there is none. */
static int lease_read(int dirfd, const char *name, struct ipam_owner *o)
{
	char buf[IPAM_LEASE_MAX + 1];
	size_t len;
	int r = read_small(dirfd, name, buf, sizeof(buf), &len);
	if (r == -ENOENT)
		return r;
	memset(o, 0, sizeof(*o));
	if (r < 0 || ipam_parse_lease(buf, len, o) < 0) {
		o->kind = IPAM_OWNER_NONE;
		return 0;
	}
	return 1;
}

static int read_subnet(int dirfd, struct ipam_subnet *sn, uint32_t *gw)
{
	char buf[64], cidr[32], g[32];
	size_t len;
	int r = read_small(dirfd, "subnet", buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	if (len == 0 || buf[len - 1] != '\n')
		return -EINVAL;
	buf[len - 1] = 0;
	char *sp = strchr(buf, ' ');
	if (!sp || (size_t)(sp - buf) >= sizeof(cidr) || strlen(sp + 1) >= sizeof(g))
		return -EINVAL;
	memcpy(cidr, buf, (size_t)(sp - buf));
	cidr[sp - buf] = 0;
	strcpy(g, sp + 1);
	if (ipam_parse_cidr(cidr, sn, NULL) < 0 || ipam_parse_addr(g, gw, NULL) < 0 ||
	    sn->prefix > IPAM_MAX_PREFIX || !ipam_contains(sn, *gw))
		return -EINVAL;
	return 0;
}

static int is_lease_name(const char *name, uint32_t *a)
{
	return name[0] >= '0' && name[0] <= '9' && ipam_parse_addr(name, a, NULL) == 0;
}

/* Walks the lease files; fn returns <0 to stop with an error. */
static int each_lease(struct netdir *d, int (*fn)(struct netdir *, const char *, uint32_t, void *),
		      void *arg)
{
	DIR *dir = opendir_at(d->dir, ".", 0);
	if (!dir)
		return -errno;
	struct dirent *de;
	int r = 0;
	while ((de = readdir(dir))) {
		uint32_t a;
		if (!is_lease_name(de->d_name, &a))
			continue;
		r = fn(d, de->d_name, a, arg);
		if (r < 0)
			break;
	}
	closedir(dir);
	return r;
}

static int gc_one(struct netdir *d, const char *name, uint32_t a, void *arg)
{
	struct ipam_owner o;
	(void)a;
	if (lease_read(d->dir, name, &o) < 0)
		return 0;
	if (!owner_live(d->root, &o) && unlinkat(d->dir, name, 0) == 0)
		++*(int *)arg;
	return 0;
}

static int count_one(struct netdir *d, const char *name, uint32_t a, void *arg)
{
	(void)d, (void)name, (void)a;
	++*(int *)arg;
	return 0;
}

static void remove_temps(struct netdir *d)
{
	DIR *dir = opendir_at(d->dir, ".", 0);
	if (!dir)
		return;
	struct dirent *de;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
			unlinkat(d->dir, de->d_name, 0);	/* we hold the lock: stale */
	closedir(dir);
}

static const char *owner_str(const struct ipam_owner *o, char *buf, size_t n)
{
	if (o->kind == IPAM_OWNER_SANDBOX)
		snprintf(buf, n, "sandbox %s", o->sandbox);
	else if (o->kind == IPAM_OWNER_PID)
		snprintf(buf, n, "pid %d", (int)o->pid);
	else if (o->kind == IPAM_OWNER_CONTAINER)
		snprintf(buf, n, "container %s %s", o->sandbox, o->ifname);
	else
		snprintf(buf, n, "nobody");
	return buf;
}

/* 1 when a is free or held by a gone owner, 0 when a live owner has it. */
static int addr_free(struct netdir *d, uint32_t a, struct ipam_owner *holder)
{
	char name[16];
	ipam_fmt_addr(a, name);
	int r = lease_read(d->dir, name, holder);
	if (r == -ENOENT)
		return 1;
	struct stat st;
	if (r == 0 && fstatat(d->dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		return 0;	/* a lease cannot replace a directory: skip it */
	return !owner_live(d->root, holder);
}

int ipam_alloc(const struct ipam_net *n, const struct ipam_owner *o, uint32_t want,
	       uint32_t *addr, struct err *e)
{
	struct netdir d;
	struct ipam_subnet sn = n->subnet, rec;
	uint32_t gw = n->gateway, rec_gw;
	char lease[IPAM_LEASE_MAX], cidr[20], buf[16], ob[96];
	int r;

	if (ipam_format_lease(o, lease, sizeof(lease)) < 0)
		return err_set(e, EINVAL, "ipam %s: bad lease owner", n->name ? n->name : "");
	if (sn.prefix && (sn.prefix > IPAM_MAX_PREFIX || sn.prefix < IPAM_MIN_PREFIX ||
			  !ipam_contains(&sn, sn.net)))
		return err_set(e, EINVAL, "ipam %s: subnet must be /%d to /%d", n->name,
			       IPAM_MIN_PREFIX, IPAM_MAX_PREFIX);
	if ((r = nd_open(n, 1, &d, e)) < 0)
		return r;

	int have_rec = read_subnet(d.dir, &rec, &rec_gw) == 0;
	if (!sn.prefix) {
		if (!have_rec) {
			r = err_set(e, EINVAL, "ipam %s: no subnet recorded; give one", n->name);
			goto out;
		}
		sn = rec;
		if (!gw)
			gw = rec_gw;
	}
	if (!gw)
		gw = sn.net + 1;
	ipam_fmt_cidr(&sn, cidr);
	if (!ipam_contains(&sn, gw) || gw == sn.net || gw == ipam_broadcast(&sn)) {
		ipam_fmt_addr(gw, buf);
		r = err_set(e, EINVAL, "ipam %s: gateway %s is not a host of %s", n->name, buf, cidr);
		goto out;
	}
	if (!have_rec || rec.net != sn.net || rec.prefix != sn.prefix || rec_gw != gw) {
		/* a network changes its subnet only when nothing live is leased */
		int gone = 0, left = 0;
		each_lease(&d, gc_one, &gone);
		each_lease(&d, count_one, &left);
		if (have_rec && left) {
			char old[20];
			ipam_fmt_cidr(&rec, old);
			r = err_set(e, EEXIST, "ipam %s: network uses %s, not %s (%d leases live)",
				    n->name, old, cidr, left);
			goto out;
		}
		char text[64];
		ipam_fmt_addr(gw, buf);
		snprintf(text, sizeof(text), "%s %s\n", cidr, buf);
		if ((r = write_atomic(d.dir, "subnet", text)) < 0) {
			r = err_sys(e, -r, "ipam %s: write subnet", n->name);
			goto out;
		}
	}

	struct ipam_owner holder;
	uint32_t a = 0;
	if (want) {
		ipam_fmt_addr(want, buf);
		if (!ipam_contains(&sn, want) || want == sn.net || want == ipam_broadcast(&sn) ||
		    want == gw) {
			r = err_set(e, EINVAL, "ipam %s: %s is not a free host of %s", n->name, buf,
				    cidr);
			goto out;
		}
		if (!addr_free(&d, want, &holder) && !owner_eq(&holder, o)) {
			r = err_set(e, EADDRINUSE, "ipam %s: %s is leased to %s", n->name, buf,
				    owner_str(&holder, ob, sizeof(ob)));
			goto out;
		}
		a = want;
	} else {
		uint32_t last = read_last(&d);
		uint32_t first = ipam_next(&sn, gw, last), c = first;
		while (c) {
			if (addr_free(&d, c, &holder)) {
				a = c;
				break;
			}
			c = ipam_next(&sn, gw, c);
			if (c == first)
				break;
		}
		if (!a) {
			r = err_set(e, ENOSPC, "ipam %s: no free address in %s", n->name, cidr);
			goto out;
		}
	}
	ipam_fmt_addr(a, buf);
	if ((r = write_atomic(d.dir, buf, lease)) < 0) {
		r = err_sys(e, -r, "ipam %s: lease %s", n->name, buf);
		goto out;
	}
	if (!want) {	/* a hint only: a torn write just starts the next search over */
		char text[LAST_LEN + 1];
		snprintf(text, sizeof(text), "%-*s\n", LAST_LEN - 1, buf);
		(void)!pwrite(d.lock, text, LAST_LEN, 0);
	}
	fsync(d.dir);	/* the renames */
	*addr = a;
	r = 0;
out:
	nd_close(&d);
	return r;
}

struct release_arg {
	const struct ipam_owner *o;
	int count;
};

static int release_one(struct netdir *d, const char *name, uint32_t a, void *arg)
{
	struct release_arg *ra = arg;
	struct ipam_owner o;
	(void)a;
	if (lease_read(d->dir, name, &o) > 0 && owner_eq(&o, ra->o) && unlinkat(d->dir, name, 0) == 0)
		ra->count++;
	return 0;
}

int ipam_release(const struct ipam_net *n, uint32_t addr, const struct ipam_owner *o,
		 int *count, struct err *e)
{
	struct netdir d;
	struct release_arg ra = { .o = o };
	int r = nd_open(n, 0, &d, e);

	if (count)
		*count = 0;
	if (r == -ENOENT)
		return 0;	/* nothing was ever leased there */
	if (r < 0)
		return r;
	if (addr) {
		char name[16];
		ipam_fmt_addr(addr, name);
		if (unlinkat(d.dir, name, 0) == 0)
			ra.count++;
		else if (errno != ENOENT)
			r = err_sys(e, errno, "ipam %s: release %s", n->name, name);
	}
	if (r == 0 && o) {
		r = each_lease(&d, release_one, &ra);
		if (r < 0)
			r = err_sys(e, -r, "ipam %s: read leases", n->name);
	}
	if (count)
		*count = ra.count;
	nd_close(&d);
	return r;
}

int ipam_release_owned(const struct ipam_net *n, uint32_t addr, const struct ipam_owner *o,
		       struct err *e)
{
	struct netdir d;
	struct ipam_owner cur;
	char name[16];
	int r = nd_open(n, 0, &d, e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	ipam_fmt_addr(addr, name);
	if (lease_read(d.dir, name, &cur) > 0 && owner_eq(&cur, o) &&
	    unlinkat(d.dir, name, 0) < 0 && errno != ENOENT)
		r = err_sys(e, errno, "ipam %s: release %s", n->name, name);
	nd_close(&d);
	return r;
}

struct list_arg {
	struct ipam_lease *v;
	size_t n, cap;
};

static int list_one(struct netdir *d, const char *name, uint32_t a, void *arg)
{
	struct list_arg *la = arg;
	struct ipam_owner o;
	if (lease_read(d->dir, name, &o) < 0)
		return 0;
	if (la->n == la->cap) {
		size_t cap = la->cap ? la->cap * 2 : 16;
		struct ipam_lease *v = realloc(la->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		la->v = v;
		la->cap = cap;
	}
	la->v[la->n].addr = a;
	la->v[la->n].owner = o;
	la->v[la->n].live = owner_live(d->root, &o);
	la->n++;
	return 0;
}

static int lease_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct ipam_lease *)a)->addr, y = ((const struct ipam_lease *)b)->addr;
	return x < y ? -1 : x > y;
}

int ipam_list(const struct ipam_net *n, struct ipam_lease **out, size_t *count, struct err *e)
{
	struct netdir d;
	struct list_arg la = { 0 };
	int r = nd_open(n, 0, &d, e);

	*out = NULL;
	*count = 0;
	if (r < 0)
		return r;
	r = each_lease(&d, list_one, &la);
	nd_close(&d);
	if (r < 0) {
		free(la.v);
		return err_sys(e, -r, "ipam %s: read leases", n->name);
	}
	if (la.n)
		qsort(la.v, la.n, sizeof(*la.v), lease_cmp);
	*out = la.v;
	*count = la.n;
	return 0;
}

int ipam_subnet_get(const struct ipam_net *n, struct ipam_subnet *sn, uint32_t *gw, struct err *e)
{
	struct netdir d;
	int r = nd_open(n, 0, &d, e);
	if (r < 0)
		return r;
	r = read_subnet(d.dir, sn, gw);
	nd_close(&d);
	if (r < 0)
		return err_set(e, ENOENT, "ipam %s: no subnet recorded", n->name);
	return 0;
}

int ipam_gc(const struct ipam_net *n, int *reclaimed, struct err *e)
{
	struct netdir d;
	int gone = 0, r = nd_open(n, 0, &d, e);

	if (reclaimed)
		*reclaimed = 0;
	if (r < 0)
		return r;
	remove_temps(&d);
	r = each_lease(&d, gc_one, &gone);
	nd_close(&d);
	if (reclaimed)
		*reclaimed = gone;
	if (r < 0)
		return err_sys(e, -r, "ipam %s: read leases", n->name);
	return 0;
}

/* Under the lock: drops the network's dir when no lease is left. Waiters
 * on the old lock notice (nd_open checks) and start again. */
static void drop_if_empty(struct netdir *d)
{
	int left = 0;
	if (each_lease(d, count_one, &left) < 0 || left)
		return;
	unlinkat(d->dir, "last", 0);
	unlinkat(d->dir, "subnet", 0);
	unlinkat(d->dir, "lock", 0);
	rmdir(d->path);	/* fails, harmlessly, if anything else is in there */
}

int ipam_gc_all(const char *root, int *reclaimed, struct err *e)
{
	char path[PATH_MAX];
	int total = 0;

	if (reclaimed)
		*reclaimed = 0;
	root = state_root(root);
	if ((size_t)snprintf(path, sizeof(path), "%s/ipam", root) >= sizeof(path))
		return err_set(e, ENAMETOOLONG, "ipam: path too long");
	DIR *dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : err_sys(e, errno, "ipam: open %s", path);
	struct dirent *de;
	int r = 0;
	while ((de = readdir(dir))) {
		if (!valid_name(de->d_name, IPAM_NAME_MAX))
			continue;
		struct ipam_net n = { .root = root, .name = de->d_name };
		struct netdir d;
		int gone = 0;
		if (nd_open(&n, 0, &d, NULL) < 0)
			continue;
		remove_temps(&d);
		each_lease(&d, gc_one, &gone);
		total += gone;
		drop_if_empty(&d);
		nd_close(&d);
	}
	closedir(dir);
	if (reclaimed)
		*reclaimed = total;
	return r;
}
