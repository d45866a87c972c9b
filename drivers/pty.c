/*
 * Pseudo-terminals (include/drivers/pty.h, docs/tty.md). An open of
 * /dev/ptmx (5,2) makes a pair and returns its master; the slave is
 * /dev/pts/N (136,N), a tty of the tty layer with the one line discipline
 * the console uses (drivers/tty.c): canonical mode, echo, signals, job
 * control and controlling terminals work on it as on the console.
 *
 * Data. What the master writes is the slave's input: tty_receive, after
 * tty_receive_wait has said how much fits (a full input queue makes the
 * master's write wait on the tty's wait source; the read that makes room
 * unthrottles the driver, whose throttle op wakes it). What the slave's
 * line discipline outputs (writes, echoes) goes through the tty's write
 * op into the master's queue, a ring of PTY_OUT_SIZE bytes; the slave's
 * writes wait for room there (write_room), echoes that find none are
 * lost. Both kinds of wait are the stackless ones of include/kernel/wait.h.
 *
 * The master's read takes from its ring; in packet mode (TIOCPKT) each
 * read starts with a status byte: TIOCPKT_DATA before data, or alone the
 * flush, stop and start events and the changes of ^S/^Q flow control
 * (NOSTOP, DOSTOP) the slave's line discipline reported (its ctrl op).
 *
 * Life. A new pair is locked (TIOCSPTLCK; unlockpt clears it) and its
 * node appears in devpts. A slave's open by a session leader without a
 * controlling terminal makes it that (unless O_NOCTTY). The master's close
 * hangs the slave up (tty_hangup: its session leader gets SIGHUP and
 * SIGCONT, reads give 0, writes -EIO) and removes the node; the last
 * close of the slave makes the master's reads end with -EIO once its
 * queue is empty, and its poll report POLLHUP. The pair goes when both
 * sides are closed; its tty leaves every process that had it as
 * controlling terminal (tty_release).
 *
 * Pairs are never returned to kmalloc: a freed pair goes to a pool and is
 * reused as a pair, its wait sources intact, so that a thread still
 * unlinking a registration from one of them (wait_detach on another CPU)
 * finds a lock and an empty list, as with pipes (fs/pipe.c).
 *
 * Locks: pty_lock (the table of pairs and the pool), then a pair's
 * master.lock (the ring and the counts). The tty's locks come before
 * master.lock (the write and ctrl ops run under them); master.lock is
 * never held while a tty lock is taken.
 */
#include <kernel/cred.h>
#include <drivers/pty.h>
#include <drivers/tty.h>
#include <fs/devfs.h>
#include <fs/fdtable.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <lib/compiler.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

#define PTY_OUT_SIZE 8192 /* the master's queue; a power of 2 */
#define OUT_MASK     (PTY_OUT_SIZE - 1)
#define CHUNK	     256 /* bytes a master's read or write moves per step, on the stack */

/* Lock key: (m) master.lock, (p) pty_lock, (c) constant while in use. */
struct pty {
	struct tty tty;		   /* the slave: the line discipline, its own locks */
	struct wait_source master; /* master's readers, slave writers waiting for room */
	int index;		   /* (c) N of /dev/pts/N */
	char name[16];		   /* (c) "pts/N" */
	unsigned masters, slaves;  /* (m) open files of each side; (p) too to reach 0 */
	bool locked;		   /* (m) TIOCSPTLCK: the slave does not open */
	bool slave_closed;	   /* (m) the slave was open, and all its files are closed */
	bool packet;		   /* (m) TIOCPKT */
	uint8_t pkt_status;	   /* (m) TIOCPKT_* events the master has not read */
	uint32_t head, tail;	   /* (m) bytes put in and taken from the ring, ever */
	uint32_t gen;		   /* (m) bumped whenever tail moves */
	struct list_head node;	   /* (p) on the pool */
	uint8_t buf[PTY_OUT_SIZE]; /* (m) the ring: [tail, head) */
};

static spinlock_t pty_lock = SPINLOCK_INIT("ptys");
static struct pty *ptys[PTY_MAX]; /* (pty_lock) pairs in use, by index */
static LIST_HEAD(pool);		  /* (pty_lock) freed pairs */

static const struct file_ops master_fops;
static const struct file_ops slave_fops;

static struct pty *tty_pty(struct tty *tty)
{
	return container_of(tty, struct pty, tty);
}

static uint32_t out_queued(const struct pty *p)
{
	return p->head - p->tail;
}

/* ---- the slave's driver ops (called by the tty layer) ---- */

/* The line discipline's output into the master's ring; what finds no room is lost (echoes). */
static void slave_write(struct tty *tty, const char *buf, size_t n)
{
	struct pty *p = tty_pty(tty);
	unsigned long flags = spin_lock_irqsave(&p->master.lock);
	size_t room = PTY_OUT_SIZE - out_queued(p);
	bool wake;

	n = MIN(n, room);
	for (size_t i = 0; i < n; i++)
		p->buf[(p->head + i) & OUT_MASK] = (uint8_t)buf[i];
	wake = n && (out_queued(p) == 0 || wait_has_callbacks(&p->master));
	p->head += (uint32_t)n;
	spin_unlock_irqrestore(&p->master.lock, flags);
	if (wake)
		wait_wake_all(&p->master); /* master readers wait only on empty */
}

static long slave_write_room(struct tty *tty, size_t need, unsigned f_flags)
{
	struct pty *p = tty_pty(tty);
	unsigned long flags = spin_lock_irqsave(&p->master.lock);
	long room = PTY_OUT_SIZE - (long)out_queued(p);

	if (!p->masters)
		room = -EIO;
	else if ((size_t)room < need)
		room = (f_flags & O_NONBLOCK) ? -EAGAIN : wait_block_locked(&p->master, 0);
	spin_unlock_irqrestore(&p->master.lock, flags);
	return room;
}

static int slave_poll_out(struct tty *tty, bool register_wait)
{
	struct pty *p = tty_pty(tty);
	unsigned long flags;
	int mask = 0;

	if (register_wait && wait_add_source(&p->master))
		return -ENOMEM;
	flags = spin_lock_irqsave(&p->master.lock);
	if (out_queued(p) < PTY_OUT_SIZE)
		mask = POLLOUT | POLLWRNORM;
	spin_unlock_irqrestore(&p->master.lock, flags);
	return mask;
}

/* Master writers wait on the tty's source for room in its input queue. Tty's lock held. */
static void slave_throttle(struct tty *tty, bool stop)
{
	if (!stop)
		wait_wake_all_locked(&tty->wait, 0);
}

/* A packet-mode event for the master; with the tty's lock held. */
static void slave_ctrl(struct tty *tty, int status)
{
	struct pty *p = tty_pty(tty);
	unsigned long flags = spin_lock_irqsave(&p->master.lock);
	bool packet = p->packet;

	if (packet) {
		if (status & (TIOCPKT_NOSTOP | TIOCPKT_DOSTOP))
			p->pkt_status &= (uint8_t) ~(TIOCPKT_NOSTOP | TIOCPKT_DOSTOP);
		if (status & TIOCPKT_STOP)
			p->pkt_status &= (uint8_t)~TIOCPKT_START;
		if (status & TIOCPKT_START)
			p->pkt_status &= (uint8_t)~TIOCPKT_STOP;
		p->pkt_status |= (uint8_t)status;
	}
	spin_unlock_irqrestore(&p->master.lock, flags);
	if (packet)
		wait_wake_all(&p->master);
}

static void flush_ring(struct pty *p)
{
	unsigned long flags = spin_lock_irqsave(&p->master.lock);

	p->tail = p->head;
	p->gen++;
	spin_unlock_irqrestore(&p->master.lock, flags);
	wait_wake_all(&p->master); /* slave writers waiting for room */
}

/* TCOFLUSH on the slave: what it wrote and the master has not read goes. */
static void slave_flush_output(struct tty *tty)
{
	struct pty *p = tty_pty(tty);

	flush_ring(p);
	slave_ctrl(tty, TIOCPKT_FLUSHWRITE);
}

static int slave_reopen(struct tty *tty, struct file *f);

static const struct tty_ops slave_tty_ops = {
	.write = slave_write,
	.throttle = slave_throttle,
	.write_room = slave_write_room,
	.poll_out = slave_poll_out,
	.flush_output = slave_flush_output,
	.ctrl = slave_ctrl,
	.reopen = slave_reopen,
};

/* ---- pairs ---- */

static struct pty *pty_alloc(void)
{
	unsigned long flags = spin_lock_irqsave(&pty_lock);
	struct pty *p = NULL;

	if (!list_empty(&pool)) {
		p = list_first_entry(&pool, struct pty, node);
		list_del(&p->node);
	}
	spin_unlock_irqrestore(&pty_lock, flags);
	if (p) {
		tty_reuse(&p->tty);
	} else {
		p = kzalloc(sizeof(*p));
		if (!p)
			return NULL;
		tty_init(&p->tty, p->name, &slave_tty_ops, p);
		wait_source_init(&p->master, "pty");
	}
	p->tty.winsize = (struct winsize){ 0 }; /* unknown until the master sets it, as Linux */
	return p;
}

/* A new pair in the table, locked, with its master open; -ENOSPC when all are in use. */
static int pty_create(struct pty **out)
{
	struct pty *p = pty_alloc();
	unsigned long flags;
	int index = -1;

	if (!p)
		return -ENOMEM;
	flags = spin_lock_irqsave(&pty_lock);
	for (int i = 0; i < PTY_MAX && index < 0; i++)
		if (!ptys[i])
			index = i;
	if (index >= 0) {
		p->index = index;
		snprintf(p->name, sizeof(p->name), "pts/%d", index);
		p->tty.dev = MKDEV(PTY_SLAVE_MAJOR + index / 256, index % 256);
		p->masters = 1;
		p->slaves = 0;
		p->locked = true;
		p->slave_closed = p->packet = false;
		p->pkt_status = 0;
		p->head = p->tail = 0;
		ptys[index] = p;
	} else {
		list_add(&p->node, &pool);
	}
	spin_unlock_irqrestore(&pty_lock, flags);
	if (index < 0)
		return -ENOSPC;
	tty_register(&p->tty);
	*out = p;
	return 0;
}

/* Both sides are closed: the pair leaves the table and its tty every process. */
static void pty_free(struct pty *p)
{
	unsigned long flags;

	tty_release(&p->tty);
	wait_wake_all(&p->tty.wait);
	wait_wake_all(&p->master);
	flags = spin_lock_irqsave(&pty_lock);
	ptys[p->index] = NULL;
	list_add(&p->node, &pool);
	spin_unlock_irqrestore(&pty_lock, flags);
}

/* One side's file closes; true when the pair has no file left. */
static bool pty_close_side(struct pty *p, bool master)
{
	unsigned long flags = spin_lock_irqsave(&pty_lock), mflags;
	bool last;

	mflags = spin_lock_irqsave(&p->master.lock);
	if (master)
		p->masters--;
	else if (!--p->slaves)
		p->slave_closed = true;
	last = !p->masters && !p->slaves;
	spin_unlock_irqrestore(&p->master.lock, mflags);
	spin_unlock_irqrestore(&pty_lock, flags);
	return last;
}

/* ---- the master ---- */

static int ptmx_open(struct inode *inode, struct file *f)
{
	struct pty *p;
	int r = pty_create(&p);

	(void)inode;
	if (r)
		return r;
	devpts_add(p->index, current_cred()->fsuid);
	f->private = p;
	f->fops = &master_fops;
	f->fmode |= FMODE_STREAM;
	return 0;
}

static void master_release(struct file *f)
{
	struct pty *p = f->private;

	devpts_remove(p->index);
	tty_hangup(&p->tty);
	wait_wake_all(&p->master); /* slave writers: -EIO */
	if (pty_close_side(p, true))
		pty_free(p);
}

/* The packet-mode status byte to return alone, or -1. Caller holds master.lock. */
static int take_status(struct pty *p)
{
	int st = p->pkt_status;

	if (!p->packet || !st)
		return -1;
	p->pkt_status = 0;
	return st;
}

/* Nothing to read: end (-EIO once the slave is closed), -EAGAIN or -EWAIT. Lock held. */
static long master_empty(struct pty *p, unsigned f_flags)
{
	assert_held(&p->master.lock);
	if (p->slave_closed)
		return -EIO;
	if (f_flags & O_NONBLOCK)
		return -EAGAIN;
	return wait_block_locked(&p->master, 0);
}

static ssize_t master_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct pty *p = f->private;
	uint8_t bounce[CHUNK];
	size_t prefix = 0, done = 0;

	(void)pos;
	if (!buf->len)
		return 0;
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&p->master.lock);
		uint32_t gen = p->gen, n = out_queued(p);
		int st = done ? -1 : take_status(p);
		long r;

		if (st >= 0 || (!n && done)) {
			spin_unlock_irqrestore(&p->master.lock, flags);
			if (st < 0)
				return (ssize_t)done;
			bounce[0] = (uint8_t)st;
			return iobuf_write(buf, 0, bounce, 1) ? -EFAULT : 1;
		}
		if (!n) {
			r = master_empty(p, READ_ONCE(f->flags));
			spin_unlock_irqrestore(&p->master.lock, flags);
			return r;
		}
		if (!done && p->packet)
			prefix = 1; /* TIOCPKT_DATA */
		n = MIN(n, (uint32_t)MIN(sizeof(bounce), buf->len - done - prefix));
		for (uint32_t i = 0; i < n; i++)
			bounce[i] = p->buf[(p->tail + i) & OUT_MASK];
		spin_unlock_irqrestore(&p->master.lock, flags);
		if ((prefix && !done && iobuf_zero(buf, 0, 1)) ||
		    iobuf_write(buf, done + prefix, bounce, n))
			return done ? (ssize_t)(done + prefix) : -EFAULT;
		flags = spin_lock_irqsave(&p->master.lock);
		if (p->gen != gen) { /* another reader or a flush came first */
			spin_unlock_irqrestore(&p->master.lock, flags);
			continue;
		}
		p->tail += n;
		p->gen++;
		spin_unlock_irqrestore(&p->master.lock, flags);
		wait_wake_all(&p->master); /* slave writers waiting for room */
		call_commit();		   /* the bytes left the ring */
		done += n;
		if (prefix || done == buf->len) /* a packet is one step */
			return (ssize_t)(done + prefix);
	}
}

/* A master's write: the slave's input, waiting while its queue is full. */
static ssize_t master_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct pty *p = f->private;
	struct wait *w = current_wait();
	struct tty_write_progress *tw = progress_tty_write(w);
	unsigned f_flags = READ_ONCE(f->flags);
	uint8_t in[CHUNK];
	size_t done = tw->done >= buf->len ? 0 : tw->done;
	long r = 0;

	(void)pos;
	while (done < buf->len) {
		size_t n = MIN(sizeof(in), buf->len - done);

		r = tty_receive_wait(&p->tty, f_flags);
		if (r < 0)
			break;
		n = MIN(n, (size_t)r);
		if (iobuf_read(in, buf, done, n)) {
			r = -EFAULT;
			break;
		}
		tty_receive(&p->tty, in, n);
		call_commit(); /* the slave has the bytes */
		done += n;
		r = 0;
	}
	if (r == -EWAIT) {
		tw->done = done;
		call_progress_kept(); /* a new run skips what the slave has */
		w->partial = (int64_t)done;
		return r;
	}
	progress_release_op(w);
	return done ? (ssize_t)done : r;
}

static int master_poll(struct file *f, bool register_wait)
{
	struct pty *p = f->private;
	unsigned long flags;
	int mask = 0;

	if (register_wait && (wait_add_source(&p->master) || wait_add_source(&p->tty.wait)))
		return -ENOMEM;
	if (tty_receive_wait(&p->tty, O_NONBLOCK) > 0)
		mask |= POLLOUT | POLLWRNORM;
	flags = spin_lock_irqsave(&p->master.lock);
	if (out_queued(p) || (p->packet && p->pkt_status))
		mask |= POLLIN | POLLRDNORM;
	if (p->slave_closed)
		mask |= POLLHUP;
	spin_unlock_irqrestore(&p->master.lock, flags);
	return mask;
}

static int put_int(uintptr_t arg, int v)
{
	return copy_to_user(arg, &v, sizeof(v));
}

/* TIOCSPTLCK, TIOCPKT: an int flag of the pair. */
static int set_flag(struct pty *p, uintptr_t arg, bool packet)
{
	unsigned long flags;
	int v;

	if (copy_from_user(&v, arg, sizeof(v)))
		return -EFAULT;
	flags = spin_lock_irqsave(&p->master.lock);
	if (packet) {
		if (v && !p->packet)
			p->pkt_status = 0;
		p->packet = v != 0;
	} else {
		p->locked = v != 0;
	}
	spin_unlock_irqrestore(&p->master.lock, flags);
	return 0;
}

/*
 * The slave's node: /dev/pts/N of the caller's root when it is that node
 * (Linux takes the devpts beside the ptmx opened, which is that one for
 * /dev/ptmx), else the one of the first devpts mounted. Referenced.
 */
static int peer_node(struct pty *p, struct dentry **out)
{
	char path[32];
	struct dentry *d;

	snprintf(path, sizeof(path), "/dev/pts/%d", p->index);
	if (!vfs_lookup(NULL, path, LOOKUP_FOLLOW, &d)) {
		if (S_ISCHR(d->inode->mode) && d->inode->rdev == p->tty.dev) {
			*out = d;
			return 0;
		}
		dentry_put(d);
	}
	return devpts_lookup(p->index, out);
}

/* TIOCGPTPEER: the slave opened as a new descriptor (flags: open's), without a path. */
static int open_peer(struct pty *p, uintptr_t arg)
{
	struct dentry *d;
	struct file *sf;
	int flags = (int)arg, r = peer_node(p, &d);

	if (r)
		return r;
	r = vfs_open_dentry(d, flags, &sf);
	dentry_put(d);
	if (r)
		return r;
	r = fd_install(current_proc()->fds, sf, flags & O_CLOEXEC);
	if (r < 0)
		file_put(sf);
	return r;
}

static int master_flush(struct pty *p, uintptr_t arg)
{
	if (arg != TCIFLUSH && arg != TCOFLUSH && arg != TCIOFLUSH)
		return -EINVAL;
	if (arg != TCOFLUSH)
		flush_ring(p); /* the master's input: what the slave wrote */
	if (arg != TCIFLUSH)
		tty_flush_input(&p->tty); /* its output: the slave's input */
	return 0;
}

/* The master's own ioctls; the others act on the slave's tty, as Linux's pty master. */
static int master_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	struct pty *p = f->private;
	unsigned long flags;
	int v;

	switch (cmd) {
	case TIOCGPTN:
		return put_int(arg, p->index);
	case TIOCSPTLCK:
		return set_flag(p, arg, false);
	case TIOCPKT:
		return set_flag(p, arg, true);
	case TIOCGPTLCK:
	case TIOCGPKT:
	case FIONREAD:
		flags = spin_lock_irqsave(&p->master.lock);
		v = cmd == TIOCGPTLCK ? p->locked
		    : cmd == TIOCGPKT ? p->packet
				      : (int)out_queued(p);
		spin_unlock_irqrestore(&p->master.lock, flags);
		return put_int(arg, v);
	case TIOCGPTPEER:
		return open_peer(p, arg);
	case TCFLSH:
		return master_flush(p, arg);
	case TIOCGPGRP:
	case TIOCGSID:
		/* The slave's, for anyone with the master (tcgetpgrp of a terminal emulator). */
		flags = spin_lock_irqsave(&p->tty.wait.lock);
		v = cmd == TIOCGPGRP ? p->tty.pgrp : p->tty.session;
		spin_unlock_irqrestore(&p->tty.wait.lock, flags);
		return cmd == TIOCGSID && !v ? -ENOTTY : put_int(arg, v);
	default:
		return tty_ioctl(&p->tty, f->fmode, cmd, arg);
	}
}

static const struct file_ops master_fops = {
	.read = master_read,
	.write = master_write,
	.lseek = no_lseek,
	.ioctl = master_ioctl,
	.poll = master_poll,
	.release = master_release,
};

static const struct file_ops ptmx_fops = { .open = ptmx_open };

/* ---- the slave ---- */

/* Opens the slave of pair index as f (expect: the pair /dev/tty named, or NULL). */
static int slave_attach(uint32_t index, const struct pty *expect, struct file *f)
{
	unsigned long flags = spin_lock_irqsave(&pty_lock), mflags;
	struct pty *p = index < PTY_MAX ? ptys[index] : NULL;
	int r = p && (!expect || p == expect) ? 0 : -EIO;

	if (p) {
		mflags = spin_lock_irqsave(&p->master.lock);
		if (!p->masters || p->locked) {
			r = -EIO;
		} else {
			p->slaves++;
			p->slave_closed = false;
		}
		spin_unlock_irqrestore(&p->master.lock, mflags);
	}
	spin_unlock_irqrestore(&pty_lock, flags);
	if (r)
		return r;
	f->private = p;
	f->fops = &slave_fops;
	f->fmode |= FMODE_STREAM;
	return 0;
}

/* An open of /dev/pts/N (136,N): -EIO while locked or once the master is gone. */
static int slave_open(struct inode *inode, struct file *f)
{
	uint32_t index = MINOR(inode->rdev) + (MAJOR(inode->rdev) - PTY_SLAVE_MAJOR) * 256;
	int r = slave_attach(index, NULL, f);

	if (!r)
		tty_open_ctty(&((struct pty *)f->private)->tty, f->fmode);
	return r;
}

/* /dev/tty of a process whose controlling terminal is this slave. */
static int slave_reopen(struct tty *tty, struct file *f)
{
	struct pty *p = tty_pty(tty);

	return slave_attach((uint32_t)READ_ONCE(p->index), p, f);
}

static void slave_release(struct file *f)
{
	struct pty *p = f->private;

	if (pty_close_side(p, false))
		pty_free(p);
	else
		wait_wake_all(&p->master); /* the master may see the end */
}

static ssize_t slave_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct pty *p = f->private;

	(void)pos;
	return tty_read(&p->tty, buf, READ_ONCE(f->flags));
}

static ssize_t slave_write_file(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct pty *p = f->private;

	(void)pos;
	return tty_write(&p->tty, buf, READ_ONCE(f->flags));
}

static int slave_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	struct pty *p = f->private;

	switch (cmd) {
	case TIOCGPTN:
	case TIOCSPTLCK:
	case TIOCGPTLCK:
	case TIOCPKT:
	case TIOCGPKT:
		return -ENOTTY;
	case TIOCGPTPEER:
		return -EIO; /* as Linux: not a master */
	default:
		return tty_ioctl(&p->tty, f->fmode, cmd, arg);
	}
}

static int slave_poll(struct file *f, bool register_wait)
{
	struct pty *p = f->private;

	return tty_poll(&p->tty, register_wait);
}

static const struct file_ops slave_fops = {
	.open = slave_open,
	.read = slave_read,
	.write = slave_write_file,
	.lseek = no_lseek,
	.ioctl = slave_ioctl,
	.poll = slave_poll,
	.release = slave_release,
};

void pty_init(void)
{
	devfs_register_chrdev(5, 2, "ptmx", 0666, &ptmx_fops);
	devfs_register_chrdev_major(PTY_SLAVE_MAJOR, "pts", &slave_fops);
	devpts_init();
}
