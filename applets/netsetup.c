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
#include "ipam.h"
#include "json.h"
#include "netns.h"
#include "nft.h"
#include "nl.h"
#include "rtnl.h"
#include "util.h"

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

/* A lib/ error; EPERM gets told what it lacks. */
static int net_fail(struct ns_ctx *c)
{
	if ((c->e.code == EPERM || c->e.code == EACCES) && geteuid() != 0)
		return fail(EXIT_CORRAL, "%s; needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)", c->e.msg);
	return fail_err(&c->e);
}

/* Bad input: one line, exit 125, nothing done. */
static int bad(const char *fmt, const char *arg)
{
	msg(fmt, arg);
	return EXIT_CORRAL;
}

/* A rtnetlink socket in c->ns (or here). */
static int open_rtnl(struct ns_ctx *c, struct nl *nl)
{
	if (!c->ns)
		return nl_open(nl, NETLINK_ROUTE, &c->e);
	int fd = netns_open(c->ns, &c->e);
	if (fd < 0)
		return fd;
	int r = nl_open_in(nl, NETLINK_ROUTE, fd, &c->e);
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
			return bad("two netns given: '%s'", argv[i + 1]);
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
		return bad("usage: netns add NAME%s", "");
	return netns_add(argv[0], &c->e) < 0 ? net_fail(c) : 0;
}

static int netns_del_cmd(struct ns_ctx *c, int argc, char **argv)
{
	if (argc != 1)
		return bad("usage: netns del NAME%s", "");
	return netns_del(argv[0], &c->e) < 0 ? net_fail(c) : 0;
}

/* A list printed as text lines, or as one JSON array with --json. */
struct list_out {
	bool json;
	struct jw w;
};

static void list_begin(struct list_out *o, bool json)
{
	o->json = json;
	jw_init(&o->w, false);
	jw_arr(&o->w);
}

static int list_end(struct list_out *o, int r, struct ns_ctx *c)
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
		return bad("unexpected '%s'", argv[0]);
	list_begin(&o, c->json);
	return list_end(&o, netns_list(print_netns, &o, &c->e), c);
}

/* ---- link ---- */

static int link_add_cmd(struct ns_ctx *c, int argc, char **argv)
{
	const char *name, *peer = NULL, *peer_ns = NULL;
	bool veth;

	if (argc < 3 || strcmp(argv[1], "type"))
		return bad("usage: link add NAME type bridge|veth ...%s", "");
	name = argv[0];
	if (!strcmp(argv[2], "bridge")) {
		veth = false;
		if (argc != 3)
			return bad("unexpected '%s'", argv[3]);
	} else if (!strcmp(argv[2], "veth")) {
		veth = true;
		int i = 3;
		if (i < argc && !strcmp(argv[i], "peer"))
			i++;
		else
			return bad("veth %s: needs 'peer NAME'", name);
		if (i < argc && !strcmp(argv[i], "name"))
			i++;
		if (i >= argc)
			return bad("veth %s: needs 'peer NAME'", name);
		peer = argv[i++];
		if (i + 1 < argc && !strcmp(argv[i], "netns")) {
			peer_ns = argv[i + 1];
			i += 2;
		}
		if (i != argc)
			return bad("unexpected '%s'", argv[i]);
	} else {
		return bad("link type '%s' is not supported (bridge, veth)", argv[2]);
	}
	if (!rtnl_valid_ifname(name))
		return bad("bad interface name '%s'", name);
	if (peer && !rtnl_valid_ifname(peer))
		return bad("bad interface name '%s'", peer);

	int nsfd = -1;
	if (peer_ns && (nsfd = netns_open(peer_ns, &c->e)) < 0)
		return net_fail(c);
	struct nl nl;
	int r = open_rtnl(c, &nl);
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
	int r = open_rtnl(c, &nl);
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
		return bad("usage: link set DEV up|down|master BR|nomaster|netns NS|name NEW|mtu N%s", "");
	const char *dev = argv[0];
	if (!rtnl_valid_ifname(dev))
		return bad("bad interface name '%s'", dev);
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (n == (int)ARRAY_SIZE(s))
			return bad("too many settings at '%s'", w);
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
				return bad("'%s' needs a value", w);
			p->arg = argv[++i];
			if (!strcmp(w, "master")) {
				p->op = SET_MASTER;
				if (!rtnl_valid_ifname(p->arg))
					return bad("bad interface name '%s'", p->arg);
			} else if (!strcmp(w, "name")) {
				p->op = SET_NAME;
				if (!rtnl_valid_ifname(p->arg))
					return bad("bad interface name '%s'", p->arg);
			} else if (!strcmp(w, "mtu")) {
				uint64_t v;
				p->op = SET_MTU;
				if (parse_u64(p->arg, 68, 65535, &v, &c->e) < 0)
					return bad("bad mtu '%s' (68..65535)", p->arg);
				p->mtu = (unsigned)v;
			} else {
				p->op = SET_NETNS;
			}
		} else {
			return bad("unknown setting '%s'", w);
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
		return bad("usage: link del DEV%s", "");
	if (!rtnl_valid_ifname(argv[0]))
		return bad("bad interface name '%s'", argv[0]);
	struct nl nl;
	int r = open_rtnl(c, &nl);
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
		return bad("unexpected '%s'", argv[0]);
	struct nl nl;
	int r = open_rtnl(c, &nl);
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
		return bad("usage: addr add|del ADDR/LEN dev DEV [netns NS]%s", "");
	dev = argv[2];
	if (rtnl_parse_prefix(argv[0], &a, false, false, &c->e) < 0)
		return bad("%s", c->e.msg);
	if (!rtnl_valid_ifname(dev))
		return bad("bad interface name '%s'", dev);
	struct nl nl;
	int r = open_rtnl(c, &nl);
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
		return bad("usage: route add|del default|PREFIX [via GW] [dev DEV] [netns NS]%s", "");
	if (rtnl_parse_prefix(argv[0], &dst, false, true, &c->e) < 0)
		return bad("%s", c->e.msg);
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return bad("'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "via") && !have_gw) {
			if (rtnl_parse_prefix(argv[i + 1], &gw, false, false, &c->e) < 0 ||
			    gw.len != (gw.family == AF_INET ? 32 : 128))
				return bad("bad gateway '%s'", argv[i + 1]);
			have_gw = true;
		} else if (!strcmp(argv[i], "dev") && !dev) {
			dev = argv[i + 1];
			if (!rtnl_valid_ifname(dev))
				return bad("bad interface name '%s'", dev);
		} else {
			return bad("unexpected '%s'", argv[i]);
		}
	}
	if (!have_gw && !dev)
		return bad("route %s: needs 'via GW' or 'dev DEV'", argv[0]);
	if (have_gw && dst.len && dst.family != gw.family)
		return bad("route %s: gateway of another address family", argv[0]);
	struct nl nl;
	int r = open_rtnl(c, &nl);
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

/* ---- nat, ipam, gc ---- */

/* A netfilter socket in c->ns (or here). */
static int open_nfnl(struct ns_ctx *c, struct nl *nl)
{
	if (!c->ns)
		return nl_open(nl, NETLINK_NETFILTER, &c->e);
	int fd = netns_open(c->ns, &c->e);
	if (fd < 0)
		return fd;
	int r = nl_open_in(nl, NETLINK_NETFILTER, fd, &c->e);
	close(fd);
	return r;
}

/* SUBNET bridge BR [network NET] */
static int nat_args(struct ns_ctx *c, int argc, char **argv, struct nft_nat *n)
{
	if (argc != 3 && argc != 5)
		return bad("usage: nat add|del SUBNET bridge BR [network NET]%s", "");
	if (ipam_parse_cidr(argv[0], &n->subnet, &c->e) < 0)
		return bad("%s", c->e.msg);
	if (strcmp(argv[1], "bridge"))
		return bad("unexpected '%s' (want 'bridge BR')", argv[1]);
	n->bridge = argv[2];
	if (!rtnl_valid_ifname(n->bridge))
		return bad("bad interface name '%s'", n->bridge);
	n->network = n->bridge;
	if (argc == 5) {
		if (strcmp(argv[3], "network"))
			return bad("unexpected '%s'", argv[3]);
		n->network = argv[4];
	}
	if (!valid_name(n->network, 32))
		return bad("bad network name '%s'", n->network);
	return 0;
}

static int nat_cmd(struct ns_ctx *c, int argc, char **argv, bool add)
{
	struct nft_nat n;
	struct nl nl;
	int r = nat_args(c, argc, argv, &n), count = 0;
	if (r)
		return r;
	if (open_nfnl(c, &nl) < 0)
		return net_fail(c);
	r = add ? nft_nat_add(&nl, NULL, &n, &count, &c->e)
		: nft_nat_del(&nl, NULL, n.network, &count, &c->e);
	nl_close(&nl);
	return r < 0 ? net_fail(c) : 0;
}

static int nat_add_cmd(struct ns_ctx *c, int argc, char **argv) { return nat_cmd(c, argc, argv, true); }
static int nat_del_cmd(struct ns_ctx *c, int argc, char **argv) { return nat_cmd(c, argc, argv, false); }

/* "NET CIDR BRIDGE" (a rule's tag after its prefix) into its three words,
 * each cut at its buffer's size: 40, 24, 20. */
static bool tag_words(const char *s, char *net, char *cidr, char *br)
{
	char *out[3] = { net, cidr, br };
	const size_t max[3] = { 39, 23, 19 };

	for (int i = 0; i < 3; i++) {
		size_t n = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		while (*s && *s != ' ' && *s != '\t' && n < max[i])
			out[i][n++] = *s++;
		if (!n)
			return false;
		out[i][n] = 0;
	}
	return true;
}

static int nat_list_cmd(struct ns_ctx *c, int argc, char **argv)
{
	struct nft_rule_info *rules;
	struct list_out o;
	size_t count;
	struct nl nl;

	if (argc != 0)
		return bad("unexpected '%s'", argv[0]);
	if (open_nfnl(c, &nl) < 0)
		return net_fail(c);
	int r = nft_rules(&nl, 1, &rules, &count, &c->e);
	nl_close(&nl);
	if (r < 0)
		return net_fail(c);
	list_begin(&o, c->json);
	for (size_t i = 0; i < count; i++) {
		/* one line per network: its masquerade rule */
		char net[40], cidr[24], br[20];
		if (strcmp(rules[i].chain, "postrouting") ||
		    strncmp(rules[i].comment, NFT_TAG_PREFIX, strlen(NFT_TAG_PREFIX)) ||
		    !tag_words(rules[i].comment + strlen(NFT_TAG_PREFIX), net, cidr, br))
			continue;
		if (o.json) {
			jw_obj(&o.w);
			jw_key(&o.w, "network");
			jw_str(&o.w, net);
			jw_key(&o.w, "subnet");
			jw_str(&o.w, cidr);
			jw_key(&o.w, "bridge");
			jw_str(&o.w, br);
			jw_obj_end(&o.w);
		} else {
			printf("%s\t%s\tbridge %s\n", net, cidr, br);
		}
	}
	free(rules);
	return list_end(&o, 0, c);
}

/* Takes "--NAME VALUE" or "--NAME=VALUE" at argv[*i]; NULL if not it. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *err)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		msg("'%s' needs a value", name);
		*err = 1;
		return NULL;
	}
	return argv[++*i];
}

static int parse_owner_opt(struct ns_ctx *c, const char *v, struct ipam_owner *o)
{
	if (ipam_parse_owner(v, o, &c->e) < 0)
		return bad("%s", c->e.msg);
	return 0;
}

static int ipam_alloc_cmd(struct ns_ctx *c, int argc, char **argv)
{
	struct ipam_net n = { 0 };
	struct ipam_owner o = { .kind = IPAM_OWNER_NONE };
	uint32_t want = 0, addr;
	int err = 0;

	if (argc < 1)
		return bad("usage: ipam alloc NETWORK [--subnet CIDR] [--gateway GW] [--ip ADDR] [--owner O]%s", "");
	n.name = argv[0];
	if (!valid_name(n.name, IPAM_NAME_MAX))
		return bad("bad network name '%s'", n.name);
	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--subnet", &err))) {
			if (ipam_parse_cidr(v, &n.subnet, &c->e) < 0)
				return bad("%s", c->e.msg);
			if (n.subnet.prefix > IPAM_MAX_PREFIX)
				return bad("subnet '%s' has no room for hosts", v);
		} else if ((v = opt_value(argc, argv, &i, "--gateway", &err))) {
			if (ipam_parse_addr(v, &n.gateway, &c->e) < 0)
				return bad("%s", c->e.msg);
		} else if ((v = opt_value(argc, argv, &i, "--ip", &err))) {
			if (ipam_parse_addr(v, &want, &c->e) < 0)
				return bad("%s", c->e.msg);
		} else if ((v = opt_value(argc, argv, &i, "--owner", &err))) {
			if (parse_owner_opt(c, v, &o))
				return EXIT_CORRAL;
		} else if (err) {
			return EXIT_CORRAL;
		} else {
			return bad("unexpected '%s'", argv[i]);
		}
		if (err)
			return EXIT_CORRAL;
	}
	if (o.kind == IPAM_OWNER_NONE && ipam_owner_pid(getppid(), &o, &c->e) < 0)
		return fail_err(&c->e);
	if (ipam_alloc(&n, &o, want, &addr, &c->e) < 0)
		return fail_err(&c->e);
	struct ipam_subnet sn;
	uint32_t gw;
	char a[16];
	ipam_fmt_addr(addr, a);
	if (n.subnet.prefix)
		sn = n.subnet;
	else if (ipam_subnet_get(&n, &sn, &gw, &c->e) < 0)
		return fail_err(&c->e);
	printf("%s/%u\n", a, sn.prefix);
	return 0;
}

static int ipam_release_cmd(struct ns_ctx *c, int argc, char **argv)
{
	struct ipam_net n = { 0 };
	struct ipam_owner o;
	bool have_owner = false;
	uint32_t addr = 0;
	int err = 0, count;

	if (argc < 2)
		return bad("usage: ipam release NETWORK ADDR|--owner O%s", "");
	n.name = argv[0];
	if (!valid_name(n.name, IPAM_NAME_MAX))
		return bad("bad network name '%s'", n.name);
	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--owner", &err))) {
			/* a gone pid owner is still a valid key: no /proc lookup */
			if (!strncmp(v, "pid:", 4)) {
				uint64_t pid;
				if (parse_u64(v + 4, 1, 0x7fffffff, &pid, NULL) < 0)
					return bad("bad pid in owner '%s'", v);
				/* start 0: whichever process had that pid */
				o = (struct ipam_owner){ .kind = IPAM_OWNER_PID, .pid = (pid_t)pid };
			} else if (parse_owner_opt(c, v, &o)) {
				return EXIT_CORRAL;
			}
			have_owner = true;
		} else if (err) {
			return EXIT_CORRAL;
		} else if (!addr) {
			char *slash = strchr(argv[i], '/');
			if (slash)
				*slash = 0;	/* ADDR/PREFIX as alloc printed it */
			if (ipam_parse_addr(argv[i], &addr, &c->e) < 0)
				return bad("%s", c->e.msg);
		} else {
			return bad("unexpected '%s'", argv[i]);
		}
	}
	if (ipam_release(&n, addr, have_owner ? &o : NULL, &count, &c->e) < 0)
		return fail_err(&c->e);
	return 0;
}

static int ipam_list_cmd(struct ns_ctx *c, int argc, char **argv)
{
	struct ipam_net n = { 0 };
	struct ipam_lease *v;
	struct list_out o;
	size_t count;

	if (argc != 1)
		return bad("usage: ipam list NETWORK%s", "");
	n.name = argv[0];
	if (!valid_name(n.name, IPAM_NAME_MAX))
		return bad("bad network name '%s'", n.name);
	int r = ipam_list(&n, &v, &count, &c->e);
	if (r == -ENOENT)
		count = 0, v = NULL;	/* a network never used has no leases */
	else if (r < 0)
		return fail_err(&c->e);
	list_begin(&o, c->json);
	for (size_t i = 0; i < count; i++) {
		char a[16], owner[96];
		const struct ipam_owner *ow = &v[i].owner;
		ipam_fmt_addr(v[i].addr, a);
		if (ow->kind == IPAM_OWNER_SANDBOX)
			snprintf(owner, sizeof(owner), "sandbox:%s", ow->sandbox);
		else if (ow->kind == IPAM_OWNER_PID)
			snprintf(owner, sizeof(owner), "pid:%d", (int)ow->pid);
		else if (ow->kind == IPAM_OWNER_CONTAINER)
			snprintf(owner, sizeof(owner), "container:%s/%s", ow->sandbox, ow->ifname);
		else
			snprintf(owner, sizeof(owner), "unknown");
		if (o.json) {
			jw_obj(&o.w);
			jw_key(&o.w, "address");
			jw_str(&o.w, a);
			jw_key(&o.w, "owner");
			jw_str(&o.w, owner);
			if (ow->kind != IPAM_OWNER_NONE && ow->pid > 0) {
				jw_key(&o.w, "pid");
				jw_i64(&o.w, ow->pid);
				jw_key(&o.w, "start");
				jw_u64(&o.w, ow->start);
			}
			jw_key(&o.w, "live");
			jw_bool(&o.w, v[i].live);
			jw_obj_end(&o.w);
		} else {
			printf("%s\t%s\t%s\n", a, owner, v[i].live ? "live" : "gone");
		}
	}
	free(v);
	return list_end(&o, 0, c);
}

static int ipam_gc_cmd(struct ns_ctx *c, int argc, char **argv)
{
	int gone = 0, r;
	if (argc > 1)
		return bad("unexpected '%s'", argv[1]);
	if (argc == 1) {
		struct ipam_net n = { .name = argv[0] };
		if (!valid_name(n.name, IPAM_NAME_MAX))
			return bad("bad network name '%s'", n.name);
		r = ipam_gc(&n, &gone, &c->e);
		if (r == -ENOENT)
			r = 0;
	} else {
		r = ipam_gc_all(NULL, &gone, &c->e);
	}
	if (r < 0)
		return fail_err(&c->e);
	if (gone)
		msg("released %d lease%s of gone owners", gone, gone == 1 ? "" : "s");
	return 0;
}

static int gc_cmd(struct ns_ctx *c, int argc, char **argv)
{
	int gone = 0;
	if (argc != 0)
		return bad("unexpected '%s'", argv[0]);
	if (ipam_gc_all(NULL, &gone, &c->e) < 0)
		return fail_err(&c->e);
	if (gone)
		msg("released %d lease%s of gone owners", gone, gone == 1 ? "" : "s");
	return 0;
}

/* NAT, IPAM and gc subcommands (nat, ipam, gc) live in this table. */
static const struct netsetup_cmd nat_cmds[] = {
	{ "nat", "add", nat_add_cmd },
	{ "nat", "del", nat_del_cmd },
	{ "nat", "list", nat_list_cmd },
	{ "ipam", "alloc", ipam_alloc_cmd },
	{ "ipam", "release", ipam_release_cmd },
	{ "ipam", "list", ipam_list_cmd },
	{ "ipam", "gc", ipam_gc_cmd },
	{ "gc", NULL, gc_cmd },
	{ 0 }
};

static const struct netsetup_cmd *const cmd_tables[] = { core_cmds, nat_cmds };

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
				return bad("'%s' needs a netns", argv[i - 1]);
			c.ns = argv[i];
		} else {
			return bad("unknown option '%s'", argv[i]);
		}
	}
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			c.json = true;
		else
			args[n++] = argv[i];
	}
	if (n == 0)
		return bad("no command given; see 'corral netsetup --help'%s", "");
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
