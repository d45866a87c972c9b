/*
 * Unit tests of slab caches and kmalloc (mm/slab.c), including the debug
 * checks: use after free, double free and invalid free must panic.
 */
#include "harness.h"
#include "kernel_shim.h"
#include <mm/slab.h>
#include <lib/string.h>

#define ARENA_PAGES 4096

static void setup(void)
{
	host_memory_init(ARENA_PAGES);
	page_allocator_add_range(0, ARENA_PAGES);
	kmalloc_init();
}

TEST(slab, objects_distinct_aligned_and_returned)
{
	struct kmem_cache c;
	void *objs[1000];

	setup();
	kmem_cache_init(&c, "test-40", 40, 16);
	for (int i = 0; i < 1000; i++) {
		objs[i] = kmem_cache_alloc(&c);
		CHECK(objs[i] != NULL);
		CHECK_EQ((uintptr_t)objs[i] % 16, 0u);
		memset(objs[i], i & 0xff, 40);
	}
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(((uint8_t *)objs[i])[39], (uint8_t)(i & 0xff));
	CHECK_EQ(c.active_objects, 1000ULL);
	for (int i = 0; i < 1000; i++)
		kmem_cache_free(&c, objs[i]);
	CHECK_EQ(c.active_objects, 0ULL);
	CHECK(c.slabs <= 1); /* one empty slab kept, the rest given back */
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - c.slabs * (1u << c.order));
}

TEST(slab, use_after_free_is_detected)
{
	struct kmem_cache c;
	char *p;

	setup();
	kmem_cache_init(&c, "test-64", 64, 8);
	p = kmem_cache_alloc(&c);
	kmem_cache_free(&c, p);
	p[20] = 'x';
	EXPECT_PANIC(kmem_cache_alloc(&c));
	CHECK(strstr(test_panic_message(), "modified after free") != NULL);
}

TEST(slab, double_free_is_detected)
{
	struct kmem_cache c;
	void *p, *q;

	setup();
	kmem_cache_init(&c, "test-32", 32, 8);
	p = kmem_cache_alloc(&c);
	q = kmem_cache_alloc(&c);
	kmem_cache_free(&c, p);
	kmem_cache_free(&c, q);
	EXPECT_PANIC(kmem_cache_free(&c, p));
	CHECK(strstr(test_panic_message(), "double free") != NULL);
}

TEST(slab, interior_pointer_free_is_detected)
{
	struct kmem_cache c;
	char *p;

	setup();
	kmem_cache_init(&c, "test-48", 48, 8);
	p = kmem_cache_alloc(&c);
	EXPECT_PANIC(kmem_cache_free(&c, p + 8));
}

TEST(kmalloc, all_sizes_usable)
{
	for (size_t size = 1; size <= 3 * PAGE_SIZE; size = size * 3 / 2 + 1) {
		uint8_t *p;

		setup();
		p = kmalloc(size);
		CHECK(p != NULL);
		CHECK(ksize(p) >= size);
		memset(p, 0x5a, size);
		kfree(p);
	}
}

TEST(kmalloc, large_blocks_come_from_pages)
{
	void *p;

	setup();
	p = kmalloc(5 * PAGE_SIZE);
	CHECK(p != NULL);
	CHECK_EQ((uintptr_t)p % PAGE_SIZE, 0u);
	CHECK_EQ(ksize(p), (size_t)8 * PAGE_SIZE);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - 8);
	kfree(p);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
	CHECK(kmalloc((size_t)PAGE_SIZE << 11) == NULL);
}

TEST(kmalloc, kzalloc_zeroes_and_kfree_null_is_noop)
{
	uint8_t *p;
	int nonzero = 0;

	setup();
	p = kzalloc(200);
	for (int i = 0; i < 200; i++)
		nonzero += p[i] != 0;
	CHECK_EQ(nonzero, 0);
	kfree(p);
	kfree(NULL);
}

TEST(kmalloc, free_of_foreign_pointer_panics)
{
	struct page *pg;

	setup();
	pg = alloc_page();
	EXPECT_PANIC(kfree(page_address(pg)));
	CHECK(strstr(test_panic_message(), "not returned by kmalloc") != NULL);
}
