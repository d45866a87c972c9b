/*
 * Per-CPU feature set-up (arch/x86_64/cpu_setup.c): what the CPU has, the
 * protections the kernel turns on, the FPU/SSE state user threads use, and
 * the syscall instruction's entry point.
 */
#ifndef ARCH_X86_64_CPU_SETUP_H
#define ARCH_X86_64_CPU_SETUP_H

#include <lib/types.h>

struct cpu_features {
	bool smep, smap, pge, fsgsbase, nx;
	uint32_t max_leaf;
	char vendor[13];
	char brand[49];
};

extern struct cpu_features cpu_features;

/* Before kmap_init: detects features and patches SMAP sites if needed. */
void cpu_detect(void);
/* After kmap_init: global pages, SMEP, SMAP. */
void cpu_enable_protection(void);
/* FPU/SSE for user threads (x87 and SSE state only: FXSAVE, 512 bytes). */
void fpu_init(void);
/* syscall/sysret MSRs: entry point, segments, masked flags. */
void syscall_init(void);

#define FPU_STATE_SIZE 512
struct fpu_state {
	uint8_t area[FPU_STATE_SIZE];
} __attribute__((aligned(16)));

void fpu_save(struct fpu_state *s);
void fpu_restore(const struct fpu_state *s);
/* The state of a fresh process: default control words, empty registers. */
void fpu_init_state(struct fpu_state *s);

#endif
