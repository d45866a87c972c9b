/*
 * ext2 directories (include/fs/ext2.h): a directory is a file of blocks,
 * each a chain of entries (inode, rec_len, name_len, file type, name)
 * whose rec_lens add up to the block size. Lookup and readdir walk the
 * chain; adding an entry splits the spare room of an entry (or takes a
 * new block), removing one merges it into the entry before it. Called by
 * the operations of fs/ext2/namei.c and the ext2 service.
 *
 * Every entry is checked before it is used (rec_len a multiple of 4, at
 * least 8, inside the block and long enough for its name; the inode
 * number in range), so a corrupt directory gives -EUCLEAN.
 */
#include <fs/ext2.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/stat.h>

#define NO_PREV UINT32_MAX

/* Where an entry is. */
struct dir_pos {
	uint64_t lblk;
	uint32_t blk;  /* disk block */
	uint32_t off;  /* the entry's offset in it */
	uint32_t prev; /* the entry before it in the block, or NO_PREV */
};

/* > 0 stops the walk (returned by dir_walk), < 0 is an error. */
typedef int (*walk_fn)(struct ext2_fs *fs, const struct ext2_dirent *de, const struct dir_pos *pos,
		       void *ctx);

static uint32_t de_name_len(const struct ext2_fs *fs, const struct ext2_dirent *de)
{
	if (fs->incompat & EXT2_FEATURE_INCOMPAT_FILETYPE)
		return de->name_len;
	return de->name_len | (uint32_t)de->file_type << 8;
}

static int de_check(const struct ext2_fs *fs, const uint8_t *data, uint32_t off,
		    const struct ext2_dirent **out)
{
	const struct ext2_dirent *de = (const struct ext2_dirent *)(data + off);
	uint32_t nl;

	if (off + 8 > fs->block_size)
		return -EUCLEAN;
	nl = de_name_len(fs, de);
	if (de->rec_len < 8 || de->rec_len % 4 || off + de->rec_len > fs->block_size)
		return -EUCLEAN;
	if (nl > EXT2_NAME_MAX || 8 + nl > de->rec_len || de->inode > fs->inodes_count)
		return -EUCLEAN;
	*out = de;
	return 0;
}

static bool is_dot(const struct ext2_fs *fs, const struct ext2_dirent *de)
{
	uint32_t nl = de_name_len(fs, de);

	return (nl == 1 && de->name[0] == '.') ||
	       (nl == 2 && de->name[0] == '.' && de->name[1] == '.');
}

int ext2_name_ok(const char *name, size_t len)
{
	if (len > EXT2_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0 || memchr(name, '/', len) || memchr(name, 0, len))
		return -EINVAL;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	return 0;
}

static int dir_inode(struct ext2_fs *fs, uint64_t dir, const struct ext2_inode **in)
{
	int err = ext2_iread(fs, dir, in);

	if (!err && !S_ISDIR((*in)->i_mode))
		return -ENOTDIR;
	if (!err && (*in)->i_links_count == 0)
		return -ENOENT; /* removed */
	return err;
}

static int walk_block(struct ext2_fs *fs, uint64_t dir, uint64_t lblk, uint32_t skip, walk_fn fn,
		      void *ctx)
{
	struct dir_pos pos = { .lblk = lblk, .prev = NO_PREV };
	const struct ext2_dirent *de;
	const void *data;
	int err = ext2_bmap(fs, dir, lblk, false, &pos.blk);

	if (err || !pos.blk)
		return err; /* a hole has no entries */
	err = ext2_bread(fs, pos.blk, &data);
	for (pos.off = 0; !err && pos.off < fs->block_size; pos.off += de->rec_len) {
		err = de_check(fs, data, pos.off, &de);
		if (!err && pos.off >= skip)
			err = fn(fs, de, &pos, ctx);
		pos.prev = pos.off;
	}
	return err;
}

/* Calls fn for every entry (free ones too) from byte start on. */
static int dir_walk(struct ext2_fs *fs, uint64_t dir, uint64_t start, walk_fn fn, void *ctx)
{
	const struct ext2_inode *in;
	uint64_t nblocks, lblk;
	int err = dir_inode(fs, dir, &in);

	if (err)
		return err;
	nblocks = ext2_isize(in) / fs->block_size;
	for (lblk = start / fs->block_size; !err && lblk < nblocks; lblk++)
		err = walk_block(fs, dir, lblk,
				 lblk == start / fs->block_size ? start % fs->block_size : 0, fn,
				 ctx);
	return err;
}

struct find_ctx {
	const char *name;
	size_t len;
	uint32_t ino;
	struct dir_pos pos;
};

static int find_fn(struct ext2_fs *fs, const struct ext2_dirent *de, const struct dir_pos *pos,
		   void *ctx)
{
	struct find_ctx *f = ctx;

	if (!de->inode || de_name_len(fs, de) != f->len || memcmp(de->name, f->name, f->len))
		return 0;
	if (de->inode < EXT2_ROOT_INO)
		return -EUCLEAN;
	f->ino = de->inode;
	f->pos = *pos;
	return 1;
}

static int dir_find(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len,
		    struct find_ctx *f)
{
	int err = ext2_name_ok(name, len);

	f->name = name;
	f->len = len;
	if (!err)
		err = dir_walk(fs, dir, 0, find_fn, f);
	if (err < 0)
		return err;
	return err ? 0 : -ENOENT;
}

int ext2_lookup(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint32_t *ino)
{
	struct find_ctx f;
	int err = dir_find(fs, dir, name, len, &f);

	if (!err)
		*ino = f.ino;
	return err;
}

struct iter_ctx {
	ext2_dir_fn fn;
	void *ctx;
	uint64_t stop;
};

static int iter_fn(struct ext2_fs *fs, const struct ext2_dirent *de, const struct dir_pos *pos,
		   void *ctx)
{
	struct iter_ctx *it = ctx;
	uint64_t here = pos->lblk * fs->block_size + pos->off;
	int err;

	if (!de->inode || is_dot(fs, de))
		return 0;
	if (de->inode < EXT2_ROOT_INO)
		return -EUCLEAN;
	err = it->fn(it->ctx, de->name, de_name_len(fs, de), de->inode, here + de->rec_len);
	if (err > 0)
		it->stop = here;
	return err;
}

int ext2_iterate(struct ext2_fs *fs, uint64_t dir, uint64_t *cursor, ext2_dir_fn fn, void *ctx)
{
	struct iter_ctx it = { .fn = fn, .ctx = ctx, .stop = 0 };
	int err = dir_walk(fs, dir, *cursor, iter_fn, &it);

	if (err < 0)
		return err;
	*cursor = err ? it.stop : 0;
	return 0;
}

static uint8_t ftype_of(const struct ext2_fs *fs, uint32_t mode)
{
	static const uint8_t types[16] = {
		[S_IFREG >> 12] = EXT2_FT_REG,	   [S_IFDIR >> 12] = EXT2_FT_DIR,
		[S_IFCHR >> 12] = EXT2_FT_CHR,	   [S_IFBLK >> 12] = EXT2_FT_BLK,
		[S_IFIFO >> 12] = EXT2_FT_FIFO,	   [S_IFSOCK >> 12] = EXT2_FT_SOCK,
		[S_IFLNK >> 12] = EXT2_FT_SYMLINK,
	};

	if (!(fs->incompat & EXT2_FEATURE_INCOMPAT_FILETYPE))
		return 0;
	return types[(mode & S_IFMT) >> 12];
}

static void de_fill(const struct ext2_fs *fs, struct ext2_dirent *de, const char *name, size_t len,
		    uint32_t ino, uint32_t mode)
{
	de->inode = ino;
	de->name_len = (uint8_t)len;
	de->file_type = ftype_of(fs, mode);
	memcpy(de->name, name, len);
}

/* The directory changed: a hashed index would be stale now. */
static int dir_touched(struct ext2_fs *fs, uint64_t dir)
{
	struct ext2_inode *in;
	int err = ext2_iwrite(fs, dir, &in);

	if (!err)
		in->i_flags &= ~EXT2_INDEX_FL;
	return err;
}

struct add_ctx {
	uint32_t need;
	struct dir_pos pos;
};

static int room_fn(struct ext2_fs *fs, const struct ext2_dirent *de, const struct dir_pos *pos,
		   void *ctx)
{
	struct add_ctx *a = ctx;
	uint32_t used = de->inode ? EXT2_DIRENT_LEN(de_name_len(fs, de)) : 0;

	if (de->rec_len < used + a->need)
		return 0;
	a->pos = *pos;
	return 1;
}

/* Puts the entry into the room found at a->pos. */
static int add_here(struct ext2_fs *fs, const struct add_ctx *a, const char *name, size_t len,
		    uint32_t ino, uint32_t mode)
{
	struct ext2_dirent *de, *nde;
	uint8_t *data;
	uint32_t used;
	int err = ext2_bwrite(fs, a->pos.blk, (void **)&data);

	if (err)
		return err;
	de = (struct ext2_dirent *)(data + a->pos.off);
	used = de->inode ? EXT2_DIRENT_LEN(de_name_len(fs, de)) : 0;
	nde = (struct ext2_dirent *)(data + a->pos.off + used);
	if (used) {
		nde->rec_len = de->rec_len - used;
		de->rec_len = used;
	}
	de_fill(fs, nde, name, len, ino, mode);
	return 0;
}

/* Appends a block holding only the new entry. */
static int add_block(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint32_t ino,
		     uint32_t mode)
{
	struct ext2_inode *in;
	struct ext2_dirent *de;
	uint64_t size;
	uint32_t blk;
	int err = ext2_iwrite(fs, dir, &in);

	if (err)
		return err;
	size = ext2_isize(in);
	if (size % fs->block_size)
		return -EUCLEAN;
	err = ext2_bmap(fs, dir, size / fs->block_size, true, &blk);
	if (!err)
		err = ext2_bzero(fs, blk, (void **)&de);
	if (!err)
		err = ext2_iset_size(fs, in, size + fs->block_size);
	if (err)
		return err;
	de->rec_len = (uint16_t)fs->block_size;
	de_fill(fs, de, name, len, ino, mode);
	return 0;
}

int ext2_dir_add(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint32_t ino,
		 uint32_t mode)
{
	struct add_ctx a = { .need = EXT2_DIRENT_LEN(len) };
	int err = ext2_name_ok(name, len);

	if (!err)
		err = dir_walk(fs, dir, 0, room_fn, &a);
	if (err < 0)
		return err;
	if (err > 0)
		err = add_here(fs, &a, name, len, ino, mode);
	else
		err = add_block(fs, dir, name, len, ino, mode);
	return err ? err : dir_touched(fs, dir);
}

int ext2_dir_remove(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len)
{
	struct find_ctx f;
	struct ext2_dirent *de, *prev;
	uint8_t *data;
	int err = dir_find(fs, dir, name, len, &f);

	if (!err)
		err = ext2_bwrite(fs, f.pos.blk, (void **)&data);
	if (err)
		return err;
	de = (struct ext2_dirent *)(data + f.pos.off);
	if (f.pos.prev == NO_PREV) {
		de->inode = 0;
	} else {
		prev = (struct ext2_dirent *)(data + f.pos.prev);
		prev->rec_len += de->rec_len;
	}
	return dir_touched(fs, dir);
}

int ext2_dir_set(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint32_t ino,
		 uint32_t mode)
{
	struct find_ctx f;
	struct ext2_dirent *de;
	uint8_t *data;
	int err;

	if (len == 2 && name[0] == '.' && name[1] == '.') {
		f.name = name; /* ext2_name_ok refuses "..": walk directly */
		f.len = len;
		err = dir_walk(fs, dir, 0, find_fn, &f);
		err = err > 0 ? 0 : (err ? err : -EUCLEAN);
	} else {
		err = dir_find(fs, dir, name, len, &f);
	}
	if (!err)
		err = ext2_bwrite(fs, f.pos.blk, (void **)&data);
	if (err)
		return err;
	de = (struct ext2_dirent *)(data + f.pos.off);
	de->inode = ino;
	de->file_type = ftype_of(fs, mode);
	return dir_touched(fs, dir);
}

static int empty_fn(struct ext2_fs *fs, const struct ext2_dirent *de, const struct dir_pos *pos,
		    void *ctx)
{
	(void)pos;
	(void)ctx;
	return de->inode && !is_dot(fs, de) ? -ENOTEMPTY : 0;
}

int ext2_dir_empty(struct ext2_fs *fs, uint64_t dir)
{
	return dir_walk(fs, dir, 0, empty_fn, NULL);
}

int ext2_dir_init(struct ext2_fs *fs, uint32_t dir, uint32_t parent)
{
	struct ext2_inode *in;
	struct ext2_dirent *de;
	uint8_t *data;
	uint32_t blk;
	int err = ext2_bmap(fs, dir, 0, true, &blk);

	if (!err)
		err = ext2_bzero(fs, blk, (void **)&data);
	if (!err)
		err = ext2_iwrite(fs, dir, &in);
	if (err)
		return err;
	in->i_size = fs->block_size;
	de = (struct ext2_dirent *)data;
	de->rec_len = 12;
	de_fill(fs, de, ".", 1, dir, S_IFDIR);
	de = (struct ext2_dirent *)(data + 12);
	de->rec_len = (uint16_t)(fs->block_size - 12);
	de_fill(fs, de, "..", 2, parent, S_IFDIR);
	return 0;
}
