/* lib/proc: start times from /proc/PID/stat, exit-status mapping, the
 * PATH search of the command's own environment. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
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

int main(void)
{
	RUN(start_time_is_field_22);
	RUN(exit_codes_follow_the_shell);
	RUN(exec_path_searches_the_given_path_only);
	DONE();
}
