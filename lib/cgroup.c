#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "util.h"

const char *const cgroup_ctrl_name[CG_NCTRL] = { "memory", "pids", "cpu" };

/* cgroup_parse_cpus */

int cgroup_parse_cpus(const char *s, struct cgroup_limits *l, struct err *e)
{
	uint64_t whole = 0, frac = 0;
	int ndec = -1;		/* decimals seen; -1 before the point */
	const char *p = s;

	if (!*p)
		return err_set(e, EINVAL, "bad --cpus '': want a number like 0.5 or 2");
	for (; *p; p++) {
		if (*p == '.' && ndec < 0) {
			ndec = 0;
			continue;
		}
		if (*p < '0' || *p > '9')
			return err_set(e, EINVAL, "bad --cpus '%s': want a number like 0.5 or 2", s);
		if (ndec >= 0) {
			if (++ndec > 5)
				return err_set(e, EINVAL, "bad --cpus '%s': at most 5 decimals", s);
			frac = frac * 10 + (uint64_t)(*p - '0');
		} else {
			whole = whole * 10 + (uint64_t)(*p - '0');
			if (whole > 65536)
				return err_set(e, ERANGE, "bad --cpus '%s': too many", s);
		}
	}
	if (ndec == 0 || (ndec < 0 && p == s))
		return err_set(e, EINVAL, "bad --cpus '%s': want a number like 0.5 or 2", s);
	for (; ndec < 5; ndec++)
		frac *= 10;	/* now in 1e-5 CPU, which is 1 µs per 100 ms period */
	uint64_t quota = whole * CGROUP_CPU_PERIOD + frac;
	if (quota < 1000)
		return err_set(e, ERANGE, "bad --cpus '%s': at least 0.01", s);
	l->cpu_quota = quota;
	l->cpu_period = CGROUP_CPU_PERIOD;
	return 0;
}

/* Layout: which hierarchy holds which controller. */

static int ctrl_index(const char *name, size_t len)
{
	for (int c = 0; c < CG_NCTRL; c++)
		if (strlen(cgroup_ctrl_name[c]) == len && !memcmp(cgroup_ctrl_name[c], name, len))
			return c;
	return -1;
}

/* The bits of our controllers named in the comma-separated list s[0..len). */
static unsigned ctrl_bits(const char *s, size_t len)
{
	unsigned bits = 0;
	const char *end = s + len;

	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		size_t n = comma ? (size_t)(comma - s) : (size_t)(end - s);
		int c = ctrl_index(s, n);
		if (c >= 0)
			bits |= 1u << c;
		s += n + (comma ? 1 : 0);
	}
	return bits;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static int unescape(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			ch = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = ch;
	}
	out[o] = 0;
	return 0;
}

/* Splits one line into space-separated fields; returns how many. */
static int fields(const char *line, size_t len, const char **f, size_t *flen, int max)
{
	int n = 0;
	size_t i = 0;

	while (i < len && n < max) {
		while (i < len && line[i] == ' ')
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && line[i] != ' ')
			i++;
		f[n] = line + start;
		flen[n++] = i - start;
	}
	return n;
}

static void parse_mountinfo_line(const char *line, size_t len, struct cgroup_layout *l)
{
	const char *f[64];
	size_t fl[64];
	int n = fields(line, len, f, fl, 64), dash = -1;

	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
	for (int i = 6; i < n; i++)
		if (fl[i] == 1 && f[i][0] == '-') {
			dash = i;
			break;
		}
	if (dash < 0 || dash + 1 >= n)
		return;
	const char *type = f[dash + 1];
	size_t tl = fl[dash + 1];
	char mnt[256];

	if (tl == 7 && !memcmp(type, "cgroup2", 7)) {
		if (!l->v2[0] && unescape(f[4], fl[4], mnt, sizeof(mnt)) == 0)
			memcpy(l->v2, mnt, strlen(mnt) + 1);
		return;
	}
	if (!(tl == 6 && !memcmp(type, "cgroup", 6)) || dash + 3 >= n)
		return;
	unsigned bits = ctrl_bits(f[dash + 3], fl[dash + 3]);
	if (!bits || unescape(f[4], fl[4], mnt, sizeof(mnt)) < 0)
		return;
	for (int c = 0; c < CG_NCTRL; c++)
		if ((bits & (1u << c)) && !l->v1[c][0])
			memcpy(l->v1[c], mnt, strlen(mnt) + 1);
}

int cgroup_parse_layout(const char *proc_cgroup, const char *mountinfo,
			struct cgroup_layout *l, struct err *e)
{
	memset(l, 0, sizeof(*l));
	for (const char *p = mountinfo; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		parse_mountinfo_line(p, len, l);
		p += len + (nl ? 1 : 0);
	}
	/* "ID:CONTROLLERS:PATH"; "0::PATH" is the cgroup2 one. */
	for (const char *p = proc_cgroup; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *c1 = memchr(p, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - p)) : NULL;
		if (!c2 && len)
			return err_set(e, EINVAL, "/proc/self/cgroup: bad line '%.*s'", (int)len, p);
		if (c2 && c2 > c1 + 1)
			l->on_v1 |= ctrl_bits(c1 + 1, (size_t)(c2 - c1 - 1));
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

int cgroup_layout_read(struct cgroup_layout *l, struct err *e)
{
	char *pc = NULL, *mi = NULL;
	int r = read_file("/proc/self/cgroup", 1 << 16, &pc, NULL, e);

	if (r == 0)
		r = read_file("/proc/self/mountinfo", 1 << 22, &mi, NULL, e);
	if (r == 0)
		r = cgroup_parse_layout(pc, mi, l, e);
	free(pc);
	free(mi);
	return r;
}

int cgroup_ctrl_version(const struct cgroup_layout *l, int c)
{
	if (c < 0 || c >= CG_NCTRL)
		return 0;
	if (l->v1[c][0])
		return 1;
	if (l->on_v1 & (1u << c))
		return 0;	/* bound to a v1 hierarchy that is not mounted here */
	return l->v2[0] ? 2 : 0;
}

/* Files */

static int path_of(char *out, size_t cap, const char *dir, const char *file, struct err *e)
{
	int n = snprintf(out, cap, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ENAMETOOLONG, "cgroup path %s/%s: too long", dir, file);
	return 0;
}

/* Writes val to dir/file; an absent optional file is fine. */
static int knob(const char *dir, const char *file, const char *val, int optional, struct err *e)
{
	char p[400];
	int r = path_of(p, sizeof(p), dir, file, e);

	if (r < 0)
		return r;
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (optional && errno == ENOENT)
			return 0;
		return err_sys(e, errno, "cgroup %s", p);
	}
	r = write_all(fd, val, strlen(val));
	close(fd);
	if (r < 0)
		return err_sys(e, -r, "cgroup %s: write '%s'", p, val);
	return 0;
}

static int read_knob(const char *dir, const char *file, char **out, struct err *e)
{
	char p[400];
	int r = path_of(p, sizeof(p), dir, file, e);

	return r < 0 ? r : read_file(p, 1 << 20, out, NULL, e);
}

/* The number after "key " on a line of a flat keyed file, or -1. */
static long long keyed(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return strtoll(p + kl + 1, NULL, 10);
	return -1;
}

static int has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += wl)
		if ((p == list || p[-1] == ' ') && (p[wl] == 0 || p[wl] == ' ' || p[wl] == '\n'))
			return 1;
	return 0;
}

/* v2: the controllers must be available at the root and enabled for
 * children of the root and of corral/. */
static int v2_enable(const char *dir, unsigned ctrls, int check, struct err *e)
{
	char *have = NULL, *on = NULL;
	int r = read_knob(dir, check ? "cgroup.controllers" : "cgroup.subtree_control", &have, e);

	if (r < 0)
		return r;
	if (!check)
		on = have, have = NULL;
	else if ((r = read_knob(dir, "cgroup.subtree_control", &on, e)) < 0)
		goto out;
	for (int c = 0; c < CG_NCTRL && r == 0; c++) {
		const char *name = cgroup_ctrl_name[c];
		char plus[16];
		if (!(ctrls & (1u << c)) || has_word(on, name))
			continue;
		if (check && !has_word(have, name)) {
			have[strcspn(have, "\n")] = 0;
			r = err_set(e, EOPNOTSUPP, "cgroup2 %s: no %s controller (it has: %s)",
				    dir, name, have[0] ? have : "none");
			break;
		}
		snprintf(plus, sizeof(plus), "+%s", name);
		r = knob(dir, "cgroup.subtree_control", plus, 0, e);
	}
out:
	free(have);
	free(on);
	return r;
}

static int mkdir_ok(const char *p, int exist_ok, struct err *e)
{
	if (mkdir(p, 0755) == 0)
		return 1;
	if (errno == EEXIST && exist_ok)
		return 0;
	if (errno == EEXIST)
		return err_set(e, EEXIST, "cgroup %s exists", p);
	return err_sys(e, errno, "cgroup mkdir %s", p);
}

/* Adds the directory for controller c (sharing one with a co-mounted
 * controller or the other v2 ones). */
static int add_dir(struct cgroup *cg, const struct cgroup_layout *l, int c, struct err *e)
{
	int v = cgroup_ctrl_version(l, c);
	const char *base = v == 2 ? l->v2 : l->v1[c];
	char path[sizeof(cg->dir[0].path)];

	if (v == 0)
		return err_set(e, EOPNOTSUPP, "no %s cgroup controller: %s", cgroup_ctrl_name[c],
			       l->on_v1 & (1u << c) ? "its cgroup v1 hierarchy is not mounted"
						    : "neither cgroup2 nor cgroup v1 has it");
	int n = snprintf(path, sizeof(path), "%s/%s/%s", base, CGROUP_PARENT, cg->name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(e, ENAMETOOLONG, "cgroup path under %s: too long", base);
	for (int i = 0; i < cg->ndirs; i++)
		if (!strcmp(cg->dir[i].path, path)) {
			cg->dir[i].ctrls |= 1u << c;
			return 0;
		}
	struct cgroup_dir *d = &cg->dir[cg->ndirs++];
	memcpy(d->path, path, (size_t)n + 1);
	d->ctrls = 1u << c;
	d->v2 = v == 2;
	return 0;
}

/* Dirname of d->path: the corral/ directory. */
static void parent_of(const struct cgroup_dir *d, char *out, size_t cap)
{
	snprintf(out, cap, "%s", d->path);
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = 0;
}

static int write_limits(const struct cgroup_dir *d, const struct cgroup_limits *l, struct err *e)
{
	char v[64];
	int r = 0;
	uint64_t period = l->cpu_period ? l->cpu_period : CGROUP_CPU_PERIOD;

	if (d->ctrls & (1u << CG_MEMORY)) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory);
		if (d->v2) {
			if ((r = knob(d->path, "memory.max", v, 0, e)) == 0)
				r = knob(d->path, "memory.swap.max", "0", 1, e);
		} else {
			/* memsw is memory+swap: equal to the limit means no swap. */
			if ((r = knob(d->path, "memory.limit_in_bytes", v, 0, e)) == 0)
				r = knob(d->path, "memory.memsw.limit_in_bytes", v, 1, e);
			if (r == 0)
				r = knob(d->path, "memory.swappiness", "0", 1, e);
		}
		if (r < 0)
			return r;
	}
	if (d->ctrls & (1u << CG_PIDS)) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->pids);
		if ((r = knob(d->path, "pids.max", v, 0, e)) < 0)
			return r;
	}
	if (d->ctrls & (1u << CG_CPU)) {
		if (d->v2) {
			snprintf(v, sizeof(v), "%llu %llu", (unsigned long long)l->cpu_quota,
				 (unsigned long long)period);
			r = knob(d->path, "cpu.max", v, 0, e);
		} else {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)period);
			r = knob(d->path, "cpu.cfs_period_us", v, 0, e);
			snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_quota);
			if (r == 0)
				r = knob(d->path, "cpu.cfs_quota_us", v, 0, e);
		}
	}
	return r;
}

int cgroup_create(const char *name, const struct cgroup_limits *l,
		  struct cgroup *cg, struct err *e)
{
	struct cgroup_layout lay;

	memset(cg, 0, sizeof(*cg));
	if (!valid_name(name, CGROUP_NAME_MAX))
		return err_set(e, EINVAL, "bad cgroup name '%s'", name);
	if (!l->memory && !l->pids && !l->cpu_quota) {
		memcpy(cg->name, name, strlen(name) + 1);
		return 0;
	}
	int r = cgroup_layout_read(&lay, e);
	return r < 0 ? r : cgroup_create_in(&lay, name, l, cg, e);
}

int cgroup_create_in(const struct cgroup_layout *lay, const char *name,
		     const struct cgroup_limits *l, struct cgroup *cg, struct err *e)
{
	unsigned want = 0;
	int r = 0, made = 0;

	memset(cg, 0, sizeof(*cg));
	if (!valid_name(name, CGROUP_NAME_MAX))
		return err_set(e, EINVAL, "bad cgroup name '%s'", name);
	memcpy(cg->name, name, strlen(name) + 1);
	if (l->memory)
		want |= 1u << CG_MEMORY;
	if (l->pids)
		want |= 1u << CG_PIDS;
	if (l->cpu_quota)
		want |= 1u << CG_CPU;
	for (int c = 0; c < CG_NCTRL; c++)
		if ((want & (1u << c)) && (r = add_dir(cg, lay, c, e)) < 0)
			goto fail;

	for (made = 0; made < cg->ndirs; made++) {
		struct cgroup_dir *d = &cg->dir[made];
		char parent[sizeof(d->path)];
		parent_of(d, parent, sizeof(parent));
		if (d->v2 && (r = v2_enable(lay->v2, d->ctrls, 1, e)) < 0)
			goto fail;
		if ((r = mkdir_ok(parent, 1, e)) < 0)
			goto fail;
		if (d->v2 && (r = v2_enable(parent, d->ctrls, 0, e)) < 0)
			goto fail;
		if ((r = mkdir_ok(d->path, 0, e)) < 0)
			goto fail;
		if ((r = write_limits(d, l, e)) < 0) {
			made++;
			goto fail;
		}
	}
	return 0;
fail:
	while (made-- > 0)
		rmdir(cg->dir[made].path);
	cg->ndirs = 0;
	return r;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The bases (mount points) of all hierarchies we use, without repeats. */
static int bases(const struct cgroup_layout *l, const char *out[CG_NCTRL + 1], int v2[CG_NCTRL + 1])
{
	int n = 0;

	if (l->v2[0])
		v2[n] = 1, out[n++] = l->v2;
	for (int c = 0; c < CG_NCTRL; c++) {
		int dup = 0;
		if (!l->v1[c][0])
			continue;
		for (int i = 0; i < n; i++)
			dup |= !strcmp(out[i], l->v1[c]);
		if (!dup)
			v2[n] = 0, out[n++] = l->v1[c];
	}
	return n;
}

static unsigned dir_ctrls(const struct cgroup_layout *l, const char *base, int v2, const char *path)
{
	unsigned bits = 0;

	if (v2) {
		char *have = NULL;
		if (read_knob(path, "cgroup.controllers", &have, NULL) == 0) {
			for (int c = 0; c < CG_NCTRL; c++)
				if (has_word(have, cgroup_ctrl_name[c]))
					bits |= 1u << c;
			free(have);
		}
		return bits;
	}
	for (int c = 0; c < CG_NCTRL; c++)
		if (!strcmp(l->v1[c], base))
			bits |= 1u << c;
	return bits;
}

int cgroup_open(const char *name, struct cgroup *cg, struct err *e)
{
	struct cgroup_layout lay;
	const char *b[CG_NCTRL + 1];
	int v2[CG_NCTRL + 1], r;

	memset(cg, 0, sizeof(*cg));
	if (!valid_name(name, CGROUP_NAME_MAX))
		return err_set(e, EINVAL, "bad cgroup name '%s'", name);
	memcpy(cg->name, name, strlen(name) + 1);
	if ((r = cgroup_layout_read(&lay, e)) < 0)
		return r;
	int nb = bases(&lay, b, v2);
	for (int i = 0; i < nb; i++) {
		struct cgroup_dir *d = &cg->dir[cg->ndirs];
		int n = snprintf(d->path, sizeof(d->path), "%s/%s/%s", b[i], CGROUP_PARENT, name);
		if (n < 0 || (size_t)n >= sizeof(d->path) || !is_dir(d->path))
			continue;
		d->v2 = v2[i];
		d->ctrls = dir_ctrls(&lay, b[i], v2[i], d->path);
		cg->ndirs++;
	}
	if (!cg->ndirs)
		return err_set(e, ENOENT, "cgroup %s/%s: not found", CGROUP_PARENT, name);
	return 0;
}

int cgroup_attach(const struct cgroup *cg, pid_t pid, struct err *e)
{
	char v[24];

	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int i = 0; i < cg->ndirs; i++) {
		int r = knob(cg->dir[i].path, "cgroup.procs", v, 0, e);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_oom_killed(const struct cgroup *cg, struct err *e)
{
	for (int i = 0; i < cg->ndirs; i++) {
		const struct cgroup_dir *d = &cg->dir[i];
		char *text = NULL;
		long long n;
		int r;

		if (!(d->ctrls & (1u << CG_MEMORY)))
			continue;
		r = read_knob(d->path, d->v2 ? "memory.events" : "memory.oom_control", &text, e);
		if (r < 0)
			return r;
		n = keyed(text, "oom_kill");
		free(text);
		if (n < 0 && !d->v2) {
			/* Kernels before 4.13 do not count kills: any failure to
			 * charge within the limit is the best sign there is. */
			if ((r = read_knob(d->path, "memory.failcnt", &text, e)) < 0)
				return r;
			n = strtoll(text, NULL, 10);
			free(text);
		}
		return n > 0;
	}
	return 0;
}

/* pids listed in dir/cgroup.procs get SIGKILL; returns how many there were. */
static int kill_procs(const char *dir, struct err *e)
{
	char *text = NULL;
	int n = 0, r = read_knob(dir, "cgroup.procs", &text, e);

	if (r < 0)
		return r;
	for (char *p = text; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
		p = end;
		while (*p == '\n')
			p++;
	}
	free(text);
	return n;
}

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Kills what is left in one directory and removes it. */
static int destroy_dir(const struct cgroup_dir *d, struct err *e)
{
	int r = 0, use_kill = d->v2;

	if (!is_dir(d->path))
		return 0;
	/* A fork bomb can outrun one pass over cgroup.procs; cgroup.kill
	 * (v2, Linux 5.14) cannot be outrun. Up to about 2 s in all. */
	for (int round = 0; round < 200; round++) {
		if (use_kill && knob(d->path, "cgroup.kill", "1", 0, NULL) < 0)
			use_kill = 0;
		if (!use_kill && (r = kill_procs(d->path, e)) < 0)
			return r == -ENOENT ? 0 : r;
		if (rmdir(d->path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return err_sys(e, errno, "cgroup rmdir %s", d->path);
		nap_ms(round < 20 ? 1 : 10);
	}
	return err_sys(e, EBUSY, "cgroup rmdir %s", d->path);
}

int cgroup_destroy(struct cgroup *cg, struct err *e)
{
	int first = 0;

	for (int i = 0; i < cg->ndirs; i++) {
		struct err e2 = { 0 };
		int r = destroy_dir(&cg->dir[i], &e2);
		if (r < 0 && !first) {
			first = r;
			if (e)
				*e = e2;
		}
	}
	if (!first)
		cg->ndirs = 0;
	return first;
}

static int empty(const char *dir)
{
	char *text = NULL;
	int r = read_knob(dir, "cgroup.procs", &text, NULL);

	if (r < 0)
		return r == -ENOENT;
	r = text[0] == 0;
	free(text);
	return r;
}

int cgroup_gc(int (*keep)(const char *name, void *arg), void *arg, int kill,
	      struct err *e)
{
	struct cgroup_layout lay;
	const char *b[CG_NCTRL + 1];
	int v2[CG_NCTRL + 1], removed = 0, r;

	if ((r = cgroup_layout_read(&lay, e)) < 0)
		return r;
	int nb = bases(&lay, b, v2);
	for (int i = 0; i < nb; i++) {
		char parent[300];
		int n = snprintf(parent, sizeof(parent), "%s/%s", b[i], CGROUP_PARENT);
		if (n < 0 || (size_t)n >= sizeof(parent))
			continue;
		DIR *dir = opendir(parent);
		if (!dir) {
			if (errno == ENOENT)
				continue;
			return err_sys(e, errno, "cgroup %s", parent);
		}
		for (struct dirent *de; (de = readdir(dir));) {
			struct cgroup_dir d = { .v2 = v2[i] };
			if (de->d_type != DT_DIR || !valid_name(de->d_name, CGROUP_NAME_MAX))
				continue;
			if (keep && keep(de->d_name, arg))
				continue;
			n = snprintf(d.path, sizeof(d.path), "%s/%s", parent, de->d_name);
			if (n < 0 || (size_t)n >= sizeof(d.path))
				continue;
			if (empty(d.path)) {
				if (rmdir(d.path) == 0)
					removed++;
			} else if (kill && destroy_dir(&d, NULL) == 0) {
				removed++;
			}
		}
		closedir(dir);
	}
	return removed;
}
