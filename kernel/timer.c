/*
 * Kernel timers (include/kernel/timer.h): one list sorted by deadline.
 * The tick takes the expired ones off the list under the lock and calls
 * them after releasing it.
 */
#include <kernel/timer.h>
#include <kernel/spinlock.h>
#include <kernel/time.h>

static spinlock_t timer_lock = SPINLOCK_INIT("ktimers");
static LIST_HEAD(armed); /* (timer_lock) */

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

uint64_t ktimer_cancel(struct ktimer *t)
{
	unsigned long flags = spin_lock_irqsave(&timer_lock);
	uint64_t left = left_locked(t);

	disarm_locked(t);
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
		spin_unlock_irqrestore(&timer_lock, flags);
		t->fn(t);
	}
}
