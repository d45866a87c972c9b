/*
 * Boot-time memory (mm/memblock.c): the RAM ranges of the memory map minus
 * what is in use at boot (low 1 MiB, kernel image, boot modules). It hands
 * out permanent allocations (page tables, page_array) until the page
 * allocator takes over everything left.
 */
#ifndef MM_MEMBLOCK_H
#define MM_MEMBLOCK_H

#include <mm/page.h>

void memblock_init(void);
/* Page-aligned, zeroed, below limit (physical); panics when memory runs out. */
phys_addr_t memblock_alloc(uint64_t size, phys_addr_t limit);
/* Allocates page_array and gives all remaining free RAM to the page allocator. */
void memblock_handover(void);
/*
 * After the boot module idx (the initramfs) was unpacked: the pages wholly
 * inside it go to the page allocator (it may not be read again). Returns
 * how many pages were given.
 */
uint64_t memblock_release_module(unsigned idx);
/* Highest end of usable RAM. */
phys_addr_t memblock_ram_end(void);

#endif
