/*
 * The virtual file system: the objects every file system shares and the
 * kernel API on top of them (fs/vfs.c, fs/dcache.c, fs/namei.c,
 * fs/file.c). The system calls (sys/) and kernel code (exec, initramfs,
 * self-tests) call the vfs_* functions; file systems (fs/tmpfs.c, devfs,
 * later procfs and ext2) fill in the ops tables. See docs/files.md.
 *
 * Objects: a super_block is one mounted file system; an inode is a file
 * of it; a dentry is a name in the tree of names the kernel keeps in
 * memory (the dentry cache), pointing at an inode; a mount attaches a
 * super_block's root dentry on a dentry of another file system; a file is
 * an open file (position, flags). Each is reference counted.
 *
 * Errors are negative errno values. Modes passed to the vfs_* functions
 * are final: the caller applies the process's umask.
 */
#ifndef FS_VFS_H
#define FS_VFS_H

#include <lib/types.h>
#include <lib/list.h>
#include <lib/errseq.h>
#include <kernel/spinlock.h>
#include <kernel/uaccess.h>
#include <fs/path.h>
#include <uapi/stat.h>
#include <uapi/statfs.h>
#include <uapi/fcntl.h>

typedef long ssize_t;

/* Device numbers, encoded as Linux's 32-bit st_dev/st_rdev (new_encode_dev). */
#define MKDEV(ma, mi) ((uint32_t)((((ma)&0xfffu) << 8) | ((mi)&0xffu) | (((mi)&0xfff00u) << 12)))
#define MAJOR(dev)    (((uint32_t)(dev) >> 8) & 0xfffu)
#define MINOR(dev)    (((uint32_t)(dev)&0xffu) | (((uint32_t)(dev) >> 12) & 0xfff00u))

#define MAX_SYMLINKS 40		 /* symlinks one path walk may follow */
#define MAX_RW_COUNT 0x7ffff000L /* largest single read or write, as Linux */

struct vfs_timespec {
	int64_t sec;
	int64_t nsec;
};

struct inode;
struct dentry;
struct file;
struct super_block;
struct fs_type;
struct mount;
struct dir_context;
struct vfs_attr;
struct page;

/*
 * Operations on inodes. Directory operations are called with the
 * directory's lock held (and, for unlink and rmdir, the victim's lock
 * too); on success the VFS links or unlinks the dentry in the tree.
 */
struct inode_ops {
	/* Fills d->inode from the backing store; NULL: the dentry tree is complete. */
	int (*lookup)(struct inode *dir, struct dentry *d);
	/*
	 * Directories read into the tree on first use (ext2): makes every entry
	 * of dir a child of d. Called without locks before names in dir are
	 * looked up or made; 0 at once when it was done before; may return
	 * -EWAIT (user threads) or block (kernel threads).
	 */
	int (*fill_dir)(struct inode *dir, struct dentry *d);
	int (*create)(struct inode *dir, struct dentry *d, unsigned mode);
	int (*mkdir)(struct inode *dir, struct dentry *d, unsigned mode);
	int (*mknod)(struct inode *dir, struct dentry *d, unsigned mode, uint32_t rdev);
	int (*symlink)(struct inode *dir, struct dentry *d, const char *target);
	/* Gives d the inode of old (not a directory, same super block): a hard link. */
	int (*link)(struct dentry *old, struct inode *dir, struct dentry *d);
	int (*unlink)(struct inode *dir, struct dentry *victim);
	int (*rmdir)(struct inode *dir, struct dentry *victim);
	/*
	 * Moves old (a child of old_dir) to new_name in new_dir: new is the
	 * target it replaces, or NULL when the name is free; with
	 * RENAME_EXCHANGE both exist and trade places. Called with the
	 * directories' locks and the locks of old's and new's inodes held; the
	 * VFS has checked types, ancestry and mounts, the file system checks
	 * that a directory it replaces is empty. The VFS moves the dentries.
	 */
	int (*rename)(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
		      const struct qstr *new_name, struct dentry *new, unsigned flags);
	/* Symlinks: copies up to size bytes of the target; returns the count. */
	ssize_t (*readlink)(struct inode *inode, char *buf, size_t size);
	/* chmod, chown, truncate, utimes; called without locks. */
	int (*setattr)(struct inode *inode, const struct vfs_attr *attr);
	/*
	 * Optional: the permission check in place of the generic one
	 * (inode_permission), for owners that follow something else
	 * (procfs's /proc/PID: the process's). May be called with the
	 * inode's or its directory's lock held: takes no lock of the inode.
	 */
	int (*permission)(const struct inode *inode, int mask);
	/*
	 * Regular files whose data is in pages (mmap, exec): the page holding
	 * bytes [index * PAGE_SIZE, +PAGE_SIZE) with a reference, read in if
	 * needed (zeros past the end and in holes). 0, -EWAIT (user threads:
	 * wait and try again), -EIO, -ENOMEM. NULL: not available.
	 */
	int (*get_page)(struct inode *inode, uint64_t index, struct page **out);
	/* A shared mapping wrote to page index (from get_page): it must be written back. */
	void (*set_page_dirty)(struct inode *inode, uint64_t index);
	/*
	 * A shared mapping is about to write to page index (from get_page)
	 * for the first time since it was clean: 0, or -ENOSPC when the data
	 * would have no room on the disk (SIGBUS). NULL: nothing to do.
	 */
	int (*page_mkwrite)(struct inode *inode, uint64_t index);
	/*
	 * A shared mapping that may write (now or after mprotect) is made: 0,
	 * or -EPERM when the file is sealed against writes (the mapping is then
	 * read-only for good). unmap_writable when it goes. NULL: nothing to count.
	 */
	int (*map_writable)(struct inode *inode);
	void (*unmap_writable)(struct inode *inode);
	/* Reads the whole file into memory (exec): 0, -EWAIT, -EIO. NULL: it is there. */
	int (*populate)(struct inode *inode);
};

/*
 * Operations on open files. read and write move data between the file at
 * *pos and the buffer and advance *pos; they may return -EWAIT (after
 * wait_block_locked, include/kernel/wait.h) or -EAGAIN for O_NONBLOCK.
 */
struct file_ops {
	/* Called by open; may replace f->fops (character devices do). */
	int (*open)(struct inode *inode, struct file *f);
	ssize_t (*read)(struct file *f, const struct iobuf *buf, int64_t *pos);
	ssize_t (*write)(struct file *f, const struct iobuf *buf, int64_t *pos);
	/* NULL: generic_lseek over the inode size. */
	int64_t (*lseek)(struct file *f, int64_t off, int whence);
	int (*ioctl)(struct file *f, unsigned cmd, uintptr_t arg);
	int (*readdir)(struct file *f, struct dir_context *ctx);
	void (*release)(struct file *f);
	/* NULL: -EINVAL, as Linux for files that cannot be synced. */
	int (*fsync)(struct file *f, bool datasync);
	/* Mode 0, FALLOC_FL_KEEP_SIZE, ...; NULL: -EOPNOTSUPP. Checked by vfs_fallocate. */
	int (*fallocate)(struct file *f, int mode, int64_t off, int64_t len);
	/*
	 * The POLL* bits (uapi/poll.h) that hold now, or -ENOMEM. With
	 * register_wait, first wait_add_source() on every source the answer
	 * depends on, so that a change after the look wakes the poller.
	 * NULL: always readable and writable.
	 */
	int (*poll)(struct file *f, bool register_wait);
};

/*
 * Lock key: (c) constant after creation, (l) lock, (a) atomic, (fs) the
 * file system's own rules, (n) inotify's lock. The type bits of mode are (c).
 */
struct inode {
	spinlock_t lock;
	int32_t refcount;			 /* (a) dentries and others */
	uint64_t ino;				 /* (c) */
	uint32_t mode;				 /* (l) */
	uint32_t nlink;				 /* (l) */
	uint32_t uid, gid;			 /* (l) */
	uint32_t rdev;				 /* (c) device nodes */
	int64_t size;				 /* (l) */
	int64_t blocks;				 /* (l) 512-byte units */
	struct vfs_timespec atime, mtime, ctime; /* (l) */
	struct vfs_timespec btime;		 /* (c) creation (statx) */
	struct super_block *sb;			 /* (c) */
	const struct inode_ops *iops;		 /* (c) */
	const struct file_ops *fops;		 /* (c) what open starts with */
	void *private;				 /* (fs) */
	errseq_t wb_err;			 /* (a) write-back errors of its data: fsync */
	/* (n) inotify's lock: struct inotify_watch on it (fs/inotify.c); empty: none */
	struct list_head watches;
};

/*
 * A name in the dentry tree. Lock key: (c) constant after creation,
 * (d) dcache_lock, (a) atomic, (r) changed only by rename, which holds
 * rename_lock, the old and new parents' inode locks and dcache_lock: so
 * it may be read holding dcache_lock, or the inode lock of the parent,
 * or (for the parent pointer) rename_lock. An unlinked dentry never
 * changes again. A linked dentry holds a reference on itself (the
 * tree's) and on its parent; unlinking drops the first.
 */
struct dentry {
	int32_t refcount;	   /* (a) */
	uint32_t flags;		   /* (d) DENTRY_* */
	struct dentry *parent;	   /* (r) NULL at a file system's root; referenced */
	struct inode *inode;	   /* (c) once instantiated; holds a reference */
	struct mount *mount;	   /* (c) at a file system's root: its mount */
	struct mount *mounted;	   /* (d) and the parent's inode lock to set */
	struct list_head children; /* (d) linked child dentries */
	struct list_head sibling;  /* (d) on parent->children, in seq order */
	uint64_t seq;		   /* (d) position among the parent's children (readdir) */
	uint64_t next_seq;	   /* (d) the next child's seq */
	uint32_t hash;		   /* (r) name_hash(name) */
	uint32_t name_len;	   /* (r) */
	char *name;		   /* (r) NUL-terminated: iname, or a kmalloc'd block */
	uint32_t iname_size;	   /* (c) bytes of iname */
	char iname[];		   /* the first name, and later ones that fit */
};

#define DENTRY_LINKED (1u << 0) /* in its parent's children (the tree holds it) */

struct super_ops {
	/* The last reference to inode is gone: free what the file system keeps. */
	void (*evict_inode)(struct inode *inode);
	/* Unmounted, every inode evicted: free the super block. */
	void (*put_super)(struct super_block *sb);
	/* Optional: detached by umount, before its tree is pruned (devpts stops adding to it). */
	void (*umount)(struct super_block *sb);
	/* Sizes and counts; the VFS has set f_type, f_bsize, f_namelen, f_fsid, f_flags. */
	int (*statfs)(struct super_block *sb, struct statfs *st);
	/* Mount options changed (MS_REMOUNT with data); NULL: options are ignored. */
	int (*remount)(struct super_block *sb, unsigned long flags, const void *data);
	/*
	 * syncfs and unmount: what was written reaches the disk, metadata and
	 * the device's cache included (0, -EWAIT, or a metadata error; data
	 * errors are in the inodes' and the super block's wb_err).
	 */
	int (*sync_fs)(struct super_block *sb);
};

/*
 * Lock key: (c) constant after mount, (a) atomic, (fs) the file system's.
 * There are no bind mounts: a super block has exactly one mount, so the
 * mount flags (MS_RDONLY...) live here.
 */
struct super_block {
	const struct fs_type *type;  /* (c) */
	const struct super_ops *ops; /* (c) */
	uint32_t dev;		     /* (c) st_dev of its inodes */
	uint64_t next_ino;	     /* (a) */
	int64_t nr_inodes;	     /* (a) inodes alive */
	unsigned long flags;	     /* (a) MS_PER_MOUNT bits (uapi/mount.h) */
	struct dentry *root;	     /* (c) holds a reference until unmount */
	void *private;		     /* (fs) */
	errseq_t wb_err;	     /* (a) write-back errors of its files and metadata: syncfs */
};

/* Lock key: (c) constant after mount, (d) dcache_lock. */
struct mount {
	struct super_block *sb;	   /* (c) */
	struct dentry *root;	   /* (c) sb->root */
	struct dentry *mountpoint; /* (c) NULL for the root mount; holds a reference */
	struct list_head node;	   /* (d) on the mount list */
	char source[32];	   /* (c) as given to mount */
};

struct fs_type {
	const char *name;
	/* Builds a super block with its root dentry. */
	int (*mount)(const struct fs_type *type, const char *source, unsigned long flags,
		     const void *data, struct super_block **out);
	struct list_head node; /* (fs types lock) */
};

#define FMODE_READ     (1u << 0)
#define FMODE_WRITE    (1u << 1)
#define FMODE_PATH     (1u << 2) /* O_PATH: only fstat, fchdir and *at() bases */
#define FMODE_STREAM   (1u << 3) /* no position: pread/pwrite give -ESPIPE */
#define FMODE_NOCTTY   (1u << 4) /* opened with O_NOCTTY (a terminal's open looks) */
#define FMODE_NONOTIFY (1u << 5) /* no inotify events (an open that failed after all) */

/* An open file. Lock key: (c) constant after open, (p) pos_lock, (a) atomic. */
struct file {
	int32_t refcount;	     /* (a) descriptors and other holders */
	uint32_t flags;		     /* (p) O_* status flags (F_GETFL/F_SETFL) */
	uint32_t fmode;		     /* (c) FMODE_* */
	spinlock_t pos_lock;	     /* guards pos, flags and the error samples */
	int64_t pos;		     /* (p) */
	errseq_t wb_err_since;	     /* (p) inode->wb_err when fsync last looked */
	errseq_t sb_err_since;	     /* (p) sb->wb_err when syncfs last looked */
	struct dentry *dentry;	     /* (c) holds a reference */
	struct inode *inode;	     /* (c) dentry->inode */
	const struct file_ops *fops; /* (c) */
	void *private;		     /* (c) the driver's */
	struct list_head ep_items; /* epoll's ctl_lock: its epoll interest items (fs/eventpoll.c) */
};

/* Directory listing: readdir calls emit once per entry from ctx->pos on. */
struct dir_context {
	/* Takes one entry; false when the caller's buffer is full (entry not taken). */
	bool (*emit)(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
		     unsigned type);
	int64_t pos; /* the next entry's position: 0 ".", 1 "..", then the file system's */
};

struct kstat {
	uint64_t mnt_id;
	uint32_t dev;
	uint64_t ino;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid, gid;
	uint32_t rdev;
	int64_t size;
	int64_t blksize;
	int64_t blocks; /* 512-byte units */
	struct vfs_timespec atime, mtime, ctime, btime;
};

#define ATTR_MODE      (1u << 0)
#define ATTR_UID       (1u << 1)
#define ATTR_GID       (1u << 2)
#define ATTR_SIZE      (1u << 3)
#define ATTR_ATIME     (1u << 4)
#define ATTR_MTIME     (1u << 5)
#define ATTR_KILL_SUID (1u << 6)  /* clear S_ISUID (not on directories) */
#define ATTR_KILL_SGID (1u << 7)  /* clear S_ISGID (not on directories) */
#define ATTR_TOUCH     (1u << 8)  /* utimes to now: ownership or write permission */
#define ATTR_TIMES_SET (1u << 9)  /* explicit times: ownership or CAP_FOWNER */
#define ATTR_FORCE     (1u << 10) /* the kernel's own change: no permission check */

struct vfs_attr {
	unsigned valid; /* ATTR_* */
	uint32_t mode;	/* permission bits */
	uint32_t uid, gid;
	int64_t size;
	struct vfs_timespec atime, mtime;
};

/* Path lookup flags (vfs_lookup, vfs_statat). */
#define LOOKUP_FOLLOW	 (1u << 0) /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY (1u << 1) /* the result must be a directory */

/*
 * Permissions (fs/perm.c). MAY_* are access(2)'s X_OK, W_OK and R_OK.
 * Every check uses the calling thread's credentials (current_cred): its
 * file-system ids, supplementary groups and effective capabilities.
 */
#define MAY_EXEC  1
#define MAY_WRITE 2
#define MAY_READ  4

struct cred;

/*
 * The one permission check: -EROFS for writing a file, directory or
 * link of a read-only mount, then Linux's generic_permission (the owner's,
 * group's or others' bits; CAP_DAC_READ_SEARCH reads files and reads and
 * searches directories; CAP_DAC_OVERRIDE does the rest, but executes
 * only what has an x bit): 0 or -EACCES. No lock, no allocation.
 */
int inode_permission(const struct inode *inode, int mask);
/* The generic check of inode as if it were owned by uid and gid (the permission op's). */
int generic_permission_as(const struct inode *inode, int mask, uint32_t uid, uint32_t gid);
/* The caller's fsuid owns inode, or it has CAP_FOWNER. */
bool inode_owner_or_capable(const struct inode *inode);
/* Making a name in dir: write and search permission on it. */
int may_create_in(const struct inode *dir);
/* Removing (or renaming away) victim from dir: write and search, and the sticky bit (-EPERM). */
int may_delete_from(const struct inode *dir, const struct inode *victim);
/*
 * A new inode's owner (the fsuid) and group (the fsgid, or dir's group
 * when dir is set-group-ID); *mode gains S_ISGID for a directory made in
 * such a directory, and a file's S_ISGID goes when the caller is not in
 * that group and lacks CAP_FSETID. For file systems that make inodes;
 * dir NULL for inodes in no directory (pipes, sockets, memfds).
 */
void inode_new_owner(const struct inode *dir, unsigned *mode, uint32_t *uid, uint32_t *gid);
/* The same applied to inode->mode, uid and gid. */
void inode_init_owner(struct inode *inode, const struct inode *dir);
/*
 * Whether the caller may change inode's attributes as attr asks (chmod,
 * chown, utimes; ATTR_FORCE: always): 0, -EPERM or -EACCES. A chmod may
 * lose S_ISGID in attr->mode (a group the caller is not in).
 */
int setattr_check(const struct inode *inode, struct vfs_attr *attr);
/* chown's ATTR_KILL_SGID, when the set-group-ID bit must go (Linux's setattr_should_drop_sgid). */
unsigned should_drop_sgid(const struct inode *inode);
/* What a write or truncation by the caller clears (ATTR_KILL_* | ATTR_FORCE), 0: nothing. */
unsigned remove_privs_attr(const struct inode *inode);
/* Clears the set-ID bits of f's file before the caller writes to it (file_remove_privs). */
int file_remove_privs(struct file *f);
/* access(2)'s credentials without AT_EACCESS: the real ids, root's capabilities only for uid 0. */
void access_creds_init(struct cred *tmp);

/* Set-up: the root tmpfs, devfs mounted at /dev, procfs at /proc. Safe to call again. */
void vfs_init(void);
/*
 * Mounts source (a block device) as the new root (root= on the command
 * line) and mounts devtmpfs and procfs in it; the initial tmpfs tree is
 * left behind. Kernel threads only (it waits for the file system).
 */
int vfs_set_root(const char *source, const char *fstype);
/* The root of the name space, with a reference. */
struct dentry *vfs_root(void);
/*
 * Where "/" is for the caller, with a reference: its process's chroot, a
 * kernel thread's walk_root (a core dump's writer acts in the dying
 * process's), or vfs_root.
 */
struct dentry *vfs_current_root(void);

/* Opening. base is the directory relative paths start from (NULL: root). */
int vfs_openat(struct dentry *base, const char *path, int flags, unsigned mode, struct file **out);
/*
 * Opens path for exec (read-only, whatever the read bits say): a regular
 * file with execute permission on a mount without noexec, else -EACCES.
 */
int vfs_open_exec(struct dentry *base, const char *path, struct file **out);
/* Opens a dentry already looked up (exec, /proc/<pid>/fd links). */
int vfs_open_dentry(struct dentry *d, int flags, struct file **out);
/* The same without reporting IN_OPEN: the caller does (notify_dentry) once the open is done. */
int vfs_open_dentry_quiet(struct dentry *d, int flags, struct file **out);
int vfs_lookup(struct dentry *base, const char *path, unsigned lookup_flags, struct dentry **out);

/* Name space changes. */
int vfs_mkdir(struct dentry *base, const char *path, unsigned mode);
int vfs_symlink(const char *target, struct dentry *base, const char *path);
int vfs_mknod(struct dentry *base, const char *path, unsigned mode, uint32_t rdev);
int vfs_unlink(struct dentry *base, const char *path);
int vfs_rmdir(struct dentry *base, const char *path);
/* Copies the target (not NUL-terminated, truncated to size); returns its length. */
ssize_t vfs_readlink(struct dentry *base, const char *path, char *buf, size_t size);
int vfs_statat(struct dentry *base, const char *path, unsigned lookup_flags, struct kstat *st);
int vfs_setattrat(struct dentry *base, const char *path, unsigned lookup_flags,
		  const struct vfs_attr *attr);
/*
 * A new name for old's inode (link, linkat): -EEXIST, -EXDEV (another
 * mount), -EPERM (a directory), -ENOENT (an unlinked file), -EROFS.
 */
int vfs_link(struct dentry *old, struct dentry *base, const char *path);
/*
 * rename and renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE), with Linux's
 * errors: -EXDEV across mounts, -EINVAL moving a directory below itself,
 * -ENOTEMPTY, -EISDIR, -ENOTDIR, -EBUSY for mount points and "." or "..".
 */
int vfs_rename(struct dentry *old_base, const char *old_path, struct dentry *new_base,
	       const char *new_path, unsigned flags);

/* Operations on a dentry already looked up (the *at() calls, AT_EMPTY_PATH). */
void vfs_getattr(struct dentry *d, struct kstat *st);
/* chmod, chown, utimes: -EROFS on a read-only mount, -EOPNOTSUPP chmod of a symlink. */
int vfs_setattr(struct dentry *d, const struct vfs_attr *attr);
/* A size change (attr has ATTR_SIZE) already checked: the file system's setattr, then IN_MODIFY. */
int vfs_setattr_size(struct dentry *d, const struct vfs_attr *attr);
/* truncate(2): -EISDIR, -EINVAL (not a regular file or size < 0), -EROFS, -EFBIG. */
int vfs_truncate(struct dentry *d, int64_t size);
/*
 * access(2) of d with the caller's credentials (MAY_* mask, 0 for F_OK):
 * -EROFS, -EACCES; X_OK of a regular file on a noexec mount is -EACCES.
 */
int vfs_access(struct dentry *d, int mask);
ssize_t vfs_readlink_dentry(struct dentry *d, char *buf, size_t size);
/* statfs(2) of the file system holding d. */
int vfs_statfs(struct dentry *d, struct statfs *st);
/* Whether d's file system is mounted read-only. */
bool vfs_rdonly(const struct dentry *d);
/* Whether d's file system is mounted noexec. */
bool vfs_noexec(const struct dentry *d);

/* Mounts. flags and data are passed to the file system. */
int register_filesystem(struct fs_type *type);
int vfs_mount(const char *source, struct dentry *base, const char *target, const char *fstype,
	      unsigned long flags, const void *data);
/* -EBUSY while anything in it is in use (open, a working directory, a mount). */
int vfs_umount(struct dentry *base, const char *target);
/* The same, lookup_flags saying whether a final symlink is followed. */
int vfs_umount_at(struct dentry *base, const char *target, unsigned lookup_flags);
/* MS_REMOUNT: new per-mount flags (and options) for the mount whose root is target. */
int vfs_remount(struct dentry *base, const char *target, unsigned long flags, const void *data);

/* One line of the mount table (/proc/mounts). */
struct mount_info {
	char source[32];
	const char *fstype;	   /* the type's name (types are never unregistered) */
	struct dentry *mountpoint; /* referenced; NULL for the root mount */
	unsigned long flags;	   /* MS_RDONLY, MS_NOSUID... as mounted */
};
/* The index-th mount in mount order: 0, or -ENOENT past the last one. */
int vfs_mount_info(size_t index, struct mount_info *out);

/* Open files. */
ssize_t vfs_read(struct file *f, const struct iobuf *buf);
ssize_t vfs_write(struct file *f, const struct iobuf *buf);
ssize_t vfs_pread(struct file *f, const struct iobuf *buf, int64_t off);
ssize_t vfs_pwrite(struct file *f, const struct iobuf *buf, int64_t off);
/* Reads up to n bytes at off into kernel memory, short only at end of file. */
ssize_t kernel_read(struct file *f, void *dst, size_t n, int64_t off);
/* Writes n bytes at off from kernel memory: n, or an error (bytes before it may be written). */
ssize_t kernel_write(struct file *f, const void *src, size_t n, int64_t off);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
int vfs_fstat(struct file *f, struct kstat *st);
int vfs_ioctl(struct file *f, unsigned cmd, uintptr_t arg);
/* f's poll method, DEFAULT_POLLMASK without one, POLLNVAL for O_PATH (fs/pipe.c). */
int vfs_poll(struct file *f, bool register_wait);
int vfs_readdir(struct file *f, struct dir_context *ctx);
int vfs_ftruncate(struct file *f, int64_t size);
/* A file may grow to size under the caller's RLIMIT_FSIZE: 0, or SIGXFSZ sent and -EFBIG. */
int vfs_fsize_check(int64_t size);
/* fsync(2): the file's method, then the write-back errors f has not reported yet. */
int vfs_fsync(struct file *f, bool datasync);
/* syncfs(2): the file system's sync_fs, then its errors f has not reported yet. */
int vfs_syncfs(struct file *f);
/* fallocate(2)'s checks, then the file's method. */
int vfs_fallocate(struct file *f, int mode, int64_t off, int64_t len);
/* F_SETFL: only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME change (-EPERM: O_NOATIME). */
int vfs_setfl(struct file *f, unsigned flags);
/* Clears, then sets, some of those flags at once (FIONBIO). */
void vfs_changefl(struct file *f, unsigned clear, unsigned set);
unsigned vfs_getfl(struct file *f);

struct file *file_get(struct file *f);
void file_put(struct file *f);
struct dentry *dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
/* "/a/b" of d into buf (getcwd); returns the length, or -ERANGE, -ENOENT if unlinked. */
int dentry_path(struct dentry *d, char *buf, size_t size);
/*
 * The same relative to root (a chroot): a path that does not meet root
 * comes out from the real root, prefixed with "(unreachable)", as Linux.
 */
int dentry_path_from(struct dentry *d, struct dentry *root, char *buf, size_t size);

void kstat_to_stat(const struct kstat *k, struct stat *out);
/* Every basic field, the birth time and the mount id, whatever the caller asked for. */
void kstat_to_statx(const struct kstat *k, struct statx *out);

/* Objects alive now (atomic counters), for leak checks and /proc. */
struct vfs_counts {
	int64_t inodes;
	int64_t dentries;
	int64_t files;
};
extern struct vfs_counts vfs_live;

/* For file systems (fs/vfs.c). */
struct vfs_timespec vfs_now(void);
struct inode *inode_alloc(struct super_block *sb, unsigned mode);
/*
 * A FIFO, device or socket inode of any file system: open goes to the
 * FIFO or device layer (Linux's init_special_inode). One place for all.
 */
void inode_init_special(struct inode *inode, unsigned mode, uint32_t rdev);
/* Write-back of inode's data or metadata failed: every fsync and syncfs that can see it will. */
void inode_record_wb_error(struct inode *inode, int err);
struct inode *inode_get(struct inode *inode);
void inode_put(struct inode *inode);
void inode_getattr(struct inode *inode, struct kstat *st);
/* The mode inode gets from attr: ATTR_MODE, and chown's clearing of set-id bits. */
uint32_t vfs_attr_mode(const struct inode *inode, const struct vfs_attr *attr);
/* Applies mode, owner and times of attr; caller holds inode->lock. */
void inode_setattr_locked(struct inode *inode, const struct vfs_attr *attr);
/* The setattr of an inode with no data (pipes, event files): as above, a size is -EINVAL. */
int inode_setattr_no_size(struct inode *inode, const struct vfs_attr *attr);
struct super_block *super_alloc(const struct fs_type *type, const struct super_ops *ops);
int64_t generic_lseek(struct file *f, int64_t off, int whence);
int64_t no_lseek(struct file *f, int64_t off, int whence);
/* Writes n zero bytes into b at off; 0 or -EFAULT. */
int iobuf_zero(const struct iobuf *b, size_t off, size_t n);

#endif /* FS_VFS_H */
