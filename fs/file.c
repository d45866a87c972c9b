/*
 * Open files (include/fs/vfs.h): creation by open, reference counting,
 * and the generic half of read, write, lseek, stat, ioctl, readdir,
 * truncate, fsync and fallocate, each reported to inotify (include/fs/notify.h)
 * once it succeeded: open, close, access, modify.
 * The system calls and kernel users (exec's kernel_read, the initramfs)
 * call these; each checks the file's mode and flags, then dispatches to
 * the file's ops, which do the work at a position the VFS keeps.
 *
 * The position is read and written under pos_lock but not held across
 * the operation (which may copy to user memory or return -EWAIT), so two
 * threads reading one file at once may read the same bytes, as on Linux
 * before 3.14; each call still sees a consistent position.
 */
#include <fs/vfs.h>
#include <fs/event.h>
#include <fs/notify.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <kernel/wait.h>
#include <lib/string.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/ioctl.h>
#include <uapi/resource.h>
#include <uapi/signal.h>

/* What O_PATH files get: nothing but fstat and use as a base. */
static const struct file_ops path_fops;

static const uint8_t zero_buf[512];

int iobuf_zero(const struct iobuf *b, size_t off, size_t n)
{
	while (n) {
		size_t chunk = MIN(n, sizeof(zero_buf));
		int r = iobuf_write(b, off, zero_buf, chunk);

		if (r)
			return r;
		off += chunk;
		n -= chunk;
	}
	return 0;
}

static unsigned fmode_of(int flags)
{
	if (flags & O_PATH)
		return FMODE_PATH;
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return FMODE_READ;
	case O_WRONLY:
		return FMODE_WRITE;
	case O_RDWR:
		return FMODE_READ | FMODE_WRITE;
	default:
		return 0; /* 3: ioctl only, as Linux */
	}
}

int vfs_open_dentry(struct dentry *d, int flags, struct file **out)
{
	int r = vfs_open_dentry_quiet(d, flags, out);

	if (!r && !(flags & O_PATH))
		notify_dentry(d, IN_OPEN);
	return r;
}

int vfs_open_dentry_quiet(struct dentry *d, int flags, struct file **out)
{
	struct file *f = kzalloc(sizeof(*f));
	int r = 0;

	if (!f)
		return -ENOMEM;
	f->refcount = 1;
	f->flags = (uint32_t)flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	f->fmode = fmode_of(flags) | ((flags & O_NOCTTY) ? FMODE_NOCTTY : 0);
	spin_init(&f->pos_lock, "file-pos");
	list_init(&f->ep_items);
	f->dentry = dentry_get(d);
	f->inode = d->inode;
	f->fops = (flags & O_PATH) ? &path_fops : d->inode->fops;
	f->wb_err_since = errseq_sample(&f->inode->wb_err);
	f->sb_err_since = errseq_sample(&f->inode->sb->wb_err);
	if (!f->fops)
		r = -ENXIO; /* a kind of inode nothing opens */
	else if (f->fops->open)
		r = f->fops->open(f->inode, f);
	if (r) {
		dentry_put(f->dentry);
		kfree(f);
		return r;
	}
	__atomic_fetch_add(&vfs_live.files, 1, __ATOMIC_RELAXED);
	*out = f;
	return 0;
}

struct file *file_get(struct file *f)
{
	if (__atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED) <= 0)
		panic("file_get: file %p is free", (void *)f);
	return f;
}

void file_put(struct file *f)
{
	int32_t old = __atomic_fetch_sub(&f->refcount, 1, __ATOMIC_ACQ_REL);

	if (old <= 0)
		panic("file_put: file %p is already free", (void *)f);
	if (old > 1)
		return;
	/* Nobody can add it to an epoll any more: a look without the lock suffices. */
	if (!list_empty(&f->ep_items))
		eventpoll_release(f);
	if (!(f->fmode & (FMODE_PATH | FMODE_NONOTIFY)))
		notify_dentry(f->dentry,
			      (f->fmode & FMODE_WRITE) ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
	if (f->fops->release)
		f->fops->release(f);
	dentry_put(f->dentry);
	kfree(f);
	__atomic_fetch_sub(&vfs_live.files, 1, __ATOMIC_RELAXED);
}

/*
 * Whether the caller is the only one who can reach f: a single reference,
 * and the caller uses it (every other path to a file takes a reference of
 * its own, fd_peek_file only when its table is the thread's alone). Then
 * the position needs no lock, as Linux's fdget_pos.
 */
static bool file_exclusive(struct file *f)
{
	return __atomic_load_n(&f->refcount, __ATOMIC_ACQUIRE) == 1;
}

static int64_t file_pos(struct file *f)
{
	unsigned long flags;
	int64_t pos;

	if (file_exclusive(f))
		return f->pos;
	flags = spin_lock_irqsave(&f->pos_lock);
	pos = f->pos;
	spin_unlock_irqrestore(&f->pos_lock, flags);
	return pos;
}

static void file_set_pos(struct file *f, int64_t pos)
{
	unsigned long flags;

	if (file_exclusive(f)) {
		f->pos = pos;
		return;
	}
	flags = spin_lock_irqsave(&f->pos_lock);
	f->pos = pos;
	spin_unlock_irqrestore(&f->pos_lock, flags);
}

static int read_check(struct file *f)
{
	if (!(f->fmode & FMODE_READ))
		return -EBADF;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	return f->fops->read ? 0 : -EINVAL;
}

static int write_check(struct file *f)
{
	if (!(f->fmode & FMODE_WRITE))
		return -EBADF;
	return f->fops->write ? 0 : -EINVAL;
}

static struct iobuf clamp(const struct iobuf *buf)
{
	struct iobuf b = *buf;

	if (b.len > (size_t)MAX_RW_COUNT)
		b.len = MAX_RW_COUNT;
	return b;
}

/* The caller's RLIMIT_FSIZE (INT64_MAX: none; kernel threads have none). */
static int64_t fsize_limit(void)
{
	uint64_t cur;

	if (!current_thread()->user)
		return INT64_MAX;
	cur = READ_ONCE(current_proc()->rlimits[RLIMIT_FSIZE].cur);
	return cur > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)cur;
}

int vfs_fsize_check(int64_t size)
{
	if (size <= fsize_limit())
		return 0;
	signal_self(SIGXFSZ);
	return -EFBIG;
}

/*
 * RLIMIT_FSIZE for a write to a regular file at pos (its end with
 * O_APPEND): starting at or past the limit is SIGXFSZ and -EFBIG; a write
 * that crosses it is cut short there.
 */
static int write_limit(struct file *f, struct iobuf *b, int64_t pos)
{
	int64_t limit = fsize_limit();

	if (!S_ISREG(f->inode->mode) || limit == INT64_MAX)
		return 0;
	if (READ_ONCE(f->flags) & O_APPEND)
		pos = READ_ONCE(f->inode->size);
	if (pos >= limit) {
		signal_self(SIGXFSZ);
		return -EFBIG;
	}
	b->len = MIN(b->len, (size_t)(limit - pos));
	return 0;
}

/*
 * One read or write: at *at (pread, pwrite) or at the file's position,
 * which then advances. The checks are the same for all four calls.
 */
static ssize_t file_rw(struct file *f, const struct iobuf *buf, bool write, const int64_t *at)
{
	struct iobuf b = clamp(buf);
	ssize_t r = write ? write_check(f) : read_check(f);
	int64_t pos;

	if (r)
		return r;
	if (at && (f->fmode & FMODE_STREAM))
		return -ESPIPE;
	if (at && *at < 0)
		return -EINVAL;
	if (!b.len)
		return 0;
	pos = at ? *at : file_pos(f);
	r = write ? write_limit(f, &b, pos) : 0;
	if (!r && write)
		r = file_remove_privs(f); /* set-ID bits go before the data changes */
	if (r)
		return r;
	r = write ? f->fops->write(f, &b, &pos) : f->fops->read(f, &b, &pos);
	if (r > 0 && !at)
		file_set_pos(f, pos);
	if (r > 0)
		notify_dentry(f->dentry, write ? IN_MODIFY : IN_ACCESS);
	return r;
}

ssize_t vfs_read(struct file *f, const struct iobuf *buf)
{
	return file_rw(f, buf, false, NULL);
}

ssize_t vfs_write(struct file *f, const struct iobuf *buf)
{
	return file_rw(f, buf, true, NULL);
}

ssize_t vfs_pread(struct file *f, const struct iobuf *buf, int64_t off)
{
	return file_rw(f, buf, false, &off);
}

ssize_t vfs_pwrite(struct file *f, const struct iobuf *buf, int64_t off)
{
	return file_rw(f, buf, true, &off);
}

ssize_t kernel_read(struct file *f, void *dst, size_t n, int64_t off)
{
	size_t done = 0;

	while (done < n) {
		struct iobuf b = iobuf_kernel((char *)dst + done, n - done);
		ssize_t r = vfs_pread(f, &b, off + (int64_t)done);

		if (r < 0)
			return done ? (ssize_t)done : r;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t kernel_write(struct file *f, const void *src, size_t n, int64_t off)
{
	size_t done = 0;

	while (done < n) {
		struct iobuf b = iobuf_kernel((char *)src + done, n - done);
		ssize_t r = vfs_pwrite(f, &b, off + (int64_t)done);

		if (r < 0)
			return r;
		if (r == 0)
			return -EIO; /* no progress: the file system took nothing */
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* The new position for whence into *pos; 0, -EINVAL or -ENXIO. Caller holds pos_lock. */
static int lseek_target(struct file *f, int64_t off, int whence, int64_t *pos)
{
	int64_t size = READ_ONCE(f->inode->size), base;

	assert_held(&f->pos_lock);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return off < 0 ? -EINVAL : -ENXIO;
		*pos = whence == SEEK_DATA ? off : size;
		return 0;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, pos) || *pos < 0)
		return -EINVAL;
	return 0;
}

int64_t generic_lseek(struct file *f, int64_t off, int whence)
{
	unsigned long flags = spin_lock_irqsave(&f->pos_lock);
	int64_t pos;
	int r = lseek_target(f, off, whence, &pos);

	if (!r)
		f->pos = pos;
	spin_unlock_irqrestore(&f->pos_lock, flags);
	return r ? r : pos;
}

int64_t no_lseek(struct file *f, int64_t off, int whence)
{
	(void)f;
	(void)off;
	(void)whence;
	return -ESPIPE;
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (whence < SEEK_SET || whence > SEEK_HOLE)
		return -EINVAL;
	return f->fops->lseek ? f->fops->lseek(f, off, whence) : generic_lseek(f, off, whence);
}

int vfs_fstat(struct file *f, struct kstat *st)
{
	inode_getattr(f->inode, st);
	return 0;
}

/*
 * FIOQSIZE (the bytes allocated, as st_blocks counts them) and FIONREAD of
 * a regular file: the same for every file system (Linux's file_ioctl).
 */
static bool size_ioctl(struct file *f, unsigned cmd, uintptr_t arg, int *ret)
{
	uint32_t mode = f->inode->mode;
	int64_t size = READ_ONCE(f->inode->size);
	struct kstat st;
	int left;

	if (cmd == FIOQSIZE && (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode))) {
		*ret = vfs_fstat(f, &st);
		size = st.blocks * 512;
		if (!*ret && copy_to_user(arg, &size, sizeof(size)))
			*ret = -EFAULT;
	} else if (cmd == FIONREAD && S_ISREG(mode)) {
		/* The size less the offset, as Linux: negative past the end. */
		left = (int)(size - file_pos(f));
		*ret = copy_to_user(arg, &left, sizeof(left)) ? -EFAULT : 0;
	} else if (cmd == FIOQSIZE) {
		*ret = -ENOTTY;
	} else {
		return false;
	}
	return true;
}

int vfs_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	int r;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (size_ioctl(f, cmd, arg, &r))
		return r;
	return f->fops->ioctl ? f->fops->ioctl(f, cmd, arg) : -ENOTTY;
}

int vfs_readdir(struct file *f, struct dir_context *ctx)
{
	int r;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (!S_ISDIR(f->inode->mode) || !f->fops->readdir)
		return -ENOTDIR;
	ctx->pos = file_pos(f);
	r = f->fops->readdir(f, ctx);
	file_set_pos(f, ctx->pos);
	if (r != -EWAIT)
		notify_dentry(f->dentry, IN_ACCESS); /* as Linux, even at the end */
	return r;
}

int vfs_ftruncate(struct file *f, int64_t size)
{
	struct vfs_attr attr = { .valid = ATTR_SIZE, .size = size };
	struct inode *inode = f->inode;

	if (size < 0)
		return -EINVAL;
	if (!(f->fmode & FMODE_WRITE) || !S_ISREG(inode->mode))
		return -EINVAL;
	if (size > READ_ONCE(inode->size) && vfs_fsize_check(size))
		return -EFBIG;
	attr.valid |= remove_privs_attr(inode);
	return vfs_setattr_size(f->dentry, &attr);
}

/* The error *since (a sample of f's) has not seen yet in *es, or 0; advances it. */
static int check_wb_err(struct file *f, errseq_t *es, errseq_t *since)
{
	unsigned long flags = spin_lock_irqsave(&f->pos_lock);
	int err = errseq_check_and_advance(es, since);

	spin_unlock_irqrestore(&f->pos_lock, flags);
	return err;
}

int vfs_fsync(struct file *f, bool datasync)
{
	int r, err;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (!f->fops->fsync)
		return -EINVAL;
	r = f->fops->fsync(f, datasync);
	if (r == -EWAIT)
		return r; /* the errors are looked at once the data is written */
	err = check_wb_err(f, &f->inode->wb_err, &f->wb_err_since);
	return err ? err : r;
}

int vfs_syncfs(struct file *f)
{
	struct super_block *sb = f->inode->sb;
	int r, err;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	r = sb->ops->sync_fs ? sb->ops->sync_fs(sb) : 0;
	if (r == -EWAIT)
		return r;
	err = check_wb_err(f, &sb->wb_err, &f->sb_err_since);
	return err ? err : r;
}

#define FALLOC_KNOWN                                                             \
	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | \
	 FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE)

/* The mode alone, as Linux checks it first. */
static int fallocate_mode_check(int mode)
{
	if (mode & ~FALLOC_KNOWN)
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && (mode & FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	return 0;
}

int vfs_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	unsigned type = f->inode->mode & S_IFMT;
	int64_t end;
	int r;

	if (off < 0 || len <= 0)
		return -EINVAL;
	r = fallocate_mode_check(mode);
	if (r)
		return r;
	if (!(f->fmode & FMODE_WRITE))
		return -EBADF;
	if (type == S_IFIFO)
		return -ESPIPE;
	if (type == S_IFDIR)
		return -EISDIR;
	if (type != S_IFREG && type != S_IFBLK)
		return -ENODEV;
	if (__builtin_add_overflow(off, len, &end))
		return -EFBIG;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > READ_ONCE(f->inode->size) &&
	    vfs_fsize_check(end))
		return -EFBIG;
	r = f->fops->fallocate ? file_remove_privs(f) : 0;
	if (!r)
		r = f->fops->fallocate ? f->fops->fallocate(f, mode, off, len) : -EOPNOTSUPP;
	if (!r)
		notify_dentry(f->dentry, IN_MODIFY);
	return r;
}

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

int vfs_setfl(struct file *f, unsigned flags)
{
	/* O_NOATIME, as at open: the owner's or CAP_FOWNER's only. */
	if ((flags & O_NOATIME) && !(READ_ONCE(f->flags) & O_NOATIME) &&
	    !inode_owner_or_capable(f->inode))
		return -EPERM;
	vfs_changefl(f, SETFL_MASK, flags & SETFL_MASK);
	return 0;
}

void vfs_changefl(struct file *f, unsigned clear, unsigned set)
{
	unsigned long irq = spin_lock_irqsave(&f->pos_lock);

	ASSERT(!((clear | set) & ~SETFL_MASK));
	f->flags = (f->flags & ~clear) | set;
	spin_unlock_irqrestore(&f->pos_lock, irq);
}

unsigned vfs_getfl(struct file *f)
{
	return READ_ONCE(f->flags);
}
