/*
 * The operations that involve two names (include/fs/vfs.h): link, which
 * gives a file one more name, and rename (rename, renameat, renameat2
 * with RENAME_NOREPLACE and RENAME_EXCHANGE). The system calls in
 * sys/fs.c call them; the walks use fs/namei.c's helpers
 * (include/fs/namei.h), the moves fs/dcache.c's.
 *
 * A rename looks both names up without locks, then takes, in this order
 * (its part of the one in include/kernel/spinlock.h):
 * rename_lock (one rename at a time, so the tree's shape holds still
 * while ancestry is checked), the directories' inode locks (an ancestor
 * before its descendant; unrelated directories cannot be locked in the
 * other order by anyone else, since only a rename holds two of them),
 * then the inode locks of the source and of the target. Under the locks
 * it checks that both names are still what the lookups found; if not
 * (a race with another change), it starts again. The permission checks
 * (fs/perm.c) come after the ancestry checks, as in Linux's vfs_rename. The file system's
 * ->rename does its accounting, then the dentries move.
 */
#include <fs/vfs.h>
#include <fs/dcache.h>
#include <fs/namei.h>
#include <fs/notify.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <kernel/panic.h>

#define RENAME_RETRY 1 /* a name changed under us: look both up again */

static int make_link(struct inode *dir, struct dentry *d, const struct make_args *a)
{
	struct inode *inode = a->old->inode;

	if (inode->sb != dir->sb)
		return -EXDEV;
	if (S_ISDIR(inode->mode))
		return -EPERM;
	return dir->iops->link ? dir->iops->link(a->old, dir, d) : -EPERM;
}

int vfs_link(struct dentry *old, struct dentry *base, const char *path)
{
	struct make_args a = { .mode = old->inode->mode, .old = old };

	return do_create(base, path, make_link, &a);
}

/* One rename: its two walks, the dentries found and what moving them needs. */
struct rename_op {
	struct nameidata old, new;
	unsigned flags;
	struct dentry *src, *dst; /* dst: NULL while the new name is free */
	struct d_move_state st;
	bool moved;	     /* the dentries moved: the spares are theirs now */
	spinlock_t *held[5]; /* locks taken, in order */
	unsigned long irq[5];
	int nr_held;
};

/* The n-th lock taken is subclass n for the lock checker: the order above is the rule. */
static void op_lock(struct rename_op *op, spinlock_t *lock)
{
	op->irq[op->nr_held] = spin_lock_irqsave_nested(lock, op->nr_held);
	op->held[op->nr_held++] = lock;
}

static void op_unlock_all(struct rename_op *op)
{
	while (op->nr_held > 0) {
		op->nr_held--;
		spin_unlock_irqrestore(op->held[op->nr_held], op->irq[op->nr_held]);
	}
}

/* Walks to one path's parent, which must be a directory. */
static int walk_to_parent(struct nameidata *nd, struct dentry *base, const char *path)
{
	int r = nd_init(nd, base, path);

	if (r)
		return r;
	r = walk_parent(nd);
	if (!r && !S_ISDIR(nd->cur->inode->mode))
		r = -ENOTDIR;
	return r;
}

/* Both parents, in Linux's order of errors: walks, -EXDEV, -EBUSY, -EROFS. */
static int walk_both(struct rename_op *op, struct dentry *old_base, const char *old_path,
		     struct dentry *new_base, const char *new_path)
{
	int r = walk_to_parent(&op->old, old_base, old_path);

	if (!r)
		r = walk_to_parent(&op->new, new_base, new_path);
	if (r)
		return r;
	if (op->old.cur->inode->sb != op->new.cur->inode->sb)
		return -EXDEV;
	if (!last_is_normal(&op->old))
		return -EBUSY;
	if (!last_is_normal(&op->new))
		return (op->flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	return vfs_rdonly(op->old.cur) ? -EROFS : 0;
}

/* Finds the source (which must exist) and the target (which may not). */
static int lookup_both(struct rename_op *op)
{
	int r = lookup_child(op->old.cur, &op->old.last, &op->src);

	if (r)
		return r;
	r = lookup_child(op->new.cur, &op->new.last, &op->dst);
	if (r == -ENOENT) {
		op->dst = NULL;
		r = 0;
	}
	return r;
}

/* What the names alone decide: existence rules of the flags, trailing slashes. */
static int check_names(const struct rename_op *op)
{
	bool exchange = op->flags & RENAME_EXCHANGE;

	if (op->dst && (op->flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (exchange && !op->dst)
		return -ENOENT;
	if (exchange && !S_ISDIR(op->dst->inode->mode) && op->new.last_slash)
		return -ENOTDIR;
	if (!S_ISDIR(op->src->inode->mode)) {
		if (op->old.last_slash || (!exchange && op->new.last_slash))
			return -ENOTDIR;
	}
	return 0;
}

/* Replacing: a directory only by a directory, and the other way round. */
static int check_types(const struct rename_op *op)
{
	bool src_dir = S_ISDIR(op->src->inode->mode);

	if (!op->dst || (op->flags & RENAME_EXCHANGE))
		return 0;
	if (src_dir && !S_ISDIR(op->dst->inode->mode))
		return -ENOTDIR;
	if (!src_dir && S_ISDIR(op->dst->inode->mode))
		return -EISDIR;
	return 0;
}

/* Name blocks for new names that do not fit in the dentries' own room. */
static int alloc_spares(struct rename_op *op)
{
	const struct qstr *src_name = &op->new.last, *dst_name = &op->old.last;

	if (!d_name_fits(op->src, src_name->len) && !(op->st.spare[0] = kmalloc(src_name->len + 1)))
		return -ENOMEM;
	if (!(op->flags & RENAME_EXCHANGE) || d_name_fits(op->dst, dst_name->len))
		return 0;
	op->st.spare[1] = kmalloc(dst_name->len + 1);
	return op->st.spare[1] ? 0 : -ENOMEM;
}

/* Under rename_lock: the dentries still hang where they were found, and ancestry. */
static int check_tree(const struct rename_op *op)
{
	struct dentry *old_dir = op->old.cur, *new_dir = op->new.cur;

	if (op->src->parent != old_dir || (op->dst && op->dst->parent != new_dir))
		return RENAME_RETRY;
	if (d_is_ancestor(op->src, new_dir))
		return -EINVAL; /* a directory into itself */
	if (op->dst && d_is_ancestor(op->dst, old_dir))
		return (op->flags & RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
	return 0;
}

static void lock_dirs(struct rename_op *op)
{
	struct dentry *old_dir = op->old.cur, *new_dir = op->new.cur;

	if (old_dir == new_dir) {
		op_lock(op, &old_dir->inode->lock);
	} else if (d_is_ancestor(new_dir, old_dir)) {
		op_lock(op, &new_dir->inode->lock);
		op_lock(op, &old_dir->inode->lock);
	} else {
		op_lock(op, &old_dir->inode->lock);
		op_lock(op, &new_dir->inode->lock);
	}
}

/* Under the directories' locks: both names are still linked as found. */
static int check_linked_locked(const struct rename_op *op)
{
	struct dentry *again;

	assert_held(&rename_lock);
	assert_held(&op->old.cur->inode->lock);
	assert_held(&op->new.cur->inode->lock);
	if (!(op->src->flags & DENTRY_LINKED))
		return RENAME_RETRY;
	if (op->dst)
		return (op->dst->flags & DENTRY_LINKED) ? 0 : RENAME_RETRY;
	if (op->new.cur->inode->nlink == 0)
		return -ENOENT; /* the new parent was removed */
	again = d_lookup(op->new.cur, &op->new.last);
	if (!again)
		return 0;
	dentry_put(again); /* linked: this put never frees */
	return RENAME_RETRY;
}

/* Calls the file system and moves the dentries. All locks are held. */
static int rename_locked(struct rename_op *op)
{
	struct inode *old_dir = op->old.cur->inode, *new_dir = op->new.cur->inode;
	int r;

	assert_held(&rename_lock);
	assert_held(&old_dir->lock);
	assert_held(&new_dir->lock);
	assert_held(&op->src->inode->lock);
	ASSERT(!op->dst || spin_held(&op->dst->inode->lock));
	if (op->src->mounted || (op->dst && op->dst->mounted))
		return -EBUSY;
	if (!old_dir->iops->rename)
		return -EPERM;
	r = old_dir->iops->rename(old_dir, op->src, new_dir, &op->new.last, op->dst, op->flags);
	if (r)
		return r;
	op->moved = true;
	if (op->flags & RENAME_EXCHANGE) {
		d_exchange(op->src, &op->new.last, op->dst, &op->old.last, &op->st);
		return 0;
	}
	if (op->dst)
		d_unlink(op->dst);
	d_move(op->src, op->new.cur, &op->new.last, &op->st);
	return 0;
}

/*
 * Linux's permission checks of vfs_rename: removing the source from its
 * directory (write, search, the sticky bit), making or replacing the new
 * name in its one, and write permission on a directory that moves to
 * another parent (its ".." changes).
 */
static int check_perms(const struct rename_op *op)
{
	struct inode *old_dir = op->old.cur->inode, *new_dir = op->new.cur->inode;
	struct inode *src = op->src->inode, *dst = op->dst ? op->dst->inode : NULL;
	int r = may_delete_from(old_dir, src);

	if (!r)
		r = dst ? may_delete_from(new_dir, dst) : may_create_in(new_dir);
	if (r || old_dir == new_dir)
		return r;
	if (S_ISDIR(src->mode))
		r = inode_permission(src, MAY_WRITE);
	if (!r && dst && (op->flags & RENAME_EXCHANGE) && S_ISDIR(dst->mode))
		r = inode_permission(dst, MAY_WRITE);
	return r;
}

/* Takes the locks in order, checks again what may have changed, renames. */
static int rename_under_locks(struct rename_op *op)
{
	int r;

	op_lock(op, &rename_lock);
	r = check_tree(op);
	if (r)
		return r;
	if (op->dst && op->dst->inode == op->src->inode)
		return 0; /* two names of one file: nothing to do, as Linux */
	r = check_perms(op);
	if (!r)
		r = check_types(op);
	if (r)
		return r;
	lock_dirs(op);
	r = check_linked_locked(op);
	if (r)
		return r;
	op_lock(op, &op->src->inode->lock);
	if (op->dst)
		op_lock(op, &op->dst->inode->lock);
	return rename_locked(op);
}

/* Frees what one attempt used; the spares only if the dentries did not take them. */
static void attempt_release(struct rename_op *op)
{
	struct d_move_state *st = &op->st;

	if (!op->moved) {
		kfree(st->spare[0]);
		kfree(st->spare[1]);
	}
	kfree(st->freed[0]);
	kfree(st->freed[1]);
	if (st->old_parent)
		dentry_put(st->old_parent);
	if (op->dst)
		dentry_put(op->dst);
	if (op->src)
		dentry_put(op->src);
	memset(st, 0, sizeof(*st));
	op->src = op->dst = NULL;
	op->moved = false;
}

/* One side of a move: IN_MOVED_FROM in from_dir, IN_MOVED_TO in to_dir, IN_MOVE_SELF. */
static void notify_move(struct inode *from_dir, const struct qstr *from, struct inode *to_dir,
			const struct qstr *to, struct inode *moved)
{
	uint32_t isdir = S_ISDIR(moved->mode) ? IN_ISDIR : 0;
	uint32_t cookie = notify_inode_watched(from_dir) || notify_inode_watched(to_dir)
				  ? notify_cookie()
				  : 0;

	notify_name(from_dir, IN_MOVED_FROM | isdir, cookie, from->name, from->len);
	notify_name(to_dir, IN_MOVED_TO | isdir, cookie, to->name, to->len);
	notify_inode(moved, IN_MOVE_SELF);
}

/*
 * A rename done is reported before the replaced target's dentry is put
 * (which reports its IN_DELETE_SELF): the moves, with a cookie joining
 * their two halves, and the target's IN_ATTRIB (its link count), as Linux.
 */
static void notify_rename(struct rename_op *op)
{
	struct inode *old_dir = op->old.cur->inode, *new_dir = op->new.cur->inode;

	if (op->flags & RENAME_EXCHANGE) {
		notify_move(old_dir, &op->old.last, new_dir, &op->new.last, op->src->inode);
		notify_move(new_dir, &op->new.last, old_dir, &op->old.last, op->dst->inode);
		return;
	}
	notify_move(old_dir, &op->old.last, new_dir, &op->new.last, op->src->inode);
	if (op->dst)
		notify_inode(op->dst->inode, IN_ATTRIB);
}

static int rename_attempt(struct rename_op *op)
{
	int r = lookup_both(op);

	if (!r)
		r = check_names(op);
	if (!r)
		r = alloc_spares(op);
	if (!r) {
		r = rename_under_locks(op);
		op_unlock_all(op);
	}
	if (!r && op->moved)
		notify_rename(op);
	attempt_release(op);
	return r;
}

int vfs_rename(struct dentry *old_base, const char *old_path, struct dentry *new_base,
	       const char *new_path, unsigned flags)
{
	struct rename_op op;
	int r;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL; /* RENAME_WHITEOUT: no overlay file systems here */
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	memset(&op, 0, sizeof(op));
	op.flags = flags;
	r = walk_both(&op, old_base, old_path, new_base, new_path);
	while (r == 0 && (r = rename_attempt(&op)) == RENAME_RETRY)
		;
	if (op.old.root)
		nd_release(&op.old);
	if (op.new.root)
		nd_release(&op.new);
	return r;
}
