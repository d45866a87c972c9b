/*
 * open() flags, *at() conventions, lseek whence values, fcntl commands
 * and record locks, renameat2, fallocate, flock, close_range, utimensat
 * and preadv2 flags, with Linux x86-64 values (asm-generic/fcntl.h,
 * linux/fcntl.h, linux/fs.h, linux/falloc.h). Used by the VFS (fs/) and
 * the file system calls (sys/file.c, sys/fs.c).
 */
#ifndef AXL_UAPI_FCNTL_H
#define AXL_UAPI_FCNTL_H

#include <lib/types.h>

#define O_ACCMODE   00000003
#define O_RDONLY    00000000
#define O_WRONLY    00000001
#define O_RDWR	    00000002
#define O_CREAT	    00000100
#define O_EXCL	    00000200
#define O_NOCTTY    00000400
#define O_TRUNC	    00001000
#define O_APPEND    00002000
#define O_NONBLOCK  00004000
#define O_DSYNC	    00010000
#define O_ASYNC	    00020000
#define O_DIRECT    00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW  00400000
#define O_NOATIME   01000000
#define O_CLOEXEC   02000000
#define O_SYNC	    04010000
#define O_PATH	    010000000
#define O_TMPFILE   020200000
#define O_NDELAY    O_NONBLOCK

/* The dirfd that means "the current directory" for the *at() calls. */
#define AT_FDCWD	    (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS	    0x200
#define AT_REMOVEDIR	    0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT	    0x800
#define AT_EMPTY_PATH	    0x1000
#define AT_STATX_SYNC_TYPE  0x6000 /* statx: FORCE_SYNC 0x2000, DONT_SYNC 0x4000 */
#define AT_STATX_FORCE_SYNC 0x2000
#define AT_STATX_DONT_SYNC  0x4000
#define AT_RECURSIVE	    0x8000

/* renameat2 flags. */
#define RENAME_NOREPLACE (1u << 0)
#define RENAME_EXCHANGE	 (1u << 1)
#define RENAME_WHITEOUT	 (1u << 2)

/* fallocate modes. */
#define FALLOC_FL_KEEP_SIZE	 0x01
#define FALLOC_FL_PUNCH_HOLE	 0x02
#define FALLOC_FL_NO_HIDE_STALE	 0x04
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#define FALLOC_FL_ZERO_RANGE	 0x10
#define FALLOC_FL_INSERT_RANGE	 0x20
#define FALLOC_FL_UNSHARE_RANGE	 0x40

/* utimensat: tv_nsec values that mean "now" and "leave alone". */
#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* close_range flags. */
#define CLOSE_RANGE_UNSHARE (1u << 1)
#define CLOSE_RANGE_CLOEXEC (1u << 2)

/* flock operations. */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* preadv2/pwritev2 flags. */
#define RWF_HIPRI     0x01
#define RWF_DSYNC     0x02
#define RWF_SYNC      0x04
#define RWF_NOWAIT    0x08
#define RWF_APPEND    0x10
#define RWF_NOAPPEND  0x20
#define RWF_SUPPORTED (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND)

#define SEEK_SET  0
#define SEEK_CUR  1
#define SEEK_END  2
#define SEEK_DATA 3
#define SEEK_HOLE 4

#define F_DUPFD		0
#define F_GETFD		1
#define F_SETFD		2
#define F_GETFL		3
#define F_SETFL		4
#define F_GETLK		5
#define F_SETLK		6
#define F_SETLKW	7
#define F_SETOWN	8
#define F_GETOWN	9
#define F_SETSIG	10
#define F_GETSIG	11
#define F_OFD_GETLK	36
#define F_OFD_SETLK	37
#define F_OFD_SETLKW	38
#define F_DUPFD_CLOEXEC 1030
#define F_ADD_SEALS	1033
#define F_GET_SEALS	1034

/* File seals (memfd_create(2) with MFD_ALLOW_SEALING). */
#define F_SEAL_SEAL	    0x0001
#define F_SEAL_SHRINK	    0x0002
#define F_SEAL_GROW	    0x0004
#define F_SEAL_WRITE	    0x0008
#define F_SEAL_FUTURE_WRITE 0x0010
#define F_SEAL_EXEC	    0x0020
#define FD_CLOEXEC	    1

/* Record lock types (struct flock.l_type). */
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2

/* The record lock of F_GETLK, F_SETLK and F_SETLKW (32 bytes on x86-64). */
struct flock {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start;
	int64_t l_len;
	int32_t l_pid;
};

_Static_assert(sizeof(struct flock) == 32, "struct flock is 32 bytes on x86-64");

/* access() modes. */
#define F_OK			    0
/* sync_file_range flags. */
#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE	    2
#define SYNC_FILE_RANGE_WAIT_AFTER  4

#define X_OK 1
#define W_OK 2
#define R_OK 4

#endif /* AXL_UAPI_FCNTL_H */
