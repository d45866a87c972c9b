/*
 * The path walk and the operations that change the name space
 * (include/fs/vfs.h): open with O_CREAT, mkdir, mknod, symlink, unlink,
 * rmdir, plus lookup, and readlink, stat, setattr, truncate and access
 * on what a lookup found. The system calls, exec, the initramfs and
 * mount call these; rename and link (fs/rename.c) use the walk through
 * include/fs/namei.h.
 *
 * A walk (struct nameidata) holds a reference on the directory it is in
 * and goes component by component: walk_parent stops before the last
 * component, which each operation handles its own way (look up, create,
 * remove). A symlink is followed by splicing its target in front of what
 * is left of the path, in a PATH_MAX buffer, so there is no recursion;
 * at most MAX_SYMLINKS are followed per walk (-ELOOP). ".." never leaves
 * the root (the process's, after chroot) and crosses back over mount
 * points. Changes on a read-only mount fail with -EROFS. The caller's
 * permissions are checked as Linux does (fs/perm.c): search on every
 * directory a component is looked up in, then what each operation needs
 * (open's access mode, write and search on a parent, the sticky bit,
 * execute for exec). Each change, once made, is reported here to inotify
 * (include/fs/notify.h).
 */
#include <fs/vfs.h>
#include <fs/dcache.h>
#include <fs/namei.h>
#include <fs/notify.h>
#include <kernel/cred.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/mount.h>

int nd_init(struct nameidata *nd, struct dentry *base, const char *path)
{
	int r = path_check(path);

	if (r)
		return r;
	memset(nd, 0, sizeof(*nd));
	nd->root = vfs_current_root();
	nd->cur = dentry_get(path[0] == '/' || !base ? nd->root : base);
	nd->p = path;
	return 0;
}

void nd_release(struct nameidata *nd)
{
	dentry_put(nd->cur);
	dentry_put(nd->root);
	kfree(nd->buf);
}

/* Moves the walk to d, whose reference it takes over. */
static void nd_move(struct nameidata *nd, struct dentry *d)
{
	dentry_put(nd->cur);
	nd->cur = d;
}

static int link_check(struct nameidata *nd, struct inode *inode, size_t rest)
{
	if (++nd->links > MAX_SYMLINKS)
		return -ELOOP;
	if (!inode->iops->readlink)
		return -EINVAL;
	if (rest >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!nd->buf)
		nd->buf = kmalloc(PATH_MAX);
	return nd->buf ? 0 : -ENOMEM;
}

/*
 * Puts the target of link in front of the rest of the path (rest bytes at
 * nd->p), in nd->buf. The rest moves to the end of the buffer first and
 * the target is read into the room before it, so that targets computed
 * when read (procfs's /proc/self) need no size known in advance. The read
 * may take one byte more than the room: such a target is too long anyway,
 * and the rest it overwrote is no longer needed.
 */
static int splice_target(struct nameidata *nd, struct inode *inode, size_t rest)
{
	size_t room = PATH_MAX - 1 - rest;
	char *tail = nd->buf + room;
	ssize_t n;

	memmove(tail, nd->p, rest + 1);
	n = inode->iops->readlink(inode, nd->buf, room + 1);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT;
	if ((size_t)n > room)
		return -ENAMETOOLONG;
	memmove(nd->buf + n, tail, rest + 1);
	return 0;
}

/*
 * Continues the walk with the target of link (whose reference is
 * consumed) followed by what is left of the path. What is left is empty
 * or starts with a slash, so the two join without a separator.
 */
static int follow_link(struct nameidata *nd, struct dentry *link)
{
	struct inode *inode = link->inode;
	size_t rest = strlen(nd->p);
	int r = link_check(nd, inode, rest);

	if (!r)
		r = splice_target(nd, inode, rest);
	dentry_put(link);
	if (r)
		return r;
	nd->p = nd->buf;
	if (nd->buf[0] == '/')
		nd_move(nd, dentry_get(nd->root));
	return 0;
}

/* Asks the file system for a name the tree does not hold. */
static int lookup_slow(struct dentry *dir, const struct qstr *name, struct dentry **out)
{
	struct inode *inode = dir->inode;
	unsigned long flags;
	struct dentry *d;
	int r = 0;

	if (!inode->iops->lookup)
		return -ENOENT;
	d = d_alloc(dir, name);
	if (!d)
		return -ENOMEM;
	flags = spin_lock_irqsave(&inode->lock);
	*out = d_lookup(dir, name); /* someone else may have added it */
	if (!*out) {
		r = inode->iops->lookup(inode, d);
		if (!r) {
			d_link(d);
			*out = dentry_get(d);
		}
	}
	spin_unlock_irqrestore(&inode->lock, flags);
	dentry_put(d);
	return r;
}

int dir_fill(struct dentry *dir)
{
	struct inode *inode = dir->inode;

	return inode->iops && inode->iops->fill_dir ? inode->iops->fill_dir(inode, dir) : 0;
}

int lookup_child(struct dentry *dir, const struct qstr *name, struct dentry **out)
{
	int r = dir_fill(dir);

	*out = NULL;
	if (r)
		return r;
	*out = d_lookup(dir, name);
	return *out ? 0 : lookup_slow(dir, name, out);
}

/*
 * Steps into component c. Returns 0, 1 when c was a symlink that was
 * followed (the walk goes on with its target from nd->p), or an error.
 */
static int walk_component(struct nameidata *nd, const struct qstr *c, bool follow)
{
	struct dentry *next;
	int r;

	if (!S_ISDIR(nd->cur->inode->mode))
		return -ENOTDIR;
	r = inode_permission(nd->cur->inode, MAY_EXEC); /* search, even for "." and ".." */
	if (r)
		return r;
	if (qstr_is_dot(c))
		return 0;
	if (qstr_is_dotdot(c)) {
		nd_move(nd, d_parent_of(nd->cur, nd->root));
		return 0;
	}
	r = lookup_child(nd->cur, c, &next);
	if (r)
		return r;
	next = d_cross_mounts(next);
	if (follow && S_ISLNK(next->inode->mode)) {
		r = follow_link(nd, next);
		return r ? r : 1;
	}
	nd_move(nd, next);
	return 0;
}

int walk_parent(struct nameidata *nd)
{
	struct qstr c;
	int r;

	for (;;) {
		r = path_next(&nd->p, &c);
		if (r <= 0) {
			nd->last.len = 0; /* no component at all: "/" */
			nd->last_slash = false;
			return r;
		}
		if (path_only_slashes(nd->p)) {
			nd->last = c;
			nd->last_slash = *nd->p == '/';
			return 0;
		}
		r = walk_component(nd, &c, true);
		if (r < 0)
			return r;
	}
}

/* Resolves the final component: 0 with *out, 1 to walk on, or an error. */
static int lookup_last(struct nameidata *nd, bool follow, struct dentry **out)
{
	int r;

	if (nd->last.len) {
		r = walk_component(nd, &nd->last, follow || nd->last_slash);
		if (r)
			return r;
	}
	if (nd->last_slash && !S_ISDIR(nd->cur->inode->mode))
		return -ENOTDIR;
	*out = dentry_get(nd->cur);
	return 0;
}

int vfs_lookup(struct dentry *base, const char *path, unsigned lookup_flags, struct dentry **out)
{
	struct nameidata nd;
	int r = nd_init(&nd, base, path);

	if (r)
		return r;
	do {
		r = walk_parent(&nd);
		if (!r)
			r = lookup_last(&nd, lookup_flags & LOOKUP_FOLLOW, out);
	} while (r == 1);
	nd_release(&nd);
	if (!r && (lookup_flags & LOOKUP_DIRECTORY) && !S_ISDIR((*out)->inode->mode)) {
		dentry_put(*out);
		r = -ENOTDIR;
	}
	return r;
}

/*
 * Whether name may be created in dir: dir still exists and has no such
 * child. Caller holds dir's inode lock. File systems whose tree is not
 * complete (->lookup) check their own store too.
 */
static int may_create_locked(struct dentry *dir, const struct qstr *name)
{
	struct dentry *old;

	assert_held(&dir->inode->lock);
	if (dir->inode->nlink == 0)
		return -ENOENT;
	old = d_lookup(dir, name);
	if (!old)
		return 0;
	dentry_put(old);
	return -EEXIST;
}

bool last_is_normal(const struct nameidata *nd)
{
	return nd->last.len && !qstr_is_dot(&nd->last) && !qstr_is_dotdot(&nd->last);
}

int create_in(struct dentry *dir, const struct qstr *name, bool slash, make_fn make,
	      const struct make_args *a, struct dentry **out)
{
	unsigned long flags;
	struct dentry *d;
	int r;

	if (!S_ISDIR(dir->inode->mode))
		return -ENOTDIR;
	r = dir_fill(dir);
	if (r)
		return r;
	d = d_alloc(dir, name);
	if (!d)
		return -ENOMEM;
	flags = spin_lock_irqsave(&dir->inode->lock);
	r = may_create_locked(dir, name);
	if (!r && slash && !S_ISDIR(a->mode))
		r = -ENOENT;
	if (!r && vfs_rdonly(dir))
		r = -EROFS;
	if (!r)
		r = may_create_in(dir->inode);
	if (!r)
		r = make(dir->inode, d, a);
	if (!r)
		d_link(d);
	spin_unlock_irqrestore(&dir->inode->lock, flags);
	if (!r && a->old)
		notify_inode(a->old->inode, IN_ATTRIB); /* a hard link: its link count */
	if (!r)
		notify_name(dir->inode, IN_CREATE | (S_ISDIR(a->mode) ? IN_ISDIR : 0), 0,
			    name->name, name->len);
	if (!r && out)
		*out = dentry_get(d);
	dentry_put(d);
	return r;
}

int do_create(struct dentry *base, const char *path, make_fn make, const struct make_args *a)
{
	struct nameidata nd;
	int r = nd_init(&nd, base, path);

	if (r)
		return r;
	r = walk_parent(&nd);
	if (!r && !last_is_normal(&nd))
		r = -EEXIST;
	if (!r)
		r = create_in(nd.cur, &nd.last, nd.last_slash, make, a, NULL);
	nd_release(&nd);
	return r;
}

static int make_dir(struct inode *dir, struct dentry *d, const struct make_args *a)
{
	return dir->iops->mkdir ? dir->iops->mkdir(dir, d, a->mode) : -EPERM;
}

static int make_file(struct inode *dir, struct dentry *d, const struct make_args *a)
{
	return dir->iops->create ? dir->iops->create(dir, d, a->mode) : -EACCES;
}

static int make_node(struct inode *dir, struct dentry *d, const struct make_args *a)
{
	if (S_ISREG(a->mode))
		return make_file(dir, d, a);
	if ((S_ISCHR(a->mode) || S_ISBLK(a->mode)) && !capable(CAP_MKNOD))
		return -EPERM; /* FIFOs and sockets: anyone who may create */
	return dir->iops->mknod ? dir->iops->mknod(dir, d, a->mode, a->rdev) : -EPERM;
}

static int make_symlink(struct inode *dir, struct dentry *d, const struct make_args *a)
{
	return dir->iops->symlink ? dir->iops->symlink(dir, d, a->target) : -EPERM;
}

int vfs_mkdir(struct dentry *base, const char *path, unsigned mode)
{
	struct make_args a = { .mode = S_IFDIR | (mode & (S_IRWXU | S_IRWXG | S_IRWXO | S_ISVTX)) };

	return do_create(base, path, make_dir, &a);
}

int vfs_mknod(struct dentry *base, const char *path, unsigned mode, uint32_t rdev)
{
	struct make_args a = { .mode = mode & (S_IFMT | S_IALLUGO), .rdev = rdev };

	switch (a.mode & S_IFMT) {
	case 0:
		a.mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	return do_create(base, path, make_node, &a);
}

int vfs_symlink(const char *target, struct dentry *base, const char *path)
{
	struct make_args a = { .mode = S_IFLNK | 0777, .target = target };
	int r = path_check(target);

	return r ? r : do_create(base, path, make_symlink, &a);
}

/*
 * Checks what unlink (dir false) or rmdir (dir true) may remove from
 * parent, in Linux's order: a read-only mount, permissions (write and
 * search on parent, the sticky bit), then types and mounts. Holds both locks.
 */
static int may_remove_locked(struct dentry *parent, struct dentry *victim, bool dir, bool slash)
{
	bool is_dir = S_ISDIR(victim->inode->mode);
	int r;

	assert_held(&parent->inode->lock);
	assert_held(&victim->inode->lock);
	if (!(victim->flags & DENTRY_LINKED))
		return -ENOENT; /* removed while we looked */
	if (vfs_rdonly(parent))
		return -EROFS;
	r = may_delete_from(parent->inode, victim->inode);
	if (r)
		return r;
	if (victim->mounted)
		return -EBUSY;
	if (!dir)
		return is_dir ? -EISDIR : (slash ? -ENOTDIR : 0);
	if (!is_dir)
		return -ENOTDIR;
	return d_has_children(victim) ? -ENOTEMPTY : 0;
}

/* Removes victim from dir under both inode locks (parent first). */
static int remove_child(struct dentry *dir, struct dentry *victim, bool is_rmdir, bool slash)
{
	struct inode *di = dir->inode, *vi = victim->inode;
	int (*op)(struct inode *, struct dentry *) = is_rmdir ? di->iops->rmdir : di->iops->unlink;
	unsigned long flags, vflags;
	int r;

	flags = spin_lock_irqsave(&di->lock);
	vflags = spin_lock_irqsave_nested(&vi->lock, 1); /* the child: subclass 1 */
	r = may_remove_locked(dir, victim, is_rmdir, slash);
	if (!r)
		r = op ? op(di, victim) : -EPERM;
	spin_unlock_irqrestore(&vi->lock, vflags);
	if (!r)
		d_unlink(victim);
	spin_unlock_irqrestore(&di->lock, flags);
	return r;
}

/* Errors for names unlink and rmdir never remove: "", "." and "..". */
static int remove_name_check(const struct qstr *last, bool is_rmdir)
{
	if (!last->len)
		return is_rmdir ? -EBUSY : -EISDIR;
	if (qstr_is_dot(last))
		return is_rmdir ? -EINVAL : -EISDIR;
	if (qstr_is_dotdot(last))
		return is_rmdir ? -ENOTEMPTY : -EISDIR;
	return 0;
}

static int do_remove(struct dentry *base, const char *path, bool is_rmdir)
{
	struct dentry *victim;
	struct nameidata nd;
	int r = nd_init(&nd, base, path);

	if (r)
		return r;
	r = walk_parent(&nd);
	if (!r)
		r = remove_name_check(&nd.last, is_rmdir);
	if (!r && !S_ISDIR(nd.cur->inode->mode))
		r = -ENOTDIR;
	if (!r)
		r = lookup_child(nd.cur, &nd.last, &victim);
	if (!r) {
		r = remove_child(nd.cur, victim, is_rmdir, nd.last_slash);
		if (!r && !is_rmdir)
			notify_inode(victim->inode, IN_ATTRIB); /* its link count */
		/* The last put of a victim without links reports IN_DELETE_SELF. */
		dentry_put(victim);
	}
	if (!r)
		notify_name(nd.cur->inode, IN_DELETE | (is_rmdir ? IN_ISDIR : 0), 0, nd.last.name,
			    nd.last.len);
	nd_release(&nd);
	return r;
}

int vfs_unlink(struct dentry *base, const char *path)
{
	return do_remove(base, path, false);
}

int vfs_rmdir(struct dentry *base, const char *path)
{
	return do_remove(base, path, true);
}

ssize_t vfs_readlink_dentry(struct dentry *d, char *buf, size_t size)
{
	struct inode *inode = d->inode;

	if (!S_ISLNK(inode->mode) || !inode->iops->readlink)
		return -EINVAL;
	return inode->iops->readlink(inode, buf, size);
}

ssize_t vfs_readlink(struct dentry *base, const char *path, char *buf, size_t size)
{
	struct dentry *d;
	ssize_t r = vfs_lookup(base, path, 0, &d);

	if (r)
		return r;
	r = vfs_readlink_dentry(d, buf, size);
	dentry_put(d);
	return r;
}

void vfs_getattr(struct dentry *d, struct kstat *st)
{
	inode_getattr(d->inode, st);
}

int vfs_statat(struct dentry *base, const char *path, unsigned lookup_flags, struct kstat *st)
{
	struct dentry *d;
	int r = vfs_lookup(base, path, lookup_flags, &d);

	if (r)
		return r;
	vfs_getattr(d, st);
	dentry_put(d);
	return 0;
}

int vfs_setattr(struct dentry *d, const struct vfs_attr *attr)
{
	struct inode *inode = d->inode;
	struct vfs_attr a = *attr;
	int r;

	if (vfs_rdonly(d))
		return -EROFS;
	if ((a.valid & ATTR_MODE) && S_ISLNK(inode->mode))
		return -EOPNOTSUPP; /* fchmodat(AT_SYMLINK_NOFOLLOW) of a link */
	r = setattr_check(inode, &a);
	if (r)
		return r;
	r = inode->iops->setattr ? inode->iops->setattr(inode, &a) : -EPERM;
	if (!r)
		notify_dentry(d, notify_attr_mask(&a));
	return r;
}

int vfs_setattrat(struct dentry *base, const char *path, unsigned lookup_flags,
		  const struct vfs_attr *attr)
{
	struct dentry *d;
	int r = vfs_lookup(base, path, lookup_flags, &d);

	if (r)
		return r;
	r = vfs_setattr(d, attr);
	dentry_put(d);
	return r;
}

int vfs_setattr_size(struct dentry *d, const struct vfs_attr *attr)
{
	struct inode *inode = d->inode;
	int r = inode->iops->setattr ? inode->iops->setattr(inode, attr) : -EPERM;

	if (!r)
		notify_dentry(d, IN_MODIFY);
	return r;
}

int vfs_truncate(struct dentry *d, int64_t size)
{
	struct vfs_attr attr = { .valid = ATTR_SIZE, .size = size };
	struct inode *inode = d->inode;
	int r;

	if (size < 0)
		return -EINVAL;
	if (S_ISDIR(inode->mode))
		return -EISDIR;
	if (!S_ISREG(inode->mode))
		return -EINVAL;
	r = inode_permission(inode, MAY_WRITE); /* -EROFS first */
	if (r)
		return r;
	if (size > READ_ONCE(inode->size) && vfs_fsize_check(size))
		return -EFBIG;
	attr.valid |= remove_privs_attr(inode);
	return vfs_setattr_size(d, &attr);
}

/* An existing final component of open(O_CREAT): 0 with *out, 1 to walk on. */
static int open_existing(struct nameidata *nd, int flags, struct dentry *d, struct dentry **out)
{
	int r;

	if (flags & O_EXCL) {
		dentry_put(d);
		return -EEXIST;
	}
	if (S_ISLNK(d->inode->mode) && !(flags & O_NOFOLLOW)) {
		r = follow_link(nd, d);
		return r ? r : 1;
	}
	*out = d;
	return 0;
}

/* The final component of open(O_CREAT): 0 with *out, 1 to walk on. */
static int open_create_last(struct nameidata *nd, int flags, unsigned mode, struct dentry **out,
			    bool *created)
{
	struct make_args a = { .mode = S_IFREG | (mode & S_IALLUGO) };
	struct dentry *dir = nd->cur, *d;
	int r;

	if (!last_is_normal(nd) || nd->last_slash)
		return -EISDIR;
	if (!S_ISDIR(dir->inode->mode))
		return -ENOTDIR;
	for (;;) {
		r = lookup_child(dir, &nd->last, &d);
		if (r != -ENOENT)
			return r ? r : open_existing(nd, flags, d_cross_mounts(d), out);
		r = create_in(dir, &nd->last, false, make_file, &a, out);
		if (r != -EEXIST || (flags & O_EXCL))
			break;
	}
	*created = r == 0;
	return r;
}

static int open_resolve(struct dentry *base, const char *path, int flags, unsigned mode,
			struct dentry **out, bool *created)
{
	struct nameidata nd;
	int r = nd_init(&nd, base, path);

	if (r)
		return r;
	do {
		r = walk_parent(&nd);
		if (r)
			break;
		if (flags & O_CREAT)
			r = open_create_last(&nd, flags, mode, out, created);
		else
			r = lookup_last(&nd, !(flags & O_NOFOLLOW), out);
	} while (r == 1);
	nd_release(&nd);
	return r;
}

/* What open's access mode asks (O_ACCMODE 3, ioctl only, asks for both, as Linux). */
static int open_acc_mode(int flags)
{
	static const int acc[4] = { MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE,
				    MAY_READ | MAY_WRITE };

	return acc[flags & O_ACCMODE] | ((flags & O_TRUNC) ? MAY_WRITE : 0);
}

/*
 * Linux's may_open: types first, -EROFS for writing on a read-only mount,
 * then the permission the access mode asks for (not for a file this open
 * created), and O_NOATIME for the owner or CAP_FOWNER only.
 */
static int may_open(struct dentry *d, int flags, bool created)
{
	struct inode *inode = d->inode;
	unsigned mode = inode->mode;
	int acc = open_acc_mode(flags), r;

	if (S_ISLNK(mode))
		return (flags & O_PATH) ? 0 : -ELOOP;
	if ((flags & O_DIRECTORY) && !S_ISDIR(mode))
		return -ENOTDIR;
	if (flags & O_PATH)
		return 0;
	if (S_ISDIR(mode) && ((acc & MAY_WRITE) || (flags & O_CREAT)))
		return -EISDIR;
	if ((acc & MAY_WRITE) && S_ISREG(mode) && vfs_rdonly(d))
		return -EROFS;
	if ((S_ISCHR(mode) || S_ISBLK(mode)) &&
	    (__atomic_load_n(&inode->sb->flags, __ATOMIC_RELAXED) & MS_NODEV))
		return -EACCES;
	if (!created && (r = inode_permission(inode, acc)))
		return r;
	if ((flags & O_NOATIME) && !inode_owner_or_capable(inode))
		return -EPERM;
	return 0;
}

static int open_flags_check(int *flags)
{
	if (*flags & (O_TMPFILE & ~O_DIRECTORY))
		return -EOPNOTSUPP;
	if (*flags & O_PATH)
		*flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if ((*flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
		return -EINVAL;
	return 0;
}

static int open_truncate(struct file *f)
{
	struct vfs_attr attr = { .valid = ATTR_SIZE | ATTR_MTIME, .size = 0, .mtime = vfs_now() };
	struct inode *inode = f->inode;

	attr.valid |= remove_privs_attr(inode); /* set-ID bits, as a write's */
	return inode->iops->setattr ? inode->iops->setattr(inode, &attr) : 0;
}

int vfs_openat(struct dentry *base, const char *path, int flags, unsigned mode, struct file **out)
{
	bool created = false, truncated = false;
	struct dentry *d;
	int r = open_flags_check(&flags);

	if (r)
		return r;
	r = open_resolve(base, path, flags, mode, &d, &created);
	if (r)
		return r;
	r = may_open(d, flags, created);
	if (!r)
		r = vfs_open_dentry_quiet(d, flags, out);
	if (!r && (flags & O_TRUNC) && !created && S_ISREG(d->inode->mode)) {
		r = open_truncate(*out);
		truncated = !r;
		if (r) { /* -EWAIT too (ext2): the call runs again, this open never happened */
			(*out)->fmode |= FMODE_NONOTIFY;
			file_put(*out);
		}
	}
	/* Reported once the open is done: IN_OPEN, then O_TRUNC's IN_MODIFY, as Linux. */
	if (!r && !(flags & O_PATH))
		notify_dentry(d, IN_OPEN);
	if (truncated)
		notify_dentry(d, IN_MODIFY);
	dentry_put(d);
	return r;
}

int vfs_open_exec(struct dentry *base, const char *path, struct file **out)
{
	bool created = false;
	struct dentry *d;
	unsigned mode;
	int r = open_resolve(base, path, O_RDONLY, 0, &d, &created);

	if (r)
		return r;
	mode = d->inode->mode;
	if (!S_ISREG(mode) || vfs_noexec(d))
		r = -EACCES; /* directories, devices, FIFOs: as Linux's may_open for MAY_EXEC */
	if (!r)
		r = inode_permission(d->inode, MAY_EXEC);
	if (!r)
		r = vfs_open_dentry(d, O_RDONLY, out);
	dentry_put(d);
	return r;
}
