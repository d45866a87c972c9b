/*
 * inotify (include/fs/notify.h, docs/files.md "inotify"): watches on
 * inodes and the event queues of inotify files.
 *
 * A watch joins an inotify instance to an inode: it is on the inode's list
 * (inode->watches, so that an inode nobody watches costs one pointer
 * test), on its instance's list, and on one list of all watches (for
 * unmount). It holds a reference on the inode, so the inode stays in core
 * while watched: an ext2 inode lives in the core, not in the ext2 service
 * (fs/ext2_vfs.c), so a restart of the service leaves watches alone. A
 * watch goes, with IN_IGNORED queued, when inotify_rm_watch removes it,
 * after its one event with IN_ONESHOT, when the inode's last name and
 * last use go (IN_DELETE_SELF first: fs/dcache.c calls notify_dentry_gone)
 * and when its file system is unmounted (IN_UNMOUNT first).
 *
 * The VFS reports events (the hooks of include/fs/notify.h); each goes to
 * the watches of the inode and, for a child's events, to those of its
 * directory with the child's name. An event is queued on the instance
 * unless it equals the last one queued (Linux's coalescing); past
 * INOTIFY_MAX_QUEUED_EVENTS one IN_Q_OVERFLOW event stands for all that
 * are lost. A read takes whole events (EINVAL when the first does not fit
 * the buffer); with none it waits stacklessly on the instance's wait
 * source, which poll and epoll use too.
 *
 * Lock order: dcache_lock is taken alone (to read a child's name and
 * parent); then notify_lock, then an instance's source lock (queue and
 * wake). Inode references of dropped watches are put after notify_lock is
 * released (a put may evict the inode).
 */
#include <fs/notify.h>
#include <fs/dcache.h>
#include <fs/event.h>
#include <kernel/panic.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/ioctl.h>
#include <uapi/poll.h>

#define EVENT_SIZE sizeof(struct inotify_event) /* names are padded to a multiple of it */

static spinlock_t notify_lock = SPINLOCK_INIT("inotify-watches");
static LIST_HEAD(all_watches); /* (n) struct inotify_watch.all_node */
static uint32_t nr_watches;    /* (n) all instances: INOTIFY_MAX_USER_WATCHES */
static int32_t nr_instances;   /* (a) INOTIFY_MAX_USER_INSTANCES */
static uint32_t last_cookie;   /* (a) */
int64_t notify_dir_watches;    /* (a) */

static struct source_pool pool = SOURCE_POOL_INIT(pool, "inotify");

/* One queued event; ev.len bytes of NUL-padded name follow. */
struct queued_event {
	struct list_head node;
	struct inotify_event ev;
	char name[];
};

/* Lock key: (c) constant, (s) src->lock, (n) notify_lock. */
struct inotify_inst {
	struct wait_source *src;  /* (c) from the pool */
	struct list_head events;  /* (s) struct queued_event, oldest first */
	uint32_t nr_events;	  /* (s) the overflow event counted */
	uint32_t bytes;		  /* (s) what a read of everything gives (FIONREAD) */
	struct list_head watches; /* (n) struct inotify_watch.inst_node */
	int next_wd;		  /* (n) the last wd given */
};

/* Lock key: (c) constant, (n) notify_lock. */
struct inotify_watch {
	struct list_head inode_node; /* (n) on inode->watches */
	struct list_head inst_node;  /* (n) on inst->watches; then a list of dropped ones */
	struct list_head all_node;   /* (n) on all_watches */
	struct inotify_inst *inst;   /* (c) */
	struct inode *inode;	     /* (c) referenced */
	int wd;			     /* (c) */
	uint32_t mask;		     /* (n) IN_* events, IN_ONESHOT, IN_EXCL_UNLINK */
};

uint32_t notify_cookie(void)
{
	uint32_t c;

	do
		c = __atomic_add_fetch(&last_cookie, 1, __ATOMIC_RELAXED);
	while (!c);
	return c;
}

uint32_t notify_attr_mask(const struct vfs_attr *attr)
{
	unsigned v = attr->valid;
	uint32_t mask = 0;

	if (v & (ATTR_MODE | ATTR_UID | ATTR_GID))
		mask |= IN_ATTRIB;
	if (v & ATTR_SIZE)
		mask |= IN_MODIFY;
	if ((v & (ATTR_ATIME | ATTR_MTIME)) == (ATTR_ATIME | ATTR_MTIME))
		mask |= IN_ATTRIB; /* utimes */
	else if (v & ATTR_ATIME)
		mask |= IN_ACCESS;
	else if ((v & ATTR_MTIME) && !(v & ATTR_SIZE))
		mask |= IN_MODIFY;
	return mask;
}

/* ---- the queue ---- */

static bool same_event(const struct queued_event *a, const struct queued_event *b)
{
	return a->ev.wd == b->ev.wd && a->ev.mask == b->ev.mask && a->ev.cookie == b->ev.cookie &&
	       a->ev.len == b->ev.len && !memcmp(a->name, b->name, a->ev.len);
}

/*
 * Adds e to in's queue (or frees it): dropped when it equals the last
 * event, replaced by one IN_Q_OVERFLOW event when the queue is full.
 */
static void queue_locked(struct inotify_inst *in, struct queued_event *e)
{
	struct queued_event *last = list_empty(&in->events) ? NULL
							    : list_entry(in->events.prev,
									 struct queued_event, node);

	assert_held(&in->src->lock);
	if (in->nr_events >= INOTIFY_MAX_QUEUED_EVENTS) {
		if (last && last->ev.mask == IN_Q_OVERFLOW) {
			kfree(e);
			return;
		}
		/* The lost event's block becomes the overflow event. */
		e->ev = (struct inotify_event){ .wd = -1, .mask = IN_Q_OVERFLOW };
	} else if (last && same_event(last, e)) {
		kfree(e);
		return;
	}
	list_add_tail(&e->node, &in->events);
	in->nr_events++;
	in->bytes += EVENT_SIZE + e->ev.len;
	wait_wake_all_locked(in->src, 0);
}

static void queue_event(struct inotify_inst *in, int wd, uint32_t mask, uint32_t cookie,
			const char *name, size_t len)
{
	size_t padded = len ? ALIGN_UP(len + 1, EVENT_SIZE) : 0;
	struct queued_event *e = kmalloc(sizeof(*e) + padded);
	unsigned long flags;

	if (!e)
		return; /* as Linux without its spare overflow event: the event is lost */
	e->ev = (struct inotify_event){
		.wd = wd, .mask = mask, .cookie = cookie, .len = (uint32_t)padded
	};
	memset(e->name, 0, padded);
	memcpy(e->name, name, len);
	flags = spin_lock_irqsave(&in->src->lock);
	queue_locked(in, e);
	spin_unlock_irqrestore(&in->src->lock, flags);
}

/* ---- watches ---- */

/* Unhooks w (IN_IGNORED queued) and moves it to dead, freed after the lock. */
static void watch_drop_locked(struct inotify_watch *w, struct list_head *dead)
{
	assert_held(&notify_lock);
	queue_event(w->inst, w->wd, IN_IGNORED, 0, NULL, 0);
	list_del(&w->inode_node);
	list_del(&w->all_node);
	list_del(&w->inst_node);
	list_add_tail(&w->inst_node, dead);
	nr_watches--;
	if (S_ISDIR(w->inode->mode))
		__atomic_fetch_sub(&notify_dir_watches, 1, __ATOMIC_RELAXED);
}

static void watches_free(struct list_head *dead)
{
	struct inotify_watch *w, *n;

	list_for_each_entry_safe (w, n, dead, inst_node) {
		inode_put(w->inode);
		kfree(w);
	}
}

/*
 * Queues an event on every watch of inode that wants it. name: the event
 * is about a child of inode (a directory) of that name; unlinked: that
 * child has no name any more (IN_EXCL_UNLINK watches skip it).
 */
static void deliver_locked(struct inode *inode, uint32_t mask, uint32_t cookie, const char *name,
			   size_t len, bool unlinked, struct list_head *dead)
{
	struct inotify_watch *w, *n;

	assert_held(&notify_lock);
	if (mask & (IN_MOVE_SELF | IN_DELETE_SELF))
		mask &= ~IN_ISDIR; /* inotify never reported it with these */
	list_for_each_entry_safe (w, n, &inode->watches, inode_node) {
		if (!(w->mask & mask & IN_ALL_EVENTS))
			continue;
		if (unlinked && (w->mask & IN_EXCL_UNLINK))
			continue;
		queue_event(w->inst, w->wd, mask, cookie, name, len);
		if (w->mask & IN_ONESHOT)
			watch_drop_locked(w, dead);
	}
}

void notify_dentry_event(struct dentry *d, uint32_t mask)
{
	struct inode *inode = d->inode, *dir = NULL;
	char name[NAME_MAX + 1];
	bool unlinked = false;
	unsigned long flags;
	size_t len = 0;
	LIST_HEAD(dead);

	if (S_ISDIR(inode->mode))
		mask |= IN_ISDIR;
	if (__atomic_load_n(&notify_dir_watches, __ATOMIC_RELAXED)) {
		flags = spin_lock_irqsave(&dcache_lock);
		if (d->parent && notify_inode_watched(d->parent->inode)) {
			dir = inode_get(d->parent->inode);
			len = MIN((size_t)d->name_len, (size_t)NAME_MAX);
			memcpy(name, d->name, len);
			unlinked = !(d->flags & DENTRY_LINKED);
		}
		spin_unlock_irqrestore(&dcache_lock, flags);
	}
	flags = spin_lock_irqsave(&notify_lock);
	if (dir)
		deliver_locked(dir, mask, 0, name, len, unlinked, &dead);
	deliver_locked(inode, mask, 0, NULL, 0, false, &dead);
	spin_unlock_irqrestore(&notify_lock, flags);
	watches_free(&dead);
	if (dir)
		inode_put(dir);
}

void notify_name_event(struct inode *dir, uint32_t mask, uint32_t cookie, const char *name,
		       size_t len)
{
	unsigned long flags = spin_lock_irqsave(&notify_lock);
	LIST_HEAD(dead);

	deliver_locked(dir, mask, cookie, name, len, false, &dead);
	spin_unlock_irqrestore(&notify_lock, flags);
	watches_free(&dead);
}

void notify_inode_event(struct inode *inode, uint32_t mask)
{
	unsigned long flags = spin_lock_irqsave(&notify_lock);
	LIST_HEAD(dead);

	if (S_ISDIR(inode->mode))
		mask |= IN_ISDIR;
	deliver_locked(inode, mask, 0, NULL, 0, false, &dead);
	spin_unlock_irqrestore(&notify_lock, flags);
	watches_free(&dead);
}

void notify_inode_gone(struct inode *inode)
{
	unsigned long flags = spin_lock_irqsave(&notify_lock);
	struct inotify_watch *w, *n;
	LIST_HEAD(dead);

	deliver_locked(inode, IN_DELETE_SELF, 0, NULL, 0, false, &dead);
	list_for_each_entry_safe (w, n, &inode->watches, inode_node)
		watch_drop_locked(w, &dead);
	spin_unlock_irqrestore(&notify_lock, flags);
	watches_free(&dead);
}

void notify_unmount(struct super_block *sb)
{
	unsigned long flags = spin_lock_irqsave(&notify_lock);
	struct inotify_watch *w, *n;
	LIST_HEAD(dead);

	list_for_each_entry_safe (w, n, &all_watches, all_node) {
		if (w->inode->sb != sb)
			continue;
		queue_event(w->inst, w->wd, IN_UNMOUNT | (S_ISDIR(w->inode->mode) ? IN_ISDIR : 0),
			    0, NULL, 0);
		watch_drop_locked(w, &dead);
	}
	spin_unlock_irqrestore(&notify_lock, flags);
	watches_free(&dead);
}

static struct inotify_watch *find_watch_locked(struct inotify_inst *in, struct inode *inode)
{
	struct inotify_watch *w;

	assert_held(&notify_lock);
	list_for_each_entry (w, &inode->watches, inode_node)
		if (w->inst == in)
			return w;
	return NULL;
}

/* The mask a watch keeps: events and the flags that act later. */
#define KEPT_BITS (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)

int inotify_add(struct file *f, struct inode *inode, uint32_t mask)
{
	struct inotify_inst *in = f->private;
	struct inotify_watch *w, *nw = kzalloc(sizeof(*nw));
	unsigned long flags;
	int r;

	if (!nw)
		return -ENOMEM;
	flags = spin_lock_irqsave(&notify_lock);
	w = find_watch_locked(in, inode);
	if (w && (mask & IN_MASK_CREATE)) {
		r = -EEXIST;
	} else if (w) {
		w->mask = (mask & KEPT_BITS) | ((mask & IN_MASK_ADD) ? w->mask : 0);
		r = w->wd;
	} else if (nr_watches >= INOTIFY_MAX_USER_WATCHES) {
		r = -ENOSPC;
	} else {
		nw->inst = in;
		nw->inode = inode_get(inode);
		nw->wd = r = ++in->next_wd;
		nw->mask = mask & KEPT_BITS;
		list_add_tail(&nw->inode_node, &inode->watches);
		list_add_tail(&nw->inst_node, &in->watches);
		list_add_tail(&nw->all_node, &all_watches);
		nr_watches++;
		if (S_ISDIR(inode->mode))
			__atomic_fetch_add(&notify_dir_watches, 1, __ATOMIC_RELAXED);
		nw = NULL;
	}
	spin_unlock_irqrestore(&notify_lock, flags);
	kfree(nw);
	return r;
}

int inotify_rm(struct file *f, int wd)
{
	struct inotify_inst *in = f->private;
	unsigned long flags = spin_lock_irqsave(&notify_lock);
	struct inotify_watch *w;
	LIST_HEAD(dead);
	int r = -EINVAL;

	list_for_each_entry (w, &in->watches, inst_node) {
		if (w->wd == wd) {
			watch_drop_locked(w, &dead);
			r = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&notify_lock, flags);
	watches_free(&dead);
	return r;
}

/* ---- the file ---- */

/* Takes the events that fit in len bytes (at least one) off the queue into out. */
static ssize_t take_events_locked(struct inotify_inst *in, size_t len, struct list_head *out)
{
	size_t used = 0;

	assert_held(&in->src->lock);
	while (!list_empty(&in->events)) {
		struct queued_event *e = list_first_entry(&in->events, struct queued_event, node);
		size_t size = EVENT_SIZE + e->ev.len;

		if (used + size > len)
			break;
		list_del(&e->node);
		list_add_tail(&e->node, out);
		in->nr_events--;
		in->bytes -= (uint32_t)size;
		used += size;
	}
	return used ? (ssize_t)used : -EINVAL; /* the first does not fit */
}

/* Events taken but not copied return to the head of the queue, in order. */
static void put_back(struct inotify_inst *in, struct list_head *taken)
{
	unsigned long flags = spin_lock_irqsave(&in->src->lock);

	while (!list_empty(taken)) {
		struct queued_event *e = list_entry(taken->prev, struct queued_event, node);

		list_del(&e->node);
		list_add(&e->node, &in->events);
		in->nr_events++;
		in->bytes += EVENT_SIZE + e->ev.len;
	}
	spin_unlock_irqrestore(&in->src->lock, flags);
}

static ssize_t inotify_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct inotify_inst *in = f->private;
	struct queued_event *e, *n;
	unsigned long flags;
	LIST_HEAD(taken);
	size_t off = 0;
	ssize_t r;

	(void)pos;
	flags = spin_lock_irqsave(&in->src->lock);
	if (list_empty(&in->events)) {
		r = (f->flags & O_NONBLOCK) ? -EAGAIN : wait_block_locked(in->src, 0);
		spin_unlock_irqrestore(&in->src->lock, flags);
		return r;
	}
	r = take_events_locked(in, buf->len, &taken);
	spin_unlock_irqrestore(&in->src->lock, flags);
	if (r < 0)
		return r;
	call_commit(); /* the events are off the queue */
	list_for_each_entry_safe (e, n, &taken, node) {
		size_t size = EVENT_SIZE + e->ev.len;

		list_del(&e->node);
		if (iobuf_write(buf, off, &e->ev, size)) {
			kfree(e); /* lost, as on Linux; those after it go back */
			put_back(in, &taken);
			return -EFAULT;
		}
		off += size;
		kfree(e);
	}
	return r;
}

static int inotify_poll(struct file *f, bool register_wait)
{
	struct inotify_inst *in = f->private;

	if (register_wait && wait_add_source(in->src))
		return -ENOMEM;
	return READ_ONCE(in->events.next) != &in->events ? POLLIN | POLLRDNORM : 0;
}

static int inotify_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	struct inotify_inst *in = f->private;
	unsigned long flags;
	int n;

	if (cmd != FIONREAD)
		return -EINVAL; /* as Linux's inotify */
	flags = spin_lock_irqsave(&in->src->lock);
	n = (int)in->bytes;
	spin_unlock_irqrestore(&in->src->lock, flags);
	return copy_to_user(arg, &n, sizeof(n));
}

static void inotify_release(struct file *f)
{
	struct inotify_inst *in = f->private;
	unsigned long flags = spin_lock_irqsave(&notify_lock);
	struct inotify_watch *w, *n;
	struct queued_event *e, *en;
	LIST_HEAD(dead);

	list_for_each_entry_safe (w, n, &in->watches, inst_node)
		watch_drop_locked(w, &dead); /* its IN_IGNORED is freed below */
	spin_unlock_irqrestore(&notify_lock, flags);
	watches_free(&dead);
	list_for_each_entry_safe (e, en, &in->events, node)
		kfree(e);
	source_free(&pool, in->src);
	kfree(in);
	__atomic_fetch_sub(&nr_instances, 1, __ATOMIC_RELAXED);
}

static const struct file_ops inotify_fops = {
	.read = inotify_read,
	.ioctl = inotify_ioctl,
	.release = inotify_release,
	.poll = inotify_poll,
};

bool is_inotify(struct file *f)
{
	return f->fops == &inotify_fops;
}

int inotify_create(int flags, struct file **out)
{
	struct inotify_inst *in;
	int r;

	if (__atomic_add_fetch(&nr_instances, 1, __ATOMIC_RELAXED) > INOTIFY_MAX_USER_INSTANCES) {
		__atomic_fetch_sub(&nr_instances, 1, __ATOMIC_RELAXED);
		return -EMFILE;
	}
	in = kzalloc(sizeof(*in));
	if (in)
		in->src = source_alloc(&pool);
	if (!in || !in->src) {
		kfree(in);
		__atomic_fetch_sub(&nr_instances, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	list_init(&in->events);
	list_init(&in->watches);
	r = anon_file_create("anon_inode:inotify", &inotify_fops, in,
			     O_RDONLY | (flags & IN_NONBLOCK), out);
	if (r) {
		source_free(&pool, in->src);
		kfree(in);
		__atomic_fetch_sub(&nr_instances, 1, __ATOMIC_RELAXED);
	}
	return r;
}
