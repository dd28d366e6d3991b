/* Seccomp: a Docker/OCI JSON profile compiled to a BPF program up front,
 * loaded later with one system call.
 *
 * Profile format (Docker's profiles/seccomp/default.json and the OCI
 * runtime spec's linux.seccomp): defaultAction, defaultErrnoRet,
 * architectures or archMap, flags, syscalls[] with names (or name),
 * action, errnoRet, args[] {index, value, valueTwo, op} and
 * includes/excludes {caps, arches, minKernel}, evaluated as Docker does:
 * caps against the capability set the program will have, arches against
 * the native one ("amd64" on x86_64), minKernel against uname(2).
 * Syscall names libseccomp does not know are skipped, as Docker does; they
 * get the default action. Unknown keys are ignored; an unknown action,
 * operator, architecture or flag, or a value of the wrong type, is an
 * error naming its place ("syscalls[3].args[0].op"). SCMP_ACT_NOTIFY needs
 * a listener, which corral does not run: such profiles are refused. */
/* This file shadows libseccomp's <seccomp.h> on the include path (-Ilib
 * comes first); lib/seccomp.c built with SECCOMP_LIBSECCOMP (for the build
 * tool and the tests only) defines CORRAL_LIBSECCOMP to get both. */
#ifdef CORRAL_LIBSECCOMP
#include_next <seccomp.h>
#endif

#ifndef CORRAL_SECCOMP_H
#define CORRAL_SECCOMP_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct sc_filter;

/* Parses and compiles; loads nothing, so it can run before any namespace
 * exists. caps: the set the sandboxed program keeps (caps.h), for
 * includes/excludes. *out is freed with seccomp_free.
 * The built-in profile (the very pointer seccomp_default_profile returns)
 * comes precompiled for Docker's default capabilities and any set that
 * differs from them only in capabilities the profile does not look at;
 * other profiles and sets are compiled here (lib/bpf.c, ~10 ms for
 * the built-in one), with the verdicts libseccomp's program would give. */
int seccomp_prepare(const char *json, size_t len, uint64_t caps,
		    struct sc_filter **out, struct err *e);

/* Sets no_new_privs and installs the filter on the calling thread. It
 * allocates and frees nothing, so the caller can execve right after; with
 * musl, anything that calls free() after this point may need munmap,
 * which the default profile allows (a custom profile must too). */
int seccomp_apply(const struct sc_filter *f, struct err *e);

/* The built-in profile for caps: the filter compiled at build time when it
 * fits, without unpacking the profile's text; else compiled now. */
int seccomp_prepare_default(uint64_t caps, struct sc_filter **out, struct err *e);

void seccomp_free(struct sc_filter *f);

/* The compiled program: *prog points at its instructions, owned by f. */
struct sock_filter;
size_t seccomp_program(const struct sc_filter *f, const struct sock_filter **prog);

/* The built-in profile (configs/seccomp-default.json), NUL-terminated. */
const char *seccomp_default_profile(size_t *len);

#endif
