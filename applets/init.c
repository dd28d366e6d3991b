/* init - PID 1 of an initramfs: mounts, modules, boot-time sandboxes
 *
 * usage: corral init --check [--config FILE]
 *        (as the kernel's /init, or rdinit=/bin/init: no options)
 *
 * As PID 1, init first moves the initramfs into a tmpfs and switches to it
 * as switch_root does, so that sandboxes can pivot_root ("switch_root":
 * false keeps the initramfs as /; `run` then takes its MS_MOVE + chroot
 * path). It mounts /proc, /sys, /dev (devtmpfs), /dev/pts, /dev/shm, /run
 * and cgroup2 at /sys/fs/cgroup with the memory, pids and cpu controllers
 * enabled for children; loads the kernel modules the config lists, in
 * order, each after its dependencies (finit_module; the dependencies come
 * from /lib/modules/VERSION/modules.dep, which `make initramfs` writes);
 * brings lo up; then starts the workloads of the boot config, each one a
 * `corral run` (or, with "kind": "exec", a plain process).
 *
 * While running, init reaps every orphan and restarts workloads as their
 * policy says. SIGTERM, SIGUSR2 and SIGPWR stop the workloads (SIGTERM,
 * then SIGKILL after "stop_timeout" seconds) and power off; SIGINT, sent
 * by the kernel on ctrl-alt-del, does the same and reboots. Other signals
 * go to every workload. init never exits: on a fatal error it logs and
 * powers off. It logs with <N> levels to /dev/kmsg or the console. As PID
 * 1 of a PID namespace (a container) it refuses to start: that is not the
 * machine's init, and its mounts would land on the host's.
 *
 * Workloads: stdio on the console, each in its own session; a "run" one
 * execs `corral run --hostname NAME [--root ..] [--net ..] [--env K=V]..
 * [limits] [run_args] -- COMMAND`. `restart` waits 100 ms, doubling up to
 * 5 s while a workload keeps exiting within 10 s of its start.
 * `limits` need the matching `corral run` options (--memory, --pids,
 * --cpus); a config that uses one this build lacks is refused.
 *
 * The boot config: /etc/corral/boot.json, or the file named by the
 * CORRAL_BOOT_CONFIG variable (a kernel command-line word such as
 * CORRAL_BOOT_CONFIG=/etc/corral/other.json sets it). Keys ("//" keys are
 * comments):
 *   modules        ["overlay", ...]: module names, loaded in this order
 *   switch_root    true (default) or false
 *   stop_timeout   seconds a workload gets after SIGTERM (default 10)
 *   log            "kmsg" (default) or "console"
 *   workloads      [ENTRY, ...], started in this order
 * Each ENTRY:
 *   name           [A-Za-z0-9_.-], at most 32 bytes (required)
 *   command        ["/bin/sh", "-c", "..."] (required)
 *   kind           "run" (default: a sandbox) or "exec" (a plain process)
 *   root           run --root (default /)
 *   network        run --net (default none)
 *   hostname       run --hostname (default: the name, when valid)
 *   limits         {"memory": "64m", "pids": 100, "cpus": "0.5"}
 *   env            {"KEY": "value", ...}
 *   run_args       more options for run, e.g. ["--bind", "/data"]
 *   tty            true: the console is its controlling terminal (job
 *                  control for a shell); one workload at most
 *   restart        "no" (default), "on-failure" or "always"
 *   on_exit        when it ends for good: "none" (default), "poweroff",
 *                  "reboot", or "restart" (stop all workloads, read the
 *                  config again and start them again); when every
 *                  workload has ended with "none", init powers off
 *
 * Options:
 *   --check         parse and validate the config, print the plan, exit
 *   --config FILE   the config for --check (default /etc/corral/boot.json)
 *   -h, --help      this text
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "applets.h"
#include "bootcfg.h"
#include "nl.h"
#include "proc.h"
#include "rtnl.h"
#include "switchroot.h"
#include "util.h"

#define BOOT_CONFIG "/etc/corral/boot.json"
#define CONFIG_ENV "CORRAL_BOOT_CONFIG"
#define SWITCHED_ENV "CORRAL_INIT_SWITCHED"
#define NEWROOT "/.corral-root"
#define RESTART_DELAY_MS 100		/* first restart; doubles up to the cap */
#define RESTART_DELAY_MAX_MS 5000
#define RESTART_RESET_MS 10000		/* a run this long resets the delay */
#define REAP_AFTER_KILL_MS 1000

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Seconds since boot, to the millisecond: the guest's own clock. */
static double uptime_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- logging: "<N>corral init: ..." to /dev/kmsg or the console ---- */

static int log_fd = 2;

static void ilog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ilog(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "<%d>corral init: ", level);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	line[len++] = '\n';
	if (write(log_fd, line, len) < 0 && log_fd != 2)
		(void)!write(2, line, len);
}

enum { L_CRIT = 2, L_ERR = 3, L_WARN = 4, L_NOTICE = 5, L_INFO = 6 };

static void console_stdio(void)
{
	/* The kernel opens /dev/console for us when the image holds it. */
	if (fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0)
		return;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static void log_open(bool kmsg)
{
	if (log_fd > 2)
		close(log_fd);
	log_fd = 2;
	if (kmsg) {
		/* As the system's logger, init's lines must not be rate-limited
		 * away (10 per 5 s); a printk.devkmsg= on the command line wins
		 * (EINVAL). The kernel wants the newline. */
		write_str("/proc/sys/kernel/printk_devkmsg", "on\n", NULL);
		int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			log_fd = fd;
	}
}

/* Whether this build's `run` has an option (limits arrive with cgroups). */
static bool run_has_option(const char *opt)
{
	const struct applet *a = applet_find("run");
	char pat[48];
	snprintf(pat, sizeof(pat), "%s ", opt);
	return a && strstr(applet_help(a), pat);
}

static const char *config_path(void)
{
	const char *p = getenv(CONFIG_ENV);
	return p && *p ? p : BOOT_CONFIG;
}

/* ---- the root: initramfs into a tmpfs, as switch_root does ---- */

/* Moves the initramfs into a fresh tmpfs, makes it / and re-executes init
 * from there. Returns only on failure (then / is still the initramfs,
 * unless the final switch failed). */
static int switch_root(char **argv, struct err *e)
{
	double t0 = uptime_s();
	int r = switchroot_tmpfs(NEWROOT, e);
	if (r < 0)
		return r;
	/* From here on the old root is gone: only an exec of the copy helps.
	 * The variable tells the new init that the switch is done, and when
	 * it began. */
	char began[32];
	snprintf(began, sizeof(began), "%.3f", t0);
	setenv(SWITCHED_ENV, began, 1);
	execv("/init", argv);
	char *alt[] = { "init", NULL };
	execv("/bin/corral", argv[0] ? argv : alt);
	return err_sys(e, errno, "exec /init after the switch");
}

/* ---- mounts, cgroups, modules, lo ---- */

struct mnt {
	const char *src, *dst, *type;
	unsigned long flags;
	const char *data;
};

static int mount_all(void)
{
	static const struct mnt m[] = {
		{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
		{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666" },
		{ "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
		{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
		{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
		{ "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate" },
	};
	int bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		mkdir(m[i].dst, 0755);
		if (mount(m[i].src, m[i].dst, m[i].type, m[i].flags, m[i].data) < 0 && errno != EBUSY) {
			ilog(L_ERR, "mount %s on %s: %s", m[i].type, m[i].dst, strerror(errno));
			bad++;
		}
	}
	return bad;
}

static void cgroup_controllers(void)
{
	static const char *const want[] = { "memory", "pids", "cpu" };
	struct err e = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char op[16];
		snprintf(op, sizeof(op), "+%s", want[i]);
		if (write_str("/sys/fs/cgroup/cgroup.subtree_control", op, &e) < 0)
			ilog(L_ERR, "cgroup controller %s: %s", want[i], e.msg);
	}
}

struct kmod {
	char *name;		/* with '-' as '_' */
	char *path;		/* relative to the modules dir */
	char *deps;		/* the rest of the modules.dep line */
	int state;		/* 0 new, 1 loading, 2 loaded, -1 failed */
};

struct modtab {
	char dir[PATH_MAX];
	char *text;
	char *builtin;		/* modules.builtin, or NULL */
	struct kmod *m;
	size_t n;
};

static void modname(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t i;
	for (i = 0; i + 1 < n && b[i] && strcmp(b + i, ".ko"); i++)
		out[i] = b[i] == '-' ? '_' : b[i];
	out[i] = 0;
}

static int modtab_load(struct modtab *t, struct err *e)
{
	struct utsname u;
	size_t len;
	char path[PATH_MAX + 16];

	uname(&u);
	snprintf(t->dir, sizeof(t->dir), "/lib/modules/%s", u.release);
	snprintf(path, sizeof(path), "%s/modules.dep", t->dir);
	int r = read_file(path, 16u << 20, &t->text, &len, e);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/modules.builtin", t->dir);
	if (read_file(path, 16u << 20, &t->builtin, &len, NULL) < 0)
		t->builtin = NULL;
	for (char *line = t->text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		struct kmod *nm = realloc(t->m, (t->n + 1) * sizeof(*nm));
		if (!nm)
			return err_set(e, ENOMEM, "out of memory");
		t->m = nm;
		char name[64];
		modname(line, name, sizeof(name));
		t->m[t->n++] = (struct kmod){ strdup(name), line, colon + 1, 0 };
	}
	return 0;
}

/* Built into the kernel: listed in modules.builtin (as a path). */
static bool mod_builtin(const struct modtab *t, const char *name)
{
	for (const char *l = t->builtin; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		char n[64];
		size_t len = strcspn(l, "\n");
		char line[PATH_MAX];
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), l);
		modname(line, n, sizeof(n));
		if (!strcmp(n, name))
			return true;
	}
	return false;
}

static int mod_load(struct modtab *t, const char *want, const char *needed_by, int depth)
{
	char name[64];
	modname(want, name, sizeof(name));
	struct kmod *k = NULL;
	for (size_t i = 0; i < t->n && !k; i++)
		if (t->m[i].name && !strcmp(t->m[i].name, name))
			k = &t->m[i];
	if (!k) {
		char sys[96];
		snprintf(sys, sizeof(sys), "/sys/module/%s", name);
		if (access(sys, F_OK) == 0 || mod_builtin(t, name))
			return 0;
		ilog(L_ERR, "module %s: not in %s/modules.dep%s%s", name, t->dir,
		     needed_by ? ", needed by " : "", needed_by ? needed_by : "");
		return -ENOENT;
	}
	if (k->state == 2 || k->state == 1)
		return 0;
	if (k->state < 0)
		return -EIO;
	if (depth > 32) {
		ilog(L_ERR, "module %s: dependencies nest too deep", name);
		return -ELOOP;
	}
	k->state = 1;
	char deps[4096];
	snprintf(deps, sizeof(deps), "%s", k->deps);
	int r = 0;
	for (char *s, *p = strtok_r(deps, " \t", &s); p; p = strtok_r(NULL, " \t", &s))
		if (mod_load(t, p, name, depth + 1) < 0)
			r = -EIO;
	if (r == 0) {
		char path[PATH_MAX * 2];
		snprintf(path, sizeof(path), "%s/%s", t->dir, k->path);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)) {
			ilog(L_ERR, "module %s: %s%s%s", name, strerror(errno),
			     needed_by ? " (needed by " : "", needed_by ? needed_by : "");
			r = -errno;
		}
		if (fd >= 0)
			close(fd);
	} else {
		ilog(L_ERR, "module %s: not loaded, a dependency failed", name);
	}
	k->state = r == 0 ? 2 : -1;
	return r;
}

static void load_modules(const struct bootcfg *c)
{
	struct modtab t = { 0 };
	struct err e = { 0 };
	if (c->modules.n == 0)
		return;
	if (modtab_load(&t, &e) < 0) {
		ilog(L_ERR, "modules: %s; none loaded", e.msg);
		return;
	}
	int bad = 0;
	for (size_t i = 0; i < c->modules.n; i++)
		if (mod_load(&t, c->modules.v[i], NULL, 0) < 0)
			bad++;
	ilog(bad ? L_ERR : L_INFO, "modules: %zu asked for, %d failed", c->modules.n, bad);
	for (size_t i = 0; i < t.n; i++)
		free(t.m[i].name);
	free(t.m);
	free(t.text);
	free(t.builtin);
}

static void lo_up(void)
{
	struct nl nl;
	struct err e = { 0 };
	if (nl_open(&nl, NETLINK_ROUTE, &e) < 0 || rtnl_link_up(&nl, 1, &e) < 0)
		ilog(L_ERR, "lo: %s", e.msg);
	else
		nl_close(&nl);
}

/* ---- workloads ---- */

static struct bootcfg cfg BIG_BSS(bootcfg);
static bool stopping;
static enum boot_action final_action;
static long long stop_deadline;

static void start(struct workload *w)
{
	w->start_at = 0;
	w->started = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		ilog(L_ERR, "workload %s: fork: %s", w->name, strerror(errno));
		w->start_at = now_ms() + RESTART_DELAY_MAX_MS;
		return;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		setsid();
		if (w->tty && ioctl(0, TIOCSCTTY, 1) < 0)
			ilog(L_WARN, "workload %s: the console as its tty: %s", w->name, strerror(errno));
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (size_t i = 0; i < w->env.n; i++)
			putenv(w->env.v[i]);
		if (w->kind == KIND_RUN) {
			execv("/proc/self/exe", w->argv.v);
			execv("/bin/corral", w->argv.v);
		} else {
			execvp(w->argv.v[0], w->argv.v);
		}
		ilog(L_ERR, "workload %s: exec %s: %s", w->name,
		     w->kind == KIND_RUN ? "corral" : w->argv.v[0], strerror(errno));
		_exit(errno == ENOENT ? EXIT_NOENT : EXIT_NOEXEC);
	}
	w->pid = pid;
	ilog(L_INFO, "workload %s: started (pid %d, %.3f s after boot)", w->name, (int)pid, uptime_s());
}

static bool any_running(void)
{
	for (size_t i = 0; i < cfg.nw; i++)
		if (cfg.w[i].pid > 0)
			return true;
	return false;
}

static void begin_stop(enum boot_action a, const char *why)
{
	if (stopping)
		return;
	stopping = true;
	final_action = a;
	stop_deadline = now_ms() + cfg.stop_timeout * 1000LL;
	ilog(L_NOTICE, "%s: stopping the workloads, then %s", why,
	     a == ACT_RESTART ? "starting them again" : a == ACT_REBOOT ? "reboot" : "power-off");
	for (size_t i = 0; i < cfg.nw; i++) {
		cfg.w[i].start_at = 0;
		if (cfg.w[i].pid > 0)
			kill(cfg.w[i].pid, SIGTERM);
	}
}

static void exited(struct workload *w, int status)
{
	int code = proc_exit_code(status);
	long long ran = now_ms() - w->started;
	w->pid = 0;
	ilog(code ? L_WARN : L_INFO, "workload %s: exited with %d after %lld ms", w->name, code, ran);
	if (stopping)
		return;
	if (w->restart == RESTART_ALWAYS || (w->restart == RESTART_ON_FAILURE && code != 0)) {
		if (ran >= RESTART_RESET_MS || w->delay_ms == 0)
			w->delay_ms = RESTART_DELAY_MS;
		else if ((w->delay_ms *= 2) > RESTART_DELAY_MAX_MS)
			w->delay_ms = RESTART_DELAY_MAX_MS;
		w->restarts++;
		w->start_at = now_ms() + w->delay_ms;
		ilog(L_NOTICE, "workload %s: restart %u in %u ms (policy %s)", w->name, w->restarts,
		     w->delay_ms, boot_restart_names[w->restart]);
		return;
	}
	w->done = true;
	if (w->on_exit != ACT_NONE) {
		char why[64];
		snprintf(why, sizeof(why), "workload %s ended (on_exit %s)", w->name,
			 boot_action_names[w->on_exit]);
		begin_stop(w->on_exit, why);
		return;
	}
	for (size_t i = 0; i < cfg.nw; i++)
		if (!cfg.w[i].done)
			return;
	begin_stop(ACT_POWEROFF, "every workload has ended");
}

static void reap(void)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		for (size_t i = 0; i < cfg.nw; i++)
			if (cfg.w[i].pid == p)
				exited(&cfg.w[i], st);
}

/* Waits up to ms for children, reaping; returns early when none is left. */
static void reap_for(long long ms)
{
	long long end = now_ms() + ms;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		reap();
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return;
		long long left = end - now_ms();
		if (left <= 0)
			return;
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
		sigtimedwait(&chld, NULL, &ts);
	}
}

static _Noreturn void halt_forever(void)
{
	sigset_t all;
	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(&all, &si) == SIGCHLD)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
	}
}

static _Noreturn void finish(enum boot_action a)
{
	ilog(L_NOTICE, "stopping every process");
	kill(-1, SIGTERM);
	reap_for(REAP_AFTER_KILL_MS);
	kill(-1, SIGKILL);
	reap_for(REAP_AFTER_KILL_MS);
	sync();
	ilog(L_NOTICE, "%s", a == ACT_REBOOT ? "reboot" : "power-off");
	reboot(a == ACT_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF);
	ilog(L_CRIT, "reboot(2): %s; halted", strerror(errno));
	halt_forever();
}

static _Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void fatal(const char *fmt, ...)
{
	char m[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	ilog(L_CRIT, "%s; powering off", m);
	finish(ACT_POWEROFF);
}

static void start_all(void)
{
	for (size_t i = 0; i < cfg.nw; i++)
		start(&cfg.w[i]);
	if (cfg.nw == 0)
		begin_stop(ACT_POWEROFF, "no workloads in the config");
}

/* The stop is over (all exited, or the timeout hit): kill what is left,
 * then reboot, power off, or start again. */
static void stop_done(void)
{
	for (size_t i = 0; i < cfg.nw; i++)
		if (cfg.w[i].pid > 0) {
			ilog(L_WARN, "workload %s: still running after %u s; killing it", cfg.w[i].name,
			     cfg.stop_timeout);
			kill(cfg.w[i].pid, SIGKILL);
		}
	if (any_running()) {
		long long end = now_ms() + REAP_AFTER_KILL_MS;
		while (any_running() && now_ms() < end)
			reap_for(50);
	}
	if (final_action != ACT_RESTART)
		finish(final_action);
	struct err e = { 0 };
	bootcfg_free(&cfg);
	if (bootcfg_load(config_path(), run_has_option, &cfg, &e) < 0)
		fatal("%s", e.msg);
	stopping = false;
	ilog(L_NOTICE, "starting the workloads again");
	start_all();
}

static void handle_signal(const siginfo_t *si)
{
	switch (si->si_signo) {
	case SIGCHLD:
		reap();
		break;
	case SIGTERM:
		begin_stop(ACT_POWEROFF, "SIGTERM");
		break;
	case SIGUSR2:
		begin_stop(ACT_POWEROFF, "SIGUSR2");
		break;
	case SIGPWR:
		begin_stop(ACT_POWEROFF, "SIGPWR (power failure)");
		break;
	case SIGINT:
		begin_stop(ACT_REBOOT, "SIGINT (ctrl-alt-del)");
		break;
	default:
		for (size_t i = 0; i < cfg.nw; i++)
			if (cfg.w[i].pid > 0)
				kill(cfg.w[i].pid, si->si_signo);
	}
}

static _Noreturn void supervise(void)
{
	sigset_t all;
	sigfillset(&all);
	for (;;) {
		long long now = now_ms(), next = -1;
		if (stopping && (!any_running() || now >= stop_deadline)) {
			stop_done();
			continue;
		}
		for (size_t i = 0; i < cfg.nw; i++) {
			struct workload *w = &cfg.w[i];
			if (!w->start_at || stopping)
				continue;
			if (w->start_at <= now)
				start(w);
			else if (next < 0 || w->start_at < next)
				next = w->start_at;
		}
		if (stopping)
			next = stop_deadline;
		siginfo_t si;
		int sig;
		if (next >= 0) {
			long long left = next - now_ms();
			if (left < 0)
				left = 0;
			struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
			sig = sigtimedwait(&all, &si, &ts);
		} else {
			sig = sigwaitinfo(&all, &si);
		}
		if (sig > 0)
			handle_signal(&si);
	}
}

/* Returns only when this is not the machine's init (a PID 1 in a PID
 * namespace, where reboot(2) only ends the namespace): mounting over
 * /proc or switching roots there would hit the host. */
static int pid1(char **argv)
{
	struct err e = { 0 };
	sigset_t all;

	/* ctrl-alt-del then sends SIGINT to init; only the initial PID
	 * namespace may set it (EINVAL elsewhere). */
	if (reboot(RB_DISABLE_CAD) < 0)
		return fail(EXIT_CORRAL, "not the machine's init (reboot: %s); corral init is the "
			    "kernel's /init only; --check validates a boot config", strerror(errno));

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	umask(022);
	console_stdio();
	if (!getenv("PATH"))
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);

	char switched[64] = "initramfs";
	const char *began = getenv(SWITCHED_ENV);
	if (began) {
		snprintf(switched, sizeof(switched), "tmpfs (switch began %s s after boot)", began);
		unsetenv(SWITCHED_ENV);
	} else {
		struct bootcfg early;
		/* A config that does not parse is reported below, after the mounts. */
		if (bootcfg_load(config_path(), run_has_option, &early, &e) == 0) {
			bool sw = early.switch_root;
			bootcfg_free(&early);
			if (sw && switch_root(argv, &e) < 0)
				ilog(L_ERR, "switch to a tmpfs root: %s; staying on the initramfs", e.msg);
		}
	}
	mount_all();
	console_stdio();
	int r = bootcfg_load(config_path(), run_has_option, &cfg, &e);
	log_open(r == 0 ? cfg.log_kmsg : true);
	ilog(L_INFO, "corral init, %.3f s after boot; root: %s", uptime_s(), switched);
	if (r < 0)
		fatal("boot config %s", e.msg);
	cgroup_controllers();
	load_modules(&cfg);
	lo_up();
	start_all();
	supervise();
	return 0;
}

static void print_plan(const struct bootcfg *c)
{
	printf("switch_root %s\nstop_timeout %u\nlog %s\n", c->switch_root ? "yes" : "no",
	       c->stop_timeout, c->log_kmsg ? "kmsg" : "console");
	for (size_t i = 0; i < c->modules.n; i++)
		printf("module %s\n", c->modules.v[i]);
	for (size_t i = 0; i < c->nw; i++) {
		const struct workload *w = &c->w[i];
		printf("workload %s kind=%s restart=%s on_exit=%s%s:", w->name, boot_kind_names[w->kind],
		       boot_restart_names[w->restart], boot_action_names[w->on_exit], w->tty ? " tty" : "");
		for (size_t k = 0; k < w->env.n; k++)
			printf(" %s", w->env.v[k]);
		for (size_t k = 0; k < w->argv.n; k++)
			printf(" %s", w->argv.v[k]);
		putchar('\n');
	}
}

int init_main(int argc, char **argv)
{
	/* The kernel's arguments are not ours to parse; only an explicit
	 * --check or --help (say, as PID 1 of a container) is. */
	bool asked = false;
	for (int i = 1; i < argc; i++)
		asked |= !strcmp(argv[i], "--check") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
	if (getpid() == 1 && !asked)
		return pid1(argv);

	static const struct option lo[] = {
		{ "check", 0, 0, 'c' }, { "config", 1, 0, 'f' }, { "help", 0, 0, 'h' }, { 0 }
	};
	const char *path = NULL;
	bool check = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			return usage(0);
		case 'c':
			check = true;
			break;
		case 'f':
			path = optarg;
			break;
		default:
			return fail(EXIT_CORRAL, "unknown or incomplete option '%s'; see --help",
				    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(EXIT_CORRAL, "unexpected argument '%s'; see --help", argv[optind]);
	if (!check)
		return fail(EXIT_CORRAL, "runs only as PID 1 (the kernel's /init); "
			    "--check validates a boot config");
	struct bootcfg b;
	struct err e = { 0 };
	if (bootcfg_load(path ? path : config_path(), run_has_option, &b, &e) < 0)
		return fail_err(&e);
	print_plan(&b);
	bootcfg_free(&b);
	return 0;
}
