/* The CNI plugin's paths that need no kernel: versions, errors, config
 * checks; and the container owner's lease text. */
#include <stdlib.h>
#include "t.h"
#include "cni.h"
#include "ipam.h"
#include "json.h"
#include "netconf.h"

#define CONF(extra) "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\"," extra \
	"\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.5.0.0/24\"}}"

/* Runs cmd on conf with a valid attachment env; returns the code, output in *out. */
static int run(const char *cmd, const char *conf, const char *ifname, char **out)
{
	struct cni_env env = { .command = cmd, .container_id = "c1",
			       .netns = "/nonexistent/netns", .ifname = ifname };
	struct err e = { 0 };
	struct jw w;
	jw_init(&w, false);
	int code = cni_exec(&env, conf, strlen(conf), "/nonexistent-root", &w, &e);
	if (code) {
		jw_free(&w);
		jw_init(&w, false);
		cni_error(&w, conf, strlen(conf), code, e.msg);
	}
	const char *t = w.len ? jw_done(&w, NULL) : "";
	*out = strdup(t ? t : "");
	jw_free(&w);
	return code;
}

TEST(version_lists_what_we_speak)
{
	char *o;
	CHECK_INT(run("VERSION", "{\"cniVersion\":\"0.4.0\"}", "eth0", &o), 0);
	CHECK_STR(o, "{\"cniVersion\":\"0.4.0\",\"supportedVersions\":"
		     "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}");
	free(o);
	/* whatever it is given */
	CHECK_INT(run("VERSION", "", "eth0", &o), 0);
	CHECK(strstr(o, "\"cniVersion\":\"1.1.0\"") != NULL);
	free(o);
}

TEST(errors_carry_the_specs_codes)
{
	char *o;
	CHECK_INT(run("ADD", "{\"cniVersion\":\"2.0.0\",\"name\":\"n\"}", "eth0", &o), CNI_ERR_VERSION);
	CHECK(strstr(o, "\"code\":1,") && strstr(o, "\"cniVersion\":\"1.1.0\""));
	free(o);
	CHECK_INT(run("ADD", "{\"cniVersion\":", "eth0", &o), CNI_ERR_DECODE);
	free(o);
	CHECK_INT(run("ADD", "{\"name\":\"n\"}", "eth0", &o), CNI_ERR_CONFIG);
	free(o);
	CHECK_INT(run("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\"}", "eth0", &o),
		  CNI_ERR_CONFIG);	/* no ipam */
	free(o);
	CHECK_INT(run("ADD", CONF("\"mtu\":10,"), "eth0", &o), CNI_ERR_CONFIG);
	CHECK(strstr(o, "\"cniVersion\":\"1.0.0\"") && strstr(o, "mtu"));
	free(o);
	CHECK_INT(run("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"ipvlan\"}", "eth0", &o),
		  CNI_ERR_FIELD);
	free(o);
	CHECK_INT(run("ADD", CONF(""), "", &o), CNI_ERR_ENV);
	free(o);
	CHECK_INT(run("ADD", CONF(""), "a/b", &o), CNI_ERR_ENV);
	free(o);
	CHECK_INT(run("NOPE", CONF(""), "eth0", &o), CNI_ERR_ENV);
	free(o);
	CHECK_INT(run("ADD", CONF(""), "eth0", &o), CNI_ERR_CONTAINER);	/* no such netns */
	free(o);
	/* 1.1 verbs at 1.0.0 */
	CHECK_INT(run("GC", CONF(""), "eth0", &o), CNI_ERR_VERSION);
	free(o);
	CHECK_INT(run("STATUS", CONF(""), "eth0", &o), CNI_ERR_VERSION);
	free(o);
	/* CHECK needs a prevResult */
	CHECK_INT(run("CHECK", CONF(""), "eth0", &o), CNI_ERR_CONFIG);
	free(o);
}

TEST(status_is_ready_at_1_1)
{
	char *o;
	const char *c = "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"bridge\","
			"\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.5.0.0/24\"}}";
	CHECK_INT(run("STATUS", c, "eth0", &o), 0);
	CHECK_STR(o, "");
	free(o);
	/* GC without the list of valid attachments drops nothing */
	CHECK_INT(run("GC", c, "eth0", &o), CNI_ERR_CONFIG);
	free(o);
}

TEST(cni_config_defaults)
{
	struct net_config c;
	struct err e;
	const char *s = CONF("");
	CHECK_INT(net_config_parse_cni(s, strlen(s), &c, &e), 0);
	CHECK_STR(c.bridge, "cni0");
	CHECK(!c.is_gateway && !c.ip_masq && !c.default_route && c.skip_lo);
	s = CONF("\"isDefaultGateway\":true,");
	CHECK_INT(net_config_parse_cni(s, strlen(s), &c, &e), 0);
	CHECK(c.is_gateway && c.default_route);
	/* corral's own defaults are unchanged */
	s = "{\"name\":\"x\"}";
	CHECK_INT(net_config_parse(s, strlen(s), &c, &e), 0);
	CHECK(c.is_gateway && c.ip_masq && c.default_route && !c.skip_lo);
	s = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.5.0.0/24\","
	    "\"routes\":[{\"dst\":\"10.9.0.0/16\"}]}}";
	CHECK_INT(net_config_parse_cni(s, strlen(s), &c, &e), -EOPNOTSUPP);
}

TEST(container_lease_text)
{
	struct ipam_owner o = { .kind = IPAM_OWNER_CONTAINER }, p;
	char buf[256];
	strcpy(o.sandbox, "abc-1.2_3");
	strcpy(o.ifname, "eth0");
	int n = ipam_format_lease(&o, buf, sizeof(buf));
	CHECK_INT(n, (int)strlen("container abc-1.2_3 eth0\n"));
	CHECK_STR(buf, "container abc-1.2_3 eth0\n");
	CHECK_INT(ipam_parse_lease(buf, strlen(buf), &p), 0);
	CHECK_INT(p.kind, IPAM_OWNER_CONTAINER);
	CHECK_STR(p.sandbox, "abc-1.2_3");
	CHECK_STR(p.ifname, "eth0");
	const char *bad[] = { "container abc\n", "container  eth0\n", "container a eth0",
			      "container a b c\n", "container ../x eth0\n",
			      "container a 0123456789abcdef\n", "container a eth0\npid 1 2\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK_INT(ipam_parse_lease(bad[i], strlen(bad[i]), &p), -EINVAL);
	strcpy(o.ifname, "a b");
	CHECK(ipam_format_lease(&o, buf, sizeof(buf)) < 0);
}

int main(void)
{
	RUN(version_lists_what_we_speak);
	RUN(errors_carry_the_specs_codes);
	RUN(status_is_ready_at_1_1);
	RUN(cni_config_defaults);
	RUN(container_lease_text);
	DONE();
}
