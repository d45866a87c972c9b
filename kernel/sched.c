/*
 * The scheduler (include/kernel/thread.h): one round-robin run queue of
 * kernel and user threads, and a sleep list ordered by deadline, both
 * under rq_lock, shared by every CPU.
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
 * with rq_lock held and no other lock; the thread that resumes releases it,
 * with the interrupt state it saved itself. A kernel thread that exited is
 * reaped (its stack freed) by whoever runs next, after the lock is dropped.
 *
 * SMP: every CPU picks from the same queue, taking the first thread its
 * affinity mask allows. A thread is never on two CPUs at once: a kernel
 * thread is queued again only under rq_lock, which is held across its
 * context_switch until the next thread has its stack; a user thread's
 * registers are saved on entry and its FPU state is saved (user_leave)
 * before rq_lock is dropped on the way out, so another CPU that dequeues it
 * finds it whole. A thread made runnable is started on an idle CPU that
 * may run it, preferring the CPU it last ran on, woken by VEC_IPI_RESCHED
 * (kick_locked). One sleep list for all (woken by any CPU's tick): a sleep
 * is short and rare next to a park, and a single list keeps every wake-up
 * at one lock.
 */
#include <kernel/thread.h>
#include <kernel/config.h>
#include <svc/service.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <kernel/panic.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/trap.h>
#include <kernel/smp.h>
#include <lib/compiler.h>
#include <uapi/errno.h>

void context_switch(uint64_t *save_rsp, uint64_t new_rsp);

static spinlock_t rq_lock = SPINLOCK_INIT("runqueue");
static LIST_HEAD(run_queue); /* (rq_lock) runnable threads, not running */
static LIST_HEAD(sleepers);  /* (rq_lock) by wake_at_ns */

struct thread *current_thread(void)
{
	return this_cpu()->current;
}

bool thread_may_run_on(const struct thread *t, unsigned cpu)
{
	return cpu < 64 && (READ_ONCE(t->cpus_allowed) >> cpu & 1);
}

/* Whether cpu runs its idle loop (a racy look: a wrong guess costs one IPI or one tick). */
static bool cpu_is_idle(struct percpu *c)
{
	struct thread *cur = READ_ONCE(c->current);

	return cur && cur->idle;
}

/* Has t started soon: on this CPU if it idles, else on an idle CPU it may use. Caller holds rq_lock. */
static void kick_locked(struct thread *t)
{
	struct percpu *self = this_cpu(), *c;
	unsigned n = smp_cpus_online(), first = (unsigned)t->last_cpu < n ? t->last_cpu : 0;

	assert_held(&rq_lock);
	if (cpu_is_idle(self) && thread_may_run_on(t, self->cpu_id)) {
		self->need_resched = true;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned id = (first + i) % n;

		c = smp_cpu(id);
		if (c != self && cpu_is_idle(c) && thread_may_run_on(t, id)) {
			smp_send_ipi(id, VEC_IPI_RESCHED);
			return;
		}
	}
}

/* The CPU that runs t now, or NULL. Caller holds rq_lock. */
static struct percpu *running_on_locked(struct thread *t)
{
	struct percpu *c = smp_cpu(t->last_cpu);

	assert_held(&rq_lock);
	return c && READ_ONCE(c->current) == t ? c : NULL;
}

/* t runs on another CPU (in user mode, maybe): it enters the kernel now to see its signal or kill. */
static void kick_running_locked(struct thread *t)
{
	struct percpu *c = running_on_locked(t);

	if (c && c != this_cpu())
		smp_send_ipi(c->cpu_id, VEC_IPI_RESCHED);
}

/* Queues t to run and finds it a CPU. Caller holds rq_lock. */
static void enqueue_locked(struct thread *t)
{
	assert_held(&rq_lock);
	t->state = THREAD_RUNNABLE;
	list_add_tail(&t->run_node, &run_queue);
	kick_locked(t);
}

/* The first queued thread this CPU may run, or NULL. Caller holds rq_lock. */
static struct thread *first_for_cpu_locked(struct percpu *cpu)
{
	struct thread *t;

	assert_held(&rq_lock);
	list_for_each_entry (t, &run_queue, run_node)
		if (thread_may_run_on(t, cpu->cpu_id))
			return t;
	return NULL;
}

static struct thread *dequeue_for_cpu_locked(struct percpu *cpu)
{
	struct thread *next = first_for_cpu_locked(cpu);

	if (next) {
		list_del(&next->run_node);
		next->last_cpu = cpu->cpu_id;
	}
	return next;
}

/* The next thread for a kernel thread to switch to: user threads are entered by the loop. */
static struct thread *pick_next(struct percpu *cpu)
{
	struct thread *first = first_for_cpu_locked(cpu);

	if (!first || first->user)
		return cpu->idle;
	return dequeue_for_cpu_locked(cpu);
}

/* Switches to the next thread. Called and returns with rq_lock held (and no other). */
static void switch_locked(void)
{
	struct percpu *cpu = this_cpu();
	struct thread *prev = cpu->current, *next;

	assert_held(&rq_lock);
	if (cpu->preempt_count != 1)
		panic("sched: switching threads with %d locks held", cpu->preempt_count);
	if (prev->state == THREAD_RUNNABLE && !prev->idle)
		enqueue_locked(prev); /* another CPU may take it once rq_lock is dropped */
	next = pick_next(cpu);
	next->slice = TIMESLICE_TICKS;
	cpu->need_resched = false;
	if (next == prev)
		return;
	cpu->current = next;
	cpu->switched_from = prev;
	context_switch(&prev->saved_rsp, next->saved_rsp);
}

/* After a switch: drops rq_lock, restoring flags, and reaps the thread left if it died. */
static void finish_switch_unlock(unsigned long flags)
{
	struct thread *prev = this_cpu()->switched_from;
	struct thread *dead = prev && prev->state == THREAD_DEAD ? prev : NULL;

	this_cpu()->switched_from = NULL;
	spin_unlock_irqrestore(&rq_lock, flags);
	if (dead)
		thread_reap(dead);
}

static void reschedule_unlock(unsigned long flags)
{
	switch_locked();
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
	unsigned long flags;
	struct percpu *c;

	if (!(mask & online))
		return -EINVAL;
	flags = spin_lock_irqsave(&rq_lock);
	WRITE_ONCE(t->cpus_allowed, mask);
	c = running_on_locked(t);
	if (c == this_cpu() && !thread_may_run_on(t, c->cpu_id))
		c->need_resched = true; /* leaves at the next chance; the queue moves it */
	else if (c && !thread_may_run_on(t, c->cpu_id))
		smp_send_ipi(c->cpu_id, VEC_IPI_RESCHED);
	else if (!c && t->state == THREAD_RUNNABLE && !t->idle)
		kick_locked(t);
	spin_unlock_irqrestore(&rq_lock, flags);
	return 0;
}

void sched_request_resched(void)
{
	this_cpu()->need_resched = true;
}

void sched_yield_current(void)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);
	bool others = first_for_cpu_locked(this_cpu()) != NULL;

	spin_unlock_irqrestore(&rq_lock, flags);
	if (others) /* alone, the CPU would leave and come back to this same thread */
		this_cpu()->need_resched = true;
}

void schedule(void)
{
	reschedule_unlock(spin_lock_irqsave(&rq_lock));
}

void sched_make_runnable(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);

	enqueue_locked(t);
	spin_unlock_irqrestore(&rq_lock, flags);
}

void sched_block_unlock(spinlock_t *lock, unsigned long flags)
{
	struct thread *self = current_thread();

	assert_may_block(self);
	/* Interrupts are already off (lock is held): rq_lock's saved state is "off". */
	spin_lock_irqsave(&rq_lock);
	self->state = THREAD_BLOCKED;
	spin_unlock_irqrestore(lock, 0);
	reschedule_unlock(flags);
}

void sched_wake(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);

	if (t->state == THREAD_SLEEPING)
		list_del(&t->run_node);
	if (t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING)
		enqueue_locked(t);
	else
		t->wait.flags |= WAIT_WOKEN; /* it has not parked yet: it must not */
	spin_unlock_irqrestore(&rq_lock, flags);
}

/* Puts the current thread on the sleep list until its deadline. Caller holds rq_lock. */
static void sleep_until_locked(struct thread *self, uint64_t deadline)
{
	struct list_head *pos = &sleepers;
	struct thread *t;

	self->wake_at_ns = deadline;
	list_for_each_entry (t, &sleepers, run_node) {
		if (t->wake_at_ns > deadline) {
			pos = &t->run_node;
			break;
		}
	}
	list_add_tail(&self->run_node, pos); /* before pos */
	self->state = THREAD_SLEEPING;
}

void thread_sleep_ns(uint64_t ns)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);
	struct thread *self = current_thread(), *t;
	struct list_head *pos = &sleepers;

	assert_may_block(self);
	self->wake_at_ns = clock_ns() + ns;
	list_for_each_entry (t, &sleepers, run_node) {
		if (t->wake_at_ns > self->wake_at_ns) {
			pos = &t->run_node;
			break;
		}
	}
	list_add_tail(&self->run_node, pos); /* before pos */
	self->state = THREAD_SLEEPING;
	reschedule_unlock(flags);
}

static void wake_sleepers(uint64_t now)
{
	while (!list_empty(&sleepers)) {
		struct thread *t = list_first_entry(&sleepers, struct thread, run_node);

		if (t->wake_at_ns > now)
			break;
		list_del(&t->run_node);
		enqueue_locked(t);
	}
}

/* The timer interrupt: wakes sleepers and ends time slices. */
void sched_tick(bool from_user)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);
	struct percpu *cpu = this_cpu();
	struct thread *cur = cpu->current;

	cpu->ticks++;
	wake_sleepers(clock_ns());
	if (cur->idle) {
		cpu->idle_ticks++;
	} else {
		cur->run_ticks++;
		if (cur->user && from_user) {
			cur->user_ticks++;
			cpu->user_ticks++;
		} else {
			if (cur->user)
				cur->system_ticks++;
			cpu->system_ticks++;
		}
		if (--cur->slice <= 0)
			cpu->need_resched = true;
		if (cur->service)
			svc_tick(cur->service, 1000000000ull / HZ);
	}
	spin_unlock_irqrestore(&rq_lock, flags);
	ktimers_run(clock_ns());
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

void user_enter(struct thread *t) __attribute__((noreturn));
void user_leave(struct thread *t);

__attribute__((noreturn)) void cpu_loop(void)
{
	struct percpu *cpu = this_cpu();

	for (;;) {
		unsigned long flags;
		struct thread *next;

		irq_disable();
		flags = spin_lock_irqsave(&rq_lock);
		cpu->current = cpu->idle;
		next = dequeue_for_cpu_locked(cpu);
		if (!next) {
			spin_unlock_irqrestore(&rq_lock, flags);
			cpu_idle_wait();
			continue;
		}
		next->slice = TIMESLICE_TICKS;
		cpu->need_resched = false;
		cpu->current = next;
		if (next->user) {
			spin_unlock_irqrestore(&rq_lock, flags);
			user_enter(next);
		}
		cpu->switched_from = cpu->idle;
		context_switch(&cpu->idle->saved_rsp, next->saved_rsp);
		finish_switch_unlock(flags);
	}
}

__attribute__((noreturn)) void sched_user_yield(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);

	user_leave(t); /* saved before another CPU can take it */
	enqueue_locked(t);
	this_cpu()->current = this_cpu()->idle;
	spin_unlock_irqrestore(&rq_lock, flags);
	cpu_loop_restart();
}

void sched_user_park(struct thread *t, bool rerun_call)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);

	if ((t->wait.flags & WAIT_WOKEN) || t->killed) {
		t->wait.flags &= ~WAIT_WOKEN;
		spin_unlock_irqrestore(&rq_lock, flags);
		return;
	}
	t->restart_syscall = rerun_call;
	user_leave(t); /* saved before a wake-up on another CPU can take it */
	if (t->wait.deadline_ns)
		sleep_until_locked(t, t->wait.deadline_ns);
	else
		t->state = THREAD_BLOCKED;
	this_cpu()->current = this_cpu()->idle;
	spin_unlock_irqrestore(&rq_lock, flags);
	cpu_loop_restart();
}

void sched_user_exit(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);
	struct percpu *cpu = this_cpu();

	t->state = THREAD_DEAD;
	cpu->current = cpu->idle;
	if (cpu->fpu_owner == t)
		cpu->fpu_owner = NULL;
	spin_unlock_irqrestore(&rq_lock, flags);
}

/* A signal for a thread parked in a call: it runs, and the call ends as interrupted. */
void sched_signal_wake(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);

	if (t->wait.flags & WAIT_UNINTERRUPTIBLE) {
		/* A service call: the signal waits until the call is done. */
	} else if ((t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING) &&
		   t->restart_syscall) {
		if (t->state == THREAD_SLEEPING)
			list_del(&t->run_node);
		enqueue_locked(t);
	} else if (t->state == THREAD_RUNNABLE) {
		t->wait.flags |= WAIT_WOKEN; /* about to park in a call: it must not */
		kick_running_locked(t);
	}
	spin_unlock_irqrestore(&rq_lock, flags);
}

/* Wakes a user thread for its exit (exit_group, a fatal signal): it runs, sees `killed`, exits. */
void sched_kill_wake(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);

	t->killed = true; /* a thread about to park sees this under rq_lock and does not */
	if (t->state == THREAD_SLEEPING)
		list_del(&t->run_node);
	if (t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING)
		enqueue_locked(t);
	else
		kick_running_locked(t);
	spin_unlock_irqrestore(&rq_lock, flags);
}

__attribute__((noreturn)) void sched_exit_current(void)
{
	unsigned long flags = spin_lock_irqsave(&rq_lock);

	current_thread()->state = THREAD_DEAD;
	reschedule_unlock(flags);
	panic("sched: a dead thread was resumed");
}
