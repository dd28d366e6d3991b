/* pause's idle loop and its memory. Also pause_clone: pause started
 * without an exec, for `sandbox create`. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "pause_idle.h"
#include "util.h"
#include "proc.h"

/*
 * Memory. corral is one large binary, and the kernel maps file pages 64 KiB
 * around every fault ("fault-around"), so an idle loop that merely runs in
 * its text would keep well over 100 KiB resident. Instead the idle loop
 * lives in a section of its own, starts with raw system calls only (no
 * libc, no globals, no TLS), and unmaps the rest of the image: text,
 * rodata, data and bss. What stays is that page and the stack.
 * /proc/PID/exe still shows corral, /proc/PID/cmdline "pause ...".
 */
#if defined(__x86_64__)
#define SHED 1
#define SHED_VA_BITS 47
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
#define SHED_VA_BITS 48
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
/* What idle unmaps and where it reports. */
struct shed {
	uintptr_t gap[4][2];	/* [lo, hi) to unmap, when lo < hi */
	char *arg, *arg_end;	/* the cmdline to rewrite (pause_clone), or NULL */
	long ready, life;	/* fds; life is -1 when pause was exec'd */
	long ncpus;		/* bytes of cpus, or 0: the affinity was left alone */
	unsigned long cpus[PROC_CPU_WORDS];	/* the affinity to take back (pause_clone) */
};

/* Aligned so that idle (under 512 bytes) never straddles two pages; a
 * page alignment would cost the binary up to 4 KiB of padding. */
__attribute__((section("corral_pause_idle"), aligned(512), noinline, noreturn))
static void idle(const struct shed *s)
{
	uint64_t all = ~(uint64_t)0;	/* the kernel's sigset: 64 signals */
	long ready = s->ready;
	char byte = 0;

	if (s->life >= 0) {
		/* Started by pause_clone in its creator's memory: ready now,
		 * and that memory goes once the creator has exited (EOF). */
		if (sc(SYS_write, ready, (long)&byte, 1, 0) != 1)
			sc(SYS_exit_group, PAUSE_EXIT_FAIL, 0, 0, 0);
		sc(SYS_close, ready, 0, 0, 0);
		ready = -1;
		while (sc(SYS_read, s->life, (long)&byte, 1, 0) > 0)
			;
		sc(SYS_close, s->life, 0, 0, 0);
		if (s->ncpus)
			sc(SYS_sched_setaffinity, 0, s->ncpus, (long)s->cpus, 0);
		/* ps shows "pause" as for the exec'd one (arg_end - arg >= 6) */
		if (s->arg) {
			for (char *p = s->arg; p < s->arg_end; p++)
				*(volatile char *)p = 0;
			s->arg[0] = 'p', s->arg[1] = 'a', s->arg[2] = 'u', s->arg[3] = 's', s->arg[4] = 'e';
		}
	}
	/* s points to the stack, which stays; the rest goes. */
	for (int i = 0; i < 4; i++)
		if (s->gap[i][1] > s->gap[i][0])
			sc(SYS_munmap, (long)s->gap[i][0], (long)(s->gap[i][1] - s->gap[i][0]), 0, 0);
	if (ready >= 0) {
		if (sc(SYS_write, ready, (long)&byte, 1, 0) != 1)
			sc(SYS_exit_group, PAUSE_EXIT_FAIL, 0, 0, 0);
		sc(SYS_close, ready, 0, 0, 0);
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

/* The pages of idle, rounded out. */
static void idle_pages(uintptr_t *lo, uintptr_t *hi)
{
	extern const char __start_corral_pause_idle[], __stop_corral_pause_idle[];
	uintptr_t pg = (uintptr_t)getauxval(AT_PAGESZ);
	*lo = (uintptr_t)__start_corral_pause_idle & ~(pg - 1);
	*hi = ((uintptr_t)__stop_corral_pause_idle + pg - 1) & ~(pg - 1);
}

void pause_idle(int ready_fd)
{
	extern const char __ehdr_start[], _end[];
	uintptr_t pg = (uintptr_t)getauxval(AT_PAGESZ), keep0, keep1;
	idle_pages(&keep0, &keep1);
	struct shed s = {
		.gap = { { (uintptr_t)__ehdr_start & ~(pg - 1), keep0 },
			 { keep1, ((uintptr_t)_end + pg - 1) & ~(pg - 1) } },
		.ready = ready_fd, .life = -1,
	};
	idle(&s);
}

/* pause_clone: its arguments and stack. Static: the child reads them
 * while we go on, and only one pause is started per process. */
static struct {
	struct shed shed;
	int ready, life, netfd;
	unsigned long unshare;	/* the CLONE_NEW* it makes itself */
	const char *host;
	size_t hostlen;
} pc;

/* Tells the creator which step failed, then ends. Raw: the child shares
 * our errno. */
static __attribute__((noreturn)) void pc_fail(const char *what)
{
	long n = 0;
	while (what[n])
		n++;
	sc(SYS_write, pc.ready, (long)what, n, 0);
	sc(SYS_exit_group, PAUSE_EXIT_FAIL, 0, 0, 0);
	__builtin_unreachable();
}

/* The child: system calls only (no libc, whose errno and heap are ours
 * while it runs), then idle. */
static int pc_child(void *unused)
{
	struct kact { long handler, flags, restorer; uint64_t mask; } dfl = { 0 };
	uint64_t all = ~(uint64_t)0;
	long null;
	(void)unused;
	if (sc(SYS_setsid, 0, 0, 0, 0) < 0 || sc(SYS_chdir, (long)"/", 0, 0, 0) < 0)
		pc_fail("setsid");
	if (pc.unshare && sc(SYS_unshare, (long)pc.unshare, 0, 0, 0) < 0)
		pc_fail("unshare");
	if (pc.netfd >= 0 && sc(SYS_setns, pc.netfd, CLONE_NEWNET, 0, 0) < 0)
		pc_fail("setns net");
	if (sc(SYS_sethostname, (long)pc.host, (long)pc.hostlen, 0, 0) < 0)
		pc_fail("sethostname");
	if ((null = sc(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDWR, 0)) < 0)
		pc_fail("/dev/null");
	/* 0-2 /dev/null, 3 the ready pipe, 4 the life pipe; nothing else. */
	for (long fd = 0; fd < 3; fd++)
		if (null != fd && sc(SYS_dup3, null, fd, 0, 0) < 0)
			pc_fail("/dev/null");
	long rd = sc(SYS_fcntl, pc.ready, F_DUPFD, 5, 0), lf = sc(SYS_fcntl, pc.life, F_DUPFD, 5, 0);
	if (rd < 0 || lf < 0 || sc(SYS_dup3, rd, 3, 0, 0) < 0 || sc(SYS_dup3, lf, 4, 0, 0) < 0 ||
	    sc(SYS_close_range, 5, ~0L, 0, 0) < 0)
		pc_fail("fds");
	pc.shed.ready = 3;
	pc.shed.life = 4;
	/* as pause_main does: all blocked, taken one by one; defaults back */
	sc(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, sizeof(all));
	sc(SYS_rt_sigaction, SIGCHLD, (long)&dfl, 0, sizeof(all));
	sc(SYS_rt_sigaction, SIGTERM, (long)&dfl, 0, sizeof(all));
	sc(SYS_rt_sigaction, SIGINT, (long)&dfl, 0, sizeof(all));
	struct shed s = pc.shed;
	idle(&s);
}

static int cmp_range(const void *a, const void *b)
{
	const uintptr_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

pid_t pause_clone(unsigned long flags, int ready, int life, int netfd, const char *host)
{
	/* In .bss, where the page tables exist already: a mapping of its
	 * own costs ~50 us more to touch first (see alloc.c). idle keeps its
	 * pages and unmaps the rest of .bss. */
	enum { STACK = 16384 };
	static char stack[STACK] BIG_BSS(pause_stack) __attribute__((aligned(4096)));
	uintptr_t pg = (uintptr_t)getauxval(AT_PAGESZ), keep[3][2];
	pc.ready = ready;
	pc.life = life;
	pc.netfd = netfd;
	pc.host = host;
	pc.hostlen = strlen(host);
	/* Kept: idle's pages, the child's stack, and the pages of our
	 * arguments (argv[0] up to the environment's first string), which
	 * become pause's cmdline. Everything else is unmapped. */
	idle_pages(&keep[0][0], &keep[0][1]);
	keep[1][0] = (uintptr_t)stack;
	keep[1][1] = (uintptr_t)stack + STACK;
	char *arg = program_invocation_name, *arg_end = environ && environ[0] ? environ[0] : NULL;
	if (arg && arg_end > arg + 5 && arg_end - arg < 65536) {
		pc.shed.arg = arg;
		pc.shed.arg_end = arg_end;
		keep[2][0] = (uintptr_t)arg & ~(pg - 1);
		keep[2][1] = ((uintptr_t)arg_end + pg - 1) & ~(pg - 1);
	} else {
		keep[2][0] = keep[2][1] = keep[1][1];
	}
	qsort(keep, 3, sizeof(keep[0]), cmp_range);
	/* the top of the address space: 47 bits on x86_64, 48 (or less:
	 * munmap then fails, and only that gap stays) on arm64 */
	uintptr_t top = ((uintptr_t)1 << SHED_VA_BITS) - pg;
	pc.shed.gap[0][0] = pg;
	for (int i = 0; i < 3; i++) {
		pc.shed.gap[i][1] = keep[i][0];
		pc.shed.gap[i + 1][0] = keep[i][1];
	}
	pc.shed.gap[3][1] = top;
	pc.unshare = flags & ~(unsigned long)CLONE_NEWPID;
	/* On another CPU than ours, where it exists: what the child does
	 * before it is ready then runs beside the network we make, where a
	 * scheduler that starts a child on its parent's CPU (as a VM's may)
	 * would have the two take turns. Moved right after the clone; it
	 * takes our affinity back once we have exited (not before: it might
	 * then take it back before we moved it). */
	unsigned long other[PROC_CPU_WORDS];
	pc.shed.ncpus = (long)proc_cpus_other(pc.shed.cpus, other);
	pid_t pid = clone(pc_child, stack + STACK, (int)((flags & CLONE_NEWPID) | CLONE_VM | SIGCHLD), NULL);
	if (pid > 0 && pc.shed.ncpus)
		sc(SYS_sched_setaffinity, pid, pc.shed.ncpus, (long)other, 0);
	return pid;
}
#else
void pause_idle(int ready_fd)
{
	sigset_t all;
	char byte = 0;

	memset(&all, 0xff, sizeof(all));
	if (ready_fd >= 0) {
		if (write(ready_fd, &byte, 1) != 1)
			_exit(PAUSE_EXIT_FAIL);
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

#if !SHED
pid_t pause_clone(unsigned long flags, int ready, int life, int netfd, const char *host)
{
	(void)flags, (void)ready, (void)life, (void)netfd, (void)host;
	errno = ENOSYS;
	return -1;
}
#endif

