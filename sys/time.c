/*
 * Time system calls: clock_gettime, clock_settime, clock_getres,
 * gettimeofday, settimeofday, time, times, nanosleep, clock_nanosleep, and
 * the POSIX timers' timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete. Sleeps are stackless waits with a
 * deadline and no event source; the deadline is kept in the wait, so a
 * sleep run again after an early wake-up sleeps only what remains. An
 * absolute CLOCK_REALTIME sleep keeps its wall-clock time instead (struct
 * sleep_progress) and waits on the clock's changes too (kernel/clock.c).
 *
 * Setting the clock needs CAP_SYS_TIME (EPERM without), checked after the
 * value's own checks, as Linux.
 */
#include <kernel/syscall.h>
#include <kernel/clock.h>
#include <kernel/cred.h>
#include <kernel/config.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>
#include <kernel/posix_timer.h>
#include <kernel/wait.h>
#include <uapi/errno.h>
#include <uapi/eventfd.h>
#include <uapi/time.h>

#define USER_HZ 100 /* the unit of times() and AT_CLKTCK */

SYSCALL_DEFINE2(clock_gettime, int, clock, uintptr_t, uts)
{
	uint64_t ns;
	struct linux_timespec ts;
	int err = clock_read(clock, &ns);

	if (err)
		return err;
	ts = ns_to_timespec(ns);
	return copy_to_user(uts, &ts, sizeof(ts));
}

SYSCALL_DEFINE2(clock_settime, int, clock, uintptr_t, uts)
{
	struct linux_timespec ts;
	uint64_t ns, now;

	if (clock != CLOCK_REALTIME) {
		/*
		 * Linux: of the others only the clock_getcpuclockid ids have a set
		 * method, which reads the time, then says EINVAL for no such clock
		 * and EPERM for one (a CPU clock is never set); the rest: EINVAL.
		 */
		if (clock >= 0 || CPUCLOCK_WHICH(clock) == CPUCLOCK_CLOCK_MASK)
			return -EINVAL;
		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		return clock_read(clock, &now) ? -EINVAL : -EPERM;
	}
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (timespec_to_ns(&ts, &ns) || ns >= REALTIME_SET_MAX_NS)
		return -EINVAL;
	if (!capable(CAP_SYS_TIME)) /* after the value's checks, as Linux */
		return -EPERM;
	return clock_realtime_set(ns);
}

SYSCALL_DEFINE2(clock_getres, int, clock, uintptr_t, uts)
{
	uint64_t ns;
	struct linux_timespec res = { 0, 1 };

	if (clock_read(clock, &ns))
		return -EINVAL;
	if (clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE ||
	    clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID || clock < 0)
		res.tv_nsec = NSEC_PER_SEC / HZ;
	return uts ? copy_to_user(uts, &res, sizeof(res)) : 0;
}

SYSCALL_DEFINE2(gettimeofday, uintptr_t, utv, uintptr_t, utz)
{
	uint64_t ns = realtime_ns();
	int64_t tv[2] = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC / NSEC_PER_USEC };
	int32_t tz[2];

	clock_timezone(&tz[0], &tz[1]);
	if (utv && copy_to_user(utv, tv, sizeof(tv)))
		return -EFAULT;
	if (utz && copy_to_user(utz, tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

#define USEC_PER_SEC   1000000
#define TZ_MINUTES_MAX (15 * 60) /* Linux's bound on tz_minuteswest */

/*
 * Linux's order of checks (6.18): the time is read and its microseconds
 * checked, then the zone is read, then the seconds (>= 0 and below
 * REALTIME_SET_MAX_NS), then the zone's minutes. The zone is
 * kept for gettimeofday (Linux's first call with a zone and no time also
 * warps a clock kept in local time: the CMOS clock here is read as UTC, so
 * there is nothing to warp). Neither: 0.
 */
SYSCALL_DEFINE2(settimeofday, uintptr_t, utv, uintptr_t, utz)
{
	int64_t tv[2];
	int32_t tz[2];

	if (utv) {
		if (copy_from_user(tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv[1] < 0 || tv[1] >= USEC_PER_SEC)
			return -EINVAL;
	}
	if (utz && copy_from_user(tz, utz, sizeof(tz)))
		return -EFAULT;
	if (utv && (tv[0] < 0 || (uint64_t)tv[0] >= REALTIME_SET_MAX_NS / NSEC_PER_SEC))
		return -EINVAL;
	if (!capable(CAP_SYS_TIME))
		return -EPERM;
	if (utz) {
		if (tz[0] < -TZ_MINUTES_MAX || tz[0] > TZ_MINUTES_MAX)
			return -EINVAL;
		clock_set_timezone(tz[0], tz[1]);
	}
	if (!utv)
		return 0;
	return clock_realtime_set((uint64_t)tv[0] * NSEC_PER_SEC + (uint64_t)tv[1] * NSEC_PER_USEC);
}

SYSCALL_DEFINE1(time, uintptr_t, ut)
{
	int64_t now = realtime_ns() / NSEC_PER_SEC;

	if (ut && copy_to_user(ut, &now, sizeof(now)))
		return -EFAULT;
	return now;
}

SYSCALL_DEFINE1(times, uintptr_t, ubuf)
{
	struct process *p = current_proc();
	int64_t tms[4] = { 0, 0, (int64_t)(p->child_user_ticks * USER_HZ / HZ),
			   (int64_t)(p->child_system_ticks * USER_HZ / HZ) };
	uint64_t ut = p->user_ticks, st = p->system_ticks;
	struct thread *t;
	unsigned long flags = spin_lock_irqsave(&p->lock);

	list_for_each_entry (t, &p->threads, proc_node) {
		ut += t->user_ticks;
		st += t->system_ticks;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	tms[0] = ut * USER_HZ / HZ;
	tms[1] = st * USER_HZ / HZ;
	if (ubuf && copy_to_user(ubuf, tms, sizeof(tms)))
		return -EFAULT;
	return (long)(clock_ns() / (NSEC_PER_SEC / USER_HZ));
}

/* Sleeps until the monotonic deadline; the first run records it in the wait. */
static long sleep_until(uint64_t deadline)
{
	struct wait *w = current_wait();

	if (!w->deadline_ns)
		w->deadline_ns = deadline ? deadline : 1;
	if (clock_ns() >= w->deadline_ns)
		return 0;
	return wait_sleep_until(w->deadline_ns);
}

static long read_request(uintptr_t ureq, uint64_t *ns)
{
	struct linux_timespec ts;

	if (copy_from_user(&ts, ureq, sizeof(ts)))
		return -EFAULT;
	return timespec_to_ns(&ts, ns);
}

SYSCALL_DEFINE2(nanosleep, uintptr_t, ureq, uintptr_t, urem)
{
	uint64_t ns = 0;
	long err;

	(void)urem; /* only an interrupted sleep (signals, next issue) writes the remainder */
	if (!current_wait()->deadline_ns && (err = read_request(ureq, &ns)))
		return err;
	return sleep_until(deadline_after(ns));
}

static bool thread_cpu_clock(int clock)
{
	int pid, which;
	bool thread;

	return !cpu_clock_parse(clock, &pid, &thread, &which) && thread;
}

SYSCALL_DEFINE4(clock_nanosleep, int, clock, int, flags, uintptr_t, ureq, uintptr_t, urem)
{
	uint64_t ns = 0, now;
	long err;

	(void)urem;
	if (current_wait()->deadline_ns) /* a run after a wake-up: the first run checked */
		return current_wait()->call_kind == PROGRESS_SLEEP
			       ? clock_realtime_sleep(progress_sleep(current_wait())->real_ns)
			       : sleep_until(0);
	if (clock == CLOCK_THREAD_CPUTIME_ID)
		return -EOPNOTSUPP; /* no sleeping on a thread's CPU time: Linux's errors */
	if (thread_cpu_clock(clock) || clock_read(clock, &now))
		return -EINVAL;
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	if ((err = read_request(ureq, &ns)))
		return err;
	if (!(flags & TIMER_ABSTIME))
		return sleep_until(deadline_after(ns));
	if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
		progress_sleep(current_wait())->real_ns = ns; /* the wall-clock time, kept */
		return clock_realtime_sleep(ns);
	}
	return sleep_until(ns ? ns : 1);
}

/* ---- POSIX timers (kernel/posix_timer.c) ---- */

SYSCALL_DEFINE3(timer_create, int, clock, uintptr_t, uevent, uintptr_t, uid)
{
	struct linux_sigevent ev;
	int id;

	if (uevent && copy_from_user(&ev, uevent, sizeof(ev)))
		return -EFAULT;
	id = posix_timer_create(clock, uevent ? &ev : NULL);
	if (id < 0)
		return id;
	if (copy_to_user(uid, &id, sizeof(id))) {
		posix_timer_delete(id);
		return -EFAULT;
	}
	return 0;
}

static bool bad_spec(const struct linux_itimerspec *s)
{
	return s->value_nsec < 0 || s->value_nsec >= (int64_t)NSEC_PER_SEC || s->value_sec < 0 ||
	       s->interval_nsec < 0 || s->interval_nsec >= (int64_t)NSEC_PER_SEC ||
	       s->interval_sec < 0;
}

SYSCALL_DEFINE4(timer_settime, int, id, int, flags, uintptr_t, unew, uintptr_t, uold)
{
	struct linux_itimerspec new, old;
	long r;

	if (!unew)
		return -EINVAL;
	if (copy_from_user(&new, unew, sizeof(new)))
		return -EFAULT;
	if (bad_spec(&new))
		return -EINVAL;
	r = posix_timer_settime(id, flags, &new, &old);
	if (!r && uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return r;
}

SYSCALL_DEFINE2(timer_gettime, int, id, uintptr_t, ucur)
{
	struct linux_itimerspec cur;
	long r = posix_timer_gettime(id, &cur);

	if (r)
		return r;
	return copy_to_user(ucur, &cur, sizeof(cur)) ? -EFAULT : 0;
}

SYSCALL_DEFINE1(timer_getoverrun, int, id)
{
	return posix_timer_getoverrun(id);
}

SYSCALL_DEFINE1(timer_delete, int, id)
{
	return posix_timer_delete(id);
}
