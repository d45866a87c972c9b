/*
 * Wall-clock time and the Linux time structures (kernel/clock.c). The
 * real time is read once from the CMOS clock at boot; after that it is
 * the TSC clock (include/kernel/time.h) plus an offset, which
 * clock_settime and settimeofday change.
 */
#ifndef KERNEL_CLOCK_H
#define KERNEL_CLOCK_H

#include <lib/types.h>
#include <lib/list.h>

#define CLOCK_REALTIME		 0
#define CLOCK_MONOTONIC		 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID	 3
#define CLOCK_MONOTONIC_RAW	 4
#define CLOCK_REALTIME_COARSE	 5
#define CLOCK_MONOTONIC_COARSE	 6
#define CLOCK_BOOTTIME		 7
#define TIMER_ABSTIME		 1

struct linux_timespec {
	int64_t tv_sec, tv_nsec;
};

/* 0, or -EINVAL for a negative or out-of-range timespec. */
int timespec_to_ns(const struct linux_timespec *ts, uint64_t *ns);
struct linux_timespec ns_to_timespec(uint64_t ns);

void clock_realtime_init(void);
/* Nanoseconds since the epoch. */
uint64_t realtime_ns(void);
/* realtime_ns() - clock_ns() now: below zero if the clock was set before boot. */
int64_t realtime_offset(void);
/* A CLOCK_REALTIME instant as a clock_ns() deadline (1 if already past). */
uint64_t realtime_to_monotonic(uint64_t real_ns);
/* The same at a given offset (one a timer recorded when it was armed). */
uint64_t realtime_to_monotonic_at(uint64_t real_ns, int64_t offset);
/*
 * A clock_ns() deadline armed for a wall-clock time at old_offset, moved for
 * new_offset: earlier when the clock went forward (1 if now past), later when
 * it went back. 0 (disarmed) and DEADLINE_MAX stay.
 */
uint64_t realtime_rebase(uint64_t deadline, int64_t old_offset, int64_t new_offset);

/*
 * The latest time clock_settime accepts, as Linux's TIME_SETTOD_SEC_MAX:
 * KTIME_SEC_MAX less 30 years of uptime.
 */
#define REALTIME_SET_MAX_NS ((9223372036ULL - 946080000ULL) * 1000000000ULL)
/*
 * Sets CLOCK_REALTIME (ns since the epoch, < REALTIME_SET_MAX_NS, else
 * -EINVAL), wakes the absolute real-time sleepers and runs the hooks.
 */
int clock_realtime_set(uint64_t real_ns);
/*
 * An absolute CLOCK_REALTIME sleep (clock_nanosleep with TIMER_ABSTIME): 0
 * when the clock has reached real_ns, else -EWAIT until it does or the
 * clock is set (the call runs again and computes its deadline again).
 */
long clock_realtime_sleep(uint64_t real_ns);
/*
 * Registers the current call on the clock-set source as one more wait
 * (wait_add_source): a set wakes it, so that it computes its deadline
 * again from its wall-clock time. 0 or -ENOMEM.
 */
int clock_realtime_watch(void);
/*
 * A timer armed for a wall-clock time: fn runs after every change of the
 * real-time clock (with clock_hooks_lock held; fn takes the timer's own
 * lock and compares the offset it armed at with realtime_offset()). Add
 * and del with no lock of the timer held; after del, fn does not run.
 */
struct clock_set_hook {
	struct list_head node; /* (clock_hooks_lock) */
	void (*fn)(struct clock_set_hook *h);
};
void clock_set_hook_add(struct clock_set_hook *h, void (*fn)(struct clock_set_hook *h));
void clock_set_hook_del(struct clock_set_hook *h);
/* settimeofday's time zone, which gettimeofday returns (the kernel uses it for nothing). */
void clock_timezone(int32_t *minuteswest, int32_t *dsttime);
void clock_set_timezone(int32_t minuteswest, int32_t dsttime);
/*
 * The value of a clock: the wall clocks, and the CPU-time clocks (the
 * caller's, or another's by a clock_getcpuclockid-style id); -EINVAL if
 * unknown or naming no process or no thread of the caller's process.
 */
int clock_read(int clock, uint64_t *ns);

struct process;
struct thread;
/* A CPU-time clock id: its pid or tid (0: the caller), per thread or not, CPUCLOCK_*. -EINVAL. */
int cpu_clock_parse(int clock, int *pid, bool *thread, int *which);
/* CPU time in ns: CPUCLOCK_VIRT user time, the others user + system. */
uint64_t cpu_clock_process(struct process *p, int which);
uint64_t cpu_clock_thread(struct thread *t, int which);

/* arch/x86_64/rtc.c: seconds since the epoch from the CMOS clock. */
uint64_t rtc_read_epoch(void);

#endif
