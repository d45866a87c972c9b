/*
 * ext2 block maps (include/fs/ext2.h): a file's logical blocks reach its
 * disk blocks through i_block: 12 direct pointers, then a single, a double
 * and a triple indirect block. ext2_bmap finds (and with alloc, allocates)
 * one block; ext2_truncate_step frees the data and indirect blocks past
 * a size, from the end, at most fs->step_blocks of them per call (a
 * request's work stays bounded whatever the file's size: docs/ext2.md).
 * Called by the ext2 service for EXT2_BMAP, by directories
 * (fs/ext2/dir.c) and by setattr and evict (fs/ext2/namei.c).
 *
 * Each pointer read from an indirect block is checked against the file
 * system's size before use, and the walks are bounded by the depth (3),
 * so an image whose indirect blocks loop gives -EUCLEAN.
 */
#include <fs/ext2.h>
#include <lib/string.h>
#include <uapi/errno.h>

/* The indices of lblk's pointers from i_block down; returns the depth (0-3) or -EFBIG. */
static int bmap_path(const struct ext2_fs *fs, uint64_t lblk, uint32_t off[4])
{
	uint64_t p = fs->ptrs_per_block;

	if (lblk < EXT2_NDIR_BLOCKS) {
		off[0] = (uint32_t)lblk;
		return 0;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	if (lblk < p) {
		off[0] = EXT2_IND_BLOCK;
		off[1] = (uint32_t)lblk;
		return 1;
	}
	lblk -= p;
	if (lblk < p * p) {
		off[0] = EXT2_DIND_BLOCK;
		off[1] = (uint32_t)(lblk / p);
		off[2] = (uint32_t)(lblk % p);
		return 2;
	}
	lblk -= p * p;
	if (lblk < p * p * p) {
		off[0] = EXT2_TIND_BLOCK;
		off[1] = (uint32_t)(lblk / (p * p));
		off[2] = (uint32_t)(lblk / p % p);
		off[3] = (uint32_t)(lblk % p);
		return 3;
	}
	return -EFBIG;
}

/* Allocates a block near goal for inode in; indirect blocks start zeroed. */
static int bmap_new(struct ext2_fs *fs, struct ext2_inode *in, uint32_t goal, bool indirect,
		    uint32_t *blk)
{
	void *data;
	int err = ext2_block_alloc(fs, goal, blk);

	if (err)
		return err;
	if (indirect) {
		err = ext2_bzero(fs, *blk, &data);
		if (err)
			return err;
	}
	in->i_blocks += fs->block_size / 512;
	return 0;
}

/* The first pointer, in the inode itself. */
static int bmap_root(struct ext2_fs *fs, uint64_t ino, const uint32_t off[4], int depth, bool alloc,
		     uint32_t *cur)
{
	const struct ext2_inode *rin;
	struct ext2_inode *in;
	uint32_t goal;
	int err = ext2_iread(fs, ino, &rin);

	if (err)
		return err;
	*cur = rin->i_block[off[0]];
	if (*cur || !alloc)
		return 0;
	err = ext2_iwrite(fs, ino, &in);
	if (err)
		return err;
	goal = off[0] > 0 ? in->i_block[off[0] - 1] + 1 : 0;
	if (!goal)
		goal = fs->first_data_block +
		       (uint32_t)((ino - 1) / fs->inodes_per_group) * fs->blocks_per_group;
	err = bmap_new(fs, in, goal, depth > 0, cur);
	if (!err)
		in->i_block[off[0]] = *cur;
	return err;
}

/* One step down: the pointer at index idx of indirect block *cur. */
static int bmap_step(struct ext2_fs *fs, uint64_t ino, uint32_t idx, bool last, bool alloc,
		     uint32_t *cur)
{
	const uint32_t *map;
	uint32_t *wmap, parent = *cur, next;
	struct ext2_inode *in;
	int err;

	if (!ext2_block_ok(fs, parent))
		return -EUCLEAN;
	err = ext2_bread(fs, parent, (const void **)&map);
	if (err)
		return err;
	next = map[idx];
	if (next || !alloc) {
		*cur = next;
		return 0;
	}
	err = ext2_iwrite(fs, ino, &in);
	if (!err)
		err = bmap_new(fs, in, parent + 1, !last, &next);
	if (!err)
		err = ext2_bwrite(fs, parent, (void **)&wmap);
	if (err)
		return err;
	wmap[idx] = next;
	*cur = next;
	return 0;
}

int ext2_bmap(struct ext2_fs *fs, uint64_t ino, uint64_t lblk, bool alloc, uint32_t *blk)
{
	uint32_t off[4], cur;
	int depth = bmap_path(fs, lblk, off), level, err;

	if (depth < 0)
		return depth;
	err = bmap_root(fs, ino, off, depth, alloc, &cur);
	for (level = 1; !err && cur && level <= depth; level++)
		err = bmap_step(fs, ino, off[level], level == depth, alloc, &cur);
	if (err)
		return err;
	if (cur && !ext2_block_ok(fs, cur))
		return -EUCLEAN;
	*blk = cur;
	return 0;
}

static int free_one(struct ext2_fs *fs, struct ext2_inode *in, uint32_t blk, bool orphan)
{
	uint32_t n = fs->block_size / 512;
	int err = ext2_block_free(fs, blk, orphan);

	if (!err)
		in->i_blocks = in->i_blocks > n ? in->i_blocks - n : 0;
	return err;
}

/*
 * A truncate step (ext2_truncate_step): it walks the tree from the last
 * pointer down, so that what it has freed when the budget runs out is
 * everything from some logical block (low) to the end.
 */
struct trunc {
	struct ext2_fs *fs;
	struct ext2_inode *in;
	uint64_t keep; /* logical blocks kept */
	int budget;    /* blocks still to free or read in this step */
	uint64_t low;  /* everything from this logical block on is freed */
	bool stopped;  /* the budget ran out */
	bool orphan;   /* an orphan's blocks: some may be free already (ext2_block_free) */
};

/* Spends one unit of the budget; false (and stopped) when there is none left. */
static bool spend(struct trunc *t)
{
	if (t->budget <= 0) {
		t->stopped = true;
		return false;
	}
	t->budget--;
	return true;
}

/* The subtree at *slot (depth 0: a data block) maps logical blocks from base on. */
static int trunc_slot(struct trunc *t, uint32_t *slot, int depth, uint64_t base);

/* Indirect block blk (depth >= 1) maps logical blocks from base on, span each pointer. */
static int trunc_node(struct trunc *t, uint32_t blk, int depth, uint64_t base)
{
	uint64_t span = 1, first;
	uint32_t *map;
	int64_t i;
	int d, err;

	for (d = 1; d < depth; d++)
		span *= t->fs->ptrs_per_block;
	first = t->keep > base ? (t->keep - base) / span : 0;
	if (first >= t->fs->ptrs_per_block)
		return 0; /* all of it is kept */
	if (!ext2_block_ok(t->fs, blk))
		return -EUCLEAN;
	if (!spend(t))
		return 0;
	err = ext2_bwrite(t->fs, blk, (void **)&map);
	for (i = (int64_t)t->fs->ptrs_per_block - 1; !err && i >= (int64_t)first; i--) {
		err = trunc_slot(t, &map[i], depth - 1, base + (uint64_t)i * span);
		if (err || t->stopped)
			break;
	}
	return err;
}

static int trunc_slot(struct trunc *t, uint32_t *slot, int depth, uint64_t base)
{
	int err = 0;

	if (*slot && depth > 0)
		err = trunc_node(t, *slot, depth, base);
	if (err || t->stopped)
		return err;
	if (*slot && base >= t->keep) {
		if (depth == 0 && !spend(t))
			return 0;
		err = free_one(t->fs, t->in, *slot, t->orphan);
		if (err)
			return err;
		*slot = 0;
	}
	t->low = base > t->keep ? base : t->keep; /* from base on, nothing is left */
	return 0;
}

int ext2_truncate_step(struct ext2_fs *fs, uint64_t ino, uint64_t keep, bool orphan, bool *done,
		       uint64_t *low)
{
	struct trunc t = { .fs = fs, .keep = keep, .low = UINT64_MAX, .orphan = orphan };
	uint64_t p = fs->ptrs_per_block;
	uint64_t base[EXT2_N_BLOCKS];
	int i, err = ext2_iwrite(fs, ino, &t.in);

	t.budget = fs->step_blocks > 0 ? fs->step_blocks : EXT2_STEP_BLOCKS;
	for (i = 0; i < EXT2_NDIR_BLOCKS; i++)
		base[i] = (uint64_t)i;
	base[EXT2_IND_BLOCK] = EXT2_NDIR_BLOCKS;
	base[EXT2_DIND_BLOCK] = EXT2_NDIR_BLOCKS + p;
	base[EXT2_TIND_BLOCK] = EXT2_NDIR_BLOCKS + p + p * p;
	for (i = EXT2_N_BLOCKS - 1; !err && !t.stopped && i >= 0; i--) {
		int depth = i >= EXT2_IND_BLOCK ? i - EXT2_IND_BLOCK + 1 : 0;

		if (depth == 0 && base[i] < keep)
			break;
		err = trunc_slot(&t, &t.in->i_block[i], depth, base[i]);
	}
	if (err)
		return err;
	*done = !t.stopped;
	*low = t.low;
	return 0;
}
