/*
 * Object caches and kmalloc (mm/slab.c). A cache hands out objects of one
 * size from slabs: runs of pages whose struct page (the first one) holds
 * the slab's free list. kmalloc picks a cache by size; blocks larger than
 * the biggest cache come straight from the page allocator.
 *
 * A cache keeps one empty slab for its next allocation; slab_reclaim()
 * gives those back too, so that after it only slabs holding objects
 * remain (drop_caches runs it last, the leaked-pages checks count then).
 *
 * With CONFIG_DEBUG, freed objects are poisoned and checked when reused
 * (use after free), and frees are checked against the slab's free list
 * (double free) and object boundaries (invalid free); any of these panics.
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>
#include <kernel/config.h>

#define SLAB_POISON_FREE  0x6b
#define SLAB_POISON_ALLOC 0xa5

/* Lock key: (c) constant after creation, (l) lock, (s) the caches list's lock (slab-caches). */
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
	uint64_t active_objects;   /* (l) */
	uint64_t slabs;		   /* (l) */
	struct list_head node;	   /* (s) all caches */
};

void kmem_cache_init(struct kmem_cache *c, const char *name, size_t size, size_t align);
void *kmem_cache_alloc(struct kmem_cache *c);
void kmem_cache_free(struct kmem_cache *c, void *obj);
/*
 * Gives every cache's empty slabs back to the page allocator; returns the
 * pages freed. Any context but under a cache's lock.
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

#endif
