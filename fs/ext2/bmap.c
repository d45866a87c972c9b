/*
 * ext2 block maps (include/fs/ext2.h): a file's logical blocks reach its
 * disk blocks through i_block: 12 direct pointers, then a single, a double
 * and a triple indirect block. ext2_bmap finds (and with alloc, allocates)
 * one block; ext2_truncate_blocks frees the data and indirect blocks past
 * a size. Called by the ext2 service for EXT2_BMAP, by directories
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

static int free_one(struct ext2_fs *fs, struct ext2_inode *in, uint32_t blk)
{
	uint32_t n = fs->block_size / 512;
	int err = ext2_block_free(fs, blk);

	if (!err)
		in->i_blocks = in->i_blocks > n ? in->i_blocks - n : 0;
	return err;
}

/*
 * Frees what indirect block blk (depth 1: it points at data) maps from
 * its logical block from on; the caller frees blk itself when from is 0.
 */
static int trunc_tree(struct ext2_fs *fs, struct ext2_inode *in, uint32_t blk, int depth,
		      uint64_t from)
{
	uint64_t span = 1;
	uint32_t *map, i, child;
	int d, err;

	for (d = 1; d < depth; d++)
		span *= fs->ptrs_per_block;
	if (!ext2_block_ok(fs, blk))
		return -EUCLEAN;
	err = ext2_bwrite(fs, blk, (void **)&map);
	for (i = (uint32_t)(from / span); !err && i < fs->ptrs_per_block; i++) {
		child = map[i];
		if (!child)
			continue;
		if (depth > 1)
			err = trunc_tree(fs, in, child, depth - 1,
					 i == from / span ? from % span : 0);
		if (!err && (depth == 1 || i != from / span || from % span == 0)) {
			err = free_one(fs, in, child);
			map[i] = 0;
		}
	}
	return err;
}

int ext2_truncate_blocks(struct ext2_fs *fs, uint64_t ino, uint64_t keep)
{
	struct ext2_inode *in;
	uint64_t base = EXT2_NDIR_BLOCKS, span = 1, from;
	uint32_t i;
	int d, err = ext2_iwrite(fs, ino, &in);

	for (i = (uint32_t)keep; !err && i < EXT2_NDIR_BLOCKS; i++) {
		if (in->i_block[i])
			err = free_one(fs, in, in->i_block[i]);
		in->i_block[i] = 0;
	}
	for (d = 1; !err && d <= 3; d++) {
		span *= fs->ptrs_per_block;
		i = EXT2_NDIR_BLOCKS + d - 1;
		from = keep > base ? keep - base : 0;
		if (in->i_block[i] && from < span)
			err = trunc_tree(fs, in, in->i_block[i], d, from);
		if (!err && in->i_block[i] && from == 0) {
			err = free_one(fs, in, in->i_block[i]);
			in->i_block[i] = 0;
		}
		base += span;
	}
	return err;
}
