/*
 * Kernel stacks (include/mm/kstack.h). The stack area is divided into
 * slots of one guard page plus KSTACK_PAGES pages; a bitmap records which
 * slots are in use. Called by kernel thread creation and exit.
 */
#include <mm/kstack.h>
#include <mm/kmap.h>
#include <mm/page.h>
#include <mm/tlb.h>
#include <kernel/spinlock.h>
#include <arch/x86_64/layout.h>
#include <lib/bitmap.h>
#include <uapi/errno.h>

#define SLOT_SIZE ((KSTACK_PAGES + 1) * PAGE_SIZE)
#define MAX_SLOTS 8192

static spinlock_t kstack_lock = SPINLOCK_INIT("kstack");
static unsigned long slot_map[BITS_TO_LONGS(MAX_SLOTS)]; /* (kstack_lock) */
static uint64_t mapped_pages;				 /* (atomic) stack pages mapped */

uint64_t kstack_pages(void)
{
	return __atomic_load_n(&mapped_pages, __ATOMIC_RELAXED);
}

static long slot_take(void)
{
	unsigned long flags = spin_lock_irqsave(&kstack_lock);
	size_t slot = bitmap_find_first_zero(slot_map, MAX_SLOTS);

	if (slot < MAX_SLOTS)
		bitmap_set_bit(slot_map, slot);
	spin_unlock_irqrestore(&kstack_lock, flags);
	return slot < MAX_SLOTS ? (long)slot : -ENOMEM;
}

static void slot_release(uintptr_t base)
{
	unsigned long flags = spin_lock_irqsave(&kstack_lock);

	bitmap_clear_bit(slot_map, (base - KSTACK_AREA_BASE) / SLOT_SIZE);
	spin_unlock_irqrestore(&kstack_lock, flags);
}

/* Unmaps the stack's pages on every CPU, then frees them (in one TLB round). */
static void unmap_and_free(uintptr_t base, unsigned pages)
{
	struct tlb_batch tlb;

	tlb_batch_init(&tlb, NULL);
	for (unsigned i = 0; i < pages; i++) {
		phys_addr_t pa = kmap_unmap_page(base + i * PAGE_SIZE, &tlb);

		if (!pa)
			continue;
		tlb_batch_put_page(&tlb, pfn_to_page(pa >> PAGE_SHIFT));
		__atomic_fetch_sub(&mapped_pages, 1, __ATOMIC_RELAXED);
	}
	tlb_batch_flush(&tlb);
}

static int map_one(uintptr_t va)
{
	struct page *p = alloc_page();

	if (!p)
		return -ENOMEM;
	if (kmap_map_page(va, page_to_phys(p), PTE_W | PTE_NX | PTE_G)) {
		put_page(p);
		return -ENOMEM;
	}
	__atomic_fetch_add(&mapped_pages, 1, __ATOMIC_RELAXED);
	return 0;
}

int kstack_alloc(struct kstack *s)
{
	long slot = slot_take();

	if (slot < 0)
		return slot;
	s->base = KSTACK_AREA_BASE + slot * SLOT_SIZE + PAGE_SIZE;
	s->top = s->base + KSTACK_SIZE;
	for (unsigned i = 0; i < KSTACK_PAGES; i++) {
		if (map_one(s->base + i * PAGE_SIZE)) {
			unmap_and_free(s->base, i);
			slot_release(s->base);
			return -ENOMEM;
		}
	}
	return 0;
}

void kstack_free(struct kstack *s)
{
	unmap_and_free(s->base, KSTACK_PAGES);
	slot_release(s->base);
	s->base = s->top = 0;
}

bool kstack_is_guard(uintptr_t va)
{
	if (va < KSTACK_AREA_BASE || va >= KSTACK_AREA_BASE + (uintptr_t)MAX_SLOTS * SLOT_SIZE)
		return false;
	return (va - KSTACK_AREA_BASE) % SLOT_SIZE < PAGE_SIZE;
}
