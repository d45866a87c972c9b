/*
 * Scheduling priorities (layer one): getpriority/setpriority (nice),
 * sched_setscheduler and its family (policies, real-time priorities) and
 * ioprio_get/ioprio_set, with Linux's permission rules and errors. The
 * values live in each struct thread; kernel/sched.c turns them into a
 * share of the CPU (sched_set_params). As on Linux, PRIO_PROCESS and the
 * sched_* calls name one thread (0: the caller), PRIO_PGRP every thread of
 * a process group, PRIO_USER every thread of a real user.
 *
 * Locks: proc_tree_lock, then a process's lock while its threads and its
 * credentials (p->cred, its leader's, against which Linux's rules are
 * checked) are looked at, then (in sched_set_params) the thread's
 * run-queue lock.
 */
#include <kernel/syscall.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/clock.h>
#include <kernel/uaccess.h>
#include <lib/compiler.h>
#include <uapi/errno.h>
#include <uapi/resource.h>
#include <uapi/sched.h>

static bool may_sys_nice(void)
{
	return capable(CAP_SYS_NICE);
}

/* Linux's check_same_owner: the caller's euid is p's real or effective uid. Holds p->lock. */
static bool same_owner_locked(struct process *p)
{
	uint32_t euid = current_cred()->euid;

	assert_held(&p->lock);
	return p->cred->uid == euid || p->cred->euid == euid;
}

/* Linux's can_nice: RLIMIT_NICE allows nice (its limit is 20 - nice), or CAP_SYS_NICE. */
static bool can_nice_locked(struct process *p, int nice)
{
	assert_held(&p->lock);
	return (uint64_t)(20 - nice) <= p->rlimits[RLIMIT_NICE].cur || may_sys_nice();
}

static bool valid_policy(int policy)
{
	return policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE ||
	       policy == SCHED_FIFO || policy == SCHED_RR;
}

static bool rt_policy(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* ---- the threads a call names ---- */

/* Called with proc_tree_lock and p->lock held; returns nonzero to stop. */
typedef int (*target_fn)(struct thread *t, struct process *p, void *ctx);

struct target_walk {
	int which, who; /* PRIO_PGRP or PRIO_USER, who resolved (not 0) */
	target_fn fn;
	void *ctx;
	int stop;  /* what fn returned to stop, or 0 */
	bool seen; /* some thread matched */
};

/* Holds p->lock. */
static bool walk_matches_locked(const struct target_walk *w, struct process *p)
{
	assert_held(&p->lock);
	if (p->state == PROC_ZOMBIE)
		return false;
	return w->which == PRIO_PGRP ? p->pgid == w->who : p->cred->uid == (uint32_t)w->who;
}

static void walk_one(struct process *p, void *arg)
{
	struct target_walk *w = arg;
	unsigned long flags;
	struct thread *t;

	if (w->stop)
		return;
	flags = spin_lock_irqsave(&p->lock);
	if (!walk_matches_locked(w, p)) {
		spin_unlock_irqrestore(&p->lock, flags);
		return;
	}
	list_for_each_entry (t, &p->threads, proc_node) {
		w->seen = true;
		w->stop = w->fn(t, p, w->ctx);
		if (w->stop)
			break;
	}
	spin_unlock_irqrestore(&p->lock, flags);
}

/* The thread tid (0: the caller) under fn. */
static int for_thread(int tid, target_fn fn, void *ctx)
{
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock), flags;
	struct process *p = tid ? proc_find_thread_owner(tid) : current_proc();
	struct thread *t = NULL;
	int ret = -ESRCH;

	if (p) {
		flags = spin_lock_irqsave(&p->lock);
		t = tid ? proc_thread_locked(p, tid) : current_thread();
		ret = t ? fn(t, p, ctx) : -ESRCH;
		spin_unlock_irqrestore(&p->lock, flags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	return ret;
}

/*
 * Calls fn for each thread that (which, who) names: PRIO_PROCESS one
 * thread, PRIO_PGRP a process group's, PRIO_USER a real user's (who 0:
 * the caller's). Returns -ESRCH when none matched, -EINVAL for a bad
 * which, else what fn returned to stop, or 0.
 */
static int for_each_target(int which, int who, target_fn fn, void *ctx)
{
	struct target_walk w = { which, who, fn, ctx, 0, false };
	struct process *self = current_proc();
	unsigned long flags;

	if (which == PRIO_PROCESS)
		return for_thread(who, fn, ctx);
	if (which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (!who)
		w.who = which == PRIO_PGRP ? self->pgid : (int)current_cred()->uid;
	proc_for_each_locked(walk_one, &w);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return w.stop ? w.stop : w.seen ? 0 : -ESRCH;
}

/* ---- nice ---- */

static int get_one_nice(struct thread *t, struct process *p, void *ctx)
{
	long *best = ctx;

	(void)p;
	*best = MAX(*best, 20L - READ_ONCE(t->nice)); /* the raw call's 1..40: 20 - nice */
	return 0;
}

SYSCALL_DEFINE2(getpriority, int, which, int, who)
{
	long best = -ESRCH;
	int err = for_each_target(which, who, get_one_nice, &best);

	return err ? err : best;
}

struct set_nice {
	int nice;
	int err; /* Linux's: -ESRCH until one is set, the last failure's error */
};

/* Linux's set_one_prio: EPERM for another's thread, EACCES for a raise without the right. */
static int set_one_nice(struct thread *t, struct process *p, void *ctx)
{
	struct set_nice *s = ctx;

	if (!same_owner_locked(p) && !may_sys_nice())
		s->err = -EPERM;
	else if (s->nice < READ_ONCE(t->nice) && !can_nice_locked(p, s->nice))
		s->err = -EACCES;
	else {
		if (s->err == -ESRCH)
			s->err = 0;
		sched_set_params(t, s->nice, t->policy, t->rt_priority, t->reset_on_fork);
	}
	return 0;
}

SYSCALL_DEFINE3(setpriority, int, which, int, who, int, nice)
{
	struct set_nice s = { MIN(MAX(nice, MIN_NICE), MAX_NICE), -ESRCH };
	int err = for_each_target(which, who, set_one_nice, &s);

	return err ? err : s.err;
}

/* ---- policies ---- */

struct sched_req {
	int policy; /* as given, with SCHED_RESET_ON_FORK; -1: keep the thread's (sched_setparam) */
	int prio;
	bool reset_on_fork;
};

/* Linux's __sched_setscheduler checks for a caller without CAP_SYS_NICE. Holds p->lock. */
static int check_sched_perm(struct thread *t, struct process *p, const struct sched_req *r)
{
	uint64_t rtprio = p->rlimits[RLIMIT_RTPRIO].cur;

	if (may_sys_nice())
		return 0;
	if (rt_policy(r->policy)) {
		if (r->policy != t->policy && !rtprio)
			return -EPERM;
		if (r->prio > t->rt_priority && (uint64_t)r->prio > rtprio)
			return -EPERM;
	}
	if (t->policy == SCHED_IDLE && r->policy != SCHED_IDLE && !can_nice_locked(p, t->nice))
		return -EPERM;
	if (!same_owner_locked(p))
		return -EPERM;
	if (t->reset_on_fork && !r->reset_on_fork)
		return -EPERM;
	return 0;
}

static int set_one_sched(struct thread *t, struct process *p, void *ctx)
{
	struct sched_req r = *(const struct sched_req *)ctx;
	int err;

	if (r.policy < 0) {
		r.policy = t->policy;
		r.reset_on_fork = t->reset_on_fork;
	} else {
		r.reset_on_fork = (r.policy & SCHED_RESET_ON_FORK) != 0;
		r.policy &= ~SCHED_RESET_ON_FORK;
		if (!valid_policy(r.policy))
			return -EINVAL;
	}
	if (rt_policy(r.policy) ? r.prio < 1 || r.prio >= MAX_RT_PRIO : r.prio != 0)
		return -EINVAL;
	err = check_sched_perm(t, p, &r);
	if (!err)
		sched_set_params(t, t->nice, r.policy, rt_policy(r.policy) ? r.prio : 0,
				 r.reset_on_fork);
	return err;
}

static long set_scheduler(int pid, int policy, uintptr_t uparam)
{
	struct sched_param param;
	struct sched_req r;

	if (!uparam || pid < 0)
		return -EINVAL;
	if (copy_from_user(&param, uparam, sizeof(param)))
		return -EFAULT;
	r = (struct sched_req){ policy, param.sched_priority, false };
	return for_thread(pid, set_one_sched, &r);
}

SYSCALL_DEFINE3(sched_setscheduler, int, pid, int, policy, uintptr_t, uparam)
{
	return policy < 0 ? -EINVAL : set_scheduler(pid, policy, uparam);
}

SYSCALL_DEFINE2(sched_setparam, int, pid, uintptr_t, uparam)
{
	return set_scheduler(pid, -1, uparam);
}

struct sched_info {
	int policy, prio;
	bool reset_on_fork;
	uint64_t slice_ns;
};

static int get_one_sched(struct thread *t, struct process *p, void *ctx)
{
	struct sched_info *i = ctx;

	(void)p;
	i->policy = READ_ONCE(t->policy);
	i->prio = READ_ONCE(t->rt_priority);
	i->reset_on_fork = READ_ONCE(t->reset_on_fork);
	i->slice_ns = sched_slice_ns(t);
	return 0;
}

static int get_sched(int pid, struct sched_info *i)
{
	return pid < 0 ? -EINVAL : for_thread(pid, get_one_sched, i);
}

SYSCALL_DEFINE1(sched_getscheduler, int, pid)
{
	struct sched_info i;
	int err = get_sched(pid, &i);

	return err ? err : i.policy | (i.reset_on_fork ? SCHED_RESET_ON_FORK : 0);
}

SYSCALL_DEFINE2(sched_getparam, int, pid, uintptr_t, uparam)
{
	struct sched_info i;
	struct sched_param param;
	int err = uparam ? get_sched(pid, &i) : -EINVAL;

	if (err)
		return err;
	param.sched_priority = i.prio;
	return copy_to_user(uparam, &param, sizeof(param));
}

SYSCALL_DEFINE1(sched_get_priority_max, int, policy)
{
	if (policy == SCHED_DEADLINE)
		return 0;
	return valid_policy(policy) ? (rt_policy(policy) ? MAX_RT_PRIO - 1 : 0) : -EINVAL;
}

SYSCALL_DEFINE1(sched_get_priority_min, int, policy)
{
	if (policy == SCHED_DEADLINE)
		return 0;
	return valid_policy(policy) ? (rt_policy(policy) ? 1 : 0) : -EINVAL;
}

SYSCALL_DEFINE2(sched_rr_get_interval, int, pid, uintptr_t, utp)
{
	struct sched_info i;
	struct linux_timespec ts;
	int err = get_sched(pid, &i);

	if (err)
		return err;
	ts.tv_sec = (int64_t)(i.slice_ns / NSEC_PER_SEC);
	ts.tv_nsec = (int64_t)(i.slice_ns % NSEC_PER_SEC);
	return copy_to_user(utp, &ts, sizeof(ts));
}

/* ---- I/O priorities: kept and reported (there is no I/O scheduler) ---- */

/* Linux's ioprio_check_cap (6.1): the class's levels, and RT for the privileged. */
static int check_ioprio(int ioprio)
{
	unsigned class = IOPRIO_PRIO_CLASS(ioprio), data = IOPRIO_PRIO_DATA(ioprio);

	if (ioprio < 0 || ioprio > 0xffff)
		return -EINVAL;
	switch (class) {
	case IOPRIO_CLASS_RT:
		if (!may_sys_nice())
			return -EPERM;
		/* fallthrough */
	case IOPRIO_CLASS_BE:
		return data >= IOPRIO_NR_LEVELS ? -EINVAL : 0;
	case IOPRIO_CLASS_IDLE:
		return 0;
	case IOPRIO_CLASS_NONE:
		return data ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* The which of ioprio calls as the priority calls' (PRIO_*), or -1. */
static int ioprio_which(int which)
{
	switch (which) {
	case IOPRIO_WHO_PROCESS:
		return PRIO_PROCESS;
	case IOPRIO_WHO_PGRP:
		return PRIO_PGRP;
	case IOPRIO_WHO_USER:
		return PRIO_USER;
	default:
		return -1;
	}
}

/* Linux's set_task_ioprio: the caller's real or effective uid is the target's uid. */
static int set_one_ioprio(struct thread *t, struct process *p, void *ctx)
{
	const struct cred *c = current_cred();

	assert_held(&p->lock);
	if (p->cred->uid != c->euid && p->cred->uid != c->uid && !may_sys_nice())
		return -EPERM;
	__atomic_store_n(&t->ioprio, (uint16_t)(uintptr_t)ctx, __ATOMIC_RELAXED);
	return 0;
}

SYSCALL_DEFINE3(ioprio_set, int, which, int, who, int, ioprio)
{
	int w = ioprio_which(which), err = check_ioprio(ioprio);

	if (err)
		return err;
	return w < 0 ? -EINVAL : for_each_target(w, who, set_one_ioprio, (void *)(uintptr_t)ioprio);
}

/*
 * The effective priority as Linux's ioprio_best compares them: a class
 * (RT before BE before IDLE; none counts as BE) then its level.
 */
static int ioprio_rank(int ioprio)
{
	unsigned class = IOPRIO_PRIO_CLASS(ioprio);

	if (class == IOPRIO_CLASS_NONE)
		class = IOPRIO_CLASS_BE;
	return (int)class * IOPRIO_NR_LEVELS + (int)(IOPRIO_PRIO_DATA(ioprio) & 7);
}

static int get_one_ioprio(struct thread *t, struct process *p, void *ctx)
{
	int *best = ctx, v = __atomic_load_n(&t->ioprio, __ATOMIC_RELAXED);

	(void)p;
	if (*best < 0 || ioprio_rank(v) < ioprio_rank(*best))
		*best = v;
	return 0;
}

SYSCALL_DEFINE2(ioprio_get, int, which, int, who)
{
	int w = ioprio_which(which), best = -1;
	int err = w < 0 ? -EINVAL : for_each_target(w, who, get_one_ioprio, &best);

	return err ? err : best;
}
