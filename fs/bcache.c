/*
 * The block cache (include/fs/bcache.h): metadata blocks of the disks,
 * for the ext2 service and the flusher (kernel threads: a miss blocks
 * while the device reads).
 *
 * Buffers hang on a hash of (device, block number) and, while nobody
 * holds them, on an LRU list from which clean ones are recycled once the
 * cache holds more than BCACHE_MAX_BYTES. One lock guards everything: the
 * lock of the wait queue that threads sleep on while a buffer is busy
 * (being read) or frozen (in a pass), while a pass waits for a commit to
 * end, and while a pass waits for the one before it (wait_locked).
 *
 * A write-back pass (bcache_sync) holds every buffer it froze, on its
 * own list, until it ends; the maps among them get their settled copy
 * only then, once everything else of the snapshot is on the disk. Passes
 * run in kernel threads only (the flusher, unmount, shutdown, the end of
 * a mount's orphan recovery), never inside a service's request, so that
 * a service crash cannot leave one half done.
 */
#include <fs/bcache.h>
#include <drivers/block.h>
#include <kernel/thread.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <lib/compiler.h>
#include <lib/err.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

#define HASH_SIZE	 1024
#define BCACHE_MAX_BYTES (16u << 20)

static struct waitq cache_wq = { .lock = SPINLOCK_INIT("bcache"),
				 .waiters = LIST_HEAD_INIT(cache_wq.waiters) };
#define cache_lock (cache_wq.lock)
static struct list_head hash[HASH_SIZE]; /* (cache_lock) */
static LIST_HEAD(lru);			 /* (cache_lock) unreferenced buffers, oldest first */
static size_t cached_bytes;		 /* (cache_lock) */
static struct bcache_stats stats;	 /* (cache_lock) */
static bool hash_ready;			 /* [I] set once at init */
static bool pass_running;		 /* (cache_lock) one pass at a time */
static bool committing;			 /* (cache_lock) the ext2 service's commit is open */

/* Sleeps until cond, evaluated and left true under cache_lock (held at entry, flags its save). */
#define wait_locked(flags, cond)                                  \
	do {                                                      \
		while (!(cond)) {                                 \
			waitq_block_locked(&cache_wq, (flags));   \
			(flags) = spin_lock_irqsave(&cache_lock); \
		}                                                 \
	} while (0)

static struct list_head *bucket(struct block_device *bd, uint64_t blkno)
{
	uint64_t h = blkno * 0x9e3779b97f4a7c15ull ^ (uintptr_t)bd;

	if (!hash_ready) {
		for (int i = 0; i < HASH_SIZE; i++)
			list_init(&hash[i]);
		hash_ready = true;
	}
	return &hash[(h >> 20) % HASH_SIZE];
}

static struct buf *find_locked(struct block_device *bd, uint64_t blkno, uint32_t size)
{
	struct buf *b;

	assert_held(&cache_lock);
	list_for_each_entry (b, bucket(bd, blkno), hash)
		if (b->bd == bd && b->blkno == blkno && b->size == size)
			return b;
	return NULL;
}

static void free_buf_locked(struct buf *b)
{
	assert_held(&cache_lock);
	list_del(&b->hash);
	list_del(&b->lru);
	cached_bytes -= b->size;
	stats.buffers--;
	if (b->flags & BUF_MAP)
		cached_bytes -= 2 * b->size;
	kfree(b->settled);
	kfree(b->written);
	kfree(b->data);
	kfree(b);
}

/* Recycles clean unreferenced buffers while the cache is over its size. */
static void shrink_locked(void)
{
	struct buf *b, *next;

	assert_held(&cache_lock);
	list_for_each_entry_safe (b, next, &lru, lru) {
		if (cached_bytes <= BCACHE_MAX_BYTES)
			return;
		if (!(b->flags & (BUF_DIRTY | BUF_BUSY)))
			free_buf_locked(b);
	}
}

static struct buf *new_buf(struct block_device *bd, uint64_t blkno, uint32_t size)
{
	struct buf *b = kzalloc(sizeof(*b));

	if (!b)
		return NULL;
	b->data = kmalloc(size); /* a kmalloc block of up to a page is physically contiguous */
	if (!b->data) {
		kfree(b);
		return NULL;
	}
	b->bd = bd;
	b->blkno = blkno;
	b->size = size;
	list_init(&b->lru);
	list_init(&b->pass);
	return b;
}

static struct buf *hold_locked(struct buf *b)
{
	assert_held(&cache_lock);
	if (b->refcount++ == 0)
		list_del(&b->lru);
	return b;
}

static bool valid_size(uint32_t size)
{
	return size == 1024 || size == 2048 || size == 4096;
}

/* Fills a new busy buffer from the disk; the cache lock is not held. */
static int read_in(struct buf *b)
{
	uint64_t sector = b->blkno * (b->size / SECTOR_SIZE);
	int err = block_rw_sync(b->bd, BIO_READ, sector, b->data, b->size);
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	b->flags &= ~BUF_BUSY;
	if (!err)
		b->flags |= BUF_VALID;
	spin_unlock_irqrestore(&cache_lock, flags);
	waitq_wake_all(&cache_wq);
	return err;
}

/* The buffer for the block, held, maybe not yet valid; NULL when out of memory. */
static struct buf *lookup_or_add(struct block_device *bd, uint64_t blkno, uint32_t size, bool *miss)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);
	struct buf *b = find_locked(bd, blkno, size), *fresh;

	*miss = false;
	if (b) {
		stats.hits++;
		hold_locked(b);
		spin_unlock_irqrestore(&cache_lock, flags);
		return b;
	}
	spin_unlock_irqrestore(&cache_lock, flags);
	fresh = new_buf(bd, blkno, size);
	if (!fresh)
		return NULL;
	flags = spin_lock_irqsave(&cache_lock);
	b = find_locked(bd, blkno, size); /* another thread may have added it meanwhile */
	if (b) {
		hold_locked(b);
	} else {
		b = fresh;
		fresh = NULL;
		b->refcount = 1;
		b->flags = BUF_BUSY;
		list_add(&b->hash, bucket(bd, blkno));
		cached_bytes += size;
		stats.buffers++;
		stats.misses++;
		*miss = true;
		shrink_locked();
	}
	spin_unlock_irqrestore(&cache_lock, flags);
	if (fresh) {
		kfree(fresh->data);
		kfree(fresh);
	}
	return b;
}

struct buf *bread(struct block_device *bd, uint64_t blkno, uint32_t size)
{
	struct buf *b;
	bool miss;

	if (!bd || !valid_size(size) || blkno >= bd->sectors / (size / SECTOR_SIZE))
		return ERR_PTR(-EINVAL);
	b = lookup_or_add(bd, blkno, size, &miss);
	if (!b)
		return ERR_PTR(-ENOMEM);
	if (miss && read_in(b)) {
		brelse(b);
		return ERR_PTR(-EIO);
	}
	waitq_wait_until(&cache_wq, !(b->flags & BUF_BUSY));
	if (!(READ_ONCE(b->flags) & BUF_VALID)) { /* another reader's read failed */
		brelse(b);
		return ERR_PTR(-EIO);
	}
	return b;
}

void brelse(struct buf *b)
{
	unsigned long flags;

	if (IS_ERR_OR_NULL(b))
		return;
	flags = spin_lock_irqsave(&cache_lock);
	if (--b->refcount == 0) {
		if (b->flags & BUF_VALID)
			list_add_tail(&b->lru, &lru);
		else if (!(b->flags & BUF_BUSY))
			free_buf_locked(b); /* a failed read, or forgotten */
	}
	spin_unlock_irqrestore(&cache_lock, flags);
}

void bcache_commit_begin(void)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	ASSERT(!committing); /* one committer: the ext2 service's thread */
	committing = true;
	spin_unlock_irqrestore(&cache_lock, flags);
}

void bcache_commit_end(void)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	committing = false;
	spin_unlock_irqrestore(&cache_lock, flags);
	waitq_wake_all(&cache_wq); /* a pass may wait for it */
}

void bcache_update(struct buf *b, const void *data, enum bcache_order order)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	/* The wait and the copy in one hold: no pass freezes it in between. */
	wait_locked(flags, !(b->flags & (BUF_BUSY | BUF_FROZEN)));
	memcpy(b->data, data, b->size);
	b->flags |= BUF_VALID | BUF_DIRTY;
	b->order = MAX(b->order, (uint8_t)order);
	spin_unlock_irqrestore(&cache_lock, flags);
}

int bcache_make_map(struct buf *b)
{
	void *settled, *written;
	unsigned long flags;

	if (READ_ONCE(b->flags) & BUF_MAP)
		return 0;
	settled = kmalloc(b->size);
	written = kmalloc(b->size);
	if (!settled || !written) {
		kfree(settled);
		kfree(written);
		return -ENOMEM;
	}
	memset(written, 0xff, b->size); /* a pass that ends without writing it settles nothing */
	flags = spin_lock_irqsave(&cache_lock);
	if (!(b->flags & BUF_MAP)) {
		/* Clean: never changed since read, or since a pass that ended: all of it is settled. */
		if (b->flags & (BUF_DIRTY | BUF_FROZEN))
			memset(settled, 0xff, b->size); /* changed as no map: nothing settled yet */
		else
			memcpy(settled, b->data, b->size);
		b->settled = settled;
		b->written = written;
		b->flags |= BUF_MAP;
		cached_bytes += 2 * b->size;
		settled = written = NULL;
	}
	spin_unlock_irqrestore(&cache_lock, flags);
	kfree(settled);
	kfree(written);
	return 0;
}

bool bcache_settled(struct buf *b, void *out)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);
	bool map = b->flags & BUF_MAP;

	if (map)
		memcpy(out, b->settled, b->size);
	spin_unlock_irqrestore(&cache_lock, flags);
	return map;
}

void bforget(struct block_device *bd, uint64_t blkno, uint32_t size)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);
	struct buf *b;

	/* A frozen one is in the running pass: it goes to the disk first. */
	wait_locked(flags, !(b = find_locked(bd, blkno, size)) || !(b->flags & BUF_FROZEN));
	if (b && !(b->flags & BUF_BUSY)) {
		b->flags &= ~(BUF_DIRTY | BUF_VALID);
		if (!b->refcount)
			free_buf_locked(b);
	}
	spin_unlock_irqrestore(&cache_lock, flags);
}

/*
 * A pass begins: after the pass before it and between two commits, every
 * dirty buffer of bd is frozen, held, and put on the pass's list.
 */
static void pass_begin(struct block_device *bd, struct list_head *pass)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	wait_locked(flags, !pass_running && !committing);
	pass_running = true;
	stats.passes++;
	for (int i = 0; i < HASH_SIZE; i++) {
		struct buf *b;

		list_for_each_entry (b, &hash[i], hash) {
			if (b->bd != bd || !(b->flags & BUF_DIRTY))
				continue;
			hold_locked(b);
			b->flags = (b->flags & ~BUF_DIRTY) | BUF_FROZEN;
			list_add_tail(&b->pass, pass);
		}
	}
	spin_unlock_irqrestore(&cache_lock, flags);
}

/* Writes one frozen buffer and thaws it; a failed one is dirty again. */
static int write_frozen(struct buf *b)
{
	uint64_t sector = b->blkno * (b->size / SECTOR_SIZE);
	int err = block_rw_sync(b->bd, BIO_WRITE, sector, b->data, b->size);
	unsigned long flags;

	if (b->flags & BUF_MAP)
		memcpy(b->written, b->data, b->size); /* frozen: nobody changes either */
	flags = spin_lock_irqsave(&cache_lock);
	b->flags &= ~BUF_FROZEN;
	if (err)
		b->flags |= BUF_DIRTY;
	else
		stats.writes++;
	if (!err)
		b->order = BCACHE_ORDER_PLAIN;
	spin_unlock_irqrestore(&cache_lock, flags);
	waitq_wake_all(&cache_wq);
	return err;
}

/* The classes of a pass, in the order it writes them: the maps, then by bcache_order. */
enum pass_class {
	PASS_MAPS,
	PASS_PLAIN,
	PASS_LINK,
	PASS_ROOT,
	PASS_CLASSES
};

static enum pass_class class_of(const struct buf *b)
{
	/* Frozen: no commit changes its order; one made a map after its class waits for a pass. */
	return (READ_ONCE(b->flags) & BUF_MAP) ? PASS_MAPS : PASS_PLAIN + READ_ONCE(b->order);
}

/* Writes the pass's frozen buffers of class c; stops at the first failure. *wrote: any. */
static int write_class(struct list_head *pass, enum pass_class c, bool *wrote)
{
	struct buf *b;

	list_for_each_entry (b, pass, pass) {
		if (!(READ_ONCE(b->flags) & BUF_FROZEN) || class_of(b) != c)
			continue;
		*wrote = true;
		if (write_frozen(b))
			return -EIO;
	}
	return 0;
}

/*
 * The pass ends. Unless it failed, every pointer it froze is on the disk:
 * its maps' frees are settled. Buffers still frozen thaw dirty; true if
 * there were any.
 */
static bool pass_end(struct list_head *pass, bool ok)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);
	struct buf *b, *next;
	bool left = false;

	list_for_each_entry (b, pass, pass) {
		if (b->flags &
		    BUF_FROZEN) { /* not written: a failure, or made a map after its class */
			b->flags = (b->flags & ~BUF_FROZEN) | BUF_DIRTY;
			left = true;
		} else if (ok && (b->flags & BUF_MAP))
			memcpy(b->settled, b->written, b->size);
		else if (b->flags & BUF_MAP)
			b->flags |= BUF_DIRTY; /* on the disk, not settled: written again, kept */
	}
	pass_running = false;
	spin_unlock_irqrestore(&cache_lock, flags);
	waitq_wake_all(&cache_wq);
	list_for_each_entry_safe (b, next, pass, pass) {
		list_del(&b->pass);
		brelse(b);
	}
	return left;
}

int bcache_sync(struct block_device *bd)
{
	LIST_HEAD(pass);
	int err = 0;

	if (!hash_ready)
		return 0;
	pass_begin(bd, &pass);
	for (enum pass_class c = 0; !err && c < PASS_CLASSES; c++) {
		bool wrote = false;

		err = write_class(&pass, c, &wrote);
		if (!err && wrote && c + 1 < PASS_CLASSES && block_flush_sync(bd))
			err = -EIO; /* the class on the disk before the next one goes */
	}
	if (!err && block_flush_sync(bd)) /* and whatever else was written before the sync */
		err = -EIO;
	if (pass_end(&pass, !err) && !err)
		return bcache_sync(bd); /* a buffer made a map after the maps went: it is one now */
	return err;
}

void bcache_drop(struct block_device *bd)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	for (int i = 0; hash_ready && i < HASH_SIZE; i++) {
		struct buf *b, *next;

		list_for_each_entry_safe (b, next, &hash[i], hash)
			if (b->bd == bd && !b->refcount && !(b->flags & BUF_BUSY))
				free_buf_locked(b);
	}
	spin_unlock_irqrestore(&cache_lock, flags);
}

void bcache_get_stats(struct bcache_stats *out)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	*out = stats;
	spin_unlock_irqrestore(&cache_lock, flags);
}
