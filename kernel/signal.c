/*
 * Signals (include/kernel/signal.h): generation and queueing, the choice of
 * a thread to take a process-directed signal, interruption of parked
 * calls, default actions, and delivery to handlers with the x86-64
 * rt_sigframe that musl and glibc expect (and rt_sigreturn, in
 * sys/signal.c, undoes).
 *
 * Permission (Linux's check_kill_permission) is the senders' to ask, with
 * signal_may_send; init (pid 1) is protected here: it gets only the
 * signals it has a handler for, except the faults its own code causes.
 *
 * Locks: a process's pending queues, sigactions and its threads' pending
 * queues are under p->lock; pgid/sid and stop state under proc_tree_lock.
 */
#include <kernel/signal.h>
#include <kernel/coredump.h>
#include <kernel/cred.h>
#include <kernel/posix_timer.h>
#include <fs/event.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uthread.h>
#include <kernel/ptrace.h>
#include <kernel/printk.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>
#include <mm/slab.h>
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/gdt.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/wait.h>

#define SIG_DFL	     0
#define SIG_IGN	     1
#define SS_ONSTACK   1
#define SS_DISABLE   2
#define SIGRTMIN_K   32
#define SIGQUEUE_MAX 1024 /* queued instances per process (RLIMIT_SIGPENDING) */
#define UNBLOCKABLE  (sigbit(SIGKILL) | sigbit(SIGSTOP))

static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static bool stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static bool ignored(struct process *p, int sig)
{
	uint64_t h = p->sigactions[sig - 1].handler;

	return sig != SIGKILL && sig != SIGSTOP &&
	       (h == SIG_IGN || (h == SIG_DFL && default_ignored(sig)));
}

/* Linux's kill_ok_by_cred: the sender's real or effective uid is the target's real or saved one. */
static bool kill_ok_by_cred(struct process *p)
{
	const struct cred *c = current_cred(), *tc;
	bool ok;

	if (capable(CAP_KILL))
		return true;
	tc = proc_cred_get(p);
	ok = c->euid == tc->suid || c->euid == tc->uid || c->uid == tc->suid || c->uid == tc->uid;
	cred_put(tc);
	return ok;
}

bool signal_may_send_locked(struct process *p, int sig)
{
	struct process *self = current_proc();

	assert_held(&proc_tree_lock);
	if (p == self || kill_ok_by_cred(p))
		return true;
	return sig == SIGCONT && p->sid == self->sid; /* SIGCONT within one's session */
}

int signal_may_send(struct process *p, int sig)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool ok = signal_may_send_locked(p, sig);

	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return ok ? 0 : -EPERM;
}

/* Queues info on q (caller holds p->lock). Standard signals coalesce. */
static int enqueue(struct sigpending *q, const struct ksiginfo *info)
{
	struct sigqueue_entry *e;

	if (info->signo < SIGRTMIN_K && (q->set & sigbit(info->signo)))
		return 0;
	e = kmalloc(sizeof(*e));
	if (!e)
		return info->signo < SIGRTMIN_K ? (q->set |= sigbit(info->signo), 0) : -EAGAIN;
	e->info = *info;
	e->timer = NULL;
	list_add_tail(&e->node, &q->queue);
	q->set |= sigbit(info->signo);
	return 0;
}

/*
 * An entry leaves its queue: a timer's goes back to the timer (which gives
 * the count of expirations it missed meanwhile), any other is freed.
 */
static void release_entry(struct sigqueue_entry *e, struct ksiginfo *info)
{
	list_del(&e->node);
	if (!e->timer) {
		kfree(e);
		return;
	}
	e->queued = false;
	e->queue = NULL;
	if (info)
		info->overrun = posix_timer_dequeued(e->timer);
}

/* Takes the oldest instance of sig from q into *info (caller holds p->lock). */
static void dequeue(struct sigpending *q, int sig, struct ksiginfo *info)
{
	struct sigqueue_entry *e, *found = NULL;
	bool more = false;

	memset(info, 0, sizeof(*info));
	info->signo = sig;
	list_for_each_entry (e, &q->queue, node) {
		if (e->info.signo != sig)
			continue;
		if (found) {
			more = true;
			break;
		}
		found = e;
	}
	if (found) {
		*info = found->info;
		release_entry(found, info);
	}
	if (!more)
		q->set &= ~sigbit(sig);
}

/* Drops every queued instance of the signals in mask (caller holds p->lock). */
static void flush(struct sigpending *q, uint64_t mask)
{
	struct sigqueue_entry *e, *tmp;

	list_for_each_entry_safe (e, tmp, &q->queue, node) {
		if (mask & sigbit(e->info.signo))
			release_entry(e, NULL);
	}
	q->set &= ~mask;
}

void sigpending_init(struct sigpending *q)
{
	q->set = 0;
	list_init(&q->queue);
}

void sigpending_release(struct sigpending *q)
{
	flush(q, ~0ULL);
}

/* A signal set to be ignored drops its pending instances (POSIX). Caller holds p->lock. */
void signal_discard_ignored(struct process *p, int sig)
{
	struct thread *t;

	assert_held(&p->lock);
	if (!ignored(p, sig))
		return;
	flush(&p->sigpending, sigbit(sig));
	list_for_each_entry (t, &p->threads, proc_node)
		flush(&t->sigpending, sigbit(sig));
}

/* The signals t would act on now. */
static uint64_t deliverable(struct thread *t)
{
	uint64_t pending = t->sigpending.set | t->proc->sigpending.set;

	return pending & ~t->sigmask;
}

bool signal_pending(struct thread *t)
{
	return deliverable(t) != 0;
}

/*
 * A signal rt_sigtimedwait waits for does not end its wait: the call,
 * run again, takes it (it would otherwise be delivered, or thrown away as
 * ignored, and the call would wait on without it).
 */
bool signal_ends_wait(struct thread *t)
{
	return !(t->wait.flags & WAIT_UNINTERRUPTIBLE) &&
	       ((deliverable(t) & ~t->sigwait_set) || ptrace_interrupt_pending(t));
}

/*
 * Whether a thread of p could still take sig although p ignores it:
 * Linux keeps a blocked signal (the handler may change before it is
 * unblocked, and sigwaitinfo takes it whatever the handler). Caller
 * holds p->lock.
 */
static bool blocked_by_a_thread_locked(struct process *p, int sig)
{
	struct thread *t;

	assert_held(&p->lock);
	list_for_each_entry (t, &p->threads, proc_node)
		if ((t->sigmask | t->sigwait_set) & sigbit(sig))
			return true;
	return false;
}

/*
 * Init takes no signal it has no handler for (Linux's SIGNAL_UNKILLABLE):
 * SIGKILL and SIGSTOP, and the default actions, do nothing to it; a
 * blocked signal is kept, for a handler or a sigwaitinfo/signalfd to come.
 * Takes p->lock.
 */
static bool init_ignores(struct process *p, int sig)
{
	unsigned long flags;
	bool drop;

	if (p->pid != 1 || !sig)
		return false;
	flags = spin_lock_irqsave(&p->lock);
	drop = p->sigactions[sig - 1].handler == SIG_DFL && !blocked_by_a_thread_locked(p, sig);
	spin_unlock_irqrestore(&p->lock, flags);
	return drop;
}

/* Makes t run if it is parked in an interruptible call and would take sig. */
static void wake_for(struct thread *t, int sig)
{
	bool takes = !(t->sigmask & sigbit(sig)) || (t->sigwait_set & sigbit(sig));

	if (takes && (!t->proc->stopped || sig == SIGKILL || sig == SIGCONT))
		sched_signal_wake(t);
}

static void stop_process(struct process *p, int sig);
static void continue_process(struct process *p);

/* Effects at generation time: SIGKILL kills, SIGCONT continues, a stop cancels SIGCONT. */
static bool generate_effects(struct process *p, int sig)
{
	if (sig == SIGKILL) {
		proc_kill(p, SIGKILL);
		return true;
	}
	if (sig == SIGCONT)
		continue_process(p);
	return false;
}

/* A stop signal cancels a pending SIGCONT, SIGCONT the pending stops. Caller holds p->lock. */
static void cancel_opposites_locked(struct process *p, int sig)
{
	assert_held(&p->lock);
	if (stop_signal(sig))
		flush(&p->sigpending, sigbit(SIGCONT));
	if (sig == SIGCONT)
		flush(&p->sigpending,
		      sigbit(SIGSTOP) | sigbit(SIGTSTP) | sigbit(SIGTTIN) | sigbit(SIGTTOU));
}

int signal_send(struct process *p, const struct ksiginfo *info)
{
	int sig = info->signo, err = 0;
	unsigned long flags;
	struct thread *t;
	bool ign;

	if (!sig || p->state != PROC_ALIVE || init_ignores(p, sig))
		return 0;
	if (generate_effects(p, sig))
		return 0;
	flags = spin_lock_irqsave(&p->lock);
	cancel_opposites_locked(p, sig);
	/*
	 * An ignored signal is kept only while a thread blocks it, for whoever
	 * unblocks it; of the threads, only a sigtimedwait of it is woken now.
	 */
	ign = ignored(p, sig);
	if (!ign || blocked_by_a_thread_locked(p, sig)) {
		err = enqueue(&p->sigpending, info);
		list_for_each_entry (t, &p->threads, proc_node)
			if (!err && (!ign || (t->sigwait_set & sigbit(sig))))
				wake_for(t, sig);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	signalfd_notify(); /* after the lock: see fs/signalfd.c */
	return err;
}

/* Queues a timer's entry as signal_send or signal_send_thread would; false if not queued. */
static bool queue_timer_locked(struct process *p, struct thread *t, struct sigqueue_entry *e)
{
	int sig = e->info.signo;
	bool ign = ignored(p, sig);
	struct thread *o;

	assert_held(&p->lock);
	cancel_opposites_locked(p, sig);
	if (t) {
		if (ign && !((t->sigmask | t->sigwait_set) & sigbit(sig)))
			return false;
		list_add_tail(&e->node, &t->sigpending.queue);
		t->sigpending.set |= sigbit(sig);
		e->queue = &t->sigpending;
		wake_for(t, sig);
		return true;
	}
	if (ign && !blocked_by_a_thread_locked(p, sig))
		return false;
	list_add_tail(&e->node, &p->sigpending.queue);
	p->sigpending.set |= sigbit(sig);
	e->queue = &p->sigpending;
	list_for_each_entry (o, &p->threads, proc_node)
		if (!ign || (o->sigwait_set & sigbit(sig)))
			wake_for(o, sig);
	return true;
}

void signal_send_timer(struct process *p, int tid, struct sigqueue_entry *e)
{
	struct thread *t = NULL;
	unsigned long flags;
	bool queued = false;

	if (init_ignores(p, e->info.signo) || generate_effects(p, e->info.signo)) {
		flags = spin_lock_irqsave(&p->lock);
		goto drop; /* SIGKILL, or nothing for init: nothing to queue */
	}
	flags = spin_lock_irqsave(&p->lock);
	if (tid)
		t = proc_thread_locked(p, tid);
	if (e->timer && p->state == PROC_ALIVE && (t || !tid)) /* not deleted meanwhile */
		queued = queue_timer_locked(p, t, e);
drop:
	if (!queued) {
		e->queued = false;
		if (!e->timer)
			kfree(e); /* its timer was deleted meanwhile */
	}
	spin_unlock_irqrestore(&p->lock, flags);
	if (queued)
		signalfd_notify();
}

/* Takes a queued timer entry off its queue (its signal with it); false if on none. */
static bool unqueue_timer_locked(struct process *p, struct sigqueue_entry *e)
{
	struct sigqueue_entry *o;
	struct sigpending *q = e->queue;
	int sig = e->info.signo;

	assert_held(&p->lock);
	if (!q)
		return false;
	list_del(&e->node);
	e->queue = NULL;
	e->queued = false;
	list_for_each_entry (o, &q->queue, node)
		if (o->info.signo == sig)
			return true;
	q->set &= ~sigbit(sig);
	return true;
}

void signal_unqueue_timer_locked(struct process *p, struct sigqueue_entry *e)
{
	unqueue_timer_locked(p, e);
}

void signal_cancel_timer_locked(struct process *p, struct sigqueue_entry *e)
{
	assert_held(&p->lock);
	e->timer = NULL;
	if (unqueue_timer_locked(p, e) || !e->queued)
		kfree(e);
	/* else being sent: signal_send_timer drops and frees it */
}

int signal_send_tid(struct process *p, int tid, const struct ksiginfo *info)
{
	bool drop = init_ignores(p, info->signo);
	unsigned long flags;
	struct thread *t;
	int err = 0;

	if (info->signo && !drop && generate_effects(p, info->signo))
		return 0;
	flags = spin_lock_irqsave(&p->lock);
	t = p->state == PROC_ALIVE ? proc_thread_locked(p, tid) : NULL;
	if (!t)
		err = -ESRCH;
	else if (!info->signo || drop)
		t = NULL; /* signal 0: only whether the thread is there */
	else if (!ignored(p, info->signo) || ((t->sigmask | t->sigwait_set) & sigbit(info->signo)))
		err = enqueue(&t->sigpending, info);
	if (t && !err)
		wake_for(t, info->signo);
	spin_unlock_irqrestore(&p->lock, flags);
	signalfd_notify();
	return err;
}

/* To one thread; force: a fault's, which reaches even init. */
static int send_thread(struct thread *t, const struct ksiginfo *info, bool force)
{
	struct process *p = t->proc;
	unsigned long flags;
	int err = 0;

	if (!force && init_ignores(p, info->signo))
		return 0;
	if (generate_effects(p, info->signo))
		return 0;
	flags = spin_lock_irqsave(&p->lock);
	if (!ignored(p, info->signo) || ((t->sigmask | t->sigwait_set) & sigbit(info->signo)))
		err = enqueue(&t->sigpending, info);
	if (!err)
		wake_for(t, info->signo);
	spin_unlock_irqrestore(&p->lock, flags);
	signalfd_notify();
	return err;
}

int signal_send_thread(struct thread *t, const struct ksiginfo *info)
{
	return send_thread(t, info, false);
}

/*
 * A fault's signal: it cannot be blocked or ignored (the instruction would
 * fault again), so those reset it to the default action, as Linux does.
 */
void signal_force(struct thread *t, const struct ksiginfo *info)
{
	struct process *p = t->proc;
	int sig = info->signo;
	unsigned long flags = spin_lock_irqsave(&p->lock);

	if (p->sigactions[sig - 1].handler == SIG_IGN || (t->sigmask & sigbit(sig))) {
		p->sigactions[sig - 1].handler = SIG_DFL;
		t->sigmask &= ~sigbit(sig);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	if (p->sigactions[sig - 1].handler == SIG_DFL && !ptrace_traced(t))
		pr_info("pid %d (%s): fault at rip %#lx addr %#lx: signal %d\n", p->pid, p->comm,
			(unsigned long)t->uregs.rip, (unsigned long)info->addr, sig);
	send_thread(t, info, true);
}

void signal_self(int sig)
{
	struct thread *t = current_thread();
	struct ksiginfo info = { .signo = sig, .code = SI_KERNEL, .pid = t->proc->pid };

	signal_send_thread(t, &info);
}

#define PGRP_BATCH 128

struct pgrp_send {
	int pgid, sig;
	bool kill;
	struct process *self;
	struct process *targets[PGRP_BATCH];
	unsigned n, skip, seen;
	bool check;	 /* from user space: only those the sender may signal */
	unsigned denied; /* matched, but the sender may not signal them */
};

static void collect_pgrp(struct process *p, void *arg)
{
	struct pgrp_send *s = arg;
	bool match = s->pgid == -1 ? (p->pid != 1 && p != s->self) : p->pgid == s->pgid;

	if (!match || p->state != PROC_ALIVE)
		return;
	if (s->check && !signal_may_send_locked(p, s->sig)) {
		if (!s->skip) /* counted once, in the first batch */
			s->denied++;
		return;
	}
	if (s->kill && !init_ignores(p, SIGKILL)) /* a fork racing on another CPU kills its
						     child too (proc_publish) */
		p->group_killed = true;
	if (s->seen++ >= s->skip && s->n < PGRP_BATCH)
		s->targets[s->n++] = p;
}

static int send_pgrp(int pgid, const struct ksiginfo *info, bool check)
{
	struct pgrp_send *s = kzalloc(sizeof(*s));
	unsigned long flags;
	unsigned found = 0, denied;

	if (!s)
		return -ENOMEM;
	s->pgid = pgid;
	s->check = check;
	s->sig = info->signo;
	s->kill = info->signo == SIGKILL;
	s->self = current_proc();
	/* Collect a batch under the tree lock, send outside it (sending takes other locks). */
	do {
		s->n = s->seen = 0;
		flags = spin_lock_irqsave(&proc_tree_lock);
		proc_for_each_locked(collect_pgrp, s);
		for (unsigned i = 0; i < s->n; i++)
			proc_hold(s->targets[i]);
		spin_unlock_irqrestore(&proc_tree_lock, flags);
		for (unsigned i = 0; i < s->n; i++) {
			signal_send(s->targets[i], info);
			proc_unhold(s->targets[i]);
		}
		found += s->n;
		s->skip += info->signo == SIGKILL ? 0 : s->n; /* killed ones drop out */
	} while (s->n == PGRP_BATCH);
	denied = s->denied;
	kfree(s);
	/* Linux's: to -1, 0 even when all were denied; to a group, EPERM when all were. */
	if (!found && !denied)
		return -ESRCH;
	return found || pgid == -1 ? 0 : -EPERM;
}

int signal_send_pgrp(int pgid, const struct ksiginfo *info)
{
	return send_pgrp(pgid, info, false);
}

int signal_kill_pgrp(int pgid, const struct ksiginfo *info)
{
	return send_pgrp(pgid, info, true);
}

/* Tells the parent about a child's state change (SIGCHLD and wait4). */
static void notify_parent(struct process *p, int code, int status)
{
	struct process *parent = p->parent;
	struct ksiginfo info = { .signo = SIGCHLD, .code = code, .pid = p->pid, .status = status };

	if (!parent)
		return;
	/* SA_NOCLDSTOP: no SIGCHLD for stops and continues (wait4 still sees them). */
	if (!(parent->sigactions[SIGCHLD - 1].flags & SA_NOCLDSTOP))
		signal_send(parent, &info);
	wait_wake_all(&parent->child_event);
}

static void stop_process(struct process *p, int sig)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool was = p->stopped;

	p->stopped = true;
	p->stop_sig = sig;
	if (!was)
		p->stop_gen++;
	p->report_stop = !was;
	p->report_cont = false;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (!was)
		notify_parent(p, CLD_STOPPED, sig);
}

static void continue_process(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool was = p->stopped;

	p->stopped = false;
	p->report_stop = false;
	p->report_cont = was;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (!was)
		return;
	wait_wake_all(&p->stop_source);
	ptrace_group_continued(p);
	notify_parent(p, CLD_CONTINUED, SIGCONT);
}

/* Parks t while its process is stopped; returns when it may go on. */
static void wait_while_stopped(struct thread *t)
{
	struct process *p = t->proc;
	unsigned long flags;

	if (ptrace_traced(t) && ptrace_group_stop(t))
		return; /* a ptrace-stop its tracer ends (Linux: the tracee then runs) */
	for (;;) {
		flags = spin_lock_irqsave(&p->stop_source.lock);
		if (!READ_ONCE(p->stopped) || t->killed) {
			spin_unlock_irqrestore(&p->stop_source.lock, flags);
			return;
		}
		wait_block_locked(&p->stop_source, 0);
		spin_unlock_irqrestore(&p->stop_source.lock, flags);
		sched_user_park(t, false); /* returns only if already woken */
		wait_detach(&t->wait);
	}
}

/* A tracee reported this group stop and was resumed by its tracer: it runs on. */
static bool group_stop_reported(struct thread *t)
{
	return ptrace_traced(t) && t->ptrace->group_gen == READ_ONCE(t->proc->stop_gen);
}

/* The lowest signal t should act on, dequeued with its information; 0 if none. */
static int next_signal(struct thread *t, struct ksiginfo *info)
{
	struct process *p = t->proc;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	uint64_t own = t->sigpending.set & ~t->sigmask;
	uint64_t shared = p->sigpending.set & ~t->sigmask;
	int sig = 0;

	/* Synchronous ones (faults) first, then the lowest number. */
	if (own)
		sig = __builtin_ctzll(own) + 1;
	else if (shared)
		sig = __builtin_ctzll(shared) + 1;
	if (sig)
		dequeue(own ? &t->sigpending : &p->sigpending, sig, info);
	spin_unlock_irqrestore(&p->lock, flags);
	return sig;
}

/* x86-64 signal frame, laid out as Linux's (struct rt_sigframe). */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved[8];
};

struct k_stack {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

struct k_ucontext {
	uint64_t flags, link;
	struct k_stack stack;
	struct k_sigcontext mcontext;
	uint64_t sigmask;
};

struct k_siginfo {
	int32_t signo, err, code, pad;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			int32_t status;
			int32_t pad;
			int64_t utime, stime;
		} child;
		struct {
			int32_t pid;
			uint32_t uid;
			uint64_t value;
		} kill;
		uint64_t addr;
		uint8_t bytes[112];
	};
};

struct rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	struct k_siginfo info;
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext");
_Static_assert(sizeof(struct k_siginfo) == 128, "siginfo");
_Static_assert(sizeof(struct rt_sigframe) == 440, "rt_sigframe");

void fill_siginfo(struct k_siginfo *si, const struct ksiginfo *info)
{
	memset(si, 0, sizeof(*si));
	si->signo = info->signo;
	si->err = info->err;
	si->code = info->code;
	if (info->signo == SIGCHLD && info->code > 0) {
		si->child.pid = info->pid;
		si->child.uid = info->uid;
		si->child.status = info->status;
	} else if (info->code == SI_TIMER) {
		si->kill.pid = info->timerid; /* si_timerid */
		si->kill.uid = (uint32_t)info->overrun;
		si->kill.value = info->value;
	} else if (info->addr && info->code > 0 && info->code < SI_KERNEL) {
		si->addr = info->addr; /* faults carry an address */
	} else {
		si->kill.pid = info->pid;
		si->kill.uid = info->uid;
		si->kill.value = info->value;
	}
}

static void save_regs(struct k_sigcontext *sc, const struct trap_frame *f, uint64_t mask)
{
	memset(sc, 0, sizeof(*sc));
	sc->r8 = f->r8, sc->r9 = f->r9, sc->r10 = f->r10, sc->r11 = f->r11;
	sc->r12 = f->r12, sc->r13 = f->r13, sc->r14 = f->r14, sc->r15 = f->r15;
	sc->rdi = f->rdi, sc->rsi = f->rsi, sc->rbp = f->rbp, sc->rbx = f->rbx;
	sc->rdx = f->rdx, sc->rax = f->rax, sc->rcx = f->rcx, sc->rsp = f->rsp;
	sc->rip = f->rip, sc->eflags = f->rflags, sc->cs = f->cs, sc->ss = f->ss;
	sc->trapno = f->vector < 32 ? f->vector : 0;
	sc->err = f->error;
	sc->oldmask = mask;
}

static bool on_altstack(struct thread *t, uint64_t sp)
{
	return t->altstack_size && sp > t->altstack_sp && sp - t->altstack_sp <= t->altstack_size;
}

/* Builds the frame for a handler; false if the stack cannot take it. */
static bool setup_frame(struct thread *t, int sig, const struct k_sigaction *act,
			const struct ksiginfo *info, uint64_t old_mask)
{
	struct rt_sigframe f;
	uint64_t sp = t->uregs.rsp - 128, fp, frame; /* skip the red zone */

	if ((act->flags & SA_ONSTACK) && t->altstack_size && !(t->altstack_flags & SS_DISABLE) &&
	    !on_altstack(t, t->uregs.rsp))
		sp = t->altstack_sp + t->altstack_size;
	fp = ALIGN_DOWN(sp - FPU_STATE_SIZE, 64);
	frame = ALIGN_DOWN(fp - sizeof(f), 16) - 8;
	memset(&f, 0, sizeof(f));
	f.pretcode = act->restorer;
	f.uc.stack = (struct k_stack){ t->altstack_sp,
				       on_altstack(t, t->uregs.rsp) ? SS_ONSTACK
								    : t->altstack_flags,
				       0, t->altstack_size };
	save_regs(&f.uc.mcontext, &t->uregs, old_mask);
	f.uc.mcontext.fpstate = fp;
	f.uc.sigmask = old_mask;
	fill_siginfo(&f.info, info);
	user_fpu_sync(t);
	if (copy_to_user(fp, t->fpu, FPU_STATE_SIZE) || copy_to_user(frame, &f, sizeof(f)))
		return false;
	t->uregs.rsp = frame;
	t->uregs.rip = act->handler;
	t->uregs.rdi = sig;
	t->uregs.rsi = frame + offsetof(struct rt_sigframe, info);
	t->uregs.rdx = frame + offsetof(struct rt_sigframe, uc);
	t->uregs.rax = 0;
	t->uregs.rflags &= ~(0x400UL | 0x100UL); /* DF, TF */
	user_fpu_reset(t);			 /* a handler starts with a clean FPU state */
	return true;
}

/* The end of an interrupted call, now that we know whether a handler runs. */
static void finish_interrupted(struct thread *t, const struct k_sigaction *act)
{
	long code = (long)t->uregs.rax;

	if (!t->interrupted_call)
		return;
	t->interrupted_call = false;
	if (act && (code == -ERESTARTNOHAND || !(act->flags & SA_RESTART))) {
		t->uregs.rax = -EINTR;
	} else {
		t->uregs.rax = t->syscall_nr; /* run the syscall instruction again */
		t->uregs.rip -= 2;
	}
}

static void run_handler(struct thread *t, int sig, struct ksiginfo *info)
{
	struct process *p = t->proc;
	struct k_sigaction act = p->sigactions[sig - 1];
	/* The frame keeps the mask to return to; the handler runs under the current one. */
	uint64_t old_mask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
	uint64_t cur_mask = t->sigmask;
	unsigned long flags;

	finish_interrupted(t, &act);
	t->restore_sigmask = false;
	if (!setup_frame(t, sig, &act, info, old_mask)) {
		pr_info("pid %d (%s): cannot write the frame for signal %d: killed\n", p->pid,
			p->comm, sig);
		proc_kill(p, SIGSEGV);
		return;
	}
	t->sigmask = cur_mask | act.mask | ((act.flags & SA_NODEFER) ? 0 : sigbit(sig));
	t->sigmask &= ~UNBLOCKABLE;
	if (act.flags & SA_RESETHAND) {
		flags = spin_lock_irqsave(&p->lock);
		p->sigactions[sig - 1].handler = SIG_DFL;
		p->sigactions[sig - 1].flags &= ~SA_SIGINFO;
		spin_unlock_irqrestore(&p->lock, flags);
	}
}

/* Default actions; returns true when the thread must not go on to user mode as it is. */
static bool default_action(struct thread *t, int sig, const struct ksiginfo *info)
{
	if (default_ignored(sig))
		return false;
	if (stop_signal(sig)) {
		stop_process(t->proc, sig);
		return true;
	}
	if (sig_dumps_core(sig))
		proc_kill_dumping(t->proc, sig, coredump_prepare(t, info));
	else
		proc_kill(t->proc, sig);
	return true;
}

/* signal_deliver's work: out of line, so that its frame is not set up on every return. */
static __attribute__((noinline)) void deliver_pending(struct thread *t)
{
	struct ksiginfo info;
	int sig;

	for (;;) {
		if (t->killed)
			return;
		if (READ_ONCE(t->proc->stopped) && !group_stop_reported(t)) {
			wait_while_stopped(t);
			continue;
		}
		sig = t->ptrace ? ptrace_resumed_signal(t, &info) : -1;
		if (sig == 0)
			continue; /* the tracer suppressed it */
		if (sig > 0 && (t->sigmask & sigbit(sig))) {
			signal_send_thread(t, &info); /* blocked now: it waits in the queue */
			continue;
		}
		if (sig < 0) {
			sig = next_signal(t, &info);
			if (!sig)
				break;
			if (t->ptrace && ptrace_signal_stop(t, &info))
				continue; /* the tracer's choice comes back above */
		}
		if (t->proc->sigactions[sig - 1].handler == SIG_IGN)
			continue;
		if (t->proc->sigactions[sig - 1].handler != SIG_DFL) {
			run_handler(t, sig, &info);
			return;
		}
		if (default_action(t, sig, &info))
			continue; /* killed or stopped: loop to act on it */
	}
	finish_interrupted(t, NULL); /* no handler ran: the call restarts */
	if (t->restore_sigmask) {
		t->sigmask = t->saved_sigmask;
		t->restore_sigmask = false;
	}
}

void signal_deliver(struct thread *t)
{
	/* The common case, on every return to user mode: nothing to do, no lock taken. */
	if (!signal_pending(t) && !READ_ONCE(t->proc->stopped) && !t->interrupted_call &&
	    !t->restore_sigmask)
		return;
	deliver_pending(t);
}

void signal_deliver_tracee(struct thread *t)
{
	deliver_pending(t); /* a signal the tracer chose may wait (ptrace_resumed_signal) */
}

/* Calls that return EINTR after a handler even with SA_RESTART (Linux's list). */
static bool never_restarted(uint64_t nr)
{
	static const uint16_t calls[] = { 7, 23, 34, 35, 128, 130, 230, 232, 270, 271, 281, 441 };

	for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
		if (calls[i] == nr)
			return true;
	return false;
}

/* nanosleep and relative clock_nanosleep report the time left when interrupted. */
static void write_remaining(struct thread *t, uint64_t nr)
{
	uintptr_t rem = nr == 35 ? t->uregs.rsi : t->uregs.r10;
	uint64_t now = clock_ns(), left;
	int64_t ts[2];

	if ((nr != 35 && !(nr == 230 && t->uregs.rsi == 0)) || !rem || !t->wait.deadline_ns)
		return;
	left = t->wait.deadline_ns > now ? t->wait.deadline_ns - now : 0;
	ts[0] = left / NSEC_PER_SEC;
	ts[1] = left % NSEC_PER_SEC;
	copy_to_user(rem, ts, sizeof(ts));
}

void signal_interrupt_call(struct thread *t)
{
	uint64_t nr = t->uregs.rax;

	wait_detach(&t->wait);
	t->sigwait_set = 0; /* the call is over */
	t->restart_syscall = false;
	if (t->wait.partial > 0) {
		/* Some bytes already moved: the call returns their count, as on Linux. */
		t->uregs.rax = t->wait.partial;
		return;
	}
	t->interrupted_call = true;
	t->syscall_nr = nr;
	write_remaining(t, nr);
	t->uregs.rax = never_restarted(nr) ? -ERESTARTNOHAND : -ERESTARTSYS;
}

struct pgrp_find {
	int pgid, sid;
	bool found;
};

static void match_pgrp(struct process *p, void *arg)
{
	struct pgrp_find *f = arg;

	/* A zombie still belongs to its group until it is reaped, as in Linux. */
	f->found |= p->pgid == f->pgid && p->sid == f->sid;
}

bool pgrp_exists_in_session(int pgid, int sid)
{
	struct pgrp_find f = { pgid, sid, false };

	assert_held(&proc_tree_lock);
	proc_for_each_locked(match_pgrp, &f);
	return f.found;
}

bool signal_pending_in(struct thread *t, uint64_t set)
{
	struct process *p = t->proc;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	bool pending = (t->sigpending.set | p->sigpending.set) & set;

	spin_unlock_irqrestore(&p->lock, flags);
	return pending;
}

int signal_take(struct thread *t, uint64_t set, struct ksiginfo *info)
{
	struct process *p = t->proc;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	uint64_t own = t->sigpending.set & set, shared = p->sigpending.set & set;
	int sig = 0;

	if (own | shared) {
		sig = __builtin_ctzll(own ? own : shared) + 1;
		dequeue(own ? &t->sigpending : &p->sigpending, sig, info);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return sig;
}

/* What user mode may change in rflags through a signal frame (Linux's FIX_EFLAGS). */
#define USER_EFLAGS  0x40dd5UL
#define MXCSR_OFFSET 24

static void restore_regs(struct trap_frame *f, const struct k_sigcontext *sc)
{
	f->r8 = sc->r8, f->r9 = sc->r9, f->r10 = sc->r10, f->r11 = sc->r11;
	f->r12 = sc->r12, f->r13 = sc->r13, f->r14 = sc->r14, f->r15 = sc->r15;
	f->rdi = sc->rdi, f->rsi = sc->rsi, f->rbp = sc->rbp, f->rbx = sc->rbx;
	f->rdx = sc->rdx, f->rax = sc->rax, f->rcx = sc->rcx, f->rsp = sc->rsp;
	f->rip = sc->rip;
	f->rflags = (f->rflags & ~USER_EFLAGS) | (sc->eflags & USER_EFLAGS) | 0x200; /* IF */
	f->cs = SEL_USER_CODE;
	f->ss = SEL_USER_DATA;
}

/* Restores what a handler interrupted; returns rax to leave in place. */
long signal_return(struct thread *t)
{
	uintptr_t frame = t->uregs.rsp - 8;
	struct rt_sigframe f;
	uint32_t mxcsr;

	if (copy_from_user(&f, frame, sizeof(f)) || f.uc.mcontext.rip >= USER_SPACE_END ||
	    (f.uc.mcontext.fpstate &&
	     copy_from_user(t->fpu, f.uc.mcontext.fpstate, FPU_STATE_SIZE))) {
		struct ksiginfo info = { .signo = SIGSEGV, .code = SI_KERNEL, .addr = frame };

		signal_force(t, &info);
		return t->uregs.rax;
	}
	restore_regs(&t->uregs, &f.uc.mcontext);
	/* Reserved MXCSR bits would make the restore fault in the kernel. */
	memcpy(&mxcsr, t->fpu->area + MXCSR_OFFSET, 4);
	mxcsr &= 0xffff;
	memcpy(t->fpu->area + MXCSR_OFFSET, &mxcsr, 4);
	if (!f.uc.mcontext.fpstate)
		fpu_init_state(t->fpu);
	t->fpu_cpu = -1;
	t->sigmask = f.uc.sigmask & ~UNBLOCKABLE;
	if (!(f.uc.stack.flags & SS_ONSTACK) && f.uc.stack.size >= 2048) {
		t->altstack_sp = f.uc.stack.sp;
		t->altstack_size = f.uc.stack.size;
	}
	return t->uregs.rax;
}

/* ITIMER_REAL expired (the timer tick): again after its interval, under p->lock; SIGALRM. */
void itimer_fire(struct ktimer *k)
{
	struct process *p = container_of(k, struct process, itimer);
	struct ksiginfo info = { .signo = SIGALRM, .code = SI_KERNEL };
	unsigned long flags = spin_lock_irqsave(&p->lock);

	if (p->itimer_interval)
		ktimer_arm(k, deadline_after(p->itimer_interval));
	spin_unlock_irqrestore(&p->lock, flags);
	signal_send(p, &info);
}

/*
 * Sets ITIMER_REAL (setitimer, alarm): value ns from now (0: disarmed),
 * then every interval ns (0: once). The old timer is cancelled first,
 * which waits for a firing on another CPU to end (it re-arms with the old
 * interval); the new interval and deadline are then set together under
 * p->lock, where itimer_fire reads the interval: a timer of 1 us cannot
 * fire between the two and miss its interval. Returns the time that was
 * left; *old_interval is the interval that was.
 */
uint64_t itimer_real_set(struct process *p, uint64_t value, uint64_t interval,
			 uint64_t *old_interval)
{
	uint64_t left = ktimer_cancel(&p->itimer);
	unsigned long flags = spin_lock_irqsave(&p->lock);

	*old_interval = p->itimer_interval;
	p->itimer_interval = interval;
	if (value)
		ktimer_arm(&p->itimer, deadline_after(value));
	spin_unlock_irqrestore(&p->lock, flags);
	return left;
}

/* ITIMER_REAL now: the time left (0: disarmed) and *interval. */
uint64_t itimer_real_get(struct process *p, uint64_t *interval)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	uint64_t left = ktimer_remaining(&p->itimer);

	*interval = p->itimer_interval;
	spin_unlock_irqrestore(&p->lock, flags);
	return left;
}
