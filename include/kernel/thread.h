/*
 * Kernel threads and the scheduler (kernel/thread.c, kernel/sched.c).
 *
 * A kernel thread has its own stack (mm/kstack.c) and runs a function to
 * completion; it can block on a wait queue, sleep for a duration, and is
 * preempted by the timer. Each CPU has a run queue under its own lock,
 * real-time threads first, the others by weighted run time (nice), and an
 * idle thread (the boot stack context on the boot CPU) that halts.
 */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>
#include <mm/kstack.h>
#include <kernel/wait.h>
#include <kernel/proc.h>
#include <arch/x86_64/trap.h>
#include <arch/x86_64/percpu.h>

struct process;
struct fpu_state;
struct service;
struct svc_request;
struct ptrace_state;

enum thread_state {
	THREAD_RUNNABLE, /* on the run queue, or running */
	THREAD_BLOCKED,	 /* on a wait queue */
	THREAD_SLEEPING, /* on the sleep list until wake_at_ns */
	THREAD_DEAD,	 /* exited; stack released after the switch away */
};

#define THREAD_NAME_LEN 16
#define TIMESLICE_TICKS 2

/*
 * The service requests a system call (or a user page fault) made, in
 * order, with their replies, kept until it ends: a run of the call takes
 * its n-th request's reply from the n-th kept one (svc/service.c). Lock
 * key: (o) the owning thread.
 */
struct svc_call_log {
	struct svc_request **reqs; /* (o) cap entries (kmalloc), NULL when none */
	uint16_t count, cap;	   /* (o) requests kept, room */
	uint16_t next;		   /* (o) the sequence number of this run's next request */
};

/*
 * Lock key: (c) constant after creation, (r) the lock of its CPU's run queue
 * (runqs[last_cpu], kernel/sched.c), (o) only the
 * thread itself, (z) the reap wait queue's lock (kernel/thread.c).
 */
struct thread {
	struct list_head run_node; /* (r) run queue, sleep list or wait queue */
	enum thread_state state;   /* (r) */
	int last_cpu;	    /* (r) whose run queue it belongs to: queued there, runs or ran there */
	uint64_t saved_rsp; /* (r) stack pointer while switched out */
	uint64_t wake_at_ns;	    /* (r) deadline while on the sleep list */
	int slice;		    /* (r) ticks left in the time slice */
	int tid;		    /* (c) */
	char name[THREAD_NAME_LEN]; /* (c) */
	struct kstack stack;	    /* (c) none for idle threads */
	bool idle;		    /* (c) */
	bool detached;		    /* (z) freed at exit, nobody joins */
	bool reaped;		    /* (z) stack gone; join may free it */
	int exit_code;		    /* (o) until reaped */
	uint64_t run_ticks;	    /* (r) timer ticks spent running */
	uint64_t cpus_allowed;	    /* (r) bit n: may run on CPU n (sched_setaffinity) */
	/* Scheduling parameters (kernel/sched.c); for user threads set by sys/sched.c. */
	int8_t nice;		 /* (r) -20..19: the fair policies' weight */
	uint8_t policy;		 /* (r) SCHED_OTHER, BATCH, IDLE, FIFO, RR */
	uint8_t rt_priority;	 /* (r) 1..99 under FIFO and RR, else 0 */
	bool reset_on_fork;	 /* (r) SCHED_RESET_ON_FORK */
	bool vr_relative;	 /* (r) vruntime counts from a queue's min_vruntime (new, moving) */
	uint16_t ioprio;	 /* (a) ioprio_set's value, inherited; 0: none set */
	uint64_t vruntime;	 /* (r) run time weighted by NICE_0_WEIGHT / weight, in ns */
	struct service *service; /* (c) the service this thread runs, or NULL */
	struct list_head all_node; /* (all threads lock) */

	/*
	 * User threads only: no stack above; the user registers live in
	 * uregs (the entry code saves them there), the FPU state in fpu.
	 */
	bool user;		    /* (c) */
	bool kcall;		    /* (o) in kthread_call: a wait runs the call again */
	struct dentry *walk_root;   /* (o) a kernel thread's "/" for paths (coredump.c) */
	struct process *proc;	    /* (c) */
	const struct cred *cred;    /* (o) replaced only by the thread itself (cred_commit) */
	bool no_new_privs;	    /* (o) PR_SET_NO_NEW_PRIVS: inherited, never unset */
	struct list_head proc_node; /* (process lock) */
	struct trap_frame uregs __attribute__((aligned(16))); /* (o) */
	struct fpu_state *fpu;		   /* (o) saved whenever it leaves a CPU */
	int fpu_cpu;			   /* (o) CPU whose registers last held fpu */
	struct wait wait;		   /* the wait it is parked on */
	bool restart_syscall;		   /* (r) re-run the call in uregs when resumed */
	bool killed;			   /* (r) exit at the next return to user mode */
	uint64_t fs_base, gs_base;	   /* (o) user TLS registers */
	uint64_t sigmask;		   /* (o) blocked signals */
	struct sigpending sigpending;	   /* (process lock) signals sent to this thread */
	uint64_t saved_sigmask;		   /* (o) restored after a handler (sigsuspend) */
	bool restore_sigmask;		   /* (o) */
	uint64_t sigwait_set;		   /* (o) rt_sigtimedwait's set while it waits */
	bool interrupted_call;		   /* (o) a parked call ended for a signal */
	uint64_t syscall_nr;		   /* (o) of the interrupted call, for restarts */
	uintptr_t altstack_sp;		   /* (o) sigaltstack */
	size_t altstack_size;		   /* (o) */
	int altstack_flags;		   /* (o) SS_DISABLE, SS_AUTODISARM */
	uintptr_t clear_child_tid;	   /* (o) */
	uintptr_t set_child_tid;	   /* (o) written when it first runs */
	uintptr_t robust_list;		   /* (o) */
	uint64_t user_ticks, system_ticks; /* (r) */
	struct svc_call_log svc_log;	   /* (o) the service requests the call made */
	bool fault_wait; /* (o) a user access in the call waits for a file page (vm_fault -EWAIT) */
	bool in_call;	 /* (o) a system call is running (syscall_run): it can run again */
	struct ptrace_state *ptrace; /* set at its first attach, freed with it (kernel/ptrace.c) */
};

typedef void (*thread_fn_t)(void *arg);

/* Creates and starts a thread; returns it, or NULL when out of memory. */
struct thread *kthread_create(const char *name, thread_fn_t fn, void *arg);
/* Waits for t to exit, frees it, returns its exit code. */
int kthread_join(struct thread *t);
/* Lets t be freed at exit without a join. */
void kthread_detach(struct thread *t);
__attribute__((noreturn)) void kthread_exit(int code);
/* Ends the current thread after a fault in it (arch/x86_64/trap.c). */
__attribute__((noreturn)) void kthread_die_of_fault(void);

/* The thread running on this CPU: one GS-relative load (inline: most system calls ask). */
static inline struct thread *current_thread(void)
{
	struct thread *t;

	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(t) : "i"(offsetof(struct percpu, current)));
	return t;
}

/* Scheduler. */
void sched_init_boot(void);
/* The run queues, before any thread is made runnable (sched_init_boot). */
void sched_init_runqueues(void);
struct percpu;
/* An AP's idle thread (arch/x86_64/smp.c). */
void sched_init_ap(struct percpu *cpu);
/* This CPU's loop: runs kernel threads by switching, user threads by entering them. */
__attribute__((noreturn)) void cpu_loop(void);
__attribute__((noreturn)) void cpu_loop_restart(void);
/* User threads leaving the CPU: yield (still runnable) or park (blocked on their wait). */
__attribute__((noreturn)) void sched_user_yield(struct thread *t);
/*
 * Parks t on its wait (rerun_call: run its system call again when woken).
 * Returns only if the wait was already woken: the caller goes on at once.
 */
void sched_user_park(struct thread *t, bool rerun_call);
/*
 * A kernel thread blocks on its own struct wait (registered on sources by
 * wait_event_locked) until woken, or its deadline; returns at once if it
 * was woken before (kernel/wait.c).
 */
void sched_kthread_park(struct thread *self);
/* A signal arrived for t: a call it is parked in ends (as interrupted). */
void sched_signal_wake(struct thread *t);
/* Removes t from this CPU for good (it exited); the caller frees it. */
void sched_user_exit(struct thread *t);
/* Marks a user thread killed and makes it run (to exit) if it is parked. */
void sched_kill_wake(struct thread *t);
void schedule(void);
/* Asks this CPU to pick again at the next chance. */
void sched_request_resched(void);
/* sched_yield(2): the same, when another thread is waiting to run. */
void sched_yield_current(void);
void sched_tick(bool from_user);
/* Called on every trap exit: preempts when the timer asked for it. */
void sched_preempt_point(bool interrupted_with_irqs_on);
void sched_make_runnable(struct thread *t);
/*
 * Blocks the current thread on a wait queue it has already joined: releases
 * lock (taken with spin_lock_irqsave, which returned flags) atomically with
 * the switch away. Interrupts come back as flags says once it is woken.
 */
void sched_block_unlock(spinlock_t *lock, unsigned long flags);
/* Makes a blocked (unlinked from its wait queue) or sleeping thread runnable. */
void sched_wake(struct thread *t);
/* Whether t runs on a CPU now (in user mode or in a call). */
bool sched_thread_on_cpu(struct thread *t);
/* Whether t's affinity lets it run on cpu. */
bool thread_may_run_on(const struct thread *t, unsigned cpu);
/* Sets t's allowed CPUs (some online one among them); moves it off a CPU it may no longer use. */
int sched_set_affinity(struct thread *t, uint64_t mask);
/* Nice, policy and real-time priority of t (checked by the caller: sys/sched.c). */
void sched_set_params(struct thread *t, int nice, int policy, int rt_priority, bool reset_on_fork);
/* What a new thread takes from its creator (SCHED_RESET_ON_FORK applied). */
void sched_fork_params(struct thread *child, struct thread *parent);
/* The time slice of t's policy, in ns (sched_rr_get_interval). */
uint64_t sched_slice_ns(const struct thread *t);
void thread_sleep_ns(uint64_t ns);

/* Between kernel/thread.c and kernel/sched.c only. */
void sched_finish_first_switch(void);
__attribute__((noreturn)) void sched_exit_current(void);
void thread_reap(struct thread *t);

/* A thread killed by a fault in it exits with this code. */
#define THREAD_EXIT_FAULT (-1000)

/* For /proc-like listings: calls fn for each thread under the threads lock. */
void threads_for_each(void (*fn)(struct thread *t, void *ctx), void *ctx);
/* The same without the lock, only for the NMI state dump (kernel/state_dump.c). */
void threads_for_each_in_nmi(void (*fn)(struct thread *t, void *ctx), void *ctx);
const char *thread_state_name(enum thread_state state);
unsigned thread_count(void);

/* Wait queues for kernel threads (which have stacks and may block on them). */
struct waitq {
	spinlock_t lock;
	struct list_head waiters; /* (lock) struct thread.run_node */
};
void waitq_init(struct waitq *wq, const char *name);
/* Sleeps until cond (evaluated under wq->lock) is true. */
#define waitq_wait_until(wq, cond)                                  \
	do {                                                        \
		unsigned long __f = spin_lock_irqsave(&(wq)->lock); \
		while (!(cond)) {                                   \
			waitq_block_locked((wq), __f);              \
			__f = spin_lock_irqsave(&(wq)->lock);       \
		}                                                   \
		spin_unlock_irqrestore(&(wq)->lock, __f);           \
	} while (0)
void waitq_block_locked(struct waitq *wq, unsigned long flags);
void waitq_wake_all(struct waitq *wq);

#endif
