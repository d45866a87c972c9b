/*
 * File types, permission bits, struct stat and struct statx as Linux
 * defines them for x86-64 (asm/stat.h, linux/stat.h). The VFS keeps its
 * own struct kstat (fs/vfs.h); kstat_to_stat() and kstat_to_statx()
 * produce these layouts for the stat family of system calls.
 */
#ifndef AXL_UAPI_STAT_H
#define AXL_UAPI_STAT_H

#include <lib/types.h>

#define S_IFMT	 0170000
#define S_IFSOCK 0140000
#define S_IFLNK	 0120000
#define S_IFREG	 0100000
#define S_IFBLK	 0060000
#define S_IFDIR	 0040000
#define S_IFCHR	 0020000
#define S_IFIFO	 0010000

#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000

#define S_IRWXU 00700
#define S_IRUSR 00400
#define S_IWUSR 00200
#define S_IXUSR 00100
#define S_IRWXG 00070
#define S_IRGRP 00040
#define S_IWGRP 00020
#define S_IXGRP 00010
#define S_IRWXO 00007
#define S_IROTH 00004
#define S_IWOTH 00002
#define S_IXOTH 00001

/* Permission and set-id bits: what chmod may change. */
#define S_IALLUGO 07777

#define S_ISLNK(m)  (((m)&S_IFMT) == S_IFLNK)
#define S_ISREG(m)  (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m)&S_IFMT) == S_IFDIR)
#define S_ISCHR(m)  (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m)&S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m)&S_IFMT) == S_IFSOCK)

/* d_type values of struct linux_dirent64, derived from the mode. */
#define DT_UNKNOWN 0
#define DT_FIFO	   1
#define DT_CHR	   2
#define DT_DIR	   4
#define DT_BLK	   6
#define DT_REG	   8
#define DT_LNK	   10
#define DT_SOCK	   12
#define IFTODT(m)  (((m)&S_IFMT) >> 12)

/* struct stat of the x86-64 stat, fstat, lstat and newfstatat calls. */
struct stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t __pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks; /* 512-byte units */
	uint64_t st_atime;
	uint64_t st_atime_nsec;
	uint64_t st_mtime;
	uint64_t st_mtime_nsec;
	uint64_t st_ctime;
	uint64_t st_ctime_nsec;
	int64_t __reserved[3];
};

_Static_assert(sizeof(struct stat) == 144, "struct stat is 144 bytes on x86-64");

/* statx: what was asked for and what is returned (stx_mask). */
#define STATX_TYPE	  0x0001u
#define STATX_MODE	  0x0002u
#define STATX_NLINK	  0x0004u
#define STATX_UID	  0x0008u
#define STATX_GID	  0x0010u
#define STATX_ATIME	  0x0020u
#define STATX_MTIME	  0x0040u
#define STATX_CTIME	  0x0080u
#define STATX_INO	  0x0100u
#define STATX_SIZE	  0x0200u
#define STATX_BLOCKS	  0x0400u
#define STATX_BASIC_STATS 0x07ffu
#define STATX_BTIME	  0x0800u
#define STATX_MNT_ID	  0x1000u
#define STATX__RESERVED	  0x80000000u

struct statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t __reserved;
};

struct statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t __spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major;
	uint32_t stx_rdev_minor;
	uint32_t stx_dev_major;
	uint32_t stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align;
	uint32_t stx_dio_offset_align;
	uint64_t __spare3[12];
};

_Static_assert(sizeof(struct statx) == 256, "struct statx is 256 bytes");

#endif /* AXL_UAPI_STAT_H */
