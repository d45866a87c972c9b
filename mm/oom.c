/*
 * Memory pressure and the OOM killer (include/mm/oom.h). Called by the
 * page-fault paths of arch/x86_64/trap.c when vm_fault found no free page
 * (mem_fault_nomem), by fork and the self-tests (reclaim_now); the page
 * cache, the flusher and the dentry cache register what they can give
 * back at boot.
 *
 * A faulting user thread holds no lock and no kernel stack of its own, so
 * it runs the shrinkers itself; when only dirty pages are left it asks
 * the flusher for a write-back and parks on mem_src with a short deadline
 * (its fault runs again when woken). When nothing at all is left, the
 * killer chooses a victim; until that victim's address space is released
 * (oom_process_gone), threads that need memory wait instead of choosing
 * another one, as Linux's TIF_MEMDIE/oom_reaper logic.
 *
 * Lock key: (o) oom_lock. Lock order (its part of the one in
 * include/kernel/spinlock.h): oom_lock, then proc_tree_lock and a
 * process's lock (the victim choice).
 */
#include <mm/oom.h>
#include <mm/page.h>
#include <mm/vm.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/signal.h>

#define RECLAIM_BATCH 64		   /* pages asked of the shrinkers per try */
#define MEM_RETRY_NS  (20 * NSEC_PER_MSEC) /* a waiting fault runs again at least this often */

struct oom_stats oom_stats; /* (a) */

static spinlock_t oom_lock = SPINLOCK_INIT("oom");
static struct shrinker *shrinkers;		  /* (o) in registration order */
static const struct reclaim_writeback *writeback; /* (o) */
static uint64_t wb_gen;	      /* (o) the write-back pressure waits for; 0: none */
static struct process *dying; /* (o) the last victim, held, until its memory is back */
static bool none_reported;    /* (o) "no process to kill" said once per episode */
static struct wait_source mem_src = { .lock = SPINLOCK_INIT("mem-wait"),
				      .waiters = LIST_HEAD_INIT(mem_src.waiters) };

void shrinker_register(struct shrinker *s)
{
	unsigned long flags = spin_lock_irqsave(&oom_lock);
	struct shrinker **at = &shrinkers;

	while (*at)
		at = &(*at)->next;
	s->next = NULL;
	*at = s;
	spin_unlock_irqrestore(&oom_lock, flags);
}

void reclaim_register_writeback(const struct reclaim_writeback *wb)
{
	unsigned long flags = spin_lock_irqsave(&oom_lock);

	writeback = wb;
	spin_unlock_irqrestore(&oom_lock, flags);
}

static struct shrinker *first_shrinker(void)
{
	unsigned long flags = spin_lock_irqsave(&oom_lock);
	struct shrinker *s = shrinkers;

	spin_unlock_irqrestore(&oom_lock, flags);
	return s;
}

/* The shrinkers of one stage (before or after write-back); shrinkers are never removed. */
static size_t shrink_stage(size_t want, bool after_writeback)
{
	size_t freed = 0;

	for (struct shrinker *s = first_shrinker(); s && freed < want; s = READ_ONCE(s->next)) {
		size_t n;

		if (s->after_writeback != after_writeback)
			continue;
		n = s->scan(want - freed);
		__atomic_add_fetch(&s->freed, n, __ATOMIC_RELAXED);
		freed += n;
	}
	__atomic_add_fetch(&oom_stats.reclaimed, freed, __ATOMIC_RELAXED);
	return freed;
}

size_t reclaim_now(size_t want)
{
	size_t freed = shrink_stage(want, false);

	return freed < want ? freed + shrink_stage(want - freed, true) : freed;
}

bool mem_reserve_reached(void)
{
	if (free_page_count() > page_user_reserve())
		return false;
	shrink_stage(page_user_reserve(), false);
	return free_page_count() <= page_user_reserve();
}

/* Parks the current user thread on mem_src until woken or MEM_RETRY_NS passed; -EWAIT. */
static int mem_wait(void)
{
	unsigned long flags;
	long r;

	/*
	 * A fault's earlier wait that ended by its deadline is still linked (the
	 * thread went straight back to user mode); a call's registration goes
	 * too: the whole call runs again.
	 */
	wait_detach(current_wait());
	flags = spin_lock_irqsave(&mem_src.lock);
	r = wait_block_locked(&mem_src, deadline_after(MEM_RETRY_NS));
	spin_unlock_irqrestore(&mem_src.lock, flags);
	__atomic_add_fetch(&oom_stats.stalls, 1, __ATOMIC_RELAXED);
	return (int)r;
}

/*
 * Dirty pages: one write-back is asked for and waited on; once it is done
 * the shrinkers get another look. Returns 0 (retry), -EWAIT, or 1: no
 * dirty page helps, go on.
 */
static int writeback_step(void)
{
	unsigned long flags = spin_lock_irqsave(&oom_lock);
	const struct reclaim_writeback *wb = writeback;
	bool start = false, finished = false;

	if (!wb) {
		spin_unlock_irqrestore(&oom_lock, flags);
		return 1;
	}
	if (wb_gen && wb->done(wb_gen)) {
		wb_gen = 0;
		finished = true;
	} else if (!wb_gen && wb->dirty_pages()) {
		start = true;
		wb_gen = ~0ULL; /* set below; others see a write-back under way */
	}
	spin_unlock_irqrestore(&oom_lock, flags);
	if (finished)
		return shrink_stage(RECLAIM_BATCH, false) ? 0 : 1;
	if (start) {
		uint64_t gen = wb->start();

		flags = spin_lock_irqsave(&oom_lock);
		wb_gen = gen;
		spin_unlock_irqrestore(&oom_lock, flags);
	}
	return wb_gen ? mem_wait() : 1;
}

uint64_t oom_badness(uint64_t rss_pages, int score_adj, uint64_t total_pages)
{
	int64_t points = (int64_t)rss_pages;

	if (score_adj <= OOM_SCORE_ADJ_MIN)
		return 0;
	points += (int64_t)score_adj * (int64_t)(total_pages / 1000);
	return points > 0 ? (uint64_t)points : 1;
}

struct victim_search {
	uint64_t total;
	struct process *best;
	uint64_t best_points, best_rss;
	bool exiting; /* a killed process has not given its memory back yet */
};

/*
 * Whether p is exiting (killed, or in exit_group) with its address space
 * not yet released: its memory is on its way back. Not while its core is
 * being written (as Linux's __task_will_free_mem): that may take as long
 * as the disk does. Caller holds proc_tree_lock (p->state, p->core).
 */
static bool exiting_with_memory(struct process *p)
{
	unsigned long flags;
	bool ret;

	assert_held(&proc_tree_lock);
	if (p->state != PROC_EXITING || p->core)
		return false;
	flags = spin_lock_irqsave(&p->lock);
	ret = p->vm != NULL;
	spin_unlock_irqrestore(&p->lock, flags);
	return ret;
}

/* A process the killer may choose: its rss, or false (init, dying, no memory of its own). */
static bool eligible(struct process *p, uint64_t *rss, int *adj)
{
	unsigned long flags;
	bool ok;

	if (p->pid == 1 || p->state != PROC_ALIVE)
		return false;
	flags = spin_lock_irqsave(&p->lock);
	ok = p->nr_threads > 0 && p->vm;
	if (ok) {
		*rss = READ_ONCE(p->vm->resident_pages);
		*adj = p->oom_score_adj;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return ok;
}

static void consider(struct process *p, void *arg)
{
	struct victim_search *s = arg;
	uint64_t rss, points;
	int adj;

	if (exiting_with_memory(p))
		s->exiting = true;
	if (!eligible(p, &rss, &adj))
		return;
	points = oom_badness(rss, adj, s->total);
	if (points > s->best_points) {
		s->best = p;
		s->best_points = points;
		s->best_rss = rss;
	}
}

/*
 * The process with the highest badness, held, or NULL; *exiting: whether
 * a killed process is still giving its memory back. Caller holds oom_lock.
 */
static struct process *choose_victim(uint64_t *rss, bool *exiting)
{
	struct victim_search s = { .total = total_page_count() };
	unsigned long flags;

	assert_held(&oom_lock);
	flags = spin_lock_irqsave(&proc_tree_lock);
	proc_for_each_locked(consider, &s);
	if (s.best)
		proc_hold(s.best);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	*rss = s.best_rss;
	*exiting = s.exiting;
	return s.best;
}

/* Whether a killed process is still giving its memory back (a walk of every process). */
static bool processes_exiting(void)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct victim_search s = { .total = total_page_count() };

	proc_for_each_locked(consider, &s);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return s.exiting;
}

int oom_pick_victim_pid(void)
{
	unsigned long flags = spin_lock_irqsave(&oom_lock);
	uint64_t rss;
	bool exiting;
	struct process *p = choose_victim(&rss, &exiting);
	int pid = p ? p->pid : 0;

	spin_unlock_irqrestore(&oom_lock, flags);
	if (p)
		proc_unhold(p);
	return pid;
}

static void comm_of(struct process *p, char *comm)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);

	memcpy(comm, p->comm, COMM_LEN);
	comm[COMM_LEN - 1] = '\0';
	spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * Nothing left to reclaim: kill the worst process, or wait while memory is
 * on its way back (the last victim, or any killed process, still exiting:
 * as Linux's task_will_free_mem). Without that wait, a process group
 * killed with SIGKILL (kill -9 -PGID) is PROC_EXITING at once, no longer a
 * candidate, while its pages are still being freed on other CPUs, and the
 * shell that sent the kill was the only process left to choose.
 */
static int oom_kill(struct process *self)
{
	unsigned long flags = spin_lock_irqsave(&oom_lock);
	char comm[COMM_LEN];
	struct process *victim;
	bool exiting;
	uint64_t rss;

	if (dying) {
		spin_unlock_irqrestore(&oom_lock, flags);
		return mem_wait();
	}
	victim = choose_victim(&rss, &exiting);
	if (exiting) {
		spin_unlock_irqrestore(&oom_lock, flags);
		if (victim)
			proc_unhold(victim);
		return mem_wait();
	}
	if (!victim) {
		bool say = !none_reported;

		none_reported = true;
		spin_unlock_irqrestore(&oom_lock, flags);
		if (say)
			pr_err("oom: out of memory and no process may be killed\n");
		return mem_wait();
	}
	dying = victim; /* the hold is dropped by oom_process_gone */
	none_reported = false;
	spin_unlock_irqrestore(&oom_lock, flags);
	comm_of(victim, comm);
	pr_err("oom: killed process %d (%s) rss=%luKiB score_adj=%d\n", victim->pid, comm,
	       (unsigned long)(rss * (PAGE_SIZE / 1024)), READ_ONCE(victim->oom_score_adj));
	__atomic_add_fetch(&oom_stats.kills, 1, __ATOMIC_RELAXED);
	proc_kill(victim, SIGKILL);
	return victim == self ? -EWAIT : mem_wait(); /* a killed thread's park returns at once */
}

int mem_fault_nomem(void)
{
	struct thread *t = current_thread();
	int r;

	if (!t->user)
		return -ENOMEM;
	if (shrink_stage(RECLAIM_BATCH, false))
		return 0;
	if (READ_ONCE(dying))
		return mem_wait();
	r = writeback_step();
	if (r <= 0)
		return r;
	if (shrink_stage(RECLAIM_BATCH, true))
		return 0;
	return oom_kill(t->proc);
}

int mem_nomem_or_wait_victim(void)
{
	if (!current_thread()->user || (!READ_ONCE(dying) && !processes_exiting()))
		return -ENOMEM;
	return mem_wait();
}

void oom_process_gone(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&oom_lock);
	bool was = dying == p;

	if (was)
		dying = NULL;
	spin_unlock_irqrestore(&oom_lock, flags);
	if (was)
		proc_unhold(p);
	/* Any process's memory back: a waiting fault or fork looks again (a racy look, else its deadline). */
	if (was || READ_ONCE(mem_src.waiters.next) != &mem_src.waiters)
		wait_wake_all(&mem_src);
}

long oom_score_of(int pid)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct process *p = proc_find(pid);
	uint64_t total = total_page_count(), rss = 0;
	int adj = 0;
	long score = -ESRCH;

	if (p)
		score = eligible(p, &rss, &adj)
				? (long)(oom_badness(rss, adj, total) * 1000 / MAX(total, 1ULL))
				: 0;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return score;
}
