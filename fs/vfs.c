/*
 * VFS objects that are not names or open files (include/fs/vfs.h):
 * inodes, super blocks, file system types and the mount table, plus
 * vfs_init, which kmain calls once memory is up to build the root tmpfs
 * and mount devfs on /dev and procfs on /proc. File systems call the
 * inode and super block helpers; the path walk (fs/namei.c) calls
 * vfs_root; procfs reads the mount table through vfs_mount_info.
 */
#include <fs/vfs.h>
#include <fs/dcache.h>
#include <fs/devfs.h>
#include <fs/procfs.h>
#include <fs/tmpfs.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/time.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

static spinlock_t fs_types_lock = SPINLOCK_INIT("fs-types");
static LIST_HEAD(fs_types);	 /* (fs_types_lock) struct fs_type.node */
static LIST_HEAD(mounts);	 /* (dcache_lock) struct mount.node */
static struct mount *root_mount; /* set once by vfs_init */
static uint32_t next_anon_minor = 1;
struct vfs_counts vfs_live;

struct vfs_timespec vfs_now(void)
{
	uint64_t ns = clock_ns();

	return (struct vfs_timespec){ (int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC) };
}

struct inode *inode_alloc(struct super_block *sb, unsigned mode)
{
	struct inode *inode = kzalloc(sizeof(*inode));

	if (!inode)
		return NULL;
	spin_init(&inode->lock, "inode");
	inode->refcount = 1;
	inode->ino = __atomic_fetch_add(&sb->next_ino, 1, __ATOMIC_RELAXED);
	inode->mode = mode;
	inode->nlink = 1;
	inode->sb = sb;
	inode->atime = inode->mtime = inode->ctime = vfs_now();
	__atomic_fetch_add(&vfs_live.inodes, 1, __ATOMIC_RELAXED);
	return inode;
}

struct inode *inode_get(struct inode *inode)
{
	if (__atomic_fetch_add(&inode->refcount, 1, __ATOMIC_RELAXED) <= 0)
		panic("inode_get: inode %lu is free", (unsigned long)inode->ino);
	return inode;
}

void inode_put(struct inode *inode)
{
	int32_t old = __atomic_fetch_sub(&inode->refcount, 1, __ATOMIC_ACQ_REL);

	if (old <= 0)
		panic("inode_put: inode %lu is already free", (unsigned long)inode->ino);
	if (old > 1)
		return;
	if (inode->sb->ops->evict_inode)
		inode->sb->ops->evict_inode(inode);
	kfree(inode);
	__atomic_fetch_sub(&vfs_live.inodes, 1, __ATOMIC_RELAXED);
}

void inode_getattr(struct inode *inode, struct kstat *st)
{
	unsigned long flags = spin_lock_irqsave(&inode->lock);

	st->dev = inode->sb->dev;
	st->ino = inode->ino;
	st->mode = inode->mode;
	st->nlink = inode->nlink;
	st->uid = inode->uid;
	st->gid = inode->gid;
	st->rdev = inode->rdev;
	st->size = inode->size;
	st->blksize = 4096;
	st->blocks = inode->blocks;
	st->atime = inode->atime;
	st->mtime = inode->mtime;
	st->ctime = inode->ctime;
	spin_unlock_irqrestore(&inode->lock, flags);
}

void inode_setattr_locked(struct inode *inode, const struct vfs_attr *attr)
{
	assert_held(&inode->lock);
	if (attr->valid & ATTR_MODE)
		inode->mode = (inode->mode & S_IFMT) | (attr->mode & S_IALLUGO);
	if (attr->valid & ATTR_UID)
		inode->uid = attr->uid;
	if (attr->valid & ATTR_GID)
		inode->gid = attr->gid;
	if (attr->valid & ATTR_ATIME)
		inode->atime = attr->atime;
	if (attr->valid & ATTR_MTIME)
		inode->mtime = attr->mtime;
	inode->ctime = vfs_now();
}

void kstat_to_stat(const struct kstat *k, struct stat *out)
{
	memset(out, 0, sizeof(*out));
	out->st_dev = k->dev;
	out->st_ino = k->ino;
	out->st_nlink = k->nlink;
	out->st_mode = k->mode;
	out->st_uid = k->uid;
	out->st_gid = k->gid;
	out->st_rdev = k->rdev;
	out->st_size = k->size;
	out->st_blksize = k->blksize;
	out->st_blocks = k->blocks;
	out->st_atime = (uint64_t)k->atime.sec;
	out->st_atime_nsec = (uint64_t)k->atime.nsec;
	out->st_mtime = (uint64_t)k->mtime.sec;
	out->st_mtime_nsec = (uint64_t)k->mtime.nsec;
	out->st_ctime = (uint64_t)k->ctime.sec;
	out->st_ctime_nsec = (uint64_t)k->ctime.nsec;
}

struct super_block *super_alloc(const struct fs_type *type, const struct super_ops *ops)
{
	struct super_block *sb = kzalloc(sizeof(*sb));

	if (!sb)
		return NULL;
	sb->type = type;
	sb->ops = ops;
	sb->dev = MKDEV(0, __atomic_fetch_add(&next_anon_minor, 1, __ATOMIC_RELAXED));
	sb->next_ino = 1;
	return sb;
}

int register_filesystem(struct fs_type *type)
{
	unsigned long flags = spin_lock_irqsave(&fs_types_lock);
	struct fs_type *t;
	int r = 0;

	list_for_each_entry (t, &fs_types, node) {
		if (!strcmp(t->name, type->name))
			r = -EBUSY;
	}
	if (!r)
		list_add_tail(&type->node, &fs_types);
	spin_unlock_irqrestore(&fs_types_lock, flags);
	return r;
}

static const struct fs_type *find_fs_type(const char *name)
{
	unsigned long flags = spin_lock_irqsave(&fs_types_lock);
	const struct fs_type *t, *found = NULL;

	list_for_each_entry (t, &fs_types, node) {
		if (!strcmp(t->name, name))
			found = t;
	}
	spin_unlock_irqrestore(&fs_types_lock, flags);
	return found;
}

/*
 * Unlinks every dentry below root, deepest first; each unlink drops the
 * tree's reference, which frees the dentry and its inode. Caller holds
 * dcache_lock and has checked that nothing else holds them.
 */
static void prune_tree_locked(struct dentry *root)
{
	while (!list_empty(&root->children)) {
		struct dentry *d = list_first_entry(&root->children, struct dentry, sibling);

		while (!list_empty(&d->children))
			d = list_first_entry(&d->children, struct dentry, sibling);
		list_del(&d->sibling);
		d->flags &= ~DENTRY_LINKED;
		dentry_put(d);
	}
}

/* Frees a super block whose tree nobody uses, with the mount's reference on its root. */
static void super_kill(struct super_block *sb)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);

	prune_tree_locked(sb->root);
	spin_unlock_irqrestore(&dcache_lock, flags);
	dentry_put(sb->root);
	if (sb->ops->put_super)
		sb->ops->put_super(sb);
	kfree(sb);
}

/* The dentry after d in a depth-first walk of the tree below root. */
static struct dentry *dfs_next(struct dentry *d, struct dentry *root)
{
	if (!list_empty(&d->children))
		return list_first_entry(&d->children, struct dentry, sibling);
	while (d != root) {
		if (d->sibling.next != &d->parent->children)
			return list_entry(d->sibling.next, struct dentry, sibling);
		d = d->parent;
	}
	return NULL;
}

/*
 * Whether anything holds a dentry below root beyond the tree itself
 * (children hold their parent, the mount holds root, the caller extra).
 * Caller holds dcache_lock.
 */
static bool tree_busy_locked(struct dentry *root, int32_t extra)
{
	for (struct dentry *d = root; d; d = dfs_next(d, root)) {
		int32_t expected = 1 + (int32_t)list_count(&d->children) + (d == root ? extra : 0);

		if (d->mounted || READ_ONCE(d->refcount) != expected)
			return true;
	}
	return false;
}

static struct mount *mount_alloc(struct super_block *sb, const char *source)
{
	struct mount *m = kzalloc(sizeof(*m));

	if (!m)
		return NULL;
	m->sb = sb;
	m->root = sb->root;
	strlcpy(m->source, source ? source : "none", sizeof(m->source));
	return m;
}

/*
 * Hangs m on mp (whose reference it takes over). The parent directory's
 * lock keeps unlink and rmdir, which check for mounts under it, away.
 */
static int attach_mount(struct mount *m, struct dentry *mp)
{
	struct inode *dir = mp->parent ? mp->parent->inode : NULL;
	unsigned long dflags = dir ? spin_lock_irqsave(&dir->lock) : 0;
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	int r = 0;

	if (mp->mounted)
		r = -EBUSY;
	else if (mp->parent && !(mp->flags & DENTRY_LINKED))
		r = -ENOENT;
	if (!r) {
		m->mountpoint = mp;
		mp->mounted = m;
		m->root->mount = m;
		list_add_tail(&m->node, &mounts);
	}
	spin_unlock_irqrestore(&dcache_lock, flags);
	if (dir)
		spin_unlock_irqrestore(&dir->lock, dflags);
	return r;
}

int vfs_mount(const char *source, struct dentry *base, const char *target, const char *fstype,
	      unsigned long flags, const void *data)
{
	const struct fs_type *type = find_fs_type(fstype);
	struct super_block *sb;
	struct dentry *mp;
	struct mount *m;
	int r;

	if (!type)
		return -ENODEV;
	r = vfs_lookup(base, target, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &mp);
	if (r)
		return r;
	r = type->mount(type, source, flags, data, &sb);
	if (r)
		goto out_put_mp;
	m = mount_alloc(sb, source);
	r = m ? attach_mount(m, mp) : -ENOMEM;
	if (!r)
		return 0;
	kfree(m);
	super_kill(sb);
out_put_mp:
	dentry_put(mp);
	return r;
}

/* Detaches m if nothing in it is in use; d is the caller's reference on its root. */
static int detach_mount(struct mount *m, struct dentry *d)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);

	if (tree_busy_locked(d, 1)) {
		spin_unlock_irqrestore(&dcache_lock, flags);
		return -EBUSY;
	}
	m->mountpoint->mounted = NULL;
	list_del(&m->node);
	spin_unlock_irqrestore(&dcache_lock, flags);
	return 0;
}

int vfs_umount(struct dentry *base, const char *target)
{
	struct dentry *d;
	struct mount *m;
	int r;

	r = vfs_lookup(base, target, LOOKUP_FOLLOW, &d);
	if (r)
		return r;
	m = d->mount;
	if (d->parent || !m) {
		dentry_put(d);
		return -EINVAL;
	}
	r = m->mountpoint ? detach_mount(m, d) : -EBUSY;
	dentry_put(d);
	if (r)
		return r;
	super_kill(m->sb);
	dentry_put(m->mountpoint);
	kfree(m);
	return 0;
}

int vfs_mount_info(size_t index, struct mount_info *out)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	struct mount *m;
	int r = -ENOENT;

	list_for_each_entry (m, &mounts, node) {
		if (index-- > 0)
			continue;
		strlcpy(out->source, m->source, sizeof(out->source));
		out->fstype = m->sb->type->name;
		out->mountpoint = m->mountpoint ? dentry_get(m->mountpoint) : NULL;
		r = 0;
		break;
	}
	spin_unlock_irqrestore(&dcache_lock, flags);
	return r;
}

struct dentry *vfs_root(void)
{
	return dentry_get(root_mount->root);
}

static void mount_root(void)
{
	const struct fs_type *type = find_fs_type("tmpfs");
	struct super_block *sb;
	struct mount *m;

	if (!type || type->mount(type, "rootfs", 0, NULL, &sb))
		panic("vfs: cannot create the root tmpfs");
	m = mount_alloc(sb, "rootfs");
	if (!m)
		panic("vfs: out of memory for the root mount");
	sb->root->mount = m;
	list_add_tail(&m->node, &mounts);
	__atomic_store_n(&root_mount, m, __ATOMIC_RELEASE);
}

void vfs_init(void)
{
	int r;

	if (__atomic_load_n(&root_mount, __ATOMIC_ACQUIRE))
		return;
	tmpfs_init();
	devfs_init();
	procfs_init();
	mount_root();
	r = vfs_mkdir(NULL, "/dev", 0755);
	if (!r)
		r = vfs_mount("devtmpfs", NULL, "/dev", "devtmpfs", 0, NULL);
	if (r)
		panic("vfs: cannot mount devtmpfs on /dev (error %d)", r);
	r = vfs_mkdir(NULL, "/proc", 0555);
	if (!r)
		r = vfs_mount("proc", NULL, "/proc", "proc", 0, NULL);
	if (r)
		panic("vfs: cannot mount procfs on /proc (error %d)", r);
	pr_info("vfs: tmpfs on /, devtmpfs on /dev, procfs on /proc\n");
}
