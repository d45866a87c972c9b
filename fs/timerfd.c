/*
 * timerfd (include/fs/event.h, docs/events.md): a timer whose
 * expirations are read as a 64-bit count.
 *
 * The timer keeps the clock_ns() time of its next expiry not yet counted
 * (next, 0: disarmed) and its period. Expirations are counted lazily by
 * catch_up(): when next has passed, a one-shot timer counts 1 and
 * disarms, a periodic one counts every period that passed (the overruns)
 * and moves next past now. A kernel timer (kernel/timer.c) armed for next
 * calls catch_up from the tick and wakes the readers, pollers and epoll
 * callbacks on the file's wait source; reads, polls and gettime call it
 * too, so the count is right whenever it is looked at. A period shorter
 * than the tick costs one wake-up per tick, not one per period.
 *
 * Clocks: CLOCK_MONOTONIC and CLOCK_BOOTTIME are clock_ns() (Axolotl does
 * not suspend); CLOCK_REALTIME is clock_ns() plus an offset
 * (kernel/clock.c), so an absolute time becomes a clock_ns() one at
 * settime, which records the offset it used; the _ALARM clocks behave as
 * their base clocks. A real-time timerfd has a clock-set hook: when the
 * clock is set (the offset changes), an absolute timer's next moves by the
 * change (forward past its time: it fires at once; back: later), a
 * relative one stays, and one armed with TFD_TIMER_ABSTIME |
 * TFD_TIMER_CANCEL_ON_SET is cancelled: the next read returns ECANCELED
 * once (and takes the count), poll says readable until then. As on Linux
 * the mark stays until the next settime (each later change cancels again)
 * and the timer stays armed for its wall-clock time.
 *
 * Lock order: the clock's hook list, then the source's lock, then the
 * timer list's ("ktimers"). The kernel timer is cancelled without the
 * source's lock (ktimer_cancel waits for a running timer function, which
 * takes it).
 */
#include <fs/event.h>
#include <kernel/clock.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

/* Lock key: (s) src->lock, (c) constant. */
struct timerfd {
	struct wait_source *src;    /* (c) from the pool */
	struct ktimer timer;	    /* its own lock */
	int clockid;		    /* (c) */
	uint64_t next;		    /* (s) clock_ns() of the next uncounted expiry; 0: disarmed */
	uint64_t interval;	    /* (s) ns; 0: one-shot */
	uint64_t ticks;		    /* (s) expirations not read yet */
	int64_t offset;		    /* (s) realtime_offset() when next was computed or moved */
	bool abs_real;		    /* (s) next is a wall-clock time: it follows clock changes */
	bool cancel_on_set;	    /* (s) TFD_TIMER_CANCEL_ON_SET took: a clock change cancels */
	bool canceled;		    /* (s) the clock changed: the next read returns ECANCELED */
	struct clock_set_hook hook; /* real-time clocks: kernel/clock.c's list */
};

static struct source_pool pool = SOURCE_POOL_INIT(pool, "timerfd");
static const struct file_ops timerfd_fops;

/* Counts the expirations up to now. Caller holds src->lock. */
static void catch_up(struct timerfd *t, uint64_t now)
{
	uint64_t n;

	assert_held(&t->src->lock);
	if (!t->next || now < t->next)
		return;
	if (!t->interval) {
		t->ticks++;
		t->next = 0;
		return;
	}
	n = (now - t->next) / t->interval + 1;
	t->ticks += n;
	/* n periods, saturating: a huge period must not wrap to the past. */
	t->next = n > DEADLINE_MAX / t->interval ? DEADLINE_MAX
						 : deadline_add(t->next, n * t->interval);
}

/* The tick: count, re-arm for the next expiry, wake whoever waits. */
static void timerfd_fire(struct ktimer *k)
{
	struct timerfd *t = container_of(k, struct timerfd, timer);
	unsigned long flags = spin_lock_irqsave(&t->src->lock);

	catch_up(t, clock_ns());
	if (t->next)
		ktimer_arm(&t->timer, t->next);
	if (t->ticks)
		wait_wake_all_locked(t->src, 0);
	spin_unlock_irqrestore(&t->src->lock, flags);
}

/* The real-time clock was set: move an absolute timer, cancel a TFD_TIMER_CANCEL_ON_SET one. */
static void timerfd_clock_set(struct clock_set_hook *h)
{
	struct timerfd *t = container_of(h, struct timerfd, hook);
	unsigned long flags = spin_lock_irqsave(&t->src->lock);
	int64_t now_offset = realtime_offset();

	if (t->offset != now_offset) {
		if (t->abs_real && t->next) {
			t->next = realtime_rebase(t->next, t->offset, now_offset);
			ktimer_arm(&t->timer, t->next);
		}
		t->offset = now_offset;
		if (t->cancel_on_set) {
			t->canceled = true;
			wait_wake_all_locked(t->src, 0);
		}
	}
	spin_unlock_irqrestore(&t->src->lock, flags);
}

static ssize_t timerfd_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct timerfd *t = f->private;
	unsigned long flags;
	uint64_t v;

	(void)pos;
	if (buf->len < sizeof(v))
		return -EINVAL;
	flags = spin_lock_irqsave(&t->src->lock);
	catch_up(t, clock_ns());
	if (t->canceled) { /* once: the count goes with it, as on Linux */
		t->canceled = false;
		t->ticks = 0;
		spin_unlock_irqrestore(&t->src->lock, flags);
		return -ECANCELED;
	}
	if (!t->ticks) {
		long r = (f->flags & O_NONBLOCK) ? -EAGAIN : wait_block_locked(t->src, 0);

		spin_unlock_irqrestore(&t->src->lock, flags);
		return r;
	}
	v = t->ticks;
	t->ticks = 0;
	spin_unlock_irqrestore(&t->src->lock, flags);
	call_commit(); /* the count is taken */
	return iobuf_write(buf, 0, &v, sizeof(v)) ? -EFAULT : (ssize_t)sizeof(v);
}

static int timerfd_poll(struct file *f, bool register_wait)
{
	struct timerfd *t = f->private;
	unsigned long flags;
	int mask = 0;

	if (register_wait && wait_add_source(t->src))
		return -ENOMEM;
	flags = spin_lock_irqsave(&t->src->lock);
	catch_up(t, clock_ns());
	if (t->ticks || t->canceled)
		mask = POLLIN | POLLRDNORM;
	spin_unlock_irqrestore(&t->src->lock, flags);
	return mask;
}

static void timerfd_release(struct file *f)
{
	struct timerfd *t = f->private;

	clock_set_hook_del(&t->hook); /* no hook of t runs after this */
	ktimer_cancel(&t->timer);
	source_free(&pool, t->src);
	kfree(t);
}

static const struct file_ops timerfd_fops = {
	.read = timerfd_read,
	.release = timerfd_release,
	.poll = timerfd_poll,
};

bool is_timerfd(struct file *f)
{
	return f->fops == &timerfd_fops;
}

static bool realtime_clock(int clockid)
{
	return clockid == CLOCK_REALTIME || clockid == CLOCK_REALTIME_ALARM;
}

int timerfd_create(int clockid, int flags, struct file **out)
{
	struct timerfd *t;
	int r;

	if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC && clockid != CLOCK_BOOTTIME &&
	    clockid != CLOCK_REALTIME_ALARM && clockid != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	t = kzalloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->src = source_alloc(&pool);
	if (!t->src) {
		kfree(t);
		return -ENOMEM;
	}
	t->clockid = clockid;
	ktimer_init(&t->timer, timerfd_fire);
	r = anon_file_create("anon_inode:[timerfd]", &timerfd_fops, t,
			     O_RDWR | (flags & TFD_NONBLOCK), out);
	if (r) {
		source_free(&pool, t->src);
		kfree(t);
	} else if (realtime_clock(clockid)) {
		clock_set_hook_add(&t->hook, timerfd_clock_set);
	}
	return r;
}

static void put_spec(int64_t *sec, int64_t *nsec, uint64_t ns)
{
	*sec = (int64_t)(ns / NSEC_PER_SEC);
	*nsec = (int64_t)(ns % NSEC_PER_SEC);
}

/* The time left and the period; caller holds src->lock. */
static void get_locked(struct timerfd *t, uint64_t now, struct linux_itimerspec *cur)
{
	catch_up(t, now);
	put_spec(&cur->value_sec, &cur->value_nsec, t->next ? t->next - now : 0);
	put_spec(&cur->interval_sec, &cur->interval_nsec, t->interval);
}

void timerfd_gettime(struct file *f, struct linux_itimerspec *cur)
{
	struct timerfd *t = f->private;
	unsigned long flags = spin_lock_irqsave(&t->src->lock);

	get_locked(t, clock_ns(), cur);
	spin_unlock_irqrestore(&t->src->lock, flags);
}

static int spec_ns(int64_t sec, int64_t nsec, uint64_t *ns)
{
	struct linux_timespec ts = { sec, nsec };

	return timespec_to_ns(&ts, ns) ? -EINVAL : 0;
}

int timerfd_settime(struct file *f, int flags, const struct linux_itimerspec *new,
		    struct linux_itimerspec *old)
{
	struct timerfd *t = f->private;
	uint64_t value, interval, now;
	unsigned long lflags;

	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (spec_ns(new->value_sec, new->value_nsec, &value) ||
	    spec_ns(new->interval_sec, new->interval_nsec, &interval))
		return -EINVAL;
	ktimer_cancel(&t->timer); /* not under the source's lock: see the top */
	lflags = spin_lock_irqsave(&t->src->lock);
	now = clock_ns();
	get_locked(t, now, old);
	t->ticks = 0;
	t->interval = value ? interval : 0;
	t->next = 0;
	t->offset = realtime_offset();
	t->abs_real = realtime_clock(t->clockid) && (flags & TFD_TIMER_ABSTIME);
	/* Linux marks it even when disarmed (value 0): a clock change cancels still. */
	t->cancel_on_set = t->abs_real && (flags & TFD_TIMER_CANCEL_ON_SET);
	t->canceled = false;
	if (value) {
		if (!(flags & TFD_TIMER_ABSTIME))
			t->next = deadline_add(now, value);
		else if (t->abs_real)
			t->next = realtime_to_monotonic_at(value, t->offset);
		else
			t->next = value ? value : 1;
		ktimer_arm(&t->timer, t->next);
	}
	spin_unlock_irqrestore(&t->src->lock, lflags);
	return 0;
}
