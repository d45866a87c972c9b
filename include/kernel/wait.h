/*
 * Waits: how a thread blocks without a kernel stack (DESIGN.md section 4,
 * kernel/wait.c).
 *
 * An event source (a pipe, the console, a futex bucket, a child's exit)
 * embeds a struct wait_source. A system call that cannot complete now does,
 * with the source's lock held and after re-checking its condition:
 *
 *	return wait_block_locked(&src, deadline_ns);
 *
 * which records the current thread as a waiter and returns -EWAIT; the
 * syscall dispatcher then parks the thread and the CPU's stack unwinds
 * completely. When the event happens, the code that made it happen calls
 * wait_wake_all(&src) (or wait_wake_one). The woken thread re-runs the
 * same system call from its saved registers (the "restart" idea), with
 * any progress kept in its struct wait; the second run normally completes.
 * A deadline (clock_ns() value, 0 for none) wakes the thread too; the
 * re-run call sees the time has passed.
 *
 * Kernel threads (which have stacks) keep using struct waitq.
 */
#ifndef KERNEL_WAIT_H
#define KERNEL_WAIT_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>

/* Internal: "the current thread must wait"; never reaches user space. */
#define EWAIT 1024

struct wait_source {
	spinlock_t lock;
	struct list_head waiters; /* (lock) struct wait_link.node */
};

#define WAIT_PROGRESS_WORDS 4
/* progress[] words file-system calls keep between runs (fs/ext2_vfs.c, fs/writeback.c). */
#define WAIT_P_TIME	    2 /* the call's time stamp */
#define WAIT_P_SYNC	    3 /* the sync generation it waits for */

struct wait;

/*
 * One registration of a wait on a source. A wait has one embedded link
 * (most calls wait on one source) and, for poll and select, extra links
 * allocated per source. Lock key: (s) the source's lock, (c) constant.
 */
struct wait_link {
	struct list_head node;	    /* (s) on the source's waiters */
	struct wait_source *source; /* (s) where node is linked, or NULL */
	struct wait *wait;	    /* (c) */
	struct list_head extra;	    /* (o) in wait.extra (extra links only) */
};

/*
 * Lock key: (r) run queue lock, (o) the owning thread while it runs.
 */
struct wait {
	struct wait_link link;			/* the source of a single-source wait */
	struct list_head extra;			/* (o) more links (poll, select) */
	uint64_t deadline_ns;			/* (r) 0: none */
	uint32_t flags;				/* (r) WAIT_* */
	uint32_t polls;				/* (o) runs of the call for this wait */
	uint64_t progress[WAIT_PROGRESS_WORDS]; /* (o) the call's own state */
	int64_t partial; /* (o) bytes a waiting call already moved: what a signal makes it return */
};

#define WAIT_WOKEN	     (1u << 1) /* woken before the thread had parked */
/* Signals do not end this wait (a service call, like Linux's disk waits); SIGKILL does. */
#define WAIT_UNINTERRUPTIBLE (1u << 2)

/* Prepares a thread's embedded wait (once, when the thread is made). */
void wait_init(struct wait *w);

void wait_source_init(struct wait_source *src, const char *name);
/* Caller holds src->lock; returns -EWAIT. */
long wait_block_locked(struct wait_source *src, uint64_t deadline_ns);
/*
 * The same for a wait signals do not end (WAIT_UNINTERRUPTIBLE: a disk, a
 * service, a vfork child), for this run of the call; returns -EWAIT.
 */
long wait_block_locked_uninterruptible(struct wait_source *src);
/* Waits for the deadline alone (a sleep); returns -EWAIT. */
long wait_sleep_until(uint64_t deadline_ns);
/* Wakes every waiter (or the first); returns how many were woken. */
unsigned wait_wake_all(struct wait_source *src);
unsigned wait_wake_one(struct wait_source *src);
/* The current thread's wait (progress survives between runs of one call). */
struct wait *current_wait(void);
/* Wakes the thread of one registration; the caller holds l->source->lock. */
void wait_wake_locked(struct wait_link *l);
/*
 * poll/select: registers the current wait on one more source (the caller
 * holds no source lock). 0 or -ENOMEM. After registering everywhere and
 * finding nothing ready, the call returns wait_registered(deadline).
 */
int wait_add_source(struct wait_source *src);
long wait_registered(uint64_t deadline_ns);
/* Unlinks every registration of w that is still linked (the call runs again). */
void wait_detach(struct wait *w);

/* How many runs calls that waited needed: polls[2] is the ideal "register, complete". */
#define WAIT_POLL_BUCKETS 6
struct wait_stats {
	uint64_t completed;
	uint64_t polls[WAIT_POLL_BUCKETS]; /* by number of runs, the last is "or more" */
};
extern struct wait_stats wait_stats;
void wait_record_completion(struct wait *w);

#endif
