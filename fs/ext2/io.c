/*
 * The kernel's I/O layer for the ext2 library (include/fs/ext2.h): blocks
 * come from the core's block cache (fs/bcache.c), request memory from the
 * service framework's per-request arena (svc_alloc), which is freed when
 * the request ends or crashes. fs/ext2/txn.c is the only caller: it pins
 * buffers with ext2_io_get and, at a successful request's end, commits
 * its shadow copies with ext2_io_update and drops freed blocks with
 * ext2_io_forget, between ext2_io_commit_begin and _end. The bitmaps are
 * the cache's allocation maps; no request ever runs a write-back pass.
 * The tests' twin is tests/unit/ext2_host_io.c.
 */
#include <fs/ext2.h>
#include <fs/bcache.h>
#include <drivers/block.h>
#include <svc/service.h>
#include <lib/compiler.h>
#include <lib/err.h>
#include <lib/string.h>
#include <uapi/errno.h>

void *ext2_io_alloc(size_t n)
{
	return svc_alloc(n); /* zeroed */
}

void ext2_io_txn_end(void)
{
	/* the framework frees the arena when the request ends */
}

int ext2_io_get(struct ext2_fs *fs, uint64_t blk, void **handle, const void **data)
{
	struct buf *b = bread(fs->dev, blk, fs->block_size);

	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	*handle = b;
	*data = b->data;
	svc_progress(); /* a block the request had not touched: the watchdog's measure */
	return 0;
}

void ext2_io_put(void *handle)
{
	brelse(handle);
}

void ext2_io_commit_begin(void)
{
	svc_progress(); /* the commit waits only for the disk, which the watchdog does not count */
	bcache_commit_begin();
}

void ext2_io_commit_end(void)
{
	bcache_commit_end();
}

void ext2_io_reset(void)
{
	bcache_commit_end(); /* the crashed thread's commit, if it was in one */
}

void ext2_io_update(void *handle, const void *data, enum ext2_order order)
{
	BUILD_BUG_ON((int)EXT2_ORDER_LINK != (int)BCACHE_ORDER_LINK ||
		     (int)EXT2_ORDER_ROOT != (int)BCACHE_ORDER_ROOT);
	bcache_update(handle, data, (enum bcache_order)order);
}

int ext2_io_make_map(void *handle)
{
	return bcache_make_map(handle);
}

bool ext2_io_settled(void *handle, void *out)
{
	return bcache_settled(handle, out);
}

void ext2_io_forget(struct ext2_fs *fs, uint64_t blk)
{
	bforget(fs->dev, blk, fs->block_size);
}

int ext2_io_probe(void *dev, void *out)
{
	struct buf *b = bread(dev, EXT2_SB_OFFSET / EXT2_SB_SIZE, EXT2_SB_SIZE);

	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	memcpy(out, b->data, EXT2_SB_SIZE);
	brelse(b);
	return 0;
}

void ext2_io_probe_end(void *dev, uint32_t block_size)
{
	/*
	 * With 1 KiB blocks the probe's buffer is the superblock's own (and
	 * may be dirty); otherwise it was only read, never changed.
	 */
	if (block_size != EXT2_SB_SIZE)
		bforget(dev, EXT2_SB_OFFSET / EXT2_SB_SIZE, EXT2_SB_SIZE);
}
