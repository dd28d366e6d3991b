#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "ipam.h"
#include "json.h"
#include "proc.h"
#include "state.h"
#include "util.h"

#define STATE_MAX (16u << 10)

int sandbox_id_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == SANDBOX_ID_LEN;
}

int sandbox_name_valid(const char *s)
{
	return valid_name(s, SANDBOX_NAME_MAX);
}

int state_new_id(char id[SANDBOX_ID_LEN + 1], struct err *e)
{
	unsigned char b[SANDBOX_ID_LEN / 2];
	static const char hex[] = "0123456789abcdef";

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return err_sys(e, errno, "getrandom");
	for (size_t i = 0; i < sizeof(b); i++) {
		id[2 * i] = hex[b[i] >> 4];
		id[2 * i + 1] = hex[b[i] & 15];
	}
	id[SANDBOX_ID_LEN] = 0;
	return 0;
}

void sandbox_netns_name(const char *id, char out[16])
{
	snprintf(out, 16, SANDBOX_NETNS_PREFIX "%.8s", id);
}

void sandbox_cgroup_name(const char *id, char out[32])
{
	snprintf(out, 32, SANDBOX_CGROUP_PREFIX "%.16s", id);
}

static const char *const mode_names[] = { "pod", "container", "node", "target", "none" };

const char *ns_mode_name(enum ns_mode m)
{
	return (unsigned)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

int ns_mode_parse(const char *s, enum ns_mode *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++) {
		const char *n = mode_names[i];
		size_t k = 0;
		/* all lowercase or all uppercase (CRI spells them POD, NODE...) */
		int up = s[0] >= 'A' && s[0] <= 'Z';
		for (; n[k] && s[k]; k++)
			if (s[k] != (up ? n[k] - 'a' + 'A' : n[k]))
				break;
		if (!n[k] && !s[k]) {
			*m = (enum ns_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Format and parse. */

void sandbox_state_jw(struct jw *wp, const struct sandbox_state *s)
{
#define w (*wp)
	char a[16];

	jw_obj(&w);
	jw_key(&w, "id"); jw_str(&w, s->id);
	jw_key(&w, "name");
	if (s->name[0])
		jw_str(&w, s->name);
	else
		jw_null(&w);
	jw_key(&w, "pause_pid"); jw_i64(&w, s->pause_pid);
	jw_key(&w, "pause_start_time"); jw_u64(&w, s->pause_start_time);
	jw_key(&w, "namespaces");
	jw_obj(&w);
	jw_key(&w, "network"); jw_str(&w, ns_mode_name(s->net));
	jw_key(&w, "pid"); jw_str(&w, ns_mode_name(s->pid));
	jw_key(&w, "ipc"); jw_str(&w, ns_mode_name(s->ipc));
	jw_obj_end(&w);
	jw_key(&w, "netns");
	if (s->netns[0]) jw_str(&w, s->netns); else jw_null(&w);
	jw_key(&w, "host_veth");
	if (s->host_veth[0]) jw_str(&w, s->host_veth); else jw_null(&w);
	jw_key(&w, "network");
	if (s->network[0]) jw_str(&w, s->network); else jw_null(&w);
	jw_key(&w, "address");
	if (s->addr) {
		char cidr[24];
		ipam_fmt_addr(s->addr, a);
		snprintf(cidr, sizeof(cidr), "%s/%u", a, s->prefix);
		jw_str(&w, cidr);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "gateway");
	if (s->gateway) {
		ipam_fmt_addr(s->gateway, a);
		jw_str(&w, a);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "cgroup");
	if (s->cgroup[0]) jw_str(&w, s->cgroup); else jw_null(&w);
	jw_key(&w, "limits");
	jw_obj(&w);
	jw_key(&w, "memory"); jw_u64(&w, s->limits.memory);
	jw_key(&w, "pids"); jw_u64(&w, s->limits.pids);
	jw_key(&w, "cpu_quota"); jw_u64(&w, s->limits.cpu_quota);
	jw_key(&w, "cpu_period"); jw_u64(&w, s->limits.cpu_period);
	jw_obj_end(&w);
	jw_key(&w, "created"); jw_i64(&w, s->created);
	jw_key(&w, "created_ns"); jw_u64(&w, s->created_ns);
	jw_obj_end(&w);
#undef w
}

int sandbox_state_format(const struct sandbox_state *s, bool pretty, char **out,
			 size_t *len, struct err *e)
{
	struct jw w;

	jw_init(&w, pretty);
	sandbox_state_jw(&w, s);
	const char *t = jw_done(&w, len);
	if (!t) {
		jw_free(&w);
		return err_set(e, ENOMEM, "sandbox %s: state: out of memory", s->id);
	}
	*out = w.buf;	/* the writer's buffer; the caller frees it */
	return 0;
}

/* A string member, or null when nullable: "" then. */
static int str_member(const struct json *j, int obj, const char *key, bool nullable,
		      char *buf, size_t n, struct err *e)
{
	int t = json_get(j, obj, key);
	buf[0] = 0;
	if (nullable && t >= 0 && json_type(j, t) == JSON_NULL)
		return 0;
	if (t < 0)
		return err_set(e, EINVAL, "\"%s\" missing", key);
	if (json_type(j, t) != JSON_STRING || json_str(j, t, buf, n, NULL) < 0 || !buf[0])
		return err_set(e, EINVAL, "\"%s\": want a %sstring", key,
			       nullable ? "null or non-empty " : "non-empty ");
	return 0;
}

static int u64_member(const struct json *j, int obj, const char *key, uint64_t max,
		      uint64_t *v, struct err *e)
{
	if (json_u64(j, json_get(j, obj, key), v, NULL) < 0 || *v > max)
		return err_set(e, EINVAL, "\"%s\": want an integer 0..%llu", key,
			       (unsigned long long)max);
	return 0;
}

/* Every member of obj is one of keys. */
static int only_keys(const struct json *j, int obj, const char *const *keys, size_t n,
		     struct err *e)
{
	for (int k = json_first(j, obj), end = json_skip(j, obj); k >= 0 && k < end;
	     k = json_skip(j, k + 1)) {
		size_t i = 0;
		while (i < n && !json_str_eq(j, k, keys[i]))
			i++;
		if (i == n) {
			char name[64];
			if (json_str(j, k, name, sizeof(name), NULL) < 0)
				strcpy(name, "?");
			return err_set(e, EINVAL, "unknown member \"%s\"", name);
		}
	}
	return 0;
}

static int mode_member(const struct json *j, int obj, const char *key, enum ns_mode *m,
		       unsigned allowed, struct err *e)
{
	char buf[16];
	if (str_member(j, obj, key, false, buf, sizeof(buf), e) < 0)
		return -EINVAL;
	if (ns_mode_parse(buf, m) < 0 || !(allowed & (1u << *m)))
		return err_set(e, EINVAL, "namespaces.%s: bad mode '%s'", key, buf);
	return 0;
}

static int parse_obj(const struct json *j, const char *want_id, struct sandbox_state *s,
		     struct err *e)
{
	static const char *const top[] = { "id", "name", "pause_pid", "pause_start_time",
		"namespaces", "netns", "host_veth", "network", "address", "gateway", "cgroup",
		"limits", "created", "created_ns" };
	static const char *const nsk[] = { "network", "pid", "ipc" };
	static const char *const lk[] = { "memory", "pids", "cpu_quota", "cpu_period" };
	char buf[64];
	uint64_t v;

	memset(s, 0, sizeof(*s));
	if (json_type(j, 0) != JSON_OBJECT)
		return err_set(e, EINVAL, "not a JSON object");
	if (only_keys(j, 0, top, ARRAY_SIZE(top), e) < 0)
		return -EINVAL;
	if (str_member(j, 0, "id", false, s->id, sizeof(s->id), e) < 0)
		return -EINVAL;
	if (!sandbox_id_valid(s->id) || (want_id && strcmp(s->id, want_id)))
		return err_set(e, EINVAL, "\"id\": '%s' is not this sandbox's id", s->id);
	if (str_member(j, 0, "name", true, s->name, sizeof(s->name), e) < 0)
		return -EINVAL;
	if (s->name[0] && !sandbox_name_valid(s->name))
		return err_set(e, EINVAL, "\"name\": bad name '%s'", s->name);
	if (u64_member(j, 0, "pause_pid", INT_MAX, &v, e) < 0)
		return -EINVAL;
	s->pause_pid = (pid_t)v;
	if (u64_member(j, 0, "pause_start_time", UINT64_MAX, &v, e) < 0)
		return -EINVAL;
	s->pause_start_time = v;
	if (!s->pause_pid || !s->pause_start_time)
		return err_set(e, EINVAL, "\"pause_pid\", \"pause_start_time\": want positive integers");
	int ns = json_get(j, 0, "namespaces");
	if (json_type(j, ns) != JSON_OBJECT || only_keys(j, ns, nsk, ARRAY_SIZE(nsk), e) < 0)
		return err_set(e, EINVAL, "\"namespaces\": %s", e->code ? e->msg : "want an object");
	if (mode_member(j, ns, "network", &s->net,
			1u << NS_MODE_POD | 1u << NS_MODE_NODE | 1u << NS_MODE_NONE, e) < 0 ||
	    mode_member(j, ns, "pid", &s->pid,
			1u << NS_MODE_POD | 1u << NS_MODE_NODE | 1u << NS_MODE_CONTAINER, e) < 0 ||
	    mode_member(j, ns, "ipc", &s->ipc, 1u << NS_MODE_POD | 1u << NS_MODE_NODE, e) < 0)
		return -EINVAL;
	if (str_member(j, 0, "netns", true, s->netns, sizeof(s->netns), e) < 0 ||
	    str_member(j, 0, "host_veth", true, s->host_veth, sizeof(s->host_veth), e) < 0 ||
	    str_member(j, 0, "network", true, s->network, sizeof(s->network), e) < 0 ||
	    str_member(j, 0, "cgroup", true, s->cgroup, sizeof(s->cgroup), e) < 0)
		return -EINVAL;
	char want[32];
	sandbox_netns_name(s->id, want);
	if ((s->net == NS_MODE_NODE) != !s->netns[0] || (s->netns[0] && strcmp(s->netns, want)))
		return err_set(e, EINVAL, "\"netns\": want %s", s->net == NS_MODE_NODE ? "null" : want);
	if (s->host_veth[0] && (strncmp(s->host_veth, "cr-", 3) || !valid_name(s->host_veth, 15)))
		return err_set(e, EINVAL, "\"host_veth\": bad interface name '%s'", s->host_veth);
	if (s->network[0] && !valid_name(s->network, 32))
		return err_set(e, EINVAL, "\"network\": bad name '%s'", s->network);
	sandbox_cgroup_name(s->id, want);
	if (s->cgroup[0] && strcmp(s->cgroup, want))
		return err_set(e, EINVAL, "\"cgroup\": want null or %s", want);
	if (str_member(j, 0, "address", true, buf, sizeof(buf), e) < 0)
		return -EINVAL;
	if (buf[0]) {
		struct ipam_subnet sn;
		char *slash = strchr(buf, '/');
		uint64_t p;
		if (!slash || (*slash = 0, ipam_parse_addr(buf, &s->addr, NULL) < 0) ||
		    parse_u64(slash + 1, IPAM_MIN_PREFIX, IPAM_MAX_PREFIX, &p, NULL) < 0)
			return err_set(e, EINVAL, "\"address\": want A.B.C.D/PREFIX");
		s->prefix = (unsigned)p;
		(void)sn;
	}
	if (str_member(j, 0, "gateway", true, buf, sizeof(buf), e) < 0)
		return -EINVAL;
	if (buf[0] && ipam_parse_addr(buf, &s->gateway, NULL) < 0)
		return err_set(e, EINVAL, "\"gateway\": want A.B.C.D");
	if ((s->net == NS_MODE_POD) != (s->addr && s->network[0] && s->host_veth[0]))
		return err_set(e, EINVAL, "\"address\", \"network\", \"host_veth\": want them with network mode pod only");
	int l = json_get(j, 0, "limits");
	if (json_type(j, l) != JSON_OBJECT || only_keys(j, l, lk, ARRAY_SIZE(lk), e) < 0)
		return err_set(e, EINVAL, "\"limits\": %s", e->code ? e->msg : "want an object");
	if (u64_member(j, l, "memory", UINT64_MAX, &s->limits.memory, e) < 0 ||
	    u64_member(j, l, "pids", UINT64_MAX, &s->limits.pids, e) < 0 ||
	    u64_member(j, l, "cpu_quota", UINT64_MAX, &s->limits.cpu_quota, e) < 0 ||
	    u64_member(j, l, "cpu_period", UINT64_MAX, &s->limits.cpu_period, e) < 0)
		return -EINVAL;
	if (u64_member(j, 0, "created", INT64_MAX, &v, e) < 0)
		return -EINVAL;
	s->created = (int64_t)v;
	if (u64_member(j, 0, "created_ns", 999999999, &v, e) < 0)
		return -EINVAL;
	s->created_ns = (uint32_t)v;
	return 0;
}

int sandbox_state_parse(const char *text, size_t len, const char *want_id,
			struct sandbox_state *s, struct err *e)
{
	struct json j;
	struct err pe = { 0 };
	int r = json_parse(&j, text, len, &pe);
	if (r < 0)
		return err_set(e, EINVAL, "%s", pe.msg);
	r = parse_obj(&j, want_id, s, &pe);
	json_free(&j);
	return r < 0 ? err_set(e, EINVAL, "%s", pe.msg) : 0;
}

/* Paths. */

int state_dir(const char *root, char *buf, size_t n, bool mk, struct err *e)
{
	root = state_root(root);
	if ((size_t)snprintf(buf, n, "%s/sandboxes", root) >= n)
		return err_set(e, ENAMETOOLONG, "%s/sandboxes: path too long", root);
	if (!mk)
		return 0;
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return err_sys(e, errno, "%s", root);
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return err_sys(e, errno, "%s", buf);
	return 0;
}

static int id_path(const char *root, const char *id, const char *file, char *buf, size_t n,
		   struct err *e)
{
	if (!sandbox_id_valid(id))
		return err_set(e, EINVAL, "'%s' is not a sandbox id", id);
	root = state_root(root);
	int k = file ? snprintf(buf, n, "%s/sandboxes/%s/%s", root, id, file)
		     : snprintf(buf, n, "%s/sandboxes/%s", root, id);
	if (k < 0 || (size_t)k >= n)
		return err_set(e, ENAMETOOLONG, "%s/sandboxes/%s: path too long", root, id);
	return 0;
}

int state_write_at(const char *dir, const char *file, const char *data, size_t len,
		   struct err *e)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, file) >= sizeof(dst) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir, file, (int)getpid()) >= sizeof(tmp))
		return err_set(e, ENAMETOOLONG, "%s/%s: path too long", dir, file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_sys(e, errno, "%s", tmp);
	int r = 0;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0)
		r = err_sys(e, errno, "%s", tmp);
	if (close(fd) < 0 && !r)
		r = err_sys(e, errno, "%s", tmp);
	if (!r && rename(tmp, dst) < 0)
		r = err_sys(e, errno, "%s", dst);
	if (r)
		unlink(tmp);
	return r;
}

int sandbox_state_read(const char *root, const char *id, struct sandbox_state *s,
		       struct err *e)
{
	/* A fixed buffer: ls reads hundreds of these, and a large malloc
	 * per file costs an mmap and a munmap. */
	static char text[STATE_MAX + 1] BIG_BSS(state_text);
	char path[PATH_MAX];
	size_t len = 0;
	int r;

	if ((r = id_path(root, id, "state.json", path, sizeof(path), e)) < 0)
		return r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys(e, errno, "%s", path);
	for (;;) {
		ssize_t n = read(fd, text + len, sizeof(text) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_sys(e, errno, "%s", path);
			close(fd);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(text)) {
			close(fd);
			return err_set(e, EFBIG, "%s: larger than %u bytes", path, STATE_MAX);
		}
	}
	close(fd);
	struct err pe = { 0 };
	r = sandbox_state_parse(text, len, id, s, &pe);
	return r < 0 ? err_set(e, EINVAL, "%s: %s", path, pe.msg) : 0;
}

int sandbox_state_write(const char *root, const struct sandbox_state *s, struct err *e)
{
	char dir[PATH_MAX], *text;
	size_t len;
	int r;

	if ((r = id_path(root, s->id, NULL, dir, sizeof(dir), e)) < 0)
		return r;
	if ((r = sandbox_state_format(s, true, &text, &len, e)) < 0)
		return r;
	r = state_write_at(dir, "state.json", text, len, e);
	free(text);
	return r;
}

int state_mark_write(const char *root, const char *id, const char *file, pid_t pid,
		     unsigned long long start, struct err *e)
{
	char dir[PATH_MAX], buf[64];
	int r;
	if ((r = id_path(root, id, NULL, dir, sizeof(dir), e)) < 0)
		return r;
	int n = snprintf(buf, sizeof(buf), "%d %llu\n", (int)pid, start);
	return state_write_at(dir, file, buf, (size_t)n, e);
}

int state_mark_read(const char *root, const char *id, const char *file, pid_t *pid,
		    unsigned long long *start)
{
	char path[PATH_MAX], buf[64];
	if (id_path(root, id, file, path, sizeof(path), NULL) < 0)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[n - 1] != '\n')
		return -EINVAL;
	buf[n - 1] = 0;
	char *sp = strchr(buf, ' ');
	uint64_t p, st;
	if (!sp)
		return -EINVAL;
	*sp = 0;
	if (parse_u64(buf, 1, INT_MAX, &p, NULL) < 0 ||
	    parse_u64(sp + 1, 1, UINT64_MAX, &st, NULL) < 0)
		return -EINVAL;
	*pid = (pid_t)p;
	*start = st;
	return 0;
}

/* Members. */

#define MEMBER_PREFIX "member."

int state_member_parse(const char *name, struct state_member *m)
{
	char buf[64];
	uint64_t p, st;
	if (strncmp(name, MEMBER_PREFIX, strlen(MEMBER_PREFIX)) ||
	    snprintf(buf, sizeof(buf), "%s", name + strlen(MEMBER_PREFIX)) >= (int)sizeof(buf))
		return -EINVAL;
	char *dot = strchr(buf, '.');
	if (!dot)
		return -EINVAL;
	*dot = 0;
	if (parse_u64(buf, 1, INT_MAX, &p, NULL) < 0 || parse_u64(dot + 1, 1, UINT64_MAX, &st, NULL) < 0)
		return -EINVAL;
	m->pid = (pid_t)p;
	m->start = st;
	return 0;
}

static void member_name(char buf[64], pid_t pid, unsigned long long start)
{
	snprintf(buf, 64, MEMBER_PREFIX "%d.%llu", (int)pid, start);
}

int state_member_add(const char *root, const char *id, pid_t pid, unsigned long long start,
		     struct err *e)
{
	static struct state_member m[64] BIG_BSS(state_members);
	char dir[PATH_MAX], name[64];
	pid_t rp;
	unsigned long long rs;
	int r = id_path(root, id, NULL, dir, sizeof(dir), e), lk;
	if (r < 0 || (lk = state_lock(root, e)) < 0)
		return r < 0 ? r : lk;
	if (state_mark_read(root, id, "removing", &rp, &rs) != -ENOENT) {
		r = err_set(e, ESRCH, "sandbox %s is being removed", id);
		goto out;
	}
	int n = state_members(root, id, m, 64);
	if (n < 0) {
		r = n == -ENOENT ? err_set(e, ENOENT, "sandbox %s is gone", id) : err_sys(e, -n, "%s", dir);
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (!proc_runs(m[i].pid, m[i].start))
			state_member_del(root, id, m[i].pid, m[i].start);
	member_name(name, pid, start);
	if ((r = id_path(root, id, name, dir, sizeof(dir), e)) < 0)
		goto out;
	int fd = open(dir, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		r = err_sys(e, errno, "%s", dir);
	else
		close(fd);
out:
	state_unlock(lk);
	return r;
}

void state_member_del(const char *root, const char *id, pid_t pid, unsigned long long start)
{
	char name[64], path[PATH_MAX];
	member_name(name, pid, start);
	if (id_path(root, id, name, path, sizeof(path), NULL) == 0)
		unlink(path);
}

int state_members(const char *root, const char *id, struct state_member *out, size_t max)
{
	char dir[PATH_MAX];
	size_t n = 0;
	if (id_path(root, id, NULL, dir, sizeof(dir), NULL) < 0)
		return -EINVAL;
	DIR *d = opendir_at(AT_FDCWD, dir, O_NOFOLLOW);
	if (!d)
		return -errno;
	for (struct dirent *de; n < max && (de = readdir(d));)
		if (state_member_parse(de->d_name, &out[n]) == 0)
			n++;
	closedir(d);
	return (int)n;
}

int state_lock(const char *root, struct err *e)
{
	char path[PATH_MAX];
	int r = state_dir(root, path, sizeof(path) - 5, false, e);
	if (r < 0)
		return r;
	size_t n = strlen(path);
	memcpy(path + n, "/lock", 6);
	/* the dirs are made the first time only */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == ENOENT) {
		path[n] = 0;
		if ((r = state_dir(root, path, sizeof(path) - 5, true, e)) < 0)
			return r;
		path[n] = '/';
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (fd < 0)
		return err_sys(e, errno, "%s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			r = err_sys(e, errno, "%s", path);
			close(fd);
			return r;
		}
	}
	return fd;
}

void state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int state_mkdir(const char *root, const char *id, struct err *e)
{
	char path[PATH_MAX];
	int r;
	/* under state_lock, which made the dirs above */
	if ((r = id_path(root, id, NULL, path, sizeof(path), e)) < 0)
		return r;
	if (mkdir(path, 0700) < 0)
		return err_sys(e, errno, "%s", path);
	return 0;
}

int state_remove(const char *root, const char *id, struct err *e)
{
	char path[PATH_MAX];
	int r;
	if ((r = id_path(root, id, NULL, path, sizeof(path), e)) < 0)
		return r;
	DIR *d = opendir_at(AT_FDCWD, path, O_NOFOLLOW);
	if (!d)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s", path);
	int fd = dirfd(d);
	/* The marks go last: while one is there, gc knows what this was. */
	static const char *const last[] = { "creating", "removing" };
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, last[0]) || !strcmp(de->d_name, last[1]))
			continue;
		unlinkat(fd, de->d_name, 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(last); i++)
		unlinkat(fd, last[i], 0);
	closedir(d);
	if (rmdir(path) < 0 && errno != ENOENT)
		return err_sys(e, errno, "%s", path);
	return 0;
}

/* Names. */

static int name_path(const char *root, const char *name, char *buf, size_t n)
{
	if (!sandbox_name_valid(name))
		return -EINVAL;
	int k = snprintf(buf, n, "%s/sandboxes/names/%s", state_root(root), name);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

int state_name_lookup(const char *root, const char *name, char id[SANDBOX_ID_LEN + 1])
{
	char path[PATH_MAX], buf[SANDBOX_ID_LEN + 2];
	int r;
	if ((r = name_path(root, name, path, sizeof(path))) < 0)
		return r;
	ssize_t n = readlink(path, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (n != SANDBOX_ID_LEN)
		return -EINVAL;
	buf[n] = 0;
	if (!sandbox_id_valid(buf))
		return -EINVAL;
	memcpy(id, buf, SANDBOX_ID_LEN + 1);
	return 0;
}

static int id_dir_exists(const char *root, const char *id)
{
	char path[PATH_MAX];
	struct stat st;
	return id_path(root, id, NULL, path, sizeof(path), NULL) == 0 &&
	       lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int state_name_claim(const char *root, const char *name, const char *id, struct err *e)
{
	char path[PATH_MAX], dir[PATH_MAX], old[SANDBOX_ID_LEN + 1];
	int r;
	if ((r = name_path(root, name, path, sizeof(path))) < 0)
		return err_set(e, -r, "bad sandbox name '%s'", name);
	snprintf(dir, sizeof(dir), "%s/sandboxes/names", state_root(root));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_sys(e, errno, "%s", dir);
	for (int tries = 0; tries < 2; tries++) {
		if (symlink(id, path) == 0)
			return 0;
		if (errno != EEXIST)
			return err_sys(e, errno, "%s", path);
		r = state_name_lookup(root, name, old);
		if (r == 0 && id_dir_exists(root, old))
			return err_set(e, EEXIST, "the name '%s' is taken by sandbox %s", name, old);
		if (unlink(path) < 0 && errno != ENOENT)
			return err_sys(e, errno, "%s", path);
	}
	return err_set(e, EEXIST, "the name '%s' is taken", name);
}

void state_name_release(const char *root, const char *name, const char *id)
{
	char path[PATH_MAX], cur[SANDBOX_ID_LEN + 1];
	if (name[0] && state_name_lookup(root, name, cur) == 0 && !strcmp(cur, id) &&
	    name_path(root, name, path, sizeof(path)) == 0)
		unlink(path);
}

int state_names_gc(const char *root)
{
	char dir[PATH_MAX], id[SANDBOX_ID_LEN + 1];
	int n = 0;
	snprintf(dir, sizeof(dir), "%s/sandboxes/names", state_root(root));
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		int r = state_name_lookup(root, de->d_name, id);
		if ((r == 0 && !id_dir_exists(root, id)) || r == -EINVAL) {
			if (unlinkat(dirfd(d), de->d_name, 0) == 0)
				n++;
		}
	}
	closedir(d);
	return n;
}

int state_resolve(const char *root, const char *ref, char id[SANDBOX_ID_LEN + 1],
		  struct err *e)
{
	if (sandbox_id_valid(ref) && id_dir_exists(root, ref)) {
		memcpy(id, ref, SANDBOX_ID_LEN + 1);
		return 0;
	}
	if (!sandbox_name_valid(ref))
		return err_set(e, EINVAL, "'%s' is not a sandbox ID or name", ref);
	if (state_name_lookup(root, ref, id) == 0 && id_dir_exists(root, id))
		return 0;
	return err_set(e, ENOENT, "no sandbox '%s'", ref);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

int state_list(const char *root, char (**ids)[SANDBOX_ID_LEN + 1], size_t *n, struct err *e)
{
	char dir[PATH_MAX];
	size_t cap = 0;
	int r;

	*ids = NULL;
	*n = 0;
	if ((r = state_dir(root, dir, sizeof(dir), false, e)) < 0)
		return r;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s", dir);
	for (struct dirent *de; (de = readdir(d));) {
		if (!sandbox_id_valid(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			void *p = realloc(*ids, cap * sizeof(**ids));
			if (!p) {
				closedir(d);
				free(*ids);
				*ids = NULL;
				return err_set(e, ENOMEM, "%s: out of memory", dir);
			}
			*ids = p;
		}
		memcpy((*ids)[(*n)++], de->d_name, SANDBOX_ID_LEN + 1);
	}
	closedir(d);
	if (*n)
		qsort(*ids, *n, sizeof(**ids), cmp_id);
	return 0;
}
