/*
 * tmpfs (include/fs/tmpfs.h): a file system that lives in memory. The VFS
 * calls its ops; vfs_init mounts it as the root, and devfs builds
 * devtmpfs on it.
 *
 * Directories keep no data of their own: their entries are the dentry
 * tree, which is complete (there is no ->lookup). A regular file keeps a
 * growable array of page pointers, indexed by page number within the
 * file; NULL entries are holes and read as zeros, and a write allocates
 * the pages it touches. Data is copied page by page: under the inode
 * lock the page is found (or allocated) and a reference taken, then the
 * copy to or from the caller's buffer runs without the lock, so a fault
 * in user memory never happens under a spinlock, and a truncation that
 * races with the copy cannot free the page under it. O_APPEND writes go
 * through a bounce page instead, so that finding the end and writing
 * there is one step under the lock.
 *
 * All instances together hold at most half of RAM in file pages; beyond
 * that writes fail with -ENOSPC. Each instance has its own limits too,
 * set by the mount options size= (pages) and nr_inodes= (files), which
 * statfs reports; mode=, uid= and gid= set its root directory.
 *
 * Regular files carry seals (fcntl F_ADD_SEALS): every file has
 * F_SEAL_SEAL but those memfd_create makes with MFD_ALLOW_SEALING, in an
 * internal instance with no names (fs/memfd.c). Writes, truncation,
 * fallocate and shared mappings that may write (counted, for F_SEAL_WRITE's
 * EBUSY) check them under the inode lock.
 *
 * Directories can be renamed and files hard-linked: both only change
 * counts and times here (a directory's size, its link count of 2 plus
 * its subdirectories, a file's link count), as the dentry tree is the
 * directory.
 */
#include <fs/tmpfs.h>
#include <fs/dcache.h>
#include <fs/devfs.h>
#include <fs/pipe.h>
#include <lib/string.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <kernel/panic.h>

#define BOGO_DIRENT_SIZE 20 /* what a directory entry adds to its size, as Linux */

/* A regular file's data. Lock key: (i) the inode's lock. */
struct tmpfs_file {
	struct page **pages; /* (i) cap entries, NULL for holes */
	size_t cap;	     /* (i) */
	unsigned seals;	     /* (i) F_SEAL_*: F_SEAL_SEAL but for memfds that allow sealing */
	uint32_t write_maps; /* (i) shared mappings that may write (F_SEAL_WRITE: EBUSY) */
	uint32_t writers;    /* (i) writes copying data in now (F_SEAL_WRITE: EBUSY) */
};

#define WRITE_SEALS (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)
#define ALL_SEALS   (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | WRITE_SEALS | F_SEAL_EXEC)

/* An instance. Lock key: (a) atomic, (m) set at mount and remount. */
struct tmpfs_sb {
	uint64_t pages;	     /* (a) file pages in use */
	uint64_t max_pages;  /* (m) size= */
	uint64_t max_inodes; /* (m) nr_inodes= */
};

/* Mount options, as parsed. */
struct tmpfs_opts {
	uint64_t max_pages, max_inodes;
	unsigned mode;
	uint32_t uid, gid;
};

static uint64_t pages_in_use; /* (a) file pages of all instances */

static const struct inode_ops tmpfs_dir_iops, tmpfs_file_iops, tmpfs_link_iops, tmpfs_node_iops;
static const struct file_ops tmpfs_dir_fops, tmpfs_file_fops;

uint64_t tmpfs_pages_in_use(void)
{
	return __atomic_load_n(&pages_in_use, __ATOMIC_RELAXED);
}

static struct tmpfs_sb *TSB(struct super_block *sb)
{
	return sb->private;
}

/* Counts one more page against the global and the instance's limits. */
static bool charge_page(struct super_block *sb)
{
	struct tmpfs_sb *ts = TSB(sb);
	uint64_t limit = total_page_count() / 2;

	if (__atomic_add_fetch(&pages_in_use, 1, __ATOMIC_RELAXED) > limit)
		goto out_global;
	if (__atomic_add_fetch(&ts->pages, 1, __ATOMIC_RELAXED) <= READ_ONCE(ts->max_pages))
		return true;
	__atomic_sub_fetch(&ts->pages, 1, __ATOMIC_RELAXED);
out_global:
	__atomic_sub_fetch(&pages_in_use, 1, __ATOMIC_RELAXED);
	return false;
}

static void uncharge_page(struct super_block *sb)
{
	__atomic_sub_fetch(&TSB(sb)->pages, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&pages_in_use, 1, __ATOMIC_RELAXED);
}

/* Whether the instance may have one more inode (nr_inodes=). */
static bool inode_room(struct super_block *sb)
{
	return (uint64_t)__atomic_load_n(&sb->nr_inodes, __ATOMIC_RELAXED) <
	       READ_ONCE(TSB(sb)->max_inodes);
}

/* A new inode of this file system with its ops set by type. */
static struct inode *tmpfs_new_inode(struct super_block *sb, unsigned mode, uint32_t rdev)
{
	struct inode *inode = inode_alloc(sb, mode);

	if (!inode)
		return NULL;
	switch (mode & S_IFMT) {
	case S_IFDIR:
		inode->iops = &tmpfs_dir_iops;
		inode->fops = &tmpfs_dir_fops;
		inode->nlink = 2;
		break;
	case S_IFREG:
		inode->iops = &tmpfs_file_iops;
		inode->fops = &tmpfs_file_fops;
		inode->private = kzalloc(sizeof(struct tmpfs_file));
		if (inode->private)
			((struct tmpfs_file *)inode->private)->seals = F_SEAL_SEAL;
		break;
	case S_IFLNK:
		inode->iops = &tmpfs_link_iops;
		break;
	default:
		inode->iops = &tmpfs_node_iops;
		inode_init_special(inode, mode, rdev);
	}
	if (S_ISREG(mode) && !inode->private) {
		inode_put(inode);
		return NULL;
	}
	return inode;
}

/* Accounts a new entry child in dir. Caller holds dir->lock. */
static void dir_added(struct inode *dir, struct inode *child)
{
	assert_held(&dir->lock);
	dir->size += BOGO_DIRENT_SIZE;
	if (S_ISDIR(child->mode))
		dir->nlink++;
	dir->mtime = dir->ctime = vfs_now();
}

static void dir_removed(struct inode *dir, struct inode *child)
{
	dir->size -= BOGO_DIRENT_SIZE;
	if (S_ISDIR(child->mode))
		dir->nlink--;
	dir->mtime = dir->ctime = vfs_now();
}

static int tmpfs_mknod(struct inode *dir, struct dentry *d, unsigned mode, uint32_t rdev)
{
	struct inode *inode;

	if (!inode_room(dir->sb))
		return -ENOSPC;
	inode = tmpfs_new_inode(dir->sb, mode, rdev);
	if (!inode)
		return -ENOMEM;
	inode_init_owner(inode, dir);
	d_instantiate(d, inode);
	dir_added(dir, inode);
	return 0;
}

static int tmpfs_create(struct inode *dir, struct dentry *d, unsigned mode)
{
	return tmpfs_mknod(dir, d, mode, 0);
}

static int tmpfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	size_t len = strlen(target);
	char *copy;
	struct inode *inode;

	if (!inode_room(dir->sb))
		return -ENOSPC;
	copy = kmalloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, target, len + 1);
	inode = tmpfs_new_inode(dir->sb, S_IFLNK | 0777, 0);
	if (!inode) {
		kfree(copy);
		return -ENOMEM;
	}
	inode->private = copy;
	inode->size = (int64_t)len;
	inode_init_owner(inode, dir);
	d_instantiate(d, inode);
	dir_added(dir, inode);
	return 0;
}

/* The victim's lock is held too; its data goes when its last reference does. */
static int tmpfs_unlink(struct inode *dir, struct dentry *victim)
{
	struct inode *inode = victim->inode;

	inode->nlink--;
	inode->ctime = vfs_now();
	dir_removed(dir, inode);
	return 0;
}

static int tmpfs_rmdir(struct inode *dir, struct dentry *victim)
{
	struct inode *inode = victim->inode;

	inode->nlink = 0; /* no more entries can be created in it */
	inode->ctime = vfs_now();
	dir_removed(dir, inode);
	return 0;
}

/* dir's lock is held; old is not a directory, so its lock comes after. */
static int tmpfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
	struct inode *inode = old->inode;
	unsigned long flags = spin_lock_irqsave_nested(&inode->lock, 1); /* under dir's */
	int r = inode->nlink ? 0 : -ENOENT; /* unlinked while we looked */

	if (!r) {
		inode->nlink++;
		inode->ctime = vfs_now();
	}
	spin_unlock_irqrestore(&inode->lock, flags);
	if (r)
		return r;
	d_instantiate(d, inode_get(inode));
	dir_added(dir, inode);
	return 0;
}

/* Every lock rename needs is held (include/fs/vfs.h). */
static int tmpfs_rename(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
			const struct qstr *new_name, struct dentry *new, unsigned flags)
{
	struct inode *inode = old->inode;

	(void)new_name;
	if (flags & RENAME_EXCHANGE) {
		dir_removed(old_dir, inode);
		dir_removed(new_dir, new->inode);
		dir_added(new_dir, inode);
		dir_added(old_dir, new->inode);
		inode->ctime = new->inode->ctime = vfs_now();
		return 0;
	}
	if (new &&S_ISDIR(new->inode->mode) && d_has_children(new))
		return -ENOTEMPTY;
	if (new)
		(S_ISDIR(new->inode->mode) ? tmpfs_rmdir : tmpfs_unlink)(new_dir, new);
	dir_removed(old_dir, inode);
	dir_added(new_dir, inode);
	inode->ctime = vfs_now();
	return 0;
}

static ssize_t tmpfs_readlink(struct inode *inode, char *buf, size_t size)
{
	size_t n = MIN(size, (size_t)inode->size);

	memcpy(buf, inode->private, n);
	return (ssize_t)n;
}

/* Frees the page at idx, if any. Caller holds the lock. */
static void drop_page_locked(struct inode *inode, size_t idx)
{
	struct tmpfs_file *tf = inode->private;

	ASSERT(spin_held(&inode->lock) || !READ_ONCE(inode->refcount)); /* or evict */
	if (idx >= tf->cap || !tf->pages[idx])
		return;
	put_page(tf->pages[idx]);
	tf->pages[idx] = NULL;
	inode->blocks -= PAGE_SIZE / 512;
	uncharge_page(inode->sb);
}

/* Frees the pages from byte size on and zeroes the tail of the last one. Caller holds the lock. */
static void free_pages_from_locked(struct inode *inode, int64_t size)
{
	struct tmpfs_file *tf = inode->private;
	size_t first = (size_t)((size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	size_t tail = (size_t)size & (PAGE_SIZE - 1);

	ASSERT(spin_held(&inode->lock) || !READ_ONCE(inode->refcount)); /* or evict */
	for (size_t i = first; i < tf->cap; i++)
		drop_page_locked(inode, i);
	if (tail && (size_t)(size >> PAGE_SHIFT) < tf->cap && tf->pages[size >> PAGE_SHIFT])
		memset((char *)page_address(tf->pages[size >> PAGE_SHIFT]) + tail, 0,
		       PAGE_SIZE - tail);
}

static int truncate_locked(struct inode *inode, int64_t size)
{
	struct tmpfs_file *tf = inode->private;

	assert_held(&inode->lock);
	if (size < 0)
		return -EINVAL;
	if (size > TMPFS_MAX_SIZE)
		return -EFBIG;
	if ((size < inode->size && (tf->seals & F_SEAL_SHRINK)) ||
	    (size > inode->size && (tf->seals & F_SEAL_GROW)))
		return -EPERM;
	if (size < inode->size)
		free_pages_from_locked(inode, size);
	inode->size = size;
	inode->mtime = inode->ctime = vfs_now();
	return 0;
}

static int tmpfs_setattr(struct inode *inode, const struct vfs_attr *attr)
{
	unsigned long flags = spin_lock_irqsave(&inode->lock);
	int r = 0;

	if (attr->valid & ATTR_SIZE) {
		if (S_ISREG(inode->mode))
			r = truncate_locked(inode, attr->size);
		else
			r = S_ISDIR(inode->mode) ? -EISDIR : -EINVAL;
	}
	if (!r && (attr->valid & ATTR_MODE) && S_ISREG(inode->mode) &&
	    (((struct tmpfs_file *)inode->private)->seals & F_SEAL_EXEC) &&
	    ((attr->mode ^ inode->mode) & (S_IXUSR | S_IXGRP | S_IXOTH)))
		r = -EPERM;
	if (!r)
		inode_setattr_locked(inode, attr);
	spin_unlock_irqrestore(&inode->lock, flags);
	return r;
}

/* Makes the page array hold index idx. Caller holds the lock (its caller asserts it). */
static int grow_array_locked(struct tmpfs_file *tf, size_t idx)
{
	size_t cap = tf->cap ? tf->cap : 8;
	struct page **pages;

	while (cap <= idx)
		cap *= 2;
	cap = MIN(cap, (size_t)TMPFS_MAX_PAGES);
	pages = kzalloc(cap * sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	if (tf->cap)
		memcpy(pages, tf->pages, tf->cap * sizeof(*pages));
	kfree(tf->pages);
	tf->pages = pages;
	tf->cap = cap;
	return 0;
}

/* The page at idx, allocated (zeroed) if it is a hole, with a reference. Caller holds the lock. */
static int page_for_write_locked(struct inode *inode, size_t idx, struct page **out)
{
	struct tmpfs_file *tf = inode->private;
	struct page *p;

	assert_held(&inode->lock);
	if (idx >= tf->cap && grow_array_locked(tf, idx))
		return -ENOMEM;
	if (!tf->pages[idx]) {
		if (!charge_page(inode->sb))
			return -ENOSPC;
		p = alloc_page();
		if (!p) {
			uncharge_page(inode->sb);
			return -ENOMEM;
		}
		memset(page_address(p), 0, PAGE_SIZE);
		tf->pages[idx] = p;
		inode->blocks += PAGE_SIZE / 512;
	}
	get_page(tf->pages[idx]);
	*out = tf->pages[idx];
	return 0;
}

/* Copies up to the end of one page, file, or buffer; returns the count, 0 at EOF. */
static ssize_t read_chunk(struct inode *inode, const struct iobuf *buf, size_t done, int64_t pos)
{
	struct tmpfs_file *tf = inode->private;
	size_t off = (size_t)pos & (PAGE_SIZE - 1), idx = (size_t)(pos >> PAGE_SHIFT), n;
	struct page *page = NULL;
	unsigned long flags;
	int r;

	flags = spin_lock_irqsave(&inode->lock);
	if (pos >= inode->size) {
		spin_unlock_irqrestore(&inode->lock, flags);
		return 0;
	}
	n = MIN(PAGE_SIZE - off, buf->len - done);
	n = MIN(n, (size_t)(inode->size - pos));
	if (idx < tf->cap && tf->pages[idx])
		get_page(page = tf->pages[idx]);
	spin_unlock_irqrestore(&inode->lock, flags);
	if (page) {
		r = iobuf_write(buf, done, (char *)page_address(page) + off, n);
		put_page(page);
	} else {
		r = iobuf_zero(buf, done, n);
	}
	return r ? r : (ssize_t)n;
}

static ssize_t tmpfs_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct inode *inode = f->inode;
	unsigned long flags;
	size_t done = 0;
	ssize_t r = 0;

	while (done < buf->len) {
		r = read_chunk(inode, buf, done, *pos + (int64_t)done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	*pos += (int64_t)done;
	flags = spin_lock_irqsave(&inode->lock);
	inode->atime = vfs_now();
	spin_unlock_irqrestore(&inode->lock, flags);
	return done ? (ssize_t)done : r;
}

/* Copies up to the end of one page; returns the count. */
/* Writes of n bytes at pos the seals forbid: -EPERM. Caller holds the lock. */
static int seal_check_locked(struct inode *inode, int64_t pos, size_t n)
{
	struct tmpfs_file *tf = inode->private;

	assert_held(&inode->lock);
	if (tf->seals & WRITE_SEALS)
		return -EPERM;
	if ((tf->seals & F_SEAL_GROW) && pos + (int64_t)n > inode->size)
		return -EPERM;
	return 0;
}

static ssize_t write_chunk(struct inode *inode, const struct iobuf *buf, size_t done, int64_t pos,
			   size_t left)
{
	struct tmpfs_file *tf = inode->private;
	size_t off = (size_t)pos & (PAGE_SIZE - 1), n = MIN(PAGE_SIZE - off, left);
	struct page *page;
	unsigned long flags;
	int r;

	flags = spin_lock_irqsave(&inode->lock);
	r = seal_check_locked(inode, pos, n);
	if (!r)
		r = page_for_write_locked(inode, (size_t)(pos >> PAGE_SHIFT), &page);
	if (!r)
		tf->writers++; /* F_SEAL_WRITE waits for no copy in progress */
	spin_unlock_irqrestore(&inode->lock, flags);
	if (r)
		return r;
	r = iobuf_read((char *)page_address(page) + off, buf, done, n);
	flags = spin_lock_irqsave(&inode->lock);
	tf->writers--;
	if (!r && pos + (int64_t)n > inode->size)
		inode->size = pos + (int64_t)n;
	if (!r)
		inode->mtime = inode->ctime = vfs_now();
	spin_unlock_irqrestore(&inode->lock, flags);
	put_page(page);
	return r ? r : (ssize_t)n;
}

/* Copies n bytes of kernel memory into the file at pos. Caller holds the lock. */
static int fill_locked(struct inode *inode, int64_t pos, const char *src, size_t n)
{
	assert_held(&inode->lock);
	while (n) {
		size_t off = (size_t)pos & (PAGE_SIZE - 1), k = MIN(PAGE_SIZE - off, n);
		struct page *page;
		int r = page_for_write_locked(inode, (size_t)(pos >> PAGE_SHIFT), &page);

		if (r)
			return r;
		memcpy((char *)page_address(page) + off, src, k);
		put_page(page);
		pos += (int64_t)k;
		src += k;
		n -= k;
	}
	return 0;
}

/*
 * Appends up to a page from the caller's buffer: the bytes are copied in
 * first, then placed at the end of the file in one step under the lock,
 * so concurrent appends of up to a page never mix.
 */
static ssize_t append_chunk(struct inode *inode, const struct iobuf *buf, size_t done, char *bounce,
			    int64_t *end)
{
	size_t n = MIN(buf->len - done, (size_t)PAGE_SIZE);
	unsigned long flags;
	int r = iobuf_read(bounce, buf, done, n);

	if (r)
		return r;
	flags = spin_lock_irqsave(&inode->lock);
	if (inode->size > TMPFS_MAX_SIZE - (int64_t)n)
		r = -EFBIG;
	else
		r = seal_check_locked(inode, inode->size, n);
	if (!r)
		r = fill_locked(inode, inode->size, bounce, n);
	if (!r) {
		inode->size += (int64_t)n;
		inode->mtime = inode->ctime = vfs_now();
		*end = inode->size;
	}
	spin_unlock_irqrestore(&inode->lock, flags);
	return r ? r : (ssize_t)n;
}

static ssize_t tmpfs_append(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	char *bounce = kmalloc(PAGE_SIZE);
	size_t done = 0;
	ssize_t r = 0;

	if (!bounce)
		return -ENOMEM;
	while (done < buf->len) {
		r = append_chunk(f->inode, buf, done, bounce, pos);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	kfree(bounce);
	return done ? (ssize_t)done : r;
}

static ssize_t tmpfs_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct inode *inode = f->inode;
	size_t len = buf->len, done = 0;
	int64_t start = *pos;
	ssize_t r = 0;

	if (READ_ONCE(f->flags) & O_APPEND)
		return tmpfs_append(f, buf, pos);
	if (start >= TMPFS_MAX_SIZE)
		return -EFBIG;
	len = MIN(len, (size_t)(TMPFS_MAX_SIZE - start));
	while (done < len) {
		r = write_chunk(inode, buf, done, start + (int64_t)done, len - done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	*pos = start + (int64_t)done;
	return done ? (ssize_t)done : r;
}

/* Makes sure the page at idx exists (fallocate). */
static int allocate_page(struct inode *inode, size_t idx)
{
	unsigned long flags = spin_lock_irqsave(&inode->lock);
	struct page *page;
	int r = page_for_write_locked(inode, idx, &page);

	spin_unlock_irqrestore(&inode->lock, flags);
	if (!r)
		put_page(page);
	return r;
}

/* Allocates the pages of [off, end) and, unless keep_size, extends the file to end. */
static int allocate_range(struct inode *inode, int64_t off, int64_t end, bool keep_size)
{
	unsigned long flags;
	int r = 0;

	for (int64_t pos = off & ~(int64_t)(PAGE_SIZE - 1); pos < end && !r; pos += PAGE_SIZE)
		r = allocate_page(inode, (size_t)(pos >> PAGE_SHIFT));
	flags = spin_lock_irqsave(&inode->lock);
	if (!r && !keep_size && end > inode->size)
		inode->size = end;
	inode->ctime = vfs_now();
	spin_unlock_irqrestore(&inode->lock, flags);
	return r;
}

/* Frees the pages inside [off, end) and zeroes the parts of pages at its edges. */
static void punch_locked(struct inode *inode, int64_t off, int64_t end)
{
	struct tmpfs_file *tf = inode->private;

	assert_held(&inode->lock);
	while (off < end && (size_t)(off >> PAGE_SHIFT) < tf->cap) {
		size_t idx = (size_t)(off >> PAGE_SHIFT), in = (size_t)off & (PAGE_SIZE - 1);
		size_t n = (size_t)MIN((int64_t)(PAGE_SIZE - in), end - off);

		if (n == PAGE_SIZE)
			drop_page_locked(inode, idx);
		else if (tf->pages[idx])
			memset((char *)page_address(tf->pages[idx]) + in, 0, n);
		off += (int64_t)n;
	}
	inode->mtime = inode->ctime = vfs_now();
}

/* As Linux's tmpfs: a hole punched is a write, an allocation past the end growth. */
static int fallocate_seal_check_locked(struct inode *inode, int mode, int64_t end)
{
	struct tmpfs_file *tf = inode->private;

	assert_held(&inode->lock);
	if ((mode & FALLOC_FL_PUNCH_HOLE) && (tf->seals & WRITE_SEALS))
		return -EPERM;
	if (!(mode & FALLOC_FL_PUNCH_HOLE) && (tf->seals & F_SEAL_GROW) && end > inode->size)
		return -EPERM;
	return 0;
}

/* Mode 0 and FALLOC_FL_KEEP_SIZE allocate, FALLOC_FL_PUNCH_HOLE frees (as Linux's tmpfs). */
static int tmpfs_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	struct inode *inode = f->inode;
	unsigned long flags;
	int r;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if (off + len > TMPFS_MAX_SIZE)
		return -EFBIG;
	flags = spin_lock_irqsave(&inode->lock);
	r = fallocate_seal_check_locked(inode, mode, off + len);
	if (!r && (mode & FALLOC_FL_PUNCH_HOLE))
		punch_locked(inode, off, off + len);
	spin_unlock_irqrestore(&inode->lock, flags);
	if (r || (mode & FALLOC_FL_PUNCH_HOLE))
		return r;
	return allocate_range(inode, off, off + len, mode & FALLOC_FL_KEEP_SIZE);
}

/* mmap: the file's own page (a hole gets one), so shared mappings write into the file. */
static int tmpfs_get_page(struct inode *inode, uint64_t index, struct page **out)
{
	unsigned long flags;
	int r;

	if (index >= TMPFS_MAX_PAGES)
		return -EFBIG;
	flags = spin_lock_irqsave(&inode->lock);
	r = page_for_write_locked(inode, (size_t)index, out);
	spin_unlock_irqrestore(&inode->lock, flags);
	return r;
}

/* A shared mapping that may write: counted, or -EPERM under a write seal. */
static int tmpfs_map_writable(struct inode *inode)
{
	struct tmpfs_file *tf = inode->private;
	unsigned long flags = spin_lock_irqsave(&inode->lock);
	int r = (tf->seals & WRITE_SEALS) ? -EPERM : 0;

	if (!r)
		tf->write_maps++;
	spin_unlock_irqrestore(&inode->lock, flags);
	return r;
}

static void tmpfs_unmap_writable(struct inode *inode)
{
	struct tmpfs_file *tf = inode->private;
	unsigned long flags = spin_lock_irqsave(&inode->lock);

	tf->write_maps--;
	spin_unlock_irqrestore(&inode->lock, flags);
}

static bool is_tmpfs_file(struct inode *inode)
{
	return inode->iops == &tmpfs_file_iops;
}

int tmpfs_add_seals(struct inode *inode, unsigned seals)
{
	struct tmpfs_file *tf = inode->private;
	unsigned long flags;
	int r = 0;

	if (seals & ~ALL_SEALS)
		return -EINVAL;
	if (!is_tmpfs_file(inode))
		return -EINVAL;
	flags = spin_lock_irqsave(&inode->lock);
	if (tf->seals & F_SEAL_SEAL)
		r = -EPERM;
	if (!r && (seals & F_SEAL_EXEC) && (inode->mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		seals |= F_SEAL_SHRINK | F_SEAL_GROW | WRITE_SEALS; /* W^X, as Linux */
	if (r == 0 && (seals & F_SEAL_WRITE) && (tf->write_maps || tf->writers))
		r = -EBUSY;
	if (!r)
		tf->seals |= seals;
	spin_unlock_irqrestore(&inode->lock, flags);
	return r;
}

int tmpfs_get_seals(struct inode *inode)
{
	return is_tmpfs_file(inode) ? (int)READ_ONCE(((struct tmpfs_file *)inode->private)->seals)
				    : -EINVAL;
}

static struct fs_type memfd_type = { .name = "memfd" };
static struct super_block *memfd_sb; /* (c) made by tmpfs_init */

struct inode *tmpfs_unnamed_file(unsigned mode, unsigned seals)
{
	struct inode *inode;

	if (!memfd_sb || !inode_room(memfd_sb))
		return NULL;
	inode = tmpfs_new_inode(memfd_sb, S_IFREG | mode, 0);
	if (!inode)
		return NULL;
	inode->nlink = 0; /* in no directory */
	inode_init_owner(inode, NULL);
	((struct tmpfs_file *)inode->private)->seals = seals;
	return inode;
}

/* Nothing to write back: the data is in memory. */
static int tmpfs_fsync(struct file *f, bool datasync)
{
	(void)f;
	(void)datasync;
	return 0;
}

static void tmpfs_evict(struct inode *inode)
{
	struct tmpfs_file *tf = inode->private;

	if (S_ISLNK(inode->mode)) {
		kfree(inode->private);
	} else if (S_ISREG(inode->mode) && tf) {
		free_pages_from_locked(inode, 0); /* the last reference: nobody else looks */
		kfree(tf->pages);
		kfree(tf);
	}
}

static int tmpfs_statfs(struct super_block *sb, struct statfs *st)
{
	struct tmpfs_sb *ts = TSB(sb);
	uint64_t used = __atomic_load_n(&ts->pages, __ATOMIC_RELAXED);
	uint64_t global_free = total_page_count() / 2 -
			       MIN(tmpfs_pages_in_use(), total_page_count() / 2);
	uint64_t inodes = (uint64_t)__atomic_load_n(&sb->nr_inodes, __ATOMIC_RELAXED);

	/* Without a limit (size=0, nr_inodes=0) Linux reports zeros. */
	if (ts->max_pages != UINT64_MAX) {
		st->f_blocks = ts->max_pages;
		st->f_bfree = MIN(ts->max_pages - MIN(used, ts->max_pages), global_free);
		st->f_bavail = st->f_bfree;
	}
	if (ts->max_inodes != UINT64_MAX) {
		st->f_files = ts->max_inodes;
		st->f_ffree = ts->max_inodes - MIN(inodes, ts->max_inodes);
	}
	return 0;
}

static void tmpfs_put_super(struct super_block *sb)
{
	kfree(sb->private);
}

/* size=N[k|m|g|%]: bytes, or a percentage of RAM; in pages, at least one. */
static int parse_size_opt(const char *v, uint64_t *pages)
{
	size_t len = strlen(v);
	uint64_t n;
	int r;

	if (len && v[len - 1] == '%') {
		char num[24];

		if (len > sizeof(num))
			return -EINVAL;
		strlcpy(num, v, len);
		r = parse_u64(num, 10, &n);
		if (r || n > 100)
			return -EINVAL;
		*pages = total_page_count() * n / 100;
		return 0;
	}
	r = parse_size(v, &n);
	if (r)
		return -EINVAL;
	*pages = (n + PAGE_SIZE - 1) >> PAGE_SHIFT;
	return 0;
}

/* Options Linux's tmpfs takes that make no difference here. */
static bool opt_ignored(const char *key)
{
	static const char *const keys[] = { "huge",   "mpol",  "inode32",  "inode64",
					    "noswap", "quota", "usrquota", "grpquota" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strcmp(key, keys[i]))
			return true;
	}
	return false;
}

static int set_number_opt(const char *key, uint64_t n, struct tmpfs_opts *o)
{
	if (!strcmp(key, "nr_blocks"))
		o->max_pages = n;
	else if (!strcmp(key, "nr_inodes"))
		o->max_inodes = n;
	else if (!strcmp(key, "mode"))
		o->mode = (unsigned)n & S_IALLUGO;
	else if (!strcmp(key, "uid"))
		o->uid = (uint32_t)n;
	else if (!strcmp(key, "gid"))
		o->gid = (uint32_t)n;
	else
		return -EINVAL;
	return 0;
}

/* One "key=value" (or "key") option into o; -EINVAL for what Linux's tmpfs does not know. */
static int parse_opt(char *opt, struct tmpfs_opts *o)
{
	char *v = strchr(opt, '=');
	uint64_t n;

	if (v)
		*v++ = '\0';
	if (opt_ignored(opt))
		return 0;
	if (!v)
		return -EINVAL;
	if (!strcmp(opt, "size"))
		return parse_size_opt(v, &o->max_pages);
	if (parse_u64(v, !strcmp(opt, "mode") ? 8 : 0, &n) || n > UINT32_MAX)
		return -EINVAL;
	return set_number_opt(opt, n, o);
}

/* Parses a comma-separated option string (NULL: the defaults). */
static int parse_opts(const char *data, struct tmpfs_opts *o)
{
	char *copy, *opt, *next;
	int r = 0;

	if (!data || !*data)
		return 0;
	copy = kmalloc(strlen(data) + 1);
	if (!copy)
		return -ENOMEM;
	strlcpy(copy, data, strlen(data) + 1);
	for (opt = copy; opt && !r; opt = next) {
		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (*opt)
			r = parse_opt(opt, o);
	}
	kfree(copy);
	return r;
}

/* Linux's defaults: half of RAM, as many inodes as pages in that half (0 = no limit). */
static void default_opts(struct tmpfs_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_pages = o->max_inodes = total_page_count() / 2;
	o->mode = S_ISVTX | 0777;
}

static void apply_limits(struct tmpfs_sb *ts, const struct tmpfs_opts *o)
{
	ts->max_pages = o->max_pages ? o->max_pages : UINT64_MAX;
	ts->max_inodes = o->max_inodes ? o->max_inodes : UINT64_MAX;
}

/* New size= or nr_inodes=; -EINVAL if below what is in use, as Linux. */
static int tmpfs_remount(struct super_block *sb, unsigned long flags, const void *data)
{
	struct tmpfs_sb *ts = TSB(sb), n;
	struct tmpfs_opts o = { .max_pages = ts->max_pages, .max_inodes = ts->max_inodes };
	int r = parse_opts(data, &o);

	(void)flags;
	if (r)
		return r;
	apply_limits(&n, &o);
	if (n.max_pages < __atomic_load_n(&ts->pages, __ATOMIC_RELAXED) ||
	    n.max_inodes < (uint64_t)__atomic_load_n(&sb->nr_inodes, __ATOMIC_RELAXED))
		return -EINVAL;
	WRITE_ONCE(ts->max_pages, n.max_pages);
	WRITE_ONCE(ts->max_inodes, n.max_inodes);
	return 0;
}

static const struct super_ops tmpfs_super_ops = {
	.evict_inode = tmpfs_evict,
	.put_super = tmpfs_put_super,
	.statfs = tmpfs_statfs,
	.remount = tmpfs_remount,
};

static const struct inode_ops tmpfs_dir_iops = {
	.create = tmpfs_create,
	.mkdir = tmpfs_create,
	.mknod = tmpfs_mknod,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.setattr = tmpfs_setattr,
};

static const struct inode_ops tmpfs_file_iops = {
	.setattr = tmpfs_setattr,
	.get_page = tmpfs_get_page,
	.map_writable = tmpfs_map_writable,
	.unmap_writable = tmpfs_unmap_writable,
};

static const struct inode_ops tmpfs_link_iops = {
	.readlink = tmpfs_readlink,
	.setattr = tmpfs_setattr,
};

static const struct inode_ops tmpfs_node_iops = {
	.setattr = tmpfs_setattr,
};

static const struct file_ops tmpfs_dir_fops = {
	.readdir = dcache_readdir,
	.fsync = tmpfs_fsync,
};

static const struct file_ops tmpfs_file_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.fsync = tmpfs_fsync,
	.fallocate = tmpfs_fallocate,
};

/* The super block with its limits, before any inode exists. */
static struct super_block *tmpfs_super(const struct fs_type *type, const struct tmpfs_opts *o)
{
	struct super_block *sb = super_alloc(type, &tmpfs_super_ops);

	if (!sb)
		return NULL;
	sb->private = kzalloc(sizeof(struct tmpfs_sb));
	if (!sb->private) {
		kfree(sb);
		return NULL;
	}
	apply_limits(sb->private, o);
	return sb;
}

int tmpfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
		const void *data, struct super_block **out)
{
	struct super_block *sb;
	struct tmpfs_opts o;
	struct inode *root;
	int r;

	(void)source;
	(void)flags;
	default_opts(&o);
	r = parse_opts(data, &o);
	if (r)
		return r;
	sb = tmpfs_super(type, &o);
	if (!sb)
		return -ENOMEM;
	root = tmpfs_new_inode(sb, S_IFDIR | o.mode, 0);
	if (root) {
		root->uid = o.uid;
		root->gid = o.gid;
	}
	sb->root = root ? d_alloc_root(root) : NULL;
	if (!sb->root) {
		if (root)
			inode_put(root);
		tmpfs_put_super(sb);
		kfree(sb);
		return -ENOMEM;
	}
	*out = sb;
	return 0;
}

static struct fs_type tmpfs_type = {
	.name = "tmpfs",
	.mount = tmpfs_mount,
};

void tmpfs_init(void)
{
	register_filesystem(&tmpfs_type);
	if (!memfd_sb && tmpfs_mount(&memfd_type, "memfd", 0, NULL, &memfd_sb))
		memfd_sb = NULL; /* no memory at boot: memfd_create says ENOMEM */
}
