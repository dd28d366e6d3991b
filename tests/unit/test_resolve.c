/* lib/resolve.c: literals, hosts file, DNS replies crafted by hand, and the
 * query path against a responder on loopback in a new network namespace. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "resolve.h"

static uint8_t msg[1024];
static size_t mlen;

/* A reply to the query (id, name, qtype) with rcode and ancount; answers are
 * appended with rr(). */
static void reply(uint16_t id, const char *name, int qtype, int rcode, int an)
{
	int q = dns_query(msg, sizeof(msg), id, name, qtype);
	mlen = q < 0 ? 0 : (size_t)q;
	msg[2] |= 0x80;
	msg[3] = 0x80 | rcode;
	msg[7] = an;
}

/* owner at offset 12 (the question's name) when owner is NULL */
static void rr(const uint8_t *owner, size_t ol, int type, const void *data, size_t dl)
{
	static const uint8_t q[2] = { 0xc0, 12 };
	if (!owner) {
		owner = q;
		ol = 2;
	}
	memcpy(msg + mlen, owner, ol);
	mlen += ol;
	uint8_t h[10] = { 0, type, 0, 1, 0, 0, 0, 60, dl >> 8, dl };
	memcpy(msg + mlen, h, 10);
	memcpy(msg + mlen + 10, data, dl);
	mlen += 10 + dl;
}

static const char *addr(const union resolve_sa *s)
{
	static char b[64];
	inet_ntop(s->sa.sa_family, s->sa.sa_family == AF_INET ? (void *)&s->in.sin_addr
			: (void *)&s->in6.sin6_addr, b, sizeof(b));
	return b;
}

TEST(query_is_wire_format)
{
	uint8_t b[64];
	static const uint8_t want[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'r', 'e', 'g', 2, 'i', 'o', 0, 0, 1, 0, 1 };
	CHECK_INT(dns_query(b, sizeof(b), 0x1234, "reg.io", 1), sizeof(want));
	CHECK(!memcmp(b, want, sizeof(want)));
	CHECK_INT(dns_query(b, sizeof(b), 1, "a..b", 1), -EINVAL);
	CHECK_INT(dns_query(b, sizeof(b), 1, ".a", 1), -EINVAL);
	CHECK_INT(dns_query(b, 20, 1, "registry.example", 1), -EINVAL);
	char l[80];
	memset(l, 'a', 64);
	l[64] = 0;
	CHECK_INT(dns_query(msg, sizeof(msg), 1, l, 1), -EINVAL);
}

TEST(parse_follows_cname_and_checks_everything)
{
	union resolve_sa o[RESOLVE_MAX];
	int n = 0;
	static const uint8_t a1[4] = { 10, 1, 2, 3 }, a2[4] = { 10, 1, 2, 4 };
	/* reg.io CNAME cdn.io (written as a label + pointer to "io"), two A */
	static const uint8_t cdn[] = { 3, 'c', 'd', 'n', 0xc0, 16 };
	reply(0x4242, "reg.io", 1, 0, 3);
	rr(NULL, 0, 5, cdn, sizeof(cdn));
	size_t cdn_at = mlen - sizeof(cdn);
	uint8_t own[2] = { 0xc0 | cdn_at >> 8, cdn_at & 0xff };
	rr(own, 2, 1, a1, 4);
	rr(own, 2, 1, a2, 4);
	CHECK_INT(dns_parse(msg, mlen, 0x4242, "reg.io", 1, 443, o, &n, RESOLVE_MAX), 0);
	CHECK_INT(n, 2);
	CHECK_STR(addr(&o[0]), "10.1.2.3");
	CHECK_STR(addr(&o[1]), "10.1.2.4");
	CHECK_INT(ntohs(o[0].in.sin_port), 443);
	/* the question's name is compared without case */
	n = 0;
	CHECK_INT(dns_parse(msg, mlen, 0x4242, "REG.io", 1, 443, o, &n, 1), 0);
	CHECK_INT(n, 1);
	/* not ours: other id, other name, other type, a query, truncated */
	n = 0;
	CHECK_INT(dns_parse(msg, mlen, 0x4243, "reg.io", 1, 443, o, &n, 8), -EPROTO);
	CHECK_INT(dns_parse(msg, mlen, 0x4242, "reh.io", 1, 443, o, &n, 8), -EPROTO);
	CHECK_INT(dns_parse(msg, mlen, 0x4242, "reg.io", 28, 443, o, &n, 8), -EPROTO);
	for (size_t cut = 0; cut < mlen; cut++) {
		int r = dns_parse(msg, cut, 0x4242, "reg.io", 1, 443, o, &n, 8);
		CHECK(r == -EPROTO);
	}
	CHECK_INT(n, 0);
	msg[2] &= 0x7f;
	CHECK_INT(dns_parse(msg, mlen, 0x4242, "reg.io", 1, 443, o, &n, 8), -EPROTO);
	/* an A record of another name is not taken */
	reply(7, "reg.io", 1, 0, 1);
	rr(own, 2, 1, a1, 4);
	msg[mlen - 15] = 0xff;	/* pointer now past the end: broken */
	CHECK_INT(dns_parse(msg, mlen, 7, "reg.io", 1, 443, o, &n, 8), -EPROTO);
	static const uint8_t other[] = { 1, 'x', 0 };
	reply(7, "reg.io", 1, 0, 1);
	rr(other, sizeof(other), 1, a1, 4);
	CHECK_INT(dns_parse(msg, mlen, 7, "reg.io", 1, 443, o, &n, 8), 0);
	CHECK_INT(n, 0);
	/* wrong rdata length, count larger than the records */
	reply(7, "reg.io", 1, 0, 1);
	rr(NULL, 0, 1, a1, 3);
	CHECK_INT(dns_parse(msg, mlen, 7, "reg.io", 1, 443, o, &n, 8), 0);
	CHECK_INT(n, 0);
	msg[7] = 2;
	CHECK_INT(dns_parse(msg, mlen, 7, "reg.io", 1, 443, o, &n, 8), -EPROTO);
	/* a pointer loop */
	reply(7, "reg.io", 1, 0, 1);
	uint8_t loop[2] = { 0xc0, mlen >> 0 };
	rr(loop, 2, 1, a1, 4);
	CHECK_INT(dns_parse(msg, mlen, 7, "reg.io", 1, 443, o, &n, 8), -EPROTO);
	/* a CNAME loop ends */
	reply(7, "reg.io", 1, 0, 2);
	rr(NULL, 0, 5, cdn, sizeof(cdn));
	cdn_at = mlen - sizeof(cdn);
	own[0] = 0xc0 | cdn_at >> 8;
	own[1] = cdn_at & 0xff;
	uint8_t back[2] = { 0xc0, 12 };
	rr(own, 2, 5, back, 2);
	CHECK_INT(dns_parse(msg, mlen, 7, "reg.io", 1, 443, o, &n, 8), 0);
	CHECK_INT(n, 0);
	/* NXDOMAIN, SERVFAIL; AAAA */
	reply(9, "reg.io", 28, 3, 0);
	CHECK_INT(dns_parse(msg, mlen, 9, "reg.io", 28, 443, o, &n, 8), -ENOENT);
	reply(9, "reg.io", 28, 2, 0);
	CHECK_INT(dns_parse(msg, mlen, 9, "reg.io", 28, 443, o, &n, 8), -EAGAIN);
	static const uint8_t a6[16] = { 0xfd, 0, [15] = 1 };
	reply(9, "reg.io", 28, 0, 1);
	rr(NULL, 0, 28, a6, 16);
	CHECK_INT(dns_parse(msg, mlen, 9, "reg.io", 28, 443, o, &n, 8), 0);
	CHECK_INT(n, 1);
	CHECK_STR(addr(&o[0]), "fd00::1");
}

static char dir[] = "/tmp/test_resolve.XXXXXX";

static void put(const char *name, const char *s)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	fputs(s, f);
	fclose(f);
}

TEST(literals_and_hosts)
{
	char h[128], r[128];
	snprintf(h, sizeof(h), "%s/hosts", dir);
	snprintf(r, sizeof(r), "%s/none", dir);
	put("hosts", "# c\n10.0.0.9 reg.local other # x\n\nfd00::9\treg.local\n");
	struct resolve_conf c = { .resolv_conf = r, .hosts = h, .timeout_ms = 100 };
	union resolve_sa o[RESOLVE_MAX];
	struct err e = { 0 };
	CHECK_INT(resolve("192.0.2.1", 80, &c, o, RESOLVE_MAX, &e), 1);
	CHECK_STR(addr(&o[0]), "192.0.2.1");
	CHECK_INT(resolve("::1", 80, &c, o, RESOLVE_MAX, &e), 1);
	CHECK_INT(o[0].sa.sa_family, AF_INET6);
	CHECK_INT(resolve("REG.local.", 80, &c, o, RESOLVE_MAX, &e), 2);
	CHECK_STR(addr(&o[0]), "10.0.0.9");
	CHECK_STR(addr(&o[1]), "fd00::9");
	CHECK_INT(resolve("other", 80, &c, o, RESOLVE_MAX, &e), 1);
}

/* Answers A queries for reg.test (CNAME cdn.test, A 10.9.8.7), AAAA with no
 * record, NXDOMAIN for anything else; drops the first query it sees. */
static void responder(int fd)
{
	uint8_t b[512];
	int seen = 0;
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
		if (n < 17 || seen++ == 0)
			continue;
		char name[64];
		int qt = b[n - 3];
		size_t p = 12, o = 0;
		while (p < (size_t)n && b[p] && o + b[p] + 1 < sizeof(name)) {
			if (o)
				name[o++] = '.';
			memcpy(name + o, b + p + 1, b[p]);
			o += b[p];
			p += b[p] + 1;
		}
		name[o] = 0;
		reply(b[0] << 8 | b[1], name, qt, strcmp(name, "reg.test") ? 3 : 0, 0);
		if (!strcmp(name, "reg.test") && qt == 1) {
			static const uint8_t cdn[] = { 3, 'c', 'd', 'n', 0xc0, 16 };
			static const uint8_t a[4] = { 10, 9, 8, 7 };
			msg[7] = 2;
			rr(NULL, 0, 5, cdn, sizeof(cdn));
			uint8_t own[2] = { 0xc0, mlen - sizeof(cdn) };
			rr(own, 2, 1, a, 4);
		}
		sendto(fd, msg, mlen, 0, (struct sockaddr *)&from, fl);
	}
}

TEST(queries_a_responder_in_a_new_netns)
{
	if (geteuid() != 0) {
		printf("# not root: skipped\n");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(3);
		struct ifreq ifr = { .ifr_name = "lo", .ifr_flags = IFF_UP };
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			_exit(4);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
		sa.sin_addr.s_addr = htonl(0x7f000001);
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(5);
		pid_t r = fork();
		if (r == 0)
			responder(s);
		close(s);
		char h[128], rc[128];
		snprintf(h, sizeof(h), "%s/hosts", dir);
		snprintf(rc, sizeof(rc), "%s/resolv.conf", dir);
		/* 127.0.0.2 refuses (nothing listens there), then the responder */
		put("resolv.conf", "search x\nnameserver 127.0.0.2\nnameserver 127.0.0.1\n");
		struct resolve_conf c = { .resolv_conf = rc, .hosts = h, .timeout_ms = 300 };
		union resolve_sa o[RESOLVE_MAX];
		struct err e = { 0 };
		CHECK_INT(resolve("reg.test", 5000, &c, o, RESOLVE_MAX, &e), 1);
		CHECK_STR(addr(&o[0]), "10.9.8.7");
		CHECK_INT(ntohs(o[0].in.sin_port), 5000);
		CHECK_INT(resolve("nope.test", 5000, &c, o, RESOLVE_MAX, &e), -EHOSTUNREACH);
		CHECK(strstr(e.msg, "nope.test: cannot resolve: no such host") != NULL);
		put("resolv.conf", "nameserver 127.0.0.3\n");
		CHECK(resolve("reg.test", 5000, &c, o, RESOLVE_MAX, &e) < 0);
		CHECK(strstr(e.msg, "reg.test: cannot resolve") != NULL);
		kill(r, SIGKILL);
		waitpid(r, NULL, 0);
		fflush(stdout);
		_exit(t_cur_failed);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK_INT(st, 0);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(query_is_wire_format);
	RUN(parse_follows_cname_and_checks_everything);
	RUN(literals_and_hosts);
	RUN(queries_a_responder_in_a_new_netns);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	DONE();
}
