/* Host name to addresses: numeric IPv4/IPv6 literals, /etc/hosts, then DNS
 * A and AAAA queries over UDP to the nameservers of /etc/resolv.conf. */
#ifndef CORRAL_RESOLVE_H
#define CORRAL_RESOLVE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "err.h"

#define RESOLVE_MAX 8

union resolve_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct resolve_conf {
	const char *resolv_conf;	/* NULL: /etc/resolv.conf */
	const char *hosts;		/* NULL: /etc/hosts */
	int timeout_ms;			/* per try and server; 0: 2000 */
};

/* Fills out[0..n) with addresses of host carrying port (in the order of the
 * hosts file; from DNS, IPv4 first), returns
 * n >= 1 or -errno. conf may be NULL. */
int resolve(const char *host, unsigned port, const struct resolve_conf *conf,
	    union resolve_sa *out, int max, struct err *e);

/* DNS wire format, for the tests. Builds a query for name (no trailing dot)
 * into buf; returns its length or -EINVAL. */
int dns_query(uint8_t *buf, size_t size, uint16_t id, const char *name, int qtype);
/* Parses reply msg to a query (id, name, qtype): appends the addresses of
 * name, following CNAMEs within the answer, to out[*n..max). Returns 0,
 * -ENOENT for NXDOMAIN, -EPROTO for a reply that is not ours or is broken,
 * -EAGAIN for a server failure. */
int dns_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name, int qtype,
	      unsigned port, union resolve_sa *out, int *n, int max);

#endif
