/* Dispatch: basename(argv[0]) names an applet, else argv[1] does. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/stat.h>

/* applets.h brings the deflated help texts here, and only here. */
#define APPLET_HELP_BLOB
#include "applets.h"
#undef APPLET_HELP_BLOB
#include "util.h"

#include "version.h"

const struct applet applet_table[] = {
#define APPLET(n, s, h) { #n, n##_main, s, h },
#include "applets.inc"
#undef APPLET
	{ 0 }
};

const struct applet *applet_self;

const char *applet_help(const struct applet *a)
{
	static char *text;
	if (!text) {
		char *t = malloc(APPLET_HELP_LEN);
		if (!t || inflate_raw(applet_help_z, sizeof(applet_help_z), t, APPLET_HELP_LEN) < 0) {
			free(t);
			return "";
		}
		text = t;
	}
	return text + a->help;
}

const struct applet *applet_find(const char *name)
{
	for (const struct applet *a = applet_table; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

static void vmsg(const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "corral%s%s: ",
			 applet_self ? " " : "", applet_self ? applet_self->name : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = strlen(line);
	line[len++] = '\n';
	fflush(stdout);
	(void)!write(2, line, len);
}

void msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return code;
}

int fail_err(const struct err *e)
{
	msg("%s", e->msg[0] ? e->msg : strerror(e->code ? e->code : EIO));
	return EXIT_CORRAL;
}

int usage(int code)
{
	if (code == 0)
		fputs(applet_help(applet_self), stdout);
	else
		msg("bad usage; see 'corral %s --help'", applet_self->name);
	return code;
}

int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

static int list(void)
{
	for (const struct applet *a = applet_table; a->name; a++)
		printf("%-10s %s\n", a->name, a->summary);
	return 0;
}

static int install(const char *dir)
{
	char self[PATH_MAX], link[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0) {
		msg("--install: /proc/self/exe: %s", strerror(errno));
		return EXIT_CORRAL;
	}
	self[n] = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail(EXIT_CORRAL, "--install: %s: %s", dir, strerror(errno));
	for (const struct applet *a = applet_table; a->name; a++) {
		if (snprintf(link, sizeof(link), "%s/%s", dir, a->name) >= (int)sizeof(link))
			return fail(EXIT_CORRAL, "--install: path too long");
		if (unlink(link) < 0 && errno != ENOENT)
			return fail(EXIT_CORRAL, "--install: %s: %s", link, strerror(errno));
		if (symlink(self, link) < 0)
			return fail(EXIT_CORRAL, "--install: %s: %s", link, strerror(errno));
	}
	return 0;
}

static int top_help(void)
{
	printf("usage: corral APPLET [ARGS...]\n"
	       "       corral --list | --install DIR | --help | --version\n"
	       "\nOne static binary that sandboxes Linux processes. Applets:\n\n");
	list();
	printf("\n'corral APPLET --help' shows an applet's options. A symlink named\n"
	       "after an applet runs it directly.\n");
	return 0;
}

#define PREFAULT_STACK (28 << 10)	/* as deep as `sandbox create` goes */
#define PREFAULT_STACK_RUN (12 << 10)	/* and `run` */
#define PREFAULT_DATA (16 << 10)	/* .data and .bss, the big buffers apart (01-dispatch.sh checks) */

/* The pages an applet touches anyway, made at once (util.h's
 * mem_populate): where a page-fault trap is dear (~13 us on one VM),
 * fewer of them took ~0.25 ms off a `sandbox create` + `rm`. Only those
 * pages: where a fault costs about what a made page does (~2.5 against
 * 2 us on another VM), each page made and never touched is pure loss,
 * and the wider ranges of before cost a run 3% there. pause is left out:
 * its stack stays, and its memory is counted. */
extern const char __init_array_start[];	/* the data segment's start */

static void prefault(size_t stack)
{
	char here;
	mem_populate((void *)((uintptr_t)&here - stack), stack);
	mem_populate((void *)((uintptr_t)__init_array_start & ~(uintptr_t)4095), PREFAULT_DATA);
}

static int run_applet(const struct applet *a, int argc, char **argv)
{
	if (strcmp(a->name, "pause"))
		prefault(strcmp(a->name, "run") ? PREFAULT_STACK : PREFAULT_STACK_RUN);
	applet_self = a;
	return a->main(argc, argv);
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : (argc > 0 ? argv[0] : "corral");

	const struct applet *self = applet_find(base);
	if (self)
		return run_applet(self, argc, argv);
	if (argc < 2)
		return top_help(), 125;

	const char *a = argv[1];
	if (!strcmp(a, "--help") || !strcmp(a, "-h"))
		return top_help();
	if (!strcmp(a, "--version") || !strcmp(a, "-V"))
		return printf("corral %s\n", CORRAL_VERSION), 0;
	if (!strcmp(a, "--list"))
		return list();
	if (!strcmp(a, "--install")) {
		if (argc != 3)
			return fail(EXIT_CORRAL, "usage: corral --install DIR");
		return install(argv[2]);
	}
	if (!(self = applet_find(a)))
		return fail(EXIT_NOENT, "unknown applet '%s' (try 'corral --list')", a);
	return run_applet(self, argc - 1, argv + 1);
}
