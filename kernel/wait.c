/*
 * Stackless waits (include/kernel/wait.h). A user thread's struct wait
 * is embedded in its struct thread; registering costs no allocation and a
 * parked thread keeps nothing on any stack. A kernel thread registers its
 * own embedded wait the same way and blocks on its stack (wait_event_*).
 * The typed progress record and the point of no return of a call are
 * checked here. The counters show how many times calls that waited were
 * run ("polled") before they completed.
 */
#include <kernel/wait.h>
#include <kernel/thread.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/config.h>
#include <lib/compiler.h>
#include <mm/slab.h>
#include <uapi/errno.h>

struct wait_stats wait_stats; /* (a) */

void wait_source_init(struct wait_source *src, const char *name)
{
	spin_init(&src->lock, name);
	list_init(&src->waiters);
	src->callbacks = 0;
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
	w->hook = NULL;
}

/* Registers the current thread (any kind) on src, whose lock the caller holds. */
static void register_locked(struct wait_source *src, uint64_t deadline_ns)
{
	struct wait *w = current_wait();

	assert_held(&src->lock);
	if (w->link.source)
		panic("wait: the thread already waits on a source");
	w->link.source = src;
	w->deadline_ns = deadline_ns;
	list_add_tail(&w->link.node, &src->waiters);
}

long wait_block_locked(struct wait_source *src, uint64_t deadline_ns)
{
	if (!wait_restarts())
		panic("wait_block_locked: a kernel thread (wait_event_locked is its form)");
	register_locked(src, deadline_ns);
	return -EWAIT;
}

void wait_event_locked(struct wait_source *src, uint64_t deadline_ns, uint32_t flags)
{
	if (flags & WAIT_UNINTERRUPTIBLE)
		wait_flags_set(current_wait(), WAIT_UNINTERRUPTIBLE); /* cleared at each run */
	register_locked(src, deadline_ns);
}

bool wait_restarts(void)
{
	struct thread *t = current_thread();

	return t->user || t->kcall;
}

long wait_event_sleep(void)
{
	struct thread *t = current_thread();

	if (wait_restarts())
		return -EWAIT; /* the call runs again when woken (syscall_run, or a fault) */
	sched_kthread_park(t);
	wait_detach(&t->wait); /* still linked if the deadline woke it */
	t->wait.deadline_ns = 0;
	return 0;
}

long wait_block_locked_uninterruptible(struct wait_source *src)
{
	wait_flags_set(current_wait(), WAIT_UNINTERRUPTIBLE); /* cleared at each run */
	return wait_block_locked(src, 0);
}

int wait_add_source(struct wait_source *src)
{
	struct wait *w = current_wait();
	struct wait_link *l;
	unsigned long flags;

	if (w->hook)
		return w->hook->add(w->hook, src);
	l = kmalloc(sizeof(*l));
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
	sched_wake(container_of(l->wait, struct thread, wait));
	/*
	 * Last: the woken thread's unlink looks at the source without its lock,
	 * and once it reads NULL the thread may exit and free itself and l.
	 */
	__atomic_store_n(&l->source, NULL, __ATOMIC_RELEASE);
}

/* A callback waiter's turn in a wake-up; returns whether it woke a thread. */
static bool call_back(struct wait_link *l, unsigned depth, bool *exclusive_done)
{
	struct wait_callback *cb = container_of(l, struct wait_callback, link);

	if (cb->exclusive && *exclusive_done)
		return false;
	if (!cb->fn(cb, depth))
		return false;
	if (cb->exclusive)
		*exclusive_done = true;
	return true;
}

unsigned wait_wake_all_locked(struct wait_source *src, unsigned depth)
{
	struct wait_link *l, *next;
	bool exclusive_done = false;
	unsigned n = 0;

	assert_held(&src->lock);
	list_for_each_entry_safe (l, next, &src->waiters, node) {
		if (!l->wait) {
			n += call_back(l, depth, &exclusive_done);
			continue;
		}
		wait_wake_locked(l);
		n++;
	}
	return n;
}

unsigned wait_wake_all(struct wait_source *src)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);
	unsigned n = wait_wake_all_locked(src, 0);

	spin_unlock_irqrestore(&src->lock, flags);
	return n;
}

/* One thread; every callback waiter (they stay linked) is called too. */
unsigned wait_wake_one(struct wait_source *src)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);
	struct wait_link *l, *next;
	bool exclusive_done = false;
	unsigned n = 0;

	list_for_each_entry_safe (l, next, &src->waiters, node) {
		if (!l->wait)
			call_back(l, 0, &exclusive_done);
		else if (!n) {
			wait_wake_locked(l);
			n = 1;
		}
	}
	spin_unlock_irqrestore(&src->lock, flags);
	return n;
}

void wait_callback_add(struct wait_source *src, struct wait_callback *cb)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);

	cb->link.wait = NULL;
	cb->link.source = src;
	list_add_tail(&cb->link.node, &src->waiters);
	src->callbacks++;
	spin_unlock_irqrestore(&src->lock, flags);
}

/* Unlinks l; a futex requeue may move it to another source meanwhile: follow it. */
static void unlink(struct wait_link *l)
{
	for (;;) {
		struct wait_source *src = __atomic_load_n(&l->source, __ATOMIC_ACQUIRE);
		unsigned long flags;
		bool done;

		if (!src)
			return; /* a waker unlinked it and is done with it (wait_wake_locked) */
		flags = spin_lock_irqsave(&src->lock);
		done = l->source == src;
		if (done) {
			list_del(&l->node);
			l->source = NULL;
			if (!l->wait)
				src->callbacks--;
		}
		spin_unlock_irqrestore(&src->lock, flags);
		if (done)
			return;
	}
}

/* fn runs with the source's lock held: once unlinked under it, cb is out of every wake-up. */
void wait_callback_del(struct wait_callback *cb)
{
	unlink(&cb->link);
}

/* wait_detach's slow path: something may still be linked (include/kernel/wait.h). */
void wait_detach_linked(struct wait *w)
{
	unlink(&w->link);
	while (!list_empty(&w->extra)) {
		struct wait_link *l = list_first_entry(&w->extra, struct wait_link, extra);

		unlink(l);
		list_del(&l->extra);
		kfree(l);
	}
}

/* wait_record_completion's slow path: the call ran at least twice. */
void wait_record_polls(struct wait *w)
{
	unsigned bucket = MIN(w->polls, (uint32_t)WAIT_POLL_BUCKETS - 1);

	__atomic_fetch_add(&wait_stats.completed, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&wait_stats.polls[bucket], 1, __ATOMIC_RELAXED);
}

/* ---- The call's progress and its point of no return ------------------- */

static const char *const call_kind_names[] = {
	[PROGRESS_CALL_NONE] = "none", [PROGRESS_RW] = "rw",	   [PROGRESS_POLL] = "poll",
	[PROGRESS_FUTEX] = "futex",    [PROGRESS_VFORK] = "vfork", [PROGRESS_EPOLL] = "epoll",
	[PROGRESS_MMSG] = "mmsg",      [PROGRESS_SLEEP] = "sleep",
};
static const char *const op_kind_names[] = {
	[PROGRESS_OP_NONE] = "none",	      [PROGRESS_FS] = "fs",
	[PROGRESS_PIPE_WRITE] = "pipe write", [PROGRESS_FIFO_OPEN] = "fifo open",
	[PROGRESS_TTY_READ] = "tty read",     [PROGRESS_SOCK] = "socket",
	[PROGRESS_TTY_WRITE] = "tty write",
};

/* progress_claim_call's slow path: the call's first access (or one of the wrong kind). */
struct call_progress *progress_first_call(struct wait *w, enum progress_call_kind kind)
{
	if (w->call_kind != PROGRESS_CALL_NONE)
		panic("call progress: a %s call's record used as %s", call_kind_names[w->call_kind],
		      call_kind_names[kind]);
	w->progress.call = (typeof(w->progress.call)){ 0 }; /* first use in this call */
	w->call_kind = (uint8_t)kind;
	return &w->progress;
}

/* progress_claim_op's slow path, the same for the operation layer. */
struct call_progress *progress_first_op(struct wait *w, enum progress_op_kind kind)
{
	if (w->op_kind != PROGRESS_OP_NONE)
		panic("call progress: a %s operation's record used as %s",
		      op_kind_names[w->op_kind], op_kind_names[kind]);
	w->progress.op = (typeof(w->progress.op)){ 0 }; /* first use in this call */
	w->op_kind = (uint8_t)kind;
	return &w->progress;
}

void progress_release_op(struct wait *w)
{
	w->op_kind = PROGRESS_OP_NONE;
}

void call_commit_at(const char *where)
{
	struct thread *t = current_thread();

	if (t->in_call && !t->wait.committed_at)
		t->wait.committed_at = where;
}

void call_progress_kept_at(void)
{
	current_thread()->wait.committed_at = NULL;
}

const char *call_committed(void)
{
	struct thread *t = current_thread();

	return t->in_call ? t->wait.committed_at : NULL;
}

void call_check_ewait(long ret, const char *call)
{
	const char *where = call_committed();

	if (ret == -EWAIT && where)
		panic("system call %s returned -EWAIT after its point of no return (%s)",
		      call ?: "?", where);
}
