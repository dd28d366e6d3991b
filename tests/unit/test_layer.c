/* Layer unpacking and the image store. Without arguments: self-tests on
 * crafted archives in a temp dir. With arguments it is the driver of
 * tests/integration/61-unpack.sh:
 *   test_layer unpack ROOTFS LAYER...        unpack layers in order
 *   test_layer put STORE DIGEST FILE [USEC]  write a blob (resuming a
 *                                            partial one), USEC pause per 4 KiB
 *   test_layer build STORE MANIFEST-DIGEST   build the rootfs of a manifest
 *   test_layer tag STORE REF DIGEST | get STORE REF | list STORE
 *   test_layer rmi STORE REF | gc STORE | path STORE DIGEST */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "layer.h"
#include "store.h"
#include "tar.h"
#include "t.h"
#include "util.h"

static int die(struct err *e)
{
	fprintf(stderr, "test_layer: %s\n", e->msg);
	return 1;
}

static int cmd_unpack(int argc, char **argv)
{
	struct err e = { 0 };
	mkdir(argv[2], 0755);
	int root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		perror(argv[2]);
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(argv[i]);
			return 1;
		}
		struct layer_stats st;
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		int r = layer_unpack_fd(fd, root, &st, &e);
		clock_gettime(CLOCK_MONOTONIC, &b);
		close(fd);
		if (r < 0)
			return die(&e);
		double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		printf("%s: entries %llu skipped %llu in %llu tar %llu ms %.1f MB/s(tar) %.1f maxrss_kib %ld\n",
		       argv[i], (unsigned long long)st.entries, (unsigned long long)st.skipped,
		       (unsigned long long)st.in_bytes, (unsigned long long)st.tar_bytes, ms,
		       (double)st.tar_bytes / 1e3 / (ms > 0 ? ms : 1), ru.ru_maxrss);
	}
	return 0;
}

static int cmd_put(int argc, char **argv)
{
	struct err e = { 0 };
	struct store s;
	struct blob_writer w;
	struct stat sb;
	long usec = argc > 5 ? atol(argv[5]) : 0;
	if (store_open(&s, argv[2], &e) < 0)
		return die(&e);
	int fd = open(argv[4], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		perror(argv[4]);
		return 1;
	}
	if (store_blob_begin(&s, argv[3], sb.st_size, &w, &e) < 0)
		return die(&e);
	printf("resume at %llu\n", (unsigned long long)w.size);
	fflush(stdout);
	if (lseek(fd, (off_t)w.size, SEEK_SET) < 0)
		return 1;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (blob_write(&w, buf, (size_t)n, &e) < 0) {
			store_blob_abort(&w, true);
			return die(&e);
		}
		if (usec)
			usleep((useconds_t)usec);
	}
	if (store_blob_commit(&w, &e) < 0)
		return die(&e);
	return 0;
}

static int cmd_store(int argc, char **argv)
{
	struct err e = { 0 };
	struct store s;
	const char *c = argv[1];
	if (store_open(&s, argv[2], &e) < 0)
		return die(&e);
	if (!strcmp(c, "build") && argc == 4) {
		if (store_rootfs_build(&s, argv[3], &e) < 0)
			return die(&e);
	} else if (!strcmp(c, "tag") && argc == 5) {
		if (store_ref_set(&s, argv[3], argv[4], &e) < 0)
			return die(&e);
	} else if (!strcmp(c, "get") && argc == 4) {
		char d[DIGEST_LEN + 1];
		if (store_ref_get(&s, argv[3], d, &e) < 0)
			return die(&e);
		printf("%s\n", d);
	} else if (!strcmp(c, "path") && argc == 4) {
		char p[PATH_MAX];
		if (store_rootfs_path(&s, argv[3], p, sizeof(p), &e) < 0)
			return die(&e);
		printf("%s\n", p);
	} else if (!strcmp(c, "list") && argc == 3) {
		struct store_image *v;
		size_t n;
		if (store_list(&s, &v, &n, &e) < 0)
			return die(&e);
		for (size_t i = 0; i < n; i++)
			printf("%s %s %llu %s\n", v[i].ref, v[i].digest, (unsigned long long)v[i].size,
			       v[i].unpacked ? "unpacked" : "-");
		free(v);
	} else if (!strcmp(c, "rmi") && argc == 4) {
		if (store_rmi(&s, argv[3], &e) < 0)
			return die(&e);
	} else if (!strcmp(c, "gc") && argc == 3) {
		struct store_gc_stats st;
		if (store_gc(&s, &st, &e) < 0)
			return die(&e);
		printf("blobs %u trees %u partials %u bytes %llu\n", st.blobs, st.trees, st.partials,
		       (unsigned long long)st.bytes);
	} else {
		fprintf(stderr, "test_layer: bad arguments\n");
		return 2;
	}
	store_close(&s);
	return 0;
}

/* ---- self-tests ---- */

struct tb { unsigned char *b; size_t n, cap; };

static void tb_put(struct tb *t, const void *p, size_t n)
{
	if (t->n + n > t->cap) {
		t->cap = (t->n + n) * 2;
		t->b = realloc(t->b, t->cap);
	}
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void tb_entry(struct tb *t, const char *name, char type, const char *link,
		     const void *data, size_t size)
{
	unsigned char h[512] = { 0 };
	strncpy((char *)h, name, 100);
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", size);
	snprintf((char *)h + 136, 12, "%011o", 1000000000);
	h[156] = (unsigned char)type;
	if (link)
		strncpy((char *)h + 157, link, 100);
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	tb_put(t, h, 512);
	if (size) {
		tb_put(t, data, size);
		static const unsigned char z[512];
		tb_put(t, z, (512 - size % 512) % 512);
	}
}

static void tb_end(struct tb *t)
{
	static const unsigned char z[1024];
	tb_put(t, z, 1024);
}

struct mem { const unsigned char *p; size_t n, off; };
static ssize_t mem_read(void *arg, void *buf, size_t n, struct err *e)
{
	(void)e;
	struct mem *m = arg;
	if (n > m->n - m->off)
		n = m->n - m->off;
	if (n > 700)
		n = 700;	/* odd pieces: no reliance on block-sized reads */
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static char tmpdir[64];

static int unpack_mem(struct tb *t, struct err *e)
{
	struct mem m = { t->b, t->n, 0 };
	int root = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = layer_unpack(mem_read, &m, root, NULL, e);
	close(root);
	return r;
}

static int exists(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	return lstat(p, &st) == 0;
}

TEST(files_dirs_links)
{
	struct tb t = { 0 };
	struct err e = { 0 };
	tb_entry(&t, "a/", '5', NULL, NULL, 0);
	tb_entry(&t, "a/f", '0', NULL, "hello", 5);
	tb_entry(&t, "./a/l", '2', "f", NULL, 0);
	tb_entry(&t, "a/h", '1', "a/f", NULL, 0);
	tb_entry(&t, "deep/er/g", '0', NULL, "x", 1);
	tb_end(&t);
	CHECK_INT(unpack_mem(&t, &e), 0);
	if (e.code) printf("#   %s\n", e.msg);
	CHECK(exists("a/f") && exists("a/l") && exists("a/h") && exists("deep/er/g"));
	free(t.b);
}

TEST(whiteouts)
{
	struct tb t = { 0 };
	struct err e = { 0 };
	tb_entry(&t, "a/.wh.f", '0', NULL, NULL, 0);
	tb_entry(&t, "deep/.wh..wh..opq", '0', NULL, NULL, 0);
	tb_entry(&t, "deep/new", '0', NULL, "n", 1);
	tb_end(&t);
	CHECK_INT(unpack_mem(&t, &e), 0);
	if (e.code) printf("#   %s\n", e.msg);
	CHECK(!exists("a/f") && exists("a/h") && !exists("a/.wh.f"));
	CHECK(!exists("deep/er") && exists("deep/new") && !exists("deep/.wh..wh..opq"));
	free(t.b);
}

TEST(dotdot_refused)
{
	struct tb t = { 0 };
	struct err e = { 0 };
	tb_entry(&t, "a/../../evil", '0', NULL, "x", 1);
	tb_end(&t);
	CHECK_INT(unpack_mem(&t, &e), -EPERM);
	CHECK(strstr(e.msg, "climbs out") != NULL);
	free(t.b);
}

TEST(symlink_escape_refused)
{
	struct tb t = { 0 }, t2 = { 0 };
	struct err e = { 0 };
	tb_entry(&t, "up", '2', "../../../../../../tmp", NULL, 0);
	tb_end(&t);
	CHECK_INT(unpack_mem(&t, &e), 0);
	if (e.code) printf("#   %s\n", e.msg);
	tb_entry(&t2, "up/corral-test-escape", '0', NULL, "x", 1);
	tb_end(&t2);
	CHECK_INT(unpack_mem(&t2, &e), -EPERM);
	CHECK(access("/tmp/corral-test-escape", F_OK) < 0);
	free(t.b);
	free(t2.b);
}

TEST(truncated_tar)
{
	struct tb t = { 0 };
	struct err e = { 0 };
	char big[3000] = { 0 };
	tb_entry(&t, "big", '0', NULL, big, sizeof(big));
	t.n -= 1000;
	CHECK_INT(unpack_mem(&t, &e), -EBADMSG);
	CHECK(strstr(e.msg, "truncated") != NULL);
	free(t.b);
}

TEST(blob_digest_and_resume)
{
	struct err e = { 0 };
	struct store s;
	struct blob_writer w;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/store", tmpdir);
	CHECK_INT(store_open(&s, dir, &e), 0);
	/* sha256("abc") */
	const char *d = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	CHECK_INT(store_blob_begin(&s, d, 3, &w, &e), 0);
	CHECK_INT(blob_write(&w, "ab", 2, &e), 0);
	store_blob_abort(&w, true);
	CHECK_INT(store_has_blob(&s, d), 0);
	CHECK_INT(store_blob_begin(&s, d, 3, &w, &e), 0);
	CHECK_INT(w.size, 2);
	CHECK_INT(blob_write(&w, "cd", 2, &e), -EFBIG);
	CHECK_INT(blob_write(&w, "c", 1, &e), 0);
	CHECK_INT(store_blob_commit(&w, &e), 0);
	CHECK_INT(store_has_blob(&s, d), 1);
	/* a mismatch keeps nothing */
	const char *d2 = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	CHECK_INT(store_blob_begin(&s, d2, -1, &w, &e), 0);
	CHECK_INT(blob_write(&w, "abc", 3, &e), 0);
	CHECK_INT(store_blob_commit(&w, &e), -EBADMSG);
	CHECK(strstr(e.msg, "digest mismatch") != NULL);
	CHECK_INT(store_has_blob(&s, d2), 0);
	char p[256];
	snprintf(p, sizeof(p), "%s/blobs/sha256/.partial-%s", dir, d2 + 7);
	CHECK(access(p, F_OK) < 0);
	CHECK_INT(store_has_blob(&s, "sha256:ABC"), -EINVAL);
	/* one writer per blob; gc waits for every other user of the store */
	struct blob_writer w2;
	struct store s2;
	CHECK_INT(store_blob_begin(&s, d2, -1, &w, &e), 0);
	CHECK_INT(store_blob_begin(&s, d2, -1, &w2, &e), -EBUSY);
	store_blob_abort(&w, false);
	CHECK_INT(store_open(&s2, dir, &e), 0);
	CHECK_INT(store_gc(&s, NULL, &e), -EBUSY);
	store_close(&s2);
	CHECK_INT(store_gc(&s, NULL, &e), 0);
	CHECK_INT(store_has_blob(&s, d), 0);	/* no ref reaches it */
	CHECK_INT(store_blob_begin(&s, "sha256:../../etc/passwd", -1, &w, &e), -EINVAL);
	store_close(&s);
}

TEST(default_dir)
{
	unsetenv("CORRAL_IMAGES");
	CHECK_STR(store_default_dir(), "/var/lib/corral/images");
	setenv("CORRAL_IMAGES", "/tmp/elsewhere", 1);
	CHECK_STR(store_default_dir(), "/tmp/elsewhere");
	unsetenv("CORRAL_IMAGES");
	struct store s;
	struct err e = { 0 };
	CHECK_INT(store_open(&s, "relative/dir", &e), -EINVAL);
}

TEST(manifest_types)
{
	struct err e = { 0 };
	static struct manifest m;
	const char *ok = "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"},"
		"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"size\":3,"
		"\"digest\":\"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}]}";
	CHECK_INT(manifest_parse(ok, strlen(ok), &m, &e), 0);
	CHECK_INT(m.nlayers, 1);
	CHECK(m.layers[0].gzip);
	const char *zstd = "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"},"
		"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
		"\"digest\":\"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}]}";
	CHECK_INT(manifest_parse(zstd, strlen(zstd), &m, &e), -ENOTSUP);
	const char *idx = "{\"schemaVersion\":2,\"manifests\":[]}";
	CHECK_INT(manifest_parse(idx, strlen(idx), &m, &e), -EINVAL);
	CHECK_INT(manifest_parse("nope", 4, &m, &e), -EINVAL);
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "unpack"))
		return cmd_unpack(argc, argv);
	if (argc > 4 && !strcmp(argv[1], "put"))
		return cmd_put(argc, argv);
	if (argc > 2)
		return cmd_store(argc, argv);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_layer.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	RUN(files_dirs_links);
	RUN(whiteouts);
	RUN(dotdot_refused);
	RUN(symlink_escape_refused);
	RUN(truncated_tar);
	RUN(blob_digest_and_resume);
	RUN(manifest_types);
	RUN(default_dir);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	DONE();
}
