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
 * that writes fail with -ENOSPC.
 */
#include <fs/tmpfs.h>
#include <fs/dcache.h>
#include <fs/devfs.h>
#include <lib/string.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <uapi/errno.h>

#define BOGO_DIRENT_SIZE 20 /* what a directory entry adds to its size, as Linux */

/* A regular file's data. Lock key: (i) the inode's lock. */
struct tmpfs_file {
	struct page **pages; /* (i) cap entries, NULL for holes */
	size_t cap;	     /* (i) */
};

static uint64_t pages_in_use; /* (a) file pages of all instances */

static const struct inode_ops tmpfs_dir_iops, tmpfs_file_iops, tmpfs_link_iops, tmpfs_node_iops;
static const struct file_ops tmpfs_dir_fops, tmpfs_file_fops;

uint64_t tmpfs_pages_in_use(void)
{
	return __atomic_load_n(&pages_in_use, __ATOMIC_RELAXED);
}

static bool charge_page(void)
{
	uint64_t limit = total_page_count() / 2;

	if (__atomic_add_fetch(&pages_in_use, 1, __ATOMIC_RELAXED) <= limit)
		return true;
	__atomic_sub_fetch(&pages_in_use, 1, __ATOMIC_RELAXED);
	return false;
}

static void uncharge_page(void)
{
	__atomic_sub_fetch(&pages_in_use, 1, __ATOMIC_RELAXED);
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
		break;
	case S_IFLNK:
		inode->iops = &tmpfs_link_iops;
		break;
	default:
		inode->iops = &tmpfs_node_iops;
		inode->fops = devfs_node_fops(mode);
		inode->rdev = rdev;
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
	struct inode *inode = tmpfs_new_inode(dir->sb, mode, rdev);

	if (!inode)
		return -ENOMEM;
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
	char *copy = kmalloc(len + 1);
	struct inode *inode;

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

static ssize_t tmpfs_readlink(struct inode *inode, char *buf, size_t size)
{
	size_t n = MIN(size, (size_t)inode->size);

	memcpy(buf, inode->private, n);
	return (ssize_t)n;
}

/* Frees the pages from byte size on and zeroes the tail of the last one. Caller holds the lock. */
static void free_pages_from_locked(struct inode *inode, int64_t size)
{
	struct tmpfs_file *tf = inode->private;
	size_t first = (size_t)((size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	size_t tail = (size_t)size & (PAGE_SIZE - 1);

	for (size_t i = first; i < tf->cap; i++) {
		if (!tf->pages[i])
			continue;
		put_page(tf->pages[i]);
		tf->pages[i] = NULL;
		inode->blocks -= PAGE_SIZE / 512;
		uncharge_page();
	}
	if (tail && (size_t)(size >> PAGE_SHIFT) < tf->cap && tf->pages[size >> PAGE_SHIFT])
		memset((char *)page_address(tf->pages[size >> PAGE_SHIFT]) + tail, 0,
		       PAGE_SIZE - tail);
}

static int truncate_locked(struct inode *inode, int64_t size)
{
	if (size < 0)
		return -EINVAL;
	if (size > TMPFS_MAX_SIZE)
		return -EFBIG;
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
	if (!r)
		inode_setattr_locked(inode, attr);
	spin_unlock_irqrestore(&inode->lock, flags);
	return r;
}

/* Makes the page array hold index idx. Caller holds the lock. */
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

	if (idx >= tf->cap && grow_array_locked(tf, idx))
		return -ENOMEM;
	if (!tf->pages[idx]) {
		if (!charge_page())
			return -ENOSPC;
		p = alloc_page();
		if (!p) {
			uncharge_page();
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
static ssize_t write_chunk(struct inode *inode, const struct iobuf *buf, size_t done, int64_t pos,
			   size_t left)
{
	size_t off = (size_t)pos & (PAGE_SIZE - 1), n = MIN(PAGE_SIZE - off, left);
	struct page *page;
	unsigned long flags;
	int r;

	flags = spin_lock_irqsave(&inode->lock);
	r = page_for_write_locked(inode, (size_t)(pos >> PAGE_SHIFT), &page);
	spin_unlock_irqrestore(&inode->lock, flags);
	if (r)
		return r;
	r = iobuf_read((char *)page_address(page) + off, buf, done, n);
	flags = spin_lock_irqsave(&inode->lock);
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

static const struct super_ops tmpfs_super_ops = {
	.evict_inode = tmpfs_evict,
};

static const struct inode_ops tmpfs_dir_iops = {
	.create = tmpfs_create,
	.mkdir = tmpfs_create,
	.mknod = tmpfs_mknod,
	.symlink = tmpfs_symlink,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.setattr = tmpfs_setattr,
};

static const struct inode_ops tmpfs_file_iops = {
	.setattr = tmpfs_setattr,
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
};

static const struct file_ops tmpfs_file_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
};

int tmpfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
		const void *data, struct super_block **out)
{
	struct super_block *sb = super_alloc(type, &tmpfs_super_ops);
	struct inode *root;

	(void)source;
	(void)flags;
	(void)data;
	if (!sb)
		return -ENOMEM;
	root = tmpfs_new_inode(sb, S_IFDIR | 0755, 0);
	sb->root = root ? d_alloc_root(root) : NULL;
	if (!sb->root) {
		if (root)
			inode_put(root);
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
}
