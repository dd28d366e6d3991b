/* lib/proc: start times from /proc/PID/stat, exit-status mapping. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
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

int main(void)
{
	RUN(start_time_is_field_22);
	RUN(exit_codes_follow_the_shell);
	DONE();
}
