/* --bind / --tmpfs spec parsing. */
#include "t.h"
#include "mount.h"

static int parse(const char *in, enum mount_kind k, int ro, struct mount_op *m, struct err *e)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s", in);
	return mount_op_parse(buf, k, ro, m, e);
}

TEST(bind_src_only_targets_itself)
{
	struct mount_op m;
	CHECK_INT(parse("/srv", MOUNT_BIND, 0, &m, NULL), 0);
	CHECK_STR(m.src, "/srv");
	CHECK_STR(m.dst, "/srv");
	CHECK(!m.ro);
	CHECK_INT(m.fd, -1);
}

TEST(bind_src_dst_flags)
{
	struct mount_op m;
	CHECK_INT(parse("/a:/b", MOUNT_BIND, 0, &m, NULL), 0);
	CHECK_STR(m.src, "/a");
	CHECK_STR(m.dst, "/b");
	CHECK(!m.ro);
	CHECK_INT(parse("/a:/b:ro", MOUNT_BIND, 0, &m, NULL), 0);
	CHECK(m.ro);
	CHECK_INT(parse("/a:/b:rw", MOUNT_BIND, 0, &m, NULL), 0);
	CHECK(!m.ro);
	/* --ro-bind stays read-only whatever the flag says */
	CHECK_INT(parse("/a:/b:rw", MOUNT_BIND, 1, &m, NULL), 0);
	CHECK(m.ro);
	CHECK_INT(parse("relative:/b", MOUNT_BIND, 0, &m, NULL), 0);
	CHECK_STR(m.src, "relative");
}

TEST(bind_rejects_bad_specs)
{
	struct mount_op m;
	struct err e = { 0 };
	CHECK_INT(parse(":/b", MOUNT_BIND, 0, &m, &e), -EINVAL);
	CHECK_INT(parse("/a:", MOUNT_BIND, 0, &m, &e), -EINVAL);
	CHECK_INT(parse("/a:b", MOUNT_BIND, 0, &m, &e), -EINVAL);
	CHECK_STR(e.msg, "mount target 'b' must be an absolute path");
	CHECK_INT(parse("/a:/b:rx", MOUNT_BIND, 0, &m, &e), -EINVAL);
	CHECK_STR(e.msg, "bad bind flag 'rx' (want ro or rw)");
	CHECK_INT(parse("/a:/b:ro:x", MOUNT_BIND, 0, &m, &e), -EINVAL);
	CHECK_INT(parse("", MOUNT_BIND, 0, &m, &e), -EINVAL);
}

TEST(tmpfs_takes_an_absolute_target)
{
	struct mount_op m;
	CHECK_INT(parse("/scratch", MOUNT_TMPFS, 0, &m, NULL), 0);
	CHECK_STR(m.dst, "/scratch");
	CHECK_INT(m.kind, MOUNT_TMPFS);
	CHECK_INT(parse("scratch", MOUNT_TMPFS, 0, &m, NULL), -EINVAL);
	/* a colon is part of a tmpfs path, not a separator */
	CHECK_INT(parse("/a:b", MOUNT_TMPFS, 0, &m, NULL), 0);
	CHECK_STR(m.dst, "/a:b");
}

int main(void)
{
	RUN(bind_src_only_targets_itself);
	RUN(bind_src_dst_flags);
	RUN(bind_rejects_bad_specs);
	RUN(tmpfs_takes_an_absolute_target);
	DONE();
}
