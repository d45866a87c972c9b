/*
 * Turning paging and long mode on from 32-bit protected mode, shared by
 * the boot CPU's entry (arch/x86_64/boot.S) and the other CPUs'
 * trampoline (arch/x86_64/trampoline.S). Assembler only.
 */
#ifndef ARCH_X86_64_LONG_MODE_H
#define ARCH_X86_64_LONG_MODE_H

#ifdef __ASSEMBLER__
/* The macro below is assembler, not C: */
/* clang-format off */
/*
 * With the physical address of the top page table in %eax: loads it, then
 * PAE, EFER.LME and EFER.NXE, then paging with write protection. The CPU
 * is in compatibility mode after it; a far jump to a 64-bit segment ends
 * the switch. Clobbers %eax, %ecx, %edx.
 */
.macro enable_long_mode_paging
	mov %eax, %cr3
	mov %cr4, %eax
	or $(1 << 5), %eax			/* PAE */
	mov %eax, %cr4
	mov $0xc0000080, %ecx			/* EFER: LME, NXE */
	rdmsr
	or $((1 << 8) | (1 << 11)), %eax
	wrmsr
	mov %cr0, %eax
	or $((1 << 31) | (1 << 16) | 1), %eax	/* PG, WP, PE */
	mov %eax, %cr0
.endm
/* clang-format on */
#endif

#endif
