/*
 * The ext2 service's protocol: what the core's ext2 glue (fs/ext2_vfs.c)
 * and the ext2 service (fs/ext2/service.c) say to each other, as service
 * messages (include/svc/msg.h). One service serves every mounted ext2
 * file system; each request names its file system by the id the core gave
 * it at EXT2_MOUNT.
 *
 * Every request payload is: version byte EXT2_PROTO_VERSION, u32 fsid,
 * then the fields listed for its opcode, in order. Replies carry the
 * listed fields when the status is 0, nothing otherwise. "attr" is an
 * inode's attributes as ext2_put_attr writes them. A request that
 * allocates answers EXT2_UNSETTLED (not -ENOSPC) when the only free
 * blocks or inodes were freed since the last write-back pass ended
 * (fs/ext2/alloc.c): the core runs a pass and asks again.
 *
 * The service keeps no state that matters between requests: the core
 * keeps the list of mounts (so that init can mount them again after a
 * crash), inode and directory contents it was told, and file data in its
 * page cache. File data never passes through the service: EXT2_BMAP tells
 * the core which disk blocks hold (or will hold) a file's pages and the
 * core moves the data itself.
 */
#ifndef FS_EXT2_PROTO_H
#define FS_EXT2_PROTO_H

#include <lib/types.h>
#include <svc/msg.h>

#define EXT2_PROTO_VERSION 2 /* 2: BMAP's allocated count, STATFS's root blocks */
#define EXT2_NAME_MAX	   255
#define EXT2_UNSETTLED	   (-EAGAIN) /* no settled space: a pass, then ask again (above) */

enum ext2_op {
	/*
	 * u32 rdev, u32 flags (EXT2_MOUNT_RDONLY) -> u64 root ino, u32 block
	 * size, attr of the root directory, u32 first orphan (0: none; the
	 * core frees the chain with EXT2_EVICT). Mounting a mounted fsid
	 * again answers the same (a caller may repeat a request).
	 */
	EXT2_MOUNT = 1,
	/* (nothing) -> nothing: forget the file system (the core syncs the cache) */
	EXT2_UMOUNT,
	/* u64 ino -> attr */
	EXT2_GETATTR,
	/*
	 * u64 dir ino, u64 cursor (0: start) -> u64 next cursor (0: end),
	 * u32 count, then count times: str name, attr (with its ino).
	 * As many entries as fit the reply; never "." or "..".
	 */
	EXT2_READDIR,
	/*
	 * u64 dir, str name, u32 mode (type and permissions), u32 rdev, u32 uid,
	 * u32 gid, i64 time sec -> attr of the new inode. Regular files,
	 * directories, device nodes, FIFOs, sockets. -EEXIST, -ENOSPC.
	 */
	EXT2_CREATE,
	/* u64 dir, str name, bytes target, u32 uid, u32 gid, i64 time -> attr */
	EXT2_SYMLINK,
	/* u64 dir, str name, u64 ino, i64 time -> attr of ino (its new nlink) */
	EXT2_LINK,
	/*
	 * u64 dir, str name, u64 ino (what the core thinks the name is), u32 is_dir,
	 * i64 time -> attr of ino after (nlink may be 0: freed at EXT2_EVICT).
	 * -ENOTEMPTY for a directory with entries.
	 */
	EXT2_UNLINK,
	/*
	 * u64 old dir, str old name, u64 new dir, str new name, u32 flags
	 * (RENAME_EXCHANGE, RENAME_NOREPLACE), i64 time -> nothing. A target
	 * that is replaced loses a link (the core then sends EXT2_EVICT when
	 * it lets go of it). Moving a directory rewrites its "..".
	 */
	EXT2_RENAME,
	/*
	 * u64 ino, u32 valid (ATTR_* of fs/vfs.h), u32 mode, u32 uid, u32 gid,
	 * i64 size, i64 atime, i64 mtime, i64 ctime -> attr. A smaller size
	 * frees the blocks past it, at most EXT2_STEP_BLOCKS per request from
	 * the end: while the attr's size is larger than asked, send it again.
	 */
	EXT2_SETATTR,
	/* u64 ino -> bytes target */
	EXT2_READLINK,
	/*
	 * u64 ino, u64 first logical block, u32 count, u32 alloc ->
	 * u32 n, then n times u64 disk block (0: a hole; never 0 with alloc).
	 * With alloc, missing blocks are allocated (near each other) and the
	 * attr's block count grows; the reply then ends with the attr and
	 * u64 allocated: the blocks (data and indirect) this request took.
	 */
	EXT2_BMAP,
	/*
	 * -> u64 blocks, u64 free blocks, u64 inodes, u64 free inodes, u32 block
	 * size, u64 root blocks (of the free ones, those only root may take)
	 */
	EXT2_STATFS,
	/*
	 * u64 ino -> u32 more, u32 next orphan: the core let go of an inode
	 * (or the mount named it as an orphan); free it if it has no links,
	 * one bounded step per request. more: send it again. Once freed,
	 * next is the orphan that followed it on the chain (0: none).
	 */
	EXT2_EVICT,
	EXT2_NR_OPS,
};

#define EXT2_MOUNT_RDONLY 1u

/* An inode's attributes as the protocol carries them. */
struct ext2_attr {
	uint64_t ino;
	uint32_t mode, nlink, uid, gid, rdev;
	int64_t size;
	int64_t blocks; /* 512-byte units */
	int64_t atime, mtime, ctime;
};

/* The bytes ext2_put_attr writes. */
#define EXT2_ATTR_BYTES (8 + 5 * 4 + 5 * 8)

void ext2_put_attr(struct svc_writer *w, const struct ext2_attr *a);
/* 0, or -EPROTO when the reader ran short. */
int ext2_get_attr(struct svc_reader *r, struct ext2_attr *a);

/*
 * The core's list of ext2 mounts (fs/ext2_vfs.c): calls fn for each file
 * system it mounted (fsid, block device number, EXT2_MOUNT_* flags). The
 * service's init uses it to mount them all again after a restart. fn runs
 * under the list's spinlock: it must not block (copy, then do the I/O).
 */
void ext2_core_for_each_mount(void (*fn)(uint32_t fsid, uint32_t rdev, uint32_t flags, void *ctx),
			      void *ctx);

#endif
