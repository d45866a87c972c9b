/*
 * Exception fixups: an instruction that may fault on purpose (a user
 * memory access) is listed with a fixup address; the trap handler resumes
 * there instead of reporting a kernel fault. Entries are emitted by the
 * EXTABLE_ENTRY asm macro into the .extable section.
 */
#ifndef KERNEL_EXTABLE_H
#define KERNEL_EXTABLE_H

#include <lib/types.h>

struct extable_entry {
	uint64_t insn;
	uint64_t fixup;
};

#define EXTABLE_ENTRY(insn_label, fixup_label)                                              \
	".pushsection .extable, \"a\"\n\t.balign 8\n\t.quad " #insn_label ", " #fixup_label \
	"\n\t.popsection\n\t"

/* The fixup for a faulting instruction address, or 0. */
uintptr_t extable_find(uintptr_t rip);

#endif
