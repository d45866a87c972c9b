/*
 * Unit tests for lib/string.c: memory routines against byte-by-byte
 * references at every alignment, string routines, and the parse_u64 /
 * parse_size number parsers including their error cases.
 */
#include <lib/string.h>
#include <uapi/errno.h>

#include "harness.h"

#define POOL 96

static unsigned char pool[POOL], ref[POOL];

static void fill_pattern(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + 1);
}

static bool same(const unsigned char *a, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return false;
	}
	return true;
}

/* Reference move through a bounce buffer. */
static void ref_move(unsigned char *base, size_t dst, size_t src, size_t n)
{
	unsigned char tmp[POOL];

	for (size_t i = 0; i < n; i++)
		tmp[i] = base[src + i];
	for (size_t i = 0; i < n; i++)
		base[dst + i] = tmp[i];
}

TEST(string, memcpy_all_alignments)
{
	unsigned char dst[64];
	unsigned char src[64];

	fill_pattern(src, sizeof(src));
	for (size_t d = 0; d < 8; d++) {
		for (size_t s = 0; s < 8; s++) {
			for (size_t n = 0; n <= 40; n++) {
				memset(dst, 0xee, sizeof(dst));
				CHECK_PTR_EQ(memcpy(dst + d, src + s, n), dst + d);
				CHECK(same(dst + d, src + s, n));
				CHECK_EQ(dst[d + n], 0xee);
			}
		}
	}
}

/* Move [src, src+n) to dst inside the pool and compare with the reference. */
static bool move_matches(size_t dst, size_t src, size_t n)
{
	fill_pattern(pool, POOL);
	fill_pattern(ref, POOL);
	memmove(pool + dst, pool + src, n);
	ref_move(ref, dst, src, n);
	return same(pool, ref, POOL);
}

TEST(string, memmove_overlap_dst_after_src)
{
	for (size_t src = 0; src < 10; src++) {
		for (size_t shift = 1; shift < 20; shift++) {
			CHECK(move_matches(src + shift, src, 50));
			CHECK(move_matches(src + shift, src, 17));
		}
	}
}

TEST(string, memmove_overlap_dst_before_src)
{
	for (size_t dst = 0; dst < 10; dst++) {
		for (size_t shift = 1; shift < 20; shift++) {
			CHECK(move_matches(dst, dst + shift, 50));
			CHECK(move_matches(dst, dst + shift, 17));
		}
	}
}

TEST(string, memmove_same_and_disjoint)
{
	CHECK(move_matches(8, 8, 40));
	CHECK(move_matches(0, 48, 48));
	CHECK(move_matches(48, 0, 48));
	CHECK(move_matches(3, 60, 0));
	CHECK_PTR_EQ(memmove(pool + 1, pool, 5), pool + 1);
}

TEST(string, memset_all_alignments)
{
	unsigned char b[64];

	for (size_t off = 0; off < 8; off++) {
		for (size_t n = 0; n <= 40; n++) {
			fill_pattern(b, sizeof(b));
			CHECK_PTR_EQ(memset(b + off, 0x1a5, n), b + off);
			for (size_t i = 0; i < n; i++)
				CHECK_EQ(b[off + i], 0xa5);
			CHECK_EQ(b[off + n], (unsigned char)((off + n) * 7 + 1));
		}
	}
}

TEST(string, memcmp_and_memchr)
{
	const char *h = "hello", *z = "a\0b", *ff = "\xff";

	CHECK_EQ(memcmp("abc", "abc", 3), 0);
	CHECK_EQ(memcmp("abc", "abd", 2), 0);
	CHECK(memcmp("abc", "abd", 3) < 0);
	CHECK(memcmp("a\x80", "a\x01", 2) > 0); /* bytes compare unsigned */
	CHECK_EQ(memcmp("x", "y", 0), 0);
	CHECK_PTR_EQ(memchr(h, 'l', 5), h + 2);
	CHECK_PTR_EQ(memchr(h, 'o', 4), NULL);
	CHECK_PTR_EQ(memchr(z, 'b', 3), z + 2);
	CHECK_PTR_EQ(memchr(ff, 0x1ff, 1), ff);
}

TEST(string, strlen_strnlen)
{
	CHECK_EQ(strlen(""), 0);
	CHECK_EQ(strlen("kernel"), 6);
	CHECK_EQ(strnlen("kernel", 3), 3);
	CHECK_EQ(strnlen("kernel", 100), 6);
	CHECK_EQ(strnlen("", 0), 0);
}

TEST(string, strcmp_strncmp)
{
	CHECK_EQ(strcmp("abc", "abc"), 0);
	CHECK(strcmp("abc", "abd") < 0);
	CHECK(strcmp("abd", "abc") > 0);
	CHECK(strcmp("ab", "abc") < 0);
	CHECK(strcmp("\x90", "a") > 0);
	CHECK_EQ(strncmp("abcdef", "abcxyz", 3), 0);
	CHECK(strncmp("abcdef", "abcxyz", 4) < 0);
	CHECK_EQ(strncmp("ab", "ab", 10), 0);
	CHECK(strncmp("ab", "abc", 10) < 0);
	CHECK_EQ(strncmp("a", "b", 0), 0);
}

TEST(string, strchr_strrchr)
{
	const char *s = "a/b/c";

	CHECK_PTR_EQ(strchr(s, '/'), s + 1);
	CHECK_PTR_EQ(strrchr(s, '/'), s + 3);
	CHECK_PTR_EQ(strchr(s, 'z'), NULL);
	CHECK_PTR_EQ(strrchr(s, 'z'), NULL);
	CHECK_PTR_EQ(strchr(s, '\0'), s + 5);
	CHECK_PTR_EQ(strrchr(s, '\0'), s + 5);
	CHECK_PTR_EQ(strrchr(s, 'a'), s);
}

TEST(string, strstr)
{
	const char *s = "the cat sat", *e = "", *a = "aaab";

	CHECK_PTR_EQ(strstr(s, "cat"), s + 4);
	CHECK_PTR_EQ(strstr(s, "at"), s + 5);
	CHECK_PTR_EQ(strstr(s, "sat"), s + 8);
	CHECK_PTR_EQ(strstr(s, "dog"), NULL);
	CHECK_PTR_EQ(strstr(s, ""), s);
	CHECK_PTR_EQ(strstr(e, ""), e);
	CHECK_PTR_EQ(strstr("ab", "abc"), NULL);
	CHECK_PTR_EQ(strstr(a, "aab"), a + 1);
}

TEST(string, strlcpy)
{
	char d[8];

	CHECK_EQ(strlcpy(d, "abc", sizeof(d)), 3);
	CHECK_STR_EQ(d, "abc");
	CHECK_EQ(strlcpy(d, "0123456789", sizeof(d)), 10);
	CHECK_STR_EQ(d, "0123456");
	CHECK_EQ(strlcpy(d, "xyz", 1), 3);
	CHECK_STR_EQ(d, "");
	d[0] = 'Q';
	CHECK_EQ(strlcpy(d, "xyz", 0), 3);
	CHECK_EQ(d[0], 'Q');
}

TEST(string, strlcat)
{
	char d[8] = "ab";

	CHECK_EQ(strlcat(d, "cd", sizeof(d)), 4);
	CHECK_STR_EQ(d, "abcd");
	CHECK_EQ(strlcat(d, "efghij", sizeof(d)), 10);
	CHECK_STR_EQ(d, "abcdefg");
	CHECK_EQ(strlcat(d, "z", sizeof(d)), 8);
	CHECK_STR_EQ(d, "abcdefg");
	/* No NUL within size: dst untouched, result is size + strlen(src). */
	CHECK_EQ(strlcat(d, "xyz", 3), 6);
	CHECK_STR_EQ(d, "abcdefg");
}

/* parse_u64 that also checks *out is left alone on failure. */
static int parse(const char *s, unsigned int base, uint64_t *v)
{
	int ret;

	*v = 0x5a5a;
	ret = parse_u64(s, base, v);
	if (ret)
		CHECK_EQ(*v, 0x5a5a);
	return ret;
}

TEST(string, parse_u64_bases)
{
	uint64_t v;

	CHECK_EQ(parse("12345", 10, &v), 0);
	CHECK_EQ(v, 12345);
	CHECK_EQ(parse("0", 0, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(parse("0x1F", 0, &v), 0);
	CHECK_EQ(v, 31);
	CHECK_EQ(parse("0XfF", 0, &v), 0);
	CHECK_EQ(v, 255);
	CHECK_EQ(parse("017", 0, &v), 0);
	CHECK_EQ(v, 15);
	CHECK_EQ(parse("017", 10, &v), 0);
	CHECK_EQ(v, 17);
	CHECK_EQ(parse("ff", 16, &v), 0);
	CHECK_EQ(v, 255);
	CHECK_EQ(parse("0x10", 16, &v), 0);
	CHECK_EQ(v, 16);
	CHECK_EQ(parse("101", 2, &v), 0);
	CHECK_EQ(v, 5);
}

TEST(string, parse_u64_limits)
{
	uint64_t v;

	CHECK_EQ(parse("18446744073709551615", 10, &v), 0);
	CHECK_EQ(v, UINT64_MAX);
	CHECK_EQ(parse("0xffffffffffffffff", 0, &v), 0);
	CHECK_EQ(v, UINT64_MAX);
	CHECK_EQ(parse("18446744073709551616", 10, &v), -ERANGE);
	CHECK_EQ(parse("99999999999999999999999", 0, &v), -ERANGE);
	CHECK_EQ(parse("0x10000000000000000", 0, &v), -ERANGE);
	CHECK_EQ(parse("00000000000000000000000000042", 10, &v), 0);
	CHECK_EQ(v, 42);
}

TEST(string, parse_u64_errors)
{
	uint64_t v;

	CHECK_EQ(parse("", 0, &v), -EINVAL);
	CHECK_EQ(parse("0x", 0, &v), -EINVAL);
	CHECK_EQ(parse("0x", 16, &v), -EINVAL);
	CHECK_EQ(parse("12a", 10, &v), -EINVAL);
	CHECK_EQ(parse("-1", 10, &v), -EINVAL);
	CHECK_EQ(parse("+1", 10, &v), -EINVAL);
	CHECK_EQ(parse(" 1", 10, &v), -EINVAL);
	CHECK_EQ(parse("1 ", 10, &v), -EINVAL);
	CHECK_EQ(parse("08", 0, &v), -EINVAL);
	CHECK_EQ(parse("0x1g", 0, &v), -EINVAL);
	CHECK_EQ(parse("12", 2, &v), -EINVAL);
	CHECK_EQ(parse("1", 1, &v), -EINVAL);
	CHECK_EQ(parse("1", 37, &v), -EINVAL);
	CHECK_EQ(parse("99999999999999999999999x", 10, &v), -EINVAL);
}

TEST(string, parse_size_suffixes)
{
	uint64_t v;

	CHECK_EQ(parse_size("123", &v), 0);
	CHECK_EQ(v, 123);
	CHECK_EQ(parse_size("4K", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(parse_size("2M", &v), 0);
	CHECK_EQ(v, 2u << 20);
	CHECK_EQ(parse_size("3g", &v), 0);
	CHECK_EQ(v, 3ull << 30);
	CHECK_EQ(parse_size("0x10k", &v), 0);
	CHECK_EQ(v, 16384);
	CHECK_EQ(parse_size("17179869183G", &v), 0);
	CHECK_EQ(v, 17179869183ull << 30);
}

TEST(string, parse_size_errors)
{
	uint64_t v = 7;

	CHECK_EQ(parse_size("", &v), -EINVAL);
	CHECK_EQ(parse_size("K", &v), -EINVAL);
	CHECK_EQ(parse_size("4KB", &v), -EINVAL);
	CHECK_EQ(parse_size("4T", &v), -EINVAL);
	CHECK_EQ(parse_size("-4K", &v), -EINVAL);
	CHECK_EQ(parse_size("17179869184G", &v), -ERANGE);
	CHECK_EQ(parse_size("18014398509481984K", &v), -ERANGE);
	CHECK_EQ(parse_size("18446744073709551616", &v), -ERANGE);
	CHECK_EQ(v, 7);
}
