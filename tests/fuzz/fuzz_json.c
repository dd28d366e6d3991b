/* libFuzzer target for lib/json.c: parse, walk every token, decode every
 * string, and round-trip accepted documents (and the raw input as one
 * string) through the writer. Any disagreement aborts.
 * fuzz-sources: lib/json.c lib/util.c */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

/* An independent UTF-8 check (RFC 3629 by code point). */
static int utf8_ok(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = p[i], cp, k;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) { k = 2; cp = c & 0x1f; }
		else if ((c & 0xf0) == 0xe0) { k = 3; cp = c & 0x0f; }
		else if ((c & 0xf8) == 0xf0) { k = 4; cp = c & 0x07; }
		else return 0;
		if (i + k > n)
			return 0;
		for (unsigned m = 1; m < k; m++) {
			if ((p[i + m] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + m] & 0x3f);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k;
	}
	return 1;
}

static char buf[1 << 16];

/* Writes the subtree at t; numbers that are not 64-bit integers become
 * strings of their text. Returns the token after the subtree. */
static int emit(const struct json *j, int t, struct jw *w)
{
	struct err e;
	int64_t i;
	uint64_t u;
	bool b;
	char *s;

	switch (json_type(j, t)) {
	case JSON_NULL:
		jw_null(w);
		break;
	case JSON_BOOL:
		REQUIRE(json_bool(j, t, &b, &e) == 0);
		jw_bool(w, b);
		break;
	case JSON_NUMBER:
		if (json_i64(j, t, &i, &e) == 0)
			jw_i64(w, i);
		else if (json_u64(j, t, &u, &e) == 0)
			jw_u64(w, u);
		else
			jw_str(w, "number");
		break;
	case JSON_STRING:
		if (json_strdup(j, t, &s, &e) == 0) {
			jw_str(w, s);
			free(s);
		} else {
			REQUIRE(e.code == EINVAL);	/* holds \u0000 */
			jw_str(w, "nul");
		}
		break;
	case JSON_ARRAY:
	case JSON_OBJECT: {
		bool obj = json_type(j, t) == JSON_OBJECT;
		int end = json_skip(j, t), n = 0;
		obj ? jw_obj(w) : jw_arr(w);
		for (int c = json_first(j, t); c >= 0 && c < end; n++) {
			if (obj) {
				if (json_strdup(j, c, &s, &e) == 0) {
					jw_key(w, s);
					free(s);
				} else {
					jw_key(w, "nul");
				}
				c++;
			}
			c = emit(j, c, w);
		}
		REQUIRE(n == json_len(j, t));
		obj ? jw_obj_end(w) : jw_arr_end(w);
		break;
	}
	}
	return json_skip(j, t);
}

/* The parse of the written text must mirror the original, token by token,
 * except for the substitutions emit() made. */
static void compare(const struct json *a, const struct json *b)
{
	REQUIRE(a->ntok == b->ntok);
	for (int t = 0; t < a->ntok; t++) {
		enum json_type ta = json_type(a, t), tb = json_type(b, t);
		struct err e;
		int64_t x, y;
		if (ta == JSON_NUMBER && tb == JSON_STRING)
			continue;
		REQUIRE(ta == tb);
		REQUIRE(json_len(a, t) == json_len(b, t));
		REQUIRE(json_skip(a, t) == json_skip(b, t));
		if (ta == JSON_NUMBER && json_i64(a, t, &x, &e) == 0)
			REQUIRE(json_i64(b, t, &y, &e) == 0 && x == y);
		if (ta == JSON_STRING && json_str(a, t, buf, sizeof(buf), &e) == 0)
			REQUIRE(json_str_eq(b, t, buf));
	}
}

static void walk(const struct json *j)
{
	struct err e;
	for (int t = 0; t < j->ntok; t++) {
		enum json_type ty = json_type(j, t);
		int n = json_len(j, t), next = json_skip(j, t);
		REQUIRE(next > t && next <= j->ntok);
		REQUIRE((n >= 0) == (ty == JSON_ARRAY || ty == JSON_OBJECT));
		if (n > 0)
			REQUIRE(json_first(j, t) == t + 1);
		if (ty == JSON_ARRAY && n > 0)
			REQUIRE(json_skip(j, json_at(j, t, n - 1)) == next);
		if (ty == JSON_STRING) {
			char *s = NULL;
			int r = json_str(j, t, buf, sizeof(buf), &e);
			int r2 = json_strdup(j, t, &s, &e);
			REQUIRE(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
			REQUIRE(r2 == 0 || r2 == -EINVAL);
			if (r2 == 0) {
				REQUIRE(utf8_ok((unsigned char *)s, strlen(s)));
				REQUIRE(json_str_eq(j, t, s));
				if (r == 0)
					REQUIRE(!strcmp(s, buf));
			}
			free(s);
		} else {
			int64_t i;
			uint64_t u;
			bool b;
			REQUIRE(json_str(j, t, buf, sizeof(buf), &e) == -EINVAL);
			if (json_i64(j, t, &i, &e) == 0 && i >= 0)
				REQUIRE(json_u64(j, t, &u, &e) == 0 && u == (uint64_t)i);
			REQUIRE((json_bool(j, t, &b, &e) == 0) == (ty == JSON_BOOL));
		}
		if (ty == JSON_OBJECT)
			json_get(j, t, "a");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json j, k;
	struct err e;

	if (json_parse(&j, (const char *)data, size, &e) == 0) {
		REQUIRE(j.ntok >= 1 && json_skip(&j, 0) == j.ntok);
		walk(&j);
		for (int pretty = 0; pretty < 2; pretty++) {
			struct jw w;
			size_t len;
			jw_init(&w, pretty);
			emit(&j, 0, &w);
			const char *s = jw_done(&w, &len);
			REQUIRE(s && strlen(s) == len);
			if (json_parse(&k, s, len, &e) != 0)
				abort();
			compare(&j, &k);
			json_free(&k);
			jw_free(&w);
		}
	} else {
		REQUIRE(e.code && strstr(e.msg, "offset ") == e.msg);
	}
	json_free(&j);

	/* Any bytes written as one string come back as valid JSON; UTF-8
	 * without NUL comes back unchanged. */
	struct jw w;
	size_t len;
	jw_init(&w, false);
	jw_strn(&w, (const char *)data, size);
	const char *s = jw_done(&w, &len);
	REQUIRE(s && json_parse(&k, s, len, &e) == 0);
	if (utf8_ok(data, size) && !memchr(data, 0, size)) {
		char *out;
		REQUIRE(json_strdup(&k, 0, &out, &e) == 0);
		REQUIRE(strlen(out) == size && !memcmp(out, data, size));
		free(out);
	}
	json_free(&k);
	jw_free(&w);
	return 0;
}
