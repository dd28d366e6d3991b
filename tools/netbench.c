/* netbench - one sandbox network set up and torn down, N times, through
 * lib/ (what `netsetup` does, without the exec per command).
 *
 * usage: netbench [-s|-k] [N]     (N defaults to 100)
 *
 * A round: a named netns, a veth whose peer is made inside it as eth0, the
 * host end on bridge crb0 and up, lo and eth0 up, an address on eth0 and a
 * default route; then teardown. Default teardown drops the netns, which
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

#include "netns.h"
#include "nl.h"
#include "rtnl.h"

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

enum mode { DROP, SYNC, KEEP };

static int round_trip(struct nl *nl, int i, enum mode mode, struct err *e)
{
	char ns[32], host[RTNL_IFNAMSIZ];
	struct rtnl_prefix addr, gw, def;
	struct nl in;
	int r, fd;

	snprintf(ns, sizeof(ns), "bench-%d", i);
	snprintf(host, sizeof(host), "cr-%d", i);
	rtnl_parse_prefix("10.88.1.2/16", &addr, true, false, NULL);
	rtnl_parse_prefix("10.88.0.1", &gw, false, false, NULL);
	rtnl_parse_prefix("default", &def, false, true, NULL);

	if ((r = netns_add(ns, e)) < 0 || (fd = netns_open(ns, e)) < 0)
		return r < 0 ? r : fd;
	if ((r = rtnl_veth_add(nl, host, "eth0", fd, e)) == 0 &&
	    (r = rtnl_link_set_master(nl, host, "crb0", e)) == 0 &&
	    (r = rtnl_link_set_up(nl, host, true, e)) == 0 &&
	    (r = nl_open_in(&in, NETLINK_ROUTE, fd, e)) == 0) {
		if ((r = rtnl_link_up(&in, 1, e)) == 0 &&
		    (r = rtnl_addr_add(&in, "eth0", &addr, e)) == 0 &&
		    (r = rtnl_link_set_up(&in, "eth0", true, e)) == 0)
			r = rtnl_route_add(&in, &def, &gw, NULL, e);
		nl_close(&in);
	}
	close(fd);
	if (mode == KEEP)
		return r;
	if (mode == SYNC && r == 0)
		r = rtnl_link_del(nl, host, e);
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

/* Sets up n networks and keeps them; then drops them all. */
static int scale(struct nl *nl, int n, struct err *e)
{
	double *t = calloc((size_t)n, sizeof(*t));
	if (!t || n < 40) {
		fprintf(stderr, "netbench: -k needs N >= 40\n");
		return 125;
	}
	for (int i = 0; i < n; i++) {
		double t0 = now();
		if (round_trip(nl, i, KEEP, e) < 0) {
			fprintf(stderr, "netbench: network %d: %s\n", i, e->msg);
			return 125;
		}
		t[i] = now() - t0;
	}
	double first = median(t, 20), last = median(t + n - 20, 20);
	double d0 = now();
	for (int i = 0; i < n; i++) {
		char ns[32];
		snprintf(ns, sizeof(ns), "bench-%d", i);
		if (netns_del(ns, e) < 0) {
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
	printf("netbench: %d networks kept: median set-up %.3f ms (first 20), %.3f ms (last 20), "
	       "ratio %.2f; dropped all in %.1f ms; %d links left besides lo and crb0\n",
	       n, first * 1e3, last * 1e3, last / first, d * 1e3, links - 2);
	free(t);
	return links == 2 ? 0 : 1;
}

int main(int argc, char **argv)
{
	enum mode mode = DROP;
	int n = 100;
	struct err e = { 0 };
	struct nl nl;
	struct rtnl_prefix br;

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
	rtnl_parse_prefix("10.88.0.1/16", &br, true, false, NULL);
	if (nl_open(&nl, NETLINK_ROUTE, &e) < 0 || rtnl_link_up(&nl, 1, &e) < 0 ||
	    rtnl_bridge_add(&nl, "crb0", &e) < 0 || rtnl_addr_add(&nl, "crb0", &br, &e) < 0 ||
	    rtnl_link_set_up(&nl, "crb0", true, &e) < 0) {
		fprintf(stderr, "netbench: %s\n", e.msg);
		return 125;
	}
	if (mode == KEEP)
		return scale(&nl, n, &e);
	double w0 = now(), c0 = cpu();
	for (int i = 0; i < n; i++) {
		if (round_trip(&nl, i, mode, &e) < 0) {
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
