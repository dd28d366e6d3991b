/* lib/state.c: ids, names, namespace modes, the state format (strict),
 * atomic writes, marks and name claims in a temp root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "proc.h"
#include "state.h"
#include "t.h"

static const char *ID = "0123456789abcdef";

static void sample(struct sandbox_state *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->id, ID);
	strcpy(s->name, "web");
	s->pause_pid = 4242;
	s->pause_start_time = 123456;
	s->net = NS_MODE_POD;
	s->pid = NS_MODE_CONTAINER;
	s->ipc = NS_MODE_POD;
	strcpy(s->netns, "cr-01234567");
	strcpy(s->host_veth, "cr-deadbeef");
	strcpy(s->network, "corral");
	s->addr = 0x0a590002;
	s->prefix = 16;
	s->gateway = 0x0a590001;
	strcpy(s->cgroup, "sandbox-0123456789abcdef");
	s->limits.memory = 64 << 20;
	s->limits.pids = 100;
	s->created = 1700000000;
	s->created_ns = 5;
}

TEST(ids_and_names)
{
	char id[SANDBOX_ID_LEN + 1], id2[SANDBOX_ID_LEN + 1];
	CHECK(state_new_id(id, NULL) == 0);
	CHECK(sandbox_id_valid(id));
	CHECK(state_new_id(id2, NULL) == 0);
	CHECK(strcmp(id, id2) != 0);
	CHECK(!sandbox_id_valid("0123456789ABCDEF"));
	CHECK(!sandbox_id_valid("../3456789abcdef"));
	CHECK(!sandbox_id_valid(""));
	CHECK(sandbox_name_valid("web-1.a_b"));
	CHECK(!sandbox_name_valid(""));
	CHECK(!sandbox_name_valid(".."));
	CHECK(!sandbox_name_valid("a/b"));
	CHECK(!sandbox_name_valid("-x"));
	char n[32];
	sandbox_netns_name(ID, n);
	CHECK_STR(n, "cr-01234567");
	sandbox_cgroup_name(ID, n);
	CHECK_STR(n, "sandbox-0123456789abcdef");
}

TEST(modes_follow_cri)
{
	enum ns_mode m;
	CHECK(ns_mode_parse("pod", &m) == 0 && m == NS_MODE_POD);
	CHECK(ns_mode_parse("POD", &m) == 0 && m == NS_MODE_POD);
	CHECK(ns_mode_parse("CONTAINER", &m) == 0 && m == NS_MODE_CONTAINER);
	CHECK(ns_mode_parse("node", &m) == 0 && m == NS_MODE_NODE);
	CHECK(ns_mode_parse("TARGET", &m) == 0 && m == NS_MODE_TARGET);
	CHECK(ns_mode_parse("Pod", &m) == -EINVAL);
	CHECK(ns_mode_parse("", &m) == -EINVAL);
	CHECK(ns_mode_parse("pods", &m) == -EINVAL);
	CHECK(ns_mode_parse("po", &m) == -EINVAL);
}

TEST(format_parse_round_trip)
{
	struct sandbox_state s, t;
	char *text;
	size_t len;
	sample(&s);
	CHECK(sandbox_state_format(&s, true, &text, &len, NULL) == 0);
	CHECK(sandbox_state_parse(text, len, ID, &t, NULL) == 0);
	CHECK(memcmp(&s, &t, sizeof(s)) == 0);
	CHECK(strstr(text, "\"address\": \"10.89.0.2/16\"") != NULL);
	/* another id is refused */
	CHECK(sandbox_state_parse(text, len, "fedcba9876543210", &t, NULL) == -EINVAL);
	free(text);
}

/* Each edit of a valid state must be refused. */
TEST(parse_is_strict)
{
	static const struct { const char *from, *to; } bad[] = {
		{ "\"name\": \"web\"", "\"name\": \"../x\"" },
		{ "\"pause_pid\": 4242", "\"pause_pid\": 0" },
		{ "\"pause_pid\": 4242", "\"pause_pid\": -1" },
		{ "\"pause_pid\": 4242", "\"pause_pid\": \"4242\"" },
		{ "\"pause_pid\": 4242", "\"pause_pid\": 4294967296" },
		{ "\"netns\": \"cr-01234567\"", "\"netns\": \"cr-x/../y\"" },
		{ "\"netns\": \"cr-01234567\"", "\"netns\": null" },
		{ "\"host_veth\": \"cr-deadbeef\"", "\"host_veth\": \"eth0\"" },
		{ "\"cgroup\": \"sandbox-0123456789abcdef\"", "\"cgroup\": \"../../x\"" },
		{ "\"network\": \"pod\"", "\"network\": \"target\"" },
		{ "\"ipc\": \"pod\"", "\"ipc\": \"container\"" },
		{ "\"address\": \"10.89.0.2/16\"", "\"address\": \"10.89.0.2\"" },
		{ "\"address\": \"10.89.0.2/16\"", "\"address\": \"10.89.0.256/16\"" },
		{ "\"created\": 1700000000", "\"created\": 1.5" },
		{ "\"created_ns\": 5", "\"created_ns\": 1000000000" },
		{ "\"memory\": 67108864", "\"memory\": true" },
		{ "\"id\": \"0123456789abcdef\"", "\"id\": \"0123456789abcdef\", \"extra\": 1" },
		{ "\"pids\": 100", "\"pids\": 100, \"x\": 1" },
		{ "\"created_ns\": 5\n}", "\"created_ns\": 5\n} x" },
	};
	struct sandbox_state s, t;
	char *text;
	size_t len;
	sample(&s);
	CHECK(sandbox_state_format(&s, true, &text, &len, NULL) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[4096];
		char *at = strstr(text, bad[i].from);
		if (!at) {
			printf("#   no '%s' in the state\n", bad[i].from);
			CHECK(at != NULL);
			continue;
		}
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - text), text, bad[i].to,
			 at + strlen(bad[i].from));
		struct err e = { 0 };
		int r = sandbox_state_parse(buf, strlen(buf), ID, &t, &e);
		if (r != -EINVAL)
			printf("#   accepted: %s -> %s\n", bad[i].from, bad[i].to);
		CHECK(r == -EINVAL);
		CHECK(e.msg[0] != 0);
	}
	/* a node sandbox has no netns, veth or address */
	s.net = NS_MODE_NODE;
	s.netns[0] = s.host_veth[0] = s.network[0] = 0;
	s.addr = s.gateway = 0;
	free(text);
	CHECK(sandbox_state_format(&s, false, &text, &len, NULL) == 0);
	CHECK(sandbox_state_parse(text, len, ID, &t, NULL) == 0);
	CHECK(t.net == NS_MODE_NODE && !t.netns[0]);
	free(text);
}

TEST(files_marks_and_names)
{
	char root[] = "/tmp/test_state.XXXXXX", path[256];
	struct sandbox_state s, t;
	pid_t pid;
	unsigned long long start;
	char id[SANDBOX_ID_LEN + 1];
	struct err e = { 0 };

	CHECK(mkdtemp(root) != NULL);
	sample(&s);
	/* the lock makes <root>/sandboxes the first time, then only opens */
	snprintf(path, sizeof(path), "%s/sandboxes", root);
	CHECK(access(path, F_OK) < 0);
	int lk = state_lock(root, NULL);
	CHECK(lk >= 0 && access(path, F_OK) == 0);
	state_unlock(lk);
	CHECK((lk = state_lock(root, NULL)) >= 0);
	state_unlock(lk);
	CHECK(state_mkdir(root, ID, NULL) == 0);
	CHECK(state_mkdir(root, ID, NULL) == -EEXIST);
	CHECK(state_mkdir(root, "../x", NULL) == -EINVAL);
	CHECK(sandbox_state_write(root, &s, NULL) == 0);
	CHECK(sandbox_state_read(root, ID, &t, NULL) == 0);
	CHECK(memcmp(&s, &t, sizeof(s)) == 0);
	CHECK(state_mark_write(root, ID, "pause", 77, 99, NULL) == 0);
	CHECK(state_mark_read(root, ID, "pause", &pid, &start) == 0 && pid == 77 && start == 99);
	CHECK(state_mark_read(root, ID, "creating", &pid, &start) == -ENOENT);
	snprintf(path, sizeof(path), "%s/sandboxes/%s/junk", root, ID);
	FILE *f = fopen(path, "w");
	fputs("77 99 extra\n", f);
	fclose(f);
	CHECK(state_mark_read(root, ID, "junk", &pid, &start) == -EINVAL);
	CHECK(proc_runs(getpid(), 1) == 0);
	CHECK(proc_runs(0, 0) == 0);

	lk = state_lock(root, NULL);
	CHECK(lk >= 0);
	CHECK(state_name_claim(root, "web", ID, NULL) == 0);
	CHECK(state_name_claim(root, "web", "fedcba9876543210", &e) == -EEXIST);
	CHECK(strstr(e.msg, ID) != NULL);
	CHECK(state_resolve(root, "web", id, NULL) == 0 && !strcmp(id, ID));
	CHECK(state_resolve(root, ID, id, NULL) == 0);
	CHECK(state_resolve(root, "nosuch", id, NULL) == -ENOENT);
	CHECK(state_resolve(root, "", id, NULL) == -EINVAL);
	CHECK(state_resolve(root, "../x", id, NULL) == -EINVAL);
	state_unlock(lk);

	CHECK(state_remove(root, ID, NULL) == 0);
	CHECK(state_remove(root, ID, NULL) == 0);
	/* the name of a sandbox that is gone can be taken over */
	CHECK(state_mkdir(root, "fedcba9876543210", NULL) == 0);
	CHECK(state_name_claim(root, "web", "fedcba9876543210", NULL) == 0);
	CHECK(state_remove(root, "fedcba9876543210", NULL) == 0);
	CHECK(state_names_gc(root) == 1);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	CHECK(system(path) == 0);
}

TEST(member_marks)
{
	char root[] = "/tmp/test_state.XXXXXX", path[256];
	struct state_member m[4];
	struct err e = { 0 };
	unsigned long long self = proc_start_time(getpid());

	CHECK(state_member_parse("member.12.345", &m[0]) == 0 && m[0].pid == 12 && m[0].start == 345);
	static const char *const bad[] = {
		"member.", "member.12", "member.12.", "member..3", "member.0.3", "member.1.0",
		"member.-1.3", "member.1.3.4", "member.1.3x", "member.99999999999.3",
		"Member.1.3", "member.1 .3", "member.1.99999999999999999999999", "pause",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(state_member_parse(bad[i], &m[0]) == -EINVAL);

	CHECK(mkdtemp(root) != NULL);
	CHECK(state_member_add(root, ID, getpid(), self, &e) == -ENOENT);
	CHECK(state_member_add(root, "../x", getpid(), self, NULL) == -EINVAL);
	int lk = state_lock(root, NULL);
	CHECK(lk >= 0);
	state_unlock(lk);
	CHECK(state_mkdir(root, ID, NULL) == 0);
	/* a mark of a process that is gone is dropped by the next join */
	CHECK(state_member_add(root, ID, getpid(), self + 1, NULL) == 0);
	CHECK(state_members(root, ID, m, 4) == 1 && m[0].start == self + 1);
	CHECK(state_member_add(root, ID, getpid(), self, NULL) == 0);
	CHECK(state_members(root, ID, m, 4) == 1 && m[0].pid == getpid() && m[0].start == self);
	state_member_del(root, ID, getpid(), self);
	CHECK(state_members(root, ID, m, 4) == 0);
	/* no member joins a sandbox being removed */
	CHECK(state_mark_write(root, ID, "removing", getpid(), self, NULL) == 0);
	CHECK(state_member_add(root, ID, getpid(), self, &e) == -ESRCH);
	CHECK(strstr(e.msg, "being removed") != NULL);
	CHECK(state_members(root, ID, m, 4) == 0);
	CHECK(state_remove(root, ID, NULL) == 0);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	CHECK(system(path) == 0);
}

int main(void)
{
	RUN(ids_and_names);
	RUN(modes_follow_cri);
	RUN(format_parse_round_trip);
	RUN(parse_is_strict);
	RUN(files_marks_and_names);
	RUN(member_marks);
	DONE();
}
