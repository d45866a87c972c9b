/*
 * The way back to user mode (include/kernel/uthread.h). Every entry from
 * user mode (system call, exception, interrupt) ends in user_exit_path,
 * and every resumption of a parked or preempted thread by the CPU loop
 * goes through user_enter: both finish pending work (a system call to run
 * again, a kill, a time slice used up) before restoring the registers.
 */
#include <kernel/uthread.h>
#include <kernel/thread.h>
#include <kernel/proc.h>
#include <kernel/syscall.h>
#include <kernel/signal.h>
#include <kernel/ptrace.h>
#include <lib/compiler.h>
#include <kernel/uaccess.h>
#include <mm/vm.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>

__attribute__((noreturn)) void user_exit_path(struct thread *t)
{
	if (unlikely(t->ptrace)) {
		ptrace_exit_work(t); /* a stop, a traced call to run or end */
		signal_deliver_tracee(t);
	} else {
		signal_deliver(t); /* may park (stopped), kill, or build a handler's frame */
	}
	irq_disable();
	if (t->killed)
		uthread_exit(t, 0);
	if (this_cpu()->need_resched)
		sched_user_yield(t);
	arch_user_return(t);
}

/* Work a thread does when the loop resumes it, before it returns to user mode. */
static void resume_work(struct thread *t)
{
	if (t->set_child_tid) {
		uint32_t tid = t->tid;

		copy_to_user(t->set_child_tid, &tid, sizeof(tid));
		t->set_child_tid = 0;
	}
	if (t->restart_syscall && !t->killed) {
		t->restart_syscall = false;
		wait_detach(&t->wait);
		irq_enable();
		if (signal_ends_wait(t))
			signal_interrupt_call(t);
		else
			syscall_run(t);
	}
	irq_enable();
}

__attribute__((noreturn)) void user_enter(struct thread *t)
{
	vm_activate(t->proc->vm);
	arch_user_switch_in(t);
	if (unlikely(t->ptrace || this_cpu()->dr7_loaded))
		ptrace_load_debugregs(t);
	resume_work(t);
	user_exit_path(t);
}
