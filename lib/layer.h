/* Unpacking an image layer (tar, plain or gzip) into a rootfs directory.
 *
 * Streamed: the compressed input is read in small pieces and inflated with
 * zlib; no entry and no blob is ever held whole in memory.
 *
 * Whiteouts: ".wh.NAME" deletes NAME left by lower layers, and
 * ".wh..wh..opq" empties the directory it is in (of lower-layer entries).
 *
 * Confinement: every path is resolved inside the rootfs (openat2 with
 * RESOLVE_IN_ROOT, so a symlink planted by an earlier layer is followed as
 * if the rootfs were "/" and cannot lead out). Entries with a ".."
 * component are refused (-EPERM, naming the entry); a leading "/" is
 * stripped. Hard links must name a path inside the rootfs. Device nodes
 * and fifos are made only when running as root (else skipped).
 * Modes, ownership (when root), mtimes, hard links and xattrs (PAX
 * SCHILY.xattr.*, where the filesystem takes them) are kept. */
#ifndef CORRAL_LAYER_H
#define CORRAL_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"

/* Reads up to n bytes into buf: >0 bytes read, 0 at the end, <0 -errno
 * (with e filled). */
typedef ssize_t (*layer_read_fn)(void *arg, void *buf, size_t n, struct err *e);

struct layer_stats {
	uint64_t entries;	/* tar entries applied */
	uint64_t in_bytes;	/* bytes read from the source */
	uint64_t tar_bytes;	/* bytes of tar after inflating */
	uint64_t skipped;	/* entries skipped (devices when not root) */
};

/* Unpacks the layer read through fn into the directory rootfs_fd (an
 * O_DIRECTORY fd). Gzip or plain tar is told by the first bytes; zstd and
 * anything else is refused with a message. A truncated or corrupt stream
 * fails with -EBADMSG. stats may be NULL. On failure the rootfs is left
 * half-written: unpack into a temp tree (store_rootfs_build does). */
int layer_unpack(layer_read_fn fn, void *arg, int rootfs_fd,
		 struct layer_stats *stats, struct err *e);
/* The same, reading from fd (a blob file) until its end. */
int layer_unpack_fd(int fd, int rootfs_fd, struct layer_stats *stats, struct err *e);

#endif
