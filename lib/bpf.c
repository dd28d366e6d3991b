#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "bpf.h"
#include "util.h"
#include "syscalls.h"

#if !defined(__x86_64__) || defined(__ILP32__)
#error "corral's seccomp compiler knows x86_64 (with x86 and x32) only"
#endif

/* x86 reaches these calls through socketcall(2), with call numbers 1 to
 * 20 in this order, and through ipc(2), with those of ipc_calls; the
 * newer kernels also have direct numbers for most. libseccomp adds a rule
 * for each way in, with argument 0 of the multiplexer compared to the
 * call number in place of the rule's own conditions on argument 0. */
static const char mux_names[] =
	"socket\0bind\0connect\0listen\0accept\0getsockname\0getpeername\0socketpair\0"
	"send\0recv\0sendto\0recvfrom\0shutdown\0setsockopt\0getsockopt\0sendmsg\0recvmsg\0"
	"accept4\0recvmmsg\0sendmmsg\0semop\0semget\0semctl\0semtimedop\0msgsnd\0msgrcv\0"
	"msgget\0msgctl\0shmat\0shmdt\0shmget\0shmctl\0";
static const uint8_t ipc_calls[] = { 1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24 };
#define X86_SOCKETCALL 102
#define X86_IPC 117
#define X32_SYSCALL_BIT 0x40000000u

/* build/gen/syscalls.h, inflated on first use: a line "NAME X86 X86_64
 * X32" per call, "-" where it has no number, "=" for X32 = X86_64. */
static char sc_table[SYSCALLS_LEN + 1] BIG_BSS(sc_table);

static int parse_nr(const char **s)
{
	int v = 0;
	if (**s == '-') {
		++*s;
		return -1;
	}
	while (**s >= '0' && **s <= '9')
		v = v * 10 + *(*s)++ - '0';
	return v;
}

int bpf_rule_add(struct bpf_rules *rs, uint32_t act, const char *name, int ncmp,
		 const struct bpf_cmp *cmp)
{
	size_t len = strlen(name);
	const char *s = sc_table;

	if (!sc_table[0] && inflate_raw(syscalls_z, sizeof(syscalls_z), sc_table, SYSCALLS_LEN) < 0)
		return -ENOMEM;
	while (*s && !(!strncmp(s, name, len) && s[len] == ' '))
		s = strchr(s, '\n') + 1;
	if (!*s)
		return 0;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 256;
		struct bpf_rule *r = realloc(rs->rules, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		rs->rules = r;
		rs->cap = cap;
	}
	struct bpf_rule *r = &rs->rules[rs->n++];
	s += len;
	for (int i = 0; i < 3; i++) {
		s++;
		r->nr[i] = *s == '=' ? r->nr[i - 1] : (short)parse_nr(&s);
	}
	r->mux = 0;
	unsigned k = 0;
	for (const char *m = mux_names; *m; m += strlen(m) + 1, k++)
		if (!strcmp(m, name))
			r->mux = (uint8_t)(k < 20 ? k + 1 : 100u + ipc_calls[k - 20]);
	r->act = act;
	r->ncmp = (uint8_t)ncmp;
	memcpy(r->cmp, cmp, (size_t)ncmp * sizeof(*cmp));
	return 0;
}

/* A rule as it lands in one architecture's section. */
struct ent {
	uint32_t nr, seq, mux;	/* mux: the call number for argument 0, or 0 */
	const struct bpf_rule *r;
};

struct prog {
	struct sock_filter *f;
	size_t n;
};

static void emit(struct prog *g, uint16_t code, size_t jt, size_t jf, uint32_t k)
{
	if (g->n < BPF_MAXINSNS)
		g->f[g->n] = (struct sock_filter){ code, (uint8_t)jt, (uint8_t)jf, k };
	g->n++;
}

static int ent_nr_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether comparison c can fail on an architecture whose arguments have
 * `bits` bits (32: only the low word counts, as with libseccomp). */
static bool cmp_needed(const struct bpf_cmp *c, uint32_t mux, int bits)
{
	if (mux && c->arg == 0)
		return false;	/* replaced by the call number */
	if (c->op != BPF_CMP_MASKED_EQ)
		return true;
	return bits == 32 ? (uint32_t)c->datum_a != 0 : c->datum_a != 0;
}

static bool ent_has_args(const struct ent *e, int bits)
{
	if (e->mux)
		return true;
	for (int i = 0; i < e->r->ncmp; i++)
		if (cmp_needed(&e->r->cmp[i], 0, bits))
			return true;
	return false;
}

#define ARG_LO(i) (uint32_t)offsetof(struct seccomp_data, args[i])
#define ARG_HI(i) (ARG_LO(i) + 4)
#define LD(k) emit(g, BPF_LD | BPF_W | BPF_ABS, 0, 0, k)
#define J(op, k, jt, jf) emit(g, BPF_JMP | (op) | BPF_K, jt, jf, k)

/* The code of one comparison: falls through when it holds, jumps to the
 * instruction `fail` (patched later, listed in fix[]) when not. */
static void emit_cmp(struct prog *g, const struct bpf_cmp *c, int bits, size_t *fix, int *nfix)
{
	uint64_t v = c->datum_a, m = ~(uint64_t)0;
	int op = c->op;
	bool neg = op == BPF_CMP_NE || op == BPF_CMP_LT || op == BPF_CMP_LE;

	if (op == BPF_CMP_MASKED_EQ)
		m = c->datum_a, v = c->datum_b & m;
	if (op == BPF_CMP_NE)
		op = BPF_CMP_EQ;
	else if (op == BPF_CMP_LT)
		op = BPF_CMP_GE;
	else if (op == BPF_CMP_LE)
		op = BPF_CMP_GT;
	if (op == BPF_CMP_EQ || op == BPF_CMP_MASKED_EQ) {
		/* hi word (64 bits only), then lo word; both equal: true */
		size_t skip_hi = 0;
		if (bits == 64) {
			LD(ARG_HI(c->arg));
			if (op == BPF_CMP_MASKED_EQ)
				emit(g, BPF_ALU | BPF_AND | BPF_K, 0, 0, (uint32_t)(m >> 32));
			skip_hi = g->n;
			if (neg)	/* hi differs: NE holds, skip the lo test */
				J(BPF_JEQ, (uint32_t)(v >> 32), 0, 0);
			else {
				J(BPF_JEQ, (uint32_t)(v >> 32), 0, 0);
				fix[(*nfix)++] = g->n - 1;	/* jf: fail */
			}
		}
		LD(ARG_LO(c->arg));
		if (op == BPF_CMP_MASKED_EQ)
			emit(g, BPF_ALU | BPF_AND | BPF_K, 0, 0, (uint32_t)m);
		J(BPF_JEQ, (uint32_t)v, 0, 0);
		if (neg) {
			/* equal: fail (jt); patched as jt below */
			fix[(*nfix)++] = (g->n - 1) | (size_t)1 << 31;
			if (bits == 64 && g->n <= BPF_MAXINSNS)
				g->f[skip_hi].jf = (uint8_t)(g->n - skip_hi - 1);
		} else {
			fix[(*nfix)++] = g->n - 1;
		}
		return;
	}
	/* GT/GE: hi greater: true; hi equal: compare lo; else false */
	uint16_t lo_op = op == BPF_CMP_GT ? BPF_JGT : BPF_JGE;
	if (bits == 64) {
		LD(ARG_HI(c->arg));
		if (!neg) {
			J(BPF_JGT, (uint32_t)(v >> 32), 3, 0);	/* to the end */
			J(BPF_JEQ, (uint32_t)(v >> 32), 0, 0);
			fix[(*nfix)++] = g->n - 1;
		} else {
			J(BPF_JGT, (uint32_t)(v >> 32), 0, 0);
			fix[(*nfix)++] = (g->n - 1) | (size_t)1 << 31;
			J(BPF_JEQ, (uint32_t)(v >> 32), 0, 2);	/* less: true, to the end */
		}
	}
	LD(ARG_LO(c->arg));
	J(lo_op, (uint32_t)v, 0, 0);
	fix[(*nfix)++] = (g->n - 1) | (neg ? (size_t)1 << 31 : 0);
}

/* Patches the jumps listed in fix[] to instruction `to`. */
static void patch(struct prog *g, const size_t *fix, int nfix, size_t to)
{
	for (int i = 0; i < nfix; i++) {
		size_t at = fix[i] & ~((size_t)1 << 31);
		if (at >= BPF_MAXINSNS)
			continue;
		if (fix[i] >> 31)
			g->f[at].jt = (uint8_t)(to - at - 1);
		else
			g->f[at].jf = (uint8_t)(to - at - 1);
	}
}

/* The rules of one system call number, e[0..n): the first rule without
 * conditions decides alone (libseccomp keeps it and drops the others);
 * otherwise each rule in turn, the first whose conditions all hold. Where
 * rules with conditions and different actions overlap, the first listed
 * wins here. libseccomp 2.5.4 merges the rules of one call into a tree,
 * and for some overlapping rules with conditions on several arguments
 * its program decides otherwise than any rule says (the kernel confirms:
 * uname with rules "a1 > 2^32" and "a3 & 5 == 0 && a1 < N && a2 > 2",
 * both ERRNO, returns the errno for a1 = a2 = 1); ours follows the
 * profile. tests/unit/test_seccomp_oracle.c compares all other cases. */
static void emit_group(struct prog *g, const struct ent *e, size_t n, int bits, uint32_t defact)
{
	for (size_t i = 0; i < n; i++)
		if (!ent_has_args(&e[i], bits)) {
			J(BPF_JEQ, e[0].nr, 0, 1);
			emit(g, BPF_RET | BPF_K, 0, 0, e[i].r->act);
			return;
		}
	size_t at = g->n;
	J(BPF_JEQ, e[0].nr, 0, 0);	/* jf: past the block, patched below */
	for (size_t i = 0; i < n; i++) {
		size_t fix[6 * 2 + 2];
		int nfix = 0;
		if (e[i].mux) {
			LD(ARG_LO(0));
			J(BPF_JEQ, e[i].mux, 0, 0);
			fix[nfix++] = g->n - 1;
		}
		for (int c = 0; c < e[i].r->ncmp; c++)
			if (cmp_needed(&e[i].r->cmp[c], e[i].mux, bits))
				emit_cmp(g, &e[i].r->cmp[c], bits, fix, &nfix);
		emit(g, BPF_RET | BPF_K, 0, 0, e[i].r->act);
		patch(g, fix, nfix, g->n);
	}
	emit(g, BPF_RET | BPF_K, 0, 0, defact);
	size_t len = g->n - at - 1;
	if (g->n >= BPF_MAXINSNS)
		return;	/* too long: bpf_gen says so */
	if (len <= 255) {
		g->f[at].jf = (uint8_t)len;
		return;
	}
	/* Farther than a jump reaches: a ja over the block. Its own jumps
	 * are relative and stay inside it, so it moves as it is. */
	memmove(&g->f[at + 2], &g->f[at + 1], len * sizeof(*g->f));
	g->f[at].jt = 1;
	g->f[at + 1] = (struct sock_filter){ BPF_JMP | BPF_JA, 0, 0, (uint32_t)len };
	g->n++;
}

/* The calls whose rules have no conditions decide by number alone: a
 * step function from call number to action, kept as spans (each runs from
 * its lo to the next one's lo - 1). Numbers without rules take the default
 * action; those of calls with conditions were decided before the spans
 * are reached, so they join whichever span is open. */
struct span {
	uint32_t lo, act;
};

static void span_push(struct span *s, size_t *n, uint32_t lo, uint32_t act)
{
	if (*n && s[*n - 1].lo == lo)
		--*n;
	if (*n && s[*n - 1].act == act)
		return;
	s[(*n)++] = (struct span){ lo, act };
}

/* A binary search on the call number in A: log2(spans) jumps to a return,
 * where a chain of one test per call would take hundreds. The kernel runs
 * the filter over every call number when it is loaded, to cache the calls
 * that are always allowed, and so also gains from the shorter paths.
 *
 * The tree is cut into blocks that a jump (at most 255 ahead) crosses
 * whole: a block is its nodes in preorder, then one return per action of
 * its spans, and a leaf is the jump of its parent to the return of its
 * span's action. So the program holds a node per span, not a node and a
 * return: a load costs about 0.2 us per instruction (the kernel converts
 * the program, compiles it and runs it over every call number). With
 * the shared x86_64 and x32 search and the one-jump entry of a block
 * (below), the built-in filter went from 661 instructions to 313. */

/* A jump of node `at` (jt when side, else jf) to the return of act. */
struct leaf {
	size_t at;
	uint32_t act;
	int side;
};

/* The distinct actions of spans [i, j), into acts[] (at most j - i). */
static size_t span_acts(const struct span *s, size_t i, size_t j, uint32_t *acts)
{
	size_t n = 0, k;
	for (; i < j; i++) {
		for (k = 0; k < n && acts[k] != s[i].act; k++)
			;
		if (k == n)
			acts[n++] = s[i].act;
	}
	return n;
}

/* The instructions of the tree over spans [i, j), as emit_tree lays it. */
static size_t tree_size(const struct span *s, size_t i, size_t j, uint32_t *acts)
{
	if (j - i == 1)
		return 1;
	size_t whole = j - i - 1 + span_acts(s, i, j, acts);
	if (whole <= 256)
		return whole;
	size_t m = i + (j - i) / 2, left = tree_size(s, i, m, acts);
	return 1 + (left > 255) + left + tree_size(s, m, j, acts);
}

/* The nodes of spans [i, j), j - i >= 2, in preorder: a node compares the
 * call number with the first of its right half; the left half follows it
 * (jf 0), the right one comes after the left's nodes. */
static void emit_nodes(struct prog *g, const struct span *s, size_t i, size_t j,
		       struct leaf *lv, size_t *nl)
{
	size_t m = i + (j - i) / 2, at = g->n;
	J(BPF_JGE, s[m].lo, 0, 0);
	if (m - i == 1)
		lv[(*nl)++] = (struct leaf){ at, s[i].act, 0 };
	else
		emit_nodes(g, s, i, m, lv, nl);
	if (j - m == 1) {
		lv[(*nl)++] = (struct leaf){ at, s[m].act, 1 };
	} else {
		if (at < BPF_MAXINSNS)
			g->f[at].jt = (uint8_t)(g->n - at - 1);
		emit_nodes(g, s, m, j, lv, nl);
	}
}

/* lv and acts: room for j - i each. */
static void emit_tree(struct prog *g, const struct span *s, size_t i, size_t j,
		      struct leaf *lv, uint32_t *acts)
{
	if (j - i == 1) {
		emit(g, BPF_RET | BPF_K, 0, 0, s[i].act);
		return;
	}
	size_t nact = span_acts(s, i, j, acts);
	if (j - i - 1 + nact <= 256) {
		size_t nl = 0;
		emit_nodes(g, s, i, j, lv, &nl);
		for (size_t a = 0; a < nact; a++) {
			for (size_t k = 0; k < nl; k++) {
				if (lv[k].act != acts[a] || lv[k].at >= BPF_MAXINSNS)
					continue;
				uint8_t off = (uint8_t)(g->n - lv[k].at - 1);
				if (lv[k].side)
					g->f[lv[k].at].jt = off;
				else
					g->f[lv[k].at].jf = off;
			}
			emit(g, BPF_RET | BPF_K, 0, 0, acts[a]);
		}
		return;
	}
	size_t m = i + (j - i) / 2, left = tree_size(s, i, m, acts);
	if (left > 255) {
		J(BPF_JGE, s[m].lo, 0, 1);
		emit(g, BPF_JMP | BPF_JA, 0, 0, (uint32_t)left);
	} else {
		J(BPF_JGE, s[m].lo, left, 0);
	}
	emit_tree(g, s, i, m, lv, acts);
	emit_tree(g, s, m, j, lv, acts);
}

/* The section of one audit architecture: x86 (arches == BPF_ARCH_X86), or
 * x86_64 with x32 when that is in the filter (both are AUDIT_ARCH_X86_64;
 * x32 numbers have X32_SYSCALL_BIT set). The calls with conditions first,
 * one block each, then the search over the rest; A still holds the call
 * number there, since every block that loads an argument ends in a return.
 *
 * x86_64 and x32 share one search, on the number without X32_SYSCALL_BIT:
 * an x32 call below 512 is the x86_64 call of that number (or none: the
 * x86_64-only ones are not in the x32 table), and those from 512 on are
 * x32's alone (no x86_64 call has such a number). So only numbers that
 * name no call of their ABI, for which the kernel returns ENOSYS, get
 * another action than libseccomp's separate x32 section gives them; the
 * search is 90 nodes shorter for the built-in profile. */
static int emit_section(struct prog *g, const struct bpf_rules *rs, unsigned arches)
{
	struct ent *e = calloc(2 * rs->n + 1, sizeof(*e));
	struct span *sp = calloc(2 * rs->n + 2, sizeof(*sp));
	size_t n = 0, ns = 0;

	if (!e || !sp) {
		free(e);
		free(sp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct bpf_rule *r = &rs->rules[i];
		const short *nrs = r->nr;
		if (arches & BPF_ARCH_X86) {
			if (r->mux)
				e[n++] = (struct ent){ r->mux > 100 ? X86_IPC : X86_SOCKETCALL, (uint32_t)n,
						       r->mux > 100 ? r->mux - 100u : r->mux, r };
			if (nrs[0] >= 0)
				e[n++] = (struct ent){ (uint32_t)nrs[0], (uint32_t)n, 0, r };
			continue;
		}
		if (nrs[1] >= 0)
			e[n++] = (struct ent){ (uint32_t)nrs[1], (uint32_t)n, 0, r };
		if ((arches & BPF_ARCH_X32) && nrs[2] >= 0)
			e[n++] = (struct ent){ (uint32_t)nrs[2] | X32_SYSCALL_BIT, (uint32_t)n, 0, r };
	}
	qsort(e, n, sizeof(*e), ent_cmp);
	/* The blocks, and for the search one entry per number and ABI: its
	 * first rule without conditions (seq, to keep the profile's order),
	 * or none (nr set to ~0) when its block decides. */
	size_t np = 0, n64 = 0;	/* n64: those of x86_64 (sorted) */
	for (size_t a = 0, b; a < n; a = b) {
		/* x86 and x32 arguments are compared in their low 32 bits,
		 * as libseccomp does */
		int bits = arches == BPF_ARCH_X86 || (e[a].nr & X32_SYSCALL_BIT) ? 32 : 64;
		const struct ent *plain = NULL;
		for (b = a; b < n && e[b].nr == e[a].nr; b++)
			if (!plain && !ent_has_args(&e[b], bits))
				plain = &e[b];
		if (!plain)
			emit_group(g, e + a, b - a, bits, rs->defact);
		struct ent key = { e[a].nr & ~X32_SYSCALL_BIT, 0, 0, NULL };
		bool x32 = key.nr != e[a].nr;
		if (plain && x32) {
			/* x32 after x86_64: where a rule's conditions count on
			 * x86_64 only, their first rules without any differ,
			 * and x32's is tested for here */
			const struct ent *x64 = bsearch(&key, e, n64, sizeof(*e), ent_nr_cmp);
			if (x64 && x64->r && x64->r->act != plain->r->act) {
				J(BPF_JEQ, e[a].nr, 0, 1);
				emit(g, BPF_RET | BPF_K, 0, 0, plain->r->act);
				plain = NULL;
			}
		}
		e[np++] = (struct ent){ key.nr, plain ? plain->seq : ~0u, 0, plain ? plain->r : NULL };
		if (!x32)	/* e[a] may be overwritten now */
			n64 = np;
	}
	if (arches & BPF_ARCH_X32)
		emit(g, BPF_ALU | BPF_AND | BPF_K, 0, 0, ~X32_SYSCALL_BIT);
	qsort(e, np, sizeof(*e), ent_cmp);
	span_push(sp, &ns, 0, rs->defact);
	uint32_t next = 0;	/* the first number not yet placed */
	for (size_t a = 0, b; a < np; a = b) {
		for (b = a; b < np && e[b].nr == e[a].nr; b++)
			;
		if (e[a].nr > next)
			span_push(sp, &ns, next, rs->defact);
		/* a number that only blocks decide joins the open span */
		if (e[a].r)
			span_push(sp, &ns, e[a].nr, e[a].r->act);
		next = e[a].nr + 1;
	}
	if (next)
		span_push(sp, &ns, next, rs->defact);
	struct leaf *lv = calloc(ns, sizeof(*lv));
	uint32_t *acts = calloc(ns, sizeof(*acts));
	int r = lv && acts ? 0 : -ENOMEM;
	if (r == 0)
		emit_tree(g, sp, 0, ns, lv, acts);
	free(acts);
	free(lv);
	free(sp);
	free(e);
	return r;
}

/* The whole program: the architecture check, then one section each. A
 * foreign architecture kills the thread, as with libseccomp's default;
 * so does an x32 call when the profile does not name x32, except the
 * call -1 that tracers use to skip a call. */
int bpf_gen(const struct bpf_rules *rs, struct sock_fprog *out, struct err *e)
{
	struct prog prog = { malloc(BPF_MAXINSNS * sizeof(struct sock_filter)), 0 };
	struct prog *g = &prog;
	size_t to86 = 0;
	int r = 0;

	if (!g->f)
		return err_sys(e, ENOMEM, "seccomp");
	LD(offsetof(struct seccomp_data, arch));
	J(BPF_JEQ, AUDIT_ARCH_X86_64, rs->arches & BPF_ARCH_X86 ? 3 : 1, 0);
	if (rs->arches & BPF_ARCH_X86) {
		J(BPF_JEQ, AUDIT_ARCH_I386, 0, 1);
		to86 = g->n;
		emit(g, BPF_JMP | BPF_JA, 0, 0, 0);
	}
	emit(g, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_THREAD);
	LD(offsetof(struct seccomp_data, nr));
	if (!(rs->arches & BPF_ARCH_X32)) {
		J(BPF_JGE, X32_SYSCALL_BIT, 0, 2);
		J(BPF_JEQ, 0xffffffffu, 1, 0);
		emit(g, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_THREAD);
	}
	r = emit_section(g, rs, BPF_ARCH_X86_64 | (rs->arches & BPF_ARCH_X32));
	if (r == 0 && (rs->arches & BPF_ARCH_X86)) {
		if (to86 < BPF_MAXINSNS)
			g->f[to86].k = (uint32_t)(g->n - to86 - 1);
		LD(offsetof(struct seccomp_data, nr));
		r = emit_section(g, rs, BPF_ARCH_X86);
	}
	if (r < 0) {
		free(g->f);
		return err_sys(e, r, "seccomp");
	}
	if (g->n > BPF_MAXINSNS) {
		free(g->f);
		return err_set(e, E2BIG, "seccomp: the filter has %zu instructions (at most %d)",
			       g->n, BPF_MAXINSNS);
	}
	out->filter = g->f;
	out->len = (unsigned short)g->n;
	return 0;
}
