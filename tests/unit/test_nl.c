/* Netlink message building (exact bytes) and the parsing of crafted,
 * truncated and hostile replies. Every crafted reply is copied into a
 * buffer of exactly its size, so a sanitizer build catches any over-read. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "rtnl.h"
#include "t.h"

/* A little-endian byte writer for crafting replies. */
struct craft {
	unsigned char b[1024];
	size_t n;
};
static void c_u16(struct craft *c, uint16_t v) { memcpy(c->b + c->n, &v, 2); c->n += 2; }
static void c_u32(struct craft *c, uint32_t v) { memcpy(c->b + c->n, &v, 4); c->n += 4; }
static void c_bytes(struct craft *c, const void *p, size_t n) { memcpy(c->b + c->n, p, n); c->n += n; }
static void c_pad(struct craft *c) { while (c->n % 4) c->b[c->n++] = 0; }
static void c_hdr(struct craft *c, uint32_t len, uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid)
{
	c_u32(c, len); c_u16(c, type); c_u16(c, flags); c_u32(c, seq); c_u32(c, pid);
}
static void c_attr(struct craft *c, uint16_t len, uint16_t type, const void *p, size_t n)
{
	c_u16(c, len); c_u16(c, type); c_bytes(c, p, n); c_pad(c);
}
/* A heap copy of exactly n bytes (aligned by malloc). */
static void *exact(const struct craft *c)
{
	void *p = malloc(c->n ? c->n : 1);
	memcpy(p, c->b, c->n);
	return p;
}

TEST(newlink_with_nested_linkinfo_has_exact_bytes)
{
	static const unsigned char want[] = {
		56, 0, 0, 0,  16, 0,  0x05, 0x06,  0, 0, 0, 0,  0, 0, 0, 0,	/* nlmsghdr */
		0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,		/* ifinfomsg */
		8, 0, 3, 0,  'b', 'r', '0', 0,					/* IFLA_IFNAME */
		16, 0, 18, 0,							/* IFLA_LINKINFO */
		11, 0, 1, 0,  'b', 'r', 'i', 'd', 'g', 'e', 0, 0,		/*  IFLA_INFO_KIND */
	};
	struct nlmsg m;
	nlm_init(&m);
	nlm_begin(&m, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	nlm_put(&m, NULL, sizeof(struct ifinfomsg));
	nlm_attr_str(&m, IFLA_IFNAME, "br0");
	size_t nest = nlm_nest_begin(&m, IFLA_LINKINFO);
	nlm_attr_str(&m, IFLA_INFO_KIND, "bridge");
	nlm_nest_end(&m, nest);
	CHECK_INT(m.err, 0);
	CHECK_INT(m.len, sizeof(want));
	CHECK(m.len == sizeof(want) && !memcmp(m.buf, want, sizeof(want)));
	nlm_free(&m);
}

TEST(veth_peer_nest_lengths_add_up)
{
	struct nlmsg m;
	nlm_init(&m);
	nlm_begin(&m, RTM_NEWLINK, NLM_F_REQUEST);
	nlm_put(&m, NULL, sizeof(struct ifinfomsg));
	size_t info = nlm_nest_begin(&m, IFLA_LINKINFO);
	nlm_attr_str(&m, IFLA_INFO_KIND, "veth");
	size_t data = nlm_nest_begin(&m, IFLA_INFO_DATA);
	size_t peer = nlm_nest_begin(&m, 1 /* VETH_INFO_PEER */);
	nlm_put(&m, NULL, sizeof(struct ifinfomsg));
	nlm_attr_str(&m, IFLA_IFNAME, "eth0");
	nlm_attr_u32(&m, IFLA_NET_NS_FD, 7);
	nlm_nest_end(&m, peer);
	nlm_nest_end(&m, data);
	nlm_nest_end(&m, info);
	CHECK_INT(m.err, 0);

	const struct nlmsghdr *h = (void *)m.buf;
	CHECK_INT(h->nlmsg_len, m.len);
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1], *pd[4];
	CHECK_INT(nl_msg_attrs(h, sizeof(struct ifinfomsg), tb, IFLA_MAX), 0);
	CHECK(tb[IFLA_LINKINFO] != NULL);
	CHECK_INT(nl_attr_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX), 0);
	CHECK_STR(nl_attr_get_str(li[IFLA_INFO_KIND]), "veth");
	CHECK_INT(nl_attr_nested(li[IFLA_INFO_DATA], pd, 3), 0);
	CHECK(pd[1] != NULL);
	/* The peer nest holds an ifinfomsg, then attributes. */
	if (pd[1]) {
		const struct nlattr *ptb[IFLA_MAX + 1];
		CHECK(nl_attr_len(pd[1]) >= sizeof(struct ifinfomsg));
		CHECK_INT(nl_attr_parse((const char *)nl_attr_data(pd[1]) + sizeof(struct ifinfomsg),
					nl_attr_len(pd[1]) - sizeof(struct ifinfomsg), ptb, IFLA_MAX), 0);
		CHECK_STR(nl_attr_get_str(ptb[IFLA_IFNAME]), "eth0");
		uint32_t fd = 0;
		CHECK_INT(nl_attr_get_u32(ptb[IFLA_NET_NS_FD], &fd), 0);
		CHECK_INT(fd, 7);
	}
	nlm_free(&m);
}

TEST(batch_messages_keep_their_own_lengths)
{
	struct nlmsg m;
	nlm_init(&m);
	nlm_begin(&m, 0x10, NLM_F_REQUEST);
	nlm_put(&m, NULL, 4);
	nlm_begin(&m, 0x11, NLM_F_REQUEST | NLM_F_ACK);
	nlm_attr_u32(&m, 1, 42);
	nlm_begin(&m, 0x12, NLM_F_REQUEST);
	CHECK_INT(m.err, 0);
	CHECK_INT(m.count, 3);
	size_t off = 0;
	const struct nlmsghdr *h;
	int n = 0;
	uint32_t lens[3] = { 20, 24, 16 };
	while ((h = nl_msg_next(m.buf, m.len, &off))) {
		if (n < 3)
			CHECK_INT(h->nlmsg_len, lens[n]);
		n++;
	}
	CHECK_INT(n, 3);
	CHECK(!nl_msg_malformed(m.len, off));
	nlm_free(&m);
}

TEST(builder_errors_are_sticky)
{
	struct nlmsg m;
	nlm_init(&m);
	CHECK(nlm_put(&m, NULL, 4) == NULL);	/* no message begun */
	CHECK_INT(m.err, -EINVAL);
	nlm_free(&m);

	nlm_init(&m);
	nlm_begin(&m, 0x10, 0);
	static char big[70000];
	CHECK(nlm_attr(&m, 1, big, sizeof(big)) == NULL);
	CHECK_INT(m.err, -EMSGSIZE);
	CHECK(nlm_attr(&m, 1, "x", 1) == NULL);	/* stays failed */
	nlm_free(&m);

	/* A nest that outgrows 64 KiB cannot be closed. */
	nlm_init(&m);
	nlm_begin(&m, 0x10, 0);
	size_t nest = nlm_nest_begin(&m, 1);
	for (int i = 0; i < 20; i++)
		nlm_attr(&m, 2, big, 4000);
	nlm_nest_end(&m, nest);
	CHECK_INT(m.err, -EMSGSIZE);
	nlm_free(&m);
}

TEST(message_lengths_that_lie_are_rejected)
{
	struct craft c = { .n = 0 };
	const struct nlmsghdr *h;
	size_t off;

	/* Too big: claims more than the buffer holds. */
	c_hdr(&c, 64, RTM_NEWLINK, 0, 1, 0);
	void *p = exact(&c);
	off = 0;
	CHECK(nl_msg_next(p, c.n, &off) == NULL);
	CHECK(nl_msg_malformed(c.n, off));
	free(p);

	/* Too small: shorter than its own header. */
	c.n = 0;
	c_hdr(&c, 8, RTM_NEWLINK, 0, 1, 0);
	p = exact(&c);
	off = 0;
	CHECK(nl_msg_next(p, c.n, &off) == NULL);
	CHECK(nl_msg_malformed(c.n, off));
	free(p);

	/* Zero length would loop forever if trusted. */
	c.n = 0;
	c_hdr(&c, 0, RTM_NEWLINK, 0, 1, 0);
	p = exact(&c);
	off = 0;
	CHECK(nl_msg_next(p, c.n, &off) == NULL);
	free(p);

	/* A good message followed by 7 stray bytes. */
	c.n = 0;
	c_hdr(&c, 16, NLMSG_NOOP, 0, 1, 0);
	c_bytes(&c, "garbage", 7);
	p = exact(&c);
	off = 0;
	h = nl_msg_next(p, c.n, &off);
	CHECK(h != NULL);
	CHECK(nl_msg_next(p, c.n, &off) == NULL);
	CHECK(nl_msg_malformed(c.n, off));
	free(p);

	/* The last message's padding may be missing. */
	c.n = 0;
	c_hdr(&c, 18, RTM_NEWLINK, 0, 1, 0);
	c_bytes(&c, "ab", 2);
	p = exact(&c);
	off = 0;
	CHECK(nl_msg_next(p, c.n, &off) != NULL);
	CHECK(nl_msg_next(p, c.n, &off) == NULL);
	CHECK(!nl_msg_malformed(c.n, off));
	/* ...and then its family header does not fit. */
	off = 0;
	h = nl_msg_next(p, c.n, &off);
	CHECK(h && nl_msg_data(h, sizeof(struct ifinfomsg)) == NULL);
	free(p);
}

TEST(attribute_lengths_that_lie_are_rejected)
{
	struct craft c = { .n = 0 };
	const struct nlattr *tb[8];
	uint32_t v = 5;

	/* Too big. */
	c_attr(&c, 8, 1, &v, 4);
	c_u16(&c, 200); c_u16(&c, 2); c_u32(&c, 0);
	void *p = exact(&c);
	CHECK_INT(nl_attr_parse(p, c.n, tb, 7), -EINVAL);
	CHECK(tb[1] != NULL);	/* the good one before it is kept */
	CHECK(tb[2] == NULL);
	free(p);

	/* Too small (below its header). */
	c.n = 0;
	c_u16(&c, 2); c_u16(&c, 1); c_u32(&c, 0);
	p = exact(&c);
	CHECK_INT(nl_attr_parse(p, c.n, tb, 7), -EINVAL);
	CHECK(tb[1] == NULL);
	free(p);

	/* A nested attribute whose child overflows the parent but not the
	 * buffer: the child must be bounded by the parent. */
	c.n = 0;
	c_u16(&c, 12); c_u16(&c, 3 | NLA_F_NESTED);	/* parent: 8 bytes of payload */
	c_u16(&c, 16); c_u16(&c, 1); c_u32(&c, 0xdead);	/* child claims 16 */
	c_attr(&c, 8, 4, &v, 4);			/* sibling after the parent */
	p = exact(&c);
	CHECK_INT(nl_attr_parse(p, c.n, tb, 7), 0);
	CHECK(tb[3] != NULL && tb[4] != NULL);
	const struct nlattr *in[4];
	CHECK_INT(nl_attr_nested(tb[3], in, 3), -EINVAL);
	CHECK(in[1] == NULL);
	free(p);

	/* Types above max are skipped; flags are masked off. */
	c.n = 0;
	c_attr(&c, 8, 300, &v, 4);
	c_attr(&c, 8, 2 | NLA_F_NET_BYTEORDER, &v, 4);
	p = exact(&c);
	CHECK_INT(nl_attr_parse(p, c.n, tb, 7), 0);
	CHECK(tb[2] != NULL);
	free(p);

	CHECK_INT(nl_attr_nested(NULL, tb, 7), -EINVAL);
}

TEST(typed_reads_check_the_payload)
{
	struct craft c = { .n = 0 };
	const struct nlattr *tb[4];
	c_attr(&c, 6, 1, "ab", 2);	/* 2 bytes: not a u32 */
	c_attr(&c, 7, 2, "abc", 3);	/* no NUL: not a string */
	c_attr(&c, 4, 3, "", 0);	/* empty */
	void *p = exact(&c);
	CHECK_INT(nl_attr_parse(p, c.n, tb, 3), 0);
	uint32_t v;
	uint64_t w;
	uint16_t s;
	CHECK_INT(nl_attr_get_u32(tb[1], &v), -EINVAL);
	CHECK_INT(nl_attr_get_u16(tb[1], &s), 0);
	CHECK_INT(nl_attr_get_u64(tb[2], &w), -EINVAL);
	CHECK(nl_attr_get_str(tb[2]) == NULL);
	CHECK(nl_attr_get_str(tb[3]) == NULL);
	CHECK(nl_attr_get_str(NULL) == NULL);
	CHECK_INT(nl_attr_get_u32(NULL, &v), -EINVAL);
	free(p);
}

/* NLMSG_ERROR with a capped echo and an ext-ack message. */
static void craft_error(struct craft *c, int32_t code, uint16_t flags, const char *msg,
			uint32_t seq)
{
	size_t at = c->n;
	c_hdr(c, 0, NLMSG_ERROR, flags, seq, 0);
	c_u32(c, (uint32_t)code);
	c_hdr(c, 32, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, 0);	/* echoed header */
	if (msg)
		c_attr(c, (uint16_t)(4 + strlen(msg) + 1), NLMSGERR_ATTR_MSG, msg, strlen(msg) + 1);
	uint32_t len = (uint32_t)(c->n - at);
	memcpy(c->b + at, &len, 4);
}

TEST(error_with_ext_ack_is_decoded)
{
	struct craft c = { .n = 0 };
	craft_error(&c, -EEXIST, NLM_F_CAPPED | NLM_F_ACK_TLVS, "Unknown device type", 1);
	void *p = exact(&c);
	int code;
	char ext[64];
	uint32_t offs;
	CHECK_INT(nl_parse_error(p, &code, ext, sizeof(ext), &offs), 0);
	CHECK_INT(code, -EEXIST);
	CHECK_STR(ext, "Unknown device type");
	/* Truncated into a small buffer. */
	CHECK_INT(nl_parse_error(p, &code, ext, 8, &offs), 0);
	CHECK_STR(ext, "Unknown");
	free(p);

	/* Not capped: the echoed request sits between the header and TLVs. */
	c.n = 0;
	c_hdr(&c, 0, NLMSG_ERROR, NLM_F_ACK_TLVS, 1, 0);
	c_u32(&c, (uint32_t)-EINVAL);
	c_hdr(&c, 24, RTM_NEWLINK, 0, 1, 0);
	c_u32(&c, 0x11111111); c_u32(&c, 0x22222222);	/* echoed payload */
	c_attr(&c, 4 + 5, NLMSGERR_ATTR_MSG, "oops", 5);
	uint32_t offv = 20;
	c_attr(&c, 8, NLMSGERR_ATTR_OFFS, &offv, 4);
	uint32_t len = (uint32_t)c.n;
	memcpy(c.b, &len, 4);
	p = exact(&c);
	CHECK_INT(nl_parse_error(p, &code, ext, sizeof(ext), &offs), 0);
	CHECK_INT(code, -EINVAL);
	CHECK_STR(ext, "oops");
	CHECK_INT(offs, 20);
	free(p);
}

TEST(hostile_errors_never_over_read)
{
	struct craft c = { .n = 0 };
	int code;
	char ext[64];
	uint32_t offs;

	/* nlmsgerr truncated: only the error number. */
	c_hdr(&c, 20, NLMSG_ERROR, 0, 1, 0);
	c_u32(&c, (uint32_t)-EPERM);
	void *p = exact(&c);
	CHECK_INT(nl_parse_error(p, &code, ext, sizeof(ext), &offs), -EBADMSG);
	struct nl_reply r = { .seq_first = 1, .seq_last = 1, .pending = 1 };
	CHECK_INT(nl_reply_feed(&r, p, c.n), -EBADMSG);
	CHECK(r.error != 0);
	free(p);

	/* Not capped, echoed length huge: no TLVs are looked for. */
	c.n = 0;
	c_hdr(&c, 0, NLMSG_ERROR, NLM_F_ACK_TLVS, 1, 0);
	c_u32(&c, (uint32_t)-EPERM);
	c_hdr(&c, 0xffffffffu, RTM_NEWLINK, 0, 1, 0);
	c_attr(&c, 9, NLMSGERR_ATTR_MSG, "evil", 5);
	uint32_t len = (uint32_t)c.n;
	memcpy(c.b, &len, 4);
	p = exact(&c);
	CHECK_INT(nl_parse_error(p, &code, ext, sizeof(ext), &offs), 0);
	CHECK_INT(code, -EPERM);
	CHECK_STR(ext, "");
	free(p);

	/* Ext-ack string without NUL and with control bytes, ending the buffer. */
	c.n = 0;
	c_hdr(&c, 0, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 1, 0);
	c_u32(&c, (uint32_t)-EPERM);
	c_hdr(&c, 16, RTM_NEWLINK, 0, 1, 0);
	c_u16(&c, 4 + 4); c_u16(&c, NLMSGERR_ATTR_MSG); c_bytes(&c, "a\033b\n", 4);
	len = (uint32_t)c.n;
	memcpy(c.b, &len, 4);
	p = exact(&c);
	CHECK_INT(nl_parse_error(p, &code, ext, sizeof(ext), &offs), 0);
	CHECK_STR(ext, "a?b?");
	free(p);

	/* Ext-ack attribute claiming more than is there. */
	c.n = 0;
	c_hdr(&c, 0, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 1, 0);
	c_u32(&c, (uint32_t)-EPERM);
	c_hdr(&c, 16, RTM_NEWLINK, 0, 1, 0);
	c_u16(&c, 400); c_u16(&c, NLMSGERR_ATTR_MSG); c_bytes(&c, "abcd", 4);
	len = (uint32_t)c.n;
	memcpy(c.b, &len, 4);
	p = exact(&c);
	CHECK_INT(nl_parse_error(p, &code, ext, sizeof(ext), &offs), 0);
	CHECK_INT(code, -EPERM);
	CHECK_STR(ext, "");
	free(p);

	/* A positive or absurd error number still reads as a failure. */
	c.n = 0;
	craft_error(&c, 99999, NLM_F_CAPPED, NULL, 1);
	p = exact(&c);
	CHECK_INT(nl_parse_error(p, &code, ext, sizeof(ext), &offs), 0);
	CHECK(code < 0);
	free(p);
}

static int count_cb(const struct nlmsghdr *h, void *arg, struct err *e)
{
	(void)h; (void)e;
	(*(int *)arg)++;
	return 0;
}

TEST(reply_feed_follows_dumps_acks_and_errors)
{
	struct craft c = { .n = 0 };
	int n = 0;

	/* A dump: two messages then DONE. Stale and foreign ones ignored. */
	c_hdr(&c, 32, RTM_NEWLINK, NLM_F_MULTI, 5, 77); c_bytes(&c, "0123456789abcdef", 16);
	c_hdr(&c, 32, RTM_NEWLINK, NLM_F_MULTI, 4, 77); c_bytes(&c, "0123456789abcdef", 16);	/* stale */
	c_hdr(&c, 32, RTM_NEWLINK, NLM_F_MULTI, 5, 78); c_bytes(&c, "0123456789abcdef", 16);	/* foreign */
	c_hdr(&c, 32, RTM_NEWLINK, NLM_F_MULTI, 5, 77); c_bytes(&c, "0123456789abcdef", 16);
	void *p = exact(&c);
	struct nl_reply r = { .portid = 77, .seq_first = 5, .seq_last = 5, .pending = 1,
			      .cb = count_cb, .arg = &n };
	CHECK_INT(nl_reply_feed(&r, p, c.n), 0);
	CHECK_INT(n, 2);
	free(p);
	c.n = 0;
	c_hdr(&c, 20, NLMSG_DONE, NLM_F_MULTI, 5, 77); c_u32(&c, 0);
	p = exact(&c);
	CHECK_INT(nl_reply_feed(&r, p, c.n), 1);
	CHECK_INT(r.error, 0);
	free(p);

	/* A batch of three: ack, error with ext-ack, ack. The error wins. */
	c.n = 0;
	craft_error(&c, 0, NLM_F_CAPPED, NULL, 10);
	craft_error(&c, -ENOENT, NLM_F_CAPPED | NLM_F_ACK_TLVS, "No such table", 11);
	craft_error(&c, 0, NLM_F_CAPPED, NULL, 12);
	p = exact(&c);
	struct nl_reply b = { .seq_first = 10, .seq_last = 12, .pending = 3 };
	CHECK_INT(nl_reply_feed(&b, p, c.n), 1);
	CHECK_INT(b.error, -ENOENT);
	CHECK_INT(b.error_seq, 11);
	CHECK_STR(b.ext, "No such table");
	free(p);

	/* A dump that fails: DONE carries the error. */
	c.n = 0;
	c_hdr(&c, 20, NLMSG_DONE, NLM_F_MULTI, 3, 0); c_u32(&c, (uint32_t)-EINTR);
	p = exact(&c);
	struct nl_reply d = { .seq_first = 3, .seq_last = 3, .pending = 1 };
	CHECK_INT(nl_reply_feed(&d, p, c.n), 1);
	CHECK_INT(d.error, -EINTR);
	free(p);

	/* DONE without its status int is not read past its end. */
	c.n = 0;
	c_hdr(&c, 16, NLMSG_DONE, NLM_F_MULTI, 3, 0);
	p = exact(&c);
	struct nl_reply d2 = { .seq_first = 3, .seq_last = 3, .pending = 1 };
	CHECK_INT(nl_reply_feed(&d2, p, c.n), 1);
	CHECK_INT(d2.error, 0);
	free(p);
}

TEST(prefixes_parse_and_print)
{
	struct rtnl_prefix a;
	char buf[64];
	CHECK_INT(rtnl_parse_prefix("10.89.0.2/16", &a, true, false, NULL), 0);
	CHECK_INT(a.family, AF_INET);
	CHECK_INT(a.len, 16);
	CHECK_STR(rtnl_prefix_str(&a, buf, sizeof(buf)), "10.89.0.2/16");
	CHECK_INT(rtnl_parse_prefix("fd00::2/64", &a, true, false, NULL), 0);
	CHECK_INT(a.family, AF_INET6);
	CHECK_STR(rtnl_prefix_str(&a, buf, sizeof(buf)), "fd00::2/64");
	CHECK_INT(rtnl_parse_prefix("10.0.0.1", &a, false, false, NULL), 0);
	CHECK_INT(a.len, 32);
	CHECK_INT(rtnl_parse_prefix("default", &a, false, true, NULL), 0);
	CHECK_INT(a.len, 0);
	CHECK(rtnl_parse_prefix("default", &a, false, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("10.0.0.1", &a, true, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("10.0.0.1/33", &a, true, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("10.0.0.1/", &a, true, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("10.0.0.1/-1", &a, true, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("10.0.0.1/1x", &a, true, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("10.0.0/8", &a, true, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("fd00::1/129", &a, true, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("", &a, false, false, NULL) < 0);
	CHECK(rtnl_parse_prefix("/24", &a, false, false, NULL) < 0);
}

TEST(interface_names_are_checked)
{
	CHECK(rtnl_valid_ifname("eth0"));
	CHECK(rtnl_valid_ifname("cr-1a2b3c4d5e6f"));
	CHECK(rtnl_valid_ifname("abcdefghijklmno"));	/* 15 */
	CHECK(!rtnl_valid_ifname("abcdefghijklmnop"));	/* 16 */
	CHECK(!rtnl_valid_ifname(""));
	CHECK(!rtnl_valid_ifname("."));
	CHECK(!rtnl_valid_ifname(".."));
	CHECK(!rtnl_valid_ifname("a/b"));
	CHECK(!rtnl_valid_ifname("a:b"));
	CHECK(!rtnl_valid_ifname("a b"));
	CHECK(!rtnl_valid_ifname("a\nb"));
}

int main(void)
{
	RUN(newlink_with_nested_linkinfo_has_exact_bytes);
	RUN(veth_peer_nest_lengths_add_up);
	RUN(batch_messages_keep_their_own_lengths);
	RUN(builder_errors_are_sticky);
	RUN(message_lengths_that_lie_are_rejected);
	RUN(attribute_lengths_that_lie_are_rejected);
	RUN(typed_reads_check_the_payload);
	RUN(error_with_ext_ack_is_decoded);
	RUN(hostile_errors_never_over_read);
	RUN(reply_feed_follows_dumps_acks_and_errors);
	RUN(prefixes_parse_and_print);
	RUN(interface_names_are_checked);
	DONE();
}
