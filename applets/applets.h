/* The applet table (generated from each applet's opening comment into
 * build/gen/applets.inc) and the few helpers every applet shares. */
#ifndef CORRAL_APPLETS_H
#define CORRAL_APPLETS_H

#include <stdio.h>
#include "err.h"

struct applet {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
	unsigned help;		/* where its text starts: see applet_help() */
};

#define APPLET(n, s, h) int n##_main(int argc, char **argv);
#include "applets.inc"
#undef APPLET

extern const struct applet applet_table[];
extern const struct applet *applet_self;	/* the running applet */

#define EXIT_CORRAL 125	/* corral itself failed */
#define EXIT_NOEXEC 126	/* the command cannot be executed */
#define EXIT_NOENT 127	/* the command was not found */

const struct applet *applet_find(const char *name);
/* An applet's help text (stored deflated; "" when out of memory). */
const char *applet_help(const struct applet *a);
/* "corral NAME: <message>" on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* msg() then return code: `return fail(125, "bad --net '%s'", v);` */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports a lib/ error and returns 125. */
int fail_err(const struct err *e);
/* Prints the running applet's help text; returns code. A bad-usage hint
 * goes to stderr with exit 125, --help to stdout with 0. */
int usage(int code);
/* Scans argv for --help / -h before the first "--" or first non-option. */
int wants_help(int argc, char **argv);

#endif
