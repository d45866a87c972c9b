/*
 * Host stand-ins for what portable kernel code needs from the rest of the
 * kernel (tests/unit/kernel_shim.c): spinlocks without interrupts, and a
 * memory arena that plays the role of physical RAM and its direct map.
 */
#ifndef TESTS_UNIT_KERNEL_SHIM_H
#define TESTS_UNIT_KERNEL_SHIM_H

#include <mm/page.h>

/* Sets up page_array and the page allocator over a fresh arena of npages. */
void host_memory_init(pfn_t npages);
/* Frees the arena of the previous host_memory_init. */
void host_memory_release(void);

#endif
