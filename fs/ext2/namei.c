/*
 * ext2 operations on names and inodes (include/fs/ext2.h), one function
 * per request kind of the ext2 service (fs/ext2/service.c): create,
 * symlink, link, unlink/rmdir, rename, setattr, readlink and evict. Each
 * works in the request's shadow blocks (fs/ext2/txn.c), so one that
 * fails halfway changes nothing: the service aborts the transaction.
 * Freeing blocks (a smaller size, evict) is done in bounded steps, one
 * per request; an inode that lost its last name waits on the orphan
 * chain (fs/ext2/orphan.c) until its last step.
 *
 * The core checks permissions and that a directory is not moved below
 * itself; this file keeps the on-disk structure consistent: link counts
 * (a directory's ".." counts in its parent), the groups' directory
 * counts, free counts, and blocks freed when an inode is.
 */
#include <fs/ext2.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/stat.h>

#define EA_MAGIC 0xea020000u /* an extended-attribute block's header */

static int link_add(struct ext2_fs *fs, uint64_t ino, int delta, int64_t time)
{
	struct ext2_inode *in;
	int err = ext2_iwrite(fs, ino, &in);

	if (err)
		return err;
	if (delta > 0 && in->i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	if (delta < 0 && in->i_links_count == 0)
		return -EUCLEAN;
	in->i_links_count += delta;
	in->i_ctime = ext2_time_put(time);
	return 0;
}

/* A directory's entries changed at time. */
static int dir_stamp(struct ext2_fs *fs, uint64_t dir, int64_t time)
{
	struct ext2_inode *in;
	int err = ext2_iwrite(fs, dir, &in);

	if (!err)
		in->i_mtime = in->i_ctime = ext2_time_put(time);
	return err;
}

static int name_free(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len)
{
	uint32_t ino;
	int err = ext2_lookup(fs, dir, name, len, &ino);

	if (err == -ENOENT)
		return 0;
	return err ? err : -EEXIST;
}

/* A fresh inode with the common fields of n. */
static int new_inode(struct ext2_fs *fs, uint64_t dir, const struct ext2_new *n, uint32_t *ino,
		     struct ext2_inode **in)
{
	bool isdir = S_ISDIR(n->mode);
	int err = ext2_inode_alloc(fs, (uint32_t)dir, isdir, ino);

	if (!err)
		err = ext2_iclear(fs, *ino, in);
	if (err)
		return err;
	(*in)->i_mode = (uint16_t)(n->mode & (S_IFMT | 07777));
	(*in)->i_uid = (uint16_t)n->uid;
	(*in)->i_uid_high = (uint16_t)(n->uid >> 16);
	(*in)->i_gid = (uint16_t)n->gid;
	(*in)->i_gid_high = (uint16_t)(n->gid >> 16);
	(*in)->i_atime = (*in)->i_ctime = (*in)->i_mtime = ext2_time_put(n->time);
	(*in)->i_links_count = isdir ? 2 : 1;
	return 0;
}

static bool creatable(uint32_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode) || S_ISCHR(mode) || S_ISBLK(mode) || S_ISFIFO(mode) ||
	       S_ISSOCK(mode);
}

int ext2_create(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len,
		const struct ext2_new *n, struct ext2_attr *out)
{
	struct ext2_inode *in;
	uint32_t ino;
	int err = creatable(n->mode) ? name_free(fs, dir, name, len) : -EINVAL;

	if (!err && S_ISDIR(n->mode))
		err = link_add(fs, dir, 1, n->time);
	if (!err)
		err = new_inode(fs, dir, n, &ino, &in);
	if (err)
		return err;
	if (S_ISCHR(n->mode) || S_ISBLK(n->mode))
		ext2_iset_rdev(in, n->rdev);
	if (S_ISDIR(n->mode))
		err = ext2_dir_init(fs, ino, (uint32_t)dir);
	if (!err)
		err = ext2_dir_add(fs, dir, name, len, ino, n->mode);
	if (!err)
		err = dir_stamp(fs, dir, n->time);
	if (!err)
		err = ext2_getattr(fs, ino, out);
	return err;
}

static int symlink_body(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in,
			const struct ext2_new *n)
{
	uint32_t blk;
	void *data;
	int err;

	in->i_size = (uint32_t)n->target_len;
	if (n->target_len < EXT2_FAST_LINK_MAX) {
		memcpy(in->i_block, n->target, n->target_len);
		return 0;
	}
	err = ext2_bmap(fs, ino, 0, true, &blk);
	if (!err)
		err = ext2_bzero(fs, blk, &data);
	if (!err)
		memcpy(data, n->target, n->target_len);
	return err;
}

int ext2_symlink(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len,
		 const struct ext2_new *n, struct ext2_attr *out)
{
	struct ext2_new ln = *n;
	struct ext2_inode *in;
	uint32_t ino;
	int err = name_free(fs, dir, name, len);

	if (n->target_len == 0 || memchr(n->target, 0, n->target_len))
		return -EINVAL;
	if (n->target_len >= fs->block_size)
		return -ENAMETOOLONG;
	ln.mode = S_IFLNK | 0777;
	if (!err)
		err = new_inode(fs, dir, &ln, &ino, &in);
	if (!err)
		err = symlink_body(fs, ino, in, n);
	if (!err)
		err = ext2_dir_add(fs, dir, name, len, ino, ln.mode);
	if (!err)
		err = dir_stamp(fs, dir, n->time);
	if (!err)
		err = ext2_getattr(fs, ino, out);
	return err;
}

int ext2_link(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint64_t ino,
	      int64_t time, struct ext2_attr *out)
{
	const struct ext2_inode *in;
	int err = ext2_iread(fs, ino, &in);

	if (!err && S_ISDIR(in->i_mode))
		return -EPERM;
	if (!err && in->i_links_count == 0)
		return -ENOENT;
	if (!err)
		err = name_free(fs, dir, name, len);
	if (!err)
		err = link_add(fs, ino, 1, time);
	if (!err)
		err = ext2_dir_add(fs, dir, name, len, (uint32_t)ino, in->i_mode);
	if (!err)
		err = dir_stamp(fs, dir, time);
	if (!err)
		err = ext2_getattr(fs, ino, out);
	return err;
}

/*
 * ino loses the name that dir had for it; a directory loses its ".." link
 * to dir. An inode left with no links goes on the orphan chain: its
 * blocks are freed later (EXT2_EVICT), in steps, or by the next mount.
 */
static int drop_name(struct ext2_fs *fs, uint64_t dir, uint32_t ino, int64_t time)
{
	struct ext2_inode *in;
	int err = ext2_iwrite(fs, ino, &in);

	if (err)
		return err;
	if (S_ISDIR(in->i_mode)) {
		in->i_links_count = 0;
		in->i_ctime = ext2_time_put(time);
		err = link_add(fs, dir, -1, time);
	} else {
		err = link_add(fs, ino, -1, time);
	}
	if (!err && in->i_links_count == 0)
		err = ext2_orphan_add(fs, ino);
	return err;
}

/* Whether the entry for ino may go (or be replaced by a want_dir-or-not). */
static int removable(struct ext2_fs *fs, uint32_t ino, bool want_dir)
{
	const struct ext2_inode *in;
	int err = ext2_iread(fs, ino, &in);

	if (err)
		return err;
	if (want_dir && !S_ISDIR(in->i_mode))
		return -ENOTDIR;
	if (!want_dir && S_ISDIR(in->i_mode))
		return -EISDIR;
	return want_dir ? ext2_dir_empty(fs, ino) : 0;
}

int ext2_unlink(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint64_t ino,
		bool is_dir, int64_t time, struct ext2_attr *out)
{
	uint32_t found;
	int err = ext2_lookup(fs, dir, name, len, &found);

	if (!err && ino && found != ino)
		return -ESTALE;
	if (!err)
		err = removable(fs, found, is_dir);
	if (!err)
		err = ext2_dir_remove(fs, dir, name, len);
	if (!err)
		err = drop_name(fs, dir, found, time);
	if (!err)
		err = dir_stamp(fs, dir, time);
	if (!err)
		err = ext2_getattr(fs, found, out);
	return err;
}

/* A directory ino moved from odir to ndir: its ".." and both link counts. */
static int reparent(struct ext2_fs *fs, uint32_t ino, uint64_t odir, uint64_t ndir, int64_t time)
{
	int err = ext2_dir_set(fs, ino, "..", 2, (uint32_t)ndir, S_IFDIR);

	if (!err)
		err = link_add(fs, odir, -1, time);
	if (!err)
		err = link_add(fs, ndir, 1, time);
	return err;
}

static uint32_t mode_of(struct ext2_fs *fs, uint32_t ino)
{
	const struct ext2_inode *in;

	return ext2_iread(fs, ino, &in) ? 0 : in->i_mode;
}

static int rename_exchange(struct ext2_fs *fs, uint64_t odir, const char *oname, size_t olen,
			   uint64_t ndir, const char *nname, size_t nlen, uint32_t oino,
			   uint32_t nino, int64_t time)
{
	uint32_t omode = mode_of(fs, oino), nmode = mode_of(fs, nino);
	int err = ext2_dir_set(fs, odir, oname, olen, nino, nmode);

	if (!err)
		err = ext2_dir_set(fs, ndir, nname, nlen, oino, omode);
	if (!err && odir != ndir && S_ISDIR(omode))
		err = reparent(fs, oino, odir, ndir, time);
	if (!err && odir != ndir && S_ISDIR(nmode))
		err = reparent(fs, nino, ndir, odir, time);
	if (!err)
		err = link_add(fs, oino, 0, time);
	if (!err)
		err = link_add(fs, nino, 0, time);
	return err;
}

/* oname moves to nname, replacing nino if it is not 0. */
static int rename_move(struct ext2_fs *fs, uint64_t odir, const char *oname, size_t olen,
		       uint64_t ndir, const char *nname, size_t nlen, uint32_t oino, uint32_t nino,
		       int64_t time)
{
	uint32_t omode = mode_of(fs, oino);
	int err = nino ? removable(fs, nino, S_ISDIR(omode)) : 0;

	if (!err && nino)
		err = ext2_dir_set(fs, ndir, nname, nlen, oino, omode);
	if (!err && nino)
		err = drop_name(fs, ndir, nino, time);
	if (!err && !nino)
		err = ext2_dir_add(fs, ndir, nname, nlen, oino, omode);
	if (!err)
		err = ext2_dir_remove(fs, odir, oname, olen);
	if (!err && odir != ndir && S_ISDIR(omode))
		err = reparent(fs, oino, odir, ndir, time);
	if (!err)
		err = link_add(fs, oino, 0, time);
	return err;
}

int ext2_rename(struct ext2_fs *fs, uint64_t odir, const char *oname, size_t olen, uint64_t ndir,
		const char *nname, size_t nlen, uint32_t flags, int64_t time)
{
	uint32_t oino, nino = 0;
	int err = ext2_lookup(fs, odir, oname, olen, &oino);

	if (err)
		return err;
	if ((flags & RENAME_EXCHANGE) && (flags & RENAME_NOREPLACE))
		return -EINVAL;
	err = ext2_lookup(fs, ndir, nname, nlen, &nino);
	if (err && err != -ENOENT)
		return err;
	if (nino && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (!nino && (flags & RENAME_EXCHANGE))
		return -ENOENT;
	if (nino == oino)
		return 0; /* two names of one inode: nothing to do */
	if (flags & RENAME_EXCHANGE)
		err = rename_exchange(fs, odir, oname, olen, ndir, nname, nlen, oino, nino, time);
	else
		err = rename_move(fs, odir, oname, olen, ndir, nname, nlen, oino, nino, time);
	if (!err)
		err = dir_stamp(fs, odir, time);
	if (!err)
		err = dir_stamp(fs, ndir, time);
	return err;
}

/* The size a truncate step leaves: the target once done, else where the freed blocks begin. */
static uint64_t step_size(struct ext2_fs *fs, uint64_t old, uint64_t target, bool done,
			  uint64_t low)
{
	uint64_t at = low * fs->block_size;

	if (done || at <= target)
		return target;
	return at < old ? at : old;
}

/* A smaller size frees blocks from the end, one bounded step per request. */
static int set_size(struct ext2_fs *fs, uint64_t ino, struct ext2_inode *in, int64_t size)
{
	uint64_t keep = ((uint64_t)size + fs->block_size - 1) / fs->block_size, low = 0;
	uint64_t old = ext2_isize(in);
	bool done = true;
	int err = 0;

	if (S_ISDIR(in->i_mode))
		return -EISDIR;
	if (!S_ISREG(in->i_mode) || size < 0)
		return -EINVAL;
	if ((uint64_t)size < old)
		err = ext2_truncate_step(fs, ino, keep, false, &done, &low);
	return err ? err : ext2_iset_size(fs, in, step_size(fs, old, (uint64_t)size, done, low));
}

int ext2_setattr(struct ext2_fs *fs, uint64_t ino, const struct ext2_setattr *sa,
		 struct ext2_attr *out)
{
	struct ext2_inode *in;
	int err = ext2_iwrite(fs, ino, &in);

	if (!err && (sa->valid & EXT2_ATTR_SIZE))
		err = set_size(fs, ino, in, sa->size);
	if (err)
		return err;
	if (sa->valid & EXT2_ATTR_MODE)
		in->i_mode = (uint16_t)((in->i_mode & S_IFMT) | (sa->mode & 07777));
	if (sa->valid & EXT2_ATTR_UID) {
		in->i_uid = (uint16_t)sa->uid;
		in->i_uid_high = (uint16_t)(sa->uid >> 16);
	}
	if (sa->valid & EXT2_ATTR_GID) {
		in->i_gid = (uint16_t)sa->gid;
		in->i_gid_high = (uint16_t)(sa->gid >> 16);
	}
	if (sa->valid & EXT2_ATTR_ATIME)
		in->i_atime = ext2_time_put(sa->atime);
	if (sa->valid & EXT2_ATTR_MTIME)
		in->i_mtime = ext2_time_put(sa->mtime);
	in->i_ctime = ext2_time_put(sa->ctime);
	ext2_inode_attr(ino, in, out);
	return 0;
}

int ext2_readlink(struct ext2_fs *fs, uint64_t ino, char *buf, size_t size)
{
	const struct ext2_inode *in;
	const void *data;
	uint32_t blk;
	int err = ext2_iread(fs, ino, &in);

	if (err)
		return err;
	if (!S_ISLNK(in->i_mode))
		return -EINVAL;
	if (in->i_size >= fs->block_size || in->i_size > size)
		return -EUCLEAN;
	if (!ext2_has_blocks(fs, in)) {
		if (in->i_size >= EXT2_FAST_LINK_MAX)
			return -EUCLEAN;
		memcpy(buf, in->i_block, in->i_size);
		return (int)in->i_size;
	}
	err = ext2_bmap(fs, ino, 0, false, &blk);
	if (!err && !blk)
		err = -EUCLEAN;
	if (!err)
		err = ext2_bread(fs, blk, &data);
	if (err)
		return err;
	memcpy(buf, data, in->i_size);
	return (int)in->i_size;
}

/* Drops the inode's reference to its extended-attribute block. */
static int free_ea(struct ext2_fs *fs, struct ext2_inode *in)
{
	uint32_t *hdr, n = fs->block_size / 512;
	int err = ext2_bwrite(fs, in->i_file_acl, (void **)&hdr);

	if (err)
		return err;
	if (hdr[0] == EA_MAGIC && hdr[1] > 1)
		hdr[1]--;
	else
		err = ext2_block_free(fs, in->i_file_acl, true);
	in->i_blocks = in->i_blocks > n ? in->i_blocks - n : 0;
	in->i_file_acl = 0;
	return err;
}

/* The last step: the inode leaves the orphan chain and its bitmap. */
static int evict_last(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint32_t *next)
{
	int err = in->i_file_acl ? free_ea(fs, in) : 0;

	if (!err)
		err = ext2_orphan_leave(fs, ino, in, next);
	if (err)
		return err;
	in->i_size = 0;
	in->i_size_high = 0;
	return ext2_inode_free(fs, ino, S_ISDIR(in->i_mode));
}

/* One step of freeing the blocks of ino (no links), from the end; *done when none is left. */
static int evict_blocks(struct ext2_fs *fs, uint64_t ino, struct ext2_inode *in, bool *done)
{
	uint64_t low = 0;
	int err;

	*done = true;
	if (!ext2_has_blocks(fs, in))
		return 0;
	err = ext2_truncate_step(fs, ino, 0, true, done, &low);
	if (!err && !*done)
		err = ext2_iset_size(fs, in, step_size(fs, ext2_isize(in), 0, false, low));
	return err;
}

/*
 * ino's bit is clear: a repeated request, or a power cut in the middle of
 * a write-back pass (the bitmaps go first, include/fs/bcache.h) after
 * ino's last step. Then it is still on the chain, and the disk may hold
 * any mix of that step's blocks: its pointers may name blocks still in
 * use (freed again, in steps) or already free (passed over); then it
 * leaves the chain.
 */
static int evict_freed(struct ext2_fs *fs, uint32_t ino, bool *more, uint32_t *next)
{
	struct ext2_inode *in;
	bool on, done;
	int err = ext2_orphan_on(fs, ino, &on);

	if (err || !on)
		return err;
	err = ext2_iwrite(fs, ino, &in);
	if (!err && in->i_links_count)
		return -EUCLEAN; /* free in the bitmap, named by a directory */
	if (!err)
		err = evict_blocks(fs, ino, in, &done);
	if (err || !done) {
		*more = !err;
		return err;
	}
	return ext2_orphan_leave(fs, ino, in, next);
}

int ext2_evict_step(struct ext2_fs *fs, uint64_t ino, bool *more, uint32_t *next)
{
	const struct ext2_inode *rin;
	struct ext2_inode *in;
	bool done;
	int err = ino < fs->first_ino || ino > fs->inodes_count ? -EUCLEAN : 0;

	*more = false;
	*next = 0;
	if (!err)
		err = ext2_inode_in_use(fs, (uint32_t)ino);
	if (err < 0)
		return err;
	if (err == 0)
		return evict_freed(fs, (uint32_t)ino, more, next);
	err = ext2_iread(fs, ino, &rin);
	if (err || !rin->i_mode)
		return err;
	if (rin->i_links_count) /* linked: nothing to free (an ext3 truncate orphan leaves the chain) */
		return ext2_orphan_del(fs, (uint32_t)ino, next);
	err = ext2_iwrite(fs, ino, &in);
	if (!err)
		err = evict_blocks(fs, ino, in, &done);
	if (err || !done) {
		*more = !err;
		return err;
	}
	return evict_last(fs, (uint32_t)ino, in, next);
}
