/*
 * Stackless waits (include/kernel/wait.h). A user thread's struct wait
 * is embedded in its struct thread; registering costs no allocation and a
 * parked thread keeps nothing on any stack. The counters show how many
 * times calls that waited were run ("polled") before they completed.
 */
#include <kernel/wait.h>
#include <kernel/thread.h>
#include <kernel/panic.h>
#include <lib/compiler.h>
#include <mm/slab.h>
#include <uapi/errno.h>

struct wait_stats wait_stats;

void wait_source_init(struct wait_source *src, const char *name)
{
	spin_init(&src->lock, name);
	list_init(&src->waiters);
}

struct wait *current_wait(void)
{
	return &current_thread()->wait;
}

void wait_init(struct wait *w)
{
	list_init(&w->link.node);
	list_init(&w->extra);
	w->link.source = NULL;
	w->link.wait = w;
}

long wait_block_locked(struct wait_source *src, uint64_t deadline_ns)
{
	struct wait *w = current_wait();

	assert_held(&src->lock);
	if (!current_thread()->user || w->link.source)
		panic("wait_block_locked: not a user thread, or already waiting");
	w->link.source = src;
	w->deadline_ns = deadline_ns;
	list_add_tail(&w->link.node, &src->waiters);
	return -EWAIT;
}

long wait_block_locked_uninterruptible(struct wait_source *src)
{
	/* syscall_run clears it at each run; atomic: a waker on another CPU sets WAIT_WOKEN */
	__atomic_fetch_or(&current_wait()->flags, WAIT_UNINTERRUPTIBLE, __ATOMIC_RELAXED);
	return wait_block_locked(src, 0);
}

int wait_add_source(struct wait_source *src)
{
	struct wait *w = current_wait();
	struct wait_link *l = kmalloc(sizeof(*l));
	unsigned long flags;

	if (!l)
		return -ENOMEM;
	l->wait = w;
	list_add_tail(&l->extra, &w->extra);
	flags = spin_lock_irqsave(&src->lock);
	l->source = src;
	list_add_tail(&l->node, &src->waiters);
	spin_unlock_irqrestore(&src->lock, flags);
	return 0;
}

long wait_registered(uint64_t deadline_ns)
{
	current_wait()->deadline_ns = deadline_ns;
	return -EWAIT;
}

long wait_sleep_until(uint64_t deadline_ns)
{
	struct wait *w = current_wait();

	w->deadline_ns = deadline_ns;
	return -EWAIT;
}

void wait_wake_locked(struct wait_link *l)
{
	assert_held(&l->source->lock);
	list_del(&l->node);
	l->source = NULL;
	sched_wake(container_of(l->wait, struct thread, wait));
}

unsigned wait_wake_all(struct wait_source *src)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);
	unsigned n = 0;

	while (!list_empty(&src->waiters)) {
		wait_wake_locked(list_first_entry(&src->waiters, struct wait_link, node));
		n++;
	}
	spin_unlock_irqrestore(&src->lock, flags);
	return n;
}

unsigned wait_wake_one(struct wait_source *src)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);
	unsigned n = 0;

	if (!list_empty(&src->waiters)) {
		wait_wake_locked(list_first_entry(&src->waiters, struct wait_link, node));
		n = 1;
	}
	spin_unlock_irqrestore(&src->lock, flags);
	return n;
}

/* Unlinks l; a futex requeue may move it to another source meanwhile: follow it. */
static void unlink(struct wait_link *l)
{
	for (;;) {
		struct wait_source *src = READ_ONCE(l->source);
		unsigned long flags;
		bool done;

		if (!src)
			return;
		flags = spin_lock_irqsave(&src->lock);
		done = l->source == src;
		if (done) {
			list_del(&l->node);
			l->source = NULL;
		}
		spin_unlock_irqrestore(&src->lock, flags);
		if (done)
			return;
	}
}

void wait_detach(struct wait *w)
{
	unlink(&w->link);
	while (!list_empty(&w->extra)) {
		struct wait_link *l = list_first_entry(&w->extra, struct wait_link, extra);

		unlink(l);
		list_del(&l->extra);
		kfree(l);
	}
}

void wait_record_completion(struct wait *w)
{
	unsigned bucket = MIN(w->polls, (uint32_t)WAIT_POLL_BUCKETS - 1);

	if (w->polls < 2)
		return; /* completed on its first run: it never waited */
	__atomic_fetch_add(&wait_stats.completed, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&wait_stats.polls[bucket], 1, __ATOMIC_RELAXED);
}
