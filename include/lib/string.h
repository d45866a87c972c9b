/*
 * Freestanding memory and string routines for the kernel (the compiler also
 * emits calls to memcpy/memmove/memset/memcmp on its own), plus number
 * parsers for command-line and configuration values. Host unit tests build
 * the same code under axl_* names (tests/unit/host_rename.h).
 */
#ifndef AXL_LIB_STRING_H
#define AXL_LIB_STRING_H

#include <lib/types.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);

/* BSD semantics: always NUL-terminate when size > 0, return strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
/* Returns the length the concatenation would have had (truncation if >= size). */
size_t strlcat(char *dst, const char *src, size_t size);

/*
 * Parse an unsigned number; the whole string must be consumed (no sign, no
 * blanks). @base is 2..36 (16 also accepts a 0x prefix) or 0 to pick it from
 * the prefix: 0x hex, a leading 0 octal, otherwise decimal. Returns 0,
 * -EINVAL (empty, bad digit, bad base) or -ERANGE (does not fit in 64 bits);
 * *@out is only written on success.
 */
int parse_u64(const char *s, unsigned int base, uint64_t *out);

/* Like parse_u64(s, 0, out) with an optional K, M or G (x1024^n) suffix. */
int parse_size(const char *s, uint64_t *out);

#endif /* AXL_LIB_STRING_H */
