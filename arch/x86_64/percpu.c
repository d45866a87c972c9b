/*
 * Per-CPU areas (include/arch/x86_64/percpu.h). The boot CPU's area is
 * static; kmain sets it up before anything takes a lock, since spinlocks
 * record their owner CPU.
 */
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/layout.h>
#include <kernel/smp.h>

struct percpu boot_cpu; /* CPU 0's own (arch/x86_64/percpu.h) */
static uint8_t boot_df_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
extern char boot_stack_top[];

static struct percpu *cpus[MAX_CPUS]; /* written once, before the CPU counts as online */
static unsigned cpus_online;	      /* CPUs 0..cpus_online-1 are up */

unsigned smp_cpus_online(void)
{
	return __atomic_load_n(&cpus_online, __ATOMIC_ACQUIRE);
}

struct percpu *smp_cpu(unsigned id)
{
	return id < smp_cpus_online() ? cpus[id] : NULL;
}

unsigned smp_this_cpu_id(void)
{
	return this_cpu()->cpu_id;
}

void percpu_init_boot(void)
{
	boot_cpu.self = &boot_cpu;
	boot_cpu.cpu_id = 0;
	boot_cpu.cpu_stack_top = (uint64_t)boot_stack_top;
	boot_cpu.user_frame_top = boot_cpu.cpu_stack_top;
	wrmsr(MSR_GS_BASE, (uint64_t)&boot_cpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	gdt_init(&boot_cpu.gdt, (uint64_t)(boot_df_stack + sizeof(boot_df_stack)));
	boot_cpu.gdt.tss.rsp[0] = boot_cpu.cpu_stack_top;
	cpus[0] = &boot_cpu;
	__atomic_store_n(&cpus_online, 1, __ATOMIC_RELEASE);
}

_Static_assert(offsetof(struct percpu, user_frame_top) == PERCPU_USER_FRAME_TOP, "entry.S");
_Static_assert(offsetof(struct percpu, scratch) == PERCPU_SCRATCH, "entry.S");
_Static_assert(offsetof(struct percpu, cpu_stack_top) == PERCPU_CPU_STACK_TOP, "entry.S");
