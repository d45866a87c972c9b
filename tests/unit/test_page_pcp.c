/*
 * Unit tests of the per-CPU page caches in front of the buddy allocator
 * (mm/page.c): their pages count as free, a cache stays bounded, a short
 * buddy drains them before an allocation fails, a double free of a
 * cached page is caught, and put_pages frees only the pages whose last
 * reference it drops.
 */
#include "harness.h"
#include "kernel_shim.h"
#include <mm/page.h>
#include <lib/string.h>

#define ARENA_PAGES 1024

static unsigned cached_pages(void)
{
	unsigned n = 0;

	for (pfn_t i = 0; i < ARENA_PAGES; i++)
		n += (page_array[i].flags & PG_PCP) != 0;
	return n;
}

static void setup(void)
{
	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
}

TEST(page_pcp, cached_pages_count_as_free_and_stay_bounded)
{
	struct page *p[300];

	setup();
	for (int i = 0; i < 300; i++)
		CHECK((p[i] = alloc_page()) != NULL);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - 300);
	for (int i = 0; i < 300; i++)
		free_pages(p[i], 0);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
	CHECK(cached_pages() > 0);
	CHECK(cached_pages() <= 64);
	CHECK_EQ(page_allocator_check(), 0);
}

TEST(page_pcp, a_short_buddy_drains_the_caches_first)
{
	struct page *p;
	unsigned n = 0;

	setup();
	while ((p = alloc_page()))
		n++;
	CHECK_EQ(n, (unsigned)ARENA_PAGES);
	CHECK_EQ(free_page_count(), 0ULL);
	for (pfn_t i = 0; i < 8; i++)
		free_pages(pfn_to_page(i), 0); /* an aligned order-3 block, in the cache */
	CHECK_EQ(cached_pages(), 8u);
	p = alloc_pages(3);
	CHECK(p == pfn_to_page(0));
	CHECK_EQ(cached_pages(), 0u);
	free_pages(p, 3);
	CHECK_EQ(page_cache_drain(), 0ULL); /* order 3 went to the buddy itself */
	CHECK_EQ(free_page_count(), 8ULL);
	CHECK_EQ(page_allocator_check(), 0);
}

TEST(page_pcp, drain_gives_every_cached_page_back)
{
	struct page *p[40];
	unsigned cached;

	setup();
	for (int i = 0; i < 40; i++)
		p[i] = alloc_page();
	for (int i = 0; i < 40; i++)
		free_pages(p[i], 0);
	cached = cached_pages();
	CHECK(cached >= 40);
	CHECK_EQ(page_cache_drain(), (uint64_t)cached);
	CHECK_EQ(cached_pages(), 0u);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
	CHECK(alloc_pages(10) != NULL); /* everything merged back */
}

TEST(page_pcp, double_free_of_a_cached_page_panics)
{
	struct page *p;

	setup();
	p = alloc_page();
	free_pages(p, 0);
	EXPECT_PANIC(free_pages(p, 0));
	CHECK(strstr(test_panic_message(), "double free") != NULL);
}

TEST(page_pcp, put_pages_frees_only_the_last_references_in_batches)
{
	struct page *p[100];

	setup();
	for (int i = 0; i < 100; i++)
		CHECK((p[i] = alloc_page()) != NULL);
	for (int i = 0; i < 100; i += 3)
		get_page(p[i]); /* a second user: survives one put */
	put_pages(p, 100);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - 34);
	CHECK(cached_pages() <= 64); /* over the bound: spilled to the buddy */
	for (int i = 0; i < 100; i++)
		CHECK_EQ(p[i]->refcount, i % 3 ? 0 : 1);
	CHECK_EQ(page_allocator_check(), 0);
	for (int i = 0; i < 100; i += 3)
		put_page(p[i]);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
	CHECK_EQ(page_allocator_check(), 0);
	EXPECT_PANIC(put_pages(&p[1], 1));
	CHECK(strstr(test_panic_message(), "already free") != NULL);
}
