/*
 * Kernel stacks (mm/kstack.c) for kernel threads: KSTACK_PAGES pages
 * mapped in the stack area with an unmapped guard page below, so that an
 * overflow faults instead of corrupting a neighbour.
 */
#ifndef MM_KSTACK_H
#define MM_KSTACK_H

#include <lib/types.h>

struct kstack {
	uintptr_t base; /* lowest mapped address */
	uintptr_t top;	/* one past the highest */
};

/* Returns 0 or -ENOMEM. */
int kstack_alloc(struct kstack *s);
void kstack_free(struct kstack *s);
/* Whether va lies in the guard page of some kernel stack. */
bool kstack_is_guard(uintptr_t va);
/* Pages mapped now for kernel stacks (/proc/meminfo's KernelStack). */
uint64_t kstack_pages(void);

#endif
