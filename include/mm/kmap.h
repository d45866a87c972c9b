/*
 * The kernel's page tables (mm/kmap.c): the direct map of RAM, the kernel
 * image mapped W^X, kernel stacks and MMIO windows. All kernel mappings
 * live in PML4 entries 256..511, which every address space will share.
 */
#ifndef MM_KMAP_H
#define MM_KMAP_H

#include <mm/page.h>

typedef uint64_t pte_t;

#define PTE_P	 (1ULL << 0)
#define PTE_W	 (1ULL << 1)
#define PTE_U	 (1ULL << 2)
#define PTE_PWT	 (1ULL << 3)
#define PTE_PCD	 (1ULL << 4)
#define PTE_A	 (1ULL << 5)
#define PTE_D	 (1ULL << 6)
#define PTE_PS	 (1ULL << 7)
#define PTE_G	 (1ULL << 8)
#define PTE_NX	 (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

/* Builds the final kernel page tables and switches to them. */
void kmap_init(void);
/* Maps one 4 KiB page; returns 0 or -ENOMEM. */
int kmap_map_page(uintptr_t va, phys_addr_t pa, pte_t flags);
struct tlb_batch;
/*
 * Unmaps one 4 KiB page and returns the frame it mapped (0 if none); the
 * page goes in tlb, whose flush (every CPU) must come before the frame is
 * used again.
 */
phys_addr_t kmap_unmap_page(uintptr_t va, struct tlb_batch *tlb);
/* The leaf entry mapping va (4 KiB or larger page); 0 when unmapped. */
pte_t kmap_lookup(uintptr_t va);
/* Maps device registers uncached / normal memory cached; panics on exhaustion. */
void *ioremap(phys_addr_t pa, uint64_t size);
void *memremap(phys_addr_t pa, uint64_t size);
phys_addr_t kmap_root(void);

#endif
