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

long wait_block_locked(struct wait_source *src, uint64_t deadline_ns)
{
	struct wait *w = current_wait();

	assert_held(&src->lock);
	if (!current_thread()->user)
		panic("wait_block_locked: only user threads wait this way");
	w->source = src;
	w->deadline_ns = deadline_ns;
	list_add_tail(&w->node, &src->waiters);
	return -EWAIT;
}

long wait_sleep_until(uint64_t deadline_ns)
{
	struct wait *w = current_wait();

	w->source = NULL;
	w->deadline_ns = deadline_ns;
	return -EWAIT;
}

void wait_wake_locked(struct wait *w)
{
	assert_held(&w->source->lock);
	list_del(&w->node);
	w->source = NULL;
	sched_wake(container_of(w, struct thread, wait));
}

unsigned wait_wake_all(struct wait_source *src)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);
	unsigned n = 0;

	while (!list_empty(&src->waiters)) {
		wait_wake_locked(list_first_entry(&src->waiters, struct wait, node));
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
		wait_wake_locked(list_first_entry(&src->waiters, struct wait, node));
		n = 1;
	}
	spin_unlock_irqrestore(&src->lock, flags);
	return n;
}

void wait_detach(struct wait *w)
{
	struct wait_source *src = READ_ONCE(w->source);
	unsigned long flags;

	if (!src)
		return;
	flags = spin_lock_irqsave(&src->lock);
	if (w->source == src) {
		list_del(&w->node);
		w->source = NULL;
	}
	spin_unlock_irqrestore(&src->lock, flags);
}

void wait_record_completion(struct wait *w)
{
	unsigned bucket = MIN(w->polls, (uint32_t)WAIT_POLL_BUCKETS - 1);

	if (w->polls < 2)
		return; /* completed on its first run: it never waited */
	__atomic_fetch_add(&wait_stats.completed, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&wait_stats.polls[bucket], 1, __ATOMIC_RELAXED);
}
