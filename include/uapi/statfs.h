/*
 * struct statfs of the statfs and fstatfs system calls as Linux defines
 * it for x86-64 (asm-generic/statfs.h), the f_flags bits (ST_*) and the
 * magic numbers (f_type) of the file system types Axolotl has
 * (linux/magic.h). The VFS fills it (vfs_statfs in fs/vfs.c).
 */
#ifndef AXL_UAPI_STATFS_H
#define AXL_UAPI_STATFS_H

#include <lib/types.h>

#define TMPFS_MAGIC	   0x01021994
#define PROC_SUPER_MAGIC   0x9fa0
#define DEVPTS_SUPER_MAGIC 0x1cd1
#define EXT2_SUPER_MAGIC   0xef53
#define SYSFS_MAGIC	   0x62656572
#define RAMFS_MAGIC	   0x858458f6
#define PIPEFS_MAGIC	   0x50495045
#define SOCKFS_MAGIC	   0x534F434B

/* f_flags: the mount flags, as statvfs(3) reports them. */
#define ST_RDONLY      0x0001
#define ST_NOSUID      0x0002
#define ST_NODEV       0x0004
#define ST_NOEXEC      0x0008
#define ST_SYNCHRONOUS 0x0010
#define ST_VALID       0x0020 /* f_flags is filled in */
#define ST_MANDLOCK    0x0040
#define ST_NOATIME     0x0400
#define ST_NODIRATIME  0x0800
#define ST_RELATIME    0x1000
#define ST_NOSYMFOLLOW 0x2000

struct statfs {
	int64_t f_type;
	int64_t f_bsize;
	uint64_t f_blocks;
	uint64_t f_bfree;
	uint64_t f_bavail;
	uint64_t f_files;
	uint64_t f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen;
	int64_t f_frsize;
	int64_t f_flags;
	int64_t f_spare[4];
};

_Static_assert(sizeof(struct statfs) == 120, "struct statfs is 120 bytes on x86-64");

#endif /* AXL_UAPI_STATFS_H */
