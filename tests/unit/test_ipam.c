/* The pure parts of IPAM (lib/ipam_lease.c, lib/ipam.c): addresses,
 * subnets, allocation order, lease files and /proc/PID/stat lines,
 * including hostile input. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "t.h"
#include "ipam.h"
#include "proc.h"

static uint32_t A(const char *s)
{
	uint32_t a = 0;
	return ipam_parse_addr(s, &a, NULL) == 0 ? a : 0xffffffffu;
}

TEST(addr_parse_strict)
{
	uint32_t a;
	CHECK_INT(ipam_parse_addr("10.89.0.1", &a, NULL), 0);
	CHECK_INT(a, 0x0a590001);
	CHECK_INT(ipam_parse_addr("255.255.255.255", &a, NULL), 0);
	CHECK_INT(ipam_parse_addr("0.0.0.0", &a, NULL), 0);
	const char *bad[] = { "", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
			      " 1.2.3.4", "01.2.3.4", "1..3.4", "1.2.3.", "a.b.c.d",
			      "1.2.3.4/8", "1.2.3.1000", "-1.2.3.4", "1.2.3.+4" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { 0 };
		CHECK(ipam_parse_addr(bad[i], &a, &e) == -EINVAL);
		CHECK(strstr(e.msg, "bad IPv4 address") != NULL);
	}
}

TEST(cidr_parse)
{
	struct ipam_subnet sn;
	char buf[20];
	CHECK_INT(ipam_parse_cidr("10.89.0.0/16", &sn, NULL), 0);
	CHECK_INT(sn.net, 0x0a590000);
	CHECK_INT(sn.prefix, 16);
	ipam_fmt_cidr(&sn, buf);
	CHECK_STR(buf, "10.89.0.0/16");
	CHECK_INT(ipam_broadcast(&sn), A("10.89.255.255"));
	CHECK(ipam_contains(&sn, A("10.89.3.4")));
	CHECK(!ipam_contains(&sn, A("10.90.0.1")));
	CHECK_INT(ipam_parse_cidr("192.168.7.0/24", &sn, NULL), 0);
	CHECK_INT(ipam_parse_cidr("10.0.0.0/8", &sn, NULL), 0);
	CHECK_INT(ipam_parse_cidr("10.1.2.3/32", &sn, NULL), 0);
	const char *bad[] = { "10.89.0.0", "10.89.0.1/16", "10.89.0.0/33", "10.89.0.0/",
			      "10.89.0.0/016", "10.89.0.0/-1", "10.0.0.0/7", "0.0.0.0/0",
			      "10.89.0.0/16x", "/16", "10.89.0.0//16", "1.2.3.4/24" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ipam_parse_cidr(bad[i], &sn, NULL) == -EINVAL);
}

TEST(next_skips_gateway_network_broadcast)
{
	struct ipam_subnet sn;
	ipam_parse_cidr("10.0.0.0/29", &sn, NULL);	/* hosts .1-.6 */
	uint32_t gw = A("10.0.0.1");
	uint32_t c = ipam_next(&sn, gw, 0);
	CHECK_INT(c, A("10.0.0.2"));
	uint32_t seen[12];
	for (int i = 0; i < 12; i++) {
		seen[i] = c;
		c = ipam_next(&sn, gw, c);
	}
	/* .2 .3 .4 .5 .6 then wraps to .2: never .0, .1 or .7 */
	CHECK_INT(seen[4], A("10.0.0.6"));
	CHECK_INT(seen[5], A("10.0.0.2"));
	for (int i = 0; i < 12; i++) {
		CHECK(seen[i] != A("10.0.0.0"));
		CHECK(seen[i] != A("10.0.0.1"));
		CHECK(seen[i] != A("10.0.0.7"));
	}
	/* from the last host, and from outside the subnet */
	CHECK_INT(ipam_next(&sn, gw, A("10.0.0.6")), A("10.0.0.2"));
	CHECK_INT(ipam_next(&sn, gw, A("172.16.0.9")), A("10.0.0.2"));
	CHECK_INT(ipam_next(&sn, gw, A("10.0.0.7")), A("10.0.0.2"));
	/* gateway in the middle */
	CHECK_INT(ipam_next(&sn, A("10.0.0.4"), A("10.0.0.3")), A("10.0.0.5"));
	/* gateway last: wraps past it */
	CHECK_INT(ipam_next(&sn, A("10.0.0.6"), A("10.0.0.5")), A("10.0.0.1"));
}

TEST(next_tiny_subnets)
{
	struct ipam_subnet sn;
	ipam_parse_cidr("10.0.0.0/30", &sn, NULL);	/* .1 gw, .2 only host */
	CHECK_INT(ipam_next(&sn, A("10.0.0.1"), 0), A("10.0.0.2"));
	CHECK_INT(ipam_next(&sn, A("10.0.0.1"), A("10.0.0.2")), A("10.0.0.2"));
	ipam_parse_cidr("10.0.0.0/31", &sn, NULL);
	CHECK_INT(ipam_next(&sn, A("10.0.0.1"), 0), 0);
	ipam_parse_cidr("10.0.0.0/32", &sn, NULL);
	CHECK_INT(ipam_next(&sn, A("10.0.0.1"), 0), 0);
}

TEST(lease_roundtrip)
{
	struct ipam_owner o = { .kind = IPAM_OWNER_PID, .pid = 4242, .start = 987654321 }, p;
	char buf[256];
	int n = ipam_format_lease(&o, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_STR(buf, "pid 4242 987654321\n");
	CHECK_INT(ipam_parse_lease(buf, (size_t)n, &p), 0);
	CHECK_INT(p.kind, IPAM_OWNER_PID);
	CHECK_INT(p.pid, 4242);
	CHECK_INT(p.start, 987654321);

	struct ipam_owner s = { .kind = IPAM_OWNER_SANDBOX, .sandbox = "pod-1", .pid = 7, .start = 3 };
	n = ipam_format_lease(&s, buf, sizeof(buf));
	CHECK_STR(buf, "sandbox pod-1\npid 7 3\n");
	CHECK_INT(ipam_parse_lease(buf, (size_t)n, &p), 0);
	CHECK_INT(p.kind, IPAM_OWNER_SANDBOX);
	CHECK_STR(p.sandbox, "pod-1");
	CHECK_INT(p.pid, 7);

	struct ipam_owner b = { .kind = IPAM_OWNER_PID, .pid = 9, .start = 8,
				.boot = "0f9e8d7c-1234-4abc-9def-001122334455" };
	n = ipam_format_lease(&b, buf, sizeof(buf));
	CHECK_STR(buf, "pid 9 8\nboot 0f9e8d7c-1234-4abc-9def-001122334455\n");
	CHECK_INT(ipam_parse_lease(buf, (size_t)n, &p), 0);
	CHECK_STR(p.boot, b.boot);
	strcpy(b.boot, "not-a-boot-id");
	CHECK(ipam_format_lease(&b, buf, sizeof(buf)) < 0);

	struct ipam_owner bad = { .kind = IPAM_OWNER_SANDBOX, .sandbox = "../x" };
	CHECK(ipam_format_lease(&bad, buf, sizeof(buf)) < 0);
	struct ipam_owner none = { .kind = IPAM_OWNER_NONE };
	CHECK(ipam_format_lease(&none, buf, sizeof(buf)) < 0);
}

TEST(lease_junk_rejected)
{
	const char *junk[] = {
		"", "\n", "pid 1 2", "pid 1\n", "pid 0 5\n", "pid -1 5\n", "pid 01 5\n",
		"pid 1 05\n", "pid 1 2 3\n", "pid  1 2\n", "pid 1 2\npid 3 4\n",
		"sandbox ../etc\n", "sandbox \n", "sandbox a b\n", "sandbox a\nsandbox b\n",
		"sandbox .x\n", "owner a\n", "PID 1 2\n", "pid 1 99999999999999999999\n",
		"pid 2147483648 1\n", "pid 1 2\n\n", "sandbox a\r\n",
		"boot 0f9e8d7c-1234-4abc-9def-001122334455\npid 1 2\n",	/* boot before pid */
		"pid 1 2\nboot 0f9e8d7c-1234-4abc-9def-00112233445\n",	/* short */
		"pid 1 2\nboot 0F9E8D7C-1234-4abc-9def-001122334455\n",	/* upper case */
		"pid 1 2\nboot ../../../../../../../../../../../../..\n",
		"pid 1 2\nboot 0f9e8d7c-1234-4abc-9def-001122334455\n"
		"boot 0f9e8d7c-1234-4abc-9def-001122334455\n",
		"sandbox aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct ipam_owner o;
		if (ipam_parse_lease(junk[i], strlen(junk[i]), &o) != -EINVAL) {
			printf("#   accepted junk lease %zu: '%s'\n", i, junk[i]);
			CHECK(0);
		}
	}
	struct ipam_owner o;
	CHECK_INT(ipam_parse_lease("pid 1 2\0x\n", 10, &o), -EINVAL);
	/* a NUL inside a container line (found by fuzz_ipam) */
	CHECK_INT(ipam_parse_lease("container painer pid\0\n", 22, &o), -EINVAL);
	CHECK_INT(ipam_parse_lease("container painer pid\n", 21, &o), 0);
	char big[400];
	memset(big, 'a', sizeof(big));
	CHECK_INT(ipam_parse_lease(big, sizeof(big), &o), -EINVAL);
	/* either line order is fine */
	CHECK_INT(ipam_parse_lease("pid 9 8\nsandbox sb\n", 19, &o), 0);
	CHECK_INT(o.kind, IPAM_OWNER_SANDBOX);
}

TEST(stat_field_22)
{
	char st;
	uint64_t start;
	const char *line = "123 (sh) S 1 123 123 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 "
			   "5555 1000 100 18446744073709551615\n";
	CHECK_INT(proc_parse_stat(line, &st, &start), 0);
	CHECK_INT(st, 'S');
	CHECK_INT(start, 5555);
	/* a comm with spaces and parentheses */
	const char *evil = "7 (a) b) c (d) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0\n";
	CHECK_INT(proc_parse_stat(evil, &st, &start), 0);
	CHECK_INT(st, 'Z');
	CHECK_INT(start, 77);
	CHECK_INT(proc_parse_stat("1 (x) S 1 2 3\n", &st, &start), -EINVAL);
	CHECK_INT(proc_parse_stat("garbage", &st, &start), -EINVAL);
	CHECK_INT(proc_parse_stat("1 (x)", &st, &start), -EINVAL);
}

TEST(own_start_time)
{
	uint64_t a, b;
	CHECK_INT(proc_pid_start(getpid(), &a), 0);
	CHECK_INT(proc_pid_start(getpid(), &b), 0);
	CHECK_INT(a, b);
	CHECK_INT(proc_pid_start(0, &a), -ESRCH);
	char boot[37];
	ipam_boot_id(boot);
	CHECK_INT(strlen(boot), 36);
	struct ipam_owner self;
	CHECK_INT(ipam_owner_pid(getpid(), &self, NULL), 0);
	CHECK_STR(self.boot, boot);
	struct ipam_owner o;
	CHECK_INT(ipam_parse_owner("sandbox:abc", &o, NULL), 0);
	CHECK_INT(o.kind, IPAM_OWNER_SANDBOX);
	CHECK(ipam_parse_owner("sandbox:../x", &o, NULL) < 0);
	CHECK_INT(ipam_owner_sandbox("sb", getpid(), &o, NULL), 0);
	CHECK_INT(o.kind, IPAM_OWNER_SANDBOX);
	CHECK_INT(o.pid, getpid());
	CHECK_INT(o.start, a);
	char lease[256];
	CHECK(ipam_format_lease(&o, lease, sizeof(lease)) > 0);
	CHECK(strncmp(lease, "sandbox sb\npid ", 15) == 0);
	CHECK(ipam_parse_owner("pid:0", &o, NULL) < 0);
	CHECK(ipam_parse_owner("pid:12x", &o, NULL) < 0);
	CHECK(ipam_parse_owner("nobody", &o, NULL) < 0);
}

int main(void)
{
	RUN(addr_parse_strict);
	RUN(cidr_parse);
	RUN(next_skips_gateway_network_broadcast);
	RUN(next_tiny_subnets);
	RUN(lease_roundtrip);
	RUN(lease_junk_rejected);
	RUN(stat_field_22);
	RUN(own_start_time);
	DONE();
}
