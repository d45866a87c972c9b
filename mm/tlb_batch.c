/*
 * Gathering a TLB shootdown (include/mm/tlb.h). Portable: the host unit
 * tests run it with a tlb_batch_flush of their own. The mapping code of
 * mm/vm.c and mm/kmap.c adds the ranges it changed and the pages it
 * unmapped; adjacent ranges merge, and past TLB_RANGES ranges or
 * TLB_FULL_FLUSH_PAGES pages the batch becomes a full flush. Deferred
 * pages go in an inline array, then in a kmalloc'ed one that doubles;
 * only when that allocation fails is the batch flushed early, and stays
 * a full flush for what comes after.
 */
#include <mm/tlb.h>
#include <mm/slab.h>
#include <kernel/panic.h>
#include <lib/compiler.h>
#include <lib/string.h>

struct tlb_stats tlb_stats;

void tlb_batch_add_range(struct tlb_batch *b, uintptr_t start, uintptr_t end)
{
	unsigned last = b->nranges - 1;

	if (start & (PAGE_SIZE - 1) || end & (PAGE_SIZE - 1) || start > end)
		panic("tlb: range %#lx-%#lx not page aligned", (unsigned long)start,
		      (unsigned long)end);
	if (start == end)
		return;
	b->range_pages += (end - start) / PAGE_SIZE;
	if (b->full || b->range_pages > TLB_FULL_FLUSH_PAGES) {
		b->full = true;
		return;
	}
	if (b->nranges && start <= b->end[last] && end >= b->start[last]) {
		b->start[last] = MIN(b->start[last], start);
		b->end[last] = MAX(b->end[last], end);
		return;
	}
	if (b->nranges == TLB_RANGES) {
		b->full = true;
		return;
	}
	b->start[b->nranges] = start;
	b->end[b->nranges++] = end;
}

/* Doubles the room for deferred pages: true, or false when out of memory. */
static bool grow(struct tlb_batch *b)
{
	struct page **more;

	if ((size_t)b->cap * 2 * sizeof(*more) > ((size_t)PAGE_SIZE << 8))
		return false; /* 128 Ki pages deferred: a flush costs less than more memory */
	more = kmalloc((size_t)b->cap * 2 * sizeof(*more));
	if (!more)
		return false;
	memcpy(more, b->pages, b->npages * sizeof(*more));
	if (b->pages != b->inline_pages)
		kfree(b->pages);
	b->pages = more;
	b->cap *= 2;
	return true;
}

void tlb_batch_put_page(struct tlb_batch *b, struct page *p)
{
	if (b->npages == b->cap && !grow(b)) {
		/* The ranges of the pages held may not be in yet: flush all of them. */
		__atomic_add_fetch(&tlb_stats.early_flushes, 1, __ATOMIC_RELAXED);
		b->full = true;
		tlb_batch_flush(b);
		/*
		 * The flush emptied the batch, ranges included, but the ranges of
		 * the pages still to come were added before it (a zap adds its
		 * range first) and lost their entries only after it: the batch's
		 * own flush must still reach them. Without this it flushed nothing
		 * and freed them, and a stale entry wrote into the page's next user.
		 */
		b->full = true;
	}
	b->pages[b->npages++] = p;
}

void tlb_batch_release(struct tlb_batch *b)
{
	put_pages(b->pages, b->npages);
	if (b->pages != b->inline_pages)
		kfree(b->pages);
	tlb_batch_init(b, b->vm);
}
