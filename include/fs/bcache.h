/*
 * The block cache (fs/bcache.c): a core cache of disk blocks for file
 * system metadata (superblocks, group descriptors, bitmaps, inode tables,
 * directories, indirect blocks). File data does not come here; it lives
 * in the page cache. Callers are kernel threads (the ext2 service, the
 * flusher): a miss blocks while the block device reads.
 *
 * A buffer is found by (device, block number, size); sizes are 1024,
 * 2048 or 4096 bytes and one device is used with one size at a time.
 * Dirty buffers are written back by bcache_sync (the flusher, fsync,
 * sync, unmount). A buffer is not written while someone holds it.
 *
 * The ext2 service never changes a cached buffer in place: it works on
 * copies for the request in flight and commits them all with
 * bcache_commit at the request's end (fs/ext2/io.c), so that a crash in
 * the middle of a request leaves the cache as it was before the request.
 */
#ifndef FS_BCACHE_H
#define FS_BCACHE_H

#include <lib/types.h>
#include <lib/err.h>
#include <lib/list.h>

struct block_device;

/* Lock key: (c) constant, (b) the cache lock. */
struct buf {
	struct block_device *bd; /* (c) */
	uint64_t blkno;		 /* (c) in units of size */
	uint32_t size;		 /* (c) */
	uint32_t flags;		 /* (b) BUF_* */
	int32_t refcount;	 /* (b) */
	void *data;		 /* (c) size bytes, direct-mapped */
	struct list_head hash;	 /* (b) */
	struct list_head lru;	 /* (b) */
};

#define BUF_VALID (1u << 0) /* data holds the block */
#define BUF_DIRTY (1u << 1) /* data is newer than the disk */
#define BUF_BUSY  (1u << 2) /* being read or written */

/* The block, read if needed, with a reference; ERR_PTR(-EIO/-EINVAL/-ENOMEM). */
struct buf *bread(struct block_device *bd, uint64_t blkno, uint32_t size);
void brelse(struct buf *b);
/*
 * Replaces the cached contents of the block with data (size bytes) and
 * marks it dirty: one step of a commit. The caller holds a reference.
 */
void bcache_update(struct buf *b, const void *data);
/* Drops the block from the cache without writing it (a freed block). */
void bforget(struct block_device *bd, uint64_t blkno, uint32_t size);
/* Writes every dirty buffer of bd, then flushes the device; 0 or -EIO. */
int bcache_sync(struct block_device *bd);
/* Forgets every buffer of bd (unmount, after a sync). */
void bcache_drop(struct block_device *bd);

struct bcache_stats {
	uint64_t hits, misses, writes, buffers;
};
void bcache_get_stats(struct bcache_stats *out);

#endif
