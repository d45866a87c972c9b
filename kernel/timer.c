/*
 * Kernel timers (include/kernel/timer.h): one list per CPU, sorted by
 * deadline. A timer belongs to the list of the CPU that initialized it
 * (its home, fixed for its life), so arming and cancelling take one lock
 * and no timer ever moves between lists; each CPU's tick serves its own
 * list only, and CPUs never contend for a global timer lock. A CPU idling
 * in hlt still ticks, so a timer fires on time wherever its home is.
 *
 * The tick takes the expired timers off its list under the list's lock and
 * calls each after releasing it, noting which one it is calling
 * (base->running): ktimer_cancel waits until the home CPU is not calling
 * the timer, so that after it returns the function neither runs nor
 * re-arms it (the owner may free it).
 *
 * A tick calls each timer at most once: one armed during the tick (by its
 * own function, say, for a period that has already passed) waits for the
 * next tick even if its deadline is past, so no timer can keep a CPU in
 * its tick with interrupts off.
 */
#include <kernel/timer.h>
#include <kernel/spinlock.h>
#include <kernel/time.h>
#include <kernel/smp.h>
#include <arch/x86_64/cpu.h>

/* Lock key: (lock). One per CPU; a CPU's tick serves its own. */
struct timer_base {
	spinlock_t lock;
	struct list_head armed; /* (lock) struct ktimer.node, by deadline */
	struct ktimer *running; /* (lock) the timer this CPU's tick is calling */
	uint64_t ticks;		/* (lock) runs of ktimers_run: when each timer was armed */
};

static struct timer_base bases[MAX_CPUS] = { [0 ... MAX_CPUS - 1] = {
						     .lock = SPINLOCK_INIT("ktimers"),
					     } };

void ktimers_init(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		list_init(&bases[i].armed);
}

void ktimer_init(struct ktimer *t, ktimer_fn fn)
{
	list_init(&t->node);
	t->deadline = 0;
	t->fn = fn;
	t->home = smp_this_cpu_id();
}

static struct timer_base *lock_base(struct ktimer *t, unsigned long *flags)
{
	struct timer_base *b = &bases[t->home];

	*flags = spin_lock_irqsave(&b->lock);
	return b;
}

static uint64_t left_locked(struct timer_base *b, struct ktimer *t)
{
	uint64_t now = clock_ns();

	assert_held(&b->lock);
	if (!t->deadline)
		return 0;
	return t->deadline > now ? t->deadline - now : 1;
}

static void disarm_locked(struct timer_base *b, struct ktimer *t)
{
	assert_held(&b->lock);
	if (t->deadline) {
		list_del(&t->node);
		t->deadline = 0;
	}
}

uint64_t ktimer_arm(struct ktimer *t, uint64_t deadline)
{
	unsigned long flags;
	struct timer_base *b = lock_base(t, &flags);
	uint64_t left = left_locked(b, t);
	struct list_head *pos = &b->armed;
	struct ktimer *o;

	disarm_locked(b, t);
	t->deadline = deadline ? deadline : 1;
	t->armed_tick = b->ticks;
	list_for_each_entry (o, &b->armed, node) {
		if (o->deadline > t->deadline) {
			pos = &o->node;
			break;
		}
	}
	list_add_tail(&t->node, pos);
	spin_unlock_irqrestore(&b->lock, flags);
	return left;
}

uint64_t ktimer_cancel(struct ktimer *t)
{
	unsigned long flags;
	struct timer_base *b = lock_base(t, &flags);
	uint64_t left = left_locked(b, t);
	bool own_tick = t->home == smp_this_cpu_id(); /* called from t's own function */

	disarm_locked(b, t);
	while (!own_tick && b->running == t) {
		spin_unlock_irqrestore(&b->lock, flags);
		cpu_relax();
		flags = spin_lock_irqsave(&b->lock);
		disarm_locked(b, t); /* the function may have armed it again */
	}
	spin_unlock_irqrestore(&b->lock, flags);
	return left;
}

uint64_t ktimer_remaining(struct ktimer *t)
{
	unsigned long flags;
	struct timer_base *b = lock_base(t, &flags);
	uint64_t left = left_locked(b, t);

	spin_unlock_irqrestore(&b->lock, flags);
	return left;
}

void ktimers_run(uint64_t now)
{
	struct timer_base *b = &bases[smp_this_cpu_id()];
	unsigned long flags = spin_lock_irqsave(&b->lock);
	uint64_t tick = ++b->ticks;

	spin_unlock_irqrestore(&b->lock, flags);
	for (;;) {
		struct ktimer *t;

		flags = spin_lock_irqsave(&b->lock);
		t = list_empty(&b->armed) ? NULL : list_first_entry(&b->armed, struct ktimer, node);
		if (!t || t->deadline > now || t->armed_tick == tick) {
			spin_unlock_irqrestore(&b->lock, flags);
			return;
		}
		disarm_locked(b, t);
		b->running = t;
		spin_unlock_irqrestore(&b->lock, flags);
		t->fn(t);
		flags = spin_lock_irqsave(&b->lock);
		b->running = NULL;
		spin_unlock_irqrestore(&b->lock, flags);
	}
}
