/*
 * The dentry cache (include/fs/dcache.h): allocation, reference counting,
 * linking names into the tree and finding them again, crossing mounts,
 * and the listing of directories whose names all live in the tree. The
 * path walk (fs/namei.c), mounts (fs/vfs.c) and tmpfs call it.
 *
 * A dentry reaches a zero count only once it is unlinked, so dentry_put
 * never needs dcache_lock: it frees the dentry, drops its inode and goes
 * on with the parent, in a loop rather than by recursion.
 */
#include <fs/dcache.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

spinlock_t dcache_lock = SPINLOCK_INIT("dcache");

static struct dentry *d_new(const char *name, size_t len)
{
	struct dentry *d = kzalloc(sizeof(*d) + len + 1);

	if (!d)
		return NULL;
	d->refcount = 1;
	list_init(&d->children);
	list_init(&d->sibling);
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
		parent = d->parent;
		if (d->inode)
			inode_put(d->inode);
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

/* The index-th linked child of dir (referenced), or NULL. Caller holds dcache_lock. */
static struct dentry *d_child_at_locked(struct dentry *dir, int64_t index)
{
	struct dentry *c;

	list_for_each_entry (c, &dir->children, sibling) {
		if (index-- == 0)
			return dentry_get(c);
	}
	return NULL;
}

static struct dentry *d_child_at(struct dentry *dir, int64_t index)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	struct dentry *c = d_child_at_locked(dir, index);

	spin_unlock_irqrestore(&dcache_lock, flags);
	return c;
}

/*
 * The child after prev, whose reference is consumed; index is the next
 * child's position, used when prev was unlinked in the meantime.
 */
static struct dentry *d_next_child(struct dentry *dir, struct dentry *prev, int64_t index)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	struct dentry *next = NULL;

	if (!(prev->flags & DENTRY_LINKED))
		next = d_child_at_locked(dir, index);
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

int dcache_readdir(struct file *f, struct dir_context *ctx)
{
	struct dentry *dir = f->dentry, *c;

	if (!emit_dots(dir, ctx))
		return 0;
	c = d_child_at(dir, ctx->pos - 2);
	while (c) {
		struct inode *inode = c->inode;

		if (!ctx->emit(ctx, c->name, c->name_len, inode->ino, IFTODT(inode->mode))) {
			dentry_put(c);
			break;
		}
		ctx->pos++;
		c = d_next_child(dir, c, ctx->pos - 2);
	}
	return 0;
}

/* Prepends "/name" of each dentry up to root. Caller holds dcache_lock. */
static int build_path_locked(struct dentry *d, struct dentry *root, char *buf, size_t *pos)
{
	if (d != root && d->parent && !(d->flags & DENTRY_LINKED))
		return -ENOENT;
	while (d != root) {
		if (!d->parent) {
			if (!d->mount || !d->mount->mountpoint)
				break;
			d = d->mount->mountpoint;
			continue;
		}
		if (*pos < d->name_len + 1)
			return -ERANGE;
		*pos -= d->name_len;
		memcpy(buf + *pos, d->name, d->name_len);
		buf[--*pos] = '/';
		d = d->parent;
	}
	return 0;
}

int dentry_path(struct dentry *d, char *buf, size_t size)
{
	struct dentry *root;
	unsigned long flags;
	size_t pos = size;
	int r;

	if (size < 2)
		return -ERANGE;
	buf[--pos] = '\0';
	root = vfs_root();
	flags = spin_lock_irqsave(&dcache_lock);
	r = build_path_locked(d, root, buf, &pos);
	spin_unlock_irqrestore(&dcache_lock, flags);
	dentry_put(root);
	if (r)
		return r;
	if (pos == size - 1)
		buf[--pos] = '/';
	memmove(buf, buf + pos, size - pos);
	return (int)(size - pos - 1);
}
