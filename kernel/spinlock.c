/*
 * Spinlocks (include/kernel/spinlock.h): test-and-test-and-set with
 * interrupts disabled, preemption counted per CPU and the owner recorded.
 */
#include <kernel/spinlock.h>
#include <kernel/panic.h>
#include <mm/tlb.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <kernel/smp.h>

void spin_init(spinlock_t *l, const char *name)
{
	l->locked = 0;
	l->owner_cpu = -1;
	l->name = name;
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = irq_save();
	struct percpu *cpu = this_cpu();

	if (l->owner_cpu == (int)cpu->cpu_id && l->locked)
		panic("spinlock '%s': recursive acquisition", l->name);
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
			cpu_relax();
			smp_poll_calls(); /* the holder may wait for this CPU */
			tlb_poll();	  /* ... or for this CPU's TLB flush */
		}
	}
	l->owner_cpu = cpu->cpu_id;
	cpu->preempt_count++;
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	struct percpu *cpu = this_cpu();

	if (!l->locked || l->owner_cpu != (int)cpu->cpu_id)
		panic("spinlock '%s': released by a CPU that does not hold it", l->name);
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
