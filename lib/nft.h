/* nftables over nfnetlink, without the nft binary: the NAT and forward
 * rules of corral networks.
 *
 * One table `corral` (family ip) with two base chains:
 *   postrouting  type nat hook postrouting priority 100
 *                ip saddr SUBNET oifname != BRIDGE masquerade
 *   forward      type filter hook forward priority 0
 *                iifname BRIDGE accept
 *                oifname BRIDGE ct state established,related accept
 * Every rule carries the comment (NFTA_RULE_USERDATA, as nft writes it)
 * "corral:NETWORK SUBNET BRIDGE", so adding what is there changes nothing
 * and deleting removes exactly that network's rules. Each change is one
 * nfnetlink batch: it applies whole or not at all. Changes are serialized
 * by a lock file under the state root, so two adds never race. */
#ifndef CORRAL_NFT_H
#define CORRAL_NFT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "ipam.h"
#include "nl.h"

#define NFT_TABLE "corral"
#define NFT_TAG_PREFIX "corral:"
#define NFT_COMMENT_MAX 128

struct nft_nat {
	const char *network;	/* valid_name(), at most 32 bytes */
	struct ipam_subnet subnet;
	const char *bridge;	/* interface name */
};

/* Adds the table, chains and the network's rules (and its forward accept
 * rules at the head of every drop-policy forward chain of the host); a
 * no-op when exactly these rules are there, a replacement in one batch
 * when the network has different ones (another subnet or bridge). nl: a
 * NETLINK_NETFILTER socket in the netns to change. *changed (may be
 * NULL): 0 for a no-op. */
int nft_nat_add(struct nl *nl, const char *root, const struct nft_nat *n, int *changed,
		struct err *e);
/* Removes the network's rules (any subnet and bridge, in any table), and
 * table corral when nothing else is left in it. *removed: how many rules
 * went. */
int nft_nat_del(struct nl *nl, const char *root, const char *network, int *removed,
		struct err *e);

/* A rule as the kernel reports it. */
struct nft_rule_info {
	uint8_t family;		/* NFPROTO_IPV4, NFPROTO_INET, ... */
	char table[32];
	char chain[32];
	uint64_t handle;
	char comment[NFT_COMMENT_MAX];	/* "" when the rule has none */
};
/* Every rule of every table (only table corral when corral_only). */
int nft_rules(struct nl *nl, int corral_only, struct nft_rule_info **out, size_t *count,
	      struct err *e);

/* A base chain at the forward hook whose policy drops: the host's
 * firewall (iptables-nft's FORWARD with policy DROP, for one). nftables
 * runs every base chain at a hook and an accept in ours does not end the
 * others, so the forward accept rules are put first in these too. */
struct nft_chain_info {
	uint8_t family;
	char table[32];
	char chain[32];
};
int nft_drop_forward_chains(struct nl *nl, struct nft_chain_info **out, size_t *count,
			    struct err *e);
/* Decodes a NEWCHAIN message; 1 when it is a forward base chain with
 * policy drop in family ip or inet, 0 when it is another chain, -EINVAL
 * when it is malformed. */
int nft_parse_drop_chain(const struct nlmsghdr *h, struct nft_chain_info *ci);

/* Building and parsing, pure (exposed for tests). */
/* "corral:NET SUBNET BRIDGE"; -EINVAL on a bad name, subnet or bridge. */
int nft_tag(const struct nft_nat *n, char *buf, size_t len);
/* Appends NFNL_MSG_BATCH_BEGIN / END (no ACK asked for). */
void nft_batch_begin(struct nlmsg *m);
void nft_batch_end(struct nlmsg *m);
/* NEWTABLE and both NEWCHAINs, each NLM_F_CREATE: exist afterwards. */
void nft_put_base(struct nlmsg *m);
/* The three NEWRULEs of a network, tagged. */
void nft_put_nat_rules(struct nlmsg *m, const struct nft_nat *n, const char *tag);
/* The two forward accept rules, put first in another table's chain. */
void nft_put_fwd_rules(struct nlmsg *m, const struct nft_chain_info *ci, const char *bridge,
		       const char *tag);
void nft_put_delrule(struct nlmsg *m, uint8_t family, const char *table, const char *chain,
		     uint64_t handle);
void nft_put_deltable(struct nlmsg *m);
/* Decodes a NEWRULE message; -EINVAL when it is malformed. */
int nft_parse_rule(const struct nlmsghdr *h, struct nft_rule_info *ri);
/* The comment in nft's userdata TLVs; -ENOENT when there is none. */
int nft_udata_comment(const void *data, size_t len, char *out, size_t n);

#endif
