/*
 * vsnprintf()/snprintf() for the kernel, see <lib/printf.h>. Each conversion
 * is parsed into a struct spec, then rendered by a small per-type routine into
 * a bounded output cursor that keeps counting after the buffer is full.
 */
#include <lib/compiler.h>
#include <lib/printf.h>
#include <lib/string.h>

#define F_LEFT	(1u << 0) /* '-': pad on the right */
#define F_ZERO	(1u << 1) /* '0': pad numbers with zeros */
#define F_PLUS	(1u << 2) /* '+': sign on non-negative numbers */
#define F_SPACE (1u << 3) /* ' ': blank before non-negative numbers */
#define F_ALT	(1u << 4) /* '#': 0x prefix / leading octal 0 */

/* Flag characters, in the bit order of F_* above. */
static const char flag_chars[] = "-0+ #";

#define MAX_FIELD (1 << 20) /* clamp for absurd widths/precisions */

enum length {
	LEN_INT,
	LEN_CHAR,
	LEN_SHORT,
	LEN_LONG,
	LEN_LLONG,
	LEN_SIZE,
	LEN_PTRDIFF,
	LEN_MAX
};

struct spec {
	unsigned int flags;
	int width;
	int prec; /* -1 when not given */
	enum length len;
	char conv;
};

struct out {
	char *buf;
	size_t size;
	size_t pos; /* bytes produced so far, including dropped ones */
};

static void put_char(struct out *o, char c)
{
	if (o->pos + 1 < o->size)
		o->buf[o->pos] = c;
	o->pos++;
}

static void put_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		put_char(o, c);
}

static void put_str(struct out *o, const char *s, size_t n)
{
	while (n--)
		put_char(o, *s++);
}

/* Emit @s (@n bytes) padded with blanks to the field width. */
static void put_padded(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	int pad = n < (size_t)sp->width ? sp->width - (int)n : 0;

	if (!(sp->flags & F_LEFT))
		put_repeat(o, ' ', pad);
	put_str(o, s, n);
	if (sp->flags & F_LEFT)
		put_repeat(o, ' ', pad);
}

/* Write @val in @base into @tmp, least significant digit first. */
static int digits_reversed(char *tmp, uint64_t val, unsigned int base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		tmp[n++] = digits[val % base];
		val /= base;
	} while (val);
	return n;
}

/* Number of digits to print: precision, '#' for octal and '0' padding. */
static int min_digits(const struct spec *sp, uint64_t val, int ndig, int prefix_len)
{
	int prec = sp->prec;
	bool alt_octal = sp->conv == 'o' && (sp->flags & F_ALT);

	if (alt_octal && prec <= ndig && (val || !ndig))
		prec = ndig + 1; /* force a leading 0 */
	if (prec < 0 && (sp->flags & (F_ZERO | F_LEFT)) == F_ZERO)
		prec = sp->width - prefix_len;
	return MAX(prec, ndig);
}

/* Render @val in @base as [pad] prefix [zeros] digits [pad]. */
static void put_number(struct out *o, const struct spec *sp, uint64_t val, unsigned int base,
		       const char *prefix)
{
	char tmp[24];
	int plen = strlen(prefix);
	int ndig = 0, prec, pad;

	if (val || sp->prec != 0)
		ndig = digits_reversed(tmp, val, base, sp->conv == 'X');
	prec = min_digits(sp, val, ndig, plen);
	pad = sp->width - plen - prec;

	if (!(sp->flags & F_LEFT))
		put_repeat(o, ' ', pad);
	put_str(o, prefix, plen);
	put_repeat(o, '0', prec - ndig);
	while (ndig)
		put_char(o, tmp[--ndig]);
	if (sp->flags & F_LEFT)
		put_repeat(o, ' ', pad);
}

static int64_t fetch_signed(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:
		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:
		return (short)va_arg(*ap, int);
	case LEN_LONG:
		return va_arg(*ap, long);
	case LEN_LLONG:
		return va_arg(*ap, long long);
	case LEN_SIZE:
		return (int64_t)va_arg(*ap, size_t);
	case LEN_PTRDIFF:
		return va_arg(*ap, ptrdiff_t);
	case LEN_MAX:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t fetch_unsigned(enum length len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_SHORT:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_LONG:
		return va_arg(*ap, unsigned long);
	case LEN_LLONG:
		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:
		return va_arg(*ap, size_t);
	case LEN_PTRDIFF:
		return (uint64_t)va_arg(*ap, ptrdiff_t);
	case LEN_MAX:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static void fmt_signed(struct out *o, const struct spec *sp, va_list *ap)
{
	int64_t v = fetch_signed(sp->len, ap);
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	const char *prefix = "";

	if (v < 0)
		prefix = "-";
	else if (sp->flags & F_PLUS)
		prefix = "+";
	else if (sp->flags & F_SPACE)
		prefix = " ";
	put_number(o, sp, mag, 10, prefix);
}

static void fmt_unsigned(struct out *o, const struct spec *sp, va_list *ap)
{
	uint64_t v = fetch_unsigned(sp->len, ap);
	bool alt_hex = (sp->flags & F_ALT) && v != 0;

	switch (sp->conv) {
	case 'x':
		put_number(o, sp, v, 16, alt_hex ? "0x" : "");
		break;
	case 'X':
		put_number(o, sp, v, 16, alt_hex ? "0X" : "");
		break;
	case 'o':
		put_number(o, sp, v, 8, "");
		break;
	default:
		put_number(o, sp, v, 10, "");
		break;
	}
}

/* %p: always "0x" and 16 lowercase hex digits, only the width applies. */
static void fmt_pointer(struct out *o, const struct spec *sp, va_list *ap)
{
	struct spec p = {
		.flags = sp->flags & F_LEFT,
		.width = sp->width,
		.prec = 16,
		.conv = 'x',
	};

	put_number(o, &p, (uintptr_t)va_arg(*ap, void *), 16, "0x");
}

static void fmt_string(struct out *o, const struct spec *sp, va_list *ap)
{
	const char *s = va_arg(*ap, const char *);

	if (!s)
		s = "(null)";
	put_padded(o, sp, s, sp->prec >= 0 ? strnlen(s, sp->prec) : strlen(s));
}

static void fmt_char(struct out *o, const struct spec *sp, va_list *ap)
{
	char c = (char)va_arg(*ap, int);

	put_padded(o, sp, &c, 1);
}

/* Render one conversion; false if sp->conv is not a known conversion. */
static bool format_one(struct out *o, const struct spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case 'd':
	case 'i':
		fmt_signed(o, sp, ap);
		return true;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		fmt_unsigned(o, sp, ap);
		return true;
	case 'p':
		fmt_pointer(o, sp, ap);
		return true;
	case 's':
		fmt_string(o, sp, ap);
		return true;
	case 'c':
		fmt_char(o, sp, ap);
		return true;
	case '%':
		put_char(o, '%');
		return true;
	default:
		return false;
	}
}

/* Parse a width or precision: decimal digits, or '*' taken from @ap. */
static const char *parse_field(const char *f, int *val, va_list *ap)
{
	if (*f == '*') {
		*val = va_arg(*ap, int);
		return f + 1;
	}
	*val = 0;
	for (; *f >= '0' && *f <= '9'; f++)
		*val = MIN(*val * 10 + (*f - '0'), MAX_FIELD);
	return f;
}

static const char *parse_length(const char *f, enum length *len)
{
	switch (*f) {
	case 'h':
		*len = f[1] == 'h' ? LEN_CHAR : LEN_SHORT;
		return f + (f[1] == 'h' ? 2 : 1);
	case 'l':
		*len = f[1] == 'l' ? LEN_LLONG : LEN_LONG;
		return f + (f[1] == 'l' ? 2 : 1);
	case 'z':
		*len = LEN_SIZE;
		return f + 1;
	case 't':
		*len = LEN_PTRDIFF;
		return f + 1;
	case 'j':
		*len = LEN_MAX;
		return f + 1;
	default:
		*len = LEN_INT;
		return f;
	}
}

/* Parse flags, width, precision and length after '%'; returns the conversion. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	const char *flag;

	while (*f && (flag = strchr(flag_chars, *f))) {
		sp->flags |= 1u << (flag - flag_chars);
		f++;
	}
	f = parse_field(f, &sp->width, ap);
	if (sp->width < 0) { /* negative '*' width means left-justify */
		sp->flags |= F_LEFT;
		sp->width = sp->width < -MAX_FIELD ? MAX_FIELD : -sp->width;
	}
	sp->width = MIN(sp->width, MAX_FIELD);
	if (*f == '.') {
		f = parse_field(f + 1, &sp->prec, ap);
		sp->prec = sp->prec < 0 ? -1 : MIN(sp->prec, MAX_FIELD);
	}
	return parse_length(f, &sp->len);
}

/* Handle the conversion starting at @start ('%'); returns where to go on. */
static const char *format_spec(struct out *o, const char *start, va_list *ap)
{
	struct spec sp = { .prec = -1 };
	const char *f = parse_spec(start + 1, &sp, ap);

	if (!*f) { /* truncated specification: copy it verbatim */
		put_str(o, start, f - start);
		return f;
	}
	sp.conv = *f;
	if (!format_one(o, &sp, ap))
		put_str(o, start, f + 1 - start);
	return f + 1;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size, .pos = 0 };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt == '%')
			fmt = format_spec(&o, fmt, &args);
		else
			put_char(&o, *fmt++);
	}
	va_end(args);
	if (size)
		buf[MIN(o.pos, size - 1)] = '\0';
	return (int)o.pos;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}
