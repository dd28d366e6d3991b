/* Tar headers: ustar, GNU long names (L/K) and base-256 numbers, PAX
 * extended headers. Pure parsing, no I/O: layer.c feeds it 512-byte
 * blocks and the bodies of L/K/x/g entries. */
#ifndef CORRAL_TAR_H
#define CORRAL_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define TAR_BLOCK 512
#define TAR_PATH_MAX 4096	/* longest name or link target we accept */
#define TAR_META_MAX (1u << 20)	/* longest L/K/x body we accept */
#define TAR_XATTR_MAX 64	/* xattrs per entry */

enum tar_type {
	TAR_FILE = '0', TAR_HARDLINK = '1', TAR_SYMLINK = '2', TAR_CHAR = '3',
	TAR_BLOCKDEV = '4', TAR_DIR = '5', TAR_FIFO = '6', TAR_CONTIG = '7',
	TAR_GNU_LONGNAME = 'L', TAR_GNU_LONGLINK = 'K',
	TAR_PAX = 'x', TAR_PAX_GLOBAL = 'g',
};

struct tar_xattr {
	char *name;
	char *value;
	size_t len;
};

/* Overrides gathered from L, K and x entries, applied to the next header. */
struct tar_pending {
	char *path, *linkpath;		/* malloc'd or NULL */
	bool has_size, has_mtime, has_uid, has_gid;
	uint64_t size;
	int64_t mtime_sec;
	long mtime_nsec;
	uint64_t uid, gid;
	int nxattr;
	struct tar_xattr xattr[TAR_XATTR_MAX];
};

struct tar_entry {
	char type;		/* enum tar_type ('\0' is read as TAR_FILE) */
	char *path;		/* malloc'd, NUL-terminated */
	char *linkpath;		/* malloc'd, "" when none */
	uint32_t mode;		/* permission bits incl. suid/sgid/sticky */
	uint64_t uid, gid, size;
	int64_t mtime_sec;
	long mtime_nsec;
	uint32_t devmajor, devminor;
	int nxattr;
	struct tar_xattr xattr[TAR_XATTR_MAX];	/* owned by the entry */
};

/* 1 when all 512 bytes are zero (the end marker is two such blocks). */
bool tar_block_zero(const unsigned char *blk);
/* Checks the header checksum (unsigned sum, signed sum accepted too). */
bool tar_checksum_ok(const unsigned char *blk);
/* Numeric field: octal (space/NUL terminated) or GNU base-256 (high bit
 * of the first byte). -EINVAL on bad digits, -ERANGE on overflow or a
 * negative base-256 number. */
int tar_number(const unsigned char *field, size_t len, uint64_t *out);

/* Parses a header block into ent, applying and clearing pend (which may
 * hold the path/linkpath/size/... from preceding L/K/x entries). For the
 * meta types L, K, x, g ent->type says so and ent->size is the body
 * length; hand the body to tar_meta(). */
int tar_header(const unsigned char *blk, struct tar_pending *pend,
	       struct tar_entry *ent, struct err *e);
/* Takes the body of an L, K or x entry (g is read and ignored, as Docker
 * does) into pend. PAX records are "LEN key=value\n" with LEN counting the
 * whole record; a bad length or missing '=' or newline is -EINVAL. */
int tar_meta(char type, const char *body, size_t len, struct tar_pending *pend, struct err *e);
void tar_pending_free(struct tar_pending *p);
void tar_entry_free(struct tar_entry *ent);

/* Normalizes a member name in place to a relative path: leading "./"
 * stripped, "//" and "/./" collapsed, trailing "/" dropped. "" (the root
 * itself) stays "". -EPERM if it is absolute or any component is "..",
 * -ENAMETOOLONG beyond TAR_PATH_MAX. */
int tar_clean_path(char *path);

#endif
