/*
 * The clocks of clock_gettime (include/kernel/clock.h). CPU-time clocks
 * count timer ticks charged to threads (4 ms resolution at HZ = 250).
 */
#include <kernel/clock.h>
#include <kernel/config.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <uapi/errno.h>

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

static uint64_t process_cpu_ns(struct process *p)
{
	uint64_t ticks = p->user_ticks + p->system_ticks;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct thread *t;

	list_for_each_entry (t, &p->threads, proc_node)
		ticks += t->user_ticks + t->system_ticks;
	spin_unlock_irqrestore(&p->lock, flags);
	return ticks_to_ns(ticks);
}

int clock_read(int clock, uint64_t *ns)
{
	struct thread *t = current_thread();

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
	case CLOCK_PROCESS_CPUTIME_ID:
		*ns = process_cpu_ns(t->proc);
		return 0;
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = ticks_to_ns(t->user_ticks + t->system_ticks);
		return 0;
	default:
		return -EINVAL;
	}
}
