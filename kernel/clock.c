/*
 * The clocks of clock_gettime (include/kernel/clock.h). CPU-time clocks
 * count timer ticks charged to threads (4 ms resolution at HZ = 250): a
 * thread's own, and its process's (kernel/sched.c adds each tick to both,
 * so a process's count includes its gone threads' without a walk). The
 * clock ids of clock_getcpuclockid and pthread_getcpuclockid name another
 * process's clock (any process), or a thread's (of the caller's process
 * only, as on Linux).
 */
#include <kernel/clock.h>
#include <kernel/config.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <lib/compiler.h>
#include <uapi/errno.h>
#include <uapi/time.h>

static uint64_t boot_realtime_ns; /* the epoch time at clock_ns() == 0 */

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
	uint64_t now = clock_ns();

	boot_realtime_ns = epoch_ns > now ? epoch_ns - now : 0;
}

uint64_t realtime_ns(void)
{
	return boot_realtime_ns + clock_ns();
}

uint64_t realtime_to_monotonic(uint64_t real_ns)
{
	return real_ns > boot_realtime_ns ? real_ns - boot_realtime_ns : 1;
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
