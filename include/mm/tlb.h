/*
 * TLB shootdown (mm/tlb_batch.c, mm/tlb.c). A change that removes or
 * downgrades translations gathers what it changed in a struct tlb_batch:
 * the address ranges, and the pages whose mapping went away. One flush
 * then invalidates the ranges on this CPU and, in one IPI round, on every
 * other CPU that may hold them (a user space's cpu_mask; every CPU for
 * kernel mappings), waits until each has acknowledged, and only then drops
 * the page references: a page freed earlier could still be read or
 * written through another CPU's stale entry.
 *
 * A batch lives on the stack of the thread that gathers it, under the
 * lock that guards the tables it changes (vm->lock, kmap's lock).
 */
#ifndef MM_TLB_H
#define MM_TLB_H

#include <lib/types.h>
#include <mm/page.h>

#define TLB_RANGES	     8	/* ranges kept before the batch flushes everything */
#define TLB_FULL_FLUSH_PAGES 64 /* beyond this many pages, flush everything */
#define TLB_INLINE_PAGES     32 /* deferred pages held without an allocation */

struct vm_space;

/* Lock key: owned by the gathering thread (on its stack); read by CPUs that flush it. */
struct tlb_batch {
	struct vm_space *vm; /* whose translations; NULL: the kernel's (every CPU) */
	bool full;	     /* flush every translation of vm (or all kernel ones) */
	bool drop;	     /* vm is being destroyed: CPUs that still load it leave it */
	unsigned nranges;
	uint64_t range_pages; /* pages in the ranges */
	uintptr_t start[TLB_RANGES], end[TLB_RANGES];
	unsigned npages;     /* deferred page references */
	unsigned cap;	     /* room in pages */
	struct page **pages; /* inline_pages or a kmalloc'ed array */
	struct page *inline_pages[TLB_INLINE_PAGES];
};

/*
 * mm/tlb_batch.c: gathering (portable; the host unit tests run it). The
 * small ones are inline: every fault, mmap and munmap starts a batch and
 * most flush nothing.
 */
static inline void tlb_batch_init(struct tlb_batch *b, struct vm_space *vm)
{
	b->vm = vm;
	b->full = false;
	b->drop = false;
	b->nranges = 0;
	b->range_pages = 0;
	b->npages = 0;
	b->cap = TLB_INLINE_PAGES;
	b->pages = b->inline_pages;
}
/* [start, end), page aligned, loses or downgrades its translations. */
void tlb_batch_add_range(struct tlb_batch *b, uintptr_t start, uintptr_t end);
/* p lost a mapping: its reference is dropped after the flush (early flush if no room). */
void tlb_batch_put_page(struct tlb_batch *b, struct page *p);
/* Whether there is nothing to flush and no page to drop. */
static inline bool tlb_batch_empty(const struct tlb_batch *b)
{
	return !b->full && !b->nranges && !b->npages && !b->drop;
}
/* After the flush: drops the deferred references and empties the batch for reuse. */
void tlb_batch_release(struct tlb_batch *b);

/*
 * mm/tlb.c (the host tests provide their own): flushes the batch here and
 * on every CPU that may hold its translations, waits for all, then
 * releases it. Takes no lock; may be called with spinlocks held.
 */
void tlb_batch_flush_now(struct tlb_batch *b);
static inline void tlb_batch_flush(struct tlb_batch *b)
{
	if (!tlb_batch_empty(b))
		tlb_batch_flush_now(b);
}

/* Registers the TLB IPI's handler (the boot CPU, before the others start). */
void tlb_init(void);
/* Loads vm's page tables on this CPU (NULL: the kernel's) and keeps its cpu_mask. */
void tlb_switch_to(struct vm_space *vm);
/* vm is being destroyed: no CPU may keep its tables loaded after this returns. */
void tlb_release_vm(struct vm_space *vm);
/*
 * Flushes what other CPUs asked this one for. The TLB IPI calls it; so
 * does every loop that spins with interrupts off (a spinlock, a wait for
 * acknowledgements), or two CPUs could wait on each other for ever.
 */
void tlb_poll(void);

/* Counters (/proc/vmstat-like, the self-tests). Lock key: (a) atomic. */
struct tlb_stats {
	uint64_t flushes;	 /* batches flushed with something in them */
	uint64_t rounds;	 /* ... of which needed other CPUs (one IPI round) */
	uint64_t ipis;		 /* IPIs sent */
	uint64_t full_flushes;	 /* whole-space flushes, here or there */
	uint64_t early_flushes;	 /* batches flushed early: no room for a deferred page */
	uint64_t remote_flushes; /* requests another CPU served */
};
extern struct tlb_stats tlb_stats;

#endif
