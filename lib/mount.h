/* The sandbox's root: a read-only lower directory under a writable tmpfs
 * overlay, its own /proc, /sys and a minimal /dev, the user's extra mounts
 * in argv order, Docker's masked paths, then pivot_root (or, where / cannot
 * be pivoted, MS_MOVE + chroot). Runs inside a fresh mount namespace. */
#ifndef CORRAL_MOUNT_H
#define CORRAL_MOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "err.h"

enum mount_kind { MOUNT_BIND, MOUNT_TMPFS };

struct mount_op {
	enum mount_kind kind;
	const char *src;	/* bind: host path */
	const char *dst;	/* path inside the sandbox */
	bool ro;
	int fd;			/* bind: the cloned source tree (rootfs_open_sources) */
};

/* A file bound read-only into the sandbox: text written into the scratch
 * tmpfs, or the host file at host (skipped when it does not exist). */
struct rootfs_file {
	const char *path;
	const char *text;
	const char *host;
};

struct rootfs {
	const char *lower;	/* absolute, canonical */
	uint64_t upper_size;	/* bytes of the writable tmpfs */
	struct mount_op *ops;
	size_t nops;
	bool no_pivot;		/* force the MS_MOVE + chroot path */
	bool sysfs;		/* mount a read-only /sys */
	bool sysfs_later;	/* not in rootfs_enter: rootfs_enter_sys does it */
	const struct rootfs_file *files;	/* bound before the user's mounts */
	size_t nfiles;
};

enum root_switch { ROOT_PIVOT = 1, ROOT_CHROOT = 2 };

/* Parses a --bind spec "SRC[:DST[:ro|rw]]" (DST defaults to SRC) or a
 * --tmpfs target "DST" in place (spec is split with NULs); ro forces
 * read-only. Targets must be absolute. */
int mount_op_parse(char *spec, enum mount_kind kind, bool ro, struct mount_op *m, struct err *e);

/* Checks what can be checked before any namespace exists: lower is a
 * directory usable as an overlay lower, bind sources exist, targets are
 * absolute. Canonicalizes paths in place (strings are malloc'd). */
int rootfs_validate(struct rootfs *r, struct err *e);
/* Clones every bind source (open_tree) while the host tree is still in
 * view; call in the new mount namespace before rootfs_enter. */
int rootfs_open_sources(struct rootfs *r, struct err *e);
/* Builds the new root and switches into it; *how says which way. */
int rootfs_enter(const struct rootfs *r, enum root_switch *how, struct err *e);
/* With sysfs_later: after rootfs_enter, /sys and its masked paths. A sysfs
 * shows the network devices of the netns its mounter is in, so a caller
 * that joins its netns only after the switch mounts /sys then. Callers
 * make sure no mount of the user's lies under /sys (it would be hidden). */
int rootfs_enter_sys(const struct rootfs *r, struct err *e);

#endif
