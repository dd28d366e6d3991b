#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "proc.h"
#include "util.h"

pid_t proc_clone(unsigned long flags)
{
	/* Raw clone with no new stack behaves as fork; musl's fork() has no
	 * flags argument. */
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

/* The child's stack: in .bss, so only the pages it touches are ever
 * made; the top ones, as deep as run's init goes, at once (util.h's
 * mem_populate). One child at a time uses it (see proc.h), and a child of
 * that child the lower half. */
#define CHILD_STACK_PREFAULT (12 << 10)
static char child_stack[512 << 10] BIG_BSS(child_stack) __attribute__((aligned(4096)));

pid_t proc_clone_vm(unsigned long flags, int (*fn)(void *), void *arg)
{
	char *top = child_stack + sizeof(child_stack);
	char *sp = __builtin_frame_address(0);
	if (sp > child_stack && sp < top)
		top = child_stack + sizeof(child_stack) / 2;
	mem_populate(top - CHILD_STACK_PREFAULT, CHILD_STACK_PREFAULT);
	return clone(fn, top, (int)(flags | CLONE_VM | SIGCHLD), arg);
}

char **proc_env(char *const *base, const char *const *set, size_t n)
{
	size_t nb = 0;
	while (base && base[nb])
		nb++;
	char **env = calloc(nb + n + 1, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < nb; i++)
		env[k++] = base[i];
	for (size_t i = 0; i < n; i++) {
		size_t kl = (size_t)(strchr(set[i], '=') - set[i]) + 1;
		size_t j;
		for (j = 0; j < k; j++)
			if (!strncmp(env[j], set[i], kl))
				break;
		env[j] = (char *)set[i];
		if (j == k)
			k++;
	}
	env[k] = NULL;
	return env;
}

void proc_close_from(unsigned first)
{
	if (syscall(SYS_close_range, first, ~0u, 0) == 0)
		return;
	for (int fd = (int)first; fd < 65536; fd++)
		close(fd);
}

void proc_cloexec_from(unsigned first)
{
	if (syscall(SYS_close_range, first, ~0u, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
		return;
	for (int fd = (int)first; fd < 65536; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

size_t proc_cpus_less_ours(const unsigned long *all, size_t n, unsigned long other[PROC_CPU_WORDS])
{
	int cpu = sched_getcpu();
	if (cpu < 0 || (size_t)cpu / 64 >= n / sizeof(long))
		return 0;
	memcpy(other, all, n);
	other[cpu / 64] &= ~(1UL << cpu % 64);
	for (size_t i = 0; i < n / sizeof(long); i++)
		if (other[i])
			return n;
	return 0;
}

size_t proc_cpus_other(unsigned long all[PROC_CPU_WORDS], unsigned long other[PROC_CPU_WORDS])
{
	/* the raw call returns the size of the kernel's set */
	long n = syscall(SYS_sched_getaffinity, 0, PROC_CPU_WORDS * sizeof(long), all);
	return n <= 0 ? 0 : proc_cpus_less_ours(all, (size_t)n, other);
}

int proc_exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 125;
}

void proc_block_signals(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, old);
}

int proc_supervise(pid_t child, int reap_all)
{
	sigset_t all;

	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (si.si_code <= 0)
				kill(child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(reap_all ? -1 : child, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == child)
				return st;
		}
	}
}

/* The text of /proc/PID/stat into buf: its length, or a negative errno
 * (-ESRCH when there is no such process). */
static ssize_t stat_read(const char *pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	ssize_t r;
	do
		r = read(fd, buf, size - 1);
	while (r < 0 && errno == EINTR);
	int saved = errno;
	close(fd);
	if (r < 0)
		return -saved;
	buf[r] = 0;
	return r;
}

/* Field `field` (3 or more) of /proc/PID/stat, 0 when it cannot be read.
 * The command name (field 2) may hold spaces and ')': count from the last
 * ')', which ends it; p then steps to the space before each field. */
static unsigned long long stat_field(const char *pid, int field)
{
	char buf[1024];
	if (stat_read(pid, buf, sizeof(buf)) <= 0)
		return 0;
	char *p = strrchr(buf, ')');
	for (int f = 2; f < field && p; f++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* SIGKILLs our children as /proc lists them; 1 when there were any. */
static int kill_children(pid_t self)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && (pid_t)stat_field(de->d_name, 4) == self) {
			kill((pid_t)strtol(de->d_name, NULL, 10), SIGKILL);
			found = 1;
		}
	}
	if (d)
		closedir(d);
	return found;
}

void proc_kill_descendants(void)
{
	pid_t self = getpid();
	for (;;) {
		int busy = kill_children(self);
		pid_t p;
		/* Orphans of the killed become ours, and the next round's. */
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			busy = 1;
		if (p < 0 && errno == ECHILD)
			return;
		if (!busy)
			usleep(1000);	/* killed, not yet dead */
	}
}

int proc_parse_stat(const char *text, char *state, uint64_t *start)
{
	/* comm may hold ')' and spaces: fields resume after the last ')' */
	const char *p = strrchr(text, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EINVAL;
	p += 2;
	*state = *p;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EINVAL;
		p++;
	}
	const char *sp = strchr(p, ' ');
	size_t n = sp ? (size_t)(sp - p) : strcspn(p, "\n");
	char num[24];
	uint64_t v;
	if (n == 0 || n >= sizeof(num) || (n > 1 && p[0] == '0'))
		return -EINVAL;
	memcpy(num, p, n);
	num[n] = 0;
	if (parse_u64(num, 0, UINT64_MAX, &v, NULL) < 0)
		return -EINVAL;
	*start = v;
	return 0;
}

int proc_pid_start(pid_t pid, uint64_t *start)
{
	char num[16], buf[1024];
	char state;

	if (pid <= 0)
		return -ESRCH;
	snprintf(num, sizeof(num), "%d", (int)pid);
	ssize_t r = stat_read(num, buf, sizeof(buf));
	if (r < 0)
		return (int)r;
	if (proc_parse_stat(buf, &state, start) < 0)
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	return 0;
}

unsigned long long proc_start_time(pid_t pid)
{
	uint64_t start;
	return proc_pid_start(pid, &start) == 0 ? start : 0;
}

void proc_exec_path(const char *file, char *const argv[], char *const envp[])
{
	const char *path = "/usr/local/bin:/bin:/usr/bin";
	char buf[PATH_MAX];
	int eacces = 0;

	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return;
	}
	for (char *const *v = envp; *v; v++)
		if (!strncmp(*v, "PATH=", 5))
			path = *v + 5;
	size_t fl = strlen(file);
	if (!*file || fl > NAME_MAX) {
		errno = *file ? ENAMETOOLONG : ENOENT;
		return;
	}
	for (const char *p = path;; p++) {
		const char *z = strchrnul(p, ':');
		size_t dl = (size_t)(z - p);
		if (dl + 1 + fl < sizeof(buf)) {
			memcpy(buf, p, dl);
			buf[dl] = '/';
			memcpy(buf + dl + !!dl, file, fl + 1);	/* "" means the cwd */
			execve(buf, argv, envp);
			if (errno == EACCES)
				eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR)
				return;
		}
		if (!*z)
			break;
		p = z;
	}
	errno = eacces ? EACCES : ENOENT;
}

/* Stopping by pidfd: a pid recycled under us is never signalled. */

int proc_runs(pid_t pid, unsigned long long start)
{
	uint64_t now;
	/* a zombie is gone too: it holds no namespace and runs nothing */
	return pid > 0 && start && proc_pid_start(pid, &now) == 0 && now == start;
}

int proc_pidfd(pid_t pid, unsigned long long start)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	/* after the open: the start time read now names the process held */
	if (!proc_runs(pid, start)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int pidfd_signal(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits until every pidfd is readable (its process gone, the fd closed
 * and set to -1) or the deadline; returns how many are left. */
static int wait_gone(int *fds, int n, long long deadline)
{
	static struct pollfd p[PROC_STOP_MAX] BIG_BSS(stop_poll);
	for (;;) {
		int left = 0;
		for (int i = 0; i < n && left < PROC_STOP_MAX; i++)
			if (fds[i] >= 0)
				p[left++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (!left)
			return 0;
		long long ms = deadline - now_ms();
		if (ms <= 0)
			return left;
		int r = poll(p, (nfds_t)left, (int)ms);
		if (r < 0 && errno != EINTR)
			return left;
		for (int k = 0; k < left && r > 0; k++) {
			if (!p[k].revents)
				continue;
			for (int i = 0; i < n; i++)
				if (fds[i] == p[k].fd) {
					close(fds[i]);
					fds[i] = -1;
				}
		}
	}
}

void proc_stop_begin(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		pidfd_signal(fds[i], SIGTERM);
}

void proc_stop_finish(int *fds, int n, int grace_ms)
{
	if (!n)
		return;
	if (wait_gone(fds, n, now_ms() + grace_ms)) {
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0)
				pidfd_signal(fds[i], SIGKILL);
		wait_gone(fds, n, now_ms() + grace_ms);
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
