/* Unpacking an image layer (tar, plain or gzip) into a rootfs directory.
 *
 * Streamed: the compressed input is read in small pieces and inflated with
 * zlib; no entry and no blob is ever held whole in memory.
 *
 * Whiteouts: ".wh.NAME" deletes NAME left by lower layers, and
 * ".wh..wh..opq" empties the directory it is in (of lower-layer entries).
 *
 * Confinement: every parent path is resolved inside the rootfs with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), and the last component
 * is never followed. So entries that name a ".." component or an absolute
 * path, hard links whose target does, and entries reached through a
 * symlink that leads out of the rootfs (absolute, or climbing with ..),
 * such as one planted by an earlier layer, all fail with -EPERM and a
 * message naming the entry; nothing is written outside. Symlinks
 * themselves may point anywhere: they are only followed inside. Device
 * nodes are made only when running as root (else skipped, counted);
 * fifos always.
 * Modes, ownership (when root), mtimes (directories' last), hard links
 * and user.* and security.* xattrs (PAX SCHILY.xattr.*, where the
 * filesystem takes them) are kept; trusted.* and system.* are not the
 * image's to set. Peak memory is about 1.5 MiB whatever the layer size. */
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
