/* lib/sandbox_ref.c: a sandbox's pause from its state file; lib/nsjoin.c
 * parts that need no privilege. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "nsjoin.h"
#include "proc.h"
#include "sandbox_ref.h"
#include "t.h"

static char root[64];
static const char *ID = "0123456789abcdef";

static void put(const char *id, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/sandboxes", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/sandboxes/%s", root, id);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/sandboxes/%s/state.json", root, id);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void put_pause(const char *id, const char *name, long pid, unsigned long long start)
{
	char text[256];
	snprintf(text, sizeof(text),
		 "{\"id\":\"%s\",\"name\":\"%s\",\"pause_pid\":%ld,\"pause_start_time\":%llu,"
		 "\"netns\":\"cr-01234567\",\"limits\":{\"pids\":10}}", id, name, pid, start);
	put(id, text);
}

static void clear(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s/sandboxes", root);
	CHECK(system(cmd) == 0);
}

TEST(ids_are_16_lowercase_hex_digits)
{
	CHECK(sandbox_id_valid("0123456789abcdef"));
	CHECK(!sandbox_id_valid("0123456789ABCDEF"));
	CHECK(!sandbox_id_valid("0123456789abcde"));
	CHECK(!sandbox_id_valid("0123456789abcdef0"));
	CHECK(!sandbox_id_valid(""));
	CHECK(!sandbox_id_valid("0123456789abcdeg"));
	CHECK(!sandbox_id_valid("../3456789abcdef"));
}

TEST(finds_a_live_pause_by_id_and_by_name)
{
	struct sandbox_pause sp;
	struct err e = { 0 };
	pid_t me = getpid();

	clear();
	put("fedcba9876543210", "{\"id\":\"fedcba9876543210\",\"name\":\"other\"}");
	put_pause(ID, "web", me, proc_start_time(me));
	CHECK_INT(sandbox_pause(root, ID, &sp, &e), 0);
	CHECK_STR(sp.id, ID);
	CHECK_INT(sp.pid, me);
	CHECK(sp.start == proc_start_time(me));
	memset(&sp, 0, sizeof(sp));
	CHECK_INT(sandbox_pause(root, "web", &sp, &e), 0);
	CHECK_STR(sp.id, ID);
	CHECK_INT(sp.pid, me);
}

TEST(a_recycled_pid_is_refused)
{
	struct sandbox_pause sp;
	struct err e = { 0 };
	pid_t me = getpid();

	clear();
	put_pause(ID, "web", me, proc_start_time(me) + 1);
	CHECK_INT(sandbox_pause(root, "web", &sp, &e), -ESRCH);
	CHECK(strstr(e.msg, "is not running") != NULL);
}

TEST(missing_sandboxes_are_named)
{
	struct sandbox_pause sp;
	struct err e = { 0 };

	clear();		/* no sandboxes dir at all */
	CHECK_INT(sandbox_pause(root, ID, &sp, &e), -ENOENT);
	CHECK_STR(e.msg, "no sandbox '0123456789abcdef'");
	CHECK_INT(sandbox_pause(root, "web", &sp, &e), -ENOENT);
	CHECK_STR(e.msg, "no sandbox 'web'");
	put_pause(ID, "web", getpid(), proc_start_time(getpid()));
	CHECK_INT(sandbox_pause(root, "db", &sp, &e), -ENOENT);
	CHECK_INT(sandbox_pause(root, "fedcba9876543210", &sp, &e), -ENOENT);
	/* Only id-shaped directories are read in a search by name. */
	put("not-an-id", "{\"name\":\"db\",\"pause_pid\":1,\"pause_start_time\":1}");
	CHECK_INT(sandbox_pause(root, "db", &sp, &e), -ENOENT);
}

TEST(bad_refs_never_become_paths)
{
	struct sandbox_pause sp;
	struct err e = { 0 };
	const char *bad[] = { "", ".", "..", "../x", "a/b", ".hidden", "-x", "web\n",
			      "0123456789abcdef/../0123456789abcdef", "a b",
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };

	clear();
	put_pause(ID, "web", getpid(), proc_start_time(getpid()));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = 0;
		CHECK_INT(sandbox_pause(root, bad[i], &sp, &e), -EINVAL);
		CHECK(strstr(e.msg, "is not a sandbox ID or name") != NULL);
	}
}

TEST(malformed_state_is_an_error_naming_the_file)
{
	struct sandbox_pause sp;
	struct err e = { 0 };

	clear();
	put(ID, "{\"id\":\"0123456789abcdef\",\"pause_pid\":");
	CHECK_INT(sandbox_pause(root, ID, &sp, &e), -EINVAL);
	CHECK(strstr(e.msg, "/sandboxes/0123456789abcdef/state.json: ") != NULL);
	put(ID, "[]");
	CHECK_INT(sandbox_pause(root, ID, &sp, &e), -EINVAL);
	put(ID, "{\"id\":\"0123456789abcdef\",\"pause_start_time\":5}");
	CHECK_INT(sandbox_pause(root, ID, &sp, &e), -EINVAL);
	CHECK(strstr(e.msg, "pause_pid") != NULL);
	put(ID, "{\"pause_pid\":-3,\"pause_start_time\":5}");
	CHECK_INT(sandbox_pause(root, ID, &sp, &e), -EINVAL);
	put(ID, "{\"pause_pid\":3,\"pause_start_time\":\"5\"}");
	CHECK_INT(sandbox_pause(root, ID, &sp, &e), -EINVAL);
	CHECK(strstr(e.msg, "pause_start_time") != NULL);
	put(ID, "{\"id\":\"fedcba9876543210\",\"pause_pid\":3,\"pause_start_time\":5}");
	CHECK_INT(sandbox_pause(root, ID, &sp, &e), -EINVAL);
	CHECK(strstr(e.msg, "\"id\" is not") != NULL);
}

TEST(nsjoin_opens_close_on_exec_and_checks_the_start_time)
{
	struct nsjoin j;
	struct err e = { 0 };
	pid_t me = getpid();

	nsjoin_init(&j);
	CHECK_INT(nsjoin_mask(&j), 0);
	CHECK_INT(nsjoin_open_pid(&j, me, NS_BIT(NS_NET) | NS_BIT(NS_UTS), proc_start_time(me), &e), 0);
	CHECK_INT(nsjoin_mask(&j), NS_BIT(NS_NET) | NS_BIT(NS_UTS));
	CHECK(fcntl(j.fd[NS_NET], F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(j.fd[NS_UTS], F_GETFD) & FD_CLOEXEC);
	nsjoin_close(&j);
	CHECK_INT(nsjoin_mask(&j), 0);

	CHECK_INT(nsjoin_open_pid(&j, me, NS_BIT(NS_NET), proc_start_time(me) + 1, &e), -ESRCH);
	CHECK_INT(nsjoin_mask(&j), 0);
	CHECK_INT(nsjoin_open(&j, NS_IPC, "/nonexistent/ns", &e), -ENOENT);
	CHECK_STR(e.msg, "cannot open /nonexistent/ns: No such file or directory");
	CHECK_INT(ns_same(me, NS_NET, &e), 1);
	CHECK_INT(ns_same(me, NS_PID, &e), 1);
	CHECK(ns_supported(NS_NET));
	CHECK_STR(ns_name(NS_MNT), "mnt");
	/* Entering nothing is no error. */
	CHECK_INT(nsjoin_enter(&j, &e), 0);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/crunit.XXXXXX");
	if (!mkdtemp(root))
		return 2;
	RUN(ids_are_16_lowercase_hex_digits);
	RUN(finds_a_live_pause_by_id_and_by_name);
	RUN(a_recycled_pid_is_refused);
	RUN(missing_sandboxes_are_named);
	RUN(bad_refs_never_become_paths);
	RUN(malformed_state_is_an_error_naming_the_file);
	RUN(nsjoin_opens_close_on_exec_and_checks_the_start_time);
	clear();
	rmdir(root);
	DONE();
}
