/*
 * Slab caches and kmalloc (include/mm/slab.h). Portable: the host unit
 * tests run it over the buddy allocator in an arena. A slab is a
 * naturally aligned buddy block, so the first page of the slab that holds
 * an object is found by rounding the object's pfn down to the slab order.
 *
 * A cache keeps one empty slab for its next allocation. Whether it has one
 * after a burst of frees depends on the order of the frees, which at more
 * than one CPU varies from run to run; slab_reclaim() gives every empty
 * slab back (drop_caches, memory pressure), which leaves exactly the slabs
 * that hold objects: the leaked-pages checks compare free memory after it.
 * slab_reclaim holds slab-caches, which keeps the caches list still. Lock
 * order (include/kernel/spinlock.h): slab-caches, then a cache's lock,
 * then the page allocator's; a cache's lock is dropped before pages are
 * allocated or freed.
 */
#include <mm/slab.h>
#include <mm/page.h>
#include <mm/oom.h>
#include <kernel/panic.h>
#include <lib/compiler.h>
#include <lib/string.h>

#define FREE_PTR_SIZE sizeof(void *)

static spinlock_t caches_lock = SPINLOCK_INIT("slab-caches");
static LIST_HEAD(caches); /* (caches_lock) every cache, for slab_reclaim */

static uint64_t pages_held; /* (atomic) by slabs and large kmalloc blocks */

uint64_t slab_pages(void)
{
	return __atomic_load_n(&pages_held, __ATOMIC_RELAXED);
}

static void count_pages(unsigned order, bool add)
{
	if (add)
		__atomic_fetch_add(&pages_held, 1ULL << order, __ATOMIC_RELAXED);
	else
		__atomic_fetch_sub(&pages_held, 1ULL << order, __ATOMIC_RELAXED);
}

static struct page *slab_head(struct kmem_cache *c, const void *obj)
{
	pfn_t pfn = virt_to_phys(obj) >> PAGE_SHIFT;

	return pfn_to_page(pfn & ~((1ULL << c->order) - 1));
}

void kmem_cache_init(struct kmem_cache *c, const char *name, size_t size, size_t align)
{
	unsigned long flags;

	if (align < sizeof(void *))
		align = sizeof(void *);
	spin_init(&c->lock, name);
	c->name = name;
	c->object_size = size;
	c->slot_size = ALIGN_UP(MAX(size, FREE_PTR_SIZE), align);
	c->order = 0;
	while (c->order < 3 && (PAGE_SIZE << c->order) / c->slot_size < 8)
		c->order++;
	c->objects_per_slab = (PAGE_SIZE << c->order) / c->slot_size;
	list_init(&c->partial);
	list_init(&c->full);
	list_init(&c->empty);
	c->active_objects = 0;
	c->slabs = 0;
	flags = spin_lock_irqsave(&caches_lock);
	list_add_tail(&c->node, &caches);
	spin_unlock_irqrestore(&caches_lock, flags);
}

static void poison(struct kmem_cache *c, void *obj)
{
	if (CONFIG_DEBUG)
		memset((char *)obj + FREE_PTR_SIZE, SLAB_POISON_FREE, c->slot_size - FREE_PTR_SIZE);
}

static void check_poison(struct kmem_cache *c, void *obj)
{
	const uint8_t *b = obj;

	if (!CONFIG_DEBUG)
		return;
	for (size_t i = FREE_PTR_SIZE; i < c->slot_size; i++)
		if (b[i] != SLAB_POISON_FREE)
			panic("slab %s: object %p modified after free (byte %zu)", c->name, obj, i);
}

static struct page *slab_create(struct kmem_cache *c)
{
	struct page *head = alloc_pages(c->order);
	char *base;
	void *next = NULL;

	if (!head)
		return NULL;
	for (unsigned i = 0; i < (1u << c->order); i++) {
		head[i].flags = PG_SLAB;
		head[i].slab.cache = c;
	}
	base = page_address(head);
	for (unsigned i = c->objects_per_slab; i-- > 0;) {
		void *obj = base + i * c->slot_size;

		*(void **)obj = next;
		poison(c, obj);
		next = obj;
	}
	head->slab.freelist = next;
	head->slab.inuse = 0;
	count_pages(c->order, true);
	return head;
}

static void slab_destroy(struct kmem_cache *c, struct page *head)
{
	for (unsigned i = 0; i < (1u << c->order); i++)
		head[i].flags = 0;
	free_pages(head, c->order);
	count_pages(c->order, false);
}

/* A slab with a free object, taken from the lists or made. Caller holds the lock. */
static struct page *slab_with_room(struct kmem_cache *c, unsigned long *flags)
{
	struct page *s;

	assert_held(&c->lock);
	if (!list_empty(&c->partial))
		return list_first_entry(&c->partial, struct page, list);
	if (!list_empty(&c->empty)) {
		s = list_first_entry(&c->empty, struct page, list);
		list_move_tail(&s->list, &c->partial);
		return s;
	}
	spin_unlock_irqrestore(&c->lock, *flags);
	s = slab_create(c);
	*flags = spin_lock_irqsave(&c->lock);
	if (!s)
		return NULL;
	c->slabs++;
	list_add(&s->list, &c->partial);
	return s;
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct page *s = slab_with_room(c, &flags);
	void *obj = NULL;

	if (!s)
		goto out_unlock;
	obj = s->slab.freelist;
	check_poison(c, obj);
	s->slab.freelist = *(void **)obj;
	if (++s->slab.inuse == c->objects_per_slab)
		list_move_tail(&s->list, &c->full);
	c->active_objects++;
	if (CONFIG_DEBUG)
		memset(obj, SLAB_POISON_ALLOC, c->slot_size);
out_unlock:
	spin_unlock_irqrestore(&c->lock, flags);
	return obj;
}

static void check_free(struct kmem_cache *c, struct page *s, void *obj)
{
	uintptr_t off = (uintptr_t)obj - (uintptr_t)page_address(s);

	if (off % c->slot_size || off / c->slot_size >= c->objects_per_slab)
		panic("slab %s: invalid free of %p (not an object start)", c->name, obj);
	if (!CONFIG_DEBUG)
		return;
	for (void *f = s->slab.freelist; f; f = *(void **)f)
		if (f == obj)
			panic("slab %s: double free of %p", c->name, obj);
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct page *s = slab_head(c, obj);
	struct page *victim = NULL;
	unsigned long flags;

	if (!(s->flags & PG_SLAB) || s->slab.cache != c)
		panic("slab %s: free of %p, which is not in this cache", c->name, obj);
	flags = spin_lock_irqsave(&c->lock);
	check_free(c, s, obj);
	poison(c, obj);
	*(void **)obj = s->slab.freelist;
	s->slab.freelist = obj;
	c->active_objects--;
	if (s->slab.inuse-- == c->objects_per_slab)
		list_move_tail(&s->list, &c->partial);
	if (s->slab.inuse == 0) {
		/* Keep one empty slab for the next allocation, give back the rest. */
		if (list_empty(&c->empty)) {
			list_move_tail(&s->list, &c->empty);
		} else {
			list_del(&s->list);
			c->slabs--;
			victim = s;
		}
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (victim)
		slab_destroy(c, victim);
}

/* Gives back every empty slab of c; returns the pages freed. */
static uint64_t release_empty_slabs(struct kmem_cache *c)
{
	LIST_HEAD(victims);
	unsigned long flags = spin_lock_irqsave(&c->lock);
	uint64_t pages = 0;
	struct page *s;

	while (!list_empty(&c->empty)) {
		list_move_tail(c->empty.next, &victims);
		c->slabs--;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	while (!list_empty(&victims)) {
		s = list_first_entry(&victims, struct page, list);
		list_del(&s->list);
		slab_destroy(c, s);
		pages += 1u << c->order;
	}
	return pages;
}

uint64_t slab_reclaim(void)
{
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	struct kmem_cache *c;
	uint64_t pages = 0;

	list_for_each_entry (c, &caches, node)
		pages += release_empty_slabs(c);
	spin_unlock_irqrestore(&caches_lock, flags);
	return pages;
}

static size_t slab_shrink(size_t want)
{
	(void)want;
	return (size_t)slab_reclaim();
}

/* Last: the dentry cache's shrinker, before it in the same stage, empties slabs. */
struct shrinker slab_shrinker = { .name = "slab", .scan = slab_shrink, .after_writeback = true };

/* kmalloc: power-of-two-ish size classes, then whole pages. */
static const size_t kmalloc_sizes[] = { 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048 };
static const char *const kmalloc_names[] = {
	"kmalloc-16",  "kmalloc-32",  "kmalloc-64",  "kmalloc-96",   "kmalloc-128",
	"kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};
static struct kmem_cache kmalloc_caches[ARRAY_SIZE(kmalloc_sizes)]; /* each under its own lock */

void kmalloc_init(void)
{
	/* First (boot; a host test's new arena, whose old caches are gone): the list starts over. */
	list_init(&caches);
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++)
		kmem_cache_init(&kmalloc_caches[i], kmalloc_names[i], kmalloc_sizes[i], 16);
}

static unsigned order_for(size_t size)
{
	unsigned order = 0;

	while ((size_t)(PAGE_SIZE << order) < size)
		order++;
	return order;
}

void *kmalloc(size_t size)
{
	struct page *p;
	unsigned order;

	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++)
		if (size <= kmalloc_sizes[i])
			return kmem_cache_alloc(&kmalloc_caches[i]);
	if (size > ((size_t)PAGE_SIZE << 10))
		return NULL;
	order = order_for(size);
	p = alloc_pages(order);
	if (!p)
		return NULL;
	p->flags = PG_LARGE;
	p->buddy.order = order;
	count_pages(order, true);
	return page_address(p);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *ptr)
{
	struct page *p;

	if (!ptr)
		return;
	p = virt_to_page(ptr);
	if (p->flags & PG_SLAB) {
		kmem_cache_free(p->slab.cache, ptr);
		return;
	}
	if (!(p->flags & PG_LARGE) || ptr != page_address(p))
		panic("kfree: %p was not returned by kmalloc", ptr);
	p->flags = 0;
	count_pages(p->buddy.order, false);
	free_pages(p, p->buddy.order);
}

size_t ksize(const void *ptr)
{
	struct page *p = virt_to_page(ptr);

	if (p->flags & PG_SLAB)
		return p->slab.cache->object_size;
	return (size_t)PAGE_SIZE << p->buddy.order;
}
