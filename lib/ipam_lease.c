/* IPAM's words: addresses and subnets, lease files' text, and who owns a
 * lease (a sandbox, or a pid with its start time and the boot it ran in).
 * The state dir that holds the leases is lib/ipam.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipam.h"
#include "proc.h"
#include "rtnl.h"
#include "util.h"

/* ---- pure parts ---- */

int ipam_parse_addr(const char *s, uint32_t *addr, struct err *e)
{
	uint32_t a = 0;
	const char *p = s;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		if (*p == '0' && p[1] >= '0' && p[1] <= '9')
			goto bad;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			goto bad;
		a = a << 8 | v;
		if (i < 3 && *p++ != '.')
			goto bad;
	}
	if (*p)
		goto bad;
	*addr = a;
	return 0;
bad:
	return err_set(e, EINVAL, "bad IPv4 address '%s'", s);
}

int ipam_parse_cidr(const char *s, struct ipam_subnet *sn, struct err *e)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	uint32_t a;
	uint64_t p;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return err_set(e, EINVAL, "bad subnet '%s' (want A.B.C.D/PREFIX)", s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (ipam_parse_addr(buf, &a, NULL) < 0 ||
	    (slash[1] == '0' && slash[2]) ||
	    parse_u64(slash + 1, 0, 32, &p, NULL) < 0)
		return err_set(e, EINVAL, "bad subnet '%s' (want A.B.C.D/PREFIX)", s);
	if (p < IPAM_MIN_PREFIX)
		return err_set(e, EINVAL, "subnet '%s': prefix shorter than /%d", s,
			       IPAM_MIN_PREFIX);
	uint32_t mask = p ? ~0u << (32 - p) : 0;
	if (a & ~mask)
		return err_set(e, EINVAL, "subnet '%s' has host bits set", s);
	sn->net = a;
	sn->prefix = (unsigned)p;
	return 0;
}

void ipam_fmt_addr(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

void ipam_fmt_cidr(const struct ipam_subnet *sn, char buf[20])
{
	char a[16];
	ipam_fmt_addr(sn->net, a);
	snprintf(buf, 20, "%s/%u", a, sn->prefix);
}

uint32_t ipam_broadcast(const struct ipam_subnet *sn)
{
	return sn->net | (sn->prefix >= 32 ? 0 : ~0u >> sn->prefix);
}

int ipam_contains(const struct ipam_subnet *sn, uint32_t a)
{
	uint32_t mask = sn->prefix ? ~0u << (32 - sn->prefix) : 0;
	return (a & mask) == sn->net;
}

uint32_t ipam_next(const struct ipam_subnet *sn, uint32_t gw, uint32_t cur)
{
	if (sn->prefix > IPAM_MAX_PREFIX)
		return 0;
	uint32_t first = sn->net + 1, last = ipam_broadcast(sn) - 1, c = cur;
	for (int i = 0; i < 2; i++) {
		c = (c < first || c >= last) ? first : c + 1;
		if (c != gw)
			return c;
	}
	return 0;
}

/* Strict decimal of at most 20 digits, no sign, no leading zeros. */
static int parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	char buf[24];
	if (n == 0 || n >= sizeof(buf) || (n > 1 && s[0] == '0'))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	return parse_u64(buf, 0, max, out, NULL) < 0 ? -EINVAL : 0;
}

int ipam_parse_lease(const char *text, size_t len, struct ipam_owner *o)
{
	struct ipam_owner r = { .kind = IPAM_OWNER_NONE };
	int have_sb = 0, have_pid = 0;
	const char *p = text, *end = text + len;

	/* A NUL would end a name early and hide what follows it. */
	if (memchr(text, 0, len))
		return -EINVAL;
	if (len > 10 && !memcmp(text, "container ", 10) && len <= IPAM_LEASE_MAX &&
	    text[len - 1] == '\n') {
		const char *id = text + 10, *sp = memchr(id, ' ', len - 10);
		size_t idn = sp ? (size_t)(sp - id) : 0, ifn = sp ? (size_t)(end - 1 - sp - 1) : 0;
		if (!sp || idn == 0 || idn > IPAM_NAME_MAX || ifn == 0 || ifn >= sizeof(r.ifname))
			return -EINVAL;
		memcpy(r.sandbox, id, idn);
		memcpy(r.ifname, sp + 1, ifn);
		if (!valid_name(r.sandbox, IPAM_NAME_MAX) || !rtnl_valid_ifname(r.ifname))
			return -EINVAL;
		r.kind = IPAM_OWNER_CONTAINER;
		*o = r;
		return 0;
	}

	if (len == 0 || len > IPAM_LEASE_MAX || memchr(text, 0, len))
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -EINVAL;	/* every line ends with a newline */
		size_t n = (size_t)(nl - p);
		if (n > 8 && !memcmp(p, "sandbox ", 8) && !have_sb) {
			if (n - 8 > IPAM_NAME_MAX)
				return -EINVAL;
			memcpy(r.sandbox, p + 8, n - 8);
			r.sandbox[n - 8] = 0;
			if (!valid_name(r.sandbox, IPAM_NAME_MAX))
				return -EINVAL;
			have_sb = 1;
		} else if (n == 5 + 36 && !memcmp(p, "boot ", 5) && have_pid && !r.boot[0]) {
			for (size_t i = 5; i < n; i++)
				if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
				      p[i] == '-'))
					return -EINVAL;
			memcpy(r.boot, p + 5, 36);
			r.boot[36] = 0;
		} else if (n > 4 && !memcmp(p, "pid ", 4) && !have_pid) {
			const char *a = p + 4, *sp = memchr(a, ' ', (size_t)(nl - a));
			uint64_t pid, start;
			if (!sp || parse_dec(a, (size_t)(sp - a), INT_MAX, &pid) < 0 || pid == 0 ||
			    parse_dec(sp + 1, (size_t)(nl - sp - 1), UINT64_MAX, &start) < 0)
				return -EINVAL;
			r.pid = (pid_t)pid;
			r.start = start;
			have_pid = 1;
		} else {
			return -EINVAL;
		}
		p = nl + 1;
	}
	if (have_sb)
		r.kind = IPAM_OWNER_SANDBOX;
	else if (have_pid)
		r.kind = IPAM_OWNER_PID;
	else
		return -EINVAL;
	*o = r;
	return 0;
}

static int valid_boot(const char *b)
{
	if (strlen(b) != 36)
		return 0;
	for (; *b; b++)
		if (!((*b >= '0' && *b <= '9') || (*b >= 'a' && *b <= 'f') || *b == '-'))
			return 0;
	return 1;
}

int ipam_format_lease(const struct ipam_owner *o, char *buf, size_t n)
{
	int k = 0;
	if (o->boot[0] && (!valid_boot(o->boot) || o->pid <= 0))
		return -EINVAL;
	switch (o->kind) {
	case IPAM_OWNER_CONTAINER:
		if (!valid_name(o->sandbox, IPAM_NAME_MAX) || !rtnl_valid_ifname(o->ifname) || o->boot[0])
			return -EINVAL;
		k = snprintf(buf, n, "container %s %s\n", o->sandbox, o->ifname);
		break;
	case IPAM_OWNER_SANDBOX:
		if (!valid_name(o->sandbox, IPAM_NAME_MAX))
			return -EINVAL;
		k = snprintf(buf, n, "sandbox %s\n", o->sandbox);
		if (o->pid > 0 && k > 0 && (size_t)k < n)
			k += snprintf(buf + k, n - (size_t)k, "pid %d %llu\n", (int)o->pid,
				      (unsigned long long)o->start);
		break;
	case IPAM_OWNER_PID:
		if (o->pid <= 0)
			return -EINVAL;
		k = snprintf(buf, n, "pid %d %llu\n", (int)o->pid, (unsigned long long)o->start);
		break;
	default:
		return -EINVAL;
	}
	if (k > 0 && (size_t)k < n && o->boot[0])
		k += snprintf(buf + k, n - (size_t)k, "boot %s\n", o->boot);
	if (k < 0 || (size_t)k >= n)
		return -ENAMETOOLONG;
	return k;
}

void ipam_boot_id(char out[37])
{
	char buf[64];
	out[0] = 0;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r < 36)
		return;
	buf[36] = 0;
	if (valid_boot(buf))
		memcpy(out, buf, 37);
}

int ipam_owner_pid(pid_t pid, struct ipam_owner *o, struct err *e)
{
	uint64_t start;
	int r = proc_pid_start(pid, &start);
	if (r < 0)
		return err_sys(e, -r, "owner pid %d", (int)pid);
	memset(o, 0, sizeof(*o));
	o->kind = IPAM_OWNER_PID;
	o->pid = pid;
	o->start = start;
	ipam_boot_id(o->boot);
	return 0;
}

int ipam_owner_sandbox(const char *id, pid_t creator, struct ipam_owner *o, struct err *e)
{
	if (!id || !valid_name(id, IPAM_NAME_MAX))
		return err_set(e, EINVAL, "bad sandbox id '%s'", id ? id : "");
	if (creator > 0) {
		int r = ipam_owner_pid(creator, o, e);
		if (r < 0)
			return r;
	} else {
		memset(o, 0, sizeof(*o));
	}
	o->kind = IPAM_OWNER_SANDBOX;
	strcpy(o->sandbox, id);
	return 0;
}

int ipam_parse_owner(const char *s, struct ipam_owner *o, struct err *e)
{
	if (!strncmp(s, "sandbox:", 8)) {
		if (!valid_name(s + 8, IPAM_NAME_MAX))
			return err_set(e, EINVAL, "bad sandbox id in owner '%s'", s);
		return ipam_owner_sandbox(s + 8, 0, o, e);
	}
	if (!strncmp(s, "pid:", 4)) {
		uint64_t pid;
		if (parse_dec(s + 4, strlen(s + 4), INT_MAX, &pid) < 0 || pid == 0)
			return err_set(e, EINVAL, "bad pid in owner '%s'", s);
		return ipam_owner_pid((pid_t)pid, o, e);
	}
	return err_set(e, EINVAL, "bad owner '%s' (want sandbox:ID or pid:PID)", s);
}
