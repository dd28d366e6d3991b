#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include "image.h"
#include "json.h"
#include "registry.h"
#include "store.h"
#include "util.h"

/* A JSON array of strings (or null/absent: *out stays NULL). */
static int str_array(const struct json *j, int obj, const char *key, int need_eq,
		     char ***out, struct err *e)
{
	int t = json_get(j, obj, key);
	*out = NULL;
	if (t < 0 || json_type(j, t) == JSON_NULL)
		return 0;
	if (json_type(j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "image config: %s: want an array of strings", key);
	int n = json_len(j, t);
	if (n > IMAGE_MAX_ARGS)
		return err_set(e, E2BIG, "image config: %s: more than %d entries", key, IMAGE_MAX_ARGS);
	char **v = calloc((size_t)n + 1, sizeof(*v));
	if (!v)
		return err_set(e, ENOMEM, "image config: out of memory");
	*out = v;
	for (int i = 0; i < n; i++) {
		if (json_strdup(j, json_at(j, t, i), &v[i], e) < 0)
			return err_prefix(e, "image config: %s[%d]", key, i);
		if (need_eq && (!strchr(v[i], '=') || v[i][0] == '='))
			return err_set(e, EINVAL, "image config: %s[%d]: want K=V", key, i);
	}
	return 0;
}

static int opt_str(const struct json *j, int obj, const char *key, char **out, struct err *e)
{
	int t = json_get(j, obj, key);
	if (t < 0 || json_type(j, t) == JSON_NULL) {
		*out = strdup("");
		return *out ? 0 : err_set(e, ENOMEM, "image config: out of memory");
	}
	if (json_strdup(j, t, out, e) < 0)
		return err_prefix(e, "image config: %s", key);
	return 0;
}

int image_config_parse(const char *text, size_t len, struct image_config *c, struct err *e)
{
	struct json j;
	memset(c, 0, sizeof(*c));
	if (json_parse(&j, text, len, e) < 0)
		return err_prefix(e, "image config");
	int cfg = json_get(&j, 0, "config");
	int r = 0;
	if (cfg >= 0 && json_type(&j, cfg) != JSON_OBJECT && json_type(&j, cfg) != JSON_NULL)
		r = err_set(e, EINVAL, "image config: config: want an object");
	if (cfg >= 0 && json_type(&j, cfg) == JSON_NULL)
		cfg = -1;
	if (!r)
		r = str_array(&j, cfg, "Entrypoint", 0, &c->entrypoint, e);
	if (!r)
		r = str_array(&j, cfg, "Cmd", 0, &c->cmd, e);
	if (!r)
		r = str_array(&j, cfg, "Env", 1, &c->env, e);
	if (!r)
		r = opt_str(&j, cfg, "WorkingDir", &c->workdir, e);
	if (!r)
		r = opt_str(&j, cfg, "User", &c->user, e);
	json_free(&j);
	if (r)
		image_config_free(c);
	return r;
}

static void free_vec(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void image_config_free(struct image_config *c)
{
	free_vec(c->entrypoint);
	free_vec(c->cmd);
	free_vec(c->env);
	free(c->workdir);
	free(c->user);
	memset(c, 0, sizeof(*c));
}

static size_t vlen(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

char **image_argv(const struct image_config *c, const char *entrypoint,
		  char **args, struct err *e)
{
	char *ep1[2] = { (char *)entrypoint, NULL };
	char *const *ep = entrypoint ? (*entrypoint ? ep1 : NULL) : c->entrypoint;
	/* A new entrypoint drops the image's Cmd, as in Docker. */
	char *const *tail = args && *args ? args : (entrypoint ? NULL : c->cmd);
	size_t a = vlen(ep), b = vlen(tail);
	if (a + b == 0) {
		err_set(e, EINVAL, "the image has no Entrypoint or Cmd: give a command");
		return NULL;
	}
	char **v = calloc(a + b + 1, sizeof(*v));
	if (!v) {
		err_set(e, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(v, ep, a * sizeof(*v));
	memcpy(v + a, tail, b * sizeof(*v));
	return v;
}

int image_lookup(const char *text, const char *name, unsigned *id, unsigned *gid)
{
	size_t nl = strlen(name);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		/* name:x:ID:GID:... */
		if (strncmp(line, name, nl) || line[nl] != ':')
			continue;
		const char *f = strchr(line + nl + 1, ':');
		if (!f)
			continue;
		char *end;
		unsigned long v = strtoul(f + 1, &end, 10);
		if (end == f + 1 || *end != ':' || v > 0x7fffffff)
			continue;
		*id = (unsigned)v;
		if (gid) {
			unsigned long g = strtoul(end + 1, &end, 10);
			*gid = (*end == ':' || *end == '\n' || !*end) && g <= 0x7fffffff ? (unsigned)g : 0;
		}
		return 0;
	}
	return -ENOENT;
}

static char *read_in_root(int rootfs_fd, const char *path)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, rootfs_fd, path, &how, sizeof(how));
	if (fd < 0)
		return NULL;
	char *buf = malloc(65537);
	ssize_t n = buf ? read(fd, buf, 65536) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int image_user(int rootfs_fd, const char *user, uid_t *uid, gid_t *gid, struct err *e)
{
	char name[256];
	if (snprintf(name, sizeof(name), "%s", user) >= (int)sizeof(name))
		return err_set(e, EINVAL, "user '%s': too long", user);
	char *group = strchr(name, ':');
	if (group)
		*group++ = 0;
	unsigned u = 0, g = 0, pg = 0;
	char *passwd = read_in_root(rootfs_fd, "/etc/passwd");
	int r = 0;
	if (is_number(name)) {
		u = (unsigned)strtoul(name, NULL, 10);
		char num[16];
		/* a bare uid takes the primary gid of the passwd line naming it */
		for (const char *l = passwd; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
			const char *f = strchr(l, ':');
			f = f ? strchr(f + 1, ':') : NULL;
			snprintf(num, sizeof(num), "%u:", u);
			if (f && !strncmp(f + 1, num, strlen(num))) {
				pg = (unsigned)strtoul(f + 1 + strlen(num), NULL, 10);
				break;
			}
		}
	} else if (!passwd || image_lookup(passwd, name, &u, &pg) < 0) {
		r = err_set(e, ENOENT, "user '%s': not in the image's /etc/passwd", name);
	}
	free(passwd);
	if (r)
		return r;
	g = pg;
	if (group) {
		if (is_number(group)) {
			g = (unsigned)strtoul(group, NULL, 10);
		} else {
			char *grp = read_in_root(rootfs_fd, "/etc/group");
			if (!grp || image_lookup(grp, group, &g, NULL) < 0)
				r = err_set(e, ENOENT, "group '%s': not in the image's /etc/group", group);
			free(grp);
		}
	}
	*uid = u;
	*gid = g;
	return r;
}

int image_open(const char *name, char *rootfs, size_t n, struct image_config *c, struct err *e)
{
	struct image_ref ref;
	struct store st;
	struct manifest m;
	char full[600], digest[DIGEST_LEN + 1];
	char *cfg = NULL;
	size_t len;

	if (ref_parse(name, &ref, e) < 0)
		return -e->code;
	ref_format(&ref, full, sizeof(full));
	if (store_open(&st, NULL, e) < 0)
		return -e->code;
	int r = ref.digest[0] ? (snprintf(digest, sizeof(digest), "%s", ref.digest), 0)
			      : store_ref_get(&st, full, digest, e);
	if (r == 0 && !store_has_blob(&st, digest))
		r = -ENOENT;
	if (r == -ENOENT) {
		struct pull_opts po = { 0 };
		struct pull_result res;
		r = registry_pull(&st, &ref, &po, &res, e);
		if (r == 0)
			memcpy(digest, res.digest, sizeof(digest));
	}
	if (r == 0 && !store_has_rootfs(&st, digest))
		r = store_rootfs_build(&st, digest, e);
	if (r == 0)
		r = store_rootfs_path(&st, digest, rootfs, n, e);
	if (r == 0)
		r = store_manifest(&st, digest, &m, e);
	if (r == 0)
		r = store_blob_read(&st, m.config, 1 << 20, &cfg, &len, e);
	store_close(&st);
	if (r == 0)
		r = image_config_parse(cfg, len, c, e);
	free(cfg);
	return r;
}

int image_env(const struct image_config *c, const char **set, size_t *nset, size_t max)
{
	static const char default_path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	size_t n = 0, k;
	for (char **v = c->env; v && *v; v++)
		n++;
	int has_path = 0;
	for (k = 0; k < n; k++)
		has_path |= !strncmp(c->env[k], "PATH=", 5);
	if (n + !has_path + *nset > max)
		return -E2BIG;
	memmove(set + n + !has_path, set, *nset * sizeof(*set));
	if (!has_path)
		set[0] = default_path;
	for (k = 0; k < n; k++)
		set[k + !has_path] = strdup(c->env[k]);
	*nset += n + !has_path;
	return 0;
}
