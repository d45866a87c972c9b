/*
 * The dentry cache (include/fs/dcache.h): allocation, reference counting,
 * linking names into the tree and finding them again, moving them
 * (rename), crossing mounts, and the listing of directories whose names
 * all live in the tree. The path walk (fs/namei.c), rename (fs/rename.c),
 * mounts (fs/vfs.c) and tmpfs call it.
 *
 * A dentry reaches a zero count only once it is unlinked, so dentry_put
 * never needs dcache_lock: it frees the dentry, drops its inode and goes
 * on with the parent, in a loop rather than by recursion. The last
 * dentry of an inode without links reports IN_DELETE_SELF to its watches.
 *
 * A name is kept in the dentry itself (at least DNAME_INLINE bytes, so
 * most renames fit) or, after a rename to a longer name, in a block of
 * its own. Names change under dcache_lock, so code that does not hold
 * the parent directory's inode lock copies a name under dcache_lock
 * before using it (readdir does).
 */
#include <fs/dcache.h>
#include <fs/notify.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

#define DNAME_INLINE 32 /* bytes of name room every dentry has */

spinlock_t dcache_lock = SPINLOCK_INIT("dcache");
spinlock_t rename_lock = SPINLOCK_INIT("rename");

static struct dentry *d_new(const char *name, size_t len)
{
	size_t room = MAX(len + 1, (size_t)DNAME_INLINE);
	struct dentry *d = kzalloc(sizeof(*d) + room);

	if (!d)
		return NULL;
	d->refcount = 1;
	list_init(&d->children);
	list_init(&d->sibling);
	d->iname_size = (uint32_t)room;
	d->name = d->iname;
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	d->name_len = (uint32_t)len;
	d->hash = name_hash(name, len);
	__atomic_fetch_add(&vfs_live.dentries, 1, __ATOMIC_RELAXED);
	return d;
}

struct dentry *d_alloc(struct dentry *parent, const struct qstr *name)
{
	struct dentry *d = d_new(name->name, name->len);

	if (d)
		d->parent = dentry_get(parent);
	return d;
}

struct dentry *d_alloc_root(struct inode *inode)
{
	struct dentry *d = d_new("/", 1);

	if (d)
		d->inode = inode;
	return d;
}

struct dentry *d_alloc_anon(struct inode *inode, const char *name)
{
	struct dentry *d = d_new(name, strlen(name));

	if (d)
		d->inode = inode;
	return d;
}

void d_instantiate(struct dentry *d, struct inode *inode)
{
	ASSERT(!d->inode && !(d->flags & DENTRY_LINKED));
	d->inode = inode;
}

struct dentry *dentry_get(struct dentry *d)
{
	if (__atomic_fetch_add(&d->refcount, 1, __ATOMIC_RELAXED) <= 0)
		panic("dentry_get: dentry '%s' is free", d->name);
	return d;
}

void dentry_put(struct dentry *d)
{
	while (d) {
		int32_t old = __atomic_fetch_sub(&d->refcount, 1, __ATOMIC_ACQ_REL);
		struct dentry *parent;

		if (old <= 0)
			panic("dentry_put: dentry '%s' is already free", d->name);
		if (old > 1)
			return;
		ASSERT(!(d->flags & DENTRY_LINKED) && !d->mounted);
		notify_dentry_gone(d);
		parent = d->parent;
		if (d->inode)
			inode_put(d->inode);
		if (d->name != d->iname)
			kfree(d->name);
		kfree(d);
		__atomic_fetch_sub(&vfs_live.dentries, 1, __ATOMIC_RELAXED);
		d = parent;
	}
}

void d_link(struct dentry *d)
{
	unsigned long flags;

	ASSERT(d->inode && d->parent);
	dentry_get(d); /* the tree's reference */
	flags = spin_lock_irqsave(&dcache_lock);
	d->seq = d->parent->next_seq++;
	list_add_tail(&d->sibling, &d->parent->children);
	d->flags |= DENTRY_LINKED;
	spin_unlock_irqrestore(&dcache_lock, flags);
}

void d_unlink(struct dentry *d)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);

	ASSERT(d->flags & DENTRY_LINKED);
	list_del(&d->sibling);
	d->flags &= ~DENTRY_LINKED;
	spin_unlock_irqrestore(&dcache_lock, flags);
	/* The caller's reference keeps it alive. */
	if (__atomic_fetch_sub(&d->refcount, 1, __ATOMIC_ACQ_REL) <= 1)
		panic("d_unlink: '%s' unlinked without a reference", d->name);
}

static bool d_name_is(const struct dentry *d, const struct qstr *name, uint32_t hash)
{
	return d->hash == hash && d->name_len == name->len &&
	       memcmp(d->name, name->name, name->len) == 0;
}

struct dentry *d_lookup(struct dentry *parent, const struct qstr *name)
{
	uint32_t hash = name_hash(name->name, name->len);
	struct dentry *c, *found = NULL;
	unsigned long flags = spin_lock_irqsave(&dcache_lock);

	list_for_each_entry (c, &parent->children, sibling) {
		if (d_name_is(c, name, hash)) {
			found = dentry_get(c);
			break;
		}
	}
	spin_unlock_irqrestore(&dcache_lock, flags);
	return found;
}

struct dentry *d_cross_mounts(struct dentry *d)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);

	/* A mountpoint is held by its mount: the put never frees it here. */
	while (d->mounted) {
		struct dentry *root = dentry_get(d->mounted->root);

		dentry_put(d);
		d = root;
	}
	spin_unlock_irqrestore(&dcache_lock, flags);
	return d;
}

struct dentry *d_parent_of(struct dentry *d, struct dentry *root)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);

	while (d != root && !d->parent && d->mount && d->mount->mountpoint)
		d = d->mount->mountpoint;
	if (d != root && d->parent)
		d = d->parent;
	dentry_get(d);
	spin_unlock_irqrestore(&dcache_lock, flags);
	return d;
}

bool d_has_children(struct dentry *dir)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	bool r = !list_empty(&dir->children);

	spin_unlock_irqrestore(&dcache_lock, flags);
	return r;
}

/*
 * The first linked child of dir at or after position seq (referenced), or
 * NULL. Children sit in the list in the order of their positions. Caller
 * holds dcache_lock.
 */
static struct dentry *d_child_from_locked(struct dentry *dir, uint64_t seq)
{
	struct dentry *c;

	assert_held(&dcache_lock);
	list_for_each_entry (c, &dir->children, sibling) {
		if (c->seq >= seq)
			return dentry_get(c);
	}
	return NULL;
}

static struct dentry *d_child_from(struct dentry *dir, uint64_t seq)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	struct dentry *c = d_child_from_locked(dir, seq);

	spin_unlock_irqrestore(&dcache_lock, flags);
	return c;
}

/*
 * The child after prev, whose reference is consumed; seq is the next
 * position, used when prev was unlinked or moved away meanwhile.
 */
static struct dentry *d_next_child(struct dentry *dir, struct dentry *prev, uint64_t seq)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	struct dentry *next = NULL;

	if (!(prev->flags & DENTRY_LINKED) || prev->parent != dir)
		next = d_child_from_locked(dir, seq);
	else if (prev->sibling.next != &dir->children)
		next = dentry_get(list_entry(prev->sibling.next, struct dentry, sibling));
	spin_unlock_irqrestore(&dcache_lock, flags);
	dentry_put(prev);
	return next;
}

/* Emits "." and ".." at positions 0 and 1; false when the buffer filled. */
static bool emit_dots(struct dentry *dir, struct dir_context *ctx)
{
	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, dir->inode->ino, DT_DIR))
			return false;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		struct dentry *root = vfs_root();
		struct dentry *up = d_parent_of(dir, root);
		bool taken = ctx->emit(ctx, "..", 2, up->inode->ino, DT_DIR);

		dentry_put(up);
		dentry_put(root);
		if (!taken)
			return false;
		ctx->pos = 2;
	}
	return true;
}

/* Copies d's name into buf (NAME_MAX + 1 bytes) and its position; returns the name's length. */
static size_t d_snapshot(struct dentry *d, char *buf, uint64_t *seq)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	size_t len = d->name_len;

	memcpy(buf, d->name, len + 1);
	*seq = d->seq;
	spin_unlock_irqrestore(&dcache_lock, flags);
	return len;
}

/*
 * Positions: 0 ".", 1 "..", then 2 + each child's seq, which is given
 * when it is linked and never reused, so that removing entries while a
 * listing goes on (rm -r) neither skips nor repeats the others.
 */
int dcache_readdir(struct file *f, struct dir_context *ctx)
{
	struct dentry *dir = f->dentry, *c;
	char name[NAME_MAX + 1];
	uint64_t seq;

	if (!emit_dots(dir, ctx))
		return 0;
	c = d_child_from(dir, (uint64_t)ctx->pos - 2);
	while (c) {
		struct inode *inode = c->inode;
		size_t len = d_snapshot(c, name, &seq);

		ctx->pos = 2 + (int64_t)seq;
		if (!ctx->emit(ctx, name, len, inode->ino, IFTODT(inode->mode))) {
			dentry_put(c);
			break;
		}
		ctx->pos++;
		c = d_next_child(dir, c, seq + 1);
	}
	return 0;
}

static int prepend(char *buf, size_t *pos, const char *s, size_t len)
{
	if (*pos < len)
		return -ERANGE;
	*pos -= len;
	memcpy(buf + *pos, s, len);
	return 0;
}

/*
 * Prepends "/name" of each dentry up to root; returns 1 when the real
 * root was reached without meeting root. Caller holds dcache_lock.
 */
static int build_path_locked(struct dentry *d, struct dentry *root, char *buf, size_t *pos)
{
	assert_held(&dcache_lock);
	if (d != root && d->parent && !(d->flags & DENTRY_LINKED))
		return -ENOENT;
	while (d != root) {
		if (!d->parent) {
			if (!d->mount || !d->mount->mountpoint)
				return 1;
			d = d->mount->mountpoint;
			continue;
		}
		if (prepend(buf, pos, d->name, d->name_len) || prepend(buf, pos, "/", 1))
			return -ERANGE;
		d = d->parent;
	}
	return 0;
}

int dentry_path_from(struct dentry *d, struct dentry *root, char *buf, size_t size)
{
	unsigned long flags;
	size_t pos = size;
	int r;

	if (size < 2)
		return -ERANGE;
	buf[--pos] = '\0';
	flags = spin_lock_irqsave(&dcache_lock);
	r = build_path_locked(d, root, buf, &pos);
	spin_unlock_irqrestore(&dcache_lock, flags);
	if (r < 0)
		return r;
	if (pos == size - 1 && prepend(buf, &pos, "/", 1))
		return -ERANGE;
	if (r == 1 && prepend(buf, &pos, "(unreachable)", 13))
		return -ERANGE;
	memmove(buf, buf + pos, size - pos);
	return (int)(size - pos - 1);
}

int dentry_path(struct dentry *d, char *buf, size_t size)
{
	struct dentry *root = vfs_root();
	int r = dentry_path_from(d, root, buf, size);

	dentry_put(root);
	return r;
}

bool d_name_fits(const struct dentry *d, size_t len)
{
	return len < d->iname_size;
}

/*
 * Gives d a new name, in its own room or in spare (kmalloc'd by the
 * caller when d_name_fits said no); returns the block d no longer uses,
 * or NULL. Caller holds dcache_lock.
 */
static char *d_set_name_locked(struct dentry *d, const struct qstr *name, char *spare)
{
	char *old = d->name != d->iname ? d->name : NULL;

	assert_held(&dcache_lock);
	d->name = d_name_fits(d, name->len) ? d->iname : spare;
	memcpy(d->name, name->name, name->len);
	d->name[name->len] = '\0';
	d->name_len = (uint32_t)name->len;
	d->hash = name_hash(name->name, name->len);
	return old;
}

/* Puts d at the end of parent's children, with a new position. Caller holds dcache_lock. */
static void d_reparent_locked(struct dentry *d, struct dentry *parent)
{
	assert_held(&dcache_lock);
	list_del(&d->sibling);
	d->parent = parent;
	d->seq = parent->next_seq++;
	list_add_tail(&d->sibling, &parent->children);
}

void d_move(struct dentry *d, struct dentry *parent, const struct qstr *name,
	    struct d_move_state *st)
{
	unsigned long flags;

	ASSERT(d->flags & DENTRY_LINKED);
	st->old_parent = d->parent;
	dentry_get(parent);
	flags = spin_lock_irqsave(&dcache_lock);
	d_reparent_locked(d, parent);
	st->freed[0] = d_set_name_locked(d, name, st->spare[0]);
	spin_unlock_irqrestore(&dcache_lock, flags);
}

void d_exchange(struct dentry *a, const struct qstr *a_name, struct dentry *b,
		const struct qstr *b_name, struct d_move_state *st)
{
	struct dentry *pa = a->parent, *pb = b->parent;
	unsigned long flags = spin_lock_irqsave(&dcache_lock);

	ASSERT((a->flags & DENTRY_LINKED) && (b->flags & DENTRY_LINKED));
	/* Each parent keeps one child: the references balance. */
	d_reparent_locked(a, pb);
	d_reparent_locked(b, pa);
	st->freed[0] = d_set_name_locked(a, a_name, st->spare[0]);
	st->freed[1] = d_set_name_locked(b, b_name, st->spare[1]);
	spin_unlock_irqrestore(&dcache_lock, flags);
	st->old_parent = NULL;
}

bool d_is_ancestor(struct dentry *anc, struct dentry *d)
{
	assert_held(&rename_lock);
	for (; d; d = d->parent) {
		if (d == anc)
			return true;
	}
	return false;
}
