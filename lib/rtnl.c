#include <errno.h>
#include <string.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "rtnl.h"

bool rtnl_valid_ifname(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= RTNL_IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f)
			return false;
	}
	return true;
}

/* A RTM_NEWLINK/SETLINK-style request for one link, by index or name. */
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

static int check_dev(const char *dev, struct err *e)
{
	if (!rtnl_valid_ifname(dev))
		return err_set(e, EINVAL, "bad interface name '%s'", dev);
	return 0;
}

static int set_flags(struct nl *nl, int ifindex, const char *dev, bool up, struct err *e)
{
	struct nlmsg m;
	nlm_init(&m);
	struct ifinfomsg *ifi = link_req(&m, RTM_NEWLINK, 0, ifindex, dev);
	if (ifi) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	int r = dev ? nl_talk(nl, &m, NULL, NULL, e, "link %s", dev)
		    : nl_talk(nl, &m, NULL, NULL, e, "link %d", ifindex);
	nlm_free(&m);
	return r;
}

int rtnl_link_up(struct nl *nl, int ifindex, struct err *e)
{
	if (ifindex <= 0)
		return err_set(e, EINVAL, "bad interface index %d", ifindex);
	return set_flags(nl, ifindex, NULL, true, e);
}

int rtnl_link_set_up(struct nl *nl, const char *dev, bool up, struct err *e)
{
	int r = check_dev(dev, e);
	return r < 0 ? r : set_flags(nl, 0, dev, up, e);
}

static int index_cb(const struct nlmsghdr *h, void *arg, struct err *e)
{
	(void)e;
	const struct ifinfomsg *ifi = nl_msg_data(h, sizeof(*ifi));
	if (h->nlmsg_type == RTM_NEWLINK && ifi)
		*(int *)arg = ifi->ifi_index;
	return 0;
}

int rtnl_link_index(struct nl *nl, const char *dev, int *ifindex, struct err *e)
{
	int r = check_dev(dev, e);
	if (r < 0)
		return r;
	struct nlmsg m;
	nlm_init(&m);
	link_req(&m, RTM_GETLINK, 0, 0, dev);
	/* Only the index is wanted: skip the statistics. */
	nlm_attr_u32(&m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	*ifindex = 0;
	r = nl_talk(nl, &m, index_cb, ifindex, e, "link %s", dev);
	nlm_free(&m);
	if (r == 0 && *ifindex <= 0)
		r = err_set(e, ENODEV, "link %s: no index in the kernel's answer", dev);
	return r;
}
