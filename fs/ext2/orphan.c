/*
 * The orphan chain of ext2 (include/fs/ext2.h, docs/ext2.md "Deleting in
 * steps"): inodes whose last name went while their blocks are not all
 * freed yet -- a file still open, or a delete that runs in several
 * requests. The superblock's s_last_orphan names the first; each
 * orphan's i_dtime names the next (0 ends the chain), as ext3/ext4 do
 * without a journal, so e2fsck -p/-y and the next read-write mount (the
 * core walks the chain with EXT2_EVICT, fs/ext2_vfs.c) finish what a
 * power cut or a crash interrupted. Called by fs/ext2/namei.c.
 *
 * Taking an inode off the chain walks it from the head: the chain holds
 * the files being deleted and those unlinked while open, a short list;
 * the walk is bounded by the inode count (a loop gives -EUCLEAN).
 */
#include <fs/ext2.h>
#include <uapi/errno.h>

static bool orphan_ok(const struct ext2_fs *fs, uint32_t ino)
{
	return ino >= fs->first_ino && ino <= fs->inodes_count;
}

int ext2_orphan_head(struct ext2_fs *fs, uint32_t *ino)
{
	const struct ext2_super *sb;
	int err = ext2_sb_read(fs, &sb);

	if (err)
		return err;
	*ino = sb->s_last_orphan;
	return *ino && !orphan_ok(fs, *ino) ? -EUCLEAN : 0;
}

int ext2_orphan_add(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_super *sb;
	struct ext2_inode *in;
	int err = orphan_ok(fs, ino) ? ext2_sb_write_link(fs, &sb) : -EUCLEAN;

	if (!err)
		err = ext2_iwrite(fs, ino, &in);
	if (err)
		return err;
	in->i_dtime = sb->s_last_orphan;
	sb->s_last_orphan = ino;
	return 0;
}

/* Takes ino off: whoever pointed at it (the superblock, or prev) now points at its next. */
static int unlink_orphan(struct ext2_fs *fs, uint32_t ino, uint32_t prev, uint32_t *next)
{
	struct ext2_inode *in, *pin;
	struct ext2_super *sb;
	int err = ext2_iwrite(fs, ino, &in);

	if (err)
		return err;
	*next = in->i_dtime;
	if (*next && !orphan_ok(fs, *next)) /* a deletion time: see ext2_orphan_leave */
		*next = orphan_ok(fs, in->i_faddr) ? in->i_faddr : 0;
	in->i_dtime = 0; /* no longer a link of the chain */
	if (!prev) {
		err = ext2_sb_write_link(fs, &sb);
		if (!err)
			sb->s_last_orphan = *next;
		return err;
	}
	err = ext2_iwrite_link(fs, prev, &pin);
	if (!err)
		pin->i_dtime = *next;
	return err;
}

/* Whether ino is on the chain (*on), and the orphan before it (0: the superblock names it). */
static int orphan_find(struct ext2_fs *fs, uint32_t ino, bool *on, uint32_t *before)
{
	const struct ext2_inode *rin;
	uint32_t cur, prev = 0, hops;
	int err = ext2_orphan_head(fs, &cur);

	*on = false;
	for (hops = 0; !err && cur && hops < fs->inodes_count; hops++) {
		if (cur == ino) {
			*on = true;
			*before = prev;
			return 0;
		}
		err = ext2_iread(fs, cur, &rin);
		if (!err && rin->i_dtime && !orphan_ok(fs, rin->i_dtime))
			err = -EUCLEAN;
		prev = cur;
		cur = err ? 0 : rin->i_dtime;
	}
	return err ? err : (cur ? -EUCLEAN : 0);
}

int ext2_orphan_on(struct ext2_fs *fs, uint32_t ino, bool *on)
{
	uint32_t prev;

	return orphan_find(fs, ino, on, &prev);
}

int ext2_orphan_del(struct ext2_fs *fs, uint32_t ino, uint32_t *next)
{
	uint32_t prev = 0;
	bool on;
	int err = orphan_find(fs, ino, &on, &prev);

	*next = 0;
	return err || !on ? err : unlink_orphan(fs, ino, prev, next); /* not on it: nothing to do */
}

int ext2_orphan_leave(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint32_t *next)
{
	int err = ext2_orphan_del(fs, ino, next);

	if (!err) {
		/* a time past every inode number: never read as a link (unlink_orphan) */
		in->i_dtime = in->i_ctime > fs->inodes_count ? in->i_ctime : fs->inodes_count + 1;
		in->i_faddr = *next;
	}
	return err;
}
