/* The boot config of `corral init`: see bootcfg.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg.h"
#include "json.h"
#include "util.h"

const char *const boot_kind_names[] = { "run", "exec" };
const char *const boot_restart_names[] = { "no", "on-failure", "always" };
const char *const boot_action_names[] = { "none", "poweroff", "reboot", "restart" };

static int vec_push(struct vec *v, const char *s)
{
	if (v->n + 2 > v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		char **nv = realloc(v->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	if (!(v->v[v->n] = strdup(s)))
		return -ENOMEM;
	v->v[++v->n] = NULL;
	return 0;
}

static void vec_free(struct vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	*v = (struct vec){ 0 };
}

static int pick(const struct json *j, int t, const char *const *names, size_t n,
		const char *what, const char *who, int *out, struct err *e)
{
	if (t < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (json_str_eq(j, t, names[i])) {
			*out = (int)i;
			return 0;
		}
	char want[96] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? ", " : "", names[i]);
	return err_set(e, EINVAL, "%s: bad %s (want one of %s)", who, what, want);
}

/* Every key of object t must be in keys (NULL-terminated) or be "//". */
static int known_keys(const struct json *j, int t, const char *const *keys, const char *who,
		      struct err *e)
{
	int end = json_skip(j, t);
	for (int k = json_first(j, t); k >= 0 && k < end; k = json_skip(j, k + 1)) {
		bool ok = json_str_eq(j, k, "//");
		for (const char *const *p = keys; *p && !ok; p++)
			ok = json_str_eq(j, k, *p);
		if (!ok) {
			char name[64];
			if (json_str(j, k, name, sizeof(name), NULL) < 0)
				strcpy(name, "?");
			return err_set(e, EINVAL, "%s: unknown key '%s'", who, name);
		}
	}
	return 0;
}

/* An array of strings, each pushed onto v. */
static int str_array(const struct json *j, int t, struct vec *v, const char *who,
		     const char *what, struct err *e)
{
	if (t < 0)
		return 0;
	if (json_type(j, t) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: %s must be an array of strings", who, what);
	for (int i = 0; i < json_len(j, t); i++) {
		char *s;
		int r = json_strdup(j, json_at(j, t, i), &s, NULL);
		if (r < 0)
			return err_set(e, EINVAL, "%s: %s[%d] must be a string", who, what, i);
		r = vec_push(v, s);
		free(s);
		if (r < 0)
			return err_set(e, ENOMEM, "out of memory");
	}
	return 0;
}

static int opt_str(const struct json *j, int t, char *buf, size_t n, const char *who,
		   const char *what, struct err *e)
{
	if (json_str(j, t, buf, n, NULL) < 0 || !buf[0])
		return err_set(e, EINVAL, "%s: %s must be a non-empty string", who, what);
	return 0;
}

static int parse_limits(const struct json *j, int t, struct workload *w, bootcfg_has_option has,
			const char *who, struct err *e)
{
	static const char *const keys[] = { "memory", "pids", "cpus", NULL };
	static const char *const opts[] = { "--memory", "--pids", "--cpus" };
	char val[64];

	if (t < 0)
		return 0;
	if (json_type(j, t) != JSON_OBJECT)
		return err_set(e, EINVAL, "%s: limits must be an object", who);
	if (known_keys(j, t, keys, who, e) < 0)
		return -EINVAL;
	for (int i = 0; keys[i]; i++) {
		int v = json_get(j, t, keys[i]);
		if (v < 0)
			continue;
		uint64_t n;
		if (json_type(j, v) == JSON_NUMBER) {
			if (json_u64(j, v, &n, NULL) < 0 || n == 0)
				return err_set(e, EINVAL, "%s: limits.%s must be a positive integer", who, keys[i]);
			snprintf(val, sizeof(val), "%llu", (unsigned long long)n);
		} else {
			char what[16];
			snprintf(what, sizeof(what), "limits.%s", keys[i]);
			if (opt_str(j, v, val, sizeof(val), who, what, e) < 0)
				return -EINVAL;
		}
		if (i == 0 && parse_size(val, &n, NULL) < 0)
			return err_set(e, EINVAL, "%s: bad limits.memory '%s' (want e.g. 64m)", who, val);
		if (has && !has(opts[i]))
			return err_set(e, ENOTSUP, "%s: limits.%s needs 'corral run %s', which this "
				       "build of corral does not have", who, keys[i], opts[i]);
		if (vec_push(&w->argv, opts[i]) < 0 || vec_push(&w->argv, val) < 0)
			return err_set(e, ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_env(const struct json *j, int t, struct workload *w, const char *who,
		     struct err *e)
{
	if (t < 0)
		return 0;
	if (json_type(j, t) != JSON_OBJECT)
		return err_set(e, EINVAL, "%s: env must be an object of strings", who);
	int end = json_skip(j, t);
	for (int k = json_first(j, t); k >= 0 && k < end; k = json_skip(j, k + 1)) {
		char key[128], *val, kv[4096];
		if (json_str(j, k, key, sizeof(key), NULL) < 0 || !key[0] || strchr(key, '='))
			return err_set(e, EINVAL, "%s: bad env name", who);
		if (json_strdup(j, k + 1, &val, NULL) < 0)
			return err_set(e, EINVAL, "%s: env %s must be a string", who, key);
		int n = snprintf(kv, sizeof(kv), "%s=%s", key, val);
		free(val);
		if (n < 0 || (size_t)n >= sizeof(kv))
			return err_set(e, EINVAL, "%s: env %s is too long", who, key);
		if (w->kind == KIND_RUN) {
			if (vec_push(&w->argv, "--env") < 0 || vec_push(&w->argv, kv) < 0)
				return err_set(e, ENOMEM, "out of memory");
		} else if (vec_push(&w->env, kv) < 0) {
			return err_set(e, ENOMEM, "out of memory");
		}
	}
	return 0;
}

static int parse_workload(const struct json *j, int t, size_t idx, struct workload *w,
			  bootcfg_has_option has, struct err *e)
{
	static const char *const keys[] = { "name", "kind", "command", "root", "network",
		"hostname", "limits", "env", "run_args", "restart", "on_exit", "tty", NULL };
	char who[64], buf[PATH_MAX];
	int k = 0;

	snprintf(who, sizeof(who), "workloads[%zu]", idx);
	if (json_type(j, t) != JSON_OBJECT)
		return err_set(e, EINVAL, "%s: must be an object", who);
	if (json_str(j, json_get(j, t, "name"), buf, sizeof(buf), NULL) < 0 ||
	    !valid_name(buf, BOOTCFG_NAME_MAX))
		return err_set(e, EINVAL, "%s: needs a name of [A-Za-z0-9_.-], at most %d bytes",
			       who, BOOTCFG_NAME_MAX);
	if (!(w->name = strdup(buf)))
		return err_set(e, ENOMEM, "out of memory");
	snprintf(who, sizeof(who), "workload %s", w->name);
	if (known_keys(j, t, keys, who, e) < 0)
		return -EINVAL;
	if (pick(j, json_get(j, t, "kind"), boot_kind_names, ARRAY_SIZE(boot_kind_names), "kind", who, &k, e) < 0 ||
	    pick(j, json_get(j, t, "restart"), boot_restart_names, ARRAY_SIZE(boot_restart_names), "restart",
		 who, (int *)&w->restart, e) < 0 ||
	    pick(j, json_get(j, t, "on_exit"), boot_action_names, ARRAY_SIZE(boot_action_names), "on_exit",
		 who, (int *)&w->on_exit, e) < 0)
		return -EINVAL;
	w->kind = (enum boot_kind)k;
	int tt = json_get(j, t, "tty");
	if (tt >= 0 && json_bool(j, tt, &w->tty, NULL) < 0)
		return err_set(e, EINVAL, "%s: tty must be true or false", who);

	if (w->kind == KIND_RUN) {
		if (vec_push(&w->argv, "corral") < 0 || vec_push(&w->argv, "run") < 0)
			return err_set(e, ENOMEM, "out of memory");
		int h = json_get(j, t, "hostname");
		if (h < 0)
			snprintf(buf, sizeof(buf), "%s", w->name);
		else if (opt_str(j, h, buf, sizeof(buf), who, "hostname", e) < 0)
			return -EINVAL;
		if (!valid_hostname(buf)) {
			if (h >= 0)
				return err_set(e, EINVAL, "%s: bad hostname '%s'", who, buf);
		} else if (vec_push(&w->argv, "--hostname") < 0 || vec_push(&w->argv, buf) < 0) {
			return err_set(e, ENOMEM, "out of memory");
		}
		int r = json_get(j, t, "root");
		if (r >= 0 && (opt_str(j, r, buf, sizeof(buf), who, "root", e) < 0 ||
			       vec_push(&w->argv, "--root") < 0 || vec_push(&w->argv, buf) < 0))
			return -EINVAL;
		int n = json_get(j, t, "network");
		if (n >= 0 && (opt_str(j, n, buf, sizeof(buf), who, "network", e) < 0 ||
			       vec_push(&w->argv, "--net") < 0 || vec_push(&w->argv, buf) < 0))
			return -EINVAL;
		if (parse_limits(j, json_get(j, t, "limits"), w, has, who, e) < 0 ||
		    parse_env(j, json_get(j, t, "env"), w, who, e) < 0 ||
		    str_array(j, json_get(j, t, "run_args"), &w->argv, who, "run_args", e) < 0)
			return -EINVAL;
		for (size_t i = 2; i < w->argv.n; i++)
			if (!strcmp(w->argv.v[i], "--"))
				return err_set(e, EINVAL, "%s: run_args must not hold '--'", who);
		if (vec_push(&w->argv, "--") < 0)
			return err_set(e, ENOMEM, "out of memory");
	} else {
		static const char *const run_only[] = { "root", "network", "hostname", "limits", "run_args" };
		for (size_t i = 0; i < ARRAY_SIZE(run_only); i++)
			if (json_get(j, t, run_only[i]) >= 0)
				return err_set(e, EINVAL, "%s: %s needs \"kind\": \"run\"", who, run_only[i]);
		if (parse_env(j, json_get(j, t, "env"), w, who, e) < 0)
			return -EINVAL;
	}
	size_t before = w->argv.n;
	int c = json_get(j, t, "command");
	if (c < 0)
		return err_set(e, EINVAL, "%s: needs a command", who);
	if (str_array(j, c, &w->argv, who, "command", e) < 0)
		return -EINVAL;
	if (w->argv.n == before || !w->argv.v[before][0])
		return err_set(e, EINVAL, "%s: command must not be empty", who);
	return 0;
}

void bootcfg_free(struct bootcfg *c)
{
	for (size_t i = 0; i < c->nw; i++) {
		free(c->w[i].name);
		vec_free(&c->w[i].argv);
		vec_free(&c->w[i].env);
	}
	vec_free(&c->modules);
	*c = (struct bootcfg){ 0 };
}

int bootcfg_parse(const char *text, size_t len, bootcfg_has_option has, struct bootcfg *c,
		  struct err *e)
{
	static const char *const keys[] = { "modules", "switch_root", "stop_timeout", "log",
		"workloads", NULL };
	struct json j;
	int r;

	*c = (struct bootcfg){ .switch_root = true, .stop_timeout = 10, .log_kmsg = true };
	if ((r = json_parse(&j, text, len, e)) < 0)
		return r;
	r = -EINVAL;
	if (json_type(&j, 0) != JSON_OBJECT) {
		err_set(e, EINVAL, "the config must be a JSON object");
		goto out;
	}
	if (known_keys(&j, 0, keys, "config", e) < 0)
		goto out;
	int t = json_get(&j, 0, "switch_root");
	if (t >= 0 && json_bool(&j, t, &c->switch_root, NULL) < 0) {
		err_set(e, EINVAL, "switch_root must be true or false");
		goto out;
	}
	uint64_t v;
	t = json_get(&j, 0, "stop_timeout");
	if (t >= 0) {
		if (json_u64(&j, t, &v, NULL) < 0 || v > 3600) {
			err_set(e, EINVAL, "stop_timeout must be whole seconds, 0..3600");
			goto out;
		}
		c->stop_timeout = (unsigned)v;
	}
	static const char *const logs[] = { "kmsg", "console" };
	int lg = 0;
	if (pick(&j, json_get(&j, 0, "log"), logs, 2, "log", "config", &lg, e) < 0)
		goto out;
	c->log_kmsg = lg == 0;
	if (str_array(&j, json_get(&j, 0, "modules"), &c->modules, "config", "modules", e) < 0)
		goto out;
	for (size_t i = 0; i < c->modules.n; i++)
		if (!valid_name(c->modules.v[i], 64)) {
			err_set(e, EINVAL, "modules: bad module name '%s'", c->modules.v[i]);
			goto out;
		}
	t = json_get(&j, 0, "workloads");
	if (t >= 0 && json_type(&j, t) != JSON_ARRAY) {
		err_set(e, EINVAL, "workloads must be an array");
		goto out;
	}
	if (json_len(&j, t) > BOOTCFG_MAX_WORKLOADS) {
		err_set(e, EINVAL, "too many workloads (at most %d)", BOOTCFG_MAX_WORKLOADS);
		goto out;
	}
	for (int i = 0; t >= 0 && i < json_len(&j, t); i++) {
		if (parse_workload(&j, json_at(&j, t, i), (size_t)i, &c->w[c->nw++], has, e) < 0)
			goto out;
		for (size_t k = 0; k + 1 < c->nw; k++) {
			if (!strcmp(c->w[k].name, c->w[c->nw - 1].name)) {
				err_set(e, EINVAL, "workload %s: the name is taken", c->w[k].name);
				goto out;
			}
			if (c->w[k].tty && c->w[c->nw - 1].tty) {
				err_set(e, EINVAL, "workload %s: the console is already the tty of %s",
					c->w[c->nw - 1].name, c->w[k].name);
				goto out;
			}
		}
	}
	r = 0;
out:
	json_free(&j);
	if (r < 0)
		bootcfg_free(c);
	return r;
}

int bootcfg_load(const char *path, bootcfg_has_option has, struct bootcfg *c, struct err *e)
{
	char *text;
	size_t len;
	int r = read_file(path, BOOTCFG_MAX_SIZE, &text, &len, e);
	if (r < 0)
		return r;
	r = bootcfg_parse(text, len, has, c, e);
	free(text);
	if (r < 0) {
		struct err why = *e;
		err_set(e, why.code, "%s: %s", path, why.msg);
	}
	return r;
}
