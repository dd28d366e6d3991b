/* Processes: clone into namespaces, the init that reaps and forwards
 * signals, and exit-status mapping. */
#ifndef CORRAL_PROC_H
#define CORRAL_PROC_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"

/* fork() with namespace flags (CLONE_NEW*); returns like fork. */
pid_t proc_clone(unsigned long flags);
/* The same, with the child running fn(arg) on a stack of its own in our
 * memory (CLONE_VM): nothing is copied, and no page of ours faults later
 * for copy-on-write, which is most of what a fork costs on a VM. The
 * child must leave through _exit or exec. Its errno is ours, and so is
 * the malloc arena: while both run, at most one mallocs, and neither
 * trusts errno where the other may be failing a call. One such child at
 * a time; it may start one of its own (on the lower half of the stack).
 * Returns its pid, -1 with errno. */
pid_t proc_clone_vm(unsigned long flags, int (*fn)(void *), void *arg);
/* The environment of a command: base (NULL: none) with each NAME=VALUE of
 * set[0..n) in place of base's NAME, or added; the strings are borrowed.
 * NULL when out of memory. */
char **proc_env(char *const *base, const char *const *set, size_t n);
/* Closes every fd from first on (close_range, or one by one before Linux
 * 5.9). */
void proc_close_from(unsigned first);
/* Marks every fd from first on close-on-exec (close_range, or one by one
 * before Linux 5.11). */
void proc_cloexec_from(unsigned first);
/* For a child that should work beside us rather than after us: a
 * scheduler that starts a child on its parent's CPU (as the one of a VM
 * that keeps its idle vCPUs halted may) has the two take turns. Fills all
 * with our CPU set and other with the same less the CPU we run on;
 * returns the size in bytes for sched_setaffinity, 0 where no other CPU
 * is allowed. */
#define PROC_CPU_WORDS 16
size_t proc_cpus_other(unsigned long all[PROC_CPU_WORDS], unsigned long other[PROC_CPU_WORDS]);
/* The same for a set of n bytes we have: other = all less our CPU. */
size_t proc_cpus_less_ours(const unsigned long *all, size_t n, unsigned long other[PROC_CPU_WORDS]);
/* execvp with the PATH of envp (not environ's, which it leaves alone): as
 * musl's, no PATH means /usr/local/bin:/bin:/usr/bin, and EACCES met on
 * the way is reported when nothing is found. Returns only on failure,
 * with errno. */
void proc_exec_path(const char *file, char *const argv[], char *const envp[]);
/* The shell's convention: exit code, or 128+N after death by signal N. */
int proc_exit_code(int wstatus);
/* Blocks every catchable signal (so they queue for proc_supervise) and
 * saves the old mask in old. */
void proc_block_signals(sigset_t *old);
/* Waits for child, forwarding every catchable signal sent to us by another
 * process (si_code <= 0) to it; a terminal's signals (SI_KERNEL) already
 * reached the whole process group. When reap_all, also reaps every other
 * child (we are an init) and, once child is gone, returns at once. Returns
 * the child's wait status. */
int proc_supervise(pid_t child, int reap_all);
/* For a subreaper: SIGKILLs every descendant, reaping as they go (orphans
 * of killed parents come to us), until none is left. */
void proc_kill_descendants(void);
/* Start time of pid in clock ticks since boot (field 22 of
 * /proc/PID/stat); -ESRCH when it is gone or a zombie. */
int proc_pid_start(pid_t pid, uint64_t *start);
/* 1 when pid runs (not a zombie) with this start time; 0 for start 0. */
int proc_runs(pid_t pid, unsigned long long start);
/* The start time, 0 when it is gone or a zombie. */
unsigned long long proc_start_time(pid_t pid);
/* Parses the text of /proc/PID/stat (comm may hold ')' and spaces): the
 * state letter and field 22; pure. */
int proc_parse_stat(const char *text, char *state, uint64_t *start);

/* Stopping processes by pidfd, so that a recycled pid is never signalled.
 * A pidfd for pid when it still runs with this start time, else -1. */
int proc_pidfd(pid_t pid, unsigned long long start);
#define PROC_STOP_MAX 1024	/* pidfds proc_stop_finish waits on at once */
/* TERM to each; then proc_stop_finish waits, KILLs those left after
 * grace_ms, waits as long again and closes the fds. In two halves, so
 * that a caller can work while they exit. */
void proc_stop_begin(const int *fds, int n);
void proc_stop_finish(int *fds, int n, int grace_ms);

#endif
