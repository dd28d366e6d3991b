#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>

#include "nsjoin.h"
#include "proc.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name;
	int flag;
} ns_table[NS_COUNT] = {
	[NS_USER] = { "user", CLONE_NEWUSER },
	[NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
	[NS_IPC] = { "ipc", CLONE_NEWIPC },
	[NS_UTS] = { "uts", CLONE_NEWUTS },
	[NS_NET] = { "net", CLONE_NEWNET },
	[NS_PID] = { "pid", CLONE_NEWPID },
	[NS_MNT] = { "mnt", CLONE_NEWNS },
	[NS_TIME] = { "time", CLONE_NEWTIME },
};

const char *ns_name(enum ns_kind k)
{
	return ns_table[k].name;
}

int ns_flag(enum ns_kind k)
{
	return ns_table[k].flag;
}

void nsjoin_init(struct nsjoin *j)
{
	for (int k = 0; k < NS_COUNT; k++)
		j->fd[k] = -1;
}

void nsjoin_close(struct nsjoin *j)
{
	for (int k = 0; k < NS_COUNT; k++)
		if (j->fd[k] >= 0) {
			close(j->fd[k]);
			j->fd[k] = -1;
		}
}

unsigned nsjoin_mask(const struct nsjoin *j)
{
	unsigned m = 0;
	for (int k = 0; k < NS_COUNT; k++)
		if (j->fd[k] >= 0)
			m |= NS_BIT(k);
	return m;
}

int nsjoin_open(struct nsjoin *j, enum ns_kind k, const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "cannot open %s", path);
	if (j->fd[k] >= 0)
		close(j->fd[k]);
	j->fd[k] = fd;
	return 0;
}

static int gone(pid_t pid, struct err *e)
{
	return err_set(e, ESRCH, "process %d is gone (its pid now names another process)",
		       (int)pid);
}

int nsjoin_open_pid(struct nsjoin *j, pid_t pid, unsigned mask,
		    unsigned long long start, struct err *e)
{
	char path[64];

	if (start && proc_start_time(pid) != start)
		return gone(pid, e);
	for (int k = 0; k < NS_COUNT; k++) {
		if (!(mask & NS_BIT(k)) || j->fd[k] >= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_table[k].name);
		int r = nsjoin_open(j, (enum ns_kind)k, path, e);
		if (r < 0)
			return r;
	}
	/* Still the same process now, so it was alive for every open. */
	if (start && proc_start_time(pid) != start)
		return gone(pid, e);
	return 0;
}

int nsjoin_enter(struct nsjoin *j, struct err *e)
{
	for (int pass = 0; pass < 2; pass++)
		for (int k = pass ? NS_USER : NS_USER + 1; k < NS_COUNT; k++) {
			if (j->fd[k] < 0)
				continue;
			if (setns(j->fd[k], ns_table[k].flag) < 0) {
				if (pass)
					return err_sys(e, errno,
						       "reassociate to namespace 'ns/%s' failed",
						       ns_table[k].name);
				continue;
			}
			close(j->fd[k]);
			j->fd[k] = -1;
		}
	return 0;
}

int ns_supported(enum ns_kind k)
{
	char path[32];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_table[k].name);
	return !(stat(path, &st) < 0 && errno == ENOENT);
}

int ns_same(pid_t pid, enum ns_kind k, struct err *e)
{
	char path[64];
	struct stat self, other;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_table[k].name);
	if (stat(path, &self) < 0)
		return err_sys(e, errno, "stat of %s failed", path);
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_table[k].name);
	if (stat(path, &other) < 0)
		return err_sys(e, errno, "stat of %s failed", path);
	return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}
