/* IPv4 address management: host-local style leases under a state dir.
 *
 * <root>/ipam/NETWORK/ holds one file per leased address (named by the
 * address), `lock` (flock, held across every change), `last` (the address
 * handed out last, where the next search starts) and `subnet`. Every write
 * is temp + fsync + rename. A lease names its owner: a sandbox id (alive
 * while <root>/sandboxes/ID exists or its creator pid still runs) or a pid
 * with its start time (alive while that very process runs). Any change may
 * reclaim the leases of owners that are gone; files whose content does not
 * parse are treated as ownerless. */
#ifndef CORRAL_IPAM_H
#define CORRAL_IPAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"

#define IPAM_NAME_MAX 64
#define IPAM_LEASE_MAX 256	/* bytes of a lease file we read */
#define IPAM_MIN_PREFIX 8	/* largest subnet we scan: /8 */
#define IPAM_MAX_PREFIX 30	/* smallest with a host besides the gateway */

struct ipam_subnet {
	uint32_t net;		/* host byte order, host bits zero */
	unsigned prefix;
};

/* A CONTAINER owner is a CNI attachment (container ID + ifname, as
 * host-local keys its leases): alive until its DEL or a GC that does not
 * list it; nothing on this host can tell otherwise. */
enum ipam_owner_kind { IPAM_OWNER_NONE, IPAM_OWNER_SANDBOX, IPAM_OWNER_PID,
		       IPAM_OWNER_CONTAINER };

struct ipam_owner {
	enum ipam_owner_kind kind;
	char sandbox[IPAM_NAME_MAX + 1];	/* SANDBOX: its id; CONTAINER: the container ID */
	char ifname[16];			/* CONTAINER: the interface in the container */
	pid_t pid;		/* the owner (PID) or the sandbox's creator; 0: none */
	uint64_t start;		/* field 22 of /proc/PID/stat */
	char boot[37];		/* boot id the pid lived in; "": not recorded */
};

struct ipam_lease {
	uint32_t addr;
	struct ipam_owner owner;	/* kind NONE: the file did not parse */
	int live;
};

struct ipam_net {
	const char *root;	/* NULL: $CORRAL_ROOT, else /run/corral */
	const char *name;	/* validated with valid_name() */
	struct ipam_subnet subnet;	/* prefix 0: the one recorded by an earlier alloc */
	uint32_t gateway;	/* 0: the first host of the subnet */
};

/* Pure parsing and formatting. */
/* Strict dotted quad: four decimal parts 0..255, no leading zeros. */
int ipam_parse_addr(const char *s, uint32_t *addr, struct err *e);
/* "A.B.C.D/P" with IPAM_MIN_PREFIX <= P <= 32 and host bits zero. */
int ipam_parse_cidr(const char *s, struct ipam_subnet *sn, struct err *e);
void ipam_fmt_addr(uint32_t addr, char buf[16]);
void ipam_fmt_cidr(const struct ipam_subnet *sn, char buf[20]);
uint32_t ipam_broadcast(const struct ipam_subnet *sn);
int ipam_contains(const struct ipam_subnet *sn, uint32_t addr);
/* The address after cur in allocation order: network, broadcast and
 * gateway are skipped, the last host wraps to the first. 0 when the
 * subnet has no host besides the gateway. cur may be any value (0 or an
 * address outside the subnet start at the first host). */
uint32_t ipam_next(const struct ipam_subnet *sn, uint32_t gateway, uint32_t cur);
/* Lease file text: "container ID IFNAME\n" alone, or "sandbox ID\n"
 * and/or "pid PID START\n", with
 * "boot BOOT_ID\n" after the pid (a pid and start time mean nothing in
 * another boot); strict, at most one of each line, nothing else. -EINVAL
 * on junk. */
int ipam_parse_lease(const char *text, size_t len, struct ipam_owner *o);
int ipam_format_lease(const struct ipam_owner *o, char *buf, size_t n);
/* "sandbox:ID" or "pid:PID" (reads the start time from /proc). */
int ipam_parse_owner(const char *s, struct ipam_owner *o, struct err *e);
/* Owner = sandbox id; creator (0: none) is the process making it, whose
 * life covers the time before the sandbox's state dir exists. */
int ipam_owner_sandbox(const char *id, pid_t creator, struct ipam_owner *o, struct err *e);
/* Owner = process pid as it runs now (with this boot's id). */
int ipam_owner_pid(pid_t pid, struct ipam_owner *o, struct err *e);
/* This boot's id (/proc/sys/kernel/random/boot_id), "" if unknown. */
void ipam_boot_id(char out[37]);

/* State operations; each holds the network's lock. */
/* Leases an address to o: want when not 0 (EADDRINUSE when another live
 * owner holds it; asking again for one's own is fine), else the next free
 * one after the last handed out. */
int ipam_alloc(const struct ipam_net *n, const struct ipam_owner *o,
	       uint32_t want, uint32_t *addr, struct err *e);
/* Removes the lease of addr (when not 0) and/or every lease of o (when not
 * NULL; a pid owner with start 0 matches that pid at any start).
 * Releasing what is not leased is not an error; *count (may be
 * NULL) tells how many went. */
int ipam_release(const struct ipam_net *n, uint32_t addr, const struct ipam_owner *o,
		 int *count, struct err *e);
/* Removes the lease of addr when o holds it: one lease read, no scan of
 * the others (rm of one sandbox among many). Not leased, or leased to
 * another owner: nothing happens, and that is no error. */
int ipam_release_owned(const struct ipam_net *n, uint32_t addr, const struct ipam_owner *o,
		       struct err *e);
/* Every lease, sorted by address, each with its liveness. free() *out. */
int ipam_list(const struct ipam_net *n, struct ipam_lease **out, size_t *count,
	      struct err *e);
/* Removes the leases of gone owners and stale temp files. */
int ipam_gc(const struct ipam_net *n, int *reclaimed, struct err *e);
/* ipam_gc on every network under root; drops network dirs left empty. */
int ipam_gc_all(const char *root, int *reclaimed, struct err *e);
/* The recorded subnet and gateway of a network (-ENOENT if none). */
int ipam_subnet_get(const struct ipam_net *n, struct ipam_subnet *sn, uint32_t *gw,
		    struct err *e);

#endif
