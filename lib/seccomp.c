#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

/* Two back ends compile a profile's rules to BPF. corral itself uses its
 * own, lib/bpf.c, for x86_64 with its x86 and x32 sub-architectures (and
 * tools/seccomp-bpf.c uses it to precompile the built-in profile).
 * libseccomp remains a dependency for the tests only: built with
 * SECCOMP_LIBSECCOMP, this file hands the same rules to libseccomp
 * instead, which tests/unit/test_seccomp_oracle.c uses as the reference
 * that every verdict of our programs must equal. */
#ifdef SECCOMP_LIBSECCOMP
#define CORRAL_LIBSECCOMP
#endif
#include "seccomp.h"
#include "caps.h"
#include "json.h"
#include "util.h"
#include "seccomp-default.json.z.h"
#ifndef SECCOMP_LIBSECCOMP
#include "bpf.h"
#endif
#ifndef SECCOMP_NO_PRECOMPILED
#include "lz.h"
#include "seccomp-default.bpf.h"
#endif

struct sc_filter {
	struct sock_fprog prog;
	unsigned int flags;	/* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* The native architecture as Docker names it in includes/excludes.arches
 * (Go's GOARCH, with 386 called x86). */
#if defined(__x86_64__) && !defined(__ILP32__)
#define NATIVE_ARCH "amd64"
#elif defined(__x86_64__)
#define NATIVE_ARCH "x32"
#elif defined(__i386__)
#define NATIVE_ARCH "x86"
#elif defined(__aarch64__)
#define NATIVE_ARCH "arm64"
#elif defined(__arm__)
#define NATIVE_ARCH "arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH "riscv64"
#elif defined(__s390x__)
#define NATIVE_ARCH "s390x"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH "ppc64le"
#elif defined(__loongarch64)
#define NATIVE_ARCH "loong64"
#else
#define NATIVE_ARCH ""
#endif

/* Everything one compilation needs; `at` is the JSON path of the value
 * being read, for error messages. */
#ifdef SECCOMP_LIBSECCOMP
#define ACT_ALLOW SCMP_ACT_ALLOW
#define ACT_ERRNO(x) SCMP_ACT_ERRNO(x)
#define ACT_KILL_THREAD SCMP_ACT_KILL_THREAD
#define ACT_KILL_PROCESS SCMP_ACT_KILL_PROCESS
#define ACT_TRAP SCMP_ACT_TRAP
#define ACT_TRACE(x) SCMP_ACT_TRACE(x)
#define ACT_LOG SCMP_ACT_LOG
typedef struct scmp_arg_cmp cmp_t;
#define CMP_NE SCMP_CMP_NE
#define CMP_LT SCMP_CMP_LT
#define CMP_LE SCMP_CMP_LE
#define CMP_EQ SCMP_CMP_EQ
#define CMP_GE SCMP_CMP_GE
#define CMP_GT SCMP_CMP_GT
#define CMP_MASKED_EQ SCMP_CMP_MASKED_EQ
#else
#define ACT_ALLOW SECCOMP_RET_ALLOW
#define ACT_ERRNO(x) (SECCOMP_RET_ERRNO | ((x) & SECCOMP_RET_DATA))
#define ACT_KILL_THREAD SECCOMP_RET_KILL_THREAD
#define ACT_KILL_PROCESS SECCOMP_RET_KILL_PROCESS
#define ACT_TRAP SECCOMP_RET_TRAP
#define ACT_TRACE(x) (SECCOMP_RET_TRACE | ((x) & SECCOMP_RET_DATA))
#define ACT_LOG SECCOMP_RET_LOG
typedef struct bpf_cmp cmp_t;
#define CMP_NE BPF_CMP_NE
#define CMP_LT BPF_CMP_LT
#define CMP_LE BPF_CMP_LE
#define CMP_EQ BPF_CMP_EQ
#define CMP_GE BPF_CMP_GE
#define CMP_GT BPF_CMP_GT
#define CMP_MASKED_EQ BPF_CMP_MASKED_EQ
#endif

struct pc {
	const struct json *j;
#ifdef SECCOMP_LIBSECCOMP
	scmp_filter_ctx ctx;
#else
	struct bpf_rules rs;
#endif
	uint64_t caps;
	uint32_t defact;
	int kmajor, kminor;	/* running kernel, -1 until asked */
	char at[96];
	struct err *e;
};

static int bad(struct pc *p, const char *fmt, const char *what)
{
	return err_set(p->e, EINVAL, "seccomp profile: %s: %s%s", p->at, fmt, what ? what : "");
}

static int want(struct pc *p, int t, enum json_type type, const char *name)
{
	if (json_type(p->j, t) != type)
		return err_set(p->e, EINVAL, "seccomp profile: %s: expected %s", p->at, name);
	return 0;
}

static int get_str(struct pc *p, int t, char *buf, size_t n)
{
	int r = want(p, t, JSON_STRING, "a string");
	if (r < 0)
		return r;
	if (json_str(p->j, t, buf, n, NULL) < 0)
		return bad(p, "string too long", NULL);
	return 0;
}

static int get_u64(struct pc *p, int t, uint64_t max, uint64_t *v)
{
	int r = want(p, t, JSON_NUMBER, "a number");
	if (r < 0)
		return r;
	if (json_u64(p->j, t, v, NULL) < 0 || *v > max)
		return err_set(p->e, EINVAL, "seccomp profile: %s: expected an integer from 0 to %llu",
			       p->at, (unsigned long long)max);
	return 0;
}

#ifdef SECCOMP_LIBSECCOMP
/* "SCMP_ARCH_X86_64" -> libseccomp's token, 0 when unknown. */
static uint32_t arch_token(const char *name)
{
	char low[32];
	size_t i;

	if (strncmp(name, "SCMP_ARCH_", 10))
		return 0;
	name += 10;
	for (i = 0; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = 0;
	return name[i] ? 0 : seccomp_arch_resolve_name(low);
}
#define NATIVE_TOKEN ((uint32_t)seccomp_arch_native())
#else
/* "SCMP_ARCH_X86_64" -> BPF_ARCH_*, 8 for the other architectures libseccomp
 * knows (no x86 process can make their system calls, so their sections
 * are left out), 0 when unknown. */
static uint32_t arch_token(const char *name)
{
	static const char other[] = "ARM\0AARCH64\0MIPS\0MIPSEL\0MIPS64\0MIPSEL64\0MIPS64N32\0"
		"MIPSEL64N32\0PARISC\0PARISC64\0PPC\0PPC64\0PPC64LE\0S390\0S390X\0RISCV64\0";

	if (strncmp(name, "SCMP_ARCH_", 10))
		return 0;
	name += 10;
	if (!strcmp(name, "X86_64"))
		return BPF_ARCH_X86_64;
	if (!strcmp(name, "X86"))
		return BPF_ARCH_X86;
	if (!strcmp(name, "X32"))
		return BPF_ARCH_X32;
	for (const char *o = other; *o; o += strlen(o) + 1)
		if (!strcmp(name, o))
			return 8;
	return 0;
}
#define NATIVE_TOKEN BPF_ARCH_X86_64
#endif

static int add_arch(struct pc *p, int t)
{
	char name[32];
	int r = get_str(p, t, name, sizeof(name));
	if (r < 0)
		return r;
	uint32_t a = arch_token(name);
	if (!a)
		return bad(p, "unknown architecture ", name);
#ifdef SECCOMP_LIBSECCOMP
	r = seccomp_arch_add(p->ctx, a);
	if (r < 0 && r != -EEXIST)
		return err_sys(p->e, r, "seccomp profile: %s: adding %s", p->at, name);
#else
	p->rs.arches |= a & 7;
#endif
	return 0;
}

static int arches(struct pc *p, int root)
{
	int list = json_get(p->j, root, "architectures");
	int map = json_get(p->j, root, "archMap");
	int r;

	if (list >= 0 && json_type(p->j, list) == JSON_NULL)
		list = -1;
	if (map >= 0 && json_type(p->j, map) == JSON_NULL)
		map = -1;
	if (list >= 0 && map >= 0 && json_len(p->j, list) && json_len(p->j, map))
		return err_set(p->e, EINVAL, "seccomp profile: both architectures and archMap are given; use one");
	if (list >= 0) {
		snprintf(p->at, sizeof(p->at), "architectures");
		if ((r = want(p, list, JSON_ARRAY, "an array")) < 0)
			return r;
		for (int i = 0; i < json_len(p->j, list); i++) {
			snprintf(p->at, sizeof(p->at), "architectures[%d]", i);
			if ((r = add_arch(p, json_at(p->j, list, i))) < 0)
				return r;
		}
	}
	if (map < 0)
		return 0;
	snprintf(p->at, sizeof(p->at), "archMap");
	if ((r = want(p, map, JSON_ARRAY, "an array")) < 0)
		return r;
	for (int i = 0; i < json_len(p->j, map); i++) {
		int m = json_at(p->j, map, i), a, subs;
		char name[32];
		snprintf(p->at, sizeof(p->at), "archMap[%d]", i);
		if ((r = want(p, m, JSON_OBJECT, "an object")) < 0)
			return r;
		snprintf(p->at, sizeof(p->at), "archMap[%d].architecture", i);
		if ((a = json_get(p->j, m, "architecture")) < 0)
			return bad(p, "missing", NULL);
		if ((r = get_str(p, a, name, sizeof(name))) < 0)
			return r;
		uint32_t tok = arch_token(name);
		if (!tok)
			return bad(p, "unknown architecture ", name);
		if (tok != NATIVE_TOKEN)
			continue;
		/* The native architecture is in every filter already. */
		subs = json_get(p->j, m, "subArchitectures");
		if (subs < 0 || json_type(p->j, subs) == JSON_NULL)
			continue;
		snprintf(p->at, sizeof(p->at), "archMap[%d].subArchitectures", i);
		if ((r = want(p, subs, JSON_ARRAY, "an array")) < 0)
			return r;
		for (int k = 0; k < json_len(p->j, subs); k++) {
			snprintf(p->at, sizeof(p->at), "archMap[%d].subArchitectures[%d]", i, k);
			if ((r = add_arch(p, json_at(p->j, subs, k))) < 0)
				return r;
		}
	}
	return 0;
}

static int flags(struct pc *p, int root, unsigned int *out)
{
	static const struct { const char *name; unsigned int flag; } known[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
		{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	};
	int t = json_get(p->j, root, "flags"), r;
	char name[48];

	*out = 0;
	if (t < 0 || json_type(p->j, t) == JSON_NULL)
		return 0;
	snprintf(p->at, sizeof(p->at), "flags");
	if ((r = want(p, t, JSON_ARRAY, "an array")) < 0)
		return r;
	for (int i = 0; i < json_len(p->j, t); i++) {
		snprintf(p->at, sizeof(p->at), "flags[%d]", i);
		if ((r = get_str(p, json_at(p->j, t, i), name, sizeof(name))) < 0)
			return r;
		size_t k;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (!strcmp(name, known[k].name))
				break;
		if (k == sizeof(known) / sizeof(known[0]))
			return bad(p, "unknown flag ", name);
		*out |= known[k].flag;
	}
	return 0;
}

/* action + errnoRet (a member of object t, or the default's key) */
static int action(struct pc *p, int obj, const char *akey, const char *ekey, uint32_t *act)
{
	char name[32];
	uint64_t ret = EPERM;
	int t = json_get(p->j, obj, akey), r;
	size_t base = strlen(p->at);

	snprintf(p->at + base, sizeof(p->at) - base, "%s", akey);
	if (t < 0)
		return bad(p, "missing", NULL);
	if ((r = get_str(p, t, name, sizeof(name))) < 0)
		return r;
	int et = json_get(p->j, obj, ekey);
	if (et >= 0 && json_type(p->j, et) != JSON_NULL) {
		snprintf(p->at + base, sizeof(p->at) - base, "%s", ekey);
		if ((r = get_u64(p, et, 0xffff, &ret)) < 0)
			return r;
		snprintf(p->at + base, sizeof(p->at) - base, "%s", akey);
	}
	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		*act = ACT_ALLOW;
	else if (!strcmp(name, "SCMP_ACT_ERRNO") && ret > 4094) {
		/* what libseccomp accepts: the kernel's errno range */
		snprintf(p->at + base, sizeof(p->at) - base, "%s", ekey);
		return err_set(p->e, EINVAL, "seccomp profile: %s: expected an errno from 0 to 4094", p->at);
	} else if (!strcmp(name, "SCMP_ACT_ERRNO"))
		*act = ACT_ERRNO((uint32_t)ret);
	else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		*act = ACT_KILL_THREAD;
	else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		*act = ACT_KILL_PROCESS;
	else if (!strcmp(name, "SCMP_ACT_TRAP"))
		*act = ACT_TRAP;
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		*act = ACT_TRACE((uint32_t)ret);
	else if (!strcmp(name, "SCMP_ACT_LOG"))
		*act = ACT_LOG;
	else if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return bad(p, "SCMP_ACT_NOTIFY needs a seccomp agent, which corral does not run", NULL);
	else
		return bad(p, "unknown action ", name);
	p->at[base] = 0;
	return 0;
}

/* "6.18.0-1-amd64" -> 6, 18; *end is where the digits stopped. */
static bool version(const char *s, int *maj, int *min, const char **end)
{
	long v[2] = { 0, 0 };

	for (int i = 0; i < 2; i++) {
		if (i && *s++ != '.')
			return false;
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++)
			if ((v[i] = v[i] * 10 + (*s - '0')) > 99999)
				return false;
	}
	*maj = (int)v[0];
	*min = (int)v[1];
	*end = s;
	return true;
}

static int kernel_at_least(struct pc *p, const char *want_ver, bool *yes)
{
	int maj, min;
	const char *end;

	if (!version(want_ver, &maj, &min, &end) || *end)
		return bad(p, "expected a kernel version like \"4.8\", not ", want_ver);
	if (p->kmajor < 0) {
		struct utsname u;
		if (uname(&u) < 0 || !version(u.release, &p->kmajor, &p->kminor, &end))
			return err_set(p->e, EINVAL, "seccomp profile: %s: cannot tell the kernel version", p->at);
	}
	*yes = p->kmajor > maj || (p->kmajor == maj && p->kminor >= min);
	return 0;
}

/* Docker's includes/excludes: includes hold when all caps are held, the
 * native arch is listed and the kernel is recent enough; excludes hold
 * when any one of them matches. *keep says whether the rule stays. */
static int condition(struct pc *p, int rule, const char *key, bool *keep)
{
	bool inc = key[0] == 'i';
	int t = json_get(p->j, rule, key), r, l;
	size_t base = strlen(p->at);
	char s[48];

	if (t < 0 || json_type(p->j, t) == JSON_NULL)
		return 0;
	snprintf(p->at + base, sizeof(p->at) - base, "%s", key);
	if ((r = want(p, t, JSON_OBJECT, "an object")) < 0)
		return r;
	if ((l = json_get(p->j, t, "arches")) >= 0 && json_type(p->j, l) != JSON_NULL) {
		bool found = false;
		snprintf(p->at + base, sizeof(p->at) - base, "%s.arches", key);
		if ((r = want(p, l, JSON_ARRAY, "an array")) < 0)
			return r;
		for (int i = 0; i < json_len(p->j, l); i++) {
			if ((r = get_str(p, json_at(p->j, l, i), s, sizeof(s))) < 0)
				return r;
			found |= !strcmp(s, NATIVE_ARCH);
		}
		if (json_len(p->j, l) && found != inc)
			*keep = false;
	}
	if ((l = json_get(p->j, t, "caps")) >= 0 && json_type(p->j, l) != JSON_NULL) {
		int held = 0, n = json_len(p->j, l);
		snprintf(p->at + base, sizeof(p->at) - base, "%s.caps", key);
		if ((r = want(p, l, JSON_ARRAY, "an array")) < 0)
			return r;
		for (int i = 0; i < n; i++) {
			if ((r = get_str(p, json_at(p->j, l, i), s, sizeof(s))) < 0)
				return r;
			/* Docker compares names with the bounding set: an
			 * unknown name is a capability nobody holds. */
			int c = strncmp(s, "CAP_", 4) ? -1 : cap_from_name(s);
			held += c >= 0 && (p->caps & CAP_BIT(c));
		}
		if (inc ? held < n : held > 0)
			*keep = false;
	}
	if ((l = json_get(p->j, t, "minKernel")) >= 0 && json_type(p->j, l) != JSON_NULL) {
		bool at_least = false;
		snprintf(p->at + base, sizeof(p->at) - base, "%s.minKernel", key);
		if ((r = get_str(p, l, s, sizeof(s))) < 0)
			return r;
		if (s[0] && (r = kernel_at_least(p, s, &at_least)) < 0)	/* "" is none */
			return r;
		if (s[0] && at_least != inc)
			*keep = false;
	}
	p->at[base] = 0;
	return 0;
}

static int arg(struct pc *p, int t, cmp_t *c)
{
	static const struct { const char *name; int op; } ops[] = {
		{ "SCMP_CMP_NE", CMP_NE }, { "SCMP_CMP_LT", CMP_LT },
		{ "SCMP_CMP_LE", CMP_LE }, { "SCMP_CMP_EQ", CMP_EQ },
		{ "SCMP_CMP_GE", CMP_GE }, { "SCMP_CMP_GT", CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", CMP_MASKED_EQ },
	};
	size_t base = strlen(p->at);
	uint64_t v;
	char name[32];
	int f, r;

	if ((r = want(p, t, JSON_OBJECT, "an object")) < 0)
		return r;
	memset(c, 0, sizeof(*c));
	snprintf(p->at + base, sizeof(p->at) - base, ".index");
	if ((f = json_get(p->j, t, "index")) < 0)
		return bad(p, "missing", NULL);
	if ((r = get_u64(p, f, 5, &v)) < 0)
		return r;
	c->arg = (unsigned int)v;
	snprintf(p->at + base, sizeof(p->at) - base, ".value");
	if ((f = json_get(p->j, t, "value")) >= 0 && (r = get_u64(p, f, UINT64_MAX, &c->datum_a)) < 0)
		return r;
	snprintf(p->at + base, sizeof(p->at) - base, ".valueTwo");
	if ((f = json_get(p->j, t, "valueTwo")) >= 0 && (r = get_u64(p, f, UINT64_MAX, &c->datum_b)) < 0)
		return r;
	snprintf(p->at + base, sizeof(p->at) - base, ".op");
	if ((f = json_get(p->j, t, "op")) < 0)
		return bad(p, "missing", NULL);
	if ((r = get_str(p, f, name, sizeof(name))) < 0)
		return r;
	size_t k;
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (!strcmp(name, ops[k].name))
			break;
	if (k == sizeof(ops) / sizeof(ops[0]))
		return bad(p, "unknown operator ", name);
	c->op = ops[k].op;
	p->at[base] = 0;
	return 0;
}

/* Adds a rule for the system call name; names unknown here are skipped,
 * as Docker does. */
#ifdef SECCOMP_LIBSECCOMP
static int add_rule(struct pc *p, uint32_t act, const char *name, int ncmp, const cmp_t *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add_array(p->ctx, act, nr, (unsigned)ncmp, cmp);
}
#else
static int add_rule(struct pc *p, uint32_t act, const char *name, int ncmp, const cmp_t *cmp)
{
	return bpf_rule_add(&p->rs, act, name, ncmp, cmp);
}
#endif

/* One syscalls[] entry. */
static int rule(struct pc *p, int i, int t)
{
	cmp_t cmp[6];
	int ncmp = 0, r;
	bool keep = true, split = false;
	uint32_t act;
	char name[64];

	snprintf(p->at, sizeof(p->at), "syscalls[%d]", i);
	if ((r = want(p, t, JSON_OBJECT, "an object")) < 0)
		return r;
	snprintf(p->at, sizeof(p->at), "syscalls[%d].", i);
	if ((r = action(p, t, "action", "errnoRet", &act)) < 0)
		return r;
	if ((r = condition(p, t, "includes", &keep)) < 0 || (r = condition(p, t, "excludes", &keep)) < 0)
		return r;

	int args = json_get(p->j, t, "args");
	if (args >= 0 && json_type(p->j, args) != JSON_NULL) {
		snprintf(p->at, sizeof(p->at), "syscalls[%d].args", i);
		if ((r = want(p, args, JSON_ARRAY, "an array")) < 0)
			return r;
		if (json_len(p->j, args) > 6)
			return bad(p, "more than 6 conditions", NULL);
		unsigned seen = 0;
		for (int k = 0; k < json_len(p->j, args); k++, ncmp++) {
			snprintf(p->at, sizeof(p->at), "syscalls[%d].args[%d]", i, k);
			if ((r = arg(p, json_at(p->j, args, k), &cmp[k])) < 0)
				return r;
			/* libseccomp cannot AND two conditions on one argument;
			 * runc then adds one rule per condition, and so do we. */
			split |= (seen >> cmp[k].arg) & 1;
			seen |= 1u << cmp[k].arg;
		}
	}

	int one = json_get(p->j, t, "name"), names = json_get(p->j, t, "names"), n = 1;
	if (one >= 0 && json_type(p->j, one) == JSON_NULL)
		one = -1;
	if (names >= 0 && json_type(p->j, names) == JSON_NULL)
		names = -1;
	if (one >= 0 && names >= 0 && json_len(p->j, names)) {
		snprintf(p->at, sizeof(p->at), "syscalls[%d]", i);
		return bad(p, "both name and names are given; use one", NULL);
	}
	if (one < 0) {
		snprintf(p->at, sizeof(p->at), "syscalls[%d].names", i);
		if (names < 0)
			return bad(p, "missing", NULL);
		if ((r = want(p, names, JSON_ARRAY, "an array")) < 0)
			return r;
		n = json_len(p->j, names);
	}
	for (int k = 0; k < n; k++) {
		int nt = one >= 0 ? one : json_at(p->j, names, k);
		if (one >= 0)
			snprintf(p->at, sizeof(p->at), "syscalls[%d].name", i);
		else
			snprintf(p->at, sizeof(p->at), "syscalls[%d].names[%d]", i, k);
		if ((r = get_str(p, nt, name, sizeof(name))) < 0)
			return r;
		/* Checked even for rules that do not apply, so that a typo in
		 * a type shows on every machine; the rest only when it does. */
		if (!keep || act == p->defact)
			continue;
		if (split) {
			for (int c = 0; c < ncmp && r >= 0; c++)
				r = add_rule(p, act, name, 1, &cmp[c]);
		} else {
			r = add_rule(p, act, name, ncmp, cmp);
		}
		if (r < 0)
			return err_sys(p->e, r, "seccomp profile: %s: adding a rule for %s", p->at, name);
	}
	return 0;
}

#ifdef SECCOMP_LIBSECCOMP
static int export_bpf(scmp_filter_ctx ctx, struct sc_filter *f, struct err *e)
{
	int fd = memfd_create("corral-seccomp", MFD_CLOEXEC), r;
	if (fd < 0)
		return err_sys(e, errno, "seccomp: memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0) {
		close(fd);
		return err_sys(e, r, "seccomp: generating the BPF program");
	}
	off_t size = lseek(fd, 0, SEEK_END);
	size_t n = size > 0 ? (size_t)size / sizeof(struct sock_filter) : 0;
	if (n == 0 || n > BPF_MAXINSNS) {
		close(fd);
		return err_set(e, E2BIG, "seccomp: the filter has %zu instructions (at most %d)",
			       n, BPF_MAXINSNS);
	}
	f->prog.filter = malloc(n * sizeof(struct sock_filter));
	if (!f->prog.filter) {
		close(fd);
		return err_sys(e, ENOMEM, "seccomp");
	}
	ssize_t got = pread(fd, f->prog.filter, n * sizeof(struct sock_filter), 0);
	r = got < 0 ? -errno : 0;
	close(fd);
	if (r < 0 || (size_t)got != n * sizeof(struct sock_filter))
		return err_sys(e, r < 0 ? r : EIO, "seccomp: reading the BPF program");
	f->prog.len = (unsigned short)n;
	return 0;
}
#endif

static int compile(struct pc *p, int root, struct sc_filter *f)
{
	int t, r;

	if (json_type(p->j, root) != JSON_OBJECT)
		return err_set(p->e, EINVAL, "seccomp profile: expected a JSON object");
	if ((t = json_get(p->j, root, "listenerPath")) >= 0 && json_type(p->j, t) == JSON_STRING &&
	    !json_str_eq(p->j, t, ""))
		return err_set(p->e, EINVAL, "seccomp profile: listenerPath: seccomp agents are not supported");
	p->at[0] = 0;
	if ((r = action(p, root, "defaultAction", "defaultErrnoRet", &p->defact)) < 0)
		return r;
	if ((r = flags(p, root, &f->flags)) < 0)
		return r;
#ifdef SECCOMP_LIBSECCOMP
	p->ctx = seccomp_init(p->defact);
	if (!p->ctx)
		return err_set(p->e, ENOMEM, "seccomp: cannot create a filter");
	/* A binary tree of syscall numbers rather than a list: the kernel
	 * runs the program over every syscall number when it loads it (to
	 * cache the always-allowed ones), and over each call not cached. */
	r = seccomp_attr_set(p->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return err_sys(p->e, r, "seccomp: setting the optimization level");
#endif
	if ((r = arches(p, root)) < 0)
		return r;
	t = json_get(p->j, root, "syscalls");
	if (t >= 0 && json_type(p->j, t) != JSON_NULL) {
		snprintf(p->at, sizeof(p->at), "syscalls");
		if ((r = want(p, t, JSON_ARRAY, "an array")) < 0)
			return r;
		for (int i = 0; i < json_len(p->j, t); i++)
			if ((r = rule(p, i, json_at(p->j, t, i))) < 0)
				return r;
	}
#ifdef SECCOMP_LIBSECCOMP
	return export_bpf(p->ctx, f, p->e);
#else
	p->rs.defact = p->defact;
	return bpf_gen(&p->rs, &f->prog, p->e);
#endif
}

/* The built-in profile, inflated on first use; "" when that failed (out
 * of memory), which seccomp_prepare tells apart. */
static char default_json[SECCOMP_DEFAULT_JSON_LEN + 1] BIG_BSS(default_json);
static const char no_default_json[1];

#ifndef SECCOMP_NO_PRECOMPILED
/* The built-in profile, compiled at build time (tools/seccomp-bpf.c), when
 * it fits: the same capabilities where the profile looks, and a kernel
 * that meets its one minKernel (4.8, for ptrace). */
static bool precompiled_fits(uint64_t caps)
{
	struct pc p = { .kmajor = -1 };
	bool new_enough = false;

	if ((caps ^ SECCOMP_DEFAULT_BPF_CAPS) & SECCOMP_DEFAULT_BPF_MASK)
		return false;
	return kernel_at_least(&p, "4.8", &new_enough) == 0 && new_enough;
}

static int precompiled(struct sc_filter **out, struct err *e)
{
	/* stored as byte 0 of every instruction, then byte 1... */
	enum { N = SECCOMP_DEFAULT_BPF_LEN / sizeof(struct sock_filter) };
	struct sc_filter *f = calloc(1, sizeof(*f));
	unsigned char *planes = malloc(SECCOMP_DEFAULT_BPF_LEN);
	if (f)
		f->prog.filter = malloc(SECCOMP_DEFAULT_BPF_LEN);
	if (!f || !planes || !f->prog.filter ||
	    lz_unpack(seccomp_default_bpf_lz, sizeof(seccomp_default_bpf_lz), planes, SECCOMP_DEFAULT_BPF_LEN) < 0) {
		free(planes);
		seccomp_free(f);
		return err_sys(e, ENOMEM, "seccomp: unpacking the built-in filter");
	}
	unsigned char *ins = (unsigned char *)f->prog.filter;
	for (size_t k = 0; k < sizeof(struct sock_filter); k++)
		for (size_t i = 0; i < N; i++)
			ins[i * sizeof(struct sock_filter) + k] = planes[k * N + i];
	free(planes);
	f->prog.len = N;
	*out = f;
	return 0;
}
#endif

int seccomp_prepare(const char *text, size_t len, uint64_t caps,
		    struct sc_filter **out, struct err *e)
{
	struct json j;
	struct pc p = { .j = &j, .caps = caps, .kmajor = -1, .e = e };
	struct sc_filter *f;
	int r;

	*out = NULL;
	if (text == no_default_json)
		return err_sys(e, ENOMEM, "seccomp: unpacking the built-in profile");
#ifndef SECCOMP_NO_PRECOMPILED
	if (text == default_json && precompiled_fits(caps))
		return precompiled(out, e);
#endif
	r = json_parse(&j, text, len, e);
	if (r < 0) {
		if (e) {
			char m[sizeof(e->msg)];
			snprintf(m, sizeof(m), "%s", e->msg);
			err_set(e, -r, "seccomp profile: %s", m);
		}
		return r;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		json_free(&j);
		return err_sys(e, ENOMEM, "seccomp");
	}
	r = compile(&p, 0, f);
#ifdef SECCOMP_LIBSECCOMP
	if (p.ctx)
		seccomp_release(p.ctx);
#else
	free(p.rs.rules);
#endif
	json_free(&j);
	if (r < 0) {
		seccomp_free(f);
		return r;
	}
	*out = f;
	return 0;
}

int seccomp_apply(const struct sc_filter *f, struct err *e)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(e, errno, "seccomp: setting no_new_privs");
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog);
	if (r < 0)
		return err_sys(e, errno, "seccomp: loading the filter");
	if (r > 0)	/* TSYNC: the thread that could not be synchronized */
		return err_set(e, EAGAIN, "seccomp: thread %ld cannot take the filter", r);
	return 0;
}

void seccomp_free(struct sc_filter *f)
{
	if (f) {
		free(f->prog.filter);
		free(f);
	}
}

size_t seccomp_program(const struct sc_filter *f, const struct sock_filter **prog)
{
	*prog = f->prog.filter;
	return f->prog.len;
}

int seccomp_prepare_default(uint64_t caps, struct sc_filter **out, struct err *e)
{
#ifndef SECCOMP_NO_PRECOMPILED
	*out = NULL;
	if (precompiled_fits(caps))
		return precompiled(out, e);
#endif
	size_t len;
	const char *text = seccomp_default_profile(&len);
	return seccomp_prepare(text, len, caps, out, e);
}

const char *seccomp_default_profile(size_t *len)
{
	if (!default_json[0] &&
	    inflate_raw(seccomp_default_json_z, sizeof(seccomp_default_json_z), default_json,
		       SECCOMP_DEFAULT_JSON_LEN) < 0) {
		if (len)
			*len = 0;
		return no_default_json;
	}
	if (len)
		*len = SECCOMP_DEFAULT_JSON_LEN;
	return default_json;
}
