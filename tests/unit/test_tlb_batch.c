/*
 * Unit tests of TLB batch gathering (mm/tlb_batch.c): ranges merge, a
 * batch turns into a full flush past its limits, deferred pages keep their
 * reference until the flush (this file's tlb_batch_flush_now, which the
 * inline tlb_batch_flush calls for a batch with something in it, records
 * what it was asked and checks that the pages are still held), and a batch that
 * runs out of room flushes everything early rather than free a page early.
 */
#include "harness.h"
#include "kernel_shim.h"
#include <mm/tlb.h>
#include <mm/slab.h>

#define ARENA_PAGES 1024

static unsigned flushes;
static bool flushed_full;
static unsigned flushed_held; /* deferred pages still referenced when the flush ran */

void tlb_batch_flush_now(struct tlb_batch *b)
{
	flushes++;
	flushed_full = b->full;
	flushed_held = 0;
	for (unsigned i = 0; i < b->npages; i++)
		flushed_held += b->pages[i]->refcount > 0;
	tlb_batch_release(b);
}

static void setup(void)
{
	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	kmalloc_init();
	flushes = 0;
}

TEST(tlb_batch, adjacent_ranges_merge_and_distant_ones_stay_apart)
{
	struct tlb_batch b;

	setup();
	tlb_batch_init(&b, NULL);
	CHECK(tlb_batch_empty(&b));
	tlb_batch_add_range(&b, 0x10000, 0x12000);
	tlb_batch_add_range(&b, 0x12000, 0x13000); /* adjacent */
	tlb_batch_add_range(&b, 0x11000, 0x12000); /* inside */
	CHECK_EQ(b.nranges, 1u);
	CHECK_EQ(b.start[0], (uintptr_t)0x10000);
	CHECK_EQ(b.end[0], (uintptr_t)0x13000);
	tlb_batch_add_range(&b, 0x40000, 0x41000);
	CHECK_EQ(b.nranges, 2u);
	tlb_batch_add_range(&b, 0x50000, 0x50000); /* empty: nothing */
	CHECK_EQ(b.nranges, 2u);
	CHECK(!b.full);
	CHECK(!tlb_batch_empty(&b));
}

TEST(tlb_batch, too_many_pages_or_ranges_make_a_full_flush)
{
	struct tlb_batch b;

	setup();
	tlb_batch_init(&b, NULL);
	tlb_batch_add_range(&b, 0, TLB_FULL_FLUSH_PAGES * PAGE_SIZE);
	CHECK(!b.full);
	tlb_batch_add_range(&b, 0x100000, 0x101000);
	CHECK(b.full);
	tlb_batch_init(&b, NULL);
	for (unsigned i = 0; i <= TLB_RANGES; i++)
		tlb_batch_add_range(&b, 0x100000 * (i + 1), 0x100000 * (i + 1) + PAGE_SIZE);
	CHECK(b.full);
}

TEST(tlb_batch, unaligned_range_panics)
{
	struct tlb_batch b;

	setup();
	tlb_batch_init(&b, NULL);
	EXPECT_PANIC(tlb_batch_add_range(&b, 0x10001, 0x12000));
}

TEST(tlb_batch, pages_are_freed_only_by_the_flush)
{
	struct page *pages[200];
	struct tlb_batch b;
	uint64_t before;

	setup();
	before = free_page_count() + slab_pages();
	tlb_batch_init(&b, NULL);
	for (unsigned i = 0; i < 200; i++) {
		pages[i] = alloc_page();
		CHECK(pages[i] != NULL);
		tlb_batch_add_range(&b, 0x100000 + i * PAGE_SIZE, 0x101000 + i * PAGE_SIZE);
		tlb_batch_put_page(&b, pages[i]); /* past the inline room: the array grows */
	}
	CHECK_EQ(flushes, 0u);
	CHECK_EQ(b.npages, 200u);
	for (unsigned i = 0; i < 200; i++)
		CHECK_EQ(pages[i]->refcount, 1);
	tlb_batch_flush(&b);
	CHECK_EQ(flushes, 1u);
	CHECK_EQ(flushed_held, 200u);
	CHECK(flushed_full);
	CHECK_EQ(free_page_count() + slab_pages(), before); /* the grown array went back too */
	CHECK(tlb_batch_empty(&b));
}

TEST(tlb_batch, no_room_flushes_everything_early)
{
	struct tlb_batch b;
	unsigned n = 0;

	setup();
	tlb_batch_init(&b, NULL);
	/* Eat the arena so that the array cannot grow past its inline room. */
	while (alloc_page())
		;
	for (unsigned i = 0; i < TLB_INLINE_PAGES; i++, n++)
		tlb_batch_put_page(&b, &page_array[i]);
	CHECK_EQ(flushes, 0u);
	page_array[n].refcount = 1;
	for (unsigned i = 0; i < TLB_INLINE_PAGES; i++)
		page_array[i].refcount = 2; /* held elsewhere too: the flush does not free them */
	tlb_batch_put_page(&b, &page_array[n]);
	CHECK_EQ(flushes, 1u);
	CHECK(flushed_full); /* the pages' ranges may not have been added yet */
	CHECK_EQ(flushed_held, (unsigned)TLB_INLINE_PAGES);
	CHECK_EQ(b.npages, 1u);
	CHECK_EQ(page_array[0].refcount, 1);
	/* The page that came after the early flush lost its entry after it: flushed again. */
	CHECK(b.full);
	tlb_batch_flush(&b);
	CHECK_EQ(flushes, 2u);
	CHECK(flushed_full);
	CHECK_EQ(flushed_held, 1u);
}
