/*
 * Object caches and kmalloc (mm/slab.c). A cache hands out objects of one
 * size from slabs: runs of pages whose struct page (the first one) holds
 * the slab's free list. kmalloc picks a cache by size; blocks larger than
 * the biggest cache come straight from the page allocator.
 *
 * Each CPU keeps a magazine of a few free objects per cache in front of
 * the slabs: an allocation or a free on the fast path only turns this
 * CPU's interrupts off and takes no lock; a batch of objects moves between
 * a magazine and the slabs under the cache's lock. Objects in a magazine
 * pin their slabs, so slab_drain() gives every CPU's magazines back (each
 * CPU hands its objects over in an smp_call_others call). A cache also
 * keeps one empty slab for its next allocation; slab_reclaim() drains the
 * magazines and then gives every empty slab back, which leaves only the
 * slabs that hold objects in use. It runs when a page allocation is about
 * to fail, in reclaim (a user fault with no free page) and last in
 * drop_caches, where the leaked-pages checks count free memory.
 *
 * With CONFIG_DEBUG, freed objects are poisoned and checked when reused
 * (use after free), and frees are checked against the CPU's magazine and
 * the slab's free list (double free) and object boundaries (invalid
 * free); any of these panics.
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>
#include <kernel/config.h>
#include <kernel/smp.h>

#define SLAB_POISON_FREE  0x6b
#define SLAB_POISON_ALLOC 0xa5

#define SLAB_MAG_MAX   15	  /* objects a magazine holds at most */
#define SLAB_MAG_BYTES (2 * 4096) /* ... and bytes: big objects get fewer slots */

/*
 * A CPU's free (poisoned) objects of one cache, the last freed on top.
 * Lock key: (m) its own CPU with interrupts off; slab_drain's call takes
 * them, on that CPU. 128 bytes: two cache lines' worth per CPU.
 */
struct slab_magazine {
	uint32_t count; /* (m) */
	uint32_t unused;
	void *objs[SLAB_MAG_MAX]; /* (m) */
};

/*
 * Lock key: (c) constant after creation, (l) lock, (a) atomic, (s) the
 * caches list's lock (slab-caches, mm/slab.c).
 */
struct kmem_cache {
	spinlock_t lock;
	const char *name;	   /* (c) */
	size_t object_size;	   /* (c) as asked */
	size_t slot_size;	   /* (c) rounded up to the alignment */
	unsigned order;		   /* (c) each slab is 2^order pages */
	unsigned objects_per_slab; /* (c) */
	struct list_head partial;  /* (l) slabs with free and used objects */
	struct list_head full;	   /* (l) slabs with no free object */
	struct list_head empty;	   /* (l) at most one slab with no used object */
	uint64_t active_objects;   /* (l) out of the slabs: in use or in a magazine */
	uint64_t slabs;		   /* (l) */
	struct list_head node;	   /* (s) all caches */
	unsigned mag_size;	   /* (c) objects a magazine holds at most */
	unsigned mag_batch;	   /* (c) objects moved between a magazine and the slabs at once */
	void *handover;		   /* (a) objects the CPUs gave back, linked by their first word */
	struct slab_magazine mag[MAX_CPUS];
};

void kmem_cache_init(struct kmem_cache *c, const char *name, size_t size, size_t align);
void *kmem_cache_alloc(struct kmem_cache *c);
void kmem_cache_free(struct kmem_cache *c, void *obj);
/* Objects in use (neither free in a slab nor in a magazine); a snapshot. */
uint64_t kmem_cache_in_use(struct kmem_cache *c);
/*
 * Gives every CPU's magazines of every cache back to the slabs; returns
 * the pages that went back to the page allocator. Any context: the
 * caller may hold spinlocks (but no cache's lock) and have interrupts off.
 */
uint64_t slab_drain(void);
/*
 * slab_drain, then gives every cache's empty slabs back to the page
 * allocator; returns the pages freed. The same contexts as slab_drain.
 */
uint64_t slab_reclaim(void);
/* The shrinker (include/mm/oom.h) that runs slab_reclaim; kernel/main.c registers it. */
struct shrinker;
extern struct shrinker slab_shrinker;

void kmalloc_init(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* The usable size of a kmalloc block. */
size_t ksize(const void *p);
/* Pages held now by all slabs and large kmalloc blocks (/proc/meminfo's Slab). */
uint64_t slab_pages(void);
/* Of those, the pages of large kmalloc blocks (no cache's: not in /proc/slabinfo). */
uint64_t kmalloc_large_pages(void);

/*
 * One cache's counts, as /proc/slabinfo shows them (slab_info_read). As
 * in Linux, an object in a CPU's magazine counts as active: it is out of
 * its slab and pins it, as one in Linux's per-CPU arrays does.
 */
struct slab_info {
	const char *name;
	uint64_t active_objects; /* out of the slabs: in use or in a magazine */
	uint64_t objects;	 /* room in all its slabs */
	uint64_t active_slabs;	 /* slabs that hold an object (not the empty one kept) */
	uint64_t slabs;
	uint64_t in_magazines; /* of active_objects, in the CPUs' magazines now */
	size_t slot_size;
	unsigned objects_per_slab, pages_per_slab, mag_size, mag_batch;
};

/*
 * Fills out with the counts of up to max caches, in the order they were
 * made, each cache's counts read at once under its lock; returns how many
 * caches there are (more than max: call again with room for them). Takes
 * the caches list's lock: not from under a cache's lock.
 */
size_t slab_info_read(struct slab_info *out, size_t max);

#endif
