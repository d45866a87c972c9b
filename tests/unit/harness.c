/*
 * main() of the host unit tests and the runtime behind tests/unit/harness.h:
 * case registry, check reporting, and a panic() that EXPECT_PANIC can catch.
 * Built against the host libc, without host_rename.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct test_case *cases_head, **cases_tail = &cases_head;
static struct test_case *current; /* case being run, or NULL */
static jmp_buf case_jmp;	  /* where a failed check resumes */
static char failure[2048];	  /* "file:line: expr (details)" */

static jmp_buf panic_jmp;
static bool panic_armed;
static char panic_msg[1024];

void test_register(struct test_case *tc)
{
	*cases_tail = tc;
	cases_tail = &tc->next;
}

void test_fail(const char *file, int line, const char *expr, const char *details)
{
	int n = snprintf(failure, sizeof(failure), "%s:%d: %s", file, line, expr);

	if (details && n >= 0 && (size_t)n < sizeof(failure))
		snprintf(failure + n, sizeof(failure) - n, " (%s)", details);
	if (!current) {
		fprintf(stderr, "unit: failure outside a test case: %s\n", failure);
		abort();
	}
	longjmp(case_jmp, 1);
}

static void format_int(char *buf, size_t size, unsigned long long v, bool is_signed)
{
	if (is_signed)
		snprintf(buf, size, "%lld", (long long)v);
	else
		snprintf(buf, size, "%llu (0x%llx)", v, v);
}

void test_check_eq(const char *file, int line, const char *expr, unsigned long long a,
		   bool a_signed, unsigned long long b, bool b_signed)
{
	char sa[64], sb[64], details[160];

	if (a == b)
		return;
	format_int(sa, sizeof(sa), a, a_signed);
	format_int(sb, sizeof(sb), b, b_signed);
	snprintf(details, sizeof(details), "%s != %s", sa, sb);
	test_fail(file, line, expr, details);
}

void test_check_str_eq(const char *file, int line, const char *expr, const char *a, const char *b)
{
	char details[1024];

	if (a == b || (a && b && !strcmp(a, b)))
		return;
	snprintf(details, sizeof(details), "\"%s\" != \"%s\"", a ? a : "(null)", b ? b : "(null)");
	test_fail(file, line, expr, details);
}

void test_check_ptr_eq(const char *file, int line, const char *expr, uintptr_t a, uintptr_t b)
{
	char details[64];

	if (a == b)
		return;
	snprintf(details, sizeof(details), "%#lx != %#lx", (unsigned long)a, (unsigned long)b);
	test_fail(file, line, expr, details);
}

jmp_buf *test_panic_arm(void)
{
	panic_armed = true;
	panic_msg[0] = '\0';
	return &panic_jmp;
}

void test_panic_missing(const char *file, int line, const char *stmt)
{
	panic_armed = false;
	test_fail(file, line, stmt, "expected a panic");
}

const char *test_panic_message(void)
{
	return panic_msg;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	va_end(ap);
	if (panic_armed) {
		panic_armed = false;
		longjmp(panic_jmp, 1);
	}
	if (current)
		test_fail(current->file, current->line, "unexpected panic", panic_msg);
	fprintf(stderr, "unit: panic outside a test case: %s\n", panic_msg);
	abort();
}

/* Run one case; returns true when it passed. */
static bool run_case(struct test_case *tc)
{
	current = tc;
	panic_armed = false;
	if (setjmp(case_jmp) == 0) {
		tc->fn();
		printf("PASS %s.%s\n", tc->suite, tc->name);
		current = NULL;
		return true;
	}
	printf("FAIL %s.%s: %s\n", tc->suite, tc->name, failure);
	current = NULL;
	return false;
}

/* A case is selected when "suite.case" contains @filter (or no filter). */
static bool selected(const struct test_case *tc, const char *filter)
{
	char full[256];

	if (!filter)
		return true;
	snprintf(full, sizeof(full), "%s.%s", tc->suite, tc->name);
	return strstr(full, filter) != NULL;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	struct test_case *tc;
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (tc = cases_head; tc; tc = tc->next) {
		if (!selected(tc, filter))
			continue;
		if (run_case(tc))
			passed++;
		else
			failed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
