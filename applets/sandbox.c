/* sandbox - pod sandboxes: create, ls, inspect, rm, gc
 * usage: corral sandbox create [--name NAME] [--net pod|node|none]
 *                              [--pid container|pod|node] [--ipc pod|node]
 *                              [--ip ADDR] [--memory SIZE] [--pids N]
 *                              [--cpus N] [--json]
 *        corral sandbox ls [--json]
 *        corral sandbox inspect ID|NAME
 *        corral sandbox rm [--force] ID|NAME...
 *        corral sandbox gc
 *
 * A sandbox is a pause process holding the namespaces a pod shares: net,
 * ipc and uts, and pid with --pid pod (pause is then PID 1 of the pod).
 * Modes follow CRI NamespaceMode: pod (shared by the pod), container
 * (each container its own), node (the host's); target is refused.
 *   --net pod     netns cr-<first 8 of id> on the bridge of the network
 *                 config (/etc/corral/network.json or the built-in one),
 *                 a leased address (--ip to ask for one), NAT (default)
 *   --net none    netns with lo only;  --net node: the host's network
 *   --pid         container (default), pod or node
 *   --ipc         pod (default) or node
 *   --memory, --pids, --cpus   cgroup limits for pause and the members
 *   --json        print the state instead of the id
 *
 * create prints the 16-hex id once the pause is ready. ls shows each
 * sandbox's status: running, or dead with the reason. rm stops the
 * members (the corral processes that joined with run --sandbox or
 * nsenter --sandbox; TERM, KILL after 2 s), then the pause, tears down network and
 * cgroup and removes the state; a missing sandbox is an error unless
 * --force. gc removes everything of ours whose owner is gone. State lives
 * in $CORRAL_ROOT/sandboxes (default /run/corral). Needs root.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/netlink.h>

#include "applets.h"
#include "cgroup.h"
#include "ipam.h"
#include "json.h"
#include "netconf.h"
#include "netns.h"
#include "nl.h"
#include "pause_start.h"
#include "proc.h"
#include "rtnl.h"
#include "state.h"
#include "util.h"

#define GRACE_MS 2000
#define MAX_MEMBERS PROC_STOP_MAX

/* What a sandbox has, as far as it is known: enough to take it apart. */
struct teardown {
	const char *id;
	char name[SANDBOX_NAME_MAX + 1];
	pid_t pause;
	unsigned long long start;
	bool net_pod;		/* may hold a lease */
	uint32_t addr;		/* the lease it holds, when known (0: look) */
	bool no_cgroup;		/* its state says it has no limits (so no cgroup) */
	const struct net_config *netcfg;	/* NULL: load it when needed */
};

/* The members (the marks they left, each checked to be the very process
 * it names), stopped, also when the pause is gone; then the pause is
 * sent TERM. Returns its pidfd for stop_finish, or -1 when it is gone. */
static int stop_sandbox(const char *root, const char *id, pid_t pause, unsigned long long start)
{
	static struct state_member m[MAX_MEMBERS] BIG_BSS(members);
	static int fds[MAX_MEMBERS] BIG_BSS(member_fds);
	int n = 0, k = state_members(root, id, m, MAX_MEMBERS);
	for (int i = 0; i < k; i++)
		if ((fds[n] = proc_pidfd(m[i].pid, m[i].start)) >= 0)
			n++;
	if (n) {
		proc_stop_begin(fds, n);
		proc_stop_finish(fds, n, GRACE_MS);
	}
	int pfd = pause > 0 ? proc_pidfd(pause, start) : -1;
	if (pfd >= 0)
		proc_stop_begin(&pfd, 1);
	return pfd;
}

/* The sandbox's lease: addr when it is known and ours, else every lease
 * of the sandbox, found by reading them all. */
static void leases_release(const char *root, const char *id, const struct net_config *c,
			   uint32_t addr)
{
	struct net_config own;
	struct err e;
	if (!c) {
		if (net_config_load(&own, &e) < 0)
			return;	/* gc's ipam pass takes the lease once the dir is gone */
		c = &own;
	}
	struct ipam_net in = { .root = c->data_dir[0] ? c->data_dir : root, .name = c->name,
			       .subnet = c->subnet, .gateway = c->gateway };
	struct ipam_owner o = { .kind = IPAM_OWNER_SANDBOX };
	snprintf(o.sandbox, sizeof(o.sandbox), "%s", id);
	if (addr)
		ipam_release_owned(&in, addr, &o, &e);
	else
		ipam_release(&in, 0, &o, NULL, &e);
}

/* Takes apart whatever of the sandbox exists; every step copes with a
 * part that is not there. The state dir goes last. */
static int teardown(const char *root, const struct teardown *t, struct err *e)
{
	char nsname[16], cgname[32];
	struct cgroup cg;
	struct err ig;
	int r = 0;

	int pfd = stop_sandbox(root, t->id, t->pause, t->start);
	/* While pause exits: the network, which needs it gone no more than
	 * the kernel does (the netns lives on until its last user leaves). */
	if (t->net_pod)
		leases_release(root, t->id, t->netcfg, t->addr);
	sandbox_netns_name(t->id, nsname);
	if (netns_del(nsname, &ig) < 0 && ig.code != ENOENT)
		r = err_set(e, ig.code, "%s", ig.msg);
	if (pfd >= 0)
		proc_stop_finish(&pfd, 1, GRACE_MS);
	/* a cgroup is removed only once it is empty */
	sandbox_cgroup_name(t->id, cgname);
	if (!t->no_cgroup && cgroup_open(cgname, &cg, &ig) == 0 && cgroup_destroy(&cg, r < 0 ? &ig : e) < 0)
		r = -1;
	if (r < 0)
		return r;
	int lk = state_lock(root, e);
	if (lk < 0)
		return lk;
	state_name_release(root, t->name, t->id);
	r = state_remove(root, t->id, e);
	state_unlock(lk);
	return r;
}

/* create */

struct create_opts {
	const char *name, *ip;
	enum ns_mode net, pid, ipc;
	struct cgroup_limits limits;
	bool json;
};

static int parse_mode(const char *opt, const char *v, unsigned allowed, enum ns_mode *m)
{
	if (ns_mode_parse(v, m) < 0)
		return fail(EXIT_CORRAL, "%s '%s': unknown mode (want %s)", opt, v,
			    !strcmp(opt, "--net") ? "pod, node or none" :
			    !strcmp(opt, "--pid") ? "container, pod or node" : "pod or node");
	if (*m == NS_MODE_TARGET)
		return fail(EXIT_CORRAL, "%s target: the TARGET namespace mode is not supported", opt);
	if (!(allowed & (1u << *m)))
		return fail(EXIT_CORRAL, "%s %s: not a mode for this namespace (want %s)", opt, v,
			    !strcmp(opt, "--net") ? "pod, node or none" : "pod or node");
	return 0;
}

static int parse_create(int argc, char **argv, struct create_opts *o)
{
	enum { O_NAME = 256, O_NET, O_PID, O_IPC, O_IP, O_MEM, O_PIDS, O_CPUS, O_JSON };
	static const struct option lo[] = {
		{ "name", required_argument, 0, O_NAME }, { "net", required_argument, 0, O_NET },
		{ "pid", required_argument, 0, O_PID }, { "ipc", required_argument, 0, O_IPC },
		{ "ip", required_argument, 0, O_IP }, { "memory", required_argument, 0, O_MEM },
		{ "pids", required_argument, 0, O_PIDS }, { "cpus", required_argument, 0, O_CPUS },
		{ "json", no_argument, 0, O_JSON }, { 0, 0, 0, 0 },
	};
	struct err e = { 0 };
	int c, r;

	*o = (struct create_opts){ .net = NS_MODE_POD, .pid = NS_MODE_CONTAINER, .ipc = NS_MODE_POD };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case O_NAME:
			if (!sandbox_name_valid(optarg))
				return fail(EXIT_CORRAL, "--name '%s': want 1-%d of [A-Za-z0-9_.-], not starting with '.' or '-'",
					    optarg, SANDBOX_NAME_MAX);
			if (sandbox_id_valid(optarg))
				return fail(EXIT_CORRAL, "--name '%s': a name may not look like an id", optarg);
			o->name = optarg;
			break;
		case O_NET:
			if ((r = parse_mode("--net", optarg, 1u << NS_MODE_POD | 1u << NS_MODE_NODE |
					    1u << NS_MODE_NONE, &o->net)))
				return r;
			break;
		case O_PID:
			if ((r = parse_mode("--pid", optarg, 1u << NS_MODE_POD | 1u << NS_MODE_NODE |
					    1u << NS_MODE_CONTAINER, &o->pid)))
				return r;
			break;
		case O_IPC:
			if ((r = parse_mode("--ipc", optarg, 1u << NS_MODE_POD | 1u << NS_MODE_NODE, &o->ipc)))
				return r;
			break;
		case O_IP:
			o->ip = optarg;
			break;
		case O_MEM:
			if (parse_size(optarg, &o->limits.memory, &e) < 0 || !o->limits.memory)
				return fail(EXIT_CORRAL, "--memory '%s': want a size such as 64m", optarg);
			break;
		case O_PIDS:
			if (parse_u64(optarg, 1, 1u << 22, &o->limits.pids, &e) < 0)
				return fail(EXIT_CORRAL, "--pids '%s': want 1..%u", optarg, 1u << 22);
			break;
		case O_CPUS:
			if (cgroup_parse_cpus(optarg, &o->limits, &e) < 0)
				return fail(EXIT_CORRAL, "--cpus: %s", e.msg);
			break;
		case O_JSON:
			o->json = true;
			break;
		default:
			return usage(EXIT_CORRAL);
		}
	}
	if (optind != argc)
		return fail(EXIT_CORRAL, "create: unexpected argument '%s'", argv[optind]);
	if (o->ip && o->net != NS_MODE_POD)
		return fail(EXIT_CORRAL, "--ip needs --net pod");
	return 0;
}

static int lo_up(int netfd, struct err *e)
{
	struct nl nl;
	int r = nl_open_in(&nl, NETLINK_ROUTE, netfd, e);
	if (r < 0)
		return r;
	r = rtnl_link_up(&nl, 1, e);
	nl_close(&nl);
	return r;
}

static int do_create(const char *root, const struct create_opts *o, struct sandbox_state *s,
		     struct err *e)
{
	struct net_config netcfg;
	struct teardown td = { 0 };
	struct cgroup cg = { 0 };
	uint32_t want = 0;
	int netfd = -1, r, lk;
	struct pause_proc pp = { .ready = -1 };
	bool limits = o->limits.memory || o->limits.pids || o->limits.cpu_quota;

	memset(s, 0, sizeof(*s));
	s->net = o->net;
	s->pid = o->pid;
	s->ipc = o->ipc;
	s->limits = o->limits;
	if (o->name)
		snprintf(s->name, sizeof(s->name), "%s", o->name);
	if (o->net == NS_MODE_POD) {
		if ((r = net_config_load(&netcfg, e)) < 0)
			return r;
		if (o->ip) {
			if (ipam_parse_addr(o->ip, &want, e) < 0)
				return err_set(e, EINVAL, "--ip: %s", e->msg);
			if (!ipam_contains(&netcfg.subnet, want) || want == netcfg.gateway ||
			    want == netcfg.subnet.net || want == ipam_broadcast(&netcfg.subnet)) {
				char cidr[20];
				ipam_fmt_cidr(&netcfg.subnet, cidr);
				return err_set(e, EINVAL, "--ip %s: not a host address of %s", o->ip, cidr);
			}
		}
	}

	/* The dir with its `creating` mark (and the name) appear together. */
	if ((lk = state_lock(root, e)) < 0)
		return lk;
	for (int tries = 0;; tries++) {
		if ((r = state_new_id(s->id, e)) < 0)
			break;
		r = state_mkdir(root, s->id, e);
		if (r != -EEXIST || tries == 8)
			break;
	}
	if (r < 0) {
		state_unlock(lk);
		return r;
	}
	td.id = s->id;
	snprintf(td.name, sizeof(td.name), "%s", s->name);
	td.net_pod = o->net == NS_MODE_POD;
	td.netcfg = td.net_pod ? &netcfg : NULL;
	r = state_mark_write(root, s->id, "creating", getpid(), proc_start_time(getpid()), e);
	if (!r && s->name[0] && (r = state_name_claim(root, s->name, s->id, e)) < 0)
		td.name[0] = 0;	/* someone else's */
	state_unlock(lk);
	if (r < 0)
		goto undo;

	if (limits) {
		sandbox_cgroup_name(s->id, s->cgroup);
		if ((r = cgroup_create(s->cgroup, &o->limits, &cg, e)) < 0)
			goto undo;
		if (!cg.ndirs)
			s->cgroup[0] = 0;
	}
	if (o->net != NS_MODE_NODE) {
		sandbox_netns_name(s->id, s->netns);
		if ((r = netns_add(s->netns, e)) < 0)
			goto undo;
		if ((r = netfd = netns_open(s->netns, e)) < 0)
			goto undo;
	}
	/* pause starts while the network is made: it only needs the netns,
	 * and the other CPU can run it meanwhile */
	unsigned long flags = CLONE_NEWUTS | (s->ipc == NS_MODE_POD ? CLONE_NEWIPC : 0) |
			      (s->pid == NS_MODE_POD ? CLONE_NEWPID : 0);
	r = pause_start(root, s->id, flags, netfd, s->name[0] && valid_hostname(s->name) ? s->name : s->id,
			limits ? &cg : NULL, &pp, e);
	td.pause = pp.pid;
	td.start = pp.start;
	if (r < 0)
		goto undo;
	if (o->net == NS_MODE_NONE && (r = lo_up(netfd, e)) < 0)
		goto undo;
	if (o->net == NS_MODE_POD) {
		struct ipam_owner owner;
		struct net_attachment att;
		if ((r = ipam_owner_pid(getpid(), &owner, e)) < 0)
			goto undo;
		owner.kind = IPAM_OWNER_SANDBOX;
		snprintf(owner.sandbox, sizeof(owner.sandbox), "%s", s->id);
		if ((r = net_host_setup(&netcfg, root, e)) < 0)
			goto undo;
		if ((r = net_attach(&netcfg, root, netfd, "eth0", &owner, want, &att, e)) < 0)
			goto undo;
		memcpy(s->host_veth, att.host_if, sizeof(s->host_veth));
		s->addr = td.addr = att.addr;
		s->prefix = netcfg.subnet.prefix;
		s->gateway = netcfg.gateway;
		snprintf(s->network, sizeof(s->network), "%s", netcfg.name);
	}
	r = pause_wait_ready(s->id, limits ? &cg : NULL, &pp, e);
	td.pause = pp.pid;
	if (r < 0)
		goto undo;
	s->pause_pid = pp.pid;
	s->pause_start_time = pp.start;
	if (netfd >= 0)
		close(netfd);
	netfd = -1;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	s->created = now.tv_sec;
	s->created_ns = (uint32_t)now.tv_nsec;
	if ((r = sandbox_state_write(root, s, e)) < 0)
		goto undo;
	char path[4200];
	snprintf(path, sizeof(path), "%s/sandboxes/%s/creating", root, s->id);
	unlink(path);
	return 0;
undo:
	if (netfd >= 0)
		close(netfd);
	if (pp.ready >= 0)
		close(pp.ready);
	struct err ig;
	teardown(root, &td, &ig);
	return r;
}

static int cmd_create(int argc, char **argv, const char *root)
{
	struct create_opts o;
	struct sandbox_state s;
	struct err e = { 0 };
	int r = parse_create(argc, argv, &o);
	if (r)
		return r;
	if ((r = do_create(root, &o, &s, &e)) < 0)
		return fail_err(&e);
	if (o.json) {
		char *t;
		size_t len;
		if (sandbox_state_format(&s, true, &t, &len, &e) < 0)
			return fail_err(&e);
		fwrite(t, 1, len, stdout);
		free(t);
	} else {
		printf("%s\n", s.id);
	}
	return fflush(stdout) == 0 ? 0 : EXIT_CORRAL;
}

/* What a sandbox dir says about itself. */
enum status { ST_RUNNING, ST_DEAD, ST_CREATING, ST_REMOVING };

struct view {
	enum status st;
	bool have_state;
	struct sandbox_state s;
	char reason[300];
};

static void look(const char *root, const char *id, struct view *v)
{
	struct err e = { 0 };
	pid_t pid;
	unsigned long long start;

	memset(v, 0, sizeof(*v));
	int r = sandbox_state_read(root, id, &v->s, &e);
	v->have_state = r == 0;
	if (state_mark_read(root, id, "removing", &pid, &start) == 0) {
		if (proc_runs(pid, start)) {
			v->st = ST_REMOVING;
			snprintf(v->reason, sizeof(v->reason), "being removed by pid %d", (int)pid);
		} else {
			v->st = ST_DEAD;
			snprintf(v->reason, sizeof(v->reason), "removal interrupted (pid %d is gone)", (int)pid);
		}
		return;
	}
	if (r == 0) {
		if (proc_runs(v->s.pause_pid, v->s.pause_start_time)) {
			v->st = ST_RUNNING;
		} else {
			v->st = ST_DEAD;
			snprintf(v->reason, sizeof(v->reason), "pause (pid %d) is gone", (int)v->s.pause_pid);
		}
		return;
	}
	if (r == -ENOENT && state_mark_read(root, id, "creating", &pid, &start) == 0) {
		if (proc_runs(pid, start)) {
			v->st = ST_CREATING;
			snprintf(v->reason, sizeof(v->reason), "being created by pid %d", (int)pid);
		} else {
			v->st = ST_DEAD;
			snprintf(v->reason, sizeof(v->reason), "creation interrupted (pid %d is gone)", (int)pid);
		}
		return;
	}
	v->st = ST_DEAD;
	snprintf(v->reason, sizeof(v->reason), "%s", r == -ENOENT ? "no state" : e.msg);
}

static const char *status_name(enum status st)
{
	static const char *const n[] = { "running", "dead", "creating", "removing" };
	return n[st];
}

/* The teardown of a dir by what it says: state.json, else the pause mark. */
static void teardown_of(const char *root, const char *id, const struct view *v, struct teardown *t)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	if (v->have_state) {
		t->pause = v->s.pause_pid;
		t->start = v->s.pause_start_time;
		t->net_pod = v->s.net == NS_MODE_POD;
		t->addr = v->s.addr;
		/* create makes a cgroup only for limits (gc still finds one
		 * left by a state that lies) */
		t->no_cgroup = !v->s.cgroup[0];
		memcpy(t->name, v->s.name, sizeof(t->name));
		return;
	}
	t->net_pod = true;	/* unknown: releasing nothing is harmless */
	if (state_mark_read(root, id, "pause", &t->pause, &t->start) < 0)
		t->pause = 0;
}

static int cmd_ls(int argc, char **argv, const char *root)
{
	bool json = false;
	struct err e = { 0 };
	char (*ids)[SANDBOX_ID_LEN + 1];
	size_t n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return fail(EXIT_CORRAL, "ls: unexpected argument '%s'", argv[i]);
	}
	if (state_list(root, &ids, &n, &e) < 0)
		return fail_err(&e);
	struct jw w;
	if (json) {
		jw_init(&w, true);
		jw_arr(&w);
	} else {
		printf("%-16s  %-20s  %-8s  %-8s  %-15s  %s\n", "ID", "NAME", "STATUS", "PID",
		       "ADDRESS", "REASON");
	}
	for (size_t i = 0; i < n; i++) {
		static struct view v;
		look(root, ids[i], &v);
		if (json) {
			jw_obj(&w);
			jw_key(&w, "id"); jw_str(&w, ids[i]);
			jw_key(&w, "status"); jw_str(&w, status_name(v.st));
			jw_key(&w, "reason");
			if (v.reason[0]) jw_str(&w, v.reason); else jw_null(&w);
			jw_key(&w, "state");
			if (v.have_state) sandbox_state_jw(&w, &v.s); else jw_null(&w);
			jw_obj_end(&w);
			continue;
		}
		char addr[16] = "-", pid[16] = "-";
		if (v.have_state && v.s.addr)
			ipam_fmt_addr(v.s.addr, addr);
		if (v.have_state)
			snprintf(pid, sizeof(pid), "%d", (int)v.s.pause_pid);
		printf("%-16s  %-20s  %-8s  %-8s  %-15s  %s\n", ids[i],
		       v.have_state && v.s.name[0] ? v.s.name : "-", status_name(v.st), pid, addr,
		       v.reason[0] ? v.reason : "-");
	}
	free(ids);
	if (json) {
		jw_arr_end(&w);
		size_t len;
		const char *t = jw_done(&w, &len);
		if (!t)
			return fail(EXIT_CORRAL, "ls: out of memory");
		fwrite(t, 1, len, stdout);
		jw_free(&w);
	}
	return fflush(stdout) == 0 ? 0 : EXIT_CORRAL;
}

static int cmd_inspect(int argc, char **argv, const char *root)
{
	struct err e = { 0 };
	struct sandbox_state s;
	char id[SANDBOX_ID_LEN + 1], *t;
	size_t len;

	if (argc != 2)
		return fail(EXIT_CORRAL, "inspect: want one ID or NAME");
	if (state_resolve(root, argv[1], id, &e) < 0)
		return fail_err(&e);
	int r = sandbox_state_read(root, id, &s, &e);
	if (r == -ENOENT)
		return fail(EXIT_CORRAL, "sandbox %s: no state yet (being created, or creation failed)", id);
	if (r < 0 || sandbox_state_format(&s, true, &t, &len, &e) < 0)
		return fail_err(&e);
	fwrite(t, 1, len, stdout);
	free(t);
	return fflush(stdout) == 0 ? 0 : EXIT_CORRAL;
}

static int cmd_rm(int argc, char **argv, const char *root)
{
	bool force = false;
	int rc = 0, refs = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = true;
		else if (argv[i][0] == '-')
			return fail(EXIT_CORRAL, "rm: unknown option '%s'", argv[i]);
		else
			refs++;
	}
	if (!refs)
		return fail(EXIT_CORRAL, "rm: want at least one ID or NAME");
	for (int i = 1; i < argc; i++) {
		struct err e = { 0 };
		char id[SANDBOX_ID_LEN + 1];
		if (argv[i][0] == '-')
			continue;
		int r = state_resolve(root, argv[i], id, &e);
		if (r == -ENOENT && force)
			continue;
		if (r < 0) {
			rc = fail_err(&e);
			continue;
		}
		struct view v;
		int lk = state_lock(root, &e);
		if (lk < 0) {
			rc = fail_err(&e);
			continue;
		}
		look(root, id, &v);
		if (v.st == ST_CREATING && !force) {
			state_unlock(lk);
			rc = fail(EXIT_CORRAL, "sandbox %s: %s; try again, or use --force", id, v.reason);
			continue;
		}
		r = state_mark_write(root, id, "removing", getpid(), proc_start_time(getpid()), &e);
		state_unlock(lk);
		if (r < 0) {
			rc = fail_err(&e);
			continue;
		}
		struct teardown t;
		teardown_of(root, id, &v, &t);
		if (teardown(root, &t, &e) < 0) {
			rc = fail_err(&e);
			continue;
		}
		printf("%s\n", id);
	}
	return fflush(stdout) == 0 ? rc : EXIT_CORRAL;
}

/* gc */

struct gc_ctx {
	const char *root;
	char (*ids)[SANDBOX_ID_LEN + 1];
	size_t n;
};

static int has_id(const struct gc_ctx *g, const char *id, size_t len)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strncmp(g->ids[i], id, len))
			return 1;
	return 0;
}

static int gc_netns(const char *name, void *arg)
{
	const struct gc_ctx *g = arg;
	size_t pl = strlen(SANDBOX_NETNS_PREFIX);
	struct err ig;
	if (strncmp(name, SANDBOX_NETNS_PREFIX, pl) || strlen(name) != pl + 8)
		return 0;
	for (size_t i = pl; i < pl + 8; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return 0;
	if (!has_id(g, name + pl, 8))
		netns_del(name, &ig);
	return 0;
}

/* cgroups: ours are sandbox-<id>; one is kept while its dir exists. */
static int gc_keep_cgroup(const char *name, void *arg)
{
	const struct gc_ctx *g = arg;
	size_t pl = strlen(SANDBOX_CGROUP_PREFIX);
	if (strncmp(name, SANDBOX_CGROUP_PREFIX, pl) || !sandbox_id_valid(name + pl))
		return 1;
	return has_id(g, name + pl, SANDBOX_ID_LEN);
}

static int cmd_gc(int argc, char **argv, const char *root)
{
	struct err e = { 0 };
	struct gc_ctx g = { .root = root };
	int removed = 0;

	if (argc != 1)
		return fail(EXIT_CORRAL, "gc: unexpected argument '%s'", argv[1]);
	/* Decided under the lock (a create makes its dir and mark under it);
	 * a dead sandbox stays dead, so the teardowns run without it. */
	int lk = state_lock(root, &e);
	if (lk < 0)
		return fail_err(&e);
	if (state_list(root, &g.ids, &g.n, &e) < 0) {
		state_unlock(lk);
		return fail_err(&e);
	}
	size_t ndead = 0;
	struct teardown *dead = calloc(g.n + 1, sizeof(*dead));
	if (!dead) {
		state_unlock(lk);
		return fail(EXIT_CORRAL, "gc: out of memory");
	}
	for (size_t i = 0; i < g.n; i++) {
		static struct view v;
		look(root, g.ids[i], &v);
		if (v.st == ST_DEAD)
			teardown_of(root, g.ids[i], &v, &dead[ndead++]);
	}
	state_unlock(lk);
	for (size_t i = 0; i < ndead; i++) {
		if (teardown(root, &dead[i], &e) < 0)
			msg("%s", e.msg);
		else
			removed++;
	}
	free(dead);
	free(g.ids);
	/* Everything else of ours is claimed by the dirs that are left. */
	lk = state_lock(root, &e);
	if (lk < 0)
		return fail_err(&e);
	if (state_list(root, &g.ids, &g.n, &e) < 0) {
		state_unlock(lk);
		return fail_err(&e);
	}
	state_names_gc(root);
	if (netns_list(gc_netns, &g, &e) < 0)
		msg("%s", e.msg);
	if (cgroup_gc(gc_keep_cgroup, &g, 0, &e) < 0)
		msg("%s", e.msg);
	state_unlock(lk);
	free(g.ids);
	int reclaimed = 0;
	if (ipam_gc_all(root, &reclaimed, &e) < 0)
		msg("%s", e.msg);
	printf("%d sandboxes removed, %d leases reclaimed\n", removed, reclaimed);
	return fflush(stdout) == 0 ? 0 : EXIT_CORRAL;
}

int sandbox_main(int argc, char **argv)
{
	if (argc < 2)
		return usage(EXIT_CORRAL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || wants_help(argc - 1, argv + 1))
		return usage(0);
	const char *cmd = argv[1];
	int (*fn)(int, char **, const char *) =
		!strcmp(cmd, "create") ? cmd_create : !strcmp(cmd, "ls") ? cmd_ls :
		!strcmp(cmd, "inspect") ? cmd_inspect : !strcmp(cmd, "rm") ? cmd_rm :
		!strcmp(cmd, "gc") ? cmd_gc : NULL;
	if (!fn)
		return fail(EXIT_CORRAL, "unknown command '%s' (want create, ls, inspect, rm or gc)", cmd);
	if (geteuid() != 0)
		return fail(EXIT_CORRAL, "needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) to manage pod sandboxes");
	return fn(argc - 1, argv + 1, state_root(NULL));
}
