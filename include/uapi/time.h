/*
 * Linux x86-64 timer values: struct sigevent's notify kinds, the itimers,
 * and the encoding of the CPU-time clock ids of clock_getcpuclockid and
 * pthread_getcpuclockid (a negative id: ~pid << 3, the thread bit, the
 * kind in the low two bits).
 */
#ifndef UAPI_TIME_H
#define UAPI_TIME_H

#include <lib/types.h>

#define SIGEV_SIGNAL	0
#define SIGEV_NONE	1
#define SIGEV_THREAD	2 /* the C library's: the kernel treats it as SIGEV_SIGNAL */
#define SIGEV_THREAD_ID 4

#define ITIMER_REAL    0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF    2

#define CPUCLOCK_PROF		  0 /* user + system time */
#define CPUCLOCK_VIRT		  1 /* user time */
#define CPUCLOCK_SCHED		  2 /* time run (here: user + system) */
#define CPUCLOCK_CLOCK_MASK	  3
#define CPUCLOCK_PERTHREAD_MASK	  4
#define CPUCLOCK_PID(clock)	  ((int)(~(clock) >> 3))
#define CPUCLOCK_PERTHREAD(clock) (((clock)&CPUCLOCK_PERTHREAD_MASK) != 0)
#define CPUCLOCK_WHICH(clock)	  ((clock)&CPUCLOCK_CLOCK_MASK)

/* struct sigevent as timer_create reads it (64 bytes). */
struct linux_sigevent {
	uint64_t value; /* sigev_value */
	int32_t signo;
	int32_t notify;
	int32_t thread_id; /* SIGEV_THREAD_ID: the tid */
	int32_t pad[11];
};

#endif
