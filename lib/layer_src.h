/* The tar stream of an image layer, read from its blob: plain, or gzip
 * (one member or several), told by the first bytes; zstd is refused. For
 * lib/layer.c. */
#ifndef CORRAL_LAYER_SRC_H
#define CORRAL_LAYER_SRC_H

#include <stdint.h>
#include <sys/types.h>
#include "err.h"
#include "layer.h"

struct layer_src;

/* Opens the stream read through fn, reading its first bytes to tell the
 * format; counts into st (in_bytes read, tar_bytes made). 0, or -errno
 * with e filled (ENOMEM; ENOTSUP for zstd; fn's own error). */
int layer_src_open(struct layer_src **out, layer_read_fn fn, void *arg,
		   struct layer_stats *st, struct err *e);
void layer_src_close(struct layer_src *s);
/* Reads up to n bytes of tar; fewer only at the end of the stream. A
 * truncated or corrupt gzip stream fails with -EBADMSG. */
ssize_t layer_src_read(struct layer_src *s, void *buf, size_t n, struct err *e);

#endif
