/*
 * The ordered set of areas of an address space (include/mm/vm.h): a list
 * sorted by start address with no overlaps. Portable, host unit-tested
 * (tests/unit/test_vm_area.c); the callers in mm/vm.c hold the space's lock.
 */
#include <mm/vm.h>
#include <mm/slab.h>
#include <lib/compiler.h>

struct vm_area *vm_area_alloc(uintptr_t start, uintptr_t end, uint32_t prot, uint32_t flags)
{
	struct vm_area *a = kzalloc(sizeof(*a));

	if (!a)
		return NULL;
	list_init(&a->node);
	a->start = start;
	a->end = end;
	a->prot = prot;
	a->flags = flags;
	return a;
}

void vm_area_free(struct vm_area *a)
{
	kfree(a);
}

struct vm_area *vm_area_next_from(struct list_head *areas, uintptr_t addr)
{
	struct vm_area *a;

	list_for_each_entry (a, areas, node)
		if (a->end > addr)
			return a;
	return NULL;
}

struct vm_area *vm_area_find(struct list_head *areas, uintptr_t addr)
{
	struct vm_area *a = vm_area_next_from(areas, addr);

	return a && a->start <= addr ? a : NULL;
}

bool vm_range_free(struct list_head *areas, uintptr_t start, uintptr_t end)
{
	struct vm_area *a = vm_area_next_from(areas, start);

	return !a || a->start >= end;
}

void vm_area_insert(struct list_head *areas, struct vm_area *a)
{
	struct vm_area *next = vm_area_next_from(areas, a->start);

	list_add_tail(&a->node, next ? &next->node : areas);
}

struct vm_area *vm_area_split(struct vm_area *a, uintptr_t addr)
{
	struct vm_area *upper = vm_area_alloc(addr, a->end, a->prot, a->flags);

	if (!upper)
		return NULL;
	upper->shared = a->shared;
	if (a->shared) {
		__atomic_fetch_add(&a->shared->refcount, 1, __ATOMIC_RELAXED);
		upper->pgoff = a->pgoff + (addr - a->start) / PAGE_SIZE;
	}
	a->end = addr;
	list_add(&upper->node, &a->node);
	return upper;
}

/* The lowest address a new area may use above `below` (a stack keeps a gap under it). */
static uintptr_t gap_floor(const struct vm_area *below)
{
	return below ? below->end : USER_MIN_ADDR;
}

static uintptr_t gap_ceiling(const struct vm_area *above, uintptr_t top)
{
	if (!above)
		return top;
	if (above->flags & VM_GROWSDOWN)
		return MIN(above->start > STACK_GUARD_GAP ? above->start - STACK_GUARD_GAP : 0,
			   top);
	return MIN(above->start, top);
}

uintptr_t vm_find_hole(struct list_head *areas, size_t len, uintptr_t top)
{
	struct vm_area *above = NULL;

	/* Walk from the highest area down, looking at the hole under each. */
	for (struct list_head *n = areas->prev;; n = n->prev) {
		struct vm_area *below = n == areas ? NULL : list_entry(n, struct vm_area, node);
		uintptr_t floor = gap_floor(below), ceil = gap_ceiling(above, top);

		if (ceil > floor && ceil - floor >= len)
			return ceil - len;
		if (!below)
			return 0;
		above = below;
	}
}

static bool mergeable(const struct vm_area *a, const struct vm_area *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags && !a->shared &&
	       !b->shared;
}

/* Folds the area after a into a. */
static void absorb_next(struct vm_area *a)
{
	struct vm_area *next = list_entry(a->node.next, struct vm_area, node);

	a->end = next->end;
	list_del(&next->node);
	vm_area_free(next);
}

unsigned vm_area_merge_range(struct list_head *areas, uintptr_t start, uintptr_t end)
{
	/* The area just below start (when it touches it) is the first that may take its neighbour. */
	struct vm_area *a = vm_area_next_from(areas, start ? start - 1 : 0);
	unsigned merged = 0;

	while (a && a->start < end && a->node.next != areas) {
		struct vm_area *next = list_entry(a->node.next, struct vm_area, node);

		if (mergeable(a, next)) {
			absorb_next(a);
			merged++;
		} else {
			a = next;
		}
	}
	return merged;
}

unsigned vm_area_merge_around(struct list_head *areas, struct vm_area *a)
{
	struct vm_area *prev = list_entry(a->node.prev, struct vm_area, node);
	unsigned merged = 0;

	if (a->node.next != areas && mergeable(a, list_entry(a->node.next, struct vm_area, node))) {
		absorb_next(a);
		merged++;
	}
	if (a->node.prev != areas && mergeable(prev, a)) {
		absorb_next(prev);
		merged++;
	}
	return merged;
}
