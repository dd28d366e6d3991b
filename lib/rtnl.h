/* rtnetlink over lib/nl: links (bridge, veth), their state, master, MTU,
 * name and netns; IPv4/IPv6 addresses; routes. Links are named by name in
 * the netns of the socket (open it with nl_open_in for another netns);
 * errors name the object: "veth cr-1a2b: File exists". */
#ifndef CORRAL_RTNL_H
#define CORRAL_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include "nl.h"

#define RTNL_IFNAMSIZ 16	/* with the NUL, as IFNAMSIZ */

/* Link state by index (lo is 1 in a fresh netns). */
int rtnl_link_up(struct nl *nl, int ifindex, struct err *e);
int rtnl_link_set_up(struct nl *nl, const char *dev, bool up, struct err *e);
/* Index of dev; -ENODEV ("link DEV: No such device") when absent. */
int rtnl_link_index(struct nl *nl, const char *dev, int *ifindex, struct err *e);
/* True when name is a valid interface name (1..15 bytes, no '/', ':',
 * whitespace, not "." or ".."). */
bool rtnl_valid_ifname(const char *name);

#endif
