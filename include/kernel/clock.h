/*
 * Wall-clock time and the Linux time structures (kernel/clock.c). The
 * real time is read once from the CMOS clock at boot; after that it is the
 * boot time plus the TSC clock (include/kernel/time.h).
 */
#ifndef KERNEL_CLOCK_H
#define KERNEL_CLOCK_H

#include <lib/types.h>

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
/* A CLOCK_REALTIME instant as a clock_ns() deadline (1 if already past). */
uint64_t realtime_to_monotonic(uint64_t real_ns);
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
