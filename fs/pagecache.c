/*
 * The page cache (include/fs/pagecache.h). Each cached file has a hash of
 * entries, one per page: the page, its index in the file and its state
 * (up to date, being read, dirty, being written, failed).
 *
 * Data is copied to and from the caller with the cache lock dropped and
 * a reference on the page held, so that a fault on the user's buffer is
 * paged in normally. A page is marked dirty after its bytes were copied:
 * a write-back that took the page before the copy sees it dirty again
 * and writes it once more.
 *
 * Space: PCE_MAPPED says every block of the page is allocated on the
 * disk; PCE_RESERVED that the page holds a reservation of
 * ops->page_blocks(index) blocks in pc->space (the same function gives
 * it back). A page is reserved before bytes are copied into it unless it
 * is mapped, and keeps its reservation while it is dirty or being
 * written; write-back that allocated its blocks marks it mapped (if it
 * lies wholly inside the size written) and gives the reservation back,
 * as do cutting the page off and forgetting it. When a reservation
 * fails, write(2) first waits for one write-back of everything (which
 * turns the worst-case reservations into the exact allocations and
 * learns the free count again), then reads a page it would overwrite to
 * learn whether its blocks exist, and only then says ENOSPC.
 *
 * Waiting for a read: the waiter registers on io_src (whose lock is the
 * cache's lock, so no completion can slip between the look and the
 * registration) with wait_event_locked; a user thread's call returns
 * -EWAIT, a kernel thread sleeps and looks again.
 */
#include <kernel/cred.h>
#include <fs/pagecache.h>
#include <fs/writeback.h>
#include <fs/vfs.h>
#include <kernel/thread.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <mm/oom.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <uapi/errno.h>

#define PCE_UPTODATE   (1u << 0)
#define PCE_READING    (1u << 1)
#define PCE_DIRTY      (1u << 2)
#define PCE_WRITEBACK  (1u << 3)
#define PCE_ERROR      (1u << 4)
#define PCE_REFERENCED (1u << 5) /* used since the shrinker last looked */
#define PCE_MAPPED     (1u << 6) /* every block of the page is allocated on the disk */
#define PCE_RESERVED   (1u << 7) /* holds ops->page_blocks(index) blocks of pc->space */
#define PCE_MADE       (1u << 8) /* made zeroed for a write, not read: its blocks are unknown */

struct pc_entry {
	struct list_head hash; /* (l) */
	uint64_t index;	       /* (c) */
	struct page *page;     /* (c) referenced */
	uint32_t flags;	       /* (l) PCE_* */
};

static struct pagecache_stats stats;  /* atomic counters */
static struct kmem_cache entry_cache; /* its own lock */
static bool entry_cache_ready;	      /* [I] set once at init */
static uint64_t io_generation;	      /* (a) moves at every completed read */
static uint64_t dirty_pages;	      /* (a) of all caches */
static spinlock_t caches_lock = SPINLOCK_INIT("pagecaches");
static LIST_HEAD(all_caches);		     /* (caches_lock) every cache, for the shrinker */
static struct shrinker clean_pages_shrinker; /* [I] */

#define STAT_ADD(field, n) __atomic_add_fetch(&stats.field, (n), __ATOMIC_RELAXED)

static unsigned long pc_lock(struct pagecache *pc)
{
	return spin_lock_irqsave(&pc->io_src.lock);
}

static void pc_unlock(struct pagecache *pc, unsigned long flags)
{
	spin_unlock_irqrestore(&pc->io_src.lock, flags);
}

int pagecache_init(struct pagecache *pc, struct inode *inode, const struct pagecache_ops *ops,
		   void *fs)
{
	unsigned long flags;

	memset(pc, 0, sizeof(*pc));
	if (!entry_cache_ready) {
		kmem_cache_init(&entry_cache, "pc-entry", sizeof(struct pc_entry), 8);
		shrinker_register(&clean_pages_shrinker);
		entry_cache_ready = true;
	}
	pc->nr_buckets = 16;
	pc->buckets = kmalloc(pc->nr_buckets * sizeof(*pc->buckets));
	if (!pc->buckets)
		return -ENOMEM;
	for (size_t i = 0; i < pc->nr_buckets; i++)
		list_init(&pc->buckets[i]);
	pc->inode = inode;
	pc->ops = ops;
	pc->fs = fs;
	pc->trunc_low = -1;
	wait_source_init(&pc->io_src, "pagecache");
	flags = spin_lock_irqsave(&caches_lock);
	list_add_tail(&pc->cache_node, &all_caches);
	spin_unlock_irqrestore(&caches_lock, flags);
	list_init(&pc->dirty_node);
	return 0;
}

static struct list_head *bucket_of(struct pagecache *pc, uint64_t index)
{
	return &pc->buckets[(index * 0x9e3779b97f4a7c15ull >> 32) % pc->nr_buckets];
}

static struct pc_entry *find_locked(struct pagecache *pc, uint64_t index)
{
	struct pc_entry *e;

	assert_held(&pc->io_src.lock);
	list_for_each_entry (e, bucket_of(pc, index), hash)
		if (e->index == index)
			return e;
	return NULL;
}

/* Doubles the hash when it gets crowded; failing to is harmless. */
static void maybe_grow_locked(struct pagecache *pc)
{
	size_t n = pc->nr_buckets * 2;
	struct list_head *nb, *old = pc->buckets;
	size_t old_n = pc->nr_buckets;

	assert_held(&pc->io_src.lock);
	if (pc->nr_pages < 2 * pc->nr_buckets || n > (1u << 20))
		return;
	nb = kmalloc(n * sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i < n; i++)
		list_init(&nb[i]);
	pc->buckets = nb;
	pc->nr_buckets = n;
	for (size_t i = 0; i < old_n; i++) {
		while (!list_empty(&old[i])) {
			struct pc_entry *e = list_first_entry(&old[i], struct pc_entry, hash);

			list_del(&e->hash);
			list_add(&e->hash, bucket_of(pc, e->index));
		}
	}
	kfree(old);
}

/* A new entry with a zeroed page; NULL when out of memory. */
static struct pc_entry *add_locked(struct pagecache *pc, uint64_t index, uint32_t flags)
{
	struct pc_entry *e = kmem_cache_alloc(&entry_cache);

	assert_held(&pc->io_src.lock);
	if (!e)
		return NULL;
	e->page = alloc_page();
	if (!e->page) {
		kmem_cache_free(&entry_cache, e);
		return NULL;
	}
	memset(page_address(e->page), 0, PAGE_SIZE);
	e->index = index;
	e->flags = flags;
	list_add(&e->hash, bucket_of(pc, index));
	pc->nr_pages++;
	STAT_ADD(pages, 1);
	maybe_grow_locked(pc);
	return e;
}

/* ---- Space ---------------------------------------------------------------- */

void pc_space_init(struct pc_space *s)
{
	memset(s, 0, sizeof(*s));
	spin_init(&s->lock, "pc-space");
}

void pc_space_set_free(struct pc_space *s, int64_t free, int64_t root_only, uint64_t changes)
{
	unsigned long f = spin_lock_irqsave(&s->lock);

	s->free = free;
	s->root_only = root_only;
	s->learned = changes;
	spin_unlock_irqrestore(&s->lock, f);
}

uint64_t pc_space_changes(struct pc_space *s)
{
	return READ_ONCE(s->changes);
}

void pc_space_allocated(struct pc_space *s, int64_t n)
{
	unsigned long f = spin_lock_irqsave(&s->lock);

	s->free -= n;
	spin_unlock_irqrestore(&s->lock, f);
}

void pc_space_mark_stale(struct pc_space *s)
{
	unsigned long f = spin_lock_irqsave(&s->lock);

	s->changes++;
	spin_unlock_irqrestore(&s->lock, f);
}

bool pc_space_stale(struct pc_space *s)
{
	return READ_ONCE(s->changes) != READ_ONCE(s->learned);
}

int64_t pc_space_reserved(struct pc_space *s)
{
	return READ_ONCE(s->reserved);
}

/* Whether the caller may take the blocks kept for root (Linux: CAP_SYS_RESOURCE). */
static bool may_use_root_blocks(void)
{
	return capable(CAP_SYS_RESOURCE);
}

/* The blocks the caller may still reserve. Caller holds s's lock. */
static int64_t space_avail_locked(struct pc_space *s)
{
	assert_held(&s->lock);
	return s->free - s->reserved - (may_use_root_blocks() ? 0 : s->root_only);
}

/* Takes n blocks of s; a failure asks for the free count to be learned again. */
static int space_take(struct pc_space *s, int64_t n)
{
	unsigned long f = spin_lock_irqsave(&s->lock);
	int err = 0;

	if (space_avail_locked(s) >= n) {
		s->reserved += n;
	} else {
		s->changes++; /* the flusher learns the count again */
		err = -ENOSPC;
	}
	spin_unlock_irqrestore(&s->lock, f);
	return err;
}

static void space_give(struct pc_space *s, int64_t n)
{
	unsigned long f = spin_lock_irqsave(&s->lock);

	s->reserved -= n;
	spin_unlock_irqrestore(&s->lock, f);
}

/*
 * Whether a write of len bytes at start may not find its worst case free
 * while worst cases are reserved or the free count is out of date: then
 * one write-back first makes the count exact (rather than a short count
 * now and room again after the next write-back).
 */
static bool space_tight(struct pagecache *pc, int64_t start, size_t len)
{
	struct pc_space *s = pc->space;
	uint64_t first = (uint64_t)start >> PAGE_SHIFT;
	uint64_t last = ((uint64_t)start + len - 1) >> PAGE_SHIFT;
	int64_t need;
	unsigned long f;
	bool tight;

	if (!s || !len)
		return false;
	need = (int64_t)(last - first + 1) * pc->ops->page_blocks(pc, last); /* last: the deepest */
	f = spin_lock_irqsave(&s->lock);
	tight = space_avail_locked(s) < need && (s->reserved > 0 || s->changes != s->learned);
	spin_unlock_irqrestore(&s->lock, f);
	return tight;
}

/* Gives back e's reservation, if it holds one. Caller holds pc's lock. */
static void unreserve_locked(struct pagecache *pc, struct pc_entry *e)
{
	assert_held(&pc->io_src.lock);
	if (!(e->flags & PCE_RESERVED))
		return;
	e->flags &= ~PCE_RESERVED;
	space_give(pc->space, pc->ops->page_blocks(pc, e->index));
}

/*
 * Before bytes are copied into page index (present): its space, unless
 * its blocks exist or it holds a reservation already. 0 or -ENOSPC; *made
 * (if not NULL) tells whether the page was made without reading it.
 */
static int reserve_page(struct pagecache *pc, uint64_t index, bool *made)
{
	unsigned long flags = pc_lock(pc);
	struct pc_entry *e = find_locked(pc, index);
	int err = 0;

	if (made)
		*made = e && (e->flags & PCE_MADE);
	if (pc->space && e && !(e->flags & (PCE_MAPPED | PCE_RESERVED))) {
		err = space_take(pc->space, pc->ops->page_blocks(pc, index));
		if (!err)
			e->flags |= PCE_RESERVED;
	}
	pc_unlock(pc, flags);
	return err;
}

/* A copy into page index failed: a reservation made for it goes if the page is clean. */
static void unreserve_clean(struct pagecache *pc, uint64_t index)
{
	unsigned long flags = pc_lock(pc);
	struct pc_entry *e = find_locked(pc, index);

	if (e && !(e->flags & (PCE_DIRTY | PCE_WRITEBACK)))
		unreserve_locked(pc, e);
	pc_unlock(pc, flags);
}

/* The blocks of e lie wholly inside size and no cut waiting for the disk frees them. */
/* The file offset just past e's page. */
static int64_t page_end(const struct pc_entry *e)
{
	return (int64_t)((e->index + 1) << PAGE_SHIFT);
}

static bool backed_locked(struct pagecache *pc, const struct pc_entry *e, int64_t size)
{
	int64_t end = page_end(e);

	assert_held(&pc->io_src.lock);
	return end <= size && (pc->trunc_low < 0 || end <= pc->trunc_low);
}

/*
 * Write-back of e ended (err) with the blocks up to size allocated: e is
 * mapped if they cover it; its reservation goes unless it is dirty again
 * and still not mapped (a write during write-back counted on it).
 */
static void settle_space_locked(struct pagecache *pc, struct pc_entry *e, int64_t size, int err)
{
	assert_held(&pc->io_src.lock);
	if (!err && backed_locked(pc, e, size))
		e->flags |= PCE_MAPPED;
	if ((e->flags & PCE_MAPPED) || !(e->flags & PCE_DIRTY))
		unreserve_locked(pc, e);
}

void pagecache_set_mapped(struct pagecache *pc, uint64_t index)
{
	unsigned long flags = pc_lock(pc);
	struct pc_entry *e = find_locked(pc, index);

	if (e && (e->flags & PCE_READING) && backed_locked(pc, e, INT64_MAX))
		e->flags |= PCE_MAPPED;
	pc_unlock(pc, flags);
}

static void remove_locked(struct pagecache *pc, struct pc_entry *e)
{
	assert_held(&pc->io_src.lock);
	unreserve_locked(pc, e);
	list_del(&e->hash);
	if (e->flags & PCE_DIRTY) {
		pc->nr_dirty--;
		__atomic_sub_fetch(&dirty_pages, 1, __ATOMIC_RELAXED);
	}
	pc->nr_pages--;
	__atomic_sub_fetch(&stats.pages, 1, __ATOMIC_RELAXED);
	put_page(e->page);
	kmem_cache_free(&entry_cache, e);
}

void pagecache_destroy(struct pagecache *pc)
{
	unsigned long flags = spin_lock_irqsave(&caches_lock);

	list_del(&pc->cache_node); /* the shrinker no longer looks at it */
	spin_unlock_irqrestore(&caches_lock, flags);
	flags = pc_lock(pc);
	for (size_t i = 0; pc->buckets && i < pc->nr_buckets; i++)
		while (!list_empty(&pc->buckets[i]))
			remove_locked(pc, list_first_entry(&pc->buckets[i], struct pc_entry, hash));
	pc_unlock(pc, flags);
	kfree(pc->buckets);
	pc->buckets = NULL;
}

/* ---- Memory: giving clean pages back ------------------------------------ */

/* Pages all caches may hold before clean ones are given back: a quarter of memory. */
static uint64_t page_limit(void)
{
	return total_page_count() / 4;
}

/* A clean page that nobody but the cache holds (not mapped, not being copied). */
static bool evictable(const struct pc_entry *e)
{
	return (e->flags & ~(PCE_REFERENCED | PCE_MAPPED | PCE_MADE)) == PCE_UPTODATE &&
	       __atomic_load_n(&e->page->refcount, __ATOMIC_ACQUIRE) == 1;
}

/*
 * Gives back up to want clean pages of pc; with second_chance, a page used
 * since the last look only loses its mark. Returns how many went. Caller
 * holds pc's lock.
 */
static size_t shrink_locked(struct pagecache *pc, size_t want, bool second_chance)
{
	size_t freed = 0;

	assert_held(&pc->io_src.lock);
	for (size_t i = 0; i < pc->nr_buckets && freed < want; i++) {
		struct pc_entry *e, *next;

		list_for_each_entry_safe (e, next, &pc->buckets[i], hash) {
			if (freed >= want || !evictable(e))
				continue;
			if (second_chance && (e->flags & PCE_REFERENCED)) {
				e->flags &= ~PCE_REFERENCED;
				continue;
			}
			remove_locked(pc, e);
			freed++;
		}
	}
	return freed;
}

/* Gives back up to want clean pages of all caches (second chance first); how many went. */
static size_t shrink_caches(size_t want)
{
	size_t freed = 0;
	unsigned long flags;
	struct pagecache *pc;

	flags = spin_lock_irqsave(&caches_lock);
	for (int pass = 0; pass < 2 && freed < want; pass++) {
		list_for_each_entry (pc, &all_caches, cache_node) {
			unsigned long f = pc_lock(pc);

			freed += shrink_locked(pc, want - freed, pass == 0);
			pc_unlock(pc, f);
			if (freed >= want)
				break;
		}
	}
	if (!list_empty(&all_caches)) /* the next shrink starts with another file */
		list_move_tail(all_caches.next, &all_caches);
	spin_unlock_irqrestore(&caches_lock, flags);
	STAT_ADD(evicted, freed);
	return freed;
}

/* Over the limit: clean pages of the caches go back, a few read-aheads' worth at a time. */
static void maybe_shrink(void)
{
	if (__atomic_load_n(&stats.pages, __ATOMIC_RELAXED) >= page_limit())
		shrink_caches(4 * PC_READ_AHEAD);
}

/* The shrinker memory pressure runs (mm/oom.c), on the allocating thread, no lock held. */
static struct shrinker clean_pages_shrinker = { .name = "pagecache", .scan = shrink_caches };

uint64_t pagecache_dirty_pages(void)
{
	return __atomic_load_n(&dirty_pages, __ATOMIC_RELAXED);
}

static int64_t file_size(struct pagecache *pc)
{
	return READ_ONCE(pc->inode->size);
}

static uint64_t pages_in(int64_t size)
{
	return ((uint64_t)size + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/*
 * Starts reading index and the absent pages after it (up to the end of
 * the file and PC_READ_AHEAD). Called with the lock held; returns with it
 * dropped. -ENOMEM if not even the first page could be had.
 */
static int start_read_unlock(struct pagecache *pc, uint64_t index, unsigned long flags)
{
	struct page *pages[PC_READ_AHEAD];
	uint64_t end = pages_in(file_size(pc));
	unsigned n = 0;

	assert_held(&pc->io_src.lock);
	while (n < PC_READ_AHEAD && (index + n < end || n == 0) && !find_locked(pc, index + n)) {
		struct pc_entry *e = add_locked(pc, index + n, PCE_READING);

		if (!e)
			break;
		pages[n++] = e->page;
	}
	pc->nr_reading += n;
	pc_unlock(pc, flags);
	if (!n)
		return -ENOMEM;
	STAT_ADD(misses, 1);
	inode_get(pc->inode); /* until pagecache_read_done */
	pc->ops->start_read(pc, index, n, pages);
	return 0;
}

/*
 * A page just read: bytes past a cut the disk does not have yet are not
 * the file's (its old blocks are still there). Caller holds the lock.
 */
static void zero_past_cut_locked(struct pagecache *pc, struct pc_entry *e)
{
	int64_t start = (int64_t)(e->index << PAGE_SHIFT);

	assert_held(&pc->io_src.lock);
	if (pc->trunc_low < 0 || pc->trunc_low >= start + (int64_t)PAGE_SIZE)
		return;
	if (pc->trunc_low <= start)
		memset(page_address(e->page), 0, PAGE_SIZE);
	else
		memset((char *)page_address(e->page) + (pc->trunc_low - start), 0,
		       PAGE_SIZE - (size_t)(pc->trunc_low - start));
}

void pagecache_read_done(struct pagecache *pc, uint64_t index, unsigned n, int err)
{
	unsigned long flags = pc_lock(pc);

	for (unsigned i = 0; i < n; i++) {
		struct pc_entry *e = find_locked(pc, index + i);

		if (!e || !(e->flags & PCE_READING))
			continue;
		e->flags = (e->flags & ~PCE_READING) | (err ? PCE_ERROR : PCE_UPTODATE);
		if (!err)
			zero_past_cut_locked(pc, e);
	}
	pc->nr_reading -= n;
	__atomic_add_fetch(&io_generation, 1, __ATOMIC_RELEASE);
	pc_unlock(pc, flags);
	wait_wake_all(&pc->io_src);
	inode_put(pc->inode);
}

/*
 * A page the caller needs is being read. Caller holds the lock; it is
 * dropped. -EWAIT (a user call runs again when a read completes), or 0
 * once a read completed (a kernel thread): look again.
 */
static int wait_io_unlock(struct pagecache *pc, unsigned long flags)
{
	assert_held(&pc->io_src.lock);
	wait_event_locked(&pc->io_src, 0, WAIT_UNINTERRUPTIBLE); /* disk reads, as Linux */
	pc_unlock(pc, flags);
	return (int)wait_event_sleep();
}

/*
 * The up-to-date page at index, referenced, in *out (0), after starting
 * and waiting for its read as needed; -EWAIT, -EIO, -ENOMEM. For a page
 * the caller will overwrite completely (fill), an absent page is just
 * made zeroed and up to date.
 */
static int get_uptodate(struct pagecache *pc, uint64_t index, bool fill, struct page **out)
{
	maybe_shrink();
	for (;;) {
		unsigned long flags = pc_lock(pc);
		struct pc_entry *e = find_locked(pc, index);
		int r;

		if (!e && fill)
			e = add_locked(pc, index, PCE_UPTODATE | PCE_MADE);
		if (e && (e->flags & PCE_UPTODATE)) {
			e->flags |= PCE_REFERENCED;
			get_page(*out = e->page);
			pc_unlock(pc, flags);
			STAT_ADD(hits, 1);
			return 0;
		}
		if (e && (e->flags & PCE_ERROR)) {
			remove_locked(pc, e); /* the next try reads again */
			pc_unlock(pc, flags);
			return -EIO;
		}
		if (!e && fill) {
			pc_unlock(pc, flags);
			return -ENOMEM;
		}
		r = e ? wait_io_unlock(pc, flags) : start_read_unlock(pc, index, flags);
		if (r)
			return r;
	}
}

int pagecache_get_page(struct pagecache *pc, uint64_t index, struct page **out)
{
	return get_uptodate(pc, index, false, out);
}

/* Copies from one page of the file at pos; returns the count, 0 at the end of the file. */
static ssize_t read_chunk(struct pagecache *pc, const struct iobuf *buf, size_t done, int64_t pos)
{
	int64_t size = file_size(pc);
	size_t off = (size_t)pos & (PAGE_SIZE - 1), n;
	struct page *page;
	int r;

	if (pos >= size)
		return 0;
	n = MIN(PAGE_SIZE - off, buf->len - done);
	n = MIN(n, (size_t)(size - pos));
	r = get_uptodate(pc, (uint64_t)pos >> PAGE_SHIFT, false, &page);
	if (r)
		return r;
	r = iobuf_write(buf, done, (char *)page_address(page) + off, n);
	put_page(page);
	return r ? r : (ssize_t)n;
}

static int fill_range(struct pagecache *pc, uint64_t index, uint64_t end);

/*
 * Reads as Linux does: the whole count unless the file ends (or a page
 * fails). Before copying anything, the pages of the first PC_READ_FULL
 * bytes asked for are read in (the call waits and runs again meanwhile),
 * so that a read of 1 MiB does not stop at the end of what happened to be
 * cached (dd without iflag=fullblock counts on this). Past PC_READ_FULL
 * a read may return less, as it may on Linux when a signal comes. A
 * page of the first PC_READ_FULL bytes that cannot be read fails the
 * whole call with -EIO (Linux would return the bytes before it first).
 */
ssize_t pagecache_read(struct pagecache *pc, const struct iobuf *buf, int64_t *pos)
{
	int64_t end = MIN(*pos + (int64_t)MIN(buf->len, PC_READ_FULL), file_size(pc));
	size_t done = 0;
	ssize_t r = 0;

	if (*pos < end) {
		r = fill_range(pc, (uint64_t)*pos >> PAGE_SHIFT, pages_in(end));
		if (r)
			return r; /* -EWAIT, -ENOMEM, or -EIO: a page failed (the next read tries it again) */
	}
	while (done < buf->len) {
		r = read_chunk(pc, buf, done, *pos + (int64_t)done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	*pos += (int64_t)done;
	return done ? (ssize_t)done : r;
}

/* Forgets page index if it is clean and unused (its bytes are not the file's, or are on disk). */
static void drop_clean(struct pagecache *pc, uint64_t index)
{
	unsigned long flags = pc_lock(pc);
	struct pc_entry *e = find_locked(pc, index);

	if (e && evictable(e))
		remove_locked(pc, e);
	pc_unlock(pc, flags);
}

/* Marks e dirty; returns whether it is the cache's first dirty page. */
static bool set_dirty_locked(struct pagecache *pc, struct pc_entry *e)
{
	assert_held(&pc->io_src.lock);
	if (e->flags & PCE_DIRTY)
		return false;
	e->flags |= PCE_DIRTY;
	__atomic_add_fetch(&dirty_pages, 1, __ATOMIC_RELAXED);
	return pc->nr_dirty++ == 0;
}

/* Marks the page dirty after a copy into it; the flusher learns of the cache. */
static void dirty_page(struct pagecache *pc, uint64_t index)
{
	unsigned long flags = pc_lock(pc);
	struct pc_entry *e = find_locked(pc, index);
	bool first = e && set_dirty_locked(pc, e);

	pc_unlock(pc, flags);
	if (first)
		writeback_add(pc);
}

void pagecache_mark_dirty(struct pagecache *pc, uint64_t index)
{
	dirty_page(pc, index);
}

int pagecache_page_mkwrite(struct pagecache *pc, uint64_t index)
{
	return reserve_page(pc, index, NULL);
}

void pagecache_attr_dirty(struct pagecache *pc)
{
	unsigned long flags = pc_lock(pc);

	pc->attr_dirty = true;
	pc_unlock(pc, flags);
	writeback_add(pc);
}

/* Grows the file to end if it is shorter. */
static void grow_size(struct pagecache *pc, int64_t end)
{
	struct inode *inode = pc->inode;
	unsigned long flags = spin_lock_irqsave(&inode->lock);

	if (end > inode->size)
		inode->size = end;
	spin_unlock_irqrestore(&inode->lock, flags);
}

/* Sets the modification times after a write; the size goes to the disk with them. */
static void written(struct pagecache *pc)
{
	struct inode *inode = pc->inode;
	unsigned long flags = spin_lock_irqsave(&inode->lock);

	inode->mtime = inode->ctime = vfs_now();
	spin_unlock_irqrestore(&inode->lock, flags);
	pagecache_attr_dirty(pc);
}

/*
 * The up-to-date page index referenced, with its space reserved. With
 * fill the page is made zeroed if absent; when space is short for such a
 * page inside the file, it is read instead (its blocks may be on the
 * disk already, and reading tells). 0, -ENOSPC, -EWAIT, -EIO, -ENOMEM.
 */
static int get_for_write(struct pagecache *pc, uint64_t index, bool fill, struct page **out)
{
	int r = get_uptodate(pc, index, fill, out);
	bool made;

	if (r)
		return r;
	r = reserve_page(pc, index, &made);
	if (r != -ENOSPC || !made || (int64_t)(index << PAGE_SHIFT) >= file_size(pc))
		goto out;
	put_page(*out);
	drop_clean(pc, index); /* made for the write: read it instead */
	r = get_uptodate(pc, index, false, out);
	if (r)
		return r;
	r = reserve_page(pc, index, NULL);
out:
	if (r)
		put_page(*out);
	return r;
}

/* Copies into one page of the file at pos; returns the count. */
static ssize_t write_chunk(struct pagecache *pc, const struct iobuf *buf, size_t done, int64_t pos,
			   size_t left)
{
	size_t off = (size_t)pos & (PAGE_SIZE - 1), n = MIN(PAGE_SIZE - off, left);
	uint64_t index = (uint64_t)pos >> PAGE_SHIFT;
	bool whole = (off == 0 && n == PAGE_SIZE) ||
		     (int64_t)(index << PAGE_SHIFT) >= file_size(pc);
	struct page *page;
	int r = get_for_write(pc, index, whole, &page);

	if (r) {
		if (r == -ENOSPC && whole)
			drop_clean(pc, index);
		return r;
	}
	r = iobuf_read((char *)page_address(page) + off, buf, done, n);
	if (!r) {
		/*
		 * The size grows before the page is dirty, and the dirty bit is
		 * set before the reference goes (the shrinker takes no dirty
		 * page): a write-back that finds the page clean again sees the
		 * size (end_run).
		 */
		grow_size(pc, pos + (int64_t)n);
		dirty_page(pc, index);
	} else {
		unreserve_clean(pc, index);
	}
	put_page(page);
	if (r && whole)
		drop_clean(pc,
			   index); /* a zero page made for the copy that failed is not the file's */
	return r ? r : (ssize_t)n;
}

ssize_t pagecache_write(struct pagecache *pc, const struct iobuf *buf, int64_t *pos, bool append,
			int64_t max_size)
{
	int64_t start = append ? file_size(pc) : *pos;
	size_t len = buf->len, done = 0;
	ssize_t r = 0;

	if (start >= max_size)
		return -EFBIG;
	if (__atomic_load_n(&dirty_pages, __ATOMIC_RELAXED) > page_limit() / 2 &&
	    writeback_sync_all() == -EWAIT)
		return -EWAIT; /* too much unwritten: the writer waits for the flusher (throttling) */
	len = MIN(len, (size_t)(max_size - start));
	if (space_tight(pc, start, len) && writeback_sync_all() == -EWAIT)
		return -EWAIT; /* near full: the count made exact before anything is copied */
	while (done < len) {
		r = write_chunk(pc, buf, done, start + (int64_t)done, len - done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	if (r == -ENOSPC && !done && writeback_sync_all() == -EWAIT)
		return -EWAIT; /* worst cases reserved: write everything back, then try again once */
	if (done) {
		call_commit(); /* bytes are in the file: the caller's position moves past them */
		written(pc);
	}
	*pos = start + (int64_t)done;
	return done ? (ssize_t)done : r;
}

/* Drops the pages past size (not those in I/O) and zeroes the tail of the last. Lock held. */
static void cut_locked(struct pagecache *pc, int64_t size)
{
	uint64_t keep = pages_in(size);
	size_t tail = (size_t)size & (PAGE_SIZE - 1);

	assert_held(&pc->io_src.lock);
	for (size_t i = 0; i < pc->nr_buckets; i++) {
		struct pc_entry *e, *next;

		list_for_each_entry_safe (e, next, &pc->buckets[i], hash) {
			if (e->index >= keep && !(e->flags & (PCE_READING | PCE_WRITEBACK))) {
				remove_locked(pc, e);
				continue;
			}
			if (tail && e->index == keep - 1 && (e->flags & PCE_UPTODATE))
				memset((char *)page_address(e->page) + tail, 0, PAGE_SIZE - tail);
			if (e->index >= keep - (tail ? 1 : 0))
				e->flags &= ~PCE_MAPPED; /* the cut frees its blocks (or some) */
		}
	}
}

void pagecache_set_size(struct pagecache *pc, int64_t size)
{
	struct inode *inode = pc->inode;
	unsigned long f = spin_lock_irqsave(&inode->lock);
	bool cut = size < inode->size;

	/* The size first: a reader that looks after this never asks for what is cut. */
	inode->size = size;
	inode->mtime = inode->ctime = vfs_now();
	spin_unlock_irqrestore(&inode->lock, f);
	f = pc_lock(pc);
	if (cut) {
		pc->trunc_low = pc->trunc_low < 0 ? size : MIN(pc->trunc_low, size);
		cut_locked(pc, size);
	}
	pc->attr_dirty = true;
	pc_unlock(pc, f);
	writeback_add(pc);
}

/*
 * Starts reads for the absent pages of [index, end) and tells whether all
 * of them were up to date; -EIO for a page whose read failed.
 */
static int start_missing(struct pagecache *pc, uint64_t index, uint64_t end, bool *all_in)
{
	*all_in = true;
	while (index < end) {
		unsigned long flags = pc_lock(pc);
		struct pc_entry *e = find_locked(pc, index);

		if (e && (e->flags & PCE_ERROR)) {
			remove_locked(pc, e);
			pc_unlock(pc, flags);
			return -EIO;
		}
		if (e) {
			*all_in &= (e->flags & PCE_UPTODATE) != 0;
			pc_unlock(pc, flags);
			index++;
			continue;
		}
		*all_in = false;
		if (start_read_unlock(pc, index, flags))
			return -ENOMEM;
		index += PC_READ_AHEAD;
	}
	return 0;
}

/* Pages [index, end) up to date: 0, -EWAIT (user threads), -EIO, -ENOMEM. */
static int fill_range(struct pagecache *pc, uint64_t index, uint64_t end)
{
	maybe_shrink();
	for (;;) {
		uint64_t gen = __atomic_load_n(&io_generation, __ATOMIC_ACQUIRE);
		unsigned long flags;
		bool all_in;
		int r = start_missing(pc, index, end, &all_in);

		if (r || all_in)
			return r;
		flags = pc_lock(pc); /* a read that ended since the look wakes nobody: look again */
		if (__atomic_load_n(&io_generation, __ATOMIC_ACQUIRE) != gen) {
			pc_unlock(pc, flags);
			continue;
		}
		r = wait_io_unlock(pc, flags);
		if (r)
			return r;
	}
}

int pagecache_populate(struct pagecache *pc)
{
	if (pages_in(file_size(pc)) > page_limit() / 2)
		return -ENOMEM; /* it could never be in memory all at once */
	return fill_range(pc, 0, pages_in(file_size(pc)));
}

/* ---- Write-back -------------------------------------------------------- */

/* Shell sort of page indexes (write-back takes them in file order). */
static void sort_indexes(uint64_t *v, size_t n)
{
	for (size_t gap = n / 2; gap; gap = gap == 2 ? 1 : gap * 5 / 11) {
		for (size_t i = gap; i < n; i++) {
			uint64_t x = v[i];
			size_t j = i;

			for (; j >= gap && v[j - gap] > x; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
	}
}

/* The indexes of the dirty pages, sorted, in a kmalloc'd array; NULL if none or no memory. */
static uint64_t *collect_dirty(struct pagecache *pc, size_t *count)
{
	unsigned long flags = pc_lock(pc);
	size_t n = 0, cap = pc->nr_dirty;
	uint64_t *v = cap ? kmalloc(cap * sizeof(*v)) : NULL;

	for (size_t i = 0; v && i < pc->nr_buckets; i++) {
		struct pc_entry *e;

		list_for_each_entry (e, &pc->buckets[i], hash)
			if ((e->flags & PCE_DIRTY) && n < cap)
				v[n++] = e->index;
	}
	pc_unlock(pc, flags);
	sort_indexes(v, n);
	*count = n;
	return v;
}

/*
 * Takes the run of consecutive dirty pages from idx[0] on (at most
 * PC_WRITE_RUN, only pages inside size): clears their dirty bits, marks
 * them under write-back and references their pages. Returns its length.
 */
static unsigned take_run(struct pagecache *pc, const uint64_t *idx, size_t left, int64_t size,
			 struct page **pages)
{
	unsigned long flags = pc_lock(pc);
	unsigned n = 0;

	while (n < left && n < PC_WRITE_RUN && idx[n] == idx[0] + n &&
	       (int64_t)(idx[n] << PAGE_SHIFT) < size) {
		struct pc_entry *e = find_locked(pc, idx[n]);

		if (!e || !(e->flags & PCE_DIRTY))
			break;
		e->flags = (e->flags & ~PCE_DIRTY) | PCE_WRITEBACK;
		pc->nr_dirty--;
		__atomic_sub_fetch(&dirty_pages, 1, __ATOMIC_RELAXED);
		get_page(pages[n++] = e->page);
	}
	pc_unlock(pc, flags);
	return n;
}

static void end_run(struct pagecache *pc, uint64_t first, unsigned n, struct page **pages, int err,
		    int64_t size)
{
	unsigned long flags = pc_lock(pc);

	for (unsigned i = 0; i < n; i++) {
		struct pc_entry *e = find_locked(pc, first + i);

		if (e)
			e->flags &= ~PCE_WRITEBACK;
		/*
		 * Only the bytes up to size went to the disk. A write that grew
		 * the file into the rest of the page meanwhile grew the size
		 * before it dirtied the page, so if take_run cleaned its dirty
		 * bit, the larger size shows here: the page is dirty again.
		 */
		if (e && page_end(e) > size && file_size(pc) > size)
			set_dirty_locked(pc, e);
		if (e && pc->space)
			settle_space_locked(pc, e, size, err);
		put_page(pages[i]);
		/* A page cut off while it was written (truncate skips pages in I/O) is not the file's. */
		if (e && evictable(e) && first + i >= pages_in(file_size(pc)))
			remove_locked(pc, e);
	}
	pc_unlock(pc, flags);
	if (err)
		inode_record_wb_error(pc->inode, err); /* the data is dropped, as Linux */
	STAT_ADD(written, n);
}

/*
 * Writes the size and times, cutting the file on the disk first if it was
 * cut in the core. A cut is forgotten only once the reads that may have
 * mapped the old blocks are over (they zero what is past it). 0 or -errno;
 * on failure the attributes stay dirty.
 */
static int write_attributes(struct pagecache *pc)
{
	unsigned long flags = pc_lock(pc);
	bool attrs = pc->attr_dirty;
	int64_t cut = pc->trunc_low;
	int err;

	pc->attr_dirty = false;
	pc_unlock(pc, flags);
	if (!attrs)
		return 0;
	err = pc->ops->write_inode(pc, cut);
	while (!err && cut >= 0) {
		flags = pc_lock(pc);
		if (!pc->nr_reading) {
			pc_unlock(pc, flags);
			break;
		}
		err = wait_io_unlock(pc, flags);
	}
	if (err)
		inode_record_wb_error(pc->inode, err); /* and tried again at the next pass */
	flags = pc_lock(pc);
	if (err)
		pc->attr_dirty = true;
	else if (pc->trunc_low == cut)
		pc->trunc_low = -1;
	pc_unlock(pc, flags);
	return err;
}

int pagecache_writeback(struct pagecache *pc)
{
	int64_t size = file_size(pc);
	size_t count = 0, i = 0;
	uint64_t *idx = collect_dirty(pc, &count);
	struct page *pages[PC_WRITE_RUN];
	unsigned long flags;
	bool again;
	/* The size first: blocks are then never past the end on the disk, whatever happens. */
	int err = write_attributes(pc);

	if (err)
		count = 0; /* the pages wait for a size the disk has */
	while (i < count) {
		unsigned n = take_run(pc, idx + i, count - i, size, pages);
		int r = n ? pc->ops->write_pages(pc, idx[i], n, pages, size) : 0;

		if (n)
			end_run(pc, idx[i], n, pages, r, size);
		err = err ? err : r;
		i += n ? n : 1;
	}
	kfree(idx);
	/* Pages past size (the file grew meanwhile) or a failure: the next pass takes them. */
	flags = pc_lock(pc);
	again = pc->nr_dirty || pc->attr_dirty;
	pc_unlock(pc, flags);
	if (again)
		writeback_add(pc);
	return err;
}

void pagecache_get_stats(struct pagecache_stats *out)
{
	out->pages = __atomic_load_n(&stats.pages, __ATOMIC_RELAXED);
	out->hits = __atomic_load_n(&stats.hits, __ATOMIC_RELAXED);
	out->misses = __atomic_load_n(&stats.misses, __ATOMIC_RELAXED);
	out->written = __atomic_load_n(&stats.written, __ATOMIC_RELAXED);
	out->dirty = __atomic_load_n(&dirty_pages, __ATOMIC_RELAXED);
	out->evicted = __atomic_load_n(&stats.evicted, __ATOMIC_RELAXED);
}
