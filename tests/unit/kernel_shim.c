/*
 * Host stand-ins for kernel services (tests/unit/kernel_shim.h). The arena
 * is page-aligned so that page-granular address arithmetic in the
 * allocators behaves as on the real direct map.
 */
#include "kernel_shim.h"
#include <kernel/spinlock.h>
#include <kernel/panic.h>
#include <kernel/smp.h>
#include <stdlib.h>

static void *arena;

void spin_init(spinlock_t *l, const char *name)
{
	l->locked = 0;
	l->owner_cpu = -1;
	l->name = name;
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
	if (l->locked)
		panic("spinlock '%s': recursive acquisition", l->name);
	l->locked = 1;
	l->owner_cpu = 0;
	return 0;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	(void)flags;
	if (!l->locked)
		panic("spinlock '%s': released while free", l->name);
	l->locked = 0;
	l->owner_cpu = -1;
}

bool spin_held(const spinlock_t *l)
{
	return l->locked;
}

void spin_assert_held(const spinlock_t *l, const char *file, int line)
{
	if (!l->locked)
		panic("%s:%d: lock '%s' not held", file, line, l->name);
}

void host_memory_release(void)
{
	free(arena);
	free(page_array);
	arena = NULL;
	page_array = NULL;
}

void host_memory_init(pfn_t npages)
{
	host_memory_release();
	arena = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	page_array = calloc(npages, sizeof(struct page));
	if (!arena || !page_array)
		abort();
	max_pfn = npages;
	direct_map_base = (uintptr_t)arena;
	for (pfn_t i = 0; i < npages; i++) {
		list_init(&page_array[i].list);
		page_array[i].flags = PG_RESERVED;
	}
	page_allocator_init();
}

/* One CPU on the host. */
unsigned smp_cpus_online(void)
{
	return 1;
}

unsigned smp_this_cpu_id(void)
{
	return 0;
}

void smp_call_others(void (*fn)(void *arg), void *arg)
{
	(void)fn;
	(void)arg;
}
