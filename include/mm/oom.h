/*
 * Memory pressure (mm/oom.c): what happens when a page cannot be
 * allocated. Subsystems that keep memory they could give back register a
 * shrinker (the page cache's clean pages, the dentry cache) and the
 * write-back of dirty pages; a user thread whose page fault found no page
 * calls mem_fault_nomem(), which reclaims in this order: clean cached
 * pages, then dirty ones (the flusher writes them, the thread waits), then
 * the other caches; only when nothing is left does the OOM killer end the
 * process with the largest resident set (adjusted by oom_score_adj).
 * While a victim is dying, or any killed process is still exiting with
 * its address space, no victim is chosen: that memory is on its way back.
 */
#ifndef MM_OOM_H
#define MM_OOM_H

#include <lib/types.h>

struct process;

#define OOM_SCORE_ADJ_MIN (-1000) /* never chosen */
#define OOM_SCORE_ADJ_MAX 1000

/*
 * A cache that can give pages back. scan runs on the thread under memory
 * pressure (a user thread in its fault path, or the caller of
 * reclaim_now), with no lock held and interrupts enabled; it must not
 * wait. It returns how many pages it freed (at most about want).
 */
struct shrinker {
	const char *name;
	size_t (*scan)(size_t want);
	bool after_writeback;  /* [I] tried once dirty pages were written (the dcache) */
	struct shrinker *next; /* (reclaim lock) */
	uint64_t freed;	       /* [a] pages given back so far */
};
void shrinker_register(struct shrinker *s);

/* The flusher's side (fs/writeback.c registers it once). */
struct reclaim_writeback {
	uint64_t (*dirty_pages)(void); /* dirty cached pages now */
	uint64_t (*start)(void);       /* asks for a write-back of everything; its generation */
	bool (*done)(uint64_t gen);    /* whether that generation is written */
};
void reclaim_register_writeback(const struct reclaim_writeback *wb);

/*
 * Whether free memory is down to what user memory leaves to the kernel
 * (page_user_reserve) even after the clean cached pages were given back:
 * fork then fails with ENOMEM rather than eat the kernel's reserve.
 */
bool mem_reserve_reached(void);
/* Runs the shrinkers (all of them) for up to want pages; returns how many went. */
size_t reclaim_now(size_t want);

/*
 * A user thread's page fault (or a kernel access to user memory in its
 * system call) found no free page. Returns 0: try again now (something
 * was freed); -EWAIT: the thread is registered to wait (for write-back, or
 * for an OOM victim to die) and retries when woken; -ENOMEM: no retry (not
 * a user thread). If the OOM killer chose the caller's own process, it
 * has been killed and -EWAIT comes back (the park returns at once, the
 * thread exits).
 */
int mem_fault_nomem(void);
/*
 * A system call (fork) that found no memory, before its point of no
 * return: -EWAIT while an OOM victim or another killed process is still
 * giving its memory back (the call runs again once it has, as Linux's
 * allocator retries while a victim exits; with several CPUs the victim
 * dies on another one meanwhile), else -ENOMEM.
 */
int mem_nomem_or_wait_victim(void);

/* proc_finish: p's address space was released (an OOM victim's memory, or any, is back). */
void oom_process_gone(struct process *p);

/* Badness of a process (Linux's oom_badness): 0 = never; higher = chosen first. */
uint64_t oom_badness(uint64_t rss_pages, int score_adj, uint64_t total_pages);
/* /proc/PID/oom_score: badness scaled to 0..2000 as Linux shows it; -ESRCH. */
long oom_score_of(int pid);
/* The pid the killer would choose now (0: none); for the self-tests. */
int oom_pick_victim_pid(void);

struct oom_stats {
	uint64_t kills;	    /* processes the OOM killer ended */
	uint64_t stalls;    /* times a faulting thread had to wait */
	uint64_t reclaimed; /* pages shrinkers gave back under pressure */
};
extern struct oom_stats oom_stats;

#endif
