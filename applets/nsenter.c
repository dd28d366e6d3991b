/* nsenter - run a program in the namespaces of a process or a sandbox
 *
 * usage: corral nsenter [OPTIONS] [PROGRAM [ARG...]]
 *
 * Joins namespaces of another process (or files naming them) and runs
 * PROGRAM, or $SHELL (default /bin/sh) as a login shell. The options and
 * exit codes are util-linux nsenter's, so its scripts run unchanged.
 *
 *   -t, --target PID        the process whose namespaces to enter
 *       --sandbox ID|NAME   target a corral pod sandbox's pause process;
 *                           with no namespace option, enter the pod's net,
 *                           ipc and uts namespaces, and its pid namespace
 *                           when the pod has its own; as a member of the
 *                           pod, which its rm stops
 *   -a, --all               enter every namespace of the target (not the
 *                           user namespace when it is already ours)
 *   -m, --mount[=FILE]      mount namespace
 *   -u, --uts[=FILE]        UTS namespace (hostname, domain name)
 *   -i, --ipc[=FILE]        System V IPC namespace
 *   -n, --net[=FILE]        network namespace (e.g. --net=/run/netns/NAME)
 *   -p, --pid[=FILE]        pid namespace: PROGRAM runs in a forked child
 *   -U, --user[=FILE]       user namespace (implies -S 0 -G 0)
 *   -C, --cgroup[=FILE]     cgroup namespace
 *   -T, --time[=FILE]       time namespace
 *   -S, --setuid UID        set the uid in the entered namespaces
 *   -G, --setgid GID        set the gid (and drop supplementary groups)
 *       --preserve-credentials  keep uid, gid and groups with --user
 *   -r, --root[=DIR]        root directory: the target's, or DIR
 *   -w, --wd[=DIR]          working directory: the target's, or DIR
 *   -W, --wdns DIR          working directory, a path inside the new root
 *   -F, --no-fork           do not fork, even when entering a pid namespace
 *   -h, --help              this text
 *
 * A FILE is attached to its option: -n/run/netns/x or --net=/run/netns/x.
 * Without one, the namespace is the target's (/proc/PID/ns/NAME). All the
 * files are opened before the first namespace is entered; the user
 * namespace is entered first when it grants the rights to the others,
 * last otherwise.
 *
 * Exit status (util-linux's): PROGRAM's own; when it dies of a signal,
 * nsenter kills itself with the same signal; 126 when PROGRAM cannot be
 * executed, 127 when it is not found; 1 when nsenter itself fails (bad
 * option, no such process or sandbox, a namespace that cannot be entered).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "applets.h"
#include "nsjoin.h"
#include "proc.h"
#include "sandbox_ref.h"
#include "util.h"

/* util-linux's EXIT_FAILURE: nsenter's own failures, for script parity. */
#define EXIT_NSENTER 1

struct nsenter_opts {
	pid_t target;
	unsigned long long start;	/* the target's start time when known */
	const char *sandbox;
	char sb_id[SANDBOX_ID_LEN + 1];	/* the sandbox's id, with --sandbox */
	unsigned long long self_start;	/* ours, when we are its member */
	struct nsjoin j;		/* files given with the options */
	unsigned want;			/* kinds to take from the target */
	bool all, do_root, do_wd, no_fork, preserve;
	bool force_uid, force_gid;
	uid_t uid;
	gid_t gid;
	int root_fd, wd_fd;
	const char *wdns;
	char **argv;
};

enum { O_PRESERVE = 256, O_SANDBOX };

static int bad_usage(void)
{
	fprintf(stderr, "Try 'corral nsenter --help' for more information.\n");
	return EXIT_NSENTER;
}

static int open_dir(int *fd, const char *path)
{
	if (*fd >= 0)
		close(*fd);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return fail(EXIT_NSENTER, "cannot open %s: %s", path, strerror(errno));
	return 0;
}

static int ns_option(struct nsenter_opts *o, enum ns_kind k, const char *file)
{
	struct err e;
	if (!file) {
		o->want |= NS_BIT(k);
		return 0;
	}
	if (nsjoin_open(&o->j, k, file, &e) < 0)
		return fail(EXIT_NSENTER, "%s", e.msg);
	return 0;
}

static int parse_id(const char *s, const char *what, uint32_t *out)
{
	uint64_t v;
	if (parse_u64(s, 0, UINT32_MAX, &v, NULL) < 0)
		return fail(EXIT_NSENTER, "failed to parse %s: '%s'", what, s);
	*out = (uint32_t)v;
	return 0;
}

/* Returns 0, or the exit code (-1 after --help). */
static int parse(struct nsenter_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, 0, 'a' },
		{ "help", no_argument, 0, 'h' },
		{ "target", required_argument, 0, 't' },
		{ "mount", optional_argument, 0, 'm' },
		{ "uts", optional_argument, 0, 'u' },
		{ "ipc", optional_argument, 0, 'i' },
		{ "net", optional_argument, 0, 'n' },
		{ "pid", optional_argument, 0, 'p' },
		{ "user", optional_argument, 0, 'U' },
		{ "cgroup", optional_argument, 0, 'C' },
		{ "time", optional_argument, 0, 'T' },
		{ "setuid", required_argument, 0, 'S' },
		{ "setgid", required_argument, 0, 'G' },
		{ "root", optional_argument, 0, 'r' },
		{ "wd", optional_argument, 0, 'w' },
		{ "wdns", required_argument, 0, 'W' },
		{ "no-fork", no_argument, 0, 'F' },
		{ "preserve-credentials", no_argument, 0, O_PRESERVE },
		{ "sandbox", required_argument, 0, O_SANDBOX },
		{ 0 }
	};
	int c, r = 0;

	opterr = 0;
	for (;;) {
		int at = optind;	/* the argument being scanned */
		c = getopt_long(argc, argv, "+:aht:m::u::i::n::p::U::C::T::S:G:r::w::W:F",
				longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'h':
			return usage(0), -1;
		case 'a':
			o->all = true;
			break;
		case 't': {
			uint64_t v;
			/* 0 is accepted as util-linux does: no target. */
			if (parse_u64(optarg, 0, INT_MAX, &v, NULL) < 0)
				return fail(EXIT_NSENTER, "failed to parse pid: '%s'", optarg);
			o->target = (pid_t)v;
			break;
		}
		case O_SANDBOX:
			o->sandbox = optarg;
			break;
		case 'm': r = ns_option(o, NS_MNT, optarg); break;
		case 'u': r = ns_option(o, NS_UTS, optarg); break;
		case 'i': r = ns_option(o, NS_IPC, optarg); break;
		case 'n': r = ns_option(o, NS_NET, optarg); break;
		case 'p': r = ns_option(o, NS_PID, optarg); break;
		case 'U': r = ns_option(o, NS_USER, optarg); break;
		case 'C': r = ns_option(o, NS_CGROUP, optarg); break;
		case 'T': r = ns_option(o, NS_TIME, optarg); break;
		case 'S':
			r = parse_id(optarg, "uid", &o->uid);
			o->force_uid = true;
			break;
		case 'G':
			r = parse_id(optarg, "gid", &o->gid);
			o->force_gid = true;
			break;
		case 'r':
			if (optarg)
				r = open_dir(&o->root_fd, optarg);
			else
				o->do_root = true;
			break;
		case 'w':
			if (optarg)
				r = open_dir(&o->wd_fd, optarg);
			else
				o->do_wd = true;
			break;
		case 'W':
			o->wdns = optarg;
			break;
		case 'F':
			o->no_fork = true;
			break;
		case O_PRESERVE:
			o->preserve = true;
			break;
		case ':':
			if (!strncmp(argv[at], "--", 2))
				msg("option '%s' requires an argument", argv[at]);
			else
				msg("option requires an argument -- '%c'", optopt);
			return bad_usage();
		default:
			if (!strncmp(argv[at], "--", 2) && optopt)
				msg("option '%.*s' doesn't allow an argument",
				    (int)strcspn(argv[at], "="), argv[at]);
			else if (!strncmp(argv[at], "--", 2))
				msg("unrecognized option '%s'", argv[at]);
			else
				msg("invalid option -- '%c'", optopt);
			return bad_usage();
		}
		if (r)
			return r;
	}
	o->argv = argv + optind;
	return 0;
}

/* Points the target at the sandbox's pause; with no namespace asked for,
 * asks for those the pod holds. */
static int target_sandbox(struct nsenter_opts *o)
{
	const char *root = getenv("CORRAL_ROOT");
	struct sandbox_pause sp;
	struct err e;

	if (o->target)
		return fail(EXIT_NSENTER, "--sandbox and --target cannot be combined");
	if (sandbox_pause(root, o->sandbox, &sp, &e) < 0)
		return fail(EXIT_NSENTER, "%s", e.msg);
	o->target = sp.pid;
	o->start = sp.start;
	memcpy(o->sb_id, sp.id, sizeof(o->sb_id));
	if (!o->want && !o->all && !nsjoin_mask(&o->j)) {
		o->want = NS_BIT(NS_NET) | NS_BIT(NS_IPC) | NS_BIT(NS_UTS);
		int same = ns_same(o->target, NS_PID, &e);
		if (same < 0)
			return fail(EXIT_NSENTER, "%s", e.msg);
		if (!same)
			o->want |= NS_BIT(NS_PID);
	}
	return 0;
}

/* Opens every file still needed from the target: namespaces, root, cwd. */
static int open_target(struct nsenter_opts *o)
{
	struct err e;
	char path[64];

	if (o->all) {
		if (!o->target)
			return fail(EXIT_NSENTER, "no target PID specified for --all");
		for (int k = 0; k < NS_COUNT; k++) {
			if (o->j.fd[k] >= 0 || !ns_supported((enum ns_kind)k))
				continue;
			/* setns() refuses to re-enter our own user namespace. */
			if (k == NS_USER) {
				int same = ns_same(o->target, NS_USER, &e);
				if (same < 0)
					return fail(EXIT_NSENTER, "%s", e.msg);
				if (same)
					continue;
			}
			o->want |= NS_BIT(k);
		}
	}
	unsigned need = o->want & ~nsjoin_mask(&o->j);
	if (need && !o->target) {
		int k = 0;
		while (!(need & NS_BIT(k)))
			k++;
		return fail(EXIT_NSENTER, "neither filename nor target pid supplied for ns/%s",
			    ns_name((enum ns_kind)k));
	}
	if (need && nsjoin_open_pid(&o->j, o->target, need, o->start, &e) < 0)
		return fail(EXIT_NSENTER, "%s", e.msg);
	for (int i = 0; i < 2; i++) {
		const char *what = i ? "cwd" : "root";
		if (!(i ? o->do_wd : o->do_root))
			continue;
		if (!o->target)
			return fail(EXIT_NSENTER, "neither filename nor target pid supplied for %s", what);
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)o->target, what);
		if (open_dir(i ? &o->wd_fd : &o->root_fd, path))
			return EXIT_NSENTER;
	}
	if (o->start && proc_start_time(o->target) != o->start)
		return fail(EXIT_NSENTER, "sandbox %s: its pause process (pid %d) is gone",
			    o->sandbox, (int)o->target);
	return 0;
}

/* The new root, then the working directory: the one given, or the one we
 * had (as a path inside the new root when entering a new root). */
static int change_dirs(struct nsenter_opts *o)
{
	if (o->root_fd >= 0 && o->wd_fd < 0 && !o->wdns) {
		o->wd_fd = open(".", O_RDONLY | O_CLOEXEC);
		if (o->wd_fd < 0)
			return fail(EXIT_NSENTER, "cannot open current working directory: %s",
				    strerror(errno));
	}
	if (o->root_fd >= 0) {
		if (fchdir(o->root_fd) < 0)
			return fail(EXIT_NSENTER, "change directory by root file descriptor failed: %s",
				    strerror(errno));
		if (chroot(".") < 0)
			return fail(EXIT_NSENTER, "chroot failed: %s", strerror(errno));
		if (chdir("/") < 0)
			return fail(EXIT_NSENTER, "cannot change directory to /: %s", strerror(errno));
		close(o->root_fd);
		o->root_fd = -1;
	}
	if (o->wdns) {
		if (o->wd_fd >= 0)
			close(o->wd_fd);
		o->wd_fd = open(o->wdns, O_RDONLY | O_CLOEXEC);
		if (o->wd_fd < 0)
			return fail(EXIT_NSENTER, "cannot open %s: %s", o->wdns, strerror(errno));
	}
	if (o->wd_fd >= 0) {
		if (fchdir(o->wd_fd) < 0)
			return fail(EXIT_NSENTER,
				    "change directory by working directory file descriptor failed: %s",
				    strerror(errno));
		close(o->wd_fd);
		o->wd_fd = -1;
	}
	return 0;
}

/* Our member mark goes when we end without the program. */
static void leave_pod(const struct nsenter_opts *o)
{
	if (o->self_start)
		state_member_del(getenv("CORRAL_ROOT"), o->sb_id, getpid(), o->self_start);
}

/* Forks; only the child returns. The parent follows the child's stops and
 * ends as it did: the same exit code, or killed by the same signal. */
static void continue_as_child(const struct nsenter_opts *o)
{
	signal(SIGCHLD, SIG_DFL);
	pid_t child = fork();
	if (child < 0) {
		msg("fork failed: %s", strerror(errno));
		exit(EXIT_NSENTER);
	}
	if (child == 0)
		return;
	int st;
	for (;;) {
		pid_t p = waitpid(child, &st, WUNTRACED);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0) {
			msg("waitpid: %s", strerror(errno));
			exit(EXIT_NSENTER);
		}
		if (!WIFSTOPPED(st))
			break;
		kill(getpid(), SIGSTOP);
		kill(child, SIGCONT);
	}
	leave_pod(o);
	if (WIFEXITED(st))
		exit(WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		kill(getpid(), WTERMSIG(st));
	exit(EXIT_NSENTER);
}

static int exec_program(char **argv)
{
	const char *what;
	if (argv[0]) {
		what = argv[0];
		execvp(argv[0], argv);
	} else {
		/* A login shell, as util-linux starts it: argv[0] is "-sh". */
		const char *shell = getenv("SHELL");
		if (!shell || !*shell)
			shell = "/bin/sh";
		const char *base = strrchr(shell, '/');
		base = base ? base + 1 : shell;
		char arg0[NAME_MAX + 2];
		snprintf(arg0, sizeof(arg0), "-%s", base);
		what = shell;
		char *sh_argv[] = { arg0, NULL };
		execv(shell, sh_argv);
	}
	int saved = errno;
	msg("failed to execute %s: %s", what, strerror(saved));
	return saved == ENOENT ? EXIT_NOENT : EXIT_NOEXEC;
}

static int enter(struct nsenter_opts *o);

int nsenter_main(int argc, char **argv)
{
	struct nsenter_opts o = { .root_fd = -1, .wd_fd = -1 };
	struct err e;
	int r;

	nsjoin_init(&o.j);
	if ((r = parse(&o, argc, argv)))
		return r < 0 ? 0 : r;
	if (o.sandbox && (r = target_sandbox(&o)))
		return r;
	if ((r = open_target(&o)))
		return r;
	/* A member of the pod from here on, so that its rm stops us. */
	pid_t self = getpid();
	if (o.sandbox) {
		o.self_start = proc_start_time(self);
		if (state_member_add(getenv("CORRAL_ROOT"), o.sb_id, self, o.self_start, &e) < 0)
			return fail(EXIT_NSENTER, "%s", e.msg);
	}
	r = enter(&o);
	if (getpid() == self)
		leave_pod(&o);
	return r;
}

/* Into the namespaces and dirs, then the program: returns only on failure. */
static int enter(struct nsenter_opts *o)
{
	struct err e;
	int r, setgroups_failed = 0;

	unsigned ns = nsjoin_mask(&o->j);
	if ((ns & NS_BIT(NS_USER)) && !o->preserve) {
		/* In a user namespace we are uid 0 and gid 0 unless told
		 * otherwise. setgroups() may fail on either side of setns(),
		 * an error only when both do. */
		o->force_uid = o->force_gid = true;
		setgroups_failed = setgroups(0, NULL) < 0;
	}
	if (nsjoin_enter(&o->j, &e) < 0)
		return fail(EXIT_NSENTER, "%s", e.msg);
	if ((r = change_dirs(o)))
		return r;
	if ((ns & NS_BIT(NS_PID)) && !o->no_fork)
		continue_as_child(o);

	if (o->force_gid && setgroups(0, NULL) < 0 && setgroups_failed)
		return fail(EXIT_NSENTER, "setgroups failed: %s", strerror(errno));
	if (o->force_gid && setgid(o->gid) < 0)
		return fail(EXIT_NSENTER, "setgid failed: %s", strerror(errno));
	if (o->force_uid && setuid(o->uid) < 0)
		return fail(EXIT_NSENTER, "setuid failed: %s", strerror(errno));
	return exec_program(o->argv);
}
