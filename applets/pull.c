/* pull - fetch an image from a registry into the local store
 *
 * usage: corral pull [OPTIONS] REF
 *        corral pull --list [--dest DIR]
 *        corral pull --rmi REF [--dest DIR]
 *        corral pull --gc [--dest DIR]
 *
 * REF is [HOST[:PORT]/]NAME[:TAG|@sha256:DIGEST]; without a host it is
 * Docker Hub (docker.io, library/ for one-word names), without a tag
 * "latest". Fetches the manifest (an index or manifest list is resolved to
 * this machine's platform), the config and the layers over HTTPS, checks
 * every one against its SHA-256 digest, keeps them in the store and
 * unpacks the layers into a rootfs keyed by the manifest digest. Blobs the
 * store holds already are not fetched again; an interrupted pull resumes.
 * Prints the manifest digest.
 *
 *   --dest DIR            the image store (default $CORRAL_IMAGES or
 *                         /var/lib/corral/images)
 *   --ca FILE             trust the CA certificates in FILE (PEM) instead
 *                         of /etc/ssl/certs/ca-certificates.crt
 *   --creds USER:PASS     credentials for the registry (Basic, or to get a
 *                         Bearer token)
 *   --creds-file FILE     the same, read from FILE (one line USER:PASS)
 *   --tls-server-name N   the name the registry's certificate must carry
 *                         (to reach it by IP address or another name)
 *   --insecure            plain HTTP to the registry named in REF (only it)
 *   --platform OS/ARCH    pick this platform from an index (default linux/<host>)
 *   --timeout SECONDS     give up when connecting or a transfer stalls this
 *                         long (default 30)
 *   --no-unpack           fetch and verify the blobs only
 *   -q, --quiet           no progress display
 *   -v, --verbose         say on stderr what was fetched and how
 *   --list                show the images in the store
 *   --rmi REF             remove an image's reference, then what only it used
 *   --gc                  remove blobs and trees no reference reaches
 *   -h, --help            this text
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "applets.h"
#include "registry.h"
#include "store.h"
#include "tls.h"
#include "util.h"

struct pull_args {
	const char *ref, *dest, *creds_file, *platform;
	struct pull_opts o;
	bool quiet, list, verbose, rmi, gc;
};

struct progress {
	double start, last;
	const char *digest;
	bool line_open;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void human(char *buf, size_t n, double v)
{
	if (v >= 1 << 20)
		snprintf(buf, n, "%.1f MiB", v / (1 << 20));
	else if (v >= 1 << 10)
		snprintf(buf, n, "%.1f KiB", v / (1 << 10));
	else
		snprintf(buf, n, "%.0f B", v);
}

static void show(void *arg, const struct pull_progress *p)
{
	struct progress *pg = arg;
	double t = now();
	if (pg->digest != p->digest) {
		pg->digest = p->digest;
		pg->start = t;
		pg->last = 0;
	}
	if (!p->finished && t - pg->last < 0.1)
		return;
	pg->last = t;
	char done[32], total[32] = "?", rate[32];
	human(done, sizeof(done), p->done);
	if (p->total >= 0)
		human(total, sizeof(total), p->total);
	double el = t - pg->start;
	human(rate, sizeof(rate), el > 0 ? p->done / el : 0);
	const char *d = strncmp(p->digest, "sha256:", 7) ? p->digest : p->digest + 7;
	if (p->cached)
		fprintf(stderr, "\r%-8s %.12s  %s  already stored\033[K\n", p->what, d, total);
	else if (el < 0.05)
		fprintf(stderr, "\r%-8s %.12s  %s / %s\033[K%s", p->what, d, done, total, p->finished ? "\n" : "");
	else
		fprintf(stderr, "\r%-8s %.12s  %s / %s  %s/s\033[K%s", p->what, d, done, total, rate,
			p->finished ? "\n" : "");
	pg->line_open = !p->finished;
}

static int parse(int argc, char **argv, struct pull_args *a)
{
	enum { O_DEST = 256, O_CA, O_CREDS, O_CREDS_FILE, O_SNI, O_INSECURE, O_PLATFORM,
	       O_TIMEOUT, O_NO_UNPACK, O_LIST, O_RMI, O_GC };
	static const struct option lo[] = {
		{ "dest", required_argument, 0, O_DEST },
		{ "ca", required_argument, 0, O_CA },
		{ "creds", required_argument, 0, O_CREDS },
		{ "creds-file", required_argument, 0, O_CREDS_FILE },
		{ "tls-server-name", required_argument, 0, O_SNI },
		{ "insecure", no_argument, 0, O_INSECURE },
		{ "platform", required_argument, 0, O_PLATFORM },
		{ "timeout", required_argument, 0, O_TIMEOUT },
		{ "no-unpack", no_argument, 0, O_NO_UNPACK },
		{ "quiet", no_argument, 0, 'q' },
		{ "verbose", no_argument, 0, 'v' },
		{ "list", no_argument, 0, O_LIST },
		{ "rmi", no_argument, 0, O_RMI },
		{ "gc", no_argument, 0, O_GC },
		{ "help", no_argument, 0, 'h' },
		{ 0 }
	};
	int c;
	uint64_t v;
	struct err e = { 0 };
	while ((c = getopt_long(argc, argv, "hqv", lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			return usage(0), -1;
		case 'q':
			a->quiet = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case O_DEST:
			a->dest = optarg;
			break;
		case O_CA:
			a->o.ca_file = optarg;
			break;
		case O_CREDS:
			a->o.creds = optarg;
			break;
		case O_CREDS_FILE:
			a->creds_file = optarg;
			break;
		case O_SNI:
			if (!valid_hostname(optarg))
				return fail(EXIT_CORRAL, "bad --tls-server-name '%s'", optarg);
			a->o.tls_server_name = optarg;
			break;
		case O_INSECURE:
			a->o.insecure = true;
			break;
		case O_PLATFORM:
			a->platform = optarg;
			break;
		case O_TIMEOUT:
			if (parse_u64(optarg, 1, 3600, &v, &e) < 0)
				return fail(EXIT_CORRAL, "bad --timeout '%s': seconds, 1..3600", optarg);
			a->o.timeout_ms = v * 1000;
			break;
		case O_NO_UNPACK:
			a->o.no_unpack = true;
			break;
		case O_LIST:
			a->list = true;
			break;
		case O_RMI:
			a->rmi = true;
			break;
		case O_GC:
			a->gc = true;
			break;
		default:
			return usage(EXIT_CORRAL);
		}
	}
	if (a->list + a->rmi + a->gc > 1)
		return fail(EXIT_CORRAL, "--list, --rmi and --gc exclude each other");
	if (a->list || a->gc)
		return optind == argc ? 0 : fail(EXIT_CORRAL, "--%s takes no reference", a->list ? "list" : "gc");
	if (optind + 1 != argc)
		return fail(EXIT_CORRAL, "want one image reference (see --help)");
	a->ref = argv[optind];
	if (a->o.creds && a->creds_file)
		return fail(EXIT_CORRAL, "--creds and --creds-file exclude each other");
	return 0;
}

static int list(struct store *st)
{
	struct store_image *im;
	size_t n;
	struct err e = { 0 };
	if (store_list(st, &im, &n, &e) < 0)
		return fail_err(&e);
	for (size_t i = 0; i < n; i++) {
		char size[32];
		human(size, sizeof(size), im[i].size);
		printf("%s\t%s\t%s\t%s\n", im[i].ref, im[i].digest, size, im[i].unpacked ? "unpacked" : "blobs");
	}
	free(im);
	return 0;
}

/* One line USER:PASS; the newline is not part of the password. */
static int read_creds(const char *path, char **out)
{
	struct err e = { 0 };
	size_t len;
	if (read_file(path, 4096, out, &len, &e) < 0)
		return fail_err(&e);
	char *s = *out;
	s[strcspn(s, "\r\n")] = 0;
	if (!strchr(s, ':'))
		return fail(EXIT_CORRAL, "%s: want one line USER:PASS", path);
	return 0;
}

int pull_main(int argc, char **argv)
{
	struct pull_args a = { 0 };
	struct err e = { 0 };
	int r = parse(argc, argv, &a);
	if (r)
		return r < 0 ? 0 : r;

	struct image_ref ref;
	if (!a.list && !a.gc && ref_parse(a.ref, &ref, &e) < 0)
		return fail_err(&e);
	char os[32], arch[32];
	if (a.platform) {
		const char *sl = strchr(a.platform, '/');
		if (!sl || sl == a.platform || !sl[1] || (size_t)(sl - a.platform) >= sizeof(os) ||
		    strlen(sl + 1) >= sizeof(arch))
			return fail(EXIT_CORRAL, "bad --platform '%s': want OS/ARCH", a.platform);
		snprintf(os, sizeof(os), "%.*s", (int)(sl - a.platform), a.platform);
		snprintf(arch, sizeof(arch), "%s", sl + 1);
		a.o.os = os;
		a.o.arch = arch;
	}
	char *creds = NULL;
	if (a.creds_file) {
		if ((r = read_creds(a.creds_file, &creds)) != 0)
			return r;
		a.o.creds = creds;
	}

	char dest[4096], cwd[2048];
	if (a.dest && a.dest[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return fail(EXIT_CORRAL, "getcwd: %s", strerror(errno));
		snprintf(dest, sizeof(dest), "%s/%s", cwd, a.dest);
		a.dest = dest;
	}
	struct store st;
	if (store_open(&st, a.dest, &e) < 0)
		return fail_err(&e);
	if (a.list) {
		r = list(&st);
		store_close(&st);
		return r;
	}
	if (a.rmi || a.gc) {
		char name[600];
		struct store_gc_stats gs = { 0 };
		ref_format(&ref, name, sizeof(name));
		r = a.rmi ? store_rmi(&st, name, &e) : store_gc(&st, &gs, &e);
		store_close(&st);
		if (r < 0)
			return fail_err(&e);
		if (a.gc)
			printf("removed %u blobs (%llu bytes), %u trees, %u partial blobs\n", gs.blobs,
			       (unsigned long long)gs.bytes, gs.trees, gs.partials);
		return 0;
	}
	if (a.o.insecure)
		msg("WARNING: --insecure: talking plain HTTP to %s; anyone on the path can read and change "
		    "what it sends (digests are still checked)", ref.host);
	struct progress pg = { 0 };
	if (!a.quiet && isatty(2)) {
		a.o.progress = show;
		a.o.progress_arg = &pg;
	}
	struct pull_result res;
	double t0 = now();
	r = registry_pull(&st, &ref, &a.o, &res, &e);
	if (pg.line_open)
		fputc('\n', stderr);
	if (a.verbose && r == 0) {
		double el = now() - t0;
		msg("%s%s%s: %u of %u blobs fetched, %llu bytes in %.3f s (%.1f MiB/s), %u TLS handshakes, %u requests",
		    res.media_type, res.index_digest[0] ? " from index " : "", res.index_digest,
		    res.blobs_fetched, res.blobs, (unsigned long long)res.bytes_fetched, el,
		    el > 0 ? res.bytes_fetched / el / (1 << 20) : 0.0, res.handshakes, res.requests);
		msg("TLS: %s (offered first %s)", res.suite ? res.suite : "not used",
		    tls_have_aesni() ? "AES-GCM: the CPU has AES-NI" : "ChaCha20-Poly1305: no AES-NI");
	}
	store_close(&st);
	free(creds);
	if (r < 0)
		return fail_err(&e);
	printf("%s\n", res.digest);
	return 0;
}
