/* A tiny test harness: each CHECK prints nothing when it holds; each test
 * prints "ok - NAME" or "not ok - NAME" and the failing lines. tests/run
 * counts those lines. */
#ifndef CORRAL_T_H
#define CORRAL_T_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int t_failed, t_cur_failed;
static const char *t_name;

#define CHECK(cond) do { if (!(cond)) { t_cur_failed = 1; \
	printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b)) { t_cur_failed = 1; \
	printf("#   %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, _a ? _a : "(null)", _b ? _b : "(null)"); } } while (0)
#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { t_cur_failed = 1; \
	printf("#   %s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #a, _a, _b); } } while (0)

#define TEST(fn) static void fn(void)
#define RUN(fn) do { t_name = #fn; t_cur_failed = 0; fn(); \
	printf("%s - %s\n", t_cur_failed ? "not ok" : "ok", t_name); \
	t_failed |= t_cur_failed; } while (0)
#define DONE() return t_failed ? 1 : 0

#endif
