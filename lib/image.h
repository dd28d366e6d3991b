/* What an image says about the process it runs: Entrypoint, Cmd, Env,
 * WorkingDir and User from its config blob, combined with the command
 * line the way Docker does. */
#ifndef CORRAL_IMAGE_H
#define CORRAL_IMAGE_H

#include <sys/types.h>
#include "err.h"

#define IMAGE_MAX_ARGS 256

struct image_config {
	char **entrypoint;	/* NULL-terminated, malloc'd; NULL when unset */
	char **cmd;
	char **env;
	char *workdir;		/* "" when unset */
	char *user;		/* "" when unset */
};

/* Parses an OCI/Docker image config ({"config": {...}}). Strings in the
 * arrays must be strings; Env entries must be K=V. */
int image_config_parse(const char *json, size_t len, struct image_config *c, struct err *e);
void image_config_free(struct image_config *c);

/* The image `name` (a reference, as `corral pull` takes it) ready to run:
 * the path of its unpacked rootfs in the store and its config, pulled and
 * unpacked first where the store lacks them. */
int image_open(const char *name, char *rootfs, size_t n, struct image_config *c, struct err *e);

/* Docker's rule: entrypoint (the --entrypoint one if given, which also
 * drops the image's Cmd) followed by the command line's args, or by Cmd
 * when there are none. Returns a malloc'd NULL-terminated vector (its
 * strings are borrowed), or NULL with e set when nothing is left to run. */
char **image_argv(const struct image_config *c, const char *entrypoint,
		  char **args, struct err *e);

/* Puts the image's Env, with Docker's PATH where it sets none, before the
 * *nset entries of set (which win over it, as --env does), for at most
 * max in all: -E2BIG when more. */
int image_env(const struct image_config *c, const char **set, size_t *nset, size_t max);

/* Resolves "uid[:gid]" or "name[:group]" with the image's /etc/passwd and
 * /etc/group, read inside rootfs_fd (never following a link out of it).
 * A bare uid takes its passwd gid, or 0. */
int image_user(int rootfs_fd, const char *user, uid_t *uid, gid_t *gid, struct err *e);
/* Pure parse of passwd/group text: the id for name (or the numeric
 * string), and for passwd its primary gid. -ENOENT when absent. */
int image_lookup(const char *text, const char *name, unsigned *id, unsigned *gid);

#endif
