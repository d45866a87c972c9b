/*
 * ptrace (include/kernel/ptrace.h): attaching (TRACEME, ATTACH, SEIZE),
 * the tracee's stops, the tracer's requests on a stopped tracee (memory,
 * registers, FPU state, debug registers, signal information, resuming),
 * the events of clone, exec and exit, and the tracer's wait.
 *
 * A stop is a wait: the tracee records the stop (enter_stop), tells its
 * tracer, and parks on its state's wait source with no kernel stack. A
 * request that resumes it clears `stopped` and wakes the source; the
 * thread then goes on through user_exit_path, where ptrace_exit_work
 * carries on from the recorded phase. A request that uses a stopped tracee
 * takes a use on it (users, under proc_tree_lock); the tracee's exit waits
 * for the uses to end before its thread is freed.
 *
 * Locks: tracer links, stop state and uses under proc_tree_lock; the stop
 * wait under the state's source lock, taken alone.
 */
#include <kernel/ptrace.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/syscall.h>
#include <kernel/signal.h>
#include <kernel/uaccess.h>
#include <kernel/uthread.h>
#include <kernel/printk.h>
#include <kernel/clone.h>
#include <kernel/cred.h>
#include <mm/slab.h>
#include <mm/vm.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/gdt.h>
#include <arch/x86_64/percpu.h>
#include <lib/compiler.h>
#include <lib/err.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/ptrace.h>
#include <uapi/signal.h>
#include <uapi/wait.h>

#define RFLAGS_TF	 0x100UL
#define RFLAGS_RF	 0x10000UL
#define USER_EFLAGS	 0x40dd5UL /* what user mode may change (Linux's FLAG_MASK) */
#define STOP_STATUS(sig) (((sig) << 8) | 0x7f)
#define EVENT_SIG(ev)	 (SIGTRAP | ((ev) << 8))

/* A tracee's exit the tracer has not collected with wait. Lock key: (t). */
struct ptrace_exit {
	struct list_head node; /* (t) in tracer->ptrace_exits */
	int tid, pgid;
	bool leader;
	int status;
};

/* ---- the tracee's side: stops ---- */

static struct ptrace_state *state_alloc(struct thread *t)
{
	struct ptrace_state *ps = kzalloc(sizeof(*ps));

	if (!ps)
		return NULL;
	ps->thread = t;
	list_init(&ps->node);
	wait_source_init(&ps->source, "ptrace_stop");
	return ps;
}

/* t's state, made if it has none; -ENOMEM. Caller holds nothing. */
static int state_get(struct thread *t)
{
	struct ptrace_state *ps;

	if (READ_ONCE(t->ptrace))
		return 0;
	ps = state_alloc(t);
	if (!ps)
		return -ENOMEM;
	/* Another tracer may race to set it: the first wins. */
	if (!__atomic_compare_exchange_n(&t->ptrace, &(struct ptrace_state *){ NULL }, ps, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		kfree(ps);
	return 0;
}

void ptrace_release(struct thread *t)
{
	kfree(t->ptrace);
	t->ptrace = NULL;
}

static void notify_tracer(struct process *tracer, int tid, int code, int status)
{
	struct ksiginfo info = { .signo = SIGCHLD, .code = code, .pid = tid, .status = status };

	if (!(tracer->sigactions[SIGCHLD - 1].flags & SA_NOCLDSTOP) || code == CLD_EXITED ||
	    code == CLD_KILLED)
		signal_send(tracer, &info);
	wait_wake_all(&tracer->child_event);
}

/*
 * Records a ptrace-stop of t with this wait status and tells the tracer;
 * false if t is not traced (any more). The caller then waits (stop_wait).
 */
static bool enter_stop(struct thread *t, int status, const struct ksiginfo *info)
{
	struct ptrace_state *ps = t->ptrace;
	struct process *tracer;
	unsigned long flags;

	ps->siginfo = *info;
	/*
	 * The tracer may read and write the FPU state as soon as the stop is
	 * seen, before this thread has parked: save it now and let the
	 * registers go, so that the park saves nothing over a SETFPREGS and
	 * the way back restores whatever the tracer left.
	 */
	user_fpu_sync(t);
	if (this_cpu()->fpu_owner == t)
		this_cpu()->fpu_owner = NULL;
	t->fpu_cpu = -1;
	flags = spin_lock_irqsave(&proc_tree_lock);
	tracer = ps->tracer;
	if (tracer) {
		ps->stopped = true;
		ps->report = true;
		ps->listening = false;
		ps->status = status;
		proc_hold(tracer);
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (!tracer)
		return false;
	notify_tracer(tracer, t->tid, CLD_TRAPPED, (status >> 8) & 0xff);
	proc_unhold(tracer);
	return true;
}

/* The stop is over: TF as the resuming request says (PTRACE_SINGLESTEP sets it for one trap). */
static void set_stepping(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	unsigned gen = ps->resume_gen;
	bool step = ps->tracer && ps->resume == PTRACE_SINGLESTEP;

	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (gen == ps->applied_gen)
		return; /* applied once per resume: the step's trap clears TF (ptrace_debug_trap) */
	ps->applied_gen = gen;
	if (step)
		t->uregs.rflags |= RFLAGS_TF;
	else if (ps->stepping)
		t->uregs.rflags &= ~RFLAGS_TF;
	ps->stepping = step;
}

/* Parks t while it is stopped; returns when resumed (or killed). */
static void stop_wait(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;
	unsigned long flags;

	for (;;) {
		flags = spin_lock_irqsave(&ps->source.lock);
		if (!READ_ONCE(ps->stopped) || READ_ONCE(t->killed)) {
			spin_unlock_irqrestore(&ps->source.lock, flags);
			/*
			 * Resumed before it parked (the tracer ran on another CPU): the
			 * thread goes on from here, not through user_enter, so what the
			 * tracer set while it was stopped is applied here too.
			 */
			set_stepping(t);
			ptrace_load_debugregs(t);
			return;
		}
		wait_block_locked(&ps->source, 0);
		spin_unlock_irqrestore(&ps->source.lock, flags);
		sched_user_park(t, false); /* returns only if already woken */
		wait_detach(&t->wait);
	}
}

static bool trap_stop(struct thread *t, int code)
{
	struct ksiginfo info = { .signo = SIGTRAP, .code = code, .pid = t->tid };

	return enter_stop(t, STOP_STATUS(code), &info);
}

static bool syscall_stop(struct thread *t)
{
	bool good = t->ptrace->options & PTRACE_O_TRACESYSGOOD;

	return trap_stop(t, SIGTRAP | (good ? 0x80 : 0));
}

bool ptrace_syscall_entry(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;

	if (!ptrace_traced(t))
		return false;
	ps->orig_rax = t->uregs.rax;
	if (READ_ONCE(ps->resume) != PTRACE_SYSCALL)
		return false;
	t->uregs.rax = -ENOSYS; /* as Linux shows it at the entry stop */
	ps->phase = PT_SYS_ENTER;
	if (syscall_stop(t))
		return true;
	t->uregs.rax = ps->orig_rax;
	ps->phase = PT_NONE;
	return false;
}

/* A signal given to the request that ended a syscall-stop is sent to the thread, as Linux. */
static void syscall_stop_signal(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct ksiginfo info = { .signo = ps->resume_sig, .code = SI_USER };

	ps->resume_sig = 0;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (info.signo)
		signal_send_thread(t, &info);
}

/* The entry stop is over: the call runs (with the number the tracer left), unless skipped. */
static void run_entered_call(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;

	ps->phase = PT_SYS_CALL;
	syscall_stop_signal(t);
	if (ps->orig_rax == (uint64_t)-1)
		return; /* skipped: rax is what the tracer left (-ENOSYS if nothing) */
	t->uregs.rax = ps->orig_rax;
	syscall_prepare(t);
	syscall_run(t); /* may park: the exit stop then comes when it ends */
}

/* PTRACE_EVENT_EXIT is over: the exit the call asked for. */
static __attribute__((noreturn)) void finish_exit(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;

	ps->phase = PT_NONE;
	if (ps->group_exit)
		proc_exit_group(ps->exit_status);
	uthread_exit(t, ps->exit_status);
}

/* A PTRACE_INTERRUPT (or a seized child's first stop) asked for: take it. */
static bool take_interrupt(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool want = ps->interrupt && ps->tracer;

	ps->interrupt = false;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return want;
}

void ptrace_exit_work(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;
	int ev;

	for (;;) {
		if (READ_ONCE(t->killed))
			return;
		if (READ_ONCE(ps->stopped)) {
			stop_wait(t);
			continue;
		}
		if (ps->phase == PT_SYS_ENTER) {
			run_entered_call(t);
			continue;
		}
		if (ps->phase == PT_EXIT)
			finish_exit(t);
		if (ps->events) { /* in order: a vfork's VFORK comes before its VFORK_DONE */
			ev = __builtin_ctz(ps->events);
			ps->events &= ~(1u << ev);
			trap_stop(t, EVENT_SIG(ev));
			continue;
		}
		if (ps->phase == PT_SYS_CALL) {
			ps->phase = PT_SYS_EXIT;
			if (READ_ONCE(ps->resume) == PTRACE_SYSCALL && syscall_stop(t))
				continue;
		}
		if (ps->phase == PT_SYS_EXIT) {
			ps->phase = PT_NONE;
			syscall_stop_signal(t);
		}
		if (take_interrupt(t)) {
			trap_stop(t, EVENT_SIG(PTRACE_EVENT_STOP));
			continue;
		}
		set_stepping(t);
		return;
	}
}

bool ptrace_signal_stop(struct thread *t, const struct ksiginfo *info)
{
	struct ptrace_state *ps = t->ptrace;

	if (!ptrace_traced(t) || info->signo == SIGKILL)
		return false;
	ps->phase = PT_SIGNAL;
	if (!enter_stop(t, STOP_STATUS(info->signo), info)) {
		ps->phase = PT_NONE;
		return false;
	}
	stop_wait(t);
	return true;
}

int ptrace_resumed_signal(struct thread *t, struct ksiginfo *info)
{
	struct ptrace_state *ps = t->ptrace;
	unsigned long flags;
	int sig;

	if (!ps || ps->phase != PT_SIGNAL || READ_ONCE(ps->stopped))
		return -1;
	ps->phase = PT_NONE;
	flags = spin_lock_irqsave(&proc_tree_lock);
	sig = ps->resume_sig;
	ps->resume_sig = 0; /* used */
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (!sig)
		return 0;
	*info = ps->siginfo;
	if (info->signo != sig) /* the tracer changed it: it comes from the tracer (Linux) */
		*info = (struct ksiginfo){ .signo = sig, .code = SI_USER };
	return sig;
}

bool ptrace_interrupt_pending(struct thread *t)
{
	return t->ptrace && READ_ONCE(t->ptrace->interrupt);
}

bool ptrace_group_stop(struct thread *t)
{
	struct ptrace_state *ps = t->ptrace;
	struct process *p = t->proc;
	int sig = READ_ONCE(p->stop_sig);
	/* Non-seized: no siginfo (GETSIGINFO: EINVAL); seized: Linux's PTRACE_EVENT_STOP one. */
	struct ksiginfo info = { .signo = ps->seized ? sig : 0,
				 .code = sig | (PTRACE_EVENT_STOP << 8),
				 .pid = t->tid };

	ps->group_gen = READ_ONCE(p->stop_gen);
	if (!enter_stop(t, STOP_STATUS(ps->seized ? sig | (PTRACE_EVENT_STOP << 8) : sig), &info))
		return false;
	stop_wait(t);
	return true;
}

void ptrace_group_continued(struct process *p)
{
	unsigned long f1 = spin_lock_irqsave(&proc_tree_lock);
	unsigned long f2 = spin_lock_irqsave(&p->lock);
	struct thread *t;

	list_for_each_entry (t, &p->threads, proc_node) {
		struct ptrace_state *ps = t->ptrace;

		if (ps && ps->listening) {
			ps->listening = false;
			ps->stopped = false;
			ps->interrupt = true; /* reports PTRACE_EVENT_STOP again */
		}
	}
	spin_unlock_irqrestore(&p->lock, f2);
	spin_unlock_irqrestore(&proc_tree_lock, f1);
	f2 = spin_lock_irqsave(&p->lock);
	list_for_each_entry (t, &p->threads, proc_node)
		if (t->ptrace)
			wait_wake_all(&t->ptrace->source);
	spin_unlock_irqrestore(&p->lock, f2);
}

/* ---- events ---- */

static int clone_event(uint64_t clone_flags, int exit_signal)
{
	if (clone_flags & CLONE_VFORK)
		return PTRACE_EVENT_VFORK;
	if (!(clone_flags & CLONE_THREAD) && exit_signal == SIGCHLD)
		return PTRACE_EVENT_FORK;
	return PTRACE_EVENT_CLONE;
}

static unsigned event_option(int ev)
{
	return 1u << ev; /* PTRACE_O_TRACEFORK is 1 << PTRACE_EVENT_FORK, and so on */
}

/* Attaches nt to t's tracer as Linux's auto-attach: same options, stops at its start. */
static void auto_attach(struct ptrace_state *ps, struct thread *nt)
{
	struct ptrace_state *nps = nt->ptrace;
	struct ksiginfo stop = { .signo = SIGSTOP, .code = SI_USER };
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool seized = ps->seized;
	bool ok = ps->tracer != NULL;

	if (ok) {
		nps->tracer = ps->tracer;
		nps->options = ps->options;
		nps->seized = seized;
		nps->resume = PTRACE_CONT;
		nps->interrupt = seized; /* PTRACE_EVENT_STOP at once */
		list_add_tail(&nps->node, &ps->tracer->tracees);
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (ok && !seized)
		signal_send_thread(nt, &stop);
}

void ptrace_clone_event(struct thread *t, struct thread *nt, uint64_t clone_flags, int exit_signal)
{
	struct ptrace_state *ps = t->ptrace;
	int ev;

	if (!ptrace_traced(t))
		return;
	ev = clone_event(clone_flags, exit_signal);
	if (!(READ_ONCE(ps->options) & event_option(ev)) || (clone_flags & CLONE_UNTRACED))
		return;
	if (state_get(nt))
		return; /* no memory: the child runs untraced */
	auto_attach(ps, nt);
	ps->events |= 1u << ev;
	ps->event_msg = nt->tid;
}

long ptrace_vfork_done(struct thread *t, long child)
{
	struct ptrace_state *ps = t->ptrace;

	if (child > 0 && ptrace_traced(t) && (READ_ONCE(ps->options) & PTRACE_O_TRACEVFORKDONE)) {
		ps->events |= 1u << PTRACE_EVENT_VFORK_DONE;
		ps->event_msg = child;
	}
	return child;
}

void ptrace_exec_event(struct thread *t, int old_tid)
{
	struct ptrace_state *ps = t->ptrace;
	struct ksiginfo trap = { .signo = SIGTRAP, .code = SI_USER, .pid = t->tid };

	if (!ps)
		return;
	memset(ps->dr, 0, sizeof(ps->dr)); /* exec drops the hardware breakpoints */
	if (!ptrace_traced(t))
		return;
	if (READ_ONCE(ps->options) & PTRACE_O_TRACEEXEC) {
		ps->events |= 1u << PTRACE_EVENT_EXEC;
		ps->event_msg = old_tid;
	} else if (!ps->seized) {
		signal_send_thread(t, &trap);
	}
}

bool ptrace_exit_event(struct thread *t, int status, bool group)
{
	struct ptrace_state *ps = t->ptrace;

	if (!ptrace_traced(t) || !(READ_ONCE(ps->options) & PTRACE_O_TRACEEXIT) ||
	    ps->phase == PT_EXIT)
		return false;
	ps->phase = PT_EXIT;
	ps->exit_status = status;
	ps->group_exit = group;
	ps->event_msg = status;
	if (!trap_stop(t, EVENT_SIG(PTRACE_EVENT_EXIT))) {
		ps->phase = PT_NONE;
		return false;
	}
	return true; /* ptrace_exit_work exits once the stop is over */
}

/* ---- debug registers ---- */

int ptrace_debug_trap(struct thread *t, uint64_t dr6)
{
	struct ptrace_state *ps = t->ptrace;
	bool hw = dr6 & 0xf;

	if (ps) {
		ps->dr[6] = (dr6 & 0x400f) | 0xffff0ff0;
		if (ps->stepping) {
			t->uregs.rflags &= ~RFLAGS_TF;
			ps->stepping = false;
		}
		/* An instruction breakpoint is a fault: RF lets the instruction run this time. */
		for (int i = 0; i < 4; i++)
			if ((dr6 & (1u << i)) && !((ps->dr[7] >> (16 + 4 * i)) & 3))
				t->uregs.rflags |= RFLAGS_RF;
	}
	return hw ? TRAP_HWBKPT : TRAP_TRACE;
}

void ptrace_load_debugregs(struct thread *t)
{
	struct percpu *cpu = this_cpu();
	struct ptrace_state *ps = t->ptrace;
	uint64_t dr7 = ps ? ps->dr[7] : 0;

	if (!dr7) {
		if (cpu->dr7_loaded)
			write_dr(7, 0);
		cpu->dr7_loaded = false;
		return;
	}
	write_dr(7, 0);
	write_dr(0, ps->dr[0]);
	write_dr(1, ps->dr[1]);
	write_dr(2, ps->dr[2]);
	write_dr(3, ps->dr[3]);
	write_dr(6, 0xffff0ff0);
	write_dr(7, dr7);
	cpu->dr7_loaded = true;
}

/* DR7: local/global enables of DR0-3 and their type and length; no I/O breakpoints. */
static bool dr7_valid(uint64_t v)
{
	if (v & ~0xffff00ffULL)
		return false;
	for (int i = 0; i < 4; i++)
		if (((v >> (16 + 4 * i)) & 3) == 2)
			return false;
	return true;
}

static int poke_debugreg(struct ptrace_state *ps, int n, uint64_t v)
{
	if (n == 4 || n == 5)
		return -EIO;
	if (n < 4 && v > USER_SPACE_END - 8)
		return -EIO;
	if (n == 7 && !dr7_valid(v))
		return -EINVAL; /* as Linux's breakpoint check */
	ps->dr[n] = n == 7 ? v | 0x400 /* reserved bit 10 reads as one */ : v;
	if (n == 7 && !(v & 0xff))
		ps->dr[7] = 0;
	return 0;
}

/* ---- the tracee's end, the tracer's end ---- */

void ptrace_tracee_exit(struct thread *t, int status, bool last)
{
	struct ptrace_state *ps = t->ptrace;
	struct process *p = t->proc, *tracer;
	struct ptrace_exit *rec;
	unsigned long flags;

	if (!ps)
		return;
	rec = kzalloc(sizeof(*rec));
	flags = spin_lock_irqsave(&proc_tree_lock);
	tracer = ps->tracer;
	if (tracer) {
		list_del(&ps->node);
		list_init(&ps->node);
		ps->tracer = NULL;
		ps->stopped = false;
	}
	/* The real parent reports the leader's end itself when it is the tracer. */
	if (tracer && rec && !(t->tid == p->pid && tracer == p->parent)) {
		rec->tid = t->tid;
		rec->pgid = p->pgid;
		rec->leader = t->tid == p->pid;
		rec->status = last ? p->exit_status : status;
		list_add_tail(&rec->node, &tracer->ptrace_exits);
		rec = NULL;
	}
	if (tracer)
		proc_hold(tracer);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	kfree(rec);
	if (tracer) {
		wait_wake_all(&tracer->child_event);
		proc_unhold(tracer);
	}
	while (READ_ONCE(ps->users)) /* a request still reads the thread (it does not wait) */
		cpu_relax();
}

/* Ends the link of ps (caller holds proc_tree_lock); the caller wakes it. */
static void unlink_locked(struct ptrace_state *ps, int sig)
{
	assert_held(&proc_tree_lock);
	list_del(&ps->node);
	list_init(&ps->node);
	ps->tracer = NULL;
	ps->stopped = false;
	ps->report = false;
	ps->interrupt = false;
	ps->resume = PTRACE_CONT;
	ps->resume_gen++;
	ps->resume_sig = sig;
}

/* Ends a use taken under proc_tree_lock (a request, or a tracer's exit waking its tracee). */
static void put_tracee(struct ptrace_state *ps)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);

	ps->users--;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}

void ptrace_tracer_exit(struct process *p)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
		struct ptrace_state *ps = NULL;
		struct process *victim = NULL;

		while (!list_empty(&p->ptrace_exits)) {
			struct ptrace_exit *e = list_first_entry(&p->ptrace_exits,
								 struct ptrace_exit, node);

			list_del(&e->node);
			kfree(e);
		}
		if (!list_empty(&p->tracees)) {
			ps = list_first_entry(&p->tracees, struct ptrace_state, node);
			if (ps->options & PTRACE_O_EXITKILL) {
				victim = ps->thread->proc;
				proc_hold(victim);
			}
			unlink_locked(ps, 0);
			ps->users++; /* until it is woken: a tracee that exits meanwhile frees ps */
		}
		spin_unlock_irqrestore(&proc_tree_lock, flags);
		if (!ps)
			return;
		if (victim) {
			proc_kill(victim, SIGKILL);
			proc_unhold(victim);
		}
		wait_wake_all(&ps->source);
		put_tracee(ps);
	}
}

/* ---- the tracer's wait ---- */

/* Linux waits for a tracee whatever __WALL and __WCLONE say. */
static bool wait_eligible(int pid, int tid, int pgid, const struct process *p)
{
	if (pid > 0)
		return tid == pid;
	if (pid == -1)
		return true;
	return pgid == (pid == 0 ? p->pgid : -pid);
}

long ptrace_wait_locked(struct process *p, int pid, int options, struct wait_result *r, bool *any)
{
	struct ptrace_state *ps;
	struct ptrace_exit *e;

	assert_held(&proc_tree_lock);
	list_for_each_entry (ps, &p->tracees, node) {
		struct thread *t = ps->thread;

		if (!wait_eligible(pid, t->tid, t->proc->pgid, p))
			continue;
		*any = true;
		if (!ps->stopped || !ps->report)
			continue;
		r->status = ps->status;
		if (!(options & WNOWAIT))
			ps->report = false;
		return t->tid;
	}
	list_for_each_entry (e, &p->ptrace_exits, node) {
		if (!wait_eligible(pid, e->tid, e->pgid, p))
			continue;
		*any = true;
		if (!(options & WEXITED))
			continue;
		r->status = e->status;
		pid = e->tid;
		if (!(options & WNOWAIT)) {
			list_del(&e->node);
			kfree(e);
		}
		return pid;
	}
	return 0;
}

/* ---- access ---- */

int ptrace_may_access(struct process *target, bool fscreds)
{
	const struct cred *me = current_cred(), *tc = proc_cred_get(target);
	uint32_t uid = fscreds ? me->fsuid : me->uid, gid = fscreds ? me->fsgid : me->gid;
	bool same = cred_ids_all(tc, uid, gid);

	cred_put(tc);
	if (capable(CAP_SYS_PTRACE))
		return 0;
	/* Not dumpable: it ran a set-ID or unreadable program, or said so (PR_SET_DUMPABLE). */
	return same && proc_dumpable(target) ? 0 : -EPERM;
}

bool ptrace_unsafe_exec(struct thread *t)
{
	unsigned long flags;
	struct process *tracer;
	bool unsafe = false;

	if (!t->ptrace)
		return false;
	flags = spin_lock_irqsave(&proc_tree_lock);
	tracer = t->ptrace->tracer;
	if (tracer) {
		const struct cred *tc = proc_cred_get(tracer);

		unsafe = !((tc->cap_effective >> CAP_SYS_PTRACE) & 1);
		cred_put(tc);
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return unsafe;
}

long ptrace_access_vm(struct process *target, uintptr_t addr, void *buf, size_t n, bool write)
{
	unsigned long flags = spin_lock_irqsave(&target->lock);
	struct vm_space *vm = target->nr_threads ? target->vm : NULL;
	long err;

	if (vm)
		vm_get(vm);
	spin_unlock_irqrestore(&target->lock, flags);
	if (!vm)
		return -ESRCH;
	err = vm_access_force(vm, addr, buf, n, write);
	vm_put(vm);
	return err;
}

/* The process with this pid (or owning this tid), held; NULL if none or dead. */
static struct process *process_get(int pid)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct process *p = pid > 0 ? proc_find_thread_owner(pid) : NULL;

	if (p && p->state == PROC_ZOMBIE)
		p = NULL;
	if (p)
		proc_hold(p);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return p;
}

struct process *ptrace_mem_open(int pid)
{
	struct process *p = process_get(pid);

	if (p && ptrace_may_access(p, true)) {
		proc_unhold(p);
		return ERR_PTR(-EACCES); /* /proc/PID/mem: EACCES, as Linux's open */
	}
	return p ? p : ERR_PTR(-ENOENT);
}

#define VM_CHUNK 512 /* bytes moved through the kernel stack at a time */

/*
 * Moves up to n bytes between the caller's buffer (user, or an iobuf)
 * and target's memory at addr, a chunk at a time; returns the bytes moved
 * (short at the first inaccessible remote page), or the first error.
 */
static long move_remote(struct process *target, uintptr_t addr, uintptr_t local,
			const struct iobuf *ib, size_t ib_off, size_t n, bool write)
{
	char buf[VM_CHUNK];
	size_t done = 0;

	while (done < n) {
		size_t c = MIN(n - done, (size_t)VM_CHUNK - ((addr + done) & (VM_CHUNK - 1)));
		long err;

		if (write && (ib ? iobuf_read(buf, ib, ib_off + done, c)
				 : copy_from_user(buf, local + done, c)))
			return done ? (long)done : -EFAULT;
		err = ptrace_access_vm(target, addr + done, buf, c, write);
		if (err)
			return done ? (long)done : err;
		if (!write && (ib ? iobuf_write(ib, ib_off + done, buf, c)
				  : copy_to_user(local + done, buf, c)))
			return done ? (long)done : -EFAULT;
		done += c;
	}
	return (long)done;
}

long ptrace_mem_rw(struct process *target, int64_t pos, const struct iobuf *ib, bool write)
{
	long r;

	if (pos < 0 || (uint64_t)pos >= USER_SPACE_END)
		return -EIO;
	r = move_remote(target, (uintptr_t)pos, 0, ib, 0, MIN(ib->len, USER_SPACE_END - pos),
			write);
	return r == -EFAULT ? -EIO : r; /* an unmapped address: EIO, as Linux */
}

/* process_vm_readv/writev: the local and remote iovecs walked side by side. */
static long process_vm_rw(int pid, uintptr_t lvec, unsigned long lcnt, uintptr_t rvec,
			  unsigned long rcnt, unsigned long flags, bool write)
{
	struct user_iovec *l = NULL, *r = NULL;
	struct process *p;
	size_t li = 0, ri = 0, loff = 0, roff = 0;
	long total = 0, err;

	if (flags || lcnt > 1024 || rcnt > 1024)
		return -EINVAL;
	err = iov_import(lvec, (int)lcnt, &l);
	if (!err)
		err = iov_import(rvec, (int)rcnt, &r);
	p = err ? NULL : process_get(pid);
	if (!err && !p)
		err = -ESRCH;
	if (!err)
		err = ptrace_may_access(p, false);
	while (!err && li < lcnt && ri < rcnt) {
		size_t n = MIN(l[li].len - loff, r[ri].len - roff);
		long moved = n ? move_remote(p, r[ri].base + roff, l[li].base + loff, NULL, 0, n,
					     write)
			       : 0;

		if (moved < 0) {
			err = total ? 0 : moved; /* a partial transfer counts what it moved */
			break;
		}
		total += moved;
		if ((size_t)moved < n)
			break;
		loff += n;
		roff += n;
		if (loff == l[li].len)
			li++, loff = 0;
		if (roff == r[ri].len)
			ri++, roff = 0;
	}
	if (p)
		proc_unhold(p);
	kfree(l);
	kfree(r);
	return err ? err : total;
}

SYSCALL_DEFINE6(process_vm_readv, int, pid, uintptr_t, lvec, unsigned long, lcnt, uintptr_t, rvec,
		unsigned long, rcnt, unsigned long, flags)
{
	return process_vm_rw(pid, lvec, lcnt, rvec, rcnt, flags, false);
}

SYSCALL_DEFINE6(process_vm_writev, int, pid, uintptr_t, lvec, unsigned long, lcnt, uintptr_t, rvec,
		unsigned long, rcnt, unsigned long, flags)
{
	return process_vm_rw(pid, lvec, lcnt, rvec, rcnt, flags, true);
}

/* ---- attaching ---- */

static int trace_me(void)
{
	struct thread *t = current_thread();
	struct process *p = t->proc;
	unsigned long flags;
	int err = state_get(t);

	if (err)
		return err;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (t->ptrace->tracer || !p->parent) {
		err = -EPERM;
	} else {
		t->ptrace->tracer = p->parent;
		t->ptrace->options = 0;
		t->ptrace->seized = false;
		t->ptrace->resume = PTRACE_CONT;
		list_add_tail(&t->ptrace->node, &p->parent->tracees);
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return err;
}

/* The thread tid and its process, with a hold on the process; -ESRCH. */
static int find_thread(int tid, struct thread **tp, struct process **pp)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock), f2;
	struct process *p = tid > 0 ? proc_find_thread_owner(tid) : NULL;
	struct thread *t = NULL;

	if (p) {
		f2 = spin_lock_irqsave(&p->lock);
		t = p->state == PROC_ALIVE ? proc_thread_locked(p, tid) : NULL;
		spin_unlock_irqrestore(&p->lock, f2);
	}
	if (t)
		proc_hold(p);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	*tp = t;
	*pp = p;
	return t ? 0 : -ESRCH;
}

/*
 * Links thread tid of p to us, under proc_tree_lock and p->lock so that
 * the thread, looked up again, cannot exit meanwhile (its exit leaves the
 * list under p->lock, then finds the link under proc_tree_lock). fresh
 * becomes its state if it has none (*fresh is then NULL).
 */
static int link_tracee(struct process *p, int tid, struct ptrace_state **fresh, bool seize,
		       uint64_t options)
{
	struct process *self = current_proc();
	unsigned long f1 = spin_lock_irqsave(&proc_tree_lock);
	unsigned long f2 = spin_lock_irqsave(&p->lock);
	struct thread *t = p->state == PROC_ALIVE ? proc_thread_locked(p, tid) : NULL;
	struct ptrace_state *ps;
	int err = 0;

	if (!t) {
		err = -ESRCH;
		goto out;
	}
	if (!t->ptrace) {
		(*fresh)->thread = t;
		__atomic_store_n(&t->ptrace, *fresh, __ATOMIC_RELEASE);
		*fresh = NULL;
	}
	ps = t->ptrace;
	if (ps->tracer) {
		err = -EPERM; /* traced already */
		goto out;
	}
	ps->tracer = self;
	ps->options = seize ? (unsigned)options : 0;
	ps->seized = seize;
	ps->resume = PTRACE_CONT;
	ps->stopped = ps->report = ps->interrupt = false;
	list_add_tail(&ps->node, &self->tracees);
out:
	spin_unlock_irqrestore(&p->lock, f2);
	spin_unlock_irqrestore(&proc_tree_lock, f1);
	return err;
}

static int attach(int tid, bool seize, uintptr_t addr, uint64_t options)
{
	struct process *self = current_proc(), *p;
	struct ksiginfo stop = { .signo = SIGSTOP, .code = SI_USER, .pid = self->pid };
	struct ptrace_state *fresh;
	struct thread *t;
	int err;

	if (seize && (addr || (options & ~PTRACE_O_MASK)))
		return -EIO;
	err = find_thread(tid, &t, &p); /* t may exit from here on: only p is held */
	if (err)
		return err;
	if (p == self)
		err = -EPERM;
	if (!err)
		err = ptrace_may_access(p, false);
	fresh = err ? NULL : state_alloc(NULL);
	if (!err && !fresh)
		err = -ENOMEM;
	if (!err)
		err = link_tracee(p, tid, &fresh, seize, options);
	kfree(fresh);
	if (!err && !seize)
		signal_send_tid(p, tid, &stop);
	proc_unhold(p);
	return err;
}

/* ---- requests on a tracee ---- */

/* Requests that need the tracee in a ptrace-stop (Linux's ptrace_check_attach). */
static bool needs_stop(long req)
{
	return req != PTRACE_KILL && req != PTRACE_INTERRUPT;
}

/* Our tracee tid with a use on it; -ESRCH if not ours, or not stopped when it must be. */
static int get_tracee(int tid, long req, struct ptrace_state **out)
{
	struct process *self = current_proc();
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct ptrace_state *ps, *found = NULL;

	list_for_each_entry (ps, &self->tracees, node)
		if (ps->thread->tid == tid)
			found = ps;
	if (found && needs_stop(req) && !found->stopped)
		found = NULL;
	if (found)
		found->users++;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	*out = found;
	return found ? 0 : -ESRCH;
}

static long resume(struct ptrace_state *ps, long req, uint64_t sig)
{
	unsigned long flags;

	if (sig > 64)
		return -EIO;
	flags = spin_lock_irqsave(&proc_tree_lock);
	ps->resume = req;
	ps->resume_gen++;
	ps->resume_sig = (int)sig;
	ps->stopped = false;
	ps->report = false;
	ps->listening = false;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	wait_wake_all(&ps->source);
	return 0;
}

static long detach(struct ptrace_state *ps, uint64_t sig)
{
	unsigned long flags;

	if (sig > 64)
		return -EIO;
	flags = spin_lock_irqsave(&proc_tree_lock);
	unlink_locked(ps, (int)sig);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	/* The thread clears its TF (set_stepping) on its way out; DRs stay as on Linux. */
	wait_wake_all(&ps->source);
	return 0;
}

static long interrupt(struct ptrace_state *ps)
{
	unsigned long flags;

	if (!ps->seized)
		return -EIO;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (!ps->stopped)
		ps->interrupt = true;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	sched_signal_wake(ps->thread); /* a parked call ends (and restarts after the stop) */
	return 0;
}

static long listen(struct ptrace_state *ps)
{
	unsigned long flags;
	long err = 0;

	if (!ps->seized)
		return -EIO;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (ps->status != STOP_STATUS(EVENT_SIG(PTRACE_EVENT_STOP)) &&
	    ((ps->status >> 16) & 0xff) != PTRACE_EVENT_STOP)
		err = -EIO; /* only from an event stop */
	else
		ps->listening = true;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return err;
}

void thread_user_regs(const struct thread *t, uint64_t orig_rax, struct user_regs *u)
{
	const struct trap_frame *f = &t->uregs;

	*u = (struct user_regs){
		.r15 = f->r15,
		.r14 = f->r14,
		.r13 = f->r13,
		.r12 = f->r12,
		.rbp = f->rbp,
		.rbx = f->rbx,
		.r11 = f->r11,
		.r10 = f->r10,
		.r9 = f->r9,
		.r8 = f->r8,
		.rax = f->rax,
		.rcx = f->rcx,
		.rdx = f->rdx,
		.rsi = f->rsi,
		.rdi = f->rdi,
		.rip = f->rip,
		.cs = f->cs,
		.rsp = f->rsp,
		.ss = f->ss,
	};
	u->orig_rax = orig_rax;
	u->eflags = f->rflags;
	u->fs_base = t->fs_base;
	u->gs_base = t->gs_base;
}

static void regs_get(struct thread *t, struct user_regs *u)
{
	thread_user_regs(t, t->ptrace->orig_rax, u);
}

static int regs_set(struct thread *t, const struct user_regs *u)
{
	struct trap_frame *f = &t->uregs;

	if (u->cs != f->cs || u->ss != f->ss || u->fs_base >= USER_SPACE_END ||
	    u->gs_base >= USER_SPACE_END || u->ds > 0xffff || u->es > 0xffff || u->fs > 0xffff ||
	    u->gs > 0xffff)
		return -EIO;
	f->r15 = u->r15, f->r14 = u->r14, f->r13 = u->r13, f->r12 = u->r12, f->rbp = u->rbp;
	f->rbx = u->rbx, f->r11 = u->r11, f->r10 = u->r10, f->r9 = u->r9, f->r8 = u->r8;
	f->rax = u->rax, f->rcx = u->rcx, f->rdx = u->rdx, f->rsi = u->rsi, f->rdi = u->rdi;
	f->rip = u->rip, f->rsp = u->rsp;
	f->rflags = (f->rflags & ~USER_EFLAGS) | (u->eflags & USER_EFLAGS);
	t->ptrace->orig_rax = u->orig_rax;
	t->fs_base = u->fs_base;
	t->gs_base = u->gs_base;
	return 0;
}

static long peek_user(struct thread *t, uint64_t off, uintptr_t data)
{
	struct user_regs u;
	uint64_t v = 0;

	if ((off & 7) || off >= USER_STRUCT_SIZE)
		return -EIO;
	regs_get(t, &u);
	if (off < USER_REGS_SIZE)
		v = ((uint64_t *)&u)[off / 8];
	else if (off >= USER_DEBUGREG_OFF)
		v = t->ptrace->dr[(off - USER_DEBUGREG_OFF) / 8];
	return copy_to_user(data, &v, sizeof(v)) ? -EFAULT : 0;
}

static long poke_user(struct thread *t, uint64_t off, uint64_t v)
{
	struct user_regs u;

	if ((off & 7) || off >= USER_STRUCT_SIZE)
		return -EIO;
	if (off >= USER_DEBUGREG_OFF)
		return poke_debugreg(t->ptrace, (off - USER_DEBUGREG_OFF) / 8, v);
	if (off >= USER_REGS_SIZE)
		return 0; /* the rest of struct user is not writable: ignored, as Linux */
	regs_get(t, &u);
	((uint64_t *)&u)[off / 8] = v;
	return regs_set(t, &u);
}

static long fpregs_get(struct thread *t, uintptr_t data, size_t len)
{
	return copy_to_user(data, t->fpu->area, MIN(len, (size_t)FPU_STATE_SIZE)) ? -EFAULT : 0;
}

#define MXCSR_OFFSET 24

static long fpregs_set(struct thread *t, uintptr_t data, size_t len)
{
	struct fpu_state s;
	uint32_t mxcsr;

	memcpy(&s, t->fpu, sizeof(s));
	if (copy_from_user(s.area, data, MIN(len, (size_t)FPU_STATE_SIZE)))
		return -EFAULT;
	memcpy(&mxcsr, s.area + MXCSR_OFFSET, 4);
	mxcsr &= 0xffff; /* reserved bits would make the restore fault in the kernel */
	memcpy(s.area + MXCSR_OFFSET, &mxcsr, 4);
	memcpy(t->fpu, &s, sizeof(s));
	t->fpu_cpu = -1; /* restored from here before it next runs in user mode */
	return 0;
}

struct iovec_k {
	uintptr_t base;
	uint64_t len;
};

static long regset(struct thread *t, uint64_t type, uintptr_t uiov, bool set)
{
	struct iovec_k iov;
	struct user_regs u;
	size_t size;
	long err;

	if (copy_from_user(&iov, uiov, sizeof(iov)))
		return -EFAULT;
	if (type == NT_PRSTATUS)
		size = MIN(iov.len, sizeof(u));
	else if (type == NT_PRFPREG)
		size = MIN(iov.len, (uint64_t)FPU_STATE_SIZE);
	else
		return -EINVAL;
	if (type == NT_PRFPREG)
		err = set ? fpregs_set(t, iov.base, size) : fpregs_get(t, iov.base, size);
	else if (!set) {
		regs_get(t, &u);
		err = copy_to_user(iov.base, &u, size) ? -EFAULT : 0;
	} else {
		regs_get(t, &u);
		err = copy_from_user(&u, iov.base, size) ? -EFAULT : regs_set(t, &u);
	}
	iov.len = size;
	if (!err && copy_to_user(uiov + offsetof(struct iovec_k, len), &iov.len, 8))
		err = -EFAULT;
	return err;
}

static long get_siginfo(struct ptrace_state *ps, uintptr_t data)
{
	uint8_t si[SIGINFO_SIZE];

	if (!ps->siginfo.signo)
		return -EINVAL;
	fill_siginfo((struct k_siginfo *)si, &ps->siginfo);
	return copy_to_user(data, si, sizeof(si)) ? -EFAULT : 0;
}

static long set_siginfo(struct ptrace_state *ps, uintptr_t data)
{
	int32_t si[SIGINFO_SIZE / 4];
	struct ksiginfo k;

	if (copy_from_user(si, data, sizeof(si)))
		return -EFAULT;
	k = (struct ksiginfo){
		.signo = si[0], .err = si[1], .code = si[2], .pid = si[4], .uid = (uint32_t)si[5]
	};
	memcpy(&k.addr, &si[4], 8);
	memcpy(&k.value, &si[6], 8);
	if (!(k.code > 0 && k.code < SI_KERNEL))
		k.addr = 0;
	ps->siginfo = k;
	return 0;
}

static long get_syscall_info(struct thread *t, uint64_t size, uintptr_t data)
{
	struct ptrace_state *ps = t->ptrace;
	const struct trap_frame *f = &t->uregs;
	struct syscall_info si = { .arch = AUDIT_ARCH_X86_64, .ip = f->rip, .sp = f->rsp };
	size_t n = offsetof(struct syscall_info, entry);
	bool sys_stop = (ps->status >> 8) == (SIGTRAP | 0x80) || (ps->status >> 8) == SIGTRAP;

	if (ps->phase == PT_SYS_ENTER && sys_stop) {
		si.op = PTRACE_SYSCALL_INFO_ENTRY;
		si.entry.nr = ps->orig_rax;
		si.entry.args[0] = f->rdi, si.entry.args[1] = f->rsi, si.entry.args[2] = f->rdx;
		si.entry.args[3] = f->r10, si.entry.args[4] = f->r8, si.entry.args[5] = f->r9;
		n = offsetof(struct syscall_info, entry.args) + sizeof(si.entry.args);
	} else if (ps->phase == PT_SYS_EXIT && sys_stop) {
		si.op = PTRACE_SYSCALL_INFO_EXIT;
		si.exit.rval = (int64_t)f->rax;
		si.exit.is_error = (uint64_t)f->rax >= (uint64_t)-4095;
		n = offsetof(struct syscall_info, exit.is_error) + 1;
	}
	if (copy_to_user(data, &si, MIN(size, n)))
		return -EFAULT;
	return (long)n;
}

static long peek_data(struct thread *t, uintptr_t addr, uintptr_t data)
{
	uint64_t v;
	long err = ptrace_access_vm(t->proc, addr, &v, sizeof(v), false);

	if (err)
		return err == -EWAIT ? err : -EIO;
	return copy_to_user(data, &v, sizeof(v)) ? -EFAULT : 0;
}

static long poke_data(struct thread *t, uintptr_t addr, uint64_t v)
{
	long err = ptrace_access_vm(t->proc, addr, &v, sizeof(v), true);

	return err && err != -EWAIT ? -EIO : err;
}

static long set_options(struct ptrace_state *ps, uint64_t data)
{
	unsigned long flags;

	if (data & ~(uint64_t)PTRACE_O_MASK)
		return -EINVAL;
	flags = spin_lock_irqsave(&proc_tree_lock);
	ps->options = (unsigned)data;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return 0;
}

static long request(struct ptrace_state *ps, long req, uintptr_t addr, uintptr_t data)
{
	struct thread *t = ps->thread;
	struct user_regs u;

	switch (req) {
	case PTRACE_PEEKTEXT:
	case PTRACE_PEEKDATA:
		return peek_data(t, addr, data);
	case PTRACE_POKETEXT:
	case PTRACE_POKEDATA:
		return poke_data(t, addr, data);
	case PTRACE_PEEKUSR:
		return peek_user(t, addr, data);
	case PTRACE_POKEUSR:
		return poke_user(t, addr, data);
	case PTRACE_GETREGS:
		regs_get(t, &u);
		return copy_to_user(data, &u, sizeof(u)) ? -EFAULT : 0;
	case PTRACE_SETREGS:
		regs_get(t, &u);
		return copy_from_user(&u, data, sizeof(u)) ? -EFAULT : regs_set(t, &u);
	case PTRACE_GETFPREGS:
		return fpregs_get(t, data, FPU_STATE_SIZE);
	case PTRACE_SETFPREGS:
		return fpregs_set(t, data, FPU_STATE_SIZE);
	case PTRACE_GETREGSET:
	case PTRACE_SETREGSET:
		return regset(t, addr, data, req == PTRACE_SETREGSET);
	case PTRACE_CONT:
	case PTRACE_SYSCALL:
	case PTRACE_SINGLESTEP:
		return resume(ps, req, data);
	case PTRACE_DETACH:
		return detach(ps, data);
	case PTRACE_KILL:
		proc_kill(t->proc, SIGKILL);
		return 0;
	case PTRACE_INTERRUPT:
		return interrupt(ps);
	case PTRACE_LISTEN:
		return listen(ps);
	case PTRACE_SETOPTIONS:
		return set_options(ps, data);
	case PTRACE_GETEVENTMSG:
		return copy_to_user(data, &ps->event_msg, sizeof(ps->event_msg)) ? -EFAULT : 0;
	case PTRACE_GETSIGINFO:
		return get_siginfo(ps, data);
	case PTRACE_SETSIGINFO:
		return set_siginfo(ps, data);
	case PTRACE_GET_SYSCALL_INFO:
		return get_syscall_info(t, addr, data);
	}
	return -EIO;
}

SYSCALL_DEFINE4(ptrace, long, req, long, pid, uintptr_t, addr, uintptr_t, data)
{
	struct ptrace_state *ps;
	long ret;

	if (req == PTRACE_TRACEME)
		return trace_me();
	if (req == PTRACE_ATTACH || req == PTRACE_SEIZE)
		return attach((int)pid, req == PTRACE_SEIZE, addr, data);
	ret = get_tracee((int)pid, req, &ps);
	if (ret)
		return ret;
	ret = request(ps, req, addr, data);
	put_tracee(ps);
	return ret;
}
