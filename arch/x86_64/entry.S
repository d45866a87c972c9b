/*
 * Kernel entry and exit: interrupts, exceptions, system calls, the return
 * to user mode, and the kernel-thread context switch.
 *
 * Every vector has a stub that pushes a zero error code when the CPU did
 * not push one, then the vector number, and jumps to trap_common, which
 * saves the general registers as a struct trap_frame (include/arch/x86_64/
 * trap.h).
 *
 * From kernel mode the frame is on the interrupted stack and
 * trap_dispatch(frame) runs there. From user mode the CPU has already put
 * the frame inside the current struct thread (TSS.RSP0 points there), so
 * the user registers are saved in the thread; the handler, user_trap(),
 * then runs on this CPU's own stack and never returns: it ends in
 * user_return_to(frame) or in the CPU loop. The syscall entry builds the
 * same frame in the same place by hand. Nothing of a user thread stays on
 * any kernel stack.
 */
#include <arch/x86_64/layout.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/gdt.h>
#include <arch/x86_64/smap.h>

/* The general registers of struct trap_frame, rax first (highest address). */
.macro PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

#define FRAME_VECTOR	(15 * 8)	/* offset of vector in struct trap_frame */
#define FRAME_CS	(18 * 8)	/* offset of cs in struct trap_frame */
#define FRAME_SIZE	(22 * 8)
#define MSR_GS_BASE	0xc0000101
#define VEC_SYSCALL	0x100		/* trap_frame.vector of a system call */

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	vector = 0
	.rept 256
	.balign 16
	.if !HAS_ERROR(vector)
	pushq $0
	.endif
	pushq $vector
	jmp trap_common
	vector = vector + 1
	.endr

trap_common:
	cld
	SMAP_CLAC			/* an interrupted user copy must not leak AC */
	testb $3, 24(%rsp)		/* CS of the interrupted context */
	jz 1f
	swapgs
1:	PUSH_GPRS
	mov %rsp, %rdi
	cmpq $2, FRAME_VECTOR(%rsp)
	je nmi_entry
	testb $3, FRAME_CS(%rsp)
	jnz from_user
	/* A frame chain that a backtrace can follow through the trap. */
	pushq 17 * 8(%rsp)		/* interrupted rip */
	pushq %rbp
	mov %rsp, %rbp
	call trap_dispatch
	add $16, %rsp
	jmp restore_frame

/*
 * An NMI (on its own IST stack) can arrive anywhere, even between the
 * swapgs and the iretq of a return to user mode: the GS base is not
 * trusted. The CPU's struct percpu is stored just above the frame (see
 * percpu_nmi_stack), the GS base is switched to it and restored after.
 * The handler runs here and returns, from user mode too: it never
 * schedules.
 */
nmi_entry:
	mov $MSR_GS_BASE, %ecx
	rdmsr
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %r12			/* the GS base to restore */
	mov FRAME_SIZE(%rsp), %rax
	mov %rax, %rdx
	shr $32, %rdx
	wrmsr
	pushq 17 * 8(%rsp)
	pushq %rbp
	mov %rsp, %rbp
	call trap_dispatch
	add $16, %rsp
	mov $MSR_GS_BASE, %ecx
	mov %r12, %rax
	mov %r12, %rdx
	shr $32, %rdx
	wrmsr
	jmp restore_frame

from_user:
	mov %gs:PERCPU_CPU_STACK_TOP, %rsp
	xor %ebp, %ebp
	call user_trap
	ud2

/*
 * syscall: rcx = user rip, r11 = user rflags, interrupts masked by FMASK.
 * Builds a struct trap_frame at the current thread's user_frame_top.
 */
	.globl syscall_entry
syscall_entry:
	swapgs
	mov %rsp, %gs:PERCPU_SCRATCH
	mov %gs:PERCPU_USER_FRAME_TOP, %rsp
	pushq $SEL_USER_DATA		/* ss */
	pushq %gs:PERCPU_SCRATCH	/* rsp */
	pushq %r11			/* rflags */
	pushq $SEL_USER_CODE		/* cs */
	pushq %rcx			/* rip */
	pushq $0			/* error */
	pushq $VEC_SYSCALL		/* vector */
	PUSH_GPRS
	mov %rsp, %rdi
	mov %gs:PERCPU_CPU_STACK_TOP, %rsp
	xor %ebp, %ebp
	sti
	call syscall_entry_c
	ud2

/*
 * void user_return_to(struct trap_frame *frame): enters user mode with the
 * registers in frame (a thread's saved frame). Interrupts must be off.
 */
	.globl user_return_to
user_return_to:
	mov %rdi, %rsp
	jmp restore_frame

/* void cpu_loop_restart(void): abandons this CPU's stack and runs the CPU loop afresh. */
	.globl cpu_loop_restart
cpu_loop_restart:
	mov %gs:PERCPU_CPU_STACK_TOP, %rsp
	xor %ebp, %ebp
	call cpu_loop
	ud2

restore_frame:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	testb $3, 24(%rsp)
	jz 2f
	swapgs
2:	add $16, %rsp			/* vector and error code */
	iretq

/*
 * void context_switch(uint64_t *save_rsp, uint64_t new_rsp)
 * Saves the callee-saved registers on the current stack, stores the stack
 * pointer in *save_rsp, and resumes the thread whose saved stack pointer is
 * new_rsp. A new thread's stack is prepared by thread_prepare_stack() so
 * that the final ret lands in thread_start.
 */
	.globl context_switch
context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* First code of every kernel thread: r12 = function, r13 = argument. */
	.globl thread_start_asm
thread_start_asm:
	xor %ebp, %ebp
	mov %r12, %rdi
	mov %r13, %rsi
	call thread_start
	ud2
