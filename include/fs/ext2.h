/*
 * The ext2 file-system library (the files of fs/ext2/) that runs inside the ext2
 * service (fs/ext2/service.c), and the on-disk structures it reads and
 * writes (docs/ext2.md). The host unit tests (tests/unit/test_ext2_*.c)
 * build the same library over an image in memory.
 *
 * Everything on disk is little-endian; the structures below are used as
 * they are because the kernel runs on x86-64 only.
 *
 * Every change a request makes goes into shadow copies of the blocks it
 * touches (fs/ext2/txn.c); ext2_txn_commit hands them to the block cache
 * at the end of a successful request, ext2_txn_abort drops them.
 */
#ifndef FS_EXT2_H
#define FS_EXT2_H

#include <lib/types.h>
#include <fs/ext2_proto.h>

#define EXT2_MAGIC	    0xef53
#define EXT2_SB_OFFSET	    1024 /* bytes from the start of the device */
#define EXT2_SB_SIZE	    1024
#define EXT2_ROOT_INO	    2
#define EXT2_GOOD_OLD_INO   11 /* first non-reserved inode of revision 0 */
#define EXT2_GOOD_OLD_ISIZE 128
#define EXT2_NDIR_BLOCKS    12
#define EXT2_IND_BLOCK	    12
#define EXT2_DIND_BLOCK	    13
#define EXT2_TIND_BLOCK	    14
#define EXT2_N_BLOCKS	    15
#define EXT2_LINK_MAX	    32000
#define EXT2_FAST_LINK_MAX  60 /* bytes of i_block: longer targets go to a block */
#define EXT2_DIR_PAD	    4
#define EXT2_MAX_MOUNTS	    8

#define EXT2_VALID_FS 1

/* Feature bits. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE	  0x0002
#define EXT2_FEATURE_RO_COMPAT_SPARSE	  0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR  0x0004
#define EXT2_FEATURE_INCOMPAT_SUPP	  EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_FEATURE_RO_COMPAT_SUPP                                          \
	(EXT2_FEATURE_RO_COMPAT_SPARSE | EXT2_FEATURE_RO_COMPAT_LARGE_FILE | \
	 EXT2_FEATURE_RO_COMPAT_BTREE_DIR)

/* i_flags */
#define EXT2_INDEX_FL 0x00001000 /* hashed directory: we clear it when we change one */

/* Directory entry file types (INCOMPAT_FILETYPE). */
enum ext2_ftype {
	EXT2_FT_UNKNOWN,
	EXT2_FT_REG,
	EXT2_FT_DIR,
	EXT2_FT_CHR,
	EXT2_FT_BLK,
	EXT2_FT_FIFO,
	EXT2_FT_SOCK,
	EXT2_FT_SYMLINK,
};

/* The superblock, 1024 bytes at byte 1024 of the device. */
struct ext2_super {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;
	uint32_t s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	/* Revision 1 (EXT2_DYNAMIC_REV) only. */
	uint32_t s_first_ino;
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint32_t s_algo_bitmap;
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	uint16_t s_reserved_gdt_blocks;
	uint8_t s_journal_uuid[16];
	uint32_t s_journal_inum;
	uint32_t s_journal_dev;
	/*
	 * The first inode of the orphan chain (0: none): inodes with no name
	 * left whose blocks are not all freed yet, each pointing at the next
	 * through its i_dtime, as ext3/ext4 without a journal (e2fsck -p/-y
	 * frees them; -n reports them). docs/ext2.md, "Deleting in steps".
	 */
	uint32_t s_last_orphan;
	uint8_t s_rest[1024 - 236];
};

/* A block group descriptor (32 bytes); the table starts in the block after the superblock. */
struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_pad;
	uint32_t bg_reserved[3];
};

/* An inode: the first 128 bytes of each inode-table slot. */
struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;
	uint32_t i_size;
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;
	uint16_t i_gid;
	uint16_t i_links_count;
	uint32_t i_blocks; /* 512-byte units, indirect blocks included */
	uint32_t i_flags;
	uint32_t i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;
	uint32_t i_size_high; /* i_dir_acl in revision 0; high size bits of regular files */
	uint32_t i_faddr;
	uint8_t i_frag;
	uint8_t i_fsize;
	uint16_t i_pad1;
	uint16_t i_uid_high;
	uint16_t i_gid_high;
	uint32_t i_reserved2;
};

/* A directory entry; name_len is 16 bits without INCOMPAT_FILETYPE (names < 256). */
struct ext2_dirent {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len;
	uint8_t file_type;
	char name[];
};

#define EXT2_DIRENT_LEN(n) ((8u + (n) + 3u) & ~3u)

struct ext2_txn;
struct service_ops;

/*
 * A mounted file system: what the superblock says, checked at mount.
 * Nothing here changes after mount, so a restarted service rebuilds it
 * by reading the superblock again. Lock key: (s) the service thread.
 */
struct ext2_fs {
	bool used;
	uint32_t fsid;
	uint32_t rdev;
	void *dev; /* the I/O layer's device (a struct block_device in the kernel) */
	bool rdonly;
	uint32_t block_size;
	uint32_t log_block_size; /* block_size = 1024 << log_block_size */
	uint32_t sb_block;	 /* the block that holds the superblock */
	uint32_t sb_offset;	 /* and where in it */
	uint32_t blocks_count;
	uint32_t inodes_count;
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t groups;
	uint32_t inode_size;
	uint32_t first_ino;
	uint32_t desc_per_block;
	uint32_t ptrs_per_block;
	uint32_t incompat;
	uint32_t ro_compat;
	int step_blocks;      /* a truncate step's budget: EXT2_STEP_BLOCKS (tests set less) */
	bool unsettled;	      /* (s) this allocation passed over bits freed, not settled */
	struct ext2_txn *txn; /* (s) the request in flight's shadows */
};

/* The service's state (svc_start's state): one entry per mounted file system. */
struct ext2_state {
	struct ext2_fs mounts[EXT2_MAX_MOUNTS];
};

extern const struct service_ops ext2_service_ops;

/*
 * The I/O layer, two implementations: fs/ext2/io.c (the block cache and
 * svc_alloc) and tests/unit/ext2_host_io.c (an image in memory).
 */
/* Memory that lives until the request ends (zeroed); NULL when out of memory. */
void *ext2_io_alloc(size_t n);
/* Called when a transaction ends: the host frees ext2_io_alloc memory. */
void ext2_io_txn_end(void);
/* The block's cached data, pinned (*handle) until ext2_io_put. 0 or -EIO/-ENOMEM. */
int ext2_io_get(struct ext2_fs *fs, uint64_t blk, void **handle, const void **data);
void ext2_io_put(void *handle);
/* A commit's updates and forgets happen between these two (no write-back pass sees half). */
void ext2_io_commit_begin(void);
void ext2_io_commit_end(void);
/*
 * Where a changed block goes in a write-back pass, after the bitmaps
 * (include/fs/bcache.h, enum bcache_order): the orphan chain's links
 * after everything else, its head (the superblock) last of all.
 */
enum ext2_order {
	EXT2_ORDER_PLAIN,
	EXT2_ORDER_LINK,
	EXT2_ORDER_ROOT
};
/* Replaces the cached block with data and marks it dirty (a commit step). */
void ext2_io_update(void *handle, const void *data, enum ext2_order order);
/*
 * Allocation maps (include/fs/bcache.h): the block is a bitmap, written
 * before other metadata and with a settled copy. ext2_io_make_map before
 * its first change (0 or -ENOMEM); ext2_io_settled copies the settled
 * contents to out (false when the block is no map: all of it settled).
 */
int ext2_io_make_map(void *handle);
bool ext2_io_settled(void *handle, void *out);
/* A service restarted: a commit its crash cut short is over. */
void ext2_io_reset(void);
/* Drops a freed block from the cache without writing it. */
void ext2_io_forget(struct ext2_fs *fs, uint64_t blk);
/*
 * Copies the 1024 bytes of the superblock (byte 1024 of the device) into
 * out, reading them as block 1 of size 1024 before the block size is
 * known; ext2_io_probe_end then drops that buffer if the file system
 * uses another block size (one size per device in the cache).
 */
int ext2_io_probe(void *dev, void *out);
void ext2_io_probe_end(void *dev, uint32_t block_size);

/* Transactions (fs/ext2/txn.c): one per request. */
int ext2_txn_begin(struct ext2_fs *fs);
void ext2_txn_commit(struct ext2_fs *fs);
void ext2_txn_abort(struct ext2_fs *fs);
/* The block as the request sees it (its shadow if it has one). */
int ext2_bread(struct ext2_fs *fs, uint64_t blk, const void **data);
/* A writable shadow of the block, a copy of what the request sees. */
int ext2_bwrite(struct ext2_fs *fs, uint64_t blk, void **data);
/* A writable zeroed shadow of a block just allocated (not read). */
int ext2_bzero(struct ext2_fs *fs, uint64_t blk, void **data);
/* The block was freed: drop it from the cache at commit. */
int ext2_bforget(struct ext2_fs *fs, uint64_t blk);
/* A writable shadow of a block, written at order (the highest asked) in a write-back pass. */
int ext2_bwrite_ordered(struct ext2_fs *fs, uint64_t blk, enum ext2_order order, void **data);
/* A writable shadow of an allocation map (a bitmap). */
int ext2_bwrite_map(struct ext2_fs *fs, uint64_t blk, void **data);
/* The settled contents of allocation map blk, as the request first saw them, or NULL (all settled). */
int ext2_bsettled(struct ext2_fs *fs, uint64_t blk, const void **settled);
/* Copies the block as the request sees it into out, without keeping it pinned. */
int ext2_bcopy(struct ext2_fs *fs, uint64_t blk, void *out);

/* Superblock and group descriptors (fs/ext2/super.c). */
int ext2_mount(struct ext2_fs *fs, void *dev, uint32_t flags);
int ext2_sb_read(struct ext2_fs *fs, const struct ext2_super **sb);
int ext2_sb_write(struct ext2_fs *fs, struct ext2_super **sb);
/* The same, to change s_last_orphan (EXT2_ORDER_ROOT). */
int ext2_sb_write_link(struct ext2_fs *fs, struct ext2_super **sb);
int ext2_gd_read(struct ext2_fs *fs, uint32_t group, const struct ext2_group_desc **gd);
int ext2_gd_write(struct ext2_fs *fs, uint32_t group, struct ext2_group_desc **gd);
/* Whether blk is a block of the file system past the superblock area. */
bool ext2_block_ok(const struct ext2_fs *fs, uint64_t blk);

struct ext2_statfs {
	uint64_t blocks, free_blocks, inodes, free_inodes;
	uint32_t block_size;
	uint64_t root_blocks; /* of the free blocks, those kept for root (s_r_blocks_count) */
};
int ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st);

/* Allocation (fs/ext2/alloc.c). goal: a block near which to allocate. */
int ext2_block_alloc(struct ext2_fs *fs, uint32_t goal, uint32_t *blk);
/* may_be_free: an orphan's block whose bit a power cut may have cleared already (alloc.c). */
int ext2_block_free(struct ext2_fs *fs, uint32_t blk, bool may_be_free);
/*
 * After an unclean shutdown: the free counts of every group and of the
 * superblock made equal to the bitmaps' clear bits; *changed if any was not.
 */
int ext2_recount(struct ext2_fs *fs, bool *changed);
int ext2_inode_alloc(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *ino);
int ext2_inode_free(struct ext2_fs *fs, uint32_t ino, bool dir);
/* Whether inode ino's bit is set in its group's inode bitmap (0/1), or -errno. */
int ext2_inode_in_use(struct ext2_fs *fs, uint32_t ino);

/* The orphan chain (fs/ext2/orphan.c, s_last_orphan above). */
/* Puts ino (no links left) at the head of the chain. */
int ext2_orphan_add(struct ext2_fs *fs, uint32_t ino);
/* Takes ino off the chain if it is on it; *next: what followed it (0: none, or not found). */
int ext2_orphan_del(struct ext2_fs *fs, uint32_t ino, uint32_t *next);
/* Whether ino is on the chain. */
int ext2_orphan_on(struct ext2_fs *fs, uint32_t ino, bool *on);
/*
 * A freed inode (in, its shadow) leaves the chain for good: i_dtime
 * becomes its deletion time and i_faddr keeps *next. The link that named
 * it is written after it (EXT2_ORDER_LINK, _ROOT): a power cut between the two
 * leaves it on the chain with a time in i_dtime, and the next walk
 * finds what followed it in i_faddr (e2fsck ignores i_faddr of a
 * deleted inode; a new inode's slot is zeroed).
 */
int ext2_orphan_leave(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint32_t *next);
/* The head of the chain (0: empty). */
int ext2_orphan_head(struct ext2_fs *fs, uint32_t *ino);

/* Inodes (fs/ext2/inode.c). */
int ext2_iread(struct ext2_fs *fs, uint64_t ino, const struct ext2_inode **in);
int ext2_iwrite(struct ext2_fs *fs, uint64_t ino, struct ext2_inode **in);
/* The same, to change its i_dtime as the orphan chain's link to the next (EXT2_ORDER_LINK). */
int ext2_iwrite_link(struct ext2_fs *fs, uint64_t ino, struct ext2_inode **in);
uint64_t ext2_isize(const struct ext2_inode *in);
int ext2_iset_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size);
/* A new inode's slot, zeroed (all inode_size bytes). */
int ext2_iclear(struct ext2_fs *fs, uint64_t ino, struct ext2_inode **in);
uint32_t ext2_irdev(const struct ext2_inode *in);
void ext2_iset_rdev(struct ext2_inode *in, uint32_t rdev);
int64_t ext2_time_get(uint32_t t);
uint32_t ext2_time_put(int64_t t);
void ext2_inode_attr(uint64_t ino, const struct ext2_inode *in, struct ext2_attr *a);
int ext2_getattr(struct ext2_fs *fs, uint64_t ino, struct ext2_attr *a);
/* Whether the inode's i_block holds block numbers (not a fast symlink or a device). */
bool ext2_has_blocks(struct ext2_fs *fs, const struct ext2_inode *in);

/* Block maps (fs/ext2/bmap.c). */
/* The disk block of logical block lblk (0: a hole); with alloc, allocates it. */
int ext2_bmap(struct ext2_fs *fs, uint64_t ino, uint64_t lblk, bool alloc, uint32_t *blk);
/*
 * The most a truncate step frees or reads: data blocks freed plus
 * indirect blocks visited. A request never does more than one step, so
 * its running time and its shadow blocks stay bounded whatever the file.
 */
#define EXT2_STEP_BLOCKS 512
/*
 * One bounded step of freeing the blocks past the first keep logical
 * blocks, from the end. *done: nothing is left past keep. Otherwise the
 * blocks from *low on are gone (low >= keep) and those below are not:
 * the caller shrinks i_size to low blocks, so each step leaves a
 * consistent file. The budget is fs->step_blocks. orphan: the inode is
 * being freed, and a block it names may be free already (ext2_block_free).
 */
int ext2_truncate_step(struct ext2_fs *fs, uint64_t ino, uint64_t keep, bool orphan, bool *done,
		       uint64_t *low);

/* Directories (fs/ext2/dir.c). */
typedef int (*ext2_dir_fn)(void *ctx, const char *name, size_t len, uint32_t ino, uint64_t next);
int ext2_lookup(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint32_t *ino);
/*
 * Calls fn for each entry from byte *cursor on ("." and ".." left out);
 * fn returns 0 to go on, > 0 to stop before that entry, < 0 for an error.
 * *cursor is where to resume, 0 at the end.
 */
int ext2_iterate(struct ext2_fs *fs, uint64_t dir, uint64_t *cursor, ext2_dir_fn fn, void *ctx);
int ext2_dir_add(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint32_t ino,
		 uint32_t mode);
int ext2_dir_remove(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len);
int ext2_dir_set(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint32_t ino,
		 uint32_t mode);
int ext2_dir_empty(struct ext2_fs *fs, uint64_t dir);
int ext2_dir_init(struct ext2_fs *fs, uint32_t dir, uint32_t parent);
int ext2_name_ok(const char *name, size_t len);

/* Operations (fs/ext2/namei.c), one per request kind. */
struct ext2_new {
	uint32_t mode, rdev, uid, gid;
	int64_t time;
	const char *target; /* symlinks */
	size_t target_len;
};
int ext2_create(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len,
		const struct ext2_new *n, struct ext2_attr *out);
int ext2_symlink(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len,
		 const struct ext2_new *n, struct ext2_attr *out);
int ext2_link(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint64_t ino,
	      int64_t time, struct ext2_attr *out);
int ext2_unlink(struct ext2_fs *fs, uint64_t dir, const char *name, size_t len, uint64_t ino,
		bool is_dir, int64_t time, struct ext2_attr *out);
int ext2_rename(struct ext2_fs *fs, uint64_t odir, const char *oname, size_t olen, uint64_t ndir,
		const char *nname, size_t nlen, uint32_t flags, int64_t time);
int ext2_readlink(struct ext2_fs *fs, uint64_t ino, char *buf, size_t size);
/*
 * One bounded step of freeing inode ino if it has no links (the core let
 * go of it, or it is an orphan found at mount): blocks from the end, then
 * the inode itself. *more: call again; when it is done, *next is the
 * orphan that followed ino on the chain (0: none).
 */
int ext2_evict_step(struct ext2_fs *fs, uint64_t ino, bool *more, uint32_t *next);

/* ext2_setattr's valid bits: the same as ATTR_* of fs/vfs.h. */
#define EXT2_ATTR_MODE	(1u << 0)
#define EXT2_ATTR_UID	(1u << 1)
#define EXT2_ATTR_GID	(1u << 2)
#define EXT2_ATTR_SIZE	(1u << 3)
#define EXT2_ATTR_ATIME (1u << 4)
#define EXT2_ATTR_MTIME (1u << 5)

struct ext2_setattr {
	uint32_t valid, mode, uid, gid;
	int64_t size, atime, mtime, ctime;
};
/*
 * A smaller size frees blocks in one bounded step (ext2_truncate_step):
 * out->size is then larger than asked until the last step; call again.
 */
int ext2_setattr(struct ext2_fs *fs, uint64_t ino, const struct ext2_setattr *sa,
		 struct ext2_attr *out);

#endif
