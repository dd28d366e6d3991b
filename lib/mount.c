/* The sandbox root, built with the new mount API (fsopen, open_tree,
 * move_mount): every target is resolved inside the new root with
 * RESOLVE_IN_ROOT, so a symlink in a lower directory or a --bind target can
 * never point a mount at the host's tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/openat2.h>

#include "mount.h"
#include "util.h"

/* From <linux/mount.h>, which clashes with <sys/mount.h>. */
#define FSOPEN_CLOEXEC		0x1
#define FSMOUNT_CLOEXEC		0x1
#define FSCONFIG_SET_FLAG	0
#define FSCONFIG_SET_STRING	1
#define FSCONFIG_CMD_CREATE	6
#define MOVE_MOUNT_F_EMPTY_PATH	0x4
#define MOVE_MOUNT_T_EMPTY_PATH	0x40
#define OPEN_TREE_CLONE		1
#define OPEN_TREE_CLOEXEC	O_CLOEXEC
#define MOUNT_ATTR_RDONLY	0x1
#define MOUNT_ATTR_NOSUID	0x2
#define MOUNT_ATTR_NODEV	0x4
#define MOUNT_ATTR_NOEXEC	0x8
struct mount_attr_k { uint64_t attr_set, attr_clr, propagation, userns_fd; };

static int sys_fsopen(const char *fs) { return (int)syscall(SYS_fsopen, fs, FSOPEN_CLOEXEC); }
static int sys_fsconfig(int fd, unsigned cmd, const char *k, const void *v)
{ return (int)syscall(SYS_fsconfig, fd, cmd, k, v, 0); }
static int sys_fsmount(int fd, unsigned attr) { return (int)syscall(SYS_fsmount, fd, FSMOUNT_CLOEXEC, attr); }
static int sys_open_tree(int dfd, const char *p, unsigned fl) { return (int)syscall(SYS_open_tree, dfd, p, fl); }
static int sys_move_mount(int from, int to)
{
	return (int)syscall(SYS_move_mount, from, "", to, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}
static int set_readonly(int mfd)
{
	struct mount_attr_k a = { .attr_set = MOUNT_ATTR_RDONLY };
	return (int)syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a));
}

/* Docker's masked and read-only paths. */
static const char *const masked[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	"/sys/devices/virtual/powercap",
};
static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static const struct { const char *name; unsigned maj, min; } devices[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct { const char *name, *target; } dev_links[] = {
	{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" }, { "core", "/proc/kcore" },
};

/* A new superblock of type fs, configured with "key=value" / "flag"
 * strings, mounted detached; returns the mount fd. */
static int fs_new(const char *fs, const char *const *opts, unsigned attr, struct err *e)
{
	int fd = sys_fsopen(fs);
	if (fd < 0)
		return err_sys(e, errno, "fsopen %s", fs);
	for (; opts && *opts; opts++) {
		char key[64];
		const char *eq = strchr(*opts, '=');
		int r;
		if (eq) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - *opts), *opts);
			r = sys_fsconfig(fd, FSCONFIG_SET_STRING, key, eq + 1);
		} else {
			r = sys_fsconfig(fd, FSCONFIG_SET_FLAG, *opts, NULL);
		}
		if (r < 0) {
			int saved = errno;
			close(fd);
			return err_sys(e, saved, "%s option %s", fs, *opts);
		}
	}
	if (sys_fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL) < 0) {
		int saved = errno;
		char log[200];
		ssize_t n = read(fd, log, sizeof(log) - 1);	/* the kernel's reason */
		close(fd);
		if (n > 2) {
			log[n - (log[n - 1] == '\n')] = 0;
			return err_set(e, saved, "mount %s: %s: %s", fs, log + 2, strerror(saved));
		}
		return err_sys(e, saved, "mount %s", fs);
	}
	int mfd = sys_fsmount(fd, attr);
	int saved = errno;
	close(fd);
	if (mfd < 0)
		return err_sys(e, saved, "fsmount %s", fs);
	return mfd;
}

static int create_in_root(int rootfd, const char *path, int want_dir);

static const struct open_how in_root = {
	.flags = O_PATH | O_CLOEXEC,
	.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
};

/* Opens path (absolute, inside the root rootfd) as O_PATH; with create,
 * makes the missing directories and, as the last component, a directory
 * (want_dir) or an empty file. Never leaves the root. */
static int open_in_root(int rootfd, const char *path, int create, int want_dir)
{
	int fd = (int)syscall(SYS_openat2, rootfd, path, &in_root, sizeof(in_root));
	if (fd >= 0 || errno != ENOENT || !create)
		return fd < 0 ? -errno : fd;
	return create_in_root(rootfd, path, want_dir);
}

/* open_in_root's way when path is missing, out of line: its PATH_MAX
 * buffer stays off the stack of the usual way. */
static __attribute__((noinline)) int create_in_root(int rootfd, const char *path, int want_dir)
{
	int fd;
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	char *slash = strrchr(buf, '/');
	const char *leaf = slash ? slash + 1 : buf;
	if (!*leaf)
		return -EINVAL;
	int parent;
	if (slash && slash != buf) {
		*slash = 0;
		parent = open_in_root(rootfd, buf, 1, 1);
	} else {
		parent = (int)syscall(SYS_openat2, rootfd, "/", &in_root, sizeof(in_root));
		if (parent < 0)
			parent = -errno;
	}
	if (parent < 0)
		return parent;
	int r;
	if (want_dir) {
		r = mkdirat(parent, leaf, 0755);
	} else {
		r = openat(parent, leaf, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (r >= 0)
			close(r);
	}
	close(parent);
	if (r < 0 && errno != EEXIST)
		return -errno;
	fd = (int)syscall(SYS_openat2, rootfd, path, &in_root, sizeof(in_root));
	return fd < 0 ? -errno : fd;
}

/* Attaches the detached mount mfd at path inside the root; consumes mfd. */
static int attach(int rootfd, int mfd, const char *path, int want_dir, struct err *e)
{
	int t = open_in_root(rootfd, path, 1, want_dir);
	if (t < 0) {
		close(mfd);
		return err_sys(e, -t, "mount target %s", path);
	}
	int r = sys_move_mount(mfd, t);
	int saved = errno;
	close(t);
	close(mfd);
	if (r < 0)
		return err_sys(e, saved, "mount on %s", path);
	return 0;
}

static int mount_sys(int rootfd, struct err *e)
{
	int mfd = fs_new("sysfs", NULL, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
			 MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
	if (mfd < 0 || attach(rootfd, mfd, "/sys", 1, e) < 0)
		return -e->code;
	return 0;
}

static int mount_proc_sys(const struct rootfs *r, int rootfd, struct err *e)
{
	int mfd = fs_new("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
	if (mfd < 0 || attach(rootfd, mfd, "/proc", 1, e) < 0)
		return -e->code;
	return r->sysfs && !r->sysfs_later ? mount_sys(rootfd, e) : 0;
}

/* A tmpfs /dev with the usual nodes, its own devpts and shm. */
static int mount_dev(int rootfd, struct err *e)
{
	static const char *const devopts[] = { "mode=755", "size=64k", NULL };
	static const char *const ptsopts[] = { "newinstance", "ptmxmode=0666", "mode=620", "gid=5", NULL };
	static const char *const shmopts[] = { "mode=1777", "size=64m", NULL };

	int mfd = fs_new("tmpfs", devopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, e);
	if (mfd < 0)
		return mfd;
	/* Fill it while detached: nothing else can see it yet. */
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		dev_t d = makedev(devices[i].maj, devices[i].min);
		if (mknodat(mfd, devices[i].name, S_IFCHR | 0666, d) == 0)
			continue;
		/* No CAP_MKNOD (a device cgroup, say): bind the host's node. */
		char host[32];
		snprintf(host, sizeof(host), "/dev/%s", devices[i].name);
		int fd = openat(mfd, devices[i].name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
		int src = sys_open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		int ok = fd >= 0 && src >= 0;
		if (fd >= 0)
			close(fd);
		if (ok) {
			int t = openat(mfd, devices[i].name, O_PATH | O_CLOEXEC);
			ok = t >= 0 && sys_move_mount(src, t) == 0;
			if (t >= 0)
				close(t);
		}
		if (src >= 0)
			close(src);
		if (!ok) {
			close(mfd);
			return err_sys(e, errno, "/dev/%s", devices[i].name);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i].target, mfd, dev_links[i].name) < 0) {
			int saved = errno;
			close(mfd);
			return err_sys(e, saved, "/dev/%s", dev_links[i].name);
		}
	if (mkdirat(mfd, "pts", 0755) < 0 || mkdirat(mfd, "shm", 01777) < 0) {
		int saved = errno;
		close(mfd);
		return err_sys(e, saved, "/dev");
	}
	if (attach(rootfd, mfd, "/dev", 1, e) < 0)
		return -e->code;
	mfd = fs_new("devpts", ptsopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, e);
	if (mfd < 0 || attach(rootfd, mfd, "/dev/pts", 1, e) < 0)
		return -e->code;
	mfd = fs_new("tmpfs", shmopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
	if (mfd < 0 || attach(rootfd, mfd, "/dev/shm", 1, e) < 0)
		return -e->code;
	return 0;
}

static int mount_files(const struct rootfs *r, int rootfd, const char *scratch, struct err *e)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct rootfs_file *f = &r->files[i];
		char path[PATH_MAX];
		const char *src = f->host;
		if (f->text) {
			snprintf(path, sizeof(path), "%s/file%zu", scratch, i);
			int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			int r2 = fd < 0 ? -errno : write_all(fd, f->text, strlen(f->text));
			if (fd >= 0)
				close(fd);
			if (r2 < 0)
				return err_sys(e, -r2, "write %s", f->path);
			src = path;
		}
		int mfd = sys_open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mfd < 0 && errno == ENOENT && !f->text)
			continue;
		if (mfd < 0 || set_readonly(mfd) < 0) {
			int saved = errno;
			if (mfd >= 0)
				close(mfd);
			return err_sys(e, saved, "bind %s", f->path);
		}
		if (attach(rootfd, mfd, f->path, 0, e) < 0)
			return -e->code;
	}
	return 0;
}

static int mount_user_ops(const struct rootfs *r, int rootfd, struct err *e)
{
	static const char *const tmpopts[] = { "mode=755", NULL };

	for (size_t i = 0; i < r->nops; i++) {
		const struct mount_op *o = &r->ops[i];
		int mfd, dir = 1;
		if (o->kind == MOUNT_BIND) {
			struct stat st;
			mfd = (int)syscall(SYS_fcntl, o->fd, F_DUPFD_CLOEXEC, 0);
			if (mfd < 0 || fstat(mfd, &st) < 0)
				return err_sys(e, errno, "bind %s", o->src);
			dir = S_ISDIR(st.st_mode);
		} else {
			mfd = fs_new("tmpfs", tmpopts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
			if (mfd < 0)
				return mfd;
		}
		if (o->ro && set_readonly(mfd) < 0) {
			int saved = errno;
			close(mfd);
			return err_sys(e, saved, "read-only %s", o->dst);
		}
		if (attach(rootfd, mfd, o->dst, dir, e) < 0)
			return -e->code;
	}
	return 0;
}

/* sys: only the masked paths under /sys (1), all but those (0), or all
 * (-1). */
static int mount_masks(int rootfd, int sys, struct err *e)
{
	static const char *const maskopts[] = { "mode=500", NULL };
	int empty = -1;	/* the one empty read-only tmpfs, once attached */

	for (size_t i = 0; i < ARRAY_SIZE(masked); i++) {
		if (sys >= 0 && (strncmp(masked[i], "/sys/", 5) == 0) != sys)
			continue;
		int t = open_in_root(rootfd, masked[i], 0, 0);
		if (t < 0)
			continue;	/* not on this kernel */
		struct stat st;
		int mfd = -1, dir = fstat(t, &st) == 0 && S_ISDIR(st.st_mode);
		/* Every masked directory shows the same empty tmpfs: one
		 * superblock, cloned once it is attached (a detached mount
		 * cannot be cloned before Linux 6.15). */
		if (dir && empty >= 0)
			mfd = sys_open_tree(empty, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		else if (dir)
			mfd = fs_new("tmpfs", maskopts, MOUNT_ATTR_RDONLY, e);
		else
			mfd = sys_open_tree(rootfd, "dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mfd < 0 || sys_move_mount(mfd, t) < 0) {
			int saved = errno;
			close(t);
			if (mfd >= 0)
				close(mfd);
			if (empty >= 0)
				close(empty);
			return err_sys(e, saved, "mask %s", masked[i]);
		}
		if (dir && empty < 0)
			empty = mfd;
		else
			close(mfd);
		close(t);
	}
	if (empty >= 0)
		close(empty);
	for (size_t i = 0; i < ARRAY_SIZE(readonly) && sys != 1; i++) {
		int t = open_in_root(rootfd, readonly[i], 0, 0);
		if (t < 0)
			continue;
		int mfd = sys_open_tree(t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					AT_EMPTY_PATH | AT_RECURSIVE);
		if (mfd < 0 || set_readonly(mfd) < 0 || sys_move_mount(mfd, t) < 0) {
			int saved = errno;
			close(t);
			if (mfd >= 0)
				close(mfd);
			return err_sys(e, saved, "read-only %s", readonly[i]);
		}
		close(mfd);
		close(t);
	}
	return 0;
}

static int is_prefix_dir(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	return !strncmp(dir, path, n) && (path[n] == '/' || path[n] == 0);
}

/* Where the scratch tmpfs goes, in this mount namespace only. When / is a
 * mount point we make the whole tree a slave and take any directory that
 * does not hide the lower. When / is not (a chroot) its mount cannot be made
 * a slave, so mounting anywhere in it would propagate to the host: take a
 * mount point below / that we can make a slave, or refuse. */
static int pick_scratch(const char *lower, const char **where, int *root_slave, struct err *e)
{
	static const char *const cands[] = { "/tmp", "/run", "/mnt", "/var/tmp", "/dev", "/media", "/srv" };

	*root_slave = mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0;
	if (!*root_slave && errno != EINVAL)
		return err_sys(e, errno, "make / a slave mount");
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
		struct stat st;
		if (is_prefix_dir(cands[i], lower) || stat(cands[i], &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!*root_slave && mount(NULL, cands[i], NULL, MS_REC | MS_SLAVE, NULL) < 0)
			continue;
		*where = cands[i];
		return 0;
	}
	if (*root_slave)
		return err_set(e, ENOENT, "no directory for the scratch mount (want /tmp or /run)");
	return err_set(e, EINVAL, "/ is not a mount point and no mount under it can be made "
		       "private; mount a tmpfs on /tmp first");
}

int rootfs_open_sources(struct rootfs *r, struct err *e)
{
	for (size_t i = 0; i < r->nops; i++) {
		struct mount_op *o = &r->ops[i];
		if (o->kind != MOUNT_BIND)
			continue;
		o->fd = sys_open_tree(AT_FDCWD, o->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (o->fd < 0)
			return err_sys(e, errno, "bind source %s", o->src);
	}
	return 0;
}

int rootfs_enter(const struct rootfs *r, enum root_switch *how, struct err *e)
{
	const char *scratch = NULL;
	int root_slave;
	char sizeopt[48];

	if (pick_scratch(r->lower, &scratch, &root_slave, e) < 0)
		return -e->code;

	snprintf(sizeopt, sizeof(sizeopt), "size=%llu", (unsigned long long)r->upper_size);
	const char *const upopts[] = { "mode=755", sizeopt, NULL };
	int sfd = fs_new("tmpfs", upopts, 0, e);
	if (sfd < 0)
		return sfd;
	if (mkdirat(sfd, "upper", 0755) < 0 || mkdirat(sfd, "work", 0755) < 0 ||
	    mkdirat(sfd, "root", 0755) < 0) {
		close(sfd);
		return err_sys(e, errno, "scratch tmpfs");
	}
	int t = open(scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t < 0 || sys_move_mount(sfd, t) < 0) {
		int saved = errno;
		close(sfd);
		if (t >= 0)
			close(t);
		return err_sys(e, saved, "scratch mount on %s", scratch);
	}
	close(sfd);
	close(t);

	/* scratch is one of pick_scratch's short names */
	char up[64], wk[64], rt[64];
	snprintf(up, sizeof(up), "upperdir=%s/upper", scratch);
	snprintf(wk, sizeof(wk), "workdir=%s/work", scratch);
	snprintf(rt, sizeof(rt), "%s/root", scratch);
	/* on the heap: a PATH_MAX buffer here would widen the frame of every
	 * call below (each new stack page is a fault) */
	size_t olen = strlen(r->lower) + sizeof("lowerdir=");
	char *opt = malloc(olen);
	if (!opt)
		return err_sys(e, ENOMEM, "overlay");
	snprintf(opt, olen, "lowerdir=%s", r->lower);
	const char *const ovlopts[] = { opt, up, wk, NULL };
	int ofd = fs_new("overlay", ovlopts, 0, e);
	free(opt);
	if (ofd < 0)
		return ofd;
	t = open(rt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t < 0 || sys_move_mount(ofd, t) < 0) {
		int saved = errno;
		close(ofd);
		if (t >= 0)
			close(t);
		return err_sys(e, saved, "overlay mount on %s", rt);
	}
	close(ofd);
	close(t);

	int rootfd = open(rt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(e, errno, "open %s", rt);
	int ret = mount_proc_sys(r, rootfd, e);
	if (!ret)
		ret = mount_dev(rootfd, e);
	if (!ret)
		ret = mount_files(r, rootfd, scratch, e);
	if (!ret)
		ret = mount_user_ops(r, rootfd, e);
	if (!ret)
		ret = mount_masks(rootfd, r->sysfs_later ? 0 : -1, e);
	if (!ret && fchdir(rootfd) < 0)
		ret = err_sys(e, errno, "chdir %s", rt);
	close(rootfd);
	if (ret)
		return ret;

	/* pivot_root(".", ".") stacks the old root under the new one; detach it. */
	if (!r->no_pivot && syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0)
			return err_sys(e, errno, "detach the old root");
		*how = ROOT_PIVOT;
	} else if (!r->no_pivot && errno != EINVAL) {
		return err_sys(e, errno, "pivot_root");
	} else {
		/* An initramfs root or a chroot: switch_root's way. Moving onto a
		 * root whose mount we could not make a slave would propagate. */
		if (root_slave && mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return err_sys(e, errno, "move the new root onto /");
		if (chroot(".") < 0)
			return err_sys(e, errno, "chroot");
		*how = ROOT_CHROOT;
	}
	if (chdir("/") < 0)
		return err_sys(e, errno, "chdir /");
	return 0;
}

int rootfs_enter_sys(const struct rootfs *r, struct err *e)
{
	if (!r->sysfs || !r->sysfs_later)
		return 0;
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(e, errno, "open /");
	int ret = mount_sys(rootfd, e);
	if (!ret)
		ret = mount_masks(rootfd, 1, e);
	close(rootfd);
	return ret;
}

int mount_op_parse(char *spec, enum mount_kind kind, bool ro, struct mount_op *m, struct err *e)
{
	*m = (struct mount_op){ .kind = kind, .ro = ro, .fd = -1, .src = spec, .dst = spec };
	if (kind == MOUNT_BIND) {
		char *dst = strchr(spec, ':');
		if (dst) {
			*dst++ = 0;
			char *flag = strchr(dst, ':');
			if (flag) {
				*flag++ = 0;
				if (strcmp(flag, "ro") && strcmp(flag, "rw"))
					return err_set(e, EINVAL, "bad bind flag '%s' (want ro or rw)", flag);
				m->ro = ro || !strcmp(flag, "ro");
			}
			m->dst = dst;
		}
		if (!*m->src || !*m->dst)
			return err_set(e, EINVAL, "bad bind spec (want SRC[:DST[:ro]])");
	}
	if (m->dst[0] != '/')
		return err_set(e, EINVAL, "mount target '%s' must be an absolute path", m->dst);
	return 0;
}

/* *p with every symlink resolved, as realpath(3) gives it (musl's is 1.4
 * KB): the kernel's name for the file opened with O_PATH. */
static int canon(const char **p, const char *what, struct err *e)
{
	char link[32], buf[PATH_MAX];
	int fd = open(*p, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s %s", what, *p);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	int r = n < 0 ? errno : n == 0 || buf[0] != '/' ? ENOENT : 0;
	close(fd);
	if (r)
		return err_sys(e, r, "%s %s", what, *p);
	buf[n] = 0;
	char *c = strdup(buf);
	if (!c)
		return err_sys(e, ENOMEM, "%s %s", what, *p);
	*p = c;
	return 0;
}

int rootfs_validate(struct rootfs *r, struct err *e)
{
	struct stat st;

	/* "/" is its own name: no need to ask the kernel */
	if (strcmp(r->lower, "/") && canon(&r->lower, "root", e) < 0)
		return -e->code;
	if (stat(r->lower, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(e, ENOTDIR, "root %s: not a directory", r->lower);
	/* overlayfs takes ':' ',' and '\' in lowerdir as syntax. */
	if (strpbrk(r->lower, ":,\\"))
		return err_set(e, EINVAL, "root %s: ':', ',' and '\\' cannot be used in the path", r->lower);
	for (size_t i = 0; i < r->nops; i++) {
		struct mount_op *o = &r->ops[i];
		o->fd = -1;
		if (o->dst[0] != '/')
			return err_set(e, EINVAL, "mount target %s: not an absolute path", o->dst);
		if (strlen(o->dst) >= PATH_MAX)
			return err_set(e, ENAMETOOLONG, "mount target: too long");
		if (o->kind == MOUNT_BIND && canon(&o->src, "bind source", e) < 0)
			return -e->code;
	}
	return 0;
}
