/*
 * eventfd (include/fs/event.h, docs/events.md): a 64-bit counter as a
 * file. A write of 8 bytes adds its value (blocking, or EAGAIN, while the
 * sum would pass 2^64 - 2); a read takes the whole counter, or 1 with
 * EFD_SEMAPHORE (blocking, or EAGAIN, while it is 0). Readable while the
 * counter is not 0, writable while it is below 2^64 - 2.
 *
 * Readers and writers wait on the one wait source, whose lock also guards
 * the counter; a change wakes every waiter (and epoll callbacks), each
 * looks again. A blocked read or write registers and returns -EWAIT
 * (include/kernel/wait.h): it keeps nothing between runs.
 */
#include <fs/event.h>
#include <kernel/uaccess.h>
#include <lib/compiler.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

#define COUNT_MAX (~0ULL - 1)

/* Lock key: (s) src->lock, (c) constant. */
struct eventfd {
	struct wait_source *src; /* (c) from the pool */
	uint64_t count;		 /* (s) to change; poll reads it without the lock */
	bool semaphore;		 /* (c) */
};

static struct source_pool pool = SOURCE_POOL_INIT(pool, "eventfd");

static ssize_t eventfd_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct eventfd *e = f->private;
	unsigned long flags;
	uint64_t v;

	(void)pos;
	if (buf->len < sizeof(v))
		return -EINVAL;
	flags = spin_lock_irqsave(&e->src->lock);
	if (!e->count) {
		long r = (f->flags & O_NONBLOCK) ? -EAGAIN : wait_block_locked(e->src, 0);

		spin_unlock_irqrestore(&e->src->lock, flags);
		return r;
	}
	v = e->semaphore ? 1 : e->count;
	WRITE_ONCE(e->count, e->count - v); /* poll reads it unlocked */
	wait_wake_all_locked(e->src, 0);    /* writers may have room now */
	spin_unlock_irqrestore(&e->src->lock, flags);
	call_commit(); /* the counter is taken */
	return iobuf_write(buf, 0, &v, sizeof(v)) ? -EFAULT : (ssize_t)sizeof(v);
}

static ssize_t eventfd_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct eventfd *e = f->private;
	unsigned long flags;
	uint64_t v;

	(void)pos;
	if (buf->len < sizeof(v))
		return -EINVAL;
	if (iobuf_read(&v, buf, 0, sizeof(v)))
		return -EFAULT;
	if (v == ~0ULL)
		return -EINVAL;
	flags = spin_lock_irqsave(&e->src->lock);
	if (COUNT_MAX - e->count < v) {
		long r = (f->flags & O_NONBLOCK) ? -EAGAIN : wait_block_locked(e->src, 0);

		spin_unlock_irqrestore(&e->src->lock, flags);
		return r;
	}
	WRITE_ONCE(e->count, e->count + v);
	if (v)
		wait_wake_all_locked(e->src, 0);
	spin_unlock_irqrestore(&e->src->lock, flags);
	return sizeof(v);
}

static int eventfd_poll(struct file *f, bool register_wait)
{
	struct eventfd *e = f->private;
	uint64_t count;
	int mask = 0;

	if (register_wait && wait_add_source(e->src))
		return -ENOMEM;
	/*
	 * One look without the lock (as Linux): a change after registering
	 * wakes this poller; one before it was made under the lock the
	 * registration took, and this load sees it.
	 */
	count = READ_ONCE(e->count);
	if (count)
		mask |= POLLIN | POLLRDNORM;
	if (count < COUNT_MAX)
		mask |= POLLOUT | POLLWRNORM;
	return mask;
}

static void eventfd_release(struct file *f)
{
	struct eventfd *e = f->private;

	source_free(&pool, e->src);
	kfree(e);
}

static const struct file_ops eventfd_fops = {
	.read = eventfd_read,
	.write = eventfd_write,
	.release = eventfd_release,
	.poll = eventfd_poll,
};

int eventfd_create(uint64_t initval, int flags, struct file **out)
{
	struct eventfd *e = kzalloc(sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	e->src = source_alloc(&pool);
	if (!e->src) {
		kfree(e);
		return -ENOMEM;
	}
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	r = anon_file_create("anon_inode:[eventfd]", &eventfd_fops, e,
			     O_RDWR | (flags & EFD_NONBLOCK), out);
	if (r) {
		source_free(&pool, e->src);
		kfree(e);
	}
	return r;
}
