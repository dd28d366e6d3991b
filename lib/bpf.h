/* Classic BPF for seccomp from a plain list of rules, for x86_64 with its
 * x86 and x32 sub-architectures: a linear program of per-syscall blocks,
 * with the system call numbers of build/gen/syscalls.h (libseccomp's own
 * table). lib/seccomp.c reads profiles into such a list; no JSON here. */
#ifndef CORRAL_BPF_H
#define CORRAL_BPF_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct sock_fprog;

/* One argument comparison, as libseccomp's struct scmp_arg_cmp: for
 * BPF_CMP_MASKED_EQ, datum_a is the mask and datum_b the value. */
struct bpf_cmp {
	unsigned int arg, op;
	uint64_t datum_a, datum_b;
};
enum { BPF_CMP_NE = 1, BPF_CMP_LT, BPF_CMP_LE, BPF_CMP_EQ, BPF_CMP_GE, BPF_CMP_GT,
       BPF_CMP_MASKED_EQ };

/* A rule: one system call and the comparisons that must all hold. nr:
 * its numbers on x86, x86_64 and x32 (without X32_SYSCALL_BIT), -1 where
 * it has none; mux: its socketcall(2) call number on x86, 100 + its ipc(2)
 * call number, or 0. */
struct bpf_rule {
	uint32_t act;
	short nr[3];
	uint8_t mux, ncmp;
	struct bpf_cmp cmp[6];
};

/* The architectures a filter has sections for. */
enum { BPF_ARCH_X86_64 = 1, BPF_ARCH_X86 = 2, BPF_ARCH_X32 = 4 };

/* The rules in profile order, the architectures (BPF_ARCH_*) and the
 * action of every call no rule decides (SECCOMP_RET_*). Zeroed to start;
 * free(rules) when done. */
struct bpf_rules {
	struct bpf_rule *rules;
	size_t n, cap;
	unsigned int arches;
	uint32_t defact;
};

/* Appends a rule for the system call name with up to 6 comparisons;
 * returns 0 and adds nothing for a name unknown here, -ENOMEM. */
int bpf_rule_add(struct bpf_rules *rs, uint32_t act, const char *name, int ncmp,
		 const struct bpf_cmp *cmp);

/* The program for rs; out->filter is malloc'ed. E2BIG past BPF_MAXINSNS. */
int bpf_gen(const struct bpf_rules *rs, struct sock_fprog *out, struct err *e);

#endif
