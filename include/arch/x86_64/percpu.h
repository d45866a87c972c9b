/*
 * Per-CPU data, reached through the GS base.
 *
 * Each CPU owns one struct percpu; GS:0 holds its own address so that
 * this_cpu() is a single load. Fields touched only by the owning CPU with
 * interrupts disabled need no lock. The syscall entry (a later issue) finds
 * the CPU's kernel stack at a fixed offset, hence the fixed head.
 */
#ifndef ARCH_X86_64_PERCPU_H
#define ARCH_X86_64_PERCPU_H

#include <lib/types.h>
#include <arch/x86_64/gdt.h>

struct thread;

struct percpu {
	struct percpu *self; /* offset 0: this_cpu() */
	uint64_t kernel_rsp; /* offset 8: top of this CPU's entry stack */
	uint64_t scratch;    /* offset 16: free register slot for entry code */
	unsigned cpu_id;
	unsigned apic_id;
	struct thread *current;	      /* the thread running here */
	struct thread *idle;	      /* this CPU's idle thread */
	struct thread *switched_from; /* the thread this CPU last left */
	int preempt_count;	      /* > 0: no preemption (spinlocks held) */
	int irq_depth;		      /* nesting of interrupt handlers */
	bool need_resched;	      /* set by the timer or a wake-up; checked on trap exit */
	uint64_t ticks;		      /* timer interrupts taken */
	uint64_t idle_ticks;	      /* ... of which while idle */
	struct gdt_set gdt;
};

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

extern struct percpu boot_cpu;

void percpu_init_boot(void);

#endif
