/* libFuzzer target: the tar header and PAX parser, driven as layer.c
 * drives it (headers, meta bodies, path cleaning), on arbitrary bytes.
 * fuzz-sources: lib/tar.c lib/util.c */
#include <stdlib.h>
#include <string.h>

#include "tar.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tar_pending pend;
	struct tar_entry ent;
	struct err e;
	size_t off = 0;

	memset(&pend, 0, sizeof(pend));
	while (size - off >= TAR_BLOCK) {
		const unsigned char *blk = data + off;
		off += TAR_BLOCK;
		if (tar_block_zero(blk))
			continue;
		/* Let most inputs through the checksum: fix it up unless byte 0 says not. */
		unsigned char h[TAR_BLOCK];
		memcpy(h, blk, TAR_BLOCK);
		if (!(h[0] & 1)) {
			unsigned sum = 0;
			memset(h + 148, ' ', 8);
			for (int i = 0; i < TAR_BLOCK; i++)
				sum += h[i];
			for (int i = 6; i >= 0; i--, sum >>= 3)
				h[148 + i] = (unsigned char)('0' + (sum & 7));
			h[155] = 0;
		}
		if (tar_header(h, &pend, &ent, &e) < 0)
			break;
		uint64_t body = ent.size < size - off ? ent.size : size - off;
		switch (ent.type) {
		case TAR_GNU_LONGNAME: case TAR_GNU_LONGLINK: case TAR_PAX: case TAR_PAX_GLOBAL: {
			char *m = malloc(body + 1);
			memcpy(m, data + off, body);
			m[body] = 0;
			tar_meta(ent.type, m, body, &pend, &e);
			free(m);
			break;
		}
		default:
			if (ent.path)
				tar_clean_path(ent.path);
			if (ent.linkpath)
				tar_clean_path(ent.linkpath);
		}
		tar_entry_free(&ent);
		off += (body + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
		if (off > size)
			break;
	}
	tar_pending_free(&pend);
	return 0;
}
