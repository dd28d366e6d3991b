/* lib/seccomp.c compiles profiles to BPF itself; libseccomp, built into
 * this test from the same source (SECCOMP_LIBSECCOMP), is the reference.
 * For the built-in profile under several capability sets, hand-written
 * corner cases and many random profiles, both programs run in a small
 * BPF interpreter over every system call number of x86_64, x32 and x86
 * (and a foreign architecture) with argument values around each datum of
 * the profile: every verdict must be the same, but for the numbers that
 * name no call of their ABI when the profile has x32 (ours searches x86_64
 * and x32 calls as one; lib/bpf.c says why). */
#define SECCOMP_LIBSECCOMP
#define SECCOMP_NO_PRECOMPILED
#define seccomp_prepare oracle_prepare
#define seccomp_apply oracle_apply
#define seccomp_free oracle_free
#define seccomp_program oracle_program
#define seccomp_default_profile oracle_default_profile
#define seccomp_prepare_default oracle_prepare_default
#include "../../lib/seccomp.c"
#undef seccomp_prepare
#undef seccomp_apply
#undef seccomp_free
#undef seccomp_program
#undef seccomp_default_profile
#undef seccomp_prepare_default

int seccomp_prepare(const char *json, size_t len, uint64_t caps, struct sc_filter **out, struct err *e);
void seccomp_free(struct sc_filter *f);
size_t seccomp_program(const struct sc_filter *f, const struct sock_filter **prog);
const char *seccomp_default_profile(size_t *len);

#include <linux/audit.h>
#include "t.h"
#include "syscalls.h"
#include "util.h"

#define X32_SYSCALL_BIT 0x40000000u

/* Whether an AUDIT_ARCH_X86_64 number names no call: an x86_64 number
 * (without X32_SYSCALL_BIT) or an x32 one (with it) that the table of
 * build/gen/syscalls.txt does not have. */
static int no_call(uint32_t nr)
{
	static char t[SYSCALLS_LEN + 1];
	static unsigned char has[2][1024];	/* [x32][number] */
	if (!t[0]) {
		if (inflate_raw(syscalls_z, sizeof(syscalls_z), t, SYSCALLS_LEN) < 0)
			return 0;
		for (char *s = t; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : s) {
			char name[64], x86[16], x64[16], x32[16];
			if (sscanf(s, "%63s %15s %15s %15s", name, x86, x64, x32) != 4)
				break;
			int n64 = x64[0] == '-' ? -1 : atoi(x64);
			int n32 = x32[0] == '=' ? n64 : x32[0] == '-' ? -1 : atoi(x32);
			if (n64 >= 0 && n64 < 1024)
				has[0][n64] = 1;
			if (n32 >= 0 && n32 < 1024)
				has[1][n32] = 1;
		}
	}
	int x32 = (nr & X32_SYSCALL_BIT) != 0;
	nr &= ~X32_SYSCALL_BIT;
	return nr >= 1024 || !has[x32][nr];
}

/* Whether our program searches x86_64 and x32 as one (lib/bpf.c): the
 * number less X32_SYSCALL_BIT. */
static int merged_x32(const struct sock_filter *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].code == (BPF_ALU | BPF_AND | BPF_K) && p[i].k == ~X32_SYSCALL_BIT)
			return 1;
	return 0;
}

/* Classic BPF as the kernel runs it for seccomp; *bad on anything else. */
static uint32_t run(const struct sock_filter *p, size_t n, const struct seccomp_data *d, int *bad)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };

	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &p[pc];
		uint32_t k = i->k, src = BPF_SRC(i->code) == BPF_X ? X : k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (i->code == (BPF_LD | BPF_W | BPF_ABS) && k % 4 == 0 && k < sizeof(*d))
				memcpy(&A, (const char *)d + k, 4);
			else if (i->code == (BPF_LD | BPF_IMM))
				A = k;
			else if (i->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS)
				A = M[k];
			else
				goto bad;
			break;
		case BPF_LDX:
			if (i->code == (BPF_LDX | BPF_IMM))
				X = k;
			else if (i->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
				X = M[k];
			else
				goto bad;
			break;
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				goto bad;
			M[k] = BPF_CLASS(i->code) == BPF_ST ? A : X;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_AND: A &= src; break;
			case BPF_OR: A |= src; break;
			case BPF_ADD: A += src; break;
			case BPF_SUB: A -= src; break;
			default: goto bad;
			}
			break;
		case BPF_JMP: {
			bool c;
			switch (BPF_OP(i->code)) {
			case BPF_JA: pc += k; continue;
			case BPF_JEQ: c = A == src; break;
			case BPF_JGT: c = A > src; break;
			case BPF_JGE: c = A >= src; break;
			case BPF_JSET: c = (A & src) != 0; break;
			default: goto bad;
			}
			pc += c ? i->jt : i->jf;
			break;
		}
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? A : k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		default:
			goto bad;
		}
	}
bad:
	*bad = 1;
	return 0;
}

/* Argument values worth trying per argument index: around every datum a
 * profile compares that argument with, and a few of any kind. */
struct vals {
	uint64_t v[6][96];
	int n[6];
};

static void add_val(struct vals *V, int a, uint64_t v)
{
	for (int i = 0; i < V->n[a]; i++)
		if (V->v[a][i] == v)
			return;
	if (V->n[a] < 96)
		V->v[a][V->n[a]++] = v;
}

static void datum_vals(struct vals *V, int a, uint64_t d, uint64_t two)
{
	const uint64_t hi = (uint64_t)1 << 32;
	uint64_t list[] = { d, d - 1, d + 1, d ^ hi, d & 0xffffffffu, d | ~(uint64_t)0xffffffffu,
			    d + hi - 1, two, two & d, (two & d) | ~d, (two & d) ^ hi, two ^ 1 };
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		add_val(V, a, list[i]);
}

static void profile_vals(const char *text, struct vals *V)
{
	struct json j;
	struct err e;
	static const uint64_t any[] = { 0, 1, 2, 0xffffffffu, (uint64_t)1 << 32, ~(uint64_t)0 };

	memset(V, 0, sizeof(*V));
	for (int a = 0; a < 6; a++)
		for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++)
			add_val(V, a, any[i]);
	if (json_parse(&j, text, strlen(text), &e) < 0)
		return;
	int sc = json_get(&j, 0, "syscalls");
	for (int i = 0; i < json_len(&j, sc); i++) {
		int args = json_get(&j, json_at(&j, sc, i), "args");
		for (int k = 0; k < json_len(&j, args); k++) {
			int c = json_at(&j, args, k);
			uint64_t idx = 0, v = 0, two = 0;
			json_u64(&j, json_get(&j, c, "index"), &idx, NULL);
			json_u64(&j, json_get(&j, c, "value"), &v, NULL);
			json_u64(&j, json_get(&j, c, "valueTwo"), &two, NULL);
			if (idx < 6)
				datum_vals(V, (int)idx, v, two);
		}
	}
	json_free(&j);
}

static uint64_t rnd_state = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static long evaluated;

/* Compares the two programs for text under caps; prints the first few
 * differences. */
static void compare(const char *what, const char *text, uint64_t caps)
{
	struct sc_filter *ours = NULL, *ref = NULL;
	struct err e1 = { 0 }, e2 = { 0 };
	int r1 = seccomp_prepare(text, strlen(text), caps, &ours, &e1);
	int r2 = oracle_prepare(text, strlen(text), caps, &ref, &e2);

	if (r1 != r2 || (r1 < 0 && strcmp(e1.msg, e2.msg))) {
		t_cur_failed = 1;
		printf("#   %s: prepare %d \"%s\", libseccomp %d \"%s\"\n", what, r1, e1.msg, r2, e2.msg);
	}
	if (r1 < 0 || r2 < 0) {
		seccomp_free(ours);
		oracle_free(ref);
		return;
	}
	const struct sock_filter *p1, *p2;
	size_t n1 = seccomp_program(ours, &p1), n2 = oracle_program(ref, &p2);
	struct vals V;
	profile_vals(text, &V);
	int merged = merged_x32(p1, n1);
	long calls = 0;

	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64 };
	int shown = 0;
	/* A profile that lists a foreign architecture gets a section for it
	 * from libseccomp, none from us: no x86 process makes its calls. */
	size_t narch = strstr(text, "\"architectures\"") && strstr(text, "SCMP_ARCH_AARCH64") ? 2 : 3;
	for (size_t a = 0; a < narch; a++) {
		for (uint32_t i = 0; i < 1200 + 4; i++) {
			uint32_t nr = i < 600 ? i : i < 1200 ? (i - 600) | 0x40000000u :
				(uint32_t[]){ 0x3fffffffu, 0x7fffffffu, 0xffffffffu, 0x40000fffu }[i - 1200];
			for (int v = 0; v < 40; v++) {
				struct seccomp_data d = { .nr = (int)nr, .arch = arches[a] };
				if (v < 6) {
					for (int k = 0; k < 6; k++)
						d.args[k] = V.v[k][v % V.n[k]];
				} else {
					for (int k = 0; k < 6; k++)
						d.args[k] = V.v[k][rnd() % (uint64_t)V.n[k]];
				}
				int bad1 = 0, bad2 = 0;
				uint32_t v1 = run(p1, n1, &d, &bad1), v2 = run(p2, n2, &d, &bad2);
				if (merged && arches[a] == AUDIT_ARCH_X86_64 && no_call(nr) && !bad1 && !bad2)
					continue;
				evaluated++;
				calls += arches[a] == AUDIT_ARCH_X86_64;
				if (bad1 || bad2 || v1 != v2) {
					t_cur_failed = 1;
					if (shown++ < 5)
						printf("#   %s: arch %#x nr %#x args %#llx %#llx %#llx: ours %#x%s, libseccomp %#x%s\n",
						       what, arches[a], nr, (unsigned long long)d.args[0],
						       (unsigned long long)d.args[1], (unsigned long long)d.args[2],
						       v1, bad1 ? " (bad program)" : "", v2, bad2 ? " (bad program)" : "");
				}
			}
		}
	}
	CHECK(calls > 0);	/* the table was read: x86_64 calls were compared */
	seccomp_free(ours);
	oracle_free(ref);
}

TEST(default_profile_verdicts_equal_libseccomp)
{
	size_t len;
	const char *text = seccomp_default_profile(&len);
	char *copy = strdup(text);	/* not the precompiled pointer */
	uint64_t sets[] = {
		caps_default, 0, ~(uint64_t)0,
		caps_default | CAP_BIT(cap_from_name("SYS_ADMIN")),
		caps_default | CAP_BIT(cap_from_name("SYS_PTRACE")),
		caps_default | CAP_BIT(cap_from_name("SYS_BOOT")) | CAP_BIT(cap_from_name("SYS_MODULE")),
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		char what[64];
		snprintf(what, sizeof(what), "default profile, caps %#llx", (unsigned long long)sets[i]);
		compare(what, copy, sets[i]);
		compare(what, text, sets[i]);	/* precompiled where it fits */
	}
	free(copy);
}

TEST(corner_cases_equal_libseccomp)
{
	static const char *const cases[] = {
		/* a rule without conditions overrides those with, in either order */
		"{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":["
		"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5,\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
		"{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":["
		"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5,\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		/* the first of two rules without conditions wins */
		"{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":["
		"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":3},"
		"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
		/* a mask that is 0 in the low word: no condition at all on x86 and x32 */
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
		"\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]}],\"syscalls\":["
		"{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":4294967296,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
		"{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":1,\"value\":0,\"valueTwo\":5,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
		/* socket calls through socketcall(2) and ipc(2) on x86 */
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],\"syscalls\":["
		"{\"names\":[\"socket\",\"send\",\"recv\",\"accept\",\"semop\",\"shmctl\",\"semtimedop\"],\"action\":\"SCMP_ACT_ALLOW\","
		"\"args\":[{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":7,\"op\":\"SCMP_CMP_LE\"}]},"
		"{\"names\":[\"_llseek\",\"waitpid\",\"recvmsg\",\"execve\"],\"action\":\"SCMP_ACT_TRAP\"}]}",
		/* x32 alone, and 64-bit comparisons of every kind */
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X32\"],\"syscalls\":["
		"{\"names\":[\"ioctl\",\"recvmsg\",\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":9,\"args\":["
		"{\"index\":0,\"value\":4294967297,\"op\":\"SCMP_CMP_GT\"},{\"index\":1,\"value\":8589934591,\"op\":\"SCMP_CMP_LT\"},"
		"{\"index\":2,\"value\":4294967296,\"op\":\"SCMP_CMP_GE\"},{\"index\":3,\"value\":12884901889,\"op\":\"SCMP_CMP_LE\"},"
		"{\"index\":4,\"value\":4294967298,\"op\":\"SCMP_CMP_NE\"},{\"index\":5,\"value\":18446744069414584335,\"valueTwo\":4294967311,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
		/* actions */
		"{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":["
		"{\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\"},{\"names\":[\"write\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":77},"
		"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_TRAP\"},"
		"{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":4094}]}",
		/* refused alike */
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":4095}]}",
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5000}",
		/* a profile without rules, and one naming foreign architectures */
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\"}",
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_X86\"],"
		"\"syscalls\":[{\"names\":[\"read\",\"no_such_call\",\"cachestat\",\"ipc\",\"socketcall\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		compare(what, cases[i], caps_default);
	}
	/* one call with rules enough that its block is longer than a jump
	 * reaches (lib/bpf.c's emit_group moves it behind a ja) */
	static char big[16384];
	int o = snprintf(big, sizeof(big), "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[");
	for (int r = 0; r < 40; r++)
		o += snprintf(big + o, sizeof(big) - (size_t)o,
			      "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
			      "{\"index\":0,\"value\":%d,\"op\":\"SCMP_CMP_EQ\"},"
			      "{\"index\":1,\"value\":%d,\"op\":\"SCMP_CMP_NE\"}]},", r, r + 1);
	snprintf(big + o, sizeof(big) - (size_t)o, "{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	struct sc_filter *f = NULL;
	struct err e;
	const struct sock_filter *p;
	CHECK_INT(seccomp_prepare(big, strlen(big), caps_default, &f, &e), 0);
	size_t n = f ? seccomp_program(f, &p) : 0, ja = 0;
	for (size_t i = 0; i < n; i++)
		ja += p[i].code == (BPF_JMP | BPF_JA) && p[i].k > 255;
	CHECK(ja > 0);
	seccomp_free(f);
	/* the random profiles stay those of before: another sequence meets
	 * the cases where libseccomp decides otherwise than the profile
	 * says (see lib/bpf.c's emit_group), which these do not */
	uint64_t saved = rnd_state;
	compare("a block longer than a jump reaches", big, caps_default);
	/* x86_64 and x32 share a search: calls whose first rule without
	 * conditions differs between them (a mask of the high word only
	 * counts on x86_64) */
	compare("x86_64 and x32 apart",
		"{\"defaultAction\":\"SCMP_ACT_TRAP\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X32\"],\"syscalls\":["
		"{\"names\":[\"read\",\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
		"\"value\":18446744069414584320,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
		"{\"names\":[\"read\",\"getpid\",\"write\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":3}]}",
		caps_default);
	rnd_state = saved;
}

/* Random profiles. All rules that can meet on one system call number of
 * one architecture share their action: where rules with conditions and
 * different actions overlap, libseccomp's tree and our list may order
 * them differently (see lib/seccomp.c). */
static const char *const pool[] = {
	"read", "write", "open", "personality", "clone", "getpid", "getpriority", "mmap", "ioctl",
	"recvmsg", "execve", "arch_prctl", "waitpid", "_llseek", "futex", "uname", "kill",
	"rt_sigaction", "no_such_call", "cachestat", "fchmodat2", "preadv2", "time",
	/* from here on, one group: they meet in socketcall(2) / ipc(2) on x86 */
	"socketcall", "socket", "send", "recv", "accept", "bind", "sendmmsg", "accept4",
	"ipc", "semop", "semtimedop", "shmctl", "msgrcv",
};
#define POOL_SOCKET 23
#define POOL_IPC 31
#define POOL_N (sizeof(pool) / sizeof(pool[0]))

static const char *const actions[] = {
	"\"SCMP_ACT_ALLOW\"", "\"SCMP_ACT_ERRNO\",\"errnoRet\":1", "\"SCMP_ACT_ERRNO\",\"errnoRet\":38",
	"\"SCMP_ACT_KILL\"", "\"SCMP_ACT_KILL_PROCESS\"", "\"SCMP_ACT_TRAP\"", "\"SCMP_ACT_LOG\"",
	"\"SCMP_ACT_TRACE\",\"errnoRet\":3",
};
#define NACT (sizeof(actions) / sizeof(actions[0]))

static const char *const arch_sets[] = {
	"", "\"architectures\":[\"SCMP_ARCH_X86_64\"],", "\"architectures\":[\"SCMP_ARCH_X86\"],",
	"\"architectures\":[\"SCMP_ARCH_X32\"],", "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],",
	"\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]}],",
	"\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X32\"]},"
	"{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":[\"SCMP_ARCH_ARM\"]}],",
};

static uint64_t rnd_value(void)
{
	static const uint64_t v[] = { 0, 1, 2, 5, 38, 39, 40, 0x7fffffff, 0xffffffffu, (uint64_t)1 << 32,
				      0x100000005ULL, 0x7e020000, ~(uint64_t)0, 0xffffffff00000000ULL };
	switch (rnd() % 4) {
	case 0: return rnd();
	case 1: return rnd() & 0xffffffffu;
	default: return v[rnd() % (sizeof(v) / sizeof(v[0]))];
	}
}

static void random_profile(char *buf, size_t size)
{
	static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
					   "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };
	size_t act[POOL_N], n = 0;
	size_t def = rnd() % NACT;

	for (size_t i = 0; i < POOL_N; i++)
		act[i] = i > POOL_SOCKET && i < POOL_IPC ? act[POOL_SOCKET] :
			 i > POOL_IPC ? act[POOL_IPC] : rnd() % NACT;
	n += (size_t)snprintf(buf + n, size - n, "{%s\"defaultAction\":%s,\"syscalls\":[",
			      arch_sets[rnd() % (sizeof(arch_sets) / sizeof(arch_sets[0]))], actions[def]);
	bool has_args[POOL_N] = { false };
	int rules = 1 + (int)(rnd() % 12);
	for (int r = 0; r < rules; r++) {
		size_t first = rnd() % POOL_N, a = act[first];
		int nargs = has_args[first] ? 0 : (int)(rnd() % 5);
		has_args[first] |= nargs > 0;
		n += (size_t)snprintf(buf + n, size - n, "%s{\"names\":[\"%s\"", r ? "," : "", pool[first]);
		for (int k = (int)(rnd() % 4); k > 0; k--) {
			size_t o = rnd() % POOL_N;
			if (act[o] == a && o != first && !(nargs && has_args[o])) {
				has_args[o] |= nargs > 0;
				n += (size_t)snprintf(buf + n, size - n, ",\"%s\"", pool[o]);
			}
		}
		n += (size_t)snprintf(buf + n, size - n, "],\"action\":%s", actions[a]);
		if (nargs) {
			int idx = (int)(rnd() % 6);
			n += (size_t)snprintf(buf + n, size - n, ",\"args\":[");
			for (int k = 0; k < nargs; k++) {
				const char *op = ops[rnd() % 7];
				idx = (idx + 1 + (int)(rnd() % 2)) % 6;	/* distinct */
				n += (size_t)snprintf(buf + n, size - n,
						      "%s{\"index\":%d,\"value\":%llu,\"valueTwo\":%llu,\"op\":\"%s\"}",
						      k ? "," : "", idx, (unsigned long long)rnd_value(),
						      (unsigned long long)rnd_value(), op);
			}
			n += (size_t)snprintf(buf + n, size - n, "]");
		}
		n += (size_t)snprintf(buf + n, size - n, "}");
	}
	snprintf(buf + n, size - n, "]}");
}

TEST(random_profiles_equal_libseccomp)
{
	static char buf[16384];
	for (int i = 0; i < 150; i++) {
		char what[32];
		random_profile(buf, sizeof(buf));
		snprintf(what, sizeof(what), "random profile %d", i);
		int before = t_cur_failed;
		t_cur_failed = 0;
		compare(what, buf, caps_default);
		if (t_cur_failed)
			printf("#   %s: %s\n", what, buf);
		t_cur_failed |= before;
	}
	printf("# %ld verdicts compared\n", evaluated);
}

int main(void)
{
	RUN(default_profile_verdicts_equal_libseccomp);
	RUN(corner_cases_equal_libseccomp);
	RUN(random_profiles_equal_libseccomp);
	DONE();
}
