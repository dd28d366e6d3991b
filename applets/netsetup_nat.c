/* The host-side half of netsetup: `nat` (the nftables rules of a
 * bridge's network), `ipam` (leases of addresses, with owners) and `gc`.
 * The usage is in netsetup.c's opening comment. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applets.h"
#include "ipam.h"
#include "json.h"
#include "netsetup.h"
#include "nft.h"
#include "nl.h"
#include "rtnl.h"
#include "util.h"

/* SUBNET bridge BR [network NET] */
static int nat_args(struct ns_ctx *c, int argc, char **argv, struct nft_nat *n)
{
	if (argc != 3 && argc != 5)
		return net_bad("usage: nat add|del SUBNET bridge BR [network NET]%s", "");
	if (ipam_parse_cidr(argv[0], &n->subnet, &c->e) < 0)
		return net_bad("%s", c->e.msg);
	if (strcmp(argv[1], "bridge"))
		return net_bad("unexpected '%s' (want 'bridge BR')", argv[1]);
	n->bridge = argv[2];
	if (!rtnl_valid_ifname(n->bridge))
		return net_bad("bad interface name '%s'", n->bridge);
	n->network = n->bridge;
	if (argc == 5) {
		if (strcmp(argv[3], "network"))
			return net_bad("unexpected '%s'", argv[3]);
		n->network = argv[4];
	}
	if (!valid_name(n->network, 32))
		return net_bad("bad network name '%s'", n->network);
	return 0;
}

static int nat_cmd(struct ns_ctx *c, int argc, char **argv, bool add)
{
	struct nft_nat n;
	struct nl nl;
	int r = nat_args(c, argc, argv, &n), count = 0;
	if (r)
		return r;
	if (net_sock(c, &nl, NETLINK_NETFILTER) < 0)
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
		return net_bad("unexpected '%s'", argv[0]);
	if (net_sock(c, &nl, NETLINK_NETFILTER) < 0)
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
		return net_bad("%s", c->e.msg);
	return 0;
}

static int ipam_alloc_cmd(struct ns_ctx *c, int argc, char **argv)
{
	struct ipam_net n = { 0 };
	struct ipam_owner o = { .kind = IPAM_OWNER_NONE };
	uint32_t want = 0, addr;
	int err = 0;

	if (argc < 1)
		return net_bad("usage: ipam alloc NETWORK [--subnet CIDR] [--gateway GW] [--ip ADDR] [--owner O]%s", "");
	n.name = argv[0];
	if (!valid_name(n.name, IPAM_NAME_MAX))
		return net_bad("bad network name '%s'", n.name);
	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--subnet", &err))) {
			if (ipam_parse_cidr(v, &n.subnet, &c->e) < 0)
				return net_bad("%s", c->e.msg);
			if (n.subnet.prefix > IPAM_MAX_PREFIX)
				return net_bad("subnet '%s' has no room for hosts", v);
		} else if ((v = opt_value(argc, argv, &i, "--gateway", &err))) {
			if (ipam_parse_addr(v, &n.gateway, &c->e) < 0)
				return net_bad("%s", c->e.msg);
		} else if ((v = opt_value(argc, argv, &i, "--ip", &err))) {
			if (ipam_parse_addr(v, &want, &c->e) < 0)
				return net_bad("%s", c->e.msg);
		} else if ((v = opt_value(argc, argv, &i, "--owner", &err))) {
			if (parse_owner_opt(c, v, &o))
				return EXIT_CORRAL;
		} else if (err) {
			return EXIT_CORRAL;
		} else {
			return net_bad("unexpected '%s'", argv[i]);
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
		return net_bad("usage: ipam release NETWORK ADDR|--owner O%s", "");
	n.name = argv[0];
	if (!valid_name(n.name, IPAM_NAME_MAX))
		return net_bad("bad network name '%s'", n.name);
	for (int i = 1; i < argc; i++) {
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--owner", &err))) {
			/* a gone pid owner is still a valid key: no /proc lookup */
			if (!strncmp(v, "pid:", 4)) {
				uint64_t pid;
				if (parse_u64(v + 4, 1, 0x7fffffff, &pid, NULL) < 0)
					return net_bad("bad pid in owner '%s'", v);
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
				return net_bad("%s", c->e.msg);
		} else {
			return net_bad("unexpected '%s'", argv[i]);
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
		return net_bad("usage: ipam list NETWORK%s", "");
	n.name = argv[0];
	if (!valid_name(n.name, IPAM_NAME_MAX))
		return net_bad("bad network name '%s'", n.name);
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
		return net_bad("unexpected '%s'", argv[1]);
	if (argc == 1) {
		struct ipam_net n = { .name = argv[0] };
		if (!valid_name(n.name, IPAM_NAME_MAX))
			return net_bad("bad network name '%s'", n.name);
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
		return net_bad("unexpected '%s'", argv[0]);
	if (ipam_gc_all(NULL, &gone, &c->e) < 0)
		return fail_err(&c->e);
	if (gone)
		msg("released %d lease%s of gone owners", gone, gone == 1 ? "" : "s");
	return 0;
}

const struct netsetup_cmd netsetup_nat_cmds[] = {
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
