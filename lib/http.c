#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "http.h"
#include "resolve.h"
#include "util.h"

#define LINE_MAX_HTTP 8192
#define MAX_HEADERS 128

struct http_conn {
	bool tls;
	char host[HTTP_HOST_MAX + 1];
	unsigned port;
	int fd;			/* plain connections; TLS ones own theirs */
	struct tls *t;
	int timeout_ms;
	bool used;		/* served a request before: may have gone stale */
	size_t off, len;
	unsigned char buf[16384];
};

void http_init(struct http_client *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_timeout_ms = 10000;
	c->io_timeout_ms = 30000;
	c->max_redirects = 5;
}

static void conn_free(struct http_conn *k)
{
	if (!k)
		return;
	if (k->t)
		tls_free(k->t);
	else if (k->fd >= 0)
		close(k->fd);
	free(k);
}

static void conn_drop(struct http_client *c, struct http_conn *k)
{
	for (int i = 0; i < HTTP_MAX_CONNS; i++)
		if (c->conns[i] == k)
			c->conns[i] = NULL;
	conn_free(k);
}

void http_close_all(struct http_client *c)
{
	for (int i = 0; i < HTTP_MAX_CONNS; i++) {
		conn_free(c->conns[i]);
		c->conns[i] = NULL;
	}
}

int url_parse(const char *s, struct url *u, struct err *e)
{
	memset(u, 0, sizeof(*u));
	const char *p;
	if (!strncmp(s, "https://", 8)) {
		u->tls = true;
		p = s + 8;
		u->port = 443;
	} else if (!strncmp(s, "http://", 7)) {
		p = s + 7;
		u->port = 80;
	} else {
		return err_set(e, EINVAL, "URL %.200s: not http:// or https://", s);
	}
	const char *end = p + strcspn(p, "/?#");
	const char *hend, *colon = NULL;
	if (*p == '[') {
		hend = memchr(p, ']', end - p);
		if (!hend)
			return err_set(e, EINVAL, "URL %.200s: bad IPv6 host", s);
		if (hend + 1 < end) {
			if (hend[1] != ':')
				return err_set(e, EINVAL, "URL %.200s: bad host", s);
			colon = hend + 1;
		}
		p++;
	} else {
		colon = memchr(p, ':', end - p);
		hend = colon ? colon : end;
	}
	size_t hl = hend - p;
	if (hl == 0 || hl > HTTP_HOST_MAX)
		return err_set(e, EINVAL, "URL %.200s: bad host", s);
	memcpy(u->host, p, hl);
	for (size_t i = 0; i < hl; i++) {
		unsigned char ch = u->host[i];
		if (!(isalnum(ch) || ch == '.' || ch == '-' || ch == '_' || ch == ':'))
			return err_set(e, EINVAL, "URL %.200s: bad host", s);
	}
	if (colon) {
		char port[8];
		size_t pl = end - colon - 1;
		uint64_t v;
		if (pl == 0 || pl >= sizeof(port))
			return err_set(e, EINVAL, "URL %.200s: bad port", s);
		memcpy(port, colon + 1, pl);
		port[pl] = 0;
		if (parse_u64(port, 1, 65535, &v, NULL) < 0)
			return err_set(e, EINVAL, "URL %.200s: bad port", s);
		u->port = v;
	}
	bool v6 = strchr(u->host, ':');
	bool defport = u->port == (u->tls ? 443u : 80u);
	if (defport)
		snprintf(u->hostport, sizeof(u->hostport), v6 ? "[%s]" : "%s", u->host);
	else
		snprintf(u->hostport, sizeof(u->hostport), v6 ? "[%s]:%u" : "%s:%u", u->host, u->port);
	u->path = *end == '/' ? end : NULL;
	if (!u->path && *end)
		return err_set(e, EINVAL, "URL %.200s: no path", s);
	if (!u->path)
		u->path = "/";
	for (const char *q = u->path; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return err_set(e, EINVAL, "URL %.200s: bad character in the path", s);
	return 0;
}

/* "host:port" with an explicit port, as the client's options name hosts. */
static bool host_is(const struct url *u, const char *hp)
{
	char buf[HTTP_HOST_MAX + 8];
	if (!hp)
		return false;
	snprintf(buf, sizeof(buf), "%s:%u", u->host, u->port);
	return !strcmp(buf, hp);
}

static int tcp_connect(struct http_client *c, const struct url *u, struct err *e)
{
	union resolve_sa ai[RESOLVE_MAX];
	int na = resolve(u->host, u->port, NULL, ai, RESOLVE_MAX, e);
	if (na < 0)
		return na;
	int fd = -1, last = ECONNREFUSED;
	for (union resolve_sa *a = ai; a < ai + na; a++) {
		fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, &a->sa, a->sa.sa_family == AF_INET ? sizeof(a->in) : sizeof(a->in6)) == 0)
			goto ok;
		if (errno == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int n;
			do
				n = poll(&p, 1, c->connect_timeout_ms);
			while (n < 0 && errno == EINTR);
			if (n == 0) {
				last = ETIMEDOUT;
			} else {
				int so = 0;
				socklen_t sl = sizeof(so);
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl);
				if (so == 0)
					goto ok;
				last = so;
			}
		} else {
			last = errno;
		}
		close(fd);
		fd = -1;
	}
	if (last == ETIMEDOUT)
		return err_set(e, ETIMEDOUT, "connect %s: timed out after %d ms", u->hostport,
			       c->connect_timeout_ms);
	return err_sys(e, last, "connect %s", u->hostport);
ok:
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int conn_open(struct http_client *c, const struct url *u, struct http_conn **out, struct err *e)
{
	for (int i = 0; i < HTTP_MAX_CONNS; i++) {
		struct http_conn *k = c->conns[i];
		if (k && k->tls == u->tls && k->port == u->port && !strcmp(k->host, u->host)) {
			*out = k;
			return 0;
		}
	}
	if (!u->tls && !host_is(u, c->plain_host))
		return err_set(e, EPERM, "%s: refusing plain HTTP (only the registry named with --insecure may use it)",
			       u->hostport);
	struct http_conn *k = calloc(1, sizeof(*k));
	if (!k)
		return err_set(e, ENOMEM, "%s: out of memory", u->hostport);
	k->tls = u->tls;
	k->port = u->port;
	k->timeout_ms = c->io_timeout_ms;
	strcpy(k->host, u->host);
	int fd = tcp_connect(c, u, e);
	if (fd < 0) {
		free(k);
		return fd;
	}
	k->fd = fd;
	if (u->tls) {
		const char *name = u->host;
		if (c->tls_server_name && host_is(u, c->tls_name_host))
			name = c->tls_server_name;
		unsigned char ip[16];
		bool is_ip = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
		if (!c->anchors) {
			close(fd);
			free(k);
			return err_set(e, EINVAL, "%s: no trust anchors for TLS", u->hostport);
		}
		int r = tls_open(&k->t, fd, c->anchors, is_ip ? NULL : name, name, c->io_timeout_ms, e);
		if (r < 0) {
			free(k);
			return r;
		}
		c->handshakes++;
		c->suite = tls_suite_name(k->t);
	}
	/* One connection per host: the oldest goes when the table is full. */
	int slot = -1;
	for (int i = 0; i < HTTP_MAX_CONNS && slot < 0; i++)
		if (!c->conns[i])
			slot = i;
	if (slot < 0) {
		conn_free(c->conns[0]);
		memmove(c->conns, c->conns + 1, (HTTP_MAX_CONNS - 1) * sizeof(c->conns[0]));
		slot = HTTP_MAX_CONNS - 1;
	}
	c->conns[slot] = k;
	*out = k;
	return 0;
}

/* ---- raw I/O on a connection ---- */

static ssize_t conn_recv(struct http_conn *k, void *buf, size_t n, struct err *e)
{
	if (k->t)
		return tls_read(k->t, buf, n, e);
	struct pollfd p = { .fd = k->fd, .events = POLLIN };
	for (;;) {
		int r = poll(&p, 1, k->timeout_ms);
		if (r == 0)
			return err_set(e, ETIMEDOUT, "%s: timed out after %d ms without data", k->host, k->timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(e, errno, "%s: poll", k->host);
		ssize_t m = recv(k->fd, buf, n, MSG_DONTWAIT);
		if (m >= 0)
			return m;
		if (errno != EINTR && errno != EAGAIN)
			return err_sys(e, errno, "%s: read", k->host);
	}
}

static int conn_send(struct http_conn *k, const char *buf, size_t n, struct err *e)
{
	if (k->t)
		return tls_write_all(k->t, buf, n, e);
	while (n > 0) {
		struct pollfd p = { .fd = k->fd, .events = POLLOUT };
		int r = poll(&p, 1, k->timeout_ms);
		if (r == 0)
			return err_set(e, ETIMEDOUT, "%s: timed out writing", k->host);
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t m = send(k->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (m < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (m < 0)
			return err_sys(e, errno, "%s: write", k->host);
		buf += m;
		n -= m;
	}
	return 0;
}

/* Fills the buffer when empty: >0 bytes available, 0 at EOF, <0 error. */
static ssize_t conn_fill(struct http_conn *k, struct err *e)
{
	if (k->off < k->len)
		return k->len - k->off;
	k->off = k->len = 0;
	ssize_t n = conn_recv(k, k->buf, sizeof(k->buf), e);
	if (n > 0)
		k->len = n;
	return n;
}

/* One line without its CRLF; -EPROTO on EOF or an overlong line. */
static int read_line(struct http_conn *k, char *line, size_t max, size_t *got, struct err *e)
{
	size_t n = 0;
	for (;;) {
		ssize_t a = conn_fill(k, e);
		if (a < 0)
			return a;
		if (a == 0)
			return err_set(e, EPROTO, "%s: connection closed in the middle of the headers", k->host);
		unsigned char *s = k->buf + k->off;
		unsigned char *nl = memchr(s, '\n', a);
		size_t take = nl ? (size_t)(nl - s) + 1 : (size_t)a;
		if (n + take >= max)
			return err_set(e, EPROTO, "%s: header line too long", k->host);
		memcpy(line + n, s, take);
		n += take;
		k->off += take;
		if (nl)
			break;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	line[n] = 0;
	if (got)
		*got = n;
	return 0;
}

/* ---- bodies ---- */

struct sink {
	http_body_fn fn;
	void *arg;
	char *cap;		/* capture buffer for error bodies */
	size_t caplen, capmax;
	uint64_t total;
};

static int sink_put(struct sink *s, const void *buf, size_t n, struct err *e)
{
	s->total += n;
	if (s->fn)
		return s->fn(s->arg, buf, n, e);
	if (s->cap && s->caplen < s->capmax) {
		size_t m = s->capmax - s->caplen;
		if (m > n)
			m = n;
		memcpy(s->cap + s->caplen, buf, m);
		s->caplen += m;
		s->cap[s->caplen] = 0;
	}
	return 0;
}

/* Passes exactly n bytes (or until EOF when n is UINT64_MAX). */
static int body_copy(struct http_conn *k, uint64_t n, struct sink *s, struct err *e)
{
	bool to_eof = n == UINT64_MAX;
	uint64_t want = n;
	while (n > 0) {
		ssize_t a = conn_fill(k, e);
		if (a < 0)
			return a;
		if (a == 0) {
			if (to_eof)
				return 0;
			return err_set(e, EPROTO, "%s: body truncated: got %llu of %llu bytes", k->host,
				       (unsigned long long)(want - n), (unsigned long long)want);
		}
		size_t take = (uint64_t)a < n ? (size_t)a : (size_t)n;
		int r = sink_put(s, k->buf + k->off, take, e);
		k->off += take;
		if (!to_eof)
			n -= take;
		if (r < 0)
			return r;
	}
	return 0;
}

static int body_chunked(struct http_conn *k, struct sink *s, struct err *e)
{
	char line[LINE_MAX_HTTP];
	for (;;) {
		int r = read_line(k, line, sizeof(line), NULL, e);
		if (r < 0)
			return r == -EPROTO ? err_set(e, EPROTO, "%s: chunked body truncated", k->host) : r;
		char *end;
		errno = 0;
		unsigned long long n = strtoull(line, &end, 16);
		if (end == line || errno || (*end && *end != ';' && *end != ' ' && *end != '\t'))
			return err_set(e, EPROTO, "%s: bad chunk size '%.40s'", k->host, line);
		if (n == 0)
			break;
		if ((r = body_copy(k, n, s, e)) < 0)
			return r;
		if ((r = read_line(k, line, sizeof(line), NULL, e)) < 0)
			return r;
		if (line[0])
			return err_set(e, EPROTO, "%s: chunk not followed by CRLF", k->host);
	}
	for (;;) {		/* trailers */
		size_t got;
		int r = read_line(k, line, sizeof(line), &got, e);
		if (r < 0)
			return r;
		if (got == 0)
			return 0;
	}
}

/* ---- one exchange ---- */

static void hdr_copy(char *dst, size_t n, const char *v)
{
	snprintf(dst, n, "%s", v);
}

struct head {
	bool chunked, close, http10;
};

static int read_head(struct http_conn *k, struct http_resp *rs, struct head *h, bool *nothing, struct err *e)
{
	char line[LINE_MAX_HTTP];
	int nh = 0;
	*nothing = false;
	for (;;) {
		/* A stale keep-alive connection shows as EOF before any byte. */
		if (k->off >= k->len) {
			ssize_t a = conn_fill(k, e);
			if (a <= 0) {
				*nothing = true;
				return a < 0 ? a : err_set(e, ECONNRESET, "%s: connection closed before the answer", k->host);
			}
		}
		int r = read_line(k, line, sizeof(line), NULL, e);
		if (r < 0)
			return r;
		/* "HTTP/1.1 200 OK" */
		int minor = line[7] - '0', status = 0;
		bool ok = !strncmp(line, "HTTP/1.", 7) && minor >= 0 && minor <= 9 && line[8] == ' ';
		for (int i = 9; ok && i < 12; i++) {
			ok = line[i] >= '0' && line[i] <= '9';
			status = status * 10 + line[i] - '0';
		}
		if (!ok || status < 100 || status > 599 || (line[12] && line[12] != ' '))
			return err_set(e, EPROTO, "%s: not an HTTP answer: '%.60s'", k->host, line);
		rs->status = status;
		h->http10 = minor == 0;
		h->close = h->http10;
		h->chunked = false;
		rs->length = -1;
		rs->content_type[0] = rs->digest[0] = rs->www_auth[0] = 0;
		rs->content_range[0] = rs->location[0] = 0;
		for (;;) {
			size_t got;
			if ((r = read_line(k, line, sizeof(line), &got, e)) < 0)
				return r;
			if (got == 0)
				break;
			if (++nh > MAX_HEADERS)
				return err_set(e, EPROTO, "%s: too many headers", k->host);
			char *colon = strchr(line, ':');
			if (!colon)
				return err_set(e, EPROTO, "%s: bad header line '%.60s'", k->host, line);
			*colon = 0;
			char *v = colon + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t vl = strlen(v);
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				v[--vl] = 0;
			if (!strcasecmp(line, "content-length")) {
				uint64_t n;
				if (parse_u64(v, 0, INT64_MAX, &n, NULL) < 0 ||
				    (rs->length >= 0 && (uint64_t)rs->length != n))
					return err_set(e, EPROTO, "%s: bad Content-Length '%.40s'", k->host, v);
				rs->length = n;
			} else if (!strcasecmp(line, "transfer-encoding")) {
				if (strcasecmp(v, "chunked"))
					return err_set(e, EPROTO, "%s: unsupported Transfer-Encoding '%.40s'", k->host, v);
				h->chunked = true;
			} else if (!strcasecmp(line, "connection")) {
				if (!strcasecmp(v, "close"))
					h->close = true;
				else if (!strcasecmp(v, "keep-alive"))
					h->close = false;
			} else if (!strcasecmp(line, "content-type")) {
				hdr_copy(rs->content_type, sizeof(rs->content_type), v);
			} else if (!strcasecmp(line, "docker-content-digest")) {
				hdr_copy(rs->digest, sizeof(rs->digest), v);
			} else if (!strcasecmp(line, "www-authenticate")) {
				if (!rs->www_auth[0])
					hdr_copy(rs->www_auth, sizeof(rs->www_auth), v);
			} else if (!strcasecmp(line, "location")) {
				hdr_copy(rs->location, sizeof(rs->location), v);
			} else if (!strcasecmp(line, "content-range")) {
				hdr_copy(rs->content_range, sizeof(rs->content_range), v);
			}
		}
		if (status >= 200 || status == 101)
			return 0;
		/* 1xx: another head follows. */
	}
}

/* Sends the request and reads the head; on a stale reused connection,
 * retries once on a new one. */
static int exchange(struct http_client *c, const struct url *u, const struct http_req *rq,
		    const char *auth, struct http_resp *rs, struct head *h, struct http_conn **kout, struct err *e)
{
	char req[16384];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: corral\r\n",
			 u->path, u->hostport);
	if (rq->accept)
		n += snprintf(req + n, sizeof(req) - n, "Accept: %s\r\n", rq->accept);
	if (auth)
		n += snprintf(req + n, sizeof(req) - n, "Authorization: %s\r\n", auth);
	if (rq->range_from)
		n += snprintf(req + n, sizeof(req) - n, "Range: bytes=%llu-\r\n",
			      (unsigned long long)rq->range_from);
	n += snprintf(req + n, sizeof(req) - n, "\r\n");
	if ((size_t)n >= sizeof(req))
		return err_set(e, E2BIG, "%s: request too long", u->hostport);
	for (int attempt = 0;; attempt++) {
		struct http_conn *k = NULL;
		int r = conn_open(c, u, &k, e);
		if (r < 0)
			return r;
		bool reused = k->used;
		k->used = true;
		c->requests++;
		bool nothing = true;
		r = conn_send(k, req, n, e);
		if (r == 0)
			r = read_head(k, rs, h, &nothing, e);
		if (r == 0) {
			*kout = k;
			return 0;
		}
		conn_drop(c, k);
		if (!(reused && nothing && attempt == 0 && r != -ETIMEDOUT))
			return r;
	}
}

static bool is_redirect(int s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

int http_get(struct http_client *c, const struct http_req *rq, struct http_resp *rs,
	     http_body_fn fn, void *arg, struct err *e)
{
	char url[sizeof(rs->url)];
	const char *auth = rq->auth;
	if (strlen(rq->url) >= sizeof(url))
		return err_set(e, E2BIG, "URL too long");
	strcpy(url, rq->url);
	for (int hops = 0;; hops++) {
		struct url u;
		int r = url_parse(url, &u, e);
		if (r < 0)
			return r;
		struct http_conn *k = NULL;
		struct head h = { 0 };
		rs->body[0] = 0;
		if ((r = exchange(c, &u, rq, auth, rs, &h, &k, e)) < 0)
			return r;
		strcpy(rs->url, url);
		bool redirect = is_redirect(rs->status) && rs->location[0];
		bool ok = rs->status >= 200 && rs->status < 300;
		struct sink s = { .fn = ok ? fn : NULL, .arg = arg };
		if (!ok) {
			s.cap = rs->body;
			s.capmax = sizeof(rs->body) - 1;
		}
		if (rs->status == 204 || rs->status == 304)
			r = 0;
		else if (!ok && (h.chunked || rs->length < 0 || rs->length > 65536))
			h.close = true;	/* an error page of unknown or large size: not worth reading */
		else if (h.chunked)
			r = body_chunked(k, &s, e);
		else if (rs->length >= 0)
			r = body_copy(k, rs->length, &s, e);
		else {
			h.close = true;
			r = body_copy(k, UINT64_MAX, &s, e);
		}
		if (r < 0 || h.close)
			conn_drop(c, k);
		if (r < 0)
			return r;
		if (!redirect)
			return 0;
		if (hops >= c->max_redirects)
			return err_set(e, ELOOP, "%s: more than %d redirects", u.hostport, c->max_redirects);
		char next[sizeof(url)];
		if (rs->location[0] == '/' && rs->location[1] != '/') {
			if ((size_t)snprintf(next, sizeof(next), "%s://%s%s", u.tls ? "https" : "http",
					     u.hostport, rs->location) >= sizeof(next))
				return err_set(e, E2BIG, "%s: redirect target too long", u.hostport);
		} else if (!strncmp(rs->location, "https://", 8) || !strncmp(rs->location, "http://", 7)) {
			strcpy(next, rs->location);
		} else {
			return err_set(e, EPROTO, "%s: unsupported redirect to '%.100s'", u.hostport, rs->location);
		}
		struct url nu;
		if ((r = url_parse(next, &nu, e)) < 0)
			return r;
		if (u.tls && !nu.tls)
			return err_set(e, EPERM, "%s: refusing a redirect from HTTPS to plain HTTP (%s)",
				       u.hostport, nu.hostport);
		strcpy(url, next);
		/* Credentials are for the registry, never for where it sends us. */
		auth = NULL;
	}
}

int http_auth_param(const char *hdr, char *scheme, size_t sn, const char *key, char *val, size_t vn)
{
	const char *p = hdr;
	while (*p == ' ')
		p++;
	size_t i = 0;
	while (*p && *p != ' ' && *p != ',') {
		if (i + 1 < sn)
			scheme[i++] = tolower((unsigned char)*p);
		p++;
	}
	if (sn)
		scheme[i] = 0;
	size_t kl = strlen(key);
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		const char *k = p;
		while (*p && *p != '=' && *p != ',' && *p != ' ')
			p++;
		size_t klen = p - k;
		if (*p != '=')
			continue;
		p++;
		size_t j = 0;
		bool match = klen == kl && !strncasecmp(k, key, kl);
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				if (match && j + 1 < vn)
					val[j++] = *p;
				p++;
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',' && *p != ' ') {
				if (match && j + 1 < vn)
					val[j++] = *p;
				p++;
			}
		}
		if (match) {
			val[j] = 0;
			return 0;
		}
	}
	return -ENOENT;
}
