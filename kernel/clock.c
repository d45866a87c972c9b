/*
 * The clocks of clock_gettime (include/kernel/clock.h). CPU-time clocks
 * count timer ticks charged to threads (4 ms resolution at HZ = 250): a
 * thread's own, and its process's (kernel/sched.c adds each tick to both,
 * so a process's count includes its gone threads' without a walk). The
 * clock ids of clock_getcpuclockid and pthread_getcpuclockid name another
 * process's clock (any process), or a thread's (of the caller's process
 * only, as on Linux).
 *
 * The real-time clock is clock_ns() plus an offset, one signed 64-bit word
 * read and written atomically: a reader on any CPU sees the old or the new
 * offset, never half of each. clock_settime and settimeofday change it
 * (clock_realtime_set); it may go below zero (a time set earlier than
 * boot). A change then moves what was armed for a wall-clock time: the
 * absolute CLOCK_REALTIME sleeps and futex waits wait on clock_set_src
 * (too) and are woken to compute their deadline again, and the timers (timerfd, POSIX timers)
 * register a struct clock_set_hook, called after each change.
 *
 * Locks: clock_set_src.lock orders a change against a sleeper computing its
 * deadline (a sleeper holds it from reading the offset to blocking, so no
 * change falls between). clock_hooks_lock is held while the hooks run: a
 * hook takes its timer's lock (a timerfd's source, a process's lock), so
 * the order is clock_hooks_lock, then those; hooks are added and removed
 * with no lock of the timer held, and once removed never run again.
 */
#include <kernel/clock.h>
#include <kernel/config.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <lib/compiler.h>
#include <kernel/wait.h>
#include <uapi/errno.h>
#include <uapi/time.h>

/* Lock key: (a) atomic, (h) clock_hooks_lock, (w) clock_set_src.lock. */
static int64_t realtime_offset_ns; /* (a, written under w) realtime = clock_ns() + this */
static uint64_t timezone_word;	   /* (a) settimeofday's tz: minuteswest (low), dsttime (high) */
static struct wait_source clock_set_src; /* absolute CLOCK_REALTIME sleepers */
static spinlock_t clock_hooks_lock = SPINLOCK_INIT("clock-hooks");
static LIST_HEAD(clock_hooks); /* (h) struct clock_set_hook.node */

int timespec_to_ns(const struct linux_timespec *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	if ((uint64_t)ts->tv_sec > (~0ULL - (uint64_t)ts->tv_nsec) / NSEC_PER_SEC)
		*ns = ~0ULL; /* saturate: "forever" */
	else
		*ns = (uint64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
	return 0;
}

struct linux_timespec ns_to_timespec(uint64_t ns)
{
	return (struct linux_timespec){ ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };
}

void clock_realtime_init(void)
{
	uint64_t epoch_ns = rtc_read_epoch() * NSEC_PER_SEC;

	wait_source_init(&clock_set_src, "clock-set");
	__atomic_store_n(&realtime_offset_ns, (int64_t)(epoch_ns - clock_ns()), __ATOMIC_RELAXED);
}

int64_t realtime_offset(void)
{
	return __atomic_load_n(&realtime_offset_ns, __ATOMIC_RELAXED);
}

uint64_t realtime_ns(void)
{
	/* Two's complement: a negative offset subtracts (the sum is >= 0: see clock_realtime_set). */
	return clock_ns() + (uint64_t)realtime_offset();
}

uint64_t realtime_to_monotonic_at(uint64_t real_ns, int64_t offset)
{
	if (offset < 0)
		return deadline_add(real_ns, -(uint64_t)offset);
	if (real_ns <= (uint64_t)offset)
		return 1;
	return deadline_add(real_ns - (uint64_t)offset, 0);
}

uint64_t realtime_to_monotonic(uint64_t real_ns)
{
	return realtime_to_monotonic_at(real_ns, realtime_offset());
}

uint64_t realtime_rebase(uint64_t deadline, int64_t old_offset, int64_t new_offset)
{
	/* Both offsets lie in [-clock_ns(), REALTIME_SET_MAX_NS]: the difference fits. */
	int64_t delta = new_offset - old_offset;

	if (!deadline || deadline >= DEADLINE_MAX)
		return deadline;
	if (delta < 0)
		return deadline_add(deadline, -(uint64_t)delta);
	return deadline > (uint64_t)delta ? deadline - (uint64_t)delta : 1;
}

void clock_set_hook_add(struct clock_set_hook *h, void (*fn)(struct clock_set_hook *h))
{
	unsigned long flags = spin_lock_irqsave(&clock_hooks_lock);

	h->fn = fn;
	list_add_tail(&h->node, &clock_hooks);
	spin_unlock_irqrestore(&clock_hooks_lock, flags);
}

void clock_set_hook_del(struct clock_set_hook *h)
{
	unsigned long flags = spin_lock_irqsave(&clock_hooks_lock);

	if (h->fn)
		list_del(&h->node);
	h->fn = NULL;
	spin_unlock_irqrestore(&clock_hooks_lock, flags);
}

static void run_clock_set_hooks(void)
{
	unsigned long flags = spin_lock_irqsave(&clock_hooks_lock);
	struct clock_set_hook *h;

	list_for_each_entry (h, &clock_hooks, node)
		h->fn(h);
	spin_unlock_irqrestore(&clock_hooks_lock, flags);
}

int clock_realtime_set(uint64_t real_ns)
{
	unsigned long flags;

	if (real_ns >= REALTIME_SET_MAX_NS)
		return -EINVAL;
	flags = spin_lock_irqsave(&clock_set_src.lock);
	__atomic_store_n(&realtime_offset_ns, (int64_t)(real_ns - clock_ns()), __ATOMIC_RELAXED);
	wait_wake_all_locked(&clock_set_src, 0);
	spin_unlock_irqrestore(&clock_set_src.lock, flags);
	run_clock_set_hooks();
	return 0;
}

long clock_realtime_sleep(uint64_t real_ns)
{
	unsigned long flags = spin_lock_irqsave(&clock_set_src.lock);
	uint64_t deadline = realtime_to_monotonic(real_ns);
	long r = 0;

	if (clock_ns() < deadline)
		r = wait_block_locked(&clock_set_src, deadline);
	spin_unlock_irqrestore(&clock_set_src.lock, flags);
	return r;
}

int clock_realtime_watch(void)
{
	return wait_add_source(&clock_set_src);
}

void clock_timezone(int32_t *minuteswest, int32_t *dsttime)
{
	uint64_t v = __atomic_load_n(&timezone_word, __ATOMIC_RELAXED);

	*minuteswest = (int32_t)(uint32_t)v;
	*dsttime = (int32_t)(uint32_t)(v >> 32);
}

void clock_set_timezone(int32_t minuteswest, int32_t dsttime)
{
	uint64_t v = (uint32_t)minuteswest | (uint64_t)(uint32_t)dsttime << 32;

	__atomic_store_n(&timezone_word, v, __ATOMIC_RELAXED);
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks * (NSEC_PER_SEC / HZ);
}

uint64_t cpu_clock_process(struct process *p, int which)
{
	uint64_t ticks = which == CPUCLOCK_VIRT
				 ? __atomic_load_n(&p->cpu_user_ticks, __ATOMIC_RELAXED)
				 : __atomic_load_n(&p->cpu_ticks, __ATOMIC_RELAXED);

	return ticks_to_ns(ticks);
}

uint64_t cpu_clock_thread(struct thread *t, int which)
{
	uint64_t user = READ_ONCE(t->user_ticks);

	return ticks_to_ns(which == CPUCLOCK_VIRT ? user : user + READ_ONCE(t->system_ticks));
}

int cpu_clock_parse(int clock, int *pid, bool *thread, int *which)
{
	if (clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID) {
		*pid = 0;
		*thread = clock == CLOCK_THREAD_CPUTIME_ID;
		*which = CPUCLOCK_SCHED;
		return 0;
	}
	if (clock >= 0 || CPUCLOCK_WHICH(clock) == CPUCLOCK_CLOCK_MASK)
		return -EINVAL;
	*pid = CPUCLOCK_PID(clock);
	*thread = CPUCLOCK_PERTHREAD(clock);
	*which = CPUCLOCK_WHICH(clock);
	return 0;
}

/* A thread clock: a thread of the caller's process only (as Linux). */
static int read_thread_clock(int tid, int which, uint64_t *ns)
{
	struct thread *self = current_thread(), *t;
	struct process *p = self->proc;
	unsigned long flags;
	int err = -EINVAL;

	if (!tid || tid == self->tid) {
		*ns = cpu_clock_thread(self, which);
		return 0;
	}
	flags = spin_lock_irqsave(&p->lock);
	t = proc_thread_locked(p, tid);
	if (t) {
		*ns = cpu_clock_thread(t, which);
		err = 0;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return err;
}

/* A process clock: any process, named by its pid (not by another thread's id: Linux 6.18). */
static int read_process_clock(int pid, int which, uint64_t *ns)
{
	struct process *p = current_proc();
	unsigned long flags;

	if (!pid || pid == p->pid) {
		*ns = cpu_clock_process(p, which);
		return 0;
	}
	flags = spin_lock_irqsave(&proc_tree_lock);
	p = proc_find(pid);
	if (p)
		*ns = cpu_clock_process(p, which);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return p ? 0 : -EINVAL;
}

int clock_read(int clock, uint64_t *ns)
{
	int pid, which;
	bool thread;

	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		*ns = realtime_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*ns = clock_ns();
		return 0;
	default:
		if (cpu_clock_parse(clock, &pid, &thread, &which))
			return -EINVAL;
		return thread ? read_thread_clock(pid, which, ns)
			      : read_process_clock(pid, which, ns);
	}
}
