/*
 * Files of no file system (include/fs/event.h): eventfd, timerfd,
 * signalfd and epoll files. Each gets an inode of the internal "anon_inodefs"
 * super block (never mounted; as pipefs, fs/pipe.c) and a root dentry
 * named "anon_inode:[kind]", which /proc/PID/fd shows as Linux does. The
 * file's object is f->private; the file's release method frees it.
 *
 * Also the pools of wait sources of these files: a source is never given
 * back to kmalloc, because a thread that waited on it (poll, a blocked
 * read) may still be unlinking its registration on another CPU when the
 * file goes (kernel/wait.c's unlink locks the source it last saw).
 *
 * Lock order: a pool's lock is innermost (nothing is taken under it);
 * source-cache is taken once, around the cache's set-up.
 */
#include <fs/event.h>
#include <fs/dcache.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>

static const struct super_ops anon_super_ops = { 0 };

/* chmod, chown and utimes change the inode as on Linux; a size does not apply. */
static const struct inode_ops anon_inode_ops = { .setattr = inode_setattr_no_size };
static struct fs_type anon_type = { .name = "anon_inodefs" };
static struct super_block *anon_sb_ptr; /* (a) made at first use */

static struct super_block *anon_sb(void)
{
	struct super_block *sb = __atomic_load_n(&anon_sb_ptr, __ATOMIC_ACQUIRE), *expected = NULL;

	if (sb)
		return sb;
	sb = super_alloc(&anon_type, &anon_super_ops);
	if (!sb)
		return NULL;
	if (!__atomic_compare_exchange_n(&anon_sb_ptr, &expected, sb, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		kfree(sb);
		sb = expected;
	}
	return sb;
}

int anon_file_create(const char *name, const struct file_ops *fops, void *priv, int flags,
		     struct file **out)
{
	struct super_block *sb = anon_sb();
	struct inode *inode;
	struct dentry *d;
	int r;

	/* No file type bits, as Linux's anonymous inodes (fstat shows 0600). */
	if (!sb || !(inode = inode_alloc(sb, 0600)))
		return -ENOMEM;
	inode->iops = &anon_inode_ops;
	inode->fops = fops;
	d = d_alloc_anon(inode, name);
	if (!d) {
		inode_put(inode);
		return -ENOMEM;
	}
	r = vfs_open_dentry(d, flags & (O_ACCMODE | O_NONBLOCK), out);
	dentry_put(d); /* the file holds it */
	if (!r) {
		(*out)->private = priv;
		(*out)->fmode |= FMODE_STREAM;
	}
	return r;
}

struct pooled_source {
	struct wait_source src;
	struct list_head node; /* (pool lock) on the pool's free list */
};

/*
 * Pooled sources have a slab cache of their own: mixed with short-lived
 * objects in a kmalloc cache, each one that is never freed would keep a
 * slab page in use that the others leave, and how many depends on the
 * order of allocations (so on timing, with several CPUs).
 */
static struct kmem_cache source_cache;
static spinlock_t source_cache_lock = SPINLOCK_INIT("source-cache");
static bool source_cache_ready; /* (a) */

static struct kmem_cache *sources_cache(void)
{
	unsigned long flags;

	if (__atomic_load_n(&source_cache_ready, __ATOMIC_ACQUIRE))
		return &source_cache;
	flags = spin_lock_irqsave(&source_cache_lock);
	if (!source_cache_ready) {
		kmem_cache_init(&source_cache, "event-source", sizeof(struct pooled_source), 8);
		__atomic_store_n(&source_cache_ready, true, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&source_cache_lock, flags);
	return &source_cache;
}

struct wait_source *source_alloc(struct source_pool *pool)
{
	unsigned long flags = spin_lock_irqsave(&pool->lock);
	struct pooled_source *ps = NULL;

	if (!list_empty(&pool->free)) {
		ps = list_first_entry(&pool->free, struct pooled_source, node);
		list_del(&ps->node);
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	if (ps)
		return &ps->src;
	ps = kmem_cache_alloc(sources_cache());
	if (!ps)
		return NULL;
	/* Once only: a pooled source's lock may still be taken by a late unlinker. */
	wait_source_init(&ps->src, pool->name);
	return &ps->src;
}

void source_free(struct source_pool *pool, struct wait_source *src)
{
	struct pooled_source *ps = container_of(src, struct pooled_source, src);
	unsigned long flags;

	wait_wake_all(src);
	flags = spin_lock_irqsave(&pool->lock);
	list_add(&ps->node, &pool->free);
	spin_unlock_irqrestore(&pool->lock, flags);
}
