/*
 * Per-CPU areas (include/arch/x86_64/percpu.h). The boot CPU's area is
 * static; kmain sets it up before anything takes a lock, since spinlocks
 * record their owner CPU. The others are allocated by smp_boot_aps
 * (arch/x86_64/smp.c) and published in cpus[] by the AP itself once it is
 * fully ready.
 *
 * Each CPU has three stacks besides its threads': its own CPU stack (the
 * CPU loop, traps from user mode, the idle thread), a double-fault stack
 * and an NMI stack, both taken through the TSS's IST. The word above the
 * NMI stack's top holds the CPU's struct percpu (entry.S: nmi_entry).
 */
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/layout.h>
#include <kernel/panic.h>
#include <kernel/smp.h>

struct percpu boot_cpu; /* CPU 0's own (arch/x86_64/percpu.h) */
static uint8_t boot_df_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t boot_nmi_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
extern char boot_stack_top[];

static struct percpu *cpus[MAX_CPUS]; /* [I] written once, before the CPU counts as online */
unsigned cpus_online; /* CPUs 0..cpus_online-1 are up (atomic; percpu_cpus_online) */

unsigned smp_cpus_online(void)
{
	return percpu_cpus_online();
}

struct percpu *smp_cpu(unsigned id)
{
	return id < smp_cpus_online() ? cpus[id] : NULL;
}

unsigned smp_this_cpu_id(void)
{
	return this_cpu()->cpu_id;
}

/* The IST value for an NMI stack whose top is top: the percpu pointer sits just above. */
uint64_t percpu_nmi_stack(struct percpu *cpu, uint64_t top)
{
	uint64_t ist = (top & ~15ull) - 16;

	*(struct percpu **)ist = cpu;
	return ist;
}

/* Loads cpu's GS base, GDT and TSS on the CPU that runs this. */
void percpu_load(struct percpu *cpu, uint64_t df_top, uint64_t nmi_top)
{
	cpu->self = cpu;
	cpu->user_frame_top = cpu->cpu_stack_top;
	wrmsr(MSR_GS_BASE, (uint64_t)cpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	gdt_init(&cpu->gdt, df_top, percpu_nmi_stack(cpu, nmi_top));
	cpu->gdt.tss.rsp[0] = cpu->cpu_stack_top;
}

/* Makes cpu (whose id is the next one) count as online; called by that CPU. */
void percpu_publish(struct percpu *cpu)
{
	if (cpu->cpu_id != smp_cpus_online() || cpu->cpu_id >= MAX_CPUS)
		panic("smp: cpu %u published out of order", cpu->cpu_id);
	cpus[cpu->cpu_id] = cpu;
	__atomic_store_n(&cpus_online, cpu->cpu_id + 1, __ATOMIC_RELEASE);
}

void percpu_init_boot(void)
{
	boot_cpu.cpu_id = 0;
	boot_cpu.cpu_stack_top = (uint64_t)boot_stack_top;
	percpu_load(&boot_cpu, (uint64_t)(boot_df_stack + sizeof(boot_df_stack)),
		    (uint64_t)(boot_nmi_stack + sizeof(boot_nmi_stack)));
	cpus[0] = &boot_cpu;
	__atomic_store_n(&cpus_online, 1, __ATOMIC_RELEASE);
}

_Static_assert(offsetof(struct percpu, user_frame_top) == PERCPU_USER_FRAME_TOP, "entry.S");
_Static_assert(offsetof(struct percpu, scratch) == PERCPU_SCRATCH, "entry.S");
_Static_assert(offsetof(struct percpu, cpu_stack_top) == PERCPU_CPU_STACK_TOP, "entry.S");
