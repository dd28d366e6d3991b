/* libFuzzer target: everything IPAM reads from files it does not trust:
 * lease files, /proc/PID/stat lines, addresses and subnets. A lease that
 * parses must format back to the same bytes.
 * fuzz-sources: lib/ipam.c lib/ipam_lease.c lib/rtnl.c lib/nl.c lib/util.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	struct ipam_owner o;
	if (ipam_parse_lease(s, size, &o) == 0) {
		char buf[512];
		int n = ipam_format_lease(&o, buf, sizeof(buf));
		/* either order of lines parses; ours writes sandbox first */
		if (n < 0 || (size_t)n != size)
			abort();
		struct ipam_owner p;
		if (ipam_parse_lease(buf, (size_t)n, &p) != 0 || p.kind != o.kind ||
		    p.pid != o.pid || p.start != o.start || strcmp(p.sandbox, o.sandbox))
			abort();
	}
	char st;
	uint64_t start;
	(void)ipam_parse_stat(s, &st, &start);

	uint32_t a;
	if (ipam_parse_addr(s, &a, NULL) == 0) {
		char back[16];
		ipam_fmt_addr(a, back);
		if (strcmp(back, s))
			abort();	/* strict: one spelling per address */
	}
	struct ipam_subnet sn;
	if (ipam_parse_cidr(s, &sn, NULL) == 0) {
		char back[20];
		ipam_fmt_cidr(&sn, back);
		if (strcmp(back, s))
			abort();
		uint32_t c = ipam_next(&sn, sn.net + 1, a);
		if (c && (!ipam_contains(&sn, c) || c == sn.net || c == ipam_broadcast(&sn)))
			abort();
	}
	free(s);
	return 0;
}
