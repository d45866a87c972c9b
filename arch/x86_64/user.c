/*
 * The arch half of entering and leaving user mode (include/kernel/
 * uthread.h). FPU state is saved when a thread leaves a CPU and restored
 * only if the registers no longer hold it (another user thread ran here,
 * or it last ran elsewhere). The TSS's RSP0 and the syscall entry both
 * point just past the thread's saved frame.
 */
#include <kernel/uthread.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/percpu.h>

void user_return_to(struct trap_frame *frame) __attribute__((noreturn));

void arch_user_switch_in(struct thread *t)
{
	struct percpu *cpu = this_cpu();
	uintptr_t top = (uintptr_t)(&t->uregs + 1);

	cpu->user_frame_top = top;
	cpu->gdt.tss.rsp[0] = top;
	wrmsr(MSR_FS_BASE, t->fs_base);
	wrmsr(MSR_KERNEL_GS_BASE, t->gs_base);
}

void arch_user_return(struct thread *t)
{
	struct percpu *cpu = this_cpu();

	/* iretq to a non-canonical rip would fault in the kernel: never return there. */
	if (t->uregs.rip >= USER_SPACE_END)
		t->uregs.rip = 0; /* faults in user mode instead: SIGSEGV */
	if (cpu->fpu_owner != t || t->fpu_cpu != (int)cpu->cpu_id) {
		fpu_restore(t->fpu);
		cpu->fpu_owner = t;
		t->fpu_cpu = cpu->cpu_id;
	}
	user_return_to(&t->uregs);
}

void user_fpu_sync(struct thread *t)
{
	struct percpu *cpu = this_cpu();

	/*
	 * Only registers that hold t's current state are saved: t may have run
	 * elsewhere since it last owned this CPU's, or its state may have been
	 * replaced (sigreturn, a handler's fresh state, ptrace): fpu_cpu is -1.
	 */
	if (cpu->fpu_owner == t && t->fpu_cpu == (int)cpu->cpu_id)
		fpu_save(t->fpu);
}

void user_fpu_reset(struct thread *t)
{
	fpu_init_state(t->fpu);
	t->fpu_cpu = -1; /* the registers no longer match: restore before user mode */
}
