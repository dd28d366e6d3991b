/* lib/resolve.c: a small stub resolver (see resolve.h). Replies are parsed
 * without trusting any count or length in them. */
#include <errno.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"
#include "util.h"

#define T_A 1
#define T_CNAME 5
#define T_AAAA 28
#define NAME_MAX_LEN 254

static bool add(union resolve_sa *out, int *n, int max, int af, const void *a, unsigned port)
{
	if (*n >= max)
		return false;
	union resolve_sa *s = &out[(*n)++];
	memset(s, 0, sizeof(*s));
	s->sa.sa_family = af;
	if (af == AF_INET) {
		s->in.sin_port = htons(port);
		memcpy(&s->in.sin_addr, a, 4);
	} else {
		s->in6.sin6_port = htons(port);
		memcpy(&s->in6.sin6_addr, a, 16);
	}
	return true;
}

static int literal(const char *host, unsigned port, union resolve_sa *out, int *n, int max)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, host, a) == 1)
		return add(out, n, max, AF_INET, a, port);
	if (inet_pton(AF_INET6, host, a) == 1)
		return add(out, n, max, AF_INET6, a, port);
	return 0;
}

int dns_query(uint8_t *buf, size_t size, uint16_t id, const char *name, int qtype)
{
	size_t nl = strlen(name), p = 12;
	if (nl == 0 || nl > 253 || size < nl + 2 + 12 + 4)
		return -EINVAL;
	memset(buf, 0, 12);
	buf[0] = id >> 8;
	buf[1] = id;
	buf[2] = 1;	/* RD */
	buf[5] = 1;	/* QDCOUNT */
	for (const char *l = name;;) {
		const char *d = strchr(l, '.');
		size_t ll = d ? (size_t)(d - l) : strlen(l);
		if (ll == 0 || ll > 63)
			return -EINVAL;
		buf[p++] = ll;
		memcpy(buf + p, l, ll);
		p += ll;
		if (!d)
			break;
		l = d + 1;
	}
	buf[p++] = 0;
	buf[p++] = 0;
	buf[p++] = qtype;
	buf[p++] = 0;
	buf[p++] = 1;	/* IN */
	return p;
}

/* Reads the possibly compressed name at *off into out (dotted, lower case,
 * no trailing dot) and moves *off past it. */
static int get_name(const uint8_t *m, size_t len, size_t *off, char *out)
{
	size_t p = *off, o = 0;
	int jumps = 0;
	bool jumped = false;
	for (;;) {
		if (p >= len)
			return -1;
		uint8_t c = m[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > 32)
				return -1;
			if (!jumped)
				*off = p + 2;
			jumped = true;
			p = (size_t)(c & 0x3f) << 8 | m[p + 1];
			continue;
		}
		if (c & 0xc0)
			return -1;
		p++;
		if (c == 0)
			break;
		if (p + c > len || o + c + 1 >= NAME_MAX_LEN)
			return -1;
		if (o)
			out[o++] = '.';
		for (int i = 0; i < c; i++) {
			char ch = m[p + i];
			out[o++] = ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
		}
		p += c;
	}
	out[o] = 0;
	if (!jumped)
		*off = p;
	return 0;
}

int dns_parse(const uint8_t *m, size_t len, uint16_t id, const char *name, int qtype,
	      unsigned port, union resolve_sa *out, int *n, int max)
{
	char cur[NAME_MAX_LEN], rn[NAME_MAX_LEN], tn[NAME_MAX_LEN];
	if (len < 12 || (m[0] << 8 | m[1]) != id || !(m[2] & 0x80) || (m[2] & 0x78) ||
	    m[4] || m[5] != 1)
		return -EPROTO;
	size_t p = 12;
	if (get_name(m, len, &p, rn) < 0 || strcasecmp(rn, name) || p + 4 > len ||
	    (m[p] << 8 | m[p + 1]) != qtype || (m[p + 2] << 8 | m[p + 3]) != 1)
		return -EPROTO;
	p += 4;
	int rcode = m[3] & 15;
	if (rcode == 3)
		return -ENOENT;
	if (rcode)
		return -EAGAIN;
	size_t start = p;
	unsigned an = m[6] << 8 | m[7];
	snprintf(cur, sizeof(cur), "%s", rn);
	/* pass 0..8 follow the CNAME chain, the last collects the addresses */
	for (int pass = 0; pass <= 8; pass++) {
		bool moved = false;
		p = start;
		for (unsigned i = 0; i < an; i++) {
			if (get_name(m, len, &p, rn) < 0 || p + 10 > len)
				return -EPROTO;
			int type = m[p] << 8 | m[p + 1], cls = m[p + 2] << 8 | m[p + 3];
			size_t rdl = m[p + 8] << 8 | m[p + 9];
			p += 10;
			if (p + rdl > len)
				return -EPROTO;
			if (cls == 1 && !strcmp(rn, cur)) {
				if (type == T_CNAME && pass < 8 && !moved) {
					size_t q = p;
					if (get_name(m, len, &q, tn) < 0 || q > p + rdl)
						return -EPROTO;
					strcpy(cur, tn);
					moved = true;
				} else if (type == qtype && pass == 8 &&
					   rdl == (type == T_A ? 4u : 16u)) {
					add(out, n, max, type == T_A ? AF_INET : AF_INET6, m + p, port);
				}
			}
			p += rdl;
		}
		if (!moved && pass < 8)
			pass = 7;
	}
	return 0;
}

/* Whitespace-separated fields of a line of a small config file. */
static int fields(char *line, char **f, int max)
{
	int k = 0;
	char *h = strchr(line, '#'), *sp;
	if (h)
		*h = 0;
	for (char *t = strtok_r(line, " \t\r", &sp); t && k < max; t = strtok_r(NULL, " \t\r", &sp))
		f[k++] = t;
	return k;
}

static void hosts_lookup(const char *path, const char *host, unsigned port,
			 union resolve_sa *out, int *n, int max)
{
	char *buf, *f[16];
	size_t len;
	if (read_file(path, 1 << 20, &buf, &len, NULL) < 0)
		return;
	for (char *l = buf, *nl; l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		int k = fields(l, f, 16);
		for (int i = 1; i < k; i++)
			if (!strcasecmp(f[i], host)) {
				literal(f[0], port, out, n, max);
				break;
			}
	}
	free(buf);
}

static int ask(const union resolve_sa *ns, const char *host, unsigned port, int timeout_ms,
	       union resolve_sa *out, int *n, int max)
{
	static const int types[2] = { T_A, T_AAAA };
	uint8_t q[2][300], r[1500];
	uint16_t id[2];
	int ql[2];
	if (getrandom(id, sizeof(id), 0) != sizeof(id))
		return -EIO;
	int fd = socket(ns->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int ret = -ETIMEDOUT, got = 0, found[2] = { 0, 0 };
	union resolve_sa part[2][RESOLVE_MAX];
	if (connect(fd, &ns->sa, ns->sa.sa_family == AF_INET ? sizeof(ns->in) : sizeof(ns->in6)) < 0) {
		ret = -errno;
		goto out;
	}
	for (int t = 0; t < 2; t++) {
		ql[t] = dns_query(q[t], sizeof(q[t]), id[t], host, types[t]);
		if (ql[t] < 0 || send(fd, q[t], ql[t], 0) < 0) {
			ret = ql[t] < 0 ? -EINVAL : -errno;
			goto out;
		}
	}
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int done = 0;
	while (done != 3) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = timeout_ms - ((now.tv_sec - t0.tv_sec) * 1000 +
					  (now.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&pf, 1, left) <= 0)
			break;
		ssize_t rl = recv(fd, r, sizeof(r), 0);
		if (rl < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		for (int t = 0; t < 2; t++) {
			if (done & (1 << t))
				continue;
			int k = dns_parse(r, rl, id[t], host, types[t], port, part[t], &found[t],
					  RESOLVE_MAX);
			if (k == -EPROTO)
				continue;
			done |= 1 << t;
			if (k == -ENOENT)
				ret = -ENOENT;
			else if (k == -EAGAIN && ret != -ENOENT)
				ret = -EAGAIN;
			got = 1;
			break;
		}
	}
	for (int t = 0; t < 2; t++)
		for (int i = 0; i < found[t] && *n < max; i++)
			out[(*n)++] = part[t][i];
	if (*n)
		ret = 0;
	else if (got && done == 3 && ret == -ETIMEDOUT)
		ret = -ENOENT;	/* the name exists, with no address */
out:
	close(fd);
	return ret;
}

int resolve(const char *host, unsigned port, const struct resolve_conf *conf,
	    union resolve_sa *out, int max, struct err *e)
{
	static const struct resolve_conf def = { 0 };
	char name[NAME_MAX_LEN], *buf, *f[4];
	size_t len;
	int n = 0, nns = 0, ret = -ENOENT;
	union resolve_sa ns[3];
	if (!conf)
		conf = &def;
	if (literal(host, port, out, &n, max))
		return n;
	size_t hl = strlen(host);
	if (hl && host[hl - 1] == '.')
		hl--;
	if (hl == 0 || hl >= sizeof(name))
		return err_set(e, EINVAL, "%.200s: bad host name", host);
	memcpy(name, host, hl);
	name[hl] = 0;
	hosts_lookup(conf->hosts ? conf->hosts : "/etc/hosts", name, port, out, &n, max);
	if (n)
		return n;
	if (read_file(conf->resolv_conf ? conf->resolv_conf : "/etc/resolv.conf", 1 << 16,
		      &buf, &len, NULL) == 0) {
		for (char *l = buf, *nl; l && nns < 3; l = nl) {
			nl = strchr(l, '\n');
			if (nl)
				*nl++ = 0;
			if (fields(l, f, 4) >= 2 && !strcmp(f[0], "nameserver"))
				literal(f[1], 53, ns, &nns, 3);
		}
		free(buf);
	}
	(void)len;
	if (!nns)
		literal("127.0.0.1", 53, ns, &nns, 1);
	int to = conf->timeout_ms ? conf->timeout_ms : 2000;
	for (int try = 0; try < 2; try++)
		for (int i = 0; i < nns; i++) {
			ret = ask(&ns[i], name, port, to, out, &n, max);
			if (ret == 0)
				return n;
			if (ret == -ENOENT || ret == -EINVAL)
				goto fail;
		}
fail:
	if (ret == -ENOENT)
		return err_set(e, EHOSTUNREACH, "%s: cannot resolve: no such host", host);
	if (ret == -EINVAL)
		return err_set(e, EINVAL, "%.200s: bad host name", host);
	return err_sys(e, ret == -EAGAIN ? EHOSTUNREACH : -ret, "%s: cannot resolve", host);
}
