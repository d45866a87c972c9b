/*
 * Unit tests of the buddy allocator (mm/buddy.c) through the page
 * allocator (mm/page.c), over a host arena standing in for RAM.
 */
#include "harness.h"
#include "kernel_shim.h"
#include <mm/buddy.h>
#include <lib/string.h>

#define ARENA_PAGES 4096 /* 16 MiB: four blocks of the largest order */

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

TEST(buddy, whole_range_merges_to_largest_blocks)
{
	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
	CHECK_EQ(page_allocator_check(), 0);
}

TEST(buddy, alloc_is_aligned_and_free_restores)
{
	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	for (unsigned order = 0; order <= BUDDY_MAX_ORDER; order++) {
		struct page *p = alloc_pages(order);

		CHECK(p != NULL);
		CHECK_EQ(page_to_pfn(p) & ((1ULL << order) - 1), 0ULL);
		CHECK_EQ(free_page_count(), ARENA_PAGES - (1ULL << order));
		free_pages(p, order);
		CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
	}
	CHECK_EQ(page_allocator_check(), 0);
}

TEST(buddy, odd_range_boundaries)
{
	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(3, 1001);
	page_allocator_add_range(1500, 1501);
	CHECK_EQ(free_page_count(), 999ULL);
	CHECK_EQ(page_allocator_check(), 0);
	CHECK(pfn_to_page(1001)->flags & PG_RESERVED);
	CHECK(alloc_pages(BUDDY_MAX_ORDER) == NULL); /* no aligned 4 MiB block in there */
}

TEST(buddy, exhaustion_returns_null)
{
	struct page *p;
	unsigned n = 0;

	host_memory_init(64);
	page_allocator_add_range(0, 64);
	while ((p = alloc_page()))
		n++;
	CHECK_EQ(n, 64u);
	CHECK_EQ(free_page_count(), 0ULL);
	CHECK(alloc_pages(BUDDY_MAX_ORDER + 1) == NULL);
}

TEST(buddy, random_stress_without_overlap)
{
	static struct {
		struct page *p;
		unsigned order;
	} live[512];
	static uint8_t owner[ARENA_PAGES];
	unsigned nlive = 0;

	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	for (pfn_t i = 0; i < ARENA_PAGES; i++)
		owner[i] = 0;
	for (int step = 0; step < 20000; step++) {
		if (nlive < 512 && (rng() & 1)) {
			unsigned order = rng() % 6;
			struct page *p = alloc_pages(order);

			if (!p)
				continue;
			for (pfn_t i = 0; i < (1ULL << order); i++) {
				CHECK_EQ(owner[page_to_pfn(p) + i], 0);
				owner[page_to_pfn(p) + i] = 1;
			}
			live[nlive].p = p;
			live[nlive++].order = order;
		} else if (nlive) {
			unsigned k = rng() % nlive;

			for (pfn_t i = 0; i < (1ULL << live[k].order); i++)
				owner[page_to_pfn(live[k].p) + i] = 0;
			free_pages(live[k].p, live[k].order);
			live[k] = live[--nlive];
		}
	}
	while (nlive) {
		nlive--;
		free_pages(live[nlive].p, live[nlive].order);
	}
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
	CHECK_EQ(page_allocator_check(), 0);
	/* Everything merged back: one free block of the largest order per 4 MiB. */
	CHECK(alloc_pages(BUDDY_MAX_ORDER) != NULL);
}

TEST(buddy, double_free_panics)
{
	struct page *p;

	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	p = alloc_pages(2);
	free_pages(p, 2);
	EXPECT_PANIC(free_pages(p, 2));
}

TEST(buddy, misaligned_free_panics)
{
	struct page *p;

	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	p = alloc_pages(3);
	EXPECT_PANIC(free_pages(p + 1, 3));
}

TEST(buddy, refcount_frees_on_last_put)
{
	struct page *p;

	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	p = alloc_page();
	get_page(p);
	put_page(p);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - 1);
	put_page(p);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
	EXPECT_PANIC(put_page(p));
}

/* Debug builds: a page written after its free panics when it is allocated again. */
TEST(buddy, write_after_free_panics_at_the_next_allocation)
{
	struct page *p;

	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	p = alloc_page();
	free_pages(p, 0);
	((char *)page_address(p))[300] = 1; /* through a reference that outlived the free */
	EXPECT_PANIC(alloc_page());	    /* the CPU's cache gives back the page freed last */
}

TEST(buddy, write_after_free_of_a_block_panics)
{
	struct page *p;

	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	p = alloc_pages(2);
	free_pages(p, 2);
	((char *)page_address(p + 3))[PAGE_SIZE - 1] = 1;
	/* The block merged back is checked whole, whichever allocation takes it. */
	EXPECT_PANIC(while (alloc_pages(BUDDY_MAX_ORDER)));
}

TEST(buddy, pages_freed_untouched_allocate_again)
{
	struct page *p;

	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	for (int i = 0; i < 3; i++) {
		p = alloc_pages(3);
		memset(page_address(p), 0x77, PAGE_SIZE << 3);
		free_pages(p, 3);
		p = alloc_page();
		memset(page_address(p), 0x5a, PAGE_SIZE);
		free_pages(p, 0);
	}
	CHECK(alloc_pages(BUDDY_MAX_ORDER) != NULL);
	CHECK(alloc_page() != NULL);
}
