/*
 * Binary buddy allocator over page_array (mm/buddy.c). Free blocks of
 * 2^order frames sit on per-order lists; a freed block merges with its
 * buddy (the block whose pfn differs only in bit `order`) while the buddy
 * is free and of the same order.
 */
#ifndef MM_BUDDY_H
#define MM_BUDDY_H

#include <mm/page.h>
#include <kernel/spinlock.h>

#define BUDDY_MAX_ORDER 10 /* blocks up to 4 MiB */

/* Lock key: (l) lock. */
struct buddy {
	spinlock_t lock;
	struct list_head free_list[BUDDY_MAX_ORDER + 1]; /* (l) */
	uint64_t free_count[BUDDY_MAX_ORDER + 1];	 /* (l) blocks per order */
	uint64_t free_pages;				 /* (l) */
	uint64_t total_pages;				 /* (l) ever added */
};

void buddy_init(struct buddy *b);
/* Hands the frames [start, end) to the allocator. */
void buddy_add_range(struct buddy *b, pfn_t start, pfn_t end);
struct page *buddy_alloc(struct buddy *b, unsigned order);
void buddy_free(struct buddy *b, struct page *p, unsigned order);
/*
 * Up to n single pages onto the tail of out (through page->list), each with
 * the given flags and no reference; returns how many. One lock hold.
 */
unsigned buddy_alloc_bulk(struct buddy *b, unsigned n, struct list_head *out, uint32_t flags);
/* Frees n single pages (flags cleared by the caller). One lock hold. */
void buddy_free_array(struct buddy *b, struct page *const *pages, unsigned n);
/* Checks the free lists against page flags; returns 0 or -EINVAL. */
int buddy_check(struct buddy *b);

#endif
