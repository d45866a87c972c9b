/*
 * Pipes and FIFOs (include/fs/pipe.h), and vfs_poll.
 *
 * The ring holds PIPE_SIZE bytes; head and tail are free-running byte
 * counters (head - tail bytes are in it), so a full ring and an empty one
 * differ. It is allocated at the first write and, for a FIFO, freed when
 * the last opener goes (the bytes go with it, as on Linux).
 *
 * No user memory is touched under a spinlock (a copy may fault and page
 * memory in): a reader marks the pipe rd_busy, notes where the bytes are,
 * drops the lock, copies them out and then, locked again, consumes them;
 * a writer copies into the free part of the ring under wr_busy and then
 * makes the bytes visible by advancing head. So one reader and one writer
 * copy at once, each on its own part of the ring. A second reader (or
 * writer), which can only meet a busy one on another CPU, waits for it.
 * Bytes are consumed only once copied: a bad buffer loses nothing.
 *
 * A call that must wait registers on a wait source under the pipe's lock,
 * after its last look at the state, and returns -EWAIT; whoever changes
 * the state calls wait_wake_all afterwards. A write larger than PIPE_BUF
 * that has moved some bytes keeps their count in its call's progress record
 * (struct pipe_write_progress) and, run again, skips them in the caller's
 * buffer. Bytes a read consumed are its point of no return (call_commit).
 *
 * FIFO opens wait for the other side. A waiting opener is not counted as a
 * reader or writer (a call that is abandoned, killed or interrupted, has
 * no way to undo a count); instead, the opener that arrives on the other
 * side counts each waiter in for it ("grants" it: its struct
 * fifo_open_progress says so) before waking it, and also treats waiting openers
 * as present. So `cat fifo` and `echo x > fifo` meet in either order, and
 * the writer never sees "no reader" while the reader is still on its way.
 * FIFO pipes are found by inode in the fifos list; one whose openers and
 * waiters are all gone is freed there, at its last close or by a later
 * open that passes it.
 *
 * Pipe objects are never returned to kmalloc: a freed pipe goes to a pool
 * and is reused as a pipe. A thread that waited on a pipe may still, on
 * another CPU, be unlinking a registration from one of its wait sources
 * (wait_detach) while the pipe is freed; with type-stable memory that
 * lock-and-check stays safe (it finds its link already unlinked, as every
 * waiter is woken before a pipe is freed). Rings are freed normally.
 *
 * Lock order (its part of the one in include/kernel/spinlock.h): fifo_lock,
 * a pipe's lock, its wait sources' locks, pool_lock.
 */
#include <fs/pipe.h>
#include <fs/vfs.h>
#include <fs/dcache.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <lib/compiler.h>
#include <lib/list.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/ioctl.h>
#include <uapi/poll.h>
#include <uapi/signal.h>

#define PIPE_MASK ((uint32_t)PIPE_SIZE - 1)

/* Lock key: (l) lock, (c) constant while in use, (f) fifo_lock, (P) pool_lock. */
struct pipe {
	spinlock_t lock;
	char *buf;			 /* (l) PIPE_SIZE bytes, or NULL before the first write */
	uint32_t head, tail;		 /* (l) bytes written and read, ever (mod 2^32) */
	unsigned readers, writers;	 /* (l) open files (and granted openers) on each side */
	unsigned r_counter, w_counter;	 /* (l) opens for reading, writing, ever */
	bool rd_busy, wr_busy;		 /* (l) a reader, writer is copying, unlocked */
	bool rd_contended, wr_contended; /* (l) someone waits for that copy to end */
	bool fifo;			 /* (c) found by inode in the fifos list */
	struct inode *inode;		 /* (f) a FIFO's inode (not referenced) ... */
	uint64_t ino;			 /* (f) ... and its number, against address reuse */
	struct list_head node;		 /* (f) on fifos, or (P) on the pool */
	struct wait_source rd_wait;	 /* readers: data arrived, or the last writer left */
	struct wait_source wr_wait;	 /* writers: room made, or the last reader left */
	struct wait_source rd_open;	 /* FIFO opens for reading waiting for a writer */
	struct wait_source wr_open;	 /* FIFO opens for writing waiting for a reader */
};

static spinlock_t pool_lock = SPINLOCK_INIT("pipe-pool");
static LIST_HEAD(pool); /* (pool_lock) freed pipes */
static spinlock_t fifo_lock = SPINLOCK_INIT("fifo");
static LIST_HEAD(fifos);    /* (fifo_lock) pipes of FIFO inodes */
static int64_t pipes_alive; /* (atomic) */

static const struct file_ops pipe_fops;

int64_t pipe_count(void)
{
	return __atomic_load_n(&pipes_alive, __ATOMIC_RELAXED);
}

static struct pipe *pipe_alloc(void)
{
	unsigned long flags = spin_lock_irqsave(&pool_lock);
	struct pipe *p = NULL;

	if (!list_empty(&pool)) {
		p = list_first_entry(&pool, struct pipe, node);
		list_del(&p->node);
	}
	spin_unlock_irqrestore(&pool_lock, flags);
	if (!p) {
		p = kzalloc(sizeof(*p));
		if (!p)
			return NULL;
		/* Once only: a pooled pipe's locks may still be taken by a late unlinker. */
		spin_init(&p->lock, "pipe");
		wait_source_init(&p->rd_wait, "pipe-read");
		wait_source_init(&p->wr_wait, "pipe-write");
		wait_source_init(&p->rd_open, "fifo-open-read");
		wait_source_init(&p->wr_open, "fifo-open-write");
	}
	p->buf = NULL;
	p->head = p->tail = 0;
	p->readers = p->writers = 0;
	p->r_counter = p->w_counter = 0;
	p->rd_busy = p->wr_busy = false;
	p->rd_contended = p->wr_contended = false;
	p->fifo = false;
	p->inode = NULL;
	p->ino = 0;
	list_init(&p->node);
	__atomic_fetch_add(&pipes_alive, 1, __ATOMIC_RELAXED);
	return p;
}

/* Nobody uses p any more: wakes whatever still waits on it, pools it. */
static void pipe_free(struct pipe *p)
{
	unsigned long flags;
	char *buf;

	wait_wake_all(&p->rd_wait);
	wait_wake_all(&p->wr_wait);
	wait_wake_all(&p->rd_open);
	wait_wake_all(&p->wr_open);
	flags = spin_lock_irqsave(&p->lock);
	buf = p->buf;
	p->buf = NULL;
	spin_unlock_irqrestore(&p->lock, flags);
	kfree(buf);
	flags = spin_lock_irqsave(&pool_lock);
	list_add(&p->node, &pool);
	spin_unlock_irqrestore(&pool_lock, flags);
	__atomic_fetch_sub(&pipes_alive, 1, __ATOMIC_RELAXED);
}

static int pipe_alloc_ring(struct pipe *p)
{
	char *buf = kmalloc(PIPE_SIZE);
	unsigned long flags;

	if (!buf)
		return -ENOMEM;
	flags = spin_lock_irqsave(&p->lock);
	if (!p->buf) {
		p->buf = buf;
		buf = NULL;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	kfree(buf);
	return 0;
}

/* Copies n ring bytes from counter at into b at off (wrapping); 0 or -EFAULT. */
static int ring_out(struct pipe *p, uint32_t at, const struct iobuf *b, size_t off, size_t n)
{
	size_t i = at & PIPE_MASK, first = MIN(n, PIPE_SIZE - i);

	if (iobuf_write(b, off, p->buf + i, first))
		return -EFAULT;
	if (n > first && iobuf_write(b, off + first, p->buf, n - first))
		return -EFAULT;
	return 0;
}

static int ring_in(struct pipe *p, uint32_t at, const struct iobuf *b, size_t off, size_t n)
{
	size_t i = at & PIPE_MASK, first = MIN(n, PIPE_SIZE - i);

	if (iobuf_read(p->buf + i, b, off, first))
		return -EFAULT;
	if (n > first && iobuf_read(p->buf, b, off + first, n - first))
		return -EFAULT;
	return 0;
}

/* Registers the current call on src (the caller holds the pipe's lock); -EWAIT. */
static long wait_on(struct wait_source *src)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);
	long r = wait_block_locked(src, 0);

	spin_unlock_irqrestore(&src->lock, flags);
	return r;
}

static bool has_waiters(struct wait_source *src)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);
	bool r = !list_empty(&src->waiters);

	spin_unlock_irqrestore(&src->lock, flags);
	return r;
}

static ssize_t pipe_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct pipe *p = f->private;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	bool contended, wake;
	uint32_t at;
	size_t n;
	long r;

	(void)pos;
	if (p->rd_busy) {
		p->rd_contended = true;
		r = wait_on(&p->rd_wait);
		spin_unlock_irqrestore(&p->lock, flags);
		return r;
	}
	n = p->head - p->tail;
	if (n == 0) {
		r = 0; /* end of file once no writer is left */
		if (p->writers)
			r = (READ_ONCE(f->flags) & O_NONBLOCK) ? -EAGAIN : wait_on(&p->rd_wait);
		spin_unlock_irqrestore(&p->lock, flags);
		return r;
	}
	n = MIN(n, buf->len);
	at = p->tail;
	p->rd_busy = true;
	spin_unlock_irqrestore(&p->lock, flags);

	r = ring_out(p, at, buf, 0, n);

	flags = spin_lock_irqsave(&p->lock);
	p->rd_busy = false;
	/* Writers and pollers wait only while there is less room than PIPE_BUF. */
	wake = !r && PIPE_SIZE - (p->head - p->tail) < PIPE_BUF;
	if (!r) {
		p->tail += (uint32_t)n;
		call_commit(); /* the bytes left the pipe */
	}
	contended = p->rd_contended;
	p->rd_contended = false;
	spin_unlock_irqrestore(&p->lock, flags);
	if (wake)
		wait_wake_all(&p->wr_wait);
	if (contended)
		wait_wake_all(&p->rd_wait);
	return r ? r : (ssize_t)n;
}

/*
 * Writes of up to PIPE_BUF bytes wait until they fit whole; longer ones
 * move what fits and wait for more. The count already moved survives in
 * the call's struct pipe_write_progress while the call waits, and is
 * released when it ends, so that writev's next pipe_write in the same call
 * starts afresh.
 */
static ssize_t pipe_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct pipe *p = f->private;
	struct wait *w = current_wait();
	struct pipe_write_progress *pw = progress_pipe_write(w);
	size_t len = buf->len, done = pw->done;
	bool nonblock = READ_ONCE(f->flags) & O_NONBLOCK;
	unsigned long flags;
	long r;

	(void)pos;
	if (done >= len)
		done = 0;
	if (!READ_ONCE(p->buf) && (r = pipe_alloc_ring(p)))
		return r;
	flags = spin_lock_irqsave(&p->lock);
	for (;;) {
		bool contended, wake;
		size_t room, n;
		uint32_t at;
		int err;

		if (!p->readers) {
			spin_unlock_irqrestore(&p->lock, flags);
			if (current_thread()->user)
				signal_self(SIGPIPE);
			r = done ? (long)done : -EPIPE;
			break;
		}
		room = PIPE_SIZE - (p->head - p->tail);
		if (p->wr_busy || room < (len <= PIPE_BUF ? len : 1)) {
			if (!p->wr_busy && nonblock) {
				spin_unlock_irqrestore(&p->lock, flags);
				r = done ? (long)done : -EAGAIN;
				break;
			}
			if (p->wr_busy)
				p->wr_contended = true;
			pw->done = done;
			call_progress_kept(); /* a new run skips what is in the pipe */
			w->partial = done;
			r = wait_on(&p->wr_wait);
			spin_unlock_irqrestore(&p->lock, flags);
			return r;
		}
		n = MIN(room, len - done);
		at = p->head;
		p->wr_busy = true;
		spin_unlock_irqrestore(&p->lock, flags);

		err = ring_in(p, at, buf, done, n);

		flags = spin_lock_irqsave(&p->lock);
		p->wr_busy = false;
		/* Readers and pollers wait only on empty; edge-triggered epolls see every write. */
		wake = !err && (p->head == p->tail || wait_has_callbacks(&p->rd_wait));
		if (!err)
			p->head += (uint32_t)n;
		contended = p->wr_contended;
		p->wr_contended = false;
		spin_unlock_irqrestore(&p->lock, flags);
		if (wake)
			wait_wake_all(&p->rd_wait);
		if (contended)
			wait_wake_all(&p->wr_wait);
		if (err) {
			r = done ? (long)done : err;
			break;
		}
		call_commit(); /* the bytes are in the pipe */
		done += n;
		if (done == len) {
			r = (long)done;
			break;
		}
		flags = spin_lock_irqsave(&p->lock);
	}
	progress_release_op(w);
	return r;
}

/*
 * Readable with bytes in the ring; POLLHUP once no writer is left (for a
 * FIFO reader opened with O_NONBLOCK before any writer, only after one has
 * come: f->pos keeps the writer count seen at open, as Linux's f_version).
 * Writable with room for PIPE_BUF bytes; POLLERR once no reader is left.
 */
static int pipe_poll(struct file *f, bool register_wait)
{
	struct pipe *p = f->private;
	bool rd = f->fmode & FMODE_READ, wr = f->fmode & FMODE_WRITE;
	unsigned long flags;
	uint32_t used;
	int mask = 0;

	if (register_wait) {
		if (rd && wait_add_source(&p->rd_wait))
			return -ENOMEM;
		if (wr && wait_add_source(&p->wr_wait))
			return -ENOMEM;
	}
	flags = spin_lock_irqsave(&p->lock);
	used = p->head - p->tail;
	if (rd) {
		if (used)
			mask |= POLLIN | POLLRDNORM;
		if (!p->writers && (uint64_t)READ_ONCE(f->pos) != p->w_counter)
			mask |= POLLHUP;
	}
	if (wr) {
		if (PIPE_SIZE - used >= PIPE_BUF)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return mask;
}

static int pipe_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	struct pipe *p = f->private;
	unsigned long flags;
	int n;

	if (cmd != FIONREAD)
		return -ENOTTY;
	flags = spin_lock_irqsave(&p->lock);
	n = (int)(p->head - p->tail);
	spin_unlock_irqrestore(&p->lock, flags);
	return copy_to_user(arg, &n, sizeof(n));
}

/* Whether a FIFO's pipe has no opener and no waiting opener left. */
static bool fifo_unused(struct pipe *p)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	bool r = !p->readers && !p->writers && !has_waiters(&p->rd_open) &&
		 !has_waiters(&p->wr_open);

	spin_unlock_irqrestore(&p->lock, flags);
	return r;
}

static void fifo_release(struct pipe *p, struct file *f)
{
	unsigned long flags = spin_lock_irqsave(&fifo_lock), pflags;
	bool last_reader = false, last_writer = false, unused;
	char *buf = NULL;

	pflags = spin_lock_irqsave(&p->lock);
	if (f->fmode & FMODE_READ)
		last_reader = --p->readers == 0;
	if (f->fmode & FMODE_WRITE)
		last_writer = --p->writers == 0;
	if (!p->readers && !p->writers) {
		buf = p->buf; /* the last opener went: the bytes go too */
		p->buf = NULL;
		p->head = p->tail = 0;
	}
	spin_unlock_irqrestore(&p->lock, pflags);
	unused = fifo_unused(p);
	if (unused) {
		list_del(&p->node);
	} else {
		/* Under fifo_lock: a later open cannot free p before these. */
		if (last_writer)
			wait_wake_all(&p->rd_wait);
		if (last_reader)
			wait_wake_all(&p->wr_wait);
	}
	spin_unlock_irqrestore(&fifo_lock, flags);
	kfree(buf);
	if (unused)
		pipe_free(p);
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->private;
	bool last_reader = false, last_writer = false;
	unsigned long flags;

	if (p->fifo) {
		fifo_release(p, f);
		return;
	}
	flags = spin_lock_irqsave(&p->lock);
	if (f->fmode & FMODE_READ)
		last_reader = --p->readers == 0;
	if (f->fmode & FMODE_WRITE)
		last_writer = --p->writers == 0;
	spin_unlock_irqrestore(&p->lock, flags);
	if (last_writer)
		wait_wake_all(&p->rd_wait); /* end of file */
	if (last_reader)
		wait_wake_all(&p->wr_wait); /* EPIPE */
}

/* Opens of a pipefs inode: pipe_create's two ends, or /proc/PID/fd/N of a pipe. */
static int pipe_open(struct inode *inode, struct file *f)
{
	struct pipe *p = inode->private;
	unsigned long flags = spin_lock_irqsave(&p->lock);

	if (f->fmode & FMODE_READ) {
		p->readers++;
		p->r_counter++;
	}
	if (f->fmode & FMODE_WRITE) {
		p->writers++;
		p->w_counter++;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	f->private = p;
	f->fmode |= FMODE_STREAM;
	return 0;
}

/*
 * Counts in every opener waiting on src (readers when readers is true)
 * and wakes it: run again, its open finds the grant and completes. The
 * caller holds p->lock.
 */
static void grant_waiters(struct pipe *p, struct wait_source *src, bool readers)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);

	assert_held(&p->lock);
	while (!list_empty(&src->waiters)) {
		struct wait_link *l = list_first_entry(&src->waiters, struct wait_link, node);

		struct fifo_open_progress *fo = progress_fifo_open(l->wait);

		fo->pipe = p;
		fo->granted = true;
		if (readers) {
			p->readers++;
			p->r_counter++;
		} else {
			p->writers++;
			p->w_counter++;
		}
		wait_wake_locked(l);
	}
	spin_unlock_irqrestore(&src->lock, flags);
}

/* The pipe of a FIFO inode, or NULL; frees unused pipes it passes. Holds fifo_lock. */
static struct pipe *fifo_find_locked(struct inode *inode)
{
	struct pipe *p, *next, *found = NULL;

	assert_held(&fifo_lock);
	list_for_each_entry_safe (p, next, &fifos, node) {
		if (p->inode == inode && p->ino == inode->ino)
			found = p;
		else if (fifo_unused(p)) {
			list_del(&p->node);
			pipe_free(p);
		}
	}
	return found;
}

/*
 * Linux's FIFO open: for reading, waits for a writer unless O_NONBLOCK;
 * for writing, waits for a reader, or fails with -ENXIO under O_NONBLOCK;
 * O_RDWR never waits. An opener waiting on the other side counts as
 * present. The wait is a stackless one: the open returns -EWAIT (the VFS
 * drops the half-made file) and the whole call runs again when woken.
 */
static int fifo_open(struct inode *inode, struct file *f)
{
	struct wait *w = current_wait();
	bool rd = f->fmode & FMODE_READ, wr = f->fmode & FMODE_WRITE;
	bool nonblock = f->flags & O_NONBLOCK;
	struct pipe *p, *spare = NULL;
	unsigned long flags, pflags;
	long r = 0;

	if (!rd && !wr)
		return -EINVAL;
	for (;;) {
		flags = spin_lock_irqsave(&fifo_lock);
		p = fifo_find_locked(inode);
		if (p || spare)
			break;
		spin_unlock_irqrestore(&fifo_lock, flags);
		spare = pipe_alloc();
		if (!spare)
			return -ENOMEM;
	}
	if (!p) {
		p = spare;
		spare = NULL;
		p->fifo = true;
		p->inode = inode;
		p->ino = inode->ino;
		list_add_tail(&p->node, &fifos);
	}
	pflags = spin_lock_irqsave(&p->lock);
	struct fifo_open_progress *fo = progress_fifo_open(w);

	if (fo->granted && fo->pipe == p) {
		/* The other side counted us in while we waited. */
	} else if (rd && !wr && !p->writers && !has_waiters(&p->wr_open)) {
		if (nonblock) {
			p->readers++;
			p->r_counter++;
			f->pos = p->w_counter; /* no POLLHUP before a writer came */
		} else {
			fo->pipe = p;
			r = wait_on(&p->rd_open);
		}
	} else if (wr && !rd && !p->readers && !has_waiters(&p->rd_open)) {
		if (nonblock) {
			r = -ENXIO;
		} else {
			fo->pipe = p;
			r = wait_on(&p->wr_open);
		}
	} else {
		if (rd) {
			p->readers++;
			p->r_counter++;
			grant_waiters(p, &p->wr_open, false);
		}
		if (wr) {
			p->writers++;
			p->w_counter++;
			grant_waiters(p, &p->rd_open, true);
		}
	}
	spin_unlock_irqrestore(&p->lock, pflags);
	if (!r) {
		progress_release_op(w);
		f->private = p;
		f->fops = &pipe_fops;
		f->fmode |= FMODE_STREAM;
	} else if (r == -ENXIO && fifo_unused(p)) {
		list_del(&p->node);
		pipe_free(p);
	}
	spin_unlock_irqrestore(&fifo_lock, flags);
	if (spare)
		pipe_free(spare);
	return (int)r;
}

static const struct file_ops pipe_fops = {
	.open = pipe_open,
	.read = pipe_read,
	.write = pipe_write,
	.lseek = no_lseek,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.poll = pipe_poll,
};

const struct file_ops fifo_fops = {
	.open = fifo_open,
};

/* pipefs: the internal file system of anonymous pipes' inodes (never mounted). */
static void pipefs_evict(struct inode *inode)
{
	if (inode->private)
		pipe_free(inode->private);
}

static const struct super_ops pipefs_super_ops = { .evict_inode = pipefs_evict };
static const struct inode_ops pipefs_inode_ops = { .setattr = inode_setattr_no_size };
static struct fs_type pipefs_type = { .name = "pipefs" };
static struct super_block *pipefs_sb_ptr; /* [I] made at init */

static struct super_block *pipefs_sb(void)
{
	struct super_block *sb = __atomic_load_n(&pipefs_sb_ptr, __ATOMIC_ACQUIRE),
			   *expected = NULL;

	if (sb)
		return sb;
	sb = super_alloc(&pipefs_type, &pipefs_super_ops);
	if (!sb)
		return NULL;
	if (!__atomic_compare_exchange_n(&pipefs_sb_ptr, &expected, sb, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		kfree(sb);
		sb = expected;
	}
	return sb;
}

int pipe_create(unsigned flags, struct file **rd, struct file **wr)
{
	struct super_block *sb = pipefs_sb();
	struct inode *inode;
	struct dentry *d;
	struct pipe *p;
	int r;

	if (!sb || !(p = pipe_alloc()))
		return -ENOMEM;
	inode = inode_alloc(sb, S_IFIFO | 0600);
	if (!inode) {
		pipe_free(p);
		return -ENOMEM;
	}
	inode_init_owner(inode, NULL); /* the creator's, as Linux */
	inode->iops = &pipefs_inode_ops;
	inode->fops = &pipe_fops;
	inode->private = p;
	d = d_alloc_root(inode);
	if (!d) {
		inode_put(inode); /* frees the pipe */
		return -ENOMEM;
	}
	r = vfs_open_dentry(d, O_RDONLY | (flags & O_NONBLOCK), rd);
	if (!r) {
		r = vfs_open_dentry(d, O_WRONLY | (flags & O_NONBLOCK), wr);
		if (r)
			file_put(*rd);
	}
	dentry_put(d); /* the files hold it */
	return r;
}

/* Not with the rest of the VFS: poll's file side lives here (docs/files.md). */
int vfs_poll(struct file *f, bool register_wait)
{
	if (f->fmode & FMODE_PATH)
		return POLLNVAL;
	return f->fops->poll ? f->fops->poll(f, register_wait) : DEFAULT_POLLMASK;
}
