/*
 * Slab caches and kmalloc (include/mm/slab.h). Portable: the host unit
 * tests run it over the buddy allocator in an arena. A slab is a
 * naturally aligned buddy block, so the first page of the slab that holds
 * an object is found by rounding the object's pfn down to the slab order.
 *
 * The per-CPU magazines (include/mm/slab.h) are touched by their own CPU
 * with interrupts off and no lock. Interrupts off is what makes them safe:
 * the slab is used from interrupt context (the timer tick's ktimer
 * functions send signals, which kmalloc a queue entry), and an interrupt
 * on this CPU cannot come in the middle of a push or a pop; nor can the
 * thread be preempted or move to another CPU between reading its CPU id
 * and using that CPU's magazine. After a batch was taken under the cache's
 * lock (interrupts on again in between) the CPU id is read anew: the
 * thread may run elsewhere by then. The NMI handler never allocates. An
 * object moves between a magazine and a local array only where nothing can
 * spin: every path that takes a lock (and so may run smp_call_others'
 * function while spinning) leaves its magazine whole first. slab_drain
 * holds slab-caches, which keeps the caches list still while the other
 * CPUs walk it in their call. Lock order (include/kernel/spinlock.h):
 * slab-caches, then a cache's lock, then the page allocator's; a cache's
 * lock is dropped before pages are allocated or freed.
 *
 * A cache keeps one empty slab for its next allocation. Whether it has one
 * after a burst of frees depends on the order of the frees, which at more
 * than one CPU varies from run to run, and so do the slabs the magazines'
 * objects pin; slab_reclaim() drains the magazines and gives every empty
 * slab back (drop_caches, memory pressure, a page allocation about to
 * fail), which leaves exactly the slabs that hold objects in use: the
 * leaked-pages checks compare free memory after it.
 */
#include <mm/slab.h>
#include <mm/page.h>
#include <mm/oom.h>
#include <mm/cpu.h>
#include <kernel/panic.h>
#include <kernel/smp.h>
#include <lib/compiler.h>
#include <lib/string.h>

#define FREE_PTR_SIZE sizeof(void *)

static spinlock_t caches_lock = SPINLOCK_INIT("slab-caches");
static LIST_HEAD(caches); /* (caches_lock) every cache, for slab_drain */

static uint64_t pages_held;  /* (atomic) by slabs and large kmalloc blocks */
static uint64_t large_pages; /* (atomic) of those, by large kmalloc blocks */

uint64_t slab_pages(void)
{
	return __atomic_load_n(&pages_held, __ATOMIC_RELAXED);
}

uint64_t kmalloc_large_pages(void)
{
	return __atomic_load_n(&large_pages, __ATOMIC_RELAXED);
}

static void count_pages(unsigned order, bool add)
{
	if (add)
		__atomic_fetch_add(&pages_held, 1ULL << order, __ATOMIC_RELAXED);
	else
		__atomic_fetch_sub(&pages_held, 1ULL << order, __ATOMIC_RELAXED);
}

static void count_large_pages(unsigned order, bool add)
{
	count_pages(order, add);
	if (add)
		__atomic_fetch_add(&large_pages, 1ULL << order, __ATOMIC_RELAXED);
	else
		__atomic_fetch_sub(&large_pages, 1ULL << order, __ATOMIC_RELAXED);
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
	c->mag_size = MIN((unsigned)SLAB_MAG_MAX,
			  MAX(4u, (unsigned)(SLAB_MAG_BYTES / c->slot_size)));
	c->mag_batch = c->mag_size / 2;
	c->handover = NULL;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		c->mag[i].count = 0;
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

/* Takes up to n objects out of the slabs into objs (one hold of the lock); how many. */
static unsigned slab_take(struct kmem_cache *c, void **objs, unsigned n)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	unsigned got = 0;

	while (got < n) {
		struct page *s = slab_with_room(c, &flags);
		void *obj;

		if (!s)
			break;
		obj = s->slab.freelist;
		s->slab.freelist = *(void **)obj;
		if (++s->slab.inuse == c->objects_per_slab)
			list_move_tail(&s->list, &c->full);
		c->active_objects++;
		objs[got++] = obj;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return got;
}

static void check_free(struct kmem_cache *c, struct page *s, void *obj)
{
	uintptr_t off = (uintptr_t)obj - (uintptr_t)page_address(s);

	if (!(s->flags & PG_SLAB) || s->slab.cache != c)
		panic("slab %s: free of %p, which is not in this cache", c->name, obj);
	if (off % c->slot_size || off / c->slot_size >= c->objects_per_slab)
		panic("slab %s: invalid free of %p (not an object start)", c->name, obj);
}

/*
 * Puts a (poisoned) object back in its slab; returns the slab if it is to
 * be destroyed, unlinked, or NULL. Caller holds c->lock.
 */
static struct page *slab_put_locked(struct kmem_cache *c, void *obj)
{
	struct page *s = slab_head(c, obj);

	assert_held(&c->lock);
	if (CONFIG_DEBUG)
		for (void *f = s->slab.freelist; f; f = *(void **)f)
			if (f == obj)
				panic("slab %s: double free of %p", c->name, obj);
	*(void **)obj = s->slab.freelist;
	s->slab.freelist = obj;
	c->active_objects--;
	if (s->slab.inuse-- == c->objects_per_slab)
		list_move_tail(&s->list, &c->partial);
	if (s->slab.inuse)
		return NULL;
	/* Keep one empty slab for the next allocation, give back the rest. */
	if (list_empty(&c->empty)) {
		list_move_tail(&s->list, &c->empty);
		return NULL;
	}
	list_del(&s->list);
	c->slabs--;
	return s;
}

/*
 * Gives objects back to their slabs: n of objs, then the chain that starts
 * at first (linked by their first word). Returns the pages freed.
 */
static uint64_t slab_give(struct kmem_cache *c, void **objs, unsigned n, void *first)
{
	LIST_HEAD(victims);
	unsigned long flags = spin_lock_irqsave(&c->lock);
	uint64_t pages = 0;
	struct page *victim;

	for (unsigned i = 0; i < n; i++)
		if ((victim = slab_put_locked(c, objs[i])))
			list_add_tail(&victim->list, &victims);
	while (first) {
		void *next = *(void **)first;

		if ((victim = slab_put_locked(c, first)))
			list_add_tail(&victim->list, &victims);
		first = next;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	while (!list_empty(&victims)) {
		victim = list_first_entry(&victims, struct page, list);
		list_del(&victim->list);
		slab_destroy(c, victim);
		pages += 1u << c->order;
	}
	return pages;
}

/* Takes the top object of this CPU's magazine, or NULL. */
static void *mag_pop(struct kmem_cache *c)
{
	unsigned long flags = irq_save();
	struct slab_magazine *m = &c->mag[mm_cpu_id()];
	void *obj = m->count ? m->objs[--m->count] : NULL;

	irq_restore(flags);
	return obj;
}

/* The slow path: a batch from the slabs, one for the caller, the rest to the magazine. */
static void *alloc_refill(struct kmem_cache *c)
{
	void *objs[SLAB_MAG_MAX];
	unsigned n = slab_take(c, objs, c->mag_batch), i = 0;
	struct slab_magazine *m;
	unsigned long flags;

	if (!n)
		return NULL;
	flags = irq_save(); /* maybe another CPU by now, and its magazine refilled meanwhile */
	m = &c->mag[mm_cpu_id()];
	while (i < n - 1 && m->count < c->mag_size)
		m->objs[m->count++] = objs[i++];
	irq_restore(flags);
	if (i < n - 1)
		slab_give(c, objs + i, n - 1 - i, NULL);
	return objs[n - 1];
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	void *obj = mag_pop(c);

	if (!obj)
		obj = alloc_refill(c);
	if (obj) {
		check_poison(c, obj);
		if (CONFIG_DEBUG)
			memset(obj, SLAB_POISON_ALLOC, c->slot_size);
	}
	return obj;
}

/* Debug builds: an object freed twice on one CPU is still in its magazine. */
static void check_not_in_magazine(struct kmem_cache *c, struct slab_magazine *m, void *obj)
{
	if (!CONFIG_DEBUG)
		return;
	for (unsigned i = 0; i < m->count; i++)
		if (m->objs[i] == obj)
			panic("slab %s: double free of %p", c->name, obj);
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	void *out[SLAB_MAG_MAX];
	unsigned n = 0;
	struct slab_magazine *m;
	unsigned long flags;

	check_free(c, slab_head(c, obj), obj);
	flags = irq_save();
	m = &c->mag[mm_cpu_id()];
	check_not_in_magazine(c, m, obj);
	poison(c, obj);
	if (m->count == c->mag_size) {
		/* Full: the oldest batch goes back to the slabs, after the magazine is whole. */
		n = c->mag_batch;
		memcpy(out, m->objs, n * sizeof(m->objs[0]));
		memmove(m->objs, m->objs + n, (m->count - n) * sizeof(m->objs[0]));
		m->count -= n;
	}
	m->objs[m->count++] = obj;
	irq_restore(flags);
	if (n)
		slab_give(c, out, n, NULL);
}

uint64_t kmem_cache_in_use(struct kmem_cache *c)
{
	uint64_t cached = 0, out;
	unsigned long flags;

	for_each_online_cpu(cpu) cached += READ_ONCE(c->mag[cpu].count);
	flags = spin_lock_irqsave(&c->lock);
	out = c->active_objects;
	spin_unlock_irqrestore(&c->lock, flags);
	return out > cached ? out - cached : 0;
}

/*
 * On each CPU with interrupts off (smp_call_others' function, or the
 * draining CPU itself): this CPU's magazines go, as one chain per cache,
 * onto the cache's handover list. No lock: the drainer holds caches_lock.
 */
static void mag_hand_over(void *arg)
{
	unsigned cpu = mm_cpu_id();
	struct kmem_cache *c;

	(void)arg;
	list_for_each_entry (c, &caches, node) {
		struct slab_magazine *m = &c->mag[cpu];
		void *head;

		if (!m->count)
			continue;
		for (unsigned i = 0; i + 1 < m->count; i++)
			*(void **)m->objs[i] = m->objs[i + 1];
		head = __atomic_load_n(&c->handover, __ATOMIC_RELAXED);
		do
			*(void **)m->objs[m->count - 1] = head;
		while (!__atomic_compare_exchange_n(&c->handover, &head, m->objs[0], false,
						    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
		m->count = 0;
	}
}

/* Whether any CPU's magazine holds an object now (a racy look, to skip a useless drain). */
static bool mags_hold_objects(void)
{
	struct kmem_cache *c;

	assert_held(&caches_lock);
	list_for_each_entry (c, &caches, node)
		for_each_online_cpu(cpu) if (READ_ONCE(c->mag[cpu].count)) return true;
	return false;
}

uint64_t slab_drain(void)
{
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	struct kmem_cache *c;
	uint64_t pages = 0;

	if (mags_hold_objects()) {
		smp_call_others(mag_hand_over, NULL);
		mag_hand_over(NULL);
		list_for_each_entry (c, &caches, node) {
			void *first = __atomic_exchange_n(&c->handover, NULL, __ATOMIC_ACQUIRE);

			if (first)
				pages += slab_give(c, NULL, 0, first);
		}
	}
	spin_unlock_irqrestore(&caches_lock, flags);
	return pages;
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
	uint64_t pages = slab_drain();
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	struct kmem_cache *c;

	list_for_each_entry (c, &caches, node)
		pages += release_empty_slabs(c);
	spin_unlock_irqrestore(&caches_lock, flags);
	return pages;
}

/* c's counts into out. Caller holds c->lock. */
static void cache_info(struct kmem_cache *c, struct slab_info *out)
{
	struct page *s;
	uint64_t empty = 0, mags = 0;

	assert_held(&c->lock);
	list_for_each_entry (s, &c->empty, list)
		empty++;
	for_each_online_cpu(cpu) mags += READ_ONCE(c->mag[cpu].count);
	out->name = c->name;
	out->active_objects = c->active_objects;
	out->objects = c->slabs * c->objects_per_slab;
	out->active_slabs = c->slabs - empty;
	out->slabs = c->slabs;
	out->in_magazines = mags;
	out->slot_size = c->slot_size;
	out->objects_per_slab = c->objects_per_slab;
	out->pages_per_slab = 1u << c->order;
	out->mag_size = c->mag_size;
	out->mag_batch = c->mag_batch;
}

size_t slab_info_read(struct slab_info *out, size_t max)
{
	unsigned long flags = spin_lock_irqsave(&caches_lock);
	struct kmem_cache *c;
	size_t n = 0;

	list_for_each_entry (c, &caches, node) {
		if (n < max) {
			unsigned long cflags = spin_lock_irqsave(&c->lock);

			cache_info(c, &out[n]);
			spin_unlock_irqrestore(&c->lock, cflags);
		}
		n++;
	}
	spin_unlock_irqrestore(&caches_lock, flags);
	return n;
}

static size_t slab_shrink(size_t want)
{
	(void)want;
	return (size_t)slab_reclaim();
}

struct shrinker slab_shrinker = { .name = "slab", .scan = slab_shrink };

/* kmalloc: power-of-two-ish size classes, then whole pages. */
static const size_t kmalloc_sizes[] = { 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048 };
static const char *const kmalloc_names[] = {
	"kmalloc-16",  "kmalloc-32",  "kmalloc-64",  "kmalloc-96",   "kmalloc-128",
	"kmalloc-192", "kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};
static struct kmem_cache kmalloc_caches[ARRAY_SIZE(kmalloc_sizes)]; /* each under its own lock */

void kmalloc_init(void)
{
	/* The first caches: the list starts here (the host tests start over with each test). */
	list_init(&caches);
	page_set_shortage_hook(slab_reclaim);
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
	count_large_pages(order, true);
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
	count_large_pages(p->buddy.order, false);
	free_pages(p, p->buddy.order);
}

size_t ksize(const void *ptr)
{
	struct page *p = virt_to_page(ptr);

	if (p->flags & PG_SLAB)
		return p->slab.cache->object_size;
	return (size_t)PAGE_SIZE << p->buddy.order;
}
