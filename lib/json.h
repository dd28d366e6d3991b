/* JSON: a strict validating parser over jsmn, typed lookups, and a writer.
 *
 * The parser rejects everything RFC 8259 rejects (trailing garbage, lone
 * surrogates, raw control characters in strings, leading zeros, bad
 * literals, unterminated input) with the byte offset in the message. */
#ifndef CORRAL_JSON_H
#define CORRAL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define JSON_MAX_SIZE  (16u << 20)	/* bytes of input */
#define JSON_MAX_DEPTH 64		/* nested objects/arrays */
#define JSON_MAX_TOKENS (1u << 20)

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_tok;		/* private */
struct json {
	const char *text;	/* the caller's buffer; must outlive the json */
	size_t len;
	struct json_tok *tok;
	int ntok;
};

/* Parses and validates text[0..len). Token 0 is the root value. */
int json_parse(struct json *j, const char *text, size_t len, struct err *e);
void json_free(struct json *j);

/* Lookups take t < 0 (a missing member) as well: json_type() says
 * JSON_NULL, the typed getters fail with -ENOENT. */
enum json_type json_type(const struct json *j, int t);
/* Number of members of an object or elements of an array; -1 otherwise. */
int json_len(const struct json *j, int t);
/* Value token of member key in object t, or -1. With duplicate keys the
 * last one wins (as in jq and Python). */
int json_get(const struct json *j, int t, const char *key);
/* Token of element i of array t, or -1. */
int json_at(const struct json *j, int t, int i);
/* Iterating: first child of t (object: the first key; array: first element;
 * -1 when empty), and the token after the whole subtree of t (j->ntok after
 * the last; O(log n)). For an object, a key's value is key+1 and the next
 * key is json_skip(j, key + 1); stop when reaching json_skip(j, t). */
int json_first(const struct json *j, int t);
int json_skip(const struct json *j, int t);

/* Decoded string (escapes resolved, UTF-8 out) into buf; -ENAMETOOLONG
 * if it does not fit, -EINVAL if t is not a string or the string holds
 * \u0000 (no C string can carry it). */
int json_str(const struct json *j, int t, char *buf, size_t n, struct err *e);
/* Same, malloc'd. */
int json_strdup(const struct json *j, int t, char **out, struct err *e);
/* Compares the decoded string value of t with s. */
bool json_str_eq(const struct json *j, int t, const char *s);
/* Integers only (no fraction, no exponent): -EINVAL otherwise, -ERANGE
 * when the value does not fit. */
int json_i64(const struct json *j, int t, int64_t *out, struct err *e);
int json_u64(const struct json *j, int t, uint64_t *out, struct err *e);
int json_bool(const struct json *j, int t, bool *out, struct err *e);

/* The writer: appends to a growing buffer; errors are sticky (jw.err).
 * Strings are escaped (", \\, control characters); bytes that are not
 * UTF-8 become U+FFFD, so the output is always valid JSON. */
struct jw {
	char *buf;
	size_t len, cap;
	int err;		/* -ENOMEM or -EINVAL (misuse), 0 when fine */
	int depth;
	bool pretty;
	uint64_t first;		/* bit d: nothing written yet at depth d+1 */
	uint64_t obj;		/* bit d: the container at depth d+1 is an object */
	bool after_key;
};
void jw_init(struct jw *w, bool pretty);
void jw_obj(struct jw *w);		/* { */
void jw_obj_end(struct jw *w);		/* } */
void jw_arr(struct jw *w);		/* [ */
void jw_arr_end(struct jw *w);		/* ] */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);	/* escapes; NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_i64(struct jw *w, int64_t v);
void jw_u64(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Finishes, once (adds a newline when pretty), and returns the NUL-terminated
 * text (owned by w) or NULL on error. */
const char *jw_done(struct jw *w, size_t *len);
void jw_free(struct jw *w);

#endif
