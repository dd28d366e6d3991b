/* cgroup limits against the real kernel (root only): a fork bomb stops at
 * the pids limit, memory over the limit is OOM-killed and seen as such, the
 * CPU quota holds, destroy kills what is left and removes the directories.
 * The cgroup2 mechanics (cgroup.procs, cgroup.kill, rmdir) run on the
 * cgroup2 mount even when it has no controller (hybrid hosts). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "t.h"
#include "cgroup.h"
#include "util.h"

static char name[3][40];

static int gone(const struct cgroup *cg, const char *paths[])
{
	struct stat st;
	int ok = 1;
	for (int i = 0; paths[i]; i++)
		if (stat(paths[i], &st) == 0) {
			printf("#   %s still exists\n", paths[i]);
			ok = 0;
		}
	(void)cg;
	return ok;
}

static void reap_all(void)
{
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

static void show(const char *what, int r, const struct err *e)
{
	if (r < 0)
		printf("#   %s: %d %s\n", what, r, e->msg);
}

/* Remembers the paths of cg, since destroy empties it. */
static void paths_of(const struct cgroup *cg, const char *out[])
{
	int i;
	for (i = 0; i < cg->ndirs; i++)
		out[i] = strdup(cg->dir[i].path);
	out[i] = NULL;
}

static int read_num(const char *dir, const char *file, long long *v)
{
	char p[400], *text = NULL;
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	if (read_file(p, 4096, &text, NULL, NULL) < 0)
		return -1;
	*v = strtoll(text, NULL, 10);
	free(text);
	return 0;
}

TEST(fork_bomb_stops_at_pids_limit)
{
	struct cgroup cg;
	struct cgroup_limits l = { .pids = 8 };
	struct err e = { 0 };
	const char *paths[CG_NCTRL + 2];
	int p[2], r;

	r = cgroup_create(name[0], &l, &cg, &e);
	show("create", r, &e);
	CHECK_INT(r, 0);
	if (r < 0)
		return;
	CHECK_INT(cg.ndirs, 1);
	CHECK(cg.dir[0].ctrls == 1u << CG_PIDS);
	printf("#   pids cgroup: %s (%s)\n", cg.dir[0].path, cg.dir[0].v2 ? "v2" : "v1");
	paths_of(&cg, paths);
	CHECK(pipe2(p, O_CLOEXEC) == 0);

	pid_t child = fork();
	if (child == 0) {
		int n = 0, err = 0;
		if (cgroup_attach(&cg, 0, NULL) < 0)
			_exit(1);
		for (;;) {
			pid_t g = fork();
			if (g == 0) {
				pause();
				_exit(0);
			}
			if (g < 0) {
				err = errno;
				break;
			}
			if (++n > 100)
				break;
		}
		int msg[2] = { n, err };
		(void)!write(p[1], msg, sizeof(msg));
		pause();
		_exit(0);
	}
	close(p[1]);
	int msg[2] = { -1, -1 };
	CHECK(read(p[0], msg, sizeof(msg)) == (ssize_t)sizeof(msg));
	close(p[0]);
	printf("#   forks before the limit: %d, then errno %d\n", msg[0], msg[1]);
	CHECK_INT(msg[0], 7);			/* 8 with the forking process */
	CHECK_INT(msg[1], EAGAIN);
	long long cur = -1;
	CHECK(read_num(cg.dir[0].path, "pids.current", &cur) == 0);
	CHECK_INT(cur, 8);

	/* The same cgroup, found by name as `sandbox rm` would. */
	struct cgroup again;
	CHECK_INT(cgroup_open(name[0], &again, &e), 0);
	CHECK_INT(again.ndirs, 1);
	CHECK_STR(again.dir[0].path, cg.dir[0].path);
	CHECK(again.dir[0].ctrls & (1u << CG_PIDS));

	/* Destroy with all eight still alive: it kills, then removes. */
	r = cgroup_destroy(&again, &e);
	show("destroy", r, &e);
	CHECK_INT(r, 0);
	int st = 0;
	CHECK(waitpid(child, &st, 0) == child);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	reap_all();
	CHECK(gone(&cg, paths));
	CHECK_INT(cgroup_open(name[0], &again, NULL), -ENOENT);
}

TEST(memory_limit_oom_kills_and_is_reported)
{
	struct cgroup cg;
	struct cgroup_limits l = { .memory = 32 << 20 };
	struct err e = { 0 };
	const char *paths[CG_NCTRL + 2];

	int r = cgroup_create(name[1], &l, &cg, &e);
	show("create", r, &e);
	CHECK_INT(r, 0);
	if (r < 0)
		return;
	printf("#   memory cgroup: %s (%s)\n", cg.dir[0].path, cg.dir[0].v2 ? "v2" : "v1");
	paths_of(&cg, paths);
	CHECK_INT(cgroup_oom_killed(&cg, &e), 0);

	pid_t child = fork();
	if (child == 0) {
		if (cgroup_attach(&cg, 0, NULL) < 0)
			_exit(1);
		size_t n = 64 << 20;
		char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(2);
		for (size_t i = 0; i < n; i += 4096)
			m[i] = 1;
		_exit(0);	/* survived: the limit did not hold */
	}
	int st = 0;
	CHECK(waitpid(child, &st, 0) == child);
	if (WIFEXITED(st))
		printf("#   child exited %d\n", WEXITSTATUS(st));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	r = cgroup_oom_killed(&cg, &e);
	show("oom_killed", r, &e);
	CHECK_INT(r, 1);
	r = cgroup_destroy(&cg, &e);
	show("destroy", r, &e);
	CHECK_INT(r, 0);
	CHECK(gone(&cg, paths));
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(cpu_quota_holds)
{
	struct cgroup cg;
	struct cgroup_limits l = { 0 };
	struct err e = { 0 };
	const char *paths[CG_NCTRL + 2];

	CHECK_INT(cgroup_parse_cpus("0.25", &l, &e), 0);
	int r = cgroup_create(name[2], &l, &cg, &e);
	show("create", r, &e);
	CHECK_INT(r, 0);
	if (r < 0)
		return;
	paths_of(&cg, paths);
	long long q = -1, per = -1;
	if (cg.dir[0].v2) {
		char p[400], *text = NULL;
		snprintf(p, sizeof(p), "%s/cpu.max", cg.dir[0].path);
		CHECK(read_file(p, 4096, &text, NULL, NULL) == 0);
		CHECK_STR(text, "25000 100000\n");
		free(text);
	} else {
		CHECK(read_num(cg.dir[0].path, "cpu.cfs_quota_us", &q) == 0);
		CHECK(read_num(cg.dir[0].path, "cpu.cfs_period_us", &per) == 0);
		CHECK_INT(q, 25000);
		CHECK_INT(per, 100000);
	}

	/* A child spins for 1 s of wall time; a quarter CPU gives it at most
	 * about 0.25 s (more load on the host only gives it less). */
	pid_t child = fork();
	if (child == 0) {
		if (cgroup_attach(&cg, 0, NULL) < 0)
			_exit(1);
		double t0 = now();
		while (now() - t0 < 1.0)
			;
		_exit(0);
	}
	struct rusage ru;
	int st = 0;
	CHECK(wait4(child, &st, 0, &ru) == child);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		     ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("#   CPU time in 1 s at --cpus 0.25: %.3f s\n", cpu);
	CHECK(cpu < 0.40);
	r = cgroup_destroy(&cg, &e);
	show("destroy", r, &e);
	CHECK_INT(r, 0);
	CHECK(gone(&cg, paths));
}

static int keep_all_but_ours(const char *n, void *arg)
{
	(void)arg;
	return strcmp(n, name[0]) != 0;
}

TEST(gc_removes_only_unclaimed_empty_cgroups)
{
	struct cgroup cg;
	struct cgroup_limits l = { .pids = 4, .memory = 64 << 20 };
	struct err e = { 0 };
	const char *paths[CG_NCTRL + 2];

	int r = cgroup_create(name[0], &l, &cg, &e);
	show("create", r, &e);
	CHECK_INT(r, 0);
	if (r < 0)
		return;
	CHECK_INT(cg.ndirs, 2);		/* memory and pids: two v1 hierarchies here */
	paths_of(&cg, paths);

	/* A live process inside: gc without kill leaves it. */
	pid_t child = fork();
	if (child == 0) {
		if (cgroup_attach(&cg, 0, NULL) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	/* the child is in once its cgroup.procs lists it */
	for (int i = 0; i < 1000; i++) {
		long long v = 0;
		if (read_num(cg.dir[0].path, "cgroup.procs", &v) == 0 && v == child)
			break;
		usleep(1000);
	}
	CHECK_INT(cgroup_gc(keep_all_but_ours, NULL, 0, &e), 0);
	CHECK_INT(cgroup_open(name[0], &cg, NULL), 0);
	/* With kill it goes. */
	CHECK_INT(cgroup_gc(keep_all_but_ours, NULL, 1, &e), 2);
	int st = 0;
	CHECK(waitpid(child, &st, 0) == child);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK(gone(&cg, paths));

	/* An empty one goes without kill. */
	CHECK_INT(cgroup_create(name[0], &l, &cg, &e), 0);
	CHECK_INT(cgroup_gc(keep_all_but_ours, NULL, 0, &e), 2);
	CHECK(gone(&cg, paths));
}

TEST(create_twice_is_eexist_and_leaves_the_first)
{
	struct cgroup a, b;
	struct cgroup_limits l = { .pids = 4 };
	struct err e = { 0 };

	CHECK_INT(cgroup_create(name[1], &l, &a, &e), 0);
	CHECK_INT(cgroup_create(name[1], &l, &b, &e), -EEXIST);
	CHECK(strstr(e.msg, name[1]) != NULL);
	CHECK_INT(cgroup_open(name[1], &b, NULL), 0);
	CHECK_INT(cgroup_destroy(&a, &e), 0);
	CHECK_INT(cgroup_destroy(&a, &e), 0);	/* again: nothing to do */
}

/* Within a layout whose cgroup2 mount lacks the controller: a plain error,
 * nothing created. */
TEST(v2_without_the_controller_is_a_clear_error)
{
	struct cgroup_layout lay;
	struct cgroup cg;
	struct cgroup_limits l = { .pids = 4 };
	struct err e = { 0 };
	char path[400];
	struct stat st;

	CHECK_INT(cgroup_layout_read(&lay, &e), 0);
	if (!lay.v2[0] || cgroup_ctrl_version(&lay, CG_PIDS) == 2) {
		printf("#   (cgroup2 has pids here: nothing to show)\n");
		return;
	}
	memset(lay.v1, 0, sizeof(lay.v1));
	lay.on_v1 = 0;
	CHECK_INT(cgroup_create_in(&lay, name[2], &l, &cg, &e), -EOPNOTSUPP);
	printf("#   %s\n", e.msg);
	CHECK(strstr(e.msg, "no pids controller") != NULL);
	snprintf(path, sizeof(path), "%s/%s/%s", lay.v2, CGROUP_PARENT, name[2]);
	CHECK(stat(path, &st) < 0);
}

/* attach and destroy (cgroup.kill) on the cgroup2 mount, controllers or not. */
TEST(v2_attach_and_kill)
{
	struct cgroup_layout lay;
	struct cgroup cg = { 0 };
	struct err e = { 0 };
	char parent[280];

	CHECK_INT(cgroup_layout_read(&lay, &e), 0);
	if (!lay.v2[0]) {
		printf("#   (no cgroup2 mount)\n");
		return;
	}
	snprintf(parent, sizeof(parent), "%s/%s", lay.v2, CGROUP_PARENT);
	snprintf(cg.name, sizeof(cg.name), "%s", name[2]);
	cg.ndirs = 1;
	cg.dir[0].v2 = 1;
	snprintf(cg.dir[0].path, sizeof(cg.dir[0].path), "%s/%s", parent, name[2]);
	CHECK(mkdir(parent, 0755) == 0 || errno == EEXIST);
	CHECK(mkdir(cg.dir[0].path, 0755) == 0);
	const char *paths[] = { cg.dir[0].path, NULL };

	pid_t child = fork();
	if (child == 0) {
		if (cgroup_attach(&cg, 0, NULL) < 0)
			_exit(1);
		for (int i = 0; i < 3; i++)
			if (fork() == 0)
				break;
		pause();
		_exit(0);
	}
	long long v = 0;
	for (int i = 0; i < 1000 && v != child; i++) {
		read_num(cg.dir[0].path, "cgroup.procs", &v);
		usleep(1000);
	}
	CHECK_INT(v, child);
	char p[400], *text = NULL;
	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)child);
	CHECK(read_file(p, 65536, &text, NULL, NULL) == 0);
	CHECK(text && strstr(text, "0::/corral/") != NULL);
	free(text);
	int r = cgroup_destroy(&cg, &e);
	show("destroy", r, &e);
	CHECK_INT(r, 0);
	int st = 0;
	CHECK(waitpid(child, &st, 0) == child);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	reap_all();
	CHECK(gone(&cg, paths));
}

int main(void)
{
	if (geteuid() != 0) {
		printf("skip - test_cgroup_live: needs root\n");
		return 0;
	}
	struct cgroup_layout lay;
	struct err e = { 0 };
	if (cgroup_layout_read(&lay, &e) < 0 ||
	    !cgroup_ctrl_version(&lay, CG_PIDS) || !cgroup_ctrl_version(&lay, CG_MEMORY) ||
	    !cgroup_ctrl_version(&lay, CG_CPU)) {
		printf("skip - test_cgroup_live: no memory, pids and cpu controllers (%s)\n", e.msg);
		return 0;
	}
	for (int c = 0; c < CG_NCTRL; c++)
		printf("# %s: cgroup v%d at %s\n", cgroup_ctrl_name[c], cgroup_ctrl_version(&lay, c),
		       cgroup_ctrl_version(&lay, c) == 2 ? lay.v2 : lay.v1[c]);
	for (int i = 0; i < 3; i++)
		snprintf(name[i], sizeof(name[i]), "crtest-%d-%d", (int)getpid(), i);
	/* Killed grandchildren come back to us to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	RUN(fork_bomb_stops_at_pids_limit);
	RUN(memory_limit_oom_kills_and_is_reported);
	RUN(cpu_quota_holds);
	RUN(gc_removes_only_unclaimed_empty_cgroups);
	RUN(create_twice_is_eexist_and_leaves_the_first);
	RUN(v2_without_the_controller_is_a_clear_error);
	RUN(v2_attach_and_kill);

	/* Whatever a failed test left behind. */
	for (int i = 0; i < 3; i++) {
		struct cgroup cg;
		if (cgroup_open(name[i], &cg, NULL) == 0)
			cgroup_destroy(&cg, NULL);
	}
	DONE();
}
