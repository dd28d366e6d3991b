/* What netsetup's two halves share: the context of one command, the
 * subcommand tables (the ip-like objects in netsetup.c; nat, ipam and gc in
 * netsetup_nat.c) and the helpers for errors and lists. */
#ifndef CORRAL_NETSETUP_H
#define CORRAL_NETSETUP_H

#include <stdbool.h>
#include "err.h"
#include "json.h"
#include "nl.h"

struct ns_ctx {
	const char *ns;		/* -n NS or a trailing "netns NS"; NULL: ours */
	bool json;
	struct err e;
};

/* A subcommand: `OBJECT VERB ARGS...`; verb NULL takes any words. fn gets
 * the words after OBJECT VERB. */
struct netsetup_cmd {
	const char *object;
	const char *verb;
	int (*fn)(struct ns_ctx *c, int argc, char **argv);
};

/* A list printed as text lines, or as one JSON array with --json. */
struct list_out {
	bool json;
	struct jw w;
};

/* A lib/ error; EPERM gets told what it lacks. Returns 125. */
int net_fail(struct ns_ctx *c);
/* A netlink socket of protocol proto in c->ns (or here). */
int net_sock(struct ns_ctx *c, struct nl *nl, int proto);
/* Bad input: one line, exit 125, nothing done. */
int net_bad(const char *fmt, const char *arg);
void list_begin(struct list_out *o, bool json);
int list_end(struct list_out *o, int r, struct ns_ctx *c);

/* nat, ipam and gc; ends with a zeroed entry */
extern const struct netsetup_cmd netsetup_nat_cmds[];

#endif
