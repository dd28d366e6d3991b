/* netbench - one sandbox network set up and torn down, N times, the way
 * corral makes one (lib/netconf net_attach: IPAM lease, veth, address,
 * routes), without the exec per command.
 *
 * usage: netbench [-s|-k] [N]     (N defaults to 100)
 *        netbench -1 N            one round named N, in the caller's netns
 *                                 (which must have bridge crb0 and /run)
 *
 * A round: a named netns, an address leased from IPAM (network "bench",
 * 10.88.0.0/16), a veth whose peer is made inside it as eth0, the host end
 * on bridge crb0 and up, lo and eth0 up, the address on eth0 and a default
 * route; then teardown: the lease released. Default teardown drops the netns, which
 * takes the veth with it and makes nobody wait on an RCU grace period;
 * -s deletes the link synchronously first. -k keeps all N networks up
 * (scale: the median set-up time of the last 20 against the first 20),
 * then drops them all and checks that no link is left. Prints wall and CPU
 * (user+sys) time per round. It runs in its own network and mount namespaces with a
 * private /run, so it never touches the machine's network.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "ipam.h"
#include "netconf.h"
#include "netns.h"
#include "nl.h"
#include "rtnl.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

enum mode { DROP, SYNC, KEEP };

static struct net_config cfg;
static struct ipam_owner owner;
static struct net_attachment *kept;

static int bench_init(struct err *e)
{
	cfg = (struct net_config){ .name = "bench", .bridge = "crb0", .is_gateway = true,
				   .default_route = true, .no_ipv6 = true };
	ipam_parse_cidr("10.88.0.0/16", &cfg.subnet, NULL);
	cfg.gateway = cfg.subnet.net + 1;
	return ipam_owner_pid(getpid(), &owner, e);
}

static int round_trip(int i, enum mode mode, struct err *e)
{
	char ns[32];
	struct net_attachment a;
	int r, fd;

	snprintf(ns, sizeof(ns), "bench-%d", i);
	if ((r = netns_add(ns, e)) < 0 || (fd = netns_open(ns, e)) < 0)
		return r < 0 ? r : fd;
	r = net_attach(&cfg, NULL, fd, "eth0", &owner, 0, &a, e);
	close(fd);
	if (mode == KEEP) {
		if (r == 0)
			kept[i] = a;
		return r;
	}
	if (r == 0)
		r = net_detach(&cfg, NULL, &a, mode == SYNC, e);
	int d = netns_del(ns, e);
	return r < 0 ? r : d;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int count_links(const struct rtnl_link *l, void *arg)
{
	(void)l;
	(*(int *)arg)++;
	return 0;
}

static int count_ns(const char *name, void *arg)
{
	(void)name;
	(*(int *)arg)++;
	return 0;
}

/* Sets up n networks and keeps them; then drops them all. */
static int scale(struct nl *nl, int n, struct err *e)
{
	double *t = calloc((size_t)n, sizeof(*t));
	kept = calloc((size_t)n, sizeof(*kept));
	if (!t || !kept || n < 40) {
		fprintf(stderr, "netbench: -k needs N >= 40\n");
		return 125;
	}
	double *ct = calloc((size_t)n, sizeof(*ct));
	if (!ct)
		return 125;
	for (int i = 0; i < n; i++) {
		double t0 = now(), c0 = thread_cpu();
		if (round_trip(i, KEEP, e) < 0) {
			fprintf(stderr, "netbench: network %d: %s\n", i, e->msg);
			return 125;
		}
		t[i] = now() - t0;
		ct[i] = thread_cpu() - c0;
	}
	double first = median(t, 20), last = median(t + n - 20, 20);
	double cfirst = median(ct, 20), clast = median(ct + n - 20, 20);
	free(ct);
	double d0 = now();
	for (int i = 0; i < n; i++) {
		char ns[32];
		snprintf(ns, sizeof(ns), "bench-%d", i);
		if (net_detach(&cfg, NULL, &kept[i], false, e) < 0 || netns_del(ns, e) < 0) {
			fprintf(stderr, "netbench: %s\n", e->msg);
			return 125;
		}
	}
	double d = now() - d0;
	/* The host ends go when the kernel cleans the netns up: wait for it. */
	int links = 0;
	for (int tries = 0; tries < 200; tries++) {
		links = 0;
		if (rtnl_link_list(nl, count_links, &links, e) < 0)
			return 125;
		if (links == 2)		/* lo and crb0 */
			break;
		usleep(50000);
	}
	struct ipam_net in = { .name = cfg.name, .subnet = cfg.subnet, .gateway = cfg.gateway };
	struct ipam_lease *v = NULL;
	size_t leases = 0;
	if (ipam_list(&in, &v, &leases, e) < 0 && e->code != ENOENT)
		return 125;
	free(v);
	int nsleft = 0;
	if (netns_list(count_ns, &nsleft, e) < 0)
		return 125;
	printf("netbench: %d networks kept: median set-up %.3f ms (first 20), %.3f ms (last 20), "
	       "ratio %.2f (target <= 1.3: %s); cpu %.3f ms, %.3f ms, ratio %.2f; dropped all in %.1f ms; left: %d links besides lo "
	       "and crb0, %zu leases, %d netns\n",
	       n, first * 1e3, last * 1e3, last / first, last / first <= 1.3 ? "met" : "missed",
	       cfirst * 1e3, clast * 1e3, clast / cfirst, d * 1e3, links - 2, leases, nsleft);
	free(t);
	free(kept);
	return links == 2 && leases == 0 && nsleft == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	enum mode mode = DROP;
	int n = 100;
	struct err e = { 0 };
	struct nl nl;

	if (argc == 3 && !strcmp(argv[1], "-1")) {	/* one round, here */
		if (bench_init(&e) < 0 || round_trip(atoi(argv[2]), DROP, &e) < 0) {
			fprintf(stderr, "netbench: %s\n", e.msg);
			return 1;
		}
		return 0;
	}

	if (argc > 1 && (!strcmp(argv[1], "-s") || !strcmp(argv[1], "-k"))) {
		mode = argv[1][1] == 's' ? SYNC : KEEP;
		argc--, argv++;
	}
	if (argc > 1)
		n = atoi(argv[1]);
	if (n <= 0 || unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("netbench", "/run", "tmpfs", 0, "mode=0755") < 0) {
		fprintf(stderr, "netbench: needs root and N > 0: %s\n", strerror(errno));
		return 125;
	}
	/* crb0 as corral makes a network's bridge */
	if (bench_init(&e) < 0 || nl_open(&nl, NETLINK_ROUTE, &e) < 0 ||
	    rtnl_link_up(&nl, 1, &e) < 0 || net_host_setup(&cfg, NULL, &e) < 0) {
		fprintf(stderr, "netbench: %s\n", e.msg);
		return 125;
	}
	if (mode == KEEP)
		return scale(&nl, n, &e);
	double w0 = now(), c0 = cpu();
	for (int i = 0; i < n; i++) {
		if (round_trip(i, mode, &e) < 0) {
			fprintf(stderr, "netbench: round %d: %s\n", i, e.msg);
			return 125;
		}
	}
	double w = now() - w0, c = cpu() - c0;
	printf("netbench: %d rounds, teardown by %s: %.3f ms wall, %.3f ms cpu per round\n",
	       n, mode == SYNC ? "link del + netns del" : "netns drop", w * 1e3 / n, c * 1e3 / n);
	nl_close(&nl);
	return 0;
}
