/* Named network namespaces, made the way iproute2 makes them so that
 * `ip netns` and corral see and enter each other's: /run/netns is a shared
 * mount point (bind-mounted on itself when it is not one), and NAME is an
 * empty file there with the netns (nsfs) bind-mounted on it. */
#ifndef CORRAL_NETNS_H
#define CORRAL_NETNS_H

#include <stdbool.h>
#include "err.h"

#define NETNS_RUN_DIR "/run/netns"

/* 1..64 bytes of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool netns_valid_name(const char *name);
/* Creates netns NAME; -EEXIST when it is there. The caller's netns does
 * not change. Nothing is left behind on failure. */
int netns_add(const char *name, struct err *e);
/* Removes NAME (lazy unmount, then unlink): safe while processes or
 * sockets still use the netns, which lives on until they are gone. */
int netns_del(const char *name, struct err *e);
/* An O_RDONLY|O_CLOEXEC fd of a netns: NAME in /run/netns, a path
 * ("/proc/PID/ns/net"), or a PID. Returns the fd or -errno. */
int netns_open(const char *spec, struct err *e);
/* Calls fn for each name in /run/netns, sorted; none when the dir is
 * absent. A negative return from fn stops the walk and is returned. */
int netns_list(int (*fn)(const char *name, void *arg), void *arg, struct err *e);
/* Runs fn in the netns of fd on the calling thread and comes back to the
 * thread's own netns. Returns fn's result, or -errno when the switch fails. */
int netns_run(int fd, int (*fn)(void *arg, struct err *e), void *arg, struct err *e);

#endif
