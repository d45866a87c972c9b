/*
 * Fatal error reporting. panic() prints a message and halts the machine; it
 * never returns. BUG_ON() and ASSERT() are the usual ways to call it from
 * consistency checks. The host unit-test harness supplies its own panic() so
 * tests can verify that a check fires (see tests/unit/harness.h).
 */
#ifndef AXL_KERNEL_PANIC_H
#define AXL_KERNEL_PANIC_H

#include <lib/compiler.h>

__noreturn void panic(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));

/* Panic when @cond is true. */
#define BUG_ON(cond)                                                          \
	do {                                                                  \
		if (unlikely(cond))                                           \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* Panic when @cond is false. */
#define ASSERT(cond)                                                                       \
	do {                                                                               \
		if (unlikely(!(cond)))                                                     \
			panic("assertion failed at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#endif /* AXL_KERNEL_PANIC_H */
