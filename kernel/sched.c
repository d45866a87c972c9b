/*
 * The scheduler (include/kernel/thread.h): a run queue (by priority, see
 * below) and a sleep list (ordered by deadline) per CPU, each CPU's under
 * its own lock.
 *
 * Each CPU runs cpu_loop() on its own stack, as its idle thread. The loop
 * enters a user thread by restoring its saved registers (the thread has no
 * stack to switch to), and runs a kernel thread by switching stacks. When a
 * user thread stops running (yield, park on a wait, exit), its registers
 * are already saved in its struct thread: the CPU's stack is simply
 * abandoned and the loop starts afresh (cpu_loop_restart).
 *
 * Kernel threads switch among themselves directly; when the next thread to
 * run is a user thread they switch to the loop. A thread gives up the CPU
 * with its CPU's run-queue lock held and no other lock; the thread that
 * resumes releases it, with the interrupt state it saved itself. A kernel
 * thread that exited is reaped (its stack freed) by whoever runs next,
 * after the lock is dropped.
 *
 * A thread belongs to the run queue of t->last_cpu: that queue's lock
 * guards its state, its place in the queue or the sleep list, and
 * last_cpu itself (lock_thread_rq follows it when it changes). Only one
 * run-queue lock is ever held at a time: a thread moves by leaving one
 * queue under its lock (last_cpu then names the new CPU) and joining the
 * other under the other's.
 *
 * A thread is never on two CPUs at once: a kernel thread is queued again
 * only under its CPU's lock, which is held across its context_switch until
 * the next thread has its stack; a user thread's registers are saved on
 * entry and its FPU state (user_fpu_sync) before the lock is dropped on the
 * way out, so a CPU that takes it from the queue finds it whole.
 *
 * Placement: a new thread goes to an idle CPU its affinity allows, else to
 * the creating CPU; a woken one to the queue of the CPU it last ran on.
 * Either way an idle CPU that may run it is told by VEC_IPI_RESCHED
 * (kick_locked); an idle CPU with nothing of its own steals from the
 * busiest queue, and on each tick a CPU takes one thread from a queue
 * longer than its own by two or more, or one that may not run where it is
 * queued (its affinity changed).
 *
 * Which queued thread runs next: a real-time one (SCHED_FIFO, SCHED_RR)
 * before any other, the highest rt_priority first, in queue order among
 * equals; else the one with the least vruntime: each tick charges the
 * running thread TICK_NS * NICE_0_WEIGHT / weight, the weight following
 * its nice value (each level 1.25 times the next, as Linux's table) or
 * SCHED_IDLE's, so CPU time is shared in the ratio of the weights. A
 * queue's min_vruntime (the least picked so far) anchors the others: a
 * thread waking after a sleep starts at most WAKE_CREDIT_NS behind it,
 * and a new or migrating thread keeps its vruntime relative to it. A
 * SCHED_FIFO thread keeps its CPU until it blocks or yields; SCHED_RR's
 * slice is RR_SLICE_TICKS; a real-time thread queued on a CPU that runs a
 * lesser one has that CPU reschedule at once.
 */
#include <kernel/thread.h>
#include <kernel/config.h>
#include <kernel/lockcheck.h>
#include <svc/service.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <kernel/posix_timer.h>
#include <kernel/proc.h>
#include <kernel/uthread.h>
#include <kernel/panic.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/trap.h>
#include <kernel/smp.h>
#include <lib/compiler.h>
#include <uapi/errno.h>
#include <uapi/sched.h>

#define NICE_0_WEIGHT  1024
#define IDLE_WEIGHT    3	 /* SCHED_IDLE: below nice 19's, as Linux's */
#define RR_SLICE_TICKS (HZ / 10) /* SCHED_RR: 100 ms, Linux's RR_TIMESLICE */
#define TICK_NS	       (1000000000ull / HZ)
#define WAKE_CREDIT_NS (TIMESLICE_TICKS * TICK_NS) /* how far behind a woken thread starts */

void context_switch(uint64_t *save_rsp, uint64_t new_rsp);

struct runq {
	spinlock_t lock;
	struct list_head queue;	   /* (lock) runnable threads, not running */
	struct list_head sleepers; /* (lock) by wake_at_ns */
	unsigned nr_queued;	   /* (lock) on queue; read without it to balance */
	uint64_t min_vruntime;	   /* (lock) the least vruntime picked: never decreases */
} __attribute__((aligned(64)));

/* Weight of each nice level, -20..19: 1024 / 1.25^nice, rounded. */
static const uint32_t nice_weights[40] = {
	88818, 71054, 56843, 45475, 36380, 29104, 23283, 18626, 14901, 11921,
	9537,  7629,  6104,  4883,  3906,  3125,  2500,	 2000,	1600,  1280,
	1024,  819,   655,   524,   419,   336,	  268,	 215,	172,   137,
	110,   88,    70,    56,    45,	   36,	  29,	 23,	18,    15,
};

static struct runq runqs[MAX_CPUS];

static struct runq *cpu_rq(unsigned cpu)
{
	return &runqs[cpu];
}

static struct runq *this_rq(void)
{
	return cpu_rq(this_cpu()->cpu_id);
}

void sched_init_runqueues(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		spin_init(&runqs[i].lock, "runqueue");
		list_init(&runqs[i].queue);
		list_init(&runqs[i].sleepers);
	}
}

static bool is_rt(const struct thread *t)
{
	return t->policy == SCHED_FIFO || t->policy == SCHED_RR;
}

static uint32_t thread_weight(const struct thread *t)
{
	if (t->policy == SCHED_IDLE)
		return IDLE_WEIGHT;
	ASSERT(t->nice >= MIN_NICE && t->nice <= MAX_NICE);
	return nice_weights[t->nice - MIN_NICE];
}

/* a < b for vruntimes (compared as a distance, so that wrapping does not matter). */
static bool vr_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

/* Whether a runs before b: a higher real-time priority, else (both fair) less vruntime. */
static bool runs_before(const struct thread *a, const struct thread *b)
{
	if (a->rt_priority != b->rt_priority)
		return a->rt_priority > b->rt_priority;
	return !is_rt(a) && vr_before(a->vruntime, b->vruntime);
}

static int slice_ticks(const struct thread *t)
{
	return t->policy == SCHED_RR ? RR_SLICE_TICKS : TIMESLICE_TICKS;
}

uint64_t sched_slice_ns(const struct thread *t)
{
	return t->policy == SCHED_FIFO ? 0 : (uint64_t)slice_ticks(t) * TICK_NS;
}

bool thread_may_run_on(const struct thread *t, unsigned cpu)
{
	return cpu < 64 && (READ_ONCE(t->cpus_allowed) >> cpu & 1);
}

/* Locks the run queue t belongs to (last_cpu may change until its lock is held). */
static struct runq *lock_thread_rq(struct thread *t, unsigned long *flags)
{
	for (;;) {
		unsigned cpu = READ_ONCE(t->last_cpu);
		struct runq *rq = cpu_rq(cpu);

		*flags = spin_lock_irqsave(&rq->lock);
		if (READ_ONCE(t->last_cpu) == (int)cpu)
			return rq;
		spin_unlock_irqrestore(&rq->lock, *flags);
	}
}

/*
 * Whether cpu has found nothing to run and halts (or is about to): a CPU
 * between two threads is not idle, it looks at its queue anyway. A racy
 * look; kick_locked's fence and the idle loop's second look make sure a
 * thread queued while a CPU goes to halt is not left behind.
 */
static bool cpu_is_idle(struct percpu *c)
{
	return __atomic_load_n(&c->halting, __ATOMIC_RELAXED);
}

/* An idle CPU t may run on, trying `first` first; -1 if none. */
static int idle_cpu_for(struct thread *t, unsigned first)
{
	unsigned n = smp_cpus_online();

	for (unsigned i = 0; i < n; i++) {
		unsigned id = (first + i) % n;

		if (cpu_is_idle(smp_cpu(id)) && thread_may_run_on(t, id))
			return id;
	}
	return -1;
}

/* Has queued t started soon: by its own CPU if that idles, else by an idle CPU that steals it. */
static void kick_locked(struct runq *rq, struct thread *t)
{
	struct percpu *self = this_cpu();
	int id;

	assert_held(&rq->lock);
	if (percpu_cpus_online() == 1) {
		/* Every wake-up: no search, no IPI, and no fence (the idle loop is on this CPU). */
		id = cpu_is_idle(self) && thread_may_run_on(t, 0) ? 0 : -1;
	} else {
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* t is queued before halting is read */
		id = idle_cpu_for(t, t->last_cpu);
	}
	if (id == (int)self->cpu_id)
		self->need_resched = true;
	else if (id >= 0 && __atomic_exchange_n(&smp_cpu(id)->halting, false, __ATOMIC_RELAXED))
		smp_send_ipi(id, VEC_IPI_RESCHED); /* one IPI, from whoever clears the flag */
}

/* The CPU that runs t now, or NULL. Caller holds t's run-queue lock. */
static struct percpu *running_on_locked(struct runq *rq, struct thread *t)
{
	struct percpu *c = smp_cpu(t->last_cpu);

	assert_held(&rq->lock);
	return c && READ_ONCE(c->current) == t ? c : NULL;
}

/* t runs on another CPU (in user mode, maybe): it enters the kernel now to see its signal or kill. */
static void kick_running_locked(struct runq *rq, struct thread *t)
{
	struct percpu *c = running_on_locked(rq, t);

	if (c && c != this_cpu())
		smp_send_ipi(c->cpu_id, VEC_IPI_RESCHED);
}

/*
 * t's vruntime on rq as it joins: relative (new, moved) becomes absolute;
 * waking from a sleep, it starts at most WAKE_CREDIT_NS behind the queue.
 */
static void place_locked(struct runq *rq, struct thread *t)
{
	assert_held(&rq->lock);
	if (t->vr_relative) {
		t->vruntime += rq->min_vruntime;
		t->vr_relative = false;
	}
	if (t->state != THREAD_RUNNABLE &&
	    vr_before(t->vruntime, rq->min_vruntime - WAKE_CREDIT_NS))
		t->vruntime = rq->min_vruntime - WAKE_CREDIT_NS;
}

/* t leaves rq for another queue: its vruntime becomes relative to rq's. */
static void detach_vruntime_locked(struct runq *rq, struct thread *t)
{
	assert_held(&rq->lock);
	ASSERT(!t->vr_relative);
	t->vruntime -= rq->min_vruntime;
	t->vr_relative = true;
}

/* A real-time t was queued on rq: the CPU reschedules if it runs a lesser thread. */
static void preempt_for_locked(struct runq *rq, struct thread *t)
{
	struct percpu *c;
	struct thread *cur;

	assert_held(&rq->lock);
	if (!is_rt(t))
		return; /* a fair thread preempts no one: the common case, on every wake-up */
	c = smp_cpu(rq - runqs);
	cur = c ? READ_ONCE(c->current) : NULL;
	if (!cur || cur->idle || cur->rt_priority >= t->rt_priority)
		return;
	if (c == this_cpu())
		c->need_resched = true;
	else
		smp_send_ipi(c->cpu_id, VEC_IPI_RESCHED); /* its handler asks for the reschedule */
}

/* Queues t (which belongs to rq) to run and finds it a CPU. */
static void enqueue_locked(struct runq *rq, struct thread *t)
{
	assert_held(&rq->lock);
	if (t->last_cpu != rq - runqs)
		panic("sched: thread %d queued on cpu %ld, belongs to cpu %d", t->tid,
		      (long)(rq - runqs), t->last_cpu);
	place_locked(rq, t);
	t->state = THREAD_RUNNABLE;
	list_add_tail(&t->run_node, &rq->queue);
	rq->nr_queued++;
	kick_locked(rq, t);
	preempt_for_locked(rq, t);
}

static void unqueue_locked(struct runq *rq, struct thread *t)
{
	assert_held(&rq->lock);
	list_del(&t->run_node); /* leaves it empty: on no queue (running, or moving) */
	rq->nr_queued--;
}

/* The first thread queued on rq that cpu may run, or NULL. */
static struct thread *first_for_cpu_locked(struct runq *rq, unsigned cpu)
{
	struct thread *t;

	assert_held(&rq->lock);
	list_for_each_entry (t, &rq->queue, run_node)
		if (thread_may_run_on(t, cpu))
			return t;
	return NULL;
}

/* The queued thread cpu should run next (see the top of the file), or NULL. */
static struct thread *best_for_cpu_locked(struct runq *rq, unsigned cpu)
{
	struct thread *t, *best = NULL;

	assert_held(&rq->lock);
	list_for_each_entry (t, &rq->queue, run_node)
		if (thread_may_run_on(t, cpu) && (!best || runs_before(t, best)))
			best = t;
	return best;
}

/* Takes t off rq to run it: the queue's min_vruntime follows. */
static void take_locked(struct runq *rq, struct thread *t)
{
	unqueue_locked(rq, t);
	if (!is_rt(t) && vr_before(rq->min_vruntime, t->vruntime))
		rq->min_vruntime = t->vruntime;
	t->slice = slice_ticks(t);
}

/* The next thread for a kernel thread to switch to: user threads are entered by the loop. */
static struct thread *pick_next(struct runq *rq, struct percpu *cpu)
{
	struct thread *best = best_for_cpu_locked(rq, cpu->cpu_id);

	if (!best || best->user)
		return cpu->idle;
	take_locked(rq, best);
	return best;
}

/*
 * Takes a thread for CPU cpu off another CPU's queue: one that may not run
 * where it is queued if there is one, else (only if `any`) the first that
 * cpu may run. It then belongs to cpu (last_cpu), on no queue. NULL if none.
 */
static struct thread *steal_from(unsigned from, unsigned cpu, bool any)
{
	struct runq *rq = cpu_rq(from);
	struct thread *t, *found = NULL;
	unsigned long flags;

	if (!READ_ONCE(rq->nr_queued))
		return NULL;
	flags = spin_lock_irqsave(&rq->lock);
	list_for_each_entry (t, &rq->queue, run_node) {
		if (!thread_may_run_on(t, cpu))
			continue;
		if (!thread_may_run_on(t, from)) {
			found = t;
			break;
		}
		if (any && !found)
			found = t;
	}
	if (found) {
		unqueue_locked(rq, found);
		detach_vruntime_locked(rq, found);
		WRITE_ONCE(found->last_cpu, (int)cpu);
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	return found;
}

/* The CPU other than cpu with the longest queue (a racy look), or -1. */
static int busiest_other(unsigned cpu)
{
	unsigned best = 0;
	int found = -1;

	for_each_online_cpu(id)
	{
		unsigned n = READ_ONCE(cpu_rq(id)->nr_queued);

		if (id != cpu && n > best) {
			best = n;
			found = id;
		}
	}
	return found;
}

/* For an idle CPU: a thread from the busiest queue, then from any. */
static struct thread *steal_work(unsigned cpu)
{
	int busiest = busiest_other(cpu);
	struct thread *t = busiest >= 0 ? steal_from(busiest, cpu, true) : NULL;

	for (unsigned id = 0; !t && id < smp_cpus_online(); id++)
		if (id != cpu)
			t = steal_from(id, cpu, true);
	return t;
}

/* Puts a thread that belongs to cpu (stolen, or moved) on its queue. */
static void enqueue_on(unsigned cpu, struct thread *t)
{
	struct runq *rq = cpu_rq(cpu);
	unsigned long flags = spin_lock_irqsave(&rq->lock);

	enqueue_locked(rq, t);
	spin_unlock_irqrestore(&rq->lock, flags);
}

/* Each tick: even out the queues, and fetch a thread queued where it may not run. */
static void balance_tick(struct percpu *cpu)
{
	unsigned n = smp_cpus_online(), mine, from;
	int busiest;
	struct thread *t;

	if (n < 2)
		return;
	mine = READ_ONCE(cpu_rq(cpu->cpu_id)->nr_queued);
	busiest = busiest_other(cpu->cpu_id);
	if (busiest >= 0 && READ_ONCE(cpu_rq(busiest)->nr_queued) >= mine + 2) {
		t = steal_from(busiest, cpu->cpu_id, true);
		if (t)
			enqueue_on(cpu->cpu_id, t);
	}
	from = cpu->ticks % n; /* one queue a tick for misplaced threads */
	if (from != cpu->cpu_id && (t = steal_from(from, cpu->cpu_id, false)))
		enqueue_on(cpu->cpu_id, t);
}

/* Switches to the next thread. Called and returns with this CPU's run-queue lock held (only). */
static void switch_locked(struct runq *rq)
{
	struct percpu *cpu = this_cpu();
	struct thread *prev = cpu->current, *next;

	assert_held(&rq->lock);
	lockcheck_may_switch(&rq->lock, (uintptr_t)__builtin_return_address(0));
	if (cpu->preempt_count != 1)
		panic("sched: switching threads with %d locks held", cpu->preempt_count);
	if (prev->state == THREAD_RUNNABLE && !prev->idle)
		enqueue_locked(rq, prev); /* another CPU may take it once the lock is dropped */
	next = pick_next(rq, cpu);
	if (next->idle)
		next->slice = TIMESLICE_TICKS;
	cpu->need_resched = false;
	if (next == prev)
		return;
	cpu->current = next;
	cpu->switched_from = prev;
	context_switch(&prev->saved_rsp, next->saved_rsp);
}

/* After a switch: drops this CPU's run-queue lock, restoring flags, and reaps the thread left if it died. */
static void finish_switch_unlock(unsigned long flags)
{
	struct thread *prev = this_cpu()->switched_from;
	struct thread *dead = prev && prev->state == THREAD_DEAD ? prev : NULL;

	this_cpu()->switched_from = NULL;
	spin_unlock_irqrestore(&this_rq()->lock, flags);
	if (dead)
		thread_reap(dead);
}

static void reschedule_unlock(struct runq *rq, unsigned long flags)
{
	switch_locked(rq);
	finish_switch_unlock(flags);
}

void sched_finish_first_switch(void)
{
	finish_switch_unlock(1);
}

static void assert_may_block(struct thread *self)
{
	if (self->idle || self->user)
		panic("sched: %s thread tried to block on a stack",
		      self->idle ? "the idle" : "a user");
}

int sched_set_affinity(struct thread *t, uint64_t mask)
{
	unsigned n = smp_cpus_online();
	uint64_t online = n >= 64 ? ~0ull : (1ull << n) - 1;
	struct thread *moved = NULL;
	unsigned long flags;
	struct runq *rq;
	struct percpu *c;
	int to = -1;

	if (!(mask & online))
		return -EINVAL;
	rq = lock_thread_rq(t, &flags);
	WRITE_ONCE(t->cpus_allowed, mask);
	c = running_on_locked(rq, t);
	if (c == this_cpu() && !thread_may_run_on(t, c->cpu_id)) {
		c->need_resched = true; /* leaves at the next chance; a tick moves it */
	} else if (c && !thread_may_run_on(t, c->cpu_id)) {
		smp_send_ipi(c->cpu_id, VEC_IPI_RESCHED);
	} else if (!c && t->state == THREAD_RUNNABLE && !t->idle &&
		   !thread_may_run_on(t, t->last_cpu) && !list_empty(&t->run_node)) {
		to = idle_cpu_for(t, 0);
		for (unsigned id = 0; to < 0 && id < n; id++)
			if (thread_may_run_on(t, id))
				to = id;
		unqueue_locked(rq, t);
		detach_vruntime_locked(rq, t);
		WRITE_ONCE(t->last_cpu, to);
		moved = t;
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	if (moved)
		enqueue_on(to, moved);
	return 0;
}

void sched_set_params(struct thread *t, int nice, int policy, int rt_priority, bool reset_on_fork)
{
	unsigned long flags;
	struct runq *rq;

	ASSERT(nice >= MIN_NICE && nice <= MAX_NICE && rt_priority >= 0 &&
	       rt_priority < MAX_RT_PRIO);
	ASSERT((policy == SCHED_FIFO || policy == SCHED_RR) == (rt_priority > 0));
	rq = lock_thread_rq(t, &flags);
	t->nice = (int8_t)nice;
	t->policy = (uint8_t)policy;
	t->rt_priority = (uint8_t)rt_priority;
	t->reset_on_fork = reset_on_fork;
	if (!list_empty(&t->run_node) && t->state == THREAD_RUNNABLE)
		preempt_for_locked(rq, t); /* queued, now real-time: it may outrank what runs */
	if (running_on_locked(rq, t) == this_cpu())
		this_cpu()->need_resched = true; /* lowered: another may come first */
	spin_unlock_irqrestore(&rq->lock, flags);
}

void sched_fork_params(struct thread *child, struct thread *parent)
{
	unsigned long flags;
	struct runq *rq = lock_thread_rq(parent, &flags);

	child->nice = parent->nice;
	child->policy = parent->policy;
	child->rt_priority = parent->rt_priority;
	if (parent->reset_on_fork) {
		/* SCHED_RESET_ON_FORK: the child starts as SCHED_OTHER, nice 0 at most. */
		if (is_rt(parent)) {
			child->policy = SCHED_OTHER;
			child->rt_priority = 0;
			child->nice = 0;
		}
		child->nice = MAX(child->nice, (int8_t)0);
	}
	child->reset_on_fork = false;
	spin_unlock_irqrestore(&rq->lock, flags);
	child->ioprio = __atomic_load_n(&parent->ioprio, __ATOMIC_RELAXED);
}

bool sched_thread_on_cpu(struct thread *t)
{
	unsigned long flags;
	struct runq *rq = lock_thread_rq(t, &flags);
	bool on = running_on_locked(rq, t) != NULL;

	spin_unlock_irqrestore(&rq->lock, flags);
	return on;
}

void sched_request_resched(void)
{
	this_cpu()->need_resched = true;
}

void sched_yield_current(void)
{
	struct runq *rq = this_rq();
	unsigned long flags;
	bool others;

	/* A racy look first: a thread queued just after it would have come just after the yield. */
	if (!READ_ONCE(rq->nr_queued))
		return;
	flags = spin_lock_irqsave(&rq->lock);
	others = first_for_cpu_locked(rq, this_cpu()->cpu_id) != NULL;

	spin_unlock_irqrestore(&rq->lock, flags);
	if (others) /* alone, the CPU would leave and come back to this same thread */
		this_cpu()->need_resched = true;
}

void schedule(void)
{
	struct runq *rq = this_rq();

	reschedule_unlock(rq, spin_lock_irqsave(&rq->lock));
}

/* A new thread: to an idle CPU it may run on, else to this one (or one it may use). */
void sched_make_runnable(struct thread *t)
{
	unsigned self = smp_this_cpu_id(), n = smp_cpus_online();
	int to = idle_cpu_for(t, self);

	for (unsigned i = 0; to < 0 && i < n; i++)
		if (thread_may_run_on(t, (self + i) % n))
			to = (self + i) % n;
	WRITE_ONCE(t->last_cpu, to < 0 ? (int)self : to);
	t->vruntime = 0; /* at its queue's min_vruntime */
	t->vr_relative = true;
	enqueue_on(t->last_cpu, t);
}

void sched_block_unlock(spinlock_t *lock, unsigned long flags)
{
	struct thread *self = current_thread();
	struct runq *rq = this_rq();

	assert_may_block(self);
	/* Interrupts are already off (lock is held): the run queue lock's saved state is "off". */
	spin_lock_irqsave(&rq->lock);
	self->state = THREAD_BLOCKED;
	spin_unlock_irqrestore(lock, 0);
	reschedule_unlock(rq, flags);
}

void sched_wake(struct thread *t)
{
	unsigned long flags;
	struct runq *rq = lock_thread_rq(t, &flags);

	if (t->state == THREAD_SLEEPING)
		list_del(&t->run_node);
	if (t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING)
		enqueue_locked(rq, t);
	else
		wait_flags_set(&t->wait, WAIT_WOKEN); /* it has not parked yet: it must not */
	spin_unlock_irqrestore(&rq->lock, flags);
}

/* Puts the current thread on its CPU's sleep list until its deadline. */
static void sleep_until_locked(struct runq *rq, struct thread *self, uint64_t deadline)
{
	struct list_head *pos = &rq->sleepers;
	struct thread *t;

	assert_held(&rq->lock);
	self->wake_at_ns = deadline;
	list_for_each_entry (t, &rq->sleepers, run_node) {
		if (t->wake_at_ns > deadline) {
			pos = &t->run_node;
			break;
		}
	}
	list_add_tail(&self->run_node, pos); /* before pos */
	self->state = THREAD_SLEEPING;
}

void sched_kthread_park(struct thread *self)
{
	struct runq *rq = this_rq(); /* a running thread's queue: the one sched_wake locks */
	unsigned long flags = spin_lock_irqsave(&rq->lock);

	assert_may_block(self);
	if (self->wait.flags & WAIT_WOKEN) {
		wait_flags_clear(&self->wait, WAIT_WOKEN);
		spin_unlock_irqrestore(&rq->lock, flags);
		return;
	}
	if (self->wait.deadline_ns)
		sleep_until_locked(rq, self, self->wait.deadline_ns);
	else
		self->state = THREAD_BLOCKED;
	reschedule_unlock(rq, flags);
}

void thread_sleep_ns(uint64_t ns)
{
	struct runq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	struct thread *self = current_thread();

	assert_may_block(self);
	sleep_until_locked(rq, self, clock_ns() + ns);
	reschedule_unlock(rq, flags);
}

static void wake_sleepers_locked(struct runq *rq, uint64_t now)
{
	assert_held(&rq->lock);
	while (!list_empty(&rq->sleepers)) {
		struct thread *t = list_first_entry(&rq->sleepers, struct thread, run_node);

		if (t->wake_at_ns > now)
			break;
		list_del(&t->run_node);
		enqueue_locked(rq, t);
	}
}

/* A user thread's tick, in its process's CPU clocks (read without a walk of its threads). */
static void charge_process(struct process *p, bool user)
{
	__atomic_fetch_add(&p->cpu_ticks, 1, __ATOMIC_RELAXED);
	if (user)
		__atomic_fetch_add(&p->cpu_user_ticks, 1, __ATOMIC_RELAXED);
}

/* The timer interrupt: wakes this CPU's sleepers, ends time slices, balances, CPU timers. */
void sched_tick(bool from_user)
{
	struct runq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	struct percpu *cpu = this_cpu();
	struct thread *cur = cpu->current;

	cpu->ticks++;
	wake_sleepers_locked(rq, clock_ns());
	if (cur->idle) {
		cpu->idle_ticks++;
	} else {
		cur->run_ticks++;
		if (cur->user)
			charge_process(cur->proc, from_user);
		if (cur->user && from_user) {
			cur->user_ticks++;
			cpu->user_ticks++;
		} else {
			if (cur->user)
				cur->system_ticks++;
			cpu->system_ticks++;
		}
		if (!is_rt(cur))
			cur->vruntime += TICK_NS * NICE_0_WEIGHT / thread_weight(cur);
		if (cur->policy != SCHED_FIFO && --cur->slice <= 0)
			cpu->need_resched = true;
		if (cur->service)
			svc_tick(cur->service, 1000000000ull / HZ);
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	ktimers_run(clock_ns());
	if (cur->user && READ_ONCE(cur->proc->cpu_timers_armed))
		posix_cpu_timers_tick(cur); /* fires in user mode too: no system call needed */
	balance_tick(cpu);
}

/*
 * Preempts a kernel thread. Code running on the CPU's stack (the loop, and
 * system calls of user threads) is never switched away from here: it runs
 * to completion, and user threads yield on their way back to user mode.
 */
void sched_preempt_point(bool interrupted_with_irqs_on)
{
	struct percpu *cpu = this_cpu();
	struct thread *cur = cpu->current;

	if (cur->service && interrupted_with_irqs_on)
		svc_watchdog_check(); /* a hung service request ends here */
	if (cpu->need_resched && interrupted_with_irqs_on && cpu->preempt_count == 0 &&
	    cpu->irq_depth == 0 && !cur->idle && !cur->user)
		schedule();
}

/* The next thread for the loop, with this CPU's run-queue lock held: its own, or one stolen. */
static struct thread *loop_pick_locked(struct runq *rq, struct percpu *cpu, unsigned long *flags)
{
	struct thread *next = best_for_cpu_locked(rq, cpu->cpu_id);

	if (next) {
		take_locked(rq, next);
		return next;
	}
	spin_unlock_irqrestore(&rq->lock, *flags);
	next = steal_work(cpu->cpu_id); /* now ours, on no queue */
	*flags = spin_lock_irqsave(&rq->lock);
	if (next) {
		place_locked(rq, next);
		next->slice = slice_ticks(next);
	}
	return next;
}

__attribute__((noreturn)) void cpu_loop(void)
{
	struct percpu *cpu = this_cpu();
	struct runq *rq = this_rq();

	for (;;) {
		unsigned long flags;
		struct thread *next;

		irq_disable();
		flags = spin_lock_irqsave(&rq->lock);
		cpu->current = cpu->idle;
		next = loop_pick_locked(rq, cpu, &flags);
		if (!next && !__atomic_load_n(&cpu->halting, __ATOMIC_RELAXED)) {
			/* From now on a wake-up IPIs this CPU; one more look for what came before. */
			__atomic_store_n(&cpu->halting, true, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			spin_unlock_irqrestore(&rq->lock, flags);
			continue;
		}
		if (!next) {
			spin_unlock_irqrestore(&rq->lock, flags);
			cpu_idle_wait();
			__atomic_store_n(&cpu->halting, false, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_store_n(&cpu->halting, false, __ATOMIC_RELAXED);
		cpu->need_resched = false;
		cpu->current = next;
		if (next->user) {
			spin_unlock_irqrestore(&rq->lock, flags);
			user_enter(next);
		}
		cpu->switched_from = cpu->idle;
		context_switch(&cpu->idle->saved_rsp, next->saved_rsp);
		finish_switch_unlock(flags);
	}
}

__attribute__((noreturn)) void sched_user_yield(struct thread *t)
{
	struct runq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(&rq->lock);

	user_fpu_sync(t); /* saved before another CPU can take it */
	enqueue_locked(rq, t);
	this_cpu()->current = this_cpu()->idle;
	spin_unlock_irqrestore(&rq->lock, flags);
	cpu_loop_restart();
}

void sched_user_park(struct thread *t, bool rerun_call)
{
	struct runq *rq = this_rq();
	unsigned long flags;

	lockcheck_may_switch(NULL, (uintptr_t)__builtin_return_address(0));
	flags = spin_lock_irqsave(&rq->lock);

	if ((t->wait.flags & WAIT_WOKEN) || t->killed) {
		wait_flags_clear(&t->wait, WAIT_WOKEN);
		spin_unlock_irqrestore(&rq->lock, flags);
		return;
	}
	t->restart_syscall = rerun_call;
	user_fpu_sync(t); /* saved before a wake-up on another CPU can take it */
	if (t->wait.deadline_ns)
		sleep_until_locked(rq, t, t->wait.deadline_ns);
	else
		t->state = THREAD_BLOCKED;
	this_cpu()->current = this_cpu()->idle;
	spin_unlock_irqrestore(&rq->lock, flags);
	cpu_loop_restart();
}

void sched_user_exit(struct thread *t)
{
	struct runq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	struct percpu *cpu = this_cpu();

	t->state = THREAD_DEAD;
	cpu->current = cpu->idle;
	if (cpu->fpu_owner == t)
		cpu->fpu_owner = NULL;
	spin_unlock_irqrestore(&rq->lock, flags);
}

/* A signal for a thread parked in a call: it runs, and the call ends as interrupted. */
void sched_signal_wake(struct thread *t)
{
	unsigned long flags;
	struct runq *rq = lock_thread_rq(t, &flags);

	if (t->wait.flags & WAIT_UNINTERRUPTIBLE) {
		/* A service call: the signal waits until the call is done. */
	} else if ((t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING) &&
		   t->restart_syscall) {
		if (t->state == THREAD_SLEEPING)
			list_del(&t->run_node);
		enqueue_locked(rq, t);
	} else if (t->state == THREAD_RUNNABLE) {
		wait_flags_set(&t->wait, WAIT_WOKEN); /* about to park in a call: it must not */
		kick_running_locked(rq, t);
	}
	spin_unlock_irqrestore(&rq->lock, flags);
}

/* Wakes a user thread for its exit (exit_group, a fatal signal): it runs, sees `killed`, exits. */
void sched_kill_wake(struct thread *t)
{
	unsigned long flags;
	struct runq *rq = lock_thread_rq(t, &flags);

	t->killed = true; /* a thread about to park sees this under its lock and does not */
	if (t->state == THREAD_SLEEPING)
		list_del(&t->run_node);
	if (t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING)
		enqueue_locked(rq, t);
	else
		kick_running_locked(rq, t);
	spin_unlock_irqrestore(&rq->lock, flags);
}

__attribute__((noreturn)) void sched_exit_current(void)
{
	struct runq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(&rq->lock);

	current_thread()->state = THREAD_DEAD;
	reschedule_unlock(rq, flags);
	panic("sched: a dead thread was resumed");
}
