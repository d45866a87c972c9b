/*
 * Kernel timers (include/kernel/timer.h): one list sorted by deadline.
 * Every CPU's tick takes the expired ones off the list under the lock and
 * calls them after releasing it, noting which timer it is calling
 * (running[]): ktimer_cancel waits until no other CPU is calling the timer,
 * so that after it returns the function neither runs nor re-arms it (the
 * owner may free it).
 */
#include <kernel/timer.h>
#include <kernel/spinlock.h>
#include <kernel/time.h>
#include <kernel/smp.h>
#include <arch/x86_64/cpu.h>

static spinlock_t timer_lock = SPINLOCK_INIT("ktimers");
static LIST_HEAD(armed);		 /* (timer_lock) */
static struct ktimer *running[MAX_CPUS]; /* (timer_lock) the timer each CPU is calling */

void ktimer_init(struct ktimer *t, ktimer_fn fn)
{
	list_init(&t->node);
	t->deadline = 0;
	t->fn = fn;
}

static uint64_t left_locked(struct ktimer *t)
{
	uint64_t now = clock_ns();

	assert_held(&timer_lock);
	if (!t->deadline)
		return 0;
	return t->deadline > now ? t->deadline - now : 1;
}

static void disarm_locked(struct ktimer *t)
{
	assert_held(&timer_lock);
	if (t->deadline) {
		list_del(&t->node);
		t->deadline = 0;
	}
}

uint64_t ktimer_arm(struct ktimer *t, uint64_t deadline)
{
	unsigned long flags = spin_lock_irqsave(&timer_lock);
	uint64_t left = left_locked(t);
	struct list_head *pos = &armed;
	struct ktimer *o;

	disarm_locked(t);
	t->deadline = deadline ? deadline : 1;
	list_for_each_entry (o, &armed, node) {
		if (o->deadline > t->deadline) {
			pos = &o->node;
			break;
		}
	}
	list_add_tail(&t->node, pos);
	spin_unlock_irqrestore(&timer_lock, flags);
	return left;
}

/* Whether a CPU other than this one is calling t's function. Caller holds timer_lock. */
static bool running_elsewhere_locked(struct ktimer *t)
{
	unsigned self = smp_this_cpu_id();

	assert_held(&timer_lock);
	for_each_online_cpu(id) if (id != self && running[id] == t) return true;
	return false;
}

uint64_t ktimer_cancel(struct ktimer *t)
{
	unsigned long flags = spin_lock_irqsave(&timer_lock);
	uint64_t left = left_locked(t);

	disarm_locked(t);
	while (running_elsewhere_locked(t)) {
		spin_unlock_irqrestore(&timer_lock, flags);
		cpu_relax();
		flags = spin_lock_irqsave(&timer_lock);
		disarm_locked(t); /* the function may have armed it again */
	}
	spin_unlock_irqrestore(&timer_lock, flags);
	return left;
}

uint64_t ktimer_remaining(struct ktimer *t)
{
	unsigned long flags = spin_lock_irqsave(&timer_lock);
	uint64_t left = left_locked(t);

	spin_unlock_irqrestore(&timer_lock, flags);
	return left;
}

void ktimers_run(uint64_t now)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&timer_lock);
		struct ktimer *t = list_empty(&armed)
					   ? NULL
					   : list_first_entry(&armed, struct ktimer, node);

		if (!t || t->deadline > now) {
			spin_unlock_irqrestore(&timer_lock, flags);
			return;
		}
		disarm_locked(t);
		running[smp_this_cpu_id()] = t;
		spin_unlock_irqrestore(&timer_lock, flags);
		t->fn(t);
		flags = spin_lock_irqsave(&timer_lock);
		running[smp_this_cpu_id()] = NULL;
		spin_unlock_irqrestore(&timer_lock, flags);
	}
}
