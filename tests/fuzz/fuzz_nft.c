/* libFuzzer target: the nftables dump replies lib/nft.c decodes. The
 * input is one received buffer; every message in it is tried as a rule
 * and as a chain, and any userdata as nft's comment TLVs.
 * fuzz-sources: lib/nft.c lib/nl.c lib/ipam.c lib/ipam_lease.c lib/rtnl.c lib/util.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	const struct nlmsghdr *h;
	size_t off = 0;
	while ((h = nl_msg_next(buf, size, &off))) {
		struct nft_rule_info ri;
		struct nft_chain_info ci;
		if (nft_parse_rule(h, &ri) == 0 &&
		    (strlen(ri.chain) >= sizeof(ri.chain) || strlen(ri.table) >= sizeof(ri.table) ||
		     strlen(ri.comment) >= sizeof(ri.comment)))
			abort();
		if (nft_parse_drop_chain(h, &ci) == 1 && strlen(ci.chain) >= sizeof(ci.chain))
			abort();
	}
	char c[NFT_COMMENT_MAX];
	if (nft_udata_comment(buf, size, c, sizeof(c)) == 0 && strlen(c) >= sizeof(c))
		abort();
	free(buf);
	return 0;
}
