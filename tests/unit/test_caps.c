#include <errno.h>
#include <stdint.h>
#include "caps.h"
#include "t.h"

TEST(names_parse_with_or_without_prefix_in_any_case)
{
	CHECK_INT(cap_from_name("CAP_NET_ADMIN"), 12);
	CHECK_INT(cap_from_name("net_admin"), 12);
	CHECK_INT(cap_from_name("Net_Admin"), 12);
	CHECK_INT(cap_from_name("cap_chown"), 0);
	CHECK_INT(cap_from_name("CHECKPOINT_RESTORE"), 40);
	CHECK_INT(cap_from_name("sys_chroot"), 18);
}

TEST(unknown_names_are_rejected)
{
	CHECK_INT(cap_from_name("CAP_"), -EINVAL);
	CHECK_INT(cap_from_name(""), -EINVAL);
	CHECK_INT(cap_from_name("NET_ADMINX"), -EINVAL);
	CHECK_INT(cap_from_name("CAP_CAP_CHOWN"), -EINVAL);
	CHECK_INT(cap_from_name("12"), -EINVAL);
	struct err e = { 0 };
	uint64_t s;
	CHECK_INT(caps_parse("bogus", &s, &e), -EINVAL);
	CHECK_STR(e.msg, "unknown capability \"bogus\"");
}

TEST(numbers_print_as_names)
{
	CHECK_STR(cap_name(0), "CAP_CHOWN");
	CHECK_STR(cap_name(21), "CAP_SYS_ADMIN");
	CHECK_STR(cap_name(40), "CAP_CHECKPOINT_RESTORE");
	CHECK(cap_name(41) == NULL);
	CHECK(cap_name(-1) == NULL);
	for (int c = 0; c <= 40; c++)
		CHECK_INT(cap_from_name(cap_name(c)), c);
}

TEST(all_means_every_known_capability)
{
	uint64_t s = 0;
	CHECK_INT(caps_parse("ALL", &s, NULL), 0);
	CHECK(s == caps_all);
	CHECK(s == (UINT64_C(1) << 41) - 1);
	CHECK_INT(caps_parse("all", &s, NULL), 0);
	CHECK(s == caps_all);
}

TEST(default_set_is_dockers_fourteen)
{
	CHECK_INT(__builtin_popcountll(caps_default), 14);
	const char *want[] = { "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD",
		"NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
		"SYS_CHROOT", "KILL", "AUDIT_WRITE" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(caps_default & CAP_BIT(cap_from_name(want[i])));
	CHECK(!(caps_default & CAP_BIT(cap_from_name("SYS_ADMIN"))));
	CHECK(!(caps_default & CAP_BIT(cap_from_name("NET_ADMIN"))));
}

TEST(lists_are_comma_separated)
{
	uint64_t s = 1;
	struct err e = { 0 };
	CHECK_INT(caps_parse_list("chown,NET_RAW,cap_kill", &s, &e), 0);
	CHECK(s == (CAP_BIT(0) | CAP_BIT(13) | CAP_BIT(5)));
	CHECK_INT(caps_parse_list("", &s, &e), 0);
	CHECK(s == 0);
	CHECK_INT(caps_parse_list("chown,,kill", &s, &e), -EINVAL);
	CHECK_INT(caps_parse_list("chown,", &s, &e), -EINVAL);
	CHECK_INT(caps_parse_list("chown,nope", &s, &e), -EINVAL);
	CHECK_STR(e.msg, "unknown capability \"nope\"");
}

int main(void)
{
	RUN(names_parse_with_or_without_prefix_in_any_case);
	RUN(unknown_names_are_rejected);
	RUN(numbers_print_as_names);
	RUN(all_means_every_known_capability);
	RUN(default_set_is_dockers_fourteen);
	RUN(lists_are_comma_separated);
	DONE();
}
