/*
 * The kernel's own symbol table (kernel/ksyms.c), embedded at build time by
 * tools/gen-ksyms.sh, for fault reports and backtraces.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <lib/types.h>

/* The function containing addr and the offset into it; NULL if unknown. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);
/* The index of the function containing addr in the table, or -1 (the profiler's key). */
long ksym_index(uintptr_t addr);
/* The number of functions in the table, and the name of the one at index (NULL past the end). */
uint64_t ksym_count(void);
const char *ksym_name(uint64_t index);
/* The address of a function by name; 0 if unknown. */
uintptr_t ksym_address(const char *name);
/* Formats "name+0xoff" (or the bare address) into buf. */
void ksym_format(uintptr_t addr, char *buf, size_t size);

/*
 * Prints a backtrace by following the frame-pointer chain from (rip, rbp);
 * rsp (or 0) finds the caller when rip is a function's first instruction.
 */
void backtrace_print(uintptr_t rip, uintptr_t rbp, uintptr_t rsp);
/* Backtrace of the caller. */
void backtrace_here(void);

#endif
