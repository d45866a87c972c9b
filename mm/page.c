/*
 * The physical page allocator: one buddy allocator over all RAM, plus
 * reference counting. Portable (the host tests link it too); boot code
 * (mm/memblock.c) sets up page_array and hands the free RAM over with
 * page_allocator_add_range().
 */
#include <lib/compiler.h>
#include <mm/page.h>
#include <mm/buddy.h>
#include <kernel/panic.h>
#include <lib/string.h>

struct page *page_array;   /* [I] (each struct page: its own rules, include/mm/page.h) */
pfn_t max_pfn;		   /* [I] */
uintptr_t direct_map_base; /* [I] */

static struct buddy page_buddy; /* its own lock */

void page_allocator_init(void)
{
	buddy_init(&page_buddy);
}

void page_allocator_add_range(pfn_t start, pfn_t end)
{
	buddy_add_range(&page_buddy, start, end);
}

int page_allocator_check(void)
{
	return buddy_check(&page_buddy);
}

struct page *alloc_pages(unsigned order)
{
	return buddy_alloc(&page_buddy, order);
}

void free_pages(struct page *p, unsigned order)
{
	buddy_free(&page_buddy, p, order);
}

void get_page(struct page *p)
{
	if (__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED) <= 0)
		panic("get_page: page %p is free", (void *)p);
}

void put_page(struct page *p)
{
	int32_t old = __atomic_fetch_sub(&p->refcount, 1, __ATOMIC_ACQ_REL);

	if (old <= 0)
		panic("put_page: page %p is already free", (void *)p);
	if (old == 1)
		free_pages(p, 0);
}

void *page_alloc_zeroed(void)
{
	struct page *p = alloc_page();

	if (!p)
		return NULL;
	memset(page_address(p), 0, PAGE_SIZE);
	return page_address(p);
}

/* Pages user memory leaves to the kernel: total / 64, from 128 pages up to 8 MiB. */
uint64_t page_user_reserve(void)
{
	uint64_t r = total_page_count() / 64;

	return r < 128 ? 128 : (r > 2048 ? 2048 : r);
}

void *page_alloc_zeroed_user(void)
{
	if (free_page_count() <= page_user_reserve())
		return NULL;
	return page_alloc_zeroed();
}

void page_free_addr(void *va)
{
	put_page(virt_to_page(va));
}

uint64_t free_page_count(void)
{
	return READ_ONCE(page_buddy.free_pages);
}

uint64_t total_page_count(void)
{
	return READ_ONCE(page_buddy.total_pages);
}
