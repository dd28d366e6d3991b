#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <bearssl.h>

#include "tls.h"
#include "util.h"

/* ---- trust anchors ---- */

struct dn_buf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void dn_append(void *ctx, const void *buf, size_t len)
{
	struct dn_buf *d = ctx;
	if (d->oom)
		return;
	if (d->len + len > d->cap) {
		size_t cap = (d->len + len) * 2;
		unsigned char *p = realloc(d->p, cap);
		if (!p) {
			d->oom = true;
			return;
		}
		d->p = p;
		d->cap = cap;
	}
	memcpy(d->p + d->len, buf, len);
	d->len += len;
}

static void x509_push(void *ctx, const void *buf, size_t len)
{
	br_x509_decoder_push(ctx, buf, len);
}

static void *dup_bytes(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);
	if (q)
		memcpy(q, p, n);
	return q;
}

static void anchor_free(br_x509_trust_anchor *ta)
{
	free(ta->dn.data);
	if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
		free(ta->pkey.key.rsa.n);
		free(ta->pkey.key.rsa.e);
	} else {
		free(ta->pkey.key.ec.q);
	}
}

void tls_anchors_free(struct tls_anchors *a)
{
	br_x509_trust_anchor *ta = a->ta;
	for (size_t i = 0; i < a->n; i++)
		anchor_free(&ta[i]);
	free(ta);
	a->ta = NULL;
	a->n = 0;
}

/* Turns the decoded certificate into an anchor; 0 when it was skipped. */
static int anchor_add(struct tls_anchors *a, br_x509_decoder_context *xd, struct dn_buf *dn)
{
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(xd);
	if (!pk || dn->oom)
		return dn->oom ? -ENOMEM : 0;
	br_x509_trust_anchor *ta = realloc(a->ta, (a->n + 1) * sizeof(*ta));
	if (!ta)
		return -ENOMEM;
	a->ta = ta;
	ta += a->n;
	memset(ta, 0, sizeof(*ta));
	ta->dn.data = dn->p;
	ta->dn.len = dn->len;
	dn->p = NULL;
	dn->len = dn->cap = 0;
	ta->flags = br_x509_decoder_isCA(xd) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	bool ok;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = dup_bytes(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = dup_bytes(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		ok = ta->pkey.key.rsa.n && ta->pkey.key.rsa.e;
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = dup_bytes(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		ok = ta->pkey.key.ec.q;
	} else {
		free(ta->dn.data);
		return 0;
	}
	a->n++;
	if (!ok)
		return -ENOMEM;
	return 0;
}

int tls_anchors_load(struct tls_anchors *a, const char *path, struct err *e)
{
	a->ta = NULL;
	a->n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "CA file %s", path);

	br_pem_decoder_context pc;
	br_x509_decoder_context xd;
	struct dn_buf dn = { 0 };
	bool in_cert = false, eof = false;
	int r = 0;
	br_pem_decoder_init(&pc);
	while (!eof && r == 0) {
		unsigned char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_sys(e, errno, "CA file %s", path);
			break;
		}
		if (n == 0) {
			/* A last line without its newline still ends the object. */
			buf[0] = '\n';
			n = 1;
			eof = true;
		}
		const unsigned char *p = buf;
		size_t left = n;
		while (left > 0 && r == 0) {
			size_t k = br_pem_decoder_push(&pc, p, left);
			p += k;
			left -= k;
			switch (br_pem_decoder_event(&pc)) {
			case BR_PEM_BEGIN_OBJ: {
				const char *name = br_pem_decoder_name(&pc);
				in_cert = !strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE");
				if (in_cert) {
					dn.len = 0;
					dn.oom = false;
					br_x509_decoder_init(&xd, dn_append, &dn);
					br_pem_decoder_setdest(&pc, x509_push, &xd);
				} else {
					br_pem_decoder_setdest(&pc, NULL, NULL);
				}
				break;
			}
			case BR_PEM_END_OBJ:
				if (in_cert) {
					int xe = br_x509_decoder_last_error(&xd);
					if (xe)
						r = err_set(e, EINVAL, "CA file %s: certificate %zu: bad X.509 (BearSSL error %d)",
							    path, a->n + 1, xe);
					else if (anchor_add(a, &xd, &dn) < 0)
						r = err_set(e, ENOMEM, "CA file %s: out of memory", path);
				}
				in_cert = false;
				break;
			case BR_PEM_ERROR:
				r = err_set(e, EINVAL, "CA file %s: bad PEM after %zu certificates", path, a->n);
				break;
			}
		}
	}
	close(fd);
	free(dn.p);
	if (r == 0 && a->n == 0)
		r = err_set(e, ENOENT, "CA file %s: no certificate in it", path);
	if (r < 0)
		tls_anchors_free(a);
	return r;
}

bool tls_have_aesni(void)
{
	return br_aes_x86ni_ctr_get_vtable() != NULL;
}

/* ---- certificate checks: BearSSL's minimal engine, plus IP names ---- */

#define EE_MAX 16384

struct xwrap {
	const br_x509_class *vtable;
	br_x509_minimal_context min;
	const char *verify;
	unsigned char ip[16];
	int iplen;		/* 4 or 16 when verify is an IP literal, else 0 */
	unsigned ncert;
	unsigned char *ee;	/* the end-entity certificate, for its IP names */
	size_t ee_len;
};

/* A DER header at p[*off]: tag and content length; *off moves to the content. */
static int der_hdr(const unsigned char *p, size_t n, size_t *off, unsigned *tag, size_t *len)
{
	size_t o = *off;
	if (o + 2 > n)
		return -1;
	*tag = p[o++];
	size_t l = p[o++];
	if (l & 0x80) {
		unsigned k = l & 0x7f;
		if (k == 0 || k > 3 || o + k > n)
			return -1;
		l = 0;
		while (k--)
			l = (l << 8) | p[o++];
	}
	if (l > n - o)
		return -1;
	*off = o;
	*len = l;
	return 0;
}

/* 1 when the certificate's subjectAltName has iPAddress ip. */
static int der_has_ip(const unsigned char *p, size_t n, const unsigned char *ip, int iplen)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	size_t o = 0, l;
	unsigned tag;
	if (der_hdr(p, n, &o, &tag, &l) || tag != 0x30)	/* Certificate */
		return 0;
	if (der_hdr(p, n, &o, &tag, &l) || tag != 0x30)	/* tbsCertificate */
		return 0;
	size_t tbs_end = o + l;
	while (o < tbs_end) {
		if (der_hdr(p, tbs_end, &o, &tag, &l))
			return 0;
		if (tag != 0xa3) {	/* [3] extensions */
			o += l;
			continue;
		}
		size_t ext_end = o + l;
		if (der_hdr(p, ext_end, &o, &tag, &l) || tag != 0x30)
			return 0;
		while (o < ext_end) {
			size_t x_end;
			if (der_hdr(p, ext_end, &o, &tag, &l) || tag != 0x30)
				return 0;
			x_end = o + l;
			if (der_hdr(p, x_end, &o, &tag, &l) || tag != 0x06)
				return 0;
			bool san = l == sizeof(san_oid) && !memcmp(p + o, san_oid, l);
			o += l;
			if (san) {
				if (der_hdr(p, x_end, &o, &tag, &l))
					return 0;
				if (tag == 0x01) {	/* critical */
					o += l;
					if (der_hdr(p, x_end, &o, &tag, &l))
						return 0;
				}
				if (tag != 0x04 || der_hdr(p, x_end, &o, &tag, &l) || tag != 0x30)
					return 0;
				size_t gn_end = o + l;
				while (o < gn_end) {
					if (der_hdr(p, gn_end, &o, &tag, &l))
						return 0;
					if (tag == 0x87 && l == (size_t)iplen && !memcmp(p + o, ip, l))
						return 1;
					o += l;
				}
			}
			o = x_end;
		}
		return 0;
	}
	return 0;
}

static void xw_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct xwrap *w = (struct xwrap *)ctx;
	(void)server_name;
	w->ncert = 0;
	w->ee_len = 0;
	w->min.vtable->start_chain(&w->min.vtable, w->iplen ? NULL : w->verify);
}

static void xw_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct xwrap *w = (struct xwrap *)ctx;
	if (w->ncert == 0 && w->iplen && length <= EE_MAX && !w->ee)
		w->ee = malloc(EE_MAX);
	w->min.vtable->start_cert(&w->min.vtable, length);
}

static void xw_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct xwrap *w = (struct xwrap *)ctx;
	if (w->ncert == 0 && w->ee && w->ee_len + len <= EE_MAX) {
		memcpy(w->ee + w->ee_len, buf, len);
		w->ee_len += len;
	}
	w->min.vtable->append(&w->min.vtable, buf, len);
}

static void xw_end_cert(const br_x509_class **ctx)
{
	struct xwrap *w = (struct xwrap *)ctx;
	w->ncert++;
	w->min.vtable->end_cert(&w->min.vtable);
}

static unsigned xw_end_chain(const br_x509_class **ctx)
{
	struct xwrap *w = (struct xwrap *)ctx;
	unsigned r = w->min.vtable->end_chain(&w->min.vtable);
	if (r == 0 && w->iplen && !(w->ee && der_has_ip(w->ee, w->ee_len, w->ip, w->iplen)))
		r = BR_ERR_X509_BAD_SERVER_NAME;
	return r;
}

static const br_x509_pkey *xw_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct xwrap *w = (const struct xwrap *)ctx;
	return w->min.vtable->get_pkey(&w->min.vtable, usages);
}

static const br_x509_class xwrap_vtable = {
	sizeof(struct xwrap), xw_start_chain, xw_start_cert, xw_append,
	xw_end_cert, xw_end_chain, xw_get_pkey,
};

/* ---- the connection ---- */

struct tls {
	br_ssl_client_context cc;
	struct xwrap xw;
	int fd;
	int timeout_ms;
	int sys_err;		/* errno of the socket failure, if any */
	bool peer_eof;
	bool dead;		/* the socket failed: the engine cannot go on */
	const char *verify;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static int wait_fd(struct tls *t, short ev)
{
	struct pollfd p = { .fd = t->fd, .events = ev };
	for (;;) {
		int r = poll(&p, 1, t->timeout_ms);
		if (r > 0)
			return 0;
		if (r == 0) {
			t->sys_err = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR) {
			t->sys_err = errno;
			return -1;
		}
	}
}

static int sock_read(struct tls *t, unsigned char *buf, size_t len)
{
	for (;;) {
		if (wait_fd(t, POLLIN) < 0)
			return -1;
		ssize_t n = recv(t->fd, buf, len, MSG_DONTWAIT);
		if (n > 0)
			return n;
		if (n == 0) {
			t->peer_eof = true;
			return -1;
		}
		if (errno != EINTR && errno != EAGAIN) {
			t->sys_err = errno;
			return -1;
		}
	}
}

static int sock_write(struct tls *t, const unsigned char *buf, size_t len)
{
	for (;;) {
		if (wait_fd(t, POLLOUT) < 0)
			return -1;
		ssize_t n = send(t->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			return n;
		if (n < 0 && errno != EINTR && errno != EAGAIN) {
			t->sys_err = errno;
			return -1;
		}
	}
}

static int tls_error(struct tls *t, struct err *e)
{
	int be = br_ssl_engine_last_error(&t->cc.eng);
	if (t->sys_err == ETIMEDOUT)
		return err_set(e, ETIMEDOUT, "TLS %s: timed out after %d ms without data",
			       t->verify, t->timeout_ms);
	if (t->sys_err)
		return err_sys(e, t->sys_err, "TLS %s", t->verify);
	if (t->peer_eof)
		return err_set(e, ECONNRESET, "TLS %s: connection closed by the server", t->verify);
	switch (be) {
	case BR_ERR_X509_NOT_TRUSTED:
		return err_set(e, EPERM, "TLS %s: certificate not signed by a trusted CA (use --ca FILE)", t->verify);
	case BR_ERR_X509_BAD_SERVER_NAME:
		return err_set(e, EPERM, "TLS %s: certificate does not name %s (use --tls-server-name NAME)",
			       t->verify, t->verify);
	case BR_ERR_X509_EXPIRED:
		return err_set(e, EPERM, "TLS %s: certificate expired or not yet valid", t->verify);
	case BR_ERR_BAD_VERSION:
		return err_set(e, EPROTO, "TLS %s: server does not speak TLS 1.2", t->verify);
	case BR_ERR_BAD_CIPHER_SUITE:
		return err_set(e, EPROTO, "TLS %s: no cipher suite in common (ECDHE with AES-GCM)", t->verify);
	}
	if (be >= BR_ERR_SEND_FATAL_ALERT)
		return err_set(e, EPROTO, "TLS %s: we sent fatal alert %d", t->verify, be - BR_ERR_SEND_FATAL_ALERT);
	if (be >= BR_ERR_RECV_FATAL_ALERT)
		return err_set(e, EPROTO, "TLS %s: server sent fatal alert %d", t->verify, be - BR_ERR_RECV_FATAL_ALERT);
	if (be >= 32 && be < 64)
		return err_set(e, EPERM, "TLS %s: bad certificate (BearSSL X.509 error %d)", t->verify, be);
	return err_set(e, EPROTO, "TLS %s: protocol error (BearSSL error %d)", t->verify, be);
}

/* Runs the engine until a state in target is reached; -1 when closed. */
static int run_until(struct tls *t, unsigned target)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	if (t->dead)
		return -1;
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED)
			return -1;
		if (st & BR_SSL_SENDREC) {
			size_t len;
			unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
			int n = sock_write(t, buf, len);
			if (n < 0) {
				t->dead = true;
				return -1;
			}
			br_ssl_engine_sendrec_ack(eng, n);
			continue;
		}
		if (st & target)
			return 0;
		if (st & BR_SSL_RECVAPP)
			return -1;	/* data we did not ask for */
		if (st & BR_SSL_RECVREC) {
			size_t len;
			unsigned char *buf = br_ssl_engine_recvrec_buf(eng, &len);
			int n = sock_read(t, buf, len);
			if (n < 0) {
				t->dead = true;
				return -1;
			}
			br_ssl_engine_recvrec_ack(eng, n);
			continue;
		}
		br_ssl_engine_flush(eng, 0);
	}
}

static void client_init(struct tls *t, const struct tls_anchors *a)
{
	/* AES-GCM only: with AES-NI (x86ni) or, without, BearSSL's
	 * constant-time AES (ct64) and GHASH; every registry offers it.
	 * ChaCha20-Poly1305 would be faster on CPUs without AES-NI, for
	 * 6 KiB more in the binary. */
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	};
	/* SHA-256 and up: certificates and TLS 1.2 signatures with SHA-1 or
	 * SHA-224 are refused (no CA has issued SHA-1 ones since 2016). */
	static const br_hash_class *const hashes[] = {
		[br_sha256_ID] = &br_sha256_vtable,
		[br_sha384_ID] = &br_sha384_vtable,
		[br_sha512_ID] = &br_sha512_vtable,
	};
	br_ssl_client_context *cc = &t->cc;
	br_x509_minimal_context *xc = &t->xw.min;

	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
	br_x509_minimal_init(xc, &br_sha256_vtable, a->ta, a->n);
	br_ssl_engine_set_suites(&cc->eng, suites, ARRAY_SIZE(suites));
	/* RSA with the i31 big integers ECDSA uses anyway (the default,
	 * i62, is 1.5 KB more; a verify with e = 65537 is cheap either way) */
	br_ssl_engine_set_rsavrfy(&cc->eng, br_rsa_i31_pkcs1_vrfy);
	/* Elliptic curves: the generic prime-curve code, P-256, P-384 and
	 * P-521, for ECDHE and ECDSA. BearSSL's default adds a P-256 special
	 * case (9 KB) and X25519 (4 KB), worth about a millisecond per
	 * handshake. */
	br_ssl_engine_set_ec(&cc->eng, &br_ec_prime_i31);
	br_ssl_engine_set_ecdsa(&cc->eng, br_ecdsa_i31_vrfy_asn1);
	br_x509_minimal_set_rsa(xc, br_ssl_engine_get_rsavrfy(&cc->eng));
	br_x509_minimal_set_ecdsa(xc, br_ssl_engine_get_ec(&cc->eng), br_ssl_engine_get_ecdsa(&cc->eng));
	for (int id = br_sha256_ID; id <= br_sha512_ID; id++) {
		br_ssl_engine_set_hash(&cc->eng, id, hashes[id]);
		br_x509_minimal_set_hash(xc, id, hashes[id]);
	}
	t->xw.vtable = &xwrap_vtable;
	br_ssl_engine_set_x509(&cc->eng, &t->xw.vtable);
	br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(&cc->eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(&cc->eng);
	br_ssl_engine_set_buffer(&cc->eng, t->iobuf, sizeof(t->iobuf), 1);
}

int tls_open(struct tls **out, int fd, const struct tls_anchors *a, const char *sni,
	     const char *verify, int timeout_ms, struct err *e)
{
	*out = NULL;
	struct tls *t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		return err_set(e, ENOMEM, "TLS %s: out of memory", verify);
	}
	t->fd = fd;
	t->timeout_ms = timeout_ms;
	t->verify = verify;
	client_init(t, a);
	t->xw.verify = verify;
	if (inet_pton(AF_INET, verify, t->xw.ip) == 1)
		t->xw.iplen = 4;
	else if (inet_pton(AF_INET6, verify, t->xw.ip) == 1)
		t->xw.iplen = 16;

	unsigned char seed[32];
	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed)) {
		int r = err_sys(e, errno, "getrandom");
		tls_free(t);
		return r;
	}
	br_ssl_engine_inject_entropy(&t->cc.eng, seed, sizeof(seed));
	memset(seed, 0, sizeof(seed));
	if (!br_ssl_client_reset(&t->cc, sni, 0) || run_until(t, BR_SSL_SENDAPP) < 0) {
		int r = tls_error(t, e);
		tls_free(t);
		return r;
	}
	*out = t;
	return 0;
}

ssize_t tls_read(struct tls *t, void *buf, size_t n, struct err *e)
{
	if (run_until(t, BR_SSL_RECVAPP) < 0) {
		br_ssl_engine_context *eng = &t->cc.eng;
		if ((br_ssl_engine_current_state(eng) & BR_SSL_CLOSED) &&
		    br_ssl_engine_last_error(eng) == BR_ERR_OK)
			return 0;	/* close_notify */
		if (t->peer_eof && !t->sys_err)
			return 0;	/* closed without close_notify: the caller checks lengths */
		return tls_error(t, e);
	}
	size_t len;
	unsigned char *p = br_ssl_engine_recvapp_buf(&t->cc.eng, &len);
	if (len > n)
		len = n;
	memcpy(buf, p, len);
	br_ssl_engine_recvapp_ack(&t->cc.eng, len);
	return len;
}

int tls_write_all(struct tls *t, const void *buf, size_t n, struct err *e)
{
	const unsigned char *p = buf;
	while (n > 0) {
		if (run_until(t, BR_SSL_SENDAPP) < 0)
			return tls_error(t, e);
		size_t len;
		unsigned char *q = br_ssl_engine_sendapp_buf(&t->cc.eng, &len);
		if (len > n)
			len = n;
		memcpy(q, p, len);
		br_ssl_engine_sendapp_ack(&t->cc.eng, len);
		p += len;
		n -= len;
	}
	br_ssl_engine_flush(&t->cc.eng, 0);
	/* Flushed once nothing is left to send. */
	for (;;) {
		unsigned st = br_ssl_engine_current_state(&t->cc.eng);
		if (st & BR_SSL_CLOSED)
			return tls_error(t, e);
		if (!(st & BR_SSL_SENDREC))
			return 0;
		size_t len;
		unsigned char *q = br_ssl_engine_sendrec_buf(&t->cc.eng, &len);
		int w = sock_write(t, q, len);
		if (w < 0) {
			t->dead = true;
			return tls_error(t, e);
		}
		br_ssl_engine_sendrec_ack(&t->cc.eng, w);
	}
}

const char *tls_suite_name(const struct tls *t)
{
	switch (t->cc.eng.session.cipher_suite) {
	case BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: return "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
	case BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: return "ECDHE_RSA_WITH_AES_128_GCM_SHA256";
	case BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: return "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
	case BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: return "ECDHE_RSA_WITH_AES_256_GCM_SHA384";
	}
	return "unknown";
}

void tls_free(struct tls *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->xw.ee);
	free(t);
}
