#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "rtnl.h"

bool rtnl_valid_ifname(const char *name)
{
	size_t n = strnlen(name, RTNL_IFNAMSIZ);

	if (n == 0 || n >= RTNL_IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f)
			return false;
	}
	return true;
}

static int check_dev(const char *dev, struct err *e)
{
	if (!dev || !rtnl_valid_ifname(dev))
		return err_set(e, EINVAL, "bad interface name '%s'", dev ? dev : "");
	return 0;
}

/* Starts a link request for the link of index ifindex or, when it is 0,
 * of name dev (the kernel looks IFLA_IFNAME up). */
static struct ifinfomsg *link_req(struct nlmsg *m, uint16_t type, uint16_t flags,
				  int ifindex, const char *dev)
{
	nlm_begin(m, type, NLM_F_REQUEST | NLM_F_ACK | flags);
	struct ifinfomsg *ifi = nlm_put(m, NULL, sizeof(*ifi));
	if (ifi) {
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = ifindex;
	}
	if (!ifindex && dev)
		nlm_attr_str(m, IFLA_IFNAME, dev);
	return ifi;
}

/* Sends m, frees it, and names the object in errors. */
static int send_free(struct nl *nl, struct nlmsg *m, nl_cb cb, void *arg,
		     struct err *e, const char *what, const char *name)
{
	int r = nl_talk(nl, m, cb, arg, e, "%s %s", what, name);
	nlm_free(m);
	return r;
}

/* ---- links ---- */

static int index_cb(const struct nlmsghdr *h, void *arg, struct err *e)
{
	(void)e;
	const struct ifinfomsg *ifi = nl_msg_data(h, sizeof(*ifi));
	if (h->nlmsg_type == RTM_NEWLINK && ifi)
		*(int *)arg = ifi->ifi_index;
	return 0;
}

/* An ifreq naming dev (checked by check_dev: it fits, with its NUL). */
static void ifreq_of(struct ifreq *ifr, const char *dev)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, dev, strlen(dev));
}

int rtnl_link_index(struct nl *nl, const char *dev, int *ifindex, struct err *e)
{
	int r = check_dev(dev, e);
	if (r < 0)
		return r;
	/* SIOCGIFINDEX on the netlink socket itself (the kernel hands socket
	 * ioctls its protocol does not know to the device layer, in the
	 * socket's netns): one system call and a name lookup, where
	 * RTM_GETLINK has the kernel fill in a whole link message. */
	struct ifreq ifr;
	ifreq_of(&ifr, dev);
	if (ioctl(nl->fd, SIOCGIFINDEX, &ifr) == 0 && ifr.ifr_ifindex > 0) {
		*ifindex = ifr.ifr_ifindex;
		return 0;
	}
	if (errno == ENODEV)
		return err_set(e, ENODEV, "link %s: %s", dev, strerror(ENODEV));
	struct nlmsg m;
	nlm_init(&m);
	link_req(&m, RTM_GETLINK, 0, 0, dev);
	nlm_attr_u32(&m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	*ifindex = 0;
	r = send_free(nl, &m, index_cb, ifindex, e, "link", dev);
	if (r == 0 && *ifindex <= 0)
		r = err_set(e, ENODEV, "link %s: no index in the kernel's answer", dev);
	return r;
}

bool rtnl_link_up_with_mtu(struct nl *nl, const char *dev, unsigned mtu)
{
	struct ifreq ifr;
	if (check_dev(dev, NULL) < 0)
		return false;
	ifreq_of(&ifr, dev);
	if (ioctl(nl->fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
		return false;
	return ioctl(nl->fd, SIOCGIFMTU, &ifr) == 0 && (unsigned)ifr.ifr_mtu == mtu;
}

static int set_flags(struct nl *nl, int ifindex, const char *dev, bool up, struct err *e)
{
	char num[16];
	struct nlmsg m;
	nlm_init(&m);
	struct ifinfomsg *ifi = link_req(&m, RTM_NEWLINK, 0, ifindex, dev);
	if (ifi) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (!dev) {
		snprintf(num, sizeof(num), "%d", ifindex);
		dev = num;
	}
	return send_free(nl, &m, NULL, NULL, e, "link", dev);
}

int rtnl_link_up(struct nl *nl, int ifindex, struct err *e)
{
	if (ifindex <= 0)
		return err_set(e, EINVAL, "bad interface index %d", ifindex);
	return set_flags(nl, ifindex, NULL, true, e);
}

int rtnl_lo_up_alone(struct err *e)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_NEWLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1 },
		.i = { .ifi_family = AF_UNSPEC, .ifi_index = 1, .ifi_flags = IFF_UP, .ifi_change = IFF_UP },
	};
	union {
		struct nlmsghdr h;
		char b[256];
	} rep;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n = -1;
	int code, fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd >= 0 && sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) == sizeof(req))
		n = recv(fd, &rep, sizeof(rep), 0);
	code = errno;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return err_sys(e, code, "link lo");
	if ((size_t)n < NLMSG_HDRLEN + sizeof(struct nlmsgerr) || rep.h.nlmsg_type != NLMSG_ERROR ||
	    nl_parse_error(&rep.h, &code, NULL, 0, NULL) < 0)
		return err_set(e, EPROTO, "link lo: unexpected reply");
	return code < 0 ? err_sys(e, -code, "link lo") : 0;
}

int rtnl_link_set_up(struct nl *nl, const char *dev, bool up, struct err *e)
{
	int r = check_dev(dev, e);
	return r < 0 ? r : set_flags(nl, 0, dev, up, e);
}

static int link_create(struct nl *nl, const char *kind, const char *name,
		       const char *peer, int peer_netns_fd, struct err *e)
{
	int r = check_dev(name, e);
	if (r == 0 && peer)
		r = check_dev(peer, e);
	if (r < 0)
		return r;

	struct nlmsg m;
	nlm_init(&m);
	link_req(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, name);
	size_t info = nlm_nest_begin(&m, IFLA_LINKINFO);
	nlm_attr_str(&m, IFLA_INFO_KIND, kind);
	if (peer) {
		size_t data = nlm_nest_begin(&m, IFLA_INFO_DATA);
		size_t pn = nlm_nest_begin(&m, VETH_INFO_PEER);
		struct ifinfomsg *pi = nlm_put(&m, NULL, sizeof(*pi));
		if (pi)
			pi->ifi_family = AF_UNSPEC;
		nlm_attr_str(&m, IFLA_IFNAME, peer);
		if (peer_netns_fd >= 0)
			nlm_attr_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
		nlm_nest_end(&m, pn);
		nlm_nest_end(&m, data);
	}
	nlm_nest_end(&m, info);
	return send_free(nl, &m, NULL, NULL, e, kind, name);
}

int rtnl_bridge_add(struct nl *nl, const char *name, struct err *e)
{
	return link_create(nl, "bridge", name, NULL, -1, e);
}

int rtnl_veth_add(struct nl *nl, const char *name, const char *peer,
		  int peer_netns_fd, struct err *e)
{
	if (!peer)
		return err_set(e, EINVAL, "veth %s: no peer name", name);
	return link_create(nl, "veth", name, peer, peer_netns_fd, e);
}

int rtnl_veth_create(struct nl *nl, const struct rtnl_veth *v, struct err *e)
{
	int r = check_dev(v->name, e);
	if (r == 0)
		r = check_dev(v->peer, e);
	if (r < 0)
		return r;

	struct nlmsg m;
	nlm_init(&m);
	struct ifinfomsg *ifi = link_req(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, v->name);
	if (ifi && v->up)
		ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	if (v->master > 0)
		nlm_attr_u32(&m, IFLA_MASTER, (uint32_t)v->master);
	if (v->mtu)
		nlm_attr_u32(&m, IFLA_MTU, v->mtu);
	/* One queue each way, said up front: a veth made with one per CPU
	 * and cut down to one afterwards waits for an RCU grace period per
	 * end (veth_init_queues -> netif_set_real_num_tx_queues). */
	nlm_attr_u32(&m, IFLA_NUM_TX_QUEUES, 1);
	nlm_attr_u32(&m, IFLA_NUM_RX_QUEUES, 1);
	size_t info = nlm_nest_begin(&m, IFLA_LINKINFO);
	nlm_attr_str(&m, IFLA_INFO_KIND, "veth");
	size_t data = nlm_nest_begin(&m, IFLA_INFO_DATA);
	size_t pn = nlm_nest_begin(&m, VETH_INFO_PEER);
	struct ifinfomsg *pi = nlm_put(&m, NULL, sizeof(*pi));
	if (pi)
		pi->ifi_family = AF_UNSPEC;
	nlm_attr_str(&m, IFLA_IFNAME, v->peer);
	if (v->mtu)
		nlm_attr_u32(&m, IFLA_MTU, v->mtu);
	nlm_attr_u32(&m, IFLA_NUM_TX_QUEUES, 1);
	nlm_attr_u32(&m, IFLA_NUM_RX_QUEUES, 1);
	if (v->peer_netns_fd >= 0)
		nlm_attr_u32(&m, IFLA_NET_NS_FD, (uint32_t)v->peer_netns_fd);
	nlm_nest_end(&m, pn);
	nlm_nest_end(&m, data);
	nlm_nest_end(&m, info);
	return send_free(nl, &m, NULL, NULL, e, "veth", v->name);
}

/* One attribute set on an existing link found by name. */
static int link_set_attr(struct nl *nl, const char *dev, uint16_t type,
			 const void *data, size_t len, struct err *e)
{
	int r = check_dev(dev, e);
	if (r < 0)
		return r;
	struct nlmsg m;
	nlm_init(&m);
	link_req(&m, RTM_NEWLINK, 0, 0, dev);
	nlm_attr(&m, type, data, len);
	return send_free(nl, &m, NULL, NULL, e, "link", dev);
}

int rtnl_link_set_master(struct nl *nl, const char *dev, const char *master, struct err *e)
{
	int idx = 0;
	if (master && *master) {
		int r = rtnl_link_index(nl, master, &idx, e);
		if (r < 0)
			return r;
	}
	uint32_t v = (uint32_t)idx;
	return link_set_attr(nl, dev, IFLA_MASTER, &v, sizeof(v), e);
}

int rtnl_link_set_hwaddr(struct nl *nl, const char *dev, const unsigned char mac[6],
			 struct err *e)
{
	return link_set_attr(nl, dev, IFLA_ADDRESS, mac, 6, e);
}

int rtnl_link_set_mtu(struct nl *nl, const char *dev, unsigned mtu, struct err *e)
{
	uint32_t v = mtu;
	return link_set_attr(nl, dev, IFLA_MTU, &v, sizeof(v), e);
}

int rtnl_link_no_ipv6_addr(struct nl *nl, const char *dev, struct err *e)
{
	int r = check_dev(dev, e);
	if (r < 0)
		return r;
	struct nlmsg m;
	nlm_init(&m);
	link_req(&m, RTM_NEWLINK, 0, 0, dev);
	size_t spec = nlm_nest_begin(&m, IFLA_AF_SPEC);
	size_t in6 = nlm_nest_begin(&m, AF_INET6);
	nlm_attr_u8(&m, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	nlm_nest_end(&m, in6);
	nlm_nest_end(&m, spec);
	return send_free(nl, &m, NULL, NULL, e, "link", dev);
}

int rtnl_link_set_netns(struct nl *nl, const char *dev, int netns_fd, struct err *e)
{
	if (netns_fd < 0)
		return err_set(e, EBADF, "link %s: no netns", dev);
	uint32_t v = (uint32_t)netns_fd;
	return link_set_attr(nl, dev, IFLA_NET_NS_FD, &v, sizeof(v), e);
}

int rtnl_link_set_name(struct nl *nl, const char *dev, const char *newname, struct err *e)
{
	int idx, r = check_dev(newname, e);
	if (r < 0 || (r = rtnl_link_index(nl, dev, &idx, e)) < 0)
		return r;
	struct nlmsg m;
	nlm_init(&m);
	link_req(&m, RTM_NEWLINK, 0, idx, NULL);
	nlm_attr_str(&m, IFLA_IFNAME, newname);
	return send_free(nl, &m, NULL, NULL, e, "link", dev);
}

int rtnl_link_del(struct nl *nl, const char *dev, struct err *e)
{
	int r = check_dev(dev, e);
	if (r < 0)
		return r;
	struct nlmsg m;
	nlm_init(&m);
	link_req(&m, RTM_DELLINK, 0, 0, dev);
	return send_free(nl, &m, NULL, NULL, e, "link", dev);
}

struct list_ctx {
	int (*fn)(const struct rtnl_link *l, void *arg);
	void *arg;
};

static int list_cb(const struct nlmsghdr *h, void *arg, struct err *e)
{
	struct list_ctx *c = arg;
	const struct ifinfomsg *ifi = nl_msg_data(h, sizeof(*ifi));
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct rtnl_link l = { 0 };
	const char *s;

	(void)e;
	if (h->nlmsg_type != RTM_NEWLINK || !ifi)
		return 0;
	nl_msg_attrs(h, sizeof(*ifi), tb, IFLA_MAX);
	l.index = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	if ((s = nl_attr_get_str(tb[IFLA_IFNAME])))
		snprintf(l.name, sizeof(l.name), "%s", s);
	uint32_t v;
	if (nl_attr_get_u32(tb[IFLA_MASTER], &v) == 0)
		l.master = (int)v;
	if (nl_attr_get_u32(tb[IFLA_MTU], &v) == 0)
		l.mtu = v;
	if (tb[IFLA_ADDRESS] && nl_attr_len(tb[IFLA_ADDRESS]) == sizeof(l.hwaddr)) {
		memcpy(l.hwaddr, nl_attr_data(tb[IFLA_ADDRESS]), sizeof(l.hwaddr));
		l.hwaddr_len = sizeof(l.hwaddr);
	}
	if (tb[IFLA_LINKINFO] && nl_attr_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX) == 0 &&
	    (s = nl_attr_get_str(li[IFLA_INFO_KIND])))
		snprintf(l.kind, sizeof(l.kind), "%s", s);
	return c->fn(&l, c->arg);
}

int rtnl_link_list(struct nl *nl, int (*fn)(const struct rtnl_link *l, void *arg),
		   void *arg, struct err *e)
{
	struct list_ctx c = { fn, arg };
	struct nlmsg m;
	nlm_init(&m);
	nlm_begin(&m, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
	struct ifinfomsg *ifi = nlm_put(&m, NULL, sizeof(*ifi));
	if (ifi)
		ifi->ifi_family = AF_UNSPEC;
	nlm_attr_u32(&m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return send_free(nl, &m, list_cb, &c, e, "links", "dump");
}

/* ---- addresses ---- */

int rtnl_parse_prefix(const char *s, struct rtnl_prefix *p, bool need_len,
		      bool allow_default, struct err *e)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	memset(p, 0, sizeof(*p));
	if (allow_default && !strcmp(s, "default")) {
		p->family = AF_INET;
		return 0;
	}
	if (n == 0 || n >= sizeof(buf))
		return err_set(e, EINVAL, "bad address '%s'", s);
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6;
	else
		return err_set(e, EINVAL, "bad address '%s'", s);
	int max = p->family == AF_INET ? 32 : 128;
	if (!slash) {
		if (need_len)
			return err_set(e, EINVAL, "address '%s' needs a prefix length (ADDR/LEN)", s);
		p->len = max;
		return 0;
	}
	const char *q = slash + 1;
	int len = 0;
	if (!*q || strlen(q) > 3)
		return err_set(e, EINVAL, "bad prefix length in '%s'", s);
	for (; *q; q++) {
		if (*q < '0' || *q > '9')
			return err_set(e, EINVAL, "bad prefix length in '%s'", s);
		len = len * 10 + (*q - '0');
	}
	if (len > max)
		return err_set(e, EINVAL, "prefix length of '%s' is above %d", s, max);
	p->len = len;
	return 0;
}

const char *rtnl_prefix_str(const struct rtnl_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, n, "%s/%d", a, p->len);
	return buf;
}

static int addr_req(struct nl *nl, uint16_t type, uint16_t flags, const char *dev,
		    const struct rtnl_prefix *a, struct err *e)
{
	char what[96], as[64];
	int idx, r;

	snprintf(what, sizeof(what), "%s on %s", rtnl_prefix_str(a, as, sizeof(as)), dev);
	if (a->family != AF_INET && a->family != AF_INET6)
		return err_set(e, EAFNOSUPPORT, "address %s: not IPv4 or IPv6", what);
	if ((r = rtnl_link_index(nl, dev, &idx, e)) < 0)
		return r;

	size_t alen = a->family == AF_INET ? 4 : 16;
	struct nlmsg m;
	nlm_init(&m);
	nlm_begin(&m, type, NLM_F_REQUEST | NLM_F_ACK | flags);
	struct ifaddrmsg *ifa = nlm_put(&m, NULL, sizeof(*ifa));
	if (ifa) {
		ifa->ifa_family = (uint8_t)a->family;
		ifa->ifa_prefixlen = (uint8_t)a->len;
		ifa->ifa_index = (uint32_t)idx;
		ifa->ifa_scope = (a->family == AF_INET && a->addr[0] == 127)
			? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	}
	nlm_attr(&m, IFA_LOCAL, a->addr, alen);
	nlm_attr(&m, IFA_ADDRESS, a->addr, alen);
	if (type == RTM_NEWADDR && a->family == AF_INET && a->len < 31) {
		uint32_t ip, mask = a->len ? htonl(~0u << (32 - a->len)) : 0;
		memcpy(&ip, a->addr, 4);
		ip |= ~mask;
		nlm_attr(&m, IFA_BROADCAST, &ip, 4);
	}
	if (type == RTM_NEWADDR && a->family == AF_INET6)
		nlm_attr_u32(&m, IFA_FLAGS, IFA_F_NODAD);
	return send_free(nl, &m, NULL, NULL, e, "address", what);
}

int rtnl_addr_add(struct nl *nl, const char *dev, const struct rtnl_prefix *a, struct err *e)
{
	return addr_req(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, dev, a, e);
}

int rtnl_addr_del(struct nl *nl, const char *dev, const struct rtnl_prefix *a, struct err *e)
{
	return addr_req(nl, RTM_DELADDR, 0, dev, a, e);
}

struct addr_list_ctx {
	int (*fn)(int ifindex, const struct rtnl_prefix *a, void *arg);
	void *arg;
};

static int addr_list_cb(const struct nlmsghdr *h, void *arg, struct err *e)
{
	struct addr_list_ctx *c = arg;
	const struct ifaddrmsg *ifa = nl_msg_data(h, sizeof(*ifa));
	const struct nlattr *tb[IFA_MAX + 1];
	struct rtnl_prefix p = { 0 };

	(void)e;
	if (h->nlmsg_type != RTM_NEWADDR || !ifa)
		return 0;
	nl_msg_attrs(h, sizeof(*ifa), tb, IFA_MAX);
	const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	size_t alen = ifa->ifa_family == AF_INET ? 4 : ifa->ifa_family == AF_INET6 ? 16 : 0;
	if (!a || !alen || nl_attr_len(a) != alen)
		return 0;
	p.family = ifa->ifa_family;
	p.len = ifa->ifa_prefixlen;
	memcpy(p.addr, nl_attr_data(a), alen);
	return c->fn((int)ifa->ifa_index, &p, c->arg);
}

int rtnl_addr_list(struct nl *nl, int family,
		   int (*fn)(int ifindex, const struct rtnl_prefix *a, void *arg), void *arg,
		   struct err *e)
{
	struct addr_list_ctx c = { fn, arg };
	struct nlmsg m;
	nlm_init(&m);
	nlm_begin(&m, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
	struct ifaddrmsg *ifa = nlm_put(&m, NULL, sizeof(*ifa));
	if (ifa)
		ifa->ifa_family = (uint8_t)family;
	return send_free(nl, &m, addr_list_cb, &c, e, "addresses", "dump");
}

/* ---- routes ---- */

struct route_list_ctx {
	int (*fn)(const struct rtnl_route *r, void *arg);
	void *arg;
};

static int route_list_cb(const struct nlmsghdr *h, void *arg, struct err *e)
{
	struct route_list_ctx *c = arg;
	const struct rtmsg *rt = nl_msg_data(h, sizeof(*rt));
	const struct nlattr *tb[RTA_MAX + 1];
	struct rtnl_route r;
	uint32_t v;

	(void)e;
	if (h->nlmsg_type != RTM_NEWROUTE || !rt || rt->rtm_type != RTN_UNICAST)
		return 0;
	nl_msg_attrs(h, sizeof(*rt), tb, RTA_MAX);
	uint32_t table = rt->rtm_table;
	if (nl_attr_get_u32(tb[RTA_TABLE], &v) == 0)
		table = v;
	size_t alen = rt->rtm_family == AF_INET ? 4 : rt->rtm_family == AF_INET6 ? 16 : 0;
	if (table != RT_TABLE_MAIN || !alen || rt->rtm_dst_len > alen * 8)
		return 0;
	memset(&r, 0, sizeof(r));
	r.dst.family = rt->rtm_family;
	r.dst.len = rt->rtm_dst_len;
	if (tb[RTA_DST]) {
		if (nl_attr_len(tb[RTA_DST]) != alen)
			return 0;
		memcpy(r.dst.addr, nl_attr_data(tb[RTA_DST]), alen);
	}
	if (tb[RTA_GATEWAY] && nl_attr_len(tb[RTA_GATEWAY]) == alen) {
		r.gw.family = rt->rtm_family;
		r.gw.len = (int)alen * 8;
		memcpy(r.gw.addr, nl_attr_data(tb[RTA_GATEWAY]), alen);
	}
	if (nl_attr_get_u32(tb[RTA_OIF], &v) == 0)
		r.oif = (int)v;
	return c->fn(&r, c->arg);
}

int rtnl_route_list(struct nl *nl, int family,
		    int (*fn)(const struct rtnl_route *r, void *arg), void *arg, struct err *e)
{
	struct route_list_ctx c = { fn, arg };
	struct nlmsg m;
	nlm_init(&m);
	nlm_begin(&m, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP);
	struct rtmsg *rt = nlm_put(&m, NULL, sizeof(*rt));
	if (rt)
		rt->rtm_family = (uint8_t)family;
	return send_free(nl, &m, route_list_cb, &c, e, "routes", "dump");
}

static int route_req(struct nl *nl, uint16_t type, uint16_t flags,
		     const struct rtnl_prefix *dst, const struct rtnl_prefix *gw,
		     const char *dev, struct err *e)
{
	char what[160], ds[64], gs[64];
	int idx = 0, r;

	if (dst->len == 0)
		snprintf(ds, sizeof(ds), "default");
	else
		rtnl_prefix_str(dst, ds, sizeof(ds));
	if (gw) {
		rtnl_prefix_str(gw, gs, sizeof(gs));
		*strrchr(gs, '/') = 0;
	}
	snprintf(what, sizeof(what), "%s%s%s%s%s", ds, gw ? " via " : "", gw ? gs : "",
		 dev ? " dev " : "", dev ? dev : "");
	int family = dst->family;
	if (dst->len == 0 && gw)
		family = gw->family;	/* "default" takes the gateway's family */
	if (family != AF_INET && family != AF_INET6)
		return err_set(e, EAFNOSUPPORT, "route %s: not IPv4 or IPv6", what);
	if (gw && gw->family != family)
		return err_set(e, EINVAL, "route %s: gateway of another address family", what);
	if (!gw && !dev)
		return err_set(e, EINVAL, "route %s: needs a gateway or a device", what);
	if (dev && (r = rtnl_link_index(nl, dev, &idx, e)) < 0)
		return r;

	size_t alen = family == AF_INET ? 4 : 16;
	struct nlmsg m;
	nlm_init(&m);
	nlm_begin(&m, type, NLM_F_REQUEST | NLM_F_ACK | flags);
	struct rtmsg *rt = nlm_put(&m, NULL, sizeof(*rt));
	if (rt) {
		rt->rtm_family = (uint8_t)family;
		rt->rtm_dst_len = (uint8_t)dst->len;
		rt->rtm_table = RT_TABLE_MAIN;
		if (type == RTM_NEWROUTE) {
			rt->rtm_protocol = RTPROT_BOOT;
			rt->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
			rt->rtm_type = RTN_UNICAST;
		} else {
			rt->rtm_scope = RT_SCOPE_NOWHERE;
		}
	}
	if (dst->len)
		nlm_attr(&m, RTA_DST, dst->addr, alen);
	if (gw)
		nlm_attr(&m, RTA_GATEWAY, gw->addr, alen);
	if (idx)
		nlm_attr_u32(&m, RTA_OIF, (uint32_t)idx);
	return send_free(nl, &m, NULL, NULL, e, "route", what);
}

int rtnl_route_add(struct nl *nl, const struct rtnl_prefix *dst,
		   const struct rtnl_prefix *gw, const char *dev, struct err *e)
{
	return route_req(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, dst, gw, dev, e);
}

int rtnl_route_del(struct nl *nl, const struct rtnl_prefix *dst,
		   const struct rtnl_prefix *gw, const char *dev, struct err *e)
{
	return route_req(nl, RTM_DELROUTE, 0, dst, gw, dev, e);
}
