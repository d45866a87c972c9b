/*
 * In-kernel self-tests (kernel/ktest.c). A test is a function registered
 * with KTEST(name) in tests/kernel/; `ktest=all` or `ktest=a,b` on the
 * kernel command line runs them at boot, each in its own kernel thread,
 * reports one line per test on the console and powers off with status 0
 * when all passed. tools/run-tests parses the lines.
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include <lib/types.h>

struct ktest_ctx {
	bool failed;
	char message[192];
};

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *kt);
};

#define KTEST(tname)                                                                          \
	static void ktest_fn_##tname(struct ktest_ctx *kt);                                   \
	static const struct ktest ktest_##tname                                               \
		__attribute__((used, section(".ktests"), aligned(8))) = { #tname,             \
									  ktest_fn_##tname }; \
	static void ktest_fn_##tname(struct ktest_ctx *kt)

void ktest_fail(struct ktest_ctx *kt, const char *file, int line, const char *what);

#define KT_ASSERT(cond)                                            \
	do {                                                       \
		if (!(cond)) {                                     \
			ktest_fail(kt, __FILE__, __LINE__, #cond); \
			return;                                    \
		}                                                  \
	} while (0)

/* Runs the tests named in sel ("all" or comma-separated names), then powers off. */
__attribute__((noreturn)) void ktest_main(void *sel);

#endif
