/*
 * The application processors' first instructions (arch/x86_64/smp.c).
 *
 * An AP leaves INIT-SIPI-SIPI in 16-bit real mode at CS:IP = 0x0800:0000,
 * so smp.c copies this blob to physical TRAMPOLINE_PHYS (a page of the
 * first MiB, which memblock keeps for good) and fills in its parameters
 * (struct ap_boot_params, at the blob's end) before each start-up IPI. The
 * code goes to protected mode with its own GDT, turns on PAE and long mode
 * on the boot page tables (boot.S: identity-maps the first 4 GiB and maps
 * the kernel at KERNEL_VMA), and jumps to ap_start64 in the kernel image,
 * which loads the final page tables and the CPU's own stack.
 *
 * Every address is TRAMPOLINE_PHYS plus an offset into the blob: the code
 * runs where it is copied, not where it is linked.
 */
#include <arch/x86_64/smp_boot.h>
#include <arch/x86_64/long_mode.h>

#define TADDR(sym) (TRAMPOLINE_PHYS + (sym) - trampoline_start)

	.section .rodata, "a"
	.balign 16
	.globl trampoline_start, trampoline_end
trampoline_start:
	.code16
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl tramp_gdt_ptr - trampoline_start
	mov %cr0, %eax
	or $1, %eax			/* PE */
	mov %eax, %cr0
	ljmpl $0x08, $TADDR(tramp_pm32)

	.code32
tramp_pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov TADDR(tramp_params) + AP_PARAM_BOOT_CR3, %eax
	enable_long_mode_paging
	ljmp $0x18, $TADDR(tramp_lm64)

	.code64
tramp_lm64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov TADDR(tramp_params) + AP_PARAM_CR3, %rdx
	mov TADDR(tramp_params) + AP_PARAM_STACK, %rsi
	mov TADDR(tramp_params) + AP_PARAM_PERCPU, %rdi
	mov TADDR(tramp_params) + AP_PARAM_ENTRY, %rax
	jmp *%rax			/* ap_start64, in the higher half */

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tramp_gdt_ptr:
	.word tramp_gdt_ptr - tramp_gdt - 1
	.long TADDR(tramp_gdt)

	.balign 8
tramp_params:				/* struct ap_boot_params */
	.fill AP_PARAMS_SIZE, 1, 0
trampoline_end:

/*
 * ap_start64(percpu = rdi, stack = rsi, cr3 = rdx): the first code in the
 * kernel image. The boot page tables do not map kernel stacks, so the
 * final ones come first. The stack holds ap_main's other two arguments.
 */
	.text
	.globl ap_start64
ap_start64:
	mov %rdx, %cr3
	mov %rsi, %rsp
	mov 0(%rsp), %rsi
	mov 8(%rsp), %rdx
	xor %ebp, %ebp			/* ends every backtrace */
	call ap_main
1:	hlt
	jmp 1b
