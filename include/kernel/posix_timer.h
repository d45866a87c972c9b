/*
 * POSIX timers and CPU-time timers (kernel/posix_timer.c): timer_create
 * and its calls on the wall clocks and the CPU-time clocks, ITIMER_VIRTUAL
 * and ITIMER_PROF, and the per-tick check that fires CPU-time timers while
 * a thread runs (in user mode too, with no system call).
 */
#ifndef KERNEL_POSIX_TIMER_H
#define KERNEL_POSIX_TIMER_H

#include <lib/types.h>

struct process;
struct thread;
struct linux_sigevent;
struct linux_itimerspec;
struct posix_timer;

/* timer_create: the new timer's id, or -EINVAL, -EAGAIN, -ENOMEM, -EOPNOTSUPP. */
int posix_timer_create(int clock, const struct linux_sigevent *ev);
int posix_timer_settime(int id, int flags, const struct linux_itimerspec *new,
			struct linux_itimerspec *old);
int posix_timer_gettime(int id, struct linux_itimerspec *cur);
int posix_timer_getoverrun(int id);
int posix_timer_delete(int id);
/* Deletes every timer of p (exec, the last thread's exit). */
void posix_timers_release(struct process *p);
/*
 * A timer's preallocated signal was taken from its queue: returns the
 * expirations counted while it was queued (si_overrun). Caller holds p->lock.
 */
int posix_timer_dequeued(struct posix_timer *pt);

/* ITIMER_VIRTUAL / ITIMER_PROF: set (value 0 disarms) and read, in ns. */
void cpu_itimer_set(int which, uint64_t value, uint64_t interval, uint64_t *old_value,
		    uint64_t *old_interval);
void cpu_itimer_get(int which, uint64_t *value, uint64_t *interval);

/*
 * The tick, t running (after its time was charged): fires t's process's
 * expired CPU timers, and sends RLIMIT_CPU's SIGXCPU or SIGKILL.
 */
void posix_cpu_timers_tick(struct thread *t);
/* p's RLIMIT_CPU was set (or copied at fork): the tick looks at it. Caller holds p->lock. */
void posix_cpu_rlimit_changed_locked(struct process *p);

#endif
