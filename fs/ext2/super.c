/*
 * ext2 superblock and block group descriptors (include/fs/ext2.h): mount
 * checks every superblock field the library later uses as an index or a
 * size, and every group descriptor is range-checked each time it is read,
 * so that a hostile image gives -EINVAL (unsupported) or -EUCLEAN
 * (corrupt), never an access outside the file system. Called by the
 * ext2 service (fs/ext2/service.c) and the rest of the library.
 */
#include <fs/ext2.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>

#define EXT2_DYNAMIC_REV 1

static uint32_t div_up(uint32_t a, uint32_t b)
{
	return a / b + (a % b != 0);
}

bool ext2_block_ok(const struct ext2_fs *fs, uint64_t blk)
{
	return blk > fs->first_data_block && blk < fs->blocks_count;
}

/* Block size, revision and features: what decides whether we can read it at all. */
static int sb_check_format(struct ext2_fs *fs, const struct ext2_super *sb)
{
	if (sb->s_magic != EXT2_MAGIC)
		return -EINVAL;
	if (sb->s_log_block_size > 2 || sb->s_rev_level > EXT2_DYNAMIC_REV)
		return -EINVAL;
	fs->log_block_size = sb->s_log_block_size;
	fs->block_size = 1024u << sb->s_log_block_size;
	fs->incompat = 0;
	fs->ro_compat = 0;
	fs->inode_size = EXT2_GOOD_OLD_ISIZE;
	fs->first_ino = EXT2_GOOD_OLD_INO;
	if (sb->s_rev_level == EXT2_DYNAMIC_REV) {
		fs->incompat = sb->s_feature_incompat;
		fs->ro_compat = sb->s_feature_ro_compat;
		fs->inode_size = sb->s_inode_size;
		fs->first_ino = sb->s_first_ino;
	}
	if (fs->incompat & ~EXT2_FEATURE_INCOMPAT_SUPP)
		return -EINVAL;
	if (fs->ro_compat & ~EXT2_FEATURE_RO_COMPAT_SUPP)
		fs->rdonly = true;
	return 0;
}

/* The geometry: counts and sizes that index everything else. */
static int sb_check_geometry(struct ext2_fs *fs, const struct ext2_super *sb)
{
	uint32_t bits = fs->block_size * 8, gdt_blocks;

	fs->blocks_count = sb->s_blocks_count;
	fs->inodes_count = sb->s_inodes_count;
	fs->first_data_block = sb->s_first_data_block;
	fs->blocks_per_group = sb->s_blocks_per_group;
	fs->inodes_per_group = sb->s_inodes_per_group;
	if (fs->first_data_block != (fs->block_size == 1024 ? 1u : 0u))
		return -EUCLEAN;
	if (fs->blocks_per_group < 8 || fs->blocks_per_group > bits || fs->blocks_per_group % 8)
		return -EUCLEAN;
	if (fs->inodes_per_group < 8 || fs->inodes_per_group > bits || fs->inodes_per_group % 8)
		return -EUCLEAN;
	if (fs->inode_size < EXT2_GOOD_OLD_ISIZE || fs->inode_size > fs->block_size ||
	    (fs->inode_size & (fs->inode_size - 1)))
		return -EUCLEAN;
	if (fs->blocks_count <= fs->first_data_block + 2)
		return -EUCLEAN;
	fs->groups = div_up(fs->blocks_count - fs->first_data_block, fs->blocks_per_group);
	if (fs->inodes_count == 0 || fs->inodes_count / fs->inodes_per_group > fs->groups ||
	    (uint64_t)fs->groups * fs->inodes_per_group < fs->inodes_count)
		return -EUCLEAN;
	if (fs->first_ino < EXT2_GOOD_OLD_INO || fs->first_ino >= fs->inodes_count)
		return -EUCLEAN;
	fs->desc_per_block = fs->block_size / sizeof(struct ext2_group_desc);
	fs->ptrs_per_block = fs->block_size / 4;
	gdt_blocks = div_up(fs->groups, fs->desc_per_block);
	if (fs->first_data_block + 1 + (uint64_t)gdt_blocks >= fs->blocks_count)
		return -EUCLEAN;
	return 0;
}

int ext2_mount(struct ext2_fs *fs, void *dev, uint32_t flags)
{
	static struct ext2_super sb; /* one service thread: not on its stack */
	int err;

	fs->dev = dev;
	fs->txn = NULL;
	fs->rdonly = (flags & EXT2_MOUNT_RDONLY) != 0;
	err = ext2_io_probe(dev, &sb);
	if (err)
		return err;
	err = sb_check_format(fs, &sb);
	if (!err)
		err = sb_check_geometry(fs, &sb);
	ext2_io_probe_end(dev, err ? 1024 : fs->block_size);
	if (err)
		return err;
	fs->sb_block = EXT2_SB_OFFSET / fs->block_size;
	fs->sb_offset = EXT2_SB_OFFSET % fs->block_size;
	return 0;
}

int ext2_sb_read(struct ext2_fs *fs, const struct ext2_super **sb)
{
	const void *data;
	int err = ext2_bread(fs, fs->sb_block, &data);

	if (!err)
		*sb = (const struct ext2_super *)((const char *)data + fs->sb_offset);
	return err;
}

static int sb_write(struct ext2_fs *fs, struct ext2_super **sb, bool link)
{
	void *data;
	int err = ext2_bwrite_ordered(fs, fs->sb_block, link ? EXT2_ORDER_ROOT : EXT2_ORDER_PLAIN,
				      &data);

	if (!err)
		*sb = (struct ext2_super *)((char *)data + fs->sb_offset);
	return err;
}

int ext2_sb_write(struct ext2_fs *fs, struct ext2_super **sb)
{
	return sb_write(fs, sb, false);
}

int ext2_sb_write_link(struct ext2_fs *fs, struct ext2_super **sb)
{
	return sb_write(fs, sb, true);
}

/* Whether a descriptor's bitmaps and inode table lie inside the file system. */
static int gd_check(const struct ext2_fs *fs, const struct ext2_group_desc *gd)
{
	uint64_t itb = ((uint64_t)fs->inodes_per_group * fs->inode_size) / fs->block_size;

	if (!ext2_block_ok(fs, gd->bg_block_bitmap) || !ext2_block_ok(fs, gd->bg_inode_bitmap))
		return -EUCLEAN;
	if (!ext2_block_ok(fs, gd->bg_inode_table) || gd->bg_inode_table + itb > fs->blocks_count)
		return -EUCLEAN;
	return 0;
}

static uint64_t gd_block(const struct ext2_fs *fs, uint32_t group)
{
	return fs->first_data_block + 1 + group / fs->desc_per_block;
}

int ext2_gd_read(struct ext2_fs *fs, uint32_t group, const struct ext2_group_desc **gd)
{
	const void *data;
	const struct ext2_group_desc *d;
	int err;

	if (group >= fs->groups)
		return -EUCLEAN;
	err = ext2_bread(fs, gd_block(fs, group), &data);
	if (err)
		return err;
	d = (const struct ext2_group_desc *)data + group % fs->desc_per_block;
	err = gd_check(fs, d);
	if (!err)
		*gd = d;
	return err;
}

int ext2_gd_write(struct ext2_fs *fs, uint32_t group, struct ext2_group_desc **gd)
{
	void *data;
	struct ext2_group_desc *d;
	int err;

	if (group >= fs->groups)
		return -EUCLEAN;
	err = ext2_bwrite(fs, gd_block(fs, group), &data);
	if (err)
		return err;
	d = (struct ext2_group_desc *)data + group % fs->desc_per_block;
	err = gd_check(fs, d);
	if (!err)
		*gd = d;
	return err;
}

int ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st)
{
	const struct ext2_super *sb;
	int err = ext2_sb_read(fs, &sb);

	if (err)
		return err;
	st->blocks = fs->blocks_count;
	st->free_blocks = MIN(sb->s_free_blocks_count, fs->blocks_count);
	st->inodes = fs->inodes_count;
	st->free_inodes = MIN(sb->s_free_inodes_count, fs->inodes_count);
	st->block_size = fs->block_size;
	st->root_blocks = MIN(sb->s_r_blocks_count, st->free_blocks);
	return 0;
}
