/*
 * Signal system calls: dispositions, masks, sending (kill, tkill, tgkill),
 * waiting (pause, rt_sigsuspend, rt_sigtimedwait), rt_sigreturn,
 * sigaltstack, process groups and sessions, and the itimers (alarm,
 * setitimer, getitimer). Generation and delivery are in kernel/signal.c,
 * which also says who may signal whom (signal_may_send).
 */
#include <kernel/syscall.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <uapi/errno.h>
#include <uapi/signal.h>
#include <kernel/signal.h>
#include <kernel/clock.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <kernel/posix_timer.h>
#include <uapi/time.h>
#include <kernel/wait.h>
#include <lib/string.h>

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
		signal_discard_ignored(p, sig);
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

static struct ksiginfo user_info(int sig, int code)
{
	struct process *p = current_proc();

	return (struct ksiginfo){
		.signo = sig, .code = code, .pid = p->pid, .uid = current_cred()->uid
	};
}

/* Process pid, held, if the caller may send it sig; NULL with *err -ESRCH or -EPERM. */
static struct process *hold_permitted(int pid, int sig, long *err)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct process *p = pid > 0 ? proc_find(pid) : NULL;

	*err = !p ? -ESRCH : signal_may_send_locked(p, sig) ? 0 : -EPERM;
	if (*err)
		p = NULL;
	if (p)
		proc_hold(p);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return p;
}

SYSCALL_DEFINE2(kill, int, pid, int, sig)
{
	struct ksiginfo info = user_info(sig, SI_USER);
	struct process *p;
	long ret;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (pid == -1) /* every process but init and the caller */
		return signal_kill_pgrp(-1, &info);
	if (pid <= 0)
		return signal_kill_pgrp(pid == 0 ? current_proc()->pgid : -pid, &info);
	p = hold_permitted(pid, sig, &ret);
	if (!p)
		return ret;
	ret = signal_send(p, &info);
	proc_unhold(p);
	return ret;
}

/* The thread tid (of process tgid, or any when tgid <= 0), held; NULL if none. */
/* The process that thread tid belongs to (tgid's, if given), held; NULL if none. */
static struct process *hold_thread_owner(int tgid, int tid)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct process *p = tgid > 0 ? proc_find(tgid) : proc_find_thread_owner(tid);

	if (p)
		proc_hold(p);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return p;
}

/*
 * tkill, tgkill: the thread is looked up and signalled under its process's
 * lock (signal_send_tid), so that it cannot exit and be freed in between.
 */
static long send_to_thread(int tgid, int tid, int sig)
{
	struct ksiginfo info = user_info(sig, SI_TKILL);
	struct process *p;
	long ret;

	if (tid <= 0 || sig < 0 || sig > NSIG)
		return -EINVAL;
	p = hold_thread_owner(tgid, tid);
	if (!p)
		return -ESRCH;
	ret = signal_may_send(p, sig);
	if (!ret)
		ret = signal_send_tid(p, tid, &info);
	proc_unhold(p);
	return ret;
}

SYSCALL_DEFINE2(tkill, int, tid, int, sig)
{
	return send_to_thread(0, tid, sig);
}

SYSCALL_DEFINE3(tgkill, int, tgid, int, tid, int, sig)
{
	return tgid <= 0 ? -EINVAL : send_to_thread(tgid, tid, sig);
}

SYSCALL_DEFINE2(rt_sigpending, uintptr_t, uset, size_t, setsize)
{
	struct thread *t = current_thread();
	uint64_t set;

	if (setsize != sizeof(uint64_t))
		return -EINVAL;
	set = (t->sigpending.set | t->proc->sigpending.set) & t->sigmask;
	return copy_to_user(uset, &set, sizeof(set));
}

/* Waits for any signal (pause, sigsuspend): only a signal ends it. */
static long wait_for_signal(void)
{
	return wait_registered(0);
}

SYSCALL_DEFINE0(pause)
{
	return wait_for_signal();
}

SYSCALL_DEFINE2(rt_sigsuspend, uintptr_t, umask, size_t, setsize)
{
	struct thread *t = current_thread();
	uint64_t mask;

	if (setsize != sizeof(uint64_t))
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	if (!t->restore_sigmask) {
		/* The handler runs with the temporary mask; the old one comes back after it. */
		t->saved_sigmask = t->sigmask;
		t->restore_sigmask = true;
	}
	t->sigmask = mask & ~UNBLOCKABLE;
	return wait_for_signal();
}

/* Linux's siginfo_t, as rt_sigtimedwait returns it. */
static int put_siginfo(uintptr_t uinfo, const struct ksiginfo *k)
{
	uint64_t si[SIGINFO_SIZE / 8];

	fill_siginfo((struct k_siginfo *)si, k);
	return uinfo ? copy_to_user(uinfo, si, sizeof(si)) : 0;
}

SYSCALL_DEFINE4(rt_sigtimedwait, uintptr_t, uset, uintptr_t, uinfo, uintptr_t, uts, size_t, setsize)
{
	struct thread *t = current_thread();
	struct wait *w = current_wait();
	struct ksiginfo k;
	uint64_t set, ns;
	int sig;

	if (setsize != sizeof(uint64_t))
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	/* First: one sent from here on wakes it (under the process lock signal_take takes). */
	WRITE_ONCE(t->sigwait_set, set); /* until the call ends (syscall_run) */
	sig = signal_take(t, set, &k);
	if (sig > 0)
		return put_siginfo(uinfo, &k) ? -EFAULT : sig;
	if (w->polls > 1 && w->deadline_ns && clock_ns() >= w->deadline_ns)
		return -EAGAIN;
	if (w->polls == 1 && uts) {
		struct linux_timespec ts;

		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (timespec_to_ns(&ts, &ns))
			return -EINVAL;
		if (!ns)
			return -EAGAIN;
		w->deadline_ns = deadline_after(ns);
	}
	return wait_registered(w->deadline_ns);
}

#define SS_ONSTACK    1
#define SS_DISABLE    2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ   2048

struct user_stack {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

SYSCALL_DEFINE2(sigaltstack, uintptr_t, unew, uintptr_t, uold)
{
	struct thread *t = current_thread();
	bool on = t->altstack_size && t->uregs.rsp > t->altstack_sp &&
		  t->uregs.rsp - t->altstack_sp <= t->altstack_size;
	struct user_stack old = { t->altstack_sp,
				  on ? SS_ONSTACK
				     : (t->altstack_size ? t->altstack_flags : SS_DISABLE),
				  0, t->altstack_size };
	struct user_stack ns;

	if (unew && copy_from_user(&ns, unew, sizeof(ns)))
		return -EFAULT;
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	if (!unew)
		return 0;
	if (on)
		return -EPERM;
	if (ns.flags & ~(SS_DISABLE | SS_ONSTACK | (int32_t)SS_AUTODISARM))
		return -EINVAL;
	if (ns.flags & SS_DISABLE) {
		t->altstack_sp = t->altstack_size = 0;
		t->altstack_flags = SS_DISABLE;
		return 0;
	}
	if (ns.size < MINSIGSTKSZ)
		return -ENOMEM;
	t->altstack_sp = ns.sp;
	t->altstack_size = ns.size;
	t->altstack_flags = ns.flags & (int32_t)SS_AUTODISARM;
	return 0;
}

SYSCALL_DEFINE0(rt_sigreturn)
{
	return signal_return(current_thread());
}

/* Process groups and sessions. */
SYSCALL_DEFINE2(setpgid, int, pid, int, pgid)
{
	return proc_setpgid(pid, pgid);
}

SYSCALL_DEFINE1(getpgid, int, pid)
{
	return proc_getid(pid, 'g');
}

SYSCALL_DEFINE0(getpgrp)
{
	return current_proc()->pgid;
}

SYSCALL_DEFINE1(getsid, int, pid)
{
	return proc_getid(pid, 's');
}

SYSCALL_DEFINE0(setsid)
{
	return proc_setsid();
}

/*
 * ITIMER_REAL: SIGALRM to the process when the timer expires; the CPU-time
 * ones (SIGVTALRM, SIGPROF) are in kernel/posix_timer.c.
 */

struct user_itimerval {
	int64_t interval_sec, interval_usec, value_sec, value_usec;
};

/* A checked timeval in ns, saturating at DEADLINE_MAX (never wrapping to a short period). */
static uint64_t tv_ns(int64_t sec, int64_t usec)
{
	if ((uint64_t)sec >= DEADLINE_MAX / NSEC_PER_SEC)
		return DEADLINE_MAX;
	return (uint64_t)sec * NSEC_PER_SEC + (uint64_t)usec * NSEC_PER_USEC;
}

static void put_itimer(struct user_itimerval *v, uint64_t interval, uint64_t left)
{
	v->interval_sec = interval / NSEC_PER_SEC;
	v->interval_usec = interval % NSEC_PER_SEC / NSEC_PER_USEC;
	v->value_sec = left / NSEC_PER_SEC;
	v->value_usec = (left % NSEC_PER_SEC + NSEC_PER_USEC - 1) / NSEC_PER_USEC;
	if (v->value_usec == 1000000)
		v->value_sec++, v->value_usec = 0;
}

SYSCALL_DEFINE2(getitimer, int, which, uintptr_t, uval)
{
	struct process *p = current_proc();
	struct user_itimerval v = { 0 };

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	if (which == ITIMER_REAL) {
		uint64_t interval, left = itimer_real_get(p, &interval);

		put_itimer(&v, interval, left);
	} else {
		uint64_t value, interval;

		cpu_itimer_get(which, &value, &interval);
		put_itimer(&v, interval, value);
	}
	return copy_to_user(uval, &v, sizeof(v));
}

SYSCALL_DEFINE3(setitimer, int, which, uintptr_t, unew, uintptr_t, uold)
{
	struct process *p = current_proc();
	struct user_itimerval v, old = { 0 };
	uint64_t left, value, old_interval;

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	if (unew && copy_from_user(&v, unew, sizeof(v)))
		return -EFAULT;
	if (v.interval_usec < 0 || v.interval_usec >= 1000000 || v.value_usec < 0 ||
	    v.value_usec >= 1000000 || v.interval_sec < 0 || v.value_sec < 0)
		return -EINVAL;
	value = tv_ns(v.value_sec, v.value_usec);
	if (which != ITIMER_REAL) {
		uint64_t old_value, old_interval;

		cpu_itimer_set(which, value, tv_ns(v.interval_sec, v.interval_usec), &old_value,
			       &old_interval);
		put_itimer(&old, old_interval, old_value);
		return uold && copy_to_user(uold, &old, sizeof(old)) ? -EFAULT : 0;
	}
	left = itimer_real_set(p, value, tv_ns(v.interval_sec, v.interval_usec), &old_interval);
	put_itimer(&old, old_interval, left);
	return uold && copy_to_user(uold, &old, sizeof(old)) ? -EFAULT : 0;
}

SYSCALL_DEFINE1(alarm, unsigned, seconds)
{
	struct process *p = current_proc();
	uint64_t old_interval, left = itimer_real_set(p, seconds * NSEC_PER_SEC, 0, &old_interval);

	return (left + NSEC_PER_SEC / 2) / NSEC_PER_SEC + (left && left < NSEC_PER_SEC / 2);
}

/* The fields of a user siginfo_t that rt_sigqueueinfo passes on. */
static int queue_info(int sig, uintptr_t uinfo, struct ksiginfo *k, int target_pid)
{
	int32_t si[8];

	if (sig <= 0 || sig > NSIG)
		return -EINVAL;
	if (copy_from_user(si, uinfo, sizeof(si)))
		return -EFAULT;
	/* Only the kernel may claim codes >= 0 for another process (Linux's rule). */
	if ((si[2] >= 0 || si[2] == SI_TKILL) && target_pid != current_proc()->pid)
		return -EPERM;
	*k = (struct ksiginfo){ .signo = sig, .code = si[2], .pid = si[4], .uid = (uint32_t)si[5] };
	memcpy(&k->value, &si[6], sizeof(k->value));
	return 0;
}

SYSCALL_DEFINE3(rt_sigqueueinfo, int, pid, int, sig, uintptr_t, uinfo)
{
	struct ksiginfo k;
	struct process *p;
	long ret = queue_info(sig, uinfo, &k, pid);

	if (ret)
		return ret;
	p = hold_permitted(pid, sig, &ret);
	if (!p)
		return ret;
	ret = signal_send(p, &k);
	proc_unhold(p);
	return ret;
}
