/*
 * Memory, string and number-parsing routines declared in <lib/string.h>.
 * Used by the whole kernel and by compiler-generated copies. Bulk copies and
 * fills go a word at a time when both pointers are word aligned.
 */
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>

/* A word that may alias any object, so word-wise copies are well defined. */
typedef unsigned long __attribute__((may_alias)) word_t;

#define WORD_SIZE sizeof(word_t)

static bool both_word_aligned(const void *a, const void *b)
{
	return IS_ALIGNED((uintptr_t)a | (uintptr_t)b, WORD_SIZE);
}

/* Copy from low to high addresses; safe for overlap when dst < src. */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	if (both_word_aligned(d, s)) {
		for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE, s += WORD_SIZE)
			*(word_t *)d = *(const word_t *)s;
	}
	while (n--)
		*d++ = *s++;
}

/* Copy from high to low addresses; safe for overlap when dst > src. */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	if (both_word_aligned(d, s)) {
		for (; n >= WORD_SIZE; n -= WORD_SIZE) {
			d -= WORD_SIZE;
			s -= WORD_SIZE;
			*(word_t *)d = *(const word_t *)s;
		}
	}
	while (n--)
		*--d = *--s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst - (uintptr_t)src >= n)
		copy_forward(dst, src, n); /* dst below src or no overlap */
	else
		copy_backward(dst, src, n);
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	word_t pattern = (unsigned char)c * (~0UL / 0xff);

	if (IS_ALIGNED((uintptr_t)d, WORD_SIZE)) {
		for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE)
			*(word_t *)d = pattern;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++) {
		if (*p != *q)
			return *p - *q;
	}
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++) {
		if (*p == (unsigned char)c)
			return (void *)p;
	}
	return NULL;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

char *strstr(const char *haystack, const char *needle)
{
	size_t len = strlen(needle);

	for (; *haystack; haystack++) {
		if (!strncmp(haystack, needle, len))
			return (char *)haystack;
	}
	return len ? NULL : (char *)haystack;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = MIN(len, size - 1);

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

size_t strlcat(char *dst, const char *src, size_t size)
{
	size_t used = strnlen(dst, size);

	if (used == size) /* no terminator within size: nothing to append to */
		return size + strlen(src);
	return used + strlcpy(dst + used, src, size - used);
}

/* Value of digit @c in bases up to 36, or 36 when @c is not a digit. */
static unsigned int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 36;
}

/* Skip a radix prefix of [*s, end) allowed by @base and return the real base. */
static unsigned int take_base_prefix(const char **s, const char *end, unsigned int base)
{
	const char *p = *s;
	bool hex_prefix = end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');

	if ((base == 0 || base == 16) && hex_prefix) {
		*s += 2;
		return 16;
	}
	if (base == 0 && end - p > 1 && p[0] == '0') {
		*s += 1;
		return 8;
	}
	return base ? base : 10;
}

/* Parse the digits in [s, end) as a number in @base. */
static int parse_digits(const char *s, const char *end, unsigned int base, uint64_t *out)
{
	uint64_t val = 0;
	bool overflow = false;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		unsigned int d = digit_value(*s);

		if (d >= base)
			return -EINVAL;
		if (val > (UINT64_MAX - d) / base)
			overflow = true;
		val = val * base + d;
	}
	if (overflow)
		return -ERANGE;
	*out = val;
	return 0;
}

static int parse_u64_span(const char *s, const char *end, unsigned int base, uint64_t *out)
{
	if (base == 1 || base > 36)
		return -EINVAL;
	base = take_base_prefix(&s, end, base);
	return parse_digits(s, end, base, out);
}

int parse_u64(const char *s, unsigned int base, uint64_t *out)
{
	return parse_u64_span(s, s + strlen(s), base, out);
}

/* Shift for a binary size suffix, 0 when @c is not one. */
static unsigned int size_suffix_shift(char c)
{
	switch (c) {
	case 'K':
	case 'k':
		return 10;
	case 'M':
	case 'm':
		return 20;
	case 'G':
	case 'g':
		return 30;
	default:
		return 0;
	}
}

int parse_size(const char *s, uint64_t *out)
{
	const char *end = s + strlen(s);
	unsigned int shift = 0;
	uint64_t val;
	int ret;

	if (end > s)
		shift = size_suffix_shift(end[-1]);
	if (shift)
		end--;
	ret = parse_u64_span(s, end, 0, &val);
	if (ret)
		return ret;
	if (val > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = val << shift;
	return 0;
}
