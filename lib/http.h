/* HTTP/1.1 client for the registry: GET over TLS (or plain HTTP to the one
 * host the user allowed), keep-alive with one connection per host,
 * Content-Length, chunked and close-delimited bodies streamed to a callback,
 * redirects (301/302/303/307/308) to any host over a new connection with
 * its own SNI and without the Authorization header, Range, and timeouts on
 * connect and on every stall. */
#ifndef CORRAL_HTTP_H
#define CORRAL_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"
#include "tls.h"

#define HTTP_MAX_CONNS 4
#define HTTP_HOST_MAX 255

struct http_conn;

struct http_client {
	const struct tls_anchors *anchors;
	/* The certificate name expected from tls_name_host (host or
	 * host:port as in URLs); other hosts must carry their own name. */
	const char *tls_name_host, *tls_server_name;
	/* The one host:port that may be spoken to in plain HTTP. */
	const char *plain_host;
	int connect_timeout_ms;	/* default 10 s */
	int io_timeout_ms;	/* longest stall; default 30 s */
	int max_redirects;	/* default 5 */
	struct http_conn *conns[HTTP_MAX_CONNS];
	unsigned long handshakes, requests;	/* counters, for tests and -v */
	const char *suite;	/* of the last handshake */
};

struct http_req {
	const char *url;	/* http[s]://host[:port]/path[?query] */
	const char *accept;	/* Accept header or NULL */
	const char *auth;	/* Authorization header value or NULL */
	uint64_t range_from;	/* >0: Range: bytes=N- */
};

#define HTTP_HDR_MAX 1024
struct http_resp {
	int status;
	int64_t length;		/* Content-Length, -1 when absent */
	char content_type[128];
	char digest[80];	/* Docker-Content-Digest */
	char www_auth[HTTP_HDR_MAX];
	char content_range[96];
	char location[4096];	/* of the last redirect; internal */
	char url[4096];		/* where the response came from (after redirects) */
	char body[512];		/* start of the body of a non-2xx answer, NUL-terminated */
};

/* Called with each piece of a 2xx body; a negative return stops the
 * transfer and becomes http_get's result. */
typedef int (*http_body_fn)(void *arg, const void *buf, size_t n, struct err *e);

void http_init(struct http_client *c);
void http_close_all(struct http_client *c);

/* GET rq->url. Follows redirects. For a 2xx answer the body goes to fn (may
 * be NULL: discarded); any other answer's body is kept in rs->body (its
 * start) and rs->status says what it was: that is not an error here. */
int http_get(struct http_client *c, const struct http_req *rq, struct http_resp *rs,
	     http_body_fn fn, void *arg, struct err *e);

struct url {
	bool tls;
	char host[HTTP_HOST_MAX + 1];	/* without [] for IPv6 */
	unsigned port;
	char hostport[HTTP_HOST_MAX + 8];	/* as written in the Host header */
	const char *path;	/* into the parsed string: "/..." */
};
int url_parse(const char *s, struct url *u, struct err *e);

/* Parses one parameter of a WWW-Authenticate challenge ("Bearer
 * realm=\"...\",service=\"...\""): the scheme into scheme (lowercase) and
 * the value of key into val. -ENOENT when the key is missing. */
int http_auth_param(const char *hdr, char *scheme, size_t sn, const char *key,
		    char *val, size_t vn);

#endif
