#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "nft.h"
#include "rtnl.h"
#include "util.h"

#define CHAIN_NAT "postrouting"
#define CHAIN_FWD "forward"
#define NFT_IFNAMSIZ 16
#define UDATA_COMMENT 0		/* nft's NFTNL_UDATA_RULE_COMMENT TLV type */

/* ---- building ---- */

static void put_genmsg(struct nlmsg *m, uint8_t family, uint16_t res_id)
{
	struct nfgenmsg g = { .nfgen_family = family, .version = NFNETLINK_V0,
			      .res_id = htons(res_id) };
	nlm_put(m, &g, sizeof(g));
}

static void begin_msg_in(struct nlmsg *m, uint8_t family, int type, uint16_t flags)
{
	nlm_begin(m, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type), NLM_F_REQUEST | flags);
	put_genmsg(m, family, 0);
}

static void begin_msg(struct nlmsg *m, int type, uint16_t flags)
{
	begin_msg_in(m, NFPROTO_IPV4, type, flags);
}

void nft_batch_begin(struct nlmsg *m)
{
	nlm_begin(m, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST);
	put_genmsg(m, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
}

void nft_batch_end(struct nlmsg *m)
{
	nlm_begin(m, NFNL_MSG_BATCH_END, NLM_F_REQUEST);
	put_genmsg(m, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
}

static void put_chain(struct nlmsg *m, const char *name, const char *type, int hook, int prio)
{
	begin_msg(m, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK);
	nlm_attr_str(m, NFTA_CHAIN_TABLE, NFT_TABLE);
	nlm_attr_str(m, NFTA_CHAIN_NAME, name);
	size_t h = nlm_nest_begin(m, NFTA_CHAIN_HOOK | NLA_F_NESTED);
	nlm_attr_be32(m, NFTA_HOOK_HOOKNUM, (uint32_t)hook);
	nlm_attr_be32(m, NFTA_HOOK_PRIORITY, (uint32_t)prio);
	nlm_nest_end(m, h);
	nlm_attr_be32(m, NFTA_CHAIN_POLICY, NF_ACCEPT);
	nlm_attr_str(m, NFTA_CHAIN_TYPE, type);
}

void nft_put_base(struct nlmsg *m)
{
	begin_msg(m, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK);
	nlm_attr_str(m, NFTA_TABLE_NAME, NFT_TABLE);
	nlm_attr_be32(m, NFTA_TABLE_FLAGS, 0);
	put_chain(m, CHAIN_NAT, "nat", NF_INET_POST_ROUTING, 100 /* srcnat */);
	put_chain(m, CHAIN_FWD, "filter", NF_INET_FORWARD, 0 /* filter */);
}

/* One expression: LIST_ELEM { NAME, DATA { ... } }; returns DATA's nest. */
static size_t expr_begin(struct nlmsg *m, const char *name, size_t *elem)
{
	*elem = nlm_nest_begin(m, NFTA_LIST_ELEM | NLA_F_NESTED);
	nlm_attr_str(m, NFTA_EXPR_NAME, name);
	return nlm_nest_begin(m, NFTA_EXPR_DATA | NLA_F_NESTED);
}

static void expr_end(struct nlmsg *m, size_t data, size_t elem)
{
	nlm_nest_end(m, data);
	nlm_nest_end(m, elem);
}

static void put_data(struct nlmsg *m, uint16_t type, const void *v, size_t len)
{
	size_t d = nlm_nest_begin(m, type | NLA_F_NESTED);
	nlm_attr(m, NFTA_DATA_VALUE, v, len);
	nlm_nest_end(m, d);
}

static void expr_payload(struct nlmsg *m, uint32_t base, uint32_t off, uint32_t len)
{
	size_t el, d = expr_begin(m, "payload", &el);
	nlm_attr_be32(m, NFTA_PAYLOAD_DREG, NFT_REG_1);
	nlm_attr_be32(m, NFTA_PAYLOAD_BASE, base);
	nlm_attr_be32(m, NFTA_PAYLOAD_OFFSET, off);
	nlm_attr_be32(m, NFTA_PAYLOAD_LEN, len);
	expr_end(m, d, el);
}

static void expr_cmp(struct nlmsg *m, uint32_t op, const void *v, size_t len)
{
	size_t el, d = expr_begin(m, "cmp", &el);
	nlm_attr_be32(m, NFTA_CMP_SREG, NFT_REG_1);
	nlm_attr_be32(m, NFTA_CMP_OP, op);
	put_data(m, NFTA_CMP_DATA, v, len);
	expr_end(m, d, el);
}

static void expr_bitwise(struct nlmsg *m, const void *mask, const void *xor, size_t len)
{
	size_t el, d = expr_begin(m, "bitwise", &el);
	nlm_attr_be32(m, NFTA_BITWISE_SREG, NFT_REG_1);
	nlm_attr_be32(m, NFTA_BITWISE_DREG, NFT_REG_1);
	nlm_attr_be32(m, NFTA_BITWISE_LEN, (uint32_t)len);
	put_data(m, NFTA_BITWISE_MASK, mask, len);
	put_data(m, NFTA_BITWISE_XOR, xor, len);
	expr_end(m, d, el);
}

static void expr_meta(struct nlmsg *m, uint32_t key)
{
	size_t el, d = expr_begin(m, "meta", &el);
	nlm_attr_be32(m, NFTA_META_DREG, NFT_REG_1);
	nlm_attr_be32(m, NFTA_META_KEY, key);
	expr_end(m, d, el);
}

static void expr_ct(struct nlmsg *m, uint32_t key)
{
	size_t el, d = expr_begin(m, "ct", &el);
	nlm_attr_be32(m, NFTA_CT_DREG, NFT_REG_1);
	nlm_attr_be32(m, NFTA_CT_KEY, key);
	expr_end(m, d, el);
}

static void expr_accept(struct nlmsg *m)
{
	size_t el, d = expr_begin(m, "immediate", &el);
	nlm_attr_be32(m, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	size_t data = nlm_nest_begin(m, NFTA_IMMEDIATE_DATA | NLA_F_NESTED);
	size_t v = nlm_nest_begin(m, NFTA_DATA_VERDICT | NLA_F_NESTED);
	nlm_attr_be32(m, NFTA_VERDICT_CODE, NF_ACCEPT);
	nlm_nest_end(m, v);
	nlm_nest_end(m, data);
	expr_end(m, d, el);
}

static void expr_masq(struct nlmsg *m)
{
	size_t el = nlm_nest_begin(m, NFTA_LIST_ELEM | NLA_F_NESTED);
	nlm_attr_str(m, NFTA_EXPR_NAME, "masq");
	nlm_nest_end(m, el);
}

/* Matches the interface name exactly: IFNAMSIZ bytes, zero padded. */
static void match_ifname(struct nlmsg *m, uint32_t key, uint32_t op, const char *name)
{
	char buf[NFT_IFNAMSIZ] = { 0 };
	strncpy(buf, name, sizeof(buf) - 1);
	expr_meta(m, key);
	expr_cmp(m, op, buf, sizeof(buf));
}

/* ip saddr SUBNET, as nft writes it: a byte-aligned prefix compares its
 * bytes, any other loads the address and masks it. */
static void match_saddr(struct nlmsg *m, const struct ipam_subnet *sn)
{
	uint32_t net = htonl(sn->net);
	uint32_t mask = htonl(sn->prefix ? ~0u << (32 - sn->prefix) : 0);
	uint32_t bytes = sn->prefix % 8 ? 4 : sn->prefix / 8, zero = 0;
	expr_payload(m, NFT_PAYLOAD_NETWORK_HEADER, 12, bytes);
	if (sn->prefix % 8)
		expr_bitwise(m, &mask, &zero, bytes);
	expr_cmp(m, NFT_CMP_EQ, &net, bytes);
}

/* A NEWRULE at the end of the chain, or (prepend) at its head. */
static void rule_begin(struct nlmsg *m, uint8_t family, const char *table, const char *chain,
		       int prepend, size_t *exprs)
{
	begin_msg_in(m, family, NFT_MSG_NEWRULE,
		     NLM_F_CREATE | NLM_F_ACK | (prepend ? 0 : NLM_F_APPEND));
	nlm_attr_str(m, NFTA_RULE_TABLE, table);
	nlm_attr_str(m, NFTA_RULE_CHAIN, chain);
	*exprs = nlm_nest_begin(m, NFTA_RULE_EXPRESSIONS | NLA_F_NESTED);
}

static void rule_end(struct nlmsg *m, size_t exprs, const char *tag)
{
	unsigned char ud[2 + NFT_COMMENT_MAX];
	size_t n = strlen(tag) + 1;
	nlm_nest_end(m, exprs);
	if (n > NFT_COMMENT_MAX) {
		if (!m->err)
			m->err = -EINVAL;
		return;
	}
	ud[0] = UDATA_COMMENT;
	ud[1] = (unsigned char)n;
	memcpy(ud + 2, tag, n);
	nlm_attr(m, NFTA_RULE_USERDATA, ud, n + 2);
}

/* iifname BR accept; oifname BR ct state established,related accept */
static void put_fwd_pair(struct nlmsg *m, uint8_t family, const char *table, const char *chain,
			 int prepend, const char *bridge, const char *tag)
{
	size_t ex;
	uint32_t ctstate = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
	uint32_t zero = 0;

	rule_begin(m, family, table, chain, prepend, &ex);
	match_ifname(m, NFT_META_IIFNAME, NFT_CMP_EQ, bridge);
	expr_accept(m);
	rule_end(m, ex, tag);

	rule_begin(m, family, table, chain, prepend, &ex);
	match_ifname(m, NFT_META_OIFNAME, NFT_CMP_EQ, bridge);
	expr_ct(m, NFT_CT_STATE);
	expr_bitwise(m, &ctstate, &zero, sizeof(ctstate));
	expr_cmp(m, NFT_CMP_NEQ, &zero, sizeof(zero));
	expr_accept(m);
	rule_end(m, ex, tag);
}

void nft_put_nat_rules(struct nlmsg *m, const struct nft_nat *n, const char *tag)
{
	size_t ex;

	rule_begin(m, NFPROTO_IPV4, NFT_TABLE, CHAIN_NAT, 0, &ex);
	match_saddr(m, &n->subnet);
	match_ifname(m, NFT_META_OIFNAME, NFT_CMP_NEQ, n->bridge);
	expr_masq(m);
	rule_end(m, ex, tag);

	put_fwd_pair(m, NFPROTO_IPV4, NFT_TABLE, CHAIN_FWD, 0, n->bridge, tag);
}

void nft_put_fwd_rules(struct nlmsg *m, const struct nft_chain_info *ci, const char *bridge,
		       const char *tag)
{
	put_fwd_pair(m, ci->family, ci->table, ci->chain, 1, bridge, tag);
}

void nft_put_delrule(struct nlmsg *m, uint8_t family, const char *table, const char *chain,
		     uint64_t handle)
{
	begin_msg_in(m, family, NFT_MSG_DELRULE, NLM_F_ACK);
	nlm_attr_str(m, NFTA_RULE_TABLE, table);
	nlm_attr_str(m, NFTA_RULE_CHAIN, chain);
	nlm_attr_be64(m, NFTA_RULE_HANDLE, handle);
}

void nft_put_deltable(struct nlmsg *m)
{
	begin_msg(m, NFT_MSG_DELTABLE, NLM_F_ACK);
	nlm_attr_str(m, NFTA_TABLE_NAME, NFT_TABLE);
}

int nft_tag(const struct nft_nat *n, char *buf, size_t len)
{
	char cidr[20];
	if (!n->network || !valid_name(n->network, 32) || !n->bridge ||
	    !rtnl_valid_ifname(n->bridge) || n->subnet.prefix < IPAM_MIN_PREFIX ||
	    n->subnet.prefix > 32 || !ipam_contains(&n->subnet, n->subnet.net))
		return -EINVAL;
	ipam_fmt_cidr(&n->subnet, cidr);
	int k = snprintf(buf, len, NFT_TAG_PREFIX "%s %s %s", n->network, cidr, n->bridge);
	return k < 0 || (size_t)k >= len ? -ENAMETOOLONG : 0;
}

/* ---- parsing ---- */

int nft_udata_comment(const void *data, size_t len, char *out, size_t n)
{
	const unsigned char *p = data;
	size_t off = 0;
	while (off + 2 <= len) {
		size_t l = p[off + 1];
		if (off + 2 + l > len)
			return -EINVAL;
		if (p[off] == UDATA_COMMENT) {
			const unsigned char *s = p + off + 2;
			if (l == 0 || s[l - 1] != 0 || memchr(s, 0, l) != s + l - 1 || l > n)
				return -EINVAL;
			memcpy(out, s, l);
			return 0;
		}
		off += 2 + l;
	}
	return off == len ? -ENOENT : -EINVAL;
}

int nft_parse_rule(const struct nlmsghdr *h, struct nft_rule_info *ri)
{
	const struct nlattr *tb[NFTA_RULE_MAX + 1];
	memset(ri, 0, sizeof(*ri));
	if (h->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE))
		return -EINVAL;
	const struct nfgenmsg *g = nl_msg_data(h, sizeof(*g));
	if (!g || nl_msg_attrs(h, sizeof(struct nfgenmsg), tb, NFTA_RULE_MAX) < 0)
		return -EINVAL;
	ri->family = g->nfgen_family;
	const char *table = tb[NFTA_RULE_TABLE] ? nl_attr_get_str(tb[NFTA_RULE_TABLE]) : NULL;
	const char *chain = tb[NFTA_RULE_CHAIN] ? nl_attr_get_str(tb[NFTA_RULE_CHAIN]) : NULL;
	if (!table || !chain || strlen(table) >= sizeof(ri->table) ||
	    strlen(chain) >= sizeof(ri->chain))
		return -EINVAL;
	strcpy(ri->table, table);
	strcpy(ri->chain, chain);
	if (!tb[NFTA_RULE_HANDLE] || nl_attr_len(tb[NFTA_RULE_HANDLE]) != 8)
		return -EINVAL;
	uint64_t be;
	memcpy(&be, nl_attr_data(tb[NFTA_RULE_HANDLE]), 8);
	ri->handle = be64toh(be);
	if (tb[NFTA_RULE_USERDATA]) {
		int r = nft_udata_comment(nl_attr_data(tb[NFTA_RULE_USERDATA]),
					  nl_attr_len(tb[NFTA_RULE_USERDATA]), ri->comment,
					  sizeof(ri->comment));
		if (r == -EINVAL)
			ri->comment[0] = 0;	/* not ours: someone else's userdata */
	}
	return 0;
}

/* ---- talking ---- */

int nft_parse_drop_chain(const struct nlmsghdr *h, struct nft_chain_info *ci)
{
	const struct nlattr *tb[NFTA_CHAIN_MAX + 1], *hk[NFTA_HOOK_MAX + 1];
	uint32_t hooknum, policy;

	memset(ci, 0, sizeof(*ci));
	if (h->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN))
		return -EINVAL;
	const struct nfgenmsg *g = nl_msg_data(h, sizeof(*g));
	if (!g || nl_msg_attrs(h, sizeof(*g), tb, NFTA_CHAIN_MAX) < 0)
		return -EINVAL;
	const char *table = tb[NFTA_CHAIN_TABLE] ? nl_attr_get_str(tb[NFTA_CHAIN_TABLE]) : NULL;
	const char *chain = tb[NFTA_CHAIN_NAME] ? nl_attr_get_str(tb[NFTA_CHAIN_NAME]) : NULL;
	if (!table || !chain)
		return -EINVAL;
	if (g->nfgen_family != NFPROTO_IPV4 && g->nfgen_family != NFPROTO_INET)
		return 0;
	if (!tb[NFTA_CHAIN_HOOK] || !tb[NFTA_CHAIN_POLICY])
		return 0;	/* not a base chain */
	if (nl_attr_nested(tb[NFTA_CHAIN_HOOK], hk, NFTA_HOOK_MAX) < 0 ||
	    nl_attr_get_be32(hk[NFTA_HOOK_HOOKNUM], &hooknum) < 0 ||
	    nl_attr_get_be32(tb[NFTA_CHAIN_POLICY], &policy) < 0)
		return -EINVAL;
	if (hooknum != NF_INET_FORWARD || policy != NF_DROP)
		return 0;
	if (g->nfgen_family == NFPROTO_IPV4 && !strcmp(table, NFT_TABLE))
		return 0;	/* ours never drops */
	if (strlen(table) >= sizeof(ci->table) || strlen(chain) >= sizeof(ci->chain))
		return 0;	/* longer than we can name back: leave it */
	ci->family = g->nfgen_family;
	strcpy(ci->table, table);
	strcpy(ci->chain, chain);
	return 1;
}

struct acc {
	void *v;
	size_t n, cap, size;
	int corral_only;
};

static void *acc_add(struct acc *a)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void *v = realloc(a->v, cap * a->size);
		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	return (char *)a->v + a->size * a->n++;
}

static int rules_cb(const struct nlmsghdr *h, void *arg, struct err *e)
{
	struct acc *a = arg;
	struct nft_rule_info ri, *p;

	if (nft_parse_rule(h, &ri) < 0)
		return err_set(e, EBADMSG, "nft: malformed rule in dump");
	if (a->corral_only && (ri.family != NFPROTO_IPV4 || strcmp(ri.table, NFT_TABLE)))
		return 0;	/* older kernels ignore the table filter */
	if (!(p = acc_add(a)))
		return err_set(e, ENOMEM, "nft: out of memory");
	*p = ri;
	return 0;
}

int nft_rules(struct nl *nl, int corral_only, struct nft_rule_info **out, size_t *count,
	      struct err *e)
{
	struct nlmsg m;
	struct acc a = { .size = sizeof(struct nft_rule_info), .corral_only = corral_only };
	struct err le = { 0 };

	*out = NULL;
	*count = 0;
	nlm_init(&m);
	begin_msg_in(&m, corral_only ? NFPROTO_IPV4 : NFPROTO_UNSPEC, NFT_MSG_GETRULE, NLM_F_DUMP);
	if (corral_only)
		nlm_attr_str(&m, NFTA_RULE_TABLE, NFT_TABLE);
	int r = nl_talk(nl, &m, rules_cb, &a, &le, "nft rules");
	nlm_free(&m);
	if (r == -ENOENT)
		r = 0;	/* no table: no rules */
	if (r < 0) {
		free(a.v);
		if (e)
			*e = le;
		return r;
	}
	*out = a.v;
	*count = a.n;
	return 0;
}

static int chains_cb(const struct nlmsghdr *h, void *arg, struct err *e)
{
	struct acc *a = arg;
	struct nft_chain_info ci, *p;
	int r = nft_parse_drop_chain(h, &ci);

	if (r < 0)
		return err_set(e, EBADMSG, "nft: malformed chain in dump");
	if (r == 0)
		return 0;
	if (!(p = acc_add(a)))
		return err_set(e, ENOMEM, "nft: out of memory");
	*p = ci;
	return 0;
}

int nft_drop_forward_chains(struct nl *nl, struct nft_chain_info **out, size_t *count,
			    struct err *e)
{
	struct nlmsg m;
	struct acc a = { .size = sizeof(struct nft_chain_info) };

	*out = NULL;
	*count = 0;
	nlm_init(&m);
	begin_msg_in(&m, NFPROTO_UNSPEC, NFT_MSG_GETCHAIN, NLM_F_DUMP);
	int r = nl_talk(nl, &m, chains_cb, &a, e, "nft chains");
	nlm_free(&m);
	if (r < 0) {
		free(a.v);
		return r;
	}
	*out = a.v;
	*count = a.n;
	return 0;
}

/* Serializes corral's rule changes: read, decide, send as one step. */
static int nft_lock(const char *root, struct err *e)
{
	char path[PATH_MAX];
	root = state_root(root);
	if (root[0] != '/')
		return err_set(e, EINVAL, "state root '%s' is not an absolute path", root);
	if ((size_t)snprintf(path, sizeof(path), "%s", root) >= sizeof(path))
		return err_set(e, ENAMETOOLONG, "state root too long");
	for (char *p = path + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(path, 0711) < 0 && errno != EEXIST)
				return err_sys(e, errno, "mkdir %s", path);
			*p = c;
			if (!c)
				break;
		}
	}
	strncat(path, "/nft.lock", sizeof(path) - strlen(path) - 1);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(e, errno, "open %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = err_sys(e, errno, "flock %s", path);
			close(fd);
			return r;
		}
	}
	return fd;
}

static int tag_of_network(const char *comment, const char *network)
{
	size_t p = strlen(NFT_TAG_PREFIX), n = strlen(network);
	return !strncmp(comment, NFT_TAG_PREFIX, p) && !strncmp(comment + p, network, n) &&
	       comment[p + n] == ' ';
}

static int in_corral(const struct nft_rule_info *r)
{
	return r->family == NFPROTO_IPV4 && !strcmp(r->table, NFT_TABLE);
}

static int in_chain(const struct nft_rule_info *r, const struct nft_chain_info *c)
{
	return r->family == c->family && !strcmp(r->table, c->table) && !strcmp(r->chain, c->chain);
}

/* Are exactly the network's rules there: one masquerade, two forward
 * accepts in ours and two in each drop chain, all with tag? */
static int rules_complete(const struct nft_rule_info *rules, size_t count,
			  const struct nft_chain_info *drops, size_t ndrops, const char *network,
			  const char *tag)
{
	int nat = 0, fwd = 0;
	size_t placed = 0;

	for (size_t i = 0; i < count; i++) {
		const struct nft_rule_info *r = &rules[i];
		if (!tag_of_network(r->comment, network))
			continue;
		if (strcmp(r->comment, tag))
			return 0;	/* another subnet or bridge */
		if (in_corral(r) && !strcmp(r->chain, CHAIN_NAT))
			nat++;
		else if (in_corral(r) && !strcmp(r->chain, CHAIN_FWD))
			fwd++;
		else {
			size_t j = 0;
			while (j < ndrops && !in_chain(r, &drops[j]))
				j++;
			if (j == ndrops)
				return 0;	/* in a chain that no longer drops */
			placed++;
		}
	}
	if (nat != 1 || fwd != 2 || placed != 2 * ndrops)
		return 0;
	for (size_t j = 0; j < ndrops; j++) {
		int k = 0;
		for (size_t i = 0; i < count; i++)
			if (!strcmp(rules[i].comment, tag) && in_chain(&rules[i], &drops[j]))
				k++;
		if (k != 2)
			return 0;
	}
	return 1;
}

int nft_nat_add(struct nl *nl, const char *root, const struct nft_nat *n, int *changed,
		struct err *e)
{
	char tag[NFT_COMMENT_MAX], cidr[20];
	struct nft_rule_info *rules = NULL;
	struct nft_chain_info *drops = NULL;
	size_t count, ndrops;
	int r;

	if (changed)
		*changed = 0;
	if (nft_tag(n, tag, sizeof(tag)) < 0)
		return err_set(e, EINVAL, "nat: bad network '%s', subnet or bridge '%s'",
			       n->network ? n->network : "", n->bridge ? n->bridge : "");
	ipam_fmt_cidr(&n->subnet, cidr);
	int lock = nft_lock(root, e);
	if (lock < 0)
		return lock;
	if ((r = nft_rules(nl, 0, &rules, &count, e)) < 0 ||
	    (r = nft_drop_forward_chains(nl, &drops, &ndrops, e)) < 0)
		goto out;
	if (rules_complete(rules, count, drops, ndrops, n->network, tag))
		goto out;	/* already there */

	struct nlmsg m;
	nlm_init(&m);
	nft_batch_begin(&m);
	nft_put_base(&m);
	for (size_t i = 0; i < count; i++)	/* a partial or older set goes */
		if (tag_of_network(rules[i].comment, n->network))
			nft_put_delrule(&m, rules[i].family, rules[i].table, rules[i].chain,
					rules[i].handle);
	nft_put_nat_rules(&m, n, tag);
	for (size_t j = 0; j < ndrops; j++)
		nft_put_fwd_rules(&m, &drops[j], n->bridge, tag);
	nft_batch_end(&m);
	r = nl_talk(nl, &m, NULL, NULL, e, "nat %s bridge %s", cidr, n->bridge);
	nlm_free(&m);
	if (r == 0 && changed)
		*changed = 1;
out:
	free(rules);
	free(drops);
	close(lock);
	return r;
}

int nft_nat_del(struct nl *nl, const char *root, const char *network, int *removed,
		struct err *e)
{
	struct nft_rule_info *rules;
	size_t count, mine = 0, corral = 0, corral_mine = 0;
	int r;

	if (removed)
		*removed = 0;
	if (!network || !valid_name(network, 32))
		return err_set(e, EINVAL, "nat: bad network name '%s'", network ? network : "");
	int lock = nft_lock(root, e);
	if (lock < 0)
		return lock;
	if ((r = nft_rules(nl, 0, &rules, &count, e)) < 0)
		goto out;
	for (size_t i = 0; i < count; i++) {
		int m = tag_of_network(rules[i].comment, network);
		mine += m;
		if (in_corral(&rules[i])) {
			corral++;
			corral_mine += m;
		}
	}
	if (mine == 0) {
		free(rules);
		goto out;
	}
	/* table corral goes too when nothing but this network is in it */
	int drop_table = corral_mine == corral;
	struct nlmsg m;
	nlm_init(&m);
	nft_batch_begin(&m);
	if (drop_table)
		nft_put_deltable(&m);	/* takes its chains and rules with it */
	for (size_t i = 0; i < count; i++)
		if (tag_of_network(rules[i].comment, network) && !(drop_table && in_corral(&rules[i])))
			nft_put_delrule(&m, rules[i].family, rules[i].table, rules[i].chain,
					rules[i].handle);
	nft_batch_end(&m);
	free(rules);
	r = nl_talk(nl, &m, NULL, NULL, e, "nat network %s", network);
	nlm_free(&m);
	if (r == 0 && removed)
		*removed = (int)mine;
out:
	close(lock);
	return r;
}
