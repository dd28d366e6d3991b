/* nl_batch against the real kernel (root only), in a network namespace of
 * this test's own: the held requests reach the kernel in one message, all
 * of them take effect in their order, and an error names the request the
 * kernel refused, not the first of the batch. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "t.h"
#include "nl.h"
#include "rtnl.h"

static struct nl nl;

struct find {
	uint8_t addr[4];
	int found;
};

static int find_addr(int ifindex, const struct rtnl_prefix *a, void *arg)
{
	struct find *f = arg;
	(void)ifindex;
	if (a->family == AF_INET && !memcmp(a->addr, f->addr, 4))
		f->found = 1;
	return 0;
}

static int has_addr(const char *s)
{
	struct find f = { .found = 0 };
	struct err e;
	inet_pton(AF_INET, s, f.addr);
	if (rtnl_addr_list(&nl, AF_INET, find_addr, &f, &e) < 0)
		return -1;
	return f.found;
}

static struct rtnl_prefix pfx(const char *s)
{
	struct rtnl_prefix p;
	struct err e;
	if (rtnl_parse_prefix(s, &p, true, false, &e) < 0)
		memset(&p, 0, sizeof(p));
	return p;
}

struct order {
	int last, ok;
};

static int check_order(int ifindex, const struct rtnl_prefix *a, void *arg)
{
	struct order *o = arg;
	(void)ifindex;
	if (a->family != AF_INET || a->addr[0] != 10 || a->addr[1] != 9 || a->addr[2] != 7)
		return 0;
	if (a->addr[3] != o->last + 1)
		o->ok = 0;
	o->last = a->addr[3];
	return 0;
}

/* 10.9.7.1 .. 10.9.7.12 are on lo in the order they were asked for */
static int order_ok(void)
{
	struct order o = { 0, 1 };
	struct err e;
	if (rtnl_addr_list(&nl, AF_INET, check_order, &o, &e) < 0)
		return -1;
	return o.ok && o.last == 12;
}

TEST(held_requests_all_take_effect_in_one_send)
{
	struct err e = { 0 };
	struct rtnl_prefix a = pfx("10.9.9.1/32"), b = pfx("10.9.9.2/32");
	uint32_t seq = nl.seq;
	nl_batch_begin(&nl);
	CHECK_INT(rtnl_addr_add(&nl, "lo", &a, &e), 0);
	CHECK_INT(rtnl_addr_add(&nl, "lo", &b, &e), 0);
	CHECK_INT(nl.seq, seq);		/* held: nothing numbered or sent yet */
	CHECK_INT(nl_batch_end(&nl, &e), 0);
	CHECK_INT(nl.seq, seq + 2);
	CHECK_INT(has_addr("10.9.9.1"), 1);
	CHECK_INT(has_addr("10.9.9.2"), 1);
}

TEST(an_error_names_its_own_request)
{
	struct err e = { 0 };
	struct rtnl_prefix ok1 = pfx("10.9.8.1/32"), dup = pfx("127.0.0.1/8"), ok2 = pfx("10.9.8.2/32");
	nl_batch_begin(&nl);
	CHECK_INT(rtnl_addr_add(&nl, "lo", &ok1, &e), 0);
	CHECK_INT(rtnl_addr_add(&nl, "lo", &dup, &e), 0);	/* lo up made it */
	CHECK_INT(rtnl_addr_add(&nl, "lo", &ok2, &e), 0);
	CHECK_INT(nl_batch_end(&nl, &e), -EEXIST);
	CHECK(strstr(e.msg, "127.0.0.1/8 on lo") != NULL);
	if (!strstr(e.msg, "127.0.0.1/8 on lo"))
		printf("#   message: %s\n", e.msg);
	/* the kernel went on past the refused one */
	CHECK_INT(has_addr("10.9.8.1"), 1);
	CHECK_INT(has_addr("10.9.8.2"), 1);
}

TEST(more_than_a_batch_holds_still_goes_out)
{
	struct err e = { 0 };
	char s[32];
	nl_batch_begin(&nl);
	for (int i = 1; i <= 12; i++) {
		snprintf(s, sizeof(s), "10.9.7.%d/32", i);
		struct rtnl_prefix p = pfx(s);
		CHECK_INT(rtnl_addr_add(&nl, "lo", &p, &e), 0);
	}
	CHECK_INT(nl_batch_end(&nl, &e), 0);
	/* in their order: the kernel lists lo's addresses as they came */
	CHECK_INT(order_ok(), 1);
	for (int i = 1; i <= 12; i++) {
		snprintf(s, sizeof(s), "10.9.7.%d", i);
		CHECK_INT(has_addr(s), 1);
	}
	/* and nothing is held once the batch is over */
	struct rtnl_prefix p = pfx("10.9.6.1/32");
	CHECK_INT(rtnl_addr_add(&nl, "lo", &p, &e), 0);
	CHECK_INT(has_addr("10.9.6.1"), 1);
}

int main(void)
{
	struct err e;
	if (geteuid() != 0) {
		printf("skip - test_nl_batch: needs root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("skip - test_nl_batch: no network namespace (%s)\n", strerror(errno));
		return 0;
	}
	if (nl_open(&nl, NETLINK_ROUTE, &e) < 0 || rtnl_link_up(&nl, 1, &e) < 0) {
		printf("not ok - test_nl_batch: %s\n", e.msg);
		return 1;
	}
	RUN(held_requests_all_take_effect_in_one_send);
	RUN(an_error_names_its_own_request);
	RUN(more_than_a_batch_holds_still_goes_out);
	nl_close(&nl);
	DONE();
}
