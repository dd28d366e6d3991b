/* Image config parsing and Docker's Entrypoint/Cmd rules. */
#include <stdlib.h>
#include "t.h"
#include "image.h"

static const char cfg[] = "{\"architecture\":\"amd64\",\"config\":{"
	"\"Entrypoint\":[\"/ep\",\"-x\"],\"Cmd\":[\"c1\",\"c2\"],"
	"\"Env\":[\"A=1\",\"PATH=/bin\"],\"WorkingDir\":\"/w\",\"User\":\"app:staff\"}}";

static char *joined(char **v)
{
	static char buf[256];
	buf[0] = 0;
	for (; v && *v; v++) {
		strcat(buf, *v);
		strcat(buf, v[1] ? " " : "");
	}
	return buf;
}

TEST(parses_every_field)
{
	struct image_config c;
	CHECK_INT(image_config_parse(cfg, sizeof(cfg) - 1, &c, NULL), 0);
	CHECK_STR(joined(c.entrypoint), "/ep -x");
	CHECK_STR(joined(c.cmd), "c1 c2");
	CHECK_STR(joined(c.env), "A=1 PATH=/bin");
	CHECK_STR(c.workdir, "/w");
	CHECK_STR(c.user, "app:staff");
	image_config_free(&c);
}

TEST(absent_and_null_fields_are_empty)
{
	struct image_config c;
	const char *t = "{\"config\":{\"Cmd\":null}}";
	CHECK_INT(image_config_parse(t, strlen(t), &c, NULL), 0);
	CHECK(c.cmd == NULL && c.entrypoint == NULL && c.env == NULL);
	CHECK_STR(c.workdir, "");
	image_config_free(&c);
	t = "{}";
	CHECK_INT(image_config_parse(t, strlen(t), &c, NULL), 0);
	image_config_free(&c);
}

TEST(rejects_bad_configs)
{
	struct image_config c;
	struct err e = { 0 };
	const char *bad[] = { "{\"config\":{\"Cmd\":\"sh\"}}", "{\"config\":{\"Cmd\":[1]}}",
			      "{\"config\":{\"Env\":[\"NOEQ\"]}}", "{\"config\":{\"Env\":[\"=x\"]}}",
			      "{\"config\":[]}", "not json", "{\"config\":{\"User\":5}}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK(image_config_parse(bad[i], strlen(bad[i]), &c, &e) < 0);
	CHECK(strstr(e.msg, "image config") != NULL);
}

TEST(docker_entrypoint_and_cmd_rules)
{
	struct image_config c;
	struct err e = { 0 };
	char *args[] = { "a1", "a2", NULL }, *none[] = { NULL };
	CHECK_INT(image_config_parse(cfg, sizeof(cfg) - 1, &c, NULL), 0);
	char **v = image_argv(&c, NULL, none, &e);
	CHECK_STR(joined(v), "/ep -x c1 c2");	/* entrypoint + Cmd */
	free(v);
	v = image_argv(&c, NULL, args, &e);
	CHECK_STR(joined(v), "/ep -x a1 a2");	/* args replace Cmd */
	free(v);
	v = image_argv(&c, "/other", none, &e);
	CHECK_STR(joined(v), "/other");		/* --entrypoint drops Cmd */
	free(v);
	v = image_argv(&c, "", args, &e);
	CHECK_STR(joined(v), "a1 a2");		/* --entrypoint "" */
	free(v);
	CHECK(image_argv(&c, "", none, &e) == NULL);
	CHECK(strstr(e.msg, "give a command") != NULL);
	image_config_free(&c);
}

TEST(passwd_and_group_lookup)
{
	const char *pw = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:50::/:/bin/sh\nap:x:7:7::/:/bin/sh\n";
	unsigned id = 99, gid = 99;
	CHECK_INT(image_lookup(pw, "app", &id, &gid), 0);
	CHECK_INT(id, 1000);
	CHECK_INT(gid, 50);
	CHECK_INT(image_lookup(pw, "ap", &id, &gid), 0);	/* no prefix match */
	CHECK_INT(id, 7);
	CHECK_INT(image_lookup(pw, "nobody", &id, &gid), -ENOENT);
	CHECK_INT(image_lookup("staff:x:50:\n", "staff", &id, NULL), 0);
	CHECK_INT(id, 50);
	CHECK_INT(image_lookup("bad:x:notanumber:0\n", "bad", &id, NULL), -ENOENT);
}

int main(void)
{
	RUN(parses_every_field);
	RUN(absent_and_null_fields_are_empty);
	RUN(rejects_bad_configs);
	RUN(docker_entrypoint_and_cmd_rules);
	RUN(passwd_and_group_lookup);
	DONE();
}
