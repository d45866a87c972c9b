/*
 * Binary buddy allocator (include/mm/buddy.h). Portable: it only touches
 * page_array, so the host unit tests run it over an arena. The kernel has
 * one instance, the physical page allocator in mm/page.c.
 */
#include <mm/buddy.h>
#include <kernel/panic.h>
#include <uapi/errno.h>

void buddy_init(struct buddy *b)
{
	spin_init(&b->lock, "buddy");
	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
		list_init(&b->free_list[o]);
		b->free_count[o] = 0;
	}
	b->free_pages = 0;
	b->total_pages = 0;
}

static void push_free(struct buddy *b, struct page *p, unsigned order)
{
	p->flags = PG_BUDDY;
	p->buddy.order = order;
	list_add(&p->list, &b->free_list[order]);
	b->free_count[order]++;
}

static void pop_free(struct buddy *b, struct page *p, unsigned order)
{
	list_del(&p->list);
	p->flags = 0;
	b->free_count[order]--;
}

static struct page *free_buddy_of(pfn_t pfn, unsigned order)
{
	pfn_t buddy = pfn ^ (1ULL << order);
	struct page *p;

	if (buddy >= max_pfn)
		return NULL;
	p = pfn_to_page(buddy);
	if (!(p->flags & PG_BUDDY) || p->buddy.order != order)
		return NULL;
	return p;
}

/* Inserts the free block at pfn, merging upwards. Caller holds b->lock. */
static void insert_merging(struct buddy *b, pfn_t pfn, unsigned order)
{
	struct page *buddy;

	assert_held(&b->lock);
	while (order < BUDDY_MAX_ORDER && (buddy = free_buddy_of(pfn, order))) {
		pop_free(b, buddy, order);
		pfn &= ~(1ULL << order);
		order++;
	}
	push_free(b, pfn_to_page(pfn), order);
}

void buddy_add_range(struct buddy *b, pfn_t start, pfn_t end)
{
	unsigned long flags = spin_lock_irqsave(&b->lock);

	while (start < end) {
		unsigned order = 0;

		/* The largest aligned block that starts at start and fits. */
		while (order < BUDDY_MAX_ORDER && !(start & (1ULL << order)) &&
		       start + (2ULL << order) <= end)
			order++;
		for (pfn_t i = start; i < start + (1ULL << order); i++)
			pfn_to_page(i)->flags = 0;
		insert_merging(b, start, order);
		b->free_pages += 1ULL << order;
		b->total_pages += 1ULL << order;
		start += 1ULL << order;
	}
	spin_unlock_irqrestore(&b->lock, flags);
}

/* A block of 2^order frames, or NULL. Caller holds b->lock. */
static struct page *alloc_locked(struct buddy *b, unsigned order)
{
	unsigned o = order;
	struct page *p;

	assert_held(&b->lock);
	while (o <= BUDDY_MAX_ORDER && list_empty(&b->free_list[o]))
		o++;
	if (o > BUDDY_MAX_ORDER)
		return NULL;
	p = list_first_entry(&b->free_list[o], struct page, list);
	pop_free(b, p, o);
	/* Split: return the upper halves to the lists. */
	while (o > order) {
		o--;
		push_free(b, p + (1ULL << o), o);
	}
	b->free_pages -= 1ULL << order;
	p->buddy.order = order;
	p->refcount = 1;
	return p;
}

struct page *buddy_alloc(struct buddy *b, unsigned order)
{
	unsigned long flags;
	struct page *p;

	if (order > BUDDY_MAX_ORDER)
		return NULL;
	flags = spin_lock_irqsave(&b->lock);
	p = alloc_locked(b, order);
	spin_unlock_irqrestore(&b->lock, flags);
	return p;
}

unsigned buddy_alloc_bulk(struct buddy *b, unsigned n, struct list_head *out, uint32_t flags)
{
	unsigned long irq = spin_lock_irqsave(&b->lock);
	unsigned got;

	for (got = 0; got < n; got++) {
		struct page *p = alloc_locked(b, 0);

		if (!p)
			break;
		p->flags = flags;
		p->refcount = 0;
		list_add_tail(&p->list, out);
	}
	spin_unlock_irqrestore(&b->lock, irq);
	return got;
}

static void check_free(struct page *p, unsigned order)
{
	pfn_t pfn = page_to_pfn(p);

	if (order > BUDDY_MAX_ORDER || pfn >= max_pfn || (pfn & ((1ULL << order) - 1)))
		panic("buddy: free of misaligned block pfn %#llx order %u", (unsigned long long)pfn,
		      order);
	if (p->flags & (PG_BUDDY | PG_RESERVED))
		panic("buddy: double free or free of reserved page, pfn %#llx",
		      (unsigned long long)pfn);
}

/* Caller holds b->lock. */
static void free_locked(struct buddy *b, struct page *p, unsigned order)
{
	assert_held(&b->lock);
	p->refcount = 0;
	insert_merging(b, page_to_pfn(p), order);
	b->free_pages += 1ULL << order;
}

void buddy_free(struct buddy *b, struct page *p, unsigned order)
{
	unsigned long flags;

	check_free(p, order);
	flags = spin_lock_irqsave(&b->lock);
	free_locked(b, p, order);
	spin_unlock_irqrestore(&b->lock, flags);
}

void buddy_free_array(struct buddy *b, struct page *const *pages, unsigned n)
{
	unsigned long flags = spin_lock_irqsave(&b->lock);

	for (unsigned i = 0; i < n; i++) {
		check_free(pages[i], 0);
		free_locked(b, pages[i], 0);
	}
	spin_unlock_irqrestore(&b->lock, flags);
}

int buddy_check(struct buddy *b)
{
	unsigned long flags = spin_lock_irqsave(&b->lock);
	uint64_t pages = 0;
	int ret = 0;

	for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {
		struct page *p;
		uint64_t n = 0;

		list_for_each_entry (p, &b->free_list[o], list) {
			if (!(p->flags & PG_BUDDY) || p->buddy.order != o ||
			    (page_to_pfn(p) & ((1ULL << o) - 1)))
				ret = -EINVAL;
			n++;
		}
		if (n != b->free_count[o])
			ret = -EINVAL;
		pages += n << o;
	}
	if (pages != b->free_pages)
		ret = -EINVAL;
	spin_unlock_irqrestore(&b->lock, flags);
	return ret;
}
