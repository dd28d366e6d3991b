/* Pure cgroup code: --cpus parsing and where the controllers live. */
#include <errno.h>
#include "t.h"
#include "cgroup.h"

static int cpus(const char *s, uint64_t *quota, uint64_t *period)
{
	struct cgroup_limits l = { 0 };
	struct err e = { 0 };
	int r = cgroup_parse_cpus(s, &l, &e);
	*quota = l.cpu_quota;
	*period = l.cpu_period;
	return r;
}

TEST(cpus_fractions_become_quota_per_100ms)
{
	uint64_t q, p;
	CHECK_INT(cpus("0.5", &q, &p), 0);
	CHECK_INT(q, 50000);
	CHECK_INT(p, 100000);
	CHECK_INT(cpus("2", &q, &p), 0);
	CHECK_INT(q, 200000);
	CHECK_INT(cpus("1.25", &q, &p), 0);
	CHECK_INT(q, 125000);
	CHECK_INT(cpus("0.01", &q, &p), 0);
	CHECK_INT(q, 1000);
	CHECK_INT(cpus(".5", &q, &p), 0);
	CHECK_INT(q, 50000);
	CHECK_INT(cpus("0.00001", &q, &p), -ERANGE);	/* under the 1 ms minimum */
	CHECK_INT(cpus("3.123456", &q, &p), -EINVAL);	/* sixth decimal */
}

TEST(cpus_rejects_junk)
{
	uint64_t q, p;
	const char *bad[] = { "", ".", "1.", "-1", "1e3", "0x1", "1.2.3", " 1", "1 ", "half" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = cpus(bad[i], &q, &p);
		if (r != -EINVAL)
			printf("#   '%s' -> %d\n", bad[i], r);
		CHECK(r == -EINVAL);
	}
	CHECK_INT(cpus("0", &q, &p), -ERANGE);
	CHECK_INT(cpus("99999999", &q, &p), -ERANGE);
}

/* This machine: memory, pids and cpu on v1, cgroup2 with only hugetlb. */
static const char hybrid_cgroup[] =
	"9:name=systemd:/\n"
	"8:pids:/\n"
	"7:blkio:/\n"
	"4:memory:/process_api/10c8\n"
	"3:cpuset:/\n"
	"2:cpuacct:/\n"
	"1:cpu:/\n"
	"0::/\n";
static const char hybrid_mountinfo[] =
	"22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	"38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(hybrid_host_uses_v1_for_memory_pids_cpu)
{
	struct cgroup_layout l;
	struct err e = { 0 };

	CHECK_INT(cgroup_parse_layout(hybrid_cgroup, hybrid_mountinfo, &l, &e), 0);
	CHECK_STR(l.v2, "/sys/fs/cgroup/unified");
	CHECK_STR(l.v1[CG_MEMORY], "/sys/fs/cgroup/memory");
	CHECK_STR(l.v1[CG_PIDS], "/sys/fs/cgroup/pids");
	CHECK_STR(l.v1[CG_CPU], "/sys/fs/cgroup/cpu");	/* not cpuset, not cpuacct */
	CHECK_INT(l.on_v1, (1u << CG_MEMORY) | (1u << CG_PIDS) | (1u << CG_CPU));
	CHECK_INT(cgroup_ctrl_version(&l, CG_MEMORY), 1);
	CHECK_INT(cgroup_ctrl_version(&l, CG_PIDS), 1);
	CHECK_INT(cgroup_ctrl_version(&l, CG_CPU), 1);
}

/* Debian/systemd style: cpu and cpuacct co-mounted, systemd's v2 hybrid. */
TEST(comounted_cpu_cpuacct_is_found)
{
	struct cgroup_layout l;
	const char pc[] = "5:cpu,cpuacct:/user.slice\n4:memory:/user.slice\n0::/user.slice\n";
	const char mi[] =
		"25 24 0:22 / /sys/fs/cgroup/unified rw shared:5 - cgroup2 cgroup2 rw,nsdelegate\n"
		"28 24 0:25 / /sys/fs/cgroup/cpu,cpuacct rw shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
		"29 24 0:26 / /sys/fs/cgroup/memory rw shared:11 - cgroup cgroup rw,memory\n";

	CHECK_INT(cgroup_parse_layout(pc, mi, &l, NULL), 0);
	CHECK_STR(l.v1[CG_CPU], "/sys/fs/cgroup/cpu,cpuacct");
	CHECK_INT(cgroup_ctrl_version(&l, CG_CPU), 1);
	CHECK_INT(cgroup_ctrl_version(&l, CG_MEMORY), 1);
	/* pids is on no v1 hierarchy: the cgroup2 mount gets it, if it has it. */
	CHECK_INT(cgroup_ctrl_version(&l, CG_PIDS), 2);
}

/* An initramfs VM or a modern distribution: one cgroup2 mount. */
TEST(pure_v2_uses_v2_for_everything)
{
	struct cgroup_layout l;
	const char pc[] = "0::/\n";
	const char mi[] =
		"1 0 0:2 / / rw - rootfs rootfs rw\n"
		"20 1 0:19 / /proc rw,nosuid,nodev,noexec - proc proc rw\n"
		"24 21 0:21 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

	CHECK_INT(cgroup_parse_layout(pc, mi, &l, NULL), 0);
	CHECK_STR(l.v2, "/sys/fs/cgroup");
	CHECK_INT(l.on_v1, 0);
	for (int c = 0; c < CG_NCTRL; c++) {
		CHECK_STR(l.v1[c], "");
		CHECK_INT(cgroup_ctrl_version(&l, c), 2);
	}
}

TEST(v1_bound_but_unmounted_is_unusable)
{
	struct cgroup_layout l;
	/* memory is bound to v1, but this mount namespace shows only cgroup2. */
	const char pc[] = "4:memory:/\n0::/\n";
	const char mi[] = "24 21 0:21 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

	CHECK_INT(cgroup_parse_layout(pc, mi, &l, NULL), 0);
	CHECK_INT(cgroup_ctrl_version(&l, CG_MEMORY), 0);
	CHECK_INT(cgroup_ctrl_version(&l, CG_PIDS), 2);
}

TEST(no_cgroup_mounts_means_nothing_usable)
{
	struct cgroup_layout l;

	CHECK_INT(cgroup_parse_layout("0::/\n", "1 0 0:2 / / rw - rootfs rootfs rw\n", &l, NULL), 0);
	for (int c = 0; c < CG_NCTRL; c++)
		CHECK_INT(cgroup_ctrl_version(&l, c), 0);
}

TEST(mountinfo_escapes_and_optional_fields)
{
	struct cgroup_layout l;
	const char mi[] =
		"40 30 0:37 / /mnt/my\\040cg rw,relatime shared:1 master:2 - cgroup2 cgroup2 rw\n"
		"41 30 0:38 / /mnt/mem rw - cgroup none rw,memory\n"
		/* malformed lines are skipped */
		"garbage\n"
		"42 30 0:39 / /x rw - cgroup\n";

	CHECK_INT(cgroup_parse_layout("0::/\n", mi, &l, NULL), 0);
	CHECK_STR(l.v2, "/mnt/my cg");
	CHECK_STR(l.v1[CG_MEMORY], "/mnt/mem");
}

TEST(bad_proc_cgroup_is_an_error)
{
	struct cgroup_layout l;
	struct err e = { 0 };

	CHECK_INT(cgroup_parse_layout("nonsense\n", "", &l, &e), -EINVAL);
	CHECK(strstr(e.msg, "/proc/self/cgroup") != NULL);
}

TEST(bad_names_are_refused_before_any_path)
{
	struct cgroup cg;
	struct cgroup_limits l = { .pids = 8 };
	struct err e = { 0 };
	const char *bad[] = { "", ".", "..", "../x", "a/b", "-x", ".hidden",
			      "0123456789012345678901234567890123456789012345678901234567890123456789" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(cgroup_create(bad[i], &l, &cg, &e), -EINVAL);
		CHECK_INT(cgroup_open(bad[i], &cg, &e), -EINVAL);
	}
}

TEST(no_limits_create_nothing)
{
	struct cgroup cg;
	struct cgroup_limits l = { 0 };

	CHECK_INT(cgroup_create("nolimits", &l, &cg, NULL), 0);
	CHECK_INT(cg.ndirs, 0);
	CHECK_INT(cgroup_attach(&cg, 0, NULL), 0);
	CHECK_INT(cgroup_oom_killed(&cg, NULL), 0);
	CHECK_INT(cgroup_destroy(&cg, NULL), 0);
}

int main(void)
{
	RUN(cpus_fractions_become_quota_per_100ms);
	RUN(cpus_rejects_junk);
	RUN(hybrid_host_uses_v1_for_memory_pids_cpu);
	RUN(comounted_cpu_cpuacct_is_found);
	RUN(pure_v2_uses_v2_for_everything);
	RUN(v1_bound_but_unmounted_is_unusable);
	RUN(no_cgroup_mounts_means_nothing_usable);
	RUN(mountinfo_escapes_and_optional_fields);
	RUN(bad_proc_cgroup_is_an_error);
	RUN(bad_names_are_refused_before_any_path);
	RUN(no_limits_create_nothing);
	DONE();
}
