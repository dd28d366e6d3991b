/* Finding a pod sandbox's pause process from its state file,
 * <root>/sandboxes/<id>/state.json, an object whose members "id",
 * "name", "pause_pid" and "pause_start_time" (clock ticks after boot,
 * field 22 of /proc/PID/stat) are read here; others are ignored. */
#ifndef CORRAL_SANDBOX_REF_H
#define CORRAL_SANDBOX_REF_H

#include <sys/types.h>
#include "err.h"
#include "state.h"

struct sandbox_pause {
	char id[SANDBOX_ID_LEN + 1];
	pid_t pid;
	unsigned long long start;
};

/* Resolves ref (an id, else a name) under root (NULL: state_root()) and checks that its pause
 * still runs: the pid with the recorded start time. Errors: -EINVAL for a
 * ref that is neither an id nor a valid name (nothing touched), -ENOENT
 * for no such sandbox, -ESRCH when its pause is gone. */
int sandbox_pause(const char *root, const char *ref, struct sandbox_pause *out,
		  struct err *e);

#endif
