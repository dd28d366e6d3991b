/* benchrun - time the start of several commands, interleaved.
 *
 * usage: benchrun [-n N] [-w W] [-r REF] [-o FILE] [-s] NAME=COMMAND...
 *
 * COMMAND is split on blanks (no quoting; wrap anything fancier in a
 * script); a ";;" word separates commands that run one after the other
 * and are timed as one run (wall time around all, their CPU times added).
 * "%n" in an argument becomes the run number, for commands that want a
 * unique name per run. Each command first runs W times unmeasured
 * (default 5); a command whose warm-up fails is reported and left out.
 * Then the commands run round-robin, N times each (default 200, or
 * $BENCH_N), each round starting one command later, so that drift of the
 * machine spreads over all of them. Every run is fork + exec + wait4 with
 * stdin and stdout on /dev/null; wall time is CLOCK_MONOTONIC around it and
 * CPU time is the user + system time wait4 reports (the command and the
 * children it reaped; work the kernel defers to its own threads is not
 * counted). A run that takes longer than $BENCH_TIMEOUT seconds (default
 * 30) is killed and counted as failed.
 *
 * -s calls sync(2) before each run, outside its time, so that no run's own
 * syncs pay for what the run before it left to write back.
 *
 * Prints per command the median, 10th and 90th percentile of wall time, the
 * median CPU time, failed runs, and both medians as a ratio against REF
 * (default: the first command). -o FILE also writes "NAME WALL_MS CPU_MS"
 * lines for scripts.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 32
#define MAX_ARGS 64

static bool presync;	/* -s */

struct cmd {
	char *name;
	char *argv[MAX_ARGS + 1];
	int argc;
	double *wall, *cpu;	/* ms, one per measured run */
	int runs, fails, last_status;
	int dropped;
};

static volatile sig_atomic_t timed_out;
static unsigned timeout_s = 30;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double tv_ms(struct timeval tv)
{
	return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

/* Runs argv (NULL-terminated) once, adding its CPU time to *cpu; returns
 * its wait status, -1 when fork or wait fails, -2 when it ran out of time. */
static int run_one(char **argv, double *cpu)
{
	struct rusage ru;
	int st;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	timed_out = 0;
	alarm(timeout_s);
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR)
			return -1;
		if (timed_out)
			kill(pid, SIGKILL);
	}
	alarm(0);
	if (timed_out)
		return -2;
	*cpu += tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime);
	return st;
}

/* Runs c once: each of its commands (split at ";;") in turn, timed as one;
 * returns the first failing wait status, or the last one. */
static int run_once(struct cmd *c, long n, double *wall, double *cpu)
{
	char nbuf[24], *argv[MAX_ARGS + 1], bufs[MAX_ARGS][256];
	int st = 0;

	snprintf(nbuf, sizeof(nbuf), "%ld", n);
	for (int i = 0; i < c->argc; i++) {
		char *p = strstr(c->argv[i], "%n");
		argv[i] = c->argv[i];
		if (p) {
			snprintf(bufs[i], sizeof(bufs[i]), "%.*s%s%s",
				 (int)(p - c->argv[i]), c->argv[i], nbuf, p + 2);
			argv[i] = bufs[i];
		}
	}
	argv[c->argc] = NULL;

	*cpu = 0;
	if (presync)
		sync();
	double t0 = now_ms();
	for (int i = 0, j; i < c->argc && st == 0; i = j + 1) {
		for (j = i; j < c->argc && strcmp(argv[j], ";;"); j++)
			;
		argv[j] = NULL;
		st = run_one(argv + i, cpu);
	}
	*wall = now_ms() - t0;
	return st;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* p-th percentile (0..100) of v[0..n), nearest rank; sorts v. */
static double pct(double *v, int n, int p)
{
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	if (p == 50 && n % 2 == 0)
		return (v[n / 2 - 1] + v[n / 2]) / 2;
	return v[(long)p * (n - 1) / 100];
}

static int parse_cmd(struct cmd *c, char *spec)
{
	char *eq = strchr(spec, '=');
	if (!eq || eq == spec)
		return -1;
	*eq = 0;
	c->name = spec;
	for (char *tok = strtok(eq + 1, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (c->argc == MAX_ARGS)
			return -1;
		c->argv[c->argc++] = tok;
	}
	return c->argc ? 0 : -1;
}

static void describe(int st, char *buf, size_t len)
{
	if (st == -2)
		snprintf(buf, len, "timed out after %us", timeout_s);
	else if (st < 0)
		snprintf(buf, len, "fork/wait failed");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exit %d", WEXITSTATUS(st));
	else
		snprintf(buf, len, "signal %d", WTERMSIG(st));
}

static int usage(void)
{
	fprintf(stderr, "usage: benchrun [-n N] [-w W] [-r REF] [-o FILE] [-s] NAME=COMMAND...\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct cmd cmds[MAX_CMDS];
	const char *ref = NULL, *out = NULL, *env = getenv("BENCH_N");
	long n = env && *env ? atol(env) : 200, warm = 5;
	int ncmd = 0, opt;
	const char *tmo = getenv("BENCH_TIMEOUT");
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */

	if (tmo && atoi(tmo) > 0)
		timeout_s = (unsigned)atoi(tmo);
	sigaction(SIGALRM, &sa, NULL);

	while ((opt = getopt(argc, argv, "+n:w:r:o:s")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'w': warm = atol(optarg); break;
		case 'r': ref = optarg; break;
		case 'o': out = optarg; break;
		case 's': presync = true; break;
		default: return usage();
		}
	}
	if (n < 1 || warm < 0 || optind == argc)
		return usage();
	for (int i = optind; i < argc; i++) {
		if (ncmd == MAX_CMDS || parse_cmd(&cmds[ncmd], argv[i]) < 0)
			return usage();
		cmds[ncmd].wall = calloc((size_t)n, sizeof(double));
		cmds[ncmd].cpu = calloc((size_t)n, sizeof(double));
		if (!cmds[ncmd].wall || !cmds[ncmd].cpu)
			return perror("benchrun"), 1;
		ncmd++;
	}

	long runno = 0;
	int live = 0;
	for (int i = 0; i < ncmd; i++) {
		struct cmd *c = &cmds[i];
		double w, u;
		for (long k = 0; k < warm && !c->dropped; k++) {
			int st = run_once(c, runno++, &w, &u);
			if (st != 0) {
				char why[64];
				describe(st, why, sizeof(why));
				fprintf(stderr, "benchrun: %s: warm-up run failed (%s); left out\n",
					c->name, why);
				c->dropped = 1;
			}
		}
		live += !c->dropped;
	}
	if (!live)
		return fprintf(stderr, "benchrun: every command failed\n"), 1;

	for (long r = 0; r < n; r++) {
		for (int j = 0; j < ncmd; j++) {
			struct cmd *c = &cmds[(j + r) % ncmd];
			if (c->dropped)
				continue;
			double w, u;
			int st = run_once(c, runno++, &w, &u);
			if (st != 0) {
				c->fails++;
				c->last_status = st;
				continue;
			}
			c->wall[c->runs] = w;
			c->cpu[c->runs] = u;
			c->runs++;
		}
	}

	struct cmd *rc = NULL;
	for (int i = 0; i < ncmd && !rc; i++)
		if (!cmds[i].dropped && cmds[i].runs && (!ref || !strcmp(cmds[i].name, ref)))
			rc = &cmds[i];
	if (!rc) {
		fprintf(stderr, "benchrun: reference '%s' has no runs; ratios against the first command\n",
			ref ? ref : "");
		for (int i = 0; i < ncmd && !rc; i++)
			if (!cmds[i].dropped && cmds[i].runs)
				rc = &cmds[i];
	}
	double ref_wall = 0, ref_cpu = 0;
	if (rc) {
		ref_wall = pct(rc->wall, rc->runs, 50);
		ref_cpu = pct(rc->cpu, rc->runs, 50);
	}

	FILE *of = out ? fopen(out, "we") : NULL;
	if (out && !of)
		return perror(out), 1;
	int width = 4;
	for (int i = 0; i < ncmd; i++)
		if ((int)strlen(cmds[i].name) > width)
			width = (int)strlen(cmds[i].name);
	printf("%ld runs each, round-robin; ms per start; ratios against %s\n",
	       n, rc ? rc->name : "-");
	printf("%-*s %9s %8s %8s %9s %8s %8s %6s\n", width, "what", "wall p50",
	       "p10", "p90", "cpu p50", "x wall", "x cpu", "failed");
	for (int i = 0; i < ncmd; i++) {
		struct cmd *c = &cmds[i];
		if (c->dropped) {
			printf("%-*s %9s\n", width, c->name, "left out");
			continue;
		}
		if (!c->runs) {
			char why[64];
			describe(c->last_status, why, sizeof(why));
			printf("%-*s %9s (the last: %s)\n", width, c->name, "all failed", why);
			continue;
		}
		double p10 = pct(c->wall, c->runs, 10), p90 = pct(c->wall, c->runs, 90);
		double wall = pct(c->wall, c->runs, 50), cpu = pct(c->cpu, c->runs, 50);
		printf("%-*s %9.2f %8.2f %8.2f %9.2f %8.2f %8.2f %6d\n", width, c->name,
		       wall, p10, p90, cpu, ref_wall > 0 ? wall / ref_wall : 0,
		       ref_cpu > 0 ? cpu / ref_cpu : 0, c->fails);
		if (c->fails) {
			char why[64];
			describe(c->last_status, why, sizeof(why));
			printf("%-*s   (%d failed runs, the last: %s)\n", width, "", c->fails, why);
		}
		if (of)
			fprintf(of, "%s %.3f %.3f\n", c->name, wall, cpu);
	}
	if (of)
		fclose(of);
	return 0;
}
