/*
 * Entering and leaving user mode (kernel/uthread.c, arch/x86_64/user.c).
 * A user thread runs kernel code only on its CPU's stack; these functions
 * never return: they end in user mode or in the CPU loop.
 */
#ifndef KERNEL_UTHREAD_H
#define KERNEL_UTHREAD_H

struct thread;

/* The CPU loop resumes t: load its address space and state, do pending work. */
__attribute__((noreturn)) void user_enter(struct thread *t);
/* After a system call or trap of t: exit, yield, or return to user mode. */
__attribute__((noreturn)) void user_exit_path(struct thread *t);

/* Arch part: t's registers and FPU state onto this CPU, then iretq. */
void arch_user_switch_in(struct thread *t);
__attribute__((noreturn)) void arch_user_return(struct thread *t);
/*
 * t's FPU state into t->fpu now, if this CPU's registers hold it (t stops
 * running here, a signal frame, a fork, ptrace, a core dump); and a fresh
 * state for a handler.
 */
void user_fpu_sync(struct thread *t);
void user_fpu_reset(struct thread *t);

#endif
