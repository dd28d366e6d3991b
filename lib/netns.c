#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include "netns.h"
#include "util.h"

#define SELF_NET "/proc/thread-self/ns/net"

bool netns_valid_name(const char *name)
{
	return valid_name(name, 64);
}

/* The iproute2 dance: make /run/netns a shared mount point so that netns
 * mounts propagate into mount namespaces made later (ip netns exec).
 * Unlike iproute2, not recursively: the netns mounts made under a shared
 * mount are shared already, and MS_REC walks every one of them on every
 * add (a cost that grows with the number of netns). */
static int shared_run_dir(struct err *e)
{
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return err_sys(e, errno, "mkdir %s", NETNS_RUN_DIR);
	for (int tried_bind = 0;; tried_bind = 1) {
		if (mount("", NETNS_RUN_DIR, "none", MS_SHARED, NULL) == 0)
			return 0;
		if (errno != EINVAL || tried_bind)
			return err_sys(e, errno, "make %s a shared mount", NETNS_RUN_DIR);
		/* Not a mount point yet: bind it onto itself, then share it. */
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
			return err_sys(e, errno, "bind mount %s", NETNS_RUN_DIR);
	}
}

int netns_add(const char *name, struct err *e)
{
	char path[128];
	int r;

	if (!netns_valid_name(name))
		return err_set(e, EINVAL, "bad netns name '%s'", name);
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	if ((r = shared_run_dir(e)) < 0)
		return r;

	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, errno, "netns %s", name);
	close(fd);

	int self = open(SELF_NET, O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		r = err_sys(e, errno, "netns %s: open %s", name, SELF_NET);
		unlink(path);
		return r;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		r = err_sys(e, errno, "netns %s: unshare", name);
		close(self);
		unlink(path);
		return r;
	}
	r = 0;
	if (mount(SELF_NET, path, "none", MS_BIND, NULL) < 0)
		r = err_sys(e, errno, "netns %s: bind mount", name);
	if (setns(self, CLONE_NEWNET) < 0 && r == 0)
		r = err_sys(e, errno, "netns %s: return to own netns", name);
	close(self);
	if (r < 0) {
		umount2(path, MNT_DETACH);
		unlink(path);
	}
	return r;
}

int netns_del(const char *name, struct err *e)
{
	char path[128];
	struct stat st;

	if (!netns_valid_name(name))
		return err_set(e, EINVAL, "bad netns name '%s'", name);
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	if (lstat(path, &st) < 0)
		return err_sys(e, errno, "netns %s", name);
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
		return err_sys(e, errno, "netns %s: unmount", name);
	if (unlink(path) < 0)
		return err_sys(e, errno, "netns %s: unlink", name);
	return 0;
}

int netns_open(const char *spec, struct err *e)
{
	char path[128];
	const char *p = spec;
	size_t n = strlen(spec);

	if (n && strspn(spec, "0123456789") == n && n < 11) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", spec);
		p = path;
	} else if (!strchr(spec, '/')) {
		if (!netns_valid_name(spec))
			return err_set(e, EINVAL, "bad netns name '%s'", spec);
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, spec);
		p = path;
	}
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "netns %s", spec);
	/* A name whose mount is gone (or any other file) is not a netns. */
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != NSFS_MAGIC) {
		close(fd);
		return err_set(e, EINVAL, "netns %s: not a network namespace", spec);
	}
	return fd;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int netns_list(int (*fn)(const char *name, void *arg), void *arg, struct err *e)
{
	DIR *d = opendir(NETNS_RUN_DIR);
	if (!d)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s", NETNS_RUN_DIR);

	char **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !netns_valid_name(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn) {
				r = err_set(e, ENOMEM, "%s: out of memory", NETNS_RUN_DIR);
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = err_set(e, ENOMEM, "%s: out of memory", NETNS_RUN_DIR);
			break;
		}
		n++;
	}
	closedir(d);
	if (r == 0 && n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = fn(names[i], arg);
		free(names[i]);
	}
	free(names);
	return r;
}

int netns_run(int fd, int (*fn)(void *arg, struct err *e), void *arg, struct err *e)
{
	int self = open(SELF_NET, O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return err_sys(e, errno, "open %s", SELF_NET);
	if (setns(fd, CLONE_NEWNET) < 0) {
		int r = err_sys(e, errno, "enter netns");
		close(self);
		return r;
	}
	int r = fn(arg, e);
	if (setns(self, CLONE_NEWNET) < 0)
		r = err_sys(e, errno, "return to own netns");
	close(self);
	return r;
}
