/* pause - hold namespaces open, reap zombies, exit 0 on SIGTERM/SIGINT
 * usage: corral pause [--ready-fd N]
 *        corral pause -v | --help
 *
 * Sleeps until SIGTERM or SIGINT, then exits 0. Every other signal is
 * taken and dropped, so a stray HUP or USR1 never ends it. Children that
 * exit (orphans, when it is PID 1 of a PID namespace) are reaped at once.
 * No signal handler runs: signals are blocked and taken synchronously.
 * The idle process keeps a few KiB resident.
 *
 *   --ready-fd N   once signals are set up, write one byte to fd N and
 *                  close it (a readiness pipe for whoever started pause)
 *   -v             print the version and exit
 *   -h, --help     this text
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "applets.h"

#ifndef CORRAL_VERSION
#define CORRAL_VERSION "dev"
#endif

/*
 * Memory. corral is one large binary, and the kernel maps file pages 64 KiB
 * around every fault ("fault-around"), so an idle loop that merely runs in
 * its text would keep well over 100 KiB resident. Instead the idle loop
 * lives in a section of its own, starts with raw system calls only (no
 * libc, no globals, no TLS), and unmaps the rest of the image: text,
 * rodata, data and bss. What stays is that page and the stack.
 * /proc/PID/exe and /proc/PID/cmdline still show corral pause.
 */
#if defined(__x86_64__)
#define SHED 1
static inline __attribute__((always_inline))
long sc(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define SHED 1
static inline __attribute__((always_inline))
long sc(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	__asm__ volatile("svc 0" : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
			 : "memory");
	return x0;
}
#else
#define SHED 0
#endif

#if SHED
/* [lo, keep0) and [keep1, hi): the image to unmap around the idle page. */
struct shed { uintptr_t lo, keep0, keep1, hi; };

/* Aligned so that idle (under 512 bytes) never straddles two pages; a
 * page alignment would cost the binary up to 4 KiB of padding. */
__attribute__((section("corral_pause_idle"), aligned(512), noinline, noreturn))
static void idle(const struct shed *s, long ready_fd)
{
	uint64_t all = ~(uint64_t)0;	/* the kernel's sigset: 64 signals */
	uintptr_t lo = s->lo, keep0 = s->keep0, keep1 = s->keep1, hi = s->hi;
	char byte = 0;

	/* s points to the stack, which stays; the image goes. */
	if (keep0 > lo)
		sc(SYS_munmap, (long)lo, (long)(keep0 - lo), 0, 0);
	if (hi > keep1)
		sc(SYS_munmap, (long)keep1, (long)(hi - keep1), 0, 0);
	if (ready_fd >= 0) {
		if (sc(SYS_write, ready_fd, (long)&byte, 1, 0) != 1)
			sc(SYS_exit_group, EXIT_CORRAL, 0, 0, 0);
		sc(SYS_close, ready_fd, 0, 0, 0);
	}
	for (;;) {
		long sig = sc(SYS_rt_sigtimedwait, (long)&all, 0, 0, sizeof(all));
		if (sig == SIGTERM || sig == SIGINT)
			sc(SYS_exit_group, 0, 0, 0, 0);
		if (sig == SIGCHLD)
			while (sc(SYS_wait4, -1, 0, WNOHANG, 0) > 0)
				;
	}
}

static __attribute__((noreturn)) void run(int ready_fd)
{
	extern const char __ehdr_start[], _end[];
	extern const char __start_corral_pause_idle[], __stop_corral_pause_idle[];
	uintptr_t pg = (uintptr_t)getauxval(AT_PAGESZ);
	struct shed s = {
		.lo = (uintptr_t)__ehdr_start & ~(pg - 1),
		.keep0 = (uintptr_t)__start_corral_pause_idle & ~(pg - 1),
		.keep1 = ((uintptr_t)__stop_corral_pause_idle + pg - 1) & ~(pg - 1),
		.hi = ((uintptr_t)_end + pg - 1) & ~(pg - 1),
	};
	idle(&s, ready_fd);
}
#else
static __attribute__((noreturn)) void run(int ready_fd)
{
	sigset_t all;
	char byte = 0;

	memset(&all, 0xff, sizeof(all));
	if (ready_fd >= 0) {
		if (write(ready_fd, &byte, 1) != 1)
			_exit(EXIT_CORRAL);
		close(ready_fd);
	}
	for (;;) {
		int sig = sigwaitinfo(&all, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			_exit(0);
		if (sig == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
}
#endif

static int parse_fd(const char *s)
{
	int v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int pause_main(int argc, char **argv)
{
	int ready_fd = -1;
	sigset_t all;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return usage(0);
		if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
			static const char v[] = "corral pause " CORRAL_VERSION "\n";
			return write(1, v, sizeof(v) - 1) == (ssize_t)sizeof(v) - 1 ? 0 : EXIT_CORRAL;
		}
		if (!strcmp(a, "--ready-fd") && i + 1 < argc) {
			ready_fd = parse_fd(argv[++i]);
			if (ready_fd < 0 || fcntl(ready_fd, F_GETFD) < 0)
				return fail(EXIT_CORRAL, "--ready-fd '%s': not an open fd", argv[i]);
			continue;
		}
		return usage(EXIT_CORRAL);
	}

	/* Everything blocked, taken one by one. Blocked signals are queued
	 * even for the PID 1 of a namespace, which would otherwise drop
	 * SIGTERM with no handler. Dispositions go back to default: an
	 * inherited SIG_IGN for SIGCHLD would hide exits. All bits, not
	 * sigfillset(): that one leaves libc's internal signals deliverable. */
	memset(&all, 0xff, sizeof(all));
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		return fail(EXIT_CORRAL, "cannot block signals");
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	/* Children that exited before the mask was set sent no signal we see. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	run(ready_fd);
}
