/*
 * System calls on file descriptors (layer one; the VFS in fs/ does the
 * rest): open, openat, creat, close, close_range, read, write, pread64,
 * pwrite64, readv, writev, preadv, pwritev, preadv2, pwritev2, lseek,
 * fstat, ioctl, dup, dup2, dup3, fcntl (with advisory record locks that
 * always succeed), flock, getdents, getdents64, sendfile, fsync,
 * fdatasync, syncfs, ftruncate and fallocate. Path-name calls are in
 * sys/fs.c.
 *
 * A read that must wait (the console) returns -EWAIT from the VFS and is
 * run again when input arrives; the vector calls keep their progress in
 * the wait, so that a run again does not repeat bytes.
 */
#include <kernel/syscall.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <fs/pipe.h>
#include <fs/notify.h>
#include <fs/writeback.h>
#include <mm/slab.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/dirent.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/ioctl.h>
#include <uapi/stat.h>

#define IOV_MAX	       1024
#define SENDFILE_CHUNK 16384

struct file *fget(int fd)
{
	return fd_get_file(current_proc()->fds, fd);
}

/* fget for the calls that O_PATH descriptors do not allow (NULL: -EBADF). */
static struct file *fget_io(int fd)
{
	struct file *f = fget(fd);

	if (f && (f->fmode & FMODE_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

/* ---- open and close ---- */

/* The descriptor is taken first, as Linux: at RLIMIT_NOFILE, O_CREAT creates nothing. */
static long do_open(int dirfd, uintptr_t upath, int flags, unsigned mode)
{
	struct fd_table *t = current_proc()->fds;
	struct dentry *base = NULL;
	struct file *f = NULL;
	char *path;
	long ret = copy_path(upath, &path);
	int fd;

	if (ret)
		return ret;
	fd = fd_reserve(t);
	ret = fd < 0 ? fd : at_base(dirfd, path, &base);
	if (!ret)
		ret = vfs_openat(base, path, flags, mode & ~current_proc()->umask & 07777, &f);
	if (!ret) {
		fd_install_reserved(t, fd, f, flags & O_CLOEXEC); /* the table owns our reference */
		ret = fd;
	} else if (fd >= 0) {
		fd_unreserve(t, fd);
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

SYSCALL_DEFINE2(creat, uintptr_t, path, unsigned, mode)
{
	return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

SYSCALL_DEFINE1(close, int, fd)
{
	return fd_close(current_proc()->fds, fd);
}

/* CLOSE_RANGE_UNSHARE: a table shared with another process is copied first. */
static long unshare_fds(void)
{
	struct process *p = current_proc();
	struct fd_table *old = p->fds, *copy;
	unsigned long flags;

	if (__atomic_load_n(&old->refcount, __ATOMIC_ACQUIRE) == 1)
		return 0;
	copy = fdtable_clone(old);
	if (!copy)
		return -ENOMEM;
	flags = spin_lock_irqsave(&p->lock);
	p->fds = copy;
	spin_unlock_irqrestore(&p->lock, flags);
	fdtable_put(old);
	return 0;
}

SYSCALL_DEFINE3(close_range, unsigned, first, unsigned, last, unsigned, flags)
{
	long r = 0;

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	if (flags & CLOSE_RANGE_UNSHARE)
		r = unshare_fds();
	if (!r)
		fd_close_range(current_proc()->fds, first, last, flags & CLOSE_RANGE_CLOEXEC);
	return r;
}

/* ---- read and write ---- */

/* One transfer of b on f: at pos, or at the file's position when pos < 0. */
static long rw_iobuf(struct file *f, const struct iobuf *b, bool write, int64_t pos)
{
	if (pos >= 0)
		return write ? vfs_pwrite(f, b, pos) : vfs_pread(f, b, pos);
	return write ? vfs_write(f, b) : vfs_read(f, b);
}

/* The same from or to the caller's buffer. */
static long rw_file(struct file *f, uintptr_t buf, size_t len, bool write, int64_t pos)
{
	struct iobuf b = iobuf_user(buf, MIN(len, (size_t)MAX_RW_COUNT));

	return user_range_ok(buf, b.len) ? rw_iobuf(f, &b, write, pos) : -EFAULT;
}

static long rw_one(int fd, uintptr_t buf, size_t len, bool write, int64_t pos)
{
	bool held;
	struct file *f = fd_peek_file(current_proc()->fds, fd, &held);
	long ret;

	if (!f)
		return -EBADF;
	ret = rw_file(f, buf, len, write, pos);
	if (held)
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

SYSCALL_DEFINE4(pwrite64, int, fd, uintptr_t, buf, size_t, len, int64_t, pos)
{
	return pos < 0 ? -EINVAL : rw_one(fd, buf, len, true, pos);
}

/* Declared in include/kernel/syscall.h (the socket calls use it too). */
long iov_import(uintptr_t uiov, int count, struct user_iovec **out)
{
	struct user_iovec *iov;
	uint64_t total = 0;

	*out = NULL;
	if (count < 0 || count > IOV_MAX)
		return -EINVAL;
	if (count == 0)
		return 0;
	iov = kmalloc((size_t)count * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	if (copy_from_user(iov, uiov, (size_t)count * sizeof(*iov))) {
		kfree(iov);
		return -EFAULT;
	}
	for (int i = 0; i < count; i++) {
		if ((int64_t)iov[i].len < 0) {
			kfree(iov);
			return -EINVAL;
		}
		iov[i].len = MIN(iov[i].len, (uint64_t)MAX_RW_COUNT - total);
		total += iov[i].len;
	}
	*out = iov;
	return 0;
}

/*
 * The segments one at a time; the bytes done so far are kept in the call's
 * progress record (struct rw_progress) so that a call run again after waiting goes on where it
 * stopped. A short transfer ends the call, and so does a read that would
 * wait after progress. A write that must wait goes on waiting, whatever it
 * moved: a pipe may already hold part of the segment (its own progress
 * word says how much), so ending the call short would make the caller
 * write those bytes twice.
 */
static long rw_segments(struct file *f, const struct user_iovec *iov, int count, bool write,
			int64_t pos)
{
	struct wait *w = current_wait();
	struct rw_progress *rp = progress_rw(w);
	uint64_t done = rp->done, skip = done;
	long n;

	for (int i = 0; i < count; i++) {
		if (skip >= iov[i].len && iov[i].len) {
			skip -= iov[i].len;
			continue;
		}
		w->partial = 0;
		n = rw_file(f, iov[i].base + skip, iov[i].len - skip, write,
			    pos < 0 ? -1 : pos + (int64_t)done);
		if (n == -EWAIT && write) {
			w->partial += (int64_t)done; /* what a signal would make it return */
			return n;
		}
		if (n < 0)
			return done ? (long)done : n;
		done += (uint64_t)n;
		rp->done = done;
		call_progress_kept(); /* a new run skips these bytes: it may wait again */
		w->partial = done;
		if ((uint64_t)n < iov[i].len - skip)
			break;
		skip = 0;
	}
	return (long)done;
}

/* The bytes of the segments in all (0 when none or more than PIPE_BUF, or only one). */
static size_t small_vector_bytes(const struct user_iovec *iov, int count)
{
	uint64_t total = 0;
	int segments = 0;

	for (int i = 0; i < count; i++) {
		total += iov[i].len;
		segments += iov[i].len != 0;
	}
	return segments > 1 && total <= PIPE_BUF ? (size_t)total : 0;
}

/*
 * A vector write of at most PIPE_BUF bytes is one write, as on Linux: a
 * pipe gets it whole (a reader never sees part of it, another writer never
 * comes between its segments), and so does an O_APPEND file. The segments
 * are gathered into one kernel buffer first; gathered again if the call
 * runs again after waiting (a write this small moves all or nothing).
 */
static long write_gathered(struct file *f, const struct user_iovec *iov, int count, size_t total,
			   int64_t pos)
{
	char *buf = kmalloc(total);
	struct iobuf b = iobuf_kernel(buf, total);
	size_t at = 0;
	long r = 0;

	if (!buf)
		return -ENOMEM;
	for (int i = 0; i < count && !r; i++) {
		if (!user_range_ok(iov[i].base, iov[i].len) ||
		    copy_from_user(buf + at, iov[i].base, iov[i].len))
			r = -EFAULT;
		at += iov[i].len;
	}
	if (!r)
		r = rw_iobuf(f, &b, true, pos);
	kfree(buf);
	return r;
}

static long rw_vector(int fd, uintptr_t uiov, int count, bool write, int64_t pos)
{
	struct user_iovec *iov;
	struct file *f = fget(fd);
	size_t small;
	long r;

	if (!f)
		return -EBADF;
	r = iov_import(uiov, count, &iov);
	if (!r && !iov)
		r = rw_file(f, 0, 0, write, pos); /* checks the mode, moves nothing */
	else if (!r && write && (small = small_vector_bytes(iov, count)))
		r = write_gathered(f, iov, count, small, pos);
	else if (!r)
		r = rw_segments(f, iov, count, write, pos);
	kfree(iov);
	file_put(f);
	return r;
}

SYSCALL_DEFINE3(readv, int, fd, uintptr_t, iov, int, count)
{
	return rw_vector(fd, iov, count, false, -1);
}

SYSCALL_DEFINE3(writev, int, fd, uintptr_t, iov, int, count)
{
	return rw_vector(fd, iov, count, true, -1);
}

/* On x86-64 the whole offset is in pos_l; pos_h is for 32-bit callers. */
SYSCALL_DEFINE5(preadv, int, fd, uintptr_t, iov, int, count, int64_t, pos_l, int64_t, pos_h)
{
	(void)pos_h;
	return pos_l < 0 ? -EINVAL : rw_vector(fd, iov, count, false, pos_l);
}

SYSCALL_DEFINE5(pwritev, int, fd, uintptr_t, iov, int, count, int64_t, pos_l, int64_t, pos_h)
{
	(void)pos_h;
	return pos_l < 0 ? -EINVAL : rw_vector(fd, iov, count, true, pos_l);
}

/* preadv2/pwritev2: offset -1 is the file position; the RWF_ hints are accepted. */
static long rw_vector2(int fd, uintptr_t iov, int count, int64_t pos, int flags, bool write)
{
	if (flags & ~RWF_SUPPORTED)
		return -EOPNOTSUPP;
	if (pos < -1)
		return -EINVAL;
	return rw_vector(fd, iov, count, write, pos);
}

SYSCALL_DEFINE6(preadv2, int, fd, uintptr_t, iov, int, count, int64_t, pos_l, int64_t, pos_h, int,
		flags)
{
	(void)pos_h;
	return rw_vector2(fd, iov, count, pos_l, flags, false);
}

SYSCALL_DEFINE6(pwritev2, int, fd, uintptr_t, iov, int, count, int64_t, pos_l, int64_t, pos_h, int,
		flags)
{
	(void)pos_h;
	return rw_vector2(fd, iov, count, pos_l, flags, true);
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

/* ---- sendfile ---- */

/* Writes all n bytes of buf to out, or as many as it takes; the count or an error. */
static long write_all(struct file *out, char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		struct iobuf b = iobuf_kernel(buf + done, n - done);
		long w = vfs_write(out, &b);

		if (w <= 0)
			return done ? (long)done : w;
		done += (size_t)w;
	}
	return (long)done;
}

/*
 * Copies up to count bytes of in from *pos to out through a kernel
 * buffer, advancing *pos by what was written. As with writev, the bytes
 * done so far are kept in the call's progress record (struct rw_progress):
 * a write that must wait goes on waiting whatever was moved (a pipe may
 * already hold part of the chunk, its own progress says how much; ending
 * the call short would make the caller send those bytes twice), and the
 * call run again reads the same bytes from *pos + done. A short write, or
 * a read that would wait after progress, ends the call with the count.
 */
static long sendfile_copy(struct file *out, struct file *in, int64_t *pos, size_t count)
{
	struct wait *w = current_wait();
	struct rw_progress *rp = progress_rw(w);
	char *buf = kmalloc(SENDFILE_CHUNK);
	uint64_t done = rp->done;
	long r = buf ? 0 : -ENOMEM;

	while (buf && done < count) {
		struct iobuf b = iobuf_kernel(buf, MIN(count - done, (size_t)SENDFILE_CHUNK));
		long n = vfs_pread(in, &b, *pos + (int64_t)done);

		if (n <= 0) {
			r = n;
			break;
		}
		w->partial = 0;
		r = write_all(out, buf, (size_t)n);
		if (r == -EWAIT) {
			w->partial += (int64_t)done; /* what a signal would make it return */
			kfree(buf);
			return r;
		}
		if (r <= 0)
			break;
		done += (uint64_t)r;
		rp->done = done;
		call_progress_kept(); /* a new run goes on after these bytes */
		w->partial = (int64_t)done;
		if (r < n)
			break;
	}
	kfree(buf);
	*pos += (int64_t)done;
	return done ? (long)done : r;
}

static long sendfile_files(struct file *out, struct file *in, uintptr_t uoff, size_t count)
{
	bool stream = in->fmode & FMODE_STREAM;
	int64_t pos = 0;
	long r;

	if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE))
		return -EBADF;
	if (vfs_getfl(out) & O_APPEND)
		return -EINVAL;
	/*
	 * As Linux: the input must be a file with positions. From a pipe, the
	 * bytes read would be gone if the output then had to wait.
	 */
	if (stream)
		return -EINVAL;
	if (uoff && copy_from_user(&pos, uoff, sizeof(pos)))
		return -EFAULT;
	if (pos < 0)
		return -EINVAL;
	if (!uoff)
		pos = vfs_lseek(in, 0, SEEK_CUR);
	r = sendfile_copy(out, in, &pos, MIN(count, (size_t)MAX_RW_COUNT));
	if (r > 0 && uoff && copy_to_user(uoff, &pos, sizeof(pos)))
		return -EFAULT;
	if (r > 0 && !uoff)
		vfs_lseek(in, pos, SEEK_SET);
	return r;
}

SYSCALL_DEFINE4(sendfile, int, out_fd, int, in_fd, uintptr_t, offset, size_t, count)
{
	struct file *in = fget(in_fd), *out = fget(out_fd);
	long r = (in && out) ? sendfile_files(out, in, offset, count) : -EBADF;

	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return r;
}

/* ---- attributes and control of open files ---- */

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

/*
 * The requests on the descriptor itself, whatever its file (as Linux's
 * do_vfs_ioctl); false: the file answers (vfs_ioctl).
 */
static bool descriptor_ioctl(int fd, struct file *f, unsigned cmd, uintptr_t arg, long *ret)
{
	int on;

	if (cmd == FIOCLEX || cmd == FIONCLEX) {
		*ret = fd_set_cloexec(current_proc()->fds, fd, cmd == FIOCLEX);
	} else if (cmd == FIONBIO) {
		*ret = copy_from_user(&on, arg, sizeof(on)) ? -EFAULT : 0;
		if (!*ret)
			vfs_changefl(f, O_NONBLOCK, on ? O_NONBLOCK : 0);
	} else {
		return false;
	}
	return true;
}

SYSCALL_DEFINE3(ioctl, int, fd, unsigned, cmd, uintptr_t, arg)
{
	struct file *f = fget(fd);
	long ret;

	if (!f)
		return -EBADF;
	if ((f->fmode & FMODE_PATH) || !descriptor_ioctl(fd, f, cmd, arg, &ret))
		ret = vfs_ioctl(f, cmd, arg);
	file_put(f);
	return ret;
}

static long fsync_fd(int fd, bool datasync)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	r = vfs_fsync(f, datasync);
	file_put(f);
	return r;
}

SYSCALL_DEFINE1(fsync, int, fd)
{
	return fsync_fd(fd, false);
}

SYSCALL_DEFINE1(fdatasync, int, fd)
{
	return fsync_fd(fd, true);
}

/* The file system of fd reaches its disk; its write-back errors that fd has not seen. */
SYSCALL_DEFINE1(syncfs, int, fd)
{
	struct file *f = fget(fd);
	long r;

	if (!f)
		return -EBADF;
	r = vfs_syncfs(f);
	file_put(f);
	return r;
}

#define SYNC_FILE_RANGE_KNOWN \
	(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)

/*
 * Linux starts or waits for write-back of a range and promises nothing
 * about metadata. Here SYNC_FILE_RANGE_WRITE alone starts a flusher pass
 * and returns; with a WAIT flag the call waits for a whole pass, as
 * fdatasync does, and reports the write-back errors fd has not seen.
 */
SYSCALL_DEFINE4(sync_file_range, int, fd, int64_t, offset, int64_t, nbytes, unsigned, flags)
{
	struct file *f = fget(fd);
	unsigned mode;
	long r = 0;

	if (!f)
		return -EBADF;
	mode = f->inode->mode;
	if ((flags & ~SYNC_FILE_RANGE_KNOWN) || offset < 0 || nbytes < 0 ||
	    (uint64_t)offset + (uint64_t)nbytes > (uint64_t)INT64_MAX)
		r = -EINVAL;
	else if (f->fmode & FMODE_PATH)
		r = -EBADF;
	else if (!S_ISREG(mode) && !S_ISDIR(mode) && !S_ISLNK(mode) && !S_ISBLK(mode))
		r = -ESPIPE;
	else if (!S_ISREG(mode) && !S_ISDIR(mode))
		r = 0; /* a device node keeps no data of its own */
	else if (flags & (SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WAIT_AFTER))
		r = vfs_fsync(f, true);
	else if (flags & SYNC_FILE_RANGE_WRITE)
		writeback_start(); /* starts it; the errors stay for a call that waits */
	file_put(f);
	return r;
}

SYSCALL_DEFINE2(ftruncate, int, fd, int64_t, size)
{
	struct file *f;
	long r;

	if (size < 0)
		return -EINVAL;
	f = fget_io(fd);
	if (!f)
		return -EBADF;
	r = vfs_ftruncate(f, size);
	file_put(f);
	return r;
}

SYSCALL_DEFINE4(fallocate, int, fd, int, mode, int64_t, off, int64_t, len)
{
	struct file *f = fget_io(fd);
	long r;

	if (!f)
		return -EBADF;
	r = vfs_fallocate(f, mode, off, len);
	file_put(f);
	return r;
}

/* Advisory whole-file locks: checked, then granted at once (nothing else locks). */
SYSCALL_DEFINE2(flock, int, fd, unsigned, op)
{
	struct file *f = fget_io(fd);
	unsigned kind = op & ~(unsigned)LOCK_NB;

	if (!f)
		return -EBADF;
	file_put(f);
	return (kind == LOCK_SH || kind == LOCK_EX || kind == LOCK_UN) ? 0 : -EINVAL;
}

/* ---- dup and fcntl ---- */

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

/* The byte range a record lock names must start at or after 0 (-EINVAL). */
static long lock_range_check(struct file *f, const struct flock *fl)
{
	int64_t start;

	switch (fl->l_whence) {
	case SEEK_SET:
		start = 0;
		break;
	case SEEK_CUR:
		start = vfs_lseek(f, 0, SEEK_CUR);
		break;
	case SEEK_END:
		start = READ_ONCE(f->inode->size);
		break;
	default:
		return -EINVAL;
	}
	if (start < 0 || __builtin_add_overflow(start, fl->l_start, &start) || start < 0)
		return -EINVAL;
	if (fl->l_len < 0 && (__builtin_add_overflow(start, fl->l_len, &start) || start < 0))
		return -EINVAL;
	return 0;
}

/*
 * F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ forms: advisory locks that
 * nobody else holds. A lock is checked as Linux checks it (type, range,
 * the file open for reading or writing as the type needs); F_GETLK then
 * answers F_UNLCK and setting succeeds.
 */
static long fcntl_lock(struct file *f, int cmd, uintptr_t arg)
{
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
	struct flock fl;
	long r;

	if (copy_from_user(&fl, arg, sizeof(fl)))
		return -EFAULT;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && (get || fl.l_type != F_UNLCK))
		return -EINVAL;
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	r = lock_range_check(f, &fl);
	if (r || !get) {
		if (!r && fl.l_type == F_RDLCK && !(f->fmode & FMODE_READ))
			r = -EBADF;
		if (!r && fl.l_type == F_WRLCK && !(f->fmode & FMODE_WRITE))
			r = -EBADF;
		return r;
	}
	fl.l_type = F_UNLCK;
	return copy_to_user(arg, &fl, sizeof(fl));
}

/* fcntl commands that work on the open file; O_PATH files only allow F_GETFL. */
static long fcntl_file(int fd, int cmd, uintptr_t arg)
{
	struct file *f = fget(fd);
	long ret = 0;

	if (!f)
		return -EBADF;
	if ((f->fmode & FMODE_PATH) && cmd != F_GETFL)
		ret = -EBADF;
	else if (cmd == F_GETFL)
		ret = vfs_getfl(f);
	else if (cmd == F_SETFL)
		ret = vfs_setfl(f, arg);
	else if (cmd == F_GETOWN || cmd == F_SETOWN || cmd == F_GETSIG || cmd == F_SETSIG)
		ret = 0; /* no SIGIO yet: no owner, no signal */
	else if (cmd == F_ADD_SEALS)
		ret = memfd_add_seals(f, (unsigned)arg);
	else if (cmd == F_GET_SEALS)
		ret = memfd_get_seals(f);
	else
		ret = fcntl_lock(f, cmd, arg);
	file_put(f);
	return ret;
}

SYSCALL_DEFINE3(fcntl, int, fd, int, cmd, uintptr_t, arg)
{
	struct fd_table *t = current_proc()->fds;
	long ret;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return arg >= fd_limit() ? -EINVAL : dup_from(fd, (int)arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		ret = fd_get_cloexec(t, fd);
		return ret < 0 ? ret : (ret ? FD_CLOEXEC : 0);
	case F_SETFD:
		return fd_set_cloexec(t, fd, arg & FD_CLOEXEC);
	case F_GETFL:
	case F_SETFL:
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
	case F_GETOWN:
	case F_SETOWN:
	case F_GETSIG:
	case F_SETSIG:
	case F_ADD_SEALS:
	case F_GET_SEALS:
		return fcntl_file(fd, cmd, arg);
	default:
		return -EINVAL;
	}
}

/* ---- directory listings ---- */

/* A getdents call's buffer in user memory. */
struct dirent_buf {
	struct dir_context ctx;
	uintptr_t ubuf;
	size_t size, used;
	bool old; /* getdents: struct linux_dirent, d_type last */
	long error;
};

/* Builds one record in rec (its length is returned). */
static size_t dirent_record(const struct dirent_buf *b, char *rec, const char *name, size_t len,
			    uint64_t ino, unsigned type)
{
	size_t head = b->old ? offsetof(struct linux_dirent, d_name)
			     : offsetof(struct linux_dirent64, d_name);
	size_t reclen = ALIGN_UP(head + len + 1 + b->old, 8);
	int64_t next = b->ctx.pos + 1;

	memset(rec, 0, reclen);
	memcpy(rec, &ino, 8);
	memcpy(rec + 8, &next, 8);
	memcpy(rec + 16, &(uint16_t){ (uint16_t)reclen }, 2);
	if (b->old)
		rec[reclen - 1] = (char)type;
	else
		rec[18] = (char)type;
	memcpy(rec + head, name, len);
	return reclen;
}

static bool dirent_emit(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
			unsigned type)
{
	struct dirent_buf *b = container_of(ctx, struct dirent_buf, ctx);
	char rec[ALIGN_UP(sizeof(struct linux_dirent64) + NAME_MAX + 2, 8)];
	size_t reclen = dirent_record(b, rec, name, len, ino, type);

	if (b->used + reclen > b->size) {
		if (!b->used)
			b->error = -EINVAL; /* not even one entry fits */
		return false;
	}
	if (copy_to_user(b->ubuf + b->used, rec, reclen)) {
		b->error = -EFAULT;
		return false;
	}
	b->used += reclen;
	return true;
}

static long do_getdents(int fd, uintptr_t ubuf, size_t size, bool old)
{
	struct dirent_buf b = { .ctx.emit = dirent_emit, .ubuf = ubuf, .size = size, .old = old };
	struct file *f;
	long r;

	if (!user_range_ok(ubuf, size))
		return -EFAULT;
	f = fget(fd);
	if (!f)
		return -EBADF;
	r = vfs_readdir(f, &b.ctx);
	file_put(f);
	if (b.used)
		return (long)b.used;
	return r ? r : b.error;
}

SYSCALL_DEFINE3(getdents64, int, fd, uintptr_t, dirp, size_t, count)
{
	return do_getdents(fd, dirp, MIN(count, (size_t)INT32_MAX), false);
}

SYSCALL_DEFINE3(getdents, int, fd, uintptr_t, dirp, size_t, count)
{
	return do_getdents(fd, dirp, MIN(count, (size_t)INT32_MAX), true);
}
