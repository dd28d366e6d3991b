/* netfloor - the floor for one sandbox network: set up and torn down with
 * the fewest syscalls over raw netlink, no library, no checks beyond the
 * kernel's ACKs.
 *
 * usage: netfloor N            one round named N
 *        netfloor -n COUNT     COUNT rounds in this process; prints wall and
 *                              CPU (user+sys) ms per round
 * (in a netns that has bridge crb0, and /run/netns)
 *
 * Makes named netns "floor-N" (unshare + bind mount in /run/netns), a veth
 * whose peer is made inside it as eth0, the host end on crb0 and up (one
 * message), then inside: lo up, 10.88.x.y/16 on eth0, eth0 up, default
 * route via 10.88.0.1. Teardown drops the netns (lazy unmount + unlink),
 * which takes the veth with it; nothing waits on a grace period.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

static char buf[4096];
static size_t len;
static unsigned seq;

static void *put(const void *data, size_t n)
{
	void *p = buf + len;
	if (data)
		memcpy(p, data, n);
	else
		memset(p, 0, n);
	len += NLMSG_ALIGN(n);
	return p;
}

static void begin(unsigned short type, unsigned short flags)
{
	len = 0;
	struct nlmsghdr *h = put(NULL, sizeof(*h));
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++seq;
}

static struct rtattr *attr(unsigned short type, const void *data, size_t n)
{
	struct rtattr *a = put(NULL, RTA_LENGTH(n));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	if (data)
		memcpy(RTA_DATA(a), data, n);
	return a;
}

static void nest_end(struct rtattr *a)
{
	a->rta_len = (unsigned short)(buf + len - (char *)a);
}

/* Sends the message and reads its ACK. */
static void talk(int fd, const char *what)
{
	((struct nlmsghdr *)buf)->nlmsg_len = (unsigned)len;
	if (send(fd, buf, len, 0) < 0)
		goto fail;
	char ack[1024];
	ssize_t r = recv(fd, ack, sizeof(ack), 0);
	if (r < (ssize_t)(sizeof(struct nlmsghdr) + sizeof(struct nlmsgerr)))
		goto fail;
	struct nlmsgerr *err = NLMSG_DATA((struct nlmsghdr *)ack);
	if (err->error == 0)
		return;
	errno = -err->error;
fail:
	fprintf(stderr, "netfloor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int nl_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		perror("netfloor: socket");
		exit(1);
	}
	return fd;
}

static void link_up(int fd, int index, const char *name)
{
	begin(RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = put(NULL, sizeof(*ifi));
	ifi->ifi_index = index;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	if (name)
		attr(IFLA_IFNAME, name, strlen(name) + 1);
	talk(fd, "link up");
}

static int round_trip(unsigned n)
{
	char ns[64], path[96], host[IFNAMSIZ];
	snprintf(ns, sizeof(ns), "floor-%u", n);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	snprintf(host, sizeof(host), "fl-%u", n);

	/* the named netns, and a socket inside it while we are there */
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (home < 0 || f < 0 || close(f) < 0 || unshare(CLONE_NEWNET) < 0 ||
	    mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0) {
		perror("netfloor: netns");
		return 1;
	}
	int in = nl_socket();
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(home, CLONE_NEWNET) < 0) {
		perror("netfloor: setns");
		return 1;
	}
	int out = nl_socket();

	/* veth host <-> eth0 (made in the netns), on crb0 and up: one message */
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "crb0");
	if (ioctl(out, SIOCGIFINDEX, &ifr) < 0) {
		perror("netfloor: crb0");
		return 1;
	}
	unsigned br = (unsigned)ifr.ifr_ifindex;
	begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = put(NULL, sizeof(*ifi));
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	attr(IFLA_IFNAME, host, strlen(host) + 1);
	attr(IFLA_MASTER, &br, 4);
	unsigned one = 1;	/* no queues to cut afterwards: no grace period */
	attr(IFLA_NUM_TX_QUEUES, &one, 4);
	attr(IFLA_NUM_RX_QUEUES, &one, 4);
	struct rtattr *li = attr(IFLA_LINKINFO, NULL, 0);
	attr(IFLA_INFO_KIND, "veth", 5);
	struct rtattr *data = attr(IFLA_INFO_DATA, NULL, 0);
	struct rtattr *peer = attr(VETH_INFO_PEER, NULL, 0);
	put(NULL, sizeof(struct ifinfomsg));
	attr(IFLA_IFNAME, "eth0", 5);
	attr(IFLA_NET_NS_FD, &nsfd, 4);
	attr(IFLA_NUM_TX_QUEUES, &one, 4);
	attr(IFLA_NUM_RX_QUEUES, &one, 4);
	nest_end(peer);
	nest_end(data);
	nest_end(li);
	talk(out, "veth");

	/* inside: lo up, address, eth0 up, default route */
	link_up(in, 1, NULL);
	unsigned eth0 = 2;	/* the first link made in a fresh netns after lo */
	begin(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = put(NULL, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 16;
	ifa->ifa_index = eth0;
	uint32_t a = htonl(0x0a580000u | (2 + n % 65000)), bc = htonl(0x0a58ffffu);
	attr(IFA_LOCAL, &a, 4);
	attr(IFA_ADDRESS, &a, 4);
	attr(IFA_BROADCAST, &bc, 4);
	talk(in, "address");
	link_up(in, (int)eth0, NULL);
	begin(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rt = put(NULL, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	uint32_t gw = htonl(0x0a580001u);
	attr(RTA_GATEWAY, &gw, 4);
	attr(RTA_OIF, &eth0, 4);
	talk(in, "route");

	/* teardown: drop the netns; its veth goes with it */
	if (umount2(path, MNT_DETACH) < 0 || unlink(path) < 0) {
		perror("netfloor: netns del");
		return 1;
	}
	close(in);
	close(out);
	close(nsfd);
	close(home);
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	if (argc == 2)
		return round_trip((unsigned)atoi(argv[1]));
	if (argc != 3 || strcmp(argv[1], "-n") || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: netfloor N | -n COUNT\n");
		return 2;
	}
	int count = atoi(argv[2]);
	double w0 = now(), c0 = cpu();
	for (int i = 0; i < count; i++)
		if (round_trip((unsigned)i))
			return 1;
	double w = now() - w0, c = cpu() - c0;
	printf("netfloor: %d rounds, teardown by netns drop: %.3f ms wall, %.3f ms cpu per round\n",
	       count, w * 1e3 / count, c * 1e3 / count);
	return 0;
}
