/* TLS client over a connected socket, with BearSSL.
 *
 * Trust anchors are decoded at run time from a PEM bundle (the host's CA
 * bundle or a file the user names). The server's certificate must chain to
 * one of them and name the server: a DNS name through BearSSL, an IP
 * address through the certificate's iPAddress entries (BearSSL matches DNS
 * names only). TLS 1.2 with ECDHE and AEAD suites only; AES-GCM first when
 * the CPU has AES-NI, ChaCha20-Poly1305 first otherwise. */
#ifndef CORRAL_TLS_H
#define CORRAL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "err.h"

#define TLS_DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"

struct tls_anchors {
	void *ta;		/* br_x509_trust_anchor[n] */
	size_t n;
};

/* Decodes every certificate of the PEM file path (streamed) into anchors.
 * -ENOENT when the file holds no certificate. */
int tls_anchors_load(struct tls_anchors *a, const char *path, struct err *e);
void tls_anchors_free(struct tls_anchors *a);

/* True when the CPU has AES-NI (BearSSL's x86ni code is usable). */
bool tls_have_aesni(void);

struct tls;
/* Handshakes on the connected socket fd (the tls owns it afterwards and
 * closes it in tls_free). sni: the name sent to the server (NULL: none);
 * verify: the name the certificate must carry (a DNS name or an IP
 * literal). Every wait on the socket is bounded by timeout_ms. */
int tls_open(struct tls **out, int fd, const struct tls_anchors *a, const char *sni,
	     const char *verify, int timeout_ms, struct err *e);
/* >0 bytes read, 0 at a clean close by the server, <0 -errno. */
ssize_t tls_read(struct tls *t, void *buf, size_t n, struct err *e);
int tls_write_all(struct tls *t, const void *buf, size_t n, struct err *e);
/* The negotiated suite, e.g. "ECDHE_RSA_WITH_AES_128_GCM_SHA256". */
const char *tls_suite_name(const struct tls *t);
void tls_free(struct tls *t);

#endif
