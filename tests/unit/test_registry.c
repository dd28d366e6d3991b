/* lib/registry.c references, lib/http.c URLs and challenges, lib/tls.c anchors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"
#include "http.h"
#include "registry.h"
#include "tls.h"

static const char *fmt(const struct image_ref *r)
{
	static char buf[800];
	ref_format(r, buf, sizeof(buf));
	return buf;
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(ref_defaults_follow_docker)
{
	struct image_ref r;
	struct err e = { 0 };
	CHECK_INT(ref_parse("busybox", &r, &e), 0);
	CHECK_STR(fmt(&r), "docker.io/library/busybox:latest");
	CHECK_STR(r.api_host, "registry-1.docker.io");
	CHECK_INT(ref_parse("user/app:1.0", &r, &e), 0);
	CHECK_STR(fmt(&r), "docker.io/user/app:1.0");
	CHECK_INT(ref_parse("index.docker.io/busybox", &r, &e), 0);
	CHECK_STR(fmt(&r), "docker.io/library/busybox:latest");
	CHECK_INT(ref_parse("localhost:5000/a/b/c:v1", &r, &e), 0);
	CHECK_STR(r.host, "localhost:5000");
	CHECK_STR(r.api_host, "localhost:5000");
	CHECK_STR(r.name, "a/b/c");
	CHECK_STR(r.tag, "v1");
	CHECK_INT(ref_parse("localhost/x", &r, &e), 0);
	CHECK_STR(fmt(&r), "localhost/x:latest");
	CHECK_INT(ref_parse("quay.io/org/img@sha256:" D64, &r, &e), 0);
	CHECK_STR(fmt(&r), "quay.io/org/img@sha256:" D64);
	CHECK_STR(r.tag, "");
	CHECK_INT(ref_parse("ghcr.io/o/i:t@sha256:" D64, &r, &e), 0);
	CHECK_STR(r.tag, "t");
	CHECK_STR(r.digest, "sha256:" D64);
	/* A first component without '.', ':' or "localhost" is a path. */
	CHECK_INT(ref_parse("myhost/img", &r, &e), 0);
	CHECK_STR(fmt(&r), "docker.io/myhost/img:latest");
	CHECK_INT(ref_parse("a__b/c-d/e.f--g:_x", &r, &e), 0);
	CHECK_STR(r.name, "a__b/c-d/e.f--g");
}

TEST(ref_rejects_bad_input)
{
	struct image_ref r;
	struct err e = { 0 };
	const char *bad[] = {
		"", "Upper", "a//b", "/a", "a/", "a:", "a:-x", "a@sha256:abc",
		"a@sha512:" D64, "a@sha256:" D64 "0", "a@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"-a", "a-", "a..b", "a___b", "host:99999/a", "host:/a", "ho st.io/a", "a b",
		"x:1/../y", "a/b:c:d",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r0 = ref_parse(bad[i], &r, &e);
		if (r0 != -EINVAL)
			printf("#   accepted '%s'\n", bad[i]);
		CHECK_INT(r0, -EINVAL);
	}
	char tag[200];
	snprintf(tag, sizeof(tag), "a:%0129d", 0);
	CHECK_INT(ref_parse(tag, &r, &e), -EINVAL);
}

TEST(url_parse_splits_scheme_host_port_path)
{
	struct url u;
	struct err e = { 0 };
	CHECK_INT(url_parse("https://registry-1.docker.io/v2/", &u, &e), 0);
	CHECK(u.tls);
	CHECK_STR(u.host, "registry-1.docker.io");
	CHECK_INT(u.port, 443);
	CHECK_STR(u.hostport, "registry-1.docker.io");
	CHECK_STR(u.path, "/v2/");
	CHECK_INT(url_parse("http://127.0.0.1:5000", &u, &e), 0);
	CHECK(!u.tls);
	CHECK_INT(u.port, 5000);
	CHECK_STR(u.hostport, "127.0.0.1:5000");
	CHECK_STR(u.path, "/");
	CHECK_INT(url_parse("https://[::1]:8443/a?b=c", &u, &e), 0);
	CHECK_STR(u.host, "::1");
	CHECK_STR(u.hostport, "[::1]:8443");
	CHECK_STR(u.path, "/a?b=c");
	CHECK_INT(url_parse("https://h:443/x", &u, &e), 0);
	CHECK_STR(u.hostport, "h");
	CHECK_INT(url_parse("ftp://h/", &u, &e), -EINVAL);
	CHECK_INT(url_parse("https:///x", &u, &e), -EINVAL);
	CHECK_INT(url_parse("https://h:0/", &u, &e), -EINVAL);
	CHECK_INT(url_parse("https://h:70000/", &u, &e), -EINVAL);
	CHECK_INT(url_parse("https://h/a b", &u, &e), -EINVAL);
	CHECK_INT(url_parse("https://h/a\r\nX: y", &u, &e), -EINVAL);
	CHECK_INT(url_parse("https://us er@h/", &u, &e), -EINVAL);
}

TEST(auth_params_are_read_from_challenges)
{
	char s[16], v[256];
	const char *h = "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
			"scope=\"repository:library/busybox:pull\"";
	CHECK_INT(http_auth_param(h, s, sizeof(s), "realm", v, sizeof(v)), 0);
	CHECK_STR(s, "bearer");
	CHECK_STR(v, "https://auth.docker.io/token");
	CHECK_INT(http_auth_param(h, s, sizeof(s), "scope", v, sizeof(v)), 0);
	CHECK_STR(v, "repository:library/busybox:pull");
	CHECK_INT(http_auth_param(h, s, sizeof(s), "error", v, sizeof(v)), -ENOENT);
	CHECK_INT(http_auth_param("Basic realm=x, charset=\"UTF-8\"", s, sizeof(s), "charset", v, sizeof(v)), 0);
	CHECK_STR(s, "basic");
	CHECK_STR(v, "UTF-8");
	CHECK_INT(http_auth_param("Bearer realm=\"a\\\"b\"", s, sizeof(s), "realm", v, sizeof(v)), 0);
	CHECK_STR(v, "a\"b");
	CHECK_INT(http_auth_param("Bearer realm=\"unterminated", s, sizeof(s), "realm", v, sizeof(v)), 0);
	CHECK_STR(v, "unterminated");
	CHECK_INT(http_auth_param("", s, sizeof(s), "realm", v, sizeof(v)), -ENOENT);
}

TEST(anchors_load_the_host_bundle_and_refuse_garbage)
{
	struct tls_anchors a;
	struct err e = { 0 };
	if (access(TLS_DEFAULT_CA, R_OK) == 0) {
		CHECK_INT(tls_anchors_load(&a, TLS_DEFAULT_CA, &e), 0);
		CHECK(a.n > 50);
		tls_anchors_free(&a);
	}
	char path[] = "/tmp/test_registry.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "hello\n", 6) == 6);
	close(fd);
	CHECK_INT(tls_anchors_load(&a, path, &e), -ENOENT);
	CHECK(strstr(e.msg, "no certificate") != NULL);
	fd = open(path, O_WRONLY | O_TRUNC);
	const char *pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	CHECK(write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem));
	close(fd);
	CHECK_INT(tls_anchors_load(&a, path, &e), -EINVAL);
	CHECK(a.n == 0 && a.ta == NULL);
	unlink(path);
	CHECK_INT(tls_anchors_load(&a, "/nonexistent/ca.pem", &e), -ENOENT);
}

int main(void)
{
	RUN(ref_defaults_follow_docker);
	RUN(ref_rejects_bad_input);
	RUN(url_parse_splits_scheme_host_port_path);
	RUN(auth_params_are_read_from_challenges);
	RUN(anchors_load_the_host_bundle_and_refuse_garbage);
	DONE();
}
