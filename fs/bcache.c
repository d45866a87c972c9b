/*
 * The block cache (include/fs/bcache.h): metadata blocks of the disks,
 * for the ext2 service and the flusher (kernel threads: a miss blocks
 * while the device reads).
 *
 * Buffers hang on a hash of (device, block number) and, while nobody
 * holds them, on an LRU list from which clean ones are recycled once the
 * cache holds more than BCACHE_MAX_BYTES. One lock guards everything: the
 * lock of the wait queue that threads sleep on while a buffer is busy
 * (being read or written), so that "wait until not busy" is one
 * waitq_wait_until.
 */
#include <fs/bcache.h>
#include <drivers/block.h>
#include <kernel/thread.h>
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

void bcache_update(struct buf *b, const void *data)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&cache_lock);

		/* The check and the copy in one hold: no write-back starts in between. */
		if (!(b->flags & BUF_BUSY)) {
			memcpy(b->data, data, b->size);
			b->flags |= BUF_VALID | BUF_DIRTY;
			spin_unlock_irqrestore(&cache_lock, flags);
			return;
		}
		spin_unlock_irqrestore(&cache_lock, flags);
		waitq_wait_until(&cache_wq, !(b->flags & BUF_BUSY));
	}
}

void bforget(struct block_device *bd, uint64_t blkno, uint32_t size)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);
	struct buf *b = find_locked(bd, blkno, size);

	if (b && !(b->flags & BUF_BUSY)) {
		b->flags &= ~(BUF_DIRTY | BUF_VALID);
		if (!b->refcount)
			free_buf_locked(b);
	}
	spin_unlock_irqrestore(&cache_lock, flags);
}

/* A dirty, idle buffer of bd, made busy and held for writing; NULL when none is left. */
static struct buf *take_dirty(struct block_device *bd)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);
	struct buf *found = NULL;

	for (int i = 0; i < HASH_SIZE && !found; i++) {
		struct buf *b;

		list_for_each_entry (b, &hash[i], hash) {
			if (b->bd == bd && (b->flags & BUF_DIRTY) && !(b->flags & BUF_BUSY)) {
				found = hold_locked(b);
				b->flags = (b->flags & ~BUF_DIRTY) | BUF_BUSY;
				break;
			}
		}
	}
	spin_unlock_irqrestore(&cache_lock, flags);
	return found;
}

static int write_out(struct buf *b)
{
	uint64_t sector = b->blkno * (b->size / SECTOR_SIZE);
	int err = block_rw_sync(b->bd, BIO_WRITE, sector, b->data, b->size);
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	b->flags &= ~BUF_BUSY;
	if (err)
		b->flags |= BUF_DIRTY; /* try again at the next sync */
	else
		stats.writes++;
	spin_unlock_irqrestore(&cache_lock, flags);
	waitq_wake_all(&cache_wq);
	brelse(b);
	return err;
}

int bcache_sync(struct block_device *bd)
{
	int err = 0, tries = 0;
	struct buf *b;

	if (!hash_ready)
		return 0;
	while ((b = take_dirty(bd)) != NULL) {
		if (write_out(b) && ++tries > 16) {
			err = -EIO;
			break;
		}
	}
	if (block_flush_sync(bd))
		err = -EIO;
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
