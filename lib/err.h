/* The one error channel of lib/: functions return 0 or -errno and fill a
 * struct err with a message that names the object. lib/ never prints. */
#ifndef CORRAL_ERR_H
#define CORRAL_ERR_H

struct err {
	int code;		/* positive errno, 0 when unset */
	char msg[256];
};

/* Sets e (if not NULL) and returns -code. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like err_set, appending ": strerror(code)". */
int err_sys(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Puts "<prefix>: " before e's message (keeping its code) and returns
 * -code; e->msg itself may not be an argument of err_set. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
