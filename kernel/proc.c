/*
 * Processes and user threads (include/kernel/proc.h): ids, creation,
 * exit, the zombie/reap protocol with wait4, and pid 1. Called by the
 * process system calls (sys/proc.c), exec, the fault path, and kmain.
 */
#include <kernel/proc.h>
#include <kernel/cred.h>
#include <kernel/coredump.h>
#include <fs/event.h>
#include <svc/service.h>
#include <arch/x86_64/cpu.h>
#include <fs/writeback.h>
#include <kernel/thread.h>
#include <kernel/panic.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>
#include <kernel/futex.h>
#include <kernel/clone.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <mm/slab.h>
#include <mm/vm.h>
#include <mm/oom.h>
#include <mm/page.h>
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/percpu.h>
#include <lib/bitmap.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/prctl.h>
#include <uapi/wait.h>
#include <uapi/signal.h>
#include <uapi/resource.h>
#include <uapi/fcntl.h>
#include <kernel/exec.h>
#include <kernel/signal.h>
#include <kernel/ptrace.h>
#include <kernel/posix_timer.h>
#include <kernel/timer.h>
#include <drivers/tty.h>

spinlock_t proc_tree_lock = SPINLOCK_INIT("proc-tree");
static LIST_HEAD(all_procs);	  /* (proc_tree_lock) */
static struct process *init_proc; /* pid 1, adopter of orphans */
static spinlock_t pid_lock = SPINLOCK_INIT("pids");
static unsigned long pid_map[BITS_TO_LONGS(PID_MAX)]; /* (pid_lock) */
static int pid_next = 1;			      /* (pid_lock) */

struct process *current_proc(void)
{
	return current_thread()->proc;
}

int pid_alloc(void)
{
	unsigned long flags = spin_lock_irqsave(&pid_lock);
	int pid = -EAGAIN;

	for (int tries = 0; tries < PID_MAX - 1; tries++) {
		int candidate = pid_next;

		pid_next = pid_next + 1 >= PID_MAX ? 2 : pid_next + 1;
		if (!bitmap_test_bit(pid_map, candidate)) {
			bitmap_set_bit(pid_map, candidate);
			pid = candidate;
			break;
		}
	}
	spin_unlock_irqrestore(&pid_lock, flags);
	return pid;
}

void pid_free(int pid)
{
	unsigned long flags = spin_lock_irqsave(&pid_lock);

	bitmap_clear_bit(pid_map, pid);
	spin_unlock_irqrestore(&pid_lock, flags);
}

static void default_rlimits(struct process *p)
{
	for (int i = 0; i < RLIMIT_MAX; i++)
		p->rlimits[i] = (struct rlimit64){ ~0ULL, ~0ULL };
	p->rlimits[RLIMIT_STACK] = (struct rlimit64){ 8ULL << 20, ~0ULL };
	p->rlimits[RLIMIT_NOFILE] = (struct rlimit64){ FD_LIMIT_DEFAULT, 4 * FD_LIMIT_DEFAULT };
	p->rlimits[RLIMIT_NPROC] = (struct rlimit64){ proc_default_nproc(), proc_default_nproc() };
	p->rlimits[RLIMIT_CORE] = (struct rlimit64){ 0, ~0ULL };
	/* Linux's other defaults (mlock is not there: MEMLOCK is only kept and reported). */
	p->rlimits[RLIMIT_MEMLOCK] = (struct rlimit64){ 8ULL << 20, 8ULL << 20 };
	p->rlimits[RLIMIT_SIGPENDING] = p->rlimits[RLIMIT_NPROC];
	p->rlimits[RLIMIT_MSGQUEUE] = (struct rlimit64){ 819200, 819200 };
	p->rlimits[RLIMIT_NICE] = (struct rlimit64){ 0, 0 };
	p->rlimits[RLIMIT_RTPRIO] = (struct rlimit64){ 0, 0 };
}

/* A new process with the parent's credentials and limits; no threads, vm or files yet. */
struct process *proc_alloc(struct process *parent)
{
	struct process *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid_alloc();
	if (p->pid < 0) {
		kfree(p);
		return NULL;
	}
	spin_init(&p->lock, "process");
	list_init(&p->children);
	list_init(&p->tracees);
	list_init(&p->ptrace_exits);
	list_init(&p->threads);
	wait_source_init(&p->child_event, "child-event");
	wait_source_init(&p->stop_source, "stopped");
	sigpending_init(&p->sigpending);
	ktimer_init(&p->itimer, itimer_fire);
	list_init(&p->timers);
	p->refcount = 1;
	p->exit_signal = SIGCHLD;
	p->start_ns = clock_ns();
	if (parent) {
		unsigned long flags = spin_lock_irqsave(&parent->lock);

		memcpy(p->comm, parent->comm, COMM_LEN);
		memcpy(p->exe, parent->exe, EXE_PATH_LEN);
		memcpy(p->cmdline, parent->cmdline, parent->cmdline_len);
		p->cmdline_len = parent->cmdline_len;
		memcpy(p->rlimits, parent->rlimits, sizeof(p->rlimits));
		spin_unlock_irqrestore(&parent->lock, flags);
		/* Not published yet: no other CPU looks at it. RLIMIT_CPU counts the child's own time. */
		p->cpu_timers_armed = p->rlimits[RLIMIT_CPU].cur != RLIM_INFINITY;
		p->cred = cred_get(current_cred()); /* the cloning thread's */
		p->umask = parent->umask;
		p->oom_score_adj = parent->oom_score_adj;
		p->personality = READ_ONCE(parent->personality);
		p->dump_mode = proc_dump_mode(parent);
		memcpy(p->sigactions, parent->sigactions, sizeof(p->sigactions));
		p->pgid = parent->pgid;
		p->sid = parent->sid;
		p->ctty = parent->ctty; /* the session's terminal (drivers/tty.c) */
	} else {
		p->cred = cred_get(&init_cred);
		p->dump_mode = SUID_DUMP_USER;
		p->umask = 022;
		default_rlimits(p);
		p->pgid = p->sid = p->pid;
	}
	return p;
}

/* Frees a process that was never published (a failed clone). */
void proc_discard(struct process *p)
{
	if (p->vm)
		vm_put(p->vm);
	if (p->fds)
		fdtable_put(p->fds);
	if (p->cwd)
		dentry_put(p->cwd);
	if (p->root)
		dentry_put(p->root);
	proc_unhold(p);
}

/* Links a fully set-up process into the tree under parent (NULL: it is init). */
void proc_publish(struct process *p, struct process *parent)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);

	p->parent = parent;
	if (parent)
		list_add_tail(&p->sibling, &parent->children);
	else
		init_proc = p;
	list_add_tail(&p->all_node, &all_procs);
	if (parent && parent->group_killed)
		p->group_killed = true; /* forked after its group was killed: it follows */
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}

void proc_for_each_locked(void (*fn)(struct process *p, void *ctx), void *ctx)
{
	struct process *p;

	assert_held(&proc_tree_lock);
	list_for_each_entry (p, &all_procs, all_node)
		fn(p, ctx);
}

struct thread *proc_thread_locked(struct process *p, int tid)
{
	struct thread *t;

	assert_held(&p->lock);
	list_for_each_entry (t, &p->threads, proc_node)
		if (t->tid == tid)
			return t;
	return NULL;
}

void proc_for_each_in_nmi(void (*fn)(struct process *p, void *ctx), void *ctx)
{
	struct process *p;

	/* No lock: the interrupted code may hold it (kernel/state_dump.c says why). */
	list_for_each_entry (p, &all_procs, all_node)
		fn(p, ctx);
}

void proc_for_each(void (*fn)(struct process *p, void *ctx), void *ctx)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);

	proc_for_each_locked(fn, ctx);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}

void proc_hold(struct process *p)
{
	__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
}

/* Drops a reference; the last one (the tree's is dropped at reap) frees the struct. */
void proc_unhold(struct process *p)
{
	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	sigpending_release(&p->sigpending);
	cred_put(p->cred);
	pid_free(p->pid);
	kfree(p);
}

int proc_get_oom_score_adj(int pid, int *adj)
{
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock), pflags;
	struct process *p = proc_find(pid);

	if (p) {
		pflags = spin_lock_irqsave(&p->lock);
		*adj = p->oom_score_adj;
		spin_unlock_irqrestore(&p->lock, pflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	return p ? 0 : -ESRCH;
}

int proc_set_oom_score_adj(int pid, int adj)
{
	bool root = capable(CAP_SYS_RESOURCE);
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock), pflags;
	struct process *p = proc_find(pid);
	int r = p ? 0 : -ESRCH;

	if (adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX)
		r = -EINVAL;
	if (!r) {
		pflags = spin_lock_irqsave(&p->lock);
		if (adj < p->oom_score_adj && !root)
			r = -EACCES; /* Linux: lowering it needs CAP_SYS_RESOURCE */
		else
			p->oom_score_adj = adj;
		spin_unlock_irqrestore(&p->lock, pflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	return r;
}

uint64_t proc_default_nproc(void)
{
	uint64_t threads_max = MIN(MAX(total_page_count() / 8, 20ULL), (uint64_t)PID_MAX);

	return threads_max / 2;
}

static void count_user(struct process *p, void *arg)
{
	uint32_t *uid_count = arg; /* [0] the uid, [1] the count */

	const struct cred *c = proc_cred_get(p);

	if (c->uid == uid_count[0])
		uid_count[1] += MAX(READ_ONCE(p->nr_threads), 1u); /* a zombie counts once */
	cred_put(c);
}

unsigned proc_count_user_threads(uint32_t uid)
{
	uint32_t uid_count[2] = { uid, 0 };

	proc_for_each(count_user, uid_count);
	return uid_count[1];
}

struct process *proc_find(int pid)
{
	struct process *p;

	assert_held(&proc_tree_lock);
	list_for_each_entry (p, &all_procs, all_node)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* Exact-size caches: a blocked thread costs its struct thread and FPU area, nothing more. */
static struct kmem_cache thread_cache, fpu_cache;

void proc_init(void)
{
	kmem_cache_init(&thread_cache, "thread", sizeof(struct thread), 16);
	kmem_cache_init(&fpu_cache, "fpu-state", sizeof(struct fpu_state), 16);
	cred_init();
}

struct thread *uthread_alloc(struct process *p, int tid)
{
	struct thread *t = kmem_cache_alloc(&thread_cache);

	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->fpu = kmem_cache_alloc(&fpu_cache);
	if (!t->fpu) {
		kmem_cache_free(&thread_cache, t);
		return NULL;
	}
	fpu_init_state(t->fpu);
	t->fpu_cpu = -1;
	t->cpus_allowed = ~0ull;
	sigpending_init(&t->sigpending);
	t->user = true;
	t->proc = p;
	/* A new thread acts as the thread that made it; the first one of a process as the process. */
	t->cred = cred_get(current_thread()->proc == p ? current_cred() : p->cred);
	t->tid = tid;
	strlcpy(t->name, p->comm, sizeof(t->name));
	list_init(&t->run_node);
	wait_init(&t->wait);
	list_init(&t->proc_node);
	return t;
}

void uthread_free(struct thread *t)
{
	if (t->tid != t->proc->pid)
		pid_free(t->tid);
	sigpending_release(&t->sigpending);
	cred_put(t->cred);
	svc_forget_calls(t);
	ptrace_release(t);
	kmem_cache_free(&fpu_cache, t->fpu);
	kmem_cache_free(&thread_cache, t);
}

void proc_add_thread(struct process *p, struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);

	list_add_tail(&t->proc_node, &p->threads);
	p->nr_threads++;
	/*
	 * Cloned while another thread's exec or exit_group kills the others (on
	 * another CPU): that kill's walk of the list may have passed already.
	 * The new thread has not run yet; it exits as soon as it does.
	 */
	if ((p->exec_by && p->exec_by != t) || READ_ONCE(p->state) != PROC_ALIVE)
		t->killed = true;
	spin_unlock_irqrestore(&p->lock, flags);
}

/* Gives p's children to init; returns whether one of them is already a zombie. */
static bool reparent_children(struct process *p)
{
	bool zombie = false;

	assert_held(&proc_tree_lock);
	while (!list_empty(&p->children)) {
		struct process *c = list_first_entry(&p->children, struct process, sibling);

		list_del(&c->sibling);
		c->parent = init_proc;
		list_add_tail(&c->sibling, &init_proc->children);
		zombie |= c->state == PROC_ZOMBIE;
	}
	return zombie;
}

static int init_exit_code(int status)
{
	return (status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
}

/*
 * A parent that ignores SIGCHLD (or set SA_NOCLDWAIT) leaves no zombies: its
 * children are reaped as they exit.
 */
static bool parent_reaps_at_exit(const struct process *parent)
{
	const struct k_sigaction *act = &parent->sigactions[SIGCHLD - 1];

	assert_held(&proc_tree_lock);
	return act->handler == 1 /* SIG_IGN */ || (act->flags & SA_NOCLDWAIT);
}

/* A dead child (info: the SIGCHLD it sends, or signo 0): the signal, and a wake-up for wait4. */
static void notify_parent_exit(const struct ksiginfo *info, struct process *parent)
{
	if (info->signo)
		signal_send(parent, info);
	wait_wake_all(&parent->child_event);
	pidfd_notify();
}

/*
 * The last thread is gone: release everything, become a zombie, tell the
 * parent. Drops the caller's hold on p before p can be seen as a zombie:
 * from then on only the parent's reap frees it, and p's exit has given
 * back every page it took by the time its parent can reap it (the
 * leaked-pages checks count free memory then).
 */
static void proc_release(struct process *p)
{
	struct ksiginfo info;
	struct process *parent;
	unsigned long flags;
	bool orphaned_zombies, reaped;

	vm_put(p->vm);
	p->vm = NULL;
	oom_process_gone(p); /* an OOM victim's memory is back: the next one may be chosen */
	fdtable_put(p->fds);
	p->fds = NULL;
	if (p->cwd)
		dentry_put(p->cwd);
	p->cwd = NULL;
	if (p->root)
		dentry_put(p->root);
	p->root = NULL;
	if (p == init_proc) {
		/* The last sync runs in a kernel thread; init stays a zombie nobody reaps. */
		pr_info("init exited (status %#x); powering off\n", p->exit_status);
		p->state = PROC_ZOMBIE;
		writeback_shutdown_then_poweroff(init_exit_code(p->exit_status));
		proc_unhold(p); /* the tree keeps it */
		return;
	}
	ptrace_tracer_exit(p); /* its tracees go on untraced (or die: PTRACE_O_EXITKILL) */
	tty_session_exit(p);   /* a session leader hangs up its terminal */
	ktimer_cancel(&p->itimer);
	posix_timers_release(p);
	vfork_release(p);
	flags = spin_lock_irqsave(&proc_tree_lock);
	orphaned_zombies = reparent_children(p);
	p->state = PROC_ZOMBIE;
	parent = p->parent;
	info = (struct ksiginfo){ .signo = p->exit_signal, .pid = p->pid };
	wait_status_siginfo(p->exit_status, &info.code, &info.status);
	reaped = parent_reaps_at_exit(parent);
	if (reaped) { /* decided with the tree locked: wait4 never sees this zombie */
		list_del(&p->sibling);
		list_del(&p->all_node);
	} else {
		proc_unhold(p); /* not the last: the tree's reference stays until the reap */
	}
	proc_hold(parent);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (reaped) {
		proc_unhold(p); /* the caller's hold */
		proc_unhold(p); /* the tree's */
	}
	notify_parent_exit(&info, parent);
	proc_unhold(parent);
	if (orphaned_zombies)
		wait_wake_all(&init_proc->child_event);
}

/* The last thread is gone: the core is written first when a dump was asked for. */
static void proc_finish(struct process *p)
{
	if (p->core && coredump_write_later(p))
		return; /* its kernel thread ends the exit (proc_finish_dumped) */
	proc_finish_dumped(p, false);
}

void proc_finish_dumped(struct process *p, bool dumped)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);

	if (dumped)
		p->exit_status |= W_COREDUMP_FLAG;
	p->core = NULL;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	proc_release(p);
}

void wait_status_siginfo(int status, int *code, int *si_status)
{
	if (status == 0xffff) {
		*code = CLD_CONTINUED;
		*si_status = SIGCONT;
	} else if ((status & 0xff) == 0x7f) {
		*code = CLD_STOPPED;
		*si_status = (status >> 8) & 0xff;
	} else if (status & 0x7f) {
		*code = (status & W_COREDUMP_FLAG) ? CLD_DUMPED : CLD_KILLED;
		*si_status = status & 0x7f;
	} else {
		*code = CLD_EXITED;
		*si_status = (status >> 8) & 0xff;
	}
}

static void clear_child_tid(struct thread *t)
{
	uint32_t zero = 0;

	if (t->clear_child_tid && !copy_to_user(t->clear_child_tid, &zero, sizeof(zero)))
		futex_wake_address(t->proc->vm, t->clear_child_tid, 1);
}

void uthread_exit(struct thread *t, int status)
{
	struct process *p = t->proc;
	unsigned long flags;
	bool last;

	proc_hold(p);	       /* the parent may reap it as soon as it is a zombie */
	t->in_call = false;    /* nothing runs again: a user access that would wait fails */
	wait_detach(&t->wait); /* a thread killed while parked is still on its source */
	clear_child_tid(t);
	if (READ_ONCE(p->core)) /* set before any thread was killed for it; freed after the last */
		coredump_thread_exit(t, p->core);
	flags = spin_lock_irqsave(&p->lock);
	list_del(&t->proc_node);
	sigpending_release(&t->sigpending); /* under the lock: a timer's entry goes back to it */
	last = --p->nr_threads == 0;
	spin_unlock_irqrestore(&p->lock, flags);
	flags = spin_lock_irqsave(&proc_tree_lock);
	p->user_ticks += t->user_ticks;
	p->system_ticks += t->system_ticks;
	if (p->state == PROC_ALIVE && last)
		p->exit_status = status; /* exit() of the last thread ends the process */
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	ptrace_tracee_exit(t, status, last); /* its tracer's wait reports it */
	sched_user_exit(t);
	uthread_free(t); /* before the parent can reap p (proc_finish) */
	if (last)
		proc_finish(p); /* drops the hold */
	else
		proc_unhold(p);
	cpu_loop_restart();
}

/*
 * Marks p exiting with status (first caller wins, with its core dump cd)
 * and makes its other threads leave.
 */
static void proc_begin_exit(struct process *p, int status, struct thread *except,
			    struct core_dump *cd)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool won = p->state == PROC_ALIVE;

	if (won) {
		p->state = PROC_EXITING;
		p->exit_status = status;
		p->core = cd;
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (!won && cd)
		coredump_discard(cd);
	proc_kill_other_threads(p, except);
}

void proc_kill_other_threads(struct process *p, struct thread *self)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct thread *t;

	list_for_each_entry (t, &p->threads, proc_node) {
		if (t == self)
			continue;
		t->clear_child_tid = 0; /* its memory may be gone (exec) or going */
		t->set_child_tid = 0;
		sched_kill_wake(t);
	}
	spin_unlock_irqrestore(&p->lock, flags);
}

int proc_claim_exec(struct process *p, struct thread *self)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool lost = p->state != PROC_ALIVE; /* dying already (Linux's de_thread: -EAGAIN) */

	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (lost)
		return -EAGAIN;
	flags = spin_lock_irqsave(&p->lock);
	lost = p->exec_by != NULL;

	if (!lost)
		p->exec_by = self;
	spin_unlock_irqrestore(&p->lock, flags);
	if (lost)
		return -EAGAIN;
	proc_kill_other_threads(p, self);
	return 0;
}

void proc_exec_done(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);

	p->exec_by = NULL;
	spin_unlock_irqrestore(&p->lock, flags);
}

void proc_exit_group(int status)
{
	struct thread *self = current_thread();

	proc_begin_exit(self->proc, status, self, NULL);
	uthread_exit(self, status);
}

void proc_kill(struct process *p, int sig)
{
	proc_begin_exit(p, W_SIGNALED(sig), NULL, NULL);
}

void proc_kill_dumping(struct process *p, int sig, struct core_dump *cd)
{
	proc_begin_exit(p, W_SIGNALED(sig), NULL, cd);
}

static bool wait_matches(const struct process *p, const struct process *c, int pid)
{
	if (pid > 0)
		return c->pid == pid;
	if (pid == -1)
		return true;
	return c->pgid == (pid == 0 ? p->pgid : -pid);
}

/* A stopped or continued child that wait4 should report (WUNTRACED, WCONTINUED). */
static bool report_state_change(struct process *c, int options, struct wait_result *r)
{
	if ((options & WUNTRACED) && c->report_stop) {
		r->status = 0x7f | (c->stop_sig << 8);
		c->report_stop = options & WNOWAIT;
		return true;
	}
	if ((options & WCONTINUED) && c->report_cont) {
		r->status = 0xffff;
		c->report_cont = options & WNOWAIT;
		return true;
	}
	return false;
}

/* Reaps the zombie child c (its status is already in the caller's hands): frees it. */
static int reap(struct process *p, struct process *c)
{
	int pid = c->pid;

	p->child_user_ticks += c->user_ticks + c->child_user_ticks;
	p->child_system_ticks += c->system_ticks + c->child_system_ticks;
	list_del(&c->sibling);
	list_del(&c->all_node);
	proc_unhold(c);
	return pid;
}

long proc_wait(int pid, int options, struct wait_result *r)
{
	struct process *p = current_proc(), *c;
	unsigned long f1 = spin_lock_irqsave(&p->child_event.lock);
	unsigned long f2 = spin_lock_irqsave(&proc_tree_lock);
	bool any = false;
	long ret = ptrace_wait_locked(p, pid, options, r, &any); /* tracees first */

	if (ret)
		goto out;
	list_for_each_entry (c, &p->children, sibling) {
		if (!wait_matches(p, c, pid))
			continue;
		if (c->state == PROC_ZOMBIE && !(options & WEXITED))
			continue; /* waitid without WEXITED: the dead do not count (Linux: ECHILD) */
		any = true;
		if (c->state != PROC_ZOMBIE && report_state_change(c, options, r)) {
			ret = c->pid;
			goto out;
		}
		if (c->state != PROC_ZOMBIE)
			continue;
		r->status = c->exit_status;
		r->user_ticks = c->user_ticks + c->child_user_ticks;
		r->system_ticks = c->system_ticks + c->child_system_ticks;
		ret = (options & WNOWAIT) ? c->pid : reap(p, c);
		goto out;
	}
	if (!any)
		ret = -ECHILD;
	else if (options & WNOHANG)
		ret = 0;
	else
		ret = wait_block_locked(&p->child_event, 0);
out:
	spin_unlock_irqrestore(&proc_tree_lock, f2);
	spin_unlock_irqrestore(&p->child_event.lock, f1);
	return ret;
}

static int open_console(struct process *p)
{
	for (int fd = 0; fd < 3; fd++) {
		struct file *f;
		int err = vfs_openat(NULL, "/dev/console", O_RDWR, 0, &f);

		if (err)
			return err;
		if (fd_install(p->fds, f, false) < 0) {
			file_put(f);
			return -EMFILE;
		}
	}
	return 0;
}

/*
 * Starts pid 1: a process with the console as fds 0-2 that execs path. The
 * exec runs here, on the boot CPU before scheduling starts, with init's
 * thread standing in as the current thread.
 */
int proc_start_init(const char *path)
{
	struct process *p = proc_alloc(NULL);
	struct percpu *cpu = this_cpu();
	struct exec_args args;
	struct thread *t;
	int err;

	if (!p || p->pid != 1)
		return -ENOMEM;
	strlcpy(p->comm, "init", sizeof(p->comm));
	p->vm = vm_create();
	p->fds = fdtable_create();
	p->cwd = dentry_get(vfs_root());
	t = uthread_alloc(p, p->pid);
	if (!p->vm || !p->fds || !t)
		return -ENOMEM;
	proc_add_thread(p, t);
	proc_publish(p, NULL);
	err = open_console(p);
	exec_args_init(&args);
	if (!err)
		err = exec_args_push(&args, path, false);
	if (!err) {
		/* exec works on the current thread: be init's for a moment (from boot or a kthread). */
		struct thread *self = cpu->current;
		unsigned long irq = irq_save();

		cpu->current = t;
		err = exec_program(path, &args);
		cpu->current = self;
		irq_restore(irq);
	}
	exec_args_free(&args);
	if (!err)
		sched_make_runnable(t);
	return err;
}

struct process *proc_find_thread_owner(int tid)
{
	struct process *p;
	struct thread *t;

	assert_held(&proc_tree_lock);
	list_for_each_entry (p, &all_procs, all_node) {
		unsigned long flags = spin_lock_irqsave(&p->lock);
		bool found = false;

		list_for_each_entry (t, &p->threads, proc_node)
			found |= t->tid == tid;
		spin_unlock_irqrestore(&p->lock, flags);
		if (found)
			return p;
	}
	return NULL;
}

long proc_setpgid(int pid, int pgid)
{
	struct process *self = current_proc(), *target;
	unsigned long flags;
	long ret = 0;

	if (pgid < 0)
		return -EINVAL;
	flags = spin_lock_irqsave(&proc_tree_lock);
	target = pid ? proc_find(pid) : self;
	if (!target || (target != self && target->parent != self))
		ret = -ESRCH;
	else if (target->sid != self->sid || target->pid == target->sid)
		ret = -EPERM; /* another session, or a session leader */
	if (!ret && !pgid)
		pgid = target->pid;
	if (!ret && pgid != target->pid && !pgrp_exists_in_session(pgid, self->sid))
		ret = -EPERM;
	if (!ret)
		target->pgid = pgid;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return ret;
}

static void is_group_leader(struct process *p, void *arg)
{
	struct process **self = arg;

	if (*self && p != *self && p->pgid == (*self)->pid)
		*self = NULL;
}

long proc_setsid(void)
{
	struct process *self = current_proc(), *check = self;
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	long ret;

	proc_for_each_locked(is_group_leader, &check);
	if (!check || self->pgid == self->pid) {
		ret = -EPERM; /* already leads a process group */
	} else {
		self->sid = self->pgid = self->pid;
		self->ctty = NULL;
		ret = self->sid;
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return ret;
}

long proc_getid(int pid, char which)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct process *p = pid ? proc_find(pid) : current_proc();
	long ret = p ? (which == 'g' ? p->pgid : p->sid) : -ESRCH;

	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return ret;
}
