#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <linux/netlink.h>

#include "json.h"
#include "netconf.h"
#include "nft.h"
#include "nl.h"
#include "rtnl.h"
#include "util.h"
#include "network.json.h"

static void prefix_of(uint32_t addr, unsigned len, struct rtnl_prefix *p)
{
	uint32_t be = htonl(addr);
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	memcpy(p->addr, &be, 4);
	p->len = (int)len;
}

/* A string member into buf; absent keeps buf. */
static int get_str(const struct json *j, int obj, const char *key, char *buf, size_t n,
		   struct err *e)
{
	int t = json_get(j, obj, key);
	if (t < 0)
		return 0;
	if (json_str(j, t, buf, n, e) < 0)
		return err_prefix(e, "network config: %s", key);
	return 1;
}

static int get_bool(const struct json *j, int obj, const char *key, bool *v, struct err *e)
{
	int t = json_get(j, obj, key);
	if (t >= 0 && json_bool(j, t, v, e) < 0)
		return err_prefix(e, "network config: %s", key);
	return 0;
}

static int parse_ipam(const struct json *j, int ipam, struct net_config *c, struct err *e)
{
	char buf[64];
	int r;

	if ((r = get_str(j, ipam, "type", buf, sizeof(buf), e)) < 0)
		return r;
	if (r && strcmp(buf, "host-local"))
		return err_set(e, EOPNOTSUPP, "network config: ipam.type '%s' is not supported (want host-local)", buf);
	/* ranges: [[{subnet, gateway}]]: the first range of the first set. */
	int ranges = json_get(j, ipam, "ranges");
	int src = ipam;
	if (ranges >= 0) {
		int set = json_at(j, ranges, 0);
		src = set >= 0 ? json_at(j, set, 0) : -1;
		if (src < 0 || json_type(j, src) != JSON_OBJECT)
			return err_set(e, EINVAL, "network config: ipam.ranges: want [[{\"subnet\": ...}]]");
	}
	if ((r = get_str(j, src, "subnet", buf, sizeof(buf), e)) < 0)
		return r;
	if (r) {
		if (ipam_parse_cidr(buf, &c->subnet, e) < 0)
			return err_prefix(e, "network config: ipam subnet");
		c->gateway = c->subnet.net + 1;
	}
	if ((r = get_str(j, src, "gateway", buf, sizeof(buf), e)) < 0)
		return r;
	if (r && ipam_parse_addr(buf, &c->gateway, e) < 0)
		return err_prefix(e, "network config: ipam gateway");
	if (!ipam_contains(&c->subnet, c->gateway))
		return err_set(e, EINVAL, "network config: gateway is outside subnet");
	if (json_get(j, src, "rangeStart") >= 0 || json_get(j, src, "rangeEnd") >= 0)
		return err_set(e, EOPNOTSUPP, "network config: ipam rangeStart/rangeEnd are not supported");
	int routes = json_get(j, ipam, "routes");
	if (routes >= 0) {
		c->default_route = false;
		c->routes_given = true;
		for (int i = 0, t; (t = json_at(j, routes, i)) >= 0; i++) {
			int dst = json_get(j, t, "dst");
			if (dst < 0 || json_str(j, dst, buf, sizeof(buf), e) < 0)
				return err_set(e, EINVAL, "network config: ipam.routes[%d].dst: want a string", i);
			if (strcmp(buf, "0.0.0.0/0"))
				return err_set(e, EOPNOTSUPP, "network config: route %s: only 0.0.0.0/0 is supported", buf);
			c->default_route = true;
			int gw = json_get(j, t, "gw");
			if (gw >= 0 && (json_str(j, gw, buf, sizeof(buf), e) < 0 ||
					ipam_parse_addr(buf, &c->route_gw, e) < 0))
				return err_set(e, EINVAL, "network config: ipam.routes[%d].gw: want an address", i);
		}
	}
	if ((r = get_str(j, ipam, "dataDir", c->data_dir, sizeof(c->data_dir), e)) < 0)
		return r;
	if (r && c->data_dir[0] != '/')
		return err_set(e, EINVAL, "network config: ipam.dataDir must be absolute");
	return 0;
}

static int parse(const char *text, size_t len, struct net_config *c, bool cni, struct err *e)
{
	struct json j;
	char type[32] = "bridge";
	int r;

	if (cni)	/* the bridge plugin's defaults */
		*c = (struct net_config){ .name = "", .bridge = "cni0", .skip_lo = true };
	else
		*c = (struct net_config){ .name = "corral", .bridge = "corral0", .is_gateway = true,
					  .ip_masq = true, .default_route = true, .no_ipv6 = true };
	ipam_parse_cidr("10.89.0.0/16", &c->subnet, NULL);
	c->gateway = c->subnet.net + 1;
	if (json_parse(&j, text, len, e) < 0)
		return err_prefix(e, "network config");
	r = json_type(&j, 0) == JSON_OBJECT ? 0 : err_set(e, EINVAL, "network config: want an object");
	if (!r && (r = get_str(&j, 0, "name", c->name, sizeof(c->name), e)) > 0 &&
	    !valid_name(c->name, NETCONF_NAME_MAX))
		r = err_set(e, EINVAL, "network config: bad name '%s'", c->name);
	if (r >= 0 && (r = get_str(&j, 0, "type", type, sizeof(type), e)) > 0 && strcmp(type, "bridge"))
		r = err_set(e, EOPNOTSUPP, "network config: type '%s' is not supported (want bridge)", type);
	if (r >= 0 && (r = get_str(&j, 0, "bridge", c->bridge, sizeof(c->bridge), e)) > 0 &&
	    !rtnl_valid_ifname(c->bridge))
		r = err_set(e, EINVAL, "network config: bad bridge name '%s'", c->bridge);
	if (r >= 0)
		r = get_bool(&j, 0, "isGateway", &c->is_gateway, e);
	if (r >= 0)
		r = get_bool(&j, 0, "ipMasq", &c->ip_masq, e);
	if (r >= 0)
		r = get_bool(&j, 0, "isDefaultGateway", &c->is_default_gw, e);
	int t;
	if (r >= 0 && (t = json_get(&j, 0, "mtu")) >= 0) {
		uint64_t mtu;
		if (json_u64(&j, t, &mtu, e) < 0 || mtu < 68 || mtu > 65535)
			r = err_set(e, EINVAL, "network config: mtu: want 68..65535");
		c->mtu = (unsigned)mtu;
	}
	if (r >= 0 && (t = json_get(&j, 0, "ipam")) >= 0)
		r = parse_ipam(&j, t, c, e);
	if (r >= 0 && cni && !c->name[0])
		r = err_set(e, EINVAL, "network config: no name");
	if (r >= 0 && cni && (t < 0 || json_get(&j, t, "type") < 0))
		r = err_set(e, EINVAL, "network config: no ipam section of type host-local");
	if (r >= 0 && cni && json_get(&j, t, "subnet") < 0 && json_get(&j, t, "ranges") < 0)
		r = err_set(e, EINVAL, "network config: ipam: no subnet or ranges");
	if (r >= 0 && cni && !c->routes_given)
		c->default_route = false;
	json_free(&j);
	if (r >= 0 && c->route_gw && c->route_gw != c->gateway)
		r = err_set(e, EOPNOTSUPP, "network config: a default route via another gateway than ipam's is not supported");
	if (r >= 0 && c->is_default_gw)
		c->is_gateway = c->default_route = true;
	return r < 0 ? r : 0;
}

int net_config_parse(const char *text, size_t len, struct net_config *c, struct err *e)
{
	return parse(text, len, c, false, e);
}

int net_config_parse_cni(const char *text, size_t len, struct net_config *c, struct err *e)
{
	return parse(text, len, c, true, e);
}

int net_config_load(struct net_config *c, struct err *e)
{
	char *text;
	size_t len;
	int r = read_file(NETCONF_FILE, 1 << 20, &text, &len, e);
	if (r == -ENOENT)
		return net_config_parse(network_json, sizeof(network_json) - 1, c, e);
	if (r < 0)
		return r;
	r = net_config_parse(text, len, c, e);
	if (r < 0)
		err_prefix(e, "%s", NETCONF_FILE);
	free(text);
	return r;
}

static const char *ipam_root(const struct net_config *c, const char *root)
{
	return c->data_dir[0] ? c->data_dir : root;
}

int net_host_setup(const struct net_config *c, const char *root, struct err *e)
{
	struct nl nl;
	struct rtnl_prefix gw;
	int r;

	if ((r = nl_open(&nl, NETLINK_ROUTE, e)) < 0)
		return r;
	unsigned mtu = c->mtu ? c->mtu : 1500;
	/* Made, set and up already, as after the first sandbox: that much is
	 * asked by ioctl, without the rtnl lock, which a netns being taken
	 * apart may hold for long; only the address is ensured again. */
	bool ready = rtnl_link_up_with_mtu(&nl, c->bridge, mtu);
	r = ready ? -EEXIST : rtnl_bridge_add(&nl, c->bridge, e);
	if (r == 0) {
		/* A fixed random MAC (locally administered, unicast): the
		 * bridge's own would follow its ports as they come and go. */
		unsigned char mac[6];
		if (getrandom(mac, sizeof(mac), 0) != sizeof(mac))
			r = err_sys(e, errno, "getrandom");
		mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02);
		if (r == 0)
			r = rtnl_link_set_hwaddr(&nl, c->bridge, mac, e);
	} else if (r == -EEXIST) {	/* made by an earlier or a racing run */
		r = 0;
	}
	/* An MTU set by hand stops the bridge from recomputing it over all
	 * its ports on every port added (br_mtu_auto_adjust): its ports all
	 * get c->mtu anyway. */
	if (!r && !ready)
		r = rtnl_link_set_mtu(&nl, c->bridge, mtu, e);
	if (!r && c->is_gateway) {
		prefix_of(c->gateway, c->subnet.prefix, &gw);
		r = rtnl_addr_add(&nl, c->bridge, &gw, e);
		if (r == -EEXIST)
			r = 0;
	}
	if (!r && !ready)
		r = rtnl_link_set_up(&nl, c->bridge, true, e);
	nl_close(&nl);
	if (r < 0)
		return r;
	if (c->ip_masq) {
		struct nft_nat nat = { .network = c->name, .subnet = c->subnet, .bridge = c->bridge };
		if ((r = nl_open(&nl, NETLINK_NETFILTER, e)) < 0)
			return r;
		r = nft_nat_add(&nl, root, &nat, NULL, e);
		nl_close(&nl);
		if (r < 0)
			return r;
	}
	return write_str("/proc/sys/net/ipv4/ip_forward", "1", e);
}

/* Inside the sandbox's netns: address, up, lo up, default route. */
static int configure_inner(const struct net_config *c, int netns_fd, const char *ifname,
			   uint32_t addr, struct err *e)
{
	struct nl nl;
	struct rtnl_prefix a, dflt, gw;
	int r = nl_open_in(&nl, NETLINK_ROUTE, netns_fd, e);
	if (r < 0)
		return r;
	/* ifname was made with its MTU; it cannot be made up (veth_open
	 * refuses while the pair is half-made). The requests go to the
	 * kernel together, in one message; it takes them in order. */
	nl_batch_begin(&nl);
	prefix_of(addr, c->subnet.prefix, &a);
	r = rtnl_addr_add(&nl, ifname, &a, e);
	/* The network is IPv4: an IPv6 link-local address would send DAD,
	 * router solicitations and MLD reports, which the bridge floods to
	 * every other sandbox (each create cost more the more there were).
	 * lo keeps ::1. Only where the kernel has IPv6 (else the request
	 * would fail). */
	if (!r && c->no_ipv6 && access("/proc/sys/net/ipv6", F_OK) == 0)
		r = rtnl_link_no_ipv6_addr(&nl, ifname, e);
	if (!r)
		r = rtnl_link_set_up(&nl, ifname, true, e);
	if (!r && !c->skip_lo)
		r = rtnl_link_up(&nl, 1, e);
	if (!r && c->default_route) {
		/* the gateway is on ifname's subnet: the kernel finds the device */
		prefix_of(0, 0, &dflt);
		prefix_of(c->gateway, 32, &gw);
		r = rtnl_route_add(&nl, &dflt, &gw, NULL, e);
	}
	int rb = nl_batch_end(&nl, r ? NULL : e);
	nl_close(&nl);
	return r ? r : rb;
}

int net_attach(const struct net_config *c, const char *root, int netns_fd,
	       const char *ifname, const struct ipam_owner *owner, uint32_t want,
	       struct net_attachment *a, struct err *e)
{
	struct ipam_net in = { .root = ipam_root(c, root), .name = c->name,
			       .subnet = c->subnet, .gateway = c->gateway };
	struct nl nl;
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = ipam_alloc(&in, owner, want, &a->addr, e)) < 0)
		return r;
	if ((r = nl_open(&nl, NETLINK_ROUTE, e)) < 0)
		goto release;
	int master;
	if ((r = rtnl_link_index(&nl, c->bridge, &master, e)) < 0)
		goto close;
	/* A random name; a clash (EEXIST) just draws again. The host end is
	 * made on the bridge and up in one message. */
	for (int tries = 0; tries < 8; tries++) {
		uint32_t rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			r = err_sys(e, errno, "getrandom");
			break;
		}
		snprintf(a->host_if, sizeof(a->host_if), "cr-%08x", rnd);
		struct rtnl_veth v = { .name = a->host_if, .peer = ifname, .peer_netns_fd = netns_fd,
				       .master = master, .mtu = c->mtu, .up = true };
		r = rtnl_veth_create(&nl, &v, e);
		if (r != -EEXIST)
			break;
	}
	if (r < 0)
		goto close;
	r = configure_inner(c, netns_fd, ifname, a->addr, e);
	if (r < 0) {
		struct err ignored;
		rtnl_link_del(&nl, a->host_if, &ignored);
	}
close:
	nl_close(&nl);
release:
	if (r < 0) {
		struct err ignored;
		ipam_release(&in, a->addr, NULL, NULL, &ignored);
	}
	return r;
}

int net_detach(const struct net_config *c, const char *root,
	       const struct net_attachment *a, bool del_link, struct err *e)
{
	struct ipam_net in = { .root = ipam_root(c, root), .name = c->name,
			       .subnet = c->subnet, .gateway = c->gateway };
	int r = 0;

	if (del_link && a->host_if[0]) {
		struct nl nl;
		if ((r = nl_open(&nl, NETLINK_ROUTE, e)) == 0) {
			r = rtnl_link_del(&nl, a->host_if, e);
			if (r == -ENODEV)
				r = 0;
			nl_close(&nl);
		}
	}
	int q = a->addr ? ipam_release(&in, a->addr, NULL, NULL, e) : 0;
	return r < 0 ? r : q;
}
