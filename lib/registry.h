/* Pulling images from a registry (the distribution spec, v2) into the store.
 *
 * References are [host[:port]/]name[:tag|@sha256:digest] with Docker's
 * defaults: no host means docker.io (served by registry-1.docker.io), a
 * one-component name there gets "library/", no tag means "latest". */
#ifndef CORRAL_REGISTRY_H
#define CORRAL_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"
#include "store.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

struct image_ref {
	char host[256];		/* as named: "docker.io", "localhost:5000" */
	char api_host[256];	/* where the API is: "registry-1.docker.io" */
	char name[256];		/* repository: "library/busybox" */
	char tag[129];		/* "latest" unless a digest alone was given */
	char digest[DIGEST_LEN + 1];	/* "" unless given */
};

int ref_parse(const char *s, struct image_ref *r, struct err *e);
/* "host/name:tag", "host/name@digest" or "host/name:tag@digest". */
void ref_format(const struct image_ref *r, char *buf, size_t n);

struct pull_progress {
	const char *what;	/* "manifest", "config", "layer" */
	const char *digest;
	uint64_t done;		/* bytes so far (with what a resume kept) */
	int64_t total;		/* -1 unknown */
	bool cached, finished;
};

struct pull_opts {
	const char *ca_file;		/* NULL: the host bundle */
	const char *creds;		/* "USER:PASS" or NULL */
	const char *tls_server_name;	/* name expected from the registry's certificate */
	bool insecure;			/* plain HTTP to the named registry */
	int timeout_ms;			/* longest stall; 0: 30 s */
	const char *os, *arch;		/* platform; NULL: the host's */
	bool no_unpack;			/* blobs only */
	void (*progress)(void *arg, const struct pull_progress *p);
	void *progress_arg;
};

struct pull_result {
	char digest[DIGEST_LEN + 1];	/* of the image manifest (after an index) */
	char index_digest[DIGEST_LEN + 1];	/* of the index, when there was one */
	char media_type[96];
	unsigned blobs, blobs_fetched;
	uint64_t bytes_fetched;
	unsigned handshakes, requests;
	const char *suite;		/* TLS suite of the last handshake, or NULL */
};

int registry_pull(struct store *st, const struct image_ref *ref, const struct pull_opts *o,
		  struct pull_result *res, struct err *e);

/* The host platform as the image spec names it ("amd64", "arm64"...). */
const char *registry_host_arch(void);

#endif
