/* Starting a pod sandbox's pause: cloned in our memory (pause_clone), or
 * exec'd when it must join a cgroup, and recorded in the sandbox's
 * `pause` mark before it is ready, so that a crash leaves gc a pid. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "pause_idle.h"
#include "pause_start.h"
#include "proc.h"
#include "state.h"

/* In the pause child, before exec: any failure is written to fd as text. */
static __attribute__((noreturn)) void child_fail(int fd, const char *what, int code)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s: %s", what, strerror(code));
	if (write(fd, buf, (size_t)n) < 0)
		_exit(PAUSE_EXIT_FAIL);
	_exit(PAUSE_EXIT_FAIL);
}

/* pause_child's exit status when exec failed for the cgroup's memory. */
#define PAUSE_NOMEM 3

static __attribute__((noreturn)) void pause_child(int ready, int netfd, const struct cgroup *cg,
						  const char *hostname, const char *exe)
{
	struct err e;
	if (setsid() < 0 || chdir("/") < 0)	/* pin no mount with a cwd */
		child_fail(ready, "setsid", errno);
	if (netfd >= 0 && setns(netfd, CLONE_NEWNET) < 0)
		child_fail(ready, "setns net", errno);
	if (sethostname(hostname, strlen(hostname)) < 0)
		child_fail(ready, "sethostname", errno);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		child_fail(ready, "/dev/null", errno);
	/* The readiness pipe as fd 3, the one fd pause keeps. */
	if (ready == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(ready, 3) < 0)
		child_fail(ready, "readiness pipe", errno);
	/* and none of the fds our caller left open without O_CLOEXEC */
	proc_close_from(4);
	/* Last, so that a memory limit too small for pause meets pause's own
	 * pages: the kernel's objects of the steps above are charged here. */
	if (cg && cgroup_attach(cg, 0, &e) < 0) {
		if (write(3, e.msg, strlen(e.msg)) < 0)
			_exit(PAUSE_EXIT_FAIL);
		_exit(PAUSE_EXIT_FAIL);
	}
	char *argv[] = { "pause", "--ready-fd", "3", NULL };
	char *envp[] = { NULL };
	/* By its path, so that ps shows corral (comm of /proc/self/exe is "exe"). */
	if (exe[0])
		execve(exe, argv, envp);
	execve("/proc/self/exe", argv, envp);
	/* In the cgroup, the kernel's objects of a new process may not fit
	 * the memory limit: then even the message would not. */
	if (errno == ENOMEM && cg)
		_exit(PAUSE_NOMEM);
	child_fail(3, "exec /proc/self/exe", errno);
}

struct pause_args {
	int ready, netfd;
	const struct cgroup *cg;
	const char *hostname, *exe;
};

static int pause_child_main(void *p)
{
	const struct pause_args *a = p;
	pause_child(a->ready, a->netfd, a->cg, a->hostname, a->exe);
}

static pid_t pause_clone_life(unsigned long flags, const int ready[2], int netfd, const char *host);
static int record(const char *root, const char *id, const struct cgroup *cg, pid_t pid,
		  const int p[2], struct pause_proc *pp, struct err *e);

int pause_start(const char *root, const char *id, unsigned long flags, int netfd,
		const char *host, const struct cgroup *cg, struct pause_proc *pp, struct err *e)
{
	int p[2];
	*pp = (struct pause_proc){ .ready = -1 };
	if (!cg || !cg->ndirs)
		cg = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, errno, "pipe");
	if (!cg) {
		pid_t pid = pause_clone_life(flags, p, netfd, host);
		if (pid > 0 || errno != ENOSYS)
			return record(root, id, cg, pid, p, pp, e);
	}
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[k > 0 && exe[0] == '/' ? k : 0] = 0;
	/* The child only makes system calls until it execs: it borrows our
	 * memory, and we wait until it has exec'd (CLONE_VFORK). */
	struct pause_args a = { p[1], netfd, cg, host, exe };
	return record(root, id, cg, proc_clone_vm(flags | CLONE_VFORK, pause_child_main, &a), p, pp, e);
}

/* pause_clone with the other end of its life pipe kept (never closed:
 * our exit is what it waits for). */
static pid_t pause_clone_life(unsigned long flags, const int ready[2], int netfd, const char *host)
{
	int life[2];
	if (pipe2(life, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = pause_clone(flags, ready[1], life[0], netfd, host);
	int saved = errno;
	close(life[0]);
	if (pid < 0)
		close(life[1]);
	errno = saved;
	return pid;
}

/* After the clone (pid, or -1 with errno): the parent's end of the ready
 * pipe p, and the `pause` mark. */
static int record(const char *root, const char *id, const struct cgroup *cg, pid_t pid,
		  const int p[2], struct pause_proc *pp, struct err *e)
{
	if (pid < 0) {
		int r = err_sys(e, errno, "sandbox %s: clone", id);
		close(p[0]);
		close(p[1]);
		return r;
	}
	close(p[1]);
	pp->pid = pid;
	pp->start = proc_start_time(pid);
	pp->ready = p[0];
	if (!pp->start) {	/* ended already (a zombie has no start time): say why */
		int r = pause_wait_ready(id, cg, pp, e);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pp->pid = 0;
			r = err_set(e, ESRCH, "sandbox %s: pause (pid %d) is gone", id, (int)pid);
		}
		return r;
	}
	int r = state_mark_write(root, id, "pause", pid, pp->start, e);
	if (r < 0) {
		close(pp->ready);
		pp->ready = -1;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pp->pid = 0;
	}
	return r;
}

int pause_wait_ready(const char *id, const struct cgroup *cg, struct pause_proc *pp, struct err *e)
{
	pid_t pid = pp->pid;
	char buf[256];
	ssize_t n;
	while ((n = read(pp->ready, buf, sizeof(buf) - 1)) < 0 && errno == EINTR)
		;
	close(pp->ready);
	pp->ready = -1;
	if (n == 1 && buf[0] == 0)
		return 0;
	int st = 0;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	pp->pid = 0;
	if (n > 0) {
		buf[n] = 0;
		return err_set(e, EIO, "sandbox %s: pause: %s", id, buf);
	}
	struct err ig;
	if (cg && cg->ndirs && ((WIFEXITED(st) && WEXITSTATUS(st) == PAUSE_NOMEM) ||
				cgroup_oom_killed(cg, &ig) == 1))
		return err_set(e, ENOMEM, "sandbox %s: the memory limit (--memory) is too small for pause",
			       id);
	return err_set(e, EIO, "sandbox %s: pause exited before it was ready (status %d)",
		       id, proc_exit_code(st));
}
