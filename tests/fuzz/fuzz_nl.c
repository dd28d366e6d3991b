/* libFuzzer target: the netlink reply parser. The input is one received
 * buffer; it is fed to an exchange expecting a dump and acks, every data
 * message is walked as a rtnetlink link, and every error is decoded.
 * fuzz-sources: lib/nl.c lib/util.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "nl.h"

static int walk(const struct nlmsghdr *h, void *arg, struct err *e)
{
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1], *d[8];
	uint32_t v;
	(void)arg; (void)e;
	nl_msg_attrs(h, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	(void)nl_attr_get_str(tb[IFLA_IFNAME]);
	(void)nl_attr_get_u32(tb[IFLA_MTU], &v);
	if (tb[IFLA_LINKINFO] && nl_attr_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX) == 0) {
		(void)nl_attr_get_str(li[IFLA_INFO_KIND]);
		if (li[IFLA_INFO_DATA])
			nl_attr_nested(li[IFLA_INFO_DATA], d, 7);
	}
	/* Other family header sizes over the same bytes. */
	nl_msg_attrs(h, sizeof(struct ifaddrmsg), tb, IFLA_MAX);
	nl_msg_attrs(h, sizeof(struct rtmsg), tb, IFLA_MAX);
	return (h->nlmsg_type & 0xff) == 0x7f ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The kernel hands us 4-aligned buffers: so does this copy, of
	 * exactly size bytes so that any over-read is caught. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	struct err e = { 0 };
	struct nl_reply r = {
		.portid = 0, .seq_first = 1, .seq_last = 8, .pending = 4,
		.cb = walk, .cb_err = &e,
	};
	nl_reply_feed(&r, buf, size);

	const struct nlmsghdr *h;
	size_t off = 0;
	while ((h = nl_msg_next(buf, size, &off))) {
		int code;
		char ext[NL_EXT_MAX];
		uint32_t offs;
		if (h->nlmsg_type == NLMSG_ERROR)
			nl_parse_error(h, &code, ext, sizeof(ext), &offs);
	}
	/* The same bytes as a bare attribute stream. */
	const struct nlattr *tb[32];
	nl_attr_parse(buf, size, tb, 31);
	for (int i = 0; i < 32; i++)
		if (tb[i]) {
			const struct nlattr *in[32];
			nl_attr_nested(tb[i], in, 31);
			(void)nl_attr_get_str(tb[i]);
		}
	free(buf);
	return 0;
}
