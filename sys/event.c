/*
 * The event-file system calls (docs/events.md): eventfd, eventfd2,
 * timerfd_create/settime/gettime, signalfd, signalfd4, pidfd_open,
 * pidfd_send_signal, pidfd_getfd, epoll_create,
 * epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2. The
 * files themselves are in fs/eventfd.c, fs/timerfd.c, fs/signalfd.c,
 * fs/pidfd.c and fs/eventpoll.c; here are the arguments, Linux's error order, and the
 * new descriptors.
 *
 * epoll_wait and its p-forms keep their deadline and state in the call's
 * progress record (struct epoll_progress), claimed by the first run that
 * has to wait (a call that finds events at once keeps none) or that puts
 * epoll_pwait's temporary signal mask in force (restored when the call
 * completes, or after the handler when a signal ends it, as ppoll); each
 * run collects the ready events or, with none, waits on the epoll's wait
 * source and runs again when woken. A signal ends the wait with EINTR
 * (epoll_wait is never restarted, kernel/signal.c).
 */
#include <kernel/syscall.h>
#include <kernel/cred.h>
#include <kernel/clock.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <fs/event.h>
#include <fs/fdtable.h>
#include <lib/compiler.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/signal.h>

#define UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

/* A new file as the lowest free descriptor; the file is dropped on failure. */
static long install(struct file *f, bool cloexec)
{
	long r = fd_install(current_proc()->fds, f, cloexec);

	if (r < 0)
		file_put(f);
	return r;
}

/* ---- eventfd ---- */

SYSCALL_DEFINE2(eventfd2, unsigned, initval, int, flags)
{
	struct file *f;
	long r;

	if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC))
		return -EINVAL;
	r = eventfd_create(initval, flags, &f);
	return r ? r : install(f, flags & EFD_CLOEXEC);
}

SYSCALL_DEFINE1(eventfd, unsigned, initval)
{
	return do_sys_eventfd2(initval, 0);
}

/* ---- timerfd ---- */

SYSCALL_DEFINE2(timerfd_create, int, clockid, int, flags)
{
	struct file *f;
	long r;

	if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC))
		return -EINVAL;
	r = timerfd_create(clockid, flags, &f);
	return r ? r : install(f, flags & TFD_CLOEXEC);
}

/* The descriptor's timerfd with a reference: -EBADF, or -EINVAL for another file. */
static long get_timerfd(int fd, struct file **out)
{
	struct file *f = fget(fd);

	if (!f)
		return -EBADF;
	if (!is_timerfd(f)) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

SYSCALL_DEFINE4(timerfd_settime, int, fd, int, flags, uintptr_t, unew, uintptr_t, uold)
{
	struct linux_itimerspec new, old;
	struct file *f;
	long r;

	if (copy_from_user(&new, unew, sizeof(new)))
		return -EFAULT;
	if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) || new.value_nsec < 0 ||
	    new.value_nsec >= (int64_t)NSEC_PER_SEC || new.interval_nsec < 0 ||
	    new.interval_nsec >= (int64_t)NSEC_PER_SEC || new.value_sec < 0 || new.interval_sec < 0)
		return -EINVAL;
	if ((r = get_timerfd(fd, &f)))
		return r;
	r = timerfd_settime(f, flags, &new, &old);
	file_put(f);
	if (!r && uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return r;
}

SYSCALL_DEFINE2(timerfd_gettime, int, fd, uintptr_t, ucur)
{
	struct linux_itimerspec cur;
	struct file *f;
	long r;

	if ((r = get_timerfd(fd, &f)))
		return r;
	timerfd_gettime(f, &cur);
	file_put(f);
	return copy_to_user(ucur, &cur, sizeof(cur)) ? -EFAULT : 0;
}

/* ---- signalfd ---- */

SYSCALL_DEFINE4(signalfd4, int, fd, uintptr_t, umask, size_t, sizemask, int, flags)
{
	struct file *f;
	uint64_t mask;
	long r;

	if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC))
		return -EINVAL;
	if (sizemask != sizeof(mask))
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	if (fd == -1) {
		r = signalfd_create(mask, flags, &f);
		return r ? r : install(f, flags & SFD_CLOEXEC);
	}
	f = fget(fd);
	if (!f)
		return -EBADF;
	r = is_signalfd(f) ? fd : -EINVAL;
	if (r >= 0)
		signalfd_set_mask(f, mask);
	file_put(f);
	return r;
}

SYSCALL_DEFINE3(signalfd, int, fd, uintptr_t, umask, size_t, sizemask)
{
	return do_sys_signalfd4(fd, umask, sizemask, 0);
}

/* ---- pidfd ---- */

SYSCALL_DEFINE2(pidfd_open, int, pid, unsigned, flags)
{
	struct file *f;
	long r;

	if ((flags & ~PIDFD_NONBLOCK) || pid <= 0)
		return -EINVAL;
	r = pidfd_create(pid, (int)flags, &f);
	if (r == -ESRCH) {
		unsigned long tflags = spin_lock_irqsave(&proc_tree_lock);

		if (proc_find_thread_owner(pid))
			r = -ENOENT; /* a thread that does not lead its process (Linux 6.9 on) */
		spin_unlock_irqrestore(&proc_tree_lock, tflags);
	}
	return r ? r : install(f, true);
}

/* The pidfd's process with the file's reference (file_put after): NULL, -EBADF. */
static struct process *get_pidfd(int pidfd, struct file **out)
{
	struct file *f = fget(pidfd);
	struct process *p = f ? pidfd_process(f) : NULL;

	if (f && !p)
		file_put(f);
	*out = f;
	return p;
}

/* Whether p is past being signalled: reaped (its pid finds another process, or none). */
static bool pid_gone(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool gone = proc_find(p->pid) != p;

	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return gone;
}

/* siginfo_t's head, as pidfd_send_signal and rt_sigqueueinfo take it. */
struct user_siginfo_head {
	int32_t signo, err, code, pad;
	int32_t pid;
	uint32_t uid;
	uint64_t value;
};

SYSCALL_DEFINE4(pidfd_send_signal, int, pidfd, int, sig, uintptr_t, uinfo, unsigned, flags)
{
	struct process *self = current_proc(), *p;
	struct ksiginfo info = {
		.signo = sig, .code = SI_USER, .pid = self->pid, .uid = current_cred()->uid
	};
	struct user_siginfo_head u;
	struct file *f;
	long r = 0;

	/* One scope at most; a whole process (the default) or its process group. */
	if ((flags & ~PIDFD_SIGNAL_SCOPES) || (flags & (flags - 1)))
		return -EINVAL;
	p = get_pidfd(pidfd, &f);
	if (!p)
		return -EBADF;
	if (uinfo && copy_from_user(&u, uinfo, sizeof(u)))
		r = -EFAULT;
	else if (uinfo && u.signo != sig)
		r = -EINVAL;
	else if (uinfo && p != self && (u.code >= 0 || u.code == SI_TKILL))
		r = -EPERM; /* only user codes to another process, as Linux */
	else if (sig < 0 || sig > NSIG)
		r = -EINVAL;
	else if (pid_gone(p))
		r = -ESRCH;
	else if (flags != PIDFD_SIGNAL_PROCESS_GROUP)
		r = signal_may_send(p, sig);
	if (!r && uinfo) {
		info.code = u.code;
		info.pid = u.pid;
		info.uid = u.uid;
		info.value = u.value;
	}
	/* A pidfd names a process here (no PIDFD_THREAD): its thread is the leader, as Linux's. */
	if (!r && sig && flags == PIDFD_SIGNAL_THREAD)
		r = signal_send_tid(p, p->pid, &info);
	else if (!r && sig)
		r = flags == PIDFD_SIGNAL_PROCESS_GROUP
			    ? signal_kill_pgrp(READ_ONCE(p->pgid), &info)
			    : signal_send(p, &info);
	file_put(f);
	return r;
}

SYSCALL_DEFINE3(pidfd_getfd, int, pidfd, int, targetfd, unsigned, flags)
{
	struct file *f, *target;
	struct process *p;

	if (flags)
		return -EINVAL;
	p = get_pidfd(pidfd, &f);
	if (!p)
		return -EBADF;
	target = READ_ONCE(p->state) == PROC_ALIVE ? pidfd_get_file(p, targetfd) : NULL;
	file_put(f);
	if (!target)
		return READ_ONCE(p->state) == PROC_ALIVE ? -EBADF : -ESRCH;
	return install(target, true);
}

/* ---- epoll ---- */

SYSCALL_DEFINE1(epoll_create1, int, flags)
{
	struct file *f;
	long r;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	r = epoll_create(flags, &f);
	return r ? r : install(f, flags & EPOLL_CLOEXEC);
}

SYSCALL_DEFINE1(epoll_create, int, size)
{
	if (size <= 0)
		return -EINVAL;
	return do_sys_epoll_create1(0);
}

SYSCALL_DEFINE4(epoll_ctl, int, epfd, int, op, int, fd, uintptr_t, uevent)
{
	struct epoll_event ev = { 0, 0 };
	struct file *epf, *f;
	long r;

	if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && copy_from_user(&ev, uevent, sizeof(ev)))
		return -EFAULT;
	epf = fget(epfd);
	if (!epf)
		return -EBADF;
	f = fget(fd);
	if (!f) {
		file_put(epf);
		return -EBADF;
	}
	r = epoll_ctl(epf, op, f, fd, &ev);
	file_put(f);
	file_put(epf);
	return r;
}

/* struct epoll_progress.state */
#define EP_ST_STARTED (1u << 0) /* arguments read, deadline set */
#define EP_ST_NOWAIT  (1u << 1) /* a zero timeout */
#define EP_ST_MASK    (1u << 2) /* a temporary signal mask is in force */

#define EP_MAX_EVENTS ((int)(0x7fffffff / sizeof(struct epoll_event)))
/*
 * Events one call reports at most (fewer than are ready is allowed: the
 * caller calls again, and level-triggered items wait their turn at the end
 * of the ready list). They are collected on the stack: no allocation.
 */
#define EP_BATCH      64

/* The record's start: the timeout (ns; none: wait for ever) and the temporary mask (0: none). */
static long ep_start(struct epoll_progress *pp, bool none, uint64_t ns, uintptr_t umask,
		     size_t masksize)
{
	struct thread *t = current_thread();
	uint64_t mask;

	if (umask) {
		if (masksize != sizeof(mask))
			return -EINVAL;
		if (copy_from_user(&mask, umask, sizeof(mask)))
			return -EFAULT;
	}
	pp->state = EP_ST_STARTED;
	pp->deadline_ns = 0;
	if (!none && !ns) {
		pp->state |= EP_ST_NOWAIT;
	} else if (!none) {
		pp->deadline_ns = deadline_after(ns);
	}
	if (umask) {
		if (!t->restore_sigmask) {
			t->saved_sigmask = t->sigmask;
			t->restore_sigmask = true;
		}
		t->sigmask = mask & ~UNBLOCKABLE;
		pp->state |= EP_ST_MASK;
	}
	return 0;
}

/* A later run's: whether its time is up (or it never waits). */
static bool ep_nowait(const struct epoll_progress *pp)
{
	return (pp->state & EP_ST_NOWAIT) || (pp->deadline_ns && clock_ns() >= pp->deadline_ns);
}

/*
 * Collects into buf, and with nothing ready and time left, waits: events,
 * 0 (time is up), or -EWAIT. *pp is the call's record, NULL on a first
 * run that has none yet: it is made (the deadline fixed) only when the call
 * has to wait, so a call that finds events on its first run keeps no
 * progress at all.
 */
static long ep_collect_or_wait(struct file *epf, struct epoll_event *buf, int max,
			       struct epoll_progress **pp, bool nowait, bool none, uint64_t ns)
{
	for (;;) {
		long n = epoll_collect(epf, buf, max);

		if (n || nowait)
			return n;
		if (!*pp) {
			*pp = progress_epoll(current_wait());
			ep_start(*pp, none, ns, 0, 0); /* no mask: it cannot fail */
		}
		n = epoll_block(epf, (*pp)->deadline_ns);
		if (n)
			return n; /* -EWAIT; 0: an item came meanwhile */
	}
}

/* Looks the epoll up and collects from it (or waits). */
static long collect_from_fd(int epfd, struct epoll_event *buf, int max, struct epoll_progress **pp,
			    bool nowait, bool none, uint64_t ns)
{
	bool held;
	struct file *epf = fd_peek_file(current_proc()->fds, epfd, &held);
	long r;

	if (!epf)
		return -EBADF;
	r = is_epoll(epf) ? ep_collect_or_wait(epf, buf, max, pp, nowait, none, ns) : -EINVAL;
	if (held)
		file_put(epf);
	return r;
}

/*
 * The whole call (every run): checks, the record, this run, the copy-out,
 * the mask back at the end. The descriptor is looked up without the
 * table's lock when the caller's process has one thread (fd_peek_file), as
 * read and write do.
 */
static long do_epoll_wait(int epfd, uintptr_t uevents, int max, bool none, uint64_t ns,
			  uintptr_t umask, size_t masksize)
{
	struct wait *w = current_wait();
	struct epoll_progress *pp = NULL;
	struct epoll_event buf[EP_BATCH];
	bool nowait;
	long r;

	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	if (!user_range_ok(uevents, (size_t)max * sizeof(struct epoll_event)))
		return -EFAULT;
	if (w->call_kind == PROGRESS_EPOLL) { /* a run after a wait */
		pp = progress_epoll(w);
		nowait = ep_nowait(pp);
	} else if (umask) { /* the mask is in force from the first run */
		pp = progress_epoll(w);
		if ((r = ep_start(pp, none, ns, umask, masksize)))
			return r;
		nowait = pp->state & EP_ST_NOWAIT;
	} else {
		nowait = !none && !ns;
	}
	/*
	 * Edge-triggered and one-shot events are consumed by the collect: the
	 * copy must not fault (a file page being read would make the call run
	 * again without them). -EFAULT, or a wait for the page.
	 */
	r = fault_in_writable(uevents, (size_t)MIN(max, EP_BATCH) * sizeof(struct epoll_event));
	if (!r)
		r = collect_from_fd(epfd, buf, MIN(max, EP_BATCH), &pp, nowait, none, ns);
	if (r > 0 && copy_to_user(uevents, buf, (size_t)r * sizeof(*buf)))
		r = -EFAULT;
	if (r != -EWAIT && pp && (pp->state & EP_ST_MASK)) {
		current_thread()->sigmask = current_thread()->saved_sigmask;
		current_thread()->restore_sigmask = false;
	}
	return r;
}

SYSCALL_DEFINE4(epoll_wait, int, epfd, uintptr_t, uevents, int, max, int, timeout_ms)
{
	return do_epoll_wait(epfd, uevents, max, timeout_ms < 0,
			     (uint64_t)timeout_ms * NSEC_PER_MSEC, 0, 0);
}

SYSCALL_DEFINE6(epoll_pwait, int, epfd, uintptr_t, uevents, int, max, int, timeout_ms, uintptr_t,
		umask, size_t, masksize)
{
	return do_epoll_wait(epfd, uevents, max, timeout_ms < 0,
			     (uint64_t)timeout_ms * NSEC_PER_MSEC, umask, masksize);
}

SYSCALL_DEFINE6(epoll_pwait2, int, epfd, uintptr_t, uevents, int, max, uintptr_t, uts, uintptr_t,
		umask, size_t, masksize)
{
	struct linux_timespec ts;
	uint64_t ns = 0;

	if (uts && current_wait()->call_kind != PROGRESS_EPOLL) { /* the first run reads it */
		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (timespec_to_ns(&ts, &ns))
			return -EINVAL;
	}
	return do_epoll_wait(epfd, uevents, max, !uts, ns, umask, masksize);
}
