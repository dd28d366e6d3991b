/* pause's idle loop: signals taken one by one (TERM and INT end it with
 * 0, SIGCHLD reaps), in a few KiB: the loop lives in a page of its own and
 * unmaps the rest of corral's image first (x86_64 and arm64). */
#ifndef CORRAL_PAUSE_IDLE_H
#define CORRAL_PAUSE_IDLE_H

#include <sys/types.h>

#define PAUSE_EXIT_FAIL 125	/* the ready byte could not be written */

/* Never returns. Signals must be blocked already; ready_fd (-1: none)
 * gets one byte and is closed once the image is gone. */
__attribute__((noreturn)) void pause_idle(int ready_fd);

/* Starts pause without an exec: a child that shares our memory and makes
 * raw system calls only. flags: the CLONE_NEW* to add; all but
 * CLONE_NEWPID the child makes itself (unshare) while we go on (0.1-0.18
 * ms off a `sandbox create` + `rm` run back to back here). Then setsid,
 * the netns netfd (-1: ours), the hostname, 0-2 on /dev/null and no other
 * fd, all signals blocked, and one byte on fd ready. Once fd life, whose
 * other end only we hold, reads EOF (we have exited), it unmaps every
 * page but its idle page, its own stack and its cmdline, which it
 * rewrites to "pause". Where we may run on more than one CPU, the child
 * starts on another than ours and takes our affinity back once we have
 * exited. -1 with errno ENOSYS where it cannot shed. */
pid_t pause_clone(unsigned long flags, int ready, int life, int netfd, const char *host);

#endif
