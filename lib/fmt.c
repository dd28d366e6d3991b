/* lib/fmt.c: the printf family's formatting for corral, in place of musl's
 * vfprintf, most of which is the floating-point conversions (%e, %g, %a,
 * long double) corral never uses. Flags - 0 + space #, width and precision
 * (also *), lengths hh h l ll j z t L, conversions d i u x X o c s p f F %.
 * %f prints doubles up to 2^64 exactly to 17 digits, rounding half up.
 * Every printf-family function of libc ends here; defining snprintf too
 * makes the static link take this file before libc is searched. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void put(FILE *f, const char *s, size_t n, size_t *cnt)
{
	if (n)
		fwrite(s, 1, n, f);
	*cnt += n;
}

static void pad(FILE *f, char c, long n, size_t *cnt)
{
	char b[32];
	memset(b, c, sizeof(b));
	for (; n > 0; n -= sizeof(b))
		put(f, b, n < (long)sizeof(b) ? (size_t)n : sizeof(b), cnt);
}

/* digits of v in base (8, 10, 16) ending at end; returns their start */
static char *digits(char *end, unsigned long long v, unsigned base, int upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do
		*--end = d[v % base];
	while (v /= base);
	return end;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	size_t cnt = 0;
	va_list a;
	va_copy(a, ap);
	while (*fmt) {
		const char *p = strchr(fmt, '%');
		if (!p)
			p = fmt + strlen(fmt);
		put(f, fmt, p - fmt, &cnt);
		if (!*p)
			break;
		fmt = p + 1;
		int left = 0, zero = 0, alt = 0, lng = 0;
		char sign = 0;
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				zero = 1;
			else if (*fmt == '+')
				sign = '+';
			else if (*fmt == ' ')
				sign = sign ? sign : ' ';
			else if (*fmt == '#')
				alt = 1;
			else
				break;
		}
		long width = 0, prec = -1;
		if (*fmt == '*') {
			width = va_arg(a, int);
			if (width < 0) {
				left = 1;
				width = -width;
			}
			fmt++;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + *fmt - '0';
		if (*fmt == '.') {
			prec = 0;
			if (*++fmt == '*') {
				prec = va_arg(a, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + *fmt - '0';
		}
		for (;; fmt++) {
			if (*fmt == 'l' || *fmt == 'j' || *fmt == 'z' || *fmt == 't')
				lng++;
			else if (*fmt != 'h' && *fmt != 'L')
				break;
		}
		char c = *fmt, buf[48], *s = buf + sizeof(buf), *e = s;
		const char *pre = "";
		unsigned long long u = 0;
		if (!c)
			break;
		fmt++;
		switch (c) {
		case 'd':
		case 'i': {
			long long v = lng > 1 ? va_arg(a, long long) : lng ? va_arg(a, long) : va_arg(a, int);
			u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
			if (v < 0)
				sign = '-';
			goto num;
		}
		case 'p':
			u = (uintptr_t)va_arg(a, void *);
			alt = 1;
			c = 'x';
			goto num;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = lng > 1 ? va_arg(a, unsigned long long) : lng ? va_arg(a, unsigned long)
			    : va_arg(a, unsigned);
			sign = 0;
		num:
			if (prec >= 0)
				zero = 0;
			if (u || prec)
				s = digits(e, u, c == 'o' ? 8 : c == 'x' || c == 'X' ? 16 : 10, c == 'X');
			while (e - s < prec)
				*--s = '0';
			if (alt && u && (c == 'x' || c == 'X'))
				pre = c == 'x' ? "0x" : "0X";
			else if (alt && c == 'o' && *s != '0')
				*--s = '0';
			break;
		case 'f':
		case 'F': {
			double v = va_arg(a, double);
			if (prec < 0)
				prec = 6;
			if (prec > 17)
				prec = 17;
			if (v < 0) {
				sign = '-';
				v = -v;
			}
			if (v != v || v > 1.8e19) {
				s = (char *)(v != v ? "nan" : "inf");
				e = s + 3;
				zero = 0;
				break;
			}
			unsigned long long ip = (unsigned long long)v, fr = 0, sc = 1;
			for (long i = 0; i < prec; i++)
				sc *= 10;
			double r = (v - (double)ip) * (double)sc + 0.5;
			fr = (unsigned long long)r;
			if (fr >= sc) {
				fr -= sc;
				ip++;
			}
			if (prec || alt) {
				s = digits(e, fr, 10, 0);
				while (e - s < prec)
					*--s = '0';
				if (!prec)
					s = e;
				*--s = '.';
			}
			s = digits(s, ip, 10, 0);
			break;
		}
		case 'c':
			*--s = (char)va_arg(a, int);
			zero = 0;
			break;
		case 's':
			s = va_arg(a, char *);
			if (!s)
				s = "(null)";
			e = s + (prec >= 0 ? strnlen(s, prec) : strlen(s));
			zero = 0;
			break;
		default:	/* %% and anything unknown: the character itself */
			*--s = c;
			zero = 0;
			sign = 0;
			break;
		}
		long len = (e - s) + (sign != 0) + (long)strlen(pre);
		if (!left && !zero)
			pad(f, ' ', width - len, &cnt);
		if (sign)
			put(f, &sign, 1, &cnt);
		put(f, pre, strlen(pre), &cnt);
		if (!left && zero)
			pad(f, '0', width - len, &cnt);
		put(f, s, e - s, &cnt);
		if (left)
			pad(f, ' ', width - len, &cnt);
	}
	va_end(a);
	if (ferror(f))
		return -1;
	return cnt > INT32_MAX ? -1 : (int)cnt;
}

int snprintf(char *restrict s, size_t n, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(s, n, fmt, ap);
	va_end(ap);
	return r;
}
