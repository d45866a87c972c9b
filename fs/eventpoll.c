/*
 * epoll (include/fs/event.h, docs/events.md).
 *
 * An epoll instance keeps its interest items (one per file and descriptor
 * added) and a ready list. Adding a file polls it once with the thread's
 * wait hook set (include/kernel/wait.h): every wait source the file's poll
 * method registers on gets a callback waiter of the item instead of the
 * thread, and it stays there until the item goes. When a source wakes, the
 * callback puts the item on the ready list (once) and wakes the instance's
 * wait source: threads in epoll_wait, pollers of the epoll file, and the
 * callbacks of epolls that watch this one. epoll_wait looks only at the
 * ready list: its cost grows with the ready items, never with the idle
 * ones.
 *
 * epoll_collect takes the items that were on the ready list, a batch per
 * hold of the instance's lock, polls each file (without registering, with
 * no epoll lock held) for its events, and reports those asked for. A
 * level-triggered item stays on the list while it is looked at, moved to
 * its end: ready, it is reported and nothing more is done; not ready, it
 * leaves under a second hold (unless a wake-up came meanwhile). An
 * edge-triggered one leaves the list when taken and stays off until its
 * next wake-up; an EPOLLONESHOT one leaves, and is disabled (its events
 * cleared) under a second hold as it is reported, until EPOLL_CTL_MOD. So
 * the common case, every item ready, holds the lock once per batch.
 *
 * An item being looked at is busy (a count, not a reference on it or on
 * its file): its removal (EPOLL_CTL_DEL, its file's last close, the
 * epoll's close) marks it dead and off the list, so that no collector
 * takes it again, then waits until it is not busy. Collectors hold none of
 * epoll's locks while they poll and never wait, so the wait ends; a file's
 * release runs only after it, and nothing reports an item after its
 * removal returned (a collector that took it before may: it came first).
 *
 * A file's last close takes it out of every interest list
 * (eventpoll_release, from file_put): each file lists its items.
 *
 * Locks. ctl_lock (one for all instances) guards the shape: interest
 * lists, files' item lists, items' callbacks, and the loop check of nested
 * epolls; epoll_ctl holds it while it polls the file it adds (so it is
 * taken before any file's locks). An instance's wait source lock ("epoll")
 * guards its ready list and its items' events, data and wake-up count.
 * A removal waits for busy items with ctl_lock held and no other of
 * epoll's: a collector needs only the instance's lock. A callback runs
 * under the woken source's lock and takes the instance's lock nested one
 * level deeper (epoll/1, epoll/2 for an epoll in an epoll...).
 */
#include <fs/event.h>
#include <arch/x86_64/cpu.h>
#include <kernel/panic.h>
#include <kernel/smp.h>
#include <kernel/thread.h>
#include <lib/compiler.h>
#include <mm/slab.h>
#include <mm/tlb.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

#define MAX_NESTS    4 /* epolls below the top one in a chain, as Linux's EP_MAX_NESTS */
/* What a disabled EPOLLONESHOT item keeps. */
#define PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EXCLUSIVE_OK                                                                          \
	(EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | \
	 EPOLLET | EPOLLEXCLUSIVE)

/* Lock key: (g) ctl_lock, (s) the instance's src->lock, (c) constant. */
struct eventpoll {
	struct wait_source *src; /* (c) waiters, and the lock of what follows */
	struct list_head ready;	 /* (s) struct epitem.ready */
	unsigned nready;	 /* (s) */
	struct list_head items;	 /* (g) struct epitem.ep_node */
	struct file *file;	 /* (c) the epoll's own file */
};

struct epitem {
	struct eventpoll *ep;	    /* (c) */
	struct file *file;	    /* (c) not referenced: it leaves at its release */
	int fd;			    /* (c) */
	uint32_t events;	    /* (s) asked for, with EPOLLERR, EPOLLHUP and flags */
	uint64_t data;		    /* (s) */
	bool dead;		    /* (s) removed: not queued, not reported */
	struct list_head ready;	    /* (s) on ep->ready, or empty */
	struct list_head ep_node;   /* (g) on ep->items */
	struct list_head file_node; /* (g) on file->ep_items */
	struct list_head hooks;	    /* (g) struct item_hook.cb.link.extra */
	uint32_t wakes;		    /* (s) wake-ups (queue_locked calls), for collectors */
	int32_t busy;		    /* (a) collectors looking at it: its removal waits for 0 */
	int32_t refs;		    /* (a) the interest list's, and epoll_ctl's while it polls */
};

/* One registration of an item on one source of its file. */
struct item_hook {
	struct wait_callback cb;
	struct epitem *item; /* (c) */
};

/* The thread's wait hook while epoll_ctl polls a file it adds. */
struct adder {
	struct wait_hook hook;
	struct epitem *item;
	int err;
};

static spinlock_t ctl_lock = SPINLOCK_INIT("epoll-ctl");
static struct source_pool pool = SOURCE_POOL_INIT(pool, "epoll");
static const struct file_ops epoll_fops;

bool is_epoll(struct file *f)
{
	return f->fops == &epoll_fops;
}

static void item_put(struct epitem *it)
{
	if (__atomic_sub_fetch(&it->refs, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(it);
}

/* Queues it once. Caller holds ep->src->lock. */
static void queue_locked(struct eventpoll *ep, struct epitem *it)
{
	assert_held(&ep->src->lock);
	it->wakes++;
	if (it->dead || !(it->events & ~PRIVATE_BITS) || !list_empty(&it->ready))
		return;
	list_add_tail(&it->ready, &ep->ready);
	ep->nready++;
}

static void unqueue_locked(struct eventpoll *ep, struct epitem *it)
{
	if (list_empty(&it->ready))
		return;
	list_del(&it->ready);
	list_init(&it->ready);
	ep->nready--;
}

/* A watched source woke (its lock held, at nesting depth). */
static bool item_wake(struct wait_callback *cb, unsigned depth)
{
	struct epitem *it = container_of(cb, struct item_hook, cb)->item;
	struct eventpoll *ep = it->ep;
	unsigned long flags = spin_lock_irqsave_nested(&ep->src->lock, depth + 1);
	unsigned woken;

	queue_locked(ep, it);
	woken = wait_wake_all_locked(ep->src, depth + 1);
	spin_unlock_irqrestore(&ep->src->lock, flags);
	return woken > 0;
}

static int adder_add(struct wait_hook *h, struct wait_source *src)
{
	struct adder *a = container_of(h, struct adder, hook);
	struct item_hook *ih = kzalloc(sizeof(*ih));

	if (!ih) {
		a->err = -ENOMEM;
		return -ENOMEM;
	}
	ih->item = a->item;
	ih->cb.fn = item_wake;
	ih->cb.exclusive = a->item->events & EPOLLEXCLUSIVE;
	list_add_tail(&ih->cb.link.extra, &a->item->hooks);
	wait_callback_add(src, &ih->cb);
	return 0;
}

/* Unregisters it from its file's sources; after this no callback runs for it. */
static void unhook(struct epitem *it)
{
	assert_held(&ctl_lock);
	while (!list_empty(&it->hooks)) {
		struct item_hook *ih = list_first_entry(&it->hooks, struct item_hook,
							cb.link.extra);

		wait_callback_del(&ih->cb);
		list_del(&ih->cb.link.extra);
		kfree(ih);
	}
}

/*
 * Marks it dead and takes it off the ready list (no collector can take it
 * any more), waits until no collector looks at it, and drops the interest
 * list's reference. A collector looks with none of our locks held (it
 * polls the file, and may take the instance's lock once more), so the
 * wait ends; the CPU answers other CPUs' calls meanwhile, as a spinning
 * lock does. After this the file may go: nothing polls it through it.
 */
static void item_retire(struct eventpoll *ep, struct epitem *it)
{
	unsigned long flags = spin_lock_irqsave(&ep->src->lock);

	it->dead = true;
	unqueue_locked(ep, it);
	spin_unlock_irqrestore(&ep->src->lock, flags);
	while (__atomic_load_n(&it->busy, __ATOMIC_ACQUIRE)) {
		cpu_relax();
		smp_poll_calls();
		tlb_poll();
	}
	item_put(it);
}

/* Takes it out of its instance for good. Caller holds ctl_lock. */
static void item_remove(struct epitem *it)
{
	assert_held(&ctl_lock);
	unhook(it);
	list_del(&it->ep_node);
	list_del(&it->file_node);
	item_retire(it->ep, it);
}

static struct epitem *item_find(struct eventpoll *ep, struct file *f, int fd)
{
	struct epitem *it;

	assert_held(&ctl_lock);
	list_for_each_entry (it, &f->ep_items, file_node)
		if (it->ep == ep && it->fd == fd)
			return it;
	return NULL;
}

/* ---- nesting: loops and depth ---- */

/* The longest chain of epolls below ep (0: it watches none); -1 if it reaches target. */
static int depth_below(struct eventpoll *ep, struct eventpoll *target, int level)
{
	struct epitem *it;
	int max = 0;

	if (ep == target)
		return -1;
	if (level > MAX_NESTS)
		return level; /* deep enough to refuse: stop looking */
	list_for_each_entry (it, &ep->items, ep_node) {
		int d;

		if (!is_epoll(it->file))
			continue;
		d = depth_below(it->file->private, target, level + 1);
		if (d < 0)
			return -1;
		max = MAX(max, d + 1);
	}
	return max;
}

/* The longest chain of epolls above ep (0: no epoll watches it). */
static int depth_above(struct eventpoll *ep, int level)
{
	struct epitem *it;
	int max = 0;

	if (level > MAX_NESTS)
		return level;
	list_for_each_entry (it, &ep->file->ep_items, file_node)
		max = MAX(max, depth_above(it->ep, level + 1) + 1);
	return max;
}

/* Adding target (an epoll) to ep: -ELOOP for a loop or a chain longer than Linux allows. */
static int loop_check(struct eventpoll *ep, struct eventpoll *target)
{
	int below = depth_below(target, ep, 0);

	assert_held(&ctl_lock);
	if (below < 0 || below + 1 + depth_above(ep, 0) > MAX_NESTS)
		return -ELOOP;
	return 0;
}

/* ---- epoll_ctl ---- */

/* The item's file's events of interest now (0 on an error of its poll). */
static uint32_t poll_item(struct file *f, uint32_t events)
{
	int mask = vfs_poll(f, false);

	return mask < 0 ? 0 : (uint32_t)mask & (events | EPOLLERR | EPOLLHUP);
}

/* Queues it if mask says it is ready (and it is still there), waking the waiters. */
static void queue_if_ready(struct eventpoll *ep, struct epitem *it, uint32_t mask)
{
	unsigned long flags;

	if (!mask)
		return;
	flags = spin_lock_irqsave(&ep->src->lock);
	queue_locked(ep, it);
	wait_wake_all_locked(ep->src, 0);
	spin_unlock_irqrestore(&ep->src->lock, flags);
}

/* Registers it on f's sources through the thread's wait hook; returns f's mask. */
static int hook_file(struct epitem *it, struct file *f)
{
	struct adder a = { .hook = { adder_add }, .item = it, .err = 0 };
	int mask;

	current_wait()->hook = &a.hook;
	mask = vfs_poll(f, true);
	current_wait()->hook = NULL;
	return a.err ? a.err : mask;
}

/*
 * An epoll's source gets the callback directly (its poll is not run with
 * the hook), and the caller polls it after dropping ctl_lock (*later), as
 * EPOLL_CTL_MOD does for every file.
 */
static int ctl_add(struct eventpoll *ep, struct file *f, int fd, const struct epoll_event *ev,
		   struct epitem **later)
{
	struct epitem *it;
	int mask = 0, r;

	if (item_find(ep, f, fd))
		return -EEXIST;
	if (is_epoll(f) && (r = loop_check(ep, f->private)))
		return r;
	it = kzalloc(sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->file = f;
	it->fd = fd;
	it->events = ev->events | EPOLLERR | EPOLLHUP;
	it->data = ev->data;
	it->refs = 1;
	list_init(&it->ready);
	list_init(&it->hooks);
	if (is_epoll(f)) {
		struct adder a = { .hook = { adder_add }, .item = it, .err = 0 };

		mask = adder_add(&a.hook, ((struct eventpoll *)f->private)->src);
	} else
		mask = hook_file(it, f);
	if (mask < 0) {
		unhook(it);
		item_retire(ep, it); /* a callback may have queued it, and a collector taken it */
		return mask;
	}
	list_add_tail(&it->ep_node, &ep->items);
	list_add_tail(&it->file_node, &f->ep_items);
	if (is_epoll(f)) {
		__atomic_add_fetch(&it->refs, 1, __ATOMIC_RELAXED);
		*later = it;
	} else
		queue_if_ready(ep, it, (uint32_t)mask & it->events);
	return 0;
}

static int ctl_mod(struct eventpoll *ep, struct file *f, int fd, const struct epoll_event *ev,
		   struct epitem **later)
{
	struct epitem *it = item_find(ep, f, fd);
	unsigned long flags;

	if (!it)
		return -ENOENT;
	if (it->events & EPOLLEXCLUSIVE)
		return -EINVAL;
	flags = spin_lock_irqsave(&ep->src->lock);
	it->events = ev->events | EPOLLERR | EPOLLHUP;
	it->data = ev->data;
	spin_unlock_irqrestore(&ep->src->lock, flags);
	__atomic_add_fetch(&it->refs, 1, __ATOMIC_RELAXED);
	*later = it; /* polled after ctl_lock: it may be an epoll */
	return 0;
}

int epoll_ctl(struct file *epf, int op, struct file *f, int fd, const struct epoll_event *ev)
{
	struct eventpoll *ep = epf->private;
	struct epitem *it, *later = NULL;
	unsigned long flags;
	int r;

	if (!f->fops->poll)
		return -EPERM; /* regular files and directories, as Linux */
	if (f == epf || !is_epoll(epf))
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD || is_epoll(f) || (ev->events & ~EXCLUSIVE_OK))
			return -EINVAL;
	}
	flags = spin_lock_irqsave(&ctl_lock);
	switch (op) {
	case EPOLL_CTL_ADD:
		r = ctl_add(ep, f, fd, ev, &later);
		break;
	case EPOLL_CTL_MOD:
		r = ctl_mod(ep, f, fd, ev, &later);
		break;
	case EPOLL_CTL_DEL:
		it = item_find(ep, f, fd);
		r = it ? 0 : -ENOENT;
		if (it)
			item_remove(it);
		break;
	default:
		r = -EINVAL;
	}
	spin_unlock_irqrestore(&ctl_lock, flags);
	if (later) { /* the caller holds f: it stays */
		queue_if_ready(ep, later, poll_item(f, ev->events));
		item_put(later);
	}
	return r;
}

void eventpoll_release(struct file *f)
{
	unsigned long flags = spin_lock_irqsave(&ctl_lock);

	while (!list_empty(&f->ep_items))
		item_remove(list_first_entry(&f->ep_items, struct epitem, file_node));
	spin_unlock_irqrestore(&ctl_lock, flags);
}

/* ---- collecting ready events ---- */

/* Items one collect takes per hold of the lock. */
#define COLLECT_BATCH 16

/* An item a collector took, to look at with no lock held. */
struct taken {
	struct epitem *it;
	uint64_t data;	 /* it->data when taken */
	uint32_t events; /* it->events when taken */
	uint32_t wakes;	 /* it->wakes when taken */
	uint32_t mask;	 /* its file's events of interest, polled */
};

/*
 * Takes up to max items from the head of the ready list (of the budget:
 * those that were on it when the collect began) and marks them busy. A
 * level-triggered item stays queued, moved to the tail, and so does every
 * item in check mode; the others leave the list. Caller holds
 * ep->src->lock.
 */
static int take_locked(struct eventpoll *ep, struct taken *t, int max, unsigned *budget, bool check)
{
	int k = 0;

	assert_held(&ep->src->lock);
	while (k < max && *budget && !list_empty(&ep->ready)) {
		struct epitem *it = list_first_entry(&ep->ready, struct epitem, ready);

		(*budget)--;
		if (!(it->events & ~PRIVATE_BITS)) { /* a one-shot disabled while queued */
			unqueue_locked(ep, it);
			continue;
		}
		if (check || !(it->events & (EPOLLET | EPOLLONESHOT))) {
			if (!list_is_last(&it->ready, &ep->ready))
				list_move_tail(&it->ready, &ep->ready);
		} else
			unqueue_locked(ep, it);
		__atomic_add_fetch(&it->busy, 1, __ATOMIC_RELAXED);
		t[k].it = it;
		t[k].data = it->data;
		t[k].events = it->events;
		t[k++].wakes = it->wakes;
	}
	return k;
}

/* The collector is done with the item (and its file): a removal waiting for it goes on. */
static void release_item(struct epitem *it)
{
	__atomic_sub_fetch(&it->busy, 1, __ATOMIC_RELEASE);
}

/*
 * What the lock is needed for after the poll: an item found not ready
 * leaves the list (level-triggered, or in check mode) unless a wake-up
 * came since it was taken; a ready one-shot item is reported (if it is
 * still armed: another collector or EPOLL_CTL_MOD may have come between)
 * and disabled. Returns the number reported into out. Caller holds
 * ep->src->lock.
 */
static int finish_locked(struct eventpoll *ep, struct taken *t, struct epoll_event *out)
{
	struct epitem *it = t->it;
	uint32_t mask = t->mask & it->events;

	assert_held(&ep->src->lock);
	if (!t->mask) {
		if (it->wakes == t->wakes)
			unqueue_locked(ep, it);
		return 0;
	}
	if (it->dead || !mask)
		return 0;
	out->events = mask;
	out->data = it->data;
	it->events &= PRIVATE_BITS;
	return 1;
}

/*
 * Whether finish_locked must see the polled item: one not ready that
 * leaves the list (any in check mode, a level-triggered one), or a ready
 * one-shot item, disabled as it is reported.
 */
static bool needs_lock(const struct taken *t, bool check)
{
	if (check)
		return !t->mask;
	if (t->events & EPOLLONESHOT)
		return t->mask;
	return !t->mask && !(t->events & EPOLLET);
}

/*
 * Polls the taken items with no lock held and reports those that need no
 * lock for it: a ready level- or edge-triggered item, as taken (an
 * EPOLL_CTL_DEL or close that comes meanwhile waits for this collector,
 * so it is reported as if it came before). Returns the number reported
 * into out; t[i].it stays set for the items that need finish_locked.
 */
static int poll_taken(struct taken *t, int k, struct epoll_event *out, bool check, bool *more)
{
	int n = 0;

	for (int i = 0; i < k; i++) {
		struct epitem *it = t[i].it;

		t[i].mask = poll_item(it->file, t[i].events) & t[i].events;
		if (needs_lock(&t[i], check)) {
			*more = true;
			continue;
		}
		if (t[i].mask) {
			if (!check) {
				out[n].events = t[i].mask;
				out[n].data = t[i].data;
			}
			n++;
		}
		t[i].it = NULL;
		release_item(it);
	}
	return n;
}

/*
 * Reports up to max ready items into out (check: only whether one is
 * ready, and everything stays queued; out is NULL). The items that were
 * on the ready list when it began are taken in batches, polled with no
 * lock held while marked busy (their removal waits: no reference on the
 * item or its file is needed), and reported. A ready level-triggered item
 * stays on the list (at its end), and the common case, every item ready,
 * holds the lock once per batch; items found not ready, and ready one-shot
 * items, need it once more.
 */
static int collect(struct eventpoll *ep, struct epoll_event *out, int max, bool check)
{
	struct taken t[COLLECT_BATCH];
	unsigned budget = ~0u;
	int n = 0;

	while (n < max && budget) {
		unsigned long flags = spin_lock_irqsave(&ep->src->lock);
		bool more = false;
		int k;

		budget = MIN(budget, ep->nready);
		k = take_locked(ep, t, MIN(max - n, COLLECT_BATCH), &budget, check);
		spin_unlock_irqrestore(&ep->src->lock, flags);
		if (!k)
			break;
		n += poll_taken(t, k, check ? NULL : out + n, check, &more);
		if (!more)
			continue;
		flags = spin_lock_irqsave(&ep->src->lock);
		for (int i = 0; i < k; i++)
			if (t[i].it)
				n += finish_locked(ep, &t[i], check ? NULL : out + n);
		spin_unlock_irqrestore(&ep->src->lock, flags);
		for (int i = 0; i < k; i++)
			if (t[i].it)
				release_item(t[i].it);
	}
	return n;
}

int epoll_collect(struct file *epf, struct epoll_event *out, int max)
{
	return collect(epf->private, out, max, false);
}

long epoll_block(struct file *epf, uint64_t deadline_ns)
{
	struct eventpoll *ep = epf->private;
	unsigned long flags = spin_lock_irqsave(&ep->src->lock);
	long r = 0;

	if (list_empty(&ep->ready))
		r = wait_block_locked(ep->src, deadline_ns);
	spin_unlock_irqrestore(&ep->src->lock, flags);
	return r;
}

/* Readable while an item is ready (an epoll in poll, select or another epoll). */
static int epoll_poll(struct file *f, bool register_wait)
{
	struct eventpoll *ep = f->private;

	if (register_wait && wait_add_source(ep->src))
		return -ENOMEM;
	return collect(ep, NULL, 1, true) ? POLLIN | POLLRDNORM : 0;
}

static void epoll_release(struct file *f)
{
	struct eventpoll *ep = f->private;
	unsigned long flags = spin_lock_irqsave(&ctl_lock);

	while (!list_empty(&ep->items))
		item_remove(list_first_entry(&ep->items, struct epitem, ep_node));
	spin_unlock_irqrestore(&ctl_lock, flags);
	source_free(&pool, ep->src);
	kfree(ep);
}

static const struct file_ops epoll_fops = {
	.release = epoll_release,
	.poll = epoll_poll,
};

int epoll_create(int flags, struct file **out)
{
	struct eventpoll *ep = kzalloc(sizeof(*ep));
	int r;

	if (!ep)
		return -ENOMEM;
	ep->src = source_alloc(&pool);
	if (!ep->src) {
		kfree(ep);
		return -ENOMEM;
	}
	list_init(&ep->ready);
	list_init(&ep->items);
	r = anon_file_create("anon_inode:[eventpoll]", &epoll_fops, ep, O_RDWR, out);
	if (r) {
		source_free(&pool, ep->src);
		kfree(ep);
		return r;
	}
	ep->file = *out;
	(void)flags;
	return 0;
}
