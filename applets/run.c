/* run - run one command in fresh namespaces
 *
 * usage: corral run [OPTIONS] [--] CMD [ARG...]
 *        corral run --image REF [OPTIONS] [--] [ARG...]
 *
 * Runs CMD with its own mount, PID, UTS, IPC and network namespaces. The
 * root is the host's / (or --root DIR), read-only under a writable tmpfs
 * overlay: writes succeed inside and vanish at exit. The sandbox has its own
 * /proc, a read-only /sys and a minimal /dev; corral's init is PID 1, reaps
 * zombies and forwards signals. Exit status: the command's, 128+N if it
 * died of signal N, 125 if corral failed, 126 if CMD cannot be executed,
 * 127 if it was not found.
 *
 * Root and mounts:
 *   --root DIR            lower directory of the overlay (default /)
 *   --image REF           an image's rootfs as the lower directory (pulled
 *                         first when not stored; see `corral pull`), with its
 *                         Entrypoint, Cmd, Env, WorkingDir and User; args
 *                         replace Cmd, as in Docker
 *   --entrypoint CMD      with --image: another entrypoint ("" for none)
 *   --overlay-size SIZE   cap of the writable tmpfs (default 256m)
 *   --bind SRC[:DST[:ro]] bind-mount a host path (DST defaults to SRC)
 *   --ro-bind SRC[:DST]   same, read-only
 *   --tmpfs DST           a fresh tmpfs at DST
 * Process:
 *   --cwd DIR             working directory (default: the caller's, or /)
 *   --env K=V             set a variable (repeatable)
 *   --clear-env           start from an empty environment
 *   --hostname NAME       hostname inside (default: the host's)
 *   --user USER[:GROUP]   run as this uid/gid or name, looked up in the
 *                         root's /etc/passwd and /etc/group
 *   --preserve-fds N      also pass fds 3..3+N-1 to CMD
 * Network:
 *   --net none            own network namespace with lo up (default)
 *   --net host            the host's network namespace
 *   --net nat             own netns on the bridge corral0 (10.89.0.0/16 by
 *                         default, /etc/corral/network.json, a CNI bridge
 *                         config, overrides), NAT to the outside; eth0 gets
 *                         a leased address; /etc/resolv.conf, /etc/hosts and
 *                         /etc/hostname are bound read-only
 *   --ip ADDR             with --net nat: this address instead of a lease
 *   --subnet CIDR         with --net nat: another subnet (gateway: first host)
 *   --bridge NAME         with --net nat: another bridge
 *   --sandbox ID|NAME     join a pod (`corral sandbox create`): its net, ipc
 *                         and uts namespaces, its pid namespace when the pod
 *                         shares one, and its cgroup (its limits) when it has
 *                         one; own mount namespace and overlay. A member
 *                         of the pod, which its rm stops. Also spelled
 *                         --net sandbox:ID
 * Limits (cgroup v2, or v1 where only v1 has the controller):
 *   --memory SIZE         memory (and no swap); over it, the command is
 *                         OOM-killed and run says so, exit 137
 *   --pids N              processes and threads
 *   --cpus N              CPU time, e.g. 0.5 or 2
 * Security:
 *   --cap-add CAP         add a capability to Docker's default set (or ALL)
 *   --cap-drop CAP        drop one (or ALL)
 *   --seccomp FILE        a Docker/OCI seccomp profile (default: built in)
 *   --seccomp unconfined  no seccomp filter
 * Other:
 *   --no-pivot            use MS_MOVE + chroot instead of pivot_root
 *   --debug               say what corral does on stderr
 *   -h, --help            this text
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <linux/capability.h>

#include "applets.h"
#include "caps.h"
#include "cgroup.h"
#include "image.h"
#include "json.h"
#include "mount.h"
#include "netconf.h"
#include "nl.h"
#include "nsjoin.h"
#include "proc.h"
#include "rtnl.h"
#include "sandbox_ref.h"
#include "seccomp.h"
#include "util.h"

#define DEFAULT_OVERLAY_SIZE (256ull << 20)
#define MAX_MOUNTS 64
#define MAX_ENV 256

enum net_mode { NET_NONE, NET_HOST, NET_NAT, NET_SANDBOX };

struct run_opts {
	/* what every run uses first, together on few pages; the big arrays
	 * that only some options fill come last */
	struct rootfs root;
	const char *cwd;
	bool cwd_given;
	size_t nset_env;
	bool clear_env;
	const char *hostname;
	enum net_mode net;
	int netjoin;		/* --net none: our pidfd, whose netns the init joins; or -1 */
	size_t ncpus;		/* 0 (one CPU), or the size of cpus: our CPU set */
	unsigned long cpus[PROC_CPU_WORDS];
	bool move_init;		/* the init was moved off our CPU and takes cpus back */
	const char *ip, *subnet, *bridge;	/* --net nat */
	const char *sandbox;			/* --sandbox */
	bool pod_pid;				/* the pod's pid namespace is joined */
	unsigned long long member_start;	/* ours, once we are a pod member */
	char pod_id[SANDBOX_ID_LEN + 1];
	unsigned preserve_fds;
	uint64_t caps;			/* what CMD keeps */
	const char *seccomp;		/* a profile path, "unconfined", or NULL */
	struct sc_filter *filter;
	struct cgroup_limits limits;
	bool in_pod_cg;
	bool debug;
	const char *image, *entrypoint, *user;
	bool set_user;
	uid_t uid;
	gid_t gid;
	char **argv;
	struct cgroup cg;
	struct net_config netcfg;
	struct rootfs_file files[3];
	char hosts[256], hostname_file[80];
	struct cgroup pod_cg;			/* the pod's, when it has limits */
	const char *set_env[MAX_ENV];
	struct mount_op mounts[MAX_MOUNTS];
};

extern char **environ;

static int add_mount(struct run_opts *o, enum mount_kind kind, char *spec, bool ro)
{
	struct err e = { 0 };
	if (o->root.nops == MAX_MOUNTS)
		return fail(EXIT_CORRAL, "too many mounts (at most %d)", MAX_MOUNTS);
	if (mount_op_parse(spec, kind, ro, &o->mounts[o->root.nops], &e) < 0)
		return fail_err(&e);
	o->root.nops++;
	return 0;
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	enum { O_ROOT = 256, O_OVL, O_BIND, O_ROBIND, O_TMPFS, O_CWD, O_ENV, O_CLEARENV,
	       O_HOST, O_NET, O_PFDS, O_DEBUG, O_NOPIVOT, O_CAPADD, O_CAPDROP, O_SECCOMP,
	       O_IP, O_SUBNET, O_BRIDGE, O_MEMORY, O_PIDS, O_CPUS, O_SANDBOX,
	       O_IMAGE, O_ENTRYPOINT, O_USER };
	static const struct option lo[] = {
		{ "root", 1, 0, O_ROOT }, { "overlay-size", 1, 0, O_OVL },
		{ "bind", 1, 0, O_BIND }, { "ro-bind", 1, 0, O_ROBIND },
		{ "tmpfs", 1, 0, O_TMPFS }, { "cwd", 1, 0, O_CWD },
		{ "env", 1, 0, O_ENV }, { "clear-env", 0, 0, O_CLEARENV },
		{ "hostname", 1, 0, O_HOST }, { "net", 1, 0, O_NET },
		{ "preserve-fds", 1, 0, O_PFDS }, { "debug", 0, 0, O_DEBUG },
		{ "no-pivot", 0, 0, O_NOPIVOT }, { "cap-add", 1, 0, O_CAPADD },
		{ "cap-drop", 1, 0, O_CAPDROP }, { "seccomp", 1, 0, O_SECCOMP },
		{ "ip", 1, 0, O_IP }, { "subnet", 1, 0, O_SUBNET }, { "bridge", 1, 0, O_BRIDGE },
		{ "memory", 1, 0, O_MEMORY }, { "pids", 1, 0, O_PIDS }, { "cpus", 1, 0, O_CPUS },
		{ "sandbox", 1, 0, O_SANDBOX }, { "image", 1, 0, O_IMAGE },
		{ "entrypoint", 1, 0, O_ENTRYPOINT }, { "user", 1, 0, O_USER },
		{ "help", 0, 0, 'h' },
		{ 0 }
	};
	struct err e = { 0 };
	uint64_t v;
	int c;

	o->root.lower = "/";
	o->root.upper_size = DEFAULT_OVERLAY_SIZE;
	o->root.ops = o->mounts;
	o->root.sysfs = true;
	o->caps = caps_default;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case 'h':
			return usage(0), -1;
		case O_ROOT:
			o->root.lower = optarg;
			break;
		case O_OVL:
			if (parse_size(optarg, &v, &e) < 0 || v < 4096)
				return fail(EXIT_CORRAL, "bad --overlay-size '%s' (want e.g. 64m, at least 4k)", optarg);
			o->root.upper_size = v;
			break;
		case O_BIND:
		case O_ROBIND:
			r = add_mount(o, MOUNT_BIND, optarg, c == O_ROBIND);
			break;
		case O_TMPFS:
			r = add_mount(o, MOUNT_TMPFS, optarg, false);
			break;
		case O_CWD:
			if (optarg[0] != '/')
				return fail(EXIT_CORRAL, "--cwd '%s' must be an absolute path", optarg);
			o->cwd = optarg;
			o->cwd_given = true;
			break;
		case O_ENV: {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return fail(EXIT_CORRAL, "bad --env '%s' (want K=V)", optarg);
			if (o->nset_env == MAX_ENV)
				return fail(EXIT_CORRAL, "too many --env (at most %d)", MAX_ENV);
			o->set_env[o->nset_env++] = optarg;
			break;
		}
		case O_CLEARENV:
			o->clear_env = true;
			break;
		case O_HOST:
			if (!valid_hostname(optarg))
				return fail(EXIT_CORRAL, "bad --hostname '%s'", optarg);
			o->hostname = optarg;
			break;
		case O_NET:
			if (!strcmp(optarg, "none"))
				o->net = NET_NONE;
			else if (!strcmp(optarg, "host"))
				o->net = NET_HOST;
			else if (!strcmp(optarg, "nat"))
				o->net = NET_NAT;
			else if (!strncmp(optarg, "sandbox:", 8)) {
				o->net = NET_SANDBOX;
				o->sandbox = optarg + 8;
			} else
				return fail(EXIT_CORRAL, "bad --net '%s' (want none, host, nat or sandbox:ID)", optarg);
			break;
		case O_SANDBOX:
			o->net = NET_SANDBOX;
			o->sandbox = optarg;
			break;
		case O_IMAGE:
			o->image = optarg;
			break;
		case O_ENTRYPOINT:
			o->entrypoint = optarg;
			break;
		case O_USER:
			if (!*optarg)
				return fail(EXIT_CORRAL, "empty --user");
			o->user = optarg;
			break;
		case O_IP:
			o->ip = optarg;
			break;
		case O_MEMORY:
			if (parse_size(optarg, &o->limits.memory, &e) < 0 || o->limits.memory < (1 << 20))
				return fail(EXIT_CORRAL, "bad --memory '%s' (want e.g. 64m, at least 1m)", optarg);
			break;
		case O_PIDS:
			if (parse_u64(optarg, 1, 1u << 22, &o->limits.pids, &e) < 0)
				return fail(EXIT_CORRAL, "bad --pids: %s", e.msg);
			break;
		case O_CPUS:
			if (cgroup_parse_cpus(optarg, &o->limits, &e) < 0)
				return fail(EXIT_CORRAL, "bad --cpus: %s", e.msg);
			break;
		case O_SUBNET:
			o->subnet = optarg;
			break;
		case O_BRIDGE:
			o->bridge = optarg;
			break;
		case O_PFDS:
			if (parse_u64(optarg, 0, 4096, &v, &e) < 0)
				return fail(EXIT_CORRAL, "bad --preserve-fds: %s", e.msg);
			o->preserve_fds = (unsigned)v;
			break;
		case O_DEBUG:
			o->debug = true;
			break;
		case O_NOPIVOT:
			o->root.no_pivot = true;
			break;
		case O_CAPADD:
		case O_CAPDROP: {
			uint64_t set;
			if (caps_parse(optarg, &set, &e) < 0)
				return fail(EXIT_CORRAL, "--%s: %s", c == O_CAPADD ? "cap-add" : "cap-drop", e.msg);
			/* ALL means all that we hold: a bounding set may lack some. */
			uint64_t held;
			if (set == caps_all && caps_get(NULL, &held, NULL, &e) == 0)
				set &= held;
			o->caps = c == O_CAPADD ? o->caps | set : o->caps & ~set;
			break;
		}
		case O_SECCOMP:
			o->seccomp = optarg;
			break;
		default:
			if (optopt)
				return fail(EXIT_CORRAL, "unknown or incomplete option -%c; see --help", optopt);
			return fail(EXIT_CORRAL, "unknown or incomplete option '%s'; see --help",
				    argv[optind - 1]);
		}
		if (r)
			return r;
	}
	if ((o->ip || o->subnet || o->bridge) && o->net != NET_NAT)
		return fail(EXIT_CORRAL, "--ip, --subnet and --bridge go with --net nat");
	if (o->net == NET_SANDBOX && o->hostname)
		return fail(EXIT_CORRAL, "--hostname cannot change a pod's hostname (it shares the pod's uts namespace)");
	if (o->image && strcmp(o->root.lower, "/"))
		return fail(EXIT_CORRAL, "--image and --root cannot be combined");
	if (o->entrypoint && !o->image)
		return fail(EXIT_CORRAL, "--entrypoint goes with --image");
	if (optind >= argc && !o->image)
		return fail(EXIT_CORRAL, "no command given; see --help");
	o->argv = argv + optind;
	return 0;
}

/* The command's process. The init starts it at once (or, with a cgroup,
 * once run has put the init in it) on a CPU of its own, sharing the init's
 * fs_struct (CLONE_FS), and it readies itself while the init builds the
 * root: it joins the netns, gives up its capabilities and loads seccomp.
 * Then it waits for the root and execs. It runs in our memory beside the
 * init (proc.h): nothing here mallocs, and no call fails when all is well.
 * Never returns. */
struct cmd_args {
	const struct run_opts *o;
	char **env;
	const sigset_t *mask;
	int sync, ready[2];
};

static int command_main(void *p)
{
	const struct cmd_args *a = p;
	const struct run_opts *o = a->o;
	struct err e = { 0 };
	uint32_t addr;
	char how;

	close(a->ready[1]);
	/* run's go: the netns is made (and we are in the cgroup, made after) */
	if (read(a->sync, &addr, sizeof(addr)) != sizeof(addr))
		_exit(EXIT_CORRAL);
	if (o->netjoin >= 0 && setns(o->netjoin, CLONE_NEWNET) < 0)
		_exit(fail(EXIT_CORRAL, "joining the network namespace: %s", strerror(errno)));
	/* Nothing of the caller's but stdio and --preserve-fds goes further
	 * (those came through an exec: not close-on-exec). */
	proc_cloexec_from(3 + o->preserve_fds);
	/* no_new_privs, then the capabilities (dropping the bounding set needs
	 * CAP_SETPCAP, still held), then seccomp last: it may deny the rest. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(fail(EXIT_CORRAL, "no_new_privs: %s", strerror(errno)));
	if (caps_apply(o->root.no_pivot ? o->caps & ~CAP_BIT(CAP_SYS_CHROOT) : o->caps, &e) < 0)
		_exit(fail_err(&e));
	/* Leaving uid 0 clears the permitted and effective sets, as in Docker. */
	if (o->set_user && (setgroups(1, &o->gid) < 0 || setgid(o->gid) < 0 || setuid(o->uid) < 0))
		_exit(fail(EXIT_CORRAL, "--user %u:%u: %s", (unsigned)o->uid, (unsigned)o->gid,
			   strerror(errno)));
	if (o->ncpus)	/* the init put us on one CPU */
		sched_setaffinity(0, o->ncpus, (cpu_set_t *)o->cpus);
	if (o->filter && seccomp_apply(o->filter, &e) < 0)
		_exit(fail_err(&e));
	/* The root is built and our cwd in it: the init made both in the
	 * fs_struct we shared, then left it to us. */
	ssize_t n = read(a->ready[0], &how, 1);
	if (n < 0)	/* the filter denies read */
		_exit(fail(EXIT_CORRAL, "waiting for the root: %s", strerror(errno)));
	if (n != 1)	/* the init failed, and said why */
		_exit(EXIT_CORRAL);
	/* Without pivot_root the old root is still there, above the chroot:
	 * CAP_SYS_CHROOT would be the classic way out. */
	if (how == ROOT_CHROOT && caps_lower(CAP_SYS_CHROOT, &e) < 0)
		_exit(fail_err(&e));
	sigprocmask(SIG_SETMASK, a->mask, NULL);
	/* not execvp: this process shares corral's memory and must not set
	 * environ, which corral reads again once the command is done */
	proc_exec_path(o->argv[0], o->argv, a->env);
	int saved = errno;
	msg("%s: %s", o->argv[0], saved == ENOENT ? "command not found" : strerror(saved));
	_exit(saved == ENOENT ? EXIT_NOENT : EXIT_NOEXEC);
}

static pid_t start_command(struct cmd_args *a)
{
	const struct run_opts *o = a->o;
	unsigned long other[PROC_CPU_WORDS];
	pid_t pid = proc_clone_vm(CLONE_FS, command_main, a);
	if (pid < 0)
		_exit(fail(EXIT_CORRAL, "clone: %s", strerror(errno)));
	if (o->ncpus && proc_cpus_less_ours(o->cpus, o->ncpus, other))
		sched_setaffinity(pid, o->ncpus, (cpu_set_t *)other);
	return pid;
}

/* The files --net nat binds into /etc. */
static void nat_files(struct run_opts *o, uint32_t addr)
{
	char a[16], host[65];
	ipam_fmt_addr(addr, a);
	if (o->hostname)
		snprintf(host, sizeof(host), "%s", o->hostname);
	else if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(o->hosts, sizeof(o->hosts), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", a, host);
	snprintf(o->hostname_file, sizeof(o->hostname_file), "%s\n", host);
	o->files[0] = (struct rootfs_file){ .path = "/etc/resolv.conf", .host = "/etc/resolv.conf" };
	o->files[1] = (struct rootfs_file){ .path = "/etc/hosts", .text = o->hosts };
	o->files[2] = (struct rootfs_file){ .path = "/etc/hostname", .text = o->hostname_file };
	o->root.files = o->files;
	o->root.nfiles = 3;
}

/* PID 1 of the sandbox: builds the root, starts the command, reaps and
 * forwards until the command exits. Never returns. */
static void sandbox_init(struct run_opts *o, char **env, const sigset_t *mask, int syncfd)
{
	struct err e = { 0 };
	uint32_t addr;
	enum root_switch how;
	char where[PATH_MAX];

	/* Die with corral; and if corral is gone already, the pipe says so:
	 * with --net nat at once (the root needs the address), else once the
	 * root is built (see below). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (o->net == NET_NAT) {
		if (read(syncfd, &addr, sizeof(addr)) != sizeof(addr))
			_exit(EXIT_CORRAL);
		nat_files(o, addr);
	}
	/* Keeps /proc/1/exe (corral's binary) out of reach of the sandbox. */
	prctl(PR_SET_DUMPABLE, 0);
	/* In a pod's pid namespace we are not PID 1: orphans must still come
	 * to us, and what is left must die with the command. */
	if (o->pod_pid)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* The command's process, now; with a cgroup, which run puts only us
	 * in, once the go byte says we are in it. */
	struct cmd_args ca = { o, env, mask, syncfd, { -1, -1 } };
	if (pipe2(ca.ready, O_CLOEXEC) < 0)
		_exit(fail(EXIT_CORRAL, "pipe: %s", strerror(errno)));
	bool late = o->cg.ndirs || o->in_pod_cg;
	pid_t cmd = late ? -1 : start_command(&ca);

	if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0)
		_exit(fail(EXIT_CORRAL, "sethostname: %s", strerror(errno)));
	if (o->net == NET_NONE && o->netjoin < 0 && rtnl_lo_up_alone(&e) < 0)
		_exit(fail_err(&e));	/* else the parent did it */
	if (rootfs_open_sources(&o->root, &e) < 0 ||
	    rootfs_enter(&o->root, &how, &e) < 0)
		_exit(fail_err(&e));
	if (o->debug)
		msg("root: %s", how == ROOT_PIVOT ? "pivot_root" : "MS_MOVE + chroot (pivot_root not possible)");
	/* The parent is done too: with --net none it made the netns and
	 * brought lo up meanwhile, and we join it. */
	if (o->net != NET_NAT && read(syncfd, &addr, sizeof(addr)) != sizeof(addr))
		_exit(EXIT_CORRAL);
	if (o->netjoin >= 0) {
		if (setns(o->netjoin, CLONE_NEWNET) < 0)
			_exit(fail(EXIT_CORRAL, "joining the network namespace: %s", strerror(errno)));
		if (rootfs_enter_sys(&o->root, &e) < 0)
			_exit(fail_err(&e));
	}
	if (late)
		cmd = start_command(&ca);
	/* The command's cwd, set in the fs_struct it shares with us. */
	if (o->cwd && chdir(o->cwd) < 0) {
		if (o->cwd_given)
			_exit(fail(EXIT_CORRAL, "--cwd %s: %s", o->cwd, strerror(errno)));
		if (chdir("/") < 0)
			_exit(EXIT_CORRAL);
	}
	/* A cwd reached through a passed fd can sit outside the root; the
	 * kernel then prefixes it with "(unreachable)" (CVE-2024-21626). */
	if (syscall(SYS_getcwd, where, sizeof(where)) < 0 || where[0] != '/')
		_exit(fail(EXIT_CORRAL, "--cwd %s: outside the sandbox's root", o->cwd));
	/* The fs_struct stays the command's alone (a shared one would keep
	 * it from setns into a mount namespace), and it may go. */
	if (unshare(CLONE_FS) < 0)
		_exit(fail(EXIT_CORRAL, "unshare: %s", strerror(errno)));
	char c = (char)how;
	write(ca.ready[1], &c, 1);	/* EPIPE: it failed; its status says why */
	if (o->move_init)	/* moved before the byte was sent */
		sched_setaffinity(0, o->ncpus, (cpu_set_t *)o->cpus);
	proc_close_from(3);
	int status = proc_supervise(cmd, 1);
	if (o->pod_pid)
		proc_kill_descendants();
	_exit(proc_exit_code(status));
}

/* The init runs in our memory (proc_clone_vm): until it is gone, this
 * process touches nothing it uses. Before the sync byte the init waits on
 * the pipe; after it, we only wait and forward signals. */
struct init_args {
	struct run_opts *o;
	char **env;
	const sigset_t *mask;
	int rd, wr;
};

static int sandbox_init_main(void *p)
{
	struct init_args *a = p;
	close(a->wr);
	sandbox_init(a->o, a->env, a->mask, a->rd);
	return 0;
}

/* Compiled before any namespace exists: a bad profile changes nothing. */
static int prepare_seccomp(struct run_opts *o, struct err *e)
{
	if (o->seccomp && !strcmp(o->seccomp, "unconfined"))
		return 0;
	if (!o->seccomp)
		return seccomp_prepare_default(o->caps, &o->filter, e);
	size_t len;
	char *text = NULL;
	int r = read_file(o->seccomp, JSON_MAX_SIZE, &text, &len, e);
	if (r == 0)
		r = seccomp_prepare(text, len, o->caps, &o->filter, e);
	if (r < 0)
		err_prefix(e, "--seccomp %s", o->seccomp);
	free(text);
	return r;
}

/* The steps only some runs take are kept out of line (noinline): their
 * buffers would otherwise widen run_main's frame, and every call below it
 * would touch stack pages no plain run needs. */

/* --net nat, before any namespace exists: the config, the address asked
 * for, and the host side (bridge, NAT, ip_forward), which stays for the
 * next run. */
static __attribute__((noinline)) int prepare_nat(struct run_opts *o, uint32_t *want, struct err *e)
{
	struct net_config *c = &o->netcfg;
	if (net_config_load(c, e) < 0)
		return -e->code;
	if (o->subnet) {
		if (ipam_parse_cidr(o->subnet, &c->subnet, e) < 0)
			return err_prefix(e, "--subnet");
		c->gateway = c->subnet.net + 1;
	}
	if (o->bridge) {
		if (!rtnl_valid_ifname(o->bridge))
			return err_set(e, EINVAL, "--bridge: bad interface name '%s'", o->bridge);
		snprintf(c->bridge, sizeof(c->bridge), "%s", o->bridge);
	}
	*want = 0;
	if (o->ip) {
		if (ipam_parse_addr(o->ip, want, e) < 0)
			return err_prefix(e, "--ip");
		if (!ipam_contains(&c->subnet, *want) || *want == c->gateway ||
		    *want == c->subnet.net || *want == ipam_broadcast(&c->subnet))
			return err_set(e, EINVAL, "--ip %s: not a host address of the subnet", o->ip);
	}
	return net_host_setup(c, NULL, e);
}

/* After the clone, before the sandbox goes on: eth0 in its netns. */
static __attribute__((noinline)) int attach_nat(struct run_opts *o, pid_t init, uint32_t want, struct net_attachment *a,
		      struct err *e)
{
	char path[64];
	struct ipam_owner owner;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open %s", path);
	int r = ipam_owner_pid(getpid(), &owner, e);
	if (!r)
		r = net_attach(&o->netcfg, NULL, fd, "eth0", &owner, want, a, e);
	close(fd);
	return r;
}

/* Enters the pod's net, ipc and uts namespaces (and sets its pid
 * namespace for our children when the pod has one), checking that its
 * pause is the very process the state names. */
static __attribute__((noinline)) int join_sandbox(struct run_opts *o, struct err *e)
{
	struct sandbox_pause sp;
	struct nsjoin j;
	int r = sandbox_pause(NULL, o->sandbox, &sp, e);
	if (r < 0)
		return err_prefix(e, "--sandbox %s", o->sandbox);
	unsigned mask = NS_BIT(NS_NET) | NS_BIT(NS_IPC) | NS_BIT(NS_UTS);
	r = ns_same(sp.pid, NS_PID, e);
	if (r < 0)
		return r;
	o->pod_pid = r == 0;
	if (o->pod_pid)
		mask |= NS_BIT(NS_PID);
	/* Members live under the pod's limits, in its cgroup. */
	char cgname[CGROUP_NAME_MAX + 1];
	snprintf(cgname, sizeof(cgname), "%s%s", SANDBOX_CGROUP_PREFIX, sp.id);
	r = cgroup_open(cgname, &o->pod_cg, e);
	if (r < 0 && r != -ENOENT)
		return err_prefix(e, "--sandbox %s", o->sandbox);
	o->in_pod_cg = r == 0;
	if (o->in_pod_cg && (o->limits.memory || o->limits.pids || o->limits.cpu_quota))
		return err_set(e, EINVAL, "--sandbox %s has limits of its own; --memory, --pids and "
			       "--cpus cannot be added to them", o->sandbox);
	nsjoin_init(&j);
	r = nsjoin_open_pid(&j, sp.pid, mask, sp.start, e);
	/* A member before we are in, so that the pod's rm finds us. */
	if (r == 0) {
		unsigned long long self = proc_start_time(getpid());
		r = state_member_add(NULL, sp.id, getpid(), self, e);
		if (r == 0) {
			memcpy(o->pod_id, sp.id, sizeof(o->pod_id));
			o->member_start = self;
			r = nsjoin_enter(&j, e);
		}
	}
	nsjoin_close(&j);
	if (r < 0)
		return err_prefix(e, "--sandbox %s", o->sandbox);
	return 0;
}

/* Our member mark goes with us (a mark left by a crash is dropped by the
 * next member to join, and skipped by rm: its process is gone). */
static int leave_pod(const struct run_opts *o, int code)
{
	if (o->member_start)
		state_member_del(NULL, o->pod_id, getpid(), o->member_start);
	return code;
}

/* --image: the stored tree (pulled first if need be) becomes the lower
 * directory, and the config fills in what the command line left out. */
static __attribute__((noinline)) int prepare_image(struct run_opts *o, struct err *e)
{
	struct image_config c;
	char path[PATH_MAX];

	if (image_open(o->image, path, sizeof(path), &c, e) < 0)
		return err_prefix(e, "--image %s", o->image);
	o->root.lower = strdup(path);
	char **argv = image_argv(&c, o->entrypoint, o->argv, e);
	if (!argv || !o->root.lower)
		return -(e->code ? e->code : ENOMEM);
	o->argv = argv;
	/* The image's environment, not ours; --env still wins. */
	o->clear_env = true;
	if (image_env(&c, o->set_env, &o->nset_env, MAX_ENV) < 0)
		return err_set(e, E2BIG, "--image %s: too many variables", o->image);
	if (!o->cwd_given)
		o->cwd = c.workdir[0] ? strdup(c.workdir) : "/";
	if (!o->user && c.user[0])
		o->user = strdup(c.user);
	/* c's strings that argv borrows stay alive for exec */
	return 0;
}

/* --user (or the image's User), resolved in the root's own files. */
static __attribute__((noinline)) int resolve_user(struct run_opts *o, struct err *e)
{
	int fd = open(o->root.lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s", o->root.lower);
	int r = image_user(fd, o->user, &o->uid, &o->gid, e);
	close(fd);
	if (r < 0)
		return err_prefix(e, "--user");
	o->set_user = true;
	return 0;
}

int run_main(int argc, char **argv)
{
	/* Static: zero without a memset, so only the pages of the fields in
	 * use are ever touched (each first touch is a page fault, dear on
	 * a VM); run_main runs once per process. */
	static struct run_opts o BIG_BSS(run_opts);
	struct err e = { 0 };
	char cwd[PATH_MAX];
	int r = parse(argc, argv, &o);

	if (r)
		return r < 0 ? 0 : r;
	if (geteuid() != 0)
		return fail(EXIT_CORRAL, "needs root (CAP_SYS_ADMIN) to create namespaces and mounts");
	if (o.image && prepare_image(&o, &e) < 0)
		return fail_err(&e);
	if (rootfs_validate(&o.root, &e) < 0)
		return fail_err(&e);
	if (o.user && resolve_user(&o, &e) < 0)
		return fail_err(&e);
	if (prepare_seccomp(&o, &e) < 0)
		return fail_err(&e);
	uint32_t want = 0;
	if (o.net == NET_NAT && prepare_nat(&o, &want, &e) < 0)
		return fail_err(&e);
	if (!o.cwd)
		o.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	char **env = proc_env(o.clear_env ? NULL : environ, o.set_env, o.nset_env);
	if (!env)
		return fail(EXIT_CORRAL, "out of memory");

	if (o.net == NET_SANDBOX && join_sandbox(&o, &e) < 0)
		return leave_pod(&o, fail_err(&e));
	/* Named after us, so that gc can tell a live run's cgroup. */
	char cgname[64] = "run";	/* without limits, no cgroup is made */
	if (o.limits.memory || o.limits.pids || o.limits.cpu_quota)
		snprintf(cgname, sizeof(cgname), "run-%d-%llu", (int)getpid(), proc_start_time(getpid()));
	if (cgroup_create(cgname, &o.limits, &o.cg, &e) < 0)
		return leave_pod(&o, fail_err(&e));
	int sync[2];
	if (pipe2(sync, O_CLOEXEC) < 0)
		return leave_pod(&o, fail(EXIT_CORRAL, "pipe: %s", strerror(errno)));
	unsigned long flags = CLONE_NEWNS;
	if (o.net != NET_SANDBOX)
		flags |= CLONE_NEWUTS | CLONE_NEWIPC;
	/* --net none: the clone makes no netns. We make it after the clone,
	 * while the init builds the root (on another CPU, or while the init
	 * waits), and the init joins ours by our pidfd, then mounts /sys,
	 * whose devices are those of its mounter's netns: 3% off a run here
	 * (A/B of 300-500 runs). Not where setns takes no pidfd
	 * (before Linux 5.8: joining our own netns fails), nor with mounts of
	 * the user's, which may lie under /sys: the clone makes it. */
	o.netjoin = o.net == NET_NONE && !o.root.nops ? (int)syscall(SYS_pidfd_open, getpid(), 0) : -1;
	if (o.netjoin >= 0 && setns(o.netjoin, CLONE_NEWNET) < 0) {
		close(o.netjoin);
		o.netjoin = -1;
	}
	o.root.sysfs_later = o.netjoin >= 0;
	/* The init goes to another CPU at once: where it would start on ours
	 * (proc_cpus_other), it would wait for the netns (14% off a run);
	 * it takes our set back once the root is built. Not with --net host.
	 * The init puts the command's process on a CPU other than its own,
	 * with any --net; that one takes our set back before its filter. */
	unsigned long other[PROC_CPU_WORDS];
	o.ncpus = proc_cpus_other(o.cpus, other);
	o.move_init = o.ncpus && o.netjoin >= 0;
	if (o.net != NET_HOST && o.net != NET_SANDBOX && o.netjoin < 0)
		flags |= CLONE_NEWNET;
	if (!o.pod_pid)
		flags |= CLONE_NEWPID;

	caps_last();	/* asked now: the command's process must not (caps.h) */
	sigset_t mask;
	proc_block_signals(&mask);
	struct init_args a = { &o, env, &mask, sync[0], sync[1] };
	pid_t init = proc_clone_vm(flags, sandbox_init_main, &a);
	if (init < 0)
		return leave_pod(&o, fail(EXIT_CORRAL, "clone: %s", strerror(errno)));
	close(sync[0]);
	if (o.move_init)
		sched_setaffinity(init, o.ncpus, (cpu_set_t *)other);
	struct net_attachment att = { 0 };
	if (o.netjoin >= 0)
		close(o.netjoin);
	/* Without --net nat the init runs meanwhile, in our memory: nothing
	 * here mallocs or writes what it reads (rtnl_lo_up_alone keeps to the
	 * stack), and a failure kills it before anything is said. */
	if (cgroup_attach(o.in_pod_cg ? &o.pod_cg : &o.cg, init, &e) < 0 ||
	    (o.net == NET_NAT && attach_nat(&o, init, want, &att, &e) < 0) ||
	    (o.netjoin >= 0 && (unshare(CLONE_NEWNET) < 0 ? err_sys(&e, errno, "network namespace")
							  : rtnl_lo_up_alone(&e)) < 0)) {
		struct err ignored;
		kill(init, SIGKILL);
		waitpid(init, NULL, 0);
		cgroup_destroy(&o.cg, &ignored);
		return leave_pod(&o, fail_err(&e));
	}
	/* Go, with the address the sandbox got (0: none), to the init and
	 * the command's process. EPIPE: the init failed while building the
	 * root; its status says why. */
	uint32_t go[2] = { att.addr, att.addr };
	if (write(sync[1], go, sizeof(go)) != sizeof(go) && errno != EPIPE)
		return leave_pod(&o, fail(EXIT_CORRAL, "sync: %s", strerror(errno)));
	close(sync[1]);
	int code = proc_exit_code(proc_supervise(init, 0));
	if (code == 128 + SIGKILL && cgroup_oom_killed(&o.cg, &e) == 1)
		msg("the command was killed: it reached the --memory limit (%llu KiB)",
		    (unsigned long long)(o.limits.memory >> 10));
	if (cgroup_destroy(&o.cg, &e) < 0)
		msg("%s", e.msg);
	/* The veth goes with the netns; only the lease is ours to return. */
	if (o.net == NET_NAT && net_detach(&o.netcfg, NULL, &att, false, &e) < 0)
		msg("%s", e.msg);
	return leave_pod(&o, code);
}
