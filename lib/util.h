/* Small pure helpers: number, size and name parsing, fd and file I/O. */
#ifndef CORRAL_UTIL_H
#define CORRAL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <sys/types.h>
#include "err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Decimal unsigned integer within [min, max]; whole string only. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct err *e);
/* "64m", "1G", "512k", "4096": bytes, binary suffixes, case-insensitive. */
int parse_size(const char *s, uint64_t *out, struct err *e);
/* A hostname per RFC 1123 labels, at most 64 bytes. */
int valid_hostname(const char *s);
/* Names we turn into paths or interface names: [A-Za-z0-9_.-], no leading
 * '.' or '-', 1..max bytes. */
int valid_name(const char *s, size_t max);

/* The state root: root when given, else $CORRAL_ROOT, else /run/corral. */
const char *state_root(const char *root);

/* Reads a whole file (at most max bytes) into a malloc'd, NUL-terminated buffer. */
int read_file(const char *path, size_t max, char **out, size_t *len, struct err *e);
/* opendir of name under dfd (AT_FDCWD: a path), O_CLOEXEC plus flags
 * (O_NOFOLLOW, say); NULL with errno set. */
DIR *opendir_at(int dfd, const char *name, int flags);
/* Removes name under dfd, a directory with everything in it (no link is
 * followed; read-only directories are opened up first), at most max_depth
 * levels deep (-ELOOP past that). A missing name is fine. */
int remove_tree(int dfd, const char *name, int max_depth);
/* Writes all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/* Starts writing fd's bytes [*done, end) to disk, without waiting, once
 * there are 1 MiB of them, so that the fsync or syncfs that makes them
 * durable later finds little left to write; *done becomes end. Advisory:
 * errors are ignored. */
void write_behind(int fd, uint64_t *done, uint64_t end);
/* Writes a short string to a file (sysctls, /proc files, cgroup knobs). */
int write_str(const char *path, const char *s, struct err *e);
/* Inflates len bytes of raw deflate data z[0..zlen) (tools/zembed.sh)
 * into out: 0, or -ENOMEM (zlib's state) or -EIO (corrupt data). */
int inflate_raw(const void *z, size_t zlen, void *out, size_t len);

/* For a zeroed buffer of a page or more: placed after every other
 * variable (x86_64's .lbss follows .bss), so that the small ones share
 * the few pages main makes ahead, and no big buffer that a process may
 * not use lies among them. tests/integration/01-dispatch.sh checks that
 * they fit. */
#ifdef __x86_64__
#define BIG_BSS(name) __attribute__((section(".lbss." #name)))
#else
#define BIG_BSS(name)
#endif

/* Makes the pages of [p, p + n), rounded out to whole pages, at once: on
 * a VM each page fault is a trap to the hypervisor (~13 us here), where a
 * page made by this call costs ~1 us, and ~5 us more when first touched.
 * For memory about to be written anyway. Best effort
 * (MADV_POPULATE_WRITE, Linux 5.14); errno is kept. */
void mem_populate(const void *p, size_t n);

#endif
