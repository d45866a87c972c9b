/*
 * time: clocks and sleeps. clock_gettime on each clock (monotonicity and
 * plausibility, never speed), process and thread CPU time, nanosleep and
 * clock_nanosleep (relative and absolute) lasting at least as asked,
 * gettimeofday, time, clock_getres, times, and the EINVAL and EFAULT paths.
 *
 * Error paths go through raw system calls: musl may answer some itself
 * (or read the vDSO, which would crash on a bad pointer instead of
 * returning EFAULT).
 */
#define _GNU_SOURCE
#include "ut.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0)
		ut_fail(__FILE__, __LINE__, "clock_gettime(%d): %s", (int)clock, ut_errname(errno));
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		ut_fail(__FILE__, __LINE__, "clock %d: tv_nsec %ld", (int)clock, ts.tv_nsec);
	return ns(&ts);
}

static int64_t raw_clock_ns(clockid_t clock)
{
	struct timespec ts;
	long r = syscall(SYS_clock_gettime, clock, &ts);

	if (r != 0)
		ut_fail(__FILE__, __LINE__, "SYS_clock_gettime(%d): %s", (int)clock,
			ut_errname(errno));
	return ns(&ts);
}

/* Burns CPU until the monotonic clock has advanced by ms. */
static void spin_ms(int ms)
{
	int64_t end = clock_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;
	volatile unsigned long x = 0;

	while (clock_ns(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 1000; i++)
			x += i;
}

UT_CASE(realtime_is_a_plausible_date)
{
	int64_t t = clock_ns(CLOCK_REALTIME) / 1000000000;

	UT_CHECK(t > 1577836800); /* after 2020-01-01 */
	UT_CHECK(t < 4102444800); /* before 2100-01-01 */
}

UT_CASE(monotonic_never_goes_back)
{
	int64_t prev = clock_ns(CLOCK_MONOTONIC);

	UT_CHECK(prev >= 0);
	for (int i = 0; i < 10000; i++) {
		int64_t now = clock_ns(CLOCK_MONOTONIC);
		UT_CHECK(now >= prev);
		prev = now;
	}
}

UT_CASE(raw_syscall_clocks_agree_with_libc)
{
	static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME };

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		int64_t a = clock_ns(clocks[i]), b = raw_clock_ns(clocks[i]);
		int64_t c = clock_ns(clocks[i]);
		UT_CHECK(a <= b && b <= c);
	}
}

UT_CASE(boottime_not_behind_monotonic)
{
	int64_t mono = clock_ns(CLOCK_MONOTONIC), boot = clock_ns(CLOCK_BOOTTIME);

	UT_CHECK(boot >= mono);
}

UT_CASE(monotonic_raw_and_coarse_clocks)
{
	int64_t a = clock_ns(CLOCK_MONOTONIC_RAW), b = clock_ns(CLOCK_MONOTONIC_RAW);

	UT_CHECK(b >= a);
	UT_CHECK(clock_ns(CLOCK_REALTIME_COARSE) > 0);
	a = clock_ns(CLOCK_MONOTONIC_COARSE);
	UT_CHECK(clock_ns(CLOCK_MONOTONIC_COARSE) >= a);
}

UT_CASE(process_cputime_advances_and_stays_below_wall_time)
{
	int64_t cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), wall0 = clock_ns(CLOCK_MONOTONIC);

	spin_ms(100);
	int64_t cpu1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), wall1 = clock_ns(CLOCK_MONOTONIC);
	UT_CHECK(cpu1 > cpu0);
	/* One thread cannot use more CPU than wall time (20 ms for tick accounting). */
	UT_CHECK(cpu1 - cpu0 <= wall1 - wall0 + 20 * 1000000);
}

static void *thread_cputime(void *arg)
{
	int64_t *out = arg;

	out[0] = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	spin_ms(30);
	out[1] = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

UT_CASE(thread_cputime_is_per_thread)
{
	int64_t before, mine, theirs[2];
	pthread_t t;

	spin_ms(50); /* this thread has used some CPU */
	before = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	mine = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	UT_CHECK(mine <= clock_ns(CLOCK_PROCESS_CPUTIME_ID));
	UT_EQ(pthread_create(&t, NULL, thread_cputime, theirs), 0);
	UT_EQ(pthread_join(t, NULL), 0);
	/* The new thread starts from (about) zero, not from the process's time. */
	UT_CHECK(theirs[0] < before);
	UT_CHECK(theirs[1] > theirs[0]);
	/* The process's clock includes the other thread's time. */
	UT_CHECK(clock_ns(CLOCK_PROCESS_CPUTIME_ID) >= before + (theirs[1] - theirs[0]));
}

UT_CASE(nanosleep_lasts_at_least_its_duration)
{
	struct timespec req = { 0, 30 * 1000000 }, rem = { 99, 99 };
	int64_t start = clock_ns(CLOCK_MONOTONIC);

	UT_EQ(nanosleep(&req, &rem), 0);
	UT_CHECK(clock_ns(CLOCK_MONOTONIC) - start >= 30 * 1000000);
	req.tv_nsec = 0;
	UT_EQ(nanosleep(&req, NULL), 0); /* zero: returns at once */
}

UT_CASE(nanosleep_bad_timespecs)
{
	struct timespec big_ns = { 0, 1000000000 }, neg_ns = { 0, -1 }, neg_s = { -1, 0 };

	UT_ERRNO(syscall(SYS_nanosleep, &big_ns, NULL), EINVAL);
	UT_ERRNO(syscall(SYS_nanosleep, &neg_ns, NULL), EINVAL);
	UT_ERRNO(syscall(SYS_nanosleep, &neg_s, NULL), EINVAL);
	UT_ERRNO(syscall(SYS_nanosleep, 1, NULL), EFAULT);
	UT_ERRNO(syscall(SYS_nanosleep, NULL, NULL), EFAULT);
}

UT_CASE(clock_nanosleep_relative)
{
	struct timespec req = { 0, 30 * 1000000 };
	int64_t start = clock_ns(CLOCK_MONOTONIC);

	UT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), 0);
	UT_CHECK(clock_ns(CLOCK_MONOTONIC) - start >= 30 * 1000000);
	start = clock_ns(CLOCK_REALTIME);
	UT_EQ(clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL), 0);
	UT_CHECK(clock_ns(CLOCK_REALTIME) - start >= 30 * 1000000 - 1000000);
}

UT_CASE(clock_nanosleep_absolute)
{
	static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		int64_t deadline = clock_ns(clocks[i]) + 30 * 1000000;
		struct timespec ts = { deadline / 1000000000, deadline % 1000000000 };
		UT_EQ(clock_nanosleep(clocks[i], TIMER_ABSTIME, &ts, NULL), 0);
		UT_CHECK(clock_ns(clocks[i]) >= deadline);
	}
	/* A deadline in the past: at once. */
	struct timespec past = { 1, 0 };
	UT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
}

UT_CASE(clock_nanosleep_errors)
{
	struct timespec ok = { 0, 1000 }, bad = { 0, 1000000000 };

	/* The raw call returns the error number, negated. */
	UT_RAW_ERR(ut_raw4(SYS_clock_nanosleep, 1234, 0, &ok, NULL), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
	/* Sleeping on a thread's CPU clock: EOPNOTSUPP (EINVAL on old Linux). */
	long r = ut_raw4(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ok, NULL);
	UT_CHECK(r == -EOPNOTSUPP || r == -EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, 1, NULL), EFAULT);
}

UT_CASE(gettimeofday_matches_realtime)
{
	struct timeval tv;
	int64_t before = clock_ns(CLOCK_REALTIME) / 1000, after;

	UT_EQ(gettimeofday(&tv, NULL), 0);
	after = clock_ns(CLOCK_REALTIME) / 1000;
	UT_CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	UT_CHECK((int64_t)tv.tv_sec * 1000000 + tv.tv_usec >= before);
	UT_CHECK((int64_t)tv.tv_sec * 1000000 + tv.tv_usec <= after);
	/* The raw call, and a NULL timeval (only the time zone asked). */
	UT_EQ(syscall(SYS_gettimeofday, &tv, NULL), 0);
	UT_EQ(syscall(SYS_gettimeofday, NULL, NULL), 0);
	UT_ERRNO(syscall(SYS_gettimeofday, 1, NULL), EFAULT);
}

UT_CASE(time_matches_realtime)
{
	time_t before = clock_ns(CLOCK_REALTIME) / 1000000000, t, stored = 0, after;

	t = time(&stored);
	after = clock_ns(CLOCK_REALTIME) / 1000000000;
	UT_CHECK(t >= before && t <= after);
	UT_EQ(stored, t);
	t = syscall(SYS_time, &stored);
	UT_EQ(stored, t);
	UT_CHECK(t >= before);
	UT_CHECK(syscall(SYS_time, NULL) >= t);
	UT_ERRNO(syscall(SYS_time, 1), EFAULT);
}

UT_CASE(clock_getres)
{
	static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
					    CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
	struct timespec res;

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		UT_EQ(syscall(SYS_clock_getres, clocks[i], &res), 0);
		UT_EQ(res.tv_sec, 0);
		UT_CHECK(res.tv_nsec > 0 && res.tv_nsec <= 10000000);
		UT_EQ(syscall(SYS_clock_getres, clocks[i], NULL), 0);
	}
	UT_ERRNO(syscall(SYS_clock_getres, 1234, &res), EINVAL);
	UT_ERRNO(syscall(SYS_clock_getres, CLOCK_MONOTONIC, 1), EFAULT);
}

UT_CASE(times_counts_ticks)
{
	struct tms t0, t1;
	clock_t a = times(&t0), b;
	pid_t pid;

	spin_ms(30);
	b = times(&t1);
	UT_CHECK(b >= a);
	UT_CHECK(t1.tms_utime + t1.tms_stime >= t0.tms_utime + t0.tms_stime);
	UT_CHECK(t0.tms_cutime >= 0 && t0.tms_cstime >= 0);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		spin_ms(50);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	times(&t1);
	UT_CHECK(t1.tms_cutime + t1.tms_cstime >= t0.tms_cutime + t0.tms_cstime);
	UT_CHECK(syscall(SYS_times, NULL) >= b); /* NULL is allowed */
	UT_ERRNO(syscall(SYS_times, 1), EFAULT);
}

UT_CASE(bad_clock_ids)
{
	struct timespec ts;

	UT_ERRNO(syscall(SYS_clock_gettime, 1234, &ts), EINVAL);
	UT_ERRNO(syscall(SYS_clock_gettime, 16, &ts), EINVAL);
	UT_ERRNO(syscall(SYS_clock_gettime, -1, &ts), EINVAL);
	UT_ERRNO(clock_gettime((clockid_t)1234, &ts), EINVAL);
}

UT_CASE(clock_gettime_efault)
{
	static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
					    CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		UT_ERRNO(syscall(SYS_clock_gettime, clocks[i], 1), EFAULT);
		UT_ERRNO(syscall(SYS_clock_gettime, clocks[i], NULL), EFAULT);
		UT_ERRNO(syscall(SYS_clock_gettime, clocks[i], 0xffff800000000000UL), EFAULT);
	}
}
