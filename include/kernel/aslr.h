/*
 * Address-space layout randomization (kernel/aslr.c): execve asks for the
 * layout of the new image, random per exec from the kernel's generator
 * with Linux x86-64's entropy, or fixed when the calling process has
 * ADDR_NO_RANDOMIZE in its personality or randomize_va_space is 0 (the
 * sysctl /proc/sys/kernel/randomize_va_space, the `norandmaps` kernel
 * parameter). Level 1 randomizes all but brk, level 2 brk too.
 */
#ifndef KERNEL_ASLR_H
#define KERNEL_ASLR_H

#include <lib/types.h>

#define ASLR_STACK_RND_PAGES (1ULL << 22)      /* STACK_RND_MASK + 1: 16 GiB of pages */
#define ASLR_MMAP_RND_PAGES  (1ULL << 28)      /* mmap_rnd_bits = 28: 1 TiB */
#define ASLR_BRK_RANGE	     (32ULL << 20)     /* brk start within 32 MiB of the program's end */
#define ASLR_SP_RANGE	     8192	       /* sub-page offset of the initial rsp */
#define ASLR_ET_DYN_BASE     0x555555554000ULL /* PIE programs without randomization */

/* Where execve puts things: all page aligned but sp_pad, a multiple of 16. */
struct aslr_layout {
	uint64_t stack_top;  /* one past the stack's highest byte */
	uint64_t sp_pad;     /* bytes skipped below the argument strings (< ASLR_SP_RANGE) */
	uint64_t mmap_base;  /* top-down mmap search starts below it */
	uint64_t pie_base;   /* where an ET_DYN program is loaded (before p_align rounding) */
	uint64_t brk_offset; /* between the program's end and the heap's start */
};

/* 0, 1 or 2, as Linux's kernel.randomize_va_space. */
int aslr_level(void);
/* Sets it: 0 or -EINVAL (not 0..2). Permission is the caller's to check. */
int aslr_set_level(long level);
/* The layout for an exec by a process of this personality, at the current level. */
void aslr_choose(uint32_t personality, struct aslr_layout *l);
/* At boot, from the command line: `norandmaps` turns randomization off. */
void aslr_init(void);

#endif
