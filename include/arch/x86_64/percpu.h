/*
 * Per-CPU data, reached through the GS base.
 *
 * Each CPU owns one struct percpu; GS:0 holds its own address so that
 * this_cpu() is a single load. Fields touched only by the owning CPU with
 * interrupts disabled need no lock. The entry code (arch/x86_64/entry.S)
 * reads the head at fixed offsets (PERCPU_* below).
 *
 * While a user thread runs, user_frame_top points just past its saved
 * register frame inside struct thread: the syscall entry builds the frame
 * there, and the TSS's RSP0 has the same value so that interrupts from user
 * mode push their frame there too. The handler then moves to the CPU's own
 * stack (cpu_stack_top): a user thread owns no kernel stack.
 */
#ifndef ARCH_X86_64_PERCPU_H
#define ARCH_X86_64_PERCPU_H

#define PERCPU_SELF	      0
#define PERCPU_USER_FRAME_TOP 8
#define PERCPU_SCRATCH	      16
#define PERCPU_CPU_STACK_TOP  24

#ifndef __ASSEMBLER__

#include <lib/types.h>
#include <arch/x86_64/gdt.h>

struct thread;

struct percpu {
	struct percpu *self;	 /* PERCPU_SELF: this_cpu() */
	uint64_t user_frame_top; /* PERCPU_USER_FRAME_TOP */
	uint64_t scratch;	 /* PERCPU_SCRATCH: a register slot for entry code */
	uint64_t cpu_stack_top;	 /* PERCPU_CPU_STACK_TOP: this CPU's kernel stack */
	unsigned cpu_id;
	unsigned apic_id;
	struct thread *current;	      /* the thread running here */
	struct thread *idle;	      /* this CPU's idle thread */
	struct thread *switched_from; /* the thread this CPU last left */
	int preempt_count;	      /* > 0: no preemption (spinlocks held) */
	int irq_depth;		      /* nesting of interrupt handlers */
	bool need_resched;	      /* set by the timer or a wake-up; checked on trap exit */
	bool halting;		      /* (a) its idle loop found nothing: a wake-up IPIs it */
	uint64_t ticks;		      /* timer interrupts taken */
	uint64_t idle_ticks;	      /* ... of which while idle */
	uint64_t user_ticks;	      /* ... of which in user mode */
	uint64_t system_ticks;	      /* ... of which in the kernel, not idle */
	struct thread *fpu_owner;     /* whose user FPU state the registers hold */
	bool dr7_loaded;	      /* a tracee's debug registers are enabled (kernel/ptrace.c) */
	struct gdt_set gdt;

	/* Cross-CPU (arch/x86_64/smp.c): written by other CPUs, atomically. */
	bool call_pending;	 /* smp_call_others: run the current call */
	int nmi_reason;		 /* why another CPU sent an NMI (SMP_NMI_*) */
	bool stopped;		 /* halted by a panic on another CPU */
	bool panicking;		 /* (this CPU) inside panic(): a nested one stops here */
	uint64_t wd_seen_ticks;	 /* (this CPU) the watched CPU's ticks at the last look */
	uint64_t wd_still_ticks; /* (this CPU) own ticks since they last moved */
};

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

extern struct percpu boot_cpu;

/* smp_cpus_online() inline, for the scheduler's paths that every wake-up takes. */
extern unsigned cpus_online;
static inline unsigned percpu_cpus_online(void)
{
	return __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE);
}

void percpu_init_boot(void);
void percpu_load(struct percpu *cpu, uint64_t df_top, uint64_t nmi_top);
void percpu_publish(struct percpu *cpu);

#endif /* __ASSEMBLER__ */
#endif
