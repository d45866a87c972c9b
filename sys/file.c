/*
 * File system calls of this issue: open/openat, close, read, write,
 * readv, writev, pread64, lseek, fstat, ioctl (layer one; the VFS in fs/
 * does the rest). A read that must wait (the console) returns -EWAIT from
 * the VFS and is run again when input arrives; readv and writev keep their
 * progress in the wait so that a run again does not repeat bytes.
 */
#include <kernel/syscall.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <mm/slab.h>
#include <lib/compiler.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/stat.h>

#define PATH_MAX 4096
#define IOV_MAX	 1024
#define RW_MAX	 0x7ffff000 /* Linux caps one read or write at this */

struct file *fget(int fd)
{
	return fd_get_file(current_proc()->fds, fd);
}

/* Copies a path from user memory into a kmalloc'd buffer (*out), or returns -errno. */
long copy_path(uintptr_t upath, char **out)
{
	char *buf = kmalloc(PATH_MAX);
	long n;

	if (!buf)
		return -ENOMEM;
	n = strncpy_from_user(buf, upath, PATH_MAX);
	if (n < 0 || n == 0) {
		kfree(buf);
		return n < 0 ? n : -ENOENT;
	}
	*out = buf;
	return 0;
}

/* The directory a *at() call starts from: the cwd, or an open directory. */
long at_base(int dirfd, const char *path, struct dentry **base)
{
	struct file *f;

	*base = NULL;
	if (path[0] == '/')
		return 0;
	if (dirfd == AT_FDCWD) {
		*base = current_proc()->cwd ? dentry_get(current_proc()->cwd) : NULL;
		return 0;
	}
	f = fget(dirfd);
	if (!f)
		return -EBADF;
	*base = dentry_get(f->dentry);
	file_put(f);
	return 0;
}

static long do_open(int dirfd, uintptr_t upath, int flags, unsigned mode)
{
	struct dentry *base = NULL;
	struct file *f = NULL;
	char *path;
	long ret = copy_path(upath, &path);

	if (ret)
		return ret;
	ret = at_base(dirfd, path, &base);
	if (!ret)
		ret = vfs_openat(base, path, flags, mode & ~current_proc()->umask & 07777, &f);
	if (!ret) {
		ret = fd_install(current_proc()->fds, f, flags & O_CLOEXEC);
		if (ret < 0)
			file_put(f); /* on success the table owns our reference */
	}
	if (base)
		dentry_put(base);
	kfree(path);
	return ret;
}

SYSCALL_DEFINE3(open, uintptr_t, path, int, flags, unsigned, mode)
{
	return do_open(AT_FDCWD, path, flags, mode);
}

SYSCALL_DEFINE4(openat, int, dirfd, uintptr_t, path, int, flags, unsigned, mode)
{
	return do_open(dirfd, path, flags, mode);
}

SYSCALL_DEFINE1(close, int, fd)
{
	return fd_close(current_proc()->fds, fd);
}

static long rw_one(int fd, uintptr_t buf, size_t len, bool write, int64_t pos)
{
	struct file *f = fget(fd);
	struct iobuf b = iobuf_user(buf, MIN(len, (size_t)RW_MAX));
	long ret;

	if (!f)
		return -EBADF;
	if (!user_range_ok(buf, b.len))
		ret = -EFAULT;
	else if (pos >= 0)
		ret = write ? vfs_pwrite(f, &b, pos) : vfs_pread(f, &b, pos);
	else
		ret = write ? vfs_write(f, &b) : vfs_read(f, &b);
	file_put(f);
	return ret;
}

SYSCALL_DEFINE3(read, int, fd, uintptr_t, buf, size_t, len)
{
	return rw_one(fd, buf, len, false, -1);
}

SYSCALL_DEFINE3(write, int, fd, uintptr_t, buf, size_t, len)
{
	return rw_one(fd, buf, len, true, -1);
}

SYSCALL_DEFINE4(pread64, int, fd, uintptr_t, buf, size_t, len, int64_t, pos)
{
	return pos < 0 ? -EINVAL : rw_one(fd, buf, len, false, pos);
}

struct user_iovec {
	uint64_t base, len;
};

/*
 * readv/writev: one iovec at a time; the bytes done so far are kept in
 * the wait (progress[0]) so that a call run again after waiting goes on
 * where it stopped. A short transfer or a wait after progress ends the call.
 */
static long rw_vector(int fd, uintptr_t uiov, int count, bool write)
{
	struct wait *w = current_wait();
	uint64_t done = w->progress[0], skip = done;
	struct user_iovec iov;
	long n = 0;

	if (count < 0 || count > IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < count; i++) {
		if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov)))
			return done ? (long)done : -EFAULT;
		if (iov.len > RW_MAX)
			return -EINVAL;
		if (skip >= iov.len) {
			skip -= iov.len;
			continue;
		}
		n = rw_one(fd, iov.base + skip, iov.len - skip, write, -1);
		if (n == -EWAIT && done)
			return done;
		if (n < 0)
			return done ? (long)done : n;
		done += n;
		w->progress[0] = done;
		if ((uint64_t)n < iov.len - skip)
			break;
		skip = 0;
	}
	return done;
}

SYSCALL_DEFINE3(readv, int, fd, uintptr_t, iov, int, count)
{
	return rw_vector(fd, iov, count, false);
}

SYSCALL_DEFINE3(writev, int, fd, uintptr_t, iov, int, count)
{
	return rw_vector(fd, iov, count, true);
}

SYSCALL_DEFINE3(lseek, int, fd, int64_t, off, int, whence)
{
	struct file *f = fget(fd);
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_lseek(f, off, whence);
	file_put(f);
	return ret;
}

SYSCALL_DEFINE2(fstat, int, fd, uintptr_t, ust)
{
	struct file *f = fget(fd);
	struct kstat k;
	struct stat st;
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_fstat(f, &k);
	file_put(f);
	if (ret)
		return ret;
	kstat_to_stat(&k, &st);
	return copy_to_user(ust, &st, sizeof(st));
}

SYSCALL_DEFINE3(ioctl, int, fd, unsigned, cmd, uintptr_t, arg)
{
	struct file *f = fget(fd);
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_ioctl(f, cmd, arg);
	file_put(f);
	return ret;
}

static long dup_to(int oldfd, int newfd, bool cloexec)
{
	struct file *f = fget(oldfd);
	long ret;

	if (!f)
		return -EBADF;
	ret = fd_install_at(current_proc()->fds, newfd, f, cloexec);
	if (ret < 0)
		file_put(f);
	return ret;
}

static long dup_from(int oldfd, int min, bool cloexec)
{
	struct file *f = fget(oldfd);
	long ret;

	if (!f)
		return -EBADF;
	ret = fd_install_from(current_proc()->fds, min, f, cloexec);
	if (ret < 0)
		file_put(f);
	return ret;
}

SYSCALL_DEFINE1(dup, int, fd)
{
	return dup_from(fd, 0, false);
}

SYSCALL_DEFINE2(dup2, int, oldfd, int, newfd)
{
	struct file *f;

	if (oldfd != newfd)
		return dup_to(oldfd, newfd, false);
	f = fget(oldfd); /* dup2(fd, fd) checks fd and changes nothing */
	if (!f)
		return -EBADF;
	file_put(f);
	return newfd;
}

SYSCALL_DEFINE3(dup3, int, oldfd, int, newfd, int, flags)
{
	if (oldfd == newfd || (flags & ~O_CLOEXEC))
		return -EINVAL;
	return dup_to(oldfd, newfd, flags & O_CLOEXEC);
}

SYSCALL_DEFINE3(fcntl, int, fd, int, cmd, uintptr_t, arg)
{
	struct fd_table *t = current_proc()->fds;
	struct file *f;
	long ret = 0;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return (long)arg >= FD_MAX ? -EINVAL : dup_from(fd, arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		ret = fd_get_cloexec(t, fd);
		return ret < 0 ? ret : (ret ? FD_CLOEXEC : 0);
	case F_SETFD:
		return fd_set_cloexec(t, fd, arg & FD_CLOEXEC);
	case F_GETFL:
	case F_SETFL:
		break;
	default:
		return -EINVAL;
	}
	f = fget(fd);
	if (!f)
		return -EBADF;
	if (cmd == F_GETFL)
		ret = vfs_getfl(f);
	else
		vfs_setfl(f, arg);
	file_put(f);
	return ret;
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

static long op_unlink(struct dentry *base, const char *path, long flags)
{
	return (flags & AT_REMOVEDIR) ? vfs_rmdir(base, path) : vfs_unlink(base, path);
}

static long op_mkdir(struct dentry *base, const char *path, long mode)
{
	return vfs_mkdir(base, path, mode & ~current_proc()->umask & 07777);
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

/* stat family: path lookups, or the open file itself with AT_EMPTY_PATH and "". */
static long stat_common(int dirfd, uintptr_t upath, uintptr_t ust, int flags)
{
	struct dentry *base = NULL;
	struct kstat k;
	struct stat st;
	char *path;
	long ret;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	ret = copy_path(upath, &path);
	if (ret == -ENOENT && (flags & AT_EMPTY_PATH))
		return sys_fstat((const uint64_t[]){ (uint64_t)dirfd, ust });
	if (ret)
		return ret;
	ret = at_base(dirfd, path, &base);
	if (!ret)
		ret = vfs_statat(base, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &k);
	if (base)
		dentry_put(base);
	kfree(path);
	if (ret)
		return ret;
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

static long do_readlink(int dirfd, uintptr_t upath, uintptr_t ubuf, long size)
{
	struct dentry *base = NULL;
	char *path, *buf;
	long ret;

	if (size <= 0)
		return -EINVAL;
	ret = copy_path(upath, &path);
	if (ret)
		return ret;
	buf = kmalloc(PATH_MAX);
	ret = buf ? at_base(dirfd, path, &base) : -ENOMEM;
	if (!ret)
		ret = vfs_readlink(base, path, buf, MIN((size_t)size, (size_t)PATH_MAX));
	if (ret > 0 && copy_to_user(ubuf, buf, ret))
		ret = -EFAULT;
	if (base)
		dentry_put(base);
	kfree(buf);
	kfree(path);
	return ret;
}

SYSCALL_DEFINE3(readlink, uintptr_t, path, uintptr_t, buf, long, size)
{
	return do_readlink(AT_FDCWD, path, buf, size);
}

SYSCALL_DEFINE4(readlinkat, int, dirfd, uintptr_t, path, uintptr_t, buf, long, size)
{
	return do_readlink(dirfd, path, buf, size);
}
