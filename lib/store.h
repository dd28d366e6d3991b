/* The image store: content-addressed blobs, unpacked rootfs trees keyed by
 * manifest digest, and refs (name:tag -> manifest digest).
 *
 * Images persist across reboots, so the store is not under the state dir
 * (/run/corral): it lives in /var/lib/corral/images, or $CORRAL_IMAGES.
 *
 *   blobs/sha256/<hex>             verified blobs (manifests, configs, layers)
 *   blobs/sha256/.partial-<hex>    a blob being written; kept for resuming
 *   rootfs/<hex>/                  the tree of manifest sha256:<hex>
 *   rootfs/.tmp-<hex>-<pid>/       a tree being unpacked; never used
 *   refs/<sha256 of the ref>.json  {"ref": "...", "digest": "sha256:...", "time": N}
 *   .lock                          flock: shared while open, exclusive for gc/rmi
 *
 * A blob reaches blobs/sha256/<hex> only after its SHA-256 matched; a tree
 * reaches rootfs/<hex> only after every layer unpacked. So an interrupted
 * pull leaves nothing that is taken for whole, and running it again
 * completes it.
 *
 * A pull, in calls:
 *   store_open(&s, NULL, &e);
 *   for the manifest (digest known from the ref or Docker-Content-Digest),
 *   the config and each layer not yet store_has_blob():
 *       store_blob_begin(&s, digest, size, &w, &e);  // w.size > 0: resume
 *       ... GET with "Range: bytes=<w.size>-"; on 200 not 206: blob_restart()
 *       blob_write(&w, buf, n, &e) per chunk;   interrupted: store_blob_abort(&w, true)
 *       store_blob_commit(&w, &e);              // -EBADMSG: digest mismatch, nothing kept
 *   store_manifest(&s, mdigest, &m, &e) lists config and layers (after the
 *   manifest blob is committed); index resolution is the caller's.
 *   store_rootfs_build(&s, mdigest, &e);
 *   store_ref_set(&s, "docker.io/library/busybox:latest", mdigest, &e);
 *   store_close(&s);
 * run --image: store_ref_get() then store_rootfs_path(), and the config
 * blob through store_manifest() + store_blob_read(). */
#ifndef CORRAL_STORE_H
#define CORRAL_STORE_H

#include <bearssl_hash.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"

#define STORE_DEFAULT_DIR "/var/lib/corral/images"
#define DIGEST_LEN 71		/* "sha256:" + 64 hex */
#define REF_MAX 255

struct store {
	int dirfd;		/* the store dir, O_PATH|O_DIRECTORY */
	int lockfd;		/* .lock, holds LOCK_SH */
	char dir[PATH_MAX];
};

/* $CORRAL_IMAGES, else STORE_DEFAULT_DIR. */
const char *store_default_dir(void);
/* Opens (creating as needed, mode 0700) the store at dir; dir NULL means
 * store_default_dir(). */
int store_open(struct store *s, const char *dir, struct err *e);
void store_close(struct store *s);

/* 1 when d is "sha256:" followed by exactly 64 lowercase hex digits. Every
 * function here checks its digests with it before building a path. */
bool digest_valid(const char *d);

/* ---- blobs ---- */

/* 1 when the verified blob is present, 0 when not, <0 on a bad digest. */
int store_has_blob(struct store *s, const char *digest);
/* Opens a verified blob O_RDONLY|O_CLOEXEC; returns the fd. -ENOENT if absent. */
int store_blob_open(struct store *s, const char *digest, struct err *e);
/* Reads a whole verified blob (at most max bytes) into a malloc'd,
 * NUL-terminated buffer: for manifests and configs. */
int store_blob_read(struct store *s, const char *digest, size_t max,
		    char **out, size_t *len, struct err *e);
/* Absolute path of a verified blob, into buf. */
int store_blob_path(struct store *s, const char *digest, char *buf, size_t n, struct err *e);

struct blob_writer {
	struct store *s;
	char digest[DIGEST_LEN + 1];
	int fd;			/* the .partial file, flock'ed LOCK_EX */
	uint64_t size;		/* bytes in the partial file so far */
	uint64_t behind;	/* of those, the bytes sent to disk (write_behind) */
	int64_t expect;		/* expected total size, -1 when unknown */
	br_sha256_context sha;	/* over the first `size` bytes */
};

/* Starts (or resumes) writing blob digest. expect is the size the
 * descriptor names (-1: unknown); a write past it fails with -EFBIG.
 * If a .partial file is left from an interrupted write, its bytes are
 * re-hashed and w->size says how many there are: ask the server for
 * `Range: bytes=<w->size>-`, and call blob_restart() if it answers with
 * the whole blob instead (200, not 206). -EBUSY if another process is
 * writing the same blob. If the blob is already whole, this still works
 * (commit then just checks the copy); use store_has_blob() to skip it. */
int store_blob_begin(struct store *s, const char *digest, int64_t expect,
		     struct blob_writer *w, struct err *e);
/* Appends len bytes. */
int blob_write(struct blob_writer *w, const void *buf, size_t len, struct err *e);
/* Throws away what the partial file holds and starts at byte 0. */
int blob_restart(struct blob_writer *w, struct err *e);
/* Checks size and digest, fsyncs, and renames into place. On a mismatch
 * the partial file is deleted and the result is -EBADMSG with
 * "blob sha256:...: digest mismatch (got sha256:...)". Either way w is
 * finished (no abort needed afterwards). */
int store_blob_commit(struct blob_writer *w, struct err *e);
/* Stops writing. keep: leave the .partial file for a later resume
 * (interrupted transfer); else delete it (bad data). */
void store_blob_abort(struct blob_writer *w, bool keep);

/* ---- manifests ---- */

#define MANIFEST_MAX_LAYERS 128
struct manifest {
	char config[DIGEST_LEN + 1];
	int nlayers;
	struct {
		char digest[DIGEST_LEN + 1];
		int64_t size;
		bool gzip;	/* from the media type: +gzip / .tar.gzip */
	} layers[MANIFEST_MAX_LAYERS];
};
/* Parses an image manifest (OCI or Docker v2 schema 2) held in memory:
 * config digest and the layer list, every digest validated. An index or
 * manifest list is refused with -EINVAL (resolve it first). Layer media
 * types that are neither tar nor tar+gzip (zstd, foreign) are refused
 * with -ENOTSUP, naming the type. */
int manifest_parse(const char *text, size_t len, struct manifest *m, struct err *e);
/* The same, for a manifest stored as a blob. */
int store_manifest(struct store *s, const char *digest, struct manifest *m, struct err *e);

/* ---- rootfs trees ---- */

/* 1 when rootfs/<hex> of this manifest exists (and so is whole). */
int store_has_rootfs(struct store *s, const char *manifest_digest);
/* Absolute path of rootfs/<hex>, into buf (whether or not it exists). */
int store_rootfs_path(struct store *s, const char *manifest_digest,
		      char *buf, size_t n, struct err *e);
/* Builds rootfs/<hex> for a manifest whose blob and layer blobs are all in
 * the store: unpacks the layers in order into rootfs/.tmp-<hex>-<pid>,
 * then renames it into place. Does nothing when the tree already exists.
 * On any failure the temp tree is removed and nothing is committed.
 * Temp trees of dead processes are removed first. */
int store_rootfs_build(struct store *s, const char *manifest_digest, struct err *e);

/* ---- refs ---- */

/* A ref is the normalized reference ("docker.io/library/busybox:latest"
 * or "...@sha256:..."): 1..REF_MAX printable bytes, no spaces. */
bool ref_valid(const char *ref);
/* Points ref at a manifest (written atomically: temp + fsync + rename). */
int store_ref_set(struct store *s, const char *ref, const char *manifest_digest, struct err *e);
/* The manifest digest of ref, into digest[DIGEST_LEN + 1]; -ENOENT if none. */
int store_ref_get(struct store *s, const char *ref, char *digest, struct err *e);

struct store_image {
	char ref[REF_MAX + 1];
	char digest[DIGEST_LEN + 1];	/* manifest */
	int64_t time;			/* when the ref was set, unix seconds */
	uint64_t size;			/* sum of layer sizes (compressed) */
	bool unpacked;			/* rootfs present */
};
/* Every ref, sorted by ref. *out is malloc'd (free it); *n may be 0. */
int store_list(struct store *s, struct store_image **out, size_t *n, struct err *e);
/* Removes a ref (-ENOENT if none), then collects garbage as store_gc. */
int store_rmi(struct store *s, const char *ref, struct err *e);

struct store_gc_stats {
	unsigned blobs, trees, partials;	/* removed */
	uint64_t bytes;				/* of blobs removed */
};
/* Removes blobs and trees no ref reaches (manifest, its config and
 * layers), temp trees of dead processes, and .partial files nobody is
 * writing. Takes the store lock exclusively: -EBUSY while another
 * process has the store open. stats may be NULL. */
int store_gc(struct store *s, struct store_gc_stats *stats, struct err *e);

/* Shared by lib/store.c and lib/store_gc.c. */
#define STORE_BLOBS "blobs/sha256"	/* the blobs' directory */
#define STORE_MAX_DEPTH 4096		/* of a tree being removed */
/* Whether name is ".tmp-<hex>-<pid>" of a process that is gone. */
bool store_stale_tmp(const char *name);
/* Removes those temp trees under sub, a directory of the store. */
void store_remove_stale_tmps(struct store *s, const char *sub);

#endif
