/*
 * ext2 inodes (include/fs/ext2.h): finding an inode's slot in its group's
 * inode table, reading it and changing it in the request's shadow of
 * that block, sizes (i_size_high of regular files), device numbers in
 * i_block and the attributes the protocol carries. Called by the whole
 * library and the ext2 service (fs/ext2/service.c).
 */
#include <fs/ext2.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/stat.h>

#define LARGE_SIZE 0x80000000ull /* from here on a file needs RO_COMPAT_LARGE_FILE */

/* The block and byte offset of inode ino's slot. */
static int inode_slot(struct ext2_fs *fs, uint64_t ino, uint64_t *blk, uint32_t *off)
{
	const struct ext2_group_desc *gd;
	uint64_t byte;
	int err;

	if (ino < 1 || ino > fs->inodes_count)
		return -EUCLEAN;
	err = ext2_gd_read(fs, (uint32_t)((ino - 1) / fs->inodes_per_group), &gd);
	if (err)
		return err;
	byte = ((ino - 1) % fs->inodes_per_group) * fs->inode_size;
	*blk = gd->bg_inode_table + byte / fs->block_size;
	*off = (uint32_t)(byte % fs->block_size);
	return 0;
}

int ext2_iread(struct ext2_fs *fs, uint64_t ino, const struct ext2_inode **in)
{
	const void *data;
	uint64_t blk;
	uint32_t off;
	int err = inode_slot(fs, ino, &blk, &off);

	if (!err)
		err = ext2_bread(fs, blk, &data);
	if (!err)
		*in = (const struct ext2_inode *)((const char *)data + off);
	return err;
}

static int iwrite(struct ext2_fs *fs, uint64_t ino, struct ext2_inode **in, bool link)
{
	void *data;
	uint64_t blk;
	uint32_t off;
	int err = inode_slot(fs, ino, &blk, &off);

	if (!err)
		err = ext2_bwrite_ordered(fs, blk, link ? EXT2_ORDER_LINK : EXT2_ORDER_PLAIN,
					  &data);
	if (!err)
		*in = (struct ext2_inode *)((char *)data + off);
	return err;
}

int ext2_iwrite(struct ext2_fs *fs, uint64_t ino, struct ext2_inode **in)
{
	return iwrite(fs, ino, in, false);
}

int ext2_iwrite_link(struct ext2_fs *fs, uint64_t ino, struct ext2_inode **in)
{
	return iwrite(fs, ino, in, true);
}

/* Zeroes the whole slot of a new inode (the bytes past 128 too). */
int ext2_iclear(struct ext2_fs *fs, uint64_t ino, struct ext2_inode **in)
{
	int err = ext2_iwrite(fs, ino, in);

	if (!err)
		memset(*in, 0, fs->inode_size);
	return err;
}

uint64_t ext2_isize(const struct ext2_inode *in)
{
	if (S_ISREG(in->i_mode))
		return in->i_size | (uint64_t)in->i_size_high << 32;
	return in->i_size;
}

static int large_file_feature(struct ext2_fs *fs)
{
	struct ext2_super *sb;
	int err;

	if (fs->ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)
		return 0;
	err = ext2_sb_write(fs, &sb);
	if (err)
		return err;
	if (sb->s_rev_level == 0)
		return -EFBIG; /* revision 0 has no feature flags */
	sb->s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
	return 0;
}

int ext2_iset_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size)
{
	int err;

	if (!S_ISREG(in->i_mode)) {
		if (size >> 32)
			return -EFBIG;
		in->i_size = (uint32_t)size;
		return 0;
	}
	if (size >= LARGE_SIZE) {
		err = large_file_feature(fs);
		if (err)
			return err;
	}
	in->i_size = (uint32_t)size;
	in->i_size_high = (uint32_t)(size >> 32);
	return 0;
}

/*
 * Device numbers: Linux's old 16-bit encoding in i_block[0] when major and
 * minor fit a byte, else its 32-bit encoding (the same as MKDEV) in i_block[1].
 */
uint32_t ext2_irdev(const struct ext2_inode *in)
{
	uint32_t old = in->i_block[0];

	if (old)
		return ((old >> 8) & 0xff) << 8 | (old & 0xff);
	return in->i_block[1];
}

void ext2_iset_rdev(struct ext2_inode *in, uint32_t rdev)
{
	uint32_t major = (rdev >> 8) & 0xfff;
	uint32_t minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);

	if (major < 256 && minor < 256) {
		in->i_block[0] = major << 8 | minor;
		in->i_block[1] = 0;
	} else {
		in->i_block[0] = 0;
		in->i_block[1] = rdev;
	}
}

bool ext2_has_blocks(struct ext2_fs *fs, const struct ext2_inode *in)
{
	uint32_t ea = in->i_file_acl ? fs->block_size / 512 : 0;

	if (S_ISREG(in->i_mode) || S_ISDIR(in->i_mode))
		return true;
	return S_ISLNK(in->i_mode) && in->i_blocks != ea;
}

int64_t ext2_time_get(uint32_t t)
{
	return (int32_t)t;
}

uint32_t ext2_time_put(int64_t t)
{
	if (t < INT32_MIN)
		t = INT32_MIN;
	if (t > INT32_MAX)
		t = INT32_MAX;
	return (uint32_t)(int32_t)t;
}

void ext2_inode_attr(uint64_t ino, const struct ext2_inode *in, struct ext2_attr *a)
{
	a->ino = ino;
	a->mode = in->i_mode;
	a->nlink = in->i_links_count;
	a->uid = in->i_uid | (uint32_t)in->i_uid_high << 16;
	a->gid = in->i_gid | (uint32_t)in->i_gid_high << 16;
	a->rdev = (S_ISCHR(in->i_mode) || S_ISBLK(in->i_mode)) ? ext2_irdev(in) : 0;
	a->size = (int64_t)ext2_isize(in);
	a->blocks = in->i_blocks;
	a->atime = ext2_time_get(in->i_atime);
	a->mtime = ext2_time_get(in->i_mtime);
	a->ctime = ext2_time_get(in->i_ctime);
}

int ext2_getattr(struct ext2_fs *fs, uint64_t ino, struct ext2_attr *a)
{
	const struct ext2_inode *in;
	int err = ext2_iread(fs, ino, &in);

	if (!err)
		ext2_inode_attr(ino, in, a);
	return err;
}
