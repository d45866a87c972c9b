/*
 * files: the file system calls, each behaviour and error path as Linux
 * has it. open/openat/creat and their flags (O_CREAT, O_EXCL, O_TRUNC,
 * O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_PATH), close and close_range,
 * read/write and the positional and vector forms, lseek, the stat family
 * and statx, getdents64, mkdir/rmdir/unlink, link, symlink/readlink,
 * rename and renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE, directories,
 * EXDEV), chmod/chown and their f/l/at forms, access and faccessat2,
 * getcwd/chdir/fchdir/chroot, umask, truncate, fallocate, the sync calls,
 * utimensat and utimes, mount/umount2 (tmpfs, proc, devtmpfs, read-only
 * mounts) with statfs, sendfile, mknod, fcntl record locks and flock,
 * the ioctls every descriptor answers (FIONBIO, FIOCLEX, FIOQSIZE...),
 * and the errors ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EXDEV,
 * ELOOP, ENAMETOOLONG, EBADF, EINVAL and EFAULT.
 *
 * It runs as root. Each case works in a fresh directory of its own under
 * /tmp/files-PID (enter()), or DIR/files-PID when the environment has
 * FILES_DIR=DIR (the ext2 tests run it on a disk mounted at /mnt); the
 * last case removes the tree. Calls that
 * the C library may not wrap (statx, renameat2, close_range, faccessat2,
 * fchmodat2) are made raw. Checked on Linux first.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE	 (1 << 1)
#endif
#ifndef SYS_renameat2
#define SYS_renameat2 316
#endif
#ifndef SYS_statx
#define SYS_statx 332
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#define NR_fchmodat2		452
#define AX_CLOSE_RANGE_CLOEXEC	(1u << 2)
#define AX_STATX_BASIC_STATS	0x7ffu
#define AX_STATX_BTIME		0x800u
#define AX_STATX__RESERVED	0x80000000u
#define AX_AT_STATX_FORCE_SYNC	0x2000
#define AX_AT_STATX_DONT_SYNC	0x4000
#define AX_TMPFS_MAGIC		0x01021994
#define AX_PROC_SUPER_MAGIC	0x9fa0
#define AX_FALLOC_FL_KEEP_SIZE	0x01
#define AX_FALLOC_FL_PUNCH_HOLE 0x02
#define AX_FALLOC_FL_ZERO_RANGE 0x10
#define AX_ST_RDONLY		0x0001
#define AX_RWF_BAD		0x40000000

#define BAD_PTR ((void *)8) /* never mapped */

/* Linux's struct statx (linux/stat.h), named so as not to meet the C library's. */
struct ax_statx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

struct ax_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct ax_statx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};

static char base_dir[256];

/* A fresh directory named after the case, made the working directory. */
static void enter(void)
{
	const char *top = getenv("FILES_DIR");
	char dir[384];

	if (!top || !*top)
		top = "/tmp";
	if (!base_dir[0] && snprintf(base_dir, sizeof(base_dir), "%s/files-%d", top,
				     (int)getpid()) >= (int)sizeof(base_dir))
		ut_fail(__FILE__, __LINE__, "FILES_DIR is too long: %s", top);
	umask(022);
	if (mkdir(top, 01777) && errno != EEXIST)
		ut_fail(__FILE__, __LINE__, "mkdir %s: %s", top, ut_errname(errno));
	if (mkdir(base_dir, 0755) && errno != EEXIST)
		ut_fail(__FILE__, __LINE__, "mkdir %s: %s", base_dir, ut_errname(errno));
	snprintf(dir, sizeof(dir), "%s/%s", base_dir, ut_current);
	UT_NOERR(mkdir(dir, 0755));
	UT_NOERR(chdir(dir));
}

/* Writes data to path (created or truncated). */
static void put(const char *path, const char *data)
{
	int fd = UT_NOERR(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));

	UT_EQ(write(fd, data, strlen(data)), (long)strlen(data));
	UT_NOERR(close(fd));
}

/* The content of path, NUL-terminated (at most 4095 bytes). */
static const char *get(const char *path)
{
	static char buf[4096];
	int fd = UT_NOERR(open(path, O_RDONLY));
	ssize_t n = UT_NOERR(read(fd, buf, sizeof(buf) - 1));

	buf[n] = '\0';
	UT_NOERR(close(fd));
	return buf;
}

static struct stat st_of(const char *path)
{
	struct stat st;

	UT_NOERR(stat(path, &st));
	return st;
}

static struct stat lst_of(const char *path)
{
	struct stat st;

	UT_NOERR(lstat(path, &st));
	return st;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static long raw_statx(int dirfd, const char *path, int flags, unsigned mask, struct ax_statx *sx)
{
	return syscall(SYS_statx, dirfd, path, flags, mask, sx);
}

static long renameat2_(int odir, const char *o, int ndir, const char *n, unsigned flags)
{
	return syscall(SYS_renameat2, odir, o, ndir, n, flags);
}

/* Sets path's atime and mtime to t seconds (so a later change shows). */
static void set_old_times(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	UT_NOERR(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
}

/* A name of len 'x's. */
static const char *long_name(size_t len)
{
	static char name[PATH_MAX + 16];

	memset(name, 'x', len);
	name[len] = '\0';
	return name;
}

/* Mounts a small tmpfs on "mnt" (made here). */
static void mount_scratch(const char *opts)
{
	UT_NOERR(mkdir("mnt", 0755));
	UT_NOERR(mount("scratch", "mnt", "tmpfs", 0, opts));
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* ---- open ---- */

UT_CASE(open_creat_excl_and_umask)
{
	int fd;

	enter();
	fd = UT_NOERR(open("f", O_RDWR | O_CREAT | O_EXCL, 0666));
	UT_EQ(st_of("f").st_mode, S_IFREG | 0644);
	UT_NOERR(close(fd));
	UT_ERRNO(open("f", O_RDWR | O_CREAT | O_EXCL, 0666), EEXIST);
	UT_NOERR(symlink("nowhere", "dangling"));
	UT_ERRNO(open("dangling", O_RDWR | O_CREAT | O_EXCL, 0666), EEXIST);
	fd = UT_NOERR(open("dangling", O_RDWR | O_CREAT, 0600)); /* makes the target */
	UT_NOERR(close(fd));
	UT_EQ(st_of("nowhere").st_mode, S_IFREG | 0600);
	fd = UT_NOERR(open("f", O_RDONLY | O_CREAT, 0600)); /* exists: mode unchanged */
	UT_NOERR(close(fd));
	UT_EQ(st_of("f").st_mode, S_IFREG | 0644);
}

UT_CASE(open_errors)
{
	char *path;

	enter();
	put("file", "x");
	UT_NOERR(mkdir("dir", 0755));
	UT_ERRNO(open("missing", O_RDONLY), ENOENT);
	UT_ERRNO(open("missing/x", O_RDONLY | O_CREAT, 0644), ENOENT);
	UT_ERRNO(open("file/x", O_RDONLY), ENOTDIR);
	UT_ERRNO(open("file/", O_RDONLY), ENOTDIR);
	UT_ERRNO(open("dir", O_WRONLY), EISDIR);
	UT_ERRNO(open("dir", O_RDONLY | O_CREAT, 0644), EISDIR);
	UT_ERRNO(open("dir", O_RDONLY | O_TRUNC), EISDIR);
	UT_ERRNO(open("new/", O_RDWR | O_CREAT, 0644), EISDIR);
	UT_ERRNO(open("", O_RDONLY), ENOENT);
	UT_ERRNO(open(long_name(NAME_MAX + 1), O_RDONLY | O_CREAT, 0644), ENAMETOOLONG);
	UT_ERRNO(open(long_name(PATH_MAX), O_RDONLY), ENAMETOOLONG);
	UT_ERRNO(syscall(SYS_open, BAD_PTR, O_RDONLY), EFAULT);
	UT_ERRNO(syscall(SYS_openat, AT_FDCWD, BAD_PTR, O_RDONLY), EFAULT);
	path = (char *)long_name(NAME_MAX);
	UT_NOERR(close(UT_NOERR(open(path, O_RDONLY | O_CREAT, 0644))));
	UT_NOERR(unlink(path));
}

UT_CASE(open_trunc_and_append)
{
	char buf[32] = { 0 };
	int fd;

	enter();
	put("f", "hello world");
	fd = UT_NOERR(open("f", O_WRONLY | O_TRUNC));
	UT_EQ(st_of("f").st_size, 0);
	UT_NOERR(close(fd));
	put("f", "abc");
	fd = UT_NOERR(open("f", O_RDWR | O_APPEND));
	UT_EQ(lseek(fd, 0, SEEK_SET), 0);
	UT_EQ(write(fd, "def", 3), 3);
	UT_EQ(lseek(fd, 0, SEEK_CUR), 6);
	UT_EQ(pwrite(fd, "gh", 2, 0), 2); /* O_APPEND wins over the offset, as Linux */
	UT_EQ(pread(fd, buf, sizeof(buf), 0), 8);
	UT_CHECK(!strcmp(buf, "abcdefgh"));
	UT_EQ(fcntl(fd, F_SETFL, 0), 0); /* O_APPEND off */
	UT_EQ(pwrite(fd, "X", 1, 0), 1);
	UT_NOERR(close(fd));
	UT_CHECK(!strcmp(get("f"), "Xbcdefgh"));
}

UT_CASE(open_directory_nofollow_path)
{
	struct stat st;
	int fd;

	enter();
	put("file", "x");
	UT_NOERR(mkdir("dir", 0755));
	UT_NOERR(symlink("file", "link"));
	UT_ERRNO(open("file", O_RDONLY | O_DIRECTORY), ENOTDIR);
	UT_NOERR(close(UT_NOERR(open("dir", O_RDONLY | O_DIRECTORY))));
	UT_ERRNO(open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
	UT_ERRNO(open("dir", O_RDONLY | O_DIRECTORY | O_CREAT, 0644), EINVAL);
	fd = UT_NOERR(open("link", O_PATH | O_NOFOLLOW));
	UT_NOERR(fstat(fd, &st));
	UT_CHECK(S_ISLNK(st.st_mode));
	UT_NOERR(close(fd));
	fd = UT_NOERR(open("link", O_RDONLY)); /* follows */
	UT_NOERR(fstat(fd, &st));
	UT_CHECK(S_ISREG(st.st_mode));
	UT_NOERR(close(fd));
}

UT_CASE(o_path_allows_little)
{
	char c;
	int fd, dfd;

	enter();
	put("f", "x");
	UT_NOERR(mkdir("d", 0755));
	put("d/in", "inside");
	fd = UT_NOERR(open("f", O_PATH));
	UT_ERRNO(read(fd, &c, 1), EBADF);
	UT_ERRNO(write(fd, "x", 1), EBADF);
	UT_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
	/* Raw: musl's fchmod and fchown retry EBADF through /proc/self/fd. */
	UT_ERRNO(syscall(SYS_fchmod, fd, 0600), EBADF);
	UT_ERRNO(syscall(SYS_fchown, fd, 0, 0), EBADF);
	UT_ERRNO(ftruncate(fd, 0), EBADF);
	UT_ERRNO(ioctl(fd, FIONREAD, &c), EBADF);
	UT_ERRNO(fcntl(fd, F_SETFL, O_NONBLOCK), EBADF);
	UT_EQ(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
	UT_NOERR(close(fd));
	dfd = UT_NOERR(open("d", O_PATH | O_DIRECTORY));
	UT_ERRNO(syscall(SYS_getdents64, dfd, &c, 1), EBADF);
	UT_CHECK(!strcmp(get("d/in"), "inside"));
	fd = UT_NOERR(openat(dfd, "in", O_RDONLY));
	UT_NOERR(close(fd));
	UT_NOERR(fchdir(dfd));
	UT_CHECK(!strcmp(get("in"), "inside"));
	UT_NOERR(close(dfd));
}

UT_CASE(creat_truncates_write_only)
{
	char c;
	int fd;

	enter();
	put("f", "old content");
	fd = UT_NOERR(creat("f", 0644));
	UT_EQ(st_of("f").st_size, 0);
	UT_ERRNO(read(fd, &c, 1), EBADF);
	UT_EQ(write(fd, "new", 3), 3);
	UT_NOERR(close(fd));
	UT_CHECK(!strcmp(get("f"), "new"));
}

UT_CASE(close_and_close_range)
{
	int fds[4];

	enter();
	UT_ERRNO(close(-1), EBADF);
	UT_ERRNO(close(900), EBADF);
	for (int i = 0; i < 4; i++)
		fds[i] = UT_NOERR(open(".", O_RDONLY));
	UT_EQ(syscall(SYS_close_range, fds[1], fds[2], AX_CLOSE_RANGE_CLOEXEC), 0);
	UT_EQ(fcntl(fds[0], F_GETFD), 0);
	UT_EQ(fcntl(fds[1], F_GETFD), FD_CLOEXEC);
	UT_EQ(fcntl(fds[2], F_GETFD), FD_CLOEXEC);
	UT_EQ(syscall(SYS_close_range, fds[1], ~0u, 0), 0);
	UT_CHECK(fd_open(fds[0]) && !fd_open(fds[1]) && !fd_open(fds[2]) && !fd_open(fds[3]));
	UT_ERRNO(syscall(SYS_close_range, 10, 9, 0), EINVAL);
	UT_ERRNO(syscall(SYS_close_range, 10, 20, 0x100), EINVAL);
	UT_EQ(syscall(SYS_close_range, 500, 600, 0), 0); /* nothing open there */
	UT_NOERR(close(fds[0]));
}

/* ---- read and write ---- */

UT_CASE(pread_pwrite_keep_position)
{
	char buf[16] = { 0 };
	int fd;

	enter();
	fd = UT_NOERR(open("f", O_RDWR | O_CREAT, 0644));
	UT_EQ(write(fd, "0123456789", 10), 10);
	UT_EQ(pwrite(fd, "AB", 2, 3), 2);
	UT_EQ(lseek(fd, 0, SEEK_CUR), 10);
	UT_EQ(pread(fd, buf, 5, 2), 5);
	UT_CHECK(!memcmp(buf, "2AB56", 5));
	UT_EQ(lseek(fd, 0, SEEK_CUR), 10);
	UT_EQ(pwrite(fd, "Z", 1, 20), 1); /* a hole reads as zeros */
	UT_EQ(pread(fd, buf, 11, 10), 11);
	UT_CHECK(buf[0] == 0 && buf[9] == 0 && buf[10] == 'Z');
	UT_ERRNO(pread(fd, buf, 1, -1), EINVAL);
	UT_ERRNO(pwrite(fd, buf, 1, -1), EINVAL);
	UT_ERRNO(syscall(SYS_pread64, fd, BAD_PTR, 4, 0), EFAULT);
	UT_EQ(pread(fd, buf, 4, 100), 0);
	UT_NOERR(close(fd));
}

UT_CASE(read_write_errors)
{
	char c;
	int fd;

	enter();
	put("f", "abc");
	UT_NOERR(mkdir("d", 0755));
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_ERRNO(write(fd, "x", 1), EBADF);
	UT_ERRNO(syscall(SYS_read, fd, BAD_PTR, 1), EFAULT);
	UT_NOERR(close(fd));
	fd = UT_NOERR(open("f", O_WRONLY));
	UT_ERRNO(read(fd, &c, 1), EBADF);
	UT_ERRNO(syscall(SYS_write, fd, BAD_PTR, 1), EFAULT);
	UT_NOERR(close(fd));
	fd = UT_NOERR(open("d", O_RDONLY));
	UT_ERRNO(read(fd, &c, 1), EISDIR);
	UT_NOERR(close(fd));
	UT_ERRNO(read(-1, &c, 1), EBADF);
	UT_ERRNO(write(77, &c, 1), EBADF);
}

UT_CASE(readv_writev_and_positional)
{
	char a[4] = { 0 }, b[8] = { 0 };
	struct iovec w[2] = { { "abc", 3 }, { "defgh", 5 } };
	struct iovec r[2] = { { a, 3 }, { b, 5 } };
	int fd;

	enter();
	fd = UT_NOERR(open("f", O_RDWR | O_CREAT, 0644));
	UT_EQ(writev(fd, w, 2), 8);
	UT_EQ(lseek(fd, 0, SEEK_SET), 0);
	UT_EQ(readv(fd, r, 2), 8);
	UT_CHECK(!strcmp(a, "abc") && !strcmp(b, "defgh"));
	UT_EQ(pwritev(fd, w, 2, 100), 8);
	UT_EQ(lseek(fd, 0, SEEK_CUR), 8);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	UT_EQ(preadv(fd, r, 2, 100), 8);
	UT_CHECK(!strcmp(a, "abc") && !strcmp(b, "defgh"));
	UT_EQ(syscall(SYS_preadv2, fd, r, 2, -1L, 0, 0), 8); /* -1: at the position (8) */
	UT_EQ(lseek(fd, 0, SEEK_CUR), 16);
	UT_EQ(lseek(fd, 0, SEEK_SET), 0);
	UT_EQ(syscall(SYS_preadv2, fd, r, 1, -1L, 0, 0), 3);
	UT_EQ(lseek(fd, 0, SEEK_CUR), 3);
	UT_ERRNO(syscall(SYS_preadv2, fd, r, 1, 0, 0, AX_RWF_BAD), EOPNOTSUPP);
	UT_ERRNO(preadv(fd, r, 2, -5), EINVAL);
	UT_ERRNO(syscall(SYS_readv, fd, r, -1), EINVAL);
	UT_ERRNO(syscall(SYS_readv, fd, r, 1025), EINVAL);
	UT_ERRNO(syscall(SYS_readv, fd, BAD_PTR, 2), EFAULT);
	r[0].iov_base = BAD_PTR;
	UT_EQ(lseek(fd, 0, SEEK_SET), 0);
	UT_ERRNO(readv(fd, r, 2), EFAULT);
	UT_EQ(readv(fd, r, 0), 0);
	UT_NOERR(close(fd));
}

UT_CASE(lseek_whence)
{
	int fd;

	enter();
	put("f", "0123456789");
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_EQ(lseek(fd, 4, SEEK_SET), 4);
	UT_EQ(lseek(fd, 2, SEEK_CUR), 6);
	UT_EQ(lseek(fd, -1, SEEK_END), 9);
	UT_EQ(lseek(fd, 100, SEEK_END), 110);
	UT_ERRNO(lseek(fd, -20, SEEK_END), EINVAL);
	UT_ERRNO(lseek(fd, 0, 7), EINVAL);
	UT_EQ(lseek(fd, 3, SEEK_DATA), 3);
	UT_EQ(lseek(fd, 3, SEEK_HOLE), 10);
	UT_ERRNO(lseek(fd, 10, SEEK_DATA), ENXIO);
	UT_ERRNO(lseek(-1, 0, SEEK_SET), EBADF);
	UT_NOERR(close(fd));
}

/* ---- stat ---- */

UT_CASE(stat_fields)
{
	struct stat a, b, c;
	int fd;

	enter();
	put("f", "12345");
	UT_NOERR(symlink("f", "l"));
	UT_NOERR(stat("f", &a));
	UT_CHECK(S_ISREG(a.st_mode) && a.st_size == 5 && a.st_nlink == 1);
	UT_CHECK(a.st_uid == 0 && a.st_gid == 0 && a.st_blksize > 0);
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_NOERR(fstat(fd, &b));
	UT_NOERR(close(fd));
	UT_CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	UT_NOERR(stat("l", &b));
	UT_EQ(b.st_ino, a.st_ino);
	UT_NOERR(lstat("l", &c));
	UT_CHECK(S_ISLNK(c.st_mode) && c.st_size == 1 && c.st_ino != a.st_ino);
	UT_EQ(c.st_dev, a.st_dev);
	UT_ERRNO(stat("missing", &a), ENOENT);
	UT_ERRNO(stat("f/", &a), ENOTDIR);
	UT_ERRNO(syscall(SYS_stat, "f", BAD_PTR), EFAULT); /* raw: the C library may copy */
	UT_ERRNO(syscall(SYS_stat, BAD_PTR, &a), EFAULT);
	UT_ERRNO(fstat(-1, &a), EBADF);
}

UT_CASE(fstatat_empty_path_and_flags)
{
	struct stat a, b;
	int fd;

	enter();
	put("f", "x");
	UT_NOERR(symlink("f", "l"));
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_NOERR(fstatat(fd, "", &a, AT_EMPTY_PATH));
	UT_NOERR(stat("f", &b));
	UT_EQ(a.st_ino, b.st_ino);
	UT_ERRNO(fstatat(fd, "", &a, 0), ENOENT);
	UT_ERRNO(fstatat(fd, "x", &a, 0), ENOTDIR);
	UT_NOERR(fstatat(AT_FDCWD, "", &a, AT_EMPTY_PATH));
	UT_NOERR(stat(".", &b));
	UT_EQ(a.st_ino, b.st_ino);
	UT_NOERR(fstatat(AT_FDCWD, "l", &a, AT_SYMLINK_NOFOLLOW));
	UT_CHECK(S_ISLNK(a.st_mode));
	UT_ERRNO(fstatat(AT_FDCWD, "f", &a, 0x40000), EINVAL);
	UT_ERRNO(fstatat(99, "f", &a, 0), EBADF);
	UT_NOERR(fstatat(99, "/", &a, 0)); /* absolute: dirfd is not used */
	UT_NOERR(close(fd));
}

UT_CASE(statx_fields)
{
	struct ax_statx sx;
	struct stat st;
	int fd;

	enter();
	put("f", "hello");
	UT_NOERR(stat("f", &st));
	memset(&sx, 0xff, sizeof(sx));
	UT_EQ(raw_statx(AT_FDCWD, "f", 0, AX_STATX_BASIC_STATS | AX_STATX_BTIME, &sx), 0);
	UT_EQ(sx.mask & AX_STATX_BASIC_STATS, AX_STATX_BASIC_STATS);
	UT_EQ(sx.size, 5);
	UT_EQ(sx.ino, st.st_ino);
	UT_EQ(sx.mode, st.st_mode);
	UT_EQ(sx.nlink, 1);
	UT_EQ(sx.mtime.tv_sec, st.st_mtime);
	UT_EQ(sx.mtime.tv_nsec, st.st_mtim.tv_nsec);
	UT_EQ(makedev(sx.dev_major, sx.dev_minor), st.st_dev);
	if (sx.mask & AX_STATX_BTIME)
		UT_CHECK(sx.btime.tv_sec <= sx.mtime.tv_sec);
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_EQ(raw_statx(fd, "", 0x1000 /* AT_EMPTY_PATH */, AX_STATX_BASIC_STATS, &sx), 0);
	UT_EQ(sx.ino, st.st_ino);
	UT_NOERR(close(fd));
	UT_ERRNO(raw_statx(AT_FDCWD, "f", 0, AX_STATX__RESERVED, &sx), EINVAL);
	UT_ERRNO(raw_statx(AT_FDCWD, "f", AX_AT_STATX_FORCE_SYNC | AX_AT_STATX_DONT_SYNC,
			   AX_STATX_BASIC_STATS, &sx),
		 EINVAL);
	UT_ERRNO(raw_statx(AT_FDCWD, "missing", 0, AX_STATX_BASIC_STATS, &sx), ENOENT);
	UT_ERRNO(raw_statx(AT_FDCWD, "f", 0, AX_STATX_BASIC_STATS, BAD_PTR), EFAULT);
}

/* ---- directories ---- */

struct dent {
	char name[NAME_MAX + 1];
	unsigned char type;
	uint64_t ino;
};

/* Lists dir with getdents64 using a buffer of bufsize bytes; returns the count. */
static int list_dir(const char *dir, size_t bufsize, struct dent *out, int max)
{
	char buf[4096];
	int fd = UT_NOERR(open(dir, O_RDONLY | O_DIRECTORY)), n = 0;
	long got;

	while ((got = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			UT_CHECK(n < max && d->d_reclen % 8 == 0);
			snprintf(out[n].name, sizeof(out[n].name), "%s", d->d_name);
			out[n].type = d->d_type;
			out[n++].ino = d->d_ino;
			off += d->d_reclen;
		}
	}
	UT_EQ(got, 0);
	UT_NOERR(close(fd));
	return n;
}

static const struct dent *find_dent(const struct dent *d, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		if (!strcmp(d[i].name, name))
			return &d[i];
	}
	return NULL;
}

UT_CASE(getdents64_lists_entries)
{
	struct dent d[16];
	char buf[64];
	int n, fd;

	enter();
	UT_NOERR(mkdir("dir", 0755));
	put("dir/a", "");
	UT_NOERR(mkdir("dir/sub", 0755));
	UT_NOERR(symlink("a", "dir/l"));
	UT_NOERR(mkfifo("dir/p", 0644));
	for (size_t size = 32; size <= 4096; size *= 128) { /* one entry at a time, then all */
		n = list_dir("dir", size, d, 16);
		UT_EQ(n, 6);
		UT_CHECK(find_dent(d, n, ".") && find_dent(d, n, ".."));
		UT_EQ(find_dent(d, n, "a")->type, DT_REG);
		UT_EQ(find_dent(d, n, "sub")->type, DT_DIR);
		UT_EQ(find_dent(d, n, "l")->type, DT_LNK);
		UT_EQ(find_dent(d, n, "p")->type, DT_FIFO);
		UT_EQ(find_dent(d, n, "a")->ino, st_of("dir/a").st_ino);
		UT_EQ(find_dent(d, n, ".")->ino, st_of("dir").st_ino);
	}
	fd = UT_NOERR(open("dir", O_RDONLY));
	UT_ERRNO(syscall(SYS_getdents64, fd, buf, 10), EINVAL);
	UT_ERRNO(syscall(SYS_getdents64, fd, BAD_PTR, sizeof(buf)), EFAULT);
	UT_CHECK(syscall(SYS_getdents64, fd, buf, sizeof(buf)) > 0);
	UT_EQ(lseek(fd, 0, SEEK_SET), 0); /* rewinddir */
	UT_CHECK(syscall(SYS_getdents64, fd, buf, sizeof(buf)) > 0);
	UT_NOERR(close(fd));
	fd = UT_NOERR(open("dir/a", O_RDONLY));
	UT_ERRNO(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
	UT_NOERR(close(fd));
	UT_ERRNO(syscall(SYS_getdents64, -1, buf, sizeof(buf)), EBADF);
}

UT_CASE(mkdir_and_its_errors)
{
	enter();
	put("file", "");
	UT_NOERR(mkdir("d", 0777));
	UT_EQ(st_of("d").st_mode, S_IFDIR | 0755);
	UT_NOERR(mkdir("e/", 0700));
	UT_ERRNO(mkdir("d", 0755), EEXIST);
	UT_ERRNO(mkdir("file", 0755), EEXIST);
	UT_ERRNO(mkdir(".", 0755), EEXIST);
	UT_ERRNO(mkdir("none/d", 0755), ENOENT);
	UT_ERRNO(mkdir("file/d", 0755), ENOTDIR);
	UT_ERRNO(mkdir("", 0755), ENOENT);
	UT_ERRNO(mkdir(long_name(NAME_MAX + 1), 0755), ENAMETOOLONG);
	UT_ERRNO(mkdir(BAD_PTR, 0755), EFAULT);
	UT_EQ(st_of(".").st_nlink, 4); /* ., its entry in the parent, d/.., e/.. */
}

UT_CASE(rmdir_and_its_errors)
{
	enter();
	UT_NOERR(mkdir("d", 0755));
	UT_NOERR(mkdir("full", 0755));
	put("full/x", "");
	put("file", "");
	UT_ERRNO(rmdir("full"), ENOTEMPTY);
	UT_ERRNO(rmdir("file"), ENOTDIR);
	UT_ERRNO(rmdir("missing"), ENOENT);
	UT_ERRNO(rmdir("d/."), EINVAL);
	UT_ERRNO(rmdir("d/.."), ENOTEMPTY);
	UT_ERRNO(rmdir(BAD_PTR), EFAULT);
	UT_NOERR(rmdir("d/"));
	UT_CHECK(!exists("d"));
}

UT_CASE(unlink_and_open_files)
{
	struct stat st;
	char buf[8] = { 0 };
	int fd;

	enter();
	put("f", "data");
	UT_NOERR(mkdir("d", 0755));
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_NOERR(unlink("f"));
	UT_CHECK(!exists("f"));
	UT_NOERR(fstat(fd, &st));
	UT_EQ(st.st_nlink, 0);
	UT_EQ(read(fd, buf, sizeof(buf)), 4); /* still readable */
	UT_NOERR(close(fd));
	UT_ERRNO(unlink("f"), ENOENT);
	UT_ERRNO(unlink("d"), EISDIR);
	put("g", "");
	UT_ERRNO(unlink("g/"), ENOTDIR);
	UT_ERRNO(unlinkat(AT_FDCWD, "g", 0x1), EINVAL);
	UT_ERRNO(unlinkat(AT_FDCWD, "g", AT_REMOVEDIR), ENOTDIR);
	UT_NOERR(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
	UT_ERRNO(unlink(BAD_PTR), EFAULT);
}

UT_CASE(at_calls_and_dirfd)
{
	int dfd, ffd;

	enter();
	UT_NOERR(mkdir("d", 0755));
	put("file", "");
	dfd = UT_NOERR(open("d", O_RDONLY | O_DIRECTORY));
	ffd = UT_NOERR(open("file", O_RDONLY));
	UT_NOERR(close(UT_NOERR(openat(dfd, "f", O_CREAT | O_WRONLY, 0644))));
	UT_CHECK(exists("d/f"));
	UT_NOERR(mkdirat(dfd, "sub", 0755));
	UT_CHECK(exists("d/sub"));
	UT_NOERR(unlinkat(dfd, "sub", AT_REMOVEDIR));
	UT_NOERR(unlinkat(dfd, "f", 0));
	UT_ERRNO(openat(ffd, "x", O_RDONLY), ENOTDIR);
	UT_ERRNO(mkdirat(ffd, "x", 0755), ENOTDIR);
	UT_ERRNO(openat(99, "x", O_RDONLY), EBADF);
	UT_ERRNO(mkdirat(-5, "x", 0755), EBADF);
	UT_NOERR(close(UT_NOERR(openat(99, "/", O_RDONLY)))); /* absolute: dirfd not used */
	UT_NOERR(close(dfd));
	UT_NOERR(close(ffd));
}

/* ---- links ---- */

UT_CASE(hard_links_share_the_file)
{
	struct stat a, b;

	enter();
	put("a", "one");
	set_old_times("a", 1000);
	UT_NOERR(link("a", "b"));
	UT_NOERR(stat("a", &a));
	UT_NOERR(stat("b", &b));
	UT_CHECK(a.st_ino == b.st_ino && a.st_nlink == 2 && b.st_nlink == 2);
	UT_CHECK(a.st_ctime > 1000 && a.st_mtime == 1000); /* ctime changes, mtime not */
	put("b", "two");
	UT_CHECK(!strcmp(get("a"), "two"));
	UT_NOERR(unlink("a"));
	UT_EQ(st_of("b").st_nlink, 1);
	UT_CHECK(!strcmp(get("b"), "two"));
}

UT_CASE(link_errors_and_flags)
{
	struct stat st;
	int fd;

	enter();
	put("f", "x");
	UT_NOERR(mkdir("d", 0755));
	UT_NOERR(symlink("f", "l"));
	UT_ERRNO(link("f", "d"), EEXIST);
	UT_ERRNO(link("missing", "n"), ENOENT);
	UT_ERRNO(link("d", "n"), EPERM);
	UT_ERRNO(link("f", "none/n"), ENOENT);
	UT_ERRNO(link("f", "n/"), ENOENT);
	UT_ERRNO(link(BAD_PTR, "n"), EFAULT);
	UT_ERRNO(link("f", BAD_PTR), EFAULT);
	UT_NOERR(link("l", "l2")); /* the link itself */
	UT_NOERR(lstat("l2", &st));
	UT_CHECK(S_ISLNK(st.st_mode));
	UT_NOERR(linkat(AT_FDCWD, "l", AT_FDCWD, "f2", AT_SYMLINK_FOLLOW));
	UT_EQ(lst_of("f2").st_ino, st_of("f").st_ino);
	UT_ERRNO(linkat(AT_FDCWD, "f", AT_FDCWD, "n", 0x1), EINVAL);
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_NOERR(linkat(fd, "", AT_FDCWD, "f3", AT_EMPTY_PATH));
	UT_EQ(st_of("f").st_nlink, 3);
	UT_ERRNO(linkat(fd, "", AT_FDCWD, "f4", 0), ENOENT);
	UT_NOERR(unlink("f"));
	UT_NOERR(unlink("f2"));
	UT_NOERR(unlink("f3"));
	UT_ERRNO(linkat(fd, "", AT_FDCWD, "f5", AT_EMPTY_PATH), ENOENT); /* no names left */
	UT_NOERR(close(fd));
}

UT_CASE(symlink_and_readlink)
{
	char buf[16];
	int fd;

	enter();
	put("f", "");
	UT_NOERR(symlink("f", "l"));
	UT_NOERR(symlink("a/longer/target", "t"));
	memset(buf, '#', sizeof(buf));
	UT_EQ(readlink("t", buf, sizeof(buf)), 15);
	UT_CHECK(!memcmp(buf, "a/longer/target#", 16)); /* no NUL added */
	UT_EQ(readlink("t", buf, 4), 4);
	UT_CHECK(!memcmp(buf, "a/lo", 4));
	UT_ERRNO(readlink("f", buf, sizeof(buf)), EINVAL);
	UT_ERRNO(syscall(SYS_readlink, "t", buf, 0), EINVAL); /* raw: musl fakes a buffer */
	UT_ERRNO(readlink("missing", buf, sizeof(buf)), ENOENT);
	UT_ERRNO(syscall(SYS_readlink, "t", BAD_PTR, sizeof(buf)), EFAULT);
	UT_ERRNO(symlink("", "e"), ENOENT);
	UT_ERRNO(symlink("f", "l"), EEXIST);
	UT_ERRNO(symlink("f", "none/l"), ENOENT);
	UT_ERRNO(symlink(BAD_PTR, "x"), EFAULT);
	fd = UT_NOERR(open("l", O_PATH | O_NOFOLLOW));
	UT_EQ(readlinkat(fd, "", buf, sizeof(buf)), 1);
	UT_EQ(buf[0], 'f');
	UT_NOERR(close(fd));
	fd = UT_NOERR(open(".", O_RDONLY));
	UT_EQ(readlinkat(fd, "t", buf, sizeof(buf)), 15);
	UT_NOERR(close(fd));
}

UT_CASE(symlink_loops_and_limits)
{
	char name[16], target[16];
	struct stat st;

	enter();
	UT_NOERR(symlink("b", "a"));
	UT_NOERR(symlink("a", "b"));
	UT_ERRNO(open("a", O_RDONLY), ELOOP);
	UT_ERRNO(stat("a", &st), ELOOP);
	UT_ERRNO(open("a/x", O_RDONLY), ELOOP);
	UT_NOERR(lstat("a", &st));
	put("end", "e");
	for (int i = 1; i <= 41; i++) { /* l1 -> end, ln -> l(n-1) */
		snprintf(name, sizeof(name), "l%d", i);
		snprintf(target, sizeof(target), i == 1 ? "end" : "l%d", i - 1);
		UT_NOERR(symlink(target, name));
	}
	UT_CHECK(!strcmp(get("l40"), "e")); /* 40 links in one walk: allowed */
	UT_ERRNO(open("l41", O_RDONLY), ELOOP);
}

/* ---- rename ---- */

UT_CASE(rename_files)
{
	struct stat st;
	ino_t ino;
	int fd;

	enter();
	put("a", "A");
	put("b", "B");
	UT_NOERR(mkdir("d", 0755));
	ino = st_of("a").st_ino;
	fd = UT_NOERR(open("b", O_RDONLY));
	UT_NOERR(rename("a", "b")); /* replaces */
	UT_CHECK(!exists("a") && !strcmp(get("b"), "A"));
	UT_EQ(st_of("b").st_ino, ino);
	UT_NOERR(fstat(fd, &st));
	UT_EQ(st.st_nlink, 0); /* the replaced file lives on while open */
	UT_NOERR(close(fd));
	UT_NOERR(rename("b", "d/c"));
	UT_CHECK(!strcmp(get("d/c"), "A"));
	UT_EQ(st_of("d/c").st_ino, ino);
	UT_NOERR(rename("d/c", "d/c")); /* onto itself */
	UT_NOERR(link("d/c", "h"));
	UT_NOERR(rename("d/c", "h")); /* two names of one file: nothing happens */
	UT_CHECK(exists("d/c") && exists("h"));
	UT_NOERR(renameat(AT_FDCWD, "h", AT_FDCWD, "h2"));
	UT_CHECK(!exists("h") && exists("h2"));
}

UT_CASE(rename_directories)
{
	char cwd[PATH_MAX], expect[PATH_MAX];

	enter();
	UT_NOERR(mkdir("p1", 0755));
	UT_NOERR(mkdir("p2", 0755));
	UT_NOERR(mkdir("p1/d", 0755));
	UT_NOERR(mkdir("p1/d/sub", 0755));
	put("p1/d/sub/f", "deep");
	UT_EQ(st_of("p1").st_nlink, 3);
	UT_NOERR(rename("p1/d", "p2/moved"));
	UT_CHECK(!strcmp(get("p2/moved/sub/f"), "deep"));
	UT_EQ(st_of("p1").st_nlink, 2);
	UT_EQ(st_of("p2").st_nlink, 3);
	UT_NOERR(chdir("p2/moved/sub"));
	UT_NOERR(rename("../../../p2", "../../../p3")); /* the cwd moves along */
	UT_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(expect, sizeof(expect), "%s/%s/p3/moved/sub", base_dir, ut_current);
	UT_CHECK(!strcmp(cwd, expect));
	UT_CHECK(!strcmp(get("f"), "deep"));
	UT_NOERR(chdir("../../.."));
	UT_NOERR(mkdir("empty", 0755));
	UT_NOERR(rename("p3", "empty")); /* a directory over an empty one */
	UT_CHECK(!exists("p3") && exists("empty/moved/sub/f"));
}

UT_CASE(rename_errors)
{
	int fd;

	enter();
	put("f", "");
	put("g", "");
	UT_NOERR(mkdir("d", 0755));
	UT_NOERR(mkdir("full", 0755));
	put("full/x", "");
	UT_NOERR(mkdir("d/sub", 0755));
	UT_ERRNO(rename("missing", "x"), ENOENT);
	UT_ERRNO(rename("f", "none/x"), ENOENT);
	UT_ERRNO(rename("f", "d"), EISDIR);
	UT_ERRNO(rename("d", "f"), ENOTDIR);
	UT_ERRNO(rename("d", "full"), ENOTEMPTY);
	UT_ERRNO(rename("d", "d/sub/x"), EINVAL);
	UT_ERRNO(rename("d", "d/x"), EINVAL);
	UT_ERRNO(rename("d/sub", "."), EBUSY);
	UT_ERRNO(rename(".", "x"), EBUSY);
	UT_ERRNO(rename("d/sub/..", "x"), EBUSY);
	UT_ERRNO(rename("f/", "x"), ENOTDIR);
	UT_ERRNO(rename("f", "x/"), ENOTDIR);
	UT_ERRNO(rename("f/x", "y"), ENOTDIR);
	UT_ERRNO(rename(BAD_PTR, "y"), EFAULT);
	UT_ERRNO(rename("f", BAD_PTR), EFAULT);
	UT_ERRNO(rename("f", long_name(NAME_MAX + 1)), ENAMETOOLONG);
	fd = UT_NOERR(open("d", O_RDONLY));
	UT_ERRNO(renameat(fd, "sub", AT_FDCWD, "."), EBUSY);
	UT_NOERR(renameat(fd, "sub", fd, "sub2"));
	UT_CHECK(exists("d/sub2"));
	UT_NOERR(close(fd));
	UT_NOERR(rename("d/", "d2/")); /* slashes are fine on directories */
	UT_CHECK(exists("d2/sub2"));
}

UT_CASE(rename_target_above_source)
{
	enter();
	UT_NOERR(mkdir("a", 0755));
	UT_NOERR(mkdir("a/b", 0755));
	UT_NOERR(mkdir("a/b/c", 0755));
	UT_ERRNO(rename("a/b/c", "a"), ENOTEMPTY);
	UT_ERRNO(rename("a/b/c", "a/b"), ENOTEMPTY);
	UT_ERRNO(rename("a", "a/b/c/d"), EINVAL);
	UT_ERRNO(renameat2_(AT_FDCWD, "a/b/c", AT_FDCWD, "a", RENAME_EXCHANGE), EINVAL);
	UT_ERRNO(renameat2_(AT_FDCWD, "a", AT_FDCWD, "a/b/c", RENAME_EXCHANGE), EINVAL);
}

UT_CASE(renameat2_noreplace)
{
	enter();
	put("a", "A");
	put("b", "B");
	UT_ERRNO(renameat2_(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
	UT_CHECK(!strcmp(get("b"), "B"));
	UT_EQ(renameat2_(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE), 0);
	UT_CHECK(!exists("a") && !strcmp(get("c"), "A"));
	UT_ERRNO(renameat2_(AT_FDCWD, "c", AT_FDCWD, ".", RENAME_NOREPLACE), EEXIST);
	UT_ERRNO(renameat2_(AT_FDCWD, "c", AT_FDCWD, "d", RENAME_NOREPLACE | RENAME_EXCHANGE),
		 EINVAL);
	UT_ERRNO(renameat2_(AT_FDCWD, "c", AT_FDCWD, "d", 0x80), EINVAL);
}

UT_CASE(renameat2_exchange)
{
	ino_t fa, dd;

	enter();
	put("a", "A");
	put("b", "B");
	UT_NOERR(mkdir("d", 0755));
	UT_NOERR(mkdir("p", 0755));
	put("d/in", "I");
	UT_EQ(renameat2_(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE), 0);
	UT_CHECK(!strcmp(get("a"), "B") && !strcmp(get("b"), "A"));
	fa = st_of("a").st_ino;
	dd = st_of("d").st_ino;
	UT_EQ(renameat2_(AT_FDCWD, "a", AT_FDCWD, "p/x", RENAME_EXCHANGE), -1);
	UT_EQ(errno, ENOENT);
	UT_EQ(renameat2_(AT_FDCWD, "a", AT_FDCWD, "d", RENAME_EXCHANGE), 0); /* a file and a dir */
	UT_EQ(st_of("a").st_ino, dd);
	UT_EQ(st_of("d").st_ino, fa);
	UT_CHECK(!strcmp(get("a/in"), "I"));
	UT_EQ(renameat2_(AT_FDCWD, "a", AT_FDCWD, "p/a", 0), 0);
	UT_EQ(st_of("p").st_nlink, 3);
	UT_EQ(renameat2_(AT_FDCWD, "p/a", AT_FDCWD, "b", RENAME_EXCHANGE), 0); /* across dirs */
	UT_EQ(st_of("p").st_nlink, 2);
	UT_CHECK(S_ISDIR(st_of("b").st_mode) && S_ISREG(st_of("p/a").st_mode));
}

/* ---- permissions and owners ---- */

UT_CASE(chmod_family)
{
	struct stat st;
	int fd;

	enter();
	put("f", "");
	UT_NOERR(symlink("f", "l"));
	UT_NOERR(mkdir("d", 0755));
	set_old_times("f", 1000);
	UT_NOERR(chmod("f", 04751));
	UT_NOERR(stat("f", &st));
	UT_EQ(st.st_mode, S_IFREG | 04751);
	UT_CHECK(st.st_ctime > 1000 && st.st_mtime == 1000);
	UT_NOERR(chmod("l", 0600)); /* follows the link */
	UT_EQ(st_of("f").st_mode, S_IFREG | 0600);
	UT_EQ(lst_of("l").st_mode & 0777, 0777);
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_NOERR(fchmod(fd, 0640));
	UT_EQ(st_of("f").st_mode, S_IFREG | 0640);
	UT_NOERR(close(fd));
	UT_NOERR(fchmodat(AT_FDCWD, "d", 01777, 0));
	UT_EQ(st_of("d").st_mode, S_IFDIR | 01777);
	UT_ERRNO(syscall(NR_fchmodat2, AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);
	UT_EQ(syscall(NR_fchmodat2, AT_FDCWD, "f", 0604, AT_SYMLINK_NOFOLLOW), 0);
	UT_EQ(st_of("f").st_mode, S_IFREG | 0604);
	UT_ERRNO(chmod("missing", 0644), ENOENT);
	UT_ERRNO(chmod(BAD_PTR, 0644), EFAULT);
	UT_ERRNO(fchmod(-1, 0644), EBADF);
}

UT_CASE(chown_family)
{
	struct stat st;
	int fd;

	enter();
	put("f", "");
	UT_NOERR(symlink("f", "l"));
	UT_NOERR(mkdir("d", 02755));
	UT_NOERR(chmod("d", 02755));
	UT_NOERR(chown("f", 1000, 2000));
	UT_NOERR(stat("f", &st));
	UT_CHECK(st.st_uid == 1000 && st.st_gid == 2000);
	UT_NOERR(chown("f", -1, 3000));
	UT_NOERR(stat("f", &st));
	UT_CHECK(st.st_uid == 1000 && st.st_gid == 3000);
	UT_NOERR(lchown("l", 5, 6));
	UT_NOERR(lstat("l", &st));
	UT_CHECK(st.st_uid == 5 && st.st_gid == 6);
	UT_EQ(st_of("l").st_uid, 1000); /* the target is untouched */
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_NOERR(fchown(fd, 0, 0));
	UT_NOERR(fchmod(fd, 06755));
	UT_NOERR(fchownat(fd, "", 7, -1, AT_EMPTY_PATH));
	UT_NOERR(close(fd));
	UT_NOERR(stat("f", &st));
	UT_EQ(st.st_uid, 7);
	UT_EQ(st.st_mode, S_IFREG | 0755); /* chown clears set-user-ID and set-group-ID */
	UT_NOERR(chown("d", 1, 1));
	UT_EQ(st_of("d").st_mode, S_IFDIR | 02755); /* not on directories */
	UT_ERRNO(fchownat(AT_FDCWD, "f", 0, 0, 0x1), EINVAL);
	UT_ERRNO(chown("missing", 0, 0), ENOENT);
	UT_ERRNO(fchown(-1, 0, 0), EBADF);
}

UT_CASE(access_as_root)
{
	enter();
	put("none", "");
	UT_NOERR(chmod("none", 0));
	put("exec", "");
	UT_NOERR(chmod("exec", 0010));
	UT_NOERR(mkdir("d", 0));
	UT_NOERR(access("none", F_OK));
	UT_NOERR(access("none", R_OK | W_OK)); /* root reads and writes anything */
	UT_ERRNO(access("none", X_OK), EACCES);
	UT_NOERR(access("exec", X_OK)); /* any x bit will do */
	UT_NOERR(access("d", R_OK | W_OK | X_OK));
	UT_ERRNO(access("missing", F_OK), ENOENT);
	UT_ERRNO(access("none", 8), EINVAL);
	UT_ERRNO(access(BAD_PTR, F_OK), EFAULT);
	UT_EQ(syscall(SYS_faccessat2, AT_FDCWD, "exec", X_OK, AT_EACCESS), 0);
	UT_EQ(syscall(SYS_faccessat, AT_FDCWD, "exec", X_OK), 0);
	UT_ERRNO(syscall(SYS_faccessat2, AT_FDCWD, "exec", X_OK, 0x4), EINVAL);
	UT_NOERR(symlink("missing", "dangling"));
	UT_ERRNO(access("dangling", F_OK), ENOENT);
	UT_EQ(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
}

/* ---- the working directory, the root, the umask ---- */

UT_CASE(getcwd_chdir_fchdir)
{
	char cwd[PATH_MAX], expect[PATH_MAX];
	int fd;

	enter();
	UT_NOERR(mkdir("sub", 0755));
	put("file", "");
	UT_NOERR(chdir("sub"));
	snprintf(expect, sizeof(expect), "%s/%s/sub", base_dir, ut_current);
	UT_CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, expect));
	UT_EQ(syscall(SYS_getcwd, cwd, sizeof(cwd)), (long)strlen(expect) + 1);
	UT_ERRNO(syscall(SYS_getcwd, cwd, strlen(expect)), ERANGE);
	UT_ERRNO(syscall(SYS_getcwd, cwd, 0), ERANGE);
	UT_ERRNO(syscall(SYS_getcwd, BAD_PTR, sizeof(cwd)), EFAULT);
	UT_NOERR(chdir(".."));
	UT_ERRNO(chdir("file"), ENOTDIR);
	UT_ERRNO(chdir("missing"), ENOENT);
	UT_ERRNO(chdir(BAD_PTR), EFAULT);
	fd = UT_NOERR(open("sub", O_RDONLY));
	UT_NOERR(fchdir(fd));
	UT_CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, expect));
	UT_NOERR(close(fd));
	fd = UT_NOERR(open("../file", O_RDONLY));
	UT_ERRNO(fchdir(fd), ENOTDIR);
	UT_NOERR(close(fd));
	UT_ERRNO(fchdir(-1), EBADF);
	UT_NOERR(rmdir("../sub")); /* the cwd is gone */
	UT_ERRNO(syscall(SYS_getcwd, cwd, sizeof(cwd)), ENOENT);
	UT_ERRNO(open("x", O_CREAT | O_WRONLY, 0644), ENOENT);
	UT_NOERR(chdir("/"));
	UT_CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"));
}

static void chroot_child(void)
{
	char cwd[PATH_MAX];

	UT_NOERR(chroot("jail"));
	UT_CHECK(!strcmp(get("/inside"), "jailed")); /* "/" is the jail now */
	/* The cwd is outside the new root: Linux says where from the real one. */
	UT_CHECK(syscall(SYS_getcwd, cwd, sizeof(cwd)) > 0);
	UT_CHECK(!strncmp(cwd, "(unreachable)/", 14));
	UT_NOERR(chdir("/"));
	UT_CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"));
	UT_CHECK(!strcmp(get("/../../inside"), "jailed")); /* ".." stops at the root */
	UT_NOERR(symlink("/inside", "/abs"));
	UT_CHECK(!strcmp(get("/abs"), "jailed")); /* so do absolute links */
	UT_ERRNO(chroot("/missing"), ENOENT);
	UT_ERRNO(chroot("/inside"), ENOTDIR);
}

UT_CASE(chroot_in_a_child)
{
	pid_t pid;

	enter();
	UT_NOERR(mkdir("jail", 0755));
	put("jail/inside", "jailed");
	pid = UT_NOERR(fork());
	if (pid == 0) {
		chroot_child();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	UT_CHECK(exists("jail/abs"));
}

UT_CASE(umask_applies_to_creation)
{
	enter();
	UT_EQ(umask(027), 022);
	UT_NOERR(close(UT_NOERR(open("f", O_CREAT | O_WRONLY, 0666))));
	UT_NOERR(mkdir("d", 0777));
	UT_NOERR(mknod("n", S_IFIFO | 0666, 0));
	UT_EQ(umask(022), 027);
	UT_EQ(st_of("f").st_mode, S_IFREG | 0640);
	UT_EQ(st_of("d").st_mode, S_IFDIR | 0750);
	UT_EQ(st_of("n").st_mode, S_IFIFO | 0640);
	UT_EQ(umask(01777), 022); /* only the permission bits are kept */
	UT_EQ(umask(022), 0777);
}

/* ---- size: truncate and fallocate ---- */

UT_CASE(truncate_and_ftruncate)
{
	char buf[16];
	int fd;

	enter();
	put("f", "0123456789");
	UT_NOERR(mkdir("d", 0755));
	set_old_times("f", 1000);
	UT_NOERR(truncate("f", 4));
	UT_CHECK(!strcmp(get("f"), "0123"));
	UT_CHECK(st_of("f").st_mtime > 1000);
	UT_NOERR(truncate("f", 8));
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_EQ(read(fd, buf, sizeof(buf)), 8);
	UT_CHECK(!memcmp(buf, "0123\0\0\0\0", 8)); /* grown with zeros */
	UT_ERRNO(ftruncate(fd, 2), EINVAL);	   /* not open for writing */
	UT_NOERR(close(fd));
	fd = UT_NOERR(open("f", O_WRONLY));
	UT_NOERR(ftruncate(fd, 2));
	UT_ERRNO(ftruncate(fd, -1), EINVAL);
	UT_NOERR(close(fd));
	UT_EQ(st_of("f").st_size, 2);
	UT_ERRNO(truncate("f", -1), EINVAL);
	UT_ERRNO(truncate("d", 0), EISDIR);
	UT_ERRNO(truncate("missing", 0), ENOENT);
	UT_ERRNO(truncate(BAD_PTR, 0), EFAULT);
	UT_ERRNO(ftruncate(-1, 0), EBADF);
}

UT_CASE(fallocate_modes)
{
	char buf[12288];
	struct stat st;
	int fd, dfd;

	enter();
	fd = UT_NOERR(open("f", O_RDWR | O_CREAT, 0644));
	UT_NOERR(fallocate(fd, 0, 0, 10000));
	UT_NOERR(fstat(fd, &st));
	UT_CHECK(st.st_size == 10000 && st.st_blocks >= 10000 / 512);
	UT_NOERR(fallocate(fd, AX_FALLOC_FL_KEEP_SIZE, 0, 40000));
	UT_NOERR(fstat(fd, &st));
	UT_CHECK(st.st_size == 10000 && st.st_blocks >= 40000 / 512);
	UT_ERRNO(fallocate(fd, 0, 0, 0), EINVAL);
	UT_ERRNO(fallocate(fd, 0, -1, 10), EINVAL);
	UT_ERRNO(fallocate(fd, AX_FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP);
	UT_ERRNO(fallocate(fd, 0x1000, 0, 10), EOPNOTSUPP);
	UT_NOERR(close(fd));
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_ERRNO(fallocate(fd, 0, 0, 10), EBADF);
	UT_NOERR(close(fd));
	dfd = UT_NOERR(open(".", O_RDONLY));
	UT_ERRNO(fallocate(dfd, 0, 0, 10), EBADF);
	UT_NOERR(close(dfd));
	UT_ERRNO(fallocate(-1, 0, 0, 10), EBADF);
	mount_scratch("size=1m"); /* tmpfs: punching holes, no ZERO_RANGE */
	fd = UT_NOERR(open("mnt/f", O_RDWR | O_CREAT, 0644));
	memset(buf, 'a', sizeof(buf));
	UT_EQ(write(fd, buf, sizeof(buf)), (long)sizeof(buf));
	UT_NOERR(fallocate(fd, AX_FALLOC_FL_PUNCH_HOLE | AX_FALLOC_FL_KEEP_SIZE, 100, 8192));
	UT_EQ(pread(fd, buf, sizeof(buf), 0), (long)sizeof(buf));
	UT_CHECK(buf[99] == 'a' && buf[100] == 0 && buf[8291] == 0 && buf[8292] == 'a');
	UT_NOERR(fstat(fd, &st));
	UT_EQ(st.st_size, 12288);
	UT_EQ(st.st_blocks, 16); /* the middle page is gone */
	UT_ERRNO(fallocate(fd, AX_FALLOC_FL_ZERO_RANGE, 0, 10), EOPNOTSUPP);
	UT_ERRNO(fallocate(fd, 0, 0, 2 << 20), ENOSPC); /* size=1m */
	UT_NOERR(close(fd));
	UT_NOERR(umount("mnt"));
}

UT_CASE(sync_family)
{
	int fd, nul;

	enter();
	fd = UT_NOERR(open("f", O_RDWR | O_CREAT, 0644));
	sync();
	UT_NOERR(syncfs(fd));
	UT_NOERR(fsync(fd));
	UT_NOERR(fdatasync(fd));
	UT_NOERR(close(fd));
	fd = UT_NOERR(open(".", O_RDONLY));
	UT_NOERR(fsync(fd));
	UT_NOERR(close(fd));
	UT_ERRNO(fsync(-1), EBADF);
	UT_ERRNO(fdatasync(99), EBADF);
	UT_ERRNO(syncfs(-1), EBADF);
	nul = UT_NOERR(open("/dev/null", O_WRONLY));
	UT_ERRNO(fsync(nul), EINVAL);
	UT_NOERR(close(nul));
}

/* ---- times ---- */

UT_CASE(utimensat_and_utimes)
{
	struct timespec ts[2] = { { 100, 5 }, { 200, 7 } };
	struct timeval tv[2] = { { 300, 1 }, { 400, 2 } };
	struct timespec now;
	struct stat st;
	int fd;

	enter();
	put("f", "");
	UT_NOERR(symlink("f", "l"));
	UT_NOERR(utimensat(AT_FDCWD, "f", ts, 0));
	UT_NOERR(stat("f", &st));
	UT_CHECK(st.st_atime == 100 && st.st_atim.tv_nsec == 5);
	UT_CHECK(st.st_mtime == 200 && st.st_mtim.tv_nsec == 7);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = (struct timespec){ 250, 0 };
	UT_NOERR(utimensat(AT_FDCWD, "f", ts, 0));
	UT_NOERR(stat("f", &st));
	UT_CHECK(st.st_atime == 100 && st.st_mtime == 250);
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_nsec = UTIME_OMIT;
	clock_gettime(CLOCK_REALTIME, &now);
	UT_NOERR(utimensat(AT_FDCWD, "f", ts, 0));
	UT_NOERR(stat("f", &st));
	UT_CHECK(st.st_atime >= now.tv_sec - 1 && st.st_atime <= now.tv_sec + 5);
	UT_EQ(st.st_mtime, 250);
	UT_NOERR(utimes("f", tv));
	UT_NOERR(stat("f", &st));
	UT_CHECK(st.st_atime == 300 && st.st_atim.tv_nsec == 1000 && st.st_mtime == 400);
	UT_NOERR(utimensat(AT_FDCWD, "f", NULL, 0));
	UT_CHECK(st_of("f").st_mtime >= now.tv_sec - 1);
	ts[0] = (struct timespec){ 11, 0 };
	ts[1] = (struct timespec){ 12, 0 };
	UT_NOERR(utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
	UT_EQ(lst_of("l").st_mtime, 12);
	UT_CHECK(st_of("f").st_mtime != 12);
	fd = UT_NOERR(open("f", O_RDONLY));
	UT_NOERR(futimens(fd, ts));
	UT_EQ(st_of("f").st_mtime, 12);
	UT_ERRNO(syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW), EINVAL);
	UT_NOERR(close(fd));
	ts[1].tv_nsec = 1000000000;
	UT_ERRNO(utimensat(AT_FDCWD, "f", ts, 0), EINVAL);
	ts[1].tv_nsec = 0;
	UT_ERRNO(utimensat(AT_FDCWD, "f", ts, 0x4), EINVAL);
	UT_ERRNO(utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);
	UT_ERRNO(syscall(SYS_utimensat, AT_FDCWD, "f", BAD_PTR, 0), EFAULT);
	tv[0].tv_usec = 1000000;
	UT_ERRNO(utimes("f", tv), EINVAL);
	ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
	UT_NOERR(utimensat(AT_FDCWD, "missing", ts, 0)); /* nothing to do: not even a lookup */
}

UT_CASE(timestamps_follow_changes)
{
	struct stat st;
	int fd;

	enter();
	UT_NOERR(mkdir("d", 0755));
	set_old_times("d", 1000);
	put("d/f", "x");
	UT_CHECK(st_of("d").st_mtime > 1000); /* a new entry */
	set_old_times("d/f", 1000);
	fd = UT_NOERR(open("d/f", O_WRONLY));
	UT_EQ(write(fd, "y", 1), 1);
	UT_NOERR(fstat(fd, &st));
	UT_CHECK(st.st_mtime > 1000 && st.st_ctime > 1000);
	UT_NOERR(close(fd));
	set_old_times("d", 1000);
	UT_NOERR(rename("d/f", "d/g"));
	UT_CHECK(st_of("d").st_mtime > 1000);
	set_old_times("d", 1000);
	UT_NOERR(unlink("d/g"));
	UT_CHECK(st_of("d").st_mtime > 1000);
	put("h", "");
	set_old_times("h", 1000);
	UT_NOERR(close(UT_NOERR(open("h", O_WRONLY | O_TRUNC))));
	UT_CHECK(st_of("h").st_mtime > 1000); /* O_TRUNC counts as a change */
}

/* ---- mounts and statfs ---- */

UT_CASE(mount_tmpfs_and_statfs)
{
	static char data[10000];
	struct statfs sf, sf2;
	int fd;

	enter();
	mount_scratch("size=1m,mode=0700,uid=5");
	UT_NOERR(statfs("mnt", &sf));
	UT_EQ(sf.f_type, AX_TMPFS_MAGIC);
	UT_EQ(sf.f_bsize, 4096);
	UT_EQ(sf.f_blocks, 256);
	UT_EQ(sf.f_bfree, 256);
	UT_EQ(sf.f_namelen, 255);
	UT_CHECK(sf.f_files > 0 && sf.f_ffree < sf.f_files);
	UT_EQ(st_of("mnt").st_mode, S_IFDIR | 0700);
	UT_EQ(st_of("mnt").st_uid, 5);
	UT_CHECK(st_of("mnt").st_dev != st_of(".").st_dev);
	fd = UT_NOERR(open("mnt/f", O_RDWR | O_CREAT, 0644));
	UT_EQ(write(fd, data, sizeof(data)), 10000);
	UT_NOERR(fstatfs(fd, &sf2));
	UT_EQ(sf2.f_bfree, 256 - 3);
	UT_EQ(sf2.f_ffree, sf.f_ffree - 1);
	UT_ERRNO(umount("mnt"), EBUSY); /* an open file */
	UT_NOERR(close(fd));
	UT_NOERR(chdir("mnt"));
	UT_ERRNO(umount("../mnt"), EBUSY); /* a working directory */
	UT_NOERR(chdir(".."));
	UT_NOERR(umount("mnt"));
	UT_CHECK(!exists("mnt/f"));
	UT_ERRNO(umount("mnt"), EINVAL); /* not a mount point */
	UT_ERRNO(statfs("missing", &sf), ENOENT);
	UT_ERRNO(syscall(SYS_statfs, "mnt", BAD_PTR), EFAULT);
	UT_ERRNO(fstatfs(-1, &sf), EBADF);
}

UT_CASE(mount_errors)
{
	enter();
	UT_NOERR(mkdir("mnt", 0755));
	put("file", "");
	UT_ERRNO(mount("x", "mnt", "nosuchfs", 0, NULL), ENODEV);
	UT_ERRNO(mount("x", "missing", "tmpfs", 0, NULL), ENOENT);
	UT_ERRNO(mount("x", "file", "tmpfs", 0, NULL), ENOTDIR);
	UT_ERRNO(mount("x", "mnt", "tmpfs", 0, "nosuchoption=1"), EINVAL);
	UT_ERRNO(mount("x", "mnt", NULL, 0, NULL), EINVAL);
	UT_ERRNO(mount("x", BAD_PTR, "tmpfs", 0, NULL), EFAULT);
	UT_ERRNO(mount("x", "mnt", BAD_PTR, 0, NULL), EFAULT);
	UT_ERRNO(umount2("mnt", 0x100), EINVAL);
	UT_ERRNO(umount2("mnt", MNT_EXPIRE | MNT_DETACH), EINVAL);
	UT_ERRNO(umount("missing"), ENOENT);
	UT_ERRNO(umount(BAD_PTR), EFAULT);
	UT_NOERR(mount(NULL, "mnt", "tmpfs", MS_MGC_VAL, NULL)); /* the old magic is ignored */
	UT_ERRNO(rmdir("mnt"), EBUSY);
	UT_ERRNO(rename("mnt", "mnt2"), EBUSY);
	UT_NOERR(umount2("mnt", UMOUNT_NOFOLLOW));
}

UT_CASE(mount_proc_and_devtmpfs)
{
	struct statfs sf;
	struct stat st;

	enter();
	UT_NOERR(mkdir("proc", 0755));
	UT_NOERR(mkdir("dev", 0755));
	UT_NOERR(mount("proc", "proc", "proc", 0, NULL));
	UT_NOERR(statfs("proc", &sf));
	UT_EQ(sf.f_type, AX_PROC_SUPER_MAGIC);
	UT_NOERR(lstat("proc/self", &st));
	UT_CHECK(S_ISLNK(st.st_mode));
	UT_NOERR(umount("proc"));
	UT_NOERR(mount("devtmpfs", "dev", "devtmpfs", 0, NULL));
	UT_NOERR(stat("dev/null", &st));
	UT_CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
	UT_NOERR(statfs("dev", &sf));
	UT_EQ(sf.f_type, AX_TMPFS_MAGIC);
	UT_NOERR(umount("dev"));
}

UT_CASE(read_only_mounts)
{
	struct statfs sf;
	int fd;

	enter();
	mount_scratch(NULL);
	put("mnt/f", "x");
	UT_NOERR(mkdir("mnt/d", 0755));
	UT_NOERR(mount(NULL, "mnt", NULL, MS_REMOUNT | MS_RDONLY, NULL));
	UT_NOERR(statfs("mnt", &sf));
	UT_CHECK(sf.f_flags & AX_ST_RDONLY);
	UT_ERRNO(open("mnt/g", O_CREAT | O_WRONLY, 0644), EROFS);
	UT_ERRNO(open("mnt/f", O_WRONLY), EROFS);
	UT_ERRNO(open("mnt/f", O_RDONLY | O_TRUNC), EROFS);
	UT_NOERR(close(UT_NOERR(open("mnt/f", O_RDONLY))));
	UT_ERRNO(mkdir("mnt/e", 0755), EROFS);
	UT_ERRNO(mkdir("mnt/d", 0755), EEXIST);
	UT_ERRNO(unlink("mnt/f"), EROFS);
	UT_ERRNO(rmdir("mnt/d"), EROFS);
	UT_ERRNO(rename("mnt/f", "mnt/g"), EROFS);
	UT_ERRNO(link("mnt/f", "mnt/g"), EROFS);
	UT_ERRNO(symlink("f", "mnt/g"), EROFS);
	UT_ERRNO(chmod("mnt/f", 0600), EROFS);
	UT_ERRNO(chown("mnt/f", 1, 1), EROFS);
	UT_ERRNO(truncate("mnt/f", 0), EROFS);
	UT_ERRNO(utimensat(AT_FDCWD, "mnt/f", NULL, 0), EROFS);
	UT_ERRNO(access("mnt/f", W_OK), EROFS);
	UT_NOERR(access("mnt/f", R_OK));
	UT_NOERR(mount(NULL, "mnt", NULL, MS_REMOUNT, NULL));
	fd = UT_NOERR(open("mnt/g", O_CREAT | O_WRONLY, 0644));
	UT_NOERR(close(fd));
	UT_NOERR(statfs("mnt", &sf));
	UT_CHECK(!(sf.f_flags & AX_ST_RDONLY));
	UT_ERRNO(mount(NULL, "mnt/d", NULL, MS_REMOUNT, NULL), EINVAL); /* not a mount's root */
	UT_NOERR(umount("mnt"));
	UT_NOERR(mkdir("ro", 0755));
	UT_NOERR(mount("x", "ro", "tmpfs", MS_RDONLY, NULL));
	UT_ERRNO(mkdir("ro/x", 0755), EROFS);
	UT_NOERR(umount("ro"));
}

UT_CASE(exdev_across_mounts)
{
	enter();
	mount_scratch(NULL);
	put("f", "x");
	UT_NOERR(mkdir("d", 0755));
	UT_ERRNO(rename("f", "mnt/f"), EXDEV);
	UT_ERRNO(rename("d", "mnt/d"), EXDEV);
	UT_ERRNO(link("f", "mnt/f"), EXDEV);
	put("mnt/x", "y");
	UT_ERRNO(renameat2_(AT_FDCWD, "f", AT_FDCWD, "mnt/x", RENAME_EXCHANGE), EXDEV);
	UT_ERRNO(renameat2_(AT_FDCWD, "f", AT_FDCWD, "mnt", RENAME_EXCHANGE),
		 EBUSY); /* a mount point */
	UT_NOERR(umount("mnt"));
}

/* ---- sendfile ---- */

UT_CASE(sendfile_between_files)
{
	off_t off = 2;
	int in, out, ro;

	enter();
	put("in", "0123456789");
	in = UT_NOERR(open("in", O_RDONLY));
	out = UT_NOERR(open("out", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	UT_EQ(sendfile(out, in, &off, 5), 5);
	UT_EQ(off, 7);
	UT_EQ(lseek(in, 0, SEEK_CUR), 0); /* with an offset, the position stays */
	UT_EQ(sendfile(out, in, NULL, 3), 3);
	UT_EQ(lseek(in, 0, SEEK_CUR), 3);
	UT_EQ(sendfile(out, in, NULL, 100), 7); /* up to the end */
	UT_EQ(sendfile(out, in, NULL, 100), 0);
	UT_NOERR(close(out));
	UT_CHECK(!strcmp(get("out"), "234560123456789"));
	out = UT_NOERR(open("/dev/null", O_WRONLY));
	off = 0;
	UT_EQ(sendfile(out, in, &off, 10), 10);
	UT_ERRNO(sendfile(out, in, BAD_PTR, 10), EFAULT);
	off = -1;
	UT_ERRNO(sendfile(out, in, &off, 10), EINVAL);
	UT_ERRNO(sendfile(in, in, NULL, 10), EBADF); /* in is not writable */
	UT_ERRNO(sendfile(-1, in, NULL, 10), EBADF);
	UT_NOERR(close(out));
	out = UT_NOERR(open("out", O_WRONLY | O_APPEND));
	UT_ERRNO(sendfile(out, in, NULL, 10), EINVAL);
	UT_NOERR(close(out));
	ro = UT_NOERR(open("out", O_WRONLY));
	UT_ERRNO(sendfile(in, ro, NULL, 10), EBADF); /* ro is not readable */
	UT_NOERR(close(ro));
	UT_NOERR(close(in));
	put("line", "sendfile: to standard output\n"); /* the console on Axolotl */
	in = UT_NOERR(open("line", O_RDONLY));
	UT_EQ(sendfile(1, in, NULL, 100), 29);
	UT_NOERR(close(in));
}

/* Word i of the file sendfile_into_a_slow_pipe sends: i, scrambled. */
static uint32_t sent_word(uint32_t i)
{
	return i * 2654435761u ^ 0x5a5a5a5au;
}

/* Reads the pipe to its end in small pieces, slowly; exits 0 if it got exactly the file. */
static void read_sent_words(int fd, size_t size)
{
	static uint32_t got[4096];
	size_t total = 0, bad = 0, reads = 0, first_bad = 0;
	ssize_t n;

	while ((n = read(fd, got, 1000)) > 0) {
		for (size_t k = 0; k < (size_t)n; k++) {
			size_t at = total + k;
			uint32_t want = sent_word((uint32_t)(at / 4));
			int wrong = at >= size ||
				    ((unsigned char *)got)[k] != ((unsigned char *)&want)[at % 4];

			if (wrong && !bad++)
				first_bad = at;
		}
		total += (size_t)n;
		if (++reads % 16 == 0)
			usleep(1000); /* the pipe fills up: sendfile's writes wait in mid-chunk */
	}
	if (n != 0 || total != size || bad)
		ut_printf("read_sent_words: read %zd (%s), %zu bytes of %zu, %zu wrong from %zu", n,
			  n < 0 ? ut_errname(errno) : "-", total, size, bad, first_bad);
	_exit(n == 0 && total == size && !bad ? 0 : 1);
}

/*
 * sendfile into a pipe that a slow reader drains: a chunk's write fills the
 * pipe part way and waits. The bytes must arrive once each, in order (the
 * call once ended short at such a wait and the caller sent the part of the
 * chunk already in the pipe again).
 */
UT_CASE(sendfile_into_a_slow_pipe)
{
	enum {
		SIZE = 1 << 20
	};
	static uint32_t words[SIZE / 4];
	size_t sent = 0;
	int p[2], in, fd;
	pid_t pid;

	enter();
	for (uint32_t i = 0; i < SIZE / 4; i++)
		words[i] = sent_word(i);
	fd = UT_NOERR(open("words", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	UT_EQ(write(fd, words, SIZE), SIZE);
	UT_NOERR(close(fd));
	in = UT_NOERR(open("words", O_RDONLY));
	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(p[1]);
		read_sent_words(p[0], SIZE);
	}
	UT_NOERR(close(p[0]));
	while (sent < SIZE) {
		ssize_t n = UT_NOERR(sendfile(p[1], in, NULL, SIZE - sent));

		UT_CHECK(n > 0);
		sent += (size_t)n;
	}
	UT_EQ(sent, SIZE);
	UT_EQ(lseek(in, 0, SEEK_CUR), SIZE);
	UT_NOERR(close(p[1]));
	UT_NOERR(close(in));
	UT_CHILD_OK(pid);
}

/* ---- device nodes and FIFOs ---- */

UT_CASE(mknod_types)
{
	struct stat st;

	enter();
	UT_NOERR(mknod("fifo", S_IFIFO | 0644, 0));
	UT_CHECK(S_ISFIFO(lst_of("fifo").st_mode));
	UT_NOERR(mknod("null", S_IFCHR | 0666, makedev(1, 3)));
	UT_NOERR(lstat("null", &st));
	UT_CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
	UT_NOERR(mknod("big", S_IFCHR | 0600, makedev(300, 70000)));
	UT_EQ(lst_of("big").st_rdev, makedev(300, 70000));
	UT_NOERR(mknod("reg", S_IFREG | 0644, 0));
	UT_NOERR(mknod("plain", 0644, 0)); /* no type: a regular file */
	UT_CHECK(S_ISREG(lst_of("plain").st_mode) && lst_of("plain").st_size == 0);
	UT_NOERR(mknodat(AT_FDCWD, "blk", S_IFBLK | 0600, makedev(8, 1)));
	UT_CHECK(S_ISBLK(lst_of("blk").st_mode));
	UT_ERRNO(mknod("dir", S_IFDIR | 0755, 0), EPERM);
	UT_ERRNO(mknod("bad", 0170000 | 0644, 0), EINVAL);
	UT_ERRNO(mknod("fifo", S_IFIFO | 0644, 0), EEXIST);
	UT_ERRNO(mknod("none/x", S_IFIFO | 0644, 0), ENOENT);
	UT_ERRNO(mknod(BAD_PTR, S_IFIFO | 0644, 0), EFAULT);
}

/* ---- locks ---- */

/* The ioctls every descriptor answers (FIONBIO, FIOCLEX, FIONCLEX) and those of regular files. */
UT_CASE(generic_ioctls)
{
	int fd, p[2], on = 1, off = 0, n;
	long long size;

	enter();
	put("f", "0123456789");
	fd = UT_NOERR(open("f", O_RDWR));
	UT_NOERR(pipe(p));
	/* FIONBIO sets and clears O_NONBLOCK as fcntl would. */
	UT_NOERR(ioctl(p[0], FIONBIO, &on));
	UT_CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	UT_ERRNO(read(p[0], &n, 1), EAGAIN);
	UT_NOERR(ioctl(p[0], FIONBIO, &off));
	UT_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	UT_ERRNO(ioctl(p[0], FIONBIO, BAD_PTR), EFAULT);
	UT_NOERR(ioctl(fd, FIONBIO, &on)); /* any file */
	UT_CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	/* FIOCLEX and FIONCLEX set the descriptor's close-on-exec flag. */
	UT_NOERR(ioctl(p[1], FIOCLEX));
	UT_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	UT_NOERR(ioctl(p[1], FIONCLEX));
	UT_EQ(fcntl(p[1], F_GETFD), 0);
	/* A regular file: FIONREAD counts from the offset to the end, FIOQSIZE its allocation. */
	UT_NOERR(ioctl(fd, FIONREAD, &n));
	UT_EQ(n, 10);
	UT_EQ(lseek(fd, 4, SEEK_SET), 4);
	UT_NOERR(ioctl(fd, FIONREAD, &n));
	UT_EQ(n, 6);
	UT_EQ(lseek(fd, 40, SEEK_SET), 40);
	UT_NOERR(ioctl(fd, FIONREAD, &n));
	UT_EQ(n, -30); /* past the end: negative, as Linux answers */
	UT_NOERR(ioctl(fd, FIOQSIZE, &size));
	{
		struct stat st;

		UT_NOERR(fstat(fd, &st));
		UT_EQ(size, (long long)st.st_blocks * 512); /* the bytes allocated */
	}
	UT_ERRNO(ioctl(fd, FIOQSIZE, BAD_PTR), EFAULT);
	UT_ERRNO(ioctl(p[0], FIOQSIZE, &size), ENOTTY); /* not a file, directory or link */
	UT_ERRNO(ioctl(fd, TCGETS, &size), ENOTTY);
	UT_ERRNO(ioctl(-1, FIONBIO, &on), EBADF);
	close(fd);
	close(p[0]);
	close(p[1]);
}

UT_CASE(fcntl_record_locks)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	int fd, ro;

	enter();
	put("f", "0123456789");
	fd = UT_NOERR(open("f", O_RDWR));
	UT_NOERR(fcntl(fd, F_GETLK, &fl));
	UT_EQ(fl.l_type, F_UNLCK); /* nobody else holds a lock */
	fl.l_type = F_WRLCK;
	UT_NOERR(fcntl(fd, F_SETLK, &fl));
	UT_NOERR(fcntl(fd, F_SETLKW, &fl));
	fl.l_type = F_UNLCK;
	UT_NOERR(fcntl(fd, F_SETLK, &fl));
	UT_ERRNO(fcntl(fd, F_GETLK, &fl), EINVAL); /* F_UNLCK cannot be asked about */
	fl.l_type = 7;
	UT_ERRNO(fcntl(fd, F_SETLK, &fl), EINVAL);
	fl.l_type = F_RDLCK;
	fl.l_whence = 9;
	UT_ERRNO(fcntl(fd, F_SETLK, &fl), EINVAL);
	fl.l_whence = SEEK_SET;
	fl.l_start = -5;
	UT_ERRNO(fcntl(fd, F_SETLK, &fl), EINVAL);
	fl.l_start = 0;
	UT_ERRNO(fcntl(fd, F_SETLK, BAD_PTR), EFAULT);
	fl.l_pid = 1;
	UT_ERRNO(fcntl(fd, F_OFD_SETLK, &fl), EINVAL);
	fl.l_pid = 0;
	UT_NOERR(fcntl(fd, F_OFD_SETLK, &fl));
	ro = UT_NOERR(open("f", O_RDONLY));
	fl.l_type = F_WRLCK;
	UT_ERRNO(fcntl(ro, F_SETLK, &fl), EBADF);
	fl.l_type = F_RDLCK;
	UT_NOERR(fcntl(ro, F_SETLK, &fl));
	UT_NOERR(close(ro));
	UT_ERRNO(fcntl(-1, F_SETLK, &fl), EBADF);
	UT_NOERR(flock(fd, LOCK_EX));
	UT_NOERR(flock(fd, LOCK_SH | LOCK_NB));
	UT_NOERR(flock(fd, LOCK_UN));
	UT_ERRNO(flock(fd, 0), EINVAL);
	UT_ERRNO(flock(-1, LOCK_EX), EBADF);
	UT_NOERR(close(fd));
}

/* ---- limits on names ---- */

UT_CASE(name_length_limits)
{
	char *path = malloc(PATH_MAX + 2);
	struct stat st;

	enter();
	put("x", "");
	UT_NOERR(mkdir(long_name(NAME_MAX), 0755));
	UT_NOERR(rmdir(long_name(NAME_MAX)));
	UT_ERRNO(stat(long_name(NAME_MAX + 1), &st), ENAMETOOLONG);
	UT_ERRNO(symlink("x", long_name(NAME_MAX + 1)), ENAMETOOLONG);
	UT_ERRNO(link("x", long_name(NAME_MAX + 1)), ENAMETOOLONG);
	for (int i = 0; i < PATH_MAX; i += 2)
		memcpy(path + i, "a/", 2);
	path[PATH_MAX] = '\0';
	UT_ERRNO(stat(path, &st), ENAMETOOLONG);
	UT_ERRNO(mkdir(path, 0755), ENAMETOOLONG);
	UT_ERRNO(symlink(path, "l"), ENAMETOOLONG);
	free(path);
}

/* ---- cleanup ---- */

/* Removes path and everything below it (mounts are detached first). */
static void remove_tree(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;

	umount2(path, MNT_DETACH);
	if (lstat(path, &st) || !S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0755);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char sub[PATH_MAX];

		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			remove_tree((snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name), sub));
	}
	if (d)
		closedir(d);
	rmdir(path);
}

UT_CASE(zz_cleanup)
{
	UT_NOERR(chdir("/"));
	if (base_dir[0])
		remove_tree(base_dir);
	UT_CHECK(!base_dir[0] || !exists(base_dir));
}
