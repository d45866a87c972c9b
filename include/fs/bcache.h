/*
 * The block cache (fs/bcache.c): a core cache of disk blocks for file
 * system metadata (superblocks, group descriptors, bitmaps, inode tables,
 * directories, indirect blocks). File data does not come here; it lives
 * in the page cache. Callers are kernel threads (the ext2 service, the
 * flusher): a miss blocks while the block device reads.
 *
 * A buffer is found by (device, block number, size); sizes are 1024,
 * 2048 or 4096 bytes and one device is used with one size at a time.
 *
 * The ext2 service never changes a cached buffer in place: it works on
 * copies for the request in flight and hands them over between
 * bcache_commit_begin and bcache_commit_end at the request's end
 * (fs/ext2/io.c), so that a crash in the middle of a request leaves the
 * cache as it was before the request.
 *
 * Dirty buffers reach the disk in write-back passes (bcache_sync: the
 * flusher, fsync, sync, unmount), one at a time. A pass takes a snapshot
 * between two commits: every dirty buffer is frozen (a commit that would
 * change one waits until it is written), so a pass writes the state of
 * the file system after some request, never half of one. It writes the
 * allocation maps first, then the other buffers in the order of enum
 * bcache_order (plain metadata, ext2's orphan-chain links, the chain's
 * head), with a flush between classes. A power cut in the middle never
 * leaves a pointer on the disk to a block its bitmap calls in use for
 * nobody, only the reverse: a freed block still named by a pointer not
 * yet written, which the orphan chain's next walk frees again
 * (docs/ext2.md, "Power cuts in the middle of a write-back"). So that
 * such a block is not given to another file before the pointer is gone
 * from the disk, a map keeps a settled copy (its contents as of the last
 * pass that ended) and a bit is free for allocation only when it is clear
 * in both.
 */
#ifndef FS_BCACHE_H
#define FS_BCACHE_H

#include <lib/types.h>
#include <lib/err.h>
#include <lib/list.h>

struct block_device;

/* Lock key: (c) constant, (b) the cache lock, (p) the running write-back pass. */
struct buf {
	struct block_device *bd; /* (c) */
	uint64_t blkno;		 /* (c) in units of size */
	uint32_t size;		 /* (c) */
	uint32_t flags;		 /* (b) BUF_* */
	int32_t refcount;	 /* (b) */
	void *data;		 /* (c) size bytes, direct-mapped */
	struct list_head hash;	 /* (b) */
	struct list_head lru;	 /* (b) */
	struct list_head pass;	 /* (p) on the running pass's list */
	void *settled;		 /* (b) maps only: the contents as of the last pass that ended */
	void *written;		 /* (p) maps only: what the running pass wrote */
	uint8_t order;		 /* (b) enum bcache_order: the highest since it was last written */
};

#define BUF_VALID  (1u << 0) /* data holds the block */
#define BUF_DIRTY  (1u << 1) /* data is newer than the disk */
#define BUF_BUSY   (1u << 2) /* being read */
#define BUF_FROZEN (1u << 3) /* in the running pass, not yet written: data may not change */
#define BUF_MAP	   (1u << 4) /* an allocation map: written first, with a settled copy */

/* Where a buffer that is no map goes in a pass: the classes after the maps. */
enum bcache_order {
	BCACHE_ORDER_PLAIN, /* everything else */
	BCACHE_ORDER_LINK,  /* holds a link of ext2's orphan chain (an inode's i_dtime) */
	BCACHE_ORDER_ROOT,  /* holds the chain's head (the superblock): written last of all */
};

/* The block, read if needed, with a reference; ERR_PTR(-EIO/-EINVAL/-ENOMEM). */
struct buf *bread(struct block_device *bd, uint64_t blkno, uint32_t size);
void brelse(struct buf *b);
/*
 * A commit: no pass takes its snapshot between begin and end. One
 * committer at a time (the ext2 service's thread); bcache_commit_end
 * also closes a commit its crash left open (the service's restart).
 */
void bcache_commit_begin(void);
void bcache_commit_end(void);
/*
 * Replaces the cached contents of the block with data (size bytes) and
 * marks it dirty: one step of a commit. The caller holds a reference.
 * Waits while the buffer is frozen in a pass. order: where the next pass
 * writes it (the highest asked since it was last written).
 */
void bcache_update(struct buf *b, const void *data, enum bcache_order order);
/*
 * Makes b an allocation map (before its first update): allocates its
 * settled copy, the block's contents now. 0 or -ENOMEM.
 */
int bcache_make_map(struct buf *b);
/* Copies the settled contents of map b to out; false if b is not a map. */
bool bcache_settled(struct buf *b, void *out);
/* Drops the block from the cache without writing it (a freed block). */
void bforget(struct block_device *bd, uint64_t blkno, uint32_t size);
/*
 * One write-back pass over bd (see above): every buffer dirty when it
 * starts is on the disk and the device flushed when it returns 0; -EIO
 * if a write or the flush failed (the buffers stay dirty).
 */
int bcache_sync(struct block_device *bd);
/* Forgets every buffer of bd (unmount, after a sync). */
void bcache_drop(struct block_device *bd);

struct bcache_stats {
	uint64_t hits, misses, writes, buffers, passes;
};
void bcache_get_stats(struct bcache_stats *out);

#endif
