#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "caps.h"

static const char *const names[] = {
	[CAP_CHOWN] = "CAP_CHOWN",
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_FOWNER] = "CAP_FOWNER",
	[CAP_FSETID] = "CAP_FSETID",
	[CAP_KILL] = "CAP_KILL",
	[CAP_SETGID] = "CAP_SETGID",
	[CAP_SETUID] = "CAP_SETUID",
	[CAP_SETPCAP] = "CAP_SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
	[CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	[CAP_NET_RAW] = "CAP_NET_RAW",
	[CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	[CAP_IPC_OWNER] = "CAP_IPC_OWNER",
	[CAP_SYS_MODULE] = "CAP_SYS_MODULE",
	[CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
	[CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_PACCT] = "CAP_SYS_PACCT",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_BOOT] = "CAP_SYS_BOOT",
	[CAP_SYS_NICE] = "CAP_SYS_NICE",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYS_TIME] = "CAP_SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
	[CAP_MKNOD] = "CAP_MKNOD",
	[CAP_LEASE] = "CAP_LEASE",
	[CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
	[CAP_SETFCAP] = "CAP_SETFCAP",
	[CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "CAP_AUDIT_READ",
	[CAP_PERFMON] = "CAP_PERFMON",
	[CAP_BPF] = "CAP_BPF",
	[CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};
_Static_assert(sizeof(names) / sizeof(names[0]) == CAP_LAST_CAP + 1, "a capability without a name");

const uint64_t caps_default =
	CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_FSETID) |
	CAP_BIT(CAP_FOWNER) | CAP_BIT(CAP_MKNOD) | CAP_BIT(CAP_NET_RAW) |
	CAP_BIT(CAP_SETGID) | CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETFCAP) |
	CAP_BIT(CAP_SETPCAP) | CAP_BIT(CAP_NET_BIND_SERVICE) |
	CAP_BIT(CAP_SYS_CHROOT) | CAP_BIT(CAP_KILL) | CAP_BIT(CAP_AUDIT_WRITE);

const uint64_t caps_all = (CAP_BIT(CAP_LAST_CAP) << 1) - 1;

int cap_from_name(const char *name)
{
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (!strcasecmp(name, names[c] + 4))
			return c;
	return -EINVAL;
}

const char *cap_name(int cap)
{
	return cap >= 0 && cap <= CAP_LAST_CAP ? names[cap] : NULL;
}

int caps_parse(const char *name, uint64_t *set, struct err *e)
{
	if (!strcasecmp(name, "ALL") || !strcasecmp(name, "CAP_ALL")) {
		*set = caps_all;
		return 0;
	}
	int c = cap_from_name(name);
	if (c < 0)
		return err_set(e, EINVAL, "unknown capability \"%s\"", name);
	*set = CAP_BIT(c);
	return 0;
}

int caps_parse_list(const char *list, uint64_t *set, struct err *e)
{
	char word[64];
	uint64_t acc = 0;

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(word))
			return err_set(e, EINVAL, "bad capability list \"%s\"", list);
		memcpy(word, p, n);
		word[n] = 0;
		uint64_t one;
		int r = caps_parse(word, &one, e);
		if (r < 0)
			return r;
		acc |= one;
		p += n;
		if (*p == ',' && !*++p)
			return err_set(e, EINVAL, "bad capability list \"%s\"", list);
	}
	*set = acc;
	return 0;
}

/* capget/capset by raw syscall: musl has no wrapper. */
static int cap_sets(int set, struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	long r = syscall(set ? SYS_capset : SYS_capget, &h, d);
	return r < 0 ? -errno : 0;
}

static uint64_t join(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

int caps_get(uint64_t *eff, uint64_t *prm, uint64_t *inh, struct err *e)
{
	struct __user_cap_data_struct d[2];
	int r = cap_sets(0, d);
	if (r < 0)
		return err_sys(e, r, "capget");
	if (eff)
		*eff = join(d[0].effective, d[1].effective);
	if (prm)
		*prm = join(d[0].permitted, d[1].permitted);
	if (inh)
		*inh = join(d[0].inheritable, d[1].inheritable);
	return 0;
}

static int set_all(uint64_t eff, uint64_t prm, uint64_t inh, struct err *e)
{
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};
	int r = cap_sets(1, d);
	return r < 0 ? err_sys(e, r, "capset") : 0;
}

/* The capabilities the running kernel knows: "ALL" from a newer build
 * means all of these. */
int caps_last(void)
{
	static int last;	/* +1: 0 is not known yet */
	if (!last) {
		int lo = 0, hi = 64;	/* PR_CAPBSET_READ knows lo, not hi */
		while (hi - lo > 1) {
			int m = (lo + hi) / 2;
			if (prctl(PR_CAPBSET_READ, m, 0, 0, 0) < 0)
				hi = m;
			else
				lo = m;
		}
		last = lo + 1;
	}
	return last - 1;
}

int caps_apply(uint64_t keep, struct err *e)
{
	uint64_t prm;
	int r = caps_get(NULL, &prm, NULL, e);
	if (r < 0)
		return r;
	/* Up to the kernel's last only, so no call here fails when all is
	 * well (see caps.h) */
	int last = caps_last();
	for (int c = 0; c <= last; c++)
		if (!(keep & CAP_BIT(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			const char *n = cap_name(c);
			if (n)
				return err_sys(e, errno, "dropping %s from the bounding set", n);
			return err_sys(e, errno, "dropping capability %d from the bounding set", c);
		}
	keep &= last == 63 ? ~(uint64_t)0 : CAP_BIT(last + 1) - 1;
	uint64_t missing = keep & ~prm;
	if (missing) {
		int c = __builtin_ctzll(missing);
		const char *n = cap_name(c);
		return err_set(e, EPERM, "capability %s is not held, cannot keep it", n ? n : "?");
	}
	/* fails only where there is no ambient set (before Linux 4.3) */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return set_all(keep, keep, 0, e);
}

int caps_lower(int cap, struct err *e)
{
	uint64_t eff, prm, inh;
	int r = caps_get(&eff, &prm, &inh, e);
	if (r < 0)
		return r;
	uint64_t m = ~CAP_BIT(cap);
	return set_all(eff & m, prm & m, inh & m, e);
}
