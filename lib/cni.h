/* A CNI plugin (spec 1.0.0, with the 1.1 GC and STATUS verbs) over the
 * network core: a `bridge` network config with `host-local`-style ipam, as
 * lib/netconf parses it. ADD attaches CNI_IFNAME in CNI_NETNS with a
 * lease owned by (container ID, ifname); DEL releases it, also when the
 * netns is gone; CHECK reads the kernel's state back; GC drops the leases
 * of attachments the runtime no longer lists. */
#ifndef CORRAL_CNI_H
#define CORRAL_CNI_H

#include <stddef.h>
#include "err.h"
#include "json.h"

/* The spec's error codes. */
enum {
	CNI_ERR_VERSION = 1,	/* incompatible CNI version */
	CNI_ERR_FIELD = 2,	/* unsupported field in the network config */
	CNI_ERR_CONTAINER = 3,	/* container unknown or does not exist */
	CNI_ERR_ENV = 4,	/* invalid necessary environment variables */
	CNI_ERR_IO = 5,		/* I/O failure */
	CNI_ERR_DECODE = 6,	/* failed to decode content */
	CNI_ERR_CONFIG = 7,	/* invalid network config */
	CNI_ERR_AGAIN = 11,	/* try again later */
	CNI_ERR_INTERNAL = 999,	/* anything else, as libcni's ErrInternal */
};

/* The CNI_* environment variables; NULL when unset. */
struct cni_env {
	const char *command, *container_id, *netns, *ifname, *args, *path;
};

/* Runs one operation on the network config conf[0..len). On success
 * returns 0 and leaves the JSON to print (possibly none: out->len 0) in
 * out (jw_init'd by the caller). On failure returns the spec's error code
 * (> 0) with the message in e; cni_error() makes the JSON of it. root: the
 * state root for leases when the config has no ipam.dataDir (NULL:
 * $CORRAL_ROOT or /run/corral). */
int cni_exec(const struct cni_env *env, const char *conf, size_t len, const char *root,
	     struct jw *out, struct err *e);

/* {"cniVersion", "code", "msg"} of an error; version is the config's
 * when it had a supported one, else the newest we speak. */
void cni_error(struct jw *out, const char *conf, size_t len, int code, const char *msg);

/* The versions this plugin speaks, oldest first. */
extern const char *const cni_versions[];

#endif
