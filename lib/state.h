/* Sandbox state: <root>/sandboxes/<id>/ holds state.json (the sandbox, once
 * it is ready), `creating` or `removing` (the pid and start time of the
 * corral process at work, so that gc can tell a live one from a crashed
 * one) and `pause` (the pause process, recorded as soon as it exists).
 * <root>/sandboxes/names/NAME is a symlink to the id that holds NAME, and
 * <root>/sandboxes/lock is flocked by every change that spans files.
 * Every write is temp + fsync + rename. Nothing read back is trusted:
 * files are parsed strictly and every field is checked before use. */
#ifndef CORRAL_STATE_H
#define CORRAL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cgroup.h"
#include "err.h"

#define SANDBOX_ID_LEN 16
#define SANDBOX_NAME_MAX 64
#define SANDBOX_NETNS_PREFIX "cr-"	/* netns cr-<first 8 of id> */
#define SANDBOX_CGROUP_PREFIX "sandbox-"	/* cgroup corral/sandbox-<id> */

/* 1 when s is a sandbox id: exactly 16 lowercase hex digits. */
int sandbox_id_valid(const char *s);
/* 1 when s may name a sandbox: valid_name(s, SANDBOX_NAME_MAX). */
int sandbox_name_valid(const char *s);
/* 16 lowercase hex digits from getrandom. */
int state_new_id(char id[SANDBOX_ID_LEN + 1], struct err *e);
void sandbox_netns_name(const char *id, char out[16]);
void sandbox_cgroup_name(const char *id, char out[32]);

/* CRI NamespaceMode; TARGET is parsed so that it can be refused by name. */
enum ns_mode { NS_MODE_POD, NS_MODE_CONTAINER, NS_MODE_NODE, NS_MODE_TARGET, NS_MODE_NONE };
const char *ns_mode_name(enum ns_mode m);	/* "pod", "container", ... */
/* "pod"/"POD", ...; -EINVAL for anything else. */
int ns_mode_parse(const char *s, enum ns_mode *m);

struct sandbox_state {
	char id[SANDBOX_ID_LEN + 1];
	char name[SANDBOX_NAME_MAX + 1];	/* "" when it has none */
	pid_t pause_pid;
	unsigned long long pause_start_time;	/* field 22 of /proc/PID/stat */
	enum ns_mode net, pid, ipc;		/* net: pod, node or none */
	char netns[16];				/* "" with net node */
	char host_veth[16];			/* "" unless net pod */
	char network[33];			/* "" unless net pod */
	uint32_t addr;				/* host order, 0 unless net pod */
	unsigned prefix;
	uint32_t gateway;
	char cgroup[CGROUP_NAME_MAX + 1];	/* "" when there are no limits */
	struct cgroup_limits limits;
	int64_t created;			/* unix seconds */
	uint32_t created_ns;
};

struct jw;
/* Writes the state object to w. */
void sandbox_state_jw(struct jw *w, const struct sandbox_state *s);
/* The state as JSON (pretty when asked); free() *out. */
int sandbox_state_format(const struct sandbox_state *s, bool pretty, char **out,
			 size_t *len, struct err *e);
/* Strict: every member known, of the right type and range; id must be
 * want_id when not NULL. */
int sandbox_state_parse(const char *text, size_t len, const char *want_id,
			struct sandbox_state *s, struct err *e);
/* <root>/sandboxes/<id>/state.json. -ENOENT when it is not there. */
int sandbox_state_read(const char *root, const char *id, struct sandbox_state *s,
		       struct err *e);
int sandbox_state_write(const char *root, const struct sandbox_state *s, struct err *e);

/* A process mark: "PID START\n", for `creating`, `removing` and `pause`. */
int state_mark_write(const char *root, const char *id, const char *file, pid_t pid,
		     unsigned long long start, struct err *e);
/* -ENOENT when absent, -EINVAL when it does not parse. */
int state_mark_read(const char *root, const char *id, const char *file, pid_t *pid,
		    unsigned long long *start);

/* Members: a corral process that joins the pod (run --sandbox, nsenter
 * --sandbox) first leaves an empty member.PID.START in the sandbox's dir,
 * so that rm stops it without a walk of every process on the host. */
struct state_member {
	pid_t pid;
	unsigned long long start;
};
/* Under the lock: refuses a sandbox that is gone (-ENOENT) or being
 * removed (-ESRCH), drops the marks of members that are gone, then adds
 * pid's. After it, rm either sees the mark or the joiner sees `removing`. */
int state_member_add(const char *root, const char *id, pid_t pid, unsigned long long start,
		     struct err *e);
void state_member_del(const char *root, const char *id, pid_t pid, unsigned long long start);
/* The marks in the dir (not checked for life), at most max; -errno. */
int state_members(const char *root, const char *id, struct state_member *out, size_t max);
/* 0 when name is member.PID.START, filling m; -EINVAL otherwise. */
int state_member_parse(const char *name, struct state_member *m);

/* Writes data to dir/file: temp + fsync + rename. */
int state_write_at(const char *dir, const char *file, const char *data, size_t len,
		   struct err *e);
/* <root>/sandboxes (made when mk), into buf. */
int state_dir(const char *root, char *buf, size_t n, bool mk, struct err *e);
/* The lock over <root>/sandboxes; returns the fd to pass to state_unlock. */
int state_lock(const char *root, struct err *e);
void state_unlock(int fd);
/* Makes <root>/sandboxes/<id> (-EEXIST when it is there), under
 * state_lock, which makes <root>/sandboxes. */
int state_mkdir(const char *root, const char *id, struct err *e);
/* Removes the files of <root>/sandboxes/<id> and the dir; gone is fine. */
int state_remove(const char *root, const char *id, struct err *e);
/* Claims NAME for id (under the lock): -EEXIST when a sandbox that still
 * has its dir holds it; a claim left by a sandbox that is gone is taken over. */
int state_name_claim(const char *root, const char *name, const char *id, struct err *e);
/* Drops NAME when it points to id. */
void state_name_release(const char *root, const char *name, const char *id);
/* The id NAME points to (-ENOENT if none). */
int state_name_lookup(const char *root, const char *name, char id[SANDBOX_ID_LEN + 1]);
/* Drops names whose sandbox dir is gone; returns how many. */
int state_names_gc(const char *root);
/* ref (an id, else a name) to an id whose dir exists. -EINVAL for a ref
 * that is neither, -ENOENT when there is no such sandbox. */
int state_resolve(const char *root, const char *ref, char id[SANDBOX_ID_LEN + 1],
		  struct err *e);
/* The ids under <root>/sandboxes, sorted; free() *ids. */
int state_list(const char *root, char (**ids)[SANDBOX_ID_LEN + 1], size_t *n, struct err *e);

#endif
