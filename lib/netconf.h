/* A corral network, put together from the network core: a bridge holding
 * the gateway address, NAT and ip_forward on the host side; for each
 * sandbox a leased address and a veth whose inner end is made directly in
 * the sandbox's netns, with lo up and a default route. The config is a CNI
 * `bridge` network config with a `host-local` ipam section, so one file
 * serves `run --net nat`, `sandbox create` and the CNI plugin. */
#ifndef CORRAL_NETCONF_H
#define CORRAL_NETCONF_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"
#include "ipam.h"

#define NETCONF_FILE "/etc/corral/network.json"
#define NETCONF_NAME_MAX 32

struct net_config {
	char name[NETCONF_NAME_MAX + 1];
	char bridge[16];
	struct ipam_subnet subnet;
	uint32_t gateway;		/* host order */
	unsigned mtu;			/* 0: the kernel's default */
	bool is_gateway;		/* the bridge holds the gateway address */
	bool ip_masq;			/* masquerade traffic leaving the subnet */
	bool default_route;		/* a route 0.0.0.0/0 via the gateway */
	bool routes_given;		/* ipam.routes was there (CNI: no route unless listed) */
	bool is_default_gw;		/* isDefaultGateway */
	bool skip_lo;			/* leave lo alone (CNI: the loopback plugin's) */
	bool no_ipv6;			/* no IPv6 address on the sandbox's interface (not CNI) */
	uint32_t route_gw;		/* the gw of the listed default route, 0: none given */
	char data_dir[256];		/* ipam.dataDir, "" for the state root */
};

/* Parses a CNI bridge config (cniVersion, name, type "bridge", bridge,
 * isGateway, ipMasq, mtu, ipam {type "host-local", subnet | ranges,
 * gateway, rangeStart, rangeEnd, routes, dataDir}). Missing fields take
 * corral's defaults; wrong ones are errors naming the field: -EINVAL,
 * or -EOPNOTSUPP for a value corral does not implement. */
int net_config_parse(const char *json, size_t len, struct net_config *c, struct err *e);
/* The same with the bridge plugin's defaults, for CNI: bridge cni0, no
 * gateway address, no masquerade, no route unless ipam.routes lists it
 * or isDefaultGateway; name and ipam (type, subnet) are required. */
int net_config_parse_cni(const char *json, size_t len, struct net_config *c, struct err *e);
/* NETCONF_FILE when it exists, else the built-in configs/network.json. */
int net_config_load(struct net_config *c, struct err *e);

/* The host side, in the caller's netns: bridge up with the gateway
 * address, NAT rules, ip_forward on. Idempotent and safe to race. */
int net_host_setup(const struct net_config *c, const char *root, struct err *e);

struct net_attachment {
	char host_if[16];	/* cr-XXXXXXXX, on the bridge */
	uint32_t addr;		/* host order */
};

/* Leases an address for owner (want: that one, or 0), makes the veth
 * host_if <-> ifname with ifname created inside netns_fd, and configures
 * that side: address, up, lo up, default route. Undoes all of it on
 * failure. */
int net_attach(const struct net_config *c, const char *root, int netns_fd,
	       const char *ifname, const struct ipam_owner *owner, uint32_t want,
	       struct net_attachment *a, struct err *e);
/* Releases the lease; deletes the host end when del_link (a netns that is
 * about to go takes its veth with it, without making anyone wait). */
int net_detach(const struct net_config *c, const char *root,
	       const struct net_attachment *a, bool del_link, struct err *e);

#endif
