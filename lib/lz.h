/* A byte-aligned LZ77 for data built into the binary: unpacking needs no
 * state and no tables, so it costs about what copying does (the built-in
 * seccomp program, unpacked at every `corral run`). lz_pack runs at build
 * time (tools/seccomp-bpf.c) and in the unit tests. */
#ifndef CORRAL_LZ_H
#define CORRAL_LZ_H

#include <stddef.h>

/* The most lz_pack may write for n bytes. */
#define LZ_BOUND(n) ((n) + (n) / 128 + 1)

/* Packs in[0..n) into out (LZ_BOUND(n) bytes), choosing the shortest
 * packing this format allows; returns its length (0 when out of memory,
 * or for no bytes). */
size_t lz_pack(const unsigned char *in, size_t n, unsigned char *out);

/* Unpacks in[0..n) into out; 0 when that made exactly len bytes, -1 when
 * the data is damaged (a copy from before the start, or too much). */
int lz_unpack(const unsigned char *in, size_t n, unsigned char *out, size_t len);

#endif
