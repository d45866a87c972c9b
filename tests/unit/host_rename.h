/*
 * Force-included (gcc -include) into every host-compiled library source and
 * unit test, but not into harness.c. It renames the kernel library functions
 * whose names collide with the host C library to axl_* symbols, so the tests
 * link against and exercise our implementations while libc keeps its own.
 */
#ifndef AXL_TESTS_UNIT_HOST_RENAME_H
#define AXL_TESTS_UNIT_HOST_RENAME_H

#define AXL_HOST 1

/* <lib/string.h> */
#define memcpy	   axl_memcpy
#define memmove	   axl_memmove
#define memset	   axl_memset
#define memcmp	   axl_memcmp
#define memchr	   axl_memchr
#define strlen	   axl_strlen
#define strnlen	   axl_strnlen
#define strcmp	   axl_strcmp
#define strncmp	   axl_strncmp
#define strchr	   axl_strchr
#define strrchr	   axl_strrchr
#define strstr	   axl_strstr
#define strlcpy	   axl_strlcpy
#define strlcat	   axl_strlcat
#define parse_u64  axl_parse_u64
#define parse_size axl_parse_size

/* <lib/printf.h> */
#define vsnprintf axl_vsnprintf
#define snprintf  axl_snprintf

#endif /* AXL_TESTS_UNIT_HOST_RENAME_H */
