/*
 * ext2 block and inode allocation (include/fs/ext2.h): the bitmaps, the
 * free counts of the group descriptors and of the superblock, and the
 * groups' directory counts, changed together in the request's shadow
 * blocks. Called by the block maps (fs/ext2/bmap.c) and the operations
 * of fs/ext2/namei.c. A bitmap that disagrees with a count or that would
 * hand out a metadata block gives -EUCLEAN.
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

/* The first clear bit in [from, to), or to. */
static uint32_t bit_find_zero(const uint8_t *map, uint32_t from, uint32_t to)
{
	uint32_t bit = from;

	while (bit < to) {
		if (bit % 8 == 0 && map[bit / 8] == 0xff && bit + 8 <= to) {
			bit += 8;
			continue;
		}
		if (!bit_test(map, bit))
			return bit;
		bit++;
	}
	return to;
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
	const void *map;
	uint8_t *wmap;
	uint32_t bit;
	int err = ext2_gd_read(fs, g, &gd);

	if (!err && gd->bg_free_blocks_count == 0)
		return -ENOSPC;
	if (!err)
		err = ext2_bread(fs, gd->bg_block_bitmap, &map);
	if (err)
		return err;
	bit = bit_find_zero(map, from, to);
	if (bit == to)
		return -ENOSPC;
	*blk = fs->first_data_block + g * fs->blocks_per_group + bit;
	if (!ext2_block_ok(fs, *blk) || is_group_meta(fs, gd, *blk))
		return -EUCLEAN;
	err = ext2_bwrite(fs, gd->bg_block_bitmap, (void **)&wmap);
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
	return err;
}

int ext2_block_free(struct ext2_fs *fs, uint32_t blk)
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
		err = ext2_bwrite(fs, gd->bg_block_bitmap, (void **)&map);
	if (err)
		return err;
	if (!bit_test(map, bit))
		return -EUCLEAN; /* freed twice: two owners */
	bit_flip(map, bit);
	err = count_blocks(fs, g, 1);
	return err ? err : ext2_bforget(fs, blk);
}

static int take_inode(struct ext2_fs *fs, uint32_t g, bool dir, uint32_t *ino)
{
	const struct ext2_group_desc *gd;
	const void *map;
	uint8_t *wmap;
	uint32_t bit = 0, n = group_inodes(fs, g);
	int err = ext2_gd_read(fs, g, &gd);

	if (!err && gd->bg_free_inodes_count == 0)
		return -ENOSPC;
	if (!err)
		err = ext2_bread(fs, gd->bg_inode_bitmap, &map);
	if (err)
		return err;
	if (g * fs->inodes_per_group < fs->first_ino)
		bit = fs->first_ino - 1 - g * fs->inodes_per_group;
	bit = bit_find_zero(map, bit < n ? bit : n, n);
	if (bit == n)
		return -ENOSPC;
	err = ext2_bwrite(fs, gd->bg_inode_bitmap, (void **)&wmap);
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
	uint32_t g0 = 0, i;
	int err = -ENOSPC;

	if (parent >= 1 && parent <= fs->inodes_count)
		g0 = (parent - 1) / fs->inodes_per_group;
	if (dir)
		g0 = dir_group(fs, g0);
	for (i = 0; err == -ENOSPC && i < fs->groups; i++)
		err = take_inode(fs, (g0 + i) % fs->groups, dir, ino);
	return err;
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
		err = ext2_bwrite(fs, bitmap, (void **)&map);
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
