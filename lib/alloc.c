/* lib/alloc.c: malloc for corral, in place of musl's mallocng (about four
 * times the size). corral is single-threaded and short-lived: blocks of
 * 32 B to 32 KiB come in power-of-two classes carved from 256 KiB mappings
 * and are kept on a free list per class; larger ones are mappings of their
 * own, returned on free and grown with mremap. musl supports replacing
 * malloc in a static link; its internals call these functions.
 * The first chunk is in .bss: on this kind of VM a mapping of its own
 * costs ~50 us more at first touch than pages beside the binary's, whose
 * page tables exist already (a new region needs new ones). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

#define HDR 16			/* keeps blocks 16-aligned */
#define MIN_SHIFT 5
#define MAX_SHIFT 15		/* classes 32 B .. 32 KiB, header included */
#define CHUNK (256 << 10)
#define CHUNK_PREFAULT (20 << 10)	/* the blocks of a short process */

struct hdr {
	size_t size;		/* class: 1 << shift; mapped: whole mapping */
	size_t mapped;
};

static void *freel[MAX_SHIFT + 1];
static char *cur, *end;
static char first[CHUNK] BIG_BSS(first) __attribute__((aligned(4096)));
static int first_used;

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* blocks are returned with their header, so that the compiler, knowing what
 * malloc returns, does not see the header read before it */
static struct hdr *alloc(size_t n)
{
	struct hdr *h;
	if (n > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	size_t need = n + HDR;
	if (need > (1u << MAX_SHIFT)) {
		need = (need + 4095) & ~(size_t)4095;
		h = map(need);
		if (!h) {
			errno = ENOMEM;
			return NULL;
		}
		h->size = need;
		h->mapped = 1;
		return h;
	}
	int s = MIN_SHIFT;
	while ((1u << s) < need)
		s++;
	if (freel[s]) {
		h = freel[s];
		freel[s] = *(void **)((char *)h + HDR);
	} else {
		if ((size_t)(end - cur) < (1u << s)) {
			cur = first_used ? map(CHUNK) : first;
			first_used = 1;
			if (!cur) {
				end = NULL;
				errno = ENOMEM;
				return NULL;
			}
			end = cur + CHUNK;
			/* the pages the first blocks take (util.h says why) */
			mem_populate(cur, CHUNK_PREFAULT);
		}
		h = (struct hdr *)cur;
		cur += 1u << s;
	}
	h->size = 1u << s;
	h->mapped = 0;
	return h;
}

void *malloc(size_t n)
{
	struct hdr *h = alloc(n);
	return h ? (char *)h + HDR : NULL;
}

void free(void *p)
{
	if (!p)
		return;
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	if (h->mapped) {
		munmap(h, h->size);
		return;
	}
	int s = __builtin_ctzl(h->size);
	*(void **)p = freel[s];
	freel[s] = h;
}

void *calloc(size_t m, size_t n)
{
	if (n && m > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	struct hdr *h = alloc(m * n);
	if (!h)
		return NULL;
	if (!h->mapped)
		memset((char *)h + HDR, 0, m * n);
	return (char *)h + HDR;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	size_t have = h->size - HDR;
	if (n <= have && (h->mapped || n >= have / 4))
		return p;
	if (h->mapped && n > (1u << MAX_SHIFT) && n <= SIZE_MAX / 2) {
		size_t need = (n + HDR + 4095) & ~(size_t)4095;
		void *q = mremap(h, h->size, need, MREMAP_MAYMOVE);
		if (q == MAP_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
		h = q;
		h->size = need;
		return (char *)h + HDR;
	}
	void *q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, n < have ? n : have);
	free(p);
	return q;
}
