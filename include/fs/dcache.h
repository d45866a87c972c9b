/*
 * The dentry cache (fs/dcache.c): the tree of names kept in memory. Used
 * by the path walk (fs/namei.c), mounts (fs/vfs.c) and file systems whose
 * directories live in the tree (tmpfs, devfs). One lock, dcache_lock,
 * guards the tree's links; names and inodes of dentries never change
 * once they are linked.
 *
 * Lock order: a directory inode's lock, then its victim's inode lock,
 * then dcache_lock, then the allocators.
 */
#ifndef FS_DCACHE_H
#define FS_DCACHE_H

#include <fs/vfs.h>

extern spinlock_t dcache_lock;

/* A new unlinked dentry named name under parent (referenced); NULL if out of memory. */
struct dentry *d_alloc(struct dentry *parent, const struct qstr *name);
/* The root dentry of a new super block; takes over the caller's inode reference. */
struct dentry *d_alloc_root(struct inode *inode);
/* Gives d its inode; takes over the caller's reference. Before d_link only. */
void d_instantiate(struct dentry *d, struct inode *inode);
/* Links d into its parent's children. Caller holds the parent inode's lock. */
void d_link(struct dentry *d);
/* Unlinks d from the tree. Caller holds the parent inode's lock and a reference. */
void d_unlink(struct dentry *d);

/* The linked child named name (referenced), or NULL. Mounts are not crossed. */
struct dentry *d_lookup(struct dentry *parent, const struct qstr *name);
/* Replaces d (its reference is consumed) by what is mounted on it, if anything. */
struct dentry *d_cross_mounts(struct dentry *d);
/* The parent of d in the name space, crossing mounts, stopping at root. */
struct dentry *d_parent_of(struct dentry *d, struct dentry *root);
/* Whether dir has linked children. */
bool d_has_children(struct dentry *dir);

/* readdir over the linked children, for file systems that keep all names in the tree. */
int dcache_readdir(struct file *f, struct dir_context *ctx);

#endif /* FS_DCACHE_H */
