/* Netlink for any protocol (NETLINK_ROUTE, NETLINK_NETFILTER, ...): a
 * socket, a message builder with nested attributes, request/ACK and dump
 * exchanges with the kernel's error and extended-ack message decoded, and
 * a reply parser that checks every length field against the bytes it has.
 *
 * Building: a struct nlmsg holds one or more messages back to back (a
 * request, or an nfnetlink batch). nlm_begin starts a message; every put
 * after it grows that message. Errors while building are sticky (m->err)
 * and reported by nl_talk. Pointers returned by nlm_* stay valid only
 * until the next nlm_* call (the buffer may move); nests are offsets. */
#ifndef CORRAL_NL_H
#define CORRAL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include "err.h"

#define NL_RCVBUF (64u << 10)	/* one recv: the largest dump chunk fits */
#define NL_EXT_MAX 200		/* bytes kept of the kernel's ext-ack message */

struct nl_batch;

struct nl {
	int fd;
	int protocol;
	uint32_t portid;	/* our address, from getsockname */
	uint32_t seq;		/* last sequence number used */
	unsigned char *rbuf;	/* NL_RCVBUF bytes */
	struct nl_batch *batch;	/* requests held for one send (nl_batch_begin) */
};

/* Opens a netlink socket (SOCK_CLOEXEC) of protocol in the calling
 * thread's netns, with extended ack and capped acks enabled. */
int nl_open(struct nl *nl, int protocol, struct err *e);
/* Same, but the socket lives in the netns of netns_fd: it is created there
 * and the calling thread returns to its own netns before this returns. */
int nl_open_in(struct nl *nl, int protocol, int netns_fd, struct err *e);
void nl_close(struct nl *nl);

struct nlmsg {
	unsigned char *buf;
	size_t len, cap;
	size_t cur;		/* offset of the message being built */
	int err;		/* 0, or -ENOMEM / -EMSGSIZE / -EINVAL */
	int count;		/* messages begun */
};

void nlm_init(struct nlmsg *m);
void nlm_free(struct nlmsg *m);
/* Empties m for reuse, keeping its buffer. */
void nlm_reset(struct nlmsg *m);
/* Starts a message; seq and pid are filled by nl_talk. Returns its header. */
struct nlmsghdr *nlm_begin(struct nlmsg *m, uint16_t type, uint16_t flags);
/* Appends len bytes (zeroed when data is NULL), padded to 4: the family
 * header (ifinfomsg, ifaddrmsg, rtmsg, nfgenmsg...). Returns them or NULL. */
void *nlm_put(struct nlmsg *m, const void *data, size_t len);
/* Appends an attribute; returns its payload or NULL. */
void *nlm_attr(struct nlmsg *m, uint16_t type, const void *data, size_t len);
void nlm_attr_u8(struct nlmsg *m, uint16_t type, uint8_t v);
void nlm_attr_u16(struct nlmsg *m, uint16_t type, uint16_t v);
void nlm_attr_u32(struct nlmsg *m, uint16_t type, uint32_t v);
void nlm_attr_u64(struct nlmsg *m, uint16_t type, uint64_t v);
void nlm_attr_be16(struct nlmsg *m, uint16_t type, uint16_t host);
void nlm_attr_be32(struct nlmsg *m, uint16_t type, uint32_t host);
void nlm_attr_be64(struct nlmsg *m, uint16_t type, uint64_t host);
void nlm_attr_str(struct nlmsg *m, uint16_t type, const char *s);	/* with NUL */
/* Opens a nested attribute (NLA_F_NESTED is the caller's choice: pass
 * type | NLA_F_NESTED where the family wants it). Returns its offset. */
size_t nlm_nest_begin(struct nlmsg *m, uint16_t type);
void nlm_nest_end(struct nlmsg *m, size_t nest);

/* Called for each reply message that is not an ACK, error or DONE. A
 * negative return stops the exchange and becomes its result; the callback
 * fills e itself or leaves it to nl_talk. */
typedef int (*nl_cb)(const struct nlmsghdr *h, void *arg, struct err *e);

/* Sends every message in m (numbering them from nl->seq + 1) and reads
 * replies until each message that asked for an ACK (NLM_F_ACK) or a dump
 * (NLM_F_DUMP) is answered. The first kernel error wins; e then reads
 * "<what>: <strerror>" followed by " (<ext-ack message>)" when the kernel
 * sent one. what is printf-style: the object, e.g. "veth cr-1a2b".
 * Returns 0 or -errno. */
int nl_talk(struct nl *nl, struct nlmsg *m, nl_cb cb, void *arg,
	    struct err *e, const char *what, ...)
	__attribute__((format(printf, 6, 7)));

/* Between nl_batch_begin and nl_batch_end, nl_talk holds each request that
 * takes no callback (up to 8 messages) instead of sending it, and returns
 * 0; nl_batch_end sends them all in one sendto and reads their answers.
 * The kernel acts on every one; the first error wins and names its own
 * request, as nl_talk would have. A request with a callback, or one that
 * does not fit, first sends those held: the order is kept. Without memory
 * for the batch, requests go out one by one as usual. */
void nl_batch_begin(struct nl *nl);
int nl_batch_end(struct nl *nl, struct err *e);

/* ---- Parsing. Pure code: nothing here trusts a length field. ---- */

/* Iterates the messages in buf[0..len). *off starts at 0. Returns the next
 * whole message, or NULL at the end or at the first malformed header (then
 * *off is set to len + 1 so nl_msg_malformed can tell). */
const struct nlmsghdr *nl_msg_next(const void *buf, size_t len, size_t *off);
static inline bool nl_msg_malformed(size_t len, size_t off) { return off > len; }
/* The family header of h when h holds at least hdrlen bytes of it. */
const void *nl_msg_data(const struct nlmsghdr *h, size_t hdrlen);
/* The attributes after a family header of hdrlen bytes. */
int nl_msg_attrs(const struct nlmsghdr *h, size_t hdrlen,
		 const struct nlattr **tb, int max);

/* Fills tb[0..max] (zeroed first) with the attributes in data[0..len),
 * indexed by type without the NLA_F_* flags; types above max are skipped,
 * the last of duplicates wins. Returns 0, or -EINVAL when an attribute
 * header lies about its length (tb then holds the ones before it). */
int nl_attr_parse(const void *data, size_t len, const struct nlattr **tb, int max);
/* Parses the payload of a nested attribute. */
int nl_attr_nested(const struct nlattr *a, const struct nlattr **tb, int max);
static inline const void *nl_attr_data(const struct nlattr *a) { return (const char *)a + NLA_HDRLEN; }
static inline size_t nl_attr_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
/* Typed reads: -EINVAL unless a is present and its payload fits. */
int nl_attr_get_u8(const struct nlattr *a, uint8_t *v);
int nl_attr_get_u16(const struct nlattr *a, uint16_t *v);
int nl_attr_get_u32(const struct nlattr *a, uint32_t *v);
int nl_attr_get_u64(const struct nlattr *a, uint64_t *v);
int nl_attr_get_be32(const struct nlattr *a, uint32_t *host);
/* The payload as a C string: NULL unless it holds a NUL within its length. */
const char *nl_attr_get_str(const struct nlattr *a);

/* The state of one exchange, fed with received buffers. */
struct nl_reply {
	uint32_t portid;	/* replies for other ports are ignored (0: any) */
	uint32_t seq_first, seq_last;	/* the request's numbers */
	int pending;		/* answers still expected */
	int error;		/* first error: negative errno, 0 when none */
	uint32_t error_seq;	/* the message it answered */
	char ext[NL_EXT_MAX];	/* its ext-ack message, "" when none */
	uint32_t ext_offs;	/* NLMSGERR_ATTR_OFFS, 0 when none */
	nl_cb cb;
	void *arg;
	struct err *cb_err;
	int cb_ret;		/* a callback's negative return */
};
/* Processes one received buffer. Returns 1 when the exchange is complete,
 * 0 when more is expected, -EBADMSG when buf is malformed (r->error set). */
int nl_reply_feed(struct nl_reply *r, const void *buf, size_t len);
/* Decodes an NLMSG_ERROR message: *code is its negative errno (0 = ACK);
 * ext receives the ext-ack message (truncated to n-1, "" when none) and
 * *offs the offending attribute offset (0 when none). -EBADMSG when h is
 * too short to hold a struct nlmsgerr. */
int nl_parse_error(const struct nlmsghdr *h, int *code, char *ext, size_t n,
		   uint32_t *offs);

#endif
