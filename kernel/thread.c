/*
 * Kernel thread life cycle (include/kernel/thread.h): creation with a
 * guarded stack, exit, reaping by the scheduler, join and detach, and the
 * wait queues kernel threads block on.
 */
#include <lib/compiler.h>
#include <kernel/thread.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <mm/slab.h>
#include <lib/string.h>
#include <lib/printf.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>

void thread_start_asm(void);

static spinlock_t threads_lock = SPINLOCK_INIT("threads");
static LIST_HEAD(all_threads);	/* (threads_lock) */
static unsigned nr_threads;	/* (threads_lock) */
static int next_tid = 1;	/* (a) */
static struct waitq reap_wq;	/* joiners wait here for thread->reaped */
static struct thread boot_idle; /* CPU 0's idle thread, its own */

static void thread_register(struct thread *t, const char *name)
{
	unsigned long flags;

	t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	strlcpy(t->name, name, sizeof(t->name));
	flags = spin_lock_irqsave(&threads_lock);
	list_add_tail(&t->all_node, &all_threads);
	nr_threads++;
	spin_unlock_irqrestore(&threads_lock, flags);
}

void sched_init_boot(void)
{
	struct percpu *cpu = this_cpu();

	sched_init_runqueues();
	waitq_init(&reap_wq, "reap");
	list_init(&boot_idle.run_node);
	boot_idle.idle = true;
	boot_idle.cpus_allowed = 1;
	boot_idle.state = THREAD_RUNNABLE;
	thread_register(&boot_idle, "idle0");
	cpu->idle = cpu->current = &boot_idle;
}

/* An AP's idle thread: its boot context, which becomes its CPU loop. */
void sched_init_ap(struct percpu *cpu)
{
	struct thread *idle = kzalloc(sizeof(*idle));
	char name[THREAD_NAME_LEN];

	if (!idle)
		panic("smp: no memory for cpu %u's idle thread", cpu->cpu_id);
	list_init(&idle->run_node);
	idle->idle = true;
	idle->state = THREAD_RUNNABLE;
	idle->cpus_allowed = 1ull << cpu->cpu_id;
	idle->last_cpu = cpu->cpu_id;
	snprintf(name, sizeof(name), "idle%u", cpu->cpu_id);
	thread_register(idle, name);
	cpu->idle = cpu->current = idle;
}

/* The first C code of a new thread; see context_switch in entry.S. */
__attribute__((noreturn)) void thread_start(thread_fn_t fn, void *arg)
{
	sched_finish_first_switch();
	fn(arg);
	kthread_exit(0);
}

/* Lays out the frame that context_switch pops into thread_start_asm. */
static void thread_prepare_stack(struct thread *t, thread_fn_t fn, void *arg)
{
	uint64_t *sp = (uint64_t *)(t->stack.top - 16);

	*--sp = (uint64_t)thread_start_asm; /* return address */
	*--sp = 0;			    /* rbp */
	*--sp = 0;			    /* rbx */
	*--sp = (uint64_t)fn;		    /* r12 */
	*--sp = (uint64_t)arg;		    /* r13 */
	*--sp = 0;			    /* r14 */
	*--sp = 0;			    /* r15 */
	t->saved_rsp = (uint64_t)sp;
}

struct thread *kthread_create(const char *name, thread_fn_t fn, void *arg)
{
	struct thread *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	if (kstack_alloc(&t->stack)) {
		kfree(t);
		return NULL;
	}
	list_init(&t->run_node);
	wait_init(&t->wait); /* kernel threads wait on sources too (wait_event_locked) */
	t->cpus_allowed = ~0ull;
	thread_prepare_stack(t, fn, arg);
	thread_register(t, name);
	sched_make_runnable(t);
	return t;
}

static void thread_free(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&threads_lock);

	list_del(&t->all_node);
	nr_threads--;
	spin_unlock_irqrestore(&threads_lock, flags);
	kfree(t);
}

/* Runs in the next thread after t exited: its stack is no longer in use. */
void thread_reap(struct thread *t)
{
	unsigned long flags;
	bool detached;

	kstack_free(&t->stack);
	flags = spin_lock_irqsave(&reap_wq.lock);
	t->reaped = true;
	detached = t->detached;
	spin_unlock_irqrestore(&reap_wq.lock, flags);
	if (detached)
		thread_free(t);
	else
		waitq_wake_all(&reap_wq);
}

int kthread_join(struct thread *t)
{
	int code;

	waitq_wait_until(&reap_wq, t->reaped);
	code = t->exit_code;
	thread_free(t);
	return code;
}

void kthread_detach(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&reap_wq.lock);
	bool reaped = t->reaped;

	t->detached = true;
	spin_unlock_irqrestore(&reap_wq.lock, flags);
	if (reaped)
		thread_free(t);
}

__attribute__((noreturn)) void kthread_exit(int code)
{
	struct thread *self = current_thread();

	if (self->idle)
		panic("the idle thread tried to exit");
	self->exit_code = code;
	sched_exit_current();
}

__attribute__((noreturn)) void kthread_die_of_fault(void)
{
	struct thread *self = current_thread();

	pr_err("thread '%s' (tid %d) killed by the fault above; the kernel goes on\n", self->name,
	       self->tid);
	kthread_exit(THREAD_EXIT_FAULT);
}

void threads_for_each(void (*fn)(struct thread *t, void *ctx), void *ctx)
{
	unsigned long flags = spin_lock_irqsave(&threads_lock);
	struct thread *t;

	list_for_each_entry (t, &all_threads, all_node)
		fn(t, ctx);
	spin_unlock_irqrestore(&threads_lock, flags);
}

void threads_for_each_in_nmi(void (*fn)(struct thread *t, void *ctx), void *ctx)
{
	struct thread *t;

	/* No lock: the interrupted code may hold it (kernel/state_dump.c says why). */
	list_for_each_entry (t, &all_threads, all_node)
		fn(t, ctx);
}

const char *thread_state_name(enum thread_state state)
{
	static const char *const names[] = {
		[THREAD_RUNNABLE] = "runnable",
		[THREAD_BLOCKED] = "blocked",
		[THREAD_SLEEPING] = "sleeping",
		[THREAD_DEAD] = "dead",
	};

	return (unsigned)state < ARRAY_SIZE(names) ? names[state] : "?";
}

unsigned thread_count(void)
{
	return READ_ONCE(nr_threads);
}

void waitq_init(struct waitq *wq, const char *name)
{
	spin_init(&wq->lock, name);
	list_init(&wq->waiters);
}

void waitq_block_locked(struct waitq *wq, unsigned long flags)
{
	assert_held(&wq->lock);
	list_add_tail(&current_thread()->run_node, &wq->waiters);
	sched_block_unlock(&wq->lock, flags);
}

void waitq_wake_all(struct waitq *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	while (!list_empty(&wq->waiters)) {
		struct thread *t = list_first_entry(&wq->waiters, struct thread, run_node);

		list_del(&t->run_node);
		sched_wake(t);
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}
