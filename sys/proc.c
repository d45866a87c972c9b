/*
 * Process and thread system calls: identity, exit, wait4/waitid, and
 * clone/fork/vfork/clone3, CPU affinity and getcpu (layer one: argument checks and copies; the
 * process core is kernel/proc.c).
 */
#include <kernel/syscall.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <kernel/clone.h>
#include <kernel/ptrace.h>
#include <uapi/errno.h>
#include <uapi/wait.h>
#include <uapi/resource.h>
#include <kernel/config.h>
#include <uapi/signal.h>
#include <lib/string.h>
#include <lib/compiler.h>
#include <kernel/signal.h>
#include <kernel/smp.h>

SYSCALL_DEFINE0(getpid)
{
	return current_proc()->pid;
}

SYSCALL_DEFINE0(gettid)
{
	return current_thread()->tid;
}

SYSCALL_DEFINE0(getppid)
{
	struct process *p = current_proc();

	return p->parent ? p->parent->pid : 0;
}

SYSCALL_DEFINE1(exit, int, code)
{
	if (ptrace_exit_event(current_thread(), W_EXITCODE(code), false))
		return 0; /* PTRACE_EVENT_EXIT first: the exit follows the stop */
	uthread_exit(current_thread(), W_EXITCODE(code));
}

SYSCALL_DEFINE1(exit_group, int, code)
{
	if (ptrace_exit_event(current_thread(), W_EXITCODE(code), true))
		return 0;
	proc_exit_group(W_EXITCODE(code));
}

SYSCALL_DEFINE1(set_tid_address, uintptr_t, addr)
{
	current_thread()->clear_child_tid = addr;
	return current_thread()->tid;
}

SYSCALL_DEFINE0(sched_yield)
{
	sched_yield_current();
	return 0;
}

/* The thread with this tid (0: the caller), or NULL; caller holds proc_tree_lock. */
static struct thread *find_thread_locked(int tid)
{
	struct process *p;
	struct thread *found;
	unsigned long flags;

	assert_held(&proc_tree_lock);
	if (tid == 0)
		return current_thread();
	p = proc_find_thread_owner(tid);
	if (!p)
		return NULL;
	flags = spin_lock_irqsave(&p->lock);
	found = proc_thread_locked(p, tid);
	spin_unlock_irqrestore(&p->lock, flags);
	return found;
}

/* The affinity mask's size in bytes: one unsigned long covers MAX_CPUS. */
#define AFFINITY_BYTES sizeof(uint64_t)

SYSCALL_DEFINE3(sched_setaffinity, int, pid, size_t, len, uintptr_t, mask_ptr)
{
	uint64_t mask = 0;
	struct thread *t;
	unsigned long flags;
	long ret;

	if (pid < 0)
		return -ESRCH;
	if (copy_from_user(&mask, mask_ptr, len < AFFINITY_BYTES ? len : AFFINITY_BYTES))
		return -EFAULT;
	flags = spin_lock_irqsave(&proc_tree_lock);
	t = find_thread_locked(pid);
	ret = t ? sched_set_affinity(t, mask) : -ESRCH;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return ret;
}

SYSCALL_DEFINE3(sched_getaffinity, int, pid, size_t, len, uintptr_t, mask_ptr)
{
	unsigned n = smp_cpus_online();
	uint64_t mask, online = n >= 64 ? ~0ull : (1ull << n) - 1;
	struct thread *t;
	unsigned long flags;

	if (pid < 0)
		return -ESRCH;
	if (len < AFFINITY_BYTES || len % sizeof(unsigned long))
		return -EINVAL;
	flags = spin_lock_irqsave(&proc_tree_lock);
	t = find_thread_locked(pid);
	mask = t ? READ_ONCE(t->cpus_allowed) & online : 0;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (!t)
		return -ESRCH;
	if (copy_to_user(mask_ptr, &mask, AFFINITY_BYTES))
		return -EFAULT;
	return AFFINITY_BYTES;
}

SYSCALL_DEFINE3(getcpu, uintptr_t, cpu_ptr, uintptr_t, node_ptr, uintptr_t, cache)
{
	unsigned cpu = smp_this_cpu_id(), node = 0;

	(void)cache;
	if (cpu_ptr && copy_to_user(cpu_ptr, &cpu, sizeof(cpu)))
		return -EFAULT;
	if (node_ptr && copy_to_user(node_ptr, &node, sizeof(node)))
		return -EFAULT;
	return 0;
}

static long wait_options_ok(int options, int allowed)
{
	return (options & ~allowed) ? -EINVAL : 0;
}

static struct linux_timeval ticks_timeval(uint64_t ticks)
{
	uint64_t us = ticks * (1000000 / HZ);

	return (struct linux_timeval){ us / 1000000, us % 1000000 };
}

SYSCALL_DEFINE4(wait4, int, pid, uintptr_t, status_ptr, int, options, uintptr_t, rusage)
{
	struct wait_result r = { 0 };
	struct linux_rusage ru;
	long ret = wait_options_ok(options, WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE);

	if (ret)
		return ret;
	if (pid == INT32_MIN)
		return -ESRCH;
	ret = proc_wait(pid, options | WEXITED, &r); /* wait4 always reports the dead */
	if (ret > 0 && status_ptr && copy_to_user(status_ptr, &r.status, sizeof(r.status)))
		return -EFAULT;
	if (ret > 0 && rusage) {
		memset(&ru, 0, sizeof(ru));
		ru.ru_utime = ticks_timeval(r.user_ticks);
		ru.ru_stime = ticks_timeval(r.system_ticks);
		if (copy_to_user(rusage, &ru, sizeof(ru)))
			return -EFAULT;
	}
	return ret;
}

/* Linux's siginfo for waitid: si_signo, si_errno, si_code, pad, si_pid, si_uid, si_status. */
struct waitid_info {
	int32_t signo, err, code, pad;
	int32_t pid, uid, status;
	uint8_t rest[128 - 28];
};

SYSCALL_DEFINE5(waitid, int, idtype, int, id, uintptr_t, infop, int, options, uintptr_t, ru)
{
	struct waitid_info info;
	struct wait_result r = { 0 };
	int pid;
	long ret = wait_options_ok(options, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT |
						    __WALL | __WCLONE);

	(void)ru;
	if (ret)
		return ret;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	if (idtype == P_ALL)
		pid = -1;
	else if (idtype == P_PID && id > 0)
		pid = id;
	else if (idtype == P_PGID)
		pid = id ? -id : 0;
	else
		return -EINVAL;
	ret = proc_wait(pid, options, &r);
	if (ret < 0)
		return ret;
	memset(&info, 0, sizeof(info));
	if (ret > 0) {
		info.signo = SIGCHLD;
		info.pid = ret;
		wait_status_siginfo(r.status, &info.code, &info.status);
	}
	if (infop && copy_to_user(infop, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE5(clone, uint64_t, flags, uintptr_t, stack, uintptr_t, parent_tid, uintptr_t,
		child_tid, uint64_t, tls)
{
	struct clone_args_k args = {
		.flags = flags & ~0xffULL,
		.exit_signal = flags & 0xff,
		.stack = stack,
		.parent_tid = parent_tid,
		.child_tid = child_tid,
		.tls = tls,
		.pidfd = parent_tid, /* clone's CLONE_PIDFD shares the parent_tid argument */
	};

	return do_clone(&args);
}

SYSCALL_DEFINE0(fork)
{
	struct clone_args_k args = { .exit_signal = SIGCHLD };

	return do_clone(&args);
}

SYSCALL_DEFINE0(vfork)
{
	struct clone_args_k args = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };

	return do_clone(&args);
}

/* struct clone_args of clone3, as Linux defines it (sizes 64, 80, 88 accepted). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

SYSCALL_DEFINE2(clone3, uintptr_t, uargs, size_t, size)
{
	struct clone3_args a;
	struct clone_args_k args;

	if (size < 64)
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	memset(&a, 0, sizeof(a));
	if (copy_from_user(&a, uargs, size < sizeof(a) ? size : sizeof(a)))
		return -EFAULT;
	/* A larger struct from a newer C library is fine if what we do not know is zero. */
	for (size_t off = sizeof(a); off < size; off++) {
		uint8_t byte;

		if (copy_from_user(&byte, uargs + off, 1))
			return -EFAULT;
		if (byte)
			return -E2BIG;
	}
	if (a.set_tid || a.set_tid_size || a.cgroup || a.exit_signal > 64 || (a.flags & 0xff) ||
	    !a.stack != !a.stack_size)
		return -EINVAL;
	args = (struct clone_args_k){
		.flags = a.flags,
		.exit_signal = a.exit_signal,
		.stack = a.stack ? a.stack + a.stack_size : 0,
		.parent_tid = a.parent_tid,
		.child_tid = a.child_tid,
		.tls = a.tls,
		.pidfd = a.pidfd,
	};
	return do_clone(&args);
}
