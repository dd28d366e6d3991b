/* Named netns and switching through the library, in a private network and
 * mount namespace with its own /run (so nothing reaches the host). Needs
 * root: skipped otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/if.h>

#include "netns.h"
#include "nl.h"
#include "rtnl.h"
#include "t.h"

static ino_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static ino_t fd_ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

static int seen_ns(void *arg, struct err *e)
{
	(void)e;
	*(ino_t *)arg = ino_of("/proc/thread-self/ns/net");
	return 7;
}

static int count_name(const char *name, void *arg)
{
	if (!strcmp(name, "u1"))
		(*(int *)arg)++;
	return 0;
}

static int find_lo(const struct rtnl_link *l, void *arg)
{
	if (!strcmp(l->name, "lo"))
		*(unsigned *)arg = l->flags | 0x80000000u;
	return 0;
}

TEST(netns_add_open_run_del)
{
	struct err e = { 0 };
	ino_t self = ino_of("/proc/thread-self/ns/net");

	CHECK_INT(netns_add("u1", &e), 0);
	CHECK_INT(netns_add("u1", &e), -EEXIST);
	CHECK_STR(e.msg, "netns u1: File exists");
	CHECK_INT(ino_of("/proc/thread-self/ns/net"), self);	/* we stayed home */

	int fd = netns_open("u1", &e);
	CHECK(fd >= 0);
	CHECK(fd_ino(fd) != self);
	int n = 0;
	CHECK_INT(netns_list(count_name, &n, &e), 0);
	CHECK_INT(n, 1);

	ino_t there = 0;
	CHECK_INT(netns_run(fd, seen_ns, &there, &e), 7);
	CHECK_INT(there, fd_ino(fd));
	CHECK_INT(ino_of("/proc/thread-self/ns/net"), self);

	/* A socket opened inside the netns works on its links. */
	struct nl nl;
	CHECK_INT(nl_open_in(&nl, NETLINK_ROUTE, fd, &e), 0);
	CHECK_INT(ino_of("/proc/thread-self/ns/net"), self);
	int idx = 0;
	CHECK_INT(rtnl_link_index(&nl, "lo", &idx, &e), 0);
	CHECK_INT(idx, 1);
	CHECK_INT(rtnl_link_up(&nl, 1, &e), 0);
	unsigned flags = 0;
	CHECK_INT(rtnl_link_list(&nl, find_lo, &flags, &e), 0);
	CHECK(flags & IFF_UP);
	nl_close(&nl);

	/* Deleting while we hold it: the name goes, the netns lives on. */
	CHECK_INT(netns_del("u1", &e), 0);
	CHECK(access("/run/netns/u1", F_OK) < 0);
	CHECK_INT(nl_open_in(&nl, NETLINK_ROUTE, fd, &e), 0);
	CHECK_INT(rtnl_link_index(&nl, "lo", &idx, &e), 0);
	nl_close(&nl);
	close(fd);
	CHECK_INT(netns_del("u1", &e), -ENOENT);
}

TEST(netns_names_and_specs_are_checked)
{
	struct err e = { 0 };
	CHECK_INT(netns_add("../x", &e), -EINVAL);
	CHECK_INT(netns_add("", &e), -EINVAL);
	CHECK_INT(netns_add("a/b", &e), -EINVAL);
	CHECK_INT(netns_del(".hidden", &e), -EINVAL);
	CHECK_INT(netns_open("nope", &e), -ENOENT);
	CHECK_STR(e.msg, "netns nope: No such file or directory");
	CHECK_INT(netns_open("/proc/self/status", &e), -EINVAL);	/* not a netns */
	int fd = netns_open("/proc/self/ns/net", &e);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fd = netns_open(pid, &e);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	if (geteuid() != 0) {
		puts("skip - test_netns: needs root");
		return 0;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("test", "/run", "tmpfs", 0, "mode=0755") < 0) {
		printf("skip - test_netns: cannot make private namespaces: %s\n", strerror(errno));
		return 0;
	}
	RUN(netns_add_open_run_del);
	RUN(netns_names_and_specs_are_checked);
	DONE();
}
