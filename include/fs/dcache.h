/*
 * The dentry cache (fs/dcache.c): the tree of names kept in memory. Used
 * by the path walk (fs/namei.c), rename (fs/rename.c), mounts (fs/vfs.c)
 * and file systems whose directories live in the tree (tmpfs, devfs).
 * One lock, dcache_lock, guards the tree's links; inodes of dentries
 * never change, names and parents only by rename (struct dentry's key).
 *
 * Lock order (its part of the one in include/kernel/spinlock.h):
 * rename_lock, then directory inode locks (an ancestor before
 * its descendants), then the victims' inode locks, then dcache_lock, then
 * the allocators.
 */
#ifndef FS_DCACHE_H
#define FS_DCACHE_H

#include <fs/vfs.h>

extern spinlock_t dcache_lock;
/* Serializes renames, so that the tree's shape holds still while one checks ancestry. */
extern spinlock_t rename_lock;

/* A new unlinked dentry named name under parent (referenced); NULL if out of memory. */
struct dentry *d_alloc(struct dentry *parent, const struct qstr *name);
/* The root dentry of a new super block; takes over the caller's inode reference. */
struct dentry *d_alloc_root(struct inode *inode);
/*
 * A dentry of no tree for inode (taking over the reference), named name:
 * what /proc/PID/fd shows for anonymous files ("anon_inode:[eventfd]").
 */
struct dentry *d_alloc_anon(struct inode *inode, const char *name);
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

/* Whether a name of len bytes fits in d's own room (else rename passes a spare block). */
bool d_name_fits(const struct dentry *d, size_t len);

/*
 * What a move needs and leaves: spare name blocks (kmalloc'd by the caller
 * for names that do not fit), and on return the name blocks the dentries
 * no longer use (to kfree) and, for d_move, the former parent, whose
 * reference the caller puts. All of it is handled after the locks drop.
 */
struct d_move_state {
	char *spare[2];
	char *freed[2];
	struct dentry *old_parent;
};

/*
 * Moves the linked dentry d under parent as name (which the caller has
 * checked is free). Caller holds rename_lock and both parents' inode locks.
 */
void d_move(struct dentry *d, struct dentry *parent, const struct qstr *name,
	    struct d_move_state *st);
/* Swaps two linked dentries: a becomes a_name in b's parent and b b_name in a's. */
void d_exchange(struct dentry *a, const struct qstr *a_name, struct dentry *b,
		const struct qstr *b_name, struct d_move_state *st);
/* Whether anc is d or above it in its file system. Caller holds rename_lock. */
bool d_is_ancestor(struct dentry *anc, struct dentry *d);

/* readdir over the linked children, for file systems that keep all names in the tree. */
int dcache_readdir(struct file *f, struct dir_context *ctx);

#endif /* FS_DCACHE_H */
