/*
 * ut: the unit-test library of the user-space test programs (user/tests/).
 *
 * A test program is a list of cases:
 *
 *	UT_CASE(fork_returns_child_pid)
 *	{
 *		pid_t pid = UT_NOERR(fork());
 *		...
 *		UT_EQ(wait4(pid, &status, 0, NULL), pid);
 *	}
 *
 * and ut.c's main() runs them in the order they are written (or only those
 * named on the command line; a name with a leading '-' is left out). Each
 * case prints "ut: PASS name" or "ut: FAIL name: file:line: expr (details)";
 * the last line is "ut: N passed, M failed", and the exit status is 0 only
 * if all passed and at least one ran. A failed check ends its case at once
 * (longjmp back to the runner).
 *
 * A failed check in a forked child prints "ut: child of NAME failed: ..."
 * and exits with UT_CHILD_FAILED; the parent's own check of the child's
 * status then fails the case. A failed check in another thread marks the
 * case failed and lets the thread go on.
 *
 * "prog --helper ARGS..." calls the program's ut_helper(argc, argv) (argv[0]
 * is "--helper") instead of running cases: tests that execve themselves or
 * each other use it.
 */
#ifndef UT_H
#define UT_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/types.h>

#define UT_CHILD_FAILED 97

struct ut_case {
	const char *name;
	void (*fn)(void);
	int line;
};

#define UT_CASE(name)                                                                             \
	static void ut_case_##name(void);                                                         \
	static const struct ut_case ut_reg_##name                                                 \
		__attribute__((used, section("ut_cases"), aligned(8))) = { #name, ut_case_##name, \
									   __LINE__ };            \
	static void ut_case_##name(void)

/* Fails the current case: never returns in the runner's own thread. */
void ut_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints one line ("ut: ..." is not added) with a single write(2). */
void ut_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The symbolic name of an errno value ("EFAULT"), or its number. */
const char *ut_errname(int e);

#define UT_CHECK(cond)                                            \
	do {                                                      \
		if (!(cond))                                      \
			ut_fail(__FILE__, __LINE__, "%s", #cond); \
	} while (0)

/* Compares as long long and prints both values on failure. */
#define UT_EQ(a, b)                                                                           \
	do {                                                                                  \
		long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);                     \
		if (ut_a_ != ut_b_)                                                           \
			ut_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, ut_a_, \
				ut_b_);                                                       \
	} while (0)

#define UT_NE(a, b)                                                                         \
	do {                                                                                \
		long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);                   \
		if (ut_a_ == ut_b_)                                                         \
			ut_fail(__FILE__, __LINE__, "%s != %s (both %lld)", #a, #b, ut_a_); \
	} while (0)

/* expr must give -1 (or MAP_FAILED) with errno E. */
#define UT_ERRNO(expr, E)                                                                        \
	do {                                                                                     \
		errno = 0;                                                                       \
		long long ut_r_ = (long long)(expr);                                             \
		int ut_e_ = errno;                                                               \
		if (ut_r_ != -1 || ut_e_ != (E))                                                 \
			ut_fail(__FILE__, __LINE__, "%s: expected -1 with %s, got %lld with %s", \
				#expr, ut_errname(E), ut_r_, ut_errname(ut_e_));                 \
	} while (0)

/* expr must not give -1 (or MAP_FAILED); the value of the macro is expr's. */
#define UT_NOERR(expr)                                                          \
	({                                                                      \
		errno = 0;                                                      \
		__typeof__(expr) ut_v_ = (expr);                                \
		if ((long long)ut_v_ == -1)                                     \
			ut_fail(__FILE__, __LINE__, "%s failed with %s", #expr, \
				ut_errname(errno));                             \
		ut_v_;                                                          \
	})

/*
 * A raw system call's result (negative errno on failure, no errno touched)
 * must be -E.
 */
#define UT_RAW_ERR(expr, E)                                                                   \
	do {                                                                                  \
		long ut_r_ = (expr);                                                          \
		if (ut_r_ != -(E))                                                            \
			ut_fail(__FILE__, __LINE__, "%s: expected -%s, got %ld%s%s", #expr,   \
				ut_errname(E), ut_r_, ut_r_<0 && ut_r_> - 4096 ? " = -" : "", \
				ut_r_ < 0 && ut_r_ > -4096 ? ut_errname((int)-ut_r_) : "");   \
	} while (0)

/*
 * Forks; the child runs fn and exits 0 if fn returns; the case fails unless
 * the child was killed by signal sig.
 */
#define ut_expect_signal(fn, sig) ut_expect_signal_at(__FILE__, __LINE__, #fn, fn, sig)
void ut_expect_signal_at(const char *file, int line, const char *what, void (*fn)(void), int sig);

/*
 * Waits for child pid (which must be ours) and returns its exit code, or
 * 128 + the signal that killed it; fails the case if wait4 fails.
 */
#define ut_wait(pid) ut_wait_at(__FILE__, __LINE__, pid)
int ut_wait_at(const char *file, int line, pid_t pid);

/* The child must exit with status 0. */
#define UT_CHILD_OK(pid) UT_EQ(ut_wait(pid), 0)

/* A raw system call with six arguments: returns -errno on failure. */
static inline long ut_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define ut_raw0(nr)		ut_syscall6(nr, 0, 0, 0, 0, 0, 0)
#define ut_raw1(nr, a)		ut_syscall6(nr, (long)(a), 0, 0, 0, 0, 0)
#define ut_raw2(nr, a, b)	ut_syscall6(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define ut_raw3(nr, a, b, c)	ut_syscall6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define ut_raw4(nr, a, b, c, d) ut_syscall6(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define ut_raw5(nr, a, b, c, d, e) \
	ut_syscall6(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* The SSE control and status register (rounding, exception masks). */
static inline unsigned ut_get_mxcsr(void)
{
	unsigned m;

	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}

static inline void ut_set_mxcsr(unsigned m)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(m));
}

/* Defined by programs that take "--helper ...": argv[0] is "--helper". */
int ut_helper(int argc, char **argv);

/* The name of the case that is running (NULL between cases). */
extern const char *ut_current;

/* main's arguments, for cases that look at the initial stack. */
extern int ut_argc;
extern char **ut_argv;

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t ut_now_ns(void);

/* Sleeps for ms milliseconds (nanosleep, restarted after EINTR). */
void ut_sleep_ms(long ms);

/*
 * Reads the file at path into buf (size bytes, at least 1), cut at
 * size - 1 bytes and NUL-terminated (empty when it cannot be read): the
 * length, or -1 with errno.
 */
ssize_t ut_read_text(const char *path, char *buf, size_t size);

/*
 * Polls cond, sleeping a millisecond (UT_POLL) or yielding (UT_SPIN) between
 * looks, until it holds or `seconds` have passed; the value is whether it
 * holds. Every wait for another process or thread is bounded this way, so
 * that a kernel bug fails the case instead of hanging the program.
 */
#define UT_POLL(cond, seconds) UT_POLL_WITH(cond, seconds, ut_sleep_ms(1))
#define UT_SPIN(cond, seconds) UT_POLL_WITH(cond, seconds, sched_yield())
#define UT_POLL_WITH(cond, seconds, pause)                                        \
	({                                                                        \
		uint64_t ut_end_ = ut_now_ns() + (uint64_t)(seconds)*1000000000u; \
		int ut_ok_;                                                       \
		while (!(ut_ok_ = !!(cond)) && ut_now_ns() < ut_end_)             \
			pause;                                                    \
		ut_ok_;                                                           \
	})

#endif
