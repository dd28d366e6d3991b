/* lib/proc: start times from /proc/PID/stat, exit-status mapping, the
 * command's environment and the PATH search in it, closing fds, the CPU
 * set for a child that works beside us. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "t.h"
#include "proc.h"

/* Field 22 the plain way: after the last ')', skip 19 fields. */
static unsigned long long field22(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')') + 2;	/* at field 3 */
	for (int i = 3; i < 22; i++)
		p = strchr(p, ' ') + 1;
	return strtoull(p, NULL, 10);
}

TEST(start_time_is_field_22)
{
	CHECK(proc_start_time(getpid()) > 0);
	CHECK_INT(proc_start_time(getpid()), field22(getpid()));
	/* a command name with spaces and ')' does not shift the fields */
	pid_t c = fork();
	if (c == 0) {
		prctl(PR_SET_NAME, "a) b (c");
		pause();
		_exit(0);
	}
	usleep(50000);
	CHECK(proc_start_time(c) > 0);
	CHECK_INT(proc_start_time(c), field22(c));
	kill(c, SIGKILL);
	siginfo_t si;
	CHECK(waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT) == 0);
	CHECK_INT(proc_start_time(c), 0);	/* a zombie is no start time */
	uint64_t st;
	CHECK_INT(proc_pid_start(c, &st), -ESRCH);
	waitpid(c, NULL, 0);
	CHECK_INT(proc_start_time(c), 0);	/* gone */
}

TEST(exit_codes_follow_the_shell)
{
	CHECK_INT(proc_exit_code(7 << 8), 7);
	CHECK_INT(proc_exit_code(SIGKILL), 137);
	CHECK_INT(proc_exit_code(SIGTERM), 143);
	CHECK_INT(proc_exit_code(0), 0);
}

TEST(env_overrides_and_adds)
{
	char *base[] = { "A=1", "PATH=/bin", "AB=2", NULL };
	const char *set[] = { "AB=3", "C=4", "A=", "C=5" };
	char **e = proc_env(base, set, 4);
	CHECK(e != NULL);
	if (e) {
		/* in place, by whole name (A is not AB), the last one wins */
		CHECK_STR(e[0], "A=");
		CHECK_STR(e[1], "PATH=/bin");
		CHECK_STR(e[2], "AB=3");
		CHECK_STR(e[3], "C=5");
		CHECK(e[4] == NULL);
		free(e);
	}
	e = proc_env(NULL, set + 1, 1);	/* --clear-env */
	CHECK(e && !strcmp(e[0], "C=4") && e[1] == NULL);
	free(e);
	e = proc_env(NULL, NULL, 0);
	CHECK(e && e[0] == NULL);
	free(e);
}

TEST(close_from_closes_the_rest_only)
{
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC), b = dup(a), c = dup(a);
	CHECK(a >= 0 && a < b && b < c);
	proc_close_from((unsigned)b);
	CHECK(fcntl(a, F_GETFD) >= 0);
	CHECK(fcntl(b, F_GETFD) < 0 && errno == EBADF);
	CHECK(fcntl(c, F_GETFD) < 0 && errno == EBADF);
	close(a);
}

/* proc_exec_path(file) in a child with env; the child exits with the
 * command's status, or 200 + errno when the exec failed. */
static int exec_in_child(const char *file, const char *path_var)
{
	char *argv[] = { (char *)file, NULL };
	char *env[] = { (char *)path_var, NULL };
	pid_t p = fork();
	if (p == 0) {
		proc_exec_path(file, argv, path_var ? env : env + 1);
		_exit(200 + (errno < 55 ? errno : 55));
	}
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(exec_path_searches_the_given_path_only)
{
	char dir[] = "/tmp/corral-test-path-XXXXXX", f[64];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(f, sizeof(f), "%s/noexec", dir);
	int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	close(fd);
	char pv[96];
	/* found on the PATH of the environment given */
	CHECK_INT(exec_in_child("true", "PATH=/nonexistent:/bin:/usr/bin"), 0);
	CHECK_INT(exec_in_child("false", "PATH=/usr/bin:/bin"), 1);
	/* not where the given PATH does not lead, whatever ours says */
	CHECK_INT(exec_in_child("true", "PATH=/nonexistent"), 200 + ENOENT);
	/* no PATH: musl's default */
	CHECK_INT(exec_in_child("true", NULL), 0);
	/* a file found but not executable: EACCES, once nothing else is */
	snprintf(pv, sizeof(pv), "PATH=%s:/nonexistent", dir);
	CHECK_INT(exec_in_child("noexec", pv), 200 + EACCES);
	/* a slash: that path only */
	CHECK_INT(exec_in_child("/nonexistent/true", "PATH=/bin"), 200 + ENOENT);
	CHECK_INT(exec_in_child("", "PATH=/bin"), 200 + ENOENT);
	unlink(f);
	rmdir(dir);
}

static pid_t child(int ignore_term)
{
	pid_t c = fork();
	if (c == 0) {
		if (ignore_term)
			signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	usleep(20000);
	return c;
}

/* The set less the CPU we run on; nothing where only one is allowed. Run
 * on two CPUs (where there are two), then pinned to one. */
TEST(cpus_other_leaves_out_ours)
{
	cpu_set_t saved, two;
	unsigned long all[PROC_CPU_WORDS], other[PROC_CPU_WORDS];
	CHECK(sched_getaffinity(0, sizeof(saved), &saved) == 0);
	int c[2] = { -1, -1 };
	for (int i = 0, k = 0; i < CPU_SETSIZE && k < 2; i++)
		if (CPU_ISSET(i, &saved))
			c[k++] = i;
	if (c[1] >= 0) {
		CPU_ZERO(&two);
		CPU_SET(c[0], &two);
		CPU_SET(c[1], &two);
		CHECK(sched_setaffinity(0, sizeof(two), &two) == 0);
		size_t n = proc_cpus_other(all, other);
		CHECK(n >= sizeof(long) && n % sizeof(long) == 0);
		int in_all = 0, in_other = 0;
		for (size_t i = 0; i < n / sizeof(long); i++) {
			in_all += __builtin_popcountl(all[i]);
			in_other += __builtin_popcountl(other[i]);
			CHECK((other[i] & ~all[i]) == 0);
		}
		CHECK_INT(in_all, 2);
		CHECK_INT(in_other, 1);	/* the one we were not on */
		CHECK(all[c[0] / 64] >> (c[0] % 64) & 1);
		CHECK(all[c[1] / 64] >> (c[1] % 64) & 1);
	}
	CPU_ZERO(&two);
	CPU_SET(c[0], &two);
	CHECK(sched_setaffinity(0, sizeof(two), &two) == 0);
	CHECK_INT(proc_cpus_other(all, other), 0);
	CHECK(sched_setaffinity(0, sizeof(saved), &saved) == 0);
}

/* TERM first; KILL only for those left after the grace period; a pidfd
 * is only had for the process the start time names */
TEST(stop_by_pidfd)
{
	pid_t a = child(0), b = child(1);
	unsigned long long sa = proc_start_time(a), sb = proc_start_time(b);
	CHECK_INT(proc_pidfd(a, sa + 1), -1);
	CHECK_INT(proc_pidfd(a, 0), -1);
	int fds[2] = { proc_pidfd(a, sa), proc_pidfd(b, sb) };
	CHECK(fds[0] >= 0 && fds[1] >= 0);
	CHECK(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	proc_stop_begin(fds, 2);
	int st;
	CHECK(waitpid(a, &st, 0) == a && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t reaper = fork();	/* b is ours to reap: reap it while we wait */
	if (reaper == 0) {
		proc_stop_finish(fds, 2, 300);
		_exit(fds[0] == -1 || fds[1] == -1 ? 0 : 1);
	}
	CHECK(waitpid(b, &st, 0) == b && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 250 && ms < 2000);
	CHECK(waitpid(reaper, &st, 0) == reaper && WIFEXITED(st));
	close(fds[0]);
	close(fds[1]);
	CHECK_INT(proc_pidfd(b, sb), -1);	/* gone */
}

int main(void)
{
	RUN(start_time_is_field_22);
	RUN(exit_codes_follow_the_shell);
	RUN(env_overrides_and_adds);
	RUN(close_from_closes_the_rest_only);
	RUN(exec_path_searches_the_given_path_only);
	RUN(stop_by_pidfd);
	RUN(cpus_other_leaves_out_ours);
	DONE();
}
