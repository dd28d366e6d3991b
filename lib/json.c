/* JSON: a strict grammar check, then jsmn for the tokens; typed lookups
 * over them; and a small writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "json.h"

/* struct json_tok is never defined: j->tok points at jsmn's tokens. */
static const jsmntok_t *tk(const struct json *j, int t)
{
	if (!j || !j->tok || t < 0 || t >= j->ntok)
		return NULL;
	return (const jsmntok_t *)(const void *)j->tok + t;
}

/* Length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no
 * overlongs, no surrogates, nothing past U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t k;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < k || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			(c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* ---- validation: RFC 8259, byte offsets in every message ---- */

struct vp {
	const unsigned char *s;
	size_t len, pos;
	unsigned ntok;
	struct err *e;
};

static int bad(struct vp *v, size_t off, const char *what)
{
	return err_set(v->e, EINVAL, "offset %zu: %s", off, what);
}

static int unexpected(struct vp *v, const char *want)
{
	if (v->pos >= v->len)
		return err_set(v->e, EINVAL, "offset %zu: unexpected end of input, expected %s",
			       v->pos, want);
	unsigned c = v->s[v->pos];
	if (c > 0x20 && c < 0x7f)
		return err_set(v->e, EINVAL, "offset %zu: unexpected '%c', expected %s",
			       v->pos, (int)c, want);
	return err_set(v->e, EINVAL, "offset %zu: unexpected byte 0x%02x, expected %s",
		       v->pos, c, want);
}

static int peek(struct vp *v)
{
	while (v->pos < v->len) {
		unsigned c = v->s[v->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return (int)c;
		v->pos++;
	}
	return -1;
}

static int count_token(struct vp *v)
{
	if (++v->ntok > JSON_MAX_TOKENS)
		return err_set(v->e, E2BIG, "offset %zu: more than %u values (limit)",
			       v->pos, JSON_MAX_TOKENS);
	return 0;
}

static int check_string(struct vp *v)
{
	size_t start = v->pos++;

	for (;;) {
		if (v->pos >= v->len)
			return bad(v, start, "unterminated string");
		unsigned c = v->s[v->pos];
		if (c == '"') {
			v->pos++;
			return count_token(v);
		}
		if (c < 0x20)
			return bad(v, v->pos, "raw control character in string");
		if (c >= 0x80) {
			size_t k = utf8_len(v->s + v->pos, v->len - v->pos);
			if (!k)
				return bad(v, v->pos, "invalid UTF-8 in string");
			v->pos += k;
			continue;
		}
		if (c != '\\') {
			v->pos++;
			continue;
		}
		size_t esc = v->pos++;
		if (v->pos >= v->len)
			return bad(v, start, "unterminated string");
		c = v->s[v->pos++];
		if (strchr("\"\\/bfnrt", (int)c) && c)
			continue;
		if (c != 'u')
			return bad(v, esc, "invalid escape in string");
		const char *p = (const char *)v->s + v->pos;
		int u = v->len - v->pos >= 4 ? hex4(p) : -1;
		if (u < 0)
			return bad(v, esc, "invalid \\u escape in string");
		v->pos += 4;
		if (u >= 0xdc00 && u <= 0xdfff)
			return bad(v, esc, "lone low surrogate in string");
		if (u < 0xd800 || u > 0xdbff)
			continue;
		int lo = v->len - v->pos >= 6 && p[4] == '\\' && p[5] == 'u' ? hex4(p + 6) : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return bad(v, esc, "high surrogate not followed by a low surrogate");
		v->pos += 6;
	}
}

static int check_number(struct vp *v)
{
	size_t start = v->pos;
	const unsigned char *s = v->s;
#define DIGIT(i) ((i) < v->len && s[i] >= '0' && s[i] <= '9')

	if (s[v->pos] == '-')
		v->pos++;
	if (!DIGIT(v->pos))
		return bad(v, start, "bad number: expected a digit");
	if (s[v->pos] == '0' && DIGIT(v->pos + 1))
		return bad(v, start, "leading zero in number");
	while (DIGIT(v->pos))
		v->pos++;
	if (v->pos < v->len && s[v->pos] == '.') {
		v->pos++;
		if (!DIGIT(v->pos))
			return bad(v, start, "bad number: expected a digit after '.'");
		while (DIGIT(v->pos))
			v->pos++;
	}
	if (v->pos < v->len && (s[v->pos] | 0x20) == 'e') {
		v->pos++;
		if (v->pos < v->len && (s[v->pos] == '+' || s[v->pos] == '-'))
			v->pos++;
		if (!DIGIT(v->pos))
			return bad(v, start, "bad number: expected a digit in the exponent");
		while (DIGIT(v->pos))
			v->pos++;
	}
#undef DIGIT
	return count_token(v);
}

static int check_literal(struct vp *v)
{
	static const char *const lit[] = { "true", "false", "null" };
	size_t start = v->pos;

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(lit[i]);
		if (v->len - start >= n && !memcmp(v->s + start, lit[i], n)) {
			v->pos += n;
			unsigned c = v->pos < v->len ? v->s[v->pos] : 0;
			if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
				break;
			return count_token(v);
		}
	}
	return bad(v, start, "invalid literal (want true, false or null)");
}

static int check_value(struct vp *v, int depth)
{
	int c = peek(v), r;

	switch (c) {
	case '"':
		return check_string(v);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return check_number(v);
	case '+': case '.':
		return bad(v, v->pos, "bad number: must start with '-' or a digit");
	case 't': case 'f': case 'n':
		return check_literal(v);
	case '{': case '[':
		break;
	default:
		return unexpected(v, "a value");
	}

	int close = c == '{' ? '}' : ']';
	if (depth >= JSON_MAX_DEPTH)
		return err_set(v->e, E2BIG, "offset %zu: nested deeper than %d levels (limit)",
			       v->pos, JSON_MAX_DEPTH);
	if ((r = count_token(v)) < 0)
		return r;
	v->pos++;
	if (peek(v) == close) {
		v->pos++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (peek(v) != '"')
				return unexpected(v, "a string as object key");
			if ((r = check_string(v)) < 0)
				return r;
			if (peek(v) != ':')
				return unexpected(v, "':' after object key");
			v->pos++;
		}
		if ((r = check_value(v, depth + 1)) < 0)
			return r;
		c = peek(v);
		if (c == close) {
			v->pos++;
			return 0;
		}
		if (c != ',')
			return unexpected(v, close == '}' ? "',' or '}'" : "',' or ']'");
		size_t comma = v->pos++;
		if (peek(v) == close)
			return bad(v, comma, "trailing comma");
	}
}

int json_parse(struct json *j, const char *text, size_t len, struct err *e)
{
	struct vp v = { (const unsigned char *)text, len, 0, 0, e };
	int r;

	memset(j, 0, sizeof(*j));
	if (len > JSON_MAX_SIZE)
		return err_set(e, EFBIG, "%zu bytes of JSON, more than the limit of %u",
			       len, JSON_MAX_SIZE);
	if (!text)
		return err_set(e, EINVAL, "offset 0: unexpected end of input, expected a value");
	if ((r = check_value(&v, 0)) < 0)
		return r;
	if (peek(&v) >= 0)
		return unexpected(&v, "end of input after the value");

	jsmntok_t *tok = malloc(v.ntok * sizeof(*tok));
	if (!tok)
		return err_set(e, ENOMEM, "%u JSON tokens: out of memory", v.ntok);
	jsmn_parser p;
	jsmn_init(&p);
	r = jsmn_parse(&p, text, len, tok, v.ntok);
	if (r != (int)v.ntok) {
		free(tok);
		return err_set(e, EINVAL, "offset %u: tokenizer failed (%d)", p.pos, r);
	}
	j->text = text;
	j->len = len;
	j->tok = (struct json_tok *)(void *)tok;
	j->ntok = r;
	return 0;
}

void json_free(struct json *j)
{
	free(j->tok);
	memset(j, 0, sizeof(*j));
}

/* ---- lookups ---- */

static enum json_type type_of(const struct json *j, const jsmntok_t *t)
{
	switch (t->type) {
	case JSMN_OBJECT: return JSON_OBJECT;
	case JSMN_ARRAY: return JSON_ARRAY;
	case JSMN_STRING: return JSON_STRING;
	default: break;
	}
	char c = j->text[t->start];
	return c == 'n' ? JSON_NULL : c == 't' || c == 'f' ? JSON_BOOL : JSON_NUMBER;
}

enum json_type json_type(const struct json *j, int t)
{
	const jsmntok_t *p = tk(j, t);
	return p ? type_of(j, p) : JSON_NULL;
}

int json_len(const struct json *j, int t)
{
	const jsmntok_t *p = tk(j, t);
	return p && (p->type == JSMN_OBJECT || p->type == JSMN_ARRAY) ? p->size : -1;
}

int json_first(const struct json *j, int t)
{
	return json_len(j, t) > 0 ? t + 1 : -1;
}

/* Tokens are in document order, so the subtree of t ends at the first
 * token that starts at or after t's end. */
int json_skip(const struct json *j, int t)
{
	const jsmntok_t *p = tk(j, t), *base = (const jsmntok_t *)(const void *)j->tok;
	if (!p)
		return -1;
	int lo = t + 1, hi = j->ntok;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (base[mid].start >= p->end)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int json_at(const struct json *j, int t, int i)
{
	const jsmntok_t *p = tk(j, t);
	if (!p || p->type != JSMN_ARRAY || i < 0 || i >= p->size)
		return -1;
	int c = t + 1;
	while (i--)
		c = json_skip(j, c);
	return c;
}

/* Decodes one unit of a validated string (a byte, or an escape with a
 * surrogate pair taken whole) into out; returns its length in bytes. */
static int unit(const char **pp, char out[4])
{
	const char *p = *pp;
	if (*p != '\\') {
		*pp = p + 1;
		out[0] = *p;
		return 1;
	}
	char c = p[1];
	*pp = p + 2;
	if (c != 'u') {
		static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
		const char *f = strchr(from, c);
		out[0] = f ? to[f - from] : c;
		return 1;
	}
	unsigned cp = (unsigned)hex4(p + 2);
	*pp = p + 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)hex4(p + 8) - 0xdc00);
		*pp = p + 12;
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static const char *const type_name[] = {
	"null", "a boolean", "a number", "a string", "an array", "an object",
};

static const jsmntok_t *want(const struct json *j, int t, enum json_type ty,
			     const char *what, struct err *e, int *r)
{
	const jsmntok_t *p = tk(j, t);
	if (!p) {
		*r = err_set(e, ENOENT, "missing value, expected %s", what);
		return NULL;
	}
	enum json_type got = type_of(j, p);
	if (got != ty) {
		*r = err_set(e, EINVAL, "offset %d: expected %s, found %s",
			     p->start - (p->type == JSMN_STRING), what, type_name[got]);
		return NULL;
	}
	return p;
}

/* Decodes string p into out (at most n bytes written); returns the full
 * length, or -1 if it holds a NUL, which no C string can carry. */
static long decode(const struct json *j, const jsmntok_t *p, char *out, size_t n)
{
	const char *s = j->text + p->start, *end = j->text + p->end;
	size_t len = 0;
	char u[4];

	while (s < end) {
		int k = unit(&s, u);
		for (int i = 0; i < k; i++, len++) {
			if (!u[i])
				return -1;
			if (len < n)
				out[len] = u[i];
		}
	}
	return (long)len;
}

static int str_common(const struct json *j, int t, char *buf, size_t n, char **dup,
		      struct err *e)
{
	int r = 0;
	const jsmntok_t *p = want(j, t, JSON_STRING, "a string", e, &r);
	if (!p)
		return r;
	long len = decode(j, p, NULL, 0);
	if (len < 0)
		return err_set(e, EINVAL, "offset %d: string contains \\u0000", p->start - 1);
	if (dup) {
		buf = malloc((size_t)len + 1);
		if (!buf)
			return err_set(e, ENOMEM, "offset %d: string of %ld bytes: out of memory",
				       p->start - 1, len);
		*dup = buf;
	} else if ((size_t)len >= n) {
		return err_set(e, ENAMETOOLONG, "offset %d: string of %ld bytes, longer than %zu",
			       p->start - 1, len, n ? n - 1 : 0);
	}
	decode(j, p, buf, (size_t)len);
	buf[len] = 0;
	return 0;
}

int json_str(const struct json *j, int t, char *buf, size_t n, struct err *e)
{
	return str_common(j, t, buf, n, NULL, e);
}

int json_strdup(const struct json *j, int t, char **out, struct err *e)
{
	return str_common(j, t, NULL, 0, out, e);
}

bool json_str_eq(const struct json *j, int t, const char *s)
{
	const jsmntok_t *p = tk(j, t);
	if (!p || p->type != JSMN_STRING)
		return false;
	const char *q = j->text + p->start, *end = j->text + p->end;
	char u[4];
	while (q < end) {
		int k = unit(&q, u);
		for (int i = 0; i < k; i++, s++)
			if (!*s || *s != u[i])
				return false;
	}
	return !*s;
}

/* Duplicate keys are valid JSON; like jq, Python and JavaScript, the last wins. */
int json_get(const struct json *j, int t, const char *key)
{
	int n = json_len(j, t), found = -1;
	if (n < 0 || type_of(j, tk(j, t)) != JSON_OBJECT)
		return -1;
	for (int k = t + 1; n-- > 0; k = json_skip(j, k + 1))
		if (json_str_eq(j, k, key))
			found = k + 1;
	return found;
}

static int integer(const struct json *j, int t, bool neg_ok, uint64_t max_pos,
		   uint64_t *mag, bool *neg, struct err *e)
{
	int r = 0;
	const jsmntok_t *p = want(j, t, JSON_NUMBER, "an integer", e, &r);
	if (!p)
		return r;
	const char *s = j->text + p->start;
	int n = p->end - p->start;
	uint64_t v = 0;
	bool over = false;

	*neg = *s == '-';
	for (int i = *neg; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return err_set(e, EINVAL, "offset %d: expected an integer, found %.*s",
				       p->start, n > 40 ? 40 : n, s);
		unsigned d = (unsigned)(s[i] - '0');
		over |= v > (UINT64_MAX - d) / 10;
		v = v * 10 + d;
	}
	if (over || (*neg && !neg_ok && v) || v > (*neg ? max_pos + 1 : max_pos))
		return err_set(e, ERANGE, "offset %d: %.*s is out of range", p->start,
			       n > 40 ? 40 : n, s);
	*mag = v;
	return 0;
}

int json_i64(const struct json *j, int t, int64_t *out, struct err *e)
{
	uint64_t v;
	bool neg;
	int r = integer(j, t, true, INT64_MAX, &v, &neg, e);
	if (r < 0)
		return r;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int json_u64(const struct json *j, int t, uint64_t *out, struct err *e)
{
	bool neg;
	return integer(j, t, false, UINT64_MAX, out, &neg, e);
}

int json_bool(const struct json *j, int t, bool *out, struct err *e)
{
	int r = 0;
	const jsmntok_t *p = want(j, t, JSON_BOOL, "a boolean", e, &r);
	if (!p)
		return r;
	*out = j->text[p->start] == 't';
	return 0;
}

/* ---- writer ---- */

static bool reserve(struct jw *w, size_t n)
{
	if (w->err)
		return false;
	if (w->len + n + 1 <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : 256;
	while (cap < w->len + n + 1)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (!b) {
		w->err = -ENOMEM;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (reserve(w, n)) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
		w->buf[w->len] = 0;
	}
}

static void misuse(struct jw *w)
{
	if (!w->err)
		w->err = -EINVAL;
}

static void newline(struct jw *w, int depth)
{
	if (!w->pretty)
		return;
	put(w, "\n", 1);
	for (int i = 0; i < depth; i++)
		put(w, "  ", 2);
}

/* Before any value or key: the separator and the indentation. */
static void begin(struct jw *w, bool key)
{
	uint64_t bit = w->depth ? (uint64_t)1 << (w->depth - 1) : 0;
	bool in_obj = w->obj & bit;

	if (w->after_key) {
		if (key)
			misuse(w);
		w->after_key = false;
		return;
	}
	if (!w->depth ? key || w->len : in_obj != key) {
		misuse(w);
		return;
	}
	if (!w->depth)
		return;
	if (!(w->first & bit))
		put(w, ",", 1);
	w->first &= ~bit;
	newline(w, w->depth);
}

static void open_c(struct jw *w, bool obj)
{
	begin(w, false);
	if (w->depth >= JSON_MAX_DEPTH) {
		misuse(w);
		return;
	}
	put(w, obj ? "{" : "[", 1);
	uint64_t bit = (uint64_t)1 << w->depth++;
	w->first |= bit;
	w->obj = obj ? w->obj | bit : w->obj & ~bit;
}

static void close_c(struct jw *w, bool obj)
{
	uint64_t bit = w->depth ? (uint64_t)1 << (w->depth - 1) : 0;
	if (!w->depth || w->after_key || !(w->obj & bit) != !obj) {
		misuse(w);
		return;
	}
	w->depth--;
	if (!(w->first & bit))
		newline(w, w->depth);
	put(w, obj ? "}" : "]", 1);
}

void jw_init(struct jw *w, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->pretty = pretty;
}

void jw_obj(struct jw *w) { open_c(w, true); }
void jw_obj_end(struct jw *w) { close_c(w, true); }
void jw_arr(struct jw *w) { open_c(w, false); }
void jw_arr_end(struct jw *w) { close_c(w, false); }

static void quoted(struct jw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	put(w, "\"", 1);
	while (i < n) {
		unsigned c = p[i];
		size_t k = utf8_len(p + i, n - i);
		if (k && c >= 0x20 && c != '"' && c != '\\') {
			i += k;
			run += k;
			continue;
		}
		put(w, s + i - run, run);
		run = 0;
		char esc[8];
		const char *from = "\"\\\b\f\n\r\t", *to = "\"\\bfnrt", *f = c ? strchr(from, (int)c) : NULL;
		if (!k) {
			put(w, "\xef\xbf\xbd", 3);	/* U+FFFD for a byte that is not UTF-8 */
		} else if (f) {
			esc[0] = '\\';
			esc[1] = to[f - from];
			put(w, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		}
		i++;
	}
	put(w, s + i - run, run);
	put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *k)
{
	begin(w, true);
	quoted(w, k, strlen(k));
	put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	begin(w, false);
	quoted(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	if (!s)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

static void raw(struct jw *w, const char *s)
{
	begin(w, false);
	put(w, s, strlen(s));
}

void jw_i64(struct jw *w, int64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%lld", (long long)v);
	raw(w, b);
}

void jw_u64(struct jw *w, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	raw(w, b);
}

void jw_bool(struct jw *w, bool v) { raw(w, v ? "true" : "false"); }
void jw_null(struct jw *w) { raw(w, "null"); }

const char *jw_done(struct jw *w, size_t *len)
{
	if (w->depth || w->after_key || !w->len)
		misuse(w);
	if (w->pretty)
		put(w, "\n", 1);
	if (w->err)
		return NULL;
	if (len)
		*len = w->len;
	return w->buf;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
