#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "nl.h"
#include "util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* ---- socket ---- */

/* One spare receive buffer and one spare message buffer per thread: a
 * sandbox's network takes a few sockets and a dozen messages, and malloc
 * hands every freed block of these sizes back to the kernel (munmap, a
 * TLB flush each) only to map it again for the next one. Both spares
 * start as buffers in .bss, beside the binary: a mapping of their own
 * would cost more to touch first (see alloc.c). */
static unsigned char rbuf0[NL_RCVBUF] BIG_BSS(rbuf0), rbuf1[NL_RCVBUF] BIG_BSS(rbuf1);
static __thread unsigned char *spare_rbuf[2] = { rbuf0, rbuf1 };	/* a socket here and one in a netns */
static __thread unsigned char *spare_msg;
static __thread size_t spare_msg_cap;

int nl_open(struct nl *nl, int protocol, struct err *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	int one = 1, rcvbuf = 1 << 20;
	struct timeval tv = { .tv_sec = 10 };

	memset(nl, 0, sizeof(*nl));
	nl->fd = -1;
	nl->protocol = protocol;
	for (int i = 0; i < 2 && !nl->rbuf; i++) {
		nl->rbuf = spare_rbuf[i];
		spare_rbuf[i] = NULL;
	}
	if (!nl->rbuf)
		nl->rbuf = malloc(NL_RCVBUF);
	if (!nl->rbuf)
		return err_set(e, ENOMEM, "netlink: out of memory");
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (nl->fd < 0) {
		int r = err_sys(e, errno, "netlink socket (protocol %d)", protocol);
		nl_close(nl);
		return r;
	}
	/* Best effort: without them we still work, with plainer errors. */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* nftables batches answer with an ACK a message; rtnetlink requests
	 * here are one message, and its dumps are queued a buffer at a time */
	if (protocol == NETLINK_NETFILTER &&
	    setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* A kernel that never answers must not hang us forever. */
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &salen) < 0) {
		int r = err_sys(e, errno, "netlink bind");
		nl_close(nl);
		return r;
	}
	nl->portid = sa.nl_pid;
	/* Replies come to this socket alone, so any start will do; not the
	 * time, whose vDSO pages would fault in on first use. */
	nl->seq = 1;
	return 0;
}

int nl_open_in(struct nl *nl, int protocol, int netns_fd, struct err *e)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return err_sys(e, errno, "open /proc/thread-self/ns/net");
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		int r = err_sys(e, errno, "enter netns");
		close(self);
		return r;
	}
	int r = nl_open(nl, protocol, e);
	if (setns(self, CLONE_NEWNET) < 0) {
		int saved = errno;
		if (r == 0)
			nl_close(nl);
		r = err_sys(e, saved, "return to own netns");
	}
	close(self);
	return r;
}

#define NL_BATCH_MAX 8

struct nl_batch {
	struct nlmsg m;
	int n;
	char obj[NL_BATCH_MAX][160];	/* each request's name, for errors */
};

static void batch_free(struct nl *nl)
{
	if (nl->batch) {
		nlm_free(&nl->batch->m);
		free(nl->batch);
		nl->batch = NULL;
	}
}

void nl_close(struct nl *nl)
{
	batch_free(nl);
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	for (int i = 0; i < 2 && nl->rbuf; i++)
		if (!spare_rbuf[i]) {
			spare_rbuf[i] = nl->rbuf;
			nl->rbuf = NULL;
		}
	if (nl->rbuf != rbuf0 && nl->rbuf != rbuf1)	/* with no slot free, left unused */
		free(nl->rbuf);
	nl->rbuf = NULL;
}

/* ---- builder ---- */

void nlm_init(struct nlmsg *m)
{
	memset(m, 0, sizeof(*m));
}

void nlm_free(struct nlmsg *m)
{
	if (m->buf && (!spare_msg || m->cap > spare_msg_cap)) {
		free(spare_msg);
		spare_msg = m->buf;
		spare_msg_cap = m->cap;
	} else {
		free(m->buf);
	}
	nlm_init(m);
}

void nlm_reset(struct nlmsg *m)
{
	m->len = m->cur = 0;
	m->err = 0;
	m->count = 0;
}

/* Reserves n bytes (zeroed) at the end; NULL (sticky error) on failure. */
static void *grow(struct nlmsg *m, size_t n)
{
	if (m->err)
		return NULL;
	if (n > (64u << 20) || m->len + n > (64u << 20)) {
		m->err = -EMSGSIZE;
		return NULL;
	}
	if (!m->buf && spare_msg) {
		m->buf = spare_msg;
		m->cap = spare_msg_cap;
		spare_msg = NULL;
	}
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 512;
		while (cap < m->len + n)
			cap *= 2;
		unsigned char *b = realloc(m->buf, cap);
		if (!b) {
			m->err = -ENOMEM;
			return NULL;
		}
		m->buf = b;
		m->cap = cap;
	}
	void *p = m->buf + m->len;
	memset(p, 0, n);
	m->len += n;
	if (m->count)
		((struct nlmsghdr *)(m->buf + m->cur))->nlmsg_len = (uint32_t)(m->len - m->cur);
	return p;
}

struct nlmsghdr *nlm_begin(struct nlmsg *m, uint16_t type, uint16_t flags)
{
	size_t at = m->len;
	struct nlmsghdr *h = grow(m, NLMSG_HDRLEN);
	if (!h)
		return NULL;
	if (m->count)	/* grow counted the new header into the previous message */
		((struct nlmsghdr *)(m->buf + m->cur))->nlmsg_len = (uint32_t)(at - m->cur);
	m->cur = at;
	m->count++;
	h->nlmsg_len = NLMSG_HDRLEN;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	return h;
}

void *nlm_put(struct nlmsg *m, const void *data, size_t len)
{
	if (!m->count) {
		if (!m->err)
			m->err = -EINVAL;
		return NULL;
	}
	if (len > (64u << 20)) {
		if (!m->err)
			m->err = -EMSGSIZE;
		return NULL;
	}
	unsigned char *p = grow(m, NLMSG_ALIGN(len));
	if (p && data)
		memcpy(p, data, len);
	return p;
}

void *nlm_attr(struct nlmsg *m, uint16_t type, const void *data, size_t len)
{
	if (len > 0xffff - NLA_HDRLEN) {
		if (!m->err)
			m->err = -EMSGSIZE;
		return NULL;
	}
	struct nlattr *a = nlm_put(m, NULL, NLA_HDRLEN + len);
	if (!a)
		return NULL;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	a->nla_type = type;
	if (data)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	return (char *)a + NLA_HDRLEN;
}

void nlm_attr_u8(struct nlmsg *m, uint16_t type, uint8_t v) { nlm_attr(m, type, &v, 1); }
void nlm_attr_u16(struct nlmsg *m, uint16_t type, uint16_t v) { nlm_attr(m, type, &v, 2); }
void nlm_attr_u32(struct nlmsg *m, uint16_t type, uint32_t v) { nlm_attr(m, type, &v, 4); }
void nlm_attr_u64(struct nlmsg *m, uint16_t type, uint64_t v) { nlm_attr(m, type, &v, 8); }
void nlm_attr_be16(struct nlmsg *m, uint16_t type, uint16_t v)
{
	v = __builtin_bswap16(v);
	nlm_attr(m, type, &v, 2);
}
void nlm_attr_be32(struct nlmsg *m, uint16_t type, uint32_t v)
{
	v = __builtin_bswap32(v);
	nlm_attr(m, type, &v, 4);
}
void nlm_attr_be64(struct nlmsg *m, uint16_t type, uint64_t v)
{
	v = __builtin_bswap64(v);
	nlm_attr(m, type, &v, 8);
}
void nlm_attr_str(struct nlmsg *m, uint16_t type, const char *s)
{
	nlm_attr(m, type, s, strlen(s) + 1);
}

size_t nlm_nest_begin(struct nlmsg *m, uint16_t type)
{
	size_t at = m->len;
	if (!nlm_attr(m, type, NULL, 0))
		return (size_t)-1;
	return at;
}

void nlm_nest_end(struct nlmsg *m, size_t nest)
{
	if (m->err)
		return;
	if (nest == (size_t)-1 || nest < m->cur || nest + NLA_HDRLEN > m->len) {
		m->err = -EINVAL;
		return;
	}
	size_t n = m->len - nest;
	if (n > 0xffff) {
		m->err = -EMSGSIZE;
		return;
	}
	((struct nlattr *)(m->buf + nest))->nla_len = (uint16_t)n;
}

/* ---- parsing ---- */

const struct nlmsghdr *nl_msg_next(const void *buf, size_t len, size_t *off)
{
	if (*off >= len)
		return NULL;
	size_t left = len - *off;
	const struct nlmsghdr *h = (const void *)((const char *)buf + *off);
	if (left < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > left) {
		*off = len + 1;
		return NULL;
	}
	size_t step = NLMSG_ALIGN((size_t)h->nlmsg_len);
	*off = step >= left ? len : *off + step;
	return h;
}

const void *nl_msg_data(const struct nlmsghdr *h, size_t hdrlen)
{
	if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len - NLMSG_HDRLEN < hdrlen)
		return NULL;
	return (const char *)h + NLMSG_HDRLEN;
}

int nl_msg_attrs(const struct nlmsghdr *h, size_t hdrlen,
		 const struct nlattr **tb, int max)
{
	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	if (h->nlmsg_len < NLMSG_HDRLEN)
		return -EINVAL;
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
	if (plen < NLMSG_ALIGN(hdrlen))
		return plen < hdrlen ? -EINVAL : 0;
	return nl_attr_parse((const char *)h + NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen),
			     plen - NLMSG_ALIGN(hdrlen), tb, max);
}

int nl_attr_parse(const void *data, size_t len, const struct nlattr **tb, int max)
{
	size_t off = 0;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	while (len - off >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)((const char *)data + off);
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len - off)
			return -EINVAL;
		int type = a->nla_type & NLA_TYPE_MASK;
		if (type <= max)
			tb[type] = a;
		size_t step = NLA_ALIGN((size_t)a->nla_len);
		if (step >= len - off)
			break;
		off += step;
	}
	return 0;
}

int nl_attr_nested(const struct nlattr *a, const struct nlattr **tb, int max)
{
	if (!a) {
		memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
		return -EINVAL;
	}
	return nl_attr_parse(nl_attr_data(a), nl_attr_len(a), tb, max);
}

static int attr_get(const struct nlattr *a, void *v, size_t n)
{
	if (!a || nl_attr_len(a) < n)
		return -EINVAL;
	memcpy(v, nl_attr_data(a), n);
	return 0;
}

int nl_attr_get_u8(const struct nlattr *a, uint8_t *v) { return attr_get(a, v, 1); }
int nl_attr_get_u16(const struct nlattr *a, uint16_t *v) { return attr_get(a, v, 2); }
int nl_attr_get_u32(const struct nlattr *a, uint32_t *v) { return attr_get(a, v, 4); }
int nl_attr_get_u64(const struct nlattr *a, uint64_t *v) { return attr_get(a, v, 8); }
int nl_attr_get_be32(const struct nlattr *a, uint32_t *v)
{
	int r = attr_get(a, v, 4);
	if (r == 0)
		*v = __builtin_bswap32(*v);
	return r;
}

const char *nl_attr_get_str(const struct nlattr *a)
{
	if (!a || nl_attr_len(a) == 0 || !memchr(nl_attr_data(a), 0, nl_attr_len(a)))
		return NULL;
	return nl_attr_data(a);
}

int nl_parse_error(const struct nlmsghdr *h, int *code, char *ext, size_t n,
		   uint32_t *offs)
{
	if (ext && n)
		ext[0] = 0;
	if (offs)
		*offs = 0;
	const struct nlmsgerr *me = nl_msg_data(h, sizeof(struct nlmsgerr));
	if (!me)
		return -EBADMSG;
	*code = me->error > 0 ? -me->error : me->error;
	if (*code < -4095)
		*code = -EPROTO;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;

	/* The TLVs follow the echoed request unless the ack was capped. */
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
	size_t at = sizeof(struct nlmsgerr);
	if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
		if (me->msg.nlmsg_len < NLMSG_HDRLEN)
			return 0;
		at += (size_t)me->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	at = NLMSG_ALIGN(at);
	if (at >= plen)
		return 0;

	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	nl_attr_parse((const char *)me + at, plen - at, tb, NLMSGERR_ATTR_MAX);
	const struct nlattr *m = tb[NLMSGERR_ATTR_MSG];
	if (m && ext && n) {
		size_t len = strnlen(nl_attr_data(m), nl_attr_len(m));
		if (len >= n)
			len = n - 1;
		for (size_t i = 0; i < len; i++) {
			unsigned char c = ((const unsigned char *)nl_attr_data(m))[i];
			ext[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		}
		ext[len] = 0;
	}
	if (offs)
		(void)nl_attr_get_u32(tb[NLMSGERR_ATTR_OFFS], offs);
	return 0;
}

static void reply_error(struct nl_reply *r, int code, uint32_t seq, const char *ext, uint32_t offs)
{
	if (r->error)
		return;
	r->error = code;
	r->error_seq = seq;
	r->ext_offs = offs;
	snprintf(r->ext, sizeof(r->ext), "%s", ext ? ext : "");
}

int nl_reply_feed(struct nl_reply *r, const void *buf, size_t len)
{
	const struct nlmsghdr *h;
	size_t off = 0;
	char ext[NL_EXT_MAX];

	while ((h = nl_msg_next(buf, len, &off))) {
		if (r->portid && h->nlmsg_pid != r->portid)
			continue;
		if (h->nlmsg_seq < r->seq_first || h->nlmsg_seq > r->seq_last)
			continue;
		switch (h->nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_ERROR: {
			int code;
			uint32_t offs;
			if (nl_parse_error(h, &code, ext, sizeof(ext), &offs) < 0) {
				reply_error(r, -EBADMSG, h->nlmsg_seq, "truncated error message", 0);
				return -EBADMSG;
			}
			if (code)
				reply_error(r, code, h->nlmsg_seq, ext, offs);
			r->pending--;
			break;
		}
		case NLMSG_DONE: {
			const int32_t *st = nl_msg_data(h, sizeof(int32_t));
			if (st && *st < 0)
				reply_error(r, *st < -4095 ? -EPROTO : *st, h->nlmsg_seq, NULL, 0);
			r->pending--;
			break;
		}
		case NLMSG_OVERRUN:
			reply_error(r, -EOVERFLOW, h->nlmsg_seq, NULL, 0);
			break;
		default:
			if (h->nlmsg_type < NLMSG_MIN_TYPE)
				break;
			if (r->cb && !r->cb_ret && !r->error) {
				int c = r->cb(h, r->arg, r->cb_err);
				if (c < 0)
					r->cb_ret = c;
			}
			break;
		}
	}
	if (nl_msg_malformed(len, off)) {
		reply_error(r, -EBADMSG, 0, "malformed reply", 0);
		return -EBADMSG;
	}
	return r->pending <= 0;
}

/* ---- exchange ---- */

/* Holds m's messages in the batch; 0, or 1 when they do not fit. */
static int batch_add(struct nl_batch *b, const struct nlmsg *m, const char *obj)
{
	const struct nlmsghdr *h;
	size_t off = 0;
	if (b->n + m->count > NL_BATCH_MAX)
		return 1;
	while ((h = nl_msg_next(m->buf, m->len, &off))) {
		nlm_begin(&b->m, h->nlmsg_type, h->nlmsg_flags);
		nlm_put(&b->m, (const char *)h + NLMSG_HDRLEN, h->nlmsg_len - NLMSG_HDRLEN);
		snprintf(b->obj[b->n++], sizeof(b->obj[0]), "%s", obj);
	}
	return 0;
}

static int exchange(struct nl *nl, struct nlmsg *m, nl_cb cb, void *arg, struct err *e,
		    const char *obj, const struct nl_batch *b);
static int batch_flush(struct nl *nl, struct err *e);

int nl_talk(struct nl *nl, struct nlmsg *m, nl_cb cb, void *arg,
	    struct err *e, const char *what, ...)
{
	char obj[160];
	va_list ap;
	va_start(ap, what);
	vsnprintf(obj, sizeof(obj), what, ap);
	va_end(ap);

	if (m->err)
		return err_sys(e, -m->err, "%s: building request", obj);
	if (!m->count)
		return err_set(e, EINVAL, "%s: empty request", obj);
	if (nl->batch) {
		if (!cb && batch_add(nl->batch, m, obj) == 0)
			return 0;
		/* a request that will not wait (a callback, or no room) goes
		 * after those held, never ahead of them */
		int r = batch_flush(nl, e);
		if (r < 0)
			return r;
		if (!cb && batch_add(nl->batch, m, obj) == 0)
			return 0;
	}
	return exchange(nl, m, cb, arg, e, obj, NULL);
}

/* Sends what the batch holds and empties it. */
static int batch_flush(struct nl *nl, struct err *e)
{
	struct nl_batch *b = nl->batch;
	int r = 0;
	if (b->m.err)
		r = err_sys(e, -b->m.err, "%s: building request", b->obj[0]);
	else if (b->n)
		r = exchange(nl, &b->m, NULL, NULL, e, b->obj[0], b);
	nlm_reset(&b->m);
	b->n = 0;
	return r;
}

void nl_batch_begin(struct nl *nl)
{
	batch_free(nl);
	nl->batch = calloc(1, sizeof(*nl->batch));
	if (nl->batch)
		nlm_init(&nl->batch->m);
}

int nl_batch_end(struct nl *nl, struct err *e)
{
	if (!nl->batch)
		return 0;
	int r = batch_flush(nl, e);
	batch_free(nl);
	return r;
}

/* Sends m and reads the answers; errors name obj, or with a batch b the
 * request the kernel refused. */
static int exchange(struct nl *nl, struct nlmsg *m, nl_cb cb, void *arg, struct err *e,
		    const char *obj, const struct nl_batch *b)
{
	struct err cbe = { 0 };
	struct nl_reply r = {
		.portid = nl->portid, .cb = cb, .arg = arg, .cb_err = &cbe,
	};
	const struct nlmsghdr *h;
	size_t off = 0;
	if (nl->seq > 0xf0000000u)	/* keep seq_first..seq_last from wrapping */
		nl->seq = 0;
	r.seq_first = nl->seq + 1;
	while ((h = nl_msg_next(m->buf, m->len, &off))) {
		struct nlmsghdr *w = (struct nlmsghdr *)h;
		w->nlmsg_seq = ++nl->seq;
		w->nlmsg_pid = 0;
		if ((w->nlmsg_flags & NLM_F_ACK) || (w->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP)
			r.pending++;
	}
	r.seq_last = nl->seq;

	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	for (;;) {
		ssize_t n = sendto(nl->fd, m->buf, m->len, 0, (struct sockaddr *)&sa, sizeof(sa));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, errno, "%s: netlink send", obj);
		if ((size_t)n != m->len)
			return err_set(e, EIO, "%s: netlink send: short write", obj);
		break;
	}

	while (r.pending > 0) {
		ssize_t n = recv(nl->fd, nl->rbuf, NL_RCVBUF, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return err_set(e, ETIMEDOUT, "%s: no answer from the kernel", obj);
		if (n < 0)
			return err_sys(e, errno, "%s: netlink receive", obj);
		if ((size_t)n > NL_RCVBUF)
			return err_set(e, EMSGSIZE, "%s: netlink reply larger than %u bytes", obj, NL_RCVBUF);
		if (nl_reply_feed(&r, nl->rbuf, (size_t)n) < 0)
			break;
	}

	if (r.error) {
		if (b && r.error_seq >= r.seq_first && r.error_seq - r.seq_first < (uint32_t)b->n)
			obj = b->obj[r.error_seq - r.seq_first];
		int code = err_sys(e, -r.error, "%s", obj);
		if (e && r.ext[0]) {
			size_t l = strlen(e->msg);
			snprintf(e->msg + l, sizeof(e->msg) - l, " (%s)", r.ext);
		}
		return code;
	}
	if (r.cb_ret) {
		if (cbe.code) {
			if (e)
				*e = cbe;
			return -cbe.code;
		}
		return err_sys(e, -r.cb_ret, "%s", obj);
	}
	return 0;
}
