/* Starting a pod sandbox's pause (lib/pause_start.c). */
#ifndef CORRAL_PAUSE_START_H
#define CORRAL_PAUSE_START_H

#include <sys/types.h>
#include "cgroup.h"
#include "err.h"

struct pause_proc {
	pid_t pid;			/* 0: none, or no more */
	unsigned long long start;	/* field 22 of its stat */
	int ready;			/* our end of its ready pipe, -1: none */
};

/* Starts pause for sandbox id: flags are the CLONE_NEW* it makes, netfd
 * the netns it enters (-1: ours), host its hostname. Without cgroup dirs
 * it is cloned in our memory (pause_clone), else exec'd into cg. Writes
 * the sandbox's `pause` mark. A creator that dies before pause is ready
 * takes the pipe's read end along, and pause, failing its write, exits. */
int pause_start(const char *root, const char *id, unsigned long flags, int netfd,
		const char *host, const struct cgroup *cg, struct pause_proc *pp, struct err *e);
/* Waits for pause's ready byte (consumes pp->ready); a pause that fails
 * is killed and reaped (pp->pid = 0), and the error says why. */
int pause_wait_ready(const char *id, const struct cgroup *cg, struct pause_proc *pp, struct err *e);

#endif
