/* Joining the namespaces of another process: open every namespace file
 * first, then setns in util-linux nsenter's order, the user namespace in
 * a second pass when the first could not enter it. */
#ifndef CORRAL_NSJOIN_H
#define CORRAL_NSJOIN_H

#include <sys/types.h>
#include "err.h"

/* The order is the order of entering (user first in the second pass). */
enum ns_kind { NS_USER, NS_CGROUP, NS_IPC, NS_UTS, NS_NET, NS_PID, NS_MNT, NS_TIME, NS_COUNT };

#define NS_BIT(k) (1u << (k))
#define NS_ALL ((1u << NS_COUNT) - 1)

struct nsjoin {
	int fd[NS_COUNT];	/* -1: not to be entered */
};

/* "user", "cgroup", ..., "mnt", "time": the name under /proc/PID/ns/. */
const char *ns_name(enum ns_kind k);
/* CLONE_NEWUSER ... CLONE_NEWTIME. */
int ns_flag(enum ns_kind k);

void nsjoin_init(struct nsjoin *j);
void nsjoin_close(struct nsjoin *j);
/* Opens path as the namespace file of kind k, replacing an earlier one. */
int nsjoin_open(struct nsjoin *j, enum ns_kind k, const char *path, struct err *e);
/* Opens /proc/PID/ns/NAME for every kind in mask that has no file yet.
 * When start is not 0 it is pid's start time (proc_start_time), checked
 * before and after the opens, so the files surely belong to the process
 * that was meant and not to one that took over a recycled pid. */
int nsjoin_open_pid(struct nsjoin *j, pid_t pid, unsigned mask,
		    unsigned long long start, struct err *e);
/* Enters every opened namespace (closing its fd), in two passes: all but
 * the user namespace, failures ignored; then what is left, failures
 * reported. That enters the user namespace first when it is what grants
 * the right to the others, and last when entering it drops privilege. */
int nsjoin_enter(struct nsjoin *j, struct err *e);
/* Bit set of the kinds opened and not yet entered. */
unsigned nsjoin_mask(const struct nsjoin *j);

/* 1 when the kernel has namespaces of kind k (/proc/self/ns/NAME), 0 not. */
int ns_supported(enum ns_kind k);
/* 1 when pid is in the same namespace of kind k as we are, 0 if not;
 * -errno (naming /proc/PID/ns/NAME) when that cannot be told. */
int ns_same(pid_t pid, enum ns_kind k, struct err *e);

#endif
