#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bearssl_hash.h>

#include "http.h"
#include "json.h"
#include "registry.h"
#include "store.h"
#include "tls.h"
#include "util.h"

#define MANIFEST_MAX (4u << 20)
#define TOKEN_RESP_MAX (256u << 10)
#define AUTH_MAX 8192

static const char accept_manifests[] =
	MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST;

/* ---- references ---- */

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool name_component_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		if (s[i] == '.')
			j++;
		else if (s[i] == '_')
			j += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (j < n && s[j] == '-')
				j++;
		else
			return false;
		if (j >= n || !lower_alnum(s[j]))
			return false;
		i = j;
	}
	return true;
}

static bool host_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n;
	if (hn == 0 || hn > 253)
		return false;
	for (size_t i = 0; i < hn; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	if (colon) {
		size_t pn = n - hn - 1;
		if (pn == 0 || pn > 5)
			return false;
		unsigned port = 0;
		for (size_t i = 0; i < pn; i++) {
			if (!isdigit((unsigned char)colon[1 + i]))
				return false;
			port = port * 10 + (colon[1 + i] - '0');
		}
		if (port == 0 || port > 65535)
			return false;
	}
	return true;
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

int ref_parse(const char *s, struct image_ref *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	size_t len = strlen(s);
	if (len == 0 || len > 512)
		return err_set(e, EINVAL, "reference '%.80s': empty or too long", s);
	char buf[513];
	memcpy(buf, s, len + 1);

	char *at = strchr(buf, '@');
	if (at) {
		*at = 0;
		if (strncmp(at + 1, "sha256:", 7))
			return err_set(e, EINVAL, "reference '%.200s': only sha256 digests are supported", s);
		if (!digest_valid(at + 1))
			return err_set(e, EINVAL, "reference '%.200s': bad digest (sha256: and 64 lowercase hex digits)", s);
		strcpy(r->digest, at + 1);
	}
	char *name = buf;
	char *slash = strchr(buf, '/');
	if (slash && (memchr(buf, '.', slash - buf) || memchr(buf, ':', slash - buf) ||
		      (slash - buf == 9 && !strncmp(buf, "localhost", 9)))) {
		if (!host_ok(buf, slash - buf))
			return err_set(e, EINVAL, "reference '%.200s': bad registry host", s);
		memcpy(r->host, buf, slash - buf);
		name = slash + 1;
	} else {
		strcpy(r->host, "docker.io");
	}
	if (!strcmp(r->host, "index.docker.io") || !strcmp(r->host, "registry-1.docker.io"))
		strcpy(r->host, "docker.io");

	char *lastslash = strrchr(name, '/');
	char *colon = strchr(lastslash ? lastslash : name, ':');
	if (colon) {
		*colon = 0;
		if (!tag_ok(colon + 1))
			return err_set(e, EINVAL, "reference '%.200s': bad tag", s);
		strcpy(r->tag, colon + 1);
	} else if (!r->digest[0]) {
		strcpy(r->tag, "latest");
	}

	bool hub = !strcmp(r->host, "docker.io");
	int n = snprintf(r->name, sizeof(r->name), "%s%s", hub && !strchr(name, '/') ? "library/" : "", name);
	if (n <= 0 || (size_t)n >= sizeof(r->name))
		return err_set(e, EINVAL, "reference '%.200s': repository name empty or too long", s);
	for (const char *c = r->name;;) {
		const char *end = strchr(c, '/');
		size_t cl = end ? (size_t)(end - c) : strlen(c);
		if (!name_component_ok(c, cl))
			return err_set(e, EINVAL,
				       "reference '%.200s': bad repository name (lowercase letters, digits, '.', '_', '-' between them)", s);
		if (!end)
			break;
		c = end + 1;
	}
	strcpy(r->api_host, hub ? "registry-1.docker.io" : r->host);
	return 0;
}

void ref_format(const struct image_ref *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s%s%s%s%s", r->host, r->name, r->tag[0] ? ":" : "", r->tag,
		 r->digest[0] ? "@" : "", r->digest);
}

const char *registry_host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "386";
#elif defined(__arm__)
	return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#else
	return "unknown";
#endif
}

/* ---- small helpers ---- */

static void sha256_digest(br_sha256_context *c, char out[DIGEST_LEN + 1])
{
	unsigned char h[32];
	br_sha256_out(c, h);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", h[i]);
}

static void base64(const char *in, size_t n, char *out)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		out[o++] = tb[v >> 18 & 63];
		out[o++] = tb[v >> 12 & 63];
		out[o++] = i + 1 < n ? tb[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tb[v & 63] : '=';
	}
	out[o] = 0;
}

static size_t url_escape(const char *s, char *out, size_t n)
{
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = *s;
		if (o + 4 >= n)
			break;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			out[o++] = c;
		else
			o += sprintf(out + o, "%%%02X", c);
	}
	out[o] = 0;
	return o;
}

/* A body kept in memory (manifests, token answers), hashed on the way. */
struct membuf {
	char *p;
	size_t len, cap, max;
	br_sha256_context sha;
	const char *what;
};

static int mem_put(void *arg, const void *buf, size_t n, struct err *e)
{
	struct membuf *m = arg;
	if (m->len + n > m->max)
		return err_set(e, EFBIG, "%s: larger than %zu bytes", m->what, m->max);
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 8192;
		while (cap < m->len + n + 1)
			cap *= 2;
		char *p = realloc(m->p, cap);
		if (!p)
			return err_set(e, ENOMEM, "%s: out of memory", m->what);
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, n);
	m->len += n;
	m->p[m->len] = 0;
	br_sha256_update(&m->sha, buf, n);
	return 0;
}

static void mem_reset(struct membuf *m, const char *what, size_t max)
{
	m->len = 0;
	m->max = max;
	m->what = what;
	br_sha256_init(&m->sha);
}

/* ---- the session with one registry ---- */

struct reg {
	struct http_client http;
	struct tls_anchors anchors;
	const struct pull_opts *o;
	const struct image_ref *ref;
	struct store *st;
	struct pull_result *res;
	char base[300];
	char hostport[300];
	char auth[AUTH_MAX];
	char basic[600];	/* "Basic ..." from the credentials, or "" */
};

static int reg_status_error(struct reg *g, const char *what, const struct http_resp *rs, struct err *e)
{
	char body[200];
	size_t j = 0;
	for (const char *p = rs->body; *p && j + 1 < sizeof(body); p++)
		body[j++] = (*p == '\n' || *p == '\r' || (unsigned char)*p < ' ') ? ' ' : *p;
	body[j] = 0;
	int code = rs->status == 404 ? ENOENT : rs->status == 401 || rs->status == 403 ? EACCES : EPROTO;
	return err_set(e, code, "%s %s: registry answered %d%s%s", g->ref->host, what, rs->status,
		       j ? ": " : "", body);
}

static int fetch_token(struct reg *g, const char *challenge, struct err *e)
{
	char scheme[16], realm[1024], service[256], scope[512];
	if (http_auth_param(challenge, scheme, sizeof(scheme), "realm", realm, sizeof(realm)) < 0)
		realm[0] = 0;
	if (!strcmp(scheme, "basic")) {
		if (!g->basic[0])
			return err_set(e, EACCES, "%s: the registry needs credentials (--creds USER:PASS)", g->ref->host);
		strcpy(g->auth, g->basic);
		return 0;
	}
	if (strcmp(scheme, "bearer"))
		return err_set(e, ENOTSUP, "%s: unsupported authentication scheme '%s'", g->ref->host, scheme);
	if (!realm[0])
		return err_set(e, EPROTO, "%s: Bearer challenge without a realm", g->ref->host);
	if (http_auth_param(challenge, scheme, sizeof(scheme), "service", service, sizeof(service)) < 0)
		service[0] = 0;
	if (http_auth_param(challenge, scheme, sizeof(scheme), "scope", scope, sizeof(scope)) < 0)
		snprintf(scope, sizeof(scope), "repository:%s:pull", g->ref->name);

	char url[2048], esc[1024];
	size_t n = snprintf(url, sizeof(url), "%s%s", realm, strchr(realm, '?') ? "&" : "?");
	if (service[0]) {
		url_escape(service, esc, sizeof(esc));
		n += snprintf(url + n, sizeof(url) - n, "service=%s&", esc);
	}
	url_escape(scope, esc, sizeof(esc));
	n += snprintf(url + n, sizeof(url) - n, "scope=%s", esc);
	if (n >= sizeof(url))
		return err_set(e, E2BIG, "%s: token URL too long", g->ref->host);

	struct membuf m = { 0 };
	mem_reset(&m, "token answer", TOKEN_RESP_MAX);
	struct http_req rq = { .url = url, .auth = g->basic[0] ? g->basic : NULL };
	struct http_resp rs;
	int r = http_get(&g->http, &rq, &rs, mem_put, &m, e);
	if (r == 0 && rs.status != 200)
		r = rs.status == 401 || rs.status == 403
			? err_set(e, EACCES, "%s: token service %s refused us (%d)%s", g->ref->host, realm, rs.status,
				  g->basic[0] ? "; check --creds" : "; try --creds USER:PASS")
			: err_set(e, EPROTO, "%s: token service %s answered %d", g->ref->host, realm, rs.status);
	struct json j = { 0 };
	if (r == 0 && (r = json_parse(&j, m.p ? m.p : "", m.len, e)) < 0)
		r = err_set(e, EPROTO, "%s: token answer is not JSON", g->ref->host);
	if (r == 0) {
		int t = json_get(&j, 0, "token");
		if (t < 0)
			t = json_get(&j, 0, "access_token");
		char tok[AUTH_MAX - 16];
		if (json_str(&j, t, tok, sizeof(tok), NULL) < 0 || !tok[0])
			r = err_set(e, EPROTO, "%s: token answer without a token", g->ref->host);
		else
			snprintf(g->auth, sizeof(g->auth), "Bearer %s", tok);
	}
	json_free(&j);
	free(m.p);
	return r;
}

/* GET with authentication: on 401, authenticate as the challenge says and
 * retry; a 401 that comes back after that is a loop and fails. */
static int reg_get(struct reg *g, const char *url, const char *accept, uint64_t range,
		   struct http_resp *rs, http_body_fn fn, void *arg, struct err *e)
{
	char last[HTTP_HDR_MAX] = "";
	for (int round = 0;; round++) {
		struct http_req rq = { .url = url, .accept = accept, .auth = g->auth[0] ? g->auth : NULL,
				       .range_from = range };
		int r = http_get(&g->http, &rq, rs, fn, arg, e);
		if (r < 0 || rs->status != 401)
			return r;
		if (!rs->www_auth[0])
			return err_set(e, EACCES, "%s: 401 Unauthorized without a challenge", g->ref->host);
		if (round >= 2 || (round == 1 && !strcmp(last, rs->www_auth)))
			return err_set(e, EACCES, "%s: still 401 Unauthorized after authenticating (a 401 loop)%s",
				       g->ref->host, g->basic[0] ? "; check --creds" : "; try --creds USER:PASS");
		snprintf(last, sizeof(last), "%s", rs->www_auth);
		if ((r = fetch_token(g, rs->www_auth, e)) < 0)
			return r;
	}
}

/* ---- manifests ---- */

static int store_small_blob(struct reg *g, const char *digest, const char *p, size_t n, struct err *e)
{
	if (store_has_blob(g->st, digest) == 1)
		return 0;
	struct blob_writer w;
	int r = store_blob_begin(g->st, digest, n, &w, e);
	if (r < 0)
		return r;
	if (w.size && (r = blob_restart(&w, e)) < 0) {
		store_blob_abort(&w, false);
		return r;
	}
	if ((r = blob_write(&w, p, n, e)) < 0) {
		store_blob_abort(&w, false);
		return r;
	}
	return store_blob_commit(&w, e);
}

static void media_type_of(const struct json *j, const char *content_type, char *out, size_t n)
{
	if (json_str(j, json_get(j, 0, "mediaType"), out, n, NULL) == 0 && out[0])
		return;
	snprintf(out, n, "%.*s", (int)strcspn(content_type, "; "), content_type);
}

/* Fetches a manifest (or index) by tag or digest into m; checks it
 * against every digest we know for it and stores it as a blob. */
static int fetch_manifest(struct reg *g, const char *tag_or_digest, const char *expect, int64_t expect_size,
			  struct membuf *m, struct json *j, char *mt, size_t mtn,
			  char digest[DIGEST_LEN + 1], struct err *e)
{
	char url[1024], what[400];
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", g->base, g->ref->name, tag_or_digest);
	snprintf(what, sizeof(what), "manifest %s%s%s", g->ref->name, tag_or_digest[6] == ':' ? "@" : ":",
		 tag_or_digest);
	mem_reset(m, what, MANIFEST_MAX);
	struct http_resp rs;
	int r = reg_get(g, url, accept_manifests, 0, &rs, mem_put, m, e);
	if (r < 0)
		return r;
	if (rs.status == 404)
		return err_set(e, ENOENT, "%s: not found on %s", what, g->ref->host);
	if (rs.status != 200)
		return reg_status_error(g, what, &rs, e);
	if (g->o->progress) {
		struct pull_progress p = { .what = "manifest", .digest = expect ? expect : tag_or_digest,
					   .done = m->len, .total = m->len, .finished = true };
		g->o->progress(g->o->progress_arg, &p);
	}
	sha256_digest(&m->sha, digest);
	if (expect && strcmp(expect, digest))
		return err_set(e, EBADMSG, "%s: digest mismatch (got %s)", what, digest);
	if (!strncmp(rs.digest, "sha256:", 7) && strcmp(rs.digest, digest))
		return err_set(e, EBADMSG, "%s: digest mismatch: Docker-Content-Digest says %.80s, content is %s",
			       what, rs.digest, digest);
	if (expect_size >= 0 && (uint64_t)expect_size != m->len)
		return err_set(e, EBADMSG, "%s: %zu bytes, its descriptor says %lld", what, m->len,
			       (long long)expect_size);
	struct err je;
	if (json_parse(j, m->p ? m->p : "", m->len, &je) < 0)
		return err_set(e, EBADMSG, "%s: not JSON (%s)", what, je.msg);
	if (json_type(j, 0) != JSON_OBJECT)
		return err_set(e, EBADMSG, "%s: not a JSON object", what);
	media_type_of(j, rs.content_type, mt, mtn);
	g->res->blobs++;
	g->res->blobs_fetched++;
	g->res->bytes_fetched += m->len;
	return store_small_blob(g, digest, m->p, m->len, e);
}

/* Picks the entry for os/arch from an index or manifest list. */
static int pick_platform(struct reg *g, const struct json *j, const char *what, char *digest,
			 int64_t *size, struct err *e)
{
	const char *os = g->o->os ? g->o->os : "linux";
	const char *arch = g->o->arch ? g->o->arch : registry_host_arch();
	int ms = json_get(j, 0, "manifests");
	if (json_type(j, ms) != JSON_ARRAY)
		return err_set(e, EBADMSG, "%s: index without a manifests list", what);
	char have[200] = "";
	size_t hl = 0;
	for (int i = 0, n = json_len(j, ms); i < n; i++) {
		int d = json_at(j, ms, i);
		int pf = json_get(j, d, "platform");
		char pos[32] = "", parch[32] = "";
		json_str(j, json_get(j, pf, "os"), pos, sizeof(pos), NULL);
		json_str(j, json_get(j, pf, "architecture"), parch, sizeof(parch), NULL);
		if (!strcmp(pos, os) && !strcmp(parch, arch)) {
			char mt[96] = "";
			json_str(j, json_get(j, d, "mediaType"), mt, sizeof(mt), NULL);
			if (mt[0] && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
				continue;	/* nested indexes, attestations */
			if (json_str(j, json_get(j, d, "digest"), digest, DIGEST_LEN + 1, NULL) < 0 ||
			    !digest_valid(digest))
				return err_set(e, EBADMSG, "%s: entry for %s/%s has a bad digest", what, os, arch);
			if (json_i64(j, json_get(j, d, "size"), size, NULL) < 0)
				*size = -1;
			return 0;
		}
		if (pos[0] && strcmp(parch, "unknown") && hl + 70 < sizeof(have))
			hl += snprintf(have + hl, sizeof(have) - hl, "%s%s/%s", hl ? ", " : "", pos, parch);
	}
	return err_set(e, ENOENT, "%s: no image for %s/%s (it has: %s)", what, os, arch, hl ? have : "nothing");
}

/* ---- blobs ---- */

/* Names the blob in a message that came from below and does not. */
static int blob_error(struct err *e, int r, const char *what, const char *digest)
{
	if (e && !strstr(e->msg, digest)) {
		char tmp[sizeof(e->msg)];
		snprintf(tmp, sizeof(tmp), "%.10s %.19s...: %.200s", what, digest, e->msg);
		memcpy(e->msg, tmp, sizeof(tmp));
	}
	return r;
}

struct blob_sink {
	struct reg *g;
	struct blob_writer *w;
	struct pull_progress p;
	const struct http_resp *rs;	/* its head is read before the body */
	uint64_t *from;
};

static int blob_put(void *arg, const void *buf, size_t n, struct err *e)
{
	struct blob_sink *b = arg;
	int r;
	if (*b->from && b->rs->status == 200) {
		/* The Range was ignored and the whole blob comes: start over. */
		if ((r = blob_restart(b->w, e)) < 0)
			return r;
		*b->from = 0;
		b->p.done = 0;
	}
	r = blob_write(b->w, buf, n, e);
	if (r < 0)
		return r;
	b->g->res->bytes_fetched += n;
	b->p.done += n;
	if (b->g->o->progress)
		b->g->o->progress(b->g->o->progress_arg, &b->p);
	return 0;
}

static int fetch_blob(struct reg *g, const char *what, const char *digest, int64_t size, struct err *e)
{
	struct pull_progress p = { .what = what, .digest = digest, .total = size };
	g->res->blobs++;
	int r = store_has_blob(g->st, digest);
	if (r < 0)
		return err_set(e, EINVAL, "%s %.80s: bad digest", what, digest);
	if (r == 1) {
		p.cached = p.finished = true;
		p.done = size > 0 ? size : 0;
		if (g->o->progress)
			g->o->progress(g->o->progress_arg, &p);
		return 0;
	}
	struct blob_writer w;
	if ((r = store_blob_begin(g->st, digest, size, &w, e)) < 0)
		return r;
	char url[1024];
	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", g->base, g->ref->name, digest);
	struct http_resp rs;
	uint64_t from = (size < 0 || (int64_t)w.size < size) ? w.size : 0;
	struct blob_sink b = { .g = g, .w = &w, .p = p, .rs = &rs, .from = &from };
	b.p.done = w.size;
	if (from == 0 && w.size && (r = blob_restart(&w, e)) < 0)
		goto fail;
transfer:
	r = reg_get(g, url, NULL, from, &rs, blob_put, &b, e);
	if (r < 0)
		goto fail;
	if (rs.status == 206) {
		unsigned long long start;
		if (sscanf(rs.content_range, "bytes %llu-", &start) != 1 || start != from) {
			r = err_set(e, EPROTO, "%s %s: answer to Range %llu- starts at '%.40s'", what, digest,
				    (unsigned long long)from, rs.content_range);
			goto fail_bad;
		}
	} else if (rs.status == 416 && from) {
		if ((r = blob_restart(&w, e)) < 0)
			goto fail;
		from = 0;
		b.p.done = 0;
		goto transfer;
	} else if (rs.status != 200) {
		char w2[300];
		snprintf(w2, sizeof(w2), "%s %s", what, digest);
		r = reg_status_error(g, w2, &rs, e);
		goto fail;
	}
	g->res->blobs_fetched++;
	if ((r = store_blob_commit(&w, e)) < 0)
		return r;
	b.p.finished = true;
	if (g->o->progress)
		g->o->progress(g->o->progress_arg, &b.p);
	return 0;
fail_bad:
	store_blob_abort(&w, false);
	return blob_error(e, r, what, digest);
fail:
	/* Bytes that arrived are good so far: keep them for a resume. A
	 * blob that overflows its size is bad data. */
	store_blob_abort(&w, r != -EFBIG);
	return blob_error(e, r, what, digest);
}

/* ---- the pull ---- */

static int reg_open(struct reg *g, struct err *e)
{
	const struct pull_opts *o = g->o;
	http_init(&g->http);
	if (o->timeout_ms > 0)
		g->http.io_timeout_ms = g->http.connect_timeout_ms = o->timeout_ms;
	const char *hp = g->ref->api_host;
	bool has_port = strchr(hp, ':') != NULL;
	snprintf(g->hostport, sizeof(g->hostport), "%s%s", hp, has_port ? "" : (o->insecure ? ":80" : ":443"));
	snprintf(g->base, sizeof(g->base), "%s://%s", o->insecure ? "http" : "https", hp);
	if (o->insecure)
		g->http.plain_host = g->hostport;
	g->http.tls_name_host = g->hostport;
	g->http.tls_server_name = o->tls_server_name;
	const char *ca = o->ca_file ? o->ca_file : TLS_DEFAULT_CA;
	int r = tls_anchors_load(&g->anchors, ca, e);
	if (r < 0 && !(o->insecure && !o->ca_file))
		return r;
	g->http.anchors = g->anchors.n ? &g->anchors : NULL;
	if (o->creds) {
		const char *c = strchr(o->creds, ':');
		size_t n = strlen(o->creds);
		if (!c || c == o->creds || n > 400)
			return err_set(e, EINVAL, "credentials: want USER:PASS");
		strcpy(g->basic, "Basic ");
		base64(o->creds, n, g->basic + 6);
	}
	return 0;
}

int registry_pull(struct store *st, const struct image_ref *ref, const struct pull_opts *o,
		  struct pull_result *res, struct err *e)
{
	struct reg *g = calloc(1, sizeof(*g));
	if (!g)
		return err_set(e, ENOMEM, "out of memory");
	memset(res, 0, sizeof(*res));
	g->o = o;
	g->ref = ref;
	g->st = st;
	g->res = res;
	struct membuf m = { 0 };
	struct json j = { 0 };
	char url[512], mt[96];
	struct http_resp rs;
	int r = reg_open(g, e);
	if (r < 0)
		goto out;

	snprintf(url, sizeof(url), "%s/v2/", g->base);
	if ((r = reg_get(g, url, NULL, 0, &rs, NULL, NULL, e)) < 0)
		goto out;
	if (rs.status != 200) {
		r = rs.status == 404 ? err_set(e, EPROTO, "%s: not a registry (GET /v2/ answered 404)", ref->host)
				     : reg_status_error(g, "GET /v2/", &rs, e);
		goto out;
	}

	const char *first = ref->digest[0] ? ref->digest : ref->tag;
	char digest[DIGEST_LEN + 1];
	if ((r = fetch_manifest(g, first, ref->digest[0] ? ref->digest : NULL, -1, &m, &j, mt, sizeof(mt),
				digest, e)) < 0)
		goto out;
	if (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)) {
		char sub[DIGEST_LEN + 1];
		int64_t size;
		strcpy(res->index_digest, digest);
		if ((r = pick_platform(g, &j, m.what, sub, &size, e)) < 0)
			goto out;
		json_free(&j);
		if ((r = fetch_manifest(g, sub, sub, size, &m, &j, mt, sizeof(mt), digest, e)) < 0)
			goto out;
	}
	snprintf(res->media_type, sizeof(res->media_type), "%s", mt);
	strcpy(res->digest, digest);
	if (strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST)) {
		if (strstr(mt, "manifest.v1"))
			r = err_set(e, ENOTSUP, "%s: Docker schema 1 manifests are not supported", m.what);
		else
			r = err_set(e, ENOTSUP, "%s: unsupported media type '%s'", m.what, mt[0] ? mt : "(none)");
		goto out;
	}
	struct manifest *man = malloc(sizeof(*man));
	if (!man) {
		r = err_set(e, ENOMEM, "out of memory");
		goto out;
	}
	if ((r = manifest_parse(m.p, m.len, man, e)) < 0) {
		free(man);
		goto out;
	}
	int64_t csize = -1;
	json_i64(&j, json_get(&j, json_get(&j, 0, "config"), "size"), &csize, NULL);
	r = fetch_blob(g, "config", man->config, csize, e);
	for (int i = 0; r == 0 && i < man->nlayers; i++)
		r = fetch_blob(g, "layer", man->layers[i].digest, man->layers[i].size, e);
	free(man);
	if (r < 0)
		goto out;
	if (!o->no_unpack && (r = store_rootfs_build(st, digest, e)) < 0)
		goto out;
	char name[600];
	ref_format(ref, name, sizeof(name));
	r = store_ref_set(st, name, digest, e);
out:
	res->handshakes = g->http.handshakes;
	res->requests = g->http.requests;
	res->suite = g->http.suite;
	json_free(&j);
	free(m.p);
	http_close_all(&g->http);
	tls_anchors_free(&g->anchors);
	free(g);
	return r;
}
