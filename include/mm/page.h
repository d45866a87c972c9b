/*
 * Physical pages. Every page frame of RAM has a struct page in page_array,
 * indexed by page frame number (pfn); the direct map makes every frame
 * addressable at direct_map_base + pfn * PAGE_SIZE. Host unit tests point
 * both at an arena of their own, so the allocators run unchanged there.
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include <lib/types.h>
#include <lib/list.h>

#ifndef PAGE_SIZE
#define PAGE_SHIFT 12
#define PAGE_SIZE  (1 << PAGE_SHIFT)
#endif

typedef uint64_t pfn_t;
typedef uint64_t phys_addr_t;

struct kmem_cache;

/* page->flags */
#define PG_RESERVED (1u << 0) /* not RAM, or owned by the kernel image / boot */
#define PG_BUDDY    (1u << 1) /* head of a free buddy block of order buddy.order */
#define PG_SLAB	    (1u << 2) /* part of a slab; slab.* valid on the first page */
#define PG_LARGE    (1u << 3) /* head of a kmalloc block of order buddy.order */
#define PG_PCP	    (1u << 4) /* free, in a CPU's page cache (mm/page.c) */

/*
 * Lock key: (b) buddy lock while free, or the CPU cache's lock while in one,
 * (s) the slab cache's lock while in a slab, (a) atomic, (o) owner of the
 * allocated page.
 */
struct page {
	struct list_head list; /* (b) free list, or (s) slab list */
	uint32_t flags;	       /* (b/s/o) PG_* */
	int32_t refcount;      /* (a) users of an allocated page */
	union {
		struct {
			uint8_t order;	  /* (b/o) block order */
			uint8_t poisoned; /* (b) debug builds: filled with poison since its free */
		} buddy;
		struct {
			struct kmem_cache *cache; /* (s) owning cache */
			void *freelist;		  /* (s) first free object */
			uint32_t inuse;		  /* (s) allocated objects */
		} slab;
	};
};

extern struct page *page_array;
extern pfn_t max_pfn; /* page_array has max_pfn entries */
extern uintptr_t direct_map_base;

static inline pfn_t page_to_pfn(const struct page *p)
{
	return (pfn_t)(p - page_array);
}

static inline struct page *pfn_to_page(pfn_t pfn)
{
	return &page_array[pfn];
}

static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(direct_map_base + pa);
}

static inline phys_addr_t virt_to_phys(const void *va)
{
	return (uintptr_t)va - direct_map_base;
}

static inline void *page_address(const struct page *p)
{
	return phys_to_virt(page_to_pfn(p) << PAGE_SHIFT);
}

static inline phys_addr_t page_to_phys(const struct page *p)
{
	return page_to_pfn(p) << PAGE_SHIFT;
}

static inline struct page *virt_to_page(const void *va)
{
	return pfn_to_page(virt_to_phys(va) >> PAGE_SHIFT);
}

/* Allocation of 2^order contiguous frames; NULL when out of memory. */
struct page *alloc_pages(unsigned order);
void free_pages(struct page *p, unsigned order);
static inline struct page *alloc_page(void)
{
	return alloc_pages(0);
}

/* Reference counting of single allocated pages: the last put frees it. */
void get_page(struct page *p);
void put_page(struct page *p);
/*
 * put_page of n pages (munmap's, after its TLB flush): the ones freed go to
 * this CPU's page cache a batch at a time, under one hold of its lock each.
 */
void put_pages(struct page *const *pages, unsigned n);

/* A zeroed page, by its direct-map address; NULL when out of memory. */
void *page_alloc_zeroed(void);
void page_free_addr(void *va);
/*
 * The same for a page of user memory (a fault's anonymous or copied page):
 * NULL once free memory is down to page_user_reserve(), which stays for the
 * kernel (as Linux's min_free_kbytes), so that write-back, the services and
 * page tables keep working while a process eats all it can.
 */
void *page_alloc_zeroed_user(void);
uint64_t page_user_reserve(void);

/* Free pages: the buddy's and those in the CPUs' caches. */
uint64_t free_page_count(void);
/* Gives every CPU's cached free pages back to the buddy; returns how many. */
uint64_t page_cache_drain(void);
/*
 * fn gives back memory a cache above keeps (the slab magazines,
 * mm/slab.c) and returns the pages freed; alloc_pages calls it before it
 * fails. Called by any context, with spinlocks held maybe.
 */
void page_set_shortage_hook(uint64_t (*fn)(void));
uint64_t total_page_count(void);

/* Set-up, by boot code and host tests. */
void page_allocator_init(void);
void page_allocator_add_range(pfn_t start, pfn_t end);
int page_allocator_check(void);

#endif
