/*
 * Compiler helpers shared by the whole kernel and by the host unit tests:
 * attribute shorthands, container_of, alignment arithmetic, compile-time
 * assertions and single-access READ_ONCE/WRITE_ONCE. Header-only, GCC/Clang.
 */
#ifndef AXL_LIB_COMPILER_H
#define AXL_LIB_COMPILER_H

#include <stddef.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define __unused     __attribute__((unused))
#define __noreturn   __attribute__((noreturn))
#define __packed     __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
#define __section(s) __attribute__((section(s)))

/* Pointer to the structure of type @type whose member @member is at @ptr. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Alignment helpers; @a must be a power of two. */
#define ALIGN_UP(x, a)	 (((x) + ((__typeof__(x))(a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Fails the build when @cond is true; usable at statement or file scope. */
#define BUILD_BUG_ON(cond) _Static_assert(!(cond), "BUILD_BUG_ON: " #cond)

/* Force exactly one access to @x; the compiler may not merge or split it. */
#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif /* AXL_LIB_COMPILER_H */
