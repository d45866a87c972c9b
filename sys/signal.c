/*
 * Signal dispositions and masks. This issue keeps them exactly (programs
 * read back what they set, and exec resets handlers as Linux does);
 * delivery, and the default actions of signals sent by kill, arrive with
 * the signals issue. Faults already terminate with the right signal.
 */
#include <kernel/syscall.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <uapi/errno.h>
#include <uapi/signal.h>

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

SYSCALL_DEFINE4(rt_sigaction, int, sig, uintptr_t, uact, uintptr_t, uold, size_t, setsize)
{
	struct process *p = current_proc();
	struct k_sigaction act;
	unsigned long flags;

	if (setsize != sizeof(uint64_t) || sig < 1 || sig > NSIG)
		return -EINVAL;
	if (uact && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (uact && copy_from_user(&act, uact, sizeof(act)))
		return -EFAULT;
	if (uold && copy_to_user(uold, &p->sigactions[sig - 1], sizeof(act)))
		return -EFAULT;
	if (uact) {
		act.mask &= ~UNBLOCKABLE;
		flags = spin_lock_irqsave(&p->lock);
		p->sigactions[sig - 1] = act;
		spin_unlock_irqrestore(&p->lock, flags);
	}
	return 0;
}

SYSCALL_DEFINE4(rt_sigprocmask, int, how, uintptr_t, uset, uintptr_t, uold, size_t, setsize)
{
	struct thread *t = current_thread();
	uint64_t set;

	if (setsize != sizeof(uint64_t))
		return -EINVAL;
	if (uset && copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	if (uset && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
		return -EINVAL;
	if (uold && copy_to_user(uold, &t->sigmask, sizeof(t->sigmask)))
		return -EFAULT;
	if (!uset)
		return 0;
	if (how == SIG_BLOCK)
		t->sigmask |= set;
	else if (how == SIG_UNBLOCK)
		t->sigmask &= ~set;
	else
		t->sigmask = set;
	t->sigmask &= ~UNBLOCKABLE;
	return 0;
}

SYSCALL_DEFINE2(kill, int, pid, int, sig)
{
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pid <= 0)
		return -ENOSYS; /* process groups and "everyone" arrive with job control */
	return proc_send_signal(pid, sig);
}
