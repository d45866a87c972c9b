/*
 * First instructions: the Multiboot v1 header and the 32-bit entry.
 *
 * The loader (QEMU -kernel, GRUB) enters _start32 in 32-bit protected mode
 * with paging off, EAX = Multiboot magic and EBX = physical address of the
 * Multiboot information. This code builds boot page tables that map the
 * first 4 GiB twice (identity, and the direct map at DIRECT_MAP_BASE) and
 * the first GiB once more at KERNEL_VMA, enables long mode with NX, and jumps to the
 * higher-half start64, which calls kmain(magic, info). kmain replaces these
 * tables with the final, W^X ones (mm/kmap.c).
 */
#include <arch/x86_64/layout.h>
#include <arch/x86_64/long_mode.h>

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	((1 << 0) | (1 << 1) | (1 << 16)) /* align, meminfo, addresses */
#define PTE_P		0x1
#define PTE_W		0x2
#define PTE_PS		0x80

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header			/* header_addr */
	.long _load_start		/* load_addr */
	.long _load_end_phys		/* load_end_addr */
	.long _kernel_end_phys		/* bss_end_addr */
	.long _start32			/* entry_addr */

	.section .boot.text, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	mov %eax, %edi			/* kept for kmain: magic */
	mov %ebx, %esi			/* kept for kmain: info */

	/* Long mode available? (CPUID 0x80000001 EDX bit 29) */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc no_long_mode

	/* Four page directories of 2 MiB pages: physical 0 .. 4 GiB. */
	mov $boot_pd, %ebx
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P | PTE_W | PTE_PS), %eax
	mov %eax, (%ebx, %ecx, 8)
	movl $0, 4(%ebx, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jb 1b

	/* PDPT for the low 4 GiB, used by the identity and direct maps. */
	mov $boot_pdpt_low, %ebx
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $12, %eax
	add $boot_pd, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, (%ebx, %ecx, 8)
	inc %ecx
	cmp $4, %ecx
	jb 2b

	/* KERNEL_VMA (PML4 511, PDPT 510) maps the first GiB. */
	mov $boot_pd, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, boot_pdpt_high + 510 * 8

	mov $boot_pdpt_low, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, boot_pml4
	mov %eax, boot_pml4 + DIRECT_MAP_PML4_INDEX * 8
	mov $boot_pdpt_high, %eax
	or $(PTE_P | PTE_W), %eax
	mov %eax, boot_pml4 + 511 * 8

	mov $boot_pml4, %eax
	enable_long_mode_paging

	lgdt boot_gdt_ptr
	ljmp $8, $start64_low

no_long_mode:
	hlt
	jmp no_long_mode

	.code64
start64_low:
	movabs $start64, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.balign 4096
	.globl boot_pml4		/* kept: the APs' trampoline starts on these tables */
boot_pml4:	.fill 4096, 1, 0
boot_pdpt_low:	.fill 4096, 1, 0
boot_pdpt_high:	.fill 4096, 1, 0
boot_pd:	.fill 4 * 4096, 1, 0
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 64-bit code */
	.quad 0x00cf92000000ffff	/* data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	.section .text.entry, "ax"
	.globl start64
	.type start64, @function
start64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	movabs $boot_stack_top, %rsp
	xor %ebp, %ebp			/* ends every backtrace */
	call kmain
3:	hlt
	jmp 3b

	/* The boot CPU's kernel stack, with an unmapped guard page below. */
	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl boot_stack_guard, boot_stack_top
boot_stack_guard:
	.skip 4096
boot_stack:
	.skip KSTACK_SIZE
boot_stack_top:
