/*
 * The ext2 service (include/fs/ext2_proto.h, docs/ext2.md): the service
 * framework (svc/service.c) calls handle() in the service's thread for
 * each request the core's ext2 glue (fs/ext2_vfs.c) sends. handle()
 * parses the whole payload first (a malformed one gets -EPROTO before
 * anything happens), runs the operation of the ext2 library in a
 * transaction of shadow blocks (fs/ext2/txn.c), and commits it to the
 * block cache only when the operation succeeded and its reply fit.
 *
 * init() rebuilds the state after a start or a crash: the mounted file
 * systems come from the core's list (ext2_core_for_each_mount) and their
 * superblocks from the block cache, which holds everything committed.
 */
#include <fs/ext2.h>
#include <svc/service.h>
#include <drivers/block.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/stat.h>

#define TARGET_MAX 4095 /* longest symlink target (the largest block size, less 1) */

struct name {
	char s[EXT2_NAME_MAX + 1];
	size_t len;
};

static void get_name(struct svc_reader *r, struct name *n)
{
	long len = svc_get_str(r, n->s, sizeof(n->s));

	n->len = len < 0 ? 0 : (size_t)len;
}

/* Whether the request was read to its last byte without error. */
static int parsed(struct svc_reader *r)
{
	return svc_reader_done(r) ? 0 : -EPROTO;
}

static int put_attr_of(struct ext2_fs *fs, uint64_t ino, struct svc_writer *w)
{
	struct ext2_attr a;
	int err = ext2_getattr(fs, ino, &a);

	if (!err)
		ext2_put_attr(w, &a);
	return err;
}

static int op_getattr(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	uint64_t ino = svc_get_u64(r);

	return parsed(r) ?: put_attr_of(fs, ino, w);
}

struct readdir_ctx {
	struct ext2_fs *fs;
	struct svc_writer *w;
	uint32_t count;
};

static int readdir_fn(void *ctx, const char *name, size_t len, uint32_t ino, uint64_t next)
{
	struct readdir_ctx *c = ctx;

	(void)next;
	if (c->w->cap - c->w->len < 4 + len + EXT2_ATTR_BYTES)
		return 1; /* the reply is full: resume here */
	svc_put_str(c->w, name, len);
	c->count++;
	return put_attr_of(c->fs, ino, c->w);
}

static void patch_le(struct svc_writer *w, size_t at, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w->buf[at + i] = (uint8_t)(v >> (8 * i));
}

static int op_readdir(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	struct readdir_ctx c = { .fs = fs, .w = w };
	uint64_t dir = svc_get_u64(r), cursor = svc_get_u64(r);
	size_t at = w->len;
	int err = parsed(r);

	if (err)
		return err;
	svc_put_u64(w, 0);
	svc_put_u32(w, 0);
	if (w->overflow)
		return -EOVERFLOW;
	err = ext2_iterate(fs, dir, &cursor, readdir_fn, &c);
	if (!err && cursor && !c.count)
		err = -EOVERFLOW; /* not even one entry fits the reply */
	patch_le(w, at, cursor, 8);
	patch_le(w, at + 8, c.count, 4);
	return err;
}

static int op_create(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	struct ext2_new n = { 0 };
	struct ext2_attr a;
	struct name name;
	uint64_t dir = svc_get_u64(r);
	int err;

	get_name(r, &name);
	n.mode = svc_get_u32(r);
	n.rdev = svc_get_u32(r);
	n.uid = svc_get_u32(r);
	n.gid = svc_get_u32(r);
	n.time = svc_get_i64(r);
	err = parsed(r) ?: ext2_create(fs, dir, name.s, name.len, &n, &a);
	if (!err)
		ext2_put_attr(w, &a);
	return err;
}

static int op_symlink(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	struct ext2_new n = { 0 };
	struct ext2_attr a;
	struct name name;
	const void *target;
	uint64_t dir = svc_get_u64(r);
	int err;

	get_name(r, &name);
	n.target_len = svc_get_bytes(r, &target, TARGET_MAX);
	n.target = target;
	n.uid = svc_get_u32(r);
	n.gid = svc_get_u32(r);
	n.time = svc_get_i64(r);
	err = parsed(r) ?: ext2_symlink(fs, dir, name.s, name.len, &n, &a);
	if (!err)
		ext2_put_attr(w, &a);
	return err;
}

static int op_link(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	struct ext2_attr a;
	struct name name;
	uint64_t dir = svc_get_u64(r), ino;
	int64_t time;
	int err;

	get_name(r, &name);
	ino = svc_get_u64(r);
	time = svc_get_i64(r);
	err = parsed(r) ?: ext2_link(fs, dir, name.s, name.len, ino, time, &a);
	if (!err)
		ext2_put_attr(w, &a);
	return err;
}

static int op_unlink(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	struct ext2_attr a;
	struct name name;
	uint64_t dir = svc_get_u64(r), ino;
	uint32_t is_dir;
	int64_t time;
	int err;

	get_name(r, &name);
	ino = svc_get_u64(r);
	is_dir = svc_get_u32(r);
	time = svc_get_i64(r);
	err = parsed(r) ?: ext2_unlink(fs, dir, name.s, name.len, ino, is_dir != 0, time, &a);
	if (!err)
		ext2_put_attr(w, &a);
	return err;
}

static int op_rename(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	struct name oname, nname;
	uint64_t odir = svc_get_u64(r), ndir;
	uint32_t flags;
	int64_t time;

	(void)w;
	get_name(r, &oname);
	ndir = svc_get_u64(r);
	get_name(r, &nname);
	flags = svc_get_u32(r);
	time = svc_get_i64(r);
	return parsed(r)
		       ?: ext2_rename(fs, odir, oname.s, oname.len, ndir, nname.s, nname.len, flags,
				      time);
}

static int op_setattr(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	struct ext2_setattr sa;
	struct ext2_attr a;
	uint64_t ino = svc_get_u64(r);
	int err;

	sa.valid = svc_get_u32(r);
	sa.mode = svc_get_u32(r);
	sa.uid = svc_get_u32(r);
	sa.gid = svc_get_u32(r);
	sa.size = svc_get_i64(r);
	sa.atime = svc_get_i64(r);
	sa.mtime = svc_get_i64(r);
	sa.ctime = svc_get_i64(r);
	err = parsed(r) ?: ext2_setattr(fs, ino, &sa, &a);
	if (!err)
		ext2_put_attr(w, &a);
	return err;
}

static int op_readlink(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	uint64_t ino = svc_get_u64(r);
	char *buf = ext2_io_alloc(fs->block_size);
	int len = parsed(r);

	if (!len && !buf)
		len = -ENOMEM;
	if (!len)
		len = ext2_readlink(fs, ino, buf, fs->block_size);
	if (len < 0)
		return len;
	svc_put_bytes(w, buf, (size_t)len);
	return 0;
}

static int bmap_all(struct ext2_fs *fs, uint64_t ino, uint64_t first, uint32_t n, bool alloc,
		    struct svc_writer *w)
{
	uint32_t blk;
	int err = 0;

	svc_put_u32(w, n);
	for (uint32_t i = 0; !err && i < n; i++) {
		err = ext2_bmap(fs, ino, first + i, alloc, &blk);
		svc_put_u64(w, blk);
	}
	return err;
}

/* The blocks (data and indirect) the inode gained since it counted before (512-byte units). */
static int put_allocated(struct ext2_fs *fs, uint64_t ino, uint32_t before, struct svc_writer *w)
{
	const struct ext2_inode *in;
	int err = ext2_iread(fs, ino, &in);

	if (!err)
		svc_put_u64(w, in->i_blocks > before
				       ? (in->i_blocks - before) / (fs->block_size / 512)
				       : 0);
	return err;
}

static int op_bmap(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	const struct ext2_inode *in;
	uint64_t ino = svc_get_u64(r), first = svc_get_u64(r);
	uint32_t count = svc_get_u32(r), alloc = svc_get_u32(r), before;
	size_t room = w->cap - w->len - 4 - (alloc ? EXT2_ATTR_BYTES + 8 : 0);
	int err = parsed(r) ?: ext2_iread(fs, ino, &in);

	if (err)
		return err;
	if (!S_ISREG(in->i_mode))
		return -EINVAL;
	if (w->cap - w->len < 4 + EXT2_ATTR_BYTES + 16)
		return -EOVERFLOW;
	if (count > room / 8)
		count = (uint32_t)(room / 8);
	before = in->i_blocks;
	err = bmap_all(fs, ino, first, count, alloc != 0, w);
	if (!err && alloc)
		err = put_attr_of(fs, ino, w);
	if (!err && alloc)
		err = put_allocated(fs, ino, before, w);
	return err;
}

static int op_statfs(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	struct ext2_statfs st;
	int err = parsed(r) ?: ext2_statfs(fs, &st);

	if (err)
		return err;
	svc_put_u64(w, st.blocks);
	svc_put_u64(w, st.free_blocks);
	svc_put_u64(w, st.inodes);
	svc_put_u64(w, st.free_inodes);
	svc_put_u32(w, st.block_size);
	svc_put_u64(w, st.root_blocks);
	return 0;
}

static int op_evict(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w)
{
	uint64_t ino = svc_get_u64(r);
	uint32_t next = 0;
	bool more = false;
	int err = parsed(r);

	if (!err)
		err = ext2_evict_step(fs, ino, &more, &next);
	if (fs->rdonly && err == -EROFS)
		err = 0, more = false;
	svc_put_u32(w, more);
	svc_put_u32(w, next);
	return err;
}

typedef int (*op_fn)(struct ext2_fs *fs, struct svc_reader *r, struct svc_writer *w);

static const op_fn ops[EXT2_NR_OPS] = {
	[EXT2_GETATTR] = op_getattr, [EXT2_READDIR] = op_readdir, [EXT2_CREATE] = op_create,
	[EXT2_SYMLINK] = op_symlink, [EXT2_LINK] = op_link,	  [EXT2_UNLINK] = op_unlink,
	[EXT2_RENAME] = op_rename,   [EXT2_SETATTR] = op_setattr, [EXT2_READLINK] = op_readlink,
	[EXT2_BMAP] = op_bmap,	     [EXT2_STATFS] = op_statfs,	  [EXT2_EVICT] = op_evict,
};

static struct ext2_fs *fs_find(struct ext2_state *st, uint32_t fsid)
{
	for (int i = 0; i < EXT2_MAX_MOUNTS; i++)
		if (st->mounts[i].used && st->mounts[i].fsid == fsid)
			return &st->mounts[i];
	return NULL;
}

/* Mounts slot fs as fsid; the root must be a directory. */
static int fs_mount(struct ext2_fs *fs, uint32_t fsid, uint32_t rdev, uint32_t flags)
{
	struct block_device *bd = block_by_rdev(rdev);
	int err;

	memset(fs, 0, sizeof(*fs));
	if (!bd)
		return -ENODEV;
	err = ext2_mount(fs, bd, flags);
	if (!err && fs->rdonly && !(flags & EXT2_MOUNT_RDONLY))
		err = -EROFS; /* features we cannot write */
	if (err)
		return err;
	fs->fsid = fsid;
	fs->rdev = rdev;
	fs->used = true;
	return 0;
}

static int root_check(struct ext2_fs *fs)
{
	const struct ext2_inode *root;
	int err = ext2_iread(fs, EXT2_ROOT_INO, &root);

	if (!err && (!S_ISDIR(root->i_mode) || !root->i_links_count))
		err = -EUCLEAN;
	return err;
}

/*
 * The superblock's state: not clean while mounted read-write (a power cut
 * then shows in e2fsck and dumpe2fs), clean again at unmount unless
 * orphans wait on the chain (a delete that failed or was cut short: the
 * next mount finishes it); a mount counts in s_mnt_count. In the
 * request's transaction; caller commits.
 */
static int mark_state(struct ext2_fs *fs, bool mounting)
{
	struct ext2_super *sb;
	int err = fs->rdonly ? 0 : ext2_sb_write(fs, &sb);

	if (err || fs->rdonly)
		return err;
	if (mounting) {
		sb->s_state &= (uint16_t)~EXT2_VALID_FS;
		sb->s_mnt_count++;
	} else if (!sb->s_last_orphan) {
		sb->s_state |= EXT2_VALID_FS;
	}
	return 0;
}

/*
 * A read-write mount of a file system that was not unmounted cleanly: a
 * power cut in the middle of a write-back pass can leave the free counts
 * of the group descriptors and the superblock apart from the bitmaps
 * (they are different blocks); count them again from the bitmaps.
 */
static int recount_if_unclean(struct ext2_fs *fs)
{
	const struct ext2_super *sb;
	bool changed;
	int err = fs->rdonly ? 0 : ext2_sb_read(fs, &sb);

	if (err || fs->rdonly || (sb->s_state & EXT2_VALID_FS))
		return err;
	err = ext2_recount(fs, &changed);
	if (!err && changed)
		pr_info("ext2: fs %u: free counts were not the bitmaps' after an unclean "
			"shutdown; counted again\n",
			fs->fsid);
	return err;
}

/* The head of the orphan chain, for the core to free (0 on a read-only mount). */
static int put_orphans(struct ext2_fs *fs, struct svc_writer *w)
{
	uint32_t head = 0;
	int err = fs->rdonly ? 0 : ext2_orphan_head(fs, &head);

	if (err == -EUCLEAN) {
		pr_err("ext2: fs %u: the orphan chain's head is not an inode; left alone\n",
		       fs->fsid);
		err = 0;
		head = 0;
	}
	svc_put_u32(w, head);
	return err;
}

static int op_umount(struct ext2_fs *fs, struct svc_reader *r)
{
	int err = parsed(r) ? -EPROTO : ext2_txn_begin(fs);

	if (err)
		return err;
	err = mark_state(fs, false);
	if (err)
		ext2_txn_abort(fs);
	else
		ext2_txn_commit(fs);
	fs->used = false; /* forgotten either way: the core has let go of it */
	return err;
}

static int op_mount(struct ext2_state *st, uint32_t fsid, struct svc_reader *r,
		    struct svc_writer *w)
{
	uint32_t rdev = svc_get_u32(r), flags = svc_get_u32(r);
	struct ext2_fs *fs = fs_find(st, fsid);
	bool again = fs != NULL; /* a repeated request: counted once */
	int err = parsed(r);

	for (int i = 0; !fs && i < EXT2_MAX_MOUNTS; i++)
		if (!st->mounts[i].used)
			fs = &st->mounts[i];
	if (!err && !fs)
		err = -ENOMEM;
	if (!err)
		err = fs_mount(fs, fsid, rdev, flags);
	if (!err)
		err = ext2_txn_begin(fs);
	if (err)
		return err;
	err = root_check(fs);
	if (!err) {
		svc_put_u64(w, EXT2_ROOT_INO);
		svc_put_u32(w, fs->block_size);
		err = put_attr_of(fs, EXT2_ROOT_INO, w);
	}
	if (!err)
		err = put_orphans(fs, w);
	if (!err && !again)
		err = recount_if_unclean(fs);
	if (!err && !again)
		err = mark_state(fs, true);
	if (err) {
		ext2_txn_abort(fs);
		fs->used = false;
		return err;
	}
	ext2_txn_commit(fs);
	return 0;
}

/* One request on a mounted file system, in a transaction. */
static int run_op(struct ext2_fs *fs, uint16_t op, struct svc_reader *r, struct svc_writer *w)
{
	int err = ext2_txn_begin(fs);

	if (err)
		return err;
	err = ops[op](fs, r, w);
	if (!err && w->overflow)
		err = -EOVERFLOW;
	if (err)
		ext2_txn_abort(fs);
	else
		ext2_txn_commit(fs);
	return err;
}

static int ext2_svc_handle(struct service *s, struct svc_request *req)
{
	struct ext2_state *st = s->state;
	uint16_t op = req->hdr.opcode;
	struct svc_reader r;
	struct ext2_fs *fs;
	uint32_t fsid;

	svc_request_reader(req, &r);
	if (svc_msg_check(&r, EXT2_PROTO_VERSION))
		return -EPROTO;
	fsid = svc_get_u32(&r);
	if (r.error || op == 0 || op >= EXT2_NR_OPS)
		return -EPROTO;
	if (op == EXT2_MOUNT)
		return op_mount(st, fsid, &r, svc_reply(req));
	fs = fs_find(st, fsid);
	if (!fs)
		return -EIO; /* not mounted, or its remount failed */
	if (op == EXT2_UMOUNT)
		return op_umount(fs, &r);
	return run_op(fs, op, &r, svc_reply(req));
}

/* The core's mounts, copied out of its list (whose lock must not be held across I/O). */
struct remount_list {
	int n;
	bool overflow;
	struct {
		uint32_t fsid, rdev, flags;
	} m[EXT2_MAX_MOUNTS];
};

static void note_mount(uint32_t fsid, uint32_t rdev, uint32_t flags, void *ctx)
{
	struct remount_list *l = ctx;

	if (l->n == EXT2_MAX_MOUNTS) {
		l->overflow = true;
		return;
	}
	l->m[l->n].fsid = fsid;
	l->m[l->n].rdev = rdev;
	l->m[l->n].flags = flags;
	l->n++;
}

static int ext2_svc_init(struct service *s)
{
	struct ext2_state *st = s->state;
	struct remount_list l = { 0 };

	memset(st, 0, sizeof(*st));
	ext2_io_reset();
	/* fn runs under the core's lock: mount (which reads the disk) after it. */
	ext2_core_for_each_mount(note_mount, &l);
	if (l.overflow)
		pr_err("ext2: more mounts than the service holds; the rest stay down\n");
	for (int i = 0; i < l.n; i++) {
		int err = fs_mount(&st->mounts[i], l.m[i].fsid, l.m[i].rdev, l.m[i].flags);

		if (err)
			pr_err("ext2: cannot mount fs %u (device %#x) again: %d\n", l.m[i].fsid,
			       l.m[i].rdev, err);
	}
	return 0;
}

const struct service_ops ext2_service_ops = {
	.init = ext2_svc_init,
	.handle = ext2_svc_handle,
};
