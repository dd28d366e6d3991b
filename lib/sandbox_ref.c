#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "json.h"
#include "proc.h"
#include "sandbox_ref.h"
#include "util.h"

#define STATE_MAX (1u << 20)

/* Reads <root>/sandboxes/<id>/state.json. When name is not NULL, -ENOENT
 * unless the state's "name" is name. */
static int read_state(const char *root, const char *id, const char *name,
		      struct sandbox_pause *out, struct err *e)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	struct json j = { 0 };
	int64_t pid;
	uint64_t start;
	int r;

	if (snprintf(path, sizeof(path), "%s/sandboxes/%s/state.json", root, id) >= (int)sizeof(path))
		return err_set(e, ENAMETOOLONG, "%s/sandboxes/%s: path too long", root, id);
	if ((r = read_file(path, STATE_MAX, &text, &len, e)) < 0)
		return r;
	struct err pe = { 0 };
	if ((r = json_parse(&j, text, len, &pe)) < 0) {
		r = err_set(e, -r, "%s: %s", path, pe.msg);
		goto out;
	}
	if (json_type(&j, 0) != JSON_OBJECT) {
		r = err_set(e, EINVAL, "%s: not a JSON object", path);
		goto out;
	}
	if (name && !json_str_eq(&j, json_get(&j, 0, "name"), name)) {
		r = -ENOENT;
		goto out;
	}
	int t = json_get(&j, 0, "id");
	if (t >= 0 && !json_str_eq(&j, t, id)) {
		r = err_set(e, EINVAL, "%s: \"id\" is not %s", path, id);
		goto out;
	}
	if (json_i64(&j, json_get(&j, 0, "pause_pid"), &pid, NULL) < 0 || pid < 1 || pid > INT_MAX) {
		r = err_set(e, EINVAL, "%s: no valid \"pause_pid\"", path);
		goto out;
	}
	if (json_u64(&j, json_get(&j, 0, "pause_start_time"), &start, NULL) < 0 || !start) {
		r = err_set(e, EINVAL, "%s: no valid \"pause_start_time\"", path);
		goto out;
	}
	memcpy(out->id, id, SANDBOX_ID_LEN + 1);
	out->pid = (pid_t)pid;
	out->start = start;
	r = 0;
out:
	json_free(&j);
	free(text);
	return r;
}

static int find_by_name(const char *root, const char *name, struct sandbox_pause *out,
			struct err *e)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/sandboxes", root) >= (int)sizeof(path))
		return err_set(e, ENAMETOOLONG, "%s/sandboxes: path too long", root);
	DIR *d = opendir_at(AT_FDCWD, path, 0);
	if (!d) {
		if (errno == ENOENT)
			return err_set(e, ENOENT, "no sandbox '%s'", name);
		return err_sys(e, errno, "%s", path);
	}
	int r = err_set(e, ENOENT, "no sandbox '%s'", name);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!sandbox_id_valid(de->d_name))
			continue;
		struct err ignored;
		/* A state being written or removed meanwhile is not the one. */
		if (read_state(root, de->d_name, name, out, &ignored) == 0) {
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

int sandbox_pause(const char *root, const char *ref, struct sandbox_pause *out,
		  struct err *e)
{
	int r = -ENOENT;

	root = state_root(root);
	if (sandbox_id_valid(ref)) {
		r = read_state(root, ref, NULL, out, e);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if (r == -ENOENT) {
		if (!sandbox_name_valid(ref))
			return sandbox_id_valid(ref) ? err_set(e, ENOENT, "no sandbox '%s'", ref)
				: err_set(e, EINVAL, "'%s' is not a sandbox ID or name", ref);
		if ((r = find_by_name(root, ref, out, e)) < 0)
			return r;
	}
	if (proc_start_time(out->pid) != out->start)
		return err_set(e, ESRCH, "sandbox %s: its pause process (pid %d) is not running",
			       out->id, (int)out->pid);
	return 0;
}
