/*
 * Reading memory that may not be mapped, without faulting the kernel:
 * the access is listed in the exception table (include/kernel/extable.h),
 * so a fault resumes at a fixup that returns -EFAULT. The user-memory
 * accessors of later issues are built the same way.
 */
#ifndef ARCH_X86_64_PROBE_H
#define ARCH_X86_64_PROBE_H

#include <kernel/extable.h>
#include <uapi/errno.h>

/* Reads the 8 bytes at addr into *out; returns 0 or -EFAULT. */
static inline int probe_read_u64(uintptr_t addr, uint64_t *out)
{
	uint64_t v = 0;
	int err = 0;

	__asm__ volatile("1:	movq (%[addr]), %[val]\n"
			 "2:\n"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3:	movl %[efault], %[err]\n"
			 "	jmp 2b\n"
			 ".popsection\n" EXTABLE_ENTRY(1b, 3b)
			 : [val] "+r"(v), [err] "+r"(err)
			 : [addr] "r"(addr), [efault] "i"(-EFAULT)
			 : "memory");
	*out = v;
	return err;
}

#endif
