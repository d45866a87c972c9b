/*
 * POSIX timers (include/kernel/posix_timer.h, docs/processes.md): the
 * timers of timer_create, per process, on the wall clocks (CLOCK_REALTIME,
 * MONOTONIC, BOOTTIME) and on the CPU-time clocks (the process's, one of
 * its threads', or another process's), and the CPU-time itimers
 * ITIMER_VIRTUAL and ITIMER_PROF.
 *
 * A timer keeps its next expiry in its clock's nanoseconds (clock_ns()
 * for the wall clocks: an absolute CLOCK_REALTIME time is converted at
 * settime, which records the real-time clock's offset it used) and its
 * period. A real-time timer has a clock-set hook (kernel/clock.c): when
 * the clock is set, an absolute timer's next moves by the change (set
 * forward past it: it fires at once), a relative one stays. A wall-clock timer arms a kernel timer
 * (kernel/timer.c) for it; a CPU-time timer is looked at by the timer tick
 * of its process's running threads (posix_cpu_timers_tick, from
 * kernel/sched.c, once the tick's time is charged), so it fires while the
 * thread runs in user mode without a system call. A timer on another
 * process's CPU clock holds that process (proc_hold) and polls its clock
 * from a kernel timer every tick instead, so that no process's lock is
 * ever taken inside another's. When a timer expires, the
 * periods that passed are counted at once (a period shorter than the tick
 * costs one check a tick, not one a period).
 *
 * Each timer preallocates its signal's queue entry (include/kernel/signal.h):
 * its signal is never lost for want of memory, and while the entry is queued
 * the timer counts further expirations as overruns instead of queueing
 * again; taking the entry (delivery, sigwaitinfo, signalfd) reports them in
 * si_overrun and hands the entry back (posix_timer_dequeued). A timer
 * deleted or set again while its signal is queued takes the signal back
 * (as Linux 6.13 and later do; earlier ones delivered it).
 *
 * Locks: everything of a process's timers is under its p->lock, also taken
 * by the signal queues, so queueing and taking the entry and the overrun
 * count agree. Order: the clock's hook list, then p->lock, then the
 * kernel timer list's ("ktimers"); the hook is added after the timer is
 * linked and removed before it is freed, without p->lock.
 * A timer is deleted by unlinking it under p->lock, then cancelling its
 * kernel timer without the lock (ktimer_cancel waits for a running timer
 * function, which takes p->lock), then freeing it.
 */
#include <kernel/posix_timer.h>
#include <kernel/clock.h>
#include <kernel/config.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <mm/slab.h>
#include <lib/compiler.h>
#include <uapi/errno.h>
#include <uapi/eventfd.h>
#include <uapi/resource.h>
#include <uapi/time.h>

#define TIMERS_MAX  4096       /* per process (and RLIMIT_SIGPENDING) */
#define OVERRUN_MAX 0x7fffffff /* DELAYTIMER_MAX */

/* Lock key: (p) the owner's p->lock, (c) constant after creation. */
struct posix_timer {
	struct list_head node;	  /* (p) in proc->timers */
	struct process *proc;	  /* (c) the owner */
	int id;			  /* (c) */
	int clock;		  /* (c) the clock id it was created on */
	bool cpu;		  /* (c) a CPU-time clock */
	int cpu_which;		  /* (c) CPUCLOCK_*: which CPU time */
	int cpu_tid;		  /* (c) a thread's CPU clock: its tid; 0: the process's */
	struct process *cpu_proc; /* (c) another process's CPU clock: that process, held */
	int notify;		  /* (c) SIGEV_SIGNAL, SIGEV_NONE, SIGEV_SIGNAL | SIGEV_THREAD_ID */
	int target_tid;		  /* (c) SIGEV_THREAD_ID: the thread; 0: the process */
	struct ktimer kt;	  /* wall clocks: armed for next */
	uint64_t next;		  /* (p) next expiry in the clock's ns; 0: disarmed */
	uint64_t interval;	  /* (p) ns; 0: one-shot */
	int overrun;		  /* (p) expirations while its signal was queued */
	int overrun_last;	  /* (p) those the last taken signal carried (timer_getoverrun) */
	struct sigqueue_entry *sq;  /* (p) its signal; given to the queue at delete if queued */
	bool abs_real;		    /* (p) next is a wall-clock time: it follows clock changes */
	int64_t offset;		    /* (p) realtime_offset() when next was computed or moved */
	struct clock_set_hook hook; /* real-time clocks: kernel/clock.c's list */
};

static bool realtime_clock(int clock)
{
	return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_ALARM;
}

static struct posix_timer *find_locked(struct process *p, int id)
{
	struct posix_timer *pt;

	assert_held(&p->lock);
	list_for_each_entry (pt, &p->timers, node)
		if (pt->id == id)
			return pt;
	return NULL;
}

/* The timer's clock now; false for a thread clock whose thread is gone. Caller holds p->lock. */
static bool clock_now_locked(struct posix_timer *pt, uint64_t *now)
{
	struct thread *t;

	assert_held(&pt->proc->lock);
	if (!pt->cpu) {
		*now = clock_ns();
		return true;
	}
	if (pt->cpu_proc) {
		*now = cpu_clock_process(pt->cpu_proc, pt->cpu_which);
		return true;
	}
	if (!pt->cpu_tid) {
		*now = cpu_clock_process(pt->proc, pt->cpu_which);
		return true;
	}
	t = proc_thread_locked(pt->proc, pt->cpu_tid);
	if (t)
		*now = cpu_clock_thread(t, pt->cpu_which);
	return t != NULL;
}

/*
 * next moved on by n periods, saturating at DEADLINE_MAX (include/kernel/time.h:
 * a wrapped deadline would be in the past). CPU-time clocks use the same bound.
 */
static uint64_t advance(uint64_t next, uint64_t n, uint64_t interval)
{
	return deadline_add(next, n >= DEADLINE_MAX / interval ? DEADLINE_MAX : n * interval);
}

static int overrun_add(int overrun, uint64_t n)
{
	uint64_t v = (uint64_t)overrun + n;

	return v > OVERRUN_MAX ? OVERRUN_MAX : (int)v;
}

/*
 * Counts the expirations up to now and moves next past it; true when the
 * signal is to be sent (its entry is then marked queued, and the caller
 * sends it with signal_send_timer after releasing p->lock).
 */
static bool expire_locked(struct posix_timer *pt, uint64_t now)
{
	struct sigqueue_entry *e = pt->sq;
	uint64_t n = 1;

	assert_held(&pt->proc->lock);
	if (!pt->next || now < pt->next)
		return false;
	if (pt->interval) {
		n = (now - pt->next) / pt->interval + 1;
		pt->next = advance(pt->next, n, pt->interval);
	} else {
		pt->next = 0;
	}
	if (pt->notify == SIGEV_NONE)
		return false;
	if (e->queued) {
		pt->overrun = overrun_add(pt->overrun, n);
		return false;
	}
	pt->overrun = overrun_add(0, n - 1);
	e->queued = true;
	return true;
}

#define TICK_NS (NSEC_PER_SEC / HZ)

/* Whether the tick of p's threads looks at the timer (a CPU-time clock of p or its threads). */
static bool ticked(struct posix_timer *pt)
{
	return pt->cpu && !pt->cpu_proc;
}

/* Arms the kernel timer of an armed timer that needs one. Caller holds p->lock. */
static void arm_locked(struct posix_timer *pt)
{
	assert_held(&pt->proc->lock);
	if (pt->notify == SIGEV_NONE || ticked(pt))
		return; /* gettime computes; the threads' ticks look */
	if (!pt->cpu_proc)
		ktimer_arm(&pt->kt, pt->next);
	else if (READ_ONCE(pt->cpu_proc->state) != PROC_ZOMBIE)
		ktimer_arm(&pt->kt, clock_ns() + TICK_NS); /* a dead one's clock stands still */
}

/*
 * The kernel timer of a wall-clock timer (armed for its expiry) or of a
 * timer on another process's CPU clock (which that process's ticks do not
 * look at: it polls it every tick while the process lives): count, re-arm,
 * send.
 */
static void timer_fire(struct ktimer *k)
{
	struct posix_timer *pt = container_of(k, struct posix_timer, kt);
	struct process *p = pt->proc;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct sigqueue_entry *e = pt->sq;
	int tid = pt->target_tid;
	uint64_t now;
	bool send = clock_now_locked(pt, &now) && expire_locked(pt, now);

	if (pt->next)
		arm_locked(pt);
	spin_unlock_irqrestore(&p->lock, flags);
	/* e lives on: a delete meanwhile leaves it to this send, which frees it. */
	if (send)
		signal_send_timer(p, tid, e);
}

/* The real-time clock was set: an absolute timer moves by the change. */
static void timer_clock_set(struct clock_set_hook *h)
{
	struct posix_timer *pt = container_of(h, struct posix_timer, hook);
	struct process *p = pt->proc;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	int64_t now_offset = realtime_offset();

	if (pt->abs_real && pt->next && pt->offset != now_offset) {
		pt->next = realtime_rebase(pt->next, pt->offset, now_offset);
		arm_locked(pt);
	}
	pt->offset = now_offset;
	spin_unlock_irqrestore(&p->lock, flags);
}

/* Whether the tick must look at p's CPU timers (and RLIMIT_CPU). Caller holds p->lock. */
static void update_cpu_armed_locked(struct process *p)
{
	struct posix_timer *pt;
	bool armed = p->cpu_itimers[0].next || p->cpu_itimers[1].next ||
		     p->rlimits[RLIMIT_CPU].cur != RLIM_INFINITY;

	assert_held(&p->lock);
	list_for_each_entry (pt, &p->timers, node)
		armed |= ticked(pt) && pt->next;
	WRITE_ONCE(p->cpu_timers_armed, armed);
}

int posix_timer_dequeued(struct posix_timer *pt)
{
	assert_held(&pt->proc->lock);
	pt->overrun_last = pt->overrun;
	pt->overrun = 0;
	return pt->overrun_last;
}

/* The clock a new timer runs on: its kind, or -EINVAL / -EOPNOTSUPP as Linux. */
static int check_clock(struct process *p, int clock, struct posix_timer *pt)
{
	int pid;
	bool thread;

	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		return 0;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		return -EOPNOTSUPP; /* readable, but no timers on them */
	}
	if (clock < 0 && CPUCLOCK_WHICH(clock) == CPUCLOCK_CLOCK_MASK)
		return -EOPNOTSUPP; /* Linux's descriptor-named clocks: no timers on them */
	if (cpu_clock_parse(clock, &pid, &thread, &pt->cpu_which))
		return -EINVAL;
	pt->cpu = true;
	if (!thread) /* another process's: held by posix_timer_create */
		return !pid || pid == p->pid || pt->cpu_proc ? 0 : -EINVAL;
	pt->cpu_tid = pid ? pid : current_thread()->tid;
	return proc_thread_locked(p, pt->cpu_tid) ? 0 : -EINVAL;
}

/* The sigevent's notification; -EINVAL as Linux's good_sigevent. */
static int check_sigevent(struct process *p, const struct linux_sigevent *ev,
			  struct posix_timer *pt)
{
	pt->notify = ev->notify;
	switch (ev->notify) {
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		if (!proc_thread_locked(p, ev->thread_id))
			return -EINVAL;
		pt->target_tid = ev->thread_id;
		/* fall through */
	case SIGEV_SIGNAL:
	case SIGEV_THREAD: /* the C library's helper thread uses SIGEV_THREAD_ID */
		if (ev->signo <= 0 || ev->signo > NSIG)
			return -EINVAL;
		if (ev->notify == SIGEV_THREAD)
			pt->notify = SIGEV_SIGNAL;
		return 0;
	case SIGEV_NONE:
		return 0;
	default:
		return -EINVAL;
	}
}

/* The lowest free id from next_timer_id on (ids of deleted timers come back later). */
static int alloc_id_locked(struct process *p)
{
	int id = p->next_timer_id;

	assert_held(&p->lock);
	while (find_locked(p, id))
		id = id == 0x7fffffff ? 0 : id + 1;
	p->next_timer_id = id == 0x7fffffff ? 0 : id + 1;
	return id;
}

static int add_locked(struct process *p, int clock, const struct linux_sigevent *ev,
		      struct posix_timer *pt)
{
	struct linux_sigevent dflt = { .signo = SIGALRM, .notify = SIGEV_SIGNAL };
	int err = check_clock(p, clock, pt);

	assert_held(&p->lock);
	if (!err)
		err = check_sigevent(p, ev ? ev : &dflt, pt);
	if (err)
		return err;
	if (p->nr_timers >= TIMERS_MAX || p->nr_timers >= p->rlimits[RLIMIT_SIGPENDING].cur)
		return -EAGAIN;
	pt->id = alloc_id_locked(p);
	pt->sq->info = (struct ksiginfo){ .signo = ev ? ev->signo : SIGALRM,
					  .code = SI_TIMER,
					  .timerid = pt->id,
					  .value = ev ? ev->value : (uint64_t)pt->id };
	list_add_tail(&pt->node, &p->timers);
	p->nr_timers++;
	return pt->id;
}

/*
 * A timer on another process's CPU clock: that process, held, in *out (NULL
 * for every other clock); -EINVAL when no process has that id.
 */
static int hold_other_process(struct process *self, int clock, struct process **out)
{
	unsigned long flags;
	int pid, which;
	bool thread;

	*out = NULL;
	if (clock >= 0 || CPUCLOCK_WHICH(clock) == CPUCLOCK_CLOCK_MASK ||
	    cpu_clock_parse(clock, &pid, &thread, &which) || thread || !pid || pid == self->pid)
		return 0;
	flags = spin_lock_irqsave(&proc_tree_lock);
	*out = proc_find(pid);
	if (*out)
		proc_hold(*out);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return *out ? 0 : -EINVAL;
}

int posix_timer_create(int clock, const struct linux_sigevent *ev)
{
	struct process *p = current_proc();
	struct posix_timer *pt = kzalloc(sizeof(*pt));
	unsigned long flags;
	int r;

	if (!pt || !(pt->sq = kzalloc(sizeof(*pt->sq)))) {
		kfree(pt);
		return -EAGAIN; /* Linux's answer when the timer cannot be allocated */
	}
	pt->proc = p;
	pt->clock = clock;
	pt->sq->timer = pt;
	ktimer_init(&pt->kt, timer_fire);
	if (realtime_clock(clock)) /* before the timer is linked: a delete may follow at once */
		clock_set_hook_add(&pt->hook, timer_clock_set);
	r = hold_other_process(p, clock,
			       &pt->cpu_proc); /* before p->lock: the tree's lock is first */
	if (!r) {
		flags = spin_lock_irqsave(&p->lock);
		r = add_locked(p, clock, ev, pt);
		spin_unlock_irqrestore(&p->lock, flags);
	}
	if (r < 0) {
		clock_set_hook_del(&pt->hook);
		if (pt->cpu_proc)
			proc_unhold(pt->cpu_proc);
		kfree(pt->sq);
		kfree(pt);
	}
	return r;
}

/* The time left to the next expiry and the period. Caller holds p->lock. */
static void get_locked(struct posix_timer *pt, struct linux_itimerspec *cur)
{
	uint64_t now, left = 0;

	if (pt->next && clock_now_locked(pt, &now)) {
		if (pt->next > now)
			left = pt->next - now;
		else if (
			pt->interval) /* passed, not counted yet (SIGEV_NONE, or the tick to come) */
			left = pt->interval - (now - pt->next) % pt->interval;
	}
	cur->value_sec = (int64_t)(left / NSEC_PER_SEC);
	cur->value_nsec = (int64_t)(left % NSEC_PER_SEC);
	cur->interval_sec = (int64_t)(pt->interval / NSEC_PER_SEC);
	cur->interval_nsec = (int64_t)(pt->interval % NSEC_PER_SEC);
}

static int spec_ns(int64_t sec, int64_t nsec, uint64_t *ns)
{
	struct linux_timespec ts = { sec, nsec };

	return timespec_to_ns(&ts, ns);
}

/* Arms (value != 0) or disarms pt. Caller holds p->lock. */
static void set_locked(struct posix_timer *pt, int flags, uint64_t value, uint64_t interval)
{
	uint64_t now = 0;

	clock_now_locked(pt, &now);
	signal_unqueue_timer_locked(pt->proc, pt->sq); /* a queued signal goes, as Linux 6.13 on */
	pt->interval = value ? interval : 0;
	pt->overrun = pt->overrun_last = 0;
	pt->offset = realtime_offset();
	pt->abs_real = !pt->cpu && realtime_clock(pt->clock) && (flags & TIMER_ABSTIME);
	if (!value)
		pt->next = 0;
	else if (!(flags & TIMER_ABSTIME))
		pt->next = deadline_add(now, value);
	else if (pt->abs_real)
		pt->next = realtime_to_monotonic_at(value, pt->offset);
	else
		pt->next = deadline_add(value, 0);
	/* A disarmed timer's kernel timer may stay armed: it finds next is 0 and stops. */
	if (pt->next)
		arm_locked(pt);
	if (ticked(pt))
		update_cpu_armed_locked(pt->proc);
}

int posix_timer_settime(int id, int flags, const struct linux_itimerspec *new,
			struct linux_itimerspec *old)
{
	struct process *p = current_proc();
	struct posix_timer *pt;
	uint64_t value, interval;
	unsigned long lflags;

	if (spec_ns(new->value_sec, new->value_nsec, &value) ||
	    spec_ns(new->interval_sec, new->interval_nsec, &interval))
		return -EINVAL;
	lflags = spin_lock_irqsave(&p->lock);
	pt = find_locked(p, id);
	if (pt) {
		get_locked(pt, old);
		set_locked(pt, flags, value, interval);
	}
	spin_unlock_irqrestore(&p->lock, lflags);
	return pt ? 0 : -EINVAL;
}

int posix_timer_gettime(int id, struct linux_itimerspec *cur)
{
	struct process *p = current_proc();
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct posix_timer *pt = find_locked(p, id);

	if (pt)
		get_locked(pt, cur);
	spin_unlock_irqrestore(&p->lock, flags);
	return pt ? 0 : -EINVAL;
}

int posix_timer_getoverrun(int id)
{
	struct process *p = current_proc();
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct posix_timer *pt = find_locked(p, id);
	int r = pt ? pt->overrun_last : -EINVAL;

	spin_unlock_irqrestore(&p->lock, flags);
	return r;
}

/* Takes pt off p; its queued signal goes too. Caller holds p->lock. */
static void unlink_locked(struct process *p, struct posix_timer *pt)
{
	assert_held(&p->lock);
	list_del(&pt->node);
	p->nr_timers--;
	pt->next = 0;
	signal_cancel_timer_locked(p, pt->sq); /* its signal goes too, as Linux 6.13 on */
	pt->sq = NULL;
	if (ticked(pt))
		update_cpu_armed_locked(p);
}

/* Frees an unlinked timer once its kernel timer's function cannot run. No lock held. */
static void destroy(struct posix_timer *pt)
{
	clock_set_hook_del(&pt->hook); /* no hook of pt runs after this */
	ktimer_cancel(&pt->kt);
	if (pt->cpu_proc)
		proc_unhold(pt->cpu_proc);
	kfree(pt);
}

int posix_timer_delete(int id)
{
	struct process *p = current_proc();
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct posix_timer *pt = find_locked(p, id);

	if (pt)
		unlink_locked(p, pt);
	spin_unlock_irqrestore(&p->lock, flags);
	if (!pt)
		return -EINVAL;
	destroy(pt);
	return 0;
}

void posix_timers_release(struct process *p)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&p->lock);
		struct posix_timer *pt = list_empty(&p->timers)
						 ? NULL
						 : list_first_entry(&p->timers, struct posix_timer,
								    node);

		if (pt)
			unlink_locked(p, pt);
		else
			p->next_timer_id = 0;
		spin_unlock_irqrestore(&p->lock, flags);
		if (!pt)
			return;
		destroy(pt);
	}
}

/* ITIMER_VIRTUAL counts user time (SIGVTALRM), ITIMER_PROF user + system (SIGPROF). */
static int itimer_clock(int which)
{
	return which == ITIMER_VIRTUAL ? CPUCLOCK_VIRT : CPUCLOCK_PROF;
}

void cpu_itimer_get(int which, uint64_t *value, uint64_t *interval)
{
	struct process *p = current_proc();
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct cpu_itimer *it = &p->cpu_itimers[which - 1];
	uint64_t now = cpu_clock_process(p, itimer_clock(which));

	*value = !it->next	  ? 0
		 : it->next > now ? it->next - now
				  : 1; /* 1: fires at the next tick */
	*interval = it->interval;
	spin_unlock_irqrestore(&p->lock, flags);
}

void cpu_itimer_set(int which, uint64_t value, uint64_t interval, uint64_t *old_value,
		    uint64_t *old_interval)
{
	struct process *p = current_proc();
	struct cpu_itimer *it = &p->cpu_itimers[which - 1];
	unsigned long flags;
	uint64_t now;

	cpu_itimer_get(which, old_value, old_interval);
	flags = spin_lock_irqsave(&p->lock);
	now = cpu_clock_process(p, itimer_clock(which));
	it->next = value ? deadline_add(now, value) : 0;
	it->interval = value ? interval : 0;
	update_cpu_armed_locked(p);
	spin_unlock_irqrestore(&p->lock, flags);
}

/* An expired CPU itimer's signal (0 if none); it moves past now. Caller holds p->lock. */
static int expire_itimers_locked(struct process *p)
{
	for (int which = ITIMER_VIRTUAL; which <= ITIMER_PROF; which++) {
		struct cpu_itimer *it = &p->cpu_itimers[which - 1];
		uint64_t now = cpu_clock_process(p, itimer_clock(which)), n;

		if (!it->next || now < it->next)
			continue;
		if (it->interval) {
			n = (now - it->next) / it->interval + 1;
			it->next = advance(it->next, n, it->interval);
		} else {
			it->next = 0;
		}
		return which == ITIMER_VIRTUAL ? SIGVTALRM : SIGPROF;
	}
	return 0;
}

/* The first of p's timers that t's tick expires with a signal to send, or NULL. */
static struct posix_timer *expire_cpu_timer_locked(struct process *p, struct thread *t)
{
	struct posix_timer *pt;

	list_for_each_entry (pt, &p->timers, node) {
		uint64_t now;

		if (!ticked(pt) || !pt->next || (pt->cpu_tid && pt->cpu_tid != t->tid))
			continue;
		now = pt->cpu_tid ? cpu_clock_thread(t, pt->cpu_which)
				  : cpu_clock_process(p, pt->cpu_which);
		if (expire_locked(pt, now))
			return pt;
	}
	return NULL;
}

void posix_cpu_rlimit_changed_locked(struct process *p)
{
	assert_held(&p->lock);
	update_cpu_armed_locked(p);
}

/*
 * RLIMIT_CPU, as Linux: at the soft limit (in seconds of user + system
 * time) SIGXCPU, and the soft limit moves on by a second while it is below
 * the hard one, so SIGXCPU comes again each second; at the hard limit
 * SIGKILL (each tick, until the process is gone). Caller holds p->lock.
 */
static int rlimit_cpu_signal_locked(struct process *p)
{
	struct rlimit64 *r = &p->rlimits[RLIMIT_CPU];
	uint64_t secs;

	assert_held(&p->lock);
	if (r->cur == RLIM_INFINITY)
		return 0;
	secs = cpu_clock_process(p, CPUCLOCK_PROF) / NSEC_PER_SEC;
	if (secs >= r->max)
		return SIGKILL;
	if (secs < r->cur)
		return 0;
	if (r->cur < r->max)
		r->cur++;
	return SIGXCPU;
}

/* The tick's RLIMIT_CPU check: at most one signal a tick. */
static void rlimit_cpu_tick(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct ksiginfo info = { .signo = rlimit_cpu_signal_locked(p), .code = SI_KERNEL };

	spin_unlock_irqrestore(&p->lock, flags);
	if (info.signo)
		signal_send(p, &info);
}

void posix_cpu_timers_tick(struct thread *t)
{
	struct process *p = t->proc;

	if (READ_ONCE(p->rlimits[RLIMIT_CPU].cur) != RLIM_INFINITY)
		rlimit_cpu_tick(p);
	/* One signal at a time, sent without p->lock; each expiry moves its timer past now. */
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&p->lock);
		struct posix_timer *pt = expire_cpu_timer_locked(p, t);
		struct sigqueue_entry *e = pt ? pt->sq : NULL;
		int tid = pt ? pt->target_tid : 0;
		struct ksiginfo info = { .signo = pt ? 0 : expire_itimers_locked(p),
					 .code = SI_KERNEL };

		if (!e && !info.signo)
			update_cpu_armed_locked(p);
		spin_unlock_irqrestore(&p->lock, flags);
		if (e)
			signal_send_timer(p, tid, e);
		else if (info.signo)
			signal_send(p, &info);
		else
			return;
	}
}
