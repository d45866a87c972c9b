/*
 * Spinlocks (include/kernel/spinlock.h): test-and-test-and-set with
 * interrupts disabled, preemption counted per CPU and the owner recorded.
 * Every acquisition and release is shown to the lock checker
 * (include/kernel/lockcheck.h) before the lock is spun on, so that an
 * order inversion is reported before it can deadlock.
 */
#include <kernel/spinlock.h>
#include <kernel/lockcheck.h>
#include <kernel/panic.h>
#include <mm/tlb.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <kernel/smp.h>

void spin_init(spinlock_t *l, const char *name)
{
	l->locked = 0;
	l->owner_cpu = -1;
	l->lc_class = 0;
	l->name = name;
}

/*
 * Spins until l is taken, then owns it as lock_at does. Out of line and
 * reached by a tail call: the uncontended path needs no stack frame.
 */
static __attribute__((noinline)) unsigned long lock_contended(spinlock_t *l, unsigned long flags)
{
	struct percpu *cpu = this_cpu();

	/* A lock word is 0 or 1: anything else is not a lock (freed and poisoned memory). */
	if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) > 1)
		panic("spinlock at %p: lock word %#x: not a lock (freed memory?)", (void *)l,
		      l->locked);
	do {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
			cpu_relax();
			smp_poll_calls(); /* the holder may wait for this CPU */
			tlb_poll();	  /* ... or for this CPU's TLB flush */
		}
	} while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE));
	l->owner_cpu = (int16_t)cpu->cpu_id;
	cpu->preempt_count++;
	return flags;
}

static inline __attribute__((always_inline)) unsigned long lock_at(spinlock_t *l, unsigned sub,
								   uintptr_t site)
{
	unsigned long flags = irq_save();
	struct percpu *cpu = this_cpu();

	if (l->owner_cpu == (int)cpu->cpu_id && l->locked)
		panic("spinlock '%s': recursive acquisition", l->name);
	lockcheck_acquire(l, sub, site);
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return lock_contended(l, flags);
	l->owner_cpu = (int16_t)cpu->cpu_id;
	cpu->preempt_count++;
	return flags;
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	return lock_at(l, 0, (uintptr_t)__builtin_return_address(0));
}

unsigned long spin_lock_irqsave_nested(spinlock_t *l, unsigned subclass)
{
	return lock_at(l, subclass, (uintptr_t)__builtin_return_address(0));
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	struct percpu *cpu = this_cpu();

	if (!l->locked || l->owner_cpu != (int)cpu->cpu_id)
		panic("spinlock '%s': released by a CPU that does not hold it", l->name);
	lockcheck_release(l);
	l->owner_cpu = -1;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	cpu->preempt_count--;
	irq_restore(flags);
}

bool spin_held(const spinlock_t *l)
{
	return l->locked && l->owner_cpu == (int)this_cpu()->cpu_id;
}

void spin_assert_held(const spinlock_t *l, const char *file, int line)
{
	if (!spin_held(l))
		panic("%s:%d: lock '%s' not held", file, line, l->name);
}
