/* lib/json.c: what the parser accepts and rejects, lookups, string
 * decoding, the writer, limits and round trips.
 * With arguments: `test_json write PATH` writes a tricky document;
 * `test_json parse PATH` exits 0 when PATH is accepted;
 * `test_json check PATH [lossy]` parses one and checks its values (lossy:
 * the reader kept only doubles, so skip integers past 2^53). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"
#include "json.h"
#include "util.h"

static int parse(const char *s, struct json *j, struct err *e)
{
	return json_parse(j, s, strlen(s), e);
}

static int accepts(const char *s)
{
	struct json j;
	struct err e = { 0 };
	int r = parse(s, &j, &e);
	if (r < 0)
		printf("#   rejected %s: %s\n", s, e.msg);
	json_free(&j);
	return r == 0;
}

/* Rejected, with msg containing want (when not NULL). */
static int rejects(const char *s, size_t len, const char *want)
{
	struct json j;
	struct err e = { 0 };
	int r = json_parse(&j, s, len, &e);
	json_free(&j);
	if (r == 0) {
		printf("#   accepted %.*s\n", (int)len, s);
		return 0;
	}
	if (r != -e.code || (want && !strstr(e.msg, want))) {
		printf("#   %.*s: got \"%s\" (%d), want \"%s\"\n", (int)len, s, e.msg, r,
		       want ? want : "");
		return 0;
	}
	return 1;
}
#define REJECTS(s, want) CHECK(rejects(s, sizeof(s) - 1, want))

TEST(accepts_valid_documents)
{
	static const char *const y[] = {
		"{}", "[]", "0", "-0", "1", "-1", "123456789", "1.5", "-0.0", "0e0",
		"1E+2", "1e-2", "1.25e10", "-1.0E-0", "1e400", "true", "false", "null",
		"\"\"", "\"a\"", " \t\r\n[ ] \t\r\n", "[1,2,3]", "[[[]]]", "[{}]",
		"{\"a\":1}", "{\"a\":{\"b\":[1,{\"c\":null}]},\"d\":\"e\"}",
		"{\"\":0}", "{\"a\":1,\"a\":2}", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
		"[\"\\u0000\"]", "[\"\\u0041\\u00e9\\u20AC\"]", "[\"\\uD83D\\uDE00\"]",
		"[\"\\udbff\\udfff\"]", "[\"\\uFFFF\"]", "[\"\\uFDD0\"]",
		"[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]", "[\"\xf4\x8f\xbf\xbf\"]",
		"[\"\xef\xbb\xbf\"]", "[\"\x7f\"]", "[\"'\"]", "[\"/\"]",
		"[1,[2,[3,[4]]],{\"x\":[]}]", "[-123.456e-789]", "[true,false,null]",
		"{\"a\" : 1 , \"b\" : [ 1 , 2 ] }", "[\"a\\u005C\"]",
		"[100000000000000000000000000000000000]", "\"\\u002F\"",
		"[-0.1]", "[1E22]", "[0.0e+00]", "[-1e-0]", "[0E1]", "[\"\\u0060\\u012a\\u12AB\"]",
		"{\"\\ud83d\\ude00\":\"k\"}", "[\"a/*b*/c\"]", "[\"#\"]", "[[],[[]],{\"a\":{}}]",
	};
	for (size_t i = 0; i < ARRAY_SIZE(y); i++)
		CHECK(accepts(y[i]));
}

TEST(rejects_invalid_documents_with_offsets)
{
	REJECTS("", "offset 0: unexpected end of input");
	REJECTS("   ", "offset 3: unexpected end of input");
	REJECTS("[1] [2]", "offset 4: unexpected '['");
	REJECTS("{} x", "offset 3: unexpected 'x'");
	REJECTS("1 2", "offset 2");
	REJECTS("[1]]", "offset 3");
	REJECTS("[1", "offset 2: unexpected end of input");
	REJECTS("{\"a\":1", "offset 6: unexpected end of input");
	REJECTS("[\"abc", "offset 1: unterminated string");
	REJECTS("\"\\", "unterminated string");
	REJECTS("[01]", "offset 1: leading zero in number");
	REJECTS("{\"port\": -012}", "offset 9: leading zero in number");
	REJECTS("[1.]", "offset 1: bad number");
	REJECTS("[.5]", "offset 1: bad number");
	REJECTS("[+1]", "offset 1: bad number");
	REJECTS("[-]", "offset 1: bad number");
	REJECTS("-", "offset 0: bad number");
	REJECTS("[1e]", "offset 1: bad number");
	REJECTS("[1e+]", "bad number");
	REJECTS("[1.e5]", "bad number");
	REJECTS("[-.1]", "bad number");
	REJECTS("[0x10]", "offset 2: unexpected 'x'");
	REJECTS("[1.2.3]", "offset 4");
	REJECTS("[Infinity]", "offset 1");
	REJECTS("[NaN]", "offset 1");
	REJECTS("[tru]", "offset 1: invalid literal");
	REJECTS("nul", "offset 0: invalid literal");
	REJECTS("[truex]", "invalid literal");
	REJECTS("[True]", "offset 1");
	REJECTS("[nulll]", "invalid literal");
	REJECTS("[\"a\tb\"]", "offset 3: raw control character");
	REJECTS("[\"a\nb\"]", "raw control character");
	REJECTS("[\"\\x41\"]", "offset 2: invalid escape");
	REJECTS("[\"\\'\"]", "invalid escape");
	REJECTS("[\"\\a\"]", "invalid escape");
	REJECTS("[\"\\u12\"]", "invalid \\u escape");
	REJECTS("[\"\\u12G4\"]", "invalid \\u escape");
	REJECTS("[\"\\U0041\"]", "invalid escape");
	REJECTS("[\"\\uD83D\"]", "offset 2: high surrogate");
	REJECTS("[\"\\uD83Dx\"]", "high surrogate");
	REJECTS("[\"\\uD83D\\u0041\"]", "high surrogate");
	REJECTS("[\"\\uD83D\\uD83D\"]", "high surrogate");
	REJECTS("[\"\\uDE00\"]", "lone low surrogate");
	REJECTS("[\"\\uDE00\\uD83D\"]", "lone low surrogate");
	REJECTS("[\"\\uD8", "invalid \\u escape");
	REJECTS("[\"\xff\"]", "offset 2: invalid UTF-8");
	REJECTS("[\"\xc3\"]", "invalid UTF-8");
	REJECTS("[\"\xc0\xaf\"]", "invalid UTF-8");	/* overlong '/' */
	REJECTS("[\"\xe0\x80\xaf\"]", "invalid UTF-8");
	REJECTS("[\"\xed\xa0\x80\"]", "invalid UTF-8");	/* UTF-8 surrogate */
	REJECTS("[\"\xf4\x90\x80\x80\"]", "invalid UTF-8");	/* > U+10FFFF */
	REJECTS("[\"\xf8\x88\x80\x80\x80\"]", "invalid UTF-8");
	REJECTS("[\"\xe2\x82\"]", "invalid UTF-8");
	REJECTS("[\"\x80\"]", "invalid UTF-8");
	REJECTS("\xef\xbb\xbf{}", "offset 0: unexpected byte 0xef");
	REJECTS("[1,]", "offset 2: trailing comma");
	REJECTS("{\"a\":1,}", "offset 6: trailing comma");
	REJECTS("[,1]", "offset 1");
	REJECTS("[1,,2]", "offset 3");
	REJECTS("[1 2]", "offset 3: unexpected '2', expected ',' or ']'");
	REJECTS("{\"a\":1 \"b\":2}", "expected ',' or '}'");
	REJECTS("{\"a\" 1}", "offset 5: unexpected '1', expected ':'");
	REJECTS("{\"a\"::1}", "offset 5");
	REJECTS("{\"a\":}", "offset 5: unexpected '}', expected a value");
	REJECTS("{\"a\"}", "expected ':'");
	REJECTS("{1:2}", "offset 1: unexpected '1', expected a string as object key");
	REJECTS("{null:1}", "expected a string as object key");
	REJECTS("{[]:1}", "expected a string as object key");
	REJECTS("{'a':1}", "expected a string as object key");
	REJECTS("{a:1}", "expected a string as object key");
	REJECTS("{,}", "offset 1");
	REJECTS("[}", "offset 1");
	REJECTS("{]", "offset 1");
	REJECTS("[1}", "offset 2");
	REJECTS("]", "offset 0");
	REJECTS("[\"a\",]", "trailing comma");
	REJECTS("[1]\x00", "offset 3: unexpected byte 0x00");
	REJECTS("[\"a\x00\"]", "offset 3: raw control character");
	REJECTS("[1]/* c */", "offset 3");
	REJECTS("\x01", "unexpected byte 0x01");
	REJECTS("[\x0c]", "offset 1");	/* form feed is not whitespace */
	REJECTS("[\xc2\xa0]", "offset 1");	/* nor is NBSP */
	REJECTS("\"\xe9\"", "invalid UTF-8");	/* Latin-1 */
}

TEST(rejects_over_the_limits_naming_them)
{
	char deep[200];
	struct json j;
	struct err e = { 0 };

	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	CHECK_INT(json_parse(&j, deep, 128, &e), 0);
	CHECK_INT(json_len(&j, 0), 1);
	json_free(&j);
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	CHECK_INT(json_parse(&j, deep, 130, &e), -E2BIG);
	CHECK(strstr(e.msg, "offset 64: nested deeper than 64 levels") != NULL);

	CHECK_INT(json_parse(&j, "[]", (size_t)JSON_MAX_SIZE + 1, &e), -EFBIG);
	CHECK(strstr(e.msg, "16777216") != NULL);

	/* JSON_MAX_TOKENS values fit; one more does not. */
	size_t n = JSON_MAX_TOKENS - 1, len = 2 * n + 1;
	char *big = malloc(len);
	CHECK(big != NULL);
	if (!big)
		return;
	big[0] = '[';
	for (size_t i = 0; i < n; i++) {
		big[1 + 2 * i] = '0';
		big[2 + 2 * i] = i + 1 < n ? ',' : ']';
	}
	CHECK_INT(json_parse(&j, big, len, &e), 0);
	CHECK_INT(j.ntok, JSON_MAX_TOKENS);
	CHECK_INT(json_len(&j, 0), n);
	CHECK_INT(json_skip(&j, 0), JSON_MAX_TOKENS);
	json_free(&j);
	big = realloc(big, len + 2);
	memcpy(big + len - 1, ",0]", 3);
	CHECK_INT(json_parse(&j, big, len + 2, &e), -E2BIG);
	CHECK(strstr(e.msg, "more than 1048576 values") != NULL);
	free(big);
}

static const char doc[] =
	"{\"name\": \"web\", \"port\": 8080, \"neg\": -42, \"on\": true, \"off\": false,"
	" \"nothing\": null, \"pi\": 3.14, \"exp\": 1e3, \"list\": [10, \"x\", [], {}],"
	" \"obj\": {\"k\": \"v\", \"k2\": [1, 2]}, \"esc\": \"a\\\"b\\\\c\\/d\\n\","
	" \"u\": \"\\u00e9\\u20ac\\ud83d\\ude00\", \"nul\": \"a\\u0000b\", \"dup\": 1, \"dup\": 2,"
	" \"max\": 18446744073709551615, \"over\": 18446744073709551616,"
	" \"imin\": -9223372036854775808, \"iunder\": -9223372036854775809,"
	" \"imax\": 9223372036854775807, \"negz\": -0}";

TEST(looks_up_members_and_elements)
{
	struct json j;
	struct err e = { 0 };
	CHECK_INT(parse(doc, &j, &e), 0);

	CHECK_INT(json_type(&j, 0), JSON_OBJECT);
	CHECK_INT(json_len(&j, 0), 21);
	CHECK_INT(json_type(&j, json_get(&j, 0, "name")), JSON_STRING);
	CHECK_INT(json_type(&j, json_get(&j, 0, "port")), JSON_NUMBER);
	CHECK_INT(json_type(&j, json_get(&j, 0, "on")), JSON_BOOL);
	CHECK_INT(json_type(&j, json_get(&j, 0, "nothing")), JSON_NULL);
	CHECK_INT(json_type(&j, json_get(&j, 0, "list")), JSON_ARRAY);
	CHECK_INT(json_get(&j, 0, "missing"), -1);
	CHECK_INT(json_get(&j, 0, "nam"), -1);
	CHECK_INT(json_get(&j, 0, "names"), -1);
	CHECK_INT(json_get(&j, json_get(&j, 0, "list"), "x"), -1);

	int list = json_get(&j, 0, "list");
	CHECK_INT(json_len(&j, list), 4);
	CHECK_INT(json_type(&j, json_at(&j, list, 0)), JSON_NUMBER);
	CHECK(json_str_eq(&j, json_at(&j, list, 1), "x"));
	CHECK_INT(json_type(&j, json_at(&j, list, 2)), JSON_ARRAY);
	CHECK_INT(json_len(&j, json_at(&j, list, 2)), 0);
	CHECK_INT(json_first(&j, json_at(&j, list, 2)), -1);
	CHECK_INT(json_type(&j, json_at(&j, list, 3)), JSON_OBJECT);
	CHECK_INT(json_at(&j, list, 4), -1);
	CHECK_INT(json_at(&j, list, -1), -1);
	CHECK_INT(json_at(&j, 0, 0), -1);
	CHECK_INT(json_len(&j, json_get(&j, 0, "name")), -1);

	int obj = json_get(&j, 0, "obj");
	CHECK(json_str_eq(&j, json_get(&j, obj, "k"), "v"));
	CHECK_INT(json_len(&j, json_get(&j, obj, "k2")), 2);

	/* Iterating an object: keys and values alternate. */
	int keys = 0, last = -1;
	for (int k = json_first(&j, 0); k >= 0 && k < json_skip(&j, 0); k = json_skip(&j, k + 1)) {
		CHECK_INT(json_type(&j, k), JSON_STRING);
		keys++;
		last = k;
	}
	CHECK_INT(keys, 21);
	CHECK(json_str_eq(&j, last, "negz"));
	CHECK_INT(json_skip(&j, 0), j.ntok);

	/* The last duplicate wins. */
	int64_t v;
	CHECK_INT(json_i64(&j, json_get(&j, 0, "dup"), &v, &e), 0);
	CHECK_INT(v, 2);
	json_free(&j);
}

TEST(typed_getters_check_type_and_range)
{
	struct json j;
	struct err e = { 0 };
	int64_t i;
	uint64_t u;
	bool b;
	char buf[64];

	CHECK_INT(parse(doc, &j, &e), 0);
#define G(k) json_get(&j, 0, k)
	CHECK_INT(json_u64(&j, G("port"), &u, &e), 0);
	CHECK_INT(u, 8080);
	CHECK_INT(json_i64(&j, G("neg"), &i, &e), 0);
	CHECK_INT(i, -42);
	CHECK_INT(json_u64(&j, G("neg"), &u, &e), -ERANGE);
	CHECK_INT(json_u64(&j, G("max"), &u, &e), 0);
	CHECK(u == UINT64_MAX);
	CHECK_INT(json_u64(&j, G("over"), &u, &e), -ERANGE);
	CHECK(strstr(e.msg, "18446744073709551616 is out of range") != NULL);
	CHECK_INT(json_i64(&j, G("max"), &i, &e), -ERANGE);
	CHECK_INT(json_i64(&j, G("imin"), &i, &e), 0);
	CHECK(i == INT64_MIN);
	CHECK_INT(json_i64(&j, G("imax"), &i, &e), 0);
	CHECK(i == INT64_MAX);
	CHECK_INT(json_i64(&j, G("iunder"), &i, &e), -ERANGE);
	CHECK_INT(json_i64(&j, G("negz"), &i, &e), 0);
	CHECK_INT(i, 0);
	CHECK_INT(json_i64(&j, G("pi"), &i, &e), -EINVAL);
	CHECK(strstr(e.msg, "expected an integer, found 3.14") != NULL);
	CHECK_INT(json_u64(&j, G("exp"), &u, &e), -EINVAL);
	CHECK_INT(json_i64(&j, G("name"), &i, &e), -EINVAL);
	CHECK(strstr(e.msg, "expected an integer, found a string") != NULL);
	CHECK_INT(json_bool(&j, G("on"), &b, &e), 0);
	CHECK(b);
	CHECK_INT(json_bool(&j, G("off"), &b, &e), 0);
	CHECK(!b);
	CHECK_INT(json_bool(&j, G("nothing"), &b, &e), -EINVAL);
	CHECK(strstr(e.msg, "expected a boolean, found null") != NULL);
	CHECK_INT(json_bool(&j, G("port"), &b, &e), -EINVAL);
	CHECK_INT(json_str(&j, G("port"), buf, sizeof(buf), &e), -EINVAL);
	CHECK(strstr(e.msg, "expected a string, found a number") != NULL);
	CHECK_INT(json_str(&j, G("list"), buf, sizeof(buf), &e), -EINVAL);
	CHECK(strstr(e.msg, "found an array") != NULL);
	CHECK_INT(json_str(&j, 0, buf, sizeof(buf), &e), -EINVAL);
	CHECK(strstr(e.msg, "offset 0: expected a string, found an object") != NULL);
	CHECK_INT(json_str(&j, G("missing"), buf, sizeof(buf), &e), -ENOENT);
	CHECK(strstr(e.msg, "missing") != NULL);
	CHECK_INT(json_u64(&j, G("missing"), &u, &e), -ENOENT);
	CHECK_INT(json_bool(&j, 1000000, &b, &e), -ENOENT);
	CHECK_INT(json_type(&j, -1), JSON_NULL);
	CHECK_INT(json_skip(&j, -1), -1);
	CHECK(!json_str_eq(&j, G("port"), "8080"));
#undef G
	json_free(&j);
}

TEST(decodes_strings_to_utf8)
{
	struct json j;
	struct err e = { 0 };
	char buf[64], *dup = NULL;

	CHECK_INT(parse(doc, &j, &e), 0);
	CHECK_INT(json_str(&j, json_get(&j, 0, "esc"), buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "a\"b\\c/d\n");
	CHECK_INT(json_str(&j, json_get(&j, 0, "u"), buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	CHECK(json_str_eq(&j, json_get(&j, 0, "u"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
	CHECK(!json_str_eq(&j, json_get(&j, 0, "u"), "\xc3\xa9\xe2\x82\xac"));
	CHECK(!json_str_eq(&j, json_get(&j, 0, "u"), ""));
	CHECK_INT(json_strdup(&j, json_get(&j, 0, "u"), &dup, &e), 0);
	CHECK_STR(dup, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	free(dup);

	/* Exactly fitting, and one byte short. */
	CHECK_INT(json_str(&j, json_get(&j, 0, "name"), buf, 4, &e), 0);
	CHECK_STR(buf, "web");
	CHECK_INT(json_str(&j, json_get(&j, 0, "name"), buf, 3, &e), -ENAMETOOLONG);
	CHECK(strstr(e.msg, "string of 3 bytes, longer than 2") != NULL);
	CHECK_INT(json_str(&j, json_get(&j, 0, "name"), buf, 0, &e), -ENAMETOOLONG);

	/* A NUL inside cannot become a C string. */
	CHECK_INT(json_str(&j, json_get(&j, 0, "nul"), buf, sizeof(buf), &e), -EINVAL);
	CHECK(strstr(e.msg, "\\u0000") != NULL);
	CHECK_INT(json_strdup(&j, json_get(&j, 0, "nul"), &dup, &e), -EINVAL);
	CHECK(!json_str_eq(&j, json_get(&j, 0, "nul"), "a"));
	CHECK(!json_str_eq(&j, json_get(&j, 0, "nul"), "ab"));
	json_free(&j);

	static const struct { const char *in, *out; } cases[] = {
		{ "\"\\u0041\\u0062\"", "Ab" },
		{ "\"\\u007f\\u0080\"", "\x7f\xc2\x80" },
		{ "\"\\u07FF\\u0800\"", "\xdf\xbf\xe0\xa0\x80" },
		{ "\"\\uffff\"", "\xef\xbf\xbf" },
		{ "\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80" },
		{ "\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf" },
		{ "\"\\uD834\\uDD1E clef\"", "\xf0\x9d\x84\x9e clef" },
		{ "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t" },
		{ "\"\\u0001\\u001f\"", "\x01\x1f" },
		{ "\"\"", "" },
		{ "\"\xf0\x9f\x98\x80\\\\\"", "\xf0\x9f\x98\x80\\" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK_INT(parse(cases[i].in, &j, &e), 0);
		CHECK_INT(json_str(&j, 0, buf, sizeof(buf), &e), 0);
		CHECK_STR(buf, cases[i].out);
		CHECK(json_str_eq(&j, 0, cases[i].out));
		json_free(&j);
	}
}

static char *written(struct jw *w)
{
	const char *s = jw_done(w, NULL);
	return s ? strdup(s) : NULL;
}

TEST(writer_escapes_and_separates)
{
	struct jw w;
	char *s;

	jw_init(&w, false);
	jw_obj(&w);
	jw_key(&w, "s");
	jw_str(&w, "q\"b\\s/\n\t\r\b\f\x01\x1f\x7f \xc3\xa9\xf0\x9f\x98\x80");
	jw_key(&w, "k\"");
	jw_i64(&w, INT64_MIN);
	jw_key(&w, "u");
	jw_u64(&w, UINT64_MAX);
	jw_key(&w, "a");
	jw_arr(&w);
	jw_bool(&w, true);
	jw_bool(&w, false);
	jw_null(&w);
	jw_str(&w, NULL);
	jw_arr(&w);
	jw_arr_end(&w);
	jw_obj(&w);
	jw_obj_end(&w);
	jw_strn(&w, "a\0b", 3);
	jw_arr_end(&w);
	jw_key(&w, "bad");
	jw_str(&w, "x\xff\xc3(\xed\xa0\x80y");
	jw_obj_end(&w);
	CHECK_INT(w.err, 0);
	s = written(&w);
	CHECK_STR(s, "{\"s\":\"q\\\"b\\\\s/\\n\\t\\r\\b\\f\\u0001\\u001f\x7f \xc3\xa9\xf0\x9f\x98\x80\","
		  "\"k\\\"\":-9223372036854775808,\"u\":18446744073709551615,"
		  "\"a\":[true,false,null,null,[],{},\"a\\u0000b\"],"
		  "\"bad\":\"x\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy\"}");
	free(s);
	jw_free(&w);
}

TEST(writer_pretty_prints)
{
	struct jw w;
	char *s;

	jw_init(&w, true);
	jw_obj(&w);
	jw_key(&w, "a");
	jw_i64(&w, 1);
	jw_key(&w, "b");
	jw_arr(&w);
	jw_i64(&w, 1);
	jw_obj(&w);
	jw_key(&w, "c");
	jw_null(&w);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_key(&w, "e");
	jw_arr(&w);
	jw_arr_end(&w);
	jw_obj_end(&w);
	s = written(&w);
	CHECK_STR(s, "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    {\n      \"c\": null\n    }\n  ],\n"
		  "  \"e\": []\n}\n");
	free(s);
	jw_free(&w);

	jw_init(&w, true);
	jw_str(&w, "top");
	s = written(&w);
	CHECK_STR(s, "\"top\"\n");
	free(s);
	jw_free(&w);
}

TEST(writer_errors_are_sticky)
{
	struct jw w;

	jw_init(&w, false);	/* a value where a key belongs */
	jw_obj(&w);
	jw_i64(&w, 1);
	jw_key(&w, "a");
	jw_i64(&w, 1);
	jw_obj_end(&w);
	CHECK_INT(w.err, -EINVAL);
	CHECK(jw_done(&w, NULL) == NULL);
	jw_free(&w);

	jw_init(&w, false);	/* a key in an array */
	jw_arr(&w);
	jw_key(&w, "a");
	CHECK_INT(w.err, -EINVAL);
	jw_free(&w);

	jw_init(&w, false);	/* two keys in a row */
	jw_obj(&w);
	jw_key(&w, "a");
	jw_key(&w, "b");
	CHECK_INT(w.err, -EINVAL);
	jw_free(&w);

	jw_init(&w, false);	/* mismatched close */
	jw_obj(&w);
	jw_arr_end(&w);
	CHECK_INT(w.err, -EINVAL);
	jw_free(&w);

	jw_init(&w, false);	/* key without value */
	jw_obj(&w);
	jw_key(&w, "a");
	jw_obj_end(&w);
	CHECK_INT(w.err, -EINVAL);
	jw_free(&w);

	jw_init(&w, false);	/* two top-level values */
	jw_i64(&w, 1);
	jw_i64(&w, 2);
	CHECK_INT(w.err, -EINVAL);
	jw_free(&w);

	jw_init(&w, false);	/* unclosed, and nothing */
	jw_arr(&w);
	CHECK(jw_done(&w, NULL) == NULL);
	jw_free(&w);
	jw_init(&w, false);
	CHECK(jw_done(&w, NULL) == NULL);
	jw_free(&w);

	jw_init(&w, false);	/* deeper than the parser takes */
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		jw_arr(&w);
	CHECK_INT(w.err, 0);
	jw_arr(&w);
	CHECK_INT(w.err, -EINVAL);
	jw_free(&w);

	jw_init(&w, false);	/* close at depth 0 */
	jw_arr_end(&w);
	CHECK_INT(w.err, -EINVAL);
	jw_free(&w);
}

/* The tricky document shared with tests/integration/05-json.sh. */
static const char *const tricky_str[][2] = {
	{ "quote", "say \"hi\"" },
	{ "backslash", "C:\\dir\\" },
	{ "controls", "\x01\x02\b\f\n\r\t\x1f end" },
	{ "unicode", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf0\x9d\x84\x9e" },
	{ "slash", "</script>" },
	{ "del", "\x7f" },
	{ "empty", "" },
	{ "key \"with\" \xe2\x9c\x93\n", "value" },
};
static const int64_t tricky_i64[] = { 0, -1, 1, 9007199254740991, -9007199254740991 };
static const int64_t tricky_big[] = { INT64_MIN, INT64_MAX };

static void write_tricky(struct jw *w)
{
	jw_obj(w);
	for (size_t i = 0; i < ARRAY_SIZE(tricky_str); i++) {
		jw_key(w, tricky_str[i][0]);
		jw_str(w, tricky_str[i][1]);
	}
	jw_key(w, "ints");
	jw_arr(w);
	for (size_t i = 0; i < ARRAY_SIZE(tricky_i64); i++)
		jw_i64(w, tricky_i64[i]);
	jw_arr_end(w);
	jw_key(w, "big");
	jw_arr(w);
	for (size_t i = 0; i < ARRAY_SIZE(tricky_big); i++)
		jw_i64(w, tricky_big[i]);
	jw_u64(w, UINT64_MAX);
	jw_arr_end(w);
	jw_key(w, "flags");
	jw_obj(w);
	jw_key(w, "yes");
	jw_bool(w, true);
	jw_key(w, "no");
	jw_bool(w, false);
	jw_key(w, "none");
	jw_null(w);
	jw_key(w, "empty_obj");
	jw_obj(w);
	jw_obj_end(w);
	jw_key(w, "empty_arr");
	jw_arr(w);
	jw_arr_end(w);
	jw_obj_end(w);
	jw_key(w, "nested");
	for (int i = 0; i < 20; i++)
		jw_arr(w);
	jw_str(w, "deep");
	for (int i = 0; i < 20; i++)
		jw_arr_end(w);
	jw_obj_end(w);
}

/* Checks a parsed tricky document; returns the number of mismatches. */
static int check_tricky(const char *text, size_t len, bool lossy)
{
	struct json j;
	struct err e = { 0 };
	char buf[256];
	int bad = 0;
#define EXPECT(c) do { if (!(c)) { printf("#   mismatch: %s\n", #c); bad++; } } while (0)

	if (json_parse(&j, text, len, &e) < 0) {
		printf("#   %s\n", e.msg);
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tricky_str); i++) {
		int v = json_get(&j, 0, tricky_str[i][0]);
		EXPECT(json_str(&j, v, buf, sizeof(buf), &e) == 0);
		EXPECT(!strcmp(buf, tricky_str[i][1]));
		EXPECT(json_str_eq(&j, v, tricky_str[i][1]));
	}
	int a = json_get(&j, 0, "ints");
	EXPECT(json_len(&j, a) == (int)ARRAY_SIZE(tricky_i64));
	for (size_t i = 0; i < ARRAY_SIZE(tricky_i64); i++) {
		int64_t v = 42;
		EXPECT(json_i64(&j, json_at(&j, a, (int)i), &v, &e) == 0 && v == tricky_i64[i]);
	}
	a = json_get(&j, 0, "big");
	EXPECT(json_len(&j, a) == 3);
	if (!lossy) {
		int64_t v = 0;
		uint64_t u = 0;
		EXPECT(json_i64(&j, json_at(&j, a, 0), &v, &e) == 0 && v == INT64_MIN);
		EXPECT(json_i64(&j, json_at(&j, a, 1), &v, &e) == 0 && v == INT64_MAX);
		EXPECT(json_u64(&j, json_at(&j, a, 2), &u, &e) == 0 && u == UINT64_MAX);
	}
	int f = json_get(&j, 0, "flags");
	bool b = false;
	EXPECT(json_bool(&j, json_get(&j, f, "yes"), &b, &e) == 0 && b);
	EXPECT(json_bool(&j, json_get(&j, f, "no"), &b, &e) == 0 && !b);
	EXPECT(json_get(&j, f, "none") >= 0 && json_type(&j, json_get(&j, f, "none")) == JSON_NULL);
	EXPECT(json_type(&j, json_get(&j, f, "empty_obj")) == JSON_OBJECT);
	EXPECT(json_len(&j, json_get(&j, f, "empty_obj")) == 0);
	EXPECT(json_type(&j, json_get(&j, f, "empty_arr")) == JSON_ARRAY);
	EXPECT(json_len(&j, json_get(&j, f, "empty_arr")) == 0);
	int t = json_get(&j, 0, "nested");
	for (int i = 0; i < 20; i++) {
		EXPECT(json_len(&j, t) == 1);
		t = json_at(&j, t, 0);
	}
	EXPECT(json_str_eq(&j, t, "deep"));
	EXPECT(json_len(&j, 0) == (int)ARRAY_SIZE(tricky_str) + 4);
#undef EXPECT
	json_free(&j);
	return bad;
}

TEST(round_trips_through_writer_and_parser)
{
	for (int pretty = 0; pretty < 2; pretty++) {
		struct jw w;
		size_t len = 0;
		jw_init(&w, pretty);
		write_tricky(&w);
		const char *s = jw_done(&w, &len);
		CHECK(s != NULL);
		if (s) {
			CHECK_INT(strlen(s), len);
			CHECK_INT(check_tricky(s, len, false), 0);
		}
		jw_free(&w);
	}
}

/* Every byte string survives jw_strn -> parse -> json_str when it is
 * UTF-8 without NUL. */
TEST(round_trips_every_single_byte_and_pair)
{
	char in[3], out[16];
	struct json j;
	struct err e = { 0 };
	int failures = 0;

	for (int c = 1; c < 256; c++) {
		for (int d = 1; d < 256; d++) {
			struct jw w;
			size_t len;
			in[0] = (char)c;
			in[1] = (char)d;
			in[2] = 0;
			jw_init(&w, false);
			jw_str(&w, in);
			const char *s = jw_done(&w, &len);
			if (!s || json_parse(&j, s, len, &e) < 0 ||
			    json_str(&j, 0, out, sizeof(out), &e) < 0) {
				failures++;
			} else if (c < 0x80 && d < 0x80 && strcmp(in, out)) {
				failures++;
			} else if (c >= 0xc2 && c <= 0xdf && (d & 0xc0) == 0x80 && strcmp(in, out)) {
				failures++;
			}
			json_free(&j);
			jw_free(&w);
		}
	}
	CHECK_INT(failures, 0);
}

static int write_file(const char *path)
{
	struct jw w;
	size_t len;
	jw_init(&w, true);
	write_tricky(&w);
	const char *s = jw_done(&w, &len);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = !s || fd < 0 || write_all(fd, s, len) < 0;
	if (fd >= 0)
		close(fd);
	jw_free(&w);
	return r;
}

static int check_file(const char *path, bool lossy)
{
	char *text;
	size_t len;
	struct err e = { 0 };
	if (read_file(path, JSON_MAX_SIZE, &text, &len, &e) < 0) {
		printf("#   %s\n", e.msg);
		return 1;
	}
	int bad = check_tricky(text, len, lossy);
	free(text);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "write"))
		return write_file(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "parse")) {	/* exit 0 when accepted */
		char *text;
		size_t len;
		struct json j;
		struct err e = { 0 };
		int r = read_file(argv[2], JSON_MAX_SIZE, &text, &len, &e);
		if (r == 0 && (r = json_parse(&j, text, len, &e)) == 0)
			json_free(&j);
		if (r < 0)
			printf("%s\n", e.msg);
		free(text);
		return r < 0;
	}
	if (argc > 2 && !strcmp(argv[1], "check"))
		return check_file(argv[2], argc > 3 && !strcmp(argv[3], "lossy"));

	RUN(accepts_valid_documents);
	RUN(rejects_invalid_documents_with_offsets);
	RUN(rejects_over_the_limits_naming_them);
	RUN(looks_up_members_and_elements);
	RUN(typed_getters_check_type_and_range);
	RUN(decodes_strings_to_utf8);
	RUN(writer_escapes_and_separates);
	RUN(writer_pretty_prints);
	RUN(writer_errors_are_sticky);
	RUN(round_trips_through_writer_and_parser);
	RUN(round_trips_every_single_byte_and_pair);
	DONE();
}
