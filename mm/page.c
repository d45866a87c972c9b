/*
 * The physical page allocator: one buddy allocator over all RAM, a small
 * cache of free single pages per CPU in front of it, and reference
 * counting. Portable (the host tests link it too); boot code
 * (mm/memblock.c) sets up page_array and hands the free RAM over with
 * page_allocator_add_range().
 *
 * A CPU's cache takes and gives back PCP_BATCH pages at a time under one
 * hold of the buddy's lock, and keeps PCP_HIGH pages at most; its pages
 * count as free (free_page_count), and when the buddy cannot serve an
 * allocation every CPU's cache is drained into it before the allocation
 * fails, so that no free page hides from a large allocation, reclaim or
 * the OOM killer.
 *
 * Debug builds poison freed memory: every page freed is filled with
 * PAGE_POISON and marked, and a marked page is checked whole when it is
 * allocated again (pages handed over at boot are not poisoned: that would
 * cost seconds per boot under TCG), so that a write through a
 * reference or a mapping that outlived the free (a device's DMA, a stale
 * translation, a page put once too often) panics at the page's next
 * allocation with the bytes written.
 */
#include <lib/compiler.h>
#include <mm/page.h>
#include <mm/buddy.h>
#include <kernel/config.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <mm/cpu.h>
#include <lib/string.h>
#include <uapi/errno.h>

#define PCP_HIGH  64 /* free pages a CPU keeps at most */
#define PCP_BATCH 16 /* pages moved between a CPU's cache and the buddy at once */

/*
 * A CPU's free single pages. Lock key: (p) lock, taken by its own CPU and
 * by page_cache_drain on any CPU; lock order: a pcp lock, then the buddy's.
 */
struct page_pcp {
	spinlock_t lock;
	struct list_head pages; /* (p) PG_PCP pages, most recently freed first */
	unsigned count;		/* (p) */
};

struct page *page_array;   /* [I] (each struct page: its own rules, include/mm/page.h) */
pfn_t max_pfn;		   /* [I] */
uintptr_t direct_map_base; /* [I] */

static struct buddy page_buddy;		/* its own lock */
static struct page_pcp pcp[MAX_CPUS];	/* each its own lock */
static uint64_t pcp_pages;		/* (a) in every CPU's cache */
static uint64_t (*shortage_hook)(void); /* [I] once kmalloc works */

void page_allocator_init(void)
{
	buddy_init(&page_buddy);
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		spin_init(&pcp[i].lock, "pcp");
		list_init(&pcp[i].pages);
		pcp[i].count = 0;
	}
	pcp_pages = 0;
	shortage_hook = NULL;
}

void page_set_shortage_hook(uint64_t (*fn)(void))
{
	shortage_hook = fn;
}

#define PAGE_POISON 0x5a5a5a5a5a5a5a5aull

static void poison_pages(struct page *p, unsigned n)
{
	if (!CONFIG_DEBUG)
		return;
	for (unsigned k = 0; k < n; k++) {
		uint64_t *w = page_address(p + k);

		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			w[i] = PAGE_POISON;
		p[k].buddy.poisoned = 1;
	}
}

/* Panics, showing what was written, if a free page of p's n was written. */
static void check_poison(struct page *p, unsigned n)
{
	if (!CONFIG_DEBUG)
		return;
	for (unsigned k = 0; k < n; k++) {
		const uint64_t *w = page_address(p + k);
		pfn_t pfn = page_to_pfn(p + k);

		if (!p[k].buddy.poisoned)
			continue; /* never freed since boot */
		p[k].buddy.poisoned = 0;
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
			if (w[i] == PAGE_POISON)
				continue;
			for (unsigned j = i & ~3u; j < (i & ~3u) + 8 && j < PAGE_SIZE / 8; j++)
				pr_err("page pfn %#llx offset %#x: %016llx\n",
				       (unsigned long long)pfn, j * 8, (unsigned long long)w[j]);
			panic("page: pfn %#llx was written while free (offset %#x)",
			      (unsigned long long)pfn, i * 8);
		}
	}
}

void page_allocator_add_range(pfn_t start, pfn_t end)
{
	buddy_add_range(&page_buddy, start, end);
}

/* Checks one CPU's cache: its pages are marked and counted. */
static int pcp_check(struct page_pcp *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	unsigned n = 0;
	struct page *p;
	int ret = 0;

	list_for_each_entry (p, &c->pages, list) {
		if (p->flags != PG_PCP || p->refcount)
			ret = -EINVAL;
		n++;
	}
	if (n != c->count)
		ret = -EINVAL;
	spin_unlock_irqrestore(&c->lock, flags);
	return ret;
}

int page_allocator_check(void)
{
	int ret = buddy_check(&page_buddy);

	for (unsigned i = 0; i < MAX_CPUS && !ret; i++)
		ret = pcp_check(&pcp[i]);
	return ret;
}

/* Moves up to n pages, coldest first, from c to the buddy. Caller holds c->lock. */
static unsigned pcp_spill(struct page_pcp *c, unsigned n)
{
	struct page *out[PCP_BATCH];
	unsigned moved = 0;

	assert_held(&c->lock);
	while (moved < n && c->count) {
		unsigned k = 0;

		while (k < PCP_BATCH && moved + k < n && c->count) {
			struct page *p = list_entry(c->pages.prev, struct page, list);

			list_del(&p->list);
			p->flags = 0;
			c->count--;
			out[k++] = p;
		}
		/* Uncounted before the buddy counts them: free_page_count never counts a page twice. */
		__atomic_sub_fetch(&pcp_pages, k, __ATOMIC_RELAXED);
		buddy_free_array(&page_buddy, out, k);
		moved += k;
	}
	return moved;
}

/* Fills c from the buddy with PCP_BATCH pages (fewer when short). Caller holds c->lock. */
static void pcp_refill(struct page_pcp *c)
{
	unsigned got;

	assert_held(&c->lock);
	got = buddy_alloc_bulk(&page_buddy, PCP_BATCH, &c->pages, PG_PCP);
	c->count += got;
	__atomic_add_fetch(&pcp_pages, got, __ATOMIC_RELAXED);
}

static struct page *pcp_alloc(void)
{
	struct page_pcp *c = &pcp[mm_cpu_id()];
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct page *p = NULL;

	if (!c->count)
		pcp_refill(c);
	if (c->count) {
		p = list_first_entry(&c->pages, struct page, list);
		list_del(&p->list);
		c->count--;
		__atomic_sub_fetch(&pcp_pages, 1, __ATOMIC_RELAXED);
		p->flags = 0;
		p->buddy.order = 0;
		p->refcount = 1;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (p)
		check_poison(p, 1);
	return p;
}

static void check_freeable(struct page *p)
{
	if (p->flags & (PG_BUDDY | PG_PCP | PG_RESERVED))
		panic("page: double free or free of reserved page, pfn %#llx",
		      (unsigned long long)page_to_pfn(p));
}

/*
 * Puts n single pages (checked) in this CPU's cache under one hold of its
 * lock. One page over PCP_HIGH makes the cache give PCP_BATCH back to the
 * buddy; of a batch (put_pages), what does not fit goes to the buddy
 * straight, under one hold of its lock, without passing through the cache.
 */
static void pcp_free_many(struct page *const *pages, unsigned n)
{
	struct page_pcp *c;
	unsigned long flags;
	unsigned keep = n;

	for (unsigned i = 0; i < n; i++)
		poison_pages(pages[i], 1);
	c = &pcp[mm_cpu_id()];
	flags = spin_lock_irqsave(&c->lock);

	if (n > 1 && c->count + n > PCP_HIGH)
		keep = c->count < PCP_HIGH ? PCP_HIGH - c->count : 0;
	for (unsigned i = 0; i < keep; i++) {
		pages[i]->refcount = 0;
		pages[i]->flags = PG_PCP;
		list_add(&pages[i]->list, &c->pages);
	}
	c->count += keep;
	__atomic_add_fetch(&pcp_pages, keep, __ATOMIC_RELAXED);
	if (c->count > PCP_HIGH)
		pcp_spill(c, PCP_BATCH);
	spin_unlock_irqrestore(&c->lock, flags);
	if (keep < n)
		buddy_free_array(&page_buddy, pages + keep, n - keep);
}

uint64_t page_cache_drain(void)
{
	uint64_t drained = 0;

	for_each_online_cpu(cpu)
	{
		struct page_pcp *c = &pcp[cpu];
		unsigned long flags = spin_lock_irqsave(&c->lock);

		drained += pcp_spill(c, c->count);
		spin_unlock_irqrestore(&c->lock, flags);
	}
	return drained;
}

/* Short of pages: the caches above give theirs back, then every CPU's cache; whether any came. */
static bool page_shortage(void)
{
	uint64_t back = shortage_hook ? shortage_hook() : 0;

	if (!__atomic_load_n(&pcp_pages, __ATOMIC_RELAXED))
		return back != 0;
	return page_cache_drain() + back != 0;
}

struct page *alloc_pages(unsigned order)
{
	struct page *p = order ? buddy_alloc(&page_buddy, order) : pcp_alloc();

	if (!p && page_shortage())
		p = order ? buddy_alloc(&page_buddy, order) : pcp_alloc();
	if (p && order)
		check_poison(p, 1u << order);
	return p;
}

void free_pages(struct page *p, unsigned order)
{
	if (order) {
		poison_pages(p, 1u << order);
		buddy_free(&page_buddy, p, order);
		return;
	}
	check_freeable(p);
	pcp_free_many(&p, 1);
}

void get_page(struct page *p)
{
	if (__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED) <= 0)
		panic("get_page: page %p is free", (void *)p);
}

/* Drops a reference; whether it was the last one (the page is to be freed). */
static bool put_ref(struct page *p)
{
	int32_t old = __atomic_fetch_sub(&p->refcount, 1, __ATOMIC_ACQ_REL);

	if (old <= 0)
		panic("put_page: page %p is already free", (void *)p);
	return old == 1;
}

void put_page(struct page *p)
{
	if (put_ref(p))
		free_pages(p, 0);
}

void put_pages(struct page *const *pages, unsigned n)
{
	struct page *last[PCP_BATCH];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!put_ref(pages[i]))
			continue;
		check_freeable(pages[i]);
		last[k++] = pages[i];
		if (k == PCP_BATCH) {
			pcp_free_many(last, k);
			k = 0;
		}
	}
	if (k)
		pcp_free_many(last, k);
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
	return READ_ONCE(page_buddy.free_pages) + __atomic_load_n(&pcp_pages, __ATOMIC_RELAXED);
}

uint64_t total_page_count(void)
{
	return READ_ONCE(page_buddy.total_pages);
}
