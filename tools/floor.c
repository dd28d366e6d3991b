/* floor - the least code that does what `corral run true` does, as a
 * yardstick for the benchmark.
 *
 * usage: floor [-b] [CMD [ARG...]]     (CMD defaults to /bin/true)
 *
 * Default: clone into new mount, PID, UTS, IPC and network namespaces; in
 * the child make every mount private, put a tmpfs upper and work dir under
 * an overlay whose lower dir is the host /, mount /proc and a minimal /dev
 * (a tmpfs with bind-mounted device nodes), pivot_root into the overlay,
 * drop the old root and exec CMD. The parent waits and returns CMD's status.
 * -b: the bare namespace floor, the same clone followed by exec, nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)
#define SCRATCH "/tmp"		/* shadowed by our tmpfs, in our namespace only */
#define NEWROOT SCRATCH "/root"

static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

static void die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	_exit(125);
}

static void mnt(const char *src, const char *dst, const char *type,
		unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) < 0)
		die(dst);
}

static void make_root(void)
{
	char path[64];

	mnt(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	mnt("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64m");
	if (mkdir(SCRATCH "/upper", 0755) < 0 || mkdir(SCRATCH "/work", 0755) < 0 ||
	    mkdir(NEWROOT, 0755) < 0)
		die("mkdir " SCRATCH);
	mnt("overlay", NEWROOT, "overlay", 0,
	    "lowerdir=/,upperdir=" SCRATCH "/upper,workdir=" SCRATCH "/work");
	mnt("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mnt("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k");
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		snprintf(path, sizeof(path), NEWROOT "/dev/%s", devices[i]);
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0)
			die(path);
		close(fd);
		char src[32];
		snprintf(src, sizeof(src), "/dev/%s", devices[i]);
		mnt(src, path, NULL, MS_BIND, NULL);
	}
	/* pivot_root(".", "."): the old root ends up stacked on the new one,
	 * and a lazy unmount of "." then removes it. */
	if (chdir(NEWROOT) < 0)
		die(NEWROOT);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		die("umount old root");
	if (chdir("/") < 0)
		die("chdir /");
}

int main(int argc, char **argv)
{
	int bare = argc > 1 && !strcmp(argv[1], "-b");
	char **cmd = argv + 1 + bare;
	char *def[] = { "/bin/true", NULL };

	if (!*cmd)
		cmd = def;
	/* A fork-style clone: no stack to manage, the child returns here. */
	pid_t pid = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		die("clone");
	if (pid == 0) {
		if (!bare)
			make_root();
		execvp(cmd[0], cmd);
		die(cmd[0]);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
