/*
 * ext2 block and inode allocation (include/fs/ext2.h): the bitmaps, the
 * free counts of the group descriptors and of the superblock, and the
 * groups' directory counts, changed together in the request's shadow
 * blocks. Called by the block maps (fs/ext2/bmap.c) and the operations
 * of fs/ext2/namei.c. A bitmap that disagrees with a count or that would
 * hand out a metadata block gives -EUCLEAN.
 *
 * Bitmaps are the cache's allocation maps (include/fs/bcache.h): a bit is
 * taken only when it is clear both in the bitmap and in its settled copy,
 * so that a block or inode freed since the last write-back pass ended is
 * not handed out while a pointer to it may still be on the disk. When only
 * such bits are left the answer is EXT2_UNSETTLED, not -ENOSPC: the core
 * runs a pass and asks again (fs/ext2_vfs.c).
 */
#include <fs/ext2.h>
#include <lib/string.h>
#include <uapi/errno.h>

static bool bit_test(const uint8_t *map, uint32_t bit)
{
	return map[bit / 8] & (1u << (bit % 8));
}

static void bit_flip(uint8_t *map, uint32_t bit)
{
	map[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* The first bit in [from, to) clear in map and in settled (unless NULL), or to. */
static uint32_t bit_find_zero(const uint8_t *map, const uint8_t *settled, uint32_t from,
			      uint32_t to)
{
	uint32_t bit = from;

	while (bit < to) {
		uint8_t byte = map[bit / 8] | (settled ? settled[bit / 8] : 0);

		if (bit % 8 == 0 && byte == 0xff && bit + 8 <= to) {
			bit += 8;
			continue;
		}
		if (!(byte & (1u << (bit % 8))))
			return bit;
		bit++;
	}
	return to;
}

/*
 * A clear bit of bitmap blk in [from, to) that is also settled, or to;
 * notes in fs->unsettled a clear bit passed over.
 */
static int find_free(struct ext2_fs *fs, uint32_t blk, uint32_t from, uint32_t to, uint32_t *bit)
{
	const void *map, *settled;
	int err = ext2_bread(fs, blk, &map);

	if (!err)
		err = ext2_bsettled(fs, blk, &settled);
	if (err)
		return err;
	*bit = bit_find_zero(map, settled, from, to);
	if (*bit == to && settled && bit_find_zero(map, NULL, from, to) != to)
		fs->unsettled = true;
	return 0;
}

/* An allocation's answer: -ENOSPC becomes EXT2_UNSETTLED if freed bits were passed over. */
static int alloc_answer(struct ext2_fs *fs, int err)
{
	if (err == -ENOSPC && fs->unsettled)
		err = EXT2_UNSETTLED;
	fs->unsettled = false;
	return err;
}

static uint32_t group_blocks(const struct ext2_fs *fs, uint32_t g)
{
	uint32_t start = fs->first_data_block + g * fs->blocks_per_group;
	uint32_t left = fs->blocks_count - start;

	return left < fs->blocks_per_group ? left : fs->blocks_per_group;
}

static uint32_t group_inodes(const struct ext2_fs *fs, uint32_t g)
{
	uint32_t left = fs->inodes_count - g * fs->inodes_per_group;

	return left < fs->inodes_per_group ? left : fs->inodes_per_group;
}

/* Adds delta to the free-block counts of group g and of the superblock. */
static int count_blocks(struct ext2_fs *fs, uint32_t g, int delta)
{
	struct ext2_group_desc *gd;
	struct ext2_super *sb;
	int err = ext2_gd_write(fs, g, &gd);

	if (!err)
		err = ext2_sb_write(fs, &sb);
	if (err)
		return err;
	if ((delta < 0 && (!gd->bg_free_blocks_count || !sb->s_free_blocks_count)) ||
	    (delta > 0 && gd->bg_free_blocks_count >= group_blocks(fs, g)))
		return -EUCLEAN;
	gd->bg_free_blocks_count += delta;
	sb->s_free_blocks_count += delta;
	return 0;
}

static int count_inodes(struct ext2_fs *fs, uint32_t g, int delta, bool dir)
{
	struct ext2_group_desc *gd;
	struct ext2_super *sb;
	int err = ext2_gd_write(fs, g, &gd);

	if (!err)
		err = ext2_sb_write(fs, &sb);
	if (err)
		return err;
	if ((delta < 0 && (!gd->bg_free_inodes_count || !sb->s_free_inodes_count)) ||
	    (delta > 0 && gd->bg_free_inodes_count >= group_inodes(fs, g)))
		return -EUCLEAN;
	gd->bg_free_inodes_count += delta;
	sb->s_free_inodes_count += delta;
	if (dir && delta < 0)
		gd->bg_used_dirs_count++;
	if (dir && delta > 0 && gd->bg_used_dirs_count)
		gd->bg_used_dirs_count--;
	return 0;
}

/* Whether blk holds metadata of its group (a bitmap or the inode table). */
static bool is_group_meta(const struct ext2_fs *fs, const struct ext2_group_desc *gd, uint32_t blk)
{
	uint32_t itb = (fs->inodes_per_group * fs->inode_size) / fs->block_size;

	return blk == gd->bg_block_bitmap || blk == gd->bg_inode_bitmap ||
	       (blk >= gd->bg_inode_table && blk < gd->bg_inode_table + itb);
}

/* Takes a clear bit in [from, to) of group g's block bitmap; -ENOSPC if none. */
static int take_block(struct ext2_fs *fs, uint32_t g, uint32_t from, uint32_t to, uint32_t *blk)
{
	const struct ext2_group_desc *gd;
	uint8_t *wmap;
	uint32_t bit;
	int err = ext2_gd_read(fs, g, &gd);

	if (!err && gd->bg_free_blocks_count == 0)
		return -ENOSPC;
	if (!err)
		err = find_free(fs, gd->bg_block_bitmap, from, to, &bit);
	if (err)
		return err;
	if (bit == to)
		return -ENOSPC;
	*blk = fs->first_data_block + g * fs->blocks_per_group + bit;
	if (!ext2_block_ok(fs, *blk) || is_group_meta(fs, gd, *blk))
		return -EUCLEAN;
	err = ext2_bwrite_map(fs, gd->bg_block_bitmap, (void **)&wmap);
	if (err)
		return err;
	bit_flip(wmap, bit);
	return count_blocks(fs, g, -1);
}

int ext2_block_alloc(struct ext2_fs *fs, uint32_t goal, uint32_t *blk)
{
	uint32_t g0, start, i, g;
	int err;

	if (!ext2_block_ok(fs, goal))
		goal = fs->first_data_block + 1;
	g0 = (goal - fs->first_data_block) / fs->blocks_per_group;
	start = (goal - fs->first_data_block) % fs->blocks_per_group;
	err = take_block(fs, g0, start, group_blocks(fs, g0), blk);
	for (i = 1; err == -ENOSPC && i <= fs->groups; i++) {
		g = (g0 + i) % fs->groups;
		err = take_block(fs, g, 0, i == fs->groups ? start : group_blocks(fs, g), blk);
	}
	return alloc_answer(fs, err);
}

/*
 * Frees blk. Its bit must be set, unless may_be_free: the blocks of an
 * orphan, which a power cut in the middle of a write-back pass may have
 * left named by a pointer while its bitmap already said free (then the
 * counts are not touched: the mount after that cut counted them again).
 */
int ext2_block_free(struct ext2_fs *fs, uint32_t blk, bool may_be_free)
{
	const struct ext2_group_desc *gd;
	uint8_t *map;
	uint32_t g, bit;
	int err;

	if (!ext2_block_ok(fs, blk))
		return -EUCLEAN;
	g = (blk - fs->first_data_block) / fs->blocks_per_group;
	bit = (blk - fs->first_data_block) % fs->blocks_per_group;
	err = ext2_gd_read(fs, g, &gd);
	if (!err && is_group_meta(fs, gd, blk))
		return -EUCLEAN;
	if (!err)
		err = ext2_bwrite_map(fs, gd->bg_block_bitmap, (void **)&map);
	if (err)
		return err;
	if (!bit_test(map, bit))
		return may_be_free ? ext2_bforget(fs, blk)
				   : -EUCLEAN; /* else freed twice: two owners */
	bit_flip(map, bit);
	err = count_blocks(fs, g, 1);
	return err ? err : ext2_bforget(fs, blk);
}

static int take_inode(struct ext2_fs *fs, uint32_t g, bool dir, uint32_t *ino)
{
	const struct ext2_group_desc *gd;
	uint8_t *wmap;
	uint32_t bit = 0, n = group_inodes(fs, g);
	int err = ext2_gd_read(fs, g, &gd);

	if (!err && gd->bg_free_inodes_count == 0)
		return -ENOSPC;
	if (err)
		return err;
	if (g * fs->inodes_per_group < fs->first_ino)
		bit = fs->first_ino - 1 - g * fs->inodes_per_group;
	err = find_free(fs, gd->bg_inode_bitmap, bit < n ? bit : n, n, &bit);
	if (err)
		return err;
	if (bit == n)
		return -ENOSPC;
	err = ext2_bwrite_map(fs, gd->bg_inode_bitmap, (void **)&wmap);
	if (err)
		return err;
	bit_flip(wmap, bit);
	*ino = g * fs->inodes_per_group + bit + 1;
	return count_inodes(fs, g, -1, dir);
}

/* A directory goes to the group with the fewest directories that has room. */
static uint32_t dir_group(struct ext2_fs *fs, uint32_t fallback)
{
	const struct ext2_group_desc *gd;
	uint32_t g, best = fallback, best_dirs = UINT32_MAX;

	for (g = 0; g < fs->groups; g++) {
		if (ext2_gd_read(fs, g, &gd) || !gd->bg_free_inodes_count ||
		    !gd->bg_free_blocks_count)
			continue;
		if (gd->bg_used_dirs_count < best_dirs) {
			best = g;
			best_dirs = gd->bg_used_dirs_count;
		}
	}
	return best;
}

int ext2_inode_alloc(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *ino)
{
	uint32_t g0 = 0;
	int err = -ENOSPC;

	if (parent >= 1 && parent <= fs->inodes_count)
		g0 = (parent - 1) / fs->inodes_per_group;
	if (dir)
		g0 = dir_group(fs, g0);
	for (uint32_t i = 0; err == -ENOSPC && i < fs->groups; i++)
		err = take_inode(fs, (g0 + i) % fs->groups, dir, ino);
	return alloc_answer(fs, err);
}

/* Where inode ino's bit lives: its group, the bit, the group's bitmap block. */
static int inode_bit(struct ext2_fs *fs, uint32_t ino, uint32_t *g, uint32_t *bit, uint32_t *bitmap)
{
	const struct ext2_group_desc *gd;
	int err;

	if (ino < 1 || ino > fs->inodes_count)
		return -EUCLEAN;
	*g = (ino - 1) / fs->inodes_per_group;
	*bit = (ino - 1) % fs->inodes_per_group;
	err = ext2_gd_read(fs, *g, &gd);
	if (!err)
		*bitmap = gd->bg_inode_bitmap;
	return err;
}

int ext2_inode_free(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	uint32_t g, bit, bitmap;
	uint8_t *map;
	int err = inode_bit(fs, ino, &g, &bit, &bitmap);

	if (!err)
		err = ext2_bwrite_map(fs, bitmap, (void **)&map);
	if (err)
		return err;
	if (!bit_test(map, bit))
		return -EUCLEAN;
	bit_flip(map, bit);
	return count_inodes(fs, g, 1, dir);
}

int ext2_inode_in_use(struct ext2_fs *fs, uint32_t ino)
{
	uint32_t g, bit, bitmap;
	const uint8_t *map;
	int err = inode_bit(fs, ino, &g, &bit, &bitmap);

	if (!err)
		err = ext2_bread(fs, bitmap, (const void **)&map);
	return err ? err : bit_test(map, bit);
}

/* The clear bits of bitmap blk below n: copied out, so a pass over every group pins nothing. */
static int count_clear(struct ext2_fs *fs, uint32_t blk, uint32_t n, uint8_t *buf, uint32_t *clear)
{
	int err = ext2_bcopy(fs, blk, buf);

	*clear = 0;
	for (uint32_t bit = 0; !err && bit < n && bit < fs->block_size * 8; bit++)
		*clear += !bit_test(buf, bit);
	return err;
}

int ext2_recount(struct ext2_fs *fs, bool *changed)
{
	uint8_t *buf = ext2_io_alloc(fs->block_size);
	uint64_t blocks = 0, inodes = 0;
	const struct ext2_super *rsb;
	struct ext2_super *sb;
	int err = buf ? 0 : -ENOMEM;

	*changed = false;
	for (uint32_t g = 0; !err && g < fs->groups; g++) {
		const struct ext2_group_desc *gd;
		struct ext2_group_desc *wgd;
		uint32_t fb, fi;

		err = ext2_gd_read(fs, g, &gd);
		if (!err)
			err = count_clear(fs, gd->bg_block_bitmap, group_blocks(fs, g), buf, &fb);
		if (!err)
			err = count_clear(fs, gd->bg_inode_bitmap, group_inodes(fs, g), buf, &fi);
		if (!err && (gd->bg_free_blocks_count != fb || gd->bg_free_inodes_count != fi)) {
			err = ext2_gd_write(fs, g, &wgd);
			if (!err) {
				wgd->bg_free_blocks_count = (uint16_t)fb;
				wgd->bg_free_inodes_count = (uint16_t)fi;
				*changed = true;
			}
		}
		blocks += fb;
		inodes += fi;
	}
	if (!err)
		err = ext2_sb_read(fs, &rsb);
	if (err || (rsb->s_free_blocks_count == blocks && rsb->s_free_inodes_count == inodes))
		return err;
	err = ext2_sb_write(fs, &sb);
	if (!err) {
		sb->s_free_blocks_count = (uint32_t)blocks;
		sb->s_free_inodes_count = (uint32_t)inodes;
		*changed = true;
	}
	return err;
}
