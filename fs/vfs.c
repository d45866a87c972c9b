/*
 * VFS objects that are not names or open files (include/fs/vfs.h):
 * inodes, super blocks, file system types and the mount table (mount,
 * remount, unmount, statfs), plus vfs_init, which kmain calls once memory
 * is up to build the root tmpfs and mount devfs on /dev and procfs on
 * /proc. File systems call the inode and super block helpers; the path
 * walk (fs/namei.c) calls vfs_current_root; procfs reads the mount table
 * through vfs_mount_info; the system calls in sys/fs.c mount and statfs.
 *
 * Mount flags (MS_RDONLY, MS_NOSUID...) are kept in the super block, as
 * a super block has exactly one mount; statfs reports them in f_flags
 * and the path operations refuse changes on a read-only mount (-EROFS).
 */
#include <fs/vfs.h>
#include <fs/dcache.h>
#include <fs/devfs.h>
#include <fs/notify.h>
#include <fs/pipe.h>
#include <fs/procfs.h>
#include <fs/tmpfs.h>
#include <kernel/clock.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <lib/string.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/mount.h>

static spinlock_t fs_types_lock = SPINLOCK_INIT("fs-types");
static LIST_HEAD(fs_types);	     /* (fs_types_lock) struct fs_type.node */
static LIST_HEAD(mounts);	     /* (dcache_lock) struct mount.node */
static struct mount *root_mount;     /* set once by vfs_init */
static uint32_t next_anon_minor = 1; /* (a) */
struct vfs_counts vfs_live;	     /* (a) */

/* File times are wall-clock times (CLOCK_REALTIME), as on Linux. */
struct vfs_timespec vfs_now(void)
{
	uint64_t ns = realtime_ns();

	return (struct vfs_timespec){ (int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC) };
}

struct inode *inode_alloc(struct super_block *sb, unsigned mode)
{
	struct inode *inode = kzalloc(sizeof(*inode));

	if (!inode)
		return NULL;
	spin_init(&inode->lock, "inode");
	list_init(&inode->watches);
	inode->refcount = 1;
	inode->ino = __atomic_fetch_add(&sb->next_ino, 1, __ATOMIC_RELAXED);
	inode->mode = mode;
	inode->nlink = 1;
	inode->sb = sb;
	inode->atime = inode->mtime = inode->ctime = inode->btime = vfs_now();
	__atomic_fetch_add(&vfs_live.inodes, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&sb->nr_inodes, 1, __ATOMIC_RELAXED);
	return inode;
}

void inode_init_special(struct inode *inode, unsigned mode, uint32_t rdev)
{
	ASSERT(!S_ISREG(mode) && !S_ISDIR(mode) && !S_ISLNK(mode));
	inode->rdev = rdev;
	inode->fops = S_ISFIFO(mode) ? &fifo_fops : devfs_node_fops(mode);
}

void inode_record_wb_error(struct inode *inode, int err)
{
	errseq_set(&inode->wb_err, err);
	errseq_set(&inode->sb->wb_err, err);
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
	__atomic_fetch_sub(&inode->sb->nr_inodes, 1, __ATOMIC_RELAXED);
	kfree(inode);
	__atomic_fetch_sub(&vfs_live.inodes, 1, __ATOMIC_RELAXED);
}

void inode_getattr(struct inode *inode, struct kstat *st)
{
	unsigned long flags = spin_lock_irqsave(&inode->lock);

	st->mnt_id = MINOR(inode->sb->dev);
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
	st->btime = inode->btime;
	spin_unlock_irqrestore(&inode->lock, flags);
}

uint32_t vfs_attr_mode(const struct inode *inode, const struct vfs_attr *attr)
{
	uint32_t mode = inode->mode;

	if (attr->valid & ATTR_MODE)
		mode = (mode & S_IFMT) | (attr->mode & S_IALLUGO);
	/* The clearing of set-id bits (chown, writes): never on directories, as Linux. */
	if ((attr->valid & ATTR_KILL_SUID) && !S_ISDIR(mode))
		mode &= ~S_ISUID;
	if ((attr->valid & ATTR_KILL_SGID) && !S_ISDIR(mode))
		mode &= ~S_ISGID;
	return mode;
}

int inode_setattr_no_size(struct inode *inode, const struct vfs_attr *attr)
{
	unsigned long flags;

	if (attr->valid & ATTR_SIZE)
		return -EINVAL;
	flags = spin_lock_irqsave(&inode->lock);
	inode_setattr_locked(inode, attr);
	spin_unlock_irqrestore(&inode->lock, flags);
	return 0;
}

void inode_setattr_locked(struct inode *inode, const struct vfs_attr *attr)
{
	assert_held(&inode->lock);
	inode->mode = vfs_attr_mode(inode, attr);
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

static struct statx_timestamp statx_time(struct vfs_timespec t)
{
	return (struct statx_timestamp){ .tv_sec = t.sec, .tv_nsec = (uint32_t)t.nsec };
}

void kstat_to_statx(const struct kstat *k, struct statx *out)
{
	memset(out, 0, sizeof(*out));
	out->stx_mask = STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID;
	out->stx_blksize = (uint32_t)k->blksize;
	out->stx_nlink = k->nlink;
	out->stx_uid = k->uid;
	out->stx_gid = k->gid;
	out->stx_mode = (uint16_t)k->mode;
	out->stx_ino = k->ino;
	out->stx_size = (uint64_t)k->size;
	out->stx_blocks = (uint64_t)k->blocks;
	out->stx_atime = statx_time(k->atime);
	out->stx_btime = statx_time(k->btime);
	out->stx_ctime = statx_time(k->ctime);
	out->stx_mtime = statx_time(k->mtime);
	out->stx_rdev_major = MAJOR(k->rdev);
	out->stx_rdev_minor = MINOR(k->rdev);
	out->stx_dev_major = MAJOR(k->dev);
	out->stx_dev_minor = MINOR(k->dev);
	out->stx_mnt_id = k->mnt_id;
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
	assert_held(&dcache_lock);
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
	assert_held(&dcache_lock);
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

/* mp's parent, referenced, read under dcache_lock (a rename may move mp). */
static struct dentry *parent_get(struct dentry *mp)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	struct dentry *parent = mp->parent ? dentry_get(mp->parent) : NULL;

	spin_unlock_irqrestore(&dcache_lock, flags);
	return parent;
}

/*
 * Hangs m on mp (whose reference it takes over). The parent directory's
 * lock keeps unlink, rmdir and rename, which check for mounts under it,
 * away; if mp moved to another directory meanwhile, it is -EBUSY.
 */
static int attach_mount(struct mount *m, struct dentry *mp)
{
	struct dentry *parent = parent_get(mp);
	struct inode *dir = parent ? parent->inode : NULL;
	unsigned long dflags = dir ? spin_lock_irqsave(&dir->lock) : 0;
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	int r = 0;

	if (mp->mounted || mp->parent != parent)
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
	if (parent)
		dentry_put(parent);
	return r;
}

/* The flags a mount keeps: relatime unless noatime or strictatime, as Linux. */
static unsigned long mount_flags(unsigned long flags)
{
	flags &= MS_PER_MOUNT;
	if (!(flags & MS_NOATIME))
		flags |= MS_RELATIME;
	if (flags & MS_STRICTATIME)
		flags &= ~(MS_RELATIME | MS_NOATIME | MS_STRICTATIME);
	return flags;
}

bool vfs_rdonly(const struct dentry *d)
{
	return __atomic_load_n(&d->inode->sb->flags, __ATOMIC_RELAXED) & MS_RDONLY;
}

bool vfs_noexec(const struct dentry *d)
{
	return __atomic_load_n(&d->inode->sb->flags, __ATOMIC_RELAXED) & MS_NOEXEC;
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
	sb->flags = mount_flags(flags);
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

int vfs_remount(struct dentry *base, const char *target, unsigned long flags, const void *data)
{
	struct super_block *sb;
	struct dentry *d;
	int r = vfs_lookup(base, target, LOOKUP_FOLLOW, &d);

	if (r)
		return r;
	sb = d->inode->sb;
	if (d != sb->root)
		r = -EINVAL; /* not the root of a mount */
	else if (data && sb->ops->remount)
		r = sb->ops->remount(sb, flags, data);
	if (!r)
		__atomic_store_n(&sb->flags, mount_flags(flags), __ATOMIC_RELAXED);
	dentry_put(d);
	return r;
}

int vfs_umount(struct dentry *base, const char *target)
{
	return vfs_umount_at(base, target, LOOKUP_FOLLOW);
}

int vfs_umount_at(struct dentry *base, const char *target, unsigned lookup_flags)
{
	struct dentry *d;
	struct mount *m;
	int r;

	r = vfs_lookup(base, target, lookup_flags, &d);
	if (r)
		return r;
	m = d->mount;
	if (d->parent || !m) {
		dentry_put(d);
		return -EINVAL;
	}
	if (m->mountpoint && m->sb->ops->sync_fs && (r = m->sb->ops->sync_fs(m->sb))) {
		dentry_put(d); /* -EWAIT: the call runs again once the data is written */
		return r;
	}
	r = m->mountpoint ? detach_mount(m, d) : -EBUSY;
	dentry_put(d);
	if (r)
		return r;
	notify_unmount(m->sb); /* watches hold inodes, not dentries: they do not make it busy */
	if (m->sb->ops->umount)
		m->sb->ops->umount(m->sb);
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
		out->flags = __atomic_load_n(&m->sb->flags, __ATOMIC_RELAXED);
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

struct dentry *vfs_current_root(void)
{
	struct thread *t = current_thread();
	struct process *p = t ? t->proc : NULL;
	struct dentry *root = NULL;
	unsigned long flags;

	if (!p)
		return t && t->walk_root ? dentry_get(t->walk_root) : vfs_root();
	flags = spin_lock_irqsave(&p->lock);
	if (p->root)
		root = dentry_get(p->root);
	spin_unlock_irqrestore(&p->lock, flags);
	return root ? root : vfs_root();
}

/* Linux's f_type of each file system type (linux/magic.h). */
static const struct {
	const char *name;
	int64_t magic;
} fs_magics[] = {
	{ "tmpfs", TMPFS_MAGIC },	  { "devtmpfs", TMPFS_MAGIC },
	{ "ramfs", RAMFS_MAGIC },	  { "proc", PROC_SUPER_MAGIC },
	{ "devpts", DEVPTS_SUPER_MAGIC }, { "ext2", EXT2_SUPER_MAGIC },
	{ "pipefs", PIPEFS_MAGIC },	  { "sysfs", SYSFS_MAGIC },
	{ "sockfs", SOCKFS_MAGIC },
};

static int64_t fs_magic(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_magics); i++) {
		if (!strcmp(fs_magics[i].name, name))
			return fs_magics[i].magic;
	}
	return 0;
}

/* f_flags of statfs: the mount flags as ST_* bits. */
static int64_t statfs_flags(unsigned long ms)
{
	static const unsigned long map[][2] = {
		{ MS_RDONLY, ST_RDONLY },
		{ MS_NOSUID, ST_NOSUID },
		{ MS_NODEV, ST_NODEV },
		{ MS_NOEXEC, ST_NOEXEC },
		{ MS_SYNCHRONOUS, ST_SYNCHRONOUS },
		{ MS_MANDLOCK, ST_MANDLOCK },
		{ MS_NOATIME, ST_NOATIME },
		{ MS_NODIRATIME, ST_NODIRATIME },
		{ MS_RELATIME, ST_RELATIME },
		{ MS_NOSYMFOLLOW, ST_NOSYMFOLLOW },
	};
	int64_t st = ST_VALID;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (ms & map[i][0])
			st |= (int64_t)map[i][1];
	}
	return st;
}

int vfs_statfs(struct dentry *d, struct statfs *st)
{
	struct super_block *sb = d->inode->sb;
	int r = 0;

	memset(st, 0, sizeof(*st));
	st->f_type = fs_magic(sb->type->name);
	st->f_bsize = PAGE_SIZE;
	st->f_namelen = NAME_MAX;
	st->f_fsid[0] = (int32_t)sb->dev;
	st->f_flags = statfs_flags(__atomic_load_n(&sb->flags, __ATOMIC_RELAXED));
	if (sb->ops->statfs)
		r = sb->ops->statfs(sb, st);
	if (!st->f_frsize)
		st->f_frsize = st->f_bsize;
	return r;
}

static void mount_root(void)
{
	const struct fs_type *type = find_fs_type("tmpfs");
	struct super_block *sb;
	struct mount *m;

	if (!type || type->mount(type, "rootfs", 0, "mode=755", &sb))
		panic("vfs: cannot create the root tmpfs");
	sb->flags = mount_flags(0);
	m = mount_alloc(sb, "rootfs");
	if (!m)
		panic("vfs: out of memory for the root mount");
	sb->root->mount = m;
	list_add_tail(&m->node, &mounts);
	__atomic_store_n(&root_mount, m, __ATOMIC_RELEASE);
}

/*
 * devtmpfs on /dev, devpts on /dev/pts and procfs on /proc of the root,
 * making the directories if needed.
 */
static int mount_kernel_fs(void)
{
	int r = vfs_mkdir(NULL, "/dev", 0755);

	if (!r || r == -EEXIST)
		r = vfs_mount("devtmpfs", NULL, "/dev", "devtmpfs", 0, NULL);
	if (!r)
		r = vfs_mkdir(NULL, "/dev/pts", 0755);
	if (!r || r == -EEXIST)
		r = vfs_mount("devpts", NULL, "/dev/pts", "devpts", 0, NULL);
	if (r)
		return r;
	r = vfs_mkdir(NULL, "/proc", 0555);
	if (!r || r == -EEXIST)
		r = vfs_mount("proc", NULL, "/proc", "proc", 0, NULL);
	return r;
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
	r = mount_kernel_fs();
	if (r)
		panic("vfs: cannot mount devtmpfs, devpts and procfs (error %d)", r);
	pr_info("vfs: tmpfs on /, devtmpfs on /dev, devpts on /dev/pts, procfs on /proc\n");
}

int vfs_set_root(const char *source, const char *fstype)
{
	const struct fs_type *type = find_fs_type(fstype);
	struct mount *m, *old, *x, *next;
	struct super_block *sb;
	unsigned long flags;
	int r;

	if (!type)
		return -ENODEV;
	r = type->mount(type, source, 0, NULL, &sb);
	if (r)
		return r;
	sb->flags = mount_flags(0);
	m = mount_alloc(sb, source);
	if (!m) {
		super_kill(sb);
		return -ENOMEM;
	}
	sb->root->mount = m;
	flags = spin_lock_irqsave(&dcache_lock);
	old = root_mount;
	list_for_each_entry_safe (x, next, &mounts, node)
		list_del(
			&x->node); /* the old tree stays, unreachable, with what is mounted in it */
	list_add_tail(&m->node, &mounts);
	__atomic_store_n(&root_mount, m, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&dcache_lock, flags);
	(void)old;
	r = mount_kernel_fs();
	if (r)
		pr_err("vfs: %s on / has no /dev or /proc (error %d)\n", source, r);
	return 0;
}
