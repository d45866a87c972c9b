/*
 * SMAP brackets. With SMAP on, the kernel may touch user pages only
 * between stac and clac (include/kernel/uaccess.h uses these). On a CPU
 * without SMAP those instructions do not exist: every site is recorded in
 * .smap_sites and smap_patch() (arch/x86_64/cpu_features.c) overwrites them
 * with a 3-byte NOP at boot, before the kernel text becomes read-only.
 */
#ifndef ARCH_X86_64_SMAP_H
#define ARCH_X86_64_SMAP_H

#define SMAP_SITE_ASM(insn)                                                               \
	"661: " insn "\n\t.pushsection .smap_sites, \"a\"\n\t.balign 8\n\t.quad 661b\n\t" \
	".popsection\n\t"

#ifdef __ASSEMBLER__
/* clang-format off */
.macro SMAP_CLAC
661:	clac
	.pushsection .smap_sites, "a"
	.balign 8
	.quad 661b
	.popsection
.endm
/* clang-format on */
#else
static inline void stac(void)
{
	__asm__ volatile(SMAP_SITE_ASM("stac")::: "memory");
}

static inline void clac(void)
{
	__asm__ volatile(SMAP_SITE_ASM("clac")::: "memory");
}

/* Replaces stac/clac with NOPs when the CPU lacks SMAP; runs before kmap_init. */
void smap_patch(bool cpu_has_smap);
#endif

#endif
