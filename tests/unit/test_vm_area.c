/*
 * Unit tests of the ordered set of address-space areas (mm/vm_area.c):
 * lookup, insertion order, splitting, hole search below the stack gap,
 * and merging of neighbours.
 */
#include "harness.h"
#include "kernel_shim.h"
#include <mm/vm.h>
#include <mm/slab.h>

static LIST_HEAD(areas);

static void setup(void)
{
	host_memory_init(1024);
	page_allocator_add_range(0, 1024);
	kmalloc_init();
	list_init(&areas);
}

static struct vm_area *add(uintptr_t start, uintptr_t end, uint32_t flags)
{
	struct vm_area *a = vm_area_alloc(start, end, PROT_READ | PROT_WRITE, flags);

	vm_area_insert(&areas, a);
	return a;
}

TEST(vm_area, insert_keeps_order_and_find_works)
{
	struct vm_area *a, *prev = NULL;

	setup();
	add(0x30000, 0x40000, 0);
	add(0x10000, 0x20000, 0);
	add(0x50000, 0x60000, 0);
	list_for_each_entry (a, &areas, node) {
		CHECK(!prev || prev->end <= a->start);
		prev = a;
	}
	CHECK_EQ(vm_area_find(&areas, 0x10000)->start, 0x10000u);
	CHECK_EQ(vm_area_find(&areas, 0x1ffff)->start, 0x10000u);
	CHECK(vm_area_find(&areas, 0x20000) == NULL);
	CHECK(vm_area_find(&areas, 0x45000) == NULL);
	CHECK_EQ(vm_area_next_from(&areas, 0x45000)->start, 0x50000u);
	CHECK(vm_area_next_from(&areas, 0x60000) == NULL);
}

TEST(vm_area, range_free)
{
	setup();
	add(0x10000, 0x20000, 0);
	add(0x30000, 0x40000, 0);
	CHECK(vm_range_free(&areas, 0x20000, 0x30000));
	CHECK(!vm_range_free(&areas, 0x1f000, 0x21000));
	CHECK(!vm_range_free(&areas, 0x20000, 0x30001));
	CHECK(vm_range_free(&areas, 0x40000, 0x50000));
}

TEST(vm_area, split_divides_and_links)
{
	struct vm_area *a, *upper;

	setup();
	a = add(0x10000, 0x40000, 0);
	upper = vm_area_split(a, 0x20000);
	CHECK(upper != NULL);
	CHECK_EQ(a->end, 0x20000u);
	CHECK_EQ(upper->start, 0x20000u);
	CHECK_EQ(upper->end, 0x40000u);
	CHECK_PTR_EQ(vm_area_find(&areas, 0x30000), upper);
	CHECK_EQ(list_count(&areas), 2u);
}

TEST(vm_area, hole_search_is_top_down_and_respects_stack_gap)
{
	uintptr_t top = 0x1000000;
	uintptr_t hole;

	setup();
	add(0x10000, 0x20000, 0);
	add(top - 0x100000, top, VM_GROWSDOWN); /* a stack right under top */
	hole = vm_find_hole(&areas, 0x4000, top);
	/* Highest hole: below the stack minus its guard gap. */
	CHECK_EQ(hole, top - 0x100000 - STACK_GUARD_GAP - 0x4000);
	/* Never above the given top, even with room there. */
	hole = vm_find_hole(&areas, 0x4000, 0x30000);
	CHECK_EQ(hole, 0x2c000u);
	/* No room: 0. */
	CHECK_EQ(vm_find_hole(&areas, top, top), 0u);
}

TEST(vm_area, hole_search_fills_gaps_between_areas)
{
	setup();
	add(0x10000, 0x20000, 0);
	add(0x24000, 0x30000, 0);
	CHECK_EQ(vm_find_hole(&areas, 0x4000, 0x30000), 0x20000u);
	/* Nothing fits below the first area: user memory starts at USER_MIN_ADDR. */
	CHECK_EQ(vm_find_hole(&areas, 0x5000, 0x30000), 0u);
	CHECK_EQ(vm_find_hole(&areas, 0x5000, 0x40000), 0x3b000u); /* above both */
}

TEST(vm_area, merge_joins_identical_neighbours_only)
{
	struct vm_area *mid;

	setup();
	add(0x10000, 0x20000, 0);
	mid = add(0x20000, 0x30000, 0);
	add(0x30000, 0x40000, VM_HEAP);
	vm_area_merge_around(&areas, mid);
	CHECK_EQ(list_count(&areas), 2u);
	CHECK_EQ(vm_area_find(&areas, 0x25000)->start, 0x10000u);
	CHECK_EQ(vm_area_find(&areas, 0x25000)->end, 0x30000u);
	CHECK_EQ(vm_area_find(&areas, 0x35000)->flags, (uint32_t)VM_HEAP);
}

TEST(vm_area, merge_range_joins_what_a_change_made_identical)
{
	struct vm_area *a, *b, *c;

	setup();
	a = add(0x10000, 0x20000, VM_LOCKED);
	b = add(0x20000, 0x30000, 0);
	c = add(0x30000, 0x40000, VM_LOCKED);
	add(0x40000, 0x50000, 0);
	add(0x60000, 0x70000, 0);				     /* not adjacent: stays apart */
	CHECK_EQ(vm_area_merge_range(&areas, 0x20000, 0x30000), 0u); /* nothing identical yet */
	b->flags = VM_LOCKED;					     /* mlock of the middle one */
	CHECK_EQ(vm_area_merge_range(&areas, 0x20000, 0x30000), 2u);
	CHECK_EQ(list_count(&areas), 3u);
	CHECK(vm_area_find(&areas, 0x10000) == a);
	CHECK_EQ(a->end, 0x40000u);
	(void)c;
	/* munlock of all of it joins the area above too, not the one past the hole. */
	a->flags = 0;
	CHECK_EQ(vm_area_merge_range(&areas, 0x10000, 0x40000), 1u);
	CHECK_EQ(list_count(&areas), 2u);
	CHECK_EQ(vm_area_find(&areas, 0x45000)->start, 0x10000u);
	CHECK_EQ(vm_area_find(&areas, 0x65000)->start, 0x60000u);
}
