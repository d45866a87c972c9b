/*
 * Unit tests of slab caches and kmalloc (mm/slab.c), including the debug
 * checks: use after free, double free and invalid free must panic; the
 * per-CPU magazines (one CPU on the host) and their drain; slab_reclaim,
 * which also gives back the empty slabs of every cache; slab_info_read's
 * counts (/proc/slabinfo).
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
	CHECK_EQ(kmem_cache_in_use(&c), 1000ULL);
	for (int i = 0; i < 1000; i++)
		kmem_cache_free(&c, objs[i]);
	CHECK_EQ(kmem_cache_in_use(&c), 0ULL);
	slab_drain(); /* the CPU's magazine keeps a few freed objects until then */
	CHECK_EQ(c.active_objects, 0ULL);
	CHECK(c.slabs <= 1); /* one empty slab kept, the rest given back */
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - c.slabs * (1u << c.order));
}

/* Allocates n slabs' worth of objects of c into objs; how many. */
static unsigned fill_slabs(struct kmem_cache *c, void **objs, unsigned n)
{
	unsigned count = n * c->objects_per_slab;

	for (unsigned i = 0; i < count; i++) {
		objs[i] = kmem_cache_alloc(c);
		CHECK(objs[i] != NULL);
	}
	CHECK(c->slabs >= n);
	return count;
}

TEST(slab, reclaim_leaves_only_slabs_that_hold_objects)
{
	struct kmem_cache a, b;
	void *objs_a[4 * 512], *objs_b[3 * 512], *k;
	unsigned na, nb;
	uint64_t pages_before, free_before;

	setup();
	pages_before = slab_pages(); /* the count of every arena so far */
	kmem_cache_init(&a, "test-24", 24, 8);
	kmem_cache_init(&b, "test-1000", 1000, 8); /* 2-page slabs */
	CHECK_EQ(b.order, 1u);
	na = fill_slabs(&a, objs_a, 4);
	nb = fill_slabs(&b, objs_b, 3);
	k = kmalloc(100);
	/* a: every object but the first one; b: all of them. */
	for (unsigned i = 1; i < na; i++)
		kmem_cache_free(&a, objs_a[i]);
	for (unsigned i = nb; i-- > 0;)
		kmem_cache_free(&b, objs_b[i]);
	kfree(k);
	CHECK(a.mag[0].count > 0 && b.mag[0].count > 0);
	CHECK(a.slabs >= 2); /* the first object's, and the kept empty one or the magazine's */
	free_before = free_page_count();
	CHECK_EQ(slab_reclaim(), (uint64_t)ARENA_PAGES - 1 - free_before);
	CHECK_EQ(a.mag[0].count, 0u);
	CHECK_EQ(a.slabs, 1ULL);
	CHECK_EQ(b.slabs, 0ULL);
	CHECK_EQ(slab_pages() - pages_before, 1ULL);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - 1);
	CHECK_EQ(slab_reclaim(), 0ULL);
	kmem_cache_free(&a, objs_a[0]);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - 1); /* in the magazine */
	CHECK_EQ(slab_reclaim(), 1ULL);
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES);
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

TEST(slab, magazine_serves_a_free_then_alloc_without_the_slabs)
{
	struct kmem_cache c;
	void *p, *q;
	uint64_t out;

	setup();
	kmem_cache_init(&c, "test-mag", 64, 8);
	p = kmem_cache_alloc(&c);
	out = c.active_objects; /* a batch left the slabs: one for p, the rest in the magazine */
	CHECK_EQ(out, (uint64_t)c.mag_batch);
	CHECK_EQ(c.mag[0].count, c.mag_batch - 1);
	kmem_cache_free(&c, p);
	q = kmem_cache_alloc(&c);
	CHECK(q == p); /* the last freed comes back first, still hot */
	CHECK_EQ(c.active_objects, out);
	CHECK_EQ(kmem_cache_in_use(&c), 1ULL);
	kmem_cache_free(&c, q);
}

TEST(slab, magazine_stays_bounded_and_drains_exactly)
{
	struct kmem_cache c;
	void *objs[300];

	setup();
	kmem_cache_init(&c, "test-mag-bound", 64, 8);
	for (int i = 0; i < 300; i++)
		objs[i] = kmem_cache_alloc(&c);
	for (int i = 0; i < 300; i++) {
		kmem_cache_free(&c, objs[i]);
		CHECK(c.mag[0].count <= c.mag_size);
	}
	CHECK(c.mag[0].count > 0);
	CHECK_EQ(c.active_objects, (uint64_t)c.mag[0].count);
	CHECK_EQ(kmem_cache_in_use(&c), 0ULL);
	slab_drain();
	CHECK_EQ(c.mag[0].count, 0u);
	CHECK_EQ(c.active_objects, 0ULL);
	CHECK_EQ(c.slabs, 1ULL); /* the one empty slab kept */
	CHECK_EQ(free_page_count(), (uint64_t)ARENA_PAGES - (1u << c.order));
}

TEST(slab, big_objects_get_small_magazines)
{
	struct kmem_cache small, big;

	setup();
	kmem_cache_init(&small, "test-16", 16, 8);
	kmem_cache_init(&big, "test-2048", 2048, 16);
	CHECK_EQ(small.mag_size, (unsigned)SLAB_MAG_MAX);
	CHECK_EQ(big.mag_size, 4u);
	CHECK(big.mag_size * big.slot_size <= SLAB_MAG_BYTES);
}

/* The pages a magazine's objects pin come back before an allocation fails. */
TEST(slab, page_allocation_drains_the_magazines_before_failing)
{
	struct kmem_cache c;
	static void *objs[ARENA_PAGES * 4];
	static struct page *pages[ARENA_PAGES];
	unsigned n = 0, got = 0;

	setup();
	kmem_cache_init(&c, "test-1024", 1024, 16);
	while (n < ARRAY_SIZE(objs) && (objs[n] = kmem_cache_alloc(&c)))
		n++;
	CHECK(n > 100);
	CHECK_EQ(free_page_count(), 0ULL);
	for (unsigned i = 0; i < n; i++)
		kmem_cache_free(&c, objs[i]);
	CHECK(c.mag[0].count > 0); /* they pin a slab besides the empty one kept... */
	CHECK_EQ(c.slabs, 2ULL);
	while (got < ARRAY_SIZE(pages) && (pages[got] = alloc_page()))
		got++;
	/* ... that the last page allocations got back, and the empty slab too */
	CHECK_EQ(got, ARENA_PAGES);
	CHECK_EQ(c.mag[0].count, 0u);
	CHECK_EQ(c.slabs, 0ULL);
	for (unsigned i = 0; i < got; i++)
		free_pages(pages[i], 0);
	CHECK_EQ(kmem_cache_in_use(&c), 0ULL);
}

/* c's counts as slab_info_read gives them (c must be among the first 32 caches). */
static struct slab_info info_of(struct kmem_cache *c)
{
	struct slab_info all[32];
	size_t n = slab_info_read(all, 32);

	CHECK(n <= 32);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].name, c->name))
			return all[i];
	CHECK(!"cache not listed");
	return all[0];
}

TEST(slab, info_counts_objects_and_slabs)
{
	struct kmem_cache c;
	struct slab_info in;
	void *objs[100];

	setup();
	kmem_cache_init(&c, "test-info-100", 100, 8);
	in = info_of(&c);
	CHECK_EQ(in.active_objects, 0ULL);
	CHECK_EQ(in.slabs, 0ULL);
	CHECK_EQ(in.slot_size, (size_t)104);
	CHECK_EQ(in.objects_per_slab, 4096u / 104);
	CHECK_EQ(in.pages_per_slab, 1u);
	CHECK_EQ(in.mag_size, 15u);
	CHECK_EQ(in.mag_batch, 7u);
	for (int i = 0; i < 100; i++)
		objs[i] = kmem_cache_alloc(&c);
	in = info_of(&c);
	/* The 100, and what the last refill left in the magazine: active too, as in Linux. */
	CHECK_EQ(in.active_objects - in.in_magazines, 100ULL);
	CHECK_EQ(in.in_magazines, (uint64_t)c.mag[0].count);
	CHECK_EQ(in.slabs, (in.active_objects + in.objects_per_slab - 1) / in.objects_per_slab);
	CHECK_EQ(in.active_slabs, in.slabs);
	CHECK_EQ(in.objects, in.slabs * in.objects_per_slab);
	for (int i = 0; i < 100; i++)
		kmem_cache_free(&c, objs[i]);
	slab_drain();
	in = info_of(&c);
	CHECK_EQ(in.active_objects, 0ULL);
	CHECK_EQ(in.in_magazines, 0ULL);
	CHECK_EQ(in.slabs, 1ULL); /* the empty one kept: not active */
	CHECK_EQ(in.active_slabs, 0ULL);
	slab_reclaim();
	in = info_of(&c);
	CHECK_EQ(in.slabs, 0ULL);
	CHECK_EQ(in.objects, 0ULL);
}

TEST(slab, info_read_says_how_many_caches_there_are)
{
	struct kmem_cache c;
	struct slab_info two[2];

	setup();
	kmem_cache_init(&c, "test-info-last", 24, 8);
	/* The kmalloc caches, then c; only two are filled in. */
	CHECK_EQ(slab_info_read(two, 2), 11u);
	CHECK(!strcmp(two[0].name, "kmalloc-16") && !strcmp(two[1].name, "kmalloc-32"));
	CHECK(!strcmp(info_of(&c).name, "test-info-last"));
}
