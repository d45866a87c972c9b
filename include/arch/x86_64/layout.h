/*
 * The kernel's virtual address layout, shared by C and assembly.
 *
 * User space owns the lower half. The upper half holds, in order: the
 * direct map of all physical memory (phys_to_virt), the area where kernel
 * thread stacks are mapped with a guard page below each, the MMIO area for
 * device registers, and the kernel image at KERNEL_VMA (-2 GiB, so that
 * -mcmodel=kernel addressing works).
 */
#ifndef ARCH_X86_64_LAYOUT_H
#define ARCH_X86_64_LAYOUT_H

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1 << PAGE_SHIFT)

#define DIRECT_MAP_PML4_INDEX 256
#define DIRECT_MAP_BASE	      0xffff800000000000
#define DIRECT_MAP_SIZE	      0x0000400000000000 /* 64 TiB */
#define KSTACK_AREA_BASE      0xffffc00000000000
#define KSTACK_AREA_SIZE      0x0000001000000000 /* 64 GiB */
#define MMIO_AREA_BASE	      0xffffd00000000000
#define MMIO_AREA_SIZE	      0x0000001000000000
#define KERNEL_VMA	      0xffffffff80000000

/* Kernel stacks: kernel threads and each CPU's entry stack. */
#define KSTACK_PAGES   4
#define KSTACK_SIZE    (KSTACK_PAGES * PAGE_SIZE)
/* Separate stack for double faults (taken through the TSS's IST 1). */
#define IST_STACK_SIZE (2 * PAGE_SIZE)

#endif
