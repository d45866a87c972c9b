/*
 * signalfd (include/fs/event.h, docs/events.md): the signals of a mask
 * that are pending for the reading thread (its own or its process's), read
 * as struct signalfd_siginfo records; reading one takes it, as
 * rt_sigtimedwait does (signal_take). The signals are normally blocked, so
 * they wait for the reader instead of being delivered.
 *
 * What a signalfd shows depends on who looks (Linux's rule: the reading or
 * polling thread), so it has no wait source of its own: every signalfd
 * waiter (a blocked read, poll, an epoll callback) waits on the one source
 * below, and every signal queued anywhere (kernel/signal.c calls
 * signalfd_notify after queueing) wakes them all when any waits; each
 * looks again. Signals are rare next to other events, and nothing is done
 * when no one waits.
 *
 * Ordering: a reader registers, then looks (under the process lock); a
 * sender queues (under the process lock), then looks for waiters. Either
 * the reader sees the signal or the sender sees the reader.
 */
#include <fs/event.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

#define UNBLOCKABLE (sigbit(SIGKILL) | sigbit(SIGSTOP))

/* Lock key: (a) atomic. */
struct signalfd {
	uint64_t mask; /* (a) */
};

static struct wait_source sources = { .lock = SPINLOCK_INIT("signalfd"),
				      .waiters = LIST_HEAD_INIT(sources.waiters) };
static const struct file_ops signalfd_fops;

void signalfd_notify(void)
{
	if (READ_ONCE(sources.waiters.next) != &sources.waiters)
		wait_wake_all(&sources);
}

static void to_ssi(struct signalfd_siginfo *s, const struct ksiginfo *k)
{
	memset(s, 0, sizeof(*s));
	s->ssi_signo = (uint32_t)k->signo;
	s->ssi_errno = k->err;
	s->ssi_code = k->code;
	s->ssi_pid = (uint32_t)k->pid;
	s->ssi_uid = k->uid;
	s->ssi_status = k->status;
	s->ssi_int = (int32_t)k->value;
	s->ssi_ptr = k->value;
	s->ssi_addr = k->addr;
	if (k->code == SI_TIMER) {
		s->ssi_tid = (uint32_t)k->timerid;
		s->ssi_overrun = (uint32_t)k->overrun;
	}
}

/* Takes one signal of the mask for the caller: 1, or 0 if none is pending. */
static int take_one(struct signalfd *s, struct signalfd_siginfo *out)
{
	struct ksiginfo k;

	if (signal_take(current_thread(), __atomic_load_n(&s->mask, __ATOMIC_RELAXED), &k) <= 0)
		return 0;
	to_ssi(out, &k);
	return 1;
}

/* None pending: EAGAIN, or registered on the source and looked again (1 if one came). */
static long wait_for_one(struct file *f, struct signalfd_siginfo *out)
{
	unsigned long flags;

	if (f->flags & O_NONBLOCK)
		return -EAGAIN;
	flags = spin_lock_irqsave(&sources.lock);
	wait_block_locked(&sources, 0);
	spin_unlock_irqrestore(&sources.lock, flags);
	if (!take_one(f->private, out))
		return -EWAIT;
	wait_detach(current_wait());
	return 1;
}

static ssize_t signalfd_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct signalfd_siginfo ssi;
	size_t n = buf->len / sizeof(ssi), done = 0;
	long r;

	(void)pos;
	if (!n)
		return -EINVAL;
	r = take_one(f->private, &ssi);
	if (!r && (r = wait_for_one(f, &ssi)) < 0)
		return r;
	call_commit(); /* a signal is taken */
	for (;;) {
		if (iobuf_write(buf, done * sizeof(ssi), &ssi, sizeof(ssi)))
			return done ? (ssize_t)(done * sizeof(ssi)) : -EFAULT;
		if (++done == n || !take_one(f->private, &ssi))
			return (ssize_t)(done * sizeof(ssi));
	}
}

static int signalfd_poll(struct file *f, bool register_wait)
{
	struct signalfd *s = f->private;

	if (register_wait && wait_add_source(&sources))
		return -ENOMEM;
	return signal_pending_in(current_thread(), __atomic_load_n(&s->mask, __ATOMIC_RELAXED))
		       ? POLLIN | POLLRDNORM
		       : 0;
}

static void signalfd_release(struct file *f)
{
	kfree(f->private);
}

static const struct file_ops signalfd_fops = {
	.read = signalfd_read,
	.release = signalfd_release,
	.poll = signalfd_poll,
};

bool is_signalfd(struct file *f)
{
	return f->fops == &signalfd_fops;
}

void signalfd_set_mask(struct file *f, uint64_t mask)
{
	struct signalfd *s = f->private;

	__atomic_store_n(&s->mask, mask & ~UNBLOCKABLE, __ATOMIC_RELAXED);
	signalfd_notify(); /* pending signals of the new mask: waiters look again */
}

int signalfd_create(uint64_t mask, int flags, struct file **out)
{
	struct signalfd *s = kzalloc(sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->mask = mask & ~UNBLOCKABLE;
	r = anon_file_create("anon_inode:[signalfd]", &signalfd_fops, s,
			     O_RDWR | (flags & SFD_NONBLOCK), out);
	if (r)
		kfree(s);
	return r;
}
