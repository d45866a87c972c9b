/*
 * posix_timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun and timer_delete (raw system calls: kernel timer ids)
 * with SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID and the C library's
 * SIGEV_THREAD, on the wall clocks and the CPU-time clocks (also another
 * process's); the CPU-time clocks themselves (another thread's and another
 * process's, by the ids of pthread_getcpuclockid and clock_getcpuclockid);
 * ITIMER_VIRTUAL and ITIMER_PROF. Each error path in Linux's order,
 * overruns counted while the signal is blocked,
 * si_code/si_timerid/si_value/si_overrun, CPU-time timers firing in a busy
 * loop with no system call, timers gone after exec and not inherited by
 * fork, a pending timer signal dropped by timer_delete (Linux 6.13 on),
 * SIGKILL timers, timers made and deleted by several threads at once. No
 * case measures time: "it happened", and "not before X" on the timer's own
 * clock.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000L

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* struct sigevent as the kernel reads it. */
struct ksigevent {
	union sigval value;
	int signo;
	int notify;
	int tid;
	int pad[11];
};

static int ktimer_create(clockid_t clock, struct ksigevent *ev, int *id)
{
	return (int)syscall(SYS_timer_create, clock, ev, id);
}

static int ktimer_settime(int id, int flags, long value_ns, long interval_ns,
			  struct itimerspec *old)
{
	struct itimerspec its = { { interval_ns / 1000000000L, interval_ns % 1000000000L },
				  { value_ns / 1000000000L, value_ns % 1000000000L } };

	return (int)syscall(SYS_timer_settime, id, flags, &its, old);
}

static int ktimer_gettime(int id, struct itimerspec *cur)
{
	return (int)syscall(SYS_timer_gettime, id, cur);
}

static int ktimer_delete(int id)
{
	return (int)syscall(SYS_timer_delete, id);
}

static int signal_timer(clockid_t clock, int sig, int value)
{
	struct ksigevent ev = { .value.sival_int = value, .signo = sig, .notify = SIGEV_SIGNAL };
	int id = -1;

	UT_EQ(ktimer_create(clock, &ev, &id), 0);
	UT_CHECK(id >= 0);
	return id;
}

static long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000L + ts->tv_nsec;
}

static long clock_now(clockid_t c)
{
	struct timespec ts;

	UT_EQ(clock_gettime(c, &ts), 0);
	return ts_ns(&ts);
}

static void block(int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	UT_EQ(sigprocmask(SIG_BLOCK, &s, NULL), 0);
}

static void unblock(int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	UT_EQ(sigprocmask(SIG_UNBLOCK, &s, NULL), 0);
}

/* Takes sig (blocked) within seconds; fails the case if it does not come. */
static void take(int sig, siginfo_t *si, int seconds)
{
	sigset_t s;
	struct timespec to = { seconds, 0 };

	sigemptyset(&s);
	sigaddset(&s, sig);
	memset(si, 0, sizeof(*si));
	UT_EQ(sigtimedwait(&s, si, &to), sig);
}

static bool is_pending(int sig)
{
	sigset_t s;

	UT_EQ(sigpending(&s), 0);
	return sigismember(&s, sig);
}

#define MAKE_PROCESS_CPUCLOCK(pid, which) ((clockid_t)((~(unsigned)(pid) << 3) | (which)))
#define MAKE_THREAD_CPUCLOCK(tid, which)  ((clockid_t)((~(unsigned)(tid) << 3) | 4 | (which)))
#define CPUCLOCK_SCHED			  2

/* ================================ errors ================================ */

UT_CASE(create_errors)
{
	struct ksigevent ev = { .signo = SIGUSR1, .notify = SIGEV_SIGNAL };
	int id;

	UT_ERRNO(ktimer_create(99, &ev, &id), EINVAL);
	UT_ERRNO(ktimer_create(CLOCK_MONOTONIC_RAW, &ev, &id), EOPNOTSUPP);
	UT_ERRNO(ktimer_create(CLOCK_MONOTONIC_COARSE, &ev, &id), EOPNOTSUPP);
	/* Kind 3 names a clock by file descriptor (Linux's dynamic clocks): no timers. */
	UT_ERRNO(ktimer_create(MAKE_PROCESS_CPUCLOCK(0, 3), &ev, &id), EOPNOTSUPP);
	/* A thread clock of another process's thread (init's). */
	UT_ERRNO(ktimer_create(MAKE_THREAD_CPUCLOCK(getppid(), CPUCLOCK_SCHED), &ev, &id), EINVAL);
	UT_ERRNO(ktimer_create(CLOCK_MONOTONIC, (void *)8, &id), EFAULT);
	ev.notify = 99;
	UT_ERRNO(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	ev.notify = SIGEV_SIGNAL | SIGEV_THREAD_ID;
	ev.tid = getppid(); /* not a thread of ours */
	UT_ERRNO(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	ev.notify = SIGEV_SIGNAL;
	ev.signo = 0;
	UT_ERRNO(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	ev.signo = 65;
	UT_ERRNO(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EINVAL);
	ev.signo = SIGUSR1;
	UT_ERRNO(ktimer_create(CLOCK_MONOTONIC, &ev, (int *)8), EFAULT);
	/* No RLIMIT_SIGPENDING room: the preallocated signal cannot be had. */
	pid_t pid = UT_NOERR(fork());
	if (pid == 0) {
		struct rlimit lim = { 0, 0 };

		UT_EQ(setrlimit(RLIMIT_SIGPENDING, &lim), 0);
		UT_ERRNO(ktimer_create(CLOCK_MONOTONIC, &ev, &id), EAGAIN);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(call_errors)
{
	int id = signal_timer(CLOCK_MONOTONIC, SIGUSR1, 0);
	struct itimerspec its = { { 0, 0 }, { 0, 1000000000L } }, cur;

	UT_ERRNO(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL); /* nsec too large */
	its.it_value.tv_nsec = -1;
	UT_ERRNO(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL);
	its.it_value = (struct timespec){ -1, 0 };
	UT_ERRNO(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL);
	its.it_value = (struct timespec){ 1, 0 };
	its.it_interval.tv_nsec = 1000000000L;
	UT_ERRNO(syscall(SYS_timer_settime, id, 0, &its, NULL), EINVAL);
	UT_ERRNO(syscall(SYS_timer_settime, id, 0, NULL, NULL), EINVAL);
	UT_ERRNO(syscall(SYS_timer_settime, id, 0, (void *)8, NULL), EFAULT);
	UT_ERRNO(syscall(SYS_timer_settime, id + 1000, 0, &its, NULL), EINVAL);
	UT_ERRNO(syscall(SYS_timer_gettime, id, (void *)8), EFAULT);
	UT_ERRNO(ktimer_gettime(id + 1000, &cur), EINVAL);
	UT_ERRNO(ktimer_gettime(-1, &cur), EINVAL);
	UT_ERRNO(syscall(SYS_timer_getoverrun, id + 1000), EINVAL);
	UT_EQ(syscall(SYS_timer_getoverrun, id), 0);
	UT_EQ(ktimer_delete(id), 0);
	UT_ERRNO(ktimer_delete(id), EINVAL);
	UT_ERRNO(ktimer_gettime(id, &cur), EINVAL);
	UT_ERRNO(ktimer_delete(-1), EINVAL);
}

/* ============================ signals and values ============================ */

UT_CASE(default_sigevent_is_sigalrm_with_the_id)
{
	siginfo_t si;
	int id = -1;

	block(SIGALRM);
	UT_EQ(ktimer_create(CLOCK_MONOTONIC, NULL, &id), 0);
	UT_EQ(ktimer_settime(id, 0, 5 * MS, 0, NULL), 0);
	take(SIGALRM, &si, 10);
	UT_EQ(si.si_code, SI_TIMER);
	UT_EQ(si.si_timerid, id);
	UT_EQ(si.si_value.sival_int, id);
	UT_EQ(si.si_overrun, 0);
	UT_EQ(ktimer_delete(id), 0);
	unblock(SIGALRM);
}

UT_CASE(settime_gettime_and_old_value)
{
	int id = signal_timer(CLOCK_MONOTONIC, SIGUSR1, 7);
	struct itimerspec cur, old;

	block(SIGUSR1);
	UT_EQ(ktimer_gettime(id, &cur), 0);
	UT_EQ(ts_ns(&cur.it_value), 0); /* created disarmed */
	UT_EQ(ktimer_settime(id, 0, 100L * 1000 * MS, 3 * 1000 * MS, &old), 0);
	UT_EQ(ts_ns(&old.it_value), 0);
	UT_EQ(ktimer_gettime(id, &cur), 0);
	UT_CHECK(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 100L * 1000 * MS);
	UT_EQ(ts_ns(&cur.it_interval), 3 * 1000 * MS);
	UT_EQ(ktimer_settime(id, 0, 0, 0, &old), 0); /* disarms */
	UT_CHECK(ts_ns(&old.it_value) > 0 && ts_ns(&old.it_value) <= 100L * 1000 * MS);
	UT_EQ(ts_ns(&old.it_interval), 3 * 1000 * MS);
	UT_EQ(ktimer_gettime(id, &cur), 0);
	UT_EQ(ts_ns(&cur.it_value), 0);
	UT_EQ(ts_ns(&cur.it_interval), 0);
	UT_EQ(ktimer_delete(id), 0);
	UT_CHECK(!is_pending(SIGUSR1));
	unblock(SIGUSR1);
}

UT_CASE(one_shot_signal_carries_value)
{
	int id = signal_timer(CLOCK_REALTIME, SIGRTMIN + 1, 0x5a5a);
	struct itimerspec cur;
	siginfo_t si;

	block(SIGRTMIN + 1);
	UT_EQ(ktimer_settime(id, 0, 10 * MS, 0, NULL), 0);
	take(SIGRTMIN + 1, &si, 10);
	UT_EQ(si.si_code, SI_TIMER);
	UT_EQ(si.si_value.sival_int, 0x5a5a);
	UT_EQ(si.si_timerid, id);
	UT_EQ(ktimer_gettime(id, &cur), 0);
	UT_EQ(ts_ns(&cur.it_value), 0); /* one-shot: disarmed once expired */
	UT_EQ(ktimer_delete(id), 0);
	unblock(SIGRTMIN + 1);
}

UT_CASE(absolute_times)
{
	int mono = signal_timer(CLOCK_MONOTONIC, SIGUSR1, 1);
	int real = signal_timer(CLOCK_REALTIME, SIGUSR2, 2);
	int boot = signal_timer(CLOCK_BOOTTIME, SIGUSR1, 3);
	long target = clock_now(CLOCK_MONOTONIC) + 30 * MS;
	siginfo_t si;

	block(SIGUSR1);
	block(SIGUSR2);
	UT_EQ(ktimer_settime(mono, TIMER_ABSTIME, target, 0, NULL), 0);
	take(SIGUSR1, &si, 10);
	UT_EQ(si.si_value.sival_int, 1);
	UT_CHECK(clock_now(CLOCK_MONOTONIC) >= target); /* not before its time */
	/* An absolute time already past fires at once. */
	UT_EQ(ktimer_settime(real, TIMER_ABSTIME, clock_now(CLOCK_REALTIME) - 1000 * MS, 0, NULL),
	      0);
	take(SIGUSR2, &si, 10);
	UT_EQ(si.si_value.sival_int, 2);
	UT_EQ(ktimer_settime(boot, TIMER_ABSTIME, clock_now(CLOCK_BOOTTIME) + 5 * MS, 0, NULL), 0);
	take(SIGUSR1, &si, 10);
	UT_EQ(si.si_value.sival_int, 3);
	UT_EQ(ktimer_delete(mono), 0);
	UT_EQ(ktimer_delete(real), 0);
	UT_EQ(ktimer_delete(boot), 0);
	unblock(SIGUSR1);
	unblock(SIGUSR2);
}

UT_CASE(periodic_overruns_while_blocked)
{
	int id = signal_timer(CLOCK_MONOTONIC, SIGRTMIN, 9);
	siginfo_t si;
	int overrun;

	block(SIGRTMIN);
	UT_EQ(ktimer_settime(id, 0, 1 * MS, 1 * MS, NULL), 0);
	UT_POLL(is_pending(SIGRTMIN), 10);
	ut_sleep_ms(100); /* many periods pass while the signal is pending */
	take(SIGRTMIN, &si, 10);
	UT_EQ(si.si_code, SI_TIMER);
	UT_CHECK(si.si_overrun > 0);
	overrun = (int)syscall(SYS_timer_getoverrun, id);
	UT_EQ(overrun, si.si_overrun); /* the overrun of the last signal taken */
	/* One queued instance at a time, even of a real-time signal. */
	UT_EQ(ktimer_settime(id, 0, 0, 0, NULL), 0);
	if (is_pending(SIGRTMIN))
		take(SIGRTMIN, &si, 10);
	UT_CHECK(!is_pending(SIGRTMIN));
	UT_EQ(ktimer_delete(id), 0);
	unblock(SIGRTMIN);
}

/* Periods and times too long to add to a clock saturate (they must not wrap into the past). */
UT_CASE(huge_periods_and_times)
{
	clockid_t clocks[3] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_PROCESS_CPUTIME_ID };
	struct itimerspec huge = { { INT64_MAX, 999999999 }, { 0, 1000000 } }, cur;
	siginfo_t si;

	block(SIGRTMIN + 7);
	for (int i = 0; i < 3; i++) {
		int id = signal_timer(clocks[i], SIGRTMIN + 7, i);
		volatile unsigned long x = 0;

		UT_EQ(syscall(SYS_timer_settime, id, 0, &huge, NULL), 0);
		while (!is_pending(SIGRTMIN + 7)) /* CPU time passes too */
			for (int j = 0; j < 100000; j++)
				x++;
		take(SIGRTMIN + 7, &si, 10);
		UT_EQ(si.si_value.sival_int, i);
		UT_EQ(ktimer_gettime(id, &cur), 0);
		UT_CHECK(cur.it_value.tv_sec > 1000000); /* the next one is (practically) never */
		ut_sleep_ms(20);
		UT_CHECK(!is_pending(SIGRTMIN + 7));
		/* An absolute time at the end of time: armed, never due. */
		huge.it_value = (struct timespec){ INT64_MAX, 999999999 };
		UT_EQ(syscall(SYS_timer_settime, id, TIMER_ABSTIME, &huge, NULL), 0);
		UT_EQ(ktimer_gettime(id, &cur), 0);
		UT_CHECK(cur.it_value.tv_sec > 1000000);
		huge.it_value = (struct timespec){ 0, 1000000 };
		UT_EQ(ktimer_delete(id), 0);
	}
	unblock(SIGRTMIN + 7);
}

UT_CASE(sigev_none_counts_without_signals)
{
	struct ksigevent ev = { .notify = SIGEV_NONE, .signo = 0 };
	struct itimerspec cur;
	int once = -1, periodic = -1;

	block(SIGALRM);
	UT_EQ(ktimer_create(CLOCK_MONOTONIC, &ev, &once), 0);
	UT_EQ(ktimer_create(CLOCK_MONOTONIC, &ev, &periodic), 0);
	UT_EQ(ktimer_settime(once, 0, 20 * MS, 0, NULL), 0);
	UT_EQ(ktimer_settime(periodic, 0, 10 * MS, 10 * MS, NULL), 0);
	UT_EQ(ktimer_gettime(once, &cur), 0);
	UT_CHECK(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 20 * MS);
	ut_sleep_ms(60);
	UT_EQ(ktimer_gettime(once, &cur), 0);
	UT_EQ(ts_ns(&cur.it_value), 0);
	UT_EQ(ktimer_gettime(periodic, &cur), 0);
	UT_CHECK(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 10 * MS);
	UT_CHECK(!is_pending(SIGALRM));
	UT_EQ(ktimer_delete(once), 0);
	UT_EQ(ktimer_delete(periodic), 0);
	unblock(SIGALRM);
}

/* No instance of sig can be taken now. */
static void none_to_take(int sig)
{
	sigset_t set;
	siginfo_t si;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, sig);
	UT_ERRNO(sigtimedwait(&set, &si, &zero), EAGAIN);
}

/*
 * Linux 6.13 and later drop the queued signal of a timer deleted or set
 * again (earlier ones delivered it); sigpending may still show it until
 * then, so only taking it is checked.
 */
UT_CASE(delete_drops_a_pending_signal)
{
	int id = signal_timer(CLOCK_MONOTONIC, SIGRTMIN + 2, 4);
	siginfo_t si;

	block(SIGRTMIN + 2);
	UT_EQ(ktimer_settime(id, 0, 1 * MS, 0, NULL), 0);
	UT_POLL(is_pending(SIGRTMIN + 2), 10);
	UT_EQ(ktimer_delete(id), 0);
	none_to_take(SIGRTMIN + 2);
	/* Another instance of the same signal stays. */
	id = signal_timer(CLOCK_MONOTONIC, SIGRTMIN + 2, 5);
	UT_EQ(ktimer_settime(id, 0, 1 * MS, 0, NULL), 0);
	UT_POLL(is_pending(SIGRTMIN + 2), 10);
	UT_EQ(sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = 6 }), 0);
	UT_EQ(ktimer_delete(id), 0);
	take(SIGRTMIN + 2, &si, 10);
	UT_EQ(si.si_code, SI_QUEUE);
	UT_EQ(si.si_value.sival_int, 6);
	none_to_take(SIGRTMIN + 2);
	/* Set again, a timer drops its queued signal too. */
	id = signal_timer(CLOCK_MONOTONIC, SIGRTMIN + 2, 7);
	UT_EQ(ktimer_settime(id, 0, 1 * MS, 0, NULL), 0);
	UT_POLL(is_pending(SIGRTMIN + 2), 10);
	UT_EQ(ktimer_settime(id, 0, 100L * 1000 * MS, 0, NULL), 0);
	none_to_take(SIGRTMIN + 2);
	UT_EQ(ktimer_delete(id), 0);
	unblock(SIGRTMIN + 2);
}

/* A full signal queue (sigqueue says EAGAIN) does not lose a timer's signal. */
UT_CASE(timer_signal_not_lost_with_full_queue)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		int id = signal_timer(CLOCK_MONOTONIC, SIGRTMIN + 3, 11);
		struct rlimit lim = { 2, 2 };
		union sigval v = { 0 };
		siginfo_t si;
		int i;

		block(SIGRTMIN + 4);
		block(SIGRTMIN + 3);
		UT_EQ(setrlimit(RLIMIT_SIGPENDING, &lim), 0);
		for (i = 0; i < 64 && sigqueue(getpid(), SIGRTMIN + 4, v) == 0; i++)
			;
		UT_EQ(ktimer_settime(id, 0, 1 * MS, 0, NULL), 0);
		take(SIGRTMIN + 3, &si, 10);
		UT_EQ(si.si_code, SI_TIMER);
		UT_EQ(si.si_value.sival_int, 11);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

/* ============================== threads ============================== */

static _Atomic pid_t handled_by;
static _Atomic int handled;

static void note_thread(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (si->si_code == SI_TIMER)
		handled_by = gettid();
	handled++;
}

static _Atomic pid_t waiter_tid;
static _Atomic int waiter_done;

static void *waiter(void *arg)
{
	(void)arg;
	waiter_tid = gettid();
	unblock(SIGUSR2);
	while (!handled)
		pause();
	waiter_done = 1;
	return NULL;
}

UT_CASE(sigev_thread_id_goes_to_that_thread)
{
	struct sigaction sa = { .sa_sigaction = note_thread, .sa_flags = SA_SIGINFO };
	struct ksigevent ev = { .signo = SIGUSR2, .notify = SIGEV_SIGNAL | SIGEV_THREAD_ID };
	pthread_t th;
	int id = -1;

	handled = 0;
	handled_by = 0;
	UT_EQ(sigaction(SIGUSR2, &sa, NULL), 0);
	block(SIGUSR2); /* the thread unblocks it for itself */
	UT_EQ(pthread_create(&th, NULL, waiter, NULL), 0);
	UT_SPIN(waiter_tid != 0, 10);
	ev.tid = waiter_tid;
	UT_EQ(ktimer_create(CLOCK_MONOTONIC, &ev, &id), 0);
	UT_EQ(ktimer_settime(id, 0, 5 * MS, 0, NULL), 0);
	UT_SPIN(waiter_done, 10);
	UT_EQ(handled_by, ev.tid);
	UT_EQ(pthread_join(th, NULL), 0);
	UT_EQ(ktimer_delete(id), 0);
	unblock(SIGUSR2);
	signal(SIGUSR2, SIG_DFL);
}

static _Atomic int notified;
static _Atomic int notified_value;

static void notify_fn(union sigval v)
{
	notified_value = v.sival_int;
	notified++;
}

/* The C library's SIGEV_THREAD: a helper thread told with SIGEV_THREAD_ID underneath. */
UT_CASE(libc_sigev_thread)
{
	struct sigevent sev;
	struct itimerspec its = { { 0, 0 }, { 0, 5 * MS } };
	timer_t t;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = notify_fn;
	sev.sigev_value.sival_int = 42;
	UT_EQ(timer_create(CLOCK_MONOTONIC, &sev, &t), 0);
	UT_EQ(timer_settime(t, 0, &its, NULL), 0);
	UT_SPIN(notified > 0, 10);
	UT_EQ(notified_value, 42);
	UT_EQ(timer_delete(t), 0);
}

/* ========================== CPU-time clocks ========================== */

static volatile sig_atomic_t fired_sig;
static volatile sig_atomic_t watchdog;

static void on_fire(int sig)
{
	fired_sig = sig;
}

static void on_watchdog(int sig)
{
	(void)sig;
	watchdog = 1;
}

/* Spins with no system call until a handler sets fired_sig (or the 60 s watchdog fires). */
static void spin_until_fired(void)
{
	struct itimerval dog = { { 0, 0 }, { 60, 0 } }, off = { { 0, 0 }, { 0, 0 } };
	volatile unsigned long x = 0;

	watchdog = 0;
	signal(SIGALRM, on_watchdog);
	UT_EQ(setitimer(ITIMER_REAL, &dog, NULL), 0);
	while (!fired_sig && !watchdog)
		x++;
	UT_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
	signal(SIGALRM, SIG_DFL);
	UT_CHECK(!watchdog);
}

static void cpu_timer_fires_in_busy_loop(clockid_t clock)
{
	int id = signal_timer(clock, SIGUSR1, 0);
	long start = clock_now(clock);

	fired_sig = 0;
	signal(SIGUSR1, on_fire);
	UT_EQ(ktimer_settime(id, 0, 50 * MS, 0, NULL), 0);
	spin_until_fired();
	UT_EQ(fired_sig, SIGUSR1);
	UT_CHECK(clock_now(clock) - start >= 50 * MS); /* not before its CPU time */
	UT_EQ(ktimer_delete(id), 0);
	signal(SIGUSR1, SIG_DFL);
}

UT_CASE(process_cpu_timer_fires_in_busy_loop)
{
	cpu_timer_fires_in_busy_loop(CLOCK_PROCESS_CPUTIME_ID);
}

UT_CASE(thread_cpu_timer_fires_in_busy_loop)
{
	cpu_timer_fires_in_busy_loop(CLOCK_THREAD_CPUTIME_ID);
}

UT_CASE(getcpuclockid_timers)
{
	clockid_t pc, tc;

	UT_EQ(clock_getcpuclockid(0, &pc), 0);
	UT_EQ(pthread_getcpuclockid(pthread_self(), &tc), 0);
	cpu_timer_fires_in_busy_loop(pc);
	cpu_timer_fires_in_busy_loop(tc);
	cpu_timer_fires_in_busy_loop(MAKE_PROCESS_CPUCLOCK(getpid(), CPUCLOCK_SCHED));
	cpu_timer_fires_in_busy_loop(MAKE_THREAD_CPUCLOCK(gettid(), CPUCLOCK_SCHED));
}

UT_CASE(cpu_timer_periodic_and_gettime)
{
	int id = signal_timer(CLOCK_PROCESS_CPUTIME_ID, SIGUSR1, 0);
	struct itimerspec cur;

	UT_EQ(ktimer_settime(id, 0, 1000L * 1000 * MS, 20 * MS, NULL), 0);
	UT_EQ(ktimer_gettime(id, &cur), 0);
	/* Nobody runs 1000 s of CPU time here: the value is left nearly whole. */
	UT_CHECK(ts_ns(&cur.it_value) > 900L * 1000 * MS);
	UT_EQ(ts_ns(&cur.it_interval), 20 * MS);
	UT_EQ(ktimer_delete(id), 0);
}

static void spin_cpu_ms(long ms)
{
	long start = clock_now(CLOCK_THREAD_CPUTIME_ID);

	while (clock_now(CLOCK_THREAD_CPUTIME_ID) - start < ms * MS)
		;
}

static int blocker_pipe[2];
static _Atomic pid_t blocker_tid;

static void *blocker(void *arg)
{
	char c;

	(void)arg;
	blocker_tid = gettid();
	UT_EQ(read(blocker_pipe[0], &c, 1), 1);
	return NULL;
}

UT_CASE(thread_clock_advances_only_while_it_runs)
{
	clockid_t tc, mine;
	pthread_t th;
	long t0, t1, m0, m1, p0;

	UT_EQ(pipe(blocker_pipe), 0);
	UT_EQ(pthread_create(&th, NULL, blocker, NULL), 0);
	UT_SPIN(blocker_tid != 0, 10);
	UT_EQ(pthread_getcpuclockid(th, &tc), 0);
	UT_EQ(pthread_getcpuclockid(pthread_self(), &mine), 0);
	ut_sleep_ms(20); /* let it reach its read */
	t0 = clock_now(tc);
	p0 = clock_now(CLOCK_PROCESS_CPUTIME_ID); /* before m0: it counts all of m's time */
	m0 = clock_now(mine);
	spin_cpu_ms(200);
	t1 = clock_now(tc);
	m1 = clock_now(mine);
	UT_CHECK(m1 - m0 >= 200 * MS);
	UT_CHECK(t1 - t0 < (m1 - m0) / 4); /* it was blocked all along */
	UT_CHECK(clock_now(CLOCK_PROCESS_CPUTIME_ID) - p0 >= m1 - m0);
	/* The same clock by the raw thread id. */
	UT_CHECK(clock_now(MAKE_THREAD_CPUCLOCK(blocker_tid, CPUCLOCK_SCHED)) >= t1);
	UT_EQ(write(blocker_pipe[1], "x", 1), 1);
	UT_EQ(pthread_join(th, NULL), 0);
	close(blocker_pipe[0]);
	close(blocker_pipe[1]);
}

UT_CASE(other_process_cpu_clock)
{
	struct timespec ts;
	clockid_t c;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		for (;;)
			;
	}
	UT_EQ(clock_getcpuclockid(pid, &c), 0);
	UT_POLL(clock_now(c) > 20 * MS, 30);
	UT_EQ(clock_getres(c, &ts), 0);
	UT_CHECK(ts_ns(&ts) > 0);
	/* A thread clock is for the caller's own threads only. */
	UT_ERRNO(clock_gettime(MAKE_THREAD_CPUCLOCK(pid, CPUCLOCK_SCHED), &ts), EINVAL);
	UT_EQ(kill(pid, SIGKILL), 0);
	UT_EQ(waitpid(pid, NULL, 0), pid);
	UT_ERRNO(clock_gettime(MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED), &ts), EINVAL);
	UT_ERRNO(clock_gettime(MAKE_PROCESS_CPUCLOCK(0, 3), &ts), EINVAL);
}

UT_CASE(timer_on_another_process_cpu_clock)
{
	struct ksigevent ev = { .signo = SIGUSR1, .notify = SIGEV_SIGNAL };
	struct itimerspec cur;
	struct timespec ts;
	siginfo_t si;
	clockid_t c;
	pthread_t th;
	long start;
	int id;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		for (;;)
			;
	}
	block(SIGUSR1);
	UT_EQ(clock_getcpuclockid(pid, &c), 0);
	id = signal_timer(c, SIGUSR1, 12);
	start = clock_now(c);
	UT_EQ(ktimer_settime(id, 0, 50 * MS, 0, NULL), 0);
	take(SIGUSR1, &si, 60);
	UT_EQ(si.si_code, SI_TIMER);
	UT_EQ(si.si_value.sival_int, 12);
	UT_CHECK(clock_now(c) - start >= 50 * MS); /* not before the child's CPU time */
	UT_EQ(ktimer_gettime(id, &cur), 0);
	UT_EQ(ts_ns(&cur.it_value), 0);
	UT_EQ(kill(pid, SIGKILL), 0);
	UT_EQ(waitpid(pid, NULL, 0), pid);
	UT_EQ(ktimer_delete(id), 0);
	UT_ERRNO(ktimer_create(c, &ev, &id), EINVAL); /* reaped */
	/* A thread's id is not its process's clock (Linux 6.18: for clock_gettime neither). */
	blocker_tid = 0;
	UT_EQ(pipe(blocker_pipe), 0);
	UT_EQ(pthread_create(&th, NULL, blocker, NULL), 0);
	UT_SPIN(blocker_tid != 0, 10);
	UT_ERRNO(clock_gettime(MAKE_PROCESS_CPUCLOCK(blocker_tid, CPUCLOCK_SCHED), &ts), EINVAL);
	UT_ERRNO(ktimer_create(MAKE_PROCESS_CPUCLOCK(blocker_tid, CPUCLOCK_SCHED), &ev, &id),
		 EINVAL);
	UT_EQ(write(blocker_pipe[1], "x", 1), 1);
	UT_EQ(pthread_join(th, NULL), 0);
	close(blocker_pipe[0]);
	close(blocker_pipe[1]);
	unblock(SIGUSR1);
}

UT_CASE(no_sleep_on_thread_cpu_clocks)
{
	struct timespec ts = { 0, 1000 };
	clockid_t tc;

	UT_EQ(pthread_getcpuclockid(pthread_self(), &tc), 0);
	UT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL), EOPNOTSUPP);
	UT_ERRNO(syscall(SYS_clock_nanosleep, tc, 0, &ts, NULL), EINVAL); /* Linux's, by the id */
}

UT_CASE(itimer_virtual_and_prof_in_busy_loop)
{
	struct itimerval it = { { 0, 0 }, { 0, 30000 } }, cur, old;

	fired_sig = 0;
	signal(SIGVTALRM, on_fire);
	UT_EQ(setitimer(ITIMER_VIRTUAL, &it, NULL), 0);
	spin_until_fired();
	UT_EQ(fired_sig, SIGVTALRM);
	UT_EQ(getitimer(ITIMER_VIRTUAL, &cur), 0);
	UT_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0); /* one-shot: done */

	fired_sig = 0;
	signal(SIGPROF, on_fire);
	it.it_interval.tv_usec = 20000;
	UT_EQ(setitimer(ITIMER_PROF, &it, NULL), 0);
	spin_until_fired();
	UT_EQ(fired_sig, SIGPROF);
	fired_sig = 0;
	spin_until_fired(); /* periodic: again */
	UT_EQ(fired_sig, SIGPROF);
	UT_EQ(getitimer(ITIMER_PROF, &cur), 0);
	UT_EQ(cur.it_interval.tv_usec, 20000);
	UT_CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec <= 20000);
	memset(&it, 0, sizeof(it));
	UT_EQ(setitimer(ITIMER_PROF, &it, &old), 0);
	UT_EQ(old.it_interval.tv_usec, 20000);
	UT_EQ(getitimer(ITIMER_PROF, &cur), 0);
	UT_CHECK(cur.it_value.tv_usec == 0 && cur.it_interval.tv_usec == 0);
	/* A long one: getitimer shows it. */
	it.it_value.tv_sec = 100;
	UT_EQ(setitimer(ITIMER_VIRTUAL, &it, NULL), 0);
	UT_EQ(getitimer(ITIMER_VIRTUAL, &cur), 0);
	UT_CHECK(cur.it_value.tv_sec >= 99 && cur.it_value.tv_sec <= 100);
	memset(&it, 0, sizeof(it));
	UT_EQ(setitimer(ITIMER_VIRTUAL, &it, NULL), 0);
	UT_ERRNO(setitimer(3, &it, NULL), EINVAL);
	UT_ERRNO(getitimer(3, &cur), EINVAL);
	signal(SIGVTALRM, SIG_DFL);
	signal(SIGPROF, SIG_DFL);
}

/* ============================ fork and exec ============================ */

UT_CASE(fork_does_not_inherit)
{
	int id = signal_timer(CLOCK_MONOTONIC, SIGUSR1, 0);
	struct itimerval it = { { 0, 0 }, { 100, 0 } };
	pid_t pid;

	UT_EQ(ktimer_settime(id, 0, 100L * 1000 * MS, 0, NULL), 0);
	UT_EQ(setitimer(ITIMER_VIRTUAL, &it, NULL), 0);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		struct itimerspec cur;
		struct itimerval v;

		UT_ERRNO(ktimer_gettime(id, &cur), EINVAL);
		UT_EQ(getitimer(ITIMER_VIRTUAL, &v), 0);
		UT_CHECK(v.it_value.tv_sec == 0 && v.it_value.tv_usec == 0);
		/* Its own timers start from nothing, the parent's id may be reused. */
		UT_CHECK(signal_timer(CLOCK_MONOTONIC, SIGUSR1, 0) >= 0);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	memset(&it, 0, sizeof(it));
	UT_EQ(setitimer(ITIMER_VIRTUAL, &it, NULL), 0);
	UT_EQ(ktimer_delete(id), 0);
}

int ut_helper(int argc, char **argv)
{
	struct itimerspec cur;

	/* --helper exec-check ID...: the timers are gone after exec. */
	if (argc < 2 || strcmp(argv[1], "exec-check"))
		return 2;
	for (int i = 2; i < argc; i++) {
		int id = atoi(argv[i]);

		if (ktimer_gettime(id, &cur) != -1 || errno != EINVAL)
			return 3;
		if (ktimer_delete(id) != -1 || errno != EINVAL)
			return 4;
	}
	return 0;
}

UT_CASE(exec_deletes_timers)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		char a[16], b[16];
		int x = signal_timer(CLOCK_MONOTONIC, SIGUSR1, 0);
		int y = signal_timer(CLOCK_PROCESS_CPUTIME_ID, SIGUSR2, 0);

		UT_EQ(ktimer_settime(x, 0, 100L * 1000 * MS, 0, NULL), 0);
		UT_EQ(ktimer_settime(y, 0, 100L * 1000 * MS, 0, NULL), 0);
		snprintf(a, sizeof(a), "%d", x);
		snprintf(b, sizeof(b), "%d", y);
		execl("/proc/self/exe", "posix_timers", "--helper", "exec-check", a, b,
		      (char *)NULL);
		_exit(5);
	}
	UT_CHILD_OK(pid);
}

static _Atomic int churn_signals;

static void count_signal(int sig)
{
	(void)sig;
	churn_signals++;
}

/* Timers made, fired and deleted over and over, with their signals handled meanwhile. */
static void *timer_churn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 150; i++) {
		clockid_t c = i % 3 == 0   ? CLOCK_THREAD_CPUTIME_ID
			      : i % 3 == 1 ? CLOCK_PROCESS_CPUTIME_ID
					   : CLOCK_MONOTONIC;
		int id = signal_timer(c, SIGRTMIN + 6, i);

		UT_EQ(ktimer_settime(id, 0, 100000, 100000, NULL), 0);
		spin_cpu_ms(1);
		UT_EQ(ktimer_delete(id), 0);
	}
	return NULL;
}

/* On several CPUs: timers fire on one while their threads delete them on another. */
UT_CASE(create_fire_delete_from_threads)
{
	struct sigaction sa = { .sa_handler = count_signal, .sa_flags = SA_RESTART };
	pthread_t th[4];

	churn_signals = 0;
	UT_EQ(sigaction(SIGRTMIN + 6, &sa, NULL), 0);
	for (int i = 0; i < 4; i++)
		UT_EQ(pthread_create(&th[i], NULL, timer_churn, NULL), 0);
	for (int i = 0; i < 4; i++)
		UT_EQ(pthread_join(th[i], NULL), 0);
	UT_CHECK(churn_signals > 0);
	signal(SIGRTMIN + 6, SIG_DFL);
}

/* A timer's SIGKILL kills at once (nothing is queued), from a CPU-time and from a wall clock. */
UT_CASE(sigkill_timer_kills)
{
	clockid_t clocks[2] = { CLOCK_PROCESS_CPUTIME_ID, CLOCK_MONOTONIC };

	for (int i = 0; i < 2; i++) {
		pid_t pid = UT_NOERR(fork());
		int status;

		if (pid == 0) {
			int id = signal_timer(clocks[i], SIGKILL, 0);

			UT_EQ(ktimer_settime(id, 0, 10 * MS, 0, NULL), 0);
			for (;;)
				;
		}
		UT_EQ(waitpid(pid, &status, 0), pid);
		UT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
}

/* Many timers in many processes that exit with them armed (the leak check runs this too). */
UT_CASE(exit_with_armed_timers)
{
	for (int n = 0; n < 8; n++) {
		pid_t pid = UT_NOERR(fork());

		if (pid == 0) {
			for (int i = 0; i < 16; i++) {
				int id = signal_timer(i & 1 ? CLOCK_MONOTONIC
							    : CLOCK_PROCESS_CPUTIME_ID,
						      SIGRTMIN + 5, i);

				block(SIGRTMIN + 5);
				UT_EQ(ktimer_settime(id, 0, 1 * MS, 1 * MS, NULL), 0);
			}
			spin_cpu_ms(20);
			_exit(0);
		}
		UT_CHILD_OK(pid);
	}
}
