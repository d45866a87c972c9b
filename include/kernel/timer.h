/*
 * Kernel timers (kernel/timer.c): a function called once a clock_ns()
 * deadline has passed, from the timer tick, outside every lock (so it may
 * send signals). Used for ITIMER_REAL (alarm, setitimer).
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <lib/types.h>
#include <lib/list.h>

struct ktimer;
typedef void (*ktimer_fn)(struct ktimer *t);

/* Lock key: (l) the lock of its home CPU's timer list, (c) constant. */
struct ktimer {
	struct list_head node; /* (l) on the home CPU's armed list, by deadline */
	uint64_t deadline;     /* (l) 0: not armed */
	ktimer_fn fn;	       /* (c) */
	unsigned home;	       /* (c) the CPU whose list and tick serve it */
	uint64_t armed_tick;   /* (l) its home's tick count when armed: a tick calls it once */
};

/* Prepares the per-CPU timer lists (once, before any ktimer_init). */
void ktimers_init(void);
/* Prepares t; the calling CPU becomes its home. */
void ktimer_init(struct ktimer *t, ktimer_fn fn);
/* (Re)arms t for deadline (clock_ns); returns the time that was left, 0 if none. */
uint64_t ktimer_arm(struct ktimer *t, uint64_t deadline);
/* Disarms t; returns the time that was left, 0 if it was not armed. */
uint64_t ktimer_cancel(struct ktimer *t);
uint64_t ktimer_remaining(struct ktimer *t);
/* Runs the expired timers; called by the timer tick. */
void ktimers_run(uint64_t now);

#endif
