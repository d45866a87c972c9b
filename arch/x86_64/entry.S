/*
 * Interrupt and exception entry, and the kernel-thread context switch.
 *
 * Every vector has a stub that pushes a zero error code when the CPU did
 * not push one, then the vector number, and jumps to trap_common. That
 * saves the general registers as a struct trap_frame (include/arch/x86_64/
 * trap.h), switches GS to the kernel's per-CPU area when coming from user
 * mode, and calls trap_dispatch(frame) in arch/x86_64/trap.c.
 */
#include <arch/x86_64/layout.h>

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
	testb $3, 24(%rsp)		/* CS of the interrupted context */
	jz 1f
	swapgs
1:	pushq %rax
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
	mov %rsp, %rdi
	/* A frame chain that a backtrace can follow through the trap. */
	pushq 17 * 8(%rsp)		/* interrupted rip */
	pushq %rbp
	mov %rsp, %rbp
	call trap_dispatch
	add $16, %rsp
	.globl trap_return
trap_return:
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
