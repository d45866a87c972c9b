/*
 * Segment descriptors and the Task State Segment. In long mode segments
 * only select privilege; the TSS gives the stack for entries from user mode
 * (RSP0) and the interrupt stacks (IST) for double faults and NMIs.
 */
#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_DATA	(0x18 | 3)
#define SEL_USER_CODE	(0x20 | 3)
#define SEL_TSS		0x28

#define IST_DOUBLE_FAULT 1
#define IST_NMI		 2

#ifndef __ASSEMBLER__
#include <lib/types.h>

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_set {
	uint64_t entries[7]; /* null, kcode, kdata, udata, ucode, tss (2) */
	struct tss tss;
};

void gdt_init(struct gdt_set *g, uint64_t df_stack_top, uint64_t nmi_stack_top);

#endif /* __ASSEMBLER__ */
#endif
