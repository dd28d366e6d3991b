/* libFuzzer target: DNS replies as a nameserver (or anyone able to send
 * UDP to the resolver) may shape them. The reply's own id is taken so that
 * the parser gets past it; addresses found must fit the array and carry
 * the family of the type asked for.
 * fuzz-sources: lib/resolve.c lib/util.c */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "reg.io", "a" };
	if (size < 2)
		return 0;
	uint16_t id = data[0] << 8 | data[1];
	for (int i = 0; i < 2; i++)
		for (int t = 0; t < 2; t++) {
			union resolve_sa o[3];
			int n = 0, qt = t ? 28 : 1;
			int r = dns_parse(data, size, id, names[i], qt, 443, o, &n, 3);
			if (r != 0 && r != -EPROTO && r != -ENOENT && r != -EAGAIN)
				abort();
			if (n < 0 || n > 3 || (r && n))
				abort();
			for (int k = 0; k < n; k++)
				if (o[k].sa.sa_family != (t ? AF_INET6 : AF_INET))
					abort();
		}
	return 0;
}
