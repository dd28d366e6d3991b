/* netsetup - the network core as a command: netns, links, addresses, routes
 * usage: corral netsetup [-n NS] [--json] OBJECT COMMAND [ARGS...]
 *
 *   netns add NAME        a named netns in /run/netns (seen by `ip netns`)
 *   netns del NAME        safe while the netns is in use
 *   netns list            one name a line, or [{"name":...}] with --json
 *   link add NAME type bridge
 *   link add NAME type veth peer [name] PEER [netns NS]
 *                         the peer is made inside NS, never on this side
 *   link set DEV up|down|master BR|nomaster|netns NS|name NEW|mtu N ...
 *   link del DEV
 *   link list             index, name, kind, state, mtu, master
 *   addr add|del ADDR/LEN dev DEV [netns NS]
 *   route add|del default|PREFIX [via GW] [dev DEV] [netns NS]
 *   nat add SUBNET bridge BR [network NET]
 *                         masquerade SUBNET leaving through any link but BR,
 *                         accept BR's forwarding (nftables table `corral`,
 *                         and first in each forward chain whose policy is
 *                         drop); adding what is there changes nothing
 *   nat del SUBNET bridge BR [network NET]
 *                         removes the network's rules (NET defaults to BR)
 *   nat list              network, subnet and bridge of each NAT'd network
 *   ipam alloc NETWORK [--subnet CIDR] [--gateway GW] [--ip ADDR] [--owner O]
 *                         leases an address, prints ADDR/PREFIX; the subnet
 *                         is needed once, then remembered
 *   ipam release NETWORK ADDR|--owner O
 *   ipam list NETWORK     address, owner and whether the owner is alive
 *   ipam gc [NETWORK]     drops the leases of owners that are gone
 *   gc                    drops the leases of gone owners in every network
 *
 *   Lease owners (O): sandbox:ID (alive while its state dir exists) or
 *   pid:PID (that process, told apart from a recycled pid by its start
 *   time and the boot id). Without --owner the lease belongs to the calling process's
 *   parent (the shell that ran netsetup). State: $CORRAL_ROOT/ipam
 *   (default /run/corral/ipam).
 *
 *   -n NS, --netns NS     act inside NS: a name in /run/netns, a
 *                         /proc/PID/ns/net path or a PID
 *   -j, --json            JSON output for the list commands
 *
 * Errors name the object and the kernel's reason (`veth cr-1a2b: File
 * exists`) and exit 125; a failed command leaves nothing half-made.
 *
 * CNI plugin: with CNI_COMMAND set (under any name), netsetup is a `bridge`
 * plugin with host-local ipam (CNI spec 1.0.0, and GC and STATUS of 1.1.0):
 * the network config on stdin (bridge, isGateway, isDefaultGateway, ipMasq,
 * mtu, ipam.subnet|ranges, gateway, routes, dataDir), CNI_CONTAINERID,
 * CNI_NETNS, CNI_IFNAME in the environment; ADD, DEL, CHECK, VERSION, GC
 * (keeps cni.dev/valid-attachments), STATUS. The result, or the spec's
 * error {"cniVersion","code","msg"} with exit 1, goes to stdout. Leases
 * belong to container ID + ifname, under ipam.dataDir or the state dir.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>

#include "applets.h"
#include "cni.h"
#include "json.h"
#include "netns.h"
#include "netsetup.h"
#include "nl.h"
#include "rtnl.h"
#include "util.h"

/* A lib/ error; EPERM gets told what it lacks. */
int net_fail(struct ns_ctx *c)
{
	if ((c->e.code == EPERM || c->e.code == EACCES) && geteuid() != 0)
		return fail(EXIT_CORRAL, "%s; needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)", c->e.msg);
	return fail_err(&c->e);
}

/* Bad input: one line, exit 125, nothing done. */
int net_bad(const char *fmt, const char *arg)
{
	msg(fmt, arg);
	return EXIT_CORRAL;
}

/* A netlink socket of protocol proto in c->ns (or here). */
int net_sock(struct ns_ctx *c, struct nl *nl, int proto)
{
	if (!c->ns)
		return nl_open(nl, proto, &c->e);
	int fd = netns_open(c->ns, &c->e);
	if (fd < 0)
		return fd;
	int r = nl_open_in(nl, proto, fd, &c->e);
	close(fd);
	return r;
}

/* Takes a trailing "netns NS" off argv (addr, route). */
static int take_netns(struct ns_ctx *c, int *argc, char **argv)
{
	for (int i = 0; i + 1 < *argc; i++) {
		if (strcmp(argv[i], "netns"))
			continue;
		if (c->ns && strcmp(c->ns, argv[i + 1]))
			return net_bad("two netns given: '%s'", argv[i + 1]);
		c->ns = argv[i + 1];
		memmove(argv + i, argv + i + 2, (size_t)(*argc - i - 2) * sizeof(*argv));
		*argc -= 2;
		return 0;
	}
	return 0;
}

/* ---- netns ---- */

static int netns_add_cmd(struct ns_ctx *c, int argc, char **argv)
{
	if (argc != 1)
		return net_bad("usage: netns add NAME%s", "");
	return netns_add(argv[0], &c->e) < 0 ? net_fail(c) : 0;
}

static int netns_del_cmd(struct ns_ctx *c, int argc, char **argv)
{
	if (argc != 1)
		return net_bad("usage: netns del NAME%s", "");
	return netns_del(argv[0], &c->e) < 0 ? net_fail(c) : 0;
}


void list_begin(struct list_out *o, bool json)
{
	o->json = json;
	jw_init(&o->w, false);
	jw_arr(&o->w);
}

int list_end(struct list_out *o, int r, struct ns_ctx *c)
{
	jw_arr_end(&o->w);
	const char *text = jw_done(&o->w, NULL);
	if (r == 0 && o->json) {
		if (text)
			puts(text);
		else
			r = err_set(&c->e, ENOMEM, "JSON output: out of memory");
	}
	jw_free(&o->w);
	return r < 0 ? net_fail(c) : 0;
}

static int print_netns(const char *name, void *arg)
{
	struct list_out *o = arg;
	if (o->json) {
		jw_obj(&o->w);
		jw_key(&o->w, "name");
		jw_str(&o->w, name);
		jw_obj_end(&o->w);
	} else {
		puts(name);
	}
	return 0;
}

static int netns_list_cmd(struct ns_ctx *c, int argc, char **argv)
{
	struct list_out o;
	if (argc != 0)
		return net_bad("unexpected '%s'", argv[0]);
	list_begin(&o, c->json);
	return list_end(&o, netns_list(print_netns, &o, &c->e), c);
}

/* ---- link ---- */

static int link_add_cmd(struct ns_ctx *c, int argc, char **argv)
{
	const char *name, *peer = NULL, *peer_ns = NULL;
	bool veth;

	if (argc < 3 || strcmp(argv[1], "type"))
		return net_bad("usage: link add NAME type bridge|veth ...%s", "");
	name = argv[0];
	if (!strcmp(argv[2], "bridge")) {
		veth = false;
		if (argc != 3)
			return net_bad("unexpected '%s'", argv[3]);
	} else if (!strcmp(argv[2], "veth")) {
		veth = true;
		int i = 3;
		if (i < argc && !strcmp(argv[i], "peer"))
			i++;
		else
			return net_bad("veth %s: needs 'peer NAME'", name);
		if (i < argc && !strcmp(argv[i], "name"))
			i++;
		if (i >= argc)
			return net_bad("veth %s: needs 'peer NAME'", name);
		peer = argv[i++];
		if (i + 1 < argc && !strcmp(argv[i], "netns")) {
			peer_ns = argv[i + 1];
			i += 2;
		}
		if (i != argc)
			return net_bad("unexpected '%s'", argv[i]);
	} else {
		return net_bad("link type '%s' is not supported (bridge, veth)", argv[2]);
	}
	if (!rtnl_valid_ifname(name))
		return net_bad("bad interface name '%s'", name);
	if (peer && !rtnl_valid_ifname(peer))
		return net_bad("bad interface name '%s'", peer);

	int nsfd = -1;
	if (peer_ns && (nsfd = netns_open(peer_ns, &c->e)) < 0)
		return net_fail(c);
	struct nl nl;
	int r = net_sock(c, &nl, NETLINK_ROUTE);
	if (r == 0) {
		r = veth ? rtnl_veth_add(&nl, name, peer, nsfd, &c->e)
			 : rtnl_bridge_add(&nl, name, &c->e);
		nl_close(&nl);
	}
	if (nsfd >= 0)
		close(nsfd);
	return r < 0 ? net_fail(c) : 0;
}

enum set_op { SET_UP, SET_DOWN, SET_MASTER, SET_NOMASTER, SET_NETNS, SET_NAME, SET_MTU };

struct set_step {
	enum set_op op;
	const char *arg;
	unsigned mtu;
	int fd;			/* SET_NETNS */
};

static int link_set_apply(struct ns_ctx *c, const char *dev, struct set_step *s, int n)
{
	struct nl nl;
	char cur[RTNL_IFNAMSIZ];
	int r = net_sock(c, &nl, NETLINK_ROUTE);
	if (r < 0)
		return r;
	snprintf(cur, sizeof(cur), "%s", dev);
	for (int i = 0; i < n && r == 0; i++) {
		switch (s[i].op) {
		case SET_UP: r = rtnl_link_set_up(&nl, cur, true, &c->e); break;
		case SET_DOWN: r = rtnl_link_set_up(&nl, cur, false, &c->e); break;
		case SET_MASTER: r = rtnl_link_set_master(&nl, cur, s[i].arg, &c->e); break;
		case SET_NOMASTER: r = rtnl_link_set_master(&nl, cur, NULL, &c->e); break;
		case SET_MTU: r = rtnl_link_set_mtu(&nl, cur, s[i].mtu, &c->e); break;
		case SET_NAME:
			r = rtnl_link_set_name(&nl, cur, s[i].arg, &c->e);
			if (r == 0)
				snprintf(cur, sizeof(cur), "%s", s[i].arg);
			break;
		case SET_NETNS:
			r = rtnl_link_set_netns(&nl, cur, s[i].fd, &c->e);
			if (r == 0 && i + 1 < n) {	/* the rest happens over there */
				nl_close(&nl);
				r = nl_open_in(&nl, NETLINK_ROUTE, s[i].fd, &c->e);
				if (r < 0)
					return r;
			}
			break;
		}
	}
	nl_close(&nl);
	return r;
}

static int link_set_cmd(struct ns_ctx *c, int argc, char **argv)
{
	struct set_step s[16];
	int n = 0, r = 0;

	if (argc < 2)
		return net_bad("usage: link set DEV up|down|master BR|nomaster|netns NS|name NEW|mtu N%s", "");
	const char *dev = argv[0];
	if (!rtnl_valid_ifname(dev))
		return net_bad("bad interface name '%s'", dev);
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (n == (int)ARRAY_SIZE(s))
			return net_bad("too many settings at '%s'", w);
		struct set_step *p = &s[n];
		p->fd = -1;
		p->arg = NULL;
		if (!strcmp(w, "up") || !strcmp(w, "down")) {
			p->op = w[0] == 'u' ? SET_UP : SET_DOWN;
		} else if (!strcmp(w, "nomaster")) {
			p->op = SET_NOMASTER;
		} else if (!strcmp(w, "master") || !strcmp(w, "netns") ||
			   !strcmp(w, "name") || !strcmp(w, "mtu")) {
			if (i + 1 >= argc)
				return net_bad("'%s' needs a value", w);
			p->arg = argv[++i];
			if (!strcmp(w, "master")) {
				p->op = SET_MASTER;
				if (!rtnl_valid_ifname(p->arg))
					return net_bad("bad interface name '%s'", p->arg);
			} else if (!strcmp(w, "name")) {
				p->op = SET_NAME;
				if (!rtnl_valid_ifname(p->arg))
					return net_bad("bad interface name '%s'", p->arg);
			} else if (!strcmp(w, "mtu")) {
				uint64_t v;
				p->op = SET_MTU;
				if (parse_u64(p->arg, 68, 65535, &v, &c->e) < 0)
					return net_bad("bad mtu '%s' (68..65535)", p->arg);
				p->mtu = (unsigned)v;
			} else {
				p->op = SET_NETNS;
			}
		} else {
			return net_bad("unknown setting '%s'", w);
		}
		n++;
	}
	/* Open every netns first: a missing one fails before any change. */
	for (int i = 0; i < n && r == 0; i++)
		if (s[i].op == SET_NETNS && (s[i].fd = netns_open(s[i].arg, &c->e)) < 0)
			r = s[i].fd;
	if (r == 0)
		r = link_set_apply(c, dev, s, n);
	for (int i = 0; i < n; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	return r < 0 ? net_fail(c) : 0;
}

static int link_del_cmd(struct ns_ctx *c, int argc, char **argv)
{
	if (argc != 1)
		return net_bad("usage: link del DEV%s", "");
	if (!rtnl_valid_ifname(argv[0]))
		return net_bad("bad interface name '%s'", argv[0]);
	struct nl nl;
	int r = net_sock(c, &nl, NETLINK_ROUTE);
	if (r == 0) {
		r = rtnl_link_del(&nl, argv[0], &c->e);
		nl_close(&nl);
	}
	return r < 0 ? net_fail(c) : 0;
}

static int print_link(const struct rtnl_link *l, void *arg)
{
	struct list_out *o = arg;
	if (o->json) {
		struct jw *w = &o->w;
		jw_obj(w);
		jw_key(w, "index"); jw_i64(w, l->index);
		jw_key(w, "name"); jw_str(w, l->name);
		jw_key(w, "kind"); jw_str(w, l->kind);
		jw_key(w, "up"); jw_bool(w, l->flags & IFF_UP);
		jw_key(w, "mtu"); jw_u64(w, l->mtu);
		jw_key(w, "master"); jw_i64(w, l->master);
		jw_obj_end(w);
	} else {
		printf("%d\t%s\t%s\t%s\tmtu %u", l->index, l->name, l->kind[0] ? l->kind : "-",
		       (l->flags & IFF_UP) ? "up" : "down", l->mtu);
		if (l->master)
			printf("\tmaster %d", l->master);
		putchar('\n');
	}
	return 0;
}

static int link_list_cmd(struct ns_ctx *c, int argc, char **argv)
{
	struct list_out o;
	if (argc != 0)
		return net_bad("unexpected '%s'", argv[0]);
	struct nl nl;
	int r = net_sock(c, &nl, NETLINK_ROUTE);
	if (r < 0)
		return net_fail(c);
	list_begin(&o, c->json);
	r = rtnl_link_list(&nl, print_link, &o, &c->e);
	nl_close(&nl);
	return list_end(&o, r, c);
}

/* ---- addr, route ---- */

static int addr_cmd(struct ns_ctx *c, int argc, char **argv, bool add)
{
	struct rtnl_prefix a;
	const char *dev = NULL;

	if (take_netns(c, &argc, argv))
		return EXIT_CORRAL;
	if (argc != 3 || strcmp(argv[1], "dev"))
		return net_bad("usage: addr add|del ADDR/LEN dev DEV [netns NS]%s", "");
	dev = argv[2];
	if (rtnl_parse_prefix(argv[0], &a, false, false, &c->e) < 0)
		return net_bad("%s", c->e.msg);
	if (!rtnl_valid_ifname(dev))
		return net_bad("bad interface name '%s'", dev);
	struct nl nl;
	int r = net_sock(c, &nl, NETLINK_ROUTE);
	if (r == 0) {
		r = add ? rtnl_addr_add(&nl, dev, &a, &c->e) : rtnl_addr_del(&nl, dev, &a, &c->e);
		nl_close(&nl);
	}
	return r < 0 ? net_fail(c) : 0;
}

static int addr_add_cmd(struct ns_ctx *c, int argc, char **argv) { return addr_cmd(c, argc, argv, true); }
static int addr_del_cmd(struct ns_ctx *c, int argc, char **argv) { return addr_cmd(c, argc, argv, false); }

static int route_cmd(struct ns_ctx *c, int argc, char **argv, bool add)
{
	struct rtnl_prefix dst, gw;
	bool have_gw = false;
	const char *dev = NULL;

	if (take_netns(c, &argc, argv))
		return EXIT_CORRAL;
	if (argc < 1)
		return net_bad("usage: route add|del default|PREFIX [via GW] [dev DEV] [netns NS]%s", "");
	if (rtnl_parse_prefix(argv[0], &dst, false, true, &c->e) < 0)
		return net_bad("%s", c->e.msg);
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return net_bad("'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "via") && !have_gw) {
			if (rtnl_parse_prefix(argv[i + 1], &gw, false, false, &c->e) < 0 ||
			    gw.len != (gw.family == AF_INET ? 32 : 128))
				return net_bad("bad gateway '%s'", argv[i + 1]);
			have_gw = true;
		} else if (!strcmp(argv[i], "dev") && !dev) {
			dev = argv[i + 1];
			if (!rtnl_valid_ifname(dev))
				return net_bad("bad interface name '%s'", dev);
		} else {
			return net_bad("unexpected '%s'", argv[i]);
		}
	}
	if (!have_gw && !dev)
		return net_bad("route %s: needs 'via GW' or 'dev DEV'", argv[0]);
	if (have_gw && dst.len && dst.family != gw.family)
		return net_bad("route %s: gateway of another address family", argv[0]);
	struct nl nl;
	int r = net_sock(c, &nl, NETLINK_ROUTE);
	if (r == 0) {
		const struct rtnl_prefix *g = have_gw ? &gw : NULL;
		r = add ? rtnl_route_add(&nl, &dst, g, dev, &c->e)
			: rtnl_route_del(&nl, &dst, g, dev, &c->e);
		nl_close(&nl);
	}
	return r < 0 ? net_fail(c) : 0;
}

static int route_add_cmd(struct ns_ctx *c, int argc, char **argv) { return route_cmd(c, argc, argv, true); }
static int route_del_cmd(struct ns_ctx *c, int argc, char **argv) { return route_cmd(c, argc, argv, false); }

/* ---- dispatch ---- */

static const struct netsetup_cmd core_cmds[] = {
	{ "netns", "add", netns_add_cmd },
	{ "netns", "del", netns_del_cmd },
	{ "netns", "list", netns_list_cmd },
	{ "link", "add", link_add_cmd },
	{ "link", "set", link_set_cmd },
	{ "link", "del", link_del_cmd },
	{ "link", "list", link_list_cmd },
	{ "addr", "add", addr_add_cmd },
	{ "addr", "del", addr_del_cmd },
	{ "route", "add", route_add_cmd },
	{ "route", "del", route_del_cmd },
	{ 0 }
};

static const struct netsetup_cmd *const cmd_tables[] = { core_cmds, netsetup_nat_cmds };

static const struct netsetup_cmd *find_cmd(int argc, char **argv)
{
	for (size_t t = 0; t < ARRAY_SIZE(cmd_tables); t++)
		for (const struct netsetup_cmd *p = cmd_tables[t]; p->object; p++)
			if (!strcmp(p->object, argv[0]) &&
			    (!p->verb || (argc > 1 && !strcmp(p->verb, argv[1]))))
				return p;
	return NULL;
}

/* CNI plugin mode: config on stdin, result or error on stdout. */
static int cni_main(void)
{
	struct cni_env env = {
		.command = getenv("CNI_COMMAND"), .container_id = getenv("CNI_CONTAINERID"),
		.netns = getenv("CNI_NETNS"), .ifname = getenv("CNI_IFNAME"),
		.args = getenv("CNI_ARGS"), .path = getenv("CNI_PATH"),
	};
	struct err e = { 0 };
	struct jw w;
	char *conf = NULL;
	size_t len = 0, cap = 0;
	int code = 0;

	for (;;) {	/* stdin, up to 1 MiB */
		if (len == cap) {
			char *p = cap < (1u << 20) ? realloc(conf, cap = cap ? cap * 2 : 4096) : NULL;
			if (!p) {
				code = CNI_ERR_DECODE;
				err_set(&e, EFBIG, "network config: more than 1 MiB or out of memory");
				break;
			}
			conf = p;
		}
		ssize_t r = read(0, conf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			code = CNI_ERR_IO;
			err_sys(&e, errno, "network config: read stdin");
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	jw_init(&w, true);
	if (!code)
		code = cni_exec(&env, conf ? conf : "", len, NULL, &w, &e);
	if (code) {
		jw_free(&w);
		jw_init(&w, true);
		cni_error(&w, conf, len, code, e.msg);
	}
	size_t n;
	bool empty = w.len == 0;	/* DEL, STATUS, GC: no output */
	const char *text = empty ? NULL : jw_done(&w, &n);
	if (text)
		fwrite(text, 1, n, stdout);
	fflush(stdout);
	jw_free(&w);
	free(conf);
	return code ? 1 : 0;
}

int netsetup_main(int argc, char **argv)
{
	struct ns_ctx c = { 0 };
	char **args;
	int n = 0;

	if (getenv("CNI_COMMAND"))
		return cni_main();
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (wants_help(argc, argv))
		return usage(0);
	if (!args)
		return fail(EXIT_CORRAL, "out of memory");
	/* Global options go before the object; --json is taken anywhere. */
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			c.json = true;
		} else if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--netns")) {
			if (++i >= argc)
				return net_bad("'%s' needs a netns", argv[i - 1]);
			c.ns = argv[i];
		} else {
			return net_bad("unknown option '%s'", argv[i]);
		}
	}
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			c.json = true;
		else
			args[n++] = argv[i];
	}
	if (n == 0)
		return net_bad("no command given; see 'corral netsetup --help'%s", "");
	const struct netsetup_cmd *cmd = find_cmd(n, args);
	if (!cmd)
		return fail(EXIT_CORRAL, "unknown command '%s%s%s'; see 'corral netsetup --help'",
			    args[0], n > 1 ? " " : "", n > 1 ? args[1] : "");
	int skip = cmd->verb ? 2 : 1;
	int r = cmd->fn(&c, n - skip, args + skip);
	free(args);
	fflush(stdout);
	return r;
}
