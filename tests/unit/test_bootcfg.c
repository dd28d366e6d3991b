/* lib/bootcfg: the boot config of `corral init`, its keys and errors. */
#include <stdlib.h>
#include "t.h"
#include "bootcfg.h"

static int parse(const char *text, struct bootcfg *c, struct err *e)
{
	*e = (struct err){ 0 };
	return bootcfg_parse(text, strlen(text), NULL, c, e);
}

/* text must fail with code in e (the return is negative: -EINVAL for any
 * error in a workload), its message holding want. */
static int bad_with(const char *text, bootcfg_has_option has, int code, const char *want)
{
	struct bootcfg c;
	struct err e = { 0 };
	int r = bootcfg_parse(text, strlen(text), has, &c, &e);
	if (r < 0 && e.code == code && strstr(e.msg, want))
		return 1;
	printf("#   %s\n#     -> %d '%s', want -%d '%s'\n", text, r, e.msg, code, want);
	if (r == 0)
		bootcfg_free(&c);
	return 0;
}
#define BAD(text, want) CHECK(bad_with(text, NULL, EINVAL, want))
/* One workload with extra keys (after name "a"). */
#define W(extra) "{\"workloads\": [{\"name\": \"a\", \"command\": [\"/bin/true\"]" extra "}]}"
#define WX(extra) W(", \"kind\": \"exec\"" extra)

static const char *joined(const struct vec *v)
{
	static char buf[1024];
	buf[0] = 0;
	for (size_t i = 0; i < v->n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", v->v[i]);
	return buf;
}

TEST(shipped_configs_parse)
{
	static const char *const files[] = { "configs/boot.json", "tests/vm/boot-chroot.json",
		"tests/vm/boot-pivot.json", "tests/vm/boot-restart.json" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct bootcfg c;
		struct err e = { 0 };
		int r = bootcfg_load(files[i], NULL, &c, &e);
		if (r < 0)
			printf("#   %s\n", e.msg);
		CHECK_INT(r, 0);
		if (r == 0) {
			CHECK(c.nw > 0);
			CHECK(c.modules.n > 0);
			bootcfg_free(&c);
		}
	}
	struct bootcfg c;
	struct err e = { 0 };
	CHECK_INT(bootcfg_load("configs/boot.json", NULL, &c, &e), 0);
	CHECK(c.switch_root);
	CHECK_INT(c.stop_timeout, 10);
	CHECK(c.log_kmsg);
	CHECK_STR(c.modules.v[0], "overlay");
	CHECK_INT(c.nw, 1);
	CHECK_STR(c.w[0].name, "console");
	CHECK_INT(c.w[0].kind, KIND_RUN);
	CHECK(c.w[0].tty);
	CHECK_INT(c.w[0].restart, RESTART_NO);
	CHECK_INT(c.w[0].on_exit, ACT_POWEROFF);
	CHECK_STR(joined(&c.w[0].argv),
		  "corral run --hostname console --net none --env PS1=sandbox#  -- /bin/sh");
	CHECK(c.w[0].argv.v[c.w[0].argv.n] == NULL);
	bootcfg_free(&c);
	CHECK_INT(bootcfg_load("tests/vm/boot-restart.json", NULL, &c, &e), 0);
	CHECK(c.log_kmsg);
	CHECK_INT(c.stop_timeout, 2);
	CHECK_INT(c.w[0].kind, KIND_EXEC);
	CHECK_INT(c.w[0].on_exit, ACT_RESTART);
	CHECK_STR(c.w[0].argv.v[0], "/bin/sh");
	bootcfg_free(&c);
	CHECK_INT(bootcfg_load("/nonexistent/boot.json", NULL, &c, &e), -ENOENT);
	CHECK(strstr(e.msg, "/nonexistent/boot.json") != NULL);
}

TEST(defaults)
{
	struct bootcfg c;
	struct err e;
	CHECK_INT(parse("{}", &c, &e), 0);
	CHECK(c.switch_root);
	CHECK_INT(c.stop_timeout, 10);
	CHECK(c.log_kmsg);
	CHECK_INT(c.modules.n, 0);
	CHECK_INT(c.nw, 0);
	bootcfg_free(&c);
	CHECK_INT(parse(W(""), &c, &e), 0);
	CHECK_INT(c.w[0].kind, KIND_RUN);
	CHECK_INT(c.w[0].restart, RESTART_NO);
	CHECK_INT(c.w[0].on_exit, ACT_NONE);
	CHECK(!c.w[0].tty);
	CHECK_STR(joined(&c.w[0].argv), "corral run --hostname a -- /bin/true");
	bootcfg_free(&c);
}

TEST(every_key)
{
	struct bootcfg c;
	struct err e;
	CHECK_INT(parse("{\"//\": \"a comment\", \"switch_root\": false, \"stop_timeout\": 0,"
			" \"log\": \"console\", \"modules\": [\"nf_nat\", \"veth\"], \"workloads\": ["
			"{\"//\": \"c\", \"name\": \"web.1\", \"command\": [\"/srv\", \"-p\"],"
			" \"root\": \"/img\", \"network\": \"bridge\", \"hostname\": \"www\","
			" \"limits\": {\"memory\": \"64m\", \"pids\": 100, \"cpus\": \"0.5\"},"
			" \"env\": {\"A\": \"1\"}, \"run_args\": [\"--bind\", \"/data\"],"
			" \"restart\": \"on-failure\", \"on_exit\": \"reboot\", \"tty\": true},"
			"{\"name\": \"x\", \"kind\": \"exec\", \"command\": [\"sh\"], \"env\": {\"B\": \"2\"},"
			" \"restart\": \"always\", \"on_exit\": \"restart\"}]}", &c, &e), 0);
	CHECK(!c.switch_root);
	CHECK_INT(c.stop_timeout, 0);
	CHECK(!c.log_kmsg);
	CHECK_STR(joined(&c.modules), "nf_nat veth");
	CHECK_INT(c.nw, 2);
	CHECK_STR(joined(&c.w[0].argv), "corral run --hostname www --root /img --net bridge "
		  "--memory 64m --pids 100 --cpus 0.5 --env A=1 --bind /data -- /srv -p");
	CHECK_INT(c.w[0].env.n, 0);
	CHECK_INT(c.w[0].restart, RESTART_ON_FAILURE);
	CHECK_INT(c.w[0].on_exit, ACT_REBOOT);
	CHECK(c.w[0].tty);
	CHECK_INT(c.w[1].kind, KIND_EXEC);
	CHECK_STR(joined(&c.w[1].argv), "sh");
	CHECK_STR(joined(&c.w[1].env), "B=2");
	CHECK_INT(c.w[1].restart, RESTART_ALWAYS);
	CHECK_INT(c.w[1].on_exit, ACT_RESTART);
	CHECK_STR(boot_kind_names[c.w[1].kind], "exec");
	CHECK_STR(boot_restart_names[c.w[0].restart], "on-failure");
	CHECK_STR(boot_action_names[c.w[1].on_exit], "restart");
	bootcfg_free(&c);
	/* A name that is not a hostname is not one, unless asked for. */
	CHECK_INT(parse("{\"workloads\": [{\"name\": \"a_b\", \"command\": [\"x\"]}]}", &c, &e), 0);
	CHECK_STR(joined(&c.w[0].argv), "corral run -- x");
	bootcfg_free(&c);
}

TEST(top_level_errors)
{
	BAD("[]", "must be a JSON object");
	BAD("{\"modules\": []", "");
	BAD("{\"swap\": 1}", "config: unknown key 'swap'");
	BAD("{\"switch_root\": \"yes\"}", "switch_root must be true or false");
	BAD("{\"stop_timeout\": \"10\"}", "stop_timeout must be whole seconds");
	BAD("{\"stop_timeout\": -1}", "stop_timeout must be whole seconds");
	BAD("{\"stop_timeout\": 1.5}", "stop_timeout must be whole seconds");
	BAD("{\"stop_timeout\": 3601}", "stop_timeout must be whole seconds, 0..3600");
	BAD("{\"log\": \"syslog\"}", "config: bad log (want one of kmsg, console)");
	BAD("{\"log\": true}", "bad log");
	BAD("{\"modules\": \"overlay\"}", "config: modules must be an array of strings");
	BAD("{\"modules\": [\"overlay\", 7]}", "config: modules[1] must be a string");
	BAD("{\"modules\": [\"../evil\"]}", "modules: bad module name '../evil'");
	BAD("{\"workloads\": {}}", "workloads must be an array");
	BAD("{\"workloads\": [7]}", "workloads[0]: must be an object");
}

TEST(too_many_workloads)
{
	char text[8192] = "{\"workloads\": [";
	for (int i = 0; i <= BOOTCFG_MAX_WORKLOADS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%s{\"name\": \"w%d\", \"command\": [\"x\"]}", i ? "," : "", i);
	strcat(text, "]}");
	BAD(text, "too many workloads (at most 64)");
	/* 64 is fine. */
	*strrchr(text, '{') = 0;
	strcpy(text + strlen(text) - 1, "]}");
	struct bootcfg c;
	struct err e;
	CHECK_INT(parse(text, &c, &e), 0);
	CHECK_INT(c.nw, BOOTCFG_MAX_WORKLOADS);
	bootcfg_free(&c);
}

TEST(workload_errors)
{
	BAD("{\"workloads\": [{\"command\": [\"x\"]}]}", "workloads[0]: needs a name");
	BAD("{\"workloads\": [{\"name\": 1, \"command\": [\"x\"]}]}", "workloads[0]: needs a name");
	BAD("{\"workloads\": [{\"name\": \"a/b\", \"command\": [\"x\"]}]}", "workloads[0]: needs a name");
	BAD("{\"workloads\": [{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"command\": [\"x\"]}]}",
	    "at most 32 bytes");
	BAD("{\"workloads\": [{\"name\": \"a\"}]}", "workload a: needs a command");
	BAD(W(", \"colour\": \"red\""), "workload a: unknown key 'colour'");
	BAD(W(", \"kind\": \"vm\""), "workload a: bad kind (want one of run, exec)");
	BAD(W(", \"kind\": 1"), "workload a: bad kind");
	BAD(W(", \"restart\": \"sometimes\""), "workload a: bad restart (want one of no, on-failure, always)");
	BAD(W(", \"restart\": true"), "workload a: bad restart");
	BAD(W(", \"on_exit\": \"halt\""), "workload a: bad on_exit (want one of none, poweroff, reboot, restart)");
	BAD(W(", \"on_exit\": 0"), "workload a: bad on_exit");
	BAD(W(", \"tty\": \"yes\""), "workload a: tty must be true or false");
	BAD(W(", \"root\": 1"), "workload a: root must be a non-empty string");
	BAD(W(", \"root\": \"\""), "workload a: root must be a non-empty string");
	BAD(W(", \"network\": []"), "workload a: network must be a non-empty string");
	BAD(W(", \"hostname\": 5"), "workload a: hostname must be a non-empty string");
	BAD(W(", \"hostname\": \"no spaces\""), "workload a: bad hostname 'no spaces'");
	BAD(W(", \"run_args\": \"--bind\""), "workload a: run_args must be an array of strings");
	BAD(W(", \"run_args\": [1]"), "workload a: run_args[0] must be a string");
	BAD(W(", \"run_args\": [\"--\"]"), "workload a: run_args must not hold '--'");
	BAD("{\"workloads\": [{\"name\": \"a\", \"command\": \"/bin/sh\"}]}",
	    "workload a: command must be an array of strings");
	BAD("{\"workloads\": [{\"name\": \"a\", \"command\": [2]}]}", "workload a: command[0] must be a string");
	BAD("{\"workloads\": [{\"name\": \"a\", \"command\": []}]}", "workload a: command must not be empty");
	BAD("{\"workloads\": [{\"name\": \"a\", \"command\": [\"\"]}]}", "workload a: command must not be empty");
	BAD("{\"workloads\": [{\"name\": \"a\", \"command\": [\"x\"]}, {\"name\": \"a\", \"command\": [\"y\"]}]}",
	    "workload a: the name is taken");
	BAD("{\"workloads\": [{\"name\": \"a\", \"command\": [\"x\"], \"tty\": true},"
	    " {\"name\": \"b\", \"command\": [\"y\"], \"tty\": true}]}",
	    "workload b: the console is already the tty of a");
	/* exec: the sandbox's keys have no meaning. */
	BAD(WX(", \"root\": \"/r\""), "workload a: root needs \"kind\": \"run\"");
	BAD(WX(", \"network\": \"n\""), "workload a: network needs \"kind\": \"run\"");
	BAD(WX(", \"hostname\": \"h\""), "workload a: hostname needs \"kind\": \"run\"");
	BAD(WX(", \"limits\": {}"), "workload a: limits needs \"kind\": \"run\"");
	BAD(WX(", \"run_args\": []"), "workload a: run_args needs \"kind\": \"run\"");
}

TEST(limits)
{
	BAD(W(", \"limits\": 64"), "workload a: limits must be an object");
	BAD(W(", \"limits\": {\"disk\": 1}"), "workload a: unknown key 'disk'");
	BAD(W(", \"limits\": {\"pids\": 0}"), "workload a: limits.pids must be a positive integer");
	BAD(W(", \"limits\": {\"pids\": -3}"), "workload a: limits.pids must be a positive integer");
	BAD(W(", \"limits\": {\"pids\": true}"), "workload a: limits.pids must be a non-empty string");
	BAD(W(", \"limits\": {\"cpus\": \"\"}"), "workload a: limits.cpus must be a non-empty string");
	BAD(W(", \"limits\": {\"memory\": \"lots\"}"), "workload a: bad limits.memory 'lots'");
	BAD(W(", \"limits\": {\"memory\": []}"), "workload a: limits.memory must be a non-empty string");
	struct bootcfg c;
	struct err e;
	CHECK_INT(parse(W(", \"limits\": {\"//\": \"c\", \"memory\": 1048576, \"pids\": \"7\"}"), &c, &e), 0);
	CHECK_STR(joined(&c.w[0].argv), "corral run --hostname a --memory 1048576 --pids 7 -- /bin/true");
	bootcfg_free(&c);
}

static bool no_memory(const char *opt)
{
	return strcmp(opt, "--memory") != 0;
}

TEST(limits_need_run_options)
{
	CHECK(bad_with(W(", \"limits\": {\"memory\": \"64m\"}"), no_memory, ENOTSUP,
		       "workload a: limits.memory needs 'corral run --memory'"));
	struct bootcfg c;
	struct err e = { 0 };
	const char *t = W(", \"limits\": {\"pids\": 5}");
	CHECK_INT(bootcfg_parse(t, strlen(t), no_memory, &c, &e), 0);
	bootcfg_free(&c);
}

TEST(env)
{
	BAD(W(", \"env\": [\"A=1\"]"), "workload a: env must be an object of strings");
	BAD(W(", \"env\": {\"A\": 1}"), "workload a: env A must be a string");
	BAD(W(", \"env\": {\"A=B\": \"1\"}"), "workload a: bad env name");
	BAD(W(", \"env\": {\"\": \"1\"}"), "workload a: bad env name");
	BAD(WX(", \"env\": {\"A\": null}"), "workload a: env A must be a string");
	char big[5000];
	snprintf(big, sizeof(big), "%s", "{\"workloads\": [{\"name\": \"a\", \"command\": [\"x\"], \"env\": {\"L\": \"");
	size_t n = strlen(big);
	memset(big + n, 'x', 4200);
	strcpy(big + n + 4200, "\"}}]}");
	BAD(big, "workload a: env L is too long");
}

TEST(comments)
{
	struct bootcfg c;
	struct err e;
	CHECK_INT(parse("{\"//\": \"top\", \"workloads\": [{\"//\": \"w\", \"name\": \"a\","
			" \"command\": [\"x\"], \"limits\": {\"//\": \"l\", \"pids\": 1}}]}", &c, &e), 0);
	CHECK_INT(c.nw, 1);
	bootcfg_free(&c);
	/* Only "//" itself is a comment. */
	BAD("{\"// note\": 1}", "config: unknown key '// note'");
	BAD(W(", \"#\": 1"), "workload a: unknown key '#'");
}

int main(void)
{
	RUN(shipped_configs_parse);
	RUN(defaults);
	RUN(every_key);
	RUN(top_level_errors);
	RUN(too_many_workloads);
	RUN(workload_errors);
	RUN(limits);
	RUN(limits_need_run_options);
	RUN(env);
	RUN(comments);
	DONE();
}
