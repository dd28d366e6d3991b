/* pause - hold namespaces open, reap zombies, exit 0 on SIGTERM/SIGINT
 * usage: corral pause [--ready-fd N]
 *        corral pause -v | --help
 *
 * Sleeps until SIGTERM or SIGINT, then exits 0. Every other signal is
 * taken and dropped, so a stray HUP or USR1 never ends it. Children that
 * exit (orphans, when it is PID 1 of a PID namespace) are reaped at once.
 * No signal handler runs: signals are blocked and taken synchronously.
 * The idle process keeps a few KiB resident.
 *
 *   --ready-fd N   once signals are set up, write one byte to fd N and
 *                  close it (a readiness pipe for whoever started pause)
 *   -v             print the version and exit
 *   -h, --help     this text
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "applets.h"
#include "pause_idle.h"

#ifndef CORRAL_VERSION
#define CORRAL_VERSION "dev"
#endif

static int parse_fd(const char *s)
{
	int v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int pause_main(int argc, char **argv)
{
	int ready_fd = -1;
	sigset_t all;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return usage(0);
		if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
			static const char v[] = "corral pause " CORRAL_VERSION "\n";
			return write(1, v, sizeof(v) - 1) == (ssize_t)sizeof(v) - 1 ? 0 : EXIT_CORRAL;
		}
		if (!strcmp(a, "--ready-fd") && i + 1 < argc) {
			ready_fd = parse_fd(argv[++i]);
			if (ready_fd < 0 || fcntl(ready_fd, F_GETFD) < 0)
				return fail(EXIT_CORRAL, "--ready-fd '%s': not an open fd", argv[i]);
			continue;
		}
		return usage(EXIT_CORRAL);
	}

	/* Everything blocked, taken one by one. Blocked signals are queued
	 * even for the PID 1 of a namespace, which would otherwise drop
	 * SIGTERM with no handler. Dispositions go back to default: an
	 * inherited SIG_IGN for SIGCHLD would hide exits. All bits, not
	 * sigfillset(): that one leaves libc's internal signals deliverable. */
	memset(&all, 0xff, sizeof(all));
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		return fail(EXIT_CORRAL, "cannot block signals");
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	/* Children that exited before the mask was set sent no signal we see. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	pause_idle(ready_fd);
}
