/*
 * File-system change notification (fs/inotify.c, docs/files.md
 * "inotify"): the hooks the VFS calls at the one place each operation
 * passes through (fs/namei.c, fs/rename.c, fs/file.c, fs/vfs.c,
 * fs/dcache.c), so that every file system reports the same events, and
 * the inotify files that receive them.
 *
 * Cost when nobody watches: an inode's watches hang off the inode
 * (inode->watches), and events about a child also go to its directory's
 * watches, looked up only while some directory is watched at all
 * (notify_dir_watches). The inline tests below are that: one pointer
 * test and one counter load.
 */
#ifndef FS_NOTIFY_H
#define FS_NOTIFY_H

#include <fs/vfs.h>
#include <lib/compiler.h>
#include <uapi/inotify.h>

/* (a) Watches on directories, all instances. */
extern int64_t notify_dir_watches;

static inline bool notify_inode_watched(struct inode *inode)
{
	return READ_ONCE(inode->watches.next) != &inode->watches;
}

/* Whether an event on d may reach a watch: d's inode's, or a directory's. */
static inline bool notify_wanted(struct dentry *d)
{
	return notify_inode_watched(d->inode) ||
	       (d->parent && __atomic_load_n(&notify_dir_watches, __ATOMIC_RELAXED));
}

/* Slow paths of the hooks below. */
void notify_dentry_event(struct dentry *d, uint32_t mask);
void notify_name_event(struct inode *dir, uint32_t mask, uint32_t cookie, const char *name,
		       size_t len);
void notify_inode_event(struct inode *inode, uint32_t mask);
void notify_inode_gone(struct inode *inode);

/*
 * An event (IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_OPEN, IN_CLOSE_*) on the
 * file d names: to its inode's watches, and to its directory's with its
 * name (after them, as Linux). IN_ISDIR is added for directories.
 */
static inline void notify_dentry(struct dentry *d, uint32_t mask)
{
	if (unlikely(notify_wanted(d)))
		notify_dentry_event(d, mask);
}

/* An event on inode alone (IN_ATTRIB of a link count, IN_MOVE_SELF). */
static inline void notify_inode(struct inode *inode, uint32_t mask)
{
	if (unlikely(notify_inode_watched(inode)))
		notify_inode_event(inode, mask);
}

/* An event about name in directory dir (IN_CREATE, IN_DELETE, IN_MOVED_*). */
static inline void notify_name(struct inode *dir, uint32_t mask, uint32_t cookie, const char *name,
			       size_t len)
{
	if (unlikely(notify_inode_watched(dir)))
		notify_name_event(dir, mask, cookie, name, len);
}

/*
 * The last dentry of an inode without links goes (fs/dcache.c): its
 * watches get IN_DELETE_SELF and IN_IGNORED and are dropped.
 */
static inline void notify_dentry_gone(struct dentry *d)
{
	if (unlikely(d->inode && notify_inode_watched(d->inode)) && READ_ONCE(d->inode->nlink) == 0)
		notify_inode_gone(d->inode);
}

/* The IN_* mask of a setattr (chmod, chown, utimes, truncate), as Linux's fsnotify_change. */
uint32_t notify_attr_mask(const struct vfs_attr *attr);
/* A new cookie tying an IN_MOVED_FROM to its IN_MOVED_TO. */
uint32_t notify_cookie(void);
/* sb is being unmounted: its watches get IN_UNMOUNT and IN_IGNORED and are dropped. */
void notify_unmount(struct super_block *sb);

/* inotify(7), sys/notify.c. */
int inotify_create(int flags, struct file **out);
/* A watch on inode (referenced by the caller) for mask: its wd, -EEXIST, -ENOSPC... */
int inotify_add(struct file *f, struct inode *inode, uint32_t mask);
int inotify_rm(struct file *f, int wd);
bool is_inotify(struct file *f);

/* memfd_create(2) (fs/memfd.c): a tmpfs file in no directory. */
int memfd_create(const char *name, unsigned flags, struct file **out);
/* F_ADD_SEALS / F_GET_SEALS: -EINVAL for files that take no seals. */
int memfd_add_seals(struct file *f, unsigned seals);
int memfd_get_seals(struct file *f);

#endif /* FS_NOTIFY_H */
