/*
 * What the portable allocators (mm/page.c's per-CPU page caches, mm/slab.c's
 * magazines) use of the CPU: this CPU's id read inline (one GS-relative
 * load, where smp_this_cpu_id() is a call), and interrupts off and on
 * around a per-CPU structure touched without a lock. The host unit tests
 * are one thread playing the only CPU, which nothing interrupts.
 */
#ifndef MM_CPU_H
#define MM_CPU_H

#include <kernel/smp.h>

#ifndef AXL_HOST
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>

/* This CPU's id; stable only while interrupts are off or a spinlock is held. */
static inline unsigned mm_cpu_id(void)
{
	return this_cpu()->cpu_id;
}
#else
static inline unsigned mm_cpu_id(void)
{
	return smp_this_cpu_id();
}
static inline unsigned long irq_save(void)
{
	return 0;
}
static inline void irq_restore(unsigned long flags)
{
	(void)flags;
}
#endif

#endif
