/*
 * What the AP start-up trampoline (arch/x86_64/trampoline.S) and
 * arch/x86_64/smp.c share: where the blob runs and the parameters the boot
 * CPU leaves for each AP at the blob's end.
 */
#ifndef ARCH_X86_64_SMP_BOOT_H
#define ARCH_X86_64_SMP_BOOT_H

/* A page of the first MiB (memblock keeps all of it); SIPI vector = page number. */
#define TRAMPOLINE_PHYS 0x8000

#define AP_PARAM_BOOT_CR3 0  /* 32-bit physical address of the boot page tables */
#define AP_PARAM_CR3	  8  /* the kernel's final page tables */
#define AP_PARAM_STACK	  16 /* top of the AP's own CPU stack */
#define AP_PARAM_PERCPU	  24 /* its struct percpu */
#define AP_PARAM_ENTRY	  32 /* ap_start64 */
#define AP_PARAMS_SIZE	  40

#ifndef __ASSEMBLER__
#include <lib/types.h>

struct ap_boot_params {
	uint64_t boot_cr3;
	uint64_t cr3;
	uint64_t stack;
	uint64_t percpu;
	uint64_t entry;
};

_Static_assert(sizeof(struct ap_boot_params) == AP_PARAMS_SIZE, "trampoline.S");
#endif
#endif
