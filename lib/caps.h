/* Linux capabilities: names, Docker's default set, and dropping the rest
 * from the bounding, ambient, effective, permitted and inheritable sets.
 * A set is a uint64_t with bit N for capability N. */
#ifndef CORRAL_CAPS_H
#define CORRAL_CAPS_H

#include <stdint.h>
#include "err.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))

/* Docker's default set: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW
 * SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL
 * AUDIT_WRITE. */
extern const uint64_t caps_default;
/* Every capability this build knows by name (0..CAP_LAST_CAP). */
extern const uint64_t caps_all;

/* "CAP_NET_ADMIN", "net_admin", "Net_Admin": the number, or -EINVAL. */
int cap_from_name(const char *name);
/* "CAP_NET_ADMIN" for 12, NULL when unknown. */
const char *cap_name(int cap);
/* One name, or "ALL" (any case), as a set; err names the bad word. */
int caps_parse(const char *name, uint64_t *set, struct err *e);
/* A comma-separated list of names ("chown,NET_RAW" or "all"); "" is empty. */
int caps_parse_list(const char *list, uint64_t *set, struct err *e);

/* Keeps exactly `keep` for this thread and the program it executes:
 * drops every other capability from the bounding set (needs CAP_SETPCAP,
 * so call it while that is still held), clears the ambient set, sets
 * effective = permitted = keep and inheritable = empty (as Docker does
 * since CVE-2022-24769). As root (uid 0), execve then grants `keep`.
 * Capabilities the running kernel does not know are left out of `keep`;
 * -EPERM naming the first other one not held now. No call in it fails
 * when all goes well, once caps_last() has run: a process that shares
 * its memory (errno too) with one at work may call it. */
int caps_apply(uint64_t keep, struct err *e);
/* The running kernel's last capability, asked once. */
int caps_last(void);
/* Drops one capability from the effective, permitted and inheritable sets:
 * no privilege needed, and under no_new_privs it cannot come back. */
int caps_lower(int cap, struct err *e);
/* The current sets of this thread (any pointer may be NULL). */
int caps_get(uint64_t *eff, uint64_t *prm, uint64_t *inh, struct err *e);

#endif
