/*
 * clone, fork, vfork (include/kernel/clone.h). A new user thread starts as
 * a copy of its creator's saved registers with rax = 0, so that it
 * "returns" from the same system call; it never needs a stack of its own.
 */
#include <kernel/ptrace.h>
#include <kernel/clone.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <kernel/uthread.h>
#include <kernel/wait.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <fs/event.h>
#include <mm/vm.h>
#include <mm/oom.h>
#include <arch/x86_64/cpu_setup.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/resource.h>
#include <uapi/signal.h>

#define FORK_RECLAIM 256 /* pages fork asks the shrinkers for before it fails with ENOMEM */

#define SUPPORTED_FLAGS                                                                   \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VFORK | CLONE_PARENT | \
	 CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |              \
	 CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID |    \
	 CLONE_PTRACE | CLONE_PIDFD)

/*
 * CLONE_PIDFD: not with CLONE_THREAD (no thread pidfds here, as Linux before
 * 6.9) nor CLONE_DETACHED, nor with CLONE_PARENT_SETTID at the same address
 * (clone's always is: both use its parent_tid argument). The address must
 * be writable before anything is created (Linux fails the call with EFAULT).
 */
static long check_pidfd(const struct clone_args_k *a)
{
	int v;

	if (!(a->flags & CLONE_PIDFD))
		return 0;
	if ((a->flags & (CLONE_THREAD | CLONE_DETACHED)) ||
	    ((a->flags & CLONE_PARENT_SETTID) && a->pidfd == a->parent_tid))
		return -EINVAL;
	if (copy_from_user(&v, a->pidfd, sizeof(v)) || copy_to_user(a->pidfd, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

/* The parent's pidfd for the new process np (close-on-exec, as Linux's); its number or -errno. */
static int install_pidfd(struct process *p, struct process *np)
{
	struct file *f;
	int fd = pidfd_create_for(np, 0, &f);

	if (fd)
		return fd;
	fd = fd_install(p->fds, f, true);
	if (fd < 0)
		file_put(f);
	return fd;
}

static long check_flags(uint64_t f)
{
	if (f & ~(uint64_t)SUPPORTED_FLAGS)
		return -EINVAL;
	if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND))
		return -EINVAL;
	if ((f & CLONE_SIGHAND) && !(f & CLONE_VM))
		return -EINVAL;
	return 0;
}

/* The working directory and root, read under p's lock (chdir and chroot change them). */
static void copy_fs_dirs(struct process *np, struct process *p)
{
	unsigned long irq = spin_lock_irqsave(&p->lock);

	np->cwd = p->cwd ? dentry_get(p->cwd) : NULL;
	np->root = p->root ? dentry_get(p->root) : NULL;
	spin_unlock_irqrestore(&p->lock, irq);
}

/* A new process sharing or copying the creator's resources. */
static struct process *clone_process(struct process *p, uint64_t flags)
{
	struct process *np = proc_alloc(p);

	if (!np)
		return NULL;
	if (flags & CLONE_VM) {
		vm_get(p->vm);
		np->vm = p->vm;
	} else {
		np->vm = vm_fork(p->vm);
	}
	np->fds = (flags & CLONE_FILES) ? fdtable_get(p->fds) : fdtable_clone(p->fds);
	copy_fs_dirs(np, p);
	if (np->vm && np->fds)
		return np;
	proc_discard(np);
	return NULL;
}

static void setup_child_thread(struct thread *nt, struct thread *t, const struct clone_args_k *a)
{
	nt->uregs = t->uregs;
	nt->uregs.rax = 0;
	if (a->stack)
		nt->uregs.rsp = a->stack;
	/*
	 * The creator's FPU state is the child's: in the registers if they still
	 * hold it, else in its saved copy (a call run again after a wait, or from
	 * a syscall stop, starts before the registers are restored).
	 */
	user_fpu_sync(t);
	memcpy(nt->fpu, t->fpu, sizeof(*nt->fpu));
	nt->fs_base = (a->flags & CLONE_SETTLS) ? a->tls : t->fs_base;
	nt->gs_base = t->gs_base;
	nt->sigmask = t->sigmask;
	nt->no_new_privs = t->no_new_privs;
	nt->cpus_allowed = READ_ONCE(t->cpus_allowed);
	sched_fork_params(nt, t);
	nt->last_cpu = t->last_cpu;
	nt->altstack_sp = t->altstack_sp;
	nt->altstack_size = t->altstack_size;
	nt->altstack_flags = t->altstack_flags;
	if (a->flags & CLONE_CHILD_SETTID)
		nt->set_child_tid = a->child_tid;
	if (a->flags & CLONE_CHILD_CLEARTID)
		nt->clear_child_tid = a->child_tid;
}

/* Whether p's child with this pid is still a vfork child that has not exec'd or exited. */
static bool vfork_pending(struct process *p, int pid)
{
	struct process *c;

	assert_held(&proc_tree_lock);
	list_for_each_entry (c, &p->children, sibling)
		if (c->pid == pid)
			return c->vfork_pending;
	return false;
}

/*
 * vfork: the parent waits (as a restartable call) until the child execs or
 * exits. Signals do not end the wait, as on Linux: the child
 * exists, so the call must return its pid, not EINTR.
 */
static long vfork_wait(struct process *p, int child_pid)
{
	unsigned long f1 = spin_lock_irqsave(&p->child_event.lock);
	unsigned long f2 = spin_lock_irqsave(&proc_tree_lock);
	long ret = child_pid;

	if (vfork_pending(p, child_pid))
		ret = wait_block_locked_uninterruptible(&p->child_event);
	spin_unlock_irqrestore(&proc_tree_lock, f2);
	spin_unlock_irqrestore(&p->child_event.lock, f1);
	return ret;
}

void vfork_release(struct process *child)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool was = child->vfork_pending;
	struct process *parent = child->parent;

	child->vfork_pending = false;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (was && parent)
		wait_wake_all(&parent->child_event);
}

/*
 * RLIMIT_NPROC: the creator's real user already runs as many threads as
 * its limit allows. As on Linux, the root user is not limited, nor are
 * holders of CAP_SYS_RESOURCE or CAP_SYS_ADMIN.
 */
static bool nproc_reached(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	uint64_t limit = p->rlimits[RLIMIT_NPROC].cur;
	uint32_t uid = current_cred()->uid;

	spin_unlock_irqrestore(&p->lock, flags);
	if (uid == 0 || limit == RLIM_INFINITY || capable(CAP_SYS_RESOURCE) ||
	    capable(CAP_SYS_ADMIN))
		return false;
	return proc_count_user_threads(uid) >= limit;
}

long do_clone(const struct clone_args_k *a)
{
	struct thread *t = current_thread(), *nt;
	struct process *p = t->proc, *np = p;
	struct wait *w = &t->wait;
	long err = check_flags(a->flags);
	int tid, pidfd;

	if (progress_vfork(w)->child_tid) /* a vfork parent run again: the child exists */
		return ptrace_vfork_done(t, vfork_wait(p, progress_vfork(w)->child_tid));
	if (!err)
		err = check_pidfd(a);
	if (err)
		return err;
	if (nproc_reached(p))
		return -EAGAIN;
	if (mem_reserve_reached()) /* the last pages are the kernel's (write-back, page tables) */
		return mem_nomem_or_wait_victim();
	if (!(a->flags & CLONE_THREAD) && !(np = clone_process(p, a->flags)) &&
	    !(reclaim_now(FORK_RECLAIM) && (np = clone_process(p, a->flags))))
		return mem_nomem_or_wait_victim();
	tid = np == p ? pid_alloc() : np->pid;
	nt = tid > 0 ? uthread_alloc(np, tid) : NULL;
	if (!nt) {
		if (np != p)
			proc_discard(np); /* never published, no thread yet */
		else if (tid > 0)
			pid_free(tid);
		return tid > 0 ? -ENOMEM : -EAGAIN;
	}
	setup_child_thread(nt, t, a);
	if ((a->flags & CLONE_PIDFD) && (pidfd = install_pidfd(p, np)) < 0) {
		uthread_free(nt);
		proc_discard(np);
		return pidfd;
	}
	if (a->flags & CLONE_PIDFD) {
		/* Checked writable above; a failure now (another thread unmapped it) is ignored. */
		copy_to_user(a->pidfd, &pidfd, sizeof(pidfd));
	}
	if ((a->flags & CLONE_PARENT_SETTID) && copy_to_user(a->parent_tid, &tid, sizeof(tid))) {
		/* Linux writes it before the child runs and ignores a failure. */
	}
	proc_add_thread(np, nt);
	if (np != p) {
		np->vfork_pending = a->flags & CLONE_VFORK;
		proc_publish(np, (a->flags & CLONE_PARENT) && p->parent ? p->parent : p);
		if (READ_ONCE(np->group_killed))
			proc_kill(np, SIGKILL); /* its group was killed while it was being forked */
	}
	ptrace_clone_event(t, nt, a->flags,
			   a->exit_signal); /* before it runs: traced from its start */
	sched_make_runnable(nt);
	call_commit(); /* the child runs: a new run would make another */
	if (a->flags & CLONE_VFORK) {
		progress_vfork(w)->child_tid = tid;
		call_progress_kept(); /* a new run finds the child here and only waits */
		return ptrace_vfork_done(t, vfork_wait(p, tid));
	}
	return tid;
}
