/* cgroup limits for a sandbox or a run: memory, pids, cpu.
 *
 * Each controller is used where the kernel has it: on the cgroup2
 * hierarchy when it is there, otherwise on its cgroup v1 hierarchy (hybrid
 * hosts bind memory, pids and cpu to v1). A cgroup is the directory
 * `corral/NAME` under the root of every hierarchy that carries a limit. */
#ifndef CORRAL_CGROUP_H
#define CORRAL_CGROUP_H

#include <stdint.h>
#include <sys/types.h>
#include "err.h"

#define CGROUP_PARENT "corral"
#define CGROUP_NAME_MAX 64
#define CGROUP_CPU_PERIOD 100000	/* µs */

/* Zero means no limit. */
struct cgroup_limits {
	uint64_t memory;	/* bytes; swap is limited to none as well */
	uint64_t pids;		/* processes and threads */
	uint64_t cpu_quota;	/* µs of CPU time per cpu_period */
	uint64_t cpu_period;	/* µs; 0 means CGROUP_CPU_PERIOD */
};

/* "0.5" -> quota 50000, period 100000; "2" -> 200000/100000. At most five
 * decimals, at least 0.01 CPU (the kernel's 1 ms minimum quota). */
int cgroup_parse_cpus(const char *s, struct cgroup_limits *l, struct err *e);

enum { CG_MEMORY, CG_PIDS, CG_CPU, CG_NCTRL };
extern const char *const cgroup_ctrl_name[CG_NCTRL];

/* Where the controllers live, from /proc/self/cgroup and /proc/self/mountinfo. */
struct cgroup_layout {
	char v2[256];			/* cgroup2 mount point, "" when none */
	char v1[CG_NCTRL][256];		/* v1 mount point holding each controller, or "" */
	unsigned on_v1;			/* bit (1 << CG_x): /proc/self/cgroup binds it to v1 */
};

/* Pure parsing of the two files' contents. */
int cgroup_parse_layout(const char *proc_cgroup, const char *mountinfo,
			struct cgroup_layout *l, struct err *e);
/* Reads the layout of the running process. */
int cgroup_layout_read(struct cgroup_layout *l, struct err *e);
/* 2: controller c is on the cgroup2 hierarchy; 1: on v1; 0: nowhere we can use. */
int cgroup_ctrl_version(const struct cgroup_layout *l, int c);

struct cgroup_dir {
	char path[320];		/* e.g. /sys/fs/cgroup/memory/corral/NAME */
	unsigned ctrls;		/* bits of the controllers limited here */
	int v2;
};

struct cgroup {
	char name[CGROUP_NAME_MAX + 1];
	int ndirs;
	struct cgroup_dir dir[CG_NCTRL + 1];
};

/* Creates corral/NAME in every hierarchy that carries one of the limits
 * and writes them (with no limit at all nothing is created, and the other
 * calls do nothing). On v2 the controllers are enabled in the root's and
 * corral's cgroup.subtree_control. -EEXIST when NAME exists. On failure
 * nothing is left behind. */
int cgroup_create(const char *name, const struct cgroup_limits *l,
		  struct cgroup *cg, struct err *e);
/* The same within a given layout. */
int cgroup_create_in(const struct cgroup_layout *lay, const char *name,
		     const struct cgroup_limits *l, struct cgroup *cg, struct err *e);
/* Finds the existing corral/NAME directories (for rm from another
 * process). -ENOENT when there is none. */
int cgroup_open(const char *name, struct cgroup *cg, struct err *e);
/* Moves pid into the cgroup; pid 0 is the calling process (call it in the
 * child before exec). */
int cgroup_attach(const struct cgroup *cg, pid_t pid, struct err *e);
/* 1 when the memory limit killed a process of the cgroup, 0 when not (or
 * when there is no memory limit), -errno on error. */
int cgroup_oom_killed(const struct cgroup *cg, struct err *e);
/* SIGKILLs every process left (cgroup.kill on v2, cgroup.procs on v1) and
 * removes the directories. A directory already gone is fine. */
int cgroup_destroy(struct cgroup *cg, struct err *e);
/* Visits every corral/NAME that keep(NAME, arg) does not claim (keep may
 * be NULL: claims none): an empty one is removed; a populated one is left
 * alone, or killed and removed when kill is set. Returns how many were
 * removed, or -errno. */
int cgroup_gc(int (*keep)(const char *name, void *arg), void *arg, int kill,
	      struct err *e);

#endif
