/*
 * System calls on path names (layer one; the VFS in fs/ does the rest):
 * the stat family and statx, mkdir, mknod, unlink, rmdir, link, symlink,
 * readlink, rename, chmod, chown, access, truncate, the utime family,
 * statfs, mount, umount2 and sync; and the process's place in the tree:
 * getcwd, chdir, fchdir, chroot, umask. Each copies its path in, finds
 * what it names (at_lookup: relative to a dirfd or AT_FDCWD, or with
 * AT_EMPTY_PATH the dirfd itself) and calls the VFS. The helpers that
 * sys/file.c shares (copy_path, at_base) live here too.
 *
 * The working directory, root and umask are the process's (p) fields:
 * read and changed under its lock, references put after it is dropped.
 */
#include <kernel/syscall.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/uaccess.h>
#include <fs/vfs.h>
#include <fs/writeback.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/mount.h>
#include <uapi/stat.h>
#include <uapi/statfs.h>

/* ---- paths and the process's directories ---- */

long copy_path(uintptr_t upath, char **out)
{
	char *buf = kmalloc(PATH_MAX);
	long n;

	if (!buf)
		return -ENOMEM;
	n = strncpy_from_user(buf, upath, PATH_MAX);
	if (n <= 0) {
		kfree(buf);
		return n < 0 ? n : -ENOENT;
	}
	*out = buf;
	return 0;
}

/* The working directory, referenced (the root if the process has none). */
static struct dentry *cwd_get(void)
{
	struct process *p = current_proc();
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct dentry *d = p->cwd ? dentry_get(p->cwd) : NULL;

	spin_unlock_irqrestore(&p->lock, flags);
	return d ? d : vfs_current_root();
}

long at_base(int dirfd, const char *path, struct dentry **base)
{
	struct file *f;

	*base = NULL;
	if (path[0] == '/')
		return 0;
	if (dirfd == AT_FDCWD) {
		*base = cwd_get();
		return 0;
	}
	f = fget(dirfd);
	if (!f)
		return -EBADF;
	*base = dentry_get(f->dentry);
	file_put(f);
	return 0;
}

/* What dirfd refers to, for AT_EMPTY_PATH: an open file, or the cwd. */
static long fd_dentry(int dirfd, struct dentry **out)
{
	struct file *f;

	if (dirfd == AT_FDCWD) {
		*out = cwd_get();
		return 0;
	}
	f = fget(dirfd);
	if (!f)
		return -EBADF;
	*out = dentry_get(f->dentry);
	file_put(f);
	return 0;
}

/*
 * The dentry a *at() call names (referenced). "" is -ENOENT unless
 * AT_EMPTY_PATH, which also allows a NULL path (as Linux since 6.11).
 */
static long at_lookup(int dirfd, uintptr_t upath, int at_flags, unsigned lookup_flags,
		      struct dentry **out)
{
	struct dentry *base;
	char *path;
	long r = upath || !(at_flags & AT_EMPTY_PATH) ? copy_path(upath, &path) : -ENOENT;

	if (r == -ENOENT && (at_flags & AT_EMPTY_PATH))
		return fd_dentry(dirfd, out);
	if (r)
		return r;
	r = at_base(dirfd, path, &base);
	if (!r)
		r = vfs_lookup(base, path, lookup_flags, out);
	if (base)
		dentry_put(base);
	kfree(path);
	return r;
}

static unsigned follow_unless(int at_flags)
{
	return (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
}

/* Calls a path operation relative to dirfd with the path copied in. */
static long at_path_op(int dirfd, uintptr_t upath, long (*op)(struct dentry *, const char *, long),
		       long arg)
{
	struct dentry *base = NULL;
	char *path;
	long ret = copy_path(upath, &path);

	if (ret)
		return ret;
	ret = at_base(dirfd, path, &base);
	if (!ret)
		ret = op(base, path, arg);
	if (base)
		dentry_put(base);
	kfree(path);
	return ret;
}

static unsigned umask_get(void)
{
	return READ_ONCE(current_proc()->umask);
}

/* ---- stat ---- */

static long stat_at(int dirfd, uintptr_t upath, int flags, struct kstat *k)
{
	struct dentry *d;
	long r = at_lookup(dirfd, upath, flags, follow_unless(flags), &d);

	if (r)
		return r;
	vfs_getattr(d, k);
	dentry_put(d);
	return 0;
}

static long stat_common(int dirfd, uintptr_t upath, uintptr_t ust, int flags)
{
	struct kstat k;
	struct stat st;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	r = stat_at(dirfd, upath, flags, &k);
	if (r)
		return r;
	kstat_to_stat(&k, &st);
	return copy_to_user(ust, &st, sizeof(st));
}

SYSCALL_DEFINE2(stat, uintptr_t, path, uintptr_t, st)
{
	return stat_common(AT_FDCWD, path, st, 0);
}

SYSCALL_DEFINE2(lstat, uintptr_t, path, uintptr_t, st)
{
	return stat_common(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE4(newfstatat, int, dirfd, uintptr_t, path, uintptr_t, st, int, flags)
{
	return stat_common(dirfd, path, st, flags);
}

#define STATX_FLAGS (AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)

SYSCALL_DEFINE5(statx, int, dirfd, uintptr_t, path, int, flags, unsigned, mask, uintptr_t, ubuf)
{
	struct statx sx;
	struct kstat k;
	long r;

	if (mask & STATX__RESERVED)
		return -EINVAL;
	if ((flags & ~STATX_FLAGS) || (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	r = stat_at(dirfd, path, flags, &k);
	if (r)
		return r;
	kstat_to_statx(&k, &sx);
	return copy_to_user(ubuf, &sx, sizeof(sx));
}

/* ---- creating and removing names ---- */

static long op_unlink(struct dentry *base, const char *path, long flags)
{
	return (flags & AT_REMOVEDIR) ? vfs_rmdir(base, path) : vfs_unlink(base, path);
}

static long op_mkdir(struct dentry *base, const char *path, long mode)
{
	return vfs_mkdir(base, path, mode & ~umask_get() & 07777);
}

SYSCALL_DEFINE1(unlink, uintptr_t, path)
{
	return at_path_op(AT_FDCWD, path, op_unlink, 0);
}

SYSCALL_DEFINE3(unlinkat, int, dirfd, uintptr_t, path, int, flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return at_path_op(dirfd, path, op_unlink, flags);
}

SYSCALL_DEFINE1(rmdir, uintptr_t, path)
{
	return at_path_op(AT_FDCWD, path, op_unlink, AT_REMOVEDIR);
}

SYSCALL_DEFINE2(mkdir, uintptr_t, path, unsigned, mode)
{
	return at_path_op(AT_FDCWD, path, op_mkdir, mode);
}

SYSCALL_DEFINE3(mkdirat, int, dirfd, uintptr_t, path, unsigned, mode)
{
	return at_path_op(dirfd, path, op_mkdir, mode);
}

/* mknod's dev argument is Linux's 32-bit encoding, which MKDEV also uses. */
static long op_mknod(struct dentry *base, const char *path, long mode_dev)
{
	unsigned mode = (uint64_t)mode_dev >> 32, dev = (uint32_t)mode_dev;

	mode = (mode & S_IFMT) | (mode & ~umask_get() & S_IALLUGO);
	return vfs_mknod(base, path, mode, dev);
}

static long do_mknod(int dirfd, uintptr_t upath, unsigned mode, unsigned dev)
{
	return at_path_op(dirfd, upath, op_mknod, (long)((uint64_t)mode << 32 | dev));
}

SYSCALL_DEFINE3(mknod, uintptr_t, path, unsigned, mode, unsigned, dev)
{
	return do_mknod(AT_FDCWD, path, mode, dev);
}

SYSCALL_DEFINE4(mknodat, int, dirfd, uintptr_t, path, unsigned, mode, unsigned, dev)
{
	return do_mknod(dirfd, path, mode, dev);
}

static long op_symlink(struct dentry *base, const char *path, long target)
{
	return vfs_symlink((const char *)target, base, path);
}

static long do_symlink(uintptr_t utarget, int dirfd, uintptr_t upath)
{
	char *target;
	long r = copy_path(utarget, &target);

	if (r)
		return r;
	r = at_path_op(dirfd, upath, op_symlink, (long)target);
	kfree(target);
	return r;
}

SYSCALL_DEFINE2(symlink, uintptr_t, target, uintptr_t, path)
{
	return do_symlink(target, AT_FDCWD, path);
}

SYSCALL_DEFINE3(symlinkat, uintptr_t, target, int, dirfd, uintptr_t, path)
{
	return do_symlink(target, dirfd, path);
}

/* readlink of "" reads the link dirfd refers to (opened with O_PATH | O_NOFOLLOW). */
static long do_readlink(int dirfd, uintptr_t upath, uintptr_t ubuf, long size)
{
	struct dentry *d;
	char *buf;
	long r;

	if (size <= 0)
		return -EINVAL;
	if (!upath)
		return -EFAULT;
	r = at_lookup(dirfd, upath, AT_EMPTY_PATH, 0, &d);
	if (r)
		return r;
	buf = kmalloc(PATH_MAX);
	r = buf ? vfs_readlink_dentry(d, buf, MIN((size_t)size, (size_t)PATH_MAX)) : -ENOMEM;
	if (r > 0 && copy_to_user(ubuf, buf, r))
		r = -EFAULT;
	kfree(buf);
	dentry_put(d);
	return r;
}

SYSCALL_DEFINE3(readlink, uintptr_t, path, uintptr_t, buf, long, size)
{
	return do_readlink(AT_FDCWD, path, buf, size);
}

SYSCALL_DEFINE4(readlinkat, int, dirfd, uintptr_t, path, uintptr_t, buf, long, size)
{
	return do_readlink(dirfd, path, buf, size);
}

static long op_link(struct dentry *base, const char *path, long old)
{
	return vfs_link((struct dentry *)old, base, path);
}

static long do_link(int olddirfd, uintptr_t oldpath, int newdirfd, uintptr_t newpath, int flags)
{
	struct dentry *old;
	long r;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = at_lookup(olddirfd, oldpath, flags, (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0,
		      &old);
	if (r)
		return r;
	r = at_path_op(newdirfd, newpath, op_link, (long)old);
	dentry_put(old);
	return r;
}

SYSCALL_DEFINE2(link, uintptr_t, oldpath, uintptr_t, newpath)
{
	return do_link(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

SYSCALL_DEFINE5(linkat, int, olddirfd, uintptr_t, oldpath, int, newdirfd, uintptr_t, newpath, int,
		flags)
{
	return do_link(olddirfd, oldpath, newdirfd, newpath, flags);
}

static long do_rename(int olddirfd, uintptr_t uold, int newdirfd, uintptr_t unew, unsigned flags)
{
	struct dentry *obase = NULL, *nbase = NULL;
	char *oldp = NULL, *newp = NULL;
	long r = copy_path(uold, &oldp);

	if (!r)
		r = copy_path(unew, &newp);
	if (!r)
		r = at_base(olddirfd, oldp, &obase);
	if (!r)
		r = at_base(newdirfd, newp, &nbase);
	if (!r)
		r = vfs_rename(obase, oldp, nbase, newp, flags);
	if (obase)
		dentry_put(obase);
	if (nbase)
		dentry_put(nbase);
	kfree(newp);
	kfree(oldp);
	return r;
}

SYSCALL_DEFINE2(rename, uintptr_t, oldpath, uintptr_t, newpath)
{
	return do_rename(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

SYSCALL_DEFINE4(renameat, int, olddirfd, uintptr_t, oldpath, int, newdirfd, uintptr_t, newpath)
{
	return do_rename(olddirfd, oldpath, newdirfd, newpath, 0);
}

SYSCALL_DEFINE5(renameat2, int, olddirfd, uintptr_t, oldpath, int, newdirfd, uintptr_t, newpath,
		unsigned, flags)
{
	return do_rename(olddirfd, oldpath, newdirfd, newpath, flags);
}

/* ---- attributes: chmod, chown, access, truncate, times ---- */

/* Applies attr to what dirfd and path name. */
static long setattr_at(int dirfd, uintptr_t upath, int flags, const struct vfs_attr *attr)
{
	struct dentry *d;
	long r = at_lookup(dirfd, upath, flags, follow_unless(flags), &d);

	if (r)
		return r;
	r = vfs_setattr(d, attr);
	dentry_put(d);
	return r;
}

/* The open file fd, for the f*() calls that O_PATH files do not allow (-EBADF). */
static long setattr_fd(int fd, const struct vfs_attr *attr)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	r = (f->fmode & FMODE_PATH) ? -EBADF : vfs_setattr(f->dentry, attr);
	file_put(f);
	return r;
}

static struct vfs_attr mode_attr(unsigned mode)
{
	return (struct vfs_attr){ .valid = ATTR_MODE, .mode = mode & S_IALLUGO };
}

SYSCALL_DEFINE2(chmod, uintptr_t, path, unsigned, mode)
{
	struct vfs_attr a = mode_attr(mode);

	return setattr_at(AT_FDCWD, path, 0, &a);
}

SYSCALL_DEFINE2(fchmod, int, fd, unsigned, mode)
{
	struct vfs_attr a = mode_attr(mode);

	return setattr_fd(fd, &a);
}

SYSCALL_DEFINE3(fchmodat, int, dirfd, uintptr_t, path, unsigned, mode)
{
	struct vfs_attr a = mode_attr(mode);

	return setattr_at(dirfd, path, 0, &a);
}

SYSCALL_DEFINE4(fchmodat2, int, dirfd, uintptr_t, path, unsigned, mode, int, flags)
{
	struct vfs_attr a = mode_attr(mode);

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return setattr_at(dirfd, path, flags, &a);
}

/*
 * chown: -1 leaves an id alone. As Linux does (even for root), a change
 * of owner clears set-user-ID, and set-group-ID when group-executable,
 * on anything but a directory; the VFS applies it to the file's type.
 */
static struct vfs_attr owner_attr(uint32_t uid, uint32_t gid)
{
	struct vfs_attr a = { .valid = ATTR_KILL_SUID | ATTR_KILL_SGID, .uid = uid, .gid = gid };

	if (uid != (uint32_t)-1)
		a.valid |= ATTR_UID;
	if (gid != (uint32_t)-1)
		a.valid |= ATTR_GID;
	return a;
}

static long chown_at(int dirfd, uintptr_t path, uint32_t uid, uint32_t gid, int flags)
{
	struct vfs_attr a = owner_attr(uid, gid);

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return setattr_at(dirfd, path, flags, &a);
}

SYSCALL_DEFINE3(chown, uintptr_t, path, uint32_t, uid, uint32_t, gid)
{
	return chown_at(AT_FDCWD, path, uid, gid, 0);
}

SYSCALL_DEFINE3(lchown, uintptr_t, path, uint32_t, uid, uint32_t, gid)
{
	return chown_at(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE5(fchownat, int, dirfd, uintptr_t, path, uint32_t, uid, uint32_t, gid, int, flags)
{
	return chown_at(dirfd, path, uid, gid, flags);
}

SYSCALL_DEFINE3(fchown, int, fd, uint32_t, uid, uint32_t, gid)
{
	struct vfs_attr a = owner_attr(uid, gid);

	return setattr_fd(fd, &a);
}

static long do_access(int dirfd, uintptr_t upath, int mode, int flags)
{
	const struct cred *c = current_cred();
	bool eff = flags & AT_EACCESS;
	uint32_t uid = eff ? c->euid : c->uid;
	uint32_t gid = eff ? c->egid : c->gid;
	struct dentry *d;
	long r;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = at_lookup(dirfd, upath, flags, follow_unless(flags), &d);
	if (r)
		return r;
	r = vfs_access(d, mode, uid, gid);
	dentry_put(d);
	return r;
}

SYSCALL_DEFINE2(access, uintptr_t, path, int, mode)
{
	return do_access(AT_FDCWD, path, mode, 0);
}

SYSCALL_DEFINE3(faccessat, int, dirfd, uintptr_t, path, int, mode)
{
	return do_access(dirfd, path, mode, 0);
}

SYSCALL_DEFINE4(faccessat2, int, dirfd, uintptr_t, path, int, mode, int, flags)
{
	return do_access(dirfd, path, mode, flags);
}

SYSCALL_DEFINE2(truncate, uintptr_t, upath, int64_t, size)
{
	struct dentry *d;
	long r;

	if (size < 0)
		return -EINVAL;
	r = at_lookup(AT_FDCWD, upath, 0, LOOKUP_FOLLOW, &d);
	if (r)
		return r;
	r = vfs_truncate(d, size);
	dentry_put(d);
	return r;
}

/* The utime family's times, as utimensat takes them. */
struct user_timespec {
	int64_t sec, nsec;
};

/* atime and mtime from t (NULL: both now); UTIME_OMIT leaves one alone. */
static long times_attr(const struct user_timespec *t, struct vfs_attr *a)
{
	struct vfs_timespec now = vfs_now();

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < 2; i++) {
		int64_t nsec = t ? t[i].nsec : UTIME_NOW;
		struct vfs_timespec *dst = i ? &a->mtime : &a->atime;

		if (nsec == UTIME_OMIT)
			continue;
		if (nsec != UTIME_NOW && (nsec < 0 || nsec >= 1000000000))
			return -EINVAL;
		*dst = nsec == UTIME_NOW ? now : (struct vfs_timespec){ t[i].sec, nsec };
		a->valid |= i ? ATTR_MTIME : ATTR_ATIME;
	}
	return 0;
}

/* utimensat and the older calls: path NULL with a dirfd means the open file. */
static long set_times(int dirfd, uintptr_t upath, const struct user_timespec *t, int flags)
{
	struct vfs_attr a;
	long r;

	if (!upath && dirfd != AT_FDCWD) {
		if (flags)
			return -EINVAL;
		r = times_attr(t, &a);
		return r ? r : setattr_fd(dirfd, &a);
	}
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = times_attr(t, &a);
	return r ? r : setattr_at(dirfd, upath, flags, &a);
}

SYSCALL_DEFINE4(utimensat, int, dirfd, uintptr_t, path, uintptr_t, utimes, int, flags)
{
	struct user_timespec t[2];

	if (!utimes)
		return set_times(dirfd, path, NULL, flags);
	if (copy_from_user(t, utimes, sizeof(t)))
		return -EFAULT;
	if (t[0].nsec == UTIME_OMIT && t[1].nsec == UTIME_OMIT)
		return 0; /* nothing to change: Linux does not even look the path up */
	return set_times(dirfd, path, t, flags);
}

/* utimes and futimesat take struct timeval pairs. */
static long set_timevals(int dirfd, uintptr_t path, uintptr_t utv)
{
	struct user_timespec t[2];

	if (!utv)
		return set_times(dirfd, path, NULL, 0);
	if (copy_from_user(t, utv, sizeof(t)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (t[i].nsec < 0 || t[i].nsec >= 1000000)
			return -EINVAL;
		t[i].nsec *= 1000;
	}
	return set_times(dirfd, path, t, 0);
}

SYSCALL_DEFINE2(utimes, uintptr_t, path, uintptr_t, tv)
{
	return set_timevals(AT_FDCWD, path, tv);
}

SYSCALL_DEFINE3(futimesat, int, dirfd, uintptr_t, path, uintptr_t, tv)
{
	return set_timevals(dirfd, path, tv);
}

SYSCALL_DEFINE2(utime, uintptr_t, path, uintptr_t, ubuf)
{
	int64_t times[2]; /* struct utimbuf: actime, modtime */
	struct user_timespec t[2];

	if (!ubuf)
		return set_times(AT_FDCWD, path, NULL, 0);
	if (copy_from_user(times, ubuf, sizeof(times)))
		return -EFAULT;
	t[0] = (struct user_timespec){ times[0], 0 };
	t[1] = (struct user_timespec){ times[1], 0 };
	return set_times(AT_FDCWD, path, t, 0);
}

/* ---- the working directory, the root, the umask ---- */

/* Replaces *slot (cwd or root) with d, whose reference it takes; puts the old one. */
static void swap_dir(struct dentry **slot, struct dentry *d)
{
	struct process *p = current_proc();
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct dentry *old = *slot;

	*slot = d;
	spin_unlock_irqrestore(&p->lock, flags);
	if (old)
		dentry_put(old);
}

SYSCALL_DEFINE2(getcwd, uintptr_t, ubuf, size_t, size)
{
	struct dentry *cwd = cwd_get(), *root = vfs_current_root();
	char *buf = kmalloc(PATH_MAX);
	long n = buf ? dentry_path_from(cwd, root, buf, PATH_MAX) : -ENOMEM;

	if (n == -ERANGE)
		n = -ENAMETOOLONG;
	if (n >= 0 && (size_t)n + 1 > size)
		n = -ERANGE;
	if (n >= 0)
		n = copy_to_user(ubuf, buf, n + 1) ? -EFAULT : n + 1;
	kfree(buf);
	dentry_put(root);
	dentry_put(cwd);
	return n;
}

SYSCALL_DEFINE1(chdir, uintptr_t, path)
{
	struct dentry *d;
	long r = at_lookup(AT_FDCWD, path, 0, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &d);

	if (!r)
		swap_dir(&current_proc()->cwd, d);
	return r;
}

SYSCALL_DEFINE1(fchdir, int, fd)
{
	struct file *f = fget(fd);
	struct dentry *d;

	if (!f)
		return -EBADF;
	d = dentry_get(f->dentry);
	file_put(f);
	if (!S_ISDIR(d->inode->mode)) {
		dentry_put(d);
		return -ENOTDIR;
	}
	swap_dir(&current_proc()->cwd, d);
	return 0;
}

SYSCALL_DEFINE1(chroot, uintptr_t, path)
{
	struct dentry *d;
	long r;

	if (!capable(CAP_SYS_CHROOT))
		return -EPERM;
	r = at_lookup(AT_FDCWD, path, 0, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &d);
	if (!r)
		swap_dir(&current_proc()->root, d);
	return r;
}

SYSCALL_DEFINE1(umask, unsigned, mask)
{
	struct process *p = current_proc();
	unsigned long flags = spin_lock_irqsave(&p->lock);
	unsigned old = p->umask;

	p->umask = mask & 0777;
	spin_unlock_irqrestore(&p->lock, flags);
	return old;
}

/* ---- file systems: statfs, mount, umount2, sync ---- */

static long statfs_out(struct dentry *d, uintptr_t ubuf)
{
	struct statfs st;
	long r = vfs_statfs(d, &st);

	dentry_put(d);
	if (r)
		return r;
	return copy_to_user(ubuf, &st, sizeof(st));
}

SYSCALL_DEFINE2(statfs, uintptr_t, path, uintptr_t, buf)
{
	struct dentry *d;
	long r = at_lookup(AT_FDCWD, path, 0, LOOKUP_FOLLOW, &d);

	return r ? r : statfs_out(d, buf);
}

SYSCALL_DEFINE2(fstatfs, int, fd, uintptr_t, buf)
{
	struct dentry *d;
	long r = fd == AT_FDCWD ? -EBADF : fd_dentry(fd, &d);

	return r ? r : statfs_out(d, buf);
}

/* A string argument of mount that may be NULL (*out stays NULL). */
static long copy_opt_string(uintptr_t u, size_t max, char **out)
{
	long n;

	*out = NULL;
	if (!u)
		return 0;
	*out = kmalloc(max);
	if (!*out)
		return -ENOMEM;
	n = strncpy_from_user(*out, u, max);
	if (n >= 0)
		return 0;
	kfree(*out);
	*out = NULL;
	return n == -ENAMETOOLONG ? -EINVAL : n;
}

/* A new mount: the type is required (-EINVAL), the source and options are not. */
static long new_mount(struct dentry *base, const char *target, uintptr_t usource, uintptr_t utype,
		      unsigned long flags, uintptr_t udata)
{
	char *source = NULL, *type = NULL, *data = NULL;
	long r = copy_opt_string(utype, 256, &type);

	if (!r && !type)
		r = -EINVAL;
	if (!r)
		r = copy_opt_string(usource, PATH_MAX, &source);
	if (!r)
		r = copy_opt_string(udata, PAGE_SIZE, &data);
	if (!r)
		r = vfs_mount(source, base, target, type, flags, data);
	kfree(data);
	kfree(source);
	kfree(type);
	return r;
}

/* Remount, a propagation change (accepted: there is one name space), or a new mount. */
static long mount_at(struct dentry *base, const char *target, uintptr_t usource, uintptr_t utype,
		     unsigned long flags, uintptr_t udata)
{
	struct dentry *d;
	char *data;
	long r;

	if (flags & MS_REMOUNT) {
		r = copy_opt_string(udata, PAGE_SIZE, &data);
		if (!r)
			r = vfs_remount(base, target, flags, data);
		kfree(data);
		return r;
	}
	if (flags & (MS_BIND | MS_MOVE))
		return -EINVAL; /* a dentry belongs to one mount: no bind mounts yet */
	if (flags & MS_PROPAGATION) {
		r = vfs_lookup(base, target, LOOKUP_FOLLOW, &d);
		if (!r)
			dentry_put(d);
		return r;
	}
	return new_mount(base, target, usource, utype, flags, udata);
}

SYSCALL_DEFINE5(mount, uintptr_t, source, uintptr_t, utarget, uintptr_t, type, unsigned long, flags,
		uintptr_t, data)
{
	struct dentry *base = NULL;
	char *target;
	long r;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~MS_MGC_MSK;
	r = copy_path(utarget, &target);
	if (r)
		return r;
	r = at_base(AT_FDCWD, target, &base);
	if (!r)
		r = mount_at(base, target, source, type, flags, data);
	if (base)
		dentry_put(base);
	kfree(target);
	return r;
}

static long op_umount(struct dentry *base, const char *path, long flags)
{
	return vfs_umount_at(base, path, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW);
}

/* MNT_DETACH of a busy mount is -EBUSY: nothing can be unmounted lazily yet. */
SYSCALL_DEFINE2(umount2, uintptr_t, target, int, flags)
{
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return at_path_op(AT_FDCWD, target, op_umount, flags);
}

/* Every dirty page and metadata block of every file system reaches its disk; always 0. */
SYSCALL_DEFINE0(sync)
{
	return writeback_sync_all() == -EWAIT ? -EWAIT : 0;
}
