/*
 * Host unit-test harness. Test files define cases with TEST(suite, name) and
 * check results with the CHECK* macros; harness.c (which holds main()) runs
 * them and reports PASS/FAIL lines. A failed check ends the current case only.
 * The harness also provides the kernel's panic(): EXPECT_PANIC(stmt) verifies
 * that @stmt panics, and any other panic fails the running case.
 */
#ifndef AXL_TESTS_UNIT_HARNESS_H
#define AXL_TESTS_UNIT_HARNESS_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <kernel/panic.h>

struct test_case {
	const char *suite;
	const char *name;
	const char *file;
	int line;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *tc);

/* Record a failure of the running case and leave it; @details may be NULL. */
__noreturn void test_fail(const char *file, int line, const char *expr, const char *details);

void test_check_eq(const char *file, int line, const char *expr, unsigned long long a,
		   bool a_signed, unsigned long long b, bool b_signed);
void test_check_str_eq(const char *file, int line, const char *expr, const char *a, const char *b);
void test_check_ptr_eq(const char *file, int line, const char *expr, uintptr_t a, uintptr_t b);

/* EXPECT_PANIC plumbing: arm panic() to longjmp back, or fail if it did not. */
jmp_buf *test_panic_arm(void);
__noreturn void test_panic_missing(const char *file, int line, const char *stmt);

/* Message of the last panic caught by EXPECT_PANIC. */
const char *test_panic_message(void);

#define TEST(suite, name)                                                         \
	static void test_fn_##suite##_##name(void);                               \
	static struct test_case test_tc_##suite##_##name = {                      \
		#suite, #name, __FILE__, __LINE__, test_fn_##suite##_##name, NULL \
	};                                                                        \
	__attribute__((constructor)) static void test_reg_##suite##_##name(void)  \
	{                                                                         \
		test_register(&test_tc_##suite##_##name);                         \
	}                                                                         \
	static void test_fn_##suite##_##name(void)

#define CHECK(cond)                                                 \
	do {                                                        \
		if (!(cond))                                        \
			test_fail(__FILE__, __LINE__, #cond, NULL); \
	} while (0)

/* True when the type of @x is signed (small unsigned types promote; harmless). */
#define TEST_IS_SIGNED(x) ((__typeof__(x))0 - 1 < 1)

/* Integer equality; both sides are evaluated once and compared as 64-bit. */
#define CHECK_EQ(a, b)                                                                      \
	do {                                                                                \
		__typeof__(a) _chk_a = (a);                                                 \
		__typeof__(b) _chk_b = (b);                                                 \
		test_check_eq(__FILE__, __LINE__, #a " == " #b, (unsigned long long)_chk_a, \
			      TEST_IS_SIGNED(_chk_a), (unsigned long long)_chk_b,           \
			      TEST_IS_SIGNED(_chk_b));                                      \
	} while (0)

/* String equality; NULL only equals NULL. */
#define CHECK_STR_EQ(a, b) test_check_str_eq(__FILE__, __LINE__, #a " == " #b, (a), (b))

/* Pointer identity; passed as integers so the pointees need not be initialised. */
#define CHECK_PTR_EQ(a, b)                                                                \
	test_check_ptr_eq(__FILE__, __LINE__, #a " == " #b, (uintptr_t)(const void *)(a), \
			  (uintptr_t)(const void *)(b))

/*
 * Check that @stmt panics. Locals changed by @stmt and read afterwards must
 * be volatile (longjmp rules).
 */
#define EXPECT_PANIC(stmt)                                             \
	do {                                                           \
		if (setjmp(*test_panic_arm()) == 0) {                  \
			stmt;                                          \
			test_panic_missing(__FILE__, __LINE__, #stmt); \
		}                                                      \
	} while (0)

#endif /* AXL_TESTS_UNIT_HARNESS_H */
