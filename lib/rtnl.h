/* rtnetlink over lib/nl: links (bridge, veth), their state, master, MTU,
 * name and netns; IPv4/IPv6 addresses; routes. A link is named by its name
 * in the netns of the socket (open the socket with nl_open_in to work in
 * another netns). Errors name the object: "veth cr-1a2b: File exists". */
#ifndef CORRAL_RTNL_H
#define CORRAL_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include "nl.h"

#define RTNL_IFNAMSIZ 16	/* with the NUL, as IFNAMSIZ */

/* True when name is a valid interface name (1..15 bytes, no '/', ':',
 * whitespace or control bytes, not "." or ".."). */
bool rtnl_valid_ifname(const char *name);

/* Index of dev; -ENODEV ("link DEV: No such device") when absent. */
int rtnl_link_index(struct nl *nl, const char *dev, int *ifindex, struct err *e);
/* Link state by index (lo is 1 in a fresh netns) or by name. */
int rtnl_link_up(struct nl *nl, int ifindex, struct err *e);
/* lo up in the caller's netns with the request and its reply on the
 * stack: no malloc and no buffer shared with another process, so that it
 * can run beside a child that shares our memory (run's init). */
int rtnl_lo_up_alone(struct err *e);
/* true when dev exists, is up and has this MTU: asked by ioctl (on the
 * netlink socket, in its netns), without the rtnl lock. */
bool rtnl_link_up_with_mtu(struct nl *nl, const char *dev, unsigned mtu);
int rtnl_link_set_up(struct nl *nl, const char *dev, bool up, struct err *e);

int rtnl_bridge_add(struct nl *nl, const char *name, struct err *e);
/* A veth pair name <-> peer. The peer is created directly inside the netns
 * of peer_netns_fd (-1: the socket's netns) and never appears here. The
 * kernel makes both ends or neither. */
int rtnl_veth_add(struct nl *nl, const char *name, const char *peer,
		  int peer_netns_fd, struct err *e);
/* The same in one message, with the settings a sandbox's veth gets. */
struct rtnl_veth {
	const char *name, *peer;
	int peer_netns_fd;	/* -1: the socket's netns */
	int master;		/* ifindex of name's master, 0: none */
	unsigned mtu;		/* both ends; 0: the kernel's default */
	bool up;		/* name only: the kernel cannot open the peer before
				 * the pair is complete (veth_open: ENOTCONN) */
};
int rtnl_veth_create(struct nl *nl, const struct rtnl_veth *v, struct err *e);
/* master NULL (or "") releases dev from its master. */
int rtnl_link_set_master(struct nl *nl, const char *dev, const char *master, struct err *e);
/* An Ethernet address; a bridge given one keeps it instead of taking
 * the lowest of its ports' as they come and go. */
int rtnl_link_set_hwaddr(struct nl *nl, const char *dev, const unsigned char mac[6],
			 struct err *e);
int rtnl_link_set_mtu(struct nl *nl, const char *dev, unsigned mtu, struct err *e);
/* No IPv6 address of its own when dev comes up (addrgenmode none): no
 * link-local, so no duplicate address detection, router solicitation or
 * MLD report. Set it while dev is down. */
int rtnl_link_no_ipv6_addr(struct nl *nl, const char *dev, struct err *e);
int rtnl_link_set_name(struct nl *nl, const char *dev, const char *newname, struct err *e);
/* Moves dev into the netns of netns_fd. */
int rtnl_link_set_netns(struct nl *nl, const char *dev, int netns_fd, struct err *e);
int rtnl_link_del(struct nl *nl, const char *dev, struct err *e);

struct rtnl_link {
	int index;
	int master;		/* 0 when none */
	unsigned flags;		/* IFF_* */
	unsigned mtu;
	char name[RTNL_IFNAMSIZ];
	char kind[32];		/* "veth", "bridge"... "" for none */
	unsigned char hwaddr[6];	/* IFLA_ADDRESS, when hwaddr_len is 6 */
	unsigned hwaddr_len;
};
/* Calls fn for every link of the socket's netns; a negative return from
 * fn stops the walk and is returned. */
int rtnl_link_list(struct nl *nl, int (*fn)(const struct rtnl_link *l, void *arg),
		   void *arg, struct err *e);

/* An address with a prefix length: "10.0.0.2/24", "fd00::2/64". */
struct rtnl_prefix {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int len;		/* prefix length */
};
/* Parses "ADDR[/LEN]"; without /LEN, len is the full width unless
 * need_len. "default" parses as 0.0.0.0/0 when allow_default. */
int rtnl_parse_prefix(const char *s, struct rtnl_prefix *p, bool need_len,
		      bool allow_default, struct err *e);
/* "10.0.0.2/24" into buf (at least 64 bytes). */
const char *rtnl_prefix_str(const struct rtnl_prefix *p, char *buf, size_t n);

/* IPv4 addresses get a broadcast address (prefix < 31); IPv6 addresses
 * skip duplicate address detection so they are usable at once. */
int rtnl_addr_add(struct nl *nl, const char *dev, const struct rtnl_prefix *a, struct err *e);
int rtnl_addr_del(struct nl *nl, const char *dev, const struct rtnl_prefix *a, struct err *e);
/* Calls fn(ifindex, address) for every address of family (AF_INET,
 * AF_INET6 or AF_UNSPEC for both) in the socket's netns. */
int rtnl_addr_list(struct nl *nl, int family,
		   int (*fn)(int ifindex, const struct rtnl_prefix *a, void *arg), void *arg,
		   struct err *e);

/* A route to dst (len 0: default) in the main table, via gw (NULL: none,
 * then dev is required and the route is on-link) and/or out of dev (NULL:
 * the kernel picks by gw). */
int rtnl_route_add(struct nl *nl, const struct rtnl_prefix *dst,
		   const struct rtnl_prefix *gw, const char *dev, struct err *e);
int rtnl_route_del(struct nl *nl, const struct rtnl_prefix *dst,
		   const struct rtnl_prefix *gw, const char *dev, struct err *e);

struct rtnl_route {
	struct rtnl_prefix dst;	/* len 0: default */
	struct rtnl_prefix gw;	/* family 0: no gateway */
	int oif;		/* 0: none */
};
/* Calls fn for every unicast route of family in the main table. */
int rtnl_route_list(struct nl *nl, int family,
		    int (*fn)(const struct rtnl_route *r, void *arg), void *arg, struct err *e);

#endif
