/* The initramfs into a tmpfs, as switch_root(8) does: see switchroot.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <linux/magic.h>

#include "switchroot.h"

static int copy_file(int from, int to, const char *name, const struct stat *st)
{
	int s = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0)
		return -errno;
	int d = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 07777);
	if (d < 0) {
		int r = -errno;
		close(s);
		return r;
	}
	off_t left = st->st_size;
	int r = 0;
	while (left > 0) {
		ssize_t n = sendfile(d, s, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		left -= n;
	}
	close(s);
	close(d);
	return r;
}

/* Copies the tree under from into to; skips other filesystems (dev). */
static int copy_tree(int from, int to, dev_t dev, const char *path, struct err *e)
{
	int dfd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d)
		return err_sys(e, errno, "open %s", path);
	struct dirent *de;
	int r = 0;
	while (!r && (de = readdir(d))) {
		const char *n = de->d_name;
		struct stat st;
		char sub[PATH_MAX];
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", strcmp(path, "/") ? path : "", n);
		if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = err_sys(e, errno, "stat %s", sub);
			break;
		}
		if (st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(to, n, st.st_mode & 07777) < 0 && errno != EEXIST) {
				r = err_sys(e, errno, "mkdir %s", sub);
				break;
			}
			int f = openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int t = openat(to, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (f < 0 || t < 0)
				r = err_sys(e, errno, "open %s", sub);
			else
				r = copy_tree(f, t, dev, sub, e);
			if (f >= 0)
				close(f);
			if (t >= 0)
				close(t);
		} else {
			int c;
			if (S_ISREG(st.st_mode)) {
				c = copy_file(from, to, n, &st);
			} else if (S_ISLNK(st.st_mode)) {
				char target[PATH_MAX];
				ssize_t l = readlinkat(from, n, target, sizeof(target) - 1);
				if (l >= 0)
					target[l] = 0;
				c = l < 0 || symlinkat(target, to, n) < 0 ? -errno : 0;
			} else {
				c = mknodat(to, n, st.st_mode, st.st_rdev) < 0 ? -errno : 0;
			}
			if (c < 0) {
				r = err_sys(e, -c, "copy %s", sub);
				break;
			}
		}
		fchownat(to, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		if (!S_ISLNK(st.st_mode))
			fchmodat(to, n, st.st_mode & 07777, 0);
		const struct timespec times[2] = { st.st_atim, st.st_mtim };
		utimensat(to, n, times, AT_SYMLINK_NOFOLLOW);
	}
	closedir(d);
	return r;
}

/* Removes the tree under fd on filesystem dev, as far as it can: the
 * initramfs's memory, once its copy is complete. */
static void remove_tree(int fd, dev_t dev)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				remove_tree(sub, dev);
				close(sub);
			}
			unlinkat(fd, de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(fd, de->d_name, 0);
		}
	}
	closedir(d);
}

int switchroot_tmpfs(const char *newroot, struct err *e)
{
	struct stat st;
	struct statfs sf;
	/* As switch_root(8): only an initramfs (ramfs or tmpfs holding /init)
	 * is copied and then emptied. */
	if (statfs("/", &sf) < 0 || (sf.f_type != RAMFS_MAGIC && sf.f_type != TMPFS_MAGIC) ||
	    access("/init", F_OK) < 0)
		return err_set(e, EINVAL, "/ is not an initramfs (ramfs or tmpfs with /init)");
	if (stat("/", &st) < 0)
		return err_sys(e, errno, "stat /");
	if (mkdir(newroot, 0755) < 0 && errno != EEXIST)
		return err_sys(e, errno, "mkdir %s", newroot);
	if (mount("tmpfs", newroot, "tmpfs", 0, "mode=0755") < 0)
		return err_sys(e, errno, "mount tmpfs on %s", newroot);
	int from = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int to = open(newroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0 || to < 0) {
		int r = err_sys(e, errno, "open / or %s", newroot);
		if (from >= 0)
			close(from);
		if (to >= 0)
			close(to);
		return r;
	}
	/* Copy all, then delete: a failed copy leaves the initramfs whole. */
	mode_t um = umask(0);
	int r = copy_tree(from, to, st.st_dev, "/", e);
	umask(um);
	close(to);
	if (r < 0) {
		close(from);
		umount2(newroot, MNT_DETACH);
		return r;
	}
	remove_tree(from, st.st_dev);
	close(from);
	if (chdir(newroot) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return err_sys(e, errno, "switch to the tmpfs root");
	return 0;
}
