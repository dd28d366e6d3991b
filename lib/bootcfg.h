/* The boot config of `corral init` (boot.json): parsed and validated into
 * a plain struct. The keys are documented in `corral init --help`. */
#ifndef CORRAL_BOOTCFG_H
#define CORRAL_BOOTCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "err.h"

#define BOOTCFG_MAX_SIZE (1u << 20)
#define BOOTCFG_MAX_WORKLOADS 64
#define BOOTCFG_NAME_MAX 32

enum boot_kind { KIND_RUN, KIND_EXEC };
enum boot_restart { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };
enum boot_action { ACT_NONE, ACT_POWEROFF, ACT_REBOOT, ACT_RESTART };

/* The names of the values above, as the config spells them. */
extern const char *const boot_kind_names[];
extern const char *const boot_restart_names[];
extern const char *const boot_action_names[];

/* A NULL-terminated array of strings. */
struct vec {
	char **v;
	size_t n, cap;
};

struct workload {
	char *name;
	enum boot_kind kind;
	struct vec argv;	/* what init executes: corral run ... -- COMMAND, or COMMAND */
	struct vec env;		/* exec kind: K=V added to the environment */
	enum boot_restart restart;
	enum boot_action on_exit;
	bool tty;		/* the console is its controlling terminal */
	/* The supervisor's state; zero after parsing. */
	pid_t pid;
	bool done;
	unsigned restarts;
	unsigned delay_ms;
	long long started, start_at;	/* monotonic ms; start_at 0: not pending */
};

struct bootcfg {
	bool switch_root;
	unsigned stop_timeout;		/* seconds */
	bool log_kmsg;
	struct vec modules;
	struct workload w[BOOTCFG_MAX_WORKLOADS];
	size_t nw;
};

/* Whether this build's `corral run` has an option such as "--memory"
 * (limits need them); NULL: every option is there. */
typedef bool (*bootcfg_has_option)(const char *opt);

/* Parses text (len bytes) into c; errors name the key, e.g.
 * "workload web: bad restart (want one of no, on-failure, always)".
 * On failure c is freed. */
int bootcfg_parse(const char *text, size_t len, bootcfg_has_option has, struct bootcfg *c,
		  struct err *e);
/* bootcfg_parse of the file at path; errors start with the path. */
int bootcfg_load(const char *path, bootcfg_has_option has, struct bootcfg *c, struct err *e);
void bootcfg_free(struct bootcfg *c);

#endif
