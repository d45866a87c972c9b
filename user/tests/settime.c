/*
 * settime: setting the real-time clock. clock_settime and settimeofday
 * and their errors; the clock read back through clock_gettime,
 * gettimeofday, time and a file's time stamps after a set forward, back,
 * and before boot; absolute CLOCK_REALTIME timers (a timerfd, a POSIX
 * timer, clock_nanosleep) following a set, relative ones not moving; and
 * TFD_TIMER_CANCEL_ON_SET: ECANCELED once to a blocked and a later read,
 * poll and epoll readable.
 *
 * The clock is set back at the end of each case and at exit to what it
 * was at the start plus the monotonic time since (other programs compare
 * file times with the wall clock). On a Linux host, run only "errors":
 * the other cases set the host's clock.
 *
 * No timing is asserted: a time read after a set lies between the value
 * set and the value plus the monotonic time that passed; a timer that must
 * not fire is checked with gettime, or with a non-blocking read after it
 * could have fired by the monotonic clock; waits are bounded (UT_POLL).
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS	   1000000000LL
#define FAR	   (1000 * NS)	/* a deadline no run reaches on its own */
#define SETTOD_MAX 8277292036LL /* Linux's TIME_SETTOD_SEC_MAX: KTIME_SEC_MAX less 30 years */

static int64_t start_real, start_mono; /* the clock before the program ran */
static int changed;		       /* the program set the clock */

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NS + ts->tv_nsec;
}

static int64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts))
		ut_fail(__FILE__, __LINE__, "clock_gettime: %s", ut_errname(errno));
	return ts_ns(&ts);
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){ ns / NS, ns % NS };
}

static long set_real(int64_t ns)
{
	struct timespec ts = ns_ts(ns);

	changed = 1;
	return syscall(SYS_clock_settime, CLOCK_REALTIME, &ts);
}

/* The clock as it would be had the program never set it. */
static void restore_clock(void)
{
	if (changed)
		set_real(start_real + (now_ns(CLOCK_MONOTONIC) - start_mono));
}

__attribute__((constructor)) static void save_clock(void)
{
	start_mono = now_ns(CLOCK_MONOTONIC);
	start_real = now_ns(CLOCK_REALTIME);
	atexit(restore_clock);
}

/* Sets the clock to ns; the clock read after lies in [ns, ns + the monotonic time of the set]. */
static void set_and_check(int64_t ns)
{
	int64_t m0 = now_ns(CLOCK_MONOTONIC), r, m1;

	UT_EQ(set_real(ns), 0);
	r = now_ns(CLOCK_REALTIME);
	m1 = now_ns(CLOCK_MONOTONIC);
	UT_CHECK(r >= ns);
	UT_CHECK(r <= ns + (m1 - m0));
}

UT_CASE(errors)
{
	struct timespec ts = { 1000, 0 },
			bad[] = { { 1000, -1 }, { 1000, NS }, { -1, 0 }, { SETTOD_MAX, 0 } };
	struct timeval tv, early[] = { { 1000, -1 }, { 1000, 1000000 } },
			   late[] = { { -1, 0 }, { SETTOD_MAX, 0 } };
	struct timezone tz = { 16 * 60, 0 }, tz2 = { -16 * 60, 0 };
	static const clockid_t unsettable[] = { CLOCK_MONOTONIC,	 CLOCK_MONOTONIC_RAW,
						CLOCK_REALTIME_COARSE,	 CLOCK_MONOTONIC_COARSE,
						CLOCK_BOOTTIME,		 CLOCK_PROCESS_CPUTIME_ID,
						CLOCK_THREAD_CPUTIME_ID, 1234 };
	clockid_t mine;

	for (unsigned i = 0; i < sizeof(unsettable) / sizeof(unsettable[0]); i++) {
		UT_ERRNO(syscall(SYS_clock_settime, unsettable[i], &ts), EINVAL);
		UT_ERRNO(syscall(SYS_clock_settime, unsettable[i], 1), EINVAL);
	}
	/* A clock_getcpuclockid clock is read, then refused (a CPU clock is never set). */
	UT_EQ(clock_getcpuclockid(0, &mine), 0);
	UT_ERRNO(syscall(SYS_clock_settime, mine, 1), EFAULT);
	UT_ERRNO(syscall(SYS_clock_settime, mine, &ts), EPERM);
	UT_ERRNO(syscall(SYS_clock_settime, -(99999 + 1) * 8 + 2, 1), EFAULT); /* pid 99999 */
	UT_ERRNO(syscall(SYS_clock_settime, -(99999 + 1) * 8 + 2, &ts), EINVAL);
	UT_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, 1), EFAULT);
	UT_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, NULL), EFAULT);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		UT_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, &bad[i]), EINVAL);
	UT_EQ(syscall(SYS_settimeofday, NULL, NULL), 0);
	UT_ERRNO(syscall(SYS_settimeofday, 1, NULL), EFAULT);
	UT_ERRNO(syscall(SYS_settimeofday, NULL, 1), EFAULT);
	/* Linux's order: the microseconds, the zone's address, the seconds, the zone. */
	for (unsigned i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
		UT_ERRNO(syscall(SYS_settimeofday, &early[i], NULL), EINVAL);
		UT_ERRNO(syscall(SYS_settimeofday, &early[i], 1), EINVAL);
	}
	for (unsigned i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
		UT_ERRNO(syscall(SYS_settimeofday, &late[i], NULL), EINVAL);
		UT_ERRNO(syscall(SYS_settimeofday, &late[i], 1), EFAULT);
		UT_ERRNO(syscall(SYS_settimeofday, &late[i], &tz), EINVAL);
	}
	UT_ERRNO(syscall(SYS_settimeofday, NULL, &tz), EINVAL);
	UT_ERRNO(syscall(SYS_settimeofday, NULL, &tz2), EINVAL);
	tv = (struct timeval){ 1000, 0 };
	UT_ERRNO(syscall(SYS_settimeofday, &tv, 1), EFAULT);
}

UT_CASE(set_forward_back_and_before_boot)
{
	int64_t r0 = now_ns(CLOCK_REALTIME), m0, m1, set;
	struct timeval tv;
	struct stat st;
	time_t t;
	int fd;

	set_and_check(r0 + 3600 * NS);	/* forward an hour */
	set_and_check(r0 - 86400 * NS); /* back a day */
	set_and_check(5 * NS + 123);	/* 1970: before this boot (the offset goes below zero) */
	set_and_check(0);

	/* gettimeofday, time and file times follow. */
	set = 1000000000LL * NS + 500000000; /* 2001-09-09, and half a second */
	m0 = now_ns(CLOCK_MONOTONIC);
	UT_EQ(set_real(set), 0);
	UT_EQ(gettimeofday(&tv, NULL), 0);
	t = time(NULL);
	fd = UT_NOERR(open("/tmp/settime-file", O_CREAT | O_RDWR | O_TRUNC, 0644));
	UT_EQ(write(fd, "x", 1), 1);
	UT_EQ(fstat(fd, &st), 0);
	m1 = now_ns(CLOCK_MONOTONIC);
	close(fd);
	unlink("/tmp/settime-file");
	UT_CHECK((int64_t)tv.tv_sec * NS + tv.tv_usec * 1000 >= set - 1000);
	UT_CHECK((int64_t)tv.tv_sec * NS + tv.tv_usec * 1000 <= set + (m1 - m0));
	UT_CHECK((int64_t)t * NS >= set - NS && (int64_t)t * NS <= set + (m1 - m0));
	/* File times: seconds of the clock, or finer. */
	UT_CHECK(ts_ns(&st.st_mtim) >= set - NS && ts_ns(&st.st_mtim) <= set + (m1 - m0));
	UT_CHECK(ts_ns(&st.st_ctim) >= set - NS && ts_ns(&st.st_ctim) <= set + (m1 - m0));

	/* settimeofday sets it too. */
	tv = (struct timeval){ 1500000000, 250000 };
	m0 = now_ns(CLOCK_MONOTONIC);
	UT_EQ(settimeofday(&tv, NULL), 0);
	set = 1500000000LL * NS + 250000000;
	UT_CHECK(now_ns(CLOCK_REALTIME) >= set);
	UT_CHECK(now_ns(CLOCK_REALTIME) <= set + (now_ns(CLOCK_MONOTONIC) - m0));
	restore_clock();
}

UT_CASE(timezone_kept_for_gettimeofday)
{
	struct timezone tz = { -120, 1 }, got = { 7, 7 }, zero = { 0, 0 };
	struct timeval tv;

	UT_EQ(syscall(SYS_settimeofday, NULL, &tz), 0);
	UT_EQ(syscall(SYS_gettimeofday, &tv, &got), 0);
	UT_EQ(got.tz_minuteswest, -120);
	UT_EQ(got.tz_dsttime, 1);
	UT_EQ(syscall(SYS_settimeofday, NULL, &zero), 0);
	UT_EQ(syscall(SYS_gettimeofday, NULL, &got), 0);
	UT_EQ(got.tz_minuteswest, 0);
	UT_EQ(got.tz_dsttime, 0);
}

static int timerfd_at(int64_t real, int flags)
{
	int fd = UT_NOERR(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
	struct itimerspec its = { { 0, 0 }, ns_ts(real) };

	UT_EQ(timerfd_settime(fd, flags, &its, NULL), 0);
	return fd;
}

static int64_t timerfd_left(int fd)
{
	struct itimerspec its;

	UT_EQ(timerfd_gettime(fd, &its), 0);
	return ts_ns(&its.it_value);
}

static int64_t read_count(int fd, int *err)
{
	uint64_t v = 0;

	*err = read(fd, &v, sizeof(v)) == sizeof(v) ? 0 : errno;
	return (int64_t)v;
}

/* Blocks until fd's timer fired (bounded: a kernel that does not move it fails). */
static void wait_readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	UT_EQ(poll(&p, 1, 60000), 1);
	UT_EQ(p.revents, POLLIN);
}

UT_CASE(timerfd_absolute_follows_a_set_relative_does_not)
{
	int64_t r0 = now_ns(CLOCK_REALTIME), m0;
	int abs = timerfd_at(r0 + FAR, TFD_TIMER_ABSTIME);
	int rel = timerfd_at(FAR, 0);
	int back = timerfd_at(r0 + 2 * NS, TFD_TIMER_ABSTIME);
	int err;

	/* Back an hour: the absolute one 2 s away is now an hour away; it did not fire. */
	m0 = now_ns(CLOCK_MONOTONIC);
	UT_EQ(set_real(r0 - 3600 * NS), 0);
	UT_CHECK(timerfd_left(back) > 3000 * NS);
	UT_CHECK(UT_POLL(now_ns(CLOCK_MONOTONIC) - m0 > 3 * NS, 60));
	UT_EQ(read_count(back, &err), 0);
	UT_EQ(err, EAGAIN);

	/* Forward past the far one: it fires at once; the relative one stays 1000 s away. */
	UT_EQ(set_real(r0 + 2 * FAR), 0);
	wait_readable(abs);
	UT_EQ(read_count(abs, &err), 1);
	UT_EQ(err, 0);
	UT_CHECK(timerfd_left(rel) > FAR - 100 * NS);
	UT_EQ(read_count(rel, &err), 0);
	UT_EQ(err, EAGAIN);
	wait_readable(back); /* it is past again */
	restore_clock();
	close(abs);
	close(rel);
	close(back);
}

static volatile int sleeper_done;
static long sleeper_result;
static int64_t sleeper_until;

static void *abs_sleeper(void *arg)
{
	struct timespec ts = ns_ts(sleeper_until);

	(void)arg;
	sleeper_result = syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
	__atomic_store_n(&sleeper_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static pthread_t start_sleeper(int64_t until)
{
	pthread_t th;

	sleeper_until = until;
	sleeper_done = 0;
	UT_EQ(pthread_create(&th, NULL, abs_sleeper, NULL), 0);
	return th;
}

UT_CASE(clock_nanosleep_absolute_follows_a_set)
{
	int64_t r0 = now_ns(CLOCK_REALTIME), m0;
	pthread_t th = start_sleeper(r0 + FAR);

	ut_sleep_ms(50); /* most likely asleep by now; the result is the same if not */
	UT_EQ(set_real(r0 + 2 * FAR), 0);
	UT_CHECK(UT_POLL(__atomic_load_n(&sleeper_done, __ATOMIC_ACQUIRE), 60));
	UT_EQ(pthread_join(th, NULL), 0);
	UT_EQ(sleeper_result, 0);

	/* Set back while it sleeps for 1 s: it sleeps on past that second. */
	r0 = now_ns(CLOCK_REALTIME);
	m0 = now_ns(CLOCK_MONOTONIC);
	th = start_sleeper(r0 + NS);
	UT_EQ(set_real(r0 - FAR), 0);
	UT_CHECK(UT_POLL(now_ns(CLOCK_MONOTONIC) - m0 > 2 * NS, 60));
	UT_EQ(__atomic_load_n(&sleeper_done, __ATOMIC_ACQUIRE), 0);
	UT_EQ(set_real(r0 + 2 * NS), 0); /* and forward past it again: it wakes */
	UT_CHECK(UT_POLL(__atomic_load_n(&sleeper_done, __ATOMIC_ACQUIRE), 60));
	UT_EQ(pthread_join(th, NULL), 0);
	UT_EQ(sleeper_result, 0);
	restore_clock();
}

static uint32_t futex_word;
static volatile int futex_waiter_done;
static long futex_result;
static int futex_errno;

/* pthread_cond_timedwait on a CLOCK_REALTIME condvar waits like this (glibc). */
static void *abs_futex_waiter(void *arg)
{
	struct timespec ts = ns_ts(sleeper_until);

	(void)arg;
	futex_result = syscall(SYS_futex, &futex_word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0,
			       &ts, NULL, FUTEX_BITSET_MATCH_ANY);
	futex_errno = errno;
	__atomic_store_n(&futex_waiter_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static pthread_t start_futex_waiter(int64_t until)
{
	pthread_t th;

	sleeper_until = until;
	futex_waiter_done = 0;
	UT_EQ(pthread_create(&th, NULL, abs_futex_waiter, NULL), 0);
	return th;
}

UT_CASE(futex_realtime_absolute_timeout_follows_a_set)
{
	int64_t r0 = now_ns(CLOCK_REALTIME), m0;
	pthread_t th = start_futex_waiter(r0 + FAR);

	ut_sleep_ms(50); /* most likely waiting by now; the result is the same if not */
	UT_EQ(set_real(r0 + 2 * FAR), 0); /* past its time: it times out now, not in an hour */
	UT_CHECK(UT_POLL(__atomic_load_n(&futex_waiter_done, __ATOMIC_ACQUIRE), 60));
	UT_EQ(pthread_join(th, NULL), 0);
	UT_EQ(futex_result, -1);
	UT_EQ(futex_errno, ETIMEDOUT);

	/* Set back while it waits for 1 s: it waits on past that second. */
	r0 = now_ns(CLOCK_REALTIME);
	m0 = now_ns(CLOCK_MONOTONIC);
	th = start_futex_waiter(r0 + NS);
	UT_EQ(set_real(r0 - FAR), 0);
	UT_CHECK(UT_POLL(now_ns(CLOCK_MONOTONIC) - m0 > 2 * NS, 60));
	UT_EQ(__atomic_load_n(&futex_waiter_done, __ATOMIC_ACQUIRE), 0);
	__atomic_store_n(&futex_word, 1, __ATOMIC_RELEASE); /* a wake-up still ends it */
	syscall(SYS_futex, &futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	UT_CHECK(UT_POLL(__atomic_load_n(&futex_waiter_done, __ATOMIC_ACQUIRE), 60));
	UT_EQ(pthread_join(th, NULL), 0);
	UT_CHECK(futex_result == 0 || futex_errno == EAGAIN); /* EAGAIN: it had not started */
	futex_word = 0;
	restore_clock();
}

UT_CASE(posix_timer_absolute_follows_a_set_relative_does_not)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	struct timespec wait = { 60, 0 };
	int64_t r0 = now_ns(CLOCK_REALTIME);
	struct itimerspec abs = { { 0, 0 }, ns_ts(r0 + FAR) }, rel = { { 0, 0 }, ns_ts(FAR) }, cur;
	timer_t ta, tr;
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	UT_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	UT_EQ(timer_create(CLOCK_REALTIME, &ev, &ta), 0);
	ev.sigev_signo = SIGUSR2; /* never delivered: checked with timer_gettime */
	UT_EQ(timer_create(CLOCK_REALTIME, &ev, &tr), 0);
	UT_EQ(timer_settime(ta, TIMER_ABSTIME, &abs, NULL), 0);
	UT_EQ(timer_settime(tr, 0, &rel, NULL), 0);

	/* Back: the absolute one is further away. */
	UT_EQ(set_real(r0 - FAR), 0);
	UT_EQ(timer_gettime(ta, &cur), 0);
	UT_CHECK(ts_ns(&cur.it_value) > 2 * FAR - 100 * NS);

	/* Forward past it: it fires at once; the relative one has not moved. */
	UT_EQ(set_real(r0 + 2 * FAR), 0);
	UT_EQ(sigtimedwait(&set, &si, &wait), SIGUSR1);
	UT_EQ(si.si_code, SI_TIMER);
	UT_EQ(timer_gettime(tr, &cur), 0);
	UT_CHECK(ts_ns(&cur.it_value) > FAR - 100 * NS);
	UT_EQ(timer_delete(ta), 0);
	UT_EQ(timer_delete(tr), 0);
	UT_EQ(sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
	restore_clock();
}

static volatile int reader_done;
static int reader_errno;
static int reader_fd;

static void *blocked_reader(void *arg)
{
	uint64_t v;

	(void)arg;
	reader_errno = read(reader_fd, &v, sizeof(v)) < 0 ? errno : 0;
	__atomic_store_n(&reader_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1 && p.revents == POLLIN;
}

UT_CASE(cancel_on_set)
{
	int64_t r0 = now_ns(CLOCK_REALTIME);
	struct itimerspec its = { { 0, 0 }, ns_ts(r0 + FAR) };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int fd = UT_NOERR(timerfd_create(CLOCK_REALTIME, 0));
	int rel = timerfd_at(FAR, TFD_TIMER_CANCEL_ON_SET); /* not absolute: not cancelled */
	int ep = UT_NOERR(epoll_create1(0));
	pthread_t th;
	int err;

	UT_EQ(timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL), 0);
	UT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	UT_CHECK(!readable(fd));

	/* A blocked read gets ECANCELED. */
	reader_fd = fd;
	reader_done = 0;
	UT_EQ(pthread_create(&th, NULL, blocked_reader, NULL), 0);
	ut_sleep_ms(50); /* most likely blocked by now; a later read gets the same */
	UT_EQ(set_real(r0 + NS), 0);
	UT_CHECK(UT_POLL(__atomic_load_n(&reader_done, __ATOMIC_ACQUIRE), 60));
	UT_EQ(pthread_join(th, NULL), 0);
	UT_EQ(reader_errno, ECANCELED);
	UT_CHECK(!readable(fd)); /* once */
	UT_EQ(epoll_wait(ep, &got, 1, 0), 0);

	/* The mark stays until the next settime: another set cancels again; poll and epoll see it. */
	UT_EQ(set_real(r0 + 2 * NS), 0);
	UT_CHECK(readable(fd));
	UT_EQ(epoll_wait(ep, &got, 1, 0), 1);
	UT_EQ(got.events, EPOLLIN);
	UT_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	UT_EQ(read_count(fd, &err), 0);
	UT_EQ(err, ECANCELED);
	UT_EQ(read_count(fd, &err), 0);
	UT_EQ(err, EAGAIN);
	UT_EQ(read_count(rel, &err), 0);
	UT_EQ(err, EAGAIN);
	UT_CHECK(timerfd_left(fd) > FAR - 100 * NS); /* still armed for its time */

	/* Armed again without the flag: a set does not cancel it. */
	its.it_value = ns_ts(now_ns(CLOCK_REALTIME) + FAR);
	UT_EQ(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL), 0);
	UT_EQ(set_real(r0 + 3 * NS), 0);
	UT_CHECK(!readable(fd));
	UT_EQ(read_count(fd, &err), 0);
	UT_EQ(err, EAGAIN);
	close(ep);
	close(fd);
	close(rel);
	restore_clock();
}
