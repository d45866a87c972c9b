/*
 * Unit tests for lib/printf.c: every conversion, flag, width/precision form
 * and length modifier, integer limits, truncation and the return value.
 */
#include <limits.h>
#include <lib/printf.h>
#include <lib/string.h>

#include "harness.h"

static char buf[256];

/* Format into buf; check the text and that the return value is its length. */
#define FMT(expect, ...)                                          \
	do {                                                      \
		int _n = snprintf(buf, sizeof(buf), __VA_ARGS__); \
		CHECK_STR_EQ(buf, expect);                        \
		CHECK_EQ(_n, (int)strlen(expect));                \
	} while (0)

/* Bypasses compile-time format checking, for deliberately odd formats. */
static int fmt_unchecked(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n;
}

/* FMT for arguments the format checker would flag (e.g. wrapping %hhd). */
#define FMT_UNCHECKED(expect, ...)                                     \
	do {                                                           \
		int _n = fmt_unchecked(buf, sizeof(buf), __VA_ARGS__); \
		CHECK_STR_EQ(buf, expect);                             \
		CHECK_EQ(_n, (int)strlen(expect));                     \
	} while (0)

TEST(printf, plain_text_and_percent)
{
	FMT("hello", "hello");
	FMT("", "%s", "");
	FMT("100%", "100%%");
	FMT("%%", "%%%%");
}

TEST(printf, signed_decimal)
{
	FMT("0", "%d", 0);
	FMT("42", "%d", 42);
	FMT("-42", "%i", -42);
	FMT("2147483647 -2147483648", "%d %d", INT_MAX, INT_MIN);
}

TEST(printf, unsigned_conversions)
{
	FMT("4294967295", "%u", UINT_MAX);
	FMT("ff FF", "%x %X", 255u, 255u);
	FMT("deadbeef", "%x", 0xdeadbeefu);
	FMT("17", "%o", 15u);
	FMT("0 0 0", "%u %x %o", 0u, 0u, 0u);
}

TEST(printf, chars_and_strings)
{
	FMT("a", "%c", 'a');
	FMT("[  x]", "[%3c]", 'x');
	FMT("[x  ]", "[%-3c]", 'x');
	FMT("abc", "%s", "abc");
	FMT("k=v", "%s=%s", "k", "v");
}

TEST(printf, null_string)
{
	CHECK_EQ(fmt_unchecked(buf, sizeof(buf), "%s", (char *)NULL), 6);
	CHECK_STR_EQ(buf, "(null)");
	CHECK_EQ(fmt_unchecked(buf, sizeof(buf), "[%8.3s]", (char *)NULL), 10);
	CHECK_STR_EQ(buf, "[     (nu]");
}

TEST(printf, string_width_and_precision)
{
	FMT("[   ab]", "[%5s]", "ab");
	FMT("[ab   ]", "[%-5s]", "ab");
	FMT("[hel]", "[%.3s]", "hello");
	FMT("[  hel]", "[%5.3s]", "hello");
	FMT("[]", "[%.0s]", "hello");
	FMT("[hello]", "[%2s]", "hello");
}

TEST(printf, precision_limits_string_read)
{
	char unterminated[3] = { 'a', 'b', 'c' };

	/* Must not read past the precision: ASan would flag it. */
	FMT("abc", "%.3s", unterminated);
}

TEST(printf, pointer)
{
	FMT("0x0000000000001234", "%p", (void *)0x1234);
	FMT("0x0000000000000000", "%p", (void *)NULL);
	FMT("0xffff800000000000", "%p", (void *)0xffff800000000000ul);
	FMT("[  0x00000000000000ab]", "[%20p]", (void *)0xab);
	FMT("[0x00000000000000ab  ]", "[%-20p]", (void *)0xab);
}

TEST(printf, width)
{
	FMT("[   42]", "[%5d]", 42);
	FMT("[42   ]", "[%-5d]", 42);
	FMT("[  -42]", "[%5d]", -42);
	FMT("[12345]", "[%3d]", 12345);
}

TEST(printf, zero_flag)
{
	FMT("00042", "%05d", 42);
	FMT("-0042", "%05d", -42);
	FMT("000ff", "%05x", 255u);
}

TEST(printf, minus_beats_zero)
{
	CHECK_EQ(fmt_unchecked(buf, sizeof(buf), "[%-05d]", 42), 7);
	CHECK_STR_EQ(buf, "[42   ]");
}

TEST(printf, zero_flag_ignored_with_precision)
{
	fmt_unchecked(buf, sizeof(buf), "[%06.3d]", 7);
	CHECK_STR_EQ(buf, "[   007]");
}

TEST(printf, precision_numbers)
{
	FMT("042", "%.3d", 42);
	FMT("-042", "%.3d", -42);
	FMT("[     042]", "[%8.3d]", 42);
	FMT("[0a  ]", "[%-4.2x]", 10u);
	FMT("12345", "%.2d", 12345);
}

TEST(printf, zero_precision_zero_value)
{
	FMT("[]", "[%.0d]", 0);
	FMT("[   ]", "[%3.0u]", 0u);
	FMT("[]", "[%.x]", 0u);
	FMT("[0]", "[%#.0o]", 0u);
}

TEST(printf, plus_and_space)
{
	FMT("+5", "%+d", 5);
	FMT("-5", "%+d", -5);
	FMT("+0", "%+d", 0);
	FMT(" 5", "% d", 5);
	FMT("-5", "% d", -5);
	FMT("[   +5]", "[%+5d]", 5);
	FMT("+0005", "%+05d", 5);
}

TEST(printf, plus_beats_space)
{
	fmt_unchecked(buf, sizeof(buf), "%+ d|% +d", 3, 4);
	CHECK_STR_EQ(buf, "+3|+4");
}

TEST(printf, alternate_form)
{
	FMT("0x1f", "%#x", 31u);
	FMT("0X1F", "%#X", 31u);
	FMT("0", "%#x", 0u);
	FMT("010", "%#o", 8u);
	FMT("0", "%#o", 0u);
	FMT("0x0000ff", "%#08x", 255u);
	FMT("[    0xff]", "[%#8x]", 255u);
	FMT("[0xff    ]", "[%-#8x]", 255u);
	FMT("0x00ff", "%#.4x", 255u);
	FMT("0017", "%#.4o", 15u);
}

TEST(printf, star_width_and_precision)
{
	FMT("[   42]", "[%*d]", 5, 42);
	FMT("[42   ]", "[%-*d]", 5, 42);
	FMT("[42   ]", "[%*d]", -5, 42);
	FMT("[ab]", "[%.*s]", 2, "abc");
	FMT("[abc]", "[%.*s]", -1, "abc");
	FMT("[  007]", "[%*.*d]", 5, 3, 7);
	FMT("[7]", "[%.*d]", -3, 7);
}

TEST(printf, length_hh_wraps)
{
	FMT_UNCHECKED("-1", "%hhd", 255);
	FMT_UNCHECKED("-128", "%hhd", 128);
	FMT_UNCHECKED("0", "%hhu", 256);
	FMT_UNCHECKED("ff", "%hhx", -1);
	FMT_UNCHECKED("127", "%hhi", 127);
}

TEST(printf, length_h_wraps)
{
	FMT_UNCHECKED("-1", "%hd", 65535);
	FMT_UNCHECKED("7", "%hu", 65536 + 7);
	FMT_UNCHECKED("-32768", "%hd", 32768);
	FMT_UNCHECKED("ffff", "%hx", -1);
}

TEST(printf, length_l_ll_limits)
{
	FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	FMT("9223372036854775807", "%ld", (long)INT64_MAX);
	FMT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	FMT("ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
	FMT("FFFFFFFFFFFFFFFF", "%llX", (unsigned long long)UINT64_MAX);
	FMT("1777777777777777777777", "%llo", (unsigned long long)UINT64_MAX);
	FMT("-9223372036854775808", "%li", LONG_MIN);
}

TEST(printf, length_z_t_j)
{
	FMT("18446744073709551615", "%zu", (size_t)SIZE_MAX);
	FMT("-1", "%zd", (long)-1);
	FMT("1234", "%zx", (size_t)0x1234);
	FMT("-3", "%td", (ptrdiff_t)-3);
	FMT("-9223372036854775808", "%jd", (intmax_t)INTMAX_MIN);
	FMT("18446744073709551615", "%ju", (uintmax_t)UINTMAX_MAX);
}

TEST(printf, mixed_arguments)
{
	FMT("pid=7 name=init flags=0x3 c=Z", "pid=%d name=%s flags=%#x c=%c", 7, "init", 3u, 'Z');
	FMT("-1 18446744073709551615 x", "%d %llu %s", -1, (unsigned long long)-1, "x");
}

TEST(printf, truncation)
{
	char small[8];
	int n;

	memset(small, 'X', sizeof(small));
	n = snprintf(small, 5, "hello world");
	CHECK_EQ(n, 11);
	CHECK_STR_EQ(small, "hell");
	CHECK_EQ(small[5], 'X');
	n = snprintf(small, sizeof(small), "%d", 123456789);
	CHECK_EQ(n, 9);
	CHECK_STR_EQ(small, "1234567");
}

TEST(printf, truncation_inside_padding)
{
	char small[4];

	CHECK_EQ(snprintf(small, sizeof(small), "%10d", 5), 10);
	CHECK_STR_EQ(small, "   ");
	CHECK_EQ(snprintf(small, sizeof(small), "%-10s|", "ab"), 11);
	CHECK_STR_EQ(small, "ab ");
}

TEST(printf, size_one_and_zero)
{
	char c = 'X';

	CHECK_EQ(snprintf(&c, 1, "abc"), 3);
	CHECK_EQ(c, '\0');
	c = 'X';
	CHECK_EQ(snprintf(&c, 0, "abc%d", 42), 5);
	CHECK_EQ(c, 'X');
	CHECK_EQ(snprintf(NULL, 0, "%s", "hello"), 5);
}

TEST(printf, unknown_and_truncated_specs_verbatim)
{
	CHECK_EQ(fmt_unchecked(buf, sizeof(buf), "a%yb"), 4);
	CHECK_STR_EQ(buf, "a%yb");
	CHECK_EQ(fmt_unchecked(buf, sizeof(buf), "tail%"), 5);
	CHECK_STR_EQ(buf, "tail%");
	CHECK_EQ(fmt_unchecked(buf, sizeof(buf), "x%-5"), 4);
	CHECK_STR_EQ(buf, "x%-5");
}

/* vsnprintf must not consume the caller's va_list (it works on a copy). */
static int format_twice(char *a, char *b, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n1, n2;

	va_start(ap, fmt);
	n1 = vsnprintf(a, size, fmt, ap);
	n2 = vsnprintf(b, size, fmt, ap);
	va_end(ap);
	return n1 == n2 ? n1 : -1;
}

TEST(printf, vsnprintf_leaves_va_list)
{
	char a[32], b[32];

	CHECK_EQ(fmt_unchecked(a, sizeof(a), "%s-%d", "v", 1), 3);
	CHECK_EQ(format_twice(a, b, sizeof(a), "%s:%d:%llx", "f", 9, 0xabcULL), 7);
	CHECK_STR_EQ(a, "f:9:abc");
	CHECK_STR_EQ(b, "f:9:abc");
}
