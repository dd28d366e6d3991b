/* lib/nft.c without a kernel: the batch it builds (framing, expression
 * lists, the comment tag) and the parsing of crafted and hostile rule
 * messages. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include "t.h"
#include "nft.h"

#define NFT_TYPE(t) (NFNL_SUBSYS_NFTABLES << 8 | (t))

static struct nft_nat net16(void)
{
	struct nft_nat n = { .network = "corral0", .bridge = "corral0" };
	ipam_parse_cidr("10.89.0.0/16", &n.subnet, NULL);
	return n;
}

/* "payload cmp meta cmp masq": the names of a NEWRULE's expressions. */
static void expr_names(const struct nlmsghdr *h, char *out, size_t n)
{
	const struct nlattr *tb[NFTA_RULE_MAX + 1], *el[NFTA_LIST_MAX + 1];
	out[0] = 0;
	if (nl_msg_attrs(h, sizeof(struct nfgenmsg), tb, NFTA_RULE_MAX) < 0 ||
	    !tb[NFTA_RULE_EXPRESSIONS])
		return;
	const struct nlattr *list = tb[NFTA_RULE_EXPRESSIONS];
	const unsigned char *p = nl_attr_data(list);
	size_t len = nl_attr_len(list), off = 0;
	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const void *)(p + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			break;
		if (nl_attr_nested(a, el, NFTA_EXPR_MAX) == 0 && el[NFTA_EXPR_NAME]) {
			if (out[0])
				strncat(out, " ", n - strlen(out) - 1);
			strncat(out, nl_attr_get_str(el[NFTA_EXPR_NAME]), n - strlen(out) - 1);
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

TEST(batch_framing)
{
	struct nlmsg m;
	struct nft_nat n = net16();
	char tag[NFT_COMMENT_MAX];
	CHECK_INT(nft_tag(&n, tag, sizeof(tag)), 0);
	CHECK_STR(tag, "corral:corral0 10.89.0.0/16 corral0");
	nlm_init(&m);
	nft_batch_begin(&m);
	nft_put_base(&m);
	nft_put_nat_rules(&m, &n, tag);
	nft_put_delrule(&m, 2, "corral", "forward", 7);
	nft_batch_end(&m);
	CHECK_INT(m.err, 0);

	const struct nlmsghdr *h, *msgs[16];
	size_t off = 0;
	int count = 0;
	while ((h = nl_msg_next(m.buf, m.len, &off)) && count < 16)
		msgs[count++] = h;
	CHECK(!nl_msg_malformed(m.len, off));
	CHECK_INT(off, m.len);	/* the lengths add up to the whole buffer */
	CHECK_INT(count, 9);
	if (count != 9) {
		nlm_free(&m);
		return;
	}
	CHECK_INT(msgs[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	CHECK_INT(msgs[0]->nlmsg_len, NLMSG_HDRLEN + sizeof(struct nfgenmsg));
	const struct nfgenmsg *g = nl_msg_data(msgs[0], sizeof(*g));
	CHECK(g && ntohs(g->res_id) == NFNL_SUBSYS_NFTABLES);
	CHECK_INT(msgs[8]->nlmsg_type, NFNL_MSG_BATCH_END);
	CHECK_INT(msgs[1]->nlmsg_type, NFT_TYPE(NFT_MSG_NEWTABLE));
	CHECK_INT(msgs[2]->nlmsg_type, NFT_TYPE(NFT_MSG_NEWCHAIN));
	CHECK_INT(msgs[3]->nlmsg_type, NFT_TYPE(NFT_MSG_NEWCHAIN));
	for (int i = 4; i < 7; i++)
		CHECK_INT(msgs[i]->nlmsg_type, NFT_TYPE(NFT_MSG_NEWRULE));
	CHECK_INT(msgs[7]->nlmsg_type, NFT_TYPE(NFT_MSG_DELRULE));
	/* the kernel answers each change; begin and end ask for nothing */
	for (int i = 1; i < 8; i++)
		CHECK(msgs[i]->nlmsg_flags & NLM_F_ACK);
	CHECK(!(msgs[0]->nlmsg_flags & NLM_F_ACK));
	CHECK(!(msgs[8]->nlmsg_flags & NLM_F_ACK));

	char names[128];
	expr_names(msgs[4], names, sizeof(names));
	CHECK_STR(names, "payload cmp meta cmp masq");
	expr_names(msgs[5], names, sizeof(names));
	CHECK_STR(names, "meta cmp immediate");
	expr_names(msgs[6], names, sizeof(names));
	CHECK_STR(names, "meta cmp ct bitwise cmp immediate");

	/* every rule carries the tag, as nft's comment TLV */
	for (int i = 4; i < 7; i++) {
		const struct nlattr *tb[NFTA_RULE_MAX + 1];
		char c[NFT_COMMENT_MAX];
		CHECK_INT(nl_msg_attrs(msgs[i], sizeof(struct nfgenmsg), tb, NFTA_RULE_MAX), 0);
		CHECK(tb[NFTA_RULE_USERDATA] != NULL);
		if (tb[NFTA_RULE_USERDATA]) {
			CHECK_INT(nft_udata_comment(nl_attr_data(tb[NFTA_RULE_USERDATA]),
						    nl_attr_len(tb[NFTA_RULE_USERDATA]), c, sizeof(c)), 0);
			CHECK_STR(c, tag);
		}
	}
	nlm_free(&m);
}

TEST(unaligned_prefix_masks)
{
	struct nlmsg m;
	struct nft_nat n = net16();
	ipam_parse_cidr("10.90.0.0/20", &n.subnet, NULL);
	nlm_init(&m);
	nft_put_nat_rules(&m, &n, "corral:x");
	size_t off = 0;
	const struct nlmsghdr *h = nl_msg_next(m.buf, m.len, &off);
	char names[128];
	CHECK(h != NULL);
	if (h) {
		expr_names(h, names, sizeof(names));
		CHECK_STR(names, "payload bitwise cmp meta cmp masq");
	}
	nlm_free(&m);
}

TEST(tag_validation)
{
	char buf[NFT_COMMENT_MAX];
	struct nft_nat n = net16();
	n.network = "../x";
	CHECK_INT(nft_tag(&n, buf, sizeof(buf)), -EINVAL);
	n = net16();
	n.bridge = "0123456789abcdef";	/* 16 bytes: too long for an ifname */
	CHECK_INT(nft_tag(&n, buf, sizeof(buf)), -EINVAL);
	n = net16();
	n.subnet.net |= 1;	/* host bits */
	CHECK_INT(nft_tag(&n, buf, sizeof(buf)), -EINVAL);
	n = net16();
	CHECK_INT(nft_tag(&n, buf, 10), -ENAMETOOLONG);
}

/* A NEWRULE as the kernel sends it in a dump. */
static void put_rule_reply(struct nlmsg *m, const char *chain, uint64_t handle,
			   const void *ud, size_t udlen)
{
	struct nfgenmsg g = { .nfgen_family = 2, .version = NFNETLINK_V0 };
	nlm_begin(m, NFT_TYPE(NFT_MSG_NEWRULE), NLM_F_MULTI);
	nlm_put(m, &g, sizeof(g));
	nlm_attr_str(m, NFTA_RULE_TABLE, "corral");
	if (chain)
		nlm_attr_str(m, NFTA_RULE_CHAIN, chain);
	nlm_attr_be64(m, NFTA_RULE_HANDLE, handle);
	if (ud)
		nlm_attr(m, NFTA_RULE_USERDATA, ud, udlen);
}

TEST(parse_rule_reply)
{
	struct nlmsg m;
	struct nft_rule_info ri;
	const unsigned char ud[] = "\x00\x09" "corral:x";	/* with its NUL: 9 */
	nlm_init(&m);
	put_rule_reply(&m, "forward", 0x100000002ull, ud, 11);
	CHECK_INT(nft_parse_rule((const struct nlmsghdr *)m.buf, &ri), 0);
	CHECK_STR(ri.chain, "forward");
	CHECK_STR(ri.table, "corral");
	CHECK_INT(ri.family, 2);
	CHECK_INT(ri.handle, 0x100000002ull);
	CHECK_STR(ri.comment, "corral:x");

	/* other userdata TLVs before the comment are skipped */
	const unsigned char ud2[] = "\x05\x02zz\x00\x02y";	/* comment "y" */
	nlm_reset(&m);
	put_rule_reply(&m, "postrouting", 5, ud2, 8);
	CHECK_INT(nft_parse_rule((const struct nlmsghdr *)m.buf, &ri), 0);
	CHECK_STR(ri.comment, "y");

	/* no chain: malformed */
	nlm_reset(&m);
	put_rule_reply(&m, NULL, 5, NULL, 0);
	CHECK_INT(nft_parse_rule((const struct nlmsghdr *)m.buf, &ri), -EINVAL);
	nlm_free(&m);
}

TEST(parse_rule_hostile)
{
	struct nlmsg m;
	struct nft_rule_info ri;
	char c[NFT_COMMENT_MAX];
	nlm_init(&m);
	put_rule_reply(&m, "forward", 9, "\x00\x03" "ab", 4);	/* claims 3, has 2 */
	CHECK_INT(nft_parse_rule((const struct nlmsghdr *)m.buf, &ri), 0);
	CHECK_STR(ri.comment, "");	/* untrusted userdata is no tag */

	CHECK_INT(nft_udata_comment("\x00\x02" "a", 3, c, sizeof(c)), -EINVAL);
	CHECK_INT(nft_udata_comment("\x00\x02" "ab", 4, c, sizeof(c)), -EINVAL);	/* no NUL */
	CHECK_INT(nft_udata_comment("\x00\x03" "a\0b", 5, c, sizeof(c)), -EINVAL);	/* NUL inside */
	CHECK_INT(nft_udata_comment("\x01\x01" "a", 3, c, sizeof(c)), -ENOENT);
	CHECK_INT(nft_udata_comment("\x01", 1, c, sizeof(c)), -EINVAL);
	CHECK_INT(nft_udata_comment("\x00\x04" "abc", 6, c, 3), -EINVAL);	/* too long */

	/* every truncation of a good message is refused or parsed sanely */
	nlm_reset(&m);
	put_rule_reply(&m, "forward", 9, "\x00\x02" "a", 4);
	size_t full = m.len;
	for (size_t cut = NLMSG_HDRLEN; cut < full; cut++) {
		struct nlmsghdr *h = (struct nlmsghdr *)m.buf;
		h->nlmsg_len = (uint32_t)cut;
		int r = nft_parse_rule(h, &ri);
		CHECK(r == 0 || r == -EINVAL);
		if (r == 0)
			CHECK(strlen(ri.chain) < sizeof(ri.chain));
	}
	/* a wrong message type is not a rule */
	((struct nlmsghdr *)m.buf)->nlmsg_len = (uint32_t)full;
	((struct nlmsghdr *)m.buf)->nlmsg_type = NFT_TYPE(NFT_MSG_NEWCHAIN);
	CHECK_INT(nft_parse_rule((const struct nlmsghdr *)m.buf, &ri), -EINVAL);
	nlm_free(&m);
}

/* A NEWCHAIN as the kernel sends it in a dump. */
static void put_chain_reply(struct nlmsg *m, uint8_t family, const char *table, const char *name,
			    int hook, uint32_t policy)
{
	struct nfgenmsg g = { .nfgen_family = family, .version = NFNETLINK_V0 };
	nlm_begin(m, NFT_TYPE(NFT_MSG_NEWCHAIN), NLM_F_MULTI);
	nlm_put(m, &g, sizeof(g));
	nlm_attr_str(m, NFTA_CHAIN_TABLE, table);
	nlm_attr_str(m, NFTA_CHAIN_NAME, name);
	if (hook >= 0) {
		size_t h = nlm_nest_begin(m, NFTA_CHAIN_HOOK | NLA_F_NESTED);
		nlm_attr_be32(m, NFTA_HOOK_HOOKNUM, (uint32_t)hook);
		nlm_attr_be32(m, NFTA_HOOK_PRIORITY, 0);
		nlm_nest_end(m, h);
		nlm_attr_be32(m, NFTA_CHAIN_POLICY, policy);
	}
}

TEST(drop_forward_chains_found)
{
	struct nlmsg m;
	struct nft_chain_info ci;
	const struct nlmsghdr *h;
	nlm_init(&m);
	put_chain_reply(&m, 2, "filter", "FORWARD", 2 /* forward */, 0 /* drop */);
	h = (const void *)m.buf;
	CHECK_INT(nft_parse_drop_chain(h, &ci), 1);
	CHECK_STR(ci.table, "filter");
	CHECK_STR(ci.chain, "FORWARD");
	CHECK_INT(ci.family, 2);
	struct { uint8_t fam; const char *table; int hook; uint32_t pol; } other[] = {
		{ 2, "filter", 2, 1 },		/* accept policy */
		{ 2, "filter", 1, 0 },		/* input hook */
		{ 2, "filter", -1, 0 },		/* not a base chain */
		{ 10, "filter", 2, 0 },		/* ip6: not our traffic */
		{ 7, "filter", 2, 0 },		/* bridge family */
		{ 2, "corral", 2, 0 },		/* ours */
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		nlm_reset(&m);
		put_chain_reply(&m, other[i].fam, other[i].table, "c", other[i].hook, other[i].pol);
		CHECK_INT(nft_parse_drop_chain((const void *)m.buf, &ci), 0);
	}
	nlm_reset(&m);
	put_chain_reply(&m, 1 /* inet */, "firewall", "fwd", 2, 0);
	CHECK_INT(nft_parse_drop_chain((const void *)m.buf, &ci), 1);
	/* truncations never read past the message */
	size_t full = m.len;
	for (size_t cut = NLMSG_HDRLEN; cut < full; cut++) {
		((struct nlmsghdr *)m.buf)->nlmsg_len = (uint32_t)cut;
		int r = nft_parse_drop_chain((const void *)m.buf, &ci);
		CHECK(r == 0 || r == 1 || r == -EINVAL);
	}
	nlm_free(&m);
}

int main(void)
{
	RUN(batch_framing);
	RUN(unaligned_prefix_masks);
	RUN(tag_validation);
	RUN(parse_rule_reply);
	RUN(parse_rule_hostile);
	RUN(drop_forward_chains_found);
	DONE();
}
