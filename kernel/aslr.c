/*
 * Address-space layout randomization (include/kernel/aslr.h). execve
 * (kernel/exec.c) calls aslr_choose once per exec, before it builds the
 * new address space; the result is kept in the vm_space (mmap_base,
 * stack_top) for mmap's search and the stack's growth. The entropy is
 * Linux x86-64's: 22 bits of pages below the stack top, plus an offset of
 * the initial rsp within 8 KiB (16-byte aligned); 28 bits of pages below
 * the mmap base, which the interpreter and every mapping without a hint
 * follow; 28 bits of pages above ELF_ET_DYN_BASE for PIE programs; 13 bits
 * of pages (32 MiB) between the program's end and brk.
 */
#include <kernel/aslr.h>
#include <kernel/cmdline.h>
#include <kernel/panic.h>
#include <kernel/random.h>
#include <mm/vm.h>
#include <lib/compiler.h>
#include <uapi/errno.h>
#include <uapi/personality.h>

/* 2 at boot, as Debian's kernel: everything randomized, brk too. */
static int randomize_va_space = 2; /* (a) */

int aslr_level(void)
{
	return __atomic_load_n(&randomize_va_space, __ATOMIC_RELAXED);
}

int aslr_set_level(long level)
{
	if (level < 0 || level > 2)
		return -EINVAL;
	__atomic_store_n(&randomize_va_space, (int)level, __ATOMIC_RELAXED);
	return 0;
}

void aslr_init(void)
{
	if (cmdline_has(&kernel_cmdline, "norandmaps"))
		aslr_set_level(0);
}

/* A uniform number of pages below `range` (a power of two) from random word r, as bytes. */
static uint64_t pages_below(uint64_t r, uint64_t range)
{
	return (r & (range - 1)) << PAGE_SHIFT;
}

void aslr_choose(uint32_t personality, struct aslr_layout *l)
{
	int level = aslr_level();
	uint64_t r[5];

	*l = (struct aslr_layout){ USER_STACK_TOP, 0, USER_MMAP_TOP, ASLR_ET_DYN_BASE, 0 };
	if (level == 0 || (personality & ADDR_NO_RANDOMIZE))
		return;
	random_bytes(r, sizeof(r)); /* one request: each costs two ChaCha20 blocks */
	l->stack_top -= pages_below(r[0], ASLR_STACK_RND_PAGES);
	l->sp_pad = ALIGN_DOWN(r[1] % ASLR_SP_RANGE, 16);
	l->mmap_base -= pages_below(r[2], ASLR_MMAP_RND_PAGES);
	l->pie_base += pages_below(r[3], ASLR_MMAP_RND_PAGES);
	if (level > 1)
		l->brk_offset = pages_below(r[4], ASLR_BRK_RANGE >> PAGE_SHIFT);
	ASSERT(l->stack_top > l->mmap_base && l->mmap_base > l->pie_base + (1ULL << 40));
}
